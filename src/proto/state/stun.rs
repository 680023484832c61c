//! STUN and TURN's per-flow state: messages counted (RFC 5389+ and classic RFC 3489 apart),
//! relayed payloads handed on to RTP (ChannelData's also when no STUN was seen), the mapped,
//! peer and relayed addresses kept, and what links flows into calls: the ICE checks' USERNAMEs
//! and roles (RFC 8445 §7.1, §7.2.2) and the TURN channels bound (RFC 8656 §11).

use std::net::SocketAddr;

use super::rtp::Arrival;
use super::{flag, AppState};
use crate::proto::caps::{
    push_capped, push_str_capped, MAX_ICE_USERNAMES, MAX_STUN_ADDRESSES, MAX_STUN_MESSAGES,
    MAX_TURN_CHANNELS,
};
use crate::proto::evidence::{IceRoles, StunAddress, StunAddressKind, TurnChannel};
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
    /// TURN ChannelData and [MS-TURN] data frames: relayed payloads (saturating; a u8 leaves
    /// room for `ice` within `AppState`'s size).
    relayed: u8,
    /// `ice::*` bits: the ICE attributes seen in the flow's Binding requests.
    ice: u8,
}

/// Bits of `StunState::ice` (RFC 8445 §7.1.2, §7.1.3).
mod ice {
    pub const CONTROLLING: u8 = 1 << 0;
    pub const CONTROLLED: u8 = 1 << 1;
    pub const USE_CANDIDATE: u8 = 1 << 2;
}

/// STUN's part of `Heavy`: its lists boxed apart (a pointer in every TLS flow's `Heavy`), the
/// box allocated when a STUN message gave something to keep.
#[derive(Clone, Debug, Default)]
pub(super) struct StunHeavy {
    lists: Option<Box<StunLists>>,
}

/// Each list distinct, in the order seen, capped.
#[derive(Clone, Debug, Default)]
pub(super) struct StunLists {
    pub(super) addresses: Vec<StunAddress>,
    /// `MAX_ICE_USERNAMES`, each cut to `MAX_STRING`.
    pub(super) ice_usernames: Vec<String>,
    pub(super) turn_channels: Vec<TurnChannel>,
}

impl StunState {
    pub(super) fn merge(&mut self, other: &StunState) {
        self.messages = self.messages.saturating_add(other.messages);
        self.classic = self.classic.saturating_add(other.classic);
        self.relayed = self.relayed.saturating_add(other.relayed);
        self.ice |= other.ice;
    }

    pub(super) fn ice_roles(&self) -> IceRoles {
        IceRoles {
            controlling: self.ice & ice::CONTROLLING != 0,
            controlled: self.ice & ice::CONTROLLED != 0,
            use_candidate: self.ice & ice::USE_CANDIDATE != 0,
        }
    }
}

impl StunHeavy {
    pub(super) fn merge(&mut self, other: &StunHeavy, caps: &mut u32) {
        let Some(o) = other.lists.as_deref() else {
            return;
        };
        let l = self.lists_mut();
        for a in &o.addresses {
            push_capped(&mut l.addresses, a.clone(), MAX_STUN_ADDRESSES, caps);
        }
        for u in &o.ice_usernames {
            push_str_capped(&mut l.ice_usernames, u, MAX_ICE_USERNAMES, caps);
        }
        for c in &o.turn_channels {
            push_capped(&mut l.turn_channels, *c, MAX_TURN_CHANNELS, caps);
        }
    }

    fn lists_mut(&mut self) -> &mut StunLists {
        self.lists.get_or_insert_default()
    }

    pub(super) fn lists(&self) -> Option<&StunLists> {
        self.lists.as_deref()
    }

    pub(super) fn addresses(&self) -> &[StunAddress] {
        self.lists().map_or(&[], |l| &l.addresses)
    }

    pub(super) fn ice_usernames(&self) -> &[String] {
        self.lists().map_or(&[], |l| &l.ice_usernames)
    }

    pub(super) fn turn_channels(&self) -> &[TurnChannel] {
        self.lists().map_or(&[], |l| &l.turn_channels)
    }

