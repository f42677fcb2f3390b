//! Planning benchmarks (issue 6's performance goals): the evaluation of one initiative over all
//! demo incidents (goal ≤ 20 ms), the status report for a year (goal ≤ 1 s), the goals with
//! their counted values, and where to act — each end to end through the routes on the demo
//! data, as a planner (exact data, every initiative). Reports; asserts nothing.
//!
//! Run: `cargo bench --bench planning`

use std::time::Duration;

use actix_web::{test, web, App};
use criterion::{criterion_group, criterion_main, Criterion};

fn bench_planning(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("hotspot-bench-planning-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = hotspot::config::Config {
        data_dir: dir.clone(),
        ..Default::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).unwrap();
    let t = hotspot::auth::new_token().unwrap();
    let id = store
        .create_token("bench planner", "planner", &t.salt, &t.hash, 0)
        .unwrap();
    let auth = format!("Bearer {}", hotspot::auth::token_text(id, &t.secret));
    let state = web::Data::new(
        hotspot::api::AppState::new(store, catalog, hotspot::api::WebSettings::default(), true)
            .expect("state"),
    );
    let rt = actix_web::rt::System::new();
    let app = rt.block_on(test::init_service(
        App::new().app_data(state).configure(hotspot::api::routes),
    ));
    let get = |uri: &str| {
        let req = test::TestRequest::get()
            .uri(uri)
            .insert_header(("authorization", auth.as_str()))
            .to_request();
        let res = rt.block_on(test::call_service(&app, req));
        assert_eq!(res.status(), 200, "{uri}");
        rt.block_on(test::read_body(res)).len()
    };
    let mut g = c.benchmark_group("planning");
    g.measurement_time(Duration::from_secs(8));
    // Demo initiative 1: new lighting on Blågårds Plads, 2012.
    g.bench_function("evaluation_initiative_1", |b| {
        b.iter(|| get("/api/initiatives/1/evaluation"))
    });
    g.bench_function("goals", |b| b.iter(|| get("/api/goals")));
    g.bench_function("where_to_act_district8", |b| {
        b.iter(|| get("/api/where-to-act"))
    });
    g.sample_size(10);
    g.bench_function("status_report_2013", |b| {
        b.iter(|| get("/api/status-report?year=2013"))
    });
    g.finish();
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, bench_planning);
criterion_main!(benches);
