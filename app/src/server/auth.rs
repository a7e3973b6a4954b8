//! Sign-in on Better Auth's tables: password hashes, sessions, invitations
//! and password resets, and the people and roles behind them.
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

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use domain::Role;
use entity::{account, okr_user, person_role, session, team, user, verification};
use rand::RngCore;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, QueryFilter, QuerySelect, QueryTrait,
    RelationTrait, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use crate::error::AppError;
use domain::access::{Member, Viewer};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "runway_session";
/// How long a session lasts without use.
pub const SESSION_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// A session used after this long gets a new expiry (and cookie).
const SESSION_REFRESH_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);
pub const INVITATION_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(72);
pub const RESET_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(1);
/// Better Auth's provider id for email and password.
const CREDENTIAL: &str = "credential";
pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;
/// The password the demo people get with `SEED_DEMO`.
pub const DEMO_PASSWORD: &str = "runway-demo";
/// The demo people's roles; the other demo people are members.
const DEMO_ROLES: [(&str, Role); 5] = [
    ("emily.davis@airline.com", Role::Admin),
    ("sarah.chen@airline.com", Role::Lead),
    ("lisa.wang@airline.com", Role::Lead),
    ("mike.johnson@airline.com", Role::Member),
    ("james.rodriguez@airline.com", Role::Member),
];

const WRONG_CREDENTIALS: &str = "wrong email or password";

// ---------------------------------------------------------------------------
// Configuration and per-process state

/// Sign-in settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `RUNWAY_PUBLIC_URL`: the address people reach the site at, such as
    /// `https://okr.example.com`. It makes the session cookie `Secure` when
    /// it is https, is the base of invitation and reset links, and is
    /// accepted as a same-site `Origin` besides the request's own host.
    pub public_url: Option<String>,
    /// `RUNWAY_BEHIND_PROXY`: the server is reached only through a reverse
    /// proxy that appends the client's address to `X-Forwarded-For`; that
    /// address, not the proxy's, is the client's for the sign-in limits and
    /// the session rows.
    pub behind_proxy: bool,
    /// `RUNWAY_API_REQUESTS_PER_MINUTE`: how many requests one personal
    /// access token may make to the JSON API per minute (default 600);
    /// beyond, 429 with `Retry-After`.
    pub api_requests_per_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            public_url: None,
            behind_proxy: false,
            api_requests_per_minute: DEFAULT_API_REQUESTS_PER_MINUTE,
        }
    }
}

/// The JSON API's rate limit per token, unless configured.
pub const DEFAULT_API_REQUESTS_PER_MINUTE: u32 = 600;

impl AuthConfig {
    pub fn from_env() -> AuthConfig {
        AuthConfig {
            api_requests_per_minute: std::env::var("RUNWAY_API_REQUESTS_PER_MINUTE")
                .ok()
                .and_then(|value| value.trim().parse().ok())
                .filter(|limit| *limit > 0)
                .unwrap_or(DEFAULT_API_REQUESTS_PER_MINUTE),
            public_url: std::env::var("RUNWAY_PUBLIC_URL")
                .ok()
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .filter(|url| !url.is_empty()),
            behind_proxy: std::env::var("RUNWAY_BEHIND_PROXY")
                .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes")),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }
}

/// Sign-in state kept by the process: the settings and the failure counts.
#[derive(Debug, Default)]
pub struct AuthState {
    pub config: AuthConfig,
    pub limiter: SignInLimiter,
    /// Requests per personal access token, for the JSON API's rate limit.
    pub api_limiter: super::tokens::RateLimiter,
}

impl AuthState {
    pub fn new(config: AuthConfig) -> AuthState {
        AuthState {
            api_limiter: super::tokens::RateLimiter::per_minute(config.api_requests_per_minute),
            config,
            limiter: SignInLimiter::default(),
        }
    }
}

/// Counts failed sign-ins per email and per client address. More than
/// `MAX_FAILURES` in `WINDOW` locks that key until the oldest failure leaves
/// the window.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    pub const MAX_FAILURES: usize = 10;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn keys(email: &str, ip: Option<&str>) -> Vec<String> {
        let mut keys = vec![format!("email:{email}")];
        if let Some(ip) = ip {
            keys.push(format!("ip:{ip}"));
        }
        keys
    }

