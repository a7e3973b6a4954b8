//! What this server has read lately, remembered between requests so that a
//! page need not ask the database the same question every time: who a
//! session cookie signs in, a quarter's dashboard, and the dashboard page as
//! it was rendered for one viewer (see [`PageKey`]).
//!
//! That page is also remembered where nothing else is (SQLite, or
//! `DB_REMEMBER_READS=false`): there every request still reads its session
//! and the number in `okr_version`, which every committed change to what the
//! dashboard shows moves on, in its own transaction (see
//! [`crate::server::queries::dashboard::okr_version`]). The page is sent
//! again only while that number is the one read before it was rendered. A
//! page is a function of its [`PageKey`] and the data that number versions,
//! so this is never behind the database at all: it saves reading the
//! dashboard and rendering it, not asking the database.
//!
//! Only on PostgreSQL, and only while the server is listening there for
//! changes, sent by triggers whoever writes: each notice on
//! [`migration::SESSION_CHANGES`] forgets the sessions, each on
//! [`migration::OKR_CHANGES`] the dashboards, either one the pages, and a
//! lost connection all of them.
//! Every request through this server that may write (any method but GET,
//! HEAD and OPTIONS) also forgets everything once it is done, so its
//! change is seen by the very next request. A session is used again only
//! while it is live and not due a renewal; past that it is looked up, and
//! renewed or ended, as before. A dashboard is remembered for the day it was
//! read on (its pace and the quarter shown depend on the date). Without the
//! listener (SQLite, or while PostgreSQL is unreachable) nothing is
//! remembered and every request reads the database.
//!
//! A listener can go silent without its connection failing (its database
//! backend stalled, a load balancer dropping an idle flow). So each server
//! also sends itself a heartbeat notice every [`HEARTBEAT_EVERY`], and uses
//! what it remembers only while it has heard one sent within the last
//! [`TRUST_FOR`]. Notices arrive in the order they were sent, so hearing a
//! heartbeat means every change before it has been heard too: nothing
//! remembered is ever more than [`TRUST_FOR`] behind the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use chrono::{NaiveDate, NaiveDateTime};
use domain::access::Viewer;
use http::{HeaderMap, HeaderValue, StatusCode};
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use uuid::Uuid;

use super::auth::{self, CurrentSession};
use super::queries::dashboard;
use crate::model::Dashboard;

/// At most this many sessions are remembered; past it, all are forgotten
/// and remembering starts again.
const MAX_SESSIONS: usize = 10_000;

/// At most this many dashboards (one per quarter label asked for, and the
/// default one): a large quarter's is a few hundred kilobytes.
const MAX_DASHBOARDS: usize = 16;

/// At most this many bytes of rendered pages: a demo dashboard is about
/// 18 KB, a folded division's about 90 KB.
const MAX_PAGE_BYTES: usize = 32 * 1024 * 1024;

/// How long the listener waits before connecting again after a failure, at
/// first and at most (doubling in between).
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
const RECONNECT_AFTER_AT_MOST: Duration = Duration::from_secs(30);

/// The channel of the servers' heartbeats to themselves.
const HEARTBEAT: &str = "runway_heartbeat";

/// How often a server sends itself a heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// What is remembered is used only while a heartbeat sent within this long
/// has been heard: the most it can be behind the database.
pub const TRUST_FOR: Duration = Duration::from_secs(4);

/// A dashboard as [`dashboard::dashboard`] reads it: by the label asked for (none
/// for the current quarter) on a day.
type DashboardKey = (Option<String>, NaiveDate);

/// A page as it was rendered: for whom, at which address, on which day.
/// Everything a dashboard page shows follows from these and from what the
/// database holds (the sessions and the OKRs, whose changes forget it): the
/// filters are in the address, and the viewer decides the links and
/// buttons each row has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// The path and query asked for.
    pub uri: String,
    pub viewer: Viewer,
    pub today: NaiveDate,
}

