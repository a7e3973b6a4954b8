//! What the database itself enforces: cascading and blocking foreign keys,
//! exact numeric(15,2) values, and the CHECK constraints on unit, direction
//! and confidence, plus the Rust enums refusing the same bad values.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use domain::{ConfidenceLevel, Direction, Unit};
use entity::{check_in, key_result, objective, okr_user, quarter, team};
use migration::testing::{Backend, TestDb};
use rust_decimal::Decimal;
use sea_orm_migration::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    ModelTrait, PaginatorTrait, QueryFilter, Set, Statement, Value,
};
use uuid::Uuid;

fn decimal(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap_or_else(|error| panic!("{text:?}: {error}"))
}

fn noon() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 2, 3)
        .and_then(|day| day.and_hms_opt(12, 0, 0))
        .expect("a valid timestamp")
}

async fn insert_team(db: &DatabaseConnection, name: &str) -> team::Model {
    team::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_owned()),
        organization_id: Set(None),
        archived: Set(false),
        created_at: Set(noon()),
        updated_at: Set(noon()),
    }
    .insert(db)
    .await
    .expect("insert a team")
}

async fn insert_user(db: &DatabaseConnection, team_id: Uuid, email: &str) -> okr_user::Model {
    okr_user::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(email.to_owned()),
        name: Set("Test Owner".to_owned()),
        team_id: Set(team_id),
        organization_id: Set(None),
        active: Set(true),
        created_at: Set(noon()),
        updated_at: Set(noon()),
    }
    .insert(db)
    .await
    .expect("insert a user")
}

/// A team, its owner, a quarter and an objective: everything a key result needs.
async fn insert_objective(db: &DatabaseConnection) -> (okr_user::Model, objective::Model) {
    let team = insert_team(db, "Test Team").await;
    let owner = insert_user(db, team.id, "owner@example.com").await;
    let quarter = quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set("2030-Q1".to_owned()),
        start_at: Set(NaiveDate::from_ymd_opt(2030, 1, 1).expect("a date")),
        end_at: Set(NaiveDate::from_ymd_opt(2030, 3, 31).expect("a date")),
        organization_id: Set(None),
        archived: Set(false),
        notes: Set(None),
        created_at: Set(noon()),
        updated_at: Set(noon()),
    }
    .insert(db)
    .await
    .expect("insert a quarter");
    let objective = objective::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set("Test objective".to_owned()),
        team_id: Set(team.id),
        quarter_id: Set(quarter.id),
        owner_id: Set(owner.id),
        organization_id: Set(None),
        created_at: Set(noon()),
        updated_at: Set(noon()),
    }
    .insert(db)
    .await
    .expect("insert an objective");
    (owner, objective)
}

