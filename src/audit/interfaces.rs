//! The `interfaces` command's statistics: each capture point, SLL2 ifindex, VLAN and next-hop
//! MAC seen, with its packets, flows and Office 365 share, to write a site profile's `[[path]]`
//! rules. Computed with the audit's own rules (which end is inside, which end is Office 365,
//! which MAC is the next hop), so the two never disagree. Packets and flows are those of
//! TCP/UDP flows, as the audit counts them.
//!
//! An end counts as inside for the next hop when the site profile says so or when it is in the
//! default internal ranges (RFC 1918 and the like): adding a profile only adds the next hops of
//! its own prefixes (NAT pools), so the MACs listed do not change with `--site` but for those.

use std::collections::BTreeMap;

use serde::Serialize;

use super::path::{next_hop_mac, stays_inside};
use super::verdict::ends;
use super::AuditInput;
use crate::flow::{FlowTable, Sighting};
use crate::site::{PathName, Site};

/// What a `[[path]]` rule can name (in the order the statistics list them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum PointKind {
    #[serde(rename = "capture")]
    Capture,
    #[serde(rename = "ifindex")]
    Ifindex,
    #[serde(rename = "next-hop-mac")]
    NextHopMac,
    #[serde(rename = "vlan")]
    Vlan,
}

impl PointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PointKind::Capture => "capture",
            PointKind::Ifindex => "ifindex",
            PointKind::Vlan => "vlan",
            PointKind::NextHopMac => "next-hop-mac",
        }
    }
}

/// The value a rule would name: a capture point's name, an ifindex, a VLAN id or a MAC.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PointValue {
    Name(String),
    Number(u32),
    Mac([u8; 6]),
}

/// One thing a `[[path]]` rule can name, with what was seen on it.
#[derive(Clone, Debug, PartialEq)]
pub struct PointStats {
    pub kind: PointKind,
    pub value: PointValue,
    pub packets: u64,
    pub flows: u64,
    /// Share of these packets in flows whose external end is in an Office 365 range (0..1,
    /// rounded to 0.001).
    pub o365_share: f64,
    /// The path the site profile assigns, if any.
    pub path: Option<PathName>,
}

/// Counts while the flows are walked.
struct Tally {
    path: Option<PathName>,
    packets: u64,
    o365_packets: u64,
    flows: u64,
    /// The last flow counted (flows are numbered from 1 as they are walked).
    last_flow: u64,
}

/// The names a rule could use for one sighting, with the path the site gives each.
fn names_of(
    input: &AuditInput<'_>,
    s: &Sighting,
    sender_internal: bool,
    receiver_internal: bool,
) -> impl Iterator<Item = (PointKind, PointValue, Option<PathName>)> {
    let site = input.site;
    let capture = (
        PointKind::Capture,
        PointValue::Name(input.point_name(s.point).shown.to_string()),
        input.path_for_point(s.point),
    );
    let ifindex = s.ifindex.map(|i| {
        (
            PointKind::Ifindex,
            PointValue::Number(i),
            site.path_for_ifindex(i),
        )
    });
    let vlan = s.vlan.map(|v| {
        (
            PointKind::Vlan,
            PointValue::Number(u32::from(v)),
            site.path_for_vlan(v),
        )
    });
    let mac = next_hop_mac(sender_internal, receiver_internal, s).map(|m| {
        (
            PointKind::NextHopMac,
            PointValue::Mac(m),
            site.path_for_mac(m),
        )
    });
    std::iter::once(capture)
        .chain(ifindex)
        .chain(vlan)
        .chain(mac)
}

/// The statistics of every capture point, ifindex, VLAN and next-hop MAC, sorted by kind then
/// value.
pub fn interface_stats(input: &AuditInput<'_>, table: &FlowTable) -> Vec<PointStats> {
    let mut map: BTreeMap<(PointKind, PointValue), Tally> = BTreeMap::new();
    let defaults = Site::default();
    for (flow_no, (key, state)) in (1u64..).zip(table.iter()) {
        let ends = ends(input, key, state);
        let o365 = ends.o365.is_some();
        let inside =
            |side: u8| ends.sender_internal(side) || stays_inside(&defaults, key.sender(side).ip);
        for (side, s) in (0u8..).zip(&state.sides) {
            let sender_internal = inside(side);
            let receiver_internal = inside(1 - side);
            for sight in &s.sightings {
                for (kind, value, path) in
                    names_of(input, sight, sender_internal, receiver_internal)
                {
                    let t = map.entry((kind, value)).or_insert(Tally {
                        path,
                        packets: 0,
                        o365_packets: 0,
                        flows: 0,
                        last_flow: 0,
                    });
                    t.packets += sight.packets;
                    if o365 {
                        t.o365_packets += sight.packets;
                    }
                    if t.last_flow != flow_no {
                        t.last_flow = flow_no;
                        t.flows += 1;
                    }
                }
            }
        }
    }
    map.into_iter()
        .map(|((kind, value), t)| PointStats {
            kind,
            value,
            packets: t.packets,
            flows: t.flows,
            o365_share: if t.packets == 0 {
                0.0
            } else {
                ((t.o365_packets as f64 / t.packets as f64) * 1000.0).round() / 1000.0
            },
            path: t.path,
        })
        .collect()
}
