//! Check-in reminders and weekly digests, end to end: decided at a given
//! time, delivered to a real SMTP server (the mail catcher) and a real
//! webhook receiver over HTTP, read as a mail client reads them, and
//! followed by their links.

use crate::common::process::Process;
use crate::common::{
    EMILY, JAMES, LISA, MIKE, SARAH, TestServer, World, app_pool, free_port, key_result_titled,
    no_redirects, person, team_named,
};

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::server::messages::{MessagesConfig, decide, outbox, settings};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use domain::ConfidenceLevel;
use entity::{key_result, objective, okr_user, outbox_message, quarter};
use mail_parser::MessageParser;
use mailcatcher::{Mail, MailCatcher};
use migration::testing::{Backend, TestDb};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use uuid::Uuid;

const MOBILE: &str = "Grow mobile app bookings from $12M to $18M";
const CONVERSION: &str = "Increase direct booking conversion rate from 2.8% to 3.5%";
const COMMISSION: &str = "Reduce third-party commission costs from 15% to 12%";
const RENEWAL: &str = "Achieve 85% contract renewal rate (baseline: 70%)";

fn utc(text: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a time"))
}

fn config(catcher: &MailCatcher, server: &TestServer) -> MessagesConfig {
    MessagesConfig {
        smtp_url: Some(catcher.url()),
        public_url: server.url(""),
        retry_base: Duration::from_millis(50),
        tries: 3,
        ..MessagesConfig::default()
    }
}

/// The seeded world, a mail catcher, and the settings that send to it.
async fn start(backend: Backend) -> Option<(World, MailCatcher, MessagesConfig)> {
    let world = World::start(backend).await?;
    let catcher = MailCatcher::start("127.0.0.1:0")
        .await
        .expect("the mail catcher");
    let config = config(&catcher, &world.server);
    Some((world, catcher, config))
}

/// A delivered message as a mail client reads it.
struct Read {
    to: String,
    subject: String,
    text: String,
    html: String,
    unsubscribe: Option<String>,
    one_click: bool,
}

fn read(mail: &Mail) -> Read {
    let message = MessageParser::default()
        .parse(&mail.data)
        .expect("a parseable message");
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|value| value.trim().to_owned())
    };
    Read {
        to: message
            .to()
            .and_then(|to| to.first())
            .and_then(|address| address.address())
            .unwrap_or_default()
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message
            .body_text(0)
            .expect("a plain-text part")
            .into_owned(),
        html: message.body_html(0).expect("an HTML part").into_owned(),
        unsubscribe: header("List-Unsubscribe").map(|value| {
            value
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        }),
        one_click: header("List-Unsubscribe-Post").as_deref() == Some("List-Unsubscribe=One-Click"),
    }
}

