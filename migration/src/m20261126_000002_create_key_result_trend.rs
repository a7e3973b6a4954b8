//! `key_result_trend`: each key result's sparkline, kept up to date by the
//! database as check-ins are written, so a dashboard reads one short row per
//! key result instead of the newest check-ins of each.
//!
//! `points` holds the newest [`TREND_POINTS`] check-ins inside the key
//! result's quarter, oldest first (the later id first among equal times, as
//! the newest are picked), as `created_at|value|confidence` joined by `;`, or
//! NULL when there are none. The time is ISO 8601 (`2025-01-06T09:00:00`, a
//! fraction when there is one), the one form chrono reads without a format
//! string. On SQLite the value is the REAL's 17 digits, so
//! it reads back as the very same double. The application reads it with
//! `app::server::okrs::parse_trend`.
//!
//! Triggers keep it right whoever writes: the application, an import, the
//! seed or plain SQL. A key result gets its row when it is created; its
//! points are worked out again when one of its check-ins is inserted,
//! changed or deleted, when it moves to another objective, when its
//! objective moves to another quarter and when its quarter's dates change.
//! PostgreSQL does it once per statement for check-ins (a bulk insert works
//! out each key result once) and locks the rows it refreshes before reading,
//! so concurrent check-ins on one key result each see the others' committed
//! rows. SQLite has a single writer and row triggers only.
//!
//! A table of its own: the spec's tables keep exactly their columns.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// How many check-ins a trend holds: the dashboard's sparkline length.
pub const TREND_POINTS: u32 = 26;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// On SQLite too, so a process killed half-way leaves nothing behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeyResultTrend::Table)
                    .col(
                        ColumnDef::new(KeyResultTrend::KrId)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(KeyResultTrend::Points).text().null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("key_result_trend_kr_id_key_result_id_fk")
                            .from(KeyResultTrend::Table, KeyResultTrend::KrId)
                            .to(KeyResult::Table, KeyResult::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::NoAction),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DatabaseBackend::Postgres;
        for (trigger, table) in TRIGGERS {
            let on = if postgres {
                format!(" ON {table}")
            } else {
                String::new()
            };
            db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {trigger}{on}"))
                .await?;
        }
        if postgres {
            for function in FUNCTIONS {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(KeyResultTrend::Table).to_owned())
            .await
    }
}

/// Every trigger, with its table, as `down` drops them.
const TRIGGERS: [(&str, &str); 7] = [
    ("key_result_trend_new_key_result", "key_result"),
    ("key_result_trend_moved_key_result", "key_result"),
    ("key_result_trend_moved_objective", "objective"),
    ("key_result_trend_quarter_dates", "quarter"),
    ("key_result_trend_check_in_insert", "check_in"),
    ("key_result_trend_check_in_update", "check_in"),
    ("key_result_trend_check_in_delete", "check_in"),
];

/// PostgreSQL's functions, with their arguments, as `down` drops them.
const FUNCTIONS: [&str; 8] = [
    "key_result_trend_refresh(uuid[])",
    "key_result_trend_add_key_results()",
    "key_result_trend_after_key_result_move()",
    "key_result_trend_after_objective_move()",
    "key_result_trend_after_quarter_dates()",
    "key_result_trend_after_check_in_insert()",
    "key_result_trend_after_check_in_update()",
    "key_result_trend_after_check_in_delete()",
];

