//! The benchmark's PostgreSQL databases, made and filled through `psql`, and
//! dropped when done with.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::Result;

/// The PostgreSQL server the benchmark creates its databases on.
pub struct Postgres {
    /// A database of that server to connect to while creating the others.
    admin_url: String,
}

impl Postgres {
    pub fn from_env() -> Postgres {
        let admin_url = std::env::var("RUNWAY_BENCH_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        Postgres { admin_url }
    }

    /// Where it is, without user or password, for the report.
    pub fn address(&self) -> &str {
        self.admin_url.rsplit('@').next().unwrap_or_default()
    }

    /// The server's version, which also shows it can be reached.
    pub fn version(&self) -> Result<String> {
        psql(&self.admin_url, "SHOW server_version")
            .map_err(|error| {
                format!(
                    "{error}\nIs PostgreSQL running at {}? Set RUNWAY_BENCH_POSTGRES_URL to use another server.",
                    self.address()
                )
            })
    }

    /// A new, empty database, dropped when the value is.
    pub fn create(&self, purpose: &str) -> Result<Database<'_>> {
        let name = format!("runway_bench_{}_{purpose}", std::process::id());
        psql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {name}"))?;
        psql(&self.admin_url, &format!("CREATE DATABASE {name}"))?;
        Ok(Database {
            url: url_of(&self.admin_url, &name),
            name,
            postgres: self,
        })
    }
}

/// `admin_url` with its database replaced by `name`, its options kept.
fn url_of(admin_url: &str, name: &str) -> String {
    match admin_url.rsplit_once('/') {
        Some((server, database)) => {
            let options = database.find('?').map_or("", |at| &database[at..]);
            format!("{server}/{name}{options}")
        }
        None => format!("{admin_url}/{name}"),
    }
}

pub struct Database<'a> {
    pub url: String,
    name: String,
    postgres: &'a Postgres,
}

impl Database<'_> {
    /// Runs `sql` (any number of statements) and returns what it printed,
    /// unaligned, one row a line, columns split by `|`.
    pub fn run(&self, sql: &str) -> Result<String> {
        psql(&self.url, sql)
    }

    /// The quarter the dashboard shows, and how many key results and
    /// check-ins it holds.
    pub fn shown_quarter(&self) -> Result<ShownQuarter> {
        let row = self.run(&format!(
            "SELECT q.label,
                    (SELECT count(*) FROM key_result k JOIN objective o ON o.id = k.objective_id
                      WHERE o.quarter_id = q.id),
                    (SELECT count(*) FROM check_in c JOIN key_result k ON k.id = c.kr_id
                      JOIN objective o ON o.id = k.objective_id WHERE o.quarter_id = q.id)
               FROM ({SHOWN_QUARTER}) q"
        ))?;
        let mut columns = row.split('|');
        let mut next = || columns.next().map(str::to_owned);
        match (next(), next(), next()) {
            (Some(label), Some(key_results), Some(check_ins)) if !label.is_empty() => {
                Ok(ShownQuarter {
                    label,
                    key_results: key_results.parse().unwrap_or_default(),
                    check_ins: check_ins.parse().unwrap_or_default(),
                })
            }
            _ => Err("the database has no quarter for the dashboard to show".into()),
        }
    }
}

impl Drop for Database<'_> {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if psql(&self.postgres.admin_url, &drop).is_err() {
            // Before PostgreSQL 13 there is no FORCE; the servers are stopped by now.
            let _ = psql(
                &self.postgres.admin_url,
                &format!("DROP DATABASE IF EXISTS {}", self.name),
            );
        }
    }
}

pub struct ShownQuarter {
    pub label: String,
    pub key_results: u64,
    pub check_ins: u64,
}

