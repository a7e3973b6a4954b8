//! The OKR CSV's parent columns over real HTTP, on SQLite and PostgreSQL:
//! a file that creates a company objective and aligns team objectives to it
//! (one to a key result), in any row order; its export naming the parents,
//! imported again (into the same database and into a fresh one) and
//! exported byte for byte; blank parent columns leaving an alignment as it
//! is; and each bad parent named by line and column with nothing written.

use crate::common;
use crate::transfer::{
    CORPORATE, DIRECT, DIRECT_REVENUE, OKR_HEADER, Q1, commit, counts, export, file, post_commit,
    preview, snapshot, upload,
};

use app::model::{ImportProblem, ImportState};
use common::{
    APAC_REVENUE, CONVERSION, DEMO_PASSWORD, EMILY, JAMES, LISA, MIKE, SARAH, TestServer, World,
};
use domain::Role;
use entity::{company_team, key_result, objective, objective_alignment, team};
use migration::testing::TestDb;
use reqwest::StatusCode;
use sea_orm::prelude::Uuid;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

const Q2: &str = "2025-Q2";
const COMPANY: &str = "Runway Airlines";
const COMPANY_GOAL: &str = "Be the airline people choose";
const COMPANY_REVENUE: &str = "Grow revenue by 20%";
const APAC_SALES: &str = "Expand Corporate Sales in APAC";

fn header() -> String {
    format!("{OKR_HEADER},current,parent_team,parent_objective,parent_key_result")
}

