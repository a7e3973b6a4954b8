//! Developer tasks, run as `cargo xtask <task>`:
//!
//! - `dev`: installs what is missing, then `cargo leptos watch` on
//!   http://127.0.0.1:3000 with the embedded SQLite database, migrated and
//!   seeded with the demo data.
//! - `test`: installs what the tests need (not cargo-leptos: it builds the
//!   browser tests' site itself), then runs every test: unit and
//!   integration tests (PostgreSQL too when `RUNWAY_TEST_POSTGRES_URL` is
//!   set), then the browser tests in `end2end/` against the server the
//!   tests built. Prints each phase's time at the end.
//! - `setup`: only the installs, cargo-leptos included.
//! - `size`: builds the release bundle and prints its wasm + js size, gzipped.
//! - `bench-import`: times a 10,000 key result CSV import on PostgreSQL
//!   against `COPY`ing the same rows.
//! - `bench`: builds the release server and prints how it serves the
//!   signed-in dashboard: requests per second and latency under a fixed load,
//!   page size, peak memory and SQL statements per request on PostgreSQL, on
//!   the demo data and on a larger quarter; the time from start to healthy on
//!   SQLite; how much a key result's long history slows the dashboard; and
//!   how it loads cold on a throttled phone in Chromium.
//!   Each figure is printed beside its goal; it is a benchmark, not a test.
//! - `cluster [--replicas N] [--port P]`: N servers on one PostgreSQL
//!   database behind HAProxy on port P (default 2 and 8080), until Ctrl-C.
//!
//! What may be missing on a new machine: rustup's wasm32 target (when rustup
//! cannot download it, `scripts/offline-wasm.sh` builds it from Debian's
//! sources), the wasm-bindgen CLI of the version in Cargo.lock, cargo-leptos,
//! the npm packages of `end2end/`, and (for tests) Chromium and HAProxy.

mod bench;
mod cluster;
mod http;

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const CARGO_LEPTOS_VERSION: &str = "0.3.11";
const OUTPUT_NAME: &str = "runway-okr";
const CHROMIUM: &str = "/usr/bin/chromium";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let outcome = match task.as_str() {
        "dev" => dev(),
        "test" => test(),
        "setup" => setup().map(|_| ()),
        "size" => size(),
        "bench-import" => bench_import(),
        "bench" => bench::bench(std::env::args().skip(2).collect()),
        "cluster" => cluster::cluster(std::env::args().skip(2).collect()),
        _ => {
            eprintln!(
                "usage: cargo xtask <dev|test|setup|size|bench-import|bench [start|demo|large|history|phone]…|cluster [--replicas N] [--port P]>"
            );
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The environment the tasks' commands run in.
struct Tools {
    root: PathBuf,
    /// PATH for child processes; Debian's toolchain first on the offline route.
    path: OsString,
    /// Set on the offline route, where rustup's variables must not leak.
    debian_toolchain: bool,
}

impl Tools {
    /// The environment as it is, for tasks that need none of `setup`'s installs.
    fn plain() -> Tools {
        Tools {
            path: std::env::var_os("PATH").unwrap_or_default(),
            root: workspace_root(),
            debian_toolchain: false,
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root).env("PATH", &self.path);
        if self.debian_toolchain {
            for name in ["RUSTUP_TOOLCHAIN", "RUSTC", "CARGO", "RUSTDOC"] {
                command.env_remove(name);
            }
        }
        command
    }

    fn cargo(&self) -> Command {
        self.command("cargo")
    }
}

fn step(message: &str) {
    println!("\n==> {message}");
}

fn run(command: &mut Command) -> Result {
    let status = command
        .status()
        .map_err(|error| format!("cannot run {command:?}: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed ({status})"))
    }
}

fn output(command: &mut Command) -> Option<String> {
    let output = command.stderr(Stdio::null()).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

fn apt_install(packages: &[&str]) -> Result {
    if !is_root() {
        return Err(format!(
            "please install {} (for example: sudo apt-get install {})",
            packages.join(", "),
            packages.join(" ")
        ));
    }
    run(Command::new("apt-get").args(["update", "-qq"]))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "-qq"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn setup() -> Result<Tools> {
    let root = workspace_root();
    let mut tools = Tools {
        path: std::env::var_os("PATH").unwrap_or_default(),
        root,
        debian_toolchain: false,
    };
    ensure_wasm_target(&mut tools)?;
    ensure_wasm_bindgen(&tools)?;
    ensure_cargo_leptos(&tools)?;
    ensure_npm_packages(&tools)?;
    Ok(tools)
}

fn has_wasm_std(tools: &Tools) -> bool {
    output(tools.command("rustc").args([
        "--print",
        "target-libdir",
        "--target",
        "wasm32-unknown-unknown",
    ]))
    .and_then(|dir| std::fs::read_dir(dir).ok())
    .is_some_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("libstd-"))
    })
}

