//! Capture fixture builder: pcap / pcapng writers, link-layer frames, IP packets, and small
//! TCP / UDP scenarios.
//!
//! Layers compose bottom-up and every function returns plain bytes:
//!
//! ```ignore
//! let ip = ipv4_udp(client, 50000, server, 3478, &payloads::stun_binding_request(TX, None));
//! let frame = ethernet(CLIENT_MAC, ROUTER_MAC, &[Vlan::dot1q(100)], ETHERTYPE_IPV4, &ip);
//! let mut ng = Pcapng::new();
//! let er0 = ng.interface(Iface::ethernet("er0"));
//! ng.packet(er0, 1_000_000_000, &frame);
//! ng.write(dir.path().join("er0.pcapng"));
//! ```
//!
//! Scenario helpers ([`tcp_session`], [`udp_stream`], [`tcp_syn_retries`]) return
//! `Vec<(ts_ns, ip_packet, Dir)>`; [`Pcap::extend`] / [`Pcapng::extend`] push such a list into a
//! writer, wrapping each IP packet in a link-layer frame chosen per direction.
//!
//! Formats: pcap per draft-ietf-opsawg-pcap, pcapng per draft-ietf-opsawg-pcapng. Headers are
//! written by hand (no etherparse here) so the self-test can check them against an independent
//! reader. Timestamps are nanoseconds since the Unix epoch (`i64`, must be >= 0).
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/// LINKTYPE_NULL: BSD loopback, 4-byte address family in the writer's byte order.
pub const LINKTYPE_NULL: u32 = 0;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// LINKTYPE_RAW: raw IPv4 or IPv6, version from the first nibble.
pub const LINKTYPE_RAW: u32 = 101;
/// LINKTYPE_LINUX_SLL: Linux cooked capture v1.
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// LINKTYPE_IPV4: raw IPv4 only.
pub const LINKTYPE_IPV4: u32 = 228;
/// LINKTYPE_IPV6: raw IPv6 only.
pub const LINKTYPE_IPV6: u32 = 229;
/// LINKTYPE_LINUX_SLL2: Linux cooked capture v2 (`tcpdump -i any` on recent libpcap).
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const TPID_8021Q: u16 = 0x8100;
pub const TPID_8021AD: u16 = 0x88a8;
/// PPPoE discovery and session stages (RFC 2516 §5).
pub const ETHERTYPE_PPPOE_DISCOVERY: u16 = 0x8863;
pub const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
/// MPLS unicast and multicast (RFC 3032 §5, RFC 5332 §4).
pub const ETHERTYPE_MPLS: u16 = 0x8847;
pub const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;

/// PPP protocol numbers (RFC 1661 §2): IPv4 (RFC 1332), IPv6 (RFC 5072), LCP.
pub const PPP_IPV4: u16 = 0x0021;
pub const PPP_IPV6: u16 = 0x0057;
pub const PPP_LCP: u16 = 0xc021;

/// BSD loopback address families.
pub const AF_INET: u32 = 2;
/// AF_INET6 on NetBSD / OpenBSD (and what libpcap writes on those).
pub const AF_INET6_BSD: u32 = 24;
/// AF_INET6 on FreeBSD.
pub const AF_INET6_FREEBSD: u32 = 28;
/// AF_INET6 on macOS / Darwin.
pub const AF_INET6_DARWIN: u32 = 30;

/// Linux cooked capture packet types (`sll_pkttype`).
pub const SLL_HOST: u16 = 0;
pub const SLL_BROADCAST: u16 = 1;
pub const SLL_MULTICAST: u16 = 2;
pub const SLL_OTHERHOST: u16 = 3;
pub const SLL_OUTGOING: u16 = 4;

pub const IPPROTO_HOPOPTS: u8 = 0;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const IPPROTO_DSTOPTS: u8 = 60;

/// Default snap length of both writers (what tcpdump / dumpcap use).
pub const DEFAULT_SNAPLEN: u32 = 262_144;

const NS_PER_SEC: i64 = 1_000_000_000;

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Endian {
    big: bool,
}

