//! Reading a CSV file as spreadsheets save it: a UTF-8 byte order mark,
//! CRLF line ends, `;` or `,` (or tab) between fields, quoted fields with
//! separators and line breaks inside; header names in any case and order.

use std::collections::BTreeMap;

use crate::model::{ImportKind, ImportProblem};

/// The largest file accepted, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most data rows a file may have.
pub const MAX_ROWS: usize = 50_000;
/// The most fields a row may have: a file of `a,a,a,…` is refused before
/// it becomes millions of strings.
pub const MAX_FIELDS: usize = 64;
/// The longest line, in bytes: far more than the longest real row (titles
/// of 500 characters, a note of 500).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The columns of each kind of file, in the order exports write them; the
/// optional ones may be left out.
pub fn columns(kind: ImportKind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        ImportKind::Okrs => (
            &[
                "quarter",
                "team",
                "objective",
                "objective_owner_email",
                "key_result",
                "owner_email",
                "unit",
                "start",
                "target",
            ],
            // What the row's objective supports (`plan` reads them): blank
            // leaves its alignment as it is.
            &[
                "current",
                "parent_team",
                "parent_objective",
                "parent_key_result",
            ],
        ),
        ImportKind::CheckIns => (
            &[
                "quarter",
                "team",
                "objective",
                "key_result",
                "date",
                "value",
                "confidence",
                "author_email",
            ],
            &["note"],
        ),
    }
}

/// A file's rows, each with its line number (the line it starts on), and
/// where each column is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column name → its index in each row.
    pub mapping: BTreeMap<String, usize>,
    pub delimiter: char,
    pub rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    /// The column each position of the file holds, in file order: the
    /// mapping `import_record` keeps.
    pub fn columns_in_file_order(&self) -> Vec<String> {
        let mut columns: Vec<(&usize, &String)> = self
            .mapping
            .iter()
            .map(|(name, index)| (index, name))
            .collect();
        columns.sort();
        columns.into_iter().map(|(_, name)| name.clone()).collect()
    }

    /// The value of `column` in `row`, trimmed; empty when the column is
    /// absent or the row is short.
    pub fn get<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        self.mapping
            .get(column)
            .and_then(|index| row.get(*index))
            .map_or("", |value| text_cell(value.trim()))
    }
}

/// What a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `text`, its leading `'`s aside, starts as a formula would.
fn starts_like_a_formula(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// A text cell as an export writes it: with one more leading `'` when it
/// would start a formula (OWASP's advice against CSV injection), so a
/// spreadsheet shows `=HYPERLINK(…)` as text and runs nothing.
/// [`text_cell`] reads it back, so export → import gives back the text.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if starts_like_a_formula(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// A cell as an import reads it: the `'` an export put before what would
/// start a formula is taken off again.
pub fn text_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_a_formula(rest) => rest,
        _ => cell,
    }
}

fn problem(line: u64, column: &str, message: impl Into<String>) -> ImportProblem {
    ImportProblem {
        line,
        column: column.to_owned(),
        message: message.into(),
    }
}

/// The separator of the header line: the one of `;`, `,` and tab that
/// occurs most outside quotes (`,` when none does).
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in header.bytes() {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(entry) = counts.iter_mut().find(|(d, _)| *d == byte) {
            entry.1 += 1;
        }
    }
    counts
        .iter()
        .max_by_key(|(delimiter, count)| (*count, *delimiter == b','))
        .map_or(b',', |(delimiter, _)| *delimiter)
}

/// A header as written (`Key Result`, `KEY_RESULT `) as its column name.
fn column_name(header: &str) -> String {
    header.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Where the lines of a file break: after each `\n`, and after each `\r`
/// not followed by one (old Mac files).
struct Lines<'a> {
    bytes: &'a [u8],
    breaks: Vec<usize>,
}

fn too_many_fields(line: u64, fields: usize) -> ImportProblem {
    problem(
        line,
        "",
        format!("this row has {fields} fields; a row has at most {MAX_FIELDS}"),
    )
}

impl<'a> Lines<'a> {
    /// The first line (1-based) longer than `limit` bytes, if any.
    fn first_longer_than(&self, limit: usize) -> Option<u64> {
        let mut start = 0;
        for (index, end) in self
            .breaks
            .iter()
            .copied()
            .chain(std::iter::once(self.bytes.len()))
            .enumerate()
        {
            if end.saturating_sub(start) > limit {
                return Some(index as u64 + 1);
            }
            start = end + 1;
        }
        None
    }

