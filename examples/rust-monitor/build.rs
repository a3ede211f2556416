//! The binary and its tests find libxrun where xrun-sys found it.
fn main() {
    if let Ok(dir) = std::env::var("DEP_XRUN_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
    }
}
