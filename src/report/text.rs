//! The `text` report: a summary a person scans in a terminal (at most 100 columns wide).
//!
//! Each flow takes two lines: its number, transport and endpoints (of any width: IPv6 fits),
//! then fixed columns: app, Office 365 set, observed and expected paths, first seen, duration,
//! packets, bytes, rate, SNI.
//!
//! With calls (SPEC "Calls"), the summary counts them and a "Calls" section lists each: id, use
//! case, deployment, verdict and parties, then one line per leg, the call-flow table row, its
//! findings and its hairpin. Without calls nothing of them is written.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use super::message;
use super::model::{dscp_values, CaptureReport, FlowReport, Header, SelectionReport, SiteInfo};
use super::time::rfc3339;
use super::Report;
use crate::audit::{
    loss_percent, Call, Code, FlowMedia, ObservedPath, Party, RtcpQuality, Severity, StreamQuality,
};

/// Widest line written.
const WIDTH: usize = 100;
/// Flows in the "top flows" table.
const TOP_FLOWS: usize = 15;
/// Indentation of a flow's second line and of a finding's detail.
const DETAIL_INDENT: usize = 9;

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

/// `n` and the noun, singular or plural.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

/// A quantity with a decimal SI prefix: `999 B`, `1.5 kB`, `139.0 kbit/s`.
fn human(v: f64, units: &[&str]) -> String {
    let mut v = v;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    let unit = units.get(u).copied().unwrap_or_default();
    if u == 0 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

fn human_bytes(b: u64) -> String {
    human(b as f64, &["B", "kB", "MB", "GB", "TB"])
}

/// Bits per second over `seconds`; `-` for an instant.
fn human_rate(bytes: u64, seconds: f64) -> String {
    if seconds <= 0.0 {
        return "-".into();
    }
    human(
        bytes as f64 * 8.0 / seconds,
        &["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"],
    )
}

/// `0.4 s`, `12.0 s`, `3 min 20 s`, `2 h 5 min`.
fn human_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.1} s")
    } else if seconds < 3600.0 {
        let s = seconds as u64;
        format!("{} min {} s", s / 60, s % 60)
    } else {
        let m = seconds as u64 / 60;
        format!("{} h {} min", m / 60, m % 60)
    }
}

/// The time of day of `ts_ns`, UTC, to the millisecond: `09:00:00.400`.
fn time_of_day(ts_ns: i64) -> String {
    // `YYYY-MM-DDTHH:MM:SS.ffffff...Z`: the clock part starts after the `T`.
    rfc3339(ts_ns)
        .split_once('T')
        .and_then(|(_, clock)| clock.get(..12))
        .unwrap_or_default()
        .to_string()
}

/// The date and time of `ts_ns`, UTC, to the millisecond: `2026-11-02 09:00:00.400`.
fn date_time(ts_ns: i64) -> String {
    let text = rfc3339(ts_ns).replacen('T', " ", 1);
    text.get(..23).unwrap_or(&text).to_string()
}

/// A flow's first line: number, transport, client -> server, SNI.
fn flow_first_line(f: &FlowReport) -> String {
    let mut line = format!(
        "#{:<6} {} {} -> {}",
        f.id,
        f.transport,
        endpoint(f.client),
        endpoint(f.server)
    );
    if let Some(sni) = f.proto.sni {
        line.push_str("  sni ");
        line.push_str(sni);
    }
    if let Some(n) = &f.nat {
        // `nat 10.1.1.10:5060 = 192.0.2.30:5060 (outside #7)`
        line.push_str(&format!(
            "  nat {} = {} ({} #{})",
            endpoint(n.inside_end),
            endpoint(n.outside_end),
            if n.inside { "outside" } else { "inside" },
            n.twin
        ));
    }
    line
}

/// A flow's second line: app, set, paths, expected path, first seen, duration, packets,
/// bytes, rate.
fn flow_second_line(f: &FlowReport) -> String {
    let set = f
        .o365
        .as_ref()
        .map(|o| format!("set {}", o.id))
        .unwrap_or_else(|| "-".into());
    let paths = format!(
        "{}/{}",
        path_short(f.path.forward),
        path_short(f.path.reverse)
    );
    let seconds = (f.last_ns - f.first_ns) as f64 / 1e9;
    let bytes = f.bytes.forward + f.bytes.reverse;
    let packets = f.packets.forward + f.packets.reverse;
    format!(
        "{:<5} {:<6} {:<11} {:<5} {}  {:>8} {:>12} {:>8} {:>12}",
        f.app.as_str(),
        set,
        paths,
        expected_short(f.expected_path),
        time_of_day(f.first_ns),
        human_duration(seconds),
        count(packets as usize, "packet", "packets"),
        human_bytes(bytes),
        human_rate(bytes, seconds),
    )
}

