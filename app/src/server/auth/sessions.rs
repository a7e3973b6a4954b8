//! Sessions: signing in with email and password, the session cookie and
//! its rows, finding the signed-in person behind a cookie, and signing out.

use chrono::NaiveDateTime;
use domain::Role;
use entity::{account, okr_user, person_role, session, user};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, JoinType, QueryFilter, QueryResult, QuerySelect, QueryTrait, RelationTrait, Set,
    Value,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::secrets::{new_id, new_token, token_hash};
use domain::access::{Member, Viewer};

use super::password::{DUMMY_HASH, verify_password_off_thread};
use super::{CREDENTIAL, email_is};
use crate::server::limits::{self, Limit, Limiter};
use crate::server::queries::built_once::BuiltOnce;
use crate::server::queries::columns::Columns;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "runway_session";
/// How long a session lasts without use.
pub const SESSION_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);
/// A session used after this long gets a new expiry (and cookie).
const SESSION_REFRESH_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);

const WRONG_CREDENTIALS: &str = "wrong email or password";

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
#[derive(Debug)]
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

impl SessionRow {
    /// A row of [`session_select`], read by the position of its columns.
    fn read(row: &QueryResult) -> Result<SessionRow, DbErr> {
        let row = Columns::of(row)?;
        Ok(SessionRow {
            session_id: row.get(0)?,
            expires_at: row.get(1)?,
            updated_at: row.get(2)?,
            user_id: row.get(3)?,
            user_name: row.get(4)?,
            user_email: row.get(5)?,
            person_id: row.get(6)?,
            team_id: row.get(7)?,
            role: row.optional_enumerated(8)?,
        })
    }
}

/// Stands for the token's hash in a [`session_select`] built once.
const TOKEN_HASH_SLOT: &str = "\u{0}the token's hash";

/// The session of the token whose hash is `hash`, its user, and the active
/// person with the user's email and their role: one row or none.
/// [`SessionRow::read`] reads its columns by their position.
fn session_select(hash: &str) -> sea_orm::Select<session::Entity> {
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
        .filter(session::Column::Token.eq(hash));
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
    select
        .join(JoinType::LeftJoin, okr_user::Relation::PersonRole.def())
        .limit(1)
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
    static BUILT: BuiltOnce = BuiltOnce::new();
    let hash = token_hash(token);
    let statement = BUILT.statement(
        db.get_database_backend(),
        |backend| session_select(TOKEN_HASH_SLOT).build(backend),
        |value| {
            if let Value::String(Some(text)) = value
                && text == TOKEN_HASH_SLOT
            {
                hash.clone_into(text);
            }
        },
    );
    let Some(found) = db
        .query_one_raw(statement)
        .await?
        .as_ref()
        .map(SessionRow::read)
        .transpose()?
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

pub(super) async fn create_session(
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
    limiter: &Limiter,
    email: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<NewSession, AppError> {
    let found = check_credentials(db, limiter, email, password, client, now).await?;
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

/// Asks a signed-in person for their password again, before an action that
/// a stolen session must not be enough for (creating an API token). Held
/// to the same limit as signing in.
pub async fn confirm_password(
    db: &DatabaseConnection,
    limiter: &Limiter,
    email: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if password.is_empty() {
        return Err(AppError::validation(
            "password",
            "enter your password to confirm it is you",
        ));
    }
    match check_credentials(db, limiter, email, password, client, now).await {
        Ok(_) => Ok(()),
        Err(AppError::Unauthorized(_)) => Err(AppError::validation(
            "password",
            "that is not your password",
        )),
        Err(error) => Err(error),
    }
}

/// The sign-in of this email and password, or 401. The attempt is counted
/// as a failure before the password is checked, and given back if it
/// matches, so a burst cannot outrun the count.
async fn check_credentials(
    db: &DatabaseConnection,
    limiter: &Limiter,
    email: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<user::Model, AppError> {
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
    let hits = limiter
        .take(
            db,
            &Limit::SIGN_IN,
            &limits::keys(&email, client.ip.as_deref()),
            now,
            |wait| format!("too many failed sign-ins; try again in {wait}"),
        )
        .await?;

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
        return Err(AppError::Unauthorized(WRONG_CREDENTIALS.into()));
    };
    limits::give_back(db, hits).await?;
    Ok(found)
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
