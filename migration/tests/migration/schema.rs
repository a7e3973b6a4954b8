//! The migrated schema against the spec's "Complete Database Schema" and
//! "Performance Indexes": tables, columns, foreign keys, unique constraints and
//! indexes, read back from the live database's own catalog.

use std::collections::{BTreeMap, BTreeSet};

use migration::Migrator;
use migration::testing::{Backend, TestDb};
use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement};

/// sea-orm-migration's own bookkeeping table; the only one `down` leaves.
const BOOKKEEPING: &str = "seaql_migrations";

const TABLES: [&str; 11] = [
    "user",
    "session",
    "account",
    "verification",
    "team",
    "okr_user",
    "quarter",
    "objective",
    "key_result",
    "check_in",
    "import_record",
];

/// Tables added by later features; the spec's tables keep exactly their columns.
const ADDED_TABLES: [&str; 13] = [
    "person_role",
    "api_token",
    "api_idempotency",
    "key_result_trend",
    "rate_limit_hit",
    "import_upload",
    "periodic_job",
    "notification_setting",
    "team_message_setting",
    "outbox_message",
    "company_team",
    "objective_alignment",
    "okr_version",
];

/// Every column of the spec: (table, column, PostgreSQL type, NOT NULL, default).
/// Primary keys are NOT NULL; `.notNull()` elsewhere; `defaultRandom()` is
/// `gen_random_uuid()` and `defaultNow()` is `now()`.
#[rustfmt::skip]
const COLUMNS: &[(&str, &str, &str, bool, Option<&str>)] = &[
    ("user", "id", "text", true, None),
    ("user", "name", "text", true, None),
    ("user", "email", "text", true, None),
    ("user", "emailVerified", "boolean", true, Some("false")),
    ("user", "image", "text", false, None),
    ("user", "createdAt", "timestamp without time zone", true, Some("now()")),
    ("user", "updatedAt", "timestamp without time zone", true, Some("now()")),

    ("session", "id", "text", true, None),
    ("session", "expiresAt", "timestamp without time zone", true, None),
    ("session", "token", "text", true, None),
    ("session", "createdAt", "timestamp without time zone", true, Some("now()")),
    ("session", "updatedAt", "timestamp without time zone", true, Some("now()")),
    ("session", "ipAddress", "text", false, None),
    ("session", "userAgent", "text", false, None),
    ("session", "userId", "text", true, None),

    ("account", "id", "text", true, None),
    ("account", "accountId", "text", true, None),
    ("account", "providerId", "text", true, None),
    ("account", "userId", "text", true, None),
    ("account", "accessToken", "text", false, None),
    ("account", "refreshToken", "text", false, None),
    ("account", "idToken", "text", false, None),
    ("account", "accessTokenExpiresAt", "timestamp without time zone", false, None),
    ("account", "refreshTokenExpiresAt", "timestamp without time zone", false, None),
    ("account", "scope", "text", false, None),
    ("account", "password", "text", false, None),
    ("account", "createdAt", "timestamp without time zone", true, Some("now()")),
    ("account", "updatedAt", "timestamp without time zone", true, Some("now()")),

    ("verification", "id", "text", true, None),
    ("verification", "identifier", "text", true, None),
    ("verification", "value", "text", true, None),
    ("verification", "expiresAt", "timestamp without time zone", true, None),
    ("verification", "createdAt", "timestamp without time zone", true, Some("now()")),
    ("verification", "updatedAt", "timestamp without time zone", true, Some("now()")),

    ("team", "id", "uuid", true, Some("gen_random_uuid()")),
    ("team", "name", "character varying(120)", true, None),
    ("team", "organization_id", "uuid", false, None),
    ("team", "archived", "boolean", true, Some("false")),
    ("team", "created_at", "timestamp without time zone", true, Some("now()")),
    ("team", "updated_at", "timestamp without time zone", true, Some("now()")),

    ("okr_user", "id", "uuid", true, Some("gen_random_uuid()")),
    ("okr_user", "email", "character varying(255)", true, None),
    ("okr_user", "name", "character varying(120)", true, None),
    ("okr_user", "team_id", "uuid", true, None),
    ("okr_user", "organization_id", "uuid", false, None),
    ("okr_user", "active", "boolean", true, Some("true")),
    ("okr_user", "created_at", "timestamp without time zone", true, Some("now()")),
    ("okr_user", "updated_at", "timestamp without time zone", true, Some("now()")),

    ("quarter", "id", "uuid", true, Some("gen_random_uuid()")),
    ("quarter", "label", "character varying(50)", true, None),
    ("quarter", "start_at", "date", true, None),
    ("quarter", "end_at", "date", true, None),
    ("quarter", "organization_id", "uuid", false, None),
    ("quarter", "archived", "boolean", true, Some("false")),
    ("quarter", "notes", "text", false, None),
    ("quarter", "created_at", "timestamp without time zone", true, Some("now()")),
    ("quarter", "updated_at", "timestamp without time zone", true, Some("now()")),

    ("objective", "id", "uuid", true, Some("gen_random_uuid()")),
    ("objective", "title", "character varying(255)", true, None),
    ("objective", "team_id", "uuid", true, None),
    ("objective", "quarter_id", "uuid", true, None),
    ("objective", "owner_id", "uuid", true, None),
    ("objective", "organization_id", "uuid", false, None),
    ("objective", "created_at", "timestamp without time zone", true, Some("now()")),
    ("objective", "updated_at", "timestamp without time zone", true, Some("now()")),

    ("key_result", "id", "uuid", true, Some("gen_random_uuid()")),
    ("key_result", "title", "character varying(500)", true, None),
    ("key_result", "objective_id", "uuid", true, None),
    ("key_result", "owner_id", "uuid", true, None),
    ("key_result", "unit", "character varying(5)", true, None),
    ("key_result", "direction", "character varying(5)", true, None),
    ("key_result", "start_value", "numeric(15,2)", true, None),
    ("key_result", "target_value", "numeric(15,2)", true, None),
    ("key_result", "current_value", "numeric(15,2)", true, None),
    ("key_result", "created_at", "timestamp without time zone", true, Some("now()")),
    ("key_result", "updated_at", "timestamp without time zone", true, Some("now()")),

    ("check_in", "id", "uuid", true, Some("gen_random_uuid()")),
    ("check_in", "kr_id", "uuid", true, None),
    ("check_in", "value", "numeric(15,2)", true, None),
    ("check_in", "confidence", "integer", true, None),
    ("check_in", "note", "character varying(500)", false, None),
    ("check_in", "created_by", "uuid", true, None),
    ("check_in", "created_at", "timestamp without time zone", true, Some("now()")),

    ("import_record", "id", "uuid", true, Some("gen_random_uuid()")),
    ("import_record", "filename", "character varying(255)", true, None),
    ("import_record", "row_count", "integer", true, None),
    ("import_record", "created_by", "uuid", true, None),
    ("import_record", "created_at", "timestamp without time zone", true, Some("now()")),
    ("import_record", "metadata", "jsonb", false, None),

    // Added for sign-in and roles (not in the spec).
    ("person_role", "okr_user_id", "uuid", true, None),
    ("person_role", "role", "character varying(10)", true, Some("'member'::character varying")),
    ("person_role", "updated_at", "timestamp without time zone", true, Some("now()")),

    // Added for the JSON API (not in the spec).
    ("api_token", "id", "uuid", true, Some("gen_random_uuid()")),
    ("api_token", "name", "character varying(100)", true, None),
    ("api_token", "owner_id", "uuid", true, None),
    ("api_token", "token_hash", "character varying(64)", true, None),
    ("api_token", "prefix", "character varying(16)", true, None),
    ("api_token", "created_at", "timestamp without time zone", true, Some("now()")),
    ("api_token", "last_used_at", "timestamp without time zone", false, None),
    ("api_token", "expires_at", "timestamp without time zone", false, None),
    ("api_token", "revoked_at", "timestamp without time zone", false, None),
    ("api_idempotency", "token_id", "uuid", true, None),
    ("api_idempotency", "key", "character varying(255)", true, None),
    ("api_idempotency", "request_hash", "character varying(64)", true, None),
    ("api_idempotency", "status", "smallint", true, None),
    ("api_idempotency", "response", "text", true, None),
    ("api_idempotency", "created_at", "timestamp without time zone", true, Some("now()")),

    // Added for the dashboard's sparklines (not in the spec).
    ("key_result_trend", "kr_id", "uuid", true, None),
    ("key_result_trend", "points", "text", false, None),

    // Added for limits shared by every server (not in the spec).
    ("rate_limit_hit", "id", "uuid", true, Some("gen_random_uuid()")),
    ("rate_limit_hit", "bucket", "character varying(320)", true, None),
    ("rate_limit_hit", "hit_at", "timestamp without time zone", true, None),

    // Added so any server can take any request (not in the spec).
    ("import_upload", "id", "uuid", true, Some("gen_random_uuid()")),
    ("import_upload", "person_id", "uuid", true, None),
    ("import_upload", "kind", "character varying(16)", true, None),
    ("import_upload", "filename", "character varying(255)", true, None),
    ("import_upload", "checksum", "character varying(64)", true, None),
    ("import_upload", "content", "bytea", true, None),
    ("import_upload", "uploaded_at", "timestamp without time zone", true, None),
    ("import_upload", "state", "character varying(16)", true, Some("'preview'::character varying")),
    ("import_upload", "done", "bigint", true, Some("0")),
    ("import_upload", "total", "bigint", true, Some("0")),
    ("import_upload", "record_id", "uuid", false, None),
    ("import_upload", "message", "text", false, None),
    ("import_upload", "runner", "uuid", false, None),
    ("import_upload", "lease_until", "timestamp without time zone", false, None),
    ("periodic_job", "name", "character varying(64)", true, None),
    ("periodic_job", "next_run_at", "timestamp without time zone", true, None),
    ("periodic_job", "last_run_at", "timestamp without time zone", false, None),
    ("periodic_job", "last_runner", "uuid", false, None),
    ("periodic_job", "runs", "bigint", true, Some("0")),
    ("notification_setting", "person_id", "uuid", true, None),
    ("notification_setting", "reminders", "boolean", true, Some("true")),
    ("notification_setting", "digests", "boolean", true, Some("true")),
    ("notification_setting", "time_zone", "character varying(64)", true, Some("'UTC'::character varying")),
    ("notification_setting", "hour", "smallint", true, Some("9")),
    ("notification_setting", "unsubscribe_key", "character varying(64)", true, None),
    ("notification_setting", "updated_at", "timestamp without time zone", true, Some("now()")),
    ("team_message_setting", "team_id", "uuid", true, None),
    ("team_message_setting", "check_in_day", "smallint", true, Some("1")),
    ("team_message_setting", "time_zone", "character varying(64)", true, Some("'UTC'::character varying")),
    ("team_message_setting", "webhook_url", "text", false, None),
    ("team_message_setting", "updated_at", "timestamp without time zone", true, Some("now()")),
    ("outbox_message", "id", "uuid", true, Some("gen_random_uuid()")),
    ("outbox_message", "dedupe_key", "character varying(200)", true, None),
    ("outbox_message", "kind", "character varying(16)", true, None),
    ("outbox_message", "channel", "character varying(16)", true, None),
    ("outbox_message", "person_id", "uuid", false, None),
    ("outbox_message", "team_id", "uuid", false, None),
    ("outbox_message", "recipient", "text", true, None),
    ("outbox_message", "subject", "text", true, None),
    ("outbox_message", "body_text", "text", true, None),
    ("outbox_message", "body_rich", "text", true, None),
    ("outbox_message", "state", "character varying(16)", true, Some("'pending'::character varying")),
    ("outbox_message", "attempts", "integer", true, Some("0")),
    ("outbox_message", "next_attempt_at", "timestamp without time zone", true, None),
    ("outbox_message", "last_error", "text", false, None),
    ("outbox_message", "runner", "uuid", false, None),
    ("outbox_message", "lease_until", "timestamp without time zone", false, None),
    ("outbox_message", "created_at", "timestamp without time zone", true, None),
    ("outbox_message", "sent_at", "timestamp without time zone", false, None),

    ("company_team", "team_id", "uuid", true, None),
    ("company_team", "created_at", "timestamp without time zone", true, Some("now()")),

    ("objective_alignment", "objective_id", "uuid", true, None),
    ("objective_alignment", "parent_objective_id", "uuid", true, None),
    ("objective_alignment", "parent_key_result_id", "uuid", false, None),
    ("objective_alignment", "created_at", "timestamp without time zone", true, Some("now()")),
    ("okr_version", "id", "integer", true, None),
    ("okr_version", "version", "bigint", true, Some("0")),
];

