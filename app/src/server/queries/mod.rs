//! The read side: what pages and exports show, one module per page family.
//! Nothing here writes.

pub(crate) mod built_once;
pub(crate) mod columns;
pub mod dashboard;
pub mod key_results;
pub mod planning;
