//! The role matrix of issue 5 through the real routes on the demo data: every restricted
//! endpoint with no token, a revoked token, the wrong role and the right one; exact data only
//! for the roles allowed it (checked against the store's catalog); small counts suppressed for
//! the public; every export in the audit log.

mod common;

use actix_web::{test, web, App};
use serde_json::Value;

use hotspot::api::routes;

struct Answer {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn call(path: &str, auth: Option<&str>) -> Answer {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let mut req = test::TestRequest::get().uri(path);
    if let Some(a) = auth {
        req = req.insert_header(("authorization", a));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = test::read_body(res).await.to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// Asserts the statuses for: no token, revoked, planner, police, admin.
async fn matrix(path: &str, expected: [u16; 5]) {
    let t = common::demo_tokens();
    let callers = [
        ("no token", None),
        ("revoked", Some(t.revoked.as_str())),
        ("planner", Some(t.planner.as_str())),
        ("police", Some(t.police.as_str())),
        ("admin", Some(t.admin.as_str())),
    ];
    for ((who, auth), want) in callers.into_iter().zip(expected) {
        let a = call(path, auth).await;
        assert_eq!(a.status, want, "{path} as {who}: {}", a.json());
        if want == 401 {
            assert_eq!(a.headers.get("www-authenticate").unwrap(), "Bearer");
        }
    }
}

#[actix_web::test]
async fn restricted_endpoints_answer_each_role() {
    // Incident exports: police and admin only.
    for f in ["geojson", "csv", "shapefile"] {
        let path = format!("/api/collections/incidents/items?f={f}&district=rode-201&limit=5");
        matrix(&path, [401, 401, 403, 200, 200]).await;
    }
    // The audit log: admin only.
    matrix("/api/audit", [401, 401, 403, 403, 200]).await;
    // Reading endpoints are open to every valid caller; a revoked token is still refused.
    for path in [
        "/api/collections/incidents/items?limit=1",
        "/api/analysis/hexbins?district=district-8",
        "/tiles/incidents/15/17525/10252.mvt",
        "/api/collections/districts/items?f=shapefile&level=district",
    ] {
        matrix(path, [200, 401, 200, 200, 200]).await;
    }
}

#[actix_web::test]
async fn percent_encoded_paths_meet_the_same_rules() {
    // The router decodes escapes; the policy must see the path the router matches.
    matrix("/api/%61udit", [401, 401, 403, 403, 200]).await;
    matrix("/api/%72eports", [401, 401, 200, 403, 200]).await;
    matrix("/api/where%2Dto-act", [401, 401, 200, 403, 200]).await;
    matrix("/api/%77alks", [401, 401, 200, 403, 200]).await;
    matrix(
        "/api/collections/incidents/%69tems?f=csv&district=rode-201&limit=5",
        [401, 401, 403, 200, 200],
    )
    .await;
    matrix("/api/where-to-act", [401, 401, 200, 403, 200]).await;
}

/// The exact incident with `id` from the catalog, and what each role is served for it.
#[actix_web::test]
async fn only_police_and_admin_get_exact_points() {
    let cat = common::demo_catalog();
    let t = common::demo_tokens();
    let exact = &cat.incidents[1234];
    let path = format!("/api/collections/incidents/items/{}", exact.id);
    // The public knows incidents by their public ids (issue 12), not the store's.
    let public_path = format!(
        "/api/collections/incidents/items/{}",
        cat.public_id_of(exact.id)
    );
    assert_eq!(call(&path, None).await.status, 404);
    let coords = |v: &Value| {
        let c = &v["geometry"]["coordinates"];
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    for auth in [None, Some(t.planner.as_str())] {
        let v = call(&public_path, auth).await.json();
        let (lon, lat) = coords(&v);
        assert!(
            (lon - exact.lon).abs() > 1e-6 || (lat - exact.lat).abs() > 1e-6,
            "the public view moved the point"
        );
        assert_eq!(v["properties"]["precision"], "approximate");
        assert_eq!(v["properties"]["source_id"], "");
        let t =
            hotspot::model::time::parse_rfc3339(v["properties"]["occurred_at"].as_str().unwrap())
                .unwrap();
        assert_eq!(t % 3600, 0);
        assert!(t <= exact.occurred_at && exact.occurred_at - t < 3600);
        let (a, b) = hotspot::privacy::anchor(exact.lon, exact.lat);
        assert!((lon - a).abs() < 1e-7 && (lat - b).abs() < 1e-7);
    }
    for auth in [&t.police, &t.admin] {
        let v = call(&path, Some(auth)).await.json();
        let (lon, lat) = coords(&v);
        assert!((lon - exact.lon).abs() < 1e-7 && (lat - exact.lat).abs() < 1e-7);
        assert_eq!(v["properties"]["source_id"], cat.incidents.source_id(1234));
    }
    // No public page of district 8 holds an exact coordinate.
    let exact_points: std::collections::HashSet<(i64, i64)> = cat
        .incidents
        .iter()
        .map(|i| ((i.lon * 1e7).round() as i64, (i.lat * 1e7).round() as i64))
        .collect();
    let v = call(
        "/api/collections/incidents/items?district=district-8&limit=10000",
        None,
    )
    .await
    .json();
    let features = v["features"].as_array().unwrap();
    assert!(features.len() > 1000);
    for f in features {
        let (lon, lat) = coords(f);
        assert!(!exact_points.contains(&((lon * 1e7).round() as i64, (lat * 1e7).round() as i64)));
    }
    assert_eq!(v["privacy"]["exact"], false);
}

#[actix_web::test]
async fn small_counts_are_suppressed_for_the_public_only() {
    let t = common::demo_tokens();
    // Resolution 10 (the public cell) and one category, so that small counts occur.
    let path = "/api/analysis/hexbins?district=district-8&resolution=10&category=robbery";
    let counts = |v: &Value| -> Vec<u64> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap())
            .collect()
    };
    let public = call(path, None).await.json();
    assert!(
        counts(&public).iter().all(|&n| n >= 3),
        "{:?}",
        counts(&public)
    );
    assert!(public["suppressedCells"].as_u64().unwrap() > 0);
    assert_eq!(public["privacy"]["suppressed_below"], 3);
    let planner = call(path, Some(&t.planner)).await.json();
    assert!(counts(&planner).iter().any(|&n| n < 3));
    assert_eq!(planner["suppressedCells"], 0);

    let summary = "/api/districts/district-8/summary?from=2014-06-01&to=2014-06-30";
    let grid = |v: &Value| -> Vec<Value> {
        v["hour_weekday"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r.as_array().unwrap().clone())
            .collect()
    };
    let public = call(summary, None).await.json();
    assert!(grid(&public)
        .iter()
        .all(|c| c.is_null() || c.as_u64().unwrap() == 0 || c.as_u64().unwrap() >= 3));
    assert!(grid(&public).iter().any(Value::is_null));
    // A hidden count never stands alone in a table with a published total.
    let hidden = grid(&public).iter().filter(|c| c.is_null()).count();
    assert!(hidden != 1);
    let rows = public["categories"].as_array().unwrap();
    let hidden = rows
        .iter()
        .filter(|r| r["code"] != "all" && r["count"].is_null())
        .count();
    assert!(hidden != 1, "{rows:?}");
    let planner = call(summary, Some(&t.planner)).await.json();
    assert!(grid(&planner)
        .iter()
        .any(|c| matches!(c.as_u64(), Some(1 | 2))));
}

#[actix_web::test]
async fn every_export_is_in_the_audit_log() {
    let t = common::demo_tokens();
    let path = "/api/collections/incidents/items?f=csv&district=district-8&category=weapons";
    let a = call(path, Some(&t.police)).await;
    assert_eq!(a.status, 200);
    let rows = a.body.iter().filter(|&&b| b == b'\n').count() - 1;
    let disposition = a
        .headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"incidents-"),
        "{disposition}"
    );
    let log = call("/api/audit?limit=100", Some(&t.admin)).await.json();
    let entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["query"] == "f=csv&district=district-8&category=weapons")
        .unwrap_or_else(|| panic!("no audit entry in {log}"));
    assert_eq!(entry["action"], "export");
    assert_eq!(entry["collection"], "incidents");
    assert_eq!(entry["format"], "csv");
    assert_eq!(entry["role"], "police");
    assert_eq!(entry["features"], rows as u64);
    assert!(entry["actor"].as_str().unwrap().contains("test police"));
    // A refused export is not an export.
    let before = log["numberMatched"].as_u64().unwrap();
    assert_eq!(call(path, Some(&t.planner)).await.status, 403);
    let after = call("/api/audit", Some(&t.admin)).await.json()["numberMatched"]
        .as_u64()
        .unwrap();
    // Other tests of this binary may export meanwhile, but never the planner's.
    assert!(after >= before);
    let log = call("/api/audit?limit=10000", Some(&t.admin)).await.json();
    assert!(log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["role"] != "planner"));
}

