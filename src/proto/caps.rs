//! The caps on one flow's protocol state: every list, string and parse count kept per flow is
//! bounded, and hitting a bound is counted in `AppCounters::caps_hit`, never a crash.

/// STUN mapped/peer/relayed addresses kept per flow (distinct).
pub const MAX_STUN_ADDRESSES: usize = 16;
/// ICE USERNAMEs (`remote-ufrag:local-ufrag`) of Binding requests kept per flow (distinct).
pub const MAX_ICE_USERNAMES: usize = 4;
/// TURN channels (ChannelBind number and peer) kept per flow (distinct).
pub const MAX_TURN_CHANNELS: usize = 8;
/// RTP SSRCs kept per flow (distinct, confirmed streams only).
pub const MAX_SSRCS: usize = 32;
/// RTP payload types kept per flow (distinct).
pub const MAX_PAYLOAD_TYPES: usize = 16;
/// RTP streams (SSRC and direction) whose figures are kept per flow: a call's flow carries an
/// audio, a video and a sharing stream each way at most, bundled; more is counted in
/// `caps_hit`. Each costs 144 bytes.
pub const MAX_MEDIA_STREAMS: usize = 8;
/// RTCP report sources (reporting side and source SSRC) kept per flow.
pub const MAX_RTCP_SOURCES: usize = 8;
/// ALPN names and TLS versions kept.
pub const MAX_ALPN: usize = 8;
pub const MAX_TLS_VERSIONS: usize = 8;
/// SIP: distinct Call-IDs, methods, status codes, SDP media kept per flow.
pub const MAX_CALL_IDS: usize = 16;
pub const MAX_SIP_METHODS: usize = 16;
pub const MAX_SIP_STATUS: usize = 16;
pub const MAX_SDP_MEDIA: usize = 32;
/// Longest string kept (SNI, Call-ID, From, To, ...), in bytes; longer ones are cut.
pub const MAX_STRING: usize = 256;
/// STUN messages parsed per flow; later STUN packets are only recognised, not parsed.
pub const MAX_STUN_MESSAGES: u16 = 512;
/// SIP messages parsed per flow; later ones are skipped.
pub const MAX_SIP_MESSAGES: u16 = 256;
/// SIP messages walked in one TCP segment.
pub const MAX_SIP_PER_SEGMENT: usize = 8;
/// SIP over TCP: body bytes of a message whose body continues in later segments, kept per side
/// until its Content-Length is complete (RFC 3261 §18.3); a longer body is not waited for.
pub const MAX_SIP_BODY_PENDING: usize = 4 * 1024;
/// Payloads matching no probe before a flow that matched nothing is given up on.
pub const MAX_UNMATCHED: u8 = 32;
/// DTLS datagrams parsed per flow.
pub const MAX_DTLS_DATAGRAMS: u16 = 64;

/// `s` cut to at most `MAX_STRING` bytes, at a char boundary.
pub(super) fn cut_str(s: &str) -> &str {
    let mut n = MAX_STRING.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    s.get(..n).unwrap_or_default()
}

/// Bytes as a kept string: invalid UTF-8 replaced, then cut to `MAX_STRING` bytes (the
/// replacement character is 3 bytes, so the cut comes after the conversion).
pub(super) fn cut(s: &[u8]) -> String {
    let s = s.get(..MAX_STRING.min(s.len())).unwrap_or(&[]);
    cut_str(&String::from_utf8_lossy(s)).to_owned()
}

/// Push `v` unless present; count a cap hit when full. Returns nothing; no allocation when
/// `v` is already there.
pub(super) fn push_capped<T: PartialEq>(list: &mut Vec<T>, v: T, cap: usize, caps_hit: &mut u32) {
    if list.contains(&v) {
        return;
    }
    if list.len() >= cap {
        *caps_hit = caps_hit.saturating_add(1);
        return;
    }
    list.push(v);
}

/// `push_capped` for a string, cut to `MAX_STRING` bytes first (allocated only when kept).
pub(super) fn push_str_capped(list: &mut Vec<String>, v: &str, cap: usize, caps_hit: &mut u32) {
    let v = cut_str(v);
    if list.iter().any(|x| x == v) {
        return;
    }
    if list.len() >= cap {
        *caps_hit = caps_hit.saturating_add(1);
        return;
    }
    list.push(v.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_cut_at_a_char_boundary_within_max_string() {
        assert_eq!(cut_str("abc"), "abc");
        let s = format!("{}é", "a".repeat(MAX_STRING - 1));
        assert_eq!(cut_str(&s), "a".repeat(MAX_STRING - 1));
        // Invalid UTF-8 (an SNI of 0xFF bytes) is replaced, then cut.
        assert_eq!(cut(&[0xFF; 300]).len(), MAX_STRING / 3 * 3);
    }

    #[test]
    fn a_full_list_counts_a_cap_hit_and_a_duplicate_does_not() {
        let (mut list, mut caps) = (Vec::new(), 0);
        for v in [1, 2, 2, 3] {
            push_capped(&mut list, v, 2, &mut caps);
        }
        assert_eq!((list, caps), (vec![1, 2], 1));
        let (mut list, mut caps) = (Vec::new(), 0);
        for v in ["a", "a", "b", "c"] {
            push_str_capped(&mut list, v, 2, &mut caps);
        }
        assert_eq!((list, caps), (vec!["a".to_owned(), "b".to_owned()], 1));
    }
}
