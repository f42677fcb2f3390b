//! Who may do what, enforced in this one place for every `/api` request: the caller's role from
//! `Authorization: Bearer hs_…` (no header = public), then the policy table below. 401 for a
//! missing, unknown or revoked token where one is needed; 403 for a valid token of the wrong
//! role. Tokens are never logged.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::error::problem;
use super::AppState;
use crate::auth::{self, Role};

/// Who is calling, put in the request's extensions by [`authorize`]: the role, and for a
/// token its id and name (for the audit log; never the token itself).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The role; `Public` without a token.
    pub role: Role,
    /// The token's id and the name it was given to, when one was presented.
    pub token: Option<(i64, String)>,
}

impl Caller {
    /// The caller without a token.
    pub const PUBLIC: Caller = Caller {
        role: Role::Public,
        token: None,
    };

    /// The caller of a request (public when the middleware put none there).
    pub fn of(req: &actix_web::HttpRequest) -> Caller {
        req.extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::PUBLIC)
    }

    /// Whether this caller sees exact data for `need`.
    pub fn sees_exact(&self, need: Need) -> bool {
        match need {
            Need::Points => matches!(self.role, Role::Police | Role::Admin),
            Need::Aggregates => self.role != Role::Public,
        }
    }

    /// Whether this caller sees unpublished initiatives (the secretariat: planner, admin).
    pub fn sees_unpublished(&self) -> bool {
        matches!(self.role, Role::Planner | Role::Admin)
    }

    /// How the audit log names this caller: `token 12 (Jens, police)` or `public`.
    pub fn actor(&self) -> String {
        match &self.token {
            Some((id, name)) => format!("token {id} ({name}, {})", self.role.code()),
            None => "public".into(),
        }
    }
}

/// What an answer is made of, for choosing between the exact and the public view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Single incidents: items, tiles, exports. Exact for police and admin.
    Points,
    /// Aggregates: analysis and summaries. Exact for planners, police and admin.
    Aggregates,
}

/// Formats of `…/items` that are exports: every matching feature as a file download,
/// recorded in the audit log.
pub const EXPORT_FORMATS: [&str; 3] = ["geojson", "csv", "shapefile"];

/// The role matrix: the roles allowed to call `method path?query`; `None` = anyone. Which
/// data an allowed caller then sees (exact or generalised) is [`Caller::sees_exact`].
///
/// | who | may |
/// | --- | --- |
/// | public | read districts, observations, generalised incidents and analysis, tiles; export non-incident layers |
/// | planner | as public, but analysis and summaries on exact data; every report, moderation, safety walks, initiatives, goals |
/// | police | exact incidents (items, tiles), every export, imports |
/// | admin | everything, and the audit log |
pub fn allowed(method: &Method, path: &str, query: &str) -> Option<&'static [Role]> {
    const POLICE: &[Role] = &[Role::Police, Role::Admin];
    const PLANNER: &[Role] = &[Role::Planner, Role::Admin];
    const ADMIN: &[Role] = &[Role::Admin];
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let reading = method == Method::GET || method == Method::HEAD;
    match (reading, segments.as_slice()) {
        // Exports of incidents: the police liaison and admins.
        (true, ["", "api", "collections", "incidents", "items"]) if is_export(query) => {
            Some(POLICE)
        }
        (true, ["", "api", "audit", ..]) => Some(ADMIN),
        // The moderation queue (original texts, contact details) and safety walks.
        // Where to act counts unpublished reports.
        (true, ["", "api", "reports", ..])
        | (true, ["", "api", "walks", ..])
        | (true, ["", "api", "where-to-act"]) => Some(PLANNER),
        (true, _) => None,
        (false, _) if method == Method::OPTIONS => None,
        // Imports write data: the police liaison and admins.
        (false, ["", "api", "collections", _, "items"]) if method == Method::POST => Some(POLICE),
        // Planning and moderation: the secretariat.
        (false, ["", "api", "reports", _, "moderation"])
        | (false, ["", "api", "walks", ..])
        | (false, ["", "api", "initiatives", ..])
        | (false, ["", "api", "goals", ..]) => Some(PLANNER),
        // Any other write is refused unless a rule above allows it.
        _ => Some(ADMIN),
    }
}

/// Whether an items query asks for an export format.
pub fn is_export(query: &str) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map(|pairs| {
            pairs
                .iter()
                .any(|(k, v)| k == "f" && EXPORT_FORMATS.contains(&v.as_str()))
        })
        .unwrap_or(false)
}

fn unauthorized(req: ServiceRequest, detail: &str) -> ServiceResponse<BoxBody> {
    let mut res = problem(
        StatusCode::UNAUTHORIZED,
        "/api/problems/unauthorized",
        "Unauthorized",
        None,
        detail.to_owned(),
    );
    res.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    req.into_response(res)
}

/// The middleware.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("").trim().to_owned());
    let caller = match presented {
        None => Caller::PUBLIC,
        Some(v) => {
            let token = match v.split_once(' ') {
                Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
                _ => {
                    return Ok(unauthorized(
                        req,
                        "Authorization: expected 'Bearer <token>'",
                    ))
                }
            };
            let Some(state) = req.app_data::<web::Data<AppState>>() else {
                return Ok(unauthorized(req, "no token store"));
            };
            match state.caller_of(token) {
                Some(c) => c,
                None => return Ok(unauthorized(req, "the token is unknown or revoked")),
            }
        }
    };
    let role = caller.role;
    // The path as the router matches it (percent-escapes decoded), not as sent: otherwise
    // `/api/%72eports` would route to the reports but pass the policy as an unknown path.
    let path = req.match_info().as_str().to_owned();
    if let Some(roles) = allowed(req.method(), &path, req.query_string()) {
        if !roles.contains(&role) {
            if role == Role::Public {
                return Ok(unauthorized(
                    req,
                    "this needs a token (Authorization: Bearer …)",
                ));
            }
            let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
            let res = problem(
                StatusCode::FORBIDDEN,
                "/api/problems/forbidden",
                "Forbidden",
                None,
                format!(
                    "a {} token may not do this; it needs one of: {}",
                    role.code(),
                    names.join(", ")
                ),
            );
            return Ok(req.into_response(res));
        }
    }
    req.extensions_mut().insert(caller);
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Checks a presented token against the stored hashes.
pub fn check(tokens: &[crate::store::StoredToken], presented: &str) -> Option<Caller> {
    let (id, secret) = auth::parse_token(presented)?;
    let t = tokens
        .iter()
        .find(|t| t.id == id && t.revoked_at.is_none())?;
    if !auth::verify(&t.salt, &t.hash, secret) {
        return None;
    }
    Some(Caller {
        role: Role::parse_token_role(&t.role).ok()?,
        token: Some((t.id, t.name.clone())),
    })
}