    /// How long the caller must wait, if any of its keys is locked.
    fn locked_for(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|key| {
                let times = failures.get_mut(key)?;
                while times
                    .front()
                    .is_some_and(|first| now.duration_since(*first) >= Self::WINDOW)
                {
                    times.pop_front();
                }
                let oldest = *times.front()?;
                (times.len() >= Self::MAX_FAILURES)
                    .then(|| Self::WINDOW.saturating_sub(now.duration_since(oldest)))
            })
            .max()
    }

    fn record_failure(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget keys whose failures have all left the window, so the map
        // stays as small as the recent failures.
        if failures.len() > 10_000 {
            failures.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|last| now.duration_since(*last) < Self::WINDOW)
            });
        }
        for key in keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
    }
}

// ---------------------------------------------------------------------------
// Passwords and tokens

fn scrypt_key(password: &str, salt_hex: &str) -> [u8; 64] {
    let normalized: String = password.nfkc().collect();
    let mut key = [0u8; 64];
    // N = 2^14, r = 16, p = 1, 64 bytes: Better Auth's parameters. They are
    // constants, valid for scrypt, so neither call can fail.
    if let Ok(params) = scrypt::Params::new(14, 16, 1, 64) {
        let _ = scrypt::scrypt(
            normalized.as_bytes(),
            salt_hex.as_bytes(),
            &params,
            &mut key,
        );
    }
    key
}

/// A new Better Auth password hash: `hex(16 random bytes):hex(scrypt key)`.
/// Slow by design (tens of milliseconds): call it through [`hash_password_off_thread`].
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt_hex = hex::encode(salt);
    let key = scrypt_key(password, &salt_hex);
    format!("{salt_hex}:{}", hex::encode(key))
}

/// Whether `password` matches a Better Auth hash, compared in constant time.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Some((salt_hex, key_hex)) = stored.split_once(':') else {
        return false;
    };
    let Ok(expected) = hex::decode(key_hex) else {
        return false;
    };
    let key = scrypt_key(password, salt_hex);
    bool::from(key.as_slice().ct_eq(expected.as_slice()))
}

pub async fn hash_password_off_thread(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AppError::Internal)
}

async fn verify_password_off_thread(password: String, stored: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|_| AppError::Internal)
}

/// Checked against when the email is unknown, so a wrong email takes as long
/// as a wrong password: the hash of "no such account" with a fixed salt. A
/// constant, so no server hashes (32 MiB for a moment) before anyone signs in.
const DUMMY_HASH: &str = "72756e7761792d64756d6d792d73616c:a2b2e7afd481f69ea2a65827d11ff9447f62d29f5b30105fe49883e13ee580a0a33e614532aaf8bc7fb62a5c64b9608fafe86fd9116a5d14742fc045d46ccc0b";

/// 32 random bytes, hex-encoded: session and link tokens.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_id() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A password people may choose.
pub fn check_password(password: &str) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(AppError::validation(
            "password",
            format!("use at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if chars > PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "password",
            format!("use at most {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// People and sessions

fn email_is(column: impl sea_orm::ColumnTrait, email: &str) -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col(column))),
        email.trim().to_lowercase(),
    )
}

/// The active person with this email, and their role.
pub async fn member_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<Member>, DbErr> {
    let Some((person, role)) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, email))
        .filter(okr_user::Column::Active.eq(true))
        .find_also_related(person_role::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Member {
        person_id: person.id,
        team_id: person.team_id,
        role: role.map_or(Role::Member, |role| role.role),
    }))
}

/// A signed-in browser, as the request sees it.
#[derive(Debug, Clone)]
pub struct CurrentSession {
    pub session_id: String,
    pub user_id: String,
    pub viewer: Viewer,
    /// Set when this request extended the session: the cookie to send back.
    pub renewed_until: Option<NaiveDateTime>,
    /// When the session ends, and when it was last renewed: what decides,
    /// at each later use, whether it is still live or due a renewal.
    pub expires_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CurrentSession {
    /// Whether this session, as looked up earlier, is still live at `now`
    /// and not yet due a renewal: then it may be used again as it is.
    pub fn still_live_at(&self, now: NaiveDateTime) -> bool {
        session_fate(self.expires_at, self.updated_at, now) == SessionFate::Live
    }
}

/// Set on a request whose session could not be looked up because the
/// database is down: its server functions answer 503, not 401.
#[derive(Debug, Clone, Copy)]
pub struct SessionLookupFailed;

/// Who the client is, for the session row and the failure counts.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A session just created: the token goes into the cookie, never the database.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: NaiveDateTime,
    pub viewer: Viewer,
}

