//! Issue 16, media quality: `flows[].media` (each RTP stream's figures per direction and path,
//! the RTCP reports) and the findings `media-loss`, `media-jitter`, `dscp-not-preserved` and
//! `dscp-unmarked`, from captures whose loss, jitter, order, marks and reports are known.

mod support;

use std::net::SocketAddr;

use serde_json::{json, Value};
use support::builder::{ip_udp, set_dscp, Dir};
use support::calls::{flow, flow_id, profile, sa, turn_session, Link, Scene, MS, T0};
use support::rtp::{
    ntp_middle32, ntp_of_ns, receiver_report, rtp_udp, schedule, sender_report, ReportBlock, Sent,
};

/// The Office 365 relay every call here goes to.
const RELAY: &str = "52.113.10.20:3478";
/// A Teams client's audio source port (50000-50019: class audio, EF expected).
const CLIENT: &str = "10.10.1.20:50010";
const FWD_SSRC: u32 = 0x0a0a_0001;
const REV_SSRC: u32 = 0x0b0b_0001;
/// DSCP Expedited Forwarding, Teams' audio mark.
const EF: u8 = 46;
/// PCMU (RFC 3551 static payload type 0): 8000 Hz, 160 ticks per 20 ms packet.
const PCMU: u8 = 0;
const RATE: f64 = 8000.0;
const QUALITY_CODES: [&str; 4] = [
    "media-loss",
    "media-jitter",
    "dscp-not-preserved",
    "dscp-unmarked",
];

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/// `n` PCMU packets 20 ms apart from `start`, sequence numbers from `seq0`.
fn pcmu(start: i64, seq0: u16, n: usize) -> Vec<Sent> {
    schedule(start, 20 * MS, seq0, 160, n)
}

/// Forward packets from `T0`, reverse ones 3 ms after each: `n` each way, none missing.
fn clean(n: usize) -> (Vec<Sent>, Vec<Sent>) {
    (pcmu(T0, 0, n), pcmu(T0 + 3 * MS, 1000, n))
}

/// A call between `client` and the relay: `fwd` sent by the client (`FWD_SSRC`), `rev` by the
/// relay (`REV_SSRC`), each direction with its DSCP.
fn call(
    client: SocketAddr,
    fwd: &[Sent],
    rev: &[Sent],
    marks: (u8, u8),
) -> Vec<(i64, Vec<u8>, Dir)> {
    let relay = sa(RELAY);
    let mut pkts = rtp_udp(client, relay, Dir::Forward, PCMU, FWD_SSRC, marks.0, fwd);
    pkts.extend(rtp_udp(
        client,
        relay,
        Dir::Reverse,
        PCMU,
        REV_SSRC,
        marks.1,
        rev,
    ));
    pkts
}

/// The schedule without the packets of sequence numbers `seqs`.
fn drop_seqs(sched: &[Sent], seqs: &[u16]) -> Vec<Sent> {
    sched
        .iter()
        .filter(|s| !seqs.contains(&s.seq))
        .copied()
        .collect()
}

/// The schedule with every packet `delay(i)` later than planned.
fn delayed(sched: &[Sent], delay: impl Fn(usize) -> i64) -> Vec<Sent> {
    sched
        .iter()
        .enumerate()
        .map(|(i, s)| Sent {
            at_ns: s.at_ns + delay(i),
            ..*s
        })
        .collect()
}

/// Audits the scene with the site profile (paths by capture interface) plus `quality`, the
/// body of a `[quality]` table when given.
fn audit(scene: &Scene, quality: Option<&str>) -> Value {
    let mut site = profile(&[]);
    if let Some(q) = quality {
        site.push_str(&format!("\n[quality]\n{q}\n"));
    }
    scene.audit(Some(&site))
}

/// One EF-marked call on ExpressRoute, audited with the default thresholds.
fn audit_call(fwd: &[Sent], rev: &[Sent]) -> Value {
    let mut scene = Scene::new();
    scene.add(Link::Er, call(sa(CLIENT), fwd, rev, (EF, EF)));
    audit(&scene, None)
}

// ---------------------------------------------------------------------------------------------
// Reading the report
// ---------------------------------------------------------------------------------------------

/// The flow with `client` as an end.
fn flow_of(r: &Value, client: SocketAddr) -> &Value {
    flow(r, flow_id(r, client))
}