    pub(super) fn shrink(&mut self) {
        if let Some(l) = self.lists.as_deref_mut() {
            l.addresses.shrink_to_fit();
            l.ice_usernames.shrink_to_fit();
            l.turn_channels.shrink_to_fit();
        }
        if self.is_empty() {
            self.lists = None;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.lists().is_none_or(|l| {
            l.addresses.is_empty() && l.ice_usernames.is_empty() && l.turn_channels.is_empty()
        })
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
    pub(super) fn stun(&mut self, side: usize, d: &[u8], tcp: bool, at: Arrival) -> bool {
        if !tcp
            && !stun::probe(d)
            && stun::parse_channel_data(d).is_none()
            && d.first() != Some(&0xFF)
        {
            return false;
        }
        if self.stun.messages.saturating_add(self.stun.classic) >= MAX_STUN_MESSAGES {
            // Enough parsed: recognise, do not parse; relayed media is still followed.
            if let Some((_, body, _)) = stun::parse_channel_data(d) {
                self.relayed_payload(side, body, at);
                return self.stun_seen();
            }
            return self.stun_seen() && stun::probe(d);
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
            self.stun_message(side, m, 0, at);
        }
        for b in relayed.iter().take(nr) {
            self.stun.relayed = self.stun.relayed.saturating_add(1);
            self.relayed_payload(side, b, at);
        }
        true
    }

    /// TURN ChannelData (RFC 8656 §12.4) where no STUN was seen (the capture started during a
    /// call, after the Allocate and the ChannelBind): the frames' RTP is followed as if sent
    /// directly, so a stream of it (`RTP_MIN_RUN` packets in sequence) makes the flow `rtp`;
    /// the frames alone claim nothing for STUN. Over UDP one frame fills the datagram (with up
    /// to 3 pad bytes); over TCP frames follow each other, each padded to 4 (RFC 8656 §12.5),
    /// read from a segment's start only. True when a frame carried an RTP header.
    pub(super) fn channel_rtp(&mut self, side: usize, d: &[u8], tcp: bool, at: Arrival) -> bool {
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
                any |= self.rtp_track(side, body, at);
            }
            if !tcp || r.is_empty() {
                break;
            }
            rest = r;
        }
        any
    }

    /// What a TURN relay carries for the peer: RTP or RTCP is tracked as if sent directly.
    fn relayed_payload(&mut self, side: usize, b: &[u8], at: Arrival) {
        if b.first().is_some_and(|&b0| demux(b0) == Demux::RtpRtcp) {
            self.rtp_or_rtcp(side, b, at);
        }
    }

    /// One STUN message: its addresses kept; a Send/Data indication's DATA (one level deep)
    /// read as a STUN message or a relayed payload.
    fn stun_message(&mut self, side: usize, m: &stun::Message<'_>, depth: u8, at: Arrival) {
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
                                self.stun_message(side, &inner, 1, at);
                            }
                        } else {
                            self.relayed_payload(side, a.value, at);
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
        // RFC 8445 §7.1: a connectivity check's roles and USERNAME; RFC 8656 §11.1: the
        // channel a ChannelBind request binds to its peer.
        let check = stun::ice_check(m);
        if let Some(c) = &check {
            let bits = [
                (c.controlling, ice::CONTROLLING),
                (c.controlled, ice::CONTROLLED),
                (c.use_candidate, ice::USE_CANDIDATE),
            ];
            for (seen, bit) in bits {
                if seen {
                    self.stun.ice |= bit;
                }
            }
        }
        let username = check.and_then(|c| c.username);
        let channel = stun::channel_bind(m);
        if nf > 0 || username.is_some() || channel.is_some() {
            let mut caps = self.counters.caps_hit;
            let hv = self.heavy().stun.lists_mut();
            for (kind, sa) in found.iter().take(nf).flatten() {
                let addr = StunAddress {
                    kind: *kind,
                    ip: sa.ip(),
                    port: sa.port(),
                };
                push_capped(&mut hv.addresses, addr, MAX_STUN_ADDRESSES, &mut caps);
            }
            if let Some(u) = username {
                push_str_capped(&mut hv.ice_usernames, u, MAX_ICE_USERNAMES, &mut caps);
            }
            if let Some((channel, peer)) = channel {
                let c = TurnChannel { channel, peer };
                push_capped(&mut hv.turn_channels, c, MAX_TURN_CHANNELS, &mut caps);
            }
            self.counters.caps_hit = caps;
        }
    }
}
