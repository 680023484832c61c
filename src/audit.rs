//! Per flow: the observed path of each direction, the expected path, and the findings.
//!
//! Rules are SPEC "How a packet's path is decided", "Expected path of a flow" and "Findings";
//! the domain behind them is CALL-FLOWS.md (Microsoft, "Call flow using ExpressRoute").

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use crate::flow::{FlowKey, FlowState, FlowTable, PointId, Side};
use crate::ingest::{CaptureSummary, DecodeCounters};
use crate::proto::{self, App};
use crate::ranges::{Match, Ranges};
use crate::report::{
    CaptureReport, FlowReport, InterfaceReport, O365Report, ObservedPath, OnpremReport, Pair,
    PathPair, RangesInfo, Severity, SightingReport, SiteInfo, Summary, Tool,
};
use crate::site::{PathName, Site};

/// A finding code of SPEC's table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    AsymmetricRoute,
    ExpressrouteBypassed,
    UnexpectedExpressroute,
    OneSidedFlow,
    MediaOverTcp,
    PathSplit,
    UnknownPath,
}

impl Code {
    pub const ALL: [Code; 7] = [
        Code::AsymmetricRoute,
        Code::ExpressrouteBypassed,
        Code::UnexpectedExpressroute,
        Code::OneSidedFlow,
        Code::MediaOverTcp,
        Code::PathSplit,
        Code::UnknownPath,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::AsymmetricRoute => "asymmetric-route",
            Code::ExpressrouteBypassed => "expressroute-bypassed",
            Code::UnexpectedExpressroute => "unexpected-expressroute",
            Code::OneSidedFlow => "one-sided-flow",
            Code::MediaOverTcp => "media-over-tcp",
            Code::PathSplit => "path-split",
            Code::UnknownPath => "unknown-path",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::AsymmetricRoute | Code::ExpressrouteBypassed | Code::UnexpectedExpressroute => {
                Severity::Error
            }
            Code::OneSidedFlow | Code::MediaOverTcp | Code::PathSplit => Severity::Warning,
            Code::UnknownPath => Severity::Info,
        }
    }
}

/// A set of finding codes, one bit per `Code::ALL` entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Codes(u8);

// One bit per code: a ninth code needs a wider `Codes`.
const _: () = assert!(Code::ALL.len() <= u8::BITS as usize);

impl Codes {
    pub fn contains(self, code: Code) -> bool {
        self.0 & Codes::bit(code) != 0
    }

    fn insert(&mut self, code: Code) {
        self.0 |= Codes::bit(code);
    }

    fn bit(code: Code) -> u8 {
        1 << (code as u8)
    }

    /// The codes in `Code::ALL` order (the report's).
    pub fn iter(self) -> impl Iterator<Item = Code> {
        Code::ALL.into_iter().filter(move |c| self.contains(*c))
    }
}

/// Everything the audit needs besides the flows.
pub struct AuditInput<'a> {
    pub site: &'a Site,
    pub ranges: &'a Ranges,
    pub captures: &'a [CaptureSummary],
}

impl<'a> AuditInput<'a> {
    /// The names a path rule may use for a capture point: the file's LABEL, then the pcapng
    /// interface name.
    fn point_names(&self, point: PointId) -> (Option<&str>, Option<&str>) {
        let Some(c) = self.captures.get(point.file as usize) else {
            return (None, None);
        };
        let iface = c
            .interfaces
            .get(point.interface as usize)
            .and_then(|i| i.name.as_deref());
        (c.spec.label.as_deref(), iface)
    }

    /// How a capture point is shown: (LABEL, else interface name, else file; file; interface).
    pub fn point_display(&self, point: PointId) -> (&'a str, &'a str, Option<&'a str>) {
        let captures: &'a [CaptureSummary] = self.captures;
        let Some(c) = captures.get(point.file as usize) else {
            return ("", "", None);
        };
        let file = c.spec.path.as_str();
        let iface = c
            .interfaces
            .get(point.interface as usize)
            .and_then(|i| i.name.as_deref());
        let shown = c.spec.label.as_deref().or(iface).unwrap_or(file);
        (shown, file, iface)
    }

