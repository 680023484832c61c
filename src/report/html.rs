//! The HTML report (SPEC "Other outputs"): one self-contained file (inline CSS, JS and SVG; no
//! fonts, scripts or images from anywhere) that a browser opens offline and that prints. The
//! header and captures, the verdict at a glance (findings by code with what to do, calls by use
//! case and verdict), each call drawn on the four segments of CALL-FLOWS.md, media quality per
//! path as SVG charts, and the flows table, sorted and filtered in plain JS from data embedded
//! as JSON.
//!
//! Everything from a capture (SNI, SIP headers, ICE usernames, interface names) is attacker
//! controlled: text goes through `escape`, the flows' data through JSON with `<`, `>` and `&`
//! written as `\u` escapes (so no `</script>` can close its element), and the script puts it
//! in the page with `textContent` only.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::json::write_chunks;
use super::jsonw::JsonText;
use super::message;
use super::model::{CaptureReport, FlowReport};
use super::Report;
use crate::audit::{loss_percent, Call, Code, Leg, LegKind, ObservedPath, PathPair, StreamQuality};
use crate::flow::Endpoint;
use crate::site::PathName;

/// Calls drawn; more are counted (the JSON report lists them all).
const MAX_CALLS_DRAWN: usize = 2000;
/// Streams drawn per path chart.
const MAX_STREAMS_CHARTED: usize = 5000;

/// `s` escaped for text and attribute values (`&`, `<`, `>`, `"`, `'`), as XML escapes it.
pub fn escape(s: &str) -> String {
    super::check::xml_escape(s)
}

fn endpoint(e: Endpoint) -> String {
    let mut ip = String::new();
    let _ = super::write_ip(&mut ip, e.ip);
    if e.ip.is_ipv6() {
        format!("[{ip}]:{}", e.port)
    } else {
        format!("{ip}:{}", e.port)
    }
}

fn ip_text(ip: std::net::IpAddr) -> String {
    let mut text = String::new();
    let _ = super::write_ip(&mut text, ip);
    text
}

fn rfc3339(ts_ns: i64) -> String {
    let mut out = Vec::new();
    super::time::write_rfc3339(&mut out, ts_ns);
    String::from_utf8(out).unwrap_or_default()
}

/// The CSS class of a severity or verdict.
fn severity_class(s: &str) -> &'static str {
    match s {
        "error" => "sev-error",
        "warning" => "sev-warning",
        "info" => "sev-info",
        _ => "sev-ok",
    }
}

/// Writes the HTML report.
pub fn write_html<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    let mut head = String::new();
    write_head(&mut head, report);
    write_captures(&mut head, report);
    write_glance(&mut head, report);
    write_calls(&mut head, report);
    write_quality(&mut head, report);
    write_flows_section(&mut head, report);
    out.write_all(head.as_bytes())?;
    // The flows' data, built in parallel chunks as the JSON writers build theirs.
    out.write_all(b"<script type=\"application/json\" id=\"flows-data\">[")?;
    let mut first = true;
    write_chunks(
        &mut out,
        report.len(),
        |i, buf| {
            let Some(f) = report.flow(i) else {
                return Ok(0);
            };
            let start = buf.len();
            buf.push(b',');
            flow_row(buf, report, i, &f);
            safe_json(buf, start);
            Ok(1)
        },
        |out, text, count| {
            if count > 0 {
                // Every row starts with a comma: the first one's is dropped.
                let text = if first {
                    first = false;
                    text.strip_prefix(b",").unwrap_or(text)
                } else {
                    text
                };
                out.write_all(text)?;
            }
            Ok(())
        },
    )?;
    out.write_all(b"]</script>\n")?;
    out.write_all(b"<script>")?;
    out.write_all(SCRIPT.as_bytes())?;
    out.write_all(b"</script>\n</body>\n</html>\n")
}

/// `<`, `>` and `&` in the JSON written from `start` on, as `\u` escapes: only strings hold
/// them, where JSON reads the escape back as the same character.
fn safe_json(buf: &mut Vec<u8>, start: usize) {
    let Some(tail) = buf.get(start..) else {
        return;
    };
    if !tail.iter().any(|b| matches!(b, b'<' | b'>' | b'&')) {
        return;
    }
    let mut fixed = Vec::with_capacity(tail.len() + 16);
    for &b in tail {
        match b {
            b'<' => fixed.extend_from_slice(b"\\u003c"),
            b'>' => fixed.extend_from_slice(b"\\u003e"),
            b'&' => fixed.extend_from_slice(b"\\u0026"),
            b => fixed.push(b),
        }
    }
    buf.truncate(start);
    buf.extend_from_slice(&fixed);
}

