//! The report document (SPEC "JSON report") and its writers: json, ndjson, text.
//!
//! These types are serialize-only and owned: they are built once, at the end, from the flow
//! table; field order here is the order in the JSON output.

pub mod json;
pub mod text;
pub mod time;

use serde::Serialize;

use crate::ingest::DecodeCounters;
use crate::proto::{App, AppSummary};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The observed path of one direction of a flow (SPEC: `path.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObservedPath {
    Expressroute,
    Internet,
    Local,
    Unknown,
    Split,
}

impl ObservedPath {
    pub fn as_str(self) -> &'static str {
        match self {
            ObservedPath::Expressroute => "expressroute",
            ObservedPath::Internet => "internet",
            ObservedPath::Local => "local",
            ObservedPath::Unknown => "unknown",
            ObservedPath::Split => "split",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct RangesInfo {
    pub source: String,
    pub instance: String,
    pub as_of: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SiteInfo {
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CaptureReport {
    pub path: String,
    pub label: Option<String>,
    pub format: Option<&'static str>,
    pub packets: u64,
    pub interfaces: Vec<InterfaceReport>,
    pub decode: DecodeCounters,
    pub warnings: Vec<String>,
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InterfaceReport {
    pub name: Option<String>,
    pub linktype: u32,
    pub path: Option<&'static str>,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub flows: usize,
    pub packets: u64,
    /// Finding code -> number of findings (sorted by code).
    pub findings: std::collections::BTreeMap<&'static str, usize>,
    /// Flows per app (sorted by app name).
    pub apps: std::collections::BTreeMap<&'static str, usize>,
    pub warnings: u64,
    pub errors: usize,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EndpointReport {
    pub ip: String,
    pub port: u16,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct O365Report {
    pub id: u32,
    pub service_area: String,
    pub category: String,
    pub express_route: bool,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OnpremReport {
    /// `client` or `server`: which end of the flow is the on-prem server.
    pub end: &'static str,
    pub role: crate::site::ServerRole,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct PathPair {
    pub forward: Option<ObservedPath>,
    pub reverse: Option<ObservedPath>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct Pair<T> {
    pub forward: T,
    pub reverse: T,
}

/// One place a direction of a flow was seen.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SightingReport {
    /// The capture point: the file's LABEL, else the pcapng interface name, else the file.
    pub capture_point: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifindex: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vlan: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_mac: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_mac: Option<String>,
    /// Linux cooked capture packet type: `host`, `broadcast`, `multicast`, `otherhost`,
    /// `outgoing` (or its number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packet_type: Option<&'static str>,
    /// The path this sighting was attributed to (SPEC "How a packet's path is decided").
    pub path: ObservedPath,
    pub packets: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FlowReport {
    pub id: u64,
    pub transport: &'static str,
    pub client: EndpointReport,
    pub server: EndpointReport,
    pub app: App,
    pub sni: Option<String>,
    pub o365: Option<O365Report>,
    /// On-prem servers of the site profile (`[[server]]`) this flow talks to or from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onprem: Option<OnpremReport>,
    pub path: PathPair,
    pub expected_path: Option<&'static str>,
    pub packets: Pair<u64>,
    pub bytes: Pair<u64>,
    pub first_seen: String,
    pub last_seen: String,
    pub findings: Vec<&'static str>,
    /// TCP flags seen per direction: "syn", "syn-ack", "fin", "rst" (TCP flows only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_flags: Option<Pair<Vec<&'static str>>>,
    pub seen_at: Pair<Vec<SightingReport>>,
    #[serde(skip_serializing_if = "is_zero")]
    pub fragments: u64,
    pub proto: AppSummary,
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub flow: u64,
    pub message: String,
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

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Formats a MAC address as lower-case colon-separated hex.
pub fn mac_text(m: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}
