//! Imports: coordinate transforms against pyproj, a Latin-1 Shapefile in EPSG:25832 with an
//! ESRI .prj, the messy real files in ../shared/data (police.uk, VPD, kk_roder, OTM zones),
//! all-or-nothing and --skip-invalid, idempotent re-imports.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use geo::CoordsIter;
use hotspot::ingest::crs::Crs;
use hotspot::ingest::import;
use hotspot::ingest::{self, ImportOptions, Records};
use hotspot::model::Layer;
use hotspot::store::Store;
use serde_json::Value;

/// Metres between two lon/lat points (local approximation, fine at centimetre scale).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let k = 111_320.0;
    let dx = (a.0 - b.0) * k * a.1.to_radians().cos();
    let dy = (a.1 - b.1) * k;
    (dx * dx + dy * dy).sqrt()
}

#[test]
fn transforms_agree_with_pyproj_within_a_centimetre() {
    let mut rdr = csv::Reader::from_path(common::fixture("transforms/points.csv")).unwrap();
    let mut worst: BTreeMap<u16, f64> = BTreeMap::new();
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        let f = |i: usize| row[i].parse::<f64>().unwrap();
        let epsg: u16 = row[0].parse().unwrap();
        let crs = Crs::from_epsg(epsg).unwrap();
        let got = crs.to_lonlat(f(1), f(2)).unwrap();
        let d = metres(got, (f(3), f(4)));
        let w = worst.entry(epsg).or_default();
        *w = w.max(d);
        n += 1;
    }
    assert_eq!(n, 90);
    for (epsg, d) in &worst {
        assert!(*d <= 0.01, "EPSG:{epsg}: {d} m from pyproj");
    }
    assert_eq!(worst.len(), 6, "{worst:?}");
}

fn opts() -> ImportOptions {
    ImportOptions::default()
}

#[test]
fn latin1_shapefile_in_utm32_with_esri_prj() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("shapefile/expected.json")).unwrap(),
    )
    .unwrap();
    let o = ImportOptions {
        level: Some("rode".into()),
        id_field: Some("RODE_NR".into()),
        name_field: Some("RODENAVN".into()),
        ..opts()
    };
    let Records::Districts(p) = ingest::read_file(
        Layer::Districts,
        &common::fixture("shapefile/roder_d8.shp"),
        &o,
    )
    .unwrap() else {
        panic!("districts expected")
    };
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    assert!(
        p.notes.iter().any(|n| n.contains("EPSG:25832")),
        "{:?}",
        p.notes
    );
    assert!(
        p.notes.iter().any(|n| n.contains("Windows-1252")),
        "{:?}",
        p.notes
    );
    let records = expected["records"].as_array().unwrap();
    assert_eq!(p.records.len(), records.len());
    assert_eq!(p.records.len(), 15);
    for (d, e) in p.records.iter().zip(records) {
        assert_eq!(d.id, format!("rode-{}", e["rode_nr"]));
        assert_eq!(
            d.name,
            e["rodenavn"].as_str().unwrap(),
            "Danish letters survive the Latin-1 .dbf"
        );
        let ours: Vec<(f64, f64)> = d.geometry.coords_iter().map(|c| (c.x, c.y)).collect();
        for v in e["lonlat"].as_array().unwrap() {
            let want = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            let best = ours
                .iter()
                .map(|&p| metres(p, want))
                .fold(f64::MAX, f64::min);
            assert!(
                best <= 0.01,
                "{}: vertex {want:?} is {best} m from ours",
                d.id
            );
        }
    }
    assert!(p
        .records
        .iter()
        .any(|d| d.name.contains('å') || d.name.contains('Å')));
}

#[test]
fn otm_zones_shapefile_from_shared_data() {
    let Some(dir) = common::shared_data("otm_zones_utm32_shp") else {
        return;
    };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("shapefile/otm_zones_expected.json")).unwrap(),
    )
    .unwrap();
    let o = ImportOptions {
        level: Some("rode".into()),
        id_field: Some("zoneid".into()),
        name_field: Some("zonenavn".into()),
        ..opts()
    };
    let Records::Districts(p) =
        ingest::read_file(Layer::Districts, &dir.join("zones-unprojected.shp"), &o).unwrap()
    else {
        panic!()
    };
    assert_eq!(p.read, expected["records"].as_u64().unwrap() as usize);
    let first = &p.records[0];
    assert_eq!(
        first.name,
        expected["first"]["attributes"]["zonenavn"]
            .as_str()
            .unwrap()
    );
    assert_eq!(first.name, "Brøndbyvester");
    let v = &expected["first"]["first_vertex_lonlat"];
    let want = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let best = first
        .geometry
        .coords_iter()
        .map(|c| metres((c.x, c.y), want))
        .fold(f64::MAX, f64::min);
    assert!(best <= 0.01, "{best} m");
}

#[test]
fn kk_roder_invalid_polygons_are_repaired_or_reported() {
    let Some(dir) = common::shared_data("kk_roder") else {
        return;
    };
    let o = ImportOptions {
        level: Some("rode".into()),
        id_field: Some("rode_nr".into()),
        name_field: Some("rodenavn".into()),
        ..opts()
    };
    let Records::Districts(p) =
        ingest::read_file(Layer::Districts, &dir.join("rode.geojson"), &o).unwrap()
    else {
        panic!()
    };
    assert_eq!(p.read, 399);
    // Both self-intersecting roder are repaired, each said so by name, and the repair keeps
    // the area the source states (areal_m2) within 1 %; nothing is refused.
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    let source: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("rode.geojson")).unwrap()).unwrap();
    for (id, nr) in [("rode-278", 278), ("rode-262", 262)] {
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains(&format!("({id})")) && n.contains("repaired")),
            "{id}: {:?}",
            p.notes
        );
        let stated = source["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["rode_nr"] == nr)
            .unwrap()["properties"]["areal_m2"]
            .as_f64()
            .unwrap();
        let d = p.records.iter().find(|d| d.id == id).unwrap();
        use geo::Area;
        let m2 = d.geometry.unsigned_area() * 111_320.0 * 111_320.0 * 55.7f64.to_radians().cos();
        assert!(
            (m2 - stated).abs() / stated < 0.01,
            "{id}: {m2} m² vs stated {stated}"
        );
    }
    use geo::Validation;
    assert!(p.records.iter().all(|d| d.geometry.is_valid()));
    assert_eq!(p.records.len() + p.rejected.len(), 399);
}

