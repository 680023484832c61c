//! One RTP stream (one SSRC in one direction): sequence accounting (RFC 3550 A.1), loss,
//! duplicates and reordering (A.3), the longest loss burst, interarrival jitter (A.8) and the
//! worst 15-second windows, in a fixed 128-byte `StreamStats` updated per packet without
//! allocation or division.
//!
//! Choices beyond the RFC (each one documented where it is made):
//! - Probation (A.1, `MIN_SEQUENTIAL` = 2): the two sequential packets that validate a source
//!   are both counted, and the base is the first of them (the RFC's `init_seq` counts only the
//!   second). Packets a probation restart drops are `discarded`.
//! - Restart (A.1, two sequential packets after a jump): the RFC's `init_seq` forgets what
//!   came before; here the segments add up (`expected` and `lost` are sums over segments) and
//!   the first packet of the pair, which A.1 drops, is counted.
//! - A late packet older than the base (within `MAX_MISORDER` of the highest, not a
//!   duplicate) lowers the base: the stream began earlier than we saw, so `expected` grows with
//!   it and `lost` never goes negative through it (A.3's `received` would exceed `expected`).
//! - Duplicates are detected exactly: a 128-bit map of the sequence numbers up to 127 behind
//!   the highest covers `MAX_MISORDER` (100); a duplicate counts in `duplicates`, not in the
//!   received count that loss is computed from.

use super::clock;

/// RFC 3550 A.1.
const RTP_SEQ_MOD: u32 = 1 << 16;
/// RFC 3550 A.1: a forward jump of at least this many is a possible restart.
const MAX_DROPOUT: u16 = 3000;
/// RFC 3550 A.1: a packet at most this many behind the highest is late, not a restart.
const MAX_MISORDER: u16 = 100;
/// The sequence-number map's width (`MAX_MISORDER` < `MAP_BITS`, so duplicate detection is
/// exact for every packet A.1 accepts as late).
const MAP_BITS: u32 = 128;

/// The length of a quality window (Microsoft's targets are "in any 15 s").
pub const WINDOW_NS: i64 = 15_000_000_000;
/// The media time a burst is measured over (Microsoft's "in any 200 ms"), in seconds.
pub const BURST_S: f64 = 0.2;

/// A transit time change (RFC 3550 A.8's D) above this many seconds is a timestamp
/// discontinuity, not jitter: no jitter buffer spans it.
const MAX_TRANSIT_CHANGE_S: f64 = 2.0;

/// `flags` bits.
const STARTED: u8 = 1;
/// Probation over: the source is valid (A.1). Before it, one packet is pending.
const VALID: u8 = 2;
/// `bad_seq` holds the sequence number a restart expects next (A.1).
const BAD_SEQ: u8 = 4;
/// `prev_arrival_ns` / `prev_ts` hold the previous in-order packet (clock rate known) or the
/// inference anchor (rate unknown).
const CHAIN: u8 = 8;
/// At least one jitter update happened.
const JITTER: u8 = 16;
/// At least one jitter update happened in the current window.
const WIN_JITTER: u8 = 32;
/// `worst_jitter` / `worst_jitter_window` hold a closed window.
const WORST_JITTER: u8 = 64;

