//! The holes the adversarial review of issue 12 found, each driven through the real routes (or
//! the real binary) the way an attacker would: duplicate suggestions as a location oracle,
//! rate-limit keys, "me too" once per client, export spellings past the role matrix, heavy
//! analyses, unmoderated reports in public aggregates, planner precision, a damaged store,
//! forwarded hosts, error bodies, public incident ids and report times.

mod common;

use std::net::SocketAddr;

use actix_web::{test, web, App};
use serde_json::{json, Value};

use hotspot::api::client::TrustedProxies;
use hotspot::api::{routes, AppState, WebSettings};
use hotspot::config::Config;

struct Fixture {
    state: web::Data<AppState>,
    planner: String,
    police: String,
}

/// A fresh store with the shipped boundaries (no demo) and a planner and a police token.
fn fixture(limit: usize, proxies: &[&str]) -> Fixture {
    let dir = common::temp_dir("security");
    let config = Config {
        data_dir: dir,
        demo: false,
        ..Config::default()
    };
    let (store, catalog, _) = hotspot::app::open(&config).unwrap();
    let make = |role: &str| {
        let t = hotspot::auth::new_token().unwrap();
        let id = store
            .create_token(&format!("sec {role}"), role, &t.salt, &t.hash, 0)
            .unwrap();
        format!("Bearer {}", hotspot::auth::token_text(id, &t.secret))
    };
    let (planner, police) = (make("planner"), make("police"));
    let state = AppState::new(store, catalog, WebSettings::default(), false)
        .expect("state")
        .with_report_limit(limit)
        .with_trusted_proxies(TrustedProxies::parse(proxies).unwrap());
    Fixture {
        state: web::Data::new(state),
        planner,
        police,
    }
}

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

