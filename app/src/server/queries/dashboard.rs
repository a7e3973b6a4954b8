//! The dashboard's read model: the quarters, and one quarter's teams,
//! objectives and key results. The dashboard takes one statement, whatever its size,
//! and reads its sparklines from `key_result_trend`, one row per key result
//! that the database keeps up to date as check-ins are written, so the cost
//! of a page does not grow with the length of the history.

use chrono::{NaiveDate, NaiveDateTime};
use domain::{ConfidenceLevel, Direction, Unit};
use entity::{
    company_team, key_result, key_result_trend, objective, objective_alignment, okr_user,
    okr_version, quarter, team,
};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Alias, Expr, Func, Order, Query, QueryStatementBuilder};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, JoinType,
    QueryOrder, QueryResult, QuerySelect, QueryTrait, RelationTrait, Select, Statement, Value,
};
use uuid::Uuid;

use std::collections::{HashMap, HashSet};

use domain::alignment::ParentRef;

use super::built_once::BuiltOnce;
use super::columns::Columns;
use crate::model::{
    Alignment, CheckInPoint, Dashboard, FilterOption, KeyResultView, ObjectiveView, QuarterView,
    TeamView, as_of,
};

/// How many check-ins a sparkline shows at most: half a year of weeks. The
/// trend table holds this many (its migration's `TREND_POINTS`).
pub const SPARKLINE_POINTS: i64 = migration::TREND_POINTS as i64;

impl From<quarter::Model> for QuarterView {
    fn from(model: quarter::Model) -> Self {
        QuarterView {
            id: model.id,
            label: model.label,
            start_at: model.start_at,
            end_at: model.end_at,
            archived: model.archived,
        }
    }
}

/// The id of the quarter the dashboard shows, as a subquery: the one asked
/// for by label; else the newest one containing `today`; else the newest.
fn shown_quarter_id(label: Option<&str>, today: NaiveDate) -> Expr {
    use sea_orm::sea_query::ExprTrait;
    // An alias of its own, so its columns never mean the outer query's.
    let picked = Alias::new("picked");
    let column = |column: quarter::Column| Expr::col((picked.clone(), column));
    let newest = |filter: Condition| {
        let mut select = Query::select();
        select
            .expr(column(quarter::Column::Id))
            .from_as(quarter::Entity, picked.clone())
            .cond_where(filter)
            .order_by_expr(column(quarter::Column::StartAt), Order::Desc)
            .order_by_expr(column(quarter::Column::Label), Order::Desc)
            .limit(1);
        Expr::SubQuery(None, Box::new(select.into_sub_query_statement()))
    };
    match label {
        Some(label) => {
            newest(Condition::all().add(ExprTrait::eq(column(quarter::Column::Label), label)))
        }
        None => Func::coalesce([
            newest(
                Condition::all()
                    .add(column(quarter::Column::StartAt).lte(today))
                    .add(column(quarter::Column::EndAt).gte(today)),
            ),
            newest(Condition::all()),
        ])
        .into(),
    }
}

#[derive(Debug, FromQueryResult)]
pub(super) struct ObjectiveRow {
    id: Uuid,
    title: String,
    team_id: Uuid,
    team_name: String,
    owner_name: String,
    /// Its `objective_alignment` row's parent, if it is aligned.
    parent_objective_id: Option<Uuid>,
    parent_key_result_id: Option<Uuid>,
    /// Its team's `company_team` row: set when the team is the company's.
    company_team_id: Option<Uuid>,
}

/// A quarter's columns in a [`DashboardRow`].
#[derive(Debug, FromQueryResult)]
struct QuarterRow {
    id: Uuid,
    label: String,
    start_at: NaiveDate,
    end_at: NaiveDate,
    archived: bool,
}

impl From<QuarterRow> for QuarterView {
    fn from(row: QuarterRow) -> Self {
        QuarterView {
            id: row.id,
            label: row.label,
            start_at: row.start_at,
            end_at: row.end_at,
            archived: row.archived,
        }
    }
}

