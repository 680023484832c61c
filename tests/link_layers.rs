//! Encapsulations between the link and IP (issue 14, "Link layers"): PPPoE sessions (RFC 2516)
//! and MPLS label stacks (RFC 3032), bare and under VLAN tags, make flows; frames of an
//! EtherType callpath does not decode are counted and named in a warning, never a silent
//! report with fewer flows.

mod support;

use std::net::SocketAddr;

use serde_json::{json, Value};
use support::builder::*;
use support::cli::*;

/// 2026-11-02T09:00:00Z in nanoseconds.
const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const ROUTER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0x0e, 0x01];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A UDP exchange of `n` packets, both ways in turn.
fn udp(client: &str, server: &str, start_ns: i64, n: usize) -> Vec<(i64, Vec<u8>, Dir)> {
    udp_stream(addr(client), addr(server), start_ns, 20 * MS, n, |i| {
        (Dir::alternate(i), vec![0x80, 0, 0, i as u8])
    })
}

/// A short TCP session with one request and one response.
fn tcp(client: &str, server: &str, start_ns: i64) -> Vec<(i64, Vec<u8>, Dir)> {
    tcp_session(
        addr(client),
        addr(server),
        start_ns,
        &[
            (Dir::Forward, vec![0x16; 100]),
            (Dir::Reverse, vec![0x16; 300]),
        ],
    )
}

/// An Ethernet frame of `ethertype` from the client (forward) or the router (reverse).
fn frame(dir: Dir, vlans: &[Vlan], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    match dir {
        Dir::Forward => ethernet(CLIENT_MAC, ROUTER_MAC, vlans, ethertype, payload),
        Dir::Reverse => ethernet(ROUTER_MAC, CLIENT_MAC, vlans, ethertype, payload),
    }
}

fn write_tmp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn total_packets(f: &Value) -> u64 {
    f["packets"]["forward"].as_u64().unwrap() + f["packets"]["reverse"].as_u64().unwrap()
}

#[test]
fn pppoe_sessions_make_flows_bare_and_in_qinq() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    // PPPoE discovery (PADI, RFC 2516 §5.1) and LCP (RFC 1661 §5.8): link control, not IP.
    p.packet(
        T0,
        &frame(
            Dir::Forward,
            &[],
            ETHERTYPE_PPPOE_DISCOVERY,
            &[0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0],
        ),
    );
    p.packet(
        T0 + MS,
        &frame(
            Dir::Forward,
            &[],
            ETHERTYPE_PPPOE_SESSION,
            &pppoe_session(0x42, PPP_LCP, &[9, 1, 0, 8, 0, 0, 0, 0]),
        ),
    );
    p.extend(
        &udp("10.1.0.5:50010", "52.112.0.9:3478", T0 + 10 * MS, 6),
        |d, ip| frame(d, &[], ETHERTYPE_PPPOE_SESSION, &pppoe_ip(0x42, ip)),
    );
    p.extend(
        &udp(
            "[2001:db8::5]:50020",
            "[2603:1063::9]:3479",
            T0 + 20 * MS,
            4,
        ),
        |d, ip| frame(d, &[], ETHERTYPE_PPPOE_SESSION, &pppoe_ip(0x42, ip)),
    );
    let qinq = [Vlan::dot1ad(100), Vlan::dot1q(200)];
    p.extend(
        &tcp("10.1.0.5:51000", "52.112.0.10:443", T0 + 30 * MS),
        |d, ip| frame(d, &qinq, ETHERTYPE_PPPOE_SESSION, &pppoe_ip(0x43, ip)),
    );
    let path = write_tmp(&dir, "pppoe.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    let c = &r["captures"][0];
    assert_eq!(c["warnings"], json!([]), "{r:#}");
    assert_eq!(c["decode"]["not_ip"], 2);
    assert_eq!(c["decode"]["malformed_link"], 0);
    assert_eq!(r["summary"]["flows"], 3, "{r:#}");
    assert_eq!(total_packets(flow_by_port(&r, 3478)), 6);
    let v6 = flow_by_port(&r, 3479);
    assert_eq!(v6["client"]["ip"], "2001:db8::5");
    assert_eq!(total_packets(v6), 4);
    let t = flow_by_port(&r, 443);
    assert_eq!(t["transport"], "tcp");
    assert_eq!(t["seen_at"]["forward"][0]["vlan"], 100);
    assert_eq!(t["seen_at"]["forward"][0]["src_mac"], "02:00:00:00:00:01");
}

