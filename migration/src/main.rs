//! `cargo run -p migration -- <command>`: sea-orm-migration's CLI (up, down,
//! status, fresh, refresh, reset, …) plus `seed`, against `DATABASE_URL` or
//! the embedded SQLite default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::Database;

fn main() {
    let _ = dotenvy::dotenv();
    let url = migration::database_url_from_env();
    // SAFETY: nothing else runs yet; the runtime and its threads start below.
    unsafe { std::env::set_var("DATABASE_URL", &url) };

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            std::process::exit(1);
        }
    };

    if std::env::args().nth(1).as_deref() == Some("seed") {
        let outcome = runtime.block_on(async {
            let db = Database::connect(&url).await?;
            migration::seed::run(&db).await
        });
        match outcome {
            Ok(report) => println!("seed: {report}"),
            Err(error) => {
                eprintln!("seed failed, nothing was written: {error}");
                std::process::exit(1);
            }
        }
    } else {
        runtime.block_on(cli::run_cli(migration::Migrator));
    }
}
