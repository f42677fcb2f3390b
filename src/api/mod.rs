//! HTTP: the routes, thin handlers, the one error type, and the web app's files. Handlers
//! extract and check parameters, call the catalog or an analysis, and serialise.

mod analysis;
mod auth;
pub mod client;
mod error;
mod exports;
mod features;
mod health;
pub mod heavy;
mod imports;
mod initiatives;
mod open311;
pub mod params;
pub(crate) mod planning;
mod reports;
pub mod route_table;
pub(crate) mod status_report;
mod summaries;
pub mod tiles;
pub mod webapp;
pub mod xml;

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use arc_swap::ArcSwap;

pub use crate::output::encode;
pub use error::{problem_bodies, ApiError, ApiResult};

pub use auth::{Caller, Need};

use crate::catalog::Catalog;
pub use crate::service::{Service, StartError};

/// Settings the web app reads from `/config.json`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebSettings {
    /// Raster basemap URL template, or `None` for the offline basemap from shipped data.
    pub basemap_tiles: Option<String>,
    /// Attribution for `basemap_tiles`.
    pub basemap_attribution: Option<String>,
}

/// Default bytes of vector tiles kept in memory.
pub const TILE_CACHE_BYTES: u64 = 256 << 20;

/// The HTTP edge's state: the [`Service`] (which it derefs to) and what only HTTP needs — the
/// proxies whose forwarding headers are believed, the queue of heavy analyses, the vector-tile
/// cache and the web app's settings.
pub struct AppState {
    service: Service,
    /// Proxies whose forwarding headers are believed.
    proxies: client::TrustedProxies,
    /// The bounded queue of heavy analyses.
    heavy: heavy::HeavyGate,
    /// Made vector tiles of the current snapshot.
    tiles: ArcSwap<tiles::TileCache>,
    /// Bytes of tiles to keep.
    tile_cache_bytes: u64,
    /// Settings for the web app.
    pub web: WebSettings,
    /// When the service started.
    pub started: Instant,
}

impl AsRef<Service> for AppState {
    fn as_ref(&self) -> &Service {
        &self.service
    }
}

impl std::ops::Deref for AppState {
    type Target = Service;
    fn deref(&self) -> &Service {
        &self.service
    }
}

impl AppState {
    /// The service around an open store and the catalog loaded from it (see [`Service::new`]),
    /// with the HTTP edge's defaults.
    pub fn new(
        store: Box<dyn crate::store::Repository>,
        catalog: Catalog,
        web: WebSettings,
        demo: bool,
    ) -> Result<Self, StartError> {
        let service = Service::new(store, catalog, demo, open311::public_json)?;
        let version = service.catalog().version.clone();
        Ok(AppState {
            service,
            proxies: client::TrustedProxies::default(),
            heavy: heavy::HeavyGate::for_this_machine(),
            tiles: ArcSwap::from_pointee(tiles::TileCache::new(&version, TILE_CACHE_BYTES)),
            tile_cache_bytes: TILE_CACHE_BYTES,
            web,
            started: Instant::now(),
        })
    }

    /// Sets the smallest count a public aggregate shows (default 3).
    pub fn with_min_count(mut self, min_count: u32) -> Self {
        self.service = self.service.with_min_count(min_count);
        self
    }

    /// Keeps `n` store connections for reads (and for the shared rate limits), see
    /// [`Service::with_pool_size`].
    pub fn with_pool_size(mut self, n: usize) -> Result<Self, StartError> {
        self.service = self.service.with_pool_size(n)?;
        Ok(self)
    }

    /// Sets how many reports one client may send per 10 minutes (0 = no limit, for load tests).
    pub fn with_report_limit(mut self, per_10_minutes: usize) -> Self {
        self.service = self.service.with_report_limit(per_10_minutes);
        self
    }

    /// Sets the secret replicas share for their rate limits, if given (see
    /// [`Service::with_rate_limit_secret`]).
    pub fn with_rate_limit_secret_opt(mut self, secret: Option<&str>) -> Self {
        if let Some(s) = secret {
            self.service = self.service.with_rate_limit_secret(s);
        }
        self
    }

    /// The tile cache for the snapshot `version`; a new, empty one when the data changed.
    pub(crate) fn tile_cache(&self, version: &str) -> Arc<tiles::TileCache> {
        let current = self.tiles.load_full();
        if current.version() == version {
            return current;
        }
        let fresh = Arc::new(tiles::TileCache::new(version, self.tile_cache_bytes));
        self.tiles.store(fresh.clone());
        fresh
    }

    /// Believes `X-Forwarded-For` / `Forwarded` (client address) and `X-Forwarded-Host`
    /// (links) from these proxies only.
    pub fn with_trusted_proxies(mut self, proxies: client::TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// The bounded queue heavy analyses run through.
    pub(crate) fn heavy(&self) -> &heavy::HeavyGate {
        &self.heavy
    }

    /// Sets how many heavy analyses run at once and how many may wait (default: one per core
    /// and four per core).
    pub fn with_heavy_limits(mut self, running: usize, waiting: usize) -> Self {
        self.heavy = heavy::HeavyGate::new(running, waiting);
        self
    }

    /// The keys the rate limits count the client of `req` under (see [`client::rate_key`];
    /// two when forwarding headers disagree).
    pub(crate) fn client_keys(&self, req: &HttpRequest) -> Vec<String> {
        let ips = self.proxies.client_ips(req);
        if ips.is_empty() {
            return vec![client::rate_key(None)];
        }
        let mut keys: Vec<String> = ips
            .into_iter()
            .map(|ip| client::rate_key(Some(ip)))
            .collect();
        keys.dedup();
        keys
    }
}

/// A response body made off the async workers (an `HttpResponse` is not `Send`).
pub(crate) struct Reply {
    content_type: &'static str,
    body: web::Bytes,
}

impl Reply {
    /// A body of the given type.
    pub(crate) fn new(content_type: &'static str, body: Vec<u8>) -> Self {
        Reply {
            content_type,
            body: body.into(),
        }
    }