/// Counts of a police CSV by an independent scan: (rows, ignored, rows without coordinates).
fn scan_police_uk(path: &Path) -> (usize, usize, usize) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let h: Vec<String> = rdr
        .headers()
        .unwrap()
        .iter()
        .map(|s| s.to_lowercase().replace(' ', "_"))
        .collect();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (ty, lon) = (col("crime_type"), col("longitude"));
    let (mut rows, mut ignored, mut nocoord) = (0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        if r[ty] == *"Anti-social behaviour" || r[ty] == *"Other crime" {
            ignored += 1;
        } else if r[lon].trim().is_empty() {
            nocoord += 1;
        }
    }
    (rows, ignored, nocoord)
}

#[test]
fn police_uk_essex_counts_categories_and_times() {
    let Some(dir) = common::shared_data("uk_police_essex_2022_12") else {
        return;
    };
    let file = dir.join("2022_12_essex_crimes_by_street.csv");
    let (rows, ignored, nocoord) = scan_police_uk(&file);
    let data = common::temp_dir("essex");
    let mut store = Store::open(&data).unwrap();
    // All-or-nothing: rows without coordinates stop the import and nothing is written.
    let s = import::import_file(&mut store, Layer::Incidents, &file, &opts(), false).unwrap();
    assert!(!s.committed);
    assert_eq!(s.rejected.len(), nocoord);
    assert!(s
        .rejected
        .iter()
        .all(|r| r.reason == "no coordinates" && r.location.starts_with("line ")));
    assert_eq!(store.count(Layer::Incidents).unwrap(), 0);
    // --skip-invalid imports the rest, exactly.
    let s = import::import_file(&mut store, Layer::Incidents, &file, &opts(), true).unwrap();
    assert_eq!(s.read, rows);
    assert_eq!(s.ignored.values().sum::<usize>(), ignored);
    assert_eq!(s.imported, rows - ignored - nocoord);
    let stored = store.load_incidents(true).unwrap();
    assert_eq!(stored.len(), s.imported);
    let dec1 = hotspot::model::time::parse_rfc3339("2022-12-01T00:00:00Z").unwrap();
    assert!(
        stored.iter().all(|i| i.occurred_at == dec1),
        "month-only times land on the 1st, London time"
    );
    assert!(
        stored
            .iter()
            .all(|i| i.lon > -1.0 && i.lon < 1.5 && i.lat > 51.0 && i.lat < 52.5),
        "in Essex"
    );
    // Category mapping: "Vehicle crime" rows are theft, "Criminal damage and arson" vandalism.
    let mut rdr = csv::Reader::from_path(&file).unwrap();
    let want_vandalism = rdr
        .records()
        .filter_map(Result::ok)
        .filter(|r| &r[9] == "Criminal damage and arson" && !r[4].is_empty())
        .count();
    let got = stored
        .iter()
        .filter(|i| i.category.code() == "vandalism")
        .count();
    assert_eq!(got, want_vandalism);
    // Re-import is idempotent.
    let again = import::import_file(&mut store, Layer::Incidents, &file, &opts(), true).unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(again.duplicates, s.imported);
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn police_uk_essex_2018_all_months() {
    let Some(dir) = common::shared_data("uk_police_essex_2018") else {
        return;
    };
    let data = common::temp_dir("essex18");
    let mut store = Store::open(&data).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 7);
    let (mut rows, mut imported) = (0, 0);
    for f in &files {
        let (r, ig, nc) = scan_police_uk(f);
        let s = import::import_file(&mut store, Layer::Incidents, f, &opts(), true).unwrap();
        assert_eq!(s.read, r);
        assert_eq!(s.rejected.len(), nc, "{}", f.display());
        assert_eq!(s.imported + s.duplicates, r - ig - nc);
        rows += r;
        imported += s.imported;
    }
    assert_eq!(rows, 115_065);
    assert_eq!(store.count(Layer::Incidents).unwrap() as usize, imported);
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn vancouver_vpd_zero_zero_rows_and_local_times() {
    let Some(dir) = common::shared_data("vancouver_vpd_2022") else {
        return;
    };
    let file = dir.join("crimedata_csv_AllNeighbourhoods_2022.csv");
    let mut rdr = csv::Reader::from_path(&file).unwrap();
    let (mut rows, mut collisions, mut zero) = (0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        if r[0].starts_with("Vehicle Collision") {
            collisions += 1;
        } else if r[8].parse::<f64>().unwrap() == 0.0 && r[9].parse::<f64>().unwrap() == 0.0 {
            zero += 1;
        }
    }
    let Records::Incidents(p) = ingest::read_file(Layer::Incidents, &file, &opts()).unwrap() else {
        panic!()
    };
    assert_eq!(p.read, rows);
    assert_eq!(p.ignored_count(), collisions);
    assert_eq!(
        p.rejected.len(),
        zero,
        "every 0,0 row is refused and counted"
    );
    assert!(p.rejected.iter().all(|r| r.reason.contains("0,0")));
    assert_eq!(p.records.len(), rows - collisions - zero);
    assert!(
        p.records
            .iter()
            .all(|i| i.lon > -123.3 && i.lon < -123.0 && i.lat > 49.19 && i.lat < 49.33),
        "in Vancouver"
    );
    // The first row with a position, checked by hand against pyproj-style UTM 10N → WGS84 and
    // Vancouver local time (PST/PDT).
    let mut rdr = csv::Reader::from_path(&file).unwrap();
    let (line, row) = rdr
        .records()
        .map(Result::unwrap)
        .enumerate()
        .find(|(_, r)| {
            !r[0].starts_with("Vehicle Collision") && r[8].parse::<f64>().unwrap() != 0.0
        })
        .unwrap();
    let inc = p
        .records
        .iter()
        .find(|i| i.source_id.ends_with(&format!(":{}", line + 2)))
        .unwrap();
    let tz: chrono_tz::Tz = "America/Vancouver".parse().unwrap();
    use chrono::TimeZone;
    let f = |i: usize| row[i].parse::<u32>().unwrap();
    let want = tz
        .with_ymd_and_hms(f(1) as i32, f(2), f(3), f(4), f(5), 0)
        .earliest()
        .unwrap()
        .timestamp();
    assert_eq!(inc.occurred_at, want);
}

fn geojson_incidents(features: &[Value]) -> String {
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

fn feature(i: usize, lon: Value, lat: f64, category: &str) -> Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"category": category, "occurred_at": "2012-05-01T21:30:00+02:00", "source_id": format!("t-{i}")}
    })
}

