//! Check-ins at the same time on PostgreSQL.
//!
//! - 100 concurrent `record` calls over five key results, through the app's
//!   own pool of 10: every one is stored, and every key result ends with the
//!   value of its latest check-in (by `created_at`, then `id`), whatever
//!   order the transactions committed in.
//! - Their sparklines, which the database keeps in `key_result_trend` as the
//!   check-ins are written, lost none of them to a concurrent one: each is
//!   its key result's newest 26 check-ins.
//! - The race that lock exists for, made deterministic: another transaction
//!   holds the key result and is about to commit a newer check-in while
//!   `record` stores an older one; the newer value must win.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use app::server::commands::check_ins::record;
use app::server::db::{DbConfig, connect};
use chrono::{NaiveDate, NaiveDateTime};
use domain::ConfidenceLevel;
use domain::commands::NewCheckIn;
use entity::{check_in, key_result, okr_user};
use migration::testing::{Backend, POSTGRES_URL_VAR, TestDb, postgres_admin_url};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

const TASKS: usize = 100;
const KEY_RESULTS: usize = 5;
const PER_KEY_RESULT: usize = TASKS / KEY_RESULTS;

/// When task `i` records its check-in: a distinct millisecond of
/// 2025-02-15 for every task (37 and 100 are coprime), shuffled against the
/// order the tasks start in, so a later commit is often an older check-in.
fn recorded_at(i: usize) -> NaiveDateTime {
    let offset = (i * 37) % TASKS;
    NaiveDate::from_ymd_opt(2025, 2, 15)
        .and_then(|day| day.and_hms_opt(12, 0, 0))
        .expect("a time inside 2025-Q1")
        + chrono::Duration::milliseconds(offset as i64)
}

/// The value task `i` records: distinct across all tasks.
fn value_of(i: usize) -> Decimal {
    Decimal::new(1_000_000 + i as i64 * 101, 2)
}

