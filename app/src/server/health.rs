//! The database half of `/api/health`.

use std::time::Duration;

use entity::team;
use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect};

/// How long a health check waits for the database before calling it down.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(1500);

/// Runs a real query against the `team` table; `Err` carries a short reason.
pub async fn check_database(db: &DatabaseConnection) -> Result<(), String> {
    let query = team::Entity::find()
        .select_only()
        .column(team::Column::Id)
        .limit(1)
        .into_tuple::<uuid::Uuid>()
        .all(db);
    match tokio::time::timeout(CHECK_TIMEOUT, query).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(short_reason(&error.to_string())),
        Err(_) => Err(format!("no answer within {} ms", CHECK_TIMEOUT.as_millis())),
    }
}

/// The first line of an error, bounded, so the answer stays small and never
/// echoes a whole driver report.
fn short_reason(message: &str) -> String {
    let line = message.lines().next().unwrap_or("unknown error");
    line.chars().take(200).collect()
}
