//! The map's label glyphs are served from the binary (issue 15): offline, no font server.

use actix_web::{test, web, App};

mod common;

#[actix_web::test]
async fn the_label_glyph_ranges_are_embedded() {
    let state = web::Data::new(common::demo_state());
    let app = test::init_service(App::new().app_data(state).configure(hotspot::api::routes)).await;
    for range in ["0-255", "256-511", "8192-8447"] {
        let req = test::TestRequest::get()
            .uri(&format!("/vendor/glyphs/noto-sans-regular/{range}.pbf"))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 200, "{range}");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/x-protobuf"
        );
        let body = test::read_body(res).await;
        // glyphs { stacks (field 1, length-delimited) { name (field 1) = "noto-sans-regular" … } }
        assert_eq!(body[0], 0x0a, "{range}");
        assert!(body.windows(17).any(|w| w == b"noto-sans-regular"));
    }
}
