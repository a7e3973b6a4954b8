//! Alignment where it leaves the pages, on SQLite and PostgreSQL: `/api/v1`
//! shows each objective's parent, its children and its aligned figures
//! (the same the dashboard's `Alignment` computes, and documented), and a
//! roll-over takes an alignment into the next quarter when both its ends
//! go there.

use crate::common;

use app::server::commands::alignment::{ParentChoice, align};
use app::server::commands::roll_over::roll_over;
use app::server::tokens;
use chrono::{NaiveDateTime, Utc};
use common::{EMILY, LISA, MIKE, SARAH, TestServer, person, team_named};
use domain::access::Member;
use domain::{Direction, Role, Unit};
use entity::{company_team, key_result, objective, objective_alignment, quarter, team};
use migration::testing::TestDb;
use reqwest::StatusCode;
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Objectives of the demo seed, all in 2025-Q1.
const DIRECT_REVENUE: &str = "Grow Direct Channel Revenue";
const APAC_SALES: &str = "Expand Corporate Sales in APAC";
const LOYALTY: &str = "Increase Loyalty Co-brand Revenue";
const Q1: &str = "2025-Q1";
const COMPANY: &str = "Company";

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

async fn quarter_labelled(db: &DatabaseConnection, label: &str) -> Option<quarter::Model> {
    quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await
        .expect("query quarters")
}

async fn objective_titled(db: &DatabaseConnection, label: &str, title: &str) -> objective::Model {
    let quarter = quarter_labelled(db, label)
        .await
        .unwrap_or_else(|| panic!("no quarter {label}"));
    objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter.id))
        .filter(objective::Column::Title.eq(title))
        .one(db)
        .await
        .expect("query objectives")
        .unwrap_or_else(|| panic!("no objective {title:?} in {label}"))
}

async fn key_results_of(db: &DatabaseConnection, objective_id: Uuid) -> Vec<key_result::Model> {
    key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.eq(objective_id))
        .order_by_asc(key_result::Column::Title)
        .all(db)
        .await
        .expect("query key results")
}

async fn alignment_of(
    db: &DatabaseConnection,
    objective_id: Uuid,
) -> Option<objective_alignment::Model> {
    objective_alignment::Entity::find_by_id(objective_id)
        .one(db)
        .await
        .expect("query alignments")
}

/// The alignment rows whose child is in quarter `label`.
async fn alignments_in(db: &DatabaseConnection, label: &str) -> Vec<objective_alignment::Model> {
    let Some(quarter) = quarter_labelled(db, label).await else {
        return vec![];
    };
    let ids: Vec<Uuid> = objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter.id))
        .all(db)
        .await
        .expect("query objectives")
        .into_iter()
        .map(|found| found.id)
        .collect();
    objective_alignment::Entity::find()
        .filter(objective_alignment::Column::ObjectiveId.is_in(ids))
        .order_by_asc(objective_alignment::Column::ObjectiveId)
        .all(db)
        .await
        .expect("query alignments")
}

/// A seeded person acting with `role`.
async fn member(db: &DatabaseConnection, email: &str, role: Role) -> Member {
    let found = person(db, email).await;
    Member {
        person_id: found.id,
        team_id: found.team_id,
        role,
    }
}

