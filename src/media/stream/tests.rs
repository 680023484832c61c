//! `StreamStats` against hand-computed figures, a reference model and arbitrary input.

use super::*;
use proptest::prelude::*;

const MS: i64 = 1_000_000;

/// Packets `seqs` 20 ms apart from t = 0, timestamps `seq * step`, rate `rate`.
fn feed(s: &mut StreamStats, seqs: &[u16], step: u32, rate: Option<u32>) {
    for &seq in seqs {
        s.packet(
            seq,
            u32::from(seq).wrapping_mul(step),
            i64::from(seq) * 20 * MS,
            rate,
        );
    }
}

fn stats(seqs: &[u16]) -> StreamSummary {
    let mut s = StreamStats::new(1, 0);
    feed(&mut s, seqs, 160, Some(8000));
    s.summary()
}

#[test]
fn fixed_size() {
    assert!(std::mem::size_of::<StreamStats>() <= 128);
}

#[test]
fn in_order() {
    let s = stats(&(0..10).collect::<Vec<_>>());
    assert_eq!(
        (s.packets, s.expected, s.lost, s.duplicates, s.reordered),
        (10, 10, 0, 0, 0)
    );
    assert_eq!(
        (s.discarded, s.max_burst_lost, s.max_burst_lost_200ms),
        (0, 0, 0)
    );
    assert_eq!(s.clock_rate, Some(8000));
    assert_eq!((s.first_ns, s.last_ns, s.windows), (0, 180 * MS, 1));
}

#[test]
fn wrap_is_no_loss() {
    let seqs: Vec<u16> = (65530..=65535).chain(0..=5).collect();
    let mut s = StreamStats::new(1, 0);
    for (i, &seq) in seqs.iter().enumerate() {
        s.packet(seq, i as u32 * 160, i as i64 * 20 * MS, Some(8000));
    }
    let s = s.summary();
    assert_eq!((s.packets, s.expected, s.lost, s.discarded), (12, 12, 0, 0));
    // A wrap during probation too.
    let s = stats(&[65535, 0, 1]);
    assert_eq!((s.expected, s.lost), (3, 0));
}

#[test]
fn restart_after_two_sequential_packets() {
    // 1..=10, then the source restarts at 30000: a new segment from 30000.
    let seqs: Vec<u16> = (1..=10).chain(30000..=30002).collect();
    let s = stats(&seqs);
    assert_eq!((s.packets, s.expected, s.lost, s.discarded), (13, 13, 0, 0));
    // One stray far packet is discarded, not a restart.
    let s = stats(&[1, 2, 3, 30000, 4, 5]);
    assert_eq!((s.packets, s.expected, s.lost, s.discarded), (6, 5, 0, 1));
    // The confirming packet may come after others: 11 keeps the old segment going.
    let s = stats(&[1, 2, 30000, 3, 30001, 30002]);
    assert_eq!((s.expected, s.lost, s.discarded), (6, 0, 0));
    // Loss in both segments adds up.
    let s = stats(&[1, 2, 4, 30000, 30001, 30003]);
    assert_eq!((s.expected, s.lost, s.max_burst_lost), (8, 2, 1));
}

#[test]
fn probation() {
    // RFC 3550 A.1: a source is valid after two sequential packets; 5, 7 and 6 each restart
    // probation, so nothing is counted yet.
    let s = stats(&[5, 7, 6]);
    assert_eq!((s.packets, s.expected, s.lost, s.discarded), (3, 0, 0, 3));
    let s = stats(&[5, 7, 8]);
    assert_eq!((s.expected, s.lost, s.discarded), (2, 0, 1));
    let s = stats(&[9]);
    assert_eq!((s.expected, s.discarded, s.windows), (0, 1, 1));
    let s = StreamStats::new(1, 0).summary();
    assert_eq!((s.packets, s.expected, s.windows), (0, 0, 0));
    assert_eq!(s.worst_loss_window, None);
}

#[test]
fn duplicates() {
    let s = stats(&[1, 2, 3, 3, 2, 4, 1]);
    assert_eq!((s.packets, s.expected, s.lost), (7, 4, 0));
    assert_eq!((s.duplicates, s.reordered, s.discarded), (3, 0, 0));
}

