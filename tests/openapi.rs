//! The OpenAPI document (`GET /api/openapi.json`) against the router: it names every route, and
//! every operation it names is served (a GET with sample path values is answered, not 404/405).
//! Schemathesis fuzzes the live binary against the same document (tests/python_checks.rs).

mod common;

use actix_web::{web, App};
use serde_json::Value;

use hotspot::api::routes;

/// Every route `routes()` registers, as OpenAPI path templates with their methods.
/// (`/api/collections/reports/items` is its own route, listed before `/collections/{id}/items`.)
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api"),
    ("get", "/api/conformance"),
    ("get", "/api/health"),
    ("get", "/api/collections"),
    ("get", "/api/collections/{collectionId}"),
    ("get", "/api/collections/incidents/items"),
    ("post", "/api/collections/incidents/items"),
    ("get", "/api/collections/incidents/items/{featureId}"),
    ("get", "/api/collections/observations/items"),
    ("post", "/api/collections/observations/items"),
    ("get", "/api/collections/observations/items/{featureId}"),
    ("get", "/api/collections/districts/items"),
    ("post", "/api/collections/districts/items"),
    ("get", "/api/collections/districts/items/{featureId}"),
    ("get", "/api/openapi.json"),
    ("get", "/api/docs"),
    ("get", "/api/analysis/hexbins"),
    ("get", "/api/analysis/hotspots"),
    ("get", "/api/analysis/kde"),
    ("get", "/api/analysis/emerging"),
    ("get", "/api/districts/{districtId}/summary"),
    ("get", "/api/safety-index"),
    ("get", "/api/audit"),
    ("get", "/api/collections/reports/items"),
    ("get", "/api/collections/reports/items/{id}"),
    ("get", "/api/reports"),
    ("post", "/api/reports/{id}/moderation"),
    ("get", "/api/reports/{id}/moderation"),
    ("post", "/api/walks"),
    ("get", "/api/walks"),
    ("post", "/api/walks/{id}/observations"),
    ("get", "/api/walks/{id}/observations"),
    ("get", "/api/walks/{id}/compare"),
    ("post", "/api/initiatives"),
    ("get", "/api/initiatives"),
    ("get", "/api/initiatives/{id}"),
    ("get", "/api/initiatives/{id}/evaluation"),
    ("put", "/api/initiatives/{id}"),
    ("delete", "/api/initiatives/{id}"),
    ("get", "/api/collections/initiatives/items"),
    ("get", "/api/collections/initiatives/items/{id}"),
    ("get", "/api/goals"),
    ("get", "/api/goals/{id}"),
    ("put", "/api/goals/{id}"),
    ("post", "/api/goals/{id}/measurements"),
    ("delete", "/api/goals/{id}/measurements/{period}"),
    ("get", "/api/where-to-act"),
    ("get", "/api/status-report"),
    ("get", "/open311/v2/services.json"),
    ("get", "/open311/v2/services/{service_code}.json"),
    ("get", "/open311/v2/requests.json"),
    ("post", "/open311/v2/requests.json"),
    ("get", "/open311/v2/requests/{id}.json"),
    ("post", "/open311/v2/requests/{id}/me_too.json"),
    ("get", "/open311/v2/services.xml"),
    ("get", "/open311/v2/services/{service_code}.xml"),
    ("get", "/open311/v2/requests.xml"),
    ("post", "/open311/v2/requests.xml"),
    ("get", "/open311/v2/requests/{id}.xml"),
    ("post", "/open311/v2/requests/{id}/me_too.xml"),
    ("get", "/tiles/incidents.json"),
    ("get", "/tiles/incidents/{z}/{x}/{y}.mvt"),
    ("get", "/tiles/observations.json"),
    ("get", "/tiles/observations/{z}/{x}/{y}.mvt"),
    ("get", "/tiles/districts.json"),
    ("get", "/tiles/districts/{z}/{x}/{y}.mvt"),
    ("get", "/"),
    ("get", "/config.json"),
    ("get", "/basemap/{layer}.geojson"),
];

