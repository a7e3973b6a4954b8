// TEMPORARY: verifies a suspected bug; removed after the run.
use app::server::okrs::dashboard;
use chrono::NaiveDate;
use entity::{objective, okr_user, quarter, team};
use migration::testing::{Backend, TestDb};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use uuid::Uuid;

#[tokio::test]
async fn same_named_teams() {
    let t = TestDb::migrated(Backend::Sqlite).await.unwrap();
    let db = &t.db;
    let now = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap();
    let q = quarter::ActiveModel { id: Set(Uuid::new_v4()), label: Set("2025-Q1".into()), start_at: Set(now.date()), end_at: Set(NaiveDate::from_ymd_opt(2025,3,31).unwrap()), organization_id: Set(None), archived: Set(false), notes: Set(None), created_at: Set(now), updated_at: Set(now) }.insert(db).await.unwrap();
    let mut teams = vec![];
    for _ in 0..2 {
        teams.push(team::ActiveModel { id: Set(Uuid::new_v4()), name: Set("Sales".into()), organization_id: Set(Some(Uuid::new_v4())), archived: Set(false), created_at: Set(now), updated_at: Set(now) }.insert(db).await.unwrap());
    }
    let u = okr_user::ActiveModel { id: Set(Uuid::new_v4()), email: Set("a@b.c".into()), name: Set("A".into()), team_id: Set(teams[0].id), organization_id: Set(None), active: Set(true), created_at: Set(now), updated_at: Set(now) }.insert(db).await.unwrap();
    for (i, team) in [0usize, 1, 0].iter().enumerate() {
        objective::ActiveModel { id: Set(Uuid::new_v4()), title: Set(format!("O{i}")), team_id: Set(teams[*team].id), quarter_id: Set(q.id), owner_id: Set(u.id), organization_id: Set(None), created_at: Set(now + chrono::Duration::seconds(i as i64)), updated_at: Set(now) }.insert(db).await.unwrap();
    }
    let d = dashboard(db, None, now.date()).await.unwrap().unwrap();
    for team in &d.teams { println!("{} {:?}", team.id, team.objectives.iter().map(|o| &o.title).collect::<Vec<_>>()); }
    println!("team sections: {}", d.teams.len());
    t.close().await.unwrap();
}