/// The flow's one stream sent `direction` (`forward`, `reverse`).
fn stream<'a>(flow: &'a Value, direction: &str) -> &'a Value {
    let found: Vec<&Value> = flow["media"]["streams"]
        .as_array()
        .unwrap_or_else(|| panic!("no media streams: {flow:#}"))
        .iter()
        .filter(|s| s["direction"] == direction)
        .collect();
    assert_eq!(found.len(), 1, "{direction} streams: {found:#?}");
    found[0]
}

/// The quality codes among the flow's findings.
fn quality_codes(flow: &Value) -> Vec<&str> {
    flow["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(Value::as_str)
        .filter(|c| QUALITY_CODES.contains(c))
        .collect()
}

/// The report's one finding `code` on `flow`, checked to be of `severity`; its message.
fn message<'a>(r: &'a Value, flow: &Value, code: &str, severity: &str) -> &'a str {
    let found: Vec<&Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code && f["flow"] == flow["id"])
        .collect();
    assert_eq!(found.len(), 1, "{code} findings of flow {}", flow["id"]);
    assert_eq!(found[0]["severity"], severity, "{:#}", found[0]);
    found[0]["message"].as_str().expect("message")
}

/// The stream's counts, in one comparable value.
fn counts(s: &Value) -> Value {
    json!({
        "packets": s["packets"], "expected": s["expected"], "lost": s["lost"],
        "duplicates": s["duplicates"], "reordered": s["reordered"],
        "discarded": s["discarded"], "max_burst_lost": s["max_burst_lost"],
    })
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn assert_near(got: &Value, want: f64, tolerance: f64, what: &str) {
    let got = num(got);
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: {got} is not {want} (within {tolerance})"
    );
}

/// RFC 3550 A.8 over the schedule as the receiver sees it (in order of arrival), in f64: the
/// final estimate J and its largest value, in ms.
fn rfc3550_jitter_ms(sched: &[Sent]) -> (f64, f64) {
    let (mut j, mut max) = (0.0f64, 0.0f64);
    for w in sched.windows(2) {
        let arrival = (w[1].at_ns - w[0].at_ns) as f64 * RATE / 1e9;
        let d = arrival - f64::from(w[1].ts.wrapping_sub(w[0].ts) as i32);
        j += (d.abs() - j) / 16.0;
        max = max.max(j);
    }
    (j * 1000.0 / RATE, max * 1000.0 / RATE)
}

// ---------------------------------------------------------------------------------------------
// Loss
// ---------------------------------------------------------------------------------------------

/// 500 forward packets (10 s, one window) with 5 sequence numbers missing, 3 of them in a row.
fn lossy_forward() -> (Vec<Sent>, Vec<Sent>) {
    let (fwd, rev) = clean(500);
    (drop_seqs(&fwd, &[100, 250, 251, 252, 400]), rev)
}

#[test]
fn loss_is_counted_per_direction_and_judged_in_the_worst_window() {
    let (fwd, rev) = lossy_forward();
    let r = audit_call(&fwd, &rev);
    let f = flow_of(&r, sa(CLIENT));
    let (out, back) = (stream(f, "forward"), stream(f, "reverse"));
    assert_eq!(
        counts(out),
        json!({"packets": 495, "expected": 500, "lost": 5, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 3}),
        "{out:#}"
    );
    // The 3 missing in a row were due within 60 ms of media time.
    assert_eq!(out["max_burst_lost_200ms"], 3);
    assert_eq!(out["ssrc"], FWD_SSRC);
    assert_eq!(out["path"], "expressroute");
    assert_eq!(
        out["worst_loss_window"],
        json!({"start": out["first_seen"], "expected": 500, "lost": 5, "loss_percent": 1.0})
    );
    assert_eq!(
        counts(back),
        json!({"packets": 500, "expected": 500, "lost": 0, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 0}),
        "{back:#}"
    );
    assert_eq!(back["worst_loss_window"]["loss_percent"], 0.0);
    assert_eq!(quality_codes(f), ["media-loss"]);
    let msg = message(&r, f, "media-loss", "warning");
    let want = format!(
        "the forward stream (SSRC 0x0a0a0001) over expressroute lost 1.00 % of its packets (5 \
         of 500) in its worst 15 s window, from {}, against a target below 0.1 %; 5 of 500 over \
         the whole stream, at most 3 in a row; ",
        out["first_seen"].as_str().unwrap()
    );
    assert!(msg.contains(&want), "{msg}\nwant: {want}");
}