#[actix_web::test]
async fn tiles_are_gzip_compressed_when_asked_and_revalidate_by_etag() {
    use std::io::Read;
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let path = "/tiles/incidents/15/17525/10252.mvt";
    let get = |gzip: bool, etag: Option<String>| {
        let mut r = test::TestRequest::get().uri(path);
        if gzip {
            r = r.insert_header(("accept-encoding", "gzip, deflate, br"));
        }
        if let Some(e) = etag {
            r = r.insert_header(("if-none-match", e));
        }
        r.to_request()
    };
    let raw = test::call_service(&app, get(false, None)).await;
    assert_eq!(raw.status(), 200);
    let etag = raw
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(raw.headers().get("content-encoding").is_none());
    let raw = test::read_body(raw).await;
    // Twice: made and compressed, then from the cache.
    for _ in 0..2 {
        let z = test::call_service(&app, get(true, None)).await;
        assert_eq!(z.headers().get("content-encoding").unwrap(), "gzip");
        assert_eq!(z.headers().get("etag").unwrap().to_str().unwrap(), etag);
        let body = test::read_body(z).await;
        assert!(body.len() < raw.len());
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut unzipped)
            .unwrap();
        assert_eq!(unzipped, raw.to_vec());
    }
    let again = test::call_service(&app, get(true, Some(etag))).await;
    assert_eq!(again.status(), 304);

    // TileJSON names the data version in its tile URLs; a tile asked for under another (an old
    // TileJSON's) is the current tile, which no cache may keep under that URL.
    let tj = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/tiles/incidents.json")
            .to_request(),
    )
    .await;
    let tj: serde_json::Value = serde_json::from_slice(&test::read_body(tj).await).unwrap();
    let url = tj["tiles"][0].as_str().unwrap();
    let v = url.split("v=").nth(1).unwrap();
    assert_eq!(v, tj["data_version"].as_str().unwrap());
    let control = |uri: String| {
        let app = &app;
        async move {
            let res =
                test::call_service(app, test::TestRequest::get().uri(&uri).to_request()).await;
            assert_eq!(res.status(), 200);
            res.headers()
                .get("cache-control")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        control(format!("{path}?v={v}")).await,
        "public, max-age=300"
    );
    assert_eq!(control(format!("{path}?v=v1-old")).await, "no-store");
}