/// Delivers everything due, as one server, until nothing is left to try
/// (or `rounds` pass), waiting out the backoff between rounds.
async fn deliver(db: &DatabaseConnection, config: &MessagesConfig, rounds: usize) -> u64 {
    let postman = outbox::Postman::new(config);
    let runner = Uuid::new_v4();
    let mut sent = 0;
    for _ in 0..rounds {
        sent += outbox::deliver_due(db, config, &postman, runner, Utc::now().naive_utc())
            .await
            .expect("deliver");
        let waiting = outbox_message::Entity::find()
            .filter(outbox_message::Column::State.is_in(["pending", "sending"]))
            .all(db)
            .await
            .expect("the outbox");
        if waiting.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    sent
}

async fn choose(db: &DatabaseConnection, email: &str, reminders: bool, zone: &str, hour: &str) {
    let id = person(db, email).await.id;
    settings::save_person(db, id, reminders, true, zone, hour, Utc::now().naive_utc())
        .await
        .expect("save the settings");
}

/// Records `email`'s check-in on `title` as of `at`.
async fn check_in(db: &DatabaseConnection, email: &str, title: &str, value: &str, at: &str) {
    let author = person(db, email).await.id;
    let key_result = key_result_titled(db, title).await.id;
    app::server::commands::check_ins::record(
        db,
        domain::commands::NewCheckIn {
            key_result_id: key_result,
            value: value.parse().expect("a value"),
            confidence: ConfidenceLevel::Green,
            note: Some("On track".into()),
            author_id: author,
            date: None,
        },
        utc(at).naive_utc(),
    )
    .await
    .expect("record the check-in");
}

async fn set_active(db: &DatabaseConnection, email: &str, active: bool) {
    okr_user::Entity::update_many()
        .col_expr(okr_user::Column::Active, Expr::value(active))
        .filter(okr_user::Column::Email.eq(email))
        .exec(db)
        .await
        .expect("set active");
}

fn recipients(mails: &[Mail]) -> BTreeSet<String> {
    mails.iter().map(|mail| read(mail).to).collect()
}

migration::backend_test!(
    reminders_reach_the_owners_of_quiet_key_results_at_nine_in_their_own_time_zone,
    |backend| async move {
        let Some((world, catcher, config)) = start(backend).await else {
            return;
        };
        let db = world.db();
        choose(db, MIKE, true, "Asia/Tokyo", "9").await;
        choose(db, SARAH, true, "America/Sao_Paulo", "9").await;
        // Lisa turned reminders off; James has left.
        choose(db, LISA, false, "UTC", "9").await;
        set_active(db, JAMES, false).await;
        // Mike checked in on one of his four key results on Saturday;
        check_in(db, MIKE, CONVERSION, "3.1", "2025-03-08 09:00").await;
        // Emily on her only one.
        check_in(db, EMILY, RENEWAL, "80", "2025-03-09 09:00").await;

        // Monday 09:00 in Tokyo is 00:00 UTC: Mike's time, and nobody
        // else's (São Paulo's Sunday evening, UTC's midnight).
        let tokyo_nine = utc("2025-03-10 00:00");
        assert_eq!(
            decide::decide(db, &config, tokyo_nine)
                .await
                .expect("decide"),
            1
        );
        assert_eq!(deliver(db, &config, 5).await, 1);
        let mails = catcher.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(recipients(&mails), BTreeSet::from([MIKE.to_owned()]));
        let mike = read(&mails[0]);
        // His four key results but the one he checked in on; quiet since
        // January, so a follow-up.
        assert_eq!(
            mike.subject,
            "Second week without a check-in: 3 key results in 2025-Q1"
        );
        assert!(mike.text.contains(MOBILE), "{}", mike.text);
        assert!(!mike.text.contains(CONVERSION), "checked in: {}", mike.text);
        assert!(
            mike.text
                .contains("last check-in $13.4M, Green confidence, on Mon Jan 20"),
            "{}",
            mike.text
        );
        assert!(mike.html.contains("<html lang=\"en\">"));
        assert!(mike.unsubscribe.is_some() && mike.one_click);
        // The link goes to the key result's check-in form.
        let mobile = key_result_titled(db, MOBILE).await.id;
        let link = format!("{}/kr/{mobile}#check-in", world.server.url(""));
        assert!(mike.text.contains(&link) && mike.html.contains(&link));
        let page = world
            .server
            .get_as(&format!("/kr/{mobile}"), &world.mike)
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .expect("the page")
                .contains("id=\"check-in\"")
        );

        // Deciding again, later in Tokyo's Monday, sends nothing new.
        assert_eq!(
            decide::decide(db, &config, utc("2025-03-10 06:00"))
                .await
                .expect("decide"),
            0
        );
        // Monday 09:00 in São Paulo is 12:00 UTC: Sarah; not Emily (UTC,
        // past nine, but checked in on everything she owns), Lisa (opted
        // out), James (inactive) or Mike again.
        assert_eq!(
            decide::decide(db, &config, utc("2025-03-10 12:00"))
                .await
                .expect("decide"),
            1
        );
        assert_eq!(deliver(db, &config, 5).await, 1);
        let mails = catcher.wait_for(2, Duration::from_secs(10)).await;
        assert_eq!(mails.len(), 2);
        assert_eq!(recipients(&mails[1..]), BTreeSet::from([SARAH.to_owned()]));
        let sarah = mails[1..]
            .iter()
            .map(read)
            .find(|mail| mail.to == SARAH)
            .expect("Sarah's reminder");
        // Two quiet weeks and more: a follow-up.
        assert!(
            sarah.subject.starts_with("Second week without a check-in"),
            "{}",
            sarah.subject
        );
        assert!(sarah.text.contains(COMMISSION));
        // No key result reached is listed, and each message exists once.
        let rows = outbox_message::Entity::find()
            .all(db)
            .await
            .expect("the outbox");
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|row| row.state == "sent" && row.attempts == 1)
        );
        world.finish().await;
    }
);