/// A flow's two lines, indented under a finding code or in the top flows.
fn write_flow<W: Write>(out: &mut W, f: &FlowReport) -> io::Result<()> {
    writeln!(out, "  {}", flow_first_line(f))?;
    writeln!(
        out,
        "{:indent$}{}",
        "",
        flow_second_line(f),
        indent = DETAIL_INDENT
    )
}

/// Writes the text report: the run's header and captures, the summary, the calls, the findings
/// by code (most severe first), then the top flows by bytes.
pub fn write_text<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    write_header(&mut out, report)?;
    write_findings(&mut out, report)?;
    write_media_quality(&mut out, report)?;
    write_top_flows(&mut out, report)
}

/// A stream's direction line: path, loss (whole stream, and the worst window), jitter (final
/// and largest), DSCP values.
fn stream_line(s: &StreamQuality) -> String {
    let q = &s.summary;
    let mut line = format!(
        "{:<8} {:<6} ssrc {:#010x}  loss {:.2} % ({}/{})",
        s.direction.as_str(),
        path_short(s.path),
        q.ssrc,
        loss_percent(q.lost, q.expected),
        q.lost,
        q.expected
    );
    if let Some(w) = q.worst_loss_window.filter(|w| w.lost > 0) {
        line.push_str(&format!(
            ", worst window {:.2} % at {}",
            loss_percent(w.lost, w.expected),
            time_of_day(w.start_ns)
        ));
    }
    match (q.jitter_ms, q.max_jitter_ms) {
        (Some(j), Some(m)) => line.push_str(&format!("  jitter {j:.1} ms (max {m:.1})")),
        _ => line.push_str("  jitter - (clock rate unknown)"),
    }
    let marks: Vec<String> = dscp_values(s.dscp).map(|v| v.to_string()).collect();
    line.push_str("  dscp ");
    line.push_str(&marks.join(","));
    line
}

/// What one side's RTCP reports said.
fn rtcp_line(r: &RtcpQuality) -> String {
    let mut line = format!(
        "rtcp {:<7} about ssrc {:#010x}: fraction lost {:.1} % (max {:.1} %)",
        r.direction.as_str(),
        r.source_ssrc,
        r.fraction_lost * 100.0,
        r.max_fraction_lost * 100.0
    );
    if let Some(j) = r.jitter_ms {
        line.push_str(&format!(", jitter {j:.1} ms"));
    }
    if let Some(rtt) = r.rtt_ms {
        line.push_str(&format!(", round trip {rtt:.1} ms"));
    }
    line
}

/// The median and the largest of `values` (sorted here).
fn median_and_max(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
    (median, values.last().copied().unwrap_or(0.0))
}

/// The media quality section: per path a summary of its streams (is ExpressRoute better than
/// the Internet here?), then each media flow with a line per stream and RTCP source. Nothing
/// when no flow carried an RTP stream or RTCP report.
fn write_media_quality<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    let audited = report.audited;
    let media: Vec<(FlowReport<'_>, FlowMedia)> = (0..report.len())
        .filter_map(|i| {
            // A cheap test first: most flows carry no media, and a flow's report is not.
            let (streams, rtcp) = audited.flow(i)?.state.app.media();
            if streams.is_empty() && rtcp.is_empty() {
                return None;
            }
            let mut f = report.flow(i)?;
            let m = f.media.take()?;
            Some((f, m))
        })
        .collect();
    if media.is_empty() {
        return Ok(());
    }
    let q = &audited.site().quality;
    writeln!(out)?;
    writeln!(
        out,
        "Media quality (targets: loss < {} % and jitter < {} ms in any {} s window)",
        q.max_loss_percent, q.max_jitter_ms, q.window_s
    )?;
    let mut per_path: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    for (_, m) in &media {
        for s in &m.streams {
            let entry = per_path
                .entry(s.path.map_or("unknown", ObservedPath::as_str))
                .or_default();
            entry
                .0
                .push(loss_percent(s.summary.lost, s.summary.expected));
            if let Some(j) = s.summary.max_jitter_ms {
                entry.1.push(j);
            }
        }
    }
    for (path, (loss, jitter)) in &mut per_path {
        let streams = loss.len();
        let (loss_median, loss_worst) = median_and_max(loss);
        let mut line = format!(
            "  {:<12} {}  loss median {:.2} %, worst {:.2} %",
            path,
            count(streams, "stream", "streams"),
            loss_median,
            loss_worst
        );
        if !jitter.is_empty() {
            let (jitter_median, jitter_worst) = median_and_max(jitter);
            line.push_str(&format!(
                "  max jitter median {jitter_median:.1} ms, worst {jitter_worst:.1} ms"
            ));
        }
        writeln!(out, "{line}")?;
    }
    for (f, m) in &media {
        let class = m
            .class
            .map_or(String::new(), |c| format!("  {}", c.as_str()));
        writeln!(out, "  {}{class}", flow_first_line(f))?;
        for s in &m.streams {
            writeln!(
                out,
                "{:indent$}{}",
                "",
                stream_line(s),
                indent = DETAIL_INDENT
            )?;
        }
        for r in &m.rtcp {
            writeln!(
                out,
                "{:indent$}{}",
                "",
                rtcp_line(r),
                indent = DETAIL_INDENT
            )?;
        }
    }
    Ok(())
}

