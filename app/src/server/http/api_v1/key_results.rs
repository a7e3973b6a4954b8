//! Key results as the API shows them: value, progress, confidence, pace and
//! forecast, read by the same rules as the pages.

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use domain::{ConfidenceLevel, Direction};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiResult, ErrorBody};
use super::today;
use crate::error::AppError;
use crate::model::{KeyResultView, QuarterView};
use crate::server::AppState;
use crate::server::tokens::ApiCaller;
use domain::rules;

/// How sure the owner is of reaching the target, at the latest check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Red,
    Amber,
    Green,
}

impl From<ConfidenceLevel> for Confidence {
    fn from(level: ConfidenceLevel) -> Self {
        match level {
            ConfidenceLevel::Red => Confidence::Red,
            ConfidenceLevel::Amber => Confidence::Amber,
            ConfidenceLevel::Green => Confidence::Green,
        }
    }
}

/// A decimal as the API writes it: a string with two decimals.
pub(super) fn decimal(value: Decimal) -> String {
    format!("{value:.2}")
}

/// Progress against the calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Pace {
    /// The share of the quarter gone on `as_of`, from 0 to 1.
    pub expected_progress: f64,
    /// Progress trails the calendar by more than 15 points.
    pub behind: bool,
    #[schema(example = "Keeping pace: 60% done, 55% of the quarter gone")]
    pub summary: String,
}

/// Where the check-ins point by the quarter's end (a least-squares line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Forecast {
    /// The line's value on the quarter's last day; null with fewer than two
    /// check-ins at different moments.
    #[schema(example = "9350000.00")]
    pub value: Option<String>,
    /// The progress that value would mean.
    pub progress: Option<f64>,
    /// Whether that value reaches the target.
    pub on_pace: Option<bool>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyResult {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    /// `%`, `pp`, `$` or `#`.
    #[schema(example = "$")]
    pub unit: String,
    /// `up` or `down`: which way the value should move.
    #[schema(example = "up")]
    pub direction: String,
    #[schema(example = "8000000.00")]
    pub start_value: String,
    #[schema(example = "10000000.00")]
    pub target_value: String,
    #[schema(example = "9100000.00")]
    pub current_value: String,
    /// 0 at the start value, 1 at the target (may fall outside); null when
    /// start equals target.
    pub progress: Option<f64>,
    pub latest_confidence: Option<Confidence>,
    pub last_check_in_date: Option<NaiveDate>,
    /// No check-in for 7 days or more.
    pub stale: bool,
    /// Red, or behind pace.
    pub at_risk: bool,
    pub pace: Pace,
    pub forecast: Forecast,
}

impl KeyResult {
    pub(super) fn new(
        key_result: &KeyResultView,
        quarter: &QuarterView,
        as_of: NaiveDate,
    ) -> KeyResult {
        let progress = key_result.progress();
        let expected = rules::expected_progress(quarter.start_at, quarter.end_at, as_of);
        let outcome = key_result.forecast(quarter);
        KeyResult {
            id: key_result.id,
            title: key_result.title.clone(),
            owner: key_result.owner.clone(),
            unit: key_result.unit.as_str().to_owned(),
            direction: match key_result.direction {
                Direction::Up => "up",
                Direction::Down => "down",
            }
            .to_owned(),
            start_value: decimal(key_result.start_value),
            target_value: decimal(key_result.target_value),
            current_value: decimal(key_result.current_value),
            progress,
            latest_confidence: key_result.confidence().map(Confidence::from),
            last_check_in_date: key_result.last_check_in_date(),
            stale: key_result.stale(as_of),
            at_risk: key_result.at_risk(quarter, as_of),
            pace: Pace {
                expected_progress: expected,
                behind: progress.is_some_and(|progress| rules::is_behind_pace(progress, expected)),
                summary: rules::pace_sentence(progress, expected),
            },
            forecast: Forecast {
                value: outcome.ok().map(|forecast| decimal(forecast.value)),
                progress: outcome.ok().map(|forecast| forecast.progress),
                on_pace: outcome.ok().map(|forecast| !forecast.off_pace),
                summary: rules::forecast_sentence(
                    outcome,
                    key_result.unit,
                    key_result.target_value,
                    quarter.end_at,
                ),
            },
        }
    }
}

/// A key result with where it sits. Its forecast uses up to its latest 200
/// check-ins, as the key result page does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct KeyResultDetail {
    #[serde(flatten)]
    pub key_result: KeyResult,
    #[schema(example = "2025-Q1")]
    pub quarter: String,
    pub team: String,
    pub objective: String,
    pub check_in_count: u64,
}

pub(super) fn key_result_id(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text.trim())
        .map_err(|_| AppError::NotFound(format!("key result {}", domain::text::echo(text))).into())
}

/// A key result with its progress, latest confidence, pace and forecast.
#[utoipa::path(
    get,
    path = "/api/v1/key-results/{id}",
    tag = "key results",
    security(("token" = [])),
    params(("id" = Uuid, Path, description = "The key result's id")),
    responses(
        (status = 200, description = "The key result", body = KeyResultDetail,
            links(
                ("listCheckIns" = (
                    operation_id = "list_check_ins",
                    parameters(("id" = "$response.body#/id")),
                    description = "Its check-ins, newest first",
                )),
                ("recordCheckIn" = (
                    operation_id = "create_check_in",
                    parameters(("id" = "$response.body#/id")),
                    description = "Record a check-in on it",
                )),
            )),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub(super) async fn get_key_result(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<KeyResultDetail>> {
    let id = key_result_id(&id)?;
    let detail = crate::server::queries::key_results::key_result_detail(&state.db, id, today(), 1)
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))?;
    Ok(Json(KeyResultDetail {
        key_result: KeyResult::new(&detail.key_result, &detail.quarter, detail.as_of),
        quarter: detail.quarter.label.clone(),
        team: detail.team,
        objective: detail.objective,
        check_in_count: detail.total_check_ins,
    }))
}
