//! Configured machines.
use std::ptr::{self, NonNull};
use std::sync::Arc;

use xrun_sys as sys;

use crate::context::ContextInner;
use crate::error::{check, Result};
use crate::strings::{borrowed, owned};

/// A configured machine; opening one never connects.
pub struct Machine {
    ptr: NonNull<sys::xrun_machine>,
    _context: Arc<ContextInner>,
    name: String,
}

// Thread-safe per the header; the name is copied at open.
unsafe impl Send for Machine {}
unsafe impl Sync for Machine {}

/// The outcome of [`Machine::check`]: the report is there even when a step
/// failed, and `status` says which failure came first.
#[derive(Debug)]
pub struct CheckReport {
    pub json: String,
    pub status: Result<()>,
}

impl Machine {
    pub(crate) fn from_raw(raw: *mut sys::xrun_machine, context: Arc<ContextInner>) -> Machine {
        let ptr = NonNull::new(raw).expect("xrun_machine_open returned XRUN_OK and NULL");
        let name = unsafe { borrowed(sys::xrun_machine_name(raw)) };
        Machine { ptr, _context: context, name }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full, resolved configuration as JSON text.
    pub fn json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_machine_json(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { owned(out) })
    }

    /// Check the machine step by step (blocks, bounded by its timeouts).
    pub fn check(&self) -> Result<CheckReport> {
        let mut out = ptr::null_mut();
        let status = check(unsafe { sys::xrun_machine_check(&mut out, self.ptr.as_ptr()) });
        if out.is_null() {
            return Err(status.expect_err("xrun_machine_check gave no report and no error"));
        }
        Ok(CheckReport { json: unsafe { owned(out) }, status })
    }

    /// Connection counters as JSON text.
    pub fn stats_json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_machine_stats(&mut out, self.ptr.as_ptr()) })?;
        Ok(unsafe { owned(out) })
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        unsafe { sys::xrun_machine_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine").field("name", &self.name).finish()
    }
}
