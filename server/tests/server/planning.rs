//! Planning over real HTTP, against the real router on a free port, on
//! SQLite and PostgreSQL: quarters and teams (admins only), objectives and
//! key results (admins for every team, leads for their own), the archived
//! quarter that is read-only until reopened, the confirmations of a unit or
//! start change and of a delete that takes check-ins along, the roll-over
//! into the next quarter (the right rows, once), the review's notes, and the
//! admins' edits of people (renaming, moving, promoting, deactivating).
//! Every refusal is checked for its status, the field it names and rows
//! left exactly as they were.

use crate::common;

use common::{
    APAC_REVENUE, CO_BRAND, COMMISSION, EMILY, LISA, MIKE, SARAH, World, key_result_titled,
    no_redirects, person, status_and_json, team_named,
};
use domain::text::NOTES_MAX_CHARS;
use domain::{Direction, Role};
use entity::{
    check_in, key_result, objective, okr_user, person_role, quarter, session, team, user,
};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Objectives of the demo seed, all in 2025-Q1.
const DIRECT_REVENUE: &str = "Grow Direct Channel Revenue";
const APAC_SALES: &str = "Expand Corporate Sales in APAC";
const LOYALTY: &str = "Increase Loyalty Co-brand Revenue";
/// A key result of `LOYALTY`, owned by Mike.
const PARTNER_BOOKINGS: &str = "Boost partner airline bookings from $3M to $5M";
const CORPORATE: &str = "Corporate Sales";
const DIRECT: &str = "Direct Channel Sales";
const Q1: &str = "2025-Q1";

impl World {
    /// `POST /api/<endpoint>` as a fetch, with `cookie` if any.
    async fn post(
        &self,
        endpoint: &str,
        cookie: Option<&str>,
        fields: &Fields,
    ) -> (StatusCode, Value) {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let path = format!("/api/{endpoint}");
        status_and_json(self.server.post(&path, cookie, &fields).await).await
    }

    /// `GET /api/<path>` as a fetch, with `cookie` if any.
    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, Value) {
        let mut request = no_redirects()
            .get(self.server.url(&format!("/api/{path}")))
            .header(ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"));
        status_and_json(response).await
    }

    /// A post that must succeed: its JSON answer.
    async fn ok(&self, endpoint: &str, cookie: &str, fields: &Fields) -> Value {
        let (status, body) = self.post(endpoint, Some(cookie), fields).await;
        assert_eq!(status, StatusCode::OK, "{endpoint} {fields:?}: {body}");
        body
    }

    /// A save that must succeed: the id it reports.
    async fn saved(&self, endpoint: &str, cookie: &str, fields: &Fields) -> Uuid {
        let body = self.ok(endpoint, cookie, fields).await;
        let id = body["id"].as_str().or(body.as_str());
        Uuid::parse_str(id.unwrap_or_default()).unwrap_or_else(|_| panic!("no id: {body}"))
    }

    /// A read that must succeed: its JSON answer.
    async fn read(&self, path: &str, cookie: &str) -> Value {
        let (status, body) = self.get(path, Some(cookie)).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    /// A post that must be refused as `refusal`, changing no row.
    async fn refused(
        &self,
        endpoint: &str,
        cookie: Option<&str>,
        fields: &Fields,
        refusal: Refusal,
    ) {
        let before = rows(self.db()).await;
        let (status, body) = self.post(endpoint, cookie, fields).await;
        refusal.check(status, &body, &format!("{endpoint} {fields:?}"));
        assert_eq!(
            rows(self.db()).await,
            before,
            "{endpoint} {fields:?} changed rows"
        );
    }

    /// A read that must be refused as `refusal`, changing no row.
    async fn refused_get(&self, path: &str, cookie: Option<&str>, refusal: Refusal) {
        let before = rows(self.db()).await;
        let (status, body) = self.get(path, cookie).await;
        refusal.check(status, &body, &format!("GET {path}"));
        assert_eq!(rows(self.db()).await, before, "GET {path} changed rows");
    }
}

/// How a request is refused.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// 422 naming the field.
    Invalid(&'static str),
    /// 401: no session.
    SignedOut,
    /// 403: the role does not allow it.
    Forbidden,
    /// 404.
    NotFound,
    /// 400: the request could not be read.
    Undecodable,
}

impl Refusal {
    fn check(self, status: StatusCode, body: &Value, what: &str) {
        let (expected, key) = match self {
            Refusal::Invalid(field) => {
                assert_eq!(
                    body["Validation"]["field"], field,
                    "{what}: expected a 422 on {field}, got {status} {body}"
                );
                (StatusCode::UNPROCESSABLE_ENTITY, "Validation")
            }
            Refusal::SignedOut => (StatusCode::UNAUTHORIZED, "Unauthorized"),
            Refusal::Forbidden => (StatusCode::FORBIDDEN, "Forbidden"),
            Refusal::NotFound => (StatusCode::NOT_FOUND, "NotFound"),
            Refusal::Undecodable => (StatusCode::BAD_REQUEST, ""),
        };
        assert_eq!(status, expected, "{what}: {body}");
        assert!(
            key.is_empty() || body.get(key).is_some(),
            "{what}: {status} without {key}: {body}"
        );
    }
}

/// A server function's form fields.
type Fields = Vec<(String, String)>;

fn fields<const N: usize>(pairs: [(&str, &str); N]) -> Fields {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

/// `fields` with `name` set to `value`, replaced or added.
fn with(mut fields: Fields, name: &str, value: impl ToString) -> Fields {
    let value = value.to_string();
    match fields.iter_mut().find(|(field, _)| field == name) {
        Some(field) => field.1 = value,
        None => fields.push((name.to_owned(), value)),
    }
    fields
}

/// `fields` without `name`.
fn without(mut fields: Fields, name: &str) -> Fields {
    fields.retain(|(field, _)| field != name);
    fields
}

/// Everything a refused request must leave as it was: every row of the
/// planning tables, the people, their roles and sign-ins, and the counts
/// of check-ins and sessions.
#[derive(Debug, PartialEq)]
struct Rows {
    quarters: Vec<quarter::Model>,
    teams: Vec<team::Model>,
    people: Vec<okr_user::Model>,
    roles: Vec<person_role::Model>,
    sign_ins: Vec<(String, String)>,
    objectives: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
    check_ins: u64,
    sessions: u64,
}

/// Every row of `order`'s table, in that order.
async fn all<C>(db: &DatabaseConnection, order: C) -> Vec<<C::EntityName as EntityTrait>::Model>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
{
    <C::EntityName as EntityTrait>::find()
        .order_by_asc(order)
        .all(db)
        .await
        .expect("read rows")
}

async fn rows(db: &DatabaseConnection) -> Rows {
    Rows {
        quarters: all(db, quarter::Column::Id).await,
        teams: all(db, team::Column::Id).await,
        people: all(db, okr_user::Column::Id).await,
        roles: all(db, person_role::Column::OkrUserId).await,
        sign_ins: all(db, user::Column::Id)
            .await
            .into_iter()
            .map(|found| (found.id, found.email))
            .collect(),
        objectives: all(db, objective::Column::Id).await,
        key_results: all(db, key_result::Column::Id).await,
        check_ins: check_in::Entity::find().count(db).await.expect("count"),
        sessions: session::Entity::find().count(db).await.expect("count"),
    }
}

async fn quarter_labelled(db: &DatabaseConnection, label: &str) -> Option<quarter::Model> {
    quarter::Entity::find()
        .filter(quarter::Column::Label.eq(label))
        .one(db)
        .await
        .expect("query quarters")
}

async fn q1(db: &DatabaseConnection) -> quarter::Model {
    quarter_labelled(db, Q1).await.expect("the seeded quarter")
}

async fn objectives_in(db: &DatabaseConnection, quarter_id: Uuid) -> Vec<objective::Model> {
    objective::Entity::find()
        .filter(objective::Column::QuarterId.eq(quarter_id))
        .order_by_asc(objective::Column::Title)
        .all(db)
        .await
        .expect("query objectives")
}

/// A seeded objective of 2025-Q1, by title.
async fn seeded_objective(db: &DatabaseConnection, title: &str) -> objective::Model {
    let quarter = q1(db).await;
    objectives_in(db, quarter.id)
        .await
        .into_iter()
        .find(|found| found.title == title)
        .unwrap_or_else(|| panic!("no seeded objective {title:?}"))
}

async fn key_results_of(db: &DatabaseConnection, objective_id: Uuid) -> Vec<key_result::Model> {
    key_result::Entity::find()
        .filter(key_result::Column::ObjectiveId.eq(objective_id))
        .order_by_asc(key_result::Column::Title)
        .all(db)
        .await
        .expect("query key results")
}

async fn check_ins_of(db: &DatabaseConnection, key_result_id: Uuid) -> u64 {
    check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result_id))
        .count(db)
        .await
        .expect("count check-ins")
}

async fn check_ins_in(db: &DatabaseConnection, objective_id: Uuid) -> u64 {
    let mut total = 0;
    for found in key_results_of(db, objective_id).await {
        total += check_ins_of(db, found.id).await;
    }
    total
}

async fn role_of(db: &DatabaseConnection, person_id: Uuid) -> Role {
    person_role::Entity::find_by_id(person_id)
        .one(db)
        .await
        .expect("query roles")
        .map_or(Role::Member, |found| found.role)
}

async fn sign_in_of(db: &DatabaseConnection, email: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .expect("query sign-ins")
}

async fn set_current_value(db: &DatabaseConnection, found: key_result::Model, value: Decimal) {
    let mut model = found.into_active_model();
    model.current_value = Set(value);
    model.update(db).await.expect("update the current value");
}

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn quarter_form(id: Option<Uuid>, label: &str, start_at: &str, end_at: &str) -> Fields {
    fields([
        ("id", &id.map(|id| id.to_string()).unwrap_or_default()),
        ("label", label),
        ("start_at", start_at),
        ("end_at", end_at),
    ])
}

