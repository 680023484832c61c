//! Reading every kind of capture users have: real captures from the shared nDPI collection and
//! builder-made files of each link type and container, checked field by field.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde_json::{json, Value};
use support::builder::*;
use support::cli::*;
use support::payloads;

/// 2026-11-02T09:00:00Z in nanoseconds.
const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;

/// Packets as `capinfos -c` counts them and TCP/UDP flows (distinct 5-tuples) as
/// `tshark -q -z conv,tcp -z conv,udp` lists them (tshark 4.0.17, counted on 2026-11-26).
/// Where tshark's conversation count differs, the comment says why (SPEC "JSON report": a flow
/// is one 5-tuple of the outermost IP header).
const SHARED: &[(&str, u64, usize)] = &[
    // classic pcap, little-endian, microseconds
    ("443-chrome.pcap", 1, 1),
    ("teams.pcap", 1540, 82),
    ("tls_certificate_too_long.pcap", 315, 33),
    // tshark: 8 conversations; it splits 192.168.195.50:17718 <-> 192.168.195.58:32144 in two
    // when Skinny sets up the RTP conversation. 7 distinct 5-tuples.
    ("skinny.pcap", 200, 7),
    // tshark: 12 conversations; SIP/SDP re-INVITEs (RTP, then T.38) split one 5-tuple into 8.
    ("FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", 1552, 5),
    // Linux cooked capture (SLL, linktype 113)
    ("KakaoTalk_talk.pcap", 3203, 20),
    ("rtcp_multiple_pkts_in_the_same_datagram.pcap", 5, 1),
    // pcapng named .pcap, 5 interfaces, 802.1Q
    ("stun.pcap", 201, 8),
    // pcapng named .pcap, 2 interfaces, QinQ; tshark: 4, the 4th is inside a GTP-U tunnel
    // (UDP 2152), which makes no flow.
    ("dtls.pcap", 24, 3),
    // pcapng, 802.1Q and QinQ; tshark: 9, three of them inside GTP-U tunnels.
    ("false_positives.pcapng", 120, 6),
    // pcap, QinQ; tshark: 2, the second inside GTP-U.
    ("tls_change_cipher.pcap", 14, 1),
    // pcapng with 22 interfaces
    ("sites.pcapng", 699, 64),
    // pcapng with 2 interfaces, 802.1Q, RTP over TCP
    ("rtp.pcapng", 112, 4),
    // IPv6
    ("lru_ipv6_caches.pcapng", 88, 12),
    ("stun_wa_call.pcapng", 591, 12),
    ("zoom_p2p.pcapng", 763, 10),
];

#[test]
fn shared_captures_match_capinfos_packets_and_tshark_flows() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    for &(name, packets, flow_count) in SHARED {
        let r = audit_json(&[&shared_capture(name)], 0);
        assert_eq!(r["summary"]["packets"], packets, "{name}: packets");
        assert_eq!(
            r["captures"][0]["packets"], packets,
            "{name}: capture packets"
        );
        assert_eq!(r["summary"]["flows"], flow_count, "{name}: flows");
        assert_eq!(r["captures"][0]["errors"], json!([]), "{name}: errors");
        assert_eq!(r["captures"][0]["warnings"], json!([]), "{name}: warnings");
    }
}

#[test]
fn format_is_told_by_magic_number_not_extension() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let r = audit_json(&[&shared_capture("stun.pcap")], 0);
    assert_eq!(r["captures"][0]["format"], "pcapng");
    assert_eq!(r["captures"][0]["interfaces"].as_array().unwrap().len(), 5);
    let r = audit_json(&[&shared_capture("teams.pcap")], 0);
    assert_eq!(r["captures"][0]["format"], "pcap");
}

#[test]
fn every_shared_capture_reads_without_error() {
    let Some(dir) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng")) {
            continue;
        }
        let r = audit_json(&[p.to_str().unwrap()], 0);
        assert_eq!(r["captures"][0]["errors"], json!([]), "{name}");
        assert!(r["summary"]["packets"].as_u64().unwrap() > 0, "{name}");
        n += 1;
    }
    assert_eq!(n, 39);
}

