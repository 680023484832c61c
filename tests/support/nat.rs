//! What a router and a source NAT do to a packet (issue 17): rewrite one end's address and
//! port, decrement the TTL, fix the IPv4 and UDP/TCP checksums, and keep the IPv4
//! Identification, the TCP sequence numbers and the payload; and per-packet IPv4
//! Identifications, as a host numbers its packets. And the scenario of `tests/capture_points.rs`
//! and of the bundled `fixtures/nat-*` captures: a router with a LAN and two WAN interfaces.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

use super::builder::{ethernet_ip, internet_checksum, tcp_session, Dir, Iface, Pcapng};
use super::calls::{rtp_both_ways, sa, MS, T0};

const US: i64 = 1_000;

fn header_len(ip: &[u8]) -> usize {
    assert_eq!(ip[0] >> 4, 4, "IPv4 only");
    usize::from(ip[0] & 0x0f) * 4
}

/// Sets the IPv4 Identification of `ip` (fixing the header checksum).
pub fn with_ip_id(mut ip: Vec<u8>, id: u16) -> Vec<u8> {
    ip[4..6].copy_from_slice(&id.to_be_bytes());
    fix_ip_checksum(&mut ip);
    ip
}

fn fix_ip_checksum(ip: &mut [u8]) {
    let ihl = header_len(ip);
    ip[10] = 0;
    ip[11] = 0;
    let c = internet_checksum(&[&ip[..ihl]]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
}

/// Recomputes the UDP or TCP checksum of an IPv4 packet.
fn fix_transport_checksum(ip: &mut [u8]) {
    let ihl = header_len(ip);
    let proto = ip[9];
    let at = match proto {
        17 => 6,
        6 => 16,
        _ => return,
    };
    let len = ip.len() - ihl;
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&ip[12..20]);
    pseudo.push(0);
    pseudo.push(proto);
    pseudo.extend_from_slice(&(len as u16).to_be_bytes());
    ip[ihl + at] = 0;
    ip[ihl + at + 1] = 0;
    let mut c = internet_checksum(&[&pseudo, &ip[ihl..]]);
    if c == 0 && proto == 17 {
        c = 0xffff;
    }
    ip[ihl + at..ihl + at + 2].copy_from_slice(&c.to_be_bytes());
}

/// The packet after a router with a source NAT from `inside` to `outside`: whichever end of
/// `ip` is `inside` becomes `outside`, the TTL drops by one, checksums are fixed.
pub fn translate(ip: &[u8], inside: SocketAddr, outside: SocketAddr) -> Vec<u8> {
    let mut ip = ip.to_vec();
    let ihl = header_len(&ip);
    let (IpAddr::V4(inside_ip), IpAddr::V4(outside_ip)) = (inside.ip(), outside.ip()) else {
        panic!("IPv4 only");
    };
    let src_is_inside =
        ip[12..16] == inside_ip.octets() && ip[ihl..ihl + 2] == inside.port().to_be_bytes();
    let dst_is_inside =
        ip[16..20] == inside_ip.octets() && ip[ihl + 2..ihl + 4] == inside.port().to_be_bytes();
    if src_is_inside {
        ip[12..16].copy_from_slice(&outside_ip.octets());
        ip[ihl..ihl + 2].copy_from_slice(&outside.port().to_be_bytes());
    } else if dst_is_inside {
        ip[16..20].copy_from_slice(&outside_ip.octets());
        ip[ihl + 2..ihl + 4].copy_from_slice(&outside.port().to_be_bytes());
    } else {
        panic!("{inside} is neither end of the packet");
    }
    ip[8] -= 1;
    fix_ip_checksum(&mut ip);
    fix_transport_checksum(&mut ip);
    ip
}

/// The packet after a router without NAT: TTL one less.
pub fn routed(ip: &[u8]) -> Vec<u8> {
    let mut ip = ip.to_vec();
    ip[8] -= 1;
    fix_ip_checksum(&mut ip);
    ip
}

// ---------------------------------------------------------------------------------------------
// The router scenario
// ---------------------------------------------------------------------------------------------

/// The router: ExpressRoute and Internet WAN interfaces with their NAT pools, the LAN.
pub const PROFILE: &str = r#"
[site]
name = "nat"
internal = ["10.0.0.0/8", "192.0.2.0/26"]
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["wan-er"]
nat = ["192.0.2.16/28"]

[[path]]
name = "internet"
interfaces = ["wan-inet"]
nat = ["192.0.2.32/28"]

[[path]]
name = "local"
interfaces = ["lan"]
"#;

pub type Packets = Vec<(i64, Vec<u8>, Dir)>;

/// Where a packet was captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    Lan,
    WanEr,
    WanInet,
}

impl Point {
    pub const ALL: [Point; 3] = [Point::Lan, Point::WanEr, Point::WanInet];

    pub fn name(self) -> &'static str {
        match self {
            Point::Lan => "lan",
            Point::WanEr => "wan-er",
            Point::WanInet => "wan-inet",
        }
    }
}

/// Forwarding delay LAN -> WAN and WAN -> LAN.
pub const OUT_DELAY: i64 = 200 * US;
pub const IN_DELAY: i64 = 300 * US;

