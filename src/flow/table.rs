//! The bidirectional flow table: per 5-tuple, per side, what was seen and where.
//!
//! Every flow stays for the whole run (SPEC: one 5-tuple is one flow). What a long capture
//! must not keep is the transient parse state of flows gone quiet: a flow idle for
//! `DEFAULT_IDLE_TIMEOUT_NS` of capture time is sealed (`FlowState::seal`), by a sweep that
//! runs at most once per half timeout (issue 5).

use std::hash::Hasher;
use std::net::IpAddr;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::key::{Endpoint, FlowKey};
use super::shape::{SegmentShape, SILENCE_NS};
use crate::decode::{tcp_flag, LinkInfo, TransportLayer};
use crate::proto::{self, tls, AppState, Payload};

/// Distinct sightings (capture point, ifindex, VLAN, MACs) kept per side of a flow. Real
/// networks show one to three; more are counted in `sightings_overflow`.
pub const MAX_SIGHTINGS_PER_SIDE: usize = 8;

/// A capture point: the file (by its position on the command line) and the interface in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PointId {
    pub file: u32,
    pub interface: u32,
}

/// Where one side of a flow was seen: every packet with the same capture point, link
/// addressing and VLAN is one sighting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub point: PointId,
    pub ifindex: Option<u32>,
    pub vlan: Option<u16>,
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
    /// Linux SLL / SLL2 packet type (0 to this host, 4 sent by it, ...).
    pub sll_packet_type: Option<u8>,
    pub packets: u64,
}

impl Sighting {
    fn same_place(&self, point: PointId, link: &LinkInfo) -> bool {
        self.point == point
            && self.ifindex == link.ifindex
            && self.vlan == link.vlan
            && self.src_mac == link.src_mac
            && self.dst_mac == link.dst_mac
            && self.sll_packet_type == link.sll_packet_type
    }
}

/// TCP flags seen on a side, as the flow record reports them.
pub mod seen {
    pub const SYN: u8 = 0x01;
    pub const SYN_ACK: u8 = 0x02;
    pub const FIN: u8 = 0x04;
    pub const RST: u8 = 0x08;
}

/// The sightings of one side: the first inline (most sides are seen at one place, and a heap
/// vector would cost one more cache miss per packet), any others on the heap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sightings {
    first: Option<Sighting>,
    more: Vec<Sighting>,
}

impl Sightings {
    pub fn iter(&self) -> impl Iterator<Item = &Sighting> + '_ {
        self.first.iter().chain(&self.more)
    }

    pub fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    fn find_mut(&mut self, point: PointId, link: &LinkInfo) -> Option<&mut Sighting> {
        match &mut self.first {
            Some(s) if s.same_place(point, link) => Some(s),
            Some(_) => self.more.iter_mut().find(|s| s.same_place(point, link)),
            None => None,
        }
    }

    /// Adds a new place; false when `MAX_SIGHTINGS_PER_SIDE` are kept already.
    fn push(&mut self, s: Sighting) -> bool {
        if self.first.is_none() {
            self.first = Some(s);
        } else if self.len() < MAX_SIGHTINGS_PER_SIDE {
            // Sides seen at a second place rarely see a third: grow one at a time.
            self.more.reserve_exact(1);
            self.more.push(s);
        } else {
            return false;
        }
        true
    }

    fn shrink_to_fit(&mut self) {
        self.more.shrink_to_fit();
    }
}

impl<'a> IntoIterator for &'a Sightings {
    type Item = &'a Sighting;
    type IntoIter =
        std::iter::Chain<std::option::Iter<'a, Sighting>, std::slice::Iter<'a, Sighting>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.iter().chain(&self.more)
    }
}

/// One direction of a flow (traffic sent by one endpoint).
#[derive(Clone, Debug, Default)]
pub struct Side {
    pub packets: u64,
    pub bytes: u64,
    pub first_ns: i64,
    pub last_ns: i64,
    /// Earliest SYN without ACK sent by this side: it makes this side the TCP client.
    pub first_syn_ns: Option<i64>,
    pub tcp_seen: u8,
    /// The DSCP values (RFC 2474 §3) of this side's packets: bit `v` set when a packet was
    /// marked `v` (0..=63), so a side that sent anything has at least one bit set.
    pub dscp_seen: u64,
    pub sightings: Sightings,
    pub sightings_overflow: u64,
    /// Payload segments, for media recognised by its shape (`audit::shape`).
    pub shape: SegmentShape,
    /// Gaps longer than `SILENCE_NS` between consecutive packets of this side (in capture
    /// order; a packet earlier than the previous one makes no gap).
    pub silences: u32,
    /// `packet_identity` of this side's last packet: a copy of it is a duplicate.
    pub last_identity: u64,
    /// `packet_print` of this side's earliest and latest packet (0: none worth matching): the
    /// same packet seen at another capture point, perhaps translated by a NAT, has the same
    /// print (`correlate` pairs flows and aligns clocks on them).
    pub first_print: u64,
    pub last_print: u64,
}

/// How far apart a packet and its copy may be captured: a SPAN port or a bridge copies within
/// microseconds; a retransmission comes a round trip later at least, and with another IPv4
/// Identification.
pub const DUPLICATE_WINDOW_NS: u64 = 5_000_000;

const PRINT_K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// FxHash's multiply-rotate step.
#[inline(always)]
fn mix(h: u64, v: u64) -> u64 {
    (h.rotate_left(5) ^ v).wrapping_mul(PRINT_K)
}

