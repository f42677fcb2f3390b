//! Import and start-up benchmarks (issue #3's performance goals): CSV import end to end into
//! the store (police.uk Essex 2018, 115,065 rows in 7 files, from ../shared/data), rebuilding
//! the catalog from a store of 1M incidents, and an HTTP import of a 10k-feature GeoJSON.
//! Reports; asserts nothing.
//!
//! Run: `cargo bench --bench import`

use std::path::PathBuf;
use std::time::Duration;

use actix_web::{test, web, App};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};

use hotspot::api::{routes, AppState, WebSettings};
use hotspot::ingest::ImportOptions;
use hotspot::model::Layer;
use hotspot::model::{Category, NewIncident, Precision};
use hotspot::store::Store;

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hotspot-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn csv_import(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/uk_police_essex_2018");
    if !dir.exists() {
        eprintln!("SKIPPED csv_import: ../shared/data/uk_police_essex_2018 is absent");
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    let mut g = c.benchmark_group("csv_import");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(115_065));
    let mut n = 0;
    g.bench_function("police_uk_essex_2018_115k_rows", |b| {
        b.iter(|| {
            n += 1;
            let d = temp(&format!("csv{n}"));
            let mut store = Store::open(&d).unwrap();
            let mut imported = 0;
            for f in &files {
                let s = hotspot::ingest::import::import_file(
                    &mut store,
                    Layer::Incidents,
                    f,
                    &ImportOptions::default(),
                    true,
                )
                .unwrap();
                imported += s.imported;
            }
            drop(store);
            let _ = std::fs::remove_dir_all(&d);
            imported
        })
    });
    g.finish();
}

fn million(tag: &str) -> PathBuf {
    let d = temp(tag);
    let mut store = Store::open(&d).unwrap();
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
    let batch: Vec<NewIncident> = (0..1_000_000)
        .map(|i| NewIncident {
            category: Category::ALL[rng.random_range(0..9)],
            occurred_at: 1_262_304_000 + rng.random_range(0..157_766_400),
            lon: rng.random_range(12.45..12.65),
            lat: rng.random_range(55.62..55.72),
            precision: Precision::Street,
            source: "bench".into(),
            source_id: format!("b-{i}"),
            synthetic: false,
        })
        .collect();
    store.insert_incidents(&batch).unwrap();
    d
}

fn startup(c: &mut Criterion) {
    let d = million("startup");
    let store = Store::open(&d).unwrap();
    let mut g = c.benchmark_group("startup");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("rebuild_catalog_from_store_1m_incidents", |b| {
        b.iter(|| {
            hotspot::catalog::Catalog::load(&store, true)
                .unwrap()
                .incidents
                .len()
        })
    });
    g.finish();
    drop(store);
    let _ = std::fs::remove_dir_all(d);
}

/// A fresh service over an empty store, with a police token.
fn fresh_service(n: usize) -> (PathBuf, web::Data<AppState>, String) {
    let d = temp(&format!("http{n}"));
    let config = hotspot::config::Config {
        data_dir: d.clone(),
        demo: false,
        ..Default::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).unwrap();
    let t = hotspot::auth::new_token().unwrap();
    let id = store
        .create_token("bench", "police", &t.salt, &t.hash, 0)
        .unwrap();
    let token = hotspot::auth::token_text(id, &t.secret);
    let state = web::Data::new(
        AppState::new(store, catalog, WebSettings::default(), false).expect("state"),
    );
    (d, state, token)
}

fn http_import(c: &mut Criterion) {
    let features: Vec<serde_json::Value> = (0..10_000)
        .map(|i| serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.54 + (i % 100) as f64 * 2e-4, 55.68 + (i / 100) as f64 * 1e-4]},
            "properties": {"category": "theft", "occurred_at": "2013-06-01T12:00:00Z", "source_id": format!("f-{i}")}
        }))
        .collect();
    let body = serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
    let rt = actix_web::rt::System::new();
    let mut g = c.benchmark_group("http_import");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(10_000));
    let mut n = 0;
    g.bench_function("geojson_10k_features_into_an_empty_store", |b| {
        b.iter_batched(
            || {
                n += 1;
                let (d, state, token) = fresh_service(n);
                let app = rt.block_on(test::init_service(
                    App::new().app_data(state).configure(routes),
                ));
                let req = test::TestRequest::post()
                    .uri("/api/collections/incidents/items")
                    .insert_header(("content-type", "application/geo+json"))
                    .insert_header(("authorization", format!("Bearer {token}")))
                    .set_payload(body.clone())
                    .to_request();
                (d, app, req)
            },
            |(d, app, req)| {
                let res = rt.block_on(test::call_service(&app, req));
                assert_eq!(res.status(), 201);
                let _ = std::fs::remove_dir_all(d);
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, csv_import, startup, http_import);
criterion_main!(benches);
