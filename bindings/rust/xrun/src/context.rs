//! The context: machine configuration, the job store, and everything
//! opened from it.
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::time::Duration;

use xrun_sys as sys;

use crate::error::{check, Result};
use crate::job::Job;
use crate::machine::Machine;
use crate::spec::Spec;
use crate::state::State;
use crate::strings::{borrowed, opt_ptr, opt_to_c, owned, path_to_c, to_c};

/// Log levels of the callback, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl LogLevel {
    fn from_raw(raw: c_int) -> LogLevel {
        match raw {
            0 => LogLevel::Error,
            1 => LogLevel::Warn,
            2 => LogLevel::Info,
            _ => LogLevel::Debug,
        }
    }
}

type LogFn = dyn Fn(LogLevel, &str) + Send + Sync;

/// How to open a [`Context`]. `Options::default()` uses `$XRUN_HOME` (else
/// `~/.xrun`) and no logging.
#[derive(Default)]
pub struct Options {
    home: Option<PathBuf>,
    store_path: Option<PathBuf>,
    log: Option<(LogLevel, Box<LogFn>)>,
    read_only: bool,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    /// A context that only reads the store (`xrun_ctx_open_read_only`): no
    /// lock, a read-only store file opens, a broken machine file is logged.
    pub fn read_only(mut self, read_only: bool) -> Options {
        self.read_only = read_only;
        self
    }

    pub fn home(mut self, home: impl AsRef<Path>) -> Options {
        self.home = Some(home.as_ref().to_path_buf());
        self
    }

    pub fn store_path(mut self, path: impl AsRef<Path>) -> Options {
        self.store_path = Some(path.as_ref().to_path_buf());
        self
    }

    /// A log callback. It may be called from any thread that uses the
    /// context, several at once; a panic in it is caught and ignored.
    pub fn log(mut self, level: LogLevel, callback: impl Fn(LogLevel, &str) + Send + Sync + 'static) -> Options {
        self.log = Some((level, Box::new(callback)));
        self
    }
}

unsafe extern "C" fn log_trampoline(level: c_int, message: *const c_char, payload: *mut c_void) {
    // A panic must not unwind into C.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: payload is the Box<LogFn> held by ContextInner, which
        // outlives every call made through the context.
        let callback = unsafe { &*(payload as *const Box<LogFn>) };
        callback(LogLevel::from_raw(level), &unsafe { borrowed(message) });
    }));
}

/// The C context plus what its callbacks point into. Shared (Arc) by every
/// handle opened from the context, so the callback outlives all C calls
/// that might invoke it.
pub(crate) struct ContextInner {
    pub(crate) ptr: NonNull<sys::xrun_ctx>,
    _log: Option<Box<Box<LogFn>>>,
}

// The header: "All functions may be called from several threads at once on
// one context and on handles derived from it". The log callback is
// Send + Sync by its bound.
unsafe impl Send for ContextInner {}
unsafe impl Sync for ContextInner {}

impl Drop for ContextInner {
    fn drop(&mut self) {
        unsafe { sys::xrun_ctx_close(self.ptr.as_ptr()) }
    }
}

/// An xrun context. Cheap to clone (shared), `Send + Sync`. Jobs and
/// machines keep it alive; dropping it never cancels jobs.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<ContextInner>,
}

/// One journal entry: a job entered `state` at `time_ms` (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub time_ms: i64,
    pub job_id: String,
    pub state: State,
    pub message: String,
    /// "state" (the state changed) or "reason" (same state as the job's
    /// previous event: only the reason changed).
    pub kind: String,
}

/// Frees an xrun_events handle however the scope is left.
struct EventsGuard(*mut sys::xrun_events);
impl Drop for EventsGuard {
    fn drop(&mut self) {
        unsafe { sys::xrun_events_free(self.0) }
    }
}

impl Context {
    /// Open a context with default options ($XRUN_HOME or ~/.xrun).
    pub fn open_default() -> Result<Context> {
        Context::open(Options::default())
    }