/// A row of the dashboard: a quarter, whether it is the one shown, and for
/// the one shown an objective and one of its key results with its trend's
/// text, if it has any.
#[derive(Debug)]
struct DashboardRow {
    quarter: QuarterRow,
    shown: Option<bool>,
    objective: Option<ObjectiveRow>,
    key_result: Option<KeyResultRow>,
    trend: Option<String>,
}

impl DashboardRow {
    /// A row of [`dashboard`]'s statement, read by the position of its
    /// columns (as [`dashboard_select`] lists them), not by their names:
    /// for every column of every row, a lookup by a prefixed name costs
    /// more than reading the value itself.
    fn read(row: &QueryResult) -> Result<DashboardRow, DbErr> {
        let row = Columns::of(row)?;
        let quarter = QuarterRow {
            id: row.get(0)?,
            label: row.get(1)?,
            start_at: row.get(2)?,
            end_at: row.get(3)?,
            archived: row.get(4)?,
        };
        let shown = row.get(5)?;
        let objective = match row.get::<Option<Uuid>>(6)? {
            None => None,
            Some(id) => Some(ObjectiveRow {
                id,
                title: row.get(7)?,
                team_id: row.get(8)?,
                team_name: row.get(9)?,
                owner_name: row.get(10)?,
                parent_objective_id: row.get(11)?,
                parent_key_result_id: row.get(12)?,
                company_team_id: row.get(13)?,
            }),
        };
        let key_result = match row.get::<Option<Uuid>>(14)? {
            None => None,
            Some(id) => Some(KeyResultRow {
                id,
                title: row.get(15)?,
                unit: row.enumerated(16)?,
                direction: row.enumerated(17)?,
                start_value: row.decimal(18)?,
                target_value: row.decimal(19)?,
                current_value: row.decimal(20)?,
                owner_id: row.get(21)?,
                owner_name: row.get(22)?,
            }),
        };
        Ok(DashboardRow {
            quarter,
            shown,
            objective,
            key_result,
            trend: row.get(23)?,
        })
    }
}

#[derive(Debug, FromQueryResult)]
pub(super) struct KeyResultRow {
    id: Uuid,
    title: String,
    unit: Unit,
    direction: Direction,
    start_value: Decimal,
    target_value: Decimal,
    current_value: Decimal,
    owner_id: Uuid,
    owner_name: String,
}

impl KeyResultRow {
    pub(super) fn into_view(self, check_ins: Vec<CheckInPoint>) -> KeyResultView {
        KeyResultView {
            id: self.id,
            title: self.title,
            owner: self.owner_name,
            owner_id: self.owner_id,
            unit: self.unit,
            direction: self.direction,
            start_value: self.start_value,
            target_value: self.target_value,
            current_value: self.current_value,
            check_ins,
        }
    }
}

/// The key result's own columns of a [`KeyResultRow`] (all but its
/// owner's name, which the caller joins).
pub(super) fn key_result_columns<E: EntityTrait>(select: Select<E>) -> Select<E> {
    select
        .column(key_result::Column::Id)
        .column(key_result::Column::Title)
        .column(key_result::Column::Unit)
        .column(key_result::Column::Direction)
        .column(key_result::Column::StartValue)
        .column(key_result::Column::TargetValue)
        .column(key_result::Column::CurrentValue)
        .column(key_result::Column::OwnerId)
}

/// A key result's own columns and its owner's name, joined to its objective
/// (for the caller to filter or select more by).
pub(super) fn key_result_with_owner(
    select: Select<key_result::Entity>,
) -> Select<key_result::Entity> {
    key_result_columns(select.select_only())
        .column_as(okr_user::Column::Name, "owner_name")
        .join(JoinType::InnerJoin, key_result::Relation::Owner.def())
        .join(JoinType::InnerJoin, key_result::Relation::Objective.def())
}

