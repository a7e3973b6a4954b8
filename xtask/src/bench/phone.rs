//! The `phone` part of `cargo xtask bench`: the demo admin's dashboard
//! loaded cold in Chromium on a slow phone, by `end2end/bench/phone.mjs`
//! (CPU 4× slower, 1.6 Mbps down, 750 Kbps up, 150 ms round trip; median of
//! [`RUNS`] loads, each in a new browser context): First and Largest
//! Contentful Paint, the time until the check-in dialog's island has
//! hydrated, the bytes the load transferred, and the release bundle's size
//! gzipped.
//!
//! It needs the release site as well as the server: the bench builds both
//! without cargo-leptos (the site by `build_site`, wasm-opt included). With
//! `RUNWAY_BENCH_SERVER`, give the site built with it as `RUNWAY_BENCH_SITE`
//! (a copy of its `target/site-release`; or of a `cargo leptos build
//! --release`'s `target/site` for a server cargo-leptos built).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use super::{Bench, Line, kb};
use crate::{
    Result, SiteBuild, build_site, bundle_files, copy_tree, ensure_chromium, ensure_npm_packages,
    release_build_tools, step,
};

/// Cold loads measured; their median is the figure.
const RUNS: usize = 5;
const LCP_GOAL_MS: f64 = 500.0;
const HYDRATED_GOAL_MS: f64 = 1200.0;
const BUNDLE_GOAL_KB: f64 = 100.0;

/// The release server and site, copied aside so another build cannot swap
/// them mid-run.
pub struct Build {
    pub server: PathBuf,
    pub site: PathBuf,
}

/// The release server and site: `RUNWAY_BENCH_SERVER` with
/// `RUNWAY_BENCH_SITE` when given, else this checkout's (wasm-opt
/// included). `None` when only the server is given:
/// the phone part is then skipped, unless it was asked for by name.
pub fn build(scratch: &Path, named: bool) -> Result<Option<Build>> {
    let given = |name| std::env::var_os(name).filter(|value| !value.is_empty());
    if given("RUNWAY_BENCH_SERVER").is_some() {
        let Some(site) = given("RUNWAY_BENCH_SITE") else {
            let message = "RUNWAY_BENCH_SERVER needs RUNWAY_BENCH_SITE for the phone part: \
                           the release site built with it";
            if named {
                return Err(message.into());
            }
            println!("\nphone: skipped; {message}");
            return Ok(None);
        };
        let tools = crate::Tools::plain();
        let server = super::build_release_server(&tools, scratch)?;
        let copied = scratch.join("site");
        copy_tree(Path::new(&site), &copied)?;
        return Ok(Some(Build {
            server,
            site: copied,
        }));
    }
    let tools = release_build_tools()?;
    let built = build_site(&tools, SiteBuild::Release)?;
    let server = super::build_release_server(&tools, scratch)?;
    let site = scratch.join("site");
    copy_tree(&built, &site)?;
    Ok(Some(Build { server, site }))
}

/// The medians of the cold loads, and the bundle.
pub struct PhoneFigures {
    fcp_ms: Option<f64>,
    lcp_ms: Option<f64>,
    hydrated_ms: Option<f64>,
    transferred_bytes: Option<f64>,
    /// The release bundle (wasm + js + islands loader), gzipped.
    bundle_gzip_bytes: u64,
}