/// What a session row's times mean at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionFate {
    /// Past its expiry: deleted, and the request is signed out.
    Expired,
    /// Used more than a day after its last renewal: extended to `until`.
    Renew { until: NaiveDateTime },
    /// Live, and renewed recently enough to leave alone.
    Live,
}

fn session_fate(
    expires_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    now: NaiveDateTime,
) -> SessionFate {
    if expires_at <= now {
        SessionFate::Expired
    } else if now - updated_at >= SESSION_REFRESH_AFTER {
        SessionFate::Renew {
            until: now + SESSION_LIFETIME,
        }
    } else {
        SessionFate::Live
    }
}

/// A session with its sign-in and, if the sign-in's email is an active
/// person's, that person's team and role: one row of one statement.
#[derive(Debug, FromQueryResult)]
struct SessionRow {
    session_id: String,
    expires_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    user_id: String,
    user_name: String,
    user_email: String,
    person_id: Option<Uuid>,
    team_id: Option<Uuid>,
    role: Option<Role>,
}

/// The session of a cookie token, if it is live. A session used more than a
/// day after its last renewal is extended to a full lifetime again.
///
/// Every signed-in request runs this, so it is one statement: the session,
/// its `user`, the active `okr_user` of the same email (case-insensitively,
/// as [`member_by_email`] matches) and their `person_role`, joined. Renewing
/// or deleting an expired session is one statement more, only then.
pub async fn resolve_session(
    db: &impl ConnectionTrait,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<CurrentSession>, DbErr> {
    let same_email = sea_orm::sea_query::ExprTrait::eq(
        Expr::expr(Func::lower(Expr::col((
            okr_user::Entity,
            okr_user::Column::Email,
        )))),
        Expr::expr(Func::lower(Expr::col((user::Entity, user::Column::Email)))),
    );
    let mut select = session::Entity::find()
        .select_only()
        .column_as(session::Column::Id, "session_id")
        .column_as(session::Column::ExpiresAt, "expires_at")
        .column_as(session::Column::UpdatedAt, "updated_at")
        .column_as(user::Column::Id, "user_id")
        .column_as(user::Column::Name, "user_name")
        .column_as(user::Column::Email, "user_email")
        .column_as(okr_user::Column::Id, "person_id")
        .column_as(okr_user::Column::TeamId, "team_id")
        .column_as(person_role::Column::Role, "role")
        .join(JoinType::InnerJoin, session::Relation::User.def())
        .filter(session::Column::Token.eq(token_hash(token)));
    QueryTrait::query(&mut select).join(
        JoinType::LeftJoin,
        okr_user::Entity,
        Condition::all()
            .add(same_email)
            .add(sea_orm::sea_query::ExprTrait::eq(
                Expr::col((okr_user::Entity, okr_user::Column::Active)),
                true,
            )),
    );
    let Some(found) = select
        .join(JoinType::LeftJoin, okr_user::Relation::PersonRole.def())
        .into_model::<SessionRow>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let renewed_until = match session_fate(found.expires_at, found.updated_at, now) {
        SessionFate::Expired => {
            session::Entity::delete_by_id(found.session_id)
                .exec(db)
                .await?;
            return Ok(None);
        }
        SessionFate::Renew { until } => {
            session::Entity::update_many()
                .col_expr(session::Column::ExpiresAt, Expr::value(until))
                .col_expr(session::Column::UpdatedAt, Expr::value(now))
                .filter(session::Column::Id.eq(found.session_id.clone()))
                .exec(db)
                .await?;
            Some(until)
        }
        SessionFate::Live => None,
    };
    let member = match (found.person_id, found.team_id) {
        (Some(person_id), Some(team_id)) => Some(Member {
            person_id,
            team_id,
            role: found.role.unwrap_or(Role::Member),
        }),
        _ => None,
    };
    Ok(Some(CurrentSession {
        session_id: found.session_id,
        user_id: found.user_id,
        viewer: Viewer {
            name: found.user_name,
            email: found.user_email,
            member,
        },
        renewed_until,
        expires_at: renewed_until.unwrap_or(found.expires_at),
        updated_at: if renewed_until.is_some() {
            now
        } else {
            found.updated_at
        },
    }))
}

async fn create_session(
    db: &impl ConnectionTrait,
    user_id: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<(String, NaiveDateTime), DbErr> {
    let token = new_token();
    let expires_at = now + SESSION_LIFETIME;
    session::ActiveModel {
        id: Set(new_id()),
        expires_at: Set(expires_at),
        token: Set(token_hash(&token)),
        created_at: Set(now),
        updated_at: Set(now),
        ip_address: Set(client.ip.clone()),
        user_agent: Set(client.user_agent.clone()),
        user_id: Set(user_id.to_owned()),
    }
    .insert(db)
    .await?;
    Ok((token, expires_at))
}

/// Checks an email and password and opens a session. Every failure answers
/// the same, after the same work, whether or not the email exists.
pub async fn sign_in(
    db: &DatabaseConnection,
    limiter: &SignInLimiter,
    email: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<NewSession, AppError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::validation("email", "enter your email"));
    }
    domain::text::check_no_control_characters("email", &email)?;
    if email.chars().count() > 255 {
        return Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()));
    }
    if password.is_empty() {
        return Err(AppError::validation("password", "enter your password"));
    }
    let keys = SignInLimiter::keys(&email, client.ip.as_deref());
    if let Some(wait) = limiter.locked_for(&keys, Instant::now()) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        return Err(AppError::TooManyRequests(format!(
            "too many failed sign-ins; try again in {minutes} minute{}",
            if minutes == 1 { "" } else { "s" }
        )));
    }

    let found = user::Entity::find()
        .filter(email_is(user::Column::Email, &email))
        .one(db)
        .await?;
    let stored = match &found {
        Some(found) => account::Entity::find()
            .filter(account::Column::UserId.eq(found.id.clone()))
            .filter(account::Column::ProviderId.eq(CREDENTIAL))
            .one(db)
            .await?
            .and_then(|account| account.password),
        None => None,
    };
    let has_password = stored.is_some();
    let matches = verify_password_off_thread(
        password.to_owned(),
        stored.unwrap_or_else(|| DUMMY_HASH.to_owned()),
    )
    .await?;
    let Some(found) = found.filter(|_| matches && has_password) else {
        limiter.record_failure(&keys, Instant::now());
        return Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()));
    };

    let (token, expires_at) = create_session(db, &found.id, client, now).await?;
    let member = member_by_email(db, &found.email).await?;
    Ok(NewSession {
        token,
        expires_at,
        viewer: Viewer {
            name: found.name,
            email: found.email,
            member,
        },
    })
}

