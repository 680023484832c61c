//! SIP's per-flow state: messages counted, and the Call-IDs, methods, status codes, From, To
//! and SDP media lines kept (RFC 3261, RFC 4566), walking several messages in a TCP segment.

use super::AppState;
use crate::proto::caps::{
    cut, push_capped, push_str_capped, MAX_CALL_IDS, MAX_SDP_MEDIA, MAX_SIP_MESSAGES,
    MAX_SIP_METHODS, MAX_SIP_PER_SEGMENT, MAX_SIP_STATUS,
};
use crate::proto::evidence::{SdpMedia, SipSummary};
use crate::proto::sip;

/// Kept inline, for every flow; the evidence is `Heavy::sip`, a `SipSummary`.
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
    pub(super) fn sip(&mut self, d: &[u8], tcp: bool) -> bool {
        if !sip::probe(d) {
            return false;
        }
        if self.sip.messages >= MAX_SIP_MESSAGES {
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
        self.sip.messages = self.sip.messages.saturating_add(1);
        self.message();
        let mut caps = self.counters.caps_hit;
        if m.headers_capped {
            caps = caps.saturating_add(1);
        }
        let s = self.heavy().sip.get_or_insert_default();
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
}