migration::backend_test!(
    deleting_an_objective_deletes_its_key_results_and_check_ins,
    |backend| async move {
        let Some(test_db) = TestDb::seeded(backend).await else {
            return;
        };
        let db = &test_db.db;
        let doomed = objective::Entity::find()
            .filter(objective::Column::Title.eq("Grow Direct Channel Revenue"))
            .one(db)
            .await
            .expect("query objectives")
            .expect("the seeded objective");
        let doomed_key_results: Vec<Uuid> = doomed
            .find_related(key_result::Entity)
            .all(db)
            .await
            .expect("load its key results")
            .into_iter()
            .map(|kr| kr.id)
            .collect();
        let check_ins_of = || {
            check_in::Entity::find()
                .filter(check_in::Column::KrId.is_in(doomed_key_results.clone()))
        };
        let doomed_check_ins = check_ins_of().count(db).await.expect("count its check-ins");
        assert_eq!(doomed_key_results.len(), 3);
        assert!(
            doomed_check_ins > 0,
            "the seeded key results have check-ins"
        );
        let key_results_before = key_result::Entity::find()
            .count(db)
            .await
            .expect("count key results");
        let check_ins_before = check_in::Entity::find()
            .count(db)
            .await
            .expect("count check-ins");

        doomed
            .clone()
            .delete(db)
            .await
            .expect("delete the objective");

        assert!(
            objective::Entity::find_by_id(doomed.id)
                .one(db)
                .await
                .expect("query")
                .is_none()
        );
        let left = key_result::Entity::find()
            .filter(key_result::Column::Id.is_in(doomed_key_results.clone()))
            .count(db)
            .await
            .expect("count key results");
        assert_eq!(left, 0, "its key results went with it");
        assert_eq!(
            check_ins_of().count(db).await.expect("count check-ins"),
            0,
            "and their check-ins"
        );
        // Nothing else went.
        assert_eq!(
            key_result::Entity::find()
                .count(db)
                .await
                .expect("count key results"),
            key_results_before - 3
        );
        assert_eq!(
            check_in::Entity::find()
                .count(db)
                .await
                .expect("count check-ins"),
            check_ins_before - doomed_check_ins
        );
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    deleting_a_team_that_has_users_is_refused,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let db = &test_db.db;
        let staffed = insert_team(db, "Staffed").await;
        let member = insert_user(db, staffed.id, "member@example.com").await;
        let empty = insert_team(db, "Empty").await;

        let refused = staffed.clone().delete(db).await;
        assert!(
            refused.is_err(),
            "a team with users must not be deletable, got {refused:?}"
        );
        assert_eq!(
            team::Entity::find_by_id(staffed.id)
                .one(db)
                .await
                .expect("query"),
            Some(staffed)
        );
        assert_eq!(
            okr_user::Entity::find_by_id(member.id)
                .one(db)
                .await
                .expect("query"),
            Some(member)
        );

        // The same delete works once nobody references the team.
        let deleted = empty
            .clone()
            .delete(db)
            .await
            .expect("delete a team without users");
        assert_eq!(deleted.rows_affected, 1);
        assert!(
            team::Entity::find_by_id(empty.id)
                .one(db)
                .await
                .expect("query")
                .is_none()
        );
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(decimals_are_stored_exactly, |backend| async move {
    let Some(test_db) = TestDb::migrated(backend).await else {
        return;
    };
    let db = &test_db.db;
    let (owner, objective) = insert_objective(db).await;
    let large = decimal("12345678901.23");
    let small = decimal("0.10");
    let largest = decimal("9999999999999.99");
    let most_negative = decimal("-9999999999999.99");

    let kr = key_result::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set("Exact values".to_owned()),
        objective_id: Set(objective.id),
        owner_id: Set(owner.id),
        unit: Set(Unit::Dollars),
        direction: Set(Direction::Up),
        start_value: Set(small),
        target_value: Set(large),
        current_value: Set(small),
        created_at: Set(noon()),
        updated_at: Set(noon()),
    }
    .insert(db)
    .await
    .expect("insert a key result");
    let mut check_in_ids = Vec::new();
    for value in [large, small, largest, most_negative] {
        let check_in = check_in::ActiveModel {
            id: Set(Uuid::new_v4()),
            kr_id: Set(kr.id),
            value: Set(value),
            confidence: Set(ConfidenceLevel::Green),
            note: Set(None),
            created_by: Set(owner.id),
            created_at: Set(noon()),
        }
        .insert(db)
        .await
        .expect("insert a check-in");
        check_in_ids.push(check_in.id);
    }

    let stored = key_result::Entity::find_by_id(kr.id)
        .one(db)
        .await
        .expect("query")
        .expect("the key result");
    assert_eq!(stored.start_value, small);
    assert_eq!(stored.target_value, large);
    assert_eq!(stored.current_value, small);
    for (id, value) in check_in_ids
        .into_iter()
        .zip([large, small, largest, most_negative])
    {
        let stored = check_in::Entity::find_by_id(id)
            .one(db)
            .await
            .expect("query")
            .expect("the check-in");
        assert_eq!(stored.value, value);
    }
    test_db.close().await.expect("drop the test database");
});

#[test]
fn unknown_unit_direction_and_confidence_are_refused_naming_the_field() {
    let unit = "kg".parse::<Unit>().expect_err("kg is not a unit");
    assert_eq!((unit.field, unit.value.as_str()), ("unit", "kg"));
    assert!(unit.to_string().starts_with("unit:"), "{unit}");

    let direction = "sideways"
        .parse::<Direction>()
        .expect_err("sideways is not a direction");
    assert_eq!(
        (direction.field, direction.value.as_str()),
        ("direction", "sideways")
    );
    assert!(
        direction.to_string().starts_with("direction:"),
        "{direction}"
    );

    let confidence = ConfidenceLevel::try_from(5).expect_err("5 is not a confidence level");
    assert_eq!(
        (confidence.field, confidence.value.as_str()),
        ("confidence", "5")
    );
}

const INSERT_KEY_RESULT: &str = "INSERT INTO key_result \
     (id, title, objective_id, owner_id, unit, direction, start_value, target_value, current_value, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $9)";

const INSERT_CHECK_IN: &str = "INSERT INTO check_in (id, kr_id, value, confidence, created_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6)";

async fn raw_key_result(
    db: &DatabaseConnection,
    (owner, objective): (Uuid, Uuid),
    unit: &str,
    direction: &str,
) -> Result<Uuid, DbErr> {
    let id = Uuid::new_v4();
    let values: [Value; 9] = [
        id.into(),
        format!("{unit} {direction}").into(),
        objective.into(),
        owner.into(),
        unit.into(),
        direction.into(),
        decimal("1").into(),
        decimal("2").into(),
        noon().into(),
    ];
    let statement =
        Statement::from_sql_and_values(db.get_database_backend(), INSERT_KEY_RESULT, values);
    db.execute_raw(statement).await.map(|_| id)
}

async fn raw_check_in(
    db: &DatabaseConnection,
    owner: Uuid,
    kr: Uuid,
    confidence: i32,
) -> Result<(), DbErr> {
    let values: [Value; 6] = [
        Uuid::new_v4().into(),
        kr.into(),
        decimal("1").into(),
        confidence.into(),
        owner.into(),
        noon().into(),
    ];
    let statement =
        Statement::from_sql_and_values(db.get_database_backend(), INSERT_CHECK_IN, values);
    db.execute_raw(statement).await.map(|_| ())
}

/// Refused by a CHECK constraint, not by anything else (a foreign key, a type).
fn assert_check_violation<T: std::fmt::Debug>(outcome: Result<T, DbErr>, what: &str) {
    let error = outcome.expect_err(what);
    let message = error.to_string().to_lowercase();
    assert!(
        message.contains("check constraint"),
        "{what}: refused for another reason: {error}"
    );
}

migration::backend_test!(
    database_refuses_invalid_unit_direction_and_confidence,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let db = &test_db.db;
        let (owner, objective) = insert_objective(db).await;
        let parents = (owner.id, objective.id);

        // The same statements go through with valid values, so a refusal below is
        // down to the one bad value alone.
        let kr = raw_key_result(db, parents, "%", "up")
            .await
            .expect("a valid key result");
        raw_check_in(db, owner.id, kr, 2)
            .await
            .expect("a valid check-in");
        let key_results = key_result::Entity::find()
            .count(db)
            .await
            .expect("count key results");
        let check_ins = check_in::Entity::find()
            .count(db)
            .await
            .expect("count check-ins");
        assert_eq!((key_results, check_ins), (1, 1));

        assert_check_violation(raw_key_result(db, parents, "kg", "up").await, "unit 'kg'");
        let sideways = raw_key_result(db, parents, "$", "sideways").await;
        match backend {
            // SQLite ignores varchar lengths: only the CHECK stands in the way.
            Backend::Sqlite => assert_check_violation(sideways, "direction 'sideways'"),
            // varchar(5) refuses the 8 characters before the CHECK is consulted.
            Backend::Postgres => assert!(sideways.is_err(), "direction 'sideways' was stored"),
        }
        assert_check_violation(
            raw_key_result(db, parents, "$", "left").await,
            "direction 'left'",
        );
        assert_check_violation(raw_check_in(db, owner.id, kr, 5).await, "confidence 5");
        assert_check_violation(raw_check_in(db, owner.id, kr, -1).await, "confidence -1");

        assert_eq!(
            key_result::Entity::find()
                .count(db)
                .await
                .expect("count key results"),
            key_results
        );
        assert_eq!(
            check_in::Entity::find()
                .count(db)
                .await
                .expect("count check-ins"),
            check_ins
        );
        test_db.close().await.expect("drop the test database");
    }
);

