//! The declarations in src/lib.rs against include/xrun.h: every XRUN_API
//! function is declared, every enum constant and #define has the header's
//! value, and the library this links is the header's version.
use std::path::PathBuf;

fn read(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e))
}

fn header() -> String {
    read("../../../include/xrun.h")
}

/// Identifiers directly before a '(' on every line carrying XRUN_API.
fn api_functions(header: &str) -> Vec<String> {
    header
        .lines()
        .filter(|l| l.trim_start().starts_with("XRUN_API ") && !l.contains("define"))
        .map(|l| {
            let before = &l[..l.find('(').expect("XRUN_API line without '('")];
            before.rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap().to_string()
        })
        .collect()
}

/// `NAME = N` pairs of the header's enums.
fn enum_values(header: &str) -> Vec<(String, String)> {
    header
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let (name, rest) = l.split_once(" = ")?;
            if !name.starts_with("XRUN_") {
                return None;
            }
            let value: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            Some((name.to_string(), value))
        })
        .collect()
}

#[test]
fn every_api_function_is_declared() {
    let source = read("src/lib.rs");
    let functions = api_functions(&header());
    assert!(functions.len() >= 50, "header scan found only {:?}", functions);
    let missing: Vec<_> =
        functions.iter().filter(|f| !source.contains(&format!("pub fn {}(", f))).collect();
    assert!(missing.is_empty(), "not declared in xrun-sys: {:?}", missing);
}

#[test]
fn every_enum_constant_has_the_header_value() {
    let source = read("src/lib.rs");
    let values = enum_values(&header());
    assert!(values.len() >= 30);
    for (name, value) in values {
        let decl = source
            .lines()
            .find(|l| l.starts_with(&format!("pub const {}:", name)))
            .unwrap_or_else(|| panic!("{} not declared", name));
        assert!(decl.ends_with(&format!("= {};", value)), "{}: header says {}, got `{}`", name, value, decl);
    }
}

#[test]
fn defines_match() {
    let h = header();
    let define = |name: &str| -> String {
        let line = h.lines().find(|l| l.starts_with(&format!("#define {} ", name))).unwrap();
        line.split_whitespace().nth(2).unwrap().trim_matches('"').to_string()
    };
    assert_eq!(define("XRUN_VERSION_MAJOR"), xrun_sys::XRUN_VERSION_MAJOR.to_string());
    assert_eq!(define("XRUN_VERSION_MINOR"), xrun_sys::XRUN_VERSION_MINOR.to_string());
    assert_eq!(define("XRUN_VERSION_PATCH"), xrun_sys::XRUN_VERSION_PATCH.to_string());
    assert_eq!(define("XRUN_VERSION_STRING"), xrun_sys::XRUN_VERSION_STRING);
    assert_eq!(define("XRUN_OPTIONS_VERSION"), xrun_sys::XRUN_OPTIONS_VERSION.to_string());
}

#[test]
fn linked_library_matches_header() {
    assert_eq!(unsafe { xrun_sys::xrun_version_number() }, xrun_sys::XRUN_VERSION_NUMBER);
    // The struct layout C sees: 9 pointer-sized fields + 2 ints, padded.
    let p = std::mem::size_of::<usize>();
    assert_eq!(std::mem::size_of::<xrun_sys::xrun_options>(), 9 * p);
    let mut opts = xrun_sys::xrun_options { log_level: 99, ..Default::default() };
    assert_eq!(unsafe { xrun_sys::xrun_options_init(&mut opts, xrun_sys::XRUN_OPTIONS_VERSION) }, 0);
    assert_eq!(opts.log_level, xrun_sys::XRUN_LOG_WARN);
}