impl Endian {
    fn u16(self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn u32(self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn i64(self, out: &mut Vec<u8>, v: i64) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
}

fn check_ts(ts_ns: i64) {
    assert!(
        ts_ns >= 0,
        "fixture timestamps must be >= 0 ns, got {ts_ns}"
    );
}

fn pad4(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// RFC 1071 Internet checksum over the concatenation of `parts` (each part may be odd-length
/// only if it is the last one).
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in part.iter() {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

// ---------------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------------

/// A classic pcap file (draft-ietf-opsawg-pcap), built in memory.
///
/// ```ignore
/// let mut p = Pcap::new(LINKTYPE_ETHERNET).nanosecond(true).big_endian(true);
/// p.packet(ts, &frame);
/// p.write(&path);
/// ```
#[derive(Clone, Debug)]
pub struct Pcap {
    linktype: u32,
    nanosecond: bool,
    big_endian: bool,
    snaplen: u32,
    records: Vec<Record>,
}

/// One packet record: timestamp, the bytes written, and the two length fields as written.
#[derive(Clone, Debug)]
struct Record {
    ts_ns: i64,
    data: Vec<u8>,
    caplen: u32,
    origlen: u32,
}

impl Pcap {
    /// Microsecond, little-endian, snaplen 262144.
    pub fn new(linktype: u32) -> Self {
        Pcap {
            linktype,
            nanosecond: false,
            big_endian: false,
            snaplen: DEFAULT_SNAPLEN,
            records: Vec::new(),
        }
    }

    /// Nanosecond timestamps (magic 0xa1b23c4d) instead of microseconds (0xa1b2c3d4).
    pub fn nanosecond(mut self, yes: bool) -> Self {
        self.nanosecond = yes;
        self
    }

    /// Write the whole file big-endian (as a big-endian host would).
    pub fn big_endian(mut self, yes: bool) -> Self {
        self.big_endian = yes;
        self
    }

    /// Snap length in the file header; [`Pcap::packet`] truncates frames to it.
    pub fn snaplen(mut self, snaplen: u32) -> Self {
        self.snaplen = snaplen;
        self
    }

    /// Appends a record: caplen = min(len, snaplen), origlen = len. The timestamp is truncated
    /// to the file's resolution.
    pub fn packet(&mut self, ts_ns: i64, frame: &[u8]) -> &mut Self {
        let caplen = frame.len().min(self.snaplen as usize);
        self.packet_raw(ts_ns, &frame[..caplen], caplen as u32, frame.len() as u32)
    }

    /// Appends a record with explicit caplen / origlen fields; `frame` is written as given, so
    /// caplen may deliberately disagree with the bytes that follow (e.g. a record that claims
    /// more bytes than the file holds, or caplen > origlen).
    pub fn packet_raw(&mut self, ts_ns: i64, frame: &[u8], caplen: u32, origlen: u32) -> &mut Self {
        check_ts(ts_ns);
        self.records.push(Record {
            ts_ns,
            data: frame.to_vec(),
            caplen,
            origlen,
        });
        self
    }

    /// Pushes a scenario (see [`tcp_session`], [`udp_stream`]), wrapping each IP packet with
    /// `frame(dir, ip_packet)`.
    pub fn extend(
        &mut self,
        packets: &[(i64, Vec<u8>, Dir)],
        mut frame: impl FnMut(Dir, &[u8]) -> Vec<u8>,
    ) -> &mut Self {
        for (ts, ip, dir) in packets {
            let f = frame(*dir, ip);
            self.packet(*ts, &f);
        }
        self
    }

    /// Number of records so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The file contents.
    pub fn to_bytes(&self) -> Vec<u8> {
        let e = Endian {
            big: self.big_endian,
        };
        let mut out = Vec::new();
        e.u32(
            &mut out,
            if self.nanosecond {
                0xa1b2_3c4d
            } else {
                0xa1b2_c3d4
            },
        );
        e.u16(&mut out, 2); // version major
        e.u16(&mut out, 4); // version minor
        e.u32(&mut out, 0); // reserved1 (thiszone)
        e.u32(&mut out, 0); // reserved2 (sigfigs)
        e.u32(&mut out, self.snaplen);
        e.u32(&mut out, self.linktype); // FCS bits zero
        for r in &self.records {
            let secs = r.ts_ns / NS_PER_SEC;
            let frac = r.ts_ns % NS_PER_SEC;
            let frac = if self.nanosecond { frac } else { frac / 1000 };
            e.u32(&mut out, secs as u32);
            e.u32(&mut out, frac as u32);
            e.u32(&mut out, r.caplen);
            e.u32(&mut out, r.origlen);
            out.extend_from_slice(&r.data);
        }
        out
    }

    /// Writes [`Pcap::to_bytes`] to `path` (panics on I/O error: this is test code).
    pub fn write(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes())
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

// ---------------------------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------------------------

/// An interface description for [`Pcapng::interface`].
#[derive(Clone, Copy, Debug)]
pub struct Iface<'a> {
    /// `if_name` option (2), omitted when `None`.
    pub name: Option<&'a str>,
    /// `if_description` option (3), omitted when `None`.
    pub description: Option<&'a str>,
    pub linktype: u32,
    /// `if_tsresol` option (9): `None` = option absent = 10^-6; `Some(9)` = ns;
    /// `Some(0x80 | n)` = 2^-n.
    pub tsresol: Option<u8>,
    /// 0 = no limit.
    pub snaplen: u32,
}

impl<'a> Iface<'a> {
    /// An unnamed interface of `linktype`, µs timestamps, snaplen 262144.
    pub fn new(linktype: u32) -> Self {
        Iface {
            name: None,
            description: None,
            linktype,
            tsresol: None,
            snaplen: DEFAULT_SNAPLEN,
        }
    }

    /// A named Ethernet interface with nanosecond timestamps (what dumpcap writes).
    pub fn ethernet(name: &'a str) -> Self {
        Iface {
            name: Some(name),
            tsresol: Some(9),
            ..Iface::new(LINKTYPE_ETHERNET)
        }
    }
}

#[derive(Clone, Debug)]
enum NgBlock {
    Idb {
        linktype: u16,
        snaplen: u32,
        name: Option<String>,
        description: Option<String>,
        tsresol: Option<u8>,
    },
    Epb {
        if_id: u32,
        ts: u64,
        data: Vec<u8>,
        caplen: u32,
        origlen: u32,
    },
    Spb {
        data: Vec<u8>,
        origlen: u32,
    },
    Raw {
        block_type: u32,
        body: Vec<u8>,
    },
}

#[derive(Clone, Debug)]
struct Section {
    big_endian: bool,
    /// (tsresol, snaplen) per interface id.
    ifaces: Vec<(Option<u8>, u32)>,
    blocks: Vec<NgBlock>,
}

impl Section {
    fn new() -> Self {
        Section {
            big_endian: false,
            ifaces: Vec::new(),
            blocks: Vec::new(),
        }
    }
}

/// Units per second for an `if_tsresol` value (absent = 10^6).
pub fn tsresol_units_per_sec(tsresol: Option<u8>) -> u128 {
    let r = tsresol.unwrap_or(6);
    let n = u32::from(r & 0x7f);
    if r & 0x80 != 0 {
        assert!(n <= 64, "if_tsresol 2^-{n} is not supported by the builder");
        1u128 << n
    } else {
        assert!(n <= 19, "if_tsresol 10^-{n} does not fit a u64 timestamp");
        10u128.pow(n)
    }
}

/// Converts nanoseconds to timestamp units of `tsresol` (truncating).
pub fn ns_to_units(ts_ns: i64, tsresol: Option<u8>) -> u64 {
    check_ts(ts_ns);
    (ts_ns as u128 * tsresol_units_per_sec(tsresol) / NS_PER_SEC as u128) as u64
}

/// A pcapng file (draft-ietf-opsawg-pcapng), built in memory: one or more sections, each with
/// its own byte order and interfaces (interface ids restart at 0 in every section).
///
/// ```ignore
/// let mut ng = Pcapng::new();
/// let er0 = ng.interface(Iface::ethernet("er0"));
/// let any = ng.interface(Iface { name: Some("any"), ..Iface::new(LINKTYPE_LINUX_SLL2) });
/// ng.packet(er0, ts, &frame);
/// ng.section().big_endian(true);
/// ```
#[derive(Clone, Debug)]
pub struct Pcapng {
    sections: Vec<Section>,
}

impl Default for Pcapng {
    fn default() -> Self {
        Self::new()
    }
}

impl Pcapng {
    /// A file with one little-endian section (its SHB) and no interfaces yet.
    pub fn new() -> Self {
        Pcapng {
            sections: vec![Section::new()],
        }
    }

    fn cur(&mut self) -> &mut Section {
        self.sections.last_mut().expect("at least one section")
    }

    /// Byte order of the current section (the one started last).
    pub fn big_endian(&mut self, yes: bool) -> &mut Self {
        self.cur().big_endian = yes;
        self
    }

    /// Starts a new section (a new SHB, little-endian unless [`Pcapng::big_endian`] follows);
    /// interface ids restart at 0.
    pub fn section(&mut self) -> &mut Self {
        self.sections.push(Section::new());
        self
    }

    /// Adds an IDB to the current section and returns its interface id.
    pub fn interface(&mut self, iface: Iface<'_>) -> u32 {
        let linktype = u16::try_from(iface.linktype).expect("pcapng linktype is 16 bits");
        let sec = self.cur();
        sec.blocks.push(NgBlock::Idb {
            linktype,
            snaplen: iface.snaplen,
            name: iface.name.map(str::to_owned),
            description: iface.description.map(str::to_owned),
            tsresol: iface.tsresol,
        });
        sec.ifaces.push((iface.tsresol, iface.snaplen));
        (sec.ifaces.len() - 1) as u32
    }

    /// Appends an EPB: timestamp converted to the interface's resolution, caplen =
    /// min(len, interface snaplen), origlen = len. Panics if `if_id` is not an interface of the
    /// current section (use [`Pcapng::packet_raw`] for deliberately dangling ids).
    pub fn packet(&mut self, if_id: u32, ts_ns: i64, frame: &[u8]) -> &mut Self {
        let (_, snaplen) = *self
            .cur()
            .ifaces
            .get(if_id as usize)
            .unwrap_or_else(|| panic!("interface {if_id} not defined in the current section"));
        let caplen = if snaplen == 0 {
            frame.len()
        } else {
            frame.len().min(snaplen as usize)
        };
        self.packet_raw(
            if_id,
            ts_ns,
            &frame[..caplen],
            caplen as u32,
            frame.len() as u32,
        )
    }

    /// Appends an EPB with explicit caplen / origlen; `frame` is written as given (padded to 32
    /// bits). An undefined `if_id` is written as is, with µs timestamp units.
    pub fn packet_raw(
        &mut self,
        if_id: u32,
        ts_ns: i64,
        frame: &[u8],
        caplen: u32,
        origlen: u32,
    ) -> &mut Self {
        let sec = self.cur();
        let tsresol = sec.ifaces.get(if_id as usize).and_then(|i| i.0);
        let ts = ns_to_units(ts_ns, tsresol);
        sec.blocks.push(NgBlock::Epb {
            if_id,
            ts,
            data: frame.to_vec(),
            caplen,
            origlen,
        });
        self
    }

    /// Appends an SPB (belongs to interface 0 of the section; no timestamp): captured bytes =
    /// min(len, interface 0 snaplen), original length = len.
    pub fn simple_packet(&mut self, frame: &[u8]) -> &mut Self {
        let sec = self.cur();
        let snaplen = sec.ifaces.first().map_or(0, |i| i.1);
        let caplen = if snaplen == 0 {
            frame.len()
        } else {
            frame.len().min(snaplen as usize)
        };
        sec.blocks.push(NgBlock::Spb {
            data: frame[..caplen].to_vec(),
            origlen: frame.len() as u32,
        });
        self
    }

    /// Appends an arbitrary block (e.g. an unknown or custom block type a reader must skip);
    /// `body` is padded to 32 bits and framed with the block type and both total lengths.
    pub fn raw_block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        self.cur().blocks.push(NgBlock::Raw {
            block_type,
            body: body.to_vec(),
        });
        self
    }

    /// Pushes a scenario on interface `if_id`, wrapping each IP packet with
    /// `frame(dir, ip_packet)`.
    pub fn extend(
        &mut self,
        if_id: u32,
        packets: &[(i64, Vec<u8>, Dir)],
        mut frame: impl FnMut(Dir, &[u8]) -> Vec<u8>,
    ) -> &mut Self {
        for (ts, ip, dir) in packets {
            let f = frame(*dir, ip);
            self.packet(if_id, *ts, &f);
        }
        self
    }

    /// The file contents.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for sec in &self.sections {
            let e = Endian {
                big: sec.big_endian,
            };
            // SHB
            let mut body = Vec::new();
            e.u32(&mut body, 0x1a2b_3c4d); // byte-order magic
            e.u16(&mut body, 1);
            e.u16(&mut body, 0);
            e.i64(&mut body, -1); // section length: unspecified
            push_option(e, &mut body, 4, b"callpath test builder"); // shb_userappl
            e.u32(&mut body, 0); // opt_endofopt
            push_block(e, &mut out, 0x0a0d_0d0a, &body);
            for block in &sec.blocks {
                let mut body = Vec::new();
                let block_type = match block {
                    NgBlock::Idb {
                        linktype,
                        snaplen,
                        name,
                        description,
                        tsresol,
                    } => {
                        e.u16(&mut body, *linktype);
                        e.u16(&mut body, 0);
                        e.u32(&mut body, *snaplen);
                        let mut any = false;
                        if let Some(n) = name {
                            push_option(e, &mut body, 2, n.as_bytes());
                            any = true;
                        }
                        if let Some(d) = description {
                            push_option(e, &mut body, 3, d.as_bytes());
                            any = true;
                        }
                        if let Some(r) = tsresol {
                            push_option(e, &mut body, 9, &[*r]);
                            any = true;
                        }
                        if any {
                            e.u32(&mut body, 0); // opt_endofopt
                        }
                        1
                    }
                    NgBlock::Epb {
                        if_id,
                        ts,
                        data,
                        caplen,
                        origlen,
                    } => {
                        e.u32(&mut body, *if_id);
                        e.u32(&mut body, (ts >> 32) as u32);
                        e.u32(&mut body, *ts as u32);
                        e.u32(&mut body, *caplen);
                        e.u32(&mut body, *origlen);
                        body.extend_from_slice(data);
                        pad4(&mut body);
                        6
                    }
                    NgBlock::Spb { data, origlen } => {
                        e.u32(&mut body, *origlen);
                        body.extend_from_slice(data);
                        pad4(&mut body);
                        3
                    }
                    NgBlock::Raw {
                        block_type,
                        body: b,
                    } => {
                        body.extend_from_slice(b);
                        pad4(&mut body);
                        *block_type
                    }
                };
                push_block(e, &mut out, block_type, &body);
            }
        }
        out
    }

    /// Writes [`Pcapng::to_bytes`] to `path` (panics on I/O error: this is test code).
    pub fn write(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        std::fs::write(path, self.to_bytes())
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// One option: code, length, value padded to 32 bits.
fn push_option(e: Endian, out: &mut Vec<u8>, code: u16, value: &[u8]) {
    e.u16(out, code);
    e.u16(
        out,
        u16::try_from(value.len()).expect("option value too long"),
    );
    out.extend_from_slice(value);
    pad4(out);
}

/// type, total length, body (already padded), total length.
fn push_block(e: Endian, out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    assert!(body.len() % 4 == 0);
    let total = (body.len() + 12) as u32;
    e.u32(out, block_type);
    e.u32(out, total);
    out.extend_from_slice(body);
    e.u32(out, total);
}

// ---------------------------------------------------------------------------------------------
// Link layer
// ---------------------------------------------------------------------------------------------

/// One VLAN tag: TPID (0x8100 802.1Q, 0x88a8 802.1ad) and VLAN id (12 bits; PCP and DEI 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vlan {
    pub tpid: u16,
    pub id: u16,
}

impl Vlan {
    /// An 802.1Q (C-) tag.
    pub fn dot1q(id: u16) -> Self {
        Vlan {
            tpid: TPID_8021Q,
            id,
        }
    }

    /// An 802.1ad (S-) tag, the outer tag of QinQ.
    pub fn dot1ad(id: u16) -> Self {
        Vlan {
            tpid: TPID_8021AD,
            id,
        }
    }
}

/// An Ethernet II frame (no FCS): dst MAC, src MAC, the VLAN tags outermost first, ethertype,
/// payload. Note the argument order is src, dst; the wire order is dst, src.
pub fn ethernet(
    src_mac: [u8; 6],
    dst_mac: [u8; 6],
    vlans: &[Vlan],
    ethertype: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + 4 * vlans.len() + payload.len());
    out.extend_from_slice(&dst_mac);
    out.extend_from_slice(&src_mac);
    for v in vlans {
        assert!(v.id < 4096, "VLAN id {} out of range", v.id);
        out.extend_from_slice(&v.tpid.to_be_bytes());
        out.extend_from_slice(&v.id.to_be_bytes());
    }
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// The ethertype for an IP packet (from its version nibble).
pub fn ethertype_of(ip: &[u8]) -> u16 {
    match ip.first().map(|b| b >> 4) {
        Some(4) => ETHERTYPE_IPV4,
        Some(6) => ETHERTYPE_IPV6,
        _ => panic!("not an IP packet"),
    }
}

/// [`ethernet`] carrying an IP packet, ethertype from the IP version.
pub fn ethernet_ip(src_mac: [u8; 6], dst_mac: [u8; 6], vlans: &[Vlan], ip: &[u8]) -> Vec<u8> {
    ethernet(src_mac, dst_mac, vlans, ethertype_of(ip), ip)
}

/// A PPPoE session-stage payload (RFC 2516 §4): VER 1 / TYPE 1 (0x11), CODE 0, `session`,
/// LENGTH (the PPP protocol and `payload`), then the PPP frame without address and control
/// fields: 2-byte `protocol` (RFC 1661 §2), `payload`. Goes in an Ethernet frame of
/// [`ETHERTYPE_PPPOE_SESSION`].
pub fn pppoe_session(session: u16, protocol: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).expect("PPPoE payload fits LENGTH");
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&[0x11, 0x00]);
    out.extend_from_slice(&session.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&protocol.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// [`pppoe_session`] carrying an IP packet, the PPP protocol from the IP version.
pub fn pppoe_ip(session: u16, ip: &[u8]) -> Vec<u8> {
    let protocol = match ethertype_of(ip) {
        ETHERTYPE_IPV4 => PPP_IPV4,
        _ => PPP_IPV6,
    };
    pppoe_session(session, protocol, ip)
}

/// An MPLS label stack (RFC 3032 §2.1) above `payload`: one 4-byte entry per label, outermost
/// first (label in the top 20 bits, traffic class 0, the bottom-of-stack bit on the last one,
/// TTL 64). Goes in an Ethernet frame of [`ETHERTYPE_MPLS`].
pub fn mpls(labels: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * labels.len() + payload.len());
    for (i, &label) in labels.iter().enumerate() {
        assert!(label < 1 << 20, "MPLS label {label} out of range");
        let bottom = u32::from(i + 1 == labels.len());
        out.extend_from_slice(&(label << 12 | bottom << 8 | 64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// Linux cooked capture v1 (linktype 113), 16-byte header: packet type, ARPHRD_ETHER (1),
/// address length 6, address (8 bytes, zero-padded), protocol; all big-endian.
pub fn sll(packet_type: u16, ethertype: u16, src_mac: [u8; 6], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + payload.len());
    out.extend_from_slice(&packet_type.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&6u16.to_be_bytes());
    out.extend_from_slice(&src_mac);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Linux cooked capture v2 (linktype 276), 20-byte header: protocol, reserved, interface index,
/// ARPHRD_ETHER (1), packet type, address length 6, address (8 bytes); all big-endian.
pub fn sll2(
    ifindex: u32,
    packet_type: u8,
    ethertype: u16,
    src_mac: [u8; 6],
    payload: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + payload.len());
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&ifindex.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.push(packet_type);
    out.push(6);
    out.extend_from_slice(&src_mac);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    out
}

/// BSD loopback / NULL (linktype 0): the address family as a 4-byte integer in the writer's
/// host byte order, little-endian here (readers must accept both).
pub fn null_loopback(af: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&af.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

// ---------------------------------------------------------------------------------------------
// IP and transport
// ---------------------------------------------------------------------------------------------

/// IPv4 "don't fragment" flag in the flags/fragment-offset field.
pub const IPV4_DF: u16 = 0x4000;
/// IPv4 "more fragments" flag.
pub const IPV4_MF: u16 = 0x2000;

/// An IPv4 packet with a 20-byte header (no options) and a correct header checksum.
/// `flags_frag` is the 16-bit flags + fragment offset (in 8-byte units) field.
#[allow(clippy::too_many_arguments)]
pub fn ipv4_raw(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    protocol: u8,
    tos: u8,
    ttl: u8,
    id: u16,
    flags_frag: u16,
    payload: &[u8],
) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).expect("IPv4 packet too long");
    let mut out = Vec::with_capacity(total as usize);
    out.push(0x45);
    out.push(tos);
    out.extend_from_slice(&total.to_be_bytes());
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags_frag.to_be_bytes());
    out.push(ttl);
    out.push(protocol);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    let c = internet_checksum(&[&out]);
    out[10..12].copy_from_slice(&c.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An IPv6 packet: fixed header (flow label 0) + `payload` (which starts with `next_header`).
pub fn ipv6_raw(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    traffic_class: u8,
    hop_limit: u8,
    payload: &[u8],
) -> Vec<u8> {
    let plen = u16::try_from(payload.len()).expect("IPv6 payload too long");
    let mut out = Vec::with_capacity(40 + payload.len());
    let first = (6u32 << 28) | (u32::from(traffic_class) << 20);
    out.extend_from_slice(&first.to_be_bytes());
    out.extend_from_slice(&plen.to_be_bytes());
    out.push(next_header);
    out.push(hop_limit);
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    out.extend_from_slice(payload);
    out
}

/// Sets the DSCP (e.g. 46 = EF, what Teams marks audio with) of an IPv4 or IPv6 packet in
/// place, fixing the IPv4 header checksum. ECN bits are kept.
pub fn set_dscp(ip: &mut [u8], dscp: u8) {
    assert!(dscp < 64);
    match ip[0] >> 4 {
        4 => {
            ip[1] = (dscp << 2) | (ip[1] & 3);
            ip[10] = 0;
            ip[11] = 0;
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let c = internet_checksum(&[&ip[..ihl]]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
        }
        6 => {
            let tc = (dscp << 2) | (((ip[1] >> 4) & 0x0f) & 3);
            ip[0] = 0x60 | (tc >> 4);
            ip[1] = (tc << 4) | (ip[1] & 0x0f);
        }
        v => panic!("not an IP packet (version {v})"),
    }
}

fn pseudo_v4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(12);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.push(0);
    p.push(proto);
    p.extend_from_slice(&(len as u16).to_be_bytes());
    p
}

fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(&(len as u32).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, proto]);
    p
}

/// A UDP datagram (header + payload) with its checksum over `pseudo` (0 is sent as 0xffff).
fn udp_segment(pseudo: &[u8], sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(8 + payload.len()).expect("UDP datagram too long");
    let mut out = Vec::with_capacity(len as usize);
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let mut c = internet_checksum(&[pseudo, &out]);
    if c == 0 {
        c = 0xffff;
    }
    out[6..8].copy_from_slice(&c.to_be_bytes());
    out
}

fn udp_v4(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let pseudo = pseudo_v4(src, dst, IPPROTO_UDP, 8 + payload.len());
    udp_segment(&pseudo, sport, dport, payload)
}

fn udp_v6(src: Ipv6Addr, sport: u16, dst: Ipv6Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let pseudo = pseudo_v6(src, dst, IPPROTO_UDP, 8 + payload.len());
    udp_segment(&pseudo, sport, dport, payload)
}

/// IPv4 + UDP, TTL 64, DF set, IP id 0, checksums correct.
pub fn ipv4_udp(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let udp = udp_v4(src, sport, dst, dport, payload);
    ipv4_raw(src, dst, IPPROTO_UDP, 0, 64, 0, IPV4_DF, &udp)
}

/// IPv6 + UDP, hop limit 64, checksum correct.
pub fn ipv6_udp(src: Ipv6Addr, sport: u16, dst: Ipv6Addr, dport: u16, payload: &[u8]) -> Vec<u8> {
    let udp = udp_v6(src, sport, dst, dport, payload);
    ipv6_raw(src, dst, IPPROTO_UDP, 0, 64, &udp)
}

/// TCP flags (the ones fixtures need).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

impl TcpFlags {
    pub const SYN: TcpFlags = TcpFlags {
        syn: true,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };
    pub const SYN_ACK: TcpFlags = TcpFlags {
        syn: true,
        ack: true,
        ..TcpFlags::NONE
    };
    pub const ACK: TcpFlags = TcpFlags {
        ack: true,
        ..TcpFlags::NONE
    };
    pub const PSH_ACK: TcpFlags = TcpFlags {
        psh: true,
        ack: true,
        ..TcpFlags::NONE
    };
    pub const FIN_ACK: TcpFlags = TcpFlags {
        fin: true,
        ack: true,
        ..TcpFlags::NONE
    };
    pub const RST: TcpFlags = TcpFlags {
        rst: true,
        ..TcpFlags::NONE
    };
    pub const RST_ACK: TcpFlags = TcpFlags {
        rst: true,
        ack: true,
        ..TcpFlags::NONE
    };
    pub const NONE: TcpFlags = TcpFlags {
        syn: false,
        ack: false,
        fin: false,
        rst: false,
        psh: false,
    };

    /// The flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
    pub fn bits(self) -> u8 {
        u8::from(self.fin)
            | u8::from(self.syn) << 1
            | u8::from(self.rst) << 2
            | u8::from(self.psh) << 3
            | u8::from(self.ack) << 4
    }
}

/// The TCP header fields a fixture chooses. The header is 20 bytes, no options, urgent 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tcp {
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
}

fn tcp_segment(pseudo: &[u8], sport: u16, dport: u16, tcp: Tcp, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + payload.len());
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&tcp.seq.to_be_bytes());
    out.extend_from_slice(&tcp.ack.to_be_bytes());
    out.push(5 << 4); // data offset 5 words
    out.push(tcp.flags.bits());
    out.extend_from_slice(&tcp.window.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    out.extend_from_slice(payload);
    let c = internet_checksum(&[pseudo, &out]);
    out[16..18].copy_from_slice(&c.to_be_bytes());
    out
}

