//! The site profile (SPEC "Site profile", TOML), parsed strictly: which addresses are internal,
//! which capture points / ifindexes / VLANs / next-hop MACs / NAT pools belong to which path, and
//! the on-premises servers of a hybrid deployment.
//!
//! Errors name the file, the line and the key, e.g.
//! `site.toml:7: path[1].macs: "02:00:zz:00:0e:01" is not a MAC address ...`. Array-of-tables
//! blocks are numbered from 0 in key paths (`path[0]` is the first `[[path]]`).
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
//! - A missing `[site]` table is allowed (default name, internal list, expressroute rule above).
//! - Duplicates are errors: two `[[path]]` blocks with the same name; the same interface, ifindex,
//!   VLAN or MAC listed twice (under one path or two); NAT prefixes that are equal or overlap;
//!   two `[[server]]` blocks with the same address.
//! - Prefixes must not have host bits set (`192.0.2.17/28` is an error that suggests
//!   `192.0.2.16/28`); a bare address is a /32 or /128.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use toml::Spanned;

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
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        file: String,
        /// 1-based line of the offending value (or key, or table header).
        line: usize,
        /// Key path, e.g. `path[1].macs` or `site.internal`.
        key: String,
        kind: SiteErrorKind,
        message: String,
    },
}

impl SiteError {
    /// The kind of an `Invalid` error; None for I/O errors.
    pub fn kind(&self) -> Option<SiteErrorKind> {
        match self {
            SiteError::Io { .. } => None,
            SiteError::Invalid { kind, .. } => Some(*kind),
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
        let raw: RawProfile = toml::from_str(text).map_err(|e| toml_error(text, file_label, &e))?;
        Validator {
            text,
            file: file_label,
        }
        .site(raw)
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

/// Parses a MAC address: six two-digit hex bytes separated by all ':' or all '-', any case
/// (IEEE 802 canonical form `02-00-00-00-0E-01`, or the common `02:00:00:00:0e:01`).
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let sep = if s.contains(':') { ':' } else { '-' };
    let mut out = [0u8; 6];
    let mut n = 0;
    for part in s.split(sep) {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let slot = out.get_mut(n)?;
        *slot = u8::from_str_radix(part, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(out)
}

/// `02:00:00:00:0e:01`.
pub fn format_mac(mac: [u8; 6]) -> String {
    let [a, b, c, d, e, f] = mac;
    format!("{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
}

// ---- raw TOML shape -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    site: Option<RawSite>,
    #[serde(default)]
    path: Vec<RawPath>,
    #[serde(default)]
    server: Vec<RawServer>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: Option<Spanned<String>>,
    internal: Option<Vec<Spanned<String>>>,
    expressroute: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    name: Spanned<String>,
    #[serde(default)]
    interfaces: Vec<Spanned<String>>,
    #[serde(default)]
    ifindexes: Vec<Spanned<i64>>,
    #[serde(default)]
    vlans: Vec<Spanned<i64>>,
    #[serde(default)]
    macs: Vec<Spanned<String>>,
    #[serde(default)]
    nat: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    role: Spanned<String>,
    address: Spanned<String>,
}

// ---- validation ----------------------------------------------------------------------------
//
// Checking order, which decides the one mistake reported when a profile has several: `[site]`,
// then each `[[path]]` block (name, interfaces, ifindexes, vlans, macs, nat, whatever order the
// file writes them in), then each `[[server]]` block (role, address).

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
}

/// Where a value was first seen: block index and line.
type Seen = (usize, usize);

/// What is wrong with one value, before it is placed at its file, line and key.
type Mistake = (SiteErrorKind, String);

/// `[site]`, checked; `expressroute` is None when the profile does not say.
#[derive(Default)]
struct SiteTable {
    name: Option<String>,
    internal: Option<Vec<IpNetwork>>,
    expressroute: Option<bool>,
}

/// What the `[[path]]` blocks checked so far list, and where. Each value may be listed once in
/// the whole profile: listed under two paths, the path of its packets would depend on the order
/// of the blocks.
#[derive(Default)]
struct Listed {
    names: FxHashMap<PathName, Seen>,
    interfaces: FxHashMap<String, Seen>,
    ifindexes: FxHashMap<u32, Seen>,
    vlans: FxHashMap<u16, Seen>,
    macs: FxHashMap<[u8; 6], Seen>,
    nat: Vec<NatSeen>,
}

/// A NAT prefix already listed: prefixes clash when they overlap, not only when equal.
struct NatSeen {
    net: IpNetwork,
    seen: Seen,
    path: PathName,
}

impl NatSeen {
    /// Why `net`, listed in path block `i`, clashes with this prefix listed before it.
    fn clash(&self, i: usize, net: IpNetwork) -> String {
        let (j, l) = self.seen;
        let place = if j == i {
            "this path".to_owned()
        } else {
            format!("path[{j}] ({})", self.path)
        };
        let other = self.net;
        if other == net {
            format!("{net} is already listed under {place} at line {l}")
        } else {
            format!("{net} overlaps NAT prefix {other} under {place} at line {l}")
        }
    }
}

/// `path[1].macs`.
fn path_key(i: usize, field: &str) -> String {
    format!("path[{i}].{field}")
}

/// `server[0].role`.
fn server_key(i: usize, field: &str) -> String {
    format!("server[{i}].{field}")
}

impl Validator<'_> {
    fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        key: String,
        kind: SiteErrorKind,
        message: String,
    ) -> Result<T, SiteError> {
        Err(SiteError::Invalid {
            file: self.file.to_owned(),
            line: line_of(self.text, span.start),
            key,
            kind,
            message,
        })
    }

    fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    /// The whole profile, in the checking order above.
    fn site(&self, raw: RawProfile) -> Result<Site, SiteError> {
        let table = match raw.site {
            Some(s) => self.site_table(s)?,
            None => SiteTable::default(),
        };
        let paths = self.path_rules(&raw.path)?;
        let servers = self.servers(&raw.server)?;
        // Not said: the site has ExpressRoute when the profile describes a path over it.
        let expressroute = table
            .expressroute
            .unwrap_or_else(|| paths.iter().any(|p| p.name == PathName::Expressroute));
        Ok(Site {
            name: table.name,
            expressroute,
            internal: table.internal.unwrap_or_else(default_internal),
            paths,
            servers,
        })
    }

    /// `[site]`: a name that is not blank, the internal prefixes, the ExpressRoute flag.
    fn site_table(&self, s: RawSite) -> Result<SiteTable, SiteError> {
        let name = match &s.name {
            Some(n) => Some(self.value(n, "site.name".into(), |v| site_name(v))?),
            None => None,
        };
        let internal = match &s.internal {
            Some(list) => Some(
                list.iter()
                    .map(|p| self.value(p, "site.internal".into(), |v| prefix(v)))
                    .collect::<Result<_, _>>()?,
            ),
            None => None,
        };
        Ok(SiteTable {
            name,
            internal,
            expressroute: s.expressroute,
        })
    }

    /// Each `[[path]]` block in turn, against what the blocks before it list.
    fn path_rules(&self, raw: &[RawPath]) -> Result<Vec<PathRule>, SiteError> {
        let mut listed = Listed::default();
        let mut rules = Vec::with_capacity(raw.len());
        for (i, p) in raw.iter().enumerate() {
            rules.push(self.path_rule(i, p, &mut listed)?);
        }
        Ok(rules)
    }

    /// One `[[path]]` block, field by field (struct fields are evaluated in the order written).
    fn path_rule(&self, i: usize, p: &RawPath, listed: &mut Listed) -> Result<PathRule, SiteError> {
        let name = self.unique_path_name(i, &p.name, &mut listed.names)?;
        Ok(PathRule {
            name,
            interfaces: self.list(
                i,
                "interfaces",
                &p.interfaces,
                &mut listed.interfaces,
                |v| interface_name(v),
                |v| format!("interface {v:?}"),
            )?,
            ifindexes: self.list(
                i,
                "ifindexes",
                &p.ifindexes,
                &mut listed.ifindexes,
                |v| ifindex(*v),
                |ix| format!("ifindex {ix}"),
            )?,
            vlans: self.list(
                i,
                "vlans",
                &p.vlans,
                &mut listed.vlans,
                |v| vlan_id(*v),
                |vid| format!("VLAN {vid}"),
            )?,
            macs: self.list(
                i,
                "macs",
                &p.macs,
                &mut listed.macs,
                |v| mac_address(v),
                |mac| format!("MAC {}", format_mac(*mac)),
            )?,
            nat: self.nat_pools(i, name, &p.nat, &mut listed.nat)?,
        })
    }

    /// `name`: a path, named by one block only.
    fn unique_path_name(
        &self,
        i: usize,
        s: &Spanned<String>,
        names: &mut FxHashMap<PathName, Seen>,
    ) -> Result<PathName, SiteError> {
        let name = self.value(s, path_key(i, "name"), |v| path_name(v))?;
        if let Some(&(j, l)) = names.get(&name) {
            return self.err(
                s.span(),
                path_key(i, "name"),
                SiteErrorKind::Duplicate,
                format!(
                    "{:?} is already the name of path[{j}] at line {l}",
                    name.as_str()
                ),
            );
        }
        names.insert(name, (i, self.line(s.span())));
        Ok(name)
    }

    /// One list of a `[[path]]` block (`interfaces`, `ifindexes`, `vlans`, `macs`): each value
    /// must pass `rule` and not be listed before (`what` names it in that error).
    fn list<R, K: Clone + std::hash::Hash + Eq>(
        &self,
        i: usize,
        field: &str,
        raw: &[Spanned<R>],
        seen: &mut FxHashMap<K, Seen>,
        rule: impl Fn(&R) -> Result<K, Mistake>,
        what: impl Fn(&K) -> String,
    ) -> Result<Vec<K>, SiteError> {
        let mut values = Vec::with_capacity(raw.len());
        for s in raw {
            let v = self.value(s, path_key(i, field), &rule)?;
            self.unique(seen, v.clone(), s.span(), i, path_key(i, field), || {
                what(&v)
            })?;
            values.push(v);
        }
        Ok(values)
    }

    /// `nat`: source-NAT pools. No two may overlap, in one block or across blocks: an address
    /// in two pools would name two paths.
    fn nat_pools(
        &self,
        i: usize,
        path: PathName,
        raw: &[Spanned<String>],
        listed: &mut Vec<NatSeen>,
    ) -> Result<Vec<IpNetwork>, SiteError> {
        let mut pools = Vec::with_capacity(raw.len());
        for s in raw {
            let net = self.value(s, path_key(i, "nat"), |v| prefix(v))?;
            if let Some(first) = listed.iter().find(|o| overlaps(&o.net, &net)) {
                let message = first.clash(i, net);
                return self.err(
                    s.span(),
                    path_key(i, "nat"),
                    SiteErrorKind::Duplicate,
                    message,
                );
            }
            listed.push(NatSeen {
                net,
                seen: (i, self.line(s.span())),
                path,
            });
            pools.push(net);
        }
        Ok(pools)
    }

    /// Each `[[server]]` block: a known role, and an address no other block has.
    fn servers(&self, raw: &[RawServer]) -> Result<Vec<Server>, SiteError> {
        let mut servers = Vec::with_capacity(raw.len());
        let mut addrs: FxHashMap<IpAddr, Seen> = FxHashMap::default();
        for (i, s) in raw.iter().enumerate() {
            let role = self.value(&s.role, server_key(i, "role"), |v| server_role(v))?;
            let address =
                self.value(&s.address, server_key(i, "address"), |v| server_address(v))?;
            if let Some(&(j, l)) = addrs.get(&address) {
                return self.err(
                    s.address.span(),
                    server_key(i, "address"),
                    SiteErrorKind::Duplicate,
                    format!("{address} is already server[{j}] at line {l}"),
                );
            }
            addrs.insert(address, (i, self.line(s.address.span())));
            servers.push(Server { role, address });
        }
        Ok(servers)
    }

    /// One value through its rule; a mistake is placed at the value's line, under `key`.
    fn value<R, T>(
        &self,
        s: &Spanned<R>,
        key: String,
        rule: impl FnOnce(&R) -> Result<T, Mistake>,
    ) -> Result<T, SiteError> {
        rule(s.get_ref()).or_else(|(kind, message)| self.err(s.span(), key, kind, message))
    }

    /// Records `value` as seen in path block `i`, or reports where it was seen first.
    fn unique<K: std::hash::Hash + Eq>(
        &self,
        seen: &mut FxHashMap<K, Seen>,
        value: K,
        span: std::ops::Range<usize>,
        i: usize,
        key: String,
        what: impl Fn() -> String,
    ) -> Result<(), SiteError> {
        let line = line_of(self.text, span.start);
        if let Some(&(j, l)) = seen.get(&value) {
            let place = if j == i {
                "this path".to_owned()
            } else {
                format!("path[{j}]")
            };
            return self.err(
                span,
                key,
                SiteErrorKind::Duplicate,
                format!("{} is already listed under {place} at line {l}", what()),
            );
        }
        seen.insert(value, (i, line));
        Ok(())
    }
}

// ---- value rules: one value, no position ---------------------------------------------------

/// The site's name: any text that is not blank.
fn site_name(v: &str) -> Result<String, Mistake> {
    if v.trim().is_empty() {
        return Err((SiteErrorKind::BadValue, "is empty".into()));
    }
    Ok(v.to_owned())
}

/// `expressroute`, `internet` or `local`, as written (lowercase).
fn path_name(v: &str) -> Result<PathName, Mistake> {
    PathName::parse(v).ok_or_else(|| {
        (
            SiteErrorKind::UnknownPath,
            format!("{v:?} is not a path (expressroute, internet or local)"),
        )
    })
}

/// A capture point's name: any text but the empty string.
fn interface_name(v: &str) -> Result<String, Mistake> {
    if v.is_empty() {
        return Err((SiteErrorKind::BadValue, "an interface name is empty".into()));
    }
    Ok(v.to_owned())
}

/// A Linux interface index: SLL2 carries it as a 32-bit field (LINKTYPE_LINUX_SLL2).
fn ifindex(v: i64) -> Result<u32, Mistake> {
    u32::try_from(v).map_err(|_| {
        (
            SiteErrorKind::BadIfindex,
            format!("{v} is not an interface index (0-4294967295)"),
        )
    })
}

/// IEEE 802.1Q: the VLAN identifier is a 12-bit field.
fn vlan_id(v: i64) -> Result<u16, Mistake> {
    match u16::try_from(v) {
        Ok(vid) if vid <= 4095 => Ok(vid),
        _ => Err((
            SiteErrorKind::BadVlan,
            format!("{v} is not a VLAN id (0-4095, IEEE 802.1Q)"),
        )),
    }
}

/// A MAC address in either common spelling (see `parse_mac`).
fn mac_address(v: &str) -> Result<[u8; 6], Mistake> {
    parse_mac(v).ok_or_else(|| {
        (
            SiteErrorKind::BadMac,
            format!("{v:?} is not a MAC address (six hex bytes separated by ':' or '-')"),
        )
    })
}

/// A server role, as `ServerRole` spells it.
fn server_role(v: &str) -> Result<ServerRole, Mistake> {
    ServerRole::parse(v).ok_or_else(|| {
        (
            SiteErrorKind::UnknownRole,
            format!(
                "{v:?} is not a server role (front-end, edge, conferencing, mediation, \
                 cloud-connector or sbc)"
            ),
        )
    })
}

/// One address; IPv4-mapped IPv6 is kept as IPv4, the form lookups compare (`canonical`).
fn server_address(v: &str) -> Result<IpAddr, Mistake> {
    match v.trim().parse::<IpAddr>() {
        Ok(a) => Ok(canonical(a)),
        Err(_) => Err((
            SiteErrorKind::BadAddress,
            format!("{v:?} is not an IPv4 or IPv6 address"),
        )),
    }
}

/// A prefix `addr/len` (or a bare address: /32, /128) without host bits set.
fn prefix(v: &str) -> Result<IpNetwork, Mistake> {
    let bad = |why: String| {
        Err((
            SiteErrorKind::BadPrefix,
            format!("{v:?} is not a prefix: {why}"),
        ))
    };
    let text = v.trim();
    let (addr, len) = match text.split_once('/') {
        Some((a, l)) => {
            if l.is_empty() || !l.bytes().all(|b| b.is_ascii_digit()) {
                return bad(format!("prefix length {l:?} is not a number"));
            }
            let Ok(len) = l.parse::<u8>() else {
                return bad(format!("prefix length {l} is too long"));
            };
            (a, Some(len))
        }
        None => (text, None),
    };
    let net = if let Ok(a) = addr.parse::<Ipv4Addr>() {
        Ipv4Network::new(a, len.unwrap_or(32)).map(IpNetwork::V4)
    } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
        Ipv6Network::new(a, len.unwrap_or(128)).map(IpNetwork::V6)
    } else {
        return bad(format!("{addr:?} is not an IPv4 or IPv6 address"));
    };
    let Ok(net) = net else {
        return bad("the prefix length is too long for the address family".into());
    };
    if net.network() != net.ip() {
        let fixed = IpNetwork::new(net.network(), net.prefix())
            .map_or_else(|_| String::new(), |n| format!(" (did you mean {n}?)"));
        return bad(format!("host bits are set{fixed}"));
    }
    Ok(unmap(net))
}

