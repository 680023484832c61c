//! Per-capture decoding counters: how many frames became flow packets, and why the others did
//! not (other IP protocols, not IP, later fragments, malformed at which layer), and the
//! EtherTypes of the non-IP frames callpath could not decode.

use super::{known_not_ip, Decoded, Layer};

/// Distinct EtherTypes counted one by one; frames of further types are counted together.
pub const ETHERTYPE_SLOTS: usize = 8;

/// Non-IP frames of EtherTypes that are neither decoded nor known link control traffic
/// (`decode::known_not_ip`): the first `ETHERTYPE_SLOTS` distinct types, each with its count,
/// and the frames of any further type. Fixed size: counting allocates nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UndecodedEthertypes {
    /// (EtherType, frames); a slot with 0 frames is free.
    slots: [(u16, u64); ETHERTYPE_SLOTS],
    others: u64,
}

impl UndecodedEthertypes {
    /// Counts one frame of `ethertype`.
    pub fn add(&mut self, ethertype: u16) {
        for (t, n) in &mut self.slots {
            if *n == 0 {
                *t = ethertype;
            }
            if *t == ethertype {
                *n += 1;
                return;
            }
        }
        self.others += 1;
    }

    /// The counted EtherTypes with their frames, in the order they were first seen.
    pub fn types(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.slots.iter().copied().take_while(|&(_, n)| n > 0)
    }

    /// Frames of EtherTypes beyond the first `ETHERTYPE_SLOTS`.
    pub fn others(&self) -> u64 {
        self.others
    }

    /// All frames counted.
    pub fn total(&self) -> u64 {
        self.types().map(|(_, n)| n).sum::<u64>() + self.others
    }
}

/// What could not become a flow, and why; one set per capture file (the report's `decode`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeCounters {
    /// TCP/UDP packets accounted to flows.
    pub flow_packets: u64,
    /// IP packets of other protocols (ICMP, IGMP, ESP, ...).
    pub other_ip: u64,
    /// Non-IP frames (ARP, LLDP, ...).
    pub not_ip: u64,
    /// First fragments (they feed their flow by their ports).
    pub first_fragments: u64,
    /// Non-first fragments (no ports: no flow).
    pub later_fragments: u64,
    /// Frames cut by the snaplen (captured length < length on the wire).
    pub snaplen_cut: u64,
    pub malformed_link: u64,
    pub malformed_ip: u64,
    pub malformed_transport: u64,
    pub unsupported_linktype: u64,
    /// TCP/UDP packets seen twice at one capture point (a SPAN port copying both directions
    /// of a switch port, `tcpdump -i any` seeing a bridge and its member): the copy is counted
    /// here, not in `flow_packets` nor in its flow (`flow::FlowTable`).
    pub duplicates: u64,
    /// The non-IP frames (of `not_ip`) that callpath could not decode, per EtherType. Not in
    /// the report's `decode` object: the capture's warnings say it.
    #[serde(skip)]
    pub undecoded: UndecodedEthertypes,
}

impl DecodeCounters {
    /// Counts one decoded frame.
    #[inline]
    pub fn count(&mut self, d: &Decoded<'_>) {
        match d {
            Decoded::Flow { fragment, .. } => {
                self.flow_packets += 1;
                if *fragment {
                    self.first_fragments += 1;
                }
            }
            Decoded::OtherIp { .. } => self.other_ip += 1,
            Decoded::LaterFragment { .. } => self.later_fragments += 1,
            Decoded::NotIp { ethertype, .. } => {
                self.not_ip += 1;
                if !known_not_ip(*ethertype) {
                    self.undecoded.add(*ethertype);
                }
            }
            Decoded::UnsupportedLinktype => self.unsupported_linktype += 1,
            Decoded::Malformed { layer, .. } => match layer {
                Layer::Link => self.malformed_link += 1,
                Layer::Ip => self.malformed_ip += 1,
                Layer::Transport => self.malformed_transport += 1,
            },
        }
    }

    /// Frames that did not become flow packets although they were IP or link frames we read:
    /// other protocols, non-IP and later fragments (the text report's "not TCP/UDP").
    pub fn not_flow(&self) -> u64 {
        self.other_ip + self.not_ip + self.later_fragments
    }

    /// Frames malformed at any layer.
    pub fn malformed(&self) -> u64 {
        self.malformed_link + self.malformed_ip + self.malformed_transport
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{LinkInfo, TransportLayer};

    #[test]
    fn counts_each_outcome_where_it_belongs() {
        let link = LinkInfo::default();
        let transport = TransportLayer {
            protocol: 17,
            src_port: 1,
            dst_port: 2,
            tcp: None,
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload: &[],
        };
        let flow = |fragment| Decoded::Flow {
            link,
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            transport,
            fragment,
        };
        let mut c = DecodeCounters::default();
        for d in [
            flow(false),
            flow(true),
            Decoded::OtherIp { link },
            Decoded::LaterFragment { link },
            Decoded::NotIp {
                link,
                ethertype: 0x0806,
            },
            Decoded::UnsupportedLinktype,
            Decoded::Malformed {
                layer: Layer::Ip,
                link,
            },
            Decoded::Malformed {
                layer: Layer::Transport,
                link,
            },
        ] {
            c.count(&d);
        }
        assert_eq!(c.flow_packets, 2);
        assert_eq!(c.first_fragments, 1);
        assert_eq!(c.not_flow(), 3);
        assert_eq!(c.malformed(), 2);
        assert_eq!(c.malformed_link, 0);
        assert_eq!(c.unsupported_linktype, 1);
        assert_eq!(c.undecoded.total(), 0, "ARP is known");
    }

    #[test]
    fn undecoded_ethertypes_fill_the_slots_then_others() {
        let link = LinkInfo::default();
        let mut c = DecodeCounters::default();
        for ethertype in [0x88b5, 0x0806, 0x88b5, 0x0026, 0x8863, 0x88cc] {
            c.count(&Decoded::NotIp { link, ethertype });
        }
        assert_eq!(c.not_ip, 6);
        assert_eq!(c.undecoded.types().collect::<Vec<_>>(), [(0x88b5, 2)]);
        for ethertype in 0x9100..0x9110 {
            c.count(&Decoded::NotIp { link, ethertype });
        }
        let types: Vec<_> = c.undecoded.types().collect();
        assert_eq!(types.len(), ETHERTYPE_SLOTS);
        assert_eq!(types.first(), Some(&(0x88b5, 2)));
        assert_eq!(types.last(), Some(&(0x9106, 1)));
        assert_eq!(c.undecoded.others(), 9);
        assert_eq!(c.undecoded.total(), 18);
    }

    #[test]
    fn the_reports_decode_object_is_unchanged() {
        let mut c = DecodeCounters::default();
        c.count(&Decoded::NotIp {
            link: LinkInfo::default(),
            ethertype: 0x88b5,
        });
        let v = serde_json::to_value(&c).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(!keys.contains(&"undecoded"), "{keys:?}");
        // SPEC's ten, and `duplicates` (SPEC "Several capture points as one").
        assert_eq!(keys.len(), 11, "{keys:?}");
        assert_eq!(v["not_ip"], 1);
    }
}
