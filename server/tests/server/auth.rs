//! Sign-in and roles over real HTTP, against the real router on a free port,
//! on SQLite and PostgreSQL: sessions and their cookie, wrong passwords and
//! the lock-out, signing out, invitations and password resets, who may write
//! what (401 without a session, 403 for the wrong role or another site), and
//! the pages that send a signed-out browser to sign in.

use crate::common;

use app::server::auth::AuthConfig;
use chrono::{NaiveDateTime, Utc};
use common::{
    APAC_REVENUE, CO_BRAND, COMMISSION, DEMO_PASSWORD, EMILY, JAMES, LISA, MIKE, RENEWAL_RATE,
    SARAH, SESSION_COOKIE, TestServer, USER_AGENT, cookie_pair, key_result_titled, location,
    no_redirects, person, session_set_cookie, set_cookies, status_and_json, team_named,
};
use domain::{ConfidenceLevel, Role};
use entity::{account, check_in, key_result, okr_user, person_role, session, user, verification};
use migration::testing::TestDb;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, REFERER};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, ModelTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// Everything a refused request must leave as it was.
#[derive(Debug, PartialEq)]
struct Rows {
    check_ins: u64,
    sessions: u64,
    users: u64,
    accounts: u64,
    verifications: u64,
    people: u64,
    roles: u64,
    current_values: Vec<(Uuid, Decimal)>,
    passwords: Vec<(String, Option<String>)>,
}

async fn rows(db: &DatabaseConnection) -> Rows {
    Rows {
        check_ins: check_in::Entity::find().count(db).await.expect("count"),
        sessions: session::Entity::find().count(db).await.expect("count"),
        users: user::Entity::find().count(db).await.expect("count"),
        accounts: account::Entity::find().count(db).await.expect("count"),
        verifications: verification::Entity::find().count(db).await.expect("count"),
        people: okr_user::Entity::find().count(db).await.expect("count"),
        roles: person_role::Entity::find().count(db).await.expect("count"),
        current_values: key_result::Entity::find()
            .order_by_asc(key_result::Column::Id)
            .all(db)
            .await
            .expect("key results")
            .into_iter()
            .map(|key_result| (key_result.id, key_result.current_value))
            .collect(),
        passwords: account::Entity::find()
            .order_by_asc(account::Column::Id)
            .all(db)
            .await
            .expect("accounts")
            .into_iter()
            .map(|account| (account.id, account.password))
            .collect(),
    }
}

impl Rows {
    /// All but the links: using an expired link may delete it, which is
    /// tidying up, not a change anyone made.
    fn but_links(self) -> Rows {
        Rows {
            verifications: 0,
            ..self
        }
    }
}

/// The sign-in identity of an e-mail address.
async fn user_of(db: &DatabaseConnection, email: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .expect("query users")
}

/// The live and dead session rows of an e-mail address.
async fn sessions_of(db: &DatabaseConnection, email: &str) -> Vec<session::Model> {
    match user_of(db, email).await {
        Some(user) => user
            .find_related(session::Entity)
            .all(db)
            .await
            .expect("query sessions"),
        None => Vec::new(),
    }
}

/// The token of a `runway_session=<token>` pair.
fn token_of(pair: &str) -> &str {
    pair.split_once('=').map_or("", |(_, token)| token)
}

/// A cookie's attributes, lower-cased, without its name and value.
fn attributes(set_cookie: &str) -> Vec<String> {
    set_cookie
        .split(';')
        .skip(1)
        .map(|attribute| attribute.trim().to_ascii_lowercase())
        .collect()
}

