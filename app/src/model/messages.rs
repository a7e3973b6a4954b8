//! The notification settings page and the admin's messages page.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A person's choices for reminders and digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub reminders: bool,
    pub digests: bool,
    /// An IANA name, such as `Europe/London`.
    pub time_zone: String,
    /// The local hour, 0 to 23.
    pub hour: u8,
}

/// The notification settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettingsPage {
    pub settings: NotificationSettings,
    /// The person's team's check-in day, as a word.
    pub check_in_day: String,
    /// Whether the person gets digests at all (leads and admins).
    pub gets_digests: bool,
    /// Whether this server sends email (`SMTP_URL` is set).
    pub mail_enabled: bool,
}

/// A team's message settings, as the admin edits them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMessageSettings {
    pub team_id: Uuid,
    pub team: String,
    /// ISO weekday, 1 Monday … 7 Sunday.
    pub check_in_day: u8,
    pub time_zone: String,
    /// Empty for none.
    pub webhook_url: String,
}

/// One message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessageView {
    pub id: Uuid,
    pub kind: String,
    pub channel: String,
    /// The email address, or the webhook's host.
    pub recipient: String,
    pub subject: String,
    pub state: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// The admin's messages page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesPage {
    pub mail_enabled: bool,
    pub teams: Vec<TeamMessageSettings>,
    pub messages: Vec<OutboxMessageView>,
}
