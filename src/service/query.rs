//! The filters a use-case takes, parsed from their text (a query parameter's value, a command
//! line option): each failure names the parameter, what was wrong and what is expected.

use super::{ServiceError, ServiceResult};
use crate::model::{time, Category};

/// An RFC 3339 instant, or a date as a Copenhagen calendar day: its local midnight, or with
/// `end_of_day` its last second.
fn instant(s: &str, end_of_day: bool) -> Option<i64> {
    if let Some(t) = time::parse_rfc3339(s) {
        return Some(t);
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    use chrono::Datelike;
    let day = if end_of_day { d.succ_opt()? } else { d };
    let t = time::copenhagen_to_utc(day.year() as i64, day.month(), day.day(), 0, 0);
    Some(if end_of_day { t - 1 } else { t })
}

/// `datetime`: an RFC 3339 instant, a date (`2011-03-01`, the whole day in Copenhagen), or an interval
/// `start/end` with `..` or nothing for an open end. Returns `[start, end]` in Unix seconds,
/// both included.
pub fn datetime(raw: &str) -> ServiceResult<(i64, i64)> {
    let bad = |what: &str, s: &str| {
        ServiceError::param(
            "datetime",
            format!("{what} '{s}' is not an RFC 3339 date-time (2011-03-01T00:00:00Z) or date (2011-03-01)"),
        )
    };
    let (start, end) = match raw.split_once('/') {
        None => {
            let s = instant(raw, false).ok_or_else(|| bad("instant", raw))?;
            let e = instant(raw, true).ok_or_else(|| bad("instant", raw))?;
            (s, e)
        }
        Some((a, b)) => {
            let open = |x: &str| x.is_empty() || x == "..";
            if open(a) && open(b) {
                return Err(ServiceError::param(
                    "datetime",
                    "both ends of the interval are open; give at least one",
                ));
            }
            let s = if open(a) {
                i64::MIN
            } else {
                instant(a, false).ok_or_else(|| bad("start", a))?
            };
            let e = if open(b) {
                i64::MAX
            } else {
                instant(b, true).ok_or_else(|| bad("end", b))?
            };
            (s, e)
        }
    };
    if start > end {
        return Err(ServiceError::param(
            "datetime",
            "the start is after the end",
        ));
    }
    Ok((start, end))
}

/// `category`: one or more comma-separated category codes, as a bit mask.
pub fn categories(raw: &str) -> ServiceResult<u16> {
    let mut mask = 0u16;
    for code in raw.split(',').map(str::trim) {
        let c: Category = code
            .parse()
            .map_err(|e: crate::model::ParseCategoryError| {
                ServiceError::param("category", e.to_string())
            })?;
        mask |= c.bit();
    }
    Ok(mask)
}

/// `district`: the district with this id, as a polygon filter.
pub fn district<'c>(
    id: &str,
    cat: &'c crate::catalog::Catalog,
) -> ServiceResult<&'c geo::MultiPolygon<f64>> {
    cat.district(id).map(|d| &d.geometry).ok_or_else(|| {
        ServiceError::param(
            "district",
            format!("unknown district '{id}'; ids are bydel-N, district-N (district-8 is the Hotspot area) or rode-N"),
        )
    })
}

/// An optional free-text field: trimmed (empty = `None`), at most `max` characters, no control
/// characters but newlines.
pub fn text(field: &str, v: &Option<String>, max: usize) -> ServiceResult<Option<String>> {
    match v.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => Err(ServiceError::param(
            field,
            format!("longer than {max} characters"),
        )),
        Some(t) if t.chars().any(|c| c.is_control() && c != '\n') => {
            Err(ServiceError::param(field, "contains control characters"))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}