/// One RTP stream's state. Fixed size (128 bytes), `Copy`, no heap.
///
/// Sequence numbers are kept extended (cycles in the high 16 bits, RFC 3550 A.1) and all
/// extended arithmetic wraps modulo 2^32: `base` is virtual, `expected = ext_max - base + 1`,
/// and earlier segments (restarts, merges) are folded into it by moving it back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamStats {
    first_ns: i64,
    last_ns: i64,
    /// Arrival of the previous in-order packet (or the inference anchor).
    prev_arrival_ns: i64,
    /// Bit i: extended sequence number `ext_max - i` was received (i < `valid`).
    seen: u128,
    ssrc: u32,
    /// 0: not known yet.
    clock_rate: u32,
    ext_max: u32,
    /// Valid: the virtual base (see the type's doc). Before: the expected count of earlier
    /// segments (merges), folded in when the source validates.
    base: u32,
    /// Packets counted by sequence accounting (A.3's `received`, without duplicates).
    counted: u32,
    packets: u32,
    duplicates: u32,
    reordered: u32,
    /// RTP timestamp of the previous in-order packet (or the inference anchor).
    prev_ts: u32,
    /// A.8's J, in timestamp units.
    jitter: f32,
    max_jitter: f32,
    /// The current window's largest J.
    win_jitter: f32,
    /// `expected()` and `counted` when the current window opened.
    win_expected0: u32,
    win_counted0: u32,
    /// The worst closed window by loss: expected, lost (expected 0: none yet).
    worst_expected: u32,
    worst_lost: u32,
    worst_jitter: f32,
    bad_seq: u16,
    /// Missing sequence numbers in a row at the edge of `seen` (final ones only).
    run: u16,
    max_burst: u16,
    max_burst_200ms: u16,
    /// Windows are numbered from the first packet: window n starts at `first_ns + n * WINDOW_NS`.
    window: u16,
    worst_loss_window: u16,
    worst_jitter_window: u16,
    payload_type: u8,
    flags: u8,
    /// How many low bits of `seen` belong to the current segment (1..=128).
    valid: u8,
    /// The payload type of the jitter chain's packets: a packet of another type (DTMF events,
    /// comfort noise, a codec switch) starts a new chain rather than being compared with them.
    chain_pt: u8,
}

/// A 15-second window's loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start_ns: i64,
    pub expected: u32,
    pub lost: u32,
}

/// A 15-second window's largest jitter estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JitterWindow {
    pub start_ns: i64,
    pub max_jitter_ms: f64,
}

/// What a stream's figures are at the end (`StreamStats::summary`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamSummary {
    pub ssrc: u32,
    pub payload_type: u8,
    pub clock_rate: Option<u32>,
    /// Every packet handed to `packet` (received on the wire).
    pub packets: u32,
    /// Sequence numbers the stream spanned (RFC 3550 A.3, summed over restarts).
    pub expected: u32,
    /// `expected` minus the distinct packets counted in it; never negative.
    pub lost: u32,
    /// Packets whose sequence number was already received (within the last 128).
    pub duplicates: u32,
    /// Packets older than the highest received, not duplicates.
    pub reordered: u32,
    /// Packets A.1 does not count: a big jump not confirmed by its successor, packets a
    /// probation restart dropped, and a stream that never validated.
    /// `packets == expected - lost + duplicates + discarded`.
    pub discarded: u32,
    /// RFC 3550 A.8's estimate after the last packet, in ms (`None` before the clock rate is
    /// known and two in-order packets followed).
    pub jitter_ms: Option<f64>,
    /// The estimate's largest value over the stream.
    pub max_jitter_ms: Option<f64>,
    /// The longest run of consecutive missing sequence numbers, late packets filled in.
    pub max_burst_lost: u32,
    /// The largest forward gap (packets missing between two in-order packets) whose missing
    /// packets fall within 200 ms of media time (see `StreamStats::packet`).
    pub max_burst_lost_200ms: u32,
    pub first_ns: i64,
    pub last_ns: i64,
    /// The window with the largest loss fraction (the earliest of equals); `None` when no
    /// window expected a packet.
    pub worst_loss_window: Option<Window>,
    /// The window with the largest jitter estimate; `None` when jitter was never measured.
    pub worst_jitter_window: Option<JitterWindow>,
    /// Windows from the first packet to the last (0 before any packet).
    pub windows: u32,
}

/// What `update_seq` made of a packet.
enum Seq {
    /// The packet is the new highest; `gap` sequence numbers ahead of the previous (1: none
    /// missing); `restart`: it starts a new run (first packet, probation restart, restart),
    /// so no jitter difference with the previous in-order packet.
    Newest { gap: u16, restart: bool },
    /// Late, duplicate or not counted.
    Other,
}

