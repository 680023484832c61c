//! Media quality and DSCP per flow direction, against the site's `[quality]` thresholds
//! (Microsoft's network targets by default; SPEC "Media quality and DSCP"): each RTP stream's
//! figures with the direction and path it took, the RTCP reports, and the facts behind
//! `media-loss`, `media-jitter`, `media-reorder`, `media-rtt`, `dscp-not-preserved` and
//! `dscp-unmarked`.

use super::code::{Code, Codes};
use super::media_class::{class_of_port, MediaClass};
use super::path::{Direction, ObservedPath, PathPair};
use super::sdp::Announced;
use crate::flow::{FlowKey, FlowState};
use crate::media::{StreamSummary, Window};
use crate::site::Quality;

/// A window needs this many expected packets before its loss is judged: one packet lost of a
/// handful is no rate (an audio stream sends 50 a second).
pub const MIN_WINDOW_PACKETS: u32 = 50;

/// One RTP stream of a flow, as the report shows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamQuality {
    pub direction: Direction,
    pub path: Option<ObservedPath>,
    /// Where `summary.clock_rate` comes from.
    pub clock_rate_source: Option<ClockRateSource>,
    pub summary: StreamSummary,
    /// Bit n: DSCP n seen on the stream's packets.
    pub dscp: u64,
}

/// Where a stream's clock rate comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockRateSource {
    /// The SDP that announced the stream (`a=rtpmap`).
    Sdp,
    /// The static payload type's (RFC 3551).
    Static,
    /// Inferred from how the timestamps advanced against the arrival times.
    Inferred,
}

impl ClockRateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockRateSource::Sdp => "sdp",
            ClockRateSource::Static => "static",
            ClockRateSource::Inferred => "inferred",
        }
    }
}

/// A stream's clock rate against the SDP's for its payload type. The stream measured jitter in
/// the rate it knew as the packets went (static, else inferred): where the SDP gives another
/// one, the SDP's is reported and that jitter, measured in the wrong units, is dropped; where
/// the stream found none, the SDP's is reported (jitter was not measured).
fn reconcile(
    mut s: StreamSummary,
    sdp_rate: Option<u32>,
) -> (StreamSummary, Option<ClockRateSource>) {
    let source = match (s.clock_rate, sdp_rate) {
        (Some(r), Some(sdp)) if r == sdp => Some(ClockRateSource::Sdp),
        (_, Some(sdp)) => {
            s.clock_rate = Some(sdp);
            s.jitter_ms = None;
            s.max_jitter_ms = None;
            s.worst_jitter_window = None;
            Some(ClockRateSource::Sdp)
        }
        (Some(r), None) if crate::media::clock::static_clock_rate(s.payload_type) == Some(r) => {
            Some(ClockRateSource::Static)
        }
        (Some(_), None) => Some(ClockRateSource::Inferred),
        (None, None) => None,
    };
    (s, source)
}

/// What one side's RTCP reports said about one source, in report units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RtcpQuality {
    /// The direction the reports travelled.
    pub direction: Direction,
    pub source_ssrc: u32,
    pub reporter_ssrc: u32,
    pub reports: u32,
    pub fraction_lost: f64,
    pub max_fraction_lost: f64,
    pub cumulative_lost: i32,
    /// Jitter as reported, in ms: needs the clock rate of the reported stream (seen in the
    /// other direction of the flow).
    pub jitter_ms: Option<f64>,
    pub max_jitter_ms: Option<f64>,
    pub rtt_ms: Option<f64>,
    pub max_rtt_ms: Option<f64>,
}

/// A flow's media figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowMedia {
    /// What the flow carries, by the client's media source port or the SDP that announced it.
    pub class: Option<MediaClass>,
    pub streams: Vec<StreamQuality>,
    pub rtcp: Vec<RtcpQuality>,
}

impl FlowMedia {
    /// DSCP values seen on a direction's streams (bit n: value n).
    pub fn dscp(&self, direction: Direction) -> u64 {
        self.streams
            .iter()
            .filter(|s| s.direction == direction)
            .fold(0, |a, s| a | s.dscp)
    }
}

fn direction_of(side: u8, client_side: u8) -> Direction {
    if side == client_side {
        Direction::Forward
    } else {
        Direction::Reverse
    }
}

