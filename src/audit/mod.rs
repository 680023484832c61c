//! Verdicts as data: per flow the observed path of each direction, the expected path and the
//! findings; and the `interfaces` statistics, computed with the same rules. No report types
//! and no words: `report` turns these into documents.
//!
//! Rules are SPEC "How a packet's path is decided", "Expected path of a flow" and "Findings";
//! the domain behind them is CALL-FLOWS.md (Microsoft, "Call flow using ExpressRoute").

mod call;
mod code;
mod finding;
mod interfaces;
mod link;
mod media_class;
mod nat;
mod path;
mod points;
mod profile;
mod quality;
mod sdp;
mod selection;
mod shape;
mod verdict;

pub use call::{Call, CallVerdict, Deployment, Hairpin, Leg, LegKind, Party, UseCase};
pub use code::{Code, Codes, Severity};
pub use finding::{Detail, Finding, PointNames, UnexpectedReason};
pub use interfaces::{interface_stats, PointKind, PointStats, PointValue};
pub use media_class::{class_of_port, class_of_sdp_media, dscp, MediaClass};
pub use nat::{is_private, NatLink, NatReport, PathFlows, SharedPool, SHARED_POOL_EXAMPLES};
pub use path::{next_hop_mac, stays_inside, Direction, ObservedPath, Pair, PathPair};
pub use points::{CaptureFile, CapturePoint, PointName};
pub use profile::{profile_warnings, ProfileWarning, RuleValue, Unmatched, SEEN_KEPT};
pub use quality::{
    class_of, flow_media, loss_percent, FlowMedia, QualityIssue, RtcpQuality, StreamQuality,
    MIN_WINDOW_PACKETS,
};
pub use selection::Selection;
pub use verdict::{ends, Ends, Verdict};

use crate::correlate::Correlation;
use crate::decode::Transport;
use crate::flow::{Endpoint, FlowKey, FlowState, FlowTable, Side, Sighting};
use crate::pipeline::CaptureSummary;
use crate::proto::{Evidence, MediaShape};
use crate::ranges::Ranges;
use crate::site::{ServerRole, Site};

/// Everything the audit needs besides the flows.
pub struct AuditInput<'a> {
    pub site: &'a Site,
    pub ranges: &'a Ranges,
    pub captures: &'a [CaptureSummary],
    /// What the capture points told of each other (NAT twins, transit between points).
    pub correlation: &'a Correlation,
}

/// The audited run: flows in report order with their verdicts, and the capture files. Flow
/// and finding details are made one flow at a time (`flow`, `AuditedFlow::findings`), so the
/// report of a million flows is never held in memory at once.
pub struct Audited<'a> {
    input: &'a AuditInput<'a>,
    table: FlowTable,
    /// Table slots in report order.
    order: Vec<u32>,
    verdicts: Vec<Verdict<'a>>,
    /// Each flow's `id`: its position in report order before any selection, from 1.
    ids: Vec<u32>,
    /// Flows audited before a selection (`select`).
    total: usize,
    /// The selection applied, if any.
    selection: Option<Selection>,
    captures: Vec<CaptureFile<'a>>,
    /// Every call, by id (`Call::id` is its index + 1).
    calls: Vec<Call>,
    /// What the run's SDP announced of media endpoints.
    announced: sdp::Announced,
    /// Source addresses seen egressing over both edge paths (`nat-pool-shared`).
    shared_pools: Vec<SharedPool>,
}

/// Audits every flow: sorted by first packet then key, numbered from 1.
pub fn audit<'a>(input: &'a AuditInput<'a>, table: FlowTable) -> Audited<'a> {
    use rayon::prelude::*;
    let order = table.slots_by_first_packet();
    let announced = sdp::Announced::of(&table);
    // Within the caller's thread pool (--threads); the order of `collect` is the input's.
    let mut verdicts: Vec<Verdict<'a>> = order
        .par_iter()
        .filter_map(|&i| {
            table
                .at(i)
                .map(|(k, s)| verdict::verdict(input, &announced, k, s))
        })
        .collect();
    let total = order.len();
    let ids: Vec<u32> = (1..=total as u32).collect();
    nat::link_twins(input, &table, &order, &mut verdicts, &ids);
    let shared_pools = nat::shared_pools(&table, &order, &mut verdicts, &ids);
    let calls = link::calls(input, &table, &order, &mut verdicts, &ids);
    nat::calls_of_twins(&order, &mut verdicts);
    Audited {
        input,
        table,
        ids,
        order,
        verdicts,
        total,
        selection: None,
        captures: input.capture_files(),
        calls,
        announced,
        shared_pools,
    }
}