migration::backend_test!(
    the_unsubscribe_link_works_without_signing_in_and_stops_the_reminders,
    |backend| async move {
        let Some((world, catcher, config)) = start(backend).await else {
            return;
        };
        let db = world.db();
        decide::decide(db, &config, utc("2025-03-10 09:00"))
            .await
            .expect("decide");
        deliver(db, &config, 5).await;
        let mails = catcher.wait_for(1, Duration::from_secs(10)).await;
        let mike = mails
            .iter()
            .map(read)
            .find(|mail| mail.to == MIKE)
            .expect("Mike's reminder");
        let link = mike.unsubscribe.expect("a List-Unsubscribe link");
        assert!(mike.text.contains(&link) && mike.html.contains(&link));
        let http = no_redirects();
        let mike_id = person(db, MIKE).await.id;

        // Opening it, signed out, asks; it changes nothing yet.
        let page = http.get(&link).send().await.expect("GET the link");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .expect("the page")
                .contains("unsubscribe-confirm")
        );
        assert!(
            settings::person(db, mike_id)
                .await
                .expect("settings")
                .reminders
        );
        // A forged signature, or Mike's link for digests, does nothing.
        let forged = format!("{}0", &link[..link.len() - 1]);
        let forged = if forged == link {
            format!("{}1", &link[..link.len() - 1])
        } else {
            forged
        };
        let refused = http.post(&forged).send().await.expect("POST a forged link");
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        let other_topic = link.replace("/reminders/", "/digests/");
        let refused = http
            .post(&other_topic)
            .send()
            .await
            .expect("POST another topic");
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert!(
            settings::person(db, mike_id)
                .await
                .expect("settings")
                .reminders
        );

        // The mail client's one-click POST (RFC 8058), from another site.
        let done = http
            .post(&link)
            .header("Origin", "https://mail.example.com")
            .form(&[("List-Unsubscribe", "One-Click")])
            .send()
            .await
            .expect("POST the link");
        assert_eq!(done.status(), StatusCode::OK);
        assert!(
            done.text()
                .await
                .expect("the page")
                .contains("unsubscribed")
        );
        let now = settings::person(db, mike_id).await.expect("settings");
        assert!(!now.reminders);
        assert!(now.digests, "only the link's topic is turned off");

        // The next Monday: the others are reminded, Mike is not.
        decide::decide(db, &config, utc("2025-03-17 09:00"))
            .await
            .expect("decide");
        let next: Vec<String> = outbox_message::Entity::find()
            .filter(outbox_message::Column::DedupeKey.contains("2025-03-17"))
            .all(db)
            .await
            .expect("the outbox")
            .into_iter()
            .map(|row| row.recipient)
            .collect();
        assert!(!next.is_empty());
        assert!(!next.contains(&MIKE.to_owned()), "{next:?}");
        world.finish().await;
    }
);

/// A webhook receiver on a free port: every JSON body posted to `/hook`.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let keep = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = keep.clone();
            async move {
                let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                keep.lock().expect("the bodies").push(value);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{address}/hook"), received)
}

/// The figure after `<dt>label</dt>` on a dashboard page.
fn figure(html: &str, label: &str) -> String {
    let at = html
        .find(&format!(">{label}</"))
        .unwrap_or_else(|| panic!("no {label} on the page"));
    let rest = &html[at..];
    let start = rest.find("<dd>").expect("a <dd>") + 4;
    let end = rest[start..].find("</dd>").expect("a </dd>") + start;
    rest[start..end].trim().to_owned()
}

