//! RTP and RTCP's per-flow state: the SSRC runs that confirm a media stream, the RTCP packets
//! seen, the SSRCs and payload types kept as evidence, and each confirmed stream's quality
//! (`media::StreamStats`) and RTCP report figures.

use super::{flag, AppState};
use crate::media::{clock, rtcp as rtcp_reports, StreamStats};
use crate::proto::caps::{
    push_capped, MAX_MEDIA_STREAMS, MAX_PAYLOAD_TYPES, MAX_RTCP_SOURCES, MAX_SSRCS,
};
use crate::proto::rtp;

/// Consecutive packets of one SSRC, sequence advancing by 1..=`RTP_MAX_SEQ_STEP`, needed
/// before a flow is called RTP: one 0x80 byte is not media, a stream is (RFC 3550 §A.1 keeps a
/// source on probation the same way).
pub const RTP_MIN_RUN: u8 = 4;
pub const RTP_MAX_SEQ_STEP: u16 = 16;

/// One SSRC being followed: its last sequence number, how long its run is, and how many
/// sequence numbers the run skipped (each step is at most `RTP_MAX_SEQ_STEP`, so at most 45
/// before the run confirms): with them the stream that the run confirms counts its first
/// packets exactly. The payload type is the confirming packet's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RtpSlot {
    ssrc: u32,
    seq: u16,
    run: u8,
    skipped: u8,
}

/// When and how one packet arrived: what stream analysis needs besides its bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Arrival {
    pub ts_ns: i64,
    /// The DS field of its IP header (0..=63).
    pub dscp: u8,
}

/// One RTP stream of a flow: one SSRC sent by one side, its figures and the DSCP values its
/// packets carried (bit n: DSCP n seen).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MediaStream {
    pub side: u8,
    pub stats: StreamStats,
    pub dscp_seen: u64,
}

/// What one side's RTCP reports said about one source (RFC 3550 §6.4): the last report
/// block's figures and the worst ones, and the round trip from LSR/DLSR (`media::rtcp::rtt_ms`,
/// with the capture time as the arrival time A).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RtcpSource {
    /// The side that sent the reports.
    pub side: u8,
    pub source_ssrc: u32,
    pub reporter_ssrc: u32,
    pub reports: u32,
    pub fraction_lost: f64,
    pub max_fraction_lost: f64,
    /// Cumulative lost as last reported (24-bit signed: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Interarrival jitter as last reported and its largest value, in timestamp units.
    pub jitter_ticks: u32,
    pub max_jitter_ticks: u32,
    pub rtt_ms: Option<f64>,
    pub max_rtt_ms: Option<f64>,
}

/// Kept inline, for every flow.
#[derive(Clone, Debug, Default)]
pub(super) struct RtpState {
    /// Two SSRC tracking slots per side.
    slots: [[RtpSlot; 2]; 2],
    /// Sender SSRC of the last RTCP packet.
    rtcp_ssrc: u32,
    pub(super) rtcp_packets: u16,
    /// The figures of the flow's media, allocated by the first confirmed stream or RTCP
    /// report. Here rather than in `Heavy`: a media packet then reaches its stream through
    /// one pointer from the flow (through `Heavy` and a vector it took three: +11 % on the
    /// whole one-thread run of `benches/compare.sh`, where 87 % of packets are RTP).
    pub(super) media: Option<Box<RtpMedia>>,
}

/// RTP's part of `Heavy`: the confirmed streams.
#[derive(Clone, Debug, Default)]
pub(super) struct RtpHeavy {
    /// (side, SSRC), in the order confirmed.
    pub(super) ssrcs: Vec<(u8, u32)>,
    pub(super) payload_types: Vec<u8>,
}

/// The figures of a flow's media: the streams inline (no second pointer to follow per packet;
/// 1.3 KB per media flow), found by a key array that fits the box's first cache line (the
/// count at the end of the box and the SSRC inside each stream were two more lines per packet).
#[derive(Clone, Debug)]
#[repr(C)]
pub(super) struct RtpMedia {
    stream_count: u8,
    /// `stream_sides[i]`, `stream_ssrcs[i]`: who sent `streams[i]`.
    stream_sides: [u8; MAX_MEDIA_STREAMS],
    stream_ssrcs: [u32; MAX_MEDIA_STREAMS],
    streams: [MediaStream; MAX_MEDIA_STREAMS],
    /// RTCP report figures per (reporting side, source), up to `MAX_RTCP_SOURCES`.
    pub(super) rtcp: Vec<RtcpSource>,
}