impl<'a> Audited<'a> {
    /// Flows in the report (those selected).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Flows audited, selected or not.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Keeps only the flows `selection` matches; their ids stay what they were.
    pub fn select(&mut self, selection: &Selection) {
        if selection.is_empty() {
            return;
        }
        let mut kept = 0;
        for i in 0..self.order.len() {
            let (Some(&slot), Some(v)) = (self.order.get(i), self.verdicts.get(i)) else {
                continue;
            };
            let Some((key, state)) = self.table.at(slot) else {
                continue;
            };
            if selection.matches(key, state, v) {
                self.order.swap(kept, i);
                self.verdicts.swap(kept, i);
                self.ids.swap(kept, i);
                kept += 1;
            }
        }
        self.order.truncate(kept);
        self.verdicts.truncate(kept);
        self.ids.truncate(kept);
        self.selection = Some(selection.clone());
    }

    /// The selection applied (`select`), if any.
    pub fn selection(&self) -> Option<&Selection> {
        self.selection.as_ref()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// What the audit read: the site, the ranges, the capture files.
    pub fn site(&self) -> &'a Site {
        self.input.site
    }

    pub fn ranges(&self) -> &'a Ranges {
        self.input.ranges
    }

    pub fn captures(&self) -> &[CaptureFile<'a>] {
        &self.captures
    }

    /// Every call (SPEC "Calls"), by id.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }

    /// Source addresses seen egressing over both ExpressRoute and the Internet.
    pub fn shared_pools(&self) -> &[SharedPool] {
        &self.shared_pools
    }

    /// What the capture points told of each other.
    pub fn correlation(&self) -> &'a Correlation {
        self.input.correlation
    }

    /// How a capture point is shown.
    pub fn point_name(&self, point: crate::flow::PointId) -> PointName<'a> {
        self.input.point_name(point)
    }

    /// The verdicts, in report order.
    pub fn verdicts(&self) -> &[Verdict<'a>] {
        &self.verdicts
    }

    /// Flow `i` in report order (0-based).
    pub fn flow(&self, i: usize) -> Option<AuditedFlow<'_>> {
        let (key, state) = self.table.at(*self.order.get(i)?)?;
        Some(AuditedFlow {
            id: u64::from(*self.ids.get(i)?),
            key,
            state,
            verdict: self.verdicts.get(i)?,
            input: self.input,
            calls: &self.calls,
            announced: &self.announced,
            shared_pools: &self.shared_pools,
            table: &self.table,
        })
    }

    /// Total bytes of flow `i` (both directions), for ranking.
    pub fn bytes(&self, i: usize) -> u64 {
        self.flow(i)
            .map_or(0, |f| f.state.sides.iter().map(|d| d.bytes).sum())
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.codes().any(|c| c.severity().fails_at(fail_on)))
    }
}

/// Which end of a flow is an on-prem server of the site profile (`[[server]]`), and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Onprem {
    /// The server end: `true` the flow's server, `false` its client.
    pub is_server: bool,
    pub role: ServerRole,
}

/// One sighting of a direction, with its capture point's names and the path it was given.
#[derive(Clone, Copy, Debug)]
pub struct SeenAt<'x> {
    pub point: PointName<'x>,
    pub sighting: &'x Sighting,
    pub path: ObservedPath,
}

/// One audited flow: its key, state and verdict, oriented client to server.
#[derive(Clone, Copy)]
pub struct AuditedFlow<'x> {
    /// The flow's `id` (its position in report order before any selection, from 1).
    pub id: u64,
    pub key: &'x FlowKey,
    pub state: &'x FlowState,
    pub verdict: &'x Verdict<'x>,
    input: &'x AuditInput<'x>,
    calls: &'x [Call],
    announced: &'x sdp::Announced,
    shared_pools: &'x [SharedPool],
    table: &'x FlowTable,
}

impl<'x> AuditedFlow<'x> {
    pub fn transport(&self) -> Transport {
        Transport::of_protocol(self.key.protocol)
    }

    pub fn client(&self) -> Endpoint {
        self.key.sender(self.verdict.ends.client_side)
    }

