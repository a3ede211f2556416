//! Safe Rust API of libxrun: submit, poll, cancel and collect jobs on the
//! local host and HPC clusters; parse Quantum ESPRESSO, VASP and CRYSTAL
//! outputs.
//!
//! ```no_run
//! use std::time::Duration;
//! let ctx = xrun::Context::open(xrun::Options::new().home("/tmp/xrun-home"))?;
//! let mut job = ctx.submit(r#"{"name": "greet", "command": "echo hi"}"#)?;
//! let state = job.wait(Some(Duration::from_secs(60)))?;
//! println!("{} {} exit={:?}", job.id(), state, job.exit_code());
//! # Ok::<(), xrun::Error>(())
//! ```
//!
//! Every fallible call returns [`Result<T>`] with an [`Error`] carrying the
//! status code and the library's message. Handles free themselves on
//! `Drop`. [`Context`], [`Job`], [`Machine`] and [`Parsed`] are
//! `Send + Sync`, as the header promises thread safety; strings are always
//! copied out. Rich data (job records, machine configuration, results)
//! comes as JSON text, with typed accessors for what drivers need.
#![forbid(unsafe_op_in_unsafe_fn)]

mod context;
mod error;
mod job;
mod machine;
mod parsed;
mod spec;
mod state;
mod strings;

pub use context::{Context, Event, LogLevel, Options};
pub use error::{Error, ErrorCode, Result};
pub use job::Job;
pub use machine::{CheckReport, Machine};
pub use parsed::{parse_buffer, parse_file, Parsed};
pub use spec::Spec;
pub use state::State;

/// The loaded library's version string.
pub fn version() -> String {
    unsafe { strings::borrowed(xrun_sys::xrun_version()) }
}

/// The loaded library's version number; compare with [`HEADER_VERSION_NUMBER`].
pub fn version_number() -> i32 {
    unsafe { xrun_sys::xrun_version_number() }
}

/// The version of the header these bindings were written against.
pub const HEADER_VERSION_NUMBER: i32 = xrun_sys::XRUN_VERSION_NUMBER;

#[allow(dead_code)]
fn assert_thread_safety() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Context>();
    send_sync::<Job>();
    send_sync::<Machine>();
    send_sync::<Parsed>();
    send_sync::<Spec>();
    send_sync::<Error>();
}
