//! Recording check-ins over real HTTP, against the real router on a free
//! port, on SQLite and PostgreSQL: `POST /api/check_in` as a fetch (JSON in
//! and out) and as a plain HTML form post without JavaScript (redirects back
//! to the page, carrying any error in its URL). The author is always the
//! signed-in person; who may check in where is in `auth.rs`.

use crate::common;

use chrono::{NaiveDate, NaiveDateTime};
use common::{
    APAC_REVENUE, CO_BRAND, LISA, MIKE, TestServer, date, key_result_titled, no_redirects, person,
    set_cookies,
};
use domain::{ConfidenceLevel, Direction, Unit};
use entity::{check_in, key_result, objective, quarter};
use migration::testing::TestDb;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, REFERER};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

/// The last day of the seeded quarter 2025-Q1.
fn quarter_end() -> NaiveDate {
    date(2025, 3, 31)
}

async fn key_result_by_id(db: &DatabaseConnection, id: Uuid) -> key_result::Model {
    key_result::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("query key results")
        .expect("the key result still exists")
}

/// The newest check-in of a key result, the way the app decides it.
async fn latest_check_in(db: &DatabaseConnection, key_result_id: Uuid) -> check_in::Model {
    check_in::Entity::find()
        .filter(check_in::Column::KrId.eq(key_result_id))
        .order_by_desc(check_in::Column::CreatedAt)
        .order_by_desc(check_in::Column::Id)
        .one(db)
        .await
        .expect("query check-ins")
        .expect("the key result has check-ins")
}

/// What a refused check-in must leave untouched.
#[derive(Debug, PartialEq)]
struct Snapshot {
    check_ins: u64,
    current_value: Decimal,
    updated_at: NaiveDateTime,
}

async fn snapshot(db: &DatabaseConnection, key_result_id: Uuid) -> Snapshot {
    let key_result = key_result_by_id(db, key_result_id).await;
    Snapshot {
        check_ins: check_in::Entity::find()
            .count(db)
            .await
            .expect("count check-ins"),
        current_value: key_result.current_value,
        updated_at: key_result.updated_at,
    }
}

/// The five fields of the check-in form, all of which the server function
/// expects in the body, as a browser sends them. There is no author: it is
/// whoever is signed in.
#[derive(Debug, Clone)]
struct Form {
    key_result_id: String,
    value: String,
    confidence: String,
    note: String,
    date: String,
}

impl Form {
    fn new(key_result_id: Uuid, value: &str, confidence: &str) -> Form {
        Form {
            key_result_id: key_result_id.to_string(),
            value: value.to_owned(),
            confidence: confidence.to_owned(),
            note: String::new(),
            date: String::new(),
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("key_result_id", &self.key_result_id),
            ("value", &self.value),
            ("confidence", &self.confidence),
            ("note", &self.note),
            ("date", &self.date),
        ]
    }
}

struct Answer {
    status: StatusCode,
    cookies: Vec<String>,
    body: Value,
}

/// `POST /api/check_in` the way the hydrated page does it, signed in with
/// `session` (a `runway_session=...` pair).
async fn post_fetch(server: &TestServer, session: &str, form: &Form) -> Answer {
    post_fields(server, session, &form.pairs()).await
}

async fn post_fields(server: &TestServer, session: &str, fields: &[(&str, &str)]) -> Answer {
    let response = server.post("/api/check_in", Some(session), fields).await;
    let status = response.status();
    let cookies = set_cookies(&response);
    let text = response.text().await.expect("a response body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{status}: not JSON ({error}): {text}"));
    Answer {
        status,
        cookies,
        body,
    }
}

