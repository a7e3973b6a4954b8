//! One-time links by email: invitations and password resets, issued with
//! only their token's hash stored, and redeemed once to set a password and
//! sign in.

use chrono::NaiveDateTime;
use entity::{account, okr_user, user, verification};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::server::limits::{self, Limit, Limiter};
use crate::server::secrets::{new_id, new_token, token_hash};
use domain::access::Viewer;

use super::password::{check_password, hash_password_off_thread};
use super::sessions::{
    ClientInfo, NewSession, create_session, member_by_email, sign_out_everywhere,
};
use super::{CREDENTIAL, email_is};

pub const INVITATION_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(72);
pub const RESET_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::hours(1);

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

pub(crate) async fn issue_link(
    db: &impl ConnectionTrait,
    kind: LinkKind,
    email: &str,
    now: NaiveDateTime,
) -> Result<IssuedLink, DbErr> {
    let token = new_token();
    let expires_at = now + kind.lifetime();
    // One live link per person and purpose: a new one revokes the older.
    verification::Entity::delete_many()
        .filter(email_is(verification::Column::Value, email))
        .filter(verification::Column::Identifier.starts_with(format!("{}:", kind.prefix())))
        .exec(db)
        .await?;
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
/// (creating their sign-in if they have none yet), deletes the link, ends
/// every other session of theirs and, for a reset, revokes their API
/// tokens. Then signs them in.
///
/// The link is looked up before the password is hashed, so a bad token
/// costs no hashing; and only the redemption whose delete removed the link
/// goes on, so two redemptions at once cannot both succeed.
pub async fn redeem_link(
    db: &DatabaseConnection,
    limiter: &Limiter,
    kind: LinkKind,
    token: &str,
    password: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> Result<NewSession, AppError> {
    check_password(password)?;
    let expired = || AppError::validation("token", "this link has expired or was already used");
    let refused = |wait: &str| format!("too many failed attempts with links; try again in {wait}");
    // Counted as failures before any work, per address and then per person
    // the link is for, and given back once the link has been used.
    let by_address: Vec<String> = client.ip.iter().map(|ip| format!("ip:{ip}")).collect();
    let address_hits = limiter
        .take(db, &Limit::LINKS, &by_address, now, refused)
        .await?;
    let identifier = kind.identifier(token.trim());
    let Some(live) = verification::Entity::find()
        .filter(verification::Column::Identifier.eq(identifier.clone()))
        .one(db)
        .await?
        .filter(|link| link.expires_at > now)
    else {
        return Err(expired());
    };
    let by_account = [format!("account:{}", live.value.trim().to_lowercase())];
    let account_hits = limiter
        .take(db, &Limit::LINKS, &by_account, now, refused)
        .await?;
    let password_hash = hash_password_off_thread(password.to_owned()).await?;

    let txn = db.begin().await?;
    let Some(link) = verification::Entity::find()
        .filter(verification::Column::Identifier.eq(identifier))
        .one(&txn)
        .await?
    else {
        return Err(expired());
    };
    // One use only: whatever happens next, the link is gone, and only the
    // redemption that removed it goes on.
    let removed = verification::Entity::delete_by_id(link.id.clone())
        .exec(&txn)
        .await?;
    if removed.rows_affected != 1 {
        return Err(expired());
    }
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
    sign_out_everywhere(&txn, &user_id).await?;
    if kind == LinkKind::Reset {
        crate::server::tokens::revoke_all(&txn, person.id, now).await?;
    }
    let (session_token, expires_at) = create_session(&txn, &user_id, client, now).await?;
    let member = member_by_email(&txn, &person.email).await?;
    txn.commit().await?;
    limits::give_back(db, address_hits).await?;
    limits::give_back(db, account_hits).await?;
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

/// Removes invitation and reset links past their expiry.
pub async fn sweep(db: &impl ConnectionTrait, now: NaiveDateTime) -> Result<u64, DbErr> {
    let ours = sea_orm::Condition::any()
        .add(verification::Column::Identifier.starts_with("invite:"))
        .add(verification::Column::Identifier.starts_with("reset:"));
    Ok(verification::Entity::delete_many()
        .filter(ours)
        .filter(verification::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Gives the `user` of this email (created if missing) a credential account
/// with this password hash. Returns the user's id.
pub(crate) async fn set_password(
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
