//! Delivering the outbox: each due message is claimed by one server (a
//! conditional update, with a lease in case that server dies mid-send),
//! sent by email or webhook, and marked sent; a failed try waits longer
//! each time ([`domain::reminders::retry_after`]), and after the last one
//! the message is `failed`, with the error, until an admin resends it.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use entity::outbox_message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::MessagesConfig;
use super::unsubscribe::{self, Topic};
use crate::error::AppError;
use crate::model::OutboxMessageView;
use crate::server::db::write_turn;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

/// How long a server has a message it is sending; after that, another
/// may take it (the first died, or hung).
const LEASE: TimeDelta = TimeDelta::seconds(120);
/// Messages taken per round.
const BATCH: u64 = 20;

/// What sends: the SMTP transport (if `SMTP_URL` is set) and the HTTP
/// client for webhooks. Made once per process; the transport pools its
/// connections.
pub struct Postman {
    smtp: Result<AsyncSmtpTransport<Tokio1Executor>, String>,
    from: Result<Mailbox, String>,
    http: reqwest::Client,
}

impl Postman {
    pub fn new(config: &MessagesConfig) -> Postman {
        let smtp = match &config.smtp_url {
            None => Err("mail is off: SMTP_URL is not set".to_owned()),
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| builder.timeout(Some(Duration::from_secs(20))).build())
                .map_err(|error| format!("SMTP_URL is not usable: {error}")),
        };
        let from = config
            .mail_from
            .parse::<Mailbox>()
            .map_err(|error| format!("MAIL_FROM is not an address: {error}"));
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            // A webhook must answer itself: no following it elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Postman { smtp, from, http }
    }

    async fn email(
        &self,
        message: &outbox_message::Model,
        unsubscribe: Option<String>,
    ) -> Result<(), String> {
        let smtp = self.smtp.as_ref().map_err(Clone::clone)?;
        let from = self.from.as_ref().map_err(Clone::clone)?;
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|error| format!("the recipient is not an address: {error}"))?;
        let mut builder = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(&message.subject)
            .message_id(Some(format!("<{}@runway-okr>", message.id)));
        let mut email = {
            let body = MultiPart::alternative_plain_html(
                message.body_text.clone(),
                message.body_rich.clone(),
            );
            builder = builder.header(lettre::message::header::MIME_VERSION_1_0);
            builder
                .multipart(body)
                .map_err(|error| format!("the message could not be built: {error}"))?
        };
        if let Some(link) = unsubscribe {
            let headers = email.headers_mut();
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{link}>"),
            ));
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ));
        }
        smtp.send(email)
            .await
            .map(|_| ())
            .map_err(|error| format!("SMTP: {error}"))
    }

    async fn webhook(&self, message: &outbox_message::Model) -> Result<(), String> {
        let response = self
            .http
            .post(&message.recipient)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(message.body_rich.clone())
            .send()
            .await
            // Without the URL: its path is the webhook's secret.
            .map_err(|error| format!("webhook: {}", error.without_url()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("webhook: answered {status}"))
        }
    }
}

/// The state each due message may be taken from: pending and due, or
/// being sent by a server whose lease ran out.
fn due(now: NaiveDateTime) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(outbox_message::Column::State.eq(PENDING))
                .add(outbox_message::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(outbox_message::Column::State.eq(SENDING))
                .add(outbox_message::Column::LeaseUntil.lt(now)),
        )
}

