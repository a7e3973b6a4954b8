//! The key result page reads a bounded amount, however long the history:
//! one page of 20 check-ins, newest first, and the latest 200 for the chart,
//! on SQLite and PostgreSQL.

use app::server::queries::key_results::{CHART_MAX_POINTS, HISTORY_PAGE_SIZE, key_result_detail};
use chrono::{NaiveDate, TimeDelta};
use domain::ConfidenceLevel;
use entity::{check_in, key_result};
use migration::testing::TestDb;
use rust_decimal::Decimal;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use uuid::Uuid;

const ADDED: u64 = 245;

migration::backend_test!(
    a_long_history_is_paged_and_the_chart_is_bounded,
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
        let seeded = check_in::Entity::find()
            .filter(check_in::Column::KrId.eq(key_result.id))
            .count(db)
            .await
            .expect("count");
        // After the seed's check-ins: one an hour from Feb 1, values 1, 2, 3…
        let start = NaiveDate::from_ymd_opt(2025, 2, 1)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .expect("a date");
        let rows = (1..=ADDED).map(|n| check_in::ActiveModel {
            id: Set(Uuid::new_v4()),
            kr_id: Set(key_result.id),
            value: Set(Decimal::from(n)),
            confidence: Set(ConfidenceLevel::Green),
            note: Set(None),
            created_by: Set(key_result.owner_id),
            created_at: Set(start + TimeDelta::hours(i64::try_from(n).expect("small"))),
        });
        check_in::Entity::insert_many(rows)
            .exec(db)
            .await
            .expect("insert the history");
        let total = seeded + ADDED;
        let today = NaiveDate::from_ymd_opt(2025, 3, 31).expect("a date");

        let first = key_result_detail(db, key_result.id, today, 1)
            .await
            .expect("read")
            .expect("the key result");
        assert_eq!(first.total_check_ins, total);
        assert_eq!(first.history.len() as u64, HISTORY_PAGE_SIZE);
        assert_eq!(first.history[0].value, Decimal::from(ADDED), "newest first");
        assert_eq!(first.pages(), total.div_ceil(HISTORY_PAGE_SIZE));
        let chart = &first.key_result.check_ins;
        assert_eq!(chart.len() as u64, CHART_MAX_POINTS, "the chart is bounded");
        assert_eq!(
            chart.last().map(|point| point.value),
            Some(Decimal::from(ADDED)),
            "the chart keeps the latest points, oldest first"
        );
        assert!(
            chart
                .windows(2)
                .all(|pair| pair[0].created_at <= pair[1].created_at)
        );

        let second = key_result_detail(db, key_result.id, today, 2)
            .await
            .expect("read")
            .expect("the key result");
        assert_eq!(
            second.history[0].value,
            Decimal::from(ADDED - HISTORY_PAGE_SIZE),
            "page 2 goes on where page 1 stopped"
        );

        let last_page = first.pages();
        let last = key_result_detail(db, key_result.id, today, last_page)
            .await
            .expect("read")
            .expect("the key result");
        let expected_last = total - (last_page - 1) * HISTORY_PAGE_SIZE;
        assert_eq!(last.history.len() as u64, expected_last);
        let beyond = key_result_detail(db, key_result.id, today, last_page + 1)
            .await
            .expect("read")
            .expect("the key result");
        assert!(beyond.history.is_empty());

        test_db.close().await.expect("drop the test database");
    }
);
