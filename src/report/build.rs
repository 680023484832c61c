//! The report model from the audit's results: the header (tool, ranges, site, captures,
//! summary) once, the calls listed (those with a selected flow), and each flow's report when a
//! writer asks for it.

use std::collections::BTreeMap;

use super::model::{
    CallsSummary, CaptureLinkReport, CaptureReport, Counts, FlowReport, Header, InterfaceReport,
    O365Report, OnpremReport, RangesInfo, SelectionReport, SightingReport, SiteInfo, Summary, Tool,
};
use crate::audit::{
    Audited, AuditedFlow, Call, CallVerdict, Direction, Finding, Pair, SeenAt, Selection, Severity,
    UseCase,
};
use crate::decode::Transport;
use crate::flow::CommunityId;
use crate::site::PathName;

/// A report ready to be written: the audit's results and the header built from them.
pub struct Report<'a> {
    pub audited: &'a Audited<'a>,
    pub header: Header<'a>,
    /// The calls in the report, by id: every call, or with a selection those with at least
    /// one selected flow (SPEC "Calls").
    pub calls: Vec<&'a Call>,
    /// Flows the text report lists per finding code, and calls it lists (`--limit`; `None`:
    /// all).
    pub limit: Option<usize>,
}

/// Flows the text report lists per finding code unless told otherwise.
pub const DEFAULT_LIMIT: usize = 20;

/// Builds the report of an audited run.
pub fn build<'a>(audited: &'a Audited<'a>) -> Report<'a> {
    let ranges = audited.ranges();
    let calls = listed_calls(audited);
    let header = Header {
        tool: Tool {
            name: "callpath",
            version: env!("CARGO_PKG_VERSION"),
        },
        ranges: RangesInfo {
            source: ranges.source(),
            instance: ranges.instance().as_str(),
            as_of: ranges.as_of(),
            file: ranges.file(),
            version: ranges.version(),
            warnings: ranges_staleness(audited).into_iter().collect(),
        },
        site: site_info(audited),
        selection: audited.selection().map(|s| selection_report(audited, s)),
        captures: capture_reports(audited),
        capture_links: capture_links(audited),
        summary: summary(audited, &calls),
    };
    Report {
        audited,
        header,
        calls,
        limit: Some(DEFAULT_LIMIT),
    }
}

/// Days a capture may be newer than the ranges snapshot before the report warns (SPEC "Office
/// 365 ranges over time"): Microsoft changes the endpoints about monthly.
pub const STALE_AFTER_DAYS: i64 = 60;

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (the civil-from-days inverse, H. Hinnant).
fn days_of(date: &str) -> Option<i64> {
    let mut parts = date.splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A warning when the capture's last packet is more than `STALE_AFTER_DAYS` after the
/// snapshot's date, with the command that fixes it.
fn ranges_staleness(audited: &Audited<'_>) -> Option<String> {
    let snapshot = audited.ranges().as_of()?;
    let snapshot_day = days_of(snapshot)?;
    let last_ns = (0..audited.len())
        .filter_map(|i| audited.flow(i))
        .map(|f| f.state.last_ns())
        .max()?;
    let capture_day = last_ns.div_euclid(86_400_000_000_000);
    let days = capture_day - snapshot_day;
    (days > STALE_AFTER_DAYS).then(|| {
        format!(
            "the Office 365 ranges in use ({} snapshot of {snapshot}) are {days} days older than \
             the capture: verdicts may be wrong where Microsoft changed its endpoints since; run \
             `callpath ranges update` (or pass a current --ranges FILE)",
            audited.ranges().source()
        )
    })
}

/// The calls the report lists: all of them; with a selection, those with a selected flow.
fn listed_calls<'a>(audited: &'a Audited<'a>) -> Vec<&'a Call> {
    let calls = audited.calls();
    if audited.selection().is_none() || calls.is_empty() {
        return calls.iter().collect();
    }
    let selected: std::collections::HashSet<u64> = (0..audited.len())
        .filter_map(|i| audited.flow(i))
        .map(|f| f.id)
        .collect();
    calls
        .iter()
        .filter(|c| c.flows.iter().any(|id| selected.contains(id)))
        .collect()
}

/// The listed calls counted per use case and per verdict, every key present.
fn calls_summary(calls: &[&Call]) -> CallsSummary {
    let by_use_case = UseCase::ALL
        .iter()
        .map(|&u| (u.as_str(), calls.iter().filter(|c| c.use_case == u).count()))
        .collect();
    let verdicts: Vec<CallVerdict> = calls.iter().map(|c| c.verdict()).collect();
    let by_verdict = CallVerdict::ALL
        .iter()
        .map(|&v| (v.as_str(), verdicts.iter().filter(|&&x| x == v).count()))
        .collect();
    CallsSummary {
        total: calls.len(),
        by_use_case: Counts(by_use_case),
        by_verdict: Counts(by_verdict),
    }
}

fn selection_report(audited: &Audited<'_>, s: &Selection) -> SelectionReport {
    SelectionReport {
        app: s.apps.iter().map(|a| a.as_str()).collect(),
        finding: s.codes.iter().map(|c| c.as_str()).collect(),
        net: s.nets.iter().map(ToString::to_string).collect(),
        set: s.sets.clone(),
        since: s.since_ns.map(super::time::rfc3339),
        until: s.until_ns.map(super::time::rfc3339),
        flows: audited.len(),
        flows_total: audited.total(),
    }
}

/// The site: its name, its profile file and the profile's warnings in words.
fn site_info<'a>(audited: &Audited<'a>) -> SiteInfo<'a> {
    let site = audited.site();
    let profile = site.profile.as_deref();
    SiteInfo {
        name: site.name.as_deref(),
        profile,
        warnings: profile.map_or_else(Vec::new, |file| {
            audited
                .profile_warnings()
                .iter()
                .map(|w| super::message::profile_warning(w, file))
                .collect()
        }),
    }
}

