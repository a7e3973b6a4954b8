//! The request-level rules of sign-in, as axum middleware the server wires in:
//! refuse cross-site writes, find the session of the cookie, and send
//! visitors without one to the sign-in page.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use crate::error::AppError;
use crate::server::AppState;
use crate::server::auth::{self, CurrentSession, SESSION_COOKIE, SessionLookupFailed};

fn refusal(error: AppError) -> Response {
    let status = error.status_code();
    let body = serde_json::to_string(&error).unwrap_or_default();
    let mut response = (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response();
    if let Some(seconds) = error.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// How many uses of invitation and reset links one server handles at
/// once. A person uses a link once; more at once than this is a flood of
/// guessed tokens, and each waiting request holds memory.
pub const LINK_USES_AT_ONCE: usize = 16;

/// Answers uses of invitation and reset links beyond [`LINK_USES_AT_ONCE`]
/// in flight with 503 and `Retry-After` at once, before any work: a flood
/// of bad tokens then costs the server a few kilobytes a request, however
/// many arrive together.
pub async fn shed_link_floods(
    State(slots): State<std::sync::Arc<tokio::sync::Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(
        request.uri().path(),
        "/api/accept_invite" | "/api/reset_password"
    ) {
        return next.run(request).await;
    }
    match slots.try_acquire() {
        Ok(_slot) => next.run(request).await,
        Err(_) => refusal(AppError::Busy { retry_after: 1 }),
    }
}

/// `scheme://host[:port]` of a URL, lower-cased: what an `Origin` header holds.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    match parsed.origin() {
        url::Origin::Tuple(..) => Some(parsed.origin().ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Whether `source` (an `Origin` or `Referer`) is this site: the host the
/// request was sent to, or the configured public URL.
fn is_same_site(source: &str, headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let Some(source) = origin_of(source) else {
        return false;
    };
    if public_url
        .and_then(origin_of)
        .is_some_and(|public| public == source)
    {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    ["http", "https"]
        .iter()
        .any(|scheme| origin_of(&format!("{scheme}://{host}/")).is_some_and(|own| own == source))
}

/// Refuses, with 403 and before any server function runs, every request that
/// may change something and comes from another site: an `Origin` (or, with
/// none, a `Referer`) that is not this site, or `Sec-Fetch-Site: cross-site`.
/// Requests with none of these headers (curl, scripts) still need a session.
pub async fn refuse_cross_site_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // An unsubscribe link is its own authority (a signature, not a
    // cookie), and a mail provider's one-click POST comes from anywhere.
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with("/unsubscribe/")
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"cross-site"));
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .map(|value| value.to_str().unwrap_or("invalid"));
    let foreign = source.is_some_and(|source| {
        !is_same_site(source, headers, state.auth.config.public_url.as_deref())
    });
    if cross_site || foreign {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            origin = source.unwrap_or("-"),
            "refused a cross-site write"
        );
        return refusal(AppError::forbidden(
            "cross-site request refused: this form must be sent from RunwayOKR itself",
        ));
    }
    next.run(request).await
}