#[test]
fn mpls_label_stacks_make_flows_bare_and_in_vlan() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&udp("10.1.0.5:50010", "52.112.0.9:3478", T0, 6), |d, ip| {
        frame(d, &[], ETHERTYPE_MPLS, &mpls(&[16], ip))
    });
    p.extend(
        &udp(
            "[2001:db8::5]:50020",
            "[2603:1063::9]:3479",
            T0 + 10 * MS,
            4,
        ),
        |d, ip| {
            frame(
                d,
                &[Vlan::dot1q(7)],
                ETHERTYPE_MPLS,
                &mpls(&[1000, 2000, 2], ip),
            )
        },
    );
    p.extend(
        &tcp("10.1.0.5:51000", "52.112.0.10:443", T0 + 20 * MS),
        |d, ip| {
            frame(
                d,
                &[Vlan::dot1ad(30), Vlan::dot1q(31)],
                ETHERTYPE_MPLS_MULTICAST,
                &mpls(&[300, 301, 302], ip),
            )
        },
    );
    let path = write_tmp(&dir, "mpls.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    let c = &r["captures"][0];
    assert_eq!(c["warnings"], json!([]), "{r:#}");
    assert_eq!(c["decode"]["not_ip"], 0);
    assert_eq!(c["decode"]["malformed_link"], 0);
    assert_eq!(r["summary"]["flows"], 3, "{r:#}");
    assert_eq!(total_packets(flow_by_port(&r, 3478)), 6);
    let v6 = flow_by_port(&r, 3479);
    assert_eq!(total_packets(v6), 4);
    assert_eq!(v6["seen_at"]["forward"][0]["vlan"], 7);
    assert_eq!(flow_by_port(&r, 443)["seen_at"]["reverse"][0]["vlan"], 30);
}