fn confidence_of(i: usize) -> ConfidenceLevel {
    ConfidenceLevel::ALL[i % ConfidenceLevel::ALL.len()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_check_ins_are_all_stored_and_the_latest_wins() {
    // Skips without PostgreSQL, but panics under CI=true.
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run on PostgreSQL");
        return;
    }
    let test_db = TestDb::seeded(Backend::Postgres)
        .await
        .expect("a seeded PostgreSQL test database");

    let pool = app_pool(&test_db.url).await;
    // The demo roles: Emily is the admin.
    app::server::auth::ensure_demo_sign_ins(&pool)
        .await
        .expect("the demo roles");

    let key_results: Vec<key_result::Model> = key_result::Entity::find()
        .order_by_asc(key_result::Column::CreatedAt)
        .all(&pool)
        .await
        .expect("the seeded key results")
        .into_iter()
        .take(KEY_RESULTS)
        .collect();
    assert_eq!(key_results.len(), KEY_RESULTS, "the seed has enough");
    // Each key result's check-ins come from its owner, who may always check
    // in on it whatever their role, and from the admin, who may check in
    // anywhere: people of different roles writing at once.
    let admin = okr_user::Entity::find()
        .filter(okr_user::Column::Email.eq("emily.davis@airline.com"))
        .one(&pool)
        .await
        .expect("query people")
        .expect("the seeded admin")
        .id;
    let author_of = |i: usize| {
        if i.is_multiple_of(2) {
            key_results[i % KEY_RESULTS].owner_id
        } else {
            admin
        }
    };

    let mut seeded = HashMap::new();
    for key_result in &key_results {
        let count = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(key_result.id))
            .count(&pool)
            .await
            .expect("count check-ins");
        seeded.insert(key_result.id, count);
    }

    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let pool = pool.clone();
            let input = NewCheckIn {
                key_result_id: key_results[i % KEY_RESULTS].id,
                value: value_of(i),
                confidence: confidence_of(i),
                note: Some(format!("concurrent check-in #{i}")),
                author_id: author_of(i),
                date: None,
            };
            tokio::spawn(async move { record(&pool, input, recorded_at(i)).await })
        })
        .collect();
    let mut saved = Vec::with_capacity(TASKS);
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("the task ran to completion") {
            Ok(check_in) => saved.push((i, check_in)),
            Err(error) => panic!("check-in #{i} failed: {error}"),
        }
    }
    let elapsed = started.elapsed();
    println!("{TASKS} concurrent check-ins over {KEY_RESULTS} key results in {elapsed:?}");

    // Each call reported what it stored, and it is there as reported.
    let ids: HashSet<Uuid> = saved.iter().map(|(_, check_in)| check_in.id).collect();
    assert_eq!(ids.len(), TASKS, "every check-in has an id of its own");
    for (i, reported) in &saved {
        assert_eq!(reported.kr_id, key_results[i % KEY_RESULTS].id);
        assert_eq!(reported.value, value_of(*i));
        assert_eq!(reported.created_at, recorded_at(*i));
        let stored = check_in::Entity::find_by_id(reported.id)
            .one(&pool)
            .await
            .expect("query check-ins")
            .unwrap_or_else(|| panic!("check-in #{i} ({}) is not stored", reported.id));
        assert_eq!(&stored, reported, "check-in #{i} is stored as reported");
    }

    for (k, key_result) in key_results.iter().enumerate() {
        let title = &key_result.title;
        let count = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(key_result.id))
            .count(&pool)
            .await
            .expect("count check-ins");
        assert_eq!(
            count,
            seeded[&key_result.id] + PER_KEY_RESULT as u64,
            "check-ins of {title:?}"
        );

        let latest = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(key_result.id))
            .order_by_desc(check_in::Column::CreatedAt)
            .order_by_desc(check_in::Column::Id)
            .one(&pool)
            .await
            .expect("query check-ins")
            .expect("the key result has check-ins");
        let current = key_result::Entity::find_by_id(key_result.id)
            .one(&pool)
            .await
            .expect("query key results")
            .expect("the key result");
        assert_eq!(
            current.current_value, latest.value,
            "current value of {title:?} is its latest check-in's"
        );

        // And that latest check-in is the task with the latest time, not
        // the one that happened to commit last.
        let newest_task = (0..TASKS)
            .filter(|i| i % KEY_RESULTS == k)
            .max_by_key(|i| recorded_at(*i))
            .expect("tasks for every key result");
        assert_eq!(
            current.current_value,
            value_of(newest_task),
            "current value of {title:?} is the value of task #{newest_task}"
        );
    }

    // The sparklines the database kept while the check-ins raced: each is
    // its key result's newest check-ins, none lost to a concurrent one.
    let day = NaiveDate::from_ymd_opt(2025, 2, 16).expect("a day of 2025-Q1");
    let shown = app::server::queries::dashboard::dashboard(&pool, Some("2025-Q1"), day)
        .await
        .expect("the dashboard query")
        .expect("2025-Q1");
    let views: Vec<&app::model::KeyResultView> = shown
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| &objective.key_results)
        .collect();
    for key_result in &key_results {
        let view = views
            .iter()
            .find(|view| view.id == key_result.id)
            .expect("the key result is shown");
        let mut newest = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(key_result.id))
            .order_by_desc(check_in::Column::CreatedAt)
            .order_by_desc(check_in::Column::Id)
            .limit(app::server::queries::dashboard::SPARKLINE_POINTS as u64)
            .all(&pool)
            .await
            .expect("query check-ins");
        newest.reverse();
        let expected: Vec<(Decimal, NaiveDateTime)> = newest
            .iter()
            .map(|row| (row.value, row.created_at))
            .collect();
        let points: Vec<(Decimal, NaiveDateTime)> = view
            .check_ins
            .iter()
            .map(|point| (point.value, point.created_at))
            .collect();
        assert_eq!(
            points, expected,
            "the sparkline of {:?} holds every committed check-in",
            key_result.title
        );
    }

    pool.close().await.ok();
    test_db.close().await.expect("drop the test database");
}