/// A page's response as it was rendered, to be sent again.
#[derive(Debug, Clone)]
pub struct RememberedPage {
    headers: HeaderMap,
    /// The body, cut where the nonce was: sent again as these pieces with
    /// a fresh nonce between them, without copying them.
    pieces: Vec<Bytes>,
    /// The `okr_version` read before it was rendered, when it is remembered
    /// without listening for changes: it is sent again only at that version.
    version: Option<i64>,
    /// The Content-Security-Policy nonce it was rendered with: each
    /// response gets a fresh one.
    nonce: Option<String>,
}

impl RememberedPage {
    /// The rendered page: its headers and body, and the `okr_version` read
    /// before it was rendered if it is to be checked against the next one.
    pub fn new(headers: HeaderMap, body: Bytes, version: Option<i64>) -> RememberedPage {
        let nonce = headers
            .get(http::header::CONTENT_SECURITY_POLICY)
            .and_then(|policy| policy.to_str().ok())
            .and_then(|policy| policy.split("'nonce-").nth(1))
            .and_then(|rest| rest.split('\'').next())
            .filter(|nonce| !nonce.is_empty())
            .map(str::to_owned);
        let mut pieces = Vec::new();
        let mut from = 0;
        if let Some(nonce) = &nonce {
            // Pages are UTF-8; a body that is not is sent as it was.
            let text = std::str::from_utf8(&body).unwrap_or_default();
            for (at, _) in text.match_indices(nonce.as_str()) {
                pieces.push(body.slice(from..at));
                from = at + nonce.len();
            }
        }
        pieces.push(body.slice(from..));
        RememberedPage {
            headers,
            pieces,
            version,
            nonce,
        }
    }

    /// Its size.
    fn weight(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    /// The page as a response, under a fresh nonce: a script-src nonce must
    /// never be sent twice.
    pub fn response(&self) -> http::Response<Body> {
        let mut headers = self.headers.clone();
        let fresh = Bytes::from(Uuid::new_v4().simple().to_string());
        if let Some(old) = &self.nonce {
            let policy = headers
                .get(http::header::CONTENT_SECURITY_POLICY)
                .and_then(|policy| policy.to_str().ok())
                .map(|policy| policy.replace(old.as_str(), &String::from_utf8_lossy(&fresh)));
            if let Some(policy) = policy.and_then(|policy| HeaderValue::from_str(&policy).ok()) {
                headers.insert(http::header::CONTENT_SECURITY_POLICY, policy);
            }
        }
        let mut chunks = Vec::with_capacity(self.pieces.len() * 2);
        for (index, piece) in self.pieces.iter().enumerate() {
            if index > 0 {
                chunks.push(fresh.clone());
            }
            chunks.push(piece.clone());
        }
        let length: usize = chunks.iter().map(Bytes::len).sum();
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(length));
        let body = Body::from_stream(futures_util::stream::iter(
            chunks
                .into_iter()
                .map(Ok::<Bytes, std::convert::Infallible>),
        ));
        let mut response = http::Response::new(body);
        *response.status_mut() = StatusCode::OK;
        *response.headers_mut() = headers;
        response
    }
}

#[derive(Debug)]
pub struct Remembered {
    /// Whether changes made elsewhere reach this server: only then is
    /// anything remembered.
    listening: AtomicBool,
    sessions: Memo<String, CurrentSession>,
    dashboards: Memo<DashboardKey, Option<Arc<Dashboard>>>,
    /// Dashboard pages as rendered, forgotten with the sessions and with
    /// the dashboards.
    pages: Memo<PageKey, RememberedPage>,
    /// How many times a remembered page was sent instead of rendered.
    pages_sent_again: AtomicU64,
    /// The listener's and the heartbeat's tasks.
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Tells this server's heartbeats from other servers'.
    id: Uuid,
    /// When this was made: heartbeats carry the time since.
    born: Instant,
    /// When (ms after `born`) the newest heartbeat heard was sent; 0 for none.
    heard: AtomicU64,
}

impl Drop for Remembered {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.get_mut() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }
}