async fn send(state: &web::Data<AppState>, req: test::TestRequest) -> Answer {
    let app = test::init_service(App::new().app_data(state.clone()).configure(routes)).await;
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

fn peer(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Posts a report at (lon, lat) from `from`, with extra headers.
async fn report(f: &Fixture, lon: f64, lat: f64, from: &str, headers: &[(&str, &str)]) -> Answer {
    let mut r = test::TestRequest::post()
        .uri("/open311/v2/requests.json")
        .peer_addr(peer(from))
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(format!(
            "service_code=poor_lighting&lat={lat}&long={lon}&description=Lyset+er+gået"
        ));
    for h in headers {
        r = r.insert_header(*h);
    }
    send(&f.state, r).await
}

async fn get(state: &web::Data<AppState>, uri: &str, auth: Option<&str>) -> Answer {
    let mut r = test::TestRequest::get().uri(uri);
    if let Some(a) = auth {
        r = r.insert_header(("authorization", a));
    }
    send(state, r).await
}

async fn publish(f: &Fixture, id: &str) {
    let a = send(
        &f.state,
        test::TestRequest::post()
            .uri(&format!("/api/reports/{id}/moderation"))
            .insert_header(("authorization", f.planner.as_str()))
            .insert_header(("content-type", "application/json"))
            .set_payload(json!({"action": "publish"}).to_string()),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.json());
}

fn id_of(a: &Answer) -> String {
    assert_eq!(a.status, 201, "{}", a.json());
    a.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Points around `(lon, lat)` on a 5 m lattice within 250 m.
fn lattice(lon: f64, lat: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for i in -50..=50 {
        for j in -50..=50 {
            out.push((lon + i as f64 * 0.00008, lat + j as f64 * 0.000045));
        }
    }
    out
}

/// Unix seconds as RFC 3339 UTC.
fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    hotspot::reports::distance_m(a, b)
}

#[actix_web::test]
async fn duplicate_suggestions_reveal_no_more_than_the_public_cell() {
    let f = fixture(0, &[]);
    let exact = (12.55473, 55.68661);
    let id = id_of(&report(&f, exact.0, exact.1, "198.51.100.1:1", &[]).await);
    publish(&f, &id).await;
    let cell = hotspot::privacy::anchor_cell(exact.0, exact.1).unwrap();
    let public = hotspot::privacy::anchor(exact.0, exact.1);

    // Probes in the report's own cell, the nearest to and the farthest from the exact spot,
    // and the same in a neighbouring cell.
    let by_cell = |want: &dyn Fn(h3o::CellIndex) -> bool| {
        let mut pts: Vec<(f64, f64)> = lattice(exact.0, exact.1)
            .into_iter()
            .filter(|p| want(hotspot::privacy::anchor_cell(p.0, p.1).unwrap()))
            .collect();
        pts.sort_by(|a, b| metres(*a, exact).total_cmp(&metres(*b, exact)));
        (pts[0], pts[pts.len() - 1])
    };
    let (near, far) = by_cell(&|c| c == cell);
    let neighbour = cell.grid_disk::<Vec<_>>(1)[1];
    let (n_near, n_far) = by_cell(&|c| c == neighbour);
    assert!(metres(near, exact) < 5.0 && metres(far, exact) > 60.0);

    let mut answers = Vec::new();
    for (n, p) in [near, far, n_near, n_far].into_iter().enumerate() {
        let a = report(&f, p.0, p.1, "198.51.100.2:1", &[]).await;
        assert_eq!(a.status, 201, "{}", a.json());
        let dups = a.json()[0]["possible_duplicates"].clone();
        assert_eq!(dups.as_array().unwrap().len(), 1, "probe {n}: {dups}");
        let d = &dups[0];
        assert_eq!(d["service_request_id"], id.as_str());
        // The public position, never the exact one.
        assert_eq!(
            (d["long"].as_f64().unwrap() * 1e6).round(),
            (public.0 * 1e6).round()
        );
        assert_eq!(
            (d["lat"].as_f64().unwrap() * 1e6).round(),
            (public.1 * 1e6).round()
        );
        assert_eq!(d["requested_datetime"].as_str().unwrap()[14..19], *"00:00");
        answers.push(d.clone());
    }
    // Within a cell, the answer is the same wherever the probe is: nothing to bisect on.
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0]["distance_m"], 0.0);
    assert_eq!(answers[2], answers[3]);
    let step = answers[2]["distance_m"].as_f64().unwrap();
    assert!((100.0..130.0).contains(&step), "{step}");

    // Two cells away: nothing.
    let two = cell.grid_disk_distances::<Vec<_>>(2);
    let far_cell = two.iter().find(|(_, k)| *k == 2).unwrap().0;
    let ll = h3o::LatLng::from(far_cell);
    let a = report(&f, ll.lng(), ll.lat(), "198.51.100.2:1", &[]).await;
    assert_eq!(a.json()[0]["possible_duplicates"], json!([]));
}

