//! The `json` writer (one pretty document), and the flow, call and finding records it shares
//! with the `ndjson` writer.
//!
//! Flows and findings are built and written one at a time from the audit, so writing the
//! report of a million flows needs the memory of one flow report, not of all of them.

use std::io::{self, Write};

use serde::Serialize;

use super::jsonw::JsonText;
use super::message;
use super::model::{
    dscp_values, tcp_flag_names, FlowReport, O365Report, OnpremReport, SightingReport,
};
use super::Report;
use crate::audit::{
    loss_percent, Call, Finding, FlowMedia, NatReport, ObservedPath, Pair, PathPair,
};
use crate::flow::Endpoint;
use crate::proto::{Evidence, MediaShape, PerDirection, SipSummary};

/// Flows (and their findings) serialized per chunk, chunks built in parallel (rayon, within
/// the caller's pool) a window at a time and written in order: the output is the same for any
/// number of threads, and memory holds one window of text, not the whole report.
const CHUNK_FLOWS: usize = 512;
/// Chunks in flight per worker thread: enough to keep every thread busy, few enough that the
/// text waiting to be written stays small (~1 MB per thread).
const WINDOW_CHUNKS_PER_THREAD: usize = 2;

/// serde_json's pretty layout (two spaces a level), starting `depth` levels in: a value
/// nested in the document is written directly, indented as if the whole document were
/// serialized at once.
struct NestedPretty {
    depth: usize,
    has_value: bool,
}

const SPACES: &[u8] = &[b' '; 128];

