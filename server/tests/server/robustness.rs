//! Bad input over real HTTP, on SQLite and PostgreSQL: generated malformed
//! requests to every server function and page (never a 5xx, never a row
//! changed), the repros of issue 11 one by one, script and SQL text stored
//! literally and rendered inert, and a burst of concurrent check-ins.
//!
//! The servers here are the production ones: `server::router_with` served by
//! `server::serve` with `server::Limits::default()`, on the pool
//! `app::server::db::connect` opens with the default settings.

use crate::common;
use crate::common::report;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::server::AppState;
use app::server::auth::AuthConfig;
use chrono::NaiveDateTime;
use common::{
    APAC_REVENUE, CONVERSION, DEMO_PASSWORD, EMILY, TestServer, USER_AGENT, app_pool,
    key_result_titled, leptos_options, status_and_json, team_named,
};
use entity::{account, check_in, key_result, okr_user, session};
use migration::testing::{Backend, TestDb};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderName, HeaderValue, ORIGIN, REFERER};
use reqwest::{Method, StatusCode};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Statement,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generated requests per backend.
const CASES: u32 = 2_400;

const SCRIPT: &str = "<script>alert(1)</script>";
const SQL: &str = "'; drop table check_in; --";

// ---------------------------------------------------------------------------
// The server and what must not change.
// ---------------------------------------------------------------------------

/// The production server on the production pool of `test_db`, with the
/// demo people's sign-ins.
async fn start(test_db: &TestDb) -> (TestServer, DatabaseConnection) {
    let db = app_pool(&test_db.url).await;
    app::server::auth::ensure_demo_sign_ins(&db)
        .await
        .expect("demo sign-ins");
    let limits = server::Limits::default();
    let router = server::router_with(
        AppState::new(leptos_options(), db.clone(), AuthConfig::default()),
        &limits,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("the bound address");
    let task = tokio::spawn(async move {
        server::serve(listener, router, &limits, std::future::pending())
            .await
            .expect("serve");
    });
    (TestServer::running(addr, task), db)
}

/// Every table of the schema.
const TABLES: [&str; 14] = [
    "account",
    "api_idempotency",
    "api_token",
    "check_in",
    "import_record",
    "key_result",
    "objective",
    "okr_user",
    "person_role",
    "quarter",
    "session",
    "team",
    "user",
    "verification",
];

/// Everything a refused request must leave as it was: the row count of
/// every table, the key results' values, the people, the passwords and the
/// sessions.
#[derive(Debug, Clone, PartialEq)]
struct Rows {
    counts: Vec<(&'static str, i64)>,
    key_results: Vec<(Uuid, Decimal, NaiveDateTime)>,
    people: Vec<(Uuid, String, String, bool)>,
    passwords: Vec<(String, Option<String>)>,
    sessions: Vec<String>,
}

async fn rows(db: &DatabaseConnection) -> Rows {
    let sql = format!(
        "SELECT {}",
        TABLES
            .iter()
            .map(|table| format!("(SELECT COUNT(*) FROM \"{table}\")"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count the rows")
        .expect("a row of counts");
    let counts = TABLES
        .iter()
        .enumerate()
        .map(|(index, table)| {
            let count: i64 = row.try_get_by_index(index).expect("a count");
            (*table, count)
        })
        .collect();
    Rows {
        counts,
        key_results: key_result::Entity::find()
            .order_by_asc(key_result::Column::Id)
            .all(db)
            .await
            .expect("key results")
            .into_iter()
            .map(|kr| (kr.id, kr.current_value, kr.updated_at))
            .collect(),
        people: okr_user::Entity::find()
            .order_by_asc(okr_user::Column::Id)
            .all(db)
            .await
            .expect("people")
            .into_iter()
            .map(|person| (person.id, person.name, person.email, person.active))
            .collect(),
        passwords: account::Entity::find()
            .order_by_asc(account::Column::Id)
            .all(db)
            .await
            .expect("accounts")
            .into_iter()
            .map(|account| (account.id, account.password))
            .collect(),
        sessions: session::Entity::find()
            .order_by_asc(session::Column::Id)
            .all(db)
            .await
            .expect("sessions")
            .into_iter()
            .map(|session| session.id)
            .collect(),
    }
}

/// What differs between two snapshots, for a failure message.
fn differences(before: &Rows, after: &Rows) -> String {
    let mut lines = Vec::new();
    for ((table, was), (_, is)) in before.counts.iter().zip(&after.counts) {
        if was != is {
            lines.push(format!("{table}: {was} → {is} rows"));
        }
    }
    if before.key_results != after.key_results {
        lines.push("key_result values or updated_at changed".to_owned());
    }
    if before.people != after.people {
        lines.push("okr_user rows changed".to_owned());
    }
    if before.passwords != after.passwords {
        lines.push("passwords changed".to_owned());
    }
    if before.sessions != after.sessions {
        lines.push("sessions changed".to_owned());
    }
    lines.join("; ")
}

// ---------------------------------------------------------------------------
// The generator of malformed requests.
// ---------------------------------------------------------------------------

/// Bytes of a field, a name or a body: text, or not even UTF-8. Shown
/// shortened when a case is reported.
#[derive(Clone, PartialEq)]
struct Bytes(Vec<u8>);

impl Bytes {
    fn text(text: &str) -> Bytes {
        Bytes(text.as_bytes().to_vec())
    }

    fn lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 80;
        match std::str::from_utf8(&self.0) {
            Ok(text) if text.chars().count() <= SHOWN => write!(f, "{text:?}"),
            Ok(text) => {
                let shown: String = text.chars().take(SHOWN).collect();
                write!(f, "{shown:?}… ({} bytes)", text.len())
            }
            Err(_) => {
                let shown = &self.0[..self.0.len().min(SHOWN)];
                write!(
                    f,
                    "b\"{}\"{} (not UTF-8, {} bytes)",
                    shown.escape_ascii(),
                    if shown.len() < self.0.len() {
                        "…"
                    } else {
                        ""
                    },
                    self.0.len()
                )
            }
        }
    }
}

/// The server functions, as the router knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    CheckIn,
    SignIn,
    SignOut,
    SignOutEverywhere,
    Invite,
    ResetLink,
    AcceptInvite,
    ResetPassword,
    Dashboard,
    KeyResult,
    AdminPeople,
    Viewer,
    Health,
    CreateToken,
    RevokeToken,
    Tokens,
    ApiReference,
    ImportPreview,
    CommitImport,
    ImportHistory,
    QuartersAdmin,
    SaveQuarter,
    ArchiveQuarter,
    TeamsAdmin,
    CreateTeam,
    UpdateTeam,
    ObjectiveEditor,
    SaveObjective,
    DeleteObjective,
    KeyResultEditor,
    SaveKeyResult,
    DeleteKeyResult,
    RollOverPlan,
    RollOver,
    Review,
    SaveReviewNotes,
    UpdatePerson,
    SetPersonActive,
}

impl Endpoint {
    const ALL: [Endpoint; 38] = [
        Endpoint::CheckIn,
        Endpoint::SignIn,
        Endpoint::SignOut,
        Endpoint::SignOutEverywhere,
        Endpoint::Invite,
        Endpoint::ResetLink,
        Endpoint::AcceptInvite,
        Endpoint::ResetPassword,
        Endpoint::Dashboard,
        Endpoint::KeyResult,
        Endpoint::AdminPeople,
        Endpoint::Viewer,
        Endpoint::Health,
        Endpoint::CreateToken,
        Endpoint::RevokeToken,
        Endpoint::Tokens,
        Endpoint::ApiReference,
        Endpoint::ImportPreview,
        Endpoint::CommitImport,
        Endpoint::ImportHistory,
        Endpoint::QuartersAdmin,
        Endpoint::SaveQuarter,
        Endpoint::ArchiveQuarter,
        Endpoint::TeamsAdmin,
        Endpoint::CreateTeam,
        Endpoint::UpdateTeam,
        Endpoint::ObjectiveEditor,
        Endpoint::SaveObjective,
        Endpoint::DeleteObjective,
        Endpoint::KeyResultEditor,
        Endpoint::SaveKeyResult,
        Endpoint::DeleteKeyResult,
        Endpoint::RollOverPlan,
        Endpoint::RollOver,
        Endpoint::Review,
        Endpoint::SaveReviewNotes,
        Endpoint::UpdatePerson,
        Endpoint::SetPersonActive,
    ];

    fn path(self) -> &'static str {
        match self {
            Endpoint::CheckIn => "/api/check_in",
            Endpoint::SignIn => "/api/sign_in",
            Endpoint::SignOut => "/api/sign_out",
            Endpoint::SignOutEverywhere => "/api/sign_out_everywhere",
            Endpoint::Invite => "/api/invite",
            Endpoint::ResetLink => "/api/reset_link",
            Endpoint::AcceptInvite => "/api/accept_invite",
            Endpoint::ResetPassword => "/api/reset_password",
            Endpoint::Dashboard => "/api/dashboard",
            Endpoint::KeyResult => "/api/key_result",
            Endpoint::AdminPeople => "/api/admin_people",
            Endpoint::Viewer => "/api/viewer",
            Endpoint::Health => "/api/health",
            Endpoint::CreateToken => "/api/create_token",
            Endpoint::RevokeToken => "/api/revoke_token",
            Endpoint::Tokens => "/api/tokens",
            Endpoint::ApiReference => "/api/api_reference",
            Endpoint::ImportPreview => "/api/import_preview",
            Endpoint::CommitImport => "/api/commit_import",
            Endpoint::ImportHistory => "/api/import_history",
            Endpoint::QuartersAdmin => "/api/quarters_admin",
            Endpoint::SaveQuarter => "/api/save_quarter",
            Endpoint::ArchiveQuarter => "/api/archive_quarter",
            Endpoint::TeamsAdmin => "/api/teams_admin",
            Endpoint::CreateTeam => "/api/create_team",
            Endpoint::UpdateTeam => "/api/update_team",
            Endpoint::ObjectiveEditor => "/api/objective_editor",
            Endpoint::SaveObjective => "/api/save_objective",
            Endpoint::DeleteObjective => "/api/delete_objective",
            Endpoint::KeyResultEditor => "/api/key_result_editor",
            Endpoint::SaveKeyResult => "/api/save_key_result",
            Endpoint::DeleteKeyResult => "/api/delete_key_result",
            Endpoint::RollOverPlan => "/api/roll_over_plan",
            Endpoint::RollOver => "/api/roll_over",
            Endpoint::Review => "/api/review",
            Endpoint::SaveReviewNotes => "/api/save_review_notes",
            Endpoint::UpdatePerson => "/api/update_person",
            Endpoint::SetPersonActive => "/api/set_person_active",
        }
    }

    fn method(self) -> Method {
        match self {
            Endpoint::Dashboard
            | Endpoint::KeyResult
            | Endpoint::AdminPeople
            | Endpoint::Viewer
            | Endpoint::Health
            | Endpoint::Tokens
            | Endpoint::ApiReference
            | Endpoint::ImportPreview
            | Endpoint::ImportHistory
            | Endpoint::QuartersAdmin
            | Endpoint::TeamsAdmin
            | Endpoint::ObjectiveEditor
            | Endpoint::KeyResultEditor
            | Endpoint::RollOverPlan
            | Endpoint::Review => Method::GET,
            _ => Method::POST,
        }
    }

    /// Writes that would succeed with the admin's cookie whatever the
    /// body: they get no valid session.
    fn signs_out(self) -> bool {
        matches!(self, Endpoint::SignOut | Endpoint::SignOutEverywhere)
    }
}

/// The pages of the router, and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Page {
    Dashboard,
    KeyResult,
    AdminPeople,
    SignIn,
    Invite,
    Reset,
    NoTeam,
    Elsewhere,
}

#[derive(Debug, Clone)]
enum Target {
    Api(Endpoint),
    Page(Page, Path),
}

/// A page's path and query, shown shortened when a case is reported.
#[derive(Clone)]
struct Path(String);

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Bytes::text(&self.0).fmt(f)
    }
}

