//! `xrun::Spec`: job specs built field by field through `xrun_spec_*`: the
//! JSON they make, refusals naming the field, and a real local job whose
//! argv and environment hold text that hand-made JSON would break.
mod common;

use common::{drop_sanitizer_preload, json_str, TempDir, WAIT};
use xrun::{Context, ErrorCode, Options, Spec, State};

const HOSTILE: &str = "say \"hi\" \\n not a newline\\\nreal newline\ttab $(echo no) `no` 'single' \\";
const HOSTILE_ENV: &str = "{\"json\": \"in a value\"}\n\\\\server\\share $HOME";

fn open(home: &TempDir) -> Context {
    drop_sanitizer_preload();
    Context::open(Options::new().home(home.path())).expect("context opens on an empty home")
}

#[test]
fn setters_make_the_json() -> xrun::Result<()> {
    let mut spec = Spec::new()?;
    spec.name("relax")?.machine("cluster1")?.args(["pw.x", "-in", "relax in.in"])?;
    spec.env("OMP_NUM_THREADS", "1")?.resource_count("nodes", 2)?.resource("tasks_per_node", "32")?;
    spec.resource("walltime", "1-00:00:00")?.upload("si.in")?.retrieve("pw.out")?.parser("qe")?;
    spec.depends_on("01J9Z8Q4W8K6T7M2V3X5Y6Z7A8")?.hold(true)?.cleanup("always")?.array("1-4")?;
    assert_eq!(
        spec.to_json()?,
        "{\"name\":\"relax\",\"machine\":\"cluster1\",\"argv\":[\"pw.x\",\"-in\",\"relax in.in\"],\
         \"env\":{\"OMP_NUM_THREADS\":\"1\"},\"resources\":{\"nodes\":2,\"tasks_per_node\":32,\
         \"walltime\":\"1-00:00:00\"},\"upload\":[\"si.in\"],\"retrieve\":[\"pw.out\"],\"parser\":\"qe\",\
         \"depends_on\":[\"01J9Z8Q4W8K6T7M2V3X5Y6Z7A8\"],\"hold\":true,\"cleanup\":\"always\",\"array\":\"1-4\"}"
    );
    Ok(())
}

#[test]
fn refusals_name_the_field_and_change_nothing() {
    let mut spec = Spec::new().unwrap();
    let empty = spec.to_json().unwrap_err();
    assert_eq!(empty.code(), ErrorCode::Invalid);
    assert!(empty.message().contains("\"command\" or \"argv\" is required"), "{}", empty);
    spec.command("echo ok").unwrap();
    let before = spec.to_json().unwrap();
    let e = spec.resource("walltime", "1h").map(|_| ()).unwrap_err();
    assert!(e.message().contains("job spec: $.resources.walltime: expected"), "{}", e);
    let e = spec.resource("walltme", "01:00:00").map(|_| ()).unwrap_err();
    assert!(e.message().contains("did you mean \"walltime\""), "{}", e);
    let e = spec.resource_count("nodes", 0).map(|_| ()).unwrap_err();
    assert!(e.message().contains("$.resources.nodes: must be at least 1"), "{}", e);
    let e = spec.resource_count("memory", 4).map(|_| ()).unwrap_err();
    assert!(e.message().contains("$.resources.memory: expected a string"), "{}", e);
    let e = spec.parser("gaussian").map(|_| ()).unwrap_err();
    assert!(e.message().contains("$.parser"), "{}", e);
    let e = spec.flag("hodl", true).map(|_| ()).unwrap_err();
    assert!(e.message().contains("not a flag"), "{}", e);
    let e = spec.arg("echo").map(|_| ()).unwrap_err();
    assert!(e.message().contains("either \"command\" or \"argv\""), "{}", e);
    let e = spec.name("a\0b").map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Invalid);
    assert_eq!(spec.to_json().unwrap(), before);
    assert_eq!(before, "{\"command\":\"echo ok\"}");
}

#[test]
fn hostile_text_arrives_unchanged() {
    let home = TempDir::new("spec-hostile");
    let ctx = open(&home);
    let mut spec = Spec::new().unwrap();
    spec.name("it's \"quoted\"")
        .unwrap()
        .args(["sh", "-c", "printf '%s\\n' \"$1\" \"$XRUN_HOSTILE\"", "sh", HOSTILE])
        .unwrap()
        .env("XRUN_HOSTILE", HOSTILE_ENV)
        .unwrap();
    let (mut job, sent) = ctx.submit_spec(&spec).unwrap();
    sent.unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    let stdout = String::from_utf8(job.read_file("stdout", None).unwrap()).unwrap();
    assert_eq!(stdout, format!("{}\n{}\n", HOSTILE, HOSTILE_ENV));
    assert_eq!(json_str(&job.info_json().unwrap(), "state"), Some("completed"));
    // The same spec again: another job.
    let (again, sent) = ctx.submit_spec(&spec).unwrap();
    sent.unwrap();
    assert_ne!(again.id(), job.id());
}

#[test]
fn refused_before_recording_and_deferred() {
    let home = TempDir::new("spec-refuse");
    let ctx = open(&home);
    let mut spec = Spec::new().unwrap();
    spec.command("true").unwrap().machine("no-such-machine").unwrap();
    assert_eq!(ctx.submit_spec(&spec).err().map(|e| e.code()), Some(ErrorCode::NotFound));
    let mut held = Spec::new().unwrap();
    held.command("true").unwrap().hold(true).unwrap();
    assert_eq!(ctx.submit_spec(&held).err().map(|e| e.code()), Some(ErrorCode::Unsupported));

    let mut deferred = Spec::new().unwrap();
    deferred.command("echo later").unwrap().defer(true).unwrap();
    let (mut job, sent) = ctx.submit_spec(&deferred).unwrap();
    sent.unwrap();
    assert_eq!(job.state(), State::Waiting);
    job.send().unwrap();
    assert_eq!(job.wait(Some(WAIT)).unwrap(), State::Completed);
    assert_eq!(job.read_file("stdout", None).unwrap(), b"later\n");
}

#[test]
fn batch_of_specs() -> xrun::Result<()> {
    let home = TempDir::new("spec-batch");
    let ctx = open(&home);
    let mut first = Spec::new()?;
    first.args(["printf", "%s", HOSTILE])?;
    let mut second = Spec::new()?;
    second.command("echo second")?;
    let incomplete = Spec::new()?;
    let e = ctx.submit_specs(&[&first, &second, &incomplete]).unwrap_err();
    assert!(e.message().contains("job 2: job spec:"), "{}", e);
    assert_eq!(ctx.submit_specs(&[])?, "[]");
    let outcomes = ctx.submit_specs(&[&first, &second])?;
    assert_eq!(outcomes.matches("\"id\":").count(), 2, "{}", outcomes);
    assert!(!outcomes.contains("\"error\""), "{}", outcomes);
    let mut job = ctx.job(json_str(&outcomes, "id").unwrap())?;
    assert_eq!(job.wait(Some(WAIT))?, State::Completed);
    assert_eq!(String::from_utf8(job.read_file("stdout", None)?).unwrap(), HOSTILE);
    Ok(())
}