impl Remembered {
    /// What the server remembers of `db`. On PostgreSQL it starts listening
    /// for changes (a connection of its own, outside the pool) and
    /// remembers once it listens; elsewhere it never remembers anything.
    /// Must be called on a Tokio runtime.
    pub fn new(db: &DatabaseConnection) -> Arc<Remembered> {
        let remembered = Remembered::never();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let options = db.get_postgres_connection_pool().connect_options();
            let listener = PgPoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with((*options).clone().application_name(LISTENER_NAME));
            let listening = tokio::spawn(listen(Arc::downgrade(&remembered), listener));
            let beating = tokio::spawn(beat(Arc::downgrade(&remembered), db.clone()));
            remembered
                .tasks
                .lock()
                .expect("the tasks")
                .extend([listening, beating]);
        }
        remembered
    }

    /// Nothing remembered: every request reads the database.
    pub fn never() -> Arc<Remembered> {
        Arc::new(Remembered {
            listening: AtomicBool::new(false),
            sessions: Memo::new(MAX_SESSIONS),
            dashboards: Memo::new(MAX_DASHBOARDS),
            pages: Memo::weighed(MAX_PAGE_BYTES, RememberedPage::weight),
            pages_sent_again: AtomicU64::new(0),
            tasks: Mutex::new(Vec::new()),
            id: Uuid::new_v4(),
            born: Instant::now(),
            heard: AtomicU64::new(0),
        })
    }

    /// Whether it listens for changes (or tries to), to remember once it
    /// does: on PostgreSQL, unless made with [`Remembered::never`].
    pub fn will_listen(&self) -> bool {
        !self.tasks.lock().expect("the tasks").is_empty()
    }

    /// Whether anything is being remembered: the listener is listening, and
    /// has heard a heartbeat sent within [`TRUST_FOR`].
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst) && self.heard_lately()
    }

    fn since_born(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A heartbeat's payload: who sends it, and when.
    fn heartbeat(&self) -> String {
        format!("{}:{}", self.id, self.since_born().max(1))
    }

    fn heard_lately(&self) -> bool {
        let heard = self.heard.load(Ordering::SeqCst);
        let trust = u64::try_from(TRUST_FOR.as_millis()).unwrap_or(u64::MAX);
        heard > 0 && self.since_born().saturating_sub(heard) < trust
    }

    /// A heartbeat of this server's, sent `sent` ms after it was born, was
    /// heard. After a silence, whatever is remembered is forgotten first.
    fn heard_heartbeat(&self, sent: u64) {
        if !self.heard_lately() {
            self.forget_all();
        }
        self.heard.fetch_max(sent, Ordering::SeqCst);
    }

    /// How many times the sessions remembered have been forgotten.
    pub fn session_generation(&self) -> u64 {
        self.sessions.generation()
    }

    /// How many times the dashboards remembered have been forgotten.
    pub fn dashboard_generation(&self) -> u64 {
        self.dashboards.generation()
    }

    /// How many times the pages remembered have been forgotten.
    pub fn page_generation(&self) -> u64 {
        self.pages.generation()
    }

    /// Forgets everything remembered, and any read still under way.
    pub fn forget_all(&self) {
        self.pages.forget_all();
        self.sessions.forget_all();
        self.dashboards.forget_all();
    }

    /// How many times a remembered page was sent instead of rendered.
    pub fn pages_sent_again(&self) -> u64 {
        self.pages_sent_again.load(Ordering::SeqCst)
    }

    /// The page remembered for `key`, while reads are remembered.
    pub fn page(&self, key: &PageKey) -> Option<RememberedPage> {
        if !self.is_listening() {
            return None;
        }
        self.sent_again(self.pages.get(key, Clone::clone))
    }

    fn sent_again(&self, page: Option<RememberedPage>) -> Option<RememberedPage> {
        if page.is_some() {
            self.pages_sent_again.fetch_add(1, Ordering::Relaxed);
        }
        page
    }

    /// The page remembered for `key` if it was rendered at `version` of
    /// `okr_version`, just read from the database.
    pub fn page_at_version(&self, key: &PageKey, version: i64) -> Option<RememberedPage> {
        let page = self
            .pages
            .get(key, |page| {
                (page.version == Some(version)).then(|| page.clone())
            })
            .flatten();
        self.sent_again(page)
    }

    /// Remembers `page`, rendered since [`Remembered::page_generation`] was
    /// `generation`, unless something changed since. A page with the
    /// `okr_version` it was rendered at is remembered whether or not reads
    /// are: it is used only at that version.
    pub fn remember_page(&self, key: PageKey, generation: u64, page: RememberedPage) {
        let usable = page.version.is_some() || self.is_listening();
        self.pages.remember(key, generation, page, usable);
    }

    /// The session of a cookie's token at `now`: the one remembered if it is
    /// still good, else looked up (and renewed or ended) by
    /// [`auth::resolve_session`] and remembered.
    pub async fn session(
        &self,
        db: &DatabaseConnection,
        token: &str,
        now: NaiveDateTime,
    ) -> Result<Option<CurrentSession>, DbErr> {
        if !self.is_listening() {
            return auth::resolve_session(db, token, now).await;
        }
        let key = auth::token_hash(token);
        let generation = self.sessions.generation();
        let remembered = self.sessions.get(&key, |session| {
            session.still_live_at(now).then(|| CurrentSession {
                renewed_until: None,
                ..session.clone()
            })
        });
        if let Some(session) = remembered.flatten() {
            return Ok(Some(session));
        }
        let found = auth::resolve_session(db, token, now).await?;
        if let Some(session) = &found {
            self.sessions
                .remember(key, generation, session.clone(), self.is_listening());
        }
        Ok(found)
    }

    /// The dashboard of the quarter `label` (else the current one) on
    /// `today`: the one remembered, else read by [`dashboard::dashboard`] and
    /// remembered.
    pub async fn dashboard(
        &self,
        db: &DatabaseConnection,
        label: Option<&str>,
        today: NaiveDate,
    ) -> Result<Option<Arc<Dashboard>>, DbErr> {
        if !self.is_listening() {
            return Ok(dashboard::dashboard(db, label, today).await?.map(Arc::new));
        }
        let key = (label.map(str::to_owned), today);
        let generation = self.dashboards.generation();
        if let Some(dashboard) = self.dashboards.get(&key, Clone::clone) {
            return Ok(dashboard);
        }
        let read = dashboard::dashboard(db, label, today).await?.map(Arc::new);
        self.dashboards
            .remember(key, generation, read.clone(), self.is_listening());
        Ok(read)
    }
}