#[test]
fn two_halves_of_one_flow_in_two_files_are_one_flow() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let client = shared_capture("stun_dtls_unidirectional_client.pcap");
    let server = shared_capture("stun_dtls_unidirectional_server.pcap");
    let r = audit_json(&[&format!("a={client}"), &format!("b={server}")], 1);
    assert_eq!(r["summary"]["packets"], 12);
    assert_eq!(r["summary"]["flows"], 1);
    let f = &r["flows"][0];
    assert_eq!(f["packets"], json!({"forward": 6, "reverse": 6}));
    assert_eq!(f["seen_at"]["forward"][0]["capture_point"], "a");
    assert_eq!(f["seen_at"]["reverse"][0]["capture_point"], "b");
    // No profile: each direction was seen at a capture point the other never was.
    assert_eq!(f["findings"], json!(["asymmetric-route"]));
    // Each half alone is one-sided.
    let r = audit_json(&[&client], 0);
    assert_eq!(
        r["flows"][0]["packets"],
        json!({"forward": 6, "reverse": 0})
    );
}

fn sock(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)
}

const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const ROUTER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0e, 0x01];

/// A UDP exchange (3 out, 2 back) and a TCP session, as IP packets.
fn scenario_v4() -> Vec<(i64, Vec<u8>, Dir)> {
    scenario_v4_from(5)
}

/// `scenario_v4` from client 10.1.0.`host`.
fn scenario_v4_from(host: u8) -> Vec<(i64, Vec<u8>, Dir)> {
    let c = sock([10, 1, 0, host], 50010);
    let s = sock([52, 112, 0, 9], 3478);
    let udp = udp_stream(c, s, T0, 20 * MS, 5, |i| {
        let dir = if i % 2 == 0 {
            Dir::Forward
        } else {
            Dir::Reverse
        };
        (dir, vec![0u8; 100])
    });
    let tcp = tcp_session(
        sock([10, 1, 0, host], 51000),
        sock([52, 113, 0, 1], 443),
        T0 + 500 * MS,
        &[
            (Dir::Forward, vec![0x16; 200]),
            (Dir::Reverse, vec![0x16; 1000]),
        ],
    );
    merge(&[udp, tcp])
}

fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

/// Checks the flows of `scenario_v4` field by field; `seen` is the expected `seen_at` entry
/// (minus packets) of each direction.
fn check_scenario(r: &Value, fwd_seen: Value, rev_seen: Value) {
    assert_eq!(r["summary"]["flows"], 2, "{r:#}");
    let udp = flow_by_port(r, 3478);
    assert_eq!(udp["id"], 1);
    assert_eq!(udp["transport"], "udp");
    assert_eq!(udp["client"], json!({"ip": "10.1.0.5", "port": 50010}));
    assert_eq!(udp["server"], json!({"ip": "52.112.0.9", "port": 3478}));
    assert_eq!(udp["packets"], json!({"forward": 3, "reverse": 2}));
    assert_eq!(udp["first_seen"], "2026-11-02T09:00:00.000000Z");
    assert_eq!(udp["last_seen"], "2026-11-02T09:00:00.080000Z");
    assert_eq!(udp.get("tcp_flags"), None);
    let mut f = fwd_seen.clone();
    f["packets"] = json!(3);
    assert_eq!(udp["seen_at"]["forward"], json!([f]));
    let mut rv = rev_seen.clone();
    rv["packets"] = json!(2);
    assert_eq!(udp["seen_at"]["reverse"], json!([rv]));

    let tcp = flow_by_port(r, 443);
    assert_eq!(tcp["id"], 2);
    assert_eq!(tcp["transport"], "tcp");
    assert_eq!(tcp["client"], json!({"ip": "10.1.0.5", "port": 51000}));
    // SYN, ACK, data, FIN/ACK, ACK from the client; SYN-ACK, data, FIN/ACK from the server.
    assert_eq!(tcp["packets"], json!({"forward": 5, "reverse": 3}));
    assert_eq!(
        tcp["tcp_flags"],
        json!({"forward": ["syn", "fin"], "reverse": ["syn-ack", "fin"]})
    );
    assert_eq!(tcp["first_seen"], "2026-11-02T09:00:00.500000Z");
}