#[test]
fn reordering() {
    let s = stats(&[3, 4, 5, 7, 6]);
    assert_eq!(
        (s.expected, s.lost, s.reordered, s.duplicates),
        (5, 0, 1, 0)
    );
    assert_eq!(s.max_burst_lost, 0);
    // Late packets older than the base lower it: 1 arrives after 3, 4; 2 never comes.
    let s = stats(&[3, 4, 1, 5]);
    assert_eq!((s.expected, s.lost, s.reordered), (5, 1, 1));
    // 100 behind is a jump, not late (MAX_MISORDER): discarded.
    let mut seqs: Vec<u16> = (0..=200).collect();
    seqs.push(100);
    seqs.push(101);
    let s = stats(&seqs);
    assert_eq!((s.reordered, s.duplicates, s.discarded), (0, 1, 1));
}

#[test]
fn burst() {
    let s = stats(&[8, 9, 10, 14]);
    assert_eq!((s.expected, s.lost, s.max_burst_lost), (7, 3, 3));
    // 640 ticks at 8000 Hz: within 200 ms.
    assert_eq!(s.max_burst_lost_200ms, 3);
    // A late 12 splits the burst; the 200 ms figure is the gap's.
    let s = stats(&[8, 9, 10, 14, 12]);
    assert_eq!(
        (s.lost, s.max_burst_lost, s.max_burst_lost_200ms),
        (2, 1, 3)
    );
    // 20 missing over 420 ms of media: a burst, but not within 200 ms.
    let s = stats(&[0, 1, 22, 23]);
    assert_eq!(
        (s.lost, s.max_burst_lost, s.max_burst_lost_200ms),
        (20, 20, 0)
    );
    // A gap wider than the map, then more losses that leave it one by one.
    let mut seqs: Vec<u16> = vec![1, 2, 502];
    seqs.extend((503..800).filter(|s| s % 50 != 0));
    let s = stats(&seqs);
    assert_eq!((s.lost, s.max_burst_lost), (499 + 5, 499));
    // Without a known rate, no 200 ms figure.
    let mut st = StreamStats::new(1, 96);
    feed(&mut st, &[8, 9, 10, 14], 160, None);
    assert_eq!(st.summary().max_burst_lost_200ms, 0);
}

/// Packets 20 ms apart, every odd one 1 ms late: each D is 1 ms, so after n differences
/// J = 1 ms × (1 - (15/16)^n) at any clock rate.
fn alternating(rate: u32, n: u16) -> StreamSummary {
    let mut s = StreamStats::new(1, 96);
    for seq in 0..=n {
        let late = if seq % 2 == 1 { MS } else { 0 };
        let ts = u32::from(seq) * (rate / 50);
        s.packet(seq, ts, i64::from(seq) * 20 * MS + late, Some(rate));
    }
    s.summary()
}

#[test]
fn jitter_at_known_rates() {
    for rate in [8000, 16000, 48000, 90000] {
        for n in [1u16, 2, 10, 100] {
            let s = alternating(rate, n);
            let want = 1.0 - (15.0f64 / 16.0).powi(i32::from(n));
            let got = s.jitter_ms.unwrap();
            assert!((got - want).abs() < 1e-4, "{rate} {n}: {got} != {want}");
            assert!((s.max_jitter_ms.unwrap() - want).abs() < 1e-4);
        }
    }
    // n = 2 by hand at 8000 Hz: |D| = 8 ticks twice: J = 0.5, then 0.5 + 7.5/16 = 0.96875
    // ticks = 0.12109375 ms.
    assert!((alternating(8000, 2).jitter_ms.unwrap() - 0.12109375).abs() < 1e-6);
}

#[test]
fn jitter_final_and_max() {
    // 10 alternating differences, then 20 perfect ones: J decays by (15/16)^20.
    let mut s = StreamStats::new(1, 96);
    for seq in 0..=30u16 {
        let late = if seq % 2 == 1 && seq <= 10 { MS } else { 0 };
        s.packet(
            seq,
            u32::from(seq) * 320,
            i64::from(seq) * 20 * MS + late,
            Some(16000),
        );
    }
    let s = s.summary();
    let peak = 1.0 - (15.0f64 / 16.0).powi(10);
    // Difference 11 (packet 11 on time after a late 10? 10 is even: on time) is 0.
    let last = peak * (15.0f64 / 16.0).powi(20);
    assert!((s.max_jitter_ms.unwrap() - peak).abs() < 1e-4);
    assert!((s.jitter_ms.unwrap() - last).abs() < 1e-4);
    // Duplicates and late packets do not update jitter.
    let mut a = StreamStats::new(1, 96);
    let mut b = StreamStats::new(1, 96);
    for seq in 0..10u16 {
        a.packet(
            seq,
            u32::from(seq) * 160,
            i64::from(seq) * 20 * MS,
            Some(8000),
        );
        b.packet(
            seq,
            u32::from(seq) * 160,
            i64::from(seq) * 20 * MS,
            Some(8000),
        );
        if seq > 0 {
            b.packet(
                seq,
                u32::from(seq) * 160,
                i64::from(seq) * 20 * MS + 7 * MS,
                Some(8000),
            );
        }
    }
    // (0 up to rounding: 20 ms × 8000 Hz × 1e-9 is 160 within an ulp.)
    assert!(a.summary().jitter_ms.unwrap() < 1e-9);
    assert_eq!(b.summary().jitter_ms, a.summary().jitter_ms);
    assert_eq!(b.summary().duplicates, 9);
}

