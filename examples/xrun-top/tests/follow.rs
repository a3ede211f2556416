//! xrun-top's model, view and drawing against the real library: jobs
//! submitted on a temporary home show up, later changes arrive through the
//! journal, filters and sorting pick rows, the frame shows them and the
//! cancel question. (The tmux test drives the binary as a person would.)
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui::backend::TestBackend;
use tui::Terminal;
use xrun::{Context, Options, State};
use xrun_top::app::App;
use xrun_top::model::Model;
use xrun_top::ui;
use xrun_top::view::{SortKey, StateFilter};

/// Under ASan the runner preloads the runtime: the jobs the library starts
/// must not inherit it, the binary (linked to the ASan library) must.
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

struct TempHome(PathBuf);

impl TempHome {
    fn new(tag: &str) -> TempHome {
        sanitizer_preload();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("xrun-top-{}-{}-{}", tag, std::process::id(), nanos));
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

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn screen(app: &mut App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 30)).unwrap();
    app.refresh(0);
    terminal.draw(|f| ui::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            text.push_str(&buffer.get(x, y).symbol);
        }
        text.push('\n');
    }
    text
}

#[test]
fn follows_jobs_through_events() {
    let home = TempHome::new("follow");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let mut done = ctx.submit_command("echo hi", None, Some("done-job")).unwrap();
    done.wait(WAIT).unwrap();

    let mut model = Model::open(ctx.clone(), 0, false).unwrap();
    let row = model.row(done.id()).unwrap();
    assert_eq!(row.state, "completed");
    assert!(row.terminal && row.run_time_ms(0).is_some());
    assert_eq!(model.events_of(done.id()).last().unwrap().state, State::Completed);
    let seq_at_start = model.last_seq();
    assert!(model.update().unwrap().is_empty(), "nothing new yet");

    let mut sleeper = ctx.submit_command("sleep 60", None, Some("sleeper")).unwrap();
    let changed = model.update().unwrap();
    assert!(changed.contains(sleeper.id()));
    let row = model.row(sleeper.id()).unwrap();
    assert!(matches!(row.state.as_str(), "submitted" | "running"), "{:?}", row);
    assert!(!row.scheduler_id.is_empty());
    assert_eq!(row.machine, "local");

    sleeper.cancel().unwrap();
    model.update().unwrap();
    assert_eq!(model.row(sleeper.id()).unwrap().state, "cancelled");
    assert!(model.last_seq() > seq_at_start);
    assert_eq!(model.machines()[0].name, "local");
}

#[test]
fn store_only_unless_poll() {
    // A job's end reaches the view only when someone polls: xrun-top itself
    // touches no machine unless --poll.
    let home = TempHome::new("readonly");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let job = ctx.submit_command("true", None, None).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut passive = Model::open(ctx.clone(), 0, false).unwrap();
    passive.update().unwrap();
    assert_ne!(passive.row(job.id()).unwrap().state, "completed");
    let mut active = Model::open(ctx.clone(), 0, true).unwrap();
    active.update().unwrap();
    assert_eq!(active.row(job.id()).unwrap().state, "completed");
}

#[test]
fn filters_sorting_detail_and_cancel() {
    let home = TempHome::new("view");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let mut ok = ctx.submit_command("echo visible-output", None, Some("ok-job")).unwrap();
    assert_eq!(ok.wait(WAIT).unwrap(), State::Completed);
    let mut bad = ctx.submit_command("exit 4", None, Some("bad-job")).unwrap();
    assert_eq!(bad.wait(WAIT).unwrap(), State::Failed);
    let sleeper = ctx.submit_command("sleep 60", None, Some("sleep-job")).unwrap();

    let mut app = App::new(Model::open(ctx.clone(), 0, false).unwrap(), false, false);
    app.refresh(0);
    assert_eq!(app.view.visible().len(), 3);
    assert_eq!(app.view.selected_id(), Some(sleeper.id()), "newest first");

    let text = screen(&mut app);
    for name in ["ok-job", "bad-job", "sleep-job", "completed", "failed", "c cancel"] {
        assert!(text.contains(name), "{name} in\n{text}");
    }

    app.key(key('f')); // active only
    app.refresh(0);
    assert_eq!(app.view.state, StateFilter::Active);
    assert_eq!(app.view.visible(), [sleeper.id().to_string()]);
    assert!(!screen(&mut app).contains("ok-job"));
    app.key(key('x'));
    app.key(key('o')); // sort by name, A to Z
    app.refresh(0);
    assert_eq!(app.view.sort, SortKey::Name);
    assert_eq!(app.view.visible()[0], bad.id());

    // Detail of the completed job: its events and its stdout.
    let ok_index = app.view.visible().iter().position(|id| id == ok.id()).unwrap();
    app.view.move_to(ok_index);
    app.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let text = screen(&mut app);
    assert!(text.contains("visible-output") && text.contains("events"), "{text}");

    // Cancel asks; `n` leaves the job alone, `y` cancels it.
    let sleep_index = app.view.visible().iter().position(|id| id == sleeper.id()).unwrap();
    app.view.move_to(sleep_index);
    app.key(key('c'));
    assert!(screen(&mut app).contains(&format!("cancel job {}? y / n", sleeper.id())));
    app.key(key('n'));
    assert_ne!(ctx.job(sleeper.id()).unwrap().state(), State::Cancelled);
    app.key(key('c'));
    app.key(key('y'));
    assert_eq!(ctx.job(sleeper.id()).unwrap().state(), State::Cancelled);
    assert!(screen(&mut app).contains("now cancelled"));

    // Read-only: no action keys, and `c` asks nothing.
    let mut ro = App::new(Model::open(ctx.clone(), 0, false).unwrap(), true, false);
    ro.key(key('c'));
    assert!(ro.confirm.is_none());
    let text = screen(&mut ro);
    assert!(!text.contains("c cancel") && text.contains("READ-ONLY"), "{text}");
}

