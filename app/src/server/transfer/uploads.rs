//! Uploaded CSV files and their commits, kept in the database
//! (`import_upload`) so that the upload, the preview, the commit and the
//! progress page may each land on a different server.
//!
//! A commit is claimed by one server with a lease, which it renews while
//! it writes, with its progress. If that server dies, the lease runs out:
//! the commit shows as failed (nothing was written, since the commit is one
//! transaction) and may be started again, on any server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use chrono::NaiveDateTime;
use entity::import_upload;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{ImportKind, ImportState};

/// How long an upload waits for its commit before it is removed.
pub const UPLOAD_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a commit's server holds it without renewing: past it, the
/// commit is taken to have died with its server.
pub const LEASE: Duration = Duration::from_secs(15);

/// How often the running server renews its lease and writes its progress.
const RENEW_EVERY: Duration = Duration::from_secs(1);

const PREVIEW: &str = "preview";
const RUNNING: &str = "running";
const COMMITTED: &str = "committed";
const FAILED: &str = "failed";

/// What is kept with an uploaded file.
#[derive(Debug, Clone)]
pub struct UploadMeta {
    pub kind: ImportKind,
    pub filename: String,
    pub person_id: Uuid,
    pub checksum: String,
    pub uploaded_at: NaiveDateTime,
}

fn delta(duration: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(duration).unwrap_or(chrono::TimeDelta::MAX)
}

/// Keeps an upload.
pub async fn keep(
    db: &impl ConnectionTrait,
    id: Uuid,
    meta: &UploadMeta,
    content: Vec<u8>,
) -> Result<(), DbErr> {
    let _turn = crate::server::db::write_turn(db).await;
    import_upload::ActiveModel {
        id: Set(id),
        person_id: Set(meta.person_id),
        kind: Set(meta.kind.as_str().to_owned()),
        filename: Set(meta.filename.clone()),
        checksum: Set(meta.checksum.clone()),
        content: Set(content),
        uploaded_at: Set(meta.uploaded_at),
        state: Set(PREVIEW.to_owned()),
        done: Set(0),
        total: Set(0),
        record_id: Set(None),
        message: Set(None),
        runner: Set(None),
        lease_until: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn meta_of(row: &import_upload::Model) -> UploadMeta {
    UploadMeta {
        kind: ImportKind::parse(&row.kind).unwrap_or(ImportKind::Okrs),
        filename: row.filename.clone(),
        person_id: row.person_id,
        checksum: row.checksum.clone(),
        uploaded_at: row.uploaded_at,
    }
}

/// `person`'s upload `id` at `now`, without its content: someone else's, or
/// one past its lifetime, is not found.
async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
    person: Uuid,
    now: NaiveDateTime,
) -> Result<import_upload::Model, AppError> {
    import_upload::Entity::find_by_id(id)
        .filter(import_upload::Column::PersonId.eq(person))
        .filter(import_upload::Column::UploadedAt.gt(now - delta(UPLOAD_LIFETIME)))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("upload".into()))
}

/// `person`'s upload and its bytes, while it waits for its commit.
pub async fn load(
    db: &impl ConnectionTrait,
    id: Uuid,
    person: Uuid,
    now: NaiveDateTime,
) -> Result<(UploadMeta, Vec<u8>), AppError> {
    let row = find(db, id, person, now).await?;
    if row.state == COMMITTED {
        return Err(AppError::NotFound("upload".into()));
    }
    let meta = meta_of(&row);
    Ok((meta, row.content))
}

/// Commits this server runs, with their progress: fresher than the
/// database's copy, and the only one while SQLite's single writer is busy
/// with the commit itself.
static RUNNING_HERE: LazyLock<Mutex<HashMap<Uuid, Arc<Counts>>>> = LazyLock::new(Mutex::default);

/// Rows written so far, of all.
#[derive(Debug, Default)]
pub struct Counts {
    done: AtomicU64,
    total: AtomicU64,
}

impl super::Progress for Counts {
    fn advance(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::SeqCst);
        self.done.store(done, Ordering::SeqCst);
    }
}

