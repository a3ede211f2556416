//! Parsed outputs of Quantum ESPRESSO, VASP and CRYSTAL.
use std::path::Path;
use std::ptr::{self, NonNull};

use xrun_sys as sys;

use crate::error::{check, Result};
use crate::strings::{borrowed, opt_ptr, opt_to_c, owned, path_to_c, to_c};

/// A parsed output. A failed or truncated run still parses: see
/// [`Parsed::diagnosis`]. Immutable, so `Send + Sync`.
pub struct Parsed {
    ptr: NonNull<sys::xrun_result>,
}

unsafe impl Send for Parsed {}
unsafe impl Sync for Parsed {}

impl Parsed {
    pub(crate) fn from_raw(raw: *mut sys::xrun_result) -> Parsed {
        Parsed { ptr: NonNull::new(raw).expect("xrun returned XRUN_OK and a NULL result") }
    }

    fn raw(&self) -> *mut sys::xrun_result {
        self.ptr.as_ptr()
    }

    /// "qe", "vasp" or "crystal".
    pub fn code(&self) -> String {
        unsafe { borrowed(sys::xrun_result_code(self.raw())) }
    }

    /// "ok", "scf_not_converged", "truncated_output", ...
    pub fn diagnosis(&self) -> String {
        unsafe { borrowed(sys::xrun_result_diagnosis(self.raw())) }
    }

    /// The 1-based line showing the diagnosis (0 if none).
    pub fn diagnosis_line(&self) -> i64 {
        unsafe { sys::xrun_result_diagnosis_line(self.raw()) }
    }

    pub fn diagnosis_text(&self) -> String {
        unsafe { borrowed(sys::xrun_result_diagnosis_text(self.raw())) }
    }

    /// A number by its JSON key ("total_energy_ev"); `ErrorCode::NotFound`
    /// if the output did not print it.
    pub fn number(&self, key: &str) -> Result<f64> {
        let key = to_c(key, "result key")?;
        let mut value = 0.0;
        check(unsafe { sys::xrun_result_double(self.raw(), key.as_ptr(), &mut value) })?;
        Ok(value)
    }

    /// Like [`Parsed::number`], `None` for any failure.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.number(key).ok()
    }

    /// An array by its JSON key, row-major: "final_positions_angstrom" and
    /// "final_forces_ev_per_angstrom" N×3 (3N values), "final_cell_angstrom"
    /// and "final_stress_kbar" 3×3, "ionic_energies_ev" one per ionic step.
    /// `ErrorCode::NotFound` if the output did not print it.
    pub fn array(&self, key: &str) -> Result<Vec<f64>> {
        let key = to_c(key, "result key")?;
        let mut len = 0usize;
        check(unsafe { sys::xrun_result_array(self.raw(), key.as_ptr(), ptr::null_mut(), 0, &mut len) })?;
        let mut values = vec![0.0f64; len];
        check(unsafe { sys::xrun_result_array(self.raw(), key.as_ptr(), values.as_mut_ptr(), len, &mut len) })?;
        values.truncate(len);
        Ok(values)
    }

    /// One element (pw.x: label) per atom, in the order of
    /// "final_positions_angstrom"; empty when the output prints none.
    pub fn species(&self) -> Vec<String> {
        let mut out = Vec::new();
        loop {
            let key = b"species\0".as_ptr() as *const std::os::raw::c_char;
            let s = unsafe { sys::xrun_result_string_at(self.raw(), key, out.len()) };
            if s.is_null() {
                return out;
            }
            out.push(unsafe { borrowed(s) });
        }
    }

    /// The whole result as JSON text.
    pub fn json(&self) -> Result<String> {
        let mut out = ptr::null_mut();
        check(unsafe { sys::xrun_result_json(&mut out, self.raw()) })?;
        Ok(unsafe { owned(out) })
    }
}

impl Drop for Parsed {
    fn drop(&mut self) {
        unsafe { sys::xrun_result_free(self.raw()) }
    }
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parsed").field("code", &self.code()).field("diagnosis", &self.diagnosis()).finish()
    }
}

/// Parse an output file; `parser` is "qe", "vasp", "crystal" or `None`
/// (detect from the content). Streams: memory stays bounded.
pub fn parse_file(path: impl AsRef<Path>, parser: Option<&str>) -> Result<Parsed> {
    let path = path_to_c(path.as_ref(), "path")?;
    let parser = opt_to_c(parser, "parser")?;
    let mut out = ptr::null_mut();
    check(unsafe { sys::xrun_parse_file(&mut out, path.as_ptr(), opt_ptr(&parser)) })?;
    Ok(Parsed::from_raw(out))
}

/// Parse output text held in memory.
pub fn parse_buffer(data: &[u8], parser: Option<&str>) -> Result<Parsed> {
    let parser = opt_to_c(parser, "parser")?;
    let mut out = ptr::null_mut();
    check(unsafe { sys::xrun_parse_buffer(&mut out, data.as_ptr() as *const _, data.len(), opt_ptr(&parser)) })?;
    Ok(Parsed::from_raw(out))
}
