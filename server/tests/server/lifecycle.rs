//! The server's life, over real sockets and processes: migrations down and
//! up with data in the tables, slow and stalled clients, graceful shutdown
//! with a request that never ends, a check-in stuck behind a PostgreSQL lock,
//! and the server killed (SIGKILL) during its first start.

use crate::common;
use crate::common::process::Process;
use crate::common::report;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::server::AppState;
use app::server::auth::AuthConfig;
use app::server::db::{DbConfig, connect};
use common::{
    CONVERSION, EMILY, TestServer, app_pool, free_port, key_result_titled, leptos_options,
};
use entity::key_result;
use migration::testing::{Backend, POSTGRES_URL_VAR, TestDb, postgres_admin_url};
use migration::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait, QueryOrder, Statement,
    TransactionTrait,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A log line without its terminal colours.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An escape sequence: up to and including its final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_owned()
}

/// The bookkeeping table of sea-orm-migration: the one `down` leaves.
const BOOKKEEPING: &str = "seaql_migrations";

/// The tables of the OKR data, which only their own migration's `down`
/// drops.
const OKR_TABLES: [&str; 6] = [
    "team",
    "okr_user",
    "quarter",
    "objective",
    "key_result",
    "check_in",
];

async fn query(db: &DatabaseConnection, sql: &str) -> Vec<sea_orm::QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

/// Every table in the database, the engine's own aside.
async fn tables(db: &DatabaseConnection) -> BTreeSet<String> {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        _ => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
    };
    query(db, sql)
        .await
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("a table name"))
        .collect()
}

/// The row count of each of `tables`.
async fn counts(db: &DatabaseConnection, tables: &BTreeSet<String>) -> BTreeMap<String, i64> {
    let mut counts = BTreeMap::new();
    for table in tables {
        let rows = query(db, &format!("SELECT COUNT(*) FROM \"{table}\"")).await;
        let count: i64 = rows[0].try_get_by_index(0).expect("a count");
        counts.insert(table.clone(), count);
    }
    counts
}

async fn applied(db: &DatabaseConnection) -> usize {
    Migrator::get_applied_migrations(db)
        .await
        .expect("read seaql_migrations")
        .len()
}

async fn key_result_values(db: &DatabaseConnection) -> Vec<(Uuid, Decimal)> {
    key_result::Entity::find()
        .order_by_asc(key_result::Column::Id)
        .all(db)
        .await
        .expect("key results")
        .into_iter()
        .map(|kr| (kr.id, kr.current_value))
        .collect()
}

fn without(tables: &BTreeSet<String>, dropped: &str) -> BTreeSet<String> {
    without_all(tables, &[dropped])
}

fn without_all(tables: &BTreeSet<String>, dropped: &[&str]) -> BTreeSet<String> {
    tables
        .iter()
        .filter(|table| !dropped.contains(&table.as_str()))
        .cloned()
        .collect()
}

/// The tables of the latest migrations: sign-in roles, then the API's
/// tokens and idempotency keys. The newest one adds only an index
/// (`checkin_kr_created_idx`, for the sparklines), no table.
const LATEST_TABLES: [&str; 13] = [
    "person_role",
    "api_token",
    "api_idempotency",
    "key_result_trend",
    "rate_limit_hit",
    "import_upload",
    "periodic_job",
    "notification_setting",
    "team_message_setting",
    "outbox_message",
    "company_team",
    "objective_alignment",
    "okr_version",
];

/// How many migrations, counted from the newest, hold [`LATEST_TABLES`]
/// (with the two index-only ones and the session and OKR notices'
/// triggers).
const LATEST_MIGRATIONS: u32 = 12;

/// Every key result's sparkline trend, by key result.
async fn trends(db: &DatabaseConnection) -> Vec<(uuid::Uuid, Option<String>)> {
    use sea_orm::{EntityTrait, QueryOrder};
    entity::key_result_trend::Entity::find()
        .order_by_asc(entity::key_result_trend::Column::KrId)
        .all(db)
        .await
        .expect("the trends")
        .into_iter()
        .map(|trend| (trend.kr_id, trend.points))
        .collect()
}

