//! Coordinate reference systems and transforms to WGS84 lon/lat, by proj4rs (a Rust port of
//! PROJ). The definitions are the PROJ strings whose results were checked against pyproj
//! (`tests/fixtures/transforms/`): agreement within 1 cm.

use proj4rs::proj::Proj;

use crate::index::LonLatBox;

/// A supported CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrsDef {
    /// EPSG code.
    pub epsg: u16,
    /// Human name.
    pub name: &'static str,
    /// PROJ definition (proj4 syntax, with the datum shift to WGS84 that pyproj uses).
    pub proj4: &'static str,
    /// Where the CRS is meant to be used, WGS84 lon/lat: a wider box than EPSG's area of use
    /// (a UTM zone ± 6°), since files often stretch a zone; points outside are refused.
    pub area: [f64; 4],
}

/// The CRSs the importers accept.
pub const KNOWN: &[CrsDef] = &[
    CrsDef {
        epsg: 4326,
        name: "WGS 84 (lon/lat)",
        proj4: "+proj=longlat +datum=WGS84 +no_defs",
        area: [-180.0, -90.0, 180.0, 90.0],
    },
    CrsDef {
        epsg: 4258,
        name: "ETRS89 (lon/lat)",
        proj4: "+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs",
        area: [-16.1, 32.88, 40.18, 84.73],
    },
    CrsDef {
        epsg: 3857,
        name: "WGS 84 / Pseudo-Mercator",
        proj4: "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +no_defs",
        area: [-180.0, -85.06, 180.0, 85.06],
    },
    CrsDef {
        epsg: 25832,
        name: "ETRS89 / UTM zone 32N",
        proj4: "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        area: [0.0, 30.0, 18.0, 84.0],
    },
    CrsDef {
        epsg: 25833,
        name: "ETRS89 / UTM zone 33N",
        proj4: "+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        area: [6.0, 30.0, 24.0, 84.0],
    },
    CrsDef {
        epsg: 32632,
        name: "WGS 84 / UTM zone 32N",
        proj4: "+proj=utm +zone=32 +datum=WGS84 +units=m +no_defs",
        area: [0.0, 0.0, 18.0, 84.0],
    },
    CrsDef {
        epsg: 26910,
        name: "NAD83 / UTM zone 10N",
        proj4: "+proj=utm +zone=10 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        area: [-132.0, 30.0, -114.0, 84.0],
    },
    CrsDef {
        epsg: 27700,
        name: "OSGB36 / British National Grid",
        proj4: "+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy +towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs",
        area: [-9.01, 49.75, 2.01, 61.01],
    },
];

/// A CRS ready to transform to WGS84 lon/lat.
pub struct Crs {
    def: CrsDef,
    src: Proj,
    dst: Proj,
}

impl std::fmt::Debug for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EPSG:{} ({})", self.def.epsg, self.def.name)
    }
}

impl Crs {
    /// The CRS with this EPSG code, if supported.
    pub fn from_epsg(epsg: u16) -> Result<Crs, String> {
        let def = KNOWN
            .iter()
            .find(|d| d.epsg == epsg)
            .copied()
            .ok_or_else(|| {
                let list: Vec<String> = KNOWN.iter().map(|d| format!("EPSG:{}", d.epsg)).collect();
                format!(
                    "EPSG:{epsg} is not supported; supported: {}",
                    list.join(", ")
                )
            })?;
        let src = Proj::from_proj_string(def.proj4).map_err(|e| format!("EPSG:{epsg}: {e}"))?;
        let dst = Proj::from_proj_string(KNOWN[0].proj4).map_err(|e| format!("EPSG:4326: {e}"))?;
        Ok(Crs { def, src, dst })
    }

    /// Parses `EPSG:N`, `epsg:N`, `N`, or an OGC URN/URL naming an EPSG code
    /// (`urn:ogc:def:crs:EPSG::25832`); `CRS84` and `OGC:1.3:CRS84` mean WGS84 lon/lat.
    ///
    /// ```
    /// use hotspot::ingest::crs::Crs;
    /// let utm32 = Crs::parse("urn:ogc:def:crs:EPSG::25832").unwrap();
    /// let (lon, lat) = utm32.to_lonlat(723_594.619, 6_176_812.689).unwrap();
    /// assert!((lon - 12.5571030).abs() < 1e-7 && (lat - 55.6854950).abs() < 1e-7);
    /// ```
    pub fn parse(s: &str) -> Result<Crs, String> {
        let t = s.trim();
        let upper = t.to_ascii_uppercase();
        if upper.ends_with("CRS84") {
            return Crs::from_epsg(4326);
        }
        let digits: String = upper
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap_or("")
            .to_owned();
        if !upper.contains("EPSG") && upper != digits {
            return Err(format!("'{t}' is not a CRS like EPSG:25832"));
        }
        let code: u16 = digits
            .parse()
            .map_err(|_| format!("'{t}' is not a CRS like EPSG:25832"))?;
        Crs::from_epsg(code)
    }