/// The app's pool of 10 on `url`. A task waiting for its key result's row
/// lock holds a connection, so the last of 100 tasks may queue for the pool
/// well past the production 1.5 s on a busy machine; these tests are about
/// correctness, not speed.
async fn app_pool(url: &str) -> DatabaseConnection {
    let mut config = DbConfig::for_url(url.to_owned()).expect("the pool configuration");
    config.max_connections = 10;
    config.acquire_timeout = Duration::from_secs(60);
    connect(&config).await.expect("the app's pool")
}

/// How many sessions of this database wait for a lock right now.
async fn sessions_waiting_for_a_lock(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*) AS waiting FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        ))
        .await
        .expect("query pg_stat_activity")
        .expect("a row");
    row.try_get("", "waiting").expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_check_in_committed_meanwhile_stays_the_current_value() {
    // Skips without PostgreSQL, but panics under CI=true.
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run on PostgreSQL");
        return;
    }
    let test_db = TestDb::seeded(Backend::Postgres)
        .await
        .expect("a seeded PostgreSQL test database");
    let pool = app_pool(&test_db.url).await;
    let key_result = key_result::Entity::find()
        .order_by_asc(key_result::Column::CreatedAt)
        .one(&pool)
        .await
        .expect("query key results")
        .expect("a seeded key result");
    // Its owner, who may always check in on it.
    let author = key_result.owner_id;
    let day = NaiveDate::from_ymd_opt(2025, 2, 15).expect("a date");
    let older = day.and_hms_opt(10, 0, 0).expect("a time");
    let newer = day.and_hms_opt(11, 0, 0).expect("a time");

    // Another writer: it holds the key result's row and has stored a newer
    // check-in, not yet committed.
    let other = pool.begin().await.expect("a transaction");
    key_result::Entity::update_many()
        .col_expr(key_result::Column::UpdatedAt, Expr::value(newer))
        .filter(key_result::Column::Id.eq(key_result.id))
        .exec(&other)
        .await
        .expect("lock the key result");
    let newest = check_in::ActiveModel {
        id: Set(Uuid::new_v4()),
        kr_id: Set(key_result.id),
        value: Set(Decimal::new(77_777, 2)),
        confidence: Set(ConfidenceLevel::Green),
        note: Set(Some("the newer one".into())),
        created_by: Set(author),
        created_at: Set(newer),
    }
    .insert(&other)
    .await
    .expect("a newer check-in");

    // Meanwhile an older check-in is recorded.
    let recording = {
        let pool = pool.clone();
        let input = NewCheckIn {
            key_result_id: key_result.id,
            value: Decimal::new(11_111, 2),
            confidence: ConfidenceLevel::Red,
            note: Some("the older one".into()),
            author_id: author,
            date: None,
        };
        tokio::spawn(async move { record(&pool, input, older).await })
    };

    // Commit the other writer only once `record` waits for its lock (or has
    // finished without waiting, which the checks below judge).
    let deadline = Instant::now() + Duration::from_secs(60);
    while sessions_waiting_for_a_lock(&pool).await == 0 && !recording.is_finished() {
        assert!(
            Instant::now() < deadline,
            "record neither finished nor waited for the key result's lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    other.commit().await.expect("commit the newer check-in");

    let saved = recording
        .await
        .expect("the task ran to completion")
        .unwrap_or_else(|error| panic!("record failed: {error}"));
    assert_eq!(saved.created_at, older);
    assert!(
        check_in::Entity::find_by_id(saved.id)
            .one(&pool)
            .await
            .expect("query check-ins")
            .is_some(),
        "the older check-in is stored"
    );
    let current = key_result::Entity::find_by_id(key_result.id)
        .one(&pool)
        .await
        .expect("query key results")
        .expect("the key result");
    assert_eq!(
        current.current_value, newest.value,
        "the newer check-in, committed while the older one was being recorded, stays current"
    );

    pool.close().await.ok();
    test_db.close().await.expect("drop the test database");
}
