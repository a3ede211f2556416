//! Drawing: the job table, the detail pane, the machines pane, the
//! confirmation popup and the key line. Only the rows that fit on screen
//! are built, so a store of 10,000 jobs costs what a screenful does; tui
//! compares each frame with the last and writes only the cells that changed.
use tui::backend::Backend;
use tui::layout::{Constraint, Direction, Layout, Rect};
use tui::style::{Color, Modifier, Style};
use tui::text::{Span, Spans};
use tui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use tui::Frame;

use crate::app::{App, Pane};
use crate::model::JobRow;
use crate::timefmt::{clock, duration};

pub const HEADERS: [&str; 9] =
    ["ID", "NAME", "MACHINE", "STATE", "SCHED ID", "QUEUED", "RUN", "TRIES", "DIAGNOSIS"];

/// The table's cells for one job, as text (shared with --once).
pub fn cells(row: &JobRow, now_ms: i64) -> [String; 9] {
    let dash = || "-".to_string();
    [
        row.id.clone(),
        row.name.clone(),
        row.machine.clone(),
        row.state.clone(),
        if row.scheduler_id.is_empty() { dash() } else { row.scheduler_id.clone() },
        row.queue_wait_ms(now_ms).map_or_else(dash, duration),
        row.run_time_ms(now_ms).map_or_else(dash, duration),
        row.attempts.map_or_else(dash, |n| n.to_string()),
        row.diagnosis_or_reason().to_string(),
    ]
}

pub fn state_colour(state: &str) -> Color {
    match state {
        "running" => Color::Green,
        "completed" => Color::Cyan,
        "queued" | "submitted" | "submitting" | "waiting" => Color::Yellow,
        "held" | "created" => Color::Magenta,
        "cancelled" => Color::Gray,
        _ => Color::Red, // failed, timeout, out_of_memory, node_fail, preempted, lost
    }
}

fn state_style(app: &App, state: &str) -> Style {
    if app.colour {
        Style::default().fg(state_colour(state))
    } else {
        Style::default()
    }
}

pub fn draw<B: Backend>(f: &mut Frame<B>, app: &mut App) {
    let outer = Layout::default()
        .direction(Direction::Vertical)
        .constraints([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)])
        .split(f.size());
    f.render_widget(Paragraph::new(title(app)), outer[0]);
    match app.pane {
        Pane::Jobs if app.show_detail => {
            let split = Layout::default()
                .direction(Direction::Vertical)
                .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
                .split(outer[1]);
            jobs(f, app, split[0]);
            detail(f, app, split[1]);
        }
        Pane::Jobs => jobs(f, app, outer[1]),
        Pane::Machines => machines(f, app, outer[1]),
    }
    f.render_widget(Paragraph::new(key_line(app)), outer[2]);
    if let Some((action, id)) = &app.confirm {
        let text = format!("{} job {}? y / n", action.verb(), id);
        let width = (text.len() as u16 + 4).min(f.size().width);
        let area = Rect {
            x: (f.size().width.saturating_sub(width)) / 2,
            y: f.size().height / 2,
            width,
            height: 3.min(f.size().height),
        };
        f.render_widget(Clear, area);
        let popup = Paragraph::new(text).block(Block::default().borders(Borders::ALL).title("confirm"));
        f.render_widget(popup, area);
    }
}

fn title(app: &App) -> Spans<'static> {
    let total = app.model.len();
    let shown = app.view.visible().len();
    let active = app.model.rows().filter(|r| !r.terminal).count();
    let mut spans = vec![
        Span::styled("xrun-top ", Style::default().add_modifier(Modifier::BOLD)),
        Span::raw(format!(
            "{}  jobs {} shown {} active {}  machine {}  state {}  sort {}{}  seq {}  frame {:.1} ms",
            app.model.context().home().display(),
            total,
            shown,
            active,
            app.view.machine.as_deref().unwrap_or("all"),
            app.view.state.label(),
            app.view.sort.label(),
            if app.view.descending { " desc" } else { "" },
            app.model.last_seq(),
            app.frame_ms,
        )),
    ];
    if app.read_only {
        spans.push(Span::styled("  READ-ONLY", Style::default().fg(Color::Yellow)));
    }
    Spans::from(spans)
}

fn key_line(app: &App) -> Spans<'static> {
    if let Some(status) = &app.status {
        return Spans::from(Span::styled(status.clone(), Style::default().add_modifier(Modifier::BOLD)));
    }
    let mut keys = String::from("q quit  ↑↓ move  enter detail  tab machines  m machine  f state  o sort  O reverse  x clear");
    if !app.read_only {
        for action in &app.actions {
            keys.push_str(&format!("  {} {}", action.key(), action.verb()));
        }
    }
    Spans::from(Span::raw(keys))
}

