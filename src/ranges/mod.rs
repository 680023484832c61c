//! Office 365 endpoint sets (the JSON of Microsoft's endpoints web service) -> an allocation-free
//! longest-prefix lookup for IPv4 and IPv6 that gives a flow its endpoint set.
//!
//! Format and field meanings: "Office 365 IP Address and URL web service",
//! <https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-ip-web-service>
//! (`GET https://endpoints.office.com/endpoints/<instance>`). The answer is a JSON array of
//! endpoint sets; `id`, `serviceArea`, `category`, `expressRoute` and `required` are always present,
//! the service omits the other fields when blank, and fields this module does not know are ignored.
//!
//! Which set a flow gets ([`Ranges::lookup`]):
//! 1. the longest prefix that contains the address wins (a router follows the most specific route,
//!    RFC 1812 §5.2.4.3, and ExpressRoute works by advertising more specific prefixes:
//!    "Asymmetric routing with multiple network paths", learn.microsoft.com/azure/expressroute);
//! 2. among the sets listing that prefix, one whose `tcpPorts` / `udpPorts` serve the flow's
//!    transport and server port (worldwide: UDP 3478-3481 -> set 11 Optimize, TCP/UDP 443 -> 12);
//! 3. else the highest-priority category, Optimize > Allow > Default (the web service doc: "if an
//!    address shows up in several sets, follow the highest-priority category");
//! 4. then the lowest id.
//!
//! The index (`index.rs`) is built once: per address family, the prefixes are cut into sorted,
//! disjoint address intervals, each answering with the candidate sets of the longest prefix
//! covering it; a lookup is a one-load filter on the top 8 (IPv4) / 16 (IPv6) address bits, then
//! a binary search. Nothing allocates: a lookup runs for every flow (timings:
//! `benches/RESULTS.md`, kernel `ranges/lookup_v4`).

pub mod cache;
pub mod diff;
mod index;
pub mod lookup;
pub mod update;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use index::{Family, Key};

/// The bundled worldwide snapshot: the sets of Microsoft's worldwide answer that carry `ips`,
/// made by `scripts/make-ip-ranges.py` (see `ip-ranges/PROVENANCE.md`).
pub const BUNDLED_WORLDWIDE: &str = include_str!("../../ip-ranges/worldwide.json");

/// The date the bundled snapshot was fetched (last of 2025-11-14..2025-12-01).
pub const BUNDLED_AS_OF: &str = "2025-12-01";

/// The `source` of the bundled snapshot in reports.
pub const BUNDLED_SOURCE: &str = "bundled";

/// Endpoint set category. Declaration order is priority order (Optimize first), so `Ord` sorts
/// the highest priority first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Category {
    /// Required, most sensitive to network performance (Teams media, id 11).
    Optimize,
    /// Required, less sensitive.
    Allow,
    /// No network optimisation needed.
    Default,
}

impl Category {
    /// The web service's spelling: `Optimize`, `Allow`, `Default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Optimize => "Optimize",
            Category::Allow => "Allow",
            Category::Default => "Default",
        }
    }

    fn parse(s: &str) -> Option<Category> {
        match s {
            "Optimize" => Some(Category::Optimize),
            "Allow" => Some(Category::Allow),
            "Default" => Some(Category::Default),
            _ => None,
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Office 365 instance (cloud) an endpoints file describes; the web service's instance names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Instance {
    /// `https://endpoints.office.com/endpoints/worldwide`
    #[serde(rename = "worldwide")]
    Worldwide,
    /// US Government DoD.
    #[serde(rename = "USGovDoD")]
    UsGovDod,
    /// US Government GCC High.
    #[serde(rename = "USGovGCCHigh")]
    UsGovGccHigh,
    /// Office 365 operated by 21Vianet.
    #[serde(rename = "China")]
    China,
}

impl Instance {
    /// `worldwide`, `USGovDoD`, `USGovGCCHigh` or `China` (as in the JSON report).
    pub fn as_str(self) -> &'static str {
        match self {
            Instance::Worldwide => "worldwide",
            Instance::UsGovDod => "USGovDoD",
            Instance::UsGovGccHigh => "USGovGCCHigh",
            Instance::China => "China",
        }
    }
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Transport of a flow, for matching an endpoint set's `tcpPorts` / `udpPorts`.
pub use crate::decode::Transport;

/// Why a port list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{item:?} {reason}")]
pub struct PortListError {
    /// The offending comma-separated item (trimmed).
    pub item: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// A `tcpPorts` / `udpPorts` value: comma-separated ports or `a-b` ranges, spaces allowed around
/// items (`"143, 587, 993, 995"`, `"443,80"`, `"3478-3481"`). Empty means no ports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortList {
    ranges: Vec<(u16, u16)>,
}

impl PortList {
    /// Parses a web-service port list. The empty (or all-blank) string is the empty list.
    pub fn parse(s: &str) -> Result<PortList, PortListError> {
        let mut ranges = Vec::new();
        if s.trim().is_empty() {
            return Ok(PortList { ranges });
        }
        for item in s.split(',') {
            let item = item.trim();
            let bad = |reason| PortListError {
                item: item.to_owned(),
                reason,
            };
            if item.is_empty() {
                return Err(bad("is empty (stray comma)"));
            }
            let (lo, hi) = match item.split_once('-') {
                Some((a, b)) => (
                    parse_port(a.trim()).ok_or_else(|| bad("is not a port range a-b"))?,
                    parse_port(b.trim()).ok_or_else(|| bad("is not a port range a-b"))?,
                ),
                None => {
                    let p = parse_port(item).ok_or_else(|| bad("is not a port (0-65535)"))?;
                    (p, p)
                }
            };
            if lo > hi {
                return Err(bad("is a range whose start is above its end"));
            }
            ranges.push((lo, hi));
        }
        Ok(PortList { ranges })
    }

    /// Whether `port` is listed (singly or within a range).
    #[inline]
    pub fn contains(&self, port: u16) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }
}

/// The web service's form: `80,443`, `3478-3481`; `-` for no port.
impl fmt::Display for PortList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ranges.is_empty() {
            return f.write_str("-");
        }
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

