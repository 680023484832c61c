//! tshark's RTP streams of a capture, and the packets they are made of, with two models that
//! explain where callpath's per-stream figures and tshark's differ.
//!
//! - [`streams`]: the rows of `tshark -q -z rtp,streams -o rtp.heuristic_rtp:TRUE -r FILE`
//!   (tshark 4.0): per stream (source, destination, SSRC) its payload names, packets, lost
//!   (expected minus packets: duplicates make it negative) and max jitter (0 where tshark does
//!   not know the clock rate: dynamic payload types without a known name).
//! - [`packets`]: the same dissection packet by packet (`-T fields`): arrival, sequence number,
//!   timestamp, payload type and marker of every RTP packet of each stream; and
//!   [`rtp_in_payloads`]: RTP read from the UDP/TCP payload bytes of chosen frames, where tshark
//!   dissects them as something else or not at all (RFC 4571 framing over TCP).
//! - [`tshark_max_jitter_ms`]: tshark 4.0's max jitter (`rtppacket_analyse` in
//!   `ui/tap-rtp-analysis.c`) recomputed from those packets.
//! - [`callpath_model`]: what callpath makes of the same packets: the probation run that
//!   confirms the stream (`RTP_MIN_RUN` packets of one SSRC, sequence advancing by 1..=16), the
//!   packets it does not count (before the run, and duplicates during it), and RFC 3550 A.8
//!   jitter from the confirming packet on, at the static payload type's clock rate or the one
//!   inferred from the timestamps.
//!
//! With both models matching their tool's figure on a stream, a difference between the two
//! tools is explained by the models' differences: which packets each starts from, and which it
//! leaves out.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

pub use super::tshark::End;

/// One RTP stream as tshark keys it: one SSRC from one end to the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamKey {
    pub src: End,
    pub dst: End,
    pub ssrc: u32,
}

fn end_text((ip, port): End) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

impl std::fmt::Display for StreamKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} SSRC {:#010x}",
            end_text(self.src),
            end_text(self.dst),
            self.ssrc
        )
    }
}

/// `"10.0.0.1:5000"` or `"[2001:db8::1]:5000"` as an [`End`].
pub fn end(s: &str) -> End {
    let sa: std::net::SocketAddr = s.parse().unwrap_or_else(|e| panic!("address {s:?}: {e}"));
    (sa.ip(), sa.port())
}

/// One row of `-z rtp,streams`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub key: StreamKey,
    /// The payload type names of the stream's packets, comma-separated (`g711A`, `h263`,
    /// `RTPType-111` for a dynamic type tshark knows no name of, `g711A, CN, RTPType-100`).
    pub payload: String,
    pub packets: u64,
    /// tshark's `expected - packets`, where expected runs from the first packet's sequence
    /// number to the last one's: each duplicate lowers it by one (it can go negative).
    pub lost: i64,
    pub max_delta_ms: f64,
    pub mean_jitter_ms: f64,
    /// 0 when tshark does not know the stream's clock rate.
    pub max_jitter_ms: f64,
    /// tshark's "Problems?" mark (`X`): a sequence error, a payload type change, ...
    pub problems: bool,
}

/// The options of every run here: no name resolution, and RTP's UDP heuristic on (it is off by
/// default in tshark 4.0; the legacy preference turns on `rtp_udp`).
pub const OPTIONS: &[&str] = &["-n", "-o", "rtp.heuristic_rtp:TRUE"];

fn run(args: &[&str], capture: &Path) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(capture)
        .args(OPTIONS)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?} on {} failed ({}):\n{}",
        capture.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// tshark's RTP streams of `capture`.
pub fn streams(capture: &Path) -> BTreeMap<StreamKey, Row> {
    parse_streams(&run(&["-q", "-z", "rtp,streams"], capture))
}

