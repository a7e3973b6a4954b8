//! Runs the real router on a free port, for tests that talk HTTP to it.

use std::net::SocketAddr;
use std::time::Duration;

use app::server::AppState;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

/// The server's options as `cargo leptos` would give them, minus the files.
pub fn leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("runway-okr")
        .site_root("target/site")
        .site_pkg_dir("pkg")
        .build()
}

/// The router of `server::router`, served on 127.0.0.1 at a port of its own
/// until dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    task: JoinHandle<()>,
}

impl TestServer {
    pub async fn start(db: DatabaseConnection) -> TestServer {
        let app = server::router(AppState {
            leptos_options: leptos_options(),
            db,
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr = listener.local_addr().expect("the bound address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        TestServer { addr, client, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
