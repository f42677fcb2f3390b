//! The one route table: every endpoint's method, path, who may call it, its handler and its
//! summary. Routing, authorisation (deny by default), `405 Method Not Allowed` with `Allow`, and
//! the OpenAPI document's paths all come from [`TABLE`]; nothing else lists routes.
//!
//! `src/api/routes.json` is the table as data for `src/api/openapi_gen.py`, which refuses to
//! document an operation the table lacks or to leave out one it has; `tests/openapi.rs` fails
//! when either file drifts from the table (rewrite both with
//! `HOTSPOT_WRITE_ROUTES=1 cargo test --test openapi` and `python3 src/api/openapi_gen.py`).

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{guard, web};

use super::{
    analysis, exports, features, health, imports, initiatives, open311, planning, reports,
    status_report, summaries, tiles, webapp,
};
use crate::auth::Role;

/// An HTTP method of the table. `Get` also answers `HEAD` (the same answer without its body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `GET` and `HEAD`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Verb {
    /// The methods this verb answers, as in an `Allow` header.
    pub fn allow(self) -> &'static str {
        match self {
            Verb::Get => "GET, HEAD",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    /// The lower-case name OpenAPI uses.
    pub fn openapi(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Delete => "delete",
        }
    }

    fn answers(self, method: &Method) -> bool {
        match self {
            Verb::Get => method == Method::GET || method == Method::HEAD,
            Verb::Post => method == Method::POST,
            Verb::Put => method == Method::PUT,
            Verb::Delete => method == Method::DELETE,
        }
    }

    fn route(self) -> actix_web::Route {
        match self {
            Verb::Get => web::route().guard(guard::Any(guard::Get()).or(guard::Head())),
            Verb::Post => web::post(),
            Verb::Put => web::put(),
            Verb::Delete => web::delete(),
        }
    }
}

/// Who may call an endpoint. Every entry of the table names one: there is no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, and no token is looked at (Open311, the web app's files).
    Open,
    /// Anyone; a presented token must be live, and its role decides what the answer discloses.
    Anyone,
    /// Only these roles: 401 without a token, 403 for a token of another role.
    Roles(&'static [Role]),
}

impl Access {
    /// The roles, when the endpoint needs a token.
    pub fn roles(self) -> Option<&'static [Role]> {
        match self {
            Access::Roles(r) => Some(r),
            Access::Open | Access::Anyone => None,
        }
    }
}

const POLICE: Access = Access::Roles(&[Role::Police, Role::Admin]);
const PLANNER: Access = Access::Roles(&[Role::Planner, Role::Admin]);
const ADMIN: Access = Access::Roles(&[Role::Admin]);

/// How an endpoint is served.
#[derive(Clone, Copy)]
pub enum Serve {
    /// By a handler, attached to the method's route.
    Handler(fn(actix_web::Route) -> actix_web::Route),
    /// By the web app's embedded files ([`webapp::routes`]); listed here for the document.
    Assets,
}

/// One endpoint.
#[derive(Clone, Copy)]
pub struct Endpoint {
    /// The method.
    pub verb: Verb,
    /// The path as actix-web matches it (`{name}` = one segment), from the root.
    pub path: &'static str,
    /// Who may call it.
    pub access: Access,
    /// The OpenAPI paths that document it with their summaries; empty for an alias (`/api/`).
    /// A path template with a parameter the API names in full (`{id}` of a collection) is
    /// documented once per value.
    pub docs: &'static [(&'static str, &'static str)],
    /// Its handler.
    pub serve: Serve,
}

macro_rules! ep {
    ($verb:ident $path:literal, $access:expr, $handler:path, [$(($doc:literal, $summary:literal)),* $(,)?]) => {
        Endpoint {
            verb: Verb::$verb,
            path: $path,
            access: $access,
            docs: &[$(($doc, $summary)),*],
            serve: Serve::Handler(|r| r.to($handler)),
        }
    };
}