#[test]
fn infers_48000_from_20ms_packets() {
    let mut s = StreamStats::new(1, 111);
    for seq in 0..50u16 {
        s.packet(
            seq,
            1_000 + u32::from(seq) * 960,
            i64::from(seq) * 20 * MS,
            None,
        );
    }
    assert_eq!(s.clock_rate(), None, "0.98 s is not enough");
    s.packet(50, 1_000 + 50 * 960, 1000 * MS, None);
    assert_eq!(s.clock_rate(), Some(48000));
    assert_eq!(
        s.summary().jitter_ms,
        None,
        "jitter starts with the next packet"
    );
    for seq in 51..60u16 {
        s.packet(
            seq,
            1_000 + u32::from(seq) * 960,
            i64::from(seq) * 20 * MS,
            None,
        );
    }
    let sum = s.summary();
    assert!(sum.jitter_ms.unwrap() < 1e-9);
    assert_eq!((sum.expected, sum.lost), (60, 0));
}

#[test]
fn infers_90000_from_video() {
    // 30 frames per second, 3 packets per frame 1 ms apart, 3000 ticks per frame.
    let mut s = StreamStats::new(1, 102);
    let mut seq = 0u16;
    for frame in 0..40u32 {
        for k in 0..3 {
            let at = i64::from(frame) * 1_000_000_000 / 30 + k * MS;
            s.packet(seq, 0xFFFF_0000u32.wrapping_add(frame * 3000), at, None);
            seq += 1;
        }
    }
    assert_eq!(s.clock_rate(), Some(90000));
    // Timestamps at 12 000 Hz: no standard rate, never inferred.
    let mut s = StreamStats::new(1, 96);
    for seq in 0..200u16 {
        s.packet(seq, u32::from(seq) * 240, i64::from(seq) * 20 * MS, None);
    }
    assert_eq!(s.clock_rate(), None);
    assert_eq!(s.summary().jitter_ms, None);
    // The caller's rate wins over inference and is kept.
    let mut s = StreamStats::new(1, 0);
    s.packet(0, 0, 0, None);
    s.packet(1, 160, 20 * MS, Some(8000));
    s.packet(2, 320, 40 * MS, Some(16000));
    assert_eq!(s.clock_rate(), Some(8000));
}

#[test]
fn windows() {
    // 45 s at 50 packets/s; 800..=802 lost (second window), packets of the third window
    // alternate 1 ms late.
    let mut s = StreamStats::new(1, 0);
    for seq in (0..2250u16).filter(|s| !(800..=802).contains(s)) {
        let late = if seq >= 1500 && seq % 2 == 1 { MS } else { 0 };
        s.packet(
            seq,
            u32::from(seq) * 160,
            i64::from(seq) * 20 * MS + late,
            Some(8000),
        );
    }
    let sum = s.summary();
    assert_eq!(sum.windows, 3);
    assert_eq!((sum.expected, sum.lost, sum.max_burst_lost), (2250, 3, 3));
    assert_eq!(
        sum.worst_loss_window,
        Some(Window {
            start_ns: 15_000 * MS,
            expected: 750,
            lost: 3
        })
    );
    let j = sum.worst_jitter_window.unwrap();
    assert_eq!(j.start_ns, 30_000 * MS);
    assert!((j.max_jitter_ms - sum.max_jitter_ms.unwrap()).abs() < 1e-9);
    // No loss: the first window is the worst (0 %).
    let mut s = StreamStats::new(1, 0);
    feed(&mut s, &(0..1000).collect::<Vec<_>>(), 160, Some(8000));
    let w = s.summary().worst_loss_window.unwrap();
    assert_eq!((w.start_ns, w.expected, w.lost), (0, 750, 0));
    // A 40 s silence: the windows in it are skipped, and counted.
    let mut s = StreamStats::new(1, 0);
    s.packet(0, 0, 0, Some(8000));
    s.packet(1, 160, 20 * MS, Some(8000));
    s.packet(5, 640, 40_000 * MS, Some(8000));
    let sum = s.summary();
    assert_eq!(sum.windows, 3);
    assert_eq!(sum.worst_loss_window.unwrap().start_ns, 30_000 * MS);
}

