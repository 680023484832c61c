//! Link, IP and transport decoding of one frame into a `Decoded` that borrows its bytes.
//!
//! Link layers are read here (they are a few fixed fields), with the encapsulations between the
//! link and IP that carry calls on access and provider networks: PPPoE sessions (RFC 2516) and
//! MPLS label stacks (RFC 3032), also under VLAN tags; IPv4/IPv6 with extension headers,
//! UDP and TCP are sliced with `etherparse`'s lax parser so that packets cut by the snaplen are
//! decoded as far as their bytes go.

use std::net::IpAddr;

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::bytes::{be16, be32, mac};

mod counters;
pub use counters::DecodeCounters;

/// Link types (https://www.tcpdump.org/linktypes.html).
pub mod linktype {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    pub const RAW: u32 = 101;
    /// OpenBSD's DLT_RAW value as written by some writers.
    pub const RAW_OPENBSD: u32 = 14;
    pub const RAW_ALT: u32 = 12;
    pub const LINUX_SLL: u32 = 113;
    pub const LOOP: u32 = 108;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;

    /// The short name the text report prints for a link type, None for one it prints by
    /// number. `LOOP` has no name here: the report has always printed it by number.
    pub fn name(linktype: u32) -> Option<&'static str> {
        match linktype {
            NULL => Some("null"),
            ETHERNET => Some("ethernet"),
            RAW | RAW_ALT | RAW_OPENBSD => Some("raw"),
            LINUX_SLL => Some("sll"),
            IPV4 => Some("ipv4"),
            IPV6 => Some("ipv6"),
            LINUX_SLL2 => Some("sll2"),
            _ => None,
        }
    }
}

const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
/// PPPoE discovery stage (RFC 2516 §5): control frames, no IP.
const ETHERTYPE_PPPOE_DISCOVERY: u16 = 0x8863;
/// PPPoE session stage (RFC 2516 §5): PPP frames.
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
/// MPLS unicast and multicast (RFC 3032 §5, RFC 5332 §4).
const ETHERTYPE_MPLS: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
/// The `ethertype` of a `Decoded::NotIp` that is control traffic of an encapsulation decoded
/// here (PPP's LCP, NCPs, authentication): below 1536, so it reads as known, like an 802.3
/// length.
const NOT_IP_CONTROL: u16 = 0;
/// VLAN tags followed at most on one frame.
const MAX_VLAN_TAGS: usize = 4;
/// MPLS label stack entries followed at most; a longer stack is malformed.
const MAX_MPLS_LABELS: usize = 16;

/// Whether non-IP frames of this EtherType are expected link traffic, not something callpath
/// fails to decode: values below 1536 are 802.3 lengths (LLC frames: STP, CDP, ...; IEEE 802.3
/// §3.2.6), and a short list of control protocols. Frames of other EtherTypes are counted per
/// type and the capture's summary warns of them.
pub fn known_not_ip(ethertype: u16) -> bool {
    matches!(
        ethertype,
        0..=0x05ff
            | 0x0806 // ARP (RFC 826)
            | 0x8035 // RARP (RFC 903)
            | 0x8137 // IPX
            | 0x8809 // slow protocols: LACP, marker, OAM (IEEE 802.3 Annex 57A)
            | 0x888e // 802.1X EAPOL
            | 0x8899 // Realtek switch control: RRCP, loop detection
            | 0x88cc // LLDP (IEEE 802.1AB)
            | 0x88f7 // PTP (IEEE 1588)
            | 0x9000 // Ethernet configuration testing protocol (loopback)
            | ETHERTYPE_PPPOE_DISCOVERY
    )
}

pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;

/// The transport of a flow: TCP or UDP, the two IP protocols that make flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// The transport of a flow's IP protocol number: a flow is TCP (6) or UDP (17), so
    /// anything but 6 is UDP.
    pub fn of_protocol(protocol: u8) -> Transport {
        if protocol == IPPROTO_TCP {
            Transport::Tcp
        } else {
            Transport::Udp
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// TCP flags kept per packet (RFC 9293 §3.1).
pub mod tcp_flag {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
}

/// What the link layer says about where a packet was seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// Outermost VLAN id (802.1Q / 802.1ad).
    pub vlan: Option<u16>,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Linux SLL2 interface index.
    pub ifindex: Option<u32>,
    /// Linux SLL / SLL2 packet type (0 to us, 4 outgoing, ...).
    pub sll_packet_type: Option<u8>,
}

/// TCP header fields the flow table keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpInfo {
    pub seq: u32,
    pub flags: u8,
}

/// The transport part of a packet: what makes a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportLayer<'a> {
    /// IP protocol number: 6 (TCP) or 17 (UDP).
    pub protocol: u8,
    pub src_port: u16,
    pub dst_port: u16,
    pub tcp: Option<TcpInfo>,
    /// The DS field (RFC 2474 §3) of the IP header that carried it (the outermost: tunnels are
    /// not decoded): the 6 high bits of the IPv4 TOS or IPv6 Traffic Class octet, 0..=63.
    /// Kept here, with the ports, because this is what goes by reference to the flow table
    /// (`Observation::transport`); it fits in this struct's padding.
    pub dscp: u8,
    /// The IPv4 Identification (RFC 791 §3.1; 0 for IPv6): with the transport header and
    /// payload, what tells a SPAN duplicate from a retransmission (`flow::FlowTable`). Also in
    /// the padding.
    pub ip_id: u16,
    /// The UDP or TCP checksum field as captured (RFC 768, RFC 9293 §3.1): it covers the
    /// whole segment, so two pure ACKs differ by it where nothing else here does.
    pub checksum: u16,
    /// Transport payload as captured (may be shorter than on the wire).
    pub payload: &'a [u8],
}

/// Outcome of decoding one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    /// A TCP or UDP packet (or the first fragment of one).
    Flow {
        link: LinkInfo,
        src: IpAddr,
        dst: IpAddr,
        transport: TransportLayer<'a>,
        /// First fragment of a fragmented datagram.
        fragment: bool,
    },
    /// IP, but not TCP/UDP (ICMP, IGMP, ...): counted, no flow.
    OtherIp { link: LinkInfo },
    /// A non-first IP fragment: counted, no flow (it carries no ports).
    LaterFragment { link: LinkInfo },
    /// Not IP (ARP, LLDP, STP, ...): the EtherType (or 802.3 length) that says what it is;
    /// for a non-IP payload of PPPoE or MPLS, theirs (0 for PPP control protocols).
    NotIp { link: LinkInfo, ethertype: u16 },
    /// A link type this tool does not decode.
    UnsupportedLinktype,
    /// A header that is shorter than it must be or inconsistent.
    Malformed { layer: Layer, link: LinkInfo },
}

/// Where decoding stopped on a malformed packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Link,
    Ip,
    Transport,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Ip => "ip",
            Layer::Transport => "transport",
        }
    }
}