/// Every endpoint, in the order actix-web tries them (a fixed path before a template that would
/// also match it: `/api/collections/reports/items` before `/api/collections/{id}/items`).
pub const TABLE: &[Endpoint] = &[
    // --- OGC API – Features
    ep!(Get "/api", Access::Anyone, features::landing, [("/api", "OGC API landing page")]),
    ep!(Get "/api/", Access::Anyone, features::landing, []),
    ep!(Get "/api/health", Access::Anyone, health::health, [("/api/health", "Health, counts and data version")]),
    ep!(Get "/api/conformance", Access::Anyone, features::conformance, [("/api/conformance", "Conformance classes")]),
    ep!(Get "/api/collections", Access::Anyone, features::collections, [("/api/collections", "The collections")]),
    ep!(Get "/api/collections/reports", Access::Anyone, reports::collection, []),
    ep!(Get "/api/collections/reports/items", Access::Anyone, reports::items, [("/api/collections/reports/items", "Reports: GeoJSON points")]),
    ep!(Get "/api/collections/reports/items/{id}", Access::Anyone, reports::item, [("/api/collections/reports/items/{id}", "One report as a feature")]),
    ep!(Get "/api/collections/initiatives", Access::Anyone, initiatives::collection, []),
    ep!(Get "/api/collections/initiatives/items", Access::Anyone, initiatives::items, [("/api/collections/initiatives/items", "Initiatives: GeoJSON features")]),
    ep!(Get "/api/collections/initiatives/items/{id}", Access::Anyone, initiatives::one, [("/api/collections/initiatives/items/{id}", "One initiative as a feature")]),
    ep!(Get "/api/collections/{id}", Access::Anyone, features::collection, [("/api/collections/{collectionId}", "One collection's metadata")]),
    // Anyone may page through items; an *export* of incidents (`f=geojson|csv|shapefile`) needs
    // police or admin, checked by the handler on the parsed `f` (`auth::INCIDENT_EXPORTERS`),
    // the same value it then acts on, so no spelling of `f` gets past it.
    ep!(Get "/api/collections/{id}/items", Access::Anyone, features::items, [
        ("/api/collections/incidents/items", "Incidents: a page of features, or an export"),
        ("/api/collections/observations/items", "Observations: a page of features, or an export"),
        ("/api/collections/districts/items", "Districts: a page of features, or an export"),
    ]),
    // Imports write data: the police liaison and admins.
    ep!(Post "/api/collections/{id}/items", POLICE, imports::import, [
        ("/api/collections/incidents/items", "Import incidents (police, admin)"),
        ("/api/collections/observations/items", "Import observations (police, admin)"),
        ("/api/collections/districts/items", "Import districts (police, admin)"),
    ]),
    ep!(Get "/api/collections/{id}/items/{fid}", Access::Anyone, features::item, [
        ("/api/collections/incidents/items/{featureId}", "Incidents: one feature"),
        ("/api/collections/observations/items/{featureId}", "Observations: one feature"),
        ("/api/collections/districts/items/{featureId}", "Districts: one feature"),
    ]),
    // --- analysis and summaries (what they disclose depends on the role: `Caller::sees_exact`)
    ep!(Get "/api/analysis/hexbins", Access::Anyone, analysis::hexbins, [("/api/analysis/hexbins", "Incidents per H3 cell")]),
    ep!(Get "/api/analysis/hotspots", Access::Anyone, analysis::hotspots, [("/api/analysis/hotspots", "Getis-Ord Gi* hot spots")]),
    ep!(Get "/api/analysis/kde", Access::Anyone, summaries::kde, [("/api/analysis/kde", "Kernel density")]),
    ep!(Get "/api/analysis/emerging", Access::Anyone, analysis::emerging, [("/api/analysis/emerging", "Emerging hot spots")]),
    ep!(Get "/api/districts/{id}/summary", Access::Anyone, summaries::district_summary, [("/api/districts/{districtId}/summary", "A district's period in numbers")]),
    ep!(Get "/api/safety-index", Access::Anyone, summaries::safety_index, [("/api/safety-index", "Need-for-effort levels per safety district")]),
    // --- the export audit log: admins
    ep!(Get "/api/audit", ADMIN, exports::audit, [("/api/audit", "Export audit log (admin)")]),
    // --- moderation (original texts, contact details) and safety walks: the secretariat
    ep!(Get "/api/reports", PLANNER, reports::list, [("/api/reports", "Every report, for moderation (planner)")]),
    ep!(Post "/api/reports/{id}/moderation", PLANNER, reports::moderate, [("/api/reports/{id}/moderation", "Publish, reject, mark duplicate or set status (planner)")]),
    ep!(Get "/api/reports/{id}/moderation", PLANNER, reports::moderation_log, [("/api/reports/{id}/moderation", "A report's moderation log (planner)")]),
    ep!(Post "/api/walks", PLANNER, reports::create_walk, [("/api/walks", "Start a safety walk (planner)")]),
    ep!(Get "/api/walks", PLANNER, reports::walks, [("/api/walks", "The safety walks (planner)")]),
    ep!(Get "/api/walks/{id}/observations", PLANNER, reports::walk_observations, [("/api/walks/{id}/observations", "A safety walk's observations (planner)")]),
    ep!(Post "/api/walks/{id}/observations", PLANNER, reports::walk_observation, [("/api/walks/{id}/observations", "Record an observation on a safety walk (planner)")]),
    ep!(Get "/api/walks/{id}/compare", PLANNER, reports::compare_walks, [("/api/walks/{id}/compare", "Compare a safety walk with the next one at the same places (planner)")]),
    // --- planning: initiatives (published ones public), goals, where to act, the status report
    ep!(Post "/api/initiatives", PLANNER, initiatives::create, [("/api/initiatives", "Put an initiative on the map (planner)")]),
    ep!(Get "/api/initiatives", Access::Anyone, initiatives::list, [("/api/initiatives", "The initiatives")]),
    ep!(Get "/api/initiatives/{id}", Access::Anyone, initiatives::one, [("/api/initiatives/{id}", "One initiative")]),
    ep!(Put "/api/initiatives/{id}", PLANNER, initiatives::update, [("/api/initiatives/{id}", "Edit an initiative (planner)")]),
    ep!(Delete "/api/initiatives/{id}", PLANNER, initiatives::delete, [("/api/initiatives/{id}", "Delete an initiative (planner)")]),
    ep!(Get "/api/initiatives/{id}/evaluation", Access::Anyone, initiatives::evaluate, [("/api/initiatives/{id}/evaluation", "Before/after evidence of an initiative")]),
    ep!(Get "/api/goals", Access::Anyone, planning::list, [("/api/goals", "The programme's effect goals with values and status")]),
    ep!(Get "/api/goals/{id}", Access::Anyone, planning::one, [("/api/goals/{id}", "One effect goal")]),
    ep!(Put "/api/goals/{id}", PLANNER, planning::settings, [("/api/goals/{id}", "Set a goal's baseline, target and owner (planner)")]),
    ep!(Post "/api/goals/{id}/measurements", PLANNER, planning::add_measurements, [("/api/goals/{id}/measurements", "Enter measured values of a goal (planner)")]),
    ep!(Delete "/api/goals/{id}/measurements/{period}", PLANNER, planning::delete_measurement, [("/api/goals/{id}/measurements/{period}", "Delete a measurement (planner)")]),
    // Where to act counts unpublished reports.
    ep!(Get "/api/where-to-act", PLANNER, planning::where_to_act, [("/api/where-to-act", "Places to act: ranked H3 cells (planner)")]),
    ep!(Get "/api/status-report", Access::Anyone, status_report::page, [("/api/status-report", "The annual status report (printable HTML)")]),
    // --- this API's description
    ep!(Get "/api/openapi.json", Access::Anyone, webapp::openapi, [("/api/openapi.json", "This OpenAPI document")]),
    ep!(Get "/api/docs", Access::Anyone, webapp::api_docs, [("/api/docs", "This API, readable")]),
    // --- Open311 GeoReport v2: residents, no token
    ep!(Get "/open311/v2/services.{fmt}", Access::Open, open311::services, [
        ("/open311/v2/services.json", "Open311: the services (kinds of unsafe spot)"),
        ("/open311/v2/services.xml", "Open311: the services (kinds of unsafe spot)"),
    ]),
    ep!(Get "/open311/v2/services/{code}.{fmt}", Access::Open, open311::definition, [
        ("/open311/v2/services/{service_code}.json", "Open311: a service's definition (its attributes)"),
        ("/open311/v2/services/{service_code}.xml", "Open311: a service's definition (its attributes)"),
    ]),
    ep!(Get "/open311/v2/requests.{fmt}", Access::Open, open311::list, [
        ("/open311/v2/requests.json", "Open311: published reports"),
        ("/open311/v2/requests.xml", "Open311: published reports"),
    ]),
    ep!(Post "/open311/v2/requests.{fmt}", Access::Open, open311::create, [
        ("/open311/v2/requests.json", "Open311: report an unsafe spot"),
        ("/open311/v2/requests.xml", "Open311: report an unsafe spot"),
    ]),
    ep!(Post "/open311/v2/requests/{id}/me_too.{fmt}", Access::Open, open311::me_too, [
        ("/open311/v2/requests/{id}/me_too.json", "Open311 extension: \"me too\" on a published report"),
        ("/open311/v2/requests/{id}/me_too.xml", "Open311 extension: \"me too\" on a published report"),
    ]),
    ep!(Get "/open311/v2/requests/{id}.{fmt}", Access::Open, open311::one, [
        ("/open311/v2/requests/{id}.json", "Open311: one report"),
        ("/open311/v2/requests/{id}.xml", "Open311: one report"),
    ]),
    // --- vector tiles (exact incidents for police and admin, generalised for everyone else)
    ep!(Get "/tiles/{file}", Access::Anyone, tiles::tilejson, [
        ("/tiles/incidents.json", "TileJSON of the incidents tiles"),
        ("/tiles/observations.json", "TileJSON of the observations tiles"),
        ("/tiles/districts.json", "TileJSON of the districts tiles"),
    ]),
    ep!(Get "/tiles/{collection}/{z}/{x}/{y}", Access::Anyone, tiles::tile, [
        ("/tiles/incidents/{z}/{x}/{y}.mvt", "A vector tile of the incidents"),
        ("/tiles/observations/{z}/{x}/{y}.mvt", "A vector tile of the observations"),
        ("/tiles/districts/{z}/{x}/{y}.mvt", "A vector tile of the districts"),
    ]),
    // --- the web app
    ep!(Get "/config.json", Access::Open, webapp::config_json, [("/config.json", "The web app's settings")]),
    Endpoint {
        verb: Verb::Get,
        path: "/",
        access: Access::Open,
        docs: &[
            ("/", "The web map"),
            ("/basemap/{layer}.geojson", "A shipped basemap layer"),
        ],
        serve: Serve::Assets,
    },
];