/// The longest URL sent: `http::Uri` takes at most 64 KiB, and a client
/// cannot send more.
const MAX_URL: usize = 32 * 1024;

/// `url` cut to [`MAX_URL`] without splitting a percent escape.
fn bounded(mut url: String) -> String {
    if url.len() > MAX_URL {
        url.truncate(MAX_URL);
        while url.ends_with('%') || url[..url.len() - 1].ends_with('%') {
            url.pop();
        }
    }
    url
}

/// How the fields travel in a body.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    /// `application/x-www-form-urlencoded`, as a browser sends it.
    Form,
    /// Form syntax with the bytes unencoded (only `&=+%#` escaped).
    Raw,
    /// A JSON object of strings.
    Json,
    /// A JSON-like object whose values are the bare bytes (`1e999`, `NaN`).
    JsonBare,
    Multipart,
    /// The case's garbage bytes instead of the fields.
    Garbage,
    Empty,
}

#[derive(Debug, Clone)]
enum ContentType {
    /// The one of the encoding, as a client would send it.
    Fitting,
    None,
    Other(Bytes),
}

#[derive(Debug, Clone)]
enum Cookie {
    None,
    Admin,
    AdminAndJunk(Bytes),
    Forged(Bytes),
}

/// Where the request says it comes from.
#[derive(Debug, Clone)]
enum Source {
    None,
    SameOrigin,
    /// A page of this site, its path percent-encoded as a browser does.
    SameSiteReferer(Bytes),
    /// A page of this site with the path's bytes as they are.
    RawReferer(Bytes),
    CrossSite,
    FetchSite(&'static str),
}

#[derive(Debug, Clone)]
struct Case {
    target: Target,
    method: Method,
    fields: Vec<(Bytes, Bytes)>,
    encoding: Encoding,
    garbage: Bytes,
    content_type: ContentType,
    accept: Option<&'static str>,
    cookie: Cookie,
    source: Source,
    /// Which of the clients sends it (each from an address of its own, so
    /// the sign-in lock-out of one address does not end the sign-in cases).
    client: usize,
}

/// The ids of the seed, so some cases reach deep into the server.
#[derive(Debug, Clone)]
struct Ids {
    key_results: Vec<String>,
    teams: Vec<String>,
    people: Vec<String>,
}

const SPECIALS: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "-0",
    "+0",
    "-1",
    "1e999",
    "-1e999",
    "1e-999",
    "NaN",
    "nan",
    "-NaN",
    "inf",
    "-inf",
    "Infinity",
    "１２",
    "٣",
    "1,2,3",
    "1.234,5",
    "12,3456",
    "3,5",
    "2,84",
    "9,100,000",
    "1,234.50",
    ",",
    ".",
    "..",
    "-",
    "+",
    "$",
    "%",
    "pp",
    "0x1F",
    "1_000",
    "9999999999999.99",
    "10000000000000",
    "0.001",
    "1.",
    ".5",
    "null",
    "true",
    "false",
    "[]",
    "{}",
    "\"",
    "'",
    "\\",
    SCRIPT,
    SQL,
    "\u{0}",
    "a\u{0}b",
    "\u{1}",
    "\u{7f}",
    "\u{1b}[31m",
    "\r\n",
    "\n",
    "\t",
    "\u{202e}",
    "\u{feff}",
    "\u{fffd}",
    "\u{10ffff}",
    "\u{1f642}",
    "e\u{301}",
    "%00",
    "%ZZ",
    "%FF",
    "&",
    "=",
    "a=b",
    "Red",
    "amber",
    "GREEN",
    "admin",
    "lead",
    "member",
    "2025-Q1",
    "2025-01-15",
    "2025-02-30",
    "0000-00-00",
    "-2025-01-01",
    "2025-13-01",
    "emily.davis@airline.com",
    "@",
    "a@b.c",
    "00000000-0000-0000-0000-000000000000",
    "{00000000-0000-0000-0000-000000000000}",
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "../../etc/passwd",
    "/",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
];

fn specials() -> BoxedStrategy<Bytes> {
    select(SPECIALS).prop_map(Bytes::text).boxed()
}

fn unicode(max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(any::<char>(), 0..max)
        .prop_map(String::from_iter)
        .boxed()
}

/// Up to 20 KB of one repeated unit.
fn long() -> BoxedStrategy<Bytes> {
    (
        1usize..=20_480,
        select(vec![
            "x",
            "é",
            "\u{1f642}",
            "\u{0}",
            " ",
            "9",
            "<",
            "%",
            ",",
        ]),
    )
        .prop_map(|(bytes, unit)| Bytes::text(&unit.repeat(bytes / unit.len() + 1)))
        .boxed()
}

/// Bytes that are never UTF-8: 0xC0, 0xF8, 0xFE and 0xFF start no
/// character.
fn not_utf8() -> BoxedStrategy<Bytes> {
    (
        proptest::collection::vec(any::<u8>(), 0..24),
        select(vec![0xC0u8, 0xF8, 0xFE, 0xFF]),
        proptest::collection::vec(any::<u8>(), 0..24),
    )
        .prop_map(|(mut before, bad, after)| {
            before.push(bad);
            before.extend(after);
            Bytes(before)
        })
        .boxed()
}

fn numbers() -> BoxedStrategy<Bytes> {
    prop_oneof![
        any::<f64>().prop_map(|x| x.to_string()),
        any::<f64>().prop_map(|x| format!("{x:e}")),
        any::<i64>().prop_map(|n| n.to_string()),
        (any::<i64>(), 0u32..8).prop_map(|(n, scale)| Decimal::new(n, scale).to_string()),
        any::<u128>().prop_map(|n| n.to_string()),
    ]
    .prop_map(|text| Bytes::text(&text))
    .boxed()
}

/// Text with a control character other than newline and tab in it.
fn controls() -> BoxedStrategy<Bytes> {
    (
        unicode(8),
        select(vec![
            '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}',
        ]),
        unicode(8),
    )
        .prop_map(|(before, control, after)| Bytes::text(&format!("{before}{control}{after}")))
        .boxed()
}

