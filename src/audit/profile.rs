//! The site profile against what the captures showed: `[[path]]` rules whose capture point,
//! ifindex, VLAN or next-hop MAC matched nothing seen (with what was seen instead and, when one
//! seen value is close, the likely typo), `expressroute = true` without an `expressroute` path,
//! a profile without `[site]`. Warnings as data, made once after reading: the run goes on;
//! `report::message` words them.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::path::next_hop_mac;
use super::verdict::ends;
use super::{AuditInput, Audited, PointKind, PointValue};
use crate::flow::{FlowState, FlowTable};
use crate::site::{edit_distance, PathName, Site};

/// Seen values kept in a warning (those with the most packets).
pub const SEEN_KEPT: usize = 5;

/// Something the site profile says that the captures do not bear out, or that it leaves to the
/// defaults. In the order `profile_warnings` gives them: the profile as a whole, then the kinds
/// of rule the captures showed nothing of (in `PointKind` order), then each other `[[path]]`
/// value that matched nothing, in the order the profile writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileWarning {
    /// No `[site]` table: the rules apply, with no name and the default internal prefixes.
    NoSiteTable,
    /// `[site] expressroute = true`, but no `[[path]]` block is named `expressroute`: flows are
    /// expected over ExpressRoute, yet no packet can be seen on it.
    ExpressrouteWithoutPath,
    /// The captures showed nothing of one kind (no VLAN tag, no SLL2 ifindex, no named
    /// capture point, no next-hop MAC): every value of the rules of that kind matched nothing.
    /// One warning for them all: the profile may describe other captures of the site.
    NoneSeen {
        kind: PointKind,
        /// The rules' values, in the order the profile writes them.
        rules: Vec<RuleValue>,
    },
    /// A value of a `[[path]]` rule that matched nothing, while other values of its kind were
    /// seen.
    Unmatched(Unmatched),
}

/// One value of a `[[path]]` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleValue {
    /// The `[[path]]` block, from 0 (`path[0]`, as the profile's errors number them).
    pub block: usize,
    pub path: PathName,
    pub value: PointValue,
}

/// A `[[path]]` rule's value that no packet matched, and what the captures showed instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatched {
    /// The `[[path]]` block, from 0 (`path[0]`, as the profile's errors number them).
    pub block: usize,
    pub path: PathName,
    /// What the value names: a capture point (`interfaces`), an SLL2 ifindex (`ifindexes`), a
    /// VLAN id (`vlans`) or a next-hop MAC (`macs`).
    pub kind: PointKind,
    pub value: PointValue,
    /// The values of that kind the captures showed, most packets first (at most `SEEN_KEPT`).
    pub seen: Vec<PointValue>,
    /// How many distinct values of that kind the captures showed.
    pub seen_total: usize,
    /// The one seen value, named by no rule, that is close to `value` (equal but for case or
    /// surrounding spaces, or at most 2 edits away): a likely typo.
    pub suggestion: Option<PointValue>,
}

/// The warnings for a run: walks `table` once (working out each flow's ends again; an audited
/// run has them: `Audited::profile_warnings`). None without a profile.
pub fn profile_warnings(input: &AuditInput<'_>, table: &FlowTable) -> Vec<ProfileWarning> {
    let flows = table.iter().map(|(key, state)| {
        let e = ends(input, key, state);
        (state, [e.sender_internal(0), e.sender_internal(1)])
    });
    warnings(input, flows)
}

impl Audited<'_> {
    /// The site profile warnings of this run, from the verdicts' ends. None without a profile.
    pub fn profile_warnings(&self) -> Vec<ProfileWarning> {
        let flows = self
            .order
            .iter()
            .zip(&self.verdicts)
            .filter_map(|(&slot, v)| {
                let (_, state) = self.table.at(slot)?;
                Some((
                    state,
                    [v.ends.sender_internal(0), v.ends.sender_internal(1)],
                ))
            });
        warnings(self.input, flows)
    }
}

