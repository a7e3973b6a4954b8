//! The demo seed against the spec's "Seed Data Specification": counts, values
//! verbatim, check-in dates, and that running it again changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::NaiveDate;
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use migration::seed::{self, SeedReport};
use migration::testing::TestDb;
use rust_decimal::Decimal;
use sea_orm_migration::sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder};
use uuid::Uuid;

const TEAMS: [&str; 2] = ["Direct Channel Sales", "Corporate Sales"];

/// (name, email, team)
const USERS: [(&str, &str, &str); 5] = [
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

/// (title, team, owner)
const OBJECTIVES: [(&str, &str, &str); 3] = [
    (
        "Grow Direct Channel Revenue",
        "Direct Channel Sales",
        "Sarah Chen",
    ),
    (
        "Expand Corporate Sales in APAC",
        "Corporate Sales",
        "Lisa Wang",
    ),
    (
        "Increase Loyalty Co-brand Revenue",
        "Direct Channel Sales",
        "Sarah Chen",
    ),
];

/// (objective, title, unit, direction, start, target, owner)
#[rustfmt::skip]
const KEY_RESULTS: [(&str, &str, &str, &str, &str, &str, &str); 10] = [
    ("Grow Direct Channel Revenue", "Increase direct booking conversion rate from 2.8% to 3.5%", "%", "up", "2.8", "3.5", "Mike Johnson"),
    ("Grow Direct Channel Revenue", "Grow mobile app bookings from $12M to $18M", "$", "up", "12000000", "18000000", "Mike Johnson"),
    ("Grow Direct Channel Revenue", "Reduce third-party commission costs from 15% to 12%", "pp", "down", "15", "12", "Sarah Chen"),
    ("Expand Corporate Sales in APAC", "Sign 25 new corporate accounts (baseline: 0)", "#", "up", "0", "25", "James Rodriguez"),
    ("Expand Corporate Sales in APAC", "Increase APAC corporate revenue from $8M to $15M", "$", "up", "8000000", "15000000", "Lisa Wang"),
    ("Expand Corporate Sales in APAC", "Achieve 85% contract renewal rate (baseline: 70%)", "%", "up", "70", "85", "Emily Davis"),
    ("Expand Corporate Sales in APAC", "Reduce average sales cycle from 90 to 60 days", "#", "down", "90", "60", "James Rodriguez"),
    ("Increase Loyalty Co-brand Revenue", "Grow co-brand credit card sign-ups from 5,000 to 8,000 per month", "#", "up", "5000", "8000", "Mike Johnson"),
    ("Increase Loyalty Co-brand Revenue", "Increase loyalty member redemption rate from 18% to 25%", "%", "up", "18", "25", "Sarah Chen"),
    ("Increase Loyalty Co-brand Revenue", "Boost partner airline bookings from $3M to $5M", "$", "up", "3000000", "5000000", "Mike Johnson"),
];

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|error| panic!("{text:?}: {error}"))
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
}

/// Rows per table: team, okr_user, quarter, objective, key_result, check_in.
async fn counts(db: &DatabaseConnection) -> [u64; 6] {
    [
        team::Entity::find().count(db).await.expect("count teams"),
        okr_user::Entity::find()
            .count(db)
            .await
            .expect("count users"),
        quarter::Entity::find()
            .count(db)
            .await
            .expect("count quarters"),
        objective::Entity::find()
            .count(db)
            .await
            .expect("count objectives"),
        key_result::Entity::find()
            .count(db)
            .await
            .expect("count key results"),
        check_in::Entity::find()
            .count(db)
            .await
            .expect("count check-ins"),
    ]
}

/// Every key result's check-ins, oldest first.
async fn check_ins_by_key_result(db: &DatabaseConnection) -> HashMap<Uuid, Vec<check_in::Model>> {
    let mut by_key_result: HashMap<Uuid, Vec<check_in::Model>> = HashMap::new();
    let all = check_in::Entity::find()
        .order_by_asc(check_in::Column::CreatedAt)
        .all(db)
        .await
        .expect("load check-ins");
    for check_in in all {
        by_key_result
            .entry(check_in.kr_id)
            .or_default()
            .push(check_in);
    }
    by_key_result
}