/// An IPv4-mapped IPv6 prefix (`::ffff:a.b.c.d/len`, len >= 96) as the IPv4 prefix it covers:
/// addresses are looked up as IPv4 (`canonical`), so mapped prefixes must be too.
fn unmap(net: IpNetwork) -> IpNetwork {
    if let IpNetwork::V6(n) = net {
        if let (Some(a), Some(len)) = (n.ip().to_ipv4_mapped(), n.prefix().checked_sub(96)) {
            if let Ok(v4) = Ipv4Network::new(a, len) {
                return IpNetwork::V4(v4);
            }
        }
    }
    net
}

fn overlaps(a: &IpNetwork, b: &IpNetwork) -> bool {
    net_contains(a, b.ip()) || net_contains(b, a.ip())
}

/// A TOML-level error (syntax, unknown key, wrong type, missing key) with file, line and key.
/// The `toml` crate does not expose the key path, so it is recovered from the text around the
/// error's position: the enclosing table header and the `key =` at or above that line.
fn toml_error(text: &str, file: &str, e: &toml::de::Error) -> SiteError {
    let offset = e.span().map_or(0, |s| s.start);
    let message = e.message().trim().replace('\n', "; ");
    let kind = if message.starts_with("unknown field") {
        SiteErrorKind::UnknownKey
    } else if message.starts_with("invalid type")
        || message.starts_with("missing field")
        || message.starts_with("invalid value")
        || message.starts_with("invalid length")
    {
        SiteErrorKind::BadValue
    } else {
        SiteErrorKind::Syntax
    };
    let mut key = key_path_at(text, offset).unwrap_or_else(|| "(toml)".to_owned());
    if kind == SiteErrorKind::UnknownKey {
        // The span is the unknown key itself; name it (`site.nmae`), not just its table.
        if let Some(k) = message
            .strip_prefix("unknown field `")
            .and_then(|m| m.split('`').next())
        {
            if !key.ends_with(k) {
                key = if key == "(toml)" || key.is_empty() {
                    k.to_owned()
                } else {
                    format!("{key}.{k}")
                };
            }
        }
    }
    SiteError::Invalid {
        file: file.to_owned(),
        line: line_of(text, offset),
        key,
        kind,
        message,
    }
}