/// A team that stands for the company, as the teams page marks one.
async fn company_team(db: &DatabaseConnection) -> team::Model {
    let now = chrono::Utc::now().naive_utc();
    let company = team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(COMPANY.to_owned()),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .expect("a company team");
    company_team::ActiveModel {
        team_id: Set(company.id),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .expect("mark it the company's");
    company
}

async fn objective_titled(db: &DatabaseConnection, title: &str) -> objective::Model {
    objective::Entity::find()
        .filter(objective::Column::Title.eq(title))
        .one(db)
        .await
        .expect("read objectives")
        .unwrap_or_else(|| panic!("no objective {title:?}"))
}

async fn key_result_titled(db: &DatabaseConnection, title: &str) -> key_result::Model {
    key_result::Entity::find()
        .filter(key_result::Column::Title.eq(title))
        .one(db)
        .await
        .expect("read key results")
        .unwrap_or_else(|| panic!("no key result {title:?}"))
}

/// Every alignment row, as stored.
async fn alignments(db: &DatabaseConnection) -> Vec<objective_alignment::Model> {
    objective_alignment::Entity::find()
        .order_by_asc(objective_alignment::Column::ObjectiveId)
        .all(db)
        .await
        .expect("read alignments")
}

async fn parent_of(db: &DatabaseConnection, child: Uuid) -> Option<(Uuid, Option<Uuid>)> {
    objective_alignment::Entity::find_by_id(child)
        .one(db)
        .await
        .expect("read the alignment")
        .map(|row| (row.parent_objective_id, row.parent_key_result_id))
}

/// Uploads `bytes` as `cookie`, expects a preview without problems and
/// commits it.
async fn imported(server: &TestServer, cookie: &str, bytes: Vec<u8>) {
    let id = upload(server, Some(cookie), "okrs", "okrs.csv", bytes)
        .await
        .expect("an upload");
    let shown = preview(server, cookie, id).await;
    assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
    assert!(matches!(
        commit(server, cookie, id).await,
        ImportState::Committed { .. }
    ));
}

/// The OKR export of `label`, which must succeed.
async fn exported_okrs(server: &TestServer, cookie: &str, label: &str) -> String {
    let (status, _, body) = export(server, Some(cookie), label, "okrs").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    String::from_utf8(body).expect("UTF-8")
}

/// A 2025-Q2 file with the company's objective last: the team objectives
/// name it before it comes, one of them by a key result.
fn aligned_quarter() -> Vec<u8> {
    file(
        &header(),
        &[
            vec![
                Q2,
                DIRECT,
                "Win direct bookings",
                SARAH,
                "Lift app conversion to 4%",
                MIKE,
                "%",
                "3",
                "4",
                "",
                "runway airlines",
                COMPANY_GOAL,
                "",
            ],
            vec![
                Q2,
                DIRECT,
                "Win direct bookings",
                SARAH,
                "Grow app bookings to $18M",
                MIKE,
                "$",
                "12000000",
                "18000000",
                "",
                "",
                "",
                "",
            ],
            vec![
                Q2,
                CORPORATE,
                "Sign more corporate accounts",
                LISA,
                "Sign 12 accounts",
                JAMES,
                "#",
                "0",
                "12",
                "",
                COMPANY,
                COMPANY_GOAL,
                COMPANY_REVENUE,
            ],
            vec![
                Q2,
                COMPANY,
                COMPANY_GOAL,
                EMILY,
                COMPANY_REVENUE,
                EMILY,
                "%",
                "0",
                "20",
                "",
                "",
                "",
                "",
            ],
            vec![
                Q2,
                COMPANY,
                COMPANY_GOAL,
                EMILY,
                "Raise NPS to 50",
                EMILY,
                "#",
                "30",
                "50",
                "",
                "",
                "",
                "",
            ],
        ],
    )
}

migration::backend_test!(
    a_file_aligns_team_objectives_to_a_company_objective_and_exports_the_same_bytes_again,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        company_team(world.db()).await;
        let (server, emily) = (&world.server, world.emily.as_str());

        let id = upload(server, Some(emily), "okrs", "q2.csv", aligned_quarter())
            .await
            .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.quarters_created, vec![Q2.to_owned()]);
        assert_eq!(shown.summary.objectives, counts(3, 0, 0));
        assert_eq!(shown.summary.records, counts(5, 0, 0));
        assert!(matches!(
            commit(server, emily, id).await,
            ImportState::Committed { .. }
        ));
        let company_goal = objective_titled(world.db(), COMPANY_GOAL).await;
        let direct = objective_titled(world.db(), "Win direct bookings").await;
        let corporate = objective_titled(world.db(), "Sign more corporate accounts").await;
        let revenue = key_result_titled(world.db(), COMPANY_REVENUE).await;
        assert_eq!(
            parent_of(world.db(), direct.id).await,
            Some((company_goal.id, None))
        );
        assert_eq!(
            parent_of(world.db(), corporate.id).await,
            Some((company_goal.id, Some(revenue.id)))
        );
        assert_eq!(parent_of(world.db(), company_goal.id).await, None);
        assert_eq!(alignments(world.db()).await.len(), 2);

        // The export names each parent after the existing columns, every
        // row of an objective alike.
        let text = exported_okrs(server, emily, Q2).await;
        assert!(
            text.starts_with(&format!("{}\r\n", header())),
            "the parent columns come last: {text}"
        );
        assert_eq!(text.lines().count(), 6, "{text}");
        assert_eq!(
            text.matches(&format!(",{COMPANY},{COMPANY_GOAL},\r\n"))
                .count(),
            2,
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "Sign 12 accounts,{JAMES},#,0.00,12.00,0.00,{COMPANY},{COMPANY_GOAL},{COMPANY_REVENUE}\r\n"
            )),
            "{text}"
        );
        assert_eq!(text.matches(",,,\r\n").count(), 2, "{text}");

        // Imported again: nothing changes, the alignments' rows included.
        let before = snapshot(world.db()).await;
        let stored = alignments(world.db()).await;
        let id = upload(
            server,
            Some(emily),
            "okrs",
            "q2 again.csv",
            text.clone().into_bytes(),
        )
        .await
        .expect("an upload");
        let shown = preview(server, emily, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(shown.summary.objectives, counts(0, 0, 3));
        assert_eq!(shown.summary.records, counts(0, 0, 5));
        assert!(matches!(
            commit(server, emily, id).await,
            ImportState::Committed { .. }
        ));
        assert_eq!(snapshot(world.db()).await.okrs(), before.okrs());
        assert_eq!(alignments(world.db()).await, stored);

        // Into a fresh database with the same people and teams: the same
        // bytes out again.
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
        company_team(&fresh.db).await;
        let second = TestServer::start(fresh.db.clone()).await;
        let admin = second.sign_in_demo(EMILY).await;
        imported(&second, &admin, text.clone().into_bytes()).await;
        assert_eq!(alignments(&fresh.db).await.len(), 2);
        let again = exported_okrs(&second, &admin, Q2).await;
        assert_eq!(again, text, "the OKRs export again byte for byte");

        drop(second);
        fresh.close().await.expect("drop the second database");
        world.finish().await;
    }
);

