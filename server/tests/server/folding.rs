//! A quarter too large for one page, over real HTTP on SQLite and
//! PostgreSQL: the viewer's team first and in full, the other teams folded
//! with a link to their own dashboard, and `/dashboard/team` rendering a
//! folded team's rows for the page's script.

use crate::common;

use chrono::Utc;
use common::{MIKE, TestServer, person, team_named};
use entity::{key_result, objective, quarter, team};
use migration::testing::TestDb;
use rust_decimal::Decimal;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

const EXTRA_TEAMS: usize = 12;
const OBJECTIVES_PER_TEAM: usize = 2;
const KEY_RESULTS_PER_OBJECTIVE: usize = 11;

/// Adds `EXTRA_TEAMS` teams to 2025-Q1, each with its objectives and key
/// results (264 key results: with the demo's 10, past the fold), owned by
/// `owner`. Returns the teams' ids, in order.
async fn add_division(db: &sea_orm::DatabaseConnection, owner: Uuid) -> Vec<Uuid> {
    let quarter = quarter::Entity::find()
        .filter(quarter::Column::Label.eq("2025-Q1"))
        .one(db)
        .await
        .expect("read the quarter")
        .expect("the demo's 2025-Q1");
    let now = Utc::now().naive_utc();
    let mut teams = Vec::new();
    let mut objectives = Vec::new();
    let mut key_results = Vec::new();
    for t in 0..EXTRA_TEAMS {
        let team_id = Uuid::new_v4();
        teams.push(team::ActiveModel {
            id: Set(team_id),
            name: Set(format!("Division team {t:02}")),
            organization_id: Set(None),
            archived: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        });
        for o in 0..OBJECTIVES_PER_TEAM {
            let objective_id = Uuid::new_v4();
            objectives.push(objective::ActiveModel {
                id: Set(objective_id),
                title: Set(format!("Division objective {t:02}.{o}")),
                team_id: Set(team_id),
                quarter_id: Set(quarter.id),
                owner_id: Set(owner),
                organization_id: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
            for k in 0..KEY_RESULTS_PER_OBJECTIVE {
                key_results.push(key_result::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    title: Set(format!("Division key result {t:02}.{o}.{k:02}")),
                    objective_id: Set(objective_id),
                    owner_id: Set(owner),
                    unit: Set(domain::Unit::Count),
                    direction: Set(domain::Direction::Up),
                    start_value: Set(Decimal::ZERO),
                    target_value: Set(Decimal::from(100)),
                    current_value: Set(Decimal::from(k as i64 * 5)),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
    }
    let ids = teams.iter().map(|team| *team.id.as_ref()).collect();
    team::Entity::insert_many(teams)
        .exec(db)
        .await
        .expect("add the teams");
    objective::Entity::insert_many(objectives)
        .exec(db)
        .await
        .expect("add the objectives");
    key_result::Entity::insert_many(key_results)
        .exec(db)
        .await
        .expect("add the key results");
    ids
}

/// `href="…"`'s value in `html` after `marker`, `&amp;` decoded.
fn attribute_after(html: &str, marker: &str, name: &str) -> String {
    let rest = &html[html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in the page"))..];
    let start = rest.find(&format!("{name}=\"")).expect("the attribute") + name.len() + 2;
    let end = start + rest[start..].find('"').expect("its end");
    rest[start..end].replace("&amp;", "&")
}

migration::backend_test!(
    a_large_quarter_shows_your_team_and_folds_the_others,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let session = server.sign_in_demo(MIKE).await;
        let mike = person(db, MIKE).await;
        let own_team = team_named(db, "Direct Channel Sales").await;

        // The demo quarter is small: every team in full.
        let page = server.get_as("/?quarter=2025-Q1", &session).await;
        let html = page.text().await.expect("the page");
        assert!(
            !html.contains("team team-folded"),
            "a small quarter folds nothing"
        );
        assert!(!html.contains("/dashboard.js"));

        let division = add_division(db, mike.id).await;
        let page = server.get_as("/?quarter=2025-Q1", &session).await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("the page");

        // Mike's own team comes first, in full.
        let first_team = html.find("class=\"team-name\">").expect("a team section");
        let own_header = html
            .find(&format!("class=\"team-name\">{}</h2>", own_team.name))
            .expect("his team");
        assert_eq!(first_team, own_header, "his team is first");
        assert!(html.contains("Increase direct booking conversion rate from 2.8% to 3.5%"));
        // Every other team is folded: its header, not its rows.
        let teams_in_quarter = html.matches("<section class=\"team").count();
        assert_eq!(
            html.matches("class=\"team team-folded\"").count(),
            teams_in_quarter - 1
        );
        assert!(html.contains(">Division team 07</h2>"));
        assert!(
            !html.contains("Division key result"),
            "folded teams' rows are not in the page"
        );
        assert!(!html.contains("Sign 25 new corporate accounts"));
        assert!(html.contains("2 objectives · 22 key results"));
        assert!(html.contains("<script type=\"module\" src=\"/dashboard.js\"></script>"));
        // The quarter's figures still count every key result.
        assert!(html.contains("274 key results in"));

        // Without JavaScript: the team's own dashboard, in full.
        let team = division[3];
        let section = "class=\"team-name\">Division team 03</h2>";
        let link = attribute_after(&html, section, "href");
        assert_eq!(link, format!("/?quarter=2025-Q1&team={team}"));
        let alone = server
            .get_as(&link, &session)
            .await
            .text()
            .await
            .expect("the page");
        assert!(!alone.contains("team team-folded"));
        assert_eq!(alone.matches("class=\"key-result\"").count(), 22);
        assert!(alone.contains("Division key result 03.1.10"));

        // With it: the folded team's rows, as the page would render them.
        let rows_url = attribute_after(&html, section, "data-rows");
        assert_eq!(
            rows_url,
            format!("/dashboard/team?quarter=2025-Q1&team={team}")
        );
        let rows = server.get_as(&rows_url, &session).await;
        assert_eq!(rows.status(), 200);
        assert_eq!(rows.headers()["content-type"], "text/html; charset=utf-8");
        assert_eq!(rows.headers()["cache-control"], "no-store");
        let rows = rows.text().await.expect("the rows");
        assert!(!rows.contains("<html"), "a fragment, not a page");
        assert_eq!(rows.matches("class=\"key-result\"").count(), 22);
        assert!(rows.contains("Division key result 03.0.00"));
        assert!(!rows.contains("Division key result 04."), "only that team");

        // The filters carry over: at risk narrows the folded team's rows too.
        let filtered = server.get_as("/?quarter=2025-Q1&stale=1", &session).await;
        let filtered = filtered.text().await.expect("the page");
        let filtered_rows = attribute_after(&filtered, section, "data-rows");
        assert_eq!(
            filtered_rows,
            format!("/dashboard/team?quarter=2025-Q1&team={team}&stale=1")
        );

        // What another client gets.
        let signed_out = common::no_redirects()
            .get(server.url(&rows_url))
            .send()
            .await
            .expect("GET without a session");
        // Like every page: sent to sign in, and nothing read.
        assert_eq!(signed_out.status(), 303);
        assert!(common::location(&signed_out).starts_with("/sign-in"));
        let no_team = server
            .get_as("/dashboard/team?quarter=2025-Q1", &session)
            .await;
        assert_eq!(no_team.status(), 422);
        assert!(no_team.text().await.expect("the error").contains("team"));
        let malformed = server
            .get_as("/dashboard/team?quarter=2025-Q1&team=nope", &session)
            .await;
        assert_eq!(malformed.status(), 422);
        let nobody = Uuid::new_v4();
        let unknown = server
            .get_as(
                &format!("/dashboard/team?quarter=2025-Q1&team={team}&owner={nobody}"),
                &session,
            )
            .await;
        assert_eq!(unknown.status(), 200);
        assert!(
            unknown
                .text()
                .await
                .expect("the rows")
                .contains("No key results match")
        );

        test_db.close().await.expect("drop the test database");
    }
);
