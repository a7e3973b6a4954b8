//! Deciding which reminders and digests are due now, and writing them to
//! the outbox in the transaction that decided them. Each has a unique key
//! (person or team, kind and local day), so a second decision, on this
//! server or another, writes nothing: every message exists once.
//!
//! Time comes in as an argument: the job passes the clock's, the tests
//! whatever Monday 09:00 they need.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::Role;
use domain::reminders::{self, DEFAULT_HOUR, Nudge};
use entity::{
    notification_setting, okr_user, outbox_message, person_role, quarter, team,
    team_message_setting,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use super::MessagesConfig;
use super::compose::{self, Email};
use super::settings;
use super::unsubscribe::{self, Topic};
use crate::dashboard_query::DashboardQuery;
use crate::model::{Dashboard, Filters};
use crate::server::db::write_turn;
use crate::server::queries::dashboard::dashboard;

/// A message decided, before its words (which need the person's
/// unsubscribe key).
enum Planned {
    Reminder {
        person: okr_user::Model,
        day: NaiveDate,
        quarter: String,
        due: Vec<compose::DueKeyResult>,
    },
    Digest {
        person: okr_user::Model,
        day: NaiveDate,
        digest: compose::Digest,
        dashboard_link: String,
    },
    TeamDigest {
        team: Uuid,
        webhook: String,
        day: NaiveDate,
        digest: compose::Digest,
        dashboard_link: String,
    },
}

/// Decides every message due at `now` and writes the new ones to the
/// outbox; answers how many were new.
pub async fn decide(
    db: &DatabaseConnection,
    config: &MessagesConfig,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let today = now.date_naive();
    let quarters = quarter::Entity::find()
        .filter(quarter::Column::Archived.eq(false))
        .filter(quarter::Column::StartAt.lte(today + TimeDelta::days(1)))
        .filter(quarter::Column::EndAt.gte(today - TimeDelta::days(1)))
        .all(db)
        .await?;
    if quarters.is_empty() {
        return Ok(0);
    }
    let _turn = write_turn(db).await;
    let txn = db.begin().await?;
    let planned = plan(&txn, config, &quarters, now).await?;
    if planned.is_empty() {
        txn.commit().await?;
        return Ok(0);
    }
    let recipients: HashSet<Uuid> = planned
        .iter()
        .filter_map(|plan| match plan {
            Planned::Reminder { person, .. } | Planned::Digest { person, .. } => Some(person.id),
            Planned::TeamDigest { .. } => None,
        })
        .collect();
    let naive_now = now.naive_utc();
    settings::ensure_rows(&txn, recipients.iter().copied(), naive_now).await?;
    let keys: HashMap<Uuid, String> = notification_setting::Entity::find()
        .filter(notification_setting::Column::PersonId.is_in(recipients))
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.person_id, row.unsubscribe_key))
        .collect();
    let base = &config.public_url;
    let settings_link = format!("{base}/settings/notifications");
    let rows: Vec<outbox_message::ActiveModel> = planned
        .into_iter()
        .map(|plan| {
            let unsubscribe_link = |person: Uuid, topic: Topic| {
                unsubscribe::link(
                    base,
                    keys.get(&person).map_or("", String::as_str),
                    person,
                    topic,
                )
            };
            match plan {
                Planned::Reminder {
                    person,
                    day,
                    quarter,
                    due,
                } => {
                    let follow_up = due.iter().any(|item| item.nudge == Nudge::FollowUp);
                    let email = compose::reminder(
                        &person.name,
                        &quarter,
                        &due,
                        &settings_link,
                        &unsubscribe_link(person.id, Topic::Reminders),
                    );
                    row(
                        format!("reminder:{}:{day}", person.id),
                        if follow_up { "follow_up" } else { "reminder" },
                        "email",
                        Some(person.id),
                        None,
                        person.email,
                        email,
                        naive_now,
                    )
                }
                Planned::Digest {
                    person,
                    day,
                    digest,
                    dashboard_link,
                } => {
                    let email = digest.email(
                        &settings_link,
                        &unsubscribe_link(person.id, Topic::Digests),
                        &dashboard_link,
                    );
                    row(
                        format!("digest:{}:{day}", person.id),
                        "digest",
                        "email",
                        Some(person.id),
                        None,
                        person.email,
                        email,
                        naive_now,
                    )
                }
                Planned::TeamDigest {
                    team,
                    webhook,
                    day,
                    digest,
                    dashboard_link,
                } => {
                    let post = digest.chat_post(&dashboard_link);
                    let email = Email {
                        subject: digest.subject(),
                        text: post["text"].as_str().unwrap_or_default().to_owned(),
                        html: post.to_string(),
                    };
                    row(
                        format!("team-digest:{team}:{day}"),
                        "digest",
                        "webhook",
                        None,
                        Some(team),
                        webhook,
                        email,
                        naive_now,
                    )
                }
            }
        })
        .collect();
    let written = outbox_message::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(outbox_message::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(written)
}

