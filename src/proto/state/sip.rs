//! SIP's per-flow state: messages counted, and the Call-IDs, methods, status codes, From, To
//! and SDP media lines (each with the Call-ID of its message) kept (RFC 3261, RFC 4566),
//! walking several messages in a TCP segment and completing a TCP message's body from the
//! side's next in-order segments (RFC 3261 §18.3: Content-Length frames a message on TCP).

use super::{AppState, Payload};
use crate::proto::caps::{
    cut, cut_str, push_capped, push_str_capped, MAX_CALL_IDS, MAX_SDP_MEDIA, MAX_SIP_BODY_PENDING,
    MAX_SIP_MESSAGES, MAX_SIP_METHODS, MAX_SIP_PER_SEGMENT, MAX_SIP_STATUS,
};
use crate::proto::evidence::{SdpMedia, SipSummary};
use crate::proto::{sip, tls};

/// Kept inline, for every flow; the evidence is `Heavy::sip`, a `SipHeavy`.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SipState {
    /// Messages parsed (up to `MAX_SIP_MESSAGES`).
    messages: u16,
}

impl SipState {
    pub(super) fn merge(&mut self, other: &SipState) {
        self.messages = self.messages.saturating_add(other.messages);
    }
}

/// SIP's part of `Heavy` (boxed on its own there: few flows are SIP).
#[derive(Clone, Debug, Default)]
pub(super) struct SipHeavy {
    pub(super) summary: SipSummary,
    /// Per side, a TCP message whose body continues in the side's next segments.
    pending: [Option<PendingBody>; 2],
}

/// The part of a TCP message's body seen so far (at most `MAX_SIP_BODY_PENDING` bytes in all).
#[derive(Clone, Debug)]
struct PendingBody {
    /// TCP sequence number of the next body byte due.
    next: u32,
    /// Body bytes still due.
    due: usize,
    body: Vec<u8>,
    /// The message's Call-ID, cut to `MAX_STRING`, for its SDP media.
    call_id: Option<String>,
    /// The body is SDP (by Content-Type or its first line).
    sdp: bool,
    /// Time of the side's last segment that fed it (given up after `tls::REASM_MAX_GAP_NS`).
    last_ns: i64,
}

impl SipHeavy {
    /// Pending bodies: their count and bytes.
    pub(super) fn pending(&self) -> (u32, usize) {
        self.pending.iter().flatten().fold((0, 0), |(n, b), p| {
            (n.saturating_add(1), b.saturating_add(p.body.len()))
        })
    }

    /// Drops the pending bodies, returning how many there were.
    pub(super) fn drop_pending(&mut self) -> u32 {
        let (n, _) = self.pending();
        self.pending = [None, None];
        n
    }
}

/// The other copy's summary added to `s`.
pub(super) fn merge(s: &mut SipSummary, other: &SipSummary, caps: &mut u32) {
    s.messages = s.messages.saturating_add(other.messages);
    for c in &other.call_ids {
        push_str_capped(&mut s.call_ids, c, MAX_CALL_IDS, caps);
    }
    for c in &other.methods {
        push_str_capped(&mut s.methods, c, MAX_SIP_METHODS, caps);
    }
    for c in &other.status_codes {
        push_capped(&mut s.status_codes, *c, MAX_SIP_STATUS, caps);
    }
    if s.from.is_none() {
        s.from.clone_from(&other.from);
    }
    if s.to.is_none() {
        s.to.clone_from(&other.to);
    }
    for m in &other.sdp_media {
        push_capped(&mut s.sdp_media, m.clone(), MAX_SDP_MEDIA, caps);
    }
}

/// Gives back the lists' spare capacity.
pub(super) fn shrink(s: &mut SipSummary) {
    s.call_ids.shrink_to_fit();
    s.methods.shrink_to_fit();
    s.status_codes.shrink_to_fit();
    s.sdp_media.shrink_to_fit();
}