/// (table, column, referenced table, referenced column, ON DELETE).
#[rustfmt::skip]
const FOREIGN_KEYS: [(&str, &str, &str, &str, &str); 24] = [
    ("session", "userId", "user", "id", "CASCADE"),
    ("account", "userId", "user", "id", "CASCADE"),
    ("okr_user", "team_id", "team", "id", "NO ACTION"),
    ("objective", "team_id", "team", "id", "NO ACTION"),
    ("objective", "quarter_id", "quarter", "id", "NO ACTION"),
    ("objective", "owner_id", "okr_user", "id", "NO ACTION"),
    ("key_result", "objective_id", "objective", "id", "CASCADE"),
    ("key_result", "owner_id", "okr_user", "id", "NO ACTION"),
    ("check_in", "kr_id", "key_result", "id", "CASCADE"),
    ("check_in", "created_by", "okr_user", "id", "NO ACTION"),
    ("import_record", "created_by", "okr_user", "id", "NO ACTION"),
    ("person_role", "okr_user_id", "okr_user", "id", "CASCADE"),
    ("api_token", "owner_id", "okr_user", "id", "CASCADE"),
    ("api_idempotency", "token_id", "api_token", "id", "CASCADE"),
    ("key_result_trend", "kr_id", "key_result", "id", "CASCADE"),
    ("import_upload", "person_id", "okr_user", "id", "CASCADE"),
    ("notification_setting", "person_id", "okr_user", "id", "CASCADE"),
    ("team_message_setting", "team_id", "team", "id", "CASCADE"),
    ("outbox_message", "person_id", "okr_user", "id", "CASCADE"),
    ("outbox_message", "team_id", "team", "id", "CASCADE"),
    ("company_team", "team_id", "team", "id", "CASCADE"),
    ("objective_alignment", "objective_id", "objective", "id", "CASCADE"),
    ("objective_alignment", "parent_objective_id", "objective", "id", "CASCADE"),
    ("objective_alignment", "parent_key_result_id", "key_result", "id", "CASCADE"),
];

