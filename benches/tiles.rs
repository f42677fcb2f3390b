//! Vector tiles and exports (issue #5's performance goals): an uncached z15 `incidents` tile
//! over 1M incidents, exact and public view, and the GeoJSON export encoder's throughput over
//! 1M features. Cached tiles per second and the export's throughput over HTTP are measured
//! against the real binary by `benches/serve_load.sh` (wrk, curl). Reports; asserts nothing.
//!
//! Run: `cargo bench --bench tiles`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};

use hotspot::api::params::Params;
use hotspot::api::tiles::make_tile;
use hotspot::catalog::Catalog;
use hotspot::model::Layer;
use hotspot::model::{Category, Incident, Precision};
use hotspot::output::export::{Export, Format};
use hotspot::output::mvt::TileId;
use hotspot::privacy::Disclosure;

/// 1M incidents: half spread over Copenhagen (12.45–12.65 E, 55.62–55.72 N), half in
/// Gaussian clusters around 40 seeded places, as police data cluster; times over five years.
fn million_incidents() -> Vec<Incident> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
    let places: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                rng.random_range(12.50..12.60),
                rng.random_range(55.66..55.71),
            )
        })
        .collect();
    (0..1_000_000)
        .map(|i| {
            let (lon, lat) = if i % 2 == 0 {
                (
                    rng.random_range(12.45..12.65),
                    rng.random_range(55.62..55.72),
                )
            } else {
                let (x, y) = places[i % 40];
                let g = |r: &mut rand_pcg::Pcg64Mcg| {
                    (r.random::<f64>() + r.random::<f64>() + r.random::<f64>() - 1.5) * 0.004
                };
                (x + g(&mut rng) * 1.8, y + g(&mut rng))
            };
            Incident {
                id: i as i64 + 1,
                category: Category::ALL[rng.random_range(0..9)],
                occurred_at: 1_262_304_000 + rng.random_range(0..157_766_400),
                lon,
                lat,
                precision: Precision::Street,
                source: "bench".into(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let exact = Arc::new(Catalog::build(
        Vec::new(),
        million_incidents().into(),
        Vec::new(),
    ));
    let public = Arc::new(exact.generalised());
    let none = Params::parse("", &[]).unwrap();
    // z15 tiles: one over Nørrebro (Blågårds Plads) and one in the clusters' densest tile.
    let norrebro = {
        let n = 1u32 << 15;
        let x = ((12.5547 + 180.0) / 360.0 * n as f64) as u32;
        let lat = 55.6866f64.to_radians();
        let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n as f64)
            as u32;
        TileId::new(15, x, y).unwrap()
    };
    let count = |cat: &Catalog, id: TileId| {
        let b = id.bounds(0);
        cat.incidents
            .iter()
            .filter(|i| {
                i.lon >= b.min_lon && i.lon < b.max_lon && i.lat >= b.min_lat && i.lat < b.max_lat
            })
            .count()
    };
    println!(
        "z15 tile {}/{}/{}: {} incidents inside",
        norrebro.x,
        norrebro.y,
        norrebro.z,
        count(&exact, norrebro)
    );
    let mut g = c.benchmark_group("tile_z15_uncached");
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("exact", |b| {
        b.iter(|| {
            make_tile(
                "incidents",
                &none,
                &exact,
                black_box(norrebro),
                Disclosure::EXACT,
            )
            .unwrap()
            .map_or(0, |t| t.len())
        })
    });
    g.bench_function("public", |b| {
        b.iter(|| {
            make_tile(
                "incidents",
                &none,
                &public,
                black_box(norrebro),
                Disclosure::public(3),
            )
            .unwrap()
            .map_or(0, |t| t.len())
        })
    });
    g.bench_function("query_only", |b| {
        b.iter(|| {
            let f = hotspot::index::PointFilter {
                bbox: Some(norrebro.bounds(hotspot::output::mvt::BUFFER)),
                within: None,
                time: None,
            };
            exact.query_incidents(&f, u16::MAX).len()
        })
    });
    let positions = {
        let f = hotspot::index::PointFilter {
            bbox: Some(norrebro.bounds(hotspot::output::mvt::BUFFER)),
            within: None,
            time: None,
        };
        exact.query_incidents(&f, u16::MAX)
    };
    g.bench_function("encode_only", |b| {
        b.iter(|| {
            hotspot::output::mvt::incidents_tile(
                &exact,
                black_box(&positions),
                norrebro,
                Disclosure::EXACT,
            )
            .unwrap()
            .map_or(0, |t| t.len())
        })
    });
    let z12 = TileId::new(12, norrebro.x >> 3, norrebro.y >> 3).unwrap();
    g.bench_function("z12_clusters", |b| {
        b.iter(|| {
            make_tile(
                "incidents",
                &none,
                &exact,
                black_box(z12),
                Disclosure::EXACT,
            )
            .unwrap()
            .map_or(0, |t| t.len())
        })
    });
    g.finish();

    let all: Vec<u32> = (0..exact.incidents.len() as u32).collect();
    let bytes: usize = Export {
        catalog: exact.clone(),
        layer: Layer::Incidents,
        positions: all.clone(),
        format: Format::GeoJson,
    }
    .chunks()
    .map(|c| c.len())
    .sum();
    let mut g = c.benchmark_group("export_geojson_1m");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("encode", |b| {
        b.iter(|| {
            Export {
                catalog: exact.clone(),
                layer: Layer::Incidents,
                positions: all.clone(),
                format: Format::GeoJson,
            }
            .chunks()
            .map(|c| c.len())
            .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