/// Whether the sparklines' index on `check_in` is there.
async fn has_sparkline_index(db: &DatabaseConnection) -> bool {
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'checkin_kr_created_idx'"
        }
        _ => "SELECT indexname::text FROM pg_indexes WHERE indexname = 'checkin_kr_created_idx'",
    };
    !query(db, sql).await.is_empty()
}

// ---------------------------------------------------------------------------
// Migrations down and up.
// ---------------------------------------------------------------------------

migration::backend_test!(
    migrations_down_and_up_keep_what_down_does_not_drop,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        // Sign-ins, roles and a session besides the OKR data.
        app::server::auth::ensure_demo_sign_ins(db)
            .await
            .expect("demo sign-ins");
        app::server::auth::sign_in(
            db,
            &app::server::limits::Limiter::default(),
            EMILY,
            app::server::auth::DEMO_PASSWORD,
            &app::server::auth::ClientInfo::default(),
            chrono::Utc::now().naive_utc(),
        )
        .await
        .expect("a session");

        let person = app::server::auth::member_by_email(db, EMILY)
            .await
            .expect("query")
            .expect("Emily is a member");
        app::server::tokens::create(
            db,
            person.person_id,
            "down/up",
            None,
            chrono::Utc::now().naive_utc(),
        )
        .await
        .expect("a token");

        let migrations = Migrator::migrations().len();
        let all = tables(db).await;
        assert!(
            LATEST_TABLES.iter().all(|table| all.contains(*table)) && all.contains(BOOKKEEPING),
            "{all:?}"
        );
        let before = counts(db, &all).await;
        let values = key_result_values(db).await;
        let sparklines = trends(db).await;
        assert!(
            sparklines.iter().all(|(_, points)| points.is_some()),
            "{backend:?}: every seeded key result has a sparkline: {sparklines:?}"
        );
        for table in
            OKR_TABLES
                .iter()
                .chain(&["user", "account", "session", "person_role", "api_token"])
        {
            assert!(before[*table] > 0, "{table} holds data: {before:?}");
        }

        // Down the latest migrations (the people's email index, the
        // sparkline trend, the sparkline index, api tokens, person_role) and
        // up again.
        assert!(has_sparkline_index(db).await);
        Migrator::down(db, Some(LATEST_MIGRATIONS))
            .await
            .expect("roll back the latest migrations");
        let kept = without_all(&all, &LATEST_TABLES);
        assert_eq!(tables(db).await, kept);
        assert!(
            !has_sparkline_index(db).await,
            "{backend:?}: the index went too"
        );
        let latest = LATEST_MIGRATIONS as usize;
        assert_eq!(applied(db).await, migrations - latest);
        let mut expected = before.clone();
        for table in LATEST_TABLES {
            expected.remove(table);
        }
        expected.insert(
            BOOKKEEPING.to_owned(),
            before[BOOKKEEPING] - i64::from(LATEST_MIGRATIONS),
        );
        assert_eq!(
            counts(db, &kept).await,
            expected,
            "{backend:?}: only the latest migrations' tables went"
        );

        Migrator::up(db, None).await.expect("migrate up again");
        assert_eq!(tables(db).await, all);
        assert!(has_sparkline_index(db).await);
        assert_eq!(applied(db).await, migrations);
        let after = counts(db, &all).await;
        for (table, count) in &before {
            if table == "key_result_trend" {
                // Worked out again from the check-ins that stayed.
                assert_eq!(after[table], *count, "{backend:?}: {table} is rebuilt");
            } else if table == "okr_version" {
                assert_eq!(after[table], 1, "{backend:?}: okr_version has its one row");
            } else if LATEST_TABLES.contains(&table.as_str()) {
                // Dropped by design: roles and tokens are gone, everyone a member.
                assert_eq!(after[table], 0, "{table} is new and empty");
            } else {
                assert_eq!(after[table], *count, "{backend:?}: {table} after down/up");
            }
        }
        assert_eq!(key_result_values(db).await, values);
        assert_eq!(
            trends(db).await,
            sparklines,
            "{backend:?}: the sparklines are rebuilt as they were"
        );
        report(&format!(
            "migrations ({backend:?}): down {LATEST_MIGRATIONS} / up kept {}",
            OKR_TABLES
                .iter()
                .map(|table| format!("{table} {}", after[*table]))
                .collect::<Vec<_>>()
                .join(", ")
        ));

        // Everything down: only the bookkeeping table stays.
        Migrator::down(db, None)
            .await
            .expect("roll back every migration");
        assert_eq!(
            tables(db).await,
            BTreeSet::from([BOOKKEEPING.to_owned()]),
            "{backend:?}: after a full down"
        );
        assert_eq!(applied(db).await, 0);

        Migrator::up(db, None).await.expect("migrate up again");
        assert_eq!(tables(db).await, all);
        assert_eq!(applied(db).await, migrations);
        for (table, count) in counts(db, &all).await {
            if table == "okr_version" {
                assert_eq!(count, 1, "{table} has its one row");
            } else if table != BOOKKEEPING {
                assert_eq!(count, 0, "{table} is new and empty");
            }
        }
        // The demo loads again, as it was.
        migration::seed::run(db).await.expect("seed again");
        let reseeded = counts(db, &all).await;
        for table in OKR_TABLES {
            assert_eq!(
                reseeded[table], before[table],
                "{table} after seeding again"
            );
        }

        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Slow clients and shutdown.
// ---------------------------------------------------------------------------

/// The production server with `limits`, until `shutdown` is sent.
struct Served {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

async fn serve(db: DatabaseConnection, limits: server::Limits) -> Served {
    let router = server::router_with(
        AppState::new(leptos_options(), db, AuthConfig::default()),
        &limits,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("the bound address");
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server::serve(listener, router, &limits, async move {
            let _ = stop.await;
        })
        .await
    });
    Served {
        addr,
        shutdown: Some(shutdown),
        task,
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn health(addr: SocketAddr) -> StatusCode {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
        .get(format!("http://{addr}/api/health"))
        .send()
        .await
        .expect("GET /api/health")
        .status()
}

/// Reads until the server closes the connection, at most `bound`: `Some`
/// with what was read, `None` if it stayed open.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Option<Vec<u8>> {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    tokio::time::timeout(bound, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend(&buffer[..n]),
            }
        }
    })
    .await
    .ok()
    .map(|()| answer)
}