/// IPv4 + TCP, TTL 64, DF set, checksums correct.
pub fn ipv4_tcp(
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    tcp: Tcp,
    payload: &[u8],
) -> Vec<u8> {
    let pseudo = pseudo_v4(src, dst, IPPROTO_TCP, 20 + payload.len());
    let seg = tcp_segment(&pseudo, sport, dport, tcp, payload);
    ipv4_raw(src, dst, IPPROTO_TCP, 0, 64, 0, IPV4_DF, &seg)
}

/// IPv6 + TCP, hop limit 64, checksum correct.
pub fn ipv6_tcp(
    src: Ipv6Addr,
    sport: u16,
    dst: Ipv6Addr,
    dport: u16,
    tcp: Tcp,
    payload: &[u8],
) -> Vec<u8> {
    let pseudo = pseudo_v6(src, dst, IPPROTO_TCP, 20 + payload.len());
    let seg = tcp_segment(&pseudo, sport, dport, tcp, payload);
    ipv6_raw(src, dst, IPPROTO_TCP, 0, 64, &seg)
}

/// [`ipv4_udp`] or [`ipv6_udp`] by address family; panics on mixed families.
pub fn ip_udp(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4_udp(s, sport, d, dport, payload),
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6_udp(s, sport, d, dport, payload),
        _ => panic!("mixed address families: {src} -> {dst}"),
    }
}