/// Every quarter, newest first.
pub async fn quarters(db: &impl ConnectionTrait) -> Result<Vec<QuarterView>, DbErr> {
    Ok(quarter::Entity::find()
        .order_by_desc(quarter::Column::StartAt)
        .order_by_desc(quarter::Column::Label)
        .all(db)
        .await?
        .into_iter()
        .map(QuarterView::from)
        .collect())
}

/// The dashboard of one quarter. An unknown label is `Ok(None)`.
///
/// One statement: every quarter, newest first, for the switcher, each
/// marked whether it is the one shown ([`shown_quarter_id`]), and joined to
/// the shown quarter's objectives, with team and owner names, each with its
/// key results (owner names and sparklines), one row per key result. A
/// quarter not shown, and an objective without key results, has one row,
/// the columns it lacks NULL.
pub async fn dashboard(
    db: &impl ConnectionTrait,
    label: Option<&str>,
    today: NaiveDate,
) -> Result<Option<Dashboard>, DbErr> {
    let statement = dashboard_statement(db.get_database_backend(), label, today);
    let rows = db
        .query_all_raw(statement)
        .await?
        .iter()
        .map(DashboardRow::read)
        .collect::<Result<Vec<_>, _>>()?;
    dashboard_of(rows, db.get_database_backend(), label, today)
}

/// The number `okr_version` holds: it goes up with every committed change
/// to what [`dashboard`] reads (see its migration), so a page rendered from a
/// dashboard read after this number was `n` shows every change as long as
/// the number is still `n`.
pub async fn okr_version(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    static BUILT: BuiltOnce = BuiltOnce::new();
    let statement = BUILT.statement(
        db.get_database_backend(),
        |backend| {
            okr_version::Entity::find()
                .select_only()
                .column(okr_version::Column::Version)
                .build(backend)
        },
        |_| {},
    );
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("the okr_version row".into()))?;
    Columns::of(&row)?.get(0)
}

/// Stands for the label asked for in a [`dashboard_select`] built once.
const LABEL_SLOT: &str = "\u{0}the label asked for";
/// Stands for the day in a [`dashboard_select`] built once.
const DAY_SLOT: NaiveDate = NaiveDate::MIN;

/// [`dashboard_select`] as a statement of `backend`, built once for each
/// backend and for with or without a label, then given the label and the
/// day: building it costs more than running it on a small quarter.
fn dashboard_statement(backend: DbBackend, label: Option<&str>, today: NaiveDate) -> Statement {
    static BUILT: [BuiltOnce; 2] = [const { BuiltOnce::new() }; 2];
    BUILT[usize::from(label.is_some())].statement(
        backend,
        |backend| dashboard_select(label.map(|_| LABEL_SLOT), DAY_SLOT).build(backend),
        |value| match value {
            Value::String(Some(text)) if text == LABEL_SLOT => {
                label.unwrap_or_default().clone_into(text);
            }
            Value::ChronoDate(Some(day)) if *day == DAY_SLOT => *day = today,
            _ => {}
        },
    )
}