fn summary(audited: &Audited<'_>, calls: &[&Call]) -> Summary {
    let mut findings = BTreeMap::new();
    let mut apps = BTreeMap::new();
    for v in audited.verdicts() {
        for c in v.codes() {
            *findings.entry(c.as_str()).or_insert(0) += 1;
        }
        *apps.entry(v.app.as_str()).or_insert(0) += 1;
    }
    let captures = audited.captures();
    Summary {
        flows: audited.len(),
        packets: captures.iter().map(|c| c.packets).sum(),
        findings,
        apps,
        warnings: captures.iter().map(|c| c.warnings_total).sum(),
        errors: captures.iter().map(|c| c.errors.len()).sum(),
        calls: calls_summary(calls),
    }
}

/// The capture points that saw the same packets, named as the report names them.
fn capture_links<'a>(audited: &Audited<'a>) -> Vec<CaptureLinkReport<'a>> {
    audited
        .correlation()
        .links
        .iter()
        .map(|l| CaptureLinkReport {
            a: audited.point_name(l.a).shown,
            b: audited.point_name(l.b).shown,
            flows: l.flows,
            packets: l.packets,
            one_way_transit_ms: l.transit_ns.map(|ns| ns as f64 / 1e6),
        })
        .collect()
}

fn capture_reports<'a>(audited: &Audited<'a>) -> Vec<CaptureReport<'a>> {
    audited
        .captures()
        .iter()
        .map(|c| CaptureReport {
            path: c.path,
            label: c.label,
            format: c.format,
            compression: c.compression,
            packets: c.packets,
            clock_offset_ms: c.clock_offset_ns.map(|ns| ns as f64 / 1e6),
            interfaces: c
                .interfaces
                .iter()
                .map(|i| InterfaceReport {
                    name: i.name,
                    linktype: i.linktype,
                    path: i.path.map(PathName::as_str),
                    packets: i.packets,
                })
                .collect(),
            decode: c.decode,
            warnings: c.warnings,
            errors: c.errors,
        })
        .collect()
}

impl<'a> Report<'a> {
    /// Flows in the report.
    pub fn len(&self) -> usize {
        self.audited.len()
    }

    pub fn is_empty(&self) -> bool {
        self.audited.is_empty()
    }

    /// The report of flow `i` (0-based; its `id` is `i + 1`).
    pub fn flow(&self, i: usize) -> Option<FlowReport<'_>> {
        self.audited.flow(i).map(|f| flow_report(&f))
    }

    /// The findings of flow `i`, in `Code::ALL` order.
    pub fn findings_of(&self, i: usize) -> impl Iterator<Item = Finding<'_>> {
        self.audited.flow(i).into_iter().flat_map(|f| f.findings())
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        self.audited.fails(fail_on)
    }
}

fn sighting_report<'x>(s: SeenAt<'x>) -> SightingReport<'x> {
    let sighting = s.sighting;
    SightingReport {
        capture_point: s.point.shown,
        file: s.point.file,
        interface: s.point.interface,
        ifindex: sighting.ifindex,
        vlan: sighting.vlan,
        src_mac: sighting.src_mac,
        dst_mac: sighting.dst_mac,
        packet_type: sighting
            .sll_packet_type
            .map(super::model::sll_packet_type_name),
        path: s.path,
        packets: sighting.packets,
    }
}

/// The report of one audited flow.
fn flow_report<'x>(f: &AuditedFlow<'x>) -> FlowReport<'x> {
    let v = f.verdict;
    let sides = f.sides();
    let tcp = f.transport() == Transport::Tcp;
    FlowReport {
        id: f.id,
        transport: f.transport().as_str(),
        community_id: CommunityId::of(f.key),
        client: f.client(),
        server: f.server(),
        app: v.app,
        o365: v.ends.o365.map(|m| O365Report {
            id: m.id,
            service_area: m.service_area,
            category: m.category.as_str(),
            express_route: m.express_route,
        }),
        onprem: f.onprem().map(|o| OnpremReport {
            end: if o.is_server { "server" } else { "client" },
            role: o.role,
        }),
        nat: f.nat(),
        path: v.path,
        expected_path: v.expected.map(PathName::as_str),
        packets: Pair {
            forward: sides.forward.packets,
            reverse: sides.reverse.packets,
        },
        bytes: Pair {
            forward: sides.forward.bytes,
            reverse: sides.reverse.bytes,
        },
        first_ns: f.state.first_ns(),
        last_ns: f.state.last_ns(),
        findings: v.codes,
        tcp_flags: tcp.then_some(Pair {
            forward: sides.forward.tcp_seen,
            reverse: sides.reverse.tcp_seen,
        }),
        dscp: (sides.forward.dscp_seen | sides.reverse.dscp_seen != 0).then_some(Pair {
            forward: sides.forward.dscp_seen,
            reverse: sides.reverse.dscp_seen,
        }),
        media: f.media(),
        seen_at: Pair {
            forward: f.seen_at(Direction::Forward).map(sighting_report).collect(),
            reverse: f.seen_at(Direction::Reverse).map(sighting_report).collect(),
        },
        fragments: f.state.fragments,
        proto: f.evidence(),
    }
}
