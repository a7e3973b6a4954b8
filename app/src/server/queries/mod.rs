//! The read side: what pages and exports show, one module per page family.
//! Nothing here writes.

pub mod dashboard;
pub mod key_results;
pub mod planning;
