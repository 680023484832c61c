//! `AppState`, what one flow's payloads have shown so far: the flag bits the protocols share,
//! which probe runs on which payload, sealing (issue 5), merging, and the evidence lent to the
//! report. Each protocol's own part (counters inline, evidence in the boxed `Heavy`) and how
//! it reads a payload are in the file of its name here.
//!
//! Every flow carries an `AppState`, so it stays small (`tests::state_is_small`): the heap part
//! is allocated only once a probe matched, and a packet of a confirmed media stream costs a
//! few flag tests before its SSRC bookkeeping.

mod dns;
mod dtls;
mod rtp;
mod sip;
mod stun;
mod tls;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;

pub use rtp::{MediaStream, RtcpSource, RTP_MAX_SEQ_STEP, RTP_MIN_RUN};

use rtp::Arrival;

use super::caps::MAX_UNMATCHED;
use super::evidence::{App, AppCounters, AppSummary, Evidence, SipSummary, StunAddress};
// The parser's RFC 7983 first-byte demultiplexing (`rtp` here is RTP's per-flow state).
use super::rtp::{demux, is_rtcp_pt, Demux};
use super::Transport;

/// Bits of `AppState::flags`. One word, so each per-packet check is one test; all 16 bits are
/// used, and a `u16` keeps `AppState` within its size.
mod flag {
    /// TCP: the side's SYN was seen (`AppState::tcp_next` holds its ISN+1).
    pub const SYN0: u16 = 1 << 0;
    pub const SYN1: u16 = 1 << 1;
    /// TLS: the side's stream start has been seen (TLS or not decided).
    pub const START0: u16 = 1 << 2;
    pub const START1: u16 = 1 << 3;
    /// TLS: a ClientHello was parsed / a ServerHello seen.
    pub const CLIENT_HELLO: u16 = 1 << 4;
    pub const SERVER_HELLO: u16 = 1 << 5;
    /// STUN: [MS-TURN] framing, cookie or attributes seen.
    pub const MS_TURN: u16 = 1 << 6;
    /// RTP: a stream was confirmed (`RTP_MIN_RUN` packets in sequence).
    pub const RTP: u16 = 1 << 7;
    /// RTCP: an exact compound of two or more packets.
    pub const RTCP_COMPOUND: u16 = 1 << 8;
    /// RTCP: the same sender SSRC seen twice.
    pub const RTCP_REPEAT: u16 = 1 << 9;
    /// `MAX_UNMATCHED` payloads matched nothing: no more probing.
    pub const GIVEN_UP: u16 = 1 << 10;
    /// Enough evidence: no more probing.
    pub const DONE: u16 = 1 << 11;
    /// A ClientHello reassembly is pending (`Heavy` holds one): checked per packet without
    /// touching the heap.
    pub const REASM: u16 = 1 << 12;
    /// Sealed (`AppState::seal`) and no packet since.
    pub const SEALED: u16 = 1 << 13;
    /// TLS seen mid-session: the side sent `tls::MID_MIN_RUN` consecutive records (see
    /// `AppState::tls_mid`).
    pub const MID0: u16 = 1 << 14;
    pub const MID1: u16 = 1 << 15;
}

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
    /// DSCP of the IP header that carried it (0..=63, RFC 2474 §3; `TransportLayer::dscp`).
    pub dscp: u8,
    pub ts_ns: i64,
    /// May be empty (pure ACKs are passed too).
    pub data: &'a [u8],
}

/// Per-flow protocol evidence (see the module doc).
#[derive(Default, Clone, Debug)]
pub struct AppState {
    flags: u16,
    // Declared before the other fields rustc aligns alike so that, as rustc lays structs out
    // today, the RTP slots every media packet reads sit at offset 0 (no extra address add).
    rtp: rtp::RtpState,
    /// ISN+1 per side when the side's SYN flag is set; without a SYN, the sequence number
    /// where the side's next TLS record header is expected (`AppState::tls_mid`).
    tcp_next: [u32; 2],
    /// Payloads that matched no probe (up to `MAX_UNMATCHED`).
    unmatched: u8,
    stun: stun::StunState,
    dtls: dtls::DtlsState,
    tls: tls::TlsState,
    sip: sip::SipState,
    dns: dns::DnsState,
    counters: AppCounters,
    heavy: Option<Box<Heavy>>,
}

/// The part of a flow's state that needs the heap; allocated only when a probe matched.
#[derive(Clone, Debug, Default)]
struct Heavy {
    tls: tls::TlsHeavy,
    stun: stun::StunHeavy,
    rtp: rtp::RtpHeavy,
    /// Boxed on its own: every TLS flow allocates `Heavy`, few flows are SIP.
    sip: Option<Box<sip::SipHeavy>>,
}

