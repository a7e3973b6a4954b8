//! The pages, one module each, and the pieces they share (`widgets`, `form`).

pub mod admin;
pub mod alignment;
pub mod app;
pub mod check_in_form;
pub mod dashboard;
pub mod dashboard_rows;
pub mod form;
pub mod key_result_page;
pub mod notifications;
pub mod okr_forms;
pub mod planning;
pub mod review;
pub mod sign_in;
pub mod sparkline;
pub mod tokens;
pub mod transfer;
pub mod widgets;

use chrono::NaiveDateTime;

/// `Jan 20, 2025`.
pub fn format_date(moment: NaiveDateTime) -> String {
    moment.format("%b %-d, %Y").to_string()
}