migration::backend_test!(
    digests_show_the_dashboards_figures_by_email_and_in_the_teams_channel,
    |backend| async move {
        let Some((world, catcher, config)) = start(backend).await else {
            return;
        };
        let db = world.db();
        let (hook, posts) = webhook_receiver().await;
        let direct = team_named(db, "Direct Channel Sales").await.id;
        settings::save_team(db, direct, "1", "UTC", &hook, Utc::now().naive_utc())
            .await
            .expect("save the team's webhook");
        // A check-in this week: confidence Green → Amber on Sarah's key result.
        let author = person(db, SARAH).await.id;
        app::server::commands::check_ins::record(
            db,
            domain::commands::NewCheckIn {
                key_result_id: key_result_titled(db, COMMISSION).await.id,
                value: Decimal::new(145, 1),
                confidence: ConfidenceLevel::Red,
                note: None,
                author_id: author,
                date: None,
            },
            utc("2025-03-07 10:00").naive_utc(),
        )
        .await
        .expect("record");

        // Tuesday, the day after check-in day, 09:00 UTC: the digests.
        let tuesday = utc("2025-03-11 09:00");
        decide::decide(db, &config, tuesday).await.expect("decide");
        deliver(db, &config, 5).await;
        let mails = catcher.wait_for(3, Duration::from_secs(10)).await;
        // Leads and admins get one; members (Mike, James) none.
        assert_eq!(
            recipients(&mails),
            BTreeSet::from([SARAH.to_owned(), LISA.to_owned(), EMILY.to_owned()])
        );
        let sarah = mails
            .iter()
            .map(read)
            .find(|mail| mail.to == SARAH)
            .expect("Sarah's");
        assert!(
            sarah.text.contains("Direct Channel Sales, 2025-Q1"),
            "{}",
            sarah.text
        );
        assert!(
            sarah.text.contains("Check-ins this week (1)"),
            "{}",
            sarah.text
        );
        assert!(
            sarah.text.contains("Confidence that dropped (1)"),
            "{}",
            sarah.text
        );
        assert!(sarah.text.contains(COMMISSION));
        assert!(
            !sarah.text.contains("APAC"),
            "only her team: {}",
            sarah.text
        );
        assert!(
            sarah
                .unsubscribe
                .as_deref()
                .is_some_and(|link| link.contains("/digests/"))
        );

        // The figures are the dashboard's, for her team and for everyone.
        let page = world
            .server
            .get_as(&format!("/?quarter=2025-Q1&team={direct}"), &world.sarah)
            .await
            .text()
            .await
            .expect("the dashboard");
        let progress = figure(&page, "Progress");
        let ncs = figure(
            &page.replace(
                "<abbr title=\"Net Confidence Score: % Green minus % Red\">NCS</abbr>",
                "NCS",
            ),
            "NCS",
        );
        assert!(
            sarah
                .text
                .contains(&format!("Progress {progress} (a week ago")),
            "{progress}: {}",
            sarah.text
        );
        assert!(
            sarah.text.contains(&format!("NCS {ncs} (a week ago")),
            "{ncs}: {}",
            sarah.text
        );
        let everyone = world
            .server
            .get_as("/?quarter=2025-Q1", &world.emily)
            .await
            .text()
            .await
            .expect("the dashboard");
        let emily = mails
            .iter()
            .map(read)
            .find(|mail| mail.to == EMILY)
            .expect("Emily's");
        assert!(emily.text.contains("All teams, 2025-Q1"));
        assert!(
            emily.text.contains(&format!(
                "Progress {} (a week ago",
                figure(&everyone, "Progress")
            )),
            "{}",
            emily.text
        );

        // The team's channel got one post, in the shape Slack takes.
        let posts = posts.lock().expect("the posts").clone();
        assert_eq!(posts.len(), 1, "{posts:?}");
        let post = &posts[0];
        let text = post["text"].as_str().expect("a text field");
        assert!(
            text.contains("Weekly OKR digest: Direct Channel Sales, 2025-Q1"),
            "{text}"
        );
        assert!(text.contains(&format!("Progress {progress}")), "{text}");
        let blocks = post["blocks"].as_array().expect("blocks");
        assert!(blocks.len() >= 6);
        for block in blocks {
            let kind = block["type"].as_str().expect("a block type");
            assert!(kind == "header" || kind == "section", "{block}");
            let text_kind = block["text"]["type"].as_str().expect("a text type");
            assert_eq!(
                text_kind,
                if kind == "header" {
                    "plain_text"
                } else {
                    "mrkdwn"
                }
            );
            assert!(!block["text"]["text"].as_str().expect("text").is_empty());
        }
        assert!(post.to_string().contains(&world.server.url("/kr/")));
        world.finish().await;
    }
);

