//! Application protocol recognition: what each TCP/UDP payload is, and what a flow is as a
//! whole (`App`), with the evidence kept for the report (SNI, STUN addresses, SSRCs, SIP
//! Call-IDs and SDP media).
//!
//! One file per protocol (`stun`, `rtp`, `dtls`, `tls`, `sip`, `dns`), each a cheap `probe()`
//! plus a borrowing `parse()`. This file owns the per-flow state (`AppState`): small inline
//! counters for every flow, and a boxed `Heavy` part allocated only once a probe matched.
//! `evidence` is what the report gets; every list and buffer is capped (`caps`), and hitting
//! a cap is counted in `AppCounters::caps_hit`.
//! `AppState::seal` drops the transient parse state of a flow gone idle (issue 5).

pub mod dns;
pub mod dtls;
pub mod rtp;
pub mod sip;
pub mod stun;
pub mod tls;

mod caps;
mod evidence;

use std::net::SocketAddr;

use caps::{cut, push_capped, push_str_capped};
pub use caps::{
    MAX_ALPN, MAX_CALL_IDS, MAX_DTLS_DATAGRAMS, MAX_PAYLOAD_TYPES, MAX_SDP_MEDIA, MAX_SIP_MESSAGES,
    MAX_SIP_METHODS, MAX_SIP_PER_SEGMENT, MAX_SIP_STATUS, MAX_SSRCS, MAX_STRING,
    MAX_STUN_ADDRESSES, MAX_STUN_MESSAGES, MAX_TLS_VERSIONS, MAX_UNMATCHED,
};
pub use evidence::{
    App, AppCounters, AppSummary, Evidence, SdpMedia, SipSummary, StunAddress, StunAddressKind,
};

pub use crate::decode::Transport;

/// One TCP/UDP payload of one packet, borrowed from the capture buffer.
#[derive(Clone, Copy, Debug)]
pub struct Payload<'a> {
    pub transport: Transport,
    /// 0 or 1: which side of the flow sent it, in the flow table's canonical orientation
    /// (side 0 = the endpoint with the smaller (ip, port)); NOT necessarily the client.
    pub side: u8,
    pub src_port: u16,
    pub dst_port: u16,
    /// TCP sequence number of the first payload byte (None for UDP).
    pub tcp_seq: Option<u32>,
    /// TCP SYN flag set on this segment (so the ISN+1 is where data starts).
    pub tcp_syn: bool,
    pub ts_ns: i64,
    /// May be empty (pure ACKs are passed too).
    pub data: &'a [u8],
}

/// RTP: consecutive packets of one SSRC, sequence advancing by 1..=RTP_MAX_SEQ_STEP, needed
/// before a flow is called RTP.
pub const RTP_MIN_RUN: u8 = 4;
pub const RTP_MAX_SEQ_STEP: u16 = 16;

// ---- per-flow state ---------------------------------------------------------------------

mod flag {
    pub const SYN0: u32 = 1 << 0;
    pub const SYN1: u32 = 1 << 1;
    /// The side's stream start has been seen (TLS or not decided).
    pub const START0: u32 = 1 << 2;
    pub const START1: u32 = 1 << 3;
    pub const CLIENT_HELLO: u32 = 1 << 4;
    pub const SERVER_HELLO: u32 = 1 << 5;
    pub const MS_TURN: u32 = 1 << 6;
    pub const RTP: u32 = 1 << 7;
    /// An exact RTCP compound of two or more packets.
    pub const RTCP_COMPOUND: u32 = 1 << 8;
    /// The same RTCP sender SSRC seen twice.
    pub const RTCP_REPEAT: u32 = 1 << 9;
    pub const GIVEN_UP: u32 = 1 << 10;
    pub const DONE: u32 = 1 << 11;
    /// A ClientHello reassembly is pending (`Heavy::reasm` holds one): checked per packet
    /// without touching the heap.
    pub const REASM: u32 = 1 << 12;
    /// Sealed (`AppState::seal`) and no packet since.
    pub const SEALED: u32 = 1 << 13;
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RtpSlot {
    ssrc: u32,
    seq: u16,
    run: u8,
    pt: u8,
}

/// Evidence that needs the heap; allocated only when a probe matched.
#[derive(Clone, Debug, Default)]
struct Heavy {
    sni: Option<String>,
    alpn: Vec<String>,
    tls_versions: Vec<u16>,
    stun_addresses: Vec<StunAddress>,
    /// (side, ssrc)
    ssrcs: Vec<(u8, u32)>,
    pts: Vec<u8>,
    // The rare parts boxed on their own: every TLS flow allocates this struct, a few flows
    // are SIP or have a ClientHello pending.
    sip: Option<Box<SipSummary>>,
    /// Per side, a ClientHello being reassembled; the box goes when none is pending.
    reasm: Option<Box<[Option<tls::Reassembly>; 2]>>,
}

impl Heavy {
    /// Gives back spare capacity: a sealed flow may stay in the table for hours.
    fn shrink(&mut self) {
        if let Some(s) = &mut self.sni {
            s.shrink_to_fit();
        }
        self.alpn.shrink_to_fit();
        self.tls_versions.shrink_to_fit();
        self.stun_addresses.shrink_to_fit();
        self.ssrcs.shrink_to_fit();
        self.pts.shrink_to_fit();
        if let Some(s) = &mut self.sip {
            s.call_ids.shrink_to_fit();
            s.methods.shrink_to_fit();
            s.status_codes.shrink_to_fit();
            s.sdp_media.shrink_to_fit();
        }
    }

