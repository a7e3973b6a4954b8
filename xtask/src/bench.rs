//! `cargo xtask bench`: how the release server serves the signed-in
//! dashboard. A benchmark that prints figures beside their goals; it fails
//! only when a figure cannot be measured.
//!
//! - **Under load**, on PostgreSQL, for the demo data and for a larger
//!   quarter (the demo plus 20 objectives × 10 key results × 20 check-ins):
//!   requests per second and p50/p99 latency with `wrk -t2 -c32` (median of
//!   three 10-second rounds after a warm-up), the page's size, the server's
//!   peak memory (VmHWM of a fresh process each: since its start, and during
//!   the rounds alone), and the SQL statements of a dashboard (from the
//!   server's statement log): the first after start, when the server
//!   remembers nothing, and on average the ones after it. Then the same
//!   rounds on a server that remembers nothing between requests
//!   (`DB_REMEMBER_READS=false`), which reads every dashboard, and on the
//!   reference: the same page written by hand with plain axum and sqlx
//!   (`bench-reference`, see [`reference`]), checked first to show every
//!   key result the app's page shows; the app's throughput is given as a
//!   multiple of the reference's, taken side by side.
//! - **The demo on SQLite**: the app and the reference under the same load
//!   on one SQLite file with the demo data.
//! - **Start to healthy** on a new SQLite database, demo data included.
//! - **History**: one request at a time on 500 key results with 3 check-ins
//!   each, then with 200 each; their p50 and its ratio.
//! - **Phone**: the dashboard loaded cold in Chromium on a throttled phone
//!   (see [`phone`]): paints, hydration, bytes and the bundle's size.
//!
//! PostgreSQL: `RUNWAY_BENCH_POSTGRES_URL`, else the local server. Its
//! databases are made fresh and dropped afterwards. A KB is 1,024 bytes.
//!
//! `cargo xtask bench history large` measures only those parts (of `start`,
//! `demo`, `large`, `history`, `phone`); without any, all of them.
//!
//! `RUNWAY_BENCH_SERVER=path` measures that server binary instead of
//! building this checkout's: a copy of an earlier commit's release build,
//! for figures before and after a change. The phone part needs the site
//! built with it too, as `RUNWAY_BENCH_SITE`; without it, it is skipped.

mod division;
mod phone;
mod postgres;
mod reference;
mod wrk;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use postgres::{Database, ExtraOkrs, Postgres, ShownQuarter};

use crate::{Result, Running, TempDir, Tools, free_port, http, run, server_command, step};

/// The admin of the demo data (`SEED_DEMO`), and the password it gets.
const EMAIL: &str = "emily.davis@airline.com";
const PASSWORD: &str = "runway-demo";
const SESSION_COOKIE: &str = "runway_session";

const LOAD_ROUNDS: usize = 3;
const LOAD_SECONDS: u32 = 10;
const WARM_UP_SECONDS: u32 = 3;
/// Dashboards whose statements are counted, after a few uncounted ones.
const COUNTED_REQUESTS: usize = 10;
const STARTS: usize = 3;
const HISTORY_SECONDS: u32 = 5;

const LARGE: ExtraOkrs = ExtraOkrs {
    teams: 0,
    objectives: 20,
    key_results_per_objective: 10,
    check_ins_per_key_result: 20,
};
/// A whole division's quarter: with the demo's 3 teams and 10 key results,
/// 100 teams, 500 objectives and 2,010 key results.
const DIVISION: ExtraOkrs = ExtraOkrs {
    teams: 97,
    objectives: 500,
    key_results_per_objective: 4,
    check_ins_per_key_result: 20,
};
const SHALLOW_HISTORY: ExtraOkrs = ExtraOkrs {
    teams: 0,
    objectives: 25,
    key_results_per_objective: 20,
    check_ins_per_key_result: 3,
};
const DEEP_HISTORY: ExtraOkrs = ExtraOkrs {
    check_ins_per_key_result: 200,
    ..SHALLOW_HISTORY
};

