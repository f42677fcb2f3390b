//! Tokens and roles, and importing over HTTP: 401 without or with a bad/revoked token, 403 with
//! the wrong role, 201 with police/admin; the store never holds a token in clear; GeoJSON, CSV
//! and multipart uploads; refusal with the full report; the catalog shows the import at once.

mod common;

use actix_web::{test, web, App};
use serde_json::{json, Value};

use hotspot::api::{routes, AppState, WebSettings};
use hotspot::auth;
use hotspot::config::Config;
use hotspot::store::Store;

struct Fixture {
    state: web::Data<AppState>,
    dir: std::path::PathBuf,
    police: String,
    planner: String,
    admin: String,
    revoked: String,
}

fn fixture() -> Fixture {
    let dir = common::temp_dir("auth");
    let config = Config {
        data_dir: dir.clone(),
        demo: false,
        ..Config::default()
    };
    let (store, _, _) = hotspot::app::open(&config).unwrap();
    let make = |role: &str, name: &str| {
        let t = auth::new_token().unwrap();
        let id = store.create_token(name, role, &t.salt, &t.hash, 0).unwrap();
        auth::token_text(id, &t.secret)
    };
    let police = make("police", "liaison");
    let planner = make("planner", "secretariat");
    let admin = make("admin", "ops");
    let revoked = make("police", "old laptop");
    let revoked_id: i64 = revoked.split('_').nth(1).unwrap().parse().unwrap();
    assert!(store.revoke_token(revoked_id, 1).unwrap());
    let catalog = hotspot::catalog::Catalog::load(store.as_ref(), false).unwrap();
    let state = web::Data::new(
        AppState::new(store, catalog, WebSettings::default(), false).expect("state"),
    );
    Fixture {
        state,
        dir,
        police,
        planner,
        admin,
        revoked,
    }
}

fn incidents_body(n: usize, tag: &str) -> String {
    let features: Vec<Value> = (0..n)
        .map(|i| json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [12.55 + i as f64 * 1e-4, 55.686]},
            "properties": {"category": "vandalism", "occurred_at": "2013-10-05T23:10:00Z", "source_id": format!("{tag}-{i}"), "precision": "address"}
        }))
        .collect();
    json!({"type": "FeatureCollection", "features": features}).to_string()
}

