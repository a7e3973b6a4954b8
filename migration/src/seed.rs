//! The demo data of the spec: two teams, five people, quarter 2025-Q1, three
//! objectives with ten key results, and a few weekly check-ins for each.
//!
//! It lives outside the migrations so production databases never get demo
//! rows. Every row is found by its natural key before it is inserted, so the
//! seed can run any number of times; all of it happens in one transaction.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use domain::{Direction, Unit, rules};
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use rust_decimal::Decimal;

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::Migrator;

pub const QUARTER_LABEL: &str = "2025-Q1";

const TEAMS: [&str; 2] = ["Direct Channel Sales", "Corporate Sales"];

/// (name, email, team)
const PEOPLE: [(&str, &str, &str); 5] = [
    (
        "Sarah Chen",
        "sarah.chen@airline.com",
        "Direct Channel Sales",
    ),
    (
        "Mike Johnson",
        "mike.johnson@airline.com",
        "Direct Channel Sales",
    ),
    ("Lisa Wang", "lisa.wang@airline.com", "Corporate Sales"),
    (
        "James Rodriguez",
        "james.rodriguez@airline.com",
        "Corporate Sales",
    ),
    ("Emily Davis", "emily.davis@airline.com", "Corporate Sales"),
];

struct SeedObjective {
    title: &'static str,
    team: &'static str,
    owner: &'static str,
    key_results: &'static [SeedKeyResult],
}

struct SeedKeyResult {
    title: &'static str,
    unit: Unit,
    direction: Direction,
    start: &'static str,
    target: &'static str,
    owner: &'static str,
    /// (day of January 2025, value, note): weekly readings, oldest first.
    check_ins: &'static [(u32, &'static str, &'static str)],
}

const OBJECTIVES: [SeedObjective; 3] = [
    SeedObjective {
        title: "Grow Direct Channel Revenue",
        team: "Direct Channel Sales",
        owner: "sarah.chen@airline.com",
        key_results: &[
            SeedKeyResult {
                title: "Increase direct booking conversion rate from 2.8% to 3.5%",
                unit: Unit::Percent,
                direction: Direction::Up,
                start: "2.8",
                target: "3.5",
                owner: "mike.johnson@airline.com",
                check_ins: &[
                    (6, "2.84", "New checkout flow live on web"),
                    (13, "2.93", "A/B test of fare calendar is winning"),
                    (20, "3.01", "Fare calendar rolled out to all markets"),
                ],
            },
            SeedKeyResult {
                title: "Grow mobile app bookings from $12M to $18M",
                unit: Unit::Dollars,
                direction: Direction::Up,
                start: "12000000",
                target: "18000000",
                owner: "mike.johnson@airline.com",
                check_ins: &[
                    (6, "12300000", "Holiday lull after New Year"),
                    (13, "12900000", "App-only fare sale drove installs"),
                    (20, "13400000", "Push campaign for spring schedule"),
                ],
            },
            SeedKeyResult {
                title: "Reduce third-party commission costs from 15% to 12%",
                unit: Unit::PercentagePoints,
                direction: Direction::Down,
                start: "15",
                target: "12",
                owner: "sarah.chen@airline.com",
                check_ins: &[
                    (6, "14.9", "Renegotiation with two OTAs under way"),
                    (13, "14.8", "OTA contracts slower to close than planned"),
                ],
            },
        ],
    },
    SeedObjective {
        title: "Expand Corporate Sales in APAC",
        team: "Corporate Sales",
        owner: "lisa.wang@airline.com",
        key_results: &[
            SeedKeyResult {
                title: "Sign 25 new corporate accounts (baseline: 0)",
                unit: Unit::Count,
                direction: Direction::Up,
                start: "0",
                target: "25",
                owner: "james.rodriguez@airline.com",
                check_ins: &[
                    (6, "1", "First Singapore account signed"),
                    (13, "3", "Two Sydney accounts closed"),
                    (20, "6", "Tokyo roadshow converted three leads"),
                ],
            },
            SeedKeyResult {
                title: "Increase APAC corporate revenue from $8M to $15M",
                unit: Unit::Dollars,
                direction: Direction::Up,
                start: "8000000",
                target: "15000000",
                owner: "lisa.wang@airline.com",
                check_ins: &[
                    (6, "8200000", "Q1 contracts start ramping"),
                    (13, "8400000", "Slower travel volume from Hong Kong"),
                    (20, "8300000", "Lost a large account to a competitor"),
                ],
            },
            SeedKeyResult {
                title: "Achieve 85% contract renewal rate (baseline: 70%)",
                unit: Unit::Percent,
                direction: Direction::Up,
                start: "70",
                target: "85",
                owner: "emily.davis@airline.com",
                check_ins: &[
                    (6, "71", "Renewal playbook shared with account managers"),
                    (13, "72.5", "Early renewals from three key accounts"),
                ],
            },
            SeedKeyResult {
                title: "Reduce average sales cycle from 90 to 60 days",
                unit: Unit::Count,
                direction: Direction::Down,
                start: "90",
                target: "60",
                owner: "james.rodriguez@airline.com",
                check_ins: &[
                    (6, "89", "Standard contract template drafted"),
                    (13, "88", "Legal review still the bottleneck"),
                    (20, "86", "Pre-approved terms for small accounts"),
                ],
            },
        ],
    },
    SeedObjective {
        title: "Increase Loyalty Co-brand Revenue",
        team: "Direct Channel Sales",
        owner: "sarah.chen@airline.com",
        key_results: &[
            SeedKeyResult {
                title: "Grow co-brand credit card sign-ups from 5,000 to 8,000 per month",
                unit: Unit::Count,
                direction: Direction::Up,
                start: "5000",
                target: "8000",
                owner: "mike.johnson@airline.com",
                check_ins: &[
                    (6, "5200", "Bonus-miles offer launched"),
                    (13, "5500", "Inflight sign-up pilot started"),
                    (20, "5900", "Inflight pilot extended to all long-haul"),
                ],
            },
            SeedKeyResult {
                title: "Increase loyalty member redemption rate from 18% to 25%",
                unit: Unit::Percent,
                direction: Direction::Up,
                start: "18",
                target: "25",
                owner: "sarah.chen@airline.com",
                check_ins: &[
                    (6, "18.3", "Award seat availability widened"),
                    (13, "18.4", "Redemption page redesign delayed"),
                    (20, "18.2", "Partner award outage hurt redemptions"),
                ],
            },
            SeedKeyResult {
                title: "Boost partner airline bookings from $3M to $5M",
                unit: Unit::Dollars,
                direction: Direction::Up,
                start: "3000000",
                target: "5000000",
                owner: "mike.johnson@airline.com",
                check_ins: &[
                    (6, "3100000", "Codeshare routes loaded in booking engine"),
                    (13, "3350000", "Joint promotion with partner airline"),
                    (20, "3500000", "Interline fares now bookable on app"),
                ],
            },
        ],
    },
];