/// Anything at all.
fn any_value() -> BoxedStrategy<Bytes> {
    prop_oneof![
        3 => specials(),
        3 => unicode(40).prop_map(|text| Bytes::text(&text)),
        1 => long(),
        2 => not_utf8(),
        2 => numbers(),
        2 => controls(),
    ]
    .boxed()
}

/// One of `choices`, or anything.
fn plausible(choices: Vec<String>) -> BoxedStrategy<Bytes> {
    prop_oneof![
        5 => select(choices).prop_map(|text| Bytes::text(&text)),
        1 => any_value(),
    ]
    .boxed()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

fn random_uuid() -> BoxedStrategy<Bytes> {
    any::<u128>()
        .prop_map(|n| Bytes::text(&Uuid::from_u128(n).to_string()))
        .boxed()
}

/// Not an id, or the id of nothing.
fn bad_id() -> BoxedStrategy<Bytes> {
    prop_oneof![
        unicode(12).prop_map(|text| Bytes::text(&format!("x{text}"))),
        random_uuid(),
    ]
    .boxed()
}

/// Values no check-in accepts.
fn bad_value() -> BoxedStrategy<Bytes> {
    prop_oneof![
        select(vec![
            "",
            " ",
            "abc",
            "NaN",
            "nan",
            "inf",
            "-inf",
            "Infinity",
            "1e999",
            "１２",
            "٣",
            "1,2,3",
            "1.234,5",
            "12,3456",
            "1.234",
            "0.001",
            "10000000000000",
            "-10000000000000",
            "--1",
            "1..2",
            "0x10",
            "$",
            "%",
        ])
        .prop_map(Bytes::text),
        (unicode(6), unicode(6)).prop_map(|(a, b)| Bytes::text(&format!("{a}q{b}"))),
    ]
    .boxed()
}

fn bad_confidence() -> BoxedStrategy<Bytes> {
    select(vec![
        "",
        " ",
        "3",
        "7",
        "-1",
        "purple",
        "2.0",
        "1e999",
        "NaN",
        "１",
        "Red!",
        "99999999999",
    ])
    .prop_map(Bytes::text)
    .boxed()
}

/// Over the 500 characters of a note, or with a control character.
fn bad_note() -> BoxedStrategy<Bytes> {
    prop_oneof![
        (501usize..=20_000).prop_map(|chars| Bytes::text(&"n".repeat(chars))),
        (
            unicode(8),
            select(vec![
                '\u{0}', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}'
            ]),
            unicode(8),
        )
            .prop_map(|(a, control, b)| Bytes::text(&format!("n{a}{control}{b}n"))),
    ]
    .boxed()
}

fn bad_date() -> BoxedStrategy<Bytes> {
    select(vec![
        "2025-13-01",
        "2025-02-30",
        "yesterday",
        "01/02/2025",
        "２０２５-０１-１５",
        "2025-01-15T10:00",
        "1999-01-01",
        "2024-12-31",
        "2099-01-01",
        "2025-01-15x",
    ])
    .prop_map(Bytes::text)
    .boxed()
}

fn bad_name() -> BoxedStrategy<Bytes> {
    prop_oneof![
        select(vec!["", "   ", "\t"]).prop_map(Bytes::text),
        (121usize..=20_000).prop_map(|chars| Bytes::text(&"m".repeat(chars))),
        controls().prop_map(|text| Bytes::text(&format!("n{}n", text.lossy()))),
    ]
    .boxed()
}

fn bad_email() -> BoxedStrategy<Bytes> {
    select(vec![
        "",
        "no-at-sign",
        "@airline.com",
        "a@b",
        "a b@airline.com",
        "a@.com",
        "a@com.",
        "a\u{0}b@airline.com",
    ])
    .prop_map(Bytes::text)
    .boxed()
}

/// Quarter labels that are surely refused: empty, too long, bad characters.
fn bad_label() -> BoxedStrategy<Bytes> {
    prop_oneof![
        select(vec![
            "",
            "   ",
            "2025/Q2",
            "a\u{7}b",
            "QQQQQQQQQQQQQQQQQQQQQ"
        ])
        .prop_map(Bytes::text),
        controls(),
    ]
    .boxed()
}

/// Neither yes nor no.
fn bad_flag() -> BoxedStrategy<Bytes> {
    select(vec!["", "maybe", "2", "yes please", "ja"])
        .prop_map(Bytes::text)
        .boxed()
}

fn bad_role() -> BoxedStrategy<Bytes> {
    prop_oneof![
        select(vec!["", "owner", "superuser", "adm in", "root", "１"]).prop_map(Bytes::text),
        unicode(8).prop_map(|text| Bytes::text(&format!("z{text}"))),
    ]
    .boxed()
}

/// A field of a server function: what may be sent, and, for the writes
/// that must always fail, a value that surely fails.
struct Field {
    name: &'static str,
    plausible: BoxedStrategy<Bytes>,
    invalid: Option<BoxedStrategy<Bytes>>,
}

fn field(name: &'static str, plausible: BoxedStrategy<Bytes>) -> Field {
    Field {
        name,
        plausible,
        invalid: None,
    }
}

fn write_field(
    name: &'static str,
    plausible: BoxedStrategy<Bytes>,
    invalid: BoxedStrategy<Bytes>,
) -> Field {
    Field {
        name,
        plausible,
        invalid: Some(invalid),
    }
}

