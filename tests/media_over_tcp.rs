//! Issue 14, media over TCP with its handshake in the capture: [MS-TURN]'s pseudo-TLS exchange
//! followed by plain TURN carrying RTP (`proto.ms_turn_pseudo_tls`), and TURN over real TLS
//! told by its shape alone (`proto.media_shape`), each with its negatives.

mod support;

use std::net::SocketAddr;

use serde_json::Value;
use support::builder::*;
use support::cli::{audit_json, flow_by_port};
use support::media_tcp::*;
use support::payloads;

/// 2026-11-02T09:00:00Z, as in the other protocol fixtures.
const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;

/// A Teams media relay: 52.112.0.0/14 is worldwide endpoint set 11 (UDP 3478-3481) and, on
/// TCP 443, set 12.
const RELAY: &str = "52.113.10.20";
/// Not in any Office 365 endpoint set (RFC 5737 documentation range).
const OTHER: &str = "203.0.113.7";
/// The far end of the call, as the relay sees it (XOR-PEER-ADDRESS).
const PEER: &str = "198.51.100.23:50400";

const FWD_SSRC: u32 = 0x1a2b_3c4d;
const REV_SSRC: u32 = 0x5e6f_7081;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn at(ip: &str, port: u16) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), port)
}

/// Writes the packets as a raw-IP pcap in a tempdir and audits it (JSON).
fn audit(pkts: &[(i64, Vec<u8>, Dir)]) -> Value {
    let mut p = Pcap::new(LINKTYPE_RAW);
    p.extend(pkts, |_, ip| ip.to_vec());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("media-tcp.pcap");
    p.write(&path);
    audit_json(&["--fail-on", "never", path.to_str().unwrap()], 0)
}

/// A flow's finding codes (strings, or objects with a `code`).
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

/// The flow has `media-over-tcp`, and the report's findings list it as a warning of that flow.
fn assert_media_over_tcp(report: &Value, flow: &Value) {
    assert!(has_code(flow, "media-over-tcp"), "{flow:#}");
    let listed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "media-over-tcp" && f["flow"] == flow["id"])
        .unwrap_or_else(|| panic!("no media-over-tcp finding for flow {}", flow["id"]));
    assert_eq!(listed["severity"], "warning");
}

// ---------------------------------------------------------------------------------------------
// [MS-TURN] pseudo-TLS, then plain TURN carrying RTP
// ---------------------------------------------------------------------------------------------

/// How the relayed media travels after the pseudo-TLS exchange.
#[derive(Clone, Copy, Debug)]
enum Relay {
    /// Send indications from the client, Data indications from the relay (RFC 8656 §10),
    /// after a CreatePermission (§9).
    Indications,
    /// ChannelData on channel 0x4000 after a ChannelBind (§11, §12), padded to 4 bytes on TCP
    /// (§12.5); `per_segment` frames share each TCP segment.
    Channel { per_segment: usize },
}

/// RTP packets per direction in the pseudo-TLS calls (3 s of 20 ms packets).
const CALL_PACKETS: usize = 150;