/// Decodes one frame of the given link type.
///
/// Inlined with the Ethernet and IPv4 steps into the reader's loop: as separate calls, the
/// decoded frame was built field by field on the stack, then copied out with wider loads,
/// each a store-forwarding stall, and that was most of the time of `decode` on a plain UDP
/// frame (the profile: benches/RESULTS.md, issue 12).
#[inline(always)]
pub fn decode(linktype: u32, data: &[u8]) -> Decoded<'_> {
    let mut link = LinkInfo::default();
    let l3 = match linktype {
        linktype::ETHERNET => ethernet(data, &mut link),
        linktype::LINUX_SLL => sll(data, &mut link),
        linktype::LINUX_SLL2 => sll2(data, &mut link),
        linktype::NULL | linktype::LOOP => null_loopback(data),
        linktype::RAW | linktype::RAW_ALT | linktype::RAW_OPENBSD => raw_ip(data),
        linktype::IPV4 => Some((ETHERTYPE_IPV4, data)),
        linktype::IPV6 => Some((ETHERTYPE_IPV6, data)),
        _ => return Decoded::UnsupportedLinktype,
    };
    let Some((ethertype, payload)) = l3 else {
        return Decoded::Malformed {
            layer: Layer::Link,
            link,
        };
    };
    if ethertype != ETHERTYPE_IPV4 && ethertype != ETHERTYPE_IPV6 {
        return encapsulated(ethertype, payload, link);
    }
    ip(ethertype, payload, &link)
}

/// A frame whose EtherType is not IP: IP inside PPPoE or MPLS, or not IP. Out of line, so that
/// the common path of `decode` stays as it was.
#[inline(never)]
fn encapsulated(ethertype: u16, data: &[u8], link: LinkInfo) -> Decoded<'_> {
    let inner = match ethertype {
        ETHERTYPE_PPPOE_SESSION => pppoe_session(data),
        ETHERTYPE_MPLS | ETHERTYPE_MPLS_MULTICAST => mpls(ethertype, data),
        _ => return Decoded::NotIp { link, ethertype },
    };
    match inner {
        Some((inner @ (ETHERTYPE_IPV4 | ETHERTYPE_IPV6), payload)) => ip(inner, payload, &link),
        Some((ethertype, _)) => Decoded::NotIp { link, ethertype },
        None => Decoded::Malformed {
            layer: Layer::Link,
            link,
        },
    }
}

/// A PPPoE session frame (RFC 2516 §4, §5): VER 1 and TYPE 1 in one byte (0x11), CODE 0,
/// SESSION_ID, LENGTH of the PPPoE payload; the payload is a PPP frame without address and
/// control fields, its 2-byte Protocol first (RFC 1661 §2, RFC 2516 §7: no protocol field
/// compression). The IP packet as (EtherType, bytes) for Protocol 0x0021 (IPv4, RFC 1332) or
/// 0x0057 (IPv6, RFC 5072 §3); for other protocols `NOT_IP_CONTROL` for the control protocols
/// (0x8000 and above: NCPs, LCP, authentication, RFC 1661 §2) and the PPPoE EtherType for
/// other network-layer protocols, with no bytes. None for a header that is wrong or a LENGTH
/// past the frame's end.
fn pppoe_session(data: &[u8]) -> Option<(u16, &[u8])> {
    let ver_type = *data.first()?;
    let code = *data.get(1)?;
    let length = usize::from(be16(data, 4)?);
    if ver_type != 0x11 || code != 0 {
        return None;
    }
    let ppp = data.get(6..6 + length)?;
    let protocol = be16(ppp, 0)?;
    let ethertype = match protocol {
        0x0021 => ETHERTYPE_IPV4,
        0x0057 => ETHERTYPE_IPV6,
        0x8000.. => NOT_IP_CONTROL,
        _ => ETHERTYPE_PPPOE_SESSION,
    };
    Some((ethertype, ppp.get(2..)?))
}

/// An MPLS label stack (RFC 3032 §2.1): 4-byte entries (label 20 bits, traffic class 3, S 1,
/// TTL 8) down to the one with the bottom-of-stack bit S, at most `MAX_MPLS_LABELS`. MPLS does
/// not say what is below the stack; the first nibble tells IPv4 (4) from IPv6 (6) as label
/// switching routers do (RFC 4928 §2); anything else (a pseudowire's control word, RFC 4385,
/// or an Ethernet frame) is not IP, counted under the MPLS EtherType. None for a stack that runs
/// past the frame, is longer than the cap, or has nothing below it.
fn mpls(ethertype: u16, data: &[u8]) -> Option<(u16, &[u8])> {
    let mut at = 0;
    for _ in 0..MAX_MPLS_LABELS {
        let entry = be32(data, at)?;
        at += 4;
        if entry & 0x100 != 0 {
            let payload = data.get(at..)?;
            let inner = match payload.first()? >> 4 {
                4 => ETHERTYPE_IPV4,
                6 => ETHERTYPE_IPV6,
                _ => ethertype,
            };
            return Some((inner, payload));
        }
    }
    None
}

/// Ethernet II with any number (up to `MAX_VLAN_TAGS`) of 802.1Q / 802.1ad tags; the outermost
/// VLAN id is kept (IEEE 802.1Q §9.6).
#[inline(always)]
fn ethernet<'a>(data: &'a [u8], link: &mut LinkInfo) -> Option<(u16, &'a [u8])> {
    let Some(header) = data.get(..14) else {
        // Cut inside the header: the MACs as far as the bytes go.
        link.dst_mac = mac(data, 0);
        link.src_mac = mac(data, 6);
        return None;
    };
    let [d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5, t0, t1]: [u8; 14] =
        header.try_into().ok()?;
    let mut ethertype = u16::from_be_bytes([t0, t1]);
    let mut at = 14;
    let mut vlan = None;
    let mut tags = 0;
    let l3 = loop {
        let tagged = matches!(
            ethertype,
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
        );
        if !tagged || tags == MAX_VLAN_TAGS {
            break data.get(at..).map(|rest| (ethertype, rest));
        }
        let Some(tci) = be16(data, at) else {
            break None;
        };
        vlan = vlan.or(Some(tci & 0x0fff));
        let Some(next) = be16(data, at + 2) else {
            break None;
        };
        ethertype = next;
        at += 4;
        tags += 1;
    };
    // The link part in one store: built field by field in place, it was read back wider than
    // it was written (a store-forwarding stall) when the decoded frame was moved on.
    *link = LinkInfo {
        vlan,
        src_mac: Some([s0, s1, s2, s3, s4, s5]),
        dst_mac: Some([d0, d1, d2, d3, d4, d5]),
        ifindex: None,
        sll_packet_type: None,
    };
    l3
}