#[test]
fn the_profile_loss_target_decides() {
    let (fwd, rev) = lossy_forward();
    let mut scene = Scene::new();
    scene.add(Link::Er, call(sa(CLIENT), &fwd, &rev, (EF, EF)));
    // 1 % lost: within a 2 % target, above a 0.5 % one. Its 3 in a row are 30 % of the 10
    // packets due in 200 ms: above the 1 % burst target, within a 30 % one.
    let r = audit(&scene, Some("max_loss_percent = 2.0"));
    let f = flow_of(&r, sa(CLIENT));
    assert_eq!(quality_codes(f), ["media-loss"], "{f:#}");
    let msg = message(&r, f, "media-loss", "warning");
    assert!(
        msg.contains("lost 3 packets in a row within 200 ms, of about 10 it sends in 200 ms"),
        "{msg}"
    );
    let r = audit(
        &scene,
        Some("max_loss_percent = 2.0\nmax_burst_loss_percent = 30"),
    );
    let f = flow_of(&r, sa(CLIENT));
    assert_eq!(quality_codes(f), Vec::<&str>::new(), "{f:#}");
    assert_eq!(stream(f, "forward")["lost"], 5);
    assert_eq!(r["summary"]["findings"].get("media-loss"), None);
    let r = audit(&scene, Some("max_loss_percent = 0.5"));
    let f = flow_of(&r, sa(CLIENT));
    assert_eq!(quality_codes(f), ["media-loss"]);
    let msg = message(&r, f, "media-loss", "warning");
    assert!(msg.contains("against a target below 0.5 %;"), "{msg}");
}

#[test]
fn sequence_numbers_wrap_inside_a_stream() {
    // Forward: the 4-packet run that confirms the stream crosses 65535 -> 0 (65533..=0).
    // Reverse: 1000 packets (20 s, two windows) wrapping at its 536th, sequence 0 missing.
    let fwd = pcmu(T0, 65_533, 500);
    let rev = drop_seqs(&pcmu(T0 + 3 * MS, 65_000, 1000), &[0]);
    let r = audit_call(&fwd, &rev);
    let f = flow_of(&r, sa(CLIENT));
    let (out, back) = (stream(f, "forward"), stream(f, "reverse"));
    assert_eq!(
        counts(out),
        json!({"packets": 500, "expected": 500, "lost": 0, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 0}),
        "{out:#}"
    );
    assert_eq!(
        counts(back),
        json!({"packets": 999, "expected": 1000, "lost": 1, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 1}),
        "{back:#}"
    );
    // Windows start at the stream's first_seen: the first 15 s hold packets 0..=752 of the
    // run (first_seen is the 4th packet's capture, 60 ms in), the loss among them.
    assert_eq!(
        back["worst_loss_window"],
        json!({"start": back["first_seen"], "expected": 753, "lost": 1, "loss_percent": 0.133})
    );
    assert_eq!(quality_codes(f), ["media-loss"]);
    let msg = message(&r, f, "media-loss", "warning");
    assert!(
        msg.contains(
            "the reverse stream (SSRC 0x0b0b0001) over expressroute lost 0.13 % of its packets \
             (1 of 753) in its worst 15 s window"
        ),
        "{msg}"
    );
    assert!(msg.contains("; 1 of 1000 over the whole stream, at most 1 in a row;"));
}

// ---------------------------------------------------------------------------------------------
// Jitter
// ---------------------------------------------------------------------------------------------

#[test]
fn jitter_follows_rfc3550_a8() {
    // Every 10th packet 15 ms late (still before the next one): |D| = 120 ticks at it and
    // after it, 0 elsewhere.
    let (fwd, rev) = clean(500);
    let fwd = delayed(&fwd, |i| if i % 10 == 9 { 15 * MS } else { 0 });
    let (j, max) = rfc3550_jitter_ms(&fwd);
    assert!(max > 3.0 && max < 15.0, "the pattern's estimate: {max} ms");
    let r = audit_call(&fwd, &rev);
    let f = flow_of(&r, sa(CLIENT));
    let out = stream(f, "forward");
    assert_eq!(out["clock_rate"], 8000);
    assert_eq!(out["payload_type"], 0);
    assert_near(&out["jitter_ms"], j, 1e-3, "jitter_ms");
    assert_near(&out["max_jitter_ms"], max, 1e-3, "max_jitter_ms");
    assert_near(
        &out["worst_jitter_window"]["max_jitter_ms"],
        max,
        1e-3,
        "worst window",
    );
    assert_eq!(out["reordered"], 0);
    assert_eq!(out["lost"], 0);
    // Packets exactly on time: J stays 0.
    let back = stream(f, "reverse");
    assert_eq!(back["jitter_ms"], 0.0);
    assert_eq!(back["max_jitter_ms"], 0.0);
    assert_eq!(quality_codes(f), Vec::<&str>::new(), "{f:#}");
}