#[test]
fn a_bad_feature_in_the_middle_changes_nothing() {
    let data = common::temp_dir("aon");
    let file = data.join("incidents.geojson");
    let mut fs: Vec<Value> = (0..50)
        .map(|i| feature(i, 12.55.into(), 55.686, "theft"))
        .collect();
    fs[25] = feature(25, 12.55.into(), 95.0, "theft");
    fs[30] = feature(30, 0.0.into(), 0.0, "theft");
    fs[31] = feature(31, 12.55.into(), 55.686, "murder");
    std::fs::write(&file, geojson_incidents(&fs)).unwrap();
    let mut store = Store::open(&data.join("var")).unwrap();
    let s = import::import_file(&mut store, Layer::Incidents, &file, &opts(), false).unwrap();
    assert!(!s.committed);
    let reasons: Vec<String> = s
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.location, r.reason))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].starts_with("feature 25: latitude 95"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("feature 30: coordinates are 0,0"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("feature 31: category: unknown 'murder'"),
        "{reasons:?}"
    );
    assert_eq!(store.count(Layer::Incidents).unwrap(), 0, "nothing written");
    let s = import::import_file(&mut store, Layer::Incidents, &file, &opts(), true).unwrap();
    assert_eq!(s.imported, 47);
    let stored = store.load_incidents(true).unwrap();
    assert_eq!(
        hotspot::model::time::rfc3339(stored[0].occurred_at),
        "2012-05-01T19:30:00Z"
    );
    let rejects = import::write_rejects(&data.join("imports"), &file, &s).unwrap();
    let text = std::fs::read_to_string(rejects).unwrap();
    assert_eq!(text.lines().count(), 4);
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn legacy_crs_member_and_swapped_axes() {
    // Københavns Kommune's files carry an EPSG:4326 URN but lon/lat order.
    let Some(dir) = common::shared_data("kk_bydele") else {
        return;
    };
    let o = ImportOptions {
        level: Some("bydel".into()),
        id_field: Some("bydel_nr".into()),
        name_field: Some("navn".into()),
        ..opts()
    };
    let Records::Districts(p) =
        ingest::read_file(Layer::Districts, &dir.join("bydel.json"), &o).unwrap()
    else {
        panic!()
    };
    assert_eq!(p.records.len(), 10);
    let norrebro = p.records.iter().find(|d| d.name == "Nørrebro").unwrap();
    assert_eq!(norrebro.id, "bydel-3");
    assert!(norrebro
        .geometry
        .coords_iter()
        .all(|c| c.x > 12.0 && c.x < 13.0 && c.y > 55.0 && c.y < 56.0));

    // A region catches lat,lon written the wrong way round.
    let data = common::temp_dir("swap");
    let file = data.join("swapped.geojson");
    std::fs::write(
        &file,
        geojson_incidents(&[feature(0, 55.686.into(), 12.55, "theft")]),
    )
    .unwrap();
    let o = ImportOptions {
        region: Some(hotspot::index::LonLatBox {
            min_lon: 12.4,
            min_lat: 55.6,
            max_lon: 12.7,
            max_lat: 55.75,
        }),
        ..opts()
    };
    let Records::Incidents(p) = ingest::read_file(Layer::Incidents, &file, &o).unwrap() else {
        panic!()
    };
    assert!(p.rejected[0].reason.contains("swapped"), "{:?}", p.rejected);
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn export_imports_back_unchanged() {
    let bin = env!("CARGO_BIN_EXE_hotspot");
    let demo = common::demo_data_dir();
    let dir = common::temp_dir("export");
    let out = dir.join("incidents.geojson");
    let run = |args: &[&str], data: &Path| {
        let o = std::process::Command::new(bin)
            .args(args)
            .arg("--data-dir")
            .arg(data)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let said = run(
        &[
            "export",
            "incidents",
            "--district",
            "district-8",
            "--out",
            out.to_str().unwrap(),
        ],
        demo,
    );
    let original: Vec<_> = {
        let store = Store::open(demo).unwrap();
        let cat = hotspot::catalog::Catalog::load(&store, true).unwrap();
        let d8 = cat.district("district-8").unwrap().geometry.clone();
        use geo::Intersects;
        (0..cat.incidents.len())
            .filter(|&p| {
                let i = &cat.incidents[p];
                d8.intersects(&geo::Point::new(i.lon, i.lat))
            })
            .map(|p| (cat.incidents[p], cat.incidents.source_id(p).to_owned()))
            .collect()
    };
    assert!(
        said.contains(&format!("wrote {} incidents", original.len())),
        "{said}"
    );
    run(
        &["import", "incidents", out.to_str().unwrap()],
        &dir.join("var"),
    );
    let back = Store::open(&dir.join("var"))
        .unwrap()
        .load_incidents(true)
        .unwrap();
    assert_eq!(back.len(), original.len());
    for (n, ((a, a_id), b)) in original.iter().zip(back.iter()).enumerate() {
        assert_eq!(
            (
                a.category,
                a.occurred_at,
                a.precision,
                a.source,
                a_id.as_str()
            ),
            (
                b.category,
                b.occurred_at,
                b.precision,
                b.source,
                back.source_id(n)
            )
        );
        assert!((a.lon - b.lon).abs() < 1e-7 && (a.lat - b.lat).abs() < 1e-7);
    }
    // CSV export of a filtered layer.
    let csv_out = dir.join("violence.csv");
    run(
        &[
            "export",
            "incidents",
            "--format",
            "csv",
            "--category",
            "violence",
            "--datetime",
            "2012-01-01/2012-12-31",
            "--out",
            csv_out.to_str().unwrap(),
        ],
        demo,
    );
    let mut rdr = csv::Reader::from_path(&csv_out).unwrap();
    // Dates are Copenhagen calendar days.
    let (lo, hi) = (
        hotspot::model::time::parse_rfc3339("2011-12-31T23:00:00Z").unwrap(),
        hotspot::model::time::parse_rfc3339("2012-12-31T22:59:59Z").unwrap(),
    );
    assert!(rdr.records().map(Result::unwrap).all(|r| {
        let t = hotspot::model::time::parse_rfc3339(&r[4]).unwrap();
        &r[3] == "violence" && t >= lo && t <= hi
    }));
    let _ = std::fs::remove_dir_all(dir);
}

/// Copies the roder_d8 Shapefile fixture into `dir`; returns the copied `.shp`.
fn copy_roder(dir: &Path) -> std::path::PathBuf {
    for ext in ["shp", "shx", "dbf", "prj"] {
        std::fs::copy(
            common::fixture(&format!("shapefile/roder_d8.{ext}")),
            dir.join(format!("roder_d8.{ext}")),
        )
        .unwrap();
    }
    dir.join("roder_d8.shp")
}

/// Flags record `n` (from 0) of a `.dbf` deleted, as QGIS and ArcGIS leave a deleted feature
/// until the table is packed: the record's first byte becomes `*`. The header gives where the
/// records start (bytes 8–9) and their length (bytes 10–11).
fn flag_deleted(dbf: &Path, n: usize) {
    let mut b = std::fs::read(dbf).unwrap();
    let start = u16::from_le_bytes([b[8], b[9]]) as usize;
    let len = u16::from_le_bytes([b[10], b[11]]) as usize;
    assert_eq!(b[start + n * len], b' ', "record {n} was live");
    b[start + n * len] = b'*';
    std::fs::write(dbf, b).unwrap();
}

fn roder_options() -> ImportOptions {
    ImportOptions {
        level: Some("rode".into()),
        id_field: Some("RODE_NR".into()),
        name_field: Some("RODENAVN".into()),
        ..opts()
    }
}

#[test]
fn shapefile_record_flagged_deleted_leaves_out_its_shape_and_shifts_nothing() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("shapefile/expected.json")).unwrap(),
    )
    .unwrap();
    let expected = expected["records"].as_array().unwrap();
    let dir = common::temp_dir("shpdel");
    let shp = copy_roder(&dir);
    flag_deleted(&shp.with_extension("dbf"), 1);
    flag_deleted(&shp.with_extension("dbf"), 9);
    let Records::Districts(p) =
        ingest::read_file(Layer::Districts, &shp, &roder_options()).unwrap()
    else {
        panic!("districts expected")
    };
    assert!(p.rejected.is_empty(), "{:?}", p.rejected);
    let ids: Vec<&str> = p.records.iter().map(|d| d.id.as_str()).collect();
    assert!(
        !ids.contains(&"rode-125") && !ids.contains(&"rode-133"),
        "{ids:?}"
    );
    assert_eq!(ids.len(), 13);
    // Every rode keeps its own name with its own polygon: each expected vertex is on it.
    for d in &p.records {
        let e = expected
            .iter()
            .find(|e| format!("rode-{}", e["rode_nr"]) == d.id)
            .unwrap();
        assert_eq!(d.name, e["rodenavn"].as_str().unwrap());
        let ours: Vec<(f64, f64)> = d.geometry.coords_iter().map(|c| (c.x, c.y)).collect();
        assert_eq!(
            ours.len(),
            e["lonlat"].as_array().unwrap().len(),
            "{}",
            d.id
        );
        for v in e["lonlat"].as_array().unwrap() {
            let want = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            let best = ours
                .iter()
                .map(|&p| metres(p, want))
                .fold(f64::MAX, f64::min);
            assert!(best <= 0.01, "{} has another rode's polygon", d.id);
        }
    }
    assert_eq!(p.read, 13);
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains("deleted") && n.contains("record 1, 9")),
        "{:?}",
        p.notes
    );
    // Through the all-or-nothing import, too.
    let mut store = Store::open(&dir.join("var")).unwrap();
    let s =
        import::import_file(&mut store, Layer::Districts, &shp, &roder_options(), false).unwrap();
    assert!(s.committed && s.imported == 13, "{s:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Writes a Shapefile of `n` small squares on Indre Nørrebro (WGS84 lon/lat, no `.prj`), each
/// with a rode's `id`, `name` and `level`.
fn write_squares(shp: &Path, n: usize) {
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let table = TableWriterBuilder::new()
        .add_numeric_field(FieldName::try_from("id").unwrap(), 6, 0)
        .add_character_field(FieldName::try_from("name").unwrap(), 20)
        .add_character_field(FieldName::try_from("level").unwrap(), 10);
    let mut w = shapefile::Writer::from_path(shp, table).unwrap();
    for i in 0..n {
        let (x, y, d) = (12.55 + i as f64 * 0.002, 55.69, 0.001);
        let ring = vec![
            shapefile::Point::new(x, y),
            shapefile::Point::new(x, y + d),
            shapefile::Point::new(x + d, y + d),
            shapefile::Point::new(x + d, y),
            shapefile::Point::new(x, y),
        ];
        let mut r = Record::default();
        r.insert("id".into(), FieldValue::Numeric(Some(i as f64 + 1.0)));
        r.insert(
            "name".into(),
            FieldValue::Character(Some(format!("Square {}", i + 1))),
        );
        r.insert("level".into(), FieldValue::Character(Some("rode".into())));
        w.write_shape_and_record(
            &shapefile::Polygon::new(shapefile::PolygonRing::Outer(ring)),
            &r,
        )
        .unwrap();
    }
}

#[test]
fn shapefile_with_more_shapes_or_more_records_is_refused_naming_both_counts() {
    let dir = common::temp_dir("shpcount");
    let (three, four) = (dir.join("three.shp"), dir.join("four.shp"));
    write_squares(&three, 3);
    write_squares(&four, 4);
    let o = ImportOptions {
        crs: Some("EPSG:4326".into()),
        ..opts()
    };
    let mut store = Store::open(&dir.join("var")).unwrap();
    // As written, both import whole.
    for (f, n) in [(&three, 3), (&four, 4)] {
        let Records::Districts(p) = ingest::read_file(Layer::Districts, f, &o).unwrap() else {
            panic!()
        };
        assert_eq!(
            (p.records.len(), p.rejected.len()),
            (n, 0),
            "{:?}",
            p.rejected
        );
    }
    // Swap the attribute tables: 3 shapes with 4 records, 4 shapes with 3 records.
    let (t3, t4) = (
        std::fs::read(three.with_extension("dbf")).unwrap(),
        std::fs::read(four.with_extension("dbf")).unwrap(),
    );
    std::fs::write(three.with_extension("dbf"), &t4).unwrap();
    std::fs::write(four.with_extension("dbf"), &t3).unwrap();
    for (f, shapes, records) in [(&three, 3, 4), (&four, 4, 3)] {
        let err = import::import_file(&mut store, Layer::Districts, f, &o, false)
            .expect_err("a count mismatch is refused")
            .to_string();
        assert!(
            err.starts_with(&f.display().to_string())
                && err.contains(&format!("{shapes} shapes"))
                && err.contains(&format!("{records} records")),
            "{err}"
        );
        assert!(!err.contains('\n'), "one line: {err}");
        // --skip-invalid does not pair them either.
        assert!(import::import_file(&mut store, Layer::Districts, f, &o, true).is_err());
    }
    assert_eq!(
        store.count(Layer::Districts).unwrap(),
        0,
        "nothing imported"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Reasons by location of a refused import, as `location: reason`.
fn refusals(s: &import::ImportSummary) -> Vec<String> {
    s.rejected
        .iter()
        .map(|r| format!("{}: {}", r.location, r.reason))
        .collect()
}

#[test]
fn times_before_1900_or_after_tomorrow_are_refused_in_csv_and_geojson() {
    let dir = common::temp_dir("times");
    let mut store = Store::open(&dir.join("var")).unwrap();
    let in_3_days = hotspot::model::time::rfc3339(chrono::Utc::now().timestamp() + 3 * 86_400);
    let today = hotspot::model::time::rfc3339(chrono::Utc::now().timestamp());

    // CSV, one datetime column.
    let csv = dir.join("times.csv");
    std::fs::write(
        &csv,
        format!(
            "lon,lat,type,when,id\n\
             12.55,55.686,theft,2012-05-01 21:30,a\n\
             12.55,55.686,theft,0001-01-01 00:00,b\n\
             12.55,55.686,theft,9999-12-31 23:59,c\n\
             12.55,55.686,theft,1899-12-31 23:59,d\n\
             12.55,55.686,theft,{in_3_days},e\n\
             12.55,55.686,theft,{today},f\n"
        ),
    )
    .unwrap();
    let mapping = |parts: bool| ImportOptions {
        mapping: ingest::CsvMapping {
            lon: Some("lon".into()),
            lat: Some("lat".into()),
            category: Some("type".into()),
            datetime: (!parts).then(|| "when".into()),
            year: parts.then(|| "y".into()),
            month: parts.then(|| "m".into()),
            day: parts.then(|| "d".into()),
            timezone: Some("UTC".into()),
            id: Some("id".into()),
            ..Default::default()
        },
        ..opts()
    };
    let s =
        import::import_file(&mut store, Layer::Incidents, &csv, &mapping(false), false).unwrap();
    let r = refusals(&s);
    assert!(!s.committed);
    assert_eq!(r.len(), 4, "{r:?}");
    assert_eq!(
        r[0],
        "line 3: datetime: '0001-01-01 00:00' is before 1900-01-01T00:00:00Z, the earliest time accepted"
    );
    assert!(
        r[1].starts_with("line 4: datetime: '9999-12-31 23:59' is more than one day in the future"),
        "{r:?}"
    );
    // The latest time accepted is named.
    assert!(r[1].contains("the latest time accepted is 2"), "{r:?}");
    assert!(
        r[2].starts_with("line 5: datetime: '1899-12-31 23:59' is before 1900"),
        "{r:?}"
    );
    assert!(
        r[3].starts_with(&format!(
            "line 6: datetime: '{in_3_days}' is more than one day"
        )),
        "{r:?}"
    );

    // CSV, year/month/day columns.
    let parts = dir.join("parts.csv");
    std::fs::write(
        &parts,
        "lon,lat,type,y,m,d,id\n12.55,55.686,theft,2012,5,1,a\n12.55,55.686,theft,1,1,1,b\n",
    )
    .unwrap();
    let s =
        import::import_file(&mut store, Layer::Incidents, &parts, &mapping(true), false).unwrap();
    assert_eq!(
        refusals(&s),
        ["line 3: datetime: '1-1-1' is before 1900-01-01T00:00:00Z, the earliest time accepted"]
    );

    // GeoJSON incidents and observations.
    let mut fs: Vec<Value> = (0..4)
        .map(|i| feature(i, 12.55.into(), 55.686, "theft"))
        .collect();
    fs[1]["properties"]["occurred_at"] = "0001-01-01T00:00:00Z".into();
    fs[2]["properties"]["occurred_at"] = "9999-12-31T23:59:59Z".into();
    let gj = dir.join("times.geojson");
    std::fs::write(&gj, geojson_incidents(&fs)).unwrap();
    let s = import::import_file(&mut store, Layer::Incidents, &gj, &opts(), false).unwrap();
    let r = refusals(&s);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0],
        "feature 1: occurred_at: '0001-01-01T00:00:00Z' is before 1900-01-01T00:00:00Z, the earliest time accepted"
    );
    assert!(
        r[1].starts_with(
            "feature 2: occurred_at: '9999-12-31T23:59:59Z' is more than one day in the future"
        ),
        "{r:?}"
    );
    let obs: Vec<Value> = ["2012-05-01T10:00:00Z", "1012-05-01T10:00:00Z", "2999-01-01"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [12.55, 55.686]},
                "properties": {"kind": "lighting", "rating": 2, "observed_at": t, "source_id": format!("o-{i}")}
            })
        })
        .collect();
    let og = dir.join("obs.geojson");
    std::fs::write(&og, geojson_incidents(&obs)).unwrap();
    let s = import::import_file(&mut store, Layer::Observations, &og, &opts(), false).unwrap();
    let r = refusals(&s);
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(
        r[0].starts_with("feature 1: observed_at: '1012-05-01T10:00:00Z' is before 1900"),
        "{r:?}"
    );
    assert!(
        r[1].starts_with("feature 2: observed_at: '2999-01-01' is more than one day"),
        "{r:?}"
    );

    assert_eq!(
        store.count(Layer::Incidents).unwrap(),
        0,
        "nothing imported"
    );
    assert_eq!(
        store.count(Layer::Observations).unwrap(),
        0,
        "nothing imported"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn geojson_with_a_utf8_byte_order_mark_imports() {
    let dir = common::temp_dir("bom");
    let file = dir.join("bom.geojson");
    let fs: Vec<Value> = (0..3)
        .map(|i| feature(i, 12.55.into(), 55.686, "theft"))
        .collect();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(geojson_incidents(&fs).as_bytes());
    std::fs::write(&file, &bytes).unwrap();
    let mut store = Store::open(&dir.join("var")).unwrap();
    let s = import::import_file(&mut store, Layer::Incidents, &file, &opts(), false)
        .expect("a BOM is not an error");
    assert!(s.committed && s.imported == 3, "{s:?}");
    // The reader uploads go through (POST …/items), too.
    let Records::Incidents(p) = ingest::read_from(
        Layer::Incidents,
        ingest::Format::GeoJson,
        "upload.geojson",
        bytes.as_slice(),
        &opts(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(p.records.len(), 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn csv_header_naming_a_column_twice_is_refused() {
    let dir = common::temp_dir("dupcol");
    let mut store = Store::open(&dir.join("var")).unwrap();
    let o = ImportOptions {
        mapping: ingest::CsvMapping {
            lon: Some("lon".into()),
            lat: Some("lat".into()),
            category: Some("type".into()),
            datetime: Some("when".into()),
            ..Default::default()
        },
        ..opts()
    };
    let cases = [
        (
            "lon,lat,type,when,type\n12.55,55.686,theft,2012-05-01,burglary\n",
            "header: column 'type' is named twice (columns 3 and 5)",
        ),
        (
            "lon,lat,Crime type,when,crime_type,type\n12.55,55.686,x,2012-05-01,y,theft\n",
            "header: columns 'Crime type' (3) and 'crime_type' (5) are the same name",
        ),
        // police.uk's header with Month twice: the preset is detected and still refused.
        (
            "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context,Month\n\
             a1,2012-03,X,X,12.5547,55.6866,On or near Blågårds Plads,,,Drugs,,,1999-01\n",
            "header: column 'Month' is named twice (columns 2 and 13)",
        ),
    ];
    for (n, (text, want)) in cases.iter().enumerate() {
        let f = dir.join(format!("dup{n}.csv"));
        std::fs::write(&f, text).unwrap();
        let o = if n == 2 { opts() } else { o.clone() };
        let err = import::import_file(&mut store, Layer::Incidents, &f, &o, true)
            .expect_err("refused")
            .to_string();
        assert!(
            err.starts_with(&format!("{}: {want}", f.display())),
            "{err}"
        );
    }
    // Unnamed columns (trailing delimiters) are not names and may repeat.
    let f = dir.join("trailing.csv");
    std::fs::write(&f, "lon,lat,type,when,,\n12.55,55.686,theft,2012-05-01,,\n").unwrap();
    let s = import::import_file(&mut store, Layer::Incidents, &f, &o, false).unwrap();
    assert_eq!(s.imported, 1, "{s:?}");
    assert_eq!(store.count(Layer::Incidents).unwrap(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn control_characters_in_ids_sources_names_and_notes_are_refused() {
    let dir = common::temp_dir("ctrl");
    let mut store = Store::open(&dir.join("var")).unwrap();

    // CSV: the id column (a tab, a line break inside a quoted field); --source.
    let csv = dir.join("ids.csv");
    std::fs::write(
        &csv,
        "lon,lat,type,when,id\n\
         12.55,55.686,theft,2012-05-01,KBH-1\n\
         12.55,55.686,theft,2012-05-01,\"KBH\t2\"\n\
         12.55,55.686,theft,2012-05-01,\"KBH-3\nforged line\"\n",
    )
    .unwrap();
    let o = ImportOptions {
        mapping: ingest::CsvMapping {
            lon: Some("lon".into()),
            lat: Some("lat".into()),
            category: Some("type".into()),
            datetime: Some("when".into()),
            id: Some("id".into()),
            ..Default::default()
        },
        ..opts()
    };
    let s = import::import_file(&mut store, Layer::Incidents, &csv, &o, false).unwrap();
    assert_eq!(
        refusals(&s),
        [
            "line 3: id: contains the control character U+0009 at character 4",
            "line 4: id: contains the control character U+000A at character 6",
        ]
    );
    let bad_source = ImportOptions {
        source: Some("kbh\u{1b}[2J".into()),
        ..o.clone()
    };
    let err = import::import_file(&mut store, Layer::Incidents, &csv, &bad_source, true)
        .expect_err("refused")
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: source: contains the control character U+001B at character 4",
            csv.display()
        )
    );

    // GeoJSON incidents: source_id, source, the feature id.
    let mut fs: Vec<Value> = (0..4)
        .map(|i| feature(i, 12.55.into(), 55.686, "theft"))
        .collect();
    fs[1]["properties"]["source_id"] = "t-1\u{0}".into();
    fs[2]["properties"]["source"] = "politi\r\nforged".into();
    fs[3]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("source_id");
    fs[3]["id"] = "f\u{85}3".into();
    let gj = dir.join("ids.geojson");
    std::fs::write(&gj, geojson_incidents(&fs)).unwrap();
    let s = import::import_file(&mut store, Layer::Incidents, &gj, &opts(), false).unwrap();
    assert_eq!(
        refusals(&s),
        [
            "feature 1: source_id: contains the control character U+0000 at character 4",
            "feature 2: source: contains the control character U+000D at character 7",
            "feature 3: source_id: contains the control character U+0085 at character 2",
        ]
    );

    // Observations: a note may hold line feeds and tabs, nothing else.
    let obs: Vec<Value> = [
        "Dark corner.\n\tLamp out since May.",
        "Windows\r\nline end",
        "\u{1b}[31mred",
    ]
    .iter()
    .enumerate()
    .map(|(i, note)| {
        serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.55, 55.686]},
            "properties": {"kind": "lighting", "rating": 2, "note": note,
                           "observed_at": "2012-05-01T10:00:00Z", "source_id": format!("o-{i}")}
        })
    })
    .collect();
    let og = dir.join("notes.geojson");
    std::fs::write(&og, geojson_incidents(&obs)).unwrap();
    let s = import::import_file(&mut store, Layer::Observations, &og, &opts(), false).unwrap();
    assert_eq!(
        refusals(&s),
        [
            "feature 1: note: contains the control character U+000D at character 8; only line feeds and tabs are allowed",
            "feature 2: note: contains the control character U+001B at character 1; only line feeds and tabs are allowed",
        ]
    );
    let s = import::import_file(&mut store, Layer::Observations, &og, &opts(), true).unwrap();
    assert_eq!(s.imported, 1);
    let kept = store.load_observations(true).unwrap();
    // Notes are published, so they pass the personal-data scrubber, which writes every run of
    // spaces and tabs as one space (line breaks stay).
    assert_eq!(kept[0].note, "Dark corner.\n Lamp out since May.");

    // Districts: name (and id, parent).
    let d = serde_json::json!({"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[12.55, 55.68], [12.56, 55.68], [12.56, 55.69], [12.55, 55.68]]]},
        "properties": {"id": "rode-900", "name": "Blå\u{7}gårds", "level": "rode"}
    }]});
    let df = dir.join("d.geojson");
    std::fs::write(&df, d.to_string()).unwrap();
    let s = import::import_file(&mut store, Layer::Districts, &df, &opts(), false).unwrap();
    assert_eq!(
        refusals(&s),
        ["feature 0: name: contains the control character U+0007 at character 4"]
    );

    // An upload's file name becomes its source: refused, and shown escaped.
    let err = ingest::read_from(
        Layer::Incidents,
        ingest::Format::GeoJson,
        "walk\n.geojson",
        geojson_incidents(&fs[..1]).as_bytes(),
        &opts(),
    )
    .expect_err("refused")
    .to_string();
    assert_eq!(
        err,
        "walk\\n.geojson: the file name contains the control character U+000A at character 5"
    );

    assert_eq!(store.count(Layer::Incidents).unwrap(), 0);
    assert_eq!(store.count(Layer::Districts).unwrap(), 0);
    let _ = std::fs::remove_dir_all(dir);
}