fn parse_port(s: &str) -> Option<u16> {
    // `u16::from_str` accepts a leading '+'; a port list never has one.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// One endpoint set, all of the web service's fields, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointSet {
    pub id: u32,
    /// `Exchange`, `SharePoint`, `Skype` (Teams too), `Common`, `MEM`, ...
    pub service_area: String,
    pub service_area_display_name: Option<String>,
    pub urls: Vec<String>,
    /// Prefixes as listed (host bits, if any, are ignored by the lookup).
    pub ips: Vec<IpNetwork>,
    pub tcp_ports: PortList,
    pub udp_ports: PortList,
    /// Advertised on ExpressRoute Microsoft peering.
    pub express_route: bool,
    pub category: Category,
    pub required: bool,
    pub notes: Option<String>,
}

impl EndpointSet {
    /// The port list for `transport`.
    pub fn ports(&self, transport: Transport) -> &PortList {
        match transport {
            Transport::Tcp => &self.tcp_ports,
            Transport::Udp => &self.udp_ports,
        }
    }

    /// Whether the set lists `port` for `transport`.
    #[inline]
    pub fn serves(&self, transport: Transport, port: u16) -> bool {
        self.ports(transport).contains(port)
    }
}

/// The endpoint set a flow's server address belongs to (see the module doc for the choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    pub id: u32,
    pub service_area: &'a str,
    pub category: Category,
    pub express_route: bool,
    pub required: bool,
    /// The (longest) prefix that matched, as listed.
    pub prefix: IpNetwork,
    /// The set lists the flow's transport and server port (false: chosen by category / id).
    pub port_matched: bool,
}

/// A ranges file that cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum RangesError {
    #[error("{file}: cannot read the Office 365 endpoints file")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not an Office 365 endpoints web-service answer: {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: endpoint set id {id}: bad CIDR {value:?} in ips: {reason}")]
    BadCidr {
        file: String,
        id: u32,
        value: String,
        reason: String,
    },
    #[error("{file}: endpoint set id {id}: bad port list in {field} {value:?}: {error}")]
    BadPorts {
        file: String,
        id: u32,
        field: &'static str,
        value: String,
        #[source]
        error: PortListError,
    },
    #[error(
        "{file}: endpoint set id {id}: unknown category {value:?} (expected Optimize, Allow or Default)"
    )]
    BadCategory {
        file: String,
        id: u32,
        value: String,
    },
    #[error("{file}: endpoint set id {id} is listed twice")]
    DuplicateId { file: String, id: u32 },
    /// `[]`: no endpoint set at all. Accepted, every address would be outside Office 365.
    #[error("{file}: no endpoint sets (an empty list): every address would be outside Office 365")]
    NoSets { file: String },
    /// Endpoint sets, but none lists an IP prefix (`ips`): the same as no set for a lookup.
    #[error(
        "{file}: none of its {sets} endpoint sets lists an IP prefix (ips): every address would \
         be outside Office 365"
    )]
    NoPrefixes { file: String, sets: usize },
}

/// The web service's JSON for one set. Unknown fields are ignored (serde's default).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSet {
    id: u32,
    service_area: String,
    #[serde(default)]
    service_area_display_name: Option<String>,
    #[serde(default)]
    urls: Vec<String>,
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default)]
    tcp_ports: Option<String>,
    #[serde(default)]
    udp_ports: Option<String>,
    express_route: bool,
    category: String,
    required: bool,
    #[serde(default)]
    notes: Option<String>,
}

/// One distinct masked prefix: where its candidate sets are in `Ranges::members`.
#[derive(Debug, Clone)]
struct Bucket {
    prefix: IpNetwork,
    start: u32,
    len: u32,
}

/// Office 365 endpoint sets with their longest-prefix index.
#[derive(Debug, Clone)]
pub struct Ranges {
    sets: Vec<EndpointSet>,
    buckets: Vec<Bucket>,
    /// Set indices per bucket, each bucket's slice sorted by (category, id).
    members: Vec<u32>,
    v4: Family<u32>,
    v6: Family<u128>,
    source: String,
    /// The file read (`--ranges FILE` or the cached snapshot); None for the bundled one.
    file: Option<String>,
    /// The web service's version (YYYYMMDDNN) of a cached snapshot.
    version: Option<String>,
    instance: Instance,
    as_of: Option<String>,
}

impl Ranges {
    /// The snapshot compiled into the binary (`ip-ranges/worldwide.json`), source `bundled`.
    pub fn bundled() -> Result<Ranges, RangesError> {
        let mut r = Ranges::from_json_str(BUNDLED_WORLDWIDE, "ip-ranges/worldwide.json")?;
        BUNDLED_SOURCE.clone_into(&mut r.source);
        r.file = None;
        r.as_of = Some(BUNDLED_AS_OF.to_owned());
        Ok(r)
    }