#[test]
fn jitter_above_the_target_is_a_finding() {
    // Every other packet 19 ms late: |D| = 152 ticks (19 ms) at every packet, J tends to it.
    let (fwd, rev) = clean(500);
    let fwd = delayed(&fwd, |i| if i % 2 == 1 { 19 * MS } else { 0 });
    let (j, max) = rfc3550_jitter_ms(&fwd);
    assert!(max > 18.9, "the pattern's estimate: {max} ms");
    let r = audit_call(&fwd, &rev);
    let f = flow_of(&r, sa(CLIENT));
    let out = stream(f, "forward");
    assert_near(&out["jitter_ms"], j, 1e-3, "jitter_ms");
    assert_near(&out["max_jitter_ms"], max, 1e-3, "max_jitter_ms");
    assert_eq!(stream(f, "reverse")["jitter_ms"], 0.0);
    assert_eq!(quality_codes(f), ["media-jitter"]);
    let w = &out["worst_jitter_window"];
    assert_eq!(w["start"], out["first_seen"]);
    let want = format!(
        "the forward stream (SSRC 0x0a0a0001) over expressroute reached {:.1} ms of \
         interarrival jitter in the 15 s window from {}, against a target below 15 ms; ",
        num(&w["max_jitter_ms"]),
        w["start"].as_str().unwrap()
    );
    let msg = message(&r, f, "media-jitter", "warning");
    assert!(msg.contains(&want), "{msg}\nwant: {want}");
    assert!(want.contains(" 19.0 ms"), "{want}");
}

// ---------------------------------------------------------------------------------------------
// Order
// ---------------------------------------------------------------------------------------------

#[test]
fn reordered_and_duplicate_packets_are_not_loss() {
    let (fwd, rev) = clean(100);
    let mut out_of_order = fwd.clone();
    // 51 overtakes 50.
    let (a, b) = (out_of_order[50].at_ns, out_of_order[51].at_ns);
    out_of_order[50].at_ns = b;
    out_of_order[51].at_ns = a;
    // 70 again after 72 (found in the map of recent numbers), 80 again before 81 (the
    // highest). 6 ms after it: a copy within 5 ms would be a capture duplicate, dropped before
    // RTP sees it (`decode.duplicates`).
    out_of_order.push(Sent {
        at_ns: fwd[72].at_ns + MS,
        ..fwd[70]
    });
    out_of_order.push(Sent {
        at_ns: fwd[80].at_ns + 6 * MS,
        ..fwd[80]
    });
    let r = audit_call(&out_of_order, &rev);
    let f = flow_of(&r, sa(CLIENT));
    assert_eq!(
        counts(stream(f, "forward")),
        json!({"packets": 102, "expected": 100, "lost": 0, "duplicates": 2, "reordered": 1,
               "discarded": 0, "max_burst_lost": 0})
    );
    assert_eq!(
        counts(stream(f, "reverse")),
        json!({"packets": 100, "expected": 100, "lost": 0, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 0})
    );
    assert_eq!(quality_codes(f), Vec::<&str>::new(), "{f:#}");
}

// ---------------------------------------------------------------------------------------------
// DSCP
// ---------------------------------------------------------------------------------------------

