//! The app crate's integration tests, one binary: each module is one
//! area, and they share their helpers.

mod check_in_concurrency;
mod check_in_order;
mod dashboard_queries;
mod key_result_history;
