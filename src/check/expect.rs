//! The expectations file of `callpath check` (SPEC "Regression checks"): TOML, strict like the
//! site profile. Every mistake is named at its file, line and key
//! (`expect.toml:7: flows[1].app: "rpt" is not an app (rtp, rtcp, ...)`): unknown tables and
//! keys, values of the wrong type, unknown codes, paths, use cases, verdicts, bad CIDRs.
//!
//! ```toml
//! [findings]
//! allow = ["unknown-path"]        # codes that may appear; any other code fails
//! [count]                          # upper bounds per finding code
//! asymmetric-route = 0
//! [[flows]]                        # flows that must exist and how they must look
//! app = "rtp"                      # selectors: app, transport, server (CIDR), set, port, sni
//! server = "52.112.0.0/14"
//! path = "expressroute"            # both directions (or forward = / reverse =)
//! min = 1
//! [[calls]]                        # calls by use case, at worst this verdict
//! use_case = "office365-media"
//! verdict = "ok"
//! [[quality]]                      # every RTP stream over a path
//! path = "expressroute"
//! max_loss_percent = 0.5
//! max_jitter_ms = 20
//! ```

use std::fmt;
use std::ops::Range;

use ipnetwork::IpNetwork;
use serde::Deserialize;
use toml::Spanned;

use crate::audit::{CallVerdict, Code, ObservedPath, UseCase};
use crate::decode::Transport;
use crate::proto::App;

/// Every path a direction can be given, for `path`, `forward`, `reverse` and `[[quality]]`.
pub const PATHS: [ObservedPath; 5] = [
    ObservedPath::Expressroute,
    ObservedPath::Internet,
    ObservedPath::Local,
    ObservedPath::Unknown,
    ObservedPath::Split,
];

/// A checked expectations file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expectations {
    /// The file as given (the JUnit suite's name).
    pub file: String,
    /// `[findings] allow`: the codes that may appear (None: any).
    pub allow: Option<Vec<Code>>,
    /// `[count]`: at most this many flows with each code.
    pub counts: Vec<(Code, u64)>,
    pub flows: Vec<FlowExpectation>,
    pub calls: Vec<CallExpectation>,
    pub quality: Vec<QualityExpectation>,
}

/// One `[[flows]]` entry: selectors, how the selected flows must look, how many.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowExpectation {
    pub name: Option<String>,
    pub app: Option<App>,
    pub transport: Option<Transport>,
    pub server: Option<IpNetwork>,
    pub set: Option<u32>,
    pub port: Option<u16>,
    /// A glob over the SNI (`*` any run of characters, `?` one), case-insensitive.
    pub sni: Option<String>,
    pub forward: Option<ObservedPath>,
    pub reverse: Option<ObservedPath>,
    /// Each direction took the expected path.
    pub expected_path_met: bool,
    pub no_findings: bool,
    /// At least this many flows match and look as required (default 1).
    pub min: u64,
    pub max: Option<u64>,
}

/// One `[[calls]]` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallExpectation {
    pub name: Option<String>,
    pub use_case: Option<UseCase>,
    /// The worst verdict a selected call may have (None: any).
    pub verdict: Option<CallVerdict>,
    pub min: u64,
    pub max: Option<u64>,
}

/// One `[[quality]]` entry: bounds for every RTP stream over `path`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QualityExpectation {
    pub name: Option<String>,
    pub path: Option<ObservedPath>,
    pub max_loss_percent: Option<f64>,
    pub max_jitter_ms: Option<f64>,
}

/// One mistake: its line, its key, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub key: String,
    pub message: String,
}

