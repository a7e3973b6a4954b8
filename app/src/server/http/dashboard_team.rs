//! `GET /dashboard/team?quarter=…&team=…` (and the dashboard's other
//! filters): one team's objectives and key results, as the dashboard renders
//! them. A quarter too large for one page folds the teams other than the
//! viewer's (see `components::dashboard_rows`); `public/dashboard.js` puts
//! this in place when one is opened. Without JavaScript, the folded team
//! links to the dashboard of that team alone instead.
//!
//! What it costs: the session every page needs, the quarter's dashboard
//! read (the same remembered read as the page's), and one team's rows.

use axum::Extension;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

use crate::components::dashboard_rows::Rows;
use crate::dashboard_query::DashboardQuery;
use crate::error::AppError;
use crate::server::AppState;
use crate::server::auth::CurrentSession;

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard/team", axum::routing::get(team_rows))
}

async fn team_rows(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    session: Option<Extension<CurrentSession>>,
) -> Response {
    let session = session.map(|Extension(session)| session);
    match render(&state, query.as_deref().unwrap_or(""), session.as_ref()).await {
        Ok(html) => {
            let mut response = html.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => (error.status_code(), error.to_string()).into_response(),
    }
}

async fn render(
    state: &AppState,
    query: &str,
    session: Option<&CurrentSession>,
) -> Result<String, AppError> {
    let session = session.ok_or_else(AppError::unauthorized)?;
    if session.viewer.member.is_none() {
        return Err(AppError::forbidden("you are not a member of any team yet"));
    }
    let query = DashboardQuery::parse(query);
    if query.team.is_none() {
        return Err(AppError::validation("team", "is required"));
    }
    let dashboard = crate::server::filtered_dashboard(state, &query).await?;
    let (Some(quarter), Some(team)) = (&dashboard.quarter, dashboard.teams.first()) else {
        return Ok(r#"<p class="empty">No key results match these filters.</p>"#.to_owned());
    };
    let rows = Rows {
        viewer: Some(&session.viewer),
        quarter,
        as_of: dashboard.as_of,
        today: dashboard.today,
        alignment: &dashboard.alignment,
    };
    Ok(rows.team_rows(team))
}