impl StreamStats {
    pub fn new(ssrc: u32, payload_type: u8) -> Self {
        Self {
            first_ns: 0,
            last_ns: 0,
            prev_arrival_ns: 0,
            seen: 0,
            ssrc,
            clock_rate: 0,
            ext_max: 0,
            base: 0,
            counted: 0,
            packets: 0,
            duplicates: 0,
            reordered: 0,
            prev_ts: 0,
            jitter: 0.0,
            max_jitter: 0.0,
            win_jitter: 0.0,
            win_expected0: 0,
            win_counted0: 0,
            worst_expected: 0,
            worst_lost: 0,
            worst_jitter: 0.0,
            bad_seq: 0,
            run: 0,
            max_burst: 0,
            max_burst_200ms: 0,
            window: 0,
            worst_loss_window: 0,
            worst_jitter_window: 0,
            payload_type,
            flags: 0,
            valid: 0,
            chain_pt: payload_type,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The clock rate: given by the caller, else inferred; `None` until one of them.
    pub fn clock_rate(&self) -> Option<u32> {
        (self.clock_rate != 0).then_some(self.clock_rate)
    }

    /// Moves every arrival time by `delta_ns` (a capture file's clock aligned with another's).
    pub fn shift_time(&mut self, delta_ns: i64) {
        self.first_ns = self.first_ns.saturating_add(delta_ns);
        self.last_ns = self.last_ns.saturating_add(delta_ns);
        self.prev_arrival_ns = self.prev_arrival_ns.saturating_add(delta_ns);
    }

    /// One RTP packet of this stream: its sequence number, timestamp, arrival time (ns, any
    /// epoch, saturating) and the clock rate when the caller knows it (SDP, static payload
    /// type). The first rate known is kept; while none is, it is inferred
    /// (`clock::infer_rate`: the timestamps' advance over at least 1 s and 20 packets between an
    /// anchor and a later in-order packet, re-anchored when no standard rate fits).
    ///
    /// Jitter (RFC 3550 A.8) is updated by in-order packets only (the new highest sequence
    /// number; not late ones, duplicates or discarded ones), from the rate's first known
    /// packet on: `D = (R_j - R_i) - (S_j - S_i)` with arrival times converted to timestamp
    /// units, `J += (|D| - J) / 16`. A restart starts a new difference chain.
    ///
    /// The 200 ms burst: a forward gap of k (k - 1 sequence numbers missing) counts when the
    /// RTP timestamps of the two packets around it differ by at most 0.2 s of the clock rate
    /// (the missing packets were due within 200 ms); it needs the rate known, and late packets
    /// that fill the gap later do not shrink it.
    #[inline]
    pub fn packet(&mut self, seq: u16, rtp_ts: u32, arrival_ns: i64, clock_rate: Option<u32>) {
        self.packet_of_type(self.chain_pt, seq, rtp_ts, arrival_ns, clock_rate);
    }

    /// `packet` for a packet of payload type `pt`. Timestamps of different payload types need
    /// not share a clock or a base (RFC 4733 events restart theirs, RFC 3551 §4.1): a packet
    /// whose type differs from the previous in-order packet's starts a new jitter chain.
    #[inline]
    pub fn packet_of_type(
        &mut self,
        pt: u8,
        seq: u16,
        rtp_ts: u32,
        arrival_ns: i64,
        clock_rate: Option<u32>,
    ) {
        if pt != self.chain_pt {
            self.chain_pt = pt;
            self.flags &= !CHAIN;
        }
        self.packets = self.packets.saturating_add(1);
        if self.flags & STARTED == 0 {
            self.first_ns = arrival_ns;
            self.last_ns = arrival_ns;
        } else if self.window < u16::MAX
            && arrival_ns.saturating_sub(self.first_ns) >= (i64::from(self.window) + 1) * WINDOW_NS
        {
            self.next_window(arrival_ns);
        }
        if arrival_ns > self.last_ns {
            self.last_ns = arrival_ns;
        }
        if self.clock_rate == 0 {
            if let Some(rate) = clock_rate.filter(|&r| r > 0) {
                self.clock_rate = rate;
                // The chain held the inference anchor, not the previous packet.
                self.flags &= !CHAIN;
            }
        }
        if let Seq::Newest { gap, restart } = self.update_seq(seq) {
            if restart {
                self.flags &= !CHAIN;
            }
            self.newest(gap, rtp_ts, arrival_ns);
        }
    }

    /// RFC 3550 A.1 `update_seq`, with the counting choices of the module doc.
    #[inline]
    fn update_seq(&mut self, seq: u16) -> Seq {
        if self.flags & STARTED == 0 {
            // A.1: init_seq, then probation (MIN_SEQUENTIAL = 2: this packet is pending).
            self.flags |= STARTED;
            self.ext_max = u32::from(seq);
            return Seq::Newest {
                gap: 1,
                restart: true,
            };
        }
        let udelta = seq.wrapping_sub(self.ext_max as u16);
        if self.flags & VALID == 0 {
            // A.1 probation: sequential, or start over with this packet.
            if udelta == 1 {
                self.ext_max = self.ext_max.wrapping_add(1);
                self.start_segment(self.base);
                return Seq::Newest {
                    gap: 1,
                    restart: false,
                };
            }
            self.ext_max = (self.ext_max & !0xFFFF) | u32::from(seq);
            return Seq::Newest {
                gap: 1,
                restart: true,
            };
        }
        if udelta < MAX_DROPOUT {
            if udelta == 0 {
                // The highest itself again (A.1 would count it in `received`).
                self.duplicates = self.duplicates.saturating_add(1);
                return Seq::Other;
            }
            // In order, with a permissible gap (a wrap adds a cycle through the addition).
            self.advance(u32::from(udelta));
            self.counted = self.counted.saturating_add(1);
            return Seq::Newest {
                gap: udelta,
                restart: false,
            };
        }
        if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            // A very large jump: a restart when two sequential packets confirm it.
            if self.flags & BAD_SEQ != 0 && seq == self.bad_seq {
                self.finish_runs();
                let prior = self.expected();
                self.ext_max = (self.ext_max & !0xFFFF) | u32::from(seq);
                self.flags &= !BAD_SEQ;
                self.start_segment(prior);
                return Seq::Newest {
                    gap: 1,
                    restart: true,
                };
            }
            self.bad_seq = seq.wrapping_add(1);
            self.flags |= BAD_SEQ;
            return Seq::Other;
        }
        // Late (1..MAX_MISORDER behind the highest): a duplicate or reordered.
        let behind = u32::from(0u16.wrapping_sub(udelta));
        let bit = 1u128 << (behind % MAP_BITS);
        if self.seen & bit != 0 {
            self.duplicates = self.duplicates.saturating_add(1);
            return Seq::Other;
        }
        self.seen |= bit;
        self.counted = self.counted.saturating_add(1);
        self.reordered = self.reordered.saturating_add(1);
        let valid = u32::from(self.valid);
        if behind >= valid {
            // Older than the base: the stream began earlier than we saw.
            self.base = self.base.wrapping_sub(behind + 1 - valid);
            self.valid = (behind + 1).min(MAP_BITS) as u8;
        }
        Seq::Other
    }

    /// A segment validated by two sequential packets (`ext_max` the second): the first is the
    /// base, both are counted; `prior` is the expected count of earlier segments.
    fn start_segment(&mut self, prior: u32) {
        self.base = self.ext_max.wrapping_sub(1).wrapping_sub(prior);
        self.seen = 0b11;
        self.valid = 2;
        self.run = 0;
        self.counted = self.counted.saturating_add(2);
        self.flags |= VALID;
    }

    /// The highest moves `d` ahead: the map shifts and the bits leaving it (final: more than
    /// `MAX_MISORDER` behind, nothing can fill them) extend or end the current run of losses.
    #[inline]
    fn advance(&mut self, d: u32) {
        let valid = u32::from(self.valid);
        if d == 1 && valid == MAP_BITS {
            // Nearly every packet: the next in order, the map full. Its oldest bit leaves:
            // what `zero_runs` makes of one bit, without its loop (about 40 instructions less
            // per packet).
            if self.seen >> (MAP_BITS - 1) != 0 {
                self.run = 0;
            } else {
                self.run = self.run.saturating_add(1);
                self.max_burst = self.max_burst.max(self.run);
            }
            self.seen = (self.seen << 1) | 1;
            self.ext_max = self.ext_max.wrapping_add(1);
            return;
        }
        let leaving = d.min(MAP_BITS);
        let stay = MAP_BITS - leaving;
        let (mut run, mut max) = (u32::from(self.run), u32::from(self.max_burst));
        if valid > stay {
            // Bits stay..valid-1 of this segment leave, oldest (highest bit) first.
            let top = self.seen << (MAP_BITS - valid);
            (run, max) = zero_runs(run, max, top, valid - stay);
        }
        if d > MAP_BITS {
            // Missing numbers that enter and leave the map at once.
            run += d - MAP_BITS;
            max = max.max(run);
        }
        self.run = sat16(run);
        self.max_burst = sat16(max);
        self.seen = self.seen.checked_shl(d).unwrap_or(0) | 1;
        self.valid = (valid + d).min(MAP_BITS) as u8;
        self.ext_max = self.ext_max.wrapping_add(d);
    }

    /// The runs still in the map counted as final (end of a segment or of the stream).
    fn finish_runs(&mut self) {
        let valid = u32::from(self.valid);
        if self.flags & VALID != 0 && valid > 0 {
            let top = self.seen << (MAP_BITS - valid);
            let (_, max) = zero_runs(u32::from(self.run), u32::from(self.max_burst), top, valid);
            self.max_burst = sat16(max);
        }
        self.run = 0;
    }

    /// A packet that became the highest: jitter, the 200 ms burst, clock inference.
    #[inline]
    fn newest(&mut self, gap: u16, rtp_ts: u32, arrival_ns: i64) {
        if self.clock_rate != 0 {
            if self.flags & CHAIN != 0 {
                let rate = f64::from(self.clock_rate);
                // RFC 3550 A.8: timestamp differences modulo 2^32, as signed.
                let d_ts = rtp_ts.wrapping_sub(self.prev_ts) as i32;
                if gap > 1 && d_ts >= 0 && f64::from(d_ts) <= BURST_S * rate {
                    self.max_burst_200ms = self.max_burst_200ms.max(gap - 1);
                }
                let d_ns = arrival_ns.saturating_sub(self.prev_arrival_ns) as f64;
                let d = d_ns * (rate * 1e-9) - f64::from(d_ts);
                if d.abs() > MAX_TRANSIT_CHANGE_S * rate {
                    // Timestamps and arrivals disagree by seconds: the sender restarted its
                    // timestamps (a re-INVITE, a new source behind a mixer), not the network
                    // delaying a packet. A new chain starts here.
                    self.prev_arrival_ns = arrival_ns;
                    self.prev_ts = rtp_ts;
                    return;
                }
                let j = self.jitter + (d.abs() as f32 - self.jitter) / 16.0;
                self.jitter = j;
                if self.flags & JITTER == 0 || j > self.max_jitter {
                    self.max_jitter = j;
                }
                if self.flags & WIN_JITTER == 0 || j > self.win_jitter {
                    self.win_jitter = j;
                }
                self.flags |= JITTER | WIN_JITTER;
            }
        } else if self.flags & CHAIN != 0 {
            if self.counted < clock::INFER_MIN_PACKETS {
                return;
            }
            let elapsed = arrival_ns.saturating_sub(self.prev_arrival_ns);
            if elapsed < clock::INFER_MIN_NS {
                return;
            }
            if let Some(rate) = clock::infer_rate(rtp_ts.wrapping_sub(self.prev_ts), elapsed) {
                // Jitter starts with this packet.
                self.clock_rate = rate;
            }
            // Otherwise a new anchor: try again a second later.
        }
        self.prev_arrival_ns = arrival_ns;
        self.prev_ts = rtp_ts;
        self.flags |= CHAIN;
    }

    /// RFC 3550 A.3 `expected`, summed over segments (0 before the source validated, except
    /// what merges brought).
    fn expected(&self) -> u32 {
        if self.flags & VALID != 0 {
            self.ext_max.wrapping_sub(self.base).wrapping_add(1)
        } else {
            self.base
        }
    }

    /// The packet at `arrival_ns` is past the current window: close it, open the one it is in
    /// (windows no packet arrived in are skipped). A division, once per window.
    #[cold]
    fn next_window(&mut self, arrival_ns: i64) {
        self.close_window();
        let n = arrival_ns.saturating_sub(self.first_ns) / WINDOW_NS;
        self.window = u16::try_from(n.max(0)).unwrap_or(u16::MAX);
        self.win_expected0 = self.expected();
        self.win_counted0 = self.counted;
        self.win_jitter = 0.0;
        self.flags &= !WIN_JITTER;
    }

    /// The current window's loss and jitter against the worst so far.
    fn close_window(&mut self) {
        let expected = self.expected().wrapping_sub(self.win_expected0);
        let counted = self.counted.wrapping_sub(self.win_counted0);
        let lost = expected.saturating_sub(counted);
        // lost / expected > worst_lost / worst_expected, without division.
        if expected > 0
            && (self.worst_expected == 0
                || u64::from(lost) * u64::from(self.worst_expected)
                    > u64::from(self.worst_lost) * u64::from(expected))
        {
            self.worst_expected = expected;
            self.worst_lost = lost;
            self.worst_loss_window = self.window;
        }
        if self.flags & WIN_JITTER != 0
            && (self.flags & WORST_JITTER == 0 || self.win_jitter > self.worst_jitter)
        {
            self.worst_jitter = self.win_jitter;
            self.worst_jitter_window = self.window;
            self.flags |= WORST_JITTER;
        }
    }

    /// A copy with the open window closed and the map's runs final: the end of the stream.
    fn finished(&self) -> Self {
        let mut s = *self;
        s.close_window();
        s.finish_runs();
        s
    }

    fn ms(&self, ticks: f32) -> f64 {
        f64::from(ticks) * 1000.0 / f64::from(self.clock_rate.max(1))
    }

    fn window_start(&self, n: u16) -> i64 {
        self.first_ns
            .saturating_add(i64::from(n).saturating_mul(WINDOW_NS))
    }

    /// The stream's figures (the open window counts as closed, the map's runs as final).
    pub fn summary(&self) -> StreamSummary {
        let s = self.finished();
        let started = s.flags & STARTED != 0;
        let expected = s.expected();
        let lost = expected.saturating_sub(s.counted);
        let jitter = s.flags & JITTER != 0 && s.clock_rate != 0;
        StreamSummary {
            ssrc: s.ssrc,
            payload_type: s.payload_type,
            clock_rate: s.clock_rate(),
            packets: s.packets,
            expected,
            lost,
            duplicates: s.duplicates,
            reordered: s.reordered,
            discarded: s
                .packets
                .saturating_sub(s.counted)
                .saturating_sub(s.duplicates),
            jitter_ms: jitter.then(|| s.ms(s.jitter)),
            max_jitter_ms: jitter.then(|| s.ms(s.max_jitter)),
            max_burst_lost: u32::from(s.max_burst),
            max_burst_lost_200ms: u32::from(s.max_burst_200ms),
            first_ns: s.first_ns,
            last_ns: s.last_ns,
            worst_loss_window: (s.worst_expected > 0).then(|| Window {
                start_ns: s.window_start(s.worst_loss_window),
                expected: s.worst_expected,
                lost: s.worst_lost,
            }),
            worst_jitter_window: (s.flags & WORST_JITTER != 0 && s.clock_rate != 0).then(|| {
                JitterWindow {
                    start_ns: s.window_start(s.worst_jitter_window),
                    max_jitter_ms: s.ms(s.worst_jitter),
                }
            }),
            windows: if started { u32::from(s.window) + 1 } else { 0 },
        }
    }

    /// Fold in the same SSRC and direction seen elsewhere (another shard or file), for
    /// finished streams:
    /// - counts add up (`packets`, `duplicates`, `reordered`, `expected`, `lost`); sequence
    ///   numbers missing between the two parts (at a shard boundary) are not counted, and a
    ///   packet both parts saw counts twice;
    /// - `max_burst_lost`, `max_burst_lost_200ms` and the maximum jitter are the larger;
    /// - jitter is not merged exactly (A.8's estimate is a running one): the final estimate is
    ///   that of the part whose last packet is later;
    /// - the worst windows are the worse of both parts', renumbered from the earlier first
    ///   packet: a window of the later part keeps its figures, and its start is reported at
    ///   the start of the merged 15 s window it began in (up to 15 s earlier);
    /// - the clock rate is this part's, else the other's; the sequence state (for packets
    ///   after the merge) stays this part's.
    pub fn merge(&mut self, other: &StreamStats) {
        if other.flags & STARTED == 0 {
            return;
        }
        if self.flags & STARTED == 0 {
            *self = *other;
            return;
        }
        let o = other.finished();
        let first = self.first_ns.min(o.first_ns);
        let renumber = |from: i64, n: u16| -> u16 {
            let start = from.saturating_add(i64::from(n).saturating_mul(WINDOW_NS));
            u16::try_from((start.saturating_sub(first) / WINDOW_NS).max(0)).unwrap_or(u16::MAX)
        };
        self.window = renumber(self.first_ns, self.window);
        self.worst_loss_window = renumber(self.first_ns, self.worst_loss_window);
        self.worst_jitter_window = renumber(self.first_ns, self.worst_jitter_window);
        if o.worst_expected > 0
            && (self.worst_expected == 0
                || u64::from(o.worst_lost) * u64::from(self.worst_expected)
                    > u64::from(self.worst_lost) * u64::from(o.worst_expected))
        {
            self.worst_expected = o.worst_expected;
            self.worst_lost = o.worst_lost;
            self.worst_loss_window = renumber(o.first_ns, o.worst_loss_window);
        }
        if o.flags & WORST_JITTER != 0
            && (self.flags & WORST_JITTER == 0 || o.worst_jitter > self.worst_jitter)
        {
            self.worst_jitter = o.worst_jitter;
            self.worst_jitter_window = renumber(o.first_ns, o.worst_jitter_window);
            self.flags |= WORST_JITTER;
        }
        // Counts: the other part's expected folds into the virtual base; the open window's
        // snapshots move with it so that it does not count the other part.
        let o_expected = o.expected();
        self.base = if self.flags & VALID != 0 {
            self.base.wrapping_sub(o_expected)
        } else {
            self.base.wrapping_add(o_expected)
        };
        self.win_expected0 = self.win_expected0.wrapping_add(o_expected);
        self.win_counted0 = self.win_counted0.wrapping_add(o.counted);
        self.counted = self.counted.saturating_add(o.counted);
        self.packets = self.packets.saturating_add(o.packets);
        self.duplicates = self.duplicates.saturating_add(o.duplicates);
        self.reordered = self.reordered.saturating_add(o.reordered);
        self.max_burst = self.max_burst.max(o.max_burst);
        self.max_burst_200ms = self.max_burst_200ms.max(o.max_burst_200ms);
        if o.flags & JITTER != 0 {
            if self.flags & JITTER == 0 || o.max_jitter > self.max_jitter {
                self.max_jitter = o.max_jitter;
            }
            if self.flags & JITTER == 0 || o.last_ns > self.last_ns {
                self.jitter = o.jitter;
            }
            self.flags |= JITTER;
        }
        if self.clock_rate == 0 && o.clock_rate != 0 {
            self.clock_rate = o.clock_rate;
            self.flags &= !CHAIN;
        }
        self.first_ns = first;
        self.last_ns = self.last_ns.max(o.last_ns);
    }
}

fn sat16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

/// Walk the `n` highest bits of `bits` (oldest first): zeros extend `run`, a one ends it;
/// returns the run after them and the largest run seen.
#[inline]
fn zero_runs(mut run: u32, mut max: u32, mut bits: u128, mut n: u32) -> (u32, u32) {
    while n > 0 {
        let zeros = bits.leading_zeros().min(n);
        if zeros > 0 {
            run += zeros;
            max = max.max(run);
            n -= zeros;
            bits = bits.checked_shl(zeros).unwrap_or(0);
        }
        if n == 0 {
            break;
        }
        let ones = bits.leading_ones().min(n);
        run = 0;
        n -= ones;
        bits = bits.checked_shl(ones).unwrap_or(0);
    }
    (run, max)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests;
