//! What one signed-in dashboard request costs the database, counted by
//! SeaORM's own metric callback on the pool the real server uses: a fixed
//! number of statements (one for the dashboard, and one for the session
//! unless the server remembers it) whatever the size of the quarter, none
//! of them reading check-ins; the session renewal is one statement more,
//! only on the request that renews. And the sparkline of a key result, kept by the database in
//! `key_result_trend` as check-ins are written, is exactly its newest 26
//! check-ins inside the quarter, in order, ties on the time broken as
//! before, after every kind of write that can change it.

use crate::common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use app::server::queries::dashboard::{SPARKLINE_POINTS, dashboard};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use common::{MIKE, TestServer, person};
use domain::{ConfidenceLevel, Direction, Unit};
use entity::{check_in, key_result, key_result_trend, objective, okr_user, quarter, session};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use sea_orm::prelude::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Statement,
};
use uuid::Uuid;

/// The statement of `remembered`'s heartbeat.
const HEARTBEAT_STATEMENT: &str = "SELECT pg_notify($1, $2)";

/// Every statement the pool runs, in order (the heartbeat's aside).
#[derive(Clone, Default)]
struct StatementLog(Arc<Mutex<Vec<String>>>);

impl StatementLog {
    /// A clone of `db` whose statements are recorded here.
    fn attach(&self, db: &DatabaseConnection) -> DatabaseConnection {
        self.attach_after(db, |_| {})
    }

    /// [`StatementLog::attach`], running `first` on each statement before
    /// it is recorded.
    fn attach_after(
        &self,
        db: &DatabaseConnection,
        first: impl Fn(&str) + Send + Sync + 'static,
    ) -> DatabaseConnection {
        let mut counted = db.clone();
        let log = self.0.clone();
        counted.set_metric_callback(move |info| {
            first(&info.statement.sql);
            // The server's heartbeat to itself (every second, on
            // PostgreSQL) runs on the pool whatever the requests do: not
            // a statement of any request.
            if info.statement.sql == HEARTBEAT_STATEMENT {
                return;
            }
            log.lock()
                .expect("the statement log")
                .push(info.statement.sql.clone());
        });
        counted
    }

