//! The dashboard page as rendered, remembered (`remembered`'s pages): sent
//! again to the same viewer, at the same address, while what it shows is
//! unchanged, each time under a fresh Content-Security-Policy nonce; rendered
//! again once anything it shows changed, whoever changed it; and never one
//! viewer's page sent to another. On SQLite, which remembers no reads, the
//! dashboard is still read every request and the page is sent again only
//! for an equal one.

use crate::common::{self, CO_BRAND, CONVERSION, EMILY, MIKE, TestServer};
use entity::{key_result, user};
use migration::testing::TestDb;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The nonce a response's Content-Security-Policy allows scripts by.
fn nonce(response: &reqwest::Response) -> String {
    let policy = response
        .headers()
        .get(reqwest::header::CONTENT_SECURITY_POLICY)
        .expect("a page's policy")
        .to_str()
        .expect("a readable policy");
    policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page's policy")
        .to_owned()
}

/// `GET path` as the holder of `cookie`: its nonce and its page.
async fn page(server: &TestServer, cookie: &str, path: &str) -> (String, String) {
    let response = server.get_as(path, cookie).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let nonce = nonce(&response);
    (nonce, response.text().await.expect("the page"))
}

migration::backend_test!(
    a_dashboard_page_is_sent_again_only_while_what_it_shows_is_unchanged,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let remembered = server.remembered.clone().expect("the server's memory");
        let mike = server.sign_in_demo(MIKE).await;
        let emily = server.sign_in_demo(EMILY).await;

        // Rendered once, then sent again: the same page under a new nonce.
        let (first_nonce, first) = page(&server, &mike, "/").await;
        assert!(
            first.contains(CONVERSION),
            "{backend:?}: Mike's team's key result"
        );
        let sent = remembered.pages_sent_again();
        let (second_nonce, second) = page(&server, &mike, "/").await;
        assert_eq!(
            remembered.pages_sent_again(),
            sent + 1,
            "{backend:?}: the second page is the one remembered"
        );
        assert_ne!(
            first_nonce, second_nonce,
            "{backend:?}: a nonce is never sent twice"
        );
        assert!(
            !second.contains(&first_nonce),
            "{backend:?}: no trace of the old nonce"
        );
        assert_eq!(
            first.replace(&first_nonce, "NONCE"),
            second.replace(&second_nonce, "NONCE"),
            "{backend:?}: the page sent again is the page rendered"
        );

        // Each viewer has their own page: the admin's links are Emily's only.
        let (_, emily_page) = page(&server, &emily, "/").await;
        assert!(
            emily_page.contains(r#"href="/admin/people""#),
            "{backend:?}: Emily is an admin"
        );
        assert!(emily_page.contains("Emily Davis"));
        let (_, mike_page) = page(&server, &mike, "/").await;
        assert!(
            !mike_page.contains(r#"href="/admin/people""#),
            "{backend:?}: Mike is not"
        );
        assert!(mike_page.contains("Mike Johnson") && !mike_page.contains("Emily Davis ·"));

        // The address holds the filters: a filtered page is a page of its own.
        let corporate = common::team_named(db, "Corporate Sales").await;
        let (_, filtered) = page(&server, &mike, &format!("/?team={}", corporate.id)).await;
        assert!(
            !filtered.contains(CONVERSION),
            "{backend:?}: only Corporate Sales"
        );
        let (_, whole) = page(&server, &mike, "/").await;
        assert!(
            whole.contains(CONVERSION),
            "{backend:?}: the unfiltered page again"
        );

        // A key result renamed straight in the database, as another server
        // would: the next page shows it (on PostgreSQL, once its notice has
        // arrived), rendered again, and is then remembered in turn.
        let renamed = "Direct conversion, renamed elsewhere";
        let changes = server.okr_changes();
        key_result::Entity::update_many()
            .col_expr(key_result::Column::Title, Expr::value(renamed))
            .filter(key_result::Column::Title.eq(CONVERSION))
            .exec(db)
            .await
            .expect("rename a key result");
        server.await_okr_notice(changes).await;
        let sent = remembered.pages_sent_again();
        let (_, after) = page(&server, &mike, "/").await;
        assert!(
            after.contains(renamed) && !after.contains(CONVERSION),
            "{backend:?}: the change shows at once"
        );
        assert_eq!(
            remembered.pages_sent_again(),
            sent,
            "{backend:?}: rendered again"
        );
        let (_, again) = page(&server, &mike, "/").await;
        assert!(again.contains(renamed));
        assert_eq!(
            remembered.pages_sent_again(),
            sent + 1,
            "{backend:?}: and remembered"
        );

        // The viewer's own name changed in the database: their page too.
        let changes = server.session_changes();
        user::Entity::update_many()
            .col_expr(user::Column::Name, Expr::value("Michael Johnson"))
            .filter(user::Column::Email.eq(MIKE))
            .exec(db)
            .await
            .expect("rename Mike");
        server.await_session_notice(changes).await;
        let (_, renamed_viewer) = page(&server, &mike, "/").await;
        assert!(
            renamed_viewer.contains("Michael Johnson"),
            "{backend:?}: the header names the viewer as they are now"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_check_in_saved_through_the_server_shows_on_the_next_page,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike = server.sign_in_demo(MIKE).await;
        let shows = |page: &str| page.contains("7,321") || page.contains("7321");
        let (_, before) = page(&server, &mike, "/").await;
        let (_, remembered) = page(&server, &mike, "/").await;
        assert!(
            !shows(&before) && !shows(&remembered),
            "{backend:?}: not yet"
        );

        let kr = common::key_result_titled(db, CO_BRAND).await;
        let fields = [
            ("key_result_id", kr.id.to_string()),
            ("value", "7321".to_owned()),
            ("confidence", "2".to_owned()),
            ("note", String::new()),
            ("date", String::new()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = server.post("/api/check_in", Some(&mike), &fields).await;
        assert!(
            response.status().is_success(),
            "{backend:?}: the check-in is saved: {}",
            response.status()
        );
        let (_, after) = page(&server, &mike, "/").await;
        assert!(shows(&after), "{backend:?}: the very next page shows it");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);
