//! The dashboard's URL query (`/?quarter=2025-Q1&team=…&at_risk=1`): read
//! in one place, with one idea of what turns a filter on, and written into
//! links in one place, URL-encoded.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::Filters;

/// Which quarter the dashboard shows and how it is filtered, as the URL
/// holds them: a filtered view is a link, and works without JavaScript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardQuery {
    /// The quarter's label; the current or latest quarter without.
    pub quarter: Option<String>,
    /// A team's and an owner's id, as the URL has them (checked by
    /// [`DashboardQuery::filters`]).
    pub team: Option<String>,
    pub owner: Option<String>,
    pub at_risk: bool,
    pub stale: bool,
    /// A company objective's id: it and what supports it.
    pub supports: Option<String>,
}

/// What turns a filter on: the checkbox's `1`, or `true`, `on`, `yes`.
pub fn is_on(text: Option<&str>) -> bool {
    matches!(text.map(str::trim), Some("1" | "true" | "on" | "yes"))
}

/// A value that says something: blank ones count as absent.
fn present(text: Option<String>) -> Option<String> {
    text.filter(|text| !text.trim().is_empty())
}

impl DashboardQuery {
    /// The whole of a quarter: no filters.
    pub fn for_quarter(label: &str) -> DashboardQuery {
        DashboardQuery {
            quarter: Some(label.to_owned()),
            ..DashboardQuery::default()
        }
    }

    /// From the query's fields as they arrive, each looked up by name (the
    /// router's query map, a server function's arguments, a parsed URL).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> DashboardQuery {
        DashboardQuery {
            quarter: present(get("quarter")),
            team: present(get("team")),
            owner: present(get("owner")),
            at_risk: is_on(get("at_risk").as_deref()),
            stale: is_on(get("stale").as_deref()),
            supports: present(get("supports")),
        }
    }

    /// From a URL's query string (without its `?`), decoding it. Of a field
    /// given twice, the first counts.
    pub fn parse(query: &str) -> DashboardQuery {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        DashboardQuery::read(|name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    }

    /// The query string, encoded, with only the fields that are set:
    /// `quarter=2025+Q1&at_risk=1`.
    pub fn query_string(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        let fields = [
            ("quarter", self.quarter.as_deref()),
            ("team", self.team.as_deref()),
            ("owner", self.owner.as_deref()),
            ("at_risk", self.at_risk.then_some("1")),
            ("stale", self.stale.then_some("1")),
            ("supports", self.supports.as_deref()),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }

    /// The dashboard's link for this query: `/?quarter=2025-Q1`, or `/`.
    pub fn href(&self) -> String {
        match self.query_string() {
            query if query.is_empty() => "/".to_owned(),
            query => format!("/?{query}"),
        }
    }

    /// Whether any filter narrows the quarter.
    pub fn is_filtered(&self) -> bool {
        self.team.is_some()
            || self.owner.is_some()
            || self.at_risk
            || self.stale
            || self.supports.is_some()
    }

    /// The filters, with the team and owner ids checked: a malformed one is
    /// refused, naming its field.
    pub fn filters(&self) -> Result<Filters, AppError> {
        let id = |field: &str, text: &Option<String>| match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Uuid::parse_str(text)
                .map(Some)
                .map_err(|_| AppError::validation(field, "is not one of the choices")),
        };
        Ok(Filters {
            team: id("team", &self.team)?,
            owner: id("owner", &self.owner)?,
            at_risk: self.at_risk,
            stale: self.stale,
            supports: id("supports", &self.supports)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarter_alone_is_a_short_link() {
        assert_eq!(
            DashboardQuery::for_quarter("2025-Q1").href(),
            "/?quarter=2025-Q1"
        );
        assert_eq!(DashboardQuery::default().href(), "/");
    }

    #[test]
    fn labels_with_spaces_and_ampersands_are_encoded_and_read_back() {
        let query = DashboardQuery::for_quarter("FY25 Q1 & Q2");
        assert_eq!(query.href(), "/?quarter=FY25+Q1+%26+Q2");
        assert_eq!(DashboardQuery::parse(&query.query_string()), query);
        // Percent-encoded spaces read the same as `+`.
        assert_eq!(DashboardQuery::parse("quarter=FY25%20Q1%20%26%20Q2"), query);
    }

    #[test]
    fn filters_round_trip_through_the_url() {
        let query = DashboardQuery {
            quarter: Some("R&D 2025/Q1 #2".into()),
            team: Some(Uuid::nil().to_string()),
            owner: Some(Uuid::from_u128(u128::MAX).to_string()),
            at_risk: true,
            stale: true,
            supports: Some(Uuid::from_u128(7).to_string()),
        };
        let text = query.query_string();
        assert!(!text.contains(' ') && !text.contains("&D"), "{text}");
        assert_eq!(DashboardQuery::parse(&text), query);
        assert!(query.is_filtered());
        assert!(!DashboardQuery::for_quarter("2025-Q1").is_filtered());
    }

    #[test]
    fn one_idea_of_on_and_blank_fields_are_absent() {
        for on in ["1", "true", "on", "yes"] {
            assert!(
                DashboardQuery::parse(&format!("at_risk={on}")).at_risk,
                "{on}"
            );
        }
        for off in ["0", "false", "", "off"] {
            assert!(
                !DashboardQuery::parse(&format!("stale={off}")).stale,
                "{off}"
            );
        }
        let blank = DashboardQuery::parse("quarter=&team=+&owner=");
        assert_eq!(blank, DashboardQuery::default());
        assert_eq!(blank.href(), "/");
    }

    #[test]
    fn a_malformed_id_is_refused_naming_its_field() {
        let query = DashboardQuery::parse("team=not-a-team");
        let error = query.filters().expect_err("a malformed team");
        assert_eq!(error.field(), Some("team"));
        let query = DashboardQuery::parse(&format!("owner={}&at_risk=1", Uuid::nil()));
        assert_eq!(
            query.filters().expect("well formed"),
            Filters {
                team: None,
                owner: Some(Uuid::nil()),
                at_risk: true,
                stale: false,
                supports: None,
            }
        );
        let error = DashboardQuery::parse("supports=x").filters().unwrap_err();
        assert_eq!(error.field(), Some("supports"));
    }
}
