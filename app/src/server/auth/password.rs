//! Passwords: Better Auth's scrypt hashes, made and checked off the async
//! threads and a few at a time, and the rules for a password people may
//! choose.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use rand::RngCore;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

use crate::error::AppError;

pub const PASSWORD_MIN_CHARS: usize = 8;
pub const PASSWORD_MAX_CHARS: usize = 128;

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

/// How many hashes run at once: `RUNWAY_PASSWORD_HASHES_AT_ONCE`, else one
/// per core. Each takes 32 MiB while it runs, so this bounds the memory
/// that signing in can take, whatever the number of requests.
static HASH_SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    Arc::new(Semaphore::new(
        env_number("RUNWAY_PASSWORD_HASHES_AT_ONCE")
            .unwrap_or(cores)
            .max(1),
    ))
});

/// How long a request waits for a free hash slot before it is answered 503
/// with `Retry-After`: `RUNWAY_PASSWORD_HASH_WAIT_MS`, else 2 seconds.
static HASH_WAIT: LazyLock<Duration> = LazyLock::new(|| {
    Duration::from_millis(
        env_number("RUNWAY_PASSWORD_HASH_WAIT_MS")
            .and_then(|ms| u64::try_from(ms).ok())
            .unwrap_or(2_000),
    )
});

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// Runs a hash on a blocking thread once a slot is free; 503 if none comes
/// free within the wait. The slot goes with the work, so a request whose
/// client has left still holds it until its hash is done.
async fn in_a_slot<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let slot = tokio::time::timeout(*HASH_WAIT, Arc::clone(&HASH_SLOTS).acquire_owned())
        .await
        .map_err(|_| {
            tracing::warn!("every password hash slot stayed busy; answered 503");
            AppError::Busy { retry_after: 1 }
        })?
        .map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(move || {
        let done = work();
        drop(slot);
        done
    })
    .await
    .map_err(|_| AppError::Internal)
}

pub async fn hash_password_off_thread(password: String) -> Result<String, AppError> {
    in_a_slot(move || hash_password(&password)).await
}

pub(super) async fn verify_password_off_thread(
    password: String,
    stored: String,
) -> Result<bool, AppError> {
    in_a_slot(move || verify_password(&password, &stored)).await
}

/// Checked against when the email is unknown, so a wrong email takes as long
/// as a wrong password: the hash of "no such account" with a fixed salt. A
/// constant, so no server hashes (32 MiB for a moment) before anyone signs in.
pub(super) const DUMMY_HASH: &str = "72756e7761792d64756d6d792d73616c:a2b2e7afd481f69ea2a65827d11ff9447f62d29f5b30105fe49883e13ee580a0a33e614532aaf8bc7fb62a5c64b9608fafe86fd9116a5d14742fc045d46ccc0b";

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
}
