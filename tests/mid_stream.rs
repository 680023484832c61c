//! Issue 14, captures started during a call: no TCP handshake, no TURN Allocate or
//! ChannelBind, no TLS handshake. TURN ChannelData is read for the RTP it relays; TLS is told
//! by runs of back-to-back records in both directions.

mod support;

use std::net::SocketAddr;

use serde_json::Value;
use support::builder::*;
use support::cli::{audit_json, flow_by_port};
use support::media_tcp::*;
use support::payloads;

/// 2026-11-02T09:00:00Z.
const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;

const SSRC: u32 = 0x0bad_cafe;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn audit(pkts: &[(i64, Vec<u8>, Dir)]) -> Value {
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.extend(pkts, |_, ip| ip.to_vec());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mid.pcap");
    p.write(&path);
    audit_json(&["--fail-on", "never", path.to_str().unwrap()], 0)
}

fn codes(flow: &Value) -> Vec<String> {
    flow["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|c| {
            c.as_str()
                .or_else(|| c["code"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

fn has_code(flow: &Value, code: &str) -> bool {
    codes(flow).iter().any(|c| c == code)
}

/// 300 ChannelData frames (channel 0x4001, padded to 4 bytes: RFC 8656 §12.5) from the client
/// to the relay's TCP 3478, 20 ms apart, one per segment; `body(i)` is what frame `i` carries.
/// The capture starts mid-session: no SYN, the sequence numbers are mid-stream ones.
fn channel_data_mid_tcp(
    client: SocketAddr,
    body: impl Fn(usize) -> Vec<u8>,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut s = TcpStream::new(
        client,
        sa("52.113.10.20:3478"),
        3_141_592_653,
        2_718_281_828,
    );
    for i in 0..300 {
        s.segment(
            T0 + i as i64 * 20 * MS,
            Dir::Forward,
            &payloads::turn_channel_data_padded(0x4001, &body(i)),
        );
    }
    s.finish()
}

/// (9) One direction of ChannelData carrying an RTP run over TCP: `rtp`, `media-over-tcp`.
#[test]
fn mid_call_tcp_channel_data_carrying_rtp_is_media_over_tcp() {
    let mut run = RtpRun::new(111, SSRC, 60_000, 4_000_000, 960);
    let frames: Vec<Vec<u8>> = (0..300).map(|i| run.next_packet(70 + i % 4)).collect();
    let report = audit(&channel_data_mid_tcp(sa("10.1.1.10:50200"), |i| {
        frames[i].clone()
    }));
    let f = flow_by_port(&report, 50200);
    // No SYN: the end on the service port (3478) is the server.
    assert_eq!(f["client"]["ip"], "10.1.1.10", "{f:#}");
    assert_eq!(f["app"], "rtp", "{:#}", f["proto"]);
    assert_eq!(f["proto"]["rtp_ssrcs"], serde_json::json!([SSRC]));
    // The frames alone are not STUN evidence.
    assert_ne!(f["proto"]["stun"], true, "{:#}", f["proto"]);
    assert!(has_code(f, "media-over-tcp"), "{f:#}");
}

/// (10) The same frames carrying random bytes: nothing (`other`).
#[test]
fn mid_call_tcp_channel_data_carrying_random_bytes_is_other() {
    let mut rng = Lcg::new(42);
    let frames: Vec<Vec<u8>> = (0..300).map(|i| rng.bytes(82 + i % 4)).collect();
    let report = audit(&channel_data_mid_tcp(sa("10.1.1.10:50201"), |i| {
        frames[i].clone()
    }));
    let f = flow_by_port(&report, 50201);
    assert_eq!(f["app"], "other", "{:#}", f["proto"]);
    assert!(!has_code(f, "media-over-tcp"), "{f:#}");
}

/// (11) UDP ChannelData carrying RTP both ways from a capture started mid-call: `rtp`, and
/// no `media-over-tcp` (it is UDP).
#[test]
fn mid_call_udp_channel_data_carrying_rtp_is_rtp() {
    let (c, r) = (sa("10.1.1.10:50202"), sa("52.113.10.20:3478"));
    let mut fwd = RtpRun::new(0, SSRC, 100, 8_000, 160);
    let mut rev = RtpRun::new(0, 0x0123_4567, 9_000, 80_000, 160);
    let pkts = udp_stream(c, r, T0, 10 * MS, 200, |i| {
        let (dir, run) = if i % 2 == 0 {
            (Dir::Forward, &mut fwd)
        } else {
            (Dir::Reverse, &mut rev)
        };
        // Over UDP the frame is not padded (RFC 8656 §12.5).
        (
            dir,
            payloads::turn_channel_data(0x4002, &run.next_packet(160)),
        )
    });
    let report = audit(&pkts);
    let f = flow_by_port(&report, 50202);
    assert_eq!(f["transport"], "udp");
    assert_eq!(f["app"], "rtp", "{:#}", f["proto"]);
    assert_eq!(
        f["proto"]["rtp_ssrcs"],
        serde_json::json!([SSRC, 0x0123_4567])
    );
    assert!(!has_code(f, "media-over-tcp"), "{f:#}");
}

/// Back-to-back TLS 1.2 application-data records of 100..=1500 bytes of ciphertext.
fn records(rng: &mut Lcg, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|_| {
            let len = rng.range(100, 1500);
            tls_app_data(rng, len)
        })
        .collect()
}

/// A direction's records as segments of at most `mss` bytes: records are cut across
/// segments, but never inside a 5-byte record header (a cut header is another case). Returns
/// the segments and how many records crossed a segment boundary.
fn segments(records: &[Vec<u8>], mss: usize) -> (Vec<Vec<u8>>, usize) {
    let stream: Vec<u8> = records.concat();
    let mut headers = Vec::new();
    let mut pos = 0;
    for r in records {
        headers.push(pos);
        pos += r.len();
    }
    let mut segs = Vec::new();
    let mut start = 0;
    while start < stream.len() {
        let mut end = (start + mss).min(stream.len());
        // Move the cut before a header it would split.
        if let Some(&h) = headers.iter().find(|&&h| h < end && end < h + 5) {
            end = h;
        }
        segs.push(stream[start..end].to_vec());
        start = end;
    }
    let mut crossing = 0;
    let mut cut = 0;
    let cuts: Vec<usize> = segs
        .iter()
        .map(|s| {
            cut += s.len();
            cut
        })
        .collect();
    for (h, r) in headers.iter().zip(records) {
        if cuts.iter().any(|&c| c > *h && c < h + r.len()) {
            crossing += 1;
        }
    }
    (segs, crossing)
}

/// (12) TLS seen mid-session: both directions send records back to back, some of them across
/// segment boundaries, no handshake: `tls`.
#[test]
fn mid_session_tls_records_both_ways_is_tls() {
    let (c, r) = (sa("10.1.1.10:50210"), sa("203.0.113.7:443"));
    let mut rng = Lcg::new(12);
    let mut s = TcpStream::new(c, r, 400_000_000, 900_000_000);
    let (fwd, fwd_crossing) = segments(&records(&mut rng, 12), 1000);
    let (rev, rev_crossing) = segments(&records(&mut rng, 12), 1200);
    assert!(
        fwd_crossing >= 3 && rev_crossing >= 3,
        "{fwd_crossing} {rev_crossing}"
    );
    let mut sched: Vec<(i64, Dir, Vec<u8>)> = Vec::new();
    for (i, seg) in fwd.into_iter().enumerate() {
        sched.push((T0 + i as i64 * 7 * MS, Dir::Forward, seg));
    }
    for (i, seg) in rev.into_iter().enumerate() {
        sched.push((T0 + 3 * MS + i as i64 * 7 * MS, Dir::Reverse, seg));
    }
    sched.sort_by_key(|e| e.0);
    for (t, d, seg) in &sched {
        s.segment(*t, *d, seg);
    }
    let report = audit(&s.finish());
    let f = flow_by_port(&report, 50210);
    assert_eq!(f["client"]["ip"], "10.1.1.10");
    assert_eq!(f["app"], "tls", "{:#}", f["proto"]);
    assert!(!has_code(f, "media-over-tcp"));
}

/// (13) A single record in one direction is not a run: not `tls`.
#[test]
fn mid_session_single_tls_record_is_not_tls() {
    let (c, r) = (sa("10.1.1.10:50211"), sa("203.0.113.7:443"));
    let mut rng = Lcg::new(13);
    let mut s = TcpStream::new(c, r, 400_000_000, 900_000_000);
    s.segment(T0, Dir::Forward, &tls_app_data(&mut rng, 300));
    s.ack(T0 + 20 * MS, Dir::Reverse);
    let report = audit(&s.finish());
    let f = flow_by_port(&report, 50211);
    assert_ne!(f["app"], "tls", "{f:#}");
}

/// Many records, but in one direction only: SPEC wants a run each way, so not `tls`.
#[test]
fn mid_session_tls_records_one_way_only_is_not_tls() {
    let (c, r) = (sa("10.1.1.10:50212"), sa("203.0.113.7:443"));
    let mut rng = Lcg::new(14);
    let mut s = TcpStream::new(c, r, 400_000_000, 900_000_000);
    let (fwd, _) = segments(&records(&mut rng, 12), 1000);
    for (i, seg) in fwd.iter().enumerate() {
        s.segment(T0 + i as i64 * 7 * MS, Dir::Forward, seg);
        s.ack(T0 + i as i64 * 7 * MS + MS, Dir::Reverse);
    }
    let report = audit(&s.finish());
    let f = flow_by_port(&report, 50212);
    assert_ne!(f["app"], "tls", "{f:#}");
}