/// A TCP connection from `client` to the relay on 443: the handshake, [MS-TURN] pseudo-TLS
/// (one ClientHello record; one ServerHello + ServerHelloDone record), an Allocate, then
/// `CALL_PACKETS` RTP packets each way relayed as `relay` says, one TURN message or frame
/// group per segment, 20 ms apart per direction.
fn pseudo_tls_call(client: SocketAddr, relay: Relay, session_id: bool) -> Vec<(i64, Vec<u8>, Dir)> {
    let server = at(RELAY, 443);
    let peer = sa(PEER);
    let mut s = vec![
        (T0 + 10 * MS, Dir::Forward, pseudo_tls_client_hello()),
        (
            T0 + 40 * MS,
            Dir::Reverse,
            pseudo_tls_server_hello(session_id),
        ),
        (
            T0 + 50 * MS,
            Dir::Forward,
            payloads::turn_allocate_request(txid(1)),
        ),
        (
            T0 + 80 * MS,
            Dir::Reverse,
            payloads::turn_allocate_success(txid(1), at(RELAY, 52_000), sa("192.0.2.40:50123")),
        ),
    ];
    let (bind, bound) = match relay {
        Relay::Indications => (
            turn_create_permission(txid(2), peer),
            turn_create_permission_success(txid(2)),
        ),
        Relay::Channel { .. } => (
            turn_channel_bind(txid(2), 0x4000, peer),
            turn_channel_bind_success(txid(2)),
        ),
    };
    s.push((T0 + 90 * MS, Dir::Forward, bind));
    s.push((T0 + 120 * MS, Dir::Reverse, bound));

    let media0 = T0 + 200 * MS;
    // Opus (48 kHz clock: +960 per 20 ms) on channels, PCMU (+160) in indications.
    let (pt, step) = match relay {
        Relay::Indications => (0, 160),
        Relay::Channel { .. } => (111, 960),
    };
    let mut fwd = RtpRun::new(pt, FWD_SSRC, 4_000, 160_000, step);
    let mut rev = RtpRun::new(pt, REV_SSRC, 31_000, 9_600_000, step);
    let mut tx = 100u32;
    let per_segment = match relay {
        Relay::Indications => 1,
        Relay::Channel { per_segment } => per_segment,
    };
    for i in (0..CALL_PACKETS).step_by(per_segment) {
        for (dir, run, offset) in [
            (Dir::Forward, &mut fwd, 0),
            (Dir::Reverse, &mut rev, 10 * MS),
        ] {
            let mut seg = Vec::new();
            for k in i..(i + per_segment).min(CALL_PACKETS) {
                // 60..=63 payload bytes: every amount of ChannelData padding (0..=3) occurs.
                let rtp = run.next_packet(60 + k % 4);
                seg.extend(match (relay, dir) {
                    (Relay::Indications, Dir::Forward) => {
                        turn_send_indication(txid(tx), peer, &rtp)
                    }
                    (Relay::Indications, Dir::Reverse) => {
                        turn_data_indication(txid(tx), peer, &rtp)
                    }
                    (Relay::Channel { .. }, _) => payloads::turn_channel_data_padded(0x4000, &rtp),
                });
                tx += 1;
            }
            // The segment leaves when its last packet is due.
            let last = (i + per_segment).min(CALL_PACKETS) - 1;
            s.push((media0 + last as i64 * 20 * MS + offset, dir, seg));
        }
    }
    tcp_from_schedule(client, server, Some(T0), s)
}

/// The contract for a pseudo-TLS TURN flow: `rtp`, `ms_turn_pseudo_tls`, `stun`, both SSRCs,
/// `media-over-tcp`.
fn assert_pseudo_tls_media(report: &Value, client_port: u16) {
    let f = flow_by_port(report, client_port);
    assert_eq!(f["transport"], "tcp");
    assert_eq!(f["client"]["ip"], "10.1.1.10", "{f:#}");
    assert_eq!(f["server"]["port"], 443);
    assert_eq!(f["app"], "rtp", "{:#}", f["proto"]);
    assert_eq!(f["proto"]["ms_turn_pseudo_tls"], true, "{:#}", f["proto"]);
    assert_eq!(f["proto"]["stun"], true, "{:#}", f["proto"]);
    let ssrcs = f["proto"]["rtp_ssrcs"].as_array().expect("rtp_ssrcs");
    for ssrc in [FWD_SSRC, REV_SSRC] {
        assert!(ssrcs.contains(&Value::from(ssrc)), "{ssrc:#x} in {ssrcs:?}");
    }
    // The pseudo ClientHello names no server.
    assert_eq!(f["sni"], Value::Null);
    assert_media_over_tcp(report, f);
}

