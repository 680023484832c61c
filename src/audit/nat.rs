//! Source NAT in the audit: NAT twins (`correlate`) oriented inside and outside, the inside flow
//! given its twin's paths and its findings left to the twin (SPEC "Several capture points as
//! one"), and `nat-pool-shared`: one public source address egressing over ExpressRoute and the
//! Internet, Microsoft's documented cause of asymmetric routing ("ExpressRoute NAT
//! requirements": separate NAT pools per path; FACTS.md A).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::code::{Code, Codes};
use super::path::ObservedPath;
use super::verdict::Verdict;
use super::AuditInput;
use crate::correlate::Twins;
use crate::flow::{Endpoint, FlowKey, FlowTable};

/// A flow's side of a NAT twin pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NatLink {
    /// This flow was seen inside the NAT (before translation).
    pub inside: bool,
    /// The twin's flow id.
    pub twin: u32,
    /// The twin's slot in the flow table.
    pub twin_slot: u32,
}

/// A flow's NAT twin as the report shows it: the twin's id and the translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NatReport {
    pub inside: bool,
    pub twin: u64,
    /// The translated end before and after the translation.
    pub inside_end: Endpoint,
    pub outside_end: Endpoint,
}

impl NatReport {
    /// The report of `link` on the flow `key` whose twin is `twin`.
    pub(super) fn of(link: NatLink, key: &FlowKey, twin: &FlowKey) -> Option<NatReport> {
        let (inside_key, outside_key) = if link.inside {
            (key, twin)
        } else {
            (twin, key)
        };
        Some(NatReport {
            inside: link.inside,
            twin: u64::from(link.twin),
            inside_end: translated_end(inside_key, outside_key)?,
            outside_end: translated_end(outside_key, inside_key)?,
        })
    }
}

/// Flow ids listed per path in a `nat-pool-shared` finding.
pub const SHARED_POOL_EXAMPLES: usize = 3;

/// The flows one public source address sent over one edge path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathFlows {
    pub flows: u64,
    /// The first `SHARED_POOL_EXAMPLES` flow ids, in report order.
    pub examples: Vec<u64>,
}

/// A source address seen egressing over both edge paths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedPool {
    pub address: IpAddr,
    pub expressroute: PathFlows,
    pub internet: PathFlows,
}

/// An address a NAT pool would not use: RFC 1918, shared address space (RFC 6598), link-local,
/// loopback, IPv6 unique local (RFC 4193).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or(0);
            v6.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80
        }
    }
}

/// The endpoint of `key` not in `other` (the translated end), if exactly one differs.
fn translated_end(key: &FlowKey, other: &FlowKey) -> Option<Endpoint> {
    let in_other = |e: Endpoint| e == other.a || e == other.b;
    match (in_other(key.a), in_other(key.b)) {
        (true, false) => Some(key.b),
        (false, true) => Some(key.a),
        _ => None,
    }
}