/// The class of a flow's media: a Teams client's default source port at either end, else the
/// SDP media line that announced either end.
pub fn class_of(key: &FlowKey, announced: &Announced) -> Option<MediaClass> {
    class_of_port(key.a.port)
        .or_else(|| class_of_port(key.b.port))
        .or_else(|| announced.class_of(key.a, key.b))
}

/// The flow's media figures, or None when it has neither an RTP stream nor an RTCP report.
/// `announced` is what the run's SDP said of media endpoints (class, clock rates).
pub fn flow_media(
    state: &FlowState,
    key: &FlowKey,
    client_side: u8,
    path: PathPair,
    announced: &Announced,
) -> Option<FlowMedia> {
    let (streams, rtcp) = state.app.media();
    if streams.is_empty() && rtcp.is_empty() {
        return None;
    }
    let mut streams: Vec<StreamQuality> = streams
        .iter()
        .map(|m| {
            let direction = direction_of(m.side, client_side);
            let summary = m.stats.summary();
            let sdp_rate = announced.clock_rate_of(key.a, key.b, summary.payload_type);
            let (summary, clock_rate_source) = reconcile(summary, sdp_rate);
            StreamQuality {
                direction,
                path: path.get(direction),
                clock_rate_source,
                summary,
                dscp: m.dscp_seen,
            }
        })
        .collect();
    // Forward first, then by first packet: the order a reader follows a call in.
    streams.sort_by_key(|s| (s.direction != Direction::Forward, s.summary.first_ns));
    let rtcp = rtcp
        .iter()
        .map(|r| {
            // The reported stream travels the other way: its clock rate turns ticks into ms.
            let rate = streams
                .iter()
                .find(|s| s.summary.ssrc == r.source_ssrc)
                .and_then(|s| s.summary.clock_rate);
            let ms = |ticks: u32| rate.map(|hz| f64::from(ticks) * 1000.0 / f64::from(hz));
            RtcpQuality {
                direction: direction_of(r.side, client_side),
                source_ssrc: r.source_ssrc,
                reporter_ssrc: r.reporter_ssrc,
                reports: r.reports,
                fraction_lost: r.fraction_lost,
                max_fraction_lost: r.max_fraction_lost,
                cumulative_lost: r.cumulative_lost,
                jitter_ms: ms(r.jitter_ticks),
                max_jitter_ms: ms(r.max_jitter_ticks),
                rtt_ms: r.rtt_ms,
                max_rtt_ms: r.max_rtt_ms,
            }
        })
        .collect();
    Some(FlowMedia {
        class: class_of(key, announced),
        streams,
        rtcp,
    })
}

/// The facts of a quality finding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QualityIssue {
    /// `media-loss`: the stream's worst window lost more than the target.
    Loss {
        direction: Direction,
        path: Option<ObservedPath>,
        ssrc: u32,
        window: Window,
        window_s: u32,
        max_percent: f64,
        /// The stream's whole figures, for the message.
        lost: u32,
        expected: u32,
        max_burst_lost: u32,
    },
    /// `media-loss` by a burst: more of the packets due in 200 ms of the stream were lost in a
    /// row than the burst target allows.
    Burst {
        direction: Direction,
        path: Option<ObservedPath>,
        ssrc: u32,
        lost: u32,
        /// Packets the stream sends in 200 ms, from its rate.
        due: f64,
        max_percent: f64,
    },
    /// `media-reorder`: the stream's share of packets arriving out of order.
    Reorder {
        direction: Direction,
        path: Option<ObservedPath>,
        ssrc: u32,
        reordered: u32,
        packets: u32,
        max_percent: f64,
    },
    /// `media-rtt`: the round trip RTCP's LSR/DLSR gave, above the target.
    Rtt {
        /// The direction the reports travelled.
        direction: Direction,
        ssrc: u32,
        max_rtt_ms: f64,
        target_ms: f64,
    },
    /// `media-jitter`: the stream's jitter estimate went above the target.
    Jitter {
        direction: Direction,
        path: Option<ObservedPath>,
        ssrc: u32,
        /// Start of the window the largest estimate was in.
        window_start_ns: i64,
        window_s: u32,
        max_jitter_ms: f64,
        target_ms: f64,
    },
    /// `dscp-not-preserved`: the direction on ExpressRoute carried `seen`, not (only) the
    /// `expected` mark that its class or the other direction carries.
    DscpNotPreserved {
        direction: Direction,
        class: Option<MediaClass>,
        expected: u8,
        seen: u64,
    },
    /// `dscp-unmarked`: media on ExpressRoute whose packets never carried a mark.
    DscpUnmarked {
        direction: Direction,
        class: Option<MediaClass>,
    },
}

