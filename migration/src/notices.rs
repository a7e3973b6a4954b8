//! The PostgreSQL change notices the server listens for: a function that
//! sends `NOTIFY` on a channel, and statement-level triggers that run it.
//! Nothing on SQLite, which has no notices.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// A trigger: its name, its table, and the changes it fires on.
pub type Trigger<'a> = (&'a str, &'a str, &'a str);

/// Creates `function`, which notifies `channel`, and `triggers` running it.
pub async fn create(
    manager: &SchemaManager<'_>,
    function: &str,
    channel: &str,
    triggers: &[Trigger<'_>],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             PERFORM pg_notify('{channel}', '');
             RETURN NULL;
         END $$"
        ))
        .await?;
    add_triggers(manager, function, triggers).await
}

/// Creates `triggers` running `function`, which already exists.
pub async fn add_triggers(
    manager: &SchemaManager<'_>,
    function: &str,
    triggers: &[Trigger<'_>],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for (trigger, table, events) in triggers {
        db.execute_unprepared(&format!(
            "CREATE TRIGGER {trigger} AFTER {events} ON {table}
             FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ))
        .await?;
    }
    Ok(())
}

/// Drops what [`create`] made.
pub async fn drop(
    manager: &SchemaManager<'_>,
    function: &str,
    triggers: &[Trigger<'_>],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    drop_triggers(manager, triggers).await?;
    manager
        .get_connection()
        .execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
        .await
        .map(|_| ())
}

/// Drops `triggers`, leaving their function.
pub async fn drop_triggers(
    manager: &SchemaManager<'_>,
    triggers: &[Trigger<'_>],
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for (trigger, table, _) in triggers {
        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger} ON {table}"))
            .await?;
    }
    Ok(())
}
