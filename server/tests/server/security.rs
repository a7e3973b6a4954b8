//! Attacks on sign-in, tried as an attacker would: bursts of wrong
//! passwords, one limit across two server processes on one database, a
//! server whose change listener has gone silent, and the server's own log
//! searched for every secret it handled. (The flood of bad link tokens,
//! whose memory is measured, has a test binary of its own: `memory`.)

use crate::common;
use crate::common::process::{Process, at};
use crate::common::report;

use std::time::{Duration, Instant};

use common::{
    DEMO_PASSWORD, EMILY, MIKE, SARAH, TestServer, free_port, key_result_titled, person, scratch,
    status_and_json,
};
use entity::{api_token, key_result, person_role, rate_limit_hit};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;

/// Sends `attempts` wrong passwords for `email` at once, spread over
/// `servers`, and counts the answers by status.
async fn burst_of_wrong_passwords(
    servers: &[&TestServer],
    email: &str,
    attempts: usize,
) -> (usize, usize, Vec<StatusCode>) {
    let sent = (0..attempts).map(|attempt| {
        let server = servers[attempt % servers.len()];
        async move {
            let response = server
                .post_sign_in(email, &format!("wrong guess {attempt}"))
                .await;
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert!(
                    response.headers().contains_key(RETRY_AFTER),
                    "a 429 says when to try again"
                );
            }
            status
        }
    });
    let statuses = futures_util::future::join_all(sent).await;
    let unauthorized = statuses
        .iter()
        .filter(|status| **status == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|status| **status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    (unauthorized, refused, statuses)
}

