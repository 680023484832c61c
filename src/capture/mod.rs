//! Where frames come from: the `FrameSource` trait the pipeline reads, and its sources (capture
//! files in `file.rs`), with the `Frame`, `Interface` and `Format` they describe.
//!
//! A file's format is detected by its magic number, never by its name, and so is its compression
//! (gzip, zstd: `compressed.rs`, decompressed as it is read). Reading streams through one buffer;
//! a frame borrows its bytes from that buffer until the next call. Live interfaces are read with
//! libpcap in `live.rs` (feature `live`); `write.rs` writes pcapng (`watch --write`).

mod compressed;
mod file;
#[cfg(feature = "live")]
pub mod live;
pub mod write;

pub use compressed::{Compression, DecompressError, Decompressed, ReadMeter, ZSTD_WINDOW_LOG_MAX};
pub use file::{
    CaptureReader, MAX_BLOCK_BYTES, MAX_INTERFACES, MAX_PACKET_BYTES, MAX_WARNINGS_KEPT,
};

use serde::Serialize;

use crate::error::{CaptureError, CaptureWarning};

/// A source of frames: a capture file today (`CaptureReader`), a live interface later. The
/// pipeline reads frames through this trait and nothing else, so it never knows which it has.
pub trait FrameSource {
    /// The next frame, borrowed until the next call; `None` at the end. An error ends the
    /// source: what was read before it stays valid.
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError>;
    /// The container format of the frames.
    fn format(&self) -> Format;
    /// Interfaces seen so far; a frame's `interface` indexes this list.
    fn interfaces(&self) -> &[Interface];
    /// Warnings kept word for word (at most `MAX_WARNINGS_KEPT`).
    fn warnings(&self) -> &[CaptureWarning];
    /// All warnings, including those not kept word for word.
    fn warnings_total(&self) -> u64;
    /// Bytes consumed so far (progress).
    fn bytes_read(&self) -> u64;
}

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Pcap,
    Pcapng,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Pcap => "pcap",
            Format::Pcapng => "pcapng",
        }
    }
}

/// Timestamp unit of an interface: 10^-n or 2^-n seconds (pcapng `if_tsresol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TsUnit {
    Pow10(u8),
    Pow2(u8),
}

impl TsUnit {
    /// From the `if_tsresol` option byte (pcapng draft §4.2: high bit set means a power of 2).
    pub fn from_tsresol(b: u8) -> TsUnit {
        if b & 0x80 != 0 {
            TsUnit::Pow2(b & 0x7f)
        } else {
            TsUnit::Pow10(b)
        }
    }

    /// Converts a timestamp in this unit to nanoseconds, saturating.
    #[inline]
    pub fn to_ns(self, raw: u64) -> i64 {
        // The two units of nearly every file, without u128 arithmetic (this runs per packet).
        match self {
            TsUnit::Pow10(6) => {
                return raw
                    .checked_mul(1000)
                    .and_then(|ns| i64::try_from(ns).ok())
                    .unwrap_or(i64::MAX)
            }
            TsUnit::Pow10(9) => return i64::try_from(raw).unwrap_or(i64::MAX),
            _ => {}
        }
        let ns: u128 = match self {
            TsUnit::Pow10(n) if n <= 9 => u128::from(raw) * 10u128.pow(u32::from(9 - n)),
            TsUnit::Pow10(n) => u128::from(raw) / 10u128.pow(u32::from(n.min(38) - 9)),
            TsUnit::Pow2(n) => (u128::from(raw) * 1_000_000_000) >> n.min(127),
        };
        i64::try_from(ns).unwrap_or(i64::MAX)
    }
}

/// One interface of a capture file: the single implicit one of a pcap file, or a pcapng
/// Interface Description Block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// `if_name`, else `if_description` (pcapng); None for pcap.
    pub name: Option<String>,
    pub linktype: u32,
    pub snaplen: u32,
    /// 0-based pcapng section this interface belongs to.
    pub section: u32,
    pub ts_unit: TsUnit,
    pub ts_offset_s: i64,
}

/// One packet record, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// Index into the file's interface list.
    pub interface: u32,
    pub linktype: u32,
    /// Captured bytes (possibly cut by the snaplen).
    pub data: &'a [u8],
    /// Length of the packet on the wire.
    pub orig_len: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general formula, which the per-packet fast paths must agree with.
    fn to_ns_u128(unit: TsUnit, raw: u64) -> i64 {
        let ns: u128 = match unit {
            TsUnit::Pow10(n) if n <= 9 => u128::from(raw) * 10u128.pow(u32::from(9 - n)),
            TsUnit::Pow10(n) => u128::from(raw) / 10u128.pow(u32::from(n.min(38) - 9)),
            TsUnit::Pow2(n) => (u128::from(raw) * 1_000_000_000) >> n.min(127),
        };
        i64::try_from(ns).unwrap_or(i64::MAX)
    }

    proptest! {
        #[test]
        fn fast_units_agree_with_the_general_formula(raw: u64, small in 0u64..1u64 << 54) {
            for unit in [TsUnit::Pow10(6), TsUnit::Pow10(9), TsUnit::Pow10(3), TsUnit::Pow2(20)] {
                prop_assert_eq!(unit.to_ns(raw), to_ns_u128(unit, raw));
                prop_assert_eq!(unit.to_ns(small), to_ns_u128(unit, small));
            }
        }
    }

    #[test]
    fn microseconds_and_nanoseconds() {
        assert_eq!(TsUnit::Pow10(6).to_ns(1_500_000), 1_500_000_000);
        assert_eq!(TsUnit::Pow10(9).to_ns(7), 7);
        assert_eq!(TsUnit::Pow10(6).to_ns(u64::MAX), i64::MAX);
        assert_eq!(TsUnit::Pow10(9).to_ns(u64::MAX), i64::MAX);
    }
}
