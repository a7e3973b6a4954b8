//! The body of a new check-in: its documented shape, and how it is read into
//! the form's fields so that the form's parse checks it.

use axum::body::Bytes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::key_results::Confidence;
use crate::error::AppError;
use crate::forms::CheckInForm;

/// A decimal as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DecimalInput {
    /// A decimal string, such as `"9100000.00"`.
    Text(String),
    /// A JSON number.
    Number(f64),
}

/// A confidence as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConfidenceInput {
    Label(Confidence),
    /// 0 (red), 1 (amber) or 2 (green).
    Level(u8),
}

/// A check-in to record. Fields other than these are refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckIn {
    /// The value: at most 13 digits before the point and 2 after.
    #[schema(example = "9100000.00")]
    pub value: DecimalInput,
    /// `red`, `amber` or `green` (or 0, 1, 2).
    #[schema(example = "green")]
    pub confidence: ConfidenceInput,
    /// Up to 500 characters.
    #[serde(default)]
    #[schema(example = "March bookings closed strong")]
    pub note: Option<String>,
    /// The day it counts for, inside the quarter and not in the future;
    /// today (or the quarter's last day, once it is over) when left out.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Reads a field of the check-in body as the form would have it typed.
fn text_field(
    body: &serde_json::Map<String, serde_json::Value>,
    field: &str,
    expected: &str,
) -> Result<String, AppError> {
    use serde_json::Value;
    match body.get(field) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(Value::Number(number)) if field != "note" && field != "date" => Ok(number.to_string()),
        Some(_) => Err(AppError::validation(field, format!("must be {expected}"))),
    }
}

/// The check-in a POST body asks for, as the form's fields.
pub(super) fn check_in_form(key_result_id: Uuid, body: &Bytes) -> Result<CheckInForm, AppError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        let message = if body.iter().all(u8::is_ascii_whitespace) {
            "the body is empty; send a JSON object".to_owned()
        } else if error.is_syntax() || error.is_eof() {
            format!("the body is not valid JSON ({error})")
        } else {
            format!("the body could not be read ({error})")
        };
        AppError::Malformed {
            field: String::new(),
            message,
        }
    })?;
    let serde_json::Value::Object(body) = value else {
        return Err(AppError::Malformed {
            field: String::new(),
            message: "the body must be a JSON object".into(),
        });
    };
    const FIELDS: [&str; 4] = ["value", "confidence", "note", "date"];
    if let Some(unknown) = body.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        let shown: String = unknown.chars().take(40).collect();
        return Err(AppError::validation(
            &shown,
            "is not a field of a check-in (value, confidence, note, date)",
        ));
    }
    let value = text_field(&body, "value", "a decimal string, such as \"9100000.00\"")?;
    if value.trim().is_empty() {
        return Err(AppError::validation("value", "is missing"));
    }
    Ok(CheckInForm {
        key_result_id: key_result_id.to_string(),
        value,
        confidence: text_field(
            &body,
            "confidence",
            "\"red\", \"amber\" or \"green\" (or 0, 1, 2)",
        )?,
        note: text_field(&body, "note", "a string")?,
        date: text_field(&body, "date", "a date such as \"2025-03-14\"")?,
    })
}

/// What an idempotency key is bound to: the key result and the body's JSON,
/// whatever its spacing and key order.
pub(super) fn request_hash(key_result_id: Uuid, form: &CheckInForm) -> String {
    let canonical = serde_json::json!({
        "key_result": key_result_id.to_string(),
        "value": form.value.trim(),
        "confidence": form.confidence.trim().to_ascii_lowercase(),
        "note": form.note.trim(),
        "date": form.date.trim(),
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    #[test]
    fn a_body_is_read_as_the_form_would_be_typed() {
        let id = Uuid::new_v4();
        let form = check_in_form(
            id,
            &Bytes::from_static(br#"{"value": 9100000.5, "confidence": 2, "note": null}"#),
        )
        .unwrap();
        assert_eq!(form.value, "9100000.5");
        assert_eq!(form.confidence, "2");
        assert_eq!(form.note, "");
        for (body, field) in [
            (r#"{"confidence": "green"}"#, Some("value")),
            (r#"{"value": true, "confidence": "green"}"#, Some("value")),
            (r#"{"value": "1", "confidence": [2]}"#, Some("confidence")),
            (
                r#"{"value": "1", "confidence": "green", "author_id": "x"}"#,
                Some("author_id"),
            ),
        ] {
            let error = check_in_form(id, &Bytes::from(body)).unwrap_err();
            assert_eq!(error.field(), field, "{body}");
            assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        for body in ["", "{", "[1]", "\"text\""] {
            let error = check_in_form(id, &Bytes::from(body)).unwrap_err();
            assert_eq!(error.status_code(), StatusCode::BAD_REQUEST, "{body}");
        }
    }

    #[test]
    fn the_same_request_hashes_alike_whatever_its_spelling() {
        let id = Uuid::new_v4();
        let a = check_in_form(id, &Bytes::from(r#"{"value":"5","confidence":"Green"}"#)).unwrap();
        let b = check_in_form(
            id,
            &Bytes::from(r#"{ "confidence": "green", "value": "5" }"#),
        )
        .unwrap();
        let c = check_in_form(id, &Bytes::from(r#"{"value":"6","confidence":"green"}"#)).unwrap();
        assert_eq!(request_hash(id, &a), request_hash(id, &b));
        assert_ne!(request_hash(id, &a), request_hash(id, &c));
    }
}
