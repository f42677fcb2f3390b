//! The web app's files and the basemap layers, embedded in the binary so it runs anywhere,
//! offline, with nothing beside it.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::AppState;
use crate::ingest::shipped;

/// A file served as it is: path, content type, bytes, and whether it may be cached long.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    vendored: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
/// SDF glyph ranges of the map's labels (the format MapLibre's `glyphs` URL serves).
const PBF: &str = "application/x-protobuf";

static ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../web/index.html"),
        vendored: false,
    },
    Asset {
        path: "/app.js",
        content_type: JS,
        body: include_bytes!("../../web/app.js"),
        vendored: false,
    },
    Asset {
        path: "/i18n.js",
        content_type: JS,
        body: include_bytes!("../../web/i18n.js"),
        vendored: false,
    },
    Asset {
        path: "/app.css",
        content_type: CSS,
        body: include_bytes!("../../web/app.css"),
        vendored: false,
    },
    Asset {
        path: "/reports.js",
        content_type: JS,
        body: include_bytes!("../../web/reports.js"),
        vendored: false,
    },
    Asset {
        path: "/planner.js",
        content_type: JS,
        body: include_bytes!("../../web/planner.js"),
        vendored: false,
    },
    Asset {
        path: "/api.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../web/api.html"),
        vendored: false,
    },
    Asset {
        path: "/api.js",
        content_type: JS,
        body: include_bytes!("../../web/api.js"),
        vendored: false,
    },
    Asset {
        path: "/api.css",
        content_type: CSS,
        body: include_bytes!("../../web/api.css"),
        vendored: false,
    },
    Asset {
        path: "/vendor/maplibre-gl/maplibre-gl.js",
        content_type: JS,
        body: include_bytes!("../../web/vendor/maplibre-gl/maplibre-gl.js"),
        vendored: true,
    },
    Asset {
        path: "/vendor/maplibre-gl/maplibre-gl-worker.js",
        content_type: JS,
        body: include_bytes!("../../web/vendor/maplibre-gl/maplibre-gl-worker.js"),
        vendored: true,
    },
    Asset {
        path: "/vendor/maplibre-gl/maplibre-gl.css",
        content_type: CSS,
        body: include_bytes!("../../web/vendor/maplibre-gl/maplibre-gl.css"),
        vendored: true,
    },
    Asset {
        path: "/workspace.js",
        content_type: JS,
        body: include_bytes!("../../web/workspace.js"),
        vendored: false,
    },
    Asset {
        path: "/vendor/terra-draw/terra-draw.js",
        content_type: JS,
        body: include_bytes!("../../web/vendor/terra-draw/terra-draw.js"),
        vendored: true,
    },
    Asset {
        path: "/vendor/terra-draw/terra-draw-maplibre-gl-adapter.js",
        content_type: JS,
        body: include_bytes!("../../web/vendor/terra-draw/terra-draw-maplibre-gl-adapter.js"),
        vendored: true,
    },
    Asset {
        path: "/vendor/terra-draw/LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../../web/vendor/terra-draw/LICENSE.txt"),
        vendored: true,
    },
    Asset {
        path: "/vendor/maplibre-gl/LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../../web/vendor/maplibre-gl/LICENSE.txt"),
        vendored: true,
    },
    Asset {
        path: "/search.js",
        content_type: JS,
        body: include_bytes!("../../web/search.js"),
        vendored: false,
    },
    Asset {
        path: "/myreports.js",
        content_type: JS,
        body: include_bytes!("../../web/myreports.js"),
        vendored: false,
    },
    Asset {
        path: "/vendor/glyphs/noto-sans-regular/0-255.pbf",
        content_type: PBF,
        body: include_bytes!("../../web/vendor/glyphs/noto-sans-regular/0-255.pbf"),
        vendored: true,
    },
    Asset {
        path: "/vendor/glyphs/noto-sans-regular/256-511.pbf",
        content_type: PBF,
        body: include_bytes!("../../web/vendor/glyphs/noto-sans-regular/256-511.pbf"),
        vendored: true,
    },
    Asset {
        path: "/vendor/glyphs/noto-sans-regular/8192-8447.pbf",
        content_type: PBF,
        body: include_bytes!("../../web/vendor/glyphs/noto-sans-regular/8192-8447.pbf"),
        vendored: true,
    },
    Asset {
        path: "/vendor/glyphs/LICENSE.txt",
        content_type: "text/plain; charset=utf-8",
        body: include_bytes!("../../web/vendor/glyphs/LICENSE.txt"),
        vendored: true,
    },
    Asset {
        path: "/basemap/blocks.geojson",
        content_type: "application/geo+json",
        body: shipped::BLOCKS.as_bytes(),
        vendored: false,
    },
    Asset {
        path: "/basemap/parks.geojson",
        content_type: "application/geo+json",
        body: shipped::PARKS.as_bytes(),
        vendored: false,
    },
    Asset {
        path: "/basemap/streets.geojson",
        content_type: "application/geo+json",
        body: shipped::STREETS.as_bytes(),
        vendored: false,
    },
];