#[actix_web::test]
async fn the_rate_limit_believes_forwarding_headers_only_from_trusted_proxies() {
    let here = (12.5547, 55.6866);
    // No trusted proxy: X-Forwarded-For is ignored, the peer is the client.
    let f = fixture(2, &[]);
    for n in 0..2 {
        let xff = format!("203.0.113.{n}");
        let a = report(
            &f,
            here.0,
            here.1,
            "198.51.100.9:5000",
            &[("x-forwarded-for", &xff)],
        )
        .await;
        assert_eq!(a.status, 201);
    }
    let a = report(
        &f,
        here.0,
        here.1,
        "198.51.100.9:5001",
        &[("x-forwarded-for", "203.0.113.99")],
    )
    .await;
    assert_eq!(
        a.status, 429,
        "a made-up X-Forwarded-For gave a fresh budget"
    );
    assert!(a.headers.get("retry-after").is_some());
    // Every loopback address is one client, and so is every address of one IPv6 /64.
    for (a1, a2) in [
        ("127.0.0.1:1", "127.0.0.2:1"),
        ("[2001:db8:1:2::1]:1", "[2001:db8:1:2::abcd]:1"),
    ] {
        let f = fixture(2, &[]);
        assert_eq!(report(&f, here.0, here.1, a1, &[]).await.status, 201);
        assert_eq!(report(&f, here.0, here.1, a1, &[]).await.status, 201);
        assert_eq!(
            report(&f, here.0, here.1, a2, &[]).await.status,
            429,
            "{a2} after {a1}"
        );
    }
    // Behind a trusted balancer, residents are told apart by the header it adds.
    let f = fixture(2, &["10.0.0.0/8"]);
    for xff in ["203.0.113.7", "203.0.113.7", "203.0.113.8", "203.0.113.8"] {
        let a = report(
            &f,
            here.0,
            here.1,
            "10.0.0.2:5000",
            &[("x-forwarded-for", xff)],
        )
        .await;
        assert_eq!(a.status, 201, "{xff}");
    }
    let a = report(
        &f,
        here.0,
        here.1,
        "10.0.0.3:5000",
        &[("forwarded", "for=203.0.113.7")],
    )
    .await;
    assert_eq!(a.status, 429);
    // A client's own Forwarded (or X-Forwarded-For) beside the one the balancer wrote buys
    // nothing: both addresses are counted.
    let f = fixture(2, &["10.0.0.0/8"]);
    for n in 0..3 {
        let spoof = format!("for=198.51.100.{n}");
        let a = report(
            &f,
            here.0,
            here.1,
            "10.0.0.2:5000",
            &[("x-forwarded-for", "203.0.113.9"), ("forwarded", &spoof)],
        )
        .await;
        assert_eq!(a.status, if n < 2 { 201 } else { 429 }, "{spoof}");
    }
}

#[actix_web::test]
async fn me_too_counts_once_per_client() {
    let f = fixture(0, &[]);
    let id = id_of(&report(&f, 12.5547, 55.6866, "198.51.100.1:1", &[]).await);
    publish(&f, &id).await;
    let me_too = |from: &'static str| {
        let state = f.state.clone();
        let id = id.clone();
        async move {
            send(
                &state,
                test::TestRequest::post()
                    .uri(&format!("/open311/v2/requests/{id}/me_too.json"))
                    .peer_addr(peer(from)),
            )
            .await
            .json()
        }
    };
    let first = me_too("198.51.100.5:1").await;
    assert_eq!(first[0]["me_too"], 1);
    assert_eq!(first[0]["counted"], true);
    for _ in 0..3 {
        let again = me_too("198.51.100.5:2").await;
        assert_eq!(again[0]["me_too"], 1, "{again}");
        assert_eq!(again[0]["counted"], false);
    }
    assert_eq!(me_too("198.51.100.6:1").await[0]["me_too"], 2);
}

#[actix_web::test]
async fn every_spelling_of_every_export_format_meets_the_role_matrix() {
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    let roles = [
        ("public", None, 401),
        ("planner", Some(t.planner.as_str()), 403),
        ("police", Some(t.police.as_str()), 200),
        ("admin", Some(t.admin.as_str()), 200),
    ];
    for format in ["geojson", "csv", "shapefile"] {
        for spelling in ["{}", "%20{}", "{}%20", "%09{}", "+{}", "{}+", "%0A{}"] {
            let f = spelling.replace("{}", format);
            let uri = format!("/api/collections/incidents/items?district=rode-1&limit=3&f={f}");
            for (who, auth, want) in roles {
                let a = get(&state, &uri, auth).await;
                assert_eq!(a.status, want, "{uri} as {who}: {}", a.json());
            }
        }
    }
}

