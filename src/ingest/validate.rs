//! Checks every importer applies to a position.

use super::crs::Crs;
use crate::index::LonLatBox;

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
}