/// What a packet keeps across a router and a source NAT, hashed: the IPv4 Identification, the
/// TCP sequence number and flags, the payload's length and its first and last 8 bytes. Not the
/// addresses, ports or checksums (a NAT rewrites them), TTL or DSCP (a router changes them).
/// 0 for a packet too plain to tell from another (no Identification, no payload, not TCP: an
/// empty IPv6 datagram).
#[inline]
pub fn packet_print(t: &TransportLayer<'_>) -> u64 {
    let word = |b: Option<&[u8]>| {
        b.and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let p = t.payload;
    if t.ip_id == 0 && p.is_empty() && t.tcp.is_none() {
        return 0;
    }
    // A payload shorter than 8 bytes is all in the print (its bytes, then its length below).
    if p.len() < 8 {
        let bytes = p.iter().fold(0u64, |h, &b| h << 8 | u64::from(b));
        let (seq, flags) = t.tcp.map_or((0, 0), |tcp| (tcp.seq, tcp.flags));
        let h = mix(
            u64::from(t.protocol),
            u64::from(t.ip_id) << 48 | u64::from(flags) << 32 | p.len() as u64,
        );
        return mix(mix(h, u64::from(seq)), bytes) | 1;
    }
    let (seq, flags) = t.tcp.map_or((0, 0), |tcp| (tcp.seq, tcp.flags));
    let mut h = mix(
        u64::from(t.protocol),
        u64::from(t.ip_id) << 48 | u64::from(flags) << 32 | p.len() as u64,
    );
    h = mix(h, u64::from(seq));
    h = mix(h, word(p.get(..8)));
    // Never 0, the "nothing to match" value.
    mix(h, word(p.len().checked_sub(8).and_then(|i| p.get(i..)))) | 1
}

/// What a copy of a packet keeps at one capture point, hashed on top of its `packet_print`:
/// the capture point, VLAN and MACs, the DSCP (TTL and the IP checksum, which a router in
/// between changes, left out), the UDP/TCP checksum (it covers the whole segment) and the
/// frame's length. Two different packets of one flow direction that agree on all of it within
/// `DUPLICATE_WINDOW_NS` are not told apart.
#[inline]
fn packet_identity(
    t: &TransportLayer<'_>,
    print: u64,
    point: PointId,
    link: &LinkInfo,
    wire_len: u32,
) -> u64 {
    let mac = |m: Option<[u8; 6]>| {
        m.map_or(0, |[a, b, c, d, e, f]| {
            u64::from_le_bytes([a, b, c, d, e, f, 1, 0])
        })
    };
    let mut h = mix(
        print,
        u64::from(point.file) << 32 | u64::from(point.interface),
    );
    // The same packet on another VLAN or between other MACs at one capture point (a trunk
    // carrying both sides of a router) is another place on its path, not a copy.
    h = mix(
        h,
        mac(link.src_mac) ^ u64::from(link.vlan.unwrap_or(0)) << 48,
    );
    h = mix(h, mac(link.dst_mac));
    mix(
        h,
        u64::from(t.checksum) << 32 | u64::from(t.dscp) << 16 | u64::from(wire_len & 0xffff),
    )
}

impl Side {
    #[inline]
    fn record(&mut self, ts_ns: i64, wire_len: u32, point: PointId, link: &LinkInfo, print: u64) {
        if self.packets == 0 {
            self.first_ns = ts_ns;
            self.last_ns = ts_ns;
            self.first_print = print;
            self.last_print = print;
        } else {
            if ts_ns.saturating_sub(self.last_ns) > SILENCE_NS {
                self.silences = self.silences.saturating_add(1);
            }
            if ts_ns < self.first_ns {
                self.first_ns = ts_ns;
                self.first_print = print;
            }
            if ts_ns >= self.last_ns {
                self.last_ns = ts_ns;
                self.last_print = print;
            }
        }
        self.packets += 1;
        self.bytes += u64::from(wire_len);
        if let Some(s) = self.sightings.find_mut(point, link) {
            s.packets += 1;
        } else if !self.sightings.push(Sighting {
            point,
            ifindex: link.ifindex,
            vlan: link.vlan,
            src_mac: link.src_mac,
            dst_mac: link.dst_mac,
            sll_packet_type: link.sll_packet_type,
            packets: 1,
        }) {
            self.sightings_overflow += 1;
        }
    }

    /// Moves this side's times by `delta_ns`.
    fn shift_time(&mut self, delta_ns: i64) {
        self.first_ns = self.first_ns.saturating_add(delta_ns);
        self.last_ns = self.last_ns.saturating_add(delta_ns);
        self.first_syn_ns = self.first_syn_ns.map(|t| t.saturating_add(delta_ns));
    }

    fn merge(&mut self, other: &Side) {
        if other.packets == 0 {
            return;
        }
        if self.packets == 0 || other.first_ns < self.first_ns {
            self.first_ns = other.first_ns;
            self.first_print = other.first_print;
        }
        if self.packets == 0 || other.last_ns > self.last_ns {
            self.last_ns = other.last_ns;
            self.last_print = other.last_print;
        }
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.first_syn_ns = match (self.first_syn_ns, other.first_syn_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.tcp_seen |= other.tcp_seen;
        self.dscp_seen |= other.dscp_seen;
        self.sightings_overflow += other.sightings_overflow;
        self.shape.merge(&other.shape);
        self.silences = self.silences.saturating_add(other.silences);
        for o in &other.sightings {
            let place = LinkInfo {
                vlan: o.vlan,
                src_mac: o.src_mac,
                dst_mac: o.dst_mac,
                ifindex: o.ifindex,
                sll_packet_type: o.sll_packet_type,
            };
            if let Some(s) = self.sightings.find_mut(o.point, &place) {
                s.packets += o.packets;
            } else if !self.sightings.push(*o) {
                self.sightings_overflow += o.packets;
            }
        }
    }
}

/// A port servers listen on, so the end using it is the server of a flow caught without its
/// handshake: every port below 1024, and the Office 365 endpoint sets' others (TURN and media
/// relays 3478-3481, SIP 5060/5061).
pub fn is_service_port(port: u16) -> bool {
    port < 1024 || (3478..=3481).contains(&port) || port == 5060 || port == 5061
}

/// Everything kept about one flow while packets are read.
#[derive(Clone, Debug, Default)]
pub struct FlowState {
    /// Indexed by side: 0 = sent by `key.a`, 1 = sent by `key.b`.
    pub sides: [Side; 2],
    pub app: AppState,
    /// First fragments of fragmented datagrams seen on this flow.
    pub fragments: u64,
}

impl FlowState {
    /// The side that is the client (SPEC "JSON report": `client`), by the first rule that
    /// applies: the sender of the earliest SYN without ACK; the receiver of a SYN-ACK (only the
    /// reply was captured); for a flow caught mid-way, the end not on a service port when the
    /// other is on one; else the sender of the earliest packet. Ties go to side 0.
    pub fn client_side(&self, key: &FlowKey) -> u8 {
        let [s0, s1] = &self.sides;
        match (s0.first_syn_ns, s1.first_syn_ns) {
            (Some(a), Some(b)) => return u8::from(b < a),
            (Some(_), None) => return 0,
            (None, Some(_)) => return 1,
            (None, None) => {}
        }
        let sent_syn_ack = |s: &Side| s.tcp_seen & seen::SYN_ACK != 0;
        match (sent_syn_ack(s0), sent_syn_ack(s1)) {
            (true, false) => return 1,
            (false, true) => return 0,
            _ => {}
        }
        match (is_service_port(key.a.port), is_service_port(key.b.port)) {
            (true, false) => return 1,
            (false, true) => return 0,
            _ => {}
        }
        match (s0.packets, s1.packets) {
            (0, _) => 1,
            (_, 0) => 0,
            _ => u8::from(s1.first_ns < s0.first_ns),
        }
    }

    /// Time of the flow's first packet (either side).
    pub fn first_ns(&self) -> i64 {
        self.sides
            .iter()
            .filter(|d| d.packets > 0)
            .map(|d| d.first_ns)
            .min()
            .unwrap_or(0)
    }

    /// Time of the flow's last packet (either side).
    pub fn last_ns(&self) -> i64 {
        self.sides
            .iter()
            .filter(|d| d.packets > 0)
            .map(|d| d.last_ns)
            .max()
            .unwrap_or(0)
    }

    /// Drops transient state (see `AppState::seal`) and spare capacity; counts and
    /// classification stay.
    pub fn seal(&mut self) {
        self.app.seal();
        for s in &mut self.sides {
            s.sightings.shrink_to_fit();
        }
    }

    /// Sealed and no packet since. The bit lives in `AppState` so `FlowState` does not grow.
    pub fn is_sealed(&self) -> bool {
        self.app.is_sealed()
    }

    /// Moves every time the flow keeps by `delta_ns` (its file's clock offset undone).
    pub fn shift_time(&mut self, delta_ns: i64) {
        for s in &mut self.sides {
            s.shift_time(delta_ns);
        }
        self.app.shift_time(delta_ns);
    }

    pub fn merge(&mut self, other: &FlowState) {
        self.sides[0].merge(&other.sides[0]);
        self.sides[1].merge(&other.sides[1]);
        self.app.merge(&other.app);
        self.fragments += other.fragments;
    }
}

/// One decoded TCP/UDP packet, as the flow table takes it.
#[derive(Clone, Copy, Debug)]
pub struct Observation<'a> {
    pub src: Endpoint,
    pub dst: Endpoint,
    pub transport: &'a TransportLayer<'a>,
    pub link: &'a LinkInfo,
    pub point: PointId,
    pub ts_ns: i64,
    /// Length of the frame on the wire.
    pub wire_len: u32,
    /// First fragment of a fragmented datagram.
    pub fragment: bool,
}

/// The hash of a flow key (FxHash over whole words: a multiply per word, no byte loop). Also
/// picks a key's shard, so both directions of a flow reach the same thread.
#[inline]
pub fn key_hash(key: &FlowKey) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(u64::from(key.protocol) | u64::from(key.a.port) << 8 | u64::from(key.b.port) << 24);
    // One address at a time, from the key itself: an array of the two (a copy) was read back
    // wider than it was written, a store-forwarding stall per packet.
    hash_ip(&mut h, &key.a.ip);
    hash_ip(&mut h, &key.b.ip);
    h.finish()
}

