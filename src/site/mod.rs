//! The site profile (SPEC "Site profile", TOML), parsed strictly: which addresses are internal,
//! which capture points / ifindexes / VLANs / next-hop MACs / NAT pools belong to which path, and
//! the on-premises servers of a hybrid deployment.
//!
//! This file holds the site and its lookups; `profile.rs` reads and checks the TOML, with errors
//! that name the file, the line and the key.
//!
//! Decisions (documented in SPEC terms):
//! - Without a profile ([`Site::default`]): internal = RFC 1918, RFC 6598, loopback, ULA and
//!   link-local; no path rules (edge paths are then `unknown`); `expressroute = false` (nothing
//!   says the site has ExpressRoute, so no flow is expected on it).
//! - `[site] internal` REPLACES the default list (list your NAT pools there too). Loopback
//!   (127.0.0.0/8, ::1) and link-local (169.254.0.0/16, fe80::/10) are internal whatever the
//!   profile says: they are never forwarded by a router (RFC 1122 §3.2.1.3, RFC 3927 §2.7,
//!   RFC 4291 §2.5.6), so they cannot be the far end of an edge path.
//! - `[site] expressroute` omitted: true when the profile has an `expressroute` `[[path]]` block,
//!   else false. Write it to be explicit.
//! - A missing `[site]` table is allowed (no name, the default internal list, the expressroute
//!   rule above); the audit warns about it, as the defaults may not be the site's network.
//! - An empty profile (no table at all, only comments or blank lines) is an error: a `--site`
//!   that says nothing is a mistake (the wrong file, a file not yet written).
//! - `nat` under the `local` path is an error: a NAT pool belongs to an edge path.
//! - Every mistake of a profile is reported at once, sorted by line (a TOML syntax error alone).
//! - Duplicates are errors: two `[[path]]` blocks with the same name; the same interface, ifindex,
//!   VLAN or MAC listed twice (under one path or two); NAT prefixes that are equal or overlap;
//!   two `[[server]]` blocks with the same address.
//! - Prefixes must not have host bits set (`192.0.2.17/28` is an error that suggests
//!   `192.0.2.16/28`); a bare address is a /32 or /128.
//! - An unknown key or table is an error that lists the known ones and suggests the closest
//!   (`max_lost_percent`: did you mean `max_loss_percent`?) when one is within 2 edits.
//! - `[quality]` (optional, every key optional): the media quality thresholds ([`Quality`]);
//!   a key left out keeps Microsoft's target, customer edge to Microsoft edge.

mod profile;

pub use profile::edit_distance;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use serde::{Deserialize, Serialize};

/// An edge (or local) path a packet can take. `unknown` and `split` are audit results, not names
/// a profile can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathName {
    Expressroute,
    Internet,
    Local,
}

impl PathName {
    /// `expressroute`, `internet` or `local`.
    pub fn as_str(self) -> &'static str {
        match self {
            PathName::Expressroute => "expressroute",
            PathName::Internet => "internet",
            PathName::Local => "local",
        }
    }

    fn parse(s: &str) -> Option<PathName> {
        match s {
            "expressroute" => Some(PathName::Expressroute),
            "internet" => Some(PathName::Internet),
            "local" => Some(PathName::Local),
            _ => None,
        }
    }
}

impl fmt::Display for PathName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Role of an on-premises server (Skype for Business Server hybrid, Cloud Connector Edition,
/// Direct Routing SBC), as in "Call flow using ExpressRoute".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerRole {
    FrontEnd,
    Edge,
    Conferencing,
    Mediation,
    CloudConnector,
    Sbc,
}