migration::backend_test!(
    a_refused_message_arrives_once_on_the_third_try_and_a_failed_one_can_be_sent_again,
    |backend| async move {
        let Some((world, catcher, config)) = start(backend).await else {
            return;
        };
        let db = world.db();
        // Only Mike is reminded, so the counts are his.
        for other in [SARAH, LISA, EMILY, JAMES] {
            choose(db, other, false, "UTC", "9").await;
        }
        let port = catcher.port();
        catcher.refuse_next(2);
        decide::decide(db, &config, utc("2025-03-10 09:00"))
            .await
            .expect("decide");
        assert_eq!(deliver(db, &config, 40).await, 1);
        let mails = catcher.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(catcher.refused(), 2);
        let row = outbox_message::Entity::find()
            .one(db)
            .await
            .expect("the outbox")
            .expect("a row");
        assert_eq!((row.state.as_str(), row.attempts), ("sent", 3));
        assert_eq!(row.last_error, None);

        // Down for good: the next week's reminder fails after three tries.
        let stopped = catcher.stop().await;
        assert_eq!(stopped.len(), 1);
        decide::decide(db, &config, utc("2025-03-17 09:00"))
            .await
            .expect("decide");
        assert_eq!(deliver(db, &config, 40).await, 0);
        let failed = outbox_message::Entity::find()
            .filter(outbox_message::Column::State.eq("failed"))
            .one(db)
            .await
            .expect("the outbox")
            .expect("a failed message");
        assert_eq!(failed.attempts, 3);
        let error = failed.last_error.clone().expect("the error");
        assert!(error.starts_with("SMTP"), "{error}");

        // The admin sees it, with its error, and sends it again.
        let page = world.server.get_as("/admin/messages", &world.emily).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("the page");
        assert!(html.contains("data-state=\"failed\""), "{html}");
        assert!(html.contains(&error), "{error}");
        // Not a member, though.
        let refused = world
            .server
            .post(
                "/api/resend_message",
                Some(&world.mike),
                &[("id", &failed.id.to_string())],
            )
            .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let catcher = MailCatcher::start(&format!("127.0.0.1:{port}"))
            .await
            .expect("back up");
        let resent = world
            .server
            .post(
                "/api/resend_message",
                Some(&world.emily),
                &[("id", &failed.id.to_string())],
            )
            .await;
        assert_eq!(resent.status(), StatusCode::OK);
        assert_eq!(deliver(db, &config, 10).await, 1);
        let mails = catcher.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(read(&mails[0]).to, MIKE);
        let row = outbox_message::Entity::find_by_id(failed.id)
            .one(db)
            .await
            .expect("read")
            .expect("the row");
        assert_eq!(row.state, "sent");
        // A sent message cannot be "resent" by the same button.
        let again = world
            .server
            .post(
                "/api/resend_message",
                Some(&world.emily),
                &[("id", &failed.id.to_string())],
            )
            .await;
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // Old messages are swept 90 days after they were decided (Mar 10
        // and 17), not before.
        let sweep_at = |at: &str| outbox::sweep(db, utc(at).naive_utc());
        assert_eq!(sweep_at("2025-06-01 00:00").await.expect("sweep"), 0);
        assert_eq!(sweep_at("2025-06-20 00:00").await.expect("sweep"), 2);
        world.finish().await;
    }
);

