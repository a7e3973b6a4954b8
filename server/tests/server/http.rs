//! The server over real HTTP: the health check (up, down, and recovering
//! without a restart, and open to everyone), the server-rendered dashboard
//! page, and the dashboard server function (both for signed-in people).

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::Dashboard;
use app::server::db::{DbConfig, connect};
use common::{CONVERSION, MIKE, TestServer, key_result_titled};
use migration::testing::{Backend, TestDb, postgres_admin_url};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The ten key results and three objectives of the demo seed.
const SEEDED_KEY_RESULTS: [&str; 10] = [
    "Increase direct booking conversion rate from 2.8% to 3.5%",
    "Grow mobile app bookings from $12M to $18M",
    "Reduce third-party commission costs from 15% to 12%",
    "Sign 25 new corporate accounts (baseline: 0)",
    "Increase APAC corporate revenue from $8M to $15M",
    "Achieve 85% contract renewal rate (baseline: 70%)",
    "Reduce average sales cycle from 90 to 60 days",
    "Grow co-brand credit card sign-ups from 5,000 to 8,000 per month",
    "Increase loyalty member redemption rate from 18% to 25%",
    "Boost partner airline bookings from $3M to $5M",
];

const SEEDED_OBJECTIVES: [&str; 3] = [
    "Grow Direct Channel Revenue",
    "Expand Corporate Sales in APAC",
    "Increase Loyalty Co-brand Revenue",
];

/// Text as it appears escaped in an HTML text node.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn json(response: reqwest::Response) -> Value {
    let text = response.text().await.expect("a response body");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {body}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn assert_rfc3339(body: &Value) {
    let timestamp = body["timestamp"]
        .as_str()
        .unwrap_or_else(|| panic!("no timestamp string: {body}"));
    chrono::DateTime::parse_from_rfc3339(timestamp)
        .unwrap_or_else(|error| panic!("timestamp {timestamp:?} is not RFC 3339: {error}"));
}

fn assert_healthy(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(body), ["database", "status", "timestamp"], "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "connected");
    assert_rfc3339(body);
}

fn assert_unhealthy(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        keys(body),
        ["database", "error", "status", "timestamp"],
        "{body}"
    );
    assert_eq!(body["status"], "error");
    assert_eq!(body["database"], "disconnected");
    let error = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error string: {body}"));
    assert!(!error.trim().is_empty(), "{body}");
    assert_rfc3339(body);
}

async fn health(server: &TestServer) -> (StatusCode, Value) {
    let response = server.get("/api/health").await;
    let status = response.status();
    (status, json(response).await)
}

// ---------------------------------------------------------------------------
// Health.
// ---------------------------------------------------------------------------

migration::backend_test!(health_reports_a_connected_database, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let server = TestServer::start(test_db.db.clone()).await;

    let response = server.get("/api/health").await;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let status = response.status();
    let body = json(response).await;
    assert_healthy(status, &body);
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type:?}"
    );

    drop(server);
    test_db.close().await.expect("drop the test database");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_an_unreachable_database_quickly() {
    // Port 1 refuses connections; the pool is lazy, so the server still starts.
    let config = DbConfig::for_url("postgres://postgres@127.0.0.1:1/nowhere".into())
        .expect("the pool configuration");
    let db = connect(&config).await.expect("a lazy pool opens anyway");
    let server = TestServer::start(db.clone()).await;

    for _ in 0..2 {
        let started = Instant::now();
        let (status, body) = health(&server).await;
        let elapsed = started.elapsed();
        println!("unreachable database: {status} in {elapsed:?}: {body}");
        assert_unhealthy(status, &body);
        assert!(
            elapsed < Duration::from_secs(2),
            "the health check took {elapsed:?}; it must answer within 2 s"
        );
    }

    drop(server);
    db.close().await.ok();
}