fn ensure_wasm_target(tools: &mut Tools) -> Result {
    if has_wasm_std(tools) {
        return Ok(());
    }
    step("adding rustup's wasm32-unknown-unknown target");
    let added = Command::new("timeout")
        .args(["120", "rustup", "target", "add", "wasm32-unknown-unknown"])
        .status()
        .is_ok_and(|status| status.success());
    if added && has_wasm_std(tools) {
        return Ok(());
    }
    step("rustup could not download it; building the wasm32 std from Debian's sources");
    run(Command::new("bash").arg(tools.root.join("scripts/offline-wasm.sh")))?;
    let mut path = OsString::from("/usr/bin:");
    path.push(&tools.path);
    tools.path = path;
    tools.debian_toolchain = true;
    if has_wasm_std(tools) {
        Ok(())
    } else {
        Err("no wasm32 std after the offline route".into())
    }
}

/// The wasm-bindgen version Cargo.lock pins; its CLI must match exactly.
fn locked_wasm_bindgen(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|error| format!("cannot read Cargo.lock: {error}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    Err("Cargo.lock has no wasm-bindgen".into())
}

fn ensure_wasm_bindgen(tools: &Tools) -> Result {
    let wanted = locked_wasm_bindgen(&tools.root)?;
    let installed = output(tools.command("wasm-bindgen").arg("--version"));
    if installed.as_deref() == Some(&format!("wasm-bindgen {wanted}")) {
        return Ok(());
    }
    step(&format!(
        "installing wasm-bindgen-cli {wanted} (once, about 5 minutes)"
    ));
    // Without --locked: its lock names crate versions some registries lack.
    run(tools
        .cargo()
        .args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

fn ensure_cargo_leptos(tools: &Tools) -> Result {
    let installed = output(tools.cargo().args(["leptos", "--version"]));
    if installed.is_some_and(|version| version.contains(CARGO_LEPTOS_VERSION)) {
        return Ok(());
    }
    step(&format!(
        "installing cargo-leptos {CARGO_LEPTOS_VERSION} (once; 15 to 25 minutes on 2 cores)"
    ));
    let install = |cargo: &str| {
        let mut command = tools.command(cargo);
        command.args([
            "install",
            "cargo-leptos",
            "--version",
            CARGO_LEPTOS_VERSION,
            "--locked",
            "--features",
            "no_downloads",
        ]);
        if cargo != "cargo" {
            // Debian's cargo: install next to rustup's tools, with its own rustc.
            let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
            command
                .args(["--root", &format!("{home}/.cargo")])
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("RUSTC")
                .env("PATH", format!("/usr/bin:{}", tools.path.to_string_lossy()));
        }
        run(&mut command)
    };
    if install("cargo").is_ok() {
        return Ok(());
    }
    // Its lock needs a newer rustc than some rustup toolchains (1.95) have;
    // Debian's rustc-web is recent enough.
    step("retrying with Debian's newer rustc (rustc-web)");
    if !Path::new("/usr/bin/cargo").exists() {
        apt_install(&["rustc-web", "cargo-web"])?;
    }
    install("/usr/bin/cargo")
}

fn ensure_npm_packages(tools: &Tools) -> Result {
    let end2end = tools.root.join("end2end");
    let marker = end2end.join("node_modules/.package-lock.json");
    let fresh = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if fresh(&marker).is_some() && fresh(&marker) >= fresh(&end2end.join("package-lock.json")) {
        return Ok(());
    }
    step("installing the end2end npm packages");
    run(tools
        .command("npm")
        .arg("ci")
        .arg("--no-audit")
        .arg("--no-fund")
        .current_dir(&end2end)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"))
}

fn ensure_chromium() -> Result {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    step("installing Debian's Chromium for the browser tests");
    apt_install(&["chromium"])
}

fn dev() -> Result {
    let tools = setup()?;
    // Reminders and digests go to a mail catcher that prints them here,
    // unless SMTP_URL names a real server.
    let catcher = if std::env::var_os("SMTP_URL").is_none() {
        step(&format!(
            "mail catcher on 127.0.0.1:{MAIL_CATCHER_PORT}: reminders and digests print here"
        ));
        Some(Running::spawn(
            tools
                .cargo()
                .args(["run", "--quiet", "-p", "mailcatcher", "--", "--port"])
                .arg(MAIL_CATCHER_PORT.to_string()),
            MAIL_CATCHER_PORT,
        )?)
    } else {
        None
    };
    step("cargo leptos watch: http://127.0.0.1:3000 (Ctrl-C to stop)");
    let mut command = tools.cargo();
    command.args(["leptos", "watch"]);
    if std::env::var_os("SEED_DEMO").is_none() {
        command.env("SEED_DEMO", "1");
    }
    if catcher.is_some() {
        command.env("SMTP_URL", format!("smtp://127.0.0.1:{MAIL_CATCHER_PORT}"));
    }
    run(&mut command)
}

/// Where `cargo xtask dev`'s mail catcher listens.
const MAIL_CATCHER_PORT: u16 = 1025;

/// Times importing 10,000 key results from CSV on PostgreSQL against
/// `COPY`ing the same rows, and prints both and their ratio (a benchmark, not
/// a test). PostgreSQL: `RUNWAY_BENCH_POSTGRES_URL`, else
/// `RUNWAY_TEST_POSTGRES_URL`, else the local server.
fn bench_import() -> Result {
    let tools = Tools::plain();
    step("building the import benchmark (release) and running it on PostgreSQL");
    run(tools.cargo().args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "server",
        "--bin",
        "bench-import",
    ]))
}

fn test() -> Result {
    let mut phases = Phases::new();
    let outcome = run_tests(&mut phases);
    phases.print();
    outcome
}

/// Everything `cargo xtask test` does, each part timed. The installs that
/// only wait on the network (apt, npm) run beside the compiling; the tests
/// need only what they use, so not cargo-leptos (the browser tests' site
/// is built by [`build_site`]).
fn run_tests(phases: &mut Phases) -> Result {
    let tools = phases.time("wasm32 target and wasm-bindgen CLI", setup_for_tests)?;
    let tools = &tools;
    std::thread::scope(|scope| {
        let system = scope.spawn(|| {
            timed(|| {
                cluster::ensure_haproxy()?;
                ensure_chromium()
            })
        });
        let npm = scope.spawn(|| timed(|| ensure_npm_packages(tools)));

        match std::env::var("RUNWAY_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => step(&format!(
                "unit and integration tests, on SQLite and PostgreSQL ({url})"
            )),
            _ => step(
                "unit and integration tests, on SQLite (set RUNWAY_TEST_POSTGRES_URL for PostgreSQL too)",
            ),
        }
        let all_tests = ["test", "--workspace", "--all-targets"];
        phases.time("compiling the tests", || {
            run(tools.cargo().args(all_tests).arg("--no-run"))
        })?;
        // The load-balanced tests need HAProxy.
        phases.joined("apt: HAProxy and Chromium (beside the compiling)", system)?;
        phases.time("running the tests", || run(tools.cargo().args(all_tests)))?;
        phases.time("doc tests", || {
            run(tools.cargo().args(["test", "--workspace", "--doc"]))
        })?;

        phases.time("building the site's wasm", || {
            build_site(tools, SiteBuild::Tests).map(|_| ())
        })?;
        phases.joined("npm ci in end2end (beside the compiling)", npm)?;
        let server = Server::start(tools)?;
        step(&format!(
            "end2end tests in Chromium against {}",
            server.base_url
        ));
        let outcome = phases.time("browser tests", || {
            run(tools
                .command("npm")
                .arg("test")
                .current_dir(tools.root.join("end2end"))
                .env("BASE_URL", &server.base_url))
        });
        drop(server);
        outcome
    })
}

