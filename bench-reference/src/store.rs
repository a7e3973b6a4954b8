//! The two statements of a page, on PostgreSQL or SQLite, and the
//! dashboard read from their rows: the session with its person, then every
//! quarter with the shown one's teams, objectives, key results and trends,
//! one row per key result, as the app's one dashboard statement reads them.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use domain::access::Member;
use domain::alignment::{self, KeyResultNode, ObjectiveNode, ParentRef, Tree};
use domain::{ConfidenceLevel, Direction, Role, Unit, rules};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use uuid::Uuid;

/// What a request can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Data(String),
}

/// The session of a token hash, with its user's name and the active person
/// of the same email (case-insensitively) and their role: the app's
/// `resolve_session`, one statement.
const SESSION: &str = r#"
SELECT s."expiresAt", u.name, person.id, person.team_id, role.role
  FROM session s
  JOIN "user" u ON u.id = s."userId"
  LEFT JOIN okr_user person ON lower(person.email) = lower(u.email) AND person.active
  LEFT JOIN person_role role ON role.okr_user_id = person.id
 WHERE s.token = $1
 LIMIT 1"#;

/// Every quarter, newest first, each marked whether it is the one shown
/// (the one containing `$1`, else the newest: the app's choice without
/// `?quarter=`), joined to the shown quarter's objectives with their team,
/// owner, alignment and key results (owner and trend), one row per key
/// result, in the app's order.
const DASHBOARD: &str = r#"
SELECT q.id, q.label, q.start_at, q.end_at, q.archived, q.id = shown.id,
       o.id, o.title, o.team_id, team.name, objective_owner.name,
       alignment.parent_objective_id, alignment.parent_key_result_id, company.team_id,
       k.id, k.title, k.unit, k.direction, k.start_value, k.target_value, k.current_value,
       k.owner_id, key_result_owner.name, trend.points
  FROM quarter q
 CROSS JOIN (SELECT COALESCE(
               (SELECT id FROM quarter WHERE start_at <= $1 AND end_at >= $1
                 ORDER BY start_at DESC, label DESC LIMIT 1),
               (SELECT id FROM quarter ORDER BY start_at DESC, label DESC LIMIT 1)) AS id) shown
  LEFT JOIN objective o ON o.quarter_id = q.id AND o.quarter_id = shown.id
  LEFT JOIN team ON team.id = o.team_id
  LEFT JOIN company_team company ON company.team_id = o.team_id
  LEFT JOIN objective_alignment alignment ON alignment.objective_id = o.id
  LEFT JOIN okr_user objective_owner ON objective_owner.id = o.owner_id
  LEFT JOIN key_result k ON k.objective_id = o.id
  LEFT JOIN okr_user key_result_owner ON key_result_owner.id = k.owner_id
  LEFT JOIN key_result_trend trend ON trend.kr_id = k.id
 ORDER BY q.start_at DESC, q.label DESC, q.id, team.name, o.team_id, o.created_at, o.title,
          o.id, k.created_at, k.title, k.id"#;

/// The app's pool sizes (`DB_MAX_CONNECTIONS`' defaults).
const POSTGRES_CONNECTIONS: u32 = 10;
const SQLITE_CONNECTIONS: u32 = 5;

pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// A signed-in person of a team.
pub struct Viewer {
    pub name: String,
    pub member: Member,
}

pub enum SessionLookup {
    /// No such session, or it has expired.
    SignedOut,
    /// Signed in, but no active person has the sign-in's email.
    NoTeam,
    Page(Rows),
}

/// A signed-in request's dashboard rows, read into a [`Dashboard`] that
/// borrows their text.
pub struct Rows {
    viewer: Viewer,
    rows: Backend,
}

enum Backend {
    Postgres(Vec<PgRow>),
    Sqlite(Vec<SqliteRow>),
}

