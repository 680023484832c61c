//! RTP clock rates: the static payload types' rates (RFC 3551 §6) and the rate inferred from
//! how a stream's timestamps advance against arrival times (Teams' dynamic types).

/// The rates an inferred clock is rounded to: RFC 3551's audio and video rates and the ones
/// Teams uses (16 000 SILK, 48 000 Opus/SATIN, 90 000 video).
pub const STANDARD_RATES: [u32; 7] = [8_000, 16_000, 24_000, 32_000, 44_100, 48_000, 90_000];

/// How far (relative) a measured rate may be from a standard one to be rounded to it.
pub const RATE_TOLERANCE: f64 = 0.10;

/// Arrival time a stream's timestamps are measured over before its rate is inferred.
pub const INFER_MIN_NS: i64 = 1_000_000_000;

/// Packets a stream must have before its rate is inferred.
pub const INFER_MIN_PACKETS: u32 = 20;

/// The RTP clock rate of a static payload type (RFC 3551 §6, Tables 4 and 5); `None` for
/// reserved, unassigned and dynamic (96..=127) types. G722 (9) is 8000 although it samples at
/// 16 kHz: RFC 3551 §4.5.2 keeps the rate of the original erroneous definition.
pub fn static_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        // PCMU, GSM, G723, DVI4, LPC, PCMA, G722, QCELP, CN, G728, G729
        0 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 13 | 15 | 18 => Some(8_000),
        6 => Some(16_000),       // DVI4
        10 | 11 => Some(44_100), // L16 stereo, mono
        16 => Some(11_025),      // DVI4
        17 => Some(22_050),      // DVI4
        // MPA, CelB, JPEG, nv, H261, MPV, MP2T, H263
        14 | 25 | 26 | 28 | 31 | 32 | 33 | 34 => Some(90_000),
        _ => None,
    }
}

/// The standard rate nearest (relatively) to `ticks_per_s`, if it is within `RATE_TOLERANCE`
/// of it; `None` otherwise (and for NaN, infinite or non-positive input).
pub fn nearest_standard_rate(ticks_per_s: f64) -> Option<u32> {
    if !ticks_per_s.is_finite() || ticks_per_s <= 0.0 {
        return None;
    }
    let mut best: Option<(u32, f64)> = None;
    for rate in STANDARD_RATES {
        let r = f64::from(rate);
        let off = (ticks_per_s - r).abs() / r;
        if best.is_none_or(|(_, b)| off < b) {
            best = Some((rate, off));
        }
    }
    best.and_then(|(rate, off)| (off <= RATE_TOLERANCE).then_some(rate))
}

/// The clock rate inferred from a stream's timestamps having advanced `ticks` (RTP timestamp
/// units, modulo 2^32, RFC 3550 §5.1) over `elapsed_ns` of arrival time: `None` until
/// `INFER_MIN_NS` has passed, or when the rate is no standard one. The stream calls it once
/// it also has `INFER_MIN_PACKETS` packets, with an anchor packet and a later in-order one.
pub fn infer_rate(ticks: u32, elapsed_ns: i64) -> Option<u32> {
    if elapsed_ns < INFER_MIN_NS {
        return None;
    }
    // One division per attempt, not per packet.
    nearest_standard_rate(f64::from(ticks) / (elapsed_ns as f64 * 1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_types() {
        assert_eq!(static_clock_rate(0), Some(8_000));
        assert_eq!(static_clock_rate(6), Some(16_000));
        assert_eq!(static_clock_rate(9), Some(8_000));
        assert_eq!(static_clock_rate(10), Some(44_100));
        assert_eq!(static_clock_rate(16), Some(11_025));
        assert_eq!(static_clock_rate(17), Some(22_050));
        assert_eq!(static_clock_rate(18), Some(8_000));
        assert_eq!(static_clock_rate(26), Some(90_000));
        assert_eq!(static_clock_rate(34), Some(90_000));
        for pt in [1, 2, 19, 20, 24, 27, 29, 30, 35, 72, 95, 96, 111, 127, 200] {
            assert_eq!(static_clock_rate(pt), None, "{pt}");
        }
    }

    #[test]
    fn nearest_rates() {
        assert_eq!(nearest_standard_rate(48_000.0), Some(48_000));
        assert_eq!(nearest_standard_rate(47_100.0), Some(48_000));
        assert_eq!(nearest_standard_rate(45_000.0), Some(44_100));
        assert_eq!(nearest_standard_rate(16_900.0), Some(16_000));
        assert_eq!(nearest_standard_rate(95_000.0), Some(90_000));
        assert_eq!(nearest_standard_rate(8_790.0), Some(8_000));
        // 12 000 is 25 % from 16 000 and 50 % from 8 000; 100 000 is 11 % above 90 000.
        assert_eq!(nearest_standard_rate(12_000.0), None);
        assert_eq!(nearest_standard_rate(100_000.0), None);
        assert_eq!(nearest_standard_rate(0.0), None);
        assert_eq!(nearest_standard_rate(-48_000.0), None);
        assert_eq!(nearest_standard_rate(f64::NAN), None);
        assert_eq!(nearest_standard_rate(f64::INFINITY), None);
    }

    #[test]
    fn inference() {
        // 50 packets of 20 ms at 960 ticks: 48 000 ticks in 1 s.
        assert_eq!(infer_rate(49 * 960, 980_000_000), None);
        assert_eq!(infer_rate(50 * 960, 1_000_000_000), Some(48_000));
        assert_eq!(infer_rate(90_000 * 2, 2_000_000_000), Some(90_000));
        assert_eq!(infer_rate(0, 5_000_000_000), None);
        assert_eq!(infer_rate(u32::MAX, i64::MAX), None);
    }
}