#[inline(always)]
fn hash_ip(h: &mut FxHasher, ip: &IpAddr) {
    match ip {
        IpAddr::V4(v4) => h.write_u32(u32::from(*v4)),
        IpAddr::V6(v6) => h.write_u128(u128::from(*v6)),
    }
}

/// Flows one table keeps by default; packets of further new flows are counted in
/// `FlowTable::over_cap` (a reported event), not tracked: the cap bounds the table's memory.
pub const DEFAULT_MAX_FLOWS: usize = 8_000_000;

/// Capture time a flow may be silent (both sides) before it is sealed: 120 s. Longer than
/// any pause in a live call (RTP stops on hold or mute for seconds; ICE consent checks come
/// every ~5 s and expire after 30 s, RFC 7675 §5.1), so media silent for two minutes means
/// the call ended. A flow that resumes stays one flow and is parsed as before.
pub const DEFAULT_IDLE_TIMEOUT_NS: i64 = 120_000_000_000;

// Sealing must only free what the parser gives up by itself, or the result would depend on
// when sweeps ran (which differs between shards).
const _: () = assert!(DEFAULT_IDLE_TIMEOUT_NS >= tls::REASM_MAX_GAP_NS);

/// `FlowTable::with_limits` idle timeout that never seals.
pub const NO_IDLE_TIMEOUT: i64 = i64::MAX;

/// The flow table of one reader (one file or one shard of a file).
///
/// Flows live densely in a vector; a hash index maps each key to its slot. A hash map holding
/// the flows themselves would leave up to half of its power-of-two buckets empty, each as large
/// as a flow: with a million flows, a large part of the memory holds nothing. The index
/// holds only 4-byte slots (the key is compared in the vector, next to the state the packet
/// updates anyway), so it stays in cache: one cache miss per packet fewer.
#[derive(Clone)]
pub struct FlowTable {
    flows: Vec<(FlowKey, FlowState)>,
    index: HashTable<u32>,
    max_flows: usize,
    /// Packets of new flows not tracked because the table held `max_flows` flows.
    over_cap: u64,
    /// Silence after which a flow is sealed (`NO_IDLE_TIMEOUT`: never).
    idle_ns: i64,
    /// A packet at or after this time runs a sweep. Every earlier packet was before it, so
    /// the packet that reaches it carries the latest time seen: a timestamp going backwards
    /// never sweeps, and tracking the latest time costs no extra compare.
    next_sweep_ns: i64,
    /// Seal events (a flow sealed, resumed and sealed again counts twice).
    sealed: u64,
    /// Packets dropped as duplicates of the packet before them (see `update`).
    duplicates: u64,
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable::with_cap(DEFAULT_MAX_FLOWS)
    }
}

impl FlowTable {
    pub fn new() -> Self {
        FlowTable::default()
    }

    /// A table that keeps at most `max_flows` flows.
    pub fn with_cap(max_flows: usize) -> Self {
        FlowTable::with_limits(max_flows, DEFAULT_IDLE_TIMEOUT_NS)
    }

    /// A table that keeps at most `max_flows` flows and seals flows silent for `idle_ns` of
    /// capture time (at least 1 ns; `NO_IDLE_TIMEOUT` never seals). An `idle_ns` shorter
    /// than `tls::REASM_MAX_GAP_NS` can give up ClientHellos depending on sweep timing.
    pub fn with_limits(max_flows: usize, idle_ns: i64) -> Self {
        FlowTable {
            flows: Vec::new(),
            index: HashTable::new(),
            // Slots are u32.
            max_flows: max_flows.min(u32::MAX as usize),
            over_cap: 0,
            duplicates: 0,
            idle_ns: idle_ns.max(1),
            next_sweep_ns: i64::MIN,
            sealed: 0,
        }
    }

    /// Makes room in the index for `flows` flows (at most the table's cap), so it does not
    /// grow and rehash while packets are read: a rehash reads every flow's key again, one cache
    /// miss each. Only the index: the flows themselves are not allocated ahead.
    pub fn reserve_index(&mut self, flows: usize) {
        let flows = flows.min(self.max_flows);
        let table = &self.flows;
        self.index.reserve(flows, |&i| {
            table.get(i as usize).map_or(0, |(k, _)| key_hash(k))
        });
    }

    /// Packets of new flows dropped because the table was full.
    pub fn over_cap(&self) -> u64 {
        self.over_cap
    }

    /// Packets dropped as duplicates since the last call (the file's count, moved to its
    /// decode counters once it is read).
    pub fn take_duplicates(&mut self) -> u64 {
        std::mem::take(&mut self.duplicates)
    }

    /// Packets dropped as duplicates so far (`take_duplicates` without taking them).
    pub fn duplicates_so_far(&self) -> u64 {
        self.duplicates
    }

    /// Seal events so far (see `FlowState::seal`).
    pub fn sealed(&self) -> u64 {
        self.sealed
    }

