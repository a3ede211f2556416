//! Job specs built field by field (`xrun_spec_*`): no JSON in the caller.
use std::os::raw::c_int;
use std::path::Path;
use std::ptr::{self, NonNull};

use xrun_sys as sys;

use crate::error::{check, Result};
use crate::strings::{owned, path_to_c, to_c};

/// A job spec (docs/JOBSPEC.md) built with typed setters. Each setter is
/// checked at once by the library's job spec parser: a bad value is an
/// `ErrorCode::Invalid` naming the field (`job spec:
/// $.resources.walltime: ...`) and leaves the spec as it was. Every string
/// reaches the job unchanged, whatever quotes, backslashes or newlines it
/// holds. Setters chain through `?`:
///
/// ```no_run
/// # fn main() -> xrun::Result<()> {
/// # let ctx = xrun::Context::open(xrun::Options::new())?;
/// let mut spec = xrun::Spec::new()?;
/// spec.name("relax")?.args(["pw.x", "-in", "relax.in"])?.resource("walltime", "01:00:00")?
///     .resource_count("nodes", 2)?.env("OMP_NUM_THREADS", "1")?;
/// let (mut job, sent) = ctx.submit_spec(&spec)?;
/// sent?;
/// # Ok(()) }
/// ```
///
/// `Send + Sync`: setters take `&mut self`; what takes `&self` only reads
/// it, which the header allows from several threads at once.
pub struct Spec {
    ptr: NonNull<sys::xrun_spec>,
}

unsafe impl Send for Spec {}
unsafe impl Sync for Spec {}

impl Drop for Spec {
    fn drop(&mut self) {
        unsafe { sys::xrun_spec_free(self.ptr.as_ptr()) }
    }
}