/// Reads the rows of `-z rtp,streams` (tshark 4.0's layout: start and end time, source
/// address and port, destination address and port, SSRC, payload names (one or more words),
/// packets, lost, `(percent%)`, min/mean/max delta, min/mean/max jitter, and `X` when tshark
/// saw a problem). Header, rulers and anything else are skipped.
pub fn parse_streams(text: &str) -> BTreeMap<StreamKey, Row> {
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.len() < 17 || !t[6].starts_with("0x") {
            continue;
        }
        let Some(pct) = t
            .iter()
            .rposition(|w| w.starts_with('(') && w.ends_with("%)"))
        else {
            panic!("no loss percentage in rtp,streams line {line:?}");
        };
        assert!(pct >= 10, "rtp,streams line {line:?}");
        let num = |i: usize| -> f64 {
            t.get(i)
                .and_then(|w| w.parse().ok())
                .unwrap_or_else(|| panic!("column {i} of {line:?}"))
        };
        let port = |i: usize| -> u16 {
            t[i].parse()
                .unwrap_or_else(|e| panic!("port {:?} ({e}) in {line:?}", t[i]))
        };
        let ip = |i: usize| -> IpAddr {
            t[i].parse()
                .unwrap_or_else(|e| panic!("address {:?} ({e}) in {line:?}", t[i]))
        };
        let key = StreamKey {
            src: (ip(2), port(3)),
            dst: (ip(4), port(5)),
            ssrc: u32::from_str_radix(&t[6][2..], 16)
                .unwrap_or_else(|e| panic!("SSRC {:?} ({e}) in {line:?}", t[6])),
        };
        let row = Row {
            key,
            payload: t[7..pct - 2].join(" "),
            packets: t[pct - 2]
                .parse()
                .unwrap_or_else(|e| panic!("packets ({e}) in {line:?}")),
            lost: t[pct - 1]
                .parse()
                .unwrap_or_else(|e| panic!("lost ({e}) in {line:?}")),
            max_delta_ms: num(pct + 3),
            mean_jitter_ms: num(pct + 5),
            max_jitter_ms: num(pct + 6),
            problems: t.get(pct + 7) == Some(&"X"),
        };
        assert!(
            t.len() <= pct + 8,
            "rtp,streams line {line:?}: columns after Problems?"
        );
        let dup = rows.insert(key, row);
        assert!(dup.is_none(), "stream {key} twice in rtp,streams");
    }
    rows
}

/// One RTP packet as tshark dissected it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub frame: u64,
    /// Capture time, ns since the Unix epoch.
    pub arrival_ns: i64,
    pub seq: u16,
    pub timestamp: u32,
    pub payload_type: u8,
    pub marker: bool,
}

const PACKET_FIELDS: &[&str] = &[
    "frame.number",
    "frame.time_epoch",
    "ip.src",
    "ipv6.src",
    "udp.srcport",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "udp.dstport",
    "tcp.dstport",
    "rtp.ssrc",
    "rtp.seq",
    "rtp.timestamp",
    "rtp.p_type",
    "rtp.marker",
];

/// Every RTP packet tshark dissects in `capture` (the same options as [`streams`]), per
/// stream, in capture order. The addresses and ports are the innermost ones (`occurrence=l`;
/// UDP, else TCP), as `rtp,streams` shows them.
pub fn packets(capture: &Path) -> BTreeMap<StreamKey, Vec<Packet>> {
    // `rtp.ssrc`, not `rtp`: a STUN packet that sets up an RTP conversation matches `rtp`.
    let mut args = vec![
        "-Y",
        "rtp.ssrc",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=l",
    ];
    for f in PACKET_FIELDS {
        args.extend(["-e", f]);
    }
    parse_packets(&run(&args, capture))
}

/// `"1120470985.348411000"` in ns.
fn epoch_ns(s: &str) -> i64 {
    let (sec, frac) = s.split_once('.').unwrap_or((s, ""));
    let sec: i64 = sec.parse().unwrap_or_else(|e| panic!("time {s:?}: {e}"));
    let mut digits: String = frac.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    let ns: i64 = digits.parse().unwrap_or_else(|e| panic!("time {s:?}: {e}"));
    sec * 1_000_000_000 + ns
}