    /// SPEC rule 2: the capture point (LABEL or interface name) is listed under a path.
    pub fn path_for_point(&self, point: PointId) -> Option<PathName> {
        let (label, iface) = self.point_names(point);
        label
            .and_then(|l| self.site.path_for_capture_point(l))
            .or_else(|| iface.and_then(|i| self.site.path_for_capture_point(i)))
    }
}

fn observed(p: PathName) -> ObservedPath {
    match p {
        PathName::Expressroute => ObservedPath::Expressroute,
        PathName::Internet => ObservedPath::Internet,
        PathName::Local => ObservedPath::Local,
    }
}

/// The facts about one flow that the path rules read.
struct FlowFacts {
    local: bool,
    /// The internal endpoint's address when exactly one endpoint is internal.
    internal_ip: Option<IpAddr>,
}

/// SPEC "How a packet's path is decided", for one sighting of the side sent by `sender`.
fn sighting_path(
    input: &AuditInput<'_>,
    facts: &FlowFacts,
    sender_internal: bool,
    receiver_internal: bool,
    s: &crate::flow::Sighting,
) -> ObservedPath {
    let site = input.site;
    if facts.local {
        return ObservedPath::Local;
    }
    if let Some(p) = input.path_for_point(s.point) {
        return observed(p);
    }
    if let Some(p) = s.ifindex.and_then(|i| site.path_for_ifindex(i)) {
        return observed(p);
    }
    if let Some(p) = s.vlan.and_then(|v| site.path_for_vlan(v)) {
        return observed(p);
    }
    let next_hop = if sender_internal {
        s.dst_mac
    } else if receiver_internal {
        s.src_mac
    } else {
        None
    };
    if let Some(p) = next_hop.and_then(|m| site.path_for_mac(m)) {
        return observed(p);
    }
    if let Some(p) = facts.internal_ip.and_then(|ip| site.path_for_nat(ip)) {
        return observed(p);
    }
    ObservedPath::Unknown
}

/// A direction's path from its sightings: the edge path it was seen on, ignoring `local` and
/// `unknown` sightings when an edge path exists; both edge paths make `split`.
fn direction_path(paths: &[ObservedPath], facts: &FlowFacts) -> Option<ObservedPath> {
    if paths.is_empty() {
        return None;
    }
    if facts.local {
        return Some(ObservedPath::Local);
    }
    let er = paths.contains(&ObservedPath::Expressroute);
    let inet = paths.contains(&ObservedPath::Internet);
    Some(match (er, inet) {
        (true, true) => ObservedPath::Split,
        (true, false) => ObservedPath::Expressroute,
        (false, true) => ObservedPath::Internet,
        // Seen only at local capture points (before NAT) or unattributed: the edge path was
        // not revealed.
        (false, false) => ObservedPath::Unknown,
    })
}

const TCP: u8 = crate::decode::IPPROTO_TCP;

/// What the audit decided about one flow: small, kept for every flow; the report's strings are
/// built from it (and the flow state) only while the report is written.
#[derive(Clone, Copy, Debug)]
pub struct Verdict<'r> {
    pub client_side: u8,
    pub client_internal: bool,
    pub server_internal: bool,
    pub path: PathPair,
    pub expected: Option<PathName>,
    pub o365: Option<Match<'r>>,
    pub app: App,
    codes: Codes,
    /// `asymmetric-route` was found from capture points (no path rule named them).
    asymmetric_by_points: bool,
}

impl Verdict<'_> {
    pub fn has(&self, code: Code) -> bool {
        self.codes.contains(code)
    }

    pub fn codes(&self) -> impl Iterator<Item = Code> {
        self.codes.iter()
    }

    fn local(&self) -> bool {
        self.client_internal && self.server_internal
    }
}