/// A server function's form fields.
type Fields = Vec<(&'static str, String)>;

/// The fields of a valid check-in on `key_result`.
fn check_in_fields(key_result: &key_result::Model, value: &str) -> Fields {
    vec![
        ("key_result_id", key_result.id.to_string()),
        ("value", value.to_owned()),
        ("confidence", "1".to_owned()),
        ("note", "From the auth tests".to_owned()),
        ("date", "2025-03-15".to_owned()),
    ]
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

fn invite_fields(name: &str, email: &str, team_id: Uuid, role: &str) -> Fields {
    vec![
        ("name", name.to_owned()),
        ("email", email.to_owned()),
        ("team_id", team_id.to_string()),
        ("role", role.to_owned()),
    ]
}

/// The `{"Validation": {"field", ...}}` field of a 422 answer.
fn validation_field(status: StatusCode, body: &Value) -> String {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    body["Validation"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no Validation.field: {body}"))
        .to_owned()
}

/// `location`, which may be absolute, as a path on `server`.
fn path_of(server: &TestServer, location: &str) -> String {
    location
        .strip_prefix(&server.url(""))
        .unwrap_or(location)
        .to_owned()
}

/// Percent-decoding of a query value (`+` is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
                out.push(u8::from_str_radix(hex, 16).expect("a percent escape"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// Where a signed-out `GET path` is sent: asserts a 303 to
/// `/sign-in?next=...` and returns the decoded `next`.
async fn sign_in_redirect(server: &TestServer, path: &str, cookie: Option<&str>) -> String {
    let mut request = no_redirects().get(server.url(path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.expect("GET a page");
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "GET {path} without a session"
    );
    let location = location(&response);
    let next = location
        .strip_prefix("/sign-in?next=")
        .unwrap_or_else(|| panic!("GET {path} redirects to {location:?}, not /sign-in?next="));
    let next = next.split('&').next().unwrap_or_default();
    decode(next)
}

/// An invitation or reset link's token, checking it leads to `kind` on this
/// server.
fn link_token(server: &TestServer, body: &Value, kind: &str) -> String {
    let link = body["link"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {body}"));
    let prefix = server.url(&format!("/{kind}/"));
    let token = link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("link {link:?} does not start with {prefix:?}"));
    assert!(
        !token.is_empty() && !token.contains('/'),
        "a token in {link:?}"
    );
    token.to_owned()
}

/// The `expires_at` of a link answer, as UTC.
fn expires_at(body: &Value) -> NaiveDateTime {
    let text = body["expires_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no expires_at string: {body}"));
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|time| time.naive_utc())
        .or_else(|_| text.parse::<NaiveDateTime>())
        .unwrap_or_else(|error| panic!("expires_at {text:?}: {error}"))
}

fn assert_about(actual: NaiveDateTime, expected: NaiveDateTime, what: &str) {
    let off = (actual - expected).num_seconds().abs();
    assert!(
        off < 300,
        "{what}: {actual} is {off} s away from {expected}"
    );
}

/// Moves every pending invitation and reset token into the past.
async fn expire_every_token(db: &DatabaseConnection) {
    let past = Utc::now().naive_utc() - chrono::Duration::minutes(1);
    verification::Entity::update_many()
        .col_expr(verification::Column::ExpiresAt, Expr::value(past))
        .exec(db)
        .await
        .expect("expire the tokens");
}

/// The visible text of the element whose tag holds `marker` (an attribute)
/// and a little after it, tags and hydration markers removed.
fn text_after(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page: {html}"));
    let start = start + html[start..].find('>').map_or(0, |end| end + 1);
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..].chars().take(600) {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// Passwords (no database).
// ---------------------------------------------------------------------------

#[test]
fn a_better_auth_scrypt_hash_verifies() {
    let stored = "702a014d72f59d6a8c4a68980cf459a0:9dd1fb1b71772c3b9ec3601df1107d1c96ac82f45c383dda7461708355a7db725ef0868d45a9be09c801ec4ceee21c2fab787d9c67c35433703e3b1f96d92583";
    assert!(app::server::auth::verify_password(
        "correct horse battery staple",
        stored
    ));
    assert!(!app::server::auth::verify_password(
        "correct horse battery stapler",
        stored
    ));
    assert!(!app::server::auth::verify_password("", stored));
    assert!(!app::server::auth::verify_password(
        "correct horse battery staple",
        "not-a-hash"
    ));
}

#[test]
fn a_new_hash_has_the_better_auth_shape_and_verifies() {
    let is_hex = |text: &str| text.chars().all(|c| c.is_ascii_hexdigit());
    let password = "a fresh password for the tests";
    let hash = app::server::auth::hash_password(password);
    let (salt, key) = hash
        .split_once(':')
        .unwrap_or_else(|| panic!("{hash:?} is not salt:key"));
    assert_eq!(salt.len(), 32, "{hash}");
    assert_eq!(key.len(), 128, "{hash}");
    assert!(is_hex(salt) && is_hex(key), "{hash}");
    assert!(app::server::auth::verify_password(password, &hash));
    assert!(!app::server::auth::verify_password(
        "another password",
        &hash
    ));
    assert_ne!(
        hash,
        app::server::auth::hash_password(password),
        "every hash has a salt of its own"
    );
}

// ---------------------------------------------------------------------------
// Signing in.
// ---------------------------------------------------------------------------

migration::backend_test!(
    signing_in_sets_an_http_only_session_cookie_and_stores_only_a_hash,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        assert!(sessions_of(db, MIKE).await.is_empty());

        let response = server.post_sign_in(MIKE, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        let set_cookie = session_set_cookie(&set_cookies(&response))
            .expect("signing in sets the session cookie");
        let attributes = attributes(&set_cookie);
        for wanted in ["httponly", "samesite=lax", "path=/", "max-age=604800"] {
            assert!(
                attributes.iter().any(|attribute| attribute == wanted),
                "{set_cookie:?} lacks {wanted}"
            );
        }
        assert!(
            !attributes.iter().any(|attribute| attribute == "secure"),
            "no Secure on plain http: {set_cookie:?}"
        );
        let first = cookie_pair(&set_cookie);
        assert!(
            token_of(&first).len() >= 32,
            "a long random token: {first:?}"
        );

        // Every sign-in has a session of its own.
        let second = server.sign_in(MIKE, DEMO_PASSWORD).await;
        assert_ne!(first, second, "a fresh token per sign-in");

        let sessions = sessions_of(db, MIKE).await;
        assert_eq!(sessions.len(), 2, "{sessions:?}");
        let week_ahead = Utc::now().naive_utc() + chrono::Duration::days(7);
        for stored in &sessions {
            for cookie in [&first, &second] {
                let token = token_of(cookie);
                assert_ne!(stored.token, token, "the database keeps no usable token");
                assert!(!stored.token.contains(token));
            }
            assert_eq!(
                stored.ip_address.as_deref(),
                Some("127.0.0.1"),
                "{stored:?}"
            );
            assert_eq!(stored.user_agent.as_deref(), Some(USER_AGENT), "{stored:?}");
            assert_about(stored.expires_at, week_ahead, "the session's expiry");
        }

        // Both cookies work.
        for cookie in [&first, &second] {
            let response = server
                .get_as("/api/dashboard?quarter=2025-Q1", cookie)
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_sign_in_form_post_without_javascript_goes_to_next_on_this_site,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let form_post = |next: String, password: &'static str| {
            let server = &server;
            async move {
                no_redirects()
                    .post(server.url("/api/sign_in"))
                    .header(
                        ACCEPT,
                        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                    )
                    .header(REFERER, server.url("/sign-in"))
                    .form(&[
                        ("email", MIKE),
                        ("password", password),
                        ("next", next.as_str()),
                    ])
                    .send()
                    .await
                    .expect("POST /api/sign_in as a form")
            }
        };

        let next = format!("/kr/{}", key_result.id);
        let response = form_post(next.clone(), DEMO_PASSWORD).await;
        assert!(
            response.status().is_redirection(),
            "a form sign-in redirects, not {}",
            response.status()
        );
        assert_eq!(path_of(&server, &location(&response)), next);
        let cookie =
            cookie_pair(&session_set_cookie(&set_cookies(&response)).expect("a session cookie"));
        let page = server.get_as(&next, &cookie).await;
        assert_eq!(page.status(), StatusCode::OK);

        // `next` never leads off the site.
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/path",
            "/\\evil.example",
            "http:evil.example",
        ] {
            let response = form_post(elsewhere.to_owned(), DEMO_PASSWORD).await;
            assert_stays_on_site(&server, elsewhere, &location(&response));
        }

        // A wrong password signs nobody in.
        let before = sessions_of(db, MIKE).await.len();
        let response = form_post("/".into(), "not the password").await;
        assert!(
            session_set_cookie(&set_cookies(&response))
                .is_none_or(|cookie| token_of(&cookie_pair(&cookie)).is_empty()),
            "{:?}",
            set_cookies(&response)
        );
        assert_eq!(sessions_of(db, MIKE).await.len(), before);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// A redirect `location` for `next` stays on `server`, read the way a
/// browser reads it: the URL standard drops tabs and newlines first, and
/// takes `\\` for `/`.
fn assert_stays_on_site(server: &TestServer, next: &str, location: &str) {
    let as_browsers_read_it: String = location
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .map(|c| if c == '\\' { '/' } else { c })
        .collect();
    let path = path_of(server, &as_browsers_read_it);
    assert!(
        path.starts_with('/') && !path.starts_with("//"),
        "next={next:?} redirected to {location:?}, which a browser reads as {as_browsers_read_it:?}"
    );
    assert!(
        !location.contains("evil.example"),
        "next={next:?} redirected to {location:?}"
    );
}

migration::backend_test!(
    next_with_a_tab_or_newline_cannot_lead_off_the_site,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        // Browsers drop ASCII tabs and newlines from a URL before reading
        // it, so "/\t/evil.example" is "//evil.example", another site.
        for next in [
            "/\t/evil.example",
            "/\t\\evil.example",
            "\t//evil.example",
            "/\n/evil.example",
        ] {
            let response = no_redirects()
                .post(server.url("/api/sign_in"))
                .header(
                    ACCEPT,
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                )
                .header(REFERER, server.url("/sign-in"))
                .form(&[("email", MIKE), ("password", DEMO_PASSWORD), ("next", next)])
                .send()
                .await
                .expect("POST /api/sign_in as a form");
            assert_stays_on_site(&server, next, &location(&response));
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_wrong_password_and_an_unknown_email_get_the_same_401,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let before = rows(db).await;

        let mut bodies = Vec::new();
        for (email, password) in [
            (MIKE, "not the password"),
            ("nobody@airline.com", "not the password"),
            ("nobody@airline.com", DEMO_PASSWORD),
        ] {
            let response = server.post_sign_in(email, password).await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{email} / {password}"
            );
            let cookies = set_cookies(&response);
            assert!(
                session_set_cookie(&cookies)
                    .is_none_or(|cookie| token_of(&cookie_pair(&cookie)).is_empty()),
                "{email}: {cookies:?}"
            );
            bodies.push(response.text().await.expect("a body"));
        }
        assert!(
            bodies[0].contains("wrong email or password"),
            "{}",
            bodies[0]
        );
        assert_eq!(
            bodies[0], bodies[1],
            "an unknown e-mail looks like a wrong password"
        );
        assert_eq!(bodies[0], bodies[2]);
        assert_eq!(rows(db).await, before, "no session was made");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    ten_failures_for_an_email_lock_it_even_with_the_right_password,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        for attempt in 1..=10 {
            let response = server
                .post_sign_in(MIKE, &format!("guess number {attempt}"))
                .await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt}"
            );
        }
        let response = server.post_sign_in(MIKE, DEMO_PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "the 11th attempt is refused, right password or not"
        );
        assert!(session_set_cookie(&set_cookies(&response)).is_none());
        assert!(sessions_of(db, MIKE).await.is_empty());

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    ten_failures_from_one_address_lock_it_for_every_email,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        for attempt in 1..=10 {
            let response = server
                .post_sign_in(&format!("nobody{attempt}@airline.com"), "a guess")
                .await;
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt}"
            );
        }
        let response = server.post_sign_in(JAMES, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(sessions_of(db, JAMES).await.is_empty());

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    behind_a_trusted_proxy_the_forwarded_address_is_the_one_locked,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        app::server::auth::ensure_demo_sign_ins(db)
            .await
            .expect("demo sign-ins");
        let server = TestServer::start_with(
            db.clone(),
            AuthConfig {
                behind_proxy: true,
                ..AuthConfig::default()
            },
        )
        .await;
        let sign_in_from = |client: &'static str, email: &'static str, password: &'static str| {
            no_redirects()
                .post(server.url("/api/sign_in"))
                .header("x-forwarded-for", format!("6.6.6.6, {client}"))
                .form(&[("email", email), ("password", password)])
                .send()
        };
        for attempt in 1..=10 {
            let response = sign_in_from("192.0.2.1", "nobody@airline.com", "a guess")
                .await
                .expect("answer");
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "attempt {attempt}"
            );
        }
        // The forwarded client is locked out, for every email...
        let locked = sign_in_from("192.0.2.1", JAMES, DEMO_PASSWORD)
            .await
            .expect("answer");
        assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
        // ...but not the other people behind the same proxy.
        let other = sign_in_from("192.0.2.2", JAMES, DEMO_PASSWORD)
            .await
            .expect("answer");
        assert_eq!(other.status(), StatusCode::OK);
        let sessions = sessions_of(db, JAMES).await;
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].ip_address.as_deref(), Some("192.0.2.2"));

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Signing out, and sessions that end.
// ---------------------------------------------------------------------------