fn document() -> Value {
    serde_json::from_str(hotspot::api::webapp::OPENAPI).expect("the document is JSON")
}

#[test]
fn the_document_names_every_route_with_responses() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        let op = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not in the document"))[*method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
        assert!(op["summary"].is_string(), "{method} {path} has no summary");
    }
    let documented: usize = paths
        .values()
        .map(|ops| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "delete", "patch"].contains(&k.as_str()))
                .count()
        })
        .sum();
    assert_eq!(
        documented,
        ROUTES.len(),
        "the document names routes that do not exist"
    );
}

/// GETs of one resident report: the demo data hold no reports (residents send them), so these
/// answer 404 for any id here; they are left out of `every_documented_get_is_served`, and the
/// report flow (submit, publish, read back, moderation log) is tested in tests/open311.rs.
const NEEDS_A_REPORT: &[&str] = &[
    "/api/reports/{id}/moderation",
    "/open311/v2/requests/{id}.json",
    "/open311/v2/requests/{id}.xml",
    "/api/collections/reports/items/{id}",
    // Safety walks, likewise: none in the demo (tested in tests/open311.rs).
    "/api/walks/{id}/observations",
    "/api/walks/{id}/compare",
];

#[actix_web::test]
async fn every_documented_get_is_served() {
    let state = web::Data::new(common::demo_state());
    let app = actix_web::test::init_service(App::new().app_data(state).configure(routes)).await;
    let admin = &common::demo_tokens().admin;
    let cat = common::demo_catalog();
    let incident = cat.incidents[0].id.to_string();
    let observation = cat.observations[0].id.to_string();
    for (_, path) in ROUTES
        .iter()
        .filter(|(m, _)| *m == "get")
        .filter(|(_, path)| !NEEDS_A_REPORT.contains(path))
    {
        let fid = if path.contains("incidents") {
            incident.as_str()
        } else if path.contains("observations") {
            observation.as_str()
        } else {
            "district-8"
        };
        let uri = path
            .replace("{collectionId}", "incidents")
            .replace("{featureId}", fid)
            .replace("{districtId}", "district-8")
            .replace("{z}/{x}/{y}", "15/17525/10252")
            .replace("{layer}", "streets")
            .replace("{service_code}", "dark_place")
            // The demo's first initiative (Blågårds Plads) and an entered goal.
            .replace("/api/initiatives/{id}", "/api/initiatives/1")
            .replace("/initiatives/items/{id}", "/initiatives/items/1")
            .replace("/api/goals/{id}", "/api/goals/3");
        let uri = if uri == "/api/safety-index" {
            "/api/safety-index?year=2013".to_owned()
        } else {
            uri
        };
        let req = actix_web::test::TestRequest::get()
            .uri(&uri)
            .insert_header(("authorization", admin.as_str()))
            .to_request();
        let res = actix_web::test::call_service(&app, req).await;
        let status = res.status().as_u16();
        assert!(
            (200..300).contains(&status),
            "GET {uri} (documented as {path}) answered {status}"
        );
    }
    // Those report GETs are routed all the same: their 404 names the report, not a missing
    // endpoint (`no endpoint at …`, `no Open311 endpoint at …`).
    for path in NEEDS_A_REPORT {
        let uri = path.replace("{id}", "1");
        let req = actix_web::test::TestRequest::get()
            .uri(&uri)
            .insert_header(("authorization", admin.as_str()))
            .to_request();
        let res = actix_web::test::call_service(&app, req).await;
        let status = res.status().as_u16();
        let body = actix_web::test::read_body(res).await;
        let body = String::from_utf8_lossy(&body);
        assert!(
            status == 404 && !body.contains("endpoint"),
            "GET {uri} (documented as {path}) answered {status} {body}"
        );
    }
}
