//! Reading a site profile: the TOML read into a spanned tree, then every table, key and value
//! checked, each mistake placed at its file, line and key, e.g.
//! `site.toml:7: path[1].macs: "02:00:zz:00:0e:01" is not a MAC address ...`. Array-of-tables
//! blocks are numbered from 0 in key paths (`path[0]` is the first `[[path]]`).
//!
//! Every mistake is reported, not only the first: unknown tables and keys, values of the wrong
//! type (each element of a list on its own), values their rule refuses, values listed twice.
//! They come sorted by line. A TOML syntax error is the exception: the text after it cannot be
//! trusted, so it is reported alone. A value listed twice is reported where it is listed the
//! second time, in the order `[[path]]` blocks are written (`path[0]` first).
//!
//! An unknown key or table also suggests the closest known name when one is within 2 edits
//! (`max_lost_percent`: did you mean `max_loss_percent`?).
//!
//! `[quality]` holds the media quality thresholds (`Quality`): every key optional, each a
//! number in its range (percentages 0-100, milliseconds above 0 and at most 10000, the window
//! 15 s, the one window streams are measured in for now).
//!
//! Refused besides single bad values: an empty profile (no table, only comments or blank
//! lines: say nothing by leaving `--site` out), and `nat` under the `local` path (a NAT pool is
//! where an edge path translates addresses).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};
use rustc_hash::FxHashMap;
use serde::de::{DeserializeOwned, IgnoredAny};
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::{
    canonical, default_internal, net_contains, PathName, PathRule, Problem, Quality, Server,
    ServerRole, Site, SiteError, SiteErrorKind,
};

/// Parses and checks a profile; `file` names it in errors and in the site (`Site::profile`).
pub(super) fn parse(text: &str, file: &str) -> Result<Site, SiteError> {
    let invalid = |problems: Vec<Problem>| SiteError::Invalid {
        file: file.to_owned(),
        problems,
    };
    let doc = DeTable::parse(text).map_err(|e| invalid(vec![syntax_problem(text, &e)]))?;
    let mut v = Validator {
        text,
        problems: Vec::new(),
    };
    let site = v.profile(doc.get_ref(), file);
    if v.problems.is_empty() {
        return Ok(site);
    }
    // In the order of the text (stable: problems at one place stay in checking order).
    v.problems.sort_by_key(|&(offset, _)| offset);
    Err(invalid(v.problems.into_iter().map(|(_, p)| p).collect()))
}

// ---- the profile's shape ---------------------------------------------------------------------

/// The keys of each table, in the order the profile format lists them.
const TOP_KEYS: &[&str] = &["site", "path", "server", "quality"];
const SITE_KEYS: &[&str] = &["name", "internal", "expressroute"];
const PATH_KEYS: &[&str] = &["name", "interfaces", "ifindexes", "vlans", "macs", "nat"];
const SERVER_KEYS: &[&str] = &["role", "address"];
const QUALITY_KEYS: &[&str] = &[
    "max_loss_percent",
    "max_jitter_ms",
    "max_rtt_ms",
    "max_reorder_percent",
    "max_burst_loss_percent",
    "window_s",
];

/// A value of the tree, with its byte span in the text.
type Value<'i> = Spanned<DeValue<'i>>;

/// `[site]` as written: each key's value once its type is right.
#[derive(Default)]
struct RawSite {
    name: Option<Spanned<String>>,
    internal: Option<Vec<Spanned<String>>>,
    expressroute: Option<bool>,
}

/// One `[[path]]` block as written. `name` is None when it is missing or not a string (already
/// reported).
struct RawPath {
    name: Option<Spanned<String>>,
    interfaces: Vec<Spanned<String>>,
    ifindexes: Vec<Spanned<i64>>,
    vlans: Vec<Spanned<i64>>,
    macs: Vec<Spanned<String>>,
    nat: Vec<Spanned<String>>,
    /// Where `nat` is written, for the error when the path is `local`.
    nat_span: Option<Range<usize>>,
}

/// One `[[server]]` block as written.
struct RawServer {
    role: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
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

/// Checks a profile's tree against the text it came from (for the lines of its values),
/// gathering every mistake with the byte offset it is at.
struct Validator<'a> {
    text: &'a str,
    problems: Vec<(usize, Problem)>,
}

/// Where a value was first seen: block index and line.
type Seen = (usize, usize);

/// What is wrong with one value, before it is placed at its file, line and key.
type Mistake = (SiteErrorKind, String);

/// A value rule: the value checked, or what is wrong with it.
type Rule<T> = fn(T) -> Result<T, Mistake>;

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
    /// The path of the block that listed it; None when that block's name is itself a mistake.
    path: Option<PathName>,
}