/// An expectations file that cannot be used: every mistake, in the order of the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ExpectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.key.is_empty() {
                write!(f, "{}:{}: {}", self.file, p.line, p.message)?;
            } else {
                write!(f, "{}:{}: {}: {}", self.file, p.line, p.key, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ExpectError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    findings: Option<RawFindings>,
    count: Option<toml::Table>,
    flows: Option<Vec<RawFlows>>,
    calls: Option<Vec<RawCalls>>,
    quality: Option<Vec<RawQuality>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFindings {
    allow: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlows {
    name: Option<String>,
    app: Option<Spanned<String>>,
    transport: Option<Spanned<String>>,
    server: Option<Spanned<String>>,
    set: Option<u32>,
    port: Option<u16>,
    sni: Option<String>,
    path: Option<Spanned<String>>,
    forward: Option<Spanned<String>>,
    reverse: Option<Spanned<String>>,
    expected_path_met: Option<bool>,
    no_findings: Option<bool>,
    min: Option<Spanned<u64>>,
    max: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalls {
    name: Option<String>,
    use_case: Option<Spanned<String>>,
    verdict: Option<Spanned<String>>,
    min: Option<Spanned<u64>>,
    max: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuality {
    name: Option<String>,
    path: Option<Spanned<String>>,
    max_loss_percent: Option<Spanned<f64>>,
    max_jitter_ms: Option<Spanned<f64>>,
}

/// The line (from 1) of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
}

/// The key a serde error points at: the table header above its line (arrays of tables
/// numbered from 0) and the key written on its line.
fn key_at(text: &str, line: usize) -> String {
    let mut table = String::new();
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut key = String::new();
    for (i, l) in text.lines().enumerate().take(line) {
        let t = l.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            table = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = name.trim().to_string();
        }
        if i + 1 == line {
            key = t
                .split_once('=')
                .map(|(k, _)| k.trim().trim_matches('"').to_string())
                .unwrap_or_default();
        }
    }
    match (table.is_empty(), key.is_empty()) {
        (true, _) => key,
        (false, true) => table,
        (false, false) => format!("{table}.{key}"),
    }
}

/// Reads and checks an expectations file's text; `file` names it in errors.
pub fn parse(text: &str, file: &str) -> Result<Expectations, ExpectError> {
    let fail = |problems: Vec<Problem>| ExpectError {
        file: file.to_owned(),
        problems,
    };
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        // toml's message may quote the text; its first line is what went wrong.
        let message = e
            .message()
            .lines()
            .next()
            .unwrap_or("invalid TOML")
            .to_string();
        fail(vec![Problem {
            line,
            key: key_at(text, line),
            message,
        }])
    })?;
    let mut v = Checker {
        text,
        problems: Vec::new(),
    };
    let mut out = Expectations {
        file: file.to_owned(),
        ..Expectations::default()
    };
    if let Some(f) = raw.findings {
        out.allow = Some(
            f.allow
                .iter()
                .filter_map(|c| v.code(c, "findings.allow"))
                .collect(),
        );
    }
    if let Some(count) = raw.count {
        for (name, value) in &count {
            let key = format!("count.{name}");
            let line = text
                .lines()
                .position(|l| {
                    let t = l.trim_start();
                    t.starts_with(name.as_str()) || t.starts_with(&format!("\"{name}\""))
                })
                .map_or(1, |i| i + 1);
            let Some(code) = Code::ALL.iter().copied().find(|c| c.as_str() == name) else {
                v.problems.push((
                    line,
                    Problem {
                        line,
                        key,
                        message: format!("\"{name}\" is not a finding code ({})", code_names()),
                    },
                ));
                continue;
            };
            match value.as_integer().and_then(|n| u64::try_from(n).ok()) {
                Some(n) => out.counts.push((code, n)),
                None => v.problems.push((
                    line,
                    Problem {
                        line,
                        key,
                        message: format!("{value} is not a count (a whole number, 0 or more)"),
                    },
                )),
            }
        }
    }
    for (i, f) in raw.flows.unwrap_or_default().iter().enumerate() {
        let key = |k: &str| format!("flows[{i}].{k}");
        let both = f.path.as_ref().and_then(|p| v.path(p, &key("path")));
        let e = FlowExpectation {
            name: f.name.clone(),
            app: f.app.as_ref().and_then(|a| v.app(a, &key("app"))),
            transport: f
                .transport
                .as_ref()
                .and_then(|t| v.transport(t, &key("transport"))),
            server: f.server.as_ref().and_then(|s| v.cidr(s, &key("server"))),
            set: f.set,
            port: f.port,
            sni: f.sni.clone(),
            forward: f
                .forward
                .as_ref()
                .and_then(|p| v.path(p, &key("forward")))
                .or(both),
            reverse: f
                .reverse
                .as_ref()
                .and_then(|p| v.path(p, &key("reverse")))
                .or(both),
            expected_path_met: f.expected_path_met.unwrap_or(false),
            no_findings: f.no_findings.unwrap_or(false),
            min: f.min.as_ref().map_or(1, |m| *m.get_ref()),
            max: f.max,
        };
        if let (Some(p), Some(_)) = (&f.path, f.forward.as_ref().or(f.reverse.as_ref())) {
            v.push(
                p.span(),
                key("path"),
                "give either path (both directions) or forward/reverse, not both".into(),
            );
        }
        if let (Some(max), Some(min)) = (e.max, &f.min) {
            if *min.get_ref() > max {
                v.push(
                    min.span(),
                    key("min"),
                    format!("min {} is above max {max}", min.get_ref()),
                );
            }
        }
        out.flows.push(e);
    }
    for (i, c) in raw.calls.unwrap_or_default().iter().enumerate() {
        let key = |k: &str| format!("calls[{i}].{k}");
        let e = CallExpectation {
            name: c.name.clone(),
            use_case: c
                .use_case
                .as_ref()
                .and_then(|u| v.use_case(u, &key("use_case"))),
            verdict: c
                .verdict
                .as_ref()
                .and_then(|u| v.verdict(u, &key("verdict"))),
            min: c.min.as_ref().map_or(1, |m| *m.get_ref()),
            max: c.max,
        };
        if let (Some(max), Some(min)) = (e.max, &c.min) {
            if *min.get_ref() > max {
                v.push(
                    min.span(),
                    key("min"),
                    format!("min {} is above max {max}", min.get_ref()),
                );
            }
        }
        out.calls.push(e);
    }
    for (i, q) in raw.quality.unwrap_or_default().iter().enumerate() {
        let key = |k: &str| format!("quality[{i}].{k}");
        let bound = |v: &mut Checker<'_>, b: &Option<Spanned<f64>>, name: &str, top: f64| {
            let b = b.as_ref()?;
            let x = *b.get_ref();
            if (0.0..=top).contains(&x) {
                Some(x)
            } else {
                v.push(
                    b.span(),
                    key(name),
                    format!("{x} is not between 0 and {top}"),
                );
                None
            }
        };
        let e = QualityExpectation {
            name: q.name.clone(),
            path: q.path.as_ref().and_then(|p| v.path(p, &key("path"))),
            max_loss_percent: bound(&mut v, &q.max_loss_percent, "max_loss_percent", 100.0),
            max_jitter_ms: bound(&mut v, &q.max_jitter_ms, "max_jitter_ms", 10_000.0),
        };
        if e.max_loss_percent.is_none()
            && e.max_jitter_ms.is_none()
            && q.max_loss_percent.is_none()
            && q.max_jitter_ms.is_none()
        {
            let line = q.path.as_ref().map_or(1, |p| line_of(text, p.span().start));
            v.problems.push((
                line,
                Problem {
                    line,
                    key: format!("quality[{i}]"),
                    message: "give max_loss_percent, max_jitter_ms or both".into(),
                },
            ));
        }
        out.quality.push(e);
    }
    let nothing = out.allow.is_none()
        && out.counts.is_empty()
        && out.flows.is_empty()
        && out.calls.is_empty()
        && out.quality.is_empty();
    if nothing && v.problems.is_empty() {
        v.problems.push((
            1,
            Problem {
                line: 1,
                key: String::new(),
                message: "no expectation: give [findings], [count], [[flows]], [[calls]] or \
                          [[quality]] (callpath check --suggest CAPTURE... writes a start)"
                    .into(),
            },
        ));
    }
    if v.problems.is_empty() {
        Ok(out)
    } else {
        v.problems.sort_by_key(|(line, _)| *line);
        Err(fail(v.problems.into_iter().map(|(_, p)| p).collect()))
    }
}

