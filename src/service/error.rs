//! The one error of the service: what a use-case answers instead of a result. The errors of the
//! parts below it (store, writer, import) convert into it with `From`.

/// Everything a use-case can answer instead of a result; the HTTP edge answers each as a
/// problem-details body with its status (see `api::error`), the command line as one line.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
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
    /// The thing changed meanwhile (another moderator, another replica); reload and try again.
    #[error("{0}")]
    Conflict(String),
    /// The request was made on a version of the thing that is no longer current (`If-Match`);
    /// reload and try again.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Something failed inside; the cause is logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    /// A bad parameter, naming it.
    pub fn param(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ServiceError::InvalidParameter {
            field: field.into(),
            detail: detail.into(),
        }
    }
}

/// Result of a use-case.
pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    /// An internal failure, its cause logged (never shown to the caller).
    pub fn internal(context: &str, cause: impl std::fmt::Display) -> Self {
        ServiceError::Internal(format!("{context}: {cause}"))
    }
}

impl From<crate::store::StoreError> for ServiceError {
    fn from(e: crate::store::StoreError) -> Self {
        ServiceError::internal("store", e)
    }
}

impl From<crate::store::writer::WriteError> for ServiceError {
    fn from(e: crate::store::writer::WriteError) -> Self {
        match e {
            crate::store::writer::WriteError::Refused(why) => ServiceError::Unprocessable(why),
            crate::store::writer::WriteError::Conflict(why) => ServiceError::Conflict(why),
            crate::store::writer::WriteError::Store(why) => {
                ServiceError::internal("report writer", why)
            }
        }
    }
}

impl From<crate::auth::AccessError> for ServiceError {
    fn from(e: crate::auth::AccessError) -> Self {
        use crate::auth::AccessError;
        match e {
            AccessError::Unauthorized(d) => ServiceError::Unauthorized(d),
            AccessError::Forbidden(d) => ServiceError::Forbidden(d),
            AccessError::TooFine { field, detail } => ServiceError::param(field, detail),
        }
    }
}
