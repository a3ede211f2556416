//! What the keys do to the selected job. Each asks first (the UI shows the
//! question; `y` runs it). --read-only removes them all.
use xrun::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
    Hold,
    Release,
    Send,
}

impl Action {
    /// Every action the library offers to this binding, with its key.
    pub const ALL: [Action; 4] = [Action::Cancel, Action::Hold, Action::Release, Action::Send];

    pub fn key(self) -> char {
        match self {
            Action::Cancel => 'c',
            Action::Hold => 'h',
            Action::Release => 'r',
            Action::Send => 's',
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Action::Cancel => "cancel",
            Action::Hold => "hold",
            Action::Release => "release",
            Action::Send => "send",
        }
    }

    pub fn for_key(key: char) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }

    /// Runs the action; the returned text goes to the status line. A
    /// refusal (a direct job cannot be held, a running job cannot be sent)
    /// is the library's status name and xrun_last_error()'s message.
    pub fn run(self, ctx: &Context, id: &str) -> String {
        let outcome = ctx.job(id).and_then(|mut job| match self {
            Action::Cancel => job.cancel(),
            Action::Hold => job.hold(),
            Action::Release => job.release(),
            Action::Send => job.send(),
        });
        match outcome {
            Ok(state) => format!("{} {}: now {}", self.verb(), id, state),
            Err(e) => format!("{} {} failed: {}", self.verb(), id, e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_distinct_and_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::for_key(a.key()), Some(a));
        }
        let mut keys: Vec<char> = Action::ALL.iter().map(|a| a.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), Action::ALL.len());
        // Keys the UI already uses for moving, filters and sorting.
        for used in ['q', 'k', 'j', 'g', 'G', 'm', 'f', 'o', 'O', 'x'] {
            assert_eq!(Action::for_key(used), None, "{used} is taken");
        }
    }
}
