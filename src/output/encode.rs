//! Writing features as GeoJSON and CSV straight into a byte buffer: `items` pages of 10,000
//! features are the hot path, so no intermediate JSON tree is built. Coordinates are written
//! with 7 decimals (about 1 cm), times as RFC 3339 UTC.

use crate::model::{time, District, Incident, Observation};

/// Appends a float rounded to 7 decimals (about 1 cm in degrees), as fixed-point decimal
/// without trailing zeros: the same text as the shortest round-trip form of the rounded value,
/// but written with integer arithmetic (this is the hot path of `items`).
pub fn coord(out: &mut Vec<u8>, v: f64) {
    let scaled = (v * 1e7).round();
    if !scaled.is_finite() || scaled.abs() >= 9e15 {
        // Not a coordinate; keep JSON valid all the same.
        let mut buf = ryu::Buffer::new();
        out.extend_from_slice(
            if v.is_finite() {
                buf.format_finite(v)
            } else {
                "null"
            }
            .as_bytes(),
        );
        return;
    }
    let n = scaled as i64;
    if n < 0 {
        out.push(b'-');
    }
    let n = n.unsigned_abs();
    let (int, mut frac) = (n / 10_000_000, n % 10_000_000);
    out.extend_from_slice(itoa::Buffer::new().format(int).as_bytes());
    if frac != 0 {
        let mut digits = 7;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        out.push(b'.');
        let mut buf = [b'0'; 7];
        for i in (0..digits).rev() {
            buf[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.extend_from_slice(&buf[..digits]);
    }
}

/// Appends a float in its shortest round-trip form, `null` when not finite: the text
/// `serde_json` writes for an `f64`.
pub fn number(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends a JSON string literal.
pub fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
}

fn point(out: &mut Vec<u8>, lon: f64, lat: f64) {
    out.extend_from_slice(br#""geometry":{"type":"Point","coordinates":["#);
    coord(out, lon);
    out.push(b',');
    coord(out, lat);
    out.extend_from_slice(b"]}");
}

/// Appends one incident as a GeoJSON Feature.
pub fn incident(out: &mut Vec<u8>, i: &Incident, source_id: &str) {
    out.extend_from_slice(br#"{"type":"Feature","id":"#);
    out.extend_from_slice(itoa::Buffer::new().format(i.id).as_bytes());
    out.push(b',');
    point(out, i.lon, i.lat);
    out.extend_from_slice(br#","properties":{"category":""#);
    out.extend_from_slice(i.category.code().as_bytes());
    out.extend_from_slice(br#"","occurred_at":""#);
    time::write_rfc3339(i.occurred_at, out);
    out.extend_from_slice(br#"","precision":""#);
    out.extend_from_slice(i.precision.code().as_bytes());
    out.extend_from_slice(br#"","source":"#);
    string(out, &i.source);
    out.extend_from_slice(br#","source_id":"#);
    string(out, source_id);
    out.extend_from_slice(b"}}");
}

/// Appends one observation as a GeoJSON Feature.
pub fn observation(out: &mut Vec<u8>, o: &Observation) {
    out.extend_from_slice(br#"{"type":"Feature","id":"#);
    out.extend_from_slice(itoa::Buffer::new().format(o.id).as_bytes());
    out.push(b',');
    point(out, o.lon, o.lat);
    out.extend_from_slice(br#","properties":{"kind":""#);
    out.extend_from_slice(o.kind.code().as_bytes());
    out.extend_from_slice(br#"","rating":"#);
    out.extend_from_slice(itoa::Buffer::new().format(o.rating).as_bytes());
    out.extend_from_slice(br#","note":"#);
    string(out, &o.note);
    out.extend_from_slice(br#","observed_at":""#);
    time::write_rfc3339(o.observed_at, out);
    out.extend_from_slice(br#"","source":"#);
    string(out, &o.source);
    out.extend_from_slice(br#","source_id":"#);
    string(out, &o.source_id);
    out.extend_from_slice(b"}}");
}

/// Appends one district as a GeoJSON Feature (id = the district id).
pub fn district(out: &mut Vec<u8>, d: &District) {
    let props = serde_json::json!({
        "id": d.id,
        "name": d.name,
        "level": d.level.code(),
        "population": d.population,
        "parent": d.parent,
    });
    out.extend_from_slice(br#"{"type":"Feature","id":"#);
    string(out, &d.id);
    out.extend_from_slice(br#","geometry":{"type":"MultiPolygon","coordinates":["#);
    for (pi, poly) in d.geometry.0.iter().enumerate() {
        if pi > 0 {
            out.push(b',');
        }
        out.push(b'[');
        for (ri, ring) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            if ri > 0 {
                out.push(b',');
            }
            out.push(b'[');
            for (ci, c) in ring.0.iter().enumerate() {
                if ci > 0 {
                    out.push(b',');
                }
                out.push(b'[');
                coord(out, c.x);
                out.push(b',');
                coord(out, c.y);
                out.push(b']');
            }
            out.push(b']');
        }
        out.push(b']');
    }
    out.extend_from_slice(br#"]},"properties":"#);
    serde_json::to_writer(&mut *out, &props).expect("writing to a Vec cannot fail");
    out.push(b'}');
}

/// Header of the incidents CSV.
pub const INCIDENT_CSV_HEADER: [&str; 8] = [
    "id",
    "lon",
    "lat",
    "category",
    "occurred_at",
    "precision",
    "source",
    "source_id",
];

/// Header of the observations CSV.
pub const OBSERVATION_CSV_HEADER: [&str; 9] = [
    "id",
    "lon",
    "lat",
    "kind",
    "rating",
    "note",
    "observed_at",
    "source",
    "source_id",
];

fn fmt_coord(v: f64) -> String {
    let mut b = Vec::with_capacity(12);
    coord(&mut b, v);
    String::from_utf8(b).expect("ASCII")
}

/// One incident as a CSV record in [`INCIDENT_CSV_HEADER`] order.
pub fn incident_record(i: &Incident, source_id: &str) -> [String; 8] {
    [
        i.id.to_string(),
        fmt_coord(i.lon),
        fmt_coord(i.lat),
        i.category.code().to_owned(),
        time::rfc3339(i.occurred_at),
        i.precision.code().to_owned(),
        i.source.to_string(),
        source_id.to_owned(),
    ]
}

/// One observation as a CSV record in [`OBSERVATION_CSV_HEADER`] order.
pub fn observation_record(o: &Observation) -> [String; 9] {
    [
        o.id.to_string(),
        fmt_coord(o.lon),
        fmt_coord(o.lat),
        o.kind.code().to_owned(),
        o.rating.to_string(),
        o.note.clone(),
        time::rfc3339(o.observed_at),
        o.source.clone(),
        o.source_id.clone(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, Precision};

    #[test]
    fn incident_is_valid_geojson() {
        let i = Incident {
            id: 7,
            category: Category::Drugs,
            occurred_at: 1_300_000_000,
            lon: 12.554_712_345_6,
            lat: 55.686_6,
            precision: Precision::Street,
            source: "a \"quoted\" source".into(),
        };
        let mut out = Vec::new();
        incident(&mut out, &i, "x-1");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["geometry"]["coordinates"][0], 12.5547123);
        assert_eq!(v["geometry"]["coordinates"][1], 55.6866);
        assert_eq!(v["properties"]["occurred_at"], "2011-03-13T07:06:40Z");
        assert_eq!(v["properties"]["source"], "a \"quoted\" source");
    }

    #[test]
    fn coords_match_the_shortest_form_of_the_rounded_value() {
        for v in [
            12.554_712_345_6,
            -0.000_000_04,
            -12.5,
            55.686_6,
            0.1,
            180.0,
            -179.999_999_95,
            1e-7,
        ] {
            let mut out = Vec::new();
            coord(&mut out, v);
            let rounded = (v * 1e7).round() / 1e7;
            let parsed: f64 = std::str::from_utf8(&out).unwrap().parse().unwrap();
            assert_eq!(parsed, rounded, "{v}");
        }
        let mut out = Vec::new();
        string(&mut out, "tab\there \"q\"");
        assert_eq!(
            serde_json::from_slice::<String>(&out).unwrap(),
            "tab\there \"q\""
        );
    }

    #[test]
    fn whole_numbers_stay_numbers() {
        let mut out = Vec::new();
        coord(&mut out, 12.0);
        assert_eq!(out, b"12");
        out.clear();
        coord(&mut out, -0.00000004);
        assert_eq!(serde_json::from_slice::<f64>(&out).unwrap(), 0.0);
    }
}