/// The fields each server function takes.
fn fields_of(endpoint: Endpoint, ids: &Ids) -> Vec<Field> {
    let key_results = plausible(ids.key_results.clone());
    match endpoint {
        Endpoint::CheckIn => vec![
            write_field("key_result_id", key_results, bad_id()),
            write_field(
                "value",
                plausible(strings(&[
                    "3.5",
                    "1",
                    "-0",
                    "3,5",
                    "2,84",
                    "9,100,000",
                    "$13,400,000",
                    "14.8 pp",
                    "3.1%",
                ])),
                bad_value(),
            ),
            write_field(
                "confidence",
                plausible(strings(&["0", "1", "2", "Red", "amber", "GREEN"])),
                bad_confidence(),
            ),
            write_field(
                "note",
                plausible(strings(&["", "ok", SCRIPT, SQL, "line 1\nline 2"])),
                bad_note(),
            ),
            write_field(
                "date",
                plausible(strings(&["", "2025-03-01", "2025-01-15"])),
                bad_date(),
            ),
        ],
        Endpoint::SignIn => vec![
            field(
                "email",
                plausible(strings(&[
                    EMILY,
                    "mike.johnson@airline.com",
                    "nobody@airline.com",
                    "EMILY.DAVIS@AIRLINE.COM",
                ])),
            ),
            // Never the demo password: no sign-in may succeed.
            field(
                "password",
                plausible(strings(&["wrong-password", "runway-dem0", "x"]))
                    .prop_filter("never the demo password", |password| {
                        !password
                            .0
                            .windows(DEMO_PASSWORD.len())
                            .any(|window| window.eq_ignore_ascii_case(DEMO_PASSWORD.as_bytes()))
                    })
                    .boxed(),
            ),
            field(
                "next",
                plausible(strings(&["/", "/kr/x", "//evil.example"])),
            ),
        ],
        Endpoint::SignOut | Endpoint::SignOutEverywhere | Endpoint::AdminPeople => vec![],
        Endpoint::Viewer
        | Endpoint::Health
        | Endpoint::Tokens
        | Endpoint::ApiReference
        | Endpoint::ImportHistory => vec![],
        // Planning. No quarter, objective or upload id is ever a real one, the
        // labels and dates clash with the seeded quarter, and every other
        // write has a field that surely fails: none can succeed.
        Endpoint::QuartersAdmin | Endpoint::TeamsAdmin => vec![],
        Endpoint::SaveQuarter => vec![
            write_field(
                "label",
                plausible(strings(&["2025-Q1", "2025-q1"])),
                bad_label(),
            ),
            write_field(
                "start_at",
                plausible(strings(&["2025-01-01", "2025-02-01"])),
                bad_date(),
            ),
            write_field(
                "end_at",
                plausible(strings(&["2025-03-31", "2025-06-30"])),
                bad_date(),
            ),
        ],
        Endpoint::ArchiveQuarter => vec![
            write_field("id", plausible(ids.people.clone()), bad_id()),
            write_field(
                "archived",
                plausible(strings(&["true", "false"])),
                bad_flag(),
            ),
        ],
        Endpoint::CreateTeam => vec![write_field(
            "name",
            plausible(strings(&["Partnerships", SCRIPT])),
            bad_name(),
        )],
        Endpoint::UpdateTeam => vec![
            write_field("id", plausible(ids.people.clone()), bad_id()),
            write_field("name", plausible(strings(&["Renamed", SQL])), bad_name()),
            write_field(
                "archived",
                plausible(strings(&["true", "false"])),
                bad_flag(),
            ),
        ],
        Endpoint::ObjectiveEditor => vec![
            field("id", plausible(ids.people.clone())),
            field("quarter", plausible(strings(&["2025-Q1", "1999-Q4"]))),
        ],
        Endpoint::SaveObjective => vec![
            write_field("title", plausible(strings(&["Win", SCRIPT])), bad_name()),
            write_field("team_id", plausible(ids.teams.clone()), bad_id()),
            write_field("owner_id", plausible(ids.people.clone()), bad_id()),
            write_field("quarter_id", plausible(ids.people.clone()), bad_id()),
        ],
        Endpoint::DeleteObjective | Endpoint::DeleteKeyResult => vec![
            write_field("id", plausible(ids.people.clone()), bad_id()),
            write_field(
                "check_ins",
                plausible(strings(&["0", "3", "11"])),
                bad_value(),
            ),
        ],
        Endpoint::KeyResultEditor => vec![
            field("id", key_results.clone()),
            field("objective", plausible(ids.people.clone())),
        ],
        Endpoint::SaveKeyResult => vec![
            write_field("objective_id", plausible(ids.people.clone()), bad_id()),
            write_field("title", plausible(strings(&["Grow", SQL])), bad_name()),
            write_field("owner_id", plausible(ids.people.clone()), bad_id()),
            write_field(
                "unit",
                plausible(strings(&["%", "$", "#", "pp"])),
                bad_role(),
            ),
            write_field(
                "start_value",
                plausible(strings(&["1", "2,5"])),
                bad_value(),
            ),
            write_field(
                "target_value",
                plausible(strings(&["5", "9,100,000"])),
                bad_value(),
            ),
        ],
        Endpoint::RollOverPlan | Endpoint::Review => {
            vec![field(
                "label",
                plausible(strings(&["2025-Q1", "1999-Q4", ""])),
            )]
        }
        Endpoint::RollOver => vec![
            write_field("label", plausible(strings(&["2025-Q1"])), bad_label()),
            write_field("objective_ids[0]", plausible(ids.people.clone()), bad_id()),
            field("skip_reached", plausible(strings(&["on", ""]))),
        ],
        Endpoint::SaveReviewNotes => vec![
            write_field("quarter_id", plausible(ids.people.clone()), bad_id()),
            write_field(
                "notes",
                plausible(strings(&["Won:\n- APAC", SCRIPT])),
                bad_note(),
            ),
        ],
        Endpoint::UpdatePerson => vec![
            write_field("person_id", plausible(ids.people.clone()), bad_id()),
            write_field(
                "name",
                plausible(strings(&["Ana Lima", SCRIPT])),
                bad_name(),
            ),
            write_field(
                "email",
                plausible(strings(&["new.person@airline.com"])),
                bad_email(),
            ),
            write_field("team_id", plausible(ids.teams.clone()), bad_id()),
            write_field(
                "role",
                plausible(strings(&["admin", "lead", "member"])),
                bad_role(),
            ),
        ],
        Endpoint::SetPersonActive => vec![
            write_field("person_id", plausible(ids.people.clone()), bad_id()),
            write_field("active", plausible(strings(&["true", "false"])), bad_flag()),
        ],
        // No upload exists: every id is unknown or not an id.
        Endpoint::ImportPreview => vec![field("id", plausible(ids.people.clone()))],
        Endpoint::CommitImport => vec![write_field("id", plausible(ids.people.clone()), bad_id())],
        Endpoint::CreateToken => vec![
            write_field(
                "name",
                plausible(strings(&["CRM sync", SCRIPT, SQL])),
                bad_name(),
            ),
            write_field(
                "expires_in_days",
                plausible(strings(&["30", "90", "365", "never"])),
                select(vec!["", "7", "-30", "forever", "36500", "９０"])
                    .prop_map(Bytes::text)
                    .boxed(),
            ),
            // The right one, or none: wrong ones would soon lock the
            // account.
            write_field(
                "password",
                Just(Bytes::text(DEMO_PASSWORD)).boxed(),
                Just(Bytes::text("")).boxed(),
            ),
        ],
        // No token exists: every id is unknown or not an id.
        Endpoint::RevokeToken => vec![write_field("id", plausible(ids.people.clone()), bad_id())],
        Endpoint::Invite => vec![
            write_field(
                "name",
                plausible(strings(&["Ana Lima", SCRIPT, SQL])),
                bad_name(),
            ),
            write_field(
                "email",
                plausible(strings(&["new.person@airline.com", "x@y.example"])),
                bad_email(),
            ),
            write_field("team_id", plausible(ids.teams.clone()), bad_id()),
            write_field(
                "role",
                plausible(strings(&["admin", "lead", "member", "Member"])),
                bad_role(),
            ),
        ],
        Endpoint::ResetLink => vec![write_field(
            "person_id",
            plausible(ids.people.clone()),
            bad_id(),
        )],
        // No link exists, and none can be made: every token is unknown.
        Endpoint::AcceptInvite | Endpoint::ResetPassword => vec![
            field("token", plausible(strings(&["", "abc", &"A".repeat(43)]))),
            field(
                "password",
                plausible(strings(&["a long enough password", "short"])),
            ),
        ],
        Endpoint::Dashboard => vec![
            field("quarter", plausible(strings(&["2025-Q1", "", "2030-Q4"]))),
            field("team", plausible(ids.teams.clone())),
            field("owner", plausible(ids.people.clone())),
            field("at_risk", plausible(strings(&["1", "true", "on", "0"]))),
            field("stale", plausible(strings(&["1", "true", "on", "0"]))),
        ],
        Endpoint::KeyResult => vec![
            field("id", key_results),
            field(
                "page",
                plausible(strings(&["0", "1", "2", "-1", "999999999999"])),
            ),
        ],
    }
}

/// Fields nothing expects, named so that no decoding turns them into a
/// known one.
fn extras() -> BoxedStrategy<Vec<(Bytes, Bytes)>> {
    prop_oneof![
        3 => Just(Vec::new()),
        1 => proptest::collection::vec(
            (
                prop_oneof![
                    "zz[a-z_\\[\\]]{0,8}".prop_map(|name| Bytes::text(&name)),
                    unicode(8).prop_map(|name| Bytes::text(&format!("zz{name}"))),
                ],
                any_value(),
            ),
            1..3,
        ),
    ]
    .boxed()
}

/// A random subset of `fields`, in which (for writes) one field is surely
/// invalid or missing, plus extras.
fn fields_strategy(fields: Vec<Field>) -> BoxedStrategy<Vec<(Bytes, Bytes)>> {
    let count = fields.len();
    let names: Vec<&'static str> = fields.iter().map(|field| field.name).collect();
    let must_fail = fields.iter().any(|field| field.invalid.is_some());
    let mut plausibles = Vec::new();
    let mut invalids = Vec::new();
    for field in fields {
        invalids.push(field.invalid.unwrap_or_else(|| field.plausible.clone()));
        plausibles.push(field.plausible);
    }
    (
        plausibles,
        invalids,
        proptest::collection::vec(proptest::bool::weighted(0.95), count),
        0..count.max(1),
        proptest::bool::weighted(0.2),
        extras(),
    )
        .prop_map(
            move |(plausibles, invalids, present, designated, omit, extras)| {
                let mut sent = Vec::new();
                for (index, name) in names.iter().enumerate() {
                    if must_fail && index == designated {
                        if !omit {
                            sent.push((Bytes::text(name), invalids[index].clone()));
                        }
                    } else if present[index] {
                        sent.push((Bytes::text(name), plausibles[index].clone()));
                    }
                }
                sent.extend(extras);
                sent
            },
        )
        .boxed()
}

/// A path segment, percent-encoded.
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any_value().prop_map(|value| percent_encode(&value.0)),
        1 => select(
            vec![
                "..", ".", "", "api", "kr", "pkg", "admin", "favicon.svg", "x.js", "%2e%2e",
                "%2F", "~", "%00", "%FF",
            ]
        )
        .prop_map(str::to_owned),
    ]
    .boxed()
}

fn page_target(ids: &Ids) -> BoxedStrategy<Target> {
    let key_results = ids.key_results.clone();
    let page = |page: Page, path: &str| Just(Target::Page(page, Path(path.to_owned()))).boxed();
    prop_oneof![
        page(Page::Dashboard, "/"),
        segment().prop_map(|quarter| Target::Page(
            Page::Dashboard,
            Path(format!("/?quarter={quarter}"))
        )),
        prop_oneof![
            select(key_results.clone()),
            random_uuid().prop_map(|id| id.lossy()),
            segment(),
        ]
        .prop_map(|id| Target::Page(Page::KeyResult, Path(format!("/kr/{id}")))),
        (select(key_results), segment()).prop_map(|(id, page)| Target::Page(
            Page::KeyResult,
            Path(format!("/kr/{id}?page={page}"))
        )),
        page(Page::AdminPeople, "/admin/people"),
        page(Page::SignIn, "/sign-in"),
        segment()
            .prop_map(|next| Target::Page(Page::SignIn, Path(format!("/sign-in?next={next}")))),
        segment().prop_map(|token| Target::Page(Page::Invite, Path(format!("/invite/{token}")))),
        segment().prop_map(|token| Target::Page(Page::Reset, Path(format!("/reset/{token}")))),
        page(Page::NoTeam, "/no-team"),
        proptest::collection::vec(segment(), 0..5).prop_map(|segments| Target::Page(
            Page::Elsewhere,
            Path(format!("/{}", segments.join("/")))
        )),
    ]
    .boxed()
}