/// The newest check-ins of the key result `{kr}` inside its quarter, oldest
/// first, as one text.
///
/// SQLite orders an aggregate's input by the subquery it reads, not with
/// `ORDER BY` inside `group_concat`: SQLite before 3.44 (Debian 12's
/// `sqlite3`, Python's module) cannot parse that, and would then refuse to
/// open the whole database because of the trigger.
fn points(backend: DatabaseBackend, kr: &str) -> String {
    let end = match backend {
        DatabaseBackend::Postgres => "q.end_at + 1",
        _ => "date(q.end_at, '+1 day')",
    };
    let newest = format!(
        "SELECT c.id, c.created_at, c.value, c.confidence
           FROM check_in c
           JOIN key_result k ON k.id = c.kr_id
           JOIN objective o ON o.id = k.objective_id
           JOIN quarter q ON q.id = o.quarter_id
          WHERE c.kr_id = {kr}
            AND c.created_at >= q.start_at
            AND c.created_at < {end}
          ORDER BY c.created_at DESC, c.id DESC
          LIMIT {TREND_POINTS}"
    );
    match backend {
        DatabaseBackend::Postgres => format!(
            "(SELECT string_agg(
                 to_char(p.created_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') || '|' || p.value::text
                   || '|' || p.confidence::text,
                 ';' ORDER BY p.created_at, p.id)
                FROM ({newest}) p)"
        ),
        _ => format!(
            "(SELECT group_concat(
                 replace(p.created_at, ' ', 'T') || '|' || printf('%.17g', p.value)
                   || '|' || p.confidence,
                 ';')
                FROM (SELECT * FROM ({newest}) ORDER BY created_at, id) p)"
        ),
    }
}