impl Default for RtpMedia {
    fn default() -> Self {
        let none = MediaStream {
            side: 0,
            stats: StreamStats::new(0, 0),
            dscp_seen: 0,
        };
        RtpMedia {
            stream_count: 0,
            stream_sides: [0; MAX_MEDIA_STREAMS],
            stream_ssrcs: [0; MAX_MEDIA_STREAMS],
            streams: [none; MAX_MEDIA_STREAMS],
            rtcp: Vec::new(),
        }
    }
}

impl RtpMedia {
    pub(super) fn streams(&self) -> &[MediaStream] {
        self.streams
            .get(..usize::from(self.stream_count))
            .unwrap_or_default()
    }

    /// The stream of `ssrc` sent by `side`.
    #[inline]
    fn stream_mut(&mut self, side: usize, ssrc: u32) -> Option<&mut MediaStream> {
        let n = usize::from(self.stream_count);
        let i = self
            .stream_ssrcs
            .iter()
            .zip(&self.stream_sides)
            .take(n)
            .position(|(&s, &d)| s == ssrc && usize::from(d) == side)?;
        self.streams.get_mut(i)
    }

    /// Adds a stream; false when `MAX_MEDIA_STREAMS` are kept already.
    fn push(&mut self, stream: MediaStream) -> bool {
        let n = usize::from(self.stream_count);
        let (Some(slot), Some(side), Some(ssrc)) = (
            self.streams.get_mut(n),
            self.stream_sides.get_mut(n),
            self.stream_ssrcs.get_mut(n),
        ) else {
            return false;
        };
        *slot = stream;
        *side = stream.side;
        *ssrc = stream.stats.ssrc();
        self.stream_count += 1;
        true
    }

    fn merge(&mut self, other: &RtpMedia, caps: &mut u32) {
        for o in other.streams() {
            if let Some(s) = self.stream_mut(usize::from(o.side), o.stats.ssrc()) {
                s.stats.merge(&o.stats);
                s.dscp_seen |= o.dscp_seen;
            } else if !self.push(*o) {
                *caps = caps.saturating_add(1);
            }
        }
        for o in &other.rtcp {
            self.add_rtcp(o, caps);
        }
    }

    /// Folds `reports` into the figures of its side and source, or adds them (counted in
    /// `caps` when `MAX_RTCP_SOURCES` are kept already).
    fn add_rtcp(&mut self, reports: &RtcpSource, caps: &mut u32) {
        let same =
            |r: &&mut RtcpSource| r.side == reports.side && r.source_ssrc == reports.source_ssrc;
        if let Some(r) = self.rtcp.iter_mut().find(same) {
            r.merge(reports);
        } else if self.rtcp.len() < MAX_RTCP_SOURCES {
            self.rtcp.push(*reports);
        } else {
            *caps = caps.saturating_add(1);
        }
    }
}

impl RtpState {
    /// Moves the media figures' arrival times by `delta_ns`.
    pub(super) fn shift_time(&mut self, delta_ns: i64) {
        if let Some(m) = self.media.as_deref_mut() {
            let n = usize::from(m.stream_count);
            for s in m.streams.iter_mut().take(n) {
                s.stats.shift_time(delta_ns);
            }
        }
    }

    /// Adds the other copy's RTCP count and media figures; true when both copies saw the same
    /// RTCP sender.
    pub(super) fn merge(&mut self, other: &RtpState, caps: &mut u32) -> bool {
        let repeat =
            other.rtcp_packets > 0 && self.rtcp_packets > 0 && other.rtcp_ssrc == self.rtcp_ssrc;
        if self.rtcp_packets == 0 {
            self.rtcp_ssrc = other.rtcp_ssrc;
        }
        self.rtcp_packets = self.rtcp_packets.saturating_add(other.rtcp_packets);
        if let Some(om) = other.media.as_deref() {
            self.media.get_or_insert_default().merge(om, caps);
        }
        repeat
    }

    pub(super) fn shrink(&mut self) {
        if let Some(m) = &mut self.media {
            m.rtcp.shrink_to_fit();
        }
    }
}

impl RtpHeavy {
    pub(super) fn merge(&mut self, other: &RtpHeavy, caps: &mut u32) {
        for s in &other.ssrcs {
            push_capped(&mut self.ssrcs, *s, MAX_SSRCS, caps);
        }
        for p in &other.payload_types {
            push_capped(&mut self.payload_types, *p, MAX_PAYLOAD_TYPES, caps);
        }
    }