/// Reads the `-T fields` lines of [`PACKET_FIELDS`].
pub fn parse_packets(text: &str) -> BTreeMap<StreamKey, Vec<Packet>> {
    let mut streams: BTreeMap<StreamKey, Vec<Packet>> = BTreeMap::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(c.len(), PACKET_FIELDS.len(), "tshark line {line:?}");
        let [frame, time, ip_src, ip6_src, usport, tsport, ip_dst, ip6_dst, udport, tdport, ssrc, seq, ts, pt, marker] =
            c[..]
        else {
            unreachable!()
        };
        // The innermost transport: UDP (also inside a tunnel), else TCP (RTP in TURN over TCP).
        let (sport, dport) = if usport.is_empty() {
            (tsport, tdport)
        } else {
            (usport, udport)
        };
        for (name, v) in [
            ("ssrc", ssrc),
            ("seq", seq),
            ("timestamp", ts),
            ("p_type", pt),
        ] {
            assert!(
                !v.is_empty() && !v.contains(','),
                "one RTP {name} per frame expected: {line:?}"
            );
        }
        let addr = |v4: &str, v6: &str| -> IpAddr {
            assert!(
                v4.is_empty() != v6.is_empty(),
                "one IP version per frame expected: {line:?}"
            );
            let a = if v4.is_empty() { v6 } else { v4 };
            a.parse()
                .unwrap_or_else(|e| panic!("address {a:?} ({e}) in {line:?}"))
        };
        let int = |v: &str| -> u64 {
            v.parse()
                .unwrap_or_else(|e| panic!("field {v:?} ({e}) in {line:?}"))
        };
        let key = StreamKey {
            src: (addr(ip_src, ip6_src), int(sport) as u16),
            dst: (addr(ip_dst, ip6_dst), int(dport) as u16),
            ssrc: u32::from_str_radix(ssrc.trim_start_matches("0x"), 16)
                .unwrap_or_else(|e| panic!("SSRC {ssrc:?} ({e}) in {line:?}")),
        };
        streams.entry(key).or_default().push(Packet {
            frame: int(frame),
            arrival_ns: epoch_ns(time),
            seq: int(seq) as u16,
            timestamp: int(ts) as u32,
            payload_type: int(pt) as u8,
            marker: matches!(marker, "1" | "True"),
        });
    }
    streams
}

/// The RTP packets in the payloads of the frames `filter` (a display filter) selects, read
/// from the bytes rather than from tshark's RTP dissector: a UDP datagram is one RTP packet; a
/// TCP segment holds RTP packets in RFC 4571 framing (a 16-bit length before each), whole
/// (tshark 4.0 has no dissector for that framing). One stream per source, destination and SSRC,
/// in capture order; IPv4 only.
pub fn rtp_in_payloads(capture: &Path, filter: &str) -> BTreeMap<StreamKey, Vec<Packet>> {
    let mut args = vec![
        "-Y".to_string(),
        format!("({filter}) && (tcp.len > 0 || udp.length > 8)"),
    ];
    for a in ["-T", "fields", "-E", "separator=/t"] {
        args.push(a.to_string());
    }
    for f in [
        "frame.number",
        "frame.time_epoch",
        "ip.src",
        "tcp.srcport",
        "udp.srcport",
        "ip.dst",
        "tcp.dstport",
        "udp.dstport",
        "tcp.payload",
        "udp.payload",
    ] {
        args.push("-e".to_string());
        args.push(f.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = run(&args, capture);
    let mut streams: BTreeMap<StreamKey, Vec<Packet>> = BTreeMap::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let [frame, time, src, tsport, usport, dst, tdport, udport, tpayload, upayload] = c[..]
        else {
            panic!("tshark line {line:?}");
        };
        let tcp = !tpayload.is_empty();
        let (sport, dport, payload) = if tcp {
            (tsport, tdport, tpayload)
        } else {
            (usport, udport, upayload)
        };
        let bytes: Vec<u8> = (0..payload.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&payload[i..i + 2], 16).expect("hex payload"))
            .collect();
        let mut packets: Vec<&[u8]> = Vec::new();
        if tcp {
            let mut rest = &bytes[..];
            while !rest.is_empty() {
                assert!(rest.len() >= 2, "frame {frame}: a cut RFC 4571 length");
                let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
                let rtp = rest
                    .get(2..2 + len)
                    .unwrap_or_else(|| panic!("frame {frame}: an RFC 4571 frame past the segment"));
                packets.push(rtp);
                rest = &rest[2 + len..];
            }
        } else {
            packets.push(&bytes);
        }
        for rtp in packets {
            assert!(
                rtp.len() >= 12 && rtp[0] >> 6 == 2,
                "frame {frame}: not RTP"
            );
            let key = StreamKey {
                src: (src.parse().expect("IPv4"), sport.parse().expect("port")),
                dst: (dst.parse().expect("IPv4"), dport.parse().expect("port")),
                ssrc: u32::from_be_bytes([rtp[8], rtp[9], rtp[10], rtp[11]]),
            };
            streams.entry(key).or_default().push(Packet {
                frame: frame.parse().expect("frame number"),
                arrival_ns: epoch_ns(time),
                seq: u16::from_be_bytes([rtp[2], rtp[3]]),
                timestamp: u32::from_be_bytes([rtp[4], rtp[5], rtp[6], rtp[7]]),
                payload_type: rtp[1] & 0x7f,
                marker: rtp[1] & 0x80 != 0,
            });
        }
    }
    streams
}

