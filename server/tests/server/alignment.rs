//! Alignment over real HTTP, on SQLite and PostgreSQL: the demo's company
//! objectives with team objectives aligned to them; aligning and
//! unaligning by leads (their own team's) and admins (any); each refusal,
//! naming the field `parent` and changing nothing; a deleted parent leaving
//! its supporters unaligned; company objectives for admins only; and the
//! same aligned figure on the dashboard, the review and the tree page.

use crate::common;

use chrono::Utc;
use common::{APAC_REVENUE, EMILY, World, key_result_titled, person, status_and_json, team_named};
use domain::rules;
use entity::{check_in, objective, objective_alignment, quarter};
use reqwest::StatusCode;
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

const DIRECT_REVENUE: &str = "Grow Direct Channel Revenue";
const LOYALTY: &str = "Increase Loyalty Co-brand Revenue";
const APAC_SALES: &str = "Expand Corporate Sales in APAC";
const SHARE: &str = "Grow direct revenue share to 55%";
const HOME_MARKET: &str = "Make APAC our second home market";

async fn titled(db: &DatabaseConnection, title: &str) -> objective::Model {
    objective::Entity::find()
        .filter(objective::Column::Title.eq(title))
        .one(db)
        .await
        .expect("read objectives")
        .unwrap_or_else(|| panic!("no objective {title:?}"))
}

/// Every alignment row: (child, parent objective, parent key result).
async fn alignments(db: &DatabaseConnection) -> Vec<(Uuid, Uuid, Option<Uuid>)> {
    objective_alignment::Entity::find()
        .order_by_asc(objective_alignment::Column::ObjectiveId)
        .all(db)
        .await
        .expect("read alignments")
        .into_iter()
        .map(|row| {
            (
                row.objective_id,
                row.parent_objective_id,
                row.parent_key_result_id,
            )
        })
        .collect()
}

async fn parent_of(db: &DatabaseConnection, child: Uuid) -> Option<(Uuid, Option<Uuid>)> {
    objective_alignment::Entity::find_by_id(child)
        .one(db)
        .await
        .expect("read the alignment")
        .map(|row| (row.parent_objective_id, row.parent_key_result_id))
}

/// The demo's company objectives, through the writers, as `SEED_DEMO` adds
/// them to a fresh database.
async fn with_company(world: &World) {
    let added =
        app::server::commands::alignment::seed_demo_company(world.db(), Utc::now().naive_utc())
            .await
            .expect("the demo's company objectives");
    assert!(added, "the demo's company objectives were added");
    // Twice adds nothing.
    let again =
        app::server::commands::alignment::seed_demo_company(world.db(), Utc::now().naive_utc())
            .await
            .expect("the second time");
    assert!(!again);
}

/// The demo's objectives the tests align: three team objectives and the
/// two company objectives they support.
struct Demo {
    direct: objective::Model,
    loyalty: objective::Model,
    apac: objective::Model,
    share: objective::Model,
    home: objective::Model,
}

impl Demo {
    /// A seeded world with the demo's company objectives, and its objectives.
    async fn start(backend: migration::testing::Backend) -> Option<(World, Demo)> {
        let world = World::start(backend).await?;
        with_company(&world).await;
        let db = world.db();
        let demo = Demo {
            direct: titled(db, DIRECT_REVENUE).await,
            loyalty: titled(db, LOYALTY).await,
            apac: titled(db, APAC_SALES).await,
            share: titled(db, SHARE).await,
            home: titled(db, HOME_MARKET).await,
        };
        Some((world, demo))
    }
}

impl World {
    /// `POST /api/align_objective` as `cookie`: its status and JSON.
    async fn align(&self, cookie: &str, child: Uuid, parent: &str) -> (StatusCode, Value) {
        let child = child.to_string();
        let response = self
            .server
            .post(
                "/api/align_objective",
                Some(cookie),
                &[("id", child.as_str()), ("parent", parent)],
            )
            .await;
        status_and_json(response).await
    }

