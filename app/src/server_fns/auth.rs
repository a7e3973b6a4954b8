//! Server functions of sign-in: signing in and out, the people page of
//! admins, invitations and password resets.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{AdminPeople, IssuedLinkView};
use domain::access::Viewer;

#[cfg(feature = "ssr")]
use super::{go_to, is_html_form_post, respond};

/// The cookie that carries a link issued by a form post without JavaScript
/// to the page the browser is sent back to, where it is shown once.
#[cfg(feature = "ssr")]
const ISSUED_LINK_COOKIE: &str = "runway_issued_link";

#[cfg(feature = "ssr")]
fn set_session_cookie(token: Option<&str>) -> Result<(), AppError> {
    let state = crate::server::state()?;
    super::set_cookie(crate::server::http::middleware::session_cookie(
        token,
        state.auth.config.secure_cookies(),
    ));
    Ok(())
}

/// Who is signed in on this browser, if anyone.
#[server(prefix = "/api", endpoint = "viewer", input = GetUrl)]
pub async fn get_viewer() -> Result<Option<Viewer>, AppError> {
    respond(async {
        match crate::server::http::middleware::current_session() {
            Ok(current) => Ok(Some(current.viewer)),
            Err(AppError::Unauthorized(_)) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

/// Signs in with email and password; a plain form post then goes on to
/// `next` (a path on this site).
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<Viewer, AppError> {
    use crate::server::{self, auth, http::middleware};

    respond(async {
        let state = server::state()?;
        let now = chrono::Utc::now().naive_utc();
        let session = auth::sign_in(
            &state.db,
            &state.auth.limiter,
            &email,
            &password,
            &middleware::client_info(),
            now,
        )
        .await?;
        set_session_cookie(Some(&session.token))?;
        go_to(domain::access::safe_next(next.as_deref().unwrap_or("/")));
        Ok(session.viewer)
    })
    .await
}

/// Signs this browser out.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{self, auth, http::middleware};

    respond(async {
        let current = middleware::current_session()?;
        auth::sign_out(&server::db()?, &current.session_id).await?;
        set_session_cookie(None)?;
        go_to("/sign-in");
        Ok(())
    })
    .await
}

/// Signs the user out on every device, this one included.
#[server(prefix = "/api", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<u64, AppError> {
    use crate::server::{self, auth, http::middleware};

    respond(async {
        let current = middleware::current_session()?;
        let ended = auth::sign_out_everywhere(&server::db()?, &current.user_id).await?;
        set_session_cookie(None)?;
        go_to("/sign-in");
        Ok(ended)
    })
    .await
}

#[cfg(feature = "ssr")]
pub(crate) fn require_admin() -> Result<crate::server::auth::CurrentSession, AppError> {
    let (current, member) = crate::server::http::middleware::current_member()?;
    if !member.is_admin() {
        return Err(AppError::forbidden("admins only"));
    }
    Ok(current)
}

/// Everyone, for the admins' people page.
#[server(prefix = "/api", endpoint = "admin_people", input = GetUrl)]
pub async fn get_admin_people() -> Result<AdminPeople, AppError> {
    use crate::server;

    respond(async {
        require_admin()?;
        let mut people = server::people::admin_people(&server::db()?).await?;
        people.issued_link = super::take_one_time(ISSUED_LINK_COOKIE, "/admin");
        Ok(people)
    })
    .await
}

/// Hands a link on: with no mail server, it is logged and shown to the admin.
/// A mail sender would plug in here.
#[cfg(feature = "ssr")]
fn deliver(
    state: &crate::server::AppState,
    kind: crate::server::auth::LinkKind,
    issued: crate::server::auth::IssuedLink,
) -> IssuedLinkView {
    let link = IssuedLinkView {
        link: format!(
            "{}{}",
            crate::server::http::middleware::site_base(&state.auth.config),
            kind.path(&issued.token)
        ),
        email: issued.email,
        expires_at: issued.expires_at,
    };
    // Never the link itself: its token grants the account.
    tracing::info!(email = %link.email, purpose = ?kind, expires_at = %link.expires_at, "one-time link issued (no mail server configured: the admin passes it on)");
    if is_html_form_post() {
        super::keep_one_time(ISSUED_LINK_COOKIE, "/admin", &link);
    }
    link
}

/// Invites a person (admins only): adds them to a team with a role and
/// issues a one-time link, valid 72 hours, to set their password.
#[server(prefix = "/api", endpoint = "invite")]
pub async fn invite(
    name: String,
    email: String,
    team_id: String,
    role: String,
) -> Result<IssuedLinkView, AppError> {
    use crate::server::{self, auth};
    use domain::text;

    respond(async {
        require_admin()?;
        let invitation = auth::Invitation {
            name: text::check_name("name", &name, 120)?,
            email: text::check_email(&email)?,
            team_id: uuid::Uuid::parse_str(team_id.trim())
                .map_err(|_| AppError::validation("team_id", "choose a team from the list"))?,
            role: role.parse()?,
        };
        let state = server::state()?;
        let now = chrono::Utc::now().naive_utc();
        let issued = auth::invite(&state.db, invitation, now).await?;
        Ok(deliver(&state, auth::LinkKind::Invitation, issued))
    })
    .await
}

/// Issues a password reset link, valid 1 hour, for a person (admins only).
#[server(prefix = "/api", endpoint = "reset_link")]
pub async fn reset_link(person_id: String) -> Result<IssuedLinkView, AppError> {
    use crate::server::{self, auth};

    respond(async {
        require_admin()?;
        let person_id = uuid::Uuid::parse_str(person_id.trim())
            .map_err(|_| AppError::validation("person_id", "choose a person from the list"))?;
        let state = server::state()?;
        let now = chrono::Utc::now().naive_utc();
        let issued = auth::reset_link(&state.db, person_id, now).await?;
        Ok(deliver(&state, auth::LinkKind::Reset, issued))
    })
    .await
}

#[cfg(feature = "ssr")]
async fn redeem(
    kind: crate::server::auth::LinkKind,
    token: String,
    password: String,
) -> Result<Viewer, AppError> {
    use crate::server::{self, auth, http::middleware};

    let state = server::state()?;
    let now = chrono::Utc::now().naive_utc();
    let session = auth::redeem_link(
        &state.db,
        &state.auth.limiter,
        kind,
        &token,
        &password,
        &middleware::client_info(),
        now,
    )
    .await?;
    set_session_cookie(Some(&session.token))?;
    go_to("/");
    Ok(session.viewer)
}

/// Accepts an invitation: sets the password and signs in.
#[server(prefix = "/api", endpoint = "accept_invite")]
pub async fn accept_invite(token: String, password: String) -> Result<Viewer, AppError> {
    respond(redeem(
        crate::server::auth::LinkKind::Invitation,
        token,
        password,
    ))
    .await
}

/// Sets a new password from a reset link, ends every other session, and
/// signs in.
#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<Viewer, AppError> {
    respond(redeem(
        crate::server::auth::LinkKind::Reset,
        token,
        password,
    ))
    .await
}

/// Changes a person's name, email, team and role (admins only).
#[server(prefix = "/api", endpoint = "update_person")]
pub async fn update_person(
    person_id: String,
    name: String,
    email: String,
    team_id: String,
    role: String,
) -> Result<uuid::Uuid, AppError> {
    use crate::server::{self, auth, http::middleware};
    use domain::text;

    respond(async {
        let (_, actor) = middleware::current_member()?;
        let id = uuid::Uuid::parse_str(person_id.trim())
            .map_err(|_| AppError::validation("person_id", "choose a person from the list"))?;
        let edit = auth::PersonEdit {
            name: text::check_name("name", &name, 120)?,
            email: text::check_email(&email)?,
            team_id: uuid::Uuid::parse_str(team_id.trim())
                .map_err(|_| AppError::validation("team_id", "choose a team from the list"))?,
            role: role.parse()?,
        };
        let now = chrono::Utc::now().naive_utc();
        let person = auth::update_person(&server::db()?, &actor, id, edit, now).await?;
        go_to("/admin/people");
        Ok(person.id)
    })
    .await
}

/// Deactivates a person (`active` = `false`) or reactivates them (admins only).
#[server(prefix = "/api", endpoint = "set_person_active")]
pub async fn set_person_active(person_id: String, active: String) -> Result<uuid::Uuid, AppError> {
    use crate::server::{self, auth, http::middleware};

    respond(async {
        let (_, actor) = middleware::current_member()?;
        let id = uuid::Uuid::parse_str(person_id.trim())
            .map_err(|_| AppError::validation("person_id", "choose a person from the list"))?;
        let active = super::planning::yes_or_no("active", &active)?;
        let now = chrono::Utc::now().naive_utc();
        let person = auth::set_person_active(&server::db()?, &actor, id, active, now).await?;
        go_to("/admin/people");
        Ok(person.id)
    })
    .await
}
