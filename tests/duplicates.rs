//! Issue 17, capture duplicates: a SPAN port (or `tcpdump -i any` on a bridge and its member)
//! that copies every packet counts each once, the copies in `captures[].decode.duplicates`,
//! and the report's flows are those of the capture without them.

mod support;

use serde_json::Value;
use support::builder::{tcp_session, Dir};
use support::calls::{
    profile, rtp_both_ways, sa, sip_dialog_udp, turn_session, Link, Scene, MS, T0,
};

/// Packets of one scenario, each with its direction.
type Packets = Vec<(i64, Vec<u8>, Dir)>;

/// A call relayed over ExpressRoute, its SIP dialog on the LAN, a TURN session and a TCP
/// connection over the Internet: every packet once.
fn packets() -> Vec<(Link, Packets)> {
    let client = sa("10.10.1.20:50010");
    let relay = sa("52.113.10.20:3478");
    vec![
        (Link::Er, rtp_both_ways(client, relay, T0, 0x1000, 150)),
        (
            Link::Lan,
            sip_dialog_udp(
                sa("10.10.1.20:5060"),
                sa("10.30.0.10:5060"),
                T0,
                "dup-call",
                sa("10.10.1.20:50012"),
                sa("10.30.0.10:40000"),
            ),
        ),
        (
            Link::Er,
            turn_session(
                sa("10.10.1.21:50014"),
                sa("52.113.10.21:3478"),
                T0 + 10 * MS,
                (sa("52.113.10.21:50000"), sa("198.51.100.7:50014")),
                sa("52.113.10.99:50020"),
                0x2000,
                100,
            ),
        ),
        (
            Link::Inet,
            tcp_session(
                sa("10.10.1.22:51000"),
                sa("93.184.216.34:80"),
                T0 + 20 * MS,
                &[
                    (
                        Dir::Forward,
                        b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".to_vec(),
                    ),
                    (Dir::Reverse, vec![b'x'; 3000]),
                ],
            ),
        ),
    ]
}

/// The scene, each packet followed by `copies` copies `gap_ns` apart.
fn scene(copies: usize, gap_ns: i64) -> Scene {
    let mut scene = Scene::new();
    for (link, pkts) in packets() {
        let mut all = Vec::new();
        for (ts, ip, dir) in pkts {
            for c in 0..=copies {
                all.push((ts + c as i64 * gap_ns, ip.clone(), dir));
            }
        }
        scene.add(link, all);
    }
    scene
}

fn packet_count() -> u64 {
    packets().iter().map(|(_, p)| p.len() as u64).sum()
}

fn flows(r: &Value) -> Vec<Value> {
    r["flows"].as_array().unwrap().clone()
}

#[test]
fn every_packet_copied_by_a_span_port_counts_once() {
    let site = profile(&[]);
    let once = scene(0, 0).audit(Some(&site));
    let twice = scene(1, 2_000).audit(Some(&site));
    let n = packet_count();
    assert_eq!(once["captures"][0]["decode"]["duplicates"], 0);
    assert_eq!(once["captures"][0]["decode"]["flow_packets"], n);
    assert_eq!(twice["captures"][0]["packets"], 2 * n);
    assert_eq!(twice["captures"][0]["decode"]["duplicates"], n);
    assert_eq!(twice["captures"][0]["decode"]["flow_packets"], n);
    // The flows are the same flows, packet for packet, with the same findings and media
    // figures; only `last_seen` and `duration` may move by the copies' 2 us.
    let strip = |mut f: Value| {
        for k in ["last_seen", "duration"] {
            f.as_object_mut().unwrap().remove(k);
        }
        if let Some(streams) = f
            .pointer_mut("/media/streams")
            .and_then(Value::as_array_mut)
        {
            for s in streams {
                s.as_object_mut().unwrap().remove("last_seen");
            }
        }
        // Each capture is written to its own temporary file.
        for dir in ["/seen_at/forward", "/seen_at/reverse"] {
            for s in f.pointer_mut(dir).and_then(Value::as_array_mut).unwrap() {
                s.as_object_mut().unwrap().remove("file");
            }
        }
        f
    };
    let a: Vec<Value> = flows(&once).into_iter().map(strip).collect();
    let b: Vec<Value> = flows(&twice).into_iter().map(strip).collect();
    assert_eq!(a.len(), 4);
    for (x, y) in a.iter().zip(&b) {
        for (k, v) in x.as_object().unwrap() {
            assert_eq!(Some(v), y.get(k), "flow {}: {k}", x["id"]);
        }
    }
    assert_eq!(a, b);
    assert_eq!(once["calls"], twice["calls"]);
    assert_eq!(once["summary"]["findings"], twice["summary"]["findings"]);
}

#[test]
fn a_packet_seen_again_later_is_not_a_copy() {
    // 10 ms later (a retransmission's distance, past the 5 ms window): both count.
    let site = profile(&[]);
    let r = scene(1, 10 * MS).audit(Some(&site));
    let n = packet_count();
    assert_eq!(r["captures"][0]["decode"]["duplicates"], 0);
    assert_eq!(r["captures"][0]["decode"]["flow_packets"], 2 * n);
}

#[test]
fn three_copies_in_a_burst_count_once() {
    let site = profile(&[]);
    let r = scene(2, 1_000).audit(Some(&site));
    let n = packet_count();
    assert_eq!(r["captures"][0]["decode"]["duplicates"], 2 * n);
    assert_eq!(r["captures"][0]["decode"]["flow_packets"], n);
}