pub fn bench(parts: Vec<String>) -> Result {
    const PARTS: [&str; 6] = ["start", "demo", "large", "division", "history", "phone"];
    if let Some(unknown) = parts.iter().find(|part| !PARTS.contains(&part.as_str())) {
        return Err(format!(
            "cargo xtask bench: no part {unknown:?}; the parts are {}",
            PARTS.join(", ")
        ));
    }
    let wanted = |part: &str| parts.is_empty() || parts.iter().any(|given| given == part);
    wrk::ensure_installed()?;
    let postgres = Postgres::from_env();
    let version = postgres.version()?;
    let tools = Tools::plain();
    let scratch = TempDir::new("bench")?;
    // The phone needs the site too, built beside the server, and the other
    // parts measure the same server.
    let phone_build = wanted("phone")
        .then(|| phone::build(&scratch.path, !parts.is_empty()))
        .transpose()?
        .flatten();
    let binary = match &phone_build {
        Some(build) => build.server.clone(),
        None => build_release_server(&tools, &scratch.path)?,
    };
    // The hand-written page the dashboard is measured against.
    let reference = (wanted("demo") || wanted("large"))
        .then(|| reference::build(&tools, &scratch.path))
        .transpose()?;
    let bench = Bench {
        tools,
        binary,
        reference,
        scratch,
        postgres,
    };
    // Other work on the machine shows in every figure: say how busy it was.
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    println!(
        "\ndashboard benchmark: release server, PostgreSQL {version} at {}, {} cores, load average {load_average}",
        bench.postgres.address(),
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    let start = wanted("start")
        .then(|| bench.start_to_healthy())
        .transpose()?;
    let demo = wanted("demo")
        .then(|| bench.under_load("demo", None))
        .transpose()?;
    let large = wanted("large")
        .then(|| bench.under_load("large", Some(&LARGE)))
        .transpose()?;
    let division = wanted("division").then(|| bench.division()).transpose()?;
    let history = wanted("history").then(|| bench.history()).transpose()?;
    let phone = phone_build
        .map(|build| bench.phone(&build.site))
        .transpose()?;
    print_summary(&Summary {
        start,
        demo,
        large,
        division,
        history,
        phone,
    });
    Ok(())
}

/// Builds the server as cargo-leptos does (`bin-features = ["ssr"]`, no
/// default features), and copies it aside so another build cannot swap it
/// mid-run.
fn build_release_server(tools: &Tools, scratch: &Path) -> Result<PathBuf> {
    if let Some(given) = std::env::var_os("RUNWAY_BENCH_SERVER").filter(|path| !path.is_empty()) {
        let given = PathBuf::from(given);
        step(&format!("measuring the given server {}", given.display()));
        let copy = scratch.join("server");
        std::fs::copy(&given, &copy)
            .map_err(|error| format!("RUNWAY_BENCH_SERVER={}: {error}", given.display()))?;
        return Ok(copy);
    }
    step("building the release server");
    run(tools.cargo().args([
        "build",
        "--release",
        "-p",
        "server",
        "--bin",
        "server",
        "--no-default-features",
        "--features",
        "ssr",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| tools.root.join("target"), |dir| tools.root.join(dir));
    let copy = scratch.join("server");
    std::fs::copy(target.join("release/server"), &copy)
        .map_err(|error| format!("cannot copy the release server: {error}"))?;
    Ok(copy)
}

struct Bench {
    tools: Tools,
    binary: PathBuf,
    /// The reference's binary ([`reference`]), when a part needs it.
    reference: Option<PathBuf>,
    scratch: TempDir,
    postgres: Postgres,
}

/// What the dashboard of one dataset did.
struct LoadFigures {
    name: &'static str,
    quarter: ShownQuarter,
    page_bytes: usize,
    rounds: Rounds,
    statements: Statements,
    /// The same load on the hand-written reference ([`reference`]).
    reference: Option<reference::Reference>,
    /// The demo on SQLite: the app and the reference on one file.
    sqlite: Option<reference::OnSqlite>,
    /// The demo's rounds on a server that remembers nothing between
    /// requests (`DB_REMEMBER_READS=false`): every dashboard read.
    unremembered: Option<Rounds>,
}

/// The SQL statements of a dashboard.
struct Statements {
    /// Of the first after the server started, when it remembers nothing:
    /// the session and the dashboard are read.
    first: Vec<String>,
    /// On average, over the dashboards after it.
    per_request: f64,
}

/// A database for the benchmark, and what it needs to read its dashboard.
struct Dataset<'a> {
    database: Database<'a>,
    quarter: ShownQuarter,
    /// The `Cookie` header of a session of the demo admin.
    cookie: String,
}

struct HistoryFigures {
    shallow_p50_ms: f64,
    deep_p50_ms: f64,
}

impl Bench {
    /// The release server on `database_url`, healthy; its output goes to
    /// `<log>.log` in the scratch directory. `settings` adds to or overrides
    /// the defaults: demo sign-ins, no statement log, warnings only.
    fn start_server(
        &self,
        database_url: &str,
        log: &str,
        settings: &[(&str, &str)],
    ) -> Result<Running> {
        let port = free_port()?;
        let log_path = self.log_path(log);
        let log_file = std::fs::File::create(&log_path)
            .map_err(|error| format!("{}: {error}", log_path.display()))?;
        let stderr = log_file
            .try_clone()
            .map_err(|error| format!("{}: {error}", log_path.display()))?;
        let mut command = server_command(&self.tools, &self.binary, port, database_url);
        command
            .env("SEED_DEMO", "1")
            .env("DB_LOG_STATEMENTS", "false")
            .env("RUST_LOG", "warn")
            .envs(settings.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(stderr);
        let mut server = Running::spawn(&mut command, port)?;
        server
            .wait_until_healthy(Duration::from_secs(60))
            .map_err(|error| format!("{error}; its log ends with:\n{}", tail(&log_path)))?;
        Ok(server)
    }

    fn log_path(&self, log: &str) -> PathBuf {
        self.scratch.path.join(format!("{log}.log"))
    }

    /// A new database with the demo data and `extra` in the quarter the
    /// dashboard shows, and a session of the demo admin. The server that
    /// seeds it also signs in, so the servers measured later do no password
    /// hashing for the benchmark (it takes 32 MiB at a time).
    fn dataset(&self, name: &str, extra: Option<&ExtraOkrs>) -> Result<Dataset<'_>> {
        let database = self.postgres.create(name)?;
        let cookie = {
            let seeding = self.start_server(&database.url, &format!("{name}-seed"), &[])?;
            sign_in(seeding.port)?
        };
        if let Some(extra) = extra {
            database.run(&extra.sql())?;
        }
        let quarter = database.shown_quarter()?;
        println!(
            "{name}: demo data{}; the dashboard shows {} with {} key results and {} check-ins",
            extra.map_or(String::new(), |extra| format!(" + {}", extra.describe())),
            quarter.label,
            quarter.key_results,
            quarter.check_ins
        );
        Ok(Dataset {
            database,
            quarter,
            cookie,
        })
    }

    /// Median time from starting the server on a new SQLite database (demo
    /// data included) to `/api/health` answering 200. After each, untimed,
    /// the demo admin signs in: healthy has to mean ready.
    fn start_to_healthy(&self) -> Result<Duration> {
        step("start to healthy, SQLite, demo data");
        let mut times = Vec::new();
        for number in 1..=STARTS {
            let database = self.scratch.path.join(format!("start-{number}.db"));
            let url = format!("sqlite://{}?mode=rwc", database.display());
            let started = Instant::now();
            let server = self.start_server(&url, &format!("start-{number}"), &[])?;
            let elapsed = started.elapsed();
            let cookie = sign_in(server.port)?;
            signed_in_page(server.port, &cookie)?;
            drop(server);
            println!("  start {number}: healthy after {:.0} ms", ms(elapsed));
            times.push(elapsed);
        }
        times.sort();
        Ok(times[times.len() / 2])
    }

    fn under_load(&self, name: &'static str, extra: Option<&ExtraOkrs>) -> Result<LoadFigures> {
        step(&format!("{name}: dashboard under load, PostgreSQL"));
        let dataset = self.dataset(name, extra)?;
        let statements = self.statements(&dataset, name)?;
        println!(
            "  SQL statements per dashboard, session included: {} on the first after start, \
             then {:.1} a request; the first's:",
            statements.first.len(),
            statements.per_request
        );
        for statement in &statements.first {
            println!("    {statement}");
        }

        let server = self.start_server(&dataset.database.url, &format!("{name}-load"), &[])?;
        let page_bytes = dashboard(server.port, &dataset.cookie, &dataset.quarter.label)?;
        println!("  page: {} ({page_bytes} bytes)", kb(page_bytes));
        let reference_page_bytes = self.check_reference(
            &dataset.database.url,
            &dataset.cookie,
            server.port,
            &format!("{name}-reference-check"),
        )?;
        let log = self.log_path(&format!("{name}-load"));
        let logged_before_load = std::fs::metadata(&log).map_or(0, |file| file.len() as usize);
        let measured = rounds_under_load(&server, &dataset.cookie)?;
        drop(server);
        if !measured.load.all_succeeded() {
            print_warnings(&log, logged_before_load);
        }
        let unremembered = Some(self.unremembered_rounds(&dataset, name)?);
        let reference = Some(self.reference_rounds(&dataset, name, reference_page_bytes)?);
        let mut figures = LoadFigures {
            name,
            quarter: dataset.quarter,
            page_bytes,
            rounds: measured,
            statements,
            reference,
            sqlite: None,
            unremembered,
        };
        let rounds = &figures.rounds;
        println!(
            "  median: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; peak RSS {}",
            rounds.load.requests_per_second,
            rounds.load.p50_ms,
            rounds.load.p99_ms,
            rounds.peak_rss()
        );
        reference::print_ratios(&figures);
        if extra.is_none() {
            figures.sqlite = Some(self.on_sqlite()?);
        }
        Ok(figures)
    }

    /// The same rounds on a server that remembers nothing between requests
    /// (`DB_REMEMBER_READS=false`), so every dashboard reads its session and
    /// its data: what a page costs when nothing is remembered, as after
    /// every change.
    fn unremembered_rounds(&self, dataset: &Dataset<'_>, name: &str) -> Result<Rounds> {
        println!("  reading every request (DB_REMEMBER_READS=false):");
        let server = self.start_server(
            &dataset.database.url,
            &format!("{name}-unremembered"),
            &[("DB_REMEMBER_READS", "false")],
        )?;
        let rounds = rounds_under_load(&server, &dataset.cookie)?;
        println!(
            "  median, reading every request: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; peak RSS {}",
            rounds.load.requests_per_second,
            rounds.load.p50_ms,
            rounds.load.p99_ms,
            rounds.peak_rss()
        );
        Ok(rounds)
    }

    /// Statements the server logs (`DB_LOG_STATEMENTS`, target `sqlx::query`)
    /// while it serves dashboards one after another: the first one's, and
    /// how many per dashboard after it. Nothing else reaches the server
    /// meanwhile, so every statement is theirs.
    fn statements(&self, dataset: &Dataset<'_>, name: &str) -> Result<Statements> {
        let log = self.log_path(&format!("{name}-statements"));
        let server = self.start_server(
            &dataset.database.url,
            &format!("{name}-statements"),
            &[
                ("DB_LOG_STATEMENTS", "true"),
                ("RUST_LOG", "warn,sqlx::query=info"),
            ],
        )?;
        let dashboards = |count| -> Result<Vec<String>> {
            for _ in 0..count {
                dashboard(server.port, &dataset.cookie, &dataset.quarter.label)?;
            }
            // Let the log catch up with the responses.
            std::thread::sleep(Duration::from_millis(300));
            // Not the listener's (on a connection of its own, for changes).
            let mut logged = logged_statements(&log)?;
            logged.retain(|statement| !statement.to_uppercase().starts_with("LISTEN"));
            Ok(logged)
        };
        // What the server ran at start.
        let started = dashboards(0)?.len();
        let first = dashboards(1)?[started..].to_vec();
        if first.is_empty() {
            return Err(
                "the server logged no SQL statements: is DB_LOG_STATEMENTS still read?".into(),
            );
        }
        let before = started + first.len();
        let after = dashboards(COUNTED_REQUESTS)?.len();
        Ok(Statements {
            first,
            per_request: (after - before) as f64 / COUNTED_REQUESTS as f64,
        })
    }

    /// One dashboard at a time on 500 key results with a short history and
    /// with a long one: the median latency of each.
    fn history(&self) -> Result<HistoryFigures> {
        let mut p50 = Vec::new();
        for (name, extra) in [("shallow", &SHALLOW_HISTORY), ("deep", &DEEP_HISTORY)] {
            step(&format!(
                "history: {}, one request at a time",
                extra.describe()
            ));
            let dataset = self.dataset(name, Some(extra))?;
            let server =
                self.start_server(&dataset.database.url, &format!("{name}-history"), &[])?;
            let page_bytes = dashboard(server.port, &dataset.cookie, &dataset.quarter.label)?;
            let load = |seconds| wrk::Load {
                threads: 1,
                connections: 1,
                seconds,
                port: server.port,
                path: "/",
                cookie: Some(&dataset.cookie),
            };
            load(1).run()?;
            let figures = load(HISTORY_SECONDS).run()?;
            println!(
                "  p50 {:.1} ms, p99 {:.1} ms ({:.0} req/s); page {}{}",
                figures.p50_ms,
                figures.p99_ms,
                figures.requests_per_second,
                kb(page_bytes),
                figures.failures()
            );
            p50.push(figures.p50_ms);
        }
        Ok(HistoryFigures {
            shallow_p50_ms: p50[0],
            deep_p50_ms: p50[1],
        })
    }
}

/// The fixed load's rounds, after a warm-up, and the server's peak memory.
struct Rounds {
    /// Median of the rounds, each figure on its own.
    load: wrk::Figures,
    /// The process's peak RSS since it started (start-up, warm-up and
    /// rounds), and during the rounds alone (`None` where the kernel does
    /// not let the peak be reset).
    peak_rss_mib: f64,
    load_peak_rss_mib: Option<f64>,
}

impl Rounds {
    fn peak_rss(&self) -> String {
        match self.load_peak_rss_mib {
            Some(rounds) => format!("{:.1} MiB ({rounds:.1} in rounds)", self.peak_rss_mib),
            None => format!("{:.1} MiB", self.peak_rss_mib),
        }
    }
}

/// The load of every round: `wrk -t2 -c32` on one page of `server`.
fn load<'a>(
    server: &Running,
    path: &'a str,
    cookie: Option<&'a str>,
    seconds: u32,
) -> wrk::Load<'a> {
    wrk::Load {
        threads: 2,
        connections: 32,
        seconds,
        port: server.port,
        path,
        cookie,
    }
}

