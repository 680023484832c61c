//! The `text` report: a summary a person scans in a terminal (at most 100 columns wide).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::message;
use super::model::{CaptureReport, FlowReport, Header, SiteInfo};
use super::Report;
use crate::audit::{Code, ObservedPath, Severity};

/// Flows listed per finding code before "... and N more".
const FLOWS_PER_CODE: usize = 20;
/// Widest line written.
const WIDTH: usize = 100;
/// Flows in the "top flows" table.
const TOP_FLOWS: usize = 15;

/// Word-wraps `text` to `width` columns, every line indented by `indent` spaces.
fn wrap(text: &str, indent: usize, width: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    let mut line = pad.clone();
    for word in text.split(' ') {
        if line.len() > indent && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, pad.clone()));
        }
        if line.len() > indent {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent {
        lines.push(line);
    }
    lines
}

fn path_short(p: Option<ObservedPath>) -> &'static str {
    match p {
        None => "-",
        Some(ObservedPath::Expressroute) => "er",
        Some(ObservedPath::Internet) => "inet",
        Some(ObservedPath::Local) => "local",
        Some(ObservedPath::Unknown) => "?",
        Some(ObservedPath::Split) => "split",
    }
}

fn expected_short(p: Option<&str>) -> &'static str {
    match p {
        Some("expressroute") => "er",
        Some("internet") => "inet",
        Some("local") => "local",
        _ => "-",
    }
}

/// A link type's name, or its number when it has none.
fn linktype_name(l: u32) -> String {
    crate::decode::linktype::name(l).map_or_else(|| format!("linktype {l}"), str::to_string)
}

fn endpoint(e: crate::flow::Endpoint) -> String {
    // SocketAddr's text: `[v6]:port` or `v4:port`.
    std::net::SocketAddr::new(e.ip, e.port).to_string()
}

fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < UNITS.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS.get(u).copied().unwrap_or("B"))
    }
}

/// One flow on one line: `#id udp a:p -> b:p  app  set  fwd/rev  expected`.
fn flow_line(f: &FlowReport) -> String {
    let set = f
        .o365
        .as_ref()
        .map(|o| format!("set {}", o.id))
        .unwrap_or_else(|| "-".into());
    let route = format!("{} -> {}", endpoint(f.client), endpoint(f.server));
    format!(
        "#{:<4} {} {:<44} {:<5} {:<6} {:>5}/{:<5} {:<5}",
        f.id,
        f.transport,
        route,
        f.app.as_str(),
        set,
        path_short(f.path.forward),
        path_short(f.path.reverse),
        expected_short(f.expected_path)
    )
    .trim_end()
    .to_string()
}

/// Writes the text report: the run's header and captures, the summary, the findings by code
/// (most severe first), then the top flows by bytes.
pub fn write_text<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    write_header(&mut out, &report.header)?;
    write_findings(&mut out, report)?;
    write_top_flows(&mut out, report)
}

/// The first line (tool, site, ranges), each capture with its interfaces and problems, and
/// the summary line.
fn write_header<W: Write>(out: &mut W, h: &Header<'_>) -> io::Result<()> {
    let site = message::site_shown(h.site.name, h.site.profile);
    let as_of = h
        .ranges
        .as_of
        .map(|d| format!(" as of {d}"))
        .unwrap_or_default();
    writeln!(
        out,
        "callpath {}: site {site}, Office 365 ranges {} {}{as_of}",
        h.tool.version, h.ranges.source, h.ranges.instance,
    )?;
    write_site_warnings(out, &h.site)?;
    writeln!(out)?;
    writeln!(out, "Captures")?;
    for c in &h.captures {
        write_capture(out, c)?;
    }
    writeln!(out)?;
    let apps: Vec<String> = h
        .summary
        .apps
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    writeln!(
        out,
        "Summary: {} flows ({}), {} packets",
        h.summary.flows,
        apps.join(", "),
        h.summary.packets
    )
}

/// The site profile's warnings, `  warning: ...`, wrapped at the width (continued 4 in).
fn write_site_warnings<W: Write>(out: &mut W, site: &SiteInfo<'_>) -> io::Result<()> {
    for w in &site.warnings {
        for (i, line) in wrap(&format!("warning: {w}"), 2, WIDTH - 2)
            .into_iter()
            .enumerate()
        {
            let more = if i > 0 { "  " } else { "" };
            writeln!(out, "{more}{line}")?;
        }
    }
    Ok(())
}