/// The scopes the API is served under; everything else is the web app.
pub const SCOPES: &[&str] = &["/api", "/open311/v2", "/tiles"];

/// What the table says of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// An endpoint answers it, with this access.
    Found(Access),
    /// The path exists but not with this method; the methods it takes, as for `Allow`.
    WrongMethod(String),
    /// No endpoint has this path.
    Unknown,
}

/// One path of the table, compiled, with its endpoints (in the table's order) and the methods
/// they take, as for `Allow`.
struct Resource {
    /// The pattern's text before its first `{` (a cheap test before the pattern's own).
    prefix: &'static str,
    def: ResourceDef,
    endpoints: Vec<&'static Endpoint>,
    allow: String,
}

static COMPILED: LazyLock<Vec<Resource>> = LazyLock::new(|| {
    let mut groups: Vec<Resource> = Vec::new();
    for e in TABLE
        .iter()
        .filter(|e| matches!(e.serve, Serve::Handler(_)))
    {
        match groups.iter_mut().find(|g| g.def.pattern() == Some(e.path)) {
            Some(g) => g.endpoints.push(e),
            None => groups.push(Resource {
                prefix: e.path.split('{').next().unwrap_or(""),
                def: ResourceDef::new(e.path),
                endpoints: vec![e],
                allow: String::new(),
            }),
        }
    }
    for g in &mut groups {
        g.allow = g
            .endpoints
            .iter()
            .map(|e| e.verb.allow())
            .collect::<Vec<_>>()
            .join(", ");
    }
    groups
});