/// (table, column) with a UNIQUE constraint; primary keys aside.
const UNIQUE: [(&str, &str); 5] = [
    ("user", "email"),
    ("session", "token"),
    ("okr_user", "email"),
    ("api_token", "token_hash"),
    ("outbox_message", "dedupe_key"),
];

/// The spec's performance indexes and those added since: (index, table,
/// columns in index order).
#[rustfmt::skip]
const INDEXES: [(&str, &str, &[&str]); 18] = [
    ("team_org_idx", "team", &["organization_id"]),
    ("user_team_idx", "okr_user", &["team_id"]),
    ("obj_quarter_idx", "objective", &["quarter_id"]),
    ("obj_team_idx", "objective", &["team_id"]),
    ("kr_obj_idx", "key_result", &["objective_id"]),
    ("kr_owner_idx", "key_result", &["owner_id"]),
    ("checkin_kr_idx", "check_in", &["kr_id"]),
    ("checkin_created_idx", "check_in", &["created_at"]),
    // Added for the JSON API: a person's tokens.
    ("api_token_owner_idx", "api_token", &["owner_id"]),
    // Added for the dashboard's sparklines: a key result's newest check-ins,
    // ties on the time by id.
    ("checkin_kr_created_idx", "check_in", &["kr_id", "created_at", "id"]),
    // Added for the session lookup: a person by LOWER(email).
    ("okr_user_email_lower_idx", "okr_user", &[EXPRESSION]),
    // Added for the shared limits: a bucket's recent hits, and the sweep.
    ("rate_limit_hit_bucket_hit_at_idx", "rate_limit_hit", &["bucket", "hit_at"]),
    ("rate_limit_hit_hit_at_idx", "rate_limit_hit", &["hit_at"]),
    // Added for the sweep of old uploads.
    ("import_upload_uploaded_at_idx", "import_upload", &["uploaded_at"]),
    // Added for the outbox: the sender's queue, and the admin's list of
    // recent messages (one message per person, kind and period is UNIQUE).
    ("outbox_message_state_next_attempt_at_idx", "outbox_message", &["state", "next_attempt_at"]),
    ("outbox_message_created_at_idx", "outbox_message", &["created_at"]),
    // Added for alignment: an objective's supporters, and those of a key
    // result (its delete takes their rows along).
    ("objective_alignment_parent_objective_id_idx", "objective_alignment", &["parent_objective_id"]),
    ("objective_alignment_parent_key_result_id_idx", "objective_alignment", &["parent_key_result_id"]),
];

