//! The load: `wrk` (Debian's package), and what its report says.

use std::process::Command;

use crate::{Result, apt_install, output, step};

pub fn ensure_installed() -> Result {
    if output(Command::new("which").arg("wrk")).is_some() {
        return Ok(());
    }
    step("installing Debian's wrk for the load");
    apt_install(&["wrk"])
}

/// A fixed load on one page, with one session or none.
pub struct Load<'a> {
    pub threads: u32,
    pub connections: u32,
    pub seconds: u32,
    pub port: u16,
    pub path: &'a str,
    pub cookie: Option<&'a str>,
}

/// What one wrk run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers other than 2xx or 3xx.
    pub failed_responses: u64,
    /// Connect, read, write and timeout errors.
    pub socket_errors: u64,
}

impl Figures {
    /// Whether every request got an answer, and a 2xx or 3xx one.
    pub fn all_succeeded(&self) -> bool {
        self.failed_responses == 0 && self.socket_errors == 0
    }

    /// Nothing when all succeeded, else what failed, for a report line.
    pub fn failures(&self) -> String {
        let mut failures = Vec::new();
        if self.failed_responses > 0 {
            failures.push(plural(self.failed_responses, "answer", "not 2xx/3xx"));
        }
        if self.socket_errors > 0 {
            failures.push(plural(
                self.socket_errors,
                "socket error",
                "(connect, read, write, timeout)",
            ));
        }
        if failures.is_empty() {
            String::new()
        } else {
            format!(" ({})", failures.join(", "))
        }
    }
}

impl Load<'_> {
    pub fn run(&self) -> Result<Figures> {
        let mut command = Command::new("wrk");
        command
            .arg(format!("-t{}", self.threads))
            .arg(format!("-c{}", self.connections))
            .arg(format!("-d{}s", self.seconds))
            .args(["--timeout", "10s", "--latency"]);
        if let Some(cookie) = self.cookie {
            command.arg("-H").arg(format!("Cookie: {cookie}"));
        }
        command.arg(format!("http://127.0.0.1:{}{}", self.port, self.path));
        let report = output(&mut command).ok_or_else(|| format!("{command:?} failed"))?;
        parse(&report).ok_or_else(|| format!("cannot read wrk's report:\n{report}"))
    }
}

fn plural(count: u64, noun: &str, rest: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("{count} {noun}{s} {rest}")
}

fn parse(report: &str) -> Option<Figures> {
    let mut requests_per_second = None;
    let (mut p50_ms, mut p99_ms) = (None, None);
    let (mut failed_responses, mut socket_errors) = (0, 0);
    for line in report.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            requests_per_second = rate.trim().parse().ok();
        } else if let Some(latency) = line.strip_prefix("50%") {
            p50_ms = milliseconds(latency.trim());
        } else if let Some(latency) = line.strip_prefix("99%") {
            p99_ms = milliseconds(latency.trim());
        } else if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            failed_responses += count.trim().parse::<u64>().ok()?;
        } else if let Some(counts) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for part in counts.split(',') {
                socket_errors += part.split_whitespace().last()?.parse::<u64>().ok()?;
            }
        }
    }
    Some(Figures {
        requests_per_second: requests_per_second?,
        p50_ms: p50_ms?,
        p99_ms: p99_ms?,
        failed_responses,
        socket_errors,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `1.01s`, `2.00m`.
fn milliseconds(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "Running 10s test @ http://127.0.0.1:40123/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    24.61ms    5.02ms  81.35ms   75.12%
    Req/Sec   652.07     61.37   790.00     70.50%
  Latency Distribution
     50%   23.90ms
     75%   26.81ms
     90%   30.43ms
     99%    1.02s
  13003 requests in 10.01s, 301.27MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   1299.06
Transfer/sec:     30.10MB
";

    #[test]
    fn the_report_gives_rate_percentiles_and_errors() {
        assert_eq!(
            parse(REPORT),
            Some(Figures {
                requests_per_second: 1299.06,
                p50_ms: 23.9,
                p99_ms: 1020.0,
                failed_responses: 4,
                socket_errors: 3,
            })
        );
    }

    #[test]
    fn microseconds_are_read() {
        assert_eq!(milliseconds("812.00us"), Some(0.812));
        assert_eq!(milliseconds("fast"), None);
    }
}