/// What the table says of `method path` (`path` as the router matches it: percent-escapes
/// decoded). The first path that matches decides, as in the router.
pub fn lookup(method: &Method, path: &str) -> Lookup {
    let Some(g) = COMPILED
        .iter()
        .find(|g| path.starts_with(g.prefix) && g.def.is_match(path))
    else {
        return Lookup::Unknown;
    };
    match g.endpoints.iter().find(|e| e.verb.answers(method)) {
        Some(e) => Lookup::Found(e.access),
        None => Lookup::WrongMethod(g.allow.clone()),
    }
}

/// Registers the endpoints of `scope` (one of [`SCOPES`], or `""` for the web app's) on `cfg`:
/// one resource per path, whose other methods get `method_not_allowed` with the table's
/// `Allow`.
pub fn register<F, Fut>(cfg: &mut web::ServiceConfig, scope: &str, method_not_allowed: F)
where
    F: Fn(actix_web::HttpRequest, &'static str) -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = actix_web::HttpResponse> + 'static,
{
    for g in COMPILED.iter() {
        let Some(full) = g.def.pattern() else {
            continue;
        };
        let Some(rel) = full.strip_prefix(scope) else {
            continue;
        };
        if scope.is_empty() && SCOPES.iter().any(|s| full.starts_with(s)) {
            continue;
        }
        let mut resource = web::resource(rel);
        for e in &g.endpoints {
            if let Serve::Handler(to) = e.serve {
                resource = resource.route(to(e.verb.route()));
            }
        }
        let answer = method_not_allowed.clone();
        let allow: &'static str = g.allow.as_str();
        resource = resource.default_service(web::to(move |req: actix_web::HttpRequest| {
            answer(req, allow)
        }));
        cfg.service(resource);
    }
}

/// The table as data (`src/api/routes.json`) for the OpenAPI generator: each documented
/// operation with its summary and whether it takes no token, an optional one, or needs one.
pub fn documented() -> serde_json::Value {
    let ops: Vec<serde_json::Value> = TABLE
        .iter()
        .flat_map(|e| {
            e.docs.iter().map(move |(path, summary)| {
                serde_json::json!({
                    "method": e.verb.openapi(),
                    "path": path,
                    "summary": summary,
                    "access": match e.access {
                        Access::Open => "open".to_owned(),
                        Access::Anyone => "anyone".to_owned(),
                        Access::Roles(r) => r.iter().map(|r| r.code()).collect::<Vec<_>>().join(" "),
                    },
                    "serves": e.path,
                })
            })
        })
        .collect();
    serde_json::json!({ "operations": ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_matching_path_decides() {
        let get = Method::GET;
        assert_eq!(
            lookup(&get, "/api/collections/reports/items"),
            Lookup::Found(Access::Anyone)
        );
        // The reports collection takes no import: its own path answers first.
        assert_eq!(
            lookup(&Method::POST, "/api/collections/reports/items"),
            Lookup::WrongMethod("GET, HEAD".into())
        );
        assert_eq!(
            lookup(&Method::POST, "/api/collections/incidents/items"),
            Lookup::Found(POLICE)
        );
        assert_eq!(
            lookup(&Method::PATCH, "/api/initiatives/3"),
            Lookup::WrongMethod("GET, HEAD, PUT, DELETE".into())
        );
        assert_eq!(lookup(&get, "/api/nothing"), Lookup::Unknown);
        assert_eq!(lookup(&Method::HEAD, "/api/audit"), Lookup::Found(ADMIN));
        assert_eq!(
            lookup(&get, "/open311/v2/requests/5/me_too.json"),
            Lookup::WrongMethod("POST".into())
        );
    }

    /// Endpoints the OpenAPI document covers through another path (an alias, or a template
    /// with its values listed): the only ones allowed no `docs`.
    const UNDOCUMENTED: &[&str] = &[
        "/api/",                        // = /api
        "/api/collections/reports",     // = /api/collections/{collectionId}
        "/api/collections/initiatives", // = /api/collections/{collectionId}
    ];

    #[test]
    fn access_matches_the_scope_that_checks_it() {
        // `authorize` wraps /api and /tiles only: there a token is always looked at, so
        // `Open` would be a lie; elsewhere no token is looked at, so a role could not be
        // enforced.
        for e in TABLE {
            let authorised = e.path.starts_with("/api") || e.path.starts_with("/tiles");
            match e.access {
                Access::Open => assert!(!authorised, "{} is under authorize", e.path),
                Access::Anyone | Access::Roles(_) => {
                    assert!(authorised, "{} is outside authorize", e.path)
                }
            }
            assert!(
                !e.docs.is_empty() || UNDOCUMENTED.contains(&e.path),
                "{} {} is in no document",
                e.verb.openapi(),
                e.path
            );
        }
    }

    #[test]
    fn every_path_is_in_one_scope_or_the_web_app_and_documented_once() {
        let mut seen = std::collections::HashSet::new();
        for e in TABLE {
            assert!(e.path.starts_with('/'), "{}", e.path);
            for (doc, summary) in e.docs {
                assert!(!summary.is_empty(), "{doc}");
                assert!(
                    seen.insert((e.verb, *doc)),
                    "{} {doc} is documented twice",
                    e.verb.openapi()
                );
            }
        }
    }
}
