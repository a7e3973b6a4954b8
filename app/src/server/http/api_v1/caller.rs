//! Who is calling: the personal access token of `Authorization: Bearer
//! rokr_…`, checked and held to its rate limit before a handler runs.

use std::time::Instant;

use axum::extract::FromRequestParts;
use http::{header, request::Parts};

use super::error::{ApiError, ApiResult};
use crate::error::AppError;
use crate::server::AppState;
use crate::server::tokens::{self, ApiCaller};

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or(""));
        let token = tokens::bearer(header)?;
        let now = chrono::Utc::now().naive_utc();
        let caller = tokens::authenticate(&state.db, token, now).await?;
        if let Err(wait) = state
            .auth
            .api_limiter
            .check(caller.token_id, Instant::now())
        {
            let seconds = wait.as_secs().max(1);
            return Err(ApiError {
                error: AppError::TooManyRequests(format!(
                    "this token made more than {} requests this minute; try again in {seconds} s",
                    state.auth.api_limiter.limit()
                )),
                retry_after: Some(seconds),
            });
        }
        Ok(caller)
    }
}
