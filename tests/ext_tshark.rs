//! Issue 14: callpath's flows and apps on every third-party capture of `../shared/captures/ext/`
//! agree with tshark's (4.0), one test per capture.
//!
//! Each test states the capture's figures, obtained from tshark and checked by hand on the
//! packets: frames in the file, TCP and UDP flows (SPEC: direction-free 5-tuples of the
//! outermost IP header), the packets those flows hold, and how many flows have each `app`. It
//! checks callpath's report against them. Where `tshark` is on PATH it also runs tshark on the
//! capture (`support::tshark`: reassembly off, RTP/RTCP/STUN/DTLS/SIP/TLS heuristics on) and
//! compares live, flow by flow:
//!
//! - the flow sets are equal, and so are each flow's packets;
//! - tshark's app of a flow is the first of `rtp`, `rtcp`, `dtls`, `stun` (also `classicstun`),
//!   `tls`, `sip`, `dns` (also `mdns`: callpath reads mDNS as DNS) that `frame.protocols` names
//!   in any of its frames, however many frames each took (not the majority: one flow of ICE
//!   checks and then media is media). The order is SPEC's rule (a media flow that starts with
//!   STUN/ICE checks and then carries RTP is `rtp`; `stun` only when nothing else follows)
//!   completed by callpath's precedence for the rest (ICE then DTLS, as WebRTC does, is `dtls`).
//!   callpath's `app` must be that app, and `other` where tshark names none of them (so callpath
//!   may not call a flow media that tshark does not either);
//! - the stated figures are tshark's (so they cannot drift from what tshark says).
//!
//! Where tshark is wrong about a flow, the capture's test would list that flow with the reason,
//! and where callpath is wrong, the test would be `#[ignore]`d with the bug named; on these 35
//! captures neither happened: every flow, packet count and app agrees.
//!
//! Without tshark on PATH the live comparison is skipped (said on stderr) and the stated
//! figures are still checked; with `CI=true` a missing tshark fails (`.ci/run` installs it).

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde_json::Value;
use support::cli::audit_json;
use support::tshark::{self, Key};

/// How many flows have each `app`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Apps {
    rtp: usize,
    rtcp: usize,
    stun: usize,
    dtls: usize,
    tls: usize,
    sip: usize,
    dns: usize,
    other: usize,
}

const NONE: Apps = Apps {
    rtp: 0,
    rtcp: 0,
    stun: 0,
    dtls: 0,
    tls: 0,
    sip: 0,
    dns: 0,
    other: 0,
};

impl Apps {
    fn count(apps: impl IntoIterator<Item = String>) -> Apps {
        let mut n = NONE;
        for app in apps {
            let slot = match app.as_str() {
                "rtp" => &mut n.rtp,
                "rtcp" => &mut n.rtcp,
                "stun" => &mut n.stun,
                "dtls" => &mut n.dtls,
                "tls" => &mut n.tls,
                "sip" => &mut n.sip,
                "dns" => &mut n.dns,
                "other" => &mut n.other,
                _ => panic!("app {app:?} is not one of SPEC's"),
            };
            *slot += 1;
        }
        n
    }
}

/// A capture's figures, as tshark gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Figures {
    /// Frames in the file.
    frames: u64,
    /// TCP flows.
    tcp: usize,
    /// UDP flows.
    udp: usize,
    /// Packets of those flows (frames that are not TCP/UDP of the outermost header make none),
    /// capture duplicates included (tshark counts them in their flows).
    flow_packets: u64,
    /// Of those, the copies callpath drops as capture duplicates (`decode.duplicates`: the same
    /// frame again at the same place within 5 ms; tshark shows them as separate frames).
    duplicates: u64,
    apps: Apps,
}

/// tshark's protocol names for each app, in precedence order (see the file's doc).
const PRECEDENCE: &[(&str, &[&str])] = &[
    ("rtp", &["rtp"]),
    ("rtcp", &["rtcp"]),
    ("dtls", &["dtls"]),
    ("stun", &["stun", "classicstun"]),
    ("tls", &["tls"]),
    ("sip", &["sip"]),
    ("dns", &["dns", "mdns"]),
];