/// Ends one session.
pub async fn sign_out(db: &impl ConnectionTrait, session_id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user, on every device.
pub async fn sign_out_everywhere(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id.to_owned()))
        .exec(db)
        .await?
        .rows_affected)
}

// ---------------------------------------------------------------------------
// Invitations and password resets

/// Which kind of one-time link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    Reset,
}

impl LinkKind {
    fn prefix(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invite",
            LinkKind::Reset => "reset",
        }
    }

    fn lifetime(self) -> chrono::TimeDelta {
        match self {
            LinkKind::Invitation => INVITATION_LIFETIME,
            LinkKind::Reset => RESET_LIFETIME,
        }
    }

    /// The page of the link: `/invite/<token>` or `/reset/<token>`.
    pub fn path(self, token: &str) -> String {
        format!("/{}/{token}", self.prefix())
    }

    fn identifier(self, token: &str) -> String {
        format!("{}:{}", self.prefix(), token_hash(token))
    }
}

/// A one-time link just issued; only the hash of its token is stored.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub token: String,
    pub email: String,
    pub expires_at: NaiveDateTime,
}

async fn issue_link(
    db: &impl ConnectionTrait,
    kind: LinkKind,
    email: &str,
    now: NaiveDateTime,
) -> Result<IssuedLink, DbErr> {
    let token = new_token();
    let expires_at = now + kind.lifetime();
    verification::ActiveModel {
        id: Set(new_id()),
        identifier: Set(kind.identifier(&token)),
        value: Set(email.to_owned()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(IssuedLink {
        token,
        email: email.to_owned(),
        expires_at,
    })
}

/// A new person, as an admin invites them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub name: String,
    pub email: String,
    pub team_id: Uuid,
    pub role: Role,
}

/// Adds the person to their team with their role, and issues their
/// invitation link (valid 72 hours), in one transaction.
pub async fn invite(
    db: &DatabaseConnection,
    invitation: Invitation,
    now: NaiveDateTime,
) -> Result<IssuedLink, AppError> {
    let txn = db.begin().await?;
    if team::Entity::find_by_id(invitation.team_id)
        .one(&txn)
        .await?
        .is_none_or(|found| found.archived)
    {
        return Err(AppError::validation(
            "team_id",
            "choose a team from the list",
        ));
    }
    if let Some(existing) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &invitation.email))
        .one(&txn)
        .await?
    {
        return Err(AppError::validation(
            "email",
            format!("{} already uses this email", existing.name),
        ));
    }
    let person_id = add_person(
        &txn,
        &invitation.email,
        &invitation.name,
        invitation.team_id,
        now,
    )
    .await?;
    set_role(&txn, person_id, invitation.role, now).await?;
    let link = issue_link(&txn, LinkKind::Invitation, &invitation.email, now).await?;
    txn.commit().await?;
    Ok(link)
}