fn eth_frame(dir: Dir, ip: &[u8], vlans: &[Vlan]) -> Vec<u8> {
    match dir {
        Dir::Forward => ethernet_ip(CLIENT_MAC, ROUTER_MAC, vlans, ip),
        Dir::Reverse => ethernet_ip(ROUTER_MAC, CLIENT_MAC, vlans, ip),
    }
}

fn seen(point: &str, file: &str, interface: Value, extra: Value) -> Value {
    // Absent fields (no interface name, no VLAN, ...) are left out of the report.
    let mut v = json!({"capture_point": point, "file": file, "path": "unknown"});
    if !interface.is_null() {
        v["interface"] = interface;
    }
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

#[test]
fn ethernet_pcap_in_both_byte_orders_and_resolutions() {
    let dir = tempfile::tempdir().unwrap();
    for (be, ns) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut p = Pcap::new(LINKTYPE_ETHERNET).big_endian(be).nanosecond(ns);
        p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &[]));
        let path = write_tmp(&dir, &format!("eth-{be}-{ns}.pcap"), &p.to_bytes());
        let r = audit_json(&[&path], 0);
        assert_eq!(r["captures"][0]["format"], "pcap");
        assert_eq!(
            r["captures"][0]["interfaces"],
            json!([{"name": null, "linktype": 1, "path": null, "packets": 13}])
        );
        check_scenario(
            &r,
            seen(
                &path,
                &path,
                Value::Null,
                json!({"src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:0e:01"}),
            ),
            seen(
                &path,
                &path,
                Value::Null,
                json!({"src_mac": "02:00:00:00:0e:01", "dst_mac": "02:00:00:00:00:01"}),
            ),
        );
    }
}

#[test]
fn vlan_and_qinq_keep_the_outermost_id() {
    let dir = tempfile::tempdir().unwrap();
    for (vlans, outer) in [
        (vec![Vlan::dot1q(100)], 100),
        (vec![Vlan::dot1ad(300), Vlan::dot1q(100)], 300),
    ] {
        let mut p = Pcap::new(LINKTYPE_ETHERNET);
        p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &vlans));
        let path = write_tmp(&dir, &format!("vlan{outer}.pcap"), &p.to_bytes());
        let r = audit_json(&[&format!("trunk={path}")], 0);
        check_scenario(
            &r,
            seen(
                "trunk",
                &path,
                Value::Null,
                json!({"vlan": outer, "src_mac": "02:00:00:00:00:01", "dst_mac": "02:00:00:00:0e:01"}),
            ),
            seen(
                "trunk",
                &path,
                Value::Null,
                json!({"vlan": outer, "src_mac": "02:00:00:00:0e:01", "dst_mac": "02:00:00:00:00:01"}),
            ),
        );
    }
}

#[test]
fn linux_cooked_sll_and_sll2() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_LINUX_SLL);
    p.extend(&scenario_v4(), |d, ip| match d {
        Dir::Forward => sll(SLL_OUTGOING, ETHERTYPE_IPV4, CLIENT_MAC, ip),
        Dir::Reverse => sll(SLL_HOST, ETHERTYPE_IPV4, ROUTER_MAC, ip),
    });
    let path = write_tmp(&dir, "sll.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    check_scenario(
        &r,
        seen(
            &path,
            &path,
            Value::Null,
            json!({"src_mac": "02:00:00:00:00:01", "packet_type": "outgoing"}),
        ),
        seen(
            &path,
            &path,
            Value::Null,
            json!({"src_mac": "02:00:00:00:0e:01", "packet_type": "host"}),
        ),
    );

    // tcpdump -i any on a router: the request leaves on ifindex 3, the reply comes in on 4.
    let mut p = Pcap::new(LINKTYPE_LINUX_SLL2).nanosecond(true);
    p.extend(&scenario_v4(), |d, ip| match d {
        Dir::Forward => sll2(3, SLL_OUTGOING as u8, ETHERTYPE_IPV4, CLIENT_MAC, ip),
        Dir::Reverse => sll2(4, SLL_HOST as u8, ETHERTYPE_IPV4, ROUTER_MAC, ip),
    });
    let path = write_tmp(&dir, "sll2.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    check_scenario(
        &r,
        seen(
            &path,
            &path,
            Value::Null,
            json!({"ifindex": 3, "src_mac": "02:00:00:00:00:01", "packet_type": "outgoing"}),
        ),
        seen(
            &path,
            &path,
            Value::Null,
            json!({"ifindex": 4, "src_mac": "02:00:00:00:0e:01", "packet_type": "host"}),
        ),
    );
}

