//! Who may do what, enforced in this one place for every `/api` and `/tiles` request: the
//! caller's role from `Authorization: Bearer hs_…` (no header = public), then the access the
//! route table ([`super::route_table::TABLE`]) gives the endpoint. 401 for a
//! missing, unknown or revoked token where one is needed; 403 for a valid token of the wrong
//! role. Tokens are never logged.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::error::{problem, ApiError};
use super::route_table::{self, Lookup};
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
            Need::Points | Need::Aggregates => matches!(self.role, Role::Police | Role::Admin),
            Need::Programme => self.role != Role::Public,
        }
    }

    /// The finest H3 resolution this caller may ask of an analysis grid: 12 for those who see
    /// exact points (police, admin); the public cell's resolution (10, edge ≈ 66 m) for
    /// everyone else — a count in a finer cell would place an incident more precisely than
    /// the public layer does.
    pub fn finest_resolution(&self) -> u8 {
        if self.sees_exact(Need::Points) {
            12
        } else {
            crate::privacy::ANCHOR_RESOLUTION as u8
        }
    }

    /// Whether the time filters of this caller's aggregates are widened to whole hours (for
    /// everyone who does not see exact points: a count over a one-second window would date an
    /// incident to the second, where the public layer says the hour).
    pub fn hourly(&self) -> bool {
        !self.sees_exact(Need::Points)
    }

    /// Checks a requested analysis `resolution` against [`Caller::finest_resolution`].
    pub fn check_resolution(&self, resolution: u8) -> Result<(), ApiError> {
        let finest = self.finest_resolution();
        if resolution > finest {
            return Err(ApiError::param(
                "resolution",
                format!(
                    "{resolution} is finer than a {} caller may ask for (at most {finest}, the ~66 m cells of the public map); resolutions 11 and 12 need a police or admin token",
                    self.role.code()
                ),
            ));
        }
        Ok(())
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
    /// Aggregates over areas and periods the caller chooses (analyses, summaries, initiative
    /// evaluations): exact for police and admin; for planners made from the generalised points
    /// without small-count suppression — a planner choosing areas could otherwise bisect down
    /// to an incident's exact point.
    Aggregates,
    /// The programme's fixed figures (effect goals, the status report): district 8, whole years
    /// or half-years, which no caller can narrow. Exact for planners, police and admin.
    Programme,
}

/// Roles that may export incidents (`…/incidents/items?f=geojson|csv|shapefile`: every
/// matching incident, exact, as a file). The items handler checks this on its parsed format,
/// the same value it then acts on, so no spelling of `f` gets past it.
pub const INCIDENT_EXPORTERS: &[Role] = &[Role::Police, Role::Admin];

/// `Ok` when `caller` has one of `roles`; else the 401 (no token) or 403 (a token of another
/// role) the middleware gives, for checks that need the parsed request.
pub fn require(caller: &Caller, roles: &[Role]) -> Result<(), ApiError> {
    if roles.contains(&caller.role) {
        Ok(())
    } else if caller.role == Role::Public {
        Err(ApiError::Unauthorized(
            "this needs a token (Authorization: Bearer …)".into(),
        ))
    } else {
        Err(forbidden(caller.role, roles))
    }
}

fn forbidden(role: Role, roles: &[Role]) -> ApiError {
    let names: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    ApiError::Forbidden(format!(
        "a {} token may not do this; it needs one of: {}",
        role.code(),
        names.join(", ")
    ))
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
    // The path as the router matches it (percent-escapes decoded), not as sent: otherwise
    // `/api/%72eports` would route to the reports but pass the policy as an unknown path.
    let path = req.match_info().as_str().to_owned();
    let reading = req.method() == Method::GET || req.method() == Method::HEAD;
    let refused = match route_table::lookup(req.method(), &path) {
        Lookup::Found(access) => access.roles().and_then(|r| require(&caller, r).err()),
        // Deny by default: a write the table does not list needs a token before anything is
        // said of the path (then 405 with `Allow`, or 404).
        Lookup::WrongMethod(_) | Lookup::Unknown
            if !reading && req.method() != Method::OPTIONS && caller.role == Role::Public =>
        {
            Some(ApiError::Unauthorized(
                "this needs a token (Authorization: Bearer …)".into(),
            ))
        }
        Lookup::WrongMethod(_) | Lookup::Unknown => None,
    };
    if let Some(e) = refused {
        let res = actix_web::ResponseError::error_response(&e);
        return Ok(req.into_response(res));
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