#[actix_web::test]
async fn heavy_analyses_are_bounded_in_work_memory_and_answer_size() {
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    let bydele: Vec<String> = (1..=9).map(|n| format!("bydel-{n}")).collect();
    let all = bydele.join(",");
    // The request that took ~1 GB: refused up front, naming the parameter to change.
    let uri =
        format!("/api/analysis/emerging?resolution=11&step=month&k=1&time_window=0&district={all}");
    for auth in [None, Some(t.police.as_str())] {
        let a = get(&state, &uri, auth).await;
        assert_eq!(a.status, 400, "{}", a.json());
        assert_eq!(a.json()["field"], "resolution");
    }
    let uri = format!("/api/analysis/emerging?resolution=10&step=month&district={all}");
    let a = get(&state, &uri, None).await;
    assert_eq!(a.status, 400, "{}", a.json());
    assert!(a.json()["detail"].as_str().unwrap().contains("cell-steps"));
    // The 36 MB Gi* answer: refused or small.
    let three = "bydel-1,bydel-2,bydel-3";
    let a = get(
        &state,
        &format!("/api/analysis/hotspots?resolution=12&k=5&district={three}"),
        Some(&t.police),
    )
    .await;
    assert!(
        a.status == 400 || (a.status == 200 && a.body.len() < 30 << 20),
        "{} {} bytes",
        a.status,
        a.body.len()
    );

    // Beyond the queue: 503 with Retry-After, at once.
    let state = web::Data::new(common::demo_state().with_heavy_limits(1, 0));
    let app = test::init_service(App::new().app_data(state.clone()).configure(routes)).await;
    let heavy = "/api/analysis/hotspots?district=bydel-1,bydel-2,bydel-3,bydel-4&permutations=999";
    let (a, b) = futures_util::future::join(
        test::call_service(&app, test::TestRequest::get().uri(heavy).to_request()),
        test::call_service(&app, test::TestRequest::get().uri(heavy).to_request()),
    )
    .await;
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 503]);
    let busy = if a.status() == 503 { a } else { b };
    assert!(busy.headers().get("retry-after").is_some());
    assert_eq!(
        busy.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
}

#[actix_web::test]
async fn unmoderated_reports_do_not_show_in_public_aggregates() {
    let f = fixture(0, &[]);
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let summary = format!("/api/districts/district-8/summary?from={year}-01-01&to={year}-12-31");
    let section = |html: &[u8]| -> String {
        let h = String::from_utf8_lossy(html);
        let a = h.find("<section id=\"reports\"").expect("reports section");
        let b = h[a..].find("</section>").unwrap();
        h[a..a + b].to_owned()
    };
    let report_page = format!("/api/status-report?year={year}&lang=en");
    let public_before = get(&f.state, &summary, None).await.json()["reports"].clone();
    let status_before = get(&f.state, &report_page, None).await;
    assert_eq!(status_before.status, 200);
    let planner_before = get(&f.state, &summary, Some(&f.planner)).await.json()["reports"].clone();

    // One new report in district 8 (Blågårds Plads), not moderated.
    id_of(&report(&f, 12.5546, 55.6867, "198.51.100.1:1", &[]).await);

    let public_after = get(&f.state, &summary, None).await.json()["reports"].clone();
    assert_eq!(public_before, public_after, "the public summary changed");
    let status_after = get(&f.state, &report_page, None).await;
    assert_eq!(section(&status_before.body), section(&status_after.body));
    let planner_after = get(&f.state, &summary, Some(&f.planner)).await.json()["reports"].clone();
    assert_eq!(
        planner_after["total"].as_u64().unwrap(),
        planner_before["total"].as_u64().unwrap() + 1
    );
}