/// A TCP relay to PostgreSQL that can be switched off (closing its port and
/// every live connection) and on again at the same address.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    accept: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let mut proxy = Proxy {
            addr: listener.local_addr().expect("the proxy address"),
            upstream,
            accept: None,
            connections: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let connections = self.connections.clone();
        self.accept = Some(tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let upstream = upstream.clone();
                let relay = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().expect("connections").push(relay);
            }
        }));
    }

    /// Stops listening and cuts every relayed connection; returns once all
    /// their sockets are closed.
    async fn switch_off(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
        let live = std::mem::take(&mut *self.connections.lock().expect("connections"));
        for relay in &live {
            relay.abort();
        }
        for relay in live {
            let _ = relay.await;
        }
    }

    async fn switch_on(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(error) if Instant::now() < deadline => {
                    eprintln!("proxy: rebinding {}: {error}; retrying", self.addr);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("proxy: cannot rebind {}: {error}", self.addr),
            }
        };
        self.serve(listener);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        if let Ok(live) = self.connections.lock() {
            for relay in live.iter() {
                relay.abort();
            }
        }
    }
}

/// `url` with its `host:port` replaced by `addr`; also returns the old one.
fn through(url: &str, addr: SocketAddr) -> (String, String) {
    let scheme_end = url.find("://").expect("a URL with a scheme") + 3;
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let upstream = authority[host_start..].to_owned();
    let proxied = format!(
        "{}{}{addr}{}",
        &url[..scheme_end],
        &authority[..host_start],
        &rest[authority_end..]
    );
    (proxied, upstream)
}

