//! Server functions of the access tokens page and the API reference.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::{ApiReference, IssuedTokenView, TokensPage};

#[cfg(feature = "ssr")]
use super::respond;

/// The cookie that carries a token created by a form post without
/// JavaScript to the tokens page, where it is shown once.
#[cfg(feature = "ssr")]
const ISSUED_TOKEN_COOKIE: &str = "runway_issued_token";
#[cfg(feature = "ssr")]
const TOKENS_PATH: &str = "/settings/tokens";

/// The signed-in person's tokens and, for admins, everyone else's.
#[server(prefix = "/api", endpoint = "tokens", input = GetUrl)]
pub async fn get_tokens() -> Result<TokensPage, AppError> {
    use crate::server::{self, http::middleware, tokens};

    respond(async {
        let (_, member) = middleware::current_member()?;
        let db = server::db()?;
        let now = chrono::Utc::now().naive_utc();
        let mine = tokens::list(&db, Some(member.person_id), None, now).await?;
        let others = if member.is_admin() {
            Some(tokens::list(&db, None, Some(member.person_id), now).await?)
        } else {
            None
        };
        let state = server::state()?;
        Ok(TokensPage {
            mine,
            others,
            issued: super::take_one_time(ISSUED_TOKEN_COOKIE, TOKENS_PATH),
            base_url: middleware::site_base(&state.auth.config),
        })
    })
    .await
}

/// Creates a personal access token for the signed-in person, who enters
/// their password again: a stolen session alone cannot become a lasting
/// token. The token is in the answer, and nowhere else, ever again.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(
    name: String,
    expires_in_days: String,
    #[server(default)] password: String,
) -> Result<IssuedTokenView, AppError> {
    use crate::server::{self, auth, http::middleware, tokens};

    respond(async {
        let (current, member) = middleware::current_member()?;
        let expiry = tokens::parse_expiry(&expires_in_days)?;
        let now = chrono::Utc::now().naive_utc();
        let state = server::state()?;
        let db = state.db.clone();
        auth::confirm_password(
            &db,
            &state.auth.limiter,
            &current.viewer.email,
            &password,
            &middleware::client_info(),
            now,
        )
        .await?;
        let issued = tokens::create(&db, member.person_id, &name, expiry, now).await?;
        tracing::info!(name = %issued.name, person = %member.person_id, "access token created");
        if super::is_html_form_post() {
            super::keep_one_time(ISSUED_TOKEN_COOKIE, TOKENS_PATH, &issued);
        }
        Ok(issued)
    })
    .await
}

/// Revokes a token: one's own, or, for admins, anyone's. Answers its name.
#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Result<String, AppError> {
    use crate::server::{self, http::middleware, tokens};

    respond(async {
        let (_, member) = middleware::current_member()?;
        let id = uuid::Uuid::parse_str(id.trim())
            .map_err(|_| AppError::validation("id", "choose a token from the list"))?;
        let now = chrono::Utc::now().naive_utc();
        let name = tokens::revoke(&server::db()?, id, &member, now).await?;
        tracing::info!(%id, by = %member.person_id, "access token revoked");
        Ok(name)
    })
    .await
}

/// The JSON API's operations, read from its OpenAPI document.
#[server(prefix = "/api", endpoint = "api_reference", input = GetUrl)]
pub async fn get_api_reference() -> Result<ApiReference, AppError> {
    respond(async {
        crate::server::http::middleware::current_member()?;
        let state = crate::server::state()?;
        Ok(crate::server::http::api_v1::reference(
            &crate::server::http::middleware::site_base(&state.auth.config),
        ))
    })
    .await
}
