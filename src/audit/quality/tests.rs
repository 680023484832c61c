//! Tests of the quality rules on stream figures built packet by packet.

use super::*;
use crate::media::StreamStats;

/// A stream of `n` packets 20 ms apart (8000 Hz), without the sequence numbers in `lost`.
fn summary(ssrc: u32, n: u16, lost: &[u16], jitter_every: Option<u16>) -> StreamSummary {
    let mut s = StreamStats::new(ssrc, 0);
    for seq in 0..n {
        if lost.contains(&seq) {
            continue;
        }
        let late = jitter_every.is_some_and(|k| seq % k == 0);
        let arrival = i64::from(seq) * 20_000_000 + if late { 60_000_000 } else { 0 };
        s.packet(seq, u32::from(seq) * 160, arrival, Some(8000));
    }
    s.summary()
}

fn stream(
    direction: Direction,
    path: ObservedPath,
    summary: StreamSummary,
    dscp: u64,
) -> StreamQuality {
    StreamQuality {
        direction,
        path: Some(path),
        clock_rate_source: None,
        summary,
        dscp,
    }
}

fn media(class: Option<MediaClass>, streams: Vec<StreamQuality>) -> FlowMedia {
    FlowMedia {
        class,
        streams,
        rtcp: Vec::new(),
    }
}

const EF: u64 = 1 << 46;
const CS0: u64 = 1;

#[test]
fn clean_streams_have_no_finding() {
    let m = media(
        Some(MediaClass::Audio),
        vec![
            stream(
                Direction::Forward,
                ObservedPath::Expressroute,
                summary(1, 500, &[], None),
                EF,
            ),
            stream(
                Direction::Reverse,
                ObservedPath::Expressroute,
                summary(2, 500, &[], None),
                EF,
            ),
        ],
    );
    assert!(issues(&m, &Quality::default()).is_empty());
}

#[test]
fn loss_above_the_target_names_the_stream_and_window() {
    // 3 of 500 lost (0.6 %) in one 10 s window: above 0.1 %.
    let m = media(
        None,
        vec![stream(
            Direction::Reverse,
            ObservedPath::Internet,
            summary(9, 500, &[100, 101, 102], None),
            CS0,
        )],
    );
    let found = issues(&m, &Quality::default());
    let [QualityIssue::Loss {
        direction,
        ssrc,
        window,
        max_burst_lost,
        ..
    }] = found.as_slice()
    else {
        panic!("one loss: {found:?}")
    };
    assert_eq!(
        (*direction, *ssrc, *max_burst_lost),
        (Direction::Reverse, 9, 3)
    );
    assert_eq!((window.expected, window.lost), (500, 3));
    // Looser thresholds let it pass: the window's, then the burst's (3 in a row of the 10
    // packets due in 200 ms is 30 %).
    let loose = Quality {
        max_loss_percent: 1.0,
        ..Quality::default()
    };
    let found = issues(&m, &loose);
    assert!(
        matches!(found.as_slice(), [QualityIssue::Burst { lost: 3, due, .. }] if (*due - 10.0).abs() < 0.1),
        "{found:?}"
    );
    let looser = Quality {
        max_loss_percent: 1.0,
        max_burst_loss_percent: 30.0,
        ..Quality::default()
    };
    assert!(issues(&m, &looser).is_empty());
}

#[test]
fn a_short_window_is_not_judged() {
    let m = media(
        None,
        vec![stream(
            Direction::Forward,
            ObservedPath::Internet,
            summary(9, 30, &[10], None),
            CS0,
        )],
    );
    assert!(issues(&m, &Quality::default()).is_empty());
}

#[test]
fn jitter_above_the_target() {
    // Every 5th packet 60 ms late: jitter well above 15 ms.
    let m = media(
        None,
        vec![stream(
            Direction::Forward,
            ObservedPath::Expressroute,
            summary(4, 500, &[], Some(5)),
            EF,
        )],
    );
    let found = issues(&m, &Quality::default());
    assert!(
        matches!(found.as_slice(), [QualityIssue::Jitter { max_jitter_ms, .. }] if *max_jitter_ms > 15.0),
        "{found:?}"
    );
}

#[test]
fn ef_out_and_zero_back_on_expressroute_is_not_preserved() {
    let m = media(
        Some(MediaClass::Audio),
        vec![
            stream(
                Direction::Forward,
                ObservedPath::Expressroute,
                summary(1, 100, &[], None),
                EF,
            ),
            stream(
                Direction::Reverse,
                ObservedPath::Expressroute,
                summary(2, 100, &[], None),
                CS0,
            ),
        ],
    );
    let found = issues(&m, &Quality::default());
    assert_eq!(
        found,
        vec![QualityIssue::DscpNotPreserved {
            direction: Direction::Reverse,
            class: Some(MediaClass::Audio),
            expected: 46,
            seen: CS0,
        }]
    );
}

