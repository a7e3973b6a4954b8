//! The versioned JSON API under `/api/v1`, for scripts and other systems.
//! A personal access token (`Authorization: Bearer rokr_…`) acts as the
//! person who made it, with their role. The handlers, a module per resource,
//! call the same queries and writers as the pages; their types generate the
//! OpenAPI document at `/api/v1/openapi.json`.

mod caller;
mod check_ins;
mod error;
mod idempotency;
mod key_results;
mod new_check_in;
mod openapi;
mod paging;
mod quarters;

use chrono::NaiveDate;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::server::AppState;
use error::no_such_endpoint;
use openapi::{ApiDoc, openapi_json};

pub use check_ins::{CheckIn, CheckInPage};
pub use error::{ApiError, ErrorBody, ErrorDetail, json_errors};
pub use idempotency::{IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY_CHARS};
pub use key_results::{Confidence, Forecast, KeyResult, KeyResultDetail, Pace};
pub use new_check_in::{ConfidenceInput, DecimalInput, NOTE_PATTERN, NewCheckIn, VALUE_PATTERN};
pub use openapi::{openapi, reference};
pub use paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use quarters::{
    AlignedKeyResult, Objective, ParentObjective, Quarter, QuarterDetail, QuarterList, Team,
};

/// Where the API lives.
pub const BASE: &str = "/api/v1";

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(quarters::list_quarters))
        .routes(routes!(quarters::get_quarter))
        .routes(routes!(key_results::get_key_result))
        .routes(routes!(
            check_ins::list_check_ins,
            check_ins::create_check_in
        ))
}

/// The API's routes, its document at `/api/v1/openapi.json`, and a JSON 404
/// for every other path under `/api/v1`.
pub fn router() -> axum::Router<AppState> {
    let (router, _) = routes().split_for_parts();
    router
        .route(
            &format!("{BASE}/openapi.json"),
            axum::routing::get(openapi_json),
        )
        .route(
            &format!("{BASE}/{{*rest}}"),
            axum::routing::any(no_such_endpoint),
        )
        .route(BASE, axum::routing::any(no_such_endpoint))
}