/// tshark 4.0's clock rates of static payload types (`clock_map` in
/// `ui/tap-rtp-analysis.c`): RFC 3551's, with the since-unassigned 1 (1016), 2 (G721) and 19
/// (old CN) kept at 8000.
pub fn tshark_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        0..=5 | 7..=9 | 12 | 13 | 15 | 18 | 19 => Some(8_000),
        6 => Some(16_000),
        10 | 11 => Some(44_100),
        16 => Some(11_025),
        17 => Some(22_050),
        14 | 25 | 26 | 28 | 31..=34 => Some(90_000),
        _ => None,
    }
}

/// RFC 3551's clock rates of static payload types (Tables 4 and 5): the ones callpath uses.
pub fn rfc3551_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        1 | 2 | 19 => None,
        _ => tshark_clock_rate(pt),
    }
}

/// `a - b` of RTP timestamps (modulo 2^32) as signed.
fn ts_diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

/// tshark 4.0's max jitter of a stream (ms), recomputed from its packets, for streams whose
/// payload types tshark knows by number (no SDP names: a dynamic type counts as unknown):
///
/// - times are arrival times in ms; timestamps are extended (each one taken within 2^31 of
///   the highest before it) and counted from the first packet's ("nominal time" in ms);
/// - every packet after the first whose payload type has a clock rate updates
///   `J += (|arrival - (previous arrival + nominal - last nominal)| - J) / 16`, where the
///   previous arrival is the previous packet's whatever its type, and the last nominal time the
///   last packet's with a clock rate (the first packet's is 0);
/// - the max is taken over those packets except one with the marker bit, a comfort noise
///   packet (13, 19) or the one after it, and a packet whose extended timestamp is below the
///   last in-sequence one's (a timestamp going back: tshark's "wrong timestamp").
///
/// `None` when no packet after the first has a clock rate (tshark then prints 0).
///
/// Read from `rtppacket_analyse` of the 3.6-4.0 line (extended timestamps, `time` kept for
/// every packet, the last nominal time for packets with a rate) and checked against tshark
/// 4.0.17's output on every static-type stream of `../shared/captures/ndpi/`, among them the
/// fax call's, whose payload type changes and timestamp restart exercise each rule.
pub fn tshark_max_jitter_ms(packets: &[Packet]) -> Option<f64> {
    let (first, rest) = packets.split_first()?;
    let mut highest = i64::from(first.timestamp);
    let first_ext = highest;
    let mut in_seq_ts = highest;
    let mut prev_ms = first.arrival_ns as f64 / 1e6;
    let mut prev_pt = first.payload_type;
    let mut last_nominal = 0.0f64;
    let mut jitter = 0.0f64;
    let mut max: Option<f64> = None;
    let cn = |pt: u8| pt == 13 || pt == 19;
    for p in rest {
        let ext = highest + ts_diff(p.timestamp, highest as u32);
        highest = highest.max(ext);
        let in_time_sequence = ext >= in_seq_ts;
        let now_ms = p.arrival_ns as f64 / 1e6;
        let rate = tshark_clock_rate(p.payload_type);
        if let Some(rate) = rate {
            let nominal = (ext - first_ext) as f64 / (f64::from(rate) / 1000.0);
            let diff = (now_ms - (prev_ms + nominal - last_nominal)).abs();
            jitter = (15.0 * jitter + diff) / 16.0;
            last_nominal = nominal;
            let regular = !p.marker && !cn(p.payload_type) && !cn(prev_pt) && in_time_sequence;
            if regular {
                max = Some(max.map_or(jitter, |m: f64| m.max(jitter)));
            } else {
                max = Some(max.unwrap_or(0.0));
            }
        }
        if in_time_sequence {
            in_seq_ts = ext;
        }
        prev_ms = now_ms;
        prev_pt = p.payload_type;
    }
    max
}