    /// An alignment that must be saved; on PostgreSQL, after the change
    /// notice has reached the server (which remembers dashboards).
    async fn aligned(&self, cookie: &str, child: Uuid, parent: &str) {
        let before = self.server.okr_changes();
        let (status, body) = self.align(cookie, child, parent).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "align {child} to {parent:?}: {body}"
        );
        self.server.await_okr_notice(before).await;
    }

    /// An alignment that must be refused with `status`, naming `parent`
    /// (for a 422) with words that contain `says`, changing no row.
    async fn refused_alignment(
        &self,
        cookie: &str,
        child: Uuid,
        parent: &str,
        status: StatusCode,
        says: &str,
    ) {
        let before = alignments(self.db()).await;
        let (got, body) = self.align(cookie, child, parent).await;
        assert_eq!(got, status, "align {child} to {parent:?}: {body}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            let field = &body["Validation"]["field"];
            assert!(
                field == "parent" || field == "quarter_id",
                "{parent:?}: {body}"
            );
        }
        assert!(
            body.to_string().contains(says),
            "{parent:?}: expected {says:?} in {body}"
        );
        assert_eq!(
            alignments(self.db()).await,
            before,
            "{parent:?} changed rows"
        );
    }

    async fn page(&self, path: &str, cookie: &str) -> String {
        let response = self.server.get_as(path, cookie).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("the page")
    }
}

fn objective_choice(id: Uuid) -> String {
    format!("objective:{id}")
}