fn jobs<B: Backend>(f: &mut Frame<B>, app: &mut App, area: Rect) {
    // Border (2) + header (1): the rest is rows.
    let height = area.height.saturating_sub(3) as usize;
    let selected = app.view.selected_index();
    if selected < app.offset {
        app.offset = selected;
    } else if height > 0 && selected >= app.offset + height {
        app.offset = selected + 1 - height;
    }
    let now = app.now_ms;
    let window = app.view.visible().iter().skip(app.offset).take(height);
    let rows: Vec<Row> = window
        .filter_map(|id| app.model.row(id))
        .map(|row| {
            let [id, name, machine, state, sched, queued, run, tries, diagnosis] = cells(row, now);
            let state_style = state_style(app, &row.state);
            Row::new(vec![
                Cell::from(id),
                Cell::from(name),
                Cell::from(machine),
                Cell::from(Span::styled(state, state_style)),
                Cell::from(sched),
                Cell::from(queued),
                Cell::from(run),
                Cell::from(tries),
                Cell::from(diagnosis),
            ])
        })
        .collect();
    let header = Row::new(HEADERS.to_vec()).style(Style::default().add_modifier(Modifier::BOLD));
    let widths = [
        Constraint::Length(26),
        Constraint::Length(16),
        Constraint::Length(10),
        Constraint::Length(13),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Min(10),
    ];
    let table = Table::new(rows)
        .header(header)
        .block(Block::default().borders(Borders::ALL).title("jobs"))
        .widths(&widths)
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED))
        .highlight_symbol("> ");
    let mut state = TableState::default();
    if !app.view.visible().is_empty() {
        state.select(Some(selected - app.offset));
    }
    f.render_stateful_widget(table, area, &mut state);
}

fn detail<B: Backend>(f: &mut Frame<B>, app: &App, area: Rect) {
    let Some(row) = app.view.selected_id().and_then(|id| app.model.row(id)) else {
        f.render_widget(Block::default().borders(Borders::ALL).title("detail"), area);
        return;
    };
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let mut lines = vec![
        Spans::from(vec![
            Span::styled(format!("{} ", row.name), bold),
            Span::styled(row.state.clone(), state_style(app, &row.state)),
            Span::raw(format!(
                "  on {}  scheduler id {}  exit {}",
                row.machine,
                if row.scheduler_id.is_empty() { "-" } else { &row.scheduler_id },
                row.exit_code.map_or("-".to_string(), |c| c.to_string())
            )),
        ]),
        Spans::from(format!("reason: {}", if row.reason.is_empty() { "-" } else { &row.reason })),
        Spans::from(format!("dir: {}", row.job_dir)),
    ];
    if !row.result_code.is_empty() || !row.numbers.is_empty() {
        let numbers: Vec<String> = row.numbers.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(Spans::from(format!(
            "result ({}) diagnosis {}: {}",
            row.result_code,
            if row.diagnosis.is_empty() { "-" } else { &row.diagnosis },
            numbers.join("  ")
        )));
    }
    lines.push(Spans::from(Span::styled("events", bold)));
    for event in app.model.events_of(&row.id) {
        lines.push(Spans::from(format!(
            "  {:>6} {} {:<10} {}",
            event.seq,
            clock(event.time_ms),
            event.state.name(),
            event.message
        )));
    }
    lines.push(Spans::from(Span::styled("stdout (tail)", bold)));
    for line in app.stdout_tail(&row.id) {
        lines.push(Spans::from(format!("  {line}")));
    }
    let title = format!("detail {}", row.id);
    let widget = Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(title)).wrap(Wrap { trim: false });
    f.render_widget(widget, area);
}

fn machines<B: Backend>(f: &mut Frame<B>, app: &App, area: Rect) {
    let header = Row::new(vec!["MACHINE", "KIND", "HOST", "JOBS", "ACTIVE", "FAILED", "LAST CHANGE", "SESSIONS", "HANDSHAKES", "RECONNECTS", "ERROR"])
        .style(Style::default().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = app
        .model
        .machines()
        .iter()
        .map(|m| {
            let jobs: Vec<&JobRow> = app.model.rows().filter(|r| r.machine == m.name).collect();
            let active = jobs.iter().filter(|r| !r.terminal).count();
            let failed = jobs.iter().filter(|r| r.terminal && !matches!(r.state.as_str(), "completed" | "cancelled")).count();
            let last = app.model.last_change_ms.get(&m.name).map_or("-".to_string(), |ms| clock(*ms));
            Row::new(vec![
                Cell::from(m.name.clone()),
                Cell::from(format!("{}/{}", m.execution, m.scheduler)),
                Cell::from(if m.host.is_empty() { "-".to_string() } else { m.host.clone() }),
                Cell::from(jobs.len().to_string()),
                Cell::from(active.to_string()),
                Cell::from(Span::styled(failed.to_string(), Style::default().fg(if failed > 0 { Color::Red } else { Color::Reset }))),
                Cell::from(last),
                Cell::from(m.sessions_open.to_string()),
                Cell::from(m.handshakes.to_string()),
                Cell::from(m.reconnects.to_string()),
                Cell::from(Span::styled(m.error.clone(), Style::default().fg(Color::Red))),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(20),
        Constraint::Length(6),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(11),
        Constraint::Length(11),
        Constraint::Min(10),
    ];
    let mut title = String::from("machines (connection counters of this process: non-zero with --poll)");
    if let Some(e) = &app.model.poll_error {
        title = format!("machines  last poll failed: {e}");
    }
    let table = Table::new(rows).header(header).block(Block::default().borders(Borders::ALL).title(title)).widths(&widths);
    f.render_widget(table, area);
}