    fn is_empty(&self) -> bool {
        self.sni.is_none()
            && self.alpn.is_empty()
            && self.tls_versions.is_empty()
            && self.stun_addresses.is_empty()
            && self.ssrcs.is_empty()
            && self.pts.is_empty()
            && self.sip.is_none()
            && self.reasm.is_none()
    }
}

/// Per-flow protocol evidence (see the module doc). `size_of::<AppState>()` is 88 bytes.
#[derive(Default, Clone, Debug)]
pub struct AppState {
    flags: u32,
    /// Two SSRC tracking slots per side.
    rtp: [[RtpSlot; 2]; 2],
    rtcp_ssrc: u32,
    rtcp_pkts: u16,
    stun_msgs: u16,
    stun_classic: u16,
    relayed: u16,
    dtls_datagrams: u16,
    dtls_handshakes: u16,
    tls_records: u16,
    sip_msgs: u16,
    dns_msgs: u16,
    unmatched: u16,
    /// ISN+1 per side (valid when the side's SYN flag is set).
    tcp_next: [u32; 2],
    counters: AppCounters,
    heavy: Option<Box<Heavy>>,
}

impl AppState {
    fn has(&self, f: u32) -> bool {
        self.flags & f != 0
    }

    fn heavy(&mut self) -> &mut Heavy {
        self.heavy.get_or_insert_with(Box::default)
    }

    fn error(&mut self) {
        self.counters.parse_errors = self.counters.parse_errors.saturating_add(1);
    }

    fn message(&mut self) {
        self.counters.messages = self.counters.messages.saturating_add(1);
    }

    fn stun_seen(&self) -> bool {
        self.stun_msgs > 0 || self.stun_classic > 0
    }

    /// The flow's application, from the evidence so far (see the crate SPEC, "app").
    pub fn app(&self) -> App {
        if self.has(flag::RTP) {
            App::Rtp
        } else if self.rtcp_pkts >= 2 && self.has(flag::RTCP_COMPOUND | flag::RTCP_REPEAT) {
            App::Rtcp
        } else if self.dtls_handshakes > 0 || self.dtls_datagrams >= 2 {
            // ICE then DTLS (a WebRTC data channel, or DTLS-SRTP keying before media): the
            // flow is `stun` only when nothing else follows.
            App::Dtls
        } else if self.stun_msgs > 0
            || self.stun_classic >= 2
            || (self.stun_classic > 0 && self.has(flag::MS_TURN))
        {
            App::Stun
        } else if self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO) || self.tls_records >= 2 {
            App::Tls
        } else if self.sip_msgs > 0 {
            App::Sip
        } else if self.dns_msgs > 0 {
            App::Dns
        } else {
            App::Other
        }
    }