migration::backend_test!(
    leads_align_their_own_teams_objectives_and_admins_any,
    |backend| async move {
        let Some((
            world,
            Demo {
                direct,
                loyalty,
                apac,
                share,
                home,
                ..
            },
        )) = Demo::start(backend).await
        else {
            return;
        };
        let db = world.db();
        let company = team_named(db, "Company").await;
        assert_eq!(share.team_id, company.id);
        assert_eq!(
            alignments(db).await.len(),
            3,
            "the demo aligns its three team objectives"
        );
        assert_eq!(parent_of(db, direct.id).await, Some((share.id, None)));
        assert_eq!(parent_of(db, loyalty.id).await, Some((share.id, None)));
        assert_eq!(parent_of(db, apac.id).await, Some((home.id, None)));

        // Sarah, Direct Channel Sales' lead, unaligns her objective: the
        // dashboard no longer says what it supports.
        let dashboard = "/?quarter=2025-Q1";
        let supports = format!(
            "Supports: <a href=\"/quarters/2025-Q1/alignment#objective-{}\">",
            share.id
        );
        assert!(
            world
                .page(dashboard, &world.sarah)
                .await
                .contains(&supports)
        );
        world.aligned(&world.sarah, direct.id, "").await;
        assert_eq!(parent_of(db, direct.id).await, None);
        assert_eq!(parent_of(db, loyalty.id).await, Some((share.id, None)));

        // ... aligns it to another team's key result, then to the company
        // objective again.
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        world
            .aligned(
                &world.sarah,
                direct.id,
                &format!("key_result:{}", revenue.id),
            )
            .await;
        assert_eq!(
            parent_of(db, direct.id).await,
            Some((apac.id, Some(revenue.id)))
        );
        let page = world.page(dashboard, &world.sarah).await;
        assert!(
            page.contains(&format!(
                "#objective-{}\">Corporate Sales · {APAC_REVENUE}</a>",
                apac.id
            )),
            "the dashboard says it supports the key result"
        );
        world
            .aligned(&world.sarah, direct.id, &objective_choice(share.id))
            .await;
        assert_eq!(parent_of(db, direct.id).await, Some((share.id, None)));
        assert!(
            world
                .page(dashboard, &world.sarah)
                .await
                .contains(&supports)
        );

        // Not another team's objective; a member none at all.
        world
            .refused_alignment(
                &world.sarah,
                apac.id,
                &objective_choice(share.id),
                StatusCode::FORBIDDEN,
                "own team",
            )
            .await;
        world
            .refused_alignment(&world.mike, direct.id, "", StatusCode::FORBIDDEN, "plan")
            .await;
        // Signed out: nothing.
        let (status, _) = status_and_json(
            world
                .server
                .post(
                    "/api/align_objective",
                    None,
                    &[("id", &apac.id.to_string()), ("parent", "")],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(parent_of(db, apac.id).await, Some((home.id, None)));

        // The admin aligns any team's.
        world
            .aligned(&world.emily, apac.id, &objective_choice(share.id))
            .await;
        assert_eq!(parent_of(db, apac.id).await, Some((share.id, None)));
        world.test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    each_refusal_names_the_parent_and_changes_nothing,
    |backend| async move {
        let Some((
            world,
            Demo {
                direct,
                loyalty,
                share,
                ..
            },
        )) = Demo::start(backend).await
        else {
            return;
        };
        let db = world.db();
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

        // Itself, and one of its own key results.
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &objective_choice(direct.id),
                unprocessable,
                "itself",
            )
            .await;
        let own_key_result = entity::key_result::Entity::find()
            .filter(entity::key_result::Column::ObjectiveId.eq(direct.id))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &format!("key_result:{}", own_key_result.id),
                unprocessable,
                "itself",
            )
            .await;
        // Its own team's objective.
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &objective_choice(loyalty.id),
                unprocessable,
                "own",
            )
            .await;
        // A cycle: the company objective under an objective that supports it.
        world
            .refused_alignment(
                &world.emily,
                share.id,
                &objective_choice(direct.id),
                unprocessable,
                "cycle",
            )
            .await;
        // Nothing by that id, or not an id at all.
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &format!("key_result:{}", Uuid::new_v4()),
                unprocessable,
                "from the list",
            )
            .await;
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                "objective:nine",
                unprocessable,
                "from the list",
            )
            .await;

        // Another quarter, open and then archived.
        let now = Utc::now().naive_utc();
        let q2 = quarter::ActiveModel {
            id: Set(Uuid::new_v4()),
            label: Set("2025-Q2".into()),
            start_at: Set(common::date(2025, 4, 1)),
            end_at: Set(common::date(2025, 6, 30)),
            archived: Set(false),
            notes: Set(None),
            organization_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .expect("2025-Q2");
        let later = objective::ActiveModel {
            id: Set(Uuid::new_v4()),
            title: Set("Next quarter's APAC push".into()),
            team_id: Set(team_named(db, "Corporate Sales").await.id),
            quarter_id: Set(q2.id),
            owner_id: Set(person(db, EMILY).await.id),
            organization_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .expect("an objective in 2025-Q2");
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &objective_choice(later.id),
                unprocessable,
                "its own quarter, 2025-Q1",
            )
            .await;
        let mut archived = q2.into_active_model();
        archived.archived = Set(true);
        archived.update(db).await.expect("archive 2025-Q2");
        world
            .refused_alignment(
                &world.sarah,
                direct.id,
                &objective_choice(later.id),
                unprocessable,
                "archived",
            )
            .await;
        // An objective of an archived quarter stays as it is.
        world
            .refused_alignment(&world.emily, later.id, "", unprocessable, "archived")
            .await;
        world.test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    company_objectives_are_planned_by_admins_only,
    |backend| async move {
        let Some((world, Demo { share, .. })) = Demo::start(backend).await else {
            return;
        };
        let db = world.db();
        let company = team_named(db, "Company").await;
        let q1 = quarter::Entity::find()
            .filter(quarter::Column::Label.eq("2025-Q1"))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        // Even a lead who is in the company's team.
        let lisa = person(db, common::LISA).await;
        let mut moved = lisa.clone().into_active_model();
        moved.team_id = Set(company.id);
        moved.update(db).await.expect("move Lisa");
        let objectives = objective::Entity::find().count(db).await.unwrap();
        for form in [
            vec![
                ("title", "A company objective by a lead".to_string()),
                ("team_id", company.id.to_string()),
                ("owner_id", lisa.id.to_string()),
                ("quarter_id", q1.id.to_string()),
            ],
            vec![
                ("id", share.id.to_string()),
                ("title", "Renamed by a lead".to_string()),
                ("team_id", company.id.to_string()),
                ("owner_id", lisa.id.to_string()),
                ("quarter_id", q1.id.to_string()),
            ],
        ] {
            let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, body) = status_and_json(
                world
                    .server
                    .post("/api/save_objective", Some(&world.lisa), &fields)
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert!(
                body.to_string()
                    .contains("only admins plan company objectives"),
                "{body}"
            );
        }
        assert_eq!(
            objective::Entity::find().count(db).await.unwrap(),
            objectives
        );
        assert_eq!(titled(db, SHARE).await.title, SHARE);

        // The admin marks and unmarks the company level from the teams page.
        let (status, body) = status_and_json(
            world
                .server
                .post(
                    "/api/update_team",
                    Some(&world.emily),
                    &[("id", &company.id.to_string()), ("company", "false")],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            !world
                .page("/admin/teams", &world.emily)
                .await
                .contains("company level</td>")
        );
        let (status, _) = status_and_json(
            world
                .server
                .post(
                    "/api/update_team",
                    Some(&world.lisa),
                    &[("id", &company.id.to_string()), ("company", "true")],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = status_and_json(
            world
                .server
                .post(
                    "/api/update_team",
                    Some(&world.emily),
                    &[("id", &company.id.to_string()), ("company", "maybe")],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["Validation"]["field"], "company");
        world.test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    deleting_a_parent_keeps_its_supporters_unaligned,
    |backend| async move {
        let Some((
            world,
            Demo {
                direct,
                loyalty,
                apac,
                share,
                ..
            },
        )) = Demo::start(backend).await
        else {
            return;
        };
        let db = world.db();

        // The delete confirmation counts the supporters.
        let editor = world
            .page(&format!("/objectives/{}/edit", share.id), &world.emily)
            .await;
        assert!(
            editor.contains("The 2 objectives that support it stay, and support nothing."),
            "the confirmation says how many support it"
        );
        let (status, body) = status_and_json(
            world
                .server
                .post(
                    "/api/delete_objective",
                    Some(&world.emily),
                    &[("id", &share.id.to_string()), ("check_ins", "0")],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            objective::Entity::find_by_id(share.id)
                .one(db)
                .await
                .unwrap()
                .is_none()
        );
        for child in [&direct, &loyalty] {
            assert!(
                objective::Entity::find_by_id(child.id)
                    .one(db)
                    .await
                    .unwrap()
                    .is_some()
            );
            assert_eq!(parent_of(db, child.id).await, None);
        }

        // A parent key result, deleted with its check-ins.
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        world
            .aligned(
                &world.sarah,
                direct.id,
                &format!("key_result:{}", revenue.id),
            )
            .await;
        let check_ins = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(revenue.id))
            .count(db)
            .await
            .unwrap();
        let (status, body) = status_and_json(
            world
                .server
                .post(
                    "/api/delete_key_result",
                    Some(&world.lisa),
                    &[
                        ("id", &revenue.id.to_string()),
                        ("check_ins", &check_ins.to_string()),
                    ],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(parent_of(db, direct.id).await, None);
        assert!(
            objective::Entity::find_by_id(direct.id)
                .one(db)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            parent_of(db, apac.id).await.is_some(),
            "other alignments stay"
        );
        world.test_db.close().await.expect("drop the test database");
    }
);

/// The `<li>` of objective `id` on the tree page, up to its first nested
/// list: its own figures.
fn tree_node(page: &str, id: Uuid) -> &str {
    let start = page
        .find(&format!("id=\"objective-{id}\""))
        .unwrap_or_else(|| panic!("objective {id} on the tree page"));
    let end = page[start..].find("</summary>").expect("its summary") + start;
    &page[start..end]
}

migration::backend_test!(
    the_dashboard_review_and_tree_show_the_same_aligned_figures,
    |backend| async move {
        let Some((
            world,
            Demo {
                direct,
                loyalty,
                apac,
                share,
                home,
                ..
            },
        )) = Demo::start(backend).await
        else {
            return;
        };
        let db = world.db();

        // The expected figures, from the key results' own progress: a
        // company objective without key results has its supporters' mean.
        let today = Utc::now().date_naive();
        let board = app::server::queries::dashboard::dashboard(db, Some("2025-Q1"), today)
            .await
            .unwrap()
            .unwrap();
        let own = |id: Uuid| {
            board
                .teams
                .iter()
                .flat_map(|team| &team.objectives)
                .find(|objective| objective.id == id)
                .unwrap()
                .progress()
                .unwrap()
        };
        let share_figure = rules::format_percent((own(direct.id) + own(loyalty.id)) / 2.0);
        let home_figure = rules::format_percent(own(apac.id));
        assert_ne!(share_figure, home_figure, "the test tells the two apart");

        // The tree: the company objectives with their supporters, and none
        // "not aligned".
        let tree = world.page("/quarters/2025-Q1/alignment", &world.mike).await;
        assert!(
            tree_node(&tree, share.id)
                .contains(&format!("<span class=\"figure\">{share_figure}</span>"))
        );
        assert!(
            tree_node(&tree, home.id)
                .contains(&format!("<span class=\"figure\">{home_figure}</span>"))
        );
        assert!(tree.contains("Every team objective supports something."));
        let company_at = tree.find("Company objectives").unwrap();
        let direct_at = tree
            .find(&format!("id=\"objective-{}\"", direct.id))
            .unwrap();
        assert!(direct_at > company_at && direct_at < tree.find("Not aligned").unwrap());

        // The dashboard: the own figure ("—": no key results) and the
        // aligned one beside it, and how many support it.
        let dashboard = world.page("/?quarter=2025-Q1", &world.mike).await;
        let article = &dashboard[dashboard
            .find(&format!("id=\"objective-{}\"", share.id))
            .unwrap()..];
        let article = &article[..article.find("</header>").unwrap()];
        assert!(
            article.contains(&format!("With supporting objectives {share_figure}")),
            "{article}"
        );
        assert!(article.contains(&format!(
            "supports={}\">2 supporting objectives</a>",
            share.id
        )));

        // The review, grouped under the company objectives.
        let review = world.page("/quarters/2025-Q1/review", &world.mike).await;
        assert!(review.contains(&format!("with supporting objectives {share_figure}")));
        assert!(review.contains(&format!("with supporting objectives {home_figure}")));
        let grouped = &review[review.find("data-testid=\"review-alignment\"").unwrap()..];
        let share_at = grouped.find(SHARE).unwrap();
        let home_at = grouped.find(HOME_MARKET).unwrap();
        let direct_at = grouped.find(DIRECT_REVENUE).unwrap();
        let apac_at = grouped.find(APAC_SALES).unwrap();
        assert!(share_at < direct_at && direct_at < home_at && home_at < apac_at);

        // The API: the same figures, as shares.
        let token = app::server::tokens::create(
            db,
            person(db, common::MIKE).await.id,
            "alignment",
            None,
            Utc::now().naive_utc(),
        )
        .await
        .expect("a token")
        .token;
        let response = reqwest::Client::new()
            .get(world.server.url("/api/v1/quarters/2025-Q1"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
        let detail: Value = response.json().await.expect("JSON");
        let api = |id: Uuid| {
            detail["teams"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|team| team["objectives"].as_array().cloned().unwrap_or_default())
                .find(|objective| objective["id"] == id.to_string())
                .unwrap_or_else(|| panic!("objective {id} in {detail}"))
        };
        let share_api = api(share.id);
        assert_eq!(share_api["progress"], Value::Null, "no own progress");
        assert_eq!(
            rules::format_percent(share_api["aligned_progress"].as_f64().unwrap()),
            share_figure
        );
        assert_eq!(
            rules::format_percent(api(home.id)["aligned_progress"].as_f64().unwrap()),
            home_figure
        );
        assert_eq!(
            api(direct.id)["parent"]["objective_id"],
            share.id.to_string()
        );

        // The filter: the company objective and what is under it.
        let filtered = world
            .page(
                &format!("/?quarter=2025-Q1&supports={}", share.id),
                &world.mike,
            )
            .await;
        assert!(filtered.contains(DIRECT_REVENUE) && filtered.contains(LOYALTY));
        assert!(!filtered.contains(&format!("id=\"objective-{}\"", apac.id)));

        // Unaligned, an objective is listed apart, and its figure leaves
        // the company objective's.
        world.aligned(&world.lisa, apac.id, "").await;
        let tree = world.page("/quarters/2025-Q1/alignment", &world.mike).await;
        let loose = &tree[tree.find("Not aligned").unwrap()..];
        assert!(loose.contains(&format!("id=\"objective-{}\"", apac.id)));
        assert!(tree_node(&tree, home.id).contains("<span class=\"figure\">—</span>"));

        world.test_db.close().await.expect("drop the test database");
    }
);