#[test]
fn pseudo_tls_then_send_and_data_indications_is_rtp_over_tcp() {
    let pkts = pseudo_tls_call(sa("10.1.1.10:50123"), Relay::Indications, false);
    let report = audit(&pkts);
    assert_pseudo_tls_media(&report, 50123);
    // The peer the indications name is kept as STUN evidence.
    let f = flow_by_port(&report, 50123);
    assert!(
        f["proto"]["stun_addresses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["kind"] == "peer" && a["ip"] == "198.51.100.23" && a["port"] == 50400),
        "{:#}",
        f["proto"]
    );
}

#[test]
fn pseudo_tls_with_session_id_then_channel_data_is_rtp_over_tcp() {
    let pkts = pseudo_tls_call(
        sa("10.1.1.10:50123"),
        Relay::Channel { per_segment: 1 },
        true,
    );
    assert_pseudo_tls_media(&audit(&pkts), 50123);
}

#[test]
fn pseudo_tls_then_two_channel_data_frames_per_segment_is_rtp_over_tcp() {
    let pkts = pseudo_tls_call(
        sa("10.1.1.10:50123"),
        Relay::Channel { per_segment: 2 },
        false,
    );
    assert_pseudo_tls_media(&audit(&pkts), 50123);
}

/// A real TLS 1.0 handshake whose ClientHello has no extensions either: the server answers
/// ServerHello, Certificate, ServerHelloDone (RFC 2246 §7.3), keys are exchanged and
/// application data follows. Not pseudo-TLS, not media.
#[test]
fn real_tls_1_0_without_extensions_is_tls_not_pseudo_tls() {
    let client = sa("10.1.1.10:50130");
    let mut rng = Lcg::new(10);
    let mut s = vec![
        (T0 + 10 * MS, Dir::Forward, tls10_client_hello_no_ext()),
        (T0 + 40 * MS, Dir::Reverse, tls10_server_flight()),
        (T0 + 50 * MS, Dir::Forward, tls10_client_finish(&mut rng)),
        (T0 + 80 * MS, Dir::Reverse, tls10_server_finish(&mut rng)),
    ];
    for i in 0..20 {
        let t = T0 + 100 * MS + i * 50 * MS;
        let len = rng.range(60, 300);
        s.push((
            t,
            Dir::Forward,
            tls_record(TLS_APPLICATION_DATA, 0x0301, &rng.bytes(len)),
        ));
        let len = rng.range(60, 300);
        s.push((
            t + 20 * MS,
            Dir::Reverse,
            tls_record(TLS_APPLICATION_DATA, 0x0301, &rng.bytes(len)),
        ));
    }
    let pkts = tcp_from_schedule(client, at(RELAY, 443), Some(T0), s);
    let report = audit(&pkts);
    let f = flow_by_port(&report, 50130);
    assert_eq!(f["app"], "tls", "{:#}", f["proto"]);
    assert!(
        f["proto"].get("ms_turn_pseudo_tls").is_none(),
        "{:#}",
        f["proto"]
    );
    assert!(!has_code(f, "media-over-tcp"), "{f:#}");
}

// ---------------------------------------------------------------------------------------------
// TURN over real TLS, told by its shape
// ---------------------------------------------------------------------------------------------

/// A payload schedule: time, direction, TCP payload (empty: a pure ACK).
type Schedule = Vec<(i64, Dir, Vec<u8>)>;

/// The start of the application data: the handshake is at T0, the hellos at T0 + 3 / 5 ms.
const APP0: i64 = T0 + 10 * MS;

/// A TLS connection to `server` with SNI `sni`: TCP handshake, ClientHello, ServerHello, then
/// `app` (application-data records). Returns the packets and the whole payload schedule.
fn tls_flow(
    client: SocketAddr,
    server: SocketAddr,
    sni: &str,
    app: Schedule,
) -> (Vec<(i64, Vec<u8>, Dir)>, Schedule) {
    let mut s = vec![
        (
            T0 + 3 * MS,
            Dir::Forward,
            payloads::tls_client_hello(sni, &[], 0),
        ),
        (T0 + 5 * MS, Dir::Reverse, payloads::tls_server_hello()),
    ];
    s.extend(app);
    s.sort_by_key(|e| e.0);
    (tcp_from_schedule(client, server, Some(T0), s.clone()), s)
}

/// `per_s` application-data records a second each way for `secs` seconds from `start`, each
/// of `lo..=hi` bytes of ciphertext; the reverse direction half an interval after the forward.
fn cadence(rng: &mut Lcg, start: i64, per_s: i64, secs: f64, (lo, hi): (usize, usize)) -> Schedule {
    let interval = S / per_s;
    let n = (secs * per_s as f64).round() as i64;
    let mut s = Vec::new();
    for i in 0..n {
        for (dir, offset) in [(Dir::Forward, 0), (Dir::Reverse, interval / 2)] {
            let len = rng.range(lo, hi);
            s.push((start + i * interval + offset, dir, tls_app_data(rng, len)));
        }
    }
    s
}

/// What `proto.media_shape` must say of a schedule, computed from the fixture itself.
struct Expected {
    duration_s: f64,
    segments: [usize; 2],
    mean_size: [f64; 2],
    media_sized: [f64; 2],
    silences: [usize; 2],
}

fn expected(s: &Schedule) -> Expected {
    let payload: Vec<&(i64, Dir, Vec<u8>)> = s.iter().filter(|e| !e.2.is_empty()).collect();
    let first = payload.iter().map(|e| e.0).min().unwrap();
    let last = payload.iter().map(|e| e.0).max().unwrap();
    let mut e = Expected {
        duration_s: (last - first) as f64 / 1e9,
        segments: [0; 2],
        mean_size: [0.0; 2],
        media_sized: [0.0; 2],
        silences: [0; 2],
    };
    for (k, dir) in [Dir::Forward, Dir::Reverse].into_iter().enumerate() {
        let segs: Vec<&&(i64, Dir, Vec<u8>)> = payload.iter().filter(|p| p.1 == dir).collect();
        let n = segs.len();
        e.segments[k] = n;
        e.mean_size[k] = segs.iter().map(|p| p.2.len()).sum::<usize>() as f64 / n as f64;
        e.media_sized[k] = segs
            .iter()
            .filter(|p| (20..=1300).contains(&p.2.len()))
            .count() as f64
            / n as f64;
        e.silences[k] = segs.windows(2).filter(|w| w[1].0 - w[0].0 > S).count();
    }
    e
}

/// The conditions of the shape rule a schedule misses (the contract: in both directions,
/// duration >= 5 s, >= 25 payload segments/s, >= 90 % of them 20..=1300 bytes, at most
/// 1 + duration/30 silences over 1 s). Fixtures check they miss exactly what they mean to.
fn misses(e: &Expected) -> Vec<&'static str> {
    let mut out = Vec::new();
    if e.duration_s < 5.0 {
        out.push("duration");
    }
    if e.segments.iter().any(|&n| (n as f64) / e.duration_s < 25.0) {
        out.push("rate");
    }
    if e.media_sized.iter().any(|&f| f < 0.9) {
        out.push("sizes");
    }
    if e.silences
        .iter()
        .any(|&n| n as f64 > 1.0 + e.duration_s / 30.0)
    {
        out.push("silences");
    }
    out
}

