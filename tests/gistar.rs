//! Gi* against PySAL: the fixtures in tests/fixtures/gistar were computed by
//! `make_fixture.py` with esda (`G_Local(y, w, transform='B', star=True)`), h3 and statsmodels
//! from the points in `points.csv` over district 8; our pipeline — study cells, counts, z, p,
//! FDR bins — must agree to 1e-9.

mod common;

use h3o::Resolution;
use serde_json::Value;

use hotspot::analysis::gistar::{self, HotspotParams};
use hotspot::catalog::Catalog;
use hotspot::ingest::{read_districts, shipped};
use hotspot::model::{Category, Incident, Precision};

fn catalog_from_fixture_points() -> Catalog {
    let mut rdr = csv::Reader::from_path(common::fixture("gistar/points.csv")).unwrap();
    let incidents: Vec<Incident> = rdr
        .records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            Incident {
                id: i as i64 + 1,
                category: Category::Violence,
                occurred_at: 1_300_000_000,
                lon: r[0].parse().unwrap(),
                lat: r[1].parse().unwrap(),
                precision: Precision::Address,
                source: "fixture".into(),
            }
        })
        .collect();
    let districts = read_districts("districts", shipped::DISTRICTS).unwrap();
    Catalog::build(districts, incidents.into(), Vec::new())
}

fn check(fixture: &str) {
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixture(fixture)).unwrap()).unwrap();
    let cat = catalog_from_fixture_points();
    let area = [&cat.district("district-8").unwrap().geometry];
    let params = HotspotParams {
        resolution: Resolution::try_from(want["resolution"].as_u64().unwrap() as u8).unwrap(),
        k: want["k"].as_u64().unwrap() as u32,
        categories: u16::MAX,
        time: None,
        permutations: 0,
        seed: 0,
    };
    let got = gistar::hotspots(&cat, &area, &params).unwrap();
    assert_eq!(
        got.incidents as u64,
        want["n_points_used"].as_u64().unwrap()
    );
    // Cells sorted by hex string, like the fixture.
    let mut cells = got.cells.clone();
    cells.sort_by_key(|c| c.cell.to_string());
    let hex: Vec<String> = cells.iter().map(|c| c.cell.to_string()).collect();
    let want_hex: Vec<String> = want["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hex, want_hex, "the same study cells (centre in district 8)");
    for (i, c) in cells.iter().enumerate() {
        assert_eq!(
            c.count as u64,
            want["counts"][i].as_u64().unwrap(),
            "count of {}",
            hex[i]
        );
        let z = want["z"][i].as_f64().unwrap();
        let p = want["p"][i].as_f64().unwrap();
        assert!(
            (c.z - z).abs() <= 1e-9,
            "{}: z {} vs esda {}",
            hex[i],
            c.z,
            z
        );
        assert!((c.p - p).abs() <= 1e-9, "{}: p {} vs {}", hex[i], c.p, p);
        assert_eq!(
            c.bin as i64,
            want["bin"][i].as_i64().unwrap(),
            "bin of {}",
            hex[i]
        );
    }
}

#[test]
fn res10_k1_matches_esda() {
    check("gistar/district8_res10_k1.json");
}

#[test]
fn res11_k2_matches_esda() {
    check("gistar/district8_res11_k2.json");
}

#[test]
fn permutation_p_values_are_seeded_and_agree_with_the_analytic_ones() {
    let cat = catalog_from_fixture_points();
    let area = [&cat.district("district-8").unwrap().geometry];
    let mut params = HotspotParams {
        resolution: Resolution::Ten,
        k: 1,
        categories: u16::MAX,
        time: None,
        permutations: 999,
        seed: 7,
    };
    let a = gistar::hotspots(&cat, &area, &params).unwrap();
    let b = gistar::hotspots(&cat, &area, &params).unwrap();
    assert_eq!(a.cells, b.cells, "same seed, same answer");
    // The strongest hot spot is also extreme under permutation.
    let top = a.cells.iter().max_by(|x, y| x.z.total_cmp(&y.z)).unwrap();
    assert!(top.p_sim.unwrap() <= 0.01, "{top:?}");
    params.seed = 8;
    let c = gistar::hotspots(&cat, &area, &params).unwrap();
    assert_eq!(
        a.cells.iter().map(|x| x.z).collect::<Vec<_>>(),
        c.cells.iter().map(|x| x.z).collect::<Vec<_>>()
    );
}

#[test]
fn too_few_incidents_is_refused() {
    let cat = catalog_from_fixture_points();
    let area = [&cat.district("rode-124").unwrap().geometry];
    let params = HotspotParams {
        resolution: Resolution::Twelve,
        k: 1,
        categories: Category::Theft.bit(),
        time: None,
        permutations: 0,
        seed: 0,
    };
    let e = gistar::hotspots(&cat, &area, &params).unwrap_err();
    assert!(e.to_string().contains("Gi* needs at least 30"), "{e}");
}