/// The objective form as its editor would post it unchanged.
fn objective_form(found: &objective::Model) -> Fields {
    fields([
        ("id", &found.id.to_string()),
        ("title", &found.title),
        ("team_id", &found.team_id.to_string()),
        ("owner_id", &found.owner_id.to_string()),
        ("quarter_id", &found.quarter_id.to_string()),
    ])
}

fn new_objective_form(title: &str, team_id: Uuid, owner_id: Uuid, quarter_id: Uuid) -> Fields {
    fields([
        ("title", title),
        ("team_id", &team_id.to_string()),
        ("owner_id", &owner_id.to_string()),
        ("quarter_id", &quarter_id.to_string()),
    ])
}

/// The key result form as its editor would post it unchanged.
fn key_result_form(found: &key_result::Model) -> Fields {
    fields([
        ("id", &found.id.to_string()),
        ("objective_id", &found.objective_id.to_string()),
        ("title", &found.title),
        ("owner_id", &found.owner_id.to_string()),
        ("unit", found.unit.as_str()),
        ("start_value", &found.start_value.normalize().to_string()),
        ("target_value", &found.target_value.normalize().to_string()),
    ])
}

fn new_key_result_form(objective_id: Uuid, owner_id: Uuid, title: &str) -> Fields {
    fields([
        ("objective_id", &objective_id.to_string()),
        ("title", title),
        ("owner_id", &owner_id.to_string()),
        ("unit", "$"),
        ("start_value", "1,000"),
        ("target_value", "2500.50"),
    ])
}

fn delete_form(id: Uuid, check_ins: u64) -> Fields {
    fields([
        ("id", &id.to_string()),
        ("check_ins", &check_ins.to_string()),
    ])
}

fn roll_over_form(label: &str, chosen: &[Uuid], skip_reached: bool) -> Fields {
    let mut form = fields([("label", label)]);
    for (index, id) in chosen.iter().enumerate() {
        form.push((format!("objective_ids[{index}]"), id.to_string()));
    }
    if skip_reached {
        form.push(("skip_reached".into(), "on".into()));
    }
    form
}

fn person_form(found: &okr_user::Model, role: Role) -> Fields {
    fields([
        ("person_id", &found.id.to_string()),
        ("name", &found.name),
        ("email", &found.email),
        ("team_id", &found.team_id.to_string()),
        ("role", role.as_str()),
    ])
}

fn active_form(id: Uuid, active: &str) -> Fields {
    fields([("person_id", &id.to_string()), ("active", active)])
}

fn check_in_form(key_result_id: Uuid, value: &str) -> Fields {
    fields([
        ("key_result_id", &key_result_id.to_string()),
        ("value", value),
        ("confidence", "1"),
        ("note", "From the planning tests"),
        ("date", "2025-03-15"),
    ])
}

/// The ids of a JSON list of `{id, ...}`.
fn ids(list: &Value) -> Vec<Uuid> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| Uuid::parse_str(item["id"].as_str().unwrap_or_default()).expect("an id"))
        .collect()
}

/// Review notes of `chars` characters, with line breaks and characters a
/// form encodes as three bytes.
fn notes_of(chars: usize) -> String {
    "x\n&%".chars().cycle().take(chars).collect()
}

/// A title of `chars` characters.
fn long(chars: usize) -> String {
    "t".repeat(chars)
}

// ---------------------------------------------------------------------------
// Roles.
// ---------------------------------------------------------------------------

