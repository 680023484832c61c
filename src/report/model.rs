//! The report document (SPEC "JSON report"): what the writers write, field order here being the
//! order in the JSON output. Built by `build.rs` from the audit's results; borrowed, not owned.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::{Codes, FlowMedia, Pair, PathPair};
use crate::decode::DecodeCounters;
use crate::flow::{CommunityId, Endpoint};
use crate::proto::{App, Evidence};
use crate::site::ServerRole;

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RangesInfo<'a> {
    /// `bundled`, `file` or `cache`.
    pub source: &'a str,
    pub instance: &'static str,
    pub as_of: Option<&'a str>,
    /// The file read (`file`, `cache`); left out for the bundled snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    /// The web service's version of a cached snapshot; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<&'a str>,
    /// The snapshot is much older than the capture (`ranges_staleness`).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SiteInfo<'a> {
    pub name: Option<&'a str>,
    /// The site profile file as given (`--site`); None without one.
    pub profile: Option<&'a str>,
    /// What the profile says that the captures do not bear out (`message::profile_warning`).
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureReport<'a> {
    pub path: &'a str,
    pub label: Option<&'a str>,
    pub format: Option<&'static str>,
    /// `gzip` or `zstd`; left out for a plain file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<&'static str>,
    pub packets: u64,
    /// This file's clock minus the first file's, in ms; null when no shared packet links it.
    pub clock_offset_ms: Option<f64>,
    pub interfaces: Vec<InterfaceReport<'a>>,
    pub decode: &'a DecodeCounters,
    pub warnings: &'a [String],
    pub errors: &'a [String],
}

/// Two capture points that saw the same packets (`capture_links`).
#[derive(Clone, Debug, Serialize)]
pub struct CaptureLinkReport<'a> {
    pub a: &'a str,
    pub b: &'a str,
    /// Flows (or NAT twins) seen at both points, and the packets matched.
    pub flows: u32,
    pub packets: u32,
    /// Half the round trip between the points, in ms; null when no flow showed both
    /// directions at both.
    pub one_way_transit_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InterfaceReport<'a> {
    pub name: Option<&'a str>,
    pub linktype: u32,
    pub path: Option<&'static str>,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub flows: usize,
    pub packets: u64,
    /// Finding code -> number of findings (sorted by code).
    pub findings: BTreeMap<&'static str, usize>,
    /// Flows per app (sorted by app name).
    pub apps: BTreeMap<&'static str, usize>,
    pub warnings: u64,
    pub errors: usize,
    /// The calls listed (SPEC "Calls"): how many, per use case and per verdict.
    pub calls: CallsSummary,
}

/// The calls of the report counted: every use case and every verdict, zeros too, in the
/// model's order (`UseCase::ALL`, `CallVerdict::ALL`), so scripts find every key.
#[derive(Clone, Debug, Serialize)]
pub struct CallsSummary {
    pub total: usize,
    pub by_use_case: Counts,
    pub by_verdict: Counts,
}

/// Names and counts, written as one JSON object in this order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, usize)>);

impl Counts {
    /// The non-zero counts, in order.
    pub fn non_zero(&self) -> impl Iterator<Item = (&'static str, usize)> + '_ {
        self.0.iter().copied().filter(|&(_, n)| n > 0)
    }
}

impl Serialize for Counts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, count) in &self.0 {
            map.serialize_entry(name, count)?;
        }
        map.end()
    }
}

/// The flows a report was narrowed to (`--app`, `--finding`, ...): the criteria, and how many
/// flows of how many matched.
#[derive(Clone, Debug, Serialize)]
pub struct SelectionReport {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub app: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finding: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub net: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// Flows selected, and flows audited.
    pub flows: usize,
    pub flows_total: usize,
}