/// The one place the framework's own errors become ours: a server function
/// whose arguments could not be read (missing, wrongly encoded, a body over
/// the limit) answers 400 or 413 naming the argument, not 500.
pub async fn name_unreadable_requests(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return refusal(AppError::Internal);
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(AppError::ServerFn(error)) => {
            let mapped = AppError::from_framework(error);
            if mapped.status_code().is_server_error() {
                tracing::error!(error = %mapped, "server function failed");
                return Response::from_parts(parts, axum::body::Body::from(bytes));
            }
            let mut response = refusal(mapped);
            if let Some(path) = parts.headers.get("serverfnerror") {
                response.headers_mut().insert("serverfnerror", path.clone());
            }
            response
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// The session token of a request's cookie header.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == SESSION_COOKIE)
        .map(|cookie| cookie.value().to_owned())
        .filter(|token| !token.is_empty())
}

/// The `Set-Cookie` value of a session cookie; `None` clears it.
pub fn session_cookie(token: Option<&str>, secure: bool) -> Option<HeaderValue> {
    let max_age = match token {
        Some(_) => cookie::time::Duration::seconds(auth::SESSION_LIFETIME.num_seconds()),
        None => cookie::time::Duration::ZERO,
    };
    let cookie = cookie::Cookie::build((SESSION_COOKIE, token.unwrap_or_default().to_owned()))
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .path("/")
        .max_age(max_age)
        .secure(secure)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// Pages anyone may open: signing in, the one-time links, unsubscribe
/// links (signed; see `messages::unsubscribe`), and everything
/// that is not a page (server functions answer 401 themselves; static files).
fn is_public(path: &str) -> bool {
    path == "/sign-in"
        || path.starts_with("/invite/")
        || path.starts_with("/reset/")
        || path.starts_with("/unsubscribe/")
        || path.starts_with("/api/")
        || is_static(path)
}

/// The wasm bundle, styles and other files: served alike to everyone, so
/// their requests need no session lookup.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Page loads take a turn from `permits` (`MAX_CONCURRENT_PAGES`) while
/// they load their data and render, and wait for one when all are taken:
/// a burst of page loads queues here, bounded by the request timeout,
/// rather than holding every page's data and markup in memory at once.
/// Server functions, the API and static files do not wait.
///
/// A page is rendered whole before it is sent, so it goes out whole too:
/// one body with its `Content-Length` instead of Leptos' stream of chunks,
/// which took a write (and a system call) each.
///
/// A page that has its turn is rendered to the end, in a task of its own
/// that keeps the turn, even when its client goes away or the request times
/// out. Dropped halfway, Leptos disposes of the page's reactive values while
/// a `<Suspense>` effect may still walk them on another thread, and that
/// walk panics ("a reactive value that has already been disposed"; the
/// demo's load saw it about once in ten `wrk` runs, each ending with 32
/// requests in flight). With backtraces on, the first such panic alone left
/// the process some 40 MiB larger for good.
pub async fn pages_in_turn(
    State(permits): State<std::sync::Arc<tokio::sync::Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !request.uri().path().starts_with("/api/")
        && !is_static(request.uri().path());
    if !is_page {
        return next.run(request).await;
    }
    // The semaphore is never closed; without a permit the page goes ahead.
    let turn = permits.acquire_owned().await.ok();
    let rendering = tokio::spawn(async move {
        let _turn = turn;
        whole_page(next.run(request).await).await
    });
    rendering.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a page could not be rendered");
        refusal(AppError::Internal)
    })
}

/// Whether `response` is an HTML page.
fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
}

/// A page's response with its body in one piece. Pages render in
/// `SsrMode::Async`: the markup is already one string in memory, and what
/// follows it is a few closing scripts.
async fn whole_page(response: Response) -> Response {
    if !is_html(&response) || response.headers().contains_key(header::CONTENT_LENGTH) {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => Response::from_parts(parts, axum::body::Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            refusal(AppError::Internal)
        }
    }
}