migration::backend_test!(
    every_planning_write_needs_a_session_and_the_right_role,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let quarter = q1(db).await;
        let corporate = team_named(db, CORPORATE).await;
        let apac = seeded_objective(db, APAC_SALES).await;
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        let mike = person(db, MIKE).await;

        let admin_only: Vec<(&str, Fields)> = vec![
            (
                "save_quarter",
                quarter_form(None, "2025-Q2", "2025-04-01", "2025-06-30"),
            ),
            (
                "save_quarter",
                quarter_form(Some(quarter.id), "Q1", "2025-01-01", "2025-03-31"),
            ),
            (
                "archive_quarter",
                fields([("id", &quarter.id.to_string()), ("archived", "true")]),
            ),
            ("create_team", fields([("name", "Revenue Management")])),
            (
                "update_team",
                fields([("id", &corporate.id.to_string()), ("name", "Corporate")]),
            ),
            (
                "update_team",
                fields([("id", &corporate.id.to_string()), ("archived", "true")]),
            ),
            ("update_person", person_form(&mike, Role::Admin)),
            ("set_person_active", active_form(mike.id, "false")),
        ];
        let team_writes: Vec<(&str, Fields)> = vec![
            (
                "save_objective",
                with(objective_form(&apac), "title", "Renamed"),
            ),
            (
                "save_objective",
                new_objective_form("New", corporate.id, mike.id, quarter.id),
            ),
            ("delete_objective", delete_form(apac.id, 11)),
            (
                "save_key_result",
                with(key_result_form(&revenue), "title", "Renamed"),
            ),
            (
                "save_key_result",
                new_key_result_form(apac.id, mike.id, "New"),
            ),
            ("delete_key_result", delete_form(revenue.id, 3)),
            ("roll_over", roll_over_form(Q1, &[apac.id], false)),
        ];
        let notes = (
            "save_review_notes",
            fields([
                ("quarter_id", &quarter.id.to_string()),
                ("notes", "Won APAC"),
            ]),
        );

        for (endpoint, form) in admin_only.iter().chain(&team_writes).chain([&notes]) {
            world
                .refused(endpoint, None, form, Refusal::SignedOut)
                .await;
            world
                .refused(endpoint, Some(&world.mike), form, Refusal::Forbidden)
                .await;
        }
        // Leads plan their own team, never quarters, teams or people...
        for (endpoint, form) in &admin_only {
            world
                .refused(endpoint, Some(&world.lisa), form, Refusal::Forbidden)
                .await;
        }
        // ... and never another team's objectives and key results.
        for (endpoint, form) in &team_writes {
            world
                .refused(endpoint, Some(&world.sarah), form, Refusal::Forbidden)
                .await;
        }

        let apac_editor = format!("objective_editor?id={}", apac.id);
        let revenue_editor = format!("key_result_editor?id={}", revenue.id);
        let new_key_result = format!("key_result_editor?objective={}", apac.id);
        let reads = [
            "quarters_admin",
            "teams_admin",
            "objective_editor?quarter=2025-Q1",
            &apac_editor,
            &revenue_editor,
            &new_key_result,
            "roll_over_plan?label=2025-Q1",
            "review?label=2025-Q1",
        ];
        for path in reads {
            world.refused_get(path, None, Refusal::SignedOut).await;
        }
        for path in &reads[..7] {
            world
                .refused_get(path, Some(&world.mike), Refusal::Forbidden)
                .await;
        }
        for path in ["quarters_admin", "teams_admin"] {
            world
                .refused_get(path, Some(&world.lisa), Refusal::Forbidden)
                .await;
        }
        for path in [&apac_editor, &revenue_editor, &new_key_result] {
            world
                .refused_get(path, Some(&world.sarah), Refusal::Forbidden)
                .await;
        }
        // Everyone signed in reads the review.
        world.read("review?label=2025-Q1", &world.mike).await;

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// Quarters.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_create_edit_archive_and_reopen_quarters,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let emily = world.emily.as_str();

        let admin = world.read("quarters_admin", emily).await;
        assert_eq!(
            admin["quarters"].as_array().map(Vec::len),
            Some(1),
            "{admin}"
        );
        assert_eq!(admin["quarters"][0]["quarter"]["label"], Q1);
        assert_eq!(admin["quarters"][0]["objectives"], 3);
        assert_eq!(
            admin["suggestion"],
            json!({"id": null, "label": "2025-Q2", "start_at": "2025-04-01", "end_at": "2025-06-30"})
        );

        // Create.
        let id = world
            .saved(
                "save_quarter",
                emily,
                &quarter_form(None, " 2025-Q2 ", "2025-04-01", "2025-06-30"),
            )
            .await;
        let created = quarter::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the new quarter");
        assert_eq!(created.label, "2025-Q2");
        assert_eq!(created.start_at, common::date(2025, 4, 1));
        assert_eq!(created.end_at, common::date(2025, 6, 30));
        assert!(!created.archived);
        assert_eq!(created.notes, None);

        // Edit.
        let edited = world
            .saved(
                "save_quarter",
                emily,
                &quarter_form(Some(id), "FY25 Q2", "2025-04-02", "2025-06-29"),
            )
            .await;
        assert_eq!(edited, id);
        let edited = quarter::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the edited quarter");
        assert_eq!(
            (edited.label.as_str(), edited.start_at, edited.end_at),
            (
                "FY25 Q2",
                common::date(2025, 4, 2),
                common::date(2025, 6, 29)
            )
        );

        // Every kind of bad input, naming its field, changing nothing.
        let first = q1(db).await;
        let new = |label: &str, start: &str, end: &str| quarter_form(None, label, start, end);
        let cases = [
            (new("2025-q1", "2025-07-01", "2025-09-30"), "label"),
            (new("fy25 q2", "2025-07-01", "2025-09-30"), "label"),
            (new("", "2025-07-01", "2025-09-30"), "label"),
            (new("2025/Q3", "2025-07-01", "2025-09-30"), "label"),
            (new("2025-Q3\u{7}", "2025-07-01", "2025-09-30"), "label"),
            (new(&"Q".repeat(21), "2025-07-01", "2025-09-30"), "label"),
            (new("2025-Q3", "2025-03-31", "2025-04-01"), "start_at"),
            (new("2025-Q3", "2024-12-01", "2025-01-01"), "start_at"),
            (new("2025-Q3", "2025-06-29", "2025-09-30"), "start_at"),
            (new("2025-Q3", "2025-09-30", "2025-07-01"), "end_at"),
            (new("2025-Q3", "2025-07-01", "2025-07-01"), "end_at"),
            (new("2025-Q3", "2025-07-01", "2026-09-30"), "end_at"),
            (new("2025-Q3", "2025-13-01", "2025-09-30"), "start_at"),
            (new("2025-Q3", "2025-07-01", "30/09/2025"), "end_at"),
            (
                quarter_form(Some(Uuid::new_v4()), "2025-Q3", "2025-07-01", "2025-09-30"),
                "quarter_id",
            ),
            (
                with(
                    new("2025-Q3", "2025-07-01", "2025-09-30"),
                    "id",
                    "not-a-uuid",
                ),
                "quarter_id",
            ),
            (
                quarter_form(Some(id), "2025-Q1", "2025-04-02", "2025-06-29"),
                "label",
            ),
            (
                quarter_form(Some(id), "FY25 Q2", "2025-03-30", "2025-06-29"),
                "start_at",
            ),
            // Q1's check-ins start on January 6: they must stay inside.
            (
                quarter_form(Some(first.id), Q1, "2025-01-10", "2025-03-31"),
                "start_at",
            ),
            (
                quarter_form(Some(first.id), Q1, "2024-12-01", "2025-01-19"),
                "start_at",
            ),
        ];
        for (form, field) in &cases {
            world
                .refused("save_quarter", Some(emily), form, Refusal::Invalid(field))
                .await;
        }
        world
            .refused(
                "save_quarter",
                Some(emily),
                &without(new("2025-Q3", "2025-07-01", "2025-09-30"), "end_at"),
                Refusal::Undecodable,
            )
            .await;

        // Q1 itself may move while its check-ins stay inside.
        world
            .saved(
                "save_quarter",
                emily,
                &quarter_form(Some(first.id), Q1, "2024-12-30", "2025-03-31"),
            )
            .await;
        assert_eq!(q1(db).await.start_at, common::date(2024, 12, 30));

        // Archive, then reopen.
        let archive = |archived: &str| fields([("id", &id.to_string()), ("archived", archived)]);
        world
            .saved("archive_quarter", emily, &archive("true"))
            .await;
        let archived = quarter_labelled(db, "FY25 Q2").await.expect("the quarter");
        assert!(archived.archived);
        let listed = world.read("quarters_admin", emily).await;
        assert!(
            listed["quarters"]
                .as_array()
                .expect("quarters")
                .iter()
                .any(|row| row["quarter"]["label"] == "FY25 Q2"
                    && row["quarter"]["archived"] == true),
            "{listed}"
        );
        world
            .refused(
                "save_quarter",
                Some(emily),
                &quarter_form(Some(id), "FY25 Q2b", "2025-04-02", "2025-06-29"),
                Refusal::Invalid("quarter_id"),
            )
            .await;
        world
            .saved("archive_quarter", emily, &archive("false"))
            .await;
        assert!(
            !quarter_labelled(db, "FY25 Q2")
                .await
                .expect("the quarter")
                .archived
        );
        world
            .saved(
                "save_quarter",
                emily,
                &quarter_form(Some(id), "FY25 Q2b", "2025-04-02", "2025-06-29"),
            )
            .await;
        assert!(quarter_labelled(db, "FY25 Q2b").await.is_some());

        for form in [
            fields([("id", &Uuid::new_v4().to_string()), ("archived", "true")]),
            fields([("id", "Q1"), ("archived", "true")]),
        ] {
            world
                .refused(
                    "archive_quarter",
                    Some(emily),
                    &form,
                    Refusal::Invalid("quarter_id"),
                )
                .await;
        }
        // Neither yes nor no is refused, not read as "reopen".
        world
            .refused(
                "archive_quarter",
                Some(emily),
                &archive("banana"),
                Refusal::Invalid("archived"),
            )
            .await;

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// Teams.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_create_rename_archive_and_restore_teams,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let emily = world.emily.as_str();
        let corporate = team_named(db, CORPORATE).await;
        let direct = team_named(db, DIRECT).await;

        let teams = world.read("teams_admin", emily).await;
        let counts: Vec<(String, u64, u64)> = teams
            .as_array()
            .expect("teams")
            .iter()
            .map(|row| {
                (
                    row["name"].as_str().unwrap_or_default().to_owned(),
                    row["people"].as_u64().unwrap_or_default(),
                    row["objectives"].as_u64().unwrap_or_default(),
                )
            })
            .collect();
        let expected: Vec<(String, u64, u64)> =
            vec![(CORPORATE.to_owned(), 3, 1), (DIRECT.to_owned(), 2, 2)];
        assert_eq!(counts, expected);

        // Create.
        let id = world
            .saved(
                "create_team",
                emily,
                &fields([("name", "  Revenue Management ")]),
            )
            .await;
        let created = team::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the new team");
        assert_eq!(created.name, "Revenue Management");
        assert!(!created.archived);

        let name = |name: &str| fields([("name", name)]);
        for (form, field) in [
            (name(""), "name"),
            (name("   "), "name"),
            (name("corporate SALES"), "name"),
            (name("Revenue\u{0}Management"), "name"),
            (name(&long(101)), "name"),
        ] {
            world
                .refused("create_team", Some(emily), &form, Refusal::Invalid(field))
                .await;
        }

        // Rename.
        let update = |id: &str, field: &str, value: &str| fields([("id", id), (field, value)]);
        let id_text = id.to_string();
        world
            .saved(
                "update_team",
                emily,
                &update(&id_text, "name", "Revenue Mgmt"),
            )
            .await;
        assert_eq!(team_named(db, "Revenue Mgmt").await.id, id);
        for (form, field) in [
            (update(&id_text, "name", "direct channel sales"), "name"),
            (update(&id_text, "name", " "), "name"),
            (update(&id_text, "name", &long(101)), "name"),
            (fields([("id", &id_text)]), "name"),
            (update(&Uuid::new_v4().to_string(), "name", "X"), "team_id"),
            (update("Revenue Mgmt", "name", "X"), "team_id"),
            // Emily is in Corporate Sales.
            (
                update(&corporate.id.to_string(), "archived", "true"),
                "team_id",
            ),
        ] {
            world
                .refused("update_team", Some(emily), &form, Refusal::Invalid(field))
                .await;
        }
        // Its own name in another case is its own.
        world
            .saved(
                "update_team",
                emily,
                &update(&id_text, "name", "REVENUE MGMT"),
            )
            .await;

        // Archived: out of the pickers, no new objectives, objectives kept.
        let direct_text = direct.id.to_string();
        world
            .saved(
                "update_team",
                emily,
                &update(&direct_text, "archived", "true"),
            )
            .await;
        assert!(team_named(db, DIRECT).await.archived);
        let editor = world.read("objective_editor?quarter=2025-Q1", emily).await;
        assert!(
            !ids(&editor["options"]["teams"]).contains(&direct.id),
            "{editor}"
        );
        assert_eq!(objectives_in(db, q1(db).await.id).await.len(), 3);
        let quarter = q1(db).await;
        let sarah = person(db, SARAH).await;
        world
            .refused(
                "save_objective",
                Some(emily),
                &new_objective_form("Archived team", direct.id, sarah.id, quarter.id),
                Refusal::Invalid("team_id"),
            )
            .await;
        world
            .saved(
                "update_team",
                emily,
                &update(&direct_text, "archived", "false"),
            )
            .await;
        assert!(!team_named(db, DIRECT).await.archived);
        let editor = world.read("objective_editor?quarter=2025-Q1", emily).await;
        assert!(
            ids(&editor["options"]["teams"]).contains(&direct.id),
            "{editor}"
        );

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// Objectives.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_and_their_teams_leads_plan_objectives,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let quarter = q1(db).await;
        let corporate = team_named(db, CORPORATE).await;
        let direct = team_named(db, DIRECT).await;
        let lisa = person(db, LISA).await;
        let sarah = person(db, SARAH).await;

        // The form offers a lead their own team only; an admin every team.
        let editor = world
            .read("objective_editor?quarter=2025-Q1", &world.lisa)
            .await;
        assert_eq!(ids(&editor["options"]["teams"]), [corporate.id]);
        assert_eq!(editor["draft"]["team_id"], corporate.id.to_string());
        assert_eq!(editor["draft"]["owner_id"], lisa.id.to_string());
        assert_eq!(editor["draft"]["quarter_id"], quarter.id.to_string());
        assert_eq!(ids(&editor["options"]["people"]).len(), 5);
        let editor = world.read("objective_editor", &world.emily).await;
        assert_eq!(ids(&editor["options"]["teams"]).len(), 2);

        // A lead creates and edits an objective of their team.
        let title = "Win the Sydney corporate market";
        let id = world
            .saved(
                "save_objective",
                &world.lisa,
                &new_objective_form(&format!("  {title} "), corporate.id, lisa.id, quarter.id),
            )
            .await;
        let created = objective::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the new objective");
        assert_eq!(
            (
                created.title.as_str(),
                created.team_id,
                created.owner_id,
                created.quarter_id
            ),
            (title, corporate.id, lisa.id, quarter.id)
        );
        let james = person(db, common::JAMES).await;
        let form = with(
            with(objective_form(&created), "title", "Win Sydney"),
            "owner_id",
            james.id,
        );
        assert_eq!(world.saved("save_objective", &world.lisa, &form).await, id);
        let edited = objective::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the objective");
        assert_eq!(
            (edited.title.as_str(), edited.owner_id),
            ("Win Sydney", james.id)
        );
        let editor = world
            .read(&format!("objective_editor?id={id}"), &world.lisa)
            .await;
        assert_eq!(editor["draft"]["title"], "Win Sydney");
        assert_eq!(editor["draft"]["key_results"], 0);

        // The longest title fits.
        world
            .saved(
                "save_objective",
                &world.lisa,
                &with(form.clone(), "title", long(255)),
            )
            .await;

        // Not another team's objectives, new or existing, nor moving one.
        let direct_revenue = seeded_objective(db, DIRECT_REVENUE).await;
        for form in [
            new_objective_form("Theirs", direct.id, sarah.id, quarter.id),
            with(objective_form(&direct_revenue), "title", "Renamed"),
            with(objective_form(&direct_revenue), "team_id", corporate.id),
            with(form.clone(), "team_id", direct.id),
        ] {
            world
                .refused(
                    "save_objective",
                    Some(&world.lisa),
                    &form,
                    Refusal::Forbidden,
                )
                .await;
        }
        // An admin edits any team's, and may move one to another team.
        world
            .saved(
                "save_objective",
                &world.emily,
                &with(
                    objective_form(&direct_revenue),
                    "title",
                    "Grow Direct Revenue",
                ),
            )
            .await;
        world
            .saved(
                "save_objective",
                &world.emily,
                &with(form.clone(), "team_id", direct.id),
            )
            .await;
        assert_eq!(
            objective::Entity::find_by_id(id)
                .one(db)
                .await
                .expect("query")
                .expect("the objective")
                .team_id,
            direct.id
        );
        let form = with(form, "team_id", corporate.id);
        world.saved("save_objective", &world.emily, &form).await;

        // Bad input names its field and changes nothing.
        let unknown = Uuid::new_v4().to_string();
        for (bad, field) in [
            (with(form.clone(), "title", ""), "title"),
            (with(form.clone(), "title", " \t "), "title"),
            (with(form.clone(), "title", long(256)), "title"),
            (with(form.clone(), "title", "Win\u{0}Sydney"), "title"),
            (with(form.clone(), "title", "Win\nSydney"), "title"),
            (with(form.clone(), "team_id", "Corporate"), "team_id"),
            (with(form.clone(), "team_id", &unknown), "team_id"),
            (with(form.clone(), "owner_id", ""), "owner_id"),
            (with(form.clone(), "owner_id", &unknown), "owner_id"),
            (with(form.clone(), "quarter_id", "2025-Q1"), "quarter_id"),
            (with(form.clone(), "quarter_id", &unknown), "quarter_id"),
            (with(form.clone(), "id", "x"), "id"),
        ] {
            world
                .refused(
                    "save_objective",
                    Some(&world.emily),
                    &bad,
                    Refusal::Invalid(field),
                )
                .await;
        }
        world
            .refused(
                "save_objective",
                Some(&world.emily),
                &with(form.clone(), "id", &unknown),
                Refusal::NotFound,
            )
            .await;
        world
            .refused(
                "save_objective",
                Some(&world.emily),
                &without(form.clone(), "title"),
                Refusal::Undecodable,
            )
            .await;
        world
            .refused_get(
                &format!("objective_editor?id={unknown}"),
                Some(&world.emily),
                Refusal::NotFound,
            )
            .await;

        world.finish().await;
    }
);

