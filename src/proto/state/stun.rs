//! STUN and TURN's per-flow state: messages counted (RFC 5389+ and classic RFC 3489 apart),
//! relayed payloads handed on to RTP (ChannelData's also when no STUN was seen), and the
//! mapped, peer and relayed addresses kept.

use std::net::SocketAddr;

use super::{flag, AppState};
use crate::proto::caps::{push_capped, MAX_STUN_ADDRESSES, MAX_STUN_MESSAGES};
use crate::proto::evidence::{StunAddress, StunAddressKind};
use crate::proto::rtp::{demux, is_rtcp_pt, Demux};
use crate::proto::stun;

/// ChannelData frames read from one TCP segment by `AppState::channel_rtp`.
const MAX_CHANNEL_FRAMES: usize = 8;

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct StunState {
    /// Messages with the RFC 5389 magic cookie.
    messages: u16,
    /// Messages without it (RFC 3489 classic, [MS-TURN]).
    classic: u16,
    /// TURN ChannelData and [MS-TURN] data frames: relayed payloads.
    relayed: u16,
}

/// STUN's part of `Heavy`.
#[derive(Clone, Debug, Default)]
pub(super) struct StunHeavy {
    /// Distinct, in the order seen.
    pub(super) addresses: Vec<StunAddress>,
}

impl StunState {
    pub(super) fn merge(&mut self, other: &StunState) {
        self.messages = self.messages.saturating_add(other.messages);
        self.classic = self.classic.saturating_add(other.classic);
        self.relayed = self.relayed.saturating_add(other.relayed);
    }
}

impl StunHeavy {
    pub(super) fn merge(&mut self, other: &StunHeavy, caps: &mut u32) {
        for a in &other.addresses {
            push_capped(&mut self.addresses, a.clone(), MAX_STUN_ADDRESSES, caps);
        }
    }

    pub(super) fn shrink(&mut self) {
        self.addresses.shrink_to_fit();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

impl AppState {
    /// Any STUN message parsed.
    #[inline]
    pub(super) fn stun_seen(&self) -> bool {
        self.stun.messages > 0 || self.stun.classic > 0
    }

    /// A STUN flow: one RFC 5389+ message, or two classic ones, or one with [MS-TURN] signs
    /// (a single classic-looking message on its own is too weak).
    #[inline]
    pub(super) fn is_stun(&self) -> bool {
        self.stun.messages > 0
            || self.stun.classic >= 2
            || (self.stun.classic > 0 && self.has(flag::MS_TURN))
    }

    /// STUN messages, ChannelData and [MS-TURN] frames in one payload; over TCP with the
    /// framings `stun::walk` knows.
    pub(super) fn stun(&mut self, side: usize, d: &[u8], tcp: bool) -> bool {
        if !tcp
            && !stun::probe(d)
            && stun::parse_channel_data(d).is_none()
            && d.first() != Some(&0xFF)
        {
            return false;
        }
        if self.stun.messages.saturating_add(self.stun.classic) >= MAX_STUN_MESSAGES {
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
            self.stun.relayed = self.stun.relayed.saturating_add(1);
            self.relayed_payload(side, b);
        }
        true
    }

    /// TURN ChannelData (RFC 8656 §12.4) where no STUN was seen (the capture started during a
    /// call, after the Allocate and the ChannelBind): the frames' RTP is followed as if sent
    /// directly, so a stream of it (`RTP_MIN_RUN` packets in sequence) makes the flow `rtp`;
    /// the frames alone claim nothing for STUN. Over UDP one frame fills the datagram (with up
    /// to 3 pad bytes); over TCP frames follow each other, each padded to 4 (RFC 8656 §12.5),
    /// read from a segment's start only. True when a frame carried an RTP header.
    pub(super) fn channel_rtp(&mut self, side: usize, d: &[u8], tcp: bool) -> bool {
        let mut rest = d;
        let mut any = false;
        for _ in 0..MAX_CHANNEL_FRAMES {
            let Some((_, body, r)) = stun::parse_channel_data(rest) else {
                break;
            };
            if !tcp && r.len() > 3 {
                break;
            }
            if body.first().is_some_and(|&b0| demux(b0) == Demux::RtpRtcp)
                && !body.get(1).is_some_and(|b| is_rtcp_pt(*b))
            {
                any |= self.rtp_track(side, body);
            }
            if !tcp || r.is_empty() {
                break;
            }
            rest = r;
        }
        any
    }

    /// What a TURN relay carries for the peer: RTP or RTCP is tracked as if sent directly.
    fn relayed_payload(&mut self, side: usize, b: &[u8]) {
        if b.first().is_some_and(|&b0| demux(b0) == Demux::RtpRtcp) {
            self.rtp_or_rtcp(side, b);
        }
    }

    /// One STUN message: its addresses kept; a Send/Data indication's DATA (one level deep)
    /// read as a STUN message or a relayed payload.
    fn stun_message(&mut self, side: usize, m: &stun::Message<'_>, depth: u8) {
        if m.cookie {
            self.stun.messages = self.stun.messages.saturating_add(1);
        } else {
            self.stun.classic = self.stun.classic.saturating_add(1);
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
            let hv = &mut self.heavy().stun;
            for (kind, sa) in found.iter().take(nf).flatten() {
                let addr = StunAddress {
                    kind: *kind,
                    ip: sa.ip(),
                    port: sa.port(),
                };
                push_capped(&mut hv.addresses, addr, MAX_STUN_ADDRESSES, &mut caps);
            }
            self.counters.caps_hit = caps;
        }
    }
}