impl Heavy {
    /// Gives back spare capacity: a sealed flow may stay in the table for hours.
    fn shrink(&mut self) {
        self.tls.shrink();
        self.stun.shrink();
        self.rtp.shrink();
        if let Some(s) = &mut self.sip {
            sip::shrink(&mut s.summary);
        }
    }

    fn is_empty(&self) -> bool {
        self.tls.is_empty() && self.stun.is_empty() && self.rtp.is_empty() && self.sip.is_none()
    }
}

impl AppState {
    fn has(&self, f: u16) -> bool {
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

    /// The flow's application, from the evidence so far (see the crate SPEC, "app"): the
    /// first protocol, in this order, whose evidence is enough.
    pub fn app(&self) -> App {
        if self.is_rtp() {
            App::Rtp
        } else if self.is_rtcp() {
            App::Rtcp
        } else if self.is_dtls() {
            // ICE then DTLS (a WebRTC data channel, or DTLS-SRTP keying before media): the
            // flow is `stun` only when nothing else follows.
            App::Dtls
        } else if self.is_stun() {
            App::Stun
        } else if self.is_tls() {
            App::Tls
        } else if self.is_sip() {
            App::Sip
        } else if self.is_dns() {
            App::Dns
        } else {
            App::Other
        }
    }

    /// One payload of the flow (or an empty one: a pure ACK still carries a SYN or a time).
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
        let at = Arrival {
            ts_ns: p.ts_ns,
            dscp: p.dscp,
        };
        // Fast path: confirmed media keeps only its streams' bookkeeping.
        if self.has(flag::RTP)
            && demux(b0) == Demux::RtpRtcp
            && !d.get(1).is_some_and(|b| is_rtcp_pt(*b))
            && p.transport == Transport::Udp
        {
            self.rtp_track(side, d, at);
            return;
        }
        let matched = match p.transport {
            Transport::Udp => self.observe_udp(side, p, at),
            Transport::Tcp => self.observe_tcp(side, p, at),
        };
        if !matched && self.app() == App::Other && !self.reassembling() {
            self.unmatched = self.unmatched.saturating_add(1);
            if self.unmatched >= MAX_UNMATCHED {
                self.flags |= flag::GIVEN_UP;
            }
        }
        if self.sip_done() || self.tls_done() || self.dns_done() {
            self.flags |= flag::DONE;
        }
    }

    /// A datagram: DNS by its port, then by RFC 7983's first byte, SIP last.
    fn observe_udp(&mut self, side: usize, p: &Payload<'_>, at: Arrival) -> bool {
        let d = p.data;
        if self.dns(p) {
            return true;
        }
        let b0 = d.first().copied().unwrap_or(0);
        let matched = match demux(b0) {
            Demux::Stun => self.stun(side, d, false, at),
            Demux::RtpRtcp => return self.rtp_or_rtcp(side, d, at),
            Demux::Dtls => self.dtls(d),
            Demux::TurnChannel if self.stun_seen() => self.stun(side, d, false, at),
            // ChannelData of a call whose Allocate is not in the capture: RTP in it counts.
            Demux::TurnChannel => self.channel_rtp(side, d, false, at),
            // [MS-TURN] §2.2.4 multiplexed TURN: channel 0xFF10.
            _ => b0 == 0xFF && self.stun(side, d, false, at),
        };
        matched || self.sip(side, d, None)
    }

    /// A TCP segment: the first probe that claims it.
    fn observe_tcp(&mut self, side: usize, p: &Payload<'_>, at: Arrival) -> bool {
        let d = p.data;
        // A SIP body continued from the side's last segment comes first (it is no message).
        if self.sip_pending() && self.sip_continue(side, p) {
            return true;
        }
        self.tls(side, p)
            || self.stun(side, d, true, at)
            || self.sip(side, d, Some(p))
            || self.dns(p)
            || self.rtp_over_tcp(side, d, at)
            || self.channel_rtp(side, d, true, at)
    }

    /// A ClientHello reassembly is in progress.
    pub fn reassembling(&self) -> bool {
        self.has(flag::REASM)
    }

    /// Bytes held by ClientHello reassembly buffers and pending SIP bodies.
    pub fn transient_bytes(&self) -> usize {
        let reasm: usize = self.pending_reasm().map(super::tls::Reassembly::len).sum();
        reasm.saturating_add(self.sip_pending_counts().1)
    }

    /// Pending SIP bodies (TCP): how many, and their bytes.
    fn sip_pending_counts(&self) -> (u32, usize) {
        self.heavy
            .as_deref()
            .and_then(|h| h.sip.as_deref())
            .map_or((0, 0), sip::SipHeavy::pending)
    }