#[test]
fn truncated_pppoe_and_mpls_are_malformed_link() {
    let dir = tempfile::tempdir().unwrap();
    let ip = ipv4_udp(
        "10.1.0.5".parse().unwrap(),
        50010,
        "52.112.0.9".parse().unwrap(),
        3478,
        &[1, 2, 3, 4],
    );
    let mut pppoe = frame(
        Dir::Forward,
        &[],
        ETHERTYPE_PPPOE_SESSION,
        &pppoe_ip(1, &ip),
    );
    pppoe.truncate(30);
    let mut stack = frame(Dir::Forward, &[], ETHERTYPE_MPLS, &mpls(&[1, 2, 3], &ip));
    stack.truncate(20);
    let labels: Vec<u32> = (1..=17).collect();
    let deep = frame(Dir::Forward, &[], ETHERTYPE_MPLS, &mpls(&labels, &ip));
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.packet(T0, &pppoe)
        .packet(T0 + MS, &stack)
        .packet(T0 + 2 * MS, &deep);
    let path = write_tmp(&dir, "cut.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["captures"][0]["decode"]["malformed_link"], 3, "{r:#}");
    assert_eq!(r["summary"]["flows"], 0);
}

#[test]
fn an_unknown_ethertype_is_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    // 32 frames of the IEEE local experimental EtherType, ARP and LLDP around them.
    for i in 0..32 {
        p.packet(T0 + i * MS, &frame(Dir::Forward, &[], 0x88b5, &[0xab; 46]));
    }
    p.packet(
        T0 + 40 * MS,
        &frame(Dir::Forward, &[], ETHERTYPE_ARP, &[0; 28]),
    );
    p.packet(T0 + 41 * MS, &frame(Dir::Forward, &[], 0x88cc, &[0; 46]));
    p.extend(
        &udp("10.1.0.5:50010", "52.112.0.9:3478", T0 + 50 * MS, 2),
        |d, ip| frame(d, &[], ETHERTYPE_IPV4, ip),
    );
    let path = write_tmp(&dir, "unknown.pcap", &p.to_bytes());
    let r = audit_json(&[&path], 0);
    let c = &r["captures"][0];
    assert_eq!(
        c["warnings"],
        json!([format!(
            "{path}: 32 packets of EtherType 0x88b5 were not decoded"
        )])
    );
    assert_eq!(c["decode"]["not_ip"], 34);
    assert_eq!(r["summary"]["flows"], 1);
    // The text report says it too.
    let out = callpath(&["audit", "-q", &path]);
    assert!(
        out.stdout
            .contains("32 packets of EtherType 0x88b5 were not decoded")
            || out
                .stderr
                .contains("32 packets of EtherType 0x88b5 were not decoded"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );

    // Only frames of an EtherType not decoded: no flows, and the warning says why.
    let mut only = Pcap::new(LINKTYPE_ETHERNET);
    for i in 0..5 {
        only.packet(T0 + i * MS, &frame(Dir::Forward, &[], 0x88b5, &[0; 46]));
    }
    let path = write_tmp(&dir, "only.pcap", &only.to_bytes());
    let r = audit_json(&[&path], 0);
    assert_eq!(r["summary"]["flows"], 0);
    assert_eq!(
        r["captures"][0]["warnings"],
        json!([format!(
            "{path}: 5 packets of EtherType 0x88b5 were not decoded"
        )])
    );
}

/// Wireshark's DTMFsipinfo sample: Ethernet + PPPoE session + PPP, 32 packets of SIP/UDP.
/// `tshark -q -z conv,udp` (tshark 4.0): 178.45.73.241:5060 <-> 213.192.59.75:5060 20 frames,
/// :1032 <-> :5060 6 frames, :1033 <-> :5060 6 frames.
#[test]
fn dtmfsipinfo_pppoe_capture_gives_its_three_sip_flows() {
    let Some(ext) = support::shared::or_skip("captures/ext") else {
        return;
    };
    let path = ext.join("DTMFsipinfo.pcap");
    let r = audit_json(&[path.to_str().unwrap()], 0);
    let c = &r["captures"][0];
    assert_eq!(c["warnings"], json!([]), "{r:#}");
    assert_eq!(r["summary"]["packets"], 32);
    assert_eq!(c["decode"]["flow_packets"], 32);
    assert_eq!(c["decode"]["not_ip"], 0);
    assert_eq!(c["decode"]["malformed_link"], 0);
    let mut got: Vec<(u64, u64, u64)> = flows(&r)
        .iter()
        .map(|f| {
            assert_eq!(f["transport"], "udp");
            (
                f["client"]["port"].as_u64().unwrap(),
                f["server"]["port"].as_u64().unwrap(),
                total_packets(f),
            )
        })
        .collect();
    got.sort();
    let mut ends: Vec<(u64, u64)> = got.iter().map(|&(a, b, _)| (a.min(b), a.max(b))).collect();
    ends.sort();
    assert_eq!(ends, [(1032, 5060), (1033, 5060), (5060, 5060)], "{got:?}");
    let mut packets: Vec<u64> = got.iter().map(|g| g.2).collect();
    packets.sort();
    assert_eq!(packets, [6, 6, 20]);
    for f in flows(&r) {
        let ips = [&f["client"]["ip"], &f["server"]["ip"]];
        assert!(ips.contains(&&json!("178.45.73.241")), "{f:#}");
        assert!(ips.contains(&&json!("213.192.59.75")), "{f:#}");
    }
}