migration::backend_test!(
    deleting_an_objective_needs_its_check_in_count_and_takes_its_key_results_along,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let apac = seeded_objective(db, APAC_SALES).await;
        let editor = world
            .read(&format!("objective_editor?id={}", apac.id), &world.lisa)
            .await;
        assert_eq!(editor["draft"]["key_results"], 4);
        assert_eq!(editor["draft"]["check_ins"], 11);
        assert_eq!(check_ins_in(db, apac.id).await, 11);

        for count in ["10", "12", "0", "-11", "eleven", ""] {
            world
                .refused(
                    "delete_objective",
                    Some(&world.lisa),
                    &fields([("id", &apac.id.to_string()), ("check_ins", count)]),
                    Refusal::Invalid("check_ins"),
                )
                .await;
        }
        world
            .refused(
                "delete_objective",
                Some(&world.lisa),
                &fields([("id", &apac.id.to_string())]),
                Refusal::Undecodable,
            )
            .await;
        world
            .refused(
                "delete_objective",
                Some(&world.lisa),
                &delete_form(Uuid::new_v4(), 0),
                Refusal::NotFound,
            )
            .await;

        let before = rows(db).await;
        let gone = key_results_of(db, apac.id).await;
        assert_eq!(gone.len(), 4);
        world
            .saved("delete_objective", &world.lisa, &delete_form(apac.id, 11))
            .await;
        let after = rows(db).await;
        assert_eq!(after.objectives.len(), before.objectives.len() - 1);
        assert!(after.objectives.iter().all(|found| found.id != apac.id));
        assert_eq!(after.key_results.len(), before.key_results.len() - 4);
        assert!(after.key_results.iter().all(|found| !gone.contains(found)));
        assert_eq!(after.check_ins, before.check_ins - 11);
        for found in &gone {
            assert_eq!(check_ins_of(db, found.id).await, 0);
        }
        // Nothing else moved.
        assert_eq!(
            after.key_results,
            before
                .key_results
                .iter()
                .filter(|found| !gone.contains(found))
                .cloned()
                .collect::<Vec<_>>()
        );
        assert_eq!(
            (&after.quarters, &after.teams, &after.people),
            (&before.quarters, &before.teams, &before.people)
        );

        world
            .refused(
                "delete_objective",
                Some(&world.lisa),
                &delete_form(apac.id, 11),
                Refusal::NotFound,
            )
            .await;

        world.finish().await;
    }
);

