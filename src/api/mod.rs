//! HTTP: the routes, thin handlers, the one error type, and the web app's files. Handlers
//! extract and check parameters, call the catalog or an analysis, and serialise.

mod analysis;
mod auth;
pub mod client;
pub mod encode;
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

use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use arc_swap::ArcSwap;

pub use encode::{incident as encode_incident, INCIDENT_CSV_HEADER};
pub use error::{problem_bodies, ApiError, ApiResult};

pub use auth::{Caller, Need};

use crate::catalog::Catalog;
use crate::privacy::Disclosure;
use crate::store::writer::{ReportWrite, WriteError, Written};
use crate::store::{Store, StoredToken};

/// Settings the web app reads from `/config.json`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WebSettings {
    /// Raster basemap URL template, or `None` for the offline basemap from shipped data.
    pub basemap_tiles: Option<String>,
    /// Attribution for `basemap_tiles`.
    pub basemap_attribution: Option<String>,
}

/// Reports (and "me too"s) one client may send per 10 minutes, by default.
pub const REPORTS_PER_WINDOW: usize = 5;

/// Default bytes of vector tiles kept in memory.
pub const TILE_CACHE_BYTES: u64 = 256 << 20;

/// Residents per safety district id.
type Populations =
    Arc<std::collections::HashMap<String, crate::analysis::safety_index::Population>>;

/// A store connection following the change feed, with how far the layers and the tokens held
/// in memory have followed it.
struct Following {
    store: Store,
    layers: i64,
    tokens: i64,
}

/// The report book kept up with the store: after every commit of this process's writer, and
/// on every poll for other processes' commits, it reads the reports the change feed names.
pub(crate) struct ReportFollower {
    store: Mutex<(Store, i64)>,
    book: Arc<crate::reports::ReportBook>,
}

impl ReportFollower {
    /// Reads the reports changed since the last look into the book; returns how many.
    fn catch_up(&self) -> crate::store::Result<usize> {
        use crate::store::{ChangeKind, Changes};
        let mut guard = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let (store, position) = &mut *guard;
        match store.changes_since(*position, ChangeKind::Report)? {
            Changes::Gap { .. } => {
                let now = store.change_position()?;
                let all = store.load_reports()?;
                let n = all.len();
                self.book.replace_all(all);
                *position = now;
                Ok(n)
            }
            Changes::Since { now, keys } => {
                let mut ids: Vec<i64> = keys.into_iter().flatten().collect();
                ids.sort_unstable();
                ids.dedup();
                for &id in &ids {
                    match store.load_report(id)? {
                        Some(r) => self.book.insert(r),
                        None => self.book.remove(id),
                    }
                }
                *position = now;
                Ok(ids.len())
            }
        }
    }
}

/// Safety-index levels by (data version, public view, year).
type LevelCache =
    std::collections::HashMap<(String, bool, i32), Arc<Vec<crate::analysis::safety_index::Level>>>;

/// A part of the store that could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
#[error("{part}: {source}")]
pub struct StartError {
    /// Which part (`reports`, `tokens`, …).
    pub part: &'static str,
    /// Why.
    #[source]
    pub source: crate::store::StoreError,
}