/// One flow as the script's table reads it: `[id, transport, client, server, app, sni, set,
/// forward path, reverse path, expected, packets, bytes, first seen, duration, codes,
/// messages, nat twin, call, sip]` (`sip`: `from -> to (Call-ID ...)` of a SIP flow).
fn flow_row(buf: &mut Vec<u8>, report: &Report<'_>, i: usize, f: &FlowReport<'_>) {
    let mut w = JsonText::compact(buf);
    w.begin_array();
    w.element();
    w.u64(f.id);
    w.element();
    w.str(f.transport);
    w.element();
    w.str(&endpoint(f.client));
    w.element();
    w.str(&endpoint(f.server));
    w.element();
    w.str(f.app.as_str());
    w.element();
    w.opt_str(f.proto.sni);
    w.element();
    match &f.o365 {
        Some(o) => w.u64(u64::from(o.id)),
        None => w.null(),
    }
    for p in [f.path.forward, f.path.reverse] {
        w.element();
        w.opt_str(p.map(ObservedPath::as_str));
    }
    w.element();
    w.opt_str(f.expected_path);
    w.element();
    w.u64(f.packets.forward + f.packets.reverse);
    w.element();
    w.u64(f.bytes.forward + f.bytes.reverse);
    w.element();
    w.rfc3339(f.first_ns);
    w.element();
    w.f64(f.last_ns.saturating_sub(f.first_ns) as f64 / 1e9);
    w.element();
    w.begin_array();
    for code in f.findings.iter() {
        w.element();
        w.str(code.as_str());
    }
    w.end_array();
    w.element();
    w.begin_array();
    for finding in report.findings_of(i) {
        w.element();
        w.str(&message::detail(&finding));
    }
    w.end_array();
    w.element();
    match f.nat {
        Some(n) => w.u64(n.twin),
        None => w.null(),
    }
    w.element();
    match report.audited.flow(i).and_then(|a| a.call().map(|c| c.id)) {
        Some(id) => w.u64(id),
        None => w.null(),
    }
    w.element();
    match f.proto.sip {
        Some(sip) => {
            let mut text = format!(
                "{} -> {}",
                sip.from.as_deref().unwrap_or("?"),
                sip.to.as_deref().unwrap_or("?")
            );
            if !sip.call_ids.is_empty() {
                let _ = write!(text, " (Call-ID {})", sip.call_ids.join(", "));
            }
            w.str(&text);
        }
        None => w.null(),
    }
    w.end_array();
}

fn write_head(out: &mut String, report: &Report<'_>) {
    let h = &report.header;
    let site = message::site_shown(h.site.name, h.site.profile);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>callpath report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <div id=\"errors\" hidden></div>\n<script>{ERRORS_SCRIPT}</script>\n{MARKERS}\n",
        escape(&site)
    );
    let as_of = h
        .ranges
        .as_of
        .map(|d| format!(" as of {}", escape(d)))
        .unwrap_or_default();
    let span = time_span(report)
        .map(|(a, b)| {
            format!(
                "{} to {} ({:.1} s)",
                rfc3339(a),
                rfc3339(b),
                b.saturating_sub(a) as f64 / 1e9
            )
        })
        .unwrap_or_else(|| "no flows".into());
    let _ = write!(
        out,
        "<header>\n<h1>callpath report: {}</h1>\n<p class=\"meta\">callpath {} · Office 365 \
         ranges {} {}{as_of} · time (UTC) {span} · {} flows, {} packets</p>\n",
        escape(&site),
        escape(h.tool.version),
        escape(h.ranges.source),
        escape(h.ranges.instance),
        h.summary.flows,
        h.summary.packets
    );
    for w in h.site.warnings.iter().chain(&h.ranges.warnings) {
        let _ = writeln!(out, "<p class=\"warning\">warning: {}</p>", escape(w));
    }
    if let Some(s) = &h.selection {
        let _ = writeln!(
            out,
            "<p class=\"warning\">Selection: {} of {} flows (findings, summary and calls are \
             the selection's)</p>",
            s.flows, s.flows_total
        );
    }
    out.push_str("</header>\n");
}

/// First and last packet of the report's flows.
fn time_span(report: &Report<'_>) -> Option<(i64, i64)> {
    let audited = report.audited;
    (0..report.len())
        .filter_map(|i| audited.flow(i))
        .map(|f| (f.state.first_ns(), f.state.last_ns()))
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
}

