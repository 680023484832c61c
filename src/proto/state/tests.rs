//! Flow-level tests of `AppState`: classification, evidence, caps, sealing and merging, on
//! byte literals and generated payloads.

use super::*;
use crate::proto::caps::*;
use crate::proto::evidence::{IceRoles, StunAddressKind, TurnChannel};
use crate::proto::tests::hex;
use crate::proto::{sip, tls};
use proptest::prelude::*;

fn udp(side: u8, sport: u16, dport: u16, data: &[u8]) -> Payload<'_> {
    Payload {
        transport: Transport::Udp,
        side,
        src_port: sport,
        dst_port: dport,
        tcp_seq: None,
        tcp_syn: false,
        dscp: 0,
        ts_ns: 0,
        data,
    }
}

fn tcp(side: u8, seq: u32, syn: bool, data: &[u8]) -> Payload<'_> {
    Payload {
        transport: Transport::Tcp,
        side,
        src_port: 50000,
        dst_port: 443,
        tcp_seq: Some(seq),
        tcp_syn: syn,
        dscp: 0,
        ts_ns: 0,
        data,
    }
}

fn rtp_pkt(ssrc: u32, seq: u16, pt: u8) -> Vec<u8> {
    let mut v = vec![0x80, pt];
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&(u32::from(seq) * 160).to_be_bytes());
    v.extend_from_slice(&ssrc.to_be_bytes());
    v.extend_from_slice(&[0xAB; 40]);
    v
}

const TEAMS_BINDING_REQ: &str = "000100682112a442b9f45d4f2ed209b36ad0098a000600092b6d49763a4a46776a0000008029000800007fed5e058e0080700004000000078036000400000001002400046efff9fe80950008651f34ce2e7915fc8037000400000002000800140cd837a6e0b14929f2882becfb32dbe307d6cbd5802800040eea2f77";
const TEAMS_BINDING_OK: &str = "010100442112a442fd2c5e566c6739e324303bf78070000400000007002000080001c1d571a76a0a80370004000000028036000400000001000800147cb64ae09a7d1829d4c1ea524572744187cd29488028000478a5f16b";
/// teams.pcap frame 1413: MS-TURN Send request with DESTINATION-ADDRESS and DATA (inner
/// STUN), truncated in the capture: only used through parse of its prefix.
const TEAMS_SRTCP: &str =
    "80c90005000003e85445413b6f681514fa9c98c95d7a5cf38000a15e01e3e4b990e8e3fcd2e170";

#[test]
fn state_is_small() {
    // Every flow carries an AppState: it must not grow. 96 since issue 16: the pointer to a
    // media flow's stream figures (`rtp::RtpState::media`).
    assert!(std::mem::size_of::<AppState>() <= 96);
    // What every TLS flow allocates: the rare SIP and reassembly parts are boxed apart.
    assert!(std::mem::size_of::<Heavy>() <= 160);
}

#[test]
fn stun_then_rtp_is_rtp() {
    let mut st = AppState::default();
    let req = hex(TEAMS_BINDING_REQ);
    let ok = hex(TEAMS_BINDING_OK);
    st.observe(&udp(0, 50036, 3478, &req));
    st.observe(&udp(1, 3478, 50036, &ok));
    assert_eq!(st.app(), App::Stun);
    for i in 0..3u16 {
        st.observe(&udp(0, 50036, 3478, &rtp_pkt(0x1111, 100 + i, 111)));
    }
    assert_eq!(st.app(), App::Stun, "three packets are not enough");
    st.observe(&udp(0, 50036, 3478, &rtp_pkt(0x1111, 103, 111)));
    assert_eq!(st.app(), App::Rtp);
    // interleaved second stream in the other direction
    for i in 0..6u16 {
        st.observe(&udp(1, 3478, 50036, &rtp_pkt(0x2222, 7 + i * 2, 96)));
        st.observe(&udp(1, 3478, 50036, &rtp_pkt(0x3333, 900 + i, 97)));
    }
    let s = st.summary(0);
    assert_eq!(s.app, App::Rtp);
    assert!(s.stun && s.ms_turn);
    assert_eq!(s.rtp_ssrcs, vec![0x1111, 0x2222, 0x3333]);
    assert_eq!(s.rtp_payload_types, vec![111, 96, 97]);
    assert!(s
        .stun_addresses
        .iter()
        .any(|a| a.kind == StunAddressKind::Mapped && a.ip.to_string() == "80.181.206.72"));
    let s1 = st.summary(1);
    assert_eq!(s1.rtp_ssrcs, vec![0x2222, 0x3333, 0x1111]);
}

#[test]
fn ms_turn_allocate_addresses() {
    let b = hex("010300852112a442222fefc7f3924bd1b99727e4000f000472c64bc6000d00040000003c0001000800010d983472fa8d8008000400000006802000080001c1d571a76a0a805000189b713c623ac1bfbbf6d5237583afa6d318e146b40000000080220009322e302e312e3231310010000400002ee000080020affdc3c55c1f6d01a7ea3daf5997ead07e311ca91093584d7d833bfb5eb507a9");
    let mut st = AppState::default();
    st.observe(&udp(1, 3478, 50016, &b));
    let s = st.summary(0);
    assert_eq!(s.app, App::Stun);
    assert!(s.ms_turn);
    let got: Vec<String> = s
        .stun_addresses
        .iter()
        .map(|a| format!("{:?} {}:{}", a.kind, a.ip, a.port))
        .collect();
    assert_eq!(
        got,
        vec!["Relayed 52.114.250.141:3480", "Mapped 80.181.206.72:57543"]
    );
}

#[test]
fn single_0x80_packet_is_not_rtp() {
    let mut st = AppState::default();
    st.observe(&udp(0, 1, 2, &rtp_pkt(5, 1, 0)));
    assert_eq!(st.app(), App::Other);
    // random jumps never confirm
    for s in [1u16, 5000, 9, 30000, 2, 60000] {
        st.observe(&udp(0, 1, 2, &rtp_pkt(5, s, 0)));
    }
    assert_eq!(st.app(), App::Other);
}

#[test]
fn srtcp_only_is_rtcp() {
    let mut st = AppState::default();
    let b = hex(TEAMS_SRTCP);
    st.observe(&udp(0, 3479, 50006, &b));
    assert_eq!(st.app(), App::Other);
    st.observe(&udp(0, 3479, 50006, &b));
    assert_eq!(st.app(), App::Rtcp);
}

#[test]
fn tls_client_hello_split_and_out_of_order() {
    let ch = hex(tls::tests::TEAMS_CH);
    let isn = 0xFFFF_FF00u32; // wraps
    let mut st = AppState::default();
    st.observe(&tcp(0, isn, true, &[]));
    let start = isn.wrapping_add(1);
    // second half first, then the first half
    st.observe(&tcp(0, start.wrapping_add(60), false, &ch[60..]));
    assert_eq!(st.app(), App::Other);
    st.observe(&tcp(0, start, false, &ch[..60]));
    let s = st.summary(0);
    assert_eq!(s.app, App::Tls);
    assert_eq!(s.sni.as_deref(), Some("teams.microsoft.com"));
    assert_eq!(s.alpn, vec!["h2".to_string(), "http/1.1".to_string()]);
    assert!(!st.reassembling(), "reassembly buffer freed");
    assert_eq!(st.transient_bytes(), 0);
}