/// The SDP media of `body` into `s`, each with the Call-ID of its message.
fn sdp_into(s: &mut SipSummary, body: &[u8], call_id: Option<&str>, caps: &mut u32) {
    let mut out = [None; sip::MAX_SDP_MEDIA];
    let n = sip::sdp_media(body, &mut out);
    for md in out.iter().take(n).flatten() {
        let v = SdpMedia {
            media: cut(md.media.as_bytes()),
            ip: md.connection.map(|c| cut(c.as_bytes())),
            port: md.port,
            proto: cut(md.proto.as_bytes()),
            call_id: call_id.map(|c| cut_str(c).to_owned()),
            clock_rates: md.clock_rates.iter().flatten().copied().collect(),
        };
        push_capped(&mut s.sdp_media, v, MAX_SDP_MEDIA, caps);
    }
}

/// `body` up to its last complete line (a body given up unfinished: a cut `m=` line would be
/// read wrong).
fn whole_lines(body: &[u8]) -> &[u8] {
    let end = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    body.get(..end).unwrap_or_default()
}

impl AppState {
    /// A SIP message parsed.
    #[inline]
    pub(super) fn is_sip(&self) -> bool {
        self.sip.messages > 0
    }

    /// Enough SIP messages parsed: nothing more to learn.
    #[inline]
    pub(super) fn sip_done(&self) -> bool {
        self.sip.messages >= MAX_SIP_MESSAGES
    }

    /// A datagram holds one SIP message; a TCP segment may hold several (RFC 3261 §18.3).
    /// `p` is the payload for TCP (its sequence number places a body continued later), None
    /// for UDP.
    pub(super) fn sip(&mut self, side: usize, d: &[u8], p: Option<&Payload<'_>>) -> bool {
        if !sip::probe(d) {
            return false;
        }
        if self.sip.messages >= MAX_SIP_MESSAGES {
            return true;
        }
        self.sip_walk(side, d, p);
        true
    }

    /// The messages from the start of `d` (a whole datagram, or the rest of a TCP segment `p`
    /// from one message's start). False when none parsed (counted as a parse error).
    fn sip_walk(&mut self, side: usize, d: &[u8], p: Option<&Payload<'_>>) -> bool {
        let mut rest = d;
        let mut any = false;
        for i in 0..MAX_SIP_PER_SEGMENT {
            let Some(m) = sip::parse(rest) else {
                if !any {
                    self.error();
                }
                break;
            };
            any = true;
            self.sip_message(side, &m, p);
            let Some(_) = p else {
                break;
            };
            match rest.get(m.wire_len..) {
                Some(r) if sip::probe(r) => {
                    if i + 1 == MAX_SIP_PER_SEGMENT {
                        // More messages than a segment is walked for: counted, not read.
                        self.counters.caps_hit = self.counters.caps_hit.saturating_add(1);
                    }
                    rest = r;
                }
                _ => break,
            }
        }
        any
    }

