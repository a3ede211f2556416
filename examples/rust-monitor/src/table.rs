//! Rows of the job table and how they are drawn.
use crate::json::Value;

/// What the monitor shows of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub machine: String,
    pub state: String,
    pub scheduler_id: String,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
    /// The parser's diagnosis when there is one, else the state's reason.
    pub diagnosis: String,
}

impl Row {
    /// From a job record (xrun_job_info_json / xrun_jobs_list).
    pub fn from_record(record: &Value) -> Row {
        let diagnosis = record
            .get("result")
            .and_then(|r| r.get("diagnosis"))
            .map(|d| d.str_at("code").to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| record.str_at("reason").to_string());
        Row {
            id: record.str_at("id").to_string(),
            name: record.str_at("name").to_string(),
            machine: record.str_at("machine").to_string(),
            state: record.str_at("state").to_string(),
            scheduler_id: record.str_at("scheduler_id").to_string(),
            started_ms: record.get("started_at").and_then(Value::as_str).and_then(parse_iso8601_ms),
            ended_ms: record.get("ended_at").and_then(Value::as_str).and_then(parse_iso8601_ms),
            diagnosis,
        }
    }

    /// Time spent running: until it ended, or until `now_ms` if it still runs.
    pub fn runtime_ms(&self, now_ms: i64) -> Option<i64> {
        let start = self.started_ms?;
        Some((self.ended_ms.unwrap_or(now_ms) - start).max(0))
    }
}

/// "2026-11-23T04:59:29.123Z" as ms since the epoch (the library's format).
pub fn parse_iso8601_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = if b[19] == b'.' { num(20..23).unwrap_or(0) } else { 0 };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
}

pub fn format_runtime(ms: Option<i64>) -> String {
    let Some(ms) = ms else { return "-".to_string() };
    let s = ms / 1000;
    if s < 60 {
        format!("{}.{}s", s, (ms % 1000) / 100)
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

fn state_colour(state: &str) -> &'static str {
    match state {
        "completed" => "\x1b[32m",
        "running" => "\x1b[36m",
        "cancelled" | "held" | "preempted" => "\x1b[33m",
        "failed" | "timeout" | "out_of_memory" | "node_fail" | "lost" => "\x1b[31m",
        _ => "",
    }
}

fn fit(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        format!("{:<width$}", text, width = width)
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{}…", cut)
    }
}

/// The table: one header line, then `rows` (already in display order).
pub fn render(rows: &[&Row], now_ms: i64, colour: bool) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} {} {} {} {} {:>9}  {}\n",
        fit("ID", 26),
        fit("NAME", 16),
        fit("MACHINE", 10),
        fit("STATE", 13),
        fit("SCHED ID", 10),
        "RUNTIME",
        "DIAGNOSIS"
    ));
    for row in rows {
        let state = fit(&row.state, 13);
        let state = if colour && !state_colour(&row.state).is_empty() {
            format!("{}{}\x1b[0m", state_colour(&row.state), state)
        } else {
            state
        };
        out.push_str(&format!(
            "{} {} {} {} {} {:>9}  {}\n",
            fit(&row.id, 26),
            fit(&row.name, 16),
            fit(&row.machine, 10),
            state,
            fit(&row.scheduler_id, 10),
            format_runtime(row.runtime_ms(now_ms)),
            row.diagnosis
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_round_numbers() {
        assert_eq!(parse_iso8601_ms("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_iso8601_ms("2000-03-01T00:00:01.500Z"), Some(951868801500));
        assert_eq!(parse_iso8601_ms("2026-11-23T04:59:29.123Z"), Some(1795409969123));
        assert_eq!(parse_iso8601_ms("yesterday"), None);
    }

    #[test]
    fn runtimes() {
        assert_eq!(format_runtime(None), "-");
        assert_eq!(format_runtime(Some(1234)), "1.2s");
        assert_eq!(format_runtime(Some(125_000)), "2m05s");
        assert_eq!(format_runtime(Some(3_720_000)), "1h02m");
    }

    #[test]
    fn row_prefers_the_parser_diagnosis() {
        let record = crate::json::parse(
            r#"{"id":"A","name":"n","machine":"local","state":"failed","scheduler_id":"42",
                "reason":"NonZeroExitCode","started_at":"1970-01-01T00:00:01.000Z",
                "ended_at":"1970-01-01T00:00:04.000Z","result":{"diagnosis":{"code":"scf_not_converged"}}}"#,
        )
        .unwrap();
        let row = Row::from_record(&record);
        assert_eq!(row.diagnosis, "scf_not_converged");
        assert_eq!(row.runtime_ms(99_999), Some(3000));
        let table = render(&[&row], 0, true);
        assert!(table.contains("\x1b[31mfailed"), "{}", table);
        assert!(render(&[&row], 0, false).lines().nth(1).unwrap().contains("failed        42"));
    }
}