/// How [`plain_indexes`] names a column of an index that is an expression.
const EXPRESSION: &str = "(expression)";

async fn query(db: &DatabaseConnection, sql: &str) -> Vec<QueryResult> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
}

fn text(row: &QueryResult, index: usize) -> String {
    row.try_get_by_index(index)
        .unwrap_or_else(|error| panic!("column {index} as text: {error}"))
}

fn owned(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// Every table in the database, the engine's own (sqlite_*) aside.
async fn tables(test_db: &TestDb) -> BTreeSet<String> {
    let sql = match test_db.backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        }
    };
    query(&test_db.db, sql)
        .await
        .iter()
        .map(|row| text(row, 0))
        .collect()
}

async fn migrations_applied(test_db: &TestDb) -> usize {
    Migrator::get_applied_migrations(&test_db.db)
        .await
        .expect("read seaql_migrations")
        .len()
}

/// The project's tables plus the bookkeeping table.
fn all_tables() -> BTreeSet<String> {
    TABLES
        .iter()
        .chain(ADDED_TABLES.iter())
        .chain([&BOOKKEEPING])
        .map(|table| (*table).to_owned())
        .collect()
}

migration::backend_test!(
    up_down_up_drops_and_recreates_every_table,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        assert_eq!(tables(&test_db).await, all_tables(), "after the first up");
        assert_eq!(
            migrations_applied(&test_db).await,
            Migrator::migrations().len()
        );

        Migrator::down(&test_db.db, None)
            .await
            .expect("roll back every migration");
        assert_eq!(
            tables(&test_db).await,
            BTreeSet::from([BOOKKEEPING.to_owned()]),
            "after down only the bookkeeping table may remain"
        );
        assert_eq!(migrations_applied(&test_db).await, 0);

        Migrator::up(&test_db.db, None)
            .await
            .expect("apply the migrations again");
        assert_eq!(tables(&test_db).await, all_tables(), "after the second up");
        assert_eq!(
            migrations_applied(&test_db).await,
            Migrator::migrations().len()
        );

        test_db.close().await.expect("drop the test database");
    }
);