#[test]
fn dscp_marks_per_direction_on_expressroute() {
    // One audio call per client (port 50010: EF expected), 100 packets each way: the link,
    // the forward mark, the reverse mark of the i-th packet.
    let (fwd, rev) = clean(100);
    type ReverseMark = fn(usize) -> u8;
    let cases: [(&str, Link, u8, ReverseMark); 5] = [
        // EF out, re-marked to 0 on the way back.
        ("10.10.1.20:50010", Link::Er, EF, |_| 0),
        // EF both ways.
        ("10.10.1.21:50010", Link::Er, EF, |_| EF),
        // Never marked.
        ("10.10.1.22:50010", Link::Er, 0, |_| 0),
        // EF out, 0 back, over the Internet: no DSCP promise there.
        ("10.10.1.23:50010", Link::Inet, EF, |_| 0),
        // EF back for the first second, then 0.
        ("10.10.1.24:50010", Link::Er, EF, |i| {
            if i < 50 {
                EF
            } else {
                0
            }
        }),
    ];
    let mut scene = Scene::new();
    for (client, link, out_mark, back_mark) in cases {
        let mut pkts = call(sa(client), &fwd, &rev, (out_mark, 0));
        for (i, (_, ip, _)) in pkts.iter_mut().skip(fwd.len()).enumerate() {
            set_dscp(ip, back_mark(i));
        }
        scene.add(link, pkts);
    }
    let r = audit(&scene, None);
    let marks = |client: &str| {
        let f = flow_of(&r, sa(client));
        assert_eq!(f["media"]["class"], "audio", "{f:#}");
        (
            json!([stream(f, "forward")["dscp"], stream(f, "reverse")["dscp"]]),
            f["dscp"].clone(),
            quality_codes(f),
        )
    };
    let want = |fwd: Value, rev: Value, codes: &[&'static str]| {
        (
            json!([fwd, rev]),
            json!({"forward": fwd, "reverse": rev}),
            codes.to_vec(),
        )
    };
    assert_eq!(
        marks("10.10.1.20:50010"),
        want(json!([46]), json!([0]), &["dscp-not-preserved"])
    );
    assert_eq!(
        marks("10.10.1.21:50010"),
        want(json!([46]), json!([46]), &[])
    );
    assert_eq!(
        marks("10.10.1.22:50010"),
        want(json!([0]), json!([0]), &["dscp-unmarked"])
    );
    assert_eq!(
        marks("10.10.1.23:50010"),
        want(json!([46]), json!([0]), &[])
    );
    assert_eq!(
        marks("10.10.1.24:50010"),
        want(json!([46]), json!([0, 46]), &["dscp-not-preserved"])
    );
    let advice = "; ExpressRoute preserves DSCP, so a device or provider on the path re-marks";
    let msg = message(
        &r,
        flow_of(&r, sa("10.10.1.20:50010")),
        "dscp-not-preserved",
        "warning",
    );
    let want = "the reverse direction over expressroute carried DSCP 0 (unmarked), not only \
                46 (EF), the mark of audio";
    assert!(msg.contains(&format!("{want}{advice}")), "{msg}");
    let msg = message(
        &r,
        flow_of(&r, sa("10.10.1.24:50010")),
        "dscp-not-preserved",
        "warning",
    );
    let want = "the reverse direction over expressroute carried DSCP 0 (unmarked) and 46 (EF), \
                not only 46 (EF), the mark of audio";
    assert!(msg.contains(&format!("{want}{advice}")), "{msg}");
    let msg = message(
        &r,
        flow_of(&r, sa("10.10.1.22:50010")),
        "dscp-unmarked",
        "info",
    );
    assert!(
        msg.contains(
            "media over expressroute (the forward direction, audio) never carried a DSCP mark; \
             it should carry 46 (EF); "
        ),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// TURN
// ---------------------------------------------------------------------------------------------

#[test]
fn rtp_in_turn_channel_data_is_measured() {
    // Two clients relayed over ExpressRoute, 200 RTP packets each way in ChannelData: one
    // with its Allocate and ChannelBind in the capture (forward sequence numbers 60, 130 and
    // 131 missing), one seen from mid-call, ChannelData only (reverse 177 missing).
    let relay = sa("52.113.10.10:3478");
    let (a, b) = (sa("10.10.1.30:50060"), sa("10.10.1.31:50062"));
    let (ra, rb) = (sa("52.113.10.10:40000"), sa("52.113.10.10:40002"));
    let mapped = sa("192.0.2.17:61000");
    // turn_session: 4 STUN messages, then forward i, reverse i (sequence 100 + i), 20 ms apart.
    let data = |i: usize| i.checked_sub(4).map(|k| (k / 2, k % 2 == 0));
    let with_stun: Vec<_> = turn_session(a, relay, T0, (ra, mapped), rb, 0xb000, 200)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !matches!(data(*i), Some((60 | 130 | 131, true))))
        .map(|(_, p)| p)
        .collect();
    let mid_call: Vec<_> = turn_session(b, relay, T0 + 7 * MS, (rb, mapped), ra, 0xb100, 200)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| data(*i).is_some() && data(*i) != Some((77, false)))
        .map(|(_, p)| p)
        .collect();
    let mut scene = Scene::new();
    scene.add(Link::Er, with_stun).add(Link::Er, mid_call);
    let r = audit(&scene, None);

    let f = flow_of(&r, a);
    assert_eq!(
        counts(stream(f, "forward")),
        json!({"packets": 197, "expected": 200, "lost": 3, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 2}),
        "{f:#}"
    );
    assert_eq!(stream(f, "forward")["ssrc"], 0xb000);
    assert_eq!(stream(f, "forward")["path"], "expressroute");
    assert_eq!(stream(f, "reverse")["lost"], 0);
    assert_eq!(stream(f, "reverse")["expected"], 200);
    // `turn_session` marks EF both ways: no DSCP finding; no class (port 50060 is not a Teams
    // default).
    assert_eq!(quality_codes(f), ["media-loss"], "{f:#}");
    assert_eq!(f["media"]["class"], Value::Null);
    let msg = message(&r, f, "media-loss", "warning");
    assert!(
        msg.contains("the forward stream (SSRC 0x0000b000) over expressroute lost 1.50 %"),
        "{msg}"
    );

    let f = flow_of(&r, b);
    assert_eq!(stream(f, "forward")["lost"], 0);
    assert_eq!(
        counts(stream(f, "reverse")),
        json!({"packets": 199, "expected": 200, "lost": 1, "duplicates": 0, "reordered": 0,
               "discarded": 0, "max_burst_lost": 1}),
        "{f:#}"
    );
    assert_eq!(stream(f, "reverse")["ssrc"], 0xb101);
    let msg = message(&r, f, "media-loss", "warning");
    assert!(
        msg.contains("the reverse stream (SSRC 0x0000b101) over expressroute lost 0.50 %"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// RTCP
// ---------------------------------------------------------------------------------------------

#[test]
fn rtcp_reports_give_loss_jitter_and_round_trip() {
    let client = sa(CLIENT);
    let relay = sa(RELAY);
    let (fwd, rev) = clean(100);
    let mut pkts = call(client, &fwd, &rev, (EF, EF));
    // The client's SR, its NTP time the capture time; in it, a block on the relay's stream
    // (no SR from the relay yet: LSR 0, no round trip).
    let sr_at = T0 + 1_010 * MS;
    let sr_ntp = ntp_of_ns(sr_at);
    let sr = sender_report(
        FWD_SSRC,
        sr_ntp,
        8_080,
        50,
        8_000,
        &[ReportBlock {
            source_ssrc: REV_SSRC,
            highest_seq: 1050,
            ..ReportBlock::default()
        }],
    );
    // The relay's RR 520 ms later, held 500 ms: 20 ms from the capture point to the relay
    // and back. Then a second one without LSR, and a block on a source the flow never carried.
    let rr1 = receiver_report(
        REV_SSRC,
        &[ReportBlock {
            source_ssrc: FWD_SSRC,
            fraction_lost: 64,
            cumulative_lost: 7,
            highest_seq: 76,
            jitter: 80,
            lsr: ntp_middle32(sr_ntp),
            dlsr: 32_768,
        }],
    );
    let rr2 = receiver_report(
        REV_SSRC,
        &[
            ReportBlock {
                source_ssrc: FWD_SSRC,
                fraction_lost: 16,
                cumulative_lost: 9,
                highest_seq: 99,
                jitter: 40,
                ..ReportBlock::default()
            },
            ReportBlock {
                source_ssrc: 0xdead_beef,
                fraction_lost: 128,
                cumulative_lost: -2,
                jitter: 99,
                ..ReportBlock::default()
            },
        ],
    );
    let udp = |src: SocketAddr, dst: SocketAddr, rtcp: &[u8]| {
        ip_udp(src.ip(), src.port(), dst.ip(), dst.port(), rtcp)
    };
    pkts.push((sr_at, udp(client, relay, &sr), Dir::Forward));
    pkts.push((sr_at + 520 * MS, udp(relay, client, &rr1), Dir::Reverse));
    pkts.push((sr_at + 900 * MS, udp(relay, client, &rr2), Dir::Reverse));
    let mut scene = Scene::new();
    scene.add(Link::Er, pkts);
    let r = audit(&scene, None);
    let f = flow_of(&r, client);
    let rtcp = f["media"]["rtcp"].as_array().expect("rtcp");
    assert_eq!(rtcp.len(), 3, "{rtcp:#?}");
    assert_eq!(
        rtcp[0],
        json!({"ssrc": REV_SSRC, "direction": "forward", "fraction_lost": 0.0, "jitter_ms": 0.0,
               "rtt_ms": null, "reporter_ssrc": FWD_SSRC, "reports": 1,
               "max_fraction_lost": 0.0, "cumulative_lost": 0, "max_jitter_ms": 0.0,
               "max_rtt_ms": null})
    );
    // A - LSR - DLSR in 1/65536 s, A the RR's capture time and LSR the SR's (NTP 16.16,
    // truncated: 1311 units, 20.004 ms).
    let a = ntp_middle32(ntp_of_ns(sr_at + 520 * MS));
    let units = a.wrapping_sub(ntp_middle32(sr_ntp)).wrapping_sub(32_768);
    assert_eq!(units, 1311);
    let rtt = f64::from(units) * 1000.0 / 65536.0;
    let fwd_report = &rtcp[1];
    assert_near(&fwd_report["rtt_ms"], 20.0, 0.1, "rtt_ms");
    assert_near(&fwd_report["rtt_ms"], rtt, 1e-3, "rtt_ms");
    assert_near(&fwd_report["max_rtt_ms"], rtt, 1e-3, "max_rtt_ms");
    // The last report's figures, the worst of both, jitter in ms at the stream's 8000 Hz.
    let mut figures = fwd_report.clone();
    figures["rtt_ms"] = Value::Null;
    figures["max_rtt_ms"] = Value::Null;
    assert_eq!(
        figures,
        json!({"ssrc": FWD_SSRC, "direction": "reverse", "fraction_lost": 0.0625,
               "jitter_ms": 5.0, "rtt_ms": null, "reporter_ssrc": REV_SSRC, "reports": 2,
               "max_fraction_lost": 0.25, "cumulative_lost": 9, "max_jitter_ms": 10.0,
               "max_rtt_ms": null})
    );
    // A source with no stream on the flow: no clock rate, no jitter in ms.
    assert_eq!(
        rtcp[2],
        json!({"ssrc": 0xdead_beef_u32, "direction": "reverse", "fraction_lost": 0.5,
               "jitter_ms": null, "rtt_ms": null, "reporter_ssrc": REV_SSRC, "reports": 1,
               "max_fraction_lost": 0.5, "cumulative_lost": -2, "max_jitter_ms": null,
               "max_rtt_ms": null})
    );
    assert_eq!(quality_codes(f), Vec::<&str>::new(), "{f:#}");
}

// ---------------------------------------------------------------------------------------------
// Clean
// ---------------------------------------------------------------------------------------------

#[test]
fn clean_streams_have_no_quality_finding() {
    let (fwd, rev) = clean(250);
    let r = audit_call(&fwd, &rev);
    let f = flow_of(&r, sa(CLIENT));
    assert_eq!(f["app"], "rtp");
    assert_eq!(f["media"]["class"], "audio");
    assert_eq!(f["media"]["rtcp"], json!([]));
    assert_eq!(quality_codes(f), Vec::<&str>::new(), "{f:#}");
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| !QUALITY_CODES.contains(&x["code"].as_str().unwrap())),
        "{:#}",
        r["findings"]
    );
    // The stream's whole object. Its first 3 packets confirm it with the 4th: first_seen and
    // the windows start at that 4th packet (60 ms in), the counts include all 4.
    let whole = |ssrc: u32, direction: &str, first: &str, last: &str| {
        json!({
            "ssrc": ssrc, "direction": direction, "payload_type": 0, "clock_rate": 8000, "clock_rate_source": "static",
            "packets": 250, "expected": 250, "lost": 0, "duplicates": 0, "reordered": 0,
            "jitter_ms": 0.0, "max_jitter_ms": 0.0, "max_burst_lost": 0, "dscp": [46],
            "path": "expressroute", "discarded": 0, "max_burst_lost_200ms": 0,
            "first_seen": first, "last_seen": last,
            "worst_loss_window": {"start": first, "expected": 250, "lost": 0,
                                  "loss_percent": 0.0},
            "worst_jitter_window": {"start": first, "max_jitter_ms": 0.0},
        })
    };
    assert_eq!(
        f["media"]["streams"],
        json!([
            whole(
                FWD_SSRC,
                "forward",
                "2026-11-02T09:00:00.060000Z",
                "2026-11-02T09:00:04.980000Z"
            ),
            whole(
                REV_SSRC,
                "reverse",
                "2026-11-02T09:00:00.063000Z",
                "2026-11-02T09:00:04.983000Z"
            ),
        ])
    );
}

#[test]
fn a_window_other_than_15_s_is_refused() {
    // Streams are measured in 15 s windows as the packets go: a profile asking for another
    // window is refused (exit 2) rather than silently measured in 15 s ones.
    let mut site = profile(&[]);
    site.push_str("\n[quality]\nwindow_s = 5\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.toml");
    std::fs::write(&path, site).unwrap();
    let out = support::cli::callpath(&[
        "audit",
        "--site",
        path.to_str().unwrap(),
        "fixtures/contoso-hq.pcapng",
    ]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "quality.window_s: 5 is not a supported window: streams are measured in 15 s windows"
        ),
        "{}",
        out.stderr
    );
}

