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

/// The caller's role, put in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Role);

/// The roles allowed to call `method path`; `None` = anyone.
pub fn allowed(method: &Method, path: &str) -> Option<&'static [Role]> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        // Imports write data: the police liaison and admins.
        (&Method::POST, ["", "api", "collections", _, "items"]) => {
            Some(&[Role::Police, Role::Admin])
        }
        (m, _) if m == Method::GET || m == Method::HEAD || m == Method::OPTIONS => None,
        // Any other write is refused unless a rule above allows it.
        _ => Some(&[Role::Admin]),
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
    let role = match presented {
        None => Role::Public,
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
            match state.role_of(token) {
                Some(r) => r,
                None => return Ok(unauthorized(req, "the token is unknown or revoked")),
            }
        }
    };
    if let Some(roles) = allowed(req.method(), req.path()) {
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
    req.extensions_mut().insert(Caller(role));
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Checks a presented token against the stored hashes.
pub fn check(tokens: &[crate::store::StoredToken], presented: &str) -> Option<Role> {
    let (id, secret) = auth::parse_token(presented)?;
    let t = tokens
        .iter()
        .find(|t| t.id == id && t.revoked_at.is_none())?;
    if !auth::verify(&t.salt, &t.hash, secret) {
        return None;
    }
    Role::parse_token_role(&t.role).ok()
}
