//! The three value sets of the OKR model, typed in Rust.
//!
//! They are stored as the spec says (strings for unit and direction, an integer
//! for confidence), and parsing any other value fails with an error that names
//! the field, so a bad value never reaches the database.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[cfg(feature = "orm")]
use sea_orm::sea_query::StringLen;

/// A value that is not one of a field's allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {value:?} is not valid; expected one of {expected}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// How a key result is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "orm",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(5))")
)]
pub enum Unit {
    /// A percentage, such as a conversion rate.
    #[serde(rename = "%")]
    #[cfg_attr(feature = "orm", sea_orm(string_value = "%"))]
    Percent,
    /// Percentage points, for a change in a rate.
    #[serde(rename = "pp")]
    #[cfg_attr(feature = "orm", sea_orm(string_value = "pp"))]
    PercentagePoints,
    /// US dollars.
    #[serde(rename = "$")]
    #[cfg_attr(feature = "orm", sea_orm(string_value = "$"))]
    Dollars,
    /// A count.
    #[serde(rename = "#")]
    #[cfg_attr(feature = "orm", sea_orm(string_value = "#"))]
    Count,
}

impl Unit {
    pub const ALL: [Unit; 4] = [
        Unit::Percent,
        Unit::PercentagePoints,
        Unit::Dollars,
        Unit::Count,
    ];

    /// The stored form: `%`, `pp`, `$` or `#`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::PercentagePoints => "pp",
            Unit::Dollars => "$",
            Unit::Count => "#",
        }
    }
}

/// Which way a key result should move from its start value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "orm",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(5))")
)]
pub enum Direction {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "up"))]
    Up,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "down"))]
    Down,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Up, Direction::Down];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// What a person may change. Admins run the whole tracker; leads plan their
/// own team's objectives and key results; members record check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "orm",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")
)]
pub enum Role {
    #[cfg_attr(feature = "orm", sea_orm(string_value = "admin"))]
    Admin,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "lead"))]
    Lead,
    #[cfg_attr(feature = "orm", sea_orm(string_value = "member"))]
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Lead, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Lead => "lead",
            Role::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = InvalidValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| InvalidValue {
                field: "role",
                value: value.to_owned(),
                expected: "admin, lead, member",
            })
    }
}

/// How sure the owner is of reaching the target: 0 Red, 1 Amber, 2 Green.
/// Ordered, so the worst of several is their minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
#[cfg_attr(feature = "orm", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(feature = "orm", sea_orm(rs_type = "i32", db_type = "Integer"))]
pub enum ConfidenceLevel {
    #[cfg_attr(feature = "orm", sea_orm(num_value = 0))]
    Red = 0,
    #[cfg_attr(feature = "orm", sea_orm(num_value = 1))]
    Amber = 1,
    #[cfg_attr(feature = "orm", sea_orm(num_value = 2))]
    Green = 2,
}

impl ConfidenceLevel {
    pub const ALL: [ConfidenceLevel; 3] = [
        ConfidenceLevel::Red,
        ConfidenceLevel::Amber,
        ConfidenceLevel::Green,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConfidenceLevel::Red => "Red",
            ConfidenceLevel::Amber => "Amber",
            ConfidenceLevel::Green => "Green",
        }
    }

    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

impl FromStr for Unit {
    type Err = InvalidValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Unit::ALL
            .into_iter()
            .find(|unit| unit.as_str() == value.trim())
            .ok_or_else(|| InvalidValue {
                field: "unit",
                value: value.to_owned(),
                expected: "%, pp, $, #",
            })
    }
}

impl FromStr for Direction {
    type Err = InvalidValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Direction::ALL
            .into_iter()
            .find(|direction| direction.as_str() == value.trim())
            .ok_or_else(|| InvalidValue {
                field: "direction",
                value: value.to_owned(),
                expected: "up, down",
            })
    }
}

impl TryFrom<i32> for ConfidenceLevel {
    type Error = InvalidValue;

    fn try_from(value: i32) -> Result<Self, Self::Error> {
        match value {
            0 => Ok(ConfidenceLevel::Red),
            1 => Ok(ConfidenceLevel::Amber),
            2 => Ok(ConfidenceLevel::Green),
            other => Err(InvalidValue {
                field: "confidence",
                value: other.to_string(),
                expected: "0 (Red), 1 (Amber), 2 (Green)",
            }),
        }
    }
}

impl FromStr for ConfidenceLevel {
    type Err = InvalidValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let trimmed = value.trim();
        if let Some(level) = ConfidenceLevel::ALL
            .into_iter()
            .find(|level| level.label().eq_ignore_ascii_case(trimmed))
        {
            return Ok(level);
        }
        trimmed
            .parse::<i32>()
            .map_err(|_| InvalidValue {
                field: "confidence",
                value: value.to_owned(),
                expected: "0 (Red), 1 (Amber), 2 (Green)",
            })
            .and_then(ConfidenceLevel::try_from)
    }
}

impl From<ConfidenceLevel> for i32 {
    fn from(level: ConfidenceLevel) -> i32 {
        level.as_i32()
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ConfidenceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip_through_their_stored_form() {
        for unit in Unit::ALL {
            assert_eq!(unit.as_str().parse::<Unit>(), Ok(unit));
        }
    }

    #[test]
    fn an_unknown_unit_is_refused_naming_the_field() {
        let error = "kg".parse::<Unit>().unwrap_err();
        assert_eq!(error.field, "unit");
        assert!(error.to_string().starts_with("unit: \"kg\" is not valid"));
    }

    #[test]
    fn an_unknown_direction_is_refused_naming_the_field() {
        let error = "sideways".parse::<Direction>().unwrap_err();
        assert_eq!(error.field, "direction");
        assert!(error.to_string().contains("up, down"));
    }

    #[test]
    fn confidence_accepts_numbers_and_labels_only_in_range() {
        assert_eq!("2".parse(), Ok(ConfidenceLevel::Green));
        assert_eq!("amber".parse(), Ok(ConfidenceLevel::Amber));
        assert_eq!(ConfidenceLevel::try_from(0), Ok(ConfidenceLevel::Red));
        assert_eq!(
            ConfidenceLevel::try_from(3).unwrap_err().field,
            "confidence"
        );
        assert_eq!(
            "-1".parse::<ConfidenceLevel>().unwrap_err().field,
            "confidence"
        );
    }

    #[test]
    fn the_worst_confidence_is_the_minimum() {
        let worst = [
            ConfidenceLevel::Green,
            ConfidenceLevel::Red,
            ConfidenceLevel::Amber,
        ]
        .into_iter()
        .min();
        assert_eq!(worst, Some(ConfidenceLevel::Red));
    }

    #[test]
    fn enums_serialize_as_the_spec_stores_them() {
        assert_eq!(serde_json::to_string(&Unit::Dollars).unwrap(), "\"$\"");
        assert_eq!(serde_json::to_string(&Direction::Down).unwrap(), "\"down\"");
        assert_eq!(serde_json::to_string(&ConfidenceLevel::Amber).unwrap(), "1");
        assert!(serde_json::from_str::<ConfidenceLevel>("7").is_err());
        assert!(serde_json::from_str::<Unit>("\"kg\"").is_err());
    }
}