impl Pool {
    /// Opens nothing yet: connections are made as requests need them.
    pub fn connect(url: &str) -> Result<Pool, sqlx::Error> {
        // Pinging a connection at every checkout would double a page's
        // round trips; the app pings only idle ones.
        if url.starts_with("sqlite:") {
            // The app's settings for its SQLite file.
            let options = SqliteConnectOptions::from_str(url)?
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(std::time::Duration::from_secs(5));
            Ok(Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .test_before_acquire(false)
                    .connect_lazy_with(options),
            ))
        } else {
            Ok(Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(POSTGRES_CONNECTIONS)
                    .test_before_acquire(false)
                    .connect_lazy(url)?,
            ))
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
    }

    /// The session of `token_hash` and, when it is live and a person's, the
    /// dashboard's rows for `today`: two statements on one connection.
    pub async fn dashboard(
        &self,
        token_hash: &str,
        now: NaiveDateTime,
        today: NaiveDate,
    ) -> Result<SessionLookup, Error> {
        macro_rules! read {
            ($pool:expr, $backend:ident) => {{
                let mut connection = $pool.acquire().await?;
                let session = sqlx::query(SESSION)
                    .bind(token_hash)
                    .fetch_optional(&mut *connection)
                    .await?;
                let viewer = match person(session.as_ref(), now)? {
                    Person::Viewer(viewer) => viewer,
                    Person::SignedOut => return Ok(SessionLookup::SignedOut),
                    Person::NoTeam => return Ok(SessionLookup::NoTeam),
                };
                let rows = sqlx::query(DASHBOARD)
                    .bind(today)
                    .fetch_all(&mut *connection)
                    .await?;
                Ok(SessionLookup::Page(Rows {
                    viewer,
                    rows: Backend::$backend(rows),
                }))
            }};
        }
        match self {
            Pool::Postgres(pool) => read!(pool, Postgres),
            Pool::Sqlite(pool) => read!(pool, Sqlite),
        }
    }
}

/// Who a session row is.
enum Person {
    /// No session, or an expired one.
    SignedOut,
    NoTeam,
    Viewer(Viewer),
}

fn person(row: Option<&impl Columns>, now: NaiveDateTime) -> Result<Person, Error> {
    let Some(row) = row else {
        return Ok(Person::SignedOut);
    };
    let expires_at = row.time(0)?.ok_or_else(|| missing("expiresAt"))?;
    if expires_at <= now {
        return Ok(Person::SignedOut);
    }
    let name = row.text(1)?.ok_or_else(|| missing("user.name"))?;
    let (Some(person_id), Some(team_id)) = (row.uuid(2)?, row.uuid(3)?) else {
        return Ok(Person::NoTeam);
    };
    let role = match row.text(4)? {
        Some(role) => Role::from_str(role).map_err(|error| Error::Data(error.to_string()))?,
        None => Role::Member,
    };
    Ok(Person::Viewer(Viewer {
        name: name.to_owned(),
        member: Member {
            person_id,
            team_id,
            role,
        },
    }))
}

fn missing(column: &str) -> Error {
    Error::Data(format!("{column} is NULL"))
}

/// The columns as both backends give them. SQLite keeps decimals as REAL,
/// read through an f64 as SeaORM reads them; its uuids are 16-byte blobs.
trait Columns {
    const SQLITE: bool;
    fn uuid(&self, index: usize) -> Result<Option<Uuid>, sqlx::Error>;
    fn text(&self, index: usize) -> Result<Option<&str>, sqlx::Error>;
    fn date(&self, index: usize) -> Result<Option<NaiveDate>, sqlx::Error>;
    fn time(&self, index: usize) -> Result<Option<NaiveDateTime>, sqlx::Error>;
    fn flag(&self, index: usize) -> Result<Option<bool>, sqlx::Error>;
    fn decimal(&self, index: usize) -> Result<Option<Decimal>, sqlx::Error>;
}

macro_rules! columns {
    ($row:ty, $sqlite:expr, $decimal:path) => {
        impl Columns for $row {
            const SQLITE: bool = $sqlite;
            fn uuid(&self, index: usize) -> Result<Option<Uuid>, sqlx::Error> {
                self.try_get(index)
            }
            fn text(&self, index: usize) -> Result<Option<&str>, sqlx::Error> {
                self.try_get(index)
            }
            fn date(&self, index: usize) -> Result<Option<NaiveDate>, sqlx::Error> {
                self.try_get(index)
            }
            fn time(&self, index: usize) -> Result<Option<NaiveDateTime>, sqlx::Error> {
                self.try_get(index)
            }
            fn flag(&self, index: usize) -> Result<Option<bool>, sqlx::Error> {
                self.try_get(index)
            }
            fn decimal(&self, index: usize) -> Result<Option<Decimal>, sqlx::Error> {
                $decimal(self, index)
            }
        }
    };
}