/// (table, column) for every column of the project's tables.
async fn column_names(test_db: &TestDb) -> BTreeSet<(String, String)> {
    let mut columns = BTreeSet::new();
    for table in tables(test_db)
        .await
        .into_iter()
        .filter(|table| table != BOOKKEEPING)
    {
        let sql = match test_db.backend {
            Backend::Sqlite => format!("SELECT name FROM pragma_table_info('{table}')"),
            Backend::Postgres => format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = '{table}'"
            ),
        };
        for row in query(&test_db.db, &sql).await {
            columns.insert((table.clone(), text(&row, 0)));
        }
    }
    columns
}

migration::backend_test!(column_names_match_the_spec, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let expected: BTreeSet<(String, String)> = COLUMNS
        .iter()
        .map(|(table, column, ..)| ((*table).to_owned(), (*column).to_owned()))
        .collect();
    let actual = column_names(&test_db).await;
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:?}\nextra: {extra:?}"
    );

    // Better Auth's tables keep the starter pack's camelCase names verbatim.
    for (table, column) in [
        ("user", "emailVerified"),
        ("session", "expiresAt"),
        ("session", "ipAddress"),
        ("session", "userAgent"),
        ("session", "userId"),
        ("account", "accountId"),
        ("account", "providerId"),
        ("account", "accessTokenExpiresAt"),
        ("account", "refreshTokenExpiresAt"),
        ("verification", "createdAt"),
        ("verification", "updatedAt"),
    ] {
        assert!(
            actual.contains(&(table.to_owned(), column.to_owned())),
            "{table}.{column}"
        );
    }

    test_db.close().await.expect("drop the test database");
});

/// PostgreSQL's view of a column's type: `character varying(120)`,
/// `numeric(15,2)`, or the bare `data_type`.
fn postgres_type(
    data_type: String,
    length: Option<i32>,
    precision: Option<i32>,
    scale: Option<i32>,
) -> String {
    match (data_type.as_str(), length, precision, scale) {
        ("character varying", Some(length), ..) => format!("character varying({length})"),
        ("numeric", _, Some(precision), Some(scale)) => format!("numeric({precision},{scale})"),
        _ => data_type,
    }
}

