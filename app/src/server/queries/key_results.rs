//! The key result page's read model: one key result with a page of its
//! check-in history and the points of its chart, and the history pages the
//! API serves. Bounded work, however long the history.

use chrono::{NaiveDate, NaiveDateTime};
use domain::ConfidenceLevel;
use entity::{key_result, objective, okr_user, quarter, team};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use uuid::Uuid;

use crate::model::{CheckInEntry, CheckInPoint, KeyResultDetail, QuarterView, as_of};

use super::dashboard::{KeyResultRow, key_result_with_owner};

#[derive(Debug, FromQueryResult)]
struct DetailRow {
    #[sea_orm(nested)]
    key_result: KeyResultRow,
    objective_title: String,
    team_id: Uuid,
    team_name: String,
    quarter_id: Uuid,
}

#[derive(Debug, FromQueryResult)]
struct HistoryRow {
    id: Uuid,
    value: Decimal,
    confidence: ConfidenceLevel,
    note: Option<String>,
    author: String,
    created_at: NaiveDateTime,
}

/// Check-ins per page of a key result's history.
pub const HISTORY_PAGE_SIZE: u64 = 20;
/// The most check-ins the key result page's chart (and its forecast) reads.
pub const CHART_MAX_POINTS: u64 = 200;

/// A key result with one page of its check-in history (newest first, page 1
/// the newest) and its latest [`CHART_MAX_POINTS`] check-ins for the chart;
/// `None` if there is no such key result. The work is bounded, however long
/// the history.
pub async fn key_result_detail(
    db: &impl ConnectionTrait,
    id: Uuid,
    today: NaiveDate,
    page: u64,
) -> Result<Option<KeyResultDetail>, DbErr> {
    let Some(row) = key_result_with_owner(key_result::Entity::find_by_id(id))
        .column_as(objective::Column::Title, "objective_title")
        .column_as(team::Column::Id, "team_id")
        .column_as(team::Column::Name, "team_name")
        .column_as(objective::Column::QuarterId, "quarter_id")
        .join(JoinType::InnerJoin, objective::Relation::Team.def())
        .into_model::<DetailRow>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let quarter: QuarterView = quarter::Entity::find_by_id(row.quarter_id)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("quarter {}", row.quarter_id)))?
        .into();
    let page = page.max(1);
    let newest_first = || {
        entity::check_in::Entity::find()
            .select_only()
            .column(entity::check_in::Column::Id)
            .column(entity::check_in::Column::Value)
            .column(entity::check_in::Column::Confidence)
            .column(entity::check_in::Column::Note)
            .column(entity::check_in::Column::CreatedAt)
            .column_as(okr_user::Column::Name, "author")
            .join(
                JoinType::InnerJoin,
                entity::check_in::Relation::Creator.def(),
            )
            .filter(entity::check_in::Column::KrId.eq(id))
            .order_by_desc(entity::check_in::Column::CreatedAt)
            .order_by_desc(entity::check_in::Column::Id)
    };
    let total_check_ins = entity::check_in::Entity::find()
        .filter(entity::check_in::Column::KrId.eq(id))
        .count(db)
        .await?;
    let chart = newest_first()
        .limit(CHART_MAX_POINTS)
        .into_model::<HistoryRow>()
        .all(db)
        .await?;
    let history = newest_first()
        .offset((page - 1) * HISTORY_PAGE_SIZE)
        .limit(HISTORY_PAGE_SIZE)
        .into_model::<HistoryRow>()
        .all(db)
        .await?;
    let check_ins = chart
        .iter()
        .rev()
        .map(|entry| CheckInPoint {
            value: entry.value,
            confidence: entry.confidence,
            created_at: entry.created_at,
        })
        .collect();
    let history: Vec<CheckInEntry> = history.into_iter().map(CheckInEntry::from).collect();
    Ok(Some(KeyResultDetail {
        key_result: row.key_result.into_view(check_ins),
        objective: row.objective_title,
        team: row.team_name,
        team_id: row.team_id,
        as_of: as_of(&quarter, today),
        today,
        quarter,
        history,
        page,
        page_size: HISTORY_PAGE_SIZE,
        total_check_ins,
    }))
}

/// A page of a key result's check-ins, newest first, for the JSON API.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckInPage {
    pub check_ins: Vec<CheckInEntry>,
    /// Whether older check-ins follow the last one of this page.
    pub more: bool,
}

/// Up to `limit` check-ins of a key result, newest first, starting after
/// `after` (the `(created_at, id)` of the last check-in of the page before).
/// `None` if there is no such key result. Keyset paging: a check-in recorded
/// meanwhile neither repeats nor skips one.
pub async fn check_ins_page(
    db: &impl ConnectionTrait,
    key_result_id: Uuid,
    after: Option<(NaiveDateTime, Uuid)>,
    limit: u64,
) -> Result<Option<CheckInPage>, DbErr> {
    use entity::check_in;
    use sea_orm::Condition;

    if key_result::Entity::find_by_id(key_result_id)
        .count(db)
        .await?
        == 0
    {
        return Ok(None);
    }
    let mut query = check_in::Entity::find()
        .select_only()
        .column(check_in::Column::Id)
        .column(check_in::Column::Value)
        .column(check_in::Column::Confidence)
        .column(check_in::Column::Note)
        .column(check_in::Column::CreatedAt)
        .column_as(okr_user::Column::Name, "author")
        .join(JoinType::InnerJoin, check_in::Relation::Creator.def())
        .filter(check_in::Column::KrId.eq(key_result_id));
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any()
                .add(check_in::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(check_in::Column::CreatedAt.eq(at))
                        .add(check_in::Column::Id.lt(id)),
                ),
        );
    }
    let mut rows = query
        .order_by_desc(check_in::Column::CreatedAt)
        .order_by_desc(check_in::Column::Id)
        .limit(limit + 1)
        .into_model::<HistoryRow>()
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok(Some(CheckInPage {
        check_ins: rows.into_iter().map(CheckInEntry::from).collect(),
        more,
    }))
}

impl From<HistoryRow> for CheckInEntry {
    fn from(entry: HistoryRow) -> Self {
        CheckInEntry {
            id: entry.id,
            value: entry.value,
            confidence: entry.confidence,
            note: entry.note,
            author: entry.author,
            created_at: entry.created_at,
        }
    }
}
