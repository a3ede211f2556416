//! The shared binding scenario (also run in C, Python and Fortran) against
//! the real library: real jobs on this host via the built-in `local`
//! machine, each test on its own temporary home.
mod common;

use std::time::{Duration, Instant};

use common::{count, drop_sanitizer_preload, json_str, si_scf, si_scf_energy_ev, TempDir, WAIT};
use xrun::{Context, ErrorCode, Options, State};

fn open(home: &TempDir) -> Context {
    drop_sanitizer_preload();
    Context::open(Options::new().home(home.path())).expect("context opens on an empty home")
}

#[test]
fn version_matches_header() {
    assert_eq!(xrun::version_number(), xrun::HEADER_VERSION_NUMBER);
    assert_eq!(xrun::version(), xrun_sys::XRUN_VERSION_STRING);
}

#[test]
fn context_uses_the_given_home() {
    let home = TempDir::new("home");
    let ctx = open(&home);
    assert_eq!(ctx.home(), home.path());
    assert!(ctx.store_path().starts_with(home.path()));
}

#[test]
fn local_machine_is_built_in() {
    let home = TempDir::new("machines");
    let ctx = open(&home);
    assert_eq!(ctx.default_machine().unwrap(), "local");
    let list = ctx.machines_json().unwrap();
    assert_eq!(json_str(&list, "default"), Some("local"));
    assert_eq!(count(&list, "\"name\":"), 1);
    let machine = ctx.machine(Some("local")).unwrap();
    assert_eq!(machine.name(), "local");
    assert_eq!(json_str(&machine.json().unwrap(), "scheduler"), Some("direct"));
    assert_eq!(ctx.machine(None).unwrap().name(), "local");
    let err = ctx.machine(Some("no-such-machine")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.message().contains("no-such-machine"), "{}", err);
}

#[test]
fn bad_config_is_a_config_error() {
    let home = TempDir::new("badconfig");
    std::fs::write(
        home.path().join("machines.json"),
        r#"{"machines": {"m1": {"execution": "local", "scheduler": "direct", "remot_auth": {}}}}"#,
    )
    .unwrap();
    drop_sanitizer_preload();
    let err = Context::open(Options::new().home(home.path())).err().expect("a bad config must fail");
    assert_eq!(err.code(), ErrorCode::Config);
    assert_eq!(err.name(), "XRUN_E_CONFIG");
    assert!(err.message().contains("remot_auth") && err.message().contains("machines.json"), "{}", err);
}

#[test]
fn configured_machine_loads() {
    let home = TempDir::new("config");
    std::fs::write(
        home.path().join("machines.json"),
        r#"{"default": "box", "machines": {"box": {"execution": "local", "scheduler": "direct"}}}"#,
    )
    .unwrap();
    let ctx = open(&home);
    assert_eq!(ctx.default_machine().unwrap(), "box");
    assert_eq!(ctx.machine(None).unwrap().name(), "box");
}