/// What the tests need of `setup`: the wasm32 target and the wasm-bindgen
/// CLI, for the browser tests' site.
fn setup_for_tests() -> Result<Tools> {
    let mut tools = Tools::plain();
    ensure_wasm_target(&mut tools)?;
    ensure_wasm_bindgen(&tools)?;
    Ok(tools)
}

/// `work`'s outcome and how long it took.
fn timed(work: impl FnOnce() -> Result) -> (Result, Duration) {
    let started = Instant::now();
    (work(), started.elapsed())
}

/// How long each part of `cargo xtask test` took, printed at its end (also
/// when a part failed).
struct Phases {
    started: Instant,
    done: Vec<(&'static str, Duration)>,
}

impl Phases {
    fn new() -> Phases {
        Phases {
            started: Instant::now(),
            done: Vec::new(),
        }
    }

    fn time<T>(&mut self, name: &'static str, work: impl FnOnce() -> Result<T>) -> Result<T> {
        let started = Instant::now();
        let outcome = work();
        self.done.push((name, started.elapsed()));
        outcome
    }

    /// A part that ran on its own thread: its time, and the wait for it.
    fn joined(
        &mut self,
        name: &'static str,
        thread: std::thread::ScopedJoinHandle<'_, (Result, Duration)>,
    ) -> Result {
        let waited = Instant::now();
        let (outcome, took) = thread
            .join()
            .unwrap_or_else(|_| (Err(format!("{name}: the thread panicked")), Duration::ZERO));
        self.done.push((name, took));
        let waited = waited.elapsed();
        if waited >= Duration::from_secs(1) {
            self.done.push(("  waiting for it", waited));
        }
        outcome
    }