    pub fn server(&self) -> Endpoint {
        self.key.sender(1 - self.verdict.ends.client_side)
    }

    /// The client's direction and the server's.
    pub fn sides(&self) -> Pair<&'x Side> {
        let (forward, reverse) = verdict::oriented(self.state, self.verdict.ends.client_side);
        Pair { forward, reverse }
    }

    /// Where one direction was seen, each sighting with the path it was given.
    pub fn seen_at(&self, direction: Direction) -> impl Iterator<Item = SeenAt<'x>> + 'x {
        let ends = self.verdict.ends;
        let facts = ends.facts(self.key);
        let (ci, si) = (ends.client_internal, ends.server_internal);
        let sides = self.sides();
        let (side, sender_internal, receiver_internal) = match direction {
            Direction::Forward => (sides.forward, ci, si),
            Direction::Reverse => (sides.reverse, si, ci),
        };
        let input = self.input;
        side.sightings.iter().map(move |s| SeenAt {
            point: input.point_name(s.point),
            sighting: s,
            path: path::sighting_path(input, &facts, sender_internal, receiver_internal, s),
        })
    }

    /// The on-prem server this flow talks to (its server end), or from (its client end).
    pub fn onprem(&self) -> Option<Onprem> {
        let site = self.input.site;
        site.server_role(self.server().ip)
            .map(|role| Onprem {
                is_server: true,
                role,
            })
            .or_else(|| {
                site.server_role(self.client().ip).map(|role| Onprem {
                    is_server: false,
                    role,
                })
            })
    }

    /// The protocol evidence, oriented to the client, with the shape that made an encrypted
    /// TCP flow media.
    pub fn evidence(&self) -> Evidence<'x> {
        let mut e = self.state.app.evidence(self.verdict.ends.client_side);
        if self.verdict.has(Code::MediaOverTcp) {
            e.media_shape = self.media_shape();
        }
        e
    }

    /// The shape that made this flow media over TCP (`audit::shape`), if it did.
    pub fn media_shape(&self) -> Option<MediaShape> {
        let v = &self.verdict;
        shape::media_shape(self.input, self.key, self.state, &v.ends, v.app)
    }

    /// The flow's RTP streams and RTCP reports with the directions and paths they took, if it
    /// carried any.
    pub fn media(&self) -> Option<FlowMedia> {
        let v = &self.verdict;
        quality::flow_media(
            self.state,
            self.key,
            v.ends.client_side,
            v.path,
            self.announced,
        )
    }

    /// Its NAT twin and the translation, when it was seen on both sides of a source NAT.
    pub fn nat(&self) -> Option<NatReport> {
        let link = self.verdict.nat?;
        let (twin, _) = self.table.at(link.twin_slot)?;
        NatReport::of(link, self.key, twin)
    }

    /// The call the flow is in, if any.
    pub fn call(&self) -> Option<&'x Call> {
        let i = usize::try_from(self.verdict.call).ok()?.checked_sub(1)?;
        self.calls.get(i)
    }

    /// The flow's findings, in `Code::ALL` order.
    pub fn findings(&self) -> impl Iterator<Item = Finding<'x>> + 'x {
        let flow = *self;
        self.verdict
            .codes()
            .map(move |code| finding::finding(&flow, code))
    }
}

