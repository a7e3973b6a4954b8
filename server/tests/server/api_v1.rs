//! The versioned JSON API under `/api/v1` over real HTTP, against the real
//! router on a free port, on SQLite and PostgreSQL: every endpoint with a
//! personal access token, recording check-ins as the token's person, every
//! error status in the API's one error shape with the rows left as they were,
//! the per-token rate limit, idempotent retries (50 of them at once), the
//! server functions of the access tokens page, and a contract test that
//! calls every operation of the OpenAPI document and checks each answer
//! against the schema it documents.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;

use app::server::auth::{AuthConfig, token_hash};
use app::server::tokens;
use chrono::{NaiveDateTime, TimeDelta, Utc};
use common::{
    APAC_REVENUE, CO_BRAND, CONVERSION, DEMO_PASSWORD, EMILY, MIKE, SARAH, TestServer,
    key_result_titled, no_redirects, person, status_and_json,
};
use domain::access::Member;
use domain::{ConfidenceLevel, Role};
use entity::{api_idempotency, api_token, check_in, key_result, objective, quarter, team};
use migration::testing::TestDb;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// An answer of the API: its status, headers and JSON body.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Sends a request; every answer of the API, errors included, is JSON.
async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("an answer from the server");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a response body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{status}: not JSON ({error}): {text:?}"));
    assert!(!status.is_server_error(), "never a 5xx: {status} {body}");
    Reply {
        status,
        headers,
        body,
    }
}

/// A request to the API, with `Authorization: Bearer <token>` when given.
fn api(server: &TestServer, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
    let request = server.client.request(method, server.url(path));
    match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    }
}

async fn get(server: &TestServer, token: &str, path: &str) -> Reply {
    send(api(server, Method::GET, path, Some(token))).await
}

/// `POST /api/v1/key-results/{key_result}/check-ins` with `body` as is (JSON
/// or not), and an `Idempotency-Key` when given.
fn check_in_request(
    server: &TestServer,
    token: &str,
    key_result: impl Display,
    body: impl Display,
    key: Option<&str>,
) -> RequestBuilder {
    let path = format!("/api/v1/key-results/{key_result}/check-ins");
    let request = api(server, Method::POST, &path, Some(token))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    match key {
        Some(key) => request.header("Idempotency-Key", key),
        None => request,
    }
}

async fn post_check_in(
    server: &TestServer,
    token: &str,
    key_result: impl Display,
    body: impl Display,
    key: Option<&str>,
) -> Reply {
    send(check_in_request(server, token, key_result, body, key)).await
}

/// Everything a refused request must leave as it was.
#[derive(Debug, PartialEq)]
struct Rows {
    check_ins: u64,
    idempotency_keys: u64,
    tokens: u64,
    key_results: Vec<(Uuid, Decimal, NaiveDateTime)>,
}

async fn rows(db: &DatabaseConnection) -> Rows {
    Rows {
        check_ins: check_in::Entity::find().count(db).await.expect("count"),
        idempotency_keys: api_idempotency::Entity::find()
            .count(db)
            .await
            .expect("count"),
        tokens: api_token::Entity::find().count(db).await.expect("count"),
        key_results: key_result::Entity::find()
            .order_by_asc(key_result::Column::Id)
            .all(db)
            .await
            .expect("key results")
            .into_iter()
            .map(|row| (row.id, row.current_value, row.updated_at))
            .collect(),
    }
}

/// The API's error shape, `{"error": {"code", "message", "field"?}}`, with
/// this status, code and field (`None`: no field).
fn assert_error(reply: &Reply, status: StatusCode, code: &str, field: Option<&str>) {
    let body = &reply.body;
    assert_eq!(reply.status, status, "{body}");
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error object: {body}"));
    assert_eq!(error["code"], code, "{body}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "a message: {body}"
    );
    assert_eq!(
        error.get("field").and_then(Value::as_str),
        field,
        "the field: {body}"
    );
    let keys: BTreeSet<&str> = error.keys().map(String::as_str).collect();
    assert!(
        keys.is_subset(&BTreeSet::from(["code", "message", "field"])),
        "{body}"
    );
    assert_eq!(body.as_object().map(|body| body.len()), Some(1), "{body}");
}

/// Sends a request that must be refused with this status, code and field,
/// and checks that no row changed.
async fn assert_refused(
    db: &DatabaseConnection,
    request: RequestBuilder,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) -> Reply {
    let before = rows(db).await;
    let reply = send(request).await;
    assert_error(&reply, status, code, field);
    assert_eq!(rows(db).await, before, "a refused request changed rows");
    reply
}

/// A new token of a seeded person, made as the tokens page would.
async fn token_of(db: &DatabaseConnection, email: &str) -> String {
    let owner = person(db, email).await.id;
    tokens::create(db, owner, "tests", None, Utc::now().naive_utc())
        .await
        .expect("create a token")
        .token
}

async fn token_row(db: &DatabaseConnection, token: &str) -> api_token::Model {
    api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await
        .expect("query tokens")
        .expect("the token's row")
}

async fn check_ins_of(db: &DatabaseConnection, key_result: Uuid) -> Vec<check_in::Model> {
    check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result))
        .order_by_desc(check_in::Column::CreatedAt)
        .order_by_desc(check_in::Column::Id)
        .all(db)
        .await
        .expect("query check-ins")
}

fn confidence_name(level: ConfidenceLevel) -> &'static str {
    match level {
        ConfidenceLevel::Red => "red",
        ConfidenceLevel::Amber => "amber",
        ConfidenceLevel::Green => "green",
    }
}

/// A valid check-in body.
fn good_body(value: &str) -> Value {
    json!({"value": value, "confidence": "green"})
}

// ---------------------------------------------------------------------------
// Reading.
// ---------------------------------------------------------------------------

