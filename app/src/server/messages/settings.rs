//! Who wants which messages, when, and where a team's go: reading and
//! saving `notification_setting` and `team_message_setting`.

use std::str::FromStr;

use chrono::{NaiveDateTime, Weekday};
use chrono_tz::Tz;
use domain::Invalid;
use domain::reminders::{self, DEFAULT_CHECK_IN_DAY, DEFAULT_HOUR};
use entity::{notification_setting, team, team_message_setting};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::unsubscribe::Topic;
use crate::error::AppError;
use crate::model::{NotificationSettings, TeamMessageSettings};
use crate::server::db::write_turn;

/// An IANA time zone name, as typed: `Europe/London`, `Asia/Tokyo`, `UTC`.
pub fn parse_zone(text: &str) -> Result<Tz, Invalid> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Invalid::new(
            "time_zone",
            "enter a time zone, such as Europe/London",
        ));
    }
    Tz::from_str(text).map_err(|_| {
        Invalid::new(
            "time_zone",
            format!(
                "“{text}” is not a time zone; use a name such as Europe/London or America/Sao_Paulo"
            ),
        )
    })
}

/// A stored zone; one no longer known (a newer database renamed it) reads
/// as UTC rather than stopping every message.
pub fn stored_zone(name: &str) -> Tz {
    Tz::from_str(name).unwrap_or(Tz::UTC)
}

/// A person's settings, or the defaults if they never saved any.
pub fn person_or_default(row: Option<&notification_setting::Model>) -> NotificationSettings {
    row.map_or(
        NotificationSettings {
            reminders: true,
            digests: true,
            time_zone: "UTC".to_owned(),
            hour: DEFAULT_HOUR,
        },
        |row| NotificationSettings {
            reminders: row.reminders,
            digests: row.digests,
            time_zone: row.time_zone.clone(),
            hour: u8::try_from(row.hour).unwrap_or(DEFAULT_HOUR),
        },
    )
}

pub async fn person(
    db: &impl ConnectionTrait,
    person: Uuid,
) -> Result<NotificationSettings, DbErr> {
    let row = notification_setting::Entity::find_by_id(person)
        .one(db)
        .await?;
    Ok(person_or_default(row.as_ref()))
}

/// A team's check-in day, time zone and webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamSchedule {
    pub check_in_day: Weekday,
    pub time_zone: Tz,
    pub webhook_url: Option<String>,
}

pub fn team_or_default(row: Option<&team_message_setting::Model>) -> TeamSchedule {
    row.map_or(
        TeamSchedule {
            check_in_day: DEFAULT_CHECK_IN_DAY,
            time_zone: Tz::UTC,
            webhook_url: None,
        },
        |row| TeamSchedule {
            check_in_day: reminders::weekday_from_number(row.check_in_day),
            time_zone: stored_zone(&row.time_zone),
            webhook_url: row.webhook_url.clone(),
        },
    )
}