#[allow(clippy::too_many_arguments)]
fn row(
    dedupe_key: String,
    kind: &str,
    channel: &str,
    person_id: Option<Uuid>,
    team_id: Option<Uuid>,
    recipient: String,
    email: Email,
    now: chrono::NaiveDateTime,
) -> outbox_message::ActiveModel {
    outbox_message::ActiveModel {
        id: Set(Uuid::new_v4()),
        dedupe_key: Set(dedupe_key),
        kind: Set(kind.to_owned()),
        channel: Set(channel.to_owned()),
        person_id: Set(person_id),
        team_id: Set(team_id),
        recipient: Set(recipient),
        subject: Set(email.subject),
        body_text: Set(email.text),
        body_rich: Set(email.html),
        state: Set(super::outbox::PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        last_error: Set(None),
        runner: Set(None),
        lease_until: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

/// Rows by their id.
fn by_id<T>(rows: Vec<T>, id: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

/// The dashboards read so far, by quarter label and day.
struct Boards<'a, C> {
    db: &'a C,
    read: HashMap<(String, NaiveDate), Option<Dashboard>>,
}

impl<C: ConnectionTrait> Boards<'_, C> {
    async fn get(&mut self, label: &str, day: NaiveDate) -> Result<Option<Dashboard>, DbErr> {
        let key = (label.to_owned(), day);
        if let Some(board) = self.read.get(&key) {
            return Ok(board.clone());
        }
        let board = dashboard(self.db, Some(label), day).await?;
        self.read.insert(key, board.clone());
        Ok(board)
    }
}

/// Narrows `board` to one team, as the dashboard's team filter does.
fn team_only(mut board: Dashboard, team: Uuid) -> Dashboard {
    board.filter(&Filters {
        team: Some(team),
        ..Filters::default()
    });
    board
}

fn dashboard_link(base: &str, label: &str, team: Option<Uuid>) -> String {
    let mut query = DashboardQuery::for_quarter(label);
    query.team = team.map(|team| team.to_string());
    format!("{base}{}", query.href())
}

async fn plan(
    db: &impl ConnectionTrait,
    config: &MessagesConfig,
    quarters: &[quarter::Model],
    now: DateTime<Utc>,
) -> Result<Vec<Planned>, DbErr> {
    let naive_now = now.naive_utc();
    let base = &config.public_url;
    let people_settings = by_id(notification_setting::Entity::find().all(db).await?, |row| {
        row.person_id
    });
    let team_settings = by_id(team_message_setting::Entity::find().all(db).await?, |row| {
        row.team_id
    });
    let roles: HashMap<Uuid, Role> = person_role::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.okr_user_id, row.role))
        .collect();
    let team_names: HashMap<Uuid, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|team| (team.id, team.name))
        .collect();
    let quarter_on = |day: NaiveDate| {
        quarters
            .iter()
            .find(|quarter| quarter.start_at <= day && day <= quarter.end_at)
    };
    let mut boards = Boards {
        db,
        read: HashMap::new(),
    };
    let mut planned = Vec::new();
    // People's email: only when this server can send mail. Without it,
    // nothing is decided, rather than piling up to go out late.
    if config.smtp_url.is_some() {
        let people = okr_user::Entity::find()
            .filter(okr_user::Column::Active.eq(true))
            .all(db)
            .await?;
        for person in people {
            let choices = settings::person_or_default(people_settings.get(&person.id));
            let zone = settings::stored_zone(&choices.time_zone);
            let schedule = settings::team_or_default(team_settings.get(&person.team_id));
            let local_today = now.with_timezone(&zone).date_naive();
            let Some(quarter) = quarter_on(local_today) else {
                continue;
            };
            if choices.reminders
                && let Some(day) =
                    reminders::local_day(now, &zone, schedule.check_in_day, choices.hour)
                && let Some(board) = boards.get(&quarter.label, local_today).await?
            {
                let due = compose::due_key_results(&board, person.id, naive_now, base);
                if !due.is_empty() {
                    planned.push(Planned::Reminder {
                        person: person.clone(),
                        day,
                        quarter: quarter.label.clone(),
                        due,
                    });
                }
            }
            let role = roles.get(&person.id).copied().unwrap_or(Role::Member);
            if choices.digests
                && role != Role::Member
                && let Some(day) = reminders::local_day(
                    now,
                    &zone,
                    reminders::digest_day(schedule.check_in_day),
                    choices.hour,
                )
                && let Some(board) = boards.get(&quarter.label, local_today).await?
            {
                let (board, scope, team) = if role == Role::Admin {
                    (board, "All teams".to_owned(), None)
                } else {
                    (
                        team_only(board, person.team_id),
                        team_names.get(&person.team_id).cloned().unwrap_or_default(),
                        Some(person.team_id),
                    )
                };
                if board.key_results().next().is_some()
                    && let Some(digest) = compose::digest(&board, &scope, naive_now, base)
                {
                    planned.push(Planned::Digest {
                        person,
                        day,
                        digest,
                        dashboard_link: dashboard_link(base, &quarter.label, team),
                    });
                }
            }
        }
    }
    // Teams' channels: their digest at 09:00 in the team's time zone.
    for (team, row) in &team_settings {
        let schedule = settings::team_or_default(Some(row));
        let Some(webhook) = schedule.webhook_url.clone() else {
            continue;
        };
        let zone = schedule.time_zone;
        let Some(day) = reminders::local_day(
            now,
            &zone,
            reminders::digest_day(schedule.check_in_day),
            DEFAULT_HOUR,
        ) else {
            continue;
        };
        let Some(quarter) = quarter_on(day) else {
            continue;
        };
        let Some(board) = boards.get(&quarter.label, day).await? else {
            continue;
        };
        let board = team_only(board, *team);
        let scope = team_names.get(team).cloned().unwrap_or_default();
        if board.key_results().next().is_some()
            && let Some(digest) = compose::digest(&board, &scope, naive_now, base)
        {
            planned.push(Planned::TeamDigest {
                team: *team,
                webhook,
                day,
                digest,
                dashboard_link: dashboard_link(base, &quarter.label, Some(*team)),
            });
        }
    }
    Ok(planned)
}
