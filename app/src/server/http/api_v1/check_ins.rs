//! A key result's check-ins: reading them a page at a time, and recording
//! one (idempotently, with an `Idempotency-Key`) through the same writer as
//! the form.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::BASE;
use super::error::{ApiResult, ErrorBody};
use super::idempotency::idempotency_key;
use super::key_results::{Confidence, decimal, key_result_id};
use super::new_check_in::{NewCheckIn, check_in_form, request_hash};
use super::paging::{cursor_of, page_query};
use crate::error::AppError;
use crate::model;
use crate::server::AppState;
use crate::server::tokens::{self, ApiCaller, Replay};

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
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the page before; the newest page without", pattern = r"^(-?[0-9]{1,16}_[0-9a-fA-F]{32})?$"),
        ("limit" = Option<u64>, Query, description = "Check-ins per page, 1 to 100 (default 20)", minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, description = "A page of check-ins", body = CheckInPage,
            links(
                ("nextPage" = (
                    operation_id = "list_check_ins",
                    parameters(("id" = "$request.path.id"), ("cursor" = "$response.body#/next_cursor")),
                    description = "The next, older page, while `next_cursor` is not null",
                )),
                ("recordCheckIn" = (
                    operation_id = "create_check_in",
                    parameters(("id" = "$request.path.id")),
                    description = "Record a check-in on this key result",
                )),
            )),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 422, description = "A bad cursor or limit, or a query parameter other than these; `field` names it", body = ErrorBody,
            example = json!({"error": {"code": "validation_failed", "message": "must be a whole number from 1 to 100", "field": "limit"}})),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub(super) async fn list_check_ins(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<CheckInPage>> {
    let id = key_result_id(&id)?;
    let (cursor, limit) = page_query(query.as_deref())?;
    let page = crate::server::queries::key_results::check_ins_page(&state.db, id, cursor, limit)
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
        ("Idempotency-Key" = Option<String>, Header,
            description = "Any unique string of 1 to 255 visible ASCII characters (a UUID, say): a retry with the same key stores nothing more",
            nullable = false, min_length = 1, max_length = 255, pattern = r"^[\x21-\x7E]+$"),
    ),
    request_body(content = NewCheckIn, content_type = "application/json"),
    responses(
        (status = 201, description = "Recorded (or, for a retried key, recorded before)", body = CheckIn,
            headers(
                ("Location" = String, description = "The key result's check-ins"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers an earlier request with the same Idempotency-Key"),
            ),
            links(
                ("getKeyResult" = (
                    operation_id = "get_key_result",
                    parameters(("id" = "$response.body#/key_result_id")),
                    description = "The key result, with this check-in counted",
                )),
                ("listCheckIns" = (
                    operation_id = "list_check_ins",
                    parameters(("id" = "$response.body#/key_result_id")),
                    description = "The key result's check-ins, this one first",
                )),
            )),
        (status = 400, description = "The body is not a JSON object, or a bad Idempotency-Key", body = ErrorBody),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 403, description = "The token's person may not check in on this key result", body = ErrorBody),
        (status = 404, description = "No key result has this id", body = ErrorBody),
        (status = 409, description = "The Idempotency-Key was used for a different request", body = ErrorBody),
        (status = 413, description = "The body is over 16 KiB", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (the schema's, or one that needs the data: a date outside the quarter or in the future, or a value below zero for a count or dollar key result that does not itself go below zero); `field` names it", body = ErrorBody,
            example = json!({"error": {"code": "validation_failed", "message": "is 501 characters; the limit is 500", "field": "note"}})),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable or busy", body = ErrorBody),
    )
)]
pub(super) async fn create_check_in(
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

    let _turn = crate::server::db::write_turn(&state.db).await;
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
    let saved = match crate::server::commands::check_ins::record_in(&txn, input, now).await {
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
