//! Turning the many ways files write time into Unix seconds (UTC).

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// A time zone for local times in files.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone '{name}'; use an IANA name such as Europe/Copenhagen or UTC")
    })
}

/// A local wall-clock time in `tz` as Unix seconds. In a repeated hour (autumn) the first
/// reading is taken; a time in the skipped hour (spring) is moved past the gap.
pub fn local_to_utc(tz: Tz, t: NaiveDateTime) -> Result<i64, String> {
    if let Some(dt) = tz.from_local_datetime(&t).earliest() {
        return Ok(dt.timestamp());
    }
    tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
        .earliest()
        .map(|dt| dt.timestamp())
        .ok_or_else(|| format!("{t} does not exist in {tz}"))
}

/// Parses a date-time text: RFC 3339 (any offset) as it is; otherwise, with `format` (a chrono
/// format; `%Y-%m` means the first day of the month) or common ISO forms, as local time in `tz`.
pub fn parse(text: &str, format: Option<&str>, tz: Tz) -> Result<i64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Some(fmt) = format {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return local_to_utc(tz, t);
        }
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
        }
        if fmt == "%Y-%m" {
            if let Ok(d) = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d") {
                return local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
            }
        }
        return Err(format!("'{s}' does not match the format '{fmt}'"));
    }
    if let Some(t) = crate::model::time::parse_rfc3339(s) {
        return Ok(t);
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return local_to_utc(tz, t);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return local_to_utc(tz, d.and_hms_opt(0, 0, 0).expect("midnight"));
    }
    Err(format!(
        "'{s}' is not a date-time (RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] local time)"
    ))
}

/// A local time from separate parts (as VPD writes them).
pub fn from_parts(y: i32, mo: u32, d: u32, h: u32, mi: u32, tz: Tz) -> Result<i64, String> {
    let date =
        NaiveDate::from_ymd_opt(y, mo, d).ok_or_else(|| format!("{y}-{mo}-{d} is not a date"))?;
    let t = date
        .and_hms_opt(h, mi, 0)
        .ok_or_else(|| format!("{h}:{mi} is not a time of day"))?;
    local_to_utc(tz, t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time;

    #[test]
    fn forms() {
        let cph = zone("Europe/Copenhagen").unwrap();
        let t = |s| time::parse_rfc3339(s).unwrap();
        assert_eq!(
            parse("2011-06-01T10:00:00+02:00", None, cph).unwrap(),
            t("2011-06-01T08:00:00Z")
        );
        assert_eq!(
            parse("2011-06-01 10:00", None, cph).unwrap(),
            t("2011-06-01T08:00:00Z")
        );
        assert_eq!(
            parse("2011-01-01", None, cph).unwrap(),
            t("2010-12-31T23:00:00Z")
        );
        let london = zone("Europe/London").unwrap();
        assert_eq!(
            parse("2018-07", Some("%Y-%m"), london).unwrap(),
            t("2018-06-30T23:00:00Z")
        );
        assert_eq!(
            parse("01/03/2012 22:15", Some("%d/%m/%Y %H:%M"), cph).unwrap(),
            t("2012-03-01T21:15:00Z")
        );
        assert!(parse("2012-13-01", None, cph).is_err());
        assert!(parse("", None, cph).is_err());
        let van = zone("America/Vancouver").unwrap();
        assert_eq!(
            from_parts(2022, 7, 1, 12, 30, van).unwrap(),
            t("2022-07-01T19:30:00Z")
        );
        assert!(from_parts(2022, 2, 30, 0, 0, van).is_err());
        assert!(zone("Mars/Olympus").is_err());
    }

    #[test]
    fn copenhagen_rule_matches_the_tz_database() {
        // The hand-rolled EU rule in model::time against chrono-tz, hour by hour over 2009–2016.
        let cph = zone("Europe/Copenhagen").unwrap();
        let start = t0();
        for h in 0..(8 * 366 * 24) {
            let secs = start + h * 3600 + 1234;
            let dt = cph.timestamp_opt(secs, 0).unwrap();
            let offset = dt.naive_local().and_utc().timestamp() - secs;
            assert_eq!(
                time::copenhagen_offset(secs),
                offset,
                "{}",
                time::rfc3339(secs)
            );
        }
    }

    fn t0() -> i64 {
        time::parse_rfc3339("2009-01-01T00:00:00Z").unwrap()
    }
}