    /// Reads an endpoints file (`--ranges FILE`), as downloaded from the web service: source
    /// `file`.
    pub fn load(path: &Path) -> Result<Ranges, RangesError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RangesError::Io {
            file: file.clone(),
            source,
        })?;
        Ranges::from_json_str(&text, &file)
    }

    /// Reads a snapshot `callpath ranges update` stored (source `cache`), of the web
    /// service's `version` (YYYYMMDDNN, whose date is `as_of`).
    pub fn load_cached(path: &Path, version: &str) -> Result<Ranges, RangesError> {
        let mut r = Ranges::load(path)?;
        "cache".clone_into(&mut r.source);
        r.version = Some(version.to_owned());
        r.as_of = version_date(version);
        Ok(r)
    }

    /// Parses endpoints JSON. `file` names the input in errors and becomes `source`; its file
    /// name is a hint for the instance when the URLs do not tell. `as_of` is unknown (None).
    pub fn from_json_str(text: &str, file: &str) -> Result<Ranges, RangesError> {
        let raw: Vec<RawSet> = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
        let mut sets = Vec::with_capacity(raw.len());
        let mut ids = rustc_hash::FxHashSet::default();
        for r in raw {
            if !ids.insert(r.id) {
                return Err(RangesError::DuplicateId {
                    file: file.to_owned(),
                    id: r.id,
                });
            }
            sets.push(validate(r, file)?);
        }
        if sets.is_empty() {
            return Err(RangesError::NoSets {
                file: file.to_owned(),
            });
        }
        if sets.iter().all(|s| s.ips.is_empty()) {
            return Err(RangesError::NoPrefixes {
                file: file.to_owned(),
                sets: sets.len(),
            });
        }
        sets.sort_by_key(|s| s.id);
        let instance = detect_instance(&sets, file);
        let mut ranges = Ranges {
            sets,
            buckets: Vec::new(),
            members: Vec::new(),
            v4: Family::default(),
            v6: Family::default(),
            source: "file".to_owned(),
            file: Some(file.to_owned()),
            version: None,
            instance,
            as_of: None,
        };
        ranges.index();
        Ok(ranges)
    }

    /// Builds the lookup index: a bucket per distinct prefix with the sets listing it, then
    /// each family's intervals over the buckets.
    fn index(&mut self) {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for ((is_v6, len, masked), (prefix, sets)) in self.sets_by_prefix() {
            let Some(b) = self.add_bucket(prefix, sets) else {
                break;
            };
            if is_v6 {
                v6.push((len, masked, b));
            } else {
                // Built from a u32 (`prefix_key`), so the truncation is exact.
                v4.push((len, masked as u32, b));
            }
        }
        self.v4 = Family::build(&v4);
        self.v6 = Family::build(&v6);
    }

    /// Each distinct prefix with the indices of the sets listing it, sorted by `PrefixKey` so
    /// that the buckets come in the same order on every run.
    fn sets_by_prefix(&self) -> Vec<(PrefixKey, (IpNetwork, Vec<u32>))> {
        let mut by_prefix: FxHashMap<PrefixKey, (IpNetwork, Vec<u32>)> = FxHashMap::default();
        for (i, set) in self.sets.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            for &net in &set.ips {
                let entry = by_prefix
                    .entry(prefix_key(net))
                    .or_insert_with(|| (net, Vec::new()));
                if !entry.1.contains(&i) {
                    entry.1.push(i);
                }
            }
        }
        let mut keys: Vec<_> = by_prefix.into_iter().collect();
        keys.sort_by_key(|(k, _)| *k);
        keys
    }

    /// Adds the bucket of `prefix`, its candidate sets sorted by (category, id) as `lookup`
    /// wants them; its index, or None once the indices no longer fit in a u32.
    fn add_bucket(&mut self, prefix: IpNetwork, mut sets: Vec<u32>) -> Option<u32> {
        sets.sort_by_key(|&i| {
            self.sets
                .get(i as usize)
                .map_or((Category::Default, u32::MAX), |s| (s.category, s.id))
        });
        let (Ok(b), Ok(start), Ok(len)) = (
            u32::try_from(self.buckets.len()),
            u32::try_from(self.members.len()),
            u32::try_from(sets.len()),
        ) else {
            return None;
        };
        self.members.extend_from_slice(&sets);
        self.buckets.push(Bucket { prefix, start, len });
        Some(b)
    }

    #[inline]
    fn bucket_for(&self, ip: IpAddr) -> Option<&Bucket> {
        let b = match ip {
            IpAddr::V4(a) => self.v4.find(u32::from(a)),
            // IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) is the IPv4 address.
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.find(u32::from(v4)),
                None => self.v6.find(u128::from(a)),
            },
        }?;
        self.buckets.get(b as usize)
    }

    /// The endpoint set of a flow whose server is `ip`, reached over `transport` on
    /// `server_port`; None when no set lists the address. Allocation-free.
    #[inline]
    pub fn lookup(&self, ip: IpAddr, transport: Transport, server_port: u16) -> Option<Match<'_>> {
        let bucket = self.bucket_for(ip)?;
        let start = bucket.start as usize;
        let members = self.members.get(start..start + bucket.len as usize)?;
        let mut first = None;
        for &m in members {
            let Some(set) = self.sets.get(m as usize) else {
                continue;
            };
            if set.serves(transport, server_port) {
                return Some(make_match(set, bucket.prefix, true));
            }
            first = first.or(Some(set));
        }
        first.map(|set| make_match(set, bucket.prefix, false))
    }

    /// Whether `ip` is in a Teams/Skype media relay endpoint set: one listing UDP 3478, the
    /// Transport Relays' STUN/TURN port (worldwide set 11, set 7 of GCC High and DoD, set 3 of
    /// 21Vianet). Clients fall back to TCP 443 on these same addresses (FACTS.md).
    pub fn is_media_relay(&self, ip: IpAddr) -> bool {
        let Some(bucket) = self.bucket_for(ip) else {
            return false;
        };
        let start = bucket.start as usize;
        self.members
            .get(start..start + bucket.len as usize)
            .unwrap_or_default()
            .iter()
            .filter_map(|&m| self.sets.get(m as usize))
            .any(|set| set.serves(Transport::Udp, 3478))
    }

    /// Whether any endpoint set lists a prefix containing `ip`.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.bucket_for(ip).is_some()
    }

    /// All endpoint sets, sorted by id.
    pub fn sets(&self) -> &[EndpointSet] {
        &self.sets
    }

    /// The endpoint set with this id.
    pub fn set(&self, id: u32) -> Option<&EndpointSet> {
        self.sets
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .and_then(|i| self.sets.get(i))
    }

    /// Number of distinct prefixes indexed (IPv4 + IPv6).
    pub fn prefix_count(&self) -> usize {
        self.buckets.len()
    }

    /// `bundled`, `file` (`--ranges FILE`) or `cache` (a snapshot `ranges update` stored).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The file read, for `file` and `cache`.
    pub fn file(&self) -> Option<&str> {
        self.file.as_deref()
    }

    /// The web service's version of a cached snapshot.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// The sets whose prefixes hold `ip` (an IPv4-mapped IPv6 address as its IPv4), by id.
    pub fn sets_holding(&self, ip: IpAddr) -> Vec<&EndpointSet> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.sets
            .iter()
            .filter(|s| s.ips.iter().any(|n| n.contains(ip)))
            .collect()
    }

    /// The instance, from the file's URLs (else its name, else worldwide).
    pub fn instance(&self) -> Instance {
        self.instance
    }

    /// When the data was fetched: the bundled snapshot's date, a cached one's version date;
    /// unknown for `--ranges FILE`.
    pub fn as_of(&self) -> Option<&str> {
        self.as_of.as_deref()
    }
}