/// Linux cooked capture v1 (LINKTYPE_LINUX_SLL): packet type, ARPHRD, address length, 8-byte
/// address, protocol. For Ethernet-like devices the address is the sender's MAC.
#[inline(never)]
fn sll<'a>(data: &'a [u8], link: &mut LinkInfo) -> Option<(u16, &'a [u8])> {
    let packet_type = be16(data, 0)?;
    let addr_len = be16(data, 4)?;
    link.sll_packet_type = Some(packet_type.min(255) as u8);
    if addr_len == 6 {
        link.src_mac = Some(mac(data, 6)?);
    }
    let protocol = be16(data, 14)?;
    Some((protocol, data.get(16..)?))
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol, reserved, interface index, ARPHRD,
/// packet type, address length, 8-byte address.
#[inline(never)]
fn sll2<'a>(data: &'a [u8], link: &mut LinkInfo) -> Option<(u16, &'a [u8])> {
    let protocol = be16(data, 0)?;
    link.ifindex = Some(be32(data, 4)?);
    link.sll_packet_type = Some(*data.get(10)?);
    if *data.get(11)? == 6 {
        link.src_mac = Some(mac(data, 12)?);
    }
    Some((protocol, data.get(20..)?))
}

/// BSD loopback (DLT_NULL: family in the writer's byte order; DLT_LOOP: big-endian).
#[inline(never)]
fn null_loopback(data: &[u8]) -> Option<(u16, &[u8])> {
    let raw: [u8; 4] = data.get(..4)?.try_into().ok()?;
    let le = u32::from_le_bytes(raw);
    let be = u32::from_be_bytes(raw);
    // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
    // 30 (macOS). Whichever byte order gives a small value is the writer's.
    let family = if le < 256 { le } else { be };
    let ethertype = match family {
        2 => ETHERTYPE_IPV4,
        10 | 24 | 28 | 30 => ETHERTYPE_IPV6,
        _ => 0,
    };
    Some((ethertype, data.get(4..)?))
}

fn raw_ip(data: &[u8]) -> Option<(u16, &[u8])> {
    match data.first()? >> 4 {
        4 => Some((ETHERTYPE_IPV4, data)),
        6 => Some((ETHERTYPE_IPV6, data)),
        _ => None,
    }
}

// `link` by reference, copied into the result only once the IP header is read: taken by value,
// it was copied as soon as it was built, 16 bytes at a time from the byte-wide stores that had
// just built it (a store-forwarding stall: a fifth of the reader thread's time on Ethernet).
#[inline(always)]
fn ip<'a>(ethertype: u16, data: &'a [u8], link: &LinkInfo) -> Decoded<'a> {
    if ethertype == ETHERTYPE_IPV4 {
        if let Some((src, dst, transport)) = ipv4_fast(data) {
            // Built here, in place: see `decode`.
            return Decoded::Flow {
                link: *link,
                src,
                dst,
                transport,
                fragment: false,
            };
        }
    }
    ip_etherparse(ethertype, data, *link)
}

/// The common case, read directly (slicing it with etherparse costs several times as much):
/// an IPv4 header without options, not fragmented, not cut by the snaplen, carrying a complete
/// UDP header whose length matches the IP payload, or a complete TCP header. Anything else
/// returns None and goes through etherparse, so the result is always the one etherparse gives
/// (a property test checks that).
#[inline(always)]
fn ipv4_fast(data: &[u8]) -> Option<(IpAddr, IpAddr, TransportLayer<'_>)> {
    let h: &[u8; 20] = data.get(..20)?.try_into().ok()?;
    if h[0] != 0x45 {
        return None;
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    let frag = u16::from_be_bytes([h[6], h[7]]) & 0x3fff;
    if total < 20 || total > data.len() || frag != 0 {
        return None;
    }
    let protocol = h[9];
    // RFC 2474 §3: the DS field is the 6 high bits of the TOS octet.
    let dscp = h[1] >> 2;
    let ip_id = u16::from_be_bytes([h[4], h[5]]);
    let l4 = data.get(20..total)?;
    let transport = match protocol {
        IPPROTO_UDP => {
            let u: &[u8; 8] = l4.get(..8)?.try_into().ok()?;
            if usize::from(u16::from_be_bytes([u[4], u[5]])) != l4.len() {
                return None;
            }
            TransportLayer {
                protocol,
                src_port: u16::from_be_bytes([u[0], u[1]]),
                dst_port: u16::from_be_bytes([u[2], u[3]]),
                tcp: None,
                dscp,
                ip_id,
                checksum: u16::from_be_bytes([u[6], u[7]]),
                payload: l4.get(8..)?,
            }
        }
        IPPROTO_TCP => {
            let t: &[u8; 20] = l4.get(..20)?.try_into().ok()?;
            let header_len = usize::from(t[12] >> 4) * 4;
            if header_len < 20 {
                return None;
            }
            TransportLayer {
                protocol,
                src_port: u16::from_be_bytes([t[0], t[1]]),
                dst_port: u16::from_be_bytes([t[2], t[3]]),
                tcp: Some(TcpInfo {
                    seq: u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
                    // FIN, SYN, RST, PSH, ACK are bits 0..=4 of byte 13 (RFC 9293 §3.1),
                    // the same bits as `tcp_flag`.
                    flags: t[13] & 0x1f,
                }),
                dscp,
                ip_id,
                checksum: u16::from_be_bytes([t[16], t[17]]),
                payload: l4.get(header_len..)?,
            }
        }
        _ => return None,
    };
    Some((
        IpAddr::V4(std::net::Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        IpAddr::V4(std::net::Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        transport,
    ))
}

#[inline(never)]
fn ip_etherparse(ethertype: u16, data: &[u8], link: LinkInfo) -> Decoded<'_> {
    let sliced = LaxSlicedPacket::from_ether_type(EtherType(ethertype), data);
    let malformed = |layer| Decoded::Malformed { layer, link };
    let Some(net) = sliced.net else {
        return malformed(Layer::Ip);
    };
    let (src, dst, payload, first_fragment, (dscp, ip_id)) = match &net {
        LaxNetSlice::Ipv4(v4) => {
            let h = v4.header();
            let first = h.fragments_offset().value() == 0;
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                v4.payload(),
                first,
                (h.dcp().value(), h.identification()),
            )
        }
        LaxNetSlice::Ipv6(v6) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                v6.payload(),
                ipv6_first_fragment(v6.extensions()),
                // The Traffic Class straddles bytes 0 and 1 (RFC 8200 §3); DSCP is its 6 high
                // bits (RFC 2474 §3). IPv6 has no Identification outside fragments.
                (h.traffic_class() >> 2, 0),
            )
        }
        LaxNetSlice::Arp(_) => return Decoded::NotIp { link, ethertype },
    };
    let protocol = payload.ip_number.0;
    if protocol != IPPROTO_TCP && protocol != IPPROTO_UDP {
        // The lax parse stopped inside the IPv6 extension headers (or an IPsec AH): the header
        // chain itself is broken, not merely another protocol.
        if let Some((_, layer)) = &sliced.stop_err {
            use etherparse::err::Layer as L;
            if matches!(
                layer,
                L::Ipv6ExtHeader
                    | L::Ipv6HopByHopHeader
                    | L::Ipv6DestOptionsHeader
                    | L::Ipv6RouteHeader
                    | L::Ipv6FragHeader
                    | L::IpAuthHeader
            ) {
                return malformed(Layer::Ip);
            }
        }
        return if payload.fragmented && !first_fragment {
            Decoded::LaterFragment { link }
        } else {
            Decoded::OtherIp { link }
        };
    }
    if payload.fragmented && !first_fragment {
        return Decoded::LaterFragment { link };
    }
    let transport = match &sliced.transport {
        Some(TransportSlice::Udp(udp)) => TransportLayer {
            protocol,
            src_port: udp.source_port(),
            dst_port: udp.destination_port(),
            tcp: None,
            dscp,
            ip_id,
            checksum: udp.checksum(),
            payload: udp.payload(),
        },
        Some(TransportSlice::Tcp(tcp)) => TransportLayer {
            protocol,
            src_port: tcp.source_port(),
            dst_port: tcp.destination_port(),
            tcp: Some(TcpInfo {
                seq: tcp.sequence_number(),
                flags: tcp_flags(tcp),
            }),
            dscp,
            ip_id,
            checksum: tcp.checksum(),
            payload: tcp.payload(),
        },
        // etherparse does not slice the transport of a fragmented datagram, nor a transport
        // header cut by the snaplen: take the ports (and TCP seq/flags) as far as bytes go.
        _ => match fallback_transport(protocol, (dscp, ip_id), payload.payload, payload.fragmented)
        {
            Some(t) => t,
            None => return malformed(Layer::Transport),
        },
    };
    Decoded::Flow {
        link,
        src,
        dst,
        transport,
        fragment: payload.fragmented,
    }
}