fn code_names() -> String {
    Code::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks values, collecting every mistake with its line.
struct Checker<'t> {
    text: &'t str,
    problems: Vec<(usize, Problem)>,
}

impl Checker<'_> {
    fn push(&mut self, span: Range<usize>, key: String, message: String) {
        let line = line_of(self.text, span.start);
        self.problems.push((line, Problem { line, key, message }));
    }

    /// The item of `names` that `value` names, else a problem listing them.
    fn one_of<T: Copy>(
        &mut self,
        value: &Spanned<String>,
        key: &str,
        what: &str,
        items: &[T],
        name: impl Fn(T) -> &'static str,
    ) -> Option<T> {
        let found = items.iter().copied().find(|&i| name(i) == value.get_ref());
        if found.is_none() {
            let names: Vec<&str> = items.iter().map(|&i| name(i)).collect();
            self.push(
                value.span(),
                key.to_owned(),
                format!(
                    "\"{}\" is not {what} ({})",
                    value.get_ref(),
                    names.join(", ")
                ),
            );
        }
        found
    }

    fn code(&mut self, v: &Spanned<String>, key: &str) -> Option<Code> {
        self.one_of(v, key, "a finding code", &Code::ALL, Code::as_str)
    }

    fn app(&mut self, v: &Spanned<String>, key: &str) -> Option<App> {
        self.one_of(v, key, "an app", &App::ALL, App::as_str)
    }

    fn transport(&mut self, v: &Spanned<String>, key: &str) -> Option<Transport> {
        self.one_of(
            v,
            key,
            "a transport",
            &[Transport::Udp, Transport::Tcp],
            Transport::as_str,
        )
    }

    fn path(&mut self, v: &Spanned<String>, key: &str) -> Option<ObservedPath> {
        self.one_of(v, key, "a path", &PATHS, ObservedPath::as_str)
    }

    fn use_case(&mut self, v: &Spanned<String>, key: &str) -> Option<UseCase> {
        self.one_of(v, key, "a use case", &UseCase::ALL, UseCase::as_str)
    }

    fn verdict(&mut self, v: &Spanned<String>, key: &str) -> Option<CallVerdict> {
        self.one_of(
            v,
            key,
            "a call verdict",
            &CallVerdict::ALL,
            CallVerdict::as_str,
        )
    }

    fn cidr(&mut self, v: &Spanned<String>, key: &str) -> Option<IpNetwork> {
        match v.get_ref().parse::<IpNetwork>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.push(
                    v.span(),
                    key.to_owned(),
                    format!(
                        "\"{}\" is not an address or CIDR prefix (52.112.0.0/14, 2603:1063::/38)",
                        v.get_ref()
                    ),
                );
                None
            }
        }
    }
}

