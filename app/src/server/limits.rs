//! Rate limits counted in the database, so that every server on one
//! database enforces one limit: failed sign-ins, failed uses of one-time
//! links, and requests per API token.
//!
//! An attempt is written as a hit *before* the work it limits (a password
//! hash, a request) and only then counted, so attempts made in parallel
//! cannot slip past the count: of any burst, at most `max` see a count
//! within the limit. A hit that should not count after all (a sign-in that
//! succeeded, an attempt refused) is given back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use entity::rate_limit_hit;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::error::AppError;

/// Longest bucket name kept (the column's width).
const BUCKET_MAX_CHARS: usize = 320;

/// A limit: at most `max` hits per bucket in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The buckets' prefix, such as `sign-in`.
    pub name: &'static str,
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    /// Failed sign-ins per email and per client address.
    pub const SIGN_IN: Limit = Limit {
        name: "sign-in",
        max: 10,
        window: Duration::from_secs(15 * 60),
    };

    /// Failed uses of invitation and reset links, per client address and
    /// per person the link was for.
    pub const LINKS: Limit = Limit {
        name: "link",
        max: 10,
        window: Duration::from_secs(15 * 60),
    };

    /// Requests per API token a minute.
    pub fn api(per_minute: u32) -> Limit {
        Limit {
            name: "api",
            max: per_minute.max(1),
            window: Duration::from_secs(60),
        }
    }

    fn bucket(&self, key: &str) -> String {
        format!("{}:{key}", self.name)
            .chars()
            .take(BUCKET_MAX_CHARS)
            .collect()
    }
}

/// The hits one attempt took; [`give_back`] them if it should not count.
#[derive(Debug, Default)]
#[must_use = "hits are kept unless given back"]
pub struct Hits(Vec<Uuid>);

/// A bucket's hits in the window, as counted after this attempt's own.
#[derive(Debug, FromQueryResult)]
struct Count {
    hits: i64,
    oldest: Option<NaiveDateTime>,
}

/// How long a server answers a bucket it has just seen full from memory,
/// without asking the database: a flood from one address then costs
/// neither statements nor the time that would keep thousands of requests
/// open at once. At worst an attempt is refused this much longer than the
/// count alone would refuse it.
pub const REFUSALS_REMEMBERED_FOR: Duration = Duration::from_secs(2);

/// At most this many buckets are remembered as full; past it, they are
/// forgotten (and asked of the database again).
const FULL_AT_MOST: usize = 10_000;

/// Counts attempts in the database; remembers, for
/// [`REFUSALS_REMEMBERED_FOR`], the buckets it has seen full.
#[derive(Debug, Default)]
pub struct Limiter {
    /// By bucket: until when it is answered from memory, and when the
    /// database said it frees up.
    full: Mutex<HashMap<String, (Instant, Instant)>>,
}

impl Limiter {
    fn full_for(&self, buckets: &[String]) -> Option<Duration> {
        let full = self.full.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        buckets
            .iter()
            .filter_map(|bucket| full.get(bucket))
            .filter(|(remembered_until, _)| *remembered_until > now)
            .map(|(_, frees_at)| frees_at.saturating_duration_since(now))
            .max()
    }

    fn remember_full(&self, bucket: String, wait: Duration) {
        let mut full = self.full.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if full.len() >= FULL_AT_MOST {
            full.retain(|_, (remembered_until, _)| *remembered_until > now);
            if full.len() >= FULL_AT_MOST {
                full.clear();
            }
        }
        full.insert(bucket, (now + REFUSALS_REMEMBERED_FOR, now + wait));
    }

