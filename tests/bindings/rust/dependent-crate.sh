#!/usr/bin/env bash
# Issue 10 #5: a program that depends only on the safe `xrun` crate starts
# without LD_LIBRARY_PATH. Creates a throw-away crate outside the
# repository's workspace (its own [workspace], cargo offline, crates.io
# replaced by Debian's registry directory), whose build.rs is the one the
# Rust README tells users to write; builds it, checks its RUNPATH names the
# library's directory, and runs a real job on the built-in `local` machine
# with LD_LIBRARY_PATH unset.
#   tests/bindings/rust/dependent-crate.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: dependent-crate.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cargo=$(command -v cargo || echo /root/.cargo/bin/cargo)
work=$(mktemp -d /tmp/xrun-dependent-XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/app/src" "$work/app/.cargo" "$work/home"
cat > "$work/app/Cargo.toml" <<TOML
[package]
name = "xrun-dependent-check"
version = "0.1.0"
edition = "2021"
build = "build.rs"

[dependencies]
xrun = { path = "$repo/bindings/rust/xrun" }

[workspace]
TOML
cat > "$work/app/.cargo/config.toml" <<'TOML'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
TOML
cat > "$work/app/build.rs" <<'RS'
fn main() {
    let dir = std::env::var("DEP_XRUN_RS_LIB_DIR").expect("the xrun crate exports DEP_XRUN_RS_LIB_DIR");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
}
RS
cat > "$work/app/src/main.rs" <<'RS'
fn main() -> xrun::Result<()> {
    let home = std::env::args().nth(1).expect("usage: xrun-dependent-check HOME");
    let ctx = xrun::Context::open(xrun::Options::new().home(&home))?;
    let mut job = ctx.submit(r#"{"name": "dependent", "command": "echo dependent-ok"}"#)?;
    let state = job.wait(Some(std::time::Duration::from_secs(60)))?;
    println!("libxrun {} job {} {}", xrun::version(), job.id(), state);
    Ok(())
}
RS

export XRUN_LIB_DIR=$build
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$work/target}
(cd "$work/app" && "$cargo" build --offline --quiet)
bin=$CARGO_TARGET_DIR/debug/xrun-dependent-check

runpath=$(readelf -d "$bin" | grep -E 'R(UN)?PATH' || true)
echo "dependent RUNPATH: $runpath"
if [[ "$runpath" != *"$build"* ]]; then
  echo "FAIL: the dependent binary's RUNPATH does not name $build" >&2
  exit 1
fi

out=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD XRUN_HOME="$work/home" "$bin" "$work/home" 2>&1) || {
  echo "FAIL: the dependent binary did not start or its job failed: $out" >&2
  exit 1
}
echo "dependent output: $out"
if [[ "$out" != *" completed" ]]; then
  echo "FAIL: expected the job to end completed" >&2
  exit 1
fi
echo "PASS: a crate depending on xrun runs without LD_LIBRARY_PATH"
