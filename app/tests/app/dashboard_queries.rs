//! The dashboard query against real databases: a fixed, small number of
//! statements whatever the size of the quarter, the sparkline window (the
//! latest 26 check-ins inside the quarter, oldest first), the demo data as the
//! spec describes it, and the SQLite pool settings.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use app::model::{Dashboard, KeyResultView, ObjectiveView};
use app::server::db::{DbConfig, connect};
use app::server::queries::dashboard::{SPARKLINE_POINTS, dashboard};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use domain::{ConfidenceLevel, Direction, Unit};
use entity::{check_in, key_result, objective, okr_user};
use entity::{quarter, team};
use migration::testing::TestDb;
use migration::{Migrator, MigratorTrait};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, Statement,
};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Building blocks for hand-made datasets.
// ---------------------------------------------------------------------------

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
}

fn at(day: NaiveDate, hour: u32, minute: u32, second: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, second).expect("a time of day"))
}

fn created() -> NaiveDateTime {
    at(date(2020, 1, 1), 0, 0, 0)
}

fn team_row(name: &str) -> team::ActiveModel {
    team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(created()),
        updated_at: Set(created()),
    }
}

fn user_row(name: &str, team_id: Uuid) -> okr_user::ActiveModel {
    okr_user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(format!(
            "{}-{}@example.com",
            name.to_lowercase().replace(' ', "."),
            Uuid::new_v4().simple()
        )),
        name: Set(name.to_owned()),
        team_id: Set(team_id),
        organization_id: Set(None),
        active: Set(true),
        created_at: Set(created()),
        updated_at: Set(created()),
    }
}

fn quarter_row(label: &str, start: NaiveDate, end: NaiveDate) -> quarter::ActiveModel {
    quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set(label.to_owned()),
        start_at: Set(start),
        end_at: Set(end),
        organization_id: Set(None),
        archived: Set(false),
        notes: Set(None),
        created_at: Set(created()),
        updated_at: Set(created()),
    }
}

fn objective_row(
    title: &str,
    team_id: Uuid,
    quarter_id: Uuid,
    owner_id: Uuid,
    created_at: NaiveDateTime,
) -> objective::ActiveModel {
    objective::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(title.to_owned()),
        team_id: Set(team_id),
        quarter_id: Set(quarter_id),
        owner_id: Set(owner_id),
        organization_id: Set(None),
        created_at: Set(created_at),
        updated_at: Set(created_at),
    }
}

struct KrSpec {
    title: String,
    objective_id: Uuid,
    owner_id: Uuid,
    start: i64,
    target: i64,
    current: i64,
    created_at: NaiveDateTime,
}

fn key_result_row(spec: &KrSpec) -> key_result::ActiveModel {
    key_result::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(spec.title.clone()),
        objective_id: Set(spec.objective_id),
        owner_id: Set(spec.owner_id),
        unit: Set(Unit::Count),
        direction: Set(if spec.target >= spec.start {
            Direction::Up
        } else {
            Direction::Down
        }),
        start_value: Set(Decimal::from(spec.start)),
        target_value: Set(Decimal::from(spec.target)),
        current_value: Set(Decimal::from(spec.current)),
        created_at: Set(spec.created_at),
        updated_at: Set(spec.created_at),
    }
}

fn check_in_row(
    kr_id: Uuid,
    created_by: Uuid,
    value: i64,
    confidence: ConfidenceLevel,
    created_at: NaiveDateTime,
) -> check_in::ActiveModel {
    check_in::ActiveModel {
        id: Set(Uuid::new_v4()),
        kr_id: Set(kr_id),
        value: Set(Decimal::from(value)),
        confidence: Set(confidence),
        note: Set(None),
        created_by: Set(created_by),
        created_at: Set(created_at),
    }
}

fn confidence_of(n: usize) -> ConfidenceLevel {
    match n % 3 {
        0 => ConfidenceLevel::Red,
        1 => ConfidenceLevel::Amber,
        _ => ConfidenceLevel::Green,
    }
}

/// Inserts rows in chunks, so no statement nears SQLite's bind-parameter limit.
async fn insert_chunked<A>(db: &DatabaseConnection, rows: Vec<A>)
where
    A: ActiveModelTrait + Send,
    <A::Entity as EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(500).collect();
        <A::Entity as EntityTrait>::insert_many(chunk)
            .exec_without_returning(db)
            .await
            .expect("insert a chunk of rows");
    }
}

