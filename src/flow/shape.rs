//! One TCP direction's payload cadence: how many segments carried payload, how large, how
//! steadily. Media inside TLS (TURN over TLS, ICE-TCP) shows itself by this shape alone, the
//! bytes being encrypted; `audit::shape` holds the rule.

use std::ops::RangeInclusive;

/// Payload lengths a media packet gives a TCP segment: an RTP packet with a TURN and a TLS
/// header around it, from a comfort-noise frame (~20 bytes) to a video packet kept under the
/// path MTU (~1 200 bytes of RTP plus framing). Downloads fill segments to the MSS (1 460).
pub const MEDIA_SIZE: RangeInclusive<usize> = 20..=1300;

/// A pause between a direction's payload segments longer than this is a silence: a call sends
/// every 20-60 ms (audio) and keeps ICE consent every few seconds even on hold.
pub const SILENCE_NS: i64 = 1_000_000_000;

/// Counters of one direction's payload-carrying TCP segments (pure ACKs are not counted).
/// Kept in every flow's `Side`, so small: the times and the silences (`Side::silences`, which
/// packs beside a byte of the side) are the side's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegmentShape {
    pub segments: u32,
    /// Segments whose payload length is in `MEDIA_SIZE`.
    pub media_sized: u32,
    pub payload_bytes: u64,
}

impl SegmentShape {
    /// One TCP segment of `len` payload bytes (`len > 0`).
    #[inline]
    pub fn segment(&mut self, len: usize) {
        self.segments = self.segments.saturating_add(1);
        self.media_sized = self
            .media_sized
            .saturating_add(u32::from(MEDIA_SIZE.contains(&len)));
        self.payload_bytes = self.payload_bytes.saturating_add(len as u64);
    }

    /// The same direction seen in another file or shard: counts add up.
    pub fn merge(&mut self, other: &SegmentShape) {
        self.segments = self.segments.saturating_add(other.segments);
        self.media_sized = self.media_sized.saturating_add(other.media_sized);
        self.payload_bytes = self.payload_bytes.saturating_add(other.payload_bytes);
    }

    /// Mean payload length, in bytes (0 without segments).
    pub fn mean_size(&self) -> u64 {
        self.payload_bytes
            .checked_div(u64::from(self.segments))
            .unwrap_or(0)
    }

    /// The share of segments of media size (0 without segments).
    pub fn media_sized_share(&self) -> f64 {
        if self.segments == 0 {
            0.0
        } else {
            f64::from(self.media_sized) / f64::from(self.segments)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sizes() {
        let mut s = SegmentShape::default();
        for len in [120, 1448, 200, 19] {
            s.segment(len);
        }
        assert_eq!(s.segments, 4);
        assert_eq!(s.media_sized, 2);
        assert_eq!(s.payload_bytes, 1787);
        assert_eq!(s.mean_size(), 446);
        assert!((s.media_sized_share() - 0.5).abs() < 1e-9);
    }

    #[test]
    fn merge_adds() {
        let mut a = SegmentShape::default();
        a.segment(100);
        let mut b = SegmentShape::default();
        b.segment(2000);
        b.segment(100);
        a.merge(&b);
        assert_eq!((a.segments, a.media_sized, a.payload_bytes), (3, 2, 2200));
        assert_eq!(SegmentShape::default().mean_size(), 0);
        assert_eq!(SegmentShape::default().media_sized_share(), 0.0);
    }
}
