//! The `text` report: a summary a person scans in a terminal (at most 100 columns wide).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{FlowReport, ObservedPath, Severity};
use crate::audit::{Audited, Code};

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

fn linktype_name(l: u32) -> String {
    match l {
        0 => "null".into(),
        1 => "ethernet".into(),
        101 | 12 | 14 => "raw".into(),
        113 => "sll".into(),
        228 => "ipv4".into(),
        229 => "ipv6".into(),
        276 => "sll2".into(),
        other => format!("linktype {other}"),
    }
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

pub fn write_text<W: Write>(audited: &Audited<'_>, mut out: W) -> io::Result<()> {
    let report = &audited.header;
    let site = report.site.name.as_deref().unwrap_or("(no site profile)");
    writeln!(
        out,
        "callpath {}: site {}, Office 365 ranges {} {}{}",
        report.tool.version,
        site,
        report.ranges.source,
        report.ranges.instance,
        report
            .ranges
            .as_of
            .as_ref()
            .map(|d| format!(" as of {d}"))
            .unwrap_or_default()
    )?;
    writeln!(out)?;
    writeln!(out, "Captures")?;
    for c in &report.captures {
        let name = match &c.label {
            Some(l) => format!("{l}={}", c.path),
            None => c.path.clone(),
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
                i.name.as_deref().unwrap_or("-"),
                linktype_name(i.linktype),
                i.path.unwrap_or("-"),
                i.packets
            )?;
        }
        let d = &c.decode;
        let not_flow = d.other_ip + d.not_ip + d.later_fragments;
        let malformed = d.malformed_link + d.malformed_ip + d.malformed_transport;
        if not_flow + malformed + d.unsupported_linktype + d.snaplen_cut > 0 {
            writeln!(
                out,
                "    not TCP/UDP {not_flow}, malformed {malformed}, cut by snaplen {}, unsupported link type {}",
                d.snaplen_cut, d.unsupported_linktype
            )?;
        }
        for w in &c.warnings {
            writeln!(out, "    warning: {w}")?;
        }
        for e in &c.errors {
            writeln!(out, "    error: {e}")?;
        }
    }
    writeln!(out)?;
    let apps: Vec<String> = report
        .summary
        .apps
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    writeln!(
        out,
        "Summary: {} flows ({}), {} packets",
        report.summary.flows,
        apps.join(", "),
        report.summary.packets
    )?;
    let verdicts = (0..audited.len()).filter_map(|i| audited.verdict(i).map(|v| (i, v)));
    let mut by_code: BTreeMap<Code, Vec<usize>> = BTreeMap::new();
    for (i, v) in verdicts {
        for code in v.codes() {
            by_code.entry(code).or_default().push(i);
        }
    }
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for (code, flows) in &by_code {
        *by_severity.entry(code.severity()).or_insert(0) += flows.len();
    }
    writeln!(
        out,
        "Findings: {} errors, {} warnings, {} info",
        by_severity.get(&Severity::Error).copied().unwrap_or(0),
        by_severity.get(&Severity::Warning).copied().unwrap_or(0),
        by_severity.get(&Severity::Info).copied().unwrap_or(0)
    )?;

    // Findings grouped by code, most severe first.
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
    for (code, flows) in codes {
        writeln!(out)?;
        writeln!(
            out,
            "{} ({}): {} flows",
            code.as_str(),
            code.severity().as_str(),
            flows.len()
        )?;
        for &i in flows.iter().take(FLOWS_PER_CODE) {
            if let Some(flow) = audited.flow_report(i) {
                writeln!(out, "  {}", flow_line(&flow))?;
            }
            for f in audited.findings_of(i).filter(|f| f.code == *code) {
                let message = f.message();
                // The flow line above already names the flow: print what follows its 5-tuple.
                let detail = match message.split_once(": ") {
                    Some((head, rest)) if head.starts_with("tcp ") || head.starts_with("udp ") => {
                        rest
                    }
                    _ => message.as_str(),
                };
                for line in wrap(detail, 8, WIDTH) {
                    writeln!(out, "{line}")?;
                }
            }
        }
        if flows.len() > FLOWS_PER_CODE {
            writeln!(out, "  ... and {} more", flows.len() - FLOWS_PER_CODE)?;
        }
    }

    writeln!(out)?;
    writeln!(out, "Top flows by bytes")?;
    writeln!(
        out,
        "  {:<5} {:<3} {:<44} {:<5} {:<6} {:>5}/{:<5} {:<5}      bytes",
        "flow", "", "client -> server", "app", "o365", "fwd", "rev", "exp"
    )?;
    let mut top: Vec<usize> = (0..audited.len()).collect();
    top.sort_by(|&a, &b| audited.bytes(b).cmp(&audited.bytes(a)).then(a.cmp(&b)));
    for f in top
        .into_iter()
        .take(TOP_FLOWS)
        .filter_map(|i| audited.flow_report(i))
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
