//! Reading a row's columns by position, straight from the driver's row.
//!
//! SeaORM's `try_get` asks the driver to check, for every column of every
//! row, that its SQL type may be read as the Rust type (for text, a search
//! of the types text may be). The statements read here are built in this
//! crate, with their columns in a known order, so that check only costs:
//! on the dashboard it was a third of reading a row. The values are decoded
//! by the same sqlx decoders SeaORM uses, so both read the same values.

use rust_decimal::Decimal;
use sea_orm::sqlx::{self, Row as _};
use sea_orm::{ActiveEnum, DbErr, QueryResult};

/// A row of PostgreSQL or of SQLite.
pub(crate) enum Columns<'r> {
    Postgres(&'r sqlx::postgres::PgRow),
    Sqlite(&'r sqlx::sqlite::SqliteRow),
}

impl<'r> Columns<'r> {
    pub(crate) fn of(result: &'r QueryResult) -> Result<Columns<'r>, DbErr> {
        if let Some(row) = result.try_as_pg_row() {
            Ok(Columns::Postgres(row))
        } else if let Some(row) = result.try_as_sqlite_row() {
            Ok(Columns::Sqlite(row))
        } else {
            Err(DbErr::Custom(
                "a row of neither PostgreSQL nor SQLite".into(),
            ))
        }
    }

    /// The column at `index`, of a type both drivers decode alike (uuids,
    /// text, dates and times, booleans, integers; `Option` for NULL).
    pub(crate) fn get<T>(&self, index: usize) -> Result<T, DbErr>
    where
        T: for<'a> sqlx::Decode<'a, sqlx::Postgres> + for<'a> sqlx::Decode<'a, sqlx::Sqlite>,
    {
        match self {
            Columns::Postgres(row) => row.try_get_unchecked(index),
            Columns::Sqlite(row) => row.try_get_unchecked(index),
        }
        .map_err(|error| unreadable(index, &error))
    }

    /// A decimal: PostgreSQL's NUMERIC; SQLite keeps a REAL, read through
    /// an f64 as SeaORM reads it.
    pub(crate) fn decimal(&self, index: usize) -> Result<Decimal, DbErr> {
        match self {
            Columns::Postgres(row) => row
                .try_get_unchecked(index)
                .map_err(|error| unreadable(index, &error)),
            Columns::Sqlite(_) => {
                let real: f64 = self.get(index)?;
                Decimal::try_from(real).map_err(|error| unreadable(index, &error))
            }
        }
    }

    /// An enumeration kept as its text (`Unit`, `Direction`, `Role`).
    pub(crate) fn enumerated<E>(&self, index: usize) -> Result<E, DbErr>
    where
        E: ActiveEnum<Value = String>,
    {
        E::try_from_value(&self.get::<String>(index)?)
    }

    /// An enumeration kept as its text, or NULL.
    pub(crate) fn optional_enumerated<E>(&self, index: usize) -> Result<Option<E>, DbErr>
    where
        E: ActiveEnum<Value = String>,
    {
        self.get::<Option<String>>(index)?
            .map(|text| E::try_from_value(&text))
            .transpose()
    }
}

fn unreadable(index: usize, error: &dyn std::fmt::Display) -> DbErr {
    DbErr::Type(format!("column {index} of a row: {error}"))
}