#[test]
fn tls_client_hello_in_order_without_syn() {
    let ch = hex(tls::tests::TEAMS_CH);
    let mut st = AppState::default();
    st.observe(&tcp(0, 5000, false, &ch[..100]));
    st.observe(&tcp(0, 5100, false, &ch[100..]));
    assert_eq!(st.summary(1).sni.as_deref(), Some("teams.microsoft.com"));
}

#[test]
fn tls_server_only() {
    let mut st = AppState::default();
    let mut sh = vec![0x16, 3, 3, 0, 60, 2, 0, 0, 56, 3, 3];
    sh.resize(65, 0);
    st.observe(&tcp(1, 77, false, &sh));
    assert_eq!(st.app(), App::Tls);
}

#[test]
fn sip_with_sdp_and_http_on_5060() {
    let mut st = AppState::default();
    st.observe(&udp(0, 5060, 5060, sip::tests::INVITE));
    st.observe(&udp(0, 5060, 5060, b"hello"));
    let s = st.summary(0);
    assert_eq!(s.app, App::Sip);
    let sip = s.sip.unwrap();
    assert_eq!(
        sip.call_ids,
        vec!["105090259-446faf7a@192.168.1.2".to_string()]
    );
    assert_eq!(sip.methods, vec!["INVITE".to_string()]);
    assert_eq!(sip.sdp_media[0].port, 30000);
    assert_eq!(sip.sdp_media[0].ip.as_deref(), Some("192.168.1.2"));

    let mut http = AppState::default();
    let mut p = tcp(
        0,
        1,
        false,
        b"GET / HTTP/1.1\r\nHost: 45.58.148.2:8888\r\n\r\n",
    );
    p.src_port = 5060;
    http.observe(&p);
    http.observe(&tcp(
        1,
        9,
        false,
        b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
    ));
    assert_eq!(http.app(), App::Other);
}

#[test]
fn dns_on_port_53() {
    let q = b"\xce\x9d\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01";
    let mut st = AppState::default();
    st.observe(&udp(0, 40000, 53, q));
    assert_eq!(st.app(), App::Dns);
    let mut off = AppState::default();
    off.observe(&udp(0, 40000, 54, q));
    assert_eq!(off.app(), App::Other);
}

#[test]
fn dtls_flow() {
    let mut b = vec![0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x01];
    b.resize(13 + 0x10, 0);
    let mut st = AppState::default();
    st.observe(&udp(0, 1, 2, &b));
    assert_eq!(st.app(), App::Dtls);
}

#[test]
fn weak_random_udp_is_other() {
    // like the dnscrypt_skype_false_positive capture: a few high-entropy datagrams
    let mut st = AppState::default();
    let mut x: u32 = 12345;
    for i in 0..6u8 {
        let mut v = Vec::new();
        for _ in 0..300 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            v.push((x >> 16) as u8);
        }
        v[0] = if i % 2 == 0 { 0x00 } else { 0x80 };
        st.observe(&udp(i % 2, 46858, 443, &v));
    }
    assert_eq!(st.app(), App::Other);
}

#[test]
fn merge_two_halves() {
    let mut a = AppState::default();
    let mut b = AppState::default();
    a.observe(&udp(0, 1, 2, &hex(TEAMS_BINDING_REQ)));
    for i in 0..5 {
        b.observe(&udp(1, 2, 1, &rtp_pkt(9, i, 0)));
    }
    a.merge(&b);
    let s = a.summary(0);
    assert_eq!(s.app, App::Rtp);
    assert!(s.stun);
    assert_eq!(s.rtp_ssrcs, vec![9]);
}

#[test]
fn given_up_after_unmatched() {
    let mut st = AppState::default();
    for _ in 0..MAX_UNMATCHED {
        st.observe(&udp(0, 1, 2, b"\xee nothing to see"));
    }
    assert!(st.has(flag::GIVEN_UP));
    assert!(st.heavy.is_none());
}

#[test]
fn stun_over_tcp_rfc4571_counts_every_message() {
    let one = hex("000300082112a442704b6e453952586746596c590019000411000000");
    let mut seg = Vec::new();
    for _ in 0..3 {
        seg.extend_from_slice(&one);
    }
    let mut st = AppState::default();
    st.observe(&tcp(0, 1, false, &seg));
    assert_eq!(st.app(), App::Stun);
    assert_eq!(st.summary(0).counters.messages, 3);
}

fn check_caps(st: &AppState) {
    let pending = st
        .heavy
        .as_deref()
        .is_some_and(|h| h.tls.reasm.iter().any(|r| r.iter().any(Option::is_some)));
    assert_eq!(st.reassembling(), pending, "REASM flag out of step");
    // The reassembly box is freed once nothing is pending.
    let boxed = st.heavy.as_deref().is_some_and(|h| h.tls.reasm.is_some());
    assert_eq!(boxed, pending, "reassembly box kept with nothing pending");
    if let Some(h) = st.heavy.as_deref() {
        assert!(h.stun.addresses().len() <= MAX_STUN_ADDRESSES);
        assert!(h.stun.ice_usernames().len() <= MAX_ICE_USERNAMES);
        assert!(h.stun.ice_usernames().iter().all(|u| u.len() <= MAX_STRING));
        assert!(h.stun.turn_channels().len() <= MAX_TURN_CHANNELS);
        assert!(h.rtp.ssrcs.len() <= MAX_SSRCS);
        assert!(h.rtp.payload_types.len() <= MAX_PAYLOAD_TYPES);
        assert!(h.tls.alpn.len() <= MAX_ALPN);
        assert!(h.tls.versions.len() <= MAX_TLS_VERSIONS);
        assert!(h.tls.sni.as_ref().is_none_or(|s| s.len() <= MAX_STRING * 3));
        for r in h.tls.reasm.iter().flat_map(|r| r.iter().flatten()) {
            assert!(r.len() <= tls::REASM_CAP);
        }
        if let Some(sh) = &h.sip {
            let (_, bytes) = sh.pending();
            assert!(bytes <= 2 * MAX_SIP_BODY_PENDING);
            let s = &sh.summary;
            assert!(s.call_ids.len() <= MAX_CALL_IDS);
            assert!(s.methods.len() <= MAX_SIP_METHODS);
            assert!(s.status_codes.len() <= MAX_SIP_STATUS);
            assert!(s.sdp_media.len() <= MAX_SDP_MEDIA);
        }
    }
}

/// One generated packet: TCP?, side, source port, TCP sequence, SYN?, payload.
type ArbPayload = (bool, u8, u16, u32, bool, Vec<u8>);

/// The payload of a generated packet, to port 3478 at time 0.
fn payload_of(p: &ArbPayload) -> Payload<'_> {
    let (is_tcp, side, port, seq, syn, data) = p;
    Payload {
        transport: if *is_tcp {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        side: *side,
        src_port: *port,
        dst_port: 3478,
        tcp_seq: is_tcp.then_some(*seq),
        tcp_syn: *syn,
        dscp: 0,
        ts_ns: 0,
        data,
    }
}