migration::backend_test!(
    settings_refuse_bad_input_naming_the_field_and_change_nothing,
    |backend| async move {
        let Some(world) = World::start(backend).await else {
            return;
        };
        let db = world.db();
        let mike = person(db, MIKE).await.id;
        let save = |fields: Vec<(&'static str, &'static str)>| {
            let server = &world.server;
            let cookie = world.mike.clone();
            async move {
                let response = server
                    .post("/api/save_notification_settings", Some(&cookie), &fields)
                    .await;
                let status = response.status();
                (
                    status,
                    response.json::<Value>().await.unwrap_or(Value::Null),
                )
            }
        };
        for (fields, field) in [
            (
                vec![("time_zone", "Mars/Olympus"), ("hour", "9")],
                "time_zone",
            ),
            (vec![("time_zone", "UTC"), ("hour", "24")], "hour"),
            (vec![("time_zone", "UTC"), ("hour", "nine")], "hour"),
        ] {
            let (status, body) = save(fields).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(body.to_string().contains(field), "{body}");
        }
        assert_eq!(
            settings::person(db, mike).await.expect("read").time_zone,
            "UTC"
        );
        let (status, body) = save(vec![
            ("reminders", "1"),
            ("time_zone", "Asia/Tokyo"),
            ("hour", "8"),
        ])
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let saved = settings::person(db, mike).await.expect("read");
        assert_eq!(
            (
                saved.reminders,
                saved.digests,
                saved.time_zone.as_str(),
                saved.hour
            ),
            (true, false, "Asia/Tokyo", 8)
        );

        // Teams: admins only, and the webhook must be https (or local).
        let direct = team_named(db, "Direct Channel Sales").await.id.to_string();
        let team = |cookie: String, day: &'static str, zone: &'static str, hook: &'static str| {
            let server = &world.server;
            let direct = direct.clone();
            async move {
                let response = server
                    .post(
                        "/api/save_team_messages",
                        Some(&cookie),
                        &[
                            ("team_id", &direct),
                            ("check_in_day", day),
                            ("time_zone", zone),
                            ("webhook_url", hook),
                        ],
                    )
                    .await;
                let status = response.status();
                (status, response.text().await.unwrap_or_default())
            }
        };
        let (status, _) = team(world.sarah.clone(), "2", "UTC", "").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a lead may not");
        for (day, zone, hook, field) in [
            ("2", "UTC", "http://hooks.example.com/x", "webhook_url"),
            ("2", "UTC", "ftp://hooks.example.com/x", "webhook_url"),
            ("8", "UTC", "", "check_in_day"),
            ("2", "Nowhere", "", "time_zone"),
        ] {
            let (status, body) = team(world.emily.clone(), day, zone, hook).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            assert!(body.contains(field), "{field}: {body}");
        }
        let page = world
            .server
            .get_as("/admin/messages", &world.emily)
            .await
            .text()
            .await
            .expect("page");
        assert!(!page.contains("hooks.example.com"));
        let (status, body) = team(
            world.emily.clone(),
            "5",
            "Europe/London",
            "https://hooks.slack.com/services/T/B/x",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let teams = settings::teams(db).await.expect("teams");
        let saved = teams
            .iter()
            .find(|team| team.team == "Direct Channel Sales")
            .expect("the team");
        assert_eq!(
            (saved.check_in_day, saved.time_zone.as_str()),
            (5, "Europe/London")
        );
        assert_eq!(saved.webhook_url, "https://hooks.slack.com/services/T/B/x");
        world.finish().await;
    }
);