fn postgres_up() -> Vec<String> {
    let points = points(DatabaseBackend::Postgres, "t.kr_id");
    // A trigger function that refreshes the key results `ids` selects.
    let refreshing = |name: &str, ids: &str| {
        format!(
            "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               PERFORM key_result_trend_refresh(ARRAY({ids}));
               RETURN NULL;
             END $$"
        )
    };
    vec![
        // Locks first, in key order, then a new statement (so a snapshot
        // taken after the locks): a concurrent check-in on the same key
        // result waits here and then sees the other one's committed row.
        format!(
            "CREATE OR REPLACE FUNCTION key_result_trend_refresh(ids uuid[]) RETURNS void
             LANGUAGE plpgsql AS $$
             BEGIN
               PERFORM 1 FROM key_result_trend WHERE kr_id = ANY (ids) ORDER BY kr_id FOR UPDATE;
               UPDATE key_result_trend t SET points = {points} WHERE t.kr_id = ANY (ids);
             END $$"
        ),
        "CREATE OR REPLACE FUNCTION key_result_trend_add_key_results() RETURNS trigger
         LANGUAGE plpgsql AS $$
         BEGIN
           INSERT INTO key_result_trend (kr_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
           RETURN NULL;
         END $$"
            .to_owned(),
        "CREATE TRIGGER key_result_trend_new_key_result AFTER INSERT ON key_result
         REFERENCING NEW TABLE AS new_rows
         FOR EACH STATEMENT EXECUTE FUNCTION key_result_trend_add_key_results()"
            .to_owned(),
        refreshing("key_result_trend_after_key_result_move", "SELECT NEW.id"),
        "CREATE TRIGGER key_result_trend_moved_key_result AFTER UPDATE OF objective_id ON key_result
         FOR EACH ROW WHEN (OLD.objective_id IS DISTINCT FROM NEW.objective_id)
         EXECUTE FUNCTION key_result_trend_after_key_result_move()"
            .to_owned(),
        refreshing(
            "key_result_trend_after_objective_move",
            "SELECT id FROM key_result WHERE objective_id = NEW.id",
        ),
        "CREATE TRIGGER key_result_trend_moved_objective AFTER UPDATE OF quarter_id ON objective
         FOR EACH ROW WHEN (OLD.quarter_id IS DISTINCT FROM NEW.quarter_id)
         EXECUTE FUNCTION key_result_trend_after_objective_move()"
            .to_owned(),
        refreshing(
            "key_result_trend_after_quarter_dates",
            "SELECT k.id FROM key_result k JOIN objective o ON o.id = k.objective_id
              WHERE o.quarter_id = NEW.id",
        ),
        "CREATE TRIGGER key_result_trend_quarter_dates AFTER UPDATE OF start_at, end_at ON quarter
         FOR EACH ROW WHEN (OLD.start_at IS DISTINCT FROM NEW.start_at
                            OR OLD.end_at IS DISTINCT FROM NEW.end_at)
         EXECUTE FUNCTION key_result_trend_after_quarter_dates()"
            .to_owned(),
        refreshing(
            "key_result_trend_after_check_in_insert",
            "SELECT DISTINCT kr_id FROM new_rows",
        ),
        "CREATE TRIGGER key_result_trend_check_in_insert AFTER INSERT ON check_in
         REFERENCING NEW TABLE AS new_rows
         FOR EACH STATEMENT EXECUTE FUNCTION key_result_trend_after_check_in_insert()"
            .to_owned(),
        refreshing(
            "key_result_trend_after_check_in_update",
            "SELECT kr_id FROM old_rows UNION SELECT kr_id FROM new_rows",
        ),
        "CREATE TRIGGER key_result_trend_check_in_update AFTER UPDATE ON check_in
         REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
         FOR EACH STATEMENT EXECUTE FUNCTION key_result_trend_after_check_in_update()"
            .to_owned(),
        refreshing(
            "key_result_trend_after_check_in_delete",
            "SELECT DISTINCT kr_id FROM old_rows",
        ),
        "CREATE TRIGGER key_result_trend_check_in_delete AFTER DELETE ON check_in
         REFERENCING OLD TABLE AS old_rows
         FOR EACH STATEMENT EXECUTE FUNCTION key_result_trend_after_check_in_delete()"
            .to_owned(),
        // The key results that exist already.
        "INSERT INTO key_result_trend (kr_id) SELECT id FROM key_result".to_owned(),
        "SELECT key_result_trend_refresh(ARRAY(SELECT id FROM key_result))".to_owned(),
    ]
}

fn sqlite_up() -> Vec<String> {
    let points = points(DatabaseBackend::Sqlite, "key_result_trend.kr_id");
    let refresh = |which: &str| {
        format!("UPDATE key_result_trend SET points = {points} WHERE kr_id IN ({which});")
    };
    vec![
        "CREATE TRIGGER key_result_trend_new_key_result AFTER INSERT ON key_result BEGIN
           INSERT OR IGNORE INTO key_result_trend (kr_id) VALUES (NEW.id);
         END"
        .to_owned(),
        format!(
            "CREATE TRIGGER key_result_trend_moved_key_result AFTER UPDATE OF objective_id ON key_result
             WHEN OLD.objective_id IS NOT NEW.objective_id BEGIN {} END",
            refresh("NEW.id")
        ),
        format!(
            "CREATE TRIGGER key_result_trend_moved_objective AFTER UPDATE OF quarter_id ON objective
             WHEN OLD.quarter_id IS NOT NEW.quarter_id BEGIN {} END",
            refresh("SELECT id FROM key_result WHERE objective_id = NEW.id")
        ),
        format!(
            "CREATE TRIGGER key_result_trend_quarter_dates AFTER UPDATE OF start_at, end_at ON quarter
             WHEN OLD.start_at IS NOT NEW.start_at OR OLD.end_at IS NOT NEW.end_at BEGIN {} END",
            refresh(
                "SELECT k.id FROM key_result k JOIN objective o ON o.id = k.objective_id
                  WHERE o.quarter_id = NEW.id"
            )
        ),
        format!(
            "CREATE TRIGGER key_result_trend_check_in_insert AFTER INSERT ON check_in BEGIN {} END",
            refresh("NEW.kr_id")
        ),
        format!(
            "CREATE TRIGGER key_result_trend_check_in_update AFTER UPDATE ON check_in BEGIN {} END",
            refresh("OLD.kr_id, NEW.kr_id")
        ),
        format!(
            "CREATE TRIGGER key_result_trend_check_in_delete AFTER DELETE ON check_in BEGIN {} END",
            refresh("OLD.kr_id")
        ),
        // The key results that exist already.
        "INSERT INTO key_result_trend (kr_id) SELECT id FROM key_result".to_owned(),
        refresh("SELECT kr_id FROM key_result_trend"),
    ]
}

#[derive(DeriveIden)]
enum KeyResultTrend {
    Table,
    KrId,
    Points,
}

#[derive(DeriveIden)]
enum KeyResult {
    Table,
    Id,
}