/// [`ipv4_tcp`] or [`ipv6_tcp`] by address family; panics on mixed families.
pub fn ip_tcp(
    src: IpAddr,
    sport: u16,
    dst: IpAddr,
    dport: u16,
    tcp: Tcp,
    payload: &[u8],
) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => ipv4_tcp(s, sport, d, dport, tcp, payload),
        (IpAddr::V6(s), IpAddr::V6(d)) => ipv6_tcp(s, sport, d, dport, tcp, payload),
        _ => panic!("mixed address families: {src} -> {dst}"),
    }
}

/// A UDP datagram split into IPv4 fragments with IP id `id`: each fragment carries at most
/// `max_fragment_payload` bytes (rounded down to a multiple of 8, at least 8) of the UDP
/// datagram; the first one holds the UDP header, all but the last have MF set. The UDP checksum
/// covers the whole datagram. Returns the fragments in order.
pub fn ipv4_fragments(
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    payload: &[u8],
    id: u16,
    max_fragment_payload: usize,
) -> Vec<Vec<u8>> {
    let chunk = (max_fragment_payload / 8 * 8).max(8);
    let udp = udp_v4(src, sport, dst, dport, payload);
    let n = udp.len().div_ceil(chunk);
    udp.chunks(chunk)
        .enumerate()
        .map(|(i, part)| {
            let offset_units = u16::try_from(i * chunk / 8).expect("fragment offset too large");
            let mf = if i + 1 < n { IPV4_MF } else { 0 };
            ipv4_raw(src, dst, IPPROTO_UDP, 0, 64, id, mf | offset_units, part)
        })
        .collect()
}