/// Sends what is due at `now`, as server `runner`; answers how many were
/// sent.
pub async fn deliver_due(
    db: &impl ConnectionTrait,
    config: &MessagesConfig,
    postman: &Postman,
    runner: Uuid,
    now: NaiveDateTime,
) -> Result<u64, DbErr> {
    let mut sent = 0;
    let candidates = outbox_message::Entity::find()
        .filter(due(now))
        .order_by_asc(outbox_message::Column::NextAttemptAt)
        .limit(BATCH)
        .all(db)
        .await?;
    for message in candidates {
        if !claim(db, message.id, runner, now).await? {
            continue;
        }
        let unsubscribe = match (message.person_id, topic_of(&message.kind)) {
            (Some(person), Some(topic)) if message.channel == "email" => {
                super::settings::unsubscribe_key(db, person)
                    .await?
                    .map(|key| unsubscribe::link(&config.public_url, &key, person, topic))
            }
            _ => None,
        };
        let outcome = match message.channel.as_str() {
            "email" => postman.email(&message, unsubscribe).await,
            "webhook" => postman.webhook(&message).await,
            other => Err(format!("unknown channel {other}")),
        };
        let tries = message.attempts + 1;
        let _turn = write_turn(db).await;
        let mut update = outbox_message::Entity::update_many()
            .col_expr(
                outbox_message::Column::Runner,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(
                outbox_message::Column::LeaseUntil,
                Expr::value(Option::<NaiveDateTime>::None),
            );
        match outcome {
            Ok(()) => {
                sent += 1;
                tracing::info!(id = %message.id, kind = %message.kind, channel = %message.channel, "message sent");
                update = update
                    .col_expr(outbox_message::Column::State, Expr::value(SENT))
                    .col_expr(
                        outbox_message::Column::SentAt,
                        Expr::value(chrono::Utc::now().naive_utc()),
                    )
                    .col_expr(
                        outbox_message::Column::LastError,
                        Expr::value(Option::<String>::None),
                    );
            }
            Err(error) => {
                let gives_up = tries >= config.tries as i32;
                tracing::warn!(id = %message.id, tries, gives_up, %error, "message not sent");
                let wait = domain::reminders::retry_after(tries as u32, config.retry_base);
                update = update
                    .col_expr(
                        outbox_message::Column::State,
                        Expr::value(if gives_up { FAILED } else { PENDING }),
                    )
                    .col_expr(
                        outbox_message::Column::NextAttemptAt,
                        Expr::value(now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(1))),
                    )
                    .col_expr(outbox_message::Column::LastError, Expr::value(error));
            }
        }
        update
            .filter(outbox_message::Column::Id.eq(message.id))
            .filter(outbox_message::Column::Runner.eq(runner))
            .exec(db)
            .await?;
    }
    Ok(sent)
}

fn topic_of(kind: &str) -> Option<Topic> {
    match kind {
        "reminder" | "follow_up" => Some(Topic::Reminders),
        "digest" => Some(Topic::Digests),
        _ => None,
    }
}

/// Takes message `id` for `runner`, if it is still due: true if this call
/// took it. Counts the try.
async fn claim(
    db: &impl ConnectionTrait,
    id: Uuid,
    runner: Uuid,
    now: NaiveDateTime,
) -> Result<bool, DbErr> {
    let _turn = write_turn(db).await;
    let taken = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::State, Expr::value(SENDING))
        .col_expr(outbox_message::Column::Runner, Expr::value(runner))
        .col_expr(outbox_message::Column::LeaseUntil, Expr::value(now + LEASE))
        .col_expr(
            outbox_message::Column::Attempts,
            Expr::col(outbox_message::Column::Attempts).add(1),
        )
        .filter(outbox_message::Column::Id.eq(id))
        .filter(due(now))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Puts a failed message back in the queue, due now, with its tries
/// counted afresh (admins only: the caller checks).
pub async fn resend(
    db: &impl ConnectionTrait,
    id: Uuid,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let _turn = write_turn(db).await;
    let done = outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::State, Expr::value(PENDING))
        .col_expr(outbox_message::Column::Attempts, Expr::value(0))
        .col_expr(outbox_message::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox_message::Column::Id.eq(id))
        .filter(outbox_message::Column::State.eq(FAILED))
        .exec(db)
        .await?;
    if done.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::validation(
            "id",
            "only a failed message can be sent again",
        ))
    }
}

/// The latest messages, newest first, for the admin.
pub async fn recent(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<OutboxMessageView>, DbErr> {
    let rows = outbox_message::Entity::find()
        .order_by_desc(outbox_message::Column::CreatedAt)
        .order_by_desc(outbox_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| OutboxMessageView {
            id: row.id,
            recipient: if row.channel == "webhook" {
                webhook_host(&row.recipient)
            } else {
                row.recipient
            },
            kind: row.kind,
            channel: row.channel,
            subject: row.subject,
            state: row.state,
            attempts: row.attempts,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        })
        .collect())
}

/// A webhook's host only: its path is its secret.
fn webhook_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|url| url.host_str().map(|host| format!("webhook at {host}")))
        .unwrap_or_else(|| "webhook".to_owned())
}

/// How long sent and failed messages stay listed before the sweep.
pub const KEPT_FOR: TimeDelta = TimeDelta::days(90);

/// Removes messages sent or failed more than [`KEPT_FOR`] ago, so the
/// outbox does not grow without end. (Their keys are of past days: nothing
/// decides them again.)
pub async fn sweep(db: &impl ConnectionTrait, now: NaiveDateTime) -> Result<u64, DbErr> {
    let _turn = write_turn(db).await;
    let swept = outbox_message::Entity::delete_many()
        .filter(outbox_message::Column::State.is_in([SENT, FAILED]))
        .filter(outbox_message::Column::CreatedAt.lt(now - KEPT_FOR))
        .exec(db)
        .await?;
    Ok(swept.rows_affected)
}
