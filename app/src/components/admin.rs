//! The admins' people page: everyone with their team and role, invitations,
//! and password reset links.

use domain::Role;
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::form::{FormError, error_for, refresh_after};
use crate::error::AppError;
use crate::model::{AdminPeople, FilterOption, IssuedLinkView, PersonAdminView};
use crate::server_fns::auth::{Invite, ResetLink, SetPersonActive, UpdatePerson, get_admin_people};

#[component]
pub fn PeoplePage() -> impl IntoView {
    let invite = ServerAction::<Invite>::new();
    let reset = ServerAction::<ResetLink>::new();
    let refresh = RwSignal::new(0u32);
    let people = Resource::new(
        move || (invite.version().get(), reset.version().get(), refresh.get()),
        |_| get_admin_people(),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading people…"</p> }>
            {move || Suspend::new(async move {
                match people.await {
                    Ok(people) => view! { <People people invite reset refresh /> }.into_any(),
                    Err(AppError::Forbidden(_)) => {
                        view! {
                            <section class="error-panel" role="alert" data-testid="forbidden">
                                <h2>"Admins only"</h2>
                                <p>"Only admins manage people. Ask an admin if you need a change."</p>
                                <p>
                                    <a href="/">"Back to the dashboard"</a>
                                </p>
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
fn IssuedLink(link: IssuedLinkView, testid: &'static str) -> impl IntoView {
    view! {
        <div class="banner banner-ok" role="status">
            <p>
                {format!(
                    "Pass this one-time link on to {} (valid until {} UTC; no mail server is configured):",
                    link.email,
                    link.expires_at.format("%b %-d, %Y %H:%M"),
                )}
            </p>
            <p>
                <code class="issued-link" data-testid=testid>{link.link}</code>
            </p>
        </div>
    }
}

#[component]
fn People(
    people: AdminPeople,
    invite: ServerAction<Invite>,
    reset: ServerAction<ResetLink>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let AdminPeople {
        people,
        teams,
        issued_link,
    } = people;
    let invite_result = move || invite.value().get();
    let reset_result = move || reset.value().get();
    let field_error = move |field: &'static str| {
        move || {
            invite
                .value()
                .get()
                .and_then(Result::err)
                .filter(|error| error.field() == Some(field))
                .map(|error| error.to_string())
        }
    };
    view! {
        <section class="admin-people" aria-labelledby="people-heading">
            <h2 id="people-heading">"People"</h2>
            {issued_link.map(|link| view! { <IssuedLink link testid="issued-link" /> })}
            {move || match reset_result() {
                Some(Ok(link)) => view! { <IssuedLink link testid="reset-link" /> }.into_any(),
                Some(Err(error)) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                None => ().into_any(),
            }}
            <table class="people-table" data-testid="people-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Team"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Sign-in"</th>
                        <th scope="col">
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {people
                        .into_iter()
                        .map(|person| view! { <PersonRow person teams=teams.clone() reset refresh /> })
                        .collect_view()}
                </tbody>
            </table>
        </section>
        <section class="admin-invite" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite a person"</h2>
            <ActionForm action=invite attr:class="check-in-form" attr:data-testid="invite-form">
                <div class="field">
                    <label for="invite-name">"Name"</label>
                    <input id="invite-name" name="name" maxlength="120" required autocomplete="off" />
                    <p class="field-error" role="alert">{field_error("name")}</p>
                </div>
                <div class="field">
                    <label for="invite-email">"Email"</label>
                    <input id="invite-email" name="email" type="email" maxlength="255" required autocomplete="off" />
                    <p class="field-error" role="alert">{field_error("email")}</p>
                </div>
                <div class="field">
                    <label for="invite-team">"Team"</label>
                    <select id="invite-team" name="team_id" required>
                        {teams
                            .iter()
                            .cloned()
                            .map(|team| view! { <option value=team.id.to_string()>{team.name}</option> })
                            .collect_view()}
                    </select>
                    <p class="field-error" role="alert">{field_error("team_id")}</p>
                </div>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" name="role">
                        {Role::ALL
                            .into_iter()
                            .map(|role| {
                                view! {
                                    <option value=role.as_str() selected=role == Role::Member>
                                        {role.as_str()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="form-actions">
                    <button type="submit" class="primary" disabled=invite.pending() data-testid="invite-submit">
                        {move || if invite.pending().get() { "Inviting…" } else { "Invite" }}
                    </button>
                </div>
            </ActionForm>
            {move || match invite_result() {
                Some(Ok(link)) => view! { <IssuedLink link testid="invite-link" /> }.into_any(),
                Some(Err(error)) if error.field().is_none() => {
                    view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any()
                }
                _ => ().into_any(),
            }}
        </section>
    }
}

const PERSON_FIELDS: &[&str] = &["name", "email", "team_id", "role"];

#[component]
fn PersonRow(
    person: PersonAdminView,
    teams: Vec<FilterOption>,
    reset: ServerAction<ResetLink>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let update = ServerAction::<UpdatePerson>::new();
    let activate = ServerAction::<SetPersonActive>::new();
    refresh_after(update, refresh);
    refresh_after(activate, refresh);
    let status = match (person.active, person.has_sign_in) {
        (false, _) => "Inactive",
        (true, true) => "Has a password",
        (true, false) => "Invited",
    };
    let prefix = format!("person-{}", person.id);
    let ids = [
        format!("{prefix}-name"),
        format!("{prefix}-email"),
        format!("{prefix}-team"),
        format!("{prefix}-role"),
    ];
    let reset_label = format!("Reset link for {}", person.name);
    let edit_label = format!("Edit {}", person.name);
    let activate_label = if person.active {
        format!("Deactivate {}", person.name)
    } else {
        format!("Reactivate {}", person.name)
    };
    view! {
        <tr data-testid="person-row">
            <td>{person.name.clone()}</td>
            <td>{person.email.clone()}</td>
            <td>{person.team.clone()}</td>
            <td>{person.role.to_string()}</td>
            <td data-testid="person-status">{status}</td>
            <td class="row-actions">
                {person
                    .active
                    .then(|| {
                        view! {
                            <ActionForm action=reset attr:class="inline-form">
                                <input type="hidden" name="person_id" value=person.id.to_string() />
                                <button type="submit" class="secondary">
                                    {reset_label}
                                </button>
                            </ActionForm>
                        }
                    })}
                <details class="row-edit">
                    <summary>{edit_label}</summary>
                    <ActionForm action=update attr:class="planning-form" attr:data-testid="edit-person-form">
                        <input type="hidden" name="person_id" value=person.id.to_string() />
                        <div class="field">
                            <label for=ids[0].clone()>"Name"</label>
                            <input id=ids[0].clone() name="name" value=person.name.clone() maxlength="120" required />
                            <p class="field-error" role="alert">{error_for(update, "name")}</p>
                        </div>
                        <div class="field">
                            <label for=ids[1].clone()>"Email"</label>
                            <input id=ids[1].clone() name="email" type="email" value=person.email.clone() maxlength="255" required />
                            <p class="field-error" role="alert">{error_for(update, "email")}</p>
                        </div>
                        <div class="field">
                            <label for=ids[2].clone()>"Team"</label>
                            <select id=ids[2].clone() name="team_id">
                                {teams
                                    .into_iter()
                                    .map(|team| {
                                        let selected = team.id == person.team_id;
                                        view! { <option value=team.id.to_string() selected=selected>{team.name}</option> }
                                    })
                                    .collect_view()}
                            </select>
                            <p class="field-error" role="alert">{error_for(update, "team_id")}</p>
                        </div>
                        <div class="field">
                            <label for=ids[3].clone()>"Role"</label>
                            <select id=ids[3].clone() name="role">
                                {Role::ALL
                                    .into_iter()
                                    .map(|role| {
                                        view! {
                                            <option value=role.as_str() selected=role == person.role>
                                                {role.as_str()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                            <p class="field-error" role="alert">{error_for(update, "role")}</p>
                        </div>
                        <FormError action=update fields=PERSON_FIELDS />
                        <button type="submit" class="primary" disabled=update.pending() data-testid="save-person">
                            {move || if update.pending().get() { "Saving…" } else { "Save" }}
                        </button>
                    </ActionForm>
                </details>
                <ActionForm action=activate attr:class="inline-form">
                    <input type="hidden" name="person_id" value=person.id.to_string() />
                    <input type="hidden" name="active" value=(!person.active).to_string() />
                    <button type="submit" class="secondary" data-testid="toggle-person-active">
                        {activate_label}
                    </button>
                </ActionForm>
                <FormError action=activate fields=&[] />
            </td>
        </tr>
    }
}