    /// Bytes held by transient parse state (ClientHello reassembly buffers) over all flows.
    /// Walks every flow: for tests and accounting, not the packet path.
    pub fn transient_bytes(&self) -> usize {
        self.flows
            .iter()
            .map(|(_, f)| f.app.transient_bytes())
            .sum()
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Accounts one TCP/UDP packet.
    #[inline]
    pub fn update(&mut self, p: &Observation<'_>) {
        let Observation {
            src,
            dst,
            transport,
            link,
            point,
            ts_ns,
            wire_len,
            fragment,
        } = *p;
        // The only per-packet cost of idle sealing.
        if ts_ns >= self.next_sweep_ns {
            self.sweep(ts_ns);
        }
        let (key, side) = FlowKey::new(transport.protocol, src, dst);
        let Some(flow) = self.slot(key) else {
            self.over_cap += 1;
            return;
        };
        if fragment {
            flow.fragments += 1;
        }
        let [side0, side1] = &mut flow.sides;
        let s = if side == 0 { side0 } else { side1 };
        // The same packet again at the same capture point right after itself: a capture
        // duplicate, counted once (SPEC "Several capture points as one").
        let print = packet_print(transport);
        let identity = packet_identity(transport, print, point, link, wire_len);
        if s.packets > 0
            && s.last_identity == identity
            && ts_ns.abs_diff(s.last_ns) <= DUPLICATE_WINDOW_NS
        {
            self.duplicates += 1;
            return;
        }
        s.last_identity = identity;
        s.record(ts_ns, wire_len, point, link, print);
        // Decode gives 0..=63; a larger value (a hand-built observation) wraps, never panics.
        s.dscp_seen |= 1u64.wrapping_shl(u32::from(transport.dscp));
        let mut tcp_syn = false;
        if let Some(tcp) = transport.tcp {
            let syn = tcp.flags & tcp_flag::SYN != 0;
            let ack = tcp.flags & tcp_flag::ACK != 0;
            tcp_syn = syn;
            if syn && !ack {
                s.tcp_seen |= seen::SYN;
                s.first_syn_ns = Some(s.first_syn_ns.map_or(ts_ns, |t| t.min(ts_ns)));
            }
            if syn && ack {
                s.tcp_seen |= seen::SYN_ACK;
            }
            if tcp.flags & tcp_flag::FIN != 0 {
                s.tcp_seen |= seen::FIN;
            }
            if tcp.flags & tcp_flag::RST != 0 {
                s.tcp_seen |= seen::RST;
            }
            if !transport.payload.is_empty() {
                s.shape.segment(transport.payload.len());
            }
        }
        flow.app.observe(&Payload {
            transport: proto::Transport::of_protocol(transport.protocol),
            side,
            src_port: transport.src_port,
            dst_port: transport.dst_port,
            tcp_seq: transport.tcp.map(|t| t.seq),
            tcp_syn,
            dscp: transport.dscp,
            ts_ns,
            data: transport.payload,
        });
    }

    /// Seals every flow silent since before `now_ns - idle_ns`: one linear walk of the dense
    /// vector, at most once per half timeout of capture time (a 90 s capture sweeps its
    /// flows once). Runs before the packet at `now_ns` is counted, so a flow resuming after a long
    /// silence is sealed first even when nothing else in its table moved the clock.
    #[cold]
    #[inline(never)]
    fn sweep(&mut self, now_ns: i64) {
        if self.idle_ns == NO_IDLE_TIMEOUT {
            self.next_sweep_ns = i64::MAX;
            return;
        }
        self.next_sweep_ns = now_ns.saturating_add((self.idle_ns / 2).max(1));
        let cutoff = now_ns.saturating_sub(self.idle_ns);
        for (_, f) in &mut self.flows {
            if !f.is_sealed() && f.last_ns() < cutoff {
                f.seal();
                self.sealed += 1;
            }
        }
    }

    /// The flow of `key`, created if new; None when the table is full.
    #[inline]
    fn slot(&mut self, key: FlowKey) -> Option<&mut FlowState> {
        let hash = key_hash(&key);
        let i = match self.find(hash, &key) {
            Some(i) => i,
            None => self.push(hash, key, FlowState::default())?,
        };
        self.flows.get_mut(i).map(|(_, f)| f)
    }

    #[inline]
    fn find(&self, hash: u64, key: &FlowKey) -> Option<usize> {
        let flows = &self.flows;
        self.index
            .find(hash, |&i| {
                flows.get(i as usize).is_some_and(|(k, _)| k == key)
            })
            .map(|&i| i as usize)
    }

    /// Adds a new flow; None when the table is full.
    fn push(&mut self, hash: u64, key: FlowKey, state: FlowState) -> Option<usize> {
        if self.flows.len() >= self.max_flows {
            return None;
        }
        Some(self.insert(hash, key, state))
    }

    /// Adds a flow whatever the cap (a merged flow was accounted by its own table already).
    fn insert(&mut self, hash: u64, key: FlowKey, state: FlowState) -> usize {
        let next = self.flows.len();
        let flows = &self.flows;
        self.index.insert_unique(hash, next as u32, |&i| {
            flows.get(i as usize).map_or(0, |(k, _)| key_hash(k))
        });
        self.flows.push((key, state));
        next
    }

    /// Adds another table's flows (the same 5-tuple in two files is one flow). This table's
    /// limits stay.
    pub fn merge(&mut self, mut other: FlowTable) {
        // Move the smaller table into the larger.
        if other.flows.len() > self.flows.len() {
            std::mem::swap(&mut self.flows, &mut other.flows);
            std::mem::swap(&mut self.index, &mut other.index);
        }
        self.over_cap += other.over_cap;
        self.duplicates += other.duplicates;
        self.sealed += other.sealed;
        self.next_sweep_ns = self.next_sweep_ns.max(other.next_sweep_ns);
        self.flows.reserve(other.flows.len());
        for (key, state) in other.flows {
            let hash = key_hash(&key);
            match self.find(hash, &key) {
                Some(i) => {
                    if let Some((_, mine)) = self.flows.get_mut(i) {
                        mine.merge(&state);
                    }
                }
                None => {
                    self.insert(hash, key, state);
                }
            }
        }
    }

    /// Moves every flow's times by `delta_ns` (see `FlowState::shift_time`).
    pub fn shift_time(&mut self, delta_ns: i64) {
        if delta_ns == 0 {
            return;
        }
        for (_, f) in &mut self.flows {
            f.shift_time(delta_ns);
        }
        self.next_sweep_ns = self.next_sweep_ns.saturating_add(delta_ns);
    }

    pub fn into_flows(self) -> impl Iterator<Item = (FlowKey, FlowState)> {
        self.flows.into_iter()
    }

    /// Flows in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &(FlowKey, FlowState)> {
        self.flows.iter()
    }

    /// Flows in slot order, as a slice (for parallel walks).
    pub fn as_slice(&self) -> &[(FlowKey, FlowState)] {
        &self.flows
    }