/// Wrong passwords for `email` one at a time, taking turns over `servers`,
/// until one is refused: how many got 401 before that.
async fn until_refused(servers: &[&TestServer], email: &str) -> usize {
    for attempt in 0..=10 {
        let server = servers[attempt % servers.len()];
        let status = server
            .post_sign_in(email, &format!("one more guess {attempt}"))
            .await
            .status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return attempt;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    panic!("eleven more failures and still no 429");
}

migration::backend_test!(
    forty_wrong_passwords_at_once_get_at_most_ten_401s_then_429,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        let (unauthorized, refused, statuses) =
            burst_of_wrong_passwords(&[&server], MIKE, 40).await;
        assert!(
            unauthorized <= 10,
            "{unauthorized} × 401 of 40: {statuses:?}"
        );
        assert_eq!(unauthorized + refused, 40, "{statuses:?}");
        report(&format!(
            "40 wrong passwords at once ({backend:?}): {unauthorized} × 401, {refused} × 429"
        ));
        // Refused attempts are not kept: one hit per 401.
        let kept = rate_limit_hit::Entity::find()
            .filter(rate_limit_hit::Column::Bucket.eq(format!("sign-in:account:{MIKE}")))
            .count(db)
            .await
            .expect("count the hits");
        assert_eq!(kept, unauthorized as u64, "one hit per failure counted");
        // One by one from here (once the server has stopped answering
        // from memory): failures up to ten in all, then 429 for every
        // attempt, the right password included.
        tokio::time::sleep(app::server::limits::REFUSALS_REMEMBERED_FOR).await;
        let more = until_refused(&[&server], MIKE).await;
        assert_eq!(unauthorized + more, 10, "ten failures in all");
        assert_eq!(
            server.post_sign_in(MIKE, DEMO_PASSWORD).await.status(),
            StatusCode::TOO_MANY_REQUESTS
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(a_right_password_gives_its_hit_back, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::with_demo_sign_ins(db.clone()).await;
    // Nine failures, then the right password: the count stays at nine,
    // so a tenth failure is still a 401 and only the eleventh a 429.
    for attempt in 0..9 {
        let response = server
            .post_sign_in(SARAH, &format!("guess {attempt}"))
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    server.sign_in_demo(SARAH).await;
    assert_eq!(
        server.post_sign_in(SARAH, "tenth").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.post_sign_in(SARAH, DEMO_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    drop(server);
    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    two_server_processes_on_one_database_hold_one_limit,
    |backend| async move {
        let Some(test_db) = TestDb::empty(backend).await else {
            return;
        };
        let dir = scratch("two_limits");
        let (port_a, port_b) = (free_port(), free_port());
        let mut a = Process::spawn(&test_db.url, port_a, &dir, "a");
        a.healthy(port_a).await;
        let mut b = Process::spawn(&test_db.url, port_b, &dir, "b");
        b.healthy(port_b).await;
        let (server_a, server_b) = (at(port_a), at(port_b));

        // Six failures on each: twelve in all, of which ten count.
        let (unauthorized, refused, statuses) =
            burst_of_wrong_passwords(&[&server_a, &server_b], EMILY, 12).await;
        assert!(unauthorized <= 10, "{unauthorized} × 401: {statuses:?}");
        assert!(refused >= 2, "{statuses:?}");
        tokio::time::sleep(app::server::limits::REFUSALS_REMEMBERED_FOR).await;
        let more = until_refused(&[&server_a, &server_b], EMILY).await;
        assert_eq!(unauthorized + more, 10, "ten failures in all, over both");
        for server in [&server_a, &server_b] {
            assert_eq!(
                server.post_sign_in(EMILY, DEMO_PASSWORD).await.status(),
                StatusCode::TOO_MANY_REQUESTS,
                "the right password is locked out on both servers"
            );
        }
        report(&format!(
            "12 wrong passwords over two servers ({backend:?}): {unauthorized} × 401, {refused} × 429"
        ));
        drop((a, b));
        let _ = std::fs::remove_dir_all(&dir);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    creating_a_token_asks_for_the_password_again,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike = server.sign_in_demo(MIKE).await;
        for (password, says) in [("", "enter your password"), ("not it", "not your password")] {
            let (status, body) = server
                .create_token(&mike, "CRM sync", "30", Some(password))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert_eq!(body["Validation"]["field"], "password", "{body}");
            assert!(
                body["Validation"]["message"]
                    .as_str()
                    .is_some_and(|message| message.contains(says)),
                "{body}"
            );
        }
        // Without the field at all (an old form, a script with a stolen
        // cookie): refused the same way.
        let (status, body) = server.create_token(&mike, "CRM sync", "30", None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            api_token::Entity::find().count(db).await.expect("count"),
            0,
            "no token was made"
        );
        let (status, body) = server
            .create_token(&mike, "CRM sync", "30", Some(DEMO_PASSWORD))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(api_token::Entity::find().count(db).await.expect("count"), 1);
        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// Everything secret the log test handles, to look for in the log.
struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn keep(&mut self, what: &str, secret: &str) {
        assert!(secret.len() >= 8, "{what} is too short to search for");
        self.0.push((what.to_owned(), secret.to_owned()));
    }
}

/// The token of an invitation or reset link answer.
fn token_of(body: &Value, kind: &str) -> String {
    let link = body["link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {body}"));
    let (_, token) = link
        .split_once(&format!("/{kind}/"))
        .unwrap_or_else(|| panic!("a /{kind}/ link: {link}"));
    token.to_owned()
}

migration::backend_test!(
    no_secret_reaches_the_log_even_at_debug,
    |backend| async move {
        let Some(test_db) = TestDb::empty(backend).await else {
            return;
        };
        let dir = scratch("log_secrets");
        let port = free_port();
        // The most an operator would turn on: every crate at debug.
        let mut process =
            Process::spawn_with(&test_db.url, port, &dir, "logged", &[("RUST_LOG", "debug")]);
        process.healthy(port).await;
        let server = at(port);
        // The demo's own password is public (the README's) and printed at
        // start for whoever starts the demo: every other password is a secret.
        let mut secrets = Secrets(Vec::new());

        let emily = server.sign_in_demo(EMILY).await;
        secrets.keep(
            "a session token",
            emily.split_once('=').expect("a cookie").1,
        );
        let team_id = person(&test_db.db, EMILY).await.team_id.to_string();
        let (status, invited) = status_and_json(
            server
                .post(
                    "/api/invite",
                    Some(&emily),
                    &[
                        ("name", "Nora Field"),
                        ("email", "nora.field@airline.com"),
                        ("team_id", team_id.as_str()),
                        ("role", "member"),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{invited}");
        let invitation = token_of(&invited, "invite");
        secrets.keep("an invitation token", &invitation);
        // The link's page, then the link used.
        server.get(&format!("/invite/{invitation}")).await;
        let nora_password = "nora's first password";
        secrets.keep("a chosen password", nora_password);
        let accepted = server
            .post(
                "/api/accept_invite",
                None,
                &[("token", invitation.as_str()), ("password", nora_password)],
            )
            .await;
        assert_eq!(accepted.status(), StatusCode::OK);

        let mike_id = person(&test_db.db, MIKE).await.id.to_string();
        let (status, reset) = status_and_json(
            server
                .post(
                    "/api/reset_link",
                    Some(&emily),
                    &[("person_id", mike_id.as_str())],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{reset}");
        let reset_token = token_of(&reset, "reset");
        secrets.keep("a reset token", &reset_token);
        server.get(&format!("/reset/{reset_token}")).await;
        let mike_password = "mike's new password";
        secrets.keep("a reset password", mike_password);
        let redeemed = server
            .post(
                "/api/reset_password",
                None,
                &[("token", reset_token.as_str()), ("password", mike_password)],
            )
            .await;
        assert_eq!(redeemed.status(), StatusCode::OK);
        let mike = server.sign_in(MIKE, mike_password).await;
        let (status, issued) = server
            .create_token(&mike, "CRM sync", "30", Some(mike_password))
            .await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let api_token = issued["token"].as_str().expect("the token").to_owned();
        secrets.keep("an API token", &api_token);
        let quarters = server
            .client
            .get(server.url("/api/v1/quarters"))
            .bearer_auth(&api_token)
            .send()
            .await
            .expect("GET /api/v1/quarters");
        assert_eq!(quarters.status(), StatusCode::OK);
        // A wrong password and a bad token, as failures are logged too.
        server.post_sign_in(MIKE, "a wrong password guess").await;
        let bad = server
            .client
            .get(server.url("/api/v1/quarters"))
            .bearer_auth("rokr_0000000000000000000000000000000000000000000000000000000000000000")
            .send()
            .await
            .expect("GET /api/v1/quarters");
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);

        drop(process);
        let log = std::fs::read_to_string(dir.join("logged.log")).expect("the log");
        assert!(
            log.lines().count() > 20,
            "the server logged at debug:\n{log}"
        );
        for (what, secret) in &secrets.0 {
            assert!(
                !log.contains(secret.as_str()),
                "{what} is in the log:\n{}",
                log.lines()
                    .filter(|line| line.contains(secret.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        report(&format!(
            "log at debug ({backend:?}): {} lines, none with any of {} secrets",
            log.lines().count(),
            secrets.0.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        test_db.close().await.expect("drop the test database");
    }
);

/// Stops (SIGSTOP) a PostgreSQL backend for as long as it lives, and lets
/// it go on (SIGCONT) when dropped, even if the test fails.
struct Stopped(i32);

impl Stopped {
    fn signal(pid: i32, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {pid}");
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        Stopped::signal(self.0, "-CONT");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_listener_stops_remembering_within_seconds_and_writes_read_the_role() {
    use sea_orm::{ConnectionTrait, Statement};
    let Some(test_db) = TestDb::seeded(Backend::Postgres).await else {
        eprintln!("skipped: PostgreSQL is not configured");
        return;
    };
    let db = &test_db.db;
    app::server::auth::ensure_demo_sign_ins(db)
        .await
        .expect("demo sign-ins");
    let server = TestServer::serve(app::server::AppState::remembering(
        common::leptos_options(),
        db.clone(),
        app::server::auth::AuthConfig::default(),
        true,
    ))
    .await;
    let remembered = server.remembered.clone().expect("the server's memory");
    let emily = server.sign_in_demo(EMILY).await;
    let kr = key_result_titled(db, common::APAC_REVENUE).await;
    // Read once, so the dashboard and the session are remembered.
    let page = server.get_as("/", &emily).await.text().await.expect("page");
    assert!(page.contains(common::APAC_REVENUE));
    assert!(remembered.is_listening());

    // The listener's backend stops, its connection left open.
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
            [app::server::remembered::LISTENER_NAME.into()],
        ))
        .await
        .expect("find the listener")
        .expect("the listener's backend");
    let pid: i32 = row.try_get("", "pid").expect("its pid");
    Stopped::signal(pid, "-STOP");
    let stopped = Stopped(pid);

    // Renamed elsewhere (in SQL): no notice can reach the server.
    let renamed = "Increase APAC corporate revenue, renamed while nobody listened";
    key_result::Entity::update_many()
        .col_expr(key_result::Column::Title, Expr::value(renamed))
        .filter(key_result::Column::Id.eq(kr.id))
        .exec(db)
        .await
        .expect("rename in SQL");
    let changed = Instant::now();
    loop {
        let page = server.get_as("/", &emily).await.text().await.expect("page");
        if page.contains(renamed) {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(10),
            "the old title was still shown after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    report(&format!(
        "a change made while the listener was stopped showed after {} ms",
        changed.elapsed().as_millis()
    ));
    assert!(
        !remembered.is_listening(),
        "nothing is remembered meanwhile"
    );

    // Demoted in SQL: the very next write is refused, whatever was
    // remembered of her session.
    let emily_id = common::person(db, EMILY).await.id;
    person_role::Entity::update_many()
        .col_expr(person_role::Column::Role, Expr::value(domain::Role::Member))
        .filter(person_role::Column::OkrUserId.eq(emily_id))
        .exec(db)
        .await
        .expect("demote in SQL");
    let teams_before = entity::team::Entity::find().count(db).await.expect("count");
    let response = server
        .post("/api/create_team", Some(&emily), &[("name", "Cargo Sales")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        entity::team::Entity::find().count(db).await.expect("count"),
        teams_before
    );

    // Heard again: remembering starts over, with nothing from before.
    drop(stopped);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !remembered.is_listening() {
        assert!(Instant::now() < deadline, "never listening again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    db.execute_unprepared("SELECT 1").await.expect("still up");
    test_db.close().await.expect("drop the test database");
}