fn arb_payload() -> impl Strategy<Value = ArbPayload> {
    let data = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        // biased first bytes: STUN, DTLS, TURN channel, RTP, TLS, SIP
        (
            prop_oneof![
                Just(0u8),
                Just(1),
                Just(0x16),
                Just(0x40),
                Just(0x80),
                Just(0x02),
                Just(b'I'),
                Just(b'S')
            ],
            proptest::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(b, mut v)| {
                v.insert(0, b);
                v
            }),
    ];
    (
        any::<bool>(),
        0u8..2,
        prop_oneof![Just(53u16), Just(3478), Just(5060), Just(443), any::<u16>()],
        any::<u32>(),
        any::<bool>(),
        data,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn observe_never_panics_and_respects_caps(pkts in proptest::collection::vec(arb_payload(), 0..60)) {
        let mut st = AppState::default();
        let mut other = AppState::default();
        for pkt in &pkts {
            let p = payload_of(pkt);
            st.observe(&p);
            other.observe(&p);
            check_caps(&st);
        }
        st.merge(&other);
        check_caps(&st);
        let s = st.summary(0);
        prop_assert!(s.rtp_ssrcs.len() <= MAX_SSRCS);
    }

    /// Sealing at any point leaves the summary as it was and frees every reassembly.
    #[test]
    fn sealing_never_changes_the_summary(pkts in proptest::collection::vec((arb_payload(), any::<bool>()), 0..60)) {
        let mut st = AppState::default();
        for (pkt, seal) in &pkts {
            st.observe(&payload_of(pkt));
            check_caps(&st);
            if *seal {
                let (app, s0, s1) = (st.app(), st.summary(0), st.summary(1));
                st.seal();
                check_caps(&st);
                prop_assert_eq!(st.transient_bytes(), 0);
                prop_assert_eq!(st.app(), app);
                prop_assert_eq!(st.summary(0), s0);
                prop_assert_eq!(st.summary(1), s1);
            }
        }
    }


}

// ---- sealing (issue 5) ----

const S: i64 = 1_000_000_000;

fn at(mut p: Payload<'_>, ts_ns: i64) -> Payload<'_> {
    p.ts_ns = ts_ns;
    p
}

fn sealed(st: &AppState) -> AppState {
    let mut s = st.clone();
    s.seal();
    s
}

#[test]
fn sealing_keeps_classification_and_evidence() {
    let ch = hex(tls::tests::TEAMS_CH);
    let mut tls_flow = AppState::default();
    tls_flow.observe(&tcp(0, 7, true, &[]));
    tls_flow.observe(&tcp(0, 8, false, &ch));
    let mut rtp_flow = AppState::default();
    rtp_flow.observe(&udp(0, 50036, 3478, &hex(TEAMS_BINDING_REQ)));
    for i in 0..5 {
        rtp_flow.observe(&udp(0, 50036, 3478, &rtp_pkt(0x1111, 100 + i, 111)));
    }
    let mut sip_flow = AppState::default();
    sip_flow.observe(&udp(0, 5060, 5060, sip::tests::INVITE));
    for st in [&tls_flow, &rtp_flow, &sip_flow] {
        let s = sealed(st);
        assert!(s.is_sealed() && !st.is_sealed());
        assert_eq!(s.app(), st.app());
        assert_eq!(s.summary(0), st.summary(0));
        assert_eq!(s.summary(1), st.summary(1));
        assert!(s.heavy.is_some(), "evidence kept");
    }
    assert_eq!(
        sealed(&tls_flow).summary(0).sni.as_deref(),
        Some("teams.microsoft.com")
    );
    // Nothing left in Heavy: freed.
    let empty = AppState {
        heavy: Some(Box::default()),
        ..AppState::default()
    };
    assert!(sealed(&empty).heavy.is_none());
    // A packet clears the bit.
    let mut s = sealed(&rtp_flow);
    s.observe(&udp(0, 50036, 3478, &rtp_pkt(0x1111, 105, 111)));
    assert!(!s.is_sealed());
    assert!(std::mem::size_of::<AppState>() <= 96);
}

#[test]
fn sealing_gives_up_a_partial_client_hello_and_counts_it() {
    let ch = hex(tls::tests::TEAMS_CH);
    let mut st = AppState::default();
    st.observe(&tcp(0, 7, true, &[]));
    st.observe(&tcp(0, 8, false, &ch[..100]));
    assert!(st.reassembling());
    assert_eq!(st.transient_bytes(), 100);
    // The summary counts the unfinished hello as lost before and after sealing alike.
    let before = st.summary(0);
    assert_eq!(before.counters.caps_hit, 1);
    st.seal();
    assert!(!st.reassembling());
    assert_eq!(st.transient_bytes(), 0);
    assert!(st.heavy.is_none(), "only the reassembly was in Heavy");
    assert_eq!(st.counters.caps_hit, 1);
    assert_eq!(st.summary(0), before);
    check_caps(&st);
    // The rest of the hello alone is not a hello.
    st.observe(&tcp(0, 108, false, &ch[100..]));
    assert_eq!(st.summary(0).sni, None);
    assert_eq!(st.summary(0).counters.caps_hit, 1);
}

#[test]
fn after_sealing_a_client_hello_is_parsed_again() {
    let ch = hex(tls::tests::TEAMS_CH);
    let mut st = AppState::default();
    st.observe(&tcp(0, 7, true, &[]));
    st.observe(&tcp(0, 8, false, &ch[..100]));
    st.seal();
    // Retransmitted whole.
    let mut whole = st.clone();
    whole.observe(&tcp(0, 8, false, &ch));
    assert_eq!(whole.summary(0).sni.as_deref(), Some("teams.microsoft.com"));
    assert_eq!(whole.app(), App::Tls);
    // Retransmitted split: a new reassembly starts and completes.
    st.observe(&tcp(0, 8, false, &ch[..100]));
    assert!(st.reassembling());
    st.observe(&tcp(0, 108, false, &ch[100..]));
    assert!(!st.reassembling());
    let s = st.summary(0);
    assert_eq!(s.sni.as_deref(), Some("teams.microsoft.com"));
    assert_eq!(s.counters.caps_hit, 1, "the first attempt stays counted");
}

/// A ClientHello paused longer than `REASM_MAX_GAP_NS` is given up by the parser itself, so
/// sealing in the gap changes nothing (whichever shard swept when).
#[test]
fn reassembly_gives_up_after_a_long_gap_like_sealing_does() {
    let ch = hex(tls::tests::TEAMS_CH);
    let run = |gap: i64, seal: bool| {
        let mut st = AppState::default();
        st.observe(&at(tcp(0, 7, true, &[]), 0));
        st.observe(&at(tcp(0, 8, false, &ch[..100]), S));
        // The server's ACKs keep the flow alive.
        st.observe(&at(tcp(1, 900, false, &[]), 2 * S));
        if seal {
            st.seal();
        }
        st.observe(&at(tcp(0, 108, false, &ch[100..]), 2 * S + gap));
        check_caps(&st);
        st.summary(0)
    };
    let quick = run(S, false);
    assert_eq!(quick.sni.as_deref(), Some("teams.microsoft.com"));
    assert_eq!(quick.counters.caps_hit, 0);
    // The gap counts from the flow's last packet (the ACK), not from the hello's.
    assert_eq!(run(tls::REASM_MAX_GAP_NS, false), quick);
    let late = run(tls::REASM_MAX_GAP_NS + 1, false);
    assert_eq!(late.sni, None);
    assert_eq!(late.counters.caps_hit, 1);
    assert_eq!(run(tls::REASM_MAX_GAP_NS + 1, true), late);
    // Timestamps going backwards never give up.
    assert_eq!(run(-100 * S, false), quick);
}

#[test]
fn merge_counts_the_other_sides_pending_hello_and_keeps_own_bits() {
    let ch = hex(tls::tests::TEAMS_CH);
    let mut a = AppState::default();
    a.observe(&udp(0, 50036, 3478, &hex(TEAMS_BINDING_REQ)));
    a.seal();
    let mut b = AppState::default();
    b.observe(&tcp(0, 8, false, &ch[..100]));
    a.merge(&b);
    // `a`'s own bits: still sealed, no reassembly taken over.
    assert!(a.is_sealed() && !a.reassembling());
    check_caps(&a);
    assert_eq!(a.summary(0).counters.caps_hit, 1);
    assert_eq!(a.summary(0).app, App::Stun);
    // Merging a sealed copy equals merging the unsealed one.
    let mut c = AppState::default();
    c.merge(&sealed(&b));
    let mut d = AppState::default();
    d.merge(&b);
    assert_eq!(c.summary(0), d.summary(0));
}

/// Fuzz regression (fuzz target `app_state`, seed `sip-long-strings`): a From value whose
/// 256th byte falls inside a multi-byte character was kept as 258 bytes (cut, then a U+FFFD
/// for the broken character), and a Call-ID cut inside a character was kept whole.
#[test]
fn kept_strings_stay_within_max_string_bytes() {
    let call_id = format!("{}é{}@h", "c".repeat(MAX_STRING - 1), "d".repeat(40));
    let from = format!("{}@contoso.com", "zoë".repeat(90));
    let msg = format!(
        "INVITE sip:bob@contoso.com SIP/2.0\r\nFrom: <sip:{from}>\r\nTo: <sip:bob@contoso.com>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    );
    let mut st = AppState::default();
    st.observe(&udp(0, 50000, 5060, msg.as_bytes()));
    let s = st.summary(0);
    let sip = s.sip.unwrap();
    let from = sip.from.unwrap();
    assert!(from.len() <= MAX_STRING, "{} bytes", from.len());
    assert!(from.starts_with("<sip:zoë"));
    assert_eq!(sip.call_ids.len(), 1);
    assert_eq!(sip.call_ids[0], "c".repeat(MAX_STRING - 1));
}

/// TLS records of the given lengths, back to back (RFC 8446 §5.1), application_data.
fn tls_records(lens: &[usize]) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, &l) in lens.iter().enumerate() {
        v.extend_from_slice(&[0x17, 3, 3]);
        v.extend_from_slice(&u16::try_from(l).unwrap().to_be_bytes());
        v.extend(std::iter::repeat_n(0xA0 ^ i as u8, l));
    }
    v
}