/// The flow has `media-over-tcp`, stays `tls`, and its `media_shape` says `gate` and the
/// figures of `s`.
fn assert_media_shape(report: &Value, client_port: u16, gate: &str, s: &Schedule) {
    let e = expected(s);
    assert!(misses(&e).is_empty(), "fixture: {:?}", misses(&e));
    let f = flow_by_port(report, client_port);
    assert_eq!(f["app"], "tls", "{f:#}");
    assert_media_over_tcp(report, f);
    let shape = &f["proto"]["media_shape"];
    assert!(shape.is_object(), "no media_shape: {:#}", f["proto"]);
    assert_eq!(shape["gate"], gate, "{shape:#}");
    let duration = shape["duration_s"].as_f64().unwrap();
    assert!((duration - 10.0).abs() <= 0.5, "duration_s {duration}");
    assert!(
        (duration - e.duration_s).abs() <= 0.05,
        "duration_s {duration} vs {}",
        e.duration_s
    );
    for (k, dir) in ["forward", "reverse"].into_iter().enumerate() {
        let rate = shape["segments_per_s"][dir].as_f64().unwrap();
        let want = e.segments[k] as f64 / e.duration_s;
        assert!(rate >= 25.0, "{dir} segments_per_s {rate}");
        assert!(
            (rate - want).abs() <= want * 0.03,
            "{dir} segments_per_s {rate}, want {want}"
        );
        let mean = shape["mean_size"][dir].as_u64().unwrap() as f64;
        // 60..=300 bytes of ciphertext plus the 5-byte record header (the hellos aside).
        assert!((65.0..=305.0).contains(&mean), "{dir} mean_size {mean}");
        assert!(
            (mean - e.mean_size[k]).abs() <= 1.0,
            "{dir} mean_size {mean} vs {}",
            e.mean_size[k]
        );
        let sized = shape["media_sized"][dir].as_f64().unwrap();
        assert!((0.9..=1.0).contains(&sized), "{dir} media_sized {sized}");
        assert!(
            (sized - e.media_sized[k]).abs() <= 0.01,
            "{dir} media_sized {sized}"
        );
        assert_eq!(shape["silences"][dir], e.silences[k], "{dir} silences");
    }
}

