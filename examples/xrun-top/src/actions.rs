//! What the keys do to the selected job. Each asks first (the UI shows the
//! question; `y` runs it). --read-only removes them all.
use xrun::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
}

impl Action {
    /// Every action the library offers to this binding, with its key.
    pub const ALL: [Action; 1] = [Action::Cancel];

    pub fn key(self) -> char {
        match self {
            Action::Cancel => 'c',
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Cancel => "cancel",
        }
    }

    pub fn for_key(key: char) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Runs the action; the returned text goes to the status line.
    pub fn run(self, ctx: &Context, id: &str) -> String {
        let outcome = ctx.job(id).and_then(|mut job| match self {
            Action::Cancel => job.cancel(),
        });
        match outcome {
            Ok(state) => format!("{} {}: now {}", self.verb(), id, state),
            Err(e) => format!("{} {} failed: {}", self.verb(), id, e),
        }
    }
}
