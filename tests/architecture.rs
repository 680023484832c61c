//! The module arrows of ARCHITECTURE.md, checked on the source: every `crate::MODULE` path in a
//! top-level module's files is an arrow from it to MODULE. Arrows go one way (no cycle, so no two
//! modules import each other), and the stages' rules hold (issue 12).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules it names as `crate::NAME` (`lib.rs` and `main.rs`
/// left out: they only declare and drive).
fn arrows() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_str().unwrap().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let targets = graph.entry(module.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let rest = &text[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                !rest.starts_with('{'),
                "{}: write `crate::MODULE::...` paths, one module each, so this test sees them",
                file.display()
            );
            if !name.is_empty() && name != module {
                targets.insert(name);
            }
        }
    }
    graph
}

fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(m) = todo.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    false
}

#[test]
fn the_graph_was_read() {
    let graph = arrows();
    for module in [
        "audit", "capture", "decode", "flow", "pipeline", "proto", "report",
    ] {
        assert!(
            graph.contains_key(module),
            "{module} not found in {graph:?}"
        );
    }
    assert!(graph["report"].contains("audit"), "{graph:?}");
    assert!(graph["pipeline"].contains("capture"), "{graph:?}");
}

#[test]
fn arrows_go_one_way() {
    let graph = arrows();
    for module in graph.keys() {
        assert!(
            !reaches(&graph, module, module),
            "{module} reaches itself through its imports: {graph:?}"
        );
    }
}

/// The report's writers only see results: they import nothing of how captures were read (what
/// the audit read them into, they see through the audit's own types).
#[test]
fn report_imports_nothing_of_reading() {
    let graph = arrows();
    for target in ["pipeline", "capture", "run", "config", "cli"] {
        assert!(
            !graph["report"].contains(target),
            "report must not import {target}: {graph:?}"
        );
    }
}

#[test]
fn stages_depend_only_on_what_lies_below_them() {
    let graph = arrows();
    let forbidden: [(&str, &[&str]); 8] = [
        ("audit", &["report", "run", "config", "cli", "check"]),
        // Issue 19: checks see the audit's results; the report writes their outcomes.
        ("check", &["report", "run", "config", "cli"]),
        // Issue 17: capture points are correlated on flow tables alone, before the audit.
        (
            "correlate",
            &["audit", "report", "site", "ranges", "pipeline"],
        ),
        // The media kernel (issue 16) sits below the per-flow state that holds it.
        (
            "media",
            &[
                "audit", "report", "site", "ranges", "pipeline", "flow", "decode", "capture",
            ],
        ),
        (
            "proto",
            &[
                "audit",
                "report",
                "site",
                "ranges",
                "pipeline",
                "flow",
                "correlate",
            ],
        ),
        (
            "flow",
            &["audit", "report", "site", "ranges", "pipeline", "correlate"],
        ),
        (
            "decode",
            &[
                "audit", "report", "site", "ranges", "pipeline", "flow", "proto",
            ],
        ),
        (
            "capture",
            &["audit", "report", "site", "ranges", "pipeline", "decode"],
        ),
    ];
    for (module, not_these) in forbidden {
        for target in not_these {
            assert!(
                !reaches(&graph, module, target),
                "{module} must not depend on {target}: {graph:?}"
            );
        }
    }
}

/// Issue 13: `cargo install` builds the release profile: no debug info in it (a 3 MB binary,
/// not 20 MB); profilers use the `profiling` profile, which keeps line tables.
#[test]
fn the_installed_binary_carries_no_debug_info() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&manifest).unwrap();
    let profiles = &manifest["profile"];
    let release_debug = profiles["release"].get("debug");
    assert!(
        matches!(
            release_debug,
            None | Some(toml::Value::Boolean(false)) | Some(toml::Value::Integer(0))
        ),
        "[profile.release] debug = {release_debug:?}"
    );
    assert_eq!(profiles["profiling"]["inherits"].as_str(), Some("release"));
    assert_eq!(profiles["profiling"]["debug"].as_integer(), Some(1));
}