/// The date (YYYY-MM-DD) of a web service version YYYYMMDDNN.
pub fn version_date(version: &str) -> Option<String> {
    let digits = version.get(..8)?;
    if version.len() != 10 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (digits.get(..4)?, digits.get(4..6)?, digits.get(6..8)?);
    Some(format!("{y}-{m}-{d}"))
}

/// A prefix in the index: (IPv6?, length, masked address).
type PrefixKey = (bool, u8, u128);

/// The index key of a listed prefix, host bits cleared. An IPv4-mapped IPv6 prefix (RFC 4291
/// §2.5.5.2) is keyed as the IPv4 prefix it covers: `bucket_for` looks such addresses up as
/// IPv4.
fn prefix_key(net: IpNetwork) -> PrefixKey {
    match net {
        IpNetwork::V4(n) => (
            false,
            n.prefix(),
            u128::from(u32::from(n.ip()) & u32::mask(n.prefix())),
        ),
        IpNetwork::V6(n) => match (n.ip().to_ipv4_mapped(), n.prefix().checked_sub(96)) {
            (Some(a), Some(len)) => (false, len, u128::from(u32::from(a) & u32::mask(len))),
            _ => (
                true,
                n.prefix(),
                u128::from(n.ip()) & u128::mask(n.prefix()),
            ),
        },
    }
}

#[inline]
fn make_match(set: &EndpointSet, prefix: IpNetwork, port_matched: bool) -> Match<'_> {
    Match {
        id: set.id,
        service_area: &set.service_area,
        category: set.category,
        express_route: set.express_route,
        required: set.required,
        prefix,
        port_matched,
    }
}

fn json_error(file: &str, e: &serde_json::Error) -> RangesError {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    RangesError::Json {
        file: file.to_owned(),
        line,
        column,
        message,
    }
}

fn validate(r: RawSet, file: &str) -> Result<EndpointSet, RangesError> {
    let id = r.id;
    let category = Category::parse(&r.category).ok_or_else(|| RangesError::BadCategory {
        file: file.to_owned(),
        id,
        value: r.category.clone(),
    })?;
    let mut ips = Vec::with_capacity(r.ips.len());
    for s in &r.ips {
        ips.push(parse_cidr(s).map_err(|reason| RangesError::BadCidr {
            file: file.to_owned(),
            id,
            value: s.clone(),
            reason,
        })?);
    }
    let ports = |field: &'static str, v: &Option<String>| {
        let v = v.as_deref().unwrap_or("");
        PortList::parse(v).map_err(|error| RangesError::BadPorts {
            file: file.to_owned(),
            id,
            field,
            value: v.to_owned(),
            error,
        })
    };
    Ok(EndpointSet {
        id,
        tcp_ports: ports("tcpPorts", &r.tcp_ports)?,
        udp_ports: ports("udpPorts", &r.udp_ports)?,
        service_area: r.service_area,
        service_area_display_name: r.service_area_display_name,
        urls: r.urls,
        ips,
        express_route: r.express_route,
        category,
        required: r.required,
        notes: r.notes,
    })
}

/// A CIDR as the web service writes it: `addr/len`. A bare address is not accepted (the
/// service always writes the length, even `/32` and `/128`).
fn parse_cidr(s: &str) -> Result<IpNetwork, String> {
    let Some((addr, len)) = s.split_once('/') else {
        return Err("no /prefix-length".to_owned());
    };
    if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("prefix length {len:?} is not a number"));
    }
    let len: u8 = len
        .parse()
        .map_err(|_| format!("prefix length {len} is too long"))?;
    if let Ok(a) = addr.parse::<Ipv4Addr>() {
        Ipv4Network::new(a, len)
            .map(IpNetwork::V4)
            .map_err(|_| format!("prefix length {len} is over 32"))
    } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
        Ipv6Network::new(a, len)
            .map(IpNetwork::V6)
            .map_err(|_| format!("prefix length {len} is over 128"))
    } else {
        Err(format!("{addr:?} is not an IPv4 or IPv6 address"))
    }
}