migration::backend_test!(
    a_lead_aligns_their_objective_and_blank_parent_columns_leave_it_aligned,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let (server, sarah) = (&world.server, world.sarah.as_str());
        let direct = objective_titled(world.db(), DIRECT_REVENUE).await;
        let apac = objective_titled(world.db(), APAC_SALES).await;
        let apac_revenue = key_result_titled(world.db(), APAC_REVENUE).await;
        let conversion = key_result_titled(world.db(), CONVERSION).await;
        let row = |parent: [&'static str; 3]| {
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
                "",
                parent[0],
                parent[1],
                parent[2],
            ]
        };

        // A lead aligns their team's objective to another team's key result.
        imported(
            server,
            sarah,
            file(&header(), &[row([CORPORATE, APAC_SALES, APAC_REVENUE])]),
        )
        .await;
        assert_eq!(
            parent_of(world.db(), direct.id).await,
            Some((apac.id, Some(apac_revenue.id)))
        );
        let stored = alignments(world.db()).await;

        // Blank parent columns, or none at all, change nothing.
        imported(server, sarah, file(&header(), &[row(["", "", ""])])).await;
        assert_eq!(alignments(world.db()).await, stored);
        let without_columns = format!(
            "{OKR_HEADER}\n{Q1},{DIRECT},{DIRECT_REVENUE},{SARAH},{CONVERSION},{MIKE},%,2.8,3.5\n"
        );
        imported(server, sarah, without_columns.into_bytes()).await;
        assert_eq!(alignments(world.db()).await, stored);
        assert_eq!(
            key_result_titled(world.db(), CONVERSION).await.id,
            conversion.id
        );

        // Another parent moves it: to the objective itself this time.
        let id = upload(
            server,
            Some(sarah),
            "okrs",
            "moved.csv",
            file(&header(), &[row(["corporate sales", APAC_SALES, ""])]),
        )
        .await
        .expect("an upload");
        let shown = preview(server, sarah, id).await;
        assert!(shown.problems.is_empty(), "{:#?}", shown.problems);
        assert_eq!(
            shown.summary.objectives,
            counts(0, 1, 0),
            "a new parent updates the objective"
        );
        assert!(matches!(
            commit(server, sarah, id).await,
            ImportState::Committed { .. }
        ));
        assert_eq!(
            parent_of(world.db(), direct.id).await,
            Some((apac.id, None))
        );
        world.finish().await;
    }
);

/// A new Corporate Sales objective's row in 2025-Q1 with parent columns.
fn nordics(objective: &'static str, parent: [&'static str; 3]) -> Vec<&'static str> {
    vec![
        Q1,
        CORPORATE,
        objective,
        EMILY,
        "Sign 5 Nordic accounts",
        LISA,
        "#",
        "0",
        "5",
        "",
        parent[0],
        parent[1],
        parent[2],
    ]
}

/// A new Direct Channel Sales objective's row in 2025-Q1 with parent
/// columns.
fn app_rating(objective: &'static str, parent: [&'static str; 3]) -> Vec<&'static str> {
    vec![
        Q1, DIRECT, objective, SARAH, "Rate 4.8", MIKE, "#", "4.5", "4.8", "", parent[0],
        parent[1], parent[2],
    ]
}

type BadParent = (
    &'static str,
    Vec<Vec<&'static str>>,
    u64,
    &'static str,
    &'static str,
);

/// How many rows of the tables an OKR import writes.
async fn row_counts(db: &DatabaseConnection) -> (u64, u64, u64) {
    (
        objective::Entity::find().count(db).await.expect("count"),
        key_result::Entity::find().count(db).await.expect("count"),
        objective_alignment::Entity::find()
            .count(db)
            .await
            .expect("count"),
    )
}

