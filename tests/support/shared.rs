//! `../shared` beside the repository: the real captures (`captures/`) and Microsoft's endpoints
//! files (`o365-endpoints/`) some integration tests check against. It is not part of the
//! repository: a clone alone has none, and those tests then say they are skipped (on stderr,
//! past the test harness's capture) and pass; CI has it, and there (`CI=true`) its absence
//! fails them instead, so a CI run can never pass by skipping them.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// `../shared` as the tests see it (from the package root).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// What each folder of `../shared` is for, as the skip message says it.
fn holds(rel: &str) -> &'static str {
    match rel.split('/').next() {
        Some("captures") => "the real captures the tests check against",
        Some("o365-endpoints") => "Microsoft's endpoints files of every instance",
        _ => "test data that is not in the repository",
    }
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// `../shared/REL` when it exists. When it does not: with `CI=true` the test fails here;
/// otherwise it prints why the test is skipped and returns `None`, and the test returns:
///
/// ```ignore
/// let Some(_) = support::shared::or_skip("captures/ndpi") else { return };
/// ```
pub fn or_skip(rel: &str) -> Option<PathBuf> {
    present(rel, "skipped")
}

/// As [`or_skip`], for a test that still runs without it, on less: `without` says what it
/// leaves out (e.g. "the four smallest real captures are left out").
pub fn or_leave_out(rel: &str, without: &str) -> Option<PathBuf> {
    present(rel, without)
}

fn present(rel: &str, consequence: &str) -> Option<PathBuf> {
    let path = root().join(rel);
    if path.exists() {
        return Some(path);
    }
    let why = format!(
        "../shared/{rel} not found (it holds {}; CI has it)",
        holds(rel)
    );
    assert!(
        !on_ci(),
        "{why}: CI=true, so it must be beside the repository"
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    // Straight to the process's stderr: `eprintln!` would be captured and shown only for a
    // failing test.
    let _ = writeln!(std::io::stderr(), "{test}: {consequence}: {why}");
    None
}