/// Saves a person's choices; on bad input, nothing changes and the error
/// names the field.
pub async fn save_person(
    db: &impl ConnectionTrait,
    person: Uuid,
    reminders_on: bool,
    digests_on: bool,
    time_zone: &str,
    hour: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let zone = parse_zone(time_zone)?;
    let hour = reminders::check_hour(hour)?;
    let _turn = write_turn(db).await;
    notification_setting::Entity::insert(notification_setting::ActiveModel {
        person_id: Set(person),
        reminders: Set(reminders_on),
        digests: Set(digests_on),
        time_zone: Set(zone.name().to_owned()),
        hour: Set(i16::from(hour)),
        unsubscribe_key: Set(crate::server::secrets::new_token()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(notification_setting::Column::PersonId)
            .update_columns([
                notification_setting::Column::Reminders,
                notification_setting::Column::Digests,
                notification_setting::Column::TimeZone,
                notification_setting::Column::Hour,
                notification_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Turns one topic off, from an unsubscribe link.
pub async fn turn_off(db: &impl ConnectionTrait, person: Uuid, topic: Topic) -> Result<(), DbErr> {
    let column = match topic {
        Topic::Reminders => notification_setting::Column::Reminders,
        Topic::Digests => notification_setting::Column::Digests,
    };
    let _turn = write_turn(db).await;
    notification_setting::Entity::update_many()
        .col_expr(column, sea_orm::sea_query::Expr::value(false))
        .col_expr(
            notification_setting::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now().naive_utc()),
        )
        .filter(notification_setting::Column::PersonId.eq(person))
        .exec(db)
        .await?;
    Ok(())
}

/// The key that signs a person's unsubscribe links, if they have one.
pub async fn unsubscribe_key(
    db: &impl ConnectionTrait,
    person: Uuid,
) -> Result<Option<String>, DbErr> {
    Ok(notification_setting::Entity::find_by_id(person)
        .one(db)
        .await?
        .map(|row| row.unsubscribe_key))
}

/// Gives each of `people` a settings row (the defaults, with a new key)
/// if they have none, so their messages can carry unsubscribe links.
/// The caller holds the write turn.
pub async fn ensure_rows(
    db: &impl ConnectionTrait,
    people: impl IntoIterator<Item = Uuid>,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    let rows: Vec<_> = people
        .into_iter()
        .map(|person| notification_setting::ActiveModel {
            person_id: Set(person),
            reminders: Set(true),
            digests: Set(true),
            time_zone: Set("UTC".to_owned()),
            hour: Set(i16::from(DEFAULT_HOUR)),
            unsubscribe_key: Set(crate::server::secrets::new_token()),
            updated_at: Set(now),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    notification_setting::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(notification_setting::Column::PersonId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Every team that is not archived, with its settings, for the admin.
pub async fn teams(db: &impl ConnectionTrait) -> Result<Vec<TeamMessageSettings>, DbErr> {
    let teams = team::Entity::find()
        .filter(team::Column::Archived.eq(false))
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?;
    let settings: std::collections::HashMap<Uuid, team_message_setting::Model> =
        team_message_setting::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| (row.team_id, row))
            .collect();
    Ok(teams
        .into_iter()
        .map(|team| {
            let schedule = team_or_default(settings.get(&team.id));
            TeamMessageSettings {
                team_id: team.id,
                team: team.name,
                check_in_day: schedule.check_in_day.number_from_monday() as u8,
                time_zone: schedule.time_zone.name().to_owned(),
                webhook_url: schedule.webhook_url.unwrap_or_default(),
            }
        })
        .collect())
}

/// Saves a team's check-in day, time zone and webhook (admins only: the
/// caller checks).
pub async fn save_team(
    db: &impl ConnectionTrait,
    team_id: Uuid,
    check_in_day: &str,
    time_zone: &str,
    webhook_url: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let day = reminders::check_weekday(check_in_day)?;
    let zone = parse_zone(time_zone)?;
    let webhook = reminders::check_webhook_url(webhook_url)?;
    if team::Entity::find_by_id(team_id).one(db).await?.is_none() {
        return Err(AppError::validation(
            "team_id",
            "choose a team from the list",
        ));
    }
    let _turn = write_turn(db).await;
    team_message_setting::Entity::insert(team_message_setting::ActiveModel {
        team_id: Set(team_id),
        check_in_day: Set(day.number_from_monday() as i16),
        time_zone: Set(zone.name().to_owned()),
        webhook_url: Set(webhook),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(team_message_setting::Column::TeamId)
            .update_columns([
                team_message_setting::Column::CheckInDay,
                team_message_setting::Column::TimeZone,
                team_message_setting::Column::WebhookUrl,
                team_message_setting::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_are_iana_names_and_errors_name_the_field() {
        assert_eq!(parse_zone(" Asia/Tokyo ").unwrap().name(), "Asia/Tokyo");
        assert_eq!(
            parse_zone("America/Sao_Paulo").unwrap().name(),
            "America/Sao_Paulo"
        );
        assert_eq!(parse_zone("Mars/Olympus").unwrap_err().field, "time_zone");
        assert_eq!(parse_zone("").unwrap_err().field, "time_zone");
        assert_eq!(stored_zone("Nowhere/Gone"), Tz::UTC);
    }
}