async fn post(
    state: &web::Data<AppState>,
    uri: &str,
    token: Option<&str>,
    ctype: &str,
    body: String,
) -> (u16, Value) {
    let app = test::init_service(App::new().app_data(state.clone()).configure(routes)).await;
    let mut req = test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", ctype))
        .set_payload(body);
    if let Some(t) = token {
        req = req.insert_header(("authorization", format!("Bearer {t}")));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let body = test::read_body(res).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn role_matrix_for_imports() {
    let f = fixture();
    let uri = "/api/collections/incidents/items";
    let body = || incidents_body(3, "rm");
    let (s, v) = post(&f.state, uri, None, "application/geo+json", body()).await;
    assert_eq!(s, 401, "{v}");
    assert_eq!(v["title"], "Unauthorized");
    let (s, _) = post(
        &f.state,
        uri,
        Some("hs_1_nonsense"),
        "application/geo+json",
        body(),
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = post(
        &f.state,
        uri,
        Some(&f.revoked),
        "application/geo+json",
        body(),
    )
    .await;
    assert_eq!(s, 401, "revoked tokens are refused");
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.planner),
        "application/geo+json",
        body(),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("planner"));
    // A malformed Authorization header is a 401, not a silent downgrade to public.
    let app = test::init_service(App::new().app_data(f.state.clone()).configure(routes)).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/health")
            .insert_header(("authorization", "Basic abc"))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 401);
    // Reading stays public.
    let res = test::call_service(
        &app,
        test::TestRequest::get().uri("/api/health").to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);

    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        "application/geo+json",
        body(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 3);
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.admin),
        "application/geo+json",
        body(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 0);
    assert_eq!(
        v["duplicates"], 3,
        "re-sending the same records is idempotent"
    );
    // The catalog shows the import at once.
    assert_eq!(f.state.catalog().incidents.len(), 3);

    // The store holds no token in clear.
    let raw = std::fs::read(f.dir.join("hotspot.sqlite")).unwrap();
    let wal = std::fs::read(f.dir.join("hotspot.sqlite-wal")).unwrap_or_default();
    for t in [&f.police, &f.planner, &f.admin] {
        let secret = t.rsplit('_').next().unwrap().as_bytes();
        assert!(!raw.windows(secret.len()).any(|w| w == secret));
        assert!(!wal.windows(secret.len()).any(|w| w == secret));
    }
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[actix_web::test]
async fn uploads_in_every_form_and_refusals_with_the_report() {
    let f = fixture();
    let uri = "/api/collections/incidents/items";
    // CSV with the police.uk preset detected from its header.
    let csv = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context\n\
               a1,2012-03,X,X,12.5547,55.6866,On or near Blågårds Plads,,,Drugs,,\n\
               a2,2012-03,X,X,12.5550,55.6860,On or near Stengade,,,Anti-social behaviour,,\n";
    let (s, v) = post(&f.state, uri, Some(&f.police), "text/csv", csv.into()).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 1);
    assert_eq!(v["ignored"]["Anti-social behaviour"], 1);

    // Multipart upload of a GeoJSON file.
    let boundary = "XyZ123";
    let file = incidents_body(2, "mp");
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"walk.geojson\"\r\nContent-Type: application/geo+json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 2);

    // One bad feature: 422 with every refusal listed, nothing written.
    let before = f.state.catalog().incidents.len();
    let mut fc: Value = serde_json::from_str(&incidents_body(5, "bad")).unwrap();
    fc["features"][2]["geometry"]["coordinates"] = json!([12.55, f64::MAX]);
    fc["features"][3]["properties"]["occurred_at"] = json!("yesterday");
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        "application/geo+json",
        fc.to_string(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let rejected = v["summary"]["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["location"], "feature 2");
    assert!(rejected[1]["reason"]
        .as_str()
        .unwrap()
        .starts_with("occurred_at:"));
    assert_eq!(f.state.catalog().incidents.len(), before);
    let (s, v) = post(
        &f.state,
        &format!("{uri}?skip_invalid=true"),
        Some(&f.police),
        "application/geo+json",
        fc.to_string(),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 3);

    // Not a file we read.
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        "application/xml",
        "<x/>".into(),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["field"], "Content-Type");
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        "application/geo+json",
        "{\"type\": \"Feature\"".into(),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["field"], "body");
    let (s, _) = post(
        &f.state,
        uri,
        Some(&f.police),
        "application/geo+json",
        String::new(),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = post(
        &f.state,
        "/api/collections/crimes/items",
        Some(&f.police),
        "application/geo+json",
        incidents_body(1, "x"),
    )
    .await;
    assert_eq!(s, 404);
    let (s, v) = post(
        &f.state,
        &format!("{uri}?skip_invalid=maybe"),
        Some(&f.police),
        "application/geo+json",
        incidents_body(1, "x"),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["field"], "skip_invalid");

    // A region: a lat,lon pair is refused, and said to look swapped; a bad region is named.
    let copenhagen = "region=12.4,55.6,12.7,55.75";
    let mut fc: Value = serde_json::from_str(&incidents_body(2, "swap")).unwrap();
    fc["features"][1]["geometry"]["coordinates"] = json!([55.68, 12.55]);
    let before = f.state.catalog().incidents.len();
    let (s, v) = post(
        &f.state,
        &format!("{uri}?{copenhagen}"),
        Some(&f.police),
        "application/geo+json",
        fc.to_string(),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let rejected = v["summary"]["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{v}");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("look swapped"),
        "{v}"
    );
    assert_eq!(f.state.catalog().incidents.len(), before);
    for bad in [
        "region=12.4,55.6,12.7",
        "region=12.7,55.6,12.4,55.75",
        "region=a,b,c,d",
    ] {
        let (s, v) = post(
            &f.state,
            &format!("{uri}?{bad}"),
            Some(&f.police),
            "application/geo+json",
            incidents_body(1, "x"),
        )
        .await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert_eq!(v["field"], "region", "{bad}");
    }
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[actix_web::test]
async fn geojson_upload_with_a_byte_order_mark_imports() {
    let f = fixture();
    let uri = "/api/collections/incidents/items";
    let body = format!("\u{feff}{}", incidents_body(2, "bom"));
    assert!(body.as_bytes().starts_with(b"\xEF\xBB\xBF"));
    let (s, v) = post(&f.state, uri, Some(&f.police), "application/geo+json", body).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 2);
    // As a multipart upload, too.
    let boundary = "Bom42";
    let file = format!("\u{feff}{}", incidents_body(2, "bom-mp"));
    let mp = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notepad.geojson\"\r\nContent-Type: application/geo+json\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let (s, v) = post(
        &f.state,
        uri,
        Some(&f.police),
        &format!("multipart/form-data; boundary={boundary}"),
        mp,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["imported"], 2);
    let _ = std::fs::remove_dir_all(&f.dir);
}

#[actix_web::test]
async fn cli_tokens_create_list_revoke() {
    let dir = common::temp_dir("cli-token");
    let bin = env!("CARGO_BIN_EXE_hotspot");
    let out = std::process::Command::new(bin)
        .args([
            "token",
            "create",
            "--role",
            "police",
            "--name",
            "liaison",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(auth::parse_token(&token).is_some(), "{token}");
    let list = std::process::Command::new(bin)
        .args(["token", "list", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(
        text.contains("liaison") && text.contains("active"),
        "{text}"
    );
    assert!(
        !text.contains(token.rsplit('_').next().unwrap()),
        "list never shows secrets"
    );
    let bad = std::process::Command::new(bin)
        .args([
            "token",
            "create",
            "--role",
            "mayor",
            "--name",
            "x",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role 'mayor'"));
    let id = token.split('_').nth(1).unwrap();
    let rev = std::process::Command::new(bin)
        .args(["token", "revoke", id, "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(rev.status.success());
    let store = Store::open(&dir).unwrap();
    assert!(store.tokens().unwrap()[0].revoked_at.is_some());
    let _ = std::fs::remove_dir_all(dir);
}