/// `glob` (`*` any run, `?` one character) matches `text`, ASCII case-insensitively.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let (g, t): (Vec<char>, Vec<char>) = (
        glob.to_ascii_lowercase().chars().collect(),
        text.to_ascii_lowercase().chars().collect(),
    );
    // The classic two-pointer match with backtracking to the last `*`.
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ti));
                gi += 1;
            }
            Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                gi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sg, st)) => {
                    gi = sg + 1;
                    ti = st + 1;
                    star = Some((sg, st + 1));
                }
                None => return false,
            },
        }
    }
    g.iter().skip(gi).all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, "e.toml") {
            Ok(e) => panic!("accepted: {e:?}"),
            Err(e) => e.to_string().lines().map(String::from).collect(),
        }
    }

    #[test]
    fn a_full_file_reads() {
        let e = parse(
            r#"
[findings]
allow = ["unknown-path", "dscp-unmarked"]
[count]
asymmetric-route = 0
[[flows]]
name = "Teams media over ExpressRoute"
app = "rtp"
server = "52.112.0.0/14"
path = "expressroute"
min = 2
[[flows]]
transport = "tcp"
sni = "*.teams.microsoft.com"
forward = "internet"
no_findings = true
[[calls]]
use_case = "office365-media"
verdict = "ok"
[[quality]]
path = "expressroute"
max_loss_percent = 0.5
"#,
            "e.toml",
        )
        .unwrap();
        assert_eq!(e.allow, Some(vec![Code::UnknownPath, Code::DscpUnmarked]));
        assert_eq!(e.counts, [(Code::AsymmetricRoute, 0)]);
        assert_eq!(e.flows[0].forward, Some(ObservedPath::Expressroute));
        assert_eq!(e.flows[0].reverse, Some(ObservedPath::Expressroute));
        assert_eq!(e.flows[0].min, 2);
        assert_eq!(e.flows[1].min, 1);
        assert_eq!(e.flows[1].reverse, None);
        assert_eq!(e.calls[0].verdict, Some(CallVerdict::Ok));
        assert_eq!(e.quality[0].max_loss_percent, Some(0.5));
    }

    #[test]
    fn mistakes_name_line_and_key() {
        assert_eq!(
            problems("[[flows]]\napp = \"rpt\"\n"),
            ["e.toml:2: flows[0].app: \"rpt\" is not an app (rtp, rtcp, stun, dtls, tls, sip, dns, other)"]
        );
        let p = problems("[findings]\nallow = [\"asymetric-route\"]\n[count]\nmedia-los = 1\n");
        assert!(
            p[0].starts_with("e.toml:2: findings.allow: \"asymetric-route\" is not a finding code"),
            "{p:?}"
        );
        assert!(
            p[1].starts_with("e.toml:4: count.media-los: \"media-los\" is not a finding code"),
            "{p:?}"
        );
        let p = problems("[[flows]]\napp = \"rtp\"\n[[flows]]\nmin = \"x\"\n");
        assert!(p[0].starts_with("e.toml:4: flows[1].min: "), "{p:?}");
        let p = problems("[[flows]]\nsnii = \"x\"\n");
        assert!(
            p[0].starts_with("e.toml:2: flows[0].snii: unknown field `snii`"),
            "{p:?}"
        );
        let p = problems("[[flows]]\nserver = \"52.112.0.0/33\"\n");
        assert!(p[0].starts_with("e.toml:2: flows[0].server: "), "{p:?}");
        let p = problems("[[flows]]\npath = \"internet\"\nforward = \"internet\"\n");
        assert!(p[0].contains("not both"), "{p:?}");
        let p = problems("# nothing\n");
        assert!(p[0].contains("no expectation"), "{p:?}");
        let p = problems("[[quality]]\npath = \"expressroute\"\nmax_loss_percent = 120\n");
        assert!(
            p[0].starts_with("e.toml:3: quality[0].max_loss_percent"),
            "{p:?}"
        );
        let p = problems("[[calls]]\nuse_case = \"p2p\"\nmin = 3\nmax = 1\n");
        assert_eq!(p.len(), 2, "{p:?}");
        let p = problems("[findings\n");
        assert!(p[0].starts_with("e.toml:1: "), "{p:?}");
    }

    #[test]
    fn globs() {
        assert!(glob_matches(
            "*.teams.microsoft.com",
            "a.b.TEAMS.microsoft.com"
        ));
        assert!(!glob_matches(
            "*.teams.microsoft.com",
            "teams.microsoft.com"
        ));
        assert!(glob_matches("teams.*", "teams.live.com"));
        assert!(glob_matches("t?ams*", "teams"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a", ""));
        assert!(glob_matches("**a*b", "xxaxxb"));
    }
}
