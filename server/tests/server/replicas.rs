//! Several servers on one database: periodic work that runs once per
//! period whatever the number of servers running it, and two servers
//! behind HAProxy that lose no request when one dies or both restart.

use crate::common::process::{LoadBalancer, Process, at};
use crate::common::{
    CO_BRAND, DEMO_PASSWORD, EMILY, JAMES, MIKE, TestServer, app_pool, free_port,
    key_result_titled, no_redirects, person, report,
};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::server::jobs::{self, Job};
use entity::{check_in, key_result, periodic_job};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use sea_orm::prelude::Uuid;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

migration::backend_test!(
    a_periodic_job_on_three_servers_runs_once_per_period,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        // Each run notes which server ran it and when.
        let runs: Arc<Mutex<Vec<(Uuid, chrono::NaiveDateTime)>>> = Arc::default();
        let every = Duration::from_millis(500);
        let mut servers = Vec::new();
        for _ in 0..3 {
            let runner = Uuid::new_v4();
            let runs = runs.clone();
            let job = Job::new("count", every, move |_db, now| {
                let runs = runs.clone();
                async move {
                    runs.lock().expect("the runs").push((runner, now));
                    Ok(1)
                }
            });
            // A pool of its own, as another process would have.
            let db = app_pool(&test_db.url).await;
            servers.push(tokio::spawn(jobs::run(
                db,
                vec![job],
                runner,
                Duration::from_millis(20),
            )));
        }
        let ran_for = Duration::from_secs(4);
        let started = Instant::now();
        tokio::time::sleep(ran_for).await;
        for server in &servers {
            server.abort();
        }
        let elapsed = started.elapsed();
        let mut runs = runs.lock().expect("the runs").clone();
        runs.sort_by_key(|(_, at)| *at);

        // Never twice in one period: each run at least a period after the
        // one before, whichever server ran it.
        let period = chrono::TimeDelta::from_std(every).expect("a period");
        for pair in runs.windows(2) {
            assert!(
                pair[1].1 - pair[0].1 >= period,
                "two runs within one period: {pair:?}"
            );
        }
        // And no period missed: about one run per period elapsed.
        let periods = (elapsed.as_millis() / every.as_millis()) as usize;
        assert!(
            runs.len() + 2 >= periods && runs.len() <= periods + 1,
            "{} runs in {periods} periods",
            runs.len()
        );
        let row = periodic_job::Entity::find_by_id("count".to_owned())
            .one(&test_db.db)
            .await
            .expect("read the job")
            .expect("the job's row");
        assert_eq!(row.runs as usize, runs.len(), "the row counts every run");
        let runners: std::collections::BTreeSet<Uuid> =
            runs.iter().map(|(runner, _)| *runner).collect();
        report(&format!(
            "a 500 ms job on three servers for {:.1} s ({backend:?}): {} runs, by {} of the servers",
            elapsed.as_secs_f64(),
            runs.len(),
            runners.len()
        ));
        test_db.close().await.expect("drop the test database");
    }
);

/// The cluster's servers: behind the proxy, and with room for the load
/// tests' requests under one token's rate limit.
const SERVER_ENV: &[(&str, &str)] = &[
    ("RUNWAY_BEHIND_PROXY", "1"),
    ("RUNWAY_API_REQUESTS_PER_MINUTE", "1000000"),
];

/// Two servers on one PostgreSQL database behind HAProxy, signed in as
/// Mike with an API token made through the load balancer.
struct Cluster {
    servers: Vec<(Process, u16)>,
    balancer: LoadBalancer,
    front: TestServer,
    token: String,
    dir: std::path::PathBuf,
}

