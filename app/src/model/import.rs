//! CSV imports: what a file holds, its problems, what it would do, where
//! its commit stands, and the history of imports.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a CSV file holds: objectives and key results, or check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    Okrs,
    CheckIns,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Okrs => "okrs",
            ImportKind::CheckIns => "check_ins",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Okrs => "objectives and key results",
            ImportKind::CheckIns => "check-in history",
        }
    }

    pub fn parse(text: &str) -> Option<ImportKind> {
        match text.trim() {
            "okrs" => Some(ImportKind::Okrs),
            "check_ins" => Some(ImportKind::CheckIns),
            _ => None,
        }
    }
}

/// "1 problem", "3 problems".
pub fn problems_in_words(count: u64) -> String {
    if count == 1 {
        "1 problem".to_owned()
    } else {
        format!("{count} problems")
    }
}

/// A problem with an uploaded file: line N, column X: message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblem {
    pub line: u64,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        }
    }
}

/// How many records an import creates, updates and leaves as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

/// What importing a file would do, or did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub rows: u64,
    /// Objectives (for check-in files: nothing).
    pub objectives: ImportCounts,
    /// Key results, or check-ins for a check-in file.
    pub records: ImportCounts,
    /// Quarters the import creates (calendar labels such as 2025-Q3).
    pub quarters_created: Vec<String>,
}

/// Where a commit stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportState {
    /// Not committed yet.
    Preview,
    /// Committing: rows written so far, of all.
    Running {
        done: u64,
        total: u64,
    },
    Committed {
        record_id: Uuid,
    },
    Failed {
        message: String,
    },
}

/// The preview page of an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub id: Uuid,
    pub filename: String,
    pub kind: ImportKind,
    pub summary: ImportSummary,
    /// The first problems, in file order; `problem_count` says how many in all.
    pub problems: Vec<ImportProblem>,
    pub problem_count: u64,
    /// The file is byte for byte one imported before: when and by whom.
    pub identical_to: Option<String>,
    pub state: ImportState,
}

/// An import as the history lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportHistoryRow {
    pub id: Uuid,
    pub filename: String,
    pub kind: String,
    pub rows: i32,
    pub by: String,
    pub at: NaiveDateTime,
    pub summary: String,
}

#[cfg(test)]
mod wording_tests {
    use super::problems_in_words;

    #[test]
    fn one_problem_is_singular() {
        assert_eq!(problems_in_words(1), "1 problem");
        assert_eq!(problems_in_words(0), "0 problems");
        assert_eq!(problems_in_words(25), "25 problems");
    }
}
