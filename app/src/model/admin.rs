//! People, personal access tokens and the API reference, as their admin
//! pages show them.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::okrs::FilterOption;

/// A person as the admin's people page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonAdminView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub team: String,
    pub team_id: Uuid,
    pub role: domain::Role,
    pub active: bool,
    /// Whether they have set a password (accepted their invitation).
    pub has_sign_in: bool,
}

/// The admin's people page: everyone, and the teams to invite people into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminPeople {
    pub people: Vec<PersonAdminView>,
    pub teams: Vec<FilterOption>,
    /// A link issued by the last form post without JavaScript, shown once.
    pub issued_link: Option<IssuedLinkView>,
}

/// An invitation or reset link to pass on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedLinkView {
    pub link: String,
    pub email: String,
    pub expires_at: NaiveDateTime,
}

/// Whether a personal access token still opens the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

impl TokenStatus {
    pub fn label(self) -> &'static str {
        match self {
            TokenStatus::Active => "Active",
            TokenStatus::Expired => "Expired",
            TokenStatus::Revoked => "Revoked",
        }
    }
}

/// A personal access token as its page lists it (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters, such as `rokr_3f9a2c`.
    pub prefix: String,
    pub owner: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub status: TokenStatus,
}

/// A token just created: the only time the token itself is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedTokenView {
    pub token: String,
    pub name: String,
    pub expires_at: Option<NaiveDateTime>,
}

/// The tokens page: the viewer's own tokens and, for admins, everyone else's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokensPage {
    pub mine: Vec<TokenView>,
    /// Other people's tokens; `None` unless the viewer is an admin.
    pub others: Option<Vec<TokenView>>,
    /// A token created by the last form post without JavaScript, shown once.
    pub issued: Option<IssuedTokenView>,
    /// Where the site is reached, for the examples.
    pub base_url: String,
}

/// The API reference page: the OpenAPI document, read for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub version: String,
    pub description: String,
    /// Where the API is reached, for the examples.
    pub base_url: String,
    pub operations: Vec<ApiOperation>,
    /// Each schema of the document: its name and its JSON, pretty-printed.
    pub schemas: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiOperation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub parameters: Vec<ApiParameter>,
    /// The request body's schema name, if it takes one.
    pub request_body: Option<String>,
    /// Status, description and body schema name of each documented answer.
    pub responses: Vec<(String, String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiParameter {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    pub description: String,
}