/// The calls line of the summary: how many, per use case and per verdict (non-zero counts).
/// Nothing without calls.
fn write_calls_summary<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    let calls = &report.header.summary.calls;
    if calls.total == 0 {
        return Ok(());
    }
    let list = |counts: &super::model::Counts| {
        counts
            .non_zero()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let line = format!(
        "Calls: {} ({}); verdicts {}",
        count(calls.total, "call", "calls"),
        list(&calls.by_use_case),
        list(&calls.by_verdict)
    );
    for line in wrap(&line, 0, WIDTH) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A party of a call: its address, with its Office 365 endpoint set and its server role.
fn party_text(p: &Party) -> String {
    let mut notes = Vec::new();
    if let Some(set) = p.o365 {
        notes.push(format!("o365 set {set}"));
    }
    if let Some(role) = p.role {
        notes.push(role.as_str().to_string());
    }
    if notes.is_empty() {
        p.ip.to_string()
    } else {
        format!("{} ({})", p.ip, notes.join(", "))
    }
}

/// One call: `call 3  office365-media  online  warning  PARTY <-> PARTY` (the parties on a
/// line of their own when they do not fit), then per leg its kind, flow, expected and observed
/// paths, the call-flow table row, the findings and the hairpin.
fn write_call<W: Write>(out: &mut W, c: &Call) -> io::Result<()> {
    let head = format!(
        "call {}  {}  {}  {}",
        c.id,
        c.use_case.as_str(),
        c.deployment.map_or("-", |d| d.as_str()),
        c.verdict().as_str()
    );
    let parties = c
        .parties
        .iter()
        .map(party_text)
        .collect::<Vec<_>>()
        .join(" <-> ");
    if parties.is_empty() {
        writeln!(out, "  {head}")?;
    } else if 2 + head.len() + 2 + parties.len() <= WIDTH {
        writeln!(out, "  {head}  {parties}")?;
    } else {
        writeln!(out, "  {head}")?;
        for line in wrap(&format!("parties {parties}"), DETAIL_INDENT, WIDTH) {
            writeln!(out, "{line}")?;
        }
    }
    let seen = |p: Option<ObservedPath>| p.map_or("nowhere", ObservedPath::as_str);
    for leg in &c.legs {
        writeln!(
            out,
            "{:indent$}{:<9} flow {:<5} expected {:<12}  seen forward {}, reverse {}",
            "",
            leg.kind.as_str(),
            leg.flow,
            leg.expected_path.map_or("none", |p| p.as_str()),
            seen(leg.path.forward),
            seen(leg.path.reverse),
            indent = DETAIL_INDENT
        )?;
    }
    let mut notes = vec![format!("row: {}", c.table)];
    if !c.codes.is_empty() {
        let codes: Vec<&str> = c.codes.iter().map(Code::as_str).collect();
        notes.push(format!("findings: {}", codes.join(", ")));
    }
    if let Some(h) = &c.hairpin {
        notes.push(format!("hairpin: {}", message::hairpin(h)));
    }
    for note in notes {
        for line in wrap(&note, DETAIL_INDENT, WIDTH) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The "Calls" section, after a blank line: each call in the report (at most `report.limit`),
/// by id. Nothing without calls.
fn write_calls<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    if report.calls.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Calls")?;
    let limit = report.limit.unwrap_or(usize::MAX);
    for c in report.calls.iter().take(limit) {
        write_call(out, c)?;
    }
    if report.calls.len() > limit {
        let more = report.calls.len() - limit;
        let noun = if more == 1 { "call" } else { "calls" };
        writeln!(out, "  ... and {more} more {noun} (--limit 0 lists all)")?;
    }
    Ok(())
}

/// The first line (tool, site, ranges), each capture with its interfaces and problems, the
/// time span and the summary line.
fn write_header<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    let h: &Header<'_> = &report.header;
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
    for w in &h.ranges.warnings {
        for (i, line) in wrap(&format!("warning: {w}"), 2, WIDTH - 2)
            .into_iter()
            .enumerate()
        {
            let more = if i > 0 { "  " } else { "" };
            writeln!(out, "{more}{line}")?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Captures")?;
    let several = h.captures.len() > 1;
    for c in &h.captures {
        write_capture(out, c, several)?;
    }
    for l in &h.capture_links {
        let transit = l
            .one_way_transit_ms
            .map(|ms| format!(", one-way transit {ms:.3} ms"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {} <-> {}: the same packets in {}{transit}",
            l.a,
            l.b,
            count(l.flows as usize, "flow", "flows"),
        )?;
    }
    writeln!(out)?;
    if let Some((first, last)) = time_span(report) {
        let (from, to) = (date_time(first), date_time(last));
        // The same day: the date once.
        let to = match (from.split_once(' '), to.split_once(' ')) {
            (Some((day, _)), Some((same, clock))) if day == same => clock.to_string(),
            _ => to,
        };
        writeln!(
            out,
            "Time (UTC): {from} to {to} ({})",
            human_duration((last - first) as f64 / 1e9)
        )?;
    }
    let apps: Vec<String> = h
        .summary
        .apps
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    writeln!(
        out,
        "Summary: {} ({}), {}",
        count(h.summary.flows, "flow", "flows"),
        apps.join(", "),
        count(h.summary.packets as usize, "packet", "packets")
    )?;
    write_calls_summary(out, report)?;
    if let Some(s) = &h.selection {
        write_selection(out, s)?;
    }
    Ok(())
}

/// The selection line: the criteria, and how many flows matched.
fn write_selection<W: Write>(out: &mut W, s: &SelectionReport) -> io::Result<()> {
    let mut criteria = Vec::new();
    let list = |name: &str, values: Vec<String>| {
        (!values.is_empty()).then(|| format!("{name} {}", values.join(" or ")))
    };
    let text = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    criteria.extend(list("app", text(&s.app)));
    criteria.extend(list("finding", text(&s.finding)));
    criteria.extend(list("net", s.net.clone()));
    criteria.extend(list("set", s.set.iter().map(u32::to_string).collect()));
    criteria.extend(s.since.as_ref().map(|t| format!("since {t}")));
    criteria.extend(s.until.as_ref().map(|t| format!("until {t}")));
    let line = format!(
        "Selection: {}: {} of {} (findings, summary and exit status are the selection's)",
        criteria.join(", "),
        s.flows,
        count(s.flows_total, "flow", "flows")
    );
    for line in wrap(&line, 0, WIDTH) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The first and last packet times of the flows in the report.
fn time_span(report: &Report<'_>) -> Option<(i64, i64)> {
    let audited = report.audited;
    (0..report.len())
        .filter_map(|i| audited.flow(i))
        .map(|f| (f.state.first_ns(), f.state.last_ns()))
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
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

/// A capture file's lines; with `several` files, its clock against the first file's.
fn write_capture<W: Write>(out: &mut W, c: &CaptureReport<'_>, several: bool) -> io::Result<()> {
    let name = match c.label {
        Some(l) => format!("{l}={}", c.path),
        None => c.path.to_string(),
    };
    let compression = c.compression.map(|z| format!(" ({z})")).unwrap_or_default();
    let clock = match c.clock_offset_ms {
        _ if !several => String::new(),
        Some(ms) if ms != 0.0 => format!("  clock {ms:+.3} ms against the first file"),
        Some(_) => String::new(),
        None => "  clock not aligned (no packet shared with another file)".into(),
    };
    writeln!(
        out,
        "  {name}  {}{compression}  {}{clock}",
        c.format.unwrap_or("unreadable"),
        count(c.packets as usize, "packet", "packets")
    )?;
    for i in &c.interfaces {
        writeln!(
            out,
            "    {:<24} {:<10} {:<13} {}",
            i.name.unwrap_or("-"),
            linktype_name(i.linktype),
            i.path.unwrap_or("-"),
            count(i.packets as usize, "packet", "packets")
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

/// The findings line, the calls (`write_calls`), then per code (most severe first) its flows,
/// each with what was found.
fn write_findings<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    let mut by_code: BTreeMap<Code, Vec<usize>> = BTreeMap::new();
    let mut flows_by_severity: BTreeMap<Severity, BTreeSet<usize>> = BTreeMap::new();
    for (i, v) in report.audited.verdicts().iter().enumerate() {
        for code in v.codes() {
            by_code.entry(code).or_default().push(i);
            flows_by_severity
                .entry(code.severity())
                .or_default()
                .insert(i);
        }
    }
    let mut findings_by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for (code, flows) in &by_code {
        *findings_by_severity.entry(code.severity()).or_insert(0) += flows.len();
    }
    let severity = |s: Severity| {
        let findings = findings_by_severity.get(&s).copied().unwrap_or(0);
        let flows = flows_by_severity.get(&s).map_or(0, BTreeSet::len);
        let noun = format!("{} finding", s.as_str());
        let findings = count(findings, &noun, &format!("{noun}s"));
        if flows == 0 {
            findings
        } else {
            format!("{findings} on {}", count(flows, "flow", "flows"))
        }
    };
    writeln!(
        out,
        "Findings: {}, {}, {}",
        severity(Severity::Error),
        severity(Severity::Warning),
        severity(Severity::Info)
    )?;
    let mut codes: Vec<(&Code, &Vec<usize>)> = by_code.iter().collect();
    codes.sort_by(|a, b| {
        b.0.severity()
            .cmp(&a.0.severity())
            .then(a.0.as_str().cmp(b.0.as_str()))
    });
    // The calls between the findings' counts and their flows.
    write_calls(out, report)?;
    if !codes.is_empty() {
        if !report.calls.is_empty() {
            writeln!(out)?;
        }
        let legend = "(paths forward/reverse, then the expected one: er ExpressRoute, inet \
                      Internet, local, ? unknown, split both; - no packet that way, or nothing \
                      expected; times UTC)";
        for line in wrap(legend, 0, WIDTH) {
            writeln!(out, "{line}")?;
        }
    }
    for (&code, flows) in codes {
        write_code(out, report, code, flows)?;
    }
    Ok(())
}

/// One finding code: its flows (at most `report.limit`), each followed by what was found.
fn write_code<W: Write>(
    out: &mut W,
    report: &Report<'_>,
    code: Code,
    flows: &[usize],
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "{} ({}): {}",
        code.as_str(),
        code.severity().as_str(),
        count(flows.len(), "flow", "flows")
    )?;
    // Advice that is the same for every flow of the code: once, under the code.
    if code == Code::UnknownPath {
        for line in wrap(
            &format!("To do: {}.", message::UNKNOWN_PATH_ADVICE),
            2,
            WIDTH,
        ) {
            writeln!(out, "{line}")?;
        }
    }
    let limit = report.limit.unwrap_or(usize::MAX);
    for &i in flows.iter().take(limit) {
        if let Some(flow) = report.flow(i) {
            write_flow(out, &flow)?;
        }
        // The lines above already name the flow: print only what was found.
        for f in report.findings_of(i).filter(|f| f.code == code) {
            for line in wrap(&message::short_detail(&f), DETAIL_INDENT, WIDTH) {
                writeln!(out, "{line}")?;
            }
        }
    }
    if flows.len() > limit {
        let more = flows.len() - limit;
        let noun = if more == 1 { "flow" } else { "flows" };
        writeln!(out, "  ... and {more} more {noun} (--limit 0 lists all)")?;
    }
    Ok(())
}

/// The `TOP_FLOWS` flows with the most bytes (ties by flow number).
fn write_top_flows<W: Write>(out: &mut W, report: &Report<'_>) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "Top flows by bytes")?;
    let audited = report.audited;
    let mut top: Vec<usize> = (0..report.len()).collect();
    top.sort_by(|&a, &b| audited.bytes(b).cmp(&audited.bytes(a)).then(a.cmp(&b)));
    for f in top
        .into_iter()
        .take(TOP_FLOWS)
        .filter_map(|i| report.flow(i))
    {
        write_flow(out, &f)?;
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
    fn rates_durations_times_and_plurals() {
        assert_eq!(human_rate(17_400, 1.0), "139.2 kbit/s");
        assert_eq!(human_rate(100, 0.0), "-");
        assert_eq!(human_duration(1.021), "1.0 s");
        assert_eq!(human_duration(200.0), "3 min 20 s");
        assert_eq!(human_duration(7_500.0), "2 h 5 min");
        assert_eq!(time_of_day(1_793_610_030_671_420_000), "09:00:30.671");
        assert_eq!(
            date_time(1_793_610_030_671_420_000),
            "2026-11-02 09:00:30.671"
        );
        assert_eq!(count(1, "flow", "flows"), "1 flow");
        assert_eq!(count(0, "flow", "flows"), "0 flows");
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
