//! Recognising Teams / Skype media and signaling: real captures cross-checked with nDPI's
//! verdicts, and builder-made captures of every protocol case.

mod support;

use std::net::SocketAddr;

use serde_json::{json, Value};
use support::builder::*;
use support::cli::*;
use support::payloads;

const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;

/// (capture, a port of the flow, the app callpath gives, the SNI it reads). nDPI's verdict from
/// the `.out` file is in the comment; where callpath differs, the comment says why.
const NDPI_CROSS_CHECK: &[(&str, u16, &str, Option<&str>)] = &[
    // nDPI: TLS.Teams, SNI teams.microsoft.com
    ("teams.pcap", 60533, "tls", Some("teams.microsoft.com")),
    // nDPI: TLS.Microsoft, mobile.pipe.aria.microsoft.com (Teams telemetry)
    (
        "teams.pcap",
        60532,
        "tls",
        Some("mobile.pipe.aria.microsoft.com"),
    ),
    // nDPI: TLS.Azure login
    (
        "teams.pcap",
        60534,
        "tls",
        Some("login.microsoftonline.com"),
    ),
    // nDPI: STUN.Skype_TeamsCall with mapped and peer addresses: a relay allocation, no media
    ("teams.pcap", 50036, "stun", None), // with 52.114.250.137:3478
    // nDPI: Skype_TeamsCall "Match by port" only (3478), entropy risk. callpath finds neither
    // STUN nor a consistent RTP run in it: `other` is the honest answer.
    ("teams.pcap", 51681, "other", None),
    // nDPI: DNS
    ("teams.pcap", 60813, "dns", None),
    // nDPI: STUN.Skype_TeamsCall. The conference call's STUN checks are followed by SRTP with
    // clear RTP headers: SPEC calls a STUN-then-RTP flow `rtp`.
    ("skype-conference-call.pcap", 49282, "rtp", None),
    // nDPI: STUN.Skype_TeamsCall. One Binding Success, then SRTCP receiver reports from the
    // relay (first byte 0x80, PT 201) and nothing else: `rtcp` (SPEC: `stun` only when no
    // RTP/RTCP follows).
    ("stun_msteams_unidir.pcapng", 50006, "rtcp", None),
    // nDPI: DNScrypt. The negative case that used to be misread as Skype: not STUN, not RTP.
    ("dnscrypt_skype_false_positive.pcapng", 46858, "other", None),
    // nDPI: HTTP. HTTP on the SIP port is not SIP.
    ("http_on_sip_port.pcap", 5060, "other", None),
    // nDPI: SIP (both), RTP for the media leg.
    ("sip.pcap", 30000, "rtp", None),
    ("sip_hello.pcapng", 5060, "sip", None),
    // nDPI: RTCP (several RTCP packets in one datagram).
    (
        "rtcp_multiple_pkts_in_the_same_datagram.pcap",
        25963,
        "rtcp",
        None,
    ),
    // nDPI: RTP over TCP (RFC 4571).
    ("rtp.pcapng", 40252, "rtp", None),
    // nDPI: Discord (by its own heuristics); the payload is RTP with consistent SSRCs.
    ("rtp.pcapng", 54234, "rtp", None),
    // nDPI: STUN.RTP (classic RFC 3489 STUN, then RTP).
    ("stun_classic.pcap", 55050, "rtp", None),
    // nDPI: STUN over TCP, several messages in one segment.
    ("stun_tcp_multiple_msgs_same_pkt.pcap", 3479, "stun", None),
    // nDPI: DTLS.
    ("dtls.pcap", 11111, "dtls", None),
    ("dtls_certificate.pcapng", 38876, "dtls", None),
    // nDPI: DTLS.Zoom (STUN first, then DTLS): `stun` only when nothing else follows.
    ("stun_zoom.pcapng", 53065, "dtls", None),
    // nDPI: DTLS.GoogleCall: STUN, DTLS, then SRTP media: `rtp`.
    ("stun_dtls_rtp.pcapng", 19305, "rtp", None),
    // nDPI: TLS.Google; the ClientHello is in a client-only capture.
    (
        "tls_1.3_unidirectional_client.pcapng",
        39750,
        "tls",
        Some("www.google.com"),
    ),
    // nDPI: TLS.YouTubeUpload from the certificate; a server-only capture has no SNI.
    ("tls_1.2_unidirectional_server.pcapng", 43854, "tls", None),
    // nDPI: TLS "Match by port" on a single server packet with no handshake: no evidence.
    ("443-chrome.pcap", 53059, "other", None),
];