/// Whether the datagram is not a later fragment: false when the last IPv6 Fragment header of the
/// extension chain has a non-zero offset. The chain is walked here, with bounds checks, because
/// etherparse 0.21's `Ipv6ExtensionSliceIter` reads past the end of the slice (unchecked) when a
/// lax parse stopped inside the chain, e.g. on a Hop-by-Hop header that is not the first one.
fn ipv6_first_fragment(exts: &etherparse::Ipv6ExtensionsSlice<'_>) -> bool {
    const HOP_BY_HOP: u8 = 0;
    const ROUTE: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTIONS: u8 = 60;
    let mut first = true;
    let mut next = exts.first_header().map(|n| n.0);
    let mut rest = exts.slice();
    while let Some(header) = next {
        let len = match header {
            HOP_BY_HOP | ROUTE | DEST_OPTIONS => rest.get(1).map(|&l| (usize::from(l) + 1) * 8),
            FRAGMENT => Some(8),
            AUTH => rest.get(1).map(|&l| (usize::from(l) + 2) * 4),
            _ => None,
        };
        let Some(len) = len else { break };
        if header == FRAGMENT {
            if let Some(off) = be16(rest, 2) {
                first = off >> 3 == 0;
            }
        }
        next = rest.first().copied();
        match rest.get(len..) {
            Some(r) => rest = r,
            None => break,
        }
    }
    first
}

fn tcp_flags(tcp: &etherparse::TcpSlice<'_>) -> u8 {
    let mut f = 0;
    if tcp.fin() {
        f |= tcp_flag::FIN;
    }
    if tcp.syn() {
        f |= tcp_flag::SYN;
    }
    if tcp.rst() {
        f |= tcp_flag::RST;
    }
    if tcp.psh() {
        f |= tcp_flag::PSH;
    }
    if tcp.ack() {
        f |= tcp_flag::ACK;
    }
    f
}

