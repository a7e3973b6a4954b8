//! Quarters: the list of them, and one with every team's objectives and key
//! results as the dashboard shows them, with their alignment (what each
//! objective supports, what supports it, and the aligned figures) taken
//! from the dashboard's own read model, so the two never disagree.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiResult, ErrorBody};
use super::key_results::{Confidence, KeyResult};
use super::today;
use crate::error::AppError;
use crate::model::{KeyResultView, ParentLink, QuarterView};
use crate::server::AppState;
use crate::server::tokens::ApiCaller;
use domain::rules;

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

/// What an objective supports: another team's (or the company's)
/// objective, or one of that objective's key results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParentObjective {
    /// The objective it supports; when it supports a key result, that key
    /// result's objective.
    pub objective_id: Uuid,
    /// The key result it supports, or null when it supports the objective
    /// itself.
    pub key_result_id: Option<Uuid>,
    /// The supported objective's title, or the key result's when it
    /// supports one.
    #[schema(example = "Become the region's most chosen airline")]
    pub title: String,
    /// The team of the supported objective.
    #[schema(example = "Company")]
    pub team: String,
}

impl From<&ParentLink> for ParentObjective {
    fn from(link: &ParentLink) -> Self {
        ParentObjective {
            objective_id: link.parent.objective_id,
            key_result_id: link.parent.key_result_id,
            title: link.title.clone(),
            team: link.team.clone(),
        }
    }
}

/// A key result of a quarter's objective: its figures, and what the
/// objectives that support it bring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AlignedKeyResult {
    #[serde(flatten)]
    pub key_result: KeyResult,
    /// Aligned progress, from 0 to 1: the mean of its own progress (held to
    /// 0–1) and the aligned progress of each objective that supports it,
    /// each supporting objective counting as one more item. Equal to its
    /// own progress (held to 0–1) when nothing supports it; null when
    /// there is no item at all.
    pub aligned_progress: Option<f64>,
    /// How many objectives support this key result directly.
    pub supporters: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Objective {
    pub id: Uuid,
    pub title: String,
    pub owner: String,
    /// Own progress: the mean of its key results' progress, each held to
    /// 0–1. Supporting objectives do not count here (see
    /// `aligned_progress`).
    pub progress: Option<f64>,
    /// Aligned progress, from 0 to 1: the mean of its key results' aligned
    /// progress plus one item per objective supporting it directly, each
    /// supporting objective counting as one more item beside the key
    /// results (with its own aligned progress). Equal to `progress` when
    /// nothing supports it or its key results; null when there is no item
    /// at all. The figure the dashboard's alignment tree shows.
    pub aligned_progress: Option<f64>,
    /// The worst latest confidence of its key results.
    pub confidence: Option<Confidence>,
    /// Whether its team stands for the company (company-level objectives).
    pub team_is_company: bool,
    /// What this objective supports; null when it is not aligned.
    pub parent: Option<ParentObjective>,
    /// The ids of the objectives that support it, directly or through one
    /// of its key results, in the order the dashboard lists them (the
    /// company first, then teams by name). Empty when none does.
    pub children: Vec<Uuid>,
    pub key_results: Vec<AlignedKeyResult>,
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

/// Every quarter, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/quarters",
    tag = "quarters",
    security(("token" = [])),
    responses(
        (status = 200, description = "Every quarter, newest first", body = QuarterList,
            links(
                ("getQuarter" = (
                    operation_id = "get_quarter",
                    parameters(("label" = "$response.body#/quarters/0/label")),
                    description = "The newest quarter with its OKRs (any `quarters/N/label` works alike)",
                )),
            )),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub(super) async fn list_quarters(
    _caller: ApiCaller,
    State(state): State<AppState>,
) -> ApiResult<Json<QuarterList>> {
    let quarters = crate::server::queries::dashboard::quarters(&state.db).await?;
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
        (status = 200, description = "The quarter and its OKRs", body = QuarterDetail,
            links(
                ("getKeyResult" = (
                    operation_id = "get_key_result",
                    parameters(("id" = "$response.body#/teams/0/objectives/0/key_results/0/id")),
                    description = "The first key result of the first objective of the first team (any `teams/T/objectives/O/key_results/K/id` works alike)",
                )),
                ("listCheckIns" = (
                    operation_id = "list_check_ins",
                    parameters(("id" = "$response.body#/teams/0/objectives/0/key_results/0/id")),
                    description = "That key result's check-ins",
                )),
                ("recordCheckIn" = (
                    operation_id = "create_check_in",
                    parameters(("id" = "$response.body#/teams/0/objectives/0/key_results/0/id")),
                    description = "Record a check-in on that key result",
                )),
            )),
        (status = 401, description = "No token, or one not valid", body = ErrorBody),
        (status = 404, description = "No quarter has this label", body = ErrorBody),
        (status = 429, description = "Over the token's rate limit", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the token may call again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub(super) async fn get_quarter(
    _caller: ApiCaller,
    State(state): State<AppState>,
    Path(label): Path<String>,
) -> ApiResult<Json<QuarterDetail>> {
    let not_found = || AppError::NotFound(format!("quarter {}", domain::text::echo(&label)));
    if label.trim().is_empty() || label.chars().any(char::is_control) {
        return Err(not_found().into());
    }
    let dashboard = crate::server::queries::dashboard::dashboard(&state.db, Some(&label), today())
        .await?
        .ok_or_else(not_found)?;
    let quarter = dashboard.quarter.clone().ok_or_else(not_found)?;
    let as_of = dashboard.as_of;
    let net_confidence_score = rules::net_confidence_score(
        dashboard
            .key_results()
            .filter_map(KeyResultView::confidence),
    );
    let alignment = &dashboard.alignment;
    // Each objective's supporters, through it or one of its key results, in
    // the dashboard's order.
    let mut children: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for objective in dashboard.teams.iter().flat_map(|team| &team.objectives) {
        if let Some(link) = alignment.supports(objective.id) {
            children
                .entry(link.parent.objective_id)
                .or_default()
                .push(objective.id);
        }
    }
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
                    aligned_progress: alignment.objective(objective.id).progress,
                    confidence: objective.confidence().map(Confidence::from),
                    team_is_company: alignment.is_company(team.id),
                    parent: alignment.supports(objective.id).map(ParentObjective::from),
                    children: children.get(&objective.id).cloned().unwrap_or_default(),
                    key_results: objective
                        .key_results
                        .iter()
                        .map(|key_result| {
                            let rolled = alignment.key_result(key_result.id);
                            AlignedKeyResult {
                                key_result: KeyResult::new(key_result, &quarter, as_of),
                                aligned_progress: rolled.progress,
                                supporters: rolled.supporters as u64,
                            }
                        })
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