/// The audited run: flows in report order with their verdicts, and the report's header.
/// Flow and finding reports are built one at a time by `flow_report` / `findings_of`, so the
/// report of a million flows is never held in memory at once.
pub struct Audited<'a> {
    input: &'a AuditInput<'a>,
    table: FlowTable,
    /// Table slots in report order.
    order: Vec<u32>,
    verdicts: Vec<Verdict<'a>>,
    pub header: Header,
}

/// Everything in the report before its `flows`.
#[derive(Clone, Debug)]
pub struct Header {
    pub tool: Tool,
    pub ranges: RangesInfo,
    pub site: SiteInfo,
    pub captures: Vec<CaptureReport>,
    pub summary: Summary,
}

impl<'a> Audited<'a> {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Flow `i` in report order.
    fn flow(&self, i: usize) -> Option<(&FlowKey, &FlowState)> {
        let (key, state) = self.table.at(*self.order.get(i)?)?;
        Some((key, state))
    }

    pub fn verdict(&self, i: usize) -> Option<&Verdict<'a>> {
        self.verdicts.get(i)
    }

    /// Total bytes of flow `i` (both directions), for ranking.
    pub fn bytes(&self, i: usize) -> u64 {
        self.flow(i)
            .map_or(0, |(_, s)| s.sides.iter().map(|d| d.bytes).sum())
    }

    /// The report of flow `i` (0-based; its `id` is `i + 1`).
    pub fn flow_report(&self, i: usize) -> Option<FlowReport<'_>> {
        let (key, state) = self.flow(i)?;
        let v = self.verdicts.get(i)?;
        Some(flow_report(self.input, i as u64 + 1, key, state, v))
    }

    /// The findings of flow `i`, in `Code::ALL` order.
    pub fn findings_of(&self, i: usize) -> impl Iterator<Item = Finding<'_>> {
        let flow = self.flow(i).zip(self.verdicts.get(i));
        flow.into_iter().flat_map(move |((key, state), verdict)| {
            verdict.codes().map(move |code| Finding {
                code,
                flow: i as u64 + 1,
                input: self.input,
                key,
                state,
                verdict,
            })
        })
    }

    pub fn flow_reports(&self) -> impl Iterator<Item = FlowReport<'_>> {
        (0..self.len()).filter_map(|i| self.flow_report(i))
    }

    pub fn findings(&self) -> impl Iterator<Item = Finding<'_>> {
        (0..self.len()).flat_map(|i| self.findings_of(i))
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.codes().any(|c| fails(c.severity(), fail_on)))
    }
}

/// One finding of one flow. Its message is written on demand (`write_message`): the JSON
/// writers escape it straight into their output, with no `String` per finding.
#[derive(Clone, Copy)]
pub struct Finding<'x> {
    pub code: Code,
    /// The flow's `id`.
    pub flow: u64,
    input: &'x AuditInput<'x>,
    key: &'x FlowKey,
    state: &'x FlowState,
    verdict: &'x Verdict<'x>,
}

impl Finding<'_> {
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The message: which flow, which direction, which path, which endpoint set.
    pub fn write_message<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        write_message(w, self.input, self.key, self.state, self.verdict, self.code)
    }

    pub fn message(&self) -> String {
        let mut text = String::new();
        // Writing into a `String` cannot fail.
        let _ = self.write_message(&mut text);
        text
    }
}