    fn sip_message(&mut self, side: usize, m: &sip::Message<'_>, p: Option<&Payload<'_>>) {
        self.sip.messages = self.sip.messages.saturating_add(1);
        self.message();
        let mut caps = self.counters.caps_hit;
        if m.headers_capped {
            caps = caps.saturating_add(1);
        }
        let h = self.heavy().sip.get_or_insert_default();
        let s = &mut h.summary;
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
        // RFC 3261 §18.3: over TCP the rest of the body comes in the side's next segments;
        // a body that fits `MAX_SIP_BODY_PENDING` waits for them (one per side).
        let waits = p.filter(|_| m.body_due > 0).and_then(|p| {
            let end = p.tcp_seq?.wrapping_add(u32::try_from(p.data.len()).ok()?);
            let total = m.body.len().checked_add(m.body_due)?;
            (total <= MAX_SIP_BODY_PENDING).then_some((end, p.ts_ns))
        });
        match waits {
            Some((next, last_ns)) => {
                let slot = h.pending.get_mut(side & 1);
                if let Some(slot) = slot {
                    if slot.is_some() {
                        // The side's previous body never completed: given up.
                        caps = caps.saturating_add(1);
                    }
                    let mut body = Vec::with_capacity(m.body.len().saturating_add(m.body_due));
                    body.extend_from_slice(m.body);
                    *slot = Some(PendingBody {
                        next,
                        due: m.body_due,
                        body,
                        call_id: m.call_id.map(|c| cut_str(c).to_owned()),
                        sdp: is_sdp,
                        last_ns,
                    });
                }
            }
            None => {
                if m.body_due > 0 {
                    // Over UDP, too long to wait for, or no sequence number: what is here.
                    caps = caps.saturating_add(1);
                }
                if is_sdp {
                    let body = if m.body_due > 0 {
                        whole_lines(m.body)
                    } else {
                        m.body
                    };
                    sdp_into(s, body, m.call_id, &mut caps);
                }
            }
        }
        self.counters.caps_hit = caps;
    }

    /// A TCP segment of a side whose SIP body is pending: its bytes complete the body when in
    /// order (an old retransmission is claimed and ignored); a gap, or a silence of the side
    /// longer than `tls::REASM_MAX_GAP_NS`, gives the body up (counted in `caps_hit`, its
    /// whole lines read). After the body, the segment's next messages are walked. True when
    /// the segment was taken.
    pub(super) fn sip_continue(&mut self, side: usize, p: &Payload<'_>) -> bool {
        let Some(seq) = p.tcp_seq else {
            return false;
        };
        let mut caps = self.counters.caps_hit;
        let Some(h) = self.heavy.as_deref_mut().and_then(|h| h.sip.as_deref_mut()) else {
            return false;
        };
        let Some(slot) = h.pending.get_mut(side & 1) else {
            return false;
        };
        let Some(pb) = slot.as_mut() else {
            return false;
        };
        let behind = pb.next.wrapping_sub(seq);
        let silent = p.ts_ns.saturating_sub(pb.last_ns) > tls::REASM_MAX_GAP_NS;
        if behind >= 1 << 31 || silent {
            // Bytes lost before the due ones (or too late): the body is given up.
            if let Some(pb) = slot.take() {
                caps = caps.saturating_add(1);
                if pb.sdp {
                    sdp_into(
                        &mut h.summary,
                        whole_lines(&pb.body),
                        pb.call_id.as_deref(),
                        &mut caps,
                    );
                }
            }
            self.counters.caps_hit = caps;
            return false;
        }
        let Some(new) = usize::try_from(behind).ok().and_then(|b| p.data.get(b..)) else {
            // All of it seen before: a retransmission.
            return true;
        };
        if new.is_empty() {
            return true;
        }
        let take = pb.due.min(new.len());
        let (more, after) = new.split_at(take);
        pb.body.extend_from_slice(more);
        pb.due -= take;
        pb.next = pb
            .next
            .wrapping_add(u32::try_from(take).unwrap_or(u32::MAX));
        pb.last_ns = pb.last_ns.max(p.ts_ns);
        if pb.due > 0 {
            return true;
        }
        if let Some(pb) = slot.take() {
            if pb.sdp {
                sdp_into(&mut h.summary, &pb.body, pb.call_id.as_deref(), &mut caps);
            }
        }
        self.counters.caps_hit = caps;
        if sip::probe(after) && !self.sip_done() {
            self.sip_walk(side, after, Some(p));
        }
        true
    }

    /// A SIP body is pending on a side (checked only on SIP flows).
    #[inline]
    pub(super) fn sip_pending(&self) -> bool {
        self.is_sip()
            && self
                .heavy
                .as_deref()
                .and_then(|h| h.sip.as_deref())
                .is_some_and(|s| s.pending().0 > 0)
    }
}
