//! A whole division's quarter ([`super::DIVISION`]): 100 teams, 505
//! objectives and 2,010 key results with 20 check-ins each, on PostgreSQL
//! with reads remembered. The dashboard folds the teams other than the
//! viewer's, so what is measured is the page a phone gets: its size, and
//! its latency under `wrk -t2 -c16`.

use super::{Bench, Line, WARM_UP_SECONDS, dashboard, kb, median_of_rounds, wrk};
use crate::{Result, step};

pub struct DivisionFigures {
    key_results: u64,
    page_bytes: usize,
    load: wrk::Figures,
}

impl Bench {
    pub(super) fn division(&self) -> Result<DivisionFigures> {
        step("division: 100 teams and 2,010 key results, dashboard under wrk -c16, PostgreSQL");
        let dataset = self.dataset("division", Some(&super::DIVISION))?;
        let server = self.start_server(&dataset.database.url, "division-load", &[])?;
        let page_bytes = dashboard(server.port, &dataset.cookie, &dataset.quarter.label)?;
        println!("  page: {} ({page_bytes} bytes)", kb(page_bytes));
        let load = |seconds| wrk::Load {
            threads: 2,
            connections: 16,
            seconds,
            port: server.port,
            path: "/",
            cookie: Some(&dataset.cookie),
        };
        load(WARM_UP_SECONDS).run()?;
        let load = median_of_rounds(load)?;
        Ok(DivisionFigures {
            key_results: dataset.quarter.key_results,
            page_bytes,
            load,
        })
    }
}

pub fn lines(figures: &DivisionFigures) -> Vec<Line> {
    let kib = figures.page_bytes as f64 / 1024.0;
    vec![
        Line {
            figure: format!("division ({} KRs): page, uncompressed", figures.key_results),
            measured: format!("{kib:.1} KB"),
            goal: "≤ 300 KB",
            met: Some(kib <= 300.0),
        },
        Line {
            figure: "division: p50 / p99 under wrk -c16".into(),
            measured: format!(
                "{:.1} / {:.1} ms ({:.0} req/s){}",
                figures.load.p50_ms,
                figures.load.p99_ms,
                figures.load.requests_per_second,
                figures.load.failures()
            ),
            goal: "p99 < 100 ms",
            met: Some(figures.load.p99_ms < 100.0 && figures.load.all_succeeded()),
        },
    ]
}