/// The Copenhagen calendar date of `secs`, by the tz database (not the service's own rule).
fn copenhagen_day(secs: i64) -> (u32, u32, u32) {
    use chrono::{Datelike, TimeZone};
    let tz: chrono_tz::Tz = "Europe/Copenhagen".parse().unwrap();
    let d = tz.timestamp_opt(secs, 0).unwrap().date_naive();
    (d.year() as u32, d.month(), d.day())
}

#[test]
fn shapefile_export_imports_back_with_the_same_times_ids_and_a_dbase_date() {
    use hotspot::output::export::{Export, Format};
    use shapefile::dbase::FieldValue;
    use std::collections::HashMap;
    let catalog = std::sync::Arc::new(common::demo_catalog());
    assert!(!catalog.incidents.is_empty() && !catalog.observations.is_empty());
    for epsg in [4326u16, 25832] {
        for layer in [Layer::Incidents, Layer::Observations] {
            let (n, name, import_layer) = match layer {
                Layer::Incidents => (catalog.incidents.len(), "incidents", Layer::Incidents),
                _ => (
                    catalog.observations.len(),
                    "observations",
                    Layer::Observations,
                ),
            };
            let zip = Export {
                catalog: catalog.clone(),
                layer,
                positions: (0..n as u32).collect(),
                format: Format::Shapefile { epsg },
            }
            .shapefile_zip()
            .unwrap();
            let dir = common::temp_dir("shpround");
            zip::ZipArchive::new(zip).unwrap().extract(&dir).unwrap();
            let shp = dir.join(format!("{name}.shp"));
            // Into a fresh data dir, all or nothing.
            let mut store = Store::open(&dir.join("var")).unwrap();
            let s = import::import_file(&mut store, import_layer, &shp, &opts(), false).unwrap();
            assert!(
                s.committed && s.rejected.is_empty(),
                "{name} EPSG:{epsg}: {:?}",
                &s.rejected[..s.rejected.len().min(3)]
            );
            assert_eq!(s.imported, n, "{name} EPSG:{epsg}");

            // The dBase date field holds the Copenhagen calendar day of the exact time.
            let dbf = shapefile::dbase::Reader::from_path(shp.with_extension("dbf"))
                .unwrap()
                .read()
                .unwrap();
            let (time_field, date_field) = match layer {
                Layer::Incidents => ("occurred", "occ_date"),
                _ => ("observed", "obs_date"),
            };
            let mut other_day = 0;
            for r in &dbf {
                let Some(FieldValue::Character(Some(t))) = r.get(time_field) else {
                    panic!("{time_field}: {:?}", r.get(time_field))
                };
                let Some(FieldValue::Date(Some(d))) = r.get(date_field) else {
                    panic!("{date_field} is a dBase date: {:?}", r.get(date_field))
                };
                let secs = hotspot::model::time::parse_rfc3339(t).unwrap();
                assert_eq!((d.year(), d.month(), d.day()), copenhagen_day(secs), "{t}");
                // The local time of day beside the date: the two together are the local instant.
                let clock = &date_field[..3];
                let Some(FieldValue::Character(Some(hms))) =
                    r.get(format!("{clock}_time").as_str())
                else {
                    panic!(
                        "{clock}_time: {:?}",
                        r.get(format!("{clock}_time").as_str())
                    )
                };
                let local = chrono::NaiveDateTime::parse_from_str(
                    &format!("{:04}-{:02}-{:02} {hms}", d.year(), d.month(), d.day()),
                    "%Y-%m-%d %H:%M:%S",
                )
                .unwrap();
                let offset = local.and_utc().timestamp() - secs;
                assert!(offset == 3600 || offset == 7200, "{t} vs {hms}");
                if !t.starts_with(&format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())) {
                    other_day += 1;
                }
            }
            if layer == Layer::Incidents {
                // Night-time incidents: the check above tells the Copenhagen day from UTC's.
                assert!(other_day > 0, "some incidents fall on another day in UTC");
            }

            let close = |a: (f64, f64), b: (f64, f64)| metres(a, b) < 0.01;
            match layer {
                Layer::Incidents => {
                    let loaded = store.load_incidents(true).unwrap();
                    let back: HashMap<String, _> = loaded
                        .iter()
                        .enumerate()
                        .map(|(p, i)| (loaded.source_id(p).to_owned(), *i))
                        .collect();
                    assert_eq!(back.len(), n);
                    for (p, a) in catalog.incidents.iter().enumerate() {
                        let id = catalog.incidents.source_id(p);
                        let b = &back[id];
                        assert_eq!(
                            (a.category, a.occurred_at, a.precision, a.source),
                            (b.category, b.occurred_at, b.precision, b.source),
                            "{id}"
                        );
                        assert!(close((a.lon, a.lat), (b.lon, b.lat)), "{id}");
                    }
                }
                _ => {
                    let back: HashMap<String, _> = store
                        .load_observations(true)
                        .unwrap()
                        .into_iter()
                        .map(|o| (o.source_id.clone(), o))
                        .collect();
                    assert_eq!(back.len(), n);
                    for a in catalog.observations.iter() {
                        let b = &back[&a.source_id];
                        assert_eq!(
                            (a.kind, a.rating, &a.note, a.observed_at, &a.source),
                            (b.kind, b.rating, &b.note, b.observed_at, &b.source),
                            "{}",
                            a.source_id
                        );
                        assert!(close((a.lon, a.lat), (b.lon, b.lat)), "{}", a.source_id);
                    }
                }
            }
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Writes a point Shapefile (WGS84, no `.prj`) of incidents whose `occurred` field holds
/// `times`, or of observations (`observed`) when `observations`.
fn write_timed_points(shp: &Path, times: &[&str], observations: bool) {
    use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let f = |n: &str| FieldName::try_from(n).unwrap();
    let table = if observations {
        TableWriterBuilder::new()
            .add_character_field(f("kind"), 16)
            .add_numeric_field(f("rating"), 1, 0)
            .add_character_field(f("observed"), 25)
            .add_character_field(f("source_id"), 10)
    } else {
        TableWriterBuilder::new()
            .add_character_field(f("category"), 16)
            .add_character_field(f("occurred"), 25)
            .add_character_field(f("source_id"), 10)
    };
    let mut w = shapefile::Writer::from_path(shp, table).unwrap();
    for (i, t) in times.iter().enumerate() {
        let mut r = Record::default();
        if observations {
            r.insert(
                "kind".into(),
                FieldValue::Character(Some("lighting".into())),
            );
            r.insert("rating".into(), FieldValue::Numeric(Some(2.0)));
            r.insert(
                "observed".into(),
                FieldValue::Character(Some(t.to_string())),
            );
        } else {
            r.insert(
                "category".into(),
                FieldValue::Character(Some("theft".into())),
            );
            r.insert(
                "occurred".into(),
                FieldValue::Character(Some(t.to_string())),
            );
        }
        r.insert(
            "source_id".into(),
            FieldValue::Character(Some(format!("s-{i}"))),
        );
        let p = shapefile::Point::new(12.55 + i as f64 * 1e-4, 55.686);
        w.write_shape_and_record(&p, &r).unwrap();
    }
}

#[test]
fn shapefile_times_before_1900_or_after_tomorrow_are_refused() {
    let dir = common::temp_dir("shptimes");
    let o = ImportOptions {
        crs: Some("EPSG:4326".into()),
        ..opts()
    };
    let mut store = Store::open(&dir.join("var")).unwrap();
    let times = [
        "2012-05-01T21:30:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31",
        "1899-12-31",
    ];
    for (observations, layer, field) in [
        (false, Layer::Incidents, "occurred"),
        (true, Layer::Observations, "observed"),
    ] {
        let shp = dir.join(format!("{field}.shp"));
        write_timed_points(&shp, &times, observations);
        let s = import::import_file(&mut store, layer, &shp, &o, false).unwrap();
        let r = refusals(&s);
        assert!(!s.committed);
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(
            r[0],
            format!("record 1: {field}: '0001-01-01T00:00:00Z' is before 1900-01-01T00:00:00Z, the earliest time accepted")
        );
        assert!(
            r[1].starts_with(&format!(
                "record 2: {field}: '9999-12-31' is more than one day in the future"
            )),
            "{r:?}"
        );
        assert!(
            r[2].starts_with(&format!("record 3: {field}: '1899-12-31' is before 1900")),
            "{r:?}"
        );
    }
    assert_eq!(store.count(Layer::Incidents).unwrap(), 0);
    assert_eq!(store.count(Layer::Observations).unwrap(), 0);
    let _ = std::fs::remove_dir_all(dir);
}
