//! Issue 16, media quality against tshark: callpath's per-stream figures (`flows[].media
//! .streams[]`) on the real captures of `../shared/captures/ndpi/` that have RTP, compared with
//! `tshark -q -z rtp,streams -o rtp.heuristic_rtp:TRUE` (tshark 4.0), one test per capture.
//!
//! A stream is one SSRC from one end to the other (callpath: flow, direction and SSRC); both
//! sides are matched by source address and port, destination address and port, and SSRC. Each
//! test states, per stream, callpath's figures (payload type, clock rate, packets, expected,
//! lost, duplicates, max jitter) and tshark's (payload names, packets, lost, max jitter), and
//! how the two relate; it checks callpath's report against the stated figures, and, with
//! tshark on PATH, tshark's too, then the relation:
//!
//! - **loss**: callpath's `lost` equals tshark's, and so do the packets ([`Count::Same`]).
//!   Where they legitimately differ the relation is exact ([`Count::ProbationRepeats`]): callpath
//!   confirms a stream with a run of 4 packets of one SSRC in sequence and counts the run's
//!   packets, but not the packets before the run nor repeats of a sequence number during it;
//!   tshark counts every packet, and its `lost` is `expected - packets`, so each duplicate makes
//!   it one lower (negative with enough of them);
//! - **max jitter**, where tshark knows the clock rate (static payload types): within 10 %
//!   ([`Jitter::Within10`]), or further apart for a stated reason ([`Jitter::FromConfirming`]):
//!   tshark's estimate starts at the stream's first packet, callpath's at the confirming packet
//!   (the run's earlier packets arrive before the stream is known, so their timing is not kept),
//!   and a short stream's first packets can weigh most. Both are then recomputed from tshark's
//!   own per-packet dissection (`support::rtp_streams`): tshark's rules from the first packet
//!   must give tshark's figure, RFC 3550 A.8 from callpath's confirming packet callpath's, each
//!   to the printed precision, so the difference is nothing but the starting point;
//! - for dynamic payload types tshark knows no clock rate (it prints 0 and computes no jitter):
//!   loss only ([`Jitter::NoRate`]). Where callpath inferred the rate from the timestamps, its max
//!   jitter is still recomputed from tshark's packets (A.8 from the packet that found the rate).
//!
//! RTP packets are parsed by their header, which SRTP leaves in the clear: both tools count SRTP
//! streams the same way. Streams only one side lists are stated with the reason
//! ([`How::TsharkOnly`], [`How::CallpathOnly`]) and checked for it. Where the relation is
//! particular to a stream ([`Count::Custom`], [`Jitter::Custom`]), its test checks it.
//!
//! Every test prints the figures side by side (stderr), so the test log states them. Without
//! `../shared` the tests are skipped (said on stderr; on CI they fail); without tshark on PATH
//! only callpath's figures are checked against the stated ones (on CI a missing tshark fails).

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde_json::Value;
use support::cli::{audit_json, callpath};
use support::rtp_streams::{self as rs, Packet, Row, StreamKey};
use support::tshark;

/// callpath's figures of one stream (`flows[].media.streams[]`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ours {
    payload_type: u8,
    clock_rate: Option<u32>,
    packets: u64,
    expected: u64,
    lost: u64,
    duplicates: u64,
    max_jitter_ms: Option<f64>,
}

/// `ours(payload_type, clock_rate, [packets, expected, lost, duplicates], max_jitter_ms)`.
const fn ours(
    pt: u8,
    rate: Option<u32>,
    counts: [u64; 4],
    max_jitter_ms: Option<f64>,
) -> Option<Ours> {
    let [packets, expected, lost, duplicates] = counts;
    Some(Ours {
        payload_type: pt,
        clock_rate: rate,
        packets,
        expected,
        lost,
        duplicates,
        max_jitter_ms,
    })
}

/// tshark's figures of one stream (a row of `rtp,streams`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Theirs {
    payload: &'static str,
    packets: u64,
    lost: i64,
    /// 0 where tshark knows no clock rate.
    max_jitter_ms: f64,
}

/// `theirs(payload names, packets, lost, max_jitter_ms)`.
const fn theirs(
    payload: &'static str,
    packets: u64,
    lost: i64,
    max_jitter_ms: f64,
) -> Option<Theirs> {
    Some(Theirs {
        payload,
        packets,
        lost,
        max_jitter_ms,
    })
}

/// How the packets and loss of a stream both list relate.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Count {
    /// The same packets and the same loss; no duplicates.
    Same,
    /// tshark counts `n` more packets: copies of the packet before them captured within 5 ms
    /// (a SPAN port), which callpath drops before RTP sees them (`decode.duplicates`). tshark's
    /// loss counts each as received: tshark's lost = callpath's lost - `n`.
    CaptureCopies(u64),
    /// Checked by the capture's test.
    Custom,
}

/// How the max jitter of a stream both list relates.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Jitter {
    /// Static payload type: within 10 % of tshark's (and both recomputed).
    Within10,
    /// Static payload type, more than 10 % apart: tshark's from the first packet, callpath's
    /// from the confirming one; each equals its recomputation from tshark's packets.
    FromConfirming,
    /// Dynamic payload type: tshark knows no clock rate (prints 0): loss only. callpath's own
    /// figure, where it inferred a rate, equals its recomputation from tshark's packets.
    NoRate,
    /// Checked by the capture's test.
    Custom,
}

/// Why only tshark lists a stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum TsharkOnly {
    /// Fewer than 4 packets in sequence: no probation run confirms it in callpath (tshark's
    /// heuristic takes any single packet that looks like RTP).
    Short,
    /// Inside a GTP-U tunnel (UDP 2152): callpath makes flows of the outermost IP header only
    /// (README "What counts as a flow"), tshark dissects the inner packet.
    Tunnel,
}

/// Why only callpath lists a stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CallpathOnly {
    /// RTP over TCP in RFC 4571 framing: tshark 4.0 has no dissector for it (nor a heuristic);
    /// the stream is recomputed from the TCP payloads tshark shows.
    Rfc4571,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum How {
    Both(Count, Jitter),
    TsharkOnly(TsharkOnly),
    CallpathOnly(CallpathOnly),
}

use CallpathOnly::Rfc4571;
use Count::{CaptureCopies, Same};
use How::Both;
use Jitter::{FromConfirming, NoRate, Within10};
use TsharkOnly::{Short, Tunnel};

/// One stream as stated: (source, destination, SSRC), callpath's and tshark's figures, and how
/// they relate.
struct Stream {
    key: (&'static str, &'static str, u32),
    ours: Option<Ours>,
    theirs: Option<Theirs>,
    how: How,
}

