//! The OGC API – Features endpoints, their filters and every parameter error, driven through
//! the real routes with the demo data.

mod common;

use actix_web::{test, web, App};
use geo::{Intersects, Point};
use serde_json::Value;

use hotspot::api::routes;
use hotspot::model::time;

/// GET as the police liaison: exact data, as the brute-force checks below assume.
async fn get(path: &str) -> (u16, String, Value) {
    get_as(path, Some(&common::demo_tokens().police)).await
}

/// GET with the given `Authorization` value (`None` = the public).
async fn get_as(path: &str, auth: Option<&str>) -> (u16, String, Value) {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let mut req = test::TestRequest::get().uri(path);
    if let Some(a) = auth {
        req = req.insert_header(("authorization", a));
    }
    let res = test::call_service(&app, req.to_request()).await;
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = test::read_body(res).await;
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, ctype, json)
}

/// Asserts a 400 problem naming `field`, with `needle` in its detail.
async fn bad(path: &str, field: &str, needle: &str) {
    let (status, ctype, v) = get(path).await;
    assert_eq!(status, 400, "{path}: {v}");
    assert_eq!(ctype, "application/problem+json", "{path}");
    assert_eq!(v["status"], 400);
    assert_eq!(v["title"], "Invalid parameter");
    assert_eq!(v["field"], field, "{path}: {v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.starts_with(&format!("{field}:")), "{path}: {detail}");
    assert!(
        detail.contains(needle),
        "{path}: '{detail}' lacks '{needle}'"
    );
}

#[actix_web::test]
async fn health_reports_counts_and_version() {
    let (status, _, v) = get("/api/health").await;
    assert_eq!(status, 200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["counts"]["districts"], 444);
    assert!(v["counts"]["incidents"].as_u64().unwrap() > 50_000);
    assert!(v["counts"]["observations"].as_u64().unwrap() >= 200);
    assert!(v["data_version"].as_str().unwrap().starts_with("v1-"));
    assert_eq!(v["synthetic"]["incidents"], v["counts"]["incidents"]);
}

#[actix_web::test]
async fn landing_conformance_and_collections() {
    let (status, _, v) = get("/api").await;
    assert_eq!(status, 200);
    let rels: Vec<&str> = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(rels.contains(&"conformance") && rels.contains(&"data"));
    // What GDAL and OWSLib follow to the API definition.
    let desc = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "service-desc")
        .expect("a service-desc link");
    assert!(desc["href"]
        .as_str()
        .unwrap()
        .ends_with("/api/openapi.json"));
    assert!(desc["type"]
        .as_str()
        .unwrap()
        .starts_with("application/vnd.oai.openapi+json"));
    assert!(rels.contains(&"service-doc"));

    let (_, _, v) = get("/api/conformance").await;
    assert!(v["conformsTo"]
        .to_string()
        .contains("ogcapi-features-1/1.0/conf/geojson"));

    let (_, _, v) = get("/api/collections").await;
    let ids: Vec<&str> = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "districts",
            "incidents",
            "observations",
            "reports",
            "initiatives"
        ]
    );

    let (_, _, inc) = get("/api/collections/incidents").await;
    assert_eq!(inc["synthetic"], true);
    assert!(inc["notice"].as_str().unwrap().contains("Synthetic"));
    let cats = inc["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 9);
    assert!(cats
        .iter()
        .any(|c| c["code"] == "vandalism" && c["label_da"] == "Hærværk"));
    let interval = &inc["extent"]["temporal"]["interval"][0];
    assert!(
        interval[0].as_str().unwrap().starts_with("2009-12-31")
            || interval[0].as_str().unwrap().starts_with("2010-01")
    );
    assert!(interval[1].as_str().unwrap().starts_with("2014-12"));

    let (_, _, obs) = get("/api/collections/observations").await;
    assert_eq!(obs["kinds"].as_array().unwrap().len(), 7);
    assert_eq!(obs["synthetic"], true);

    let (status, ctype, v) = get("/api/collections/crimes").await;
    assert_eq!(status, 404);
    assert_eq!(ctype, "application/problem+json");
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .contains("no collection 'crimes'"));
}