/// A team that stands for the company.
async fn company_team(db: &DatabaseConnection) -> team::Model {
    let now = now();
    let company = team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(COMPANY.into()),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("insert the company team");
    company_team::ActiveModel {
        team_id: Set(company.id),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("mark it the company's");
    company
}

/// A new objective of 2025-Q1, owned by Emily.
async fn new_objective(db: &DatabaseConnection, team_id: Uuid, title: &str) -> objective::Model {
    let now = now();
    objective::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(title.into()),
        team_id: Set(team_id),
        quarter_id: Set(quarter_labelled(db, Q1).await.expect("2025-Q1").id),
        owner_id: Set(person(db, EMILY).await.id),
        organization_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("insert an objective")
}

/// A new count key result, going up from `start` to `target`, now at
/// `current`.
async fn new_key_result(
    db: &DatabaseConnection,
    objective_id: Uuid,
    title: &str,
    (start, target, current): (&str, &str, &str),
) -> key_result::Model {
    let now = now();
    key_result::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(title.into()),
        objective_id: Set(objective_id),
        owner_id: Set(person(db, EMILY).await.id),
        unit: Set(Unit::Count),
        direction: Set(Direction::Up),
        start_value: Set(decimal(start)),
        target_value: Set(decimal(target)),
        current_value: Set(decimal(current)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("insert a key result")
}

/// Aligns `child` as an admin would.
async fn align_to(db: &DatabaseConnection, child: Uuid, parent: ParentChoice) {
    let admin = member(db, EMILY, Role::Admin).await;
    align(db, &admin, child, Some(parent), now())
        .await
        .unwrap_or_else(|error| panic!("align {child} to {parent:?}: {error:?}"));
}

fn as_f64(value: Decimal) -> f64 {
    value.to_string().parse().expect("a number")
}

/// A key result's progress worked out here: 0 at the start, 1 at the
/// target, held to 0–1; none when start equals target.
fn progress_of(key_result: &key_result::Model) -> Option<f64> {
    let (start, target, current) = (
        as_f64(key_result.start_value),
        as_f64(key_result.target_value),
        as_f64(key_result.current_value),
    );
    (target != start).then(|| ((current - start) / (target - start)).clamp(0.0, 1.0))
}

fn mean(items: &[f64]) -> Option<f64> {
    (!items.is_empty()).then(|| items.iter().sum::<f64>() / items.len() as f64)
}

/// An objective's own progress worked out here: the mean of its key
/// results' progress.
async fn own_progress(db: &DatabaseConnection, objective_id: Uuid) -> Option<f64> {
    let items: Vec<f64> = key_results_of(db, objective_id)
        .await
        .iter()
        .filter_map(progress_of)
        .collect();
    mean(&items)
}

fn assert_close(answered: &Value, expected: Option<f64>, what: &str) {
    match expected {
        None => assert_eq!(answered, &Value::Null, "{what}"),
        Some(expected) => {
            let answered = answered
                .as_f64()
                .unwrap_or_else(|| panic!("{what}: not a number: {answered}"));
            assert!(
                (answered - expected).abs() < 1e-9,
                "{what}: {answered} is not {expected}"
            );
        }
    }
}

/// Every objective of a quarter's answer, by id.
fn objectives_by_id(detail: &Value) -> std::collections::HashMap<String, Value> {
    detail["teams"]
        .as_array()
        .expect("teams")
        .iter()
        .flat_map(|team| team["objectives"].as_array().expect("objectives").clone())
        .map(|objective| {
            (
                objective["id"].as_str().expect("an id").to_owned(),
                objective,
            )
        })
        .collect()
}

fn key_result_in(objective: &Value, id: Uuid) -> &Value {
    objective["key_results"]
        .as_array()
        .expect("key results")
        .iter()
        .find(|kr| kr["id"] == id.to_string())
        .unwrap_or_else(|| panic!("no key result {id} in {objective}"))
}

/// The description of property `name` of component `schema`, on one line:
/// found on the property itself or, for an optional reference (`oneOf`
/// null or the reference), on its reference; in the schema's own
/// properties or in those of one of its `allOf` parts (a flattened
/// struct's). Empty when there is none.
fn described(schemas: &Value, schema: &str, name: &str) -> String {
    let schema = &schemas[schema];
    let parts = schema["allOf"].as_array().cloned().unwrap_or_default();
    let Some(property) = std::iter::once(schema)
        .chain(&parts)
        .map(|part| &part["properties"][name])
        .find(|property| property.is_object())
    else {
        return String::new();
    };
    let choices = property["oneOf"].as_array().cloned().unwrap_or_default();
    std::iter::once(property)
        .chain(&choices)
        .find_map(|part| part["description"].as_str())
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The validator of a schema of the OpenAPI `document`.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("the schema does not compile: {error}\n{schema}"))
}

// ---------------------------------------------------------------------------
// The API.
// ---------------------------------------------------------------------------

migration::backend_test!(
    the_api_shows_parents_children_and_the_dashboards_aligned_figures,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let apac = objective_titled(db, Q1, APAC_SALES).await;
        let loyalty = objective_titled(db, Q1, LOYALTY).await;
        let direct_revenue = objective_titled(db, Q1, DIRECT_REVENUE).await;
        let direct = team_named(db, "Direct Channel Sales").await;
        let company = company_team(db).await;
        // A company objective without key results, which two objectives
        // support; and one with a key result that a third supports.
        let choice = new_objective(db, company.id, "Be the region's airline of choice").await;
        let revenue = new_objective(db, company.id, "Grow revenue").await;
        let revenue_kr =
            new_key_result(db, revenue.id, "Revenue from 0 to 100", ("0", "100", "25")).await;
        let app = new_objective(db, direct.id, "Launch the booking app").await;
        new_key_result(
            db,
            app.id,
            "App bookings from 0 to 1000",
            ("0", "1000", "500"),
        )
        .await;
        // Aligned in another order than the dashboard's, which the children
        // follow: the company first, then the teams by name.
        align_to(db, app.id, ParentChoice::Objective(choice.id)).await;
        align_to(db, apac.id, ParentChoice::Objective(choice.id)).await;
        align_to(db, loyalty.id, ParentChoice::KeyResult(revenue_kr.id)).await;

        let server = TestServer::start(db.clone()).await;
        let token = tokens::create(db, person(db, MIKE).await.id, "tests", None, now())
            .await
            .expect("create a token")
            .token;
        let response = server
            .client
            .get(server.url("/api/v1/quarters/2025-Q1"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer");
        assert_eq!(response.status(), StatusCode::OK);
        let detail: Value = response.json().await.expect("JSON");
        let objectives = objectives_by_id(&detail);
        let answered = |objective: &objective::Model| {
            objectives
                .get(&objective.id.to_string())
                .unwrap_or_else(|| panic!("{} is missing: {detail}", objective.title))
                .clone()
        };

        // The figures, worked out here from the key results.
        let apac_own = own_progress(db, apac.id).await.expect("APAC has progress");
        let loyalty_own = own_progress(db, loyalty.id)
            .await
            .expect("loyalty has progress");
        let direct_own = own_progress(db, direct_revenue.id).await;

        // The company objective without key results: no own progress; its
        // aligned progress is the mean of its two supporters' (each one
        // item), and they are its children, Corporate Sales' first.
        let company_choice = answered(&choice);
        assert_eq!(company_choice["team_is_company"], true);
        assert_eq!(company_choice["parent"], Value::Null);
        assert_eq!(company_choice["progress"], Value::Null);
        assert_close(
            &company_choice["aligned_progress"],
            Some((apac_own + 0.5) / 2.0),
            "the company objective's aligned progress",
        );
        assert_eq!(
            company_choice["children"],
            json!([apac.id.to_string(), app.id.to_string()])
        );
        assert_eq!(company_choice["key_results"], json!([]));

        // The company objective whose key result a team objective supports:
        // own progress from its key result alone; the key result's aligned
        // progress is the mean of its own and its supporter's, and that is
        // the objective's one item; the supporter is a child through it.
        let company_revenue = answered(&revenue);
        assert_eq!(company_revenue["team_is_company"], true);
        assert_close(&company_revenue["progress"], Some(0.25), "own progress");
        let kr_aligned = (0.25 + loyalty_own) / 2.0;
        assert_close(
            &company_revenue["aligned_progress"],
            Some(kr_aligned),
            "aligned through the key result",
        );
        assert_eq!(company_revenue["children"], json!([loyalty.id.to_string()]));
        let answered_kr = key_result_in(&company_revenue, revenue_kr.id);
        assert_close(&answered_kr["progress"], Some(0.25), "the key result's own");
        assert_close(
            &answered_kr["aligned_progress"],
            Some(kr_aligned),
            "the key result's aligned progress",
        );
        assert_eq!(answered_kr["supporters"], 1);

        // The supporters: their parent, with its words; own and aligned
        // figures alike, as nothing supports them.
        let answered_apac = answered(&apac);
        assert_eq!(answered_apac["team_is_company"], false);
        assert_eq!(
            answered_apac["parent"],
            json!({
                "objective_id": choice.id.to_string(),
                "key_result_id": null,
                "title": "Be the region's airline of choice",
                "team": COMPANY,
            })
        );
        assert_close(&answered_apac["progress"], Some(apac_own), "APAC's own");
        assert_close(
            &answered_apac["aligned_progress"],
            Some(apac_own),
            "APAC's aligned",
        );
        assert_eq!(answered_apac["children"], json!([]));
        for kr in answered_apac["key_results"]
            .as_array()
            .expect("key results")
        {
            assert_eq!(kr["supporters"], 0, "{kr}");
            let own = kr["progress"].as_f64().map(|p| p.clamp(0.0, 1.0));
            assert_close(
                &kr["aligned_progress"],
                own,
                "a key result nothing supports",
            );
        }
        assert_eq!(
            answered(&loyalty)["parent"],
            json!({
                "objective_id": revenue.id.to_string(),
                "key_result_id": revenue_kr.id.to_string(),
                "title": "Revenue from 0 to 100",
                "team": COMPANY,
            })
        );
        assert_close(&answered(&app)["progress"], Some(0.5), "the app's own");

        // An objective neither aligned nor supported.
        let unaligned = answered(&direct_revenue);
        assert_eq!(unaligned["team_is_company"], false);
        assert_eq!(unaligned["parent"], Value::Null);
        assert_eq!(unaligned["children"], json!([]));
        assert_close(&unaligned["progress"], direct_own, "own progress");
        assert_close(&unaligned["aligned_progress"], direct_own, "aligned is own");

        // Every figure is the dashboard's, by construction.
        let dashboard =
            app::server::queries::dashboard::dashboard(db, Some(Q1), Utc::now().date_naive())
                .await
                .expect("the dashboard")
                .expect("2025-Q1");
        let mut seen = 0;
        for team in &dashboard.teams {
            for objective in &team.objectives {
                let json = &objectives[&objective.id.to_string()];
                assert_close(
                    &json["aligned_progress"],
                    dashboard.alignment.objective(objective.id).progress,
                    &objective.title,
                );
                assert_close(&json["progress"], objective.progress(), &objective.title);
                for key_result in &objective.key_results {
                    let rolled = dashboard.alignment.key_result(key_result.id);
                    let json = key_result_in(json, key_result.id);
                    assert_close(
                        &json["aligned_progress"],
                        rolled.progress,
                        &key_result.title,
                    );
                    assert_eq!(
                        json["supporters"], rolled.supporters,
                        "{}",
                        key_result.title
                    );
                }
                seen += 1;
            }
        }
        assert_eq!(seen, objectives.len());
        assert_eq!(seen, 6, "three seeded objectives and three new ones");

        // The document describes the new fields, and the answer matches it.
        let response = server
            .client
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("the document");
        let document: Value = response.json().await.expect("JSON");
        let schemas = &document["components"]["schemas"];
        for (schema, name) in [
            ("Objective", "team_is_company"),
            ("Objective", "parent"),
            ("Objective", "children"),
            ("Objective", "aligned_progress"),
            ("Objective", "progress"),
            ("AlignedKeyResult", "aligned_progress"),
            ("AlignedKeyResult", "supporters"),
            ("ParentObjective", "objective_id"),
            ("ParentObjective", "key_result_id"),
            ("ParentObjective", "title"),
            ("ParentObjective", "team"),
        ] {
            assert!(
                !described(schemas, schema, name).is_empty(),
                "{schema}.{name} has no description"
            );
        }
        let own = described(schemas, "Objective", "progress");
        assert!(own.starts_with("Own progress"), "{own}");
        let aligned = described(schemas, "Objective", "aligned_progress");
        assert!(
            aligned.starts_with("Aligned progress")
                && aligned.contains(
                    "each supporting objective counting as one more item beside the key results"
                ),
            "{aligned}"
        );
        let schema = &document["paths"]["/api/v1/quarters/{label}"]["get"]["responses"]["200"]["content"]
            ["application/json"]["schema"];
        let errors: Vec<String> = validator(&document, schema)
            .iter_errors(&detail)
            .map(|error| format!("{error} at {}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Roll-over.
// ---------------------------------------------------------------------------

/// The company objective the roll-over tests align to, with a key result
/// still to go and one reached.
struct Company {
    objective: objective::Model,
    open: key_result::Model,
    reached: key_result::Model,
}

const COMPANY_GOAL: &str = "Be the region's airline of choice";
const NPS: &str = "Net promoter score from 30 to 50";
const ROUTES: &str = "New routes from 10 to 12";

async fn company_goal(db: &DatabaseConnection) -> Company {
    let company = company_team(db).await;
    let objective = new_objective(db, company.id, COMPANY_GOAL).await;
    let open = new_key_result(db, objective.id, NPS, ("30", "50", "40")).await;
    let reached = new_key_result(db, objective.id, ROUTES, ("10", "12", "12")).await;
    Company {
        objective,
        open,
        reached,
    }
}

fn roll_over_at() -> NaiveDateTime {
    now()
}

migration::backend_test!(
    a_roll_over_keeps_alignments_whose_both_ends_are_copied,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let company = company_goal(db).await;
        let apac = objective_titled(db, Q1, APAC_SALES).await;
        let direct_revenue = objective_titled(db, Q1, DIRECT_REVENUE).await;
        let loyalty = objective_titled(db, Q1, LOYALTY).await;
        // Objective → objective, objective → key result, and objective →
        // a key result already reached (not copied).
        align_to(db, apac.id, ParentChoice::Objective(company.objective.id)).await;
        align_to(
            db,
            direct_revenue.id,
            ParentChoice::KeyResult(company.open.id),
        )
        .await;
        align_to(db, loyalty.id, ParentChoice::KeyResult(company.reached.id)).await;
        let before = alignments_in(db, Q1).await;
        assert_eq!(before.len(), 3);

        // The children chosen before their parent: the order does not
        // matter.
        let admin = member(db, EMILY, Role::Admin).await;
        let report = roll_over(
            db,
            &admin,
            Q1,
            &[apac.id, direct_revenue.id, loyalty.id, company.objective.id],
            true,
            roll_over_at(),
        )
        .await
        .expect("roll over");
        assert_eq!(report.objectives_copied, 4);

        let goal_copy = objective_titled(db, "2025-Q2", COMPANY_GOAL).await;
        let goal_krs = key_results_of(db, goal_copy.id).await;
        assert_eq!(
            goal_krs
                .iter()
                .map(|kr| kr.title.as_str())
                .collect::<Vec<_>>(),
            [NPS],
            "the reached key result stays behind"
        );
        let nps_copy = &goal_krs[0];
        let parent_of = |objective: &objective::Model| {
            let id = objective.id;
            async move {
                alignment_of(db, id)
                    .await
                    .map(|row| (row.parent_objective_id, row.parent_key_result_id))
            }
        };
        let apac_copy = objective_titled(db, "2025-Q2", APAC_SALES).await;
        let direct_copy = objective_titled(db, "2025-Q2", DIRECT_REVENUE).await;
        let loyalty_copy = objective_titled(db, "2025-Q2", LOYALTY).await;
        assert_eq!(parent_of(&apac_copy).await, Some((goal_copy.id, None)));
        assert_eq!(
            parent_of(&direct_copy).await,
            Some((goal_copy.id, Some(nps_copy.id))),
            "the key result's copy, matched by title"
        );
        assert_eq!(
            parent_of(&loyalty_copy).await,
            Some((goal_copy.id, None)),
            "its key result stayed behind, so the objective's copy itself"
        );
        assert_eq!(parent_of(&goal_copy).await, None);
        assert_eq!(alignments_in(db, "2025-Q2").await.len(), 3);
        // The old quarter's alignments stay as they were.
        assert_eq!(alignments_in(db, Q1).await, before);

        // The new quarter's dashboard reads them: the company's copy is
        // supported by the three copies.
        let dashboard = app::server::queries::dashboard::dashboard(
            db,
            Some("2025-Q2"),
            Utc::now().date_naive(),
        )
        .await
        .expect("the dashboard")
        .expect("2025-Q2");
        let goal_view = dashboard
            .teams
            .iter()
            .flat_map(|team| &team.objectives)
            .find(|objective| objective.id == goal_copy.id)
            .expect("the company's copy");
        assert_eq!(dashboard.alignment.supporters(goal_view), 3);

        // Rolled over again, nothing doubles.
        roll_over(
            db,
            &admin,
            Q1,
            &[apac.id, direct_revenue.id, loyalty.id, company.objective.id],
            true,
            roll_over_at(),
        )
        .await
        .expect("roll over again");
        assert_eq!(alignments_in(db, "2025-Q2").await.len(), 3);

        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_roll_over_aligns_a_copy_only_to_a_parent_copied_too,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let company = company_goal(db).await;
        let apac = objective_titled(db, Q1, APAC_SALES).await;
        let direct_revenue = objective_titled(db, Q1, DIRECT_REVENUE).await;
        align_to(db, apac.id, ParentChoice::Objective(company.objective.id)).await;
        align_to(
            db,
            direct_revenue.id,
            ParentChoice::KeyResult(company.open.id),
        )
        .await;

        // Sarah, a lead, copies her team's objective alone: its parent is
        // neither copied nor in the next quarter, so it supports nothing.
        let sarah = member(db, SARAH, Role::Lead).await;
        roll_over(db, &sarah, Q1, &[direct_revenue.id], false, roll_over_at())
            .await
            .expect("Sarah's roll-over");
        let direct_copy = objective_titled(db, "2025-Q2", DIRECT_REVENUE).await;
        assert_eq!(alignment_of(db, direct_copy.id).await, None);
        assert!(alignments_in(db, "2025-Q2").await.is_empty());

        // The admin copies the company's objective alone: Sarah's copy,
        // not in this roll-over, is left as it is.
        let admin = member(db, EMILY, Role::Admin).await;
        roll_over(
            db,
            &admin,
            Q1,
            &[company.objective.id],
            false,
            roll_over_at(),
        )
        .await
        .expect("the admin's roll-over");
        let goal_copy = objective_titled(db, "2025-Q2", COMPANY_GOAL).await;
        assert!(alignments_in(db, "2025-Q2").await.is_empty());

        // Lisa, a lead, copies her team's objective: the company's copy is
        // there already, so her copy supports it.
        let lisa = member(db, LISA, Role::Lead).await;
        roll_over(db, &lisa, Q1, &[apac.id], false, roll_over_at())
            .await
            .expect("Lisa's roll-over");
        let apac_copy = objective_titled(db, "2025-Q2", APAC_SALES).await;
        let row = alignment_of(db, apac_copy.id).await.expect("aligned");
        assert_eq!(
            (row.parent_objective_id, row.parent_key_result_id),
            (goal_copy.id, None)
        );

        // Sarah rolls hers over again: its copy, still unaligned, now finds
        // the key result's copy.
        roll_over(db, &sarah, Q1, &[direct_revenue.id], false, roll_over_at())
            .await
            .expect("Sarah's second roll-over");
        let nps_copy = key_results_of(db, goal_copy.id)
            .await
            .into_iter()
            .find(|kr| kr.title == NPS)
            .expect("the key result's copy");
        let row = alignment_of(db, direct_copy.id).await.expect("aligned");
        assert_eq!(
            (row.parent_objective_id, row.parent_key_result_id),
            (goal_copy.id, Some(nps_copy.id))
        );
        assert_eq!(alignments_in(db, "2025-Q2").await.len(), 2);

        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_roll_over_never_closes_a_cycle_or_replaces_an_alignment_in_the_next_quarter,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let company = company_goal(db).await;
        let apac = objective_titled(db, Q1, APAC_SALES).await;
        let loyalty = objective_titled(db, Q1, LOYALTY).await;
        let admin = member(db, EMILY, Role::Admin).await;
        // The copies first, unaligned; then, in the next quarter, the
        // company's copy made to support APAC's copy.
        roll_over(
            db,
            &admin,
            Q1,
            &[company.objective.id, apac.id, loyalty.id],
            false,
            roll_over_at(),
        )
        .await
        .expect("roll over");
        let goal_copy = objective_titled(db, "2025-Q2", COMPANY_GOAL).await;
        let apac_copy = objective_titled(db, "2025-Q2", APAC_SALES).await;
        let loyalty_copy = objective_titled(db, "2025-Q2", LOYALTY).await;
        align_to(db, goal_copy.id, ParentChoice::Objective(apac_copy.id)).await;
        align_to(db, loyalty_copy.id, ParentChoice::Objective(apac_copy.id)).await;
        let next_before = alignments_in(db, "2025-Q2").await;

        // Back in 2025-Q1, APAC and loyalty support the company objective;
        // rolled over again, APAC's copy supporting the company's copy
        // would close a cycle, and loyalty's copy is aligned already.
        align_to(db, apac.id, ParentChoice::Objective(company.objective.id)).await;
        align_to(
            db,
            loyalty.id,
            ParentChoice::Objective(company.objective.id),
        )
        .await;
        roll_over(
            db,
            &admin,
            Q1,
            &[company.objective.id, apac.id, loyalty.id],
            false,
            roll_over_at(),
        )
        .await
        .expect("roll over again");
        assert_eq!(alignment_of(db, apac_copy.id).await, None);
        assert_eq!(alignments_in(db, "2025-Q2").await, next_before);

        test_db.close().await.expect("drop the test database");
    }
);
