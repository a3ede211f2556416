//! The binary and its tests find libxrun where the xrun crate found it
//! (its `links` metadata, see bindings/rust/README.md).
fn main() {
    let dir = std::env::var("DEP_XRUN_RS_LIB_DIR").expect("the xrun crate exports DEP_XRUN_RS_LIB_DIR");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}