/// IPv6 + Hop-by-Hop Options + Destination Options + UDP. Each extension header is 8 bytes
/// (next header, length 0, a 6-byte PadN option). The UDP checksum is correct.
pub fn ipv6_with_ext_headers(
    src: Ipv6Addr,
    sport: u16,
    dst: Ipv6Addr,
    dport: u16,
    payload: &[u8],
) -> Vec<u8> {
    let udp = udp_v6(src, sport, dst, dport, payload);
    let mut body = Vec::with_capacity(16 + udp.len());
    // Hop-by-Hop: next = Destination Options; PadN (type 1) of 4 data bytes.
    body.extend_from_slice(&[IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0]);
    // Destination Options: next = UDP.
    body.extend_from_slice(&[IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0]);
    body.extend_from_slice(&udp);
    ipv6_raw(src, dst, IPPROTO_HOPOPTS, 0, 64, &body)
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Direction of a packet in a scenario: `Forward` is client -> server (or a -> b).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    Forward,
    Reverse,
}

impl Dir {
    pub fn reverse(self) -> Dir {
        match self {
            Dir::Forward => Dir::Reverse,
            Dir::Reverse => Dir::Forward,
        }
    }

    /// `Forward` for even `i`, `Reverse` for odd: a ping-pong exchange.
    pub fn alternate(i: usize) -> Dir {
        if i % 2 == 0 {
            Dir::Forward
        } else {
            Dir::Reverse
        }
    }
}

