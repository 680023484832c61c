//! Self-test of the fixture builder (`tests/support`): every file and packet it writes is read
//! back with independent code (pcap-parser for files, etherparse for packets and checksums, small
//! hand parsers for payloads), so scenario tests can trust their fixtures.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use etherparse::{
    Ipv4Slice, Ipv6ExtensionSlice, Ipv6Header, LinkSlice, NetSlice, SlicedPacket, TransportSlice,
    UdpHeader, UdpSlice,
};
use pcap_parser::pcapng::Block;
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use support::builder::*;
use support::payloads::*;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0x0e, 0x01];
const V4_A: Ipv4Addr = Ipv4Addr::new(10, 1, 2, 3);
const V4_B: Ipv4Addr = Ipv4Addr::new(52, 112, 244, 71);
const T0: i64 = 1_793_523_630_123_456_789; // 2026-11-02T09:00:30.123456789Z

fn v6_a() -> Ipv6Addr {
    "2001:db8::10".parse().unwrap()
}
fn v6_b() -> Ipv6Addr {
    "2603:1063::1".parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// An independent reader: pcap-parser, owned results
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Rec {
    PcapHeader {
        magic: u32,
        big_endian: bool,
        nanosecond: bool,
        snaplen: u32,
        linktype: i32,
    },
    PcapPacket {
        ts_sec: u32,
        ts_frac: u32,
        caplen: u32,
        origlen: u32,
        data: Vec<u8>,
    },
    Shb {
        big_endian: bool,
    },
    Idb {
        name: Option<String>,
        description: Option<String>,
        linktype: i32,
        tsresol: Option<u8>,
        snaplen: u32,
    },
    Epb {
        if_id: u32,
        ts: u64,
        caplen: u32,
        origlen: u32,
        data: Vec<u8>,
    },
    Spb {
        origlen: u32,
        data: Vec<u8>,
    },
    Other(u32),
}

fn read_all(bytes: &[u8]) -> Vec<Rec> {
    let mut reader = create_reader(1 << 16, bytes).expect("recognised as pcap or pcapng");
    let mut out = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                out.push(match block {
                    PcapBlockOwned::LegacyHeader(h) => Rec::PcapHeader {
                        magic: h.magic_number,
                        big_endian: h.is_bigendian(),
                        nanosecond: h.is_nanosecond_precision(),
                        snaplen: h.snaplen,
                        linktype: h.network.0,
                    },
                    PcapBlockOwned::Legacy(b) => Rec::PcapPacket {
                        ts_sec: b.ts_sec,
                        ts_frac: b.ts_usec,
                        caplen: b.caplen,
                        origlen: b.origlen,
                        data: b.data.to_vec(),
                    },
                    PcapBlockOwned::NG(Block::SectionHeader(s)) => Rec::Shb {
                        big_endian: s.big_endian(),
                    },
                    PcapBlockOwned::NG(Block::InterfaceDescription(i)) => Rec::Idb {
                        name: i.if_name().map(|r| r.unwrap().to_owned()),
                        description: i.if_description().map(|r| r.unwrap().to_owned()),
                        linktype: i.linktype.0,
                        tsresol: i.if_tsresol().map(|r| r.unwrap()),
                        snaplen: i.snaplen,
                    },
                    PcapBlockOwned::NG(Block::EnhancedPacket(e)) => Rec::Epb {
                        if_id: e.if_id,
                        ts: (u64::from(e.ts_high) << 32) | u64::from(e.ts_low),
                        caplen: e.caplen,
                        origlen: e.origlen,
                        data: e.data[..e.caplen as usize].to_vec(),
                    },
                    PcapBlockOwned::NG(Block::SimplePacket(s)) => Rec::Spb {
                        origlen: s.origlen,
                        data: s.data.to_vec(),
                    },
                    PcapBlockOwned::NG(b) => Rec::Other(b.magic()),
                });
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().expect("refill"),
            Err(e) => panic!("pcap-parser rejected the file: {e:?}"),
        }
    }
    out
}

/// Walks pcapng blocks by hand: every block's two total lengths agree and are multiples of 4.
/// Returns the block types in order.
fn walk_pcapng(bytes: &[u8]) -> Vec<u32> {
    let mut types = Vec::new();
    let mut off = 0;
    let mut big = false;
    let rd = |b: &[u8], big: bool| {
        let a = [b[0], b[1], b[2], b[3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    while off < bytes.len() {
        if bytes[off..off + 4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            big = bytes[off + 8..off + 12] == [0x1a, 0x2b, 0x3c, 0x4d];
        }
        let t = rd(&bytes[off..], big);
        let len = rd(&bytes[off + 4..], big) as usize;
        assert!(len >= 12 && len % 4 == 0, "block at {off}: length {len}");
        assert_eq!(
            rd(&bytes[off + len - 4..], big) as usize,
            len,
            "trailer at {off}"
        );
        types.push(t);
        off += len;
    }
    assert_eq!(off, bytes.len());
    types
}

fn udp_frame() -> Vec<u8> {
    ethernet_ip(
        MAC_A,
        MAC_B,
        &[],
        &ipv4_udp(V4_A, 50000, V4_B, 3478, b"hello"),
    )
}

// ---------------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------------

#[test]
fn pcap_micro_and_nano_both_byte_orders_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            ethernet_ip(
                MAC_A,
                MAC_B,
                &[],
                &ipv4_udp(V4_A, 50000 + i, V4_B, 3478, b"x"),
            )
        })
        .collect();
    for nano in [false, true] {
        for big in [false, true] {
            let mut p = Pcap::new(LINKTYPE_ETHERNET)
                .nanosecond(nano)
                .big_endian(big);
            for (i, f) in frames.iter().enumerate() {
                p.packet(T0 + i as i64 * 20_000_001, f);
            }
            assert_eq!(p.len(), 3);
            let bytes = p.to_bytes();
            let magic: [u8; 4] = match (nano, big) {
                (false, false) => [0xd4, 0xc3, 0xb2, 0xa1],
                (false, true) => [0xa1, 0xb2, 0xc3, 0xd4],
                (true, false) => [0x4d, 0x3c, 0xb2, 0xa1],
                (true, true) => [0xa1, 0xb2, 0x3c, 0x4d],
            };
            assert_eq!(bytes[..4], magic);
            let path = dir.path().join(format!("p-{nano}-{big}.pcap"));
            p.write(&path);
            assert_eq!(std::fs::read(&path).unwrap(), bytes);

            let recs = read_all(&bytes);
            assert_eq!(recs.len(), 4);
            match &recs[0] {
                Rec::PcapHeader {
                    big_endian,
                    nanosecond,
                    snaplen,
                    linktype,
                    ..
                } => {
                    assert_eq!((*big_endian, *nanosecond), (big, nano));
                    assert_eq!((*snaplen, *linktype), (DEFAULT_SNAPLEN, 1));
                }
                r => panic!("{r:?}"),
            }
            for (i, r) in recs[1..].iter().enumerate() {
                let ts = T0 + i as i64 * 20_000_001;
                let frac = ts % 1_000_000_000;
                let want = Rec::PcapPacket {
                    ts_sec: (ts / 1_000_000_000) as u32,
                    ts_frac: if nano {
                        frac as u32
                    } else {
                        (frac / 1000) as u32
                    },
                    caplen: frames[i].len() as u32,
                    origlen: frames[i].len() as u32,
                    data: frames[i].clone(),
                };
                assert_eq!(r, &want);
            }
        }
    }
}

