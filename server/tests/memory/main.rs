//! The server's memory under a flood, measured from the kernel: its own
//! test binary, so no other test shares the machine's two cores while it
//! runs (cargo runs test binaries one after another), and the figure is
//! the server's and not the neighbours'.

// The HTTP helpers of the `server` tests; this binary uses a few of them.
#[allow(dead_code)]
#[path = "../server/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::process::{Process, at};
use common::{DEMO_PASSWORD, EMILY, MIKE, free_port, report, scratch};
use migration::testing::TestDb;
use reqwest::StatusCode;

/// How much the flood may add to the server's resident memory, in KiB.
const FLOOD_MAY_ADD_KIB: u64 = 64 * 1024;

/// A field of a process's `/proc/<pid>/status`, in KiB.
fn status_kib(process: &Process, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid()))
        .expect("the process's status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in the status"))
}

/// The most memory the process has held resident (`VmHWM`), in KiB.
fn peak_resident_kib(process: &Process) -> u64 {
    status_kib(process, "VmHWM:")
}

/// The memory it holds resident now (`VmRSS`), in KiB.
fn resident_kib(process: &Process) -> u64 {
    status_kib(process, "VmRSS:")
}

/// Starts the process's peak memory over from what it holds now (Linux's
/// `clear_refs` 5), so a later [`peak_resident_kib`] covers only what
/// happened since.
fn reset_peak(process: &Process) {
    std::fs::write(format!("/proc/{}/clear_refs", process.pid()), "5")
        .expect("reset the peak resident memory");
}

/// How many bad link tokens the flood sends at once.
const FLOOD: usize = 500;

migration::backend_test!(
    a_flood_of_bad_link_tokens_costs_no_memory_and_sign_in_still_works,
    |backend| async move {
        let Some(test_db) = TestDb::empty(backend).await else {
            return;
        };
        let dir = scratch("link_flood");
        let port = free_port();
        let mut process = Process::spawn(&test_db.url, port, &dir, "flood");
        process.healthy(port).await;
        let server = at(port);
        // Warm: the first sign-in (a hash), and every page's code paged in.
        server.sign_in_demo(MIKE).await;
        let start_peak_kib = peak_resident_kib(&process);
        reset_peak(&process);
        let before_kib = resident_kib(&process);

        let started = Instant::now();
        let flood = (0..FLOOD).map(|attempt| {
            let server = &server;
            async move {
                let endpoint = if attempt % 2 == 0 {
                    "/api/accept_invite"
                } else {
                    "/api/reset_password"
                };
                let token = format!("{attempt:064x}");
                server
                    .post(
                        endpoint,
                        None,
                        &[("token", token.as_str()), ("password", "aaaaaaaa")],
                    )
                    .await
                    .status()
            }
        });
        let signing_in = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            server.post_sign_in(EMILY, DEMO_PASSWORD).await.status()
        };
        let (statuses, sign_in) = tokio::join!(futures_util::future::join_all(flood), signing_in);
        let took = started.elapsed();
        let peak_kib = peak_resident_kib(&process);

        assert_eq!(sign_in, StatusCode::OK, "a real sign-in meanwhile succeeds");
        let count =
            |wanted: StatusCode| statuses.iter().filter(|status| **status == wanted).count();
        let (expired, refused, shed) = (
            count(StatusCode::UNPROCESSABLE_ENTITY),
            count(StatusCode::TOO_MANY_REQUESTS),
            count(StatusCode::SERVICE_UNAVAILABLE),
        );
        assert_eq!(refused + expired + shed, FLOOD, "{statuses:?}");
        assert!(expired <= 10, "at most ten failures per address: {expired}");
        report(&format!(
            "{FLOOD} bad link tokens at once ({backend:?}): {expired} × 422, {refused} × 429, \
             {shed} × 503 in {} ms; \
             peak resident {:.1} MiB during the flood, from {:.1} MiB before it \
             (start-up peak {:.1} MiB)",
            took.as_millis(),
            peak_kib as f64 / 1024.0,
            before_kib as f64 / 1024.0,
            start_peak_kib as f64 / 1024.0,
        ));
        // What the flood may add to what the server held before it: the
        // real sign-in's password hash (32 MiB) and the requests in flight.
        // A server that held each refused request's body or work would
        // grow by far more (the flood took gigabytes). Bounded by
        // the growth, not by a total: a debug build's own size (some
        // 60 MiB before the flood) moves with every change to the code.
        assert!(
            peak_kib < before_kib + FLOOD_MAY_ADD_KIB,
            "the server held {peak_kib} KiB during the flood, from {before_kib} KiB before it"
        );
        drop(process);
        let _ = std::fs::remove_dir_all(&dir);
        test_db.close().await.expect("drop the test database");
    }
);