impl Cluster {
    async fn start(test_db: &TestDb, name: &str) -> Cluster {
        let dir = std::env::temp_dir().join(format!("runway_{name}_{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a working directory");
        let mut servers = Vec::new();
        for index in 0..2 {
            let port = free_port();
            // One at a time: the first migrates and seeds.
            let mut process =
                Process::spawn_with(&test_db.url, port, &dir, &format!("s{index}"), SERVER_ENV);
            process.healthy(port).await;
            servers.push((process, port));
        }
        let ports: Vec<u16> = servers.iter().map(|(_, port)| *port).collect();
        let mut balancer = LoadBalancer::start(&dir, &ports);
        balancer.healthy(ports.len()).await;
        let front = at(balancer.port);
        let mike = front.sign_in_demo(MIKE).await;
        let (status, issued) = front
            .create_token(&mike, "load test", "30", Some(DEMO_PASSWORD))
            .await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let token = issued["token"].as_str().expect("a token").to_owned();
        Cluster {
            servers,
            balancer,
            front,
            token,
            dir,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("haproxy.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.servers.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_the_load_balancer_300_idempotent_check_ins_survive_a_killed_server() {
    let Some(test_db) = TestDb::empty(Backend::Postgres).await else {
        eprintln!("skipped: PostgreSQL is not configured");
        return;
    };
    let mut cluster = Cluster::start(&test_db, "lb_kill").await;
    let db = &test_db.db;
    let key_result = key_result_titled(db, CO_BRAND).await.id;
    let before = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result))
        .count(db)
        .await
        .expect("count");

    let stored = Arc::new(AtomicUsize::new(0));
    let retries = Arc::new(AtomicUsize::new(0));
    let url = cluster
        .front
        .url(&format!("/api/v1/key-results/{key_result}/check-ins"));
    let clients = (0..10).map(|client| {
        let (url, token) = (url.clone(), cluster.token.clone());
        let (stored, retries) = (stored.clone(), retries.clone());
        tokio::spawn(async move {
            let http = no_redirects();
            for n in 0..30 {
                let key = format!("lb-kill-{client}-{n}");
                let body = json!({
                    "value": format!("{}", 5000 + client * 100 + n),
                    "confidence": "green",
                    "note": key,
                });
                let started = Instant::now();
                loop {
                    let answer = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header("Idempotency-Key", &key)
                        .json(&body)
                        .send()
                        .await;
                    match answer {
                        Ok(response) if response.status().is_success() => break,
                        _ => {
                            retries.fetch_add(1, Ordering::SeqCst);
                            assert!(
                                started.elapsed() < Duration::from_secs(60),
                                "check-in {key} never stored"
                            );
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
                stored.fetch_add(1, Ordering::SeqCst);
            }
        })
    });
    let clients: Vec<_> = clients.collect();
    // Midway, one server dies without a word.
    while stored.load(Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    cluster.servers[1].0.kill();
    for client in clients {
        client.await.expect("a client");
    }
    let after = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result))
        .count(db)
        .await
        .expect("count");
    assert_eq!(
        after - before,
        300,
        "exactly 300 stored:\n{}",
        cluster.log()
    );
    report(&format!(
        "300 API check-ins through HAProxy, one of two servers killed after 100: \
         exactly {} stored, {} retries",
        after - before,
        retries.load(Ordering::SeqCst)
    ));
    drop(cluster);
    test_db.close().await.expect("drop the test database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_behind_the_load_balancer_fails_no_request() {
    let Some(test_db) = TestDb::empty(Backend::Postgres).await else {
        eprintln!("skipped: PostgreSQL is not configured");
        return;
    };
    let mut cluster = Cluster::start(&test_db, "lb_roll").await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let clients: Vec<_> = (0..4)
        .map(|client| {
            let url = cluster.front.url("/api/v1/quarters");
            let token = cluster.token.clone();
            let (stop, answered, failures) = (stop.clone(), answered.clone(), failures.clone());
            tokio::spawn(async move {
                let http = no_redirects();
                while !stop.load(Ordering::SeqCst) {
                    match http.get(&url).bearer_auth(&token).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(response) => {
                            let status = response.status();
                            let body = response.text().await.unwrap_or_default();
                            failures
                                .lock()
                                .expect("the failures")
                                .push(format!("client {client}: {status} {body}"));
                        }
                        Err(error) => failures
                            .lock()
                            .expect("the failures")
                            .push(format!("client {client}: {error}")),
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
        })
        .collect();

    let started = Instant::now();
    for index in 0..cluster.servers.len() {
        let port = cluster.servers[index].1;
        // SIGTERM: out of rotation first, then the open requests finish.
        cluster.servers[index].0.terminate();
        let exit = cluster.servers[index]
            .0
            .exit_within(Duration::from_secs(30))
            .await
            .expect("the server stops after SIGTERM");
        assert!(exit.success(), "{exit}");
        let mut replacement = Process::spawn_with(
            &test_db.url,
            port,
            &cluster.dir,
            &format!("r{index}"),
            SERVER_ENV,
        );
        replacement.healthy(port).await;
        cluster.servers[index].0 = replacement;
        // Back in rotation before the next one stops.
        cluster.balancer.healthy(2).await;
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.await.expect("a client");
    }
    let failures = failures.lock().expect("the failures").clone();
    let answered = answered.load(Ordering::SeqCst);
    report(&format!(
        "rolling restart of 2 servers behind HAProxy in {:.1} s: {answered} requests answered, {} failed",
        started.elapsed().as_secs_f64(),
        failures.len()
    ));
    assert!(answered > 100, "requests went on during the restart");
    assert!(failures.is_empty(), "{failures:#?}\n{}", cluster.log());
    drop(cluster);
    test_db.close().await.expect("drop the test database");
}

/// `update_person` of `email`'s person with `role`, the rest unchanged.
async fn set_role(
    server: &TestServer,
    admin: &str,
    db: &sea_orm::DatabaseConnection,
    email: &str,
    role: &str,
) {
    let person = person(db, email).await;
    let fields = [
        ("person_id", person.id.to_string()),
        ("name", person.name.clone()),
        ("email", person.email.clone()),
        ("team_id", person.team_id.to_string()),
        ("role", role.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let response = server
        .post("/api/update_person", Some(admin), &fields)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "make {email} {role}");
}

/// Polls `path` on `server` until its page holds `text`, for at most 5 s.
async fn shows(server: &TestServer, cookie: &str, path: &str, text: &str) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let page = server
            .get_as(path, cookie)
            .await
            .text()
            .await
            .unwrap_or_default();
        if page.contains(text) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_request_may_land_on_either_of_two_servers() {
    let Some(test_db) = TestDb::empty(Backend::Postgres).await else {
        eprintln!("skipped: PostgreSQL is not configured");
        return;
    };
    let cluster = Cluster::start(&test_db, "lb_either").await;
    let db = &test_db.db;
    let (a, b) = (at(cluster.servers[0].1), at(cluster.servers[1].1));

    // A session made on A signs in on B.
    let emily = a.sign_in_demo(EMILY).await;
    let james = a.sign_in_demo(JAMES).await;
    assert_eq!(b.get_as("/", &emily).await.status(), StatusCode::OK);

    // A check-in recorded on A shows on B.
    let key_result = key_result_titled(db, CO_BRAND).await.id;
    let note = "recorded on server A";
    let response = no_redirects()
        .post(a.url(&format!("/api/v1/key-results/{key_result}/check-ins")))
        .bearer_auth(&cluster.token)
        .json(&json!({"value": "6400", "confidence": "green", "note": note}))
        .send()
        .await
        .expect("a check-in on A");
    assert!(response.status().is_success());
    let page = format!("/kr/{key_result}");
    assert!(shows(&b, &emily, &page, note).await, "B shows A's check-in");

    // A change made in plain SQL shows on both.
    let renamed = "Co-brand sign-ups, renamed in SQL";
    key_result::Entity::update_many()
        .col_expr(key_result::Column::Title, Expr::value(renamed))
        .filter(key_result::Column::Id.eq(key_result))
        .exec(db)
        .await
        .expect("rename in SQL");
    for server in [&a, &b] {
        assert!(
            shows(server, &emily, "/", renamed).await,
            "the new title shows"
        );
    }

    // A role given on A holds on B, and so does taking it back.
    set_role(&a, &emily, db, JAMES, "admin").await;
    let made = b
        .post("/api/create_team", Some(&james), &[("name", "Cargo Sales")])
        .await;
    assert_eq!(made.status(), StatusCode::OK, "an admin now, on B");
    set_role(&a, &emily, db, JAMES, "member").await;
    let refused = b
        .post(
            "/api/create_team",
            Some(&james),
            &[("name", "Charter Sales")],
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a member again, on B"
    );

    // Signing out everywhere on A ends the session on B.
    let signed_out = a.post("/api/sign_out_everywhere", Some(&james), &[]).await;
    assert_eq!(signed_out.status(), StatusCode::OK);
    let page = b.get_as("/", &james).await;
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "B sends James to sign in"
    );

    // 200 check-ins at once over both servers: all stored.
    let before = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result))
        .count(db)
        .await
        .expect("count");
    let sent = (0..200).map(|n| {
        let server = if n % 2 == 0 { &a } else { &b };
        let token = cluster.token.clone();
        async move {
            no_redirects()
                .post(server.url(&format!("/api/v1/key-results/{key_result}/check-ins")))
                .bearer_auth(&token)
                .json(&json!({"value": format!("{}", 6500 + n), "confidence": "amber", "note": format!("at once {n}")}))
                .send()
                .await
                .map(|response| response.status())
        }
    });
    let statuses = futures_util::future::join_all(sent).await;
    assert!(
        statuses
            .iter()
            .all(|status| status.as_ref().is_ok_and(|status| status.is_success())),
        "{statuses:?}"
    );
    let after = check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result))
        .count(db)
        .await
        .expect("count");
    assert_eq!(after - before, 200);
    report(
        "two servers: a session, a check-in, a SQL change, a role given and taken, a sign-out everywhere and 200 check-ins at once all hold across them",
    );
    drop(cluster);
    test_db.close().await.expect("drop the test database");
}