impl Bench {
    /// Starts the server on a new SQLite database with the demo data,
    /// serving `site`, and has `end2end/bench/phone.mjs` load its
    /// dashboard; prints its lines as they come and the medians beside
    /// their goals.
    pub fn phone(&self, site: &Path) -> Result<PhoneFigures> {
        step(&format!(
            "phone: the dashboard loaded cold in Chromium, CPU 4× slower, 1.6 Mbps, 150 ms round trip (median of {RUNS})"
        ));
        ensure_chromium()?;
        ensure_npm_packages(&self.tools)?;
        let bundle = bundle_files(site)?;
        let database = self.scratch.path.join("phone.db");
        let server = self.start_server(
            &format!("sqlite://{}?mode=rwc", database.display()),
            "phone",
            &[("LEPTOS_SITE_ROOT", &site.to_string_lossy())],
        )?;

        let mut child = self
            .tools
            .command("node")
            .arg("bench/phone.mjs")
            .current_dir(self.tools.root.join("end2end"))
            .env("BASE_URL", format!("http://127.0.0.1:{}", server.port))
            .env("PHONE_RUNS", RUNS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| format!("cannot run node end2end/bench/phone.mjs: {error}"))?;
        let mut figures = None;
        if let Some(stdout) = child.stdout.take() {
            for line in BufReader::new(stdout).lines() {
                let line = line.map_err(|error| format!("phone.mjs: {error}"))?;
                if line.starts_with("{\"runs\"") {
                    figures = Some(line);
                } else {
                    println!("  {line}");
                }
            }
        }
        let status = child
            .wait()
            .map_err(|error| format!("phone.mjs: {error}"))?;
        drop(server);
        if !status.success() {
            return Err(format!("end2end/bench/phone.mjs failed ({status})"));
        }
        let json = figures.ok_or("end2end/bench/phone.mjs printed no figures")?;
        let median = |key| median_of(&json, key);
        let figures = PhoneFigures {
            fcp_ms: median("fcp_ms"),
            lcp_ms: median("lcp_ms"),
            hydrated_ms: median("hydrated_ms"),
            transferred_bytes: median("transferred_bytes"),
            bundle_gzip_bytes: bundle.iter().map(|file| file.gzipped).sum(),
        };
        println!("  median of {RUNS} cold loads:");
        for line in lines(&figures) {
            println!(
                "    {}: {}{}",
                line.figure.trim_start_matches("phone: "),
                line.measured,
                if line.goal.is_empty() {
                    String::new()
                } else {
                    format!(" (goal {})", line.goal)
                }
            );
        }
        let parts: Vec<String> = bundle
            .iter()
            .map(|file| format!("{} {}", file.name, kb(file.gzipped as usize)))
            .collect();
        println!("    the bundle, gzipped: {}", parts.join(" + "));
        Ok(figures)
    }
}

/// The summary's lines of the phone part.
pub fn lines(figures: &PhoneFigures) -> Vec<Line> {
    let ms = |value: Option<f64>| value.map_or_else(|| "n/a".into(), |ms| format!("{ms:.0} ms"));
    let bundle_kb = figures.bundle_gzip_bytes as f64 / 1024.0;
    vec![
        Line {
            figure: "phone: First Contentful Paint".into(),
            measured: ms(figures.fcp_ms),
            goal: "",
            met: None,
        },
        Line {
            figure: "phone: Largest Contentful Paint".into(),
            measured: ms(figures.lcp_ms),
            goal: "≤ 500 ms",
            met: Some(figures.lcp_ms.is_some_and(|ms| ms <= LCP_GOAL_MS)),
        },
        Line {
            figure: "phone: check-in dialog usable (hydrated)".into(),
            measured: ms(figures.hydrated_ms),
            goal: "≤ 1,200 ms",
            met: Some(figures.hydrated_ms.is_some_and(|ms| ms <= HYDRATED_GOAL_MS)),
        },
        Line {
            figure: "phone: bytes transferred".into(),
            measured: figures
                .transferred_bytes
                .map_or_else(|| "n/a".into(), |bytes| kb(bytes as usize)),
            goal: "",
            met: None,
        },
        Line {
            figure: "phone: bundle, gzip (wasm + js + loader)".into(),
            measured: kb(figures.bundle_gzip_bytes as usize),
            goal: "≤ 100 KB",
            met: Some(bundle_kb <= BUNDLE_GOAL_KB),
        },
    ]
}

/// The number `key` of the `"median"` object in phone.mjs's JSON line;
/// `None` when it is `null` (the browser gave no such entry).
fn median_of(json: &str, key: &str) -> Option<f64> {
    let median = &json[json.find("\"median\":")?..];
    let value = &median[median.find(&format!("\"{key}\":"))? + key.len() + 3..];
    let end = value
        .find(|character: char| !matches!(character, '0'..='9' | '.' | '-' | '+' | 'e' | 'E'))
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_medians_are_read_from_the_json_line() {
        let json = r#"{"runs":[{"fcp_ms":1.5,"lcp_ms":900}],"median":{"fcp_ms":412.30000001,"lcp_ms":null,"hydrated_ms":2345.6,"transferred_bytes":201234,"responses":7}}"#;
        assert_eq!(median_of(json, "fcp_ms"), Some(412.30000001));
        assert_eq!(median_of(json, "lcp_ms"), None);
        assert_eq!(median_of(json, "hydrated_ms"), Some(2345.6));
        assert_eq!(median_of(json, "transferred_bytes"), Some(201_234.0));
        assert_eq!(median_of(json, "missing"), None);
    }
}
