//! Who is calling: the personal access token of `Authorization: Bearer
//! rokr_…`, checked and held to its rate limit before a handler runs.

use axum::extract::FromRequestParts;
use http::{header, request::Parts};

use super::error::{ApiError, ApiResult};
use crate::server::AppState;
use crate::server::limits::Limit;
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
        let per_minute = state.auth.config.api_requests_per_minute;
        // Every request counts, kept or not: the hits are never given back.
        let _counted = state.auth.limiter.take(
            &state.db,
            &Limit::api(per_minute),
            &[format!("token:{}", caller.token_id)],
            now,
            |wait| {
                format!(
                    "this token made more than {per_minute} requests this minute; try again in {wait}"
                )
            },
        )
        .await?;
        Ok(caller)
    }
}