#[test]
fn raw_ip_and_bsd_loopback() {
    let dir = tempfile::tempdir().unwrap();
    for linktype in [LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_NULL] {
        let mut p = Pcap::new(linktype);
        p.extend(&scenario_v4(), |_, ip| {
            if linktype == LINKTYPE_NULL {
                null_loopback(AF_INET, ip)
            } else {
                ip.to_vec()
            }
        });
        let path = write_tmp(&dir, &format!("raw{linktype}.pcap"), &p.to_bytes());
        let r = audit_json(&[&path], 0);
        check_scenario(
            &r,
            seen(&path, &path, Value::Null, json!({})),
            seen(&path, &path, Value::Null, json!({})),
        );
    }
}

#[test]
fn pcapng_sections_interfaces_and_simple_packets() {
    let dir = tempfile::tempdir().unwrap();
    let mut ng = Pcapng::new();
    let er = ng.interface(Iface::ethernet("er0"));
    let inet = ng.interface(Iface {
        name: None,
        description: Some("Internet uplink"),
        linktype: LINKTYPE_ETHERNET,
        tsresol: Some(6),
        snaplen: 65535,
    });
    // Requests on er0, replies on the other interface.
    for (ts, ip, d) in scenario_v4() {
        let iface = if d == Dir::Forward { er } else { inet };
        ng.packet(iface, ts, &eth_frame(d, &ip, &[]));
    }
    // A second, big-endian section with a raw-IP interface and a simple packet block.
    ng.section().big_endian(true);
    ng.interface(Iface::new(LINKTYPE_RAW));
    let extra = ipv4_udp(
        Ipv4Addr::new(10, 1, 0, 6),
        5353,
        Ipv4Addr::new(10, 1, 0, 7),
        53,
        &payloads::dns_query(7, "teams.microsoft.com"),
    );
    ng.simple_packet(&extra);
    let path = write_tmp(&dir, "multi.pcapng", &ng.to_bytes());
    let r = audit_json(&[&path], 1);
    assert_eq!(r["captures"][0]["format"], "pcapng");
    assert_eq!(
        r["captures"][0]["interfaces"],
        json!([
            {"name": "er0", "linktype": 1, "path": null, "packets": 8},
            {"name": "Internet uplink", "linktype": 1, "path": null, "packets": 5},
            {"name": null, "linktype": 101, "path": null, "packets": 1}
        ])
    );
    assert_eq!(r["summary"]["packets"], 14);
    assert_eq!(r["summary"]["flows"], 3);
    let udp = flow_by_port(&r, 3478);
    assert_eq!(udp["seen_at"]["forward"][0]["capture_point"], "er0");
    assert_eq!(udp["seen_at"]["forward"][0]["interface"], "er0");
    assert_eq!(
        udp["seen_at"]["reverse"][0]["capture_point"],
        "Internet uplink"
    );
    // No profile names these interfaces: the directions crossed different capture points,
    // and their edge path is unknown.
    assert_eq!(udp["findings"], json!(["asymmetric-route", "unknown-path"]));
    // The simple packet block has no timestamp; its flow still counts.
    let dns = flow_by_port(&r, 53);
    assert_eq!(dns["packets"], json!({"forward": 1, "reverse": 0}));
    assert_eq!(dns["app"], "dns");
}