/// Where a signed-in user with no team may go.
const NO_TEAM_PAGE: &str = "/no-team";

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// Finds the session of the request's cookie and puts it into the request's
/// extensions for the server functions ([`current_session`]). Pages need a
/// session: without one, a page request is sent to `/sign-in?next=…`, and a
/// user who is not a member of any team to `/no-team`.
pub async fn sessions(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let now = chrono::Utc::now().naive_utc();
    let mut renewed = None;
    let mut lookup_failed = false;
    // A request that may write (any method but GET, HEAD and OPTIONS) reads
    // its session and role from the database, never from memory: a
    // demotion holds from the very next write, however late its notice.
    let may_write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let token = session_token(request.headers()).filter(|_| !is_static(request.uri().path()));
    if let Some(token) = token {
        let found = if may_write {
            auth::resolve_session(&state.db, &token, now).await
        } else {
            state.remembered.session(&state.db, &token, now).await
        };
        match found {
            Ok(Some(current)) => {
                if current.renewed_until.is_some() {
                    renewed = session_cookie(Some(&token), state.auth.config.secure_cookies());
                }
                request.extensions_mut().insert(current);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, "session lookup failed");
                lookup_failed = true;
                request.extensions_mut().insert(SessionLookupFailed);
            }
        }
    }

    let path = request.uri().path();
    let is_page_read = matches!(*request.method(), Method::GET | Method::HEAD) && !is_public(path);
    if is_page_read && !lookup_failed {
        match request.extensions().get::<CurrentSession>() {
            None => {
                let here = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |path_and_query| path_and_query.as_str());
                let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
                return see_other(&format!("/sign-in?next={next}"));
            }
            Some(current) if current.viewer.member.is_none() && path != NO_TEAM_PAGE => {
                return see_other(NO_TEAM_PAGE);
            }
            Some(_) => {}
        }
    }

    // A request that may write may change who is signed in (a sign-out, a
    // role, a person made inactive) or what a dashboard shows: what is
    // remembered is forgotten once it is done, so the next request sees
    // the change. Changes by anyone else arrive as notices.
    let mut response = next.run(request).await;
    if may_write {
        state.remembered.forget_all();
    }
    if let Some(cookie) = renewed {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The dashboard page, sent again as it was rendered for the same viewer,
/// address and day while nothing it shows has changed (see
/// [`crate::server::remembered::PageKey`]); rendered, and remembered, when
/// it is not. While the server remembers reads (PostgreSQL, listening for
/// changes), a remembered page is sent as it is: never more than
/// [`crate::server::remembered::TRUST_FOR`] behind the database. Otherwise
/// `okr_version` is read first, and the page is sent again only if it was
/// rendered at the same version; else it is rendered (reading its
/// dashboard after that version was read) and remembered at it.
/// Inside [`sessions`], whose session it needs.
pub async fn remembered_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    use crate::server::remembered::RememberedPage;

    let Some(key) = page_key(&request) else {
        return next.run(request).await;
    };
    let generation = state.remembered.page_generation();
    let mut version = None;
    if state.remembered.is_listening() {
        if let Some(page) = state.remembered.page(&key) {
            return page.response();
        }
    } else {
        // A version that cannot be read here leaves the page to read, and
        // show the error of, its own dashboard; it is not remembered.
        match crate::server::queries::dashboard::okr_version(&state.db).await {
            Ok(read) => {
                if let Some(page) = state.remembered.page_at_version(&key, read) {
                    return page.response();
                }
                version = Some(read);
            }
            Err(error) => tracing::warn!(%error, "reading okr_version failed"),
        }
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK
        || !is_html(&response)
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            // Rendered across midnight, it may show either day's pace.
            if chrono::Utc::now().date_naive() == key.today {
                let page = RememberedPage::new(parts.headers.clone(), bytes.clone(), version);
                state.remembered.remember_page(key, generation, page);
            }
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered");
            refusal(AppError::Internal)
        }
    }
}

/// What a request for the dashboard page is remembered by, if it is one
/// with a session.
fn page_key(request: &Request) -> Option<crate::server::remembered::PageKey> {
    if request.method() != Method::GET || request.uri().path() != "/" {
        return None;
    }
    let session = request.extensions().get::<CurrentSession>()?;
    Some(crate::server::remembered::PageKey {
        uri: request.uri().path_and_query()?.as_str().to_owned(),
        viewer: session.viewer.clone(),
        today: chrono::Utc::now().date_naive(),
    })
}

/// The session of the current request, for server functions: 401 without
/// one, 503 when the database could not say.
pub fn current_session() -> Result<CurrentSession, AppError> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()
        .ok_or_else(AppError::unauthorized)?;
    if parts.extensions.get::<SessionLookupFailed>().is_some() {
        return Err(AppError::Unavailable);
    }
    parts
        .extensions
        .get::<CurrentSession>()
        .cloned()
        .ok_or_else(AppError::unauthorized)
}

