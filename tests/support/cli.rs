//! Running the real `callpath` binary and reading its JSON report.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What one run of the binary gave.
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn callpath(args: &[&str]) -> Outcome {
    callpath_stdin(args, None)
}

/// `callpath ARGS...` with environment variables set (after the tests' defaults).
pub fn callpath_env(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callpath"));
    cmd.env(
        "XDG_CACHE_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-cache"),
    );
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("callpath runs");
    Outcome {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn callpath_stdin(args: &[&str], stdin: Option<&[u8]>) -> Outcome {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callpath"));
    // No cached ranges snapshot of the user's (`callpath ranges update`) in the tests: every
    // run uses the bundled one unless a test says otherwise.
    cmd.env(
        "XDG_CACHE_HOME",
        concat!(env!("CARGO_TARGET_TMPDIR"), "/no-cache"),
    );
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("callpath runs");
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).expect("stdin written");
    }
    let out = child.wait_with_output().expect("callpath finishes");
    Outcome {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `callpath audit --format json -q ARGS...`, expecting exit status `status`.
pub fn audit_json(args: &[&str], status: i32) -> Value {
    let mut all = vec!["audit", "--format", "json", "-q"];
    all.extend_from_slice(args);
    let out = callpath(&all);
    assert_eq!(
        out.status, status,
        "exit status of {all:?}; stderr:\n{}",
        out.stderr
    );
    out.json()
}

/// A capture of the shared nDPI collection (`../shared/captures/ndpi/`). A test that reads one
/// first checks the folder is there (`super::shared::or_skip`).
pub fn shared_capture(name: &str) -> String {
    let p = super::shared::root().join("captures/ndpi").join(name);
    assert!(p.exists(), "shared capture {} is missing", p.display());
    p.to_string_lossy().into_owned()
}

/// `../shared/REL` (checked first with `super::shared::or_skip`).
pub fn shared_path(rel: &str) -> PathBuf {
    super::shared::root().join(rel)
}

/// The flow whose client or server port is `port` (exactly one must match).
pub fn flow_by_port(report: &Value, port: u16) -> &Value {
    let flows: Vec<&Value> = report["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .filter(|f| f["client"]["port"] == port || f["server"]["port"] == port)
        .collect();
    assert_eq!(flows.len(), 1, "flows with port {port}: {flows:#?}");
    flows[0]
}

pub fn flows(report: &Value) -> &Vec<Value> {
    report["flows"].as_array().expect("flows")
}

/// `stderr` without the warning that the bundled ranges are older than a capture (the fixtures
/// are dated 2026-11, the bundled snapshot 2025-12): for tests about other warnings.
pub fn without_ranges_warning(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.contains("the Office 365 ranges in use"))
        .map(|l| format!("{l}\n"))
        .collect()
}