const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::HEAD,
    Method::OPTIONS,
];

fn any_method() -> BoxedStrategy<Method> {
    select(METHODS.to_vec()).boxed()
}

const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/x-www-form-urlencoded; charset=latin1",
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "multipart/form-data; boundary=b",
    "application/cbor",
    "application/octet-stream",
    "",
    "*/*",
    "garbage",
    "application/x-www-form-urlencoded, application/json",
];

const ACCEPTS: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    Some("*/*"),
    Some("text/html"),
    Some("application/cbor"),
    Some("x"),
];

fn case_strategy(ids: Arc<Ids>) -> BoxedStrategy<Case> {
    // Every server function, the writes more often.
    let endpoint = select(
        Endpoint::ALL
            .iter()
            .flat_map(|endpoint| {
                let weight = match endpoint {
                    Endpoint::CheckIn => 6,
                    Endpoint::Invite | Endpoint::SignIn => 2,
                    _ => 1,
                };
                std::iter::repeat_n(*endpoint, weight)
            })
            .collect::<Vec<_>>(),
    );
    let api_ids = ids.clone();
    let api = endpoint
        .prop_flat_map(move |endpoint| {
            (
                Just(endpoint),
                fields_strategy(fields_of(endpoint, &api_ids)),
                prop_oneof![8 => Just(endpoint.method()), 1 => any_method()],
            )
        })
        .prop_map(|(endpoint, fields, method)| (Target::Api(endpoint), fields, method));
    let page = (
        page_target(&ids),
        proptest::collection::vec(
            (
                prop_oneof![
                    select(vec!["quarter", "team", "owner", "page", "next", "id"])
                        .prop_map(Bytes::text),
                    any_value(),
                ],
                any_value(),
            ),
            0..3,
        ),
        prop_oneof![6 => Just(Method::GET), 1 => any_method()],
    );
    let target = prop_oneof![3 => api.boxed(), 1 => page.boxed()];
    let encoding = select(vec![
        Encoding::Form,
        Encoding::Form,
        Encoding::Form,
        Encoding::Form,
        Encoding::Form,
        Encoding::Form,
        Encoding::Raw,
        Encoding::Raw,
        Encoding::Json,
        Encoding::JsonBare,
        Encoding::Multipart,
        Encoding::Garbage,
        Encoding::Empty,
    ]);
    let garbage = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256).prop_map(Bytes),
        any_value(),
    ];
    let content_type = prop_oneof![
        6 => Just(ContentType::Fitting),
        1 => Just(ContentType::None),
        2 => select(CONTENT_TYPES).prop_map(|text| ContentType::Other(Bytes::text(text))),
        1 => any_value().prop_map(ContentType::Other),
    ];
    let cookie = prop_oneof![
        6 => Just(Cookie::Admin),
        2 => Just(Cookie::None),
        1 => any_value().prop_map(Cookie::AdminAndJunk),
        1 => any_value().prop_map(Cookie::Forged),
    ];
    let source = prop_oneof![
        3 => Just(Source::None),
        3 => Just(Source::SameOrigin),
        3 => any_value().prop_map(Source::SameSiteReferer),
        1 => any_value().prop_map(Source::RawReferer),
        1 => Just(Source::CrossSite),
        1 => select(vec!["same-origin", "same-site", "cross-site", "none", "x"])
            .prop_map(Source::FetchSite),
    ];
    (
        target,
        encoding,
        garbage,
        content_type,
        select(ACCEPTS),
        cookie,
        source,
        0..CLIENTS,
    )
        .prop_map(
            |(
                (target, fields, method),
                encoding,
                garbage,
                content_type,
                accept,
                cookie,
                source,
                client,
            )| {
                let cookie = match (&target, cookie) {
                    // Signing out with a valid session is a valid request.
                    (Target::Api(endpoint), Cookie::Admin | Cookie::AdminAndJunk(_))
                        if endpoint.signs_out() =>
                    {
                        Cookie::Forged(Bytes::text("not-a-session"))
                    }
                    (_, cookie) => cookie,
                };
                Case {
                    target,
                    method,
                    fields,
                    encoding,
                    garbage,
                    content_type,
                    accept,
                    cookie,
                    source,
                    client,
                }
            },
        )
        .boxed()
}

// ---------------------------------------------------------------------------
// Sending a case.
// ---------------------------------------------------------------------------

/// Clients, each sending from an address of its own on the loopback net.
const CLIENTS: usize = 48;

fn clients() -> Vec<reqwest::Client> {
    (0..CLIENTS)
        .map(|index| {
            reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .timeout(Duration::from_secs(60))
                .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 7, index as u8 + 1)))
                .build()
                .expect("an HTTP client")
        })
        .collect()
}

/// Percent-encodes every byte but the unreserved ones.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Leaves what a URL may hold as it is, percent-encodes the rest and the
/// form syntax.
fn raw_in_url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~!$'()*,;:@/?".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The bytes as they are, but for the form syntax.
fn raw_in_body(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &byte in bytes {
        if b"&=+%#".contains(&byte) {
            out.extend(format!("%{byte:02X}").bytes());
        } else {
            out.push(byte);
        }
    }
    out
}

