//! The one error type of the HTTP edge: RFC 9457 problem details.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Everything a handler can answer instead of a result.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or path segment is malformed or out of range.
    #[error("{field}: {detail}")]
    InvalidParameter {
        /// The parameter's name.
        field: String,
        /// What is wrong with it and what is expected.
        detail: String,
    },
    /// No such collection, feature or district.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but the data cannot answer it (e.g. too few incidents).
    #[error("{0}")]
    Unprocessable(String),
    /// The request body is too large.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No token, or a token that is unknown or revoked, where one is needed.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token of a role that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The server is at its limit of heavy work; try again after `retry_after` seconds.
    #[error("{detail}")]
    Busy {
        /// What is busy.
        detail: String,
        /// Seconds to wait (`Retry-After`).
        retry_after: u64,
    },
    /// Something failed inside; the cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A bad parameter, naming it.
    pub fn param(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::InvalidParameter {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

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
            ApiError::Busy { detail, .. } => (
                "/api/problems/busy",
                "Busy",
                None,
                detail.clone(),
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
pub type ApiResult<T> = Result<T, ApiError>;