migration::backend_test!(
    check_ins_stay_inside_their_quarter_when_planning_moves_things,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let apac = seeded_objective(db, APAC_SALES).await;
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        let q2 = world
            .saved(
                "save_quarter",
                &world.emily,
                &quarter_form(None, "2025-Q2", "2025-04-01", "2025-06-30"),
            )
            .await;
        let corporate = team_named(db, CORPORATE).await;
        let lisa = person(db, LISA).await;
        let next = world
            .saved(
                "save_objective",
                &world.lisa,
                &new_objective_form("APAC, next", corporate.id, lisa.id, q2),
            )
            .await;

        // January's check-ins cannot move into April to June, with their
        // objective or their key result.
        world
            .refused(
                "save_objective",
                Some(&world.lisa),
                &with(objective_form(&apac), "quarter_id", q2),
                Refusal::Invalid("quarter_id"),
            )
            .await;
        world
            .refused(
                "save_key_result",
                Some(&world.lisa),
                &with(key_result_form(&revenue), "objective_id", next),
                Refusal::Invalid("objective_id"),
            )
            .await;

        // Without check-ins they move freely, both ways.
        let fresh = world
            .saved(
                "save_key_result",
                &world.lisa,
                &new_key_result_form(apac.id, lisa.id, "Fresh"),
            )
            .await;
        let fresh = key_result::Entity::find_by_id(fresh)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        world
            .saved(
                "save_key_result",
                &world.lisa,
                &with(key_result_form(&fresh), "objective_id", next),
            )
            .await;
        let moved = objective::Entity::find_by_id(next)
            .one(db)
            .await
            .expect("query")
            .expect("the objective");
        let q1 = q1(db).await;
        world
            .saved(
                "save_objective",
                &world.lisa,
                &with(objective_form(&moved), "quarter_id", q1.id),
            )
            .await;
        assert_eq!(key_results_of(db, next).await.len(), 1);

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// Key results.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_and_their_teams_leads_plan_key_results,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let apac = seeded_objective(db, APAC_SALES).await;
        let direct_revenue = seeded_objective(db, DIRECT_REVENUE).await;
        let lisa = person(db, LISA).await;
        let james = person(db, common::JAMES).await;

        let editor = world
            .read(
                &format!("key_result_editor?objective={}", apac.id),
                &world.lisa,
            )
            .await;
        assert_eq!(editor["objective_title"], APAC_SALES);
        assert_eq!(editor["quarter_label"], Q1);
        assert_eq!(editor["draft"]["id"], Value::Null);
        assert_eq!(editor["draft"]["owner_id"], lisa.id.to_string());
        assert_eq!(ids(&editor["people"]).len(), 5);

        // Down: the target is below the start; the current value is the start.
        let form = new_key_result_form(apac.id, james.id, "  Cut travel desk costs ");
        let form = with(with(form, "start_value", "$1,000"), "target_value", "500.5");
        let id = world.saved("save_key_result", &world.lisa, &form).await;
        let created = key_result::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the new key result");
        assert_eq!(created.title, "Cut travel desk costs");
        assert_eq!(created.objective_id, apac.id);
        assert_eq!(created.owner_id, james.id);
        assert_eq!(created.unit, domain::Unit::Dollars);
        assert_eq!(created.direction, Direction::Down);
        assert_eq!(created.start_value, decimal("1000"));
        assert_eq!(created.target_value, decimal("500.5"));
        assert_eq!(created.current_value, decimal("1000"));
        assert_eq!(check_ins_of(db, id).await, 0);
        let (status, body) = world
            .post("save_key_result", Some(&world.lisa), &form)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["next"],
            format!("/kr/{}", body["id"].as_str().unwrap_or_default())
        );

        // Up, with a current value, in each unit; the largest numbers fit.
        for (unit, start, target, current) in [
            ("%", "2.5%", "3.75", "3"),
            ("pp", "-1pp", "1.25", "0"),
            ("#", "0", "9,999,999,999,999.99", "9999999999999.99"),
            ("$", "-9,999,999,999,999.99", "0", "-9999999999999.99"),
        ] {
            let form = new_key_result_form(apac.id, lisa.id, &format!("Grow in {unit}"));
            let form = with(with(form, "unit", unit), "start_value", start);
            let form = with(with(form, "target_value", target), "current_value", current);
            let id = world.saved("save_key_result", &world.lisa, &form).await;
            let saved = key_result::Entity::find_by_id(id)
                .one(db)
                .await
                .expect("query")
                .expect("the key result");
            assert_eq!(saved.unit.as_str(), unit);
            assert_eq!(saved.direction, Direction::Up);
            assert_eq!(saved.target_value, decimal(&target.replace(',', "")));
            assert_eq!(saved.current_value, decimal(current));
        }

        // An edit of one without check-ins needs no confirmation, and the
        // longest title fits.
        let edit = with(key_result_form(&created), "unit", "#");
        let edit = with(with(edit, "start_value", "2000"), "title", long(500));
        let edit = with(with(edit, "target_value", "3000"), "current_value", "2100");
        world.saved("save_key_result", &world.lisa, &edit).await;
        let edited = key_result::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        assert_eq!(
            (
                edited.unit,
                edited.direction,
                edited.start_value,
                edited.target_value
            ),
            (
                domain::Unit::Count,
                Direction::Up,
                decimal("2000"),
                decimal("3000")
            )
        );
        assert_eq!(edited.current_value, decimal("2100"));
        assert_eq!(edited.title.chars().count(), 500);
        let editor = world
            .read(&format!("key_result_editor?id={id}"), &world.lisa)
            .await;
        assert_eq!(editor["draft"]["check_ins"], 0);
        assert_eq!(editor["draft"]["title"], long(500));

        // Bad input names its field and changes nothing.
        let form = key_result_form(&edited);
        let unknown = Uuid::new_v4().to_string();
        for (bad, field) in [
            (with(form.clone(), "title", ""), "title"),
            (with(form.clone(), "title", long(501)), "title"),
            (with(form.clone(), "title", "Cut\u{1b}costs"), "title"),
            (with(form.clone(), "objective_id", "APAC"), "objective_id"),
            (with(form.clone(), "objective_id", &unknown), "objective_id"),
            (with(form.clone(), "owner_id", "James"), "owner_id"),
            (with(form.clone(), "owner_id", &unknown), "owner_id"),
            (with(form.clone(), "unit", "EUR"), "unit"),
            (with(form.clone(), "unit", ""), "unit"),
            (with(form.clone(), "start_value", ""), "start_value"),
            (with(form.clone(), "start_value", "2e3"), "start_value"),
            (with(form.clone(), "start_value", "1.234"), "start_value"),
            (with(form.clone(), "start_value", "NaN"), "start_value"),
            (
                with(form.clone(), "target_value", "3000.001"),
                "target_value",
            ),
            (
                with(form.clone(), "target_value", "10000000000000"),
                "target_value",
            ),
            (with(form.clone(), "target_value", "1,2,3"), "target_value"),
            (with(form.clone(), "target_value", "2,000"), "target_value"),
            (
                with(form.clone(), "target_value", "2000.00"),
                "target_value",
            ),
            (with(form.clone(), "current_value", "abc"), "current_value"),
            (
                with(form.clone(), "current_value", "12345678901234"),
                "current_value",
            ),
            (
                with(form.clone(), "current_value", "0.005"),
                "current_value",
            ),
            (with(form.clone(), "id", "x"), "id"),
        ] {
            world
                .refused(
                    "save_key_result",
                    Some(&world.lisa),
                    &bad,
                    Refusal::Invalid(field),
                )
                .await;
        }
        world
            .refused(
                "save_key_result",
                Some(&world.lisa),
                &with(form.clone(), "id", &unknown),
                Refusal::NotFound,
            )
            .await;
        world
            .refused(
                "save_key_result",
                Some(&world.lisa),
                &without(form.clone(), "unit"),
                Refusal::Undecodable,
            )
            .await;
        world
            .refused_get(
                &format!("key_result_editor?id={unknown}"),
                Some(&world.lisa),
                Refusal::NotFound,
            )
            .await;
        world
            .refused_get(
                &format!("key_result_editor?objective={unknown}"),
                Some(&world.lisa),
                Refusal::NotFound,
            )
            .await;

        // A lead never plans in another team's objective: not a new key
        // result there, not one of theirs, not moving one in or out.
        let commission = key_result_titled(db, COMMISSION).await;
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        for (cookie, bad) in [
            (
                &world.lisa,
                new_key_result_form(direct_revenue.id, lisa.id, "Theirs"),
            ),
            (
                &world.lisa,
                with(key_result_form(&commission), "title", "Renamed"),
            ),
            (
                &world.lisa,
                with(form.clone(), "objective_id", direct_revenue.id),
            ),
            (
                &world.sarah,
                with(key_result_form(&revenue), "objective_id", direct_revenue.id),
            ),
        ] {
            world
                .refused("save_key_result", Some(cookie), &bad, Refusal::Forbidden)
                .await;
        }
        // An admin may move one between teams' objectives.
        world
            .saved(
                "save_key_result",
                &world.emily,
                &with(form.clone(), "objective_id", direct_revenue.id),
            )
            .await;
        assert_eq!(
            key_result::Entity::find_by_id(id)
                .one(db)
                .await
                .expect("query")
                .expect("the key result")
                .objective_id,
            direct_revenue.id
        );

        world.finish().await;
    }
);

migration::backend_test!(
    changing_the_unit_or_start_of_a_key_result_with_check_ins_needs_confirmation,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        assert_eq!(check_ins_of(db, revenue.id).await, 3);
        assert_eq!(revenue.current_value, decimal("8300000"));
        let form = key_result_form(&revenue);

        let unconfirmed = [
            with(form.clone(), "unit", "#"),
            with(form.clone(), "start_value", "7,000,000"),
            with(with(form.clone(), "unit", "%"), "start_value", "7"),
            with(
                with(form.clone(), "start_value", "7000000"),
                "confirm",
                "off",
            ),
        ];
        for bad in &unconfirmed {
            world
                .refused(
                    "save_key_result",
                    Some(&world.lisa),
                    bad,
                    Refusal::Invalid("confirm"),
                )
                .await;
        }
        let (_, body) = world
            .post("save_key_result", Some(&world.lisa), &unconfirmed[2])
            .await;
        let message = body["Validation"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("$ to %")
                && message.contains("8000000 to 7")
                && message.contains("3 check-ins"),
            "{message}"
        );

        // Title, owner and target change without confirming; a current value
        // is refused while check-ins say what it is, and may be left out.
        let plain_edit = with(
            with(form.clone(), "title", "APAC revenue to $16M"),
            "target_value",
            "16000000",
        );
        world
            .refused(
                "save_key_result",
                Some(&world.lisa),
                &with(plain_edit.clone(), "current_value", "1"),
                Refusal::Invalid("current_value"),
            )
            .await;
        let plain_edit = with(plain_edit, "current_value", "");
        world
            .saved("save_key_result", &world.lisa, &plain_edit)
            .await;
        let edited = key_result::Entity::find_by_id(revenue.id)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        assert_eq!(edited.title, "APAC revenue to $16M");
        assert_eq!(edited.target_value, decimal("16000000"));
        assert_eq!(edited.current_value, decimal("8300000"));
        assert_eq!(edited.start_value, revenue.start_value);

        // Confirmed, both change; the check-ins stay, and so does the
        // current value they give.
        let confirmed = with(with(plain_edit, "unit", "#"), "start_value", "7,000,000");
        world
            .saved(
                "save_key_result",
                &world.lisa,
                &with(confirmed, "confirm", "on"),
            )
            .await;
        let edited = key_result::Entity::find_by_id(revenue.id)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        assert_eq!(edited.unit, domain::Unit::Count);
        assert_eq!(edited.start_value, decimal("7000000"));
        assert_eq!(edited.current_value, decimal("8300000"));
        assert_eq!(edited.direction, Direction::Up);
        assert_eq!(check_ins_of(db, revenue.id).await, 3);

        // A target below the start turns it round.
        let down = with(key_result_form(&edited), "target_value", "6000000");
        world.saved("save_key_result", &world.lisa, &down).await;
        let edited = key_result::Entity::find_by_id(revenue.id)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        assert_eq!(edited.direction, Direction::Down);
        world
            .refused(
                "save_key_result",
                Some(&world.lisa),
                &with(key_result_form(&edited), "target_value", "7000000.00"),
                Refusal::Invalid("target_value"),
            )
            .await;

        world.finish().await;
    }
);

