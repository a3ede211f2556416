//! A context opened with default options reads $XRUN_HOME. Its own test
//! binary: the environment is process-wide.
mod common;

use common::{drop_sanitizer_preload, TempDir, WAIT};
use xrun::{Context, State};

#[test]
fn default_options_use_xrun_home() {
    drop_sanitizer_preload();
    let home = TempDir::new("env");
    std::env::set_var("XRUN_HOME", home.path());
    std::env::remove_var("XRUN_DEFAULT_MACHINE");
    let ctx = Context::open_default().unwrap();
    assert_eq!(ctx.home(), home.path());
    let mut job = ctx.submit_command("echo env", None, None).unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert!(job.info_json().unwrap().contains(home.path().to_str().unwrap()));
}
