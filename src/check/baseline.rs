//! `--baseline REPORT.json`: an earlier JSON report of the same site. A finding (its code and
//! its flow's 5-tuple, either way round) absent from the baseline fails; those the baseline
//! had and the run has not are listed as gone.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use serde_json::Value;

use super::{describe, Outcome};
use crate::audit::Audited;

/// A finding by what stays the same between runs: its code, the transport and both ends
/// (ordered, so a client/server swap is the same flow).
type Key = (String, String, (IpAddr, u16), (IpAddr, u16));

/// The findings of an earlier report.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    pub file: String,
    findings: BTreeSet<Key>,
}

/// A baseline that cannot be read: which file, what is wrong.
#[derive(Debug)]
pub struct BaselineError {
    pub file: String,
    pub message: String,
}

impl fmt::Display for BaselineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for BaselineError {}

fn key(code: &str, transport: &str, a: (IpAddr, u16), b: (IpAddr, u16)) -> Key {
    let (x, y) = if a <= b { (a, b) } else { (b, a) };
    (code.to_owned(), transport.to_owned(), x, y)
}

fn end_of(v: &Value) -> Option<(IpAddr, u16)> {
    let ip = v.get("ip")?.as_str()?.parse().ok()?;
    let port = u16::try_from(v.get("port")?.as_u64()?).ok()?;
    Some((ip, port))
}

impl Baseline {
    /// Reads a JSON report (`callpath audit --format json`); `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Baseline, BaselineError> {
        let fail = |message: String| BaselineError {
            file: file.to_owned(),
            message,
        };
        let doc: Value = serde_json::from_str(text).map_err(|e| {
            fail(format!(
                "not a JSON report (line {}, column {}: {e})",
                e.line(),
                e.column()
            ))
        })?;
        let flows = doc
            .get("flows")
            .and_then(Value::as_array)
            .ok_or_else(|| fail("no \"flows\" array: not a callpath JSON report".into()))?;
        let findings = doc
            .get("findings")
            .and_then(Value::as_array)
            .ok_or_else(|| fail("no \"findings\" array: not a callpath JSON report".into()))?;
        let mut by_id = std::collections::HashMap::new();
        for (i, f) in flows.iter().enumerate() {
            let (Some(id), Some(transport), Some(client), Some(server)) = (
                f.get("id").and_then(Value::as_u64),
                f.get("transport").and_then(Value::as_str),
                f.get("client").and_then(end_of),
                f.get("server").and_then(end_of),
            ) else {
                return Err(fail(format!(
                    "flows[{i}] lacks id, transport, client or server"
                )));
            };
            by_id.insert(id, (transport, client, server));
        }
        let mut out = Baseline {
            file: file.to_owned(),
            findings: BTreeSet::new(),
        };
        for (i, f) in findings.iter().enumerate() {
            let (Some(code), Some(flow)) = (
                f.get("code").and_then(Value::as_str),
                f.get("flow").and_then(Value::as_u64),
            ) else {
                return Err(fail(format!("findings[{i}] lacks code or flow")));
            };
            let Some(&(transport, client, server)) = by_id.get(&flow) else {
                return Err(fail(format!(
                    "findings[{i}] names flow {flow}, which the report does not list"
                )));
            };
            out.findings.insert(key(code, transport, client, server));
        }
        Ok(out)
    }

    /// Findings are new (fail) or gone (listed) against this baseline.
    pub fn compare(&self, audited: &Audited<'_>) -> Outcome {
        let mut now = BTreeSet::new();
        let mut new = Vec::new();
        for f in (0..audited.len()).filter_map(|i| audited.flow(i)) {
            let (c, s) = (f.client(), f.server());
            for code in f.verdict.codes() {
                let k = key(
                    code.as_str(),
                    f.transport().as_str(),
                    (c.ip, c.port),
                    (s.ip, s.port),
                );
                if !self.findings.contains(&k) {
                    new.push(format!("new {}: {}", code.as_str(), describe(&f)));
                }
                now.insert(k);
            }
        }
        let gone: Vec<String> = self
            .findings
            .difference(&now)
            .map(|(code, transport, a, b)| {
                format!(
                    "gone {code}: {transport} {} <-> {}",
                    end_text(*a),
                    end_text(*b)
                )
            })
            .collect();
        let passed = new.is_empty();
        let found = format!("{} new, {} gone", new.len(), gone.len());
        Outcome::new(
            "baseline".into(),
            passed,
            format!("no finding absent from {}", self.file),
            found,
        )
        .list(new.into_iter().chain(gone))
    }
}

fn end_text((ip, port): (IpAddr, u16)) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_and_bad_ones_are_named() {
        let report = r#"{"flows": [{"id": 1, "transport": "udp",
            "client": {"ip": "10.0.0.1", "port": 50000}, "server": {"ip": "52.112.0.1", "port": 3478}}],
            "findings": [{"code": "asymmetric-route", "flow": 1}]}"#;
        let b = Baseline::parse(report, "old.json").unwrap();
        assert_eq!(b.findings.len(), 1);
        let e = Baseline::parse("{", "old.json").unwrap_err().to_string();
        assert!(e.starts_with("old.json: not a JSON report (line 1"), "{e}");
        let e = Baseline::parse("{\"flows\": []}", "old.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no \"findings\" array"), "{e}");
        let e = Baseline::parse(
            r#"{"flows": [], "findings": [{"code": "x", "flow": 9}]}"#,
            "o",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("names flow 9"), "{e}");
    }
}