migration::backend_test!(
    deleting_a_key_result_needs_its_check_in_count_and_takes_them_along,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let editor = world
            .read(
                &format!("key_result_editor?id={}", co_brand.id),
                &world.sarah,
            )
            .await;
        assert_eq!(editor["draft"]["check_ins"], 3);
        assert_eq!(editor["objective_title"], LOYALTY);

        for count in ["2", "4", "0", "-3", "three", " "] {
            world
                .refused(
                    "delete_key_result",
                    Some(&world.sarah),
                    &fields([("id", &co_brand.id.to_string()), ("check_ins", count)]),
                    Refusal::Invalid("check_ins"),
                )
                .await;
        }
        let form = delete_form(co_brand.id, 3);
        world
            .refused(
                "delete_key_result",
                Some(&world.lisa),
                &form,
                Refusal::Forbidden,
            )
            .await;
        world
            .refused(
                "delete_key_result",
                Some(&world.sarah),
                &with(form.clone(), "id", "co-brand"),
                Refusal::Invalid("id"),
            )
            .await;
        world
            .refused(
                "delete_key_result",
                Some(&world.sarah),
                &delete_form(Uuid::new_v4(), 0),
                Refusal::NotFound,
            )
            .await;

        // A check-in since the form was shown: the old count no longer holds.
        world
            .ok("check_in", &world.mike, &check_in_form(co_brand.id, "6000"))
            .await;
        world
            .refused(
                "delete_key_result",
                Some(&world.sarah),
                &form,
                Refusal::Invalid("check_ins"),
            )
            .await;

        let before = rows(db).await;
        let (status, body) = world
            .post(
                "delete_key_result",
                Some(&world.sarah),
                &delete_form(co_brand.id, 4),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["next"], "/?quarter=2025-Q1");
        let after = rows(db).await;
        assert_eq!(after.check_ins, before.check_ins - 4);
        assert_eq!(check_ins_of(db, co_brand.id).await, 0);
        assert_eq!(
            after.key_results,
            before
                .key_results
                .into_iter()
                .filter(|found| found.id != co_brand.id)
                .collect::<Vec<_>>()
        );
        assert_eq!(after.objectives, before.objectives);

        world
            .refused(
                "delete_key_result",
                Some(&world.sarah),
                &delete_form(co_brand.id, 0),
                Refusal::NotFound,
            )
            .await;

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// An archived quarter.
// ---------------------------------------------------------------------------

migration::backend_test!(
    an_archived_quarter_is_read_only_until_it_is_reopened,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let quarter = q1(db).await;
        let corporate = team_named(db, CORPORATE).await;
        let lisa = person(db, LISA).await;
        let apac = seeded_objective(db, APAC_SALES).await;
        let revenue = key_result_titled(db, APAC_REVENUE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let archive =
            |archived: &str| fields([("id", &quarter.id.to_string()), ("archived", archived)]);

        world
            .saved("archive_quarter", &world.emily, &archive("true"))
            .await;
        assert!(q1(db).await.archived);

        let notes = fields([
            ("quarter_id", &quarter.id.to_string()),
            ("notes", "Won APAC"),
        ]);
        let writes: Vec<(&str, Fields, &str)> = vec![
            (
                "save_quarter",
                quarter_form(Some(quarter.id), "Q1", "2025-01-01", "2025-03-31"),
                "quarter_id",
            ),
            (
                "save_objective",
                with(objective_form(&apac), "title", "Renamed"),
                "quarter_id",
            ),
            (
                "save_objective",
                new_objective_form("New", corporate.id, lisa.id, quarter.id),
                "quarter_id",
            ),
            ("delete_objective", delete_form(apac.id, 11), "quarter_id"),
            (
                "save_key_result",
                with(key_result_form(&revenue), "title", "Renamed"),
                "quarter_id",
            ),
            (
                "save_key_result",
                new_key_result_form(apac.id, lisa.id, "New"),
                "quarter_id",
            ),
            (
                "delete_key_result",
                delete_form(revenue.id, 3),
                "quarter_id",
            ),
            ("save_review_notes", notes.clone(), "quarter_id"),
        ];
        for (endpoint, form, field) in &writes {
            // Quarters are an admin's; the rest a lead's too.
            let cookies = if *endpoint == "save_quarter" {
                vec![&world.emily]
            } else {
                vec![&world.emily, &world.lisa]
            };
            for cookie in cookies {
                world
                    .refused(endpoint, Some(cookie), form, Refusal::Invalid(field))
                    .await;
            }
        }
        for cookie in [&world.mike, &world.sarah, &world.emily] {
            world
                .refused(
                    "check_in",
                    Some(cookie),
                    &check_in_form(co_brand.id, "6000"),
                    Refusal::Invalid("key_result_id"),
                )
                .await;
        }
        // Nothing to plan in: no open quarter, and the review is read-only.
        world
            .refused_get(
                "objective_editor",
                Some(&world.lisa),
                Refusal::Invalid("quarter_id"),
            )
            .await;
        let review = world.read("review?label=2025-Q1", &world.lisa).await;
        assert_eq!(review["may_edit_notes"], false);
        // Rolling over into an archived quarter is refused too.
        world
            .saved(
                "save_quarter",
                &world.emily,
                &quarter_form(None, "2025-Q2", "2025-04-01", "2025-06-30"),
            )
            .await;
        let q2 = quarter_labelled(db, "2025-Q2").await.expect("2025-Q2");
        world
            .saved(
                "archive_quarter",
                &world.emily,
                &fields([("id", &q2.id.to_string()), ("archived", "true")]),
            )
            .await;
        world
            .refused(
                "roll_over",
                Some(&world.emily),
                &roll_over_form(Q1, &[apac.id], false),
                Refusal::Invalid("quarter_id"),
            )
            .await;

        // Reopened, it takes writes again.
        world
            .saved("archive_quarter", &world.emily, &archive("false"))
            .await;
        assert!(!q1(db).await.archived);
        let review = world.read("review?label=2025-Q1", &world.lisa).await;
        assert_eq!(review["may_edit_notes"], true);
        world.saved("save_review_notes", &world.lisa, &notes).await;
        world
            .saved(
                "save_objective",
                &world.lisa,
                &with(objective_form(&apac), "title", "Renamed"),
            )
            .await;
        world
            .ok("check_in", &world.mike, &check_in_form(co_brand.id, "6000"))
            .await;
        assert_eq!(q1(db).await.notes.as_deref(), Some("Won APAC"));

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// The review's notes.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_and_leads_write_the_reviews_notes,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let quarter = q1(db).await;
        let notes = |text: &str| fields([("quarter_id", &quarter.id.to_string()), ("notes", text)]);

        let review = world.read("review?label=2025-Q1", &world.mike).await;
        assert_eq!(review["notes"], "");
        assert_eq!(review["may_edit_notes"], false);
        assert_eq!(review["dashboard"]["quarter"]["label"], Q1);

        let (status, body) = world
            .post(
                "save_review_notes",
                Some(&world.sarah),
                &notes("  Won:\r\n- APAC\n\t- co-brand  "),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["next"], "/quarters/2025-Q1/review");
        assert_eq!(
            q1(db).await.notes.as_deref(),
            Some("Won:\n- APAC\n\t- co-brand")
        );
        let review = world.read("review?label=2025-Q1", &world.lisa).await;
        assert_eq!(review["notes"], "Won:\n- APAC\n\t- co-brand");
        assert_eq!(review["may_edit_notes"], true);

        for (form, refusal) in [
            (notes("a\u{0}b"), Refusal::Invalid("notes")),
            (
                notes(&notes_of(NOTES_MAX_CHARS + 1)),
                Refusal::Invalid("notes"),
            ),
            (
                fields([("quarter_id", &Uuid::new_v4().to_string()), ("notes", "x")]),
                Refusal::Invalid("quarter_id"),
            ),
            (
                fields([("quarter_id", Q1), ("notes", "x")]),
                Refusal::Invalid("quarter_id"),
            ),
            (
                fields([("quarter_id", &quarter.id.to_string())]),
                Refusal::Undecodable,
            ),
        ] {
            world
                .refused("save_review_notes", Some(&world.emily), &form, refusal)
                .await;
        }
        // The longest notes, line breaks and all, get through.
        let longest = notes_of(NOTES_MAX_CHARS);
        world
            .saved("save_review_notes", &world.emily, &notes(&longest))
            .await;
        assert_eq!(q1(db).await.notes, Some(longest));
        world
            .saved("save_review_notes", &world.emily, &notes(" \r\n "))
            .await;
        assert_eq!(q1(db).await.notes, None);

        world
            .refused_get("review?label=2024-Q4", Some(&world.mike), Refusal::NotFound)
            .await;

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// Rolling a quarter over.
// ---------------------------------------------------------------------------

/// Asserts that `copy` is `source` started afresh in the next quarter: in
/// `objective`, starting where `source` got to, with its target, owner and
/// unit, the direction that follows, and no check-ins.
async fn assert_rolled_over(
    db: &DatabaseConnection,
    source: &key_result::Model,
    copy: &key_result::Model,
    objective: Uuid,
) {
    assert_eq!(copy.title, source.title);
    assert_ne!(copy.id, source.id);
    assert_eq!(copy.objective_id, objective, "{}", source.title);
    assert_eq!(copy.start_value, source.current_value, "{}", source.title);
    assert_eq!(copy.current_value, source.current_value, "{}", source.title);
    assert_eq!(copy.target_value, source.target_value, "{}", source.title);
    assert_eq!(copy.owner_id, source.owner_id, "{}", source.title);
    assert_eq!(copy.unit, source.unit, "{}", source.title);
    let direction = if source.target_value > source.current_value {
        Direction::Up
    } else {
        Direction::Down
    };
    assert_eq!(copy.direction, direction, "{}", source.title);
    assert_eq!(copy.direction, source.direction, "{}", source.title);
    assert_eq!(check_ins_of(db, copy.id).await, 0, "{}", source.title);
}

/// The copies in the quarter labelled `to` of the `chosen` objectives of
/// 2025-Q1: each with exactly its source's key results, started afresh.
async fn assert_copied(db: &DatabaseConnection, to: &str, chosen: &[&objective::Model]) {
    let target = quarter_labelled(db, to).await.expect("the next quarter");
    let copies = objectives_in(db, target.id).await;
    let mut titles: Vec<&str> = chosen.iter().map(|found| found.title.as_str()).collect();
    titles.sort_unstable();
    assert_eq!(
        copies
            .iter()
            .map(|found| found.title.as_str())
            .collect::<Vec<_>>(),
        titles
    );
    for source in chosen {
        let copy = copies
            .iter()
            .find(|found| found.title == source.title)
            .expect("a copy");
        assert_ne!(copy.id, source.id);
        assert_eq!(
            (copy.team_id, copy.owner_id),
            (source.team_id, source.owner_id)
        );
        let sources = key_results_of(db, source.id).await;
        let copied = key_results_of(db, copy.id).await;
        assert_eq!(copied.len(), sources.len(), "{}", source.title);
        for (source, copied) in sources.iter().zip(&copied) {
            assert_rolled_over(db, source, copied, copy.id).await;
        }
    }
}

migration::backend_test!(
    rolling_over_copies_the_chosen_objectives_into_the_next_quarter_once,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let direct_revenue = seeded_objective(db, DIRECT_REVENUE).await;
        let apac = seeded_objective(db, APAC_SALES).await;
        let loyalty = seeded_objective(db, LOYALTY).await;

        // The plan: the quarter to create, and what each may copy.
        let plan = world
            .read("roll_over_plan?label=2025-Q1", &world.emily)
            .await;
        assert_eq!(plan["from"]["label"], Q1);
        assert_eq!(
            plan["to"],
            json!({"id": null, "label": "2025-Q2", "start_at": "2025-04-01", "end_at": "2025-06-30"})
        );
        assert_eq!(ids(&plan["objectives"]).len(), 3);
        let plan = world
            .read("roll_over_plan?label=2025-Q1", &world.lisa)
            .await;
        assert_eq!(ids(&plan["objectives"]), [apac.id]);
        assert_eq!(plan["objectives"][0]["key_results"], 4);
        assert_eq!(plan["objectives"][0]["reached"], 0);
        assert_eq!(plan["objectives"][0]["already_copied"], false);
        world
            .refused_get(
                "roll_over_plan?label=2024-Q4",
                Some(&world.lisa),
                Refusal::NotFound,
            )
            .await;

        // Refused, in one transaction: nothing is created, not even the quarter.
        let unknown = Uuid::new_v4();
        for (cookie, form, refusal) in [
            (
                &world.emily,
                roll_over_form(Q1, &[], false),
                Refusal::Invalid("objective_ids"),
            ),
            (
                &world.emily,
                roll_over_form(Q1, &[apac.id, unknown], false),
                Refusal::Invalid("objective_ids"),
            ),
            (
                &world.emily,
                with(
                    roll_over_form(Q1, &[apac.id], false),
                    "objective_ids[1]",
                    "APAC",
                ),
                Refusal::Invalid("objective_ids"),
            ),
            (
                &world.emily,
                roll_over_form("2024-Q4", &[apac.id], false),
                Refusal::NotFound,
            ),
            (
                &world.lisa,
                roll_over_form(Q1, &[apac.id, direct_revenue.id], false),
                Refusal::Forbidden,
            ),
        ] {
            world
                .refused("roll_over", Some(cookie), &form, refusal)
                .await;
        }

        let check_ins_before = rows(db).await.check_ins;
        let q1_before: Vec<key_result::Model> = all(db, key_result::Column::Id).await;
        let report = world
            .ok(
                "roll_over",
                &world.emily,
                &roll_over_form(Q1, &[direct_revenue.id, apac.id], false),
            )
            .await;
        assert_eq!(
            report,
            json!({
                "to_label": "2025-Q2",
                "created_quarter": true,
                "objectives_copied": 2,
                "key_results_copied": 7,
                "left_out_reached": 0,
                "already_there": 0,
            })
        );
        let q2 = quarter_labelled(db, "2025-Q2")
            .await
            .expect("2025-Q2 created");
        assert_eq!(
            (q2.start_at, q2.end_at, q2.archived, q2.notes.as_deref()),
            (
                common::date(2025, 4, 1),
                common::date(2025, 6, 30),
                false,
                None
            )
        );
        assert_copied(db, "2025-Q2", &[&direct_revenue, &apac]).await;
        // The old quarter and its check-ins stay as they were.
        assert_eq!(rows(db).await.check_ins, check_ins_before);
        let after: Vec<key_result::Model> = all(db, key_result::Column::Id).await;
        assert!(q1_before.iter().all(|found| after.contains(found)));
        assert_eq!(after.len(), q1_before.len() + 7);

        // The plan now knows the quarter and what is there already.
        let plan = world
            .read("roll_over_plan?label=2025-Q1", &world.emily)
            .await;
        assert_eq!(plan["to"]["id"], q2.id.to_string());
        for row in plan["objectives"].as_array().expect("objectives") {
            assert_eq!(row["already_copied"], row["title"] != LOYALTY, "{row}");
        }

        // Again: nothing new.
        let before = rows(db).await;
        let again = world
            .ok(
                "roll_over",
                &world.lisa,
                &roll_over_form(Q1, &[apac.id, apac.id], false),
            )
            .await;
        assert_eq!(
            again,
            json!({
                "to_label": "2025-Q2",
                "created_quarter": false,
                "objectives_copied": 0,
                "key_results_copied": 0,
                "left_out_reached": 0,
                "already_there": 8,
            })
        );
        assert_eq!(rows(db).await, before);

        // Adding the third copies only it.
        let third = world
            .ok(
                "roll_over",
                &world.emily,
                &roll_over_form(Q1, &[direct_revenue.id, loyalty.id, apac.id], false),
            )
            .await;
        assert_eq!(third["objectives_copied"], 1);
        assert_eq!(third["key_results_copied"], 3);
        assert_eq!(third["already_there"], 7);
        assert_eq!(third["created_quarter"], false);
        assert_copied(db, "2025-Q2", &[&direct_revenue, &apac, &loyalty]).await;

        // A copied objective is not a 2025-Q1 objective to roll over.
        let copy = objectives_in(db, q2.id).await[0].clone();
        world
            .refused(
                "roll_over",
                Some(&world.emily),
                &roll_over_form(Q1, &[copy.id], false),
                Refusal::Invalid("objective_ids"),
            )
            .await;
        // 2025-Q2 rolls over into a new 2025-Q3.
        let report = world
            .ok(
                "roll_over",
                &world.emily,
                &roll_over_form("2025-Q2", &[copy.id], false),
            )
            .await;
        assert_eq!(report["to_label"], "2025-Q3");
        assert_eq!(report["created_quarter"], true);

        world.finish().await;
    }
);

migration::backend_test!(
    rolling_over_can_leave_out_reached_key_results,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let loyalty = seeded_objective(db, LOYALTY).await;
        // Co-brand sign-ups reach their target exactly; partner bookings
        // pass theirs.
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let target = co_brand.target_value;
        set_current_value(db, co_brand, target).await;
        let partner = key_result_titled(db, PARTNER_BOOKINGS).await;
        set_current_value(db, partner, decimal("5200000")).await;

        let plan = world
            .read("roll_over_plan?label=2025-Q1", &world.sarah)
            .await;
        let row = plan["objectives"]
            .as_array()
            .expect("objectives")
            .iter()
            .find(|row| row["title"] == LOYALTY)
            .cloned()
            .expect("the loyalty objective");
        assert_eq!(
            (row["key_results"].as_u64(), row["reached"].as_u64()),
            (Some(3), Some(2))
        );

        let report = world
            .ok(
                "roll_over",
                &world.sarah,
                &roll_over_form(Q1, &[loyalty.id], true),
            )
            .await;
        assert_eq!(
            report,
            json!({
                "to_label": "2025-Q2",
                "created_quarter": true,
                "objectives_copied": 1,
                "key_results_copied": 1,
                "left_out_reached": 2,
                "already_there": 0,
            })
        );
        let q2 = quarter_labelled(db, "2025-Q2").await.expect("2025-Q2");
        let copies = objectives_in(db, q2.id).await;
        assert_eq!(copies.len(), 1);
        let copied = key_results_of(db, copies[0].id).await;
        let sources: Vec<key_result::Model> = key_results_of(db, loyalty.id)
            .await
            .into_iter()
            .filter(|found| found.title != CO_BRAND && found.title != PARTNER_BOOKINGS)
            .collect();
        assert_eq!(copied.len(), 1);
        assert_rolled_over(db, &sources[0], &copied[0], copies[0].id).await;

        // Without skipping, one exactly at its target still has nowhere to go.
        let report = world
            .ok(
                "roll_over",
                &world.sarah,
                &roll_over_form(Q1, &[loyalty.id], false),
            )
            .await;
        assert_eq!(report["already_there"], 1);
        assert_eq!(report["objectives_copied"], 0);
        assert!(
            !key_results_of(db, copies[0].id)
                .await
                .iter()
                .any(|found| found.title == CO_BRAND)
        );

        world.finish().await;
    }
);

migration::backend_test!(
    roll_overs_at_the_same_time_create_one_quarter_and_no_duplicates,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let direct_revenue = seeded_objective(db, DIRECT_REVENUE).await;
        let apac = seeded_objective(db, APAC_SALES).await;
        let loyalty = seeded_objective(db, LOYALTY).await;

        // Two leads start 2025-Q2 at once, each for their team, while an
        // admin's double click sends the same roll-over twice.
        let lisa = roll_over_form(Q1, &[apac.id], false);
        let sarah = roll_over_form(Q1, &[direct_revenue.id, loyalty.id], false);
        let emily = roll_over_form(Q1, &[loyalty.id, apac.id], false);
        let reports = tokio::join!(
            world.ok("roll_over", &world.lisa, &lisa),
            world.ok("roll_over", &world.sarah, &sarah),
            world.ok("roll_over", &world.emily, &emily),
            world.ok("roll_over", &world.emily, &emily),
        );
        let reports = [reports.0, reports.1, reports.2, reports.3];
        let created = reports
            .iter()
            .filter(|report| report["created_quarter"] == true)
            .count();
        assert_eq!(created, 1, "{reports:?}");
        let copied: u64 = reports
            .iter()
            .map(|report| report["key_results_copied"].as_u64().unwrap_or_default())
            .sum();
        assert_eq!(copied, 10, "{reports:?}");
        let quarters = all(db, quarter::Column::Id).await;
        assert_eq!(quarters.len(), 2, "{quarters:?}");
        assert_copied(db, "2025-Q2", &[&direct_revenue, &apac, &loyalty]).await;

        // An admin's double click on "Create quarter": one quarter.
        let q3 = quarter_form(None, "2025-Q3", "2025-07-01", "2025-09-30");
        let (first, second) = tokio::join!(
            world.post("save_quarter", Some(&world.emily), &q3),
            world.post("save_quarter", Some(&world.emily), &q3),
        );
        let mut statuses = [first.0, second.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
            "{first:?} {second:?}"
        );
        assert_eq!(all(db, quarter::Column::Id).await.len(), 3);

        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// People.
// ---------------------------------------------------------------------------

migration::backend_test!(
    admins_rename_move_and_promote_people,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let emily = world.emily.as_str();
        let corporate = team_named(db, CORPORATE).await;
        let mike = person(db, MIKE).await;
        let user_before = sign_in_of(db, MIKE).await.expect("Mike's sign-in");

        // Renamed, moved to Corporate Sales, made a lead, a new email.
        let new_email = "michael.johnson@airline.com";
        let form = with(person_form(&mike, Role::Lead), "name", " Michael Johnson ");
        let form = with(with(form, "team_id", corporate.id), "email", new_email);
        let (status, body) = world.post("update_person", Some(emily), &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, mike.id.to_string());
        let edited = okr_user::Entity::find_by_id(mike.id)
            .one(db)
            .await
            .expect("query")
            .expect("Mike");
        assert_eq!(
            (
                edited.name.as_str(),
                edited.email.as_str(),
                edited.team_id,
                edited.active
            ),
            ("Michael Johnson", new_email, corporate.id, true)
        );
        assert_eq!(role_of(db, mike.id).await, Role::Lead);
        // The sign-in follows the email.
        assert!(sign_in_of(db, MIKE).await.is_none());
        let moved = sign_in_of(db, new_email).await.expect("the moved sign-in");
        assert_eq!(moved.id, user_before.id);
        // His objectives, key results and check-ins stay his.
        let co_brand = key_result_titled(db, CO_BRAND).await;
        assert_eq!(co_brand.owner_id, mike.id);
        assert_eq!(check_ins_of(db, co_brand.id).await, 3);

        // He signs in with the new email, as a lead of Corporate Sales.
        let cookie = world.server.sign_in_demo(new_email).await;
        let editor = world.read("objective_editor", &cookie).await;
        assert_eq!(ids(&editor["options"]["teams"]), [corporate.id]);
        let viewer = world.read("viewer", &cookie).await;
        assert_eq!(viewer["member"]["role"], "lead");
        assert_eq!(viewer["member"]["team_id"], corporate.id.to_string());
        // And his old session follows him too.
        let viewer = world.read("viewer", &world.mike).await;
        assert_eq!(viewer["email"], new_email);

        // Bad input names its field and changes nothing.
        let form = person_form(&edited, Role::Lead);
        let unknown = Uuid::new_v4().to_string();
        let archived = world
            .saved("create_team", emily, &fields([("name", "Dissolved")]))
            .await;
        world
            .saved(
                "update_team",
                emily,
                &fields([("id", &archived.to_string()), ("archived", "true")]),
            )
            .await;
        for (bad, field) in [
            (with(form.clone(), "name", " "), "name"),
            (with(form.clone(), "name", long(121)), "name"),
            (with(form.clone(), "name", "Mike\u{0}"), "name"),
            (with(form.clone(), "email", ""), "email"),
            (with(form.clone(), "email", "michael"), "email"),
            (
                with(form.clone(), "email", "SARAH.CHEN@airline.com"),
                "email",
            ),
            (with(form.clone(), "team_id", "Corporate"), "team_id"),
            (with(form.clone(), "team_id", &unknown), "team_id"),
            (with(form.clone(), "team_id", archived), "team_id"),
            (with(form.clone(), "role", "owner"), "role"),
            (with(form.clone(), "person_id", &unknown), "person_id"),
            (with(form.clone(), "person_id", "mike"), "person_id"),
        ] {
            world
                .refused("update_person", Some(emily), &bad, Refusal::Invalid(field))
                .await;
        }
        world
            .refused(
                "update_person",
                Some(emily),
                &without(form.clone(), "role"),
                Refusal::Undecodable,
            )
            .await;

        // An admin cannot demote themselves, but edits their own details.
        let emily_person = person(db, EMILY).await;
        for role in [Role::Lead, Role::Member] {
            world
                .refused(
                    "update_person",
                    Some(emily),
                    &person_form(&emily_person, role),
                    Refusal::Invalid("role"),
                )
                .await;
        }
        world
            .saved(
                "update_person",
                emily,
                &with(
                    person_form(&emily_person, Role::Admin),
                    "name",
                    "Emily Davis-Ng",
                ),
            )
            .await;
        assert_eq!(person(db, EMILY).await.name, "Emily Davis-Ng");
        assert_eq!(role_of(db, emily_person.id).await, Role::Admin);

        // A member again: a member's powers only.
        world
            .saved("update_person", emily, &person_form(&edited, Role::Member))
            .await;
        assert_eq!(role_of(db, mike.id).await, Role::Member);
        world
            .refused_get("objective_editor", Some(&cookie), Refusal::Forbidden)
            .await;

        world.finish().await;
    }
);

migration::backend_test!(
    deactivating_a_person_ends_their_sessions_and_keeps_their_work,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let emily = world.emily.as_str();
        let mike = person(db, MIKE).await;
        let second = world.server.sign_in_demo(MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let direct_revenue = seeded_objective(db, DIRECT_REVENUE).await;
        let owned_before: Vec<key_result::Model> = key_result::Entity::find()
            .filter(key_result::Column::OwnerId.eq(mike.id))
            .all(db)
            .await
            .expect("query");
        let check_ins_before = rows(db).await.check_ins;

        for (form, field) in [
            (active_form(mike.id, "maybe"), "active"),
            (active_form(Uuid::new_v4(), "false"), "person_id"),
            (
                fields([("person_id", "mike"), ("active", "false")]),
                "person_id",
            ),
            (
                active_form(person(db, EMILY).await.id, "false"),
                "person_id",
            ),
        ] {
            world
                .refused(
                    "set_person_active",
                    Some(emily),
                    &form,
                    Refusal::Invalid(field),
                )
                .await;
        }

        assert_eq!(
            world
                .saved("set_person_active", emily, &active_form(mike.id, "false"))
                .await,
            mike.id
        );
        let deactivated = person(db, MIKE).await;
        assert!(!deactivated.active);
        // Both his sessions have ended.
        let sign_in = sign_in_of(db, MIKE).await.expect("Mike's sign-in");
        let sessions = session::Entity::find()
            .filter(session::Column::UserId.eq(sign_in.id))
            .count(db)
            .await
            .expect("count");
        assert_eq!(sessions, 0);
        for cookie in [&world.mike, &second] {
            world
                .refused(
                    "check_in",
                    Some(cookie),
                    &check_in_form(co_brand.id, "6000"),
                    Refusal::SignedOut,
                )
                .await;
            let viewer = world.read("viewer", cookie).await;
            assert_eq!(viewer, Value::Null);
        }
        // His work stays.
        let owned_after: Vec<key_result::Model> = key_result::Entity::find()
            .filter(key_result::Column::OwnerId.eq(mike.id))
            .all(db)
            .await
            .expect("query");
        assert_eq!(owned_after, owned_before);
        assert_eq!(rows(db).await.check_ins, check_ins_before);
        // He leaves the pickers, and cannot be chosen as an owner.
        let editor = world.read("objective_editor", emily).await;
        assert!(
            !ids(&editor["options"]["people"]).contains(&mike.id),
            "{editor}"
        );
        assert_eq!(ids(&editor["options"]["people"]).len(), 4);
        let editor = world
            .read(
                &format!("key_result_editor?objective={}", direct_revenue.id),
                &world.sarah,
            )
            .await;
        assert!(!ids(&editor["people"]).contains(&mike.id), "{editor}");
        // What he owns shows him as he is, marked, so a save changes nothing
        // silently.
        let editor = world
            .read(
                &format!("key_result_editor?id={}", co_brand.id),
                &world.sarah,
            )
            .await;
        let shown: Vec<&Value> = editor["people"]
            .as_array()
            .expect("people")
            .iter()
            .filter(|option| option["id"] == mike.id.to_string())
            .collect();
        assert_eq!(shown.len(), 1, "{editor}");
        assert_eq!(shown[0]["name"], "Mike Johnson (inactive)");
        world
            .refused(
                "save_key_result",
                Some(&world.sarah),
                &new_key_result_form(direct_revenue.id, mike.id, "Mike's"),
                Refusal::Invalid("owner_id"),
            )
            .await;
        world
            .refused(
                "save_objective",
                Some(&world.sarah),
                &with(objective_form(&direct_revenue), "owner_id", mike.id),
                Refusal::Invalid("owner_id"),
            )
            .await;
        // A sign-in with no active person behind it may do nothing.
        let cookie = world.server.sign_in_demo(MIKE).await;
        world
            .refused(
                "check_in",
                Some(&cookie),
                &check_in_form(co_brand.id, "6000"),
                Refusal::Forbidden,
            )
            .await;

        // Reactivated: back in the pickers, and checking in again.
        world
            .saved("set_person_active", emily, &active_form(mike.id, "true"))
            .await;
        assert!(person(db, MIKE).await.active);
        let editor = world.read("objective_editor", emily).await;
        assert!(ids(&editor["options"]["people"]).contains(&mike.id));
        let cookie = world.server.sign_in_demo(MIKE).await;
        world
            .ok("check_in", &cookie, &check_in_form(co_brand.id, "6000"))
            .await;
        world
            .saved(
                "save_key_result",
                &world.sarah,
                &new_key_result_form(direct_revenue.id, mike.id, "Mike's"),
            )
            .await;

        world.finish().await;
    }
);