/// Audits every flow: sorted by first packet then key, numbered from 1.
pub fn audit<'a>(input: &'a AuditInput<'a>, table: FlowTable) -> Audited<'a> {
    use rayon::prelude::*;
    let order = table.slots_by_first_packet();
    // Within the caller's thread pool (--threads); the order of `collect` is the input's.
    let verdicts: Vec<Verdict<'a>> = order
        .par_iter()
        .filter_map(|&i| table.at(i).map(|(k, s)| verdict(input, k, s)))
        .collect();
    let mut finding_counts = BTreeMap::new();
    let mut apps = BTreeMap::new();
    for v in &verdicts {
        for c in v.codes() {
            *finding_counts.entry(c.as_str()).or_insert(0) += 1;
        }
        *apps.entry(v.app.as_str()).or_insert(0) += 1;
    }
    let summary = Summary {
        flows: order.len(),
        packets: input.captures.iter().map(|c| c.packets).sum(),
        findings: finding_counts,
        apps,
        warnings: input.captures.iter().map(|c| c.warnings_total).sum(),
        errors: input.captures.iter().map(|c| c.errors.len()).sum(),
    };
    let header = Header {
        tool: Tool {
            name: "callpath",
            version: env!("CARGO_PKG_VERSION"),
        },
        ranges: RangesInfo {
            source: input.ranges.source().to_string(),
            instance: input.ranges.instance().as_str().to_string(),
            as_of: input.ranges.as_of().map(str::to_string),
        },
        site: SiteInfo {
            name: input.site.name.clone(),
        },
        captures: capture_reports(input),
        summary,
    };
    Audited {
        input,
        table,
        order,
        verdicts,
        header,
    }
}

fn capture_reports(input: &AuditInput<'_>) -> Vec<CaptureReport> {
    input
        .captures
        .iter()
        .enumerate()
        .map(|(fi, c)| CaptureReport {
            path: c.spec.path.clone(),
            label: c.spec.label.clone(),
            format: c.format.map(|f| f.as_str()),
            packets: c.packets,
            interfaces: c
                .interfaces
                .iter()
                .enumerate()
                .map(|(ii, iface)| InterfaceReport {
                    name: iface.name.clone(),
                    linktype: iface.linktype,
                    path: input
                        .path_for_point(PointId {
                            file: fi as u32,
                            interface: ii as u32,
                        })
                        .map(PathName::as_str),
                    packets: c.interface_packets.get(ii).copied().unwrap_or(0),
                })
                .collect(),
            decode: c.counters.clone(),
            warnings: c.warnings.clone(),
            errors: c.errors.clone(),
        })
        .collect()
}

/// The client's side, then (forward, reverse) sides.
fn oriented(state: &FlowState) -> (u8, &Side, &Side) {
    let client_side = state.client_side();
    let [side0, side1] = &state.sides;
    if client_side == 0 {
        (0, side0, side1)
    } else {
        (1, side1, side0)
    }
}

fn facts(v: &Verdict<'_>, key: &FlowKey) -> FlowFacts {
    let client = key.sender(v.client_side);
    let server = key.sender(1 - v.client_side);
    FlowFacts {
        local: v.local(),
        internal_ip: match (v.client_internal, v.server_internal) {
            (true, false) => Some(client.ip),
            (false, true) => Some(server.ip),
            _ => None,
        },
    }
}

fn edge(p: Option<ObservedPath>) -> bool {
    matches!(p, Some(ObservedPath::Expressroute | ObservedPath::Internet))
}

/// Capture points a side was seen at.
fn points(side: &Side) -> impl Iterator<Item = PointId> + '_ {
    side.sightings.iter().map(|s| s.point)
}