impl ServerRole {
    /// `front-end`, `edge`, `conferencing`, `mediation`, `cloud-connector` or `sbc`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerRole::FrontEnd => "front-end",
            ServerRole::Edge => "edge",
            ServerRole::Conferencing => "conferencing",
            ServerRole::Mediation => "mediation",
            ServerRole::CloudConnector => "cloud-connector",
            ServerRole::Sbc => "sbc",
        }
    }

    fn parse(s: &str) -> Option<ServerRole> {
        match s {
            "front-end" => Some(ServerRole::FrontEnd),
            "edge" => Some(ServerRole::Edge),
            "conferencing" => Some(ServerRole::Conferencing),
            "mediation" => Some(ServerRole::Mediation),
            "cloud-connector" => Some(ServerRole::CloudConnector),
            "sbc" => Some(ServerRole::Sbc),
            _ => None,
        }
    }
}

impl fmt::Display for ServerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[path]]` block: what identifies packets on that path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub name: PathName,
    /// pcapng interface names (if_name, else if_description) or capture `LABEL`s.
    pub interfaces: Vec<String>,
    /// Linux SLL2 interface indexes.
    pub ifindexes: Vec<u32>,
    /// 802.1Q VLAN ids (outermost tag), 0..=4095.
    pub vlans: Vec<u16>,
    /// MACs of the next-hop router on this path.
    pub macs: Vec<[u8; 6]>,
    /// Source-NAT pools used on this path.
    pub nat: Vec<IpNetwork>,
}

/// One `[[server]]` block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    pub role: ServerRole,
    pub address: IpAddr,
}

/// `[quality]`: the media quality thresholds a direction of a media flow is held to. The
/// defaults are Microsoft's network targets from the customer edge to the Microsoft edge
/// ("Media Quality and Network Connectivity Performance in Skype for Business Online", the same
/// in Teams' "Prepare your organization's network"; FACTS.md C):
///
/// ```toml
/// [quality]
/// max_loss_percent = 0.1         # packet loss in any window, percent (0-100)
/// max_jitter_ms = 15.0           # interarrival jitter in any window, ms (above 0, at most 10000)
/// max_rtt_ms = 60.0              # round trip, ms (above 0, at most 10000)
/// max_reorder_percent = 0.01     # packets out of order, percent (0-100)
/// max_burst_loss_percent = 1.0   # loss in any 200 ms, percent (0-100)
/// window_s = 15                  # the window of loss and jitter, seconds (15 only, for now)
/// ```
///
/// Integers are accepted where a decimal is (`max_rtt_ms = 60`), not the reverse (`window_s`
/// is a whole number of seconds). NaN and infinities are out of range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    pub max_loss_percent: f64,
    pub max_jitter_ms: f64,
    pub max_rtt_ms: f64,
    pub max_reorder_percent: f64,
    pub max_burst_loss_percent: f64,
    pub window_s: u32,
}

/// A profile's thresholds are checked finite (never NaN), so equality is an equivalence; a
/// `Quality` built by hand with a NaN is the caller's mistake.
impl Eq for Quality {}

impl Default for Quality {
    /// Microsoft's targets, customer edge to Microsoft edge.
    fn default() -> Quality {
        Quality {
            max_loss_percent: 0.1,
            max_jitter_ms: 15.0,
            max_rtt_ms: 60.0,
            max_reorder_percent: 0.01,
            max_burst_loss_percent: 1.0,
            window_s: 15,
        }
    }
}

/// What kind of mistake a profile has (for callers and tests; the message says it for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteErrorKind {
    /// Not TOML.
    Syntax,
    /// A key the format does not have.
    UnknownKey,
    /// Wrong type, missing required key, empty string.
    BadValue,
    BadPrefix,
    BadMac,
    BadVlan,
    BadIfindex,
    BadAddress,
    UnknownPath,
    UnknownRole,
    /// The same rule, path block or server twice.
    Duplicate,
    /// No table at all: only comments or blank lines.
    Empty,
    /// `nat` under the `local` path: a NAT pool is an edge path's.
    NatOnLocal,
    /// A `[quality]` threshold outside its range.
    OutOfRange,
}

/// One mistake in a profile, at its line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the offending value (or key, or table header).
    pub line: usize,
    /// Key path, e.g. `path[1].macs` or `site.internal`; empty for the whole profile.
    pub key: String,
    pub kind: SiteErrorKind,
    pub message: String,
}

