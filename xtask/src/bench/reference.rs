//! The reference the dashboard is measured against: the same page written
//! by hand with plain axum and sqlx (`bench-reference`), on the same
//! database, with the same session cookie, under the same load. Machines
//! differ a lot from run to run; the ratio of the two, taken side by side,
//! says what the app's framework and its remembering cost or save.
//!
//! Before any load, both pages are fetched once and every key result row
//! of the app's page (its link and title) must be in the reference's too,
//! or the bench stops: a reference that shows less would flatter nobody
//! honestly.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use super::{Bench, Dataset, Line, LoadFigures, Rounds, kb, rounds_under_load, sign_in};
use crate::{Result, Running, Tools, free_port, run, step};

/// The goals: the app with its reads remembered at least twice as fast as
/// the hand-written page, and as fast when it reads every request; on the
/// 210 key results (`large`), twice as fast either way.
const REMEMBERED_GOAL: (f64, &str) = (2.0, "≥ 2.0×");
const READING_GOAL: (f64, &str) = (1.0, "≥ 1.0×");
const LARGE_READING_GOAL: (f64, &str) = (2.0, "≥ 2.0×");

/// The reference's rounds on a dataset.
pub struct Reference {
    pub page_bytes: usize,
    pub rounds: Rounds,
}

/// The demo on a SQLite file: the app (which reads every request there)
/// and the reference, one after the other on the same file.
pub struct OnSqlite {
    pub app_page_bytes: usize,
    pub app: Rounds,
    pub reference: Reference,
}