#[actix_web::test]
async fn district_8_is_the_hotspot_area() {
    let (status, ctype, v) = get("/api/collections/districts/items/district-8").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(v["id"], "district-8");
    assert_eq!(v["properties"]["level"], "district");
    assert_eq!(v["properties"]["population"], 13988);
    assert_eq!(v["geometry"]["type"], "MultiPolygon");
    // Blågårds Plads lies in it.
    let mp: geo::MultiPolygon<f64> =
        serde_json::from_value::<geojson::Geometry>(v["geometry"].clone())
            .unwrap()
            .try_into()
            .unwrap();
    assert!(mp.intersects(&Point::new(12.5547, 55.6866)));

    for (level, n) in [("bydel", 10), ("district", 35), ("rode", 399)] {
        let (_, _, v) = get(&format!(
            "/api/collections/districts/items?level={level}&limit=1000"
        ))
        .await;
        assert_eq!(v["numberMatched"], n, "{level}");
        assert!(v["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["level"] == level));
    }
    let (_, _, v) = get("/api/collections/districts/items/rode-278").await;
    assert_eq!(v["properties"]["parent"], "district-16");
    bad(
        "/api/collections/districts/items?level=county",
        "level",
        "unknown level 'county'",
    )
    .await;
    bad(
        "/api/collections/districts/items?category=theft",
        "category",
        "unknown parameter",
    )
    .await;
}

/// OGC API – Features core for every collection listed: `limit`, `offset`, `bbox` and
/// `datetime` taken (a collection without times answers everything), `self`/`next` links that
/// walk every feature, and `items/{id}` for each.
#[actix_web::test]
async fn every_listed_collection_takes_the_core_parameters() {
    let planner = common::demo_tokens().planner.clone();
    let (_, _, v) = get_as("/api/collections", Some(&planner)).await;
    let ids: Vec<String> = v["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        let base = format!("/api/collections/{id}/items");
        for q in [
            "limit=10",
            "limit=10&offset=1",
            "bbox=12.50,55.66,12.60,55.72",
            "datetime=2012-01-01T00:00:00Z/..",
            "datetime=../2030-01-01",
        ] {
            let (status, ctype, page) = get_as(&format!("{base}?{q}"), Some(&planner)).await;
            assert_eq!(status, 200, "{base}?{q}: {page}");
            assert_eq!(ctype, "application/geo+json", "{base}?{q}");
            assert!(
                page["numberReturned"].as_u64().unwrap() <= page["numberMatched"].as_u64().unwrap()
            );
            let links = page["links"].as_array().unwrap();
            assert!(links.iter().any(|l| l["rel"] == "self"), "{base}?{q}");
        }
        // Walking `next` from a small page visits every feature once.
        let (_, _, first) = get_as(&format!("{base}?limit=7"), Some(&planner)).await;
        let matched = first["numberMatched"].as_u64().unwrap();
        if matched <= 60 {
            let mut seen = std::collections::HashSet::new();
            let mut page = first;
            loop {
                for f in page["features"].as_array().unwrap() {
                    assert!(seen.insert(f["id"].to_string()), "{id}: {} twice", f["id"]);
                }
                let Some(next) = page["links"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|l| l["rel"] == "next")
                else {
                    break;
                };
                let href = next["href"].as_str().unwrap();
                page = get_as(&href[href.find("/api").unwrap()..], Some(&planner))
                    .await
                    .2;
            }
            assert_eq!(seen.len() as u64, matched, "{id}");
        }
        // Each feature of a page is served alone at items/{id}.
        let (_, _, page) = get_as(&format!("{base}?limit=2"), Some(&planner)).await;
        for f in page["features"].as_array().unwrap() {
            let fid = f["id"].to_string().trim_matches('"').to_owned();
            let (status, _, one) = get_as(&format!("{base}/{fid}"), Some(&planner)).await;
            assert_eq!(status, 200, "{base}/{fid}: {one}");
            assert_eq!(one["id"], f["id"]);
            assert!(one["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["rel"] == "self"));
        }
        let (status, _, _) = get_as(&format!("{base}/999999999999"), Some(&planner)).await;
        assert_eq!(status, 404, "{base}");
    }
    let (status, _, v) = get_as(
        "/api/collections/reports/items?service_code=fireworks",
        Some(&planner),
    )
    .await;
    assert_eq!(
        (status, v["field"].as_str()),
        (400, Some("service_code")),
        "{v}"
    );
    // A bbox outside every initiative, and a time before any, select none.
    let (_, _, none) = get_as(
        "/api/collections/initiatives/items?bbox=12.45,55.61,12.46,55.62",
        Some(&planner),
    )
    .await;
    assert_eq!(none["numberMatched"], 0);
    let (_, _, none) = get_as(
        "/api/collections/initiatives/items?datetime=1995-01-01",
        Some(&planner),
    )
    .await;
    assert_eq!(none["numberMatched"], 0);
    // Districts have no time: a datetime is checked, then every district answers.
    let (_, _, all) = get("/api/collections/districts/items?limit=1").await;
    let (_, _, timed) = get("/api/collections/districts/items?limit=1&datetime=2013-05-01").await;
    assert_eq!(all["numberMatched"], timed["numberMatched"]);
    bad(
        "/api/collections/districts/items?datetime=yesterday",
        "datetime",
        "RFC 3339",
    )
    .await;
}

#[actix_web::test]
async fn items_page_with_next_links() {
    let (status, ctype, v) = get("/api/collections/incidents/items").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberReturned"], 100);
    let total = v["numberMatched"].as_u64().unwrap();
    assert!(total > 50_000);
    let next = v["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap();
    let href = next["href"].as_str().unwrap();
    assert!(href.ends_with("offset=100"), "{href}");
    // The next page is twice as large (up to 10,000): link-following clients such as GDAL
    // reach full pages in a few requests.
    assert!(href.contains("limit=200&"), "{href}");
    let first_ids: Vec<u64> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert!(first_ids.windows(2).all(|w| w[0] < w[1]), "ids ascend");

    let path = &href[href.find("/api").unwrap()..];
    let (_, _, page2) = get(path).await;
    let second: Vec<u64> = page2["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert!(second[0] > *first_ids.last().unwrap());

    // The last page has no next link.
    let (_, _, last) = get(&format!(
        "/api/collections/incidents/items?limit=10&offset={}",
        total - 3
    ))
    .await;
    assert_eq!(last["numberReturned"], 3);
    assert!(!last["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "next"));
    let (_, _, beyond) = get(&format!(
        "/api/collections/incidents/items?offset={}",
        total + 5
    ))
    .await;
    assert_eq!(beyond["numberReturned"], 0);
}

#[actix_web::test]
async fn filters_match_a_brute_force_count() {
    let catalog = common::demo_catalog();
    let (lo, hi) = (
        time::parse_rfc3339("2011-03-01T00:00:00Z").unwrap(),
        time::parse_rfc3339("2012-02-29T23:59:59Z").unwrap(),
    );
    let d8 = catalog.district("district-8").unwrap().geometry.clone();
    let expected = catalog
        .incidents
        .iter()
        .filter(|i| {
            (i.category.code() == "violence" || i.category.code() == "theft")
                && i.occurred_at >= lo
                && i.occurred_at <= hi
                && d8.intersects(&Point::new(i.lon, i.lat))
        })
        .count();
    assert!(
        expected > 50,
        "demo has violence and theft in district 8: {expected}"
    );
    let (_, _, v) = get("/api/collections/incidents/items?district=district-8&category=violence,theft&datetime=2011-03-01T00:00:00Z/2012-02-29T23:59:59Z&limit=10000").await;
    assert_eq!(v["numberMatched"].as_u64().unwrap() as usize, expected);
    for f in v["features"].as_array().unwrap() {
        let t = time::parse_rfc3339(f["properties"]["occurred_at"].as_str().unwrap()).unwrap();
        assert!(t >= lo && t <= hi);
        let c = f["properties"]["category"].as_str().unwrap();
        assert!(c == "violence" || c == "theft");
    }

    let bbox = [12.55, 55.685, 12.56, 55.69];
    let expected = catalog
        .incidents
        .iter()
        .filter(|i| i.lon >= bbox[0] && i.lon <= bbox[2] && i.lat >= bbox[1] && i.lat <= bbox[3])
        .count();
    let (_, _, v) =
        get("/api/collections/incidents/items?bbox=12.55,55.685,12.56,55.69&limit=10000").await;
    assert_eq!(v["numberMatched"].as_u64().unwrap() as usize, expected);
    for f in v["features"].as_array().unwrap() {
        let c = &f["geometry"]["coordinates"];
        let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!(
            x >= bbox[0] - 1e-7
                && x <= bbox[2] + 1e-7
                && y >= bbox[1] - 1e-7
                && y <= bbox[3] + 1e-7
        );
    }

    let (_, _, v) = get("/api/collections/observations/items?kind=lighting&limit=10000").await;
    let n = v["numberMatched"].as_u64().unwrap();
    assert!(n > 0);
    assert!(v["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["kind"] == "lighting"));
    let (_, _, all) =
        get("/api/collections/observations/items?district=district-8&limit=10000").await;
    assert!(all["numberMatched"].as_u64().unwrap() > n);
}

#[actix_web::test]
async fn every_bad_parameter_is_named() {
    let items = "/api/collections/incidents/items";
    bad(
        &format!("{items}?bbox=12.5,55.6,12.6"),
        "bbox",
        "expected 4 numbers",
    )
    .await;
    bad(
        &format!("{items}?bbox=12.6,55.6,12.5,55.7"),
        "bbox",
        "greater than maxlon",
    )
    .await;
    bad(
        &format!("{items}?bbox=12.5,55.7,12.6,55.6"),
        "bbox",
        "greater than maxlat",
    )
    .await;
    bad(
        &format!("{items}?bbox=12.5,55.6,12.6,91"),
        "bbox",
        "outside -90..90",
    )
    .await;
    bad(
        &format!("{items}?bbox=12.5,NaN,12.6,55.7"),
        "bbox",
        "not a finite number",
    )
    .await;
    bad(
        &format!("{items}?bbox=55.6,12.5,55.7,12.6"),
        "bbox",
        "lat,lon order",
    )
    .await;
    bad(
        &format!("{items}?bbox=x,55.6,12.6,55.7"),
        "bbox",
        "not a number",
    )
    .await;
    bad(
        &format!("{items}?category=murder"),
        "category",
        "unknown category 'murder'",
    )
    .await;
    bad(
        &format!("{items}?datetime=yesterday"),
        "datetime",
        "not an RFC 3339",
    )
    .await;
    bad(
        &format!("{items}?datetime=2014-01-01/2013-01-01"),
        "datetime",
        "start is after",
    )
    .await;
    bad(&format!("{items}?limit=0"), "limit", "not in 1..10000").await;
    // Above the maximum is no error: the maximum is used (OGC API – Features).
    let (status, _, v) = get(&format!("{items}?limit=10001")).await;
    assert_eq!(status, 200);
    assert_eq!(v["numberReturned"], 10_000);
    bad(&format!("{items}?limit=ten"), "limit", "not a whole number").await;
    bad(
        &format!("{items}?offset=-5"),
        "offset",
        "not a whole number",
    )
    .await;
    bad(
        &format!("{items}?district=district-99"),
        "district",
        "unknown district",
    )
    .await;
    bad(
        &format!("{items}?colour=red"),
        "colour",
        "unknown parameter",
    )
    .await;
    bad(
        &format!("{items}?limit=5&limit=6"),
        "limit",
        "more than once",
    )
    .await;
    bad(&format!("{items}?f=xml"), "f", "not one of").await;
    bad(
        "/api/collections/districts/items?f=csv",
        "f",
        "not for district polygons",
    )
    .await;
    bad(
        "/api/collections/observations/items?kind=noise",
        "kind",
        "unknown kind",
    )
    .await;
    bad(
        "/api/analysis/hexbins?resolution=13",
        "resolution",
        "not in 7..12",
    )
    .await;
    bad(
        "/api/analysis/hexbins?geometry=line",
        "geometry",
        "not one of",
    )
    .await;
}

#[actix_web::test]
async fn single_features_and_misses() {
    let (_, _, page) = get("/api/collections/incidents/items?limit=1").await;
    let id = page["features"][0]["id"].as_u64().unwrap();
    let (status, _, f) = get(&format!("/api/collections/incidents/items/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(f["id"], id);
    assert!(f["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "collection"));
    for path in [
        "/api/collections/incidents/items/999999999",
        "/api/collections/incidents/items/abc",
        "/api/collections/observations/items/0",
        "/api/collections/districts/items/district-99",
        "/api/nothing-here",
    ] {
        let (status, ctype, v) = get(path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(ctype, "application/problem+json", "{path}");
        assert_eq!(v["status"], 404);
    }
}

#[actix_web::test]
async fn head_methods_ids_and_formats() {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let head = test::TestRequest::default()
        .method(actix_web::http::Method::HEAD)
        .uri("/api/health")
        .to_request();
    assert_eq!(test::call_service(&app, head).await.status(), 200);
    // Writes other than imports need an admin; an admin gets 405 with Allow.
    let res = test::call_service(
        &app,
        test::TestRequest::put().uri("/api/health").to_request(),
    )
    .await;
    assert_eq!(res.status(), 401);
    // One URL per feature.
    for alias in ["+1", "01", "1.0"] {
        let (status, _, _) = get(&format!("/api/collections/incidents/items/{alias}")).await;
        assert_eq!(status, 404, "{alias}");
    }
    bad(
        "/api/collections/incidents/items/1?f=csv",
        "f",
        "not one of",
    )
    .await;
    bad(
        "/api/safety-index?year=2010&district=rode-1",
        "district",
        "not a safety district",
    )
    .await;
    bad("/api/analysis/kde?bbox=12,89.5,13,90", "bbox", "85").await;
    let (_, _, v) = get("/api/districts/district-8/summary?from=2099-01-01&to=2099-12-31").await;
    assert_eq!(v["previous_period_covered"], false);
}

#[actix_web::test]
async fn csv_output() {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let req = test::TestRequest::get()
        .uri("/api/collections/incidents/items?f=csv&limit=50&district=district-8")
        .insert_header(("authorization", common::demo_tokens().police.as_str()))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 200);
    let disposition = res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"incidents-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "lon",
            "lat",
            "category",
            "occurred_at",
            "precision",
            "source",
            "source_id"
        ]
    );
    assert_eq!(rdr.records().count(), 50);

    // The same rows for Danish Excel: BOM, `;`, decimal commas, CRLF, Copenhagen local time.
    let plain: Vec<csv::StringRecord> = csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let req = test::TestRequest::get()
        .uri("/api/collections/incidents/items?f=csv&dialect=excel-da&limit=50&district=district-8")
        .insert_header(("authorization", common::demo_tokens().police.as_str()))
        .to_request();
    let res = test::call_service(&app, req).await;
    assert_eq!(res.status(), 200);
    let bytes = test::read_body(res).await.to_vec();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark first");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.contains("\r\n"));
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "lon",
            "lat",
            "category",
            "occurred_local",
            "precision",
            "source",
            "source_id"
        ]
    );
    let excel: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(excel.len(), plain.len());
    for (e, p) in excel.iter().zip(&plain) {
        assert_eq!(e[0], p[0]);
        assert_eq!(e[1].replace(',', "."), p[1], "decimal comma");
        assert_eq!(e[2].replace(',', "."), p[2]);
        let utc = time::parse_rfc3339(&p[4]).unwrap();
        let local = chrono::NaiveDateTime::parse_from_str(&e[4], "%Y-%m-%d %H:%M:%S").unwrap();
        let offset = local.and_utc().timestamp() - utc;
        assert!(offset == 3600 || offset == 7200, "{} vs {}", &e[4], &p[4]);
    }
    let (status, _, v) = get("/api/collections/incidents/items?f=geojson&dialect=excel-da").await;
    assert_eq!((status, v["field"].as_str()), (400, Some("dialect")));
}

#[actix_web::test]
async fn hexbins_add_up_to_the_items_count() {
    let q = "category=violence&datetime=2010-01-01/2010-12-31&district=district-8";
    let (status, _, hex) = get(&format!("/api/analysis/hexbins?resolution=9&{q}")).await;
    assert_eq!(status, 200);
    let (_, _, items) = get(&format!("/api/collections/incidents/items?limit=1&{q}")).await;
    let sum: u64 = hex["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, items["numberMatched"].as_u64().unwrap());
    assert_eq!(hex["numberOfIncidents"], items["numberMatched"]);
    let f = &hex["features"][0];
    assert_eq!(f["geometry"]["type"], "Polygon");
    assert_eq!(f["geometry"]["coordinates"][0].as_array().unwrap().len(), 7);
    let per = f["properties"]["per_km2"].as_f64().unwrap();
    let expect =
        f["properties"]["count"].as_f64().unwrap() / f["properties"]["area_km2"].as_f64().unwrap();
    assert!((per - expect).abs() / expect < 0.01);
    assert_eq!(hex["parameters"]["resolution"], 9);
    assert_eq!(hex["synthetic"], true);

    let (_, _, pts) = get("/api/analysis/hexbins?geometry=point").await;
    assert_eq!(pts["features"][0]["geometry"]["type"], "Point");
    assert_eq!(pts["parameters"]["resolution"], 10);
}

#[actix_web::test]
async fn web_app_and_basemap_are_served() {
    let (status, _, _) = get("/vendor/maplibre-gl/maplibre-gl.js").await;
    assert_eq!(status, 200);
    let (status, ctype, v) = get("/basemap/streets.geojson").await;
    assert_eq!(status, 200);
    assert_eq!(ctype, "application/geo+json");
    assert!(v["features"].as_array().unwrap().len() > 1000);
    let (_, _, cfg) = get("/config.json").await;
    assert!(cfg["basemap_tiles"].is_null());
    assert!(cfg["attribution"]
        .as_str()
        .unwrap()
        .contains("OpenStreetMap"));

    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let res = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(res.status(), 200);
    let etag = res.headers().get("etag").unwrap().clone();
    let html = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    assert!(html.contains("vendor/maplibre-gl/maplibre-gl.css"));
    let res = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/")
            .insert_header(("if-none-match", etag))
            .to_request(),
    )
    .await;
    assert_eq!(res.status(), 304);
}

#[actix_web::test]
async fn hotspots_endpoint() {
    let (status, ctype, v) =
        get("/api/analysis/hotspots?category=violence,threats&datetime=2010-01-01/2011-12-31")
            .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(ctype, "application/geo+json");
    assert_eq!(
        v["parameters"]["district"][0], "district-8",
        "district 8 is the default study area"
    );
    assert_eq!(v["parameters"]["resolution"], 10);
    assert_eq!(v["parameters"]["k"], 1);
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, v["numberOfCells"].as_u64().unwrap());
    let total: u64 = features
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, v["numberOfIncidents"].as_u64().unwrap());
    assert!(
        features.iter().any(|f| f["properties"]["count"] == 0),
        "zero cells are included"
    );
    for f in features {
        let p = &f["properties"];
        let bin = p["bin"].as_i64().unwrap();
        assert!((-3..=3).contains(&bin));
        assert!(p["gi_p"].as_f64().unwrap() <= 1.0);
        assert_eq!(p["h3"], f["id"]);
        if bin != 0 {
            assert_eq!(bin.signum() as f64, p["gi_z"].as_f64().unwrap().signum());
        }
    }
    // The demo's hot streets in district 8 show up as significant hot spots.
    assert!(
        features.iter().any(|f| f["properties"]["bin"] == 3),
        "no 99 % hot spot found"
    );
    assert!(v["method"].as_str().unwrap().contains("Benjamini"));
    assert!(v["data_version"].as_str().unwrap().starts_with("v1-"));

    let (status, _, v) = get("/api/analysis/hotspots?district=district-8,district-9&resolution=9&k=2&permutations=99&seed=3").await;
    assert_eq!(status, 200, "{v}");
    assert!(v["features"][0]["properties"]["p_sim"].as_f64().is_some());

    let (status, ctype, v) =
        get("/api/analysis/hotspots?category=weapons&datetime=2014-12-01/2014-12-31").await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(ctype, "application/problem+json");
    assert!(v["detail"].as_str().unwrap().contains("needs at least 30"));

    bad("/api/analysis/hotspots?k=0", "k", "not in 1..5").await;
    bad(
        "/api/analysis/hotspots?resolution=12&k=5&permutations=9999",
        "permutations",
        "neighbour values",
    )
    .await;
    let all_bydele: Vec<String> = (1..=10).map(|n| format!("bydel-{n}")).collect();
    bad(
        &format!(
            "/api/analysis/hotspots?resolution=12&district={}",
            all_bydele.join(",")
        ),
        "resolution",
        "coarser resolution",
    )
    .await;
    let many: Vec<String> = (1..=60).map(|n| format!("rode-{n}")).collect();
    bad(
        &format!("/api/analysis/hotspots?district={}", many.join(",")),
        "district",
        "at most 50",
    )
    .await;
    bad(
        "/api/analysis/hotspots?district=district-99",
        "district",
        "unknown district",
    )
    .await;
    bad(
        "/api/analysis/hotspots?permutations=100000",
        "permutations",
        "0..9999",
    )
    .await;
    bad(
        "/api/analysis/hotspots?resolution=6",
        "resolution",
        "not in 7..12",
    )
    .await;
}

#[actix_web::test]
async fn kde_raster_and_grid() {
    let (status, _, v) = get("/api/analysis/kde?category=violence&cell_m=50").await;
    assert_eq!(status, 200, "{v}");
    let r = &v["raster"];
    let (w, h) = (
        r["width"].as_u64().unwrap() as usize,
        r["height"].as_u64().unwrap() as usize,
    );
    assert_eq!(r["values"].as_array().unwrap().len(), w * h);
    assert_eq!(r["bandwidth_m"], 150.0);
    assert!(r["max"].as_f64().unwrap() > 0.0);
    assert_eq!(v["unit"], "incidents per km²");
    // The density integrates to about the incidents that lie well inside the grid.
    let total: f64 = r["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .sum::<f64>()
        * 50.0
        * 50.0
        / 1e6;
    let n = v["numberOfIncidents"].as_f64().unwrap();
    assert!(total <= n * 1.01 && total > n * 0.5, "{total} of {n}");

    let (status, _, g) =
        get("/api/analysis/kde?district=district-8&bandwidth_m=auto&format=geojson&cell_m=100")
            .await;
    assert_eq!(status, 200);
    assert_eq!(
        g["parameters"]["bandwidth_rule"]
            .as_str()
            .unwrap()
            .split(' ')
            .next(),
        Some("Silverman")
    );
    assert!(g["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["density"].as_f64().unwrap() > 0.0));

    bad("/api/analysis/kde?cell_m=1", "cell_m", "5..1000").await;
    bad(
        "/api/analysis/kde?bbox=12.4,55.6,12.7,55.75&cell_m=5",
        "cell_m",
        "more than 262144",
    )
    .await;
    bad(
        "/api/analysis/kde?bandwidth_m=-3",
        "bandwidth_m",
        "20..5000",
    )
    .await;
    bad(
        "/api/analysis/kde?district=district-8&bbox=12.5,55.6,12.6,55.7",
        "bbox",
        "either bbox or district",
    )
    .await;
}

#[actix_web::test]
async fn district_summary_compares_periods() {
    let (status, _, v) =
        get("/api/districts/district-8/summary?from=2012-01-01&to=2012-12-31").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["district"]["population"], 13988);
    // Copenhagen calendar days; the previous period has the same length and ends where this starts.
    assert_eq!(v["period"]["from"], "2011-12-31T23:00:00Z");
    assert_eq!(v["period"]["to"], "2012-12-31T22:59:59Z");
    let t = |k: &str, e: &str| time::parse_rfc3339(v[k][e].as_str().unwrap()).unwrap();
    assert_eq!(t("previous_period", "to") + 1, t("period", "from"));
    assert_eq!(
        t("period", "to") - t("period", "from"),
        t("previous_period", "to") - t("previous_period", "from")
    );
    let cats = v["categories"].as_array().unwrap();
    assert_eq!(cats.len(), 10);
    let all = cats.iter().find(|c| c["code"] == "all").unwrap();
    // The hour × weekday matrix holds every incident of the period once.
    let m: u64 = v["hour_weekday"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter())
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert_eq!(m, all["count"].as_u64().unwrap());
    assert_eq!(v["hour_weekday"].as_array().unwrap().len(), 7);
    let (_, _, items) = get(&format!(
        "/api/collections/incidents/items?limit=1&district=district-8&datetime={}/{}",
        v["period"]["from"].as_str().unwrap(),
        v["period"]["to"].as_str().unwrap()
    ))
    .await;
    assert_eq!(all["count"], items["numberMatched"]);
    assert_eq!(v["previous_period_covered"], true);
    for c in cats {
        let p = c["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert_eq!(c["significant"], p < 0.05);
    }
    // A previous period before the data start gets no test, and says why.
    let (_, _, early) =
        get("/api/districts/district-8/summary?from=2010-01-01&to=2011-12-31").await;
    assert_eq!(early["previous_period_covered"], false);
    assert!(early["categories"][0]["p_value"].is_null());
    assert!(early["previous_period_note"]
        .as_str()
        .unwrap()
        .contains("do not cover"));
    // The demo's district 8 improves: violence falls from 2011 to 2012, and the test sees it.
    let night = v["night_share"].as_f64().unwrap();
    assert!(night > 0.1 && night < 0.9);
    assert!(v["observations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "lighting"));
    assert_eq!(v["synthetic"], true);

    let (status, _, _) = get("/api/districts/district-99/summary").await;
    assert_eq!(status, 404);
    bad(
        "/api/districts/district-8/summary?from=2012-13-01",
        "from",
        "not a date",
    )
    .await;
    bad(
        "/api/districts/district-8/summary?from=2013-01-01&to=2012-01-01",
        "from",
        "after to",
    )
    .await;
    let (status, _, v) = get("/api/districts/district-8/summary").await;
    assert_eq!(status, 200, "{v}");
}

#[actix_web::test]
async fn safety_index_levels() {
    let (status, _, v) = get("/api/safety-index?year=2010").await;
    assert_eq!(status, 200, "{v}");
    let levels = v["levels"].as_array().unwrap();
    let d8: Vec<&Value> = levels
        .iter()
        .filter(|l| l["district"] == "district-8")
        .collect();
    assert_eq!(d8.len(), 5);
    assert!(d8
        .iter()
        .all(|l| l["population"] == 13988.0 && l["population_estimated"] == false));
    let level = |g: &str| {
        d8.iter().find(|l| l["group"] == g).unwrap()["level"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // The demo starts district 8 where DOMAIN.md's 2010 index put it.
    assert_eq!(level("violence_threats"), "markant");
    assert_eq!(level("theft"), "markant");
    assert_eq!(level("vandalism"), "markant");
    assert!(levels
        .iter()
        .filter(|l| l["district"] != "district-8")
        .all(|l| l["population_estimated"] == true));
    for l in levels {
        let ratio = l["ratio"].as_f64().unwrap();
        let want = if ratio >= 2.0 {
            "markant"
        } else if ratio >= 1.3 {
            "intensiveret"
        } else {
            "ordinær"
        };
        assert_eq!(l["level"], want);
    }
    let (_, _, later) = get("/api/safety-index?year=2014&district=district-8").await;
    let r2010 = d8
        .iter()
        .find(|l| l["group"] == "violence_threats")
        .unwrap()["ratio"]
        .as_f64()
        .unwrap();
    let r2014 = later["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["group"] == "violence_threats")
        .unwrap()["ratio"]
        .as_f64()
        .unwrap();
    assert!(r2014 < r2010, "{r2014} !< {r2010}");
    let (status, _, v) = get("/api/safety-index?year=2015").await;
    assert_eq!(status, 422, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("2010–2014"));
    bad("/api/safety-index", "year", "required").await;
    bad("/api/safety-index?year=20x", "year", "not a year").await;
    bad(
        "/api/safety-index?year=2010&markant=1.1&intensiveret=1.5",
        "intensiveret",
        "below markant",
    )
    .await;
}

#[actix_web::test]
async fn emerging_hot_spots() {
    let (status, _, v) =
        get("/api/analysis/emerging?step=quarter&category=violence,threats,theft,vandalism").await;
    assert_eq!(status, 200, "{v}");
    let steps = v["steps"].as_array().unwrap().len();
    assert_eq!(steps, 20, "2010–2014 in quarters");
    let classes: Vec<&str> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["class"].as_str().unwrap())
        .collect();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len() as u64, v["numberOfCells"].as_u64().unwrap());
    let mut total = 0;
    for f in features {
        let p = &f["properties"];
        assert!(classes.contains(&p["class"].as_str().unwrap()));
        assert_eq!(p["counts"].as_array().unwrap().len(), steps);
        assert_eq!(p["z"].as_array().unwrap().len(), steps);
        total += p["total"].as_u64().unwrap();
    }
    assert_eq!(total, v["numberOfIncidents"].as_u64().unwrap());
    let counted: u64 = v["classCounts"]
        .as_object()
        .unwrap()
        .values()
        .map(|x| x.as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, features.len());
    // The demo's hot streets are hot spots for most of the period.
    assert!(
        features
            .iter()
            .any(|f| f["properties"]["class"].as_str().unwrap().ends_with("_hot")),
        "{}",
        v["classCounts"]
    );

    let (status, _, v) =
        get("/api/analysis/emerging?step=year&datetime=2012-01-01/2012-12-31").await;
    assert_eq!(status, 422, "{v}");
    bad("/api/analysis/emerging?step=week", "step", "not one of").await;
    bad(
        "/api/analysis/emerging?time_window=13",
        "time_window",
        "not in 0..12",
    )
    .await;
}