    /// The definition.
    pub fn def(&self) -> &CrsDef {
        &self.def
    }

    /// Whether coordinates are already WGS84 lon/lat.
    pub fn is_wgs84(&self) -> bool {
        self.def.epsg == 4326
    }

    /// The area where this CRS is used, lon/lat.
    pub fn area(&self) -> LonLatBox {
        let [a, b, c, d] = self.def.area;
        LonLatBox {
            min_lon: a,
            min_lat: b,
            max_lon: c,
            max_lat: d,
        }
    }

    /// Transforms easting/northing (or lon/lat for geographic CRSs) to WGS84 lon/lat degrees.
    pub fn to_lonlat(&self, x: f64, y: f64) -> Result<(f64, f64), String> {
        if !x.is_finite() || !y.is_finite() {
            return Err("coordinates are not finite numbers".into());
        }
        if self.is_wgs84() {
            return Ok((x, y));
        }
        let mut p = if self.src.is_latlong() {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&self.src, &self.dst, &mut p).map_err(|e| {
            format!(
                "cannot transform ({x}, {y}) from EPSG:{}: {e}",
                self.def.epsg
            )
        })?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        if !lon.is_finite() || !lat.is_finite() {
            return Err(format!(
                "({x}, {y}) has no position in EPSG:{}",
                self.def.epsg
            ));
        }
        Ok((lon, lat))
    }
}

impl Crs {
    /// Transforms WGS84 lon/lat degrees to this CRS (easting/northing in metres, or lon/lat
    /// degrees for geographic CRSs): the inverse of [`Crs::to_lonlat`].
    pub fn from_lonlat(&self, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err("coordinates are not finite numbers".into());
        }
        if self.is_wgs84() {
            return Ok((lon, lat));
        }
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.dst, &self.src, &mut p).map_err(|e| {
            format!(
                "cannot transform ({lon}, {lat}) to EPSG:{}: {e}",
                self.def.epsg
            )
        })?;
        if self.src.is_latlong() {
            Ok((p.0.to_degrees(), p.1.to_degrees()))
        } else {
            Ok((p.0, p.1))
        }
    }

    /// The ESRI WKT of this CRS for a Shapefile's `.prj`, for the CRSs exports offer
    /// (EPSG:4326 and EPSG:25832); `None` for the others.
    pub fn esri_wkt(&self) -> Option<&'static str> {
        match self.def.epsg {
            4326 => Some(
                r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#,
            ),
            25832 => Some(
                r#"PROJCS["ETRS_1989_UTM_Zone_32N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
            ),
            _ => None,
        }
    }
}

