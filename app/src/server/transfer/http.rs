//! The HTTP side of CSV import and export: the upload (a multipart form,
//! up to 10 MB, kept until it is committed), the commit's progress, and the
//! export downloads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDateTime;
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::table;
use crate::error::AppError;
use crate::model::{ImportKind, ImportState};
use crate::server::AppState;
use crate::server::auth::CurrentSession;
use domain::access::Member;

/// Where uploads wait for their commit: `RUNWAY_IMPORT_DIR`, else a folder
/// in the system's temporary directory.
fn upload_dir() -> PathBuf {
    std::env::var_os("RUNWAY_IMPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("runway-imports"))
}

/// What is kept with an uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadMeta {
    pub kind: ImportKind,
    pub filename: String,
    pub person_id: Uuid,
    pub checksum: String,
    pub uploaded_at: NaiveDateTime,
}

fn paths(id: Uuid) -> (PathBuf, PathBuf) {
    let dir = upload_dir();
    (
        dir.join(format!("{id}.csv")),
        dir.join(format!("{id}.json")),
    )
}

/// An upload of `person`: its facts and its bytes. Someone else's, or one
/// already committed and removed, is not found.
pub fn load_upload(id: Uuid, person: Uuid) -> Result<(UploadMeta, Vec<u8>), AppError> {
    let (file, meta) = paths(id);
    let not_found = || AppError::NotFound("upload".into());
    let meta: UploadMeta = std::fs::read(&meta)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(not_found)?;
    if meta.person_id != person {
        return Err(not_found());
    }
    let lifetime = chrono::Duration::from_std(UPLOAD_LIFETIME).unwrap_or(chrono::Duration::MAX);
    if meta.uploaded_at + lifetime < chrono::Utc::now().naive_utc() {
        remove_upload(id);
        return Err(not_found());
    }
    let bytes = std::fs::read(file).map_err(|_| not_found())?;
    Ok((meta, bytes))
}

/// How long an upload waits for its commit before it is removed.
pub const UPLOAD_LIFETIME: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// Keeps upload `id` in `dir`: the folder and its files readable by the
/// server's user only.
fn keep(dir: &std::path::Path, id: Uuid, bytes: &[u8], meta: &UploadMeta) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let write = |path: PathBuf, content: &[u8]| -> std::io::Result<()> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        options.open(path)?.write_all(content)
    };
    write(dir.join(format!("{id}.csv")), bytes)?;
    write(
        dir.join(format!("{id}.json")),
        &serde_json::to_vec(meta).unwrap_or_default(),
    )
}

/// Removes the uploads in `dir` older than [`UPLOAD_LIFETIME`] at `now`:
/// files nobody committed do not stay forever.
fn sweep(dir: &std::path::Path, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > UPLOAD_LIFETIME);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

pub fn remove_upload(id: Uuid) {
    let (file, meta) = paths(id);
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(meta);
}

/// Commits under way or done, by upload: what the preview page shows.
static JOBS: LazyLock<Mutex<HashMap<Uuid, ImportState>>> = LazyLock::new(Mutex::default);

pub fn job_state(id: Uuid) -> Option<ImportState> {
    JOBS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&id)
        .cloned()
}

pub fn set_job_state(id: Uuid, state: ImportState) {
    JOBS.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, state);
}

/// The right to commit an upload, taken before it is checked once more:
/// while it is held, a second commit of the same upload (a double click, a
/// second tab) is turned away instead of importing the file twice. Dropped
/// without [`Claim::keep`] (the file had problems, the request went away), it
/// gives the upload back to its preview.
pub struct Claim(Option<Uuid>);

impl Claim {
    /// The commit started: its state stays in [`JOBS`].
    pub fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(id) = self.0.take() {
            JOBS.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        }
    }
}

/// Claims upload `id` for a commit, marking it running; `None` when a
/// commit of it is running or done.
pub fn claim_job(id: Uuid) -> Option<Claim> {
    let mut jobs = JOBS.lock().unwrap_or_else(|e| e.into_inner());
    if matches!(
        jobs.get(&id),
        Some(ImportState::Running { .. } | ImportState::Committed { .. })
    ) {
        return None;
    }
    jobs.insert(id, ImportState::Running { done: 0, total: 0 });
    Some(Claim(Some(id)))
}

/// Reports a commit's progress into [`JOBS`].
pub struct JobProgress(pub Uuid);

impl super::Progress for JobProgress {
    fn advance(&self, done: u64, total: u64) {
        set_job_state(self.0, ImportState::Running { done, total });
    }
}

fn member_of(request_session: Option<&CurrentSession>) -> Result<Member, AppError> {
    let session = request_session.ok_or_else(AppError::unauthorized)?;
    session
        .viewer
        .member
        .ok_or_else(|| AppError::forbidden("you are not a member of any team yet"))
}

fn back_with(message: &str) -> Response {
    let message: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
    Redirect::to(&format!("/import?error={message}")).into_response()
}