/// Feeds `stream` as one side's segments of `mss` bytes from `seq`, no SYN.
fn feed_tcp(st: &mut AppState, side: u8, seq: u32, stream: &[u8], mss: usize) {
    for (i, c) in stream.chunks(mss).enumerate() {
        let at = seq.wrapping_add(u32::try_from(i * mss).unwrap());
        st.observe(&tcp(side, at, false, c));
    }
}

fn mid_bits(st: &AppState) -> (bool, bool) {
    (st.has(flag::MID0), st.has(flag::MID1))
}

#[test]
fn tls_mid_session_runs_in_both_directions() {
    // Capture started during a download: the server's 16 KiB records span a dozen segments
    // each, so without following the records the flow gave up (MAX_UNMATCHED) before a
    // second segment opened with a header.
    let down = tls_records(&[16384, 16384, 16384, 500]);
    let mut st = AppState::default();
    feed_tcp(&mut st, 1, 0xFFFF_F000, &down, 1448); // wraps
    assert_eq!(mid_bits(&st), (false, true));
    assert_eq!(st.app(), App::Other, "one direction is not enough");
    assert!(!st.has(flag::GIVEN_UP));
    // The client: three small records coalesced in one segment.
    st.observe(&tcp(0, 42, false, &tls_records(&[30, 60, 24])));
    assert_eq!(mid_bits(&st), (true, true));
    assert_eq!(st.app(), App::Tls);
}

#[test]
fn tls_mid_session_needs_three_aligned_records() {
    // Two records a side: no run (the older two-header rule is not what is checked here).
    let mut st = AppState::default();
    feed_tcp(&mut st, 0, 1000, &tls_records(&[700, 900]), 1448);
    feed_tcp(&mut st, 1, 5000, &tls_records(&[3000, 20]), 1448);
    assert_eq!(mid_bits(&st), (false, false));
    // A third record's header one byte off where the second ends: the run ends there.
    let mut s = tls_records(&[700, 900]);
    s.push(0);
    s.extend_from_slice(&tls_records(&[100, 100]));
    let mut st = AppState::default();
    feed_tcp(&mut st, 0, 1000, &s, 1448);
    assert_eq!(mid_bits(&st), (false, false));
    // Bytes lost before the due header: no run either.
    let s = tls_records(&[2000, 2000, 2000]);
    let mut st = AppState::default();
    st.observe(&tcp(0, 0, false, &s[..1448]));
    st.observe(&tcp(0, 2896, false, &s[2896..]));
    assert_eq!(mid_bits(&st), (false, false));
    // A side whose SYN was seen is read from its start, not as a mid-session run.
    let mut st = AppState::default();
    st.observe(&tcp(0, 99, true, &[]));
    feed_tcp(&mut st, 0, 100, &tls_records(&[10, 10, 10]), 1448);
    assert_eq!(mid_bits(&st), (false, false));
}

#[test]
fn tcp_text_and_media_are_not_mid_session_tls() {
    let http_req = b"GET /v1/users/ME/conversations HTTP/1.1\r\nHost: teams.microsoft.com\r\n\r\n";
    let mut http_resp = b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n".to_vec();
    http_resp.extend(std::iter::repeat_n(b'x', 20000));
    let ssh_c = b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x05\xdc\x06\x14\x17\x03\x03\x00\x10".to_vec();
    let mut ssh_s = b"SSH-2.0-OpenSSH_8.9\r\n".to_vec();
    ssh_s.extend(std::iter::repeat_n(0x17, 3000));
    let sip = sip::tests::INVITE;
    let mut rfc4571 = Vec::new();
    for i in 0..40u16 {
        let p = rtp_pkt(0x4242, i, 111);
        rfc4571.extend_from_slice(&u16::try_from(p.len()).unwrap().to_be_bytes());
        rfc4571.extend_from_slice(&p);
    }
    let cases: [(&[u8], &[u8]); 4] = [
        (http_req, &http_resp),
        (&ssh_c, &ssh_s),
        (sip, sip),
        (&rfc4571, &rfc4571),
    ];
    for (a, b) in cases {
        let mut st = AppState::default();
        for round in 0..3u32 {
            feed_tcp(&mut st, 0, round * 100_000, a, 1448);
            feed_tcp(&mut st, 1, round * 100_000, b, 1448);
        }
        assert_eq!(mid_bits(&st), (false, false));
        assert_ne!(st.app(), App::Tls);
    }
}