/// Finds the CRS of an ESRI or OGC WKT `.prj`: by its EPSG authority if it names one, else by
/// matching its projection parameters and datum against [`KNOWN`] (ESRI writes e.g.
/// `PROJCS["ETRS89_TM32",…]` with no code but the parameters of EPSG:25832).
pub fn from_prj(wkt: &str) -> Result<Crs, String> {
    let w: String = wkt.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = w.to_ascii_uppercase();
    // The root's authority is the last AUTHORITY in the text.
    if let Some(pos) = upper.rfind("AUTHORITY[\"EPSG\",") {
        let rest = &upper[pos + 18..];
        let code: String = rest
            .trim_start_matches('"')
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if let Ok(n) = code.parse::<u16>() {
            if upper.starts_with("PROJCS") || upper.starts_with("GEOGCS") {
                return Crs::from_epsg(n);
            }
        }
    }
    let param = |name: &str| -> Option<f64> {
        let key = format!("PARAMETER[\"{}\",", name.to_ascii_uppercase());
        let i = upper.find(&key)? + key.len();
        let v: String = upper[i..].chars().take_while(|c| *c != ']').collect();
        v.parse().ok()
    };
    let spheroid_rf = upper.find("SPHEROID[").and_then(|i| {
        let parts: Vec<&str> = upper[i..].splitn(4, ',').collect();
        parts
            .get(2)
            .and_then(|s| s.trim_end_matches(']').parse::<f64>().ok())
    });
    let datum = |needle: &str| upper.contains(needle);
    let grs80 = spheroid_rf.is_some_and(|rf| (rf - 298.257_222_101).abs() < 1e-6);
    let wgs84_ell = spheroid_rf.is_some_and(|rf| (rf - 298.257_223_563).abs() < 1e-6);
    let airy = spheroid_rf.is_some_and(|rf| (rf - 299.324_964_6).abs() < 1e-4);
    let etrs = datum("ETRS") || datum("EUROPEAN_TERRESTRIAL");
    let nad83 = datum("NORTH_AMERICAN_1983") || datum("NAD83");

    if upper.starts_with("GEOGCS") {
        if wgs84_ell || (grs80 && etrs) {
            return Crs::from_epsg(if etrs { 4258 } else { 4326 });
        }
        return Err("unrecognised geographic CRS in .prj; give --crs EPSG:N".into());
    }
    if !upper.starts_with("PROJCS") {
        return Err("the .prj is not WKT (no PROJCS or GEOGCS); give --crs EPSG:N".into());
    }
    let eq = |a: Option<f64>, b: f64| a.is_some_and(|v| (v - b).abs() < 1e-9);
    if upper.contains("PROJECTION[\"TRANSVERSE_MERCATOR\"]")
        && eq(param("scale_factor"), 0.9996)
        && eq(param("false_easting"), 500_000.0)
        && eq(param("false_northing"), 0.0)
        && param("latitude_of_origin").unwrap_or(0.0) == 0.0
    {
        let cm = param("central_meridian").ok_or("the .prj has no central_meridian")?;
        let zone = ((cm + 183.0) / 6.0).round() as i32;
        if (cm - (zone as f64 * 6.0 - 183.0)).abs() < 1e-9 {
            let epsg = match (zone, etrs && grs80, wgs84_ell, nad83 && grs80) {
                (32, true, _, _) => Some(25832),
                (33, true, _, _) => Some(25833),
                (32, _, true, _) => Some(32632),
                (10, _, _, true) => Some(26910),
                _ => None,
            };
            if let Some(e) = epsg {
                return Crs::from_epsg(e);
            }
        }
    }
    if upper.contains("PROJECTION[\"TRANSVERSE_MERCATOR\"]")
        && airy
        && eq(param("central_meridian"), -2.0)
        && eq(param("latitude_of_origin"), 49.0)
        && eq(param("false_easting"), 400_000.0)
        && eq(param("false_northing"), -100_000.0)
    {
        return Crs::from_epsg(27700);
    }
    if upper.contains("MERCATOR_AUXILIARY_SPHERE")
        || upper.contains("PSEUDO-MERCATOR")
        || upper.contains("POPULAR_VISUALISATION")
    {
        return Crs::from_epsg(3857);
    }
    Err("the .prj names a projection hotspot does not recognise; give --crs EPSG:N".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_crs_names() {
        assert_eq!(Crs::parse("EPSG:25832").unwrap().def().epsg, 25832);
        assert_eq!(Crs::parse("epsg:4326").unwrap().def().epsg, 4326);
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:EPSG::4326").unwrap().def().epsg,
            4326
        );
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84")
                .unwrap()
                .def()
                .epsg,
            4326
        );
        assert_eq!(Crs::parse("27700").unwrap().def().epsg, 27700);
        assert!(Crs::parse("EPSG:9999")
            .unwrap_err()
            .contains("not supported"));
        assert!(Crs::parse("utm32").is_err());
    }

    #[test]
    fn esri_prj_without_code_is_25832() {
        let prj = r#"PROJCS["ETRS89_TM32",GEOGCS["GCS_ETRS89",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",9],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["Meter",1]]"#;
        assert_eq!(from_prj(prj).unwrap().def().epsg, 25832);
        let bng = r#"PROJCS["British_National_Grid",GEOGCS["GCS_OSGB_1936",DATUM["D_OSGB_1936",SPHEROID["Airy_1830",6377563.396,299.3249646]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",400000.0],PARAMETER["False_Northing",-100000.0],PARAMETER["Central_Meridian",-2.0],PARAMETER["Scale_Factor",0.9996012717],PARAMETER["Latitude_Of_Origin",49.0],UNIT["Meter",1.0]]"#;
        assert_eq!(from_prj(bng).unwrap().def().epsg, 27700);
        assert!(from_prj("LOCAL_CS[\"x\"]").is_err());
    }

    #[test]
    fn utm32_vertex_of_blaagaards_rode() {
        // A vertex of rode 124 (Blågårds); pyproj: (723594.619, 6176812.689) → (12.5571029951, 55.6854949996).
        let crs = Crs::from_epsg(25832).unwrap();
        let (lon, lat) = crs.to_lonlat(723_594.619, 6_176_812.689).unwrap();
        assert!(
            (lon - 12.557_102_995_1).abs() < 1e-9 && (lat - 55.685_494_999_6).abs() < 1e-9,
            "{lon} {lat}"
        );
    }
}