impl NestedPretty {
    fn newline_indent<W: ?Sized + Write>(&self, w: &mut W, lead: &[u8]) -> io::Result<()> {
        w.write_all(lead)?;
        let n = (self.depth * 2).min(SPACES.len());
        w.write_all(SPACES.get(..n).unwrap_or_default())
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline_indent(w, b"\n")?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, if first { b"\n" } else { b",\n" })
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline_indent(w, b"\n")?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, if first { b"\n" } else { b",\n" })
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` pretty-printed as if `indent / 2` levels deep in the document.
fn pretty_at<T: Serialize>(value: &T, indent: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let formatter = NestedPretty {
        depth: indent / 2,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Serializes the items `0..n` in chunks built in parallel and hands each chunk's text, in
/// order, to `emit(out, text, items)`; `item(i, buf)` appends item `i` and returns how many
/// elements it wrote.
pub(super) fn write_chunks<W, F, E>(out: &mut W, n: usize, item: F, mut emit: E) -> io::Result<()>
where
    W: Write,
    F: Fn(usize, &mut Vec<u8>) -> io::Result<usize> + Sync,
    E: FnMut(&mut W, &[u8], usize) -> io::Result<()>,
{
    use rayon::prelude::*;
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(CHUNK_FLOWS)
        .map(|start| (start, (start + CHUNK_FLOWS).min(n)))
        .collect();
    let window_chunks = WINDOW_CHUNKS_PER_THREAD * rayon::current_num_threads().max(1);
    // One text buffer per chunk of a window, reused window after window: a fresh megabyte
    // buffer per chunk would be fresh pages from the kernel each time, page faults and all.
    let mut texts: Vec<(Vec<u8>, io::Result<usize>)> = (0..window_chunks.min(chunks.len()))
        .map(|_| (Vec::new(), Ok(0)))
        .collect();
    for window in chunks.chunks(window_chunks) {
        texts
            .par_iter_mut()
            .zip(window.par_iter())
            .for_each(|((buf, count), &(start, end))| {
                buf.clear();
                // ~2 KB of pretty JSON per flow: no regrowth.
                buf.reserve((end - start) * 2560);
                *count = (start..end).try_fold(0, |n, i| Ok(n + item(i, buf)?));
            });
        for (buf, count) in texts.iter_mut().take(window.len()) {
            let count = std::mem::replace(count, Ok(0))?;
            emit(out, buf, count)?;
        }
    }
    Ok(())
}

/// Writes the items `0..n` as the elements of a pretty JSON array at depth 1 (the array's
/// own line is indented 2 spaces, its elements 4), `item(i, buf)` serializing item `i`.
fn write_array<W, F>(out: &mut W, n: usize, item: F) -> io::Result<()>
where
    W: Write,
    F: Fn(usize, &mut Vec<u8>) -> io::Result<usize> + Sync,
{
    let mut first = true;
    write_chunks(out, n, item, |out, text, count| {
        if count > 0 {
            out.write_all(if first { b"[\n    " } else { b",\n    " })?;
            first = false;
            out.write_all(text)?;
        }
        Ok(())
    })?;
    out.write_all(if first { b"[]" } else { b"\n  ]" })
}

/// Header fields of different types through one closure.
mod erased {
    use std::io;

    pub trait Field {
        fn pretty(&self, out: &mut Vec<u8>) -> io::Result<()>;
    }

    impl<T: serde::Serialize> Field for T {
        fn pretty(&self, out: &mut Vec<u8>) -> io::Result<()> {
            super::pretty_at(self, 2, out)
        }
    }
}

/// The separator before an element of a chunk, when the chunk already holds one.
fn separate(buf: &mut Vec<u8>) {
    if !buf.is_empty() {
        buf.extend_from_slice(b",\n    ");
    }
}

fn path_or_null(w: &mut JsonText<'_>, p: Option<ObservedPath>) {
    w.opt_name(p.map(ObservedPath::as_str));
}

/// `"path": {"forward": ..., "reverse": ...}`: each direction's observed path, or `null`.
fn path_pair(w: &mut JsonText<'_>, p: PathPair) {
    w.key("path");
    w.begin_object();
    w.key("forward");
    path_or_null(w, p.forward);
    w.key("reverse");
    path_or_null(w, p.reverse);
    w.end_object();
}

fn pair_u64(w: &mut JsonText<'_>, name: &str, p: Pair<u64>) {
    w.key(name);
    w.begin_object();
    w.key("forward");
    w.u64(p.forward);
    w.key("reverse");
    w.u64(p.reverse);
    w.end_object();
}

fn endpoint(w: &mut JsonText<'_>, name: &str, e: Endpoint) {
    w.key(name);
    w.begin_object();
    w.key("ip");
    w.ip(e.ip);
    w.key("port");
    w.u64(u64::from(e.port));
    w.end_object();
}

fn sightings(w: &mut JsonText<'_>, name: &str, list: &[SightingReport<'_>]) {
    w.key(name);
    w.begin_array();
    for s in list {
        w.element();
        w.begin_object();
        w.key("capture_point");
        w.str(s.capture_point);
        w.key("file");
        w.str(s.file);
        if let Some(i) = s.interface {
            w.key("interface");
            w.str(i);
        }
        if let Some(i) = s.ifindex {
            w.key("ifindex");
            w.u64(u64::from(i));
        }
        if let Some(v) = s.vlan {
            w.key("vlan");
            w.u64(u64::from(v));
        }
        if let Some(m) = s.src_mac {
            w.key("src_mac");
            w.mac(m);
        }
        if let Some(m) = s.dst_mac {
            w.key("dst_mac");
            w.mac(m);
        }
        if let Some(t) = s.packet_type {
            w.key("packet_type");
            w.name(t);
        }
        w.key("path");
        w.name(s.path.as_str());
        w.key("packets");
        w.u64(s.packets);
        w.end_object();
    }
    w.end_array();
}

fn u64_array(w: &mut JsonText<'_>, name: &str, values: impl Iterator<Item = u64>) {
    w.key(name);
    w.begin_array();
    for v in values {
        w.element();
        w.u64(v);
    }
    w.end_array();
}

fn str_array(w: &mut JsonText<'_>, name: &str, values: &[String]) {
    w.key(name);
    w.begin_array();
    for v in values {
        w.element();
        w.str(v);
    }
    w.end_array();
}

fn sip_summary(w: &mut JsonText<'_>, s: &SipSummary) {
    w.begin_object();
    str_array(w, "call_ids", &s.call_ids);
    str_array(w, "methods", &s.methods);
    u64_array(
        w,
        "status_codes",
        s.status_codes.iter().map(|&c| u64::from(c)),
    );
    w.key("from");
    w.opt_str(s.from.as_deref());
    w.key("to");
    w.opt_str(s.to.as_deref());
    w.key("sdp_media");
    w.begin_array();
    for m in &s.sdp_media {
        w.element();
        w.begin_object();
        w.key("media");
        w.str(&m.media);
        w.key("ip");
        w.opt_str(m.ip.as_deref());
        w.key("port");
        w.u64(u64::from(m.port));
        w.key("proto");
        w.str(&m.proto);
        w.key("call_id");
        w.opt_str(m.call_id.as_deref());
        w.end_object();
    }
    w.end_array();
    w.key("messages");
    w.u64(u64::from(s.messages));
    w.end_object();
}

/// A flow's `proto`: what serde writes for `AppSummary` (same fields, same order, empty lists,
/// false flags and zero counters left out), from the evidence borrowed from the flow table.
fn proto(w: &mut JsonText<'_>, e: &Evidence<'_>) {
    w.begin_object();
    if !e.alpn.is_empty() {
        str_array(w, "alpn", e.alpn);
    }
    if !e.tls_versions.is_empty() {
        u64_array(
            w,
            "tls_versions",
            e.tls_versions.iter().map(|&v| u64::from(v)),
        );
    }
    if e.dtls {
        w.key("dtls");
        w.bool(true);
    }
    if e.stun {
        w.key("stun");
        w.bool(true);
    }
    if !e.stun_addresses.is_empty() {
        w.key("stun_addresses");
        w.begin_array();
        for a in e.stun_addresses {
            w.element();
            w.begin_object();
            w.key("kind");
            w.name(a.kind.as_str());
            w.key("ip");
            w.ip(a.ip);
            w.key("port");
            w.u64(u64::from(a.port));
            w.end_object();
        }
        w.end_array();
    }
    if !e.ice_usernames.is_empty() {
        str_array(w, "ice_usernames", e.ice_usernames);
    }
    if !e.ice.is_empty() {
        w.key("ice");
        w.begin_object();
        w.key("controlling");
        w.bool(e.ice.controlling);
        w.key("controlled");
        w.bool(e.ice.controlled);
        w.key("use_candidate");
        w.bool(e.ice.use_candidate);
        w.end_object();
    }
    if !e.turn_channels.is_empty() {
        w.key("turn_channels");
        w.begin_array();
        for c in e.turn_channels {
            w.element();
            w.begin_object();
            w.key("channel");
            w.u64(u64::from(c.channel));
            w.key("ip");
            w.ip(c.peer.ip());
            w.key("port");
            w.u64(u64::from(c.peer.port()));
            w.end_object();
        }
        w.end_array();
    }
    if e.ms_turn {
        w.key("ms_turn");
        w.bool(true);
    }
    if e.ms_turn_pseudo_tls {
        w.key("ms_turn_pseudo_tls");
        w.bool(true);
    }
    if !e.ssrcs.is_empty() {
        u64_array(w, "rtp_ssrcs", e.rtp_ssrcs().map(u64::from));
    }
    if !e.rtp_payload_types.is_empty() {
        u64_array(
            w,
            "rtp_payload_types",
            e.rtp_payload_types.iter().map(|&t| u64::from(t)),
        );
    }
    if e.rtcp {
        w.key("rtcp");
        w.bool(true);
    }
    if let Some(s) = e.sip {
        w.key("sip");
        sip_summary(w, s);
    }
    if let Some(m) = &e.media_shape {
        w.key("media_shape");
        media_shape(w, m);
    }
    let c = &e.counters;
    if !c.is_zero() {
        w.key("counters");
        w.begin_object();
        w.key("messages");
        w.u64(u64::from(c.messages));
        w.key("parse_errors");
        w.u64(u64::from(c.parse_errors));
        w.key("caps_hit");
        w.u64(u64::from(c.caps_hit));
        w.end_object();
    }
    w.end_object();
}

fn media_shape(w: &mut JsonText<'_>, m: &MediaShape) {
    fn per_direction<T: Copy>(
        w: &mut JsonText<'_>,
        key: &str,
        p: &PerDirection<T>,
        value: fn(&mut JsonText<'_>, T),
    ) {
        w.key(key);
        w.begin_object();
        w.key("forward");
        value(w, p.forward);
        w.key("reverse");
        value(w, p.reverse);
        w.end_object();
    }
    w.begin_object();
    w.key("gate");
    w.name(m.gate.as_str());
    w.key("duration_s");
    w.f64(m.duration_s);
    per_direction(w, "segments_per_s", &m.segments_per_s, |w, v| w.f64(v));
    per_direction(w, "mean_size", &m.mean_size, |w, v| w.u64(v));
    per_direction(w, "media_sized", &m.media_sized, |w, v| w.f64(v));
    per_direction(w, "silences", &m.silences, |w, v| w.u64(u64::from(v)));
    w.end_object();
}

fn o365(w: &mut JsonText<'_>, o: Option<&O365Report<'_>>) {
    let Some(o) = o else {
        w.null();
        return;
    };
    w.begin_object();
    w.key("id");
    w.u64(u64::from(o.id));
    w.key("service_area");
    w.str(o.service_area);
    w.key("category");
    w.str(o.category);
    w.key("express_route");
    w.bool(o.express_route);
    w.end_object();
}

/// `{"outside": 7, "inside_end": {...}, "outside_end": {...}}` on the inside flow,
/// `{"inside": 3, ...}` on the outside one: the twin's id, then the translation.
fn nat(w: &mut JsonText<'_>, n: &NatReport) {
    w.begin_object();
    w.key(if n.inside { "outside" } else { "inside" });
    w.u64(n.twin);
    endpoint(w, "inside_end", n.inside_end);
    endpoint(w, "outside_end", n.outside_end);
    w.end_object();
}

fn onprem(w: &mut JsonText<'_>, o: &OnpremReport) {
    w.begin_object();
    w.key("end");
    w.str(o.end);
    w.key("role");
    w.name(o.role.as_str());
    w.end_object();
}

fn tcp_flags(w: &mut JsonText<'_>, flags: Pair<u8>) {
    w.begin_object();
    for (name, bits) in [("forward", flags.forward), ("reverse", flags.reverse)] {
        w.key(name);
        w.begin_array();
        for flag in tcp_flag_names(bits) {
            w.element();
            w.name(flag);
        }
        w.end_array();
    }
    w.end_object();
}

/// A flow's `dscp`: the values seen in each direction, ascending (`[]` for a direction with no
/// packet).
fn dscp(w: &mut JsonText<'_>, seen: Pair<u64>) {
    w.begin_object();
    for (name, bits) in [("forward", seen.forward), ("reverse", seen.reverse)] {
        w.key(name);
        w.begin_array();
        for v in dscp_values(bits) {
            w.element();
            w.u64(u64::from(v));
        }
        w.end_array();
    }
    w.end_object();
}

/// `v` rounded to `places` decimals (figures in ms and fractions; more digits are noise).
fn rounded(v: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (v * scale).round() / scale
}

fn opt_ms(w: &mut JsonText<'_>, key: &str, v: Option<f64>) {
    w.key(key);
    match v {
        Some(ms) => w.f64(rounded(ms, 3)),
        None => w.null(),
    }
}

/// A media flow's `media` (SPEC "Media quality and DSCP"): SPEC's fields first in SPEC's
/// order, then callpath's (`path`, the worst windows, `max_burst_lost_200ms`, ...).
fn media(w: &mut JsonText<'_>, m: &FlowMedia) {
    w.begin_object();
    w.key("class");
    w.opt_name(m.class.map(|c| c.as_str()));
    w.key("streams");
    w.begin_array();
    for s in &m.streams {
        let q = &s.summary;
        w.element();
        w.begin_object();
        w.key("ssrc");
        w.u64(u64::from(q.ssrc));
        w.key("direction");
        w.name(s.direction.as_str());
        w.key("payload_type");
        w.u64(u64::from(q.payload_type));
        w.key("clock_rate");
        match q.clock_rate {
            Some(hz) => w.u64(u64::from(hz)),
            None => w.null(),
        }
        for (key, n) in [
            ("packets", q.packets),
            ("expected", q.expected),
            ("lost", q.lost),
            ("duplicates", q.duplicates),
            ("reordered", q.reordered),
        ] {
            w.key(key);
            w.u64(u64::from(n));
        }
        opt_ms(w, "jitter_ms", q.jitter_ms);
        opt_ms(w, "max_jitter_ms", q.max_jitter_ms);
        w.key("max_burst_lost");
        w.u64(u64::from(q.max_burst_lost));
        w.key("dscp");
        w.begin_array();
        for v in dscp_values(s.dscp) {
            w.element();
            w.u64(u64::from(v));
        }
        w.end_array();
        w.key("path");
        w.opt_name(s.path.map(ObservedPath::as_str));
        w.key("clock_rate_source");
        w.opt_name(s.clock_rate_source.map(|c| c.as_str()));
        w.key("discarded");
        w.u64(u64::from(q.discarded));
        w.key("max_burst_lost_200ms");
        w.u64(u64::from(q.max_burst_lost_200ms));
        w.key("first_seen");
        w.rfc3339(q.first_ns);
        w.key("last_seen");
        w.rfc3339(q.last_ns);
        w.key("worst_loss_window");
        match q.worst_loss_window {
            Some(win) => {
                w.begin_object();
                w.key("start");
                w.rfc3339(win.start_ns);
                w.key("expected");
                w.u64(u64::from(win.expected));
                w.key("lost");
                w.u64(u64::from(win.lost));
                w.key("loss_percent");
                w.f64(rounded(loss_percent(win.lost, win.expected), 3));
                w.end_object();
            }
            None => w.null(),
        }
        w.key("worst_jitter_window");
        match q.worst_jitter_window {
            Some(win) => {
                w.begin_object();
                w.key("start");
                w.rfc3339(win.start_ns);
                opt_ms(w, "max_jitter_ms", Some(win.max_jitter_ms));
                w.end_object();
            }
            None => w.null(),
        }
        w.end_object();
    }
    w.end_array();
    w.key("rtcp");
    w.begin_array();
    for r in &m.rtcp {
        w.element();
        w.begin_object();
        w.key("ssrc");
        w.u64(u64::from(r.source_ssrc));
        w.key("direction");
        w.name(r.direction.as_str());
        w.key("fraction_lost");
        w.f64(rounded(r.fraction_lost, 4));
        opt_ms(w, "jitter_ms", r.jitter_ms);
        opt_ms(w, "rtt_ms", r.rtt_ms);
        w.key("reporter_ssrc");
        w.u64(u64::from(r.reporter_ssrc));
        w.key("reports");
        w.u64(u64::from(r.reports));
        w.key("max_fraction_lost");
        w.f64(rounded(r.max_fraction_lost, 4));
        w.key("cumulative_lost");
        w.i64(i64::from(r.cumulative_lost));
        opt_ms(w, "max_jitter_ms", r.max_jitter_ms);
        opt_ms(w, "max_rtt_ms", r.max_rtt_ms);
        w.end_object();
    }
    w.end_array();
    w.end_object();
}

/// A flow's `duration`: `last_seen - first_seen` in seconds. The difference is taken in whole
/// nanoseconds first, then divided once, so a microsecond-exact 1.021 s is the `f64` nearest
/// 1.021 and is written `1.021`.
fn duration_s(first_ns: i64, last_ns: i64) -> f64 {
    last_ns.saturating_sub(first_ns) as f64 / 1e9
}

/// The fields of one flow (SPEC "JSON report"), into the object `w` has open.
pub(super) fn flow_fields(w: &mut JsonText<'_>, f: &FlowReport<'_>) {
    w.key("id");
    w.u64(f.id);
    w.key("transport");
    w.name(f.transport);
    w.key("community_id");
    w.str(f.community_id.as_str());
    endpoint(w, "client", f.client);
    endpoint(w, "server", f.server);
    w.key("app");
    w.name(f.app.as_str());
    w.key("sni");
    w.opt_str(f.proto.sni);
    w.key("o365");
    o365(w, f.o365.as_ref());
    if let Some(o) = &f.onprem {
        w.key("onprem");
        onprem(w, o);
    }
    if let Some(n) = &f.nat {
        w.key("nat");
        nat(w, n);
    }
    path_pair(w, f.path);
    w.key("expected_path");
    w.opt_name(f.expected_path);
    pair_u64(w, "packets", f.packets);
    pair_u64(w, "bytes", f.bytes);
    w.key("first_seen");
    w.rfc3339(f.first_ns);
    w.key("last_seen");
    w.rfc3339(f.last_ns);
    w.key("duration");
    w.f64(duration_s(f.first_ns, f.last_ns));
    w.key("findings");
    w.begin_array();
    for code in f.findings.iter() {
        w.element();
        w.name(code.as_str());
    }
    w.end_array();
    if let Some(flags) = f.tcp_flags {
        w.key("tcp_flags");
        tcp_flags(w, flags);
    }
    if let Some(seen) = f.dscp {
        w.key("dscp");
        dscp(w, seen);
    }
    if let Some(m) = &f.media {
        w.key("media");
        media(w, m);
    }
    w.key("seen_at");
    w.begin_object();
    sightings(w, "forward", &f.seen_at.forward);
    sightings(w, "reverse", &f.seen_at.reverse);
    w.end_object();
    if f.fragments != 0 {
        w.key("fragments");
        w.u64(f.fragments);
    }
    w.key("proto");
    proto(w, &f.proto);
}

/// The fields of one call (SPEC "Calls"), into the object `w` has open: SPEC's fields in
/// SPEC's order, with `verdict` after `table` and `hairpin` (only when there is one) last.
pub(super) fn call_fields(w: &mut JsonText<'_>, c: &Call) {
    w.key("id");
    w.u64(c.id);
    w.key("use_case");
    w.name(c.use_case.as_str());
    w.key("deployment");
    w.opt_name(c.deployment.map(|d| d.as_str()));
    w.key("table");
    w.str(c.table);
    w.key("verdict");
    w.name(c.verdict().as_str());
    u64_array(w, "flows", c.flows.iter().copied());
    u64_array(w, "media_flows", c.media_flows.iter().copied());
    u64_array(w, "signaling_flows", c.signaling_flows.iter().copied());
    w.key("parties");
    w.begin_array();
    for p in &c.parties {
        w.element();
        w.begin_object();
        w.key("ip");
        w.ip(p.ip);
        w.key("internal");
        w.bool(p.internal);
        if let Some(set) = p.o365 {
            w.key("o365");
            w.u64(u64::from(set));
        }
        if let Some(role) = p.role {
            w.key("role");
            w.name(role.as_str());
        }
        w.end_object();
    }
    w.end_array();
    w.key("legs");
    w.begin_array();
    for leg in &c.legs {
        w.element();
        w.begin_object();
        w.key("kind");
        w.name(leg.kind.as_str());
        w.key("flow");
        w.u64(leg.flow);
        w.key("expected_path");
        w.opt_name(leg.expected_path.map(|p| p.as_str()));
        path_pair(w, leg.path);
        w.end_object();
    }
    w.end_array();
    w.key("findings");
    w.begin_array();
    for code in c.codes.iter() {
        w.element();
        w.name(code.as_str());
    }
    w.end_array();
    if let Some(h) = &c.hairpin {
        w.key("hairpin");
        w.begin_object();
        w.key("parties");
        w.begin_array();
        for ip in h.parties {
            w.element();
            w.ip(ip);
        }
        w.end_array();
        w.key("relay");
        w.ip(h.relay);
        w.end_object();
    }
}

pub(super) fn finding_fields(w: &mut JsonText<'_>, f: &Finding<'_>) -> io::Result<()> {
    w.key("code");
    w.name(f.code.as_str());
    w.key("severity");
    w.name(f.severity().as_str());
    w.key("flow");
    w.u64(f.flow);
    w.key("message");
    w.str_from(|text| message::write_message(text, f))
        .map_err(|_| io::Error::other("cannot format a finding's message"))
}

/// One flow as an element of the report's pretty `flows` array.
pub fn write_flow(buf: &mut Vec<u8>, f: &FlowReport<'_>) {
    separate(buf);
    let mut w = JsonText::pretty(buf, 2);
    w.begin_object();
    flow_fields(&mut w, f);
    w.end_object();
}

/// One call as an element of the report's pretty `calls` array.
pub fn write_call(buf: &mut Vec<u8>, c: &Call) {
    separate(buf);
    let mut w = JsonText::pretty(buf, 2);
    w.begin_object();
    call_fields(&mut w, c);
    w.end_object();
}

/// One finding as an element of the report's pretty `findings` array.
pub fn write_finding(buf: &mut Vec<u8>, f: &Finding<'_>) -> io::Result<()> {
    separate(buf);
    let mut w = JsonText::pretty(buf, 2);
    w.begin_object();
    finding_fields(&mut w, f)?;
    w.end_object();
    Ok(())
}

/// Writes the report as one pretty-printed JSON document (SPEC's field order; `calls`, always
/// present, between `flows` and `findings`).
pub fn write_json<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    let h = &report.header;
    let mut head = Vec::new();
    head.extend_from_slice(b"{\n");
    let mut field = |name: &str, value: &dyn erased::Field| -> io::Result<()> {
        head.extend_from_slice(format!("  \"{name}\": ").as_bytes());
        value.pretty(&mut head)?;
        head.extend_from_slice(b",\n");
        Ok(())
    };
    field("tool", &h.tool)?;
    field("ranges", &h.ranges)?;
    field("site", &h.site)?;
    if let Some(selection) = &h.selection {
        field("selection", selection)?;
    }
    field("captures", &h.captures)?;
    field("capture_links", &h.capture_links)?;
    field("summary", &h.summary)?;
    head.extend_from_slice(b"  \"flows\": ");
    out.write_all(&head)?;
    write_array(&mut out, report.len(), |i, buf| {
        Ok(match report.flow(i) {
            Some(f) => {
                write_flow(buf, &f);
                1
            }
            None => 0,
        })
    })?;
    out.write_all(b",\n  \"calls\": ")?;
    write_array(&mut out, report.calls.len(), |i, buf| {
        Ok(match report.calls.get(i) {
            Some(c) => {
                write_call(buf, c);
                1
            }
            None => 0,
        })
    })?;
    out.write_all(b",\n  \"findings\": ")?;
    write_array(&mut out, report.len(), |i, buf| {
        report.findings_of(i).try_fold(0, |n, f| {
            write_finding(buf, &f)?;
            Ok(n + 1)
        })
    })?;
    out.write_all(b"\n}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::{
        App, AppCounters, AppSummary, IceRoles, SdpMedia, ShapeGate, StunAddress, StunAddressKind,
        TurnChannel,
    };
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn arb_sip() -> impl Strategy<Value = SipSummary> {
        let sdp = (
            any::<String>(),
            any::<Option<String>>(),
            any::<u16>(),
            any::<String>(),
            any::<Option<String>>(),
        )
            .prop_map(|(media, ip, port, proto, call_id)| SdpMedia {
                media,
                ip,
                port,
                proto,
                call_id,
                clock_rates: Vec::new(),
            });
        (
            vec(any::<String>(), 0..3),
            vec(any::<String>(), 0..3),
            vec(any::<u16>(), 0..3),
            any::<Option<String>>(),
            any::<Option<String>>(),
            vec(sdp, 0..3),
            any::<u32>(),
        )
            .prop_map(
                |(call_ids, methods, status_codes, from, to, sdp_media, messages)| SipSummary {
                    call_ids,
                    methods,
                    status_codes,
                    from,
                    to,
                    sdp_media,
                    messages,
                },
            )
    }

    fn arb_summary() -> impl Strategy<Value = AppSummary> {
        let kind = prop_oneof![
            Just(StunAddressKind::Mapped),
            Just(StunAddressKind::Peer),
            Just(StunAddressKind::Relayed),
        ];
        let address = (kind, any::<std::net::IpAddr>(), any::<u16>())
            .prop_map(|(kind, ip, port)| StunAddress { kind, ip, port });
        let counters = prop_oneof![
            Just(AppCounters::default()),
            (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(m, p, c)| AppCounters {
                messages: m,
                parse_errors: p,
                caps_hit: c,
            }),
        ];
        let tls = (
            any::<Option<String>>(),
            vec(any::<String>(), 0..3),
            vec(any::<u16>(), 0..3),
            any::<bool>(),
        );
        let media = (
            any::<bool>(),
            vec(address, 0..3),
            any::<bool>(),
            vec(any::<u32>(), 0..3),
            vec(any::<u8>(), 0..3),
            any::<bool>(),
        );
        let gate = prop_oneof![Just(ShapeGate::MediaAddress), Just(ShapeGate::RelaySni)];
        let shape = (
            gate,
            0.0..1e6f64,
            (0.0..1e4f64, 0.0..1e4f64),
            (any::<u64>(), any::<u64>()),
            (0.0..=1.0f64, 0.0..=1.0f64),
            (any::<u32>(), any::<u32>()),
        )
            .prop_map(|(gate, d, r, m, sh, si)| MediaShape {
                gate,
                duration_s: d,
                segments_per_s: PerDirection {
                    forward: r.0,
                    reverse: r.1,
                },
                mean_size: PerDirection {
                    forward: m.0,
                    reverse: m.1,
                },
                media_sized: PerDirection {
                    forward: sh.0,
                    reverse: sh.1,
                },
                silences: PerDirection {
                    forward: si.0,
                    reverse: si.1,
                },
            });
        let turn = (any::<bool>(), proptest::option::of(shape));
        let channel = (any::<u16>(), any::<std::net::SocketAddr>())
            .prop_map(|(channel, peer)| TurnChannel { channel, peer });
        let ice = (
            vec(any::<String>(), 0..3),
            (any::<bool>(), any::<bool>(), any::<bool>()),
            vec(channel, 0..3),
        );
        (
            tls,
            media,
            proptest::option::of(arb_sip()),
            counters,
            turn,
            ice,
        )
            .prop_map(
                |((sni, alpn, tls_versions, dtls), media, sip, counters, turn, ice)| {
                    let (stun, stun_addresses, ms_turn, rtp_ssrcs, rtp_payload_types, rtcp) = media;
                    let (ms_turn_pseudo_tls, media_shape) = turn;
                    let (ice_usernames, (controlling, controlled, use_candidate), turn_channels) =
                        ice;
                    AppSummary {
                        app: App::Other,
                        sni,
                        alpn,
                        tls_versions,
                        dtls,
                        stun,
                        stun_addresses,
                        ice_usernames,
                        ice: IceRoles {
                            controlling,
                            controlled,
                            use_candidate,
                        },
                        turn_channels,
                        ms_turn,
                        ms_turn_pseudo_tls,
                        rtp_ssrcs,
                        rtp_payload_types,
                        rtcp,
                        sip,
                        media_shape,
                        counters,
                    }
                },
            )
    }

    /// `s` as the evidence the report borrows, every SSRC from the client's side (so listed
    /// in `s`'s order).
    fn evidence_of<'s>(s: &'s AppSummary, ssrcs: &'s [(u8, u32)]) -> Evidence<'s> {
        Evidence {
            app: s.app,
            sni: s.sni.as_deref(),
            alpn: &s.alpn,
            tls_versions: &s.tls_versions,
            dtls: s.dtls,
            stun: s.stun,
            stun_addresses: &s.stun_addresses,
            ice_usernames: &s.ice_usernames,
            ice: s.ice,
            turn_channels: &s.turn_channels,
            ms_turn: s.ms_turn,
            ms_turn_pseudo_tls: s.ms_turn_pseudo_tls,
            ssrcs,
            client_side: 0,
            rtp_payload_types: &s.rtp_payload_types,
            rtcp: s.rtcp,
            sip: s.sip.as_ref(),
            media_shape: s.media_shape,
            counters: s.counters,
        }
    }

    fn by_hand(e: &Evidence<'_>, mut w: JsonText<'_>) {
        proto(&mut w, e);
    }

    proptest! {
        #[test]
        fn proto_same_bytes_as_serde_json(s in arb_summary()) {
            let ssrcs: Vec<(u8, u32)> = s.rtp_ssrcs.iter().map(|&x| (0, x)).collect();
            let e = evidence_of(&s, &ssrcs);
            prop_assert_eq!(&e.to_summary(), &s);

            let mut compact = Vec::new();
            by_hand(&e, JsonText::compact(&mut compact));
            prop_assert_eq!(String::from_utf8(compact).unwrap(), serde_json::to_string(&s).unwrap());

            let mut pretty = Vec::new();
            by_hand(&e, JsonText::pretty(&mut pretty, 0));
            prop_assert_eq!(String::from_utf8(pretty).unwrap(), serde_json::to_string_pretty(&s).unwrap());

            // Where the report has it: the value of a key of a flow, an element of `flows`.
            let mut nested = Vec::new();
            by_hand(&e, JsonText::pretty(&mut nested, 3));
            let mut expected = Vec::new();
            pretty_at(&s, 6, &mut expected).unwrap();
            prop_assert_eq!(String::from_utf8(nested).unwrap(), String::from_utf8(expected).unwrap());
        }
    }

    proptest! {
        /// `dscp` lists each direction's values ascending: the same as serde_json writes the
        /// sorted values of the bitmask.
        #[test]
        fn dscp_lists_the_bitmask_sorted(forward in any::<u64>(), reverse in any::<u64>()) {
            let mut text = Vec::new();
            dscp(&mut JsonText::compact(&mut text), Pair { forward, reverse });
            let values = |m: u64| (0..64u8).filter(|v| m >> v & 1 == 1).collect::<Vec<_>>();
            let expected = serde_json::json!({"forward": values(forward), "reverse": values(reverse)});
            prop_assert_eq!(String::from_utf8(text).unwrap(), expected.to_string());
        }
    }

    #[test]
    fn dscp_of_ef_one_way_and_unmarked_back() {
        let mut text = Vec::new();
        let seen = Pair {
            forward: 1 << 46,
            reverse: 1 << 46 | 1,
        };
        dscp(&mut JsonText::compact(&mut text), seen);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            r#"{"forward":[46],"reverse":[0,46]}"#
        );
        assert_eq!(dscp_values(0).count(), 0);
        assert_eq!(
            dscp_values(u64::MAX).collect::<Vec<_>>(),
            (0..64).collect::<Vec<u8>>()
        );
    }

    #[test]
    fn durations_are_written_as_their_decimal_seconds() {
        let t0 = 1_793_610_000_000_000_000;
        for (ns, text) in [
            (1_021_000_000, "1.021"),
            (0, "0.0"),
            (27_448_580_000, "27.44858"),
            (1_000, "1e-6"),
            (20_000, "0.00002"),
            (100_000, "0.0001"),
            (1, "1e-9"),
            (86_400_000_000_001, "86400.000000001"),
        ] {
            let mut out = Vec::new();
            JsonText::compact(&mut out).f64(duration_s(t0, t0 + ns));
            assert_eq!(String::from_utf8(out).unwrap(), text, "{ns} ns");
        }
    }

    proptest! {
        #[test]
        fn microsecond_durations_print_as_their_decimal(us in 0u64..1_000_000_000_000, t0 in 0i64..4_000_000_000_000_000_000) {
            // What a reader sees: the decimal of the microseconds, as serde_json writes it.
            let d = duration_s(t0, t0 + us as i64 * 1000);
            let text = serde_json::to_string(&d).unwrap();
            let expected = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
            let parsed: f64 = text.parse().unwrap();
            prop_assert_eq!(parsed, expected.parse::<f64>().unwrap());
        }
    }

    #[test]
    fn client_ssrcs_first() {
        let s = AppSummary::default();
        let ssrcs = [(0, 1), (1, 2), (0, 3), (1, 4)];
        let mut e = evidence_of(&s, &ssrcs);
        e.client_side = 1;
        assert_eq!(e.rtp_ssrcs().collect::<Vec<_>>(), [2, 4, 1, 3]);
        let mut out = Vec::new();
        by_hand(&e, JsonText::compact(&mut out));
        assert_eq!(out, br#"{"rtp_ssrcs":[2,4,1,3]}"#);
    }
}