impl Stream {
    fn key(&self) -> StreamKey {
        StreamKey {
            src: rs::end(self.key.0),
            dst: rs::end(self.key.1),
            ssrc: self.key.2,
        }
    }
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// tshark's side of a capture: its `rtp,streams` rows and its packets per stream.
struct TsharkSide {
    rows: BTreeMap<StreamKey, Row>,
    packets: BTreeMap<StreamKey, Vec<Packet>>,
}

/// What a capture's test has to check its own relations with.
struct Seen {
    path: PathBuf,
    report: Value,
    ours: BTreeMap<StreamKey, Ours>,
    /// With tshark: its rows and its packets per stream.
    tshark: Option<TsharkSide>,
}

fn opt_ms(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// callpath's streams of its JSON report, keyed as tshark keys them.
fn callpath_streams(report: &Value) -> BTreeMap<StreamKey, Ours> {
    let end = |v: &Value| -> tshark::End {
        let ip = v["ip"].as_str().expect("ip").parse().expect("an address");
        let port = v["port"].as_u64().expect("port");
        (ip, u16::try_from(port).expect("a port"))
    };
    let mut out = BTreeMap::new();
    for f in support::cli::flows(report) {
        let Some(streams) = f["media"]["streams"].as_array() else {
            continue;
        };
        let (client, server) = (end(&f["client"]), end(&f["server"]));
        for s in streams {
            let (src, dst) = match s["direction"].as_str() {
                Some("forward") => (client, server),
                Some("reverse") => (server, client),
                d => panic!("direction {d:?} in {s:#}"),
            };
            let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s:#}"));
            let key = StreamKey {
                src,
                dst,
                ssrc: u32::try_from(n("ssrc")).expect("a 32-bit SSRC"),
            };
            let figures = Ours {
                payload_type: u8::try_from(n("payload_type")).expect("a payload type"),
                clock_rate: s["clock_rate"]
                    .as_u64()
                    .map(|r| u32::try_from(r).expect("a clock rate")),
                packets: n("packets"),
                expected: n("expected"),
                lost: n("lost"),
                duplicates: n("duplicates"),
                max_jitter_ms: opt_ms(&s["max_jitter_ms"]),
            };
            let dup = out.insert(key, figures);
            assert!(dup.is_none(), "stream {key} twice in the report");
        }
    }
    out
}

/// Equal to the precision both print (3 decimals).
fn same_ms(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A recomputed figure against a printed one (3 decimals; callpath's estimate is an `f32`).
fn recomputed(printed: f64, model: f64) -> bool {
    (printed - model).abs() <= 0.0005 + 1e-6 * model.abs()
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or("-".to_string(), |v| format!("{v:.3}"))
}

/// Audits `name`, checks callpath's streams against `stated`, then (with tshark) tshark's and
/// each stream's relation. Prints both sides' figures. `None` when `../shared` is missing.
fn check(name: &str, stated: &[Stream]) -> Option<Seen> {
    let dir = support::shared::or_skip("captures/ndpi")?;
    let path = dir.join(name);
    assert!(path.exists(), "{} is missing", path.display());
    let report = audit_json(
        &["--fail-on", "never", path.to_str().expect("a UTF-8 path")],
        0,
    );
    let ours = callpath_streams(&report);

    // callpath's streams against the stated ones.
    let want: BTreeMap<StreamKey, &Stream> = stated.iter().map(|s| (s.key(), s)).collect();
    assert_eq!(want.len(), stated.len(), "{name}: a stream stated twice");
    for (key, s) in &want {
        let got = ours.get(key);
        match (s.ours, got) {
            (Some(w), Some(g)) => {
                let jitter_same = match (w.max_jitter_ms, g.max_jitter_ms) {
                    (Some(a), Some(b)) => same_ms(a, b),
                    (a, b) => a == b,
                };
                assert!(
                    jitter_same
                        && Ours {
                            max_jitter_ms: None,
                            ..w
                        } == Ours {
                            max_jitter_ms: None,
                            ..*g
                        },
                    "{name}: {key}: callpath's figures {g:?}, stated {w:?}"
                );
            }
            (None, None) => {}
            (w, g) => panic!("{name}: {key}: callpath's stream {g:?}, stated {w:?}"),
        }
    }
    let unstated: Vec<String> = ours
        .keys()
        .filter(|k| !want.contains_key(k))
        .map(|k| format!("{k}: {:?}", ours[k]))
        .collect();
    assert!(
        unstated.is_empty(),
        "{name}: callpath streams not stated:\n{}",
        unstated.join("\n")
    );

    if !tshark::available() {
        assert!(
            !on_ci(),
            "{name}: tshark is not on PATH, and CI=true (.ci/run installs it)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "{name}: tshark not on PATH: the comparison with tshark is skipped, callpath's \
             figures were checked against the stated ones"
        );
        return Some(Seen {
            path,
            report,
            ours,
            tshark: None,
        });
    }

    let rows = rs::streams(&path);
    let packets = rs::packets(&path);
    for (key, s) in &want {
        match (s.theirs, rows.get(key)) {
            (Some(w), Some(r)) => assert!(
                r.payload == w.payload
                    && r.packets == w.packets
                    && r.lost == w.lost
                    && same_ms(r.max_jitter_ms, w.max_jitter_ms),
                "{name}: {key}: tshark's row {r:?}, stated {w:?}"
            ),
            (None, None) => {}
            (w, r) => panic!("{name}: {key}: tshark's stream {r:?}, stated {w:?}"),
        }
    }
    let unstated: Vec<String> = rows
        .values()
        .filter(|r| !want.contains_key(&r.key))
        .map(|r| format!("{r:?}"))
        .collect();
    assert!(
        unstated.is_empty(),
        "{name}: tshark streams not stated:\n{}",
        unstated.join("\n")
    );
    // Its per-packet dissection is the same as its streams'.
    for (key, r) in &rows {
        let n = packets.get(key).map_or(0, Vec::len);
        assert_eq!(
            n as u64, r.packets,
            "{name}: {key}: tshark's packets of the stream"
        );
    }

    let width = stated
        .iter()
        .map(|s| s.key().to_string().len())
        .max()
        .unwrap_or(0);
    eprintln!(
        "{name}: {:<width$} {:>4} {:>6} {:>8} {:>5} {:>5} {:>4} {:>9} | {:>5} {:>5} {:>9} | relation",
        "stream",
        "pt",
        "rate",
        "packets",
        "exp",
        "lost",
        "dup",
        "max jit",
        "pkts",
        "lost",
        "max jit",
    );
    eprintln!(
        "{name}: {:<width$} (callpath: payload type, clock rate, packets, expected, lost, \
         duplicates, max jitter ms | tshark: packets, lost, max jitter ms)",
        ""
    );
    for s in stated {
        let key = s.key();
        let o = ours.get(&key);
        let r = rows.get(&key);
        eprintln!(
            "{name}: {:<width$} {:>4} {:>6} {:>8} {:>5} {:>5} {:>4} {:>9} | {:>5} {:>5} {:>9} | {:?}",
            key.to_string(),
            o.map_or("-".into(), |o| o.payload_type.to_string()),
            o.and_then(|o| o.clock_rate)
                .map_or("-".into(), |r| r.to_string()),
            o.map_or("-".into(), |o| o.packets.to_string()),
            o.map_or("-".into(), |o| o.expected.to_string()),
            o.map_or("-".into(), |o| o.lost.to_string()),
            o.map_or("-".into(), |o| o.duplicates.to_string()),
            fmt_ms(o.and_then(|o| o.max_jitter_ms)),
            r.map_or("-".into(), |r| r.packets.to_string()),
            r.map_or("-".into(), |r| r.lost.to_string()),
            r.map_or("-".into(), |r| format!("{:.3}", r.max_jitter_ms)),
            s.how
        );
        check_relation(name, s, o, r, packets.get(&key));
    }
    Some(Seen {
        path,
        report,
        ours,
        tshark: Some(TsharkSide { rows, packets }),
    })
}

/// One stream's relation (see the file's doc).
fn check_relation(
    name: &str,
    s: &Stream,
    ours: Option<&Ours>,
    row: Option<&Row>,
    packets: Option<&Vec<Packet>>,
) {
    let key = s.key();
    match s.how {
        How::Both(count, jitter) => {
            let (o, r) = (ours.expect("callpath's"), row.expect("tshark's"));
            let packets = packets.expect("tshark's packets");
            // callpath never sees the capture copies of a SPAN port.
            let distinct = match count {
                Count::CaptureCopies(_) => rs::without_capture_copies(packets),
                _ => packets.clone(),
            };
            let model = rs::callpath_model(&distinct)
                .unwrap_or_else(|| panic!("{name}: {key}: no probation run in tshark's packets"));
            match count {
                Count::Same => {
                    assert!(
                        o.packets == r.packets && o.lost as i64 == r.lost && o.duplicates == 0,
                        "{name}: {key}: packets and loss: callpath {o:?}, tshark {r:?}"
                    );
                    assert_eq!(model.uncounted, 0, "{name}: {key}: {model:?}");
                }
                Count::CaptureCopies(n) => {
                    assert_eq!(packets.len() - distinct.len(), n as usize, "{name}: {key}");
                    assert_eq!(model.uncounted, 0, "{name}: {key}: {model:?}");
                    assert_eq!(r.packets, o.packets + n, "{name}: {key}: packets");
                    assert_eq!(o.duplicates, 0, "{name}: {key}: {o:?}");
                    assert_eq!(
                        r.lost,
                        o.lost as i64 - n as i64,
                        "{name}: {key}: tshark's loss counts every copy as received"
                    );
                }
                Count::Custom => {}
            }
            let tshark_model = rs::tshark_max_jitter_ms(packets);
            match jitter {
                Jitter::Within10 | Jitter::FromConfirming => {
                    let tm = tshark_model.unwrap_or_else(|| {
                        panic!("{name}: {key}: tshark knows the clock rate of these packets")
                    });
                    assert!(
                        recomputed(r.max_jitter_ms, tm),
                        "{name}: {key}: tshark's max jitter {} against its recomputation {tm}",
                        r.max_jitter_ms
                    );
                    let (ms, mm) = (
                        o.max_jitter_ms.expect("callpath's max jitter"),
                        model.max_jitter_ms.expect("the model's max jitter"),
                    );
                    assert!(
                        recomputed(ms, mm),
                        "{name}: {key}: callpath's max jitter {ms} against A.8 from packet {} \
                         on: {mm}",
                        model.confirming + 1
                    );
                    assert_eq!(o.clock_rate, model.clock_rate, "{name}: {key}");
                    let within = (ms - r.max_jitter_ms).abs() <= 0.10 * r.max_jitter_ms;
                    assert_eq!(
                        within,
                        jitter == Jitter::Within10,
                        "{name}: {key}: max jitter callpath {ms} ms, tshark {} ms: within 10 % \
                         is {within}, stated {jitter:?}",
                        r.max_jitter_ms
                    );
                }
                Jitter::NoRate => {
                    assert_eq!(
                        r.max_jitter_ms, 0.0,
                        "{name}: {key}: tshark has no clock rate"
                    );
                    assert_eq!(tshark_model, None, "{name}: {key}: no static payload type");
                    assert_eq!(o.clock_rate, model.clock_rate, "{name}: {key}: {model:?}");
                    match (o.max_jitter_ms, model.max_jitter_ms) {
                        (Some(ms), Some(mm)) => assert!(
                            recomputed(ms, mm),
                            "{name}: {key}: callpath's max jitter {ms} at an inferred rate, \
                             recomputed {mm}"
                        ),
                        (a, b) => assert_eq!(a, b, "{name}: {key}: {model:?}"),
                    }
                }
                Jitter::Custom => {}
            }
        }
        How::TsharkOnly(why) => {
            let packets = packets.expect("tshark's packets");
            match why {
                TsharkOnly::Short => assert_eq!(
                    rs::confirming_index(packets),
                    None,
                    "{name}: {key}: {} packets, sequence {:?}",
                    packets.len(),
                    packets.iter().map(|p| p.seq).collect::<Vec<_>>()
                ),
                // The capture's test checks the tunnel.
                TsharkOnly::Tunnel => {}
            }
        }
        // The capture's test checks the stream.
        How::CallpathOnly(_) => {}
    }
}

/// The parser and the models on lines and packets made by hand.
#[test]
fn rtp_streams_lines_and_models() {
    let text = "\
========================= RTP Streams ========================
   Start time      End time     Src IP addr  Port    Dest IP addr  Port       SSRC          Payload  Pkts         Lost   Min Delta(ms)  Mean Delta(ms)   Max Delta(ms)  Min Jitter(ms) Mean Jitter(ms)  Max Jitter(ms) Problems?
  1412.504162   1412.666787     192.168.1.2 30000   212.242.33.36 40392 0x3796CB71            g711A     9     0 (0.0%)           1.895          20.328          69.947           3.122           5.646           7.799 
    29.970889     67.415741      10.23.1.52 16756    10.35.60.100 15580 0x17D90134 g711A, CN, RTPType-100  1171     0 (0.0%)           0.000          31.965       23519.872           0.000           0.268           1.343 X
     1.000000      2.000000  2001:db8::1  5004  2001:db8::2  5006 0x00000001         DVI4 8k    33   -16 (-94.1%)           0.000           7.594          46.364          -1.000           0.000           0.000 X
==============================================================
";
    let rows = rs::parse_streams(text);
    let rows: Vec<&Row> = rows.values().collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0].key.to_string(),
        "10.23.1.52:16756 -> 10.35.60.100:15580 SSRC 0x17d90134"
    );
    assert_eq!(rows[0].payload, "g711A, CN, RTPType-100");
    assert_eq!((rows[0].packets, rows[0].lost), (1171, 0));
    assert!(same_ms(rows[0].max_jitter_ms, 1.343) && rows[0].problems);
    assert_eq!(rows[1].payload, "g711A");
    assert!(same_ms(rows[1].max_delta_ms, 69.947) && same_ms(rows[1].mean_jitter_ms, 5.646));
    assert!(!rows[1].problems);
    assert_eq!(
        rows[2].key.to_string(),
        "[2001:db8::1]:5004 -> [2001:db8::2]:5006 SSRC 0x00000001"
    );
    assert_eq!(
        (rows[2].payload.as_str(), rows[2].packets, rows[2].lost),
        ("DVI4 8k", 33, -16)
    );

    // PCMA every 20 ms, each packet twice (as skinny.pcap has them), one 5 ms late.
    let pkt = |i: usize, seq: u16, late_ms: i64| Packet {
        frame: i as u64 + 1,
        arrival_ns: 1_000_000_000 + i64::from(seq) * 20_000_000 + late_ms * 1_000_000 + i as i64,
        seq,
        timestamp: u32::from(seq) * 160,
        payload_type: 8,
        marker: false,
    };
    let mut packets = Vec::new();
    for seq in 0..10u16 {
        let late = if seq == 6 { 5 } else { 0 };
        packets.push(pkt(packets.len(), seq, late));
        packets.push(pkt(packets.len(), seq, late));
    }
    // The run: 0, 1, 2, 3 (the repeats skipped): confirmed by the 7th packet, 3 repeats uncounted.
    assert_eq!(rs::confirming_index(&packets), Some(6));
    let m = rs::callpath_model(&packets).expect("confirmed");
    assert_eq!(
        (m.confirming, m.uncounted, m.clock_rate),
        (6, 3, Some(8_000))
    );
    // A.8 over the in-order packets from seq 3: D = 5 ms at seq 6, -5 ms at seq 7, 0 elsewhere
    // (to a ns): J = 5/16, then 5/16 * 15/16 + 5/16.
    let j6 = 5.0 / 16.0;
    let j7 = j6 + (5.0 - j6) / 16.0;
    let mm = m.max_jitter_ms.expect("jitter");
    assert!((mm - j7).abs() < 1e-3, "{mm} {j7}");
    // tshark from the first packet, repeats included (each one is 1 ns after its original, so
    // it moves J by next to nothing but is "in time sequence").
    let t = rs::tshark_max_jitter_ms(&packets).expect("a static type");
    assert!(t > 0.0 && t < j7, "{t}");
    // Fewer than 4 in sequence: no stream.
    assert_eq!(rs::confirming_index(&packets[..5]), None);
    // A dynamic type: tshark has no rate; callpath needs 20 packets and 1 s to infer one.
    let dynamic: Vec<Packet> = packets
        .iter()
        .map(|p| Packet {
            payload_type: 111,
            ..*p
        })
        .collect();
    assert_eq!(rs::tshark_max_jitter_ms(&dynamic), None);
    let m = rs::callpath_model(&dynamic).expect("confirmed");
    assert_eq!((m.clock_rate, m.max_jitter_ms), (None, None));
}

// One test per capture of `../shared/captures/ndpi/` with RTP streams (on either side), with
// the figures both tools give; then the captures where neither finds one.

/// Four UDP flows and one over TCP (pcapng, two interfaces, timestamps from 2012 to 2022).
///
/// - h263 (PT 34, 90 kHz) 10.204.220.71:6000 -> 10.204.220.171:6000, SSRC 0x1646: 15 packets,
///   none lost on both sides; max jitter callpath 1.261 ms, tshark 1.431 ms (11.9 % apart):
///   tshark's from the 1st packet, callpath's from the 4th, each recomputed exactly.
/// - Four streams of dynamic types (111, 120 twice, and 101, which tshark names `rtpevent` by
///   its default RFC 2833 payload type): 29, 7, 6 and 12 packets, none lost; tshark has no
///   clock rate (jitter 0), callpath none inferred (under 20 packets or 1 s): loss only.
/// - callpath only: PCMA (PT 8) SSRC 0 over TCP 172.16.168.24:40252 -> 172.16.168.64:5000 in
///   RFC 4571 framing, which tshark 4.0 does not dissect (no `rtp,streams` row): its 17
///   packets (sequence 50723-50739, one per segment, frames 19-51) are read from the
///   `tcp.payload` tshark shows, and callpath's figures recomputed from them (17 packets,
///   none lost, max jitter 0.613 ms from the 4th packet on).
#[test]
fn rtp_pcapng() {
    let stated = [
        Stream {
            key: ("10.140.67.167:55402", "148.153.85.97:6008", 0xb80974d8),
            ours: ours(111, None, [29, 29, 0, 0], None),
            theirs: theirs("RTPType-111", 29, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("10.204.220.71:6000", "10.204.220.171:6000", 0x1646),
            ours: ours(34, Some(90_000), [15, 15, 0, 0], Some(1.261)),
            theirs: theirs("h263", 15, 0, 1.431),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("150.219.118.19:54234", "192.113.193.227:50003", 0x001a7e73),
            ours: ours(120, None, [7, 7, 0, 0], None),
            theirs: theirs("RTPType-120", 7, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("172.16.168.24:40252", "172.16.168.64:5000", 0),
            ours: ours(8, Some(8_000), [17, 17, 0, 0], Some(0.613)),
            theirs: None,
            how: How::CallpathOnly(Rfc4571),
        },
        Stream {
            key: ("192.113.193.227:50003", "150.219.118.19:54234", 0x001a757d),
            ours: ours(120, None, [6, 6, 0, 0], None),
            theirs: theirs("RTPType-120", 6, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.113.193.227:50003", "150.219.118.19:54234", 0x001a759f),
            ours: ours(101, None, [12, 12, 0, 0], None),
            theirs: theirs("rtpevent", 12, 0, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    let Some(seen) = check("rtp.pcapng", &stated) else {
        return;
    };
    if seen.tshark.is_none() {
        return;
    }
    let key = stated[3].key();
    let over_tcp = rs::rtp_in_payloads(&seen.path, "tcp.port == 5000");
    assert_eq!(over_tcp.keys().collect::<Vec<_>>(), [&key], "RTP over TCP");
    let packets = &over_tcp[&key];
    let seqs: Vec<u16> = packets.iter().map(|p| p.seq).collect();
    assert_eq!(seqs, (50723..=50739).collect::<Vec<u16>>());
    let frames: Vec<u64> = packets.iter().map(|p| p.frame).collect();
    assert_eq!(frames, (19..=51).step_by(2).collect::<Vec<u64>>());
    let o = seen.ours[&key];
    let m = rs::callpath_model(packets).expect("a run");
    assert_eq!((m.uncounted, m.clock_rate), (0, Some(8_000)));
    assert_eq!(o.packets, packets.len() as u64);
    let (ms, mm) = (
        o.max_jitter_ms.expect("jitter"),
        m.max_jitter_ms.expect("jitter"),
    );
    assert!(
        recomputed(ms, mm),
        "RTP over TCP: callpath {ms}, recomputed {mm}"
    );
    eprintln!(
        "rtp.pcapng: {key} over TCP (RFC 4571): {} packets in tshark's tcp.payload, max jitter \
         recomputed {mm:.3} ms",
        packets.len()
    );
}

/// One PCMA (PT 8) stream 192.168.1.2:30000 -> 212.242.33.36:40392, SSRC 0x3796cb71 (tshark
/// finds it by the SDP): 9 packets, none lost on both sides. Max jitter callpath 4.464 ms,
/// tshark 7.799 ms: of 9 packets, tshark's estimate has 8 differences, callpath's (from the 4th
/// packet) 5; the 2nd packet arrives 70 ms after the 1st for 20 ms of media and weighs most in
/// tshark's. Each figure recomputed exactly from the packets.
#[test]
fn sip_pcap() {
    let stated = [Stream {
        key: ("192.168.1.2:30000", "212.242.33.36:40392", 0x3796cb71),
        ours: ours(8, Some(8_000), [9, 9, 0, 0], Some(4.464)),
        theirs: theirs("g711A", 9, 0, 7.799),
        how: Both(Same, FromConfirming),
    }];
    check("sip.pcap", &stated);
}

/// One stream 192.168.2.20:49282 -> 104.46.40.49:60642, SSRC 0xe074c700, dynamic types 104
/// and 118 (tshark: `RTPType-104, RTPType-118`): 31 packets, none lost on both sides. tshark
/// has no clock rate, callpath infers none (under 1 s of packets): loss only.
#[test]
fn skype_conference_call() {
    let stated = [Stream {
        key: ("192.168.2.20:49282", "104.46.40.49:60642", 0xe074c700),
        ours: ours(104, None, [31, 31, 0, 0], None),
        theirs: theirs("RTPType-104, RTPType-118", 31, 0, 0.000),
        how: Both(Same, NoRate),
    }];
    check("skype-conference-call.pcap", &stated);
}

/// One stream 93.71.110.205:16332 -> 192.168.1.6:50016, SSRC 0x74ec, dynamic type 104: 18
/// packets, none lost on both sides; no clock rate on either side: loss only.
#[test]
fn teams_pcap() {
    let stated = [Stream {
        key: ("93.71.110.205:16332", "192.168.1.6:50016", 0x74ec),
        ours: ours(104, None, [18, 18, 0, 0], None),
        theirs: theirs("RTPType-104", 18, 0, 0.000),
        how: Both(Same, NoRate),
    }];
    check("teams.pcap", &stated);
}

/// A SIP call that switches to fax (T.38) and back, 10.23.1.52:16756 <-> 10.35.60.100:15580.
///
/// - 10.23.1.52 -> 10.35.60.100, SSRC 0x17d90134: 1171 packets (1005 PCMA, 163 CN, 3 of
///   dynamic type 100 at frames 1163, 1166 and 1169), sequence 0-1170 unbroken: none lost on
///   both sides. Max jitter callpath 1.253 ms, tshark 1.343 ms (within 10 %). At frame 1437
///   the sender restarts its timestamps at 0 (from 347 200) while the sequence goes on (1145):
///   callpath takes the transit change of 349 489 ticks (43 s) as a timestamp discontinuity
///   and starts a new chain (it once took it as jitter: 2730.857 ms); the type-100 packets
///   (an event's start, RFC 4733 style, not on the audio clock) start new chains too, as every
///   change of payload type does. tshark computes no jitter for a type it has no clock rate
///   of, and leaves a packet whose timestamp goes back out of its max.
/// - 10.35.60.100 -> 10.23.1.52, SSRC 0x0eaf0eaf: callpath 159 packets, expected 1871, lost
///   1712; tshark 132 packets, lost 1712. The sequence jumps from 125 to 1838 (frame 1419):
///   1712 lost on both sides. tshark dissects the last 27 datagrams (frames 1436-1488, PCMA,
///   sequence 1844-1870) as T.38: the re-INVITE of frames 1434-1435 announces the port for
///   T.38 beside the audio, and tshark gives the conversation to T.38; they are RTP (read
///   from `udp.payload`), so callpath's packets and expected are tshark's + 27, the loss the
///   same. Max jitter callpath 6.891 ms, tshark 7.007 ms (within 10 %): the one packet of
///   dynamic type 102 (frame 160, marker set, timestamp off the audio clock by ~690 ticks)
///   starts a new chain in callpath (it once counted: 13.938 ms).
#[test]
fn fax_call_t38() {
    let stated = [
        Stream {
            key: ("10.23.1.52:16756", "10.35.60.100:15580", 0x17d90134),
            ours: ours(8, Some(8_000), [1171, 1171, 0, 0], Some(1.253)),
            theirs: theirs("g711A, CN, RTPType-100", 1171, 0, 1.343),
            how: Both(Same, Jitter::Custom),
        },
        Stream {
            key: ("10.35.60.100:15580", "10.23.1.52:16756", 0x0eaf0eaf),
            ours: ours(8, Some(8_000), [159, 1871, 1712, 0], Some(6.891)),
            theirs: theirs("g711A, RTPType-102", 132, 1712, 7.007),
            how: Both(Count::Custom, Jitter::Custom),
        },
    ];
    let name = "FAX-Call-t38-CA-TDM-SIP-FB-1.pcap";
    let Some(seen) = check(name, &stated) else {
        return;
    };
    let Some(TsharkSide { rows, packets }) = &seen.tshark else {
        return;
    };
    let max = |p: &[Packet]| -> f64 {
        rs::callpath_model(p)
            .and_then(|m| m.max_jitter_ms)
            .expect("a confirmed stream with a clock rate")
    };
    let pcma_cn = |p: &[Packet]| -> Vec<Packet> {
        p.iter()
            .filter(|p| matches!(p.payload_type, 8 | 13))
            .copied()
            .collect()
    };
    let within10 = |a: f64, b: f64| (a - b).abs() <= 0.10 * b;

    // Stream 1: the timestamp restart and the type-100 packets.
    let (key, o, r) = {
        let k = stated[0].key();
        (k, seen.ours[&k], &rows[&k])
    };
    let p = &packets[&key];
    let tm = rs::tshark_max_jitter_ms(p).expect("static types");
    assert!(
        recomputed(r.max_jitter_ms, tm),
        "{key}: tshark {} recomputed {tm}",
        r.max_jitter_ms
    );
    let ms = o.max_jitter_ms.expect("jitter");
    assert!(
        recomputed(ms, max(p)),
        "{key}: callpath {ms}, recomputed {}",
        max(p)
    );
    let restart = p.iter().position(|x| x.frame == 1437).expect("frame 1437");
    assert_eq!(
        (
            p[restart - 1].timestamp,
            p[restart].timestamp,
            p[restart - 1].seq,
            p[restart].seq
        ),
        (347_200, 0, 1144, 1145),
        "{key}: the timestamp restart"
    );
    let type_100: Vec<u64> = p
        .iter()
        .filter(|x| x.payload_type == 100)
        .map(|x| x.frame)
        .collect();
    assert_eq!(type_100, [1163, 1166, 1169]);
    assert!(within10(ms, r.max_jitter_ms), "{key}: {ms}");
    // The audio alone before the restart gives the same figure: the restart and the
    // type-100 packets add nothing.
    let before_audio = max(&pcma_cn(&p[..restart]));
    assert!(recomputed(ms, before_audio), "{key}: {before_audio}");
    eprintln!(
        "{name}: {key}: callpath {ms:.3} ms, its A.8 of the audio before the timestamp restart \
         at frame 1437 {before_audio:.3} ms, tshark {:.3} ms",
        r.max_jitter_ms
    );

    // Stream 2: the datagrams tshark calls T.38, and the type-102 packet.
    let (key, o, r) = {
        let k = stated[1].key();
        (k, seen.ours[&k], &rows[&k])
    };
    let p = &packets[&key];
    let t38 = rs::rtp_in_payloads(&seen.path, "udp.srcport == 15580 && t38");
    assert_eq!(
        t38.keys().collect::<Vec<_>>(),
        [&key],
        "the T.38-dissected datagrams"
    );
    let extra = &t38[&key];
    assert_eq!(extra.len(), 27);
    assert!(extra.iter().all(|x| x.payload_type == 8));
    let seqs: Vec<u16> = extra.iter().map(|x| x.seq).collect();
    assert_eq!(seqs, (1844..=1870).collect::<Vec<u16>>());
    let frames: Vec<u64> = extra.iter().map(|x| x.frame).collect();
    assert_eq!(frames, (1436..=1488).step_by(2).collect::<Vec<u64>>());
    assert_eq!(p.last().map(|x| x.seq), Some(1843));
    assert_eq!(o.packets, r.packets + 27);
    assert_eq!(o.expected as i64, r.lost + r.packets as i64 + 27);
    assert_eq!(o.lost as i64, r.lost);
    let mut all = p.clone();
    all.extend_from_slice(extra);
    all.sort_by_key(|x| x.frame);
    let m = rs::callpath_model(&all).expect("a run");
    assert_eq!(m.uncounted, 0);
    assert_eq!(o.packets, all.len() as u64);
    let tm = rs::tshark_max_jitter_ms(p).expect("static types");
    assert!(
        recomputed(r.max_jitter_ms, tm),
        "{key}: tshark {} recomputed {tm}",
        r.max_jitter_ms
    );
    let ms = o.max_jitter_ms.expect("jitter");
    assert!(
        recomputed(ms, max(&all)),
        "{key}: callpath {ms}, recomputed {}",
        max(&all)
    );
    let type_102: Vec<u64> = p
        .iter()
        .filter(|x| x.payload_type == 102)
        .map(|x| x.frame)
        .collect();
    assert_eq!(type_102, [160]);
    let audio = max(&pcma_cn(&all));
    assert!(within10(audio, r.max_jitter_ms), "{key}: {audio}");
    assert!(within10(ms, r.max_jitter_ms), "{key}: {ms}");
    eprintln!(
        "{name}: {key}: 27 RTP datagrams tshark dissects as T.38 (frames 1436-1488); callpath's \
         A.8 without the type-102 packet (frame 160): {audio:.3} ms (tshark {:.3} ms)",
        r.max_jitter_ms
    );
}

/// A KakaoTalk call over Linux cooked capture: four streams of dynamic type 108 (two SSRCs,
/// each seen going to the relay 1.201.1.174 on one port pair and coming back on the other),
/// 746, 742, 746 and 757 packets; lost 0, 3, 0 and 3 on both
/// sides (the two relayed streams from 1.201.1.174 are reordered, 21 and 26 packets, which
/// neither counts as lost). tshark has no clock rate: loss only. callpath infers 16 kHz and
/// its max jitter (81.821, 94.826, 25.913, 48.489 ms) equals A.8 recomputed from tshark's
/// packets from the packet that found the rate (the relayed streams' transit-time changes over
/// 2 s are timestamp discontinuities that start a new chain, not jitter).
#[test]
fn kakaotalk_talk() {
    let stated = [
        Stream {
            key: ("1.201.1.174:23044", "10.24.82.188:11320", 0x549aa5da),
            ours: ours(108, Some(16_000), [746, 746, 0, 0], Some(81.821)),
            theirs: theirs("RTPType-108", 746, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("1.201.1.174:23046", "10.24.82.188:10268", 0x0b865519),
            ours: ours(108, Some(16_000), [742, 745, 3, 0], Some(94.826)),
            theirs: theirs("RTPType-108", 742, 3, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("10.24.82.188:10268", "1.201.1.174:23046", 0x549aa5da),
            ours: ours(108, Some(16_000), [746, 746, 0, 0], Some(25.913)),
            theirs: theirs("RTPType-108", 746, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("10.24.82.188:11320", "1.201.1.174:23044", 0x0b865519),
            ours: ours(108, Some(16_000), [757, 760, 3, 0], Some(48.489)),
            theirs: theirs("RTPType-108", 757, 3, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    check("KakaoTalk_talk.pcap", &stated);
}

/// Skinny (SCCP) phones, six PCMU (PT 0) streams of 15-18 distinct packets, none lost.
///
/// - Two streams (192.168.195.50:17718 <-> 192.168.195.58:32144) carry every packet twice, the
///   copy captured microseconds after the packet (a SPAN port): tshark counts 33 and 36
///   packets, lost -16 and -18 (17 and 18 expected: each copy makes its loss one lower);
///   callpath drops the 16 and 18 copies as capture duplicates (`decode.duplicates`) and counts
///   17 and 18 packets, lost 0.
/// - Max jitter: 0.009-0.027 ms on both sides (the packets are paced to a few µs), more than
///   10 % apart on every stream: tshark's from the 1st packet and with the duplicates (each a
///   transit difference of its own), callpath's from the confirming packet on in-order packets
///   only. Each figure recomputed exactly.
#[test]
fn skinny_pcap() {
    let stated = [
        Stream {
            key: ("192.168.195.50:17718", "192.168.195.58:32144", 0x7c1071e2),
            ours: ours(0, Some(8_000), [17, 17, 0, 0], Some(0.017)),
            theirs: theirs("g711U", 33, -16, 0.020),
            how: Both(CaptureCopies(16), FromConfirming),
        },
        Stream {
            key: ("192.168.195.50:17726", "192.168.193.24:9399", 0x7c1071e8),
            ours: ours(0, Some(8_000), [17, 17, 0, 0], Some(0.009)),
            theirs: theirs("g711U", 17, 0, 0.014),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("192.168.195.50:17732", "192.168.193.24:9400", 0x7c1071f3),
            ours: ours(0, Some(8_000), [15, 15, 0, 0], Some(0.011)),
            theirs: theirs("g711U", 15, 0, 0.015),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("192.168.195.58:32144", "192.168.195.50:17718", 0xf6bf57dc),
            ours: ours(0, Some(8_000), [18, 18, 0, 0], Some(0.011)),
            theirs: theirs("g711U", 36, -18, 0.015),
            how: Both(CaptureCopies(18), FromConfirming),
        },
        Stream {
            key: ("192.168.195.58:32150", "192.168.193.24:9395", 0xf6bf57e2),
            ours: ours(0, Some(8_000), [18, 18, 0, 0], Some(0.011)),
            theirs: theirs("g711U", 18, 0, 0.015),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("192.168.195.58:32152", "192.168.193.24:9396", 0x1e063b22),
            ours: ours(0, Some(8_000), [16, 16, 0, 0], Some(0.017)),
            theirs: theirs("g711U", 16, 0, 0.027),
            how: Both(Same, FromConfirming),
        },
    ];
    check("skinny.pcap", &stated);
}

/// One stream 192.168.12.169:49153 -> 142.250.82.99:3478, SSRC 0xd3f9fd82, dynamic type 111
/// (WebRTC after ICE and DTLS: SRTP, whose header is in the clear): 6 packets, none lost on
/// both sides; loss only.
#[test]
fn stun_pcap() {
    let stated = [Stream {
        key: ("192.168.12.169:49153", "142.250.82.99:3478", 0xd3f9fd82),
        ours: ours(111, None, [6, 6, 0, 0], None),
        theirs: theirs("RTPType-111", 6, 0, 0.000),
        how: Both(Same, NoRate),
    }];
    check("stun.pcap", &stated);
}

/// Classic STUN, then G.729 (PT 18) both ways between 172.16.63.21:13958 and
/// 172.16.63.224:55050: 12 and 8 packets, none lost on both sides. Max jitter callpath 0.009
/// and 0.939 ms, tshark 2.744 and 2.214 ms: the first packets arrive unevenly (the first
/// three of the 12 within 1.2 ms for 20 ms of media each; the 2nd of the 8 12 ms after the
/// 1st, its 4th 35 ms after the 3rd) and the rest on time; tshark's estimate starts at the 1st
/// packet and takes them in, callpath's starts at the 4th (J = 0 there). Each figure
/// recomputed exactly.
#[test]
fn stun_classic() {
    let stated = [
        Stream {
            key: ("172.16.63.21:13958", "172.16.63.224:55050", 0x3aa6d922),
            ours: ours(18, Some(8_000), [12, 12, 0, 0], Some(0.009)),
            theirs: theirs("g729", 12, 0, 2.744),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("172.16.63.224:55050", "172.16.63.21:13958", 0x47d66fde),
            ours: ours(18, Some(8_000), [8, 8, 0, 0], Some(0.939)),
            theirs: theirs("g729", 8, 0, 2.214),
            how: Both(Same, FromConfirming),
        },
    ];
    check("stun_classic.pcap", &stated);
}

/// nDPI's false-positive collection: four PCMA (PT 8) streams of 12-18 packets, none lost on
/// both sides; max jitter within 10 % on two (0.062/0.067 and 0.019/0.020 ms), further apart
/// on two (0.024/0.045 and 0.008/0.012 ms: tshark from the 1st packet, callpath from the 4th,
/// each recomputed exactly). tshark lists three more streams (types 102 and 118, 22, 8 and 20
/// packets) inside GTP-U tunnels (UDP 2152 <-> 2152): callpath makes flows of the outermost
/// header only, so it has those two UDP 2152 flows (app `other`, no media) and no stream.
#[test]
fn false_positives() {
    let stated = [
        Stream {
            key: ("10.102.45.249:31046", "10.133.48.100:21176", 0x205e9160),
            ours: None,
            theirs: theirs("RTPType-102", 22, 0, 0.000),
            how: How::TsharkOnly(Tunnel),
        },
        Stream {
            key: ("10.126.70.67:23784", "10.236.7.225:50160", 0x34127856),
            ours: ours(8, Some(8_000), [18, 18, 0, 0], Some(0.062)),
            theirs: theirs("g711A", 18, 0, 0.067),
            how: Both(Same, Within10),
        },
        Stream {
            key: ("10.133.32.101:36408", "10.110.31.25:1272", 0x40100005),
            ours: None,
            theirs: theirs("RTPType-118", 20, 0, 0.000),
            how: How::TsharkOnly(Tunnel),
        },
        Stream {
            key: ("10.133.48.100:21176", "10.102.45.249:31046", 0x60060002),
            ours: None,
            theirs: theirs("RTPType-102", 8, 0, 0.000),
            how: How::TsharkOnly(Tunnel),
        },
        Stream {
            key: ("10.136.43.69:21048", "10.192.92.81:52070", 0x429fd390),
            ours: ours(8, Some(8_000), [15, 15, 0, 0], Some(0.019)),
            theirs: theirs("g711A", 15, 0, 0.020),
            how: Both(Same, Within10),
        },
        Stream {
            key: ("10.192.92.81:52070", "10.136.43.69:21048", 0x34127856),
            ours: ours(8, Some(8_000), [15, 15, 0, 0], Some(0.024)),
            theirs: theirs("g711A", 15, 0, 0.045),
            how: Both(Same, FromConfirming),
        },
        Stream {
            key: ("10.236.7.225:50160", "10.126.70.67:23784", 0xb0afe132),
            ours: ours(8, Some(8_000), [12, 12, 0, 0], Some(0.008)),
            theirs: theirs("g711A", 12, 0, 0.012),
            how: Both(Same, FromConfirming),
        },
    ];
    let name = "false_positives.pcapng";
    let Some(seen) = check(name, &stated) else {
        return;
    };
    if seen.tshark.is_none() {
        return;
    }
    // The tunnels: tshark's outermost flows that name both GTP and RTP are callpath's flows,
    // without media; no callpath flow has the inner ends.
    let view = tshark::view(&seen.path);
    let tunnels: Vec<&tshark::Key> = view
        .flows
        .iter()
        .filter(|(_, f)| f.frames_naming("gtp") > 0 && f.frames_naming("rtp") > 0)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        tunnels.len(),
        2,
        "{name}: GTP-U flows carrying RTP: {tunnels:?}"
    );
    let flows = support::cli::flows(&seen.report);
    let end = |v: &Value| -> tshark::End {
        (
            v["ip"].as_str().expect("ip").parse().expect("an address"),
            u16::try_from(v["port"].as_u64().expect("port")).expect("a port"),
        )
    };
    for k in &tunnels {
        assert_eq!((k.a.1, k.b.1), (2152, 2152), "{name}: {k}");
        let f = flows
            .iter()
            .find(|f| tshark::Key::new("udp", end(&f["client"]), end(&f["server"])) == **k)
            .unwrap_or_else(|| panic!("{name}: callpath has no flow {k}"));
        assert_eq!(f["app"], "other", "{name}: {k}");
        assert!(f["media"].is_null(), "{name}: {k}: {f:#}");
    }
    for s in stated.iter().filter(|s| s.how == How::TsharkOnly(Tunnel)) {
        let key = s.key();
        assert!(
            !flows.iter().any(|f| {
                let (c, v) = (end(&f["client"]), end(&f["server"]));
                (c, v) == (key.src, key.dst) || (v, c) == (key.src, key.dst)
            }),
            "{name}: callpath has a flow of the tunnelled stream {key}"
        );
    }
}

/// WebRTC (Google): two streams of dynamic types 97 and 111, 9 and 11 packets, none lost on
/// both sides (loss only). tshark lists a third, 142.250.82.249:3478 -> 192.168.12.182:50221
/// SSRC 0x2f696c70 (type 96), of 2 packets: too short for callpath's probation run.
#[test]
fn stun_dtls_rtp() {
    let stated = [
        Stream {
            key: ("142.250.82.249:3478", "192.168.12.182:50221", 0x2f696c70),
            ours: None,
            theirs: theirs("RTPType-96", 2, 0, 0.000),
            how: How::TsharkOnly(Short),
        },
        Stream {
            key: ("142.250.82.249:3478", "192.168.12.182:50221", 0x321d28bb),
            ours: ours(97, None, [9, 9, 0, 0], None),
            theirs: theirs("RTPType-97", 9, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:37967", "142.250.82.76:19305", 0x6d1c3cfa),
            ours: ours(111, None, [11, 11, 0, 0], None),
            theirs: theirs("RTPType-111", 11, 0, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    check("stun_dtls_rtp.pcapng", &stated);
}

/// Two one-way streams of dynamic type 109, 4 packets each (just a probation run), none lost
/// on both sides; loss only.
#[test]
fn stun_dtls_rtp_unidir() {
    let stated = [
        Stream {
            key: ("10.1.0.3:5853", "10.10.0.1:2808", 0x26cf4f5d),
            ours: ours(109, None, [4, 4, 0, 0], None),
            theirs: theirs("RTPType-109", 4, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("10.10.0.1:65226", "10.1.0.3:57730", 0xd23ddc13),
            ours: ours(109, None, [4, 4, 0, 0], None),
            theirs: theirs("RTPType-109", 4, 0, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    check("stun_dtls_rtp_unidir.pcapng", &stated);
}

/// Google Meet over IPv4 and IPv6, six streams of dynamic types (99, which tshark names
/// `rtp.rfc2198` by its default RED payload type, 97 and 111): 25, 11, 30, 4, 93 and 11
/// packets, lost 4, 0, 0, 0, 10, 0 on both sides; loss only. callpath infers 48 kHz for the
/// 30-packet Opus stream to 142.250.82.76:3478 (max jitter 13.2 ms, recomputed from tshark's
/// packets).
#[test]
fn stun_google_meet() {
    let stated = [
        Stream {
            key: ("142.250.82.76:19305", "192.168.12.156:38152", 0),
            ours: ours(99, None, [25, 29, 4, 0], None),
            theirs: theirs("rtp.rfc2198", 25, 4, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:38152", "142.250.82.76:19305", 0x78691914),
            ours: ours(111, None, [11, 11, 0, 0], None),
            theirs: theirs("RTPType-111", 11, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:38152", "142.250.82.76:3478", 0x78691914),
            ours: ours(111, Some(48_000), [30, 30, 0, 0], Some(13.2)),
            theirs: theirs("RTPType-111", 30, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:38152", "142.250.82.76:3478", 0xc362591e),
            ours: ours(97, None, [4, 4, 0, 0], None),
            theirs: theirs("RTPType-97", 4, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: (
                "[2001:4860:4864:6::81]:19305",
                "[2001:b07:a3d:c112:48a1:1094:1227:281e]:45572",
                0,
            ),
            ours: ours(97, None, [93, 103, 10, 0], None),
            theirs: theirs("RTPType-97", 93, 10, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: (
                "[2001:b07:a3d:c112:48a1:1094:1227:281e]:45572",
                "[2001:4860:4864:6::81]:19305",
                0xf3ef75b1,
            ),
            ours: ours(111, None, [11, 11, 0, 0], None),
            theirs: theirs("RTPType-111", 11, 0, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    check("stun_google_meet.pcapng", &stated);
}

/// A WhatsApp call, relayed (TURN) then direct: five streams of dynamic types 97 and 120, 28,
/// 140, 4, 6 and 179 packets, lost 0, 1, 0, 0, 0 on both sides; loss only. callpath infers
/// 16 kHz for the two long type-120 streams (max jitter 20.435 and 24.997 ms, recomputed from
/// tshark's packets). tshark lists three more of 2, 3 and 3 packets: too short for callpath's
/// probation run.
#[test]
fn stun_wa_call() {
    let stated = [
        Stream {
            key: ("157.240.203.62:3478", "192.168.12.156:49526", 0x7fc09bd9),
            ours: None,
            theirs: theirs("RTPType-120", 2, 0, 0.000),
            how: How::TsharkOnly(Short),
        },
        Stream {
            key: ("157.240.203.62:3478", "192.168.12.156:49526", 0x34aa98ba),
            ours: ours(97, None, [28, 28, 0, 0], None),
            theirs: theirs("RTPType-97", 28, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:46652", "93.57.123.227:3478", 0x1b9f01ee),
            ours: ours(120, Some(16_000), [140, 141, 1, 0], Some(20.435)),
            theirs: theirs("RTPType-120", 140, 1, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:49526", "157.240.203.62:3478", 0x5167dcb6),
            ours: ours(120, None, [4, 4, 0, 0], None),
            theirs: theirs("RTPType-120", 4, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("192.168.12.156:49526", "93.33.118.87:41107", 0x5167dcb6),
            ours: None,
            theirs: theirs("RTPType-120", 3, 0, 0.000),
            how: How::TsharkOnly(Short),
        },
        Stream {
            key: ("192.168.12.156:49526", "93.33.118.87:41107", 0x5c27258f),
            ours: None,
            theirs: theirs("RTPType-97", 3, 0, 0.000),
            how: How::TsharkOnly(Short),
        },
        Stream {
            key: ("93.33.118.87:41107", "192.168.12.156:49526", 0x34aa98ba),
            ours: ours(97, None, [6, 6, 0, 0], None),
            theirs: theirs("RTPType-97", 6, 0, 0.000),
            how: Both(Same, NoRate),
        },
        Stream {
            key: ("93.57.123.227:3478", "192.168.12.156:46652", 0xe17231aa),
            ours: ours(120, Some(16_000), [179, 179, 0, 0], Some(24.997)),
            theirs: theirs("RTPType-120", 179, 0, 0.000),
            how: Both(Same, NoRate),
        },
    ];
    check("stun_wa_call.pcapng", &stated);
}

/// The captures of the folder each test above covers.
const WITH_STREAMS: &[&str] = &[
    "rtp.pcapng",
    "sip.pcap",
    "skype-conference-call.pcap",
    "teams.pcap",
    "FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    "KakaoTalk_talk.pcap",
    "skinny.pcap",
    "stun.pcap",
    "stun_classic.pcap",
    "false_positives.pcapng",
    "stun_dtls_rtp.pcapng",
    "stun_dtls_rtp_unidir.pcapng",
    "stun_google_meet.pcapng",
    "stun_wa_call.pcapng",
];

/// Every other capture of `../shared/captures/ndpi/` (25, among them `stun_msteams_unidir`,
/// `zoom_p2p`, `stun_zoom`, the DTLS and TLS ones and `rtcp_multiple_pkts_in_the_same_datagram`):
/// callpath reports no media stream and tshark lists no RTP stream. Each capture of the folder
/// is either here or in [`WITH_STREAMS`], so a capture added to it fails this test until it is
/// placed.
#[test]
fn captures_without_rtp_streams() {
    let Some(dir) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let mut without = Vec::new();
    for e in std::fs::read_dir(&dir).expect("the folder") {
        let name = e
            .expect("an entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if (name.ends_with(".pcap") || name.ends_with(".pcapng"))
            && !WITH_STREAMS.contains(&name.as_str())
        {
            without.push(name);
        }
    }
    without.sort();
    for w in WITH_STREAMS {
        assert!(dir.join(w).exists(), "{w} is missing");
    }
    assert_eq!(without.len(), 25, "{without:#?}");
    let with_tshark = tshark::available();
    assert!(
        with_tshark || !on_ci(),
        "tshark is not on PATH, and CI=true"
    );
    for name in &without {
        let path = dir.join(name);
        let out = callpath(&[
            "audit",
            "--format",
            "json",
            "-q",
            "--fail-on",
            "never",
            path.to_str().expect("a UTF-8 path"),
        ]);
        assert_eq!(out.status, 0, "callpath on {name}; stderr:\n{}", out.stderr);
        let ours = callpath_streams(&out.json());
        assert!(ours.is_empty(), "{name}: callpath's streams {ours:#?}");
        if with_tshark {
            let rows = rs::streams(&path);
            assert!(rows.is_empty(), "{name}: tshark's streams {rows:#?}");
        }
        eprintln!(
            "{name}: no RTP stream (callpath{})",
            if with_tshark {
                ", tshark"
            } else {
                "; tshark not on PATH"
            }
        );
    }
}