/// Each flow's state and, per side, whether the end sending on it is internal.
fn warnings<'s>(
    input: &AuditInput<'_>,
    flows: impl Iterator<Item = (&'s FlowState, [bool; 2])>,
) -> Vec<ProfileWarning> {
    let site = input.site;
    if site.profile.is_none() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !site.site_table {
        out.push(ProfileWarning::NoSiteTable);
    }
    if site.expressroute && !site.paths.iter().any(|p| p.name == PathName::Expressroute) {
        out.push(ProfileWarning::ExpressrouteWithoutPath);
    }
    let shown = Shown::of(input, flows);
    let mut none_seen: BTreeMap<PointKind, Vec<RuleValue>> = BTreeMap::new();
    let mut unmatched = Vec::new();
    for (block, rule) in site.paths.iter().enumerate() {
        let values = rule
            .interfaces
            .iter()
            .map(|n| (PointKind::Capture, PointValue::Name(n.clone())))
            .chain(
                rule.ifindexes
                    .iter()
                    .map(|&i| (PointKind::Ifindex, PointValue::Number(i))),
            )
            .chain(
                rule.vlans
                    .iter()
                    .map(|&v| (PointKind::Vlan, PointValue::Number(u32::from(v)))),
            )
            .chain(
                rule.macs
                    .iter()
                    .map(|&m| (PointKind::NextHopMac, PointValue::Mac(m))),
            );
        for (kind, value) in values {
            let seen = shown.of_kind(kind);
            if seen.contains_key(&value) {
                continue;
            }
            if seen.is_empty() {
                none_seen.entry(kind).or_default().push(RuleValue {
                    block,
                    path: rule.name,
                    value,
                });
                continue;
            }
            unmatched.push(ProfileWarning::Unmatched(Unmatched {
                block,
                path: rule.name,
                kind,
                suggestion: suggestion(site, kind, &value, seen),
                seen: most_packets(seen),
                seen_total: seen.len(),
                value,
            }));
        }
    }
    out.extend(
        none_seen
            .into_iter()
            .map(|(kind, rules)| ProfileWarning::NoneSeen { kind, rules }),
    );
    out.extend(unmatched);
    out
}

/// Values seen, each with its packets.
type Counts = BTreeMap<PointValue, u64>;

/// What the captures showed that a rule can name.
#[derive(Default)]
struct Shown {
    /// Capture point names a rule matches: the files' LABELs and pcapng interface names.
    names: Counts,
    ifindexes: Counts,
    vlans: Counts,
    /// Next-hop MACs (SPEC rule 4), as the path rules read them.
    macs: Counts,
}

impl Shown {
    fn of<'s>(
        input: &AuditInput<'_>,
        flows: impl Iterator<Item = (&'s FlowState, [bool; 2])>,
    ) -> Shown {
        let mut shown = Shown::default();
        for c in input.captures {
            if let Some(label) = &c.spec.label {
                *shown
                    .names
                    .entry(PointValue::Name(label.clone()))
                    .or_insert(0) += c.packets;
            }
            for (i, iface) in c.interfaces.iter().enumerate() {
                if let Some(name) = &iface.name {
                    let packets = c.interface_packets.get(i).copied().unwrap_or(0);
                    *shown
                        .names
                        .entry(PointValue::Name(name.clone()))
                        .or_insert(0) += packets;
                }
            }
        }
        // Only a rule naming an ifindex, a VLAN or a MAC needs the flows.
        let site = input.site;
        if !site
            .paths
            .iter()
            .any(|p| !p.ifindexes.is_empty() || !p.vlans.is_empty() || !p.macs.is_empty())
        {
            return shown;
        }
        let mut ifindexes: FxHashMap<u32, u64> = FxHashMap::default();
        let mut vlans: FxHashMap<u16, u64> = FxHashMap::default();
        let mut macs: FxHashMap<[u8; 6], u64> = FxHashMap::default();
        for (state, internal) in flows {
            for (side, s) in state.sides.iter().enumerate() {
                let sender = internal.get(side).copied().unwrap_or(false);
                let receiver = internal.get(1 - side).copied().unwrap_or(false);
                for sight in s.sightings.iter() {
                    if let Some(i) = sight.ifindex {
                        *ifindexes.entry(i).or_insert(0) += sight.packets;
                    }
                    if let Some(v) = sight.vlan {
                        *vlans.entry(v).or_insert(0) += sight.packets;
                    }
                    if let Some(m) = next_hop_mac(sender, receiver, sight) {
                        *macs.entry(m).or_insert(0) += sight.packets;
                    }
                }
            }
        }
        shown.ifindexes = ifindexes
            .into_iter()
            .map(|(i, n)| (PointValue::Number(i), n))
            .collect();
        shown.vlans = vlans
            .into_iter()
            .map(|(v, n)| (PointValue::Number(u32::from(v)), n))
            .collect();
        shown.macs = macs
            .into_iter()
            .map(|(m, n)| (PointValue::Mac(m), n))
            .collect();
        shown
    }

