//! Status codes as a Rust error type.
use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_int;

use xrun_sys as sys;

/// What kind of failure, one per `XRUN_E_*` status code.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Invalid,
    Config,
    NotFound,
    State,
    Store,
    Io,
    Transport,
    Auth,
    HostKey,
    Scheduler,
    Timeout,
    Parse,
    NoMem,
    Unsupported,
    Internal,
    /// A blocking call ended by `Context::interrupt`.
    Interrupted,
    /// A code appended by a newer library.
    Unknown(i32),
}

impl ErrorCode {
    pub fn from_status(status: c_int) -> ErrorCode {
        match status {
            sys::XRUN_E_INVALID => ErrorCode::Invalid,
            sys::XRUN_E_CONFIG => ErrorCode::Config,
            sys::XRUN_E_NOT_FOUND => ErrorCode::NotFound,
            sys::XRUN_E_STATE => ErrorCode::State,
            sys::XRUN_E_STORE => ErrorCode::Store,
            sys::XRUN_E_IO => ErrorCode::Io,
            sys::XRUN_E_TRANSPORT => ErrorCode::Transport,
            sys::XRUN_E_AUTH => ErrorCode::Auth,
            sys::XRUN_E_HOSTKEY => ErrorCode::HostKey,
            sys::XRUN_E_SCHEDULER => ErrorCode::Scheduler,
            sys::XRUN_E_TIMEOUT => ErrorCode::Timeout,
            sys::XRUN_E_PARSE => ErrorCode::Parse,
            sys::XRUN_E_NOMEM => ErrorCode::NoMem,
            sys::XRUN_E_UNSUPPORTED => ErrorCode::Unsupported,
            sys::XRUN_E_INTERNAL => ErrorCode::Internal,
            sys::XRUN_E_INTERRUPTED => ErrorCode::Interrupted,
            other => ErrorCode::Unknown(other),
        }
    }
}

/// A failed xrun call: its status code and the library's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: c_int,
    message: String,
}

impl Error {
    pub(crate) fn new(status: c_int, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The calling thread's last failure, right after a call returned it.
    pub(crate) fn last(status: c_int) -> Error {
        let message = unsafe { CStr::from_ptr(sys::xrun_last_error()) }.to_string_lossy().into_owned();
        Error { status, message }
    }

    pub fn code(&self) -> ErrorCode {
        ErrorCode::from_status(self.status)
    }

    /// The raw `xrun_status` value.
    pub fn status(&self) -> i32 {
        self.status
    }

    /// "XRUN_E_NOT_FOUND", ...
    pub fn name(&self) -> &'static str {
        unsafe { CStr::from_ptr(sys::xrun_status_name(self.status)) }.to_str().unwrap_or("XRUN_E_UNKNOWN")
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Turns a status into a Result, reading the thread's message on failure.
pub(crate) fn check(status: c_int) -> Result<()> {
    if status == sys::XRUN_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}
