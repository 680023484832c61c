//! RTCP sender and receiver reports (RFC 3550 §6.4): the sender info and report blocks of a
//! compound packet (or an RFC 5506 reduced-size one), borrowed and allocation-free, and the
//! round trip from a report block's LSR/DLSR.
//!
//! Only plain RTCP is read: SRTCP (RFC 3711 §3.4) encrypts everything after the first 8
//! bytes, and its trailer (E|index, auth tag) keeps the packets' lengths from adding up to the
//! datagram, so it yields no items (RFC 3550 A.2's validity check, below).

use crate::bytes::{be16, be32};

/// RFC 3550 §12.1.
const SR: u8 = 200;
const RR: u8 = 201;
/// Sender report: header (4), SSRC (4), sender info (20) before the report blocks (§6.4.1).
const SR_FIXED: usize = 28;
/// Receiver report: header (4), SSRC (4) (§6.4.2).
const RR_FIXED: usize = 8;
/// One report block (§6.4.1).
const BLOCK: usize = 24;

/// An SR's sender information (RFC 3550 §6.4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SenderInfo {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The middle 32 bits of its NTP timestamp (16.16 seconds): what a report block's LSR
    /// repeats.
    pub ntp_middle32: u32,
    pub rtp_ts: u32,
    /// Sender's packet and octet counts.
    pub packets: u32,
    pub octets: u32,
}

/// One report block of an SR or RR (RFC 3550 §6.4.1): what `reporter_ssrc` received of
/// `source_ssrc`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReportBlock {
    pub reporter_ssrc: u32,
    pub source_ssrc: u32,
    /// Fraction lost since the previous report: the 8-bit field / 256 (0 ..< 1).
    pub fraction_lost: f64,
    /// Cumulative number of packets lost (24-bit signed: duplicates can make it negative).
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter_ticks: u32,
    /// Last SR timestamp (middle 32 bits of its NTP time; 0: none received yet).
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub dlsr: u32,
}

/// What `reports` yields, in packet order: an SR's sender info, then its report blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RtcpItem {
    SenderInfo(SenderInfo),
    ReportBlock(ReportBlock),
}

/// The sender infos and report blocks of one RTCP datagram, in order.
///
/// RFC 3550 A.2's validity check comes first, over the whole datagram: every packet version
/// 2 with a type in 192..=223 (RFC 5761 §4), padding only on the last one (and no more than
/// it holds), each SR/RR's report count within its length, and the lengths adding up to the
/// datagram exactly. Any packet type may come first (RFC 5506 reduced-size RTCP: a lone RR,
/// SR or feedback packet). A datagram that fails (garbage, truncated, SRTCP) yields nothing;
/// packets other than SR and RR are skipped; profile-specific extensions after the blocks are
/// ignored.
pub fn reports(data: &[u8]) -> Reports<'_> {
    Reports {
        rest: if is_valid_compound(data) { data } else { &[] },
        blocks: &[],
        count: 0,
        reporter: 0,
    }
}

/// RFC 3550 A.2 (with RFC 5506): see `reports`.
fn is_valid_compound(data: &[u8]) -> bool {
    let mut rest = data;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let Some(h) = Header::read(rest) else {
            return false;
        };
        let last = h.size == rest.len();
        if h.body.is_none() || (h.padded && !last) {
            return false;
        }
        let Some(next) = rest.get(h.size..) else {
            return false;
        };
        rest = next;
    }
    true
}

/// One RTCP packet's header, checked.
struct Header<'a> {
    pt: u8,
    count: u8,
    padded: bool,
    /// Bytes of the packet (length field).
    size: usize,
    /// The packet up to its padding, when its SR/RR blocks fit in it.
    body: Option<&'a [u8]>,
}

impl<'a> Header<'a> {
    fn read(data: &'a [u8]) -> Option<Self> {
        let b0 = *data.first()?;
        let pt = *data.get(1)?;
        let size = 4 * (usize::from(be16(data, 2)?) + 1);
        if b0 >> 6 != 2 || !(192..=223).contains(&pt) {
            return None;
        }
        let packet = data.get(..size)?;
        let padded = b0 & 0x20 != 0;
        let count = b0 & 0x1F;
        let mut end = size;
        if padded {
            // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
            let pad = usize::from(*packet.last()?);
            end = if pad == 0 || pad > size - 4 {
                0
            } else {
                size - pad
            };
        }
        let fixed = match pt {
            SR => SR_FIXED,
            RR => RR_FIXED,
            _ => 4,
        };
        let need = fixed + BLOCK * usize::from(if pt == SR || pt == RR { count } else { 0 });
        let body = (end >= 4 && need <= end)
            .then(|| packet.get(..end))
            .flatten();
        Some(Self {
            pt,
            count,
            padded,
            size,
            body,
        })
    }
}