fn query_of(fields: &[(Bytes, Bytes)], raw: bool) -> String {
    let encode = |bytes: &Bytes| {
        if raw {
            raw_in_url(&bytes.0)
        } else {
            percent_encode(&bytes.0)
        }
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn body_of(case: &Case) -> Vec<u8> {
    let fields = &case.fields;
    match case.encoding {
        Encoding::Form => query_of(fields, false).into_bytes(),
        Encoding::Raw => {
            let pairs: Vec<Vec<u8>> = fields
                .iter()
                .map(|(name, value)| {
                    let mut pair = raw_in_body(&name.0);
                    pair.push(b'=');
                    pair.extend(raw_in_body(&value.0));
                    pair
                })
                .collect();
            pairs.join(&b'&')
        }
        Encoding::Json => {
            let object: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(name, value)| (name.lossy(), Value::String(value.lossy())))
                .collect();
            serde_json::to_vec(&object).expect("JSON")
        }
        Encoding::JsonBare => {
            let mut body = b"{".to_vec();
            for (index, (name, value)) in fields.iter().enumerate() {
                if index > 0 {
                    body.push(b',');
                }
                body.extend(serde_json::to_vec(&name.lossy()).expect("JSON"));
                body.push(b':');
                body.extend(&value.0);
            }
            body.push(b'}');
            body
        }
        Encoding::Multipart => {
            let mut body = Vec::new();
            for (name, value) in fields {
                body.extend(b"--b\r\nContent-Disposition: form-data; name=\"");
                body.extend(&name.0);
                body.extend(b"\"\r\n\r\n");
                body.extend(&value.0);
                body.extend(b"\r\n");
            }
            body.extend(b"--b--\r\n");
            body
        }
        Encoding::Garbage => case.garbage.0.clone(),
        Encoding::Empty => Vec::new(),
    }
}

/// A header value from arbitrary bytes, percent-encoding what a header may
/// not hold.
fn header_value(bytes: &[u8]) -> HeaderValue {
    HeaderValue::from_bytes(bytes).unwrap_or_else(|_| {
        HeaderValue::from_str(&percent_encode(bytes)).expect("an ASCII header value")
    })
}

struct Fuzz {
    server: TestServer,
    db: DatabaseConnection,
    clients: Vec<reqwest::Client>,
    admin: String,
    last: Mutex<Rows>,
    stats: Mutex<Stats>,
}

#[derive(Debug, Default)]
struct Stats {
    sent: usize,
    statuses: BTreeMap<u16, usize>,
    endpoints: BTreeMap<Endpoint, usize>,
    /// The statuses of each server function's answers.
    answers: BTreeMap<Endpoint, BTreeMap<u16, usize>>,
    pages: BTreeMap<Page, usize>,
    not_utf8: usize,
    over_limit: usize,
}

impl Fuzz {
    fn request(&self, case: &Case) -> reqwest::RequestBuilder {
        let path = match &case.target {
            Target::Api(endpoint) => endpoint.path().to_owned(),
            Target::Page(_, path) => path.0.clone(),
        };
        // What a GET or HEAD sends goes into the query, anything else into
        // the body.
        let in_query = matches!(case.method, Method::GET | Method::HEAD);
        let mut url = format!("http://{}{path}", self.server.addr);
        if in_query && !case.fields.is_empty() {
            let raw = matches!(case.encoding, Encoding::Raw);
            url.push(if path.contains('?') { '&' } else { '?' });
            url.push_str(&query_of(&case.fields, raw));
        }
        let url = bounded(url);
        let url = reqwest::Url::parse(&url).unwrap_or_else(|error| panic!("{url}: {error}"));
        let mut request = self.clients[case.client].request(case.method.clone(), url);
        if !in_query && !matches!(case.encoding, Encoding::Empty) {
            request = request.body(body_of(case));
        }
        let fitting = match case.encoding {
            Encoding::Form | Encoding::Raw | Encoding::Garbage | Encoding::Empty => {
                "application/x-www-form-urlencoded"
            }
            Encoding::Json | Encoding::JsonBare => "application/json",
            Encoding::Multipart => "multipart/form-data; boundary=b",
        };
        match &case.content_type {
            ContentType::Fitting => request = request.header(CONTENT_TYPE, fitting),
            ContentType::None => {}
            ContentType::Other(content_type) => {
                request = request.header(CONTENT_TYPE, header_value(&content_type.0))
            }
        }
        if let Some(accept) = case.accept {
            request = request.header(ACCEPT, accept);
        }
        match &case.cookie {
            Cookie::None => {}
            Cookie::Admin => request = request.header(COOKIE, &self.admin),
            Cookie::AdminAndJunk(junk) => {
                let mut value = format!("{}; ", self.admin).into_bytes();
                value.extend(&junk.0);
                request = request.header(COOKIE, header_value(&value));
            }
            Cookie::Forged(token) => {
                let mut value = b"runway_session=".to_vec();
                value.extend(&token.0);
                request = request.header(COOKIE, header_value(&value));
            }
        }
        let site = format!("http://{}", self.server.addr);
        match &case.source {
            Source::None => {}
            Source::SameOrigin => request = request.header(ORIGIN, &site),
            Source::SameSiteReferer(path) => {
                let value = format!("{site}/{}", raw_in_url(&path.0));
                request = request.header(REFERER, header_value(value.as_bytes()));
            }
            Source::RawReferer(path) => {
                let mut value = format!("{site}/").into_bytes();
                value.extend(&path.0);
                request = request.header(REFERER, header_value(&value));
            }
            Source::CrossSite => request = request.header(ORIGIN, "https://evil.example"),
            Source::FetchSite(site) => {
                request = request.header(HeaderName::from_static("sec-fetch-site"), *site)
            }
        }
        request
    }

    /// Sends one case: no 5xx, no row changed.
    async fn check(&self, case: Case) -> Result<(), TestCaseError> {
        let sent_body = body_of(&case);
        {
            let mut stats = self.stats.lock().expect("stats");
            stats.sent += 1;
            match &case.target {
                Target::Api(endpoint) => *stats.endpoints.entry(*endpoint).or_default() += 1,
                Target::Page(page, _) => *stats.pages.entry(*page).or_default() += 1,
            }
            if case.fields.iter().any(|(name, value)| {
                std::str::from_utf8(&name.0).is_err() || std::str::from_utf8(&value.0).is_err()
            }) {
                stats.not_utf8 += 1;
            }
            if sent_body.len() > 16 * 1024 {
                stats.over_limit += 1;
            }
        }
        let response = self.request(&case).send().await.map_err(|error| {
            let error: String = format!("{error:?}").chars().take(400).collect();
            TestCaseError::fail(format!("no answer: {error}"))
        })?;
        let status = response.status();
        let body = response.bytes().await.unwrap_or_default();
        {
            let mut stats = self.stats.lock().expect("stats");
            *stats.statuses.entry(status.as_u16()).or_default() += 1;
            if let Target::Api(endpoint) = &case.target {
                *stats
                    .answers
                    .entry(*endpoint)
                    .or_default()
                    .entry(status.as_u16())
                    .or_default() += 1;
            }
        }
        if status.is_server_error() {
            let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
            return Err(TestCaseError::fail(format!("{status}: {shown}")));
        }
        let after = rows(&self.db).await;
        let mut last = self.last.lock().expect("rows");
        if *last != after {
            let before = std::mem::replace(&mut *last, after);
            return Err(TestCaseError::fail(format!(
                "{status} but rows changed: {}",
                differences(&before, &last)
            )));
        }
        Ok(())
    }
}

async fn seed_ids(db: &DatabaseConnection) -> Ids {
    Ids {
        key_results: key_result::Entity::find()
            .all(db)
            .await
            .expect("key results")
            .into_iter()
            .map(|kr| kr.id.to_string())
            .collect(),
        teams: entity::team::Entity::find()
            .all(db)
            .await
            .expect("teams")
            .into_iter()
            .map(|team| team.id.to_string())
            .collect(),
        people: okr_user::Entity::find()
            .all(db)
            .await
            .expect("people")
            .into_iter()
            .map(|person| person.id.to_string())
            .collect(),
    }
}

// The generated requests, signed in as the admin (so roles hide nothing) or
// not: every one must answer below 500 and leave every row as it was. That
// holds for valid-looking requests too, because every write the generator
// sends is sure to fail: a check-in, an invitation or a reset link always
// has one field missing or surely invalid, no sign-in ever carries the demo
// password, the signing-out functions never get a valid session, and no
// one-time link exists to be redeemed. Rows are compared after each request,
// so a failure names the request that changed them.
migration::backend_test!(
    generated_malformed_requests_never_get_a_5xx_nor_change_a_row,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let (server, db) = start(&test_db).await;
        let admin = server.sign_in_demo(EMILY).await;
        let ids = Arc::new(seed_ids(&db).await);
        let baseline = rows(&db).await;
        let fuzz = Fuzz {
            server,
            db: db.clone(),
            clients: clients(),
            admin: admin.clone(),
            last: Mutex::new(baseline.clone()),
            stats: Mutex::new(Stats::default()),
        };

        let started = Instant::now();
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            max_shrink_iters: 256,
            ..Config::default()
        });
        let strategy = case_strategy(ids);
        let handle = tokio::runtime::Handle::current();
        let outcome = tokio::task::block_in_place(|| {
            runner
                .run(&strategy, |case| handle.block_on(fuzz.check(case)))
                .map_err(|error| error.to_string())
        });
        let stats = std::mem::take(&mut *fuzz.stats.lock().expect("stats"));
        if let Err(error) = outcome {
            panic!(
                "{backend:?}: {error}\nafter {} requests: {stats:?}",
                stats.sent
            );
        }

        let n = stats.sent;
        let statuses: Vec<String> = stats
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}×{count}"))
            .collect();
        report(&format!(
            "robustness ({backend:?}): {n} generated requests, 0 5xx, 0 rows changed \
             ({} to server functions, {} to pages; {} with non-UTF-8 fields, {} bodies over 16 KiB; \
             statuses {}; {:.1} s)",
            stats.endpoints.values().sum::<usize>(),
            stats.pages.values().sum::<usize>(),
            stats.not_utf8,
            stats.over_limit,
            statuses.join(" "),
            started.elapsed().as_secs_f64(),
        ));
        let answers: Vec<String> = stats
            .answers
            .iter()
            .map(|(endpoint, statuses)| {
                let statuses: Vec<String> = statuses
                    .iter()
                    .map(|(status, count)| format!("{status}×{count}"))
                    .collect();
                format!("{} {}", endpoint.path(), statuses.join(" "))
            })
            .collect();
        report(&format!("  by server function: {}", answers.join("; ")));
        assert!(n >= 2_000, "only {n} generated requests");
        for endpoint in Endpoint::ALL {
            let sent = stats.endpoints.get(&endpoint).copied().unwrap_or_default();
            assert!(sent >= 10, "only {sent} requests to {}", endpoint.path());
        }
        for page in [
            Page::Dashboard,
            Page::KeyResult,
            Page::AdminPeople,
            Page::SignIn,
            Page::Invite,
            Page::Reset,
            Page::NoTeam,
            Page::Elsewhere,
        ] {
            let sent = stats.pages.get(&page).copied().unwrap_or_default();
            assert!(sent >= 5, "only {sent} requests to {page:?} pages");
        }
        assert!(
            stats.statuses.keys().any(|status| *status == 200),
            "some requests must succeed, or the generator tests nothing: {statuses:?}"
        );
        assert!(
            stats.statuses.keys().any(|status| *status == 422),
            "some requests must reach validation: {statuses:?}"
        );
        assert_eq!(rows(&db).await, baseline, "{backend:?}: rows changed");

        // The admin's session survived it all.
        let response = fuzz.server.get_as("/api/viewer", &admin).await;
        let (status, body) = status_and_json(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["email"], EMILY, "{body}");

        drop(fuzz);
        db.close().await.ok();
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// The repros of issue 11.
// ---------------------------------------------------------------------------

/// `POST path` with a raw body and content type, as a fetch, signed in.
async fn post_raw(
    server: &TestServer,
    path: &str,
    cookie: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = common::no_redirects()
        .post(server.url(path))
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, content_type)
        .header(COOKIE, cookie)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|error| panic!("POST {path}: {error}"));
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

const FORM: &str = "application/x-www-form-urlencoded";

/// The form body of a check-in, percent-encoded.
fn check_in_body(key_result_id: Uuid, value: &str, note: &str) -> Vec<u8> {
    format!(
        "key_result_id={key_result_id}&value={}&confidence=1&note={}&date=",
        percent_encode(value.as_bytes()),
        percent_encode(note.as_bytes())
    )
    .into_bytes()
}

