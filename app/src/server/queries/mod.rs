//! The read side: what pages and exports show, one module per page family.
//! Nothing here writes.

pub mod planning;