impl QualityIssue {
    pub fn code(&self) -> Code {
        match self {
            QualityIssue::Loss { .. } | QualityIssue::Burst { .. } => Code::MediaLoss,
            QualityIssue::Reorder { .. } => Code::MediaReorder,
            QualityIssue::Rtt { .. } => Code::MediaRtt,
            QualityIssue::Jitter { .. } => Code::MediaJitter,
            QualityIssue::DscpNotPreserved { .. } => Code::DscpNotPreserved,
            QualityIssue::DscpUnmarked { .. } => Code::DscpUnmarked,
        }
    }
}

/// A window's loss, in percent.
pub fn loss_percent(lost: u32, expected: u32) -> f64 {
    if expected == 0 {
        0.0
    } else {
        f64::from(lost) * 100.0 / f64::from(expected)
    }
}

/// The quality findings of a flow's media, at most one per code (the worst stream's for loss
/// and jitter, the first direction's for DSCP).
pub fn issues(media: &FlowMedia, q: &Quality) -> Vec<QualityIssue> {
    let mut out = Vec::new();
    let worst_loss = media
        .streams
        .iter()
        .filter_map(|s| Some((s, s.summary.worst_loss_window?)))
        .filter(|(_, w)| w.expected >= MIN_WINDOW_PACKETS)
        .filter(|(_, w)| loss_percent(w.lost, w.expected) > q.max_loss_percent)
        .max_by(|(_, a), (_, b)| {
            loss_percent(a.lost, a.expected).total_cmp(&loss_percent(b.lost, b.expected))
        });
    if let Some((s, window)) = worst_loss {
        out.push(QualityIssue::Loss {
            direction: s.direction,
            path: s.path,
            ssrc: s.summary.ssrc,
            window,
            window_s: q.window_s,
            max_percent: q.max_loss_percent,
            lost: s.summary.lost,
            expected: s.summary.expected,
            max_burst_lost: s.summary.max_burst_lost,
        });
    } else if let Some(issue) = burst_issue(media, q) {
        out.push(issue);
    }
    let worst_reorder = media
        .streams
        .iter()
        .filter(|s| loss_percent(s.summary.reordered, s.summary.packets) > q.max_reorder_percent)
        .max_by(|a, b| {
            let share = |s: &StreamQuality| loss_percent(s.summary.reordered, s.summary.packets);
            share(a).total_cmp(&share(b))
        });
    if let Some(s) = worst_reorder {
        out.push(QualityIssue::Reorder {
            direction: s.direction,
            path: s.path,
            ssrc: s.summary.ssrc,
            reordered: s.summary.reordered,
            packets: s.summary.packets,
            max_percent: q.max_reorder_percent,
        });
    }
    let worst_rtt = media
        .rtcp
        .iter()
        .filter_map(|r| Some((r, r.max_rtt_ms?)))
        .filter(|(_, rtt)| *rtt > q.max_rtt_ms)
        .max_by(|(_, a), (_, b)| a.total_cmp(b));
    if let Some((r, rtt)) = worst_rtt {
        out.push(QualityIssue::Rtt {
            direction: r.direction,
            ssrc: r.source_ssrc,
            max_rtt_ms: rtt,
            target_ms: q.max_rtt_ms,
        });
    }
    let worst_jitter = media
        .streams
        .iter()
        .filter_map(|s| Some((s, s.summary.worst_jitter_window?)))
        .filter(|(_, w)| w.max_jitter_ms > q.max_jitter_ms)
        .max_by(|(_, a), (_, b)| a.max_jitter_ms.total_cmp(&b.max_jitter_ms));
    if let Some((s, w)) = worst_jitter {
        out.push(QualityIssue::Jitter {
            direction: s.direction,
            path: s.path,
            ssrc: s.summary.ssrc,
            window_start_ns: w.start_ns,
            window_s: q.window_s,
            max_jitter_ms: w.max_jitter_ms,
            target_ms: q.max_jitter_ms,
        });
    }
    if let Some(issue) = dscp_issue(media) {
        out.push(issue);
    }
    out
}