#[test]
fn the_other_directions_mark_is_expected_without_a_class() {
    let m = media(
        None,
        vec![
            stream(
                Direction::Forward,
                ObservedPath::Expressroute,
                summary(1, 100, &[], None),
                1 << 34,
            ),
            stream(
                Direction::Reverse,
                ObservedPath::Expressroute,
                summary(2, 100, &[], None),
                (1 << 34) | CS0,
            ),
        ],
    );
    let found = issues(&m, &Quality::default());
    assert!(
        matches!(
            found.as_slice(),
            [QualityIssue::DscpNotPreserved {
                direction: Direction::Reverse,
                expected: 34,
                ..
            }]
        ),
        "{found:?}"
    );
}

#[test]
fn re_marking_on_the_internet_is_no_finding() {
    let m = media(
        Some(MediaClass::Audio),
        vec![
            stream(
                Direction::Forward,
                ObservedPath::Internet,
                summary(1, 100, &[], None),
                EF,
            ),
            stream(
                Direction::Reverse,
                ObservedPath::Internet,
                summary(2, 100, &[], None),
                CS0,
            ),
        ],
    );
    assert!(issues(&m, &Quality::default()).is_empty());
}

#[test]
fn never_marked_on_expressroute_is_unmarked() {
    let m = media(
        Some(MediaClass::Video),
        vec![
            stream(
                Direction::Forward,
                ObservedPath::Expressroute,
                summary(1, 100, &[], None),
                CS0,
            ),
            stream(
                Direction::Reverse,
                ObservedPath::Expressroute,
                summary(2, 100, &[], None),
                CS0,
            ),
        ],
    );
    let found = issues(&m, &Quality::default());
    assert_eq!(
        found,
        vec![QualityIssue::DscpUnmarked {
            direction: Direction::Forward,
            class: Some(MediaClass::Video),
        }]
    );
    // Unmarked over the Internet only: nothing to say.
    let internet = media(
        None,
        vec![stream(
            Direction::Forward,
            ObservedPath::Internet,
            summary(1, 100, &[], None),
            CS0,
        )],
    );
    assert!(issues(&internet, &Quality::default()).is_empty());
}

#[test]
fn reordering_above_the_target() {
    let mut s = StreamStats::new(5, 0);
    for (i, seq) in (0..200u16)
        .map(|i| {
            if i == 50 {
                51
            } else if i == 51 {
                50
            } else {
                i
            }
        })
        .enumerate()
    {
        s.packet(seq, u32::from(seq) * 160, i as i64 * 20_000_000, Some(8000));
    }
    let m = media(
        None,
        vec![stream(
            Direction::Forward,
            ObservedPath::Internet,
            s.summary(),
            CS0,
        )],
    );
    let found = issues(&m, &Quality::default());
    assert_eq!(
        found,
        vec![QualityIssue::Reorder {
            direction: Direction::Forward,
            path: Some(ObservedPath::Internet),
            ssrc: 5,
            reordered: 1,
            packets: 200,
            max_percent: 0.01,
        }]
    );
    let loose = Quality {
        max_reorder_percent: 1.0,
        ..Quality::default()
    };
    assert!(issues(&m, &loose).is_empty());
}

#[test]
fn round_trip_above_the_target() {
    let rtcp = |max_rtt_ms| RtcpQuality {
        direction: Direction::Reverse,
        source_ssrc: 7,
        reporter_ssrc: 8,
        reports: 3,
        fraction_lost: 0.0,
        max_fraction_lost: 0.0,
        cumulative_lost: 0,
        jitter_ms: None,
        max_jitter_ms: None,
        rtt_ms: max_rtt_ms,
        max_rtt_ms,
    };
    let mut m = media(None, Vec::new());
    m.rtcp = vec![rtcp(Some(80.0))];
    assert_eq!(
        issues(&m, &Quality::default()),
        vec![QualityIssue::Rtt {
            direction: Direction::Reverse,
            ssrc: 7,
            max_rtt_ms: 80.0,
            target_ms: 60.0,
        }]
    );
    m.rtcp = vec![rtcp(Some(40.0)), rtcp(None)];
    assert!(issues(&m, &Quality::default()).is_empty());
}
