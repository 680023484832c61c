//! Regression checks (SPEC "Regression checks"): an expectations file (`expect.rs`) evaluated
//! against an audited run, each expectation an `Outcome` (passed or not, what was expected and
//! what was found, the flows that broke it); a comparison with an earlier JSON report
//! (`baseline.rs`); and the expectations a run satisfies, for a user to tighten (`suggest.rs`).
//! `report::check` writes the outcomes as text and JUnit XML.

mod baseline;
mod expect;
mod suggest;

pub use baseline::{Baseline, BaselineError};
pub use expect::{
    glob_matches, parse, CallExpectation, ExpectError, Expectations, FlowExpectation, Problem,
    QualityExpectation, PATHS,
};
pub use suggest::suggest;

use std::net::IpAddr;

use crate::audit::{
    loss_percent, Audited, AuditedFlow, Call, CallVerdict, Code, Direction, ObservedPath,
};
use crate::flow::Endpoint;
use crate::site::PathName;

/// Flows (or streams, or calls) listed in an outcome; more are counted.
pub const MAX_LISTED: usize = 20;

/// One expectation evaluated: a JUnit test case.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// `findings.allow`, `count.asymmetric-route`, `flows[0]` (with the entry's name), ...
    pub name: String,
    pub passed: bool,
    pub expected: String,
    pub found: String,
    /// The flows, streams or calls that broke it (or, for a passed one, nothing).
    pub listed: Vec<String>,
    /// How many more there were than listed.
    pub more: usize,
}

impl Outcome {
    fn new(name: String, passed: bool, expected: String, found: String) -> Outcome {
        Outcome {
            name,
            passed,
            expected,
            found,
            listed: Vec::new(),
            more: 0,
        }
    }

    fn list(mut self, items: impl IntoIterator<Item = String>) -> Outcome {
        for item in items {
            if self.listed.len() < MAX_LISTED {
                self.listed.push(item);
            } else {
                self.more += 1;
            }
        }
        self
    }
}

fn endpoint(e: Endpoint) -> String {
    match e.ip {
        IpAddr::V4(ip) => format!("{ip}:{}", e.port),
        IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
    }
}

fn path_name(p: Option<ObservedPath>) -> &'static str {
    p.map_or("none", ObservedPath::as_str)
}

/// `#12 udp 10.1.1.10:50010 -> 52.112.1.10:3478 rtp expressroute/internet [asymmetric-route]`
pub fn describe(f: &AuditedFlow<'_>) -> String {
    let v = f.verdict;
    let codes: Vec<&str> = v.codes().map(Code::as_str).collect();
    let mut s = format!(
        "#{} {} {} -> {} {} {}/{}",
        f.id,
        f.transport().as_str(),
        endpoint(f.client()),
        endpoint(f.server()),
        v.app.as_str(),
        path_name(v.path.forward),
        path_name(v.path.reverse)
    );
    if !codes.is_empty() {
        s.push_str(&format!(" [{}]", codes.join(", ")));
    }
    s
}

