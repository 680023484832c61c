//! Per-capture decoding counters: how many frames became flow packets, and why the others did
//! not (other IP protocols, not IP, later fragments, malformed at which layer).

use super::{Decoded, Layer};

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
            Decoded::NotIp { .. } => self.not_ip += 1,
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
            Decoded::NotIp { link },
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
    }
}
