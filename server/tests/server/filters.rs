//! Dashboard filters over real HTTP, on SQLite and PostgreSQL: team, owner,
//! at risk and stale, from the URL query, in the server-rendered page and the
//! server function alike.

use crate::common;

use app::model::Dashboard;
use common::{CONVERSION, MIKE, TestServer, key_result_titled, person, team_named};
use migration::testing::TestDb;

/// A signed-in browser's view of the server.
struct Signed {
    server: TestServer,
    session: String,
}

impl Signed {
    async fn page(&self, path: &str) -> reqwest::Response {
        self.server.get_as(path, &self.session).await
    }

    async fn dashboard(&self, query: &str) -> Dashboard {
        let response = self
            .page(&format!("/api/dashboard?quarter=2025-Q1&{query}"))
            .await;
        assert_eq!(response.status(), 200, "GET /api/dashboard?{query}");
        response.json().await.expect("a dashboard")
    }
}

fn titles(dashboard: &Dashboard) -> Vec<String> {
    dashboard.key_results().map(|kr| kr.title.clone()).collect()
}

migration::backend_test!(filters_narrow_the_dashboard, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::with_demo_sign_ins(db.clone()).await;
    let session = server.sign_in_demo(MIKE).await;
    let signed = Signed { server, session };

    // Team: only its objectives and key results, in the API and the page.
    let corporate = team_named(db, "Corporate Sales").await.id.to_string();
    let only_corporate = signed.dashboard(&format!("team={corporate}")).await;
    assert_eq!(only_corporate.teams.len(), 1);
    assert_eq!(only_corporate.teams[0].name, "Corporate Sales");
    assert_eq!(titles(&only_corporate).len(), 4);
    // The filter options still list every team, to switch back.
    assert_eq!(only_corporate.team_options.len(), 2);
    let page = signed.page(&format!("/?team={corporate}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("the page");
    assert_eq!(html.matches("class=\"key-result\"").count(), 4);
    assert!(!html.contains("Grow Direct Channel Revenue"));
    assert!(html.contains(&format!("value=\"{corporate}\" selected")));

    // Owner: only the key results they own.
    let mike = person(db, MIKE).await;
    let mikes = signed.dashboard(&format!("owner={}", mike.id)).await;
    assert_eq!(titles(&mikes).len(), 4);
    assert!(mikes.key_results().all(|kr| kr.owner_id == mike.id));

    // 2025-Q1 is over, so pace is judged on Mar 31: everything is behind and
    // stale, until a key result reaches its target on Mar 30.
    assert_eq!(titles(&signed.dashboard("at_risk=1").await).len(), 10);
    assert_eq!(titles(&signed.dashboard("stale=1").await).len(), 10);
    let conversion = key_result_titled(db, CONVERSION).await;
    let saved = signed
        .server
        .post(
            "/api/check_in",
            Some(&signed.session),
            &[
                ("key_result_id", &conversion.id.to_string()),
                ("value", "3.5"),
                ("confidence", "2"),
                ("note", "Target reached"),
                ("date", "2025-03-30"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 200);

    let at_risk = signed.dashboard("at_risk=1").await;
    assert_eq!(titles(&at_risk).len(), 9);
    assert!(!titles(&at_risk).contains(&conversion.title));
    let stale = signed.dashboard("stale=1").await;
    assert_eq!(titles(&stale).len(), 9);
    assert!(!titles(&stale).contains(&conversion.title));
    let direct = team_named(db, "Direct Channel Sales").await.id.to_string();
    let combined = signed.dashboard(&format!("at_risk=1&team={direct}")).await;
    assert_eq!(titles(&combined).len(), 5);

    // Filters that match nothing say so.
    let page = signed
        .page(&format!("/?team={corporate}&owner={}", mike.id))
        .await;
    let html = page.text().await.expect("the page");
    assert!(html.contains("No key results match these filters."));
    assert_eq!(html.matches("class=\"key-result\"").count(), 0);

    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    a_malformed_filter_is_refused_naming_it,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;
        let response = server
            .get_as("/api/dashboard?team=not-a-team", &session)
            .await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("the error");
        assert!(body.contains("\"field\":\"team\""), "{body}");
        test_db.close().await.expect("drop the test database");
    }
);
