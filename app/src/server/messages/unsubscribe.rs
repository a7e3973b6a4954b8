//! One-click unsubscribe links: `/unsubscribe/<person>/<topic>/<signature>`,
//! signed with the person's own key (kept in `notification_setting`), so
//! they work without signing in, on every server, and only for the person
//! and topic they were made for. Opening one shows a button (a link
//! scanner that follows it changes nothing); the button, or a mail
//! client's one-click `POST` (RFC 8058), turns the topic off.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::settings;
use crate::server::AppState;

/// What a link unsubscribes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Reminders,
    Digests,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Reminders => "reminders",
            Topic::Digests => "digests",
        }
    }

    pub fn parse(text: &str) -> Option<Topic> {
        match text {
            "reminders" => Some(Topic::Reminders),
            "digests" => Some(Topic::Digests),
            _ => None,
        }
    }
}

fn signature(key: &str, person: Uuid, topic: Topic) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("unsubscribe:{person}:{}", topic.as_str()).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The link that turns `topic` off for `person`, whose key is `key`.
pub fn link(base_url: &str, key: &str, person: Uuid, topic: Topic) -> String {
    format!(
        "{base_url}/unsubscribe/{person}/{}/{}",
        topic.as_str(),
        signature(key, person, topic)
    )
}

/// Whether `signature` is the one `key` makes for `person` and `topic`
/// (compared in constant time).
pub fn verify(key: &str, person: Uuid, topic: Topic, signature: &str) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("unsubscribe:{person}:{}", topic.as_str()).as_bytes());
    mac.verify_slice(&given).is_ok()
}

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/unsubscribe/{person}/{topic}/{signature}",
        axum::routing::get(confirm).post(unsubscribe),
    )
}

fn page(status: http::StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · RunwayOKR</title>\n\
         <link rel=\"stylesheet\" href=\"/pkg/runway-okr.css\">\n</head>\n\
         <body>\n<div class=\"page\">\n<header class=\"masthead\"><p class=\"brand-line\"><a href=\"/\" class=\"brand\">RunwayOKR</a></p></header>\n\
         <main>\n<section class=\"panel\" data-testid=\"unsubscribe\">\n<h1>{title}</h1>\n{body}\n</section>\n</main>\n</div>\n</body>\n</html>\n"
    );
    (
        status,
        [(http::header::CACHE_CONTROL, "no-store")],
        Html(html),
    )
        .into_response()
}

fn not_valid() -> Response {
    page(
        http::StatusCode::NOT_FOUND,
        "This unsubscribe link is not valid",
        "<p>It may have been copied incompletely. Sign in and open <a href=\"/settings/notifications\">your notification settings</a> instead.</p>",
    )
}

/// The person and topic of a link, if its signature holds.
async fn checked(
    state: &AppState,
    person: &str,
    topic: &str,
    signature: &str,
) -> Option<(Uuid, Topic)> {
    let person = Uuid::parse_str(person).ok()?;
    let topic = Topic::parse(topic)?;
    if signature.len() != 64 {
        return None;
    }
    let key = settings::unsubscribe_key(&state.db, person).await.ok()??;
    verify(&key, person, topic, signature).then_some((person, topic))
}

async fn confirm(
    State(state): State<AppState>,
    Path((person, topic, signature)): Path<(String, String, String)>,
) -> Response {
    let Some((_, topic)) = checked(&state, &person, &topic, &signature).await else {
        return not_valid();
    };
    page(
        http::StatusCode::OK,
        &format!("Unsubscribe from check-in {}?", topic.as_str()),
        &format!(
            "<p>You will no longer get RunwayOKR's {0} by email. You can turn them on again in your notification settings.</p>\n\
             <form method=\"post\"><button type=\"submit\" data-testid=\"unsubscribe-confirm\">Unsubscribe from {0}</button></form>",
            topic.as_str()
        ),
    )
}

async fn unsubscribe(
    State(state): State<AppState>,
    Path((person, topic, signature)): Path<(String, String, String)>,
) -> Response {
    let Some((person, topic)) = checked(&state, &person, &topic, &signature).await else {
        return not_valid();
    };
    match settings::turn_off(&state.db, person, topic).await {
        Ok(()) => {
            tracing::info!(%person, topic = topic.as_str(), "unsubscribed by link");
            page(
                http::StatusCode::OK,
                &format!("You are unsubscribed from {}", topic.as_str()),
                "<p data-testid=\"unsubscribed\">Done: no more of these emails. To turn them on again, open <a href=\"/settings/notifications\">your notification settings</a>.</p>",
            )
        }
        Err(error) => {
            tracing::warn!(%error, "could not unsubscribe");
            page(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "Please try again",
                "<p>The change could not be saved just now. Please try the link again in a moment.</p>",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_good_only_for_its_person_topic_and_key() {
        let person = Uuid::new_v4();
        let link = link("https://okr.example", "key-1", person, Topic::Reminders);
        let signature = link.rsplit('/').next().unwrap();
        assert!(link.starts_with(&format!(
            "https://okr.example/unsubscribe/{person}/reminders/"
        )));
        assert!(verify("key-1", person, Topic::Reminders, signature));
        assert!(!verify("key-2", person, Topic::Reminders, signature));
        assert!(!verify("key-1", person, Topic::Digests, signature));
        assert!(!verify(
            "key-1",
            Uuid::new_v4(),
            Topic::Reminders,
            signature
        ));
        assert!(!verify("key-1", person, Topic::Reminders, "zz"));
    }
}