/// `LOAD_ROUNDS` rounds of `load`, each printed; their median.
fn median_of_rounds<'a>(load: impl Fn(u32) -> wrk::Load<'a>) -> Result<wrk::Figures> {
    let mut rounds = Vec::new();
    for number in 1..=LOAD_ROUNDS {
        let round = load(LOAD_SECONDS).run()?;
        println!(
            "  round {number}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms{}",
            round.requests_per_second,
            round.p50_ms,
            round.p99_ms,
            round.failures()
        );
        rounds.push(round);
    }
    Ok(median_figures(&rounds))
}

fn rounds_under_load(server: &Running, cookie: &str) -> Result<Rounds> {
    let load = |seconds| load(server, "/", Some(cookie), seconds);
    load(WARM_UP_SECONDS).run()?;
    let peak_before_rounds = peak_rss_mib(server.pid())?;
    let peak_reset = reset_peak_rss(server.pid());
    let median = median_of_rounds(load)?;
    let peak_during_rounds = peak_rss_mib(server.pid())?;
    Ok(Rounds {
        load: median,
        peak_rss_mib: peak_before_rounds.max(peak_during_rounds),
        load_peak_rss_mib: peak_reset.then_some(peak_during_rounds),
    })
}

/// Signs in as the demo admin; the `Cookie` header value of its session.
fn sign_in(port: u16) -> Result<String> {
    let response = http::post_form(
        port,
        "/api/sign_in",
        &[("email", EMAIL), ("password", PASSWORD)],
    )?;
    response
        .header("set-cookie")
        .filter_map(|cookie| cookie.split(';').next())
        .find(|pair| {
            pair.strip_prefix(SESSION_COOKIE)
                .and_then(|rest| rest.strip_prefix('='))
                .is_some_and(|token| !token.is_empty())
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "signing in as {EMAIL} gave no session ({}): {}",
                response.status,
                response.text().chars().take(200).collect::<String>()
            )
        })
}