/// Ports from the first bytes of a transport header that etherparse did not slice. A TCP header
/// whose data offset is below 5 words (RFC 9293 §3.1) is malformed.
fn fallback_transport(
    protocol: u8,
    (dscp, ip_id): (u8, u16),
    data: &[u8],
    fragmented: bool,
) -> Option<TransportLayer<'_>> {
    let src_port = be16(data, 0)?;
    let dst_port = be16(data, 2)?;
    if protocol == IPPROTO_UDP {
        // A first fragment: the UDP payload continues in later fragments.
        return Some(TransportLayer {
            protocol,
            src_port,
            dst_port,
            tcp: None,
            dscp,
            ip_id,
            checksum: be16(data, 6).unwrap_or(0),
            payload: data.get(8..).unwrap_or_default(),
        });
    }
    let tcp = match (be32(data, 4), data.get(12), data.get(13)) {
        (Some(seq), Some(&off), Some(&flags)) => {
            if off >> 4 < 5 && !fragmented {
                return None;
            }
            Some(TcpInfo {
                seq,
                flags: flags & 0x1f,
            })
        }
        _ => None,
    };
    Some(TransportLayer {
        protocol,
        src_port,
        dst_port,
        tcp,
        dscp,
        ip_id,
        checksum: be16(data, 16).unwrap_or(0),
        payload: &[],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// IPv4/UDP 10.0.0.1:5000 -> 10.0.0.2:3478 with a 4-byte payload.
    const IPV4_UDP: [u8; 32] = [
        0x45, 0x00, 0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2, 0x13, 0x88, 0x0d, 0x96, 0x00, 0x0c, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
    ];

    fn flow(d: Decoded<'_>) -> (LinkInfo, IpAddr, IpAddr, TransportLayer<'_>) {
        match d {
            Decoded::Flow {
                link,
                src,
                dst,
                transport,
                ..
            } => (link, src, dst, transport),
            other => panic!("not a flow: {other:?}"),
        }
    }

    /// Ethernet as it was read field by field before `ethernet` read the header in one piece.
    fn ethernet_by_fields<'a>(data: &'a [u8], link: &mut LinkInfo) -> Option<(u16, &'a [u8])> {
        link.dst_mac = Some(mac(data, 0)?);
        link.src_mac = Some(mac(data, 6)?);
        let mut ethertype = be16(data, 12)?;
        let mut at = 14;
        let mut tags = 0;
        while matches!(
            ethertype,
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
        ) && tags < MAX_VLAN_TAGS
        {
            let tci = be16(data, at)?;
            if link.vlan.is_none() {
                link.vlan = Some(tci & 0x0fff);
            }
            ethertype = be16(data, at + 2)?;
            at += 4;
            tags += 1;
        }
        Some((ethertype, data.get(at..)?))
    }

    proptest::proptest! {
        /// Any bytes, and headers with up to 5 VLAN tags cut anywhere: the same link info,
        /// ethertype and rest as the field-by-field reading.
        #[test]
        fn ethernet_same_as_field_by_field(
            tags in proptest::collection::vec(
                (proptest::sample::select(vec![0x8100u16, 0x88a8, 0x9100, 0x0800, 0x86dd]),
                 proptest::num::u16::ANY), 0..6),
            head in proptest::collection::vec(proptest::num::u8::ANY, 12),
            first in proptest::sample::select(vec![0x8100u16, 0x88a8, 0x0800, 0x0806]),
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..8),
            cut in 0usize..48,
        ) {
            let mut f = head.clone();
            f.extend_from_slice(&first.to_be_bytes());
            for (ethertype, tci) in &tags {
                f.extend_from_slice(&tci.to_be_bytes());
                f.extend_from_slice(&ethertype.to_be_bytes());
            }
            f.extend_from_slice(&tail);
            f.truncate(cut);
            let (mut a, mut b) = (LinkInfo::default(), LinkInfo::default());
            let ra = ethernet(&f, &mut a);
            let rb = ethernet_by_fields(&f, &mut b);
            proptest::prop_assert_eq!(ra, rb);
            proptest::prop_assert_eq!(a, b);
        }

        /// The direct IPv4 path gives exactly what etherparse gives, on valid packets and on
        /// any corruption of them.
        #[test]
        fn ipv4_fast_path_agrees_with_etherparse(
            tcp in proptest::bool::ANY,
            tos in proptest::num::u8::ANY,
            payload in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            edits in proptest::collection::vec((0usize..80, proptest::num::u8::ANY), 0..4),
            cut in 0usize..100,
        ) {
            let mut p = vec![0x45, tos, 0, 0, 0, 1, 0x40, 0, 64, if tcp { 6 } else { 17 }, 0, 0,
                10, 0, 0, 1, 52, 112, 0, 1];
            if tcp {
                p.extend_from_slice(&[0xc3, 0x50, 1, 187, 0, 0, 0, 7, 0, 0, 0, 0, 0x50, 0x12,
                    0xff, 0xff, 0, 0, 0, 0]);
            } else {
                let ul = (8 + payload.len()) as u16;
                p.extend_from_slice(&[0xc3, 0x50, 0x0d, 0x96]);
                p.extend_from_slice(&ul.to_be_bytes());
                p.extend_from_slice(&[0, 0]);
            }
            p.extend_from_slice(&payload);
            let tl = p.len() as u16;
            p[2..4].copy_from_slice(&tl.to_be_bytes());
            for (at, v) in edits {
                if let Some(b) = p.get_mut(at) {
                    *b = v;
                }
            }
            p.truncate(p.len().saturating_sub(cut % 8 * (cut / 50)));
            let link = LinkInfo::default();
            let slow = ip_etherparse(ETHERTYPE_IPV4, &p, link);
            if let Some((src, dst, transport)) = ipv4_fast(&p) {
                let fast = Decoded::Flow { link, src, dst, transport, fragment: false };
                proptest::prop_assert_eq!(fast, slow);
            }
            proptest::prop_assert_eq!(ip(ETHERTYPE_IPV4, &p, &link), slow);
        }
    }

    #[test]
    fn raw_ipv4_udp() {
        let (_, src, dst, t) = flow(decode(linktype::RAW, &IPV4_UDP));
        assert_eq!(src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(dst, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
        assert_eq!((t.protocol, t.src_port, t.dst_port), (17, 5000, 3478));
        assert_eq!(t.payload, &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn ethernet_qinq_keeps_outer_vlan_and_macs() {
        let mut f = vec![
            2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00,
        ];
        f.extend_from_slice(&[0x00, 0xc8, 0x08, 0x00]);
        f.extend_from_slice(&IPV4_UDP);
        let (link, _, _, t) = flow(decode(linktype::ETHERNET, &f));
        assert_eq!(link.vlan, Some(100));
        assert_eq!(link.dst_mac, Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(link.src_mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(t.dst_port, 3478);
    }

    #[test]
    fn sll2_keeps_ifindex_and_packet_type() {
        let mut f = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0x00, 0x01, 4, 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 9, 0, 0]);
        f.extend_from_slice(&IPV4_UDP);
        let (link, _, _, t) = flow(decode(linktype::LINUX_SLL2, &f));
        assert_eq!(link.ifindex, Some(3));
        assert_eq!(link.sll_packet_type, Some(4));
        assert_eq!(link.src_mac, Some([2, 0, 0, 0, 0, 9]));
        assert_eq!(t.src_port, 5000);
    }

    #[test]
    fn sll_v1() {
        let mut f = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 7, 0, 0, 0x08, 0x00];
        f.extend_from_slice(&IPV4_UDP);
        let (link, _, _, _) = flow(decode(linktype::LINUX_SLL, &f));
        assert_eq!(link.sll_packet_type, Some(0));
        assert_eq!(link.src_mac, Some([2, 0, 0, 0, 0, 7]));
    }

    #[test]
    fn null_loopback_both_byte_orders() {
        for family in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = family.to_vec();
            f.extend_from_slice(&IPV4_UDP);
            let (_, _, _, t) = flow(decode(linktype::NULL, &f));
            assert_eq!(t.dst_port, 3478);
        }
    }

    #[test]
    fn later_fragment_makes_no_flow_first_fragment_does() {
        let mut later = IPV4_UDP;
        later[6] = 0x00;
        later[7] = 0x10; // offset 16 * 8 bytes
        assert!(matches!(
            decode(linktype::RAW, &later),
            Decoded::LaterFragment { .. }
        ));
        let mut first = IPV4_UDP;
        first[6] = 0x20; // more fragments, offset 0
        let d = decode(linktype::RAW, &first);
        assert!(matches!(d, Decoded::Flow { fragment: true, .. }), "{d:?}");
        let (_, _, _, t) = flow(d);
        assert_eq!(t.dst_port, 3478);
    }

    #[test]
    fn snaplen_cut_udp_still_gives_ports() {
        let cut = &IPV4_UDP[..24];
        let (_, _, _, t) = flow(decode(linktype::RAW, cut));
        assert_eq!((t.src_port, t.dst_port), (5000, 3478));
    }

    #[test]
    fn tcp_data_offset_below_five_is_malformed() {
        let mut p = vec![
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p.extend_from_slice(&[
            0x01, 0xbb, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x40, 0x02, 0xff, 0xff,
        ]);
        p.extend_from_slice(&[0, 0, 0, 0]);
        assert!(matches!(
            decode(linktype::RAW, &p),
            Decoded::Malformed {
                layer: Layer::Transport,
                ..
            }
        ));
    }

    #[test]
    fn bad_ipv4_header_length_is_malformed_ip() {
        let mut p = IPV4_UDP;
        p[0] = 0x43; // IHL 3 < 5
        assert!(matches!(
            decode(linktype::RAW, &p),
            Decoded::Malformed {
                layer: Layer::Ip,
                ..
            }
        ));
    }

    /// IPv6 2001:db8::1 -> 2001:db8::2 with `exts` (next header `first`) then UDP 5000 -> 3478.
    fn ipv6_with(first: u8, exts: &[u8]) -> Vec<u8> {
        let mut body = exts.to_vec();
        body.extend_from_slice(&[0x13, 0x88, 0x0d, 0x96, 0, 8, 0, 0]);
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(body.len() as u16).to_be_bytes());
        p.extend_from_slice(&[first, 64]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        p.extend_from_slice(&body);
        p
    }

    #[test]
    fn ipv6_hop_by_hop_after_another_extension_is_malformed_not_out_of_bounds() {
        // Regression: Hop-by-Hop -> Destination Options -> Hop-by-Hop made etherparse's
        // extension iterator read past its slice (abort in debug builds).
        let p = ipv6_with(
            0,
            &[
                60, 0, 1, 4, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0,
            ],
        );
        assert!(matches!(
            decode(linktype::RAW, &p),
            Decoded::Malformed {
                layer: Layer::Ip,
                ..
            }
        ));
        // The same with a Destination Options header cut short after a complete one.
        let p = ipv6_with(60, &[60, 0, 1, 4, 0, 0, 0, 0, 17, 200]);
        assert!(matches!(
            decode(linktype::RAW, &p),
            Decoded::Malformed {
                layer: Layer::Ip,
                ..
            }
        ));
    }

    #[test]
    fn ipv6_fragment_header_offset_decides_later_fragment() {
        // Destination Options, then Fragment (offset 0, M set), then UDP: a first fragment.
        let first = ipv6_with(
            60,
            &[44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0x00, 0x01, 0, 0, 0, 7],
        );
        let d = decode(linktype::RAW, &first);
        assert!(matches!(d, Decoded::Flow { fragment: true, .. }), "{d:?}");
        // Offset 185 * 8: a later fragment, no ports.
        let later = ipv6_with(
            60,
            &[44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0x05, 0xc8, 0, 0, 0, 7],
        );
        assert!(matches!(
            decode(linktype::RAW, &later),
            Decoded::LaterFragment { .. }
        ));
    }

    #[test]
    fn arp_is_not_ip() {
        let mut f = vec![0xff; 12];
        f.extend_from_slice(&[0x08, 0x06]);
        f.extend_from_slice(&[0; 28]);
        assert!(matches!(
            decode(linktype::ETHERNET, &f),
            Decoded::NotIp { .. }
        ));
    }

    /// Ethernet header 02:..:02 <- 02:..:01 up to (not including) the EtherType.
    const ETH_MACS: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];

    /// IPv6/UDP 2001:db8::1:5000 -> 2001:db8::2:3478 with a 4-byte payload.
    const IPV6_UDP: [u8; 52] = [
        0x60, 0, 0, 0, 0, 12, 17, 64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0x13, 0x88, 0x0d, 0x96, 0, 12,
        0, 0, 0xde, 0xad, 0xbe, 0xef,
    ];

    /// An Ethernet frame: MACs, `tags` (TPID, TCI pairs), `ethertype`, `payload`.
    fn eth(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = ETH_MACS.to_vec();
        for (tpid, tci) in tags {
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&tci.to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    /// A PPPoE session payload (RFC 2516 §4: 0x11, code 0, session 0x0042, length) of PPP
    /// protocol `protocol` carrying `inner`.
    fn pppoe(protocol: u16, inner: &[u8]) -> Vec<u8> {
        let mut p = vec![0x11, 0x00, 0x00, 0x42];
        p.extend_from_slice(&(inner.len() as u16 + 2).to_be_bytes());
        p.extend_from_slice(&protocol.to_be_bytes());
        p.extend_from_slice(inner);
        p
    }

    /// An MPLS label stack of `labels` (RFC 3032 §2.1: label << 12, S on the last, TTL 64)
    /// above `inner`.
    fn mpls_stack(labels: &[u32], inner: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        for (i, label) in labels.iter().enumerate() {
            let s = u32::from(i + 1 == labels.len());
            p.extend_from_slice(&(label << 12 | s << 8 | 64).to_be_bytes());
        }
        p.extend_from_slice(inner);
        p
    }

    fn malformed_link(d: Decoded<'_>) -> bool {
        matches!(
            d,
            Decoded::Malformed {
                layer: Layer::Link,
                ..
            }
        )
    }

    #[test]
    fn pppoe_ipv4_udp() {
        // Byte for byte: Ethernet, PPPoE session 0x0042 of length 34, PPP 0x0021, IPv4/UDP.
        let mut f = vec![
            2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0x64, 0x11, 0x00, 0x00, 0x42, 0x00, 0x22,
            0x00, 0x21,
        ];
        f.extend_from_slice(&IPV4_UDP);
        f.extend_from_slice(&[0; 6]); // Ethernet padding after the PPPoE payload
        let (link, src, _, t) = flow(decode(linktype::ETHERNET, &f));
        assert_eq!(link.src_mac, Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!((t.protocol, t.src_port, t.dst_port), (17, 5000, 3478));
        assert_eq!(t.payload, &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn pppoe_ipv6_udp() {
        let f = eth(&[], 0x8864, &pppoe(0x0057, &IPV6_UDP));
        let (_, src, dst, t) = flow(decode(linktype::ETHERNET, &f));
        assert_eq!(src, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(dst, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert_eq!((t.src_port, t.dst_port), (5000, 3478));
        assert_eq!(t.payload, &[0xde, 0xad, 0xbe, 0xef]);
    }

    #[test]
    fn pppoe_control_and_discovery_are_not_ip() {
        // LCP Echo-Request (RFC 1661 §5.8): a known control protocol.
        let lcp = eth(&[], 0x8864, &pppoe(0xc021, &[9, 1, 0, 8, 0, 0, 0, 0]));
        assert_eq!(
            decode(linktype::ETHERNET, &lcp),
            Decoded::NotIp {
                link: ethernet_link(None),
                ethertype: NOT_IP_CONTROL
            }
        );
        // IPX over PPP (0x002b, RFC 1552): a network protocol not decoded here.
        let ipx = eth(&[], 0x8864, &pppoe(0x002b, &[0xff, 0xff, 0, 30]));
        assert!(matches!(
            decode(linktype::ETHERNET, &ipx),
            Decoded::NotIp {
                ethertype: ETHERTYPE_PPPOE_SESSION,
                ..
            }
        ));
        // PADI (RFC 2516 §5.1): the discovery stage.
        let padi = eth(&[], 0x8863, &[0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0]);
        assert!(matches!(
            decode(linktype::ETHERNET, &padi),
            Decoded::NotIp {
                ethertype: ETHERTYPE_PPPOE_DISCOVERY,
                ..
            }
        ));
        for ethertype in [
            NOT_IP_CONTROL,
            ETHERTYPE_PPPOE_DISCOVERY,
            0x0806,
            0x88cc,
            0x0026,
        ] {
            assert!(known_not_ip(ethertype), "{ethertype:#06x}");
        }
        for ethertype in [ETHERTYPE_PPPOE_SESSION, ETHERTYPE_MPLS, 0x88b5, 0x8100] {
            assert!(!known_not_ip(ethertype), "{ethertype:#06x}");
        }
    }

    fn ethernet_link(vlan: Option<u16>) -> LinkInfo {
        LinkInfo {
            vlan,
            src_mac: Some([2, 0, 0, 0, 0, 1]),
            dst_mac: Some([2, 0, 0, 0, 0, 2]),
            ..LinkInfo::default()
        }
    }

    #[test]
    fn pppoe_in_qinq() {
        let f = eth(
            &[(0x88a8, 100), (0x8100, 200)],
            0x8864,
            &pppoe(0x0021, &IPV4_UDP),
        );
        let (link, _, _, t) = flow(decode(linktype::ETHERNET, &f));
        assert_eq!(link, ethernet_link(Some(100)));
        assert_eq!(t.dst_port, 3478);
    }

    #[test]
    fn pppoe_bad_or_truncated_is_malformed_link() {
        let good = eth(&[], 0x8864, &pppoe(0x0021, &IPV4_UDP));
        assert!(matches!(
            decode(linktype::ETHERNET, &good),
            Decoded::Flow { .. }
        ));
        // Cut anywhere inside the PPPoE payload: its LENGTH runs past the frame.
        for cut in 14..good.len() {
            let d = decode(linktype::ETHERNET, &good[..cut]);
            assert!(malformed_link(d), "cut at {cut}: {d:?}");
        }
        // A wrong version/type, a discovery code in a session frame, a LENGTH of 1.
        for (at, v) in [(14, 0x12), (15, 0x07), (18, 0xff), (19, 1)] {
            let mut f = good.clone();
            f[at] = v;
            let d = decode(linktype::ETHERNET, &f);
            assert!(malformed_link(d), "byte {at} = {v}: {d:?}");
        }
    }

    #[test]
    fn mpls_one_and_three_labels() {
        let one = eth(&[], 0x8847, &mpls_stack(&[16], &IPV4_UDP));
        let (link, src, _, t) = flow(decode(linktype::ETHERNET, &one));
        assert_eq!(link, ethernet_link(None));
        assert_eq!(src, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!((t.src_port, t.dst_port), (5000, 3478));
        let three_v6 = eth(&[], 0x8847, &mpls_stack(&[1000, 2000, 2], &IPV6_UDP));
        let (_, src, _, t) = flow(decode(linktype::ETHERNET, &three_v6));
        assert_eq!(src, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(t.payload, &[0xde, 0xad, 0xbe, 0xef]);
        let three_v4 = eth(&[], 0x8848, &mpls_stack(&[1000, 2000, 3000], &IPV4_UDP));
        assert_eq!(flow(decode(linktype::ETHERNET, &three_v4)).3.dst_port, 3478);
    }

    #[test]
    fn mpls_in_vlan() {
        let f = eth(&[(0x8100, 7)], 0x8847, &mpls_stack(&[16, 17], &IPV4_UDP));
        let (link, _, _, t) = flow(decode(linktype::ETHERNET, &f));
        assert_eq!(link.vlan, Some(7));
        assert_eq!(t.dst_port, 3478);
    }

    #[test]
    fn mpls_non_ip_payload_is_not_ip_under_its_ethertype() {
        // An Ethernet pseudowire with its control word (RFC 4385 §3: first nibble 0).
        let mut pw = vec![0, 0, 0, 1];
        pw.extend_from_slice(&eth(&[], 0x0800, &IPV4_UDP));
        let f = eth(&[], 0x8847, &mpls_stack(&[100, 200], &pw));
        assert!(matches!(
            decode(linktype::ETHERNET, &f),
            Decoded::NotIp {
                ethertype: ETHERTYPE_MPLS,
                ..
            }
        ));
    }

    #[test]
    fn mpls_truncated_or_too_deep_is_malformed_link() {
        let good = eth(&[], 0x8847, &mpls_stack(&[1, 2, 3], &IPV4_UDP));
        // Cut inside the stack, or right below it (nothing to tell IPv4 from IPv6).
        for cut in 14..=26 {
            let d = decode(linktype::ETHERNET, &good[..cut]);
            assert!(malformed_link(d), "cut at {cut}: {d:?}");
        }
        // No bottom of stack at all.
        let mut no_bottom = good.clone();
        no_bottom[24] &= !1;
        let d = decode(linktype::ETHERNET, &no_bottom);
        assert!(!matches!(d, Decoded::Flow { .. }), "{d:?}");
        let labels: Vec<u32> = (1..=16).collect();
        let sixteen = eth(&[], 0x8847, &mpls_stack(&labels, &IPV4_UDP));
        assert!(matches!(
            decode(linktype::ETHERNET, &sixteen),
            Decoded::Flow { .. }
        ));
        let labels: Vec<u32> = (1..=17).collect();
        let seventeen = eth(&[], 0x8847, &mpls_stack(&labels, &IPV4_UDP));
        assert!(malformed_link(decode(linktype::ETHERNET, &seventeen)));
    }

    proptest::proptest! {
        /// PPPoE and MPLS headers (under up to two VLAN tags), any bytes below them, cut and
        /// corrupted anywhere: decoding never panics, and a flow's payload lies in the frame.
        #[test]
        fn pppoe_and_mpls_prefixes_never_panic(
            tags in proptest::collection::vec(
                (proptest::sample::select(vec![0x8100u16, 0x88a8]), proptest::num::u16::ANY),
                0..3),
            kind in 0u8..4,
            labels in proptest::collection::vec(proptest::num::u32::ANY, 0..20),
            protocol in proptest::sample::select(vec![0x0021u16, 0x0057, 0xc021, 0x8021, 0x002b]),
            v6 in proptest::bool::ANY,
            edits in proptest::collection::vec((0usize..120, proptest::num::u8::ANY), 0..4),
            cut in 0usize..140,
        ) {
            let inner: &[u8] = if v6 { &IPV6_UDP } else { &IPV4_UDP };
            let (ethertype, payload) = match kind {
                0 => (0x8864, pppoe(protocol, inner)),
                1 => (0x8863, pppoe(protocol, inner)),
                2 => (0x8847, mpls_stack(&labels, inner)),
                _ => {
                    // Raw stack entries: any S bits, any TTLs.
                    let mut p: Vec<u8> = labels.iter().flat_map(|l| l.to_be_bytes()).collect();
                    p.extend_from_slice(inner);
                    (0x8848, p)
                }
            };
            let mut f = eth(&tags, ethertype, &payload);
            for (at, v) in edits {
                if let Some(b) = f.get_mut(at) {
                    *b = v;
                }
            }
            f.truncate(cut);
            for lt in [linktype::ETHERNET, linktype::LINUX_SLL2] {
                if let Decoded::Flow { transport, .. } = decode(lt, &f) {
                    let range = f.as_ptr_range();
                    let p = transport.payload.as_ptr_range();
                    proptest::prop_assert!(
                        transport.payload.is_empty()
                            || (range.start <= p.start && p.end <= range.end)
                    );
                }
            }
        }
    }

    #[test]
    fn linktype_names_are_the_reports() {
        let named = [
            (0, "null"),
            (1, "ethernet"),
            (12, "raw"),
            (14, "raw"),
            (101, "raw"),
            (113, "sll"),
            (228, "ipv4"),
            (229, "ipv6"),
            (276, "sll2"),
        ];
        for (l, name) in named {
            assert_eq!(linktype::name(l), Some(name), "{l}");
        }
        for l in [linktype::LOOP, 2, 105, 127, 147, 0x0fff_ffff] {
            assert_eq!(linktype::name(l), None, "{l}");
        }
    }

    #[test]
    fn unknown_linktype() {
        assert_eq!(decode(147, &IPV4_UDP), Decoded::UnsupportedLinktype);
    }

    /// `IPV4_UDP` with its TOS octet set.
    fn ipv4_udp_tos(tos: u8) -> [u8; 32] {
        let mut p = IPV4_UDP;
        p[1] = tos;
        p
    }

    /// `IPV6_UDP` with its Traffic Class set: its high nibble in byte 0's low nibble, its low
    /// nibble in byte 1's high nibble (RFC 8200 §3); the flow label's bits kept.
    fn ipv6_udp_tc(tc: u8) -> [u8; 52] {
        let mut p = IPV6_UDP;
        p[0] = 0x60 | tc >> 4;
        p[1] = (tc << 4) | (p[1] & 0x0f);
        p
    }

    fn dscp_of(d: Decoded<'_>) -> u8 {
        flow(d).3.dscp
    }

    #[test]
    fn ipv4_dscp_is_the_tos_high_six_bits() {
        // 0xb8: EF (46) with ECN 0; 0xbb: EF with ECN CE; 0x88: AF41 (34); 0x48: AF21 (18).
        for (tos, dscp) in [
            (0x00, 0),
            (0xb8, 46),
            (0xbb, 46),
            (0x88, 34),
            (0x48, 18),
            (0xff, 63),
        ] {
            let p = ipv4_udp_tos(tos);
            assert_eq!(dscp_of(decode(linktype::RAW, &p)), dscp, "TOS {tos:#04x}");
            // The same through etherparse (the fast path leaves fragments to it).
            let mut first_fragment = p;
            first_fragment[6] = 0x20;
            assert!(ipv4_fast(&first_fragment).is_none());
            assert_eq!(
                dscp_of(decode(linktype::RAW, &first_fragment)),
                dscp,
                "TOS {tos:#04x}, first fragment"
            );
        }
        // TCP on the fast path, and TCP cut inside its header (etherparse, then the fallback).
        let mut tcp = vec![
            0x45, 0xb8, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        tcp.extend_from_slice(&[0x01, 0xbb, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02]);
        tcp.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        assert!(ipv4_fast(&tcp).is_some());
        assert_eq!(dscp_of(decode(linktype::RAW, &tcp)), 46);
        let cut = tcp.get(..30).unwrap();
        assert!(ipv4_fast(cut).is_none());
        assert_eq!(dscp_of(decode(linktype::RAW, cut)), 46);
    }

    #[test]
    fn ipv6_dscp_spans_the_nibble_boundary() {
        // Traffic class 0x88: AF41 (34) = 0b100010, split 0b1000 | 0b10.. over bytes 0 and 1.
        let p = ipv6_udp_tc(0x88);
        assert_eq!(p[..2], [0x68, 0x80]);
        assert_eq!(dscp_of(decode(linktype::RAW, &p)), 34);
        for (tc, dscp) in [
            (0x00, 0),
            (0xb8, 46),
            (0xbb, 46),
            (0x48, 18),
            (0x03, 0),
            (0xfc, 63),
        ] {
            assert_eq!(
                dscp_of(decode(linktype::RAW, &ipv6_udp_tc(tc))),
                dscp,
                "traffic class {tc:#04x}"
            );
        }
        // Flow label bits next to the traffic class do not leak into it.
        let mut labelled = ipv6_udp_tc(0x88);
        labelled[1] |= 0x0f;
        labelled[2] = 0xff;
        labelled[3] = 0xff;
        assert_eq!(dscp_of(decode(linktype::RAW, &labelled)), 34);
    }

    #[test]
    fn dscp_is_the_ip_headers_whatever_the_link_layer_says() {
        // 802.1Q PCP 7 and DEI on the tags, MPLS traffic class 7: none of them is the DSCP.
        let v4 = ipv4_udp_tos(0xb8);
        let v6 = ipv6_udp_tc(0x88);
        for (ip, ethertype, dscp) in [(&v4[..], 0x0800u16, 46), (&v6[..], 0x86dd, 34)] {
            let mut frames = vec![
                (linktype::ETHERNET, eth(&[], ethertype, ip)),
                (linktype::ETHERNET, eth(&[(0x8100, 0xf064)], ethertype, ip)),
                (
                    linktype::ETHERNET,
                    eth(&[(0x88a8, 0xe064), (0x8100, 0xf0c8)], ethertype, ip),
                ),
            ];
            let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 7, 0, 0];
            sll.extend_from_slice(&ethertype.to_be_bytes());
            sll.extend_from_slice(ip);
            frames.push((linktype::LINUX_SLL, sll));
            let mut sll2 = ethertype.to_be_bytes().to_vec();
            sll2.extend_from_slice(&[0, 0, 0, 0, 0, 3, 0x00, 0x01, 4, 6, 2, 0, 0, 0, 0, 9, 0, 0]);
            sll2.extend_from_slice(ip);
            frames.push((linktype::LINUX_SLL2, sll2));
            let ppp = if ethertype == 0x0800 { 0x0021 } else { 0x0057 };
            frames.push((
                linktype::ETHERNET,
                eth(&[(0x8100, 0xe00a)], 0x8864, &pppoe(ppp, ip)),
            ));
            let mut stack = mpls_stack(&[16, 17], ip);
            stack[2] |= 0x0e; // traffic class 7 on the top label
            frames.push((linktype::ETHERNET, eth(&[], 0x8847, &stack)));
            frames.push((linktype::RAW, ip.to_vec()));
            for (lt, f) in &frames {
                assert_eq!(dscp_of(decode(*lt, f)), dscp, "linktype {lt}: {f:02x?}");
            }
            // And with an unmarked packet, the tags' priorities still give 0.
            let mut unmarked = ip.to_vec();
            if ethertype == 0x0800 {
                unmarked[1] = 0;
            } else {
                unmarked[0] = 0x60;
                unmarked[1] &= 0x0f;
            }
            let f = eth(&[(0x88a8, 0xe064), (0x8100, 0xf0c8)], ethertype, &unmarked);
            assert_eq!(dscp_of(decode(linktype::ETHERNET, &f)), 0);
        }
    }
}