#[actix_web::test]
async fn planners_see_no_finer_than_the_public_cell_and_hour() {
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    for res in [11, 12] {
        let uri = format!("/api/analysis/hexbins?district=district-8&resolution={res}");
        for auth in [None, Some(t.planner.as_str())] {
            let a = get(&state, &uri, auth).await;
            assert_eq!(a.status, 400, "{uri}: {}", a.json());
            assert_eq!(a.json()["field"], "resolution");
        }
        assert_eq!(get(&state, &uri, Some(&t.police)).await.status, 200);
    }
    // A one-second window counts what the whole hour counts.
    let page = get(
        &state,
        "/api/collections/incidents/items?district=district-8&limit=1",
        Some(&t.police),
    )
    .await
    .json();
    let at = page["features"][0]["properties"]["occurred_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let t0 = chrono::DateTime::parse_from_rfc3339(&at)
        .unwrap()
        .timestamp();
    let hour = t0 - t0.rem_euclid(3600);
    let counts = |v: &Value| -> u64 {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap())
            .sum()
    };
    let second = get(
        &state,
        &format!(
            "/api/analysis/hexbins?district=district-8&datetime={}/{}",
            iso(t0),
            iso(t0)
        ),
        Some(&t.planner),
    )
    .await
    .json();
    let whole = get(
        &state,
        &format!(
            "/api/analysis/hexbins?district=district-8&datetime={}/{}",
            iso(hour),
            iso(hour + 3599)
        ),
        Some(&t.planner),
    )
    .await
    .json();
    assert_eq!(counts(&second), counts(&whole));
    assert_eq!(
        second["parameters"]["datetime"],
        whole["parameters"]["datetime"]
    );
    // Areas a planner chooses cannot be narrowed onto an exact point: a box of a few
    // centimetres around an incident finds nothing unless its public point is in it too.
    let mut probed = 0;
    for f in page["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let (plon, plat) = hotspot::privacy::anchor(lon, lat);
        if (plon - lon).abs() < 1e-5 && (plat - lat).abs() < 1e-5 {
            continue;
        }
        let bbox = format!(
            "{},{},{},{}",
            lon - 1e-7,
            lat - 1e-7,
            lon + 1e-7,
            lat + 1e-7
        );
        for path in [
            format!("/api/analysis/hexbins?bbox={bbox}"),
            format!("/api/analysis/hexbins?bbox={bbox}&resolution=7"),
        ] {
            let v = get(&state, &path, Some(&t.planner)).await.json();
            assert_eq!(v["numberOfIncidents"], 0, "{path}: {v}");
            let police = get(&state, &path, Some(&t.police)).await.json();
            assert!(police["numberOfIncidents"].as_u64().unwrap() >= 1, "{path}");
        }
        probed += 1;
    }
    assert!(probed > 0);
    // A density surface for a planner is the public one (made from the generalised points).
    let kde = "/api/analysis/kde?cell_m=5&bandwidth_m=20";
    assert_eq!(
        get(&state, kde, Some(&t.planner)).await.json()["raster"],
        get(&state, kde, None).await.json()["raster"]
    );
}

#[actix_web::test]
async fn public_ids_and_times_do_not_give_away_the_order_of_events() {
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    let page = |auth: Option<&'static str>| {
        let state = state.clone();
        async move {
            get(
                &state,
                "/api/collections/incidents/items?district=district-8&limit=2000",
                auth,
            )
            .await
            .json()
        }
    };
    let public = page(None).await;
    let police = page(Some(t.police.as_str())).await;
    let pairs = |v: &Value| -> Vec<(i64, String)> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_i64().unwrap(),
                    f["properties"]["occurred_at"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (public, police) = (pairs(&public), pairs(&police));
    // In id order, the police's times mostly rise; the public's are shuffled.
    let falls = |v: &[(i64, String)]| v.windows(2).filter(|w| w[0].1 > w[1].1).count();
    assert!(falls(&police) * 10 < police.len(), "police ids follow time");
    let f = falls(&public) as f64 / public.len() as f64;
    assert!((0.3..0.7).contains(&f), "public ids follow time: {f}");
    let exact: std::collections::HashSet<i64> = police.iter().map(|p| p.0).collect();
    let shared = public.iter().filter(|p| exact.contains(&p.0)).count();
    assert!(
        shared * 100 < public.len(),
        "{shared} public ids are store ids"
    );
    // A public id leads to its own feature, and is the same in a tile.
    let (id, at) = &public[0];
    let one = get(
        &state,
        &format!("/api/collections/incidents/items/{id}"),
        None,
    )
    .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["properties"]["occurred_at"], at.as_str());

    // Public reports: the hour they came in, not the second.
    let f = fixture(0, &[]);
    let id = id_of(&report(&f, 12.5547, 55.6866, "198.51.100.1:1", &[]).await);
    publish(&f, &id).await;
    let public = get(&f.state, &format!("/open311/v2/requests/{id}.json"), None)
        .await
        .json();
    for k in ["requested_datetime", "updated_datetime"] {
        let v = public[0][k].as_str().unwrap();
        assert!(v.ends_with(":00:00Z"), "{k} {v}");
    }
    let planner = get(&f.state, "/api/reports", Some(&f.planner)).await.json();
    let exact = planner["reports"][0]["requested_datetime"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nor does filtering on the time: any start within the hour finds it, the next hour not.
    let t = chrono::DateTime::parse_from_rfc3339(&exact)
        .unwrap()
        .timestamp();
    let hour = t - t.rem_euclid(3600);
    for (start, found) in [(hour, true), (t, true), (t + 1, true), (hour + 3600, false)] {
        let uri = format!("/open311/v2/requests.json?start_date={}", iso(start));
        let list = get(&f.state, &uri, None).await.json();
        let n = list.as_array().unwrap().len();
        assert_eq!(n == 1, found, "{uri}: {list}");
    }
    let _ = &f.police;
}