    pub(super) fn shrink(&mut self) {
        self.ssrcs.shrink_to_fit();
        self.payload_types.shrink_to_fit();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ssrcs.is_empty() && self.payload_types.is_empty()
    }
}

impl RtcpSource {
    /// The figures of one report block sent by `side`, with the round trip it gave.
    fn of_block(side: u8, b: &rtcp_reports::ReportBlock, rtt_ms: Option<f64>) -> RtcpSource {
        RtcpSource {
            side,
            source_ssrc: b.source_ssrc,
            reporter_ssrc: b.reporter_ssrc,
            reports: 1,
            fraction_lost: b.fraction_lost,
            max_fraction_lost: b.fraction_lost,
            cumulative_lost: b.cumulative_lost,
            jitter_ticks: b.jitter_ticks,
            max_jitter_ticks: b.jitter_ticks,
            rtt_ms,
            max_rtt_ms: rtt_ms,
        }
    }

    /// Folds in later reports about the same source (the next block, or another copy of the
    /// flow): the counts add, the worst figures are the worse, the last ones are `other`'s
    /// when it saw any (its round trip only when it had one).
    fn merge(&mut self, other: &RtcpSource) {
        self.reports = self.reports.saturating_add(other.reports);
        self.max_fraction_lost = self.max_fraction_lost.max(other.max_fraction_lost);
        self.max_jitter_ticks = self.max_jitter_ticks.max(other.max_jitter_ticks);
        self.max_rtt_ms = match (self.max_rtt_ms, other.max_rtt_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if other.reports > 0 {
            self.reporter_ssrc = other.reporter_ssrc;
            self.fraction_lost = other.fraction_lost;
            self.cumulative_lost = other.cumulative_lost;
            self.jitter_ticks = other.jitter_ticks;
            self.rtt_ms = other.rtt_ms.or(self.rtt_ms);
        }
    }
}

impl AppState {
    /// A stream was confirmed.
    #[inline]
    pub(super) fn is_rtp(&self) -> bool {
        self.has(flag::RTP)
    }

    /// RTCP alone: two packets or more, and an exact compound or one sender SSRC seen twice.
    #[inline]
    pub(super) fn is_rtcp(&self) -> bool {
        self.rtp.rtcp_packets >= 2 && self.has(flag::RTCP_COMPOUND | flag::RTCP_REPEAT)
    }

    /// RTP or RTCP, told apart by RFC 5761 §4's payload type rule.
    pub(super) fn rtp_or_rtcp(&mut self, side: usize, d: &[u8], at: Arrival) -> bool {
        if d.get(1).is_some_and(|b| rtp::is_rtcp_pt(*b)) {
            self.rtcp(side, d, at)
        } else {
            self.rtp_track(side, d, at)
        }
    }

    /// RFC 4571 RTP/RTCP over TCP.
    pub(super) fn rtp_over_tcp(&mut self, side: usize, d: &[u8], at: Arrival) -> bool {
        let mut frames: [&[u8]; 8] = [&[]; 8];
        let mut n = 0;
        rtp::walk_rfc4571(d, |f| {
            if let Some(slot) = frames.get_mut(n) {
                *slot = f;
                n += 1;
            }
        });
        let mut any = false;
        for f in frames.iter().take(n) {
            any |= self.rtp_or_rtcp(side, f, at);
        }
        any
    }

