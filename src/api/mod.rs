//! HTTP: the routes, thin handlers, the one error type, and the web app's files. Handlers
//! extract and check parameters, call the catalog or an analysis, and serialise.

mod analysis;
pub mod encode;
mod error;
mod features;
mod health;
pub mod params;
mod webapp;

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use arc_swap::ArcSwap;

pub use encode::{incident as encode_incident, INCIDENT_CSV_HEADER};
pub use error::{ApiError, ApiResult};

use crate::catalog::Catalog;

/// Settings the web app reads from `/config.json`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebSettings {
    /// Raster basemap URL template, or `None` for the offline basemap from shipped data.
    pub basemap_tiles: Option<String>,
    /// Attribution for `basemap_tiles`.
    pub basemap_attribution: Option<String>,
}

/// Shared state of every worker.
pub struct AppState {
    catalog: ArcSwap<Catalog>,
    /// Settings for the web app.
    pub web: WebSettings,
    /// When the service started.
    pub started: Instant,
}

impl AppState {
    /// State around a loaded catalog.
    pub fn new(catalog: Catalog, web: WebSettings) -> Self {
        AppState {
            catalog: ArcSwap::from_pointee(catalog),
            web,
            started: Instant::now(),
        }
    }

    /// The current snapshot of the data.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// Replaces the snapshot (readers holding the old one finish with it).
    pub fn replace_catalog(&self, catalog: Catalog) {
        self.catalog.store(Arc::new(catalog));
    }
}

/// A response body made off the async workers (an `HttpResponse` is not `Send`).
pub(crate) struct Reply {
    content_type: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A body of the given type.
    pub(crate) fn new(content_type: &'static str, body: Vec<u8>) -> Self {
        Reply {
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    fn into_response(self) -> HttpResponse {
        let mut r = HttpResponse::Ok();
        r.content_type(self.content_type);
        for h in self.headers {
            r.insert_header(h);
        }
        r.body(self.body)
    }
}

/// Runs blocking or heavy work off the async workers.
pub(crate) async fn blocking(
    f: impl FnOnce() -> ApiResult<Reply> + Send + 'static,
) -> ApiResult<HttpResponse> {
    web::block(f)
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))?
        .map(Reply::into_response)
}

/// Registers every route; `main` and the tests share it.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|e, _| {
        let detail = e.to_string();
        actix_web::error::InternalError::from_response(
            e,
            error::problem(
                StatusCode::BAD_REQUEST,
                "/api/problems/invalid-parameter",
                "Invalid parameter",
                None,
                detail,
            ),
        )
        .into()
    }))
    .service(
        web::scope("/api")
            .route("", web::get().to(features::landing))
            .route("/", web::get().to(features::landing))
            .route("/health", web::get().to(health::health))
            .route("/conformance", web::get().to(features::conformance))
            .route("/collections", web::get().to(features::collections))
            .route("/collections/{id}", web::get().to(features::collection))
            .route("/collections/{id}/items", web::get().to(features::items))
            .route(
                "/collections/{id}/items/{fid}",
                web::get().to(features::item),
            )
            .route("/analysis/hexbins", web::get().to(analysis::hexbins))
            .default_service(web::to(api_not_found)),
    )
    .configure(webapp::routes);
}

async fn api_not_found(req: HttpRequest) -> HttpResponse {
    let (status, title, detail) = if req.method() == actix_web::http::Method::GET {
        (
            StatusCode::NOT_FOUND,
            "Not found",
            format!("no endpoint at {}", req.path()),
        )
    } else {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            format!("{} is not allowed at {}", req.method(), req.path()),
        )
    };
    error::problem(status, "/api/problems/not-found", title, None, detail)
}

/// The scheme and host the client used, for absolute links.
pub(crate) fn base_url(req: &HttpRequest) -> String {
    let ci = req.connection_info();
    format!("{}://{}", ci.scheme(), ci.host())
}