/// Which of two twins is inside: its translated end is private where the other's is public,
/// or the other's is in a path's NAT pool; else the one whose edge path is unknown while the
/// other's is known. None when nothing tells.
fn inside_of(
    input: &AuditInput<'_>,
    a: (&FlowKey, &Verdict<'_>),
    b: (&FlowKey, &Verdict<'_>),
) -> Option<bool> {
    let (ea, eb) = (translated_end(a.0, b.0)?, translated_end(b.0, a.0)?);
    let site = input.site;
    let pooled = |e: Endpoint| site.path_for_nat(e.ip).is_some();
    match (pooled(ea), pooled(eb)) {
        (false, true) => return Some(true),
        (true, false) => return Some(false),
        _ => {}
    }
    match (is_private(ea.ip), is_private(eb.ip)) {
        (true, false) => return Some(true),
        (false, true) => return Some(false),
        _ => {}
    }
    let known = |v: &Verdict<'_>| {
        [v.path.forward, v.path.reverse]
            .iter()
            .any(|p| ObservedPath::is_edge(*p))
    };
    match (known(a.1), known(b.1)) {
        (false, true) => Some(true),
        (true, false) => Some(false),
        _ => None,
    }
}

/// Links each pair of twins: the inside flow takes its twin's paths (direction by direction,
/// by which end sent) and keeps no findings of its own, which are reported once, on the
/// outside flow.
pub(super) fn link_twins(
    input: &AuditInput<'_>,
    table: &FlowTable,
    order: &[u32],
    verdicts: &mut [Verdict<'_>],
    ids: &[u32],
) {
    let twins: &[Twins] = &input.correlation.twins;
    if twins.is_empty() {
        return;
    }
    let mut wanted: HashMap<FlowKey, usize> = twins
        .iter()
        .flat_map(|t| [(t.a, usize::MAX), (t.b, usize::MAX)])
        .collect();
    for (i, &slot) in order.iter().enumerate() {
        if let Some((key, _)) = table.at(slot) {
            if let Some(at) = wanted.get_mut(key) {
                *at = i;
            }
        }
    }
    for t in twins {
        let (Some(&ia), Some(&ib)) = (wanted.get(&t.a), wanted.get(&t.b)) else {
            continue;
        };
        let (Some(va), Some(vb)) = (verdicts.get(ia).copied(), verdicts.get(ib).copied()) else {
            continue;
        };
        let Some(a_inside) = inside_of(input, (&t.a, &va), (&t.b, &vb)) else {
            continue;
        };
        let ((ki, ii, vi), (ko, io, vo)) = if a_inside {
            ((t.a, ia, va), (t.b, ib, vb))
        } else {
            ((t.b, ib, vb), (t.a, ia, va))
        };
        let (Some(&id_in), Some(&id_out)) = (ids.get(ii), ids.get(io)) else {
            continue;
        };
        // The direction the translated end sends is forward in each flow where it is the
        // client.
        let translated_is_client = |k: &FlowKey, v: &Verdict<'_>, other: &FlowKey| {
            translated_end(k, other) == Some(k.sender(v.ends.client_side))
        };
        let same_orientation =
            translated_is_client(&ki, &vi, &ko) == translated_is_client(&ko, &vo, &ki);
        if let Some(v) = verdicts.get_mut(ii) {
            v.path = if same_orientation {
                vo.path
            } else {
                super::path::PathPair {
                    forward: vo.path.reverse,
                    reverse: vo.path.forward,
                }
            };
            v.codes = Codes::default();
            v.asymmetric_by_points = false;
            v.nat = Some(NatLink {
                inside: true,
                twin: id_out,
                twin_slot: order.get(io).copied().unwrap_or(u32::MAX),
            });
        }
        if let Some(v) = verdicts.get_mut(io) {
            v.nat = Some(NatLink {
                inside: false,
                twin: id_in,
                twin_slot: order.get(ii).copied().unwrap_or(u32::MAX),
            });
        }
    }
}

/// The inside flow of a NAT pair is in its twin's call (`link::calls` leaves it out).
pub(super) fn calls_of_twins(order: &[u32], verdicts: &mut [Verdict<'_>]) {
    let inside: Vec<(usize, u32)> = verdicts
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.nat.filter(|n| n.inside).map(|n| (i, n.twin_slot)))
        .collect();
    if inside.is_empty() {
        return;
    }
    let at_of_slot: HashMap<u32, usize> = order.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    for (i, twin_slot) in inside {
        let call = at_of_slot
            .get(&twin_slot)
            .and_then(|&j| verdicts.get(j))
            .map_or(0, |v| v.call);
        if let Some(v) = verdicts.get_mut(i) {
            v.call = call;
        }
    }
}

/// `nat-pool-shared`: source addresses (the site's end of flows crossing the edge, public or
/// in a path's NAT pool) seen over both ExpressRoute and the Internet. The code goes on the
/// first flow of each path from the address; the returned pools are the facts, by address.
pub(super) fn shared_pools(
    table: &FlowTable,
    order: &[u32],
    verdicts: &mut [Verdict<'_>],
    ids: &[u32],
) -> Vec<SharedPool> {
    // address -> per path (expressroute, internet): flows, examples, first index.
    #[derive(Default)]
    struct Seen {
        er: (PathFlows, Option<usize>),
        inet: (PathFlows, Option<usize>),
    }
    let mut by_address: BTreeMap<IpAddr, Seen> = BTreeMap::new();
    for (i, (v, &slot)) in verdicts.iter().zip(order).enumerate() {
        let ends = v.ends;
        // Most flows stop here, without reading their key.
        if !ends.site_end_public || v.nat.is_some_and(|n| n.inside) {
            continue;
        }
        // The site's end and the direction it sent.
        let path = if ends.client_internal {
            v.path.forward
        } else {
            v.path.reverse
        };
        if !matches!(
            path,
            Some(ObservedPath::Expressroute | ObservedPath::Internet)
        ) {
            continue;
        }
        let Some((key, _)) = table.at(slot) else {
            continue;
        };
        let site_side = if ends.client_internal {
            ends.client_side
        } else {
            1 - ends.client_side
        };
        let seen = by_address.entry(key.sender(site_side).ip).or_default();
        let slot = if path == Some(ObservedPath::Expressroute) {
            &mut seen.er
        } else {
            &mut seen.inet
        };
        slot.0.flows += 1;
        if slot.0.examples.len() < SHARED_POOL_EXAMPLES {
            if let Some(&id) = ids.get(i) {
                slot.0.examples.push(u64::from(id));
            }
        }
        slot.1.get_or_insert(i);
    }
    let mut pools = Vec::new();
    for (address, seen) in by_address {
        let (Some(er_at), Some(inet_at)) = (seen.er.1, seen.inet.1) else {
            continue;
        };
        for at in [er_at, inet_at] {
            if let Some(v) = verdicts.get_mut(at) {
                v.codes.insert(Code::NatPoolShared);
            }
        }
        pools.push(SharedPool {
            address,
            expressroute: seen.er.0,
            internet: seen.inet.0,
        });
    }
    pools
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.1.1",
            "fd00::1",
            "fe80::1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["192.0.2.30", "52.112.0.1", "100.128.0.1", "2001:db8::1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_translated_end_is_the_one_not_shared() {
        let ep = |s: &str| {
            let a: std::net::SocketAddr = s.parse().unwrap();
            Endpoint {
                ip: a.ip(),
                port: a.port(),
            }
        };
        let inside = FlowKey::new(17, ep("10.1.1.10:5060"), ep("52.112.1.1:5061")).0;
        let outside = FlowKey::new(17, ep("192.0.2.30:40000"), ep("52.112.1.1:5061")).0;
        assert_eq!(
            translated_end(&inside, &outside),
            Some(ep("10.1.1.10:5060"))
        );
        assert_eq!(
            translated_end(&outside, &inside),
            Some(ep("192.0.2.30:40000"))
        );
        assert_eq!(translated_end(&inside, &inside), None);
    }
}