    pub fn observe(&mut self, p: &Payload<'_>) {
        // One bit test per packet on the common path.
        if self.has(flag::SEALED | flag::REASM) {
            self.flags &= !flag::SEALED;
            if self.has(flag::REASM) {
                self.reasm_clock(p.ts_ns);
            }
        }
        let side = usize::from(p.side & 1);
        if p.transport == Transport::Tcp && p.tcp_syn {
            if let Some(seq) = p.tcp_seq {
                if let Some(n) = self.tcp_next.get_mut(side) {
                    *n = seq.wrapping_add(1);
                }
                self.flags |= if side == 0 { flag::SYN0 } else { flag::SYN1 };
            }
        }
        let d = p.data;
        let Some(&b0) = d.first() else {
            return;
        };
        if self.has(flag::GIVEN_UP | flag::DONE) {
            return;
        }
        // Fast path: confirmed media keeps only SSRC bookkeeping.
        if self.has(flag::RTP)
            && rtp::demux(b0) == rtp::Demux::RtpRtcp
            && !d.get(1).is_some_and(|b| rtp::is_rtcp_pt(*b))
            && p.transport == Transport::Udp
        {
            self.rtp_track(side, d);
            return;
        }
        let matched = match p.transport {
            Transport::Udp => self.observe_udp(side, p),
            Transport::Tcp => self.observe_tcp(side, p),
        };
        if !matched && self.app() == App::Other && !self.reassembling() {
            self.unmatched = self.unmatched.saturating_add(1);
            if self.unmatched >= MAX_UNMATCHED {
                self.flags |= flag::GIVEN_UP;
            }
        }
        if self.sip_msgs >= MAX_SIP_MESSAGES
            || self.has(flag::CLIENT_HELLO) && self.app() == App::Tls
            || self.dns_msgs >= 4
        {
            self.flags |= flag::DONE;
        }
    }

    /// A ClientHello reassembly is in progress.
    pub fn reassembling(&self) -> bool {
        self.has(flag::REASM)
    }

    /// Bytes held by ClientHello reassembly buffers.
    pub fn transient_bytes(&self) -> usize {
        self.pending_reasm().map(tls::Reassembly::len).sum()
    }

    /// Sealed and no packet since (see `seal`).
    pub fn is_sealed(&self) -> bool {
        self.has(flag::SEALED)
    }

    /// Drops the transient parse state of a flow gone idle: pending ClientHello reassemblies
    /// (given up, counted in `caps_hit`) and spare capacity; frees `Heavy` if it holds
    /// nothing. The classification and `summary` stay as they were (`summary` counts a
    /// pending reassembly as lost already). Later packets are parsed as usual (a new
    /// reassembly may start).
    pub fn seal(&mut self) {
        self.flags |= flag::SEALED;
        if self.has(flag::REASM) {
            self.give_up_reassembly(|_| true);
        }
        if let Some(h) = self.heavy.as_deref_mut() {
            h.shrink();
            if h.is_empty() {
                self.heavy = None;
            }
        }
    }

    fn pending_reasm(&self) -> impl Iterator<Item = &tls::Reassembly> {
        self.heavy
            .as_deref()
            .filter(|_| self.has(flag::REASM))
            .into_iter()
            .flat_map(|h| h.reasm.iter().flat_map(|r| r.iter().flatten()))
    }

    /// What pending reassemblies would add to `caps_hit` if given up now: one each, plus
    /// their own cap hits not yet counted.
    fn pending_loss(&self) -> u32 {
        self.pending_reasm()
            .fold(0u32, |n, r| n.saturating_add(1).saturating_add(r.caps_hit))
    }

    /// Per packet while a reassembly is pending: keep the flow's latest time in it, and give
    /// it up when the flow was silent longer than `tls::REASM_MAX_GAP_NS`. The rule depends
    /// only on the flow's own packets, so the result is the same whether or not the table
    /// sealed the flow in the gap (sweeps run at times that depend on the shard).
    fn reasm_clock(&mut self, ts_ns: i64) {
        self.give_up_reassembly(|r| ts_ns.saturating_sub(r.last_ns) > tls::REASM_MAX_GAP_NS);
        if let Some(h) = self.heavy.as_deref_mut() {
            for r in h.reasm.iter_mut().flat_map(|r| r.iter_mut().flatten()) {
                r.last_ns = r.last_ns.max(ts_ns);
            }
        }
    }

    /// Drops the pending reassemblies `stale` picks, counting each in `caps_hit`.
    fn give_up_reassembly(&mut self, stale: impl Fn(&tls::Reassembly) -> bool) {
        let mut lost = 0u32;
        if let Some(h) = self.heavy.as_deref_mut() {
            for slot in h.reasm.iter_mut().flat_map(|r| r.iter_mut()) {
                if let Some(r) = slot.take_if(|r| stale(r)) {
                    lost = lost.saturating_add(1).saturating_add(r.caps_hit);
                }
            }
        }
        self.counters.caps_hit = self.counters.caps_hit.saturating_add(lost);
        self.sync_reasm_flag();
    }

    fn sync_reasm_flag(&mut self) {
        let mut any = false;
        if let Some(h) = self.heavy.as_deref_mut() {
            any = h
                .reasm
                .as_ref()
                .is_some_and(|r| r.iter().any(Option::is_some));
            if !any {
                h.reasm = None;
            }
        }
        if any {
            self.flags |= flag::REASM;
        } else {
            self.flags &= !flag::REASM;
        }
    }

