//! RTP and RTCP's per-flow state: the SSRC runs that confirm a media stream, the RTCP packets
//! seen, and the SSRCs and payload types kept as evidence.

use super::{flag, AppState};
use crate::proto::caps::{push_capped, MAX_PAYLOAD_TYPES, MAX_SSRCS};
use crate::proto::rtp;

/// Consecutive packets of one SSRC, sequence advancing by 1..=`RTP_MAX_SEQ_STEP`, needed
/// before a flow is called RTP: one 0x80 byte is not media, a stream is (RFC 3550 §A.1 keeps a
/// source on probation the same way).
pub const RTP_MIN_RUN: u8 = 4;
pub const RTP_MAX_SEQ_STEP: u16 = 16;

/// One SSRC being followed: its last sequence number and how long its run is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RtpSlot {
    ssrc: u32,
    seq: u16,
    run: u8,
    pt: u8,
}

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct RtpState {
    /// Two SSRC tracking slots per side.
    slots: [[RtpSlot; 2]; 2],
    /// Sender SSRC of the last RTCP packet.
    rtcp_ssrc: u32,
    pub(super) rtcp_packets: u16,
}

/// RTP's part of `Heavy`: the confirmed streams.
#[derive(Clone, Debug, Default)]
pub(super) struct RtpHeavy {
    /// (side, SSRC), in the order confirmed.
    pub(super) ssrcs: Vec<(u8, u32)>,
    pub(super) payload_types: Vec<u8>,
}

impl RtpState {
    /// Adds the other copy's RTCP count; true when both copies saw the same RTCP sender.
    pub(super) fn merge(&mut self, other: &RtpState) -> bool {
        let repeat =
            other.rtcp_packets > 0 && self.rtcp_packets > 0 && other.rtcp_ssrc == self.rtcp_ssrc;
        if self.rtcp_packets == 0 {
            self.rtcp_ssrc = other.rtcp_ssrc;
        }
        self.rtcp_packets = self.rtcp_packets.saturating_add(other.rtcp_packets);
        repeat
    }
}

impl RtpHeavy {
    pub(super) fn merge(&mut self, other: &RtpHeavy, caps: &mut u32) {
        for s in &other.ssrcs {
            push_capped(&mut self.ssrcs, *s, MAX_SSRCS, caps);
        }
        for p in &other.payload_types {
            push_capped(&mut self.payload_types, *p, MAX_PAYLOAD_TYPES, caps);
        }
    }

    pub(super) fn shrink(&mut self) {
        self.ssrcs.shrink_to_fit();
        self.payload_types.shrink_to_fit();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ssrcs.is_empty() && self.payload_types.is_empty()
    }
}

impl AppState {
    /// A stream was confirmed.
    #[inline]
    pub(super) fn is_rtp(&self) -> bool {
        self.has(flag::RTP)
    }

    /// RTCP alone: two packets or more, and an exact compound or one sender SSRC seen twice.
    #[inline]
    pub(super) fn is_rtcp(&self) -> bool {
        self.rtp.rtcp_packets >= 2 && self.has(flag::RTCP_COMPOUND | flag::RTCP_REPEAT)
    }

    /// RTP or RTCP, told apart by RFC 5761 §4's payload type rule.
    pub(super) fn rtp_or_rtcp(&mut self, side: usize, d: &[u8]) -> bool {
        if d.get(1).is_some_and(|b| rtp::is_rtcp_pt(*b)) {
            self.rtcp(d)
        } else {
            self.rtp_track(side, d)
        }
    }

    /// RFC 4571 RTP/RTCP over TCP.
    pub(super) fn rtp_over_tcp(&mut self, side: usize, d: &[u8]) -> bool {
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
            any |= self.rtp_or_rtcp(side, f);
        }
        any
    }

    /// One RTP packet: follow its SSRC's run; the run that reaches `RTP_MIN_RUN` confirms a
    /// stream, and its SSRC and payload type are kept.
    pub(super) fn rtp_track(&mut self, side: usize, d: &[u8]) -> bool {
        let Some(h) = rtp::parse_rtp(d) else {
            return false;
        };
        let Some(slots) = self.rtp.slots.get_mut(side) else {
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
            let hv = &mut self.heavy().rtp;
            push_capped(&mut hv.ssrcs, (side as u8, s.ssrc), MAX_SSRCS, &mut caps);
            push_capped(&mut hv.payload_types, s.pt, MAX_PAYLOAD_TYPES, &mut caps);
            self.counters.caps_hit = caps;
        }
        true
    }

    /// One RTCP packet (or compound, RFC 3550 §6.1).
    pub(super) fn rtcp(&mut self, d: &[u8]) -> bool {
        let Some(c) = rtp::parse_rtcp(d) else {
            return false;
        };
        if self.rtp.rtcp_packets > 0 && c.ssrc == self.rtp.rtcp_ssrc {
            self.flags |= flag::RTCP_REPEAT;
        }
        self.rtp.rtcp_ssrc = c.ssrc;
        if c.exact && c.packets >= 2 {
            self.flags |= flag::RTCP_COMPOUND;
        }
        self.rtp.rtcp_packets = self.rtp.rtcp_packets.saturating_add(1);
        self.message();
        true
    }
}