#[actix_web::test]
async fn kept_analysis_answers_are_per_role_and_equal_fresh_ones() {
    // One server answering in turn: the public, the police, the public again, a planner. Kept
    // answers must never cross roles, and must be the bytes a fresh server computes.
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let ask = |path: &'static str, auth: Option<String>| {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(a) = auth {
            req = req.insert_header(("authorization", a));
        }
        req.to_request()
    };
    let paths = [
        "/api/analysis/hotspots?district=district-8&resolution=10",
        "/api/analysis/hexbins?district=district-8&resolution=10",
        "/api/analysis/emerging?district=district-8&resolution=9&step=year",
    ];
    for path in paths {
        let mut bodies = Vec::new();
        for auth in [None, Some(t.police.clone()), None, Some(t.planner.clone())] {
            let res = test::call_service(&app, ask(path, auth.clone())).await;
            assert_eq!(res.status(), 200, "{path}");
            let body = test::read_body(res).await.to_vec();
            // The same as a fresh server's answer to the same caller.
            let fresh = call(path, auth.as_deref()).await;
            assert_eq!(body, fresh.body, "{path} as {auth:?}: kept answer differs");
            bodies.push(body);
        }
        assert_eq!(bodies[0], bodies[2], "{path}: the public's answer changed");
        assert_ne!(
            bodies[0], bodies[1],
            "{path}: the public got the police's answer"
        );
        assert_ne!(
            bodies[1], bodies[3],
            "{path}: the planner got the police's answer"
        );
        // A client holding the answer revalidates it by its ETag; another role's tag differs.
        let first = test::call_service(&app, ask(path, None)).await;
        let tag = first.headers().get("etag").expect("an ETag").clone();
        assert_eq!(first.headers().get("vary").unwrap(), "Authorization");
        let again = test::call_service(
            &app,
            test::TestRequest::get()
                .uri(path)
                .insert_header(("if-none-match", tag.clone()))
                .to_request(),
        )
        .await;
        assert_eq!(again.status(), 304, "{path}");
        let police = test::call_service(
            &app,
            test::TestRequest::get()
                .uri(path)
                .insert_header(("authorization", t.police.clone()))
                .insert_header(("if-none-match", tag))
                .to_request(),
        )
        .await;
        // `*` confirms nothing: a request the public may not make is still refused.
        let star = test::call_service(
            &app,
            test::TestRequest::get()
                .uri(&format!("{path}&resolution=13"))
                .insert_header(("if-none-match", "*"))
                .to_request(),
        )
        .await;
        assert_eq!(
            star.status(),
            400,
            "{path}: If-None-Match: * skipped the checks"
        );
        assert_eq!(
            police.status(),
            200,
            "{path}: the police revalidated the public's answer"
        );
        let exact: Value = serde_json::from_slice(&bodies[1]).unwrap();
        assert_eq!(exact["privacy"]["exact"], true, "{path}");
        let public: Value = serde_json::from_slice(&bodies[0]).unwrap();
        assert_eq!(public["privacy"]["exact"], false, "{path}");
    }
}