fn write_capture<W: Write>(out: &mut W, c: &CaptureReport<'_>) -> io::Result<()> {
    let name = match c.label {
        Some(l) => format!("{l}={}", c.path),
        None => c.path.to_string(),
    };
    writeln!(
        out,
        "  {name}  {}  {} packets",
        c.format.unwrap_or("unreadable"),
        c.packets
    )?;
    for i in &c.interfaces {
        writeln!(
            out,
            "    {:<24} {:<10} {:<13} {} packets",
            i.name.unwrap_or("-"),
            linktype_name(i.linktype),
            i.path.unwrap_or("-"),
            i.packets
        )?;
    }
    let d = c.decode;
    let (not_flow, malformed) = (d.not_flow(), d.malformed());
    if not_flow + malformed + d.unsupported_linktype + d.snaplen_cut > 0 {
        writeln!(
            out,
            "    not TCP/UDP {not_flow}, malformed {malformed}, cut by snaplen {}, unsupported link type {}",
            d.snaplen_cut, d.unsupported_linktype
        )?;
    }
    for w in c.warnings {
        writeln!(out, "    warning: {w}")?;
    }
    for e in c.errors {
        writeln!(out, "    error: {e}")?;
    }
    Ok(())
}

/// The findings line, then per code (most severe first) its flows, each with what was found.
fn write_findings<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    let mut by_code: BTreeMap<Code, Vec<usize>> = BTreeMap::new();
    for (i, v) in report.audited.verdicts().iter().enumerate() {
        for code in v.codes() {
            by_code.entry(code).or_default().push(i);
        }
    }
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for (code, flows) in &by_code {
        *by_severity.entry(code.severity()).or_insert(0) += flows.len();
    }
    let count = |s| by_severity.get(&s).copied().unwrap_or(0);
    writeln!(
        out,
        "Findings: {} errors, {} warnings, {} info",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )?;
    let mut codes: Vec<(&Code, &Vec<usize>)> = by_code.iter().collect();
    codes.sort_by(|a, b| {
        b.0.severity()
            .cmp(&a.0.severity())
            .then(a.0.as_str().cmp(b.0.as_str()))
    });
    if !codes.is_empty() {
        writeln!(
            out,
            "(paths forward/reverse then expected: er, inet, local, ? unknown, split)"
        )?;
    }
    for (&code, flows) in codes {
        write_code(out, report, code, flows)?;
    }
    Ok(())
}

/// One finding code: its flows (at most `FLOWS_PER_CODE`), each line followed by the detail.
fn write_code<W: Write>(
    out: &mut W,
    report: &Report<'_>,
    code: Code,
    flows: &[usize],
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} ({}): {} flows",
        code.as_str(),
        code.severity().as_str(),
        flows.len()
    )?;
    for &i in flows.iter().take(FLOWS_PER_CODE) {
        if let Some(flow) = report.flow(i) {
            writeln!(out, "  {}", flow_line(&flow))?;
        }
        // The flow line above already names the flow: print only what was found.
        for f in report.findings_of(i).filter(|f| f.code == code) {
            for line in wrap(&message::detail(&f), 8, WIDTH) {
                writeln!(out, "{line}")?;
            }
        }
    }
    if flows.len() > FLOWS_PER_CODE {
        writeln!(out, "  ... and {} more", flows.len() - FLOWS_PER_CODE)?;
    }
    Ok(())
}

/// The `TOP_FLOWS` flows with the most bytes (ties by flow number).
fn write_top_flows<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Top flows by bytes")?;
    writeln!(
        out,
        "  {:<5} {:<3} {:<44} {:<5} {:<6} {:>5}/{:<5} {:<5}      bytes",
        "flow", "", "client -> server", "app", "o365", "fwd", "rev", "exp"
    )?;
    let audited = report.audited;
    let mut top: Vec<usize> = (0..report.len()).collect();
    top.sort_by(|&a, &b| audited.bytes(b).cmp(&audited.bytes(a)).then(a.cmp(&b)));
    for f in top
        .into_iter()
        .take(TOP_FLOWS)
        .filter_map(|i| report.flow(i))
    {
        writeln!(
            out,
            "  {:<86} {:>8}",
            flow_line(&f),
            human_bytes(f.bytes.forward + f.bytes.reverse)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_the_width() {
        let lines = wrap("aaa bbb ccc ddd", 2, 10);
        assert_eq!(lines, ["  aaa bbb", "  ccc ddd"]);
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 kB");
        assert_eq!(human_bytes(2_000_000_000), "2.0 GB");
    }

    #[test]
    fn ipv6_endpoints_are_bracketed() {
        let e = |ip: &str, port| crate::flow::Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        assert_eq!(endpoint(e("2603:1063::1", 3478)), "[2603:1063::1]:3478");
        assert_eq!(endpoint(e("52.112.0.1", 443)), "52.112.0.1:443");
    }
}
