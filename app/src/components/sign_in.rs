//! Signing in, setting a password from an invitation or reset link, and the
//! page of a user who is not a member of any team yet. Plain POST forms: they
//! work the same with and without JavaScript, and end on a fresh page.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::server_fns::auth::{AcceptInvite, ResetPassword, SignIn, get_viewer};

/// The error of an action's last post: a post without JavaScript comes back
/// with its error in the URL, which the action reads.
fn post_error<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: leptos::server_fn::ServerFn<Error = crate::error::AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| error.to_string())
    })
}

/// The error a form post came back with, if any.
#[component]
fn FormError(message: Signal<Option<String>>, testid: &'static str) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="banner banner-error" role="alert" data-testid=testid>
                {move || message.get()}
            </p>
        </Show>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .map(|next| domain::access::safe_next(&next).to_owned())
            .unwrap_or_else(|| "/".into())
    };
    let error = post_error(ServerAction::<SignIn>::new());
    view! {
        <section class="auth-card" aria-labelledby="sign-in-heading">
            <h2 id="sign-in-heading">"Sign in"</h2>
            <FormError message=error testid="sign-in-error" />
            <form method="post" action="/api/sign_in" class="auth-form">
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="sign-in-email">"Email"</label>
                    <input id="sign-in-email" name="email" type="email" autocomplete="username" required />
                </div>
                <div class="field">
                    <label for="sign-in-password">"Password"</label>
                    <input
                        id="sign-in-password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </div>
                <button type="submit" class="primary" data-testid="sign-in-submit">"Sign in"</button>
            </form>
            <p class="muted">"Forgot your password? Ask an admin for a reset link."</p>
        </section>
    }
}

#[component]
fn SetPasswordForm(
    heading: &'static str,
    action_path: &'static str,
    /// What redeeming the link does, said before it happens.
    note: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    view! {
        <section class="auth-card" aria-labelledby="set-password-heading">
            <h2 id="set-password-heading">{heading}</h2>
            <FormError message=error testid="set-password-error" />
            <form method="post" action=action_path class="auth-form">
                <input type="hidden" name="token" value=token />
                <div class="field">
                    <label for="new-password">"New password (at least 8 characters)"</label>
                    <input
                        id="new-password"
                        name="password"
                        type="password"
                        autocomplete="new-password"
                        minlength="8"
                        maxlength="128"
                        required
                    />
                </div>
                <button type="submit" class="primary" data-testid="set-password-submit">
                    "Set password and sign in"
                </button>
            </form>
            <p class="muted">{note}</p>
        </section>
    }
}

#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let error = post_error(ServerAction::<AcceptInvite>::new());
    view! {
        <SetPasswordForm
            heading="Welcome to RunwayOKR"
            action_path="/api/accept_invite"
            note="This link works once."
            error
        />
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let error = post_error(ServerAction::<ResetPassword>::new());
    view! {
        <SetPasswordForm
            heading="Choose a new password"
            action_path="/api/reset_password"
            note="This link works once. Setting a password signs you out on every other device and revokes your API access tokens."
            error
        />
    }
}

/// For a user whose email matches no active person.
#[component]
pub fn NoTeamPage() -> impl IntoView {
    let viewer = Resource::new(|| (), |_| get_viewer());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let name = viewer.await.ok().flatten().map(|viewer| viewer.name).unwrap_or_default();
                view! {
                    <section class="auth-card" data-testid="no-team">
                        <h2>"Not a member of any team yet"</h2>
                        <p>
                            {format!("You are signed in as {name}, ")}
                            "but you are not a member of any team yet, so there is nothing to show. "
                            "Ask an admin of RunwayOKR to add you to your team."
                        </p>
                    </section>
                }
            })}
        </Suspense>
    }
}
