//! The bidirectional flow table: per 5-tuple, per side, what was seen and where.

use std::hash::Hasher;
use std::net::IpAddr;

use hashbrown::HashTable;
use rustc_hash::FxHasher;

use super::key::{Endpoint, FlowKey};
use crate::decode::{tcp_flag, LinkInfo, Transport, IPPROTO_TCP};
use crate::proto::{self, AppState, Payload};

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
    pub bytes: u64,
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
    pub sightings: Vec<Sighting>,
    pub sightings_overflow: u64,
}

impl Side {
    fn record(&mut self, ts_ns: i64, wire_len: u32, point: PointId, link: &LinkInfo) {
        if self.packets == 0 {
            self.first_ns = ts_ns;
            self.last_ns = ts_ns;
        } else {
            self.first_ns = self.first_ns.min(ts_ns);
            self.last_ns = self.last_ns.max(ts_ns);
        }
        self.packets += 1;
        self.bytes += u64::from(wire_len);
        if let Some(s) = self
            .sightings
            .iter_mut()
            .find(|s| s.same_place(point, link))
        {
            s.packets += 1;
            s.bytes += u64::from(wire_len);
        } else if self.sightings.len() < MAX_SIGHTINGS_PER_SIDE {
            // Most sides are seen at one place: allocate for one, not Vec's default four.
            self.sightings.reserve_exact(1);
            self.sightings.push(Sighting {
                point,
                ifindex: link.ifindex,
                vlan: link.vlan,
                src_mac: link.src_mac,
                dst_mac: link.dst_mac,
                sll_packet_type: link.sll_packet_type,
                packets: 1,
                bytes: u64::from(wire_len),
            });
        } else {
            self.sightings_overflow += 1;
        }
    }

