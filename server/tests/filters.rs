//! Dashboard filters over real HTTP, on SQLite and PostgreSQL: team, owner,
//! at risk and stale, from the URL query, in the server-rendered page and the
//! server function alike.

mod common;

use app::model::Dashboard;
use common::TestServer;
use entity::{key_result, okr_user, team};
use migration::testing::TestDb;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

async fn team_id(db: &DatabaseConnection, name: &str) -> String {
    team::Entity::find()
        .filter(team::Column::Name.eq(name))
        .one(db)
        .await
        .expect("query")
        .expect("the seeded team")
        .id
        .to_string()
}

async fn person(db: &DatabaseConnection, name: &str) -> okr_user::Model {
    okr_user::Entity::find()
        .filter(okr_user::Column::Name.eq(name))
        .one(db)
        .await
        .expect("query")
        .expect("the seeded person")
}

async fn dashboard(server: &TestServer, query: &str) -> Dashboard {
    let response = server
        .get(&format!("/api/dashboard?quarter=2025-Q1&{query}"))
        .await;
    assert_eq!(response.status(), 200, "GET /api/dashboard?{query}");
    response.json().await.expect("a dashboard")
}

fn titles(dashboard: &Dashboard) -> Vec<String> {
    dashboard.key_results().map(|kr| kr.title.clone()).collect()
}

migration::backend_test!(filters_narrow_the_dashboard, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::start(db.clone()).await;

    // Team: only its objectives and key results, in the API and the page.
    let corporate = team_id(db, "Corporate Sales").await;
    let only_corporate = dashboard(&server, &format!("team={corporate}")).await;
    assert_eq!(only_corporate.teams.len(), 1);
    assert_eq!(only_corporate.teams[0].name, "Corporate Sales");
    assert_eq!(titles(&only_corporate).len(), 4);
    // The filter options still list every team, to switch back.
    assert_eq!(only_corporate.team_options.len(), 2);
    let page = server.get(&format!("/?team={corporate}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("the page");
    assert_eq!(html.matches("data-testid=\"key-result\"").count(), 4);
    assert!(!html.contains("Grow Direct Channel Revenue"));
    assert!(html.contains(&format!("value=\"{corporate}\" selected")));

    // Owner: only the key results they own.
    let mike = person(db, "Mike Johnson").await;
    let mikes = dashboard(&server, &format!("owner={}", mike.id)).await;
    assert_eq!(titles(&mikes).len(), 4);
    assert!(mikes.key_results().all(|kr| kr.owner_id == mike.id));

    // 2025-Q1 is over, so pace is judged on Mar 31: everything is behind and
    // stale, until a key result reaches its target on Mar 30.
    assert_eq!(titles(&dashboard(&server, "at_risk=1").await).len(), 10);
    assert_eq!(titles(&dashboard(&server, "stale=1").await).len(), 10);
    let conversion = key_result::Entity::find()
        .filter(key_result::Column::Title.starts_with("Increase direct booking"))
        .one(db)
        .await
        .expect("query")
        .expect("the seeded key result");
    let saved = server
        .client
        .post(server.url("/api/check_in"))
        .header("Accept", "application/json")
        .form(&[
            ("key_result_id", conversion.id.to_string()),
            ("value", "3.5".into()),
            ("confidence", "2".into()),
            ("note", "Target reached".into()),
            ("author_id", mike.id.to_string()),
            ("date", "2025-03-30".into()),
        ])
        .send()
        .await
        .expect("POST /api/check_in");
    assert_eq!(saved.status(), 200);

    let at_risk = dashboard(&server, "at_risk=1").await;
    assert_eq!(titles(&at_risk).len(), 9);
    assert!(!titles(&at_risk).contains(&conversion.title));
    let stale = dashboard(&server, "stale=1").await;
    assert_eq!(titles(&stale).len(), 9);
    assert!(!titles(&stale).contains(&conversion.title));
    let direct = team_id(db, "Direct Channel Sales").await;
    let combined = dashboard(&server, &format!("at_risk=1&team={direct}")).await;
    assert_eq!(titles(&combined).len(), 5);

    // Filters that match nothing say so.
    let page = server
        .get(&format!("/?team={corporate}&owner={}", mike.id))
        .await;
    let html = page.text().await.expect("the page");
    assert!(html.contains("No key results match these filters."));
    assert_eq!(html.matches("data-testid=\"key-result\"").count(), 0);

    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    a_malformed_filter_is_refused_naming_it,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::start(test_db.db.clone()).await;
        let response = server.get("/api/dashboard?team=not-a-team").await;
        assert_eq!(response.status(), 422);
        let body = response.text().await.expect("the error");
        assert!(body.contains("\"field\":\"team\""), "{body}");
        test_db.close().await.expect("drop the test database");
    }
);
