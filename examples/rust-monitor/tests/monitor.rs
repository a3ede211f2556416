//! The monitor against the real library: jobs submitted on a temporary
//! home show up with the right state, and later changes arrive through
//! the events journal.
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use xrun::{Context, Options, State};
use xrun_monitor::monitor::Monitor;

/// Under ASan the runner preloads the runtime: the jobs the library starts
/// must not inherit it, the monitor binary (linked to the ASan library)
/// must. Returns the removed preload.
fn sanitizer_preload() -> Option<String> {
    static SAVED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SAVED
        .get_or_init(|| {
            let preload = std::env::var("LD_PRELOAD").ok().filter(|p| p.contains("libasan"));
            if preload.is_some() {
                std::env::remove_var("LD_PRELOAD");
            }
            preload
        })
        .clone()
}

fn monitor_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xrun-monitor"));
    if let Some(preload) = sanitizer_preload() {
        command.env("LD_PRELOAD", preload);
    }
    command
}

struct TempHome(PathBuf);

impl TempHome {
    fn new(tag: &str) -> TempHome {
        sanitizer_preload();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("xrun-monitor-{}-{}-{}", tag, std::process::id(), nanos));
        std::fs::create_dir_all(&dir).unwrap();
        TempHome(dir)
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const WAIT: Option<Duration> = Some(Duration::from_secs(30));

#[test]
fn follows_jobs_through_events() {
    let home = TempHome::new("follow");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let mut done = ctx.submit_command("echo hi", None, Some("done-job")).unwrap();
    done.wait(WAIT).unwrap();

    let mut monitor = Monitor::new(ctx.clone(), 40, false).unwrap();
    assert_eq!(monitor.row(done.id()).unwrap().state, "completed");
    let seq_at_start = monitor.last_seq();
    assert!(seq_at_start > 0);
    assert_eq!(monitor.update().unwrap(), 0, "nothing new yet");

    let mut sleeper = ctx.submit_command("sleep 60", None, Some("sleeper")).unwrap();
    assert_eq!(monitor.update().unwrap(), 1);
    let row = monitor.row(sleeper.id()).unwrap();
    assert!(matches!(row.state.as_str(), "submitted" | "running"), "{:?}", row);
    assert!(!row.scheduler_id.is_empty());
    assert_eq!(row.machine, "local");

    sleeper.cancel().unwrap();
    assert_eq!(monitor.update().unwrap(), 1);
    assert_eq!(monitor.row(sleeper.id()).unwrap().state, "cancelled");
    assert!(monitor.last_seq() > seq_at_start);

    let rows = monitor.rows();
    assert_eq!(rows[0].id, sleeper.id(), "newest first");
    let screen = monitor.screen(0, false);
    assert!(screen.contains("sleeper") && screen.contains("done-job"), "{}", screen);
}

#[test]
fn monitor_reads_without_polling() {
    // A job's end reaches the monitor only when someone polls: the monitor
    // itself is read-only unless --poll.
    let home = TempHome::new("readonly");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let job = ctx.submit_command("true", None, None).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut passive = Monitor::new(ctx.clone(), 40, false).unwrap();
    passive.update().unwrap();
    assert_ne!(passive.row(job.id()).unwrap().state, "completed");
    let mut active = Monitor::new(ctx.clone(), 40, true).unwrap();
    active.update().unwrap();
    assert_eq!(active.row(job.id()).unwrap().state, "completed");
}

#[test]
fn binary_prints_the_table() {
    let home = TempHome::new("bin");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let mut ok = ctx.submit_command("echo ok", None, Some("ok-job")).unwrap();
    assert_eq!(ok.wait(WAIT).unwrap(), State::Completed);
    let mut bad = ctx.submit_command("exit 4", None, Some("bad-job")).unwrap();
    assert_eq!(bad.wait(WAIT).unwrap(), State::Failed);

    let out = monitor_command().arg("--home").arg(&home.0).arg("--once").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |id: &str| text.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("{} in\n{}", id, text)).to_string();
    assert!(line(ok.id()).contains("completed"), "{}", text);
    assert!(line(bad.id()).contains("failed"), "{}", text);
    assert!(line(bad.id()).contains("local"), "{}", text);
    assert!(!text.contains('\x1b'), "--once prints no escapes");

    let out = monitor_command()
        .args(["--iterations", "2", "--interval", "50", "--home"])
        .arg(&home.0)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("\x1b[H").count(), 2, "two redraws");
    assert!(text.contains("\x1b[32mcompleted"), "completed in green");

    let bad_home = TempHome::new("badcfg");
    std::fs::write(bad_home.0.join("machines.json"), r#"{"machines": {"x": {"bogus": 1}}}"#).unwrap();
    let out = monitor_command().arg("--home").arg(&bad_home.0).arg("--once").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("XRUN_E_CONFIG"));
}