/// No `media-over-tcp`, no `media_shape`, and the flow is plain `tls`.
fn assert_no_media_shape(report: &Value, client_port: u16, what: &str) {
    let f = flow_by_port(report, client_port);
    assert_eq!(f["app"], "tls", "{what}: {f:#}");
    assert!(!has_code(f, "media-over-tcp"), "{what}: {f:#}");
    assert!(
        f["proto"].get("media_shape").is_none(),
        "{what}: {:#}",
        f["proto"]
    );
}

/// 10 s of 50 records/s each way, 60..=300 bytes: a call's cadence.
fn call_cadence(seed: u32) -> Schedule {
    cadence(&mut Lcg::new(seed), APP0, 50, 10.0, (60, 300))
}

/// (1) TLS to a Teams media relay address on 443 with the web SNI: gate `media_address`.
#[test]
fn shape_media_cadence_to_a_relay_address_is_media_over_tcp() {
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50140"),
        at(RELAY, 443),
        "teams.microsoft.com",
        call_cadence(1),
    );
    assert_media_shape(&audit(&pkts), 50140, "media_address", &s);
}

/// (2) TLS to an address outside Office 365 whose SNI names a Teams transport relay: gate
/// `relay_sni`, for both relay name suffixes.
#[test]
fn shape_media_cadence_with_a_relay_sni_is_media_over_tcp() {
    for sni in [
        "worldaz.tr.teams.microsoft.com",
        "euaz.relay.teams.microsoft.com",
    ] {
        let (pkts, s) = tls_flow(sa("10.1.1.10:50141"), at(OTHER, 443), sni, call_cadence(2));
        let report = audit(&pkts);
        assert_eq!(flow_by_port(&report, 50141)["sni"], sni);
        assert_media_shape(&report, 50141, "relay_sni", &s);
    }
}

/// (3) The relay address gates whatever the port.
#[test]
fn shape_media_cadence_to_a_relay_address_on_another_port_is_media_over_tcp() {
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50142"),
        at(RELAY, 8443),
        "teams.microsoft.com",
        call_cadence(3),
    );
    assert_media_shape(&audit(&pkts), 50142, "media_address", &s);
}

/// Both gates hold: `media_address` wins.
#[test]
fn shape_media_address_wins_over_relay_sni() {
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50143"),
        at(RELAY, 443),
        "worldaz.tr.teams.microsoft.com",
        call_cadence(4),
    );
    assert_media_shape(&audit(&pkts), 50143, "media_address", &s);
}

/// (4) The same cadence with no gate: not a relay address, not a relay SNI (near misses of
/// the suffixes included).
#[test]
fn shape_media_cadence_without_a_gate_is_plain_tls() {
    for sni in [
        "www.example.com",
        "teams.microsoft.com",
        "nottr.teams.microsoft.com",
        "worldaz.tr.teams.microsoft.com.example.net",
    ] {
        let (pkts, s) = tls_flow(sa("10.1.1.10:50144"), at(OTHER, 443), sni, call_cadence(5));
        assert!(misses(&expected(&s)).is_empty());
        assert_no_media_shape(&audit(&pkts), 50144, sni);
    }
}

/// (5) A download from the relay address: 1400-byte segments at 200/s from the server for
/// 10 s; the client sends one request and then only pure ACKs (one per two segments).
#[test]
fn shape_download_from_a_relay_address_is_plain_tls() {
    let mut rng = Lcg::new(6);
    let mut app = vec![(APP0, Dir::Forward, tls_app_data(&mut rng, 180))];
    for i in 0..2000 {
        let t = APP0 + 20 * MS + i * 5 * MS;
        app.push((t, Dir::Reverse, tls_app_data(&mut rng, 1395)));
        if i % 2 == 1 {
            app.push((t + MS, Dir::Forward, Vec::new()));
        }
    }
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50145"),
        at(RELAY, 443),
        "teams.microsoft.com",
        app,
    );
    assert!(s.iter().any(|e| e.1 == Dir::Reverse && e.2.len() == 1400));
    // The client sends two payload segments (hello, request); the server's are too large.
    assert_eq!(expected(&s).segments[0], 2);
    assert_eq!(misses(&expected(&s)), ["rate", "sizes"]);
    assert_no_media_shape(&audit(&pkts), 50145, "download");
}

