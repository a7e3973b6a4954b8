//! The order of check-ins recorded for past days, on SQLite and PostgreSQL.
//!
//! A check-in dated a past day (or clamped to the last day of a quarter that
//! is over) is stored at that date with the clock time of recording. Two such
//! recordings on different days must still keep their recording order: the
//! later one becomes the key result's current value.

use app::server::commands::check_ins::record;
use chrono::{NaiveDate, NaiveDateTime};
use domain::ConfidenceLevel;
use domain::commands::NewCheckIn;
use entity::key_result;
use migration::testing::TestDb;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

fn at(year: i32, month: u32, day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|date| date.and_hms_opt(hour, 0, 0))
        .expect("a valid time")
}

migration::backend_test!(
    a_later_recording_for_the_same_past_day_becomes_current,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let key_result = key_result::Entity::find()
            .filter(key_result::Column::Title.starts_with("Boost partner airline"))
            .one(db)
            .await
            .expect("query")
            .expect("the seeded key result");
        // Its owner, who may always check in on it, whatever their role.
        let author = key_result.owner_id;
        let input = |value: i64, date: Option<NaiveDate>| NewCheckIn {
            key_result_id: key_result.id,
            value: Decimal::from(value),
            confidence: ConfidenceLevel::Amber,
            note: None,
            author_id: author,
            date,
        };

        // Long after 2025-Q1: both land on its last day. The first is recorded
        // in the afternoon, the second the next morning.
        record(db, input(3_600_000, None), at(2026, 11, 26, 15))
            .await
            .expect("the first recording");
        let second = record(db, input(3_700_000, None), at(2026, 11, 27, 9))
            .await
            .expect("the second recording");
        assert_eq!(
            second.created_at.date(),
            NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()
        );

        // Back-dated to the same earlier day, again morning after afternoon.
        let feb_3 = NaiveDate::from_ymd_opt(2025, 2, 3);
        let afternoon = record(db, input(3_200_000, feb_3), at(2026, 11, 26, 16))
            .await
            .expect("a back-dated recording");
        let morning = record(db, input(3_250_000, feb_3), at(2026, 11, 27, 8))
            .await
            .expect("a later back-dated recording");
        assert!(morning.created_at > afternoon.created_at);

        let stored = key_result::Entity::find_by_id(key_result.id)
            .one(db)
            .await
            .expect("query")
            .expect("the key result");
        assert_eq!(stored.current_value, Decimal::from(3_700_000));
        test_db.close().await.expect("drop the test database");
    }
);