/// The worst burst against Microsoft's "burst loss < 1 % in any 200 ms": the longest run of
/// packets lost within 200 ms of media time (late packets that filled it not counted) over the
/// packets the stream sends in 200 ms (its expected count over its duration).
fn burst_issue(media: &FlowMedia, q: &Quality) -> Option<QualityIssue> {
    let due_in_200ms = |s: &StreamSummary| {
        let seconds = s.last_ns.saturating_sub(s.first_ns) as f64 / 1e9;
        (seconds >= 1.0).then(|| f64::from(s.expected) / seconds * 0.2)
    };
    media
        .streams
        .iter()
        .filter_map(|s| {
            let lost = s.summary.max_burst_lost_200ms.min(s.summary.max_burst_lost);
            let due = due_in_200ms(&s.summary)?;
            let percent = f64::from(lost) * 100.0 / due.max(1.0);
            (lost > 0 && percent > q.max_burst_loss_percent).then_some((s, lost, due, percent))
        })
        .max_by(|a, b| a.3.total_cmp(&b.3))
        .map(|(s, lost, due, _)| QualityIssue::Burst {
            direction: s.direction,
            path: s.path,
            ssrc: s.summary.ssrc,
            lost,
            due,
            max_percent: q.max_burst_loss_percent,
        })
}

/// Only DSCP `value` is set in `marks`.
fn only(marks: u64, value: u8) -> bool {
    marks == 1u64 << (value & 63)
}

/// `dscp-not-preserved` or `dscp-unmarked` for a flow's directions on ExpressRoute, which
/// preserves DSCP (FACTS.md): the mark a direction should carry is its class's, else the one
/// Teams mark (EF, AF41, AF21) the other direction carries alone.
fn dscp_issue(media: &FlowMedia) -> Option<QualityIssue> {
    let on_er = |d: Direction| {
        media
            .streams
            .iter()
            .any(|s| s.direction == d && s.path == Some(ObservedPath::Expressroute))
    };
    let directions = [Direction::Forward, Direction::Reverse];
    let marks = |d: Direction| media.dscp(d);
    let other = |d: Direction| match d {
        Direction::Forward => Direction::Reverse,
        Direction::Reverse => Direction::Forward,
    };
    let teams_mark = |m: u64| [46u8, 34, 18].into_iter().find(|&v| only(m, v));
    for d in directions {
        if !on_er(d) {
            continue;
        }
        let seen = marks(d);
        let expected = media
            .class
            .map(MediaClass::expected_dscp)
            .or_else(|| teams_mark(marks(other(d))));
        let Some(expected) = expected else {
            continue;
        };
        // Marked as expected somewhere (the other direction, or this one on part of its
        // packets): what this direction carries otherwise was changed on the way.
        let carried_elsewhere =
            marks(other(d)) & (1u64 << expected) != 0 || seen & (1u64 << expected) != 0;
        if carried_elsewhere && seen != 0 && !only(seen, expected) {
            return Some(QualityIssue::DscpNotPreserved {
                direction: d,
                class: media.class,
                expected,
                seen,
            });
        }
    }
    // Never marked at all, any direction on ExpressRoute.
    let er = directions.into_iter().find(|&d| on_er(d))?;
    // Bit 0 is DSCP 0 (default forwarding): every packet sets one bit.
    let any_mark = directions.iter().any(|&d| marks(d) & !1 != 0);
    (!any_mark).then_some(QualityIssue::DscpUnmarked {
        direction: er,
        class: media.class,
    })
}

/// The quality codes of a flow.
pub fn codes(media: &FlowMedia, q: &Quality) -> Codes {
    let mut codes = Codes::default();
    for i in issues(media, q) {
        codes.insert(i.code());
    }
    codes
}

/// The facts behind a flow's `code`, one of the quality codes.
pub fn issue_of(media: &FlowMedia, q: &Quality, code: Code) -> Option<QualityIssue> {
    issues(media, q).into_iter().find(|i| i.code() == code)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
