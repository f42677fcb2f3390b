//! One set of figures per role (issue 15): a planner's summary of district 8 over a whole year
//! (or its first half) counts what the status report counts, the exact incidents; any other
//! period stays generalised for a planner, and the public's figures never change.

mod common;

use actix_web::{test, web, App};
use serde_json::Value;

use hotspot::api::routes;

async fn get(path: &str, auth: Option<&str>) -> Value {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(routes)).await;
    let mut req = test::TestRequest::get().uri(path);
    if let Some(a) = auth {
        req = req.insert_header(("authorization", a));
    }
    let res = test::call_service(&app, req.to_request()).await;
    assert!(res.status().is_success(), "{path}: {}", res.status());
    serde_json::from_slice(&test::read_body(res).await).unwrap()
}

fn counts(v: &Value) -> Vec<(String, Value)> {
    v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["code"].as_str().unwrap().to_owned(), c["count"].clone()))
        .collect()
}

#[actix_web::test]
async fn a_planners_whole_year_summary_counts_the_exact_incidents_like_the_status_report() {
    let t = common::demo_tokens();
    for (from, to) in [("2014-01-01", "2014-12-31"), ("2013-01-01", "2013-06-30")] {
        let path = format!("/api/districts/district-8/summary?from={from}&to={to}");
        let planner = get(&path, Some(&t.planner)).await;
        let police = get(&path, Some(&t.police)).await;
        assert_eq!(planner["privacy"]["exact"], true, "{path}");
        assert_eq!(counts(&planner), counts(&police), "{path}");
    }
    // A programme figure is compared with the same part of the year before (itself a programme
    // figure), never with a shifted window: two exact answers must not difference to a few days.
    for (from, to, pfrom, pto) in [
        (
            "2014-01-01",
            "2014-12-31",
            "2012-12-31T23:00:00Z",
            "2013-12-31T22:59:59Z",
        ),
        (
            "2013-01-01",
            "2013-06-30",
            "2011-12-31T23:00:00Z",
            "2012-06-30T21:59:59Z",
        ),
    ] {
        let path = format!("/api/districts/district-8/summary?from={from}&to={to}");
        let v = get(&path, Some(&t.planner)).await;
        assert_eq!(v["previous_period"]["from"], pfrom, "{path}");
        assert_eq!(v["previous_period"]["to"], pto, "{path}");
        let year_before = get(
            &format!(
                "/api/districts/district-8/summary?from={}-01-01&to={}",
                &pfrom[..4].parse::<i32>().unwrap() + 1,
                if to.ends_with("12-31") {
                    format!("{}-12-31", &pfrom[..4].parse::<i32>().unwrap() + 1)
                } else {
                    format!("{}-06-30", &pfrom[..4].parse::<i32>().unwrap() + 1)
                }
            ),
            Some(&t.police),
        )
        .await;
        let previous: Vec<Value> = v["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["previous"].clone())
            .collect();
        let counted: Vec<Value> = year_before["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].clone())
            .collect();
        assert_eq!(
            previous, counted,
            "{path}: previous = the year before's counts"
        );
    }
    // A period the planner chooses freely stays made from the generalised points.
    let path = "/api/districts/district-8/summary?from=2014-02-01&to=2014-12-31";
    assert_eq!(get(path, Some(&t.planner)).await["privacy"]["exact"], false);
    // Another district's year is no programme figure either.
    let path = "/api/districts/district-7/summary?from=2014-01-01&to=2014-12-31";
    let other = get(path, Some(&t.planner)).await;
    assert_eq!(other["privacy"]["exact"], false);
    // The public's whole year is the public's.
    let path = "/api/districts/district-8/summary?from=2014-01-01&to=2014-12-31";
    assert_eq!(get(path, None).await["privacy"]["exact"], false);
}