    pub fn open(options: Options) -> Result<Context> {
        let mut opts = sys::xrun_options::default();
        check(unsafe { sys::xrun_options_init(&mut opts, sys::XRUN_OPTIONS_VERSION) })?;
        let home = options.home.as_deref().map(|p| path_to_c(p, "home")).transpose()?;
        let store = options.store_path.as_deref().map(|p| path_to_c(p, "store_path")).transpose()?;
        opts.home = opt_ptr(&home);
        opts.store_path = opt_ptr(&store);
        let log = options.log.map(|(level, callback)| (level, Box::new(callback)));
        if let Some((level, callback)) = &log {
            opts.log = Some(log_trampoline);
            opts.log_level = *level as c_int;
            opts.log_payload = &**callback as *const Box<LogFn> as *mut c_void;
        }
        let mut out = ptr::null_mut();
        let open = if options.read_only { sys::xrun_ctx_open_read_only } else { sys::xrun_ctx_open };
        check(unsafe { open(&mut out, &opts) })?;
        let ptr = NonNull::new(out).expect("xrun_ctx_open returned XRUN_OK and NULL");
        Ok(Context { inner: Arc::new(ContextInner { ptr, _log: log.map(|(_, c)| c) }) })
    }

    fn raw(&self) -> *mut sys::xrun_ctx {
        self.inner.ptr.as_ptr()
    }

    /// The resolved home directory.
    pub fn home(&self) -> PathBuf {
        PathBuf::from(unsafe { borrowed(sys::xrun_ctx_home(self.raw())) })
    }

    pub fn store_path(&self) -> PathBuf {
        PathBuf::from(unsafe { borrowed(sys::xrun_ctx_store_path(self.raw())) })
    }

    /// `{"default": NAME, "machines": [...]}` as JSON text.
    pub fn machines_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_machines_list(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }

    pub fn default_machine(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_machines_default(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }

    /// Open a machine by name (`None`: the default). Never connects.
    pub fn machine(&self, name: Option<&str>) -> Result<Machine> {
        let name = opt_to_c(name, "machine name")?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_machine_open(&mut out, self.raw(), opt_ptr(&name)) })?;
        Ok(Machine::from_raw(out, self.inner.clone()))
    }

    /// Submit a job from a JSON spec (see xrun.h for its keys).
    pub fn submit(&self, spec_json: &str) -> Result<Job> {
        let spec = to_c(spec_json, "job spec")?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_job_submit(&mut out, self.raw(), spec.as_ptr()) })?;
        Ok(Job::from_raw(out, self.inner.clone()))
    }

    /// Submit a job, keeping it even when sending it fails: `Err` only if
    /// the job was refused before it was recorded (bad spec, unknown
    /// machine); otherwise the job and the outcome of its send (send it
    /// again with `Job::send`, or let poll rounds resend a job that waits
    /// for the connection).
    pub fn submit_keeping(&self, spec_json: &str) -> Result<(Job, Result<()>)> {
        let spec = to_c(spec_json, "job spec")?;
        let mut out = ptr::null_mut();
        let sent = check(unsafe { sys::xrun_job_submit_v2(&mut out, self.raw(), spec.as_ptr()) });
        if out.is_null() {
            return Err(sent.expect_err("xrun_job_submit_v2 gave no job and no error"));
        }
        Ok((Job::from_raw(out, self.inner.clone()), sent))
    }

    /// Submit a job from a [`Spec`] built field by field. Like
    /// [`Context::submit_keeping`]: `Err` only if the job was refused
    /// before it was recorded (a bad spec, an unknown machine, what the
    /// scheduler cannot carry); otherwise the job and the outcome of its
    /// send. The spec is unchanged and can be submitted again.
    pub fn submit_spec(&self, spec: &Spec) -> Result<(Job, Result<()>)> {
        let mut out = ptr::null_mut();
        let sent = check(unsafe { sys::xrun_job_submit_spec(&mut out, self.raw(), spec.raw()) });
        if out.is_null() {
            return Err(sent.expect_err("xrun_job_submit_spec gave no job and no error"));
        }
        Ok((Job::from_raw(out, self.inner.clone()), sent))
    }

    /// Submit several [`Spec`]s at once (one command per machine): all are
    /// checked first and one bad spec refuses them all (its index named).
    /// Returns the outcomes as a JSON array in input order (id, state,
    /// scheduler_id, and error for a job that was not sent).
    pub fn submit_specs(&self, specs: &[&Spec]) -> Result<String> {
        let raw: Vec<*const sys::xrun_spec> = specs.iter().map(|s| s.raw()).collect();
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_jobs_submit_specs(&mut out, self.raw(), raw.as_ptr(), raw.len()) })?;
        Ok(unsafe { owned(out) })
    }

    /// Submit a shell command line with no other settings.
    pub fn submit_command(&self, command: &str, machine: Option<&str>, name: Option<&str>) -> Result<Job> {
        let command = to_c(command, "command")?;
        let machine = opt_to_c(machine, "machine name")?;
        let name = opt_to_c(name, "job name")?;
        let mut out = ptr::null_mut();
        check(unsafe {
            sys::xrun_job_submit_command(&mut out, self.raw(), opt_ptr(&machine), opt_ptr(&name), command.as_ptr())
        })?;
        Ok(Job::from_raw(out, self.inner.clone()))
    }

    /// Open a job by its xrun id (`ErrorCode::NotFound` if unknown).
    pub fn job(&self, id: &str) -> Result<Job> {
        let id = to_c(id, "job id")?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_job_open(&mut out, self.raw(), id.as_ptr()) })?;
        Ok(Job::from_raw(out, self.inner.clone()))
    }

    /// Submit several jobs at once from a JSON array of specs: all are
    /// checked and recorded first, then one command per machine sends them.
    /// Returns the outcomes as a JSON array in input order
    /// (`id`, `state`, `scheduler_id`, and `error` for a job not sent).
    pub fn submit_batch_json(&self, specs_json: &str) -> Result<String> {
        let specs = to_c(specs_json, "job specs")?;
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_jobs_submit(&mut out, self.raw(), specs.as_ptr()) })?;
        Ok(unsafe { owned(out) })
    }

    /// Job records as a JSON array, newest first; reads the store only.
    pub fn jobs_json(&self, machine: Option<&str>, state: Option<State>, limit: i64) -> Result<String> {
        let machine = opt_to_c(machine, "machine name")?;
        let state = state.map_or(-1, State::to_raw);
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_jobs_list(&mut out, self.raw(), opt_ptr(&machine), state, limit) })?;
        Ok(unsafe { owned(out) })
    }

    /// One poll round over all machines; returns when another round would
    /// do anything.
    pub fn poll(&self) -> Result<Duration> {
        let mut next_ms = 0i64;
        check(unsafe { sys::xrun_poll(self.raw(), &mut next_ms) })?;
        Ok(Duration::from_millis(next_ms.max(0) as u64))
    }

    /// Interrupt the calls of this context that are blocked right now
    /// (`Job::wait`, `poll`, `wait_events`): each returns an error with
    /// `ErrorCode::Interrupted`. Safe from any thread; calls started
    /// afterwards are not affected.
    pub fn interrupt(&self) -> Result<()> {
        check(unsafe { sys::xrun_ctx_interrupt(self.raw()) })
    }

    /// Block until an event with `seq > after_seq` exists (or the timeout;
    /// `None` waits until an event or an interrupt). Returns the newest seq.
    pub fn wait_events(&self, after_seq: i64, timeout: Option<Duration>) -> Result<i64> {
        let timeout_ms = timeout.map_or(-1, |t| t.as_millis().min(i64::MAX as u128) as i64);
        let mut last = 0i64;
        check(unsafe { sys::xrun_events_wait(&mut last, self.raw(), after_seq, timeout_ms) })?;
        Ok(last)
    }

    /// Delete terminal jobs that ended more than `older_than` ago, with
    /// their events, from the store; the report as JSON {"jobs","events"}.
    pub fn prune(&self, older_than: Duration) -> Result<String> {
        let ms = older_than.as_millis().min(i64::MAX as u128) as i64;
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_prune(&mut out, self.raw(), ms) })?;
        Ok(unsafe { owned(out) })
    }

    /// Reconcile jobs a crash left half-submitted; the report as JSON.
    pub fn recover(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_recover(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }

    /// Journal events with `seq > after_seq`, oldest first, at most `max`
    /// (<= 0: the library's default). Reads the store only.
    pub fn events_since(&self, after_seq: i64, max: i64) -> Result<Vec<Event>> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_events_since(&mut out, self.raw(), after_seq, max) })?;
        let events = EventsGuard(out);
        let count = unsafe { sys::xrun_events_count(events.0) };
        Ok((0..count)
            .map(|i| unsafe {
                Event {
                    seq: sys::xrun_events_seq(events.0, i),
                    time_ms: sys::xrun_events_time_ms(events.0, i),
                    job_id: borrowed(sys::xrun_events_job_id(events.0, i)),
                    state: State::from_raw(sys::xrun_events_state(events.0, i)),
                    message: borrowed(sys::xrun_events_message(events.0, i)),
                    kind: borrowed(sys::xrun_events_kind(events.0, i)),
                }
            })
            .collect())
    }

    /// The same events as the library's JSON array.
    pub fn events_json(&self, after_seq: i64, max: i64) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_events_since(&mut out, self.raw(), after_seq, max) })?;
        let events = EventsGuard(out);
        let mut text = ptr::null_mut();
        check(unsafe { sys::xrun_events_json(&mut text, events.0) })?;
        Ok(unsafe { owned(text) })
    }
}
