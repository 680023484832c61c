//! Per flow: the observed path of each direction, the expected path, and the findings.
//!
//! Rules are SPEC "How a packet's path is decided", "Expected path of a flow" and "Findings";
//! the domain behind them is CALL-FLOWS.md (Microsoft, "Call flow using ExpressRoute").

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::flow::{FlowKey, FlowState, FlowTable, PointId, Side};
use crate::ingest::{CaptureSummary, DecodeCounters};
use crate::proto::{self, App};
use crate::ranges::Ranges;
use crate::report::{
    mac_text, time, CaptureReport, EndpointReport, Finding, FlowReport, InterfaceReport,
    O365Report, ObservedPath, OnpremReport, Pair, PathPair, RangesInfo, Report, Severity,
    SightingReport, SiteInfo, Summary, Tool,
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

/// Everything the audit needs besides the flows.
pub struct AuditInput<'a> {
    pub site: &'a Site,
    pub ranges: &'a Ranges,
    pub captures: &'a [CaptureSummary],
}

impl AuditInput<'_> {
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
    pub fn point_display(&self, point: PointId) -> (String, String, Option<String>) {
        let file = self
            .captures
            .get(point.file as usize)
            .map(|c| c.spec.path.clone())
            .unwrap_or_default();
        let (label, iface) = self.point_names(point);
        let shown = label
            .or(iface)
            .map(str::to_string)
            .unwrap_or_else(|| file.clone());
        (shown, file, iface.map(str::to_string))
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

/// Builds the report: flows sorted by first packet then key, numbered from 1.
pub fn audit(input: &AuditInput<'_>, table: FlowTable) -> Report {
    let mut flows: Vec<(FlowKey, FlowState)> = table.into_flows().collect();
    flows.sort_by(|(ka, a), (kb, b)| first_ns(a).cmp(&first_ns(b)).then(ka.cmp(kb)));
    let mut reports = Vec::with_capacity(flows.len());
    let mut findings = Vec::new();
    for (i, (key, state)) in flows.iter().enumerate() {
        let id = i as u64 + 1;
        let (flow, mut f) = audit_flow(input, id, key, state);
        findings.append(&mut f);
        reports.push(flow);
    }
    let captures = capture_reports(input);
    let mut finding_counts = BTreeMap::new();
    for f in &findings {
        *finding_counts.entry(f.code).or_insert(0) += 1;
    }
    let mut apps = BTreeMap::new();
    for f in &reports {
        *apps.entry(f.app.as_str()).or_insert(0) += 1;
    }
    let summary = Summary {
        flows: reports.len(),
        packets: input.captures.iter().map(|c| c.packets).sum(),
        findings: finding_counts,
        apps,
        warnings: input.captures.iter().map(|c| c.warnings_total).sum(),
        errors: input.captures.iter().map(|c| c.errors.len()).sum(),
    };
    Report {
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
        captures,
        summary,
        flows: reports,
        findings,
    }
}

fn first_ns(s: &FlowState) -> i64 {
    s.sides
        .iter()
        .filter(|d| d.packets > 0)
        .map(|d| d.first_ns)
        .min()
        .unwrap_or(0)
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

fn flags_text(seen: u8) -> Vec<&'static str> {
    use crate::flow::seen;
    let mut v = Vec::new();
    for (bit, name) in [
        (seen::SYN, "syn"),
        (seen::SYN_ACK, "syn-ack"),
        (seen::FIN, "fin"),
        (seen::RST, "rst"),
    ] {
        if seen & bit != 0 {
            v.push(name);
        }
    }
    v
}

fn audit_flow(
    input: &AuditInput<'_>,
    id: u64,
    key: &FlowKey,
    state: &FlowState,
) -> (FlowReport, Vec<Finding>) {
    let client_side = state.client_side();
    let server_side = 1 - client_side;
    let client = key.sender(client_side);
    let server = key.sender(server_side);
    let [side0, side1] = &state.sides;
    let (fwd, rev): (&Side, &Side) = if client_side == 0 {
        (side0, side1)
    } else {
        (side1, side0)
    };
    let site = input.site;
    let client_internal = stays_inside(site, client.ip);
    let server_internal = stays_inside(site, server.ip);
    let facts = FlowFacts {
        local: client_internal && server_internal,
        internal_ip: match (client_internal, server_internal) {
            (true, false) => Some(client.ip),
            (false, true) => Some(server.ip),
            _ => None,
        },
    };
    let transport = if key.protocol == TCP {
        proto::Transport::Tcp
    } else {
        proto::Transport::Udp
    };
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
    let expected = if facts.local {
        Some(PathName::Local)
    } else if client_internal || server_internal {
        match &o365 {
            Some(m) if m.express_route && site.expressroute => Some(PathName::Expressroute),
            _ => Some(PathName::Internet),
        }
    } else {
        None
    };

    let mut seen_at = Pair {
        forward: Vec::new(),
        reverse: Vec::new(),
    };
    let mut paths = Pair {
        forward: Vec::new(),
        reverse: Vec::new(),
    };
    for (side, sender_internal, receiver_internal, out, ps) in [
        (
            fwd,
            client_internal,
            server_internal,
            &mut seen_at.forward,
            &mut paths.forward,
        ),
        (
            rev,
            server_internal,
            client_internal,
            &mut seen_at.reverse,
            &mut paths.reverse,
        ),
    ] {
        for s in &side.sightings {
            let p = sighting_path(input, &facts, sender_internal, receiver_internal, s);
            ps.push(p);
            let (capture_point, file, interface) = input.point_display(s.point);
            out.push(SightingReport {
                capture_point,
                file,
                interface,
                ifindex: s.ifindex,
                vlan: s.vlan,
                src_mac: s.src_mac.map(mac_text),
                dst_mac: s.dst_mac.map(mac_text),
                path: p,
                packets: s.packets,
            });
        }
    }
    let path = PathPair {
        forward: direction_path(&paths.forward, &facts),
        reverse: direction_path(&paths.reverse, &facts),
    };
    let summary = state.app.summary(client_side);
    let crossing_edge = client_internal != server_internal;

    let mut codes: Vec<(Code, String)> = Vec::new();
    let edge = |p: Option<ObservedPath>| {
        matches!(p, Some(ObservedPath::Expressroute | ObservedPath::Internet))
    };
    let describe = |p: Option<ObservedPath>| p.map_or("nowhere", ObservedPath::as_str);
    let set_text = o365
        .as_ref()
        .map(|m| {
            format!(
                " (Office 365 endpoint set {}, {} {})",
                m.id, m.service_area, m.category
            )
        })
        .unwrap_or_default();
    let flow_text = format!(
        "{} {}:{} -> {}:{}",
        if key.protocol == TCP { "tcp" } else { "udp" },
        client.ip,
        client.port,
        server.ip,
        server.port
    );

    // asymmetric-route: the two directions on different edge paths; where no path rule names
    // the capture points, each direction seen at a capture point the other never was.
    if edge(path.forward) && edge(path.reverse) && path.forward != path.reverse {
        codes.push((
            Code::AsymmetricRoute,
            format!(
                "{flow_text}{set_text}: forward over {}, reverse over {}; a stateful firewall on either path sees only half of the flow",
                describe(path.forward),
                describe(path.reverse)
            ),
        ));
    } else if !facts.local
        && fwd.packets > 0
        && rev.packets > 0
        && !edge(path.forward)
        && !edge(path.reverse)
    {
        let fwd_points: Vec<PointId> = fwd.sightings.iter().map(|s| s.point).collect();
        let rev_points: Vec<PointId> = rev.sightings.iter().map(|s| s.point).collect();
        let only_fwd = fwd_points.iter().any(|p| !rev_points.contains(p));
        let only_rev = rev_points.iter().any(|p| !fwd_points.contains(p));
        if only_fwd && only_rev {
            let names = |ps: &[PointId]| {
                let mut v: Vec<String> = ps.iter().map(|p| input.point_display(*p).0).collect();
                v.sort();
                v.dedup();
                v.join(", ")
            };
            codes.push((
                Code::AsymmetricRoute,
                format!(
                    "{flow_text}{set_text}: forward seen at {}, reverse seen at {}; the directions took different capture points",
                    names(&fwd_points),
                    names(&rev_points)
                ),
            ));
        }
    }
    if expected == Some(PathName::Expressroute) {
        for (dir, p) in [("forward", path.forward), ("reverse", path.reverse)] {
            if p == Some(ObservedPath::Internet) {
                codes.push((
                    Code::ExpressrouteBypassed,
                    format!(
                        "{flow_text}{set_text}: expected over expressroute, but the {dir} direction went over internet"
                    ),
                ));
                break;
            }
        }
    }
    if expected == Some(PathName::Internet) {
        for (dir, p) in [("forward", path.forward), ("reverse", path.reverse)] {
            if p == Some(ObservedPath::Expressroute) {
                let why = if o365.is_some() {
                    "its endpoint set is not routed over ExpressRoute"
                } else if site.expressroute {
                    "the remote address is not in an ExpressRoute-routed Office 365 endpoint set"
                } else {
                    "the site profile says the site has no ExpressRoute"
                };
                codes.push((
                    Code::UnexpectedExpressroute,
                    format!(
                        "{flow_text}{set_text}: the {dir} direction went over expressroute, but {why}"
                    ),
                ));
                break;
            }
        }
    }
    if crossing_edge && rev.packets == 0 && one_sided_evidence(key.protocol, fwd) {
        codes.push((
            Code::OneSidedFlow,
            format!(
                "{flow_text}{set_text}: {} packets sent over {:.1} s, no reply seen at any capture point",
                fwd.packets,
                (fwd.last_ns - fwd.first_ns) as f64 / 1e9
            ),
        ));
    }
    if key.protocol == TCP && matches!(summary.app, App::Rtp | App::Rtcp | App::Stun) {
        codes.push((
            Code::MediaOverTcp,
            format!(
                "{flow_text}{set_text}: {} carried over TCP; open UDP 3478-3481 to Office 365 so media uses UDP",
                summary.app.as_str()
            ),
        ));
    }
    for (dir, p) in [("forward", path.forward), ("reverse", path.reverse)] {
        if p == Some(ObservedPath::Split) {
            codes.push((
                Code::PathSplit,
                format!(
                    "{flow_text}{set_text}: the {dir} direction was seen on both expressroute and internet"
                ),
            ));
        }
    }
    if crossing_edge
        && (path.forward == Some(ObservedPath::Unknown)
            || path.reverse == Some(ObservedPath::Unknown))
    {
        codes.push((
            Code::UnknownPath,
            format!(
                "{flow_text}{set_text}: path not determined (forward {}, reverse {}); add a [[path]] rule for its capture point, VLAN or next-hop MAC",
                describe(path.forward),
                describe(path.reverse)
            ),
        ));
    }

    let findings: Vec<Finding> = codes
        .iter()
        .map(|(code, message)| Finding {
            code: code.as_str(),
            severity: code.severity(),
            flow: id,
            message: message.clone(),
        })
        .collect();
    let mut flow_codes: Vec<&'static str> = codes.iter().map(|(c, _)| c.as_str()).collect();
    flow_codes.dedup();
    let first = first_ns(state);
    let last = state
        .sides
        .iter()
        .filter(|d| d.packets > 0)
        .map(|d| d.last_ns)
        .max()
        .unwrap_or(0);
    let report = FlowReport {
        id,
        transport: if key.protocol == TCP { "tcp" } else { "udp" },
        client: EndpointReport {
            ip: client.ip.to_string(),
            port: client.port,
        },
        server: EndpointReport {
            ip: server.ip.to_string(),
            port: server.port,
        },
        app: summary.app,
        sni: summary.sni.clone(),
        o365: o365.map(|m| O365Report {
            id: m.id,
            service_area: m.service_area.to_string(),
            category: m.category.to_string(),
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
        path,
        expected_path: expected.map(PathName::as_str),
        packets: Pair {
            forward: fwd.packets,
            reverse: rev.packets,
        },
        bytes: Pair {
            forward: fwd.bytes,
            reverse: rev.bytes,
        },
        first_seen: time::rfc3339(first),
        last_seen: time::rfc3339(last),
        findings: flow_codes,
        tcp_flags: (key.protocol == TCP).then(|| Pair {
            forward: flags_text(fwd.tcp_seen),
            reverse: flags_text(rev.tcp_seen),
        }),
        seen_at,
        fragments: state.fragments,
        proto: summary,
    };
    (report, findings)
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
