//! Sign-in on Better Auth's tables: password hashes, sessions, invitations
//! and password resets.
//!
//! The meaning of each table is Better Auth's, so accounts carry over both
//! ways between RunwayOKR and a Better Auth app on the same database:
//! - `user`: the identity; its email links it (case-insensitively) to the
//!   `okr_user` of the same email.
//! - `account`: one `providerId = 'credential'` row per password login, with
//!   `accountId` = the user's id and `password` = `hex(salt):hex(key)`, where
//!   key = scrypt(NFKC(password), salt as its hex text, N=16384, r=16, p=1, 64).
//! - `session`: one row per signed-in browser. Unlike Better Auth, `token`
//!   holds the SHA-256 of the cookie's token, so a leaked table opens nothing.
//! - `verification`: invitation and reset links; `identifier` is
//!   `invite:<sha256>` or `reset:<sha256>` of the link's token, `value` the email.
//!
//! One module per idea:
//! - [`config`]: the settings from the environment and the process's state;
//! - [`password`]: scrypt hashes and the password rules;
//! - [`sessions`]: signing in and out, and the session behind a cookie;
//! - [`links`]: invitation and reset links.
//!
//! The limits on failed attempts are [`crate::server::limits`]'s. The
//! tokens themselves come from [`crate::server::secrets`], shared with
//! the API tokens; the people behind the sign-ins are written by
//! [`crate::server::people`].

pub mod config;
pub mod links;
pub mod password;
pub mod sessions;

use sea_orm::sea_query::{Expr, Func};

pub use config::{AuthConfig, AuthState};
pub use links::{
    INVITATION_LIFETIME, IssuedLink, LinkKind, RESET_LIFETIME, redeem_link, reset_link,
};
pub use password::{
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, check_password, hash_password,
    hash_password_off_thread, verify_password,
};
pub use sessions::{
    ClientInfo, CurrentSession, NewSession, SESSION_COOKIE, SESSION_LIFETIME, SessionLookupFailed,
    confirm_password, member_by_email, resolve_session, sign_in, sign_out, sign_out_everywhere,
};

// Where these lived before sign-in was split up; callers keep their paths.
pub use crate::server::people::{
    AddedUser, DEMO_PASSWORD, Invitation, PersonEdit, add_user, ensure_demo_sign_ins, invite,
    set_person_active, update_person,
};
pub use crate::server::secrets::{new_token, token_hash};
pub use crate::server::tokens::DEFAULT_API_REQUESTS_PER_MINUTE;

/// Better Auth's provider id for email and password.
const CREDENTIAL: &str = "credential";

/// Matches an email column to an email, case-insensitively: how a sign-in's
/// `user` and a person's `okr_user` are linked.
pub(crate) fn email_is(
    column: impl sea_orm::ColumnTrait,
    email: &str,
) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col(column))),
        email.trim().to_lowercase(),
    )
}