    /// Counts an attempt in each of `keys`' buckets of `limit`. If any
    /// bucket then holds more than `max` hits in the window, the attempt's
    /// hits are given back and it is refused with 429 and how long to wait;
    /// `refused` words the message, given the wait in minutes or seconds.
    pub async fn take(
        &self,
        db: &impl ConnectionTrait,
        limit: &Limit,
        keys: &[String],
        now: NaiveDateTime,
        refused: impl FnOnce(&str) -> String,
    ) -> Result<Hits, AppError> {
        let buckets: Vec<String> = keys.iter().map(|key| limit.bucket(key)).collect();
        if let Some(wait) = self.full_for(&buckets) {
            let wait = wait.max(Duration::from_secs(1));
            return Err(AppError::too_many(refused(&in_words(wait)), wait));
        }
        let rows: Vec<rate_limit_hit::ActiveModel> = buckets
            .iter()
            .map(|bucket| rate_limit_hit::ActiveModel {
                id: sea_orm::Set(Uuid::new_v4()),
                bucket: sea_orm::Set(bucket.clone()),
                hit_at: sea_orm::Set(now),
            })
            .collect();
        let hits = Hits(
            rows.iter()
                .filter_map(|row| row.id.clone().take())
                .collect(),
        );
        if rows.is_empty() {
            return Ok(hits);
        }
        rate_limit_hit::Entity::insert_many(rows).exec(db).await?;

        let since = now - window(limit);
        let mut worst: Option<Duration> = None;
        for bucket in buckets {
            let count = rate_limit_hit::Entity::find()
                .select_only()
                .column_as(
                    Expr::expr(Func::count(Expr::col(rate_limit_hit::Column::Id))),
                    "hits",
                )
                .column_as(
                    Expr::expr(Func::min(Expr::col(rate_limit_hit::Column::HitAt))),
                    "oldest",
                )
                .filter(rate_limit_hit::Column::Bucket.eq(bucket.clone()))
                .filter(rate_limit_hit::Column::HitAt.gt(since))
                .into_model::<Count>()
                .one(db)
                .await?;
            if let Some(Count {
                hits: count,
                oldest: Some(oldest),
            }) = count
                && count > i64::from(limit.max)
            {
                let frees_at = oldest + window(limit);
                let wait = (frees_at - now).to_std().unwrap_or_default();
                self.remember_full(bucket, wait);
                worst = Some(worst.map_or(wait, |worst| worst.max(wait)));
            }
        }
        match worst {
            None => Ok(hits),
            Some(wait) => {
                give_back(db, hits).await?;
                let wait = wait.max(Duration::from_secs(1));
                Err(AppError::too_many(refused(&in_words(wait)), wait))
            }
        }
    }
}

/// Takes back an attempt's hits: it did not count after all.
pub async fn give_back(db: &impl ConnectionTrait, hits: Hits) -> Result<(), DbErr> {
    if hits.0.is_empty() {
        return Ok(());
    }
    rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::Id.is_in(hits.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes the hits no limit counts any more (older than every window).
pub async fn sweep(db: &impl ConnectionTrait, now: NaiveDateTime) -> Result<u64, DbErr> {
    let longest = [
        Limit::SIGN_IN.window,
        Limit::LINKS.window,
        Limit::api(1).window,
    ]
    .into_iter()
    .max()
    .unwrap_or_default();
    let before = now - chrono::TimeDelta::from_std(longest).unwrap_or_default();
    Ok(rate_limit_hit::Entity::delete_many()
        .filter(rate_limit_hit::Column::HitAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}

fn window(limit: &Limit) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(limit.window).unwrap_or_default()
}

/// "3 minutes", "1 minute" or, under a minute, "40 s".
fn in_words(wait: Duration) -> String {
    let seconds = wait.as_secs().max(1);
    if seconds < 60 {
        return format!("{seconds} s");
    }
    let minutes = seconds.div_ceil(60);
    format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

/// The buckets of a sign-in or link attempt: the account it names, and the
/// client's address when it is known.
pub fn keys(account: &str, ip: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{account}")];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_worded_in_seconds_then_minutes() {
        assert_eq!(in_words(Duration::from_millis(10)), "1 s");
        assert_eq!(in_words(Duration::from_secs(40)), "40 s");
        assert_eq!(in_words(Duration::from_secs(60)), "1 minute");
        assert_eq!(in_words(Duration::from_secs(61)), "2 minutes");
    }

    #[test]
    fn buckets_are_named_by_limit_and_bounded() {
        assert_eq!(
            Limit::SIGN_IN.bucket("account:a@b.c"),
            "sign-in:account:a@b.c"
        );
        assert_ne!(Limit::SIGN_IN.bucket("ip:1"), Limit::LINKS.bucket("ip:1"));
        let long = "x".repeat(1000);
        assert_eq!(Limit::LINKS.bucket(&long).chars().count(), BUCKET_MAX_CHARS);
        assert_eq!(
            keys("a@b.c", Some("10.0.0.1")),
            ["account:a@b.c", "ip:10.0.0.1"]
        );
        assert_eq!(keys("a@b.c", None), ["account:a@b.c"]);
    }
}
