//! `cargo xtask bench-import`: how long importing 10,000 key results from
//! CSV takes on PostgreSQL, against `COPY`ing the same rows into the table.
//! A benchmark that prints figures, not a test: nothing here passes or fails.
//!
//! Each round uses a fresh database: people and teams are added, the CSV
//! (100 objectives × 100 key results in a new quarter) is read, checked and
//! committed exactly as an upload is, then the same 10,000 key result rows
//! are `COPY`ed into `key_result`. It prints both times, the medians of three
//! rounds and their ratio.

use std::time::{Duration, Instant};

use app::model::ImportKind;
use app::server::transfer::{self, table};
use domain::Role;
use domain::access::Member;
use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

const OBJECTIVES: usize = 100;
const PER_OBJECTIVE: usize = 100;
const ROUNDS: usize = 3;
const PEOPLE: [(&str, &str, &str, Role); 3] = [
    (
        "ana@bench.example",
        "Ana Admin",
        "Direct Channel Sales",
        Role::Admin,
    ),
    (
        "ben@bench.example",
        "Ben Owner",
        "Direct Channel Sales",
        Role::Member,
    ),
    (
        "cy@bench.example",
        "Cy Owner",
        "Corporate Sales",
        Role::Member,
    ),
];

fn csv_file() -> Vec<u8> {
    let mut file = String::from(
        "quarter,team,objective,objective_owner_email,key_result,owner_email,unit,start,target,current\n",
    );
    for objective in 0..OBJECTIVES {
        let team = if objective % 2 == 0 {
            "Direct Channel Sales"
        } else {
            "Corporate Sales"
        };
        for key_result in 0..PER_OBJECTIVE {
            file.push_str(&format!(
                "2031-Q1,{team},Objective {objective:03},ana@bench.example,Key result {objective:03}-{key_result:03},ben@bench.example,$,{},{},{}\n",
                1000 + key_result,
                2000 + key_result,
                1500 + key_result,
            ));
        }
    }
    file.into_bytes()
}

fn server_url(admin: &str, database: &str) -> String {
    match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => format!("{admin}/{database}"),
    }
}

async fn fresh_database(
    admin: &DatabaseConnection,
    admin_url: &str,
    name: &str,
) -> DatabaseConnection {
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .expect("drop the old benchmark database");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the benchmark database");
    let db = Database::connect(server_url(admin_url, name))
        .await
        .expect("connect to the benchmark database");
    migration::Migrator::up(&db, None).await.expect("migrate");
    db
}

/// One round: the import's time and the COPY's.
async fn round(db: &DatabaseConnection, file: &[u8]) -> (Duration, Duration) {
    let now = chrono::Utc::now().naive_utc();
    let today = now.date();
    for (email, name, team, role) in PEOPLE {
        app::server::auth::add_user(db, email, name, team, role, "bench-password", now)
            .await
            .expect("add a person");
    }
    let admin = app::server::auth::member_by_email(db, PEOPLE[0].0)
        .await
        .expect("query")
        .expect("the admin is a member");
    let actor: Member = admin;

    let started = Instant::now();
    let table = table::read(file, ImportKind::Okrs).expect("the file reads");
    let plan = transfer::plan(db, &actor, ImportKind::Okrs, &table, today)
        .await
        .expect("the plan");
    assert!(plan.problems.is_empty(), "{:?}", &plan.problems[..1]);
    let checksum = transfer::checksum(file);
    transfer::commit(
        db,
        &actor,
        plan,
        transfer::Upload {
            filename: "bench.csv",
            checksum: &checksum,
            delimiter: ',',
            columns: table.columns_in_file_order(),
        },
        now,
        &(),
    )
    .await
    .expect("the import");
    let imported = started.elapsed();

    // The same rows, COPYed: new ids, the objectives the import made.
    let backend = db.get_database_backend();
    let objectives: Vec<(String, String)> = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id::text, title FROM objective".to_owned(),
        ))
        .await
        .expect("the objectives")
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index::<String>(0).expect("id"),
                row.try_get_by_index::<String>(1).expect("title"),
            )
        })
        .collect();
    let owner: String = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT id::text FROM okr_user WHERE email = 'ben@bench.example'".to_owned(),
        ))
        .await
        .expect("the owner")
        .expect("a row")
        .try_get_by_index(0)
        .expect("id");
    let mut data = String::new();
    for (id, title) in &objectives {
        let number = title.trim_start_matches("Objective ");
        for key_result in 0..PER_OBJECTIVE {
            data.push_str(&format!(
                "{},Key result {number}-{key_result:03},{id},{owner},$,up,{},{},{},{now},{now}\n",
                uuid::Uuid::new_v4(),
                1000 + key_result,
                2000 + key_result,
                1500 + key_result,
            ));
        }
    }
    let pool = db.get_postgres_connection_pool();
    let started = Instant::now();
    let mut connection = pool.acquire().await.expect("a connection");
    let mut copy = connection
        .copy_in_raw(
            "COPY key_result (id, title, objective_id, owner_id, unit, direction, start_value, \
             target_value, current_value, created_at, updated_at) FROM STDIN WITH (FORMAT csv)",
        )
        .await
        .expect("start COPY");
    copy.send(data.as_bytes()).await.expect("send the rows");
    copy.finish().await.expect("finish COPY");
    let copied = started.elapsed();
    (imported, copied)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.0} ms", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let admin_url = std::env::var("RUNWAY_BENCH_POSTGRES_URL")
        .or_else(|_| std::env::var("RUNWAY_TEST_POSTGRES_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let admin = Database::connect(&admin_url)
        .await
        .expect("connect to PostgreSQL (RUNWAY_BENCH_POSTGRES_URL)");
    let file = csv_file();
    let rows = OBJECTIVES * PER_OBJECTIVE;
    println!(
        "import benchmark: {rows} key results ({OBJECTIVES} objectives), {} KB of CSV, PostgreSQL at {}",
        file.len() / 1024,
        admin_url.rsplit('@').next().unwrap_or_default()
    );
    let mut imports = Vec::new();
    let mut copies = Vec::new();
    for number in 1..=ROUNDS {
        let name = format!("runway_bench_import_{}", std::process::id());
        let db = fresh_database(&admin, &admin_url, &name).await;
        let (imported, copied) = round(&db, &file).await;
        db.close().await.ok();
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
            .await
            .ok();
        println!(
            "  round {number}: import {} (read, check, commit), COPY {}, ratio {:.2}",
            ms(imported),
            ms(copied),
            imported.as_secs_f64() / copied.as_secs_f64()
        );
        imports.push(imported);
        copies.push(copied);
    }
    let (import, copy) = (median(imports), median(copies));
    println!(
        "median of {ROUNDS}: import {}, COPY {}, ratio {:.2} (goal: at most 5)",
        ms(import),
        ms(copy),
        import.as_secs_f64() / copy.as_secs_f64()
    );
}