/// Deny by default, from the route table: every endpoint that needs a role refuses a caller
/// without a token (401) and a token of each other role (403) before its handler runs; every
/// endpoint open to anyone answers a caller without a token with neither.
#[actix_web::test]
async fn every_endpoint_of_the_route_table_enforces_its_access() {
    use hotspot::api::route_table::{Access, Verb, TABLE};
    use hotspot::auth::Role;
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let sample = |path: &str| {
        path.replace("{id}", "1")
            .replace("{fid}", "1")
            .replace("{period}", "2014")
            .replace("{code}", "dark_place")
            .replace("{fmt}", "json")
            .replace("{file}", "incidents.json")
            .replace("{collection}", "incidents")
            .replace("{z}/{x}/{y}", "15/17525/10252")
    };
    let tokens = [
        (Role::Planner, t.planner.as_str()),
        (Role::Police, t.police.as_str()),
        (Role::Admin, t.admin.as_str()),
    ];
    let mut checked = 0;
    for e in TABLE {
        let uri = sample(e.path);
        let method = match e.verb {
            Verb::Get => actix_web::http::Method::GET,
            Verb::Post => actix_web::http::Method::POST,
            Verb::Put => actix_web::http::Method::PUT,
            Verb::Delete => actix_web::http::Method::DELETE,
        };
        let send = |auth: Option<&str>| {
            let mut req = test::TestRequest::default()
                .method(method.clone())
                .uri(&uri)
                .insert_header(("content-type", "application/json"))
                .set_payload("{}");
            if let Some(a) = auth {
                req = req.insert_header(("authorization", a));
            }
            req.to_request()
        };
        match e.access {
            Access::Roles(roles) => {
                let res = test::call_service(&app, send(None)).await;
                assert_eq!(
                    res.status(),
                    401,
                    "{} {uri} without a token",
                    e.verb.openapi()
                );
                for (role, token) in tokens.iter().filter(|(r, _)| !roles.contains(r)) {
                    let res = test::call_service(&app, send(Some(token))).await;
                    assert_eq!(
                        res.status(),
                        403,
                        "{} {uri} as {}",
                        e.verb.openapi(),
                        role.code()
                    );
                }
                checked += 1;
            }
            Access::Anyone | Access::Open if e.verb == Verb::Get => {
                let res = test::call_service(&app, send(None)).await;
                assert!(
                    ![401, 403, 405].contains(&res.status().as_u16()),
                    "GET {uri} without a token answered {}",
                    res.status()
                );
                checked += 1;
            }
            Access::Anyone | Access::Open => {}
        }
    }
    assert!(checked > 40, "{checked}");
}