/// Options of [`tcp_session_with`].
#[derive(Clone, Copy, Debug)]
pub struct TcpOpts {
    /// Largest payload per segment; longer messages are split (e.g. a 1800-byte ClientHello
    /// becomes two segments with MSS 1460).
    pub mss: usize,
    /// Time between consecutive packets.
    pub step_ns: i64,
    pub client_isn: u32,
    pub server_isn: u32,
    pub window: u16,
    /// End with FIN/ACK, FIN/ACK, ACK (client closes first).
    pub close: bool,
}

impl Default for TcpOpts {
    fn default() -> Self {
        TcpOpts {
            mss: 1460,
            step_ns: 1_000_000,
            client_isn: 1_000,
            server_isn: 5_000,
            window: 64_240,
            close: true,
        }
    }
}

/// A whole TCP connection with [`TcpOpts::default`]: SYN, SYN-ACK, ACK, then every exchange as
/// PSH/ACK data segments (split at the MSS) from its sender, then FIN/ACK, FIN/ACK, ACK.
/// Packets are 1 ms apart from `start_ns`; seq/ack numbers are consistent; every data segment
/// acknowledges everything the peer sent so far (no separate pure ACKs for data).
pub fn tcp_session(
    client: SocketAddr,
    server: SocketAddr,
    start_ns: i64,
    exchanges: &[(Dir, Vec<u8>)],
) -> Vec<(i64, Vec<u8>, Dir)> {
    tcp_session_with(client, server, start_ns, exchanges, TcpOpts::default())
}