/// Closed by the server, whether answered or not; the bound ends the test,
/// it is no claim about speed.
const CLOSE_BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_request_headers_are_dropped_while_others_are_served() {
    let test_db = TestDb::seeded(Backend::Sqlite)
        .await
        .expect("a seeded SQLite database");
    let limits = server::Limits {
        header_read_timeout: Duration::from_secs(1),
        ..server::Limits::default()
    };
    let served = serve(app_pool(&test_db.url).await, limits).await;
    let addr = served.addr;

    // Twenty clients send half a header and stall.
    let started = Instant::now();
    let mut stalled = Vec::new();
    for index in 0..20 {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(
                format!("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-{index}: ")
                    .as_bytes(),
            )
            .await
            .expect("half a header");
        stalled.push(stream);
    }
    // One more drips a byte of its header every 100 ms, for ever.
    let dripping = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let opened = Instant::now();
        let header = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ";
        stream
            .write_all(header)
            .await
            .expect("the start of a header");
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(b"a").await.is_err() {
                return Some(opened.elapsed());
            }
            if opened.elapsed() > CLOSE_BOUND + Duration::from_secs(5) {
                return None;
            }
        }
    });

    // Meanwhile everyone else is served.
    let mut served_meanwhile = 0;
    for _ in 0..10 {
        assert_eq!(health(addr).await, StatusCode::OK);
        served_meanwhile += 1;
    }

    // And the stalled connections are closed by the server.
    for (index, stream) in stalled.iter_mut().enumerate() {
        let answer = closed_within(stream, CLOSE_BOUND).await;
        assert!(
            answer.is_some(),
            "stalled connection {index} is still open {} s after it stalled",
            started.elapsed().as_secs()
        );
    }
    let stalled_closed = started.elapsed();
    let drip = dripping.await.expect("the dripping client");
    assert!(
        drip.is_some(),
        "a header dripped a byte at a time is never cut off"
    );
    report(&format!(
        "slowloris: 20 half-sent headers closed after {:.1} s and a dripping one after {:.1} s \
         (header_read_timeout 1 s); {served_meanwhile} other requests served meanwhile",
        stalled_closed.as_secs_f64(),
        drip.unwrap_or_default().as_secs_f64()
    ));
    assert_eq!(health(addr).await, StatusCode::OK, "still serving");

    drop(served);
    test_db.close().await.expect("drop the test database");
}