    fn of(bytes: &'a [u8]) -> Lines<'a> {
        let breaks = bytes
            .iter()
            .enumerate()
            .filter(|(at, byte)| {
                **byte == b'\n' || (**byte == b'\r' && bytes.get(at + 1) != Some(&b'\n'))
            })
            .map(|(at, _)| at)
            .collect();
        Lines { bytes, breaks }
    }

    /// The line (the header's is 1) of the record the reader reports at
    /// `position`. Its line count cannot be trusted: it lags behind on CRLF
    /// and after blank lines, so the line is counted from the record's byte
    /// offset instead, past the line ends the reader leaves before it.
    fn of_position(&self, position: Option<&csv::Position>) -> u64 {
        let Some(position) = position else {
            return 0;
        };
        let mut at = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        self.breaks.partition_point(|line_break| *line_break < at) as u64 + 1
    }
}

/// Reads `bytes` as a file of `kind`. Problems with the file as a whole (not
/// UTF-8, a missing or unknown column, too many rows, a broken quote) come
/// back as errors; the rows' values are checked later.
pub fn read(bytes: &[u8], kind: ImportKind) -> Result<Table, Vec<ImportProblem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let line = Lines::of(&bytes[..error.valid_up_to()]).breaks.len() as u64 + 1;
            return Err(vec![problem(
                line,
                "",
                "the file is not UTF-8 text; in your spreadsheet, save it as \"CSV UTF-8\"",
            )]);
        }
    };
    if text.trim().is_empty() {
        return Err(vec![problem(1, "", "the file is empty")]);
    }
    let lines = Lines::of(text.as_bytes());
    if let Some(line) = lines.first_longer_than(MAX_LINE_BYTES) {
        return Err(vec![problem(
            line,
            "",
            format!(
                "this line is longer than {} KiB; a row is never that long",
                MAX_LINE_BYTES / 1024
            ),
        )]);
    }
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| {
            vec![problem(
                1,
                "",
                format!("the header row cannot be read: {error}"),
            )]
        })?
        .clone();
    if headers.len() > MAX_FIELDS {
        return Err(vec![too_many_fields(1, headers.len())]);
    }
    let (required, optional) = columns(kind);
    let mut mapping = BTreeMap::new();
    let mut problems = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let name = column_name(header);
        if name.is_empty() {
            continue;
        }
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            problems.push(problem(
                1,
                header.trim(),
                format!(
                    "is not a column of a {} file (expected {})",
                    kind.label(),
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        } else if mapping.insert(name.clone(), index).is_some() {
            problems.push(problem(1, header.trim(), "appears twice"));
        }
    }
    for column in required {
        if !mapping.contains_key(*column) {
            problems.push(problem(1, column, "is missing from the header row"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = lines.of_position(error.position());
                return Err(vec![problem(
                    line,
                    "",
                    format!("this row cannot be read ({error})"),
                )]);
            }
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let line = lines.of_position(record.position());
        if record.len() > MAX_FIELDS {
            return Err(vec![too_many_fields(line, record.len())]);
        }
        if rows.len() == MAX_ROWS {
            return Err(vec![problem(
                line,
                "",
                format!("the file has more than {MAX_ROWS} rows; split it into several files"),
            )]);
        }
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    if rows.is_empty() {
        return Err(vec![problem(
            2,
            "",
            "the file has a header row but no data",
        )]);
    }
    Ok(Table {
        mapping,
        delimiter: char::from(delimiter),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target";

    #[test]
    fn a_spreadsheet_saved_with_bom_semicolons_crlf_and_quotes_reads() {
        let file = "\u{FEFF}Quarter;TEAM;Objective;Objective Owner Email;Key Result;owner_email;unit;start;target;current\r\n\
            2025-Q1;Direct Channel Sales;\"Grow; direct\";sarah@x.com;\"Line one\r\nline two\";mike@x.com;%;2,8;3,5;\r\n\
            2025-Q1;Direct Channel Sales;Other;sarah@x.com;K;mike@x.com;%;1;2;\r\n";
        let table = read(file.as_bytes(), ImportKind::Okrs).unwrap();
        assert_eq!(table.delimiter, ';');
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[1].0, 4, "the line after a two-line record");
        let (line, row) = &table.rows[0];
        assert_eq!(*line, 2);
        assert_eq!(table.get(row, "objective"), "Grow; direct");
        assert_eq!(table.get(row, "key_result"), "Line one\r\nline two");
        assert_eq!(table.get(row, "start"), "2,8");
        assert_eq!(table.get(row, "current"), "");
    }

    #[test]
    fn columns_may_come_in_any_order_and_current_is_optional() {
        let file = "target,start,unit,owner_email,key_result,objective_owner_email,objective,team,quarter\n\
            15,8,$,a@x.com,KR,b@x.com,O,T,2025-Q1\n";
        let table = read(file.as_bytes(), ImportKind::Okrs).unwrap();
        assert_eq!(table.delimiter, ',');
        let row = &table.rows[0].1;
        assert_eq!(table.get(row, "quarter"), "2025-Q1");
        assert_eq!(table.get(row, "target"), "15");
        assert_eq!(table.columns_in_file_order()[..2], ["target", "start"]);
    }

    #[test]
    fn a_file_that_is_not_utf8_is_named_as_such() {
        let mut file = format!("{HEADER}\n2025-Q1,T,O,a@x.com,Caf").into_bytes();
        file.push(0xE9); // "é" in Latin-1
        file.extend_from_slice(b",b@x.com,$,1,2\n");
        let problems = read(&file, ImportKind::Okrs).unwrap_err();
        assert_eq!(problems[0].line, 2);
        assert!(problems[0].message.contains("not UTF-8"), "{problems:?}");
    }

    #[test]
    fn missing_unknown_and_repeated_columns_are_each_named() {
        let problems = read(
            b"quarter,team,objective,key_result,owner_email,unit,start,target,colour,team\n1,2\n",
            ImportKind::Okrs,
        )
        .unwrap_err();
        let named: Vec<&str> = problems
            .iter()
            .map(|problem| problem.column.as_str())
            .collect();
        assert!(named.contains(&"colour"), "{problems:?}");
        assert!(named.contains(&"team"), "{problems:?}");
        assert!(named.contains(&"objective_owner_email"), "{problems:?}");
        assert!(problems.iter().all(|problem| problem.line == 1));
    }

    #[test]
    fn empty_files_broken_quotes_and_too_many_rows_are_refused() {
        assert!(read(b"", ImportKind::Okrs).is_err());
        assert!(read(format!("{HEADER}\n").as_bytes(), ImportKind::Okrs).is_err());
        let mut big = format!("{HEADER}\n");
        for _ in 0..=MAX_ROWS {
            big.push_str("2025-Q1,T,O,a@x.com,K,b@x.com,$,1,2\n");
        }
        let problems = read(big.as_bytes(), ImportKind::Okrs).unwrap_err();
        assert!(
            problems[0].message.contains("more than 50000 rows"),
            "{problems:?}"
        );
    }

    #[test]
    fn lines_are_those_of_the_file_whatever_its_line_ends() {
        let row = "2025-Q1,T,O,a@x.com,K,b@x.com,$,1,2";
        for (file, expected) in [
            (format!("{HEADER}\n{row}\n{row}\n{row}\n"), vec![2, 3, 4]),
            (
                format!("{HEADER}\r\n{row}\r\n{row}\r\n{row}"),
                vec![2, 3, 4],
            ),
            (format!("{HEADER}\r{row}\r{row}\r"), vec![2, 3]),
            (
                format!("{HEADER}\n\n{row}\n{row}\n\r\n{row}\n"),
                vec![3, 4, 6],
            ),
            (
                format!("{HEADER}\r\n2025-Q1,T,\"O\r\ntwo\",a@x.com,K,b@x.com,$,1,2\r\n{row}\r\n"),
                vec![2, 4],
            ),
            (
                format!("{HEADER}\n2025-Q1,T,\"O\n\ntwo\",a@x.com,K,b@x.com,$,1,2\n{row}\n"),
                vec![2, 5],
            ),
        ] {
            let table = read(file.as_bytes(), ImportKind::Okrs).unwrap();
            let lines: Vec<u64> = table.rows.iter().map(|(line, _)| *line).collect();
            assert_eq!(lines, expected, "{file:?}");
        }
    }

    #[test]
    fn blank_rows_are_skipped_and_lines_count_from_the_header() {
        let file = format!("{HEADER}\n\n2025-Q1,T,O,a@x.com,K,b@x.com,$,1,2\n,,,,,,,,\n");
        let table = read(file.as_bytes(), ImportKind::Okrs).unwrap();
        assert_eq!(table.rows.len(), 1);
        assert_eq!(table.rows[0].0, 3);
    }

    #[test]
    fn cells_that_would_start_a_formula_are_exported_as_text_and_read_back() {
        for (text, written) in [
            (
                "=HYPERLINK(\"https://evil.example/\",\"x\")",
                "'=HYPERLINK(\"https://evil.example/\",\"x\")",
            ),
            ("+1 partner", "'+1 partner"),
            ("-5 churn", "'-5 churn"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("'=already quoted", "''=already quoted"),
            ("plain", "plain"),
            ("'quoted, no formula", "'quoted, no formula"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(text), written, "{text:?}");
            assert_eq!(text_cell(&spreadsheet_safe(text)), text, "{text:?}");
        }
    }

    #[test]
    fn rows_of_too_many_fields_and_lines_too_long_are_refused_by_line() {
        let wide = format!("{HEADER}\n{}\n", vec!["a"; MAX_FIELDS + 1].join(","));
        let problems = read(wide.as_bytes(), ImportKind::Okrs).unwrap_err();
        assert_eq!(problems[0].line, 2, "{problems:?}");
        assert!(problems[0].message.contains("at most 64"), "{problems:?}");
        let wide_header = vec!["a"; MAX_FIELDS + 1].join(",");
        let problems = read(wide_header.as_bytes(), ImportKind::Okrs).unwrap_err();
        assert_eq!(problems[0].line, 1, "{problems:?}");
        let long = format!(
            "{HEADER}\n2025-Q1,Sales,Grow,a@b.co,{},a@b.co,#,0,5\n",
            "x".repeat(MAX_LINE_BYTES)
        );
        let problems = read(long.as_bytes(), ImportKind::Okrs).unwrap_err();
        assert_eq!(problems[0].line, 2, "{problems:?}");
        assert!(problems[0].message.contains("64 KiB"), "{problems:?}");
    }
}
