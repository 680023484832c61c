//! Observed paths: the path of each sighting of a direction (SPEC "How a packet's path is
//! decided"), and a direction's path from its sightings.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use super::AuditInput;
use crate::flow::Sighting;
use crate::site::{PathName, Site};

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

    /// One of the two edge paths (ExpressRoute, Internet).
    pub fn is_edge(p: Option<ObservedPath>) -> bool {
        matches!(p, Some(ObservedPath::Expressroute | ObservedPath::Internet))
    }
}

impl From<PathName> for ObservedPath {
    fn from(p: PathName) -> ObservedPath {
        match p {
            PathName::Expressroute => ObservedPath::Expressroute,
            PathName::Internet => ObservedPath::Internet,
            PathName::Local => ObservedPath::Local,
        }
    }
}

/// One direction of a flow: forward is what the client sent, reverse what the server sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Forward,
    Reverse,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Forward => "forward",
            Direction::Reverse => "reverse",
        }
    }
}

/// A value per direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair<T> {
    pub forward: T,
    pub reverse: T,
}

impl<T: Copy> Pair<T> {
    /// The value of `direction`.
    pub fn get(&self, direction: Direction) -> T {
        match direction {
            Direction::Forward => self.forward,
            Direction::Reverse => self.reverse,
        }
    }
}

/// The observed path of each direction; `None` for a direction with no packet.
pub type PathPair = Pair<Option<ObservedPath>>;

/// Internal per the site profile, or an address that never leaves the site: multicast, the
/// limited broadcast (RFC 919) and the unspecified address (DHCP, mDNS, SSDP, ...).
pub fn stays_inside(site: &Site, ip: IpAddr) -> bool {
    site.is_internal(ip)
        || ip.is_multicast()
        || ip.is_unspecified()
        || ip == IpAddr::V4(Ipv4Addr::BROADCAST)
}

/// The MAC of the next hop towards the outside (SPEC rule 5): the destination MAC of what an
/// internal end sends out, the source MAC of what reaches it from outside; none when both or
/// neither end is internal.
pub fn next_hop_mac(
    sender_internal: bool,
    receiver_internal: bool,
    s: &Sighting,
) -> Option<[u8; 6]> {
    if sender_internal && !receiver_internal {
        s.dst_mac
    } else if receiver_internal && !sender_internal {
        s.src_mac
    } else {
        None
    }
}

/// The facts about one flow that the path rules read.
#[derive(Clone, Copy, Debug)]
pub(super) struct FlowFacts {
    /// Both ends inside the site.
    pub local: bool,
    /// The internal endpoint's address when exactly one endpoint is internal.
    pub internal_ip: Option<IpAddr>,
}

/// SPEC "How a packet's path is decided", for one sighting of the direction sent by an end
/// that is (`sender_internal`) or is not inside, to one that is (`receiver_internal`) or not.
pub(super) fn sighting_path(
    input: &AuditInput<'_>,
    facts: &FlowFacts,
    sender_internal: bool,
    receiver_internal: bool,
    s: &Sighting,
) -> ObservedPath {
    let site = input.site;
    if facts.local {
        return ObservedPath::Local;
    }
    let rule = input
        .path_for_point(s.point)
        .or_else(|| s.ifindex.and_then(|i| site.path_for_ifindex(i)))
        .or_else(|| s.vlan.and_then(|v| site.path_for_vlan(v)))
        .or_else(|| {
            next_hop_mac(sender_internal, receiver_internal, s).and_then(|m| site.path_for_mac(m))
        })
        .or_else(|| facts.internal_ip.and_then(|ip| site.path_for_nat(ip)));
    rule.map_or(ObservedPath::Unknown, ObservedPath::from)
}

/// A direction's path from its sightings' paths: the edge path it was seen on, ignoring
/// `local` and `unknown` sightings when an edge path exists; both edge paths make `split`.
pub(super) fn direction_path(paths: &[ObservedPath], facts: &FlowFacts) -> Option<ObservedPath> {
    if paths.is_empty() {
        return None;
    }
    if facts.local {
        return Some(ObservedPath::Local);
    }
    let er = paths.contains(&ObservedPath::Expressroute);
    let inet = paths.contains(&ObservedPath::Internet);
    Some(match (er, inet) {
        (true, true) => ObservedPath::Split,
        (true, false) => ObservedPath::Expressroute,
        (false, true) => ObservedPath::Internet,
        // Seen only at local capture points (before NAT) or unattributed: the edge path was
        // not revealed.
        (false, false) => ObservedPath::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::PointId;

    const EDGE: FlowFacts = FlowFacts {
        local: false,
        internal_ip: None,
    };

    #[test]
    fn a_direction_takes_the_edge_path_it_was_seen_on() {
        use ObservedPath::*;
        assert_eq!(direction_path(&[], &EDGE), None);
        assert_eq!(
            direction_path(&[Local, Expressroute], &EDGE),
            Some(Expressroute)
        );
        assert_eq!(direction_path(&[Unknown, Internet], &EDGE), Some(Internet));
        assert_eq!(
            direction_path(&[Expressroute, Internet], &EDGE),
            Some(Split)
        );
        assert_eq!(direction_path(&[Local, Unknown], &EDGE), Some(Unknown));
        let local = FlowFacts {
            local: true,
            internal_ip: None,
        };
        assert_eq!(direction_path(&[Internet], &local), Some(Local));
    }

    #[test]
    fn next_hop_is_the_mac_towards_the_outside() {
        let s = Sighting {
            point: PointId {
                file: 0,
                interface: 0,
            },
            ifindex: None,
            vlan: None,
            src_mac: Some([1; 6]),
            dst_mac: Some([2; 6]),
            sll_packet_type: None,
            packets: 1,
        };
        assert_eq!(next_hop_mac(true, false, &s), Some([2; 6]));
        assert_eq!(next_hop_mac(false, true, &s), Some([1; 6]));
        assert_eq!(next_hop_mac(true, true, &s), None);
        assert_eq!(next_hop_mac(false, false, &s), None);
    }

    #[test]
    fn addresses_that_never_leave_the_site() {
        let site = Site::default();
        for ip in [
            "224.0.0.251",
            "255.255.255.255",
            "0.0.0.0",
            "ff02::fb",
            "::",
        ] {
            assert!(stays_inside(&site, ip.parse().unwrap()), "{ip}");
        }
        assert!(!stays_inside(&site, "52.112.0.1".parse().unwrap()));
    }

    #[test]
    fn edge_paths() {
        assert!(ObservedPath::is_edge(Some(ObservedPath::Internet)));
        assert!(ObservedPath::is_edge(Some(ObservedPath::Expressroute)));
        assert!(!ObservedPath::is_edge(Some(ObservedPath::Split)));
        assert!(!ObservedPath::is_edge(None));
    }
}