#[test]
fn urls_are_pointed_through_the_proxy() {
    let addr: SocketAddr = "127.0.0.1:4242".parse().unwrap();
    assert_eq!(
        through("postgres://postgres@127.0.0.1:5432/runway_test_x", addr),
        (
            "postgres://postgres@127.0.0.1:4242/runway_test_x".to_owned(),
            "127.0.0.1:5432".to_owned()
        )
    );
    assert_eq!(
        through("postgres://u:p@db.example:6543/x?sslmode=disable", addr),
        (
            "postgres://u:p@127.0.0.1:4242/x?sslmode=disable".to_owned(),
            "db.example:6543".to_owned()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_recovers_when_the_database_comes_back() {
    // Skips without PostgreSQL, but panics under CI=true.
    if postgres_admin_url().is_none() {
        eprintln!("skipped: set RUNWAY_TEST_POSTGRES_URL to run on PostgreSQL");
        return;
    }
    let test_db = TestDb::migrated(Backend::Postgres)
        .await
        .expect("a PostgreSQL test database");
    let (_, upstream) = through(&test_db.url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(upstream).await;
    let (proxied_url, _) = through(&test_db.url, proxy.addr);

    let db = connect(&DbConfig::for_url(proxied_url).expect("the pool configuration"))
        .await
        .expect("a lazy pool");
    let server = TestServer::start(db.clone()).await;

    let (status, body) = health(&server).await;
    assert_healthy(status, &body);

    proxy.switch_off().await;
    let started = Instant::now();
    let (status, body) = health(&server).await;
    println!("database gone: {status} in {:?}: {body}", started.elapsed());
    assert_unhealthy(status, &body);

    proxy.switch_on().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let started = Instant::now();
    loop {
        let (status, body) = health(&server).await;
        if status == StatusCode::OK {
            assert_healthy(status, &body);
            println!("database back: healthy again after {:?}", started.elapsed());
            break;
        }
        assert_unhealthy(status, &body);
        assert!(
            Instant::now() < deadline,
            "still unhealthy 10 s after the database came back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    drop(server);
    db.close().await.ok();
    drop(proxy);
    test_db.close().await.expect("drop the test database");
}

// ---------------------------------------------------------------------------
// The dashboard page and its server function.
// ---------------------------------------------------------------------------

migration::backend_test!(
    the_dashboard_page_is_complete_without_javascript,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;

        let response = server.get_as("/", &session).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.expect("the page");

        for title in SEEDED_KEY_RESULTS {
            assert!(
                html.contains(&html_text(title)),
                "key result {title:?} is missing"
            );
        }
        for title in SEEDED_OBJECTIVES {
            assert!(
                html.contains(&html_text(title)),
                "objective {title:?} is missing"
            );
        }
        for team in ["Corporate Sales", "Direct Channel Sales"] {
            assert!(html.contains(team), "team {team:?} is missing");
        }
        assert_eq!(
            html.matches(r#"class="sparkline""#).count(),
            10,
            "one sparkline per key result"
        );
        assert_eq!(html.matches(r#"class="key-result""#).count(), 10);
        assert_eq!(html.matches(r#"class="objective""#).count(), 3);
        assert!(html.contains("2025-Q1"));
        assert!(
            !html.contains("Loading OKRs"),
            "the page was sent before its data"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    an_ended_quarters_dashboard_says_reached_or_missed_not_at_risk_or_stale,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;
        let page = || async {
            let response = server.get_as("/?quarter=2025-Q1", &session).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.expect("the page")
        };
        let reached = r#"<span class="flag flag-reached">Reached</span>"#;
        let missed = r#"<span class="flag flag-risk">Missed</span>"#;

        // 2025-Q1 ended on Mar 31: every row has its outcome, and pace and
        // staleness are no longer flagged.
        let html = page().await;
        let outcomes = (html.matches(reached).count(), html.matches(missed).count());
        assert_eq!(outcomes.0 + outcomes.1, 10, "one outcome a row");
        assert!(
            !html.contains(">At risk</span>"),
            "an ended quarter flags risk"
        );
        assert!(
            !html.contains(r#"class="flag flag-stale""#),
            "an ended quarter flags staleness"
        );

        // Reaching the target on its last day turns one Missed into Reached.
        let conversion = key_result_titled(db, CONVERSION).await;
        let saved = server
            .post(
                "/api/check_in",
                Some(&session),
                &[
                    ("key_result_id", &conversion.id.to_string()),
                    ("value", "3.5"),
                    ("confidence", "2"),
                    ("note", "Target reached"),
                    ("date", "2025-03-31"),
                ],
            )
            .await;
        assert_eq!(saved.status(), StatusCode::OK);
        let html = page().await;
        assert_eq!(
            (html.matches(reached).count(), html.matches(missed).count()),
            (outcomes.0 + 1, outcomes.1 - 1)
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    the_reviews_forecast_gap_of_a_percentage_is_in_points,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;

        let response = server.get_as("/quarters/2025-Q1/review", &session).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.expect("the page");
        // The seeded percentage key results (renewal rate, commission,
        // conversion) end away from their forecasts: by points, not percent.
        assert!(
            html.contains(" pp below)") || html.contains(" pp above)"),
            "{html}"
        );
        assert!(
            !html.contains("% below)") && !html.contains("% above)"),
            "{html}"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(an_unknown_quarter_is_a_404_page, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
    let session = server.sign_in_demo(MIKE).await;

    let response = server.get_as("/?quarter=1999-Q4", &session).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.expect("the page");
    assert!(html.contains("Not found"), "{html}");
    assert!(
        html.contains(r#"quarter "1999-Q4" was not found"#),
        "the page does not say the quarter was not found: {html}"
    );
    assert!(!html.contains(r#"class="key-result""#));

    drop(server);
    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    the_dashboard_server_function_answers_get,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;

        let response = server
            .get_as("/api/dashboard?quarter=2025-Q1", &session)
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(response).await;
        let dashboard: Dashboard = serde_json::from_value(body.clone())
            .unwrap_or_else(|error| panic!("not a dashboard ({error}): {body}"));
        assert_eq!(
            dashboard.quarter.as_ref().map(|q| q.label.as_str()),
            Some("2025-Q1")
        );
        let teams: Vec<&str> = dashboard.teams.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(teams, ["Corporate Sales", "Direct Channel Sales"]);
        let key_results = dashboard
            .teams
            .iter()
            .flat_map(|team| &team.objectives)
            .flat_map(|objective| &objective.key_results)
            .count();
        assert_eq!(key_results, 10);

        let missing = server
            .get_as("/api/dashboard?quarter=1999-Q4", &session)
            .await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_reports_an_unreachable_database() {
    let config = DbConfig::for_url("postgres://postgres@127.0.0.1:1/nowhere".into())
        .expect("the pool configuration");
    let db = connect(&config).await.expect("a lazy pool opens anyway");
    let server = TestServer::start(db.clone()).await;

    // A browser that was signed in: its session cannot be looked up, which
    // is an outage, not a reason to send it to sign in again.
    let session = "runway_session=a-token-from-before-the-outage";
    let page = server.get_as("/", session).await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = page.text().await.expect("the page");
    assert!(html.contains("Database unavailable"), "{html}");
    assert!(!html.contains(r#"class="key-result""#));

    let api = server
        .get_as("/api/dashboard?quarter=2025-Q1", session)
        .await;
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);

    drop(server);
    db.close().await.ok();
}

// Leptos stops every resource of the process from loading while it works out
// a route list (a global flag), and a page whose data started loading then
// never finished. Building another router while pages render (a second
// server, or the tests' many) must not stall them.
migration::backend_test!(
    building_another_router_does_not_stall_pages,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;

        let building = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let builder = {
            let building = Arc::clone(&building);
            let db = test_db.db.clone();
            let runtime = tokio::runtime::Handle::current();
            std::thread::spawn(move || {
                let _runtime = runtime.enter();
                let mut built = 0_u32;
                while building.load(std::sync::atomic::Ordering::Relaxed) {
                    let state = app::server::AppState::new(
                        common::leptos_options(),
                        db.clone(),
                        app::server::auth::AuthConfig::default(),
                    );
                    drop(server::router(state));
                    built += 1;
                }
                built
            })
        };
        for request in 0..60 {
            let response =
                tokio::time::timeout(Duration::from_secs(10), server.get_as("/", &session))
                    .await
                    .unwrap_or_else(|_| panic!("page {request} stalled while a router was built"));
            assert_eq!(response.status(), StatusCode::OK);
            let html = response.text().await.expect("the page");
            assert_eq!(html.matches(r#"class="key-result""#).count(), 10);
        }
        building.store(false, std::sync::atomic::Ordering::Relaxed);
        let built = builder.join().expect("the router builder");
        assert!(built > 0, "no router was built alongside the pages");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Pages take turns.
// ---------------------------------------------------------------------------

/// How many handlers run at once, and the most that ever did.
#[derive(Default)]
struct Occupancy {
    now: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
}

impl Occupancy {
    async fn visit(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.now.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.now.fetch_sub(1, SeqCst);
    }

    fn most(&self) -> usize {
        self.most.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// `router` behind `pages_in_turn` with two turns, served on a free port:
/// its base URL and the serving task.
async fn serve_in_two_turns(router: axum::Router) -> (String, JoinHandle<()>) {
    let router = router.layer(axum::middleware::from_fn_with_state(
        Arc::new(tokio::sync::Semaphore::new(2)),
        app::server::http::middleware::pages_in_turn,
    ));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let serving = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    (base, serving)
}

/// `pages_in_turn` over real HTTP: twelve page loads at once with two turns
/// run at most two at a time and all succeed; server functions and static
/// files do not wait for a turn.
#[tokio::test]
async fn pages_wait_their_turn_and_other_requests_do_not() {
    use axum::routing::{get, post};
    let pages = Arc::new(Occupancy::default());
    let functions = Arc::new(Occupancy::default());
    let files = Arc::new(Occupancy::default());
    let (p, f, s) = (pages.clone(), functions.clone(), files.clone());
    let router = axum::Router::new()
        .route("/", get(move || async move { p.visit().await }))
        .route("/api/work", post(move || async move { f.visit().await }))
        .route("/style.css", get(move || async move { s.visit().await }));
    let (base, serving) = serve_in_two_turns(router).await;
    let client = reqwest::Client::new();
    let mut requests = Vec::new();
    for _ in 0..12 {
        for (method, path) in [
            (reqwest::Method::GET, "/"),
            (reqwest::Method::POST, "/api/work"),
            (reqwest::Method::GET, "/style.css"),
        ] {
            let request = client.request(method, format!("{base}{path}")).send();
            requests.push(tokio::spawn(request));
        }
    }
    for request in requests {
        let response = request.await.expect("a task").expect("a response");
        assert_eq!(response.status(), StatusCode::OK);
    }
    serving.abort();
    assert_eq!(pages.most(), 2, "pages at once");
    assert!(
        functions.most() > 2,
        "server functions at once: {}",
        functions.most()
    );
    assert!(files.most() > 2, "static files at once: {}", files.most());
}

/// A page rendered in parts (as Leptos streams it) goes out whole, with its
/// length, in its turn; other streamed responses stay streamed.
#[tokio::test]
async fn a_streamed_page_goes_out_whole_with_its_length() {
    use axum::body::Body;
    use axum::routing::get;
    fn parts(content_type: &'static str) -> axum::response::Response {
        let chunks = ["<!DOCTYPE html><html>", "<body>rows</body>", "</html>"]
            .map(|chunk| Ok::<_, std::io::Error>(chunk.to_owned()));
        axum::response::Response::builder()
            .header(http::header::CONTENT_TYPE, content_type)
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .expect("a response")
    }
    let router = axum::Router::new()
        .route("/", get(|| async { parts("text/html; charset=utf-8") }))
        .route("/export.csv", get(|| async { parts("text/csv") }));
    let (base, serving) = serve_in_two_turns(router).await;
    let page = reqwest::get(format!("{base}/")).await.expect("the page");
    assert_eq!(page.status(), StatusCode::OK);
    let length = page.headers().get(http::header::CONTENT_LENGTH).cloned();
    assert!(
        page.headers()
            .get(http::header::TRANSFER_ENCODING)
            .is_none()
    );
    let body = page.text().await.expect("its body");
    assert_eq!(body, "<!DOCTYPE html><html><body>rows</body></html>");
    assert_eq!(
        length.expect("a Content-Length"),
        body.len().to_string().as_str()
    );
    let export = reqwest::get(format!("{base}/export.csv"))
        .await
        .expect("the export");
    assert!(export.headers().get(http::header::CONTENT_LENGTH).is_none());
    assert_eq!(
        export
            .headers()
            .get(http::header::TRANSFER_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"chunked"[..])
    );
    serving.abort();
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_hsts_behind_https() {
    let test_db = TestDb::migrated(Backend::Sqlite)
        .await
        .expect("a SQLite database");
    let plain = TestServer::start(test_db.db.clone()).await;
    let https = TestServer::start_with(
        test_db.db.clone(),
        app::server::auth::AuthConfig {
            public_url: Some("https://okr.example.com".into()),
            ..app::server::auth::AuthConfig::default()
        },
    )
    .await;
    for path in [
        "/sign-in",
        "/api/health",
        "/api/v1/quarters",
        "/no-such-page",
    ] {
        for (server, hsts) in [(&plain, false), (&https, true)] {
            let response = server.get(path).await;
            let headers = response.headers();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(header("x-frame-options"), "DENY", "{path}");
            assert_eq!(header("referrer-policy"), "same-origin", "{path}");
            let policy = header("content-security-policy");
            for directive in [
                "default-src 'self'",
                "script-src 'self' 'wasm-unsafe-eval'",
                "style-src 'self'",
                "object-src 'none'",
                "frame-ancestors 'none'",
            ] {
                assert!(
                    policy.contains(directive),
                    "{path}: {directive} in {policy}"
                );
            }
            assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
            assert_eq!(
                headers.contains_key("strict-transport-security"),
                hsts,
                "{path}: HSTS only behind https"
            );
            // Server functions and the API may answer a secret: never cached.
            assert_eq!(
                header("cache-control") == "no-store",
                path.starts_with("/api/") && !path.starts_with("/api/v1/openapi"),
                "{path}: {}",
                header("cache-control")
            );
        }
    }
    // A page's policy names the nonce of its own inline scripts, and only
    // that page's: each page gets a new one.
    let nonce_of = |policy: &str| {
        policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .map(str::to_owned)
    };
    let page = plain.get("/sign-in").await;
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let nonce = nonce_of(&policy).expect("the page's policy names a nonce");
    let html = page.text().await.expect("the page");
    assert!(
        html.contains(&format!("<script nonce=\"{nonce}\">")),
        "{html}"
    );
    // Its stylesheet is in the page, allowed by the same nonce (and only
    // by it: no other inline style is).
    assert!(
        policy.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
        "{policy}"
    );
    assert!(
        html.contains(&format!("<style nonce=\"{nonce}\">")) && html.contains(".brand-line"),
        "the stylesheet inline: {html}"
    );
    let again = plain.get("/sign-in").await;
    let again = again
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .and_then(nonce_of);
    assert_ne!(
        again.as_deref(),
        Some(nonce.as_str()),
        "a new nonce each page"
    );

    // The pages that show a secret are never cached, signed out or not.
    for path in [
        "/settings/tokens",
        "/admin/people",
        "/invite/abc",
        "/reset/abc",
    ] {
        let response = common::no_redirects()
            .get(plain.url(path))
            .send()
            .await
            .expect("GET");
        assert_eq!(
            response
                .headers()
                .get("cache-control")
                .and_then(|value| value.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
    }
    drop((plain, https));
    test_db.close().await.expect("drop the test database");
}