/// The SDP of the call gives the clock rate of a dynamic payload type (`a=rtpmap:96
/// H264/90000`, RFC 8866 §6.6): a video stream too short to infer its rate (0.5 s) reports the
/// SDP's, without jitter; a longer one whose inferred rate agrees keeps its jitter, marked
/// `sdp`; the static PCMU stream of the same call says `static`.
#[test]
fn the_sdp_gives_dynamic_types_their_clock_rate() {
    let sip_client = sa("10.10.1.20:5060");
    let sbc = sa("10.30.0.10:5060");
    // Video from a Teams video port (50020-50039) to the SBC's announced port.
    let (short_client, long_client) = (sa("10.10.1.20:50020"), sa("10.10.1.20:50022"));
    let (short_peer, long_peer) = (sa("10.30.0.10:40000"), sa("10.30.0.10:40002"));
    let video = |client: SocketAddr, peer: SocketAddr, n: usize| {
        // 30 frames/s at 90 kHz: 3000 ticks per packet.
        let sched = schedule(T0 + 100 * MS, 33_333_333, 0, 3000, n);
        rtp_udp(client, peer, Dir::Forward, 96, 0x0c0c_0001, 34, &sched)
    };
    let sdp = |media: SocketAddr| {
        support::payloads::sdp(media.ip(), &[("video", media.port())], media.ip())
    };
    let mut scene = Scene::new();
    scene.add(
        Link::Lan,
        vec![
            (
                T0,
                ip_udp(
                    sip_client.ip(),
                    sip_client.port(),
                    sbc.ip(),
                    sbc.port(),
                    &support::calls::sip_invite_udp("sdp-rates", "10.10.1.20", &sdp(short_peer)),
                ),
                Dir::Forward,
            ),
            (
                T0 + 10 * MS,
                ip_udp(
                    sip_client.ip(),
                    sip_client.port(),
                    sbc.ip(),
                    sbc.port(),
                    &support::calls::sip_invite_udp("sdp-rates-2", "10.10.1.20", &sdp(long_peer)),
                ),
                Dir::Forward,
            ),
        ],
    );
    scene.add(Link::Lan, video(short_client, short_peer, 15));
    scene.add(Link::Lan, video(long_client, long_peer, 90));
    let r = audit(&scene, None);
    let short = stream(flow_of(&r, short_client), "forward");
    assert_eq!(short["clock_rate"], 90_000, "{short:#}");
    assert_eq!(short["clock_rate_source"], "sdp");
    assert_eq!(short["jitter_ms"], Value::Null);
    let long = stream(flow_of(&r, long_client), "forward");
    assert_eq!(long["clock_rate"], 90_000, "{long:#}");
    assert_eq!(long["clock_rate_source"], "sdp");
    assert_eq!(long["jitter_ms"], 0.0);
    assert_eq!(flow_of(&r, long_client)["media"]["class"], "video");
    // PCMU elsewhere: its rate is the static type's.
    let (fwd, rev) = clean(100);
    let r = audit_call(&fwd, &rev);
    assert_eq!(
        stream(flow_of(&r, sa(CLIENT)), "forward")["clock_rate_source"],
        "static"
    );
}