fn write_captures(out: &mut String, report: &Report<'_>) {
    let h = &report.header;
    out.push_str(
        "<section id=\"captures\">\n<h2>Captures and capture points</h2>\n<table>\n\
         <thead><tr><th>file</th><th>format</th><th>packets</th><th>clock offset</th>\
         <th>capture points (interface, link type, path, packets)</th><th>problems</th></tr>\
         </thead>\n<tbody>\n",
    );
    for c in &h.captures {
        write_capture(out, c);
    }
    out.push_str("</tbody>\n</table>\n");
    if !h.capture_links.is_empty() {
        out.push_str("<ul class=\"links\">\n");
        for l in &h.capture_links {
            let transit = l
                .one_way_transit_ms
                .map(|ms| format!(", one-way transit {ms:.3} ms"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "<li>{} ↔ {}: the same packets in {} flows{transit}</li>",
                escape(l.a),
                escape(l.b),
                l.flows
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

fn write_capture(out: &mut String, c: &CaptureReport<'_>) {
    let name = match c.label {
        Some(l) => format!("{l}={}", c.path),
        None => c.path.to_string(),
    };
    let offset = match c.clock_offset_ms {
        Some(ms) => format!("{ms:+.3} ms"),
        None => "not aligned".into(),
    };
    let points: Vec<String> = c
        .interfaces
        .iter()
        .map(|i| {
            format!(
                "{} (linktype {}, {}, {} packets)",
                escape(i.name.unwrap_or("-")),
                i.linktype,
                i.path.unwrap_or("no path rule"),
                i.packets
            )
        })
        .collect();
    let problems: Vec<String> = c
        .errors
        .iter()
        .map(|e| format!("<span class=\"sev-error\">error: {}</span>", escape(e)))
        .chain(c.warnings.iter().map(|w| format!("warning: {}", escape(w))))
        .collect();
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{offset}</td><td>{}</td><td>{}</td></tr>",
        escape(&name),
        c.format.unwrap_or("unreadable"),
        c.packets,
        points.join("<br>"),
        problems.join("<br>")
    );
}

fn write_glance(out: &mut String, report: &Report<'_>) {
    let h = &report.header;
    out.push_str(
        "<section id=\"glance\">\n<h2>Verdict at a glance</h2>\n<table class=\"findings\">\n\
         <thead><tr><th>severity</th><th>finding</th><th>flows</th><th>what to do</th></tr>\
         </thead>\n<tbody>\n",
    );
    let mut codes: Vec<Code> = Code::ALL.to_vec();
    // Most severe first, then SPEC's order.
    codes.sort_by_key(|c| std::cmp::Reverse(c.severity()));
    let mut any = false;
    for code in codes {
        let n = h.summary.findings.get(code.as_str()).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        any = true;
        let sev = code.severity().as_str();
        let _ = writeln!(
            out,
            "<tr id=\"code-{c}\" class=\"{cls}\"><td>{sev}</td><td><a href=\"#finding={c}\" \
             class=\"code\">{c}</a></td><td>{n}</td><td>{}</td></tr>",
            escape(message::advice(code)),
            c = code.as_str(),
            cls = severity_class(sev),
        );
    }
    if !any {
        out.push_str("<tr><td colspan=\"4\">No findings.</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    let calls = &h.summary.calls;
    let _ = write!(
        out,
        "<h3>Calls: {}</h3>\n<table class=\"calls-summary\"><thead><tr>",
        calls.total
    );
    for (name, _) in &calls.by_use_case.0 {
        let _ = write!(out, "<th>{name}</th>");
    }
    out.push_str("</tr></thead><tbody><tr>");
    for (_, n) in &calls.by_use_case.0 {
        let _ = write!(out, "<td>{n}</td>");
    }
    out.push_str("</tr></tbody></table>\n<p>");
    for (name, n) in &calls.by_verdict.0 {
        let _ = write!(
            out,
            "<span class=\"badge {}\">{name} {n}</span> ",
            severity_class(name)
        );
    }
    out.push_str("</p>\n</section>\n");
}

/// The four segments of CALL-FLOWS.md, left to right.
const SEGMENTS: [&str; 4] = [
    "your network",
    "Internet",
    "ExpressRoute",
    "Microsoft network",
];
const SEGMENT_W: f64 = 190.0;
const SVG_W: f64 = SEGMENT_W * 4.0;
const HEADER_H: f64 = 30.0;
const ROW_H: f64 = 40.0;

fn write_calls(out: &mut String, report: &Report<'_>) {
    let _ = writeln!(
        out,
        "<section id=\"calls\">\n<h2>Calls ({})</h2>\n<p class=\"legend\">Each leg of a call \
         (a media, signaling or ICE flow) on the four segments: the forward direction (client \
         to server, →) above the reverse one (←), each drawn on the segment it took; a dashed \
         frame marks the expected path. <span class=\"sev-ok\">green</span>: as expected, \
         <span class=\"sev-error\">red</span>: not, grey: unknown.</p>",
        report.calls.len()
    );
    for call in report.calls.iter().take(MAX_CALLS_DRAWN) {
        write_call(out, call);
    }
    if report.calls.len() > MAX_CALLS_DRAWN {
        let _ = writeln!(
            out,
            "<p>{} more calls are not drawn; the JSON report lists them.</p>",
            report.calls.len() - MAX_CALLS_DRAWN
        );
    }
    out.push_str("</section>\n");
}

fn write_call(out: &mut String, call: &Call) {
    let verdict = call.verdict().as_str();
    let parties: Vec<String> = call
        .parties
        .iter()
        .map(|p| {
            let mut s = ip_text(p.ip);
            if let Some(set) = p.o365 {
                let _ = write!(s, " (o365 set {set})");
            }
            if let Some(role) = p.role {
                let _ = write!(s, " ({})", role.as_str());
            }
            s
        })
        .collect();
    let codes: Vec<&str> = call.codes.iter().map(Code::as_str).collect();
    let _ = writeln!(
        out,
        "<figure class=\"call {}\" id=\"call-{}\">\n<figcaption><b>call {}</b> {} · {} · \
         <span class=\"badge {}\">{verdict}</span> · {}{}<br><small>{}</small></figcaption>",
        severity_class(verdict),
        call.id,
        call.id,
        call.use_case.as_str(),
        call.deployment.map_or("no profile", |d| d.as_str()),
        severity_class(verdict),
        escape(&parties.join(" ↔ ")),
        if codes.is_empty() {
            String::new()
        } else {
            format!(" · findings: {}", codes.join(", "))
        },
        escape(call.table)
    );
    let height = HEADER_H + ROW_H * call.legs.len() as f64 + 6.0;
    let _ = writeln!(
        out,
        "<svg class=\"call-diagram\" viewBox=\"0 0 {SVG_W} {height}\" width=\"{SVG_W}\" \
         height=\"{height}\" role=\"img\" aria-label=\"call {} on the four segments\">",
        call.id
    );
    for (i, name) in SEGMENTS.iter().enumerate() {
        let x = SEGMENT_W * i as f64;
        let _ = writeln!(
            out,
            "<rect class=\"segment seg-{i}\" x=\"{x}\" y=\"0\" width=\"{SEGMENT_W}\" \
             height=\"{height}\"/><text class=\"segment-name\" x=\"{}\" y=\"18\">{name}</text>",
            x + SEGMENT_W / 2.0
        );
    }
    for (row, leg) in call.legs.iter().enumerate() {
        write_leg(out, leg, HEADER_H + ROW_H * row as f64);
    }
    out.push_str("</svg>\n</figure>\n");
}

/// The column of a path: your network for `local`, else its transit segment.
fn column(p: PathName) -> usize {
    match p {
        PathName::Local => 0,
        PathName::Internet => 1,
        PathName::Expressroute => 2,
    }
}

fn write_leg(out: &mut String, leg: &Leg, y: f64) {
    if let Some(expected) = leg.expected_path {
        let x = SEGMENT_W * column(expected) as f64 + 4.0;
        let _ = writeln!(
            out,
            "<rect class=\"expected\" x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            y + 2.0,
            SEGMENT_W - 8.0,
            ROW_H - 6.0
        );
    }
    let kind = match leg.kind {
        LegKind::Media => "media",
        LegKind::Signaling => "signaling",
        LegKind::Ice => "ice",
    };
    let _ = writeln!(
        out,
        "<text class=\"leg-name\" x=\"6\" y=\"{}\"><a href=\"#addr=&amp;id={}\">{kind} \
         #{}</a></text>",
        y + 22.0,
        leg.flow,
        leg.flow
    );
    let PathPair { forward, reverse } = leg.path;
    write_direction(out, forward, leg.expected_path, y + 12.0, true);
    write_direction(out, reverse, leg.expected_path, y + 28.0, false);
}

/// One direction's arrow in the column of the path it took.
fn write_direction(
    out: &mut String,
    path: Option<ObservedPath>,
    expected: Option<PathName>,
    y: f64,
    forward: bool,
) {
    let arrow = |out: &mut String, col: usize, class: &str, label: &str| {
        let (x0, x1) = (
            SEGMENT_W * col as f64 + 14.0,
            SEGMENT_W * (col + 1) as f64 - 14.0,
        );
        // Local legs start after the leg's name.
        let x0 = if col == 0 { x0 + 80.0 } else { x0 };
        let (from, to) = if forward { (x0, x1) } else { (x1, x0) };
        let _ = writeln!(
            out,
            "<line class=\"dir {class}\" x1=\"{from}\" y1=\"{y}\" x2=\"{to}\" y2=\"{y}\" \
             marker-end=\"url(#arrow-{class})\"/><text class=\"dir-label\" x=\"{}\" \
             y=\"{}\">{label}</text>",
            (x0 + x1) / 2.0,
            y - 2.0
        );
    };
    let dir = if forward { "forward" } else { "reverse" };
    let class_for = |col: usize| match expected {
        Some(e) if column(e) == col => "ok",
        Some(_) => "bad",
        None => "ok",
    };
    match path {
        Some(ObservedPath::Local) => arrow(out, 0, class_for(0), dir),
        Some(ObservedPath::Internet) => arrow(out, 1, class_for(1), dir),
        Some(ObservedPath::Expressroute) => arrow(out, 2, class_for(2), dir),
        Some(ObservedPath::Split) => {
            arrow(out, 1, "bad", "split");
            arrow(out, 2, "bad", "split");
        }
        Some(ObservedPath::Unknown) => {
            let (x0, x1) = (SEGMENT_W + 14.0, SEGMENT_W * 3.0 - 14.0);
            let (from, to) = if forward { (x0, x1) } else { (x1, x0) };
            let _ = writeln!(
                out,
                "<line class=\"dir unknown\" x1=\"{from}\" y1=\"{y}\" x2=\"{to}\" y2=\"{y}\"/>\
                 <text class=\"dir-label\" x=\"{}\" y=\"{}\">{dir}: path unknown</text>",
                SEGMENT_W * 2.0,
                y - 2.0
            );
        }
        None => {
            let _ = writeln!(
                out,
                "<text class=\"dir-label none\" x=\"{}\" y=\"{y}\">{dir}: not seen</text>",
                SEGMENT_W * 2.0
            );
        }
    }
}

fn write_quality(out: &mut String, report: &Report<'_>) {
    // Per path: the streams (first, last, loss %, max jitter, worst window start and loss).
    let mut per_path: BTreeMap<&'static str, Vec<StreamQuality>> = BTreeMap::new();
    let audited = report.audited;
    for i in 0..report.len() {
        let Some(f) = audited.flow(i) else { continue };
        if f.state.app.media().0.is_empty() {
            continue;
        }
        if let Some(m) = f.media() {
            for s in m.streams {
                let list = per_path
                    .entry(s.path.map_or("unknown", ObservedPath::as_str))
                    .or_default();
                if list.len() < MAX_STREAMS_CHARTED {
                    list.push(s);
                }
            }
        }
    }
    out.push_str("<section id=\"quality\">\n<h2>Media quality per path</h2>\n");
    if per_path.is_empty() {
        out.push_str("<p>No RTP stream.</p>\n</section>\n");
        return;
    }
    let q = &report.audited.site().quality;
    let _ = writeln!(
        out,
        "<p class=\"legend\">Each RTP stream is a line over the time it ran, at its loss (or its \
         largest jitter); a dot marks its worst 15 s window. Targets: loss below {} %, jitter \
         below {} ms.</p>",
        q.max_loss_percent, q.max_jitter_ms
    );
    let (t0, t1) = time_span(report).unwrap_or((0, 1));
    for (path, streams) in &per_path {
        let _ = writeln!(
            out,
            "<div class=\"chart-pair\"><h3>{path}: {} streams</h3>",
            streams.len()
        );
        chart(out, streams, t0, t1, "loss %", q.max_loss_percent, |s| {
            let loss = loss_percent(s.summary.lost, s.summary.expected);
            let worst = s
                .summary
                .worst_loss_window
                .map(|w| (w.start_ns, loss_percent(w.lost, w.expected)));
            (Some(loss), worst)
        });
        chart(out, streams, t0, t1, "jitter ms", q.max_jitter_ms, |s| {
            let worst = s
                .summary
                .worst_jitter_window
                .map(|w| (w.start_ns, w.max_jitter_ms));
            (s.summary.max_jitter_ms, worst)
        });
        out.push_str("</div>\n");
    }
    out.push_str("</section>\n");
}

type Figure = (Option<f64>, Option<(i64, f64)>);

/// One chart: a line per stream over its time at its value, the worst window as a dot, the
/// target as a dashed line.
fn chart(
    out: &mut String,
    streams: &[StreamQuality],
    t0: i64,
    t1: i64,
    what: &str,
    target: f64,
    figure: impl Fn(&StreamQuality) -> Figure,
) {
    const W: f64 = 360.0;
    const H: f64 = 140.0;
    const PAD: f64 = 30.0;
    let figures: Vec<(i64, i64, Figure)> = streams
        .iter()
        .map(|s| (s.summary.first_ns, s.summary.last_ns, figure(s)))
        .collect();
    let top = figures
        .iter()
        .flat_map(|(_, _, (v, w))| v.iter().copied().chain(w.iter().map(|w| w.1)))
        .fold(target * 2.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let span = (t1.saturating_sub(t0)).max(1) as f64;
    let x = |t: i64| PAD + (t.saturating_sub(t0)) as f64 / span * (W - PAD - 8.0);
    let y = |v: f64| H - PAD / 2.0 - v / top * (H - PAD);
    let _ = writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" \
         aria-label=\"{what} per stream over time\"><text class=\"axis\" x=\"2\" y=\"12\">{what} \
         (top {top:.2})</text><line class=\"axis\" x1=\"{PAD}\" y1=\"{}\" x2=\"{W}\" y2=\"{}\"/>\
         <line class=\"target\" x1=\"{PAD}\" y1=\"{ty}\" x2=\"{W}\" y2=\"{ty}\"/>",
        y(0.0),
        y(0.0),
        ty = y(target)
    );
    for (first, last, (value, worst)) in &figures {
        if let Some(v) = value {
            let class = if *v > target { "over" } else { "under" };
            let _ = write!(
                out,
                "<line class=\"stream {class}\" x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" \
                 y2=\"{:.1}\"/>",
                x(*first),
                y(*v),
                x(*last).max(x(*first) + 1.0),
                y(*v)
            );
        }
        if let Some((at, v)) = worst {
            let class = if *v > target { "over" } else { "under" };
            let _ = write!(
                out,
                "<circle class=\"worst {class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\"/>",
                x(*at),
                y(*v)
            );
        }
    }
    out.push_str("</svg>\n");
}

fn write_flows_section(out: &mut String, report: &Report<'_>) {
    let h = &report.header;
    let apps: Vec<&str> = h.summary.apps.keys().copied().collect();
    let codes: Vec<&str> = h.summary.findings.keys().copied().collect();
    let options = |values: &[&str]| {
        values
            .iter()
            .map(|v| format!("<option value=\"{0}\">{0}</option>", escape(v)))
            .collect::<String>()
    };
    let paths = ["expressroute", "internet", "local", "unknown", "split"];
    let _ = writeln!(
        out,
        "<section id=\"flows\">\n<h2>Flows</h2>\n<form class=\"controls\" id=\"filters\" \
         onsubmit=\"return false\">\n<label>app <select name=\"app\"><option value=\"\">any\
         </option>{}</select></label>\n<label>finding <select name=\"finding\"><option \
         value=\"\">any</option><option value=\"*\">any finding</option>{}</select></label>\n\
         <label>path <select name=\"path\"><option value=\"\">any</option>{}</select></label>\n\
         <label>address <input name=\"addr\" type=\"search\" placeholder=\"10.1.1. or :3478\">\
         </label>\n<button type=\"button\" id=\"prev\">◀</button><span id=\"page\"></span>\
         <button type=\"button\" id=\"next\">▶</button> <span id=\"flow-count\"></span>\n\
         </form>\n<table id=\"flow-table\">\n<thead><tr>",
        options(&apps),
        options(&codes),
        options(&paths)
    );
    for (key, title) in COLUMNS {
        let _ = write!(out, "<th data-sort=\"{key}\">{title}</th>");
    }
    out.push_str(
        "</tr></thead>\n<tbody id=\"flow-rows\"></tbody>\n</table>\n<noscript>The flows table \
         needs JavaScript; the JSON and CSV reports hold the same flows.</noscript>\n</section>\n",
    );
}

/// The flows table's columns: the sort key the script knows, the title.
const COLUMNS: [(&str, &str); 12] = [
    ("id", "#"),
    ("transport", "proto"),
    ("client", "client"),
    ("server", "server"),
    ("app", "app"),
    ("sni", "SNI / SIP"),
    ("set", "O365 set"),
    ("path", "path fwd / rev (expected)"),
    ("packets", "packets"),
    ("bytes", "bytes"),
    ("first", "first seen (UTC)"),
    ("findings", "findings"),
];

const STYLE: &str = r#"
:root{--ok:#1b7f3b;--info:#1f5fa8;--warn:#b36200;--err:#c0262d;--grey:#777;--line:#ddd}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:2px;margin-top:28px}h3{font-size:15px}
.meta{color:#555;margin:0}.warning{color:var(--warn)}
table{border-collapse:collapse;width:100%;margin:8px 0}th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}th[data-sort]{cursor:pointer;user-select:none}th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
.sev-error{color:var(--err)}.sev-warning{color:var(--warn)}.sev-info{color:var(--info)}.sev-ok{color:var(--ok)}
tr.sev-error td:first-child{font-weight:bold}.findings tr td:last-child{color:#222}
.badge{display:inline-block;border:1px solid currentColor;border-radius:8px;padding:0 6px;font-size:12px}
figure.call{margin:12px 0;padding:6px;border-left:4px solid var(--line)}figure.sev-error{border-left-color:var(--err)}figure.sev-warning{border-left-color:var(--warn)}figure.sev-info{border-left-color:var(--info)}figure.sev-ok{border-left-color:var(--ok)}
svg{max-width:100%;height:auto}
.segment{fill:#fafafa;stroke:#ccc}.seg-1{fill:#f3f6fb}.seg-2{fill:#f2f8f2}.seg-3{fill:#f7f3fb}
.segment-name{font-size:13px;text-anchor:middle;font-weight:600;fill:#444}
.leg-name{font-size:11px;fill:#333}.dir-label{font-size:10px;text-anchor:middle;fill:#555}.none{fill:var(--grey)}
.dir{stroke-width:3}.dir.ok{stroke:var(--ok)}.dir.bad{stroke:var(--err)}.dir.unknown{stroke:var(--grey);stroke-dasharray:6 4}
.expected{fill:none;stroke:#888;stroke-dasharray:4 3}
.chart-pair{display:inline-block;vertical-align:top;margin-right:12px}
.chart .axis{stroke:#999;font-size:10px;fill:#555}.chart .target{stroke:var(--warn);stroke-dasharray:5 3}
.stream{stroke-width:2}.stream.under,.worst.under{stroke:var(--ok);fill:var(--ok)}.stream.over,.worst.over{stroke:var(--err);fill:var(--err)}
.controls label{margin-right:10px}.controls{margin:8px 0}
td.findings{color:var(--err)}td.msg{font-size:12px;color:#444}
#errors{background:#fee;border:1px solid var(--err);padding:6px;white-space:pre-wrap}
@media print{.controls,#errors{display:none}figure.call{break-inside:avoid}body{max-width:none}}
"#;

/// The arrow heads of the call diagrams, defined once for every SVG of the page.
const MARKERS: &str = r##"<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs><marker id="arrow-ok" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#1b7f3b"/></marker><marker id="arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#c0262d"/></marker></defs></svg>"##;

const ERRORS_SCRIPT: &str = r#"window.addEventListener('error',function(e){var el=document.getElementById('errors');el.hidden=false;el.textContent+='script error: '+e.message+'\n';});"#;

/// The flows table: filters and sort in the URL's fragment (`#app=rtp&finding=...&path=...&
/// addr=...&sort=bytes&dir=desc&page=0`), so a view can be linked and a test can load one;
/// 100 rows a page, so 100 000 flows stay quick. Data goes in with `textContent` only.
const SCRIPT: &str = r#"
(function(){
'use strict';
var data=JSON.parse(document.getElementById('flows-data').textContent);
var F={id:0,transport:1,client:2,server:3,app:4,sni:5,set:6,fwd:7,rev:8,exp:9,packets:10,bytes:11,first:12,dur:13,codes:14,msgs:15,nat:16,call:17,sip:18};
var PAGE=100;
var state={app:'',finding:'',path:'',addr:'',id:'',sort:'id',dir:'asc',page:0};
var sortKeys={id:F.id,transport:F.transport,client:F.client,server:F.server,app:F.app,sni:F.sni,set:F.set,path:F.fwd,packets:F.packets,bytes:F.bytes,first:F.first,findings:F.codes};
function readHash(){
  var s={app:'',finding:'',path:'',addr:'',id:'',sort:'id',dir:'asc',page:0};
  location.hash.replace(/^#/,'').split('&').forEach(function(kv){
    if(!kv)return;var i=kv.indexOf('=');var k=i<0?kv:kv.slice(0,i);var v=i<0?'':decodeURIComponent(kv.slice(i+1));
    if(k in s)s[k]=(k==='page')?(parseInt(v,10)||0):v;
  });
  return s;
}
function writeHash(){
  var parts=[];['app','finding','path','addr','id','sort','dir','page'].forEach(function(k){
    var v=state[k];if(v!==''&&!(k==='page'&&v===0)&&!(k==='sort'&&v==='id')&&!(k==='dir'&&v==='asc'))parts.push(k+'='+encodeURIComponent(v));
  });
  var h=parts.join('&');if(location.hash.replace(/^#/,'')!==h)location.hash=h;else render();
}
function matches(r){
  if(state.app&&r[F.app]!==state.app)return false;
  if(state.finding==='*'&&r[F.codes].length===0)return false;
  if(state.finding&&state.finding!=='*'&&r[F.codes].indexOf(state.finding)<0)return false;
  if(state.path&&r[F.fwd]!==state.path&&r[F.rev]!==state.path)return false;
  if(state.addr&&r[F.client].indexOf(state.addr)<0&&r[F.server].indexOf(state.addr)<0)return false;
  if(state.id&&String(r[F.id])!==state.id)return false;
  return true;
}
function cmp(a,b){
  var k=sortKeys[state.sort];if(k===undefined)k=F.id;
  var x=a[k],y=b[k];
  if(k===F.codes){x=x.length;y=y.length;}
  if(x===null||x===undefined)x='';if(y===null||y===undefined)y='';
  var c=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y),undefined,{numeric:true});
  if(c===0)c=a[F.id]-b[F.id];
  return state.dir==='desc'?-c:c;
}
function cell(tr,text,cls){var td=document.createElement('td');td.textContent=text===null||text===undefined?'':String(text);if(cls)td.className=cls;tr.appendChild(td);return td;}
function render(){
  state=readHash();
  var form=document.getElementById('filters');
  ['app','finding','path','addr'].forEach(function(k){if(form.elements[k].value!==state[k])form.elements[k].value=state[k];});
  var rows=data.filter(matches);rows.sort(cmp);
  var pages=Math.max(1,Math.ceil(rows.length/PAGE));if(state.page>=pages)state.page=pages-1;if(state.page<0)state.page=0;
  var body=document.getElementById('flow-rows');var frag=document.createDocumentFragment();
  rows.slice(state.page*PAGE,state.page*PAGE+PAGE).forEach(function(r){
    var tr=document.createElement('tr');tr.className='flow';tr.id='flow-'+r[F.id];
    cell(tr,r[F.id]);cell(tr,r[F.transport]);cell(tr,r[F.client],'addr');cell(tr,r[F.server],'addr');cell(tr,r[F.app]);cell(tr,r[F.sni]!==null?r[F.sni]:r[F.sip]);cell(tr,r[F.set]);
    cell(tr,(r[F.fwd]||'-')+' / '+(r[F.rev]||'-')+' ('+(r[F.exp]||'-')+')');
    cell(tr,r[F.packets]);cell(tr,r[F.bytes]);cell(tr,r[F.first]);
    var td=cell(tr,r[F.codes].join(' '),'findings');
    r[F.msgs].forEach(function(m){var d=document.createElement('div');d.className='msg';d.textContent=m;td.appendChild(d);});
    if(r[F.nat]!==null){var n=document.createElement('div');n.className='msg';n.textContent='NAT twin #'+r[F.nat];td.appendChild(n);}
    if(r[F.call]!==null){var c=document.createElement('div');c.className='msg';c.textContent='call '+r[F.call];td.appendChild(c);}
    frag.appendChild(tr);
  });
  body.textContent='';body.appendChild(frag);
  document.getElementById('flow-count').textContent=rows.length+' of '+data.length+' flows';
  document.getElementById('page').textContent=' page '+(state.page+1)+' of '+pages+' ';
  Array.prototype.forEach.call(document.querySelectorAll('th[data-sort]'),function(th){
    th.className=th.getAttribute('data-sort')===state.sort?('sorted-'+state.dir):'';
  });
}
document.getElementById('filters').addEventListener('input',function(e){
  var el=e.target;if(!el.name)return;state[el.name]=el.value;state.page=0;writeHash();
});
document.getElementById('prev').addEventListener('click',function(){state.page--;writeHash();});
document.getElementById('next').addEventListener('click',function(){state.page++;writeHash();});
Array.prototype.forEach.call(document.querySelectorAll('th[data-sort]'),function(th){
  th.addEventListener('click',function(){var k=th.getAttribute('data-sort');
    if(state.sort===k)state.dir=state.dir==='asc'?'desc':'asc';else{state.sort=k;state.dir='asc';}
    state.page=0;writeHash();});
});
window.addEventListener('hashchange',render);
render();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_attributes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;y&apos;"
        );
    }

    #[test]
    fn embedded_json_cannot_close_its_script() {
        let mut buf = b"[1,".to_vec();
        buf.extend_from_slice(br#""</script><b>&""#);
        safe_json(&mut buf, 3);
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text, r#"[1,"\u003c/script\u003e\u003cb\u003e\u0026""#);
        let back: serde_json::Value = serde_json::from_str(&(text.clone() + "]")).unwrap();
        assert_eq!(back[1], "</script><b>&");
    }
}