    fn of_kind(&self, kind: PointKind) -> &Counts {
        match kind {
            PointKind::Capture => &self.names,
            PointKind::Ifindex => &self.ifindexes,
            PointKind::Vlan => &self.vlans,
            PointKind::NextHopMac => &self.macs,
        }
    }
}

/// The `SEEN_KEPT` values with the most packets (ties: in value order).
fn most_packets(seen: &Counts) -> Vec<PointValue> {
    let mut all: Vec<(&PointValue, u64)> = seen.iter().map(|(v, &n)| (v, n)).collect();
    all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    all.into_iter()
        .take(SEEN_KEPT)
        .map(|(v, _)| v.clone())
        .collect()
}

/// Whether some rule of the profile already names `value` (then it is no typo of another).
fn named(site: &Site, kind: PointKind, value: &PointValue) -> bool {
    site.paths.iter().any(|p| match (kind, value) {
        (PointKind::Capture, PointValue::Name(n)) => p.interfaces.contains(n),
        (PointKind::Ifindex, PointValue::Number(i)) => p.ifindexes.contains(i),
        (PointKind::Vlan, PointValue::Number(v)) => {
            u16::try_from(*v).is_ok_and(|v| p.vlans.contains(&v))
        }
        (PointKind::NextHopMac, PointValue::Mac(m)) => p.macs.contains(m),
        _ => false,
    })
}

/// The seen value, named by no rule, closest to `value` as text: equal but for case or
/// surrounding spaces first, then 1 edit, then 2 (and fewer edits than `value` has characters:
/// any one digit is one edit from any other); None when nothing is that close or two values are
/// equally close.
fn suggestion(
    site: &Site,
    kind: PointKind,
    value: &PointValue,
    seen: &Counts,
) -> Option<PointValue> {
    let want = text(value);
    let mut best: Option<(usize, &PointValue)> = None;
    let mut tie = false;
    for candidate in seen.keys() {
        if named(site, kind, candidate) {
            continue;
        }
        let Some(rank) = closeness(&want, &text(candidate)) else {
            continue;
        };
        match best {
            Some((r, _)) if r < rank => {}
            Some((r, _)) if r == rank => tie = true,
            _ => {
                best = Some((rank, candidate));
                tie = false;
            }
        }
    }
    match best {
        Some((_, v)) if !tie => Some(v.clone()),
        _ => None,
    }
}

/// A value as a rule writes it, for comparing spellings.
fn text(v: &PointValue) -> String {
    match v {
        PointValue::Name(n) => n.clone(),
        PointValue::Number(n) => n.to_string(),
        PointValue::Mac(m) => crate::mac::text(*m),
    }
}