    fn print(&self) {
        println!("\n==> phase times");
        for (name, took) in &self.done {
            println!("{:>9}  {name}", minutes(*took));
        }
        println!("{:>9}  total", minutes(self.started.elapsed()));
    }
}

/// `m:ss`.
fn minutes(duration: Duration) -> String {
    let seconds = duration.as_secs();
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// How the site's wasm is built.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SiteBuild {
    /// For the browser tests, as cargo-leptos builds it for them: debug.
    Tests,
    /// As it ships: the `wasm-release` profile, then wasm-opt -Oz.
    Release,
}

/// The browser's part of the site, as `cargo leptos build` lays it out in
/// `target/site` (the tests') or `target/site-release`, without
/// cargo-leptos: the islands' wasm through the wasm-bindgen CLI, the
/// stylesheet and `public/`. Returns the site's directory. A server built
/// without cargo-leptos' `LEPTOS_OUTPUT_NAME` (the tests' own build, and
/// [`bench`]'s release build) asks for the wasm by wasm-bindgen's own name
/// (`…_bg.wasm`), so neither is compiled a second time by cargo-leptos.
fn build_site(tools: &Tools, build: SiteBuild) -> Result<PathBuf> {
    step(&format!(
        "building the {} site: the islands' wasm, the stylesheet and public/",
        match build {
            SiteBuild::Tests => "tests'",
            SiteBuild::Release => "release",
        }
    ));
    let (profile, profile_dir, site_dir) = match build {
        SiteBuild::Tests => ("dev", "debug", "site"),
        SiteBuild::Release => ("wasm-release", "wasm-release", "site-release"),
    };
    run(tools.cargo().args([
        "build",
        "--package",
        "app",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        profile,
        "--no-default-features",
        "--features",
        "hydrate",
    ]))?;
    let target = target_dir(tools);
    let site = target.join(site_dir);
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).map_err(|error| format!("{}: {error}", pkg.display()))?;
    run(tools
        .command("wasm-bindgen")
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            OUTPUT_NAME,
        ])
        .arg("--out-dir")
        .arg(&pkg)
        .arg(target.join(format!("wasm32-unknown-unknown/{profile_dir}/app.wasm"))))?;
    if build == SiteBuild::Release {
        let wasm = pkg.join(format!("{OUTPUT_NAME}_bg.wasm"));
        run(tools
            .command("wasm-opt")
            .args([
                "-Oz",
                // What rustc's wasm32 target uses by default.
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-mutable-globals",
                "--enable-reference-types",
                "--enable-multivalue",
            ])
            .arg(&wasm)
            .arg("-o")
            .arg(&wasm))?;
    }
    copy(
        &tools.root.join("style/main.css"),
        &pkg.join(format!("{OUTPUT_NAME}.css")),
    )?;
    copy_tree(&tools.root.join("public"), &site)?;
    Ok(site)
}

