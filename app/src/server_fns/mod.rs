//! Server functions: thin wrappers that take the state, call one query and
//! map its error.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dashboard_query::DashboardQuery;
use crate::error::AppError;
use crate::model::{Dashboard, HealthReport, KeyResultDetail};

pub mod auth;
pub mod messages;
pub mod planning;
pub mod tokens;
pub mod transfer;

/// Runs a server function body and, on error, gives the HTTP response the
/// error's status.
///
/// A plain HTML form post (no JavaScript) is the exception: the framework
/// answers it with a redirect back to the form's page, carrying the error,
/// and that redirect must keep its 3xx status.
#[cfg(feature = "ssr")]
pub(crate) async fn respond<T>(
    body: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let outcome = body.await;
    if let Err(error) = &outcome
        && !is_html_form_post()
    {
        crate::error::set_response_status(error);
    }
    outcome
}

#[cfg(feature = "ssr")]
pub(crate) fn is_html_form_post() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        parts.method == http::Method::POST
            && parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|accept| accept.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// A plain form post goes on to `path`; a fetch gets its answer as JSON.
#[cfg(feature = "ssr")]
pub(crate) fn go_to(path: &str) {
    if is_html_form_post() {
        leptos_axum::redirect(path);
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(value: Option<http::HeaderValue>) {
    if let (Some(value), Some(response)) = (value, use_context::<leptos_axum::ResponseOptions>()) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// A cookie that carries what a form post without JavaScript produced (an
/// invitation link, a new token) to the page the browser is sent back to,
/// under `path`, for five minutes; `None` clears it.
#[cfg(feature = "ssr")]
fn one_time_cookie(
    name: &str,
    path: &str,
    value: Option<&impl Serialize>,
) -> Option<http::HeaderValue> {
    let json: String = value
        .and_then(|value| serde_json::to_string(value).ok())
        .map(|json| form_urlencoded::byte_serialize(json.as_bytes()).collect())
        .unwrap_or_default();
    let cookie = cookie::Cookie::build((name.to_owned(), json))
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .path(path.to_owned())
        .max_age(cookie::time::Duration::seconds(if value.is_some() {
            300
        } else {
            0
        }))
        .build();
    http::HeaderValue::from_str(&cookie.to_string()).ok()
}

/// Keeps `value` for the next page under `path` to show once.
#[cfg(feature = "ssr")]
pub(crate) fn keep_one_time(name: &str, path: &str, value: &impl Serialize) {
    set_cookie(one_time_cookie(name, path, Some(value)));
}

/// Takes what [`keep_one_time`] kept, clearing it.
#[cfg(feature = "ssr")]
pub(crate) fn take_one_time<T: serde::de::DeserializeOwned>(name: &str, path: &str) -> Option<T> {
    let parts = use_context::<http::request::Parts>()?;
    let value = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)?
        .value()
        .to_owned();
    set_cookie(one_time_cookie(name, path, None::<&()>));
    let json: String = form_urlencoded::parse(format!("v={value}").as_bytes())
        .next()
        .map(|(_, json)| json.into_owned())?;
    serde_json::from_str(&json).ok()
}

/// `GET /api/health`: 200 when a real query succeeds, else 503, both as JSON.
#[server(prefix = "/api", endpoint = "health", input = GetUrl)]
pub async fn health() -> Result<HealthReport, AppError> {
    use crate::server;

    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let outcome = match server::state() {
        Ok(state) => match state.schema.get() {
            server::SchemaState::Ready => server::health::check_database(&state.db).await,
            server::SchemaState::Pending => Err("migrations are still being applied".to_owned()),
            server::SchemaState::Failed => Err("migrations failed; see the server log".to_owned()),
            server::SchemaState::Stopping => Err("the server is stopping".to_owned()),
        },
        Err(_) => Err("no database configured".to_owned()),
    };
    Ok(match outcome {
        Ok(()) => HealthReport {
            status: "ok".into(),
            timestamp,
            database: "connected".into(),
            error: None,
        },
        Err(reason) => {
            tracing::warn!(%reason, "health check: database disconnected");
            crate::error::set_response_status(&AppError::Unavailable);
            HealthReport {
                status: "error".into(),
                timestamp,
                database: "disconnected".into(),
                error: Some(reason),
            }
        }
    })
}

/// The dashboard of a quarter, by label (the current or latest one without),
/// narrowed by the filters.
#[server(prefix = "/api", endpoint = "dashboard", input = GetUrl)]
pub async fn get_dashboard(
    quarter: Option<String>,
    team: Option<String>,
    owner: Option<String>,
    at_risk: Option<String>,
    stale: Option<String>,
    #[server(default)] supports: Option<String>,
) -> Result<Dashboard, AppError> {
    use crate::server;

    respond(async {
        server::http::middleware::current_member()?;
        let query = DashboardQuery::read(|name| match name {
            "quarter" => quarter.clone(),
            "team" => team.clone(),
            "owner" => owner.clone(),
            "at_risk" => at_risk.clone(),
            "stale" => stale.clone(),
            "supports" => supports.clone(),
            _ => None,
        });
        server::filtered_dashboard(&server::state()?, &query).await
    })
    .await
}

/// The dashboard for `query`, through [`get_dashboard`]'s URL fields.
pub async fn dashboard_for(query: DashboardQuery) -> Result<Dashboard, AppError> {
    let on = |flag: bool| flag.then(|| "1".to_owned());
    get_dashboard(
        query.quarter,
        query.team,
        query.owner,
        on(query.at_risk),
        on(query.stale),
        query.supports,
    )
    .await
}

/// A key result with its history, for `/kr/:id`.
#[server(prefix = "/api", endpoint = "key_result", input = GetUrl)]
pub async fn get_key_result(
    id: String,
    #[server(default)] page: Option<String>,
) -> Result<KeyResultDetail, AppError> {
    use crate::server;

    respond(async {
        server::http::middleware::current_member()?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound("key result".into()))?;
        let page = match page.as_deref().map(str::trim) {
            None | Some("") => 1,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|page| (1..=1_000_000).contains(page))
                .ok_or_else(|| AppError::validation("page", "must be a page number"))?,
        };
        let db = server::db()?;
        server::queries::key_results::key_result_detail(
            &db,
            id,
            chrono::Utc::now().date_naive(),
            page,
        )
        .await?
        .ok_or_else(|| AppError::NotFound("key result".into()))
    })
    .await
}

/// What a saved check-in reports back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckInSaved {
    pub id: Uuid,
    pub key_result_id: Uuid,
}

/// Records a check-in by the signed-in person. Works as a plain form post
/// without JavaScript (the browser is sent back to the page it came from) and
/// as a fetch once hydrated.
#[server(prefix = "/api", endpoint = "check_in")]
pub async fn record_check_in(
    key_result_id: String,
    value: String,
    confidence: String,
    note: String,
    date: String,
) -> Result<CheckInSaved, AppError> {
    use crate::server;
    use domain::commands::CheckInForm;

    respond(async {
        let (_, member) = server::http::middleware::current_member()?;
        let input = CheckInForm {
            key_result_id,
            value,
            confidence,
            note,
            date,
        }
        .parse(member.person_id)?;
        let db = server::db()?;
        // Microseconds: what PostgreSQL keeps, so both backends order alike.
        let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6);
        let saved = server::commands::check_ins::record(&db, input, now).await?;
        Ok(CheckInSaved {
            id: saved.id,
            key_result_id: saved.kr_id,
        })
    })
    .await
}
