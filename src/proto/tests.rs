//! Property tests for every probe and parser, and the byte-literal helper of their tests.

use super::*;
use proptest::prelude::*;

/// Hex text to bytes, for the byte-literal tests of every protocol module.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

proptest! {
#![proptest_config(ProptestConfig::with_cases(512))]

#[test]
fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
    let d = &data[..];
    let _ = stun::probe(d);
    let _ = stun::parse(d).map(|(m, _)| (m.method(), m.class(), m.is_ms_turn(),
        m.attributes().filter_map(|a| m.address(&a, true)).count()));
    if let Some((m, _)) = stun::parse(d) {
        let _ = (stun::ice_check(&m), stun::channel_bind(&m));
    }
    let _ = (stun::ice_username(d), stun::channel_number(d));
    let _ = stun::parse_channel_data(d);
    let _ = stun::parse_ms_frame(d);
    let _ = stun::parse_ms_multiplexed(d);
    let _ = stun::walk(d, true, |_| {});
    let _ = stun::walk(d, false, |_| {});
    let _ = rtp::parse_rtp(d);
    let _ = rtp::parse_rtcp(d);
    let _ = rtp::walk_rfc4571(d, |_| {});
    let _ = dtls::parse_datagram(d);
    let _ = dns::probe(d);
    let _ = dns::probe_tcp(d);
    if let Ok(hs) = tls::first_handshake(d) {
        if let Some(ch) = tls::parse_client_hello(&hs) {
            let _ = ch.alpn().count() + ch.versions().count();
        }
    }
    let _ = tls::parse_client_hello(d);
    let _ = tls::parse_mid_record_header(d);
    if let Some(m) = sip::parse(d) {
        let mut out = [None; sip::MAX_SDP_MEDIA];
        let _ = sip::sdp_media(m.body, &mut out);
    }
    let mut out = [None; sip::MAX_SDP_MEDIA];
    let _ = sip::sdp_media(d, &mut out);
}

#[test]
fn text_parsers_never_panic(s in "(INVITE sip:a@b SIP/2.0|SIP/2.0 200 OK|v=0|m=audio [0-9]{1,6} RTP/AVP 0|c=IN IP4 [0-9.]{1,15}|[a-zA-Z:-]{1,12}: ?[ -~]{0,20}|)(\r\n(Call-ID|i|CSeq|l|Content-Length|f|t|m=audio 1 x|c=IN IP4 1.2.3.4): ?[ -~]{0,12}){0,12}(\r\n\r\n[ -~\r\n]{0,80})?") {
    let _ = sip::parse(s.as_bytes());
    let mut out = [None; sip::MAX_SDP_MEDIA];
    let _ = sip::sdp_media(s.as_bytes(), &mut out);
}

#[test]
fn reassembly_never_exceeds_cap(segs in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..3000)), 0..20), fixed in any::<bool>()) {
    let mut r = tls::Reassembly::new(1000, fixed);
    for (off, d) in &segs {
        r.insert(1000u32.wrapping_add(u32::from(*off)).wrapping_sub(2000), d);
        prop_assert!(r.len() <= tls::REASM_CAP);
        let _ = tls::first_handshake(r.prefix());
    }
}}