/// The dashboard's one statement: every quarter, and the shown one's
/// objectives and key results (see [`dashboard`]). [`DashboardRow::read`]
/// reads its columns by their position.
fn dashboard_select(label: Option<&str>, today: NaiveDate) -> Select<quarter::Entity> {
    use sea_orm::sea_query::ExprTrait;
    let shown_id = shown_quarter_id(label, today);
    let is_shown = ExprTrait::eq(
        Expr::col((quarter::Entity, quarter::Column::Id)),
        shown_id.clone(),
    );
    let objective_owner = Alias::new("objective_owner");
    let key_result_owner = Alias::new("key_result_owner");
    let select = quarter::Entity::find()
        .select_only()
        .column_as(quarter::Column::Id, "q_id")
        .column_as(quarter::Column::Label, "q_label")
        .column_as(quarter::Column::StartAt, "q_start_at")
        .column_as(quarter::Column::EndAt, "q_end_at")
        .column_as(quarter::Column::Archived, "q_archived")
        .expr_as(is_shown, "shown")
        .column_as(objective::Column::Id, "o_id")
        .column_as(objective::Column::Title, "o_title")
        .column_as(objective::Column::TeamId, "o_team_id")
        .column_as(team::Column::Name, "o_team_name")
        .column_as(
            Expr::col((objective_owner.clone(), okr_user::Column::Name)),
            "o_owner_name",
        )
        .column_as(
            objective_alignment::Column::ParentObjectiveId,
            "o_parent_objective_id",
        )
        .column_as(
            objective_alignment::Column::ParentKeyResultId,
            "o_parent_key_result_id",
        )
        .column_as(company_team::Column::TeamId, "o_company_team_id");
    key_result_columns(select)
        .column_as(
            Expr::col((key_result_owner.clone(), okr_user::Column::Name)),
            "owner_name",
        )
        .column_as(key_result_trend::Column::Points, "trend")
        .join(
            JoinType::LeftJoin,
            quarter::Relation::Objective
                .def()
                // On the objective's column, so the database reads only
                // the shown quarter's objectives (by their index), not
                // every quarter's to throw most away.
                .on_condition(move |_, objective| {
                    Condition::all().add(ExprTrait::eq(
                        Expr::col((objective, objective::Column::QuarterId)),
                        shown_id.clone(),
                    ))
                }),
        )
        .join(JoinType::LeftJoin, objective::Relation::Team.def())
        .join(JoinType::LeftJoin, company_team::Relation::Team.def().rev())
        .join(
            JoinType::LeftJoin,
            objective_alignment::Relation::Objective.def().rev(),
        )
        .join_as(
            JoinType::LeftJoin,
            objective::Relation::Owner.def(),
            objective_owner,
        )
        .join(JoinType::LeftJoin, objective::Relation::KeyResult.def())
        .join_as(
            JoinType::LeftJoin,
            key_result::Relation::Owner.def(),
            key_result_owner,
        )
        .join(
            JoinType::LeftJoin,
            key_result_trend::Relation::KeyResult.def().rev(),
        )
        .order_by_desc(quarter::Column::StartAt)
        .order_by_desc(quarter::Column::Label)
        .order_by_asc(quarter::Column::Id)
        .order_by_asc(team::Column::Name)
        // Names may repeat: the id keeps each team's objectives together,
        // and each objective's key results.
        .order_by_asc(objective::Column::TeamId)
        .order_by_asc(objective::Column::CreatedAt)
        .order_by_asc(objective::Column::Title)
        .order_by_asc(objective::Column::Id)
        .order_by_asc(key_result::Column::CreatedAt)
        .order_by_asc(key_result::Column::Title)
        .order_by_asc(key_result::Column::Id)
}