/// Sends raw bytes and returns the status of the final answer (1xx
/// skipped), writing the body while reading, so an answer sent before the
/// body is read still counts.
async fn raw_status(addr: SocketAddr, head: String, body: Vec<u8>) -> u16 {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_ok() {
            for chunk in body.chunks(64 * 1024) {
                if writer.write_all(chunk).await.is_err() {
                    break;
                }
            }
        }
        writer
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") {
                let block = String::from_utf8_lossy(&answer[..end]).into_owned();
                let status: u16 = block
                    .split_whitespace()
                    .nth(1)
                    .and_then(|status| status.parse().ok())
                    .unwrap_or_else(|| panic!("not an HTTP answer: {block:?}"));
                if (100..200).contains(&status) {
                    answer.drain(..end + 4);
                    continue;
                }
                return Some(status);
            }
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => answer.extend(&buffer[..n]),
            }
        }
    })
    .await
    .expect("an answer within 60 s");
    writing.abort();
    status.unwrap_or_else(|| {
        panic!(
            "the connection closed without an answer: {:?}",
            String::from_utf8_lossy(&answer)
        )
    })
}

async fn stored_value(db: &DatabaseConnection, body: &Value) -> check_in::Model {
    let id = body["id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_else(|| panic!("no id in the answer: {body}"));
    check_in::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("query check-ins")
        .expect("the saved check-in")
}

/// Every broken expectation of a test, so that one run reports them all.
#[derive(Debug, Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check(&mut self, ok: bool, problem: impl FnOnce() -> String) -> bool {
        if !ok {
            self.0.push(problem());
        }
        ok
    }

    /// A 400 with the `Malformed` error.
    fn malformed(&mut self, what: &str, status: StatusCode, body: &Value) {
        self.check(
            status == StatusCode::BAD_REQUEST
                && body["Malformed"].is_object()
                && body["Malformed"]["message"].is_string(),
            || format!("{what}: expected 400 Malformed, got {status} {body}"),
        );
    }

    /// A 422 naming `field`.
    fn invalid(&mut self, what: &str, status: StatusCode, body: &Value, field: &str) -> bool {
        self.check(
            status == StatusCode::UNPROCESSABLE_ENTITY && body["Validation"]["field"] == field,
            || format!("{what}: expected 422 naming {field:?}, got {status} {body}"),
        )
    }

    fn finish(self, backend: Backend) {
        assert!(
            self.0.is_empty(),
            "{backend:?}: {} broken:\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

migration::backend_test!(
    the_repros_of_issue_11_get_4xx_and_change_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let (server, db) = start(&test_db).await;
        let admin = server.sign_in_demo(EMILY).await;
        let kr = key_result_titled(&db, CONVERSION).await;
        let team = team_named(&db, "Corporate Sales").await;
        let before = rows(&db).await;
        let mut problems = Problems::default();
        let post = |path: &'static str, body: Vec<u8>| {
            let (server, admin) = (&server, &admin);
            async move { post_raw(server, path, admin, FORM, body).await }
        };

        // Only `value=1`: the other four fields are missing.
        let (status, body) = post("/api/check_in", b"value=1".to_vec()).await;
        problems.malformed("value=1 alone", status, &body);
        let field = body["Malformed"]["field"].as_str().unwrap_or_default();
        problems.check(
            ["", "key_result_id", "confidence", "note", "date"].contains(&field),
            || format!("value=1 alone: names a field that is not missing: {body}"),
        );

        // A JSON body to a form endpoint.
        let json = serde_json::json!({
            "key_result_id": kr.id,
            "value": "3.5",
            "confidence": "1",
            "note": "",
            "date": "",
        });
        let (status, body) = post_raw(
            &server,
            "/api/check_in",
            &admin,
            "application/json",
            serde_json::to_vec(&json).expect("JSON"),
        )
        .await;
        problems.malformed("a JSON body", status, &body);

        // A body that is not UTF-8.
        let mut not_utf8 =
            format!("key_result_id={}&value=3.5&confidence=1&note=", kr.id).into_bytes();
        not_utf8.extend([0xFF, 0xFE, 0xC0]);
        not_utf8.extend(b"&date=");
        let (status, body) = post("/api/check_in", not_utf8).await;
        problems.malformed("a body that is not UTF-8", status, &body);

        // GET /api/key_result without its id.
        let response = server.get_as("/api/key_result", &admin).await;
        let (status, body) = status_and_json(response).await;
        problems.malformed("GET /api/key_result without id", status, &body);

        // A NUL in the note: 422 on both backends.
        let (status, body) = post(
            "/api/check_in",
            format!(
                "key_result_id={}&value=3.5&confidence=1&note=a%00b&date=",
                kr.id
            )
            .into_bytes(),
        )
        .await;
        problems.invalid("note=a%00b", status, &body, "note");

        // Other control characters in text fields; newline and tab are fine
        // (checked with the values below).
        for control in ["\u{1}", "\u{1b}", "\u{7f}", "\u{8}", "\u{b}"] {
            let (status, body) = post(
                "/api/check_in",
                check_in_body(kr.id, "3.5", &format!("a{control}b")),
            )
            .await;
            problems.invalid(&format!("a note with {control:?}"), status, &body, "note");
        }
        for (name, email, field) in [
            ("Ana\u{0}Lima", "ana.lima@airline.com", "name"),
            ("Ana Lima", "ana\u{0}lima@airline.com", "email"),
            ("Ana\u{1b}Lima", "ana.lima@airline.com", "name"),
        ] {
            let (status, body) = post(
                "/api/invite",
                format!(
                    "name={}&email={}&team_id={}&role=member",
                    percent_encode(name.as_bytes()),
                    percent_encode(email.as_bytes()),
                    team.id
                )
                .into_bytes(),
            )
            .await;
            problems.invalid(&format!("invite {name:?} {email:?}"), status, &body, field);
        }
        // Signing in with a control character in the email.
        for email in [
            "emily%00@airline.com",
            "emily.davis@airline.com%00",
            "em%1Bily@airline.com",
        ] {
            let (status, body) = post_raw(
                &server,
                "/api/sign_in",
                "runway_session=none",
                FORM,
                format!("email={email}&password=wrong-password").into_bytes(),
            )
            .await;
            problems.invalid(&format!("sign in as {email}"), status, &body, "email");
        }

        // Values no one can read the same way twice, and non-numbers.
        for value in [
            "1,2,3", "1.234,5", "12,3456", "NaN", "1e999", "inf", "１２", "-inf",
        ] {
            let (status, body) = post("/api/check_in", check_in_body(kr.id, value, "")).await;
            problems.invalid(&format!("value {value:?}"), status, &body, "value");
        }

        // Echoed input is cut to 40 characters.
        let long = "x".repeat(1_000);
        let echoes = |answer: &Value| {
            answer["Validation"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(&"x".repeat(41))
        };
        for (field, path, body) in [
            ("value", "/api/check_in", check_in_body(kr.id, &long, "")),
            (
                "confidence",
                "/api/check_in",
                format!(
                    "key_result_id={}&value=1&confidence={long}&note=&date=",
                    kr.id
                )
                .into_bytes(),
            ),
            (
                "date",
                "/api/check_in",
                format!(
                    "key_result_id={}&value=1&confidence=1&note=&date={long}",
                    kr.id
                )
                .into_bytes(),
            ),
            (
                "role",
                "/api/invite",
                format!(
                    "name=Ana&email=ana.lima@airline.com&team_id={}&role={long}",
                    team.id
                )
                .into_bytes(),
            ),
        ] {
            let (status, answer) = post(path, body).await;
            if problems.invalid(&format!("a long {field}"), status, &answer, field) {
                problems.check(!echoes(&answer), || {
                    format!(
                        "{field}: echoes more than 40 characters of the input: {}…",
                        answer.to_string().chars().take(120).collect::<String>()
                    )
                });
            }
        }

        // Bodies over 16 KiB: 413, with a length or chunked; 16 KiB exactly
        // is read (and refused for its note, which is too long).
        let limit = 16 * 1024;
        let head = format!("key_result_id={}&value=1&confidence=1&date=&note=", kr.id);
        let exactly = format!("{head}{}", "n".repeat(limit - head.len()));
        assert_eq!(exactly.len(), limit);
        let (status, body) = post("/api/check_in", exactly.clone().into_bytes()).await;
        problems.invalid("a body of 16 KiB", status, &body, "note");
        let (status, body) = post("/api/check_in", format!("{exactly}n").into_bytes()).await;
        problems.check(status == StatusCode::PAYLOAD_TOO_LARGE, || {
            format!("a body of 16 KiB + 1: expected 413, got {status} {body}")
        });

        let three_mb = {
            let mut body = check_in_body(kr.id, "1", "");
            body.extend(b"&zz=");
            body.resize(3 * 1024 * 1024, b'x');
            body
        };
        let with_length = |expect: bool| {
            format!(
                "POST /api/check_in HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
                 Content-Type: {FORM}\r\nCookie: {admin}\r\nContent-Length: {}\r\n{}\
                 Connection: close\r\n\r\n",
                server.addr,
                three_mb.len(),
                if expect {
                    "Expect: 100-continue\r\n"
                } else {
                    ""
                },
            )
        };
        let status = raw_status(server.addr, with_length(false), three_mb.clone()).await;
        problems.check(status == 413, || format!("a 3 MB body: {status}"));
        let status = raw_status(server.addr, with_length(true), three_mb.clone()).await;
        problems.check(status == 413, || {
            format!("a 3 MB body announced with Expect: 100-continue: {status}")
        });
        let chunked_head = format!(
            "POST /api/check_in HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
             Content-Type: {FORM}\r\nCookie: {admin}\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n",
            server.addr
        );
        let mut chunked = Vec::new();
        for chunk in three_mb.chunks(8 * 1024) {
            chunked.extend(format!("{:x}\r\n", chunk.len()).bytes());
            chunked.extend(chunk);
            chunked.extend(b"\r\n");
        }
        chunked.extend(b"0\r\n\r\n");
        let status = raw_status(server.addr, chunked_head, chunked).await;
        problems.check(status == 413, || format!("a chunked 3 MB body: {status}"));

        let after = rows(&db).await;
        problems.check(after == before, || {
            format!(
                "refused requests changed rows: {}",
                differences(&before, &after)
            )
        });

        // A decimal comma, thousands separators in valid groups, -0; a
        // newline and a tab in the note.
        let mut stored = 0;
        for (typed, expected) in [
            ("3,5", Decimal::new(35, 1)),
            ("2,84", Decimal::new(284, 2)),
            ("9,100,000", Decimal::from(9_100_000)),
            ("1,234.50", Decimal::new(12345, 1)),
            ("-0", Decimal::ZERO),
        ] {
            let (status, body) = post(
                "/api/check_in",
                check_in_body(kr.id, typed, "line 1\nline\t2"),
            )
            .await;
            if !problems.check(status == StatusCode::OK, || {
                format!("value {typed:?}: expected 200, got {status} {body}")
            }) {
                continue;
            }
            stored += 1;
            let saved = stored_value(&db, &body).await;
            problems.check(
                saved.value == expected
                    && !(saved.value.is_zero() && saved.value.is_sign_negative()),
                || format!("{typed:?} is stored as {}, not {expected}", saved.value),
            );
            problems.check(saved.note.as_deref() == Some("line 1\nline\t2"), || {
                format!("the note is stored as {:?}", saved.note)
            });
        }
        let count = check_in::Entity::find().count(&db).await.expect("count") as i64;
        let was = before
            .counts
            .iter()
            .find(|(table, _)| *table == "check_in")
            .map_or(0, |(_, count)| *count);
        problems.check(count == was + stored, || {
            format!("{stored} valid check-ins, but {} rows more", count - was)
        });

        problems.finish(backend);
        drop(server);
        db.close().await.ok();
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// Script and SQL text.
// ---------------------------------------------------------------------------

/// Text as it appears escaped in an HTML text node.
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn page(server: &TestServer, path: &str, cookie: &str) -> String {
    let response = server.get_as(path, cookie).await;
    let status = response.status();
    let html = response.text().await.expect("a page");
    assert_eq!(status, StatusCode::OK, "GET {path}: {html}");
    html
}

fn assert_inert(html: &str, path: &str) {
    assert!(
        !html.contains("<script>alert(1)"),
        "{path} holds a raw <script>alert(1): {}",
        html.find("<script>alert(1)")
            .map(|at| &html[at.saturating_sub(200)..(at + 100).min(html.len())])
            .unwrap_or_default()
    );
}

migration::backend_test!(
    script_and_sql_text_is_stored_literally_and_rendered_inert,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let (server, db) = start(&test_db).await;
        let admin = server.sign_in_demo(EMILY).await;
        let kr = key_result_titled(&db, APAC_REVENUE).await;

        for note in [SCRIPT, SQL] {
            let (status, body) = post_raw(
                &server,
                "/api/check_in",
                &admin,
                FORM,
                check_in_body(kr.id, "9.5", note),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{note:?}: {body}");
            let saved = stored_value(&db, &body).await;
            assert_eq!(saved.note.as_deref(), Some(note), "stored literally");
        }
        // The table the SQL names is still there, with both rows.
        let notes: Vec<Option<String>> = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(kr.id))
            .all(&db)
            .await
            .expect("check_in still exists")
            .into_iter()
            .map(|check_in| check_in.note)
            .collect();
        assert!(notes.contains(&Some(SQL.to_owned())), "{notes:?}");

        let path = format!("/kr/{}", kr.id);
        let html = page(&server, &path, &admin).await;
        assert!(
            html.contains(&html_text(SCRIPT)),
            "{path} shows the note escaped"
        );
        assert!(
            html.contains("drop table check_in; --"),
            "{path} shows the SQL note"
        );
        assert_inert(&html, &path);

        // Names of people, through an invitation.
        let team = team_named(&db, "Corporate Sales").await;
        for (name, email) in [
            (SCRIPT, "script.person@airline.com"),
            (SQL, "sql.person@airline.com"),
        ] {
            let (status, body) = post_raw(
                &server,
                "/api/invite",
                &admin,
                FORM,
                format!(
                    "name={}&email={email}&team_id={}&role=member",
                    percent_encode(name.as_bytes()),
                    team.id
                )
                .into_bytes(),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{name:?}: {body}");
            let person = common::person(&db, email).await;
            assert_eq!(person.name, name, "stored literally");
        }
        let html = page(&server, "/admin/people", &admin).await;
        assert!(
            html.contains(&html_text(SCRIPT)),
            "/admin/people shows the name escaped"
        );
        assert!(html.contains("drop table check_in; --"));
        assert_inert(&html, "/admin/people");

        for path in [
            "/".to_owned(),
            format!("/kr/{}", percent_encode(SCRIPT.as_bytes())),
        ] {
            let response = server.get_as(&path, &admin).await;
            let html = response.text().await.expect("a page");
            assert_inert(&html, &path);
        }
        let response = common::no_redirects()
            .get(server.url(&format!(
                "/sign-in?next={}",
                percent_encode(SCRIPT.as_bytes())
            )))
            .send()
            .await
            .expect("the sign-in page");
        let html = response.text().await.expect("a page");
        assert_inert(&html, "/sign-in?next=<script>");

        drop(server);
        db.close().await.ok();
        test_db.close().await.expect("drop the test database");
    }
);

// ---------------------------------------------------------------------------
// A burst of writes.
// ---------------------------------------------------------------------------

migration::backend_test!(
    two_hundred_concurrent_check_ins_all_succeed,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let (server, db) = start(&test_db).await;
        let admin = server.sign_in_demo(EMILY).await;
        let key_results: Vec<Uuid> = key_result::Entity::find()
            .order_by_asc(key_result::Column::Id)
            .all(&db)
            .await
            .expect("key results")
            .into_iter()
            .map(|kr| kr.id)
            .collect();
        assert_eq!(key_results.len(), 10);
        let before = check_in::Entity::find().count(&db).await.expect("count");

        let server = Arc::new(server);
        let started = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|index| {
                let server = server.clone();
                let admin = admin.clone();
                let kr = key_results[index % key_results.len()];
                tokio::spawn(async move {
                    let value = format!("{}.{:02}", index, index % 100);
                    let response = server
                        .post(
                            "/api/check_in",
                            Some(&admin),
                            &[
                                ("key_result_id", &kr.to_string()),
                                ("value", &value),
                                ("confidence", "1"),
                                ("note", &format!("burst {index}")),
                                ("date", ""),
                            ],
                        )
                        .await;
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    (index, status, body)
                })
            })
            .collect();
        let mut failures = Vec::new();
        for task in tasks {
            let (index, status, body) = task.await.expect("a request task");
            if status != StatusCode::OK {
                failures.push(format!("#{index}: {status} {body}"));
            }
        }
        let elapsed = started.elapsed();
        report(&format!(
            "write burst ({backend:?}): 200 concurrent check-ins, {} refused, {:.2} s",
            failures.len(),
            elapsed.as_secs_f64()
        ));
        assert!(
            failures.is_empty(),
            "{} refused: {failures:#?}",
            failures.len()
        );
        let after = check_in::Entity::find().count(&db).await.expect("count");
        assert_eq!(after, before + 200, "200 rows more");

        // Each key result's value is its latest check-in's.
        for kr in key_results {
            let current = key_result::Entity::find_by_id(kr)
                .one(&db)
                .await
                .expect("query")
                .expect("the key result");
            let latest = check_in::Entity::find()
                .filter(check_in::Column::KrId.eq(kr))
                .order_by_desc(check_in::Column::CreatedAt)
                .order_by_desc(check_in::Column::Id)
                .one(&db)
                .await
                .expect("query")
                .expect("a check-in");
            assert_eq!(current.current_value, latest.value, "{kr}");
        }

        drop(server);
        db.close().await.ok();
        test_db.close().await.expect("drop the test database");
    }
);
