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
use crate::auth::Role;

pub use crate::auth::{require, Caller, Need, INCIDENT_EXPORTERS};

impl Caller {
    /// The caller of a request (public when the middleware put none there).
    pub fn of(req: &actix_web::HttpRequest) -> Caller {
        req.extensions()
            .get::<Caller>()
            .cloned()
            .unwrap_or(Caller::PUBLIC)
    }
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
            if let Some(s) = state.store_stale_s() {
                // Whether the token was revoked meanwhile cannot be known: refused until the
                // server follows its store again (a load balancer sends it elsewhere).
                let mut res = problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "/api/problems/store-unreachable",
                    "Store unreachable",
                    None,
                    format!("this server has not reached its store for {s:.0} s, so it cannot check tokens; try again shortly"),
                );
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
                return Ok(req.into_response(res));
            }
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
        Lookup::Found(access) => access
            .roles()
            .and_then(|r| require(&caller, r).err())
            .map(ApiError::from),
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