fn saved_id(answer: &Answer) -> Uuid {
    answer.body["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_else(|| panic!("no id in the answer: {}", answer.body))
}

/// `POST /api/check_in` as a plain `<form method="post">` submitted from
/// `referer`, signed in with `session`; returns the status and the
/// `Location` it redirects to.
async fn post_html_form(
    server: &TestServer,
    session: &str,
    form: &Form,
    referer: &str,
) -> (StatusCode, String) {
    let response = no_redirects()
        .post(server.url("/api/check_in"))
        .header(
            ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header(REFERER, referer)
        .header(COOKIE, session)
        .form(&form.pairs())
        .send()
        .await
        .expect("POST /api/check_in as a form");
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

/// The `{"Validation": {"field", "message"}}` of a 422 answer.
fn validation(answer: &Answer) -> (&str, &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let error = &answer.body["Validation"];
    let field = error["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no Validation.field: {}", answer.body));
    let message = error["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no Validation.message: {}", answer.body));
    (field, message)
}

/// Posts a check-in that must be refused: 422 naming `field`, a message
/// containing `says`, and nothing changed in the database.
#[allow(clippy::too_many_arguments)]
async fn assert_refused(
    server: &TestServer,
    db: &DatabaseConnection,
    session: &str,
    watched: Uuid,
    case: &str,
    form: &Form,
    field: &str,
    says: &str,
) {
    let before = snapshot(db, watched).await;
    let answer = post_fetch(server, session, form).await;
    let (actual_field, message) = validation(&answer);
    assert_eq!(actual_field, field, "{case}: {}", answer.body);
    assert!(
        message.contains(says),
        "{case}: message {message:?} should contain {says:?}"
    );
    assert!(
        !answer
            .cookies
            .iter()
            .any(|cookie| cookie.starts_with("runway_acting_as=")),
        "{case}: there is no acting-as cookie any more: {:?}",
        answer.cookies
    );
    assert_eq!(
        snapshot(db, watched).await,
        before,
        "{case}: a refused check-in must change nothing"
    );
}

// ---------------------------------------------------------------------------
// Saving.
// ---------------------------------------------------------------------------

migration::backend_test!(
    a_check_in_is_stored_and_becomes_the_current_value,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let lisa_session = server.sign_in_demo(LISA).await;
        let key_result = key_result_titled(db, APAC_REVENUE).await;
        let lisa = person(db, LISA).await;
        let before = check_in::Entity::find().count(db).await.expect("count");

        let mut form = Form::new(key_result.id, "9,100,000", "2");
        form.note = "Signed two Singapore banks".into();
        let answer = post_fetch(&server, &lisa_session, &form).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let id = saved_id(&answer);
        assert_eq!(
            answer.body["key_result_id"],
            key_result.id.to_string(),
            "{}",
            answer.body
        );

        let saved = check_in::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query check-ins")
            .unwrap_or_else(|| panic!("check-in {id} was not stored"));
        assert_eq!(saved.kr_id, key_result.id);
        assert_eq!(saved.value, Decimal::from(9_100_000));
        assert_eq!(saved.confidence, ConfidenceLevel::Green);
        assert_eq!(saved.note.as_deref(), Some("Signed two Singapore banks"));
        assert_eq!(
            saved.created_by, lisa.id,
            "the author is the signed-in person"
        );
        // Without a date it is today's, or the quarter's last day once over.
        let today = chrono::Utc::now().date_naive();
        assert_eq!(saved.created_at.date(), today.min(quarter_end()));
        assert_eq!(
            check_in::Entity::find().count(db).await.expect("count"),
            before + 1,
            "exactly one check-in is added"
        );

        let after = key_result_by_id(db, key_result.id).await;
        assert_eq!(after.current_value, Decimal::from(9_100_000));
        assert_eq!(latest_check_in(db, key_result.id).await.id, id);

        assert!(
            !answer
                .cookies
                .iter()
                .any(|set| set.starts_with("runway_acting_as=")),
            "the acting-as cookie is gone: {:?}",
            answer.cookies
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    an_author_id_in_the_form_cannot_change_the_author,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike_session = server.sign_in_demo(MIKE).await;
        let mike = person(db, MIKE).await;
        let lisa = person(db, LISA).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let before = snapshot(db, key_result.id).await;

        // An old page (or a forger) still sends `author_id`: either the
        // field is refused as unknown, or it is ignored; never does the
        // check-in go down as someone else's.
        let form = Form::new(key_result.id, "6200", "2");
        let lisa_id = lisa.id.to_string();
        let mut fields = form.pairs().to_vec();
        fields.push(("author_id", &lisa_id));
        let answer = post_fields(&server, &mike_session, &fields).await;
        if answer.status == StatusCode::OK {
            let saved = check_in::Entity::find_by_id(saved_id(&answer))
                .one(db)
                .await
                .expect("query check-ins")
                .expect("the check-in is stored");
            assert_eq!(
                saved.created_by, mike.id,
                "the author is the signed-in person"
            );
        } else {
            assert!(
                answer.status.is_client_error(),
                "{}: {}",
                answer.status,
                answer.body
            );
            assert_eq!(snapshot(db, key_result.id).await, before);
        }
        assert_eq!(
            check_in::Entity::find()
                .filter(check_in::Column::CreatedBy.eq(lisa.id))
                .filter(check_in::Column::KrId.eq(key_result.id))
                .count(db)
                .await
                .expect("count"),
            0,
            "nothing is recorded in Lisa's name"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_back_dated_check_in_is_stored_but_leaves_the_current_value,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let lisa_session = server.sign_in_demo(LISA).await;
        let key_result = key_result_titled(db, APAC_REVENUE).await;
        let latest = latest_check_in(db, key_result.id).await;
        assert_eq!(key_result.current_value, latest.value, "the seed agrees");

        let mut form = Form::new(key_result.id, "8100000", "1");
        form.date = "2025-01-02".into();
        form.note = "Forgot to record this one".into();
        let answer = post_fetch(&server, &lisa_session, &form).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let id = saved_id(&answer);

        let saved = check_in::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query check-ins")
            .expect("the back-dated check-in is stored");
        assert_eq!(saved.created_at.date(), date(2025, 1, 2));
        assert_eq!(saved.value, Decimal::from(8_100_000));
        assert_eq!(saved.confidence, ConfidenceLevel::Amber);

        let after = key_result_by_id(db, key_result.id).await;
        assert_eq!(
            after.current_value, key_result.current_value,
            "an older check-in must not become the current value"
        );
        assert_eq!(latest_check_in(db, key_result.id).await.id, latest.id);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Refusing.
// ---------------------------------------------------------------------------

migration::backend_test!(
    invalid_check_ins_are_refused_naming_the_field_and_change_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let lisa_session = server.sign_in_demo(LISA).await;
        let key_result = key_result_titled(db, APAC_REVENUE).await;
        let valid = || {
            let mut form = Form::new(key_result.id, "9100000", "2");
            form.note = "Fine".into();
            form
        };
        let with = |change: &dyn Fn(&mut Form)| {
            let mut form = valid();
            change(&mut form);
            form
        };

        // (case, form, field, part of the message)
        let cases: Vec<(&str, Form, &str, &str)> = vec![
            (
                "a value that is not a number",
                with(&|f| f.value = "abc".into()),
                "value",
                "is not a number",
            ),
            (
                "a value with 3 decimals",
                with(&|f| f.value = "1.234".into()),
                "value",
                "2 decimal places",
            ),
            (
                "a value too large for numeric(15,2)",
                with(&|f| f.value = "10000000000000".into()),
                "value",
                "too large",
            ),
            (
                "an empty value",
                with(&|f| f.value = "  ".into()),
                "value",
                "enter the current value",
            ),
            (
                "confidence 3",
                with(&|f| f.confidence = "3".into()),
                "confidence",
                "",
            ),
            (
                "no confidence",
                with(&|f| f.confidence = String::new()),
                "confidence",
                "Red, Amber or Green",
            ),
            (
                "a note of 501 characters",
                with(&|f| f.note = "x".repeat(501)),
                "note",
                "501",
            ),
            (
                "an unknown key result",
                with(&|f| f.key_result_id = Uuid::new_v4().to_string()),
                "key_result_id",
                "does not exist",
            ),
            (
                "a malformed key result id",
                with(&|f| f.key_result_id = "not-a-uuid".into()),
                "key_result_id",
                "",
            ),
            (
                "a date after the quarter",
                with(&|f| f.date = "2025-04-01".into()),
                "date",
                "2025-Q1",
            ),
            (
                "a date before the quarter",
                with(&|f| f.date = "2024-12-31".into()),
                "date",
                "2025-Q1",
            ),
            (
                "a date that is not a date",
                with(&|f| f.date = "31/01/2025".into()),
                "date",
                "YYYY-MM-DD",
            ),
        ];
        for (case, form, field, says) in &cases {
            assert_refused(
                &server,
                db,
                &lisa_session,
                key_result.id,
                case,
                form,
                field,
                says,
            )
            .await;
        }

        // Nothing refused left a lock or a half-done transaction behind.
        let answer = post_fetch(&server, &lisa_session, &valid()).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(
            key_result_by_id(db, key_result.id).await.current_value,
            Decimal::from(9_100_000)
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_person_who_has_left_cannot_check_in,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let lisa_session = server.sign_in_demo(LISA).await;
        let key_result = key_result_titled(db, APAC_REVENUE).await;

        // Lisa leaves while still signed in.
        let mut lisa = person(db, LISA).await.into_active_model();
        lisa.active = Set(false);
        lisa.update(db).await.expect("deactivate a person");

        let before = snapshot(db, key_result.id).await;
        let answer = post_fetch(
            &server,
            &lisa_session,
            &Form::new(key_result.id, "9100000", "2"),
        )
        .await;
        assert!(
            matches!(
                answer.status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
            ),
            "an inactive person is refused as signed out or forbidden, not {}: {}",
            answer.status,
            answer.body
        );
        assert_eq!(
            snapshot(db, key_result.id).await,
            before,
            "a refused check-in must change nothing"
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    an_archived_quarter_takes_no_check_ins,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let lisa_session = server.sign_in_demo(LISA).await;
        let key_result = key_result_titled(db, APAC_REVENUE).await;

        let seeded = quarter::Entity::find()
            .filter(quarter::Column::Label.eq("2025-Q1"))
            .one(db)
            .await
            .expect("query quarters")
            .expect("the seeded quarter");
        let mut archived = seeded.into_active_model();
        archived.archived = Set(true);
        archived.update(db).await.expect("archive the quarter");

        let form = Form::new(key_result.id, "9100000", "2");
        assert_refused(
            &server,
            db,
            &lisa_session,
            key_result.id,
            "a key result of an archived quarter",
            &form,
            "key_result_id",
            "archived",
        )
        .await;

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(a_date_in_the_future_is_refused, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::with_demo_sign_ins(db.clone()).await;
    let lisa_session = server.sign_in_demo(LISA).await;
    let lisa = person(db, LISA).await;
    let seeded = key_result_titled(db, APAC_REVENUE).await;

    // A quarter around today, so a future date falls inside it.
    let today = chrono::Utc::now().date_naive();
    let created = today.and_hms_opt(0, 0, 0).expect("midnight");
    let current = quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set("NOW-Q".into()),
        start_at: Set(today - chrono::Duration::days(30)),
        end_at: Set(today + chrono::Duration::days(60)),
        organization_id: Set(None),
        archived: Set(false),
        notes: Set(None),
        created_at: Set(created),
        updated_at: Set(created),
    }
    .insert(db)
    .await
    .expect("a quarter around today");
    let parent = objective::Entity::find_by_id(seeded.objective_id)
        .one(db)
        .await
        .expect("query objectives")
        .expect("the seeded objective");
    let goal = objective::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set("Keep going".into()),
        team_id: Set(parent.team_id),
        quarter_id: Set(current.id),
        owner_id: Set(lisa.id),
        organization_id: Set(None),
        created_at: Set(created),
        updated_at: Set(created),
    }
    .insert(db)
    .await
    .expect("an objective this quarter");
    let key_result = key_result::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set("Win 10 accounts".into()),
        objective_id: Set(goal.id),
        owner_id: Set(lisa.id),
        unit: Set(Unit::Count),
        direction: Set(Direction::Up),
        start_value: Set(Decimal::ZERO),
        target_value: Set(Decimal::from(10)),
        current_value: Set(Decimal::ZERO),
        created_at: Set(created),
        updated_at: Set(created),
    }
    .insert(db)
    .await
    .expect("a key result this quarter");

    // Two days ahead, so a midnight during the test cannot make it today.
    let mut form = Form::new(key_result.id, "3", "2");
    form.date = (today + chrono::Duration::days(2)).to_string();
    assert_refused(
        &server,
        db,
        &lisa_session,
        key_result.id,
        "a date in the future",
        &form,
        "date",
        "future",
    )
    .await;

    // Yesterday is fine.
    form.date = (today - chrono::Duration::days(1)).to_string();
    let answer = post_fetch(&server, &lisa_session, &form).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        key_result_by_id(db, key_result.id).await.current_value,
        Decimal::from(3)
    );

    drop(server);
    test_db.close().await.expect("drop the test database");
});

// ---------------------------------------------------------------------------
// A plain HTML form, without JavaScript.
// ---------------------------------------------------------------------------

/// `location`, which may be absolute, as a path on `server`.
fn path_of(server: &TestServer, location: &str) -> String {
    let origin = server.url("");
    let path = location.strip_prefix(&origin).unwrap_or(location);
    assert!(
        path.starts_with('/'),
        "redirect {location:?} does not lead back to {origin}"
    );
    path.to_owned()
}

migration::backend_test!(
    a_form_post_without_javascript_redirects_back_and_is_stored,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike_session = server.sign_in_demo(MIKE).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let mike = person(db, MIKE).await;
        let before = check_in::Entity::find().count(db).await.expect("count");

        let referer = server.url("/");
        let mut form = Form::new(key_result.id, "6100", "1");
        form.note = "Lounge sign-up desks opened".into();
        let (status, location) = post_html_form(&server, &mike_session, &form, &referer).await;
        assert!(
            status.is_redirection(),
            "a form post is answered with a redirect, not {status}"
        );
        assert_eq!(
            location.trim_end_matches('?'),
            referer,
            "the browser goes back to the page it came from"
        );
        assert!(!location.contains("__err="), "{location}");

        assert_eq!(
            check_in::Entity::find().count(db).await.expect("count"),
            before + 1
        );
        let saved = latest_check_in(db, key_result.id).await;
        assert_eq!(saved.value, Decimal::from(6100));
        assert_eq!(saved.confidence, ConfidenceLevel::Amber);
        assert_eq!(saved.created_by, mike.id);
        assert_eq!(saved.note.as_deref(), Some("Lounge sign-up desks opened"));
        assert_eq!(
            key_result_by_id(db, key_result.id).await.current_value,
            Decimal::from(6100)
        );

        // The page it lands on shows the new value, and no error.
        let page = server
            .get_as(&path_of(&server, &location), &mike_session)
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        assert!(html.contains(">6,100<"), "the new current value is shown");
        assert!(!html.contains(r#"data-testid="check-in-post-error""#));

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    an_invalid_form_post_without_javascript_comes_back_with_its_error,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike_session = server.sign_in_demo(MIKE).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let before = snapshot(db, key_result.id).await;

        let referer = server.url("/");
        let form = Form::new(key_result.id, "1.234", "1");
        let (status, location) = post_html_form(&server, &mike_session, &form, &referer).await;
        assert!(
            status.is_redirection(),
            "an invalid form post is still answered with a redirect, not {status}"
        );
        assert!(
            location.starts_with(&referer) && location.contains("__err="),
            "the redirect carries the error back to the page: {location:?}"
        );
        assert_eq!(
            snapshot(db, key_result.id).await,
            before,
            "nothing is stored"
        );

        let page = server
            .get_as(&path_of(&server, &location), &mike_session)
            .await;
        let html = page.text().await.expect("the page");
        assert!(
            html.contains(r#"data-testid="check-in-post-error""#),
            "the page shows the error banner: {html}"
        );
        assert!(
            html.contains("value: use at most 2 decimal places"),
            "the banner names the field and the rule"
        );

        // Fixing the value and posting again from the page with the error
        // goes back to it without the error.
        let fixed = Form::new(key_result.id, "6,100", "1");
        let (status, again) = post_html_form(&server, &mike_session, &fixed, &location).await;
        assert!(status.is_redirection(), "{status}");
        assert!(
            !again.contains("__err="),
            "the old error is dropped: {again}"
        );
        assert!(again.starts_with(&referer), "{again}");
        assert_eq!(
            key_result_by_id(db, key_result.id).await.current_value,
            Decimal::from(6100)
        );
        let html = server
            .get_as(&path_of(&server, &again), &mike_session)
            .await
            .text()
            .await
            .expect("the page");
        assert!(!html.contains(r#"data-testid="check-in-post-error""#));

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);