/// One signed-in dashboard: checks it is the page of `label`, and returns
/// its size (uncompressed HTML).
fn dashboard(port: u16, cookie: &str, label: &str) -> Result<usize> {
    let page = signed_in_page(port, cookie)?;
    if !page.text().contains(label) {
        return Err(format!("GET / is not the dashboard of {label}"));
    }
    Ok(page.body.len())
}

/// `GET /` with the session: 200, not a redirect to the sign-in page.
fn signed_in_page(port: u16, cookie: &str) -> Result<http::Response> {
    let response = http::get(port, "/", &[("Cookie", cookie)])?;
    if response.status != 200 {
        return Err(format!("GET / answered {}, not 200", response.status));
    }
    Ok(response)
}

/// The summary (the statement's start) of each statement in the log.
fn logged_statements(log: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(log).map_err(|error| format!("{}: {error}", log.display()))?;
    Ok(text
        .lines()
        .filter(|line| line.contains(" sqlx::query:"))
        .map(|line| summary(line).unwrap_or_else(|| line.to_owned()))
        .collect())
}

/// The `summary="…"` field of a statement's log line, unescaped.
fn summary(line: &str) -> Option<String> {
    let quoted = &line[line.find("summary=\"")? + "summary=\"".len()..];
    let mut summary = String::new();
    let mut characters = quoted.chars();
    while let Some(character) = characters.next() {
        match character {
            '\\' => summary.extend(characters.next()),
            '"' => return Some(summary),
            _ => summary.push(character),
        }
    }
    None
}