/// A clone of the pool that counts (and records) every statement it runs.
fn counting(
    db: &DatabaseConnection,
) -> (
    DatabaseConnection,
    Arc<AtomicUsize>,
    Arc<Mutex<Vec<String>>>,
) {
    let mut counted = db.clone();
    let count = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (count_in, log_in) = (count.clone(), log.clone());
    counted.set_metric_callback(move |info| {
        count_in.fetch_add(1, Ordering::SeqCst);
        log_in
            .lock()
            .expect("statement log")
            .push(info.statement.sql.clone());
    });
    (counted, count, log)
}

fn all_key_results(dashboard: &Dashboard) -> Vec<&KeyResultView> {
    dashboard
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| &objective.key_results)
        .collect()
}

fn values(key_result: &KeyResultView) -> Vec<Decimal> {
    key_result
        .check_ins
        .iter()
        .map(|point| point.value)
        .collect()
}

fn times(key_result: &KeyResultView) -> Vec<NaiveDateTime> {
    key_result
        .check_ins
        .iter()
        .map(|point| point.created_at)
        .collect()
}

fn decimals(range: impl IntoIterator<Item = i64>) -> Vec<Decimal> {
    range.into_iter().map(Decimal::from).collect()
}

/// What an objective's rollup must be, computed here from the raw numbers.
fn expected_rollup(objective: &ObjectiveView) -> f64 {
    let progresses: Vec<f64> = objective
        .key_results
        .iter()
        .map(|kr| {
            let start = kr.start_value.to_f64().expect("start");
            let target = kr.target_value.to_f64().expect("target");
            let current = kr.current_value.to_f64().expect("current");
            ((current - start) / (target - start)).clamp(0.0, 1.0)
        })
        .collect();
    progresses.iter().sum::<f64>() / progresses.len() as f64
}

fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    let actual = actual.unwrap_or_else(|| panic!("{what}: no progress"));
    assert!(
        (actual - expected).abs() < 1e-9,
        "{what}: progress {actual}, expected {expected}"
    );
}

// ---------------------------------------------------------------------------
// 1. A big quarter takes one statement.
// ---------------------------------------------------------------------------

const TEAMS: usize = 4;
const OBJECTIVES: usize = 40;
const KRS_PER_OBJECTIVE: usize = 5;
const CHECK_INS_PER_KR: usize = 20;

/// Where a key result of the big dataset ends, relative to start 0 and
/// target 100: beyond the target, below the start, part way, exactly there.
fn big_current(k: usize) -> i64 {
    [150, -50, 40, 100][k % 4]
}

fn big_check_in_time(quarter_start: NaiveDate, k: usize, n: usize) -> NaiveDateTime {
    at(quarter_start, 9, 0, 0) + Duration::days(4 * n as i64) + Duration::minutes((k % 60) as i64)
}