/// [`tcp_session`] with explicit options.
pub fn tcp_session_with(
    client: SocketAddr,
    server: SocketAddr,
    start_ns: i64,
    exchanges: &[(Dir, Vec<u8>)],
    opts: TcpOpts,
) -> Vec<(i64, Vec<u8>, Dir)> {
    assert!(opts.mss > 0);
    let mut out = Vec::new();
    let mut ts = start_ns;
    // next sequence number each side will send
    let mut next = [opts.client_isn, opts.server_isn];
    let idx = |d: Dir| usize::from(d == Dir::Reverse);
    let send = |out: &mut Vec<_>,
                ts: &mut i64,
                dir: Dir,
                flags: TcpFlags,
                data: &[u8],
                next: &mut [u32; 2]| {
        let (src, dst) = match dir {
            Dir::Forward => (client, server),
            Dir::Reverse => (server, client),
        };
        let me = idx(dir);
        let tcp = Tcp {
            seq: next[me],
            ack: if flags.ack { next[1 - me] } else { 0 },
            flags,
            window: opts.window,
        };
        let pkt = ip_tcp(src.ip(), src.port(), dst.ip(), dst.port(), tcp, data);
        out.push((*ts, pkt, dir));
        *ts += opts.step_ns;
        let consumed = data.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        next[me] = next[me].wrapping_add(consumed);
    };
    send(
        &mut out,
        &mut ts,
        Dir::Forward,
        TcpFlags::SYN,
        &[],
        &mut next,
    );
    send(
        &mut out,
        &mut ts,
        Dir::Reverse,
        TcpFlags::SYN_ACK,
        &[],
        &mut next,
    );
    send(
        &mut out,
        &mut ts,
        Dir::Forward,
        TcpFlags::ACK,
        &[],
        &mut next,
    );
    for (dir, msg) in exchanges {
        for part in msg.chunks(opts.mss) {
            send(&mut out, &mut ts, *dir, TcpFlags::PSH_ACK, part, &mut next);
        }
    }
    if opts.close {
        send(
            &mut out,
            &mut ts,
            Dir::Forward,
            TcpFlags::FIN_ACK,
            &[],
            &mut next,
        );
        send(
            &mut out,
            &mut ts,
            Dir::Reverse,
            TcpFlags::FIN_ACK,
            &[],
            &mut next,
        );
        send(
            &mut out,
            &mut ts,
            Dir::Forward,
            TcpFlags::ACK,
            &[],
            &mut next,
        );
    }
    out
}