migration::backend_test!(signing_out_ends_this_session_only, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::with_demo_sign_ins(db.clone()).await;
    let here = server.sign_in_demo(MIKE).await;
    let elsewhere = server.sign_in_demo(MIKE).await;
    assert_eq!(sessions_of(db, MIKE).await.len(), 2);

    let response = server.post("/api/sign_out", Some(&here), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared =
        session_set_cookie(&set_cookies(&response)).expect("signing out clears the cookie");
    assert!(
        attributes(&cleared).iter().any(|a| a == "max-age=0"),
        "{cleared:?}"
    );
    assert!(token_of(&cookie_pair(&cleared)).is_empty(), "{cleared:?}");

    let left = sessions_of(db, MIKE).await;
    assert_eq!(left.len(), 1, "only this session's row is deleted");

    let dashboard = "/api/dashboard?quarter=2025-Q1";
    assert_eq!(
        server.get_as(dashboard, &here).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old cookie is signed out"
    );
    assert_eq!(sign_in_redirect(&server, "/", Some(&here)).await, "/");
    assert_eq!(
        server.get_as(dashboard, &elsewhere).await.status(),
        StatusCode::OK,
        "the other browser stays signed in"
    );
    assert_eq!(
        server
            .post("/api/sign_out", Some(&here), &[])
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "signing out twice"
    );

    // The header's sign-out form, without JavaScript, ends at /sign-in.
    let response = no_redirects()
        .post(server.url("/api/sign_out"))
        .header(
            ACCEPT,
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .header(REFERER, server.url("/"))
        .header(COOKIE, &elsewhere)
        .form(&Vec::<(&str, &str)>::new())
        .send()
        .await
        .expect("POST /api/sign_out as a form");
    assert!(response.status().is_redirection(), "{}", response.status());
    assert!(
        path_of(&server, &location(&response)).starts_with("/sign-in"),
        "{}",
        location(&response)
    );
    assert!(sessions_of(db, MIKE).await.is_empty());

    drop(server);
    test_db.close().await.expect("drop the test database");
});

migration::backend_test!(
    signing_out_everywhere_ends_every_session_of_the_person,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mikes = [
            server.sign_in_demo(MIKE).await,
            server.sign_in_demo(MIKE).await,
            server.sign_in_demo(MIKE).await,
        ];
        let emily = server.sign_in_demo(EMILY).await;

        let response = server
            .post("/api/sign_out_everywhere", Some(&mikes[1]), &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(sessions_of(db, MIKE).await.is_empty());
        for cookie in &mikes {
            assert_eq!(
                server
                    .get_as("/api/dashboard?quarter=2025-Q1", cookie)
                    .await
                    .status(),
                StatusCode::UNAUTHORIZED
            );
        }
        assert_eq!(sessions_of(db, EMILY).await.len(), 1, "others keep theirs");
        assert_eq!(
            server
                .get_as("/api/dashboard?quarter=2025-Q1", &emily)
                .await
                .status(),
            StatusCode::OK
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(an_expired_session_is_signed_out, |backend| async move {
    let Some(test_db) = TestDb::seeded(backend).await else {
        return;
    };
    let db = &test_db.db;
    let server = TestServer::with_demo_sign_ins(db.clone()).await;
    let mike_session = server.sign_in_demo(MIKE).await;
    let key_result = key_result_titled(db, CO_BRAND).await;
    assert_eq!(
        server
            .get_as("/api/dashboard?quarter=2025-Q1", &mike_session)
            .await
            .status(),
        StatusCode::OK
    );

    // Expired in the database itself, as another process would: on
    // PostgreSQL the server remembered the session, and forgets it on the
    // change's notice.
    let changes_before = server.session_changes();
    for stored in sessions_of(db, MIKE).await {
        let mut expired = stored.into_active_model();
        expired.expires_at = Set(Utc::now().naive_utc() - chrono::Duration::seconds(5));
        expired.update(db).await.expect("expire the session");
    }
    server.await_session_notice(changes_before).await;

    assert_eq!(
        server
            .get_as("/api/dashboard?quarter=2025-Q1", &mike_session)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .get_as(
                &format!("/api/key_result?id={}", key_result.id),
                &mike_session
            )
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sign_in_redirect(&server, "/", Some(&mike_session)).await,
        "/"
    );
    let before = rows(db).await;
    let fields = check_in_fields(&key_result, "6300");
    let response = server
        .post("/api/check_in", Some(&mike_session), &borrowed(&fields))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(rows(db).await, before);

    drop(server);
    test_db.close().await.expect("drop the test database");
});

// ---------------------------------------------------------------------------
// Who may write what.
// ---------------------------------------------------------------------------

migration::backend_test!(
    writing_without_a_session_is_401_and_changes_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        // Someone is signed in, so there are sessions to (not) delete.
        let emily = server.sign_in_demo(EMILY).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let direct = team_named(db, "Direct Channel Sales").await;
        let mike = person(db, MIKE).await;

        let calls: Vec<(&str, Fields)> = vec![
            ("/api/check_in", check_in_fields(&key_result, "6400")),
            ("/api/sign_out", vec![]),
            ("/api/sign_out_everywhere", vec![]),
            (
                "/api/invite",
                invite_fields("Nora Field", "nora.field@airline.com", direct.id, "admin"),
            ),
            ("/api/reset_link", vec![("person_id", mike.id.to_string())]),
        ];
        let before = rows(db).await;
        for cookie in [
            None,
            Some(format!("{SESSION_COOKIE}=")),
            Some(format!("{SESSION_COOKIE}=not-a-token-anyone-was-given")),
            // A session row's stored value is not a token either.
            Some(format!(
                "{SESSION_COOKIE}={}",
                sessions_of(db, EMILY).await[0].token
            )),
        ] {
            for (path, fields) in &calls {
                let response = server
                    .post(path, cookie.as_deref(), &borrowed(fields))
                    .await;
                let status = response.status();
                let body = response.text().await.unwrap_or_default();
                assert_eq!(
                    status,
                    StatusCode::UNAUTHORIZED,
                    "POST {path} with cookie {cookie:?}: {body}"
                );
                assert_eq!(
                    rows(db).await,
                    before,
                    "POST {path} with cookie {cookie:?} changed something"
                );
            }
        }

        // Reading needs a session too, but the health check does not.
        for path in [
            "/api/dashboard?quarter=2025-Q1".to_owned(),
            format!("/api/key_result?id={}", key_result.id),
        ] {
            assert_eq!(
                server.get(&path).await.status(),
                StatusCode::UNAUTHORIZED,
                "GET {path}"
            );
        }
        assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
        assert_eq!(
            server
                .get_as("/api/dashboard?quarter=2025-Q1", &emily)
                .await
                .status(),
            StatusCode::OK
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    the_wrong_role_is_403_and_changes_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let mike = server.sign_in_demo(MIKE).await;
        let james = server.sign_in_demo(JAMES).await;
        let sarah = server.sign_in_demo(SARAH).await;
        let lisa = server.sign_in_demo(LISA).await;
        let apac = key_result_titled(db, APAC_REVENUE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let corporate = team_named(db, "Corporate Sales").await;
        let james_id = person(db, JAMES).await.id.to_string();
        let mike_id = person(db, MIKE).await.id.to_string();

        let cases: Vec<(&str, &str, &str, Fields)> = vec![
            (
                "a member checking in on another team's key result",
                mike.as_str(),
                "/api/check_in",
                check_in_fields(&apac, "9200000"),
            ),
            (
                "another member checking in on another team's key result",
                james.as_str(),
                "/api/check_in",
                check_in_fields(&co_brand, "6500"),
            ),
            (
                "a lead checking in on another team's key result",
                sarah.as_str(),
                "/api/check_in",
                check_in_fields(&apac, "9200000"),
            ),
            (
                "a lead inviting",
                lisa.as_str(),
                "/api/invite",
                invite_fields(
                    "Nora Field",
                    "nora.field@airline.com",
                    corporate.id,
                    "member",
                ),
            ),
            (
                "a member inviting",
                james.as_str(),
                "/api/invite",
                invite_fields(
                    "Nora Field",
                    "nora.field@airline.com",
                    corporate.id,
                    "admin",
                ),
            ),
            (
                "a lead asking for a reset link",
                lisa.as_str(),
                "/api/reset_link",
                vec![("person_id", james_id.clone())],
            ),
            (
                "a member asking for their own reset link",
                mike.as_str(),
                "/api/reset_link",
                vec![("person_id", mike_id.clone())],
            ),
        ];
        let before = rows(db).await;
        for (case, cookie, path, fields) in &cases {
            let response = server.post(path, Some(cookie), &borrowed(fields)).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, StatusCode::FORBIDDEN, "{case}: {body}");
            assert_eq!(rows(db).await, before, "{case}: changed something");
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    each_role_checks_in_where_it_may_and_is_the_author,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        // A key result Mike owns in another team's objective.
        let mut apac = key_result_titled(db, APAC_REVENUE)
            .await
            .into_active_model();
        apac.owner_id = Set(person(db, MIKE).await.id);
        apac.update(db)
            .await
            .expect("give Mike a Corporate key result");

        // (case, who, key result)
        let cases = [
            ("a member on a key result they own", MIKE, CO_BRAND),
            ("a member on their team's key result", MIKE, COMMISSION),
            (
                "a member on another team's key result they own",
                MIKE,
                APAC_REVENUE,
            ),
            ("a member on their team's key result", JAMES, RENEWAL_RATE),
            ("a lead on their team's key result", SARAH, CO_BRAND),
            ("a lead on their team's key result", LISA, RENEWAL_RATE),
            ("the admin on another team's key result", EMILY, CO_BRAND),
            ("the admin on their team's key result", EMILY, APAC_REVENUE),
        ];
        for (n, (case, who, title)) in cases.into_iter().enumerate() {
            let session = server.sign_in_demo(who).await;
            let key_result = key_result_titled(db, title).await;
            let value = format!("{}", 1000 + n);
            let fields = check_in_fields(&key_result, &value);
            let (status, body) = status_and_json(
                server
                    .post("/api/check_in", Some(&session), &borrowed(&fields))
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{case} ({who}): {body}");
            let id = body["id"]
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok())
                .unwrap_or_else(|| panic!("{case}: no id: {body}"));
            let saved = check_in::Entity::find_by_id(id)
                .one(db)
                .await
                .expect("query check-ins")
                .expect("the check-in is stored");
            assert_eq!(saved.created_by, person(db, who).await.id, "{case}");
            assert_eq!(saved.kr_id, key_result.id, "{case}");
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    record_refuses_an_author_whose_role_does_not_allow_it,
    |backend| async move {
        use app::error::AppError;
        use app::server::commands::check_ins::record;
        use domain::commands::NewCheckIn;

        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        app::server::auth::ensure_demo_sign_ins(db)
            .await
            .expect("demo sign-ins and roles");
        let apac = key_result_titled(db, APAC_REVENUE).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let now = Utc::now().naive_utc();
        let input = |key_result: &key_result::Model, author: Uuid| NewCheckIn {
            key_result_id: key_result.id,
            value: Decimal::from(42),
            confidence: ConfidenceLevel::Amber,
            note: None,
            author_id: author,
            date: None,
        };

        let before = rows(db).await;
        for (who, key_result) in [
            (MIKE, &apac),
            (SARAH, &apac),
            (JAMES, &co_brand),
            (LISA, &co_brand),
        ] {
            let author = person(db, who).await.id;
            let error = record(db, input(key_result, author), now)
                .await
                .expect_err("a check-in outside their team is refused");
            assert!(
                matches!(error, AppError::Forbidden { .. }),
                "{who} on {:?}: {error:?}",
                key_result.title
            );
            assert_eq!(error.status_code(), StatusCode::FORBIDDEN);
            assert_eq!(rows(db).await, before, "{who}: changed something");
        }

        let emily = person(db, EMILY).await.id;
        let saved = record(db, input(&co_brand, emily), now)
            .await
            .expect("the admin may check in anywhere");
        assert_eq!(saved.created_by, emily);

        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    writes_from_another_site_are_403_even_when_signed_in,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let key_result = key_result_titled(db, CO_BRAND).await;
        let direct = team_named(db, "Direct Channel Sales").await;
        let same_origin = server.url("");
        let other_port = format!(
            "http://127.0.0.1:{}",
            server.addr.port().wrapping_add(1).max(1)
        );
        let own_referer = format!("{same_origin}/");

        let calls: Vec<(&str, Option<&str>, Fields)> = vec![
            (
                "/api/check_in",
                Some(emily.as_str()),
                check_in_fields(&key_result, "6600"),
            ),
            (
                "/api/invite",
                Some(emily.as_str()),
                invite_fields("Nora Field", "nora.field@airline.com", direct.id, "admin"),
            ),
            ("/api/sign_out", Some(emily.as_str()), vec![]),
            ("/api/sign_out_everywhere", Some(emily.as_str()), vec![]),
            (
                "/api/sign_in",
                None,
                vec![
                    ("email", MIKE.to_owned()),
                    ("password", DEMO_PASSWORD.to_owned()),
                ],
            ),
        ];
        let foreign: Vec<(&str, Vec<(&str, &str)>)> = vec![
            (
                "another site's Origin",
                vec![("Origin", "https://evil.example")],
            ),
            ("an opaque Origin", vec![("Origin", "null")]),
            (
                "another port's Origin",
                vec![("Origin", other_port.as_str())],
            ),
            (
                "Sec-Fetch-Site: cross-site",
                vec![("Sec-Fetch-Site", "cross-site")],
            ),
            (
                "another site's Referer without Origin",
                vec![("Referer", "https://evil.example/page")],
            ),
        ];

        let before = rows(db).await;
        for (what, headers) in &foreign {
            for (path, cookie, fields) in &calls {
                let mut request = no_redirects()
                    .post(server.url(path))
                    .header(ACCEPT, "application/json")
                    .form(&borrowed(fields));
                if let Some(cookie) = cookie {
                    request = request.header(COOKIE, *cookie);
                }
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
                let response = request.send().await.expect("POST");
                let status = response.status();
                let cookies = set_cookies(&response);
                assert_eq!(status, StatusCode::FORBIDDEN, "POST {path} with {what}");
                assert!(
                    session_set_cookie(&cookies).is_none(),
                    "POST {path} with {what} set {cookies:?}"
                );
                assert_eq!(
                    rows(db).await,
                    before,
                    "POST {path} with {what} changed something"
                );
            }
        }

        // Reading from another site is not a write.
        let response = no_redirects()
            .get(server.url("/api/dashboard?quarter=2025-Q1"))
            .header(COOKIE, &emily)
            .header("Origin", "https://evil.example")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status(), StatusCode::OK);

        // The site itself may write: by Origin, with Sec-Fetch-Site, or by
        // Referer alone.
        let same_site: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("its own Origin", vec![("Origin", same_origin.as_str())]),
            (
                "its own Origin, same-origin fetch",
                vec![
                    ("Origin", same_origin.as_str()),
                    ("Sec-Fetch-Site", "same-origin"),
                ],
            ),
            ("its own Referer", vec![("Referer", own_referer.as_str())]),
            ("no such headers, like curl", vec![]),
        ];
        for (n, (what, headers)) in same_site.iter().enumerate() {
            let fields = check_in_fields(&key_result, &format!("{}", 6700 + n));
            let mut request = no_redirects()
                .post(server.url("/api/check_in"))
                .header(ACCEPT, "application/json")
                .header(COOKIE, &emily)
                .form(&borrowed(&fields));
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            let response = request.send().await.expect("POST");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, StatusCode::OK, "{what}: {body}");
        }
        assert_eq!(
            check_in::Entity::find().count(db).await.expect("count"),
            before.check_ins + same_site.len() as u64
        );

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Invitations and password resets.
// ---------------------------------------------------------------------------

migration::backend_test!(
    an_invited_person_sets_a_password_and_is_signed_in_once,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let direct = team_named(db, "Direct Channel Sales").await;
        let before = rows(db).await;

        let fields = invite_fields("Nora Field", "nora.field@airline.com", direct.id, "member");
        let (status, body) = status_and_json(
            server
                .post("/api/invite", Some(&emily), &borrowed(&fields))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = link_token(&server, &body, "invite");
        assert_about(
            expires_at(&body),
            Utc::now().naive_utc() + chrono::Duration::hours(72),
            "the invitation's expiry",
        );
        let nora = person(db, "nora.field@airline.com").await;
        assert_eq!(nora.name, "Nora Field");
        assert_eq!(nora.team_id, direct.id);
        assert!(nora.active);
        let role = person_role::Entity::find_by_id(nora.id)
            .one(db)
            .await
            .expect("query roles")
            .map_or(Role::Member, |row| row.role);
        assert_eq!(role, Role::Member);
        let after_invite = rows(db).await;
        assert_eq!(after_invite.verifications, before.verifications + 1);
        assert_eq!(after_invite.users, before.users, "no sign-in identity yet");
        assert!(
            !verification::Entity::find()
                .all(db)
                .await
                .expect("query verifications")
                .iter()
                .any(|row| row.value.contains(&token) || row.identifier.contains(&token)),
            "the database keeps no usable invitation token"
        );

        // The page of the link, without a session.
        let page = server.get_as(&format!("/invite/{token}"), "").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        assert!(html.contains(r#"name="password""#), "{html}");
        assert!(
            html.contains(r#"data-testid="set-password-submit""#),
            "{html}"
        );

        let password = "nora's own long password";
        let accept = [("token", token.as_str()), ("password", password)];
        let response = server.post("/api/accept_invite", None, &accept).await;
        assert_eq!(response.status(), StatusCode::OK);
        let nora_session =
            cookie_pair(&session_set_cookie(&set_cookies(&response)).expect("accepting signs in"));
        assert_eq!(
            server
                .get_as("/api/dashboard?quarter=2025-Q1", &nora_session)
                .await
                .status(),
            StatusCode::OK
        );
        let stored = account::Entity::find()
            .filter(
                account::Column::UserId.eq(user_of(db, "nora.field@airline.com")
                    .await
                    .expect("a sign-in identity")
                    .id),
            )
            .one(db)
            .await
            .expect("query accounts")
            .expect("a credential account");
        let hash = stored.password.expect("a password hash");
        assert_ne!(hash, password);
        assert!(app::server::auth::verify_password(password, &hash));

        // Nora is a member of Direct Channel Sales: she may check in there.
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let fields = check_in_fields(&co_brand, "6800");
        let (status, body) = status_and_json(
            server
                .post("/api/check_in", Some(&nora_session), &borrowed(&fields))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let latest = check_in::Entity::find()
            .filter(check_in::Column::CreatedBy.eq(nora.id))
            .count(db)
            .await
            .expect("count");
        assert_eq!(latest, 1, "the check-in is Nora's");

        // The link works once.
        let before_again = rows(db).await;
        let again = [
            ("token", token.as_str()),
            ("password", "a different password"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/accept_invite", None, &again).await).await;
        assert_eq!(validation_field(status, &body), "token");
        assert_eq!(rows(db).await, before_again);
        assert_eq!(
            server
                .post_sign_in("nora.field@airline.com", "a different password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        server.sign_in("nora.field@airline.com", password).await;

        // Inviting someone who is already here is a mistake of the form.
        let fields = invite_fields("Mike Again", MIKE, direct.id, "member");
        let before_dup = rows(db).await;
        let (status, body) = status_and_json(
            server
                .post("/api/invite", Some(&emily), &borrowed(&fields))
                .await,
        )
        .await;
        assert_eq!(validation_field(status, &body), "email");
        assert_eq!(rows(db).await, before_dup);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    an_expired_invitation_is_refused_naming_the_token,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let corporate = team_named(db, "Corporate Sales").await;

        let fields = invite_fields("Omar Reyes", "omar.reyes@airline.com", corporate.id, "lead");
        let (status, body) = status_and_json(
            server
                .post("/api/invite", Some(&emily), &borrowed(&fields))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = link_token(&server, &body, "invite");
        let omar = person(db, "omar.reyes@airline.com").await;
        assert_eq!(
            person_role::Entity::find_by_id(omar.id)
                .one(db)
                .await
                .expect("query roles")
                .map(|row| row.role),
            Some(Role::Lead)
        );

        expire_every_token(db).await;
        let before = rows(db).await;
        let accept = [
            ("token", token.as_str()),
            ("password", "omar's long password"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/accept_invite", None, &accept).await).await;
        assert_eq!(validation_field(status, &body), "token");
        assert_eq!(
            rows(db).await.but_links(),
            before.but_links(),
            "nothing is created"
        );
        let before = rows(db).await;
        assert!(user_of(db, "omar.reyes@airline.com").await.is_none());

        // A token nobody was given.
        let made_up = [
            ("token", "not-a-token-anyone-was-given"),
            ("password", "whatever it is"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/accept_invite", None, &made_up).await).await;
        assert_eq!(validation_field(status, &body), "token");
        assert_eq!(rows(db).await, before);

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_reset_link_sets_a_new_password_and_ends_every_old_session,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let old_session = server.sign_in_demo(MIKE).await;
        let mike = person(db, MIKE).await;

        let person_id = mike.id.to_string();
        let (status, body) = status_and_json(
            server
                .post(
                    "/api/reset_link",
                    Some(&emily),
                    &[("person_id", &person_id)],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = link_token(&server, &body, "reset");
        assert_about(
            expires_at(&body),
            Utc::now().naive_utc() + chrono::Duration::hours(1),
            "the reset link's expiry",
        );

        let page = server.get_as(&format!("/reset/{token}"), "").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        assert!(html.contains(r#"name="password""#), "{html}");
        assert!(
            html.contains(r#"data-testid="set-password-submit""#),
            "{html}"
        );

        let new_password = "mike's brand new password";
        let reset = [("token", token.as_str()), ("password", new_password)];
        let response = server.post("/api/reset_password", None, &reset).await;
        assert_eq!(response.status(), StatusCode::OK);
        let new_session =
            cookie_pair(&session_set_cookie(&set_cookies(&response)).expect("resetting signs in"));
        let dashboard = "/api/dashboard?quarter=2025-Q1";
        assert_eq!(
            server.get_as(dashboard, &new_session).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            server.get_as(dashboard, &old_session).await.status(),
            StatusCode::UNAUTHORIZED,
            "a reset ends the sessions from before"
        );
        assert_eq!(sessions_of(db, MIKE).await.len(), 1);
        assert_eq!(
            server.get_as(dashboard, &emily).await.status(),
            StatusCode::OK,
            "the admin's session is not Mike's"
        );

        assert_eq!(
            server.post_sign_in(MIKE, DEMO_PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED,
            "the old password stops working"
        );
        server.sign_in(MIKE, new_password).await;

        // The link works once.
        let before = rows(db).await;
        let again = [
            ("token", token.as_str()),
            ("password", "yet another password"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/reset_password", None, &again).await).await;
        assert_eq!(validation_field(status, &body), "token");
        assert_eq!(rows(db).await, before);

        // An expired link changes nothing.
        let (status, body) = status_and_json(
            server
                .post(
                    "/api/reset_link",
                    Some(&emily),
                    &[("person_id", &person_id)],
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = link_token(&server, &body, "reset");
        expire_every_token(db).await;
        let before = rows(db).await;
        let late = [
            ("token", token.as_str()),
            ("password", "yet another password"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/reset_password", None, &late).await).await;
        assert_eq!(validation_field(status, &body), "token");
        assert_eq!(rows(db).await.but_links(), before.but_links());
        assert_eq!(
            server
                .post_sign_in(MIKE, "yet another password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
        server.sign_in(MIKE, new_password).await;

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Pages.
// ---------------------------------------------------------------------------

migration::backend_test!(
    pages_send_a_signed_out_browser_to_sign_in,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let key_result = key_result_titled(db, CO_BRAND).await;

        assert_eq!(sign_in_redirect(&server, "/", None).await, "/");
        let filtered = "/?quarter=2025-Q1&at_risk=1";
        assert_eq!(sign_in_redirect(&server, filtered, None).await, filtered);
        let detail = format!("/kr/{}", key_result.id);
        assert_eq!(sign_in_redirect(&server, &detail, None).await, detail);
        assert_eq!(
            sign_in_redirect(&server, "/admin/people", None).await,
            "/admin/people"
        );

        // The sign-in page itself is open, a plain form.
        let page = server.get("/sign-in?next=%2Fkr%2Fx").await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        for part in [
            r#"action="/api/sign_in""#,
            r#"method="post""#,
            r#"name="email""#,
            r#"name="password""#,
            r#"name="next""#,
            r#"data-testid="sign-in-submit""#,
        ] {
            assert!(html.contains(part), "the sign-in page lacks {part}: {html}");
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    pages_show_who_is_signed_in_and_what_they_may_do,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;

        // (who, header, key results they may check in on)
        for (who, header, may_check_in) in [
            (MIKE, "Mike Johnson · member", 6),
            (JAMES, "James Rodriguez · member", 4),
            (SARAH, "Sarah Chen · lead", 6),
            (LISA, "Lisa Wang · lead", 4),
            (EMILY, "Emily Davis · admin", 10),
        ] {
            let session = server.sign_in_demo(who).await;
            let page = server.get_as("/?quarter=2025-Q1", &session).await;
            assert_eq!(page.status(), StatusCode::OK, "{who}");
            let html = page.text().await.expect("the page");
            let signed_in_as = text_after(&html, r#"class="signed-in-as""#);
            assert!(
                signed_in_as.contains(header),
                "{who}: the header says {signed_in_as:?}"
            );
            assert!(html.contains(r#"action="/api/sign_out""#), "{who}");
            assert!(html.contains(">Sign out</button>"), "{who}");
            assert!(!html.contains(r#"data-testid="check-in-author""#), "{who}");
            assert_eq!(
                html.matches(r#"class="check-in-link""#).count(),
                may_check_in,
                "{who}: check-in forms"
            );

            let admin = server.get_as("/admin/people", &session).await;
            let status = admin.status();
            let html = admin.text().await.expect("the page");
            if who == EMILY {
                assert_eq!(status, StatusCode::OK);
                assert!(html.contains(r#"data-testid="invite-submit""#), "{html}");
                assert!(!html.contains(r#"data-testid="forbidden""#));
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
                assert!(html.contains(r#"data-testid="forbidden""#), "{who}");
                assert!(html.contains("Admins only"), "{who}");
                assert!(!html.contains(r#"data-testid="invite-submit""#), "{who}");
            }
        }

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_signed_in_user_who_is_no_team_member_is_403,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let direct = team_named(db, "Direct Channel Sales").await;

        // Invited and signed up, then taken off the people list.
        let fields = invite_fields("Nora Field", "nora.field@airline.com", direct.id, "member");
        let (status, body) = status_and_json(
            server
                .post("/api/invite", Some(&emily), &borrowed(&fields))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = link_token(&server, &body, "invite");
        let password = "nora's own long password";
        let response = server
            .post(
                "/api/accept_invite",
                None,
                &[("token", token.as_str()), ("password", password)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        person(db, "nora.field@airline.com")
            .await
            .delete(db)
            .await
            .expect("remove Nora from the people");
        let session = server.sign_in("nora.field@airline.com", password).await;

        for path in [
            "/api/dashboard?quarter=2025-Q1".to_owned(),
            format!(
                "/api/key_result?id={}",
                key_result_titled(db, CO_BRAND).await.id
            ),
        ] {
            let response = server.get_as(&path, &session).await;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert_eq!(status, StatusCode::FORBIDDEN, "GET {path}: {body}");
            assert!(body.contains("not a member of any team yet"), "{body}");
        }

        let before = rows(db).await;
        let co_brand = key_result_titled(db, CO_BRAND).await;
        let fields = check_in_fields(&co_brand, "6900");
        let response = server
            .post("/api/check_in", Some(&session), &borrowed(&fields))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(rows(db).await, before);

        let page = server.get_as("/no-team", &session).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        assert!(html.contains("not a member of any team yet"), "{html}");

        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

/// A reset link for `email`, issued by the admin signed in as `admin`.
async fn reset_token(server: &TestServer, admin: &str, person_id: &str) -> String {
    let (status, body) = status_and_json(
        server
            .post("/api/reset_link", Some(admin), &[("person_id", person_id)])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    link_token(server, &body, "reset")
}

migration::backend_test!(
    a_newer_reset_link_revokes_the_older_and_a_link_redeems_exactly_once,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let mike = person(db, MIKE).await;
        let person_id = mike.id.to_string();
        let token =
            app::server::tokens::create(db, mike.id, "laptop", None, Utc::now().naive_utc())
                .await
                .expect("a token")
                .token;

        // Two links: the newer one is the only live one.
        let older = reset_token(&server, &emily, &person_id).await;
        let newer = reset_token(&server, &emily, &person_id).await;
        let take_over = [
            ("token", older.as_str()),
            ("password", "the attacker's password"),
        ];
        let (status, body) =
            status_and_json(server.post("/api/reset_password", None, &take_over).await).await;
        assert_eq!(validation_field(status, &body), "token");
        let reset = [
            ("token", newer.as_str()),
            ("password", "mike's own password"),
        ];
        assert_eq!(
            server
                .post("/api/reset_password", None, &reset)
                .await
                .status(),
            StatusCode::OK
        );
        let (status, body) =
            status_and_json(server.post("/api/reset_password", None, &take_over).await).await;
        assert_eq!(validation_field(status, &body), "token");
        server.sign_in(MIKE, "mike's own password").await;
        assert_eq!(
            server
                .post_sign_in(MIKE, "the attacker's password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );

        // The reset revoked the token made before it.
        let api = no_redirects()
            .get(server.url("/api/v1/quarters"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /api/v1/quarters");
        assert_eq!(
            api.status(),
            StatusCode::UNAUTHORIZED,
            "a reset revokes API tokens"
        );

        // One link redeemed twice at the same moment: exactly one wins.
        let link = reset_token(&server, &emily, &person_id).await;
        let first = [
            ("token", link.as_str()),
            ("password", "first of two at once"),
        ];
        let second = [
            ("token", link.as_str()),
            ("password", "second of two at once"),
        ];
        let (a, b) = tokio::join!(
            server.post("/api/reset_password", None, &first),
            server.post("/api/reset_password", None, &second),
        );
        let mut statuses = [a.status(), b.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY],
            "exactly one redemption succeeds"
        );
        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_deactivated_persons_tokens_stay_revoked_when_they_are_reactivated,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let server = TestServer::with_demo_sign_ins(db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        let mike = person(db, MIKE).await;
        let token =
            app::server::tokens::create(db, mike.id, "laptop", None, Utc::now().naive_utc())
                .await
                .expect("a token")
                .token;
        let quarters = || {
            no_redirects()
                .get(server.url("/api/v1/quarters"))
                .bearer_auth(&token)
                .send()
        };
        assert_eq!(quarters().await.expect("GET").status(), StatusCode::OK);
        let person_id = mike.id.to_string();
        for active in ["false", "true"] {
            let (status, body) = status_and_json(
                server
                    .post(
                        "/api/set_person_active",
                        Some(&emily),
                        &[("person_id", person_id.as_str()), ("active", active)],
                    )
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        assert_eq!(
            quarters().await.expect("GET").status(),
            StatusCode::UNAUTHORIZED,
            "a deactivation revokes the tokens for good"
        );
        drop(server);
        test_db.close().await.expect("drop the test database");
    }
);