    fn observe_udp(&mut self, side: usize, p: &Payload<'_>) -> bool {
        let d = p.data;
        if (dns::is_dns_port(p.src_port) || dns::is_dns_port(p.dst_port)) && dns::probe(d) {
            self.dns_msgs = self.dns_msgs.saturating_add(1);
            self.message();
            return true;
        }
        let b0 = d.first().copied().unwrap_or(0);
        match rtp::demux(b0) {
            rtp::Demux::Stun => {
                if self.stun(side, d, false) {
                    return true;
                }
            }
            rtp::Demux::RtpRtcp => {
                if d.get(1).is_some_and(|b| rtp::is_rtcp_pt(*b)) {
                    return self.rtcp(d);
                }
                return self.rtp_track(side, d);
            }
            rtp::Demux::Dtls => {
                if dtls::probe(d) {
                    if self.dtls_datagrams >= MAX_DTLS_DATAGRAMS {
                        return true;
                    }
                    match dtls::parse_datagram(d) {
                        Some(dg) => {
                            self.dtls_datagrams = self.dtls_datagrams.saturating_add(1);
                            if dg.handshake.is_some() {
                                self.dtls_handshakes = self.dtls_handshakes.saturating_add(1);
                            }
                            self.message();
                            return true;
                        }
                        None => self.error(),
                    }
                }
            }
            rtp::Demux::TurnChannel => {
                if self.stun_seen() && self.stun(side, d, false) {
                    return true;
                }
            }
            _ => {
                if b0 == 0xFF && self.stun(side, d, false) {
                    return true;
                }
            }
        }
        self.sip(d, false)
    }

    fn observe_tcp(&mut self, side: usize, p: &Payload<'_>) -> bool {
        let d = p.data;
        if self.tls(side, p) {
            return true;
        }
        if self.stun(side, d, true) {
            return true;
        }
        if self.sip(d, true) {
            return true;
        }
        if (dns::is_dns_port(p.src_port) || dns::is_dns_port(p.dst_port)) && dns::probe_tcp(d) {
            self.dns_msgs = self.dns_msgs.saturating_add(1);
            self.message();
            return true;
        }
        // RFC 4571 RTP/RTCP over TCP.
        let mut frames: [&[u8]; 8] = [&[]; 8];
        let mut n = 0;
        rtp::walk_rfc4571(d, |f| {
            if let Some(slot) = frames.get_mut(n) {
                *slot = f;
                n += 1;
            }
        });
        let mut any = false;
        for f in frames.iter().take(n) {
            any |= if f.get(1).is_some_and(|b| rtp::is_rtcp_pt(*b)) {
                self.rtcp(f)
            } else {
                self.rtp_track(side, f)
            };
        }
        any
    }

    // ---- RTP / RTCP ----

    fn rtp_track(&mut self, side: usize, d: &[u8]) -> bool {
        let Some(h) = rtp::parse_rtp(d) else {
            return false;
        };
        let Some(slots) = self.rtp.get_mut(side) else {
            return false;
        };
        let mut confirmed = None;
        if let Some(s) = slots.iter_mut().find(|s| s.run > 0 && s.ssrc == h.ssrc) {
            let step = h.seq.wrapping_sub(s.seq);
            if (1..=RTP_MAX_SEQ_STEP).contains(&step) {
                s.seq = h.seq;
                s.pt = h.payload_type;
                let before = s.run;
                s.run = s.run.saturating_add(1);
                if before < RTP_MIN_RUN && s.run >= RTP_MIN_RUN {
                    confirmed = Some(*s);
                }
            } else if step != 0 && step < 0x8000 {
                // A jump forward: restart the run from here.
                s.seq = h.seq;
                s.run = 1;
            }
        } else if let Some(s) = slots.iter_mut().min_by_key(|s| s.run) {
            *s = RtpSlot {
                ssrc: h.ssrc,
                seq: h.seq,
                run: 1,
                pt: h.payload_type,
            };
        }
        if let Some(s) = confirmed {
            self.flags |= flag::RTP;
            let mut caps = self.counters.caps_hit;
            let hv = self.heavy();
            push_capped(&mut hv.ssrcs, (side as u8, s.ssrc), MAX_SSRCS, &mut caps);
            push_capped(&mut hv.pts, s.pt, MAX_PAYLOAD_TYPES, &mut caps);
            self.counters.caps_hit = caps;
        }
        true
    }

