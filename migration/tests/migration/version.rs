//! `okr_version`: every committed change to a table the dashboard reads
//! moves it on, in the writing transaction; a rolled-back one does not. On
//! PostgreSQL it moves on once per transaction, however many rows and
//! tables it changed.

use entity::okr_version;
use migration::testing::{Backend, TestDb};
use sea_orm_migration::sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, Statement, TransactionTrait,
};

async fn version(db: &impl ConnectionTrait) -> i64 {
    okr_version::Entity::find_by_id(1)
        .one(db)
        .await
        .expect("read okr_version")
        .expect("the okr_version row")
        .version
}

async fn run(db: &impl ConnectionTrait, sql: &str) {
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
}

/// The first id of `table`, as SQL text (SQLite keeps uuids as blobs).
async fn first_id(db: &DatabaseConnection, table: &str, backend: Backend) -> String {
    let sql = match backend {
        Backend::Sqlite => format!("SELECT hex(id) FROM {table} ORDER BY id LIMIT 1"),
        Backend::Postgres => format!("SELECT id::text FROM {table} ORDER BY id LIMIT 1"),
    };
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .unwrap_or_else(|| panic!("a row of {table}"));
    let id: String = row.try_get_by_index(0).expect("an id");
    match backend {
        Backend::Sqlite => format!("X'{id}'"),
        Backend::Postgres => format!("'{id}'"),
    }
}

migration::backend_test!(
    okr_version_moves_on_with_every_committed_change_to_what_the_dashboard_shows,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;

        // Each table the dashboard reads, changed on its own.
        let team = first_id(db, "team", backend).await;
        let objective = first_id(db, "objective", backend).await;
        let changes = [
            "UPDATE quarter SET label = label".to_owned(),
            "UPDATE team SET name = name".to_owned(),
            "UPDATE okr_user SET name = name".to_owned(),
            "UPDATE objective SET title = title".to_owned(),
            "UPDATE key_result SET title = title".to_owned(),
            "UPDATE check_in SET note = note".to_owned(),
            "UPDATE key_result_trend SET points = points".to_owned(),
            format!("INSERT INTO company_team (team_id) VALUES ({team})"),
            format!(
                "INSERT INTO objective_alignment (objective_id, parent_objective_id) \
                 SELECT id, {objective} FROM objective WHERE id <> {objective} LIMIT 1"
            ),
            "DELETE FROM objective_alignment".to_owned(),
            "DELETE FROM company_team".to_owned(),
        ];
        for change in &changes {
            let before = version(db).await;
            run(db, change).await;
            assert!(version(db).await > before, "{backend:?}: {change}");
        }

        // A transaction of several changes: once on PostgreSQL, at its
        // commit; its own reads see the number unchanged until then.
        let before = version(db).await;
        let transaction = db.begin().await.expect("begin");
        for change in &changes[..5] {
            run(&transaction, change).await;
        }
        if backend == Backend::Postgres {
            assert_eq!(
                version(&transaction).await,
                before,
                "deferred to the commit"
            );
        }
        transaction.commit().await.expect("commit");
        let after = version(db).await;
        match backend {
            Backend::Postgres => assert_eq!(after, before + 1, "once per transaction"),
            Backend::Sqlite => assert!(after > before, "{backend:?}"),
        }

        // Rolled back: nothing to show, and the number stays.
        let transaction = db.begin().await.expect("begin");
        for change in &changes[..5] {
            run(&transaction, change).await;
        }
        transaction.rollback().await.expect("roll back");
        assert_eq!(version(db).await, after, "{backend:?}: rolled back");

        // Tables the dashboard does not read leave it alone.
        run(db, "UPDATE \"user\" SET name = name").await;
        run(db, "DELETE FROM rate_limit_hit").await;
        assert_eq!(version(db).await, after, "{backend:?}: other tables");

        test_db.close().await.expect("drop the test database");
    }
);