/// Everything in the report before its `flows`.
#[derive(Clone, Debug)]
pub struct Header<'a> {
    pub tool: Tool,
    pub ranges: RangesInfo<'a>,
    pub site: SiteInfo<'a>,
    /// Present when a selection narrowed the report.
    pub selection: Option<SelectionReport>,
    pub captures: Vec<CaptureReport<'a>>,
    pub capture_links: Vec<CaptureLinkReport<'a>>,
    pub summary: Summary,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct O365Report<'a> {
    pub id: u32,
    pub service_area: &'a str,
    pub category: &'static str,
    pub express_route: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnpremReport {
    /// `client` or `server`: which end of the flow is the on-prem server.
    pub end: &'static str,
    pub role: ServerRole,
}

/// One place a direction of a flow was seen. Written by `json::write_flow`; field order there
/// is the report's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SightingReport<'a> {
    /// The capture point: the file's LABEL, else the pcapng interface name, else the file.
    pub capture_point: &'a str,
    pub file: &'a str,
    pub interface: Option<&'a str>,
    pub ifindex: Option<u32>,
    pub vlan: Option<u16>,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Linux cooked capture packet type: `host`, `broadcast`, `multicast`, `otherhost`,
    /// `outgoing` (or `other`).
    pub packet_type: Option<&'static str>,
    /// The path this sighting was attributed to (SPEC "How a packet's path is decided").
    pub path: crate::audit::ObservedPath,
    pub packets: u64,
}

/// One flow of the report (SPEC "JSON report"), borrowing its names from the audit and its
/// evidence from the flow table. Written by `json::write_flow`, in this field order.
#[derive(Clone, Debug)]
pub struct FlowReport<'a> {
    pub id: u64,
    pub transport: &'static str,
    /// Community ID v1, seed 0, of the flow's 5-tuple: `community_id`.
    pub community_id: CommunityId,
    pub client: Endpoint,
    pub server: Endpoint,
    pub app: App,
    pub o365: Option<O365Report<'a>>,
    /// On-prem servers of the site profile (`[[server]]`) this flow talks to or from.
    pub onprem: Option<OnpremReport>,
    /// Its twin on the other side of a source NAT (`flows[].nat`).
    pub nat: Option<crate::audit::NatReport>,
    pub path: PathPair,
    pub expected_path: Option<&'static str>,
    pub packets: Pair<u64>,
    pub bytes: Pair<u64>,
    /// `first_seen`, `last_seen`, and from the two `duration` (seconds).
    pub first_ns: i64,
    pub last_ns: i64,
    pub findings: Codes,
    /// TCP flags seen per direction (`crate::flow::seen` bits; TCP flows only).
    pub tcp_flags: Option<Pair<u8>>,
    /// DSCP values seen per direction (`crate::flow::Side::dscp_seen` bitmasks): `dscp`,
    /// written when any packet was seen.
    pub dscp: Option<Pair<u64>>,
    /// The RTP streams and RTCP reports of a media flow (`flows[].media`).
    pub media: Option<FlowMedia>,
    pub seen_at: Pair<Vec<SightingReport<'a>>>,
    pub fragments: u64,
    /// The protocol evidence; its `sni` is the flow's `sni` field.
    pub proto: Evidence<'a>,
}

/// The names of TCP flags seen (`crate::flow::seen` bits), in the report's order.
pub fn tcp_flag_names(seen: u8) -> impl Iterator<Item = &'static str> {
    use crate::flow::seen;
    [
        (seen::SYN, "syn"),
        (seen::SYN_ACK, "syn-ack"),
        (seen::FIN, "fin"),
        (seen::RST, "rst"),
    ]
    .into_iter()
    .filter(move |(bit, _)| seen & bit != 0)
    .map(|(_, name)| name)
}

/// The DSCP values of a `crate::flow::Side::dscp_seen` bitmask, in ascending order.
pub fn dscp_values(mut seen: u64) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        if seen == 0 {
            return None;
        }
        let v = seen.trailing_zeros();
        seen &= seen - 1;
        Some(v as u8)
    })
}

/// The name of a Linux SLL packet type (packet(7): PACKET_HOST ... PACKET_OUTGOING).
pub fn sll_packet_type_name(t: u8) -> &'static str {
    match t {
        0 => "host",
        1 => "broadcast",
        2 => "multicast",
        3 => "otherhost",
        4 => "outgoing",
        _ => "other",
    }
}
