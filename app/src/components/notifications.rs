//! The notification settings page (each person's reminders and digests)
//! and the admins' messages page (mail status, each team's check-in day,
//! time zone and webhook, and the outbox with resend).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::form::{FormError, error_for};
use crate::error::AppError;
use crate::model::{
    MessagesPage, NotificationSettingsPage, OutboxMessageView, TeamMessageSettings,
};
use crate::server_fns::messages::{
    ResendMessage, SaveNotificationSettings, SaveTeamMessages, get_messages_page,
    get_notification_settings,
};

/// Time zones offered as suggestions; any IANA name is accepted.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Madrid",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Athens",
    "Europe/Istanbul",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
];

const DAYS: [(u8, &str); 7] = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
];

#[component]
fn ZoneSuggestions() -> impl IntoView {
    view! {
        <datalist id="time-zones">
            {ZONES.iter().map(|zone| view! { <option value=*zone></option> }).collect_view()}
        </datalist>
    }
}

#[component]
fn MailOff() -> impl IntoView {
    view! {
        <p class="banner banner-warning" role="status" data-testid="mail-off">
            "Email is off on this server: "
            <code>"SMTP_URL"</code>
            " is not set, so no reminders or digests are sent by email. Team webhooks still work."
        </p>
    }
}

#[component]
pub fn NotificationSettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotificationSettings>::new();
    let page = Resource::new(
        move || save.version().get(),
        |_| get_notification_settings(),
    );
    view! {
        <Title text="Notifications · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Loading your settings…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <NotificationSettingsForm page save /> }.into_any(),
                    Err(error) => view! { <super::widgets::ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NotificationSettingsForm(
    page: NotificationSettingsPage,
    save: ServerAction<SaveNotificationSettings>,
) -> impl IntoView {
    let NotificationSettingsPage {
        settings,
        check_in_day,
        gets_digests,
        mail_enabled,
    } = page;
    let query = use_query_map();
    let saved =
        move || matches!(save.value().get(), Some(Ok(()))) || query.read().get("saved").is_some();
    view! {
        <section class="panel" aria-labelledby="notifications-heading">
            <h2 id="notifications-heading">"Notifications"</h2>
            {(!mail_enabled).then(|| view! { <MailOff /> })}
            <p class="muted">
                {format!(
                    "Your team checks in on {check_in_day}s. On that day you get one email listing your key results with no check-in in the past week, with a link to each one’s check-in form; after a second quiet week, a follow-up. With nothing due, nothing is sent.",
                )}
            </p>
            <Show when=saved>
                <p class="banner banner-ok" role="status" data-testid="notifications-saved">"Saved."</p>
            </Show>
            <FormError action=save fields=&["time_zone", "hour"] />
            <ActionForm action=save attr:class="check-in-form" attr:data-testid="notifications-form">
                <fieldset class="field">
                    <legend>"Emails"</legend>
                    <label class="check">
                        <input type="checkbox" name="reminders" value="1" checked=settings.reminders data-testid="reminders-on" />
                        " Check-in reminders"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="digests" value="1" checked=settings.digests data-testid="digests-on" />
                        {if gets_digests {
                            " Weekly digest, the day after check-in day"
                        } else {
                            " Weekly digest (sent to leads and admins)"
                        }}
                    </label>
                </fieldset>
                <div class="field">
                    <label for="notification-zone">"Time zone"</label>
                    <input
                        id="notification-zone"
                        name="time_zone"
                        list="time-zones"
                        required
                        autocomplete="off"
                        value=settings.time_zone
                        aria-describedby="notification-zone-hint"
                        data-testid="time-zone"
                    />
                    <ZoneSuggestions />
                    <p id="notification-zone-hint" class="hint">"A name such as Europe/London or America/Sao_Paulo."</p>
                    <p class="field-error" role="alert">{error_for(save, "time_zone")}</p>
                </div>
                <div class="field">
                    <label for="notification-hour">"Hour"</label>
                    <select
                        id="notification-hour"
                        name="hour"
                        aria-describedby="notification-hour-hint"
                        data-testid="hour"
                    >
                        {(0u8..24)
                            .map(|hour| {
                                view! {
                                    <option value=hour.to_string() selected=hour == settings.hour>
                                        {format!("{hour:02}:00")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p id="notification-hour-hint" class="hint">"In your time zone."</p>
                    <p class="field-error" role="alert">{error_for(save, "hour")}</p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=save.pending() data-testid="save-notifications">
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn MessagesAdminPage() -> impl IntoView {
    let save = ServerAction::<SaveTeamMessages>::new();
    let resend = ServerAction::<ResendMessage>::new();
    let page = Resource::new(
        move || (save.version().get(), resend.version().get()),
        |_| get_messages_page(),
    );
    view! {
        <Title text="Messages · RunwayOKR" />
        <Transition fallback=|| view! { <p class="loading">"Loading messages…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <Messages page save resend /> }.into_any(),
                    Err(AppError::Forbidden(_)) => {
                        view! {
                            <section class="error-panel" role="alert" data-testid="forbidden">
                                <h2>"Admins only"</h2>
                                <p>"Only admins see the messages and set teams’ check-in days."</p>
                            </section>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <super::widgets::ErrorPanel error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Messages(
    page: MessagesPage,
    save: ServerAction<SaveTeamMessages>,
    resend: ServerAction<ResendMessage>,
) -> impl IntoView {
    let query = use_query_map();
    let MessagesPage {
        mail_enabled,
        teams,
        messages,
    } = page;
    view! {
        <section class="panel" aria-labelledby="team-messages-heading">
            <h2 id="team-messages-heading">"Check-in days and chat channels"</h2>
            {(!mail_enabled).then(|| view! { <MailOff /> })}
            <p class="muted">
                "Reminders go out on each team’s check-in day, digests the day after. A team’s digest also goes to its chat channel if it has an incoming webhook (Slack, or a Microsoft Teams workflow), at 09:00 in the team’s time zone."
            </p>
            <FormError action=save fields=&["check_in_day", "time_zone", "webhook_url"] />
            {move || {
                (matches!(save.value().get(), Some(Ok(()))) || query.read().get("saved").is_some())
                    .then(|| view! { <p class="banner banner-ok" role="status" data-testid="team-messages-saved">"Saved."</p> })
            }}
            <ZoneSuggestions />
            {teams.into_iter().map(|team| view! { <TeamForm team save /> }).collect_view()}
        </section>
        <section class="panel" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">"Recent messages"</h2>
            {move || {
                query
                    .read()
                    .get("resent")
                    .map(|_| Ok(()))
                    .or_else(|| resend.value().get())
                    .map(|outcome| match outcome {
                        Ok(()) => view! { <p class="banner banner-ok" role="status">"Queued to be sent again."</p> }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    })
            }}
            {if messages.is_empty() {
                view! { <p data-testid="no-messages">"No messages yet."</p> }.into_any()
            } else {
                view! { <MessageTable messages resend /> }.into_any()
            }}
        </section>
    }
}

#[component]
fn TeamForm(team: TeamMessageSettings, save: ServerAction<SaveTeamMessages>) -> impl IntoView {
    let id = team.team_id.to_string();
    let this_team = id.clone();
    // A field's error shows under this team's form only.
    let error = move |field: &'static str| {
        let this_team = this_team.clone();
        move || {
            let input_team = save.input().get().map(|input| input.team_id);
            let error = error_for(save, field)()?;
            (input_team.is_none() || input_team.as_deref() == Some(this_team.as_str()))
                .then_some(error)
        }
    };
    let prefix = format!("team-{id}");
    let field = move |name: &str| format!("{prefix}-{name}");
    view! {
        <ActionForm action=save attr:class="planning-form team-messages" attr:data-testid="team-messages-form">
            <fieldset>
                <legend>{team.team.clone()}</legend>
                <input type="hidden" name="team_id" value=id.clone() />
                <div class="field">
                    <label for=field("day")>"Check-in day"</label>
                    <select id=field("day") name="check_in_day" data-testid="check-in-day">
                        {DAYS
                            .iter()
                            .map(|(number, name)| {
                                view! {
                                    <option value=number.to_string() selected=*number == team.check_in_day>
                                        {*name}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p class="field-error" role="alert">{error("check_in_day")}</p>
                </div>
                <div class="field">
                    <label for=field("zone")>"Time zone"</label>
                    <input
                        id=field("zone")
                        name="time_zone"
                        list="time-zones"
                        required
                        autocomplete="off"
                        value=team.time_zone.clone()
                        data-testid="team-time-zone"
                    />
                    <p class="field-error" role="alert">{error("time_zone")}</p>
                </div>
                <div class="field">
                    <label for=field("webhook")>"Chat webhook"</label>
                    <input
                        id=field("webhook")
                        name="webhook_url"
                        type="url"
                        autocomplete="off"
                        placeholder="https://hooks.slack.com/services/…"
                        value=team.webhook_url.clone()
                        data-testid="webhook-url"
                    />
                    <p class="field-error" role="alert">{error("webhook_url")}</p>
                </div>
                <div class="form-actions">
                    <button type="submit" class="secondary" data-testid="save-team-messages">
                        {format!("Save {}", team.team)}
                    </button>
                </div>
            </fieldset>
        </ActionForm>
    }
}

#[component]
fn MessageTable(
    messages: Vec<OutboxMessageView>,
    resend: ServerAction<ResendMessage>,
) -> impl IntoView {
    view! {
        <table class="people-table" data-testid="messages">
            <caption class="visually-hidden">"Recent messages"</caption>
            <thead>
                <tr>
                    <th scope="col">"Decided"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Subject"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>
                {messages
                    .into_iter()
                    .map(|message| {
                        let failed = message.state == "failed";
                        let status = match (&message.state[..], message.attempts) {
                            ("sent", _) => format!(
                                "Sent {}",
                                message.sent_at.map(|at| at.format("%b %-d %H:%M UTC").to_string()).unwrap_or_default(),
                            ),
                            ("failed", tries) => format!("Failed after {tries} tries"),
                            ("pending", 0) => "Waiting".to_owned(),
                            ("pending", tries) => format!("Retrying ({tries} tries so far)"),
                            (_, _) => "Sending".to_owned(),
                        };
                        view! {
                            <tr data-testid="message-row" data-state=message.state.clone()>
                                <td>{message.created_at.format("%b %-d %H:%M UTC").to_string()}</td>
                                <td>{message.kind.replace('_', "-")}</td>
                                <td>{message.recipient.clone()}</td>
                                <td>{message.subject.clone()}</td>
                                <td>
                                    <span data-testid="message-status">{status}</span>
                                    {message
                                        .last_error
                                        .clone()
                                        .map(|error| view! { <br /><small class="field-error" data-testid="message-error">{error}</small> })}
                                </td>
                                <td>
                                    {failed
                                        .then(|| {
                                            view! {
                                                <ActionForm action=resend attr:class="inline-form">
                                                    <input type="hidden" name="id" value=message.id.to_string() />
                                                    <button type="submit" class="secondary" data-testid="resend-message">
                                                        "Send again"
                                                    </button>
                                                </ActionForm>
                                            }
                                        })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