migration::backend_test!(
    a_key_result_whose_start_is_its_target_is_refused,
    |backend| async move {
        let Some(test_db) = TestDb::migrated(backend).await else {
            return;
        };
        let db = &test_db.db;
        let (owner, objective) = insert_objective(db).await;
        let key_result = |start: &str, target: &str| key_result::ActiveModel {
            id: Set(Uuid::new_v4()),
            title: Set(format!("From {start} to {target}")),
            objective_id: Set(objective.id),
            owner_id: Set(owner.id),
            unit: Set(Unit::Count),
            direction: Set(Direction::Up),
            start_value: Set(decimal(start)),
            target_value: Set(decimal(target)),
            current_value: Set(decimal(start)),
            created_at: Set(noon()),
            updated_at: Set(noon()),
        };

        let refused = key_result("5", "5.00").insert(db).await;
        assert!(
            refused.is_err(),
            "start == target must be refused: {refused:?}"
        );
        assert_eq!(
            key_result::Entity::find().count(db).await.expect("count"),
            0
        );

        key_result("5", "6")
            .insert(db)
            .await
            .expect("a key result with a real range is accepted");
        assert_eq!(
            key_result::Entity::find().count(db).await.expect("count"),
            1
        );
        test_db.close().await.expect("drop the test database");
    }
);