    /// Slots ordered by first packet, then key: the report's order.
    pub fn slots_by_first_packet(&self) -> Vec<u32> {
        let mut keyed: Vec<(i64, &FlowKey, u32)> = self
            .flows
            .iter()
            .enumerate()
            .map(|(i, (k, s))| (s.first_ns(), k, i as u32))
            .collect();
        rayon::slice::ParallelSliceMut::par_sort_unstable(keyed.as_mut_slice());
        keyed.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The flow in `slot`.
    pub fn at(&self, slot: u32) -> Option<&(FlowKey, FlowState)> {
        self.flows.get(slot as usize)
    }

    pub fn get(&self, key: &FlowKey) -> Option<&FlowState> {
        let i = self.find(key_hash(key), key)?;
        self.flows.get(i).map(|(_, f)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpInfo;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    /// A UDP datagram with no payload (the flow table only counts it).
    fn empty_udp() -> TransportLayer<'static> {
        TransportLayer {
            protocol: 17,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload: &[],
        }
    }

    fn tcp(flags: u8) -> TransportLayer<'static> {
        TransportLayer {
            protocol: 6,
            src_port: 0,
            dst_port: 0,
            tcp: Some(TcpInfo { seq: 1, flags }),
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload: &[],
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn obs<'a>(
        src: Endpoint,
        dst: Endpoint,
        transport: &'a TransportLayer<'a>,
        link: &'a LinkInfo,
        point: PointId,
        ts_ns: i64,
        wire_len: u32,
        fragment: bool,
    ) -> Observation<'a> {
        Observation {
            src,
            dst,
            transport,
            link,
            point,
            ts_ns,
            wire_len,
            fragment,
        }
    }

    const P0: PointId = PointId {
        file: 0,
        interface: 0,
    };

    #[test]
    fn syn_sender_is_client_even_if_syn_ack_came_first() {
        let mut t = FlowTable::new();
        let link = LinkInfo::default();
        // The SYN-ACK from the higher endpoint is captured first (another tap's clock).
        t.update(&obs(
            ep(9, 443),
            ep(1, 5000),
            &tcp(tcp_flag::SYN | tcp_flag::ACK),
            &link,
            P0,
            100,
            60,
            false,
        ));
        t.update(&obs(
            ep(1, 5000),
            ep(9, 443),
            &tcp(tcp_flag::SYN),
            &link,
            P0,
            200,
            60,
            false,
        ));
        let (key, state) = t.into_flows().next().unwrap();
        let client = state.client_side(&key);
        assert_eq!(key.sender(client), ep(1, 5000));
        assert_eq!(state.sides[usize::from(client)].tcp_seen, seen::SYN);
        assert_eq!(state.sides[usize::from(1 - client)].tcp_seen, seen::SYN_ACK);
    }

    /// Issue 13: only the server's SYN-ACKs were captured (the one-sided or asymmetric case):
    /// their receiver is the client, whatever the ports.
    #[test]
    fn syn_ack_receiver_is_client_when_only_the_reply_was_captured() {
        let mut t = FlowTable::new();
        let link = LinkInfo::default();
        for ts in [100, 1_100] {
            t.update(&obs(
                ep(1, 8080),
                ep(9, 51000),
                &tcp(tcp_flag::SYN | tcp_flag::ACK),
                &link,
                P0,
                ts,
                60,
                false,
            ));
        }
        let (key, state) = t.into_flows().next().unwrap();
        assert_eq!(key.sender(state.client_side(&key)), ep(9, 51000));
    }

    /// Issue 13: a flow caught mid-way (no handshake) whose first packet came from the server:
    /// the end on a service port is the server.
    #[test]
    fn service_port_end_is_server_of_a_flow_caught_mid_way() {
        let link = LinkInfo::default();
        for (server, client) in [(ep(9, 443), ep(1, 43854)), (ep(1, 3479), ep(9, 50012))] {
            let mut t = FlowTable::new();
            t.update(&obs(
                server,
                client,
                &tcp(tcp_flag::ACK),
                &link,
                P0,
                100,
                60,
                false,
            ));
            t.update(&obs(
                client,
                server,
                &tcp(tcp_flag::ACK),
                &link,
                P0,
                200,
                60,
                false,
            ));
            let (key, state) = t.into_flows().next().unwrap();
            assert_eq!(key.sender(state.client_side(&key)), client);
        }
        // Both on service ports (SIP trunk 5060 <-> 5060): the first sender.
        let mut t = FlowTable::new();
        let udp = empty_udp();
        t.update(&obs(
            ep(9, 5060),
            ep(1, 5060),
            &udp,
            &link,
            P0,
            100,
            60,
            false,
        ));
        t.update(&obs(
            ep(1, 5060),
            ep(9, 5060),
            &udp,
            &link,
            P0,
            200,
            60,
            false,
        ));
        let (key, state) = t.into_flows().next().unwrap();
        assert_eq!(key.sender(state.client_side(&key)), ep(9, 5060));
    }

    #[test]
    fn service_ports() {
        for p in [53, 443, 1023, 3478, 3481, 5060, 5061] {
            assert!(is_service_port(p), "{p}");
        }
        for p in [1024, 3477, 3482, 5062, 50000] {
            assert!(!is_service_port(p), "{p}");
        }
    }

    #[test]
    fn first_sender_is_client_for_udp_and_sightings_are_grouped() {
        let mut t = FlowTable::new();
        let udp = empty_udp();
        // The next datagram (another IPv4 Identification): not a copy of the first.
        let next = TransportLayer { ip_id: 1, ..udp };
        let mut link = LinkInfo {
            vlan: Some(100),
            ..LinkInfo::default()
        };
        t.update(&obs(
            ep(9, 50020),
            ep(1, 50000),
            &udp,
            &link,
            P0,
            50,
            100,
            false,
        ));
        t.update(&obs(
            ep(9, 50020),
            ep(1, 50000),
            &next,
            &link,
            P0,
            60,
            100,
            false,
        ));
        link.vlan = Some(200);
        t.update(&obs(
            ep(1, 50000),
            ep(9, 50020),
            &udp,
            &link,
            P0,
            70,
            80,
            false,
        ));
        let (key, state) = t.into_flows().next().unwrap();
        let client = state.client_side(&key);
        assert_eq!(key.sender(client), ep(9, 50020));
        let cs = &state.sides[usize::from(client)];
        assert_eq!(
            (cs.packets, cs.bytes, cs.first_ns, cs.last_ns),
            (2, 200, 50, 60)
        );
        assert_eq!(cs.sightings.len(), 1);
        assert_eq!(cs.sightings.iter().next().unwrap().vlan, Some(100));
    }

    #[test]
    fn dscp_seen_is_a_bitmask_per_side_and_merges_with_or() {
        let link = LinkInfo::default();
        let marked = |dscp| TransportLayer {
            dscp,
            ip_id: 0,
            checksum: 0,
            ..empty_udp()
        };
        let (ef, be, af41) = (marked(46), marked(0), marked(34));
        let (a, b) = (ep(1, 50000), ep(2, 3478));
        let mut t = FlowTable::new();
        t.update(&obs(a, b, &ef, &link, P0, 10, 100, false));
        t.update(&obs(a, b, &be, &link, P0, 20, 100, false));
        t.update(&obs(a, b, &ef, &link, P0, 30, 100, false));
        t.update(&obs(b, a, &be, &link, P0, 40, 100, false));
        let (key, state) = t.iter().next().unwrap().clone();
        let side_of = |e: Endpoint| usize::from(key.sender(0) != e);
        assert_eq!(state.sides[side_of(a)].dscp_seen, 1 << 46 | 1);
        assert_eq!(state.sides[side_of(b)].dscp_seen, 1);
        // Another file or shard saw AF41 one way: the masks OR together.
        let mut other = FlowTable::new();
        other.update(&obs(b, a, &af41, &link, P0, 50, 100, false));
        other.update(&obs(a, b, &ef, &link, P0, 60, 100, false));
        t.merge(other);
        let (_, state) = t.iter().next().unwrap();
        assert_eq!(state.sides[side_of(a)].dscp_seen, 1 << 46 | 1);
        assert_eq!(state.sides[side_of(b)].dscp_seen, 1 << 34 | 1);
        // DSCP 63, the top bit; a value past 63 (only a hand-built observation) never panics.
        let mut top = FlowTable::new();
        top.update(&obs(a, b, &marked(63), &link, P0, 10, 100, false));
        top.update(&obs(a, b, &marked(200), &link, P0, 20, 100, false));
        let (_, state) = top.iter().next().unwrap();
        assert_eq!(state.sides[side_of(a)].dscp_seen & 1 << 63, 1 << 63);
    }

    #[test]
    fn merge_adds_counts_and_keeps_sightings_apart() {
        let udp = empty_udp();
        let link = LinkInfo::default();
        let mut a = FlowTable::new();
        a.update(&obs(ep(1, 1), ep(2, 2), &udp, &link, P0, 10, 10, false));
        let mut b = FlowTable::new();
        let p1 = PointId {
            file: 1,
            interface: 0,
        };
        b.update(&obs(ep(2, 2), ep(1, 1), &udp, &link, p1, 20, 10, false));
        b.update(&obs(ep(1, 1), ep(2, 2), &udp, &link, p1, 30, 10, false));
        a.merge(b);
        assert_eq!(a.len(), 1);
        let (k, s) = a.into_flows().next().unwrap();
        assert_eq!(s.sides[0].packets, 2);
        assert_eq!(s.sides[0].sightings.len(), 2);
        assert_eq!(s.sides[1].packets, 1);
        assert_eq!(s.client_side(&k), 0);
    }

    #[test]
    fn sightings_are_capped() {
        let udp = empty_udp();
        let mut t = FlowTable::new();
        for vlan in 0..20 {
            let link = LinkInfo {
                vlan: Some(vlan),
                ..LinkInfo::default()
            };
            t.update(&obs(ep(1, 1), ep(2, 2), &udp, &link, P0, 1, 1, false));
        }
        let (_, s) = t.into_flows().next().unwrap();
        assert_eq!(s.sides[0].sightings.len(), MAX_SIGHTINGS_PER_SIDE);
        assert_eq!(
            s.sides[0].sightings_overflow,
            20 - MAX_SIGHTINGS_PER_SIDE as u64
        );
    }

    #[test]
    fn flows_beyond_the_cap_are_counted_not_kept() {
        let udp = empty_udp();
        let link = LinkInfo::default();
        let mut t = FlowTable::with_cap(2);
        for i in 1..=4 {
            t.update(&obs(ep(i, 1), ep(9, 2), &udp, &link, P0, 1, 1, false));
        }
        // Known flows still count when the table is full.
        t.update(&obs(ep(9, 2), ep(1, 1), &udp, &link, P0, 2, 1, false));
        assert_eq!(t.len(), 2);
        assert_eq!(t.over_cap(), 2);
    }

    #[test]
    fn a_reserved_index_holds_the_same_flows_and_stays_within_the_cap() {
        let udp = empty_udp();
        let link = LinkInfo::default();
        let fill = |t: &mut FlowTable| {
            for i in 1..=200u8 {
                t.update(&obs(ep(i, 1), ep(9, 2), &udp, &link, P0, 1, 1, false));
                t.update(&obs(ep(9, 2), ep(i / 2, 1), &udp, &link, P0, 2, 1, false));
            }
        };
        let mut plain = FlowTable::new();
        let mut reserved = FlowTable::new();
        reserved.reserve_index(10_000);
        assert!(reserved.index.capacity() >= 10_000);
        fill(&mut plain);
        fill(&mut reserved);
        let text = |t: &FlowTable| {
            format!(
                "{:?}",
                t.iter().map(|(k, s)| (k, &s.sides)).collect::<Vec<_>>()
            )
        };
        assert_eq!(text(&plain), text(&reserved));
        // A capped table reserves no more than its cap.
        let mut small = FlowTable::with_cap(8);
        small.reserve_index(1 << 20);
        assert!(small.index.capacity() < 1000);
    }

    // ---- idle sealing (issue 5) ----

    const S: i64 = 1_000_000_000;
    const ISN: u32 = 0x1000;
    /// The ClientHello client and the server of the TLS flows below.
    const CLIENT: u8 = 1;
    const SERVER: u8 = 9;

    fn client_hello() -> Vec<u8> {
        crate::proto::tests::hex(crate::proto::tls::tests::TEAMS_CH)
    }

    fn tcp_seg(seq: u32, flags: u8, payload: &[u8]) -> TransportLayer<'_> {
        TransportLayer {
            protocol: 6,
            src_port: 50000,
            dst_port: 443,
            tcp: Some(TcpInfo { seq, flags }),
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload,
        }
    }

