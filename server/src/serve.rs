//! Serving the router over TCP with the limits a server on a company network
//! needs: a half-sent request header is dropped after a timeout, and a
//! shutdown waits for open requests only so long.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::Service;

/// The limits on requests and connections, from the environment.
///
/// | variable | default |
/// |---|---|
/// | `MAX_BODY_BYTES` | 16384 |
/// | `REQUEST_TIMEOUT_SECS` | 30 |
/// | `HEADER_READ_TIMEOUT_SECS` | 10 |
/// | `SHUTDOWN_GRACE_SECS` | 10 |
/// | `SHUTDOWN_DRAIN_MS` | 2000 |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// How long one request may take before it is answered 408.
    pub request_timeout: Duration,
    /// How long a client may take to send a request's header.
    pub header_read_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
    /// How long a server that was told to stop goes on serving with its
    /// health check failing, so a load balancer takes it out of rotation
    /// before it stops taking connections.
    pub drain: Duration,
    /// How many pages render at once; more wait their turn. A page's data
    /// and markup live while it renders (about a megabyte for a quarter of
    /// 210 key results), so this bounds the memory a burst of page loads
    /// takes. Rendering is CPU work: more than a few per core adds nothing.
    pub max_concurrent_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024,
            request_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
            drain: Duration::from_secs(2),
            max_concurrent_pages: 4 * std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

impl Limits {
    pub fn from_env() -> Result<Limits, app::server::db::ConfigError> {
        use app::server::db::var;
        let default = Limits::default();
        Ok(Limits {
            max_body_bytes: var("MAX_BODY_BYTES", default.max_body_bytes)?,
            request_timeout: Duration::from_secs(var(
                "REQUEST_TIMEOUT_SECS",
                default.request_timeout.as_secs(),
            )?),
            header_read_timeout: Duration::from_secs(var(
                "HEADER_READ_TIMEOUT_SECS",
                default.header_read_timeout.as_secs(),
            )?),
            shutdown_grace: Duration::from_secs(var(
                "SHUTDOWN_GRACE_SECS",
                default.shutdown_grace.as_secs(),
            )?),
            drain: Duration::from_millis(var(
                "SHUTDOWN_DRAIN_MS",
                u64::try_from(default.drain.as_millis()).unwrap_or(2_000),
            )?),
            max_concurrent_pages: var("MAX_CONCURRENT_PAGES", default.max_concurrent_pages)?.max(1),
        })
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits at
/// most `limits.shutdown_grace` for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // A page goes out in several writes (the markup, then Leptos's
        // closing scripts): with Nagle's algorithm on, the last ones waited
        // for the client's acknowledgement of the first.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %remote, "cannot set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            router.clone().call(request)
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(
                "requests still open after {:?}; stopping anyway",
                limits.shutdown_grace
            );
        }
    }
    Ok(())
}
