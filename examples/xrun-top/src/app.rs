//! The running UI's state and what each key does.
use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::actions::Action;
use crate::model::Model;
use crate::view::View;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Jobs,
    Machines,
}

/// Bytes of stdout read for the detail pane's tail.
const STDOUT_BYTES: i64 = 1 << 20;
const STDOUT_LINES: usize = 12;

pub struct App {
    pub model: Model,
    pub view: View,
    pub pane: Pane,
    pub show_detail: bool,
    pub read_only: bool,
    pub actions: Vec<Action>,
    /// An action waiting for y/n.
    pub confirm: Option<(Action, String)>,
    /// The outcome of the last action, shown until the next key.
    pub status: Option<String>,
    /// First table row on screen.
    pub offset: usize,
    pub now_ms: i64,
    /// How long the last frame took to lay out and draw.
    pub frame_ms: f64,
    pub colour: bool,
    /// Machines whose files are on this host: their stdout is read without
    /// touching a cluster.
    local_machines: Vec<String>,
    fetch_remote: bool,
    /// id -> (state when read, last lines).
    stdout: HashMap<String, (String, Vec<String>)>,
}

impl App {
    pub fn new(model: Model, read_only: bool, fetch_remote: bool) -> App {
        let local_machines =
            model.machines().iter().filter(|m| m.execution == "local").map(|m| m.name.clone()).collect();
        App {
            model,
            view: View::default(),
            pane: Pane::Jobs,
            show_detail: false,
            read_only,
            actions: if read_only { Vec::new() } else { Action::ALL.to_vec() },
            confirm: None,
            status: None,
            offset: 0,
            now_ms: 0,
            frame_ms: 0.0,
            colour: true,
            local_machines,
            fetch_remote,
            stdout: HashMap::new(),
        }
    }

    pub fn refresh(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        self.view.refresh(&self.model, now_ms);
        if self.show_detail {
            self.load_stdout();
        }
    }

    pub fn stdout_tail(&self, id: &str) -> Vec<String> {
        match self.stdout.get(id) {
            Some((_, lines)) => lines.clone(),
            None => vec!["(on a remote machine: not read without --poll)".to_string()],
        }
    }

    /// Reads the selected job's stdout when it is on this host (or with
    /// --poll), again only when its state changed.
    fn load_stdout(&mut self) {
        let Some(id) = self.view.selected_id().map(str::to_string) else { return };
        let Some(row) = self.model.row(&id) else { return };
        if !self.fetch_remote && !self.local_machines.contains(&row.machine) {
            return;
        }
        if self.stdout.get(&id).is_some_and(|(state, _)| *state == row.state) {
            return;
        }
        let state = row.state.clone();
        let lines = match self.model.context().job(&id).and_then(|job| job.read_file("stdout", Some(STDOUT_BYTES as u64))) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(STDOUT_LINES)..].iter().map(|l| l.to_string()).collect()
            }
            Err(e) => vec![format!("(stdout not readable: {})", e.message())],
        };
        self.stdout.insert(id, (state, lines));
    }

    /// Handles one key; returns false when the user quits.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        self.status = None;
        if let Some((action, id)) = self.confirm.take() {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                let message = action.run(self.model.context(), &id);
                // The action wrote its events; show them now, not at the
                // next round.
                let _ = self.model.update();
                self.status = Some(message);
            } else {
                self.status = Some(format!("{} {}: not done", action.verb(), id));
            }
            return true;
        }
        let page = 10;
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return false,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => return false,
            KeyCode::Up | KeyCode::Char('k') => self.view.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.view.move_by(1),
            KeyCode::PageUp => self.view.move_by(-page),
            KeyCode::PageDown => self.view.move_by(page),
            KeyCode::Home | KeyCode::Char('g') => self.view.move_to(0),
            KeyCode::End | KeyCode::Char('G') => self.view.move_to(usize::MAX),
            KeyCode::Enter => self.show_detail = !self.show_detail,
            KeyCode::Tab => {
                self.pane = if self.pane == Pane::Jobs { Pane::Machines } else { Pane::Jobs };
            }
            KeyCode::Char('m') => self.view.cycle_machine(&self.model),
            KeyCode::Char('f') => self.view.cycle_state(&self.model),
            KeyCode::Char('o') => self.view.cycle_sort(),
            KeyCode::Char('O') => self.view.reverse(),
            KeyCode::Char('x') => self.view.clear_filters(),
            KeyCode::Char(c) => {
                if let Some(action) = Action::for_key(c).filter(|a| self.actions.contains(a)) {
                    if let Some(id) = self.view.selected_id() {
                        self.confirm = Some((action, id.to_string()));
                    }
                }
            }
            _ => {}
        }
        true
    }
}
