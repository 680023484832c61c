//! The direction-free flow key: one TCP or UDP 5-tuple, whichever way a packet goes.

use std::net::IpAddr;

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub ip: IpAddr,
    pub port: u16,
}

/// A 5-tuple with its two endpoints in a canonical order (`a` <= `b`), so both directions of a
/// flow map to one key. "Side 0" is traffic sent by `a`, "side 1" traffic sent by `b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowKey {
    /// IP protocol number (6 TCP, 17 UDP).
    pub protocol: u8,
    pub a: Endpoint,
    pub b: Endpoint,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`, and the side (0 or 1) that sent it.
    #[inline]
    pub fn new(protocol: u8, src: Endpoint, dst: Endpoint) -> (FlowKey, u8) {
        if src <= dst {
            (
                FlowKey {
                    protocol,
                    a: src,
                    b: dst,
                },
                0,
            )
        } else {
            (
                FlowKey {
                    protocol,
                    a: dst,
                    b: src,
                },
                1,
            )
        }
    }

    /// The endpoint that sends on `side`.
    pub fn sender(&self, side: u8) -> Endpoint {
        if side == 0 {
            self.a
        } else {
            self.b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn ep(ip: IpAddr, port: u16) -> Endpoint {
        Endpoint { ip, port }
    }

    #[test]
    fn same_key_from_both_directions() {
        let c = ep(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 50000);
        let s = ep(IpAddr::V4(Ipv4Addr::new(52, 112, 0, 1)), 3478);
        let (k1, s1) = FlowKey::new(17, c, s);
        let (k2, s2) = FlowKey::new(17, s, c);
        assert_eq!(k1, k2);
        assert_ne!(s1, s2);
        assert_eq!(k1.sender(s1), c);
        assert_eq!(k2.sender(s2), s);
    }

    proptest! {
        #[test]
        fn key_is_direction_free(a in any::<[u8; 16]>(), b in any::<[u8; 16]>(), pa: u16, pb: u16, v4: bool) {
            let (ia, ib) = if v4 {
                (IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])), IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])))
            } else {
                (IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))
            };
            let (k1, s1) = FlowKey::new(6, ep(ia, pa), ep(ib, pb));
            let (k2, s2) = FlowKey::new(6, ep(ib, pb), ep(ia, pa));
            prop_assert_eq!(k1, k2);
            prop_assert_eq!(k1.sender(s1), ep(ia, pa));
            prop_assert_eq!(k2.sender(s2), ep(ib, pb));
        }
    }
}