migration::backend_test!(seed_inserts_the_spec_counts, |backend| async move {
    let Some(test_db) = TestDb::empty(backend).await else {
        return;
    };
    let report = seed::run(&test_db.db)
        .await
        .expect("seed an empty database");
    let [teams, users, quarters, objectives, key_results, check_ins] = counts(&test_db.db).await;
    assert_eq!(
        (teams, users, quarters, objectives, key_results),
        (2, 5, 1, 3, 10)
    );
    assert!(
        (20..=30).contains(&check_ins),
        "2-3 check-ins for each of 10 key results, got {check_ins}"
    );
    assert_eq!(
        report,
        SeedReport {
            teams: 2,
            users: 5,
            quarters: 1,
            objectives: 3,
            key_results: 10,
            check_ins: check_ins as usize,
        },
        "the report counts what was inserted"
    );
    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(seed_stores_the_spec_values_verbatim, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;

    let teams = team::Entity::find().all(db).await.expect("load teams");
    let team_names: HashMap<Uuid, String> = teams
        .iter()
        .map(|team| (team.id, team.name.clone()))
        .collect();
    let mut names: Vec<&str> = team_names.values().map(String::as_str).collect();
    names.sort_unstable();
    let mut expected_names = TEAMS.to_vec();
    expected_names.sort_unstable();
    assert_eq!(names, expected_names);

    let users = okr_user::Entity::find().all(db).await.expect("load users");
    let user_names: HashMap<Uuid, String> = users
        .iter()
        .map(|user| (user.id, user.name.clone()))
        .collect();
    let actual_users: BTreeMap<&str, (&str, &str)> = users
        .iter()
        .map(|user| {
            (
                user.email.as_str(),
                (user.name.as_str(), team_names[&user.team_id].as_str()),
            )
        })
        .collect();
    let expected_users: BTreeMap<&str, (&str, &str)> = USERS
        .iter()
        .map(|&(name, email, team)| (email, (name, team)))
        .collect();
    assert_eq!(actual_users, expected_users);

    let quarters = quarter::Entity::find()
        .all(db)
        .await
        .expect("load quarters");
    let [quarter] = quarters.as_slice() else {
        panic!("one quarter expected, found {quarters:?}")
    };
    assert_eq!(quarter.label, "2025-Q1");
    assert_eq!(quarter.start_at, date(2025, 1, 1));
    assert_eq!(quarter.end_at, date(2025, 3, 31));

    let objectives = objective::Entity::find()
        .all(db)
        .await
        .expect("load objectives");
    let objective_titles: HashMap<Uuid, String> = objectives
        .iter()
        .map(|objective| (objective.id, objective.title.clone()))
        .collect();
    let actual_objectives: BTreeMap<&str, (&str, &str)> = objectives
        .iter()
        .map(|objective| {
            assert_eq!(
                objective.quarter_id, quarter.id,
                "{} is in 2025-Q1",
                objective.title
            );
            let team = team_names[&objective.team_id].as_str();
            (
                objective.title.as_str(),
                (team, user_names[&objective.owner_id].as_str()),
            )
        })
        .collect();
    let expected_objectives: BTreeMap<&str, (&str, &str)> = OBJECTIVES
        .iter()
        .map(|&(title, team, owner)| (title, (team, owner)))
        .collect();
    assert_eq!(actual_objectives, expected_objectives);

    type KeyResultValues<'a> = (&'a str, &'a str, &'a str, Decimal, Decimal, &'a str);
    let key_results = key_result::Entity::find()
        .all(db)
        .await
        .expect("load key results");
    let actual_key_results: BTreeMap<&str, KeyResultValues> = key_results
        .iter()
        .map(|kr| {
            let values = (
                objective_titles[&kr.objective_id].as_str(),
                kr.unit.as_str(),
                kr.direction.as_str(),
                kr.start_value,
                kr.target_value,
                user_names[&kr.owner_id].as_str(),
            );
            (kr.title.as_str(), values)
        })
        .collect();
    let expected_key_results: BTreeMap<&str, KeyResultValues> = KEY_RESULTS
        .iter()
        .map(
            |&(objective, title, unit, direction, start, target, owner)| {
                (
                    title,
                    (
                        objective,
                        unit,
                        direction,
                        decimal(start),
                        decimal(target),
                        owner,
                    ),
                )
            },
        )
        .collect();
    assert_eq!(key_results.len(), KEY_RESULTS.len());
    assert_eq!(actual_key_results, expected_key_results);

    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    seed_check_ins_are_two_or_three_per_key_result_in_january,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let key_results = key_result::Entity::find()
            .all(&test_db.db)
            .await
            .expect("load key results");
        let by_key_result = check_ins_by_key_result(&test_db.db).await;
        assert_eq!(
            by_key_result.len(),
            key_results.len(),
            "every check-in belongs to a seeded key result"
        );
        for kr in &key_results {
            let check_ins = by_key_result
                .get(&kr.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            assert!(
                (2..=3).contains(&check_ins.len()),
                "{}: {} check-ins",
                kr.title,
                check_ins.len()
            );
            for check_in in check_ins {
                let day = check_in.created_at.date();
                assert!(
                    (date(2025, 1, 1)..=date(2025, 1, 31)).contains(&day),
                    "{}: check-in on {day}",
                    kr.title
                );
            }
        }
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    seed_check_ins_are_exactly_a_week_apart,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let key_results = key_result::Entity::find()
            .all(&test_db.db)
            .await
            .expect("load key results");
        let by_key_result = check_ins_by_key_result(&test_db.db).await;
        let mut problems = Vec::new();
        for kr in &key_results {
            let days: Vec<NaiveDate> = by_key_result[&kr.id]
                .iter()
                .map(|check_in| check_in.created_at.date())
                .collect();
            if days
                .windows(2)
                .any(|pair| (pair[1] - pair[0]).num_days() != 7)
            {
                problems.push(format!("{}: {days:?}", kr.title));
            }
        }
        assert!(
            problems.is_empty(),
            "check-ins not 7 days apart:\n{}",
            problems.join("\n")
        );
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    seed_current_value_is_the_latest_check_in,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let key_results = key_result::Entity::find()
            .all(&test_db.db)
            .await
            .expect("load key results");
        let by_key_result = check_ins_by_key_result(&test_db.db).await;
        for kr in &key_results {
            let latest = by_key_result[&kr.id].last().expect("at least one check-in");
            assert_eq!(kr.current_value, latest.value, "{}", kr.title);
            assert_ne!(
                kr.current_value, kr.start_value,
                "{}: the check-ins moved it",
                kr.title
            );
        }
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(seed_leaves_organization_id_null, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    for team in team::Entity::find().all(db).await.expect("load teams") {
        assert_eq!(team.organization_id, None, "team {}", team.name);
    }
    for user in okr_user::Entity::find().all(db).await.expect("load users") {
        assert_eq!(user.organization_id, None, "okr_user {}", user.email);
    }
    for quarter in quarter::Entity::find()
        .all(db)
        .await
        .expect("load quarters")
    {
        assert_eq!(quarter.organization_id, None, "quarter {}", quarter.label);
    }
    for objective in objective::Entity::find()
        .all(db)
        .await
        .expect("load objectives")
    {
        assert_eq!(
            objective.organization_id, None,
            "objective {}",
            objective.title
        );
    }
    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    seed_runs_twice_without_inserting_again,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let before = counts(&test_db.db).await;
        assert_eq!(
            before[..5],
            [2, 5, 1, 3, 10],
            "the first run loaded the demo data"
        );
        let report = seed::run(&test_db.db).await.expect("seed again");
        assert!(report.inserted_nothing(), "second run inserted {report:?}");
        assert_eq!(
            counts(&test_db.db).await,
            before,
            "row counts after the second run"
        );
        test_db.close().await.expect("drop the test database");
    }
);