/// Shared state of every worker.
pub struct AppState {
    catalog: ArcSwap<Catalog>,
    /// The public's view of `catalog` (see [`crate::privacy`]), swapped with it.
    public: ArcSwap<Catalog>,
    /// Smallest count a public aggregate shows.
    min_count: u32,
    /// Resident reports, as stored.
    reports: Arc<crate::reports::ReportBook>,
    /// The one writer of reports (group commit).
    report_writer: crate::store::writer::Writer,
    /// Keeps `reports` up with the store's change feed (this process's writes and others').
    report_follower: Arc<ReportFollower>,
    /// Reports per client (and "me too"s): 5 per 10 minutes by default.
    report_limit: crate::reports::ratelimit::RateLimit,
    /// "Me too"s already counted, per client and report (a day at a time).
    me_too_seen: crate::reports::ratelimit::OncePerClient,
    /// Proxies whose forwarding headers are believed.
    proxies: client::TrustedProxies,
    /// The bounded queue of heavy analyses.
    heavy: heavy::HeavyGate,
    /// Made vector tiles of the current snapshot.
    tiles: ArcSwap<tiles::TileCache>,
    /// Bytes of tiles to keep.
    tile_cache_bytes: u64,
    tokens: ArcSwap<Vec<StoredToken>>,
    store: Mutex<Store>,
    demo: bool,
    /// A connection that follows the change feed for the layers and tokens.
    following: Mutex<Following>,
    /// Residents per safety district, for the districts of the snapshot with this version.
    populations: Mutex<Option<(String, Populations)>>,
    /// Safety-index levels by (data version, public view, year), for the goals and the report.
    levels: Mutex<LevelCache>,
    /// Settings for the web app.
    pub web: WebSettings,
    /// When the service started.
    pub started: Instant,
}

impl AppState {
    /// State around an open store and the catalog loaded from it; `demo` says whether
    /// synthetic records are shown.
    ///
    /// Every part must load: a store with a damaged table (reports, tokens, …) or a writer that
    /// cannot start is refused with the part named, never served with the part missing.
    pub fn new(
        store: Store,
        catalog: Catalog,
        web: WebSettings,
        demo: bool,
    ) -> Result<Self, StartError> {
        let part = |part: &'static str| move |source| StartError { part, source };
        let dir = store
            .path()
            .parent()
            .map(std::path::Path::to_path_buf)
            .ok_or_else(|| StartError {
                part: "store",
                source: crate::store::StoreError::Io {
                    path: store.path().to_owned(),
                    source: std::io::Error::other("the store has no directory"),
                },
            })?;
        let tokens_at = store.change_position().map_err(part("change feed"))?;
        let tokens = store.tokens().map_err(part("tokens"))?;
        let reports_at = store.change_position().map_err(part("change feed"))?;
        let reports = store.load_reports().map_err(part("reports"))?;
        let book = Arc::new(crate::reports::ReportBook::new(
            reports,
            open311::public_json,
        ));
        let report_follower = Arc::new(ReportFollower {
            store: Mutex::new((
                Store::open(&dir).map_err(part("report follower"))?,
                reports_at,
            )),
            book: book.clone(),
        });
        let follower = report_follower.clone();
        let report_writer = crate::store::writer::Writer::start(&dir, move || {
            if let Err(e) = follower.catch_up() {
                tracing::error!("reading committed reports back: {e}");
            }
        })
        .map_err(part("report writer"))?;
        let following = Following {
            store: Store::open(&dir).map_err(part("change feed"))?,
            layers: catalog.feed_position,
            tokens: tokens_at,
        };
        let public = catalog.generalised();
        Ok(AppState {
            reports: book,
            report_writer,
            report_follower,
            report_limit: crate::reports::ratelimit::RateLimit::new(
                REPORTS_PER_WINDOW,
                std::time::Duration::from_secs(600),
            ),
            me_too_seen: crate::reports::ratelimit::OncePerClient::new(
                std::time::Duration::from_secs(86_400),
            ),
            proxies: client::TrustedProxies::default(),
            heavy: heavy::HeavyGate::for_this_machine(),
            catalog: ArcSwap::from_pointee(catalog),
            tiles: ArcSwap::from_pointee(tiles::TileCache::new(&public.version, TILE_CACHE_BYTES)),
            tile_cache_bytes: TILE_CACHE_BYTES,
            public: ArcSwap::from_pointee(public),
            min_count: crate::privacy::DEFAULT_MIN_COUNT,
            tokens: ArcSwap::from_pointee(tokens),
            store: Mutex::new(store),
            demo,
            following: Mutex::new(following),
            populations: Mutex::new(None),
            levels: Mutex::new(LevelCache::default()),
            web,
            started: Instant::now(),
        })
    }