#[test]
fn ipv6_with_extension_headers() {
    let dir = tempfile::tempdir().unwrap();
    let c: Ipv6Addr = "2001:db8::5".parse().unwrap();
    let s: Ipv6Addr = "2603:1063::9".parse().unwrap();
    let mut p = Pcap::new(LINKTYPE_IPV6);
    p.packet(T0, &ipv6_with_ext_headers(c, 50020, s, 3479, &[0u8; 60]));
    p.packet(T0 + MS, &ipv6_udp(s, 3479, c, 50020, &[0u8; 60]));
    let path = write_tmp(&dir, "v6.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["summary"]["flows"], 1);
    let f = &r["flows"][0];
    assert_eq!(f["client"], json!({"ip": "2001:db8::5", "port": 50020}));
    assert_eq!(f["server"], json!({"ip": "2603:1063::9", "port": 3479}));
    assert_eq!(f["packets"], json!({"forward": 1, "reverse": 1}));
}

#[test]
fn first_fragment_feeds_its_flow_later_fragments_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let frags = ipv4_fragments(
        Ipv4Addr::new(10, 1, 0, 5),
        50000,
        Ipv4Addr::new(52, 112, 0, 9),
        3478,
        &[7u8; 3000],
        42,
        1200,
    );
    assert_eq!(frags.len(), 3);
    let mut p = Pcap::new(LINKTYPE_RAW);
    for (i, f) in frags.iter().enumerate() {
        p.packet(T0 + i as i64 * MS, f);
    }
    let path = write_tmp(&dir, "frag.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["summary"]["packets"], 3);
    assert_eq!(r["summary"]["flows"], 1);
    assert_eq!(
        r["flows"][0]["packets"],
        json!({"forward": 1, "reverse": 0})
    );
    assert_eq!(r["flows"][0]["fragments"], 1);
    assert_eq!(r["captures"][0]["decode"]["first_fragments"], 1);
    assert_eq!(r["captures"][0]["decode"]["later_fragments"], 2);
}

#[test]
fn snaplen_cut_packets_are_decoded_as_far_as_their_bytes_go() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET).snaplen(40);
    p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &[]));
    let path = write_tmp(&dir, "cut.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["summary"]["flows"], 2);
    assert_eq!(r["captures"][0]["decode"]["snaplen_cut"], 13);
    // Bytes count the length on the wire, not the captured length.
    let udp = flow_by_port(&r, 3478);
    assert_eq!(
        udp["bytes"],
        json!({"forward": 3 * 142, "reverse": 2 * 142})
    );
}

#[test]
fn syn_sender_is_the_client_even_when_the_syn_ack_was_captured_first() {
    let dir = tempfile::tempdir().unwrap();
    let pkts = tcp_session(
        sock([10, 1, 0, 5], 51000),
        sock([52, 113, 0, 1], 443),
        T0,
        &[(Dir::Forward, vec![1; 10])],
    );
    // The server-side tap's clock runs 5 ms early: its SYN-ACK is stamped before the SYN.
    let mut a = Pcap::new(LINKTYPE_RAW);
    let mut b = Pcap::new(LINKTYPE_RAW);
    for (ts, ip, d) in &pkts {
        match d {
            Dir::Forward => a.packet(*ts, ip),
            Dir::Reverse => b.packet(*ts - 5 * MS, ip),
        };
    }
    let pa = write_tmp(&dir, "a.pcap", &a.to_bytes());
    let pb = write_tmp(&dir, "b.pcap", &b.to_bytes());
    let r = audit_json(
        &[
            &format!("in={pa}"),
            &format!("out={pb}"),
            "--fail-on",
            "never",
        ],
        0,
    );
    assert_eq!(r["summary"]["flows"], 1);
    let f = &r["flows"][0];
    assert_eq!(f["client"], json!({"ip": "10.1.0.5", "port": 51000}));
    assert_eq!(f["tcp_flags"]["forward"], json!(["syn", "fin"]));
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &[]));
    let out = callpath_stdin(&["audit", "--format", "json", "-"], Some(&p.to_bytes()));
    assert_eq!(out.status, 0, "{}", out.stderr);
    let r = out.json();
    assert_eq!(r["captures"][0]["path"], "-");
    assert_eq!(r["summary"]["flows"], 2);
}