/// For the report's tests, until the linker fills the calls (issue 15).
#[cfg(test)]
impl Audited<'_> {
    /// Sets the run's calls (ids from 1, in order) and each listed flow's `Verdict::call`.
    pub(crate) fn set_calls_for_test(&mut self, calls: Vec<Call>) {
        for c in &calls {
            for (v, &id) in self.verdicts.iter_mut().zip(&self.ids) {
                if c.flows.contains(&u64::from(id)) {
                    v.call = c.id as u32;
                }
            }
        }
        self.calls = calls;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::capture::{Interface, TsUnit};
    use crate::decode::{DecodeCounters, LinkInfo, TransportLayer};
    use crate::flow::{Observation, PointId};
    use crate::pipeline::CaptureSpec;

    const SITE: &str = r#"
[site]
name = "test"
internal = ["10.0.0.0/8"]
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["er0"]

[[path]]
name = "internet"
interfaces = ["inet0"]
macs = ["02:00:00:00:1e:01"]
"#;

    /// One capture file `arg` (`LABEL=PATH` or `PATH`) whose interfaces are named `names`
    /// (0, 1, ...): for the audit's tests and `profile`'s.
    pub(crate) fn capture(arg: &str, names: &[&str]) -> CaptureSummary {
        CaptureSummary {
            spec: CaptureSpec::parse(arg),
            format: None,
            compression: None,
            packets: 10,
            bytes_read: 0,
            interfaces: names
                .iter()
                .map(|n| Interface {
                    name: Some(n.to_string()),
                    linktype: 1,
                    snaplen: 0,
                    section: 0,
                    ts_unit: TsUnit::Pow10(9),
                    ts_offset_s: 0,
                })
                .collect(),
            interface_packets: vec![5; names.len()],
            warnings: Vec::new(),
            warnings_total: 0,
            errors: Vec::new(),
            counters: DecodeCounters::default(),
            stalls: None,
            clock_offset_ns: Some(0),
        }
    }

    /// An empty UDP datagram from `src` to `dst` seen on interface `interface` at `ts_s`.
    fn udp(table: &mut FlowTable, interface: u32, src: &str, dst: &str, ts_s: f64, mac: [u8; 6]) {
        let src: std::net::SocketAddr = src.parse().unwrap();
        let dst: std::net::SocketAddr = dst.parse().unwrap();
        let transport = TransportLayer {
            protocol: crate::decode::IPPROTO_UDP,
            src_port: src.port(),
            dst_port: dst.port(),
            tcp: None,
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload: &[],
        };
        let link = LinkInfo {
            src_mac: Some(mac),
            dst_mac: Some(mac),
            ..LinkInfo::default()
        };
        table.update(&Observation {
            src: Endpoint {
                ip: src.ip(),
                port: src.port(),
            },
            dst: Endpoint {
                ip: dst.ip(),
                port: dst.port(),
            },
            transport: &transport,
            link: &link,
            point: PointId { file: 0, interface },
            ts_ns: (ts_s * 1e9) as i64,
            wire_len: 100,
            fragment: false,
        });
    }

    /// Runs `check` on the audit of `table` with the test site and the bundled ranges.
    fn audited(names: &[&str], table: FlowTable, check: impl FnOnce(&Audited<'_>)) {
        let site = Site::from_toml_str(SITE, "site.toml").unwrap();
        let ranges = Ranges::bundled().unwrap();
        let captures = [capture("test.pcapng", names)];
        let input = AuditInput {
            site: &site,
            ranges: &ranges,
            captures: &captures,
            correlation: &Correlation::default(),
        };
        check(&audit(&input, table));
    }

    const MAC: [u8; 6] = [2, 0, 0, 0, 0, 9];
    const CLIENT: &str = "10.1.1.23:50014";
    const MEDIA: &str = "52.112.30.9:3480";

    #[test]
    fn out_by_expressroute_back_by_the_internet() {
        let mut t = FlowTable::new();
        udp(&mut t, 0, CLIENT, MEDIA, 1.0, MAC);
        udp(&mut t, 1, MEDIA, CLIENT, 1.1, MAC);
        audited(&["er0", "inet0"], t, |a| {
            let f = a.flow(0).unwrap();
            let v = f.verdict;
            assert_eq!(v.path.forward, Some(ObservedPath::Expressroute));
            assert_eq!(v.path.reverse, Some(ObservedPath::Internet));
            assert_eq!(v.expected, Some(crate::site::PathName::Expressroute));
            assert_eq!(v.ends.o365.map(|m| m.id), Some(11));
            let findings: Vec<Finding<'_>> = f.findings().collect();
            assert_eq!(
                findings.iter().map(|f| f.code).collect::<Vec<_>>(),
                [Code::AsymmetricRoute, Code::ExpressrouteBypassed]
            );
            assert!(matches!(
                findings[0].detail,
                Detail::AsymmetricPaths {
                    forward: Some(ObservedPath::Expressroute),
                    reverse: Some(ObservedPath::Internet)
                }
            ));
            assert!(matches!(
                findings[1].detail,
                Detail::ExpressrouteBypassed {
                    direction: Direction::Reverse,
                    partly: false
                }
            ));
            assert_eq!(findings[1].client.port, 50014);
            assert!(a.fails(Some(Severity::Error)));
        });
    }

    #[test]
    fn directions_at_different_unnamed_capture_points_are_asymmetric() {
        let mut t = FlowTable::new();
        udp(&mut t, 0, CLIENT, MEDIA, 1.0, MAC);
        udp(&mut t, 1, MEDIA, CLIENT, 1.1, MAC);
        udp(&mut t, 2, MEDIA, CLIENT, 1.2, MAC);
        audited(&["tap-a", "tap-c", "tap-b"], t, |a| {
            let f = a.flow(0).unwrap();
            assert_eq!(f.verdict.path.forward, Some(ObservedPath::Unknown));
            let findings: Vec<Finding<'_>> = f.findings().collect();
            let codes: Vec<Code> = findings.iter().map(|f| f.code).collect();
            assert_eq!(codes, [Code::AsymmetricRoute, Code::UnknownPath]);
            let Detail::AsymmetricPoints { forward, reverse } = findings[0].detail else {
                panic!("{:?}", findings[0].detail);
            };
            assert_eq!(forward.iter().collect::<Vec<_>>(), ["tap-a"]);
            // Sorted, each once.
            assert_eq!(reverse.iter().collect::<Vec<_>>(), ["tap-b", "tap-c"]);
        });
    }

    #[test]
    fn udp_with_no_reply_for_seconds_is_one_sided() {
        let mut t = FlowTable::new();
        for ts in [1.0, 2.0, 3.5] {
            udp(&mut t, 0, CLIENT, MEDIA, ts, MAC);
        }
        audited(&["er0"], t, |a| {
            let f = a.flow(0).unwrap();
            let one_sided = f.findings().find(|f| f.code == Code::OneSidedFlow).unwrap();
            assert!(matches!(
                one_sided.detail,
                Detail::OneSided {
                    direction: Direction::Forward,
                    packets: 3,
                    duration_ns: 2_500_000_000
                }
            ));
            assert_eq!(f.verdict.path.reverse, None);
        });
    }

    /// Issue 13: only the server's packets were captured: the client is still the internal
    /// end, and the flow is one-sided from the server's end.
    #[test]
    fn a_reply_only_flow_is_one_sided_from_the_server() {
        let mut t = FlowTable::new();
        for ts in [1.0, 2.0, 3.5] {
            udp(&mut t, 1, MEDIA, CLIENT, ts, MAC);
        }
        audited(&["er0", "inet0"], t, |a| {
            let f = a.flow(0).unwrap();
            assert_eq!(f.client().port, 50014);
            assert_eq!(f.verdict.path.forward, None);
            let one_sided = f.findings().find(|f| f.code == Code::OneSidedFlow).unwrap();
            assert!(matches!(
                one_sided.detail,
                Detail::OneSided {
                    direction: Direction::Reverse,
                    packets: 3,
                    ..
                }
            ));
        });
    }

    /// Issue 13: with only `inet0` named in the profile, out by `er0` (no rule) and back by
    /// `inet0` is still an asymmetric route, not only an unknown path.
    #[test]
    fn a_partial_profile_does_not_hide_asymmetry() {
        let mut t = FlowTable::new();
        udp(&mut t, 0, CLIENT, MEDIA, 1.0, MAC);
        udp(&mut t, 1, MEDIA, CLIENT, 1.1, MAC);
        audited(&["er-unnamed", "inet0"], t, |a| {
            let f = a.flow(0).unwrap();
            assert_eq!(f.verdict.path.forward, Some(ObservedPath::Unknown));
            assert_eq!(f.verdict.path.reverse, Some(ObservedPath::Internet));
            assert!(f.verdict.has(Code::AsymmetricRoute));
            assert!(a.fails(Some(Severity::Error)));
        });
    }

    /// Issue 13: a direction expected over ExpressRoute with part of it over the Internet is
    /// bypassed, not only split.
    #[test]
    fn a_split_direction_is_also_bypassed() {
        let mut t = FlowTable::new();
        udp(&mut t, 0, CLIENT, MEDIA, 1.0, MAC);
        udp(&mut t, 1, CLIENT, MEDIA, 1.1, MAC);
        udp(&mut t, 0, MEDIA, CLIENT, 1.2, MAC);
        audited(&["er0", "inet0"], t, |a| {
            let f = a.flow(0).unwrap();
            assert_eq!(f.verdict.path.forward, Some(ObservedPath::Split));
            let codes: Vec<Code> = f.findings().map(|f| f.code).collect();
            assert_eq!(codes, [Code::ExpressrouteBypassed, Code::PathSplit]);
            assert!(matches!(
                f.findings().next().unwrap().detail,
                Detail::ExpressrouteBypassed {
                    direction: Direction::Forward,
                    partly: true
                }
            ));
        });
    }

    /// Issue 13: a selection keeps the flows it matches, with their ids, and the exit status
    /// follows it.
    #[test]
    fn a_selection_keeps_matching_flows_and_their_ids() {
        let table = || {
            let mut t = FlowTable::new();
            udp(&mut t, 0, "10.1.1.5:50000", "10.9.9.9:50001", 1.0, MAC);
            udp(&mut t, 0, CLIENT, MEDIA, 2.0, MAC);
            udp(&mut t, 1, MEDIA, CLIENT, 2.1, MAC);
            t
        };
        let site = Site::from_toml_str(SITE, "site.toml").unwrap();
        let ranges = Ranges::bundled().unwrap();
        let captures = [capture("test.pcapng", &["er0", "inet0"])];
        let input = AuditInput {
            site: &site,
            ranges: &ranges,
            captures: &captures,
            correlation: &Correlation::default(),
        };
        let net = |s: &str| vec![s.parse().unwrap()];
        for (selection, ids) in [
            (Selection::default(), vec![1, 2]),
            (
                Selection {
                    codes: vec![Code::AsymmetricRoute],
                    ..Selection::default()
                },
                vec![2],
            ),
            (
                Selection {
                    nets: net("10.9.0.0/16"),
                    ..Selection::default()
                },
                vec![1],
            ),
            (
                Selection {
                    sets: vec![11],
                    since_ns: Some(1_500_000_000),
                    ..Selection::default()
                },
                vec![2],
            ),
            (
                Selection {
                    until_ns: Some(500_000_000),
                    ..Selection::default()
                },
                vec![],
            ),
        ] {
            let mut a = audit(&input, table());
            a.select(&selection);
            let got: Vec<u64> = (0..a.len()).map(|i| a.flow(i).unwrap().id).collect();
            assert_eq!(got, ids, "{selection:?}");
            assert_eq!(a.total(), 2);
            assert_eq!(a.fails(Some(Severity::Error)), ids.contains(&2));
        }
    }

    #[test]
    fn a_flow_between_internal_ends_is_local_and_fine() {
        let mut t = FlowTable::new();
        udp(&mut t, 1, CLIENT, "10.9.9.9:3478", 1.0, MAC);
        udp(&mut t, 0, "10.9.9.9:3478", CLIENT, 1.1, MAC);
        audited(&["er0", "inet0"], t, |a| {
            let v = a.flow(0).unwrap().verdict;
            assert_eq!(v.path.forward, Some(ObservedPath::Local));
            assert_eq!(v.expected, Some(crate::site::PathName::Local));
            assert!(v.codes.is_empty());
            assert!(!a.fails(Some(Severity::Info)));
        });
    }

    /// Issue 12: the `interfaces` statistics use the audit's rules. Multicast never leaves the
    /// site (no next-hop MAC for it), and the Office 365 end is looked up with the server's
    /// port: the media server's reply counts as Office 365 too.
    #[test]
    fn interface_statistics_follow_the_audit() {
        let mut t = FlowTable::new();
        udp(&mut t, 0, CLIENT, MEDIA, 1.0, MAC);
        udp(&mut t, 0, MEDIA, CLIENT, 1.1, MAC);
        udp(
            &mut t,
            0,
            "10.1.1.5:5353",
            "224.0.0.251:5353",
            1.2,
            [2, 0, 0, 0, 0, 7],
        );
        audited(&["lan0"], t, |a| {
            let stats = interface_stats(a.input, &a.table);
            let capture = stats.iter().find(|s| s.kind == PointKind::Capture).unwrap();
            assert_eq!(capture.value, PointValue::Name("lan0".into()));
            assert_eq!((capture.packets, capture.flows), (3, 2));
            assert_eq!(capture.o365_share, 0.667);
            let macs: Vec<&PointStats> = stats
                .iter()
                .filter(|s| s.kind == PointKind::NextHopMac)
                .collect();
            assert_eq!(macs.len(), 1, "{macs:?}");
            assert_eq!(macs[0].value, PointValue::Mac(MAC));
            assert_eq!(macs[0].packets, 2);
        });
    }
}