#[actix_web::test]
async fn forwarded_hosts_and_framework_errors() {
    let t = common::demo_tokens();
    let state = web::Data::new(common::demo_state());
    // A client cannot write its own host into our links.
    let a = send(
        &state,
        test::TestRequest::get()
            .uri("/tiles/incidents.json")
            .insert_header(("host", "hotspot.example"))
            .insert_header(("x-forwarded-host", "evil.example"))
            .insert_header(("forwarded", "host=evil.example;proto=https")),
    )
    .await;
    let tiles = a.json()["tiles"][0].as_str().unwrap().to_owned();
    assert!(tiles.starts_with("http://hotspot.example/"), "{tiles}");
    let a = send(
        &state,
        test::TestRequest::get()
            .uri("/api/collections/incidents/items?limit=1")
            .insert_header(("x-forwarded-host", "evil.example")),
    )
    .await;
    assert!(!String::from_utf8_lossy(&a.body).contains("evil.example"));
    // A body over a limit is a problem-details answer, as every other error of the API.
    let a = send(
        &state,
        test::TestRequest::post()
            .uri("/api/initiatives")
            .insert_header(("authorization", t.planner.as_str()))
            .insert_header(("content-type", "application/json"))
            .set_payload(vec![b' '; 8 << 20]),
    )
    .await;
    assert_eq!(a.status, 413);
    assert_eq!(
        a.headers.get("content-type").unwrap(),
        "application/problem+json"
    );
    assert_eq!(a.json()["status"], 413);
    // …and names the field, as every other refusal does.
    assert_eq!(a.json()["field"], "body");
    assert!(a.json()["detail"].as_str().unwrap().starts_with("body: "));
}