#[test]
fn ndjson_has_one_typed_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &[]));
    let path = write_tmp(&dir, "x.pcap", &p.to_bytes());
    let out = callpath(&["audit", "--format", "ndjson", &path]);
    assert_eq!(out.status, 0);
    let types: Vec<String> = out
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        types,
        ["report", "capture", "flow", "flow", "finding", "finding", "summary"]
    );
}

#[test]
fn text_report_shows_captures_summary_and_flows() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&scenario_v4(), |d, ip| eth_frame(d, ip, &[]));
    let path = write_tmp(&dir, "x.pcap", &p.to_bytes());
    let out = callpath(&["audit", &path]);
    assert_eq!(out.status, 0);
    assert!(out.stdout.contains("Captures\n"), "{}", out.stdout);
    assert!(out.stdout.contains("13 packets"));
    assert!(out.stdout.contains("Summary: 2 flows"));
    assert!(out.stdout.contains("10.1.0.5:50010 -> 52.112.0.9:3478"));
    assert!(
        out.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        out.stdout
    );
    // No progress bar when stderr is not a terminal (the ranges' age is the one line).
    assert_eq!(support::cli::without_ranges_warning(&out.stderr), "");
}

#[test]
fn a_missing_file_or_a_non_capture_is_exit_2_with_the_file_named() {
    let out = callpath(&["audit", "/nonexistent/x.pcap"]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains("/nonexistent/x.pcap: cannot open"),
        "{}",
        out.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(&dir, "notes.pcap", b"hello world, not a capture");
    let out = callpath(&["audit", "--format", "json", &path]);
    assert_eq!(out.status, 2);
    assert!(
        out.stderr
            .contains("not a pcap or pcapng file (magic number 0x68656c6c)"),
        "{}",
        out.stderr
    );
    // The report is still printed.
    assert_eq!(out.json()["captures"][0]["format"], Value::Null);
}

#[test]
fn usage_errors_are_exit_2() {
    assert_eq!(callpath(&["audit"]).status, 2);
    assert_eq!(callpath(&["audit", "--format", "xml", "x"]).status, 2);
    assert_eq!(callpath(&["audit", "-", "-"]).status, 2);
    assert_eq!(callpath(&["--help"]).status, 0);
}

#[test]
fn teams_pcap_rewritten_big_endian_nanosecond_gives_the_same_flows() {
    let Some(_) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    use pcap_parser::traits::PcapReaderIterator;
    use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError};
    let data = std::fs::read(shared_capture("teams.pcap")).unwrap();
    let mut reader = LegacyPcapReader::new(1 << 20, &data[..]).unwrap();
    let mut out = Pcap::new(LINKTYPE_ETHERNET)
        .big_endian(true)
        .nanosecond(true);
    loop {
        match reader.next() {
            Ok((n, PcapBlockOwned::Legacy(b))) => {
                let ts = b.ts_sec as i64 * 1_000_000_000 + b.ts_usec as i64 * 1000;
                out.packet_raw(ts, b.data, b.caplen, b.origlen);
                reader.consume(n);
            }
            Ok((n, _)) => reader.consume(n),
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
            Err(e) => panic!("{e:?}"),
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_tmp(&dir, "teams-be-ns.pcap", &out.to_bytes());
    let original = audit_json(&[&shared_capture("teams.pcap")], 0);
    let rewritten = audit_json(&[&path], 0);
    assert_eq!(rewritten["summary"]["packets"], 1540);
    let strip = |r: &Value| -> Vec<Value> {
        flows(r)
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.as_object_mut().unwrap().remove("seen_at");
                f
            })
            .collect()
    };
    assert_eq!(strip(&original), strip(&rewritten));
}

