//! What one signed-in dashboard request costs the database, counted by
//! SeaORM's own metric callback on the pool the real server uses: a fixed
//! number of statements (at most four for the dashboard and one for the
//! session) whatever the size of the quarter; the session renewal is one
//! statement more, only on the request that renews. And the sparkline of a
//! key result with a long history is exactly its newest 26 check-ins inside
//! the quarter, in order, ties on the time broken as before.

mod common;

use std::sync::{Arc, Mutex};

use app::server::okrs::{SPARKLINE_POINTS, dashboard, sparkline_statement};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use common::{MIKE, TestServer, person};
use entity::{
    ConfidenceLevel, Direction, Unit, check_in, key_result, objective, okr_user, quarter, session,
};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use sea_orm::prelude::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use uuid::Uuid;

/// Every statement the pool runs, in order.
#[derive(Clone, Default)]
struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    /// A clone of `db` whose statements are recorded here.
    fn attach(&self, db: &DatabaseConnection) -> DatabaseConnection {
        let mut counted = db.clone();
        let log = self.0.clone();
        counted.set_metric_callback(move |info| {
            log.lock()
                .expect("the statement log")
                .push(info.statement.sql.clone());
        });
        counted
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("the statement log"))
    }
}

/// The statements that read or write the session table.
fn session_statements(statements: &[String]) -> Vec<&String> {
    statements
        .iter()
        .filter(|sql| sql.contains(r#""session""#))
        .collect()
}

/// `GET /` with the session cookie: the page, and the statements it ran.
async fn dashboard_page(
    server: &TestServer,
    log: &StatementLog,
    cookie: &str,
) -> (String, Vec<String>) {
    log.take();
    let response = server.get_as("/", cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("the page");
    (html, log.take())
}

fn at(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).expect("a time of day"))
}

/// Inserts rows 500 to a statement, below SQLite's bind-parameter limit.
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

fn check_in_row(
    key_result_id: Uuid,
    author: Uuid,
    value: i64,
    created_at: NaiveDateTime,
) -> check_in::ActiveModel {
    check_in::ActiveModel {
        id: Set(Uuid::new_v4()),
        kr_id: Set(key_result_id),
        value: Set(Decimal::from(value)),
        confidence: Set(match value % 3 {
            0 => ConfidenceLevel::Red,
            1 => ConfidenceLevel::Amber,
            _ => ConfidenceLevel::Green,
        }),
        note: Set(None),
        created_by: Set(author),
        created_at: Set(created_at),
    }
}

/// The seeded quarter 2025-Q1.
async fn seeded_quarter(db: &DatabaseConnection) -> quarter::Model {
    quarter::Entity::find()
        .filter(quarter::Column::Label.eq("2025-Q1"))
        .one(db)
        .await
        .expect("query quarters")
        .expect("the seeded quarter")
}

/// A new objective of `owner`'s team in `quarter` with `key_results` key
/// results, each with `check_ins` check-ins spread over the quarter (values
/// 0, 1, …, so each is told apart). Returns the key results' ids.
async fn add_objective(
    db: &DatabaseConnection,
    quarter: &quarter::Model,
    owner: &okr_user::Model,
    key_results: usize,
    check_ins: usize,
) -> Vec<Uuid> {
    let now = at(quarter.start_at, 8, 0);
    let objective_id = Uuid::new_v4();
    objective::ActiveModel {
        id: Set(objective_id),
        title: Set(format!("Grow everything {}", objective_id.simple())),
        team_id: Set(owner.team_id),
        quarter_id: Set(quarter.id),
        owner_id: Set(owner.id),
        organization_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("an objective");
    let rows: Vec<key_result::ActiveModel> = (0..key_results)
        .map(|k| key_result::ActiveModel {
            id: Set(Uuid::new_v4()),
            title: Set(format!("Key result {k:04}")),
            objective_id: Set(objective_id),
            owner_id: Set(owner.id),
            unit: Set(Unit::Count),
            direction: Set(Direction::Up),
            start_value: Set(Decimal::from(0)),
            target_value: Set(Decimal::from(100)),
            current_value: Set(Decimal::from(k as i64 % 120)),
            created_at: Set(now + Duration::seconds(k as i64)),
            updated_at: Set(now),
        })
        .collect();
    let ids: Vec<Uuid> = rows.iter().map(|row| *row.id.as_ref()).collect();
    insert_chunked(db, rows).await;
    let quarter_minutes = (quarter.end_at - quarter.start_at).num_minutes();
    let mut history = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        for n in 0..check_ins {
            // Spread over the quarter, in no particular order of insertion.
            let offset = (n as i64 * 7919 + k as i64 * 104_729) % quarter_minutes;
            history.push(check_in_row(
                *id,
                owner.id,
                n as i64,
                at(quarter.start_at, 0, 0) + Duration::minutes(offset),
            ));
        }
    }
    insert_chunked(db, history).await;
    ids
}

// ---------------------------------------------------------------------------
// The statements of one dashboard request.
// ---------------------------------------------------------------------------

/// Quarters, objectives, key results, sparklines.
const DASHBOARD_STATEMENTS: usize = 4;

migration::backend_test!(
    a_dashboard_request_runs_the_same_few_statements_whatever_the_quarters_size,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let log = StatementLog::default();
        let server = TestServer::with_demo_sign_ins(log.attach(&test_db.db)).await;
        let cookie = server.sign_in_demo(MIKE).await;

        // The demo: ten key results with two or three check-ins each.
        let (html, small) = dashboard_page(&server, &log, &cookie).await;
        assert_eq!(html.matches(r#"class="key-result""#).count(), 10);

        // 300 key results more, with 40 check-ins each.
        let db = &test_db.db;
        let quarter = seeded_quarter(db).await;
        add_objective(db, &quarter, &person(db, MIKE).await, 300, 40).await;
        let (html, large) = dashboard_page(&server, &log, &cookie).await;
        assert_eq!(html.matches(r#"class="key-result""#).count(), 310);

        let sizes = [("10 key results", &small), ("310 key results", &large)];
        for (size, statements) in sizes {
            println!(
                "{backend:?}: dashboard of {size}: {} statements:\n  {}",
                statements.len(),
                statements.join("\n  ")
            );
        }
        for (size, statements) in sizes {
            assert_eq!(
                session_statements(statements).len(),
                1,
                "{backend:?}, {size}: one statement finds the session and its person: {statements:#?}"
            );
            assert!(
                statements.len() <= DASHBOARD_STATEMENTS + 1,
                "{backend:?}, {size}: at most {DASHBOARD_STATEMENTS} statements and the session's, got {}: {statements:#?}",
                statements.len()
            );
        }
        assert_eq!(
            small.len(),
            large.len(),
            "{backend:?}: as many statements for 310 key results as for 10"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    renewing_a_session_is_one_statement_more_only_on_the_request_that_renews,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let log = StatementLog::default();
        let server = TestServer::with_demo_sign_ins(log.attach(db)).await;
        let cookie = server.sign_in_demo(MIKE).await;
        let (_, fresh) = dashboard_page(&server, &log, &cookie).await;

        // Last renewed two days ago, as if the browser had been away.
        let two_days_ago = chrono::Utc::now().naive_utc() - Duration::days(2);
        session::Entity::update_many()
            .col_expr(session::Column::UpdatedAt, Expr::value(two_days_ago))
            .exec(db)
            .await
            .expect("age the session");
        log.take();
        let response = server.get_as("/", &cookie).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            common::session_set_cookie(&common::set_cookies(&response)).is_some(),
            "{backend:?}: a renewed session sends its cookie again"
        );
        response.text().await.expect("the page");
        let renewing = log.take();
        let writes: Vec<&String> = renewing
            .iter()
            .filter(|sql| sql.trim_start().to_uppercase().starts_with("UPDATE"))
            .collect();
        assert_eq!(
            writes.len(),
            1,
            "{backend:?}: one write renews the session: {renewing:#?}"
        );
        assert!(writes[0].contains(r#""session""#), "{}", writes[0]);
        assert_eq!(
            renewing.len(),
            fresh.len() + 1,
            "{backend:?}: the renewal is the only statement more: {renewing:#?}"
        );

        // Renewed now: the next request is back to the usual statements.
        let (_, after) = dashboard_page(&server, &log, &cookie).await;
        assert_eq!(after.len(), fresh.len(), "{backend:?}: {after:#?}");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// The sparklines: the newest 26 check-ins of each key result, read from the
// index, whatever the length of its history.
// ---------------------------------------------------------------------------

/// `(kr_id, value, confidence, created_at)` in the order a sparkline query
/// returns them.
type PointRow = (Uuid, Decimal, i32, NaiveDateTime);

async fn point_rows(db: &DatabaseConnection, statement: Statement) -> Vec<PointRow> {
    db.query_all_raw(statement)
        .await
        .expect("a sparkline query")
        .iter()
        .map(|row| {
            (
                row.try_get("", "kr_id").expect("kr_id"),
                row.try_get("", "value").expect("value"),
                row.try_get("", "confidence").expect("confidence"),
                row.try_get("", "created_at").expect("created_at"),
            )
        })
        .collect()
}

/// The window query the dashboard ran before the index: it ranks every
/// check-in of the quarter. Kept as the reference the new one must equal.
fn ranking_every_check_in(backend: sea_orm::DbBackend, quarter: &quarter::Model) -> Statement {
    let placeholder = |n: usize| match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        r#"SELECT kr_id, value, confidence, created_at FROM (
             SELECT c.kr_id, c.value, c.confidence, c.created_at, c.id,
                    ROW_NUMBER() OVER (PARTITION BY c.kr_id ORDER BY c.created_at DESC, c.id DESC) AS recency
             FROM check_in c
             JOIN key_result k ON k.id = c.kr_id
             JOIN objective o ON o.id = k.objective_id
             WHERE o.quarter_id = {} AND c.created_at >= {} AND c.created_at < {}
           ) ranked
           WHERE recency <= {}
           ORDER BY kr_id, created_at, id"#,
        placeholder(1),
        placeholder(2),
        placeholder(3),
        placeholder(4),
    );
    let window_end = quarter.end_at.succ_opt().expect("a next day");
    Statement::from_sql_and_values(
        backend,
        sql,
        [
            quarter.id.into(),
            quarter.start_at.and_time(NaiveTime::MIN).into(),
            window_end.and_time(NaiveTime::MIN).into(),
            SPARKLINE_POINTS.into(),
        ],
    )
}

migration::backend_test!(
    a_sparkline_is_the_newest_26_check_ins_of_a_long_history,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let quarter = seeded_quarter(db).await;
        let mike = person(db, MIKE).await;
        // Short and long histories, 26 and 27 exactly among them.
        let mut key_results = Vec::new();
        for check_ins in [0, 1, 25, 26, 27, 60, 200] {
            key_results.push((
                check_ins,
                add_objective(db, &quarter, &mike, 1, check_ins).await[0],
            ));
        }
        let long = key_results.last().expect("the long history").1;
        // Ties on the time: three check-ins at each of the two newest
        // moments, so the id decides which of them are in and their order.
        let newest = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(long))
            .order_by_desc(check_in::Column::CreatedAt)
            .one(db)
            .await
            .expect("query check-ins")
            .expect("a newest check-in")
            .created_at;
        let mut tied = Vec::new();
        for n in 0..3 {
            tied.push(check_in_row(long, mike.id, 1000 + n, newest));
            tied.push(check_in_row(
                long,
                mike.id,
                2000 + n,
                newest - Duration::hours(1),
            ));
        }
        // Outside the quarter on both sides: never shown, however new.
        let (before, after) = (
            at(quarter.start_at, 0, 0) - Duration::seconds(1),
            at(quarter.end_at + Duration::days(1), 0, 0),
        );
        tied.push(check_in_row(long, mike.id, 3000, before));
        tied.push(check_in_row(long, mike.id, 3001, after));
        insert_chunked(db, tied).await;

        let expected = point_rows(
            db,
            ranking_every_check_in(db.get_database_backend(), &quarter),
        )
        .await;
        let actual = point_rows(
            db,
            sparkline_statement(db.get_database_backend(), &quarter.clone().into()),
        )
        .await;
        assert_eq!(
            actual, expected,
            "{backend:?}: the same rows in the same order as ranking every check-in"
        );

        // And by hand, for the long history: its newest 26 inside the
        // quarter by (time, id), oldest first.
        let mut history: Vec<check_in::Model> = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(long))
            .all(db)
            .await
            .expect("query check-ins");
        history
            .retain(|row| row.created_at >= at(quarter.start_at, 0, 0) && row.created_at < after);
        history.sort_by_key(|row| std::cmp::Reverse((row.created_at, row.id)));
        history.truncate(SPARKLINE_POINTS as usize);
        history.reverse();
        assert!(
            history.iter().any(|row| row.value >= Decimal::from(1000)),
            "the tied check-ins are among the newest"
        );

        let shown = dashboard(db, Some("2025-Q1"), quarter.start_at)
            .await
            .expect("the dashboard query")
            .expect("the quarter exists");
        let views: Vec<&app::model::KeyResultView> = shown
            .teams
            .iter()
            .flat_map(|team| &team.objectives)
            .flat_map(|objective| &objective.key_results)
            .collect();
        for (check_ins, id) in &key_results {
            let view = views
                .iter()
                .find(|view| view.id == *id)
                .expect("the key result is shown");
            assert_eq!(
                view.check_ins.len(),
                (*check_ins).min(SPARKLINE_POINTS as usize),
                "{backend:?}: a key result with {check_ins} check-ins"
            );
        }
        let long_view = views
            .iter()
            .find(|view| view.id == long)
            .expect("the long history is shown");
        let shown_points: Vec<(Decimal, NaiveDateTime)> = long_view
            .check_ins
            .iter()
            .map(|point| (point.value, point.created_at))
            .collect();
        let newest_26: Vec<(Decimal, NaiveDateTime)> = history
            .iter()
            .map(|row| (row.value, row.created_at))
            .collect();
        assert_eq!(
            shown_points, newest_26,
            "{backend:?}: exactly the newest 26, oldest first, ties by id"
        );

        test_db.close().await.expect("drop the test database");
    }
);

/// The plan of `statement`, one line per step: `EXPLAIN` (PostgreSQL, with
/// the statement's values, as its first runs are planned) or `EXPLAIN QUERY
/// PLAN` (SQLite).
async fn plan(db: &impl ConnectionTrait, statement: &Statement) -> Vec<String> {
    let (explain, column) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
        _ => ("EXPLAIN QUERY PLAN ", "detail"),
    };
    let explained = Statement {
        sql: format!("{explain}{}", statement.sql),
        ..statement.clone()
    };
    db.query_all_raw(explained)
        .await
        .expect("EXPLAIN the sparkline query")
        .iter()
        .map(|row| row.try_get::<String>("", column).expect("a plan line"))
        .collect()
}

/// PostgreSQL's generic plan of the sparkline statement: the one it may
/// switch to for a prepared statement run many times (sqlx prepares and
/// caches every statement), planned without knowing the values.
async fn generic_postgres_plan(db: &DatabaseConnection, quarter: &quarter::Model) -> Vec<String> {
    let statement = sparkline_statement(sea_orm::DbBackend::Postgres, &quarter.clone().into());
    let txn = db.begin().await.expect("a transaction");
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
        .await
        .expect("ask for generic plans");
    txn.execute_unprepared(&format!(
        "PREPARE sparkline_plan (uuid, timestamp, timestamp, bigint) AS {}",
        statement.sql
    ))
    .await
    .expect("prepare the sparkline query");
    let lines = plan(
        &txn,
        &Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "EXECUTE sparkline_plan ('{}', '{} 00:00:00', '{} 00:00:00', {SPARKLINE_POINTS})",
                quarter.id,
                quarter.start_at,
                quarter.end_at + Duration::days(1),
            ),
        ),
    )
    .await;
    txn.execute_unprepared("DEALLOCATE sparkline_plan")
        .await
        .expect("deallocate");
    txn.rollback().await.expect("roll back");
    lines
}

