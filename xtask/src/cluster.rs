//! `cargo xtask cluster [--replicas N] [--port P]`: N servers on one
//! PostgreSQL database behind HAProxy (Debian's package, installed like
//! Chromium), with `deploy/haproxy.cfg` as its configuration. Runs until
//! Ctrl-C. The database is `RUNWAY_CLUSTER_DATABASE_URL`, else
//! `runway_cluster` on the local PostgreSQL server (created if missing).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::{Result, Running, free_port, output, run, server_command, setup, step};

const HAPROXY: &str = "/usr/sbin/haproxy";
const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

pub fn ensure_haproxy() -> Result {
    if Path::new(HAPROXY).exists() {
        return Ok(());
    }
    step("installing Debian's HAProxy for the load-balanced tests and `cargo xtask cluster`");
    super::apt_install(&["haproxy"])
}

/// `deploy/haproxy.cfg` with its `bind` line on `port` and one `server`
/// line per port in `servers`.
pub fn haproxy_config(sample: &str, port: u16, servers: &[u16]) -> String {
    let mut config = String::new();
    for line in sample.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("server ") {
            continue;
        }
        if trimmed.starts_with("bind ") {
            config.push_str(&format!("    bind 127.0.0.1:{port}\n"));
            continue;
        }
        config.push_str(line);
        config.push('\n');
    }
    for (index, server) in servers.iter().enumerate() {
        config.push_str(&format!(
            "    server s{} 127.0.0.1:{server} check\n",
            index + 1
        ));
    }
    config
}

fn flag(args: &[String], name: &str, default: u16) -> Result<u16> {
    match args.iter().position(|arg| arg == name) {
        None => Ok(default),
        Some(at) => args
            .get(at + 1)
            .and_then(|value| value.parse().ok())
            .filter(|value| *value > 0)
            .ok_or_else(|| format!("{name} takes a positive number")),
    }
}

pub fn cluster(args: Vec<String>) -> Result {
    let replicas = flag(&args, "--replicas", 2)?;
    let port = flag(&args, "--port", 8080)?;
    let tools = setup()?;
    ensure_haproxy()?;

    let url = match std::env::var("RUNWAY_CLUSTER_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            // Created once; "already exists" afterwards is fine.
            let _ = output(Command::new("psql").args([
                &format!("{LOCAL_POSTGRES}/postgres"),
                "-c",
                "CREATE DATABASE runway_cluster",
            ]));
            format!("{LOCAL_POSTGRES}/runway_cluster")
        }
    };

    step("building the app");
    run(tools.cargo().args(["leptos", "build"]))?;
    let binary = tools.root.join("target/debug/server");

    let mut servers = Vec::new();
    let mut ports = Vec::new();
    for replica in 1..=replicas {
        let server_port = free_port()?;
        step(&format!(
            "server {replica} of {replicas} on 127.0.0.1:{server_port}"
        ));
        let mut command = server_command(&tools, &binary, server_port, &url);
        command
            .env("SEED_DEMO", "1")
            .env("RUNWAY_BEHIND_PROXY", "1")
            .env("RUNWAY_PUBLIC_URL", format!("http://127.0.0.1:{port}"));
        let mut server = Running::spawn(&mut command, server_port)?;
        // One at a time: the first migrates and seeds, the others find it done.
        server.wait_until_healthy(Duration::from_secs(120))?;
        servers.push(server);
        ports.push(server_port);
    }

    let sample = std::fs::read_to_string(tools.root.join("deploy/haproxy.cfg"))
        .map_err(|error| format!("cannot read deploy/haproxy.cfg: {error}"))?;
    let dir = tools.root.join("target/cluster");
    std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {dir:?}: {error}"))?;
    let config = dir.join("haproxy.cfg");
    std::fs::write(&config, haproxy_config(&sample, port, &ports))
        .map_err(|error| format!("cannot write {config:?}: {error}"))?;
    step(&format!(
        "HAProxy on http://127.0.0.1:{port} over {replicas} servers ({}); Ctrl-C to stop",
        config.display()
    ));
    println!("    sign in as emily.davis@airline.com with the password runway-demo");
    let outcome = run(Command::new(HAPROXY).arg("-db").arg("-f").arg(&config));
    drop(servers);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_config_gets_the_local_ports() {
        let sample = "defaults\n    mode http\nfrontend f\n    bind 10.0.0.1:443\nbackend b\n    server s1 10.0.0.2:3000 check\n    server s2 10.0.0.3:3000 check\n";
        let config = haproxy_config(sample, 8080, &[4001, 4002, 4003]);
        assert!(config.contains("    bind 127.0.0.1:8080\n"));
        assert!(!config.contains("10.0.0"));
        assert!(config.contains("    server s3 127.0.0.1:4003 check\n"));
        assert!(config.contains("    mode http\n"));
    }
}
