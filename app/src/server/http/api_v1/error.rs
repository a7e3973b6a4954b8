//! The API's one error shape, `{"error": {"code", "message", "field"}}`, and
//! the status each error answers with, for the handlers and for the layers
//! around them.

use axum::Json;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::BASE;
use crate::error::AppError;

/// Every error the API answers: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code: `malformed_request`, `unauthorized`,
    /// `forbidden`, `not_found`, `method_not_allowed`, `conflict`,
    /// `payload_too_large`, `validation_failed`, `rate_limited`,
    /// `request_timeout`, `unavailable` or `internal`.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// What went wrong, for people.
    #[schema(example = "\"abc\" is not a number")]
    pub message: String,
    /// The field of the request the error is about, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(example = "value")]
    pub field: Option<String>,
}

fn code_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "malformed_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ if status.is_client_error() => "bad_request",
        _ => "internal",
    }
}

/// An API error: the app's error, answered in the API's shape.
#[derive(Debug)]
pub struct ApiError {
    pub(super) error: AppError,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError { error }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::from(error).into()
    }
}

pub(super) fn error_response(
    status: StatusCode,
    message: String,
    field: Option<String>,
) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: code_of(status).to_owned(),
            message,
            field,
        },
    };
    (status, Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.error.status_code();
        let field = self.error.field().map(str::to_owned);
        let message = match &self.error {
            AppError::Validation { message, .. } | AppError::Malformed { message, .. } => {
                message.clone()
            }
            other => other.to_string(),
        };
        let mut response = error_response(status, message, field);
        if let Some(seconds) = self.error.retry_after()
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

/// Gives every error under `/api/v1` the API's shape, including those of the
/// layers around it (body too large, timeout, unknown route, wrong method),
/// whose bodies are plain text or empty.
pub async fn json_errors(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(BASE) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if serde_json::from_slice::<ErrorBody>(&bytes).is_ok() {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let (message, field) = match serde_json::from_slice::<AppError>(&bytes) {
        Ok(error) => (error.to_string(), error.field().map(str::to_owned)),
        Err(_) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            let framework_text = matches!(
                status,
                StatusCode::PAYLOAD_TOO_LARGE | StatusCode::REQUEST_TIMEOUT
            );
            let message = if framework_text || text.is_empty() || text.len() > 200 {
                match status {
                    StatusCode::NOT_FOUND => "there is no such endpoint; see /api/v1/openapi.json",
                    StatusCode::METHOD_NOT_ALLOWED => "this endpoint does not take that method",
                    StatusCode::REQUEST_TIMEOUT => "the request took too long",
                    StatusCode::PAYLOAD_TOO_LARGE => {
                        "the request body is over the size limit (16 KiB unless configured)"
                    }
                    _ => status.canonical_reason().unwrap_or("error"),
                }
                .to_owned()
            } else {
                text
            };
            (message, None)
        }
    };
    let mut fresh = error_response(status, message, field);
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.get(&name) {
            fresh.headers_mut().insert(name, value.clone());
        }
    }
    fresh
}

pub(super) async fn no_such_endpoint() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "there is no such endpoint; see /api/v1/openapi.json for the ones there are".into(),
        None,
    )
}