/// The iterator `reports` returns (fused: once it ends, it stays ended).
#[derive(Clone, Debug)]
pub struct Reports<'a> {
    /// The packets not walked yet.
    rest: &'a [u8],
    /// The current SR/RR's report blocks not yielded yet.
    blocks: &'a [u8],
    count: u8,
    reporter: u32,
}

impl Reports<'_> {
    fn block(&mut self) -> Option<ReportBlock> {
        let b = self.blocks;
        let lost = be32(b, 4)?;
        let item = ReportBlock {
            reporter_ssrc: self.reporter,
            source_ssrc: be32(b, 0)?,
            fraction_lost: f64::from(lost >> 24) / 256.0,
            // 24-bit two's complement: shift it to the top, then back with the sign.
            cumulative_lost: ((lost << 8) as i32) >> 8,
            highest_seq: be32(b, 8)?,
            jitter_ticks: be32(b, 12)?,
            lsr: be32(b, 16)?,
            dlsr: be32(b, 20)?,
        };
        self.blocks = b.get(BLOCK..)?;
        self.count -= 1;
        Some(item)
    }
}

impl Iterator for Reports<'_> {
    type Item = RtcpItem;

    fn next(&mut self) -> Option<RtcpItem> {
        loop {
            if self.count > 0 {
                if let Some(block) = self.block() {
                    return Some(RtcpItem::ReportBlock(block));
                }
                // Unreachable after the validity check; end rather than yield garbage.
                self.rest = &[];
                self.count = 0;
                return None;
            }
            let h = Header::read(self.rest)?;
            let (Some(body), Some(next)) = (h.body, self.rest.get(h.size..)) else {
                self.rest = &[];
                return None;
            };
            self.rest = next;
            match h.pt {
                SR => {
                    let info = SenderInfo {
                        ssrc: be32(body, 4)?,
                        // NTP seconds' low 16 bits, fraction's high 16 bits (§6.4.1 LSR).
                        ntp_middle32: (be32(body, 8)? << 16) | (be32(body, 12)? >> 16),
                        rtp_ts: be32(body, 16)?,
                        packets: be32(body, 20)?,
                        octets: be32(body, 24)?,
                    };
                    self.reporter = info.ssrc;
                    self.blocks = body.get(SR_FIXED..).unwrap_or_default();
                    self.count = h.count;
                    return Some(RtcpItem::SenderInfo(info));
                }
                RR => {
                    self.reporter = be32(body, 4)?;
                    self.blocks = body.get(RR_FIXED..).unwrap_or_default();
                    self.count = h.count;
                }
                _ => {}
            }
        }
    }
}

impl std::iter::FusedIterator for Reports<'_> {}

/// The round trip from a report block (RFC 3550 §6.4.1): `A - LSR - DLSR`, modulo 2^32, in
/// 1/65536 s, where A is the block's arrival as the middle 32 bits of an NTP time
/// (`ntp_middle32_of_ns`), in ms. `None` when LSR is 0 (no SR received yet), or the result is
/// negative or above 10 s (clocks that disagree, a stale LSR).
///
/// What it measures depends on where A is taken. LSR is the SR sender's own clock when it sent
/// the SR; DLSR is how long the reporter held it. With A the RR's arrival at the capture
/// point, the result is: the SR's trip from its sender to the capture point, plus the round
/// trip between the capture point and the reporter, plus the offset of the capture clock
/// from the SR sender's clock. So:
/// - captured at (or next to) the SR's sender: the full round trip sender - reporter, the
///   figure RFC 3550 means;
/// - captured elsewhere, with clocks in sync: the sender's one-way trip to the capture point
///   plus the round trip capture point - reporter, an over-estimate of the latter;
/// - for the round trip between the capture point and the reporter alone, free of the
///   sender's clock: pass as `lsr` the capture time of the SR itself (the SR whose
///   `ntp_middle32` equals the block's LSR, seen at this capture point), as
///   `ntp_middle32_of_ns(sr_seen_ns)`, and as A `ntp_middle32_of_ns(rr_seen_ns)`.
pub fn rtt_ms(lsr: u32, dlsr: u32, arrival_ntp_middle32: u32) -> Option<f64> {
    if lsr == 0 {
        return None;
    }
    let units = arrival_ntp_middle32.wrapping_sub(lsr).wrapping_sub(dlsr) as i32;
    let ms = f64::from(units) * 1000.0 / 65536.0;
    (0.0..=10_000.0).contains(&ms).then_some(ms)
}

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (RFC 868).
const NTP_UNIX_OFFSET_S: i64 = 2_208_988_800;