#[test]
fn submit_and_wait_completed() {
    let home = TempDir::new("submit");
    let ctx = open(&home);
    let mut job = ctx.submit(r#"{"name": "greet", "command": "echo hello from xrun"}"#).unwrap();
    assert_eq!(job.id().len(), 26);
    assert!(!job.scheduler_id().is_empty());
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert!(job.state().is_terminal());
    assert_eq!(job.exit_code(), Some(0));
    assert_eq!(job.read_file("stdout", None).unwrap(), b"hello from xrun\n");
    let info = job.info_json().unwrap();
    assert_eq!(json_str(&info, "id"), Some(job.id()));
    assert_eq!(json_str(&info, "name"), Some("greet"));
    assert_eq!(json_str(&info, "state"), Some("completed"));
}

#[test]
fn submit_batch_sends_all() {
    let home = TempDir::new("batch");
    let ctx = open(&home);
    let out = ctx.submit_batch_json(r#"[{"command": "echo one"}, {"command": "echo two"}]"#).unwrap();
    assert!(!out.contains("\"error\""));
    let first = json_str(&out, "id").unwrap().to_string();
    let mut job = ctx.job(&first).unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert_eq!(job.read_file("stdout", None).unwrap(), b"one\n");
    assert!(ctx.submit_batch_json(r#"[{"comand": "x"}]"#).is_err());
}

#[test]
fn failed_job_is_not_a_failed_call() {
    let home = TempDir::new("fail");
    let ctx = open(&home);
    let mut job = ctx.submit_command("exit 3", None, Some("fails")).unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Failed);
    assert_eq!(job.exit_code(), Some(3));
}

#[test]
fn poll_until_terminal() {
    let home = TempDir::new("poll");
    let ctx = open(&home);
    let mut job = ctx.submit(r#"{"argv": ["sh", "-c", "sleep 0.3; echo done"]}"#).unwrap();
    let deadline = Instant::now() + WAIT;
    while !job.refresh().unwrap().is_terminal() {
        assert!(Instant::now() < deadline, "job did not finish");
        ctx.poll().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(job.state(), State::Completed);
}

#[test]
fn wait_timeout_then_cancel() {
    let home = TempDir::new("cancel");
    let ctx = open(&home);
    let mut job = ctx.submit_command("sleep 60", None, Some("sleeper")).unwrap();
    let err = job.wait(Some(Duration::from_millis(200))).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    assert!(matches!(job.refresh().unwrap(), State::Submitted | State::Running));
    assert_eq!(job.exit_code(), None);
    assert_eq!(job.cancel().unwrap(), State::Cancelled);
    assert_eq!(job.cancel().unwrap_err().code(), ErrorCode::State);
    assert_eq!(ctx.job(job.id()).unwrap().state(), State::Cancelled);
}

#[test]
fn list_jobs() {
    let home = TempDir::new("list");
    let ctx = open(&home);
    let mut done = ctx.submit_command("true", None, Some("a")).unwrap();
    done.wait(Some(WAIT)).unwrap();
    let mut failed = ctx.submit_command("false", None, Some("b")).unwrap();
    failed.wait(Some(WAIT)).unwrap();
    let all = ctx.jobs_json(None, None, 0).unwrap();
    let (first, second) = (all.find(failed.id()).unwrap(), all.find(done.id()).unwrap());
    assert!(first < second, "newest first");
    let completed = ctx.jobs_json(None, Some(State::Completed), 0).unwrap();
    assert!(completed.contains(done.id()) && !completed.contains(failed.id()));
    let limited = ctx.jobs_json(None, None, 1).unwrap();
    assert!(limited.contains(failed.id()) && !limited.contains(done.id()));
    assert_eq!(ctx.jobs_json(Some("elsewhere"), None, 0).unwrap().trim(), "[]");
}

#[test]
fn events_follow_a_job() {
    let home = TempDir::new("events");
    let ctx = open(&home);
    let mut job = ctx.submit_command("true", None, None).unwrap();
    job.wait(Some(WAIT)).unwrap();
    let events = ctx.events_since(0, 0).unwrap();
    assert!(!events.is_empty());
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    let mine: Vec<State> = events.iter().filter(|e| e.job_id == job.id()).map(|e| e.state).collect();
    assert_eq!(mine.first(), Some(&State::Created));
    assert_eq!(mine.last(), Some(&State::Completed));
    let last = events.last().unwrap().seq;
    assert!(ctx.events_since(last, 0).unwrap().is_empty());
    assert_eq!(ctx.events_since(0, 2).unwrap(), events[..2].to_vec());
    let json = ctx.events_json(0, 0).unwrap();
    assert_eq!(count(&json, "\"seq\":"), events.len());
}

#[test]
fn parse_corpus_file() {
    let parsed = xrun::parse_file(si_scf(), Some("qe")).unwrap();
    assert_eq!(parsed.code(), "qe");
    assert!((parsed.number("total_energy_ev").unwrap() - si_scf_energy_ev()).abs() < 1e-4);
    assert_eq!(parsed.diagnosis(), "ok");
    assert_eq!(parsed.number("no_such_number").unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(parsed.get("no_such_number"), None);
    assert!(parsed.json().unwrap().contains("total_energy_ev"));
    let data = std::fs::read(si_scf()).unwrap();
    assert_eq!(xrun::parse_buffer(&data, None).unwrap().code(), "qe");
}

#[test]
fn parse_arrays_and_species() {
    let relax = si_scf().with_file_name("si_relax.out");
    let parsed = xrun::parse_file(&relax, None).unwrap();
    let alat = 10.2 * 0.529177210903;
    let pos = parsed.array("final_positions_angstrom").unwrap();
    assert_eq!(pos.len(), 6); // 2 atoms x 3, row-major
    assert!((pos[0] - 0.0100019211 * alat).abs() < 1e-9);
    let forces = parsed.array("final_forces_ev_per_angstrom").unwrap();
    assert!((forces[0] + forces[3]).abs() < 1e-6);
    let cell = parsed.array("final_cell_angstrom").unwrap();
    assert_eq!(cell.len(), 9);
    assert!((cell[0] + alat / 2.0).abs() < 1e-5);
    let energies = parsed.array("ionic_energies_ev").unwrap();
    assert_eq!(energies.len() as f64, parsed.number("n_ionic_steps").unwrap());
    assert!((energies[energies.len() - 1] - parsed.number("total_energy_ev").unwrap()).abs() < 1e-9);
    assert_eq!(parsed.species(), vec!["Si".to_string(), "Si".to_string()]);
    assert_eq!(parsed.array("final_stress_kbar").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn job_with_parser_has_result() {
    let home = TempDir::new("jobresult");
    let ctx = open(&home);
    let spec = format!(r#"{{"command": "cat '{}'", "parser": "qe"}}"#, si_scf().display());
    let mut job = ctx.submit(&spec).unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    let parsed = job.result().unwrap().expect("a job with a parser has a result");
    assert!((parsed.number("total_energy_ev").unwrap() - si_scf_energy_ev()).abs() < 1e-4);
    let plain = ctx.submit_command("true", None, None).unwrap();
    assert!(plain.result().unwrap().is_none());
}

#[test]
fn error_mapping() {
    let home = TempDir::new("errors");
    let ctx = open(&home);
    let err = ctx.job("01ARZ3NDEKTSV4RRFFQ69G5FAV").unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
    assert!(err.to_string().starts_with("XRUN_E_NOT_FOUND: "));
    let err = ctx.submit(r#"{"comand": "true"}"#).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(err.message().contains("comand"), "{}", err);
    assert_eq!(xrun::parse_file(home.path().join("missing.out"), Some("qe")).unwrap_err().code(), ErrorCode::Io);
    assert_eq!(xrun::parse_buffer(b"x", Some("no-such-parser")).unwrap_err().code(), ErrorCode::Invalid);
    assert_eq!(xrun::parse_buffer(b"nothing any parser knows\n", None).unwrap_err().code(), ErrorCode::Parse);
    assert_eq!(ctx.submit("{\"command\": \"a\0b\"}").unwrap_err().code(), ErrorCode::Invalid);
}

#[test]
fn job_keeps_context_alive_after_drop() {
    let home = TempDir::new("lifetime");
    let ctx = open(&home);
    let mut job = ctx.submit_command("echo alive", None, None).unwrap();
    drop(ctx);
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert_eq!(job.read_file("stdout", None).unwrap(), b"alive\n");
}

#[test]
fn log_callback_receives_lines() {
    use std::sync::{Arc, Mutex};
    let home = TempDir::new("log");
    drop_sanitizer_preload();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let ctx = Context::open(
        Options::new().home(home.path()).log(xrun::LogLevel::Debug, move |level, msg| {
            sink.lock().unwrap().push((level, msg.to_string()))
        }),
    )
    .unwrap();
    ctx.submit_command("true", None, None).unwrap().wait(Some(WAIT)).unwrap();
    drop(ctx);
    assert!(!lines.lock().unwrap().is_empty(), "no log line at debug level");
}

#[test]
fn threads_share_a_context() {
    let home = TempDir::new("threads");
    let ctx = open(&home);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let ctx = ctx.clone();
            std::thread::spawn(move || {
                let mut job = ctx.submit_command("true", None, Some(&format!("t{}", i))).unwrap();
                (job.wait(Some(WAIT)).unwrap(), job.id().to_string())
            })
        })
        .collect();
    let mut ids: Vec<String> = Vec::new();
    for h in handles {
        let (state, id) = h.join().unwrap();
        assert_eq!(state, State::Completed);
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[test]
fn job_is_shared_across_threads_by_reference() {
    let home = TempDir::new("sharedjob");
    let ctx = open(&home);
    let mut job = ctx.submit_command("echo shared", None, None).unwrap();
    job.wait(Some(WAIT)).unwrap();
    let job = std::sync::Arc::new(job);
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let job = job.clone();
            std::thread::spawn(move || (job.state(), job.scheduler_id(), job.read_file("stdout", None).unwrap()))
        })
        .collect();
    for r in readers {
        let (state, sid, out) = r.join().unwrap();
        assert_eq!(state, State::Completed);
        assert!(!sid.is_empty());
        assert_eq!(out, b"shared\n");
    }
}

#[test]
fn state_names_come_from_the_library() {
    for state in State::all() {
        assert_eq!(State::from_raw(state.to_raw()), state);
        assert!(!state.name().is_empty() && state.name() != "unknown");
    }
    assert_eq!(State::Completed.to_string(), "completed");
    assert!(State::Cancelled.is_terminal() && !State::Queued.is_terminal());
    assert_eq!(State::from_raw(999), State::Unknown(999));
}

#[test]
fn machine_check_stats_and_recover() {
    let home = TempDir::new("check");
    let ctx = open(&home);
    let machine = ctx.machine(Some("local")).unwrap();
    let report = machine.check().unwrap();
    assert!(report.status.is_ok(), "{:?}", report);
    assert!(report.json.contains("\"ok\":true") && report.json.contains("\"step\":\"configuration\""));
    assert!(machine.stats_json().unwrap().contains("\"sessions_open\":0"));
    assert!(ctx.recover().unwrap().contains("\"adopted\":0"));
}

fn machines_with_workdir(home: &TempDir, workdir: &str) {
    let text = format!(
        r#"{{"default": "box", "machines": {{"box": {{"execution": "local", "scheduler": "direct", "workdir": "{}", "min_poll_interval": 0}}}}}}"#,
        workdir
    );
    std::fs::write(home.path().join("machines.json"), text).unwrap();
}

#[test]
fn failed_send_keeps_the_job_and_send_sends_it() {
    let home = TempDir::new("send");
    machines_with_workdir(&home, "/proc/xrun-no-such-dir");
    let id = {
        let ctx = open(&home);
        let (job, sent) = ctx.submit_keeping(r#"{"command": "echo sent by send"}"#).unwrap();
        assert!(sent.is_err());
        assert_eq!(job.state(), State::Created);
        job.id().to_string()
    };
    let jobs = home.path().join("jobs");
    machines_with_workdir(&home, jobs.to_str().unwrap());
    let ctx = open(&home);
    let mut job = ctx.job(&id).unwrap();
    job.send().unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert_eq!(job.read_file("stdout", None).unwrap(), b"sent by send\n");
    let err = job.send().unwrap_err();
    assert_eq!(err.code(), ErrorCode::State);
    assert!(err.message().contains("completed"), "{}", err);
}
