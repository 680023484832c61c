//! Link, IP and transport decoding of one frame.
//!
//! Properties, besides "no panic, no abort":
//! - decoding is deterministic;
//! - a flow is TCP or UDP, TCP fields only for TCP, its payload lies inside the frame;
//! - a later IPv4 fragment (non-zero fragment offset) never yields ports;
//! - the flow key is the same from both directions, and the side names the sender.
#![no_main]

use callpath::decode::{self, linktype, Decoded, IPPROTO_TCP, IPPROTO_UDP};
use callpath::flow::{Endpoint, FlowKey};
use libfuzzer_sys::fuzz_target;

const LINKTYPES: [u32; 11] = [
    linktype::NULL,
    linktype::ETHERNET,
    linktype::RAW,
    linktype::RAW_OPENBSD,
    linktype::RAW_ALT,
    linktype::LINUX_SLL,
    linktype::LOOP,
    linktype::IPV4,
    linktype::IPV6,
    linktype::LINUX_SLL2,
    147,
];

/// The IPv4 header of a raw-IP frame, if it is one with a sane header length.
fn ipv4_fragment_offset(lt: u32, data: &[u8]) -> Option<u16> {
    let raw = matches!(
        lt,
        linktype::RAW | linktype::RAW_ALT | linktype::RAW_OPENBSD | linktype::IPV4
    );
    if !raw || data.len() < 20 || data[0] >> 4 != 4 || data[0] & 0x0f < 5 {
        return None;
    }
    Some(u16::from_be_bytes([data[6], data[7]]) & 0x1fff)
}

fuzz_target!(|input: &[u8]| {
    let Some((&sel, data)) = input.split_first() else {
        return;
    };
    let lt = LINKTYPES[usize::from(sel) % LINKTYPES.len()];
    let d = decode::decode(lt, data);
    assert_eq!(d, decode::decode(lt, data), "decode is deterministic");
    if let Decoded::Flow {
        src,
        dst,
        transport,
        ..
    } = d
    {
        assert!(transport.protocol == IPPROTO_TCP || transport.protocol == IPPROTO_UDP);
        if transport.protocol == IPPROTO_UDP {
            assert!(transport.tcp.is_none());
        }
        let range = data.as_ptr_range();
        let p = transport.payload.as_ptr_range();
        assert!(
            transport.payload.is_empty() || (range.start <= p.start && p.end <= range.end),
            "payload outside the frame"
        );
        if let Some(off) = ipv4_fragment_offset(lt, data) {
            assert_eq!(off, 0, "ports reported for a later fragment");
        }
        let a = Endpoint {
            ip: src,
            port: transport.src_port,
        };
        let b = Endpoint {
            ip: dst,
            port: transport.dst_port,
        };
        let (k1, s1) = FlowKey::new(transport.protocol, a, b);
        let (k2, s2) = FlowKey::new(transport.protocol, b, a);
        assert_eq!(k1, k2, "flow key depends on direction");
        assert_eq!(k1.sender(s1), a);
        assert_eq!(k2.sender(s2), b);
        if a != b {
            assert_ne!(s1, s2);
        }
    }
});
