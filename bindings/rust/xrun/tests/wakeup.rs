//! Wake-ups through the safe crate: `Context::interrupt` ends a blocked
//! `Job::wait` on another thread, and `Context::wait_events` returns once an
//! event exists and times out otherwise.
mod common;

use std::time::{Duration, Instant};

use common::{drop_sanitizer_preload, TempDir};
use xrun::{Context, ErrorCode, Options};

#[test]
fn interrupt_ends_a_blocked_wait() {
    drop_sanitizer_preload();
    let home = TempDir::new("wakeup");
    let ctx = Context::open(Options::new().home(home.path())).unwrap();
    let job = ctx.submit_command("sleep 30", None, Some("blocked")).unwrap();
    let mut job = job;
    let waiter = std::thread::spawn(move || job.wait(None));
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(200));
    while !waiter.is_finished() && start.elapsed() < Duration::from_secs(10) {
        ctx.interrupt().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let outcome = waiter.join().unwrap();
    assert_eq!(outcome.unwrap_err().code(), ErrorCode::Interrupted);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn wait_events_sees_new_events_and_times_out() {
    drop_sanitizer_preload();
    let home = TempDir::new("wakeup-events");
    let ctx = Context::open(Options::new().home(home.path())).unwrap();
    let err = ctx.wait_events(0, Some(Duration::from_millis(100))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    let _job = ctx.submit_command("true", None, None).unwrap();
    let last = ctx.wait_events(0, Some(Duration::from_millis(0))).unwrap();
    assert!(last >= 1);
}

#[test]
fn read_file_at_reads_from_an_offset() {
    drop_sanitizer_preload();
    let home = TempDir::new("read-at");
    let ctx = Context::open(Options::new().home(home.path())).unwrap();
    let mut job = ctx.submit_command("printf 0123456789", None, None).unwrap();
    job.wait(Some(Duration::from_secs(30))).unwrap();
    let (data, total) = job.read_file_at("stdout", 3, Some(4)).unwrap();
    assert_eq!((data.as_slice(), total), (&b"3456"[..], 10));
    assert_eq!(job.read_file_at("stdout", 10, None).unwrap(), (Vec::new(), 10));
}

#[test]
fn hold_is_unsupported_on_direct_and_prune_removes_old_jobs() {
    drop_sanitizer_preload();
    let home = TempDir::new("prune");
    let ctx = Context::open(Options::new().home(home.path())).unwrap();
    let mut job = ctx.submit_command("sleep 30", None, None).unwrap();
    assert_eq!(job.hold().unwrap_err().code(), ErrorCode::Unsupported);
    job.cancel().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let report = ctx.prune(Duration::from_millis(10)).unwrap();
    assert!(report.contains("\"jobs\":1"), "{}", report);
    assert_eq!(ctx.job(job.id()).unwrap_err().code(), ErrorCode::NotFound);
}
