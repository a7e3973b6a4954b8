//! Column shapes shared by the migrations, and the few spots where SQLite and
//! PostgreSQL need different SQL for the same meaning.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// `uuid PRIMARY KEY`, with `DEFAULT gen_random_uuid()` on PostgreSQL. SQLite
/// has no uuid generator; the application always supplies the id there.
pub fn uuid_pk(backend: DatabaseBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    def.uuid().not_null().primary_key();
    if backend == DatabaseBackend::Postgres {
        def.default(Expr::cust("gen_random_uuid()"));
    }
    def
}

/// `timestamp NOT NULL DEFAULT now()` (CURRENT_TIMESTAMP on SQLite), without
/// a time zone, as the spec has it.
pub fn timestamp_now(backend: DatabaseBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    def.timestamp().not_null().default(now(backend));
    def
}

fn now(backend: DatabaseBackend) -> Expr {
    match backend {
        DatabaseBackend::Postgres => Expr::cust("now()"),
        _ => Expr::current_timestamp(),
    }
}

/// `numeric(15,2)`. SQLite has no exact decimal type and SeaORM reads SQLite
/// decimals through an f64, so there the column is declared REAL: a double
/// holds every 15-digit value (all of numeric(15,2)) and SeaORM turns it back
/// into the same decimal. The application refuses values that do not fit.
pub fn money(backend: DatabaseBackend, column: impl IntoIden) -> ColumnDef {
    let mut def = ColumnDef::new(column);
    match backend {
        DatabaseBackend::Sqlite => def.custom(Alias::new("real")),
        _ => def.decimal_len(15, 2),
    };
    def.not_null();
    def
}
