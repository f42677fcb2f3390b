//! Initiatives through the real routes on the demo data: a planner puts one on the map, the
//! public sees it only when published, bad input names the field, and the evaluation answers
//! with the difference-in-differences rate ratio and its interval.

mod common;

use actix_web::{test, web, App};
use serde_json::{json, Value};

use hotspot::api::routes;

async fn call(req: test::TestRequest) -> (u16, Value) {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let body = test::read_body(res).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn post(body: Value, auth: Option<&str>) -> (u16, Value) {
    let mut r = test::TestRequest::post()
        .uri("/api/initiatives")
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string());
    if let Some(a) = auth {
        r = r.insert_header(("authorization", a));
    }
    call(r).await
}

async fn get(uri: &str, auth: Option<&str>) -> (u16, Value) {
    let mut r = test::TestRequest::get().uri(uri);
    if let Some(a) = auth {
        r = r.insert_header(("authorization", a));
    }
    call(r).await
}

fn lighting(published: bool) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.5547, 55.6866]},
           "properties": {"title": "Ny belysning på Blågårds Plads", "kind": "lighting", "start_date": "2012-03-01",
                          "end_date": "2012-06-30", "budget_dkk": 250000, "pool": "aktivitetspuljen",
                          "owner": "Teknik- og Miljøforvaltningen", "status": "done", "challenge": 1, "goals": [1, 4],
                          "published": published}})
}

#[actix_web::test]
async fn a_planner_adds_an_initiative_and_sees_its_evaluation() {
    let t = common::demo_tokens();
    assert_eq!(post(lighting(true), None).await.0, 401);
    assert_eq!(post(lighting(true), Some(&t.police)).await.0, 403);
    let (s, v) = post(lighting(true), Some(&t.planner)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    assert_eq!(v["properties"]["kind"], "lighting");
    let (s, hidden) = post(lighting(false), Some(&t.planner)).await;
    assert_eq!(s, 201);
    let hidden = hidden["id"].as_i64().unwrap();

    // The public sees the published one only.
    assert_eq!(get(&format!("/api/initiatives/{id}"), None).await.0, 200);
    assert_eq!(
        get(&format!("/api/initiatives/{hidden}"), None).await.0,
        404
    );
    assert_eq!(
        get(&format!("/api/initiatives/{hidden}"), Some(&t.planner))
            .await
            .0,
        200
    );
    let (_, list) = get("/api/initiatives", None).await;
    assert!(list["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["id"] != hidden));

    // The evaluation: counts, the rate ratio and an interval around it.
    let (s, e) = get(
        &format!("/api/initiatives/{id}/evaluation"),
        Some(&t.planner),
    )
    .await;
    assert_eq!(s, 200, "{e}");
    let (rr, lo, hi) = (
        e["rate_ratio"].as_f64().unwrap(),
        e["ci_low"].as_f64().unwrap(),
        e["ci_high"].as_f64().unwrap(),
    );
    assert!(lo < rr && rr < hi, "{e}");
    assert_eq!(e["parameters"]["control"], "district-8");
    assert_eq!(e["parameters"]["buffer_m"], 100.0);
    assert!(e["counts"]["area"]["before"].as_u64().is_some());
    assert!(e["displacement"]["reading"].is_string());
    assert!(e["method"].as_str().unwrap().contains("Poisson"));
    let (s, e2) = get(
        &format!("/api/initiatives/{id}/evaluation?months=6&buffer_m=250&category=theft"),
        Some(&t.planner),
    )
    .await;
    assert_eq!(s, 200, "{e2}");
    assert_eq!(e2["parameters"]["months"], 6);
    let (s, bad) = get(
        &format!("/api/initiatives/{id}/evaluation?buffer_m=-5"),
        Some(&t.planner),
    )
    .await;
    assert_eq!((s, bad["field"].as_str()), (400, Some("buffer_m")));
}

#[actix_web::test]
async fn bad_initiatives_are_refused_naming_the_field() {
    let t = common::demo_tokens();
    let with = |k: &str, v: Value| {
        let mut f = lighting(false);
        f["properties"][k] = v;
        f
    };
    for (body, field) in [
        (with("kind", json!("fireworks")), "kind"),
        (with("title", json!("")), "title"),
        (with("start_date", json!("1.3.2012")), "start_date"),
        (with("end_date", json!("2011-01-01")), "end_date"),
        (with("budget_dkk", json!(-1)), "budget_dkk"),
        (with("challenge", json!(4)), "challenge"),
        (with("goals", json!(["many"])), "goals"),
        (with("status", json!("dreaming")), "status"),
        (
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}, "properties": lighting(false)["properties"]}),
            "geometry",
        ),
        (json!({"type": "FeatureCollection"}), "type"),
    ] {
        let (s, v) = post(body, Some(&t.planner)).await;
        assert_eq!((s, v["field"].as_str()), (400, Some(field)), "{v}");
    }
}
