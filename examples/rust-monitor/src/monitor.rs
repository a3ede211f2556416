//! Follows the job store: an initial listing, then only the jobs named by
//! new journal events are re-read. Never touches a cluster unless asked to
//! poll (`--poll`), so it can run beside the drivers that do.
use std::collections::{BTreeSet, HashMap};

use crate::json;
use crate::table::{render, Row};
use xrun::Context;

const PAGE: i64 = 1000;

pub struct Monitor {
    ctx: Context,
    rows: HashMap<String, Row>,
    last_seq: i64,
    limit: usize,
    poll: bool,
}

fn json_error(e: String) -> xrun::Error {
    // The library's JSON is malformed only through a bug: say where.
    panic!("xrun returned JSON the monitor cannot read: {}", e)
}

impl Monitor {
    /// Reads the newest `limit` jobs and the journal position.
    pub fn new(ctx: Context, limit: usize, poll: bool) -> xrun::Result<Monitor> {
        let mut monitor = Monitor { ctx, rows: HashMap::new(), last_seq: 0, limit, poll };
        // Journal position first: a change racing the listing is then
        // re-read by the next update, never lost.
        loop {
            let page = monitor.ctx.events_since(monitor.last_seq, PAGE)?;
            match page.last() {
                Some(e) => monitor.last_seq = e.seq,
                None => break,
            }
        }
        let list = json::parse(&monitor.ctx.jobs_json(None, None, limit as i64)?).map_err(json_error)?;
        for record in list.as_array().unwrap_or(&[]) {
            let row = Row::from_record(record);
            monitor.rows.insert(row.id.clone(), row);
        }
        Ok(monitor)
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn rows(&self) -> Vec<&Row> {
        let mut rows: Vec<&Row> = self.rows.values().collect();
        // ULIDs sort by creation time: newest first.
        rows.sort_by(|a, b| b.id.cmp(&a.id));
        rows.truncate(self.limit);
        rows
    }

    pub fn row(&self, id: &str) -> Option<&Row> {
        self.rows.get(id)
    }

    /// Applies new journal events; returns how many jobs changed.
    pub fn update(&mut self) -> xrun::Result<usize> {
        if self.poll {
            self.ctx.poll()?;
        }
        let mut changed = BTreeSet::new();
        loop {
            let page = self.ctx.events_since(self.last_seq, PAGE)?;
            let Some(last) = page.last() else { break };
            self.last_seq = last.seq;
            changed.extend(page.into_iter().map(|e| e.job_id));
        }
        for id in &changed {
            match self.ctx.job(id) {
                Ok(job) => {
                    let record = json::parse(&job.info_json()?).map_err(json_error)?;
                    self.rows.insert(id.clone(), Row::from_record(&record));
                }
                // Removed from the store since the event was written.
                Err(e) if e.code() == xrun::ErrorCode::NotFound => {
                    self.rows.remove(id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(changed.len())
    }

    /// The whole screen: a title line and the table.
    pub fn screen(&self, now_ms: i64, colour: bool) -> String {
        let rows = self.rows();
        let active = rows.iter().filter(|r| !is_terminal_name(&r.state)).count();
        let title = format!(
            "xrun monitor  {}  jobs {} (active {})  journal seq {}\n",
            self.ctx.home().display(),
            rows.len(),
            active,
            self.last_seq
        );
        let title = if colour { format!("\x1b[1m{}\x1b[0m", title) } else { title };
        title + &render(&rows, now_ms, colour)
    }
}

fn is_terminal_name(state: &str) -> bool {
    xrun::State::all().find(|s| s.name() == state).is_some_and(|s| s.is_terminal())
}
