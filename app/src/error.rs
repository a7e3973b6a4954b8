//! The one error type the app's server functions return, with its HTTP status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; `field` names the form field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// A request the server could not read: a missing or undecodable
    /// argument, a body in the wrong encoding. `field` names the argument
    /// when it is known.
    #[error("{}{message}", if field.is_empty() { String::new() } else { format!("{field}: ") })]
    Malformed { field: String, message: String },
    /// A request body over the limit.
    #[error("{0}")]
    TooLarge(String),
    #[error("{0} was not found")]
    NotFound(String),
    /// No session, or one that has expired or been signed out.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// The request contradicts an earlier one, such as an idempotency key
    /// reused for a different request.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; the message says when to try again, and
    /// `retry_after` in seconds (the `Retry-After` header).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u64 },
    /// The database cannot be reached right now.
    #[error("the database is unavailable; try again in a moment")]
    Unavailable,
    /// Every slot of a bounded resource (password hashing, link uses) is
    /// taken, and none came free in time: 503 with `Retry-After`.
    #[error("the server is busy; try again in {retry_after} s")]
    Busy { retry_after: u64 },
    /// Anything unexpected: logged on the server, never detailed to the user.
    #[error("something went wrong on our side; it has been logged")]
    Internal,
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    pub fn unauthorized() -> Self {
        AppError::Unauthorized("sign in first".into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Malformed { .. } => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable | AppError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::ServerFn(
                ServerFnErrorErr::Args(_)
                | ServerFnErrorErr::MissingArg(_)
                | ServerFnErrorErr::Deserialization(_),
            ) => StatusCode::BAD_REQUEST,
            AppError::ServerFn(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A limit passed: `message` says what and when to try again.
    pub fn too_many(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        AppError::TooManyRequests {
            message: message.into(),
            retry_after: retry_after.as_secs().max(1),
        }
    }

    /// Seconds the client should wait before trying again, if the error
    /// says (the `Retry-After` header).
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after, .. } | AppError::Busy { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } => Some(field),
            AppError::Malformed { field, .. } if !field.is_empty() => Some(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::ServerFn(value)
    }
}

impl From<domain::Invalid> for AppError {
    fn from(invalid: domain::Invalid) -> Self {
        AppError::Validation {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

impl From<domain::InvalidValue> for AppError {
    fn from(invalid: domain::InvalidValue) -> Self {
        domain::Invalid::from(invalid).into()
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        use sea_orm::DbErr;
        match &error {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
                tracing::warn!(%error, "database unavailable");
                AppError::Unavailable
            }
            _ if gave_up_waiting(&error) => {
                tracing::warn!(%error, "database busy: a lock or statement timeout passed");
                AppError::Unavailable
            }
            _ => {
                tracing::error!(%error, "database error");
                AppError::Internal
            }
        }
    }
}

/// A statement that gave up on a lock or ran out of time (PostgreSQL's
/// `lock_timeout` and `statement_timeout`, SQLite's busy timeout): the
/// database is busy, not broken, so the answer is 503 and a retry may work.
#[cfg(feature = "ssr")]
fn gave_up_waiting(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let (DbErr::Exec(RuntimeErr::SqlxError(sqlx_error))
    | DbErr::Query(RuntimeErr::SqlxError(sqlx_error))) = error
    else {
        return false;
    };
    let Some(database_error) = sqlx_error.as_database_error() else {
        return false;
    };
    matches!(
        database_error.code().as_deref(),
        // lock_not_available, query_canceled; SQLITE_BUSY, SQLITE_LOCKED
        Some("55P03" | "57014" | "5" | "6" | "517")
    )
}

/// Sets the response status of the current server-side request from an error.
#[cfg(feature = "ssr")]
pub fn set_response_status(error: &AppError) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status_code());
        if let Some(seconds) = error.retry_after() {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
}

impl AppError {
    /// The framework's own error for a request it could not read, as the
    /// user-facing error it means: 400 naming the argument where the decoder
    /// says which, 413 for a body over the limit. Anything else is left as is.
    pub fn from_framework(error: ServerFnErrorErr) -> AppError {
        let text = match &error {
            ServerFnErrorErr::Args(text)
            | ServerFnErrorErr::MissingArg(text)
            | ServerFnErrorErr::Deserialization(text)
            | ServerFnErrorErr::UnsupportedRequestMethod(text) => text.clone(),
            _ => return AppError::ServerFn(error),
        };
        if text.contains("length limit exceeded") {
            return AppError::TooLarge("the request body is too large".into());
        }
        // serde's messages quote the argument: "missing field `value`".
        let field = text
            .split_once('`')
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(field, _)| field)
            .filter(|field| {
                !field.is_empty()
                    && field.len() <= 40
                    && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
            .unwrap_or_default()
            .to_owned();
        let message =
            if matches!(error, ServerFnErrorErr::MissingArg(_)) || text.contains("missing field") {
                "is missing".to_owned()
            } else if matches!(error, ServerFnErrorErr::UnsupportedRequestMethod(_)) {
                "this method is not supported here".to_owned()
            } else {
                let short: String = text.chars().take(80).collect();
                format!("the request could not be read ({short})")
            };
        AppError::Malformed { field, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_argument_is_a_400_naming_it() {
        let error =
            AppError::from_framework(ServerFnErrorErr::Args("missing field `confidence`".into()));
        assert_eq!(error.status_code(), http::StatusCode::BAD_REQUEST);
        assert_eq!(error.field(), Some("confidence"));
        assert_eq!(error.to_string(), "confidence: is missing");
    }

    #[test]
    fn an_undecodable_body_is_a_400_and_an_oversized_one_a_413() {
        let error = AppError::from_framework(ServerFnErrorErr::Deserialization(
            "invalid utf-8 sequence".into(),
        ));
        assert_eq!(error.status_code(), http::StatusCode::BAD_REQUEST);
        let error = AppError::from_framework(ServerFnErrorErr::Deserialization(
            "length limit exceeded".into(),
        ));
        assert_eq!(error.status_code(), http::StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn other_framework_errors_stay_internal() {
        let error = AppError::from_framework(ServerFnErrorErr::ServerError("boom".into()));
        assert_eq!(error.status_code(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}
