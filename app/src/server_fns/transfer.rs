//! Server functions of CSV import: the preview of an upload, its commit
//! (which runs in the background and reports its progress), and the import
//! history.

use crate::error::AppError;
use crate::model::{ImportHistoryRow, ImportPreview};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::respond;
#[cfg(feature = "ssr")]
use uuid::Uuid;

/// How many problems the preview lists; it says how many there are in all.
#[cfg(feature = "ssr")]
const PROBLEMS_SHOWN: usize = 200;

#[cfg(feature = "ssr")]
fn planner() -> Result<domain::access::Member, AppError> {
    let (_, member) = crate::server::http::middleware::current_member()?;
    if !member.is_planner() {
        return Err(AppError::forbidden(
            "only admins and team leads import OKRs",
        ));
    }
    Ok(member)
}

#[cfg(feature = "ssr")]
fn upload_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text.trim()).map_err(|_| AppError::NotFound("upload".into()))
}

/// Reads and checks an upload against the database as it is now.
#[cfg(feature = "ssr")]
async fn checked(
    db: &sea_orm::DatabaseConnection,
    member: &domain::access::Member,
    id: Uuid,
) -> Result<
    (
        crate::server::transfer::uploads::UploadMeta,
        Option<crate::server::transfer::table::Table>,
        crate::server::transfer::Plan,
    ),
    AppError,
> {
    use crate::server::transfer::{self, table, uploads};
    let now = chrono::Utc::now().naive_utc();
    let (meta, bytes) = uploads::load(db, id, member.person_id, now).await?;
    let today = now.date();
    match table::read(&bytes, meta.kind) {
        Ok(table) => {
            let plan = transfer::plan(db, member, meta.kind, &table, today).await?;
            Ok((meta, Some(table), plan))
        }
        Err(problems) => Ok((meta, None, transfer::Plan::refused(problems))),
    }
}

/// What importing an upload would do, every problem, and where its commit
/// stands.
#[server(prefix = "/api", endpoint = "import_preview", input = GetUrl)]
pub async fn get_import_preview(id: String) -> Result<ImportPreview, AppError> {
    use crate::model::ImportState;
    use crate::server::{self, transfer};
    respond(async {
        let member = planner()?;
        let id = upload_id(&id)?;
        let db = server::db()?;
        let now = chrono::Utc::now().naive_utc();
        let (meta, state) = transfer::uploads::state(&db, id, member.person_id, now).await?;
        if !matches!(state, ImportState::Preview) {
            // Running or done, here or on another server: report the state.
            return Ok(ImportPreview {
                id,
                filename: meta.filename,
                kind: meta.kind,
                summary: Default::default(),
                problems: vec![],
                problem_count: 0,
                identical_to: None,
                state,
            });
        }
        let (meta, _, plan) = checked(&db, &member, id).await?;
        let identical_to = transfer::identical_import(&db, &meta.checksum).await?;
        Ok(ImportPreview {
            id,
            filename: meta.filename,
            kind: meta.kind,
            problem_count: plan.problems.len() as u64,
            problems: plan.problems.iter().take(PROBLEMS_SHOWN).cloned().collect(),
            summary: plan.summary,
            identical_to,
            state: ImportState::Preview,
        })
    })
    .await
}

/// Commits an upload with no problems, in one transaction, in the
/// background; the preview page follows its progress, on any server.
#[server(prefix = "/api", endpoint = "commit_import")]
pub async fn commit_import(id: String) -> Result<(), AppError> {
    use crate::server::{self, jobs, transfer};
    use transfer::uploads::{self, Lease};
    respond(async {
        let member = planner()?;
        let id = upload_id(&id)?;
        let db = server::db()?;
        let runner = jobs::this_server();
        let now = chrono::Utc::now().naive_utc();
        // Someone else's upload, or one gone: 404.
        uploads::state(&db, id, member.person_id, now).await?;
        // Claimed before the file is checked again, so a second commit of
        // the same upload sent meanwhile (a double click, another tab,
        // another server) cannot start another import.
        if !uploads::claim(&db, id, member.person_id, runner, now).await? {
            super::go_to(&format!("/import/{id}"));
            return Ok(());
        }
        let checked = match checked(&db, &member, id).await {
            Ok(checked) => checked,
            Err(error) => {
                uploads::release(&db, id, runner).await?;
                return Err(error);
            }
        };
        let (meta, table, plan) = checked;
        let table = match table {
            Some(table) if plan.problems.is_empty() => table,
            _ => {
                uploads::release(&db, id, runner).await?;
                return Err(AppError::validation(
                    "file",
                    format!(
                        "the file has {}; fix it and upload it again",
                        crate::model::problems_in_words(plan.problems.len().max(1) as u64)
                    ),
                ));
            }
        };
        let total = plan.summary.rows;
        let lease = Lease::hold(db.clone(), id, runner, total);
        let columns = table.columns_in_file_order();
        let delimiter = table.delimiter;
        tokio::spawn(async move {
            let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6);
            let upload = transfer::Upload {
                filename: &meta.filename,
                checksum: &meta.checksum,
                delimiter,
                columns,
            };
            let outcome =
                match transfer::commit(&db, &member, plan, upload, now, lease.progress()).await {
                    Ok(record) => {
                        tracing::info!(file = %meta.filename, rows = total, "import committed");
                        Ok(record.id)
                    }
                    Err(error) => {
                        tracing::warn!(%error, "import failed; nothing was written");
                        Err(format!("{error}; nothing was imported"))
                    }
                };
            if let Err(error) = lease.end(&db, runner, outcome).await {
                tracing::error!(%error, "could not record how an import ended");
            }
        });
        super::go_to(&format!("/import/{id}"));
        Ok(())
    })
    .await
}

/// Every committed import, newest first.
#[server(prefix = "/api", endpoint = "import_history", input = GetUrl)]
pub async fn get_import_history() -> Result<Vec<ImportHistoryRow>, AppError> {
    use crate::server;
    respond(async {
        planner()?;
        Ok(server::transfer::history(&server::db()?).await?)
    })
    .await
}
