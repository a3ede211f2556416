//! Helpers for the scenario tests: temporary homes, the corpus.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Under ASan (the runtime preloaded by the test runner) the commands the
/// library starts must not inherit the preload: call before opening a
/// context. Returns the preload that was removed, for child programs that
/// do need it.
pub fn drop_sanitizer_preload() -> Option<String> {
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

pub const WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// A fresh, empty directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("xrun-rs-{}-{}-{}-{}", tag, std::process::id(), n, nanos));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

/// $XRUN_CORPUS_DIR, else shared/corpus beside the checkout (or beside
/// the worktree's parent).
pub fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XRUN_CORPUS_DIR") {
        return PathBuf::from(dir);
    }
    for up in ["..", "../.."] {
        let candidate = repo().join(up).join("shared/corpus");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!("corpus not found: set XRUN_CORPUS_DIR");
}

pub fn si_scf() -> PathBuf {
    let path = corpus_dir().join("qe/generated/si_scf.out");
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

/// The reference total energy of si_scf.out (eV) from expected.json.
pub fn si_scf_energy_ev() -> f64 {
    let text = std::fs::read_to_string(corpus_dir().join("expected.json")).unwrap();
    let entry = &text[text.find("\"qe/generated/si_scf.out\"").expect("si_scf.out in expected.json")..];
    let value = &entry[entry.find("\"total_energy_eV\":").unwrap() + 18..];
    let end = value.find([',', '}']).unwrap();
    value[..end].trim().parse().unwrap()
}

/// A JSON string field's value (enough for asserting on the library's
/// flat records; the tests avoid depending on a JSON crate).
pub fn json_str<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let pattern = format!("\"{}\":\"", key);
    let start = json.find(&pattern)? + pattern.len();
    let end = start + json[start..].find('"')?;
    Some(&json[start..end])
}

/// How many times `needle` occurs in `haystack`.
pub fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}