migration::backend_test!(
    every_bad_parent_is_named_by_line_and_column_and_nothing_is_written,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let (server, emily) = (&world.server, world.emily.as_str());
        // Stored: Direct's revenue objective supports Corporate's APAC one.
        let direct = objective_titled(world.db(), DIRECT_REVENUE).await;
        let apac = objective_titled(world.db(), APAC_SALES).await;
        objective_alignment::ActiveModel {
            objective_id: Set(direct.id),
            parent_objective_id: Set(apac.id),
            parent_key_result_id: Set(None),
            created_at: Set(chrono::Utc::now().naive_utc()),
        }
        .insert(world.db())
        .await
        .expect("an alignment");

        // What, the rows, and the one problem expected: line, column and
        // part of its message.
        let cases: Vec<BadParent> = vec![
            (
                "a parent objective that does not exist",
                vec![nordics("Win the Nordics", [DIRECT, "Win the moon", ""])],
                2,
                "parent_objective",
                "Direct Channel Sales has no objective \"Win the moon\" in 2025-Q1",
            ),
            (
                "a parent team that does not exist",
                vec![nordics(
                    "Win the Nordics",
                    ["Moon Sales", DIRECT_REVENUE, ""],
                )],
                2,
                "parent_team",
                "there is no team \"Moon Sales\"",
            ),
            (
                "a parent objective without its team",
                vec![nordics("Win the Nordics", ["", DIRECT_REVENUE, ""])],
                2,
                "parent_team",
                "is empty",
            ),
            (
                "a key result not of that objective",
                vec![nordics(
                    "Win the Nordics",
                    [DIRECT, DIRECT_REVENUE, APAC_REVENUE],
                )],
                2,
                "parent_key_result",
                "“Grow Direct Channel Revenue” has no key result",
            ),
            (
                "a parent of the objective's own team",
                vec![nordics("Win the Nordics", [CORPORATE, APAC_SALES, ""])],
                2,
                "parent_objective",
                "is Corporate Sales's own",
            ),
            (
                "rows of one objective naming different parents",
                vec![
                    nordics("Win the Nordics", [DIRECT, DIRECT_REVENUE, ""]),
                    with_key_result(
                        nordics("Win the Nordics", [DIRECT, DIRECT_REVENUE, CONVERSION]),
                        "Open a Stockholm office",
                    ),
                ],
                3,
                "parent_key_result",
                "differs from line 2",
            ),
            (
                "a cycle of the file's rows",
                vec![
                    nordics("Win the Nordics", [DIRECT, "Lift the app", ""]),
                    app_rating("Lift the app", [CORPORATE, "Win the Nordics", ""]),
                ],
                2,
                "parent_objective",
                "this would make a cycle: “Win the Nordics” supports “Lift the app” supports “Win the Nordics”",
            ),
            (
                "a cycle of a row and a stored alignment",
                vec![
                    app_rating("Lift the app", ["", "", ""]),
                    nordics(APAC_SALES, [DIRECT, DIRECT_REVENUE, CONVERSION]),
                ],
                3,
                "parent_objective",
                "this would make a cycle: “Expand Corporate Sales in APAC” supports “Grow Direct Channel Revenue” supports “Expand Corporate Sales in APAC”",
            ),
        ];
        let before = snapshot(world.db()).await;
        let counted = row_counts(world.db()).await;
        let stored = alignments(world.db()).await;
        for (what, rows, line, column, says) in cases {
            let id = upload(
                server,
                Some(emily),
                "okrs",
                "bad.csv",
                file(&header(), &rows),
            )
            .await
            .unwrap_or_else(|refused| panic!("{what}: upload refused {refused:?}"));
            let shown = preview(server, emily, id).await;
            assert_eq!(shown.state, ImportState::Preview, "{what}");
            assert_eq!(shown.problem_count, 1, "{what}: {:#?}", shown.problems);
            let ImportProblem {
                line: at,
                column: named,
                message,
            } = &shown.problems[0];
            assert_eq!((*at, named.as_str()), (line, column), "{what}: {message}");
            assert!(
                message.contains(says),
                "{what}: {message:?} does not say {says:?}"
            );
            let (status, body) = post_commit(server, Some(emily), id).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{what}: commit answered {body}"
            );
            assert_eq!(
                row_counts(world.db()).await,
                counted,
                "{what}: rows written"
            );
            assert_eq!(
                alignments(world.db()).await,
                stored,
                "{what}: alignments changed"
            );
            assert_eq!(snapshot(world.db()).await, before, "{what}: rows changed");
        }
        world.finish().await;
    }
);

/// `row` with another key result title.
fn with_key_result(mut row: Vec<&'static str>, title: &'static str) -> Vec<&'static str> {
    row[4] = title;
    row
}