impl NatSeen {
    /// Why `net`, listed in path block `i`, clashes with this prefix listed before it.
    fn clash(&self, i: usize, net: IpNetwork) -> String {
        let (j, l) = self.seen;
        let place = match (j == i, self.path) {
            (true, _) => "this path".to_owned(),
            (false, Some(p)) => format!("path[{j}] ({p})"),
            (false, None) => format!("path[{j}]"),
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

/// The message of a serde error as the profile's errors show it: one line.
fn one_line(e: &toml::de::Error) -> String {
    e.message().trim().replace('\n', "; ")
}

impl Validator<'_> {
    /// Records a mistake at the line where `span` starts.
    fn push(&mut self, span: Range<usize>, key: String, kind: SiteErrorKind, message: String) {
        let problem = Problem {
            line: line_of(self.text, span.start),
            key,
            kind,
            message,
        };
        self.problems.push((span.start, problem));
    }

    fn line(&self, span: Range<usize>) -> usize {
        line_of(self.text, span.start)
    }

    /// The whole profile: its tables read, then `[site]`, each `[[path]]` block and each
    /// `[[server]]` block checked.
    fn profile(&mut self, doc: &DeTable<'_>, file: &str) -> Site {
        if doc.is_empty() {
            self.push(
                0..0,
                String::new(),
                SiteErrorKind::Empty,
                "the site profile is empty: it has no [site], [[path]] or [[server]] table (leave \
                 --site out to audit without a profile)"
                    .into(),
            );
        }
        let mut raw_site = None;
        let mut raw_paths = Vec::new();
        let mut raw_servers = Vec::new();
        let mut quality = Quality::default();
        for (k, v) in doc.iter() {
            match k.get_ref().as_ref() {
                "site" => {
                    if let DeValue::Table(t) = v.get_ref() {
                        raw_site = Some(self.site_fields(t));
                    } else {
                        self.typed::<BTreeMap<String, IgnoredAny>>(v, "site".into());
                    }
                }
                "path" => {
                    for (i, span, t) in self.tables(v, "path") {
                        raw_paths.push((i, self.path_fields(i, span, t)));
                    }
                }
                "server" => {
                    for (i, span, t) in self.tables(v, "server") {
                        raw_servers.push((i, self.server_fields(i, span, t)));
                    }
                }
                "quality" => {
                    if let DeValue::Table(t) = v.get_ref() {
                        quality = self.quality(t);
                    } else {
                        self.typed::<BTreeMap<String, IgnoredAny>>(v, "quality".into());
                    }
                }
                name => self.unknown_table(name, k.span(), v),
            }
        }
        let table = match &raw_site {
            Some(s) => self.site_table(s),
            None => SiteTable::default(),
        };
        let paths = self.path_rules(&raw_paths);
        let servers = self.servers(&raw_servers);
        // Not said: the site has ExpressRoute when the profile describes a path over it.
        let expressroute = table
            .expressroute
            .unwrap_or_else(|| paths.iter().any(|p| p.name == PathName::Expressroute));
        Site {
            name: table.name,
            expressroute,
            internal: table.internal.unwrap_or_else(default_internal),
            paths,
            servers,
            quality,
            profile: Some(file.to_owned()),
            site_table: raw_site.is_some(),
        }
    }

    // ---- the shape: tables, keys, types ----

    /// A top-level key the format does not have: a table (`[[paths]]`, `[sites]`) or a key.
    fn unknown_table(&mut self, name: &str, span: Range<usize>, v: &Value<'_>) {
        let table = match v.get_ref() {
            DeValue::Table(_) => true,
            DeValue::Array(items) => items.iter().all(|x| x.get_ref().is_table()),
            _ => false,
        };
        let message = if table {
            let known: Vec<String> = TOP_KEYS.iter().map(|k| format!("`{k}`")).collect();
            format!(
                "unknown table `{name}`, expected one of {}",
                known.join(", ")
            )
        } else {
            one_line(&serde::de::Error::unknown_field(name, TOP_KEYS))
        };
        let message = message + &did_you_mean(name, TOP_KEYS);
        self.push(span, name.to_owned(), SiteErrorKind::UnknownKey, message);
    }

    /// An array of tables (`[[path]]`): each element's index, span and table; an element that
    /// is not a table, or a value that is not an array, is reported.
    fn tables<'t, 'i>(
        &mut self,
        v: &'t Value<'i>,
        name: &str,
    ) -> Vec<(usize, Range<usize>, &'t DeTable<'i>)> {
        let DeValue::Array(items) = v.get_ref() else {
            self.typed::<Vec<IgnoredAny>>(v, name.to_owned());
            return Vec::new();
        };
        let mut tables = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if let DeValue::Table(t) = item.get_ref() {
                tables.push((i, item.span(), t));
            } else {
                self.typed::<BTreeMap<String, IgnoredAny>>(item, format!("{name}[{i}]"));
            }
        }
        tables
    }

    /// Each key of one table: known keys through `read`, unknown keys reported.
    fn fields<'t, 'i>(
        &mut self,
        prefix: &str,
        table: &'t DeTable<'i>,
        known: &'static [&'static str],
        mut read: impl FnMut(&mut Self, &str, &'t Value<'i>),
    ) {
        for (k, v) in table.iter() {
            let name: &str = k.get_ref().as_ref();
            if known.contains(&name) {
                read(self, name, v);
            } else {
                let e: toml::de::Error = serde::de::Error::unknown_field(name, known);
                self.push(
                    k.span(),
                    format!("{prefix}.{name}"),
                    SiteErrorKind::UnknownKey,
                    one_line(&e) + &did_you_mean(name, known),
                );
            }
        }
    }

    /// A required key that is missing, reported at its table's header.
    fn missing(&mut self, span: Range<usize>, key: String, field: &'static str) {
        let e: toml::de::Error = serde::de::Error::missing_field(field);
        self.push(span, key, SiteErrorKind::BadValue, one_line(&e));
    }