/// callpath's `RTP_MIN_RUN` and `RTP_MAX_SEQ_STEP` (src/proto/state/rtp.rs).
pub const RTP_MIN_RUN: usize = 4;
pub const RTP_MAX_SEQ_STEP: u16 = 16;

/// The index of the packet whose run of `RTP_MIN_RUN` confirms the stream in callpath: the
/// run starts at the first packet; a packet 1..=16 ahead of the run's last extends it; a
/// repeat of the last sequence number is ignored; one further ahead (less than 2^15) starts
/// the run again from it; one behind is ignored. (callpath follows two SSRCs per direction
/// of a flow at a time; the captures here have at most two in a direction.)
pub fn confirming_index(packets: &[Packet]) -> Option<usize> {
    let mut run = 0usize;
    let mut last = 0u16;
    for (i, p) in packets.iter().enumerate() {
        if run == 0 {
            run = 1;
            last = p.seq;
            continue;
        }
        let step = p.seq.wrapping_sub(last);
        if (1..=RTP_MAX_SEQ_STEP).contains(&step) {
            run += 1;
            last = p.seq;
            if run == RTP_MIN_RUN {
                return Some(i);
            }
        } else if step != 0 && step < 0x8000 {
            run = 1;
            last = p.seq;
        }
    }
    None
}

/// callpath's figures of a stream, modelled from its packets (see [`callpath_model`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Model {
    /// Index of the packet that confirms the stream.
    pub confirming: usize,
    /// Packets before it that callpath does not count: before the run started, and the
    /// repeats of a sequence number the run ignored.
    pub uncounted: usize,
    /// The clock rate: the confirming packet's static payload type's, else inferred.
    pub clock_rate: Option<u32>,
    pub max_jitter_ms: Option<f64>,
}

/// callpath's `clock::STANDARD_RATES` and `RATE_TOLERANCE`.
const STANDARD_RATES: [u32; 7] = [8_000, 16_000, 24_000, 32_000, 44_100, 48_000, 90_000];

fn nearest_standard_rate(ticks_per_s: f64) -> Option<u32> {
    let off = |r: u32| (ticks_per_s - f64::from(r)).abs() / f64::from(r);
    let best = STANDARD_RATES
        .into_iter()
        .min_by(|&a, &b| off(a).total_cmp(&off(b)))?;
    (off(best) <= 0.10).then_some(best)
}