impl Spec {
    /// An empty spec; it needs a command or arguments before it is submitted.
    pub fn new() -> Result<Spec> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_spec_new(&mut out) })?;
        Ok(Spec { ptr: NonNull::new(out).expect("xrun_spec_new returned XRUN_OK and NULL") })
    }

    pub(crate) fn raw(&self) -> *const sys::xrun_spec {
        self.ptr.as_ptr()
    }

    fn set(
        &mut self,
        value: &str,
        what: &str,
        setter: unsafe extern "C" fn(*mut sys::xrun_spec, *const std::os::raw::c_char) -> c_int,
    ) -> Result<&mut Spec> {
        let value = to_c(value, what)?;
        check(unsafe { setter(self.ptr.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// The job's name (free text).
    pub fn name(&mut self, name: &str) -> Result<&mut Spec> {
        self.set(name, "job name", sys::xrun_spec_set_name)
    }

    /// The machine to run on (looked up when submitted).
    pub fn machine(&mut self, machine: &str) -> Result<&mut Spec> {
        self.set(machine, "machine name", sys::xrun_spec_set_machine)
    }

    /// A shell command line (a spec has a command or arguments, not both).
    pub fn command(&mut self, command: &str) -> Result<&mut Spec> {
        self.set(command, "command", sys::xrun_spec_set_command)
    }

    /// Appends one argument to argv; it reaches the program unchanged.
    pub fn arg(&mut self, arg: &str) -> Result<&mut Spec> {
        self.set(arg, "argument", sys::xrun_spec_add_arg)
    }

    /// Appends several arguments.
    pub fn args<I, S>(&mut self, args: I) -> Result<&mut Spec>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for arg in args {
            self.arg(arg.as_ref())?;
        }
        Ok(self)
    }

    /// The directory on the machine to run in instead of the job directory.
    pub fn workdir(&mut self, workdir: &str) -> Result<&mut Spec> {
        self.set(workdir, "workdir", sys::xrun_spec_set_workdir)
    }

    /// An environment variable of the job (replaces an earlier value).
    pub fn env(&mut self, name: &str, value: &str) -> Result<&mut Spec> {
        let name = to_c(name, "variable name")?;
        let value = to_c(value, "variable value")?;
        check(unsafe { sys::xrun_spec_set_env(self.ptr.as_ptr(), name.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// A resource from text: "64G" (memory), "01:00:00" (walltime), one
    /// word (partition, account, qos), or a count such as "2".
    pub fn resource(&mut self, key: &str, value: &str) -> Result<&mut Spec> {
        let key = to_c(key, "resource key")?;
        let value = to_c(value, "resource value")?;
        check(unsafe { sys::xrun_spec_set_resource(self.ptr.as_ptr(), key.as_ptr(), value.as_ptr()) })?;
        Ok(self)
    }

    /// A count resource: nodes, tasks_per_node, cpus_per_task (>= 1).
    pub fn resource_count(&mut self, key: &str, value: i64) -> Result<&mut Spec> {
        let key = to_c(key, "resource key")?;
        check(unsafe { sys::xrun_spec_set_resource_int(self.ptr.as_ptr(), key.as_ptr(), value) })?;
        Ok(self)
    }

    /// Appends a local file or directory copied into the job directory.
    pub fn upload(&mut self, path: impl AsRef<Path>) -> Result<&mut Spec> {
        let path = path_to_c(path.as_ref(), "upload path")?;
        check(unsafe { sys::xrun_spec_add_upload(self.ptr.as_ptr(), path.as_ptr()) })?;
        Ok(self)
    }

    /// Appends a file of the job directory copied back when the job ends.
    pub fn retrieve(&mut self, name: &str) -> Result<&mut Spec> {
        self.set(name, "retrieve name", sys::xrun_spec_add_retrieve)
    }

    /// The local directory retrieved files go to.
    pub fn retrieve_to(&mut self, dir: impl AsRef<Path>) -> Result<&mut Spec> {
        let dir = path_to_c(dir.as_ref(), "retrieve_to")?;
        check(unsafe { sys::xrun_spec_set_retrieve_to(self.ptr.as_ptr(), dir.as_ptr()) })?;
        Ok(self)
    }

    /// "qe", "vasp", "crystal" or "auto", applied when the job ends.
    pub fn parser(&mut self, parser: &str) -> Result<&mut Spec> {
        self.set(parser, "parser", sys::xrun_spec_set_parser)
    }

    /// The file of the job directory the parser reads (default: stdout).
    pub fn parse_file(&mut self, name: &str) -> Result<&mut Spec> {
        self.set(name, "parse_file", sys::xrun_spec_set_parse_file)
    }

    /// Appends the id of a job this one starts after.
    pub fn depends_on(&mut self, job_id: &str) -> Result<&mut Spec> {
        self.set(job_id, "job id", sys::xrun_spec_add_dependency)
    }

    /// A yes/no setting by name: "hold", "defer" or "cache".
    pub fn flag(&mut self, flag: &str, value: bool) -> Result<&mut Spec> {
        let flag = to_c(flag, "flag")?;
        check(unsafe { sys::xrun_spec_set_flag(self.ptr.as_ptr(), flag.as_ptr(), c_int::from(value)) })?;
        Ok(self)
    }

    /// Submit the job held (batch schedulers only).
    pub fn hold(&mut self, hold: bool) -> Result<&mut Spec> {
        self.flag("hold", hold)
    }

    /// Only record the job; the next poll round of its machine sends it.
    pub fn defer(&mut self, defer: bool) -> Result<&mut Spec> {
        self.flag("defer", defer)
    }

    /// "keep", "on_success" or "always".
    pub fn cleanup(&mut self, policy: &str) -> Result<&mut Spec> {
        self.set(policy, "cleanup policy", sys::xrun_spec_set_cleanup)
    }

    /// A job array range such as "0-9" (batch schedulers only).
    pub fn array(&mut self, range: &str) -> Result<&mut Spec> {
        self.set(range, "array range", sys::xrun_spec_set_array)
    }

    /// The spec as the JSON text `Context::submit` takes.
    pub fn to_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_spec_to_json(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }
}
