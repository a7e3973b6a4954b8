//! The one error type the app's server functions return, with its HTTP status.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule; `field` names the form field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    #[error("{0} was not found")]
    NotFound(String),
    /// No session, or one that has expired or been signed out.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many failed attempts; the message says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// The database cannot be reached right now.
    #[error("the database is unavailable; try again in a moment")]
    Unavailable,
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
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::ServerFn(
                ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_),
            ) => StatusCode::BAD_REQUEST,
            AppError::ServerFn(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The form field the error is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Validation { field, .. } => Some(field),
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

impl From<entity::InvalidValue> for AppError {
    fn from(invalid: entity::InvalidValue) -> Self {
        AppError::validation(
            invalid.field,
            format!(
                "{:?} is not valid; expected one of {}",
                invalid.value, invalid.expected
            ),
        )
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
            _ => {
                tracing::error!(%error, "database error");
                AppError::Internal
            }
        }
    }
}

/// Sets the response status of the current server-side request from an error.
#[cfg(feature = "ssr")]
pub fn set_response_status(error: &AppError) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status_code());
    }
}
