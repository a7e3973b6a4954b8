//! What this server has read lately, remembered between requests so that a
//! page need not ask the database the same question every time: who a
//! session cookie signs in, and a quarter's dashboard.
//!
//! Only on PostgreSQL, and only while the server is listening there for
//! changes, sent by triggers whoever writes: each notice on
//! [`migration::SESSION_CHANGES`] forgets the sessions, each on
//! [`migration::OKR_CHANGES`] the dashboards, and a lost connection both.
//! Every request through this server that may write (any method but GET,
//! HEAD and OPTIONS) also forgets everything once it is done, so its
//! change is seen by the very next request. A session is used again only
//! while it is live and not due a renewal; past that it is looked up, and
//! renewed or ended, as before. A dashboard is remembered for the day it was
//! read on (its pace and the quarter shown depend on the date). Without the
//! listener (SQLite, or while PostgreSQL is unreachable) nothing is
//! remembered and every request reads the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};

use super::auth::{self, CurrentSession};
use super::queries::dashboard;
use crate::model::Dashboard;

/// At most this many sessions are remembered; past it, all are forgotten
/// and remembering starts again.
const MAX_SESSIONS: usize = 10_000;

/// At most this many dashboards (one per quarter label asked for, and the
/// default one): a large quarter's is a few hundred kilobytes.
const MAX_DASHBOARDS: usize = 16;

/// How long the listener waits before connecting again after a failure, at
/// first and at most (doubling in between).
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
const RECONNECT_AFTER_AT_MOST: Duration = Duration::from_secs(30);

/// A dashboard as [`dashboard::dashboard`] reads it: by the label asked for (none
/// for the current quarter) on a day.
type DashboardKey = (Option<String>, NaiveDate);

#[derive(Debug)]
pub struct Remembered {
    /// Whether changes made elsewhere reach this server: only then is
    /// anything remembered.
    listening: AtomicBool,
    sessions: Memo<String, CurrentSession>,
    dashboards: Memo<DashboardKey, Option<Dashboard>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Remembered {
    fn drop(&mut self) {
        if let Some(task) = self.listener.get_mut().ok().and_then(Option::take) {
            task.abort();
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
                .connect_lazy_with((*options).clone());
            let task = tokio::spawn(listen(Arc::downgrade(&remembered), listener));
            *remembered.listener.lock().expect("the listener's slot") = Some(task);
        }
        remembered
    }

    /// Nothing remembered: every request reads the database.
    pub fn never() -> Arc<Remembered> {
        Arc::new(Remembered {
            listening: AtomicBool::new(false),
            sessions: Memo::new(MAX_SESSIONS),
            dashboards: Memo::new(MAX_DASHBOARDS),
            listener: Mutex::new(None),
        })
    }

    /// Whether it listens for changes (or tries to), to remember once it
    /// does: on PostgreSQL, unless made with [`Remembered::never`].
    pub fn will_listen(&self) -> bool {
        self.listener.lock().expect("the listener's slot").is_some()
    }

    /// Whether anything is being remembered (the listener is listening).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// How many times the sessions remembered have been forgotten.
    pub fn session_generation(&self) -> u64 {
        self.sessions.generation()
    }

    /// How many times the dashboards remembered have been forgotten.
    pub fn dashboard_generation(&self) -> u64 {
        self.dashboards.generation()
    }

    /// Forgets everything remembered, and any read still under way.
    pub fn forget_all(&self) {
        self.sessions.forget_all();
        self.dashboards.forget_all();
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
    ) -> Result<Option<Dashboard>, DbErr> {
        if !self.is_listening() {
            return dashboard::dashboard(db, label, today).await;
        }
        let key = (label.map(str::to_owned), today);
        let generation = self.dashboards.generation();
        if let Some(dashboard) = self.dashboards.get(&key, Clone::clone) {
            return Ok(dashboard);
        }
        let read = dashboard::dashboard(db, label, today).await?;
        self.dashboards
            .remember(key, generation, read.clone(), self.is_listening());
        Ok(read)
    }
}

/// Values by key, all forgotten at once.
#[derive(Debug)]
struct Memo<K, V> {
    /// At most this many are remembered; past it, all are forgotten and
    /// remembering starts again.
    at_most: usize,
    /// Bumped by every change that may alter what is remembered. A read
    /// notes the generation it started in, and is remembered only if that
    /// is still the current one when it ends.
    generation: AtomicU64,
    entries: Mutex<HashMap<K, V>>,
}

impl<K: Eq + Hash, V> Memo<K, V> {
    fn new(at_most: usize) -> Self {
        Memo {
            at_most,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.lock().expect("the memo").clear();
    }

    /// What `read` makes of the value remembered for `key`, if any.
    fn get<R>(&self, key: &K, read: impl FnOnce(&V) -> R) -> Option<R> {
        self.entries.lock().expect("the memo").get(key).map(read)
    }

    /// Remembers `value`, read since `generation` began, unless something
    /// changed since (what it read may be out of date) or nothing is
    /// listening for changes.
    fn remember(&self, key: K, generation: u64, value: V, listening: bool) {
        let mut entries = self.entries.lock().expect("the memo");
        if self.generation() != generation || !listening {
            return;
        }
        if entries.len() >= self.at_most {
            entries.clear();
        }
        entries.insert(key, value);
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
        }
        loop {
            let received = listener.try_recv().await;
            let Some(remembered) = remembered.upgrade() else {
                return;
            };
            match received {
                Ok(Some(notice)) if notice.channel() == migration::SESSION_CHANGES => {
                    remembered.sessions.forget_all();
                }
                Ok(Some(notice)) if notice.channel() == migration::OKR_CHANGES => {
                    remembered.dashboards.forget_all();
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
        .listen_all([migration::SESSION_CHANGES, migration::OKR_CHANGES])
        .await?;
    Ok(listener)
}