#[test]
fn pcap_snaplen_truncates_and_raw_records_are_written_as_given() {
    let frame = udp_frame();
    let mut p = Pcap::new(LINKTYPE_ETHERNET).snaplen(40);
    p.packet(T0, &frame);
    p.packet_raw(T0 + 1000, &frame[..10], 10, 5); // caplen > origlen: odd but readable
    let recs = read_all(&p.to_bytes());
    assert!(matches!(recs[0], Rec::PcapHeader { snaplen: 40, .. }));
    assert_eq!(
        recs[1],
        Rec::PcapPacket {
            ts_sec: (T0 / 1_000_000_000) as u32,
            ts_frac: 123_456,
            caplen: 40,
            origlen: frame.len() as u32,
            data: frame[..40].to_vec(),
        }
    );
    assert!(
        matches!(&recs[2], Rec::PcapPacket { caplen: 10, origlen: 5, data, .. } if data.len() == 10)
    );

    // A last record that claims more bytes than the file holds: the header says 100, 10 follow.
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.packet_raw(T0, &frame[..10], 100, 100);
    let bytes = p.to_bytes();
    assert_eq!(bytes.len(), 24 + 16 + 10);
    assert_eq!(bytes[24 + 8..24 + 12], 100u32.to_le_bytes());
}

#[test]
fn pcap_raw_ip_and_null_linktypes_are_written_in_the_header() {
    for lt in [
        LINKTYPE_NULL,
        LINKTYPE_RAW,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
    ] {
        let recs = read_all(&Pcap::new(lt).to_bytes());
        assert!(matches!(recs[0], Rec::PcapHeader { linktype, .. } if linktype == lt as i32));
    }
}

// ---------------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------------

#[test]
fn pcapng_multi_section_multi_interface_reads_back() {
    let frame = udp_frame();
    let ip6 = ipv6_udp(v6_a(), 50000, v6_b(), 3478, b"six");
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface {
        name: Some("er0"),
        description: Some("ExpressRoute tap"),
        linktype: LINKTYPE_ETHERNET,
        tsresol: None,
        snaplen: 0,
    });
    let inet0 = ng.interface(Iface {
        description: Some("internet tap"),
        ..Iface::ethernet("inet0")
    });
    assert_eq!((er0, inet0), (0, 1));
    ng.packet(inet0, T0, &frame);
    ng.packet(er0, T0 - 5_000, &frame); // interleaved, going backwards
    ng.section().big_endian(true);
    let raw = ng.interface(Iface {
        name: None,
        description: None,
        linktype: LINKTYPE_RAW,
        tsresol: Some(6),
        snaplen: 65535,
    });
    assert_eq!(raw, 0, "interface ids restart in a new section");
    ng.packet(raw, T0 + 999, &ip6);
    ng.simple_packet(&ip6);

    let bytes = ng.to_bytes();
    assert_eq!(
        walk_pcapng(&bytes),
        vec![0x0a0d0d0a, 1, 1, 6, 6, 0x0a0d0d0a, 1, 6, 3]
    );
    let recs = read_all(&bytes);
    let want = vec![
        Rec::Shb { big_endian: false },
        Rec::Idb {
            name: Some("er0".into()),
            description: Some("ExpressRoute tap".into()),
            linktype: 1,
            tsresol: None,
            snaplen: 0,
        },
        Rec::Idb {
            name: Some("inet0".into()),
            description: Some("internet tap".into()),
            linktype: 1,
            tsresol: Some(9),
            snaplen: DEFAULT_SNAPLEN,
        },
        Rec::Epb {
            if_id: 1,
            ts: T0 as u64,
            caplen: frame.len() as u32,
            origlen: frame.len() as u32,
            data: frame.clone(),
        },
        Rec::Epb {
            if_id: 0,
            ts: (T0 - 5_000) as u64 / 1000,
            caplen: frame.len() as u32,
            origlen: frame.len() as u32,
            data: frame.clone(),
        },
        Rec::Shb { big_endian: true },
        Rec::Idb {
            name: None,
            description: None,
            linktype: 101,
            tsresol: Some(6),
            snaplen: 65535,
        },
        Rec::Epb {
            if_id: 0,
            ts: (T0 + 999) as u64 / 1000,
            caplen: ip6.len() as u32,
            origlen: ip6.len() as u32,
            data: ip6.clone(),
        },
        Rec::Spb {
            origlen: ip6.len() as u32,
            data: {
                let mut d = ip6.clone();
                d.resize(ip6.len().div_ceil(4) * 4, 0);
                d
            },
        },
    ];
    assert_eq!(recs, want);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("multi.pcapng");
    ng.write(&path);
    assert_eq!(std::fs::read(path).unwrap(), bytes);
}

#[test]
fn pcapng_timestamp_resolutions() {
    assert_eq!(ns_to_units(1_500_000_000, None), 1_500_000);
    assert_eq!(ns_to_units(1_500_000_000, Some(9)), 1_500_000_000);
    assert_eq!(ns_to_units(1_500_000_000, Some(3)), 1_500);
    assert_eq!(ns_to_units(1_500_000_000, Some(0x80 | 10)), 1_536); // 1.5 s in 1/1024 s
    assert_eq!(ns_to_units(3_000_000_000, Some(0x80 | 30)), 3 << 30);
    assert_eq!(ns_to_units(500, Some(0x80 | 20)), 0); // truncates

    let mut ng = Pcapng::new();
    let i = ng.interface(Iface {
        tsresol: Some(0x80 | 20),
        ..Iface::new(LINKTYPE_RAW)
    });
    let ip = ipv4_udp(V4_A, 1, V4_B, 2, b"");
    ng.packet(i, 2_000_000_000, &ip);
    let recs = read_all(&ng.to_bytes());
    assert_eq!(
        recs[1],
        Rec::Idb {
            name: None,
            description: None,
            linktype: 101,
            tsresol: Some(0x94),
            snaplen: DEFAULT_SNAPLEN
        }
    );
    assert!(matches!(recs[2], Rec::Epb { ts, .. } if ts == 2 << 20));
}