#[test]
fn pcapng_with_mixed_link_types_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut ng = Pcapng::new();
    let kinds: [(&str, u32); 5] = [
        ("eth0", LINKTYPE_ETHERNET),
        ("any", LINKTYPE_LINUX_SLL2),
        ("cooked", LINKTYPE_LINUX_SLL),
        ("lo0", LINKTYPE_NULL),
        ("tun0", LINKTYPE_RAW),
    ];
    for (i, (name, linktype)) in kinds.iter().enumerate() {
        let iface = ng.interface(Iface {
            name: Some(name),
            description: None,
            linktype: *linktype,
            tsresol: Some(9),
            snaplen: 262_144,
        });
        for (ts, ip, d) in scenario_v4_from(10 + i as u8) {
            let frame = match *linktype {
                LINKTYPE_ETHERNET => eth_frame(d, &ip, &[Vlan::dot1q(7)]),
                LINKTYPE_LINUX_SLL2 => sll2(9, SLL_HOST as u8, ETHERTYPE_IPV4, CLIENT_MAC, &ip),
                LINKTYPE_LINUX_SLL => sll(SLL_HOST, ETHERTYPE_IPV4, CLIENT_MAC, &ip),
                LINKTYPE_NULL => null_loopback(AF_INET, &ip),
                _ => ip,
            };
            ng.packet(iface, ts, &frame);
        }
    }
    let path = write_tmp(&dir, "mixed.pcapng", &ng.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["summary"]["packets"], 5 * 13);
    assert_eq!(r["summary"]["flows"], 10);
    let linktypes: Vec<&Value> = r["captures"][0]["interfaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["linktype"])
        .collect();
    assert_eq!(
        linktypes,
        [&json!(1), &json!(276), &json!(113), &json!(0), &json!(101)]
    );
    for (i, (name, _)) in kinds.iter().enumerate() {
        let client = format!("10.1.0.{}", 10 + i);
        let f = flows(&r)
            .iter()
            .find(|f| f["client"]["ip"] == client.as_str() && f["transport"] == "udp")
            .unwrap();
        assert_eq!(f["packets"], json!({"forward": 3, "reverse": 2}), "{name}");
        assert_eq!(f["seen_at"]["forward"][0]["capture_point"], *name);
        assert_eq!(f["seen_at"]["forward"][0]["interface"], *name);
        let t = flows(&r)
            .iter()
            .find(|f| f["client"]["ip"] == client.as_str() && f["transport"] == "tcp")
            .unwrap();
        assert_eq!(t["packets"], json!({"forward": 5, "reverse": 3}), "{name}");
    }
    let eth = flows(&r)
        .iter()
        .find(|f| f["client"]["ip"] == "10.1.0.10" && f["transport"] == "udp")
        .unwrap();
    assert_eq!(eth["seen_at"]["forward"][0]["vlan"], 7);
    let any = flows(&r)
        .iter()
        .find(|f| f["client"]["ip"] == "10.1.0.11" && f["transport"] == "udp")
        .unwrap();
    assert_eq!(any["seen_at"]["forward"][0]["ifindex"], 9);
}

#[test]
fn output_is_the_same_for_any_thread_count() {
    // Enough flows for several report chunks and reader shards.
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_RAW);
    for i in 0..3000u32 {
        let c = sock(
            [10, 1, (i / 250) as u8, (i % 250) as u8 + 1],
            40000 + (i % 1000) as u16,
        );
        let s = sock([52, 112, 0, (i % 7) as u8 + 1], 3478);
        let t = T0 + i64::from(i) * MS;
        p.packet(t, &ip_udp(c.ip(), c.port(), s.ip(), s.port(), &[1; 40]));
        if i % 3 != 0 {
            p.packet(
                t + 100,
                &ip_udp(s.ip(), s.port(), c.ip(), c.port(), &[2; 40]),
            );
        }
    }
    let path = write_tmp(&dir, "many.pcap", &p.to_bytes());
    let run = |threads: &str, format: &str| {
        let out = callpath(&[
            "audit",
            "--format",
            format,
            "--threads",
            threads,
            "-q",
            &path,
        ]);
        assert_eq!(out.status, 0, "{}", out.stderr);
        out.stdout
    };
    for format in ["json", "ndjson", "text"] {
        let one = run("1", format);
        assert_eq!(one, run("2", format), "{format}");
        assert_eq!(one, run("4", format), "{format}");
    }
    let r: Value = serde_json::from_str(&run("3", "json")).unwrap();
    assert_eq!(r["summary"]["flows"], 3000);
    assert_eq!(r["flows"][2999]["id"], 3000);
}
