//! RunwayOKR's domain: what is true whatever the way in, with no database.
//!
//! - [`enums`]: the value sets (unit, direction, confidence, role);
//! - [`text`]: reading typed numbers, emails, names and notes;
//! - [`rules`]: progress, pace, rollups, forecast, flags and how values read;
//! - [`access`]: who may check in, plan or administer;
//! - [`alignment`]: progress and confidence up the tree of aligned
//!   objectives;
//! - [`calendar`]: quarter labels and dates, and a check-in's date window;
//! - [`reminders`]: when check-in reminders and digests are due, and
//!   their settings;
//! - [`commands`]: what each write is parsed into, with the failing field
//!   named ([`Invalid`]).
//!
//! The server, the browser bundle, the migrations' seed and the entities all
//! use it, so a rule has one home.

pub mod access;
pub mod alignment;
pub mod calendar;
pub mod commands;
pub mod enums;
pub mod invalid;
pub mod reminders;
pub mod rules;
pub mod text;

pub use enums::{ConfidenceLevel, Direction, InvalidValue, Role, Unit};
pub use invalid::Invalid;