    /// Whether a statement recorded and not yet taken contains `text`.
    fn has(&self, text: &str) -> bool {
        self.0
            .lock()
            .expect("the statement log")
            .iter()
            .any(|sql| sql.contains(text))
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

/// Every quarter, with the shown one's objectives, their key results and
/// sparklines.
const DASHBOARD_STATEMENTS: usize = 1;

/// Where reads are not remembered (SQLite, or `DB_REMEMBER_READS=false`),
/// every dashboard request reads `okr_version`: a page rendered at the same
/// version is sent again without reading the dashboard.
const VERSION_STATEMENTS: usize = 1;

/// The statements that read `okr_version`.
fn version_statements(statements: &[String]) -> Vec<&String> {
    statements
        .iter()
        .filter(|sql| sql.contains(r#""okr_version""#))
        .collect()
}

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

        // 300 key results more, with 40 check-ins each (on PostgreSQL, once
        // the server has heard of them).
        let db = &test_db.db;
        let quarter = seeded_quarter(db).await;
        let changes_before = server.okr_changes();
        add_objective(db, &quarter, &person(db, MIKE).await, 300, 40).await;
        server.await_okr_notice(changes_before).await;
        let (html, large) = dashboard_page(&server, &log, &cookie).await;
        // Past the fold: the viewer's team in full (306 rows), the other
        // folded, its 4 key results counted but not rendered.
        assert_eq!(html.matches(r#"class="key-result""#).count(), 306);
        assert!(html.contains("1 objective · 4 key results"));

        let sizes = [("10 key results", &small), ("310 key results", &large)];
        for (size, statements) in sizes {
            println!(
                "{backend:?}: dashboard of {size}: {} statements:\n  {}",
                statements.len(),
                statements.join("\n  ")
            );
        }
        // The first page after signing in looks the session up; the next
        // one finds it remembered on PostgreSQL (nothing changed who is
        // signed in), and looks it up again on SQLite, with `okr_version`.
        // Both read the dashboard: its data changed in between.
        let (looked_up_again, version) = match backend {
            Backend::Sqlite => (1, VERSION_STATEMENTS),
            Backend::Postgres => (0, 0),
        };
        for ((size, statements), session) in sizes.iter().zip([1, looked_up_again]) {
            assert_eq!(
                version_statements(statements).len(),
                version,
                "{backend:?}, {size}: {statements:#?}"
            );
            assert_eq!(
                session_statements(statements).len(),
                session,
                "{backend:?}, {size}: one statement finds the session and its person, \
                 unless remembered: {statements:#?}"
            );
            assert_eq!(
                statements.len(),
                DASHBOARD_STATEMENTS + session + version,
                "{backend:?}, {size}: {DASHBOARD_STATEMENTS} statement and the session's: {statements:#?}"
            );
        }
        for (size, statements) in sizes {
            assert!(
                !statements.iter().any(|sql| sql.contains("check_in")),
                "{backend:?}, {size}: the sparklines come from key_result_trend, \
                 not from reading check-ins: {statements:#?}"
            );
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// A quarter of no objectives, from `start` to `end`.
async fn add_quarter(
    db: &DatabaseConnection,
    label: &str,
    start: NaiveDate,
    end: NaiveDate,
    archived: bool,
) -> quarter::Model {
    let now = chrono::Utc::now().naive_utc();
    quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set(label.to_owned()),
        start_at: Set(start),
        end_at: Set(end),
        organization_id: Set(None),
        archived: Set(archived),
        notes: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("a quarter")
}

/// What a dashboard shows: its quarter's label, the switcher's labels, and
/// its key results' titles.
async fn shown(
    db: &DatabaseConnection,
    label: Option<&str>,
    today: NaiveDate,
) -> Option<(Option<String>, Vec<String>, Vec<String>)> {
    let dashboard = dashboard(db, label, today).await.expect("the dashboard")?;
    let key_results = dashboard
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| &objective.key_results)
        .map(|kr| kr.title.clone())
        .collect();
    Some((
        dashboard.quarter.map(|quarter| quarter.label),
        dashboard
            .quarters
            .into_iter()
            .map(|quarter| quarter.label)
            .collect(),
        key_results,
    ))
}

migration::backend_test!(
    the_dashboards_one_statement_shows_the_quarter_asked_for_else_todays_else_the_newest,
    |backend| async move {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        let Some(empty) = TestDb::migrated(backend).await else {
            return;
        };
        let nothing = shown(&empty.db, None, day(2025, 2, 14)).await;
        assert_eq!(
            nothing,
            Some((None, vec![], vec![])),
            "{backend:?}: no quarters yet is a page, not an error"
        );
        assert_eq!(
            shown(&empty.db, Some("2025-Q1"), day(2025, 2, 14)).await,
            None
        );
        empty.close().await.expect("drop the test database");

        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        add_quarter(db, "2025-Q2", day(2025, 4, 1), day(2025, 6, 30), false).await;
        let q4 = add_quarter(db, "2024-Q4", day(2024, 10, 1), day(2024, 12, 31), true).await;
        add_objective(db, &q4, &person(db, MIKE).await, 2, 1).await;
        let newest_first = vec!["2025-Q2".to_owned(), "2025-Q1".into(), "2024-Q4".into()];

        // Today's quarter, with its ten key results and no one else's.
        let (label, quarters, key_results) =
            shown(db, None, day(2025, 2, 14)).await.expect("a page");
        assert_eq!(label.as_deref(), Some("2025-Q1"), "{backend:?}");
        assert_eq!(
            quarters, newest_first,
            "{backend:?}: every quarter, newest first"
        );
        assert_eq!(key_results.len(), 10, "{backend:?}: {key_results:?}");
        assert!(
            key_results
                .iter()
                .all(|title| !title.starts_with("Key result"))
        );

        // Its first and last days are in it.
        for today in [day(2025, 1, 1), day(2025, 3, 31)] {
            let (label, ..) = shown(db, None, today).await.expect("a page");
            assert_eq!(label.as_deref(), Some("2025-Q1"), "{backend:?}: {today}");
        }

        // No quarter holds today: the newest, which has no objectives yet.
        let (label, quarters, key_results) =
            shown(db, None, day(2026, 11, 27)).await.expect("a page");
        assert_eq!(label.as_deref(), Some("2025-Q2"), "{backend:?}");
        assert_eq!(quarters, newest_first, "{backend:?}");
        assert!(key_results.is_empty(), "{backend:?}: {key_results:?}");

        // Asked for by label, whatever today is: the archived quarter's own two.
        let (label, quarters, key_results) = shown(db, Some("2024-Q4"), day(2025, 2, 14))
            .await
            .expect("a page");
        assert_eq!(label.as_deref(), Some("2024-Q4"), "{backend:?}");
        assert_eq!(quarters, newest_first, "{backend:?}");
        assert_eq!(
            key_results,
            ["Key result 0000", "Key result 0001"],
            "{backend:?}"
        );
        let archived = dashboard(db, Some("2024-Q4"), day(2025, 2, 14))
            .await
            .expect("the dashboard")
            .and_then(|dashboard| dashboard.quarter)
            .expect("2024-Q4");
        assert!(
            archived.archived,
            "{backend:?}: the shown quarter's own columns"
        );
        assert_eq!(archived.id, q4.id);

        // An unknown label is no page, even with quarters to fall back on.
        assert_eq!(
            shown(db, Some("1999-Q4"), day(2025, 2, 14)).await,
            None,
            "{backend:?}"
        );

        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    the_session_lookup_finds_its_person_by_index_among_thousands,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        // 3,000 more people: enough that reading them all would cost more
        // than the index, on either database's planner.
        let team_id = person(db, MIKE).await.team_id;
        let now = chrono::Utc::now().naive_utc();
        let people: Vec<okr_user::ActiveModel> = (0..3000)
            .map(|n| okr_user::ActiveModel {
                id: Set(Uuid::new_v4()),
                email: Set(format!("Person.{n:04}@Airline.com")),
                name: Set(format!("Person {n:04}")),
                team_id: Set(team_id),
                organization_id: Set(None),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .collect();
        insert_chunked(db, people).await;
        db.execute_unprepared("ANALYZE").await.expect("ANALYZE");

        // The session lookup a page request runs, with its values.
        let seen: Arc<Mutex<Vec<Statement>>> = Arc::default();
        let mut counted = db.clone();
        counted.set_metric_callback({
            let seen = seen.clone();
            move |info| seen.lock().expect("the log").push(info.statement.clone())
        });
        let server = TestServer::with_demo_sign_ins(counted).await;
        let cookie = server.sign_in_demo(MIKE).await;
        seen.lock().expect("the log").clear();
        let response = server.get_as("/", &cookie).await;
        assert_eq!(response.status(), StatusCode::OK);
        let lookup = seen
            .lock()
            .expect("the log")
            .iter()
            .find(|statement| statement.sql.contains(r#"FROM "session""#))
            .cloned()
            .expect("the session lookup");

        let explain = match backend {
            Backend::Sqlite => "EXPLAIN QUERY PLAN",
            Backend::Postgres => "EXPLAIN",
        };
        let plan: Vec<String> = db
            .query_all_raw(Statement {
                sql: format!("{explain} {}", lookup.sql),
                ..lookup
            })
            .await
            .expect("the lookup's plan")
            .iter()
            .map(|row| {
                let column = match backend {
                    Backend::Sqlite => "detail",
                    Backend::Postgres => "QUERY PLAN",
                };
                row.try_get::<String>("", column).expect("a plan line")
            })
            .collect();
        assert!(
            plan.iter()
                .any(|line| line.contains("okr_user_email_lower_idx")),
            "{backend:?}: the person is found by LOWER(email)'s index: {plan:#?}"
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
        dashboard_page(&server, &log, &cookie).await;
        // What a page costs once the server has seen it: on PostgreSQL the
        // session and the dashboard are remembered; on SQLite the session
        // and `okr_version` are read, and the page is sent again.
        let (_, steady) = dashboard_page(&server, &log, &cookie).await;
        let remembered = backend == Backend::Postgres;
        assert_eq!(
            steady.len(),
            if remembered {
                0
            } else {
                VERSION_STATEMENTS + 1
            },
            "{backend:?}: {steady:#?}"
        );

        // Last renewed two days ago, as if the browser had been away.
        let two_days_ago = chrono::Utc::now().naive_utc() - Duration::days(2);
        let changes_before = server.session_changes();
        session::Entity::update_many()
            .col_expr(session::Column::UpdatedAt, Expr::value(two_days_ago))
            .exec(db)
            .await
            .expect("age the session");
        server.await_session_notice(changes_before).await;
        log.take();
        let changes_before = server.session_changes();
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
        // The session looked up (it changed) and renewed; the dashboard as
        // on any page (what it shows did not change).
        assert_eq!(
            renewing.len(),
            if remembered { 2 } else { steady.len() + 1 },
            "{backend:?}: the renewal is the only statement more: {renewing:#?}"
        );

        // Renewed now: the next request is back to the usual statements
        // (on PostgreSQL, once the renewal's own notice has arrived).
        server.await_session_notice(changes_before).await;
        dashboard_page(&server, &log, &cookie).await;
        let (_, after) = dashboard_page(&server, &log, &cookie).await;
        assert_eq!(after.len(), steady.len(), "{backend:?}: {after:#?}");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// `GET /api/dashboard` with the session cookie: its status, and how many
/// statements read the session.
async fn status_and_lookups(
    server: &TestServer,
    log: &StatementLog,
    cookie: &str,
) -> (StatusCode, usize) {
    log.take();
    let status = server
        .get_as("/api/dashboard?quarter=2025-Q1", cookie)
        .await
        .status();
    (status, session_statements(&log.take()).len())
}

/// Changes Mike's `active` flag straight in the database, then waits for
/// the server to hear of it.
async fn set_mikes_active_flag(server: &TestServer, db: &DatabaseConnection, active: bool) {
    let changes_before = server.session_changes();
    okr_user::Entity::update_many()
        .col_expr(okr_user::Column::Active, Expr::value(active))
        .filter(okr_user::Column::Email.eq(MIKE))
        .exec(db)
        .await
        .expect("change Mike's active flag");
    server.await_session_notice(changes_before).await;
}

migration::backend_test!(
    a_remembered_session_is_forgotten_as_soon_as_who_it_signs_in_changes,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let log = StatementLog::default();
        let server = TestServer::with_demo_sign_ins(log.attach(db)).await;
        let cookie = server.sign_in_demo(MIKE).await;
        // Remembered on PostgreSQL, which tells the server of changes.
        let again = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 0,
        };
        let status_and_lookups = || status_and_lookups(&server, &log, &cookie);

        assert_eq!(status_and_lookups().await, (StatusCode::OK, 1));
        assert_eq!(status_and_lookups().await, (StatusCode::OK, again));

        // Mike made inactive in the database itself, as another server or
        // plain SQL would: no longer a member, at once.
        let set_active = |active| set_mikes_active_flag(&server, db, active);
        set_active(false).await;
        assert_eq!(
            status_and_lookups().await,
            (StatusCode::FORBIDDEN, 1),
            "{backend:?}: a person made inactive is no longer a member"
        );
        set_active(true).await;
        assert_eq!(status_and_lookups().await, (StatusCode::OK, 1));
        assert_eq!(status_and_lookups().await, (StatusCode::OK, again));

        // Signing out through this server: the cookie is refused on the very
        // next request, with no notice to wait for.
        let response = server.post("/api/sign_out", Some(&cookie), &[]).await;
        assert!(response.status().is_success(), "{}", response.status());
        assert_eq!(
            status_and_lookups().await,
            (StatusCode::UNAUTHORIZED, 1),
            "{backend:?}: a signed-out session is looked up, and gone"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// How many check-ins the dashboard's sparkline of the key result `title`
/// says it shows ("3 check-ins, …").
fn check_ins_shown(html: &str, title: &str) -> usize {
    let row = &html[html
        .find(title)
        .unwrap_or_else(|| panic!("{title:?} on the page"))..];
    let summary = &row[..row.find(" check-in").expect("the sparkline's summary")];
    let count = &summary[summary.rfind(['>', '"']).expect("the summary's start") + 1..];
    count
        .parse()
        .unwrap_or_else(|_| panic!("a count of check-ins: {count:?}"))
}

migration::backend_test!(
    a_remembered_dashboard_is_forgotten_as_soon_as_what_it_shows_changes,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let log = StatementLog::default();
        let server = TestServer::with_demo_sign_ins(log.attach(db)).await;
        let cookie = server.sign_in_demo(MIKE).await;
        let page = || dashboard_page(&server, &log, &cookie);
        // The session is remembered too, on PostgreSQL only.
        let remembered = backend == Backend::Postgres;
        let session = usize::from(!remembered);

        // The page but its scripts (their nonce is new every time).
        let main = |html: &str| {
            html[html.find("<main>").expect("<main>")..html.find("</main>").expect("</main>")]
                .to_owned()
        };
        let (first, _) = page().await;
        let (again, statements) = page().await;
        assert_eq!(
            main(&again),
            main(&first),
            "{backend:?}: the same page again"
        );
        assert_eq!(
            statements.len(),
            if remembered {
                0
            } else {
                VERSION_STATEMENTS + 1
            },
            "{backend:?}: a page seen before reads nothing on PostgreSQL, and on SQLite \
             the session and okr_version only: {statements:#?}"
        );

        // A key result renamed in the database itself, as another server,
        // an import or plain SQL would: the next page shows the new title.
        let old_title = "Grow mobile app bookings from $12M to $18M";
        let new_title = "Grow app bookings to $18M";
        let key_result = common::key_result_titled(db, old_title).await;
        let changes_before = server.okr_changes();
        key_result::Entity::update_many()
            .col_expr(key_result::Column::Title, Expr::value(new_title))
            .filter(key_result::Column::Id.eq(key_result.id))
            .exec(db)
            .await
            .expect("rename the key result");
        server.await_okr_notice(changes_before).await;
        let (html, statements) = page().await;
        assert!(
            html.contains(new_title) && !html.contains(old_title),
            "{backend:?}: the renamed key result shows its new title"
        );
        assert_eq!(
            statements.len(),
            DASHBOARD_STATEMENTS + session + session * VERSION_STATEMENTS,
            "{backend:?}: the dashboard is read again: {statements:#?}"
        );

        // A check-in written straight into the database: its key result's
        // sparkline (kept by the database's triggers) has one point more.
        let shown = check_ins_shown(&html, new_title);
        let changes_before = server.okr_changes();
        check_in_row(
            key_result.id,
            person(db, MIKE).await.id,
            1_500,
            at(seeded_quarter(db).await.start_at + Duration::days(40), 9, 0),
        )
        .insert(db)
        .await
        .expect("insert a check-in");
        server.await_okr_notice(changes_before).await;
        let (html, _) = page().await;
        assert_eq!(check_ins_shown(&html, new_title), shown + 1, "{backend:?}");

        // A check-in through this server: shown on the very next page, with
        // no notice to wait for.
        let key_result_id = key_result.id.to_string();
        let response = server
            .post(
                "/api/check_in",
                Some(&cookie),
                &[
                    ("key_result_id", key_result_id.as_str()),
                    ("value", "16000000"),
                    ("confidence", "2"),
                    ("note", "Remembered no longer"),
                    ("date", "2025-03-20"),
                ],
            )
            .await;
        assert!(
            response.status().is_success() || response.status().is_redirection(),
            "{backend:?}: {}",
            response.status()
        );
        let (html, statements) = page().await;
        assert_eq!(check_ins_shown(&html, new_title), shown + 2, "{backend:?}");
        // A write through this server forgets everything, the session too.
        assert_eq!(
            statements.len(),
            DASHBOARD_STATEMENTS + 1 + session * VERSION_STATEMENTS,
            "{backend:?}: the session and the dashboard read again: {statements:#?}"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    with_reads_not_remembered_every_page_reads_the_database,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let log = StatementLog::default();
        let db = log.attach(&test_db.db);
        app::server::auth::ensure_demo_sign_ins(&db)
            .await
            .expect("demo sign-ins");
        // DB_REMEMBER_READS=false, as behind a pooler that passes no notices on.
        let server = TestServer::serve(app::server::AppState::remembering(
            common::leptos_options(),
            db,
            app::server::auth::AuthConfig::default(),
            false,
        ))
        .await;
        let cookie = server.sign_in_demo(MIKE).await;
        // The first page reads the session, `okr_version` and the
        // dashboard; the next ones the session and `okr_version`, and are
        // the page rendered at that version, sent again.
        for round in 0..3 {
            let sent_again = server
                .remembered
                .as_ref()
                .expect("the server's memory")
                .pages_sent_again();
            let (_, statements) = dashboard_page(&server, &log, &cookie).await;
            let dashboard = usize::from(round == 0) * DASHBOARD_STATEMENTS;
            assert_eq!(
                (
                    session_statements(&statements).len(),
                    version_statements(&statements).len(),
                    statements.len()
                ),
                (1, VERSION_STATEMENTS, 1 + VERSION_STATEMENTS + dashboard),
                "{backend:?}, page {round}: {statements:#?}"
            );
            assert_eq!(
                server
                    .remembered
                    .as_ref()
                    .expect("the server's memory")
                    .pages_sent_again()
                    - sent_again,
                u64::from(round > 0),
                "{backend:?}, page {round}"
            );
        }

        // A change written straight into the database moves `okr_version`
        // on: the next page reads the dashboard again, and shows it.
        let old_title = "Grow mobile app bookings from $12M to $18M";
        let new_title = "Grow app bookings to $18M";
        key_result::Entity::update_many()
            .col_expr(key_result::Column::Title, Expr::value(new_title))
            .filter(key_result::Column::Title.eq(old_title))
            .exec(&test_db.db)
            .await
            .expect("rename the key result");
        let (html, statements) = dashboard_page(&server, &log, &cookie).await;
        assert!(
            html.contains(new_title) && !html.contains(old_title),
            "{backend:?}: the renamed key result shows its new title"
        );
        assert_eq!(
            statements.len(),
            1 + VERSION_STATEMENTS + DASHBOARD_STATEMENTS,
            "{backend:?}: {statements:#?}"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// The sparklines: the newest 26 check-ins of each key result, kept in
// `key_result_trend` by the database's triggers as check-ins are written.
// ---------------------------------------------------------------------------

/// A sparkline point: `(value, confidence, created_at)`.
type Point = (Decimal, i32, NaiveDateTime);

/// The window query the dashboard ran before the trend table: it ranks every
/// check-in of the quarter. Kept as the reference the trend must equal.
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

/// Every key result of `quarter` with check-ins in it, and its sparkline
/// worked out from scratch by [`ranking_every_check_in`].
async fn reference_sparklines(
    db: &DatabaseConnection,
    quarter: &quarter::Model,
) -> BTreeMap<Uuid, Vec<Point>> {
    let mut sparklines: BTreeMap<Uuid, Vec<Point>> = BTreeMap::new();
    for row in db
        .query_all_raw(ranking_every_check_in(db.get_database_backend(), quarter))
        .await
        .expect("the reference query")
    {
        sparklines
            .entry(row.try_get("", "kr_id").expect("kr_id"))
            .or_default()
            .push((
                row.try_get("", "value").expect("value"),
                row.try_get("", "confidence").expect("confidence"),
                row.try_get("", "created_at").expect("created_at"),
            ));
    }
    sparklines
}

/// Every key result of `quarter` with a sparkline, and its points, as the
/// dashboard shows them.
async fn shown_sparklines(
    db: &DatabaseConnection,
    quarter: &quarter::Model,
) -> BTreeMap<Uuid, Vec<Point>> {
    let shown = dashboard(db, Some(&quarter.label), quarter.start_at)
        .await
        .expect("the dashboard query")
        .expect("the quarter exists");
    shown
        .teams
        .iter()
        .flat_map(|team| &team.objectives)
        .flat_map(|objective| &objective.key_results)
        .filter(|view| !view.check_ins.is_empty())
        .map(|view| {
            let points = view
                .check_ins
                .iter()
                .map(|point| (point.value, point.confidence.as_i32(), point.created_at))
                .collect();
            (view.id, points)
        })
        .collect()
}

/// The dashboard shows every quarter's sparklines as ranking every
/// check-in would, and every key result has its trend row.
async fn assert_sparklines_right(db: &DatabaseConnection, backend: Backend, after: &str) {
    let quarters = quarter::Entity::find().all(db).await.expect("the quarters");
    for quarter in &quarters {
        let shown = shown_sparklines(db, quarter).await;
        let expected = reference_sparklines(db, quarter).await;
        assert_eq!(
            shown, expected,
            "{backend:?}, {}, after {after}: the sparklines are each key result's newest \
             {SPARKLINE_POINTS} check-ins in the quarter, oldest first",
            quarter.label
        );
    }
    let key_results = key_result::Entity::find().count(db).await.expect("count");
    let trends = key_result_trend::Entity::find()
        .count(db)
        .await
        .expect("count");
    assert_eq!(
        trends, key_results,
        "{backend:?}, after {after}: one trend row a key result"
    );
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

        assert_sparklines_right(db, backend, "long histories and ties").await;

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

        let shown = shown_sparklines(db, &quarter).await;
        for (check_ins, id) in &key_results {
            assert_eq!(
                shown.get(id).map_or(0, Vec::len),
                (*check_ins).min(SPARKLINE_POINTS as usize),
                "{backend:?}: a key result with {check_ins} check-ins"
            );
        }
        let newest_26: Vec<Point> = history
            .iter()
            .map(|row| (row.value, row.confidence.as_i32(), row.created_at))
            .collect();
        assert_eq!(
            shown[&long], newest_26,
            "{backend:?}: exactly the newest 26, oldest first, ties by id"
        );

        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    every_write_that_changes_a_sparkline_keeps_it_right,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let q1 = seeded_quarter(db).await;
        let mike = person(db, MIKE).await;
        assert_sparklines_right(db, backend, "the seed").await;

        let ids = add_objective(db, &q1, &mike, 3, 30).await;
        assert_sparklines_right(db, backend, "a bulk insert of 90 check-ins").await;
        let (first, second, third) = (ids[0], ids[1], ids[2]);
        let newest_of = |kr: Uuid| async move {
            check_in::Entity::find()
                .filter(check_in::Column::KrId.eq(kr))
                .order_by_desc(check_in::Column::CreatedAt)
                .order_by_desc(check_in::Column::Id)
                .one(db)
                .await
                .expect("query check-ins")
                .expect("a check-in")
        };

        // A new latest check-in, and one back-dated below the 26 shown.
        check_in_row(first, mike.id, 500, at(q1.end_at, 23, 59))
            .insert(db)
            .await
            .expect("insert");
        check_in_row(first, mike.id, 501, at(q1.start_at, 0, 1))
            .insert(db)
            .await
            .expect("insert");
        assert_sparklines_right(db, backend, "a new latest and a back-dated check-in").await;

        // Its value, its time (out of the quarter) and its key result change.
        let newest = newest_of(first).await;
        check_in::Entity::update_many()
            .col_expr(
                check_in::Column::Value,
                Expr::value(Decimal::new(12_345, 2)),
            )
            .col_expr(check_in::Column::Confidence, Expr::value(0))
            .filter(check_in::Column::Id.eq(newest.id))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "a changed value and confidence").await;
        check_in::Entity::update_many()
            .col_expr(
                check_in::Column::CreatedAt,
                Expr::value(at(q1.end_at + Duration::days(3), 9, 0)),
            )
            .filter(check_in::Column::Id.eq(newest.id))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "a check-in moved out of the quarter").await;
        let moving = newest_of(second).await;
        check_in::Entity::update_many()
            .col_expr(check_in::Column::KrId, Expr::value(third))
            .filter(check_in::Column::Id.eq(moving.id))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "a check-in moved to another key result").await;

        // Deletes: one check-in, then all of a key result's.
        check_in::Entity::delete_by_id(newest_of(third).await.id)
            .exec(db)
            .await
            .expect("delete");
        assert_sparklines_right(db, backend, "a deleted check-in").await;
        check_in::Entity::delete_many()
            .filter(check_in::Column::KrId.eq(second))
            .exec(db)
            .await
            .expect("delete");
        assert_sparklines_right(db, backend, "deleting all of a key result's").await;

        // The quarter ends a month earlier: later check-ins drop out.
        quarter::Entity::update_many()
            .col_expr(
                quarter::Column::EndAt,
                Expr::value(q1.end_at - Duration::days(30)),
            )
            .filter(quarter::Column::Id.eq(q1.id))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "the quarter's end moved").await;

        // A second quarter; an objective, then a key result, move into it.
        let q2_id = Uuid::new_v4();
        quarter::ActiveModel {
            id: Set(q2_id),
            label: Set("2025-Q2".to_owned()),
            start_at: Set(q1.end_at - Duration::days(60)),
            end_at: Set(q1.end_at + Duration::days(90)),
            organization_id: Set(None),
            archived: Set(false),
            notes: Set(None),
            created_at: Set(at(q1.start_at, 8, 0)),
            updated_at: Set(at(q1.start_at, 8, 0)),
        }
        .insert(db)
        .await
        .expect("a second quarter");
        let moved_objective = key_result::Entity::find_by_id(first)
            .one(db)
            .await
            .expect("query")
            .expect("the key result")
            .objective_id;
        objective::Entity::update_many()
            .col_expr(objective::Column::QuarterId, Expr::value(q2_id))
            .filter(objective::Column::Id.eq(moved_objective))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "an objective moved to another quarter").await;
        let seeded_objective = objective::Entity::find()
            .filter(objective::Column::QuarterId.eq(q1.id))
            .one(db)
            .await
            .expect("query")
            .expect("a seeded objective");
        let seeded_key_result = key_result::Entity::find()
            .filter(key_result::Column::ObjectiveId.eq(seeded_objective.id))
            .one(db)
            .await
            .expect("query")
            .expect("a seeded key result");
        key_result::Entity::update_many()
            .col_expr(
                key_result::Column::ObjectiveId,
                Expr::value(moved_objective),
            )
            .filter(key_result::Column::Id.eq(seeded_key_result.id))
            .exec(db)
            .await
            .expect("update");
        assert_sparklines_right(db, backend, "a key result moved to another quarter").await;
        assert!(
            !shown_sparklines(
                db,
                &quarter::Entity::find_by_id(q2_id)
                    .one(db)
                    .await
                    .expect("q")
                    .expect("q2")
            )
            .await
            .is_empty(),
            "{backend:?}: the moved key results show their check-ins in the new quarter"
        );

        // Deleting a key result, and its objective, takes their trends along.
        key_result::Entity::delete_by_id(first)
            .exec(db)
            .await
            .expect("delete");
        objective::Entity::delete_by_id(moved_objective)
            .exec(db)
            .await
            .expect("delete");
        assert_sparklines_right(db, backend, "deleting a key result and an objective").await;

        test_db.close().await.expect("drop the test database");
    }
);

/// How long [`Gate`] holds a page's dashboard statement.
const HOLD: std::time::Duration = std::time::Duration::from_secs(4);

/// A statement log that holds the first dashboard statement after
/// [`Gate::arm`] for [`HOLD`]: a page caught halfway.
#[derive(Clone, Default)]
struct Gate(Arc<std::sync::atomic::AtomicBool>);

impl Gate {
    /// `db` logging into `log`, its first dashboard statement after arming
    /// held.
    fn attach(&self, db: &DatabaseConnection, log: &StatementLog) -> DatabaseConnection {
        let armed = self.0.clone();
        log.attach_after(db, move |sql| {
            if sql.contains(r#""key_result_trend""#)
                && armed.swap(false, std::sync::atomic::Ordering::SeqCst)
            {
                // Its worker's other tasks move to another thread meanwhile.
                tokio::task::block_in_place(|| std::thread::sleep(HOLD));
            }
        })
    }

    fn arm(&self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

migration::backend_test!(
    a_page_dropped_halfway_keeps_its_turn_until_it_has_rendered,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let (log, gate) = (StatementLog::default(), Gate::default());
        let db = gate.attach(&test_db.db, &log);
        app::server::auth::ensure_demo_sign_ins(&db)
            .await
            .expect("demo sign-ins");
        // One page at a time, and requests that time out well before the
        // held page's data arrive: the timeout drops the request halfway,
        // as a client that leaves does.
        let limits = server::Limits {
            request_timeout: HOLD / 4,
            max_concurrent_pages: 1,
            ..server::Limits::default()
        };
        let server = TestServer::serve_with(
            app::server::AppState::new(common::leptos_options(), db, Default::default()),
            &limits,
        )
        .await;
        let cookie = server.sign_in_demo(MIKE).await;

        // A page waiting for its dashboard's statement times out...
        gate.arm();
        log.take();
        let dropped = server.get_as("/", &cookie).await;
        assert_eq!(dropped.status(), StatusCode::REQUEST_TIMEOUT, "{backend:?}");
        // ... but goes on rendering, in its turn: the next page, even one
        // that reads no data, waits for that turn until it times out too.
        // Dropped halfway instead, the page's reactive values would be
        // disposed of while Leptos may still walk them (a panic in the
        // server's log).
        let waiting = server.get("/sign-in").await;
        assert_eq!(
            waiting.status(),
            StatusCode::REQUEST_TIMEOUT,
            "{backend:?}: the page dropped halfway still holds its turn; its statements: {:#?}",
            log.0.lock().expect("the statement log")
        );

        // Once it has its data and has rendered, pages are served as usual.
        // The bound ends the test; it is no claim about speed.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while !log.has(r#""key_result_trend""#) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{backend:?}: the held statement never returned"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let (html, _) = dashboard_page(&server, &log, &cookie).await;
        assert!(
            html.contains("Grow Direct Channel Revenue"),
            "{backend:?}: the next page shows the quarter"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);
