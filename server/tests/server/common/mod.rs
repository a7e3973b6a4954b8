//! Runs the real router on a free port, for tests that talk HTTP to it, and
//! the helpers every HTTP test shares: the demo people, signing in, posting
//! server functions with or without a session, and reading the seed.

pub mod process;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::server::AppState;
use app::server::auth::AuthConfig;
use app::server::remembered::Remembered;
use chrono::NaiveDate;
use entity::{key_result, okr_user, team};
use leptos::prelude::LeptosOptions;
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::Value;
use tokio::task::JoinHandle;

/// Writes past the test harness's capture, so the figures show in the log
/// of a passing run too.
pub fn report(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A new working directory for server processes, removed by the caller.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "runway_{name}_{}",
        sea_orm::prelude::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("a working directory");
    dir
}

/// The password `ensure_demo_sign_ins` gives every demo person.
pub const DEMO_PASSWORD: &str = "runway-demo";
/// Corporate Sales, admin.
pub const EMILY: &str = "emily.davis@airline.com";
/// Direct Channel Sales, lead.
pub const SARAH: &str = "sarah.chen@airline.com";
/// Corporate Sales, lead.
pub const LISA: &str = "lisa.wang@airline.com";
/// Direct Channel Sales, member.
pub const MIKE: &str = "mike.johnson@airline.com";
/// Corporate Sales, member.
pub const JAMES: &str = "james.rodriguez@airline.com";

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "runway_session";
/// What every test client says it is, so sessions can be checked for it.
pub const USER_AGENT: &str = "runway-okr-tests/1";

// Key results of the demo seed.

/// Corporate Sales, owned by Lisa.
pub const APAC_REVENUE: &str = "Increase APAC corporate revenue from $8M to $15M";
/// Corporate Sales, owned by Emily.
pub const RENEWAL_RATE: &str = "Achieve 85% contract renewal rate (baseline: 70%)";
/// Direct Channel Sales, owned by Mike.
pub const CO_BRAND: &str = "Grow co-brand credit card sign-ups from 5,000 to 8,000 per month";
/// Direct Channel Sales, owned by Sarah.
pub const COMMISSION: &str = "Reduce third-party commission costs from 15% to 12%";
/// Direct Channel Sales, owned by Mike.
pub const CONVERSION: &str = "Increase direct booking conversion rate from 2.8% to 3.5%";

/// The server's options as `cargo leptos` would give them, minus the files.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("runway-okr")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build()
}

pub fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a calendar date")
}

/// A seeded person, by e-mail.
pub async fn person(db: &DatabaseConnection, email: &str) -> okr_user::Model {
    okr_user::Entity::find()
        .filter(okr_user::Column::Email.eq(email))
        .one(db)
        .await
        .expect("query people")
        .unwrap_or_else(|| panic!("no seeded person {email:?}"))
}

pub async fn key_result_titled(db: &DatabaseConnection, title: &str) -> key_result::Model {
    key_result::Entity::find()
        .filter(key_result::Column::Title.eq(title))
        .one(db)
        .await
        .expect("query key results")
        .unwrap_or_else(|| panic!("no seeded key result {title:?}"))
}

pub async fn team_named(db: &DatabaseConnection, name: &str) -> team::Model {
    team::Entity::find()
        .filter(team::Column::Name.eq(name))
        .one(db)
        .await
        .expect("query teams")
        .unwrap_or_else(|| panic!("no seeded team {name:?}"))
}

fn client(redirects: reqwest::redirect::Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(redirects)
        .user_agent(USER_AGENT)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A client that reports redirects instead of following them.
pub fn no_redirects() -> reqwest::Client {
    client(reqwest::redirect::Policy::none())
}

/// Every `Set-Cookie` of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect()
}

/// The `Set-Cookie` of the session cookie, if any.
pub fn session_set_cookie(cookies: &[String]) -> Option<String> {
    cookies
        .iter()
        .find(|cookie| cookie.starts_with(&format!("{SESSION_COOKIE}=")))
        .cloned()
}

/// The `runway_session=<token>` pair of a `Set-Cookie`, to send back.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("a cookie pair")
        .trim()
        .to_owned()
}

/// The `Location` of a response, or "".
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Status and JSON body of a server function's answer.
pub async fn status_and_json(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a response body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{status}: not JSON ({error}): {text}"));
    (status, body)
}

