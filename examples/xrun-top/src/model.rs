//! What xrun-top knows: one row per job and the recent journal of each,
//! kept current by following the store's events journal. Reads the store
//! only; a cluster is asked (one poll round per update) only with --poll.
use std::collections::{BTreeSet, HashMap, VecDeque};

use serde_json::Value;
use xrun::{Context, ErrorCode, Event};

use crate::timefmt::parse_iso_ms;

/// Journal page size when following the store.
const PAGE: i64 = 1000;
/// Events kept per job for the detail pane.
const EVENTS_PER_JOB: usize = 50;

/// One job as the table shows it, taken from its JSON record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobRow {
    pub id: String,
    pub name: String,
    pub machine: String,
    pub state: String,
    pub terminal: bool,
    pub scheduler_id: String,
    pub exit_code: Option<i64>,
    pub reason: String,
    pub diagnosis: String,
    pub attempts: Option<i64>,
    pub created_ms: Option<i64>,
    pub submitted_ms: Option<i64>,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    /// Numbers of the parsed result ("total_energy_ev": -155.2, ...).
    pub numbers: Vec<(String, f64)>,
    pub result_code: String,
    pub job_dir: String,
}

fn text(record: &Value, key: &str) -> String {
    record.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn time(record: &Value, key: &str) -> Option<i64> {
    record.get(key).and_then(Value::as_str).and_then(parse_iso_ms)
}

impl JobRow {
    pub fn from_record(record: &Value) -> JobRow {
        let result = record.get("result").filter(|r| r.is_object());
        let diagnosis = result
            .and_then(|r| r.get("diagnosis"))
            .and_then(|d| d.get("code").or(Some(d)))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut numbers = Vec::new();
        if let Some(Value::Object(fields)) = result {
            for (key, value) in fields {
                if let Some(n) = value.as_f64() {
                    numbers.push((key.clone(), n));
                }
            }
        }
        JobRow {
            id: text(record, "id"),
            name: text(record, "name"),
            machine: text(record, "machine"),
            state: text(record, "state"),
            terminal: record.get("terminal").and_then(Value::as_bool).unwrap_or(false),
            scheduler_id: text(record, "scheduler_id"),
            exit_code: record.get("exit_code").and_then(Value::as_i64),
            reason: text(record, "reason"),
            diagnosis,
            attempts: record.get("attempts").and_then(Value::as_i64),
            created_ms: time(record, "created_at"),
            submitted_ms: time(record, "submitted_at"),
            started_ms: time(record, "started_at"),
            ended_ms: time(record, "ended_at"),
            numbers,
            result_code: result.and_then(|r| r.get("code")).and_then(Value::as_str).unwrap_or("").to_string(),
            job_dir: text(record, "job_dir"),
        }
    }

    /// Seconds between submission and start (or now, while it waits).
    pub fn queue_wait_ms(&self, now_ms: i64) -> Option<i64> {
        let from = self.submitted_ms?;
        let to = self.started_ms.or(self.ended_ms).unwrap_or(now_ms);
        Some((to - from).max(0))
    }

    /// Time between start and end (or now, while it runs).
    pub fn run_time_ms(&self, now_ms: i64) -> Option<i64> {
        let from = self.started_ms?;
        let to = self.ended_ms.unwrap_or(now_ms);
        Some((to - from).max(0))
    }

    /// What the table's last column shows: the parser's diagnosis, else the
    /// scheduler's reason.
    pub fn diagnosis_or_reason(&self) -> &str {
        if self.diagnosis.is_empty() {
            &self.reason
        } else {
            &self.diagnosis
        }
    }
}

/// A configured machine for the machines pane.
#[derive(Debug, Clone, Default)]
pub struct MachineRow {
    pub name: String,
    pub execution: String,
    pub scheduler: String,
    pub host: String,
    /// This process's connection counters (non-zero only with --poll).
    pub sessions_open: i64,
    pub handshakes: i64,
    pub reconnects: i64,
    pub error: String,
}

pub struct Model {
    ctx: Context,
    rows: HashMap<String, JobRow>,
    events: HashMap<String, VecDeque<Event>>,
    machines: Vec<MachineRow>,
    last_seq: i64,
    poll: bool,
    /// Message of the last failed poll round (shown in the status line).
    pub poll_error: Option<String>,
    pub last_change_ms: HashMap<String, i64>,
}

impl Model {
    /// Reads the journal position, then the newest `limit` jobs (0: all).
    pub fn open(ctx: Context, limit: i64, poll: bool) -> xrun::Result<Model> {
        let mut model = Model {
            ctx,
            rows: HashMap::new(),
            events: HashMap::new(),
            machines: Vec::new(),
            last_seq: 0,
            poll,
            poll_error: None,
            last_change_ms: HashMap::new(),
        };
        // Journal first: a change racing the listing is re-read by the next
        // update, never lost.
        model.read_journal()?;
        let list: Value = serde_json::from_str(&model.ctx.jobs_json(None, None, limit)?).map_err(bad_json)?;
        for record in list.as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let row = JobRow::from_record(record);
            model.rows.insert(row.id.clone(), row);
        }
        model.events.retain(|id, _| model.rows.contains_key(id));
        let ids: Vec<String> = model.rows.keys().cloned().collect();
        for id in &ids {
            model.note_change(id);
        }
        model.read_machines();
        Ok(model)
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub fn row(&self, id: &str) -> Option<&JobRow> {
        self.rows.get(id)
    }

    pub fn rows(&self) -> impl Iterator<Item = &JobRow> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn machines(&self) -> &[MachineRow] {
        &self.machines
    }

    pub fn events_of(&self, id: &str) -> impl Iterator<Item = &Event> {
        self.events.get(id).into_iter().flatten()
    }

    /// Applies new journal events (after a poll round with --poll); returns
    /// the ids of the jobs that changed.
    pub fn update(&mut self) -> xrun::Result<BTreeSet<String>> {
        if self.poll {
            // A cluster that is down is the poll's problem, not the view's:
            // say so and keep showing the store.
            self.poll_error = self.ctx.poll().err().map(|e| e.to_string());
            self.read_machines();
        }
        let changed = self.read_journal()?;
        for id in &changed {
            self.reload(id)?;
            self.note_change(id);
        }
        Ok(changed)
    }

    /// Re-reads one job from the store.
    pub fn reload(&mut self, id: &str) -> xrun::Result<()> {
        match self.ctx.job(id) {
            Ok(job) => {
                let record: Value = serde_json::from_str(&job.info_json()?).map_err(bad_json)?;
                self.rows.insert(id.to_string(), JobRow::from_record(&record));
            }
            // Pruned from the store since the event was written.
            Err(e) if e.code() == ErrorCode::NotFound => {
                self.rows.remove(id);
                self.events.remove(id);
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// The machines pane's "last change": the newest event of its jobs.
    fn note_change(&mut self, id: &str) {
        let (Some(row), Some(event)) = (self.rows.get(id), self.events.get(id).and_then(|e| e.back())) else {
            return;
        };
        let last = self.last_change_ms.entry(row.machine.clone()).or_insert(0);
        *last = (*last).max(event.time_ms);
    }

    fn read_journal(&mut self) -> xrun::Result<BTreeSet<String>> {
        let mut changed = BTreeSet::new();
        loop {
            let page = self.ctx.events_since(self.last_seq, PAGE)?;
            let Some(last) = page.last() else { break };
            self.last_seq = last.seq;
            for event in page {
                changed.insert(event.job_id.clone());
                let kept = self.events.entry(event.job_id.clone()).or_default();
                if kept.len() == EVENTS_PER_JOB {
                    kept.pop_front();
                }
                kept.push_back(event);
            }
        }
        Ok(changed)
    }

    fn read_machines(&mut self) {
        let list: Value = match self.ctx.machines_json().map(|t| serde_json::from_str(&t)) {
            Ok(Ok(v)) => v,
            _ => return,
        };
        let entries: Vec<Value> = match list {
            Value::Array(items) => items,
            Value::Object(map) => map.get("machines").and_then(Value::as_array).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        self.machines = entries
            .iter()
            .map(|m| {
                let name = text(m, "name");
                let mut row = MachineRow {
                    execution: text(m, "execution"),
                    scheduler: text(m, "scheduler"),
                    host: text(m, "host"),
                    ..MachineRow::default()
                };
                match self.ctx.machine(Some(&name)).and_then(|h| h.stats_json()) {
                    Ok(stats) => {
                        let s: Value = serde_json::from_str(&stats).unwrap_or(Value::Null);
                        let n = |k: &str| s.get(k).and_then(Value::as_i64).unwrap_or(0);
                        row.sessions_open = n("sessions_open");
                        row.handshakes = n("handshakes");
                        row.reconnects = n("reconnects");
                    }
                    Err(e) => row.error = e.to_string(),
                }
                row.name = name;
                row
            })
            .collect();
    }
}

fn bad_json(e: serde_json::Error) -> xrun::Error {
    // The library's JSON is malformed only through a bug: say where.
    panic!("xrun returned JSON that xrun-top cannot read: {e}")
}