/// Starts the process's peak RSS afresh from its current RSS (Linux 4.0+);
/// false where the kernel does not allow it.
fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// The process's peak RSS since it started or since the last reset (VmHWM).
fn peak_rss_mib(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| format!("cannot read the server's memory: {error}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0)
        .ok_or_else(|| "no VmHWM in the server's /proc status".into())
}

fn median_figures(rounds: &[wrk::Figures]) -> wrk::Figures {
    let median = |pick: fn(&wrk::Figures) -> f64| {
        let mut values: Vec<f64> = rounds.iter().map(pick).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    wrk::Figures {
        requests_per_second: median(|round| round.requests_per_second),
        p50_ms: median(|round| round.p50_ms),
        p99_ms: median(|round| round.p99_ms),
        failed_responses: rounds.iter().map(|round| round.failed_responses).sum(),
        socket_errors: rounds.iter().map(|round| round.socket_errors).sum(),
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn kb(bytes: usize) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// The last warnings and errors a server logged after the first `skip`
/// bytes of its log, to tell what failed.
fn print_warnings(log: &Path, skip: usize) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let warnings: Vec<&str> = text
        .get(skip..)
        .unwrap_or_default()
        .lines()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .collect();
    let last = &warnings[warnings.len().saturating_sub(5)..];
    println!(
        "  the server's warnings during the load ({} in all; the last {}):",
        warnings.len(),
        last.len()
    );
    for warning in last {
        println!("    {}", warning.chars().take(300).collect::<String>());
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// The parts measured.
struct Summary {
    start: Option<Duration>,
    demo: Option<LoadFigures>,
    large: Option<LoadFigures>,
    division: Option<division::DivisionFigures>,
    history: Option<HistoryFigures>,
    phone: Option<phone::PhoneFigures>,
}

/// One line of the summary: a figure, its goal, and whether it meets it.
struct Line {
    figure: String,
    measured: String,
    goal: &'static str,
    met: Option<bool>,
}

fn print_summary(summary: &Summary) {
    let mut lines = Vec::new();
    for (figures, min_rate, goal_rate, max_kb, goal_kb) in [
        (&summary.demo, 2600.0, "≥ 2,600 req/s", 15.0, "≤ 15 KB"),
        (&summary.large, 180.0, "≥ 180 req/s", 300.0, "≤ 300 KB"),
    ] {
        let Some(figures) = figures else { continue };
        lines.extend(load_lines(
            figures,
            (min_rate, goal_rate),
            (max_kb, goal_kb),
        ));
    }
    if let Some(start) = summary.start {
        lines.push(Line {
            figure: "start → healthy (SQLite, median)".into(),
            measured: format!("{:.0} ms", ms(start)),
            goal: "< 1 s",
            met: Some(start < Duration::from_secs(1)),
        });
    }
    if let Some(division) = &summary.division {
        lines.extend(division::lines(division));
    }
    if let Some(history) = &summary.history {
        history_lines(&mut lines, history);
    }
    if let Some(phone) = &summary.phone {
        lines.extend(phone::lines(phone));
    }
    print_table(&lines);
}

fn history_lines(lines: &mut Vec<Line>, history: &HistoryFigures) {
    let ratio = history.deep_p50_ms / history.shallow_p50_ms;
    lines.push(Line {
        figure: "history p50: 500 KRs × 3 / × 200 check-ins".into(),
        measured: format!(
            "{:.1} / {:.1} ms",
            history.shallow_p50_ms, history.deep_p50_ms
        ),
        goal: "",
        met: None,
    });
    lines.push(Line {
        figure: "history ratio (deep / shallow)".into(),
        measured: format!("{ratio:.2}×"),
        goal: "≤ 1.5×",
        met: Some(ratio <= 1.5),
    });
}

fn print_table(lines: &[Line]) {
    let width = |column: fn(&Line) -> &str, title: &str| {
        lines
            .iter()
            .map(|line| column(line).chars().count())
            .chain([title.chars().count()])
            .max()
            .unwrap_or_default()
    };
    let figure_width = width(|line| &line.figure, "figure");
    let measured_width = width(|line| &line.measured, "measured");
    let goal_width = width(|line| line.goal, "goal");
    println!("\nsummary (a benchmark: figures, not a verdict)");
    println!(
        "  {:<figure_width$}  {:>measured_width$}  {:<goal_width$}  meets goal",
        "figure", "measured", "goal"
    );
    for line in lines {
        let met = match line.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        println!(
            "  {:<figure_width$}  {:>measured_width$}  {:<goal_width$}  {met}",
            line.figure, line.measured, line.goal
        );
    }
}

fn load_lines(
    figures: &LoadFigures,
    (min_rate, goal_rate): (f64, &'static str),
    (max_kb, goal_kb): (f64, &'static str),
) -> Vec<Line> {
    let name = figures.name;
    let load = &figures.rounds.load;
    let page_kb = figures.page_bytes as f64 / 1024.0;
    let mut lines = vec![
        Line {
            figure: format!(
                "{name}: throughput ({} KRs, {} check-ins)",
                figures.quarter.key_results, figures.quarter.check_ins
            ),
            measured: format!("{:.0} req/s", load.requests_per_second),
            goal: goal_rate,
            met: Some(load.requests_per_second >= min_rate),
        },
        Line {
            figure: format!("{name}: failed requests ({LOAD_ROUNDS} rounds)"),
            measured: (load.failed_responses + load.socket_errors).to_string(),
            goal: "none",
            met: Some(load.all_succeeded()),
        },
        Line {
            figure: format!("{name}: latency p50 / p99 (32 connections)"),
            measured: format!("{:.1} / {:.1} ms", load.p50_ms, load.p99_ms),
            goal: "",
            met: None,
        },
        Line {
            figure: format!("{name}: page size"),
            measured: kb(figures.page_bytes),
            goal: goal_kb,
            met: Some(page_kb <= max_kb),
        },
        Line {
            figure: format!("{name}: peak RSS"),
            measured: figures.rounds.peak_rss(),
            goal: "≤ 30 MiB",
            met: Some(figures.rounds.peak_rss_mib <= 30.0),
        },
        Line {
            figure: format!("{name}: SQL statements per dashboard, first / then"),
            measured: format!(
                "{} / {:.1}",
                figures.statements.first.len(),
                figures.statements.per_request
            ),
            goal: "≤ 5 (4 + session)",
            met: Some(figures.statements.first.len() <= 5 && figures.statements.per_request <= 5.0),
        },
    ];
    if let Some(unremembered) = &figures.unremembered {
        lines.push(Line {
            figure: format!("{name}: throughput, every request read (DB_REMEMBER_READS=false)"),
            measured: format!("{:.0} req/s", unremembered.load.requests_per_second),
            goal: "",
            met: None,
        });
    }
    lines.extend(reference::lines(figures));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_log_line_gives_its_summary() {
        let line = r#"2026-11-26T13:22:30.201949Z  INFO sqlx::query: summary="SELECT \"quarter\".\"id\", …" db.statement="\n\nSELECT \"quarter\".\"id\"" rows_affected=0"#;
        assert_eq!(summary(line).unwrap(), r#"SELECT "quarter"."id", …"#);
    }
}
