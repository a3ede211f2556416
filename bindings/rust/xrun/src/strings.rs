//! Crossing strings: Rust in, borrowed or owned C strings out. Every string
//! the safe API returns is copied into a Rust String, so no Rust value
//! borrows memory the library may free (see the header's THREADS rule).
use std::ffi::{CStr, CString};
use std::os::raw::{c_char, c_void};
use std::path::Path;

use xrun_sys as sys;

use crate::error::{Error, Result};

pub(crate) fn to_c(value: &str, what: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error::new(sys::XRUN_E_INVALID, format!("{} contains a NUL byte", what)))
}

pub(crate) fn path_to_c(path: &Path, what: &str) -> Result<CString> {
    use std::os::unix::ffi::OsStrExt;
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Error::new(sys::XRUN_E_INVALID, format!("{} contains a NUL byte", what)))
}

pub(crate) fn opt_to_c(value: Option<&str>, what: &str) -> Result<Option<CString>> {
    value.map(|v| to_c(v, what)).transpose()
}

pub(crate) fn opt_ptr(value: &Option<CString>) -> *const c_char {
    value.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// A copy of a BORROWED C string ("" for NULL).
pub(crate) unsafe fn borrowed(ptr: *const c_char) -> String {
    if ptr.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
    }
}

/// Takes an OWNED C string: copies it and releases it with xrun_free.
pub(crate) unsafe fn owned(ptr: *mut c_char) -> String {
    let text = unsafe { borrowed(ptr) };
    unsafe { sys::xrun_free(ptr as *mut c_void) };
    text
}