/// tshark's app of one flow: the first of [`PRECEDENCE`] any of its frames names, else
/// `other`.
fn tshark_app(flow: &tshark::Flow) -> &'static str {
    PRECEDENCE
        .iter()
        .find(|(_, names)| names.iter().any(|n| flow.frames_naming(n) > 0))
        .map_or("other", |(app, _)| app)
}

/// What callpath said of one flow.
struct Said {
    app: String,
    packets: u64,
}

fn end(v: &Value) -> tshark::End {
    let ip = v["ip"].as_str().expect("ip").parse().expect("an address");
    let port = v["port"].as_u64().expect("port");
    (ip, u16::try_from(port).expect("a port"))
}

/// callpath's flows of `capture`, by the same key as tshark's.
fn callpath_flows(report: &Value) -> BTreeMap<Key, Said> {
    let mut flows = BTreeMap::new();
    for f in support::cli::flows(report) {
        let transport = match f["transport"].as_str() {
            Some("tcp") => "tcp",
            Some("udp") => "udp",
            t => panic!("transport {t:?} in {f:#}"),
        };
        let key = Key::new(transport, end(&f["client"]), end(&f["server"]));
        let packets = f["packets"]["forward"].as_u64().expect("forward packets")
            + f["packets"]["reverse"].as_u64().expect("reverse packets");
        let app = f["app"].as_str().expect("app").to_string();
        let dup = flows.insert(key.clone(), Said { app, packets });
        assert!(dup.is_none(), "flow {key} twice in the report");
    }
    flows
}