    fn rtcp(&mut self, d: &[u8]) -> bool {
        let Some(c) = rtp::parse_rtcp(d) else {
            return false;
        };
        if self.rtcp_pkts > 0 && c.ssrc == self.rtcp_ssrc {
            self.flags |= flag::RTCP_REPEAT;
        }
        self.rtcp_ssrc = c.ssrc;
        if c.exact && c.packets >= 2 {
            self.flags |= flag::RTCP_COMPOUND;
        }
        self.rtcp_pkts = self.rtcp_pkts.saturating_add(1);
        self.message();
        true
    }

    // ---- STUN / TURN ----

    fn stun(&mut self, side: usize, d: &[u8], tcp: bool) -> bool {
        if !tcp
            && !stun::probe(d)
            && stun::parse_channel_data(d).is_none()
            && d.first() != Some(&0xFF)
        {
            return false;
        }
        if self.stun_msgs.saturating_add(self.stun_classic) >= MAX_STUN_MESSAGES {
            // Enough parsed: recognise, do not parse.
            return self.stun_seen() && (stun::probe(d) || stun::parse_channel_data(d).is_some());
        }
        let mut ms_frame = false;
        let mut msgs: [Option<stun::Message<'_>>; 4] = [None; 4];
        let mut relayed: [&[u8]; 4] = [&[]; 4];
        let (mut nm, mut nr) = (0usize, 0usize);
        let mut extra = 0u32;
        let n = stun::walk(d, tcp, |item| match item {
            stun::Item::Stun(m) => match msgs.get_mut(nm) {
                Some(slot) => {
                    *slot = Some(m);
                    nm += 1;
                }
                None => extra += 1,
            },
            stun::Item::Relayed(b) => match relayed.get_mut(nr) {
                Some(slot) => {
                    *slot = b;
                    nr += 1;
                }
                None => extra += 1,
            },
            stun::Item::MsFrame => ms_frame = true,
        });
        if n == 0 {
            if self.stun_seen() && stun::probe(d) {
                self.error();
            }
            return false;
        }
        // ChannelData alone (no STUN in this flow yet) is too weak to claim.
        if nm == 0 && !self.stun_seen() && !ms_frame {
            return false;
        }
        if ms_frame {
            self.flags |= flag::MS_TURN;
        }
        if extra > 0 {
            self.counters.caps_hit = self.counters.caps_hit.saturating_add(1);
        }
        for m in msgs.iter().take(nm).flatten() {
            self.stun_message(side, m, 0);
        }
        for b in relayed.iter().take(nr) {
            self.relayed = self.relayed.saturating_add(1);
            self.relayed_payload(side, b);
        }
        true
    }

    fn relayed_payload(&mut self, side: usize, b: &[u8]) {
        if let Some(&b0) = b.first() {
            if rtp::demux(b0) == rtp::Demux::RtpRtcp {
                if b.get(1).is_some_and(|x| rtp::is_rtcp_pt(*x)) {
                    self.rtcp(b);
                } else {
                    self.rtp_track(side, b);
                }
            }
        }
    }

    fn stun_message(&mut self, side: usize, m: &stun::Message<'_>, depth: u8) {
        if m.cookie {
            self.stun_msgs = self.stun_msgs.saturating_add(1);
        } else {
            self.stun_classic = self.stun_classic.saturating_add(1);
        }
        self.message();
        let ms = m.is_ms_turn();
        if ms {
            self.flags |= flag::MS_TURN;
        }
        let mut found: [Option<(StunAddressKind, SocketAddr)>; 8] = [None; 8];
        let mut nf = 0usize;
        for a in m.attributes() {
            if stun::is_ms_attribute(a.typ) {
                self.flags |= flag::MS_TURN;
            }
            let kind_xor = match a.typ {
                // [MS-TURN] §3.2.5.2.1: in an Allocate response MAPPED-ADDRESS is the
                // allocated (relayed) address.
                stun::attr::MAPPED_ADDRESS if ms && m.method() == 3 => {
                    Some((StunAddressKind::Relayed, false))
                }
                stun::attr::MAPPED_ADDRESS => Some((StunAddressKind::Mapped, false)),
                stun::attr::XOR_MAPPED_ADDRESS | stun::attr::MS_XOR_MAPPED_ADDRESS => {
                    Some((StunAddressKind::Mapped, true))
                }
                stun::attr::XOR_PEER_ADDRESS => Some((StunAddressKind::Peer, !ms)),
                stun::attr::MS_DESTINATION_ADDRESS if ms => Some((StunAddressKind::Peer, false)),
                stun::attr::XOR_RELAYED_ADDRESS => Some((StunAddressKind::Relayed, true)),
                stun::attr::DATA => {
                    if depth == 0 {
                        if let Some((inner, rest)) = stun::parse(a.value) {
                            if rest.is_empty() {
                                self.stun_message(side, &inner, 1);
                            }
                        } else {
                            self.relayed_payload(side, a.value);
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some((kind, xor)) = kind_xor {
                if let Some(sa) = m.address(&a, xor) {
                    if let Some(slot) = found.get_mut(nf) {
                        *slot = Some((kind, sa));
                        nf += 1;
                    }
                }
            }
        }
        if nf > 0 {
            let mut caps = self.counters.caps_hit;
            let hv = self.heavy();
            for (kind, sa) in found.iter().take(nf).flatten() {
                let addr = StunAddress {
                    kind: *kind,
                    ip: sa.ip(),
                    port: sa.port(),
                };
                push_capped(&mut hv.stun_addresses, addr, MAX_STUN_ADDRESSES, &mut caps);
            }
            self.counters.caps_hit = caps;
        }
    }

    // ---- TLS ----

    fn tls(&mut self, side: usize, p: &Payload<'_>) -> bool {
        let d = p.data;
        let Some(seq) = p.tcp_seq else {
            return false;
        };
        let start_flag = if side == 0 {
            flag::START0
        } else {
            flag::START1
        };
        let syn_flag = if side == 0 { flag::SYN0 } else { flag::SYN1 };
        // A reassembly in progress for this side?
        if let Some(r) = self
            .heavy
            .as_mut()
            .and_then(|h| h.reasm.as_mut()?.get_mut(side))
            .and_then(Option::as_mut)
        {
            r.insert(seq, d);
            let caps = std::mem::take(&mut r.caps_hit);
            self.counters.caps_hit = self.counters.caps_hit.saturating_add(caps);
            self.try_reassembled(side);
            return true;
        }
        let off = self
            .has(syn_flag)
            .then(|| seq.wrapping_sub(self.tcp_next.get(side).copied().unwrap_or(0)) as usize);
        if tls::probe(d) {
            self.flags |= start_flag;
            self.tls_records = self.tls_records.saturating_add(1);
            match d.get(5) {
                Some(1) if !self.has(flag::CLIENT_HELLO) => match tls::first_handshake(d) {
                    Ok(hs) => {
                        let ok = self.client_hello(&hs);
                        if !ok {
                            self.error();
                        }
                    }
                    Err(tls::Need::More) => {
                        let fixed = off == Some(0);
                        let mut r = tls::Reassembly::new(seq, fixed);
                        r.insert(seq, d);
                        r.last_ns = p.ts_ns;
                        self.put_back(side, r);
                    }
                    Err(tls::Need::Invalid) => self.error(),
                },
                Some(2) => {
                    self.flags |= flag::SERVER_HELLO;
                    self.message();
                }
                _ => {}
            }
            return true;
        }
        if !self.has(start_flag)
            && self.app() == App::Other
            && off.is_some_and(|o| (1..tls::REASM_CAP).contains(&o))
        {
            // Early out-of-order segment of a stream whose start is still to come: keep it
            // (capped) in case the start is a ClientHello.
            let base = self.tcp_next.get(side).copied().unwrap_or(0);
            let mut r = tls::Reassembly::new(base, true);
            r.insert(seq, d);
            r.last_ns = p.ts_ns;
            self.put_back(side, r);
            return true;
        }
        self.flags |= start_flag;
        if tls::parse_record_header(d).is_some() {
            self.tls_records = self.tls_records.saturating_add(1);
            return self.tls_records >= 2 || self.has(flag::CLIENT_HELLO | flag::SERVER_HELLO);
        }
        false
    }

    fn try_reassembled(&mut self, side: usize) {
        let r = self
            .heavy
            .as_mut()
            .and_then(|h| h.reasm.as_mut()?.get_mut(side))
            .and_then(Option::take);
        self.sync_reasm_flag();
        let Some(r) = r else {
            return;
        };
        let prefix = r.prefix();
        if prefix.is_empty() {
            self.put_back(side, r);
            return;
        }
        match tls::first_handshake(prefix) {
            Ok(hs) => {
                if hs.first() == Some(&1) {
                    self.tls_records = self.tls_records.saturating_add(1);
                    if !self.client_hello(&hs) {
                        self.error();
                    }
                }
                self.flags |= if side == 0 {
                    flag::START0
                } else {
                    flag::START1
                };
            }
            Err(tls::Need::More) if r.len() < tls::REASM_CAP => self.put_back(side, r),
            Err(tls::Need::More) => {
                self.counters.caps_hit = self.counters.caps_hit.saturating_add(1);
            }
            Err(tls::Need::Invalid) => {
                self.flags |= if side == 0 {
                    flag::START0
                } else {
                    flag::START1
                };
            }
        }
    }

    fn put_back(&mut self, side: usize, r: tls::Reassembly) {
        if let Some(slot) = self.heavy().reasm.get_or_insert_default().get_mut(side) {
            *slot = Some(r);
            self.flags |= flag::REASM;
        }
    }

    fn client_hello(&mut self, hs: &[u8]) -> bool {
        let Some(ch) = tls::parse_client_hello(hs) else {
            return false;
        };
        self.flags |= flag::CLIENT_HELLO;
        self.message();
        let mut caps = self.counters.caps_hit;
        let hv = self.heavy();
        if hv.sni.is_none() {
            hv.sni = ch.server_name.map(cut);
        }
        for a in ch.alpn() {
            push_str_capped(
                &mut hv.alpn,
                &String::from_utf8_lossy(a),
                MAX_ALPN,
                &mut caps,
            );
        }
        for v in ch.versions() {
            push_capped(&mut hv.tls_versions, v, MAX_TLS_VERSIONS, &mut caps);
        }
        self.counters.caps_hit = caps;
        true
    }

    // ---- SIP ----

    fn sip(&mut self, d: &[u8], tcp: bool) -> bool {
        if !sip::probe(d) {
            return false;
        }
        if self.sip_msgs >= MAX_SIP_MESSAGES {
            return true;
        }
        let mut rest = d;
        let mut any = false;
        for _ in 0..MAX_SIP_PER_SEGMENT {
            let Some(m) = sip::parse(rest) else {
                if !any {
                    self.error();
                }
                break;
            };
            any = true;
            self.sip_message(&m);
            if !tcp {
                break;
            }
            match rest.get(m.wire_len..) {
                Some(r) if sip::probe(r) => rest = r,
                _ => break,
            }
        }
        any
    }

    fn sip_message(&mut self, m: &sip::Message<'_>) {
        self.sip_msgs = self.sip_msgs.saturating_add(1);
        self.message();
        let mut caps = self.counters.caps_hit;
        if m.headers_capped {
            caps = caps.saturating_add(1);
        }
        let hv = self.heavy();
        let s = hv.sip.get_or_insert_default();
        s.messages = s.messages.saturating_add(1);
        match m.start {
            sip::StartLine::Request { method, .. } => {
                push_str_capped(&mut s.methods, method, MAX_SIP_METHODS, &mut caps)
            }
            sip::StartLine::Status { code } => {
                push_capped(&mut s.status_codes, code, MAX_SIP_STATUS, &mut caps)
            }
        }
        if let Some(c) = m.call_id {
            push_str_capped(&mut s.call_ids, c, MAX_CALL_IDS, &mut caps);
        }
        if s.from.is_none() {
            s.from = m.from.map(|v| cut(v.as_bytes()));
        }
        if s.to.is_none() {
            s.to = m.to.map(|v| cut(v.as_bytes()));
        }
        let is_sdp = m
            .content_type
            .is_some_and(|c| c.to_ascii_lowercase().contains("sdp"))
            || m.body.starts_with(b"v=0");
        if is_sdp {
            let mut out = [None; sip::MAX_SDP_MEDIA];
            let n = sip::sdp_media(m.body, &mut out);
            for md in out.iter().take(n).flatten() {
                let v = SdpMedia {
                    media: cut(md.media.as_bytes()),
                    ip: md.connection.map(|c| cut(c.as_bytes())),
                    port: md.port,
                    proto: cut(md.proto.as_bytes()),
                };
                push_capped(&mut s.sdp_media, v, MAX_SDP_MEDIA, &mut caps);
            }
        }
        self.counters.caps_hit = caps;
    }

    // ---- merge / summary ----

    /// Combine evidence from the same flow seen in another capture file/shard.
    pub fn merge(&mut self, other: &AppState) {
        // Per-flow-copy bits stay; `other`'s pending reassemblies are not taken over: they
        // count as given up.
        let own_bits = flag::SYN0
            | flag::SYN1
            | flag::START0
            | flag::START1
            | flag::GIVEN_UP
            | flag::DONE
            | flag::REASM
            | flag::SEALED;
        self.flags |= other.flags & !own_bits;
        if other.rtcp_pkts > 0 && self.rtcp_pkts > 0 && other.rtcp_ssrc == self.rtcp_ssrc {
            self.flags |= flag::RTCP_REPEAT;
        }
        if self.rtcp_pkts == 0 {
            self.rtcp_ssrc = other.rtcp_ssrc;
        }
        for (a, b) in [
            (&mut self.rtcp_pkts, other.rtcp_pkts),
            (&mut self.stun_msgs, other.stun_msgs),
            (&mut self.stun_classic, other.stun_classic),
            (&mut self.relayed, other.relayed),
            (&mut self.dtls_datagrams, other.dtls_datagrams),
            (&mut self.dtls_handshakes, other.dtls_handshakes),
            (&mut self.tls_records, other.tls_records),
            (&mut self.sip_msgs, other.sip_msgs),
            (&mut self.dns_msgs, other.dns_msgs),
        ] {
            *a = a.saturating_add(b);
        }
        self.counters.add(&other.counters);
        self.counters.caps_hit = self.counters.caps_hit.saturating_add(other.pending_loss());
        let Some(oh) = other.heavy.as_deref() else {
            return;
        };
        let mut caps = self.counters.caps_hit;
        let hv = self.heavy();
        if hv.sni.is_none() {
            hv.sni.clone_from(&oh.sni);
        }
        for a in &oh.alpn {
            push_str_capped(&mut hv.alpn, a, MAX_ALPN, &mut caps);
        }
        for v in &oh.tls_versions {
            push_capped(&mut hv.tls_versions, *v, MAX_TLS_VERSIONS, &mut caps);
        }
        for a in &oh.stun_addresses {
            push_capped(
                &mut hv.stun_addresses,
                a.clone(),
                MAX_STUN_ADDRESSES,
                &mut caps,
            );
        }
        for s in &oh.ssrcs {
            push_capped(&mut hv.ssrcs, *s, MAX_SSRCS, &mut caps);
        }
        for p in &oh.pts {
            push_capped(&mut hv.pts, *p, MAX_PAYLOAD_TYPES, &mut caps);
        }
        if let Some(os) = &oh.sip {
            let s = hv.sip.get_or_insert_default();
            s.messages = s.messages.saturating_add(os.messages);
            for c in &os.call_ids {
                push_str_capped(&mut s.call_ids, c, MAX_CALL_IDS, &mut caps);
            }
            for c in &os.methods {
                push_str_capped(&mut s.methods, c, MAX_SIP_METHODS, &mut caps);
            }
            for c in &os.status_codes {
                push_capped(&mut s.status_codes, *c, MAX_SIP_STATUS, &mut caps);
            }
            if s.from.is_none() {
                s.from.clone_from(&os.from);
            }
            if s.to.is_none() {
                s.to.clone_from(&os.to);
            }
            for m in &os.sdp_media {
                push_capped(&mut s.sdp_media, m.clone(), MAX_SDP_MEDIA, &mut caps);
            }
        }
        self.counters.caps_hit = caps;
    }

    /// The evidence for the report, borrowed. `client_side` is 0 or 1.
    pub fn evidence(&self, client_side: u8) -> Evidence<'_> {
        let mut counters = self.counters;
        // An unfinished ClientHello is evidence lost, as if the flow had been sealed: the
        // count then does not depend on when (or whether) the table sealed it.
        counters.caps_hit = counters.caps_hit.saturating_add(self.pending_loss());
        let heavy = self.heavy.as_deref();
        Evidence {
            app: self.app(),
            sni: heavy.and_then(|h| h.sni.as_deref()),
            alpn: heavy.map_or(&[], |h| &h.alpn),
            tls_versions: heavy.map_or(&[], |h| &h.tls_versions),
            dtls: self.dtls_datagrams > 0,
            stun: self.stun_seen(),
            stun_addresses: heavy.map_or(&[], |h| &h.stun_addresses),
            ms_turn: self.has(flag::MS_TURN),
            ssrcs: heavy.map_or(&[], |h| &h.ssrcs),
            client_side: client_side & 1,
            rtp_payload_types: heavy.map_or(&[], |h| &h.pts),
            rtcp: self.rtcp_pkts > 0,
            sip: heavy.and_then(|h| h.sip.as_deref()),
            counters,
        }
    }

    /// Owned summary for the report. `client_side` is 0 or 1.
    pub fn summary(&self, client_side: u8) -> AppSummary {
        self.evidence(client_side).to_summary()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests;