    /// One RTP packet. A packet of a confirmed stream goes to that stream's figures. Otherwise
    /// its SSRC's run is followed; the run that reaches `RTP_MIN_RUN` confirms a stream: its
    /// SSRC and payload type are kept, and its figures start with the run's packets (counted
    /// exactly; their timing is not known, so jitter starts at the confirming packet).
    pub(super) fn rtp_track(&mut self, side: usize, d: &[u8], at: Arrival) -> bool {
        let Some(h) = rtp::parse_rtp(d) else {
            return false;
        };
        if self.has(flag::RTP) {
            if let Some(m) = self
                .rtp
                .media
                .as_deref_mut()
                .and_then(|media| media.stream_mut(side, h.ssrc))
            {
                let rate = clock::static_clock_rate(h.payload_type);
                m.stats
                    .packet_of_type(h.payload_type, h.seq, h.timestamp, at.ts_ns, rate);
                m.dscp_seen |= 1u64 << (at.dscp & 63);
                return true;
            }
        }
        let Some(slots) = self.rtp.slots.get_mut(side) else {
            return false;
        };
        let mut confirmed = None;
        if let Some(s) = slots.iter_mut().find(|s| s.run > 0 && s.ssrc == h.ssrc) {
            let step = h.seq.wrapping_sub(s.seq);
            if (1..=RTP_MAX_SEQ_STEP).contains(&step) {
                s.seq = h.seq;
                // `step - 1` <= 15, three steps before the run confirms: no overflow.
                s.skipped = s.skipped.saturating_add((step - 1) as u8);
                let before = s.run;
                s.run = s.run.saturating_add(1);
                if before < RTP_MIN_RUN && s.run >= RTP_MIN_RUN {
                    confirmed = Some(*s);
                }
            } else if step != 0 && step < 0x8000 {
                // A jump forward: restart the run from here.
                s.seq = h.seq;
                s.run = 1;
                s.skipped = 0;
            }
        } else if let Some(s) = slots.iter_mut().min_by_key(|s| s.run) {
            *s = RtpSlot {
                ssrc: h.ssrc,
                seq: h.seq,
                run: 1,
                skipped: 0,
            };
        }
        if let Some(s) = confirmed {
            self.flags |= flag::RTP;
            let mut caps = self.counters.caps_hit;
            let hv = &mut self.heavy().rtp;
            push_capped(&mut hv.ssrcs, (side as u8, s.ssrc), MAX_SSRCS, &mut caps);
            push_capped(
                &mut hv.payload_types,
                h.payload_type,
                MAX_PAYLOAD_TYPES,
                &mut caps,
            );
            let stream = MediaStream {
                side: side as u8,
                stats: stream_of_run(&s, &h, at),
                dscp_seen: 1u64 << (at.dscp & 63),
            };
            if !self.rtp.media.get_or_insert_default().push(stream) {
                caps = caps.saturating_add(1);
            }
            self.counters.caps_hit = caps;
        }
        true
    }

    /// One RTCP packet (or compound, RFC 3550 §6.1), its report blocks kept.
    pub(super) fn rtcp(&mut self, side: usize, d: &[u8], at: Arrival) -> bool {
        let Some(c) = rtp::parse_rtcp(d) else {
            return false;
        };
        self.rtcp_reports(side, d, at);
        if self.rtp.rtcp_packets > 0 && c.ssrc == self.rtp.rtcp_ssrc {
            self.flags |= flag::RTCP_REPEAT;
        }
        self.rtp.rtcp_ssrc = c.ssrc;
        if c.exact && c.packets >= 2 {
            self.flags |= flag::RTCP_COMPOUND;
        }
        self.rtp.rtcp_packets = self.rtp.rtcp_packets.saturating_add(1);
        self.message();
        true
    }

    /// The report blocks of one RTCP datagram, into `RtpMedia::rtcp` (allocated only once a
    /// block is seen).
    fn rtcp_reports(&mut self, side: usize, d: &[u8], at: Arrival) {
        let arrival = rtcp_reports::ntp_middle32_of_ns(at.ts_ns);
        let mut caps = self.counters.caps_hit;
        for item in rtcp_reports::reports(d) {
            let rtcp_reports::RtcpItem::ReportBlock(b) = item else {
                continue;
            };
            let rtt = rtcp_reports::rtt_ms(b.lsr, b.dlsr, arrival);
            let one = RtcpSource::of_block(side as u8, &b, rtt);
            self.rtp
                .media
                .get_or_insert_default()
                .add_rtcp(&one, &mut caps);
        }
        self.counters.caps_hit = caps;
    }
}

/// The figures of a stream its probation run just confirmed (`h`, arriving `at`, is the run's
/// last packet): the run's earlier packets are replayed with the sequence numbers they can have
/// had (consecutive, the skipped ones just before `h`) and `h`'s own timing, so the counts are
/// exact and jitter (no difference between packets of the same timing) starts from `h`.
fn stream_of_run(run: &RtpSlot, h: &rtp::RtpHeader, at: Arrival) -> StreamStats {
    let mut stats = StreamStats::new(h.ssrc, h.payload_type);
    let rate = clock::static_clock_rate(h.payload_type);
    let earlier = u16::from(run.run.saturating_sub(1));
    let first = h
        .seq
        .wrapping_sub(earlier)
        .wrapping_sub(u16::from(run.skipped));
    for i in 0..earlier {
        stats.packet(first.wrapping_add(i), h.timestamp, at.ts_ns, rate);
    }
    stats.packet(h.seq, h.timestamp, at.ts_ns, rate);
    stats
}
