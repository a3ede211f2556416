//! What the user chose to see: filters by machine and state, the sort
//! column and direction, the selected job. Independent of the terminal, so
//! tests drive it directly.
use crate::model::{JobRow, Model};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Machine,
    State,
    QueueWait,
    RunTime,
    Attempts,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::Machine,
        SortKey::State,
        SortKey::QueueWait,
        SortKey::RunTime,
        SortKey::Attempts,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Machine => "machine",
            SortKey::State => "state",
            SortKey::QueueWait => "queue wait",
            SortKey::RunTime => "run time",
            SortKey::Attempts => "attempts",
        }
    }

    fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

/// State filter: everything, the jobs not yet ended, or one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateFilter {
    All,
    Active,
    Only(String),
}

impl StateFilter {
    pub fn label(&self) -> String {
        match self {
            StateFilter::All => "all".into(),
            StateFilter::Active => "active".into(),
            StateFilter::Only(s) => s.clone(),
        }
    }

    fn accepts(&self, row: &JobRow) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Active => !row.terminal,
            StateFilter::Only(s) => row.state == *s,
        }
    }
}

pub struct View {
    pub machine: Option<String>,
    pub state: StateFilter,
    pub sort: SortKey,
    /// Id order is newest first by default (ids are ULIDs, so they sort by
    /// creation time).
    pub descending: bool,
    /// The ids shown, in order; rebuilt by `refresh`.
    visible: Vec<String>,
    selected: usize,
}

impl Default for View {
    fn default() -> View {
        View {
            machine: None,
            state: StateFilter::All,
            sort: SortKey::Id,
            descending: true,
            visible: Vec::new(),
            selected: 0,
        }
    }
}

impl View {
    pub fn visible(&self) -> &[String] {
        &self.visible
    }

    pub fn selected_index(&self) -> usize {
        self.selected
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.visible.get(self.selected).map(String::as_str)
    }

    /// Recomputes the visible ids; keeps the selection on the same job
    /// when it is still shown.
    pub fn refresh(&mut self, model: &Model, now_ms: i64) {
        let keep = self.selected_id().map(str::to_string);
        let mut rows: Vec<&JobRow> = model
            .rows()
            .filter(|r| self.machine.as_ref().map_or(true, |m| r.machine == *m))
            .filter(|r| self.state.accepts(r))
            .collect();
        let key = self.sort;
        rows.sort_by(|a, b| {
            let order = match key {
                SortKey::Id => a.id.cmp(&b.id),
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Machine => a.machine.cmp(&b.machine),
                SortKey::State => a.state.cmp(&b.state),
                SortKey::QueueWait => a.queue_wait_ms(now_ms).cmp(&b.queue_wait_ms(now_ms)),
                SortKey::RunTime => a.run_time_ms(now_ms).cmp(&b.run_time_ms(now_ms)),
                SortKey::Attempts => a.attempts.cmp(&b.attempts),
            }
            .then_with(|| a.id.cmp(&b.id));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        self.visible = rows.into_iter().map(|r| r.id.clone()).collect();
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|v| *v == id))
            .unwrap_or(self.selected)
            .min(self.visible.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.visible.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    pub fn move_to(&mut self, index: usize) {
        self.selected = index.min(self.visible.len().saturating_sub(1));
    }

    /// Next machine filter: all -> each machine with jobs -> all.
    pub fn cycle_machine(&mut self, model: &Model) {
        let mut names: Vec<&str> = model.rows().map(|r| r.machine.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        self.machine = next_of(&names, self.machine.as_deref());
    }

    /// Next state filter: all -> active -> each state present -> all.
    pub fn cycle_state(&mut self, model: &Model) {
        let mut states: Vec<&str> = model.rows().map(|r| r.state.as_str()).collect();
        states.sort_unstable();
        states.dedup();
        self.state = match &self.state {
            StateFilter::All => StateFilter::Active,
            StateFilter::Active => states.first().map_or(StateFilter::All, |s| StateFilter::Only(s.to_string())),
            StateFilter::Only(current) => match next_of(&states, Some(current)) {
                Some(s) => StateFilter::Only(s),
                None => StateFilter::All,
            },
        };
    }

    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        // Longest waits and runs first; names and machines A to Z.
        self.descending = matches!(self.sort, SortKey::Id | SortKey::QueueWait | SortKey::RunTime | SortKey::Attempts);
    }

    pub fn reverse(&mut self) {
        self.descending = !self.descending;
    }

    pub fn clear_filters(&mut self) {
        self.machine = None;
        self.state = StateFilter::All;
    }
}

/// The item after `current` in `items`; None after the last (back to "all").
fn next_of(items: &[&str], current: Option<&str>) -> Option<String> {
    match current {
        None => items.first().map(|s| s.to_string()),
        Some(c) => items.iter().position(|s| *s == c).and_then(|i| items.get(i + 1)).map(|s| s.to_string()),
    }
}