/// Whether every key result's rows come straight from the index, newest
/// first, with no sort under the `Limit` (a sort there would read a key
/// result's whole history).
fn reads_the_newest_from_the_index(lines: &[String]) -> bool {
    let Some(limit) = lines.iter().position(|line| line.contains("Limit")) else {
        return false;
    };
    lines[limit + 1..]
        .iter()
        .find(|line| line.contains("->"))
        .is_some_and(|scan| scan.contains("Scan Backward using checkin_kr_created_idx on check_in"))
}

migration::backend_test!(
    the_sparkline_query_reads_each_key_results_newest_check_ins_from_the_index,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let quarter = seeded_quarter(db).await;
        add_objective(db, &quarter, &person(db, MIKE).await, 100, 200).await;
        db.execute_unprepared("ANALYZE")
            .await
            .expect("gather statistics");

        let lines = plan(
            db,
            &sparkline_statement(db.get_database_backend(), &quarter.clone().into()),
        )
        .await;
        println!(
            "{backend:?} plan of the sparkline query:\n  {}",
            lines.join("\n  ")
        );
        let text = lines.join("\n");
        match backend {
            Backend::Postgres => {
                assert!(
                    reads_the_newest_from_the_index(&lines),
                    "a top-N per key result from (kr_id, created_at, id):\n{text}"
                );
                assert!(!text.contains("Seq Scan on check_in"), "{text}");
                assert!(
                    !text.contains("WindowAgg"),
                    "no rank over the quarter:\n{text}"
                );

                let generic = generic_postgres_plan(db, &quarter).await;
                let generic_text = generic.join("\n");
                println!("Postgres generic plan:\n  {}", generic.join("\n  "));
                assert!(
                    reads_the_newest_from_the_index(&generic),
                    "the generic plan reads the newest from the index too:\n{generic_text}"
                );
            }
            Backend::Sqlite => {
                assert!(
                    lines.iter().any(|line| line.starts_with(
                        "SEARCH r USING COVERING INDEX checkin_kr_created_idx (kr_id=?"
                    )),
                    "each key result's newest rowids from (kr_id, created_at, id):\n{text}"
                );
                assert!(
                    !lines
                        .iter()
                        .any(|line| line.starts_with("SCAN c") || line.starts_with("SCAN r")),
                    "no scan of every check-in:\n{text}"
                );
                // Only the result (26 a key result at most) is sorted; a
                // key result's check-ins come from the index in order.
                assert!(
                    !lines
                        .iter()
                        .any(|line| line.contains("RIGHT PART") || line.contains("LAST TERM")),
                    "{text}"
                );
            }
        }

        test_db.close().await.expect("drop the test database");
    }
);
