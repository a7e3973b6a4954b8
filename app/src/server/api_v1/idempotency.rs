//! The `Idempotency-Key` header of a POST: what a key may be.

use http::HeaderMap;

use crate::error::AppError;

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || AppError::Malformed {
        field: "Idempotency-Key".into(),
        message: format!(
            "must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters, such as a UUID"
        ),
    };
    let key = value.to_str().map_err(|_| bad())?.trim();
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(bad());
    }
    Ok(Some(key.to_owned()))
}
