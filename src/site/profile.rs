//! Reading a site profile: the TOML shape (unknown keys refused), then every value checked,
//! each mistake placed at its file, line and key, e.g.
//! `site.toml:7: path[1].macs: "02:00:zz:00:0e:01" is not a MAC address ...`. Array-of-tables
//! blocks are numbered from 0 in key paths (`path[0]` is the first `[[path]]`).
//!
//! Checking order, which decides the one mistake reported when a profile has several: `[site]`,
//! then each `[[path]]` block (name, interfaces, ifindexes, vlans, macs, nat, whatever order the
//! file writes them in), then each `[[server]]` block (role, address).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use rustc_hash::FxHashMap;
use serde::Deserialize;
use toml::Spanned;

use super::{
    canonical, default_internal, net_contains, PathName, PathRule, Server, ServerRole, Site,
    SiteError, SiteErrorKind,
};

/// Parses and checks a profile; `file` names it in errors.
pub(super) fn parse(text: &str, file: &str) -> Result<Site, SiteError> {
    let raw: RawProfile = toml::from_str(text).map_err(|e| toml_error(text, file, &e))?;
    Validator { text, file }.site(raw)
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

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// Checks a parsed profile against the text it came from (for the lines of its values).
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

    /// The whole profile, in the checking order of the module doc.
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
                |mac| format!("MAC {}", crate::mac::text(*mac)),
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

/// A MAC address in either common spelling (see `mac::parse`).
fn mac_address(v: &str) -> Result<[u8; 6], Mistake> {
    crate::mac::parse(v).ok_or_else(|| {
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
    use super::super::tests::{parse, EXAMPLE};
    use super::super::*;
    use super::{ifindex, prefix, server_address, site_name, vlan_id};

    #[test]
    fn value_rules_at_their_bounds() {
        assert_eq!(vlan_id(0), Ok(0));
        assert_eq!(vlan_id(4095), Ok(4095));
        assert!(vlan_id(4096).is_err() && vlan_id(-1).is_err());
        assert_eq!(ifindex(0), Ok(0));
        assert_eq!(ifindex(4_294_967_295), Ok(u32::MAX));
        assert!(ifindex(4_294_967_296).is_err() && ifindex(-1).is_err());
        assert_eq!(
            site_name(" \t"),
            Err((SiteErrorKind::BadValue, "is empty".to_owned()))
        );
        // Spaces around a value are allowed; a bare address is a host prefix.
        let net = |s: &str| s.parse::<IpNetwork>().unwrap();
        assert_eq!(prefix(" 192.0.2.7 "), Ok(net("192.0.2.7/32")));
        assert_eq!(prefix("2001:db8::7"), Ok(net("2001:db8::7/128")));
        // IPv4-mapped prefixes and addresses are kept as IPv4, the form lookups compare.
        assert_eq!(prefix("::ffff:192.0.2.0/120"), Ok(net("192.0.2.0/24")));
        assert_eq!(prefix("::ffff:0:0/96"), Ok(net("0.0.0.0/0")));
        assert_eq!(
            server_address(" ::ffff:10.0.0.1"),
            Ok("10.0.0.1".parse().unwrap())
        );
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
    fn error_duplicate_names_and_lists() {
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
    }

    #[test]
    fn error_duplicate_nat_and_servers() {
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

    /// Replaces each `from` with `to` in the example and expects exactly the message `want`:
    /// SPEC promises errors that name the file, line and key, and a refactoring must not change
    /// one byte of what users see.
    fn assert_messages(cases: &[(&str, &str, &str)]) {
        for &(from, to, want) in cases {
            assert!(EXAMPLE.contains(from), "{from}");
            let got = parse(&EXAMPLE.replacen(from, to, 1)).unwrap_err();
            assert_eq!(got.to_string(), want, "{from} -> {to}");
        }
    }

    /// `[site]` messages and every prefix message, word for word.
    #[test]
    fn site_and_prefix_messages_word_for_word() {
        assert_messages(&[
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
        ]);
    }

    /// One bad value of a `[[path]]` or `[[server]]` block, word for word.
    #[test]
    fn value_messages_word_for_word() {
        assert_messages(&[
            (
                "name = \"internet\"",
                "name = \"mpls\"",
                "site.toml:15: path[1].name: \"mpls\" is not a path (expressroute, internet or \
                 local)",
            ),
            (
                "interfaces = [\"er0\"]",
                "interfaces = [\"\"]",
                "site.toml:8: path[0].interfaces: an interface name is empty",
            ),
            (
                "ifindexes = [4]",
                "ifindexes = [-4]",
                "site.toml:17: path[1].ifindexes: -4 is not an interface index (0-4294967295)",
            ),
            (
                "vlans = [100]",
                "vlans = [100, 4096]",
                "site.toml:10: path[0].vlans: 4096 is not a VLAN id (0-4095, IEEE 802.1Q)",
            ),
            (
                "\"02:00:00:00:0e:01\"",
                "\"02:00:zz:00:0e:01\"",
                "site.toml:11: path[0].macs: \"02:00:zz:00:0e:01\" is not a MAC address (six hex \
                 bytes separated by ':' or '-')",
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
        ]);
    }

    /// A value listed twice, or NAT pools that overlap, word for word.
    #[test]
    fn duplicate_messages_word_for_word() {
        assert_messages(&[
            (
                "name = \"internet\"",
                "name = \"expressroute\"",
                "site.toml:15: path[1].name: \"expressroute\" is already the name of path[0] at \
                 line 7",
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
                "ifindexes = [3]",
                "site.toml:17: path[1].ifindexes: ifindex 3 is already listed under path[0] at \
                 line 9",
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
                "address = \"2001:db8::cc\"",
                "address = \"::ffff:10.30.0.10\"",
                "site.toml:28: server[1].address: 10.30.0.10 is already server[0] at line 24",
            ),
        ]);
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
}
