//! xrun-sys finds the library and tells its direct dependents where
//! (DEP_XRUN_LIB_DIR). An rpath given with `rustc-link-arg` reaches only
//! this package's own tests and examples, and cargo passes `DEP_*` only one
//! level down; so this crate re-exports the directory as its own `links`
//! metadata: a program that depends on `xrun` reads DEP_XRUN_RS_LIB_DIR
//! (DEP_XRUN_RS_RPATH is the same directory, named for what to do with it)
//! in its build.rs and starts without LD_LIBRARY_PATH.
fn main() {
    let dir = std::env::var("DEP_XRUN_LIB_DIR")
        .expect("xrun: xrun-sys did not report the directory of libxrun.so (DEP_XRUN_LIB_DIR)");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    println!("cargo:lib_dir={}", dir);
    println!("cargo:rpath={}", dir);
}
