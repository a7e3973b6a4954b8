//! The HTTP side of CSV import and export: the upload (a multipart form,
//! up to 10 MB, kept in the database until it is committed, see
//! [`super::uploads`]) and the export downloads.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{HeaderValue, StatusCode, header};
use uuid::Uuid;

use super::table;
use super::uploads::{self, UploadMeta};
use crate::error::AppError;
use crate::model::ImportKind;
use crate::server::AppState;
use crate::server::auth::CurrentSession;
use domain::access::Member;

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
async fn upload(State(state): State<AppState>, request: Request) -> Response {
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
    if let Err(error) = uploads::keep(&state.db, id, &meta, bytes).await {
        let error = AppError::from(error);
        return (error.status_code(), error.to_string()).into_response();
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