columns!(PgRow, false, numeric);
columns!(SqliteRow, true, real);

fn numeric(row: &PgRow, index: usize) -> Result<Option<Decimal>, sqlx::Error> {
    row.try_get(index)
}

fn real(row: &SqliteRow, index: usize) -> Result<Option<Decimal>, sqlx::Error> {
    let real: Option<f64> = row.try_get(index)?;
    real.map(|real| Decimal::try_from(real).map_err(|error| sqlx::Error::Decode(error.into())))
        .transpose()
}

/// The dashboard of the quarter shown, borrowing its text from the rows.
pub struct Dashboard<'r> {
    pub viewer: &'r Viewer,
    /// Every quarter's label, newest first, for the switcher.
    pub quarters: Vec<&'r str>,
    /// `None` only when there is no quarter at all.
    pub quarter: Option<Quarter<'r>>,
    /// The company's teams first, then by name.
    pub teams: Vec<Team<'r>>,
    pub alignment: Alignment<'r>,
    pub today: NaiveDate,
    /// How a trend's values read: SQLite's are a REAL's 17 digits.
    pub sqlite: bool,
}

pub struct Quarter<'r> {
    pub label: &'r str,
    pub start_at: NaiveDate,
    pub end_at: NaiveDate,
    pub archived: bool,
}

pub struct Team<'r> {
    pub id: Uuid,
    pub name: &'r str,
    pub company: bool,
    pub objectives: Vec<Objective<'r>>,
    pub progress: Option<f64>,
    pub confidence: Option<ConfidenceLevel>,
}

pub struct Objective<'r> {
    pub id: Uuid,
    pub title: &'r str,
    pub owner: &'r str,
    pub parent: Option<ParentRef>,
    pub key_results: Vec<KeyResult<'r>>,
    pub progress: Option<f64>,
    pub confidence: Option<ConfidenceLevel>,
}

pub struct KeyResult<'r> {
    pub id: Uuid,
    pub title: &'r str,
    pub owner: &'r str,
    pub owner_id: Uuid,
    pub unit: Unit,
    pub direction: Direction,
    pub start_value: Decimal,
    pub target_value: Decimal,
    pub current_value: Decimal,
    pub progress: Option<f64>,
    /// `key_result_trend.points`: `time|value|confidence` joined by `;`,
    /// oldest first.
    pub trend: Option<&'r str>,
    /// Its newest point's day and confidence.
    pub latest: Option<(NaiveDate, ConfidenceLevel)>,
}

impl Rows {
    pub fn dashboard(&self, today: NaiveDate) -> Result<Dashboard<'_>, Error> {
        match &self.rows {
            Backend::Postgres(rows) => assemble(&self.viewer, rows, today),
            Backend::Sqlite(rows) => assemble(&self.viewer, rows, today),
        }
    }
}

