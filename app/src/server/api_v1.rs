//! The versioned JSON API under `/api/v1`, for scripts and other systems.
//! A personal access token (`Authorization: Bearer rokr_…`) acts as the
//! person who made it, with their role. The handlers call the same queries
//! and rules as the pages; their types generate the OpenAPI document at
//! `/api/v1/openapi.json`.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, NaiveDateTime};
use domain::{ConfidenceLevel, Direction};
use http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::AppState;
use super::tokens::{self, ApiCaller, Replay};
use crate::error::AppError;
use crate::model::{self, KeyResultView, QuarterView};
use domain::commands::CheckInForm;
use domain::rules;

/// Where the API lives.
pub const BASE: &str = "/api/v1";
/// Check-ins per page unless `limit` says otherwise, and the most it may say.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;
/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

// ---------------------------------------------------------------------------
// The error shape

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
    error: AppError,
    retry_after: Option<u64>,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            retry_after: None,
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::from(error).into()
    }
}

fn error_response(status: StatusCode, message: String, field: Option<String>) -> Response {
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
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

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

// ---------------------------------------------------------------------------
// Who is calling

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

// ---------------------------------------------------------------------------
// What the API answers

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
fn decimal(value: Decimal) -> String {
    format!("{value:.2}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quarter {
    #[schema(example = "2025-Q1")]
    pub label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// An archived quarter takes no more check-ins.
    pub archived: bool,
}

impl From<&QuarterView> for Quarter {
    fn from(quarter: &QuarterView) -> Self {
        Quarter {
            label: quarter.label.clone(),
            start_date: quarter.start_at,
            end_date: quarter.end_at,
            archived: quarter.archived,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuarterList {
    /// Newest first.
    pub quarters: Vec<Quarter>,
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
    fn new(key_result: &KeyResultView, quarter: &QuarterView, as_of: NaiveDate) -> KeyResult {
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    /// The mean of its key results' progress, each held to 0–1.
    pub progress: Option<f64>,
    /// The worst latest confidence of its key results.
    pub confidence: Option<Confidence>,
    pub key_results: Vec<KeyResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    pub progress: Option<f64>,
    pub confidence: Option<Confidence>,
    pub objectives: Vec<Objective>,
}

/// A quarter with every team's objectives and key results, as the dashboard
/// shows them. Forecasts here use the check-ins the dashboard's sparklines
/// hold (the latest 26 in the quarter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuarterDetail {
    #[schema(example = "2025-Q1")]
    pub label: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub archived: bool,
    /// The day pace is judged on: today, or the quarter's last day once over.
    pub as_of: NaiveDate,
    /// Percentage of Green minus percentage of Red latest confidences, −100
    /// to 100; null before any check-in.
    pub net_confidence_score: Option<f64>,
    pub teams: Vec<Team>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckIn {
    pub id: Uuid,
    pub key_result_id: Uuid,
    #[schema(example = "9100000.00")]
    pub value: String,
    pub confidence: Confidence,
    pub note: Option<String>,
    /// The day the check-in counts for.
    pub date: NaiveDate,
    /// When it was recorded.
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub author: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckInPage {
    /// Newest first.
    pub check_ins: Vec<CheckIn>,
    /// Pass as `cursor` for the next, older page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A decimal as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DecimalInput {
    /// A decimal string, such as `"9100000.00"`.
    Text(String),
    /// A JSON number.
    Number(f64),
}

/// A confidence as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConfidenceInput {
    Label(Confidence),
    /// 0 (red), 1 (amber) or 2 (green).
    Level(u8),
}

/// A check-in to record. Fields other than these are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckIn {
    /// The value: at most 13 digits before the point and 2 after.
    #[schema(example = "9100000.00")]
    pub value: DecimalInput,
    /// `red`, `amber` or `green` (or 0, 1, 2).
    #[schema(example = "green")]
    pub confidence: ConfidenceInput,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(example = "March bookings closed strong")]
    pub note: Option<String>,
    /// The day it counts for, inside the quarter and not in the future;
    /// today (or the quarter's last day, once it is over) when left out.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

// ---------------------------------------------------------------------------
// Handlers

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Every quarter, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/quarters",
    tag = "quarters",
    security(("token" = [])),
    responses(
        (status = 200, description = "Every quarter, newest first", body = QuarterList),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
async fn list_quarters(
    _caller: ApiCaller,
    State(state): State<AppState>,
) -> ApiResult<Json<QuarterList>> {
    let quarters = super::okrs::quarters(&state.db).await?;
    Ok(Json(QuarterList {
        quarters: quarters.iter().map(Quarter::from).collect(),
    }))
}

/// One quarter with its teams, objectives and key results: current value,
/// progress, latest confidence, pace and forecast.
#[utoipa::path(
    get,
    path = "/api/v1/quarters/{label}",
    tag = "quarters",
    security(("token" = [])),
    params(("label" = String, Path, description = "The quarter's label", example = "2025-Q1")),
    responses(
        (status = 200, description = "The quarter and its OKRs", body = QuarterDetail),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No quarter has this label", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
async fn get_quarter(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> ApiResult<Json<QuarterDetail>> {
    let not_found = || AppError::NotFound(format!("quarter {}", domain::text::echo(&label)));
    if label.trim().is_empty() || label.chars().any(char::is_control) {
        return Err(not_found().into());
    }
    let dashboard = super::okrs::dashboard(&state.db, Some(&label), today())
        .await?
        .ok_or_else(not_found)?;
    let quarter = dashboard.quarter.clone().ok_or_else(not_found)?;
    let as_of = dashboard.as_of;
    let net_confidence_score = rules::net_confidence_score(
        dashboard
            .key_results()
            .filter_map(KeyResultView::confidence),
    );
    let teams = dashboard
        .teams
        .iter()
        .map(|team| Team {
            id: team.id,
            name: team.name.clone(),
            progress: team.progress(),
            confidence: team.confidence().map(Confidence::from),
            objectives: team
                .objectives
                .iter()
                .map(|objective| Objective {
                    id: objective.id,
                    title: objective.title.clone(),
                    owner: objective.owner.clone(),
                    progress: objective.progress(),
                    confidence: objective.confidence().map(Confidence::from),
                    key_results: objective
                        .key_results
                        .iter()
                        .map(|key_result| KeyResult::new(key_result, &quarter, as_of))
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(QuarterDetail {
        label: quarter.label.clone(),
        start_date: quarter.start_at,
        end_date: quarter.end_at,
        archived: quarter.archived,
        as_of,
        net_confidence_score,
        teams,
    }))
}

fn key_result_id(text: &str) -> ApiResult<Uuid> {
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
        (status = 200, description = "The key result", body = KeyResultDetail),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
async fn get_key_result(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<KeyResultDetail>> {
    let id = key_result_id(&id)?;
    let detail = super::okrs::key_result_detail(&state.db, id, today(), 1)
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

/// A cursor: the moment and id of the last check-in of a page, opaque to
/// callers (`<microseconds since 1970>_<id>`).
fn cursor_of(check_in: &model::CheckInEntry) -> String {
    format!(
        "{}_{}",
        check_in.created_at.and_utc().timestamp_micros(),
        check_in.id.simple()
    )
}

fn parse_cursor(text: &str) -> Result<(NaiveDateTime, Uuid), AppError> {
    let bad = || AppError::validation("cursor", "is not a cursor this API gave out");
    let (micros, id) = text.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(bad)?
        .naive_utc();
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((at, id))
}

/// The query string's `cursor` and `limit`; anything else is refused.
fn page_query(query: Option<&str>) -> Result<(Option<(NaiveDateTime, Uuid)>, u64), AppError> {
    let mut cursor = None;
    let mut limit = DEFAULT_PAGE_SIZE;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "cursor" if !value.is_empty() => cursor = Some(parse_cursor(&value)?),
            "cursor" => {}
            "limit" => {
                limit = Some(value.trim())
                    .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|text| text.parse::<u64>().ok())
                    .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
                    .ok_or_else(|| {
                        AppError::validation(
                            "limit",
                            format!("must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                        )
                    })?;
            }
            other => {
                return Err(AppError::validation(
                    &domain::text::echo(other).replace('"', ""),
                    "is not a parameter of this endpoint (cursor, limit)",
                ));
            }
        }
    }
    Ok((cursor, limit))
}

fn check_in_out(key_result_id: Uuid, entry: model::CheckInEntry) -> CheckIn {
    CheckIn {
        id: entry.id,
        key_result_id,
        value: decimal(entry.value),
        confidence: entry.confidence.into(),
        note: entry.note,
        date: entry.created_at.date(),
        recorded_at: entry.created_at.and_utc(),
        author: entry.author,
    }
}

/// A key result's check-ins, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/key-results/{id}/check-ins",
    tag = "key results",
    security(("token" = [])),
    params(
        ("id" = Uuid, Path, description = "The key result's id"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before; the newest page without"),
        ("limit" = Option<u64>, Query, description = "Check-ins per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "A page of check-ins", body = CheckInPage),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 422, description = "A bad cursor or limit", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
async fn list_check_ins(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<CheckInPage>> {
    let id = key_result_id(&id)?;
    let (cursor, limit) = page_query(query.as_deref())?;
    let page = super::okrs::check_ins_page(&state.db, id, cursor, limit)
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))?;
    let next_cursor = page
        .more
        .then(|| page.check_ins.last().map(cursor_of))
        .flatten();
    Ok(Json(CheckInPage {
        check_ins: page
            .check_ins
            .into_iter()
            .map(|entry| check_in_out(id, entry))
            .collect(),
        next_cursor,
    }))
}

/// Reads a field of the check-in body as the form would have it typed.
fn text_field(
    body: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    expected: &str,
) -> Result<String, AppError> {
    use serde_json::Value;
    match body.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) if field != "note" && field != "date" => Ok(number.to_string()),
        Some(_) => Err(AppError::validation(field, format!("must be {expected}"))),
    }
}

/// The check-in a POST body asks for, as the form's fields.
fn check_in_form(key_result_id: Uuid, body: &Bytes) -> Result<CheckInForm, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        let message = if body.iter().all(u8::is_ascii_whitespace) {
            "the body is empty; send a JSON object".to_owned()
        } else if error.is_syntax() || error.is_eof() {
            format!("the body is not valid JSON ({error})")
        } else {
            format!("the body could not be read ({error})")
        };
        AppError::Malformed {
            field: String::new(),
            message,
        }
    })?;
    let serde_json::Value::Object(body) = value else {
        return Err(AppError::Malformed {
            field: String::new(),
            message: "the body must be a JSON object".into(),
        });
    };
    const FIELDS: [&str; 4] = ["value", "confidence", "note", "date"];
    if let Some(unknown) = body.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        let shown: String = unknown.chars().take(40).collect();
        return Err(AppError::validation(
            &shown,
            "is not a field of a check-in (value, confidence, note, date)",
        ));
    }
    let value = text_field(&body, "value", "a decimal string, such as \"9100000.00\"")?;
    if value.trim().is_empty() {
        return Err(AppError::validation("value", "is missing"));
    }
    Ok(CheckInForm {
        key_result_id: key_result_id.to_string(),
        value,
        confidence: text_field(
            &body,
            "confidence",
            "\"red\", \"amber\" or \"green\" (or 0, 1, 2)",
        )?,
        note: text_field(&body, "note", "a string")?,
        date: text_field(&body, "date", "a date such as \"2025-03-14\"")?,
    })
}

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || AppError::Malformed {
        field: "Idempotency-Key".into(),
        message: format!(
            "must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters, such as a UUID"
        ),
    };
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(bad());
    }
    Ok(Some(key.to_owned()))
}

/// What an idempotency key is bound to: the key result and the body's JSON,
/// whatever its spacing and key order.
fn request_hash(key_result_id: Uuid, form: &CheckInForm) -> String {
    let canonical = serde_json::json!({
        "key_result": key_result_id.to_string(),
        "value": form.value.trim(),
        "confidence": form.confidence.trim().to_ascii_lowercase(),
        "note": form.note.trim(),
        "date": form.date.trim(),
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn created(body: String, key_result_id: Uuid, replayed: bool) -> Response {
    let mut response = (
        StatusCode::CREATED,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if let Ok(location) =
        HeaderValue::from_str(&format!("{BASE}/key-results/{key_result_id}/check-ins"))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Records a check-in as the token's person, with the same rules and in the
/// same single transaction as the form. With an `Idempotency-Key`, a retry
/// gets the first answer back (header `Idempotent-Replayed: true`) and
/// stores nothing more; the same key with a different body is a 409. Keys
/// are kept 24 hours, per token.
#[utoipa::path(
    post,
    path = "/api/v1/key-results/{id}/check-ins",
    tag = "key results",
    security(("token" = [])),
    params(
        ("id" = Uuid, Path, description = "The key result's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique string (a UUID, say): a retry with the same key stores nothing more"),
    ),
    request_body(content = NewCheckIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded (or, for a retried key, recorded before)", body = CheckIn,
            headers(
                ("Location" = String, description = "The key result's check-ins"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers an earlier request with the same Idempotency-Key"),
            )),
        (status = 400, description = "The body is not a JSON object, or a bad Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 403, description = "The token's person may not check in on this key result", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 409, description = "The Idempotency-Key was used for a different request", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 422, description = "A field breaks a rule; `field` names it", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable or busy", body = ErrorBody),
    )
)]
async fn create_check_in(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    use sea_orm::TransactionTrait;

    let id = key_result_id(&id)?;
    let key = idempotency_key(&headers)?;
    let form = check_in_form(id, &body)?;
    let input = form
        .parse(caller.member.person_id)
        .map_err(AppError::from)?;
    let hash = request_hash(id, &form);
    // Microseconds: what PostgreSQL keeps, so both backends order alike.
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6);

    let _turn = super::db::write_turn(&state.db).await;
    let txn = state.db.begin().await?;
    if let Some(key) = &key {
        match tokens::claim_idempotency_key(&txn, caller.token_id, key, &hash, now).await? {
            Replay::First => {}
            Replay::Answer { body, .. } => {
                txn.commit().await?;
                return Ok(created(body, id, true));
            }
            Replay::Conflict => {
                return Err(AppError::Conflict(
                    "this Idempotency-Key was already used for a different request; use a new key"
                        .into(),
                )
                .into());
            }
        }
    }
    let saved = match super::commands::check_ins::record_in(&txn, input, now).await {
        Ok(saved) => saved,
        Err(AppError::Validation { field, message }) if field == "key_result_id" => {
            let error = if message.contains("does not exist") {
                AppError::NotFound("key result".into())
            } else {
                AppError::validation("key_result", message)
            };
            return Err(error.into());
        }
        Err(error) => return Err(error.into()),
    };
    let out = CheckIn {
        id: saved.id,
        key_result_id: saved.kr_id,
        value: decimal(saved.value),
        confidence: saved.confidence.into(),
        note: saved.note,
        date: saved.created_at.date(),
        recorded_at: saved.created_at.and_utc(),
        author: caller.name.clone(),
    };
    let body = serde_json::to_string(&out).map_err(|_| AppError::Internal)?;
    if let Some(key) = &key {
        tokens::store_answer(
            &txn,
            caller.token_id,
            key,
            StatusCode::CREATED.as_u16(),
            &body,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(created(body, id, false))
}

/// This document.
async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

async fn no_such_endpoint() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "there is no such endpoint; see /api/v1/openapi.json for the ones there are".into(),
        None,
    )
}

// ---------------------------------------------------------------------------
// The router and its document

struct TokenScheme;

impl Modify for TokenScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("rokr_…")
                    .description(Some(
                        "A personal access token, made on the Access tokens page. It acts as the person who made it.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "RunwayOKR API",
        version = "1",
        description = "Read quarters, objectives and key results, and record check-ins from scripts and other systems.\n\nEvery request carries `Authorization: Bearer rokr_…`, a personal access token that acts as the person who made it, with their role. Values are decimal strings (`\"9100000.00\"`), dates ISO 8601, confidence `red`, `amber` or `green`. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`. Each token may make 600 requests a minute (the server's `RUNWAY_API_REQUESTS_PER_MINUTE`); beyond, 429 with `Retry-After`."
    ),
    modifiers(&TokenScheme),
    tags(
        (name = "quarters", description = "Quarters and their OKRs"),
        (name = "key results", description = "Key results and their check-ins"),
    )
)]
struct ApiDoc;

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_quarters))
        .routes(routes!(get_quarter))
        .routes(routes!(get_key_result))
        .routes(routes!(list_check_ins, create_check_in))
}

/// The API's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().split_for_parts().1
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

/// The document read for people, for the API reference page.
pub fn reference(base_url: &str) -> model::ApiReference {
    use serde_json::Value;

    let document = serde_json::to_value(openapi()).unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let schema_name = |value: &Value| {
        value["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .and_then(|reference| reference.rsplit('/').next())
            .map(str::to_owned)
    };
    let mut operations = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] {
                let operation = &item[method];
                if !operation.is_object() {
                    continue;
                }
                let parameters = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|parameter| model::ApiParameter {
                        name: text(&parameter["name"]),
                        location: text(&parameter["in"]),
                        required: parameter["required"].as_bool().unwrap_or(false),
                        description: text(&parameter["description"]),
                    })
                    .collect();
                let responses = operation["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(status, response)| {
                        (
                            status.clone(),
                            text(&response["description"]),
                            schema_name(response),
                        )
                    })
                    .collect();
                operations.push(model::ApiOperation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&operation["summary"]),
                    description: text(&operation["description"]),
                    parameters,
                    request_body: schema_name(&operation["requestBody"]),
                    responses,
                });
            }
        }
    }
    let schemas = document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            (
                name.clone(),
                serde_json::to_string_pretty(schema).unwrap_or_default(),
            )
        })
        .collect();
    model::ApiReference {
        title: text(&document["info"]["title"]),
        version: text(&document["info"]["version"]),
        description: text(&document["info"]["description"]),
        base_url: base_url.to_owned(),
        operations,
        schemas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_strangers_are_refused() {
        let entry = model::CheckInEntry {
            id: Uuid::new_v4(),
            value: Decimal::new(35, 1),
            confidence: ConfidenceLevel::Green,
            note: None,
            author: "Mike".into(),
            created_at: NaiveDate::from_ymd_opt(2025, 2, 3)
                .unwrap()
                .and_hms_micro_opt(10, 4, 5, 123_456)
                .unwrap(),
        };
        let (at, id) = parse_cursor(&cursor_of(&entry)).unwrap();
        assert_eq!((at, id), (entry.created_at, entry.id));
        for bad in ["", "abc", "12_nope", "x_0b5c9e0e9a3c4f5e8d7c6b5a49382716"] {
            assert_eq!(parse_cursor(bad).unwrap_err().field(), Some("cursor"));
        }
    }

    #[test]
    fn the_page_query_names_what_it_refuses() {
        assert_eq!(page_query(None).unwrap(), (None, DEFAULT_PAGE_SIZE));
        assert_eq!(page_query(Some("limit=5")).unwrap().1, 5);
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("cursor=zzz", "cursor"),
            ("page=2", "page"),
        ] {
            assert_eq!(page_query(Some(query)).unwrap_err().field(), Some(field));
        }
    }

    #[test]
    fn a_body_is_read_as_the_form_would_be_typed() {
        let id = Uuid::new_v4();
        let form = check_in_form(
            id,
            &Bytes::from_static(br#"{"value": 9100000.5, "confidence": 2, "note": null}"#),
        )
        .unwrap();
        assert_eq!(form.value, "9100000.5");
        assert_eq!(form.confidence, "2");
        assert_eq!(form.note, "");
        for (body, field) in [
            (r#"{"confidence": "green"}"#, Some("value")),
            (r#"{"value": true, "confidence": "green"}"#, Some("value")),
            (r#"{"value": "1", "confidence": [2]}"#, Some("confidence")),
            (
                r#"{"value": "1", "confidence": "green", "author_id": "x"}"#,
                Some("author_id"),
            ),
        ] {
            let error = check_in_form(id, &Bytes::from(body)).unwrap_err();
            assert_eq!(error.field(), field, "{body}");
            assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        for body in ["", "{", "[1]", "\"text\""] {
            let error = check_in_form(id, &Bytes::from(body)).unwrap_err();
            assert_eq!(error.status_code(), StatusCode::BAD_REQUEST, "{body}");
        }
    }

    #[test]
    fn the_same_request_hashes_alike_whatever_its_spelling() {
        let id = Uuid::new_v4();
        let a = check_in_form(id, &Bytes::from(r#"{"value":"5","confidence":"Green"}"#)).unwrap();
        let b = check_in_form(
            id,
            &Bytes::from(r#"{ "confidence": "green", "value": "5" }"#),
        )
        .unwrap();
        let c = check_in_form(id, &Bytes::from(r#"{"value":"6","confidence":"green"}"#)).unwrap();
        assert_eq!(request_hash(id, &a), request_hash(id, &b));
        assert_ne!(request_hash(id, &a), request_hash(id, &c));
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_operation() {
        let document = serde_json::to_value(openapi()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().unwrap();
        for (path, method) in [
            ("/api/v1/quarters", "get"),
            ("/api/v1/quarters/{label}", "get"),
            ("/api/v1/key-results/{id}", "get"),
            ("/api/v1/key-results/{id}/check-ins", "get"),
            ("/api/v1/key-results/{id}/check-ins", "post"),
        ] {
            assert!(paths[path][method].is_object(), "{method} {path}");
        }
    }
}