    fn udp_dgram(payload: &[u8]) -> TransportLayer<'_> {
        TransportLayer {
            protocol: 17,
            src_port: 50000,
            dst_port: 3478,
            tcp: None,
            dscp: 0,
            ip_id: 0,
            checksum: 0,
            payload,
        }
    }

    fn rtp(seq: u16) -> Vec<u8> {
        let mut v = vec![0x80, 111];
        v.extend_from_slice(&seq.to_be_bytes());
        v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
        v.extend_from_slice(&0x1111_u32.to_be_bytes());
        v.extend_from_slice(&[0xAB; 40]);
        v
    }

    /// One packet from `src` to `dst`, seen at P0.
    fn send(t: &mut FlowTable, src: Endpoint, dst: Endpoint, tr: &TransportLayer<'_>, ts: i64) {
        let link = LinkInfo::default();
        let len = 60 + tr.payload.len() as u32;
        t.update(&obs(src, dst, tr, &link, P0, ts, len, false));
    }

    /// The client's SYN and the first 100 bytes of its ClientHello at `ts`.
    fn start_split_hello(t: &mut FlowTable, ch: &[u8], ts: i64) {
        let (c, s) = (ep(CLIENT, 50000), ep(SERVER, 443));
        send(t, c, s, &tcp_seg(ISN, tcp_flag::SYN, &[]), ts);
        send(
            t,
            c,
            s,
            &tcp_seg(ISN + 1, tcp_flag::ACK, &ch[..100]),
            ts + 1,
        );
    }

    /// Another flow's packet: only moves the table's clock.
    fn tick(t: &mut FlowTable, ts: i64) {
        send(t, ep(2, 1000), ep(3, 2000), &udp_dgram(&[]), ts);
    }

    fn tls_key() -> FlowKey {
        FlowKey::new(6, ep(CLIENT, 50000), ep(SERVER, 443)).0
    }

    fn summary(t: &FlowTable, key: &FlowKey) -> proto::AppSummary {
        let f = t.get(key).unwrap();
        f.app.summary(f.client_side(key))
    }

    #[test]
    fn flow_state_does_not_grow() {
        // The first sighting of each side is inline (a heap vector per side was one more
        // cache miss per packet) and sightings count no bytes (never reported). Any growth is
        // paid by every flow of a million-flow capture: the 32 bytes of the sides' segment
        // shapes (issue 14, media over TLS), then the 16 bytes of the sides' DSCP bitmasks
        // (issue 16: a `Side` had 3 bytes of padding, not 8), then the 8 bytes of the pointer
        // to a media flow's stream figures (issue 16, see `proto::state::rtp::RtpState`) are
        // then the 16 bytes of each side's last packet identity (issue 17: SPAN duplicates)
        // are the last that went in.
        assert_eq!(std::mem::size_of::<FlowState>(), 472);
    }

    #[test]
    fn an_idle_partial_client_hello_is_freed_and_counted() {
        let ch = client_hello();
        let mut t = FlowTable::new();
        start_split_hello(&mut t, &ch, 0);
        assert_eq!(t.transient_bytes(), 100);
        tick(&mut t, 121 * S);
        assert_eq!(t.transient_bytes(), 0);
        assert_eq!(t.sealed(), 1);
        assert!(t.get(&tls_key()).unwrap().is_sealed());
        let s = summary(&t, &tls_key());
        assert_eq!(s.counters.caps_hit, 1, "the lost hello is reported");
        assert_eq!(s.sni, None);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn sealing_leaves_classified_flows_as_they_were() {
        let ch = client_hello();
        let mut t = FlowTable::new();
        let (c, s) = (ep(CLIENT, 50000), ep(SERVER, 443));
        send(&mut t, c, s, &tcp_seg(ISN, tcp_flag::SYN, &[]), 0);
        send(
            &mut t,
            s,
            c,
            &tcp_seg(77, tcp_flag::SYN | tcp_flag::ACK, &[]),
            1,
        );
        send(&mut t, c, s, &tcp_seg(ISN + 1, tcp_flag::ACK, &ch), 2);
        let (m, r) = (ep(4, 50010), ep(5, 3480));
        for i in 0..6 {
            send(&mut t, m, r, &udp_dgram(&rtp(100 + i)), 3 + i64::from(i));
        }
        let media = FlowKey::new(17, m, r).0;
        let before = [summary(&t, &tls_key()), summary(&t, &media)];
        assert_eq!(before[0].sni.as_deref(), Some("teams.microsoft.com"));
        assert_eq!(before[1].app, proto::App::Rtp);
        tick(&mut t, 200 * S);
        assert_eq!(t.sealed(), 2);
        assert!(t.get(&media).unwrap().is_sealed());
        assert_eq!([summary(&t, &tls_key()), summary(&t, &media)], before);
    }

    #[test]
    fn a_flow_resuming_after_sealing_is_still_one_flow() {
        let mut t = FlowTable::new();
        let (m, r) = (ep(4, 50010), ep(5, 3480));
        for i in 0..5 {
            send(&mut t, m, r, &udp_dgram(&rtp(100 + i)), i64::from(i));
        }
        tick(&mut t, 130 * S);
        assert_eq!(t.sealed(), 1);
        for i in 5..8 {
            send(
                &mut t,
                m,
                r,
                &udp_dgram(&rtp(100 + i)),
                140 * S + i64::from(i),
            );
        }
        send(&mut t, r, m, &udp_dgram(&rtp(7)), 141 * S);
        assert_eq!(t.len(), 2);
        let key = FlowKey::new(17, m, r).0;
        let f = t.get(&key).unwrap();
        assert!(!f.is_sealed(), "a packet clears the bit");
        let side = usize::from(u8::from(key.sender(0) != m));
        assert_eq!(f.sides[side].packets, 8);
        assert_eq!(f.sides[1 - side].packets, 1);
        assert_eq!((f.first_ns(), f.last_ns()), (0, 141 * S));
        assert_eq!(f.app.app(), proto::App::Rtp);
        // Sealed again once idle again: a second seal event for the same flow.
        tick(&mut t, 300 * S);
        assert_eq!(t.sealed(), 3);
    }

    #[test]
    fn a_client_hello_after_sealing_is_parsed() {
        let ch = client_hello();
        let (c, s) = (ep(CLIENT, 50000), ep(SERVER, 443));
        // Retransmitted whole after the partial one was given up.
        let mut t = FlowTable::new();
        start_split_hello(&mut t, &ch, 0);
        tick(&mut t, 125 * S);
        assert_eq!(t.sealed(), 1);
        send(&mut t, c, s, &tcp_seg(ISN + 1, tcp_flag::ACK, &ch), 126 * S);
        let got = summary(&t, &tls_key());
        assert_eq!(got.sni.as_deref(), Some("teams.microsoft.com"));
        assert_eq!(got.counters.caps_hit, 1);
        assert_eq!(t.len(), 2);
        // Retransmitted split: a new reassembly starts and completes.
        let mut t = FlowTable::new();
        start_split_hello(&mut t, &ch, 0);
        tick(&mut t, 125 * S);
        send(
            &mut t,
            c,
            s,
            &tcp_seg(ISN + 1, tcp_flag::ACK, &ch[..100]),
            126 * S,
        );
        assert_eq!(t.transient_bytes(), 100);
        send(
            &mut t,
            c,
            s,
            &tcp_seg(ISN + 101, tcp_flag::ACK, &ch[100..]),
            127 * S,
        );
        assert_eq!(t.transient_bytes(), 0);
        let got = summary(&t, &tls_key());
        assert_eq!(got.sni.as_deref(), Some("teams.microsoft.com"));
        let f = t.get(&tls_key()).unwrap();
        assert_eq!(f.sides[0].packets + f.sides[1].packets, 4);
    }

    #[test]
    fn timestamps_going_backwards_neither_sweep_nor_seal_active_flows() {
        let ch = client_hello();
        let mut t = FlowTable::new();
        // The first packet sweeps an empty table; the next sweep is due at 230 s.
        start_split_hello(&mut t, &ch, 200 * S);
        // Another interface's clock, minutes behind, then catching up to just before 230 s:
        // the latest time seen advanced by less than half the timeout.
        for ts in [0, 100 * S, 10 * S, 150 * S, 229 * S, 50 * S] {
            tick(&mut t, ts);
        }
        assert_eq!((t.sealed(), t.transient_bytes()), (0, 100));
        // A sweep at 260 s seals nothing that moved since 140 s.
        tick(&mut t, 260 * S);
        assert_eq!((t.sealed(), t.transient_bytes()), (0, 100));
        // 321 s: the hello's flow has been silent for 121 s.
        tick(&mut t, 321 * S);
        assert_eq!((t.sealed(), t.transient_bytes()), (1, 0));
    }

    /// Whether or not a sweep fell into a flow's silence, its report is the same (a file
    /// read with any number of shards sweeps at different times).
    #[test]
    fn sealing_in_a_silence_changes_no_report() {
        let ch = client_hello();
        let (c, s) = (ep(CLIENT, 50000), ep(SERVER, 443));
        for gap in [100 * S, 150 * S, 400 * S] {
            let run = |clock: bool| {
                let mut t = FlowTable::new();
                start_split_hello(&mut t, &ch, 0);
                if clock {
                    for i in 1..=gap / (10 * S) {
                        tick(&mut t, i * 10 * S);
                    }
                }
                send(
                    &mut t,
                    c,
                    s,
                    &tcp_seg(ISN + 101, tcp_flag::ACK, &ch[100..]),
                    gap,
                );
                (summary(&t, &tls_key()), t.transient_bytes())
            };
            assert_eq!(run(true), run(false), "gap {gap}");
            let got = run(false).0;
            assert_eq!(got.sni.is_some(), gap <= tls::REASM_MAX_GAP_NS, "gap {gap}");
        }
    }

    #[test]
    fn sealed_flows_merge_like_any_other() {
        let ch = client_hello();
        let (m, r) = (ep(4, 50010), ep(5, 3480));
        let mut a = FlowTable::with_limits(100, 10 * S);
        for i in 0..5 {
            send(&mut a, m, r, &udp_dgram(&rtp(100 + i)), i64::from(i));
        }
        start_split_hello(&mut a, &ch, 1);
        tick(&mut a, 20 * S);
        assert_eq!(a.sealed(), 2);
        let mut b = FlowTable::with_limits(100, NO_IDLE_TIMEOUT);
        for i in 5..8 {
            send(
                &mut b,
                m,
                r,
                &udp_dgram(&rtp(100 + i)),
                30 * S + i64::from(i),
            );
        }
        start_split_hello(&mut b, &ch, 30 * S);
        tick(&mut b, 31 * S);
        tick(&mut b, 32 * S);
        let mut extra = FlowTable::new();
        tick(&mut extra, 0);
        // The larger table moves into `b`: `b`'s idle timeout stays.
        b.merge(a);
        b.merge(extra);
        assert_eq!(b.sealed(), 2);
        assert_eq!(b.len(), 3);
        let f = b.get(&FlowKey::new(17, m, r).0).unwrap();
        assert_eq!(f.sides[0].packets + f.sides[1].packets, 8);
        assert_eq!(f.app.app(), proto::App::Rtp);
        // `a`'s hello was given up when sealed; `b`'s is still pending.
        assert_eq!(b.transient_bytes(), 100);
        assert_eq!(summary(&b, &tls_key()).counters.caps_hit, 2);
        tick(&mut b, 1000 * S);
        assert_eq!(b.sealed(), 2, "merged table keeps NO_IDLE_TIMEOUT");
    }

    /// One random packet: flow (0..3 UDP, 3..6 TCP), direction, time step, payload choice.
    type Step = (u8, bool, i64, u8, Vec<u8>);

    fn arb_step() -> impl Strategy<Value = Step> {
        (
            0u8..6,
            any::<bool>(),
            prop_oneof![
                4 => 0..2 * S,
                2 => 20 * S..200 * S,
                1 => -30 * S..0,
            ],
            0u8..8,
            proptest::collection::vec(any::<u8>(), 0..40),
        )
    }

    fn play(
        t: &mut FlowTable,
        steps: &[Step],
        ch: &[u8],
        mut seen: impl FnMut(&FlowTable, FlowKey),
    ) {
        let mut ts = 1_700_000_000 * S;
        let mut rtp_seq = [0u16; 6];
        for (flow, fwd, step, kind, junk) in steps {
            ts += step;
            let (a, b) = (ep(10 + flow, 40000), ep(20, 3478 + u16::from(*flow)));
            let (src, dst) = if *fwd { (a, b) } else { (b, a) };
            let slot = &mut rtp_seq[usize::from(*flow)];
            *slot = slot.wrapping_add(1);
            let rtp_pkt = rtp(*slot);
            let tr = if *flow < 3 {
                udp_dgram(match kind {
                    0..=3 => &rtp_pkt,
                    4 => &[],
                    _ => junk,
                })
            } else {
                match kind {
                    0 => tcp_seg(ISN, tcp_flag::SYN, &[]),
                    1 => tcp_seg(ISN + 1, tcp_flag::ACK, ch),
                    2 => tcp_seg(ISN + 1, tcp_flag::ACK, &ch[..100]),
                    3 => tcp_seg(ISN + 101, tcp_flag::ACK, &ch[100..]),
                    4 => tcp_seg(ISN + 1 + 300, tcp_flag::ACK, junk),
                    5 => tcp_seg(ISN + 1, tcp_flag::ACK, junk),
                    _ => tcp_seg(ISN + 1, tcp_flag::ACK, &[]),
                }
            };
            send(t, src, dst, &tr, ts);
            seen(t, FlowKey::new(tr.protocol, src, dst).0);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Sealing changes no count, and nothing at all about flows that never had a
        /// reassembly in progress.
        #[test]
        fn sealing_changes_no_counts_and_no_classification(
            steps in proptest::collection::vec(arb_step(), 0..80),
            idle in prop_oneof![Just(S), Just(60 * S), Just(DEFAULT_IDLE_TIMEOUT_NS)],
        ) {
            let ch = client_hello();
            let mut plain = FlowTable::with_limits(100, NO_IDLE_TIMEOUT);
            let mut reasm = std::collections::HashSet::new();
            play(&mut plain, &steps, &ch, |t, k| {
                if t.get(&k).is_some_and(|f| f.app.reassembling()) {
                    reasm.insert(k);
                }
            });
            let mut sealing = FlowTable::with_limits(100, idle);
            play(&mut sealing, &steps, &ch, |_, _| {});
            prop_assert_eq!(plain.sealed(), 0);
            prop_assert_eq!(plain.len(), sealing.len());
            for ((k, p), (k2, s)) in plain.iter().zip(sealing.iter()) {
                prop_assert_eq!(k, k2);
                for (x, y) in p.sides.iter().zip(&s.sides) {
                    prop_assert_eq!(
                        (x.packets, x.bytes, x.first_ns, x.last_ns, &x.sightings),
                        (y.packets, y.bytes, y.first_ns, y.last_ns, &y.sightings)
                    );
                }
                if !reasm.contains(k) {
                    prop_assert_eq!(p.app.app(), s.app.app());
                    prop_assert_eq!(p.app.summary(0), s.app.summary(0));
                }
            }
        }
    }

    #[test]
    fn a_copy_at_the_same_place_right_after_is_a_duplicate() {
        let link = LinkInfo {
            vlan: Some(100),
            ..LinkInfo::default()
        };
        let datagram = |ip_id: u16| TransportLayer {
            ip_id,
            checksum: 0x1234,
            ..empty_udp()
        };
        let (a, b) = (ep(1, 50000), ep(2, 3478));
        let routed = LinkInfo {
            vlan: Some(200),
            ..link
        };
        let mut t = FlowTable::new();
        let mut send = |(src, dst): (Endpoint, Endpoint), ip_id, link: &LinkInfo, ts_ns| {
            t.update(&obs(
                src,
                dst,
                &datagram(ip_id),
                link,
                P0,
                ts_ns,
                100,
                false,
            ));
        };
        // A SPAN copy 3 us later: dropped.
        send((a, b), 7, &link, 1_000);
        send((a, b), 7, &link, 4_000);
        // The same bytes 10 ms later: not a copy (a retransmission comes that late).
        send((a, b), 7, &link, 10_004_000);
        // The same packet on another VLAN of the same trunk: another place, kept.
        send((a, b), 7, &routed, 10_005_000);
        // The next datagram right after: kept.
        send((a, b), 8, &routed, 10_006_000);
        // The other direction is its own.
        send((b, a), 8, &routed, 10_006_001);
        assert_eq!(t.take_duplicates(), 1);
        assert_eq!(t.take_duplicates(), 0);
        let (_, state) = t.iter().next().unwrap();
        assert_eq!(state.sides[0].packets + state.sides[1].packets, 5);
    }
}