#[test]
fn pcapng_snaplen_raw_packets_and_unknown_blocks() {
    let frame = udp_frame();
    let mut ng = Pcapng::new();
    let i = ng.interface(Iface {
        snaplen: 32,
        ..Iface::ethernet("lan")
    });
    ng.packet(i, T0, &frame);
    ng.simple_packet(&frame);
    ng.raw_block(0x0000_0bad, &[1, 2, 3, 4, 5]);
    ng.packet_raw(7, T0, &frame[..3], 3, 1000); // dangling interface id, odd lengths
    let bytes = ng.to_bytes();
    assert_eq!(walk_pcapng(&bytes), vec![0x0a0d0d0a, 1, 6, 3, 0xbad, 6]);
    let recs = read_all(&bytes);
    assert_eq!(
        recs[2],
        Rec::Epb {
            if_id: 0,
            ts: T0 as u64,
            caplen: 32,
            origlen: frame.len() as u32,
            data: frame[..32].to_vec()
        }
    );
    assert_eq!(
        recs[3],
        Rec::Spb {
            origlen: frame.len() as u32,
            data: frame[..32].to_vec()
        }
    );
    assert_eq!(recs[4], Rec::Other(0xbad));
    assert_eq!(
        recs[5],
        Rec::Epb {
            if_id: 7,
            ts: T0 as u64 / 1000,
            caplen: 3,
            origlen: 1000,
            data: frame[..3].to_vec()
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Link layer
// ---------------------------------------------------------------------------------------------

fn assert_udp(p: &SlicedPacket<'_>, sport: u16, dport: u16, payload: &[u8]) {
    match &p.transport {
        Some(TransportSlice::Udp(u)) => {
            assert_eq!((u.source_port(), u.destination_port()), (sport, dport));
            assert_eq!(u.payload(), payload);
        }
        t => panic!("not UDP: {t:?}"),
    }
}

#[test]
fn ethernet_without_with_and_double_vlan_tags() {
    let ip = ipv4_udp(V4_A, 50000, V4_B, 3478, b"hello");
    for vlans in [
        vec![],
        vec![Vlan::dot1q(100)],
        vec![Vlan::dot1ad(300), Vlan::dot1q(100)],
        vec![Vlan::dot1q(4094), Vlan::dot1q(7)],
    ] {
        let f = ethernet(MAC_A, MAC_B, &vlans, ETHERTYPE_IPV4, &ip);
        assert_eq!(f.len(), 14 + 4 * vlans.len() + ip.len());
        let p = SlicedPacket::from_ethernet(&f).unwrap();
        match &p.link {
            Some(LinkSlice::Ethernet2(e)) => {
                assert_eq!(e.source(), MAC_A);
                assert_eq!(e.destination(), MAC_B);
            }
            l => panic!("{l:?}"),
        }
        let ids: Vec<u16> = p.vlan_ids().iter().map(|v| v.value()).collect();
        assert_eq!(ids, vlans.iter().map(|v| v.id).collect::<Vec<_>>());
        if let Some(outer) = vlans.first() {
            assert_eq!(f[12..14], outer.tpid.to_be_bytes());
        }
        assert_udp(&p, 50000, 3478, b"hello");
    }
    let f6 = ethernet_ip(
        MAC_B,
        MAC_A,
        &[Vlan::dot1q(5)],
        &ipv6_udp(v6_b(), 3478, v6_a(), 50000, b"x"),
    );
    let p = SlicedPacket::from_ethernet(&f6).unwrap();
    assert!(matches!(p.net, Some(NetSlice::Ipv6(_))));
    assert_udp(&p, 3478, 50000, b"x");
}

#[test]
fn linux_cooked_v1() {
    let ip = ipv4_udp(V4_A, 50000, V4_B, 3478, b"sll");
    let f = sll(SLL_OUTGOING, ETHERTYPE_IPV4, MAC_A, &ip);
    assert_eq!(f.len(), 16 + ip.len());
    let p = SlicedPacket::from_linux_sll(&f).unwrap();
    match &p.link {
        Some(LinkSlice::LinuxSll(s)) => {
            let h = s.to_header();
            assert_eq!(u16::from(h.packet_type), SLL_OUTGOING);
            assert_eq!(h.sender_address_valid_length, 6);
            assert_eq!(h.sender_address[..6], MAC_A);
        }
        l => panic!("{l:?}"),
    }
    assert_udp(&p, 50000, 3478, b"sll");
}

#[test]
fn linux_cooked_v2() {
    let ip = ipv6_udp(v6_a(), 50000, v6_b(), 3478, b"sll2");
    let f = sll2(3, 4, ETHERTYPE_IPV6, MAC_B, &ip);
    assert_eq!(f.len(), 20 + ip.len());
    assert_eq!(u16::from_be_bytes([f[0], f[1]]), ETHERTYPE_IPV6);
    assert_eq!(f[2..4], [0, 0]);
    assert_eq!(u32::from_be_bytes([f[4], f[5], f[6], f[7]]), 3);
    assert_eq!(u16::from_be_bytes([f[8], f[9]]), 1); // ARPHRD_ETHER
    assert_eq!((f[10], f[11]), (4, 6));
    assert_eq!(f[12..18], MAC_B);
    assert_eq!(f[18..20], [0, 0]);
    assert_udp(
        &SlicedPacket::from_ip(&f[20..]).unwrap(),
        50000,
        3478,
        b"sll2",
    );
}

#[test]
fn bsd_null_loopback() {
    let ip4 = ipv4_udp(Ipv4Addr::LOCALHOST, 1, Ipv4Addr::LOCALHOST, 2, b"lo");
    let f = null_loopback(AF_INET, &ip4);
    assert_eq!(f[..4], [2, 0, 0, 0]);
    assert_udp(&SlicedPacket::from_ip(&f[4..]).unwrap(), 1, 2, b"lo");
    for af in [AF_INET6_BSD, AF_INET6_FREEBSD, AF_INET6_DARWIN] {
        let ip6 = ipv6_udp(Ipv6Addr::LOCALHOST, 1, Ipv6Addr::LOCALHOST, 2, b"lo6");
        let f = null_loopback(af, &ip6);
        assert_eq!(u32::from_le_bytes([f[0], f[1], f[2], f[3]]), af);
        assert_udp(&SlicedPacket::from_ip(&f[4..]).unwrap(), 1, 2, b"lo6");
    }
}

// ---------------------------------------------------------------------------------------------
// IP and transport: lengths and checksums checked by etherparse
// ---------------------------------------------------------------------------------------------

/// Checks IP header checksum (v4), total/payload length and the transport checksum; returns
/// the transport payload.
fn verify_ip(pkt: &[u8]) -> Vec<u8> {
    let p = SlicedPacket::from_ip(pkt).unwrap();
    match (&p.net, &p.transport) {
        (Some(NetSlice::Ipv4(v4)), Some(t)) => {
            let h = v4.header().to_header();
            assert_eq!(h.header_checksum, h.calc_header_checksum());
            assert_eq!(usize::from(h.total_len), pkt.len());
            let (src, dst) = (h.source, h.destination);
            match t {
                TransportSlice::Udp(u) => {
                    let c = u
                        .to_header()
                        .calc_checksum_ipv4_raw(src, dst, u.payload())
                        .unwrap();
                    assert_eq!(u.checksum(), c);
                    assert_eq!(usize::from(u.length()), u.slice().len());
                    u.payload().to_vec()
                }
                TransportSlice::Tcp(t) => {
                    assert_eq!(t.checksum(), t.calc_checksum_ipv4(src, dst).unwrap());
                    t.payload().to_vec()
                }
                t => panic!("{t:?}"),
            }
        }
        (Some(NetSlice::Ipv6(v6)), Some(t)) => {
            let h = v6.header().to_header();
            assert_eq!(usize::from(h.payload_length) + 40, pkt.len());
            let (src, dst) = (h.source, h.destination);
            match t {
                TransportSlice::Udp(u) => {
                    let c = u
                        .to_header()
                        .calc_checksum_ipv6_raw(src, dst, u.payload())
                        .unwrap();
                    assert_eq!(u.checksum(), c);
                    assert_eq!(usize::from(u.length()), u.slice().len());
                    u.payload().to_vec()
                }
                TransportSlice::Tcp(t) => {
                    assert_eq!(t.checksum(), t.calc_checksum_ipv6(src, dst).unwrap());
                    t.payload().to_vec()
                }
                t => panic!("{t:?}"),
            }
        }
        x => panic!("{x:?}"),
    }
}

#[test]
fn udp_and_tcp_over_both_families_have_valid_checksums() {
    let tcp = Tcp {
        seq: 0xfffffff0,
        ack: 77,
        flags: TcpFlags::PSH_ACK,
        window: 1024,
    };
    for payload in [&b""[..], b"a", b"odd length!", &[0xff; 1400]] {
        assert_eq!(
            verify_ip(&ipv4_udp(V4_A, 50000, V4_B, 3478, payload)),
            payload
        );
        assert_eq!(
            verify_ip(&ipv6_udp(v6_a(), 50000, v6_b(), 3478, payload)),
            payload
        );
        assert_eq!(
            verify_ip(&ipv4_tcp(V4_A, 50001, V4_B, 443, tcp, payload)),
            payload
        );
        assert_eq!(
            verify_ip(&ipv6_tcp(v6_a(), 50001, v6_b(), 443, tcp, payload)),
            payload
        );
    }
    let p = ipv4_tcp(V4_A, 50001, V4_B, 443, tcp, b"");
    let s = SlicedPacket::from_ip(&p).unwrap();
    let Some(TransportSlice::Tcp(t)) = s.transport else {
        panic!()
    };
    assert_eq!(
        (
            t.sequence_number(),
            t.acknowledgment_number(),
            t.window_size()
        ),
        (0xfffffff0, 77, 1024)
    );
    assert!(t.psh() && t.ack() && !t.syn() && !t.fin() && !t.rst());
    assert_eq!(TcpFlags::SYN.bits(), 0x02);
    assert_eq!(TcpFlags::SYN_ACK.bits(), 0x12);
    assert_eq!(TcpFlags::FIN_ACK.bits(), 0x11);
    assert_eq!(TcpFlags::RST.bits(), 0x04);

    let a: IpAddr = V4_A.into();
    let b: IpAddr = V4_B.into();
    assert_eq!(ip_udp(a, 1, b, 2, b"z"), ipv4_udp(V4_A, 1, V4_B, 2, b"z"));
    assert_eq!(
        ip_tcp(v6_a().into(), 1, v6_b().into(), 2, tcp, b"z"),
        ipv6_tcp(v6_a(), 1, v6_b(), 2, tcp, b"z")
    );
}

#[test]
#[should_panic(expected = "mixed address families")]
fn mixed_families_panic() {
    ip_udp(V4_A.into(), 1, v6_b().into(), 2, b"");
}

#[test]
fn dscp_is_set_and_checksum_fixed() {
    let mut p4 = ipv4_udp(V4_A, 50000, V4_B, 3478, b"ef");
    set_dscp(&mut p4, 46);
    let s = Ipv4Slice::from_slice(&p4).unwrap();
    assert_eq!(s.header().dcp().value(), 46);
    verify_ip(&p4);
    let mut p6 = ipv6_udp(v6_a(), 50000, v6_b(), 3478, b"ef");
    set_dscp(&mut p6, 34);
    let (h, _) = Ipv6Header::from_slice(&p6).unwrap();
    assert_eq!(h.traffic_class >> 2, 34);
    assert_eq!(h.payload_length, 8 + 2);
    verify_ip(&p6);
}

#[test]
fn ipv4_fragments_reassemble_to_a_valid_datagram() {
    let payload: Vec<u8> = (0..3000u32).map(|i| i as u8).collect();
    let frags = ipv4_fragments(V4_A, 50000, V4_B, 3478, &payload, 0x4242, 1403);
    assert_eq!(frags.len(), 3); // 1400 + 1400 + 208
    let mut datagram = Vec::new();
    for (i, f) in frags.iter().enumerate() {
        let s = Ipv4Slice::from_slice(f).unwrap();
        let h = s.header().to_header();
        assert_eq!(h.header_checksum, h.calc_header_checksum());
        assert_eq!(h.identification, 0x4242);
        assert_eq!(h.more_fragments, i + 1 < frags.len());
        assert_eq!(usize::from(h.fragment_offset.value()) * 8, datagram.len());
        assert!(s.is_payload_fragmented());
        datagram.extend_from_slice(s.payload().payload);
    }
    let u = UdpSlice::from_slice(&datagram).unwrap();
    assert_eq!((u.source_port(), u.destination_port()), (50000, 3478));
    assert_eq!(u.payload(), &payload[..]);
    let c = u
        .to_header()
        .calc_checksum_ipv4_raw(V4_A.octets(), V4_B.octets(), u.payload())
        .unwrap();
    assert_eq!(u.checksum(), c);
}

#[test]
fn ipv6_extension_headers_before_udp() {
    let pkt = ipv6_with_ext_headers(v6_a(), 50000, v6_b(), 3478, b"ext");
    let p = SlicedPacket::from_ip(&pkt).unwrap();
    let Some(NetSlice::Ipv6(v6)) = &p.net else {
        panic!()
    };
    let exts: Vec<_> = v6.extensions().clone().into_iter().collect();
    assert!(matches!(
        exts[..],
        [
            Ipv6ExtensionSlice::HopByHop(_),
            Ipv6ExtensionSlice::DestinationOptions(_)
        ]
    ));
    assert_eq!(v6.header().next_header().0, IPPROTO_HOPOPTS);
    assert_eq!(verify_ip(&pkt), b"ext");
    let Some(TransportSlice::Udp(u)) = &p.transport else {
        panic!()
    };
    let h = UdpHeader::from_slice(u.slice()).unwrap().0;
    assert_eq!(h.length, 11);
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

fn tcp_fields(pkt: &[u8]) -> (u32, u32, u8, usize) {
    let p = SlicedPacket::from_ip(pkt).unwrap();
    let Some(TransportSlice::Tcp(t)) = p.transport else {
        panic!()
    };
    let flags = u8::from(t.fin())
        | u8::from(t.syn()) << 1
        | u8::from(t.rst()) << 2
        | u8::from(t.psh()) << 3
        | u8::from(t.ack()) << 4;
    (
        t.sequence_number(),
        t.acknowledgment_number(),
        flags,
        t.payload().len(),
    )
}

#[test]
fn tcp_session_handshake_data_split_at_mss_and_close() {
    let client: SocketAddr = "10.1.2.3:50001".parse().unwrap();
    let server: SocketAddr = "52.112.0.10:443".parse().unwrap();
    let hello = tls_client_hello("teams.microsoft.com", &["h2"], 1800);
    assert!(hello.len() > 1800);
    let pkts = tcp_session(
        client,
        server,
        T0,
        &[
            (Dir::Forward, hello.clone()),
            (Dir::Reverse, tls_server_hello()),
        ],
    );
    let sh = tls_server_hello().len() as u32;
    let hl = hello.len() as u32;
    let got: Vec<_> = pkts.iter().map(|(_, p, d)| (*d, tcp_fields(p))).collect();
    use Dir::*;
    let want = vec![
        (Forward, (1000, 0, 0x02, 0)),
        (Reverse, (5000, 1001, 0x12, 0)),
        (Forward, (1001, 5001, 0x10, 0)),
        (Forward, (1001, 5001, 0x18, 1460)),
        (Forward, (2461, 5001, 0x18, hello.len() - 1460)),
        (Reverse, (5001, 1001 + hl, 0x18, sh as usize)),
        (Forward, (1001 + hl, 5001 + sh, 0x11, 0)),
        (Reverse, (5001 + sh, 1002 + hl, 0x11, 0)),
        (Forward, (1002 + hl, 5002 + sh, 0x10, 0)),
    ];
    assert_eq!(got, want);
    for (i, (ts, p, _)) in pkts.iter().enumerate() {
        assert_eq!(*ts, T0 + i as i64 * 1_000_000);
        verify_ip(p);
    }
    // the two data segments reassemble to the hello
    assert_eq!(
        [verify_ip(&pkts[3].1), verify_ip(&pkts[4].1)].concat(),
        hello
    );

    // IPv6, custom options, no close
    let c6 = SocketAddr::new(v6_a().into(), 50002);
    let s6 = SocketAddr::new(v6_b().into(), 443);
    let opts = TcpOpts {
        mss: 100,
        step_ns: 10,
        close: false,
        client_isn: u32::MAX,
        ..TcpOpts::default()
    };
    let pkts = tcp_session_with(c6, s6, 0, &[(Dir::Forward, vec![1; 250])], opts);
    assert_eq!(pkts.len(), 3 + 3);
    assert_eq!(tcp_fields(&pkts[3].1), (0, 5001, 0x18, 100)); // seq wraps
    assert_eq!(pkts[5].0, 50);
}

#[test]
fn syn_retries_back_off() {
    let c: SocketAddr = "10.1.2.3:50003".parse().unwrap();
    let s: SocketAddr = "52.112.0.10:443".parse().unwrap();
    let pkts = tcp_syn_retries(c, s, T0, 3);
    let ts: Vec<i64> = pkts.iter().map(|p| p.0 - T0).collect();
    assert_eq!(ts, vec![0, 1_000_000_000, 3_000_000_000]);
    assert!(pkts
        .iter()
        .all(|p| p.2 == Dir::Forward && tcp_fields(&p.1).2 == 0x02));
}

#[test]
fn udp_stream_into_pcapng_with_per_direction_framing() {
    let a: SocketAddr = "10.1.2.3:50010".parse().unwrap();
    let b: SocketAddr = "52.112.244.71:3478".parse().unwrap();
    let media = udp_stream(a, b, T0, 20_000_000, 10, |i| {
        (
            Dir::alternate(i),
            rtp(
                0,
                (i / 2) as u16,
                (i / 2) as u32 * 160,
                0xabc + (i % 2) as u32,
                false,
                160,
            ),
        )
    });
    let ctl = udp_stream(a, b, T0 + 1, 100_000_000, 2, |_| {
        (Dir::Forward, rtcp_rr(0xabc))
    });
    let all = merge(&[media.clone(), ctl]);
    assert_eq!(all.len(), 12);
    assert!(all.windows(2).all(|w| w[0].0 <= w[1].0));
    assert_eq!(media[3].0, T0 + 60_000_000);
    assert_eq!(media[3].2, Dir::Reverse);
    let p = SlicedPacket::from_ip(&media[3].1).unwrap();
    assert_udp(&p, 3478, 50010, &rtp(0, 1, 160, 0xabd, false, 160));

    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    ng.extend(er0, &all, |dir, ip| match dir {
        Dir::Forward => ethernet_ip(MAC_A, MAC_B, &[Vlan::dot1q(100)], ip),
        Dir::Reverse => ethernet_ip(MAC_B, MAC_A, &[Vlan::dot1q(100)], ip),
    });
    let recs = read_all(&ng.to_bytes());
    assert_eq!(recs.len(), 2 + 12);
    let Rec::Epb { data, ts, .. } = &recs[2 + 3] else {
        panic!()
    };
    assert_eq!(*ts, all[3].0 as u64);
    let p = SlicedPacket::from_ethernet(data).unwrap();
    assert_eq!(p.vlan_ids()[0].value(), 100);

    let mut pcap = Pcap::new(LINKTYPE_LINUX_SLL2);
    pcap.extend(&all, |dir, ip| {
        sll2(
            if dir == Dir::Forward { 3 } else { 4 },
            0,
            ethertype_of(ip),
            MAC_A,
            ip,
        )
    });
    assert_eq!(read_all(&pcap.to_bytes()).len(), 13);
}

// ---------------------------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------------------------

const TX: [u8; 12] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// (type, value) of every STUN attribute, checking the header and padding.
fn stun_attrs(m: &[u8]) -> (u16, Vec<(u16, Vec<u8>)>) {
    assert_eq!(m[0] & 0xc0, 0);
    assert_eq!(usize::from(u16::from_be_bytes([m[2], m[3]])), m.len() - 20);
    assert_eq!(m.len() % 4, 0);
    assert_eq!(m[4..8], [0x21, 0x12, 0xa4, 0x42]);
    assert_eq!(m[8..20], TX);
    let mut attrs = Vec::new();
    let mut i = 20;
    while i < m.len() {
        let t = u16::from_be_bytes([m[i], m[i + 1]]);
        let l = usize::from(u16::from_be_bytes([m[i + 2], m[i + 3]]));
        attrs.push((t, m[i + 4..i + 4 + l].to_vec()));
        i += 4 + l.div_ceil(4) * 4;
    }
    assert_eq!(i, m.len());
    (u16::from_be_bytes([m[0], m[1]]), attrs)
}

fn unxor(v: &[u8]) -> SocketAddr {
    let port = u16::from_be_bytes([v[2], v[3]]) ^ 0x2112;
    let key: Vec<u8> = [0x21, 0x12, 0xa4, 0x42]
        .iter()
        .chain(TX.iter())
        .copied()
        .collect();
    match v[1] {
        1 => {
            let o: Vec<u8> = v[4..8].iter().zip(&key).map(|(a, k)| a ^ k).collect();
            SocketAddr::new(Ipv4Addr::new(o[0], o[1], o[2], o[3]).into(), port)
        }
        2 => {
            let mut o = [0u8; 16];
            for (j, b) in v[4..20].iter().enumerate() {
                o[j] = b ^ key[j];
            }
            SocketAddr::new(Ipv6Addr::from(o).into(), port)
        }
        f => panic!("family {f}"),
    }
}

#[test]
fn stun_and_turn_messages() {
    let (t, attrs) = stun_attrs(&stun_binding_request(TX, Some("abcd:efgh1")));
    assert_eq!(t, 0x0001);
    assert_eq!(attrs, vec![(0x0006, b"abcd:efgh1".to_vec())]);
    assert_eq!(stun_binding_request(TX, None).len(), 20);

    for mapped in ["192.0.2.17:54321", "[2001:db8::17]:3478"] {
        let mapped: SocketAddr = mapped.parse().unwrap();
        let (t, attrs) = stun_attrs(&stun_binding_success(TX, mapped));
        assert_eq!(t, 0x0101);
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].0, 0x0020);
        assert_eq!(unxor(&attrs[0].1), mapped);
    }

    let (t, attrs) = stun_attrs(&stun_with_attrs(
        0x0111,
        TX,
        &[(0x8022, b"x".to_vec()), (0x0009, vec![0, 0, 4, 1])],
    ));
    assert_eq!(t, 0x0111);
    assert_eq!(
        attrs,
        vec![(0x8022, b"x".to_vec()), (0x0009, vec![0, 0, 4, 1])]
    );

    let relayed: SocketAddr = "52.112.1.1:50000".parse().unwrap();
    let mapped: SocketAddr = "[2001:db8::1]:40000".parse().unwrap();
    let (t, attrs) = stun_attrs(&turn_allocate_success(TX, relayed, mapped));
    assert_eq!(t, 0x0103);
    assert_eq!(attrs[0].0, 0x0016);
    assert_eq!(unxor(&attrs[0].1), relayed);
    assert_eq!(unxor(&attrs[1].1), mapped);
    assert_eq!(attrs[2], (0x000d, 600u32.to_be_bytes().to_vec()));
    let (t, attrs) = stun_attrs(&turn_allocate_request(TX));
    assert_eq!((t, attrs[0].0, attrs[0].1[0]), (0x0003, 0x0019, 17));

    let cd = turn_channel_data(0x4001, b"hello");
    assert_eq!(cd, [0x40, 0x01, 0, 5, b'h', b'e', b'l', b'l', b'o']);
    let cdp = turn_channel_data_padded(0x4001, b"hello");
    assert_eq!((cdp.len(), &cdp[..9]), (12, &cd[..]));
}

#[test]
fn rtp_and_rtcp_packets() {
    let p = rtp(111, 0xbeef, 0x01020304, 0xcafebabe, true, 160);
    assert_eq!(p.len(), 172);
    assert_eq!(p[0] >> 6, 2);
    assert_eq!((p[1] >> 7, p[1] & 0x7f), (1, 111));
    assert_eq!(p[2..4], [0xbe, 0xef]);
    assert_eq!(p[4..8], [1, 2, 3, 4]);
    assert_eq!(p[8..12], 0xcafebabeu32.to_be_bytes());

    let rtcp_len = |p: &[u8]| (usize::from(u16::from_be_bytes([p[2], p[3]])) + 1) * 4;
    let sr = rtcp_sr(7);
    assert_eq!(
        (sr.len(), rtcp_len(&sr), sr[1], sr[0] >> 6),
        (28, 28, 200, 2)
    );
    let rr = rtcp_rr(7);
    assert_eq!((rr.len(), rtcp_len(&rr), rr[1]), (8, 8, 201));
    let sdes = rtcp_sdes_cname(7, "abc@host");
    assert_eq!(
        (sdes.len() % 4, rtcp_len(&sdes), sdes[1], sdes[0] & 0x1f),
        (0, sdes.len(), 202, 1)
    );
    let c = rtcp_compound(&[sr.clone(), sdes.clone()]);
    assert_eq!(c.len(), sr.len() + sdes.len());
    assert_eq!(rtcp_len(&c[28..]), sdes.len());

    let framed = rtp_over_tcp(&p);
    assert_eq!(framed[..2], 172u16.to_be_bytes());
    assert_eq!(framed[2..], p[..]);
}

/// Walks a TLS ClientHello: returns (record count, extension types, SNI, ALPN list).
fn parse_client_hello(mut b: &[u8]) -> (usize, Vec<u16>, String, Vec<String>) {
    let mut hs = Vec::new();
    let mut records = 0;
    while !b.is_empty() {
        assert_eq!(b[0], 22);
        let len = usize::from(u16::from_be_bytes([b[3], b[4]]));
        assert!(len <= 1 << 14);
        hs.extend_from_slice(&b[5..5 + len]);
        b = &b[5 + len..];
        records += 1;
    }
    assert_eq!(hs[0], 1);
    let hlen = u32::from_be_bytes([0, hs[1], hs[2], hs[3]]) as usize;
    assert_eq!(hlen, hs.len() - 4);
    let body = &hs[4..];
    assert_eq!(body[..2], [3, 3]);
    let mut i = 2 + 32;
    i += 1 + usize::from(body[i]);
    i += 2 + usize::from(u16::from_be_bytes([body[i], body[i + 1]]));
    i += 1 + usize::from(body[i]);
    let elen = usize::from(u16::from_be_bytes([body[i], body[i + 1]]));
    i += 2;
    assert_eq!(i + elen, body.len());
    let (mut types, mut sni, mut alpn) = (Vec::new(), String::new(), Vec::new());
    while i < body.len() {
        let t = u16::from_be_bytes([body[i], body[i + 1]]);
        let l = usize::from(u16::from_be_bytes([body[i + 2], body[i + 3]]));
        let d = &body[i + 4..i + 4 + l];
        match t {
            0 => sni = String::from_utf8(d[5..].to_vec()).unwrap(),
            16 => {
                let mut j = 2;
                while j < d.len() {
                    let n = usize::from(d[j]);
                    alpn.push(String::from_utf8(d[j + 1..j + 1 + n].to_vec()).unwrap());
                    j += 1 + n;
                }
            }
            43 => assert_eq!(d, [4, 3, 4, 3, 3]),
            _ => {}
        }
        types.push(t);
        i += 4 + l;
    }
    (records, types, sni, alpn)
}

#[test]
fn tls_hellos() {
    let (n, types, sni, alpn) = parse_client_hello(&tls_client_hello(
        "teams.microsoft.com",
        &["h2", "http/1.1"],
        0,
    ));
    assert_eq!(n, 1);
    assert_eq!(sni, "teams.microsoft.com");
    assert_eq!(alpn, vec!["h2", "http/1.1"]);
    assert!(types.contains(&51) && types.contains(&43) && !types.contains(&21));

    let small = tls_client_hello("a.b", &[], 0).len();
    let padded = tls_client_hello("a.b", &[], 1800);
    assert_eq!(padded.len(), small + 4 + 1800);
    let (_, types, _, alpn) = parse_client_hello(&padded);
    assert!(types.contains(&21) && !types.contains(&16) && alpn.is_empty());

    let (n, _, sni, _) = parse_client_hello(&tls_client_hello("big.example", &[], 20_000));
    assert_eq!((n, sni.as_str()), (2, "big.example"));

    let pq = tls_client_hello_pq("teams.microsoft.com", &["h2"]);
    assert!((1400..1500).contains(&pq.len()), "{}", pq.len());
    parse_client_hello(&pq);

    let sh = tls_server_hello();
    assert_eq!(sh[..3], [22, 3, 3]);
    assert_eq!(
        usize::from(u16::from_be_bytes([sh[3], sh[4]])),
        sh.len() - 5
    );
    assert_eq!(sh[5], 2);
    assert_eq!(
        u32::from_be_bytes([0, sh[6], sh[7], sh[8]]) as usize,
        sh.len() - 9
    );
}

#[test]
fn dtls_hello() {
    let d = dtls_client_hello();
    assert_eq!(d[..3], [22, 0xfe, 0xff]);
    assert_eq!(d[3..11], [0; 8]);
    assert_eq!(
        usize::from(u16::from_be_bytes([d[11], d[12]])),
        d.len() - 13
    );
    assert_eq!(d[13], 1);
    let len = u32::from_be_bytes([0, d[14], d[15], d[16]]) as usize;
    let frag = u32::from_be_bytes([0, d[22], d[23], d[24]]) as usize;
    assert_eq!((len, frag, len), (d.len() - 25, d.len() - 25, frag));
    assert_eq!(d[25..27], [0xfe, 0xfd]);
}

#[test]
fn sip_and_sdp() {
    let body = sdp(
        "10.1.2.3".parse().unwrap(),
        &[("audio", 50020), ("video", 50030)],
        "10.1.2.3".parse().unwrap(),
    );
    assert!(body.starts_with("v=0\r\n"));
    assert!(body.contains("c=IN IP4 10.1.2.3\r\n"));
    assert!(body.contains("m=audio 50020 RTP/AVP 0\r\n"));
    assert!(body.contains("m=video 50030 RTP/AVP 96\r\n"));
    assert!(!body.replace("\r\n", "").contains('\n'));
    let b6 = sdp(
        "2001:db8::1".parse().unwrap(),
        &[("audio", 1)],
        "2001:db8::2".parse().unwrap(),
    );
    assert!(
        b6.contains("o=- 3900000000 1 IN IP6 2001:db8::1\r\n")
            && b6.contains("c=IN IP6 2001:db8::2\r\n")
    );

    let check = |msg: &[u8], first: &str, body: &str| {
        let s = std::str::from_utf8(msg).unwrap();
        let (head, rest) = s.split_once("\r\n\r\n").unwrap();
        assert_eq!(rest, body);
        assert!(head.starts_with(first), "{head}");
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
        assert!(head.contains("\r\nCall-ID: c1@host"));
        assert!(!head.replace("\r\n", "").contains('\n'));
    };
    check(
        &sip_invite(
            "c1@host",
            "alice@contoso.com",
            "sip:bob@contoso.com",
            "10.1.2.3:5060",
            Some(&body),
        ),
        "INVITE sip:bob@contoso.com SIP/2.0\r\n",
        &body,
    );
    check(
        &sip_invite(
            "c1@host",
            "alice@contoso.com",
            "bob@contoso.com",
            "10.1.2.3",
            None,
        ),
        "INVITE sip:bob@contoso.com SIP/2.0",
        "",
    );
    let ok = sip_200_ok(
        "c1@host",
        "alice@contoso.com",
        "bob@contoso.com",
        "10.1.2.3",
        &body,
    );
    check(&ok, "SIP/2.0 200 OK\r\n", &body);
    assert!(std::str::from_utf8(&ok)
        .unwrap()
        .contains("Content-Type: application/sdp\r\n"));
}

#[test]
fn dns_query_layout() {
    let q = dns_query(0x1234, "teams.microsoft.com.");
    assert_eq!(q[..4], [0x12, 0x34, 0x01, 0x00]);
    assert_eq!(q[4..12], [0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        &q[12..],
        b"\x05teams\x09microsoft\x03com\x00\x00\x01\x00\x01"
    );
}

// ---------------------------------------------------------------------------------------------
// Samples for a manual check with other tools
// ---------------------------------------------------------------------------------------------

/// `CALLPATH_FIXTURE_DUMP=/some/dir cargo test --test builder_selftest -- --ignored` writes
/// sample files there for `tshark -r FILE -V` / `capinfos`.
#[test]
#[ignore = "a tool, not a test: dumps sample captures to CALLPATH_FIXTURE_DUMP"]
fn dump_samples() {
    let dir = std::path::PathBuf::from(
        std::env::var("CALLPATH_FIXTURE_DUMP").expect("CALLPATH_FIXTURE_DUMP"),
    );
    let client: SocketAddr = "10.1.2.3:50001".parse().unwrap();
    let server: SocketAddr = "52.112.0.10:443".parse().unwrap();
    let tls = tcp_session(
        client,
        server,
        T0,
        &[
            (
                Dir::Forward,
                tls_client_hello("teams.microsoft.com", &["h2"], 1800),
            ),
            (Dir::Reverse, tls_server_hello()),
        ],
    );
    let a: SocketAddr = "10.1.2.3:50010".parse().unwrap();
    let b: SocketAddr = "52.112.244.71:3478".parse().unwrap();
    let stun = vec![
        (
            T0,
            ip_udp(
                a.ip(),
                a.port(),
                b.ip(),
                b.port(),
                &stun_binding_request(TX, Some("abcd:efgh")),
            ),
            Dir::Forward,
        ),
        (
            T0 + 1_000_000,
            ip_udp(
                b.ip(),
                b.port(),
                a.ip(),
                a.port(),
                &stun_binding_success(TX, "192.0.2.17:54321".parse().unwrap()),
            ),
            Dir::Reverse,
        ),
        (
            T0 + 2_000_000,
            ip_udp(
                b.ip(),
                b.port(),
                a.ip(),
                a.port(),
                &turn_allocate_success(
                    TX,
                    "52.112.1.1:50000".parse().unwrap(),
                    "[2001:db8::1]:4000".parse().unwrap(),
                ),
            ),
            Dir::Reverse,
        ),
    ];
    let media = udp_stream(a, b, T0 + 10_000_000, 20_000_000, 6, |i| {
        (
            Dir::alternate(i),
            rtp(0, i as u16, i as u32 * 160, 0xabc, i == 0, 160),
        )
    });
    let rtcp = vec![(
        T0 + 200_000_000,
        ip_udp(
            a.ip(),
            a.port(),
            b.ip(),
            3479,
            &rtcp_compound(&[rtcp_sr(0xabc), rtcp_sdes_cname(0xabc, "x@y")]),
        ),
        Dir::Forward,
    )];
    let sipc: SocketAddr = "10.1.2.3:50100".parse().unwrap();
    let sips: SocketAddr = "10.30.0.10:5060".parse().unwrap();
    let body = sdp(a.ip(), &[("audio", 50010)], a.ip());
    let sip = tcp_session(
        sipc,
        sips,
        T0 + 300_000_000,
        &[
            (
                Dir::Forward,
                sip_invite(
                    "c1@host",
                    "alice@contoso.com",
                    "bob@contoso.com",
                    "10.1.2.3:50100",
                    Some(&body),
                ),
            ),
            (
                Dir::Reverse,
                sip_200_ok(
                    "c1@host",
                    "alice@contoso.com",
                    "bob@contoso.com",
                    "10.1.2.3:50100",
                    &body,
                ),
            ),
        ],
    );
    let misc = vec![
        (
            T0 + 400_000_000,
            ipv4_udp(
                V4_A,
                53000,
                Ipv4Addr::new(10, 0, 0, 53),
                53,
                &dns_query(7, "teams.microsoft.com"),
            ),
            Dir::Forward,
        ),
        (
            T0 + 401_000_000,
            ipv4_udp(V4_A, 50500, V4_B, 3478, &dtls_client_hello()),
            Dir::Forward,
        ),
        (
            T0 + 402_000_000,
            ipv6_with_ext_headers(v6_a(), 50000, v6_b(), 3478, &stun_binding_request(TX, None)),
            Dir::Forward,
        ),
        (
            T0 + 403_000_000,
            ipv4_udp(
                V4_A,
                50011,
                V4_B,
                3478,
                &turn_channel_data(0x4000, &rtp(0, 1, 1, 1, false, 20)),
            ),
            Dir::Forward,
        ),
    ];
    let all = merge(&[tls, stun, media, rtcp, sip, misc]);

    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface {
        description: Some("ExpressRoute"),
        ..Iface::ethernet("er0")
    });
    let any = ng.interface(Iface {
        name: Some("any"),
        ..Iface::new(LINKTYPE_LINUX_SLL2)
    });
    ng.extend(er0, &all, |d, ip| match d {
        Dir::Forward => ethernet_ip(MAC_A, MAC_B, &[Vlan::dot1ad(300), Vlan::dot1q(100)], ip),
        Dir::Reverse => ethernet_ip(MAC_B, MAC_A, &[Vlan::dot1q(100)], ip),
    });
    ng.extend(any, &all, |d, ip| {
        sll2(
            if d == Dir::Forward { 3 } else { 4 },
            0,
            ethertype_of(ip),
            MAC_A,
            ip,
        )
    });
    ng.section().big_endian(true);
    let lo = ng.interface(Iface {
        tsresol: Some(0x80 | 20),
        ..Iface::new(LINKTYPE_NULL)
    });
    ng.extend(lo, &all, |_, ip| {
        null_loopback(
            if ip[0] >> 4 == 4 {
                AF_INET
            } else {
                AF_INET6_DARWIN
            },
            ip,
        )
    });
    let raw = ng.interface(Iface::new(LINKTYPE_RAW));
    ng.extend(raw, &all, |_, ip| ip.to_vec());
    ng.simple_packet(&null_loopback(AF_INET, &all[0].1));
    ng.write(dir.join("sample.pcapng"));

    let mut p = Pcap::new(LINKTYPE_LINUX_SLL)
        .nanosecond(true)
        .big_endian(true);
    p.extend(&all, |d, ip| {
        sll(
            if d == Dir::Forward {
                SLL_OUTGOING
            } else {
                SLL_HOST
            },
            ethertype_of(ip),
            MAC_A,
            ip,
        )
    });
    for f in ipv4_fragments(
        V4_A,
        50000,
        V4_B,
        3478,
        &rtp(0, 9, 9, 9, false, 3000),
        0x4242,
        1480,
    ) {
        p.packet(
            T0 + 500_000_000,
            &sll(SLL_OUTGOING, ETHERTYPE_IPV4, MAC_A, &f),
        );
    }
    p.write(dir.join("sample-ns-be.pcap"));
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&all, |_, ip| ethernet_ip(MAC_A, MAC_B, &[], ip));
    p.write(dir.join("sample-us-le.pcap"));
}