fn assemble<'r, R: Columns>(
    viewer: &'r Viewer,
    rows: &'r [R],
    today: NaiveDate,
) -> Result<Dashboard<'r>, Error> {
    let mut quarters = Vec::new();
    let mut last_quarter = None;
    let mut quarter = None;
    let mut teams: Vec<Team<'r>> = Vec::new();
    for row in rows {
        let quarter_id = row.uuid(0)?.ok_or_else(|| missing("quarter.id"))?;
        let label = row.text(1)?.ok_or_else(|| missing("quarter.label"))?;
        if last_quarter != Some(quarter_id) {
            last_quarter = Some(quarter_id);
            quarters.push(label);
            if row.flag(5)? == Some(true) {
                quarter = Some(Quarter {
                    label,
                    start_at: row.date(2)?.ok_or_else(|| missing("quarter.start_at"))?,
                    end_at: row.date(3)?.ok_or_else(|| missing("quarter.end_at"))?,
                    archived: row.flag(4)?.unwrap_or(false),
                });
            }
        }
        let Some(objective_id) = row.uuid(6)? else {
            continue;
        };
        let team_id = row.uuid(8)?.ok_or_else(|| missing("objective.team_id"))?;
        if teams.last().is_none_or(|team| team.id != team_id) {
            teams.push(Team {
                id: team_id,
                name: row.text(9)?.ok_or_else(|| missing("team.name"))?,
                company: row.uuid(13)?.is_some(),
                objectives: Vec::new(),
                progress: None,
                confidence: None,
            });
        }
        let objectives = &mut teams.last_mut().expect("a team").objectives;
        if objectives
            .last()
            .is_none_or(|objective| objective.id != objective_id)
        {
            objectives.push(Objective {
                id: objective_id,
                title: row.text(7)?.ok_or_else(|| missing("objective.title"))?,
                owner: row.text(10)?.ok_or_else(|| missing("objective owner"))?,
                parent: match row.uuid(11)? {
                    Some(objective_id) => Some(ParentRef {
                        objective_id,
                        key_result_id: row.uuid(12)?,
                    }),
                    None => None,
                },
                key_results: Vec::new(),
                progress: None,
                confidence: None,
            });
        }
        let Some(key_result_id) = row.uuid(14)? else {
            continue;
        };
        let key_result = key_result(row, key_result_id)?;
        objectives
            .last_mut()
            .expect("an objective")
            .key_results
            .push(key_result);
    }
    for team in &mut teams {
        for objective in &mut team.objectives {
            objective.progress =
                rules::rollup(objective.key_results.iter().filter_map(|kr| kr.progress));
            objective.confidence = rules::worst_confidence(
                objective
                    .key_results
                    .iter()
                    .filter_map(|kr| kr.latest.map(|(_, confidence)| confidence)),
            );
        }
        team.progress = rules::rollup(team.objectives.iter().filter_map(|o| o.progress));
        team.confidence =
            rules::worst_confidence(team.objectives.iter().filter_map(|o| o.confidence));
    }
    // The company first, then the teams by name (as read).
    teams.sort_by_key(|team| !team.company);
    let alignment = Alignment::of(&teams);
    Ok(Dashboard {
        viewer,
        quarters,
        quarter,
        teams,
        alignment,
        today,
        sqlite: R::SQLITE,
    })
}

fn key_result<'r, R: Columns>(row: &'r R, id: Uuid) -> Result<KeyResult<'r>, Error> {
    let text = |index: usize, name: &str| -> Result<&'r str, Error> {
        row.text(index)?.ok_or_else(|| missing(name))
    };
    let decimal = |index: usize, name: &str| -> Result<Decimal, Error> {
        row.decimal(index)?.ok_or_else(|| missing(name))
    };
    let unit = Unit::from_str(text(16, "key_result.unit")?)
        .map_err(|error| Error::Data(error.to_string()))?;
    let direction = Direction::from_str(text(17, "key_result.direction")?)
        .map_err(|error| Error::Data(error.to_string()))?;
    let start_value = decimal(18, "key_result.start_value")?;
    let target_value = decimal(19, "key_result.target_value")?;
    let current_value = decimal(20, "key_result.current_value")?;
    let trend = row.text(23)?.filter(|points| !points.is_empty());
    let latest = trend
        .map(|points| latest_point(points).ok_or_else(|| bad_trend(id, points)))
        .transpose()?;
    Ok(KeyResult {
        id,
        title: text(15, "key_result.title")?,
        owner: text(22, "key result owner")?,
        owner_id: row
            .uuid(21)?
            .ok_or_else(|| missing("key_result.owner_id"))?,
        unit,
        direction,
        start_value,
        target_value,
        current_value,
        progress: rules::progress(start_value, target_value, current_value),
        trend,
        latest,
    })
}

pub fn bad_trend(key_result: Uuid, points: &str) -> Error {
    Error::Data(format!(
        "key_result_trend of {key_result} is not time|value|confidence;…: {points:?}"
    ))
}

/// The day and confidence of a trend's newest (last) point.
fn latest_point(points: &str) -> Option<(NaiveDate, ConfidenceLevel)> {
    let last = points.rsplit(';').next()?;
    let (time, rest) = last.split_once('|')?;
    let (_, confidence) = rest.split_once('|')?;
    Some((point_day(time)?, confidence_of(confidence)?))
}

/// The day of a trend point's ISO 8601 time (`2025-01-06T09:00:00…`).
pub fn point_day(time: &str) -> Option<NaiveDate> {
    let number = |from: usize, to: usize| time.get(from..to)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )
}

