//! The body of a new check-in: its documented shape, and how it is read into
//! the form's fields so that the form's parse checks it.

use axum::body::Bytes;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type};
use uuid::Uuid;

use super::key_results::Confidence;
use crate::error::AppError;
use domain::commands::{CheckInForm, NOTE_MAX_CHARS};

/// A value string the API is sure to take: an optional minus, up to 13
/// digits, and up to 2 decimals. (The form's parse reads more, such as
/// thousands separators, but a script has no need of them.)
pub const VALUE_PATTERN: &str = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$";
/// A value is below this in size (numeric(15,2)).
const VALUE_BOUND: i64 = 10_000_000_000_000;
/// What a note may hold: no control characters but tab, newline and carriage
/// return (`char::is_control` is Unicode's Cc: U+0000–U+001F, U+007F–U+009F).
pub const NOTE_PATTERN: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$";
/// The names a confidence may be given by, exactly.
const CONFIDENCE_LABELS: [&str; 3] = ["red", "amber", "green"];

/// A decimal as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DecimalInput {
    /// A decimal string, such as `"9100000.00"`.
    Text(String),
    /// A JSON number.
    Number(f64),
}

impl utoipa::PartialSchema for DecimalInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some("A decimal string, or a JSON number with at most 2 decimals."))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(VALUE_PATTERN))
                    .description(Some(
                        "A decimal string: an optional minus, up to 13 digits, and up to 2 decimals.",
                    ))
                    .examples(["9100000.00"]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .exclusive_minimum(Some(-VALUE_BOUND as isize))
                    .exclusive_maximum(Some(VALUE_BOUND as isize))
                    .multiple_of(Some(0.01))
                    .description(Some(
                        "A JSON number: read as its shortest decimal form, which must have at most 2 decimals.",
                    ))
                    .examples([9_100_000.5]),
            )
            .into()
    }
}

impl ToSchema for DecimalInput {}

/// A confidence as a request may give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ConfidenceInput {
    Label(Confidence),
    /// 0 (red), 1 (amber) or 2 (green).
    Level(u8),
}

impl utoipa::PartialSchema for ConfidenceInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "`red`, `amber` or `green`, exactly; or the level 0 (red), 1 (amber) or 2 (green).",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(CONFIDENCE_LABELS))
                    .description(Some("By name")),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
                    .maximum(Some(2))
                    .description(Some("By level: 0 (red), 1 (amber) or 2 (green)")),
            )
            .into()
    }
}

impl ToSchema for ConfidenceInput {}

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
    /// Up to 500 characters; tabs and line breaks but no other control
    /// characters.
    #[serde(default)]
    #[schema(schema_with = note_schema)]
    pub note: Option<String>,
    /// The day it counts for, inside the quarter and not in the future;
    /// today (or the quarter's last day, once it is over) when left out.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

fn note_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(NOTE_MAX_CHARS))
        .pattern(Some(NOTE_PATTERN))
        .description(Some(
            "Up to 500 characters; tabs and line breaks but no other control characters.",
        ))
        .examples(["March bookings closed strong"])
        .build()
}

/// The body's `confidence` as the form would have it typed: a name exactly
/// as documented, or a level 0 to 2 (`2.0` is the JSON Schema integer 2).
fn confidence_field(body: &serde_json::Map<String, serde_json::Value>) -> Result<String, AppError> {
    use serde_json::Value;
    let level = |number: &serde_json::Number| {
        number
            .as_f64()
            .filter(|level| level.fract() == 0.0 && (0.0..=2.0).contains(level))
            .map(|level| (level as u8).to_string())
    };
    match body.get("confidence") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(label)) if CONFIDENCE_LABELS.contains(&label.as_str()) => {
            Ok(label.clone())
        }
        Some(Value::Number(number)) if level(number).is_some() => {
            Ok(level(number).unwrap_or_default())
        }
        Some(_) => Err(AppError::validation(
            "confidence",
            "must be \"red\", \"amber\" or \"green\", or the level 0, 1 or 2",
        )),
    }
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
        confidence: confidence_field(&body)?,
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
        let a = check_in_form(id, &Bytes::from(r#"{"value":"5","confidence":"green"}"#)).unwrap();
        let b = check_in_form(
            id,
            &Bytes::from(r#"{ "confidence": "green", "value": "5" }"#),
        )
        .unwrap();
        let c = check_in_form(id, &Bytes::from(r#"{"value":"6","confidence":"green"}"#)).unwrap();
        assert_eq!(request_hash(id, &a), request_hash(id, &b));
        assert_ne!(request_hash(id, &a), request_hash(id, &c));
    }

    #[test]
    fn a_confidence_is_a_documented_name_or_a_level_from_0_to_2() {
        let id = Uuid::new_v4();
        let read = |confidence: &str| {
            check_in_form(
                id,
                &Bytes::from(format!(r#"{{"value": "1", "confidence": {confidence}}}"#)),
            )
        };
        for (confidence, typed) in [
            (r#""red""#, "red"),
            (r#""amber""#, "amber"),
            (r#""green""#, "green"),
            ("0", "0"),
            ("1", "1"),
            ("2", "2"),
            ("2.0", "2"),
            ("-0.0", "0"),
        ] {
            assert_eq!(read(confidence).unwrap().confidence, typed, "{confidence}");
        }
        for confidence in [
            r#""Green""#,
            r#"" red""#,
            r#""2""#,
            r#""""#,
            "3",
            "822",
            "-1",
            "1.5",
            "true",
            "[2]",
        ] {
            let error = read(confidence).unwrap_err();
            assert_eq!(error.field(), Some("confidence"), "{confidence}");
            assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    #[test]
    fn the_documented_input_schemas_say_what_is_read() {
        let schema = |schema: RefOr<Schema>| serde_json::to_value(schema).unwrap();
        let confidence = schema(<ConfidenceInput as utoipa::PartialSchema>::schema());
        let level = &confidence["oneOf"][1];
        assert_eq!(level["type"], "integer");
        assert_eq!(
            (level["minimum"].as_f64(), level["maximum"].as_f64()),
            (Some(0.0), Some(2.0))
        );
        assert_eq!(
            confidence["oneOf"][0]["enum"],
            serde_json::json!(CONFIDENCE_LABELS)
        );
        let value = schema(<DecimalInput as utoipa::PartialSchema>::schema());
        assert_eq!(value["oneOf"][0]["pattern"], VALUE_PATTERN);
        assert_eq!(value["oneOf"][1]["exclusiveMaximum"].as_f64(), Some(1e13));
        let note = serde_json::to_value(note_schema()).unwrap();
        assert_eq!(note["maxLength"], NOTE_MAX_CHARS);
        assert_eq!(note["pattern"], NOTE_PATTERN);
    }
}