    /// A body of the given type, shared (a kept answer).
    pub(crate) fn bytes(content_type: &'static str, body: web::Bytes) -> Self {
        Reply { content_type, body }
    }

    /// The content type and the body.
    pub(crate) fn into_parts(self) -> (&'static str, web::Bytes) {
        (self.content_type, self.body)
    }

    fn into_response(self) -> HttpResponse {
        let mut r = HttpResponse::Ok();
        r.content_type(self.content_type);
        r.body(self.body)
    }
}

/// Runs blocking or heavy work off the async workers.
pub(crate) async fn blocking(
    f: impl FnOnce() -> ApiResult<Reply> + Send + 'static,
) -> ApiResult<HttpResponse> {
    off_thread(f).await.map(Reply::into_response)
}

/// Runs `f` (store access, heavy computing) on the blocking pool and returns its result.
pub(crate) async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    web::block(f)
        .await
        .map_err(|e| ApiError::Internal(format!("worker pool: {e}")))?
}

/// The Content-Security-Policy of the web app: everything from this origin only, plus `data:`
/// and `blob:` images (MapLibre's icons, the KDE raster) and, when a raster basemap is
/// configured, that server's origin for tiles.
pub fn content_security_policy(basemap_tiles: Option<&str>) -> String {
    let extra = basemap_tiles
        .and_then(|u| {
            let rest = u.split_once("://")?;
            let host = rest.1.split('/').next()?;
            Some(format!(" {}://{}", rest.0, host.replace(['{', '}'], "")))
        })
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{extra}; \
         connect-src 'self'{extra}; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// CORS for the API and the tiles: browsers on the given origins (`*` = any) may call them
/// with `GET`, `HEAD` and `POST` and `Authorization` and `Idempotency-Key` headers, and read
/// `ETag`, `Content-Disposition`, `X-Number-Matched` and `Idempotent-Replayed`. With no origins, no CORS headers are sent
/// (same origin only).
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::{header, Method};
    let mut c = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("x-number-matched"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600)
        // A request from elsewhere is answered without CORS headers (the browser then keeps
        // the answer from the page) rather than refused: same-origin POSTs carry an Origin too.
        .block_on_origin_mismatch(false);
    for o in origins {
        c = if o == "*" {
            c.allow_any_origin().send_wildcard()
        } else {
            c.allowed_origin(o)
        };
    }
    actix_web::middleware::Condition::new(!origins.is_empty(), c)
}

/// Registers every route of [`route_table::TABLE`]; `main` and the tests share it.
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
            .wrap(actix_web::middleware::from_fn(auth::authorize))
            .wrap(actix_web::middleware::from_fn(error::problem_bodies))
            .configure(|c| route_table::register(c, "/api", method_not_allowed))
            .default_service(web::to(not_found)),
    )
    .service(
        web::scope("/open311/v2")
            .configure(|c| route_table::register(c, "/open311/v2", open311::method_not_allowed))
            .default_service(web::to(open311::not_found)),
    )
    .service(
        web::scope("/tiles")
            .wrap(actix_web::middleware::from_fn(auth::authorize))
            .wrap(actix_web::middleware::from_fn(error::problem_bodies))
            .configure(|c| route_table::register(c, "/tiles", method_not_allowed))
            .default_service(web::to(not_found)),
    )
    .configure(|c| route_table::register(c, "", method_not_allowed))
    .configure(webapp::routes);
}

/// A path no endpoint of the table has.
async fn not_found(req: HttpRequest) -> HttpResponse {
    error::problem(
        StatusCode::NOT_FOUND,
        "/api/problems/not-found",
        "Not found",
        None,
        format!("no endpoint at {}", req.path()),
    )
}

/// A method the path's endpoints do not take: 405 with the table's `Allow`.
async fn method_not_allowed(req: HttpRequest, allow: &'static str) -> HttpResponse {
    use actix_web::http::header;
    let mut res = error::problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "/api/problems/method-not-allowed",
        "Method not allowed",
        None,
        format!(
            "{} is not allowed at {}; allowed: {allow}",
            req.method(),
            req.path()
        ),
    );
    res.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    res
}

/// The scheme and host the client used, for absolute links (forwarding headers only from
/// trusted proxies: see [`client`]).
pub(crate) fn base_url(req: &HttpRequest) -> String {
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => state.proxies.base_url(req),
        None => client::TrustedProxies::default().base_url(req),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_only_this_origin_and_the_configured_basemap() {
        let plain = content_security_policy(None);
        assert!(plain.contains("default-src 'self'") && !plain.contains("https://"));
        let with = content_security_policy(Some("https://tiles.example.org/{z}/{x}/{y}.png"));
        assert!(
            with.contains("img-src 'self' data: blob: https://tiles.example.org;"),
            "{with}"
        );
        assert!(
            with.contains("connect-src 'self' https://tiles.example.org;"),
            "{with}"
        );
    }
}