/// Where the commit of `person`'s upload stands at `now`, with the upload.
pub async fn state(
    db: &impl ConnectionTrait,
    id: Uuid,
    person: Uuid,
    now: NaiveDateTime,
) -> Result<(UploadMeta, ImportState), AppError> {
    let row = import_upload::Entity::find_by_id(id)
        .select_only()
        .columns([
            import_upload::Column::PersonId,
            import_upload::Column::Kind,
            import_upload::Column::Filename,
            import_upload::Column::Checksum,
            import_upload::Column::UploadedAt,
            import_upload::Column::State,
            import_upload::Column::Done,
            import_upload::Column::Total,
            import_upload::Column::RecordId,
            import_upload::Column::Message,
            import_upload::Column::LeaseUntil,
        ])
        .filter(import_upload::Column::PersonId.eq(person))
        .into_model::<Listed>()
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("upload".into()))?;
    let meta = UploadMeta {
        kind: ImportKind::parse(&row.kind).unwrap_or(ImportKind::Okrs),
        filename: row.filename.clone(),
        person_id: row.person_id,
        checksum: row.checksum.clone(),
        uploaded_at: row.uploaded_at,
    };
    let here = RUNNING_HERE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned();
    let state = match row.state.as_str() {
        RUNNING if here.is_some() => {
            let counts = here.unwrap_or_default();
            ImportState::Running {
                done: counts.done.load(Ordering::SeqCst),
                total: counts.total.load(Ordering::SeqCst),
            }
        }
        RUNNING if row.lease_until.is_some_and(|until| until > now) => ImportState::Running {
            done: u64::try_from(row.done).unwrap_or(0),
            total: u64::try_from(row.total).unwrap_or(0),
        },
        RUNNING => ImportState::Failed {
            message: "the server committing it stopped; nothing was imported, and you can \
                      commit it again"
                .into(),
        },
        COMMITTED => match row.record_id {
            Some(record_id) => ImportState::Committed { record_id },
            None => ImportState::Preview,
        },
        FAILED => ImportState::Failed {
            message: row.message.unwrap_or_default(),
        },
        _ if row.uploaded_at + delta(UPLOAD_LIFETIME) <= now => {
            return Err(AppError::NotFound("upload".into()));
        }
        _ => ImportState::Preview,
    };
    Ok((meta, state))
}

/// An `import_upload` row as [`state`] reads it: everything but the file.
#[derive(Debug, sea_orm::FromQueryResult)]
struct Listed {
    person_id: Uuid,
    kind: String,
    filename: String,
    checksum: String,
    uploaded_at: NaiveDateTime,
    state: String,
    done: i64,
    total: i64,
    record_id: Option<Uuid>,
    message: Option<String>,
    lease_until: Option<NaiveDateTime>,
}

