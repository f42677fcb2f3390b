//! The OpenAPI document (`GET /api/openapi.json`) against the router: it names every route, and
//! every operation it names is served (a GET with sample path values is answered, not 404/405).
//! Schemathesis fuzzes the live binary against the same document (tests/python_checks.rs).

mod common;

use actix_web::{web, App};
use serde_json::Value;

use hotspot::api::route_table::{Access, TABLE};
use hotspot::api::routes;

/// Every documented operation of the route table, as OpenAPI (method, path template).
fn operations() -> Vec<(&'static str, &'static str)> {
    TABLE
        .iter()
        .flat_map(|e| e.docs.iter().map(|(path, _)| (e.verb.openapi(), *path)))
        .collect()
}

fn document() -> Value {
    serde_json::from_str(hotspot::api::webapp::OPENAPI).expect("the document is JSON")
}

#[test]
fn the_document_names_every_route_with_responses() {
    let doc = document();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let routes = operations();
    for (method, path) in &routes {
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
        routes.len(),
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
    for (_, path) in operations()
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

/// `src/api/routes.json` is the route table as the OpenAPI generator reads it; rewrite it with
/// `HOTSPOT_WRITE_ROUTES=1 cargo test --test openapi`.
#[test]
fn routes_json_is_the_route_table() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/routes.json");
    let want =
        serde_json::to_string_pretty(&hotspot::api::route_table::documented()).unwrap() + "\n";
    if std::env::var_os("HOTSPOT_WRITE_ROUTES").is_some() {
        std::fs::write(file, &want).unwrap();
    }
    let have = std::fs::read_to_string(file).unwrap_or_default();
    assert!(
        have == want,
        "src/api/routes.json differs from the route table: run HOTSPOT_WRITE_ROUTES=1 cargo test --test openapi, then python3 src/api/openapi_gen.py"
    );
}

/// The committed document is what the generator makes from the route table today: no drift.
#[test]
fn the_document_is_regenerated_without_drift() {
    let dir = std::env::temp_dir().join(format!("hotspot-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("openapi.json");
    common::system::require(&[common::system::Need::PythonVenv]);
    let run = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/api/openapi_gen.py"
        ))
        .arg(&out)
        .output()
        .expect("python3 runs (apt-get install python3)");
    assert!(
        run.status.success(),
        "openapi_gen.py failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let made = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        made == hotspot::api::webapp::OPENAPI,
        "src/api/openapi.json is not what src/api/openapi_gen.py makes from the route table: run python3 src/api/openapi_gen.py"
    );
}

/// Each operation's security in the document is the table's access: no token looked at, an
/// optional one, or a required one.
#[test]
fn the_document_says_who_may_call_each_operation() {
    let doc = document();
    for e in TABLE {
        for (path, summary) in e.docs {
            let op = &doc["paths"][*path][e.verb.openapi()];
            assert_eq!(op["summary"], *summary, "{path}");
            let security = op["security"].as_array().unwrap();
            let optional = security
                .iter()
                .any(|s| s.as_object().is_some_and(|o| o.is_empty()));
            match e.access {
                Access::Open => assert!(security.is_empty(), "{path}"),
                Access::Anyone => assert!(optional, "{path}"),
                Access::Roles(_) => assert!(!security.is_empty() && !optional, "{path}"),
            }
        }
    }
}
