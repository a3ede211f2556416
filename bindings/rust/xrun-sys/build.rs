//! Finds libxrun: $XRUN_LIB_DIR (the CMake build dir or an install's lib/),
//! else pkg-config, else the repository's `build/` directory. Emits an
//! rpath so tests and binaries run without LD_LIBRARY_PATH, and passes the
//! directory on to dependents as DEP_XRUN_LIB_DIR.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn from_pkg_config() -> Option<PathBuf> {
    let out = Command::new("pkg-config").args(["--variable=libdir", "xrun"]).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!dir.is_empty()).then(|| PathBuf::from(dir))
}

fn has_library(dir: &Path) -> bool {
    dir.join("libxrun.so").exists()
}

fn main() {
    println!("cargo:rerun-if-env-changed=XRUN_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo_build = manifest.join("../../../build");
    let dir = match env::var_os("XRUN_LIB_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => from_pkg_config().filter(|d| has_library(d)).unwrap_or(repo_build),
    };
    if !has_library(&dir) {
        panic!(
            "xrun-sys: libxrun.so not found in {} (build it with CMake, or set XRUN_LIB_DIR)",
            dir.display()
        );
    }
    let dir = dir.canonicalize().unwrap_or(dir);
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=xrun");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    println!("cargo:rerun-if-changed={}", dir.join("libxrun.so").display());
    // Read by dependents' build scripts (DEP_XRUN_LIB_DIR) to set their rpath.
    println!("cargo:lib_dir={}", dir.display());
}
