//! Checks every importer applies to a position, a time and a text.

use super::crs::Crs;
use crate::index::LonLatBox;
use crate::model::time;

/// The earliest time an import accepts, Unix seconds: 1900-01-01T00:00:00Z. Police and
/// safety-walk records are never older; a year 1 or 1012 is a placeholder or a typing error,
/// and would stretch every time axis and monthly series the analyses build.
pub const EARLIEST: i64 = -2_208_988_800;

/// How far past the present an import accepts a time, seconds: one day, so a record stamped in
/// a zone ahead of UTC, or by a clock a little fast, still passes; 9999-12-31 does not.
pub const FUTURE_SLACK: i64 = 86_400;

/// Refuses a time `t` (Unix seconds, UTC) outside the plausible range: before
/// [`EARLIEST`] (1900-01-01T00:00:00Z) or more than [`FUTURE_SLACK`] (one day) after `now`
/// (Unix seconds, the time of the import). The reason says which bound and where it lies.
pub fn time(t: i64, now: i64) -> Result<i64, String> {
    if t < EARLIEST {
        return Err(format!(
            "is before {}, the earliest time accepted",
            time::rfc3339(EARLIEST)
        ));
    }
    let latest = now.saturating_add(FUTURE_SLACK);
    if t > latest {
        return Err(format!(
            "is more than one day in the future (the latest time accepted is {})",
            time::rfc3339(latest)
        ));
    }
    Ok(t)
}

/// The first control character (Unicode general category Cc: U+0000–U+001F, U+007F–U+009F)
/// in `s` that `allowed` does not let through, with its 1-based character position.
fn control(s: &str, allowed: &[char]) -> Option<(usize, char)> {
    s.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed.contains(c))
        .map(|(i, c)| (i + 1, c))
}

/// Refuses an identifier or label (a source, a source id, a district's id, name or parent)
/// holding any control character, tabs and line breaks included: they would split or forge
/// lines in CSV exports, logs and terminals.
pub fn identifier(s: &str) -> Result<(), String> {
    match control(s, &[]) {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "contains the control character U+{:04X} at character {at}",
            c as u32
        )),
    }
}

/// Refuses free text (an observation's note) holding a control character other than a line
/// feed (U+000A) or a tab (U+0009).
pub fn free_text(s: &str) -> Result<(), String> {
    match control(s, &['\n', '\t']) {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "contains the control character U+{:04X} at character {at}; only line feeds and tabs are allowed",
            c as u32
        )),
    }
}

/// Turns a file's coordinate pair into WGS84 lon/lat, refusing what cannot be a real
/// position: missing or non-finite numbers, the 0,0 that stands for "withheld" or "unknown" in
/// police extracts, positions outside the CRS's area, and (with `region`) outside the region.
pub fn position(
    crs: &Crs,
    x: f64,
    y: f64,
    region: Option<&LonLatBox>,
) -> Result<(f64, f64), String> {
    if !x.is_finite() || !y.is_finite() {
        return Err("coordinates are not finite numbers".into());
    }
    if x == 0.0 && y == 0.0 {
        return Err("coordinates are 0,0 (missing or withheld location)".into());
    }
    if crs.is_wgs84() {
        if !(-180.0..=180.0).contains(&x) {
            return Err(format!("longitude {x} is outside -180..180"));
        }
        if !(-90.0..=90.0).contains(&y) {
            return Err(format!("latitude {y} is outside -90..90"));
        }
    }
    let (lon, lat) = crs.to_lonlat(x, y)?;
    let area = crs.area();
    if !area.contains(lon, lat) {
        return Err(format!(
            "position ({lon:.5}, {lat:.5}) is outside the area of EPSG:{} ({}){}",
            crs.def().epsg,
            crs.def().name,
            if crs.is_wgs84() { "" } else { "; wrong --crs?" }
        ));
    }
    if let Some(r) = region {
        if !r.contains(lon, lat) {
            let swapped = r.contains(lat, lon);
            return Err(format!(
                "position ({lon:.5}, {lat:.5}) is outside the region {:?}{}",
                r.to_array(),
                if swapped {
                    " (lon and lat look swapped)"
                } else {
                    ""
                }
            ));
        }
    }
    Ok((lon, lat))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_place() {
        let wgs = Crs::from_epsg(4326).unwrap();
        assert!(position(&wgs, 0.0, 0.0, None).unwrap_err().contains("0,0"));
        assert!(position(&wgs, f64::NAN, 55.0, None)
            .unwrap_err()
            .contains("finite"));
        assert!(position(&wgs, 12.5, 95.0, None)
            .unwrap_err()
            .contains("latitude 95"));
        let cph = LonLatBox {
            min_lon: 12.4,
            min_lat: 55.6,
            max_lon: 12.7,
            max_lat: 55.75,
        };
        assert!(position(&wgs, 55.68, 12.55, Some(&cph))
            .unwrap_err()
            .contains("swapped"));
        assert_eq!(
            position(&wgs, 12.55, 55.68, Some(&cph)).unwrap(),
            (12.55, 55.68)
        );
        let utm = Crs::from_epsg(25832).unwrap();
        assert!(position(&utm, 0.0, 0.0, None).unwrap_err().contains("0,0"));
        // Lon/lat fed in as UTM lands off Africa's coast: outside zone 32's area.
        assert!(position(&utm, 12.55, 55.68, None)
            .unwrap_err()
            .contains("outside the area"));
    }

    #[test]
    fn times_outside_1900_to_tomorrow_are_refused() {
        let now = time::parse_rfc3339("2026-11-27T12:00:00Z").unwrap();
        assert_eq!(time(EARLIEST, now), Ok(EARLIEST));
        assert_eq!(
            EARLIEST,
            time::parse_rfc3339("1900-01-01T00:00:00Z").unwrap()
        );
        assert!(time(EARLIEST - 1, now)
            .unwrap_err()
            .contains("before 1900-01-01T00:00:00Z"));
        assert_eq!(time(now + 86_400, now), Ok(now + 86_400));
        assert!(time(now + 86_401, now)
            .unwrap_err()
            .contains("2026-11-28T12:00:00Z"));
        let year1 = time::parse_rfc3339("0001-01-01T00:00:00Z").unwrap();
        assert!(time(year1, now).is_err());
        assert!(time(i64::MAX, i64::MAX).is_ok());
    }

    #[test]
    fn control_characters() {
        assert_eq!(identifier("KBH-2012/00417 ÆØÅ"), Ok(()));
        assert!(identifier("a\tb")
            .unwrap_err()
            .contains("U+0009 at character 2"));
        assert!(identifier("ab\n")
            .unwrap_err()
            .contains("U+000A at character 3"));
        assert!(identifier("x\u{85}").unwrap_err().contains("U+0085"));
        assert_eq!(free_text("line one\n\tline two"), Ok(()));
        assert!(free_text("a\r\nb")
            .unwrap_err()
            .contains("U+000D at character 2"));
        assert!(free_text("bell\u{7}").unwrap_err().contains("U+0007"));
    }
}