fn verdict<'a>(input: &'a AuditInput<'a>, key: &FlowKey, state: &FlowState) -> Verdict<'a> {
    let (client_side, fwd, rev) = oriented(state);
    let client = key.sender(client_side);
    let server = key.sender(1 - client_side);
    let site = input.site;
    let client_internal = stays_inside(site, client.ip);
    let server_internal = stays_inside(site, server.ip);
    let transport = proto::Transport::of_protocol(key.protocol);
    // The Office 365 endpoint is the external one; the server's port is what the endpoint
    // sets list (worldwide set 11: UDP 3478-3481, set 12: TCP 443).
    let o365 = match (client_internal, server_internal) {
        (true, true) => None,
        (true, false) => input.ranges.lookup(server.ip, transport, server.port),
        (false, true) => input.ranges.lookup(client.ip, transport, server.port),
        (false, false) => input
            .ranges
            .lookup(server.ip, transport, server.port)
            .or_else(|| input.ranges.lookup(client.ip, transport, server.port)),
    };
    let local = client_internal && server_internal;
    let expected = if local {
        Some(PathName::Local)
    } else if client_internal || server_internal {
        match &o365 {
            Some(m) if m.express_route && site.expressroute => Some(PathName::Expressroute),
            _ => Some(PathName::Internet),
        }
    } else {
        None
    };
    let mut v = Verdict {
        client_side,
        client_internal,
        server_internal,
        path: PathPair {
            forward: None,
            reverse: None,
        },
        expected,
        o365,
        app: state.app.app(),
        codes: Codes::default(),
        asymmetric_by_points: false,
    };
    let f = facts(&v, key);
    let side_path = |side: &Side, sender_internal: bool, receiver_internal: bool| {
        let mut paths = [ObservedPath::Unknown; crate::flow::MAX_SIGHTINGS_PER_SIDE];
        let mut n = 0;
        for (slot, s) in paths.iter_mut().zip(&side.sightings) {
            *slot = sighting_path(input, &f, sender_internal, receiver_internal, s);
            n += 1;
        }
        direction_path(paths.get(..n).unwrap_or_default(), &f)
    };
    v.path = PathPair {
        forward: side_path(fwd, client_internal, server_internal),
        reverse: side_path(rev, server_internal, client_internal),
    };
    let crossing_edge = client_internal != server_internal;
    let (pf, pr) = (v.path.forward, v.path.reverse);
    let mut codes = Codes::default();
    if edge(pf) && edge(pr) && pf != pr {
        codes.insert(Code::AsymmetricRoute);
    } else if !local && fwd.packets > 0 && rev.packets > 0 && !edge(pf) && !edge(pr) {
        let only_fwd = points(fwd).any(|p| !points(rev).any(|q| q == p));
        let only_rev = points(rev).any(|p| !points(fwd).any(|q| q == p));
        if only_fwd && only_rev {
            codes.insert(Code::AsymmetricRoute);
            v.asymmetric_by_points = true;
        }
    }
    if expected == Some(PathName::Expressroute)
        && (pf == Some(ObservedPath::Internet) || pr == Some(ObservedPath::Internet))
    {
        codes.insert(Code::ExpressrouteBypassed);
    }
    if expected == Some(PathName::Internet)
        && (pf == Some(ObservedPath::Expressroute) || pr == Some(ObservedPath::Expressroute))
    {
        codes.insert(Code::UnexpectedExpressroute);
    }
    if crossing_edge && rev.packets == 0 && one_sided_evidence(key.protocol, fwd) {
        codes.insert(Code::OneSidedFlow);
    }
    if key.protocol == TCP && matches!(v.app, App::Rtp | App::Rtcp | App::Stun) {
        codes.insert(Code::MediaOverTcp);
    }
    if pf == Some(ObservedPath::Split) || pr == Some(ObservedPath::Split) {
        codes.insert(Code::PathSplit);
    }
    if crossing_edge && (pf == Some(ObservedPath::Unknown) || pr == Some(ObservedPath::Unknown)) {
        codes.insert(Code::UnknownPath);
    }
    v.codes = codes;
    v
}

/// Writes `parts` one after the other.
fn write_parts<W: fmt::Write>(w: &mut W, parts: &[&str]) -> fmt::Result {
    parts.iter().try_for_each(|p| w.write_str(p))
}

fn write_u64<W: fmt::Write>(w: &mut W, n: u64) -> fmt::Result {
    w.write_str(itoa::Buffer::new().format(n))
}

/// The capture points a side was seen at, sorted, each once, separated by `, `.
fn write_point_names<W: fmt::Write>(w: &mut W, input: &AuditInput<'_>, side: &Side) -> fmt::Result {
    let mut names = [""; crate::flow::MAX_SIGHTINGS_PER_SIDE];
    let mut n = 0;
    for (slot, p) in names.iter_mut().zip(points(side)) {
        *slot = input.point_display(p).0;
        n += 1;
    }
    let names = names.get_mut(..n).unwrap_or_default();
    names.sort_unstable();
    let mut previous = None;
    for &name in names.iter() {
        if previous == Some(name) {
            continue;
        }
        if previous.is_some() {
            w.write_str(", ")?;
        }
        w.write_str(name)?;
        previous = Some(name);
    }
    Ok(())
}

