//! The `Idempotency-Key` header of a POST: what a key may be.

use http::HeaderMap;

use crate::error::AppError;

/// The longest `Idempotency-Key` accepted.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;
/// What the document says a key is, in the words of its check below: visible
/// ASCII, `!` (0x21) to `~` (0x7E). The `create_check_in` operation repeats
/// it (utoipa takes only a literal there); a test holds the two alike.
pub const IDEMPOTENCY_KEY_PATTERN: &str = r"^[\x21-\x7E]+$";

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

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn key(bytes: &[u8]) -> Result<Option<String>, AppError> {
        let mut headers = HeaderMap::new();
        headers.insert("idempotency-key", HeaderValue::from_bytes(bytes).unwrap());
        idempotency_key(&headers)
    }

    #[test]
    fn a_key_is_1_to_255_visible_ascii_characters() {
        assert_eq!(idempotency_key(&HeaderMap::new()).unwrap(), None);
        let longest = "~".repeat(MAX_IDEMPOTENCY_KEY_CHARS);
        for good in ["!", "5f1c-9a2e", longest.as_str()] {
            assert_eq!(key(good.as_bytes()).unwrap().as_deref(), Some(good));
        }
        let too_long = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1);
        for bad in [
            &b""[..],
            b"two words",
            b"tab\there",
            "cl\u{e9}".as_bytes(),
            too_long.as_bytes(),
        ] {
            let error = key(bad).unwrap_err();
            assert_eq!(error.field(), Some("Idempotency-Key"));
        }
    }

    #[test]
    fn the_document_states_the_key_as_it_is_checked() {
        let document = serde_json::to_value(super::super::openapi()).unwrap();
        let parameters =
            &document["paths"]["/api/v1/key-results/{id}/check-ins"]["post"]["parameters"];
        let key = parameters
            .as_array()
            .unwrap()
            .iter()
            .find(|parameter| parameter["name"] == "Idempotency-Key")
            .unwrap();
        assert_eq!(key["in"], "header");
        // A header is text or absent, never null.
        assert_eq!(key["schema"]["type"], "string");
        assert_eq!(key["schema"]["pattern"], IDEMPOTENCY_KEY_PATTERN);
        assert_eq!(key["schema"]["minLength"], 1);
        assert_eq!(key["schema"]["maxLength"], MAX_IDEMPOTENCY_KEY_CHARS);
    }
}