#[test]
fn merge_adds_up() {
    let seqs: Vec<u16> = (0..1500).filter(|s| *s != 100 && *s != 1000).collect();
    let mut whole = StreamStats::new(7, 111);
    feed(&mut whole, &seqs, 960, Some(48000));
    let (a_seqs, b_seqs) = seqs.split_at(900);
    let mut a = StreamStats::new(7, 111);
    feed(&mut a, a_seqs, 960, Some(48000));
    let mut b = StreamStats::new(7, 111);
    feed(&mut b, b_seqs, 960, Some(48000));
    let mut merged = b;
    merged.merge(&a);
    let (w, m) = (whole.summary(), merged.summary());
    assert_eq!(
        (m.packets, m.expected, m.lost, m.first_ns, m.last_ns),
        (w.packets, w.expected, w.lost, w.first_ns, w.last_ns)
    );
    assert_eq!(m.max_burst_lost, 1);
    // Whole: windows 0 and 1 each lose 1 of 750 (the earlier is kept). Merged: the later part
    // (from 18.02 s) is one window of its own, 1 lost of 599, reported at the start of the
    // merged window it began in.
    assert_eq!(w.worst_loss_window.unwrap().start_ns, 0);
    assert_eq!(
        m.worst_loss_window,
        Some(Window {
            start_ns: 15_000 * MS,
            expected: 599,
            lost: 1
        })
    );
    assert_eq!(m.windows, w.windows);
    let mut empty = StreamStats::new(7, 111);
    empty.merge(&a);
    assert_eq!(empty.summary(), a.summary());
    a.merge(&StreamStats::new(7, 111));
    assert_eq!(empty.summary(), a.summary());
}

#[test]
fn extreme_times_do_not_panic() {
    let mut s = StreamStats::new(1, 0);
    for (seq, t) in [
        (0, i64::MIN),
        (1, i64::MAX),
        (2, i64::MIN),
        (3, 0),
        (4, i64::MAX),
    ] {
        s.packet(
            seq,
            u32::MAX.wrapping_mul(u32::from(seq)),
            t,
            Some(u32::MAX),
        );
    }
    let sum = s.summary();
    // Arrivals this far apart are timestamp discontinuities: no jitter, and nothing infinite.
    assert_eq!(sum.jitter_ms, None);
    assert_eq!(sum.expected, 5);
    let mut s = StreamStats::new(1, 0);
    for seq in 0..40u16 {
        s.packet(seq, 0, i64::MAX - i64::from(40 - seq), None);
    }
    assert_eq!(s.summary().packets, 40);
}

/// How a generated packet's sequence number follows the previous one.
fn seq_steps() -> impl Strategy<Value = Vec<(i32, u32, i64, u8)>> {
    let delta = prop_oneof![
        8 => -3i32..5,
        1 => -200i32..200,
        1 => 0i32..65536,
    ];
    prop::collection::vec((delta, any::<u32>(), -50 * MS..100 * MS, 0u8..4), 0..400)
}

