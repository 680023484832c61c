//! Community ID flow hashes, version 1 (corelight/community-id-spec): the flow identifier Zeek,
//! Suricata and Wireshark print, so a flow of the report can be found in their logs.
//!
//! ```text
//! sha1(seed . saddr . daddr . proto . 0 . sport . dport)     seed, ports: 2 bytes, big-endian
//!                                                           addresses: 4 or 16 bytes
//! endpoints ordered so the smaller (address, then port) comes first
//! text: "1:" + base64(digest)                                  (standard alphabet, padded)
//! ```
//!
//! The text is 30 ASCII bytes held in a [`CommunityId`] value: no allocation per flow.

use std::fmt;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use super::{Endpoint, FlowKey};

/// Bytes of a v1 Community ID's text: `1:` and the 28 base64 characters of a SHA-1 digest.
pub const COMMUNITY_ID_LEN: usize = 30;

/// The Community ID v1 of a flow, as text (`1:` + base64), held inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommunityId([u8; COMMUNITY_ID_LEN]);

impl CommunityId {
    /// The ID of `key` with seed 0, the default of every tool that prints one.
    pub fn of(key: &FlowKey) -> CommunityId {
        CommunityId::of_tuple(key.protocol, key.a, key.b, 0)
    }

    /// The ID of a packet's 5-tuple (`src` sent it to `dst`) with `seed`: the same for both
    /// directions. Meant for port-carrying protocols (TCP, UDP, SCTP): the ports are hashed
    /// as they are (ICMP's type/code mapping is not done here; flows are TCP or UDP).
    ///
    /// The spec orders the endpoints by address bytes, then port; `Endpoint`'s order is that
    /// for two addresses of one family. (A flow's two addresses come from one IP header, so
    /// one family; were they not, IPv4 sorts first, and the ID is still direction-free.)
    pub fn of_tuple(protocol: u8, src: Endpoint, dst: Endpoint, seed: u16) -> CommunityId {
        let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
        let mut h = Sha1::new();
        h.update(seed.to_be_bytes());
        update_ip(&mut h, lo.ip);
        update_ip(&mut h, hi.ip);
        h.update([protocol, 0]);
        h.update(lo.port.to_be_bytes());
        h.update(hi.port.to_be_bytes());
        let digest: [u8; 20] = h.finalize().into();

        let mut text = [b'='; COMMUNITY_ID_LEN];
        if let Some((version, body)) = text.split_first_chunk_mut::<2>() {
            *version = *b"1:";
            // 20 bytes are 28 base64 characters, exactly `body`'s length: never an error.
            let written = STANDARD.encode_slice(digest, body);
            debug_assert_eq!(written.ok(), Some(COMMUNITY_ID_LEN - 2));
        }
        CommunityId(text)
    }