/// The dashboard of the rows of [`dashboard_statement`].
fn dashboard_of(
    rows: Vec<DashboardRow>,
    backend: DbBackend,
    label: Option<&str>,
    today: NaiveDate,
) -> Result<Option<Dashboard>, DbErr> {
    let mut quarters: Vec<QuarterView> = Vec::new();
    let mut shown: Option<QuarterView> = None;
    let mut owner_options: Vec<FilterOption> = Vec::new();
    let mut teams: Vec<TeamView> = Vec::new();
    let mut companies = HashSet::new();
    let mut parents = HashMap::new();
    for DashboardRow {
        quarter,
        shown: is_shown,
        objective,
        key_result,
        trend,
    } in rows
    {
        if quarters.last().is_none_or(|last| last.id != quarter.id) {
            quarters.push(quarter.into());
            if is_shown == Some(true) {
                shown = quarters.last().cloned();
            }
        }
        let Some(objective) = objective else {
            continue;
        };
        companies.extend(objective.company_team_id);
        if let Some(objective_id) = objective.parent_objective_id {
            parents.insert(
                objective.id,
                ParentRef {
                    objective_id,
                    key_result_id: objective.parent_key_result_id,
                },
            );
        }
        let team = match teams.last_mut() {
            Some(team) if team.id == objective.team_id => team,
            _ => {
                teams.push(TeamView {
                    id: objective.team_id,
                    name: objective.team_name,
                    objectives: Vec::new(),
                });
                teams.last_mut().expect("the team just added")
            }
        };
        let objective = match team.objectives.last_mut() {
            Some(last) if last.id == objective.id => last,
            _ => {
                team.objectives.push(ObjectiveView {
                    id: objective.id,
                    title: objective.title,
                    owner: objective.owner_name,
                    key_results: Vec::new(),
                });
                team.objectives
                    .last_mut()
                    .expect("the objective just added")
            }
        };
        let Some(key_result) = key_result else {
            continue;
        };
        if !owner_options
            .iter()
            .any(|option| option.id == key_result.owner_id)
        {
            owner_options.push(FilterOption {
                id: key_result.owner_id,
                name: key_result.owner_name.clone(),
            });
        }
        let check_ins = match trend {
            Some(text) => parse_trend(&text, backend).map_err(|error| {
                DbErr::Custom(format!("key_result_trend of {}: {error}", key_result.id))
            })?,
            None => Vec::new(),
        };
        objective.key_results.push(key_result.into_view(check_ins));
    }

    let Some(shown) = shown else {
        return Ok(label.is_none().then(|| Dashboard {
            quarters,
            quarter: None,
            teams: vec![],
            team_options: vec![],
            owner_options: vec![],
            as_of: today,
            today,
            alignment: Alignment::default(),
        }));
    };
    owner_options.sort_by(|a, b| a.name.cmp(&b.name));
    // The company first, then the teams by name.
    teams.sort_by_key(|team| !companies.contains(&team.id));
    let alignment = Alignment::of(&teams, companies, parents);
    let team_options = teams
        .iter()
        .map(|team| FilterOption {
            id: team.id,
            name: team.name.clone(),
        })
        .collect();
    Ok(Some(Dashboard {
        as_of: as_of(&shown, today),
        today,
        quarters,
        quarter: Some(shown),
        teams,
        team_options,
        owner_options,
        alignment,
    }))
}

/// The points of a `key_result_trend` row: `created_at|value|confidence`
/// joined by `;`, oldest first. The time is ISO 8601, with or without a
/// fraction (a space for the `T` is read too). The
/// value is PostgreSQL's numeric, or on SQLite the REAL's 17 digits, read
/// through an f64 as SeaORM reads that column, so a point equals what reading
/// the check-in itself gives, scale included.
pub fn parse_trend(text: &str, backend: DbBackend) -> Result<Vec<CheckInPoint>, String> {
    text.split(';')
        .map(|point| {
            let mut fields = point.split('|');
            let (Some(created_at), Some(value), Some(confidence), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(format!("a point is not time|value|confidence: {point:?}"));
            };
            let created_at = trend_time(created_at)
                .ok_or_else(|| format!("created_at is not a time: {created_at:?}"))?;
            let not_a_number = || format!("value is not a number: {value:?}");
            let value = match backend {
                DbBackend::Sqlite => value
                    .parse::<f64>()
                    .ok()
                    .and_then(|real| Decimal::try_from(real).ok())
                    .ok_or_else(not_a_number)?,
                _ => value.parse::<Decimal>().map_err(|_| not_a_number())?,
            };
            let confidence = match confidence {
                "0" => ConfidenceLevel::Red,
                "1" => ConfidenceLevel::Amber,
                "2" => ConfidenceLevel::Green,
                other => return Err(format!("confidence is not 0, 1 or 2: {other:?}")),
            };
            Ok(CheckInPoint {
                value,
                confidence,
                created_at,
            })
        })
        .collect()
}

