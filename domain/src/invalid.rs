//! The domain's one error: a value that breaks a rule, naming the field it
//! came from. Every way in shows it as it is (a form's field message, the
//! API's 422 with `field`, an import problem at its line and column).

use crate::enums::InvalidValue;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &str, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The field the error is about (always known here; an `Option` so it
    /// reads like the app error's `field()`).
    pub fn field(&self) -> Option<&str> {
        Some(&self.field)
    }

    /// The same message about another field: a value parsed for one field
    /// and reported as another (`start_value`, `current`…).
    pub fn for_field(self, field: &str) -> Invalid {
        Invalid::new(field, self.message)
    }
}

impl From<InvalidValue> for Invalid {
    fn from(invalid: InvalidValue) -> Invalid {
        Invalid::new(
            invalid.field,
            format!(
                "{} is not valid; expected one of {}",
                crate::text::echo(&invalid.value),
                invalid.expected
            ),
        )
    }
}
