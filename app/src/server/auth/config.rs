//! Sign-in settings from the environment, and the state the process keeps
//! for signing in. The rate limits themselves are counted in the database
//! ([`crate::server::limits`]), shared by every server.

use crate::server::limits::Limiter;
use crate::server::tokens::DEFAULT_API_REQUESTS_PER_MINUTE;

/// Sign-in settings from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthConfig {
    /// `RUNWAY_PUBLIC_URL`: the address people reach the site at, such as
    /// `https://okr.example.com`. It makes the session cookie `Secure` when
    /// it is https, is the base of invitation and reset links, and is
    /// accepted as a same-site `Origin` besides the request's own host.
    pub public_url: Option<String>,
    /// `RUNWAY_BEHIND_PROXY`: the server is reached only through a reverse
    /// proxy that appends the client's address to `X-Forwarded-For`; that
    /// address, not the proxy's, is the client's for the sign-in limits and
    /// the session rows.
    pub behind_proxy: bool,
    /// `RUNWAY_API_REQUESTS_PER_MINUTE`: how many requests one personal
    /// access token may make to the JSON API per minute (default 600);
    /// beyond, 429 with `Retry-After`.
    pub api_requests_per_minute: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            public_url: None,
            behind_proxy: false,
            api_requests_per_minute: DEFAULT_API_REQUESTS_PER_MINUTE,
        }
    }
}

impl AuthConfig {
    pub fn from_env() -> AuthConfig {
        AuthConfig {
            api_requests_per_minute: std::env::var("RUNWAY_API_REQUESTS_PER_MINUTE")
                .ok()
                .and_then(|value| value.trim().parse().ok())
                .filter(|limit| *limit > 0)
                .unwrap_or(DEFAULT_API_REQUESTS_PER_MINUTE),
            public_url: std::env::var("RUNWAY_PUBLIC_URL")
                .ok()
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .filter(|url| !url.is_empty()),
            behind_proxy: std::env::var("RUNWAY_BEHIND_PROXY")
                .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes")),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.to_ascii_lowercase().starts_with("https://"))
    }
}

/// Sign-in state kept by the process: the settings, and the limiter (the
/// counts are the database's; it remembers the buckets it saw full).
#[derive(Debug, Default)]
pub struct AuthState {
    pub config: AuthConfig,
    pub limiter: Limiter,
}

impl AuthState {
    pub fn new(config: AuthConfig) -> AuthState {
        AuthState {
            config,
            limiter: Limiter::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_only_behind_https() {
        let http = AuthConfig {
            public_url: Some("http://okr.local".into()),
            ..AuthConfig::default()
        };
        let https = AuthConfig {
            public_url: Some("https://okr.example.com".into()),
            ..AuthConfig::default()
        };
        assert!(!AuthConfig::default().secure_cookies());
        assert!(!http.secure_cookies());
        assert!(https.secure_cookies());
    }
}