/// Signs in and returns the session pair, over a plain client.
async fn sign_in(addr: SocketAddr) -> String {
    let response = common::no_redirects()
        .post(format!("http://{addr}/api/sign_in"))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("email", EMILY), ("password", common::DEMO_PASSWORD)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::OK);
    let cookie =
        common::session_set_cookie(&common::set_cookies(&response)).expect("a session cookie");
    common::cookie_pair(&cookie)
}

/// A check-in whose body is announced at 100 bytes and stops after 10.
async fn stalled_body(addr: SocketAddr, cookie: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/check_in HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nCookie: {cookie}\r\n\
         Content-Length: 100\r\n\r\nvalue=1&no"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("a head and part of a body");
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_stalls_gets_408_after_the_request_timeout() {
    let test_db = TestDb::seeded(Backend::Sqlite)
        .await
        .expect("a seeded SQLite database");
    let db = app_pool(&test_db.url).await;
    app::server::auth::ensure_demo_sign_ins(&db)
        .await
        .expect("demo sign-ins");
    let limits = server::Limits {
        request_timeout: Duration::from_secs(1),
        ..server::Limits::default()
    };
    let served = serve(db, limits).await;
    let cookie = sign_in(served.addr).await;

    let started = Instant::now();
    let mut stream = stalled_body(served.addr, &cookie).await;
    assert_eq!(
        health(served.addr).await,
        StatusCode::OK,
        "others are served"
    );
    let answer = closed_within(&mut stream, CLOSE_BOUND)
        .await
        .unwrap_or_else(|| {
            panic!(
                "no answer {} s after the body stalled",
                CLOSE_BOUND.as_secs()
            )
        });
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "a stalled body is answered 408: {answer:?}"
    );
    report(&format!(
        "request timeout: a stalled body got 408 after {:.1} s (request_timeout 1 s)",
        started.elapsed().as_secs_f64()
    ));

    drop(served);
    test_db.close().await.expect("drop the test database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_stops_waiting_after_its_grace() {
    let test_db = TestDb::seeded(Backend::Sqlite)
        .await
        .expect("a seeded SQLite database");
    let db = app_pool(&test_db.url).await;
    app::server::auth::ensure_demo_sign_ins(&db)
        .await
        .expect("demo sign-ins");
    // The request would be allowed a minute; the shutdown waits a second.
    let limits = server::Limits {
        request_timeout: Duration::from_secs(60),
        shutdown_grace: Duration::from_secs(1),
        ..server::Limits::default()
    };
    let mut served = serve(db, limits).await;
    let cookie = sign_in(served.addr).await;
    let _stream = stalled_body(served.addr, &cookie).await;
    assert_eq!(health(served.addr).await, StatusCode::OK);
    // Let the stalled request reach its handler.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    served
        .shutdown
        .take()
        .expect("a shutdown sender")
        .send(())
        .expect("signal shutdown");
    let outcome = tokio::time::timeout(CLOSE_BOUND, &mut served.task)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "serve still waits {} s after shutdown began",
                CLOSE_BOUND.as_secs()
            )
        });
    outcome
        .expect("the serving task")
        .expect("serve ends without an error");
    report(&format!(
        "graceful shutdown: ended {:.1} s after the signal with a request still open \
         (shutdown_grace 1 s)",
        started.elapsed().as_secs_f64()
    ));

    drop(served);
    test_db.close().await.expect("drop the test database");
}