/// A connection attempt that is never answered: `attempts` SYNs (same ISN 1000) at `start_ns`,
/// then after 1 s, 2 s, 4 s, ... (Linux-like exponential backoff). All `Forward`.
pub fn tcp_syn_retries(
    client: SocketAddr,
    server: SocketAddr,
    start_ns: i64,
    attempts: usize,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let tcp = Tcp {
        seq: 1_000,
        ack: 0,
        flags: TcpFlags::SYN,
        window: 64_240,
    };
    let pkt = ip_tcp(
        client.ip(),
        client.port(),
        server.ip(),
        server.port(),
        tcp,
        &[],
    );
    let mut ts = start_ns;
    let mut wait = NS_PER_SEC;
    (0..attempts)
        .map(|_| {
            let p = (ts, pkt.clone(), Dir::Forward);
            ts += wait;
            wait *= 2;
            p
        })
        .collect()
}

/// `count` UDP datagrams between `a` and `b`, the i-th at `start_ns + i * interval_ns`;
/// `payload_fn(i)` says which way the i-th goes and what it carries.
///
/// ```ignore
/// // 50 packets/s of audio both ways, interleaved
/// let pkts = udp_stream(client, relay, t0, 10_000_000, 100, |i| {
///     (Dir::alternate(i), payloads::rtp(0, (i / 2) as u16, (i / 2) as u32 * 160, 0x1234, false, 160))
/// });
/// ```
pub fn udp_stream(
    a: SocketAddr,
    b: SocketAddr,
    start_ns: i64,
    interval_ns: i64,
    count: usize,
    mut payload_fn: impl FnMut(usize) -> (Dir, Vec<u8>),
) -> Vec<(i64, Vec<u8>, Dir)> {
    (0..count)
        .map(|i| {
            let (dir, payload) = payload_fn(i);
            let (src, dst) = match dir {
                Dir::Forward => (a, b),
                Dir::Reverse => (b, a),
            };
            let pkt = ip_udp(src.ip(), src.port(), dst.ip(), dst.port(), &payload);
            (start_ns + i as i64 * interval_ns, pkt, dir)
        })
        .collect()
}

/// Merges scenarios into one list ordered by timestamp (stable: equal timestamps keep their
/// input order).
pub fn merge(lists: &[Vec<(i64, Vec<u8>, Dir)>]) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut all: Vec<_> = lists.iter().flatten().cloned().collect();
    all.sort_by_key(|p| p.0);
    all
}
