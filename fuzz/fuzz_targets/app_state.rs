//! Per-flow protocol state (`proto::AppState`): a sequence of payloads of one flow, then
//! `merge` with a clone and `summary`.
//!
//! Input: records of `flags(1) port(1) seq(2, signed) len(2)` followed by `len` bytes of payload
//! (fewer at the end of the input). flags bit 0: TCP (else UDP), bit 1: side 1, bit 2: SYN.
//! `port` picks the server port (443, 3478, 5060, 53, ...); side 0 is the client at 50000. TCP
//! sequence numbers are `ISN(side) + seq`.
//!
//! Properties, besides "no panic, no abort":
//! - every summary list stays within its cap (`MAX_ALPN`, `MAX_TLS_VERSIONS`,
//!   `MAX_STUN_ADDRESSES`, `MAX_SSRCS`, `MAX_PAYLOAD_TYPES`, `MAX_CALL_IDS`, `MAX_SIP_METHODS`,
//!   `MAX_SIP_STATUS`, `MAX_SDP_MEDIA`, `MAX_ICE_USERNAMES`, `MAX_TURN_CHANNELS`) and every
//!   kept string within `MAX_STRING` bytes, lists without duplicates;
//! - `summary(0)` and `summary(1)` differ only in the order of the SSRCs; `app` is `app()`;
//! - merging a clone (the same evidence again) keeps every list and string as it was, keeps
//!   the caps, and adds the message counts (saturating).
//! - sealing (issue 5: what an idle flow goes through) changes no summary and frees every
//!   reassembly buffer.
#![no_main]

use callpath::proto::{self, AppState, AppSummary, Payload, Transport};
use libfuzzer_sys::fuzz_target;

const PORTS: [u16; 8] = [443, 3478, 5060, 53, 3479, 80, 5061, 8801];
const ISN: [u32; 2] = [0x1000_0000, 0xFFFF_FF00];

fn distinct<T: PartialEq>(v: &[T]) -> bool {
    v.iter().enumerate().all(|(i, x)| !v[..i].contains(x))
}

fn check_caps(s: &AppSummary) {
    assert!(s.alpn.len() <= proto::MAX_ALPN && distinct(&s.alpn));
    assert!(s.tls_versions.len() <= proto::MAX_TLS_VERSIONS && distinct(&s.tls_versions));
    assert!(s.stun_addresses.len() <= proto::MAX_STUN_ADDRESSES && distinct(&s.stun_addresses));
    assert!(s.rtp_ssrcs.len() <= proto::MAX_SSRCS);
    assert!(
        s.rtp_payload_types.len() <= proto::MAX_PAYLOAD_TYPES && distinct(&s.rtp_payload_types)
    );
    assert!(s.ice_usernames.len() <= proto::MAX_ICE_USERNAMES && distinct(&s.ice_usernames));
    assert!(s.turn_channels.len() <= proto::MAX_TURN_CHANNELS && distinct(&s.turn_channels));
    for c in &s.turn_channels {
        assert!((0x4000..=0x7FFF).contains(&c.channel));
    }
    let mut strings: Vec<&str> = s.alpn.iter().map(String::as_str).collect();
    strings.extend(s.ice_usernames.iter().map(String::as_str));
    strings.extend(s.sni.as_deref());
    if let Some(sip) = &s.sip {
        assert!(sip.call_ids.len() <= proto::MAX_CALL_IDS && distinct(&sip.call_ids));
        assert!(sip.methods.len() <= proto::MAX_SIP_METHODS && distinct(&sip.methods));
        assert!(sip.status_codes.len() <= proto::MAX_SIP_STATUS && distinct(&sip.status_codes));
        assert!(sip.sdp_media.len() <= proto::MAX_SDP_MEDIA && distinct(&sip.sdp_media));
        strings.extend(sip.call_ids.iter().map(String::as_str));
        strings.extend(sip.methods.iter().map(String::as_str));
        strings.extend(sip.from.as_deref());
        strings.extend(sip.to.as_deref());
        for m in &sip.sdp_media {
            strings.extend([m.media.as_str(), m.proto.as_str()]);
            strings.extend(m.ip.as_deref());
            strings.extend(m.call_id.as_deref());
        }
    }
    for st in strings {
        assert!(
            st.len() <= proto::MAX_STRING,
            "string of {} bytes kept",
            st.len()
        );
    }
}

fuzz_target!(|input: &[u8]| {
    let mut st = AppState::default();
    let mut rest = input;
    while let Some((h, tail)) = rest.split_first_chunk::<6>() {
        let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        let (data, t) = tail.split_at(len.min(tail.len()));
        rest = t;
        let tcp = h[0] & 1 != 0;
        let side = (h[0] >> 1) & 1;
        let server = PORTS[usize::from(h[1]) % PORTS.len()];
        let (src_port, dst_port) = if side == 0 {
            (50000, server)
        } else {
            (server, 50000)
        };
        let seq =
            ISN[usize::from(side)].wrapping_add_signed(i32::from(i16::from_be_bytes([h[2], h[3]])));
        st.observe(&Payload {
            transport: if tcp { Transport::Tcp } else { Transport::Udp },
            side,
            src_port,
            dst_port,
            tcp_seq: tcp.then_some(seq),
            tcp_syn: tcp && h[0] & 4 != 0,
            dscp: h[0] >> 2,
            ts_ns: 0,
            data,
        });
    }

    let s0 = st.summary(0);
    let s1 = st.summary(1);
    check_caps(&s0);
    assert_eq!(s0.app, st.app());
    let mut sealed = st.clone();
    sealed.seal();
    assert_eq!(sealed.summary(0), s0, "sealing changed the summary");
    assert_eq!(sealed.transient_bytes(), 0);
    let mut a = s0.rtp_ssrcs.clone();
    let mut b = s1.rtp_ssrcs.clone();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "summary(0) and summary(1) hold different SSRCs");
    assert_eq!(
        AppSummary {
            rtp_ssrcs: Vec::new(),
            ..s0.clone()
        },
        AppSummary {
            rtp_ssrcs: Vec::new(),
            ..s1
        }
    );

    let mut m = st.clone();
    m.merge(&st);
    let sm = m.summary(0);
    check_caps(&sm);
    assert_eq!(sm.sni, s0.sni);
    assert_eq!(sm.alpn, s0.alpn);
    assert_eq!(sm.tls_versions, s0.tls_versions);
    assert_eq!(sm.stun_addresses, s0.stun_addresses);
    assert_eq!(sm.ice_usernames, s0.ice_usernames);
    assert_eq!(sm.ice, s0.ice);
    assert_eq!(sm.turn_channels, s0.turn_channels);
    assert_eq!(sm.rtp_ssrcs, s0.rtp_ssrcs);
    assert_eq!(sm.rtp_payload_types, s0.rtp_payload_types);
    assert_eq!(sm.sip.is_some(), s0.sip.is_some());
    if let (Some(x), Some(y)) = (&sm.sip, &s0.sip) {
        assert_eq!(
            (&x.call_ids, &x.methods, &x.status_codes),
            (&y.call_ids, &y.methods, &y.status_codes)
        );
        assert_eq!(
            (&x.from, &x.to, &x.sdp_media),
            (&y.from, &y.to, &y.sdp_media)
        );
        assert_eq!(x.messages, y.messages.saturating_mul(2));
    }
    assert_eq!(sm.counters.messages, s0.counters.messages.saturating_mul(2));
    assert!(
        sm.stun == s0.stun && sm.dtls == s0.dtls && sm.rtcp == s0.rtcp && sm.ms_turn == s0.ms_turn
    );
});