/// The real binary on a store with one damaged table: it refuses to start, naming the part.
#[core::prelude::v1::test]
fn a_partly_corrupt_store_is_refused_at_start() {
    for (table, part) in [("reports", "reports"), ("tokens", "tokens")] {
        let dir = common::temp_dir("corrupt");
        {
            let config = Config {
                data_dir: dir.clone(),
                demo: false,
                ..Config::default()
            };
            let (store, catalog, _) = hotspot::app::open(&config).unwrap();
            for n in 0..50 {
                let t = hotspot::auth::new_token().unwrap();
                store
                    .create_token(&format!("t{n}"), "planner", &t.salt, &t.hash, 0)
                    .unwrap();
            }
            let state = AppState::new(store, catalog, WebSettings::default(), false).unwrap();
            for n in 0..50 {
                let (salt, hash) = (format!("s{n}"), format!("h{n}"));
                state
                    .store_report(
                        hotspot::reports::NewReport {
                            service: hotspot::reports::Service::Other,
                            lon: 12.5547,
                            lat: 55.6866,
                            description: format!("report {n} with some text to fill the page"),
                            description_original: String::new(),
                            contact: Default::default(),
                            time_of_day: None,
                            created_at: 1_700_000_000 + n,
                            follow: (salt, hash),
                            district: Some("district-8".into()),
                        },
                        None,
                    )
                    .unwrap();
            }
        }
        let db = dir.join("hotspot.sqlite");
        let (page_size, root): (i64, i64) = {
            let c = rusqlite::Connection::open(&db).unwrap();
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
            (
                c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap(),
                c.query_row(
                    "SELECT rootpage FROM sqlite_master WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .unwrap(),
            )
        };
        let mut bytes = std::fs::read(&db).unwrap();
        let at = ((root - 1) * page_size) as usize;
        for b in &mut bytes[at..at + page_size as usize] {
            *b = 0xA5;
        }
        std::fs::write(&db, bytes).unwrap();
        let log = dir.join("stderr.log");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotspot"))
            .args(["serve", "--no-demo", "--listen"])
            .arg(format!("127.0.0.1:{}", common::free_port()))
            .arg("--data-dir")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let err = std::fs::read_to_string(&log).unwrap_or_default();
        let status = status.unwrap_or_else(|| panic!("serving with {table} damaged: {err}"));
        assert!(!status.success(), "served with {table} damaged");
        assert!(err.contains(part), "{table}: {err}");
        assert!(
            err.lines().filter(|l| l.starts_with("hotspot:")).count() == 1,
            "{err}"
        );
    }
}

/// The load goal of issue 12: 20 of the heaviest anonymous analyses at once against the real
/// binary on the demo data. The process stays up, stays under 1.5 GB (peak RSS, `VmHWM`), and
/// every answer is a 200, a 400 (too much work, refused up front) or a 503 (queue full).
#[core::prelude::v1::test]
fn twenty_heaviest_anonymous_requests_at_once_keep_the_server_up_and_small() {
    let dir = common::temp_dir("heavy");
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotspot"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while common::http("GET", &format!("{url}/api/health"), &[], b"").is_none() {
        assert!(std::time::Instant::now() < deadline, "no start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let all: Vec<String> = (1..=10).map(|n| format!("bydel-{n}")).collect();
    let all = all.join(",");
    let heavy = [
        format!("/api/analysis/emerging?resolution=11&step=month&k=1&time_window=0&district={all}"),
        format!(
            "/api/analysis/emerging?resolution=10&step=quarter&k=2&time_window=4&district={all}"
        ),
        format!("/api/analysis/hotspots?resolution=10&k=5&permutations=9999&district={all}"),
        format!("/api/analysis/hotspots?resolution=12&k=5&district={all}"),
        "/api/analysis/kde?bbox=12.45,55.61,12.73,55.73&cell_m=5&bandwidth_m=auto".into(),
        "/api/analysis/hexbins?resolution=10".into(),
        "/api/districts/bydel-5/summary?from=2010-01-01&to=2014-12-31".into(),
    ];
    let threads: Vec<_> = (0..20)
        .map(|n| {
            let u = format!("{url}{}", heavy[n % heavy.len()]);
            std::thread::spawn(move || (common::http("GET", &u, &[], b"").map(|r| r.0), u))
        })
        .collect();
    let mut statuses = Vec::new();
    for t in threads {
        let (status, u) = t.join().unwrap();
        let status = status.unwrap_or_else(|| panic!("no answer to {u}"));
        assert!([200, 400, 503].contains(&status), "{status} for {u}");
        statuses.push(status);
    }
    let peak_kb: u64 = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(child.try_wait().unwrap().is_none(), "the server died");
    assert!(common::http("GET", &format!("{url}/api/health"), &[], b"").is_some_and(|r| r.0 == 200));
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("statuses {statuses:?}, peak RSS {} MB", peak_kb / 1024);
    assert!(peak_kb < 1536 * 1024, "peak RSS {} MB", peak_kb / 1024);
    assert!(statuses.contains(&200));
}