type ColumnShape = (String, bool, Option<String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_columns_match_the_spec() {
    let Some(test_db) = TestDb::migrated(Backend::Postgres).await else {
        eprintln!(
            "skipped: set {} to check the PostgreSQL schema",
            migration::testing::POSTGRES_URL_VAR
        );
        return;
    };
    let rows = query(
        &test_db.db,
        "SELECT table_name::text, column_name::text, data_type::text, \
                character_maximum_length::int, numeric_precision::int, numeric_scale::int, \
                is_nullable::text, column_default::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'",
    )
    .await;
    let mut actual: BTreeMap<(String, String), ColumnShape> = BTreeMap::new();
    for row in &rows {
        let get = |index| {
            row.try_get_by_index::<Option<i32>>(index)
                .expect("an integer or NULL")
        };
        let column_type = postgres_type(text(row, 2), get(3), get(4), get(5));
        let not_null = match text(row, 6).as_str() {
            "NO" => true,
            "YES" => false,
            other => panic!("is_nullable {other:?}"),
        };
        let default: Option<String> = row.try_get_by_index(7).expect("column_default");
        actual.insert(
            (text(row, 0), text(row, 1)),
            (column_type, not_null, default),
        );
    }

    let expected: BTreeMap<(String, String), ColumnShape> = COLUMNS
        .iter()
        .map(|(table, column, column_type, not_null, default)| {
            (
                ((*table).to_owned(), (*column).to_owned()),
                (
                    (*column_type).to_owned(),
                    *not_null,
                    default.map(str::to_owned),
                ),
            )
        })
        .collect();
    assert_eq!(
        expected.len(),
        COLUMNS.len(),
        "a column is listed twice in COLUMNS"
    );

    let mut problems = Vec::new();
    for (key, want) in &expected {
        match actual.get(key) {
            None => problems.push(format!("missing column {}.{}", key.0, key.1)),
            Some(got) if got != want => problems.push(format!(
                "{}.{}: expected {want:?}, found {got:?}",
                key.0, key.1
            )),
            Some(_) => {}
        }
    }
    for key in actual.keys().filter(|key| !expected.contains_key(*key)) {
        problems.push(format!("extra column {}.{}", key.0, key.1));
    }
    assert!(
        problems.is_empty(),
        "schema differs from the spec:\n{}",
        problems.join("\n")
    );

    test_db.close().await.expect("drop the test database");
}

/// Every single-column foreign key, with PostgreSQL's or SQLite's name for its
/// ON DELETE rule (NO ACTION and RESTRICT are told apart).
async fn foreign_keys(test_db: &TestDb) -> BTreeSet<Vec<String>> {
    let mut keys = BTreeSet::new();
    match test_db.backend {
        Backend::Sqlite => {
            for table in tables(test_db).await {
                let sql = format!(
                    "SELECT \"table\", \"from\", \"to\", on_delete, \
                            (SELECT COUNT(*) FROM pragma_foreign_key_list('{table}') other WHERE other.id = fk.id) \
                     FROM pragma_foreign_key_list('{table}') fk"
                );
                for row in query(&test_db.db, &sql).await {
                    let width: i64 = row.try_get_by_index(4).expect("key width");
                    assert_eq!(
                        width, 1,
                        "{table}: only single-column foreign keys are expected"
                    );
                    let to: Option<String> = row.try_get_by_index(2).expect("referenced column");
                    keys.insert(vec![
                        table.clone(),
                        text(&row, 1),
                        text(&row, 0),
                        to.unwrap_or_else(|| "<primary key>".to_owned()),
                        text(&row, 3),
                    ]);
                }
            }
        }
        Backend::Postgres => {
            let sql = "SELECT src.relname::text, src_col.attname::text, dst.relname::text, \
                              dst_col.attname::text, \
                              CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' \
                                   WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' \
                                   WHEN 'd' THEN 'SET DEFAULT' END, \
                              cardinality(c.conkey)::int \
                       FROM pg_constraint c \
                       JOIN pg_namespace ns ON ns.oid = c.connamespace \
                       JOIN pg_class src ON src.oid = c.conrelid \
                       JOIN pg_class dst ON dst.oid = c.confrelid \
                       JOIN pg_attribute src_col ON src_col.attrelid = c.conrelid AND src_col.attnum = c.conkey[1] \
                       JOIN pg_attribute dst_col ON dst_col.attrelid = c.confrelid AND dst_col.attnum = c.confkey[1] \
                       WHERE c.contype = 'f' AND ns.nspname = 'public'";
            for row in query(&test_db.db, sql).await {
                let width: i32 = row.try_get_by_index(5).expect("key width");
                assert_eq!(
                    width,
                    1,
                    "{}: only single-column foreign keys are expected",
                    text(&row, 0)
                );
                keys.insert((0..5).map(|index| text(&row, index)).collect());
            }
        }
    }
    keys
}

migration::backend_test!(foreign_keys_match_the_spec, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let expected: BTreeSet<Vec<String>> = FOREIGN_KEYS
        .iter()
        .map(|(table, column, to_table, to_column, on_delete)| {
            owned(&[table, column, to_table, to_column, on_delete])
        })
        .collect();
    assert_eq!(foreign_keys(&test_db).await, expected);
    test_db.close().await.expect("drop the test database");
});

/// (table, column) of every unique constraint or unique index other than a
/// primary key, with its width.
async fn unique_columns(test_db: &TestDb) -> BTreeSet<Vec<String>> {
    let sql = match test_db.backend {
        Backend::Sqlite => {
            "SELECT m.name, info.name, \
                    (SELECT COUNT(*) FROM pragma_index_info(list.name)) \
             FROM sqlite_master m \
             JOIN pragma_index_list(m.name) list \
             JOIN pragma_index_info(list.name) info \
             WHERE m.type = 'table' AND list.\"unique\" = 1 AND list.origin <> 'pk'"
        }
        Backend::Postgres => {
            "SELECT t.relname::text, a.attname::text, cardinality(x.indkey::int2[])::bigint \
             FROM pg_index x \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY (x.indkey) \
             WHERE ns.nspname = 'public' AND x.indisunique AND NOT x.indisprimary"
        }
    };
    query(&test_db.db, sql)
        .await
        .iter()
        .map(|row| {
            let width: i64 = row.try_get_by_index(2).expect("index width");
            assert_eq!(
                width, 1,
                "only single-column unique constraints are expected"
            );
            vec![text(row, 0), text(row, 1)]
        })
        .collect()
}

migration::backend_test!(unique_constraints_match_the_spec, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let expected: BTreeSet<Vec<String>> = UNIQUE
        .iter()
        .map(|(table, column)| owned(&[table, column]))
        .collect();
    assert_eq!(unique_columns(&test_db).await, expected);
    if backend == Backend::Postgres {
        // Declared as constraints, as Drizzle's `.unique()` does, not only as indexes.
        let rows = query(
            &test_db.db,
            "SELECT t.relname::text, a.attname::text \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_namespace ns ON ns.oid = c.connamespace \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey) \
             WHERE c.contype = 'u' AND ns.nspname = 'public'",
        )
        .await;
        let constraints: BTreeSet<Vec<String>> = rows
            .iter()
            .map(|row| vec![text(row, 0), text(row, 1)])
            .collect();
        assert_eq!(constraints, expected);
    }
    test_db.close().await.expect("drop the test database");
});

