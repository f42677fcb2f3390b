//! Query-parameter parsing and checking. Every failure names the parameter and says what was
//! wrong and what is expected.

use crate::index::LonLatBox;
use crate::model::ObservationKind;

use super::error::{ApiError, ApiResult};

/// Default page size of `items`.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size of `items` (DESIGN.md).
pub const MAX_LIMIT: usize = 10_000;
/// The `limit` of an export: every matching feature unless given (then 1..100,000,000).
pub fn export_limit(p: &Params) -> ApiResult<usize> {
    match p.non_empty("limit")? {
        None => Ok(usize::MAX),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_OFFSET).contains(n))
            .ok_or_else(|| {
                ApiError::param(
                    "limit",
                    format!("'{v}' is not a whole number 1..{MAX_OFFSET}"),
                )
            }),
    }
}

/// Largest `offset` accepted.
pub const MAX_OFFSET: usize = 100_000_000;

/// A request's query parameters, each given at most once and each known to the endpoint.
#[derive(Debug, Default, Clone)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `query` and checks every key against `allowed` (OGC API – Features answers an
    /// unknown parameter with 400) and that none is repeated.
    pub fn parse(query: &str, allowed: &[&str]) -> ApiResult<Params> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::param("query", format!("cannot be decoded: {e}")))?;
        for (i, (k, _)) in pairs.iter().enumerate() {
            if !allowed.contains(&k.as_str()) {
                return Err(ApiError::param(
                    k.clone(),
                    format!(
                        "unknown parameter; this endpoint takes {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if pairs[..i].iter().any(|(k2, _)| k2 == k) {
                return Err(ApiError::param(k.clone(), "given more than once"));
            }
        }
        Ok(Params { pairs })
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`, if given, trimmed and required to be non-empty.
    pub fn non_empty(&self, key: &str) -> ApiResult<Option<&str>> {
        match self.get(key).map(str::trim) {
            None => Ok(None),
            Some("") => Err(ApiError::param(key, "is empty")),
            Some(v) => Ok(Some(v)),
        }
    }

    /// All pairs but `key`, in the order given (for building `next` links).
    pub fn without(&self, key: &str) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != key)
            .cloned()
            .collect()
    }
}

/// `bbox=minlon,minlat,maxlon,maxlat` (WGS84, RFC 7946 order). `area` is the service's data
/// extent: a box that misses it but would hit it with lon and lat swapped is refused as a
/// likely lat,lon mistake.
pub fn bbox(p: &Params, area: Option<LonLatBox>) -> ApiResult<Option<LonLatBox>> {
    lonlat_box(p, "bbox", area)
}

/// The box in parameter `field` (`minlon,minlat,maxlon,maxlat`, WGS84 degrees), checked as
/// [`bbox`] is.
pub fn lonlat_box(
    p: &Params,
    field: &str,
    area: Option<LonLatBox>,
) -> ApiResult<Option<LonLatBox>> {
    let Some(raw) = p.non_empty(field)? else {
        return Ok(None);
    };
    let parts: Vec<&str> = raw.split(',').map(str::trim).collect();
    if parts.len() != 4 {
        return Err(ApiError::param(
            field,
            format!(
                "expected 4 numbers minlon,minlat,maxlon,maxlat, got {}{}",
                parts.len(),
                if parts.len() == 6 {
                    " (3-D boxes are not supported)"
                } else {
                    ""
                }
            ),
        ));
    }
    let mut v = [0.0f64; 4];
    for (i, s) in parts.iter().enumerate() {
        let name = ["minlon", "minlat", "maxlon", "maxlat"][i];
        v[i] = s
            .parse::<f64>()
            .map_err(|_| ApiError::param(field, format!("{name} '{s}' is not a number")))?;
        if !v[i].is_finite() {
            return Err(ApiError::param(
                field,
                format!("{name} '{s}' is not a finite number"),
            ));
        }
        let (lo, hi) = if i % 2 == 0 {
            (-180.0, 180.0)
        } else {
            (-90.0, 90.0)
        };
        if v[i] < lo || v[i] > hi {
            return Err(ApiError::param(
                field,
                format!("{name} {} is outside {lo}..{hi}", v[i]),
            ));
        }
    }
    let b = LonLatBox {
        min_lon: v[0],
        min_lat: v[1],
        max_lon: v[2],
        max_lat: v[3],
    };
    if b.min_lon > b.max_lon {
        return Err(ApiError::param(
            field,
            format!(
                "minlon {} is greater than maxlon {} (boxes across the antimeridian are not supported)",
                b.min_lon, b.max_lon
            ),
        ));
    }
    if b.min_lat > b.max_lat {
        return Err(ApiError::param(
            field,
            format!("minlat {} is greater than maxlat {}", b.min_lat, b.max_lat),
        ));
    }
    if let Some(area) = area {
        let swapped = LonLatBox {
            min_lon: b.min_lat,
            min_lat: b.min_lon,
            max_lon: b.max_lat,
            max_lat: b.max_lon,
        };
        if !b.intersects(&area) && swapped.intersects(&area) {
            return Err(ApiError::param(
                field,
                format!("looks like lat,lon order; {field} is minlon,minlat,maxlon,maxlat (RFC 7946), e.g. 12.54,55.68,12.57,55.70"),
            ));
        }
    }
    Ok(Some(b))
}

/// `datetime` (see [`crate::service::query::datetime`]).
pub fn datetime(p: &Params) -> ApiResult<Option<(i64, i64)>> {
    p.non_empty("datetime")?
        .map(crate::service::query::datetime)
        .transpose()
}

/// `datetime` widened to whole hours when `hourly` (the start floored, the end to the last
/// second of its hour; open ends stay open): see [`super::Caller::hourly`].
pub fn datetime_for(p: &Params, hourly: bool) -> ApiResult<Option<(i64, i64)>> {
    let t = datetime(p)?;
    Ok(if hourly { t.map(widen_to_hours) } else { t })
}

fn widen_to_hours((a, b): (i64, i64)) -> (i64, i64) {
    let a = if a == i64::MIN {
        a
    } else {
        a - a.rem_euclid(3600)
    };
    let b = if b == i64::MAX {
        b
    } else {
        b - b.rem_euclid(3600) + 3599
    };
    (a, b)
}

/// `limit`: 1 … [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]; a larger number is taken as
/// [`MAX_LIMIT`] (OGC API – Features asks servers not to refuse it).
pub fn limit(p: &Params) -> ApiResult<usize> {
    let Some(raw) = p.non_empty("limit")? else {
        return Ok(DEFAULT_LIMIT);
    };
    // A whole number too large for the machine is above the maximum too.
    let raw = if raw.bytes().all(|b| b.is_ascii_digit()) && raw.trim_start_matches('0').len() > 9 {
        "1000000000"
    } else {
        raw
    };
    let n: usize = raw.parse().map_err(|_| {
        ApiError::param(
            "limit",
            format!("'{raw}' is not a whole number 1..{MAX_LIMIT}"),
        )
    })?;
    if n == 0 {
        return Err(ApiError::param(
            "limit",
            format!("{n} is not in 1..{MAX_LIMIT}"),
        ));
    }
    // OGC API – Features: a limit above the maximum is no error; the maximum is used.
    Ok(n.min(MAX_LIMIT))
}

/// `offset`: 0 … [`MAX_OFFSET`], default 0.
pub fn offset(p: &Params) -> ApiResult<usize> {
    let Some(raw) = p.non_empty("offset")? else {
        return Ok(0);
    };
    let n: usize = raw
        .parse()
        .map_err(|_| ApiError::param("offset", format!("'{raw}' is not a whole number ≥ 0")))?;
    if n > MAX_OFFSET {
        return Err(ApiError::param(
            "offset",
            format!("{n} is larger than {MAX_OFFSET}"),
        ));
    }
    Ok(n)
}

/// `category` (see [`crate::service::query::categories`]); all when absent.
pub fn categories(p: &Params) -> ApiResult<u16> {
    p.non_empty("category")?
        .map_or(Ok(u16::MAX), crate::service::query::categories)
}

/// A `u8` parameter within `range`, with a default.
pub fn small_int(
    p: &Params,
    key: &str,
    range: std::ops::RangeInclusive<u8>,
    default: u8,
) -> ApiResult<u8> {
    let Some(raw) = p.non_empty(key)? else {
        return Ok(default);
    };
    let n: u8 = raw.parse().map_err(|_| {
        ApiError::param(
            key,
            format!(
                "'{raw}' is not a whole number {}..{}",
                range.start(),
                range.end()
            ),
        )
    })?;
    if !range.contains(&n) {
        return Err(ApiError::param(
            key,
            format!("{n} is not in {}..{}", range.start(), range.end()),
        ));
    }
    Ok(n)
}

/// A parameter that takes one of a fixed set of words.
pub fn choice<'a>(
    p: &Params,
    key: &str,
    options: &[&'a str],
    default: &'a str,
) -> ApiResult<&'a str> {
    let Some(raw) = p.non_empty(key)? else {
        return Ok(default);
    };
    options.iter().find(|o| **o == raw).copied().ok_or_else(|| {
        ApiError::param(key, format!("'{raw}' is not one of {}", options.join(", ")))
    })
}

/// The district named by `district`, as a polygon filter.
pub fn district<'c>(
    p: &Params,
    cat: &'c crate::catalog::Catalog,
) -> ApiResult<Option<&'c geo::MultiPolygon<f64>>> {
    p.non_empty("district")?
        .map(|id| crate::service::query::district(id, cat))
        .transpose()
}

/// The observation kinds named by `kind` (comma-separated).
pub fn kinds(p: &Params) -> ApiResult<Option<Vec<ObservationKind>>> {
    let Some(raw) = p.non_empty("kind")? else {
        return Ok(None);
    };
    raw.split(',')
        .map(|k| {
            k.trim()
                .parse()
                .map_err(|e: String| ApiError::param("kind", e))
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{time, Category};

    fn p(q: &str) -> Params {
        Params::parse(q, &["bbox", "datetime", "limit", "offset", "category"]).unwrap()
    }

    fn err(r: ApiResult<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn unknown_and_repeated_parameters_are_named() {
        let e = Params::parse("bbx=1", &["bbox"]).unwrap_err().to_string();
        assert!(e.starts_with("bbx: unknown parameter"), "{e}");
        let e = Params::parse("limit=1&limit=2", &["limit"])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("limit: given more than once"), "{e}");
    }

    #[test]
    fn bbox_checks() {
        let area = Some(LonLatBox {
            min_lon: 12.4,
            min_lat: 55.6,
            max_lon: 12.7,
            max_lat: 55.8,
        });
        assert!(bbox(&p("bbox=12.5,55.6,12.6,55.7"), area)
            .unwrap()
            .is_some());
        assert!(err(bbox(&p("bbox=12.5,55.6,12.6"), area)).contains("expected 4 numbers"));
        assert!(err(bbox(&p("bbox=12.5,55.6,12.6,95"), area)).contains("maxlat 95 is outside"));
        assert!(err(bbox(&p("bbox=12.5,NaN,12.6,55.7"), area)).contains("not a finite number"));
        assert!(err(bbox(&p("bbox=12.6,55.6,12.5,55.7"), area)).contains("minlon 12.6 is greater"));
        assert!(err(bbox(&p("bbox=12.5,55.7,12.6,55.6"), area)).contains("minlat 55.7 is greater"));
        assert!(err(bbox(&p("bbox=55.6,12.5,55.7,12.6"), area)).contains("lat,lon order"));
        assert!(err(bbox(&p("bbox=a,55.6,12.6,55.7"), area)).contains("minlon 'a' is not a number"));
        assert!(err(bbox(&p("bbox="), area)).contains("is empty"));
        // Far away but not a swap: valid, just empty.
        assert!(bbox(&p("bbox=0,0,1,1"), area).unwrap().is_some());
    }

    #[test]
    fn datetime_forms() {
        let t = |s: &str| time::parse_rfc3339(s).unwrap();
        assert_eq!(
            datetime(&p("datetime=2011-03-01T00:00:00Z")).unwrap(),
            Some((t("2011-03-01T00:00:00Z"), t("2011-03-01T00:00:00Z")))
        );
        // Dates are Copenhagen calendar days.
        assert_eq!(
            datetime(&p("datetime=2011-03-01")).unwrap(),
            Some((t("2011-02-28T23:00:00Z"), t("2011-03-01T22:59:59Z")))
        );
        assert_eq!(
            datetime(&p("datetime=2011-01-01T00:00:00Z/..")).unwrap(),
            Some((t("2011-01-01T00:00:00Z"), i64::MAX))
        );
        assert_eq!(
            datetime(&p("datetime=../2012-12-31")).unwrap(),
            Some((i64::MIN, t("2012-12-31T22:59:59Z")))
        );
        assert!(err(datetime(&p("datetime=2012-13-01"))).contains("not an RFC 3339"));
        assert!(err(datetime(&p("datetime=2013-01-01/2012-01-01"))).contains("start is after"));
        assert!(err(datetime(&p("datetime=../.."))).contains("both ends"));
    }

    #[test]
    fn limit_offset_category() {
        assert_eq!(limit(&p("")).unwrap(), DEFAULT_LIMIT);
        assert!(err(limit(&p("limit=0"))).contains("not in 1..10000"));
        assert_eq!(
            limit(&p("limit=10001")).unwrap(),
            MAX_LIMIT,
            "clamped, not refused"
        );
        assert_eq!(limit(&p("limit=99999999999")).unwrap(), MAX_LIMIT);
        assert_eq!(
            limit(&p("limit=99999999999999999999999999")).unwrap(),
            MAX_LIMIT
        );
        assert!(err(limit(&p("limit=-1"))).contains("not a whole number"));
        assert!(err(offset(&p("offset=x"))).contains("offset"));
        assert_eq!(
            categories(&p("category=theft")).unwrap(),
            Category::Theft.bit()
        );
        assert_eq!(
            categories(&p("category=theft,drugs")).unwrap(),
            Category::Theft.bit() | Category::Drugs.bit()
        );
        assert!(err(categories(&p("category=murder"))).contains("unknown category 'murder'"));
    }
}