/// Registers the file routes and `/config.json`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    for (i, a) in ASSETS.iter().enumerate() {
        cfg.route(a.path, web::get().to(move |req: HttpRequest| serve(req, i)))
            .route(
                a.path,
                web::head().to(move |req: HttpRequest| serve(req, i)),
            );
    }
    cfg.route(
        "/index.html",
        web::get().to(|req: HttpRequest| serve(req, 0)),
    );
}

/// ETags from the content (FNV-1a 64), computed once: the assets change only with the binary.
fn etag(i: usize) -> &'static str {
    static TAGS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    &TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let mut h: u64 = 0xcbf2_9ce4_8422_2325;
                for &b in a.body {
                    h ^= b as u64;
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                format!("\"{}-{h:016x}\"", a.body.len())
            })
            .collect()
    })[i]
}

/// For front-end work only: `HOTSPOT_WEB_DEV_DIR=web` serves the app's files from that folder
/// as they are on disk (no cache), so a change shows without rebuilding the binary.
fn dev_file(path: &str) -> Option<Vec<u8>> {
    let dir = std::env::var_os("HOTSPOT_WEB_DEV_DIR")?;
    if path.starts_with("/basemap/") {
        return None;
    }
    let rel = if path == "/" {
        "index.html"
    } else {
        &path[1..]
    };
    std::fs::read(std::path::Path::new(&dir).join(rel)).ok()
}

async fn serve(req: HttpRequest, i: usize) -> HttpResponse {
    let a = &ASSETS[i];
    if let Some(body) = dev_file(a.path) {
        return HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body);
    }
    let tag = etag(i);
    // Revalidate every time (cheap: 304 by ETag); the vendored library keeps its file name
    // across upgrades, so a long max-age could serve a stale copy.
    let cache = if a.vendored {
        "public, max-age=3600"
    } else {
        "no-cache"
    };
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == tag)
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, tag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(a.content_type)
        .insert_header((header::ETAG, tag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(a.body)
}

/// `GET /api/docs`: the page that renders the OpenAPI document.
pub(super) async fn api_docs(req: HttpRequest) -> HttpResponse {
    let i = ASSETS
        .iter()
        .position(|a| a.path == "/api.html")
        .expect("the API page is an asset");
    serve(req, i).await
}

/// The OpenAPI 3.1 document of the HTTP API (kept beside the routes; a test checks that it
/// names every route).
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /api/openapi.json`.
pub(super) async fn openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(OPENAPI)
}

pub(super) async fn config_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(serde_json::json!({
            "basemap_tiles": state.web.basemap_tiles,
            "basemap_attribution": state.web.basemap_attribution,
            "attribution": shipped::ATTRIBUTION,
        }))
}