    /// One value as a `T`; a value of another type is reported (serde's words) under `key`.
    fn typed<T: DeserializeOwned>(&mut self, v: &Value<'_>, key: String) -> Option<T> {
        match T::deserialize(ValueDeserializer::from(v.clone())) {
            Ok(t) => Some(t),
            Err(e) => {
                let span = e.span().unwrap_or_else(|| v.span());
                self.push(span, key, SiteErrorKind::BadValue, one_line(&e));
                None
            }
        }
    }

    /// A list of `T`, each element read on its own so that every bad one is reported.
    fn elements<T: DeserializeOwned>(&mut self, v: &Value<'_>, key: &str) -> Vec<Spanned<T>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.typed::<Vec<IgnoredAny>>(v, key.to_owned());
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.typed::<Spanned<T>>(item, key.to_owned()))
            .collect()
    }

    /// `[site]` as written.
    fn site_fields(&mut self, t: &DeTable<'_>) -> RawSite {
        let mut raw = RawSite::default();
        self.fields("site", t, SITE_KEYS, |s, k, v| match k {
            "name" => raw.name = s.typed(v, "site.name".into()),
            "internal" => raw.internal = Some(s.elements(v, "site.internal")),
            _ => raw.expressroute = s.typed(v, "site.expressroute".into()),
        });
        raw
    }

    /// One `[[path]]` block as written; `span` is its header.
    fn path_fields(&mut self, i: usize, span: Range<usize>, t: &DeTable<'_>) -> RawPath {
        let mut raw = RawPath {
            name: None,
            interfaces: Vec::new(),
            ifindexes: Vec::new(),
            vlans: Vec::new(),
            macs: Vec::new(),
            nat: Vec::new(),
            nat_span: None,
        };
        let mut named = false;
        self.fields(&format!("path[{i}]"), t, PATH_KEYS, |s, k, v| {
            let key = path_key(i, k);
            match k {
                "name" => {
                    named = true;
                    raw.name = s.typed(v, key);
                }
                "interfaces" => raw.interfaces = s.elements(v, &key),
                "ifindexes" => raw.ifindexes = s.elements(v, &key),
                "vlans" => raw.vlans = s.elements(v, &key),
                "macs" => raw.macs = s.elements(v, &key),
                _ => {
                    raw.nat_span = Some(v.span());
                    raw.nat = s.elements(v, &key);
                }
            }
        });
        if !named {
            self.missing(span, format!("path[{i}]"), "name");
        }
        raw
    }

    /// One `[[server]]` block as written; `span` is its header.
    fn server_fields(&mut self, i: usize, span: Range<usize>, t: &DeTable<'_>) -> RawServer {
        let mut raw = RawServer {
            role: None,
            address: None,
        };
        let (mut has_role, mut has_address) = (false, false);
        self.fields(&format!("server[{i}]"), t, SERVER_KEYS, |s, k, v| {
            let key = server_key(i, k);
            if k == "role" {
                has_role = true;
                raw.role = s.typed(v, key);
            } else {
                has_address = true;
                raw.address = s.typed(v, key);
            }
        });
        for (has, field) in [(has_role, "role"), (has_address, "address")] {
            if !has {
                self.missing(span.clone(), format!("server[{i}]"), field);
            }
        }
        raw
    }

    /// `[quality]`: each threshold given replaces its default; a value of the wrong type or
    /// out of its range is reported and the default kept.
    fn quality(&mut self, t: &DeTable<'_>) -> Quality {
        let mut q = Quality::default();
        self.fields("quality", t, QUALITY_KEYS, |s, k, v| {
            let key = format!("quality.{k}");
            if k == "window_s" {
                if let Some(n) = s.typed::<Spanned<i64>>(v, key.clone()) {
                    if let Some(w) = s.value(&n, key, |v| window_s(*v)) {
                        q.window_s = w;
                    }
                }
                return;
            }
            let Some(x) = s.typed::<Spanned<f64>>(v, key.clone()) else {
                return;
            };
            let (rule, slot): (Rule<f64>, &mut f64) = match k {
                "max_loss_percent" => (percent, &mut q.max_loss_percent),
                "max_jitter_ms" => (millis, &mut q.max_jitter_ms),
                "max_rtt_ms" => (millis, &mut q.max_rtt_ms),
                "max_reorder_percent" => (percent, &mut q.max_reorder_percent),
                _ => (percent, &mut q.max_burst_loss_percent),
            };
            if let Some(x) = s.value(&x, key, |v| rule(*v)) {
                *slot = x;
            }
        });
        q
    }

    // ---- the values ----

    /// `[site]`: a name that is not blank, the internal prefixes, the ExpressRoute flag.
    fn site_table(&mut self, s: &RawSite) -> SiteTable {
        let name = s
            .name
            .as_ref()
            .and_then(|n| self.value(n, "site.name".into(), |v| site_name(v)));
        let internal = s.internal.as_ref().map(|list| {
            list.iter()
                .filter_map(|p| self.value(p, "site.internal".into(), |v| prefix(v)))
                .collect()
        });
        SiteTable {
            name,
            internal,
            expressroute: s.expressroute,
        }
    }

    /// Each `[[path]]` block in turn, against what the blocks before it list.
    fn path_rules(&mut self, raw: &[(usize, RawPath)]) -> Vec<PathRule> {
        let mut listed = Listed::default();
        raw.iter()
            .filter_map(|(i, p)| self.path_rule(*i, p, &mut listed))
            .collect()
    }

    /// One `[[path]]` block, field by field; None when its name is a mistake (reported).
    fn path_rule(&mut self, i: usize, p: &RawPath, listed: &mut Listed) -> Option<PathRule> {
        let name = p
            .name
            .as_ref()
            .and_then(|n| self.unique_path_name(i, n, &mut listed.names));
        let interfaces = self.list(
            i,
            "interfaces",
            &p.interfaces,
            &mut listed.interfaces,
            |v| interface_name(v),
            |v| format!("interface {v:?}"),
        );
        let ifindexes = self.list(
            i,
            "ifindexes",
            &p.ifindexes,
            &mut listed.ifindexes,
            |v| ifindex(*v),
            |ix| format!("ifindex {ix}"),
        );
        let vlans = self.list(
            i,
            "vlans",
            &p.vlans,
            &mut listed.vlans,
            |v| vlan_id(*v),
            |vid| format!("VLAN {vid}"),
        );
        let macs = self.list(
            i,
            "macs",
            &p.macs,
            &mut listed.macs,
            |v| mac_address(v),
            |mac| format!("MAC {}", crate::mac::text(*mac)),
        );
        if let (Some(PathName::Local), Some(span)) = (name, &p.nat_span) {
            if !p.nat.is_empty() {
                self.push(
                    span.clone(),
                    path_key(i, "nat"),
                    SiteErrorKind::NatOnLocal,
                    "a NAT pool belongs to the edge path whose traffic it translates \
                     (expressroute or internet), not to local"
                        .into(),
                );
            }
        }
        let nat = self.nat_pools(i, name, &p.nat, &mut listed.nat);
        Some(PathRule {
            name: name?,
            interfaces,
            ifindexes,
            vlans,
            macs,
            nat,
        })
    }

    /// `name`: a path, named by one block only. The name is returned even when another block
    /// has it (reported), so that the rest of the block is checked as that path's.
    fn unique_path_name(
        &mut self,
        i: usize,
        s: &Spanned<String>,
        names: &mut FxHashMap<PathName, Seen>,
    ) -> Option<PathName> {
        let name = self.value(s, path_key(i, "name"), |v| path_name(v))?;
        if let Some(&(j, l)) = names.get(&name) {
            self.push(
                s.span(),
                path_key(i, "name"),
                SiteErrorKind::Duplicate,
                format!(
                    "{:?} is already the name of path[{j}] at line {l}",
                    name.as_str()
                ),
            );
        } else {
            names.insert(name, (i, self.line(s.span())));
        }
        Some(name)
    }

    /// One list of a `[[path]]` block (`interfaces`, `ifindexes`, `vlans`, `macs`): each value
    /// must pass `rule` and not be listed before (`what` names it in that error).
    fn list<R, K: Clone + std::hash::Hash + Eq>(
        &mut self,
        i: usize,
        field: &str,
        raw: &[Spanned<R>],
        seen: &mut FxHashMap<K, Seen>,
        rule: impl Fn(&R) -> Result<K, Mistake>,
        what: impl Fn(&K) -> String,
    ) -> Vec<K> {
        let mut values = Vec::with_capacity(raw.len());
        for s in raw {
            let Some(v) = self.value(s, path_key(i, field), &rule) else {
                continue;
            };
            if self.unique(seen, v.clone(), s.span(), i, path_key(i, field), || {
                what(&v)
            }) {
                values.push(v);
            }
        }
        values
    }

    /// `nat`: source-NAT pools. No two may overlap, in one block or across blocks: an address
    /// in two pools would name two paths.
    fn nat_pools(
        &mut self,
        i: usize,
        path: Option<PathName>,
        raw: &[Spanned<String>],
        listed: &mut Vec<NatSeen>,
    ) -> Vec<IpNetwork> {
        let mut pools = Vec::with_capacity(raw.len());
        for s in raw {
            let Some(net) = self.value(s, path_key(i, "nat"), |v| prefix(v)) else {
                continue;
            };
            if let Some(first) = listed.iter().find(|o| overlaps(&o.net, &net)) {
                let message = first.clash(i, net);
                self.push(
                    s.span(),
                    path_key(i, "nat"),
                    SiteErrorKind::Duplicate,
                    message,
                );
                continue;
            }
            listed.push(NatSeen {
                net,
                seen: (i, self.line(s.span())),
                path,
            });
            pools.push(net);
        }
        pools
    }

    /// Each `[[server]]` block: a known role, and an address no other block has.
    fn servers(&mut self, raw: &[(usize, RawServer)]) -> Vec<Server> {
        let mut servers = Vec::with_capacity(raw.len());
        let mut addrs: FxHashMap<IpAddr, Seen> = FxHashMap::default();
        for (i, s) in raw {
            let i = *i;
            let role = s
                .role
                .as_ref()
                .and_then(|r| self.value(r, server_key(i, "role"), |v| server_role(v)));
            let Some(written) = &s.address else {
                continue;
            };
            let Some(address) =
                self.value(written, server_key(i, "address"), |v| server_address(v))
            else {
                continue;
            };
            if let Some(&(j, l)) = addrs.get(&address) {
                self.push(
                    written.span(),
                    server_key(i, "address"),
                    SiteErrorKind::Duplicate,
                    format!("{address} is already server[{j}] at line {l}"),
                );
                continue;
            }
            addrs.insert(address, (i, self.line(written.span())));
            if let Some(role) = role {
                servers.push(Server { role, address });
            }
        }
        servers
    }

    /// One value through its rule; a mistake is placed at the value's line, under `key`.
    fn value<R, T>(
        &mut self,
        s: &Spanned<R>,
        key: String,
        rule: impl FnOnce(&R) -> Result<T, Mistake>,
    ) -> Option<T> {
        match rule(s.get_ref()) {
            Ok(v) => Some(v),
            Err((kind, message)) => {
                self.push(s.span(), key, kind, message);
                None
            }
        }
    }

    /// Records `value` as seen in path block `i`; false (reported) when it was seen before.
    fn unique<K: std::hash::Hash + Eq>(
        &mut self,
        seen: &mut FxHashMap<K, Seen>,
        value: K,
        span: Range<usize>,
        i: usize,
        key: String,
        what: impl Fn() -> String,
    ) -> bool {
        let line = self.line(span.clone());
        if let Some(&(j, l)) = seen.get(&value) {
            let place = if j == i {
                "this path".to_owned()
            } else {
                format!("path[{j}]")
            };
            self.push(
                span,
                key,
                SiteErrorKind::Duplicate,
                format!("{} is already listed under {place} at line {l}", what()),
            );
            return false;
        }
        seen.insert(value, (i, line));
        true
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

/// A percentage threshold: 0 to 100 (0: nothing is tolerated).
fn percent(v: f64) -> Result<f64, Mistake> {
    if (0.0..=100.0).contains(&v) {
        return Ok(v);
    }
    Err((
        SiteErrorKind::OutOfRange,
        format!("{v} is not a percentage (0 to 100)"),
    ))
}

/// A threshold in milliseconds: above 0, at most 10 s.
fn millis(v: f64) -> Result<f64, Mistake> {
    if v > 0.0 && v <= 10_000.0 {
        return Ok(v);
    }
    Err((
        SiteErrorKind::OutOfRange,
        format!("{v} is not a time in milliseconds (above 0, at most 10000)"),
    ))
}

/// The window of loss and jitter. Only Microsoft's 15 s for now: the streams' windows are
/// measured as the packets go (`media::stream::WINDOW_NS`), before the profile could choose.
fn window_s(v: i64) -> Result<u32, Mistake> {
    match u32::try_from(v) {
        Ok(15) => Ok(15),
        _ => Err((
            SiteErrorKind::OutOfRange,
            format!("{v} is not a supported window: streams are measured in 15 s windows"),
        )),
    }
}

/// ` (did you mean `KEY`?)` for the one known key closest to `name` within 2 edits (and fewer
/// edits than `name` has characters), else the one known key that starts with `name` (a unit
/// left off: `max_rtt` for `max_rtt_ms`); empty when none is, or two are equally close.
fn did_you_mean(name: &str, known: &[&str]) -> String {
    let mut best: Option<(usize, &str)> = None;
    let mut tie = false;
    for &k in known {
        let Some(d) = edit_distance(name, k, 2) else {
            continue;
        };
        if d >= name.chars().count() {
            continue;
        }
        match best {
            Some((b, _)) if b < d => {}
            Some((b, _)) if b == d => tie = true,
            _ => {
                best = Some((d, k));
                tie = false;
            }
        }
    }
    if best.is_none() && name.chars().count() >= 3 {
        let mut longer = known.iter().filter(|k| k.starts_with(name));
        if let (Some(&k), None) = (longer.next(), longer.next()) {
            best = Some((0, k));
        }
    }
    match best {
        Some((_, k)) if !tie => format!(" (did you mean `{k}`?)"),
        _ => String::new(),
    }
}

/// Levenshtein distance of `a` and `b` (in characters) when it is at most `max`.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // One row of the table at a time: prev[j] is the distance of a[..i] and b[..j].
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = Vec::with_capacity(b.len() + 1);
        row.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev
                .get(j)
                .map_or(usize::MAX, |d| d + usize::from(ca != cb));
            let delete = prev.get(j + 1).map_or(usize::MAX, |d| d + 1);
            let insert = row.get(j).map_or(usize::MAX, |d| d + 1);
            row.push(substitute.min(delete).min(insert));
        }
        if row.iter().min().is_some_and(|&m| m > max) {
            return None;
        }
        prev = row;
    }
    prev.last().copied().filter(|&d| d <= max)
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

