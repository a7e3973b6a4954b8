//! The real server binary as a child process: its environment, its log,
//! waiting for it to be healthy, and ending it the hard way.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::TestServer;

/// The server listening on `127.0.0.1:port` (another process), through the
/// shared helpers.
pub fn at(port: u16) -> TestServer {
    TestServer::running(
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        tokio::spawn(async {}),
    )
}

/// The server binary on `url` and `port`, logging to `dir/<name>.log`, with
/// `dir` as its working directory (so no `.env` is read). Killed when
/// dropped.
pub struct Process {
    pub child: Child,
    log: PathBuf,
}

impl Process {
    /// With the demo seed and `RUST_LOG=info`.
    pub fn spawn(url: &str, port: u16, dir: &Path, name: &str) -> Process {
        Process::spawn_with(url, port, dir, name, &[])
    }

    /// As [`Process::spawn`], with `env` set besides (or instead of) those.
    pub fn spawn_with(
        url: &str,
        port: u16,
        dir: &Path,
        name: &str,
        env: &[(&str, &str)],
    ) -> Process {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("a log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "runway-okr")
            .env("SEED_DEMO", "1")
            .env("RUST_LOG", "info");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file"))
            .stderr(file)
            .spawn()
            .expect("start the server binary");
        Process { child, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM: stop as in a rolling restart.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}", self.pid());
    }

    /// SIGKILL: no cleanup of any kind.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Polls `/api/health` until 200 and says how long that took; panics
    /// with the log if the process exits or `bound` passes.
    pub async fn healthy_within(&mut self, port: u16, bound: Duration) -> Duration {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client");
        let started = Instant::now();
        loop {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("the server exited ({exit}):\n{}", self.log());
            }
            if let Ok(response) = client
                .get(format!("http://127.0.0.1:{port}/api/health"))
                .send()
                .await
                && response.status() == StatusCode::OK
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < bound,
                "not healthy within {} s:\n{}",
                bound.as_secs(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for `/api/health` to answer 200 within a minute.
    pub async fn healthy(&mut self, port: u16) {
        self.healthy_within(port, Duration::from_secs(60)).await;
    }

    /// How it ended, if it did within `bound`.
    pub async fn exit_within(&mut self, bound: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < bound {
            if let Ok(Some(exit)) = self.child.try_wait() {
                return Some(exit);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// HAProxy (Debian's package) on a free port in front of servers, with
/// `deploy/haproxy.cfg` as its configuration. Killed when dropped.
pub struct LoadBalancer {
    child: Child,
    pub port: u16,
}

const HAPROXY: &str = "/usr/sbin/haproxy";

impl LoadBalancer {
    pub fn start(dir: &Path, servers: &[u16]) -> LoadBalancer {
        assert!(
            Path::new(HAPROXY).exists(),
            "HAProxy is missing: `cargo xtask setup` installs it (apt-get install haproxy)"
        );
        let port = super::free_port();
        let sample = include_str!("../../../../deploy/haproxy.cfg");
        let mut config = String::new();
        for line in sample.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("server ") {
                continue;
            }
            if trimmed.starts_with("bind ") {
                config.push_str(&format!("    bind 127.0.0.1:{port}\n"));
            } else {
                config.push_str(line);
                config.push('\n');
            }
        }
        for (index, server) in servers.iter().enumerate() {
            config.push_str(&format!("    server s{index} 127.0.0.1:{server} check\n"));
        }
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, config).expect("write the HAProxy configuration");
        let log = std::fs::File::create(dir.join("haproxy.log")).expect("a log file");
        let child = Command::new(HAPROXY)
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .expect("start HAProxy");
        LoadBalancer { child, port }
    }

    /// Waits until every server is up behind it: as many answers in a row
    /// from `/api/health` as there are servers, each 200.
    pub async fn healthy(&mut self, servers: usize) {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client");
        let started = Instant::now();
        let mut in_a_row = 0;
        while in_a_row < servers * 4 {
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("HAProxy exited ({exit})");
            }
            let ok = client
                .get(format!("http://127.0.0.1:{}/api/health", self.port))
                .send()
                .await
                .is_ok_and(|response| response.status() == StatusCode::OK);
            in_a_row = if ok { in_a_row + 1 } else { 0 };
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the load balancer never became healthy"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Long enough for its checks (every 500 ms, two to rise) to see a
        // server that came back.
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
