//! The report document (SPEC "JSON report") and its writers: json, ndjson, text.
//!
//! These types are serialize-only and owned: they are built once, at the end, from the flow
//! table; field order here is the order in the JSON output.

pub mod json;
pub mod jsonw;
pub mod text;
pub mod time;

use serde::Serialize;

use crate::audit::Codes;
use crate::flow::Endpoint;
use crate::ingest::DecodeCounters;
use crate::proto::{App, Evidence};

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
    pub role: crate::site::ServerRole,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathPair {
    pub forward: Option<ObservedPath>,
    pub reverse: Option<ObservedPath>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair<T> {
    pub forward: T,
    pub reverse: T,
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
    /// `outgoing` (or its number).
    pub packet_type: Option<&'static str>,
    /// The path this sighting was attributed to (SPEC "How a packet's path is decided").
    pub path: ObservedPath,
    pub packets: u64,
}

/// One flow of the report (SPEC "JSON report"), borrowing its names from the audit and its
/// evidence from the flow table. Written by `json::write_flow`, in this field order.
#[derive(Clone, Debug)]
pub struct FlowReport<'a> {
    pub id: u64,
    pub transport: &'static str,
    pub client: Endpoint,
    pub server: Endpoint,
    pub app: App,
    pub o365: Option<O365Report<'a>>,
    /// On-prem servers of the site profile (`[[server]]`) this flow talks to or from.
    pub onprem: Option<OnpremReport>,
    pub path: PathPair,
    pub expected_path: Option<&'static str>,
    pub packets: Pair<u64>,
    pub bytes: Pair<u64>,
    pub first_ns: i64,
    pub last_ns: i64,
    pub findings: Codes,
    /// TCP flags seen per direction (`crate::flow::seen` bits; TCP flows only).
    pub tcp_flags: Option<Pair<u8>>,
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

/// An address as `Display` writes it (RFC 5952 for IPv6): IPv4 octet by octet, faster than
/// `Display`; IPv6 by `Display` (its shortening is not worth writing again). For the report's
/// addresses and the finding messages.
pub fn write_ip<W: std::fmt::Write>(w: &mut W, ip: std::net::IpAddr) -> std::fmt::Result {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let (text, len) = ipv4_text(v4);
            // Only ASCII digits and dots were written.
            w.write_str(
                std::str::from_utf8(text.get(..len).unwrap_or_default()).unwrap_or_default(),
            )
        }
        std::net::IpAddr::V6(v6) => write!(w, "{v6}"),
    }
}

/// Each octet's decimal digits followed by a dot, and how many of the 4 bytes that is.
// Built at compile time: `n < 256` indexes the table.
#[allow(clippy::indexing_slicing)]
const OCTET_DOT: [([u8; 4], usize); 256] = {
    let mut table = [([0u8; 4], 0usize); 256];
    let mut n = 0;
    while n < 256 {
        let octet = n as u8;
        let (hundreds, tens, ones) = (
            b'0' + octet / 100,
            b'0' + octet / 10 % 10,
            b'0' + octet % 10,
        );
        table[n] = if octet >= 100 {
            ([hundreds, tens, ones, b'.'], 4)
        } else if octet >= 10 {
            ([tens, ones, b'.', 0], 3)
        } else {
            ([ones, b'.', 0, 0], 2)
        };
        n += 1;
    }
    table
};

/// Dotted-decimal text of `v4` in a fixed buffer, and its length: four table lookups and
/// fixed-size stores, then one copy (two addresses per flow).
pub(crate) fn ipv4_text(v4: std::net::Ipv4Addr) -> ([u8; 16], usize) {
    let mut text = [0u8; 16];
    let mut len = 0;
    for octet in v4.octets() {
        let Some(&(digits, n)) = OCTET_DOT.get(usize::from(octet)) else {
            continue;
        };
        // `len` is at most 12 here: the 4 bytes always fit.
        if let Some(slot) = text.get_mut(len..len + 4) {
            slot.copy_from_slice(&digits);
        }
        len += n;
    }
    // Without the last octet's dot.
    (text, len - 1)
}

/// Formats a MAC address as lower-case colon-separated hex.
pub fn mac_text(m: [u8; 6]) -> String {
    String::from_utf8_lossy(&mac_bytes(m)).into_owned()
}

/// A MAC address as lower-case colon-separated hex, built in registers from a table: two MACs
/// per sighting, every flow, in the JSON report.
pub(crate) fn mac_bytes(m: [u8; 6]) -> [u8; 17] {
    let [a, b, c, d, e, f] = m.map(|byte| {
        HEX_PAIRS
            .get(usize::from(byte))
            .copied()
            .unwrap_or_default()
    });
    [
        a[0], a[1], b':', b[0], b[1], b':', c[0], c[1], b':', d[0], d[1], b':', e[0], e[1], b':',
        f[0], f[1],
    ]
}

/// Each byte's two lower-case hex digits.
// Built at compile time: `n < 256` indexes the table.
#[allow(clippy::indexing_slicing)]
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut n = 0;
    while n < 256 {
        table[n] = [hex_digit((n >> 4) as u8), hex_digit((n & 0xf) as u8)];
        n += 1;
    }
    table
};

/// The lower-case hex digit of `n` (0 to 15).
pub(crate) const fn hex_digit(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + (n - 10)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mac_text_is_lower_case_hex(m: [u8; 6]) {
            let expected = format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            );
            prop_assert_eq!(super::mac_text(m), expected);
        }

        #[test]
        fn addresses_written_as_display_writes_them(ip: std::net::IpAddr) {
            let mut text = String::new();
            prop_assert!(super::write_ip(&mut text, ip).is_ok());
            prop_assert_eq!(text, ip.to_string());
        }
    }
}
