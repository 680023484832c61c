//! RTCP report blocks (`media::rtcp`) and RTP stream quality (`media::stream`) on arbitrary
//! bytes.
//!
//! Input: the whole input is one RTCP datagram for `reports`; the same bytes, read as 15-byte
//! records `seq(2) rtp_ts(4) arrival_ns(8, signed) rate(1)` (rate: 0 none, 1 8000, 2 48000,
//! 3 90000, else the byte times 1000), feed one `StreamStats`.
//!
//! Properties, besides "no panic, no abort":
//! - `reports` yields items only from a datagram whose packets' lengths add up to it, at most
//!   one item per 24 bytes (a sender info is 20 bytes after an 8-byte header, a block 24);
//!   fractions in 0..1, cumulative loss in the 24-bit signed range, each block's reporter the
//!   SSRC of the SR/RR it came after (the SR's `ssrc` for its blocks); the iterator is fused;
//! - `rtt_ms` of each block is None or within 0..=10 000 ms;
//! - the stream: `packets` == records fed; `lost <= expected`;
//!   `packets == expected - lost + duplicates + discarded`; `max_burst_lost <= lost`; jitter
//!   finite, >= 0 and <= its maximum; the worst loss window within the totals; `merge` with a
//!   copy doubles `packets`, `expected` and `lost` and keeps `max_burst_lost`.
#![no_main]

use callpath::media::rtcp::{self, RtcpItem};
use callpath::media::StreamStats;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ssrcs = packet_ssrcs(data);
    let mut items = 0usize;
    let mut it = rtcp::reports(data);
    for item in it.by_ref() {
        items += 1;
        match item {
            RtcpItem::SenderInfo(s) => assert!(ssrcs.contains(&s.ssrc)),
            RtcpItem::ReportBlock(b) => {
                assert!(ssrcs.contains(&b.reporter_ssrc));
                assert!((0.0..1.0).contains(&b.fraction_lost));
                assert!((-(1 << 23)..(1 << 23)).contains(&b.cumulative_lost));
                if let Some(ms) = rtcp::rtt_ms(b.lsr, b.dlsr, b.lsr.wrapping_add(b.dlsr)) {
                    assert_eq!(ms, 0.0);
                }
                if let Some(ms) = rtcp::rtt_ms(b.lsr, b.dlsr, b.jitter_ticks) {
                    assert!((0.0..=10_000.0).contains(&ms));
                }
            }
        }
    }
    assert!(items * 24 <= data.len());
    assert!(it.next().is_none(), "not fused");
    if items > 0 {
        assert!(!ssrcs.is_empty(), "items from a datagram whose lengths do not add up");
    }

    let mut s = StreamStats::new(1, 96);
    let mut fed = 0u32;
    for r in data.chunks_exact(15) {
        let seq = u16::from_be_bytes([r[0], r[1]]);
        let ts = u32::from_be_bytes([r[2], r[3], r[4], r[5]]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&r[6..14]);
        let arrival = i64::from_be_bytes(t);
        let rate = match r[14] {
            0 => None,
            1 => Some(8_000),
            2 => Some(48_000),
            3 => Some(90_000),
            v => Some(u32::from(v) * 1000),
        };
        s.packet(seq, ts, arrival, rate);
        fed += 1;
    }
    let sum = s.summary();
    assert_eq!(sum.packets, fed);
    assert!(sum.lost <= sum.expected);
    assert_eq!(
        sum.packets,
        sum.expected - sum.lost + sum.duplicates + sum.discarded
    );
    assert!(sum.max_burst_lost <= sum.lost);
    for j in [sum.jitter_ms, sum.max_jitter_ms].into_iter().flatten() {
        assert!(j.is_finite() && j >= 0.0);
    }
    if let (Some(j), Some(m)) = (sum.jitter_ms, sum.max_jitter_ms) {
        assert!(j <= m);
    }
    if let Some(w) = sum.worst_loss_window {
        assert!(w.lost <= w.expected && w.expected <= sum.expected);
    }
    let mut twice = s;
    twice.merge(&s);
    let t = twice.summary();
    assert_eq!(t.packets, sum.packets * 2);
    assert_eq!(t.expected, sum.expected * 2);
    assert_eq!(t.lost, sum.lost * 2);
    assert_eq!(t.max_burst_lost, sum.max_burst_lost);
});

/// The SSRC field (bytes 4..8) of every packet when the packets' length fields add up to the
/// datagram (RFC 3550 A.2's length check alone); empty otherwise.
fn packet_ssrcs(data: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let Some(l) = data.get(at + 2..at + 4) else {
            return Vec::new();
        };
        if let Some(s) = data.get(at + 4..at + 8) {
            out.push(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        }
        at += 4 * (usize::from(u16::from_be_bytes([l[0], l[1]])) + 1);
    }
    if at == data.len() {
        out
    } else {
        Vec::new()
    }
}
