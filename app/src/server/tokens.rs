//! Personal access tokens for the JSON API: creating, listing and revoking
//! them, finding the person behind a bearer token,
//! and the stored first answers of idempotent requests.

use chrono::NaiveDateTime;
use domain::Role;
use entity::{api_idempotency, api_token, okr_user, person_role};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{IssuedTokenView, TokenStatus, TokenView};
use domain::access::Member;

use super::secrets::{new_token, token_hash};

/// Every token starts with this, so people (and secret scanners) recognise it.
pub const TOKEN_PREFIX: &str = "rokr_";
/// How much of a token its list shows: the prefix and six characters.
const SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 6;
/// The most live tokens one person may hold.
pub const MAX_ACTIVE_TOKENS: u64 = 25;
/// The expiries the page offers, in days; `None` never expires.
pub const EXPIRY_CHOICES: [Option<i64>; 4] = [Some(30), Some(90), Some(365), None];
/// `last_used_at` is written at most this often per token, so reading the
/// API does not turn every request into a write.
const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// How long the first answer to an `Idempotency-Key` is kept.
pub const IDEMPOTENCY_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The caller of an API request: the token and the person it acts as.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_id: Uuid,
    pub member: Member,
    pub name: String,
}

fn status(model: &api_token::Model, now: NaiveDateTime) -> TokenStatus {
    if model.revoked_at.is_some() {
        TokenStatus::Revoked
    } else if model.expires_at.is_some_and(|expires| expires <= now) {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

fn view(model: api_token::Model, owner: String, now: NaiveDateTime) -> TokenView {
    TokenView {
        status: status(&model, now),
        id: model.id,
        name: model.name,
        prefix: model.prefix,
        owner,
        created_at: model.created_at,
        last_used_at: model.last_used_at,
        expires_at: model.expires_at,
    }
}

/// Reads the expiry choice of the form: `30`, `90`, `365` days or `never`.
pub fn parse_expiry(text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "never" => Ok(None),
        text => text
            .parse::<i64>()
            .ok()
            .filter(|days| EXPIRY_CHOICES.contains(&Some(*days)))
            .map(Some)
            .ok_or_else(|| {
                AppError::validation("expires_in_days", "choose 30, 90 or 365 days, or never")
            }),
    }
}

/// Creates a token for `owner`. The token is returned once and only its hash
/// is stored.
pub async fn create(
    db: &impl ConnectionTrait,
    owner: Uuid,
    name: &str,
    expires_in_days: Option<i64>,
    now: NaiveDateTime,
) -> Result<IssuedTokenView, AppError> {
    let name = domain::text::check_name("name", name, 100)?;
    let live = api_token::Entity::find()
        .filter(api_token::Column::OwnerId.eq(owner))
        .filter(api_token::Column::RevokedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(api_token::Column::ExpiresAt.is_null())
                .add(api_token::Column::ExpiresAt.gt(now)),
        )
        .count(db)
        .await?;
    if live >= MAX_ACTIVE_TOKENS {
        return Err(AppError::validation(
            "name",
            format!("you already have {live} live tokens, the most allowed; revoke one first"),
        ));
    }
    let token = format!("{TOKEN_PREFIX}{}", new_token());
    let expires_at = expires_in_days.map(|days| now + chrono::TimeDelta::days(days));
    api_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.clone()),
        owner_id: Set(owner),
        token_hash: Set(token_hash(&token)),
        prefix: Set(token[..SHOWN_CHARS].to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(IssuedTokenView {
        token,
        name,
        expires_at,
    })
}

/// Tokens, newest first: one person's, or everyone's but `except`'s.
pub async fn list(
    db: &impl ConnectionTrait,
    owner: Option<Uuid>,
    except: Option<Uuid>,
    now: NaiveDateTime,
) -> Result<Vec<TokenView>, DbErr> {
    let mut query = api_token::Entity::find().find_also_related(okr_user::Entity);
    if let Some(owner) = owner {
        query = query.filter(api_token::Column::OwnerId.eq(owner));
    }
    if let Some(except) = except {
        query = query.filter(api_token::Column::OwnerId.ne(except));
    }
    Ok(query
        .order_by_desc(api_token::Column::CreatedAt)
        .order_by_asc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|(token, person)| {
            let owner = person.map(|person| person.name).unwrap_or_default();
            view(token, owner, now)
        })
        .collect())
}

/// Revokes every live token of `owner` (a password reset: a stolen session
/// must not live on as a token). How many were revoked.
pub async fn revoke_all(
    db: &impl ConnectionTrait,
    owner: Uuid,
    now: NaiveDateTime,
) -> Result<u64, DbErr> {
    Ok(api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::OwnerId.eq(owner))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Revokes a token: its owner's or, for an admin, anyone's. Revoking one
/// already revoked changes nothing. Returns the token's name.
pub async fn revoke(
    db: &impl ConnectionTrait,
    id: Uuid,
    by: &Member,
    now: NaiveDateTime,
) -> Result<String, AppError> {
    let token = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("token".into()))?;
    if token.owner_id != by.person_id && !by.is_admin() {
        return Err(AppError::forbidden(
            "you can revoke only your own tokens; admins can revoke anyone's",
        ));
    }
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(token.name)
}

/// The `Authorization` header's token: `Bearer rokr_…`.
pub fn bearer(header: Option<&str>) -> Result<&str, AppError> {
    let header = header.ok_or_else(|| {
        AppError::Unauthorized("send a personal access token: Authorization: Bearer rokr_…".into())
    })?;
    let (scheme, token) = header.trim().split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AppError::Unauthorized(
            "the Authorization header must be: Bearer rokr_…".into(),
        ));
    }
    Ok(token.trim())
}