/// Claims the commit of `person`'s upload for `runner`, with a lease: true
/// unless a commit of it is running (with a live lease) or done, or it is
/// someone else's or gone. Two claims at once: one wins.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: Uuid,
    person: Uuid,
    runner: Uuid,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    // Running here, however old its lease: on SQLite the lease is not
    // renewed while the commit holds the one writer's turn.
    if RUNNING_HERE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains_key(&id)
    {
        return Ok(false);
    }
    let _turn = crate::server::db::write_turn(db).await;
    let claimable = Condition::any()
        .add(import_upload::Column::State.is_in([PREVIEW, FAILED]))
        .add(
            Condition::all()
                .add(import_upload::Column::State.eq(RUNNING))
                .add(import_upload::Column::LeaseUntil.lte(now)),
        );
    let claimed = import_upload::Entity::update_many()
        .col_expr(import_upload::Column::State, Expr::value(RUNNING))
        .col_expr(import_upload::Column::Done, Expr::value(0i64))
        .col_expr(import_upload::Column::Total, Expr::value(0i64))
        .col_expr(
            import_upload::Column::Message,
            Expr::value(Option::<String>::None),
        )
        .col_expr(import_upload::Column::Runner, Expr::value(runner))
        .col_expr(
            import_upload::Column::LeaseUntil,
            Expr::value(now + delta(LEASE)),
        )
        .filter(import_upload::Column::Id.eq(id))
        .filter(import_upload::Column::PersonId.eq(person))
        .filter(import_upload::Column::UploadedAt.gt(now - delta(UPLOAD_LIFETIME)))
        .filter(claimable)
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Gives a claimed upload back to its preview: the commit did not start
/// (the file has problems now, or the request failed first).
pub async fn release(db: &impl ConnectionTrait, id: Uuid, runner: Uuid) -> Result<(), DbErr> {
    let _turn = crate::server::db::write_turn(db).await;
    import_upload::Entity::update_many()
        .col_expr(import_upload::Column::State, Expr::value(PREVIEW))
        .col_expr(
            import_upload::Column::LeaseUntil,
            Expr::value(Option::<NaiveDateTime>::None),
        )
        .filter(import_upload::Column::Id.eq(id))
        .filter(import_upload::Column::Runner.eq(runner))
        .filter(import_upload::Column::State.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(())
}

/// A running commit's lease, renewed with its progress until it is
/// [`Lease::end`]ed.
pub struct Lease {
    id: Uuid,
    counts: Arc<Counts>,
    renewing: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Starts renewing the lease of upload `id`, claimed by `runner`. On
    /// SQLite, whose one process runs every commit and whose one writer is
    /// the commit itself, this server's own record is the lease: nothing
    /// is written until the commit ends.
    pub fn hold(db: DatabaseConnection, id: Uuid, runner: Uuid, total: u64) -> Lease {
        let counts = Arc::new(Counts::default());
        counts.total.store(total, Ordering::SeqCst);
        RUNNING_HERE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, counts.clone());
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
            return Lease {
                id,
                counts,
                renewing: tokio::spawn(async {}),
            };
        }
        let renewing = tokio::spawn({
            let counts = counts.clone();
            async move {
                let mut every = tokio::time::interval(RENEW_EVERY);
                every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    every.tick().await;
                    let now = chrono::Utc::now().naive_utc();
                    let renewed = import_upload::Entity::update_many()
                        .col_expr(
                            import_upload::Column::LeaseUntil,
                            Expr::value(now + delta(LEASE)),
                        )
                        .col_expr(
                            import_upload::Column::Done,
                            Expr::value(
                                i64::try_from(counts.done.load(Ordering::SeqCst)).unwrap_or(0),
                            ),
                        )
                        .col_expr(
                            import_upload::Column::Total,
                            Expr::value(
                                i64::try_from(counts.total.load(Ordering::SeqCst)).unwrap_or(0),
                            ),
                        )
                        .filter(import_upload::Column::Id.eq(id))
                        .filter(import_upload::Column::Runner.eq(runner))
                        .filter(import_upload::Column::State.eq(RUNNING))
                        .exec(&db)
                        .await;
                    if let Err(error) = renewed {
                        tracing::debug!(%error, "could not renew an import's lease");
                    }
                }
            }
        });
        Lease {
            id,
            counts,
            renewing,
        }
    }

    /// Where the commit reports its progress.
    pub fn progress(&self) -> &Counts {
        &self.counts
    }

    /// The commit ended: stop renewing, and record how. A commit whose lease
    /// was taken over meanwhile records nothing.
    pub async fn end(
        self,
        db: &impl ConnectionTrait,
        runner: Uuid,
        outcome: Result<Uuid, String>,
    ) -> Result<(), DbErr> {
        self.renewing.abort();
        let _turn = crate::server::db::write_turn(db).await;
        let done = i64::try_from(self.counts.done.load(Ordering::SeqCst)).unwrap_or(0);
        let mut update = import_upload::Entity::update_many()
            .col_expr(
                import_upload::Column::LeaseUntil,
                Expr::value(Option::<NaiveDateTime>::None),
            )
            .col_expr(import_upload::Column::Done, Expr::value(done));
        update = match outcome {
            Ok(record_id) => update
                .col_expr(import_upload::Column::State, Expr::value(COMMITTED))
                .col_expr(import_upload::Column::RecordId, Expr::value(record_id))
                .col_expr(
                    import_upload::Column::Content,
                    Expr::value(Vec::<u8>::new()),
                ),
            Err(message) => update
                .col_expr(import_upload::Column::State, Expr::value(FAILED))
                .col_expr(import_upload::Column::Message, Expr::value(message)),
        };
        let ended = update
            .filter(import_upload::Column::Id.eq(self.id))
            .filter(import_upload::Column::Runner.eq(runner))
            .filter(import_upload::Column::State.eq(RUNNING))
            .exec(db)
            .await;
        RUNNING_HERE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        ended.map(|_| ())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewing.abort();
        RUNNING_HERE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// Removes uploads past their lifetime, but for a commit still running.
pub async fn sweep(db: &impl ConnectionTrait, now: NaiveDateTime) -> Result<u64, DbErr> {
    let live_commit = Condition::all()
        .add(import_upload::Column::State.eq(RUNNING))
        .add(import_upload::Column::LeaseUntil.gt(now));
    Ok(import_upload::Entity::delete_many()
        .filter(import_upload::Column::UploadedAt.lte(now - delta(UPLOAD_LIFETIME)))
        .filter(live_commit.not())
        .exec(db)
        .await?
        .rows_affected)
}
