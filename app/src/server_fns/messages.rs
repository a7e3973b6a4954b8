//! Server functions of the notification settings page and the admin's
//! messages page.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{MessagesPage, NotificationSettingsPage};

#[cfg(feature = "ssr")]
use super::respond;

/// The signed-in person's reminder and digest settings.
#[server(prefix = "/api", endpoint = "notification_settings", input = GetUrl)]
pub async fn get_notification_settings() -> Result<NotificationSettingsPage, AppError> {
    use crate::server::{self, http::middleware, messages::settings};

    respond(async {
        let (_, member) = middleware::current_member()?;
        let state = server::state()?;
        let choices = settings::person(&state.db, member.person_id).await?;
        let team = entity::team_message_setting::Entity::find_by_id(member.team_id)
            .one(&state.db)
            .await?;
        let schedule = settings::team_or_default(team.as_ref());
        Ok(NotificationSettingsPage {
            settings: choices,
            check_in_day: domain::reminders::weekday_name(schedule.check_in_day).to_owned(),
            gets_digests: member.role != domain::Role::Member,
            mail_enabled: state.messages.mail_enabled(),
        })
    })
    .await
}

#[cfg(feature = "ssr")]
use sea_orm::EntityTrait;

/// Saves the signed-in person's settings. A checkbox left unticked is
/// not sent at all, hence the defaults.
#[server(prefix = "/api", endpoint = "save_notification_settings")]
pub async fn save_notification_settings(
    #[server(default)] reminders: Option<String>,
    #[server(default)] digests: Option<String>,
    time_zone: String,
    hour: String,
) -> Result<(), AppError> {
    use crate::dashboard_query::is_on;
    use crate::server::{self, http::middleware, messages::settings};

    respond(async {
        let (_, member) = middleware::current_member()?;
        settings::save_person(
            &server::db()?,
            member.person_id,
            is_on(reminders.as_deref()),
            is_on(digests.as_deref()),
            &time_zone,
            &hour,
            chrono::Utc::now().naive_utc(),
        )
        .await?;
        tracing::info!(person = %member.person_id, "notification settings saved");
        super::go_to("/settings/notifications?saved=1");
        Ok(())
    })
    .await
}

/// The admin's page: whether mail is on, each team's settings, and the
/// latest messages.
#[server(prefix = "/api", endpoint = "admin_messages", input = GetUrl)]
pub async fn get_messages_page() -> Result<MessagesPage, AppError> {
    use crate::server::{self, messages};

    respond(async {
        super::auth::require_admin()?;
        let state = server::state()?;
        Ok(MessagesPage {
            mail_enabled: state.messages.mail_enabled(),
            teams: messages::settings::teams(&state.db).await?,
            messages: messages::outbox::recent(&state.db, 100).await?,
        })
    })
    .await
}

/// Saves a team's check-in day, time zone and webhook.
#[server(prefix = "/api", endpoint = "save_team_messages")]
pub async fn save_team_messages(
    team_id: String,
    check_in_day: String,
    time_zone: String,
    #[server(default)] webhook_url: String,
) -> Result<(), AppError> {
    use crate::server::{self, messages::settings};

    respond(async {
        let current = super::auth::require_admin()?;
        let team = uuid::Uuid::parse_str(team_id.trim())
            .map_err(|_| AppError::validation("team_id", "choose a team from the list"))?;
        settings::save_team(
            &server::db()?,
            team,
            &check_in_day,
            &time_zone,
            &webhook_url,
            chrono::Utc::now().naive_utc(),
        )
        .await?;
        tracing::info!(%team, by = %current.viewer.email, "team message settings saved");
        super::go_to("/admin/messages?saved=1");
        Ok(())
    })
    .await
}

/// Sends a failed message again.
#[server(prefix = "/api", endpoint = "resend_message")]
pub async fn resend_message(id: String) -> Result<(), AppError> {
    use crate::server::{self, messages::outbox};

    respond(async {
        super::auth::require_admin()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::validation("id", "choose a message from the list"))?;
        outbox::resend(&server::db()?, id, chrono::Utc::now().naive_utc()).await?;
        tracing::info!(%id, "message queued again");
        super::go_to("/admin/messages?resent=1");
        Ok(())
    })
    .await
}