/// A TOML syntax error with its line and key. The `toml` crate does not expose the key path,
/// so it is recovered from the text around the error's position: the enclosing table header and
/// the `key =` at or above that line.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let offset = e.span().map_or(0, |s| s.start);
    Problem {
        line: line_of(text, offset),
        key: key_path_at(text, offset).unwrap_or_else(|| "(toml)".to_owned()),
        kind: SiteErrorKind::Syntax,
        message: one_line(e),
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

    /// Expects a problem of `kind` at `line` on `key` among the profile's problems; its text.
    fn expect_err(text: &str, kind: SiteErrorKind, line: usize, key: &str) -> String {
        let e = parse(text).unwrap_err();
        let all = e.to_string();
        let found = e
            .problems()
            .iter()
            .find(|p| p.line == line && p.key == key)
            .unwrap_or_else(|| panic!("want site.toml:{line}: {key}: ..., got {all}"));
        assert_eq!(found.kind, kind, "{all}");
        format!("site.toml:{found}")
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
        assert!(msg.contains("unknown table `sites`"), "{msg}");
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

    /// Issue 13: every mistake of a profile at once, not only the first: the file named once,
    /// then one line each with its line and key, in the order of the text; each in the words
    /// it has alone.
    #[test]
    fn every_mistake_at_once_sorted_by_line() {
        let text = "[[server]]\nrole = \"x\"\naddress = \"x\"\n[site]\nname = \"\"\n\
                    internal = [\"x\", \"10.0.0.0/8\", 5]\n[[path]]\nnat = [\"x\"]\nmacs = [\"x\"]\n\
                    vlans = [5000, \"7\"]\nifindexes = [-1]\ninterfaces = [\"\"]\nname = \"x\"\n\
                    colour = \"red\"\n[[path]]\nname = \"local\"\nvlans = [1, 1]\n\
                    nat = [\"10.0.0.0/8\"]\n[[paths]]\nname = \"internet\"\n";
        let e = parse(text).unwrap_err();
        let want = "site.toml: 16 problems:
  line 2: server[0].role: \"x\" is not a server role (front-end, edge, conferencing, mediation, cloud-connector or sbc)
  line 3: server[0].address: \"x\" is not an IPv4 or IPv6 address
  line 5: site.name: is empty
  line 6: site.internal: \"x\" is not a prefix: \"x\" is not an IPv4 or IPv6 address
  line 6: site.internal: invalid type: integer `5`, expected a string
  line 8: path[0].nat: \"x\" is not a prefix: \"x\" is not an IPv4 or IPv6 address
  line 9: path[0].macs: \"x\" is not a MAC address (six hex bytes separated by ':' or '-')
  line 10: path[0].vlans: 5000 is not a VLAN id (0-4095, IEEE 802.1Q)
  line 10: path[0].vlans: invalid type: string \"7\", expected i64
  line 11: path[0].ifindexes: -1 is not an interface index (0-4294967295)
  line 12: path[0].interfaces: an interface name is empty
  line 13: path[0].name: \"x\" is not a path (expressroute, internet or local)
  line 14: path[0].colour: unknown field `colour`, expected one of `name`, `interfaces`, `ifindexes`, `vlans`, `macs`, `nat`
  line 17: path[1].vlans: VLAN 1 is already listed under this path at line 17
  line 18: path[1].nat: a NAT pool belongs to the edge path whose traffic it translates (expressroute or internet), not to local
  line 19: paths: unknown table `paths`, expected one of `site`, `path`, `server`, `quality` (did you mean `path`?)";
        assert_eq!(e.to_string(), want);
        let lines: Vec<usize> = e.problems().iter().map(|p| p.line).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
        assert_eq!(e.kind(), Some(SiteErrorKind::UnknownRole));
    }

    /// One mistake: `FILE:LINE: KEY: MESSAGE` on one line, as before issue 13.
    #[test]
    fn one_mistake_is_one_line() {
        let e = parse("[site]\nname = \"\"\n").unwrap_err();
        assert_eq!(e.to_string(), "site.toml:2: site.name: is empty");
        assert_eq!(e.problems().len(), 1);
    }

    /// Issue 13: a profile with no table (empty, or only comments and blank lines) is an
    /// error, not the default site.
    #[test]
    fn empty_profile_is_an_error() {
        for text in ["", "\n\n", "# nothing yet\n  \n# still nothing\n"] {
            let e = parse(text).unwrap_err();
            assert_eq!(e.kind(), Some(SiteErrorKind::Empty), "{text:?}");
            assert_eq!(
                e.to_string(),
                "site.toml:1: the site profile is empty: it has no [site], [[path]] or \
                 [[server]] table (leave --site out to audit without a profile)"
            );
        }
        // A table, however small, is not empty.
        assert!(parse("[site]\n").is_ok());
    }

    /// Issue 13: a NAT pool under the `local` path is an error (a NAT pool is an edge path's).
    #[test]
    fn nat_under_local_is_an_error() {
        let msg = expect_err(
            "[[path]]\nname = \"local\"\ninterfaces = [\"lan0\"]\nnat = [\"192.0.2.0/28\"]\n",
            SiteErrorKind::NatOnLocal,
            4,
            "path[0].nat",
        );
        assert_eq!(
            msg,
            "site.toml:4: path[0].nat: a NAT pool belongs to the edge path whose traffic it \
             translates (expressroute or internet), not to local"
        );
        // Named after `nat`, or with an empty list: the same, and no error.
        expect_err(
            "[[path]]\nnat = [\"192.0.2.0/28\"]\nname = \"local\"\n",
            SiteErrorKind::NatOnLocal,
            2,
            "path[0].nat",
        );
        assert!(parse("[[path]]\nname = \"local\"\nnat = []\n").is_ok());
        assert!(parse("[[path]]\nname = \"internet\"\nnat = [\"192.0.2.0/28\"]\n").is_ok());
    }

    /// Issue 13: `[[paths]]` (any unknown top-level table) is an unknown table `paths`, not a
    /// key `paths[0].paths`.
    #[test]
    fn unknown_table_is_named_as_a_table() {
        for (text, line) in [
            ("[[paths]]\nname = \"internet\"\n", 1),
            (
                "[site]\nname = \"x\"\n\n[[paths]]\nname = \"internet\"\n[[paths]]\n",
                4,
            ),
            ("[servers.a]\nrole = \"sbc\"\n", 1),
        ] {
            let e = parse(text).unwrap_err();
            let [p] = e.problems() else {
                panic!("{e}");
            };
            assert_eq!((p.line, p.kind), (line, SiteErrorKind::UnknownKey), "{e}");
            assert!(
                p.key == "paths" || p.key == "servers",
                "{text:?}: key {:?}",
                p.key
            );
            assert!(p.message.starts_with("unknown table `"), "{e}");
        }
        // A plain key at the top is an unknown field.
        let e = parse("name = \"x\"\n[site]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "site.toml:1: name: unknown field `name`, expected one of `site`, `path`, `server`, `quality`"
        );
    }

    /// A misspelt required key: the unknown key and the missing one, both.
    #[test]
    fn misspelt_required_key_is_unknown_and_missing() {
        let e = parse("[[server]]\nrloe = \"sbc\"\naddress = \"10.0.0.1\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "site.toml: 2 problems:\n  line 1: server[0]: missing field `role`\n  line 2: \
             server[0].rloe: unknown field `rloe`, expected `role` or `address` (did you mean `role`?)"
        );
    }

    // ---- [quality] ----

    /// The example profile with a `[quality]` table of `body` after it; the table's header is
    /// on line `QUALITY_LINE`, its first key on the next.
    fn with_quality(body: &str) -> String {
        format!("{EXAMPLE}\n[quality]\n{body}")
    }

    fn quality_line() -> usize {
        EXAMPLE.lines().count() + 2
    }

    #[test]
    fn quality_defaults_are_microsofts_targets() {
        let want = Quality {
            max_loss_percent: 0.1,
            max_jitter_ms: 15.0,
            max_rtt_ms: 60.0,
            max_reorder_percent: 0.01,
            max_burst_loss_percent: 1.0,
            window_s: 15,
        };
        assert_eq!(Quality::default(), want);
        assert_eq!(Site::default().quality, want);
        // No [quality] table, and an empty one.
        assert_eq!(parse(EXAMPLE).unwrap().quality, want);
        assert_eq!(parse(&with_quality("")).unwrap().quality, want);
        // A profile of a [quality] table alone is not empty.
        let site = parse("[quality]\nmax_rtt_ms = 80\n").unwrap();
        assert_eq!(site.quality.max_rtt_ms, 80.0);
        assert!(!site.site_table);
    }

    #[test]
    fn quality_each_key_set() {
        let d = Quality::default();
        let cases: [(&str, Quality); 8] = [
            (
                "max_loss_percent = 0.5",
                Quality {
                    max_loss_percent: 0.5,
                    ..d
                },
            ),
            (
                "max_jitter_ms = 30.0",
                Quality {
                    max_jitter_ms: 30.0,
                    ..d
                },
            ),
            // An integer where a decimal is expected.
            (
                "max_rtt_ms = 100",
                Quality {
                    max_rtt_ms: 100.0,
                    ..d
                },
            ),
            (
                "max_reorder_percent = 0.05",
                Quality {
                    max_reorder_percent: 0.05,
                    ..d
                },
            ),
            (
                "max_burst_loss_percent = 10",
                Quality {
                    max_burst_loss_percent: 10.0,
                    ..d
                },
            ),
            ("window_s = 15", Quality { window_s: 15, ..d }),
            // The bounds themselves are in range.
            (
                "max_loss_percent = 0\nmax_reorder_percent = 100.0\nmax_jitter_ms = 10000\n\
                 max_rtt_ms = 0.001",
                Quality {
                    max_loss_percent: 0.0,
                    max_reorder_percent: 100.0,
                    max_jitter_ms: 10_000.0,
                    max_rtt_ms: 0.001,
                    ..d
                },
            ),
            (
                "window_s = 15\nmax_burst_loss_percent = 1e1",
                Quality {
                    window_s: 15,
                    max_burst_loss_percent: 10.0,
                    ..d
                },
            ),
        ];
        for (body, want) in cases {
            let site = parse(&with_quality(body)).unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(site.quality, want, "{body}");
            // The rest of the profile is read as without the table.
            assert_eq!(
                Site { quality: d, ..site },
                parse(EXAMPLE).unwrap(),
                "{body}"
            );
        }
    }

    #[test]
    fn quality_unknown_key_suggests_the_closest() {
        let msg = expect_err(
            &with_quality("max_lost_percent = 0.1\n"),
            SiteErrorKind::UnknownKey,
            quality_line() + 1,
            "quality.max_lost_percent",
        );
        assert!(
            msg.ends_with(
                "unknown field `max_lost_percent`, expected one of `max_loss_percent`, \
                 `max_jitter_ms`, `max_rtt_ms`, `max_reorder_percent`, \
                 `max_burst_loss_percent`, `window_s` (did you mean `max_loss_percent`?)"
            ),
            "{msg}"
        );
        let msg = expect_err(
            &with_quality("window = 15\n"),
            SiteErrorKind::UnknownKey,
            quality_line() + 1,
            "quality.window",
        );
        assert!(msg.ends_with("(did you mean `window_s`?)"), "{msg}");
        // Nothing close: no suggestion.
        let msg = expect_err(
            &with_quality("mos = 4.0\n"),
            SiteErrorKind::UnknownKey,
            quality_line() + 1,
            "quality.mos",
        );
        assert!(!msg.contains("did you mean"), "{msg}");
        // A misspelt table.
        let e = parse("[qualty]\nmax_rtt_ms = 60\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "site.toml:1: qualty: unknown table `qualty`, expected one of `site`, `path`, \
             `server`, `quality` (did you mean `quality`?)"
        );
    }

    #[test]
    fn suggestions_are_close_and_unambiguous() {
        use super::did_you_mean;
        let keys = super::QUALITY_KEYS;
        assert_eq!(
            did_you_mean("max_lost_percent", keys),
            " (did you mean `max_loss_percent`?)"
        );
        assert_eq!(
            did_you_mean("max_rtt", keys),
            " (did you mean `max_rtt_ms`?)"
        );
        assert_eq!(
            did_you_mean("Window_S", keys),
            " (did you mean `window_s`?)"
        );
        // A prefix of several keys, too short a name, nothing close.
        for name in ["max", "max_", "wi", "ms", "latency", ""] {
            assert_eq!(did_you_mean(name, keys), "", "{name:?}");
        }
        // Two keys equally close: neither.
        assert_eq!(did_you_mean("ab", &["abc", "abd"]), "");
        assert_eq!(
            did_you_mean("rloe", &["role", "address"]),
            " (did you mean `role`?)"
        );
    }

    #[test]
    fn quality_values_out_of_range() {
        let cases = [
            (
                "max_loss_percent = -0.5",
                "max_loss_percent",
                "-0.5 is not a percentage (0 to 100)",
            ),
            (
                "max_reorder_percent = 100.5",
                "max_reorder_percent",
                "100.5 is not a percentage",
            ),
            (
                "max_burst_loss_percent = 1000",
                "max_burst_loss_percent",
                "1000 is not a percentage",
            ),
            (
                "max_loss_percent = nan",
                "max_loss_percent",
                "NaN is not a percentage",
            ),
            (
                "max_jitter_ms = 0",
                "max_jitter_ms",
                "0 is not a time in milliseconds (above 0, at most 10000)",
            ),
            (
                "max_jitter_ms = -15.0",
                "max_jitter_ms",
                "-15 is not a time in milliseconds",
            ),
            (
                "max_rtt_ms = 10000.5",
                "max_rtt_ms",
                "10000.5 is not a time in milliseconds",
            ),
            (
                "max_rtt_ms = inf",
                "max_rtt_ms",
                "inf is not a time in milliseconds",
            ),
            (
                "window_s = 0",
                "window_s",
                "0 is not a supported window: streams are measured in 15 s windows",
            ),
            (
                "window_s = -15",
                "window_s",
                "-15 is not a supported window",
            ),
            ("window_s = 60", "window_s", "60 is not a supported window"),
            (
                "window_s = 9999999999999",
                "window_s",
                "9999999999999 is not a supported window",
            ),
        ];
        for (body, key, message) in cases {
            let msg = expect_err(
                &with_quality(body),
                SiteErrorKind::OutOfRange,
                quality_line() + 1,
                &format!("quality.{key}"),
            );
            assert!(msg.contains(message), "{body}: {msg}");
        }
    }

    #[test]
    fn quality_wrong_types() {
        for (body, key) in [
            ("max_rtt_ms = \"60\"", "quality.max_rtt_ms"),
            ("max_loss_percent = true", "quality.max_loss_percent"),
            ("max_jitter_ms = [15]", "quality.max_jitter_ms"),
            ("window_s = 15.0", "quality.window_s"),
            ("window_s = \"15\"", "quality.window_s"),
        ] {
            expect_err(
                &with_quality(body),
                SiteErrorKind::BadValue,
                quality_line() + 1,
                key,
            );
        }
        // `quality` that is not a table.
        let e = parse("quality = 5\n").unwrap_err();
        assert_eq!(e.kind(), Some(SiteErrorKind::BadValue), "{e}");
        assert_eq!(e.problems()[0].key, "quality", "{e}");
        let e = parse("[[quality]]\nmax_rtt_ms = 60\n").unwrap_err();
        assert_eq!(e.kind(), Some(SiteErrorKind::BadValue), "{e}");
    }

    #[test]
    fn quality_every_mistake_at_once() {
        let text = "[quality]\nmax_loss_percent = 101\nmax_jitter_ms = \"x\"\nmax_rtt = 60\n\
                    window_s = 0\n";
        let e = parse(text).unwrap_err();
        let found: Vec<(usize, &str, SiteErrorKind)> = e
            .problems()
            .iter()
            .map(|p| (p.line, p.key.as_str(), p.kind))
            .collect();
        assert_eq!(
            found,
            [
                (2, "quality.max_loss_percent", SiteErrorKind::OutOfRange),
                (3, "quality.max_jitter_ms", SiteErrorKind::BadValue),
                (4, "quality.max_rtt", SiteErrorKind::UnknownKey),
                (5, "quality.window_s", SiteErrorKind::OutOfRange),
            ],
            "{e}"
        );
        assert!(
            e.to_string().contains("(did you mean `max_rtt_ms`?)"),
            "{e}"
        );
    }
}