/// RFC 8656 §12.4 ChannelData on `ch` around `body`, padded to 4 when `pad`.
fn channel_data(ch: u16, body: &[u8], pad: bool) -> Vec<u8> {
    let mut v = ch.to_be_bytes().to_vec();
    v.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    v.extend_from_slice(body);
    while pad && v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

#[test]
fn channel_data_rtp_without_stun_is_rtp() {
    // Byte literal: channel 0x4001, 14 bytes, RTP v2 PT 111, seq 7, SSRC 0x01020304.
    let mut lit = hex("4001000e806f000700000460010203045a5a0000");
    let mut st = AppState::default();
    for seq in 7..7 + RTP_MIN_RUN {
        lit[7] = seq;
        st.observe(&udp(0, 50020, 3478, &lit));
    }
    assert_eq!(st.summary(0).rtp_ssrcs, vec![0x0102_0304]);
    // UDP, the capture started mid-call: no Allocate, no ChannelBind.
    let mut st = AppState::default();
    for i in 0..u16::from(RTP_MIN_RUN) {
        assert_eq!(st.app(), App::Other);
        st.observe(&udp(
            0,
            50020,
            3478,
            &channel_data(0x4001, &rtp_pkt(7, i, 111), false),
        ));
    }
    assert_eq!(st.app(), App::Rtp);
    assert_eq!(st.summary(0).rtp_ssrcs, vec![7]);
    // TCP: two padded frames a segment (RFC 8656 §12.5), an odd-length payload.
    let mut st = AppState::default();
    let mut seq = 1u32;
    for i in 0..2u16 {
        let mut body = rtp_pkt(9, 2 * i, 0);
        body.push(1);
        let mut seg = channel_data(0x4FFF, &body, true);
        body = rtp_pkt(9, 2 * i + 1, 0);
        body.push(1);
        seg.extend_from_slice(&channel_data(0x4FFF, &body, true));
        st.observe(&tcp(1, seq, false, &seg));
        seq = seq.wrapping_add(u32::try_from(seg.len()).unwrap());
    }
    assert_eq!(st.app(), App::Rtp);
}

#[test]
fn channel_data_without_an_rtp_run_is_not_rtp() {
    let mut st = AppState::default();
    // A different SSRC each time; DTLS and RTCP bodies; a frame with trailing bytes over UDP;
    // a channel number out of range.
    for i in 0..40u16 {
        let cd = channel_data(0x4000, &rtp_pkt(u32::from(i), i, 111), false);
        st.observe(&udp(0, 50020, 3478, &cd));
        let cd = channel_data(0x4000, &hex("17fefd0001000000000005001000"), false);
        st.observe(&udp(0, 50020, 3478, &cd));
        let cd = channel_data(0x4000, &hex(TEAMS_SRTCP), false);
        st.observe(&udp(0, 50020, 3478, &cd));
    }
    assert_eq!(st.app(), App::Other);
    let mut st = AppState::default();
    for i in 0..8u16 {
        let mut cd = channel_data(0x4000, &rtp_pkt(5, i, 111), false);
        cd.extend_from_slice(&[0; 4]);
        st.observe(&udp(0, 50020, 3478, &cd));
        let cd = channel_data(0x8000, &rtp_pkt(6, i, 111), true);
        st.observe(&tcp(0, u32::from(i) * 100, false, &cd));
    }
    assert_eq!(st.app(), App::Other);
}

/// One TCP direction's stream, fed segment by segment from its ISN (the SYN seen).
struct TcpSide {
    side: u8,
    next: u32,
}

impl TcpSide {
    fn open(st: &mut AppState, side: u8, isn: u32) -> TcpSide {
        st.observe(&tcp(side, isn, true, &[]));
        TcpSide {
            side,
            next: isn.wrapping_add(1),
        }
    }

    fn send(&mut self, st: &mut AppState, data: &[u8]) {
        st.observe(&tcp(self.side, self.next, false, data));
        self.next = self.next.wrapping_add(u32::try_from(data.len()).unwrap());
    }
}

#[test]
fn ms_turn_pseudo_tls_then_turn_carrying_rtp_is_rtp() {
    use crate::proto::tls::tests::{PSEUDO_TLS_CH, PSEUDO_TLS_SH};
    let mut st = AppState::default();
    let mut client = TcpSide::open(&mut st, 0, 1000);
    let mut server = TcpSide::open(&mut st, 1, 9000);
    client.send(&mut st, &hex(PSEUDO_TLS_CH));
    assert!(!st.tls_done(), "the server's answer decides");
    server.send(&mut st, &hex(PSEUDO_TLS_SH));
    assert_eq!(st.app(), App::Tls);
    client.send(&mut st, &hex(TEAMS_BINDING_REQ));
    server.send(&mut st, &hex(TEAMS_BINDING_OK));
    assert_eq!(st.app(), App::Stun);
    for i in 0..u16::from(RTP_MIN_RUN) {
        client.send(&mut st, &channel_data(0x4000, &rtp_pkt(11, i, 111), true));
        server.send(&mut st, &channel_data(0x4000, &rtp_pkt(22, i, 111), true));
    }
    assert_eq!(st.app(), App::Rtp);
    let s = st.summary(0);
    assert!(s.ms_turn_pseudo_tls && s.stun);
    assert_eq!(s.rtp_ssrcs, vec![11, 22]);
    // Merging keeps it.
    let mut m = AppState::default();
    m.merge(&st);
    assert!(m.summary(0).ms_turn_pseudo_tls);
}

#[test]
fn a_pseudo_tls_looking_hello_answered_by_a_real_server_is_tls() {
    use crate::proto::tls::tests::PSEUDO_TLS_CH;
    let mut st = AppState::default();
    let mut client = TcpSide::open(&mut st, 0, 1000);
    let mut server = TcpSide::open(&mut st, 1, 9000);
    client.send(&mut st, &hex(PSEUDO_TLS_CH));
    // ServerHello, then a Certificate (type 11) in the same record: a real TLS server.
    let mut sh = hex("160301002e020000260301");
    sh.extend_from_slice(&[0x22; 32]);
    sh.extend_from_slice(&hex("00002f000b000000"));
    server.send(&mut st, &sh);
    assert!(st.tls_done());
    let s = st.summary(0);
    assert_eq!(s.app, App::Tls);
    assert!(!s.ms_turn_pseudo_tls);
}

// ---- evidence that links flows into calls (issue 15) ----

/// A STUN message with the cookie: `typ`, a fixed transaction id, `attrs` (already padded).
fn stun_msg(typ: u16, attrs: &[u8]) -> Vec<u8> {
    let mut v = typ.to_be_bytes().to_vec();
    v.extend_from_slice(&u16::try_from(attrs.len()).unwrap().to_be_bytes());
    v.extend_from_slice(&hex("2112a442000102030405060708090a0b"));
    v.extend_from_slice(attrs);
    v
}

/// USERNAME attribute (RFC 8489 §14.3), padded to 4.
fn username(u: &str) -> Vec<u8> {
    let mut v = hex("0006");
    v.extend_from_slice(&u16::try_from(u.len()).unwrap().to_be_bytes());
    v.extend_from_slice(u.as_bytes());
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

#[test]
fn ice_checks_keep_usernames_and_roles() {
    let mut st = AppState::default();
    // Teams' check: USERNAME "+mIv:JFwj", ICE-CONTROLLED.
    st.observe(&udp(0, 50036, 3478, &hex(TEAMS_BINDING_REQ)));
    // The answer's checks the other way: ICE-CONTROLLING + USE-CANDIDATE (nomination).
    let mut attrs = username("JFwj:+mIv");
    attrs.extend_from_slice(&hex("802a000800000000000000010025000000240004000000ff"));
    st.observe(&udp(1, 3478, 50036, &stun_msg(0x0001, &attrs)));
    // Again: no duplicate.
    st.observe(&udp(1, 3478, 50036, &stun_msg(0x0001, &attrs)));
    let s = st.summary(0);
    assert_eq!(s.ice_usernames, vec!["+mIv:JFwj", "JFwj:+mIv"]);
    assert_eq!(
        s.ice,
        IceRoles {
            controlling: true,
            controlled: true,
            use_candidate: true
        }
    );
    assert_eq!(s.counters.caps_hit, 0);
    // Only Binding requests: an Allocate request's USERNAME (long-term credentials) and a
    // Binding response's attributes are not taken.
    let mut turn = AppState::default();
    let mut a = username("user:realm");
    a.extend_from_slice(&hex("802a00080000000000000001"));
    turn.observe(&udp(0, 50036, 3478, &stun_msg(0x0003, &a)));
    turn.observe(&udp(1, 3478, 50036, &stun_msg(0x0101, &a)));
    let s = turn.summary(0);
    assert!(s.stun && s.ice_usernames.is_empty() && s.ice.is_empty());
}

#[test]
fn ice_usernames_are_capped_and_cut() {
    let mut st = AppState::default();
    let long = format!("{}:b", "a".repeat(MAX_STRING + 40));
    st.observe(&udp(0, 1, 2, &stun_msg(0x0001, &username(&long))));
    for i in 0..MAX_ICE_USERNAMES + 2 {
        let u = format!("r{i}:l");
        st.observe(&udp(0, 1, 2, &stun_msg(0x0001, &username(&u))));
    }
    let s = st.summary(0);
    assert_eq!(s.ice_usernames.len(), MAX_ICE_USERNAMES);
    assert_eq!(s.ice_usernames[0], "a".repeat(MAX_STRING));
    assert_eq!(s.counters.caps_hit, 3);
    check_caps(&st);
}

#[test]
fn turn_channel_bind_and_peer_addresses() {
    use crate::proto::stun::tests::CHANNEL_BIND;
    let mut st = AppState::default();
    st.observe(&udp(0, 50020, 3478, &hex(CHANNEL_BIND)));
    st.observe(&udp(0, 50020, 3478, &hex(CHANNEL_BIND)));
    let s = st.summary(0);
    assert_eq!(
        s.turn_channels,
        vec![TurnChannel {
            channel: 0x4000,
            peer: "192.0.2.1:50000".parse().unwrap()
        }]
    );
    // Its XOR-PEER-ADDRESS is a peer address too.
    let peers: Vec<String> = s
        .stun_addresses
        .iter()
        .map(|a| format!("{:?} {}:{}", a.kind, a.ip, a.port))
        .collect();
    assert_eq!(peers, vec!["Peer 192.0.2.1:50000"]);
    // Channels over the cap are counted.
    let mut st = AppState::default();
    for i in 0..u16::try_from(MAX_TURN_CHANNELS).unwrap() + 1 {
        let mut b = hex(CHANNEL_BIND);
        b[25] = u8::try_from(i).unwrap(); // channel 0x40ii
        st.observe(&udp(0, 50020, 3478, &b));
    }
    let s = st.summary(0);
    assert_eq!(s.turn_channels.len(), MAX_TURN_CHANNELS);
    assert_eq!(s.counters.caps_hit, 1);
}

#[test]
fn turn_addresses_of_each_kind() {
    let kinds = |b: &[u8]| {
        let mut st = AppState::default();
        st.observe(&udp(1, 3478, 50020, b));
        st.summary(0)
            .stun_addresses
            .iter()
            .map(|a| format!("{:?} {}:{}", a.kind, a.ip, a.port))
            .collect::<Vec<_>>()
    };
    // RFC 8656 §9.1 CreatePermission request: XOR-PEER-ADDRESS 192.0.2.1:50000.
    let cp = stun_msg(
        0x0008,
        &hex("0012000800 01e242e112a643".replace(' ', "").as_str()),
    );
    assert_eq!(kinds(&cp), vec!["Peer 192.0.2.1:50000"]);
    // RFC 8656 §7.3 Allocate success: XOR-RELAYED-ADDRESS 198.51.100.7:49152 (0xC000), then
    // XOR-MAPPED-ADDRESS 192.0.2.1:50000.
    let relayed = format!(
        "00160008 0001{:04x}{:08x} 00200008 0001e242e112a643",
        0xC000u16 ^ 0x2112,
        0xC633_6407u32 ^ 0x2112_A442
    )
    .replace(' ', "");
    let alloc = stun_msg(0x0103, &hex(&relayed));
    assert_eq!(
        kinds(&alloc),
        vec!["Relayed 198.51.100.7:49152", "Mapped 192.0.2.1:50000"]
    );
    // [MS-TURN] §2.2.2.9 Send request: MAGIC-COOKIE attribute, DESTINATION-ADDRESS (plain)
    // 192.0.2.9:3480; no RFC 5389 cookie in the header.
    let mut ms = hex("000400142112a443000102030405060708090a0b");
    ms.extend_from_slice(&hex("000f000472c64bc6001100080001 0d98 c0000209"
        .replace(' ', "")
        .as_str()));
    assert_eq!(kinds(&ms), vec!["Peer 192.0.2.9:3480"]);
    // [MS-TURN] Allocate success's MAPPED-ADDRESS is the relayed one: see
    // `ms_turn_allocate_addresses`.
}

#[test]
fn merge_unions_ice_and_turn_evidence_capped() {
    use crate::proto::stun::tests::CHANNEL_BIND;
    let mut a = AppState::default();
    let mut b = AppState::default();
    for i in 0..3 {
        a.observe(&udp(
            0,
            1,
            2,
            &stun_msg(0x0001, &username(&format!("a{i}:x"))),
        ));
        b.observe(&udp(
            0,
            1,
            2,
            &stun_msg(0x0001, &username(&format!("b{i}:x"))),
        ));
    }
    b.observe(&udp(0, 1, 2, &hex(TEAMS_BINDING_REQ)));
    b.observe(&udp(0, 1, 2, &hex(CHANNEL_BIND)));
    a.merge(&b);
    let s = a.summary(0);
    assert_eq!(s.ice_usernames, vec!["a0:x", "a1:x", "a2:x", "b0:x"]);
    assert!(s.ice.controlled && !s.ice.controlling);
    assert_eq!(s.turn_channels.len(), 1);
    // Two usernames of `b` did not fit, nor `+mIv:JFwj`.
    assert_eq!(s.counters.caps_hit, 3);
    check_caps(&a);
    // Merging a copy of itself changes no list.
    let mut c = a.clone();
    c.merge(&a);
    assert_eq!(c.summary(0).ice_usernames, s.ice_usernames);
    assert_eq!(c.summary(0).turn_channels, s.turn_channels);
}

/// A SIP INVITE over TCP with an SDP body announcing audio at `ip`:`port`.
fn sip_invite(call_id: &str, ip: &str, port: u16) -> Vec<u8> {
    let body = format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP 0\r\n"
    );
    format!(
        "INVITE sip:bob@contoso.com SIP/2.0\r\nVia: SIP/2.0/TCP {ip}:5060\r\nFrom: <sip:alice@contoso.com>;tag=1\r\nTo: <sip:bob@contoso.com>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn sdp_of(st: &AppState) -> Vec<(String, u16, Option<String>)> {
    st.summary(0)
        .sip
        .map(|s| {
            s.sdp_media
                .into_iter()
                .map(|m| (m.ip.unwrap_or_default(), m.port, m.call_id))
                .collect()
        })
        .unwrap_or_default()
}

fn sip_tcp(side: u8, seq: u32, data: &[u8]) -> Payload<'_> {
    let mut p = tcp(side, seq, false, data);
    p.dst_port = 5060;
    p
}

#[test]
fn sdp_media_carry_their_call_id_and_two_messages_in_a_segment_are_read() {
    // A trunk: two calls' INVITEs in one segment, the same media address in both.
    let mut seg = sip_invite("call-a@trunk", "10.0.0.5", 40000);
    seg.extend_from_slice(&sip_invite("call-b@trunk", "10.0.0.5", 40000));
    let mut st = AppState::default();
    st.observe(&sip_tcp(0, 1000, &seg));
    let s = st.summary(0);
    assert_eq!(s.counters.messages, 2);
    assert_eq!(s.sip.as_ref().unwrap().call_ids.len(), 2);
    // Deduplicated with the Call-ID: one entry per call.
    assert_eq!(
        sdp_of(&st),
        vec![
            ("10.0.0.5".into(), 40000, Some("call-a@trunk".into())),
            ("10.0.0.5".into(), 40000, Some("call-b@trunk".into())),
        ]
    );
    // Over UDP too, and without a Call-ID the entry's is None.
    let mut st = AppState::default();
    st.observe(&udp(0, 5060, 5060, sip::tests::INVITE));
    assert_eq!(
        sdp_of(&st)[0].2.as_deref(),
        Some("105090259-446faf7a@192.168.1.2")
    );
    let no_call_id = String::from_utf8(sip_invite("x", "10.0.0.6", 4))
        .unwrap()
        .replace("Call-ID: x\r\n", "");
    let mut st = AppState::default();
    st.observe(&udp(0, 5060, 5060, no_call_id.as_bytes()));
    assert_eq!(sdp_of(&st), vec![("10.0.0.6".into(), 4, None)]);
}

#[test]
fn sip_body_in_the_next_segments_is_completed() {
    let msg = sip_invite("split@x", "10.0.0.7", 41000);
    let body_at = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut st = AppState::default();
    // Headers and the first bytes of the body, then the rest in two segments (one
    // retransmitted, one overlapping what was seen).
    let (a, rest) = msg.split_at(body_at + 5);
    st.observe(&sip_tcp(0, 100, a));
    assert!(sdp_of(&st).is_empty(), "the body is not complete yet");
    assert_eq!(st.transient_bytes(), 5);
    assert_eq!(
        st.summary(0).counters.caps_hit,
        1,
        "pending counts as lost until done"
    );
    let a_end = 100 + u32::try_from(a.len()).unwrap();
    st.observe(&sip_tcp(0, 100, a)); // retransmission: nothing new
    st.observe(&sip_tcp(
        1,
        9000,
        b"SIP/2.0 100 Trying\r\nCall-ID: split@x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
    ));
    st.observe(&sip_tcp(0, a_end, &rest[..10]));
    assert!(sdp_of(&st).is_empty());
    st.observe(&sip_tcp(0, a_end + 5, &rest[5..])); // overlaps 5 bytes
    assert_eq!(
        sdp_of(&st),
        vec![("10.0.0.7".into(), 41000, Some("split@x".into()))]
    );
    assert_eq!(st.transient_bytes(), 0);
    let s = st.summary(0);
    assert_eq!(s.counters.caps_hit, 0);
    assert_eq!(
        s.counters.messages, 2,
        "the retransmission is not read again"
    );
    check_caps(&st);
    // The body's segment may carry the next message after it.
    let mut st = AppState::default();
    let msg2 = sip_invite("next@x", "10.0.0.8", 42000);
    st.observe(&sip_tcp(0, 100, a));
    let mut tail = rest.to_vec();
    tail.extend_from_slice(&msg2);
    st.observe(&sip_tcp(0, a_end, &tail));
    assert_eq!(
        sdp_of(&st),
        vec![
            ("10.0.0.7".into(), 41000, Some("split@x".into())),
            ("10.0.0.8".into(), 42000, Some("next@x".into())),
        ]
    );
}

#[test]
fn sip_body_after_a_gap_is_given_up_and_counted() {
    let msg = sip_invite("gap@x", "10.0.0.9", 43000);
    let body_at = msg.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    // Cut inside the `m=` line: the session's lines are whole, the media line is not.
    let m_at = msg.windows(2).position(|w| w == b"m=").unwrap();
    let (a, rest) = msg.split_at(m_at + 9);
    assert!(a.len() > body_at);
    let a_end = 100 + u32::try_from(a.len()).unwrap();
    let mut st = AppState::default();
    st.observe(&sip_tcp(0, 100, a));
    // The next segment starts 3 bytes late: bytes lost.
    st.observe(&sip_tcp(0, a_end + 3, &rest[3..]));
    assert!(sdp_of(&st).is_empty(), "a cut m= line is not read");
    assert_eq!(st.transient_bytes(), 0);
    assert_eq!(st.summary(0).counters.caps_hit, 1);
    check_caps(&st);
    // Sealing while pending: the summary as before, the body dropped and counted once.
    let mut st = AppState::default();
    st.observe(&sip_tcp(0, 100, a));
    let before = st.summary(0);
    st.seal();
    assert_eq!(st.summary(0), before);
    assert_eq!(st.transient_bytes(), 0);
    // A silence longer than the reassembly gap gives it up too.
    let mut st = AppState::default();
    st.observe(&at(sip_tcp(0, 100, a), 0));
    st.observe(&at(sip_tcp(0, a_end, rest), tls::REASM_MAX_GAP_NS + 1));
    assert!(sdp_of(&st).is_empty());
    assert_eq!(st.summary(0).counters.caps_hit, 1);
    // A body longer than MAX_SIP_BODY_PENDING is not waited for: what came is read (whole
    // lines), and the cap hit counted.
    let big = String::from_utf8(sip_invite("big@x", "10.0.0.10", 44000)).unwrap();
    let pad = format!("a=x-pad:{}\r\n", "p".repeat(MAX_SIP_BODY_PENDING));
    let big = big.replace("t=0 0\r\n", &format!("t=0 0\r\n{pad}"));
    let big = big.replace(
        &format!(
            "Content-Length: {}",
            big.len() - big.find("\r\n\r\n").unwrap() - 4 - pad.len()
        ),
        &format!(
            "Content-Length: {}",
            big.len() - big.find("\r\n\r\n").unwrap() - 4
        ),
    );
    let cut_at = big.find("a=x-pad").unwrap() + 10;
    let mut st = AppState::default();
    st.observe(&sip_tcp(0, 100, &big.as_bytes()[..cut_at]));
    assert_eq!(st.transient_bytes(), 0);
    assert_eq!(st.summary(0).counters.caps_hit, 1);
}

#[test]
fn merge_keeps_sdp_call_ids_and_counts_the_others_pending_body() {
    let msg = sip_invite("m@x", "10.0.0.11", 45000);
    let mut a = AppState::default();
    a.observe(&sip_tcp(0, 1, &msg));
    let mut b = AppState::default();
    b.observe(&sip_tcp(0, 1, &msg[..msg.len() - 4]));
    a.merge(&b);
    assert_eq!(
        sdp_of(&a),
        vec![("10.0.0.11".into(), 45000, Some("m@x".into()))]
    );
    assert_eq!(a.summary(0).counters.caps_hit, 1);
    assert_eq!(
        a.transient_bytes(),
        0,
        "the other's pending body is not taken over"
    );
}

/// An RTP packet of PT 0 (PCMU, 8000 Hz) at `seq`, sent by `side` at `ms` with `dscp`.
fn media_packet(st: &mut AppState, side: u8, ssrc: u32, seq: u16, ms: i64, dscp: u8) {
    let d = rtp_pkt(ssrc, seq, 0);
    let mut p = udp(side, 50000, 3480, &d);
    p.ts_ns = ms * 1_000_000;
    p.dscp = dscp;
    st.observe(&p);
}

#[test]
fn stream_counts_its_probation_run_exactly() {
    let mut st = AppState::default();
    // 1, 2, (3 lost), 4, 5 confirm the stream (run of 4, one skipped), then 6..=20 minus 10.
    let seqs: Vec<u16> = [1, 2, 4, 5]
        .into_iter()
        .chain((6..=20).filter(|&s| s != 10))
        .collect();
    for (i, &seq) in seqs.iter().enumerate() {
        media_packet(&mut st, 0, 7, seq, i as i64 * 20, 46);
    }
    assert_eq!(st.app(), App::Rtp);
    let (streams, rtcp) = st.media();
    assert!(rtcp.is_empty());
    let [m] = streams else {
        panic!("one stream: {streams:?}")
    };
    let s = m.stats.summary();
    assert_eq!((m.side, s.ssrc, s.payload_type), (0, 7, 0));
    assert_eq!(s.packets, seqs.len() as u32);
    assert_eq!((s.expected, s.lost), (20, 2));
    assert_eq!(s.clock_rate, Some(8000));
    assert_eq!(m.dscp_seen, 1u64 << 46);
}

#[test]
fn streams_per_side_and_ssrc_with_their_marks() {
    let mut st = AppState::default();
    for seq in 0..30u16 {
        let ms = i64::from(seq) * 20;
        media_packet(&mut st, 0, 1, seq, ms, 46);
        // The other side's marks are lost half way.
        media_packet(&mut st, 1, 2, seq, ms, if seq < 15 { 46 } else { 0 });
    }
    let (streams, _) = st.media();
    assert_eq!(streams.len(), 2);
    let back = streams.iter().find(|m| m.side == 1).unwrap();
    assert_eq!(back.stats.ssrc(), 2);
    assert_eq!(back.dscp_seen, (1u64 << 46) | 1);
    assert_eq!(back.stats.summary().packets, 30);
    assert_eq!(back.stats.summary().lost, 0);
}

#[test]
fn streams_are_capped_per_flow() {
    let mut st = AppState::default();
    // Bundled streams, each confirmed in turn (two slots per side).
    for ssrc in 0..(MAX_MEDIA_STREAMS as u32 + 2) {
        for seq in 0..5u16 {
            media_packet(&mut st, 0, 100 + ssrc, seq, i64::from(seq) * 20, 0);
        }
    }
    let (streams, _) = st.media();
    assert_eq!(streams.len(), MAX_MEDIA_STREAMS);
    assert!(st.summary(0).counters.caps_hit >= 2);
}

#[test]
fn rtcp_receiver_reports_are_kept_per_side_and_source() {
    let mut st = AppState::default();
    for seq in 0..10u16 {
        media_packet(&mut st, 0, 0x1111, seq, i64::from(seq) * 20, 46);
    }
    // RR from SSRC 0x2222 about 0x1111: fraction 64/256, cumulative 5, jitter 80, no LSR.
    let rr = |fraction: u8, jitter: u32| {
        let mut v = vec![0x81, 201, 0, 7];
        v.extend_from_slice(&0x2222u32.to_be_bytes());
        v.extend_from_slice(&0x1111u32.to_be_bytes());
        v.extend_from_slice(&[fraction, 0, 0, 5]);
        v.extend_from_slice(&100u32.to_be_bytes());
        v.extend_from_slice(&jitter.to_be_bytes());
        v.extend_from_slice(&[0; 8]);
        v
    };
    for (fraction, jitter) in [(64, 80), (0, 40)] {
        let d = rr(fraction, jitter);
        let mut p = udp(1, 3480, 50000, &d);
        p.ts_ns = 1_000_000_000;
        st.observe(&p);
    }
    let (_, rtcp) = st.media();
    let [r] = rtcp else {
        panic!("one source: {rtcp:?}")
    };
    assert_eq!(
        (r.side, r.source_ssrc, r.reporter_ssrc),
        (1, 0x1111, 0x2222)
    );
    assert_eq!(r.reports, 2);
    assert_eq!((r.fraction_lost, r.max_fraction_lost), (0.0, 0.25));
    assert_eq!((r.jitter_ticks, r.max_jitter_ticks), (40, 80));
    assert_eq!(r.cumulative_lost, 5);
    assert_eq!(r.rtt_ms, None);
}

#[test]
fn merged_copies_add_their_streams() {
    let (mut a, mut b) = (AppState::default(), AppState::default());
    for seq in 0..10u16 {
        media_packet(&mut a, 0, 9, seq, i64::from(seq) * 20, 46);
    }
    for seq in 20..30u16 {
        media_packet(&mut b, 0, 9, seq, i64::from(seq) * 20, 34);
    }
    a.merge(&b);
    let (streams, _) = a.media();
    let [m] = streams else {
        panic!("one stream: {streams:?}")
    };
    assert_eq!(m.stats.summary().packets, 20);
    assert_eq!(m.dscp_seen, (1u64 << 46) | (1u64 << 34));
}