    /// Warms both views of the current snapshot on a background thread (see
    /// [`Catalog::warm`]); `serve` calls it once at start-up, a reload on every change.
    pub fn warm_in_background(&self) {
        warm_in_background(vec![self.catalog.load_full(), self.public.load_full()]);
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

    /// Sets the bytes of vector tiles kept in memory (default 256 MiB).
    pub fn with_tile_cache_bytes(mut self, bytes: u64) -> Self {
        self.tile_cache_bytes = bytes;
        self.tiles = ArcSwap::from_pointee(tiles::TileCache::new(&self.catalog().version, bytes));
        self
    }

    /// Sets how many reports one client may send per 10 minutes (0 = no limit, for load tests).
    pub fn with_report_limit(mut self, per_10_minutes: usize) -> Self {
        self.report_limit = crate::reports::ratelimit::RateLimit::new(
            if per_10_minutes == 0 {
                usize::MAX
            } else {
                per_10_minutes
            },
            std::time::Duration::from_secs(600),
        );
        self
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

    /// Whether this is the first "me too" for `report` under every one of `keys` (within a
    /// day); each is remembered.
    pub(crate) fn first_me_too(&self, keys: &[String], report: i64) -> bool {
        let what = report.to_string();
        // Every key is remembered, so no short-circuit.
        let firsts: Vec<bool> = keys
            .iter()
            .map(|k| self.me_too_seen.first(k, &what))
            .collect();
        firsts.into_iter().all(|f| f)
    }

    /// The reports.
    pub fn reports(&self) -> Arc<crate::reports::ReportBook> {
        self.reports.clone()
    }

    /// The per-client limit of reports.
    pub(crate) fn report_limit(&self) -> &crate::reports::ratelimit::RateLimit {
        &self.report_limit
    }

    /// Stores a new report durably; returns its id once committed (and in the book).
    pub fn store_report(&self, new: crate::reports::NewReport) -> Result<i64, WriteError> {
        match self.report_writer.write(ReportWrite::Insert(new))? {
            Written::Id(id) => Ok(id),
            Written::Done => Err(WriteError::Store("no id for the new report".into())),
        }
    }

    /// Adds a "me too" to a report; returns its new count once committed.
    pub fn report_me_too(&self, id: i64) -> Result<u32, WriteError> {
        let at = chrono::Utc::now().timestamp();
        self.report_writer.write(ReportWrite::MeToo { id, at })?;
        Ok(self.reports.get(id).map_or(0, |r| r.me_too))
    }

    /// Stores a moderated report and its log entry (and the "me too" it gives the report it
    /// duplicates); returns the report once committed.
    pub fn store_moderation(
        &self,
        report: crate::reports::Report,
        entry: crate::reports::ModerationEntry,
        duplicate_of: Option<i64>,
    ) -> Result<crate::reports::Report, WriteError> {
        let id = report.id;
        self.report_writer.write(ReportWrite::Moderate {
            report: Box::new(report),
            entry: Box::new(entry),
            duplicate_of,
        })?;
        self.reports
            .get(id)
            .ok_or_else(|| WriteError::Store("report vanished".into()))
    }

    /// The moderation log of a report.
    pub(crate) fn moderation_log(
        &self,
        id: i64,
    ) -> ApiResult<Vec<crate::reports::ModerationEntry>> {
        self.with_store(|s| s.moderation_log(id))
    }

    /// Records a safety walk.
    pub(crate) fn create_walk(
        &self,
        title: &str,
        date: &str,
        route: Option<&str>,
        participants: &[String],
        actor: &str,
        now: i64,
    ) -> ApiResult<i64> {
        self.with_store(|s| s.create_walk(title, date, route, participants, actor, now))
    }

    /// Stores an initiative.
    pub(crate) fn create_initiative(
        &self,
        feature: &serde_json::Value,
        published: bool,
        actor: &str,
        now: i64,
    ) -> ApiResult<i64> {
        self.with_store(|s| s.create_initiative(feature, published, actor, now))
    }

    /// Every initiative.
    pub(crate) fn initiatives(&self) -> ApiResult<Vec<crate::store::StoredInitiative>> {
        self.with_store(|s| s.initiatives())
    }

    /// Every walk.
    pub(crate) fn walks(&self) -> ApiResult<Vec<crate::store::Walk>> {
        self.with_store(|s| s.walks())
    }

    /// Whether walk `id` exists.
    pub(crate) fn walk_exists(&self, id: i64) -> ApiResult<bool> {
        Ok(self.walks()?.iter().any(|w| w.id == id))
    }

    fn with_store<T>(&self, f: impl FnOnce(&Store) -> crate::store::Result<T>) -> ApiResult<T> {
        let store = self
            .store
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        f(&store).map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// Sets the smallest count a public aggregate shows (default 3).
    pub fn with_min_count(mut self, min_count: u32) -> Self {
        self.min_count = min_count.max(1);
        self
    }

    /// The current snapshot of the exact data. Handlers that answer with incident data take
    /// [`AppState::view`] instead.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    /// The snapshot `caller` may see for `need`, and how much its answers may disclose:
    /// points (items, tiles, exports) are exact for police and admin; aggregates (analysis,
    /// summaries) also for planners; everyone else gets the generalised view.
    pub fn view(&self, caller: &Caller, need: Need) -> (Arc<Catalog>, Disclosure) {
        if caller.sees_exact(need) {
            (self.catalog.load_full(), Disclosure::EXACT)
        } else if need == Need::Aggregates && caller.role != crate::auth::Role::Public {
            (self.public.load_full(), Disclosure::GENERALISED)
        } else {
            (self.public.load_full(), Disclosure::public(self.min_count))
        }
    }

    /// Residents per safety district (district 8 recorded, the rest estimated), computed once
    /// per snapshot of the districts.
    pub fn populations(&self) -> Populations {
        let catalog = self.catalog();
        let mut kept = self.populations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((version, p)) = &*kept {
            if *version == catalog.version {
                return p.clone();
            }
        }
        let p = Arc::new(crate::app::population_table(&catalog.districts));
        *kept = Some((catalog.version.clone(), p.clone()));
        p
    }

    /// The safety-index levels of `year` over `cat` with the default thresholds, computed
    /// once per data version and view.
    pub(crate) fn safety_levels(
        &self,
        cat: &Catalog,
        year: i32,
    ) -> Arc<Vec<crate::analysis::safety_index::Level>> {
        use crate::analysis::safety_index::{levels, Thresholds};
        let key = (cat.version.clone(), cat.is_public(), year);
        if let Some(v) = self.levels.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return v;
        }
        let v = Arc::new(levels(
            cat,
            year,
            &self.populations(),
            Thresholds::default(),
        ));
        if let Ok(mut c) = self.levels.lock() {
            c.retain(|k, _| k.0 == key.0);
            c.insert(key, v.clone());
        }
        v
    }

    /// Who presents this token, if it is a live one.
    pub fn caller_of(&self, token: &str) -> Option<Caller> {
        auth::check(&self.tokens.load(), token)
    }

    /// Appends an entry to the audit log; it is durable when this returns.
    pub(crate) fn record_audit(&self, entry: &crate::store::AuditEntry) -> ApiResult<()> {
        let store = self
            .store
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        store
            .record_audit(entry)
            .map_err(|e| ApiError::Internal(format!("audit log: {e}")))?;
        Ok(())
    }

    /// A page of the audit log, newest first, and the number of entries.
    pub(crate) fn audit_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> ApiResult<(Vec<crate::store::AuditEntry>, i64)> {
        let store = self
            .store
            .lock()
            .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
        store
            .audit(limit, offset)
            .map_err(|e| ApiError::Internal(format!("audit log: {e}")))
    }

    /// Runs `f` with the store locked (writes are serialised), then follows the change feed
    /// so that readers see the committed state whole before this returns.
    ///
    /// `f` says whether it changed anything; when it did not (a refused import), nothing is
    /// reloaded.
    pub fn write<T>(&self, f: impl FnOnce(&mut Store) -> ApiResult<(T, bool)>) -> ApiResult<T> {
        let out = {
            let mut store = self
                .store
                .lock()
                .map_err(|_| ApiError::Internal("store lock poisoned".into()))?;
            let (out, changed) = f(&mut store)?;
            if !changed {
                return Ok(out);
            }
            out
        };
        self.follow_store()?;
        Ok(out)
    }

    /// Takes in what was committed to the store since the last look, by this process or any
    /// other on the same store (`hotspot import`, `hotspot token`, a second `serve`): reloads
    /// the catalog when the layers changed, the tokens when they changed, and reads changed
    /// reports into the book. Returns whether the catalog was reloaded. Reads never wait for
    /// it: it has its own connection, and swaps the new snapshot in whole.
    pub fn follow_store(&self) -> ApiResult<bool> {
        use crate::store::{ChangeKind, Changes};
        self.report_follower
            .catch_up()
            .map_err(|e| ApiError::Internal(format!("following reports: {e}")))?;
        let mut guard = self
            .following
            .lock()
            .map_err(|_| ApiError::Internal("change feed lock poisoned".into()))?;
        let f = &mut *guard;
        let internal = |e: crate::store::StoreError| ApiError::Internal(e.to_string());
        let tokens = f
            .store
            .changes_since(f.tokens, ChangeKind::Tokens)
            .map_err(internal)?;
        let (tokens_changed, tokens_now) = match tokens {
            Changes::Gap { now } => (true, now),
            Changes::Since { now, keys } => (!keys.is_empty(), now),
        };
        if tokens_changed {
            self.tokens
                .store(Arc::new(f.store.tokens().map_err(internal)?));
        }
        f.tokens = tokens_now;
        let layers_changed = match f
            .store
            .changes_since(f.layers, ChangeKind::Layers)
            .map_err(internal)?
        {
            Changes::Gap { .. } => true,
            Changes::Since { now, keys } => {
                if keys.is_empty() {
                    f.layers = now;
                }
                !keys.is_empty()
            }
        };
        if layers_changed {
            let catalog = crate::app::load_catalog(&f.store, self.demo).map_err(internal)?;
            f.layers = catalog.feed_position;
            let public = catalog.generalised();
            // The public view first: a reader never pairs new exact data with an old public
            // view for longer than this gap, and both carry their version.
            let (catalog, public) = (Arc::new(catalog), Arc::new(public));
            self.public.store(public.clone());
            self.catalog.store(catalog.clone());
            warm_in_background(vec![catalog, public]);
        }
        Ok(layers_changed)
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

/// Warms `catalogs` one after another on a new thread (a newer snapshot's thread runs beside
/// an older one's; each ends when its catalog is warm).
fn warm_in_background(catalogs: Vec<Arc<Catalog>>) {
    let spawned = std::thread::Builder::new()
        .name("warm-snapshot".into())
        .spawn(move || {
            let started = Instant::now();
            for c in &catalogs {
                c.warm();
            }
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "snapshot warmed");
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not start the warm-up thread; queries warm the snapshot themselves");
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
/// with `GET`, `HEAD` and `POST` and an `Authorization` header, and read `ETag`,
/// `Content-Disposition` and `X-Number-Matched`. With no origins, no CORS headers are sent
/// (same origin only).
pub fn cors(origins: &[String]) -> actix_web::middleware::Condition<actix_cors::Cors> {
    use actix_web::http::{header, Method};
    let mut c = actix_cors::Cors::default()
        .allowed_methods([Method::GET, Method::HEAD, Method::POST])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_NONE_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::CONTENT_DISPOSITION,
            header::HeaderName::from_static("x-number-matched"),
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