/// The router of `server::router`, served on 127.0.0.1 at a port of its own
/// until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// What the server remembers, when the test started it here.
    pub remembered: Option<Arc<Remembered>>,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(db: DatabaseConnection) -> TestServer {
        Self::start_with(db, AuthConfig::default()).await
    }

    /// The server with other sign-in settings (such as an https public URL).
    pub async fn start_with(db: DatabaseConnection, auth: AuthConfig) -> TestServer {
        Self::serve(AppState::new(leptos_options(), db, auth)).await
    }

    /// The server of `state`.
    pub async fn serve(state: AppState) -> TestServer {
        Self::serve_with(state, &server::Limits::default()).await
    }

    /// The server of `state`, with other request limits.
    pub async fn serve_with(state: AppState, limits: &server::Limits) -> TestServer {
        // As `main` serves it: with the client's address, for the session
        // rows and the sign-in limits.
        let remembered = state.remembered.clone();
        // On PostgreSQL, listening for changes before the first request, as
        // a server that has been up a moment is: whether a session or a
        // dashboard is remembered does not depend on how fast that was.
        // (Not when the test's database is down: nothing to listen to.)
        if state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
            && remembered.will_listen()
            && state.db.ping().await.is_ok()
        {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while !remembered.is_listening() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the server never listened for changes"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let app =
            server::router_with(state, limits).into_make_service_with_connect_info::<SocketAddr>();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("the bound address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        TestServer {
            addr,
            client: client(reqwest::redirect::Policy::default()),
            remembered: Some(remembered),
            task,
        }
    }

    /// How many times the server has forgotten the sessions it remembers,
    /// for [`TestServer::await_session_notice`].
    pub fn session_changes(&self) -> u64 {
        self.remembered
            .as_ref()
            .map_or(0, |remembered| remembered.session_generation())
    }

    /// After a change to sessions or people made straight in the database
    /// (as another process would), waits until the server has heard of it,
    /// as it will at once in production: its notice arrives on its own
    /// connection. Returns at once where the server remembers nothing
    /// (SQLite).
    pub async fn await_session_notice(&self, changes_before: u64) {
        self.await_notice("session", changes_before, Remembered::session_generation)
            .await;
    }

    /// How many times the server has forgotten the dashboards it
    /// remembers, for [`TestServer::await_okr_notice`].
    pub fn okr_changes(&self) -> u64 {
        self.remembered
            .as_ref()
            .map_or(0, |remembered| remembered.dashboard_generation())
    }

    /// [`TestServer::await_session_notice`] for a change to what the
    /// dashboard shows.
    pub async fn await_okr_notice(&self, changes_before: u64) {
        self.await_notice("OKR", changes_before, Remembered::dashboard_generation)
            .await;
    }

    async fn await_notice(
        &self,
        what: &str,
        changes_before: u64,
        generation: impl Fn(&Remembered) -> u64,
    ) {
        let Some(remembered) = &self.remembered else {
            return;
        };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while remembered.is_listening() && generation(remembered) == changes_before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no notice of the {what} change reached the server"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Gives the demo people their password, then starts the server.
    pub async fn with_demo_sign_ins(db: DatabaseConnection) -> TestServer {
        app::server::auth::ensure_demo_sign_ins(&db)
            .await
            .expect("demo sign-ins");
        TestServer::start(db).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// `GET path` with a `Cookie` header, not following redirects.
    pub async fn get_as(&self, path: &str, cookie: &str) -> reqwest::Response {
        no_redirects()
            .get(self.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// `POST /api/sign_in` as a fetch.
    pub async fn post_sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/sign_in",
            None,
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Signs in and returns the `runway_session=<token>` pair to send as a
    /// `Cookie` header.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self.post_sign_in(email, password).await;
        let status = response.status();
        let cookies = set_cookies(&response);
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "sign in as {email}: {body}");
        let set_cookie = session_set_cookie(&cookies)
            .unwrap_or_else(|| panic!("sign in as {email} set no session cookie: {cookies:?}"));
        cookie_pair(&set_cookie)
    }

    /// Signs a demo person in with the demo password.
    pub async fn sign_in_demo(&self, email: &str) -> String {
        self.sign_in(email, DEMO_PASSWORD).await
    }

    /// `POST /api/create_token` as the tokens page sends it, signed in
    /// with `cookie`, with the `password` entered again (none: not sent).
    pub async fn create_token(
        &self,
        cookie: &str,
        name: &str,
        expires_in_days: &str,
        password: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut fields = vec![("name", name), ("expires_in_days", expires_in_days)];
        if let Some(password) = password {
            fields.push(("password", password));
        }
        status_and_json(self.post("/api/create_token", Some(cookie), &fields).await).await
    }

    /// `POST path` form-encoded as a fetch (`Accept: application/json`),
    /// with the session `cookie` if any, not following redirects.
    pub async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = no_redirects()
            .post(self.url(path))
            .header(ACCEPT, "application/json")
            .form(fields);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request
            .send()
            .await
            .unwrap_or_else(|error| panic!("POST {path}: {error}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The pool the server opens in production (`app::server::db::connect` with
/// the environment's settings, so the defaults in a test run) on `url`.
pub async fn app_pool(url: &str) -> DatabaseConnection {
    let config =
        app::server::db::DbConfig::for_url(url.to_owned()).expect("the pool configuration");
    app::server::db::connect(&config)
        .await
        .expect("the app's pool")
}

/// A free port on 127.0.0.1, released again: for a process that binds it
/// itself.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

impl TestServer {
    /// A server the caller started itself on `addr` (with `server::serve`,
    /// say), stopped by aborting `task` when dropped.
    pub fn running(addr: SocketAddr, task: JoinHandle<()>) -> TestServer {
        TestServer {
            addr,
            client: client(reqwest::redirect::Policy::default()),
            remembered: None,
            task,
        }
    }
}

/// A seeded database, the server on it, and a session for each demo
/// person the tests act as.
pub struct World {
    pub test_db: TestDb,
    pub server: TestServer,
    /// Admin, Corporate Sales.
    pub emily: String,
    /// Lead, Corporate Sales.
    pub lisa: String,
    /// Lead, Direct Channel Sales.
    pub sarah: String,
    /// Member, Direct Channel Sales.
    pub mike: String,
}

impl World {
    pub async fn start(backend: Backend) -> Option<World> {
        let test_db = TestDb::seeded(backend).await?;
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let (emily, lisa, sarah, mike) = tokio::join!(
            server.sign_in_demo(EMILY),
            server.sign_in_demo(LISA),
            server.sign_in_demo(SARAH),
            server.sign_in_demo(MIKE),
        );
        Some(World {
            test_db,
            server,
            emily,
            lisa,
            sarah,
            mike,
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.test_db.db
    }

    pub async fn finish(self) {
        drop(self.server);
        self.test_db.close().await.expect("drop the test database");
    }
}