/// A person's details as an admin edits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonEdit {
    pub name: String,
    pub email: String,
    pub team_id: Uuid,
    pub role: Role,
}

/// Changes a person's name, email, team and role (admins only), in one
/// transaction; their sign-in follows a changed email. An admin cannot take
/// away their own admin role.
pub async fn update_person(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    edit: PersonEdit,
    now: NaiveDateTime,
) -> Result<okr_user::Model, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("admins only"));
    }
    if actor.person_id == id && edit.role != Role::Admin {
        return Err(AppError::validation(
            "role",
            "you cannot take away your own admin role; ask another admin",
        ));
    }
    let txn = db.begin().await?;
    let person = okr_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("person_id", "choose a person from the list"))?;
    let team_changes = person.team_id != edit.team_id;
    if team_changes
        && team::Entity::find_by_id(edit.team_id)
            .one(&txn)
            .await?
            .is_none_or(|found| found.archived)
    {
        return Err(AppError::validation(
            "team_id",
            "choose an active team from the list",
        ));
    }
    if let Some(other) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &edit.email))
        .filter(okr_user::Column::Id.ne(id))
        .one(&txn)
        .await?
    {
        return Err(AppError::validation(
            "email",
            format!("{} already uses this email", other.name),
        ));
    }
    if !person.email.eq_ignore_ascii_case(&edit.email) {
        if user::Entity::find()
            .filter(email_is(user::Column::Email, &edit.email))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(AppError::validation(
                "email",
                "another sign-in already uses this email",
            ));
        }
        user::Entity::update_many()
            .col_expr(user::Column::Email, Expr::value(edit.email.clone()))
            .col_expr(user::Column::UpdatedAt, Expr::value(now))
            .filter(email_is(user::Column::Email, &person.email))
            .exec(&txn)
            .await?;
    }
    let mut model = person.into_active_model();
    model.name = Set(edit.name);
    model.email = Set(edit.email);
    model.team_id = Set(edit.team_id);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    set_role(&txn, id, edit.role, now).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deactivates a person (admins only): they leave the pickers, their
/// sessions end and their tokens stop working, but their objectives, key
/// results and check-ins stay. Or reactivates them.
pub async fn set_person_active(
    db: &DatabaseConnection,
    actor: &Member,
    id: Uuid,
    active: bool,
    now: NaiveDateTime,
) -> Result<okr_user::Model, AppError> {
    if !actor.is_admin() {
        return Err(AppError::forbidden("admins only"));
    }
    if actor.person_id == id && !active {
        return Err(AppError::validation(
            "person_id",
            "you cannot deactivate yourself; ask another admin",
        ));
    }
    let txn = db.begin().await?;
    let person = okr_user::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::validation("person_id", "choose a person from the list"))?;
    if !active
        && let Some(sign_in) = user::Entity::find()
            .filter(email_is(user::Column::Email, &person.email))
            .one(&txn)
            .await?
    {
        sign_out_everywhere(&txn, &sign_in.id).await?;
    }
    let mut model = person.into_active_model();
    model.active = Set(active);
    model.updated_at = Set(now);
    let updated = model.update(&txn).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Issues a password reset link (valid 1 hour) for an active person.
