//! Statements built once per backend and given their values per call.
//!
//! Building a statement with sea-query (its joins, conditions and aliases)
//! costs more than PostgreSQL takes to run a small one. The statements
//! every request runs (the session lookup, the dashboard) are built once
//! with stand-in values, and each call swaps its own values in.

use std::sync::OnceLock;

use sea_orm::{DbBackend, Statement, Value};

/// One statement, built on first use for each backend.
pub(crate) struct BuiltOnce {
    /// PostgreSQL's and SQLite's; any other backend is built every time.
    built: [OnceLock<Statement>; 2],
}

impl BuiltOnce {
    pub(crate) const fn new() -> BuiltOnce {
        BuiltOnce {
            built: [const { OnceLock::new() }; 2],
        }
    }

    /// The statement for `backend`: `build` makes it with stand-in values
    /// (once), then `fill` is given each of its values to swap a stand-in
    /// for this call's value.
    pub(crate) fn statement(
        &self,
        backend: DbBackend,
        build: impl FnOnce(DbBackend) -> Statement,
        mut fill: impl FnMut(&mut Value),
    ) -> Statement {
        let mut statement = match backend {
            DbBackend::Postgres => self.built[0].get_or_init(|| build(backend)).clone(),
            DbBackend::Sqlite => self.built[1].get_or_init(|| build(backend)).clone(),
            _ => build(backend),
        };
        for value in statement
            .values
            .iter_mut()
            .flat_map(|values| values.0.iter_mut())
        {
            fill(value);
        }
        statement
    }
}