proptest! {
    #[test]
    fn counts_stay_consistent(steps in seq_steps(), start in any::<u16>(), t0 in any::<i64>()) {
        let mut s = StreamStats::new(1, 96);
        let (mut seq, mut t) = (start, t0);
        for (i, (d, ts, dt, rate)) in steps.iter().enumerate() {
            if i > 0 {
                seq = seq.wrapping_add(*d as u16);
            }
            t = t.saturating_add(*dt);
            let rate = [None, Some(8000), Some(90000), Some(0)][usize::from(*rate)];
            s.packet(seq, *ts, t, rate);
        }
        let sum = s.summary();
        prop_assert_eq!(sum.packets as usize, steps.len());
        prop_assert!(sum.lost <= sum.expected);
        let counted = sum.expected - sum.lost;
        prop_assert_eq!(sum.packets, counted + sum.duplicates + sum.discarded);
        prop_assert!(sum.expected >= sum.packets - sum.duplicates - sum.discarded);
        prop_assert!(sum.max_burst_lost <= sum.lost);
        prop_assert!(sum.reordered <= counted);
        for j in [sum.jitter_ms, sum.max_jitter_ms].into_iter().flatten() {
            prop_assert!(j.is_finite() && j >= 0.0);
        }
        if let (Some(j), Some(m)) = (sum.jitter_ms, sum.max_jitter_ms) {
            prop_assert!(j <= m);
        }
        if let Some(w) = sum.worst_loss_window {
            prop_assert!(w.lost <= w.expected && w.expected <= sum.expected);
        }
        prop_assert_eq!(sum.windows == 0, steps.is_empty());
        // Merging with a copy doubles the counts.
        let mut twice = s;
        twice.merge(&s);
        let t2 = twice.summary();
        prop_assert_eq!(t2.packets, sum.packets.saturating_mul(2));
        prop_assert_eq!(t2.expected, sum.expected.wrapping_mul(2));
        prop_assert_eq!(t2.lost, sum.lost * 2);
        prop_assert_eq!(t2.max_burst_lost, sum.max_burst_lost);
    }

    /// Against a model: a run 0..n with interior packets dropped, neighbours swapped and some
    /// sent twice, the first two and the last kept in place.
    #[test]
    fn matches_a_model(
        n in 3u16..600,
        drop in prop::collection::vec(any::<bool>(), 600),
        swap in prop::collection::vec(0u8..8, 600),
        dup in prop::collection::vec(0u8..16, 600),
        start in any::<u16>(),
    ) {
        let n = usize::from(n);
        let mut kept: Vec<usize> = (0..n)
            .filter(|&i| i < 2 || i == n - 1 || !drop[i])
            .collect();
        let last = kept.len().saturating_sub(2);
        for (i, s) in swap.iter().enumerate().take(last).skip(2) {
            if *s == 0 {
                kept.swap(i, i + 1);
            }
        }
        let mut order = Vec::new();
        for (i, &k) in kept.iter().enumerate() {
            order.push(k);
            if dup[i] == 0 && i >= 2 {
                order.push(k);
            }
        }
        let mut s = StreamStats::new(1, 0);
        for (i, &k) in order.iter().enumerate() {
            let seq = start.wrapping_add(k as u16);
            s.packet(seq, k as u32 * 160, i as i64 * 20 * MS, Some(8000));
        }
        let sum = s.summary();
        // The model.
        let mut seen = vec![false; n];
        let (mut dups, mut reordered, mut max) = (0u32, 0u32, 0usize);
        for &k in &order {
            if seen[k] {
                dups += 1;
            } else {
                seen[k] = true;
                if k < max {
                    reordered += 1;
                }
            }
            max = max.max(k);
        }
        let lost = seen.iter().filter(|s| !**s).count() as u32;
        let longest = seen
            .split(|s| *s)
            .map(|run| run.len() as u32)
            .max()
            .unwrap_or(0);
        prop_assert_eq!(sum.expected as usize, n);
        prop_assert_eq!(sum.lost, lost);
        prop_assert_eq!(sum.duplicates, dups);
        prop_assert_eq!(sum.reordered, reordered);
        prop_assert_eq!(sum.max_burst_lost, longest);
        prop_assert_eq!(sum.discarded, 0);
        prop_assert_eq!(sum.packets as usize, order.len());
    }
}

#[test]
fn a_timestamp_restart_starts_a_new_chain() {
    // 8000 Hz, 20 ms apart; at packet 50 the sender restarts its timestamps from 0.
    let mut s = StreamStats::new(1, 8);
    for i in 0..100u16 {
        let ts = if i < 50 {
            347_200 + u32::from(i) * 160
        } else {
            u32::from(i - 50) * 160
        };
        s.packet(i, ts, i64::from(i) * 20_000_000, Some(8000));
    }
    let sum = s.summary();
    assert!(sum.max_jitter_ms.unwrap() < 1e-9, "{sum:?}");
    assert_eq!((sum.expected, sum.lost), (100, 0));
}

#[test]
fn a_packet_of_another_type_is_not_compared_with_the_stream() {
    // PCMA at 8000 Hz with one DTMF event (PT 101) whose timestamp is far from the audio's.
    let mut s = StreamStats::new(1, 8);
    for i in 0..100u16 {
        let (pt, ts) = if i == 40 {
            (101, 5_000)
        } else {
            (8, u32::from(i) * 160)
        };
        s.packet_of_type(pt, i, ts, i64::from(i) * 20_000_000, Some(8000));
    }
    let sum = s.summary();
    assert!(sum.max_jitter_ms.unwrap() < 1e-9, "{sum:?}");
    assert_eq!(sum.packets, 100);
}