    /// The ID as text, e.g. `1:LQU9qZlK+B5F3KDmev6m5PMibrg=`.
    pub fn as_str(&self) -> &str {
        // Always ASCII: `1:` and base64.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

fn update_ip(h: &mut Sha1, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => h.update(v4.octets()),
        IpAddr::V6(v6) => h.update(v6.octets()),
    }
}

impl fmt::Display for CommunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CommunityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommunityId({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TCP: u8 = 6;
    const UDP: u8 = 17;
    const SCTP: u8 = 132;

    fn ep(ip: &str, port: u16) -> Endpoint {
        Endpoint {
            ip: ip.parse().unwrap(),
            port,
        }
    }

    /// (protocol, source, destination, seed, ID). Sources: the spec repository's
    /// `baseline/baseline_deflt.json` (seed 0), the `communityid` Python package's tests
    /// (seeds 0 and 1), Zeek's `community_id_v1` test (seeds 0 and 1), Tenzir's tests (values
    /// "established with the Python module").
    /// (address, port) as the sources write them.
    type End = (&'static str, u16);

    #[rustfmt::skip]
    const KNOWN: &[(u8, End, End, u16, &str)] = &[
        // IPv4 TCP: baseline_deflt.json, communityid's test_tcp
        (TCP, ("128.232.110.120", 34855), ("66.35.250.204", 80), 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="),
        (TCP, ("128.232.110.120", 34855), ("66.35.250.204", 80), 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="),
        // communityid's regression test for its issue 3
        (TCP, ("10.0.0.1", 10), ("10.0.0.2", 11569), 0, "1:SXBGMX1lBOwhhoDrZynfROxnhnM="),
        (TCP, ("10.0.0.1", 10), ("10.0.0.2", 11569), 1, "1:HmBRGR+fUyXF4t8WEtal7Y0gEAo="),
        // Zeek
        (TCP, ("1.2.3.4", 1122), ("5.6.7.8", 3344), 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="),
        (TCP, ("1.2.3.4", 1122), ("5.6.7.8", 3344), 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="),
        // Tenzir
        (TCP, ("192.168.1.102", 1180), ("68.216.79.113", 37), 0, "1:9L/tZ1ebHzlWhzB/pJyS9AVJWy8="),
        // IPv4 UDP: baseline_deflt.json, communityid's test_udp
        (UDP, ("192.168.1.52", 54585), ("8.8.8.8", 53), 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="),
        (UDP, ("192.168.1.52", 54585), ("8.8.8.8", 53), 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="),
        // Zeek
        (UDP, ("1.2.3.4", 1122), ("5.6.7.8", 3344), 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="),
        (UDP, ("1.2.3.4", 1122), ("5.6.7.8", 3344), 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="),
        // Tenzir
        (UDP, ("192.168.1.102", 68), ("192.168.1.1", 67), 0, "1:aWZfLIquYlCxKGuJ62fQGlgFzAI="),
        // IPv6 TCP: baseline_deflt.json
        (TCP, ("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943), ("2607:f8b0:400c:c03::1a", 25), 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="),
        // Tenzir
        (TCP, ("fe80::219:e3ff:fee7:5d23", 5353), ("ff02::fb", 53), 0, "1:A6qv/ihCkQJXov31L4YzlcuKR2k="),
        // IPv6 UDP: Tenzir
        (UDP, ("fe80::2c23:b96c:78d:e116", 58544), ("ff02::c", 3702), 0, "1:Zi9AdIwYvZnYvuObTPgGWCBSYRs="),
        // SCTP (the same layout): communityid's test_sctp
        (SCTP, ("192.168.170.8", 7), ("192.168.170.56", 80), 0, "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ="),
        (SCTP, ("192.168.170.8", 7), ("192.168.170.56", 80), 1, "1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU="),
    ];

    #[test]
    fn known_values_either_direction() {
        for &(proto, (sa, sp), (da, dp), seed, id) in KNOWN {
            let (s, d) = (ep(sa, sp), ep(da, dp));
            assert_eq!(
                CommunityId::of_tuple(proto, s, d, seed).as_str(),
                id,
                "{s:?} -> {d:?}"
            );
            assert_eq!(
                CommunityId::of_tuple(proto, d, s, seed).as_str(),
                id,
                "{d:?} -> {s:?}"
            );
            if seed == 0 {
                let (key, _) = FlowKey::new(proto, s, d);
                assert_eq!(CommunityId::of(&key).as_str(), id);
                assert_eq!(CommunityId::of(&key).to_string(), id);
            }
        }
    }

    #[test]
    fn endpoints_with_one_address_are_ordered_by_port() {
        // The spec's tie-break: equal addresses, the smaller port first.
        let a = ep("10.0.0.1", 4376);
        let b = ep("10.0.0.1", 80);
        let id = CommunityId::of_tuple(UDP, a, b, 0);
        assert_eq!(id, CommunityId::of_tuple(UDP, b, a, 0));
        assert_ne!(
            id,
            CommunityId::of_tuple(UDP, ep("10.0.0.1", 4376), ep("10.0.0.1", 81), 0)
        );
    }

    fn arb_endpoint_pair() -> impl Strategy<Value = (Endpoint, Endpoint)> {
        let v4 = (any::<[u8; 4]>(), any::<[u8; 4]>())
            .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b)));
        let v6 = (any::<[u8; 16]>(), any::<[u8; 16]>())
            .prop_map(|(a, b)| (IpAddr::from(a), IpAddr::from(b)));
        // Equal addresses often, so the port tie-break is exercised.
        let same = prop_oneof![
            any::<[u8; 4]>().prop_map(IpAddr::from),
            any::<[u8; 16]>().prop_map(IpAddr::from)
        ]
        .prop_map(|a| (a, a));
        (prop_oneof![v4, v6, same], any::<u16>(), any::<u16>()).prop_map(|((a, b), pa, pb)| {
            (Endpoint { ip: a, port: pa }, Endpoint { ip: b, port: pb })
        })
    }

    proptest! {
        #[test]
        fn both_directions_give_one_id((s, d) in arb_endpoint_pair(), udp: bool, seed: u16) {
            let proto = if udp { UDP } else { TCP };
            let forward = CommunityId::of_tuple(proto, s, d, seed);
            prop_assert_eq!(forward, CommunityId::of_tuple(proto, d, s, seed));
            let (key, _) = FlowKey::new(proto, s, d);
            prop_assert_eq!(CommunityId::of_tuple(proto, key.a, key.b, seed), forward);
            if seed == 0 {
                prop_assert_eq!(CommunityId::of(&key), forward);
            }
            let text = forward.as_str();
            prop_assert_eq!(text.len(), COMMUNITY_ID_LEN);
            prop_assert!(text.starts_with("1:") && text.ends_with('='));
            prop_assert!(text[2..29].bytes().all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/'));
        }
    }
}