fn figures_of<'a>(frames: u64, flows: impl Iterator<Item = (&'a Key, u64, String)>) -> Figures {
    let mut fig = Figures {
        frames,
        tcp: 0,
        udp: 0,
        flow_packets: 0,
        duplicates: 0,
        apps: NONE,
    };
    let mut apps = Vec::new();
    for (key, packets, app) in flows {
        if key.transport == "tcp" {
            fig.tcp += 1;
        } else {
            fig.udp += 1;
        }
        fig.flow_packets += packets;
        apps.push(app);
    }
    fig.apps = Apps::count(apps);
    fig
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Audits `name` and checks it against `stated`, then (with tshark) against tshark.
fn check(name: &str, stated: Figures) {
    let Some(dir) = support::shared::or_skip("captures/ext") else {
        return;
    };
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing", path.display());
    let report = audit_json(
        &["--fail-on", "never", path.to_str().expect("a UTF-8 path")],
        0,
    );
    let capture = &report["captures"][0];
    assert_eq!(capture["errors"], serde_json::json!([]), "{name}");
    let ours = callpath_flows(&report);
    let frames = capture["packets"].as_u64().expect("packets");
    let duplicates = capture["decode"]["duplicates"]
        .as_u64()
        .expect("decode.duplicates");
    let mut got = figures_of(
        frames,
        ours.iter().map(|(k, s)| (k, s.packets, s.app.clone())),
    );
    got.flow_packets += duplicates;
    got.duplicates = duplicates;
    assert_eq!(
        got, stated,
        "{name}: callpath's figures against the stated ones"
    );

    if !tshark::available() {
        assert!(
            !on_ci(),
            "{name}: tshark is not on PATH, and CI=true (.ci/run installs it)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "{name}: tshark not on PATH: the live comparison with tshark is skipped, the stated \
             figures were checked"
        );
        return;
    }
    compare_live(name, &path, &ours, duplicates, stated);
}

/// The live comparison with tshark (see the file's doc).
fn compare_live(
    name: &str,
    path: &Path,
    ours: &BTreeMap<Key, Said>,
    duplicates: u64,
    stated: Figures,
) {
    let view = tshark::view(path);
    let only_tshark: Vec<String> = view
        .flows
        .keys()
        .filter(|k| !ours.contains_key(k))
        .map(Key::to_string)
        .collect();
    let only_callpath: Vec<String> = ours
        .keys()
        .filter(|k| !view.flows.contains_key(k))
        .map(Key::to_string)
        .collect();
    assert!(
        only_tshark.is_empty() && only_callpath.is_empty(),
        "{name}: flows only tshark has: {only_tshark:#?}\nflows only callpath has: \
         {only_callpath:#?}"
    );

    let mut disagree = Vec::new();
    // The frames tshark counts and callpath dropped as capture duplicates.
    let mut copies = 0;
    for (key, flow) in &view.flows {
        let said = &ours[key];
        let app = tshark_app(flow);
        copies += flow.packets.saturating_sub(said.packets);
        if said.app != app || said.packets > flow.packets {
            disagree.push(format!(
                "{key}: tshark {app} ({} packets, frames per protocol {:?}), callpath {} ({} \
                 packets)",
                flow.packets, flow.protocols, said.app, said.packets
            ));
        }
    }
    assert!(
        disagree.is_empty(),
        "{name}: flows where callpath and tshark disagree:\n{}",
        disagree.join("\n")
    );
    assert_eq!(
        copies, duplicates,
        "{name}: tshark's extra frames are callpath's duplicates"
    );
    // With every flow agreeing this adds tshark's frame count, and keeps the stated figures
    // tshark's.
    let mut theirs = figures_of(
        view.frames,
        view.flows
            .iter()
            .map(|(k, f)| (k, f.packets, tshark_app(f).to_string())),
    );
    theirs.duplicates = copies;
    assert_eq!(
        theirs, stated,
        "{name}: tshark's figures against the stated ones"
    );
}

/// The outermost-header rule of `support::tshark` on lines as tshark 4.0 prints them.
#[test]
fn tshark_lines_make_flows_of_the_outermost_header_only() {
    let lines = [
        // Plain SIP over UDP.
        "1\t10.0.0.1\t10.0.0.2\t\t\t\t\t5060\t5062\teth:ethertype:ip:udp:sip:sdp",
        // The reply: the same flow.
        "2\t10.0.0.2\t10.0.0.1\t\t\t\t\t5062\t5060\teth:ethertype:ip:udp:sip",
        // IP-in-IP: no flow (tshark lists the outer address first).
        "3\t1.1.1.1,10.0.0.1\t2.2.2.2,10.0.0.2\t\t\t5060\t5090\t\t\teth:ethertype:ip:ip:tcp:sip",
        // An ICMP error quoting a UDP header: no flow.
        "4\t10.0.0.9\t10.0.0.1,10.0.0.1\t\t\t\t\t53000\t53\teth:ethertype:ip:icmp:ip:udp:dns",
        // Teredo: the outer UDP flow only.
        "5\t192.168.2.16\t65.55.158.80\t\t2001::1\t\t\t3797,1000\t3544,2000\teth:ethertype:ip:udp:teredo:ipv6:udp:data",
        // A first IPv6 fragment: its flow; a later one: none.
        "6\t\t\t::1\t::1\t12345\t8080\t\t\teth:ethertype:vlan:ethertype:ipv6:ipv6.fraghdr:tcp",
        "7\t\t\t::1\t::1\t\t\t\t\teth:ethertype:vlan:ethertype:ipv6:ipv6.fraghdr:data",
        // ARP: no flow, but a frame.
        "8\t\t\t\t\t\t\t\t\teth:ethertype:arp",
    ];
    let view = tshark::parse(&lines.join("\n"));
    assert_eq!(view.frames, 8);
    let flows: Vec<(String, u64)> = view
        .flows
        .iter()
        .map(|(k, f)| (k.to_string(), f.packets))
        .collect();
    assert_eq!(
        flows,
        [
            ("tcp [::1]:8080 <-> [::1]:12345".to_string(), 1),
            ("udp 10.0.0.1:5060 <-> 10.0.0.2:5062".to_string(), 2),
            ("udp 65.55.158.80:3544 <-> 192.168.2.16:3797".to_string(), 1),
        ]
    );
    let sip = &view.flows.values().nth(1).unwrap();
    assert_eq!(sip.frames_naming("sip"), 2);
    assert_eq!(sip.frames_naming("sdp"), 1);
    assert_eq!(tshark_app(sip), "sip");
}

/// ICE checks then DTLS (WebRTC) is `dtls`, STUN then RTP is `rtp`, whatever the frame counts.
#[test]
fn tshark_app_follows_the_precedence() {
    let flow = |protocols: &[(&str, u64)]| tshark::Flow {
        packets: protocols.iter().map(|p| p.1).sum(),
        protocols: protocols.iter().map(|&(p, n)| (p.to_string(), n)).collect(),
    };
    assert_eq!(tshark_app(&flow(&[("stun", 10), ("dtls", 4)])), "dtls");
    assert_eq!(tshark_app(&flow(&[("classicstun", 3), ("rtp", 1)])), "rtp");
    assert_eq!(tshark_app(&flow(&[("classicstun", 3)])), "stun");
    assert_eq!(tshark_app(&flow(&[("mdns", 3)])), "dns");
    assert_eq!(tshark_app(&flow(&[("sdp", 1), ("data", 3)])), "other");
    assert_eq!(tshark_app(&flow(&[])), "other");
}

// One test per capture of `../shared/captures/ext/` (named after the file; see its SOURCE.md),
// with the figures tshark gives and what the packets show.

/// Asterisk + X-Lite (Zfone) call: SIP 192.168.10.2:5060 <-> .41:13434 (28 packets), RTP
/// .40:49848 <-> .41:64508 (1005), RTCP .40:49849 <-> .41:64509 (7), and the 2-packet RTP leg
/// .2:18874 <-> .41:64508 after the re-INVITE (tshark: RTP set up by the SDP answer).
#[test]
fn asterisk_zfone_xlite() {
    check(
        "Asterisk_ZFONE_XLITE.pcap",
        Figures {
            frames: 1042,
            tcp: 0,
            udp: 4,
            flow_packets: 1042,
            duplicates: 0,
            apps: Apps {
                rtp: 2,
                rtcp: 1,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// Ethernet + PPPoE session + PPP: three SIP/UDP flows 178.45.73.241 <-> 213.192.59.75 (ports
/// 5060/5060 20 packets, 1032/5060 and 1033/5060 6 each).
#[test]
fn dtmfsipinfo() {
    check(
        "DTMFsipinfo.pcap",
        Figures {
            frames: 32,
            tcp: 0,
            udp: 3,
            flow_packets: 32,
            duplicates: 0,
            apps: Apps { sip: 3, ..NONE },
        },
    );
}

/// Wireshark wiki sample: SIP 200.57.7.195:5060 <-> .204:5061 and <-> .205:5061; RTP
/// .196:40376 <-> .204:8000 and .196:40378 <-> .199:4800 (1439 each), RTCP on the next ports (14
/// each), and .196:40362 <-> .202:30000: 6 packets of PT 8, SSRC 0x2e3d, sequence 0-5, to the
/// `m=audio 30000` an SDP announced (RTP to both). The other 71 flows (SNMP, HTTP, POP, MGCP,
/// H.225, telnet, ...) name none of SPEC's apps. 164 frames are not IP (STP, CDP, ARP).
#[test]
fn sip_call_rtp_g711() {
    check(
        "SIP_CALL_RTP_G711.pcap",
        Figures {
            frames: 4269,
            tcp: 60,
            udp: 18,
            flow_packets: 4105,
            duplicates: 0,
            apps: Apps {
                rtp: 3,
                rtcp: 2,
                sip: 2,
                other: 71,
                ..NONE
            },
        },
    );
}

/// SIP 192.168.105.105:5060 <-> .110:5060 and two RTP flows, one with equal ports
/// (.110:4376 <-> .172:4376, carrying the RFC 2833 events) and .110:4374 <-> .172:4376.
#[test]
fn sip_dtmf2() {
    check(
        "SIP_DTMF2.cap",
        Figures {
            frames: 1360,
            tcp: 0,
            udp: 3,
            flow_packets: 1360,
            duplicates: 0,
            apps: Apps {
                rtp: 2,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// Asterisk B2BUA: three SIP/UDP legs (172.16.98.1:44285 to .101:5060 and .102:5060,
/// .101:5060 <-> .145:40216) and one RTP flow 172.16.98.1:8000 <-> .145:8000.
#[test]
fn b2bua_asterisk() {
    check(
        "b2bua-asterisk.pcapng",
        Figures {
            frames: 416,
            tcp: 0,
            udp: 4,
            flow_packets: 416,
            duplicates: 0,
            apps: Apps {
                rtp: 1,
                sip: 3,
                ..NONE
            },
        },
    );
}

/// BSD loopback (DLT 0): SIP 127.0.0.1:5060 <-> :13764 and H.263 video RTP
/// 192.168.6.199:32976 <-> :57128 (both ends on one host).
#[test]
fn h263_over_rtp() {
    check(
        "h263-over-rtp.pcap",
        Figures {
            frames: 49,
            tcp: 0,
            udp: 2,
            flow_packets: 49,
            duplicates: 0,
            apps: Apps {
                rtp: 1,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// LAN background on one pcapng interface: 2 TCP flows (NetBIOS session 139, HTTP 80), a
/// UDP sweep from 192.168.152.126 and .153, SSDP, DNS (13 flows) and mDNS (5 flows: callpath and
/// this comparison read mDNS as `dns`), Teredo (UDP 3544 to 224.0.0.253: counted by the outer
/// header only). 1962 frames make no flow: 1807 ARP, 84 IGMP, 68 ICMPv6, 3 LLC.
#[test]
fn pcapparser_wireshark_samples_test() {
    check(
        "pcapparser-wireshark_samples-test.pcapng",
        Figures {
            frames: 5898,
            tcp: 2,
            udp: 1147,
            flow_packets: 3936,
            duplicates: 0,
            apps: Apps {
                dns: 18,
                other: 1131,
                ..NONE
            },
        },
    );
}

/// SIP 10.33.6.100:5060 <-> .101:5060, RTP 6020 <-> 6040 (248 packets), RTCP 6021 <-> 6041
/// (2).
#[test]
fn rtp_protocol() {
    check(
        "rtp-protocol.pcap",
        Figures {
            frames: 259,
            tcp: 0,
            udp: 3,
            flow_packets: 259,
            duplicates: 0,
            apps: Apps {
                rtp: 1,
                rtcp: 1,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// SIP over TCP 10.33.6.100:64802 -> .101:5060 (16 packets, 7 of them SIP messages), RTP
/// 6000 <-> 6050, RTCP 6001 <-> 6051.
#[test]
fn sip_over_tcp() {
    check(
        "sip-over-tcp.pcap",
        Figures {
            frames: 84,
            tcp: 1,
            udp: 2,
            flow_packets: 84,
            duplicates: 0,
            apps: Apps {
                rtp: 1,
                rtcp: 1,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// SIP INVITE/200 (10.0.2.15:5060 <-> .20:5060) and 5 one-way RTP packets with sequence gaps
/// from .15:24196 to the offer's .20:6000 (RTP set up by the SDP, for tshark and callpath).
#[test]
fn sip_rtp_opus_hybrid() {
    check(
        "sip-rtp-opus-hybrid.pcap",
        Figures {
            frames: 7,
            tcp: 0,
            udp: 2,
            flow_packets: 7,
            duplicates: 0,
            apps: Apps {
                rtp: 1,
                sip: 1,
                ..NONE
            },
        },
    );
}

/// SIP over TCP 10.15.193.31:33093 <-> 10.15.197.103:5090: 2 packets plain, 2 inside IPv4-in-IPv4
/// (`ip:ip:tcp`), which make no flow: one flow of 2 packets.
#[test]
fn sngrep_ipip() {
    check(
        "sngrep-ipip.pcap",
        Figures {
            frames: 4,
            tcp: 1,
            udp: 0,
            flow_packets: 2,
            duplicates: 0,
            apps: Apps { sip: 1, ..NONE },
        },
    );
}

/// SIP over UDP/IPv6 (SLL) on ports 15060, 5062 and 25060, with two INVITEs in two IPv6
/// fragments each: the first fragment (`ipv6.fraghdr:udp`) counts in its flow, the 2 later ones
/// (`ipv6.fraghdr:data`) make none.
#[test]
fn sngrep_ipv6frag() {
    check(
        "sngrep-ipv6frag.pcap",
        Figures {
            frames: 34,
            tcp: 0,
            udp: 2,
            flow_packets: 32,
            duplicates: 0,
            apps: Apps { sip: 2, ..NONE },
        },
    );
}

/// The SIP part of SIP_CALL_RTP_G711: 200.57.7.195:5060 <-> .204:5061, 10 packets.
#[test]
fn suricata_cloudshark_sip_s0() {
    check(
        "suricata-cloudshark-sip-s0.pcap",
        Figures {
            frames: 10,
            tcp: 0,
            udp: 1,
            flow_packets: 10,
            duplicates: 0,
            apps: Apps { sip: 1, ..NONE },
        },
    );
}

/// SLL2: one HTTP/TCP exchange 192.168.1.253:56478 -> 192.168.1.21:80.
#[test]
fn suricata_decode_sll2_01() {
    check(
        "suricata-decode-sll2-01.pcap",
        Figures {
            frames: 5,
            tcp: 1,
            udp: 0,
            flow_packets: 5,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// One TCP segment ::1:12345 -> ::1:8080 in three IPv6 fragments under VLAN 6: the first
/// fragment carries the TCP header and makes the flow, the two later ones make none.
#[test]
fn suricata_frag_eth_vlan_ipv6_tcp() {
    check(
        "suricata-frag-eth-vlan-ipv6-tcp.pcap",
        Figures {
            frames: 3,
            tcp: 1,
            udp: 0,
            flow_packets: 1,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// SIP over TCP on loopback 127.0.0.1:58882 -> :5060 (11 packets, 2 SIP messages).
#[test]
fn suricata_sip_tcp() {
    check(
        "suricata-sip-tcp.pcap",
        Figures {
            frames: 11,
            tcp: 1,
            udp: 0,
            flow_packets: 11,
            duplicates: 0,
            apps: Apps { sip: 1, ..NONE },
        },
    );
}

/// A TLS ClientHello split over several TCP segments (MTU 300), 10.20.0.14:38576 ->
/// 142.251.111.105:443.
#[test]
fn suricata_tls_client_hello_frag_mtu300() {
    check(
        "suricata-tls-client-hello-frag-mtu300.pcap",
        Figures {
            frames: 62,
            tcp: 1,
            udp: 0,
            flow_packets: 62,
            duplicates: 0,
            apps: Apps { tls: 1, ..NONE },
        },
    );
}

/// 802.1ad + 802.1Q around ARP only: no flow.
#[test]
fn tcpdump_802_1ad_qinq() {
    check(
        "tcpdump-802.1ad_QinQ.pcap",
        Figures {
            frames: 2,
            tcp: 0,
            udp: 0,
            flow_packets: 0,
            duplicates: 0,
            apps: NONE,
        },
    );
}

/// Big-endian pcap: PPTP control on TCP 10.1.1.11:3025 -> 10.1.1.10:1723; the GRE frame
/// (`ip:gre:ppp`) makes no flow.
#[test]
fn tcpdump_pptp_be() {
    check(
        "tcpdump-pptp-be.pcap",
        Figures {
            frames: 23,
            tcp: 1,
            udp: 0,
            flow_packets: 22,
            duplicates: 3,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// Nanosecond pcap, SLL: a three-way handshake 131.155.215.69:46656 -> 137.116.81.94:80.
#[test]
fn tcpdump_tcp_handshake_nano() {
    check(
        "tcpdump-tcp-handshake-nano.pcap",
        Figures {
            frames: 3,
            tcp: 1,
            udp: 0,
            flow_packets: 3,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// Chrome 125 TLS 1.3 with a two-segment ClientHello, 0.0.51.217:13783 ->
/// 142.250.200.14:443.
#[test]
fn zeek_chrome_1250_tls_x25519_kyber() {
    check(
        "zeek-chrome-1250-tls-x25519-kyber.pcap",
        Figures {
            frames: 15,
            tcp: 1,
            udp: 0,
            flow_packets: 15,
            duplicates: 2,
            apps: Apps { tls: 1, ..NONE },
        },
    );
}

/// DTLS 1.3 with connection IDs: five UDP flows 10.168.36.147 -> 10.168.36.144:11111. tshark
/// 4.0 names the CID records `data` (14 and 11 frames in two flows) and the handshake `dtls`:
/// `dtls` for all five, as callpath says.
#[test]
fn zeek_dtls13_cid() {
    check(
        "zeek-dtls13-cid.pcap",
        Figures {
            frames: 43,
            tcp: 0,
            udp: 5,
            flow_packets: 43,
            duplicates: 0,
            apps: Apps { dtls: 5, ..NONE },
        },
    );
}

/// DTLS 1.2 handshake and data, 192.168.17.58:60934 <-> 165.227.57.17:4400.
#[test]
fn zeek_dtls1_2() {
    check(
        "zeek-dtls1_2.pcap",
        Figures {
            frames: 16,
            tcp: 0,
            udp: 1,
            flow_packets: 16,
            duplicates: 0,
            apps: Apps { dtls: 1, ..NONE },
        },
    );
}

/// Nanosecond pcap: an HTTP GET to an SSH server, 136.216.42.40:44338 -> 130.74.164.231:22.
#[test]
fn zeek_get_to_ssh_server_nano() {
    check(
        "zeek-get-to-ssh-server-nano.pcap",
        Figures {
            frames: 9,
            tcp: 1,
            udp: 0,
            flow_packets: 9,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// One ICMP port unreachable quoting a DNS/UDP header (`ip:icmp:ip:udp:dns`): no flow.
#[test]
fn zeek_icmp_destunreach_udp() {
    check(
        "zeek-icmp-destunreach-udp.pcap",
        Figures {
            frames: 1,
            tcp: 0,
            udp: 0,
            flow_packets: 0,
            duplicates: 0,
            apps: NONE,
        },
    );
}

/// Five IPv4 fragments of an FTP segment, all with MF set: the first (offset 0) carries the
/// TCP header, 131.243.1.10:21 <-> 210.54.213.247:1265; the 4 later ones make no flow. (tshark's
/// default reassembly would name no flow at all: the datagram never completes.)
#[test]
fn zeek_ipv4_fragmented_3() {
    check(
        "zeek-ipv4-fragmented-3.pcap",
        Figures {
            frames: 5,
            tcp: 1,
            udp: 0,
            flow_packets: 1,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// DNS over IPv6, a response in four fragments: two flows to 2607:f740:b::f93:53 (ports 51850
/// and 51851), 5 packets with the first fragment; 3 later fragments make none.
#[test]
fn zeek_ipv6_fragmented_dns() {
    check(
        "zeek-ipv6-fragmented-dns.pcap",
        Figures {
            frames: 8,
            tcp: 0,
            udp: 2,
            flow_packets: 5,
            duplicates: 0,
            apps: Apps { dns: 2, ..NONE },
        },
    );
}

/// SLL2: an OpenJDK TLS ClientHello 192.168.64.6:55058 -> 192.0.78.150:443.
#[test]
fn zeek_openjdk_sll2_tls() {
    check(
        "zeek-openjdk-sll2-tls.pcap",
        Figures {
            frames: 6,
            tcp: 1,
            udp: 0,
            flow_packets: 6,
            duplicates: 0,
            apps: Apps { tls: 1, ..NONE },
        },
    );
}

/// Two pcapng interfaces of different time resolutions: three DNS flows to 1.1.1.1:53.
#[test]
fn zeek_pcapng_multi_interface() {
    check(
        "zeek-pcapng-multi-interface.pcapng",
        Figures {
            frames: 6,
            tcp: 0,
            udp: 3,
            flow_packets: 6,
            duplicates: 0,
            apps: Apps { dns: 3, ..NONE },
        },
    );
}

/// Two 802.1Q tags: BACnet/UDP 47808 and SAP 9875 to 224.2.127.254 (tshark: `sap:sdp`; SAP is
/// none of SPEC's apps: `other`); ARP makes no flow.
#[test]
fn zeek_q_in_q() {
    check(
        "zeek-q-in-q.pcap",
        Figures {
            frames: 5,
            tcp: 0,
            udp: 2,
            flow_packets: 4,
            duplicates: 1,
            apps: Apps { other: 2, ..NONE },
        },
    );
}

/// A Windows host with Teredo: flows count by the outer IPv4/UDP header only (3797 <-> the
/// Teredo servers' 3544 and the relay 83.170.1.38:32900, whose 25 frames tshark shows as `data`);
/// 4 HTTP flows, DNS 192.168.2.16:1920 <-> .1:53, NetBIOS and DHCP.
#[test]
fn zeek_teredo() {
    check(
        "zeek-teredo.pcap",
        Figures {
            frames: 78,
            tcp: 4,
            udp: 7,
            flow_packets: 78,
            duplicates: 0,
            apps: Apps {
                dns: 1,
                other: 10,
                ..NONE
            },
        },
    );
}

/// TLS handshake messages fragmented over many records, 192.168.6.86:61454 ->
/// 104.236.167.107:4433 (416 packets).
#[test]
fn zeek_tls_fragmented_handshake() {
    check(
        "zeek-tls-fragmented-handshake.pcap",
        Figures {
            frames: 416,
            tcp: 1,
            udp: 0,
            flow_packets: 416,
            duplicates: 0,
            apps: Apps { tls: 1, ..NONE },
        },
    );
}

/// TLS 1.3 with Encrypted Client Hello: three TCP flows 192.168.20.65 -> 162.159.138.85:443.
#[test]
fn zeek_tls13_ech() {
    check(
        "zeek-tls13-ech.pcap",
        Figures {
            frames: 69,
            tcp: 3,
            udp: 0,
            flow_packets: 69,
            duplicates: 2,
            apps: Apps { tls: 3, ..NONE },
        },
    );
}

/// Three 802.1Q tags around one HTTP/TCP flow 141.142.228.5:59856 -> 192.150.187.43:80.
#[test]
fn zeek_vlan_qinqinq() {
    check(
        "zeek-vlan-qinqinq.pcap",
        Figures {
            frames: 14,
            tcp: 1,
            udp: 0,
            flow_packets: 14,
            duplicates: 0,
            apps: Apps { other: 1, ..NONE },
        },
    );
}

/// WebRTC on one UDP flow 192.168.6.82:51462 <-> 74.201.205.9:43044: 10 frames of ICE STUN
/// checks, then 4 of DTLS handshake. By the precedence (see the file's doc) `dtls`, as callpath
/// says; a majority-of-frames rule would say `stun`, against SPEC (`stun` only when nothing else
/// follows).
#[test]
fn zeek_webrtc_stun() {
    check(
        "zeek-webrtc-stun.pcap",
        Figures {
            frames: 14,
            tcp: 0,
            udp: 1,
            flow_packets: 14,
            duplicates: 0,
            apps: Apps { dtls: 1, ..NONE },
        },
    );
}
