//! Time helpers: instants are Unix seconds (UTC) everywhere inside the service.
//!
//! Formatting is hand-rolled because `items` writes one timestamp per feature and chrono's
//! formatter allocates; parsing stays with chrono. Copenhagen's local time follows the EU
//! summer-time rule (CET +01:00, CEST +02:00 from 01:00 UTC on the last Sunday of March to
//! 01:00 UTC on the last Sunday of October), in force for every year this service handles.

use chrono::{DateTime, Utc};

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1–12, day 1–31) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes `secs` as RFC 3339 in UTC, e.g. `2011-03-01T22:15:00Z`, into `out`.
pub fn write_rfc3339(secs: i64, out: &mut Vec<u8>) {
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (sod / 3600, (sod / 60) % 60, sod % 60);
    if (0..=9999).contains(&y) {
        let digits = |v: i64, n: usize, out: &mut Vec<u8>| {
            let mut buf = [b'0'; 4];
            let mut v = v;
            for i in (0..n).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
            out.extend_from_slice(&buf[..n]);
        };
        digits(y, 4, out);
        out.push(b'-');
        digits(m as i64, 2, out);
        out.push(b'-');
        digits(d as i64, 2, out);
        out.push(b'T');
        digits(hh, 2, out);
        out.push(b':');
        digits(mm, 2, out);
        out.push(b':');
        digits(ss, 2, out);
        out.push(b'Z');
    } else {
        // Outside what RFC 3339 can say; chrono writes the extended form.
        let dt = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
        out.extend_from_slice(dt.to_rfc3339().as_bytes());
    }
}

/// Serde: writes Unix seconds as an RFC 3339 UTC string.
pub fn serialize_rfc3339<S: serde::Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*secs))
}

/// `secs` as an RFC 3339 string in UTC.
///
/// ```
/// assert_eq!(hotspot::model::time::rfc3339(1_298_937_600), "2011-03-01T00:00:00Z");
/// ```
pub fn rfc3339(secs: i64) -> String {
    let mut out = Vec::with_capacity(20);
    write_rfc3339(secs, &mut out);
    String::from_utf8(out).expect("RFC 3339 output is ASCII")
}

/// Copenhagen local time of `secs` as `YYYY-MM-DD hh:mm:ss` (no offset: the form spreadsheets
/// read as a date and time).
pub fn copenhagen_local(secs: i64) -> String {
    let local = secs.saturating_add(copenhagen_offset(secs));
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Parses an RFC 3339 date-time (any offset) to Unix seconds, dropping fractions of a second.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp())
}

/// Unix seconds of 01:00 UTC on the last Sunday of `month` (3 or 10) in `year`: when EU summer
/// time starts (March) or ends (October).
fn eu_switch(year: i64, month: u32) -> i64 {
    let last = days_from_civil(year, month, 31);
    // 1970-01-01 was a Thursday: weekday 0 = Monday gives (days + 3) mod 7.
    let weekday = (last + 3).rem_euclid(7);
    let sunday = last - (weekday - 6).rem_euclid(7);
    sunday * 86_400 + 3600
}

/// Copenhagen's offset from UTC in seconds at the instant `secs` (3600 or 7200).
pub fn copenhagen_offset(secs: i64) -> i64 {
    let (y, _, _) = civil_from_days(secs.div_euclid(86_400));
    if secs >= eu_switch(y, 3) && secs < eu_switch(y, 10) {
        7200
    } else {
        3600
    }
}

/// Unix seconds of a wall-clock time in Copenhagen. In the repeated hour of October the first
/// (summer-time) reading is taken; in the skipped hour of March, the hour after.
pub fn copenhagen_to_utc(y: i64, m: u32, d: u32, hour: u32, minute: u32) -> i64 {
    let local = days_from_civil(y, m, d) * 86_400 + hour as i64 * 3600 + minute as i64 * 60;
    let summer = local - 7200;
    if copenhagen_offset(summer) == 7200 {
        summer
    } else {
        local - 3600
    }
}

/// Hour of day (0–23) and weekday (0 = Monday … 6 = Sunday) in Copenhagen local time.
pub fn copenhagen_hour_weekday(secs: i64) -> (u32, u32) {
    let local = secs + copenhagen_offset(secs);
    let days = local.div_euclid(86_400);
    let hour = (local.rem_euclid(86_400) / 3600) as u32;
    let weekday = (days + 3).rem_euclid(7) as u32;
    (hour, weekday)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_chrono() {
        for secs in [
            0i64,
            1_262_304_000,
            1_419_998_399,
            951_782_400,
            4_102_444_799,
            -1,
        ] {
            let ours = rfc3339(secs);
            let theirs = DateTime::<Utc>::from_timestamp(secs, 0)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            assert_eq!(ours, theirs);
            assert_eq!(parse_rfc3339(&ours), Some(secs));
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn eu_summer_time() {
        // 2011: summer time from 27 March 01:00 UTC to 30 October 01:00 UTC.
        assert_eq!(rfc3339(eu_switch(2011, 3)), "2011-03-27T01:00:00Z");
        assert_eq!(rfc3339(eu_switch(2011, 10)), "2011-10-30T01:00:00Z");
        assert_eq!(
            copenhagen_offset(parse_rfc3339("2011-07-01T12:00:00Z").unwrap()),
            7200
        );
        assert_eq!(
            copenhagen_offset(parse_rfc3339("2011-12-01T12:00:00Z").unwrap()),
            3600
        );
        let t = copenhagen_to_utc(2012, 6, 15, 23, 30);
        assert_eq!(rfc3339(t), "2012-06-15T21:30:00Z");
        // 15 June 2012 was a Friday.
        assert_eq!(copenhagen_hour_weekday(t), (23, 4));
    }
}
