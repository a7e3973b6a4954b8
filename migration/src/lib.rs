//! RunwayOKR's migrations, one module per step, and the demo seed.
//!
//! The migrations build the same schema on SQLite and PostgreSQL with
//! sea-query; `columns` holds the few places where the two differ.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20250101_000001_create_auth_tables;
mod m20250101_000002_create_okr_tables;
mod m20251126_000001_create_person_role;
mod m20251126_000002_create_api_tokens;
mod m20261126_000001_create_check_in_recent_index;
mod m20261126_000002_create_key_result_trend;
mod m20261127_000001_create_okr_user_email_index;
mod m20261127_000002_create_session_change_notices;
mod m20261127_000003_create_okr_change_notices;
mod m20261206_000001_create_rate_limit_hits;
mod m20261206_000002_create_import_uploads_and_periodic_jobs;
mod m20261206_000003_create_messages;
mod m20261207_000001_create_alignment;
mod m20261208_000001_create_okr_version;
mod notices;
pub mod seed;

pub use m20261126_000002_create_key_result_trend::TREND_POINTS;
pub use m20261127_000002_create_session_change_notices::SESSION_CHANGES;
pub use m20261127_000003_create_okr_change_notices::OKR_CHANGES;
#[cfg(feature = "testing")]
pub mod testing;

/// The embedded SQLite file used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://runway.db?mode=rwc";

/// The database to use: `DATABASE_URL`, or the embedded SQLite default.
pub fn database_url_from_env() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned())
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250101_000001_create_auth_tables::Migration),
            Box::new(m20250101_000002_create_okr_tables::Migration),
            Box::new(m20251126_000001_create_person_role::Migration),
            Box::new(m20251126_000002_create_api_tokens::Migration),
            Box::new(m20261126_000001_create_check_in_recent_index::Migration),
            Box::new(m20261126_000002_create_key_result_trend::Migration),
            Box::new(m20261127_000001_create_okr_user_email_index::Migration),
            Box::new(m20261127_000002_create_session_change_notices::Migration),
            Box::new(m20261127_000003_create_okr_change_notices::Migration),
            Box::new(m20261206_000001_create_rate_limit_hits::Migration),
            Box::new(m20261206_000002_create_import_uploads_and_periodic_jobs::Migration),
            Box::new(m20261206_000003_create_messages::Migration),
            Box::new(m20261207_000001_create_alignment::Migration),
            Box::new(m20261208_000001_create_okr_version::Migration),
        ]
    }
}