/// The signed-in person and their team and role: 403 for a user who is not a
/// member of any team.
pub fn current_member() -> Result<(CurrentSession, domain::access::Member), AppError> {
    let current = current_session()?;
    let member = current
        .viewer
        .member
        .ok_or_else(|| AppError::forbidden("you are not a member of any team yet"))?;
    Ok((current, member))
}

/// The client's address and browser, for the session row and rate limits.
pub fn client_info() -> auth::ClientInfo {
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return auth::ClientInfo::default();
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let behind_proxy = crate::server::state().is_ok_and(|state| state.auth.config.behind_proxy);
    auth::ClientInfo {
        ip: client_ip(peer, &parts.headers, behind_proxy).map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect()),
    }
}

/// The client's address: the connection's, or, behind a reverse proxy that
/// the configuration trusts, the last address the proxy appended to
/// `X-Forwarded-For` (earlier ones are the client's to forge).
fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    behind_proxy: bool,
) -> Option<std::net::IpAddr> {
    if behind_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|address| address.trim().parse().ok())
            .next_back();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer
}

/// The base of links the site hands out: the public URL, or the host the
/// request came to.
pub fn site_base(config: &auth::AuthConfig) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let host = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    format!("http://{host}")
}

/// A request's path as it may be logged: the token of an invitation or
/// reset link (`/invite/<token>`, `/reset/<token>`) masked, since it grants
/// the account, and an unsubscribe link's person and signature. Query strings are never logged.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for page in ["/invite/", "/reset/", "/unsubscribe/"] {
        if let Some(token) = path.strip_prefix(page)
            && !token.is_empty()
        {
            return format!("{page}***").into();
        }
    }
    path.into()
}

/// The Content-Security-Policy: the site's own scripts, styles, images and
/// connections only, WebAssembly compiled by the browser for the islands,
/// no plugins, no `<base>` elsewhere, forms posting back here only, and no
/// framing. A page's two small inline scripts (Leptos's resource
/// bookkeeping) and its stylesheet carry the page's `nonce`, which its
/// policy names; nothing else inline runs or styles. Under `cargo leptos watch`, whose reload script is
/// inline and talks to its own port, inline scripts and local websockets
/// are allowed too.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let watching = *WATCHING;
    let mut script = "'self' 'wasm-unsafe-eval'".to_owned();
    let mut style = "'self'".to_owned();
    if let Some(nonce) = nonce {
        script.push_str(&format!(" 'nonce-{nonce}'"));
        style.push_str(&format!(" 'nonce-{nonce}'"));
    }
    let mut connect = "'self'".to_owned();
    if watching {
        script.push_str(" 'unsafe-inline'");
        connect.push_str(" ws://127.0.0.1:* ws://localhost:*");
    }
    format!(
        "default-src 'self'; script-src {script}; style-src {style}; img-src 'self' data:; \
         font-src 'self'; connect-src {connect}; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Whether the server runs under `cargo leptos watch`.
static WATCHING: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("LEPTOS_WATCH").is_some());

/// The policy of every response that sets none itself (a page sets its
/// own, with its nonce).
static CSP: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    HeaderValue::from_str(&content_security_policy(None))
        .unwrap_or_else(|_| HeaderValue::from_static("frame-ancestors 'none'"))
});