pub fn confidence_of(text: &str) -> Option<ConfidenceLevel> {
    match text {
        "0" => Some(ConfidenceLevel::Red),
        "1" => Some(ConfidenceLevel::Amber),
        "2" => Some(ConfidenceLevel::Green),
        _ => None,
    }
}

/// A trend point's value: PostgreSQL's numeric text, or SQLite's REAL
/// digits read through an f64 (as the app reads them).
pub fn point_value(text: &str, sqlite: bool) -> Option<Decimal> {
    if sqlite {
        Decimal::try_from(text.parse::<f64>().ok()?).ok()
    } else {
        text.parse().ok()
    }
}

/// What each objective supports and the aligned figures, when anything in
/// the quarter is aligned; nothing to work out otherwise.
pub struct Alignment<'r> {
    tree: Option<Tree>,
    /// An aligned objective's parent: its team's name and its title.
    parents: HashMap<Uuid, (ParentRef, &'r str, &'r str)>,
}

impl<'r> Alignment<'r> {
    fn of(teams: &[Team<'r>]) -> Alignment<'r> {
        let objectives = || teams.iter().flat_map(|team| &team.objectives);
        if objectives().all(|objective| objective.parent.is_none()) {
            return Alignment {
                tree: None,
                parents: HashMap::new(),
            };
        }
        let mut titles = HashMap::new();
        let mut nodes = Vec::new();
        for team in teams {
            for objective in &team.objectives {
                titles.insert(objective.id, (team.name, objective.title));
                for key_result in &objective.key_results {
                    titles.insert(key_result.id, (team.name, key_result.title));
                }
                nodes.push(ObjectiveNode {
                    id: objective.id,
                    parent: objective.parent,
                    key_results: objective
                        .key_results
                        .iter()
                        .map(|key_result| KeyResultNode {
                            id: key_result.id,
                            progress: key_result.progress,
                            confidence: key_result.latest.map(|(_, confidence)| confidence),
                        })
                        .collect(),
                });
            }
        }
        let parents = objectives()
            .filter_map(|objective| {
                let parent = objective.parent?;
                let (team, title) =
                    titles.get(&parent.key_result_id.unwrap_or(parent.objective_id))?;
                Some((objective.id, (parent, *team, *title)))
            })
            .collect();
        Alignment {
            tree: Some(alignment::roll_up(&nodes)),
            parents,
        }
    }

    /// The objective it supports: (parent, its team's name, its title).
    pub fn supports(&self, objective: Uuid) -> Option<&(ParentRef, &'r str, &'r str)> {
        self.parents.get(&objective)
    }

    /// How many objectives support it or one of its key results.
    pub fn supporters(&self, objective: &Objective<'_>) -> usize {
        let Some(tree) = &self.tree else {
            return 0;
        };
        let supporters = |rolled: Option<&alignment::Rolled>| rolled.map_or(0, |r| r.supporters);
        supporters(tree.objectives.get(&objective.id))
            + objective
                .key_results
                .iter()
                .map(|key_result| supporters(tree.key_results.get(&key_result.id)))
                .sum::<usize>()
    }

    /// Its aligned progress, when it differs from its own.
    pub fn differs(&self, objective: &Objective<'_>) -> Option<f64> {
        let aligned = self
            .tree
            .as_ref()?
            .objectives
            .get(&objective.id)?
            .progress?;
        match objective.progress {
            Some(own) if (own - aligned).abs() < 1e-9 => None,
            _ => Some(aligned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trend_gives_its_newest_day_and_confidence() {
        let day = |year, month, day| NaiveDate::from_ymd_opt(year, month, day);
        assert_eq!(
            latest_point("2025-01-06T09:00:00.000000|8200000.00|2;2025-01-13 09:30:15|8450000.5|0"),
            Some((day(2025, 1, 13).unwrap(), ConfidenceLevel::Red))
        );
        assert_eq!(latest_point("2025-01-06|12.5|3"), None);
        assert_eq!(latest_point("yesterday|12.5|1"), None);
    }

    #[test]
    fn sqlite_values_read_through_a_double_as_the_app_reads_them() {
        assert_eq!(
            point_value("8.1999999999999993", true).map(|value| value.to_string()),
            Some("8.2".into())
        );
        assert_eq!(
            point_value("8450000.50", false).map(|value| value.to_string()),
            Some("8450000.50".into())
        );
    }
}