/// The instance from the URLs: the sovereign clouds use their own domains (`*.us` for US
/// Government, with `dod` labels for DoD; `*.cn` for 21Vianet). The worldwide answer also lists
/// a few `.us` URLs, so a cloud's suffix must make up at least a tenth of the URLs. Without
/// URLs that tell, the file name (`USGovDoD.json`, `get_endpoints_china.json`...) decides; else
/// worldwide.
fn detect_instance(sets: &[EndpointSet], file: &str) -> Instance {
    let (mut total, mut us, mut dod, mut cn) = (0usize, 0usize, 0usize, 0usize);
    for url in sets.iter().flat_map(|s| &s.urls) {
        let url = url.to_ascii_lowercase();
        total += 1;
        if url.ends_with(".us") {
            us += 1;
            if url.split('.').any(|label| label == "dod") {
                dod += 1;
            }
        } else if url.ends_with(".cn") {
            cn += 1;
        }
    }
    if total > 0 && cn * 10 >= total && cn >= us {
        return Instance::China;
    }
    if total > 0 && us * 10 >= total {
        return if dod > 0 {
            Instance::UsGovDod
        } else {
            Instance::UsGovGccHigh
        };
    }
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("dod") {
        Instance::UsGovDod
    } else if name.contains("gcchigh") || name.contains("gcc_high") || name.contains("gcc-high") {
        Instance::UsGovGccHigh
    } else if name.contains("china") || name.contains("21vianet") {
        Instance::China
    } else {
        Instance::Worldwide
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/o365-endpoints/");

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn bundled() -> Ranges {
        Ranges::bundled().unwrap()
    }

    fn shared(name: &str) -> Option<std::path::PathBuf> {
        let p = Path::new(SHARED).join(name);
        p.exists().then_some(p)
    }

    /// Fuzz regression (fuzz target `ranges`): a set listing an IPv4-mapped prefix was never
    /// matched (`contains` of its own addresses was false): such addresses are looked up as
    /// IPv4, so the prefix is indexed as IPv4 too.
    #[test]
    fn ipv4_mapped_prefixes_match_as_ipv4() {
        let r = Ranges::from_json_str(
            r#"[{"id":13,"serviceArea":"Common","ips":["::ffff:52.96.0.0/110"],"tcpPorts":"443","expressRoute":false,"category":"Default","required":false}]"#,
            "fuzz.json",
        )
        .unwrap();
        for ip in ["52.96.0.0", "52.99.255.255", "::ffff:52.97.1.2"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(r.contains(ip), "{ip}");
            let m = r.lookup(ip, Transport::Tcp, 443).unwrap();
            assert_eq!((m.id, m.port_matched), (13, true));
        }
        assert!(!r.contains("52.100.0.0".parse().unwrap()));
        assert!(!r.contains("::ffff:52.100.0.0".parse().unwrap()));
    }

    #[test]
    fn port_lists() {
        let p = PortList::parse("143, 587, 993, 995").unwrap();
        assert_eq!(p.ranges, [(143, 143), (587, 587), (993, 993), (995, 995)]);
        assert!(p.contains(993) && !p.contains(994));
        let p = PortList::parse("443,80").unwrap();
        assert_eq!(p.ranges, [(443, 443), (80, 80)]);
        let p = PortList::parse("3478-3481").unwrap();
        assert!(p.contains(3478) && p.contains(3481) && !p.contains(3482) && !p.contains(3477));
        assert_eq!(p.ranges, [(3478, 3481)]);
        let p = PortList::parse(" 3478 - 3481 , 443 ").unwrap();
        assert_eq!(p.ranges, [(3478, 3481), (443, 443)]);
        assert_eq!(PortList::parse("").unwrap(), PortList::default());
        assert_eq!(PortList::parse("  ").unwrap(), PortList::default());
    }

    #[test]
    fn port_list_garbage() {
        for bad in [
            "http", "443,", ",443", "443,,80", "65536", "-1", "+443", "1-", "-", "5-3", "1-2-3",
            "44 3", "0x50",
        ] {
            let e = PortList::parse(bad).unwrap_err();
            assert!(!e.reason.is_empty(), "{bad}");
        }
        let e = PortList::parse("80, http").unwrap_err();
        assert_eq!(e.item, "http");
        assert_eq!(e.to_string(), "\"http\" is not a port (0-65535)");
    }

    #[test]
    fn teams_media_is_set_11_and_signalling_set_12() {
        let r = bundled();
        let a = ip("52.112.244.71");
        for port in [3478, 3479, 3480, 3481] {
            let m = r.lookup(a, Transport::Udp, port).unwrap();
            assert_eq!(
                (m.id, m.category, m.port_matched),
                (11, Category::Optimize, true)
            );
            assert_eq!(m.service_area, "Skype");
            assert!(m.express_route && m.required);
            assert_eq!(m.prefix.to_string(), "52.112.0.0/14");
        }
        let m = r.lookup(a, Transport::Tcp, 443).unwrap();
        assert_eq!(
            (m.id, m.category, m.port_matched),
            (12, Category::Allow, true)
        );
        let m = r.lookup(a, Transport::Udp, 443).unwrap();
        assert_eq!((m.id, m.port_matched), (12, true));
        let m = r.lookup(ip("52.123.1.2"), Transport::Tcp, 80).unwrap();
        assert_eq!(m.id, 12);
        // No set lists TCP 5061 for this prefix: highest-priority category wins.
        let m = r.lookup(a, Transport::Tcp, 5061).unwrap();
        assert_eq!(
            (m.id, m.category, m.port_matched),
            (11, Category::Optimize, false)
        );
    }

    #[test]
    fn media_relays_are_the_sets_listing_udp_3478() {
        let r = bundled();
        assert!(r.is_media_relay(ip("52.113.10.20")));
        assert!(r.is_media_relay(ip("2603:1063::1")));
        // Exchange, and an address no set lists.
        assert!(!r.is_media_relay(ip("40.96.0.1")));
        assert!(!r.is_media_relay(ip("203.0.113.7")));
    }

    #[test]
    fn ipv6_lookup() {
        let r = bundled();
        let a = ip("2603:1063::1");
        assert_eq!(r.lookup(a, Transport::Udp, 3478).unwrap().id, 11);
        assert_eq!(r.lookup(a, Transport::Tcp, 443).unwrap().id, 12);
        let m = r.lookup(ip("2603:1027::5"), Transport::Udp, 3478).unwrap();
        assert_eq!((m.id, m.port_matched), (12, false));
        assert!(r.contains(ip("2620:1ec:40::1")));
        assert!(!r.contains(ip("2603:1064::1")));
        // IPv4-mapped IPv6 is looked up as IPv4.
        assert_eq!(
            r.lookup(ip("::ffff:52.112.0.1"), Transport::Udp, 3480)
                .unwrap()
                .id,
            11
        );
    }

    #[test]
    fn non_o365_address_is_none() {
        let r = bundled();
        for a in [
            "8.8.8.8",
            "10.0.0.1",
            "52.116.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::",
            "2001:db8::1",
        ] {
            assert!(r.lookup(ip(a), Transport::Udp, 3478).is_none(), "{a}");
            assert!(!r.contains(ip(a)), "{a}");
        }
    }

    #[test]
    fn longest_prefix_wins() {
        let json = r#"[
          {"id": 5, "serviceArea": "Skype", "ips": ["52.112.0.0/14", "2603:1063::/38"],
           "udpPorts": "3478-3481", "expressRoute": true, "category": "Optimize", "required": true},
          {"id": 7, "serviceArea": "Common", "ips": ["52.112.1.0/24", "2603:1063:0:1::/64"],
           "tcpPorts": "443", "expressRoute": false, "category": "Default", "required": false,
           "someFutureField": [1, 2]}
        ]"#;
        let r = Ranges::from_json_str(json, "test.json").unwrap();
        // Inside the /24: set 7 although set 5 matches the ports and has a better category.
        let m = r.lookup(ip("52.112.1.9"), Transport::Udp, 3478).unwrap();
        assert_eq!((m.id, m.port_matched, m.express_route), (7, false, false));
        assert_eq!(m.prefix.to_string(), "52.112.1.0/24");
        assert_eq!(
            r.lookup(ip("52.112.2.9"), Transport::Udp, 3478).unwrap().id,
            5
        );
        assert_eq!(
            r.lookup(ip("2603:1063:0:1::9"), Transport::Udp, 3478)
                .unwrap()
                .id,
            7
        );
        assert_eq!(
            r.lookup(ip("2603:1063:0:2::9"), Transport::Udp, 3478)
                .unwrap()
                .id,
            5
        );
        assert_eq!(r.prefix_count(), 4);
        assert_eq!(r.source(), "file");
        assert_eq!(r.file(), Some("test.json"));
        assert_eq!(r.as_of(), None);
        assert_eq!(r.instance(), Instance::Worldwide);
    }

    #[test]
    fn same_prefix_lowest_id_then_category() {
        let json = r#"[
          {"id": 9, "serviceArea": "A", "ips": ["198.51.100.0/24"], "expressRoute": false, "category": "Allow", "required": true},
          {"id": 3, "serviceArea": "B", "ips": ["198.51.100.0/24"], "expressRoute": false, "category": "Allow", "required": true},
          {"id": 1, "serviceArea": "C", "ips": ["198.51.100.0/24"], "expressRoute": false, "category": "Default", "required": true}
        ]"#;
        let r = Ranges::from_json_str(json, "t.json").unwrap();
        assert_eq!(
            r.lookup(ip("198.51.100.1"), Transport::Tcp, 1).unwrap().id,
            3
        );
    }

    #[test]
    fn host_bits_and_zero_length() {
        let json = r#"[
          {"id": 1, "serviceArea": "A", "ips": ["198.51.100.77/24"], "expressRoute": true, "category": "Allow", "required": true},
          {"id": 2, "serviceArea": "B", "ips": ["0.0.0.0/0"], "expressRoute": false, "category": "Default", "required": true}
        ]"#;
        let r = Ranges::from_json_str(json, "t.json").unwrap();
        assert_eq!(
            r.lookup(ip("198.51.100.1"), Transport::Tcp, 1).unwrap().id,
            1
        );
        assert_eq!(
            r.lookup(ip("203.0.113.1"), Transport::Tcp, 1).unwrap().id,
            2
        );
        assert!(!r.contains(ip("::1")));
        // Prefixes shorter than the top-bits filter (8 bits v4, 16 bits v6).
        let json = r#"[
          {"id": 1, "serviceArea": "A", "ips": ["64.0.0.0/3", "4000::/3", "2c0f:f000::/20"],
           "expressRoute": true, "category": "Allow", "required": true}
        ]"#;
        let r = Ranges::from_json_str(json, "t.json").unwrap();
        for a in [
            "64.0.0.0",
            "95.255.255.255",
            "4000::",
            "5fff:ffff::1",
            "2c0f:ffff::1",
        ] {
            assert!(r.contains(ip(a)), "{a}");
        }
        for a in [
            "63.255.255.255",
            "96.0.0.0",
            "3fff::1",
            "6000::",
            "2c0f:efff::1",
            "::",
        ] {
            assert!(!r.contains(ip(a)), "{a}");
        }
    }

    #[test]
    fn bad_inputs_name_file_and_problem() {
        let set = |ips: &str, ports: &str, cat: &str| {
            format!(
                r#"[{{"id": 42, "serviceArea": "Skype", "ips": [{ips}], "tcpPorts": "{ports}",
                   "expressRoute": true, "category": "{cat}", "required": true}}]"#
            )
        };
        let e = Ranges::from_json_str(&set(r#""52.112.0.0/33""#, "443", "Allow"), "f.json")
            .unwrap_err();
        assert!(matches!(e, RangesError::BadCidr { id: 42, .. }), "{e}");
        assert!(e
            .to_string()
            .starts_with("f.json: endpoint set id 42: bad CIDR \"52.112.0.0/33\""));
        for bad in [
            "\"x\"",
            "\"52.112.0.0\"",
            "\"52.112.0/14\"",
            "\"2603:1063::/129\"",
            "\"1.2.3.4/\"",
        ] {
            let e = Ranges::from_json_str(&set(bad, "443", "Allow"), "f.json").unwrap_err();
            assert!(matches!(e, RangesError::BadCidr { .. }), "{bad}: {e}");
        }
        let e = Ranges::from_json_str(&set("", "443;80", "Allow"), "f.json").unwrap_err();
        assert!(
            matches!(
                e,
                RangesError::BadPorts {
                    id: 42,
                    field: "tcpPorts",
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string()
                .contains("bad port list in tcpPorts \"443;80\""),
            "{e}"
        );
        let e = Ranges::from_json_str(&set("", "443", "Turbo"), "f.json").unwrap_err();
        assert!(matches!(e, RangesError::BadCategory { id: 42, .. }), "{e}");
        let e =
            Ranges::from_json_str("[\n{\"id\": 1,\n \"serviceArea\": 5}]", "f.json").unwrap_err();
        match &e {
            RangesError::Json {
                file,
                line,
                column,
                message,
            } => {
                assert_eq!((file.as_str(), *line), ("f.json", 3));
                assert!(*column > 0);
                assert!(message.contains("invalid type"), "{message}");
            }
            other => panic!("{other}"),
        }
        assert!(e.to_string().starts_with("f.json:3:"), "{e}");
        let e = Ranges::from_json_str(r#"[{"id": 1, "serviceArea": "A"}]"#, "f.json").unwrap_err();
        assert!(e.to_string().contains("missing field"), "{e}");
        let e = Ranges::from_json_str(r#"{"error": "throttled"}"#, "f.json").unwrap_err();
        assert!(matches!(e, RangesError::Json { line: 1, .. }), "{e}");
        let e = Ranges::from_json_str("", "f.json").unwrap_err();
        assert!(matches!(e, RangesError::Json { .. }), "{e}");
        let dup = r#"[{"id": 1, "serviceArea": "A", "expressRoute": true, "category": "Allow", "required": true},
                      {"id": 1, "serviceArea": "B", "expressRoute": true, "category": "Allow", "required": true}]"#;
        let e = Ranges::from_json_str(dup, "f.json").unwrap_err();
        assert!(matches!(e, RangesError::DuplicateId { id: 1, .. }), "{e}");
        let e = Ranges::load(Path::new("/nonexistent/endpoints.json")).unwrap_err();
        assert!(matches!(e, RangesError::Io { .. }));
        assert!(e.to_string().contains("/nonexistent/endpoints.json"));
    }

    /// Every message the loader writes, word for word (the file, the set id, the field).
    #[test]
    fn error_messages_word_for_word() {
        let set = |ips: &str, ports: &str, cat: &str| {
            format!(
                r#"[{{"id": 42, "serviceArea": "Skype", "ips": [{ips}], "tcpPorts": "{ports}",
                   "expressRoute": true, "category": "{cat}", "required": true}}]"#
            )
        };
        let cidr = |ip: &str| set(&format!("\"{ip}\""), "443", "Allow");
        let cases = [
            (
                cidr("52.112.0.0"),
                "f.json: endpoint set id 42: bad CIDR \"52.112.0.0\" in ips: no /prefix-length",
            ),
            (
                cidr("1.2.3.4/"),
                "f.json: endpoint set id 42: bad CIDR \"1.2.3.4/\" in ips: prefix length \"\" is \
                 not a number",
            ),
            (
                cidr("1.2.3.4/300"),
                "f.json: endpoint set id 42: bad CIDR \"1.2.3.4/300\" in ips: prefix length 300 \
                 is too long",
            ),
            (
                cidr("52.112.0.0/33"),
                "f.json: endpoint set id 42: bad CIDR \"52.112.0.0/33\" in ips: prefix length 33 \
                 is over 32",
            ),
            (
                cidr("2603:1063::/129"),
                "f.json: endpoint set id 42: bad CIDR \"2603:1063::/129\" in ips: prefix length \
                 129 is over 128",
            ),
            (
                cidr("x/8"),
                "f.json: endpoint set id 42: bad CIDR \"x/8\" in ips: \"x\" is not an IPv4 or \
                 IPv6 address",
            ),
            (
                set("", "443;80", "Allow"),
                "f.json: endpoint set id 42: bad port list in tcpPorts \"443;80\": \"443;80\" is \
                 not a port (0-65535)",
            ),
            (
                set("", "5-3", "Allow"),
                "f.json: endpoint set id 42: bad port list in tcpPorts \"5-3\": \"5-3\" is a \
                 range whose start is above its end",
            ),
            (
                set("", "443,", "Allow"),
                "f.json: endpoint set id 42: bad port list in tcpPorts \"443,\": \"\" is empty \
                 (stray comma)",
            ),
            (
                set("", "1-x", "Allow"),
                "f.json: endpoint set id 42: bad port list in tcpPorts \"1-x\": \"1-x\" is not a \
                 port range a-b",
            ),
            (
                set("", "443", "Turbo"),
                "f.json: endpoint set id 42: unknown category \"Turbo\" (expected Optimize, Allow \
                 or Default)",
            ),
            (
                r#"[{"id": 1, "serviceArea": "A", "expressRoute": true, "category": "Allow", "required": true},
                    {"id": 1, "serviceArea": "B", "expressRoute": true, "category": "Allow", "required": true}]"#
                    .to_owned(),
                "f.json: endpoint set id 1 is listed twice",
            ),
            (
                "[\n{\"id\": 1,\n \"serviceArea\": 5}]".to_owned(),
                "f.json:3:17: not an Office 365 endpoints web-service answer: invalid type: \
                 integer `5`, expected a string",
            ),
        ];
        for (json, want) in cases {
            let got = Ranges::from_json_str(&json, "f.json").unwrap_err();
            assert_eq!(got.to_string(), want, "{json}");
        }
        let e = Ranges::load(Path::new("/nonexistent/endpoints.json")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/nonexistent/endpoints.json: cannot read the Office 365 endpoints file"
        );
    }

    /// Issue 13: an endpoints file with no endpoint set (`[]`), or whose sets list no IP
    /// prefix, is an error: it would make every address "not Office 365" and call it worldwide.
    #[test]
    fn empty_ranges_file_is_an_error() {
        for text in ["[]", " [ ]\n"] {
            let e = Ranges::from_json_str(text, "f.json").unwrap_err();
            assert!(matches!(e, RangesError::NoSets { .. }), "{e}");
            assert_eq!(
                e.to_string(),
                "f.json: no endpoint sets (an empty list): every address would be outside \
                 Office 365"
            );
        }
        let urls_only = r#"[{"id": 1, "serviceArea": "Exchange", "urls": ["outlook.office.com"],
            "expressRoute": false, "category": "Allow", "required": true},
            {"id": 2, "serviceArea": "Common", "ips": [], "expressRoute": false,
            "category": "Default", "required": false}]"#;
        let e = Ranges::from_json_str(urls_only, "f.json").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.json: none of its 2 endpoint sets lists an IP prefix (ips): every address would \
             be outside Office 365"
        );
    }

    #[test]
    fn bundled_metadata() {
        let r = bundled();
        assert_eq!(r.source(), "bundled");
        assert_eq!(r.instance(), Instance::Worldwide);
        assert_eq!(r.as_of(), Some("2025-12-01"));
        let ids: Vec<u32> = r.sets().iter().map(|s| s.id).collect();
        assert_eq!(ids, [1, 2, 9, 10, 11, 12, 31, 46, 56, 64, 163]);
        assert!(r.sets().iter().all(|s| !s.ips.is_empty()));
        let s12 = r.set(12).unwrap();
        assert_eq!(s12.tcp_ports.ranges, [(80, 80), (443, 443)]);
        assert_eq!(s12.udp_ports.ranges, [(443, 443)]);
        assert!(r.set(13).is_none());
    }

    #[test]
    fn every_shared_file_loads() {
        let expect = [
            ("worldwide.json", Instance::Worldwide, 79),
            ("USGovDoD.json", Instance::UsGovDod, 25),
            ("USGovGCCHigh.json", Instance::UsGovGccHigh, 26),
            ("China.json", Instance::China, 22),
        ];
        for (name, instance, n) in expect {
            let Some(p) = shared(name) else {
                eprintln!("skipping: {SHARED}{name} not present");
                continue;
            };
            let r = Ranges::load(&p).unwrap();
            assert_eq!(r.instance(), instance, "{name}");
            assert_eq!(r.sets().len(), n, "{name}");
            assert_eq!(r.source(), "file");
            assert_eq!(r.file(), Some(p.display().to_string().as_str()));
            assert_eq!(r.as_of(), None);
            // The instance comes from the contents: a neutral name gives the same answer.
            let text = std::fs::read_to_string(&p).unwrap();
            assert_eq!(
                Ranges::from_json_str(&text, "endpoints.json")
                    .unwrap()
                    .instance(),
                instance
            );
        }
    }

    #[test]
    fn sovereign_teams_sets() {
        let cases = [
            ("USGovDoD.json", "52.127.64.1", Transport::Udp, 3478, 7),
            ("USGovGCCHigh.json", "52.127.88.1", Transport::Udp, 3479, 7),
            ("USGovGCCHigh.json", "52.127.88.1", Transport::Tcp, 443, 31),
            ("China.json", "159.27.160.1", Transport::Udp, 3481, 3),
            ("China.json", "40.72.124.129", Transport::Tcp, 443, 19),
        ];
        for (name, a, t, port, id) in cases {
            let Some(p) = shared(name) else { continue };
            let r = Ranges::load(&p).unwrap();
            assert_eq!(r.lookup(ip(a), t, port).unwrap().id, id, "{name} {a}");
        }
        if let Some(p) = shared("USGovDoD.json") {
            // DoD nests 52.127.72.42/32 (set 15) inside 52.127.72.0/21 (sets 16, 26).
            let r = Ranges::load(&p).unwrap();
            assert_eq!(
                r.lookup(ip("52.127.72.42"), Transport::Tcp, 443)
                    .unwrap()
                    .id,
                15
            );
            assert_ne!(
                r.lookup(ip("52.127.72.43"), Transport::Tcp, 443)
                    .unwrap()
                    .id,
                15
            );
        }
    }

    #[test]
    fn bundled_is_the_shared_sets_with_ips() {
        let Some(p) = shared("worldwide.json") else {
            eprintln!("skipping: shared worldwide.json not present");
            return;
        };
        let text = std::fs::read_to_string(&p).unwrap();
        let full: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        let mut want: Vec<&serde_json::Value> = full
            .iter()
            .filter(|s| {
                s.get("ips")
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| !a.is_empty())
            })
            .collect();
        want.sort_by_key(|s| s["id"].as_u64());
        let got: Vec<serde_json::Value> = serde_json::from_str(BUNDLED_WORLDWIDE).unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            // Field by field, unknown fields included (Value equality ignores key order).
            assert_eq!(g, w, "set {}", w["id"]);
        }
        // And the parsed sets agree with the full file's.
        let all = Ranges::load(&p).unwrap();
        for s in bundled().sets() {
            assert_eq!(Some(s), all.set(s.id));
        }
    }

    /// The rule of the module doc, by brute force over every set's prefixes.
    fn reference(r: &Ranges, a: IpAddr, t: Transport, port: u16) -> Option<(u32, u8)> {
        let a = match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
            v4 => v4,
        };
        let best = r
            .sets()
            .iter()
            .flat_map(|s| &s.ips)
            .filter(|n| n.contains(a))
            .map(|n| n.prefix())
            .max()?;
        let mut cands: Vec<&EndpointSet> = r
            .sets()
            .iter()
            .filter(|s| s.ips.iter().any(|n| n.prefix() == best && n.contains(a)))
            .collect();
        cands.sort_by_key(|s| (!s.serves(t, port), s.category, s.id));
        cands.first().map(|s| (s.id, best))
    }

    #[test]
    fn lookup_agrees_with_brute_force() {
        let mut files = vec![("bundled".to_owned(), bundled())];
        for name in [
            "worldwide.json",
            "USGovDoD.json",
            "USGovGCCHigh.json",
            "China.json",
        ] {
            if let Some(p) = shared(name) {
                files.push((name.to_owned(), Ranges::load(&p).unwrap()));
            }
        }
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (name, r) in &files {
            let prefixes: Vec<IpNetwork> = r.sets().iter().flat_map(|s| s.ips.clone()).collect();
            for _ in 0..20_000 {
                let n = next();
                // Mostly addresses near a listed prefix (inside, at its edges, just outside).
                let base = prefixes[(n as usize) % prefixes.len()];
                let a = match base {
                    IpNetwork::V4(p) => {
                        let span = u32::MAX.checked_shr(u32::from(p.prefix())).unwrap_or(0);
                        let off = match n >> 60 {
                            0 => 0,
                            1 => span,
                            2 => span.wrapping_add(1),
                            3 => u32::MAX,
                            4 => (next() as u32) & !0xff,
                            _ => (next() as u32) & span,
                        };
                        IpAddr::V4(Ipv4Addr::from(u32::from(p.network()).wrapping_add(off)))
                    }
                    IpNetwork::V6(p) => {
                        let span = u128::MAX.checked_shr(u32::from(p.prefix())).unwrap_or(0);
                        let r128 = (u128::from(next()) << 64) | u128::from(next());
                        let off = match n >> 60 {
                            0 => 0,
                            1 => span,
                            2 => span.wrapping_add(1),
                            3 => u128::MAX,
                            _ => r128 & span,
                        };
                        IpAddr::V6(Ipv6Addr::from(u128::from(p.network()).wrapping_add(off)))
                    }
                };
                let (t, port) = match n % 4 {
                    0 => (Transport::Udp, 3478 + (n % 5) as u16),
                    1 => (Transport::Tcp, 443),
                    2 => (Transport::Udp, 443),
                    _ => (Transport::Tcp, 25),
                };
                let got = r.lookup(a, t, port).map(|m| (m.id, m.prefix.prefix()));
                assert_eq!(got, reference(r, a, t, port), "{name} {a} {t:?} {port}");
                assert_eq!(r.contains(a), got.is_some(), "{name} {a}");
            }
        }
    }
}