fn count_text(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Evaluates every expectation of `e` against the audited run, in the file's order:
/// `[findings]`, `[count]`, each `[[flows]]`, `[[calls]]`, `[[quality]]`.
pub fn evaluate(audited: &Audited<'_>, e: &Expectations) -> Vec<Outcome> {
    let flows: Vec<AuditedFlow<'_>> = (0..audited.len()).filter_map(|i| audited.flow(i)).collect();
    let mut out = Vec::new();
    if let Some(allow) = &e.allow {
        out.push(allowed(&flows, allow));
    }
    for &(code, bound) in &e.counts {
        let with: Vec<&AuditedFlow<'_>> = flows.iter().filter(|f| f.verdict.has(code)).collect();
        let passed = with.len() as u64 <= bound;
        let o = Outcome::new(
            format!("count.{}", code.as_str()),
            passed,
            format!("at most {bound} {} findings", code.as_str()),
            count_text(with.len(), "finding", "findings"),
        );
        out.push(if passed {
            o
        } else {
            o.list(with.iter().map(|f| describe(f)))
        });
    }
    for (i, fe) in e.flows.iter().enumerate() {
        out.push(flows_expectation(&flows, i, fe));
    }
    for (i, ce) in e.calls.iter().enumerate() {
        out.push(calls_expectation(audited.calls(), i, ce));
    }
    for (i, qe) in e.quality.iter().enumerate() {
        out.push(quality_expectation(&flows, i, qe));
    }
    out
}

fn allowed(flows: &[AuditedFlow<'_>], allow: &[Code]) -> Outcome {
    let mut other: Vec<(Code, usize)> = Vec::new();
    let mut broken = Vec::new();
    for f in flows {
        let mut bad = false;
        for code in f.verdict.codes() {
            if !allow.contains(&code) {
                bad = true;
                match other.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, n)) => *n += 1,
                    None => other.push((code, 1)),
                }
            }
        }
        if bad {
            broken.push(describe(f));
        }
    }
    let names: Vec<&str> = allow.iter().map(|c| c.as_str()).collect();
    let expected = if names.is_empty() {
        "no finding".to_string()
    } else {
        format!("no finding but {}", names.join(", "))
    };
    let found = if other.is_empty() {
        "no other finding".to_string()
    } else {
        other
            .iter()
            .map(|(c, n)| format!("{} ({})", c.as_str(), count_text(*n, "flow", "flows")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Outcome::new("findings.allow".into(), other.is_empty(), expected, found).list(broken)
}

/// The flows `fe`'s selectors choose.
fn selected(f: &AuditedFlow<'_>, fe: &FlowExpectation) -> bool {
    let v = f.verdict;
    let server = f.server();
    fe.app.is_none_or(|a| v.app == a)
        && fe.transport.is_none_or(|t| f.transport() == t)
        && fe.server.is_none_or(|n| n.contains(server.ip))
        && fe
            .set
            .is_none_or(|s| v.ends.o365.is_some_and(|m| m.id == s))
        && fe.port.is_none_or(|p| server.port == p)
        && fe
            .sni
            .as_deref()
            .is_none_or(|g| f.evidence().sni.is_some_and(|sni| glob_matches(g, sni)))
}

/// Why a selected flow does not look as `fe` requires, if it does not.
fn flaw(f: &AuditedFlow<'_>, fe: &FlowExpectation) -> Option<String> {
    let v = f.verdict;
    if let Some(p) = fe.forward.filter(|&p| v.path.forward != Some(p)) {
        return Some(format!(
            "forward over {} not {}",
            path_name(v.path.forward),
            p.as_str()
        ));
    }
    if let Some(p) = fe.reverse.filter(|&p| v.path.reverse != Some(p)) {
        return Some(format!(
            "reverse over {} not {}",
            path_name(v.path.reverse),
            p.as_str()
        ));
    }
    if fe.expected_path_met {
        let want = v.expected.map(|e| match e {
            PathName::Expressroute => ObservedPath::Expressroute,
            PathName::Internet => ObservedPath::Internet,
            PathName::Local => ObservedPath::Local,
        });
        let met = want.is_some_and(|w| v.path.forward == Some(w) && v.path.reverse == Some(w));
        if !met {
            return Some(format!(
                "expected path {} not met",
                v.expected.map_or("none", PathName::as_str)
            ));
        }
    }
    if fe.no_findings && !v.codes.is_empty() {
        return Some("has findings".into());
    }
    None
}

fn bounds_text(min: u64, max: Option<u64>) -> String {
    match max {
        Some(max) if max == min => format!("exactly {min}"),
        Some(max) => format!("{min} to {max}"),
        None => format!("at least {min}"),
    }
}

fn flows_expectation(flows: &[AuditedFlow<'_>], i: usize, fe: &FlowExpectation) -> Outcome {
    let mut selectors = Vec::new();
    if let Some(a) = fe.app {
        selectors.push(format!("app {}", a.as_str()));
    }
    if let Some(t) = fe.transport {
        selectors.push(t.as_str().to_string());
    }
    if let Some(n) = fe.server {
        selectors.push(format!("server in {n}"));
    }
    if let Some(s) = fe.set {
        selectors.push(format!("Office 365 set {s}"));
    }
    if let Some(p) = fe.port {
        selectors.push(format!("server port {p}"));
    }
    if let Some(g) = &fe.sni {
        selectors.push(format!("SNI {g}"));
    }
    let mut looks = Vec::new();
    match (fe.forward, fe.reverse) {
        (Some(f), Some(r)) if f == r => looks.push(format!("over {} both ways", f.as_str())),
        (f, r) => {
            if let Some(f) = f {
                looks.push(format!("forward over {}", f.as_str()));
            }
            if let Some(r) = r {
                looks.push(format!("reverse over {}", r.as_str()));
            }
        }
    }
    if fe.expected_path_met {
        looks.push("on their expected path".into());
    }
    if fe.no_findings {
        looks.push("without findings".into());
    }
    let expected = format!(
        "{} flows{}{}",
        bounds_text(fe.min, fe.max),
        if selectors.is_empty() {
            String::new()
        } else {
            format!(" ({})", selectors.join(", "))
        },
        if looks.is_empty() {
            String::new()
        } else {
            format!(" {}", looks.join(", "))
        }
    );
    let chosen: Vec<&AuditedFlow<'_>> = flows.iter().filter(|f| selected(f, fe)).collect();
    let (good, bad): (Vec<&AuditedFlow<'_>>, Vec<&AuditedFlow<'_>>) =
        chosen.into_iter().partition(|f| flaw(f, fe).is_none());
    let n = good.len() as u64;
    let passed = n >= fe.min && fe.max.is_none_or(|m| n <= m);
    let found = format!(
        "{} {}, {} selected {}",
        n,
        if n == 1 { "does" } else { "do" },
        bad.len(),
        if bad.len() == 1 {
            "flow does not"
        } else {
            "flows do not"
        }
    );
    let name = match &fe.name {
        Some(name) => format!("flows[{i}] {name}"),
        None => format!("flows[{i}]"),
    };
    let mut o = Outcome::new(name, passed, expected, found);
    if !passed {
        // Too few: the selected flows that look otherwise; too many: those counted.
        let list: Vec<String> = if n < fe.min {
            bad.iter()
                .map(|f| format!("{} ({})", describe(f), flaw(f, fe).unwrap_or_default()))
                .collect()
        } else {
            good.iter().map(|f| describe(f)).collect()
        };
        o = o.list(list);
    }
    o
}

fn calls_expectation(calls: &[Call], i: usize, ce: &CallExpectation) -> Outcome {
    let chosen: Vec<&Call> = calls
        .iter()
        .filter(|c| ce.use_case.is_none_or(|u| c.use_case == u))
        .collect();
    let ok = |c: &Call| ce.verdict.is_none_or(|worst| c.verdict() <= worst);
    let (good, bad): (Vec<&Call>, Vec<&Call>) = chosen.iter().partition(|c| ok(c));
    let n = good.len() as u64;
    let passed = n >= ce.min && ce.max.is_none_or(|m| n <= m);
    let expected = format!(
        "{} {} calls{}",
        bounds_text(ce.min, ce.max),
        ce.use_case.map_or("", |u| u.as_str()),
        ce.verdict
            .map(|v| format!(" with verdict {} or better", v.as_str()))
            .unwrap_or_default()
    );
    let found = format!("{n} such calls, {} selected calls worse", bad.len());
    let describe_call = |c: &&Call| {
        let codes: Vec<&str> = c.codes.iter().map(Code::as_str).collect();
        format!(
            "call {} {} {} flows {:?}{}",
            c.id,
            c.use_case.as_str(),
            c.verdict().as_str(),
            c.flows,
            if codes.is_empty() {
                String::new()
            } else {
                format!(" [{}]", codes.join(", "))
            }
        )
    };
    let name = match &ce.name {
        Some(name) => format!("calls[{i}] {name}"),
        None => format!(
            "calls[{i}] {}",
            ce.use_case.map_or("any use case", |u| u.as_str())
        ),
    };
    let o = Outcome::new(name, passed, expected, found);
    if passed {
        o
    } else if n < ce.min {
        o.list(bad.iter().map(describe_call))
    } else {
        o.list(good.iter().map(describe_call))
    }
}

fn quality_expectation(flows: &[AuditedFlow<'_>], i: usize, qe: &QualityExpectation) -> Outcome {
    let mut streams = 0usize;
    let mut over = Vec::new();
    for f in flows {
        if f.state.app.media().0.is_empty() {
            continue;
        }
        let Some(media) = f.media() else { continue };
        for s in media
            .streams
            .iter()
            .filter(|s| qe.path.is_none_or(|p| s.path == Some(p)))
        {
            streams += 1;
            let q = &s.summary;
            let loss = loss_percent(q.lost, q.expected);
            let mut why = Vec::new();
            if let Some(b) = qe.max_loss_percent.filter(|&b| loss > b) {
                why.push(format!("loss {loss:.2} % > {b} %"));
            }
            if let (Some(b), Some(j)) = (qe.max_jitter_ms, q.max_jitter_ms) {
                if j > b {
                    why.push(format!("max jitter {j:.1} ms > {b} ms"));
                }
            }
            if !why.is_empty() {
                let dir = match s.direction {
                    Direction::Forward => "forward",
                    Direction::Reverse => "reverse",
                };
                over.push(format!(
                    "#{} {dir} ssrc {:#010x}: {}",
                    f.id,
                    q.ssrc,
                    why.join(", ")
                ));
            }
        }
    }
    let path = qe.path.map_or("any path", ObservedPath::as_str);
    let mut bounds = Vec::new();
    if let Some(b) = qe.max_loss_percent {
        bounds.push(format!("loss at most {b} %"));
    }
    if let Some(b) = qe.max_jitter_ms {
        bounds.push(format!("max jitter at most {b} ms"));
    }
    let expected = format!("every RTP stream over {path}: {}", bounds.join(", "));
    let found = format!(
        "{}, {} over",
        count_text(streams, "stream", "streams"),
        over.len()
    );
    let name = match &qe.name {
        Some(name) => format!("quality[{i}] {name}"),
        None => format!("quality[{i}] {path}"),
    };
    Outcome::new(name, over.is_empty(), expected, found).list(over)
}

/// Whether every outcome passed.
pub fn all_passed(outcomes: &[Outcome]) -> bool {
    outcomes.iter().all(|o| o.passed)
}

/// The worst verdict of calls, for `suggest`.
fn worst_verdict<'c>(calls: impl Iterator<Item = &'c Call>) -> CallVerdict {
    calls.map(Call::verdict).max().unwrap_or(CallVerdict::Ok)
}
