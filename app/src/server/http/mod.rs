//! The HTTP adapters that are not server functions: the versioned REST API
//! (`/api/v1`) and the middleware every request passes (sessions, origin
//! checks, limits, timeouts), and a folded team's dashboard rows. CSV uploads and downloads live with the
//! import, in `transfer::http`. Adapters parse and answer; they call
//! `commands` to write and `queries` to read.

pub mod api_v1;
pub mod dashboard_team;
pub mod middleware;