/// Every index that is neither a primary key nor unique: (index, table,
/// its columns in index order).
async fn plain_indexes(test_db: &TestDb) -> BTreeSet<(String, String, Vec<String>)> {
    let sql = match test_db.backend {
        Backend::Sqlite => {
            "SELECT list.name, m.name, COALESCE(info.name, '(expression)'), info.seqno \
             FROM sqlite_master m \
             JOIN pragma_index_list(m.name) list \
             JOIN pragma_index_info(list.name) info \
             WHERE m.type = 'table' AND list.\"unique\" = 0"
        }
        Backend::Postgres => {
            "SELECT i.relname::text, t.relname::text, \
             COALESCE(a.attname::text, '(expression)'), key.position::bigint \
             FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace ns ON ns.oid = t.relnamespace \
             CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS key(attnum, position) \
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = key.attnum \
             WHERE ns.nspname = 'public' AND NOT x.indisunique AND NOT x.indisprimary"
        }
    };
    let mut columns: BTreeMap<(String, String), BTreeMap<i64, String>> = BTreeMap::new();
    for row in query(&test_db.db, sql).await {
        let position: i64 = row
            .try_get_by_index(3)
            .expect("a column's place in its index");
        columns
            .entry((text(&row, 0), text(&row, 1)))
            .or_default()
            .insert(position, text(&row, 2));
    }
    columns
        .into_iter()
        .map(|((index, table), columns)| (index, table, columns.into_values().collect()))
        .collect()
}

migration::backend_test!(performance_indexes_match_the_spec, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let expected: BTreeSet<(String, String, Vec<String>)> = INDEXES
        .iter()
        .map(|(index, table, columns)| ((*index).to_owned(), (*table).to_owned(), owned(columns)))
        .collect();
    assert_eq!(plain_indexes(&test_db).await, expected);
    test_db.close().await.expect("drop the test database");
});

/// The names of every trigger (the sparkline trend's, and on PostgreSQL the
/// session and OKR notices'), and on PostgreSQL of every function too.
async fn triggers_and_functions(test_db: &TestDb) -> BTreeSet<String> {
    let sql = match test_db.backend {
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'trigger'",
        Backend::Postgres => {
            "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal \
             UNION SELECT proname::text FROM pg_proc \
             WHERE pronamespace = 'public'::regnamespace"
        }
    };
    query(&test_db.db, sql)
        .await
        .iter()
        .map(|row| text(row, 0))
        .collect()
}

