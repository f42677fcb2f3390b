//! Analysis benchmarks (issue #4's performance goals): Gi* on 10k and 100k cells (k = 1), hex
//! binning of 1M points, KDE on a 512×512 grid from 100k points, and `/api/analysis/hotspots`
//! for district 8 over all demo incidents, end to end through the routes. Reports; asserts
//! nothing. `benches/gistar_vs_esda.py` times PySAL's esda on the same Gi* inputs.
//!
//! Run: `cargo bench --bench analysis`

use std::hint::black_box;
use std::time::Duration;

use actix_web::{test, web, App};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use h3o::{CellIndex, LatLng, Resolution};
use rand::{Rng, SeedableRng};

use hotspot::analysis::{gistar, hexbins, kde};
use hotspot::catalog::Catalog;
use hotspot::index::LonLatBox;
use hotspot::model::{Category, Incident, Precision};

/// Gi* input: the cells of a hexagonal disk around Blågårds Plads with seeded Poisson-ish
/// counts, written to `target/gistar-bench/cells_N.json` for the esda script to read.
fn gi_input(rings: u32, res: Resolution) -> (Vec<CellIndex>, Vec<u32>) {
    let centre = LatLng::new(55.6866, 12.5547).unwrap().to_cell(res);
    let mut cells: Vec<CellIndex> = centre.grid_disk(rings);
    cells.sort_unstable();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
    let counts: Vec<u32> = cells
        .iter()
        .map(|_| (rng.random::<f64>().powi(3) * 12.0) as u32)
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/gistar-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let json = serde_json::json!({"cells": cells.iter().map(|c| c.to_string()).collect::<Vec<_>>(), "counts": counts});
    std::fs::write(
        dir.join(format!("cells_{}.json", cells.len())),
        json.to_string(),
    )
    .unwrap();
    (cells, counts)
}

fn bench_gistar(c: &mut Criterion) {
    let mut g = c.benchmark_group("gistar_k1");
    // 58 rings = 10,267 cells; 183 rings = 101,017 cells.
    for (rings, res) in [(58u32, Resolution::Eleven), (183, Resolution::Twelve)] {
        let (cells, counts) = gi_input(rings, res);
        let nbrs = gistar::neighbours(&cells, 1);
        g.bench_with_input(
            BenchmarkId::new("z_p_fdr", cells.len()),
            &cells.len(),
            |b, _| {
                b.iter(|| {
                    gistar::gi_star(black_box(&cells), black_box(&counts), &nbrs, 0, 0)
                        .unwrap()
                        .len()
                })
            },
        );
        g.sample_size(10);
        g.bench_with_input(
            BenchmarkId::new("weights_and_z_p_fdr", cells.len()),
            &cells.len(),
            |b, _| {
                b.iter(|| {
                    let nb = gistar::neighbours(black_box(&cells), 1);
                    gistar::gi_star(&cells, &counts, &nb, 0, 0).unwrap().len()
                })
            },
        );
    }
    g.finish();
}

fn million_incidents(n: usize) -> Vec<Incident> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(9);
    (0..n)
        .map(|i| Incident {
            id: i as i64 + 1,
            category: Category::ALL[rng.random_range(0..9)],
            occurred_at: 1_300_000_000,
            lon: rng.random_range(12.45..12.65),
            lat: rng.random_range(55.62..55.72),
            precision: Precision::Street,
            source: "bench".into(),
        })
        .collect()
}

fn bench_hex_and_kde(c: &mut Criterion) {
    let cat = Catalog::build(Vec::new(), million_incidents(1_000_000).into(), Vec::new());
    let all: Vec<u32> = (0..cat.incidents.len() as u32).collect();
    let mut g = c.benchmark_group("hexbins");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("count_1m_points_res10", |b| {
        b.iter(|| hexbins::count_by_cell(&cat, black_box(&all), Resolution::Ten).len())
    });
    g.finish();

    let pts: Vec<(f64, f64)> = cat
        .incidents
        .iter()
        .take(100_000)
        .map(|i| (i.lon, i.lat))
        .collect();
    // A square of about 12.6 km over Copenhagen; with the 150 m bandwidth margin on each side
    // the grid is 512 × 512.
    let width_m = 0.2 * 111_320.0 * 55.67f64.to_radians().cos();
    let cell_m = (width_m + 300.0) / 512.0;
    let area = LonLatBox {
        min_lon: 12.45,
        min_lat: 55.62,
        max_lon: 12.65,
        max_lat: 55.62 + width_m / 111_320.0,
    };
    let r = kde::density(&pts, &area, cell_m, Some(150.0)).unwrap();
    eprintln!("kde grid {}×{} at {:.1} m", r.width, r.height, cell_m);
    let mut g = c.benchmark_group("kde");
    g.sample_size(10);
    g.bench_function("quartic_512x512_100k_points", |b| {
        b.iter(|| {
            kde::density(black_box(&pts), &area, cell_m, Some(150.0))
                .unwrap()
                .max
        })
    });
    g.finish();
}

fn bench_endpoint(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("hotspot-bench-analysis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = hotspot::config::Config {
        data_dir: dir.clone(),
        ..Default::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).unwrap();
    let state = web::Data::new(
        hotspot::api::AppState::new(store, catalog, hotspot::api::WebSettings::default(), true)
            .expect("state"),
    );
    let rt = actix_web::rt::System::new();
    let app = rt.block_on(test::init_service(
        App::new().app_data(state).configure(hotspot::api::routes),
    ));
    let mut g = c.benchmark_group("endpoint");
    g.bench_function("hotspots_district8_all_demo_incidents", |b| {
        b.iter(|| {
            let req = test::TestRequest::get()
                .uri("/api/analysis/hotspots")
                .to_request();
            let res = rt.block_on(test::call_service(&app, req));
            assert_eq!(res.status(), 200);
            rt.block_on(test::read_body(res)).len()
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, bench_gistar, bench_hex_and_kde, bench_endpoint);
criterion_main!(benches);
