//! Issue 14, RTP announced in SDP: a UDP leg whose endpoint an SDP `m=` / `c=` line of the run
//! announced is media even when it is too short or too gappy for the RTP run heuristic; a leg
//! no SDP announced keeps the heuristic.

mod support;

use std::net::{IpAddr, Ipv4Addr};

use serde_json::Value;
use support::builder::*;
use support::cli::{audit_json, flow_by_port};
use support::payloads;

const A: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const B: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 20);

/// A SIP call over UDP 5060 whose SDP offer announces B:6000, then `rtp_packets` RTP packets
/// with sequence gaps from A:24196 to B:6000 and as many to the unannounced B:7000.
fn call(rtp_packets: u16) -> Vec<u8> {
    let mut pcap = Pcap::new(1);
    let frame = |src: Ipv4Addr, sport, dst: Ipv4Addr, dport, payload: &[u8]| {
        let ip = ipv4_udp(src, sport, dst, dport, payload);
        ethernet([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], 0x0800, &ip)
    };
    let offer = payloads::sdp(IpAddr::V4(B), &[("audio", 6000)], IpAddr::V4(B));
    let invite = payloads::sip_invite(
        "c1@fixture",
        "alice@fixture",
        "bob@fixture",
        "10.0.2.20",
        Some(&offer),
    );
    pcap.packet(1_000_000_000, &frame(B, 5060, A, 5060, &invite));
    for i in 0..rtp_packets {
        // Sequence numbers 40 apart: far too gappy for the run heuristic.
        let rtp = payloads::rtp(99, i * 40, u32::from(i) * 960, 0x1234, false, 60);
        let ts = 2_000_000_000 + i64::from(i) * 20_000_000;
        pcap.packet(ts, &frame(A, 24196, B, 6000, &rtp));
        pcap.packet(ts + 1, &frame(A, 24198, B, 7000, &rtp));
    }
    pcap.to_bytes()
}

fn app_of(report: &Value, port: u16) -> String {
    flow_by_port(report, port)["app"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_gappy_leg_announced_in_sdp_is_rtp_and_an_unannounced_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.pcap");
    std::fs::write(&path, call(5)).unwrap();
    let report = audit_json(&[path.to_str().unwrap()], 0);
    assert_eq!(app_of(&report, 5060), "sip");
    assert_eq!(app_of(&report, 6000), "rtp");
    assert_eq!(app_of(&report, 7000), "other");
}

/// The two third-party captures the issue names (checked with tshark: RTP by SDP setup).
#[test]
fn short_legs_of_the_shared_captures_are_rtp() {
    let Some(dir) = support::shared::or_skip("captures/ext") else {
        return;
    };
    let capture = |name: &str| dir.join(name).to_string_lossy().into_owned();
    // A 2-packet leg after a re-INVITE, to the port the answer announced.
    let report = audit_json(&[&capture("Asterisk_ZFONE_XLITE.pcap")], 0);
    assert_eq!(app_of(&report, 18874), "rtp");
    // 5 one-way packets with sequence gaps, to the offer's port 6000.
    let report = audit_json(&[&capture("sip-rtp-opus-hybrid.pcap")], 0);
    assert_eq!(app_of(&report, 6000), "rtp");
}