/// The other end's address where a capture holds several flows on the same port.
fn peer_ip(file: &str, port: u16) -> Option<&'static str> {
    match (file, port) {
        ("teams.pcap", 50036) => Some("52.114.250.137"),
        _ => None,
    }
}

fn flow_by_ports<'a>(r: &'a Value, port: u16, peer: Option<&str>) -> &'a Value {
    let Some(peer) = peer else {
        return flow_by_port(r, port);
    };
    let found: Vec<&Value> = flows(r)
        .iter()
        .filter(|f| {
            (f["client"]["port"] == port && f["server"]["ip"] == peer)
                || (f["server"]["port"] == port && f["client"]["ip"] == peer)
        })
        .collect();
    assert_eq!(found.len(), 1, "port {port} with {peer}");
    found[0]
}

#[test]
fn apps_of_real_captures_cross_checked_with_ndpi() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let mut failures = Vec::new();
    for &(file, port, app, sni) in NDPI_CROSS_CHECK {
        let r = audit_json(&["--fail-on", "never", &shared_capture(file)], 0);
        let f = flow_by_ports(&r, port, peer_ip(file, port));
        if f["app"] != app || f["sni"] != json!(sni) {
            failures.push(format!(
                "{file} port {port}: app {} sni {}, expected {app} {sni:?}",
                f["app"], f["sni"]
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn sip_pcap_keeps_call_ids_and_sdp_media() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let r = audit_json(&[&shared_capture("sip.pcap")], 0);
    let f = flow_by_port(&r, 40392);
    assert_eq!(f["app"], "rtp");
    let sip = flows(&r)
        .iter()
        .find(|f| f["server"]["ip"] == "212.242.33.35")
        .unwrap();
    assert_eq!(sip["app"], "sip");
    let media = &sip["proto"]["sip"]["sdp_media"];
    assert!(
        media
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ip"] == "212.242.33.36" && m["port"] == 40392),
        "{media:#}"
    );
    assert!(!sip["proto"]["sip"]["call_ids"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn teams_relay_flows_keep_stun_addresses() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let r = audit_json(&[&shared_capture("teams.pcap")], 0);
    let f = flow_by_ports(&r, 50036, Some("52.114.250.137"));
    let addrs = f["proto"]["stun_addresses"].as_array().unwrap();
    // tshark decodes the MS-TURN Refresh and Data Indication address of this flow as
    // 93.71.110.205:16333 and the relay's address as 52.114.250.137:3480. (nDPI's .out reports
    // the same mapped address and a peer of 18.140.192.228:28678, which tshark does not show in
    // this flow.)
    let has = |kind: &str, ip: &str, port: u16| {
        addrs
            .iter()
            .any(|a| a["kind"] == kind && a["ip"] == ip && a["port"] == port)
    };
    assert!(has("mapped", "93.71.110.205", 16333), "{addrs:#?}");
    assert!(has("peer", "93.71.110.205", 16333), "{addrs:#?}");
    assert!(has("relayed", "52.114.250.137", 3480), "{addrs:#?}");
    assert_eq!(f["proto"]["ms_turn"], true);
}

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    ip_udp(src.ip(), src.port(), dst.ip(), dst.port(), payload)
}

fn audit_pcap(p: &Pcap) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.pcap");
    p.write(&path);
    audit_json(&["--fail-on", "never", path.to_str().unwrap()], 0)
}

#[test]
fn stun_checks_then_rtp_with_rtcp_mux_on_each_teams_port_is_rtp() {
    for port in 3478..=3481 {
        let (c, r) = (
            sa("10.1.0.5:50010"),
            SocketAddr::new("52.112.0.9".parse().unwrap(), port),
        );
        let mut p = Pcap::new(LINKTYPE_RAW);
        let txid = [9; 12];
        p.packet(
            T0,
            &udp(c, r, &payloads::stun_binding_request(txid, Some("a:b"))),
        );
        p.packet(
            T0 + MS,
            &udp(
                r,
                c,
                &payloads::stun_binding_success(txid, sa("198.51.100.7:40000")),
            ),
        );
        for i in 0..20u16 {
            let t = T0 + (10 + i64::from(i) * 20) * MS;
            p.packet(
                t,
                &udp(
                    c,
                    r,
                    &payloads::rtp(111, i, u32::from(i) * 960, 0xabc, false, 160),
                ),
            );
            p.packet(
                t + MS,
                &udp(
                    r,
                    c,
                    &payloads::rtp(111, 100 + i, u32::from(i) * 960, 0xdef, false, 160),
                ),
            );
        }
        // RTCP on the same 5-tuple (RFC 5761).
        p.packet(
            T0 + 500 * MS,
            &udp(
                c,
                r,
                &payloads::rtcp_compound(&[
                    payloads::rtcp_sr(0xabc),
                    payloads::rtcp_sdes_cname(0xabc, "x"),
                ]),
            ),
        );
        let rep = audit_pcap(&p);
        let f = &rep["flows"][0];
        assert_eq!(f["app"], "rtp", "port {port}");
        assert_eq!(f["proto"]["stun"], true);
        assert_eq!(f["proto"]["rtcp"], true, "port {port}: {f:#}");
        assert_eq!(f["proto"]["rtp_ssrcs"], json!([0xabc, 0xdef]));
        assert_eq!(f["proto"]["rtp_payload_types"], json!([111]));
        assert!(f["proto"]["stun_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["ip"] == "198.51.100.7"));
        assert_eq!(f["o365"]["id"], 11);
    }
}

#[test]
fn stun_alone_is_stun_and_random_udp_is_not_rtp() {
    let (c, r) = (sa("10.1.0.5:50010"), sa("52.112.0.9:3478"));
    let mut p = Pcap::new(LINKTYPE_RAW);
    let txid = [1; 12];
    p.packet(T0, &udp(c, r, &payloads::turn_allocate_request(txid)));
    p.packet(
        T0 + MS,
        &udp(
            r,
            c,
            &payloads::turn_allocate_success(
                txid,
                sa("52.112.0.9:55000"),
                sa("198.51.100.7:40000"),
            ),
        ),
    );
    let (c2, r2) = (sa("10.1.0.5:50011"), sa("52.112.0.9:3479"));
    // Payloads that start like RTP (0x80) but have no consistent SSRC or sequence.
    let mut seed: u32 = 7;
    for i in 0..30 {
        let mut d = vec![0x80u8; 120];
        for b in d.iter_mut().skip(1) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (seed >> 16) as u8;
        }
        p.packet(T0 + 10 * MS + i * 20 * MS, &udp(c2, r2, &d));
    }
    let rep = audit_pcap(&p);
    let stun = flow_by_port(&rep, 3478);
    assert_eq!(stun["app"], "stun");
    let kinds: Vec<&Value> = stun["proto"]["stun_addresses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["kind"])
        .collect();
    assert!(kinds.contains(&&json!("relayed")), "{kinds:?}");
    assert_eq!(flow_by_port(&rep, 3479)["app"], "other");
}

#[test]
fn turn_channel_data_carrying_rtp_is_rtp() {
    let (c, r) = (sa("10.1.0.5:50010"), sa("52.112.0.9:3478"));
    let mut p = Pcap::new(LINKTYPE_RAW);
    let txid = [2; 12];
    p.packet(T0, &udp(c, r, &payloads::turn_allocate_request(txid)));
    p.packet(
        T0 + MS,
        &udp(
            r,
            c,
            &payloads::turn_allocate_success(
                txid,
                sa("52.112.0.9:55000"),
                sa("198.51.100.7:40000"),
            ),
        ),
    );
    for i in 0..20u16 {
        let t = T0 + (10 + i64::from(i) * 20) * MS;
        let rtp = payloads::rtp(0, i, u32::from(i) * 160, 0x1234, false, 160);
        p.packet(t, &udp(c, r, &payloads::turn_channel_data(0x4001, &rtp)));
    }
    let rep = audit_pcap(&p);
    assert_eq!(
        rep["flows"][0]["app"], "rtp",
        "{:#}",
        rep["flows"][0]["proto"]
    );
}

#[test]
fn tls_client_hello_split_over_segments_in_order_and_out_of_order() {
    let hello = payloads::tls_client_hello(
        "api.flightproxy.teams.microsoft.com",
        &["h2", "http/1.1"],
        1800,
    );
    assert!(hello.len() > 2 * 800);
    for out_of_order in [false, true] {
        let (c, r) = (sa("10.1.0.5:51000"), sa("52.113.194.132:443"));
        let opts = TcpOpts {
            mss: 800,
            ..TcpOpts::default()
        };
        let mut pkts = tcp_session_with(
            c,
            r,
            T0,
            &[
                (Dir::Forward, hello.clone()),
                (Dir::Reverse, payloads::tls_server_hello()),
            ],
            opts,
        );
        // SYN, SYN-ACK, ACK, then the hello in three segments.
        assert!(pkts.len() > 6);
        if out_of_order {
            // The third segment arrives before the second.
            pkts.swap(4, 5);
        }
        let mut p = Pcap::new(LINKTYPE_RAW);
        for (ts, ip, _) in &pkts {
            p.packet(*ts, ip);
        }
        let rep = audit_pcap(&p);
        let f = &rep["flows"][0];
        assert_eq!(f["app"], "tls", "out of order: {out_of_order}");
        assert_eq!(
            f["sni"], "api.flightproxy.teams.microsoft.com",
            "out of order: {out_of_order}"
        );
        assert_eq!(f["proto"]["alpn"], json!(["h2", "http/1.1"]));
        assert_eq!(f["o365"]["id"], 12);
    }
}

#[test]
fn post_quantum_client_hello_larger_than_one_segment() {
    let hello = payloads::tls_client_hello_pq("teams.microsoft.com", &["h2"]);
    let (c, r) = (sa("10.1.0.5:51001"), sa("52.113.194.132:443"));
    let opts = TcpOpts {
        mss: 1000,
        ..TcpOpts::default()
    };
    let pkts = tcp_session_with(c, r, T0, &[(Dir::Forward, hello)], opts);
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, _) in &pkts {
        p.packet(*ts, ip);
    }
    let rep = audit_pcap(&p);
    assert_eq!(rep["flows"][0]["sni"], "teams.microsoft.com");
}

/// Issue 5: flows silent for longer than the idle timeout (120 s) are sealed, not split: a
/// call on hold for 150 s is one RTP flow, a ClientHello cut off by a 200 s silence is counted
/// as lost evidence, and the same hello sent again afterwards is read. The same report for any
/// number of threads (each reading shard sweeps at its own times).
#[test]
fn issue_5_flows_silent_past_the_idle_timeout_stay_one_flow() {
    const S: i64 = 1_000_000_000;
    let (c, r) = (sa("10.1.0.5:50010"), sa("52.112.0.9:3478"));
    let media = |from: usize, count: usize, start: i64| {
        udp_stream(c, r, start, 10 * MS, count, |i| {
            let n = ((from + i) / 2) as u16;
            let ssrc = if i % 2 == 0 { 0xabc } else { 0xdef };
            let p = payloads::rtp(111, n, u32::from(n) * 960, ssrc, false, 160);
            (Dir::alternate(i), p)
        })
    };
    let hello = payloads::tls_client_hello("teams.microsoft.com", &["h2"], 1800);
    let (tc, tr) = (sa("10.1.0.5:51000"), sa("52.113.194.132:443"));
    let opts = TcpOpts {
        mss: 800,
        close: false,
        ..TcpOpts::default()
    };
    let tls = tcp_session_with(tc, tr, T0 + MS, &[(Dir::Forward, hello)], opts);
    // SYN, SYN-ACK, ACK and the hello's first segment; then all of it again 200 s later.
    let (start, hello_segs) = tls.split_at(3);
    let again: Vec<_> = hello_segs
        .iter()
        .map(|(ts, ip, d)| (ts + 200 * S, ip.clone(), *d))
        .collect();
    let all = merge(&[
        media(0, 200, T0),
        media(200, 100, T0 + 150 * S),
        start.to_vec(),
        vec![hello_segs[0].clone()],
        again,
    ]);
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, _) in &all {
        p.packet(*ts, ip);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.pcap");
    p.write(&path);
    let run = |threads: &str| {
        let out = callpath(&[
            "audit",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--threads",
            threads,
            "-q",
            path.to_str().unwrap(),
        ]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("4"));
    let rep: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(rep["flows"].as_array().unwrap().len(), 2, "{rep:#}");
    let rtp = &rep["flows"][0];
    assert_eq!(rtp["app"], "rtp");
    assert_eq!(rtp["packets"], json!({"forward": 150, "reverse": 150}));
    assert_eq!(rtp["proto"]["rtp_ssrcs"], json!([0xabc, 0xdef]));
    let tls = &rep["flows"][1];
    assert_eq!(tls["app"], "tls");
    assert_eq!(tls["sni"], "teams.microsoft.com");
    assert_eq!(tls["proto"]["counters"]["caps_hit"], 1, "{tls:#}");
}

#[test]
fn sip_invite_and_200_ok_with_sdp_over_udp_and_tcp() {
    let c = sa("10.1.0.5:5060");
    let r = sa("10.30.0.10:5060");
    let offer = payloads::sdp(c.ip(), &[("audio", 50020), ("video", 50040)], c.ip());
    let answer = payloads::sdp(r.ip(), &[("audio", 40000)], r.ip());
    let invite = payloads::sip_invite(
        "a84b4c76e66710@pc33",
        "sip:alice@contoso.com",
        "sip:bob@contoso.com",
        "10.1.0.5",
        Some(&offer),
    );
    let ok = payloads::sip_200_ok(
        "a84b4c76e66710@pc33",
        "sip:alice@contoso.com",
        "sip:bob@contoso.com",
        "10.1.0.5",
        &answer,
    );
    let check = |f: &Value, what: &str| {
        assert_eq!(f["app"], "sip", "{what}");
        let sip = &f["proto"]["sip"];
        assert_eq!(sip["call_ids"], json!(["a84b4c76e66710@pc33"]), "{what}");
        assert!(
            sip["methods"]
                .as_array()
                .unwrap()
                .contains(&json!("INVITE")),
            "{what}: {sip:#}"
        );
        assert!(
            sip["status_codes"]
                .as_array()
                .unwrap()
                .contains(&json!(200)),
            "{what}"
        );
        let media = sip["sdp_media"].as_array().unwrap();
        for (ip, port, kind) in [
            ("10.1.0.5", 50020, "audio"),
            ("10.1.0.5", 50040, "video"),
            ("10.30.0.10", 40000, "audio"),
        ] {
            assert!(
                media
                    .iter()
                    .any(|m| m["ip"] == ip && m["port"] == port && m["media"] == kind),
                "{what}: {media:#?}"
            );
        }
        // Issue 15: each announced medium names the dialog whose message carried it.
        assert!(
            media.iter().all(|m| m["call_id"] == "a84b4c76e66710@pc33"),
            "{what}: {media:#?}"
        );
        assert_eq!(f["proto"]["counters"]["caps_hit"], 0, "{what}");
    };
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.packet(T0, &udp(c, r, &invite));
    p.packet(T0 + 50 * MS, &udp(r, c, &ok));
    check(&audit_pcap(&p)["flows"][0], "udp");

    let c = sa("10.1.0.5:50600");
    let pkts = tcp_session(
        c,
        r,
        T0,
        &[(Dir::Forward, invite.clone()), (Dir::Reverse, ok.clone())],
    );
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, _) in &pkts {
        p.packet(*ts, ip);
    }
    check(&audit_pcap(&p)["flows"][0], "tcp");

    // Segments that cut each message after its headers: the SDP body comes in the next
    // segment(s) and is completed by TCP sequence number (RFC 3261 §18.3).
    let header_end = |m: &[u8]| m.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mss = header_end(&invite).max(header_end(&ok)) + 8;
    assert!(mss < invite.len() && mss < ok.len());
    let opts = TcpOpts {
        mss,
        ..TcpOpts::default()
    };
    let exchanges = [(Dir::Forward, invite), (Dir::Reverse, ok)];
    let pkts = tcp_session_with(c, r, T0, &exchanges, opts);
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, _) in &pkts {
        p.packet(*ts, ip);
    }
    check(
        &audit_pcap(&p)["flows"][0],
        "tcp, bodies in the next segments",
    );
}

#[test]
fn dtls_handshake_is_dtls() {
    let (c, r) = (sa("10.1.0.5:50010"), sa("52.112.0.9:3478"));
    let mut p = Pcap::new(LINKTYPE_RAW);
    let txid = [3; 12];
    p.packet(T0, &udp(c, r, &payloads::stun_binding_request(txid, None)));
    p.packet(
        T0 + MS,
        &udp(
            r,
            c,
            &payloads::stun_binding_success(txid, sa("198.51.100.7:40000")),
        ),
    );
    p.packet(T0 + 2 * MS, &udp(c, r, &payloads::dtls_client_hello()));
    let rep = audit_pcap(&p);
    let f = &rep["flows"][0];
    assert_eq!(f["app"], "dtls");
    assert_eq!(f["proto"]["dtls"], true);
    assert_eq!(f["proto"]["stun"], true);
}

#[test]
fn rtp_over_tcp_443_is_media_over_tcp() {
    let (c, r) = (sa("10.1.0.5:51500"), sa("52.112.40.1:443"));
    let mut ex = Vec::new();
    for i in 0..8u16 {
        ex.push((
            Dir::Forward,
            payloads::rtp_over_tcp(&payloads::rtp(111, i, u32::from(i) * 960, 0x77, false, 100)),
        ));
    }
    let pkts = tcp_session(c, r, T0, &ex);
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, _) in &pkts {
        p.packet(*ts, ip);
    }
    let rep = audit_pcap(&p);
    let f = &rep["flows"][0];
    assert_eq!(f["app"], "rtp");
    assert_eq!(f["findings"], json!(["media-over-tcp", "unknown-path"]));
}
