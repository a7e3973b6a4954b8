// Better Auth's tables, kept verbatim (camelCase columns) for the sign-in story.
pub mod account;
pub mod session;
pub mod user;
pub mod verification;

// RunwayOKR's own tables.
pub mod check_in;
pub mod import_record;
pub mod key_result;
pub mod objective;
pub mod okr_user;
pub mod quarter;
pub mod team;

// Added by later migrations; the spec's tables keep exactly their columns.
pub mod api_idempotency;
pub mod api_token;
pub mod company_team;
pub mod import_upload;
pub mod key_result_trend;
pub mod notification_setting;
pub mod objective_alignment;
pub mod okr_version;
pub mod outbox_message;
pub mod periodic_job;
pub mod person_role;
pub mod rate_limit_hit;
pub mod team_message_setting;