/// What callpath makes of a stream's packets: confirmed by the run of [`confirming_index`]
/// (counted from its first packet), then RFC 3550 A.8 jitter over the packets that become the
/// highest sequence number (1..3000 ahead; not duplicates, late packets, or a jump of 3000 or
/// more unless the next packet confirms it, which restarts the chain), starting at the
/// confirming packet (J = 0 there: the run's earlier packets have no timing of their own).
/// A packet whose payload type differs from the previous one's starts a new chain, and so does
/// a transit-time change over 2 s (a timestamp discontinuity, not jitter). The clock rate is
/// the confirming packet's static type's (RFC 3551), kept for every later packet whatever its
/// type; else it is inferred as callpath does: once 20 packets are counted
/// and 1 s has passed since the anchor (the confirming packet), the timestamps' advance over
/// the arrival time, rounded to a standard rate within 10 %; the packet that finds it starts
/// the jitter chain, one that finds none is the next anchor. `None` when no run confirms.
pub fn callpath_model(packets: &[Packet]) -> Option<Model> {
    let confirming = confirming_index(packets)?;
    let h = packets[confirming];
    let mut rate = rfc3551_clock_rate(h.payload_type);
    // The run's packets give J = 0 (same arrival, same timestamp) when the rate is known.
    let mut max_jitter: Option<f64> = rate.map(|_| 0.0);
    let mut jitter = 0.0f64;
    let mut chain = Some((h.arrival_ns, h.timestamp));
    // The payload type of the chain's packets: another type starts a new chain.
    let mut chain_pt = h.payload_type;
    // Extended sequence numbers (wraps in the high bits), as callpath keeps them.
    let mut ext_max = u32::from(h.seq);
    let mut bad_seq: Option<u16> = None;
    let mut counted = RTP_MIN_RUN;
    let mut seen: BTreeSet<u32> = BTreeSet::new();
    seen.insert(ext_max);
    for p in &packets[confirming + 1..] {
        let udelta = p.seq.wrapping_sub(ext_max as u16);
        let mut restart = false;
        if udelta == 0 {
            // A duplicate of the highest.
            continue;
        } else if udelta < 3000 {
            ext_max = ext_max.wrapping_add(u32::from(udelta));
            seen.insert(ext_max);
        } else if udelta <= 65_436 {
            // A jump: a restart when the next packet follows it.
            if bad_seq != Some(p.seq) {
                bad_seq = Some(p.seq.wrapping_add(1));
                continue;
            }
            ext_max = (ext_max & !0xFFFF) | u32::from(p.seq);
            bad_seq = None;
            restart = true;
            // Both packets of the pair are counted (the first below, with this one).
            counted += 1;
            seen.clear();
            seen.insert(ext_max.wrapping_sub(1));
            seen.insert(ext_max);
        } else {
            // Late (at most 100 behind): counted unless a duplicate; no jitter.
            let behind = u32::from(0u16.wrapping_sub(udelta));
            if seen.insert(ext_max.wrapping_sub(behind)) {
                counted += 1;
            }
            continue;
        }
        counted += 1;
        if restart || p.payload_type != chain_pt {
            chain = None;
        }
        chain_pt = p.payload_type;
        match (rate, chain) {
            (Some(r), Some((t0, ts0))) => {
                let r = f64::from(r);
                let d = (p.arrival_ns - t0) as f64 * r * 1e-9 - ts_diff(p.timestamp, ts0) as f64;
                // Over 2 s: a timestamp discontinuity, a new chain (no jitter update).
                if d.abs() <= 2.0 * r {
                    jitter += (d.abs() - jitter) / 16.0;
                    max_jitter = Some(max_jitter.map_or(jitter, |m| m.max(jitter)));
                }
            }
            (None, Some((t0, ts0))) => {
                let elapsed = p.arrival_ns - t0;
                if counted < 20 || elapsed < 1_000_000_000 {
                    continue;
                }
                let ticks = f64::from(p.timestamp.wrapping_sub(ts0));
                rate = nearest_standard_rate(ticks / (elapsed as f64 * 1e-9));
            }
            (_, None) => {}
        }
        chain = Some((p.arrival_ns, p.timestamp));
    }
    Some(Model {
        confirming,
        uncounted: confirming + 1 - RTP_MIN_RUN,
        clock_rate: rate,
        max_jitter_ms: max_jitter.and_then(|j| rate.map(|r| j * 1000.0 / f64::from(r))),
    })
}

/// `packets` without the capture copies callpath drops (`decode.duplicates`): a packet with the
/// sequence number and timestamp of the one before it, captured within 5 ms of it.
pub fn without_capture_copies(packets: &[Packet]) -> Vec<Packet> {
    let mut out: Vec<Packet> = Vec::with_capacity(packets.len());
    for p in packets {
        let copy = out.last().is_some_and(|q| {
            q.seq == p.seq
                && q.timestamp == p.timestamp
                && (p.arrival_ns - q.arrival_ns).abs() <= 5_000_000
        });
        if !copy {
            out.push(*p);
        }
    }
    out
}
