//! What the server sends the pages: plain, serializable views of the data,
//! one module per page family.

mod admin;
mod alignment;
mod import;
mod messages;
mod okrs;
mod planning;

pub use admin::*;
pub use alignment::*;
pub use import::*;
pub use messages::*;
pub use okrs::*;
pub use planning::*;