// ---------------------------------------------------------------------------
// A stuck PostgreSQL lock.
// ---------------------------------------------------------------------------

/// How many sessions of this database wait for a lock right now.
async fn waiting_for_a_lock(db: &DatabaseConnection) -> i64 {
    let rows = query(
        db,
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .await;
    rows[0].try_get_by_index(0).expect("a count")
}

async fn check_in_count(db: &DatabaseConnection) -> i64 {
    let rows = query(db, "SELECT COUNT(*) FROM check_in").await;
    rows[0].try_get_by_index(0).expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_stuck_behind_a_lock_answers_503_while_health_answers_200() {
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run on PostgreSQL");
        return;
    }
    let test_db = TestDb::seeded(Backend::Postgres)
        .await
        .expect("a seeded PostgreSQL database");
    let mut config = DbConfig::for_url(test_db.url.clone()).expect("the pool configuration");
    config.lock_timeout = Duration::from_secs(3);
    let db = connect(&config).await.expect("the app's pool");
    app::server::auth::ensure_demo_sign_ins(&db)
        .await
        .expect("demo sign-ins");
    let served = serve(db.clone(), server::Limits::default()).await;
    let addr = served.addr;
    let server = TestServer::running(addr, tokio::spawn(async {}));
    let admin = server.sign_in_demo(EMILY).await;
    let kr = key_result_titled(&db, CONVERSION).await;

    // Another connection holds the key result's row.
    let locker = Database::connect(&test_db.url)
        .await
        .expect("a connection of its own");
    let txn = locker.begin().await.expect("a transaction");
    txn.execute_unprepared(&format!(
        "SELECT id FROM key_result WHERE id = '{}' FOR UPDATE",
        kr.id
    ))
    .await
    .expect("lock the key result's row");
    let before = check_in_count(&test_db.db).await;
    let value = key_result_titled(&db, CONVERSION).await.current_value;

    let fields = [
        ("key_result_id", kr.id.to_string()),
        ("value", "3.3".to_owned()),
        ("confidence", "1".to_owned()),
        ("note", "behind a lock".to_owned()),
        ("date", String::new()),
    ];
    let started = Instant::now();
    let post = {
        let url = server.url("/api/check_in");
        let admin = admin.clone();
        let fields = fields.clone();
        tokio::spawn(async move {
            let response = common::no_redirects()
                .post(url)
                .header(reqwest::header::ACCEPT, "application/json")
                .header(reqwest::header::COOKIE, admin)
                .form(&fields)
                .send()
                .await
                .expect("POST /api/check_in");
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        })
    };
    // Wait until the check-in waits for the lock.
    let deadline = Instant::now() + Duration::from_secs(30);
    while waiting_for_a_lock(&test_db.db).await == 0 {
        assert!(
            !post.is_finished(),
            "the check-in ended without waiting for the lock"
        );
        assert!(
            Instant::now() < deadline,
            "the check-in never waited for the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Meanwhile the server answers.
    let mut healthy_while_waiting = 0;
    for _ in 0..3 {
        assert_eq!(health(addr).await, StatusCode::OK);
        if !post.is_finished() {
            healthy_while_waiting += 1;
        }
    }
    let (status, body) = tokio::time::timeout(Duration::from_secs(60), post)
        .await
        .expect("the check-in answers, it does not hang")
        .expect("the check-in task");
    let waited = started.elapsed();
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a check-in behind a stuck lock: {body}"
    );
    assert_eq!(body, "\"Unavailable\"", "the AppError::Unavailable JSON");
    report(&format!(
        "stuck lock: the check-in answered 503 after {:.1} s (lock_timeout 3 s); \
         {healthy_while_waiting} of 3 health checks answered 200 while it waited",
        waited.as_secs_f64()
    ));
    assert_eq!(check_in_count(&test_db.db).await, before, "nothing stored");

    // Once the lock is gone, the same check-in goes through.
    txn.rollback().await.expect("release the lock");
    locker.close().await.ok();
    assert_eq!(
        key_result_titled(&db, CONVERSION).await.current_value,
        value
    );
    let response = server
        .post(
            "/api/check_in",
            Some(&admin),
            &fields
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(check_in_count(&test_db.db).await, before + 1);

    drop(server);
    drop(served);
    db.close().await.ok();
    test_db.close().await.expect("drop the test database");
}

// ---------------------------------------------------------------------------
// kill -9 during the first start.
// ---------------------------------------------------------------------------

/// The tables after each number of applied migrations, the bookkeeping
/// table aside.
async fn tables_by_step(backend: Backend) -> Vec<BTreeSet<String>> {
    let reference = TestDb::empty(backend).await.expect("a reference database");
    let mut steps = vec![without(&tables(&reference.db).await, BOOKKEEPING)];
    for _ in Migrator::migrations() {
        Migrator::up(&reference.db, Some(1))
            .await
            .expect("one migration");
        steps.push(without(&tables(&reference.db).await, BOOKKEEPING));
    }
    reference
        .close()
        .await
        .expect("drop the reference database");
    steps
}

/// Waits until no other connection to the database is busy on PostgreSQL:
/// a killed server's backend may still be committing the migration it had
/// sent, and reading the tables before it and the applied migrations after
/// it would see a migration that is neither whole nor missing.
async fn settled(db: &DatabaseConnection) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let started = std::time::Instant::now();
    loop {
        let others = query(
            db,
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
             AND state IS DISTINCT FROM 'idle'",
        )
        .await
        .first()
        .and_then(|row| row.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
        if others == 0 || started.elapsed() > Duration::from_secs(10) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What a killed start left: migrations applied, and the seed's row
/// counts (None before its tables exist).
async fn left_behind(
    url: &str,
    steps: &[BTreeSet<String>],
    spec: &BTreeMap<String, i64>,
    seeded: &BTreeMap<String, i64>,
) -> (usize, String) {
    let db = Database::connect(url).await.expect("open the database");
    settled(&db).await;
    let found = tables(&db).await;
    let applied = if found.contains(BOOKKEEPING) {
        applied(&db).await
    } else {
        0
    };
    assert_eq!(
        without(&found, BOOKKEEPING),
        steps[applied],
        "the tables are those of {applied} whole migrations: no migration is half-applied"
    );
    let seed = if applied == steps.len() - 1 {
        let okr: BTreeSet<String> = OKR_TABLES.iter().map(|table| (*table).to_owned()).collect();
        let counts = counts(&db, &okr).await;
        let empty = counts.values().all(|count| *count == 0);
        let full = okr.iter().all(|table| counts[table] == seeded[table]);
        // The spec's seed and the demo's company objectives are each one
        // transaction; the next start adds what is missing.
        let spec_only = okr.iter().all(|table| counts[table] == spec[table]);
        assert!(
            empty || spec_only || full,
            "the demo seed is all or nothing: {counts:?}, spec {spec:?}, seeded {seeded:?}"
        );
        if full {
            "seed loaded"
        } else if spec_only {
            "spec seed loaded"
        } else {
            "no seed"
        }
    } else {
        "no seed"
    };
    db.close().await.ok();
    (applied, seed.to_owned())
}

migration::backend_test!(
    killing_the_server_during_its_first_start_leaves_a_database_it_starts_on,
    |backend| async move {
        if TestDb::empty(backend).await.is_none() {
            return;
        }
        let steps = tables_by_step(backend).await;
        let migrations = Migrator::migrations().len();
        let seeded = {
            let reference = TestDb::seeded(backend).await.expect("a seeded database");
            let okr: BTreeSet<String> =
                OKR_TABLES.iter().map(|table| (*table).to_owned()).collect();
            let spec = counts(&reference.db, &okr).await;
            // With the demo's sign-ins and company objectives, as the
            // server's `SEED_DEMO` adds them.
            app::server::auth::ensure_demo_sign_ins(&reference.db)
                .await
                .expect("the demo sign-ins");
            app::server::commands::alignment::seed_demo_company(
                &reference.db,
                chrono::Utc::now().naive_utc(),
            )
            .await
            .expect("the demo's company objectives");
            let okr: BTreeSet<String> =
                OKR_TABLES.iter().map(|table| (*table).to_owned()).collect();
            let counts = counts(&reference.db, &okr).await;
            reference.close().await.expect("drop it");
            (spec, counts)
        };
        let (spec, seeded) = seeded;
        let dir = std::env::temp_dir().join(format!("runway_kill_{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a working directory");

        let mut lines = Vec::new();
        // Delays around the first migrations, each with a few random
        // milliseconds more, so runs land at different moments.
        for base in [0u64, 10, 20, 30, 45, 60, 80, 100, 150, 200, 400] {
            let delay = base + u64::from(Uuid::new_v4().as_bytes()[0] % 10);
            let test_db = TestDb::empty(backend).await.expect("a fresh database");
            let url = test_db.url.clone();

            let port = free_port();
            let mut first = Process::spawn(&url, port, &dir, &format!("first-{delay}"));
            tokio::time::sleep(Duration::from_millis(delay)).await;
            first.kill();
            let (applied_then, seed) = left_behind(&url, &steps, &spec, &seeded).await;

            let port = free_port();
            let mut second = Process::spawn(&url, port, &dir, &format!("second-{delay}"));
            let took = second.healthy_within(port, Duration::from_secs(60)).await;

            let db = Database::connect(&url).await.expect("open the database");
            assert_eq!(
                applied(&db).await,
                migrations,
                "every migration applied after the restart:\n{}",
                second.log()
            );
            assert_eq!(without(&tables(&db).await, BOOKKEEPING), steps[migrations]);
            // The demo seed follows the migrations.
            let okr: BTreeSet<String> =
                OKR_TABLES.iter().map(|table| (*table).to_owned()).collect();
            let started = Instant::now();
            loop {
                let counts = counts(&db, &okr).await;
                if counts == seeded {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "the demo seed is incomplete: {counts:?}\n{}",
                    second.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            db.close().await.ok();
            second.kill();
            lines.push(format!(
                "{delay} ms → {applied_then}/{migrations} migrations, {seed}; healthy {:.1} s after restart",
                took.as_secs_f64()
            ));
            test_db.close().await.expect("drop the test database");
        }
        report(&format!(
            "kill -9 during the first start ({backend:?}):\n  {}",
            lines.join("\n  ")
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
);

// ---------------------------------------------------------------------------
// Start-up errors and the health check.
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_503_while_the_schema_is_pending_or_failed() {
    use app::server::SchemaState;

    let test_db = TestDb::seeded(Backend::Sqlite)
        .await
        .expect("a seeded SQLite database");
    let state = AppState::new(leptos_options(), test_db.db.clone(), AuthConfig::default());
    let schema = state.schema.clone();
    let router = server::router(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("the bound address");
    let task = tokio::spawn(async move {
        server::serve(
            listener,
            router,
            &server::Limits::default(),
            std::future::pending(),
        )
        .await
        .expect("serve");
    });
    for (state, expected) in [
        (SchemaState::Pending, StatusCode::SERVICE_UNAVAILABLE),
        (SchemaState::Ready, StatusCode::OK),
        (SchemaState::Failed, StatusCode::SERVICE_UNAVAILABLE),
        (SchemaState::Ready, StatusCode::OK),
    ] {
        schema.set(state);
        assert_eq!(health(addr).await, expected, "{state:?}");
    }
    task.abort();
    test_db.close().await.expect("drop the test database");
}

/// Waits for the process to exit, at most `bound`.
async fn exit_of(process: &mut Process, bound: Duration) -> std::process::ExitStatus {
    match process.exit_within(bound).await {
        Some(exit) => exit,
        None => panic!(
            "still running after {} s:\n{}",
            bound.as_secs(),
            process.log()
        ),
    }
}

migration::backend_test!(
    a_database_newer_than_the_code_stops_the_server_with_a_clear_message,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let future = "m29990101_000001_from_the_future";
        test_db
            .db
            .execute_unprepared(&format!(
                "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{future}', 0)"
            ))
            .await
            .expect("record a migration this code does not know");
        let dir = std::env::temp_dir().join(format!("runway_newer_{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a working directory");

        let mut process = Process::spawn(&test_db.url, free_port(), &dir, "newer");
        let exit = exit_of(&mut process, Duration::from_secs(60)).await;
        let log = process.log();
        assert!(!exit.success(), "{exit}:\n{log}");
        assert!(
            log.contains(future),
            "the message names the unknown migration:\n{log}"
        );
        report(&format!(
            "database newer than the code ({backend:?}): exited with {exit}, saying: {}",
            plain(
                log.lines()
                    .rev()
                    .find(|line| line.contains(future))
                    .unwrap_or_default()
            )
        ));

        drop(process);
        let _ = std::fs::remove_dir_all(&dir);
        test_db.close().await.expect("drop the test database");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_passwords_never_reach_the_log() {
    let secret = "s3cr3t-Pw0rd";
    let dir = std::env::temp_dir().join(format!("runway_secret_{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a working directory");

    // Malformed: retrying cannot fix it, so the server stops.
    for (name, url) in [
        ("no-scheme", format!("postgres//runway:{secret}@db/runway")),
        (
            "bad-port",
            format!("postgres://runway:{secret}@127.0.0.1:port/runway"),
        ),
    ] {
        let mut process = Process::spawn(&url, free_port(), &dir, name);
        let exit = exit_of(&mut process, Duration::from_secs(60)).await;
        let log = process.log();
        assert!(!exit.success(), "{name}: {exit}:\n{log}");
        assert!(
            !log.contains(secret),
            "{name}: the password is in the log:\n{log}"
        );
        report(&format!(
            "malformed DATABASE_URL ({name}): exited with {exit}, saying: {}",
            plain(log.lines().last().unwrap_or_default())
        ));
    }

    // Unreachable: the server keeps trying, and says so without the password.
    let url = format!(
        "postgres://runway:{secret}@127.0.0.1:{}/runway",
        free_port()
    );
    let port = free_port();
    let mut process = Process::spawn(&url, port, &dir, "unreachable");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(4) {
        if let Ok(Some(exit)) = process.child.try_wait() {
            panic!(
                "a database that is down stops the server ({exit}):\n{}",
                process.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let answer = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a client")
        .get(format!("http://127.0.0.1:{port}/api/health"))
        .send()
        .await
        .expect("the server answers while the database is down");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    let log = process.log();
    assert!(!log.is_empty(), "the outage is logged");
    assert!(!log.contains(secret), "the password is in the log:\n{log}");
    drop(process);
    let _ = std::fs::remove_dir_all(&dir);
}