/// 0 when `a` and `b` differ only in case or surrounding spaces, else their edit distance when
/// it is 1 or 2 and below `a`'s length; None otherwise.
fn closeness(a: &str, b: &str) -> Option<usize> {
    if a.trim().to_lowercase() == b.trim().to_lowercase() {
        return Some(0);
    }
    let d = edit_distance(a, b, 2)?;
    (d < a.chars().count()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::tests::capture;
    use crate::decode::{LinkInfo, TransportLayer};
    use crate::flow::{Endpoint, Observation, PointId};
    use crate::pipeline::CaptureSummary;
    use crate::ranges::Ranges;

    /// `n` packets from `src` to `dst` with this link information, on interface 0.
    fn packets(t: &mut FlowTable, src: &str, dst: &str, link: LinkInfo, n: usize) {
        let (src, dst): (std::net::SocketAddr, std::net::SocketAddr) =
            (src.parse().unwrap(), dst.parse().unwrap());
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
        for i in 0..n {
            t.update(&Observation {
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
                point: PointId {
                    file: 0,
                    interface: 0,
                },
                ts_ns: 1_000_000_000 + i as i64,
                wire_len: 100,
                fragment: false,
            });
        }
    }

    const ROUTER: [u8; 6] = [2, 0, 0, 0, 0x0e, 1];
    const HOST: [u8; 6] = [2, 0, 0, 0, 0, 0x22];

    /// A table of one flow out through the ER router on VLAN 100, ifindex 3 (3 packets), and
    /// one through another router on VLAN 200 (1 packet).
    fn table() -> FlowTable {
        let mut t = FlowTable::new();
        let link = |vlan, dst_mac| LinkInfo {
            src_mac: Some(HOST),
            dst_mac: Some(dst_mac),
            vlan: Some(vlan),
            ifindex: Some(3),
            ..LinkInfo::default()
        };
        packets(
            &mut t,
            "10.1.1.2:50000",
            "52.112.30.9:3480",
            link(100, ROUTER),
            3,
        );
        packets(
            &mut t,
            "10.1.1.2:50001",
            "52.112.30.9:3481",
            link(200, [2, 0, 0, 0, 0x1e, 1]),
            1,
        );
        t
    }

    /// The warnings of `profile` (`site.toml`) on `captures` and `table()`.
    fn warnings_of(profile: &str, captures: &[CaptureSummary]) -> Vec<ProfileWarning> {
        let site = Site::from_toml_str(profile, "site.toml").unwrap();
        let ranges = Ranges::bundled().unwrap();
        let input = AuditInput {
            site: &site,
            ranges: &ranges,
            captures,
            correlation: &crate::correlate::Correlation::default(),
        };
        let t = table();
        let direct = profile_warnings(&input, &t);
        // The audited run gives the same, from its verdicts.
        let audited = super::super::audit(&input, t);
        assert_eq!(audited.profile_warnings(), direct);
        direct
    }

    fn unmatched(w: &[ProfileWarning]) -> Vec<&Unmatched> {
        w.iter()
            .filter_map(|w| match w {
                ProfileWarning::Unmatched(u) => Some(u),
                _ => None,
            })
            .collect()
    }

    const SITE: &str = "[site]\nname = \"t\"\ninternal = [\"10.0.0.0/8\"]\n";

    /// Issue 13: a capture point named with the wrong case, or with a space, matches nothing;
    /// the warning names the rule, what was seen and the likely spelling.
    #[test]
    fn rule_naming_no_capture_point_is_a_warning_with_a_suggestion() {
        let profile = format!(
            "{SITE}[[path]]\nname = \"expressroute\"\ninterfaces = [\"ER0\"]\n\
             [[path]]\nname = \"internet\"\ninterfaces = [\"inet0 \", \"lan0\"]\n"
        );
        let w = warnings_of(&profile, &[capture("x.pcapng", &["er0", "inet0", "lan0"])]);
        let u = unmatched(&w);
        assert_eq!(u.len(), 2, "{w:?}");
        assert_eq!(
            *u[0],
            Unmatched {
                block: 0,
                path: PathName::Expressroute,
                kind: PointKind::Capture,
                value: PointValue::Name("ER0".into()),
                seen: ["er0", "inet0", "lan0"]
                    .map(|n| PointValue::Name(n.into()))
                    .to_vec(),
                seen_total: 3,
                suggestion: Some(PointValue::Name("er0".into())),
            }
        );
        assert_eq!(
            (u[1].block, &u[1].value, &u[1].suggestion),
            (
                1,
                &PointValue::Name("inet0 ".into()),
                &Some(PointValue::Name("inet0".into()))
            )
        );
        // A LABEL is a capture point's name too; a name listed matches.
        let w = warnings_of(&profile, &[capture("ER0=x.pcap", &[])]);
        assert_eq!(unmatched(&w).len(), 2, "{w:?}");
        assert!(unmatched(&w).iter().all(|u| u.suggestion.is_none()));
    }

    /// Issue 13: ifindexes, VLANs and next-hop MACs are matched against the flows' sightings;
    /// a value 1 edit from an unnamed seen one is suggested, one named by another rule is not.
    #[test]
    fn ifindex_vlan_and_mac_rules_against_the_sightings() {
        let profile = format!(
            "{SITE}[[path]]\nname = \"expressroute\"\nvlans = [100]\nifindexes = [3]\n\
             macs = [\"02:00:00:00:0e:01\"]\n[[path]]\nname = \"internet\"\nvlans = [2000, 7]\n\
             ifindexes = [4]\nmacs = [\"02:00:00:00:1e:02\", \"02:00:00:00:00:22\"]\n"
        );
        let w = warnings_of(&profile, &[capture("x.pcapng", &["tap"])]);
        let u = unmatched(&w);
        let got: Vec<(PointKind, &PointValue, Option<&PointValue>)> = u
            .iter()
            .map(|u| (u.kind, &u.value, u.suggestion.as_ref()))
            .collect();
        let mac = PointValue::Mac;
        assert_eq!(
            got,
            [
                // 4 is one edit from 3, but 3 is one digit and named by path[0].
                (PointKind::Ifindex, &PointValue::Number(4), None),
                // 2000 is one edit from 200 (seen, named by no rule).
                (
                    PointKind::Vlan,
                    &PointValue::Number(2000),
                    Some(&PointValue::Number(200))
                ),
                // 7 is one digit: not "close" to anything.
                (PointKind::Vlan, &PointValue::Number(7), None),
                (
                    PointKind::NextHopMac,
                    &mac([2, 0, 0, 0, 0x1e, 2]),
                    Some(&mac([2, 0, 0, 0, 0x1e, 1]))
                ),
                // The host's own MAC is no next hop.
                (PointKind::NextHopMac, &mac(HOST), None),
            ]
        );
        // Most packets first.
        assert_eq!(
            u[1].seen,
            [PointValue::Number(100), PointValue::Number(200)]
        );
        assert_eq!(u[1].seen_total, 2);
        assert_eq!(
            (&u[0].seen, u[0].seen_total),
            (&vec![PointValue::Number(3)], 1)
        );
    }

    /// Issue 13: `expressroute = true` without an `expressroute` path, and a profile without
    /// `[site]`, are warnings; no profile, no warnings.
    #[test]
    fn expressroute_without_a_path_and_no_site_table() {
        let caps = [capture("x.pcapng", &["er0"])];
        let w = warnings_of(
            "[site]\nexpressroute = true\n[[path]]\nname = \"internet\"\ninterfaces = [\"er0\"]\n",
            &caps,
        );
        assert_eq!(w, [ProfileWarning::ExpressrouteWithoutPath]);
        let w = warnings_of(
            "[[path]]\nname = \"expressroute\"\ninterfaces = [\"er0\"]\n",
            &caps,
        );
        assert_eq!(w, [ProfileWarning::NoSiteTable]);
        let site = Site::default();
        let ranges = Ranges::bundled().unwrap();
        let input = AuditInput {
            site: &site,
            ranges: &ranges,
            captures: &caps,
            correlation: &crate::correlate::Correlation::default(),
        };
        assert!(profile_warnings(&input, &table()).is_empty());
    }

    /// Rules of a kind the captures show nothing of: one warning for them all.
    #[test]
    fn kind_seen_nowhere_is_one_warning() {
        let profile = format!(
            "{SITE}[[path]]\nname = \"expressroute\"\ninterfaces = [\"er0\"]\n\
             [[path]]\nname = \"internet\"\ninterfaces = [\"inet0\", \"fw0\"]\n"
        );
        let w = warnings_of(&profile, &[capture("x.pcap", &[])]);
        let rule = |block, path, n: &str| RuleValue {
            block,
            path,
            value: PointValue::Name(n.into()),
        };
        assert_eq!(
            w,
            [ProfileWarning::NoneSeen {
                kind: PointKind::Capture,
                rules: vec![
                    rule(0, PathName::Expressroute, "er0"),
                    rule(1, PathName::Internet, "inet0"),
                    rule(1, PathName::Internet, "fw0"),
                ]
            }]
        );
    }

    #[test]
    fn closeness_of_spellings() {
        assert_eq!(closeness("ER0", "er0"), Some(0));
        assert_eq!(closeness("inet0 ", "inet0"), Some(0));
        assert_eq!(closeness(" Inet0", "inet0"), Some(0));
        assert_eq!(closeness("eth1", "eth0"), Some(1));
        assert_eq!(closeness("etho", "eth0"), Some(1));
        assert_eq!(closeness("wan-0", "wan0"), Some(1));
        assert_eq!(closeness("er0", "inet0"), None);
        assert_eq!(closeness("3", "4"), None);
        assert_eq!(closeness("10", "20"), Some(1));
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("", "ab", 2), Some(2));
        assert_eq!(edit_distance("é0", "e0", 2), Some(1));
    }
}