/// A quarter around today with one objective of Direct Channel Sales and a
/// key result each for Mike and Sarah, quiet since the quarter began.
async fn current_quarter(db: &DatabaseConnection) {
    let today = Utc::now().date_naive();
    let quarter = quarter::ActiveModel {
        id: Set(Uuid::new_v4()),
        label: Set("NOW-Q".into()),
        start_at: Set(today - chrono::TimeDelta::days(30)),
        end_at: Set(today + chrono::TimeDelta::days(30)),
        organization_id: Set(None),
        archived: Set(false),
        notes: Set(None),
        created_at: Set(Utc::now().naive_utc()),
        updated_at: Set(Utc::now().naive_utc()),
    }
    .insert(db)
    .await
    .expect("a quarter");
    let direct = team_named(db, "Direct Channel Sales").await.id;
    let sarah = person(db, SARAH).await.id;
    let mike = person(db, MIKE).await.id;
    let objective = objective::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set("Win this quarter".into()),
        team_id: Set(direct),
        quarter_id: Set(quarter.id),
        owner_id: Set(sarah),
        organization_id: Set(None),
        created_at: Set(Utc::now().naive_utc()),
        updated_at: Set(Utc::now().naive_utc()),
    }
    .insert(db)
    .await
    .expect("an objective");
    for (owner, title) in [(mike, "Mike's number"), (sarah, "Sarah's number")] {
        key_result::ActiveModel {
            id: Set(Uuid::new_v4()),
            title: Set(title.into()),
            objective_id: Set(objective.id),
            owner_id: Set(owner),
            unit: Set(domain::Unit::Count),
            direction: Set(domain::Direction::Up),
            start_value: Set(Decimal::ZERO),
            target_value: Set(Decimal::from(10)),
            current_value: Set(Decimal::ZERO),
            created_at: Set(Utc::now().naive_utc()),
            updated_at: Set(Utc::now().naive_utc()),
        }
        .insert(db)
        .await
        .expect("a key result");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_database_deliver_each_reminder_exactly_once() {
    // Migrated and seeded before any server starts, so each one's first
    // round of jobs already finds the quarter below.
    let Some(test_db) = TestDb::seeded(Backend::Postgres).await else {
        eprintln!("skipped: PostgreSQL is not configured");
        return;
    };
    let catcher = MailCatcher::start("127.0.0.1:0")
        .await
        .expect("the mail catcher");
    let dir = std::env::temp_dir().join(format!("runway_reminders_{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("a working directory");
    let smtp = catcher.url();
    let env = [
        ("SMTP_URL", smtp.as_str()),
        ("MAIL_FROM", "RunwayOKR <okr@example.com>"),
    ];
    let db = app_pool(&test_db.url).await;
    current_quarter(&db).await;
    let weekday = Utc::now().date_naive().format("%u").to_string();
    for team in entity::team::Entity::find().all(&db).await.expect("teams") {
        settings::save_team(&db, team.id, &weekday, "UTC", "", Utc::now().naive_utc())
            .await
            .expect("the check-in day");
    }
    for email in [MIKE, SARAH, LISA, EMILY, JAMES] {
        choose(&db, email, true, "UTC", "0").await;
    }
    let mut servers = Vec::new();
    for index in 0..3 {
        let port = free_port();
        let mut process =
            Process::spawn_with(&test_db.url, port, &dir, &format!("s{}", index + 1), &env);
        process.healthy(port).await;
        servers.push(process);
    }
    // Each decides every minute and delivers every 5 s, once per period
    // across the three: both reminders arrive, then nothing more.
    let mails = catcher.wait_for(2, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_secs(12)).await;
    let mails = if mails.len() < 2 {
        mails
    } else {
        catcher.received()
    };
    let to: Vec<String> = mails.iter().map(|mail| read(mail).to).collect();
    let logs: String = servers.iter().map(Process::log).collect();
    assert_eq!(to.len(), 2, "{to:?}\n{logs}");
    assert_eq!(
        to.iter().cloned().collect::<BTreeSet<_>>(),
        BTreeSet::from([MIKE.to_owned(), SARAH.to_owned()])
    );
    let rows = outbox_message::Entity::find()
        .all(&db)
        .await
        .expect("the outbox");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|row| row.state == "sent" && row.attempts == 1),
        "{rows:?}"
    );
    for mut server in servers {
        server.kill();
    }
    let _ = std::fs::remove_dir_all(&dir);
}