/// Best-effort key path (`path[1].macs`) of the byte at `offset`: the last table header before
/// it (array-of-tables numbered from 0) and the last `key =` at or before its line.
fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let mut table = String::new();
    let mut counts: FxHashMap<String, usize> = FxHashMap::default();
    let mut key: Option<String> = None;
    let mut pos = 0usize;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if let Some(h) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim().to_owned();
            let n = counts.entry(h.clone()).or_insert(0);
            table = format!("{h}[{n}]");
            *n += 1;
            key = None;
        } else if let Some(h) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = h.trim().to_owned();
            key = None;
        } else if let Some((k, _)) = t.split_once('=') {
            let k = k.trim();
            if !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
            {
                key = Some(k.to_owned());
            }
        }
        pos += line.len();
        if pos > offset {
            break;
        }
    }
    match (table.is_empty(), key) {
        (true, None) => None,
        (true, Some(k)) => Some(k),
        (false, None) => Some(table),
        (false, Some(k)) => Some(format!("{table}.{k}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"[site]
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

    fn parse(text: &str) -> Result<Site, SiteError> {
        Site::from_toml_str(text, "site.toml")
    }

    /// Replaces `from` with `to` in the example and expects an error of `kind` at `line` on `key`.
    fn bad(from: &str, to: &str, kind: SiteErrorKind, line: usize, key: &str) -> String {
        assert!(EXAMPLE.contains(from), "{from}");
        let text = EXAMPLE.replacen(from, to, 1);
        expect_err(&text, kind, line, key)
    }

    fn expect_err(text: &str, kind: SiteErrorKind, line: usize, key: &str) -> String {
        let e = parse(text).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.kind(), Some(kind), "{msg}");
        assert!(
            msg.starts_with(&format!("site.toml:{line}: {key}: ")),
            "want site.toml:{line}: {key}: ..., got {msg}"
        );
        msg
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
        // An empty profile is the default site too.
        assert_eq!(parse("").unwrap(), Site::default());
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
    fn mac_forms() {
        assert_eq!(parse_mac("02:00:00:00:0E:01"), Some([2, 0, 0, 0, 14, 1]));
        assert_eq!(parse_mac("02-00-00-00-0e-01"), Some([2, 0, 0, 0, 14, 1]));
        for bad in [
            "02:00:00:00:0e",
            "02:00:00:00:0e:01:02",
            "02:00-00:00:0e:01",
            "2:0:0:0:e:1",
            "02:00:00:00:0e:zz",
            "0200.0000.0e01",
            "",
            "02:00:00:00:0e:+1",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
        assert_eq!(format_mac([2, 0, 0, 0, 14, 1]), "02:00:00:00:0e:01");
    }

    #[test]
    fn error_unknown_keys() {
        bad(
            "name = \"contoso-hq\"",
            "nmae = \"contoso-hq\"",
            SiteErrorKind::UnknownKey,
            2,
            "site.nmae",
        );
        bad(
            "vlans = [100]",
            "vlan = [100]",
            SiteErrorKind::UnknownKey,
            10,
            "path[0].vlan",
        );
        bad(
            "macs = [\"02-00",
            "mac = [\"02-00",
            SiteErrorKind::UnknownKey,
            19,
            "path[1].mac",
        );
        bad(
            "[[server]]\nrole = \"front-end\"",
            "[[server]]\nrloe = \"front-end\"",
            SiteErrorKind::UnknownKey,
            23,
            "server[0].rloe",
        );
        let msg = expect_err(
            "[sites]\nname = \"x\"\n",
            SiteErrorKind::UnknownKey,
            1,
            "sites",
        );
        assert!(msg.contains("unknown field `sites`"), "{msg}");
        expect_err(
            "[site]\nname = \"x\"\ncolour = 1\n",
            SiteErrorKind::UnknownKey,
            3,
            "site.colour",
        );
    }

    #[test]
    fn error_bad_values_and_syntax() {
        bad(
            "vlans = [100]",
            "vlans = [\"100\"]",
            SiteErrorKind::BadValue,
            10,
            "path[0].vlans",
        );
        bad(
            "expressroute = true",
            "expressroute = \"yes\"",
            SiteErrorKind::BadValue,
            4,
            "site.expressroute",
        );
        bad(
            "name = \"internet\"",
            "name = 5",
            SiteErrorKind::BadValue,
            15,
            "path[1].name",
        );
        bad(
            "name = \"contoso-hq\"",
            "name = \"\"",
            SiteErrorKind::BadValue,
            2,
            "site.name",
        );
        bad(
            "interfaces = [\"er0\"]",
            "interfaces = [\"\"]",
            SiteErrorKind::BadValue,
            8,
            "path[0].interfaces",
        );
        let msg = expect_err(
            "[[path]]\nvlans = [1]\n",
            SiteErrorKind::BadValue,
            1,
            "path[0]",
        );
        assert!(msg.contains("missing field `name`"), "{msg}");
        let msg = expect_err(
            "[site]\nname = \"x\n",
            SiteErrorKind::Syntax,
            2,
            "site.name",
        );
        assert!(msg.starts_with("site.toml:2:"), "{msg}");
        expect_err("[site\n", SiteErrorKind::Syntax, 1, "site");
        expect_err("= 3\n", SiteErrorKind::Syntax, 1, "(toml)");
    }

    #[test]
    fn error_bad_prefixes() {
        let msg = bad(
            "\"192.0.2.0/26\"",
            "\"192.0.2.0/33\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        assert!(msg.contains("\"192.0.2.0/33\" is not a prefix"), "{msg}");
        bad(
            "\"2001:db8::/32\"",
            "\"2001:db8::/129\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        bad(
            "\"10.0.0.0/8\"",
            "\"10.0.0/8\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        bad(
            "\"10.0.0.0/8\"",
            "\"10.0.0.0/\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        bad(
            "\"10.0.0.0/8\"",
            "\"10.0.0.0/x\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        bad(
            "\"10.0.0.0/8\"",
            "\"10.0.0.0/300\"",
            SiteErrorKind::BadPrefix,
            3,
            "site.internal",
        );
        let msg = bad(
            "nat = [\"192.0.2.16/28\"]",
            "nat = [\"192.0.2.17/28\"]",
            SiteErrorKind::BadPrefix,
            12,
            "path[0].nat",
        );
        assert!(msg.contains("did you mean 192.0.2.16/28?"), "{msg}");
        // A bare address is a host prefix.
        let s = parse("[site]\ninternal = [\"192.0.2.7\", \"2001:db8::7\"]\n").unwrap();
        assert_eq!(s.internal[0].to_string(), "192.0.2.7/32");
        assert_eq!(s.internal[1].prefix(), 128);
    }

    #[test]
    fn error_bad_mac_vlan_ifindex() {
        let msg = bad(
            "\"02:00:00:00:0e:01\"",
            "\"02:00:zz:00:0e:01\"",
            SiteErrorKind::BadMac,
            11,
            "path[0].macs",
        );
        assert!(
            msg.contains("\"02:00:zz:00:0e:01\" is not a MAC address"),
            "{msg}"
        );
        let msg = bad(
            "vlans = [100]",
            "vlans = [100, 4096]",
            SiteErrorKind::BadVlan,
            10,
            "path[0].vlans",
        );
        assert!(msg.contains("4096 is not a VLAN id"), "{msg}");
        bad(
            "vlans = [100]",
            "vlans = [-1]",
            SiteErrorKind::BadVlan,
            10,
            "path[0].vlans",
        );
        bad(
            "ifindexes = [4]",
            "ifindexes = [-4]",
            SiteErrorKind::BadIfindex,
            17,
            "path[1].ifindexes",
        );
        bad(
            "ifindexes = [4]",
            "ifindexes = [4294967296]",
            SiteErrorKind::BadIfindex,
            17,
            "path[1].ifindexes",
        );
    }

    #[test]
    fn error_bad_vlan_in_multiline_array() {
        let text = "[[path]]\nname = \"internet\"\nvlans = [\n  1,\n  2,\n  9999,\n]\n";
        expect_err(text, SiteErrorKind::BadVlan, 6, "path[0].vlans");
    }

    #[test]
    fn error_unknown_path_and_role() {
        let msg = bad(
            "name = \"internet\"",
            "name = \"mpls\"",
            SiteErrorKind::UnknownPath,
            15,
            "path[1].name",
        );
        assert!(msg.contains("\"mpls\" is not a path"), "{msg}");
        bad(
            "name = \"internet\"",
            "name = \"Internet\"",
            SiteErrorKind::UnknownPath,
            15,
            "path[1].name",
        );
        let msg = bad(
            "role = \"front-end\"",
            "role = \"gateway\"",
            SiteErrorKind::UnknownRole,
            23,
            "server[0].role",
        );
        assert!(msg.contains("\"gateway\" is not a server role"), "{msg}");
        bad(
            "address = \"10.30.0.10\"",
            "address = \"10.30.0.0/24\"",
            SiteErrorKind::BadAddress,
            24,
            "server[0].address",
        );
    }

    #[test]
    fn error_duplicates() {
        // The same path name twice.
        let msg = bad(
            "name = \"internet\"",
            "name = \"expressroute\"",
            SiteErrorKind::Duplicate,
            15,
            "path[1].name",
        );
        assert!(
            msg.contains("is already the name of path[0] at line 7"),
            "{msg}"
        );
        // An interface under two paths, and twice under one.
        let msg = bad(
            "[\"inet0\", ",
            "[\"er0\", ",
            SiteErrorKind::Duplicate,
            16,
            "path[1].interfaces",
        );
        assert!(
            msg.contains("interface \"er0\" is already listed under path[0] at line 8"),
            "{msg}"
        );
        let msg = bad(
            "[\"er0\"]",
            "[\"er0\", \"er0\"]",
            SiteErrorKind::Duplicate,
            8,
            "path[0].interfaces",
        );
        assert!(msg.contains("under this path"), "{msg}");
        bad(
            "ifindexes = [4]",
            "ifindexes = [3]",
            SiteErrorKind::Duplicate,
            17,
            "path[1].ifindexes",
        );
        bad(
            "vlans = [200,",
            "vlans = [100,",
            SiteErrorKind::Duplicate,
            18,
            "path[1].vlans",
        );
        bad(
            "vlans = [100]",
            "vlans = [100, 100]",
            SiteErrorKind::Duplicate,
            10,
            "path[0].vlans",
        );
        // The same MAC in another spelling.
        let msg = bad(
            "02-00-00-00-0F-01",
            "02-00-00-00-0E-01",
            SiteErrorKind::Duplicate,
            19,
            "path[1].macs",
        );
        assert!(
            msg.contains("MAC 02:00:00:00:0e:01 is already listed under path[0] at line 11"),
            "{msg}"
        );
        // NAT: equal and overlapping prefixes.
        let msg = bad(
            "\"192.0.2.32/28\"",
            "\"192.0.2.16/28\"",
            SiteErrorKind::Duplicate,
            20,
            "path[1].nat",
        );
        assert!(
            msg.contains("under path[0] (expressroute) at line 12"),
            "{msg}"
        );
        let msg = bad(
            "\"192.0.2.32/28\"",
            "\"192.0.2.0/24\"",
            SiteErrorKind::Duplicate,
            20,
            "path[1].nat",
        );
        assert!(
            msg.contains("192.0.2.0/24 overlaps NAT prefix 192.0.2.16/28"),
            "{msg}"
        );
        bad(
            "nat = [\"192.0.2.16/28\"]",
            "nat = [\"192.0.2.16/28\", \"192.0.2.16/28\"]",
            SiteErrorKind::Duplicate,
            12,
            "path[0].nat",
        );
        // A server address twice.
        let msg = bad(
            "address = \"2001:db8::cc\"",
            "address = \"10.30.0.10\"",
            SiteErrorKind::Duplicate,
            28,
            "server[1].address",
        );
        assert!(msg.contains("already server[0] at line 24"), "{msg}");
    }

    /// Every message the validator writes, word for word: SPEC promises errors that name the
    /// file, line and key, and a refactoring must not change one byte of what users see.
    #[test]
    fn validation_messages_word_for_word() {
        let cases = [
            (
                "name = \"contoso-hq\"",
                "name = \" \"",
                "site.toml:2: site.name: is empty",
            ),
            (
                "\"10.0.0.0/8\"",
                "\"10.0.0.0/x\"",
                "site.toml:3: site.internal: \"10.0.0.0/x\" is not a prefix: prefix length \"x\" \
                 is not a number",
            ),
            (
                "\"10.0.0.0/8\"",
                "\"10.0.0.0/300\"",
                "site.toml:3: site.internal: \"10.0.0.0/300\" is not a prefix: prefix length 300 \
                 is too long",
            ),
            (
                "\"10.0.0.0/8\"",
                "\"10.0.0/8\"",
                "site.toml:3: site.internal: \"10.0.0/8\" is not a prefix: \"10.0.0\" is not an \
                 IPv4 or IPv6 address",
            ),
            (
                "\"192.0.2.0/26\"",
                "\"192.0.2.0/33\"",
                "site.toml:3: site.internal: \"192.0.2.0/33\" is not a prefix: the prefix length \
                 is too long for the address family",
            ),
            (
                "nat = [\"192.0.2.16/28\"]",
                "nat = [\"192.0.2.17/28\"]",
                "site.toml:12: path[0].nat: \"192.0.2.17/28\" is not a prefix: host bits are set \
                 (did you mean 192.0.2.16/28?)",
            ),
            (
                "name = \"internet\"",
                "name = \"mpls\"",
                "site.toml:15: path[1].name: \"mpls\" is not a path (expressroute, internet or \
                 local)",
            ),
            (
                "name = \"internet\"",
                "name = \"expressroute\"",
                "site.toml:15: path[1].name: \"expressroute\" is already the name of path[0] at \
                 line 7",
            ),
            (
                "interfaces = [\"er0\"]",
                "interfaces = [\"\"]",
                "site.toml:8: path[0].interfaces: an interface name is empty",
            ),
            (
                "[\"inet0\", ",
                "[\"er0\", ",
                "site.toml:16: path[1].interfaces: interface \"er0\" is already listed under \
                 path[0] at line 8",
            ),
            (
                "[\"er0\"]",
                "[\"er0\", \"er0\"]",
                "site.toml:8: path[0].interfaces: interface \"er0\" is already listed under this \
                 path at line 8",
            ),
            (
                "ifindexes = [4]",
                "ifindexes = [-4]",
                "site.toml:17: path[1].ifindexes: -4 is not an interface index (0-4294967295)",
            ),
            (
                "ifindexes = [4]",
                "ifindexes = [3]",
                "site.toml:17: path[1].ifindexes: ifindex 3 is already listed under path[0] at \
                 line 9",
            ),
            (
                "vlans = [100]",
                "vlans = [100, 4096]",
                "site.toml:10: path[0].vlans: 4096 is not a VLAN id (0-4095, IEEE 802.1Q)",
            ),
            (
                "vlans = [200,",
                "vlans = [100,",
                "site.toml:18: path[1].vlans: VLAN 100 is already listed under path[0] at line 10",
            ),
            (
                "vlans = [100]",
                "vlans = [100, 100]",
                "site.toml:10: path[0].vlans: VLAN 100 is already listed under this path at line \
                 10",
            ),
            (
                "\"02:00:00:00:0e:01\"",
                "\"02:00:zz:00:0e:01\"",
                "site.toml:11: path[0].macs: \"02:00:zz:00:0e:01\" is not a MAC address (six hex \
                 bytes separated by ':' or '-')",
            ),
            (
                "02-00-00-00-0F-01",
                "02-00-00-00-0E-01",
                "site.toml:19: path[1].macs: MAC 02:00:00:00:0e:01 is already listed under \
                 path[0] at line 11",
            ),
            (
                "\"192.0.2.32/28\"",
                "\"192.0.2.16/28\"",
                "site.toml:20: path[1].nat: 192.0.2.16/28 is already listed under path[0] \
                 (expressroute) at line 12",
            ),
            (
                "\"192.0.2.32/28\"",
                "\"192.0.2.0/24\"",
                "site.toml:20: path[1].nat: 192.0.2.0/24 overlaps NAT prefix 192.0.2.16/28 under \
                 path[0] (expressroute) at line 12",
            ),
            (
                "nat = [\"192.0.2.16/28\"]",
                "nat = [\"192.0.2.16/28\", \"192.0.2.16/28\"]",
                "site.toml:12: path[0].nat: 192.0.2.16/28 is already listed under this path at \
                 line 12",
            ),
            (
                "\"2001:db8:1::/48\"",
                "\"192.0.2.40/29\"",
                "site.toml:20: path[1].nat: 192.0.2.40/29 overlaps NAT prefix 192.0.2.32/28 under \
                 this path at line 20",
            ),
            (
                "role = \"front-end\"",
                "role = \"gateway\"",
                "site.toml:23: server[0].role: \"gateway\" is not a server role (front-end, edge, \
                 conferencing, mediation, cloud-connector or sbc)",
            ),
            (
                "address = \"10.30.0.10\"",
                "address = \"10.30.0.0/24\"",
                "site.toml:24: server[0].address: \"10.30.0.0/24\" is not an IPv4 or IPv6 address",
            ),
            (
                "address = \"2001:db8::cc\"",
                "address = \"::ffff:10.30.0.10\"",
                "site.toml:28: server[1].address: 10.30.0.10 is already server[0] at line 24",
            ),
        ];
        for (from, to, want) in cases {
            assert!(EXAMPLE.contains(from), "{from}");
            let got = parse(&EXAMPLE.replacen(from, to, 1)).unwrap_err();
            assert_eq!(got.to_string(), want, "{from} -> {to}");
        }
    }

    /// With several mistakes, the first one reported is the first in checking order: `[site]`,
    /// then each `[[path]]` (name, interfaces, ifindexes, VLANs, MACs, NAT, whatever order the
    /// file writes them in), then each `[[server]]` (role, address).
    #[test]
    fn first_mistake_in_checking_order() {
        let cases = [
            (
                "[[server]]\nrole = \"x\"\naddress = \"x\"\n[site]\nname = \"\"\n",
                "site.toml:5: site.name: is empty",
            ),
            (
                "[site]\nname = \"\"\ninternal = [\"x\"]\n",
                "site.toml:2: site.name: is empty",
            ),
            (
                "[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\nvlans = [5000]\nifindexes = [-1]\n\
                 interfaces = [\"\"]\nname = \"x\"\n",
                "site.toml:7: path[0].name: \"x\" is not a path (expressroute, internet or local)",
            ),
            (
                "[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\nvlans = [5000]\nifindexes = [-1]\n\
                 interfaces = [\"\"]\nname = \"local\"\n",
                "site.toml:6: path[0].interfaces: an interface name is empty",
            ),
            (
                "[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\nvlans = [5000]\nifindexes = [-1]\n\
                 name = \"local\"\n",
                "site.toml:5: path[0].ifindexes: -1 is not an interface index (0-4294967295)",
            ),
            (
                "[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\nvlans = [5000]\nname = \"local\"\n",
                "site.toml:4: path[0].vlans: 5000 is not a VLAN id (0-4095, IEEE 802.1Q)",
            ),
            (
                "[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\nname = \"local\"\n",
                "site.toml:3: path[0].macs: \"x\" is not a MAC address (six hex bytes separated \
                 by ':' or '-')",
            ),
            (
                "[[server]]\naddress = \"x\"\nrole = \"x\"\n[[path]]\nname = \"local\"\n\
                 vlans = [1, 1]\n",
                "site.toml:6: path[0].vlans: VLAN 1 is already listed under this path at line 6",
            ),
            (
                "[[server]]\naddress = \"x\"\nrole = \"x\"\n",
                "site.toml:3: server[0].role: \"x\" is not a server role (front-end, edge, \
                 conferencing, mediation, cloud-connector or sbc)",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse(text).unwrap_err().to_string(), want, "{text}");
        }
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
        assert_eq!(Site::load(&p).unwrap(), parse(EXAMPLE).unwrap());
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