migration::backend_test!(
    down_of_the_newest_migrations_drops_the_shared_tables_then_the_notices_then_the_email_index_then_the_trend_then_the_sparkline_index,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        // The newest: the message settings and outbox, then the uploads
        // and periodic jobs every server shares,
        // then the rate-limit hits: a table or two each, nothing else.
        let every_index = plain_indexes(&test_db).await;
        let mut base_tables = all_tables();
        // The newest: `okr_version` and its triggers (and, on PostgreSQL,
        // their function), one or two per table the dashboard reads.
        let with_version = triggers_and_functions(&test_db).await;
        let is_version = |name: &String| {
            name.starts_with("okr_version_") || name == "runway_bump_okr_version"
        };
        assert_eq!(
            with_version.iter().filter(|name| is_version(name)).count(),
            match backend {
                Backend::Sqlite => 9 * 3,
                Backend::Postgres => 9 * 2 + 1,
            }
        );
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back okr_version");
        base_tables.remove("okr_version");
        assert_eq!(tables(&test_db).await, base_tables);
        let every_trigger: BTreeSet<String> = with_version
            .iter()
            .filter(|name| !is_version(name))
            .cloned()
            .collect();
        assert_eq!(triggers_and_functions(&test_db).await, every_trigger);
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the alignment");
        base_tables.remove("company_team");
        base_tables.remove("objective_alignment");
        assert_eq!(tables(&test_db).await, base_tables);
        let is_alignment_notice = |name: &String| {
            name == "okr_change_company_team" || name == "okr_change_objective_alignment"
        };
        let all_triggers = every_trigger.clone();
        assert_eq!(
            all_triggers.iter().filter(|name| is_alignment_notice(name)).count(),
            match backend {
                Backend::Sqlite => 0,
                Backend::Postgres => 2,
            }
        );
        let every_trigger: BTreeSet<String> = every_trigger
            .into_iter()
            .filter(|name| !is_alignment_notice(name))
            .collect();
        assert_eq!(triggers_and_functions(&test_db).await, every_trigger);
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the message settings and outbox");
        base_tables.remove("notification_setting");
        base_tables.remove("team_message_setting");
        base_tables.remove("outbox_message");
        assert_eq!(tables(&test_db).await, base_tables);
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the uploads and periodic jobs");
        base_tables.remove("import_upload");
        base_tables.remove("periodic_job");
        assert_eq!(tables(&test_db).await, base_tables);
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the rate-limit hits");
        base_tables.remove("rate_limit_hit");
        assert_eq!(tables(&test_db).await, base_tables);
        assert_eq!(triggers_and_functions(&test_db).await, every_trigger);

        let all_indexes = plain_indexes(&test_db).await;
        let everything = triggers_and_functions(&test_db).await;
        let is_session_notice = |name: &String| {
            name.starts_with("session_change_") || name == "runway_notify_session_change"
        };
        let is_okr_notice =
            |name: &String| name.starts_with("okr_change_") || name == "runway_notify_okr_change";
        let (okr_notices, rest): (BTreeSet<String>, BTreeSet<String>) =
            everything.iter().cloned().partition(is_okr_notice);
        let (session_notices, machinery): (BTreeSet<String>, BTreeSet<String>) =
            rest.iter().cloned().partition(is_session_notice);
        let on_postgres = |names: &[&str]| match backend {
            Backend::Sqlite => BTreeSet::new(),
            Backend::Postgres => names.iter().copied().map(String::from).collect(),
        };
        assert_eq!(
            okr_notices,
            on_postgres(&[
                "okr_change_check_in",
                "okr_change_key_result",
                "okr_change_key_result_trend",
                "okr_change_objective",
                "okr_change_okr_user",
                "okr_change_quarter",
                "okr_change_team",
                "runway_notify_okr_change",
            ])
        );
        assert_eq!(
            session_notices,
            on_postgres(&[
                "runway_notify_session_change",
                "session_change_okr_user",
                "session_change_person_role",
                "session_change_session",
                "session_change_user",
            ])
        );
        let expected_count = match backend {
            Backend::Sqlite => 7,
            Backend::Postgres => 7 + 8,
        };
        assert_eq!(machinery.len(), expected_count, "{machinery:?}");
        assert!(
            machinery
                .iter()
                .all(|name| name.starts_with("key_result_trend")),
            "{machinery:?}"
        );

        // The newest: the OKR changes' triggers and their function, then
        // the session changes' (PostgreSQL only; nothing on SQLite).
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the OKR notices");
        assert_eq!(triggers_and_functions(&test_db).await, rest);
        assert_eq!(plain_indexes(&test_db).await, all_indexes);
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the session notices");
        assert_eq!(triggers_and_functions(&test_db).await, machinery);
        assert_eq!(plain_indexes(&test_db).await, all_indexes);
        assert_eq!(tables(&test_db).await, base_tables);

        // The one before: only the people's email index.
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the email index");
        let email_index =
            |(index, ..): &(String, String, Vec<String>)| index == "okr_user_email_lower_idx";
        assert!(all_indexes.iter().any(email_index), "{all_indexes:?}");
        let without_email: BTreeSet<_> = all_indexes
            .iter()
            .filter(|index| !email_index(index))
            .cloned()
            .collect();
        assert_eq!(plain_indexes(&test_db).await, without_email);
        assert_eq!(tables(&test_db).await, base_tables);
        assert_eq!(triggers_and_functions(&test_db).await, machinery);

        // The one before: the trend table, its triggers and functions.
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the trend");
        let mut without_trend = base_tables.clone();
        without_trend.remove("key_result_trend");
        assert_eq!(tables(&test_db).await, without_trend);
        assert_eq!(triggers_and_functions(&test_db).await, BTreeSet::new());
        assert_eq!(plain_indexes(&test_db).await, without_email);

        // The one before: only the sparkline index.
        Migrator::down(&test_db.db, Some(1))
            .await
            .expect("roll back the index");
        let sparkline_index =
            |(index, ..): &(String, String, Vec<String>)| index == "checkin_kr_created_idx";
        let without: BTreeSet<_> = without_email
            .iter()
            .filter(|index| !sparkline_index(index))
            .cloned()
            .collect();
        assert_eq!(plain_indexes(&test_db).await, without);
        assert_eq!(tables(&test_db).await, without_trend);
        assert_eq!(
            migrations_applied(&test_db).await,
            Migrator::migrations().len() - 10
        );

        Migrator::up(&test_db.db, None)
            .await
            .expect("apply them again");
        assert_eq!(plain_indexes(&test_db).await, every_index);
        assert_eq!(tables(&test_db).await, all_tables());
        assert_eq!(triggers_and_functions(&test_db).await, with_version);
        test_db.close().await.expect("drop the test database");
    }
);
