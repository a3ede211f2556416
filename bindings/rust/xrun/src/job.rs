//! Job handles.
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use xrun_sys as sys;

use crate::context::ContextInner;
use crate::error::{check, ErrorCode, Result};
use crate::parsed::Parsed;
use crate::state::State;
use crate::strings::{borrowed, owned, to_c};

/// A job handle. Its state is a snapshot taken at open/refresh/wait/cancel.
/// Dropping it never cancels the job.
///
/// `Send + Sync`: methods that update the snapshot take `&mut self`, so no
/// reader can hold a string the library is replacing (the header's
/// borrowed-string caveat); every string returned is an owned copy.
pub struct Job {
    ptr: NonNull<sys::xrun_job>,
    _context: Arc<ContextInner>,
    id: String,
}

unsafe impl Send for Job {}
unsafe impl Sync for Job {}

fn millis(timeout: Option<Duration>) -> i64 {
    timeout.map_or(-1, |t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX))
}

impl Job {
    pub(crate) fn from_raw(raw: *mut sys::xrun_job, context: Arc<ContextInner>) -> Job {
        let ptr = NonNull::new(raw).expect("xrun job call returned XRUN_OK and NULL");
        let id = unsafe { borrowed(sys::xrun_job_id(raw)) };
        Job { ptr, _context: context, id }
    }

    fn raw(&self) -> *mut sys::xrun_job {
        self.ptr.as_ptr()
    }

    /// The xrun id (a 26-character ULID).
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn state(&self) -> State {
        State::from_raw(unsafe { sys::xrun_job_state(self.raw()) })
    }

    /// Re-read the job and poll its machine if its interval allows.
    pub fn refresh(&mut self) -> Result<State> {
        check(unsafe { sys::xrun_job_refresh(self.raw()) })?;
        Ok(self.state())
    }

    /// Block until the job is terminal (`None`: no limit). A job that
    /// failed is `Ok(State::Failed)`; running out of time is
    /// `Err(ErrorCode::Timeout)`.
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<State> {
        check(unsafe { sys::xrun_job_wait(self.raw(), millis(timeout)) })?;
        Ok(self.state())
    }

    /// Send a job that is not on a scheduler yet: one left `Created` by a
    /// failed send or by `recover`, or a `Waiting` one (sent now). An
    /// `ErrorCode::State` error names the state of any other job.
    pub fn send(&mut self) -> Result<State> {
        check(unsafe { sys::xrun_job_send(self.raw()) })?;
        Ok(self.state())
    }

    /// Cancel the job; `ErrorCode::State` if it already ended.
    pub fn cancel(&mut self) -> Result<State> {
        check(unsafe { sys::xrun_job_cancel(self.raw()) })?;
        Ok(self.state())
    }

    /// The exit code, `None` while it is not known.
    pub fn exit_code(&self) -> Option<i32> {
        let mut code = 0;
        match check(unsafe { sys::xrun_job_exit_code(self.raw(), &mut code) }) {
            Ok(()) => Some(code),
            Err(_) => None,
        }
    }

    /// The scheduler's id ("" before submission).
    pub fn scheduler_id(&self) -> String {
        unsafe { borrowed(sys::xrun_job_scheduler_id(self.raw())) }
    }

    /// Why the job is in its state ("" if no reason).
    pub fn reason(&self) -> String {
        unsafe { borrowed(sys::xrun_job_reason(self.raw())) }
    }

    /// The job's record as JSON text.
    pub fn info_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_job_info_json(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }

    /// A file of the job's directory ("stdout", ...), at most `max_bytes`
    /// (`None`: the library's limit).
    pub fn read_file(&self, name: &str, max_bytes: Option<u64>) -> Result<Vec<u8>> {
        let name = to_c(name, "file name")?;
        let max = max_bytes.map_or(0, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let mut data = ptr::null_mut();
        let mut size = 0usize;
        check(unsafe { sys::xrun_job_read_file(&mut data, &mut size, self.raw(), name.as_ptr(), max) })?;
        let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, size) }.to_vec();
        unsafe { sys::xrun_free(data as *mut std::os::raw::c_void) };
        Ok(bytes)
    }

    /// Hold the job in its scheduler's queue (not on the direct scheduler).
    pub fn hold(&mut self) -> Result<State> {
        check(unsafe { sys::xrun_job_hold(self.raw()) })?;
        Ok(self.state())
    }

    /// Release a held job.
    pub fn release(&mut self) -> Result<State> {
        check(unsafe { sys::xrun_job_release(self.raw()) })?;
        Ok(self.state())
    }

    /// At most `max_bytes` (None: 16 MiB) of a job file from byte `offset`,
    /// and the file's total size when read: stream or follow a file of any
    /// size, reading each byte once.
    pub fn read_file_at(&self, name: &str, offset: u64, max_bytes: Option<u64>) -> Result<(Vec<u8>, u64)> {
        let name = to_c(name, "file name")?;
        let max = max_bytes.map_or(0, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        let mut data = ptr::null_mut();
        let mut size = 0usize;
        let mut total = 0i64;
        check(unsafe {
            sys::xrun_job_read_file_at(&mut data, &mut size, &mut total, self.raw(), name.as_ptr(), offset, max)
        })?;
        let bytes = unsafe { std::slice::from_raw_parts(data as *const u8, size) }.to_vec();
        unsafe { sys::xrun_free(data as *mut std::os::raw::c_void) };
        Ok((bytes, total.max(0) as u64))
    }

    /// The parsed result, `Ok(None)` if the job has none (yet).
    pub fn result(&self) -> Result<Option<Parsed>> {
        let mut out = ptr::null_mut();
        match check(unsafe { sys::xrun_job_result(&mut out, self.raw()) }) {
            Ok(()) => Ok(Some(Parsed::from_raw(out))),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        unsafe { sys::xrun_job_free(self.raw()) }
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("id", &self.id).field("state", &self.state()).finish()
    }
}