pub async fn reset_link(
    db: &DatabaseConnection,
    person_id: Uuid,
    now: NaiveDateTime,
) -> Result<IssuedLink, AppError> {
    let person = okr_user::Entity::find_by_id(person_id)
        .one(db)
        .await?
        .filter(|person| person.active)
        .ok_or_else(|| AppError::validation("person_id", "choose an active person"))?;
    Ok(issue_link(db, LinkKind::Reset, &person.email, now).await?)
}

/// Uses a one-time link: sets the password of the person it was issued for
/// (creating their sign-in if they have none yet), deletes the link, and, for
/// a reset, ends every other session. Then signs them in.
pub async fn redeem_link(
    db: &DatabaseConnection,
    kind: LinkKind,
    token: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<NewSession, AppError> {
    check_password(password)?;
    let password_hash = hash_password_off_thread(password.to_owned()).await?;
    let expired = || AppError::validation("token", "this link has expired or was already used");

    let txn = db.begin().await?;
    let Some(link) = verification::Entity::find()
        .filter(verification::Column::Identifier.eq(kind.identifier(token.trim())))
        .one(&txn)
        .await?
    else {
        return Err(expired());
    };
    // One use only: whatever happens next, the link is gone.
    verification::Entity::delete_by_id(link.id.clone())
        .exec(&txn)
        .await?;
    if link.expires_at <= now {
        txn.commit().await?;
        return Err(expired());
    }
    let Some(person) = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &link.value))
        .filter(okr_user::Column::Active.eq(true))
        .one(&txn)
        .await?
    else {
        txn.commit().await?;
        return Err(expired());
    };
    let user_id = set_password(&txn, &person.name, &person.email, password_hash, now).await?;
    if kind == LinkKind::Reset {
        sign_out_everywhere(&txn, &user_id).await?;
    }
    let (session_token, expires_at) = create_session(&txn, &user_id, client, now).await?;
    let member = member_by_email(&txn, &person.email).await?;
    txn.commit().await?;
    Ok(NewSession {
        token: session_token,
        expires_at,
        viewer: Viewer {
            name: person.name,
            email: person.email,
            member,
        },
    })
}