/// The message of one finding: which flow, which direction, which path, which endpoint set.
/// Written in pieces with no intermediate `String`: the JSON report writes one per finding.
fn write_message<W: fmt::Write>(
    w: &mut W,
    input: &AuditInput<'_>,
    key: &FlowKey,
    state: &FlowState,
    v: &Verdict<'_>,
    code: Code,
) -> fmt::Result {
    // Only two messages need the flow's state: most are written from the key and verdict
    // alone, so the findings pass need not load every flow's state again.
    let sides = || oriented(state);
    let client = key.sender(v.client_side);
    let server = key.sender(1 - v.client_side);
    let describe = |p: Option<ObservedPath>| p.map_or("nowhere", ObservedPath::as_str);

    // The flow: `udp 10.0.0.1:50000 -> 52.112.0.1:3478 (Office 365 endpoint set ...)`.
    w.write_str(if key.protocol == TCP { "tcp " } else { "udp " })?;
    crate::report::write_ip(w, client.ip)?;
    w.write_str(":")?;
    write_u64(w, u64::from(client.port))?;
    w.write_str(" -> ")?;
    crate::report::write_ip(w, server.ip)?;
    w.write_str(":")?;
    write_u64(w, u64::from(server.port))?;
    if let Some(m) = &v.o365 {
        w.write_str(" (Office 365 endpoint set ")?;
        write_u64(w, u64::from(m.id))?;
        write_parts(w, &[", ", m.service_area, " ", m.category.as_str(), ")"])?;
    }
    w.write_str(": ")?;

    let (pf, pr) = (v.path.forward, v.path.reverse);
    let first_dir = |wanted: ObservedPath| {
        if pf == Some(wanted) {
            "forward"
        } else {
            "reverse"
        }
    };
    match code {
        Code::AsymmetricRoute if v.asymmetric_by_points => {
            let (_, fwd, rev) = sides();
            w.write_str("forward seen at ")?;
            write_point_names(w, input, fwd)?;
            w.write_str(", reverse seen at ")?;
            write_point_names(w, input, rev)?;
            w.write_str("; the directions took different capture points")
        }
        Code::AsymmetricRoute => write_parts(
            w,
            &[
                "forward over ",
                describe(pf),
                ", reverse over ",
                describe(pr),
                "; a stateful firewall on either path sees only half of the flow",
            ],
        ),
        Code::ExpressrouteBypassed => write_parts(
            w,
            &[
                "expected over expressroute, but the ",
                first_dir(ObservedPath::Internet),
                " direction went over internet",
            ],
        ),
        Code::UnexpectedExpressroute => {
            let why = if v.o365.is_some() {
                "its endpoint set is not routed over ExpressRoute"
            } else if input.site.expressroute {
                "the remote address is not in an ExpressRoute-routed Office 365 endpoint set"
            } else {
                "the site profile says the site has no ExpressRoute"
            };
            write_parts(
                w,
                &[
                    "the ",
                    first_dir(ObservedPath::Expressroute),
                    " direction went over expressroute, but ",
                    why,
                ],
            )
        }
        Code::OneSidedFlow => {
            let (_, fwd, _) = sides();
            write!(
                w,
                "{} packets sent over {:.1} s, no reply seen at any capture point",
                fwd.packets,
                (fwd.last_ns - fwd.first_ns) as f64 / 1e9
            )
        }
        Code::MediaOverTcp => write_parts(
            w,
            &[
                v.app.as_str(),
                " carried over TCP; open UDP 3478-3481 to Office 365 so media uses UDP",
            ],
        ),
        Code::PathSplit => write_parts(
            w,
            &[
                "the ",
                first_dir(ObservedPath::Split),
                " direction was seen on both expressroute and internet",
            ],
        ),
        Code::UnknownPath => write_parts(
            w,
            &[
                "path not determined (forward ",
                describe(pf),
                ", reverse ",
                describe(pr),
                "); add a [[path]] rule for its capture point, VLAN or next-hop MAC",
            ],
        ),
    }
}