/// `POST /import/upload`: a multipart form with `kind` (`okrs` or
/// `check_ins`) and `file`. Keeps the file and sends the browser to its
/// preview. Refusals go back to the import page with a message.
async fn upload(State(_): State<AppState>, request: Request) -> Response {
    let session = request.extensions().get::<CurrentSession>().cloned();
    let member = match member_of(session.as_ref()) {
        Ok(member) => member,
        Err(error) => return (error.status_code(), error.to_string()).into_response(),
    };
    if !member.is_planner() {
        let error = AppError::forbidden("only admins and team leads import OKRs");
        return (error.status_code(), error.to_string()).into_response();
    }
    let mut multipart =
        match <Multipart as axum::extract::FromRequest<()>>::from_request(request, &()).await {
            Ok(multipart) => multipart,
            Err(_) => return back_with("send the file from the import form"),
        };
    let mut kind = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("kind") => {
                    kind = field
                        .text()
                        .await
                        .ok()
                        .as_deref()
                        .and_then(ImportKind::parse)
                }
                Some("file") => {
                    let name = field
                        .file_name()
                        .map(|name| name.chars().filter(|c| !c.is_control()).take(255).collect())
                        .unwrap_or_else(|| "upload.csv".to_owned());
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, bytes.to_vec())),
                        Err(_) => {
                            return back_with(&format!(
                                "the file is larger than {} MB",
                                table::MAX_BYTES / (1024 * 1024)
                            ));
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                return back_with(&format!(
                    "the file could not be read; files may be up to {} MB",
                    table::MAX_BYTES / (1024 * 1024)
                ));
            }
        }
    }
    let Some(kind) = kind else {
        return back_with("kind: choose what the file holds");
    };
    let Some((filename, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return back_with("file: choose a CSV file");
    };
    if bytes.len() > table::MAX_BYTES {
        return back_with(&format!(
            "file: the file is larger than {} MB",
            table::MAX_BYTES / (1024 * 1024)
        ));
    }
    let id = Uuid::new_v4();
    let meta = UploadMeta {
        kind,
        filename,
        person_id: member.person_id,
        checksum: super::checksum(&bytes),
        uploaded_at: chrono::Utc::now().naive_utc(),
    };
    let dir = upload_dir();
    sweep(&dir, std::time::SystemTime::now());
    let stored = keep(&dir, id, &bytes, &meta);
    if let Err(error) = stored {
        tracing::error!(%error, "could not keep an upload");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the upload could not be kept",
        )
            .into_response();
    }
    Redirect::to(&format!("/import/{id}")).into_response()
}

fn csv_download(bytes: Vec<u8>, filename: &str) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"",
        filename.replace(['"', '\\', '\r', '\n'], "_")
    );
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /quarters/{label}/export/{what}`: `okrs` or `check-ins`, as CSV in
/// the import format.
async fn export(
    State(state): State<AppState>,
    Path((label, what)): Path<(String, String)>,
    request: Request,
) -> Response {
    if let Err(error) = member_of(request.extensions().get::<CurrentSession>()) {
        return (error.status_code(), error.to_string()).into_response();
    }
    // A label no quarter can have (PostgreSQL refuses a NUL in text).
    if label.chars().any(char::is_control) {
        return (StatusCode::NOT_FOUND, "there is no such quarter").into_response();
    }
    let outcome = match what.as_str() {
        "okrs" => super::export_okrs(&state.db, &label).await,
        "check-ins" => super::export_check_ins(&state.db, &label).await,
        _ => return (StatusCode::NOT_FOUND, "there is no such export").into_response(),
    };
    let safe: String = label
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    match outcome {
        Ok(Some(bytes)) => csv_download(bytes, &format!("{safe}-{what}.csv")),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            format!("there is no quarter {label}"),
        )
            .into_response(),
        Err(error) => (error.status_code(), error.to_string()).into_response(),
    }
}

/// The upload route, with its own body limit: the router's general limit is
/// far smaller.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/import/upload", axum::routing::post(upload))
        .layer(DefaultBodyLimit::max(table::MAX_BYTES + 64 * 1024))
}

/// The export downloads.
pub fn export_router() -> Router<AppState> {
    Router::new().route(
        "/quarters/{label}/export/{what}",
        axum::routing::get(export),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_kept_for_the_server_user_only_and_swept_after_a_day() {
        let dir = std::env::temp_dir().join(format!("runway-upload-test-{}", Uuid::new_v4()));
        let id = Uuid::new_v4();
        let meta = UploadMeta {
            kind: ImportKind::Okrs,
            filename: "okrs.csv".into(),
            person_id: Uuid::new_v4(),
            checksum: "x".into(),
            uploaded_at: chrono::Utc::now().naive_utc(),
        };
        keep(&dir, id, b"quarter\n", &meta).expect("kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode =
                |path: PathBuf| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(dir.clone()), 0o700);
            assert_eq!(mode(dir.join(format!("{id}.csv"))), 0o600);
            assert_eq!(mode(dir.join(format!("{id}.json"))), 0o600);
        }
        let now = std::time::SystemTime::now();
        sweep(&dir, now);
        assert!(dir.join(format!("{id}.csv")).exists(), "a new upload stays");
        sweep(
            &dir,
            now + UPLOAD_LIFETIME + std::time::Duration::from_secs(1),
        );
        assert!(
            !dir.join(format!("{id}.csv")).exists(),
            "a day later it is gone"
        );
        assert!(!dir.join(format!("{id}.json")).exists());
        std::fs::remove_dir_all(&dir).ok();
    }
}