/// Pages and answers that may show a secret (a new API token, an
/// invitation or reset link, a token in the address): never kept by a
/// browser's or proxy's cache.
fn shows_secrets(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/openapi")
        || ["/settings/tokens", "/admin", "/invite", "/reset"]
            .iter()
            .any(|page| {
                path.strip_prefix(page)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
}

/// The headers every response carries, unless it set its own: the
/// Content-Security-Policy, no MIME sniffing, no framing by other sites, no
/// full URLs in `Referer`, `Cache-Control: no-store` where a secret may
/// show and, when the site is served over https (`https`), HSTS.
pub async fn security_headers(
    axum::extract::State(https): axum::extract::State<bool>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use http::header::{
        CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
        X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
    };
    let no_store = shows_secrets(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name, value: HeaderValue| {
        headers.entry(name).or_insert(value);
    };
    set(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set(CONTENT_SECURITY_POLICY, CSP.clone());
    set(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if no_store {
        set(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        set(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_policy_allows_only_the_pages_own_inline_scripts() {
        let served = content_security_policy(None);
        assert!(
            served.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{served}"
        );
        assert!(!served.contains("unsafe-inline"), "{served}");
        assert!(served.contains("frame-ancestors 'none'"), "{served}");
        let page = content_security_policy(Some("abc_-1"));
        assert!(
            page.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc_-1';"),
            "{page}"
        );
        assert!(page.contains("style-src 'self' 'nonce-abc_-1';"), "{page}");
        assert!(served.contains("style-src 'self';"), "{served}");
    }

    #[test]
    fn link_tokens_are_masked_in_logged_paths() {
        assert_eq!(loggable_path("/invite/abc123"), "/invite/***");
        assert_eq!(loggable_path("/reset/abc123"), "/reset/***");
        assert_eq!(loggable_path("/kr/42"), "/kr/42");
        assert_eq!(loggable_path("/invite/"), "/invite/");
    }

    #[test]
    fn pages_with_secrets_are_not_cached() {
        for path in [
            "/settings/tokens",
            "/admin/people",
            "/invite/abc",
            "/reset/abc",
            "/api/create_token",
        ] {
            assert!(shows_secrets(path), "{path}");
        }
        for path in [
            "/",
            "/pkg/runway-okr.css",
            "/administrators",
            "/resets",
            "/api/v1/openapi.json",
        ] {
            assert!(!shows_secrets(path), "{path}");
        }
    }

    #[test]
    fn the_site_itself_is_same_site() {
        let headers = host("127.0.0.1:3000");
        assert!(is_same_site("http://127.0.0.1:3000", &headers, None));
        assert!(is_same_site("http://127.0.0.1:3000/kr/1", &headers, None));
        assert!(!is_same_site("http://127.0.0.1:3001", &headers, None));
        assert!(!is_same_site("https://evil.example", &headers, None));
        assert!(!is_same_site("null", &headers, None));
    }

    #[test]
    fn the_public_url_is_same_site_behind_a_proxy() {
        let headers = host("10.0.0.5:3000");
        let public = Some("https://okr.example.com");
        assert!(is_same_site("https://okr.example.com", &headers, public));
        assert!(!is_same_site(
            "https://okr.example.com.evil",
            &headers,
            public
        ));
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let peer = Some("10.0.0.2".parse().unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 192.0.2.7"),
        );
        assert_eq!(client_ip(peer, &headers, false), peer);
        assert_eq!(
            client_ip(peer, &headers, true),
            Some("192.0.2.7".parse().unwrap())
        );
        assert_eq!(client_ip(peer, &HeaderMap::new(), true), peer);
    }

    #[test]
    fn only_pages_need_a_session() {
        assert!(!is_public("/"));
        assert!(!is_public("/kr/123"));
        assert!(!is_public("/admin/people"));
        assert!(is_public("/sign-in"));
        assert!(is_public("/invite/abc"));
        assert!(is_public("/api/health"));
        assert!(is_public("/pkg/runway-okr.js"));
        assert!(is_public("/favicon.svg"));
    }

    #[test]
    fn the_session_cookie_has_its_flags() {
        let cookie = session_cookie(Some("t0k3n"), false).unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with("runway_session=t0k3n"));
        for flag in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
            assert!(cookie.contains(flag), "{cookie}");
        }
        assert!(!cookie.contains("Secure"));
        let secure = session_cookie(Some("t"), true).unwrap();
        assert!(secure.to_str().unwrap().contains("Secure"));
        let cleared = session_cookie(None, false).unwrap();
        assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    }
}