    fn merge(&mut self, other: &Side) {
        if other.packets == 0 {
            return;
        }
        if self.packets == 0 {
            self.first_ns = other.first_ns;
            self.last_ns = other.last_ns;
        } else {
            self.first_ns = self.first_ns.min(other.first_ns);
            self.last_ns = self.last_ns.max(other.last_ns);
        }
        self.packets += other.packets;
        self.bytes += other.bytes;
        self.first_syn_ns = match (self.first_syn_ns, other.first_syn_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.tcp_seen |= other.tcp_seen;
        self.sightings_overflow += other.sightings_overflow;
        for o in &other.sightings {
            let place = LinkInfo {
                vlan: o.vlan,
                src_mac: o.src_mac,
                dst_mac: o.dst_mac,
                ifindex: o.ifindex,
                sll_packet_type: o.sll_packet_type,
            };
            if let Some(s) = self
                .sightings
                .iter_mut()
                .find(|s| s.same_place(o.point, &place))
            {
                s.packets += o.packets;
                s.bytes += o.bytes;
            } else if self.sightings.len() < MAX_SIGHTINGS_PER_SIDE {
                self.sightings.push(*o);
            } else {
                self.sightings_overflow += o.packets;
            }
        }
    }
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
    /// The side that is the client: the sender of the earliest SYN without ACK for TCP, else
    /// the sender of the earliest packet (SPEC "JSON report": `client`). Ties go to side 0.
    pub fn client_side(&self) -> u8 {
        let [s0, s1] = &self.sides;
        match (s0.first_syn_ns, s1.first_syn_ns) {
            (Some(a), Some(b)) => return u8::from(b < a),
            (Some(_), None) => return 0,
            (None, Some(_)) => return 1,
            (None, None) => {}
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
    pub transport: &'a Transport<'a>,
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
    for ip in [key.a.ip, key.b.ip] {
        match ip {
            IpAddr::V4(v4) => h.write_u32(u32::from(v4)),
            IpAddr::V6(v6) => h.write_u128(u128::from(v6)),
        }
    }
    h.finish()
}

/// Flows one table keeps by default; packets of further new flows are counted in
/// `FlowTable::over_cap` (a reported event), not tracked. About 0.5 KB per flow in the table.
pub const DEFAULT_MAX_FLOWS: usize = 8_000_000;

/// The flow table of one reader (one file or one shard of a file).
///
/// Flows live densely in a vector; a hash index maps each key to its slot. A hash map holding
/// the flows themselves would leave up to half of its power-of-two buckets empty, each as large
/// as a flow (~320 bytes): with a million flows, a third of a gigabyte of nothing. The index
/// holds only 4-byte slots (the key is compared in the vector, next to the state the packet
/// updates anyway), so it stays in cache: one cache miss per packet fewer.
pub struct FlowTable {
    flows: Vec<(FlowKey, FlowState)>,
    index: HashTable<u32>,
    max_flows: usize,
    /// Packets of new flows not tracked because the table held `max_flows` flows.
    over_cap: u64,
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
        FlowTable {
            flows: Vec::new(),
            index: HashTable::new(),
            // Slots are u32.
            max_flows: max_flows.min(u32::MAX as usize),
            over_cap: 0,
        }
    }

    /// Packets of new flows dropped because the table was full.
    pub fn over_cap(&self) -> u64 {
        self.over_cap
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
        s.record(ts_ns, wire_len, point, link);
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
        }
        flow.app.observe(&Payload {
            transport: if transport.protocol == IPPROTO_TCP {
                proto::Transport::Tcp
            } else {
                proto::Transport::Udp
            },
            side,
            src_port: transport.src_port,
            dst_port: transport.dst_port,
            tcp_seq: transport.tcp.map(|t| t.seq),
            tcp_syn,
            ts_ns,
            data: transport.payload,
        });
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
        let next = self.flows.len();
        if next >= self.max_flows {
            return None;
        }
        let flows = &self.flows;
        self.index.insert_unique(hash, next as u32, |&i| {
            flows.get(i as usize).map_or(0, |(k, _)| key_hash(k))
        });
        self.flows.push((key, state));
        Some(next)
    }

    /// Adds another table's flows (the same 5-tuple in two files is one flow).
    pub fn merge(&mut self, mut other: FlowTable) {
        self.over_cap += other.over_cap;
        // Move the smaller table into the larger.
        if other.flows.len() > self.flows.len() {
            std::mem::swap(self, &mut other);
            self.over_cap += other.over_cap;
            other.over_cap = 0;
        }
        // Merged flows are not capped: they were accounted by the other table already.
        self.max_flows = self.max_flows.max(self.flows.len() + other.flows.len());
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
                    self.push(hash, key, state);
                }
            }
        }
    }

    pub fn into_flows(self) -> impl Iterator<Item = (FlowKey, FlowState)> {
        self.flows.into_iter()
    }

    /// Flows in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &(FlowKey, FlowState)> {
        self.flows.iter()
    }

    /// Slots ordered by first packet, then key: the report's order.
    pub fn slots_by_first_packet(&self) -> Vec<u32> {
        let mut keyed: Vec<(i64, &FlowKey, u32)> = self
            .flows
            .iter()
            .enumerate()
            .map(|(i, (k, s))| (s.first_ns(), k, i as u32))
            .collect();
        keyed.sort_unstable();
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
    use std::net::{IpAddr, Ipv4Addr};

    fn ep(last: u8, port: u16) -> Endpoint {
        Endpoint {
            ip: IpAddr::V4(Ipv4Addr::new(10, 0, 0, last)),
            port,
        }
    }

    fn tcp(flags: u8) -> Transport<'static> {
        Transport {
            protocol: 6,
            src_port: 0,
            dst_port: 0,
            tcp: Some(TcpInfo { seq: 1, flags }),
            payload: &[],
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn obs<'a>(
        src: Endpoint,
        dst: Endpoint,
        transport: &'a Transport<'a>,
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
        let client = state.client_side();
        assert_eq!(key.sender(client), ep(1, 5000));
        assert_eq!(state.sides[usize::from(client)].tcp_seen, seen::SYN);
        assert_eq!(state.sides[usize::from(1 - client)].tcp_seen, seen::SYN_ACK);
    }

    #[test]
    fn first_sender_is_client_for_udp_and_sightings_are_grouped() {
        let mut t = FlowTable::new();
        let udp = Transport {
            protocol: 17,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            payload: &[],
        };
        let mut link = LinkInfo {
            vlan: Some(100),
            ..LinkInfo::default()
        };
        t.update(&obs(
            ep(9, 3478),
            ep(1, 50000),
            &udp,
            &link,
            P0,
            50,
            100,
            false,
        ));
        t.update(&obs(
            ep(9, 3478),
            ep(1, 50000),
            &udp,
            &link,
            P0,
            60,
            100,
            false,
        ));
        link.vlan = Some(200);
        t.update(&obs(
            ep(1, 50000),
            ep(9, 3478),
            &udp,
            &link,
            P0,
            70,
            80,
            false,
        ));
        let (key, state) = t.into_flows().next().unwrap();
        let client = state.client_side();
        assert_eq!(key.sender(client), ep(9, 3478));
        let cs = &state.sides[usize::from(client)];
        assert_eq!(
            (cs.packets, cs.bytes, cs.first_ns, cs.last_ns),
            (2, 200, 50, 60)
        );
        assert_eq!(cs.sightings.len(), 1);
        assert_eq!(cs.sightings[0].vlan, Some(100));
    }

    #[test]
    fn merge_adds_counts_and_keeps_sightings_apart() {
        let udp = Transport {
            protocol: 17,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            payload: &[],
        };
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
        let (_, s) = a.into_flows().next().unwrap();
        assert_eq!(s.sides[0].packets, 2);
        assert_eq!(s.sides[0].sightings.len(), 2);
        assert_eq!(s.sides[1].packets, 1);
        assert_eq!(s.client_side(), 0);
    }

    #[test]
    fn sightings_are_capped() {
        let udp = Transport {
            protocol: 17,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            payload: &[],
        };
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
        let udp = Transport {
            protocol: 17,
            src_port: 0,
            dst_port: 0,
            tcp: None,
            payload: &[],
        };
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
}