fn flow_report<'a>(
    input: &'a AuditInput<'a>,
    id: u64,
    key: &FlowKey,
    state: &'a FlowState,
    v: &Verdict<'a>,
) -> FlowReport<'a> {
    let (client_side, fwd, rev) = oriented(state);
    let client = key.sender(client_side);
    let server = key.sender(1 - client_side);
    let f = facts(v, key);
    let sightings = |side: &Side, sender_internal: bool, receiver_internal: bool| {
        side.sightings
            .iter()
            .map(|s| {
                let (capture_point, file, interface) = input.point_display(s.point);
                SightingReport {
                    capture_point,
                    file,
                    interface,
                    ifindex: s.ifindex,
                    vlan: s.vlan,
                    src_mac: s.src_mac,
                    dst_mac: s.dst_mac,
                    packet_type: s.sll_packet_type.map(crate::report::sll_packet_type_name),
                    path: sighting_path(input, &f, sender_internal, receiver_internal, s),
                    packets: s.packets,
                }
            })
            .collect()
    };
    let site = input.site;
    FlowReport {
        id,
        transport: if key.protocol == TCP { "tcp" } else { "udp" },
        client,
        server,
        app: v.app,
        o365: v.o365.map(|m| O365Report {
            id: m.id,
            service_area: m.service_area,
            category: m.category.as_str(),
            express_route: m.express_route,
        }),
        onprem: site
            .server_role(server.ip)
            .map(|role| OnpremReport {
                end: "server",
                role,
            })
            .or_else(|| {
                site.server_role(client.ip).map(|role| OnpremReport {
                    end: "client",
                    role,
                })
            }),
        path: v.path,
        expected_path: v.expected.map(PathName::as_str),
        packets: Pair {
            forward: fwd.packets,
            reverse: rev.packets,
        },
        bytes: Pair {
            forward: fwd.bytes,
            reverse: rev.bytes,
        },
        first_ns: state.first_ns(),
        last_ns: state.last_ns(),
        findings: v.codes,
        tcp_flags: (key.protocol == TCP).then_some(Pair {
            forward: fwd.tcp_seen,
            reverse: rev.tcp_seen,
        }),
        seen_at: Pair {
            forward: sightings(fwd, v.client_internal, v.server_internal),
            reverse: sightings(rev, v.server_internal, v.client_internal),
        },
        fragments: state.fragments,
        proto: state.app.evidence(client_side),
    }
}

/// Internal per the site profile, or an address that never leaves the site: multicast, the
/// limited broadcast (RFC 919) and the unspecified address (DHCP, mDNS, SSDP, ...).
fn stays_inside(site: &Site, ip: IpAddr) -> bool {
    site.is_internal(ip)
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip == IpAddr::V4(std::net::Ipv4Addr::BROADCAST)
}

/// SPEC `one-sided-flow`: TCP, a SYN and its retries (or any two segments) with no reply; UDP,
/// several packets over seconds with no reply. A single packet proves nothing.
fn one_sided_evidence(protocol: u8, fwd: &Side) -> bool {
    if protocol == TCP {
        fwd.packets >= 2
    } else {
        fwd.packets >= 3 && fwd.last_ns - fwd.first_ns >= 1_000_000_000
    }
}

/// Packets seen, for the `text` report of decode problems.
pub fn total_counters(captures: &[CaptureSummary]) -> DecodeCounters {
    DecodeCounters::merged(captures.iter().map(|c| &c.counters))
}

/// Whether a finding of `severity` makes the run fail at `--fail-on`.
pub fn fails(severity: Severity, fail_on: Option<Severity>) -> bool {
    fail_on.is_some_and(|threshold| severity >= threshold)
}
