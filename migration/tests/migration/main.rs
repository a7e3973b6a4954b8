//! The migration crate's integration tests, one binary: each module is one
//! area, and they share their helpers.

mod constraints;
mod schema;
mod seed;
mod version;