impl fmt::Display for Problem {
    /// `7: path[1].macs: MESSAGE` (`1: MESSAGE` without a key).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.line, self.message)
        } else {
            write!(f, "{}: {}: {}", self.line, self.key, self.message)
        }
    }
}

/// A profile's mistakes: one as `FILE:LINE: KEY: MESSAGE`; several as the file once, then one
/// line each, `  line LINE: KEY: MESSAGE`, sorted by line.
fn problems_text(file: &str, problems: &[Problem]) -> String {
    match problems {
        [one] => format!("{file}:{one}"),
        _ => {
            let mut text = format!("{file}: {} problems:", problems.len());
            for p in problems {
                text.push_str("\n  line ");
                text.push_str(&p.to_string());
            }
            text
        }
    }
}

/// A site profile that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{file}: cannot read the site profile")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Every mistake found, sorted by line (at least one).
    #[error("{}", problems_text(.file, .problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

impl SiteError {
    /// The kind of an `Invalid` error's first problem; None for I/O errors.
    pub fn kind(&self) -> Option<SiteErrorKind> {
        self.problems().first().map(|p| p.kind)
    }

    /// The mistakes of an `Invalid` error, sorted by line; none for I/O errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            SiteError::Io { .. } => &[],
            SiteError::Invalid { problems, .. } => problems,
        }
    }
}

/// A site: its internal prefixes, path rules and on-prem servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub name: Option<String>,
    /// The site has ExpressRoute Microsoft peering for Office 365.
    pub expressroute: bool,
    /// Internal prefixes. Loopback and link-local are internal even when not listed.
    pub internal: Vec<IpNetwork>,
    pub paths: Vec<PathRule>,
    pub servers: Vec<Server>,
    /// `[quality]`: media quality thresholds (Microsoft's targets when absent).
    pub quality: Quality,
    /// The file the profile was read from (as named on the command line); None without one.
    pub profile: Option<String>,
    /// The profile has a `[site]` table (without one, its rules apply with the default
    /// internal prefixes, and the audit warns).
    pub site_table: bool,
}

impl Default for Site {
    /// No profile: default internal prefixes, no path rules, no ExpressRoute.
    fn default() -> Site {
        Site {
            name: None,
            expressroute: false,
            internal: default_internal(),
            paths: Vec::new(),
            servers: Vec::new(),
            quality: Quality::default(),
            profile: None,
            site_table: false,
        }
    }
}

/// The internal prefixes used without a profile (or without `[site] internal`).
pub fn default_internal() -> Vec<IpNetwork> {
    let v4 = |a, b, c, d, len| Ipv4Network::new(Ipv4Addr::new(a, b, c, d), len).map(IpNetwork::V4);
    let v6 = |a: Ipv6Addr, len| Ipv6Network::new(a, len).map(IpNetwork::V6);
    [
        v4(10, 0, 0, 0, 8),                                 // RFC 1918 §3
        v4(172, 16, 0, 0, 12),                              // RFC 1918 §3
        v4(192, 168, 0, 0, 16),                             // RFC 1918 §3
        v4(100, 64, 0, 0, 10),        // RFC 6598 §7, shared address space (CGN)
        v4(127, 0, 0, 0, 8),          // RFC 1122 §3.2.1.3, loopback
        v4(169, 254, 0, 0, 16),       // RFC 3927, IPv4 link-local
        v6(Ipv6Addr::LOCALHOST, 128), // RFC 4291 §2.5.3
        v6(Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7), // RFC 4193 §3.1, ULA
        v6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10), // RFC 4291 §2.5.6, link-local
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Loopback and link-local: never forwarded, so always internal.
#[inline]
fn always_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback() || a.is_link_local(),
        IpAddr::V6(a) => {
            let [s0, ..] = a.segments();
            a.is_loopback() || (s0 & 0xffc0) == 0xfe80
        }
    }
}

/// IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) as IPv4; everything else unchanged.
#[inline]
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Prefix containment without building masks through `ipnetwork`'s checked API.
#[inline]
fn net_contains(net: &IpNetwork, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpNetwork::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(n.prefix().min(32)))
                .unwrap_or(0);
            (u32::from(a) ^ u32::from(n.ip())) & mask == 0
        }
        (IpNetwork::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(n.prefix().min(128)))
                .unwrap_or(0);
            (u128::from(a) ^ u128::from(n.ip())) & mask == 0
        }
        _ => false,
    }
}

impl Site {
    /// Reads and validates a profile (`--site FILE`).
    pub fn load(path: &Path) -> Result<Site, SiteError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SiteError::Io {
            file: file.clone(),
            source,
        })?;
        Site::from_toml_str(&text, &file)
    }

    /// Parses and validates a profile; `file_label` names it in errors.
    pub fn from_toml_str(text: &str, file_label: &str) -> Result<Site, SiteError> {
        profile::parse(text, file_label)
    }

    /// Whether `ip` is in the site's network (`internal`, plus loopback and link-local). Runs per
    /// flow: a few integer compares per listed prefix, no allocation.
    #[inline]
    pub fn is_internal(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        always_internal(ip) || self.internal.iter().any(|n| net_contains(n, ip))
    }

    /// The path whose `interfaces` list this capture point (pcapng interface name or `LABEL`).
    pub fn path_for_capture_point(&self, name: &str) -> Option<PathName> {
        self.find(|p| p.interfaces.iter().any(|i| i == name))
    }

    /// The path whose `ifindexes` list this SLL2 interface index.
    pub fn path_for_ifindex(&self, ifindex: u32) -> Option<PathName> {
        self.find(|p| p.ifindexes.contains(&ifindex))
    }

    /// The path whose `vlans` list this (outermost) VLAN id.
    pub fn path_for_vlan(&self, vlan: u16) -> Option<PathName> {
        self.find(|p| p.vlans.contains(&vlan))
    }

    /// The path whose next-hop router has this MAC.
    pub fn path_for_mac(&self, mac: [u8; 6]) -> Option<PathName> {
        self.find(|p| p.macs.contains(&mac))
    }

    /// The path whose NAT pool contains this (internal endpoint's) address.
    pub fn path_for_nat(&self, ip: IpAddr) -> Option<PathName> {
        let ip = canonical(ip);
        self.find(|p| p.nat.iter().any(|n| net_contains(n, ip)))
    }

    /// The role of the on-prem server at this address.
    pub fn server_role(&self, ip: IpAddr) -> Option<ServerRole> {
        let ip = canonical(ip);
        self.servers
            .iter()
            .find(|s| canonical(s.address) == ip)
            .map(|s| s.role)
    }

    /// First rule wins (a validated profile has no overlaps).
    #[inline]
    fn find(&self, pred: impl Fn(&PathRule) -> bool) -> Option<PathName> {
        self.paths.iter().find(|p| pred(p)).map(|p| p.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SPEC's example profile, with a second path and server.
    pub(super) const EXAMPLE: &str = r#"[site]
name = "contoso-hq"
internal = ["10.0.0.0/8", "192.0.2.0/26", "2001:db8::/32"]  # your network
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["er0"]
ifindexes = [3]
vlans = [100]
macs = ["02:00:00:00:0e:01"]
nat = ["192.0.2.16/28"]

[[path]]
name = "internet"
interfaces = ["inet0", "fw-outside"]
ifindexes = [4]
vlans = [200, 0, 4095]
macs = ["02-00-00-00-0F-01"]
nat = ["192.0.2.32/28", "2001:db8:1::/48"]

[[server]]
role = "front-end"
address = "10.30.0.10"

[[server]]
role = "cloud-connector"
address = "2001:db8::cc"
"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    pub(super) fn parse(text: &str) -> Result<Site, SiteError> {
        Site::from_toml_str(text, "site.toml")
    }

    /// Fuzz regression (fuzz target `site_profile`): an IPv4-mapped prefix was accepted but
    /// never matched, as addresses are looked up as IPv4; it now stands for the IPv4 prefix.
    #[test]
    fn ipv4_mapped_prefixes_match_as_ipv4() {
        let s = Site::from_toml_str(
            "[site]\ninternal = [\"::ffff:192.168.0.0/112\"]\n[[path]]\nname = \"internet\"\nnat = [\"::ffff:192.0.2.16/124\"]\n",
            "fuzz.toml",
        )
        .unwrap();
        for ip in ["192.168.7.1", "::ffff:192.168.7.1"] {
            assert!(s.is_internal(ip.parse().unwrap()), "{ip}");
        }
        assert!(!s.is_internal("192.169.0.1".parse().unwrap()));
        assert_eq!(
            s.internal,
            vec!["192.168.0.0/16".parse::<IpNetwork>().unwrap()]
        );
        assert_eq!(
            s.path_for_nat("::ffff:192.0.2.17".parse().unwrap()),
            Some(PathName::Internet)
        );
    }

    #[test]
    fn example_profile_parses() {
        let s = parse(EXAMPLE).unwrap();
        assert_eq!(s.name.as_deref(), Some("contoso-hq"));
        assert!(s.expressroute);
        assert_eq!(s.internal.len(), 3);
        assert_eq!(s.paths.len(), 2);
        let er = &s.paths[0];
        assert_eq!(er.name, PathName::Expressroute);
        assert_eq!(er.interfaces, ["er0"]);
        assert_eq!(er.ifindexes, [3]);
        assert_eq!(er.vlans, [100]);
        assert_eq!(er.macs, [[2, 0, 0, 0, 0x0e, 1]]);
        assert_eq!(er.nat[0].to_string(), "192.0.2.16/28");
        assert_eq!(s.servers.len(), 2);
        assert_eq!(s.servers[1].role, ServerRole::CloudConnector);
    }

    #[test]
    fn lookups() {
        let s = parse(EXAMPLE).unwrap();
        assert_eq!(
            s.path_for_capture_point("er0"),
            Some(PathName::Expressroute)
        );
        assert_eq!(
            s.path_for_capture_point("fw-outside"),
            Some(PathName::Internet)
        );
        assert_eq!(s.path_for_capture_point("ER0"), None);
        assert_eq!(s.path_for_ifindex(3), Some(PathName::Expressroute));
        assert_eq!(s.path_for_ifindex(4), Some(PathName::Internet));
        assert_eq!(s.path_for_ifindex(5), None);
        assert_eq!(s.path_for_vlan(100), Some(PathName::Expressroute));
        assert_eq!(s.path_for_vlan(4095), Some(PathName::Internet));
        assert_eq!(s.path_for_vlan(101), None);
        assert_eq!(
            s.path_for_mac([2, 0, 0, 0, 0x0e, 1]),
            Some(PathName::Expressroute)
        );
        assert_eq!(
            s.path_for_mac([2, 0, 0, 0, 0x0f, 1]),
            Some(PathName::Internet)
        );
        assert_eq!(s.path_for_mac([0; 6]), None);
        assert_eq!(
            s.path_for_nat(ip("192.0.2.17")),
            Some(PathName::Expressroute)
        );
        assert_eq!(s.path_for_nat(ip("192.0.2.47")), Some(PathName::Internet));
        assert_eq!(
            s.path_for_nat(ip("::ffff:192.0.2.20")),
            Some(PathName::Expressroute)
        );
        assert_eq!(
            s.path_for_nat(ip("2001:db8:1::5")),
            Some(PathName::Internet)
        );
        assert_eq!(s.path_for_nat(ip("192.0.2.48")), None);
        assert_eq!(s.server_role(ip("10.30.0.10")), Some(ServerRole::FrontEnd));
        assert_eq!(
            s.server_role(ip("2001:db8::cc")),
            Some(ServerRole::CloudConnector)
        );
        assert_eq!(s.server_role(ip("10.30.0.11")), None);
    }

    #[test]
    fn internal_from_profile_replaces_defaults() {
        let s = parse(EXAMPLE).unwrap();
        assert!(s.is_internal(ip("10.1.2.3")));
        assert!(s.is_internal(ip("192.0.2.63")));
        assert!(!s.is_internal(ip("192.0.2.64")));
        assert!(s.is_internal(ip("2001:db8::1")));
        assert!(s.is_internal(ip("::ffff:10.0.0.1")));
        // Replaced: RFC 1918 space not listed is external...
        assert!(!s.is_internal(ip("192.168.1.1")));
        assert!(!s.is_internal(ip("fd00::1")));
        // ...but loopback and link-local are always internal.
        for a in ["127.0.0.1", "169.254.1.1", "::1", "fe80::1", "febf::1"] {
            assert!(s.is_internal(ip(a)), "{a}");
        }
        assert!(!s.is_internal(ip("fec0::1")));
        assert!(!s.is_internal(ip("52.112.0.1")));
    }

    #[test]
    fn default_site() {
        let s = Site::default();
        assert_eq!(s.name, None);
        assert!(!s.expressroute);
        assert!(s.paths.is_empty() && s.servers.is_empty());
        for a in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "169.254.0.1",
            "::1",
            "fc00::1",
            "fdff::1",
            "fe80::1",
        ] {
            assert!(s.is_internal(ip(a)), "{a}");
        }
        for a in [
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "52.112.0.1",
            "2001:db8::1",
            "2603:1063::1",
        ] {
            assert!(!s.is_internal(ip(a)), "{a}");
        }
        assert_eq!(s.path_for_capture_point("er0"), None);
        assert_eq!(s.path_for_vlan(100), None);
        assert_eq!((s.profile, s.site_table), (None, false));
    }

    /// The site says which file it was read from and whether it had a `[site]` table.
    #[test]
    fn site_names_its_profile() {
        let s = parse(EXAMPLE).unwrap();
        assert_eq!(s.profile.as_deref(), Some("site.toml"));
        assert!(s.site_table);
        let s = parse("[[path]]\nname = \"internet\"\nvlans = [1]\n").unwrap();
        assert_eq!(s.profile.as_deref(), Some("site.toml"));
        assert!(!s.site_table);
    }

    #[test]
    fn expressroute_flag_default() {
        let s = parse("[[path]]\nname = \"expressroute\"\nvlans = [1]\n").unwrap();
        assert!(s.expressroute);
        let s = parse("[[path]]\nname = \"internet\"\nvlans = [1]\n").unwrap();
        assert!(!s.expressroute);
        let s = parse("[site]\nexpressroute = false\n[[path]]\nname = \"expressroute\"\n").unwrap();
        assert!(!s.expressroute);
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("site.toml");
        std::fs::write(&p, "[site]\nname = \"x\"\nbogus = 1\n").unwrap();
        let e = Site::load(&p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}:3: site.bogus: ", p.display())),
            "{e}"
        );
        std::fs::write(&p, EXAMPLE).unwrap();
        let file = p.display().to_string();
        assert_eq!(
            Site::load(&p).unwrap(),
            Site::from_toml_str(EXAMPLE, &file).unwrap()
        );
        assert_eq!(Site::load(&p).unwrap().profile, Some(file));
        let e = Site::load(&dir.path().join("missing.toml")).unwrap_err();
        assert!(matches!(e, SiteError::Io { .. }) && e.kind().is_none());
        assert!(e.to_string().contains("missing.toml"));
    }

    #[test]
    fn names_serialize() {
        assert_eq!(
            serde_json::to_string(&PathName::Expressroute).unwrap(),
            "\"expressroute\""
        );
        assert_eq!(PathName::Local.as_str(), "local");
        assert_eq!(
            serde_json::to_string(&ServerRole::CloudConnector).unwrap(),
            "\"cloud-connector\""
        );
        assert_eq!(ServerRole::FrontEnd.to_string(), "front-end");
    }
}