/// Builds `bench-reference` (release, as the server) and copies it aside.
pub fn build(tools: &Tools, scratch: &Path) -> Result<PathBuf> {
    step("building the reference: the dashboard by hand with axum + sqlx (bench-reference)");
    run(tools
        .cargo()
        .args(["build", "--release", "-p", "bench-reference"]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| tools.root.join("target"), |dir| tools.root.join(dir));
    let copy = scratch.join("bench-reference");
    std::fs::copy(target.join("release/bench-reference"), &copy)
        .map_err(|error| format!("cannot copy the reference's build: {error}"))?;
    Ok(copy)
}

impl Bench {
    /// The reference on `database_url`, healthy; its output goes to
    /// `<log>.log` in the scratch directory.
    fn start_reference(&self, database_url: &str, log: &str) -> Result<Running> {
        let port = free_port()?;
        let log_path = self.log_path(log);
        let log_file = std::fs::File::create(&log_path)
            .map_err(|error| format!("{}: {error}", log_path.display()))?;
        let stderr = log_file
            .try_clone()
            .map_err(|error| format!("{}: {error}", log_path.display()))?;
        let binary = self
            .reference
            .as_ref()
            .ok_or_else(|| "the reference was not built".to_owned())?;
        let mut command = self.tools.command(&binary.to_string_lossy());
        command
            .env("DATABASE_URL", database_url)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr);
        let mut reference = Running::spawn(&mut command, port)?;
        reference
            .wait_until_healthy(Duration::from_secs(30))
            .map_err(|error| format!("the reference: {error}; see {}", log_path.display()))?;
        Ok(reference)
    }

    /// Fetches the app's dashboard (from the server on `app_port`) and the
    /// reference's, once each, and fails unless every key result row of
    /// the app's is in the reference's. The reference's page size.
    pub(super) fn check_reference(
        &self,
        database_url: &str,
        cookie: &str,
        app_port: u16,
        log: &str,
    ) -> Result<usize> {
        let app = super::signed_in_page(app_port, cookie)?.text();
        let reference = self.start_reference(database_url, log)?;
        let page = super::signed_in_page(reference.port, cookie)
            .map_err(|error| format!("the reference: {error}"))?
            .text();
        drop(reference);
        let theirs = key_result_rows(&page);
        let ours = key_result_rows(&app);
        if ours.is_empty() {
            return Err(
                "the app's dashboard has no key result rows (a.kr-title) to compare".into(),
            );
        }
        let missing: Vec<&(&str, &str)> = ours.iter().filter(|row| !theirs.contains(row)).collect();
        if let Some((href, title)) = missing.first() {
            return Err(format!(
                "the reference's page lacks {} of the app's {} key results (the first: {title:?} at {href}); \
                 it would not be the same page, so the comparison would not be fair: fix bench-reference",
                missing.len(),
                ours.len()
            ));
        }
        println!(
            "  reference's page: the app's {} key results, all there; {} ({} bytes)",
            ours.len(),
            kb(page.len()),
            page.len()
        );
        Ok(page.len())
    }

    /// The same rounds on the reference, on the dataset's database.
    pub(super) fn reference_rounds(
        &self,
        dataset: &Dataset<'_>,
        name: &str,
        page_bytes: usize,
    ) -> Result<Reference> {
        self.measure_reference(&dataset.database.url, &dataset.cookie, name, page_bytes)
    }

    fn measure_reference(
        &self,
        database_url: &str,
        cookie: &str,
        name: &str,
        page_bytes: usize,
    ) -> Result<Reference> {
        println!("  reference (hand-written axum + sqlx), the same load:");
        let reference = self.start_reference(database_url, &format!("{name}-reference"))?;
        let rounds = rounds_under_load(&reference, cookie)?;
        drop(reference);
        let figures = Reference { page_bytes, rounds };
        print_reference(&figures);
        Ok(figures)
    }

    /// The demo on a new SQLite file: the app's rounds, then the
    /// reference's on the same file.
    pub(super) fn on_sqlite(&self) -> Result<OnSqlite> {
        step("demo: dashboard under load, SQLite, the app and the reference");
        let file = self.scratch.path.join("demo.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let server = self.start_server(&url, "sqlite-load", &[])?;
        let cookie = sign_in(server.port)?;
        let app_page_bytes = super::signed_in_page(server.port, &cookie)?.body.len();
        println!("  page: {} ({app_page_bytes} bytes)", kb(app_page_bytes));
        let reference_page_bytes =
            self.check_reference(&url, &cookie, server.port, "sqlite-reference-check")?;
        let app = rounds_under_load(&server, &cookie)?;
        drop(server);
        println!(
            "  median, the app on SQLite: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; peak RSS {}",
            app.load.requests_per_second,
            app.load.p50_ms,
            app.load.p99_ms,
            app.peak_rss()
        );
        let reference = self.measure_reference(&url, &cookie, "sqlite", reference_page_bytes)?;
        println!(
            "  the app / reference on SQLite: {:.2}×",
            ratio(&app, &reference.rounds)
        );
        Ok(OnSqlite {
            app_page_bytes,
            app,
            reference,
        })
    }
}

/// The `(href, title)` of each key result row (`<a class="kr-title"
/// href="/kr/…">title</a>`), as written (escaped).
fn key_result_rows(page: &str) -> Vec<(&str, &str)> {
    const MARK: &str = r#"class="kr-title""#;
    let mut rows = Vec::new();
    let mut rest = page;
    while let Some(at) = rest.find(MARK) {
        rest = &rest[at + MARK.len()..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let href = tag
            .split_once("href=\"")
            .and_then(|(_, value)| value.split_once('"'))
            .map_or("", |(href, _)| href);
        rest = &rest[tag_end + 1..];
        let Some(end) = rest.find("</a>") else { break };
        rows.push((href, rest[..end].trim()));
        rest = &rest[end..];
    }
    rows
}

fn ratio(app: &Rounds, reference: &Rounds) -> f64 {
    app.load.requests_per_second / reference.load.requests_per_second
}

fn print_reference(reference: &Reference) {
    let load = &reference.rounds.load;
    println!(
        "  reference (hand-written axum + sqlx): {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, page {} ({} bytes); peak RSS {}{}",
        load.requests_per_second,
        load.p50_ms,
        load.p99_ms,
        kb(reference.page_bytes),
        reference.page_bytes,
        reference.rounds.peak_rss(),
        load.failures()
    );
}

/// The ratios of a dataset's figures to the reference's, for its log.
pub(super) fn print_ratios(figures: &LoadFigures) {
    let Some(reference) = &figures.reference else {
        return;
    };
    print!(
        "  the app / reference: {:.2}× with reads remembered",
        ratio(&figures.rounds, &reference.rounds)
    );
    match &figures.unremembered {
        Some(unremembered) => println!(
            ", {:.2}× reading every request",
            ratio(unremembered, &reference.rounds)
        ),
        None => println!(),
    }
}

/// The summary's lines of the reference: its throughput, and the app's as
/// a multiple of it.
pub(super) fn lines(figures: &LoadFigures) -> Vec<Line> {
    let name = figures.name;
    let mut lines = Vec::new();
    if let Some(reference) = &figures.reference {
        let mut app = vec![("reads remembered", &figures.rounds, REMEMBERED_GOAL)];
        if let Some(unremembered) = &figures.unremembered {
            let goal = if name == "large" {
                LARGE_READING_GOAL
            } else {
                READING_GOAL
            };
            app.push(("reading every request", unremembered, goal));
        }
        lines.extend(comparison(name, "PostgreSQL", reference, &app));
    }
    if let Some(sqlite) = &figures.sqlite {
        lines.push(Line {
            figure: format!("{name} on SQLite: app throughput, page"),
            measured: format!(
                "{:.0} req/s, {}",
                sqlite.app.load.requests_per_second,
                kb(sqlite.app_page_bytes)
            ),
            goal: "",
            met: None,
        });
        lines.extend(comparison(
            name,
            "SQLite",
            &sqlite.reference,
            &[("reading every request", &sqlite.app, READING_GOAL)],
        ));
    }
    lines
}

/// The reference's line, and one line per figure of the app: its
/// throughput over the reference's, against its goal.
fn comparison(
    name: &str,
    database: &str,
    reference: &Reference,
    app: &[(&str, &Rounds, (f64, &'static str))],
) -> Vec<Line> {
    let load = &reference.rounds.load;
    let mut lines = vec![Line {
        figure: format!("{name} on {database}: reference (hand-written axum + sqlx)"),
        measured: format!(
            "{:.0} req/s, {:.1} / {:.1} ms, {}",
            load.requests_per_second,
            load.p50_ms,
            load.p99_ms,
            kb(reference.page_bytes)
        ),
        goal: "",
        met: None,
    }];
    for (what, rounds, (at_least, goal)) in app {
        let times = ratio(rounds, &reference.rounds);
        lines.push(Line {
            figure: format!("{name} on {database}: app / reference, {what}"),
            measured: format!("{times:.2}×"),
            goal,
            met: Some(times >= *at_least),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_result_rows_are_read_with_their_links() {
        let page = concat!(
            r#"<li class="key-result"><div><a class="kr-title" href="/kr/1">Grow &amp; keep</a><p>Ann</p></div>"#,
            r#"<a class="check-in-link" href="/kr/1#check-in">Record check-in</a></li>"#,
            r#"<li class="key-result"><div><a class="kr-title" href="/kr/2"> Cut costs </a></div></li>"#,
        );
        assert_eq!(
            key_result_rows(page),
            [("/kr/1", "Grow &amp; keep"), ("/kr/2", "Cut costs")]
        );
        assert!(key_result_rows("<p>No key results</p>").is_empty());
    }
}