/// Values by key, all forgotten at once.
#[derive(Debug)]
struct Memo<K, V> {
    /// At most this much weight is remembered; past it, all is forgotten
    /// and remembering starts again.
    at_most: usize,
    /// What one value weighs: 1, or its size.
    weight: fn(&V) -> usize,
    /// Bumped by every change that may alter what is remembered. A read
    /// notes the generation it started in, and is remembered only if that
    /// is still the current one when it ends.
    generation: AtomicU64,
    entries: Mutex<Entries<K, V>>,
}

#[derive(Debug)]
struct Entries<K, V> {
    values: HashMap<K, V>,
    /// Their weight together.
    weight: usize,
}

impl<K: Eq + Hash, V> Memo<K, V> {
    /// At most `at_most` values.
    fn new(at_most: usize) -> Self {
        Memo::weighed(at_most, |_| 1)
    }

    /// At most `at_most` of the values' `weight` together.
    fn weighed(at_most: usize, weight: fn(&V) -> usize) -> Self {
        Memo {
            at_most,
            weight,
            generation: AtomicU64::new(0),
            entries: Mutex::new(Entries {
                values: HashMap::new(),
                weight: 0,
            }),
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let mut entries = self.entries.lock().expect("the memo");
        entries.values.clear();
        entries.weight = 0;
    }

    /// What `read` makes of the value remembered for `key`, if any.
    fn get<R>(&self, key: &K, read: impl FnOnce(&V) -> R) -> Option<R> {
        self.entries
            .lock()
            .expect("the memo")
            .values
            .get(key)
            .map(read)
    }

    /// Remembers `value`, read since `generation` began, unless something
    /// changed since (what it read may be out of date) or nothing is
    /// listening for changes.
    fn remember(&self, key: K, generation: u64, value: V, listening: bool) {
        let mut entries = self.entries.lock().expect("the memo");
        let weight = (self.weight)(&value);
        if self.generation() != generation || !listening || weight > self.at_most {
            return;
        }
        if entries.weight + weight > self.at_most {
            entries.values.clear();
            entries.weight = 0;
        }
        if let Some(old) = entries.values.insert(key, value) {
            entries.weight -= (self.weight)(&old);
        }
        entries.weight += weight;
    }
}

/// Listens for changes for as long as `remembered` lives: each notice
/// forgets what its channel covers, and each time the connection was lost
/// (notices may have been missed) everything is forgotten.
async fn listen(remembered: Weak<Remembered>, pool: sea_orm::sqlx::PgPool) {
    let mut wait = RECONNECT_AFTER;
    loop {
        let mut listener = match connect(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for changes; reading the database on every request");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_AFTER_AT_MOST);
                continue;
            }
        };
        wait = RECONNECT_AFTER;
        // Listening now: whatever changed before is forgotten.
        {
            let Some(remembered) = remembered.upgrade() else {
                return;
            };
            remembered.forget_all();
            remembered.listening.store(true, Ordering::SeqCst);
            // A first heartbeat at once, on this very connection, so that
            // remembering starts now rather than at the next beat.
            let hello = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                .bind(HEARTBEAT)
                .bind(remembered.heartbeat())
                .execute(&mut listener)
                .await;
            if let Err(error) = hello {
                tracing::debug!(%error, "could not send the first heartbeat");
            }
        }
        loop {
            let received = listener.try_recv().await;
            let Some(remembered) = remembered.upgrade() else {
                return;
            };
            match received {
                Ok(Some(notice)) if notice.channel() == migration::SESSION_CHANGES => {
                    // The pages first: whoever sees the sessions forgotten
                    // finds the pages forgotten too.
                    remembered.pages.forget_all();
                    remembered.sessions.forget_all();
                }
                Ok(Some(notice)) if notice.channel() == migration::OKR_CHANGES => {
                    remembered.pages.forget_all();
                    remembered.dashboards.forget_all();
                }
                Ok(Some(notice)) if notice.channel() == HEARTBEAT => {
                    if let Some(sent) = heartbeat_of(notice.payload(), remembered.id) {
                        remembered.heard_heartbeat(sent);
                    }
                }
                Ok(Some(_)) => remembered.forget_all(),
                // The connection was lost, and has been opened again:
                // notices in between were missed.
                Ok(None) => {
                    remembered.forget_all();
                    tracing::info!("listening for changes again");
                }
                Err(error) => {
                    remembered.listening.store(false, Ordering::SeqCst);
                    remembered.forget_all();
                    tracing::warn!(%error, "stopped listening for changes; reading the database on every request");
                    break;
                }
            }
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn connect(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener
        .listen_all([
            migration::SESSION_CHANGES,
            migration::OKR_CHANGES,
            HEARTBEAT,
        ])
        .await?;
    Ok(listener)
}

/// The `application_name` of the listener's connection, so an operator
/// (or a test) can find it in `pg_stat_activity`.
pub const LISTENER_NAME: &str = "runway-okr listener";

/// Sends this server's heartbeat through the pool every
/// [`HEARTBEAT_EVERY`], for as long as `remembered` lives.
async fn beat(remembered: Weak<Remembered>, db: DatabaseConnection) {
    let mut every = tokio::time::interval(HEARTBEAT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(payload) = remembered
            .upgrade()
            .map(|remembered| remembered.heartbeat())
        else {
            return;
        };
        let notify = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [HEARTBEAT.into(), payload.into()],
        );
        if let Err(error) = db.execute_raw(notify).await {
            tracing::debug!(%error, "could not send a heartbeat");
        }
    }
}

/// When a heartbeat was sent, if it is `id`'s: its payload is `<id>:<ms>`.
fn heartbeat_of(payload: &str, id: Uuid) -> Option<u64> {
    let (sender, sent) = payload.split_once(':')?;
    (Uuid::parse_str(sender).ok()? == id)
        .then(|| sent.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_sent_again_under_a_fresh_nonce() {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "script-src 'self' 'nonce-OLD1'; style-src 'self' 'nonce-OLD1'",
            ),
        );
        let body = r#"<style nonce="OLD1">p{}</style><script nonce="OLD1">x</script>"#;
        let page = RememberedPage::new(headers, Bytes::from(body), None);
        // Cut where the nonce was, twice.
        assert_eq!(page.pieces.len(), 3);
        assert_eq!(&page.pieces[1][..], b"\">p{}</style><script nonce=\"");
        let [first, second] = [page.response(), page.response()].map(|response| {
            let policy = response.headers()[http::header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_owned();
            assert_eq!(response.status(), StatusCode::OK);
            // The body's length with the fresh nonce (32 characters) twice.
            assert_eq!(
                response.headers()[http::header::CONTENT_LENGTH],
                (body.len() - 2 * 4 + 2 * 32).to_string()
            );
            assert!(!policy.contains("OLD1"), "{policy}");
            policy
        });
        assert_ne!(first, second, "each response its own nonce");
        let nonce = first
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap();
        assert_eq!(nonce.len(), 32);
        assert_eq!(first.matches(nonce).count(), 2);
    }

    #[test]
    fn past_its_budget_a_memo_starts_afresh() {
        let memo: Memo<u8, Vec<u8>> = Memo::weighed(10, Vec::len);
        memo.remember(1, 0, vec![0; 4], true);
        memo.remember(2, 0, vec![0; 4], true);
        assert_eq!(memo.get(&1, Vec::len), Some(4));
        // 4 + 4 + 4 > 10: all forgotten, then the new one kept.
        memo.remember(3, 0, vec![0; 4], true);
        assert_eq!(memo.get(&1, Vec::len), None);
        assert_eq!(memo.get(&3, Vec::len), Some(4));
        // Larger than the whole budget, or read before a change: not kept.
        memo.remember(4, 0, vec![0; 11], true);
        assert_eq!(memo.get(&4, Vec::len), None);
        memo.forget_all();
        memo.remember(5, 0, vec![0; 1], true);
        assert_eq!(memo.get(&5, Vec::len), None, "read in generation 0, now 1");
        memo.remember(5, 1, vec![0; 1], false);
        assert_eq!(memo.get(&5, Vec::len), None, "not listening");
    }

    #[test]
    fn only_this_servers_heartbeats_count() {
        let me = Uuid::new_v4();
        assert_eq!(heartbeat_of(&format!("{me}:1500"), me), Some(1500));
        assert_eq!(heartbeat_of(&format!("{}:1500", Uuid::new_v4()), me), None);
        assert_eq!(heartbeat_of("nonsense", me), None);
        assert_eq!(heartbeat_of(&format!("{me}:soon"), me), None);
    }

    #[test]
    fn nothing_is_trusted_without_a_recent_heartbeat() {
        let remembered = Remembered::never();
        remembered.listening.store(true, Ordering::SeqCst);
        assert!(!remembered.is_listening(), "no heartbeat heard yet");
        remembered.heard_heartbeat(remembered.since_born().max(1));
        assert!(remembered.is_listening());

        // Born ten seconds ago; the last heartbeat heard was sent then.
        let mut stale = Arc::try_unwrap(Remembered::never()).expect("the only owner");
        stale.born = Instant::now()
            .checked_sub(Duration::from_secs(10))
            .expect("a clock ten seconds old");
        stale.listening.store(true, Ordering::SeqCst);
        stale.heard.store(1, Ordering::SeqCst);
        stale.sessions.entries.lock().unwrap().values.insert(
            "token".into(),
            CurrentSession {
                session_id: "s".into(),
                user_id: "u".into(),
                viewer: domain::access::Viewer {
                    name: "n".into(),
                    email: "e".into(),
                    member: None,
                },
                renewed_until: None,
                expires_at: NaiveDateTime::MAX,
                updated_at: NaiveDateTime::MIN,
            },
        );
        assert!(!stale.is_listening(), "silent for longer than TRUST_FOR");
        // Heard again: what was remembered before the silence is forgotten.
        stale.heard_heartbeat(stale.since_born());
        assert!(stale.is_listening());
        assert!(stale.sessions.entries.lock().unwrap().values.is_empty());
    }
}
