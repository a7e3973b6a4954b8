pub mod app;
pub mod dashboard;
pub mod sparkline;

use chrono::NaiveDateTime;

/// `Jan 20, 2025`.
pub fn format_date(moment: NaiveDateTime) -> String {
    moment.format("%b %-d, %Y").to_string()
}
