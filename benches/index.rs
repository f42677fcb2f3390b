//! Index and serialisation benchmarks at 1M synthetic incidents (issue #2's performance goals):
//! bulk-load, a bbox query returning about 10k points against a linear scan of the same data,
//! and GeoJSON serialisation of 10k features. Reports; asserts nothing.
//!
//! Run: `cargo bench --bench index`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use std::hint::black_box;

use hotspot::index::{LonLatBox, PointFilter, PointIndex};
use hotspot::model::{Category, Incident, Precision};
use hotspot::output::encode::incident as encode_incident;

const N: usize = 1_000_000;

/// 1M incidents over Copenhagen, clustered around 200 centres (uniform points would make every
/// query look alike), sorted by id.
fn incidents() -> Vec<Incident> {
    let mut rng = Pcg64Mcg::seed_from_u64(7);
    let centres: Vec<(f64, f64)> = (0..200)
        .map(|_| {
            (
                rng.random_range(12.45..12.65),
                rng.random_range(55.62..55.72),
            )
        })
        .collect();
    (0..N)
        .map(|i| {
            let (cx, cy) = centres[rng.random_range(0..centres.len())];
            Incident {
                id: i as i64 + 1,
                category: Category::ALL[rng.random_range(0..9)],
                occurred_at: 1_262_304_000 + rng.random_range(0..157_766_400),
                lon: cx + rng.random_range(-0.01..0.01) * rng.random::<f64>(),
                lat: cy + rng.random_range(-0.006..0.006) * rng.random::<f64>(),
                precision: Precision::Street,
                source: "bench".into(),
            }
        })
        .collect()
}

/// A box around the data's centre sized so that it holds about `target` points.
fn box_holding(items: &[Incident], index: &PointIndex, target: usize) -> LonLatBox {
    let (cx, cy) = (12.55, 55.67);
    let (mut lo, mut hi) = (0.0001f64, 0.2f64);
    for _ in 0..40 {
        let half = (lo + hi) / 2.0;
        let b = LonLatBox {
            min_lon: cx - half,
            min_lat: cy - half * 0.6,
            max_lon: cx + half,
            max_lat: cy + half * 0.6,
        };
        let mut out = Vec::new();
        index.in_bbox(&b, &mut out);
        if out.len() < target {
            lo = half
        } else {
            hi = half
        }
    }
    let _ = items;
    LonLatBox {
        min_lon: cx - hi,
        min_lat: cy - hi * 0.6,
        max_lon: cx + hi,
        max_lat: cy + hi * 0.6,
    }
}

fn bench(c: &mut Criterion) {
    let items = incidents();
    let positions: Vec<(f64, f64)> = items.iter().map(|i| (i.lon, i.lat)).collect();

    let mut g = c.benchmark_group("index_1m");
    g.sample_size(10);
    g.bench_function("bulk_load", |b| {
        b.iter(|| PointIndex::bulk_load(black_box(&positions).iter().copied()))
    });
    g.finish();

    let index = PointIndex::bulk_load(positions.iter().copied());
    let bbox = box_holding(&items, &index, 10_000);
    let mut probe = Vec::new();
    index.in_bbox(&bbox, &mut probe);
    eprintln!(
        "bbox query returns {} of {} points",
        probe.len(),
        items.len()
    );

    let mut g = c.benchmark_group("bbox_10k_of_1m");
    g.bench_function(BenchmarkId::new("rtree", "in_bbox"), |b| {
        let mut out = Vec::with_capacity(20_000);
        b.iter(|| {
            out.clear();
            index.in_bbox(black_box(&bbox), &mut out);
            out.len()
        })
    });
    g.bench_function(BenchmarkId::new("linear_scan", "in_bbox"), |b| {
        let mut out: Vec<u32> = Vec::with_capacity(20_000);
        b.iter(|| {
            out.clear();
            out.extend(
                black_box(&positions)
                    .iter()
                    .enumerate()
                    .filter(|(_, &(x, y))| bbox.contains(x, y))
                    .map(|(i, _)| i as u32),
            );
            out.len()
        })
    });
    g.bench_function(
        BenchmarkId::new("rtree", "query_sorted_with_time_and_category"),
        |b| {
            let filter = PointFilter {
                bbox: Some(bbox),
                within: None,
                time: Some((1_300_000_000, 1_400_000_000)),
            };
            b.iter(|| {
                index
                    .query(&items, black_box(&filter), |i| {
                        i.category != Category::Burglary
                    })
                    .len()
            })
        },
    );
    g.finish();

    let page: Vec<&Incident> = probe
        .iter()
        .take(10_000)
        .map(|&i| &items[i as usize])
        .collect();
    let mut g = c.benchmark_group("items_geojson");
    g.bench_function("serialise_10k_features", |b| {
        let mut out = Vec::with_capacity(10_000 * 220);
        b.iter(|| {
            out.clear();
            out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
            for (n, i) in page.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                encode_incident(&mut out, i, "");
            }
            out.extend_from_slice(b"]}");
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