migration::backend_test!(
    dashboard_takes_at_most_two_statements,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let db = &test_db.db;
        let (start, end) = (date(2031, 4, 1), date(2031, 6, 30));

        let shown = quarter_row("2031-Q2", start, end);
        let shown_id = *shown.id.as_ref();
        let other = quarter_row("2031-Q1", date(2031, 1, 1), date(2031, 3, 31));
        let other_id = *other.id.as_ref();
        insert_chunked(db, vec![shown, other]).await;

        let teams: Vec<team::ActiveModel> = (0..TEAMS)
            .map(|t| team_row(&format!("Team {t:02}")))
            .collect();
        let team_ids: Vec<Uuid> = teams.iter().map(|row| *row.id.as_ref()).collect();
        // Inserted in reverse, so the alphabetical order on screen is the query's doing.
        insert_chunked(db, teams.into_iter().rev().collect()).await;
        let users: Vec<okr_user::ActiveModel> = (0..TEAMS)
            .map(|t| user_row(&format!("Owner {t}"), team_ids[t]))
            .collect();
        let user_ids: Vec<Uuid> = users.iter().map(|row| *row.id.as_ref()).collect();
        insert_chunked(db, users).await;

        let base = at(start, 8, 0, 0);
        let objectives: Vec<objective::ActiveModel> = (0..OBJECTIVES)
            .map(|i| {
                objective_row(
                    &format!("Objective {i:02}"),
                    team_ids[i % TEAMS],
                    shown_id,
                    user_ids[i % TEAMS],
                    base + Duration::seconds(i as i64),
                )
            })
            .collect();
        let objective_ids: Vec<Uuid> = objectives.iter().map(|row| *row.id.as_ref()).collect();
        // Reverse insertion again: creation time, not row order, must decide.
        insert_chunked(db, objectives.into_iter().rev().collect()).await;

        let mut key_results = Vec::new();
        for (i, objective_id) in objective_ids.iter().enumerate() {
            for j in 0..KRS_PER_OBJECTIVE {
                let k = i * KRS_PER_OBJECTIVE + j;
                key_results.push(key_result_row(&KrSpec {
                    title: format!("Key result {i:02}-{j}"),
                    objective_id: *objective_id,
                    owner_id: user_ids[(i + 1) % TEAMS],
                    start: 0,
                    target: 100,
                    current: big_current(k),
                    created_at: base + Duration::seconds(1000 + k as i64),
                }));
            }
        }
        let kr_ids: Vec<Uuid> = key_results.iter().map(|row| *row.id.as_ref()).collect();
        assert_eq!(kr_ids.len(), 200);
        insert_chunked(db, key_results.into_iter().rev().collect()).await;

        let mut check_ins = Vec::new();
        for (k, kr_id) in kr_ids.iter().enumerate() {
            // Newest first in the table, so nothing depends on insertion order.
            for n in (0..CHECK_INS_PER_KR).rev() {
                check_ins.push(check_in_row(
                    *kr_id,
                    user_ids[k % TEAMS],
                    (k * 100 + n) as i64,
                    confidence_of(k + n),
                    big_check_in_time(start, k, n),
                ));
            }
        }
        assert_eq!(check_ins.len(), 4000);
        insert_chunked(db, check_ins).await;

        // Another quarter's OKRs, which must not leak into this one.
        let stray_objective =
            objective_row("Stray objective", team_ids[0], other_id, user_ids[0], base);
        let stray_objective_id = *stray_objective.id.as_ref();
        insert_chunked(db, vec![stray_objective]).await;
        let stray_kr = key_result_row(&KrSpec {
            title: "Stray key result".into(),
            objective_id: stray_objective_id,
            owner_id: user_ids[0],
            start: 0,
            target: 10,
            current: 5,
            created_at: base,
        });
        let stray_kr_id = *stray_kr.id.as_ref();
        insert_chunked(db, vec![stray_kr]).await;
        insert_chunked(
            db,
            (0..5)
                .map(|n| {
                    check_in_row(
                        stray_kr_id,
                        user_ids[0],
                        n,
                        ConfidenceLevel::Green,
                        at(date(2031, 2, 1), 9, 0, 0) + Duration::days(n),
                    )
                })
                .collect(),
        )
        .await;

        let (counted, count, log) = counting(db);
        let today = date(2031, 5, 15);
        let started = Instant::now();
        let result = dashboard(&counted, Some("2031-Q2"), today)
            .await
            .expect("the dashboard query")
            .expect("the quarter exists");
        let elapsed = started.elapsed();
        let statements = count.load(Ordering::SeqCst);
        println!(
            "{backend:?}: dashboard of 200 key results / 4000 check-ins took {statements} statements in {elapsed:?}"
        );
        let log = log.lock().expect("statement log").clone();
        assert_eq!(
            statements, 1,
            "{backend:?}: expected one statement (and the counter to see it), got {statements}: {log:#?}"
        );

        assert_eq!(
            result.quarter.as_ref().map(|q| q.label.as_str()),
            Some("2031-Q2")
        );
        let quarter_labels: Vec<&str> = result.quarters.iter().map(|q| q.label.as_str()).collect();
        assert_eq!(quarter_labels, ["2031-Q2", "2031-Q1"], "newest first");

        let team_names: Vec<&str> = result.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(team_names, ["Team 00", "Team 01", "Team 02", "Team 03"]);
        for (t, team) in result.teams.iter().enumerate() {
            assert_eq!(team.id, team_ids[t]);
            let titles: Vec<String> = team.objectives.iter().map(|o| o.title.clone()).collect();
            let expected: Vec<String> = (0..OBJECTIVES)
                .filter(|i| i % TEAMS == t)
                .map(|i| format!("Objective {i:02}"))
                .collect();
            assert_eq!(titles, expected, "objectives of {}", team.name);
        }

        let mut seen = 0;
        for team in &result.teams {
            for objective in &team.objectives {
                let i: usize = objective.title["Objective ".len()..]
                    .parse()
                    .expect("objective number");
                assert_eq!(objective.id, objective_ids[i]);
                assert_eq!(objective.owner, format!("Owner {}", i % TEAMS));
                let kr_titles: Vec<String> = objective
                    .key_results
                    .iter()
                    .map(|kr| kr.title.clone())
                    .collect();
                let expected: Vec<String> = (0..KRS_PER_OBJECTIVE)
                    .map(|j| format!("Key result {i:02}-{j}"))
                    .collect();
                assert_eq!(kr_titles, expected, "key results of {}", objective.title);
                assert_close(
                    objective.progress(),
                    expected_rollup(objective),
                    &objective.title,
                );

                for (j, kr) in objective.key_results.iter().enumerate() {
                    let k = i * KRS_PER_OBJECTIVE + j;
                    seen += 1;
                    assert_eq!(kr.id, kr_ids[k]);
                    assert_eq!(kr.owner, format!("Owner {}", (i + 1) % TEAMS));
                    assert_eq!(kr.current_value, Decimal::from(big_current(k)));
                    assert_eq!(kr.check_ins.len(), CHECK_INS_PER_KR, "{}", kr.title);
                    assert_eq!(
                        times(kr),
                        (0..CHECK_INS_PER_KR)
                            .map(|n| big_check_in_time(start, k, n))
                            .collect::<Vec<_>>(),
                        "{}: check-ins oldest first",
                        kr.title
                    );
                    assert_eq!(
                        values(kr),
                        decimals((0..CHECK_INS_PER_KR).map(|n| (k * 100 + n) as i64)),
                        "{}",
                        kr.title
                    );
                    assert_eq!(
                        kr.confidence(),
                        Some(confidence_of(k + CHECK_INS_PER_KR - 1)),
                        "{}: the latest check-in's confidence",
                        kr.title
                    );
                }
            }
        }
        assert_eq!(seen, 200);
        assert!(
            all_key_results(&result)
                .iter()
                .all(|kr| kr.title != "Stray key result"),
            "another quarter's key result leaked in"
        );

        drop(counted);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// 1b. The sparkline window: the latest 26 inside the quarter, oldest first.
// ---------------------------------------------------------------------------

migration::backend_test!(
    sparklines_keep_the_latest_26_inside_the_quarter,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let db = &test_db.db;
        let (start, end) = (date(2032, 7, 1), date(2032, 9, 30));

        let shown = quarter_row("2032-Q3", start, end);
        let quarter_id = *shown.id.as_ref();
        insert_chunked(db, vec![shown]).await;
        let team = team_row("Window team");
        let team_id = *team.id.as_ref();
        insert_chunked(db, vec![team]).await;
        let user = user_row("Window owner", team_id);
        let user_id = *user.id.as_ref();
        insert_chunked(db, vec![user]).await;
        let objective = objective_row(
            "Window objective",
            team_id,
            quarter_id,
            user_id,
            at(start, 8, 0, 0),
        );
        let objective_id = *objective.id.as_ref();
        insert_chunked(db, vec![objective]).await;

        let spec = |title: &str, offset: i64| KrSpec {
            title: title.to_owned(),
            objective_id,
            owner_id: user_id,
            start: 0,
            target: 100,
            current: 10,
            created_at: at(start, 8, 0, 0) + Duration::seconds(offset),
        };
        let busy = key_result_row(&spec("Busy", 1));
        let edges = key_result_row(&spec("Edges", 2));
        let quiet = key_result_row(&spec("Quiet", 3));
        let (busy_id, edges_id) = (*busy.id.as_ref(), *edges.id.as_ref());
        insert_chunked(db, vec![busy, edges, quiet]).await;

        let busy_time = |n: i64| at(start, 10, 0, 0) + Duration::days(3 * n);
        let mut rows: Vec<check_in::ActiveModel> = (0..30)
            .rev()
            .map(|n| check_in_row(busy_id, user_id, n, confidence_of(n as usize), busy_time(n)))
            .collect();
        // Just outside the quarter on both sides: the newest of these, if let in,
        // would push an in-quarter point out of the latest 26.
        rows.push(check_in_row(
            busy_id,
            user_id,
            998,
            ConfidenceLevel::Green,
            at(start, 0, 0, 0) - Duration::seconds(1),
        ));
        rows.push(check_in_row(
            busy_id,
            user_id,
            999,
            ConfidenceLevel::Green,
            at(end + Duration::days(1), 0, 0, 0),
        ));
        // The first and the last second of the quarter count; a day either side does not.
        rows.push(check_in_row(
            edges_id,
            user_id,
            997,
            ConfidenceLevel::Green,
            at(start - Duration::days(1), 12, 0, 0),
        ));
        rows.push(check_in_row(
            edges_id,
            user_id,
            1,
            ConfidenceLevel::Red,
            at(start, 0, 0, 0),
        ));
        rows.push(check_in_row(
            edges_id,
            user_id,
            2,
            ConfidenceLevel::Amber,
            at(date(2032, 8, 15), 12, 0, 0),
        ));
        rows.push(check_in_row(
            edges_id,
            user_id,
            3,
            ConfidenceLevel::Amber,
            at(end, 23, 59, 59),
        ));
        rows.push(check_in_row(
            edges_id,
            user_id,
            996,
            ConfidenceLevel::Green,
            at(end + Duration::days(1), 0, 0, 0),
        ));
        rows.push(check_in_row(
            edges_id,
            user_id,
            995,
            ConfidenceLevel::Green,
            at(date(2033, 2, 1), 9, 0, 0),
        ));
        insert_chunked(db, rows).await;

        let (counted, count, _) = counting(db);
        let result = dashboard(&counted, Some("2032-Q3"), date(2032, 8, 1))
            .await
            .expect("the dashboard query")
            .expect("the quarter exists");
        assert!((1..=4).contains(&count.load(Ordering::SeqCst)));
        let by_title: HashMap<&str, &KeyResultView> = all_key_results(&result)
            .into_iter()
            .map(|kr| (kr.title.as_str(), kr))
            .collect();
        assert_eq!(by_title.len(), 3);

        let busy = by_title["Busy"];
        assert_eq!(SPARKLINE_POINTS, 26);
        assert_eq!(busy.check_ins.len(), 26, "only the latest 26 of 30");
        assert_eq!(values(busy), decimals(4..30), "the latest 26, oldest first");
        assert_eq!(times(busy), (4..30).map(busy_time).collect::<Vec<_>>());
        assert_eq!(busy.confidence(), Some(confidence_of(29)));

        let edges = by_title["Edges"];
        assert_eq!(
            values(edges),
            decimals([1, 2, 3]),
            "only check-ins inside the quarter"
        );
        assert_eq!(times(edges)[0], at(start, 0, 0, 0));
        assert_eq!(times(edges)[2], at(end, 23, 59, 59));
        assert_eq!(edges.confidence(), Some(ConfidenceLevel::Amber));

        let quiet = by_title["Quiet"];
        assert!(quiet.check_ins.is_empty());
        assert_eq!(quiet.confidence(), None);

        drop(counted);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// 2. The demo data, as the dashboard shows it.
// ---------------------------------------------------------------------------

/// (objective, its team, its key results in order, rollup, worst latest confidence)
#[allow(clippy::type_complexity)]
const SEEDED: [(&str, &str, &[&str], f64, ConfidenceLevel); 3] = [
    (
        "Expand Corporate Sales in APAC",
        "Corporate Sales",
        &[
            "Sign 25 new corporate accounts (baseline: 0)",
            "Increase APAC corporate revenue from $8M to $15M",
            "Achieve 85% contract renewal rate (baseline: 70%)",
            "Reduce average sales cycle from 90 to 60 days",
        ],
        // (6/25 + 0.3/7 + 2.5/15 + 4/30) / 4
        (6.0 / 25.0 + 0.3 / 7.0 + 2.5 / 15.0 + 4.0 / 30.0) / 4.0,
        ConfidenceLevel::Red,
    ),
    (
        "Grow Direct Channel Revenue",
        "Direct Channel Sales",
        &[
            "Increase direct booking conversion rate from 2.8% to 3.5%",
            "Grow mobile app bookings from $12M to $18M",
            "Reduce third-party commission costs from 15% to 12%",
        ],
        (0.21 / 0.7 + 1.4 / 6.0 + 0.2 / 3.0) / 3.0,
        ConfidenceLevel::Amber,
    ),
    (
        "Increase Loyalty Co-brand Revenue",
        "Direct Channel Sales",
        &[
            "Grow co-brand credit card sign-ups from 5,000 to 8,000 per month",
            "Increase loyalty member redemption rate from 18% to 25%",
            "Boost partner airline bookings from $3M to $5M",
        ],
        (900.0 / 3000.0 + 0.2 / 7.0 + 0.5 / 2.0) / 3.0,
        ConfidenceLevel::Red,
    ),
];

migration::backend_test!(dashboard_shows_the_demo_data, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let in_quarter = date(2025, 2, 14);

    let shown = dashboard(db, Some("2025-Q1"), in_quarter)
        .await
        .expect("the dashboard query")
        .expect("2025-Q1 exists");
    assert_eq!(
        shown.quarter.as_ref().map(|q| q.label.as_str()),
        Some("2025-Q1")
    );

    let team_names: Vec<&str> = shown.teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        team_names,
        ["Corporate Sales", "Direct Channel Sales"],
        "alphabetical"
    );

    let objectives: Vec<(&str, &ObjectiveView)> = shown
        .teams
        .iter()
        .flat_map(|team| team.objectives.iter().map(move |o| (team.name.as_str(), o)))
        .collect();
    assert_eq!(objectives.len(), 3);
    assert_eq!(all_key_results(&shown).len(), 10);

    for ((team_name, objective), (title, team, krs, rollup, confidence)) in
        objectives.iter().zip(SEEDED.iter())
    {
        assert_eq!(objective.title, *title);
        assert_eq!(team_name, team);
        let kr_titles: Vec<&str> = objective
            .key_results
            .iter()
            .map(|kr| kr.title.as_str())
            .collect();
        assert_eq!(kr_titles, *krs, "key results of {title}");

        for kr in &objective.key_results {
            assert!(
                kr.check_ins.len() >= 2,
                "{}: {} check-ins",
                kr.title,
                kr.check_ins.len()
            );
            assert!(
                times(kr).windows(2).all(|pair| pair[0] < pair[1]),
                "{}: check-ins oldest first: {:?}",
                kr.title,
                times(kr)
            );
            assert_eq!(
                kr.latest().map(|point| point.value),
                Some(kr.current_value),
                "{}: the current value is the latest check-in",
                kr.title
            );
        }

        // The rollup is the mean of clamped key result progress…
        assert_close(objective.progress(), expected_rollup(objective), title);
        assert_close(objective.progress(), *rollup, title);
        // …and the confidence the worst of the latest ones.
        let worst = objective
            .key_results
            .iter()
            .filter_map(|kr| kr.check_ins.last().map(|point| point.confidence))
            .min();
        assert_eq!(objective.confidence(), worst, "{title}");
        assert_eq!(objective.confidence(), Some(*confidence), "{title}");
    }

    assert_eq!(
        dashboard(db, Some("1999-Q4"), in_quarter)
            .await
            .expect("the dashboard query"),
        None,
        "an unknown quarter is not found"
    );

    for today in [
        in_quarter,
        date(2030, 1, 1),
        chrono::Utc::now().date_naive(),
    ] {
        let picked = dashboard(db, None, today)
            .await
            .expect("the dashboard query")
            .expect("a dashboard without a label");
        assert_eq!(
            picked.quarter.as_ref().map(|q| q.label.as_str()),
            Some("2025-Q1"),
            "picked on {today}"
        );
        assert_eq!(picked.teams, shown.teams);
    }

    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    dashboard_of_an_empty_database_has_no_quarter,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let empty = dashboard(&test_db.db, None, date(2025, 2, 14))
            .await
            .expect("the dashboard query")
            .expect("a dashboard without a label");
        assert!(empty.quarters.is_empty());
        assert_eq!(empty.quarter, None);
        assert!(empty.teams.is_empty());
        assert_eq!(
            dashboard(&test_db.db, Some("2025-Q1"), date(2025, 2, 14))
                .await
                .expect("the dashboard query"),
            None
        );
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// 3. The SQLite pool's settings.
// ---------------------------------------------------------------------------

async fn pragma(db: &DatabaseConnection, sql: &str) -> sea_orm::QueryResult {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .unwrap_or_else(|| panic!("{sql}: no row"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_pool_enforces_foreign_keys_in_wal_mode_with_a_busy_timeout() {
    let path = std::env::temp_dir().join(format!("runway_pool_{}.db", Uuid::new_v4().simple()));
    let config = DbConfig::for_url(format!("sqlite://{}?mode=rwc", path.display()))
        .expect("the pool configuration");
    assert!(config.is_sqlite());
    let db = connect(&config).await.expect("open the pool");

    for _ in 0..3 {
        // More than one round, so more than one pooled connection is likely asked.
        let foreign_keys: i64 = pragma(&db, "PRAGMA foreign_keys")
            .await
            .try_get_by_index(0)
            .expect("an integer");
        assert_eq!(foreign_keys, 1, "foreign keys are enforced");
        let journal: String = pragma(&db, "PRAGMA journal_mode")
            .await
            .try_get_by_index(0)
            .expect("a string");
        assert_eq!(journal.to_lowercase(), "wal");
        let busy: i64 = pragma(&db, "PRAGMA busy_timeout")
            .await
            .try_get_by_index(0)
            .expect("an integer");
        assert_eq!(busy as u128, config.sqlite_busy_timeout.as_millis());
        if std::env::var("DB_SQLITE_BUSY_TIMEOUT_MS").is_err() {
            assert_eq!(busy, 5000, "the default busy timeout");
        }
    }

    // And it really refuses a dangling reference.
    Migrator::up(&db, None).await.expect("apply migrations");
    let orphan = check_in_row(
        Uuid::new_v4(),
        Uuid::new_v4(),
        1,
        ConfidenceLevel::Green,
        at(date(2025, 1, 6), 9, 0, 0),
    )
    .insert(&db)
    .await;
    let error = orphan.expect_err("a check-in of no key result must be refused");
    assert!(
        error.to_string().to_uppercase().contains("FOREIGN KEY"),
        "unexpected error: {error}"
    );

    db.close().await.expect("close the pool");
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

// ---------------------------------------------------------------------------
// Team names are not unique (teams of different organizations may share one):
// objectives must be grouped by team id, not only ordered by team name, or two
// same-named teams interleave and one team is split into several sections.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_with_the_same_name_stay_one_section_each() {
    let Some(test_db) = TestDb::migrated(migration::testing::Backend::Sqlite).await else {
        return;
    };
    let db = &test_db.db;
    let (start, end) = (date(2025, 1, 1), date(2025, 3, 31));
    let shown = quarter_row("2025-Q1", start, end);
    let quarter_id = *shown.id.as_ref();
    insert_chunked(db, vec![shown]).await;
    let (first, second) = (team_row("Sales"), team_row("Sales"));
    let team_ids = [*first.id.as_ref(), *second.id.as_ref()];
    insert_chunked(db, vec![first, second]).await;
    let user = user_row("Owner", team_ids[0]);
    let user_id = *user.id.as_ref();
    insert_chunked(db, vec![user]).await;
    // Created alternately: first team, second team, first team again.
    let objectives = [0, 1, 0]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            objective_row(
                &format!("Objective {i}"),
                team_ids[*t],
                quarter_id,
                user_id,
                at(start, 9, 0, i as u32),
            )
        })
        .collect();
    insert_chunked(db, objectives).await;

    let result = dashboard(db, Some("2025-Q1"), start)
        .await
        .expect("the dashboard query")
        .expect("the quarter exists");
    let sections: Vec<(Uuid, Vec<&str>)> = result
        .teams
        .iter()
        .map(|team| {
            (
                team.id,
                team.objectives.iter().map(|o| o.title.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(sections.len(), 2, "one section per team: {sections:?}");
    let first = sections
        .iter()
        .find(|(id, _)| *id == team_ids[0])
        .expect("the first team");
    assert_eq!(first.1, ["Objective 0", "Objective 2"]);

    test_db.close().await.expect("drop the test database");
}