/// (6) Long-lived signalling to the relay address: 2 records/s each way for 60 s.
#[test]
fn shape_slow_signalling_to_a_relay_address_is_plain_tls() {
    let app = cadence(&mut Lcg::new(7), APP0, 2, 60.0, (195, 595));
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50146"),
        at(RELAY, 443),
        "teams.microsoft.com",
        app,
    );
    assert_eq!(misses(&expected(&s)), ["rate"]);
    assert_no_media_shape(&audit(&pkts), 50146, "signalling");
}

/// (7) A call's cadence, but only 3 s of it (the rule wants 5 s).
#[test]
fn shape_short_media_cadence_is_plain_tls() {
    let app = cadence(&mut Lcg::new(8), APP0, 50, 3.0, (60, 300));
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50147"),
        at(RELAY, 443),
        "teams.microsoft.com",
        app,
    );
    assert_eq!(misses(&expected(&s)), ["duration"]);
    assert_no_media_shape(&audit(&pkts), 50147, "3 s");
}

/// (8) Bursts: 1 s of a call's cadence, then 2 s of silence, for 15 s: under 25 segments/s on
/// average and four silences over 1 s each way (at most 1 + duration/30 allowed).
#[test]
fn shape_bursty_traffic_to_a_relay_address_is_plain_tls() {
    let mut rng = Lcg::new(9);
    let mut app = Vec::new();
    for burst in 0..5 {
        app.extend(cadence(&mut rng, APP0 + burst * 3 * S, 50, 1.0, (60, 300)));
    }
    let (pkts, s) = tls_flow(
        sa("10.1.1.10:50148"),
        at(RELAY, 443),
        "teams.microsoft.com",
        app,
    );
    let e = expected(&s);
    assert_eq!(e.silences, [4, 4]);
    assert_eq!(misses(&e), ["rate", "silences"]);
    assert_no_media_shape(&audit(&pkts), 50148, "bursty");
}

/// Precision on real traffic: over every shared capture (nDPI's and the third-party ones,
/// 74 files), the flows flagged `media-over-tcp` are exactly these, each one nDPI's `.out`
/// also calls media or STUN/TURN on TCP; none is there by its shape, and no ordinary TLS flow
/// (there are dozens: Teams signalling to 52.112.0.0/14 among them) is flagged.
#[test]
fn on_every_shared_capture_only_real_media_is_media_over_tcp() {
    let Some(root) = support::shared::or_skip("captures") else {
        return;
    };
    let expected: &[(&str, &str, &str)] = &[
        // nDPI: RTP (RFC 4571 framing).
        ("rtp.pcapng", "172.16.168.24:40252", "172.16.168.64:5000"),
        // nDPI: STUN, with mapped and relayed addresses (a TURN allocation over TCP).
        ("stun.pcap", "54.1.57.155:37257", "87.47.100.17:3478"),
        // nDPI: STUN.Skype_TeamsCall.
        ("stun.pcap", "10.77.110.51:41588", "10.206.50.239:42000"),
        // nDPI: STUN.GoogleCall (then RTP inside TURN).
        (
            "stun_dtls_rtp.pcapng",
            "192.168.12.182:50221",
            "142.250.82.249:3478",
        ),
        // nDPI: STUN, several messages in one segment.
        (
            "stun_tcp_multiple_msgs_same_pkt.pcap",
            "23.183.197.71:42849",
            "166.172.142.131:3479",
        ),
    ];
    let mut found = Vec::new();
    let mut files = 0;
    for folder in ["ndpi", "ext"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                !name.ends_with(".out") && !name.ends_with(".md") && name != "COPYING"
            })
            .collect();
        entries.sort();
        for path in entries {
            files += 1;
            let out = support::cli::callpath(&[
                "audit",
                "--format",
                "json",
                "-q",
                "--fail-on",
                "never",
                path.to_str().unwrap(),
            ]);
            let report = out.json();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            for f in support::cli::flows(&report) {
                if has_code(f, "media-over-tcp") {
                    let end = |e: &Value| format!("{}:{}", e["ip"].as_str().unwrap(), e["port"]);
                    assert!(
                        f["proto"].get("media_shape").is_none(),
                        "{name}: flagged by its shape: {f:#}"
                    );
                    found.push((name.clone(), end(&f["client"]), end(&f["server"])));
                }
            }
        }
    }
    assert!(files >= 74, "only {files} shared captures read");
    let mut expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
}
