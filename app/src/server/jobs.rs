//! Periodic work that runs once per period, whatever the number of servers
//! on the database: each job has a row in `periodic_job` with the time it
//! is next due, and a server runs it only if its update moved that time on.
//! Two servers cannot both move it: on PostgreSQL the second update waits
//! for the first's row lock and then finds the row no longer due; SQLite
//! has one writer at a time.
//!
//! No crate fitted: the schedulers that keep state in a database
//! (apalis, underway, sqlxmq, fang) each bring their own sqlx version and
//! schema, most for PostgreSQL only, while this needs one conditional
//! `UPDATE` on both databases through the pool the app already has.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::NaiveDateTime;
use entity::periodic_job;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

/// This server process, as it names itself to the others: the runner of
/// the periodic jobs and import commits it claims.
static THIS_SERVER: LazyLock<Uuid> = LazyLock::new(Uuid::new_v4);

pub fn this_server() -> Uuid {
    *THIS_SERVER
}

/// What a job does: given the pool and the time of its run, how many
/// things it did (for the log).
pub type Work = Arc<
    dyn Fn(
            DatabaseConnection,
            NaiveDateTime,
        ) -> Pin<Box<dyn Future<Output = Result<u64, DbErr>> + Send>>
        + Send
        + Sync,
>;

/// A piece of periodic work.
#[derive(Clone)]
pub struct Job {
    /// Its row in `periodic_job`.
    pub name: &'static str,
    pub every: Duration,
    pub work: Work,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("name", &self.name)
            .field("every", &self.every)
            .finish_non_exhaustive()
    }
}

impl Job {
    pub fn new<F, Fut>(name: &'static str, every: Duration, work: F) -> Job
    where
        F: Fn(DatabaseConnection, NaiveDateTime) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<u64, DbErr>> + Send + 'static,
    {
        Job {
            name,
            every,
            work: Arc::new(move |db, now| Box::pin(work(db, now))),
        }
    }
}

/// Claims this period of `name` for `runner`: true if the job was due at
/// `now` and this call moved its next run `every` on, so the caller runs it.
pub async fn claim(
    db: &impl ConnectionTrait,
    name: &str,
    every: Duration,
    runner: Uuid,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let _turn = super::db::write_turn(db).await;
    // The job's row, made by whichever server gets there first.
    periodic_job::Entity::insert(periodic_job::ActiveModel {
        name: sea_orm::Set(name.to_owned()),
        next_run_at: sea_orm::Set(now),
        last_run_at: sea_orm::Set(None),
        last_runner: sea_orm::Set(None),
        runs: sea_orm::Set(0),
    })
    .on_conflict(
        OnConflict::column(periodic_job::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let next = now + chrono::TimeDelta::from_std(every).unwrap_or(chrono::TimeDelta::MAX);
    let moved = periodic_job::Entity::update_many()
        .col_expr(periodic_job::Column::NextRunAt, Expr::value(next))
        .col_expr(periodic_job::Column::LastRunAt, Expr::value(now))
        .col_expr(periodic_job::Column::LastRunner, Expr::value(runner))
        .col_expr(
            periodic_job::Column::Runs,
            Expr::col(periodic_job::Column::Runs).add(1),
        )
        .filter(periodic_job::Column::Name.eq(name))
        .filter(periodic_job::Column::NextRunAt.lte(now))
        .exec(db)
        .await?;
    Ok(moved.rows_affected == 1)
}

/// Runs `jobs` for as long as the task lives: every `tick`, each job that
/// is due and claimed by this server (`runner`) runs once.
pub async fn run(db: DatabaseConnection, jobs: Vec<Job>, runner: Uuid, tick: Duration) {
    let mut every = tokio::time::interval(tick);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        for job in &jobs {
            let now = chrono::Utc::now().naive_utc();
            match claim(&db, job.name, job.every, runner, now).await {
                Ok(true) => match (job.work)(db.clone(), now).await {
                    Ok(0) => {}
                    Ok(done) => tracing::debug!(job = job.name, done, "periodic job ran"),
                    Err(error) => tracing::warn!(job = job.name, %error, "periodic job failed"),
                },
                Ok(false) => {}
                Err(error) => {
                    tracing::debug!(job = job.name, %error, "could not claim a periodic job");
                }
            }
        }
    }
}

/// The periodic work every server offers to run: clearing what no one
/// needs any more.
pub fn housekeeping() -> Vec<Job> {
    vec![
        Job::new(
            "sweep-rate-limit-hits",
            Duration::from_secs(10 * 60),
            |db, now| async move { super::limits::sweep(&db, now).await },
        ),
        Job::new(
            "sweep-uploads",
            Duration::from_secs(60 * 60),
            |db, now| async move { super::transfer::uploads::sweep(&db, now).await },
        ),
        Job::new(
            "sweep-expired-links",
            Duration::from_secs(60 * 60),
            |db, now| async move { super::auth::links::sweep(&db, now).await },
        ),
    ]
}