/// Gives the `user` of this email (created if missing) a credential account
/// with this password hash. Returns the user's id.
async fn set_password(
    db: &impl ConnectionTrait,
    name: &str,
    email: &str,
    password_hash: String,
    now: NaiveDateTime,
) -> Result<String, DbErr> {
    let user_id = match user::Entity::find()
        .filter(email_is(user::Column::Email, email))
        .one(db)
        .await?
    {
        Some(found) => found.id,
        None => {
            let id = new_id();
            user::ActiveModel {
                id: Set(id.clone()),
                name: Set(name.to_owned()),
                email: Set(email.to_lowercase()),
                email_verified: Set(true),
                image: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            id
        }
    };
    match account::Entity::find()
        .filter(account::Column::UserId.eq(user_id.clone()))
        .filter(account::Column::ProviderId.eq(CREDENTIAL))
        .one(db)
        .await?
    {
        Some(existing) => {
            let mut existing = existing.into_active_model();
            existing.password = Set(Some(password_hash));
            existing.updated_at = Set(now);
            existing.update(db).await?;
        }
        None => {
            account::ActiveModel {
                id: Set(new_id()),
                account_id: Set(user_id.clone()),
                provider_id: Set(CREDENTIAL.to_owned()),
                user_id: Set(user_id.clone()),
                access_token: Set(None),
                refresh_token: Set(None),
                id_token: Set(None),
                access_token_expires_at: Set(None),
                refresh_token_expires_at: Set(None),
                scope: Set(None),
                password: Set(Some(password_hash)),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(user_id)
}

/// A new active person in a team; returns their id.
async fn add_person(
    db: &impl ConnectionTrait,
    email: &str,
    name: &str,
    team_id: Uuid,
    now: NaiveDateTime,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    okr_user::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        name: Set(name.to_owned()),
        team_id: Set(team_id),
        organization_id: Set(None),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(id)
}

async fn set_role(
    db: &impl ConnectionTrait,
    person_id: Uuid,
    role: Role,
    now: NaiveDateTime,
) -> Result<(), DbErr> {
    match person_role::Entity::find_by_id(person_id).one(db).await? {
        Some(existing) if existing.role == role => {}
        Some(existing) => {
            let mut existing = existing.into_active_model();
            existing.role = Set(role);
            existing.updated_at = Set(now);
            existing.update(db).await?;
        }
        None => {
            person_role::ActiveModel {
                okr_user_id: Set(person_id),
                role: Set(role),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// A way in: `add-user` and the demo sign-ins

/// What `add-user` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub created_team: bool,
    pub created_person: bool,
}

/// Creates or updates a person with a password: their team (created when
/// missing), their `okr_user`, role, `user` and credential account, in one
/// transaction.
pub async fn add_user(
    db: &DatabaseConnection,
    email: &str,
    name: &str,
    team_name: &str,
    role: Role,
    password: &str,
    now: NaiveDateTime,
) -> Result<AddedUser, AppError> {
    let email = email.trim().to_lowercase();
    domain::text::check_email(&email)?;
    let name = domain::text::check_name("name", name, 120)?;
    let team_name = domain::text::check_name("team", team_name, 120)?;
    check_password(password)?;
    let password_hash = hash_password_off_thread(password.to_owned()).await?;

    let txn = db.begin().await?;
    let (team_id, created_team) = match team::Entity::find()
        .filter(team::Column::Name.eq(team_name.clone()))
        .one(&txn)
        .await?
    {
        Some(found) => (found.id, false),
        None => {
            let id = Uuid::new_v4();
            team::ActiveModel {
                id: Set(id),
                name: Set(team_name),
                organization_id: Set(None),
                archived: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            (id, true)
        }
    };
    let existing = okr_user::Entity::find()
        .filter(email_is(okr_user::Column::Email, &email))
        .one(&txn)
        .await?;
    let created_person = existing.is_none();
    let person_id = match existing {
        Some(person) => {
            let id = person.id;
            let mut person = person.into_active_model();
            person.name = Set(name.clone());
            person.team_id = Set(team_id);
            person.active = Set(true);
            person.updated_at = Set(now);
            person.update(&txn).await?;
            id
        }
        None => add_person(&txn, &email, &name, team_id, now).await?,
    };
    set_role(&txn, person_id, role, now).await?;
    set_password(&txn, &name, &email, password_hash, now).await?;
    txn.commit().await?;
    Ok(AddedUser {
        created_team,
        created_person,
    })
}

/// With `SEED_DEMO`: gives each demo person their role and, if they have no
/// sign-in yet, the password `runway-demo`. Changes nothing the second time.
/// Returns (name, email, role) of the demo people present.
pub async fn ensure_demo_sign_ins(
    db: &DatabaseConnection,
) -> Result<Vec<(String, String, Role)>, AppError> {
    let now = chrono::Utc::now().naive_utc();
    let mut present = Vec::new();
    let mut password_hash: Option<String> = None;
    for (email, role) in DEMO_ROLES {
        let Some(person) = okr_user::Entity::find()
            .filter(okr_user::Column::Email.eq(email))
            .one(db)
            .await?
        else {
            continue;
        };
        let txn = db.begin().await?;
        if person_role::Entity::find_by_id(person.id)
            .one(&txn)
            .await?
            .is_none()
        {
            set_role(&txn, person.id, role, now).await?;
        }
        let has_sign_in = user::Entity::find()
            .filter(email_is(user::Column::Email, email))
            .one(&txn)
            .await?
            .is_some();
        if !has_sign_in {
            let hash = match &password_hash {
                Some(hash) => hash.clone(),
                None => {
                    let hash = hash_password_off_thread(DEMO_PASSWORD.to_owned()).await?;
                    password_hash = Some(hash.clone());
                    hash
                }
            };
            set_password(&txn, &person.name, email, hash, now).await?;
        }
        txn.commit().await?;
        let role = member_by_email(db, email)
            .await?
            .map_or(role, |member| member.role);
        present.push((person.name, email.to_owned(), role));
    }
    Ok(present)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made by Better Auth 1.7 itself.
    const BETTER_AUTH_HASH: &str = "702a014d72f59d6a8c4a68980cf459a0:9dd1fb1b71772c3b9ec3601df1107d1c96ac82f45c383dda7461708355a7db725ef0868d45a9be09c801ec4ceee21c2fab787d9c67c35433703e3b1f96d92583";

    #[test]
    fn the_stand_in_hash_is_of_its_password() {
        assert!(verify_password("no such account", DUMMY_HASH));
        assert!(!verify_password("no such accounts", DUMMY_HASH));
    }

    #[test]
    fn a_better_auth_hash_verifies() {
        assert!(verify_password(
            "correct horse battery staple",
            BETTER_AUTH_HASH
        ));
        assert!(!verify_password(
            "correct horse battery stapler",
            BETTER_AUTH_HASH
        ));
    }

    #[test]
    fn a_hash_made_here_has_better_auths_shape_and_verifies() {
        let hash = hash_password("runway-demo");
        let (salt, key) = hash.split_once(':').unwrap();
        assert_eq!(salt.len(), 32);
        assert_eq!(key.len(), 128);
        assert!(
            salt.chars()
                .chain(key.chars())
                .all(|c| c.is_ascii_hexdigit())
        );
        assert!(verify_password("runway-demo", &hash));
        assert!(!verify_password("runway-demo ", &hash));
        assert_ne!(hash, hash_password("runway-demo"), "a fresh salt each time");
    }

    #[test]
    fn passwords_are_compared_after_nfkc_normalisation() {
        // "ﬁ" (U+FB01) is NFKC-equivalent to "fi".
        let hash = hash_password("ﬁsh and chips");
        assert!(verify_password("fish and chips", &hash));
    }

    #[test]
    fn malformed_hashes_never_verify() {
        for stored in ["", "nocolon", "abcd:zz", "00:"] {
            assert!(!verify_password("anything", stored), "{stored:?}");
        }
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, new_token());
        assert_ne!(token_hash(&token), token);
        assert_eq!(token_hash(&token), token_hash(&token));
    }

    #[test]
    fn the_limiter_locks_a_key_after_ten_failures_for_the_window() {
        let limiter = SignInLimiter::default();
        let keys = SignInLimiter::keys("a@b.c", Some("127.0.0.1"));
        let start = Instant::now();
        for _ in 0..SignInLimiter::MAX_FAILURES {
            assert_eq!(limiter.locked_for(&keys, start), None);
            limiter.record_failure(&keys, start);
        }
        assert!(limiter.locked_for(&keys, start).is_some());
        // Another email from the same address is locked too.
        let same_ip = SignInLimiter::keys("x@y.z", Some("127.0.0.1"));
        assert!(limiter.locked_for(&same_ip, start).is_some());
        // The window passes.
        let later = start + SignInLimiter::WINDOW;
        assert_eq!(limiter.locked_for(&keys, later), None);
    }

    #[test]
    fn a_session_is_renewed_only_after_a_day_and_ends_at_its_expiry() {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 2, 14)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let hour = chrono::TimeDelta::hours(1);
        // Signed in an hour ago: left alone.
        assert_eq!(
            session_fate(now + SESSION_LIFETIME - hour, now - hour, now),
            SessionFate::Live
        );
        // Last renewed a day ago: a full lifetime from now.
        assert_eq!(
            session_fate(now + hour, now - SESSION_REFRESH_AFTER, now),
            SessionFate::Renew {
                until: now + SESSION_LIFETIME
            }
        );
        // At or past its expiry: over, however recently renewed.
        assert_eq!(session_fate(now, now - hour, now), SessionFate::Expired);
        assert_eq!(
            session_fate(now - hour, now - SESSION_LIFETIME, now),
            SessionFate::Expired
        );
    }

    #[test]
    fn cookies_are_secure_only_behind_https() {
        let http = AuthConfig {
            public_url: Some("http://okr.local".into()),
            ..AuthConfig::default()
        };
        let https = AuthConfig {
            public_url: Some("https://okr.example.com".into()),
            ..AuthConfig::default()
        };
        assert!(!AuthConfig::default().secure_cookies());
        assert!(!http.secure_cookies());
        assert!(https.secure_cookies());
    }
}
