//! Job states.
use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_int;

use xrun_sys as sys;

/// A job's state (the header's `xrun_state`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Created,
    Submitting,
    Submitted,
    Queued,
    Held,
    Running,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    OutOfMemory,
    NodeFail,
    Preempted,
    Lost,
    /// Recorded, not sent yet: xrun sends it by itself in a later poll round.
    Waiting,
    /// A state appended by a newer library.
    Unknown(i32),
}

const TABLE: [(State, c_int); 15] = [
    (State::Created, sys::XRUN_STATE_CREATED),
    (State::Submitting, sys::XRUN_STATE_SUBMITTING),
    (State::Submitted, sys::XRUN_STATE_SUBMITTED),
    (State::Queued, sys::XRUN_STATE_QUEUED),
    (State::Held, sys::XRUN_STATE_HELD),
    (State::Running, sys::XRUN_STATE_RUNNING),
    (State::Completed, sys::XRUN_STATE_COMPLETED),
    (State::Failed, sys::XRUN_STATE_FAILED),
    (State::Cancelled, sys::XRUN_STATE_CANCELLED),
    (State::Timeout, sys::XRUN_STATE_TIMEOUT),
    (State::OutOfMemory, sys::XRUN_STATE_OUT_OF_MEMORY),
    (State::NodeFail, sys::XRUN_STATE_NODE_FAIL),
    (State::Preempted, sys::XRUN_STATE_PREEMPTED),
    (State::Lost, sys::XRUN_STATE_LOST),
    (State::Waiting, sys::XRUN_STATE_WAITING),
];

impl State {
    pub fn from_raw(raw: c_int) -> State {
        TABLE.iter().find(|(_, r)| *r == raw).map_or(State::Unknown(raw), |(s, _)| *s)
    }

    pub fn to_raw(self) -> c_int {
        match self {
            State::Unknown(raw) => raw,
            known => TABLE.iter().find(|(s, _)| *s == known).map(|(_, r)| *r).unwrap(),
        }
    }

    /// Every state this binding knows, in the header's order.
    pub fn all() -> impl Iterator<Item = State> {
        TABLE.iter().map(|(s, _)| *s)
    }

    /// The library's name: "running", "completed", ...
    pub fn name(self) -> &'static str {
        unsafe { CStr::from_ptr(sys::xrun_state_name(self.to_raw())) }.to_str().unwrap_or("unknown")
    }

    /// True once no further transition can happen.
    pub fn is_terminal(self) -> bool {
        unsafe { sys::xrun_state_is_terminal(self.to_raw()) != 0 }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
