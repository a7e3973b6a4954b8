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
        crate::server::transfer::http::UploadMeta,
        Option<crate::server::transfer::table::Table>,
        crate::server::transfer::Plan,
    ),
    AppError,
> {
    use crate::server::transfer::{self, http, table};
    let (meta, bytes) = http::load_upload(id, member.person_id)?;
    let today = chrono::Utc::now().date_naive();
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
        if let Some(state) = transfer::http::job_state(id)
            && !matches!(state, ImportState::Preview)
        {
            // Running or done: the upload may be gone; report the state.
            let (filename, kind) = match transfer::http::load_upload(id, member.person_id) {
                Ok((meta, _)) => (meta.filename, meta.kind),
                Err(_) => (String::new(), crate::model::ImportKind::Okrs),
            };
            return Ok(ImportPreview {
                id,
                filename,
                kind,
                summary: Default::default(),
                problems: vec![],
                problem_count: 0,
                identical_to: None,
                state,
            });
        }
        let db = server::db()?;
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
/// background; the preview page follows its progress.
#[server(prefix = "/api", endpoint = "commit_import")]
pub async fn commit_import(id: String) -> Result<(), AppError> {
    use crate::model::ImportState;
    use crate::server::{self, transfer};
    respond(async {
        let member = planner()?;
        let id = upload_id(&id)?;
        // Taken before the file is checked again, so a second commit of the
        // same upload sent meanwhile cannot start another import.
        let Some(claim) = transfer::http::claim_job(id) else {
            super::go_to(&format!("/import/{id}"));
            return Ok(());
        };
        let db = server::db()?;
        let (meta, table, plan) = checked(&db, &member, id).await?;
        if !plan.problems.is_empty() {
            return Err(AppError::validation(
                "file",
                format!(
                    "the file has {}; fix it and upload it again",
                    crate::model::problems_in_words(plan.problems.len() as u64)
                ),
            ));
        }
        let Some(table) = table else {
            return Err(AppError::Internal);
        };
        let total = plan.summary.rows;
        transfer::http::set_job_state(id, ImportState::Running { done: 0, total });
        claim.keep();
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
            let progress = transfer::http::JobProgress(id);
            let state = match transfer::commit(&db, &member, plan, upload, now, &progress).await {
                Ok(record) => {
                    transfer::http::remove_upload(id);
                    tracing::info!(file = %meta.filename, rows = total, "import committed");
                    ImportState::Committed {
                        record_id: record.id,
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "import failed; nothing was written");
                    ImportState::Failed {
                        message: format!("{error}; nothing was imported"),
                    }
                }
            };
            transfer::http::set_job_state(id, state);
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