    /// Evidence that would be lost if the transient state were dropped now: pending
    /// ClientHellos (with their own cap hits) and pending SIP bodies, one each.
    fn transient_loss(&self) -> u32 {
        self.pending_loss()
            .saturating_add(self.sip_pending_counts().0)
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
        self.rtp.shrink();
        if let Some(h) = self.heavy.as_deref_mut() {
            // Pending SIP bodies are given up (counted, as `evidence` already counts them).
            let lost = h.sip.as_deref_mut().map_or(0, sip::SipHeavy::drop_pending);
            self.counters.caps_hit = self.counters.caps_hit.saturating_add(lost);
            h.shrink();
            if h.is_empty() {
                self.heavy = None;
            }
        }
    }

    /// Moves the absolute times kept (media arrival times) by `delta_ns`: the flow's capture
    /// file's clock aligned with the run's first file. Transient parse clocks (reassembly) are
    /// left: the file is read by then.
    pub fn shift_time(&mut self, delta_ns: i64) {
        self.rtp.shift_time(delta_ns);
    }

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
        let mut caps = self.counters.caps_hit;
        if self.rtp.merge(&other.rtp, &mut caps) {
            self.flags |= flag::RTCP_REPEAT;
        }
        self.counters.caps_hit = caps;
        self.stun.merge(&other.stun);
        self.dtls.merge(&other.dtls);
        self.tls.merge(&other.tls);
        self.sip.merge(&other.sip);
        self.dns.merge(&other.dns);
        self.counters.add(&other.counters);
        self.counters.caps_hit = self
            .counters
            .caps_hit
            .saturating_add(other.transient_loss());
        let Some(oh) = other.heavy.as_deref() else {
            return;
        };
        let mut caps = self.counters.caps_hit;
        let hv = self.heavy();
        hv.tls.merge(&oh.tls, &mut caps);
        hv.stun.merge(&oh.stun, &mut caps);
        hv.rtp.merge(&oh.rtp, &mut caps);
        if let Some(os) = &oh.sip {
            sip::merge(
                &mut hv.sip.get_or_insert_default().summary,
                &os.summary,
                &mut caps,
            );
        }
        self.counters.caps_hit = caps;
    }

    /// The evidence for the report, borrowed. `client_side` is 0 or 1.
    pub fn evidence(&self, client_side: u8) -> Evidence<'_> {
        let mut counters = self.counters;
        // An unfinished ClientHello is evidence lost, as if the flow had been sealed: the
        // count then does not depend on when (or whether) the table sealed it.
        counters.caps_hit = counters.caps_hit.saturating_add(self.transient_loss());
        let heavy = self.heavy.as_deref();
        Evidence {
            app: self.app(),
            sni: heavy.and_then(|h| h.tls.sni.as_deref()),
            alpn: heavy.map_or(&[], |h| &h.tls.alpn),
            tls_versions: heavy.map_or(&[], |h| &h.tls.versions),
            dtls: self.dtls.datagrams > 0,
            stun: self.stun_seen(),
            stun_addresses: heavy.map_or(&[], |h| h.stun.addresses()),
            ice_usernames: heavy.map_or(&[], |h| h.stun.ice_usernames()),
            ice: self.stun.ice_roles(),
            turn_channels: heavy.map_or(&[], |h| h.stun.turn_channels()),
            ms_turn: self.has(flag::MS_TURN),
            ms_turn_pseudo_tls: self.is_pseudo_tls(),
            ssrcs: heavy.map_or(&[], |h| &h.rtp.ssrcs),
            client_side: client_side & 1,
            rtp_payload_types: heavy.map_or(&[], |h| &h.rtp.payload_types),
            rtcp: self.rtp.rtcp_packets > 0,
            sip: heavy.and_then(|h| h.sip.as_deref()).map(|s| &s.summary),
            media_shape: None,
            counters,
        }
    }

    /// `evidence().sip` alone: what the call linker and the SDP-announced legs read of every
    /// flow, without building the rest.
    pub fn sip_summary(&self) -> Option<&SipSummary> {
        self.heavy
            .as_deref()
            .and_then(|h| h.sip.as_deref())
            .map(|s| &s.summary)
    }

    /// `evidence().stun_addresses` alone.
    pub fn stun_addresses(&self) -> &[StunAddress] {
        self.heavy.as_deref().map_or(&[], |h| h.stun.addresses())
    }

    /// The flow's RTP streams (SSRC and side, figures, DSCP marks) and RTCP report figures.
    pub fn media(&self) -> (&[MediaStream], &[RtcpSource]) {
        self.rtp
            .media
            .as_deref()
            .map_or((&[], &[]), |m| (m.streams(), &m.rtcp))
    }

    /// `evidence().ice_usernames` alone.
    pub fn ice_usernames(&self) -> &[String] {
        self.heavy
            .as_deref()
            .map_or(&[], |h| h.stun.ice_usernames())
    }

    /// Owned summary for the report. `client_side` is 0 or 1.
    pub fn summary(&self, client_side: u8) -> AppSummary {
        self.evidence(client_side).to_summary()
    }
}