/// Hold, release and send ask like cancel; a refusal from the library is
/// the status line (its status name and message), not a crash.
#[test]
fn hold_release_send_ask_and_report_refusals() {
    let home = TempHome::new("actions");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let sleeper = ctx.submit_command("sleep 60", None, Some("sleep-job")).unwrap();
    let deferred = ctx.submit(r#"{"name": "deferred-job", "command": "echo sent-later", "defer": true}"#).unwrap();
    assert_eq!(deferred.state(), State::Waiting);

    let mut app = App::new(Model::open(ctx.clone(), 0, false).unwrap(), false, false);
    app.refresh(0);
    let text = screen(&mut app);
    for keys in ["c cancel", "h hold", "r release", "s send"] {
        assert!(text.contains(keys), "{keys} in\n{text}");
    }

    // Send the deferred job: asks, `n` keeps it waiting, `y` sends it.
    let index = app.view.visible().iter().position(|id| id == deferred.id()).unwrap();
    app.view.move_to(index);
    app.key(key('s'));
    assert!(screen(&mut app).contains(&format!("send job {}? y / n", deferred.id())));
    app.key(key('n'));
    assert_eq!(ctx.job(deferred.id()).unwrap().state(), State::Waiting);
    app.key(key('s'));
    app.key(key('y'));
    let after = ctx.job(deferred.id()).unwrap().state();
    assert!(!matches!(after, State::Waiting | State::Created), "sent, now {after}");
    assert!(screen(&mut app).contains(&format!("send {}: now", deferred.id())));

    // Hold and release a direct job: the library refuses, the status line says so.
    let index = app.view.visible().iter().position(|id| id == sleeper.id()).unwrap();
    app.view.move_to(index);
    for (c, verb) in [('h', "hold"), ('r', "release")] {
        app.key(key(c));
        assert!(screen(&mut app).contains(&format!("{verb} job {}? y / n", sleeper.id())));
        app.key(key('y'));
        let status = app.status.clone().unwrap_or_default();
        let refusal = format!("{verb} {} failed: XRUN_E_UNSUPPORTED: the direct scheduler", sleeper.id());
        assert!(status.starts_with(&refusal) && status.contains(&format!("cannot {verb}")), "{status}");
        assert!(screen(&mut app).contains(&status[..status.len().min(100)]));
        assert_eq!(ctx.job(sleeper.id()).unwrap().state(), State::Running);
    }
    // Sending a running job is refused too.
    app.key(key('s'));
    app.key(key('y'));
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("failed: XRUN_E_STATE"), "{status}");
    ctx.job(sleeper.id()).unwrap().cancel().unwrap();

    // Read-only: none of the keys asks anything.
    let mut ro = App::new(Model::open(ctx.clone(), 0, false).unwrap(), true, false);
    for c in ['c', 'h', 'r', 's'] {
        ro.key(key(c));
        assert!(ro.confirm.is_none(), "{c} asks in read-only");
    }
    let text = screen(&mut ro);
    assert!(!text.contains("h hold") && !text.contains("s send"), "{text}");
}

#[test]
fn binary_prints_the_table_once() {
    let home = TempHome::new("bin");
    let ctx = Context::open(Options::new().home(&home.0)).unwrap();
    let mut ok = ctx.submit_command("echo ok", None, Some("ok-job")).unwrap();
    assert_eq!(ok.wait(WAIT).unwrap(), State::Completed);

    let mut command = Command::new(env!("CARGO_BIN_EXE_xrun-top"));
    if let Some(preload) = sanitizer_preload() {
        command.env("LD_PRELOAD", preload);
    }
    let out = command.arg("--home").arg(&home.0).arg("--once").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().find(|l| l.starts_with(ok.id())).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("completed") && line.contains("ok-job"), "{text}");
    assert!(!text.contains('\x1b'), "--once prints no escapes");

    let bad_home = TempHome::new("badcfg");
    std::fs::write(bad_home.0.join("machines.json"), r#"{"machines": {"x": {"bogus": 1}}}"#).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xrun-top")).arg("--home").arg(&bad_home.0).arg("--once").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("XRUN_E_CONFIG"));
}
