//! What a router and a source NAT do to a packet (issue 17): rewrite one end's address and
//! port, decrement the TTL, fix the IPv4 and UDP/TCP checksums, and keep the IPv4
//! Identification, the TCP sequence numbers and the payload; and per-packet IPv4
//! Identifications, as a host numbers its packets.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

use super::builder::internet_checksum;

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
