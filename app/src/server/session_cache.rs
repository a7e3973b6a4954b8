//! The sessions this server has looked up, remembered between requests so
//! that a page need not ask the database who is signed in every time.
//!
//! Only on PostgreSQL, and only while the server is listening there for
//! changes ([`migration::SESSION_CHANGES`], sent by triggers whoever writes):
//! every notice forgets everything remembered, and so does every request
//! through this server that may write (any method but GET, HEAD and
//! OPTIONS). A session is used again only while it is live and not due a
//! renewal; past that it is looked up, and renewed or ended, as before.
//! Without the listener (SQLite, or while PostgreSQL is unreachable)
//! nothing is remembered and every request looks its session up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::NaiveDateTime;
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr};

use super::auth::{self, CurrentSession};

/// At most this many sessions are remembered; past it, all are forgotten
/// and remembering starts again.
const MAX_REMEMBERED: usize = 10_000;

/// How long the listener waits before connecting again after a failure, at
/// first and at most (doubling in between).
const RECONNECT_AFTER: Duration = Duration::from_secs(1);
const RECONNECT_AFTER_AT_MOST: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct SessionCache {
    /// Bumped by every change that may alter what a session resolves to.
    /// A lookup remembers the generation it started in, and is used only
    /// while that is still the current one.
    generation: AtomicU64,
    /// Whether changes made elsewhere reach this server: only then is
    /// anything remembered.
    listening: AtomicBool,
    /// By the hash of the cookie's token, as the database keeps it.
    remembered: Mutex<HashMap<String, (u64, CurrentSession)>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for SessionCache {
    fn drop(&mut self) {
        if let Some(task) = self.listener.get_mut().ok().and_then(Option::take) {
            task.abort();
        }
    }
}

impl SessionCache {
    /// A cache for `db`. On PostgreSQL it starts listening for changes (a
    /// connection of its own, outside the pool) and remembers sessions once
    /// it listens; elsewhere it never remembers anything. Must be called on
    /// a Tokio runtime.
    pub fn new(db: &DatabaseConnection) -> Arc<SessionCache> {
        let cache = Arc::new(SessionCache::default());
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let options = db.get_postgres_connection_pool().connect_options();
            let listener = PgPoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_lazy_with((*options).clone());
            let task = tokio::spawn(listen(Arc::downgrade(&cache), listener));
            *cache.listener.lock().expect("the listener's slot") = Some(task);
        }
        cache
    }

    /// Whether sessions are being remembered (the listener is listening).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// How many times everything remembered has been forgotten.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Forgets every session remembered, and any lookup still under way.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.remembered.lock().expect("the sessions").clear();
    }

    /// The session of a cookie's token at `now`: the one remembered if it is
    /// still good, else looked up (and renewed or ended) by
    /// [`auth::resolve_session`] and remembered.
    pub async fn resolve(
        &self,
        db: &DatabaseConnection,
        token: &str,
        now: NaiveDateTime,
    ) -> Result<Option<CurrentSession>, DbErr> {
        if !self.is_listening() {
            return auth::resolve_session(db, token, now).await;
        }
        let key = auth::token_hash(token);
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(session) = self.remembered(&key, generation, now) {
            return Ok(Some(session));
        }
        let found = auth::resolve_session(db, token, now).await?;
        if let Some(session) = &found {
            self.remember(key, generation, session);
        }
        Ok(found)
    }

    fn remembered(&self, key: &str, generation: u64, now: NaiveDateTime) -> Option<CurrentSession> {
        let remembered = self.remembered.lock().expect("the sessions");
        let (at, session) = remembered.get(key)?;
        (*at == generation && session.still_live_at(now)).then(|| CurrentSession {
            renewed_until: None,
            ..session.clone()
        })
    }

    fn remember(&self, key: String, generation: u64, session: &CurrentSession) {
        let mut remembered = self.remembered.lock().expect("the sessions");
        // A change since the lookup began: what it read may be out of date.
        if self.generation.load(Ordering::SeqCst) != generation || !self.is_listening() {
            return;
        }
        if remembered.len() >= MAX_REMEMBERED {
            remembered.clear();
        }
        remembered.insert(key, (generation, session.clone()));
    }
}

/// Listens for session changes for as long as the cache lives: each notice,
/// and each time the connection was lost (notices may have been missed),
/// forgets everything.
async fn listen(cache: Weak<SessionCache>, pool: sea_orm::sqlx::PgPool) {
    let mut wait = RECONNECT_AFTER;
    loop {
        let mut listener = match connect(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for session changes; looking every session up");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(RECONNECT_AFTER_AT_MOST);
                continue;
            }
        };
        wait = RECONNECT_AFTER;
        // Listening now: whatever changed before is forgotten.
        {
            let Some(cache) = cache.upgrade() else { return };
            cache.forget_all();
            cache.listening.store(true, Ordering::SeqCst);
        }
        loop {
            let received = listener.try_recv().await;
            let Some(cache) = cache.upgrade() else { return };
            cache.forget_all();
            match received {
                Ok(Some(_)) => {}
                // The connection was lost, and has been opened again:
                // notices in between were missed, and are covered above.
                Ok(None) => tracing::info!("listening for session changes again"),
                Err(error) => {
                    cache.listening.store(false, Ordering::SeqCst);
                    cache.forget_all();
                    tracing::warn!(%error, "stopped listening for session changes; looking every session up");
                    break;
                }
            }
        }
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn connect(pool: &sea_orm::sqlx::PgPool) -> Result<PgListener, sea_orm::sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(migration::SESSION_CHANGES).await?;
    Ok(listener)
}
