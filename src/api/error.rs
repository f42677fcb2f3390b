//! The one error of the HTTP edge, [`ApiError`] (the service's [`crate::service::ServiceError`]),
//! answered as RFC 9457 problem details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The one HTTP error: the service's error, answered as problem details.
pub use crate::service::ServiceError as ApiError;

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (kind, title, field, detail) = match self {
            ApiError::InvalidParameter { field, detail } => (
                "/api/problems/invalid-parameter",
                "Invalid parameter",
                Some(field.as_str()),
                format!("{field}: {detail}"),
            ),
            ApiError::NotFound(d) => ("/api/problems/not-found", "Not found", None, d.clone()),
            ApiError::Unprocessable(d) => (
                "/api/problems/unprocessable",
                "Cannot be computed",
                None,
                d.clone(),
            ),
            ApiError::PayloadTooLarge(d) => (
                "/api/problems/too-large",
                "Payload too large",
                Some("body"),
                d.clone(),
            ),
            ApiError::Unauthorized(d) => (
                "/api/problems/unauthorized",
                "Unauthorized",
                None,
                d.clone(),
            ),
            ApiError::Forbidden(d) => ("/api/problems/forbidden", "Forbidden", None, d.clone()),
            ApiError::Busy { detail, .. } => ("/api/problems/busy", "Busy", None, detail.clone()),
            ApiError::Conflict(d) => ("/api/problems/conflict", "Conflict", None, d.clone()),
            ApiError::PreconditionFailed(d) => (
                "/api/problems/precondition-failed",
                "Changed meanwhile",
                Some("If-Match"),
                d.clone(),
            ),
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                (
                    "/api/problems/internal",
                    "Internal error",
                    None,
                    "the server failed to answer; the cause is in its log".to_owned(),
                )
            }
        };
        let mut res = problem(self.status_code(), kind, title, field, detail);
        let h = res.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                h.insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer"),
                );
            }
            ApiError::Busy { retry_after, .. } => {
                h.insert(
                    actix_web::http::header::RETRY_AFTER,
                    actix_web::http::header::HeaderValue::from(*retry_after),
                );
            }
            _ => {}
        }
        res
    }
}

/// A problem-details response.
pub fn problem(
    status: StatusCode,
    kind: &str,
    title: &str,
    field: Option<&str>,
    detail: String,
) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .json(Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            field,
        })
}

/// Result of a handler.
pub type ApiResult<T> = crate::service::ServiceResult<T>;

/// Makes every error answer of `/api` and `/tiles` a problem-details body, also those made by
/// the framework or a middleware in plain text (a body over a size limit, a refused CORS
/// preflight): the status and headers stay, the text becomes the `detail`. Open311 answers
/// errors in its own form and the web app's pages are HTML, so other paths are left alone, as
/// is the JSON of `/api/health`'s 503.
pub async fn problem_bodies(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    use actix_web::http::header;
    let path = req.path();
    let ours = path == "/api" || path.starts_with("/api/") || path.starts_with("/tiles/");
    let health = path == "/api/health";
    // The health answer keeps its own JSON when it is 503 (`status`, `store_unreachable_s`
    // are what load balancers and operators read).
    let is_problem = |h: &header::HeaderMap| {
        h.get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.starts_with("application/problem+json")
                    || (health && v.starts_with("application/json"))
            })
    };
    let as_problem = |status: StatusCode, text: &str, headers: &header::HeaderMap| {
        let detail = match text.trim() {
            "" => status.canonical_reason().unwrap_or("error").to_owned(),
            t => t.chars().take(300).collect(),
        };
        // A body over a size limit names the field, as every other refusal does.
        let (detail, field) = if status == StatusCode::PAYLOAD_TOO_LARGE {
            (
                format!("body: {detail} (the request body is larger than this endpoint takes)"),
                Some("body"),
            )
        } else {
            (detail, None)
        };
        let (kind, title) = match status {
            StatusCode::PAYLOAD_TOO_LARGE => ("/api/problems/too-large", "Payload too large"),
            StatusCode::METHOD_NOT_ALLOWED => {
                ("/api/problems/method-not-allowed", "Method not allowed")
            }
            StatusCode::NOT_FOUND => ("/api/problems/not-found", "Not found"),
            s if s.is_server_error() => ("/api/problems/internal", "Internal error"),
            _ => ("/api/problems/bad-request", "Bad request"),
        };
        let mut res = problem(status, kind, title, field, detail);
        for (k, v) in headers {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                res.headers_mut().append(k.clone(), v.clone());
            }
        }
        res
    };
    match next.call(req).await {
        Ok(res) if ours && res.status().as_u16() >= 400 && !is_problem(res.headers()) => {
            let status = res.status();
            let headers = res.headers().clone();
            let (req, body) = res.into_parts();
            let text = actix_web::body::to_bytes_limited(body.into_body(), 4096)
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            Ok(actix_web::dev::ServiceResponse::new(
                req,
                as_problem(status, &text, &headers),
            ))
        }
        Ok(res) => Ok(res.map_into_boxed_body()),
        Err(e) if ours => {
            let res = e.error_response();
            if is_problem(res.headers()) {
                return Err(e);
            }
            let fixed = as_problem(res.status(), &e.to_string(), res.headers());
            Err(actix_web::error::InternalError::from_response(e.to_string(), fixed).into())
        }
        Err(e) => Err(e),
    }
}