fn psql(url: &str, sql: &str) -> Result<String> {
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run psql: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(sql.as_bytes())
            .map_err(|error| format!("psql: {error}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("psql: {error}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// The quarter the dashboard shows without `?quarter=`: the one containing
/// today (UTC, as the server counts), else the latest. Its check-ins may
/// fall from its first day up to now or its end, whichever comes first.
const SHOWN_QUARTER: &str = "
    SELECT id, label,
           start_at::timestamp AS window_start,
           LEAST((end_at + 1)::timestamp, now() AT TIME ZONE 'UTC') AS window_end
      FROM quarter
     ORDER BY (start_at <= (now() AT TIME ZONE 'UTC')::date
               AND (now() AT TIME ZONE 'UTC')::date <= end_at) DESC,
              start_at DESC, label DESC
     LIMIT 1";

/// Objectives, key results and check-ins added to the quarter the dashboard
/// shows, on top of the demo data. The same every time: ids are hashes of
/// the rows' numbers, and values, owners and dates follow from them.
pub struct ExtraOkrs {
    /// Teams added first ("Bench team N"); the objectives go round all the
    /// teams, the demo's included.
    pub teams: u32,
    pub objectives: u32,
    pub key_results_per_objective: u32,
    pub check_ins_per_key_result: u32,
}

impl ExtraOkrs {
    pub fn describe(&self) -> String {
        let teams = match self.teams {
            0 => String::new(),
            teams => format!("{teams} teams, "),
        };
        format!(
            "{teams}{} objectives × {} key results × {} check-ins",
            self.objectives, self.key_results_per_objective, self.check_ins_per_key_result
        )
    }

    /// The statements that add them, in one transaction, then fresh planner
    /// statistics (as autovacuum would give a database that grew slowly).
    /// Each key result rises from 1,000 towards 2,000 in evenly spaced
    /// check-ins; its current value is its latest check-in's.
    pub fn sql(&self) -> String {
        let objectives = self.objectives;
        let key_results = self.key_results_per_objective;
        let check_ins = self.check_ins_per_key_result;
        let teams = self.teams;
        format!(
            "BEGIN;
CREATE TEMP TABLE bench_quarter ON COMMIT DROP AS {SHOWN_QUARTER};
INSERT INTO team (id, name, created_at, updated_at)
SELECT md5('runway-bench-team-' || t)::uuid, format('Bench team %s', t), now(), now()
  FROM generate_series(1, {teams}) AS t;
CREATE TEMP TABLE bench_people ON COMMIT DROP AS
  SELECT ARRAY(SELECT id FROM team ORDER BY name) AS teams,
         ARRAY(SELECT id FROM okr_user ORDER BY email) AS users;

INSERT INTO objective (id, title, team_id, quarter_id, owner_id, created_at, updated_at)
SELECT md5('runway-bench-objective-' || o)::uuid,
       format('Bench objective %s: grow market share on route group %s', o, o),
       p.teams[1 + o % cardinality(p.teams)],
       q.id,
       p.users[1 + o % cardinality(p.users)],
       q.window_start + make_interval(hours => 10, secs => o),
       q.window_start + make_interval(hours => 10, secs => o)
  FROM bench_quarter q, bench_people p, generate_series(1, {objectives}) AS o;

INSERT INTO key_result (id, title, objective_id, owner_id, unit, direction,
                        start_value, target_value, current_value, created_at, updated_at)
SELECT md5(format('runway-bench-key-result-%s-%s', o, k))::uuid,
       format('Grow bench metric %s-%s from 1,000 to 2,000 bookings a week', o, k),
       md5('runway-bench-objective-' || o)::uuid,
       p.users[1 + (o + k) % cardinality(p.users)],
       '#', 'up', 1000, 2000, 1000,
       q.window_start + make_interval(hours => 11, secs => o * 1000 + k),
       q.window_start + make_interval(hours => 11, secs => o * 1000 + k)
  FROM bench_quarter q, bench_people p,
       generate_series(1, {objectives}) AS o, generate_series(1, {key_results}) AS k;

INSERT INTO check_in (id, kr_id, value, confidence, note, created_by, created_at)
SELECT md5(format('runway-bench-check-in-%s-%s-%s', o, k, c))::uuid,
       md5(format('runway-bench-key-result-%s-%s', o, k))::uuid,
       round(1000 + (300 + (o * 7 + k * 13) % 900) * c::numeric / {check_ins}, 2),
       (o + k + c) % 3,
       format('Weekly reading %s of bench metric %s-%s', c, o, k),
       p.users[1 + (o + k) % cardinality(p.users)],
       date_trunc('second',
                  q.window_start + (q.window_end - q.window_start) * (c::float8 / ({check_ins} + 1)))
  FROM bench_quarter q, bench_people p,
       generate_series(1, {objectives}) AS o, generate_series(1, {key_results}) AS k,
       generate_series(1, {check_ins}) AS c;

UPDATE key_result k
   SET current_value = latest.value
  FROM (SELECT DISTINCT ON (kr_id) kr_id, value FROM check_in
         ORDER BY kr_id, created_at DESC, id DESC) latest
 WHERE latest.kr_id = k.id
   AND k.objective_id IN (SELECT id FROM objective WHERE title LIKE 'Bench objective %');
COMMIT;
ANALYZE;"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_names_the_new_database() {
        assert_eq!(
            url_of(
                "postgres://postgres@127.0.0.1:5432/postgres",
                "runway_bench_1_demo"
            ),
            "postgres://postgres@127.0.0.1:5432/runway_bench_1_demo"
        );
        assert_eq!(
            url_of("postgres://u:p@db/postgres?sslmode=disable", "x"),
            "postgres://u:p@db/x?sslmode=disable"
        );
    }
}