/// Cargo's target directory.
fn target_dir(tools: &Tools) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| tools.root.join("target"), |dir| tools.root.join(dir))
}

fn copy(from: &Path, to: &Path) -> Result {
    std::fs::copy(from, to).map(|_| ()).map_err(|error| {
        format!(
            "cannot copy {} to {}: {error}",
            from.display(),
            to.display()
        )
    })
}

/// Copies the files under `from` into `to`, keeping their folders.
fn copy_tree(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|error| format!("{}: {error}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|error| format!("{}: {error}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("{}: {error}", from.display()))?;
        let path = entry.path();
        let destination = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &destination)?;
        } else {
            copy(&path, &destination)?;
        }
    }
    Ok(())
}

/// The built server on a free port with a new SQLite database holding the
/// demo data. Stopped when dropped.
struct Server {
    // Fields drop in order: the process stops before its data is removed.
    _process: Running,
    base_url: String,
    _data_dir: TempDir,
}

impl Server {
    fn start(tools: &Tools) -> Result<Server> {
        let port = free_port()?;
        let data_dir = TempDir::new("e2e")?;
        let database = data_dir.path.join("e2e.db");
        let mut command = server_command(
            tools,
            &target_dir(tools).join("debug/server"),
            port,
            &format!("sqlite://{}?mode=rwc", database.display()),
        );
        command.env("SEED_DEMO", "1").env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        );
        let mut process = Running::spawn(&mut command, port)?;
        process.wait_until_healthy(Duration::from_secs(60))?;
        Ok(Server {
            _process: process,
            base_url: format!("http://127.0.0.1:{port}"),
            _data_dir: data_dir,
        })
    }
}

fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("no free port: {error}"))
}

/// The server binary run directly, with the settings cargo-leptos would give
/// it, on `port` and `database_url`. The site's files are not needed to
/// render pages.
fn server_command(tools: &Tools, binary: &Path, port: u16, database_url: &str) -> Command {
    let mut command = tools.command(&binary.to_string_lossy());
    command
        .env("LEPTOS_OUTPUT_NAME", OUTPUT_NAME)
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("LEPTOS_SITE_PKG_DIR", "pkg")
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_ENV", "PROD")
        .env("DATABASE_URL", database_url);
    command
}

/// A server process listening on `port`, killed when dropped.
struct Running {
    child: Child,
    port: u16,
}