/// The middle 32 bits of the NTP time (RFC 5905 §6; 16 bits of seconds, 16 of fraction,
/// truncated) of a Unix time in ns: the form of LSR and A in RFC 3550 §6.4.1.
pub fn ntp_middle32_of_ns(unix_ns: i64) -> u32 {
    let secs = unix_ns
        .div_euclid(1_000_000_000)
        .saturating_add(NTP_UNIX_OFFSET_S);
    let frac_ns = unix_ns.rem_euclid(1_000_000_000) as u64;
    let frac16 = (frac_ns << 16) / 1_000_000_000;
    ((secs as u32 & 0xFFFF) << 16) | frac16 as u32
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// SR, RC 1, length 12: SSRC 11223344, NTP 12345678.9abcdef0, RTP ts 0x10000, 100
    /// packets, 16000 octets; block: source 55667788, fraction 0x40, cumulative -2, highest
    /// 0x10203, jitter 32, LSR 56780000, DLSR 0x10000.
    const SR_ONE_BLOCK: &str = concat!(
        "81c8000c", "11223344", "12345678", "9abcdef0", "00010000", "00000064", "00003e80",
        "55667788", "40fffffe", "00010203", "00000020", "56780000", "00010000"
    );
    /// RR, RC 1, length 7: reporter 0a0b0c0d; block: source 01020304, fraction 0xff,
    /// cumulative 0x7fffff, highest 0xffffffff, jitter 0, LSR 0, DLSR 0.
    const RR_ONE_BLOCK: &str = concat!(
        "81c90007", "0a0b0c0d", "01020304", "ff7fffff", "ffffffff", "00000000", "00000000",
        "00000000"
    );
    /// rtcp_multiple_pkts_in_the_same_datagram.pcap (as in `proto::rtp`): SR + SDES.
    const SR_SDES: &str = "81c8000c5d931534dd3ac1704d614df800007d00000000c800007d0000000000000000010000000000000000000000000000000081ca000e5d931534010835643933313533340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d000000";
    /// stun_msteams_unidir.pcapng: Teams SRTCP RR.
    const TEAMS_SRTCP: &str =
        "80c90005000003e85445413b6f681514fa9c98c95d7a5cf38000a15e01e3e4b990e8e3fcd2e170";

    #[test]
    fn sender_report_with_one_block() {
        let items: Vec<RtcpItem> = reports(&hex(SR_ONE_BLOCK)).collect();
        assert_eq!(
            items,
            [
                RtcpItem::SenderInfo(SenderInfo {
                    ssrc: 0x1122_3344,
                    ntp_middle32: 0x5678_9abc,
                    rtp_ts: 0x10000,
                    packets: 100,
                    octets: 16000,
                }),
                RtcpItem::ReportBlock(ReportBlock {
                    reporter_ssrc: 0x1122_3344,
                    source_ssrc: 0x5566_7788,
                    fraction_lost: 0.25,
                    cumulative_lost: -2,
                    highest_seq: 0x10203,
                    jitter_ticks: 32,
                    lsr: 0x5678_0000,
                    dlsr: 0x10000,
                }),
            ]
        );
    }

    #[test]
    fn receiver_report_alone_is_reduced_size() {
        let items: Vec<RtcpItem> = reports(&hex(RR_ONE_BLOCK)).collect();
        let [RtcpItem::ReportBlock(b)] = items[..] else {
            panic!("{items:?}")
        };
        assert_eq!((b.reporter_ssrc, b.source_ssrc), (0x0a0b_0c0d, 0x0102_0304));
        assert_eq!(b.fraction_lost, 255.0 / 256.0);
        assert_eq!(b.cumulative_lost, 0x7F_FFFF);
        assert_eq!((b.highest_seq, b.lsr), (u32::MAX, 0));
        // An RR with no blocks, and a lone feedback packet (RFC 5506): valid, no items.
        assert_eq!(reports(&hex("80c9000100000007")).count(), 0);
        assert_eq!(reports(&hex("81cd0002000000070000000a")).count(), 0);
        // RR then SR in one compound: blocks of both, in order.
        let mut both = hex(RR_ONE_BLOCK);
        both.extend(hex(SR_ONE_BLOCK));
        assert_eq!(reports(&both).count(), 3);
    }

    #[test]
    fn compound_sr_sdes() {
        let items: Vec<RtcpItem> = reports(&hex(SR_SDES)).collect();
        assert_eq!(items.len(), 2);
        let RtcpItem::SenderInfo(s) = items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(
            (s.ssrc, s.ntp_middle32, s.rtp_ts, s.packets, s.octets),
            (0x5d93_1534, 0xc170_4d61, 32000, 200, 32000)
        );
        let RtcpItem::ReportBlock(b) = items[1] else {
            panic!("{items:?}")
        };
        assert_eq!((b.reporter_ssrc, b.source_ssrc), (0x5d93_1534, 0));
        assert_eq!((b.cumulative_lost, b.highest_seq, b.lsr), (1, 0, 0));
    }

    #[test]
    fn padding_on_the_last_packet() {
        // RR (no blocks) + 4 bytes of padding (P set, length 2, last byte 4).
        let rr = hex("a0c900020000000700000004");
        assert_eq!(reports(&rr).count(), 0);
        assert!(is_valid_compound(&rr));
        // Padding on a packet that is not the last: invalid.
        let mut two = rr.clone();
        two.extend(hex(RR_ONE_BLOCK));
        assert_eq!(reports(&two).count(), 0);
        // Padding that eats the report block.
        let mut b = hex(RR_ONE_BLOCK);
        b[0] |= 0x20;
        *b.last_mut().unwrap() = 8;
        assert_eq!(reports(&b).count(), 0);
    }

    #[test]
    fn garbage_and_truncation_yield_nothing() {
        for bad in [
            hex(TEAMS_SRTCP),
            hex(&SR_ONE_BLOCK[..SR_ONE_BLOCK.len() - 2]),
            hex(&SR_SDES[..SR_SDES.len() - 2]),
            hex("81c8000c1122"),
            // RC 2 in a packet long enough for one block.
            hex(&SR_ONE_BLOCK.replacen("81", "82", 1)),
            // Version 1; PT 100.
            hex(&RR_ONE_BLOCK.replacen("81", "41", 1)),
            hex(&RR_ONE_BLOCK.replacen("c9", "64", 1)),
            vec![],
            vec![0x80],
            vec![0xff; 64],
        ] {
            assert_eq!(reports(&bad).count(), 0, "{bad:02x?}");
        }
        // Every prefix and every single-byte change: no panic.
        let good = hex(SR_SDES);
        for n in 0..good.len() {
            let _ = reports(&good[..n]).count();
            for v in [0u8, 0x5a, 0xff] {
                let mut m = good.clone();
                m[n] = v;
                assert!(reports(&m).count() <= 2);
            }
        }
        let mut it = reports(&good);
        assert_eq!(it.by_ref().count(), 2);
        assert_eq!(it.next(), None);
    }

    #[test]
    fn round_trip() {
        // A - LSR = 0x18000 (1.5 s), DLSR 1 s: 500 ms.
        assert_eq!(rtt_ms(0x5678_0000, 0x1_0000, 0x5679_8000), Some(500.0));
        // Across the wrap of the 32-bit NTP middle: 0x14000 = 1.25 s.
        assert_eq!(rtt_ms(0xFFFF_0000, 0x4000, 0x0000_8000), Some(1250.0));
        assert_eq!(rtt_ms(0, 0x1_0000, 0x5679_8000), None);
        // Negative (arrival before LSR + DLSR), and absurd (> 10 s).
        assert_eq!(rtt_ms(0x5678_0000, 0x2_0000, 0x5679_8000), None);
        assert_eq!(rtt_ms(0x5678_0000, 0, 0x5683_0000), None);
        assert_eq!(rtt_ms(0x5678_0000, 0, 0x5678_0000), Some(0.0));
        // 21 ms after LSR + DLSR: 21 * 65536 / 1000 = 1376.256 units; truncated to 1376.
        let a = ntp_middle32_of_ns(1_000_000_000 + 21_000_000);
        let lsr = ntp_middle32_of_ns(1_000_000_000 - 500_000_000);
        let rtt = rtt_ms(lsr, 0x8000, a).unwrap();
        assert!((rtt - 21.0).abs() < 0.02, "{rtt}");
    }

    #[test]
    fn ntp_middle() {
        // 2 208 988 800 = 0x83AA7E80.
        assert_eq!(ntp_middle32_of_ns(0), 0x7E80_0000);
        assert_eq!(ntp_middle32_of_ns(500_000_000), 0x7E80_8000);
        assert_eq!(ntp_middle32_of_ns(-1), 0x7E7F_FFFF);
        assert_eq!(ntp_middle32_of_ns(1_000_000_000), 0x7E81_0000);
        let _ = ntp_middle32_of_ns(i64::MIN);
        let _ = ntp_middle32_of_ns(i64::MAX);
    }
}