/// The person a bearer token acts as, with their role as it stands now.
/// Unknown, revoked and expired tokens, and tokens of people no longer
/// active, are refused with a message that says which.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
    now: NaiveDateTime,
) -> Result<ApiCaller, AppError> {
    let unknown = || AppError::Unauthorized("this token is not valid".into());
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
        return Err(unknown());
    }
    let Some((model, person)) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(token)))
        .find_also_related(okr_user::Entity)
        .one(db)
        .await?
    else {
        return Err(unknown());
    };
    match status(&model, now) {
        TokenStatus::Revoked => {
            return Err(AppError::Unauthorized("this token has been revoked".into()));
        }
        TokenStatus::Expired => {
            return Err(AppError::Unauthorized(format!(
                "this token expired on {} UTC",
                model.expires_at.unwrap_or(now).format("%Y-%m-%d %H:%M")
            )));
        }
        TokenStatus::Active => {}
    }
    let Some(person) = person.filter(|person| person.active) else {
        return Err(AppError::Unauthorized(
            "the person this token belongs to is no longer active".into(),
        ));
    };
    let role = person_role::Entity::find_by_id(person.id)
        .one(db)
        .await?
        .map_or(Role::Member, |role| role.role);
    if model
        .last_used_at
        .is_none_or(|last| now - last >= LAST_USED_GRANULARITY)
    {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(model.id))
            .exec(db)
            .await?;
    }
    Ok(ApiCaller {
        token_id: model.id,
        member: Member {
            person_id: person.id,
            team_id: person.team_id,
            role,
        },
        name: person.name,
    })
}

/// What a stored idempotency key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The key is new: the request runs, and its answer is stored.
    First,
    /// The key has an answer: send it again.
    Answer { status: u16, body: String },
    /// The key was used for a different request.
    Conflict,
}

/// Claims `key` for this request inside `txn` (which must hold the write
/// turn). While the claiming transaction runs, a second claim of the same key
/// waits for it on PostgreSQL's unique index (SQLite's writers take turns), so
/// exactly one request runs; the others then see its stored answer.
pub async fn claim_idempotency_key(
    txn: &DatabaseTransaction,
    token_id: Uuid,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Replay, AppError> {
    // Keys older than the window are forgotten: the same key may start anew.
    api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::TokenId.eq(token_id))
        .filter(api_idempotency::Column::CreatedAt.lt(now - IDEMPOTENCY_WINDOW))
        .exec(txn)
        .await?;
    let inserted = api_idempotency::Entity::insert(api_idempotency::ActiveModel {
        token_id: Set(token_id),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status: Set(0),
        response: Set(String::new()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            api_idempotency::Column::TokenId,
            api_idempotency::Column::Key,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if inserted == 1 {
        return Ok(Replay::First);
    }
    let stored = api_idempotency::Entity::find_by_id((token_id, key.to_owned()))
        .one(txn)
        .await?
        .ok_or(AppError::Internal)?;
    if stored.request_hash != request_hash {
        return Ok(Replay::Conflict);
    }
    Ok(Replay::Answer {
        status: u16::try_from(stored.status).unwrap_or(500),
        body: stored.response,
    })
}

/// Stores the answer of the request that claimed `key`, in its transaction.
pub async fn store_answer(
    txn: &DatabaseTransaction,
    token_id: Uuid,
    key: &str,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    api_idempotency::Entity::update_many()
        .col_expr(
            api_idempotency::Column::Status,
            Expr::value(i16::try_from(status).unwrap_or(500)),
        )
        .col_expr(api_idempotency::Column::Response, Expr::value(body))
        .filter(api_idempotency::Column::TokenId.eq(token_id))
        .filter(api_idempotency::Column::Key.eq(key))
        .exec(txn)
        .await?;
    Ok(())
}

/// The JSON API's rate limit per token, unless configured.
pub const DEFAULT_API_REQUESTS_PER_MINUTE: u32 = 600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_header_must_name_the_scheme() {
        assert_eq!(bearer(Some("Bearer rokr_abc")).unwrap(), "rokr_abc");
        assert_eq!(bearer(Some("bearer  rokr_abc ")).unwrap(), "rokr_abc");
        for bad in [
            None,
            Some("rokr_abc"),
            Some("Basic dXNlcg=="),
            Some("Bearer "),
        ] {
            assert_eq!(
                bearer(bad).unwrap_err().status_code(),
                http::StatusCode::UNAUTHORIZED
            );
        }
    }

    #[test]
    fn expiry_choices_are_the_offered_ones() {
        assert_eq!(parse_expiry("never").unwrap(), None);
        assert_eq!(parse_expiry("90").unwrap(), Some(90));
        for bad in ["", "7", "-30", "abc", "36500"] {
            assert_eq!(
                parse_expiry(bad).unwrap_err().field(),
                Some("expires_in_days")
            );
        }
    }

    #[test]
    fn a_token_is_revoked_or_expired_by_its_dates() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 1, 10)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap();
        let mut model = api_token::Model {
            id: Uuid::new_v4(),
            name: "CRM sync".into(),
            owner_id: Uuid::new_v4(),
            token_hash: String::new(),
            prefix: "rokr_abcdef".into(),
            created_at: now,
            last_used_at: None,
            expires_at: Some(now + chrono::TimeDelta::days(1)),
            revoked_at: None,
        };
        assert_eq!(status(&model, now), TokenStatus::Active);
        model.expires_at = Some(now);
        assert_eq!(status(&model, now), TokenStatus::Expired);
        model.revoked_at = Some(now);
        assert_eq!(status(&model, now), TokenStatus::Revoked);
    }
}