/// Numbers each sender's packets with IPv4 Identifications from `base`, as a host does.
pub fn numbered(pkts: Packets, base: u16) -> Packets {
    let mut next = [base, base.wrapping_add(10_000)];
    pkts.into_iter()
        .map(|(ts, ip, dir)| {
            let n = &mut next[usize::from(dir == Dir::Reverse)];
            *n = n.wrapping_add(1);
            (ts, with_ip_id(ip, *n), dir)
        })
        .collect()
}

/// A flow through the router: client packets seen on the LAN, then (translated) on `wan`
/// `OUT_DELAY` later; server packets seen on `wan`, then (translated back) on the LAN
/// `IN_DELAY` later. `nat`: the client's inside and outside address (None: routed as is);
/// `lan_only`: the WAN side was not captured.
pub struct Through {
    pub wan: Point,
    pub nat: Option<(SocketAddr, SocketAddr)>,
    pub lan_only: bool,
}

pub fn through(pkts: &Packets, how: &Through) -> Vec<(i64, Vec<u8>, Point)> {
    let outside = |ip: &[u8]| match how.nat {
        Some((inside, outside)) => translate(ip, inside, outside),
        None => routed(ip),
    };
    let mut out = Vec::new();
    for (ts, ip, dir) in pkts {
        match dir {
            Dir::Forward => {
                out.push((*ts, ip.clone(), Point::Lan));
                if !how.lan_only {
                    out.push((ts + OUT_DELAY, outside(ip), how.wan));
                }
            }
            Dir::Reverse => {
                if !how.lan_only {
                    out.push((*ts, outside(ip), how.wan));
                }
                out.push((ts + IN_DELAY, routed(ip), Point::Lan));
            }
        }
    }
    out
}

fn frame(ip: &[u8]) -> Vec<u8> {
    ethernet_ip([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], ip)
}

/// One pcapng with the router's three interfaces.
pub fn router_capture(packets: &[(i64, Vec<u8>, Point)]) -> Vec<u8> {
    let mut ng = Pcapng::new();
    let ids: Vec<u32> = Point::ALL
        .iter()
        .map(|p| ng.interface(Iface::ethernet(p.name())))
        .collect();
    let mut all: Vec<&(i64, Vec<u8>, Point)> = packets.iter().collect();
    all.sort_by_key(|p| p.0);
    for (ts, ip, point) in all {
        let i = Point::ALL.iter().position(|p| p == point).unwrap();
        ng.packet(ids[i], *ts, &frame(ip));
    }
    ng.to_bytes()
}

/// One pcapng per tap, each with its clock `offset` (its clock minus true time).
pub fn tap_capture(packets: &[(i64, Vec<u8>, Point)], point: Point, offset: i64) -> Vec<u8> {
    let mut ng = Pcapng::new();
    let id = ng.interface(Iface::ethernet(point.name()));
    let mut all: Vec<&(i64, Vec<u8>, Point)> = packets.iter().filter(|p| p.2 == point).collect();
    all.sort_by_key(|p| p.0);
    for (ts, ip, _) in all {
        ng.packet(id, ts + offset, &frame(ip));
    }
    ng.to_bytes()
}

/// The scenario: a Teams audio stream with SNAT keeping its port, a TLS connection and a UDP
/// stream with SNAT rewriting theirs (over ExpressRoute and the Internet), and a stream whose
/// WAN side was not captured.
pub fn scenario() -> Vec<(i64, Vec<u8>, Point)> {
    let audio = numbered(
        rtp_both_ways(
            sa("10.1.1.10:50010"),
            sa("52.112.1.10:3478"),
            T0,
            0x1000,
            50,
        ),
        100,
    );
    let hello = b"\x16\x03\x01\x00\x30client hello bytes that a NAT does not touch".to_vec();
    let tls = numbered(
        tcp_session(
            sa("10.1.1.11:51000"),
            sa("52.112.1.11:443"),
            T0 + 5 * MS,
            &[(Dir::Forward, hello), (Dir::Reverse, vec![0x17; 900])],
        ),
        2_000,
    );
    let video = numbered(
        rtp_both_ways(
            sa("10.1.1.12:50020"),
            sa("52.113.1.12:3479"),
            T0 + 7 * MS,
            0x2000,
            40,
        ),
        4_000,
    );
    let unseen = numbered(
        rtp_both_ways(
            sa("10.1.1.13:50030"),
            sa("52.112.1.13:3480"),
            T0 + 9 * MS,
            0x3000,
            30,
        ),
        6_000,
    );
    let mut all = Vec::new();
    let er = Point::WanEr;
    all.extend(through(
        &audio,
        &Through {
            wan: er,
            nat: Some((sa("10.1.1.10:50010"), sa("192.0.2.17:50010"))),
            lan_only: false,
        },
    ));
    all.extend(through(
        &tls,
        &Through {
            wan: er,
            nat: Some((sa("10.1.1.11:51000"), sa("192.0.2.17:40001"))),
            lan_only: false,
        },
    ));
    all.extend(through(
        &video,
        &Through {
            wan: Point::WanInet,
            nat: Some((sa("10.1.1.12:50020"), sa("192.0.2.33:40002"))),
            lan_only: false,
        },
    ));
    all.extend(through(
        &unseen,
        &Through {
            wan: er,
            nat: Some((sa("10.1.1.13:50030"), sa("192.0.2.17:40003"))),
            lan_only: true,
        },
    ));
    all
}