/// How many rows the seed inserted, table by table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub teams: usize,
    pub users: usize,
    pub quarters: usize,
    pub objectives: usize,
    pub key_results: usize,
    pub check_ins: usize,
}

impl SeedReport {
    pub fn inserted_nothing(&self) -> bool {
        *self == SeedReport::default()
    }
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.inserted_nothing() {
            return f.write_str("demo data already present; nothing changed");
        }
        write!(
            f,
            "inserted {} teams, {} users, {} quarters, {} objectives, {} key results, {} check-ins",
            self.teams,
            self.users,
            self.quarters,
            self.objectives,
            self.key_results,
            self.check_ins
        )
    }
}

fn decimal(text: &str) -> Result<Decimal, DbErr> {
    text.parse()
        .map_err(|error| DbErr::Custom(format!("seed value {text:?}: {error}")))
}

fn at_nine(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default())
}

/// Applies pending migrations, then loads whatever part of the demo data is
/// missing, in one transaction.
pub async fn run(db: &DatabaseConnection) -> Result<SeedReport, DbErr> {
    Migrator::up(db, None).await?;
    let txn = db.begin().await?;
    let report = load(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

/// Seeds only a database with no quarters at all, so the demo data never
/// mixes with real data. `None` when it left the database alone.
pub async fn run_if_empty(db: &DatabaseConnection) -> Result<Option<SeedReport>, DbErr> {
    Migrator::up(db, None).await?;
    if quarter::Entity::find().one(db).await?.is_some() {
        return Ok(None);
    }
    run(db).await.map(Some)
}

async fn load(db: &impl ConnectionTrait) -> Result<SeedReport, DbErr> {
    let mut report = SeedReport::default();
    let now = chrono::Utc::now().naive_utc();

    let mut team_ids = std::collections::HashMap::new();
    for name in TEAMS {
        let existing = team::Entity::find()
            .filter(team::Column::Name.eq(name))
            .one(db)
            .await?;
        let id = match existing {
            Some(found) => found.id,
            None => {
                report.teams += 1;
                team::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    name: Set(name.to_owned()),
                    organization_id: Set(None),
                    archived: Set(false),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
                .id
            }
        };
        team_ids.insert(name, id);
    }

    let mut user_ids = std::collections::HashMap::new();
    for (name, email, team_name) in PEOPLE {
        let existing = okr_user::Entity::find()
            .filter(okr_user::Column::Email.eq(email))
            .one(db)
            .await?;
        let id = match existing {
            Some(found) => found.id,
            None => {
                report.users += 1;
                okr_user::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    email: Set(email.to_owned()),
                    name: Set(name.to_owned()),
                    team_id: Set(team_ids[team_name]),
                    organization_id: Set(None),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
                .id
            }
        };
        user_ids.insert(email, id);
    }

    let start = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or_else(|| DbErr::Custom("start".into()))?;
    let end = NaiveDate::from_ymd_opt(2025, 3, 31).ok_or_else(|| DbErr::Custom("end".into()))?;
    let existing = quarter::Entity::find()
        .filter(quarter::Column::Label.eq(QUARTER_LABEL))
        .one(db)
        .await?;
    let quarter_id = match existing {
        Some(found) => found.id,
        None => {
            report.quarters += 1;
            quarter::ActiveModel {
                id: Set(Uuid::new_v4()),
                label: Set(QUARTER_LABEL.to_owned()),
                start_at: Set(start),
                end_at: Set(end),
                organization_id: Set(None),
                archived: Set(false),
                notes: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?
            .id
        }
    };

    // Staggered creation times keep the spec's order on screen.
    let mut created = at_nine(start);
    let mut next_created = || {
        created += chrono::Duration::seconds(1);
        created
    };

    for seed_objective in &OBJECTIVES {
        let existing = objective::Entity::find()
            .filter(objective::Column::QuarterId.eq(quarter_id))
            .filter(objective::Column::Title.eq(seed_objective.title))
            .one(db)
            .await?;
        let objective_id = match existing {
            Some(found) => found.id,
            None => {
                report.objectives += 1;
                objective::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    title: Set(seed_objective.title.to_owned()),
                    team_id: Set(team_ids[seed_objective.team]),
                    quarter_id: Set(quarter_id),
                    owner_id: Set(user_ids[seed_objective.owner]),
                    organization_id: Set(None),
                    created_at: Set(next_created()),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
                .id
            }
        };

        for seed_key_result in seed_objective.key_results {
            let start_value = decimal(seed_key_result.start)?;
            let target_value = decimal(seed_key_result.target)?;
            let latest = seed_key_result
                .check_ins
                .last()
                .map(|(_, value, _)| decimal(value))
                .transpose()?
                .unwrap_or(start_value);
            let owner_id = user_ids[seed_key_result.owner];

            let existing = key_result::Entity::find()
                .filter(key_result::Column::ObjectiveId.eq(objective_id))
                .filter(key_result::Column::Title.eq(seed_key_result.title))
                .one(db)
                .await?;
            let key_result_id = match existing {
                Some(found) => found.id,
                None => {
                    report.key_results += 1;
                    key_result::ActiveModel {
                        id: Set(Uuid::new_v4()),
                        title: Set(seed_key_result.title.to_owned()),
                        objective_id: Set(objective_id),
                        owner_id: Set(owner_id),
                        unit: Set(seed_key_result.unit),
                        direction: Set(seed_key_result.direction),
                        start_value: Set(start_value),
                        target_value: Set(target_value),
                        current_value: Set(latest),
                        created_at: Set(next_created()),
                        updated_at: Set(now),
                    }
                    .insert(db)
                    .await?
                    .id
                }
            };

            for (day, value, note) in seed_key_result.check_ins {
                let date = NaiveDate::from_ymd_opt(2025, 1, *day)
                    .ok_or_else(|| DbErr::Custom(format!("seed day {day}")))?;
                let created_at = at_nine(date);
                let already = check_in::Entity::find()
                    .filter(check_in::Column::KrId.eq(key_result_id))
                    .filter(check_in::Column::CreatedAt.eq(created_at))
                    .one(db)
                    .await?;
                if already.is_some() {
                    continue;
                }
                let value = decimal(value)?;
                // The demo owners are sure exactly as far as their pace says.
                let progress = rules::progress(start_value, target_value, value).unwrap_or(0.0);
                let expected = rules::expected_progress(start, end, date);
                report.check_ins += 1;
                check_in::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    kr_id: Set(key_result_id),
                    value: Set(value),
                    confidence: Set(rules::confidence_from_pace(progress, expected)),
                    note: Set(Some((*note).to_owned())),
                    created_by: Set(owner_id),
                    created_at: Set(created_at),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seeded_key_result_moves_from_start_towards_a_different_target() {
        for key_result in OBJECTIVES
            .iter()
            .flat_map(|objective| objective.key_results)
        {
            let start = decimal(key_result.start).unwrap();
            let target = decimal(key_result.target).unwrap();
            assert_ne!(start, target, "{}", key_result.title);
            assert_eq!(
                target > start,
                key_result.direction == Direction::Up,
                "{}",
                key_result.title
            );
            assert!(
                (2..=3).contains(&key_result.check_ins.len()),
                "{}",
                key_result.title
            );
        }
    }
}