/// A trend point's time: ISO 8601 as the triggers write it
/// (`2025-01-06T09:00:00.000000`, the fraction optional, a space for the `T`
/// read too). A deep page has thousands of points, and chrono's general
/// parser took most of the page's extra time; this reads the fixed places
/// and lets chrono check the date and time.
fn trend_time(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let separators_in_place = bytes.len() >= 19
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b' ')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_in_place {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |number, digit| {
            digit
                .is_ascii_digit()
                .then(|| number * 10 + u32::from(digit - b'0'))
        })
    };
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            number(fraction)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&bytes[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&bytes[5..7])?, number(&bytes[8..10])?)?.and_hms_nano_opt(
        number(&bytes[11..13])?,
        number(&bytes[14..16])?,
        number(&bytes[17..19])?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn a_postgresql_trend_reads_as_its_points_oldest_first() {
        let points = parse_trend(
            "2025-01-06T09:00:00.000000|8200000.00|2;2025-01-13T09:30:15.250000|8450000.50|1",
            DbBackend::Postgres,
        )
        .unwrap();
        assert_eq!(
            points,
            vec![
                CheckInPoint {
                    value: Decimal::new(8_200_000, 0),
                    confidence: ConfidenceLevel::Green,
                    created_at: at("2025-01-06 09:00:00"),
                },
                CheckInPoint {
                    value: Decimal::new(845_000_050, 2),
                    confidence: ConfidenceLevel::Amber,
                    created_at: at("2025-01-13 09:30:15.25"),
                },
            ]
        );
    }

    #[test]
    fn a_sqlite_trend_reads_its_stored_times_and_reals() {
        let points = parse_trend(
            "2025-01-06 09:00:00|12.5|0;2025-01-07T10:00:00.5|3|2;2025-01-08 11:00:00|8.1999999999999993|1",
            DbBackend::Sqlite,
        )
        .unwrap();
        let values: Vec<String> = points.iter().map(|point| point.value.to_string()).collect();
        // As SeaORM reads a REAL: through the f64, to its shortest decimal.
        assert_eq!(values, ["12.5", "3", "8.2"]);
        assert_eq!(points[1].created_at, at("2025-01-07 10:00:00.5"));
        assert_eq!(points[0].confidence, ConfidenceLevel::Red);
    }

    #[test]
    fn trend_times_read_as_chrono_reads_them() {
        for text in [
            "2025-01-06T09:00:00",
            "2025-01-06 09:00:00",
            "2025-01-06T09:00:00.000000",
            "2025-12-31T23:59:59.999999",
            "2024-02-29T00:00:00.5",
            "2025-01-06 09:30:15.123456789",
        ] {
            let chrono = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                .unwrap();
            assert_eq!(trend_time(text), Some(chrono), "{text}");
        }
        for text in [
            "",
            "yesterday",
            "2025-01-06",
            "2025-02-30T09:00:00",
            "2025-01-06T24:00:00",
            "2025-01-06T09:00:00.",
            "2025-01-06T09:00:00.1234567890",
            "2025-01-06T09:00:00Z",
            "2025-01-06X09:00:00",
            "2025-0a-06T09:00:00",
            "+025-01-06T09:00:00",
        ] {
            assert_eq!(trend_time(text), None, "{text}");
        }
    }

    #[test]
    fn a_damaged_trend_says_which_part_is_wrong() {
        for (text, says) in [
            ("2025-01-06 09:00:00|12.5", "time|value|confidence"),
            ("2025-01-06 09:00:00|12.5|2|x", "time|value|confidence"),
            ("yesterday|12.5|2", "created_at"),
            ("2025-01-06 09:00:00|twelve|2", "value"),
            ("2025-01-06 09:00:00|12.5|3", "confidence"),
        ] {
            let error = parse_trend(text, DbBackend::Postgres).unwrap_err();
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
