//! RunwayOKR's schema, table by table.
//!
//! Every module is one table: its `Model`, `Entity`, `Column`, `ActiveModel`
//! and relations. Server-only: the browser uses the `domain` types, and the
//! value sets stored in columns (unit, direction, confidence, role) are
//! `domain`'s enums.

mod entities;
pub use entities::*;

pub mod prelude {
    pub use crate::entities::account::Entity as Account;
    pub use crate::entities::api_idempotency::Entity as ApiIdempotency;
    pub use crate::entities::api_token::Entity as ApiToken;
    pub use crate::entities::check_in::Entity as CheckIn;
    pub use crate::entities::company_team::Entity as CompanyTeam;
    pub use crate::entities::import_record::Entity as ImportRecord;
    pub use crate::entities::import_upload::Entity as ImportUpload;
    pub use crate::entities::key_result::Entity as KeyResult;
    pub use crate::entities::key_result_trend::Entity as KeyResultTrend;
    pub use crate::entities::notification_setting::Entity as NotificationSetting;
    pub use crate::entities::objective::Entity as Objective;
    pub use crate::entities::objective_alignment::Entity as ObjectiveAlignment;
    pub use crate::entities::okr_user::Entity as OkrUser;
    pub use crate::entities::okr_version::Entity as OkrVersion;
    pub use crate::entities::outbox_message::Entity as OutboxMessage;
    pub use crate::entities::periodic_job::Entity as PeriodicJob;
    pub use crate::entities::person_role::Entity as PersonRole;
    pub use crate::entities::quarter::Entity as Quarter;
    pub use crate::entities::rate_limit_hit::Entity as RateLimitHit;
    pub use crate::entities::session::Entity as Session;
    pub use crate::entities::team::Entity as Team;
    pub use crate::entities::team_message_setting::Entity as TeamMessageSetting;
    pub use crate::entities::user::Entity as User;
    pub use crate::entities::verification::Entity as Verification;
}