migration::backend_test!(
    every_read_endpoint_answers_a_token_with_the_seeded_data,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        // An older, archived quarter, so "newest first" means something.
        let now = Utc::now().naive_utc();
        quarter::ActiveModel {
            id: Set(Uuid::new_v4()),
            label: Set("2024-Q4".into()),
            start_at: Set(common::date(2024, 10, 1)),
            end_at: Set(common::date(2024, 12, 31)),
            organization_id: Set(None),
            archived: Set(true),
            notes: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .expect("insert a quarter");
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;

        // The quarters, newest first.
        let reply = get(&server, &token, "/api/v1/quarters").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            reply.body,
            json!({"quarters": [
                {"label": "2025-Q1", "start_date": "2025-01-01", "end_date": "2025-03-31", "archived": false},
                {"label": "2024-Q4", "start_date": "2024-10-01", "end_date": "2024-12-31", "archived": true},
            ]})
        );

        // One quarter: every team with its objectives and key results, as
        // the database holds them.
        let reply = get(&server, &token, "/api/v1/quarters/2025-Q1").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let detail = &reply.body;
        assert_eq!(detail["label"], "2025-Q1");
        assert_eq!(detail["start_date"], "2025-01-01");
        assert_eq!(detail["end_date"], "2025-03-31");
        assert_eq!(detail["archived"], false);
        assert_eq!(detail["as_of"], "2025-03-31", "the quarter is over");
        assert!(detail["net_confidence_score"].is_number(), "{detail}");
        let mut expected: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for (objective, key_results) in objective::Entity::find()
            .find_with_related(key_result::Entity)
            .all(db)
            .await
            .expect("objectives")
        {
            let team = team::Entity::find_by_id(objective.team_id)
                .one(db)
                .await
                .expect("team")
                .expect("the objective's team");
            expected
                .entry(team.name)
                .or_default()
                .insert(objective.title, key_results.len());
        }
        let mut answered: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut key_results = Vec::new();
        for team in detail["teams"].as_array().expect("teams") {
            let objectives = answered
                .entry(team["name"].as_str().expect("a team name").to_owned())
                .or_default();
            for objective in team["objectives"].as_array().expect("objectives") {
                let krs = objective["key_results"].as_array().expect("key results");
                objectives.insert(
                    objective["title"].as_str().expect("a title").to_owned(),
                    krs.len(),
                );
                key_results.extend(krs.iter().cloned());
            }
        }
        assert_eq!(answered, expected);
        assert_eq!(
            answered.keys().collect::<Vec<_>>(),
            ["Corporate Sales", "Direct Channel Sales"]
        );
        assert_eq!(key_results.len(), 10, "the seed's ten key results");
        for row in key_result::Entity::find().all(db).await.expect("krs") {
            let answered = key_results
                .iter()
                .find(|kr| kr["id"] == row.id.to_string())
                .unwrap_or_else(|| panic!("{} is missing", row.title));
            assert_eq!(answered["title"], row.title.as_str());
            assert_eq!(
                answered["current_value"],
                format!("{:.2}", row.current_value)
            );
        }

        // One key result, with where it sits.
        let apac = key_result_titled(db, APAC_REVENUE).await;
        let seeded = check_ins_of(db, apac.id).await;
        let reply = get(&server, &token, &format!("/api/v1/key-results/{}", apac.id)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let kr = &reply.body;
        assert_eq!(kr["id"], apac.id.to_string());
        assert_eq!(kr["title"], APAC_REVENUE);
        assert_eq!(kr["owner"], "Lisa Wang");
        assert_eq!(kr["unit"], "$");
        assert_eq!(kr["direction"], "up");
        assert_eq!(kr["start_value"], "8000000.00");
        assert_eq!(kr["target_value"], "15000000.00");
        assert_eq!(kr["current_value"], "8300000.00");
        assert_eq!(
            kr["latest_confidence"],
            confidence_name(seeded[0].confidence)
        );
        assert_eq!(kr["last_check_in_date"], "2025-01-20");
        assert_eq!(kr["stale"], true);
        assert_eq!(kr["quarter"], "2025-Q1");
        assert_eq!(kr["team"], "Corporate Sales");
        assert_eq!(kr["objective"], "Expand Corporate Sales in APAC");
        assert_eq!(kr["check_in_count"], seeded.len());
        assert!(
            kr["progress"]
                .as_f64()
                .is_some_and(|p| (p - 300_000.0 / 7_000_000.0).abs() < 1e-9)
        );
        assert!(kr["pace"]["expected_progress"].is_number(), "{kr}");
        assert!(kr["pace"]["summary"].is_string(), "{kr}");
        assert!(kr["forecast"]["value"].is_string(), "{kr}");
        assert!(kr["forecast"]["summary"].is_string(), "{kr}");

        // Its check-ins, a page at a time: two more at one same moment (so
        // the cursor must break the tie by id) and two more besides.
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let mike = person(db, MIKE).await;
        let same_moment = common::date(2025, 2, 3).and_hms_opt(10, 0, 0).unwrap();
        for (day, at) in [
            (3, same_moment),
            (3, same_moment),
            (10, same_moment + TimeDelta::days(7)),
            (17, same_moment + TimeDelta::days(14)),
        ] {
            check_in::ActiveModel {
                id: Set(Uuid::new_v4()),
                kr_id: Set(co_brand.id),
                value: Set(Decimal::from(6000 + day)),
                confidence: Set(ConfidenceLevel::Amber),
                note: Set(Some(format!("February, day {day}"))),
                created_by: Set(mike.id),
                created_at: Set(at),
            }
            .insert(db)
            .await
            .expect("insert a check-in");
        }
        let stored = check_ins_of(db, co_brand.id).await;
        assert_eq!(stored.len(), 7);
        let path = format!("/api/v1/key-results/{}/check-ins", co_brand.id);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("?limit=2&cursor={cursor}"),
                None => "?limit=2".to_owned(),
            };
            let reply = get(&server, &token, &format!("{path}{query}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            pages += 1;
            let page = reply.body["check_ins"].as_array().expect("check-ins");
            assert!(page.len() <= 2 && !page.is_empty(), "{}", reply.body);
            seen.extend(page.iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 10, "the cursor never ends");
        }
        assert_eq!(pages, 4, "seven check-ins, two a page");
        let ids: Vec<String> = seen
            .iter()
            .map(|entry| entry["id"].as_str().expect("an id").to_owned())
            .collect();
        let expected_ids: Vec<String> = stored.iter().map(|row| row.id.to_string()).collect();
        assert_eq!(ids, expected_ids, "every check-in once, newest first");
        for (entry, row) in seen.iter().zip(&stored) {
            assert_eq!(entry["key_result_id"], co_brand.id.to_string());
            assert_eq!(entry["value"], format!("{:.2}", row.value));
            assert_eq!(entry["confidence"], confidence_name(row.confidence));
            assert_eq!(entry["note"], json!(row.note));
            assert_eq!(entry["date"], row.created_at.date().to_string());
            assert_eq!(entry["author"], "Mike Johnson");
        }
        // Without a limit: all of them, the last page.
        let reply = get(&server, &token, &path).await;
        assert_eq!(reply.body["check_ins"].as_array().map(Vec::len), Some(7));
        assert_eq!(reply.body["next_cursor"], Value::Null);
        let reply = get(
            &server,
            &token,
            &format!("/api/v1/key-results/{}", co_brand.id),
        )
        .await;
        assert_eq!(reply.body["check_in_count"], 7);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_tokens_first_use_sets_its_last_used_at,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        assert_eq!(token_row(db, &token).await.last_used_at, None);

        let before = Utc::now().naive_utc() - TimeDelta::seconds(1);
        let reply = get(&server, &token, "/api/v1/quarters").await;
        assert_eq!(reply.status, StatusCode::OK);
        let after = Utc::now().naive_utc() + TimeDelta::seconds(1);
        let used = token_row(db, &token)
            .await
            .last_used_at
            .expect("last_used_at is set");
        assert!(
            before <= used && used <= after,
            "{used} not in {before}..{after}"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Recording check-ins.
// ---------------------------------------------------------------------------

migration::backend_test!(
    a_post_records_a_check_in_as_the_tokens_person,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let mike = person(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let location = format!("/api/v1/key-results/{}/check-ins", co_brand.id);

        // A JSON number and a confidence as a number, on a given day.
        let before = rows(db).await;
        let reply = post_check_in(
            &server,
            &token,
            co_brand.id,
            json!({"value": 6150.5, "confidence": 1, "date": "2025-03-01"}),
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.header(LOCATION.as_str()), Some(location.as_str()));
        assert_eq!(reply.header("idempotent-replayed"), None);
        let first = &reply.body;
        assert_eq!(first["key_result_id"], co_brand.id.to_string());
        assert_eq!(first["value"], "6150.50");
        assert_eq!(first["confidence"], "amber");
        assert_eq!(first["note"], Value::Null);
        assert_eq!(first["date"], "2025-03-01");
        assert_eq!(first["author"], "Mike Johnson");
        let id = Uuid::parse_str(first["id"].as_str().expect("an id")).expect("a UUID");
        let row = check_in::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the check-in is stored");
        assert_eq!(row.kr_id, co_brand.id);
        assert_eq!(row.created_by, mike.id, "authored by the token's person");
        assert_eq!(row.value, Decimal::new(615_050, 2));
        assert_eq!(row.confidence, ConfidenceLevel::Amber);
        assert_eq!(row.created_at.date(), common::date(2025, 3, 1));
        assert_eq!(first["recorded_at"], json!(row.created_at.and_utc()));
        let after = rows(db).await;
        assert_eq!(after.check_ins, before.check_ins + 1);
        assert_eq!(
            key_result_titled(db, CO_BRAND).await.current_value,
            Decimal::new(615_050, 2)
        );

        // A string value, confidence by name, a note, and no date: the
        // quarter is over, so its last day.
        let reply = post_check_in(
            &server,
            &token,
            co_brand.id,
            json!({"value": "6200.00", "confidence": "green", "note": "Spring campaign"}),
            None,
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["confidence"], "green");
        assert_eq!(reply.body["note"], "Spring campaign");
        assert_eq!(reply.body["date"], "2025-03-31");
        let latest = &check_ins_of(db, co_brand.id).await[0];
        assert_eq!(latest.id.to_string(), reply.body["id"].as_str().unwrap());
        assert_eq!(latest.created_by, mike.id);
        assert_eq!(latest.confidence, ConfidenceLevel::Green);
        assert_eq!(latest.note.as_deref(), Some("Spring campaign"));
        assert_eq!(
            key_result_titled(db, CO_BRAND).await.current_value,
            Decimal::from(6200)
        );

        // The reads see it.
        let kr = get(
            &server,
            &token,
            &format!("/api/v1/key-results/{}", co_brand.id),
        )
        .await;
        assert_eq!(kr.body["current_value"], "6200.00");
        assert_eq!(kr.body["latest_confidence"], "green");
        assert_eq!(kr.body["last_check_in_date"], "2025-03-31");
        assert_eq!(kr.body["check_in_count"], 5);
        let page = get(&server, &token, &location).await;
        assert_eq!(page.body["check_ins"][0], reply.body);
        assert_eq!(page.body["check_ins"][1], *first);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Refusals: the error shape, and nothing changed.
// ---------------------------------------------------------------------------

migration::backend_test!(
    malformed_unauthenticated_and_forbidden_requests_change_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let body = good_body("6100");

        // 400: not JSON, not an object, or a bad Idempotency-Key.
        for bad in ["{\"value\": ", "[1, 2]", "\"6100\"", "42", "", "nul"] {
            assert_refused(
                db,
                check_in_request(&server, &token, co_brand, bad, None),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                None,
            )
            .await;
        }
        let long_key = "k".repeat(256);
        for key in ["", "   ", "two words", long_key.as_str()] {
            assert_refused(
                db,
                check_in_request(&server, &token, co_brand, &body, Some(key)),
                StatusCode::BAD_REQUEST,
                "malformed_request",
                Some("Idempotency-Key"),
            )
            .await;
        }
        let non_ascii = check_in_request(&server, &token, co_brand, &body, None).header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes("clé".as_bytes()).unwrap(),
        );
        assert_refused(
            db,
            non_ascii,
            StatusCode::BAD_REQUEST,
            "malformed_request",
            Some("Idempotency-Key"),
        )
        .await;

        // 401: no token, another scheme, a token nobody made.
        let path = format!("/api/v1/key-results/{co_brand}/check-ins");
        let unknown = format!("rokr_{}", "0".repeat(64));
        let no_token = || {
            api(&server, Method::POST, &path, None)
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
        };
        for request in [
            no_token(),
            no_token().header(AUTHORIZATION, format!("Basic {token}")),
            no_token().header(AUTHORIZATION, token.clone()),
            no_token().header(AUTHORIZATION, "Bearer "),
            check_in_request(&server, &unknown, co_brand, &body, None),
            check_in_request(&server, "not-a-token", co_brand, &body, None),
            api(&server, Method::GET, "/api/v1/quarters", None),
            api(&server, Method::GET, "/api/v1/quarters", Some(&unknown)),
        ] {
            assert_refused(db, request, StatusCode::UNAUTHORIZED, "unauthorized", None).await;
        }

        // 401: a token revoked, and one expired, after they worked.
        let revoked = token_of(db, MIKE).await;
        let expired = token_of(db, MIKE).await;
        for token in [&revoked, &expired] {
            assert_eq!(
                get(&server, token, "/api/v1/quarters").await.status,
                StatusCode::OK
            );
        }
        let mike = person(db, MIKE).await;
        let owner = Member {
            person_id: mike.id,
            team_id: mike.team_id,
            role: Role::Member,
        };
        let now = Utc::now().naive_utc();
        tokens::revoke(db, token_row(db, &revoked).await.id, &owner, now)
            .await
            .expect("revoke");
        let mut row = token_row(db, &expired).await.into_active_model();
        row.expires_at = Set(Some(now - TimeDelta::minutes(1)));
        row.update(db).await.expect("expire the token");
        for (token, says) in [(&revoked, "revoked"), (&expired, "expired")] {
            for request in [
                check_in_request(&server, token, co_brand, &body, Some("retry-1")),
                api(&server, Method::GET, "/api/v1/quarters", Some(token)),
            ] {
                let reply =
                    assert_refused(db, request, StatusCode::UNAUTHORIZED, "unauthorized", None)
                        .await;
                let message = reply.body["error"]["message"].as_str().unwrap();
                assert!(message.contains(says), "{message}");
            }
        }

        // 403: a member checking in on another team's key result, with or
        // without an idempotency key (which is then not kept).
        let apac = key_result_titled(db, APAC_REVENUE).await.id;
        for key in [None, Some("forbidden-1")] {
            assert_refused(
                db,
                check_in_request(&server, &token, apac, &body, key),
                StatusCode::FORBIDDEN,
                "forbidden",
                None,
            )
            .await;
        }
        // The key was not spent on the refusal.
        let reply = post_check_in(&server, &token, co_brand, &body, Some("forbidden-1")).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    unknown_things_wrong_methods_conflicts_and_big_bodies_change_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let body = good_body("6100");
        let nobody = Uuid::new_v4();

        // 404: no such key result, quarter or endpoint.
        let mut requests = vec![
            check_in_request(&server, &token, nobody, &body, None),
            check_in_request(&server, &token, "not-a-uuid", &body, Some("k-404")),
        ];
        for path in [
            format!("/api/v1/key-results/{nobody}"),
            format!("/api/v1/key-results/{nobody}/check-ins"),
            "/api/v1/key-results/not-a-uuid".to_owned(),
            "/api/v1/key-results/not-a-uuid/check-ins".to_owned(),
            "/api/v1/quarters/2031-Q9".to_owned(),
            "/api/v1/quarters/%20".to_owned(),
            "/api/v1/quarters/2025-Q1%0A".to_owned(),
            "/api/v1/nothing/here".to_owned(),
            "/api/v1".to_owned(),
            "/api/v1/".to_owned(),
        ] {
            requests.push(api(&server, Method::GET, &path, Some(&token)));
        }
        for request in requests {
            assert_refused(db, request, StatusCode::NOT_FOUND, "not_found", None).await;
        }

        // 405: a method the endpoint does not take.
        let check_ins = format!("/api/v1/key-results/{co_brand}/check-ins");
        let key_result = format!("/api/v1/key-results/{co_brand}");
        for (method, path) in [
            (Method::DELETE, check_ins.as_str()),
            (Method::PUT, check_ins.as_str()),
            (Method::POST, "/api/v1/quarters"),
            (Method::DELETE, "/api/v1/quarters/2025-Q1"),
            (Method::PATCH, key_result.as_str()),
        ] {
            let request = api(&server, method.clone(), path, Some(&token))
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
            let reply = assert_refused(
                db,
                request,
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                None,
            )
            .await;
            let allow = reply.header("allow").unwrap_or_default();
            assert!(allow.contains("GET"), "{method} {path}: Allow: {allow:?}");
        }

        // 409: an idempotency key reused for another request. Its first
        // answer is replayed for the same request, which stores nothing.
        let first = post_check_in(&server, &token, co_brand, &body, Some("key-409")).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let before = rows(db).await;
        let respaced = r#"{ "confidence": "green",   "value": "6100" }"#;
        let replay = post_check_in(&server, &token, co_brand, respaced, Some("key-409")).await;
        assert_eq!(replay.status, StatusCode::CREATED);
        assert_eq!(replay.body, first.body, "the first answer again");
        assert_eq!(replay.header("idempotent-replayed"), Some("true"));
        assert_eq!(
            replay.header(LOCATION.as_str()),
            first.header(LOCATION.as_str())
        );
        assert_eq!(rows(db).await, before, "a replay stores nothing");
        let conversion = key_result_titled(db, CONVERSION).await.id;
        for (key_result, body) in [
            (co_brand, good_body("6101")),
            (co_brand, json!({"value": "6100", "confidence": "amber"})),
            (
                co_brand,
                json!({"value": "6100", "confidence": "green", "note": "x"}),
            ),
            (conversion, good_body("6100")),
        ] {
            assert_refused(
                db,
                check_in_request(&server, &token, key_result, body, Some("key-409")),
                StatusCode::CONFLICT,
                "conflict",
                None,
            )
            .await;
        }
        // Keys are per token: another token's same key is a new request.
        let other = token_of(db, MIKE).await;
        let reply = post_check_in(&server, &other, co_brand, &body, Some("key-409")).await;
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.header("idempotent-replayed"), None);
        assert_ne!(reply.body["id"], first.body["id"]);

        // 413: a body over the 16 KiB limit.
        let big = json!({"value": "6100", "confidence": "green", "note": "x".repeat(20 * 1024)});
        for key in [None, Some("big-1")] {
            assert_refused(
                db,
                check_in_request(&server, &token, co_brand, &big, key),
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                None,
            )
            .await;
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    each_invalid_field_is_a_422_naming_it,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let mike = person(db, MIKE).await.id;

        let cases = [
            (json!({"value": "abc", "confidence": "green"}), "value"),
            (json!({"value": "6100.123", "confidence": "green"}), "value"),
            (json!({"value": 6100.125, "confidence": "green"}), "value"),
            (
                json!({"value": "12345678901234", "confidence": "green"}),
                "value",
            ),
            (json!({"value": "1e5", "confidence": "green"}), "value"),
            (json!({"value": "", "confidence": "green"}), "value"),
            (json!({"value": true, "confidence": "green"}), "value"),
            (json!({"confidence": "green"}), "value"),
            (json!({"value": "6100", "confidence": "blue"}), "confidence"),
            (json!({"value": "6100", "confidence": 3}), "confidence"),
            (json!({"value": "6100"}), "confidence"),
            (
                json!({"value": "6100", "confidence": "green", "note": "n".repeat(501)}),
                "note",
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": 5}),
                "note",
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "2024-12-31"}),
                "date",
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "2025-04-01"}),
                "date",
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "2099-01-01"}),
                "date",
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "14/03/2025"}),
                "date",
            ),
            (
                json!({"value": "6100", "confidence": "green", "author_id": mike}),
                "author_id",
            ),
        ];
        for (body, field) in cases {
            for key in [None, Some("k-422")] {
                assert_refused(
                    db,
                    check_in_request(&server, &token, co_brand, &body, key),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    Some(field),
                )
                .await;
            }
        }
        // A note of exactly 500 characters is fine.
        let reply = post_check_in(
            &server,
            &token,
            co_brand,
            json!({"value": "6100", "confidence": "green", "note": "n".repeat(500)}),
            Some("k-422"),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

        // The query of the check-in list.
        let path = format!("/api/v1/key-results/{co_brand}/check-ins");
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("limit=%2B5", "limit"),
            ("limit=", "limit"),
            ("cursor=zzz", "cursor"),
            ("cursor=12_nope", "cursor"),
            ("page=2", "page"),
        ] {
            assert_refused(
                db,
                api(
                    &server,
                    Method::GET,
                    &format!("{path}?{query}"),
                    Some(&token),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                Some(field),
            )
            .await;
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_token_over_its_rate_limit_gets_429_with_retry_after,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let config = AuthConfig {
            api_requests_per_minute: 3,
            ..AuthConfig::default()
        };
        let server = TestServer::start_with(db.clone(), config).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;

        for _ in 0..3 {
            let reply = get(&server, &token, "/api/v1/quarters").await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
        for request in [
            api(&server, Method::GET, "/api/v1/quarters", Some(&token)),
            check_in_request(&server, &token, co_brand, good_body("6100"), Some("k-429")),
        ] {
            let reply = assert_refused(
                db,
                request,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                None,
            )
            .await;
            let wait: u64 = reply
                .header(RETRY_AFTER.as_str())
                .and_then(|value| value.parse().ok())
                .unwrap_or_else(|| panic!("a Retry-After in seconds: {:?}", reply.headers));
            assert!((1..=60).contains(&wait), "Retry-After: {wait}");
        }

        // The limit is per token: another of Mike's, and Sarah's, still work.
        for email in [MIKE, SARAH] {
            let other = token_of(db, email).await;
            let reply = get(&server, &other, "/api/v1/quarters").await;
            assert_eq!(reply.status, StatusCode::OK, "{email}: {}", reply.body);
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Idempotency under concurrent retries.
// ---------------------------------------------------------------------------

migration::backend_test!(
    fifty_concurrent_retries_store_one_check_in,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let token_id = token_row(db, &token).await.id;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let before = rows(db).await;

        let body = json!({"value": "6400", "confidence": "green", "note": "Retried"});
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let request = check_in_request(&server, &token, co_brand, &body, Some("burst-1"));
                tokio::spawn(send(request))
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            replies.push(task.await.expect("the request task"));
        }
        for reply in &replies {
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
            assert_eq!(reply.body, replies[0].body, "one answer for all");
        }
        let firsts = replies
            .iter()
            .filter(|reply| reply.header("idempotent-replayed").is_none())
            .count();
        assert_eq!(firsts, 1, "one request ran; the others were replays");

        let after = rows(db).await;
        assert_eq!(after.check_ins, before.check_ins + 1, "one check-in stored");
        let keys = api_idempotency::Entity::find()
            .filter(api_idempotency::Column::TokenId.eq(token_id))
            .all(db)
            .await
            .expect("idempotency rows");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].key, "burst-1");
        assert_eq!(keys[0].status, 201);
        let stored: Value = serde_json::from_str(&keys[0].response).expect("stored JSON");
        assert_eq!(stored, replies[0].body);
        let latest = &check_ins_of(db, co_brand).await[0];
        assert_eq!(
            latest.id.to_string(),
            replies[0].body["id"].as_str().unwrap()
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// The access tokens page's server functions.
// ---------------------------------------------------------------------------

/// A token made on the tokens page, signed in with `cookie`.
async fn create_token(
    server: &TestServer,
    cookie: &str,
    name: &str,
    expires_in_days: &str,
) -> (StatusCode, Value) {
    server
        .create_token(cookie, name, expires_in_days, Some(DEMO_PASSWORD))
        .await
}

/// `GET /api/tokens`, signed in with `cookie`.
async fn list_tokens(server: &TestServer, cookie: &str) -> (StatusCode, Value) {
    status_and_json(server.get_as("/api/tokens", cookie).await).await
}

migration::backend_test!(
    the_tokens_page_creates_lists_and_revokes_tokens,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike = server.sign_in_demo(MIKE).await;
        let emily = server.sign_in_demo(EMILY).await;
        // Mike makes a token; it opens the API.
        let (status, issued) = create_token(&server, &mike, "CRM sync", "90").await;
        assert_eq!(status, StatusCode::OK, "{issued}");
        let token = issued["token"].as_str().expect("the token").to_owned();
        let secret = token.strip_prefix("rokr_").expect("rokr_ prefix");
        assert!(
            secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()),
            "{token}"
        );
        assert_eq!(issued["name"], "CRM sync");
        let expires: NaiveDateTime =
            serde_json::from_value(issued["expires_at"].clone()).expect("an expiry");
        let in_90_days = Utc::now().naive_utc() + TimeDelta::days(90);
        assert!((expires - in_90_days).num_seconds().abs() < 60, "{expires}");
        let reply = get(&server, &token, "/api/v1/quarters").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

        // The database keeps a hash, never the token.
        let row = token_row(db, &token).await;
        assert_eq!(row.owner_id, person(db, MIKE).await.id);
        assert_ne!(row.token_hash, token);
        assert_eq!(row.prefix, token[..11]);
        let stored = serde_json::to_string(&row).expect("the row as JSON");
        assert!(
            !stored.contains(secret),
            "a column holds the token: {stored}"
        );

        // The page lists it, without the token.
        let (status, page) = list_tokens(&server, &mike).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(!page.to_string().contains(secret), "{page}");
        assert_eq!(page["others"], Value::Null, "members see only their own");
        let mine = page["mine"].as_array().expect("mine");
        assert_eq!(mine.len(), 1, "{page}");
        assert_eq!(mine[0]["id"], row.id.to_string());
        assert_eq!(mine[0]["name"], "CRM sync");
        assert_eq!(mine[0]["prefix"], row.prefix);
        assert_eq!(mine[0]["owner"], "Mike Johnson");
        assert_eq!(mine[0]["status"], "Active");
        assert!(mine[0]["last_used_at"].is_string(), "it was used: {page}");

        // Mike may not revoke Emily's token.
        let (status, emily_issued) = create_token(&server, &emily, "Board pack", "never").await;
        assert_eq!(status, StatusCode::OK, "{emily_issued}");
        assert_eq!(emily_issued["expires_at"], Value::Null);
        let emily_token = emily_issued["token"].as_str().unwrap().to_owned();
        let emily_row = token_row(db, &emily_token).await;
        let before = rows(db).await;
        let emily_id = emily_row.id.to_string();
        let response = server
            .post(
                "/api/revoke_token",
                Some(&mike),
                &[("id", emily_id.as_str())],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(rows(db).await, before);
        assert_eq!(token_row(db, &emily_token).await.revoked_at, None);
        let reply = get(&server, &emily_token, "/api/v1/quarters").await;
        assert_eq!(reply.status, StatusCode::OK);

        // Emily, an admin, sees Mike's token and revokes it.
        let (_, page) = list_tokens(&server, &emily).await;
        let others = page["others"].as_array().expect("admins see others'");
        assert!(
            others.iter().any(|other| other["id"] == row.id.to_string()),
            "{page}"
        );
        assert!(!page.to_string().contains(secret));
        let mike_id = row.id.to_string();
        let (status, revoked) = status_and_json(
            server
                .post(
                    "/api/revoke_token",
                    Some(&emily),
                    &[("id", mike_id.as_str())],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{revoked}");
        assert_eq!(revoked, "CRM sync");
        assert!(token_row(db, &token).await.revoked_at.is_some());
        assert_refused(
            db,
            api(&server, Method::GET, "/api/v1/quarters", Some(&token)),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            None,
        )
        .await;
        let (_, page) = list_tokens(&server, &mike).await;
        assert_eq!(page["mine"][0]["status"], "Revoked", "{page}");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_bad_token_name_is_refused_and_writes_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike = server.sign_in_demo(MIKE).await;
        let too_long = "n".repeat(101);
        for (name, expiry, field) in [
            ("", "30", "name"),
            ("   ", "30", "name"),
            ("bad\u{7}name", "30", "name"),
            ("line\nbreak", "30", "name"),
            (too_long.as_str(), "30", "name"),
            ("Fine name", "7", "expires_in_days"),
        ] {
            let before = rows(db).await;
            let (status, body) = create_token(&server, &mike, name, expiry).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {body}");
            assert_eq!(body["Validation"]["field"], field, "{name:?}: {body}");
            assert_eq!(rows(db).await, before, "{name:?} wrote a row");
        }
        // Signed out: 401, nothing written.
        let before = rows(db).await;
        let response = server
            .post(
                "/api/create_token",
                None,
                &[("name", "CRM"), ("expires_in_days", "30")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(rows(db).await, before);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// The contract: the OpenAPI document against what the API answers.
// ---------------------------------------------------------------------------

/// Every `$ref` in a JSON document.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

/// The validator of a schema of the document (whose `$ref`s point into its
/// components), formats (uuid, date, date-time) included.
fn validator(document: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = schema.clone();
    root["components"] = document["components"].clone();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("the schema does not compile: {error}\n{schema}"))
}

fn assert_valid(document: &Value, schema: &Value, instance: &Value, what: &str) {
    let errors: Vec<String> = validator(document, schema)
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance}");
}

/// Calls an operation and checks that the status is one it documents and
/// the body matches the schema documented for that status.
async fn assert_documented(
    document: &Value,
    operation: &Value,
    request: RequestBuilder,
    what: &str,
) -> Reply {
    let reply = send(request).await;
    let status = reply.status.as_str().to_owned();
    let documented = &operation["responses"][&status];
    assert!(
        documented.is_object(),
        "{what}: {status} is not documented: {}",
        reply.body
    );
    assert!(
        reply
            .header(CONTENT_TYPE.as_str())
            .is_some_and(|kind| kind.starts_with("application/json")),
        "{what}: {:?}",
        reply.headers
    );
    let schema = &documented["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{what}: no JSON schema for {status}");
    // Not a schema that takes anything: an empty object is not an answer.
    assert!(
        !validator(document, schema).is_valid(&json!({})),
        "{what} {status}: {schema}"
    );
    assert_valid(document, schema, &reply.body, &format!("{what} {status}"));
    reply
}

migration::backend_test!(
    the_openapi_document_matches_what_the_api_answers,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;

        let response = no_redirects()
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("the document");
        assert_eq!(response.status(), StatusCode::OK);
        let document: Value = response.json().await.expect("JSON");
        assert!(
            document["openapi"]
                .as_str()
                .is_some_and(|version| version.starts_with("3.1")),
            "{}",
            document["openapi"]
        );

        // Every reference resolves.
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(!found.is_empty());
        for target in &found {
            let pointer = target
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("a reference outside the document: {target}"));
            assert!(
                document.pointer(pointer).is_some(),
                "{target} does not resolve"
            );
        }

        // Exactly the five operations, no more, no fewer.
        let paths = document["paths"].as_object().expect("paths");
        let methods = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let operations: BTreeSet<(String, String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                methods
                    .iter()
                    .filter(|method| item.get(**method).is_some())
                    .map(|method| (method.to_string(), path.clone()))
            })
            .collect();
        let expected: BTreeSet<(String, String)> = [
            ("get", "/api/v1/quarters"),
            ("get", "/api/v1/quarters/{label}"),
            ("get", "/api/v1/key-results/{id}"),
            ("get", "/api/v1/key-results/{id}/check-ins"),
            ("post", "/api/v1/key-results/{id}/check-ins"),
        ]
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
        .collect();
        assert_eq!(operations, expected);

        // Operations by their operationId, which links name.
        let by_id: BTreeMap<String, (Method, String, Value)> = operations
            .iter()
            .map(|(method, path)| {
                let operation = paths[path][method].clone();
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: no operationId"))
                    .to_owned();
                let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                (id, (method, path.clone(), operation))
            })
            .collect();
        assert_eq!(by_id.len(), operations.len(), "operationIds are unique");
        // (the operation, the operationId a link of its answer leads to)
        let mut followed: BTreeSet<(String, String)> = BTreeSet::new();

        // Each operation: called as documented, without a token, and for
        // something that is not there; every answer is documented.
        for (method, path) in &operations {
            let operation = &paths[path][method];
            let what = format!("{method} {path}");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let concrete =
                |label: &str, id: &str| path.replace("{label}", label).replace("{id}", id);
            let real = concrete("2025-Q1", &co_brand.to_string());
            let missing = concrete("1999-Q1", &Uuid::new_v4().to_string());
            let body = json!({"value": "6300.00", "confidence": "green", "note": "Contract"});
            if method == Method::POST {
                let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
                assert!(schema.is_object(), "{what}: no request schema");
                assert_valid(&document, schema, &body, &format!("{what} request"));
            }
            let request = |token: Option<&str>, path: &str| {
                let request = api(&server, method.clone(), path, token);
                if method == Method::POST {
                    request
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.to_string())
                } else {
                    request
                }
            };
            let reply =
                assert_documented(&document, operation, request(Some(&token), &real), &what).await;
            assert!(reply.status.is_success(), "{what}: {}", reply.body);
            // Every link of the answer leads somewhere real: its operationId
            // is an operation, its parameters are that operation's, and
            // each expression finds a value in this answer; followed, the
            // link gets a documented answer.
            let request_path = BTreeMap::from([
                ("id".to_owned(), co_brand.to_string()),
                ("label".to_owned(), "2025-Q1".to_owned()),
            ]);
            let links = operation["responses"][reply.status.as_str()]["links"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (name, link) in &links {
                let target_id = link["operationId"].as_str().expect("an operationId");
                let (target_method, target_path, target) = by_id
                    .get(target_id)
                    .unwrap_or_else(|| panic!("{what}: link {name} leads to no {target_id}"));
                let mut target_path = target_path.clone();
                let mut query = Vec::new();
                let arguments = link["parameters"].as_object().expect("link parameters");
                assert!(!arguments.is_empty(), "{what}: link {name} passes nothing");
                for (parameter, expression) in arguments {
                    let declared = target["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|declared| declared["name"] == *parameter)
                        .unwrap_or_else(|| {
                            panic!("{what}: link {name}: {target_id} has no parameter {parameter}")
                        });
                    let expression = expression.as_str().expect("a runtime expression");
                    let value = if let Some(pointer) = expression.strip_prefix("$response.body#") {
                        reply.body.pointer(pointer).cloned().unwrap_or_else(|| {
                            panic!("{what}: link {name}: {expression} is not in {}", reply.body)
                        })
                    } else if let Some(source) = expression.strip_prefix("$request.path.") {
                        json!(
                            request_path
                                .get(source)
                                .filter(|_| path.contains(&format!("{{{source}}}")))
                                .unwrap_or_else(|| {
                                    panic!("{what}: link {name}: {path} has no {source}")
                                })
                        )
                    } else {
                        panic!("{what}: link {name}: {expression} is not a runtime expression")
                    };
                    let Some(text) = value.as_str() else {
                        // Only the next page's cursor may be missing (on the last page).
                        assert!(
                            value.is_null() && parameter == "cursor",
                            "{what}: link {name}: {value}"
                        );
                        continue;
                    };
                    match declared["in"].as_str() {
                        Some("path") => {
                            target_path = target_path.replace(&format!("{{{parameter}}}"), text);
                        }
                        Some("query") => query.push((parameter.clone(), text.to_owned())),
                        other => panic!("{what}: link {name}: a parameter in {other:?}"),
                    }
                }
                assert!(
                    !target_path.contains('{'),
                    "{what}: link {name}: {target_path}"
                );
                let mut follow =
                    api(&server, target_method.clone(), &target_path, Some(&token)).query(&query);
                if *target_method == Method::POST {
                    follow = follow
                        .header(CONTENT_TYPE, "application/json")
                        .body(body.to_string());
                }
                let answer =
                    assert_documented(&document, target, follow, &format!("{what} → {name}")).await;
                assert!(
                    answer.status.is_success() || answer.status == StatusCode::FORBIDDEN,
                    "{what} → {name}: {}",
                    answer.body
                );
                followed.insert((what.clone(), target_id.to_owned()));
            }
            let reply = assert_documented(&document, operation, request(None, &real), &what).await;
            assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized", None);
            if path.contains('{') {
                let reply =
                    assert_documented(&document, operation, request(Some(&token), &missing), &what)
                        .await;
                assert_error(&reply, StatusCode::NOT_FOUND, "not_found", None);
            }
        }

        // A client finds quarters, then key results, then their check-ins.
        for (source, target) in [
            ("get /api/v1/quarters", "get_quarter"),
            ("get /api/v1/quarters/{label}", "get_key_result"),
            ("get /api/v1/quarters/{label}", "create_check_in"),
            ("get /api/v1/key-results/{id}", "list_check_ins"),
            ("get /api/v1/key-results/{id}", "create_check_in"),
            ("post /api/v1/key-results/{id}/check-ins", "get_key_result"),
        ] {
            assert!(
                followed.contains(&(source.to_owned(), target.to_owned())),
                "no link from {source} to {target}: {followed:?}"
            );
        }

        // Every 422 is documented with the error shape, whose detail has a
        // code, a message and the field; and what the API answers fits it.
        let with_422: BTreeSet<(String, String)> = operations
            .iter()
            .filter(|(method, path)| paths[path][method]["responses"]["422"].is_object())
            .cloned()
            .collect();
        assert_eq!(
            with_422,
            BTreeSet::from([
                (
                    "get".to_owned(),
                    "/api/v1/key-results/{id}/check-ins".to_owned()
                ),
                (
                    "post".to_owned(),
                    "/api/v1/key-results/{id}/check-ins".to_owned()
                ),
            ])
        );
        for (method, path) in &with_422 {
            let schema =
                &paths[path][method]["responses"]["422"]["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path}"
            );
        }
        let error_body = &document["components"]["schemas"]["ErrorBody"];
        assert_eq!(error_body["required"], json!(["error"]), "{error_body}");
        let detail = document
            .pointer(
                error_body["properties"]["error"]["$ref"]
                    .as_str()
                    .and_then(|target| target.strip_prefix('#'))
                    .expect("the error's detail is a reference"),
            )
            .expect("the error's detail");
        let properties: BTreeSet<&str> = detail["properties"]
            .as_object()
            .expect("properties")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            properties,
            BTreeSet::from(["code", "message", "field"]),
            "{detail}"
        );
        assert_eq!(detail["required"], json!(["code", "message"]), "{detail}");
        let check_ins = format!("/api/v1/key-results/{co_brand}/check-ins");
        let list = &paths["/api/v1/key-results/{id}/check-ins"]["get"];
        let reply = assert_documented(
            &document,
            list,
            api(
                &server,
                Method::GET,
                &format!("{check_ins}?limit=0"),
                Some(&token),
            ),
            "a bad limit",
        )
        .await;
        assert_error(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("limit"),
        );
        let post = &paths["/api/v1/key-results/{id}/check-ins"]["post"];
        let reply = assert_documented(
            &document,
            post,
            check_in_request(
                &server,
                &token,
                co_brand,
                json!({"value": "6100", "confidence": 822}),
                None,
            ),
            "a confidence of 822",
        )
        .await;
        assert_error(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("confidence"),
        );

        // An undocumented route is not there.
        for path in ["/api/v1/people", "/api/v1/teams", "/api/v1/tokens"] {
            assert_refused(
                db,
                api(&server, Method::GET, path, Some(&token)),
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            )
            .await;
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// The request schema of `POST /api/v1/key-results/{id}/check-ins`.
fn check_in_schema(document: &Value) -> &Value {
    &document["paths"]["/api/v1/key-results/{id}/check-ins"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"]
}

async fn openapi_document(server: &TestServer) -> Value {
    let response = no_redirects()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("the document");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("JSON")
}

migration::backend_test!(
    a_check_in_the_schema_calls_valid_is_recorded_and_one_it_refuses_is_a_422,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let document = openapi_document(&server).await;
        let schema = validator(&document, check_in_schema(&document));

        let note_500 = "n".repeat(500);
        let note_501 = "n".repeat(501);
        // (body, whether the schema and the server take it, the field refused)
        let cases: Vec<(Value, Option<&str>)> = vec![
            // Confidence by level: 0 to 2, nothing else.
            (json!({"value": "6100", "confidence": 0}), None),
            (json!({"value": "6100", "confidence": 2}), None),
            (json!({"value": "6100", "confidence": 2.0}), None),
            (
                json!({"value": "6100", "confidence": 822}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": 3}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": -1}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": 1.5}),
                Some("confidence"),
            ),
            // Confidence by name: exactly red, amber or green.
            (json!({"value": "6100", "confidence": "red"}), None),
            (json!({"value": "6100", "confidence": "amber"}), None),
            (
                json!({"value": "6100", "confidence": "Green"}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": " green"}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": "2"}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": "blue"}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": ""}),
                Some("confidence"),
            ),
            (
                json!({"value": "6100", "confidence": null}),
                Some("confidence"),
            ),
            (json!({"value": "6100"}), Some("confidence")),
            // Values: decimal strings and numbers with at most 13 digits
            // before the point and 2 after.
            (json!({"value": "0.5", "confidence": "green"}), None),
            (
                json!({"value": "9999999999999.99", "confidence": "green"}),
                None,
            ),
            (json!({"value": 6150.5, "confidence": "green"}), None),
            (json!({"value": 6150, "confidence": "green"}), None),
            (
                json!({"value": "6100.123", "confidence": "green"}),
                Some("value"),
            ),
            (
                json!({"value": "12345678901234", "confidence": "green"}),
                Some("value"),
            ),
            (
                json!({"value": "1e5", "confidence": "green"}),
                Some("value"),
            ),
            (
                json!({"value": "abc", "confidence": "green"}),
                Some("value"),
            ),
            (json!({"value": "", "confidence": "green"}), Some("value")),
            (
                json!({"value": 6100.125, "confidence": "green"}),
                Some("value"),
            ),
            (json!({"value": 1e13, "confidence": "green"}), Some("value")),
            (json!({"value": true, "confidence": "green"}), Some("value")),
            (json!({"value": null, "confidence": "green"}), Some("value")),
            // Notes: up to 500 characters, newlines and tabs but no other
            // control characters.
            (
                json!({"value": "6100", "confidence": "green", "note": note_500}),
                None,
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": "a\nb\tc"}),
                None,
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": null}),
                None,
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": note_501}),
                Some("note"),
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": "a\u{1}b"}),
                Some("note"),
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": "a\u{85}b"}),
                Some("note"),
            ),
            (
                json!({"value": "6100", "confidence": "green", "note": 5}),
                Some("note"),
            ),
            // Dates: ISO 8601 days.
            (
                json!({"value": "6100", "confidence": "green", "date": "2025-03-01"}),
                None,
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "14/03/2025"}),
                Some("date"),
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": "2025-02-30"}),
                Some("date"),
            ),
            (
                json!({"value": "6100", "confidence": "green", "date": 20250301}),
                Some("date"),
            ),
            // Nothing else.
            (
                json!({"value": "6100", "confidence": "green", "author_id": "x"}),
                Some("author_id"),
            ),
        ];
        for (body, refused) in cases {
            assert_eq!(
                schema.is_valid(&body),
                refused.is_none(),
                "the schema on {body}"
            );
            match refused {
                None => {
                    let reply = post_check_in(&server, &token, co_brand, &body, None).await;
                    assert_eq!(reply.status, StatusCode::CREATED, "{body}: {}", reply.body);
                }
                Some(field) => {
                    assert_refused(
                        db,
                        check_in_request(&server, &token, co_brand, &body, None),
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "validation_failed",
                        Some(field),
                    )
                    .await;
                }
            }
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    the_idempotency_key_is_documented_as_the_server_checks_it,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let document = openapi_document(&server).await;

        let operation = &document["paths"]["/api/v1/key-results/{id}/check-ins"]["post"];
        let parameter = operation["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .find(|parameter| parameter["name"] == "Idempotency-Key")
            .expect("the Idempotency-Key parameter");
        assert_eq!(parameter["in"], "header");
        assert_ne!(parameter["required"], true);
        let schema = &parameter["schema"];
        // A header is text or absent, never null.
        assert_eq!(schema["type"], "string", "{schema}");
        assert_eq!(schema["minLength"], 1, "{schema}");
        assert_eq!(schema["maxLength"], 255, "{schema}");
        assert!(schema["pattern"].is_string(), "{schema}");
        let schema = validator(&document, schema);

        // (the key's bytes, whether the schema and the server take it)
        let longest = "~".repeat(255);
        let too_long = "k".repeat(256);
        let keys: [(&[u8], bool); 9] = [
            (b"5f1c9a2e-0b7d-4c1e-9d3a-2b6f8e4c1a70", true),
            (b"!", true),
            (longest.as_bytes(), true),
            (b"a-Z_0.9~!#$%&'*+/=?^`{|}", true),
            (too_long.as_bytes(), false),
            (b"two words", false),
            (b"tab\there", false),
            ("cl\u{e9}".as_bytes(), false),
            (b"", false),
        ];
        for (key, accepted) in keys {
            let text = String::from_utf8_lossy(key).into_owned();
            assert_eq!(
                schema.is_valid(&json!(text)),
                accepted,
                "the schema on {text:?}"
            );
            let request = check_in_request(&server, &token, co_brand, good_body("6100"), None)
                .header(
                    "Idempotency-Key",
                    reqwest::header::HeaderValue::from_bytes(key).expect("a header value"),
                );
            if accepted {
                let reply = send(request).await;
                assert_eq!(
                    reply.status,
                    StatusCode::CREATED,
                    "{text:?}: {}",
                    reply.body
                );
            } else {
                assert_refused(
                    db,
                    request,
                    StatusCode::BAD_REQUEST,
                    "malformed_request",
                    Some("Idempotency-Key"),
                )
                .await;
            }
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    the_page_query_is_documented_as_the_server_reads_it,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::start(db.clone()).await;
        let token = token_of(db, MIKE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await.id;
        let document = openapi_document(&server).await;
        let path = format!("/api/v1/key-results/{co_brand}/check-ins");
        let first = get(&server, &token, &format!("{path}?limit=1")).await;
        let cursor = first.body["next_cursor"]
            .as_str()
            .expect("a next page after one check-in")
            .to_owned();

        let parameters =
            document["paths"]["/api/v1/key-results/{id}/check-ins"]["get"]["parameters"]
                .as_array()
                .expect("parameters");
        let schema_of = |name: &str| {
            let parameter = parameters
                .iter()
                .find(|parameter| parameter["name"] == name)
                .unwrap_or_else(|| panic!("no {name} parameter"));
            validator(&document, &parameter["schema"])
        };
        let (limit, cursor_schema) = (schema_of("limit"), schema_of("cursor"));
        let cursor_query = format!("cursor={cursor}");
        // (the parameter, its value as the schema sees it, as sent, taken?)
        let cases = [
            (&limit, json!(1), "limit=1", true),
            (&limit, json!(100), "limit=100", true),
            (&limit, json!(0), "limit=0", false),
            (&limit, json!(101), "limit=101", false),
            (&limit, json!("ten"), "limit=ten", false),
            (&cursor_schema, json!(cursor), cursor_query.as_str(), true),
            (&cursor_schema, json!(""), "cursor=", true),
            (&cursor_schema, json!("zzz"), "cursor=zzz", false),
            (&cursor_schema, json!("12_nope"), "cursor=12_nope", false),
        ];
        for (schema, value, query, taken) in cases {
            assert_eq!(schema.is_valid(&value), taken, "the schema on {query}");
            let reply = get(&server, &token, &format!("{path}?{query}")).await;
            if taken {
                assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
            } else {
                let field = query.split('=').next();
                assert_error(
                    &reply,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    field,
                );
            }
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// Reads a 503 answer and checks it is in the API's error shape.
async fn assert_unavailable(request: RequestBuilder, what: &str) {
    let response = request.send().await.expect("an answer from the server");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(body["error"]["code"], "unavailable", "{what}: {body}");
}

/// With PostgreSQL down (a port nothing listens on), every call answers 503
/// in the API's error shape, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_answers_503() {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/runway_down",
        common::free_port()
    );
    let server = TestServer::start(common::app_pool(&url).await).await;
    let token = format!("{}{}", tokens::TOKEN_PREFIX, "ab".repeat(32));
    assert_unavailable(
        api(&server, Method::GET, "/api/v1/quarters", Some(&token)),
        "GET with PostgreSQL down",
    )
    .await;
    assert_unavailable(
        check_in_request(&server, &token, Uuid::new_v4(), good_body("5"), None),
        "POST with PostgreSQL down",
    )
    .await;
}

/// On SQLite, a check-in that cannot get the database's write lock in time
/// (another process holds it) answers 503 and stores nothing; once the lock
/// is gone, the same request goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_answers_503_and_stores_nothing() {
    let test_db = TestDb::seeded(migration::testing::Backend::Sqlite)
        .await
        .expect("a seeded SQLite database");
    let mut config =
        app::server::db::DbConfig::for_url(test_db.url.clone()).expect("the pool configuration");
    config.sqlite_busy_timeout = std::time::Duration::from_millis(200);
    let db = app::server::db::connect(&config)
        .await
        .expect("the app's pool");
    let token = token_of(&db, MIKE).await;
    let server = TestServer::start(db.clone()).await;
    let co_brand = key_result_titled(&db, CO_BRAND).await;
    assert_eq!(
        get(&server, &token, "/api/v1/quarters").await.status,
        StatusCode::OK
    );
    let before = rows(&db).await;

    let locker = sea_orm::Database::connect(
        sea_orm::ConnectOptions::new(test_db.url.clone())
            .max_connections(1)
            .to_owned(),
    )
    .await
    .expect("a connection of its own");
    locker
        .execute_unprepared("BEGIN EXCLUSIVE")
        .await
        .expect("take the write lock");
    assert_unavailable(
        check_in_request(&server, &token, co_brand.id, good_body("6100"), None),
        "a check-in while another process writes",
    )
    .await;
    assert_eq!(rows(&db).await, before, "nothing stored");

    locker
        .execute_unprepared("COMMIT")
        .await
        .expect("release it");
    let reply = post_check_in(&server, &token, co_brand.id, good_body("6100"), None).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    test_db.close().await.ok();
}