impl Running {
    fn spawn(command: &mut Command, port: u16) -> Result<Running> {
        let child = command
            .spawn()
            .map_err(|error| format!("cannot start the server: {error}"))?;
        Ok(Running { child, port })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `/api/health` until it answers 200.
    fn wait_until_healthy(&mut self, within: Duration) -> Result {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the server stopped ({status})"));
            }
            if http::get(self.port, "/api/health", &[]).is_ok_and(|answer| answer.status == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "the server did not become healthy within {} seconds",
            within.as_secs()
        ))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new directory under the system's temporary one, removed when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new(purpose: &str) -> Result<TempDir> {
        let path = std::env::temp_dir().join(format!("runway-{purpose}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
        Ok(TempDir { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn gzipped_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .map_err(|error| format!("gzip: {error}"))?;
    if !output.status.success() {
        return Err(format!("gzip {} failed", path.display()));
    }
    Ok(output.stdout.len() as u64)
}

/// Release builds run wasm-opt, which cargo-leptos cannot download here: the
/// npm package `binaryen` ships it, installed under target/tools.
fn ensure_wasm_opt(tools: &mut Tools) -> Result {
    if output(tools.command("wasm-opt").arg("--version")).is_some() {
        return Ok(());
    }
    let prefix = tools.root.join("target/tools");
    let bin = prefix.join("node_modules/.bin");
    if !bin.join("wasm-opt").exists() {
        step("installing wasm-opt (npm package binaryen) into target/tools");
        run(tools
            .command("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("binaryen@132"))?;
    }
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(&tools.path);
    tools.path = path;
    Ok(())
}

/// What a release site needs: the tests' tools, and wasm-opt.
fn release_build_tools() -> Result<Tools> {
    let mut tools = setup_for_tests()?;
    ensure_wasm_opt(&mut tools)?;
    Ok(tools)
}

/// A file of the release bundle as a browser fetches it.
struct BundleFile {
    /// Its path in the site.
    name: String,
    raw: u64,
    gzipped: u64,
}

/// The bundle of the built `site`: the wasm, its js, and the islands loader
/// that fetches them (public/islands.js).
fn bundle_files(site: &Path) -> Result<Vec<BundleFile>> {
    // cargo-leptos names the wasm without wasm-bindgen's `_bg`.
    let wasm = [
        format!("pkg/{OUTPUT_NAME}_bg.wasm"),
        format!("pkg/{OUTPUT_NAME}.wasm"),
    ]
    .into_iter()
    .find(|name| site.join(name).exists())
    .unwrap_or_else(|| format!("pkg/{OUTPUT_NAME}_bg.wasm"));
    [
        wasm,
        format!("pkg/{OUTPUT_NAME}.js"),
        "islands.js".to_owned(),
    ]
    .into_iter()
    .map(|name| {
        let path = site.join(&name);
        let raw = std::fs::metadata(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?
            .len();
        let gzipped = gzipped_size(&path)?;
        Ok(BundleFile { name, raw, gzipped })
    })
    .collect()
}

fn size() -> Result {
    let tools = release_build_tools()?;
    // Only the browser's part: the server's release build (fat LTO) is not
    // what is measured, and takes most of the time.
    let site = build_site(&tools, SiteBuild::Release)?;
    let mut total = (0, 0);
    for file in bundle_files(&site)? {
        println!(
            "{:>22}: {:>8.1} KiB raw, {:>7.1} KiB gzip",
            file.name,
            file.raw as f64 / 1024.0,
            file.gzipped as f64 / 1024.0
        );
        total = (total.0 + file.raw, total.1 + file.gzipped);
    }
    println!(
        "{:>22}: {:>8.1} KiB raw, {:>7.1} KiB gzip",
        "wasm + js + loader",
        total.0 as f64 / 1024.0,
        total.1 as f64 / 1024.0
    );
    Ok(())
}
