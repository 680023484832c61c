//! RTP and RTCP headers (RFC 3550), rtcp-mux (RFC 5761), first-byte demultiplexing
//! (RFC 7983) and RTP/RTCP over TCP framing (RFC 4571).
//!
//! SRTP/SRTCP (RFC 3711) keep these headers in the clear, which is all we read.

use crate::bytes::{be16, be32};

/// RFC 7983 §7 (updating RFC 5764 §5.1.2): what the first byte of a multiplexed packet says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Demux {
    /// 0..=3
    Stun,
    /// 16..=19
    Zrtp,
    /// 20..=63
    Dtls,
    /// 64..=79
    TurnChannel,
    /// 128..=191
    RtpRtcp,
    Other,
}

/// RFC 7983 §7 first-byte ranges.
pub fn demux(first: u8) -> Demux {
    match first {
        0..=3 => Demux::Stun,
        16..=19 => Demux::Zrtp,
        20..=63 => Demux::Dtls,
        64..=79 => Demux::TurnChannel,
        128..=191 => Demux::RtpRtcp,
        _ => Demux::Other,
    }
}

/// RFC 5761 §4: a second byte whose low 7 bits are 64..=95 is RTCP (PT 192..=223), not RTP.
pub fn is_rtcp_pt(second: u8) -> bool {
    (64..=95).contains(&(second & 0x7F))
}

/// RFC 3550 §5.1 fixed header fields (+ the lengths we validated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub csrc_count: u8,
    pub extension: bool,
    /// Bytes of payload after the header, extension and before padding.
    pub payload_len: usize,
}

/// RFC 3550 §5.1:
/// ```text
///  0                   1                   2                   3
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers (CC)        |
/// ```
/// plus §5.3.1 header extension (`profile(2) length(2 words)`) and the padding rule (last
/// byte counts padding, itself included). Rejects PTs in the RFC 5761 RTCP range.
pub fn parse_rtp(data: &[u8]) -> Option<RtpHeader> {
    let b0 = *data.first()?;
    let b1 = *data.get(1)?;
    if b0 >> 6 != 2 || is_rtcp_pt(b1) {
        return None;
    }
    let cc = b0 & 0x0F;
    let mut hlen = 12 + 4 * usize::from(cc);
    if data.len() < hlen {
        return None;
    }
    let extension = b0 & 0x10 != 0;
    if extension {
        let words = usize::from(be16(data, hlen + 2)?);
        hlen += 4 + 4 * words;
        if data.len() < hlen {
            return None;
        }
    }
    let mut payload_len = data.len() - hlen;
    if b0 & 0x20 != 0 {
        let pad = usize::from(*data.last()?);
        if pad == 0 || pad > payload_len {
            return None;
        }
        payload_len -= pad;
    }
    Some(RtpHeader {
        marker: b1 & 0x80 != 0,
        payload_type: b1 & 0x7F,
        seq: be16(data, 2)?,
        timestamp: be32(data, 4)?,
        ssrc: be32(data, 8)?,
        csrc_count: cc,
        extension,
        payload_len,
    })
}

/// RTCP packet types (RFC 3550 §12.1, RFC 4585, RFC 3611).
pub mod rtcp_pt {
    pub const SR: u8 = 200;
    pub const RR: u8 = 201;
    pub const SDES: u8 = 202;
    pub const BYE: u8 = 203;
    pub const APP: u8 = 204;
    pub const RTPFB: u8 = 205;
    pub const PSFB: u8 = 206;
    pub const XR: u8 = 207;
}

/// Result of walking an RTCP compound packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtcpCompound {
    /// Packet type of the first packet.
    pub first_pt: u8,
    /// Sender SSRC of the first packet.
    pub ssrc: u32,
    /// Packets walked (capped at `MAX_RTCP_PACKETS`).
    pub packets: u8,
    /// Lengths add up to the datagram exactly (plain RTCP). False: SRTCP (RFC 3711 §3.4,
    /// everything after the first 8 bytes encrypted, then E|index and the auth tag), where
    /// only the first header is readable and at least 4 trailer bytes follow it.
    pub exact: bool,
}

/// Walk cap for one compound (a 1500-byte datagram holds at most ~190 4-byte packets).
pub const MAX_RTCP_PACKETS: u8 = 64;

/// RFC 3550 §6.4 / §A.2 validity checks on a compound packet: version 2 everywhere, PT
/// 200..=207 for the first packet (RFC 5506 reduced-size allows any of them first), no padding
/// on the first packet, and `length` fields (words minus one) adding up to the datagram. An
/// SRTCP datagram is accepted with `exact = false` when its first packet fits and leaves at
/// least the 4-byte E|SRTCP-index trailer.
pub fn parse_rtcp(data: &[u8]) -> Option<RtcpCompound> {
    let b0 = *data.first()?;
    let pt = *data.get(1)?;
    if b0 >> 6 != 2 || b0 & 0x20 != 0 || !(rtcp_pt::SR..=rtcp_pt::XR).contains(&pt) {
        return None;
    }
    let first_len = 4 * (usize::from(be16(data, 2)?) + 1);
    if first_len < 8 || first_len > data.len() {
        return None;
    }
    let ssrc = be32(data, 4)?;
    let mut rest = data.get(first_len..)?;
    let mut packets: u8 = 1;
    while !rest.is_empty() && packets < MAX_RTCP_PACKETS {
        let ok = match (rest.first(), rest.get(1), be16(rest, 2)) {
            (Some(b), Some(p), Some(l)) => {
                let len = 4 * (usize::from(l) + 1);
                (b >> 6 == 2 && (192..=223).contains(p) && len <= rest.len()).then_some(len)
            }
            _ => None,
        };
        match ok {
            Some(len) => {
                rest = rest.get(len..)?;
                packets += 1;
            }
            None => break,
        }
    }
    if rest.is_empty() {
        return Some(RtcpCompound {
            first_pt: pt,
            ssrc,
            packets,
            exact: true,
        });
    }
    // SRTCP: E|index (4 bytes) + optional MKI + auth tag (0..=16): trailer after the first
    // packet when the encrypted remainder is unreadable.
    (data.len() >= first_len + 4).then_some(RtcpCompound {
        first_pt: pt,
        ssrc,
        packets: 1,
        exact: false,
    })
}

/// RFC 4571 §2: `LENGTH(2) packet` repeated over a TCP stream. Calls `f` with each complete
/// frame whose first byte is in the RTP/RTCP range; returns the number of frames.
pub fn walk_rfc4571<'a>(data: &'a [u8], mut f: impl FnMut(&'a [u8])) -> usize {
    let mut rest = data;
    let mut n = 0;
    while n < 32 {
        let Some(len) = be16(rest, 0) else { break };
        let Some((frame, tail)) = rest.get(2..).and_then(|r| r.split_at_checked(len.into())) else {
            break;
        };
        if frame.len() < 12 || demux(*frame.first().unwrap_or(&0)) != Demux::RtpRtcp {
            break;
        }
        f(frame);
        n += 1;
        rest = tail;
    }
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    use crate::proto::tests::hex;

    /// rtcp_multiple_pkts_in_the_same_datagram.pcap: SR + SDES in one datagram.
    const SR_SDES: &str = "81c8000c5d931534dd3ac1704d614df800007d00000000c800007d0000000000000000010000000000000000000000000000000081ca000e5d931534010835643933313533340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f6e2e636f6d000000";
    /// stun_msteams_unidir.pcapng: Teams SRTCP RR (first header only is clear).
    const TEAMS_SRTCP: &str =
        "80c90005000003e85445413b6f681514fa9c98c95d7a5cf38000a15e01e3e4b990e8e3fcd2e170";

    #[test]
    fn compound_rtcp() {
        let b = hex(SR_SDES);
        let c = parse_rtcp(&b).unwrap();
        assert_eq!(
            (c.first_pt, c.ssrc, c.packets, c.exact),
            (200, 0x5d931534, 2, true)
        );
        // one byte short: lengths no longer add up, and 1..3 trailing bytes is not SRTCP
        let mut short = b.clone();
        short.push(0);
        let c = parse_rtcp(&short).unwrap();
        assert!(!c.exact);
        assert!(parse_rtp(&b).is_none());
    }

    #[test]
    fn teams_srtcp() {
        let b = hex(TEAMS_SRTCP);
        let c = parse_rtcp(&b).unwrap();
        assert_eq!((c.first_pt, c.ssrc, c.exact), (201, 1000, false));
    }

    #[test]
    fn rtp_header() {
        // V=2, X=1, PT=111, seq 0x1234, ts 1, ssrc 0xdeadbeef, ext 0xBEDE len 1, payload 3
        let b = [
            0x90, 111, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0xbe, 0xde, 0, 1, 1, 2, 3,
            4, 9, 9, 9,
        ];
        let h = parse_rtp(&b).unwrap();
        assert_eq!(
            (h.payload_type, h.seq, h.ssrc, h.payload_len),
            (111, 0x1234, 0xdeadbeef, 3)
        );
        assert!(h.extension);
        // extension longer than packet
        let mut bad = b;
        bad[15] = 9;
        assert!(parse_rtp(&bad).is_none());
        // padding larger than payload
        let mut pad = b;
        pad[0] |= 0x20;
        pad[22] = 200;
        assert!(parse_rtp(&pad).is_none());
        // CSRC count beyond the packet
        assert!(parse_rtp(&[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(parse_rtp(&[0x40; 20]).is_none());
    }

    #[test]
    fn demux_ranges() {
        assert_eq!(demux(0), Demux::Stun);
        assert_eq!(demux(22), Demux::Dtls);
        assert_eq!(demux(0x40), Demux::TurnChannel);
        assert_eq!(demux(0x80), Demux::RtpRtcp);
        assert_eq!(demux(0xFF), Demux::Other);
        assert!(is_rtcp_pt(200));
        assert!(!is_rtcp_pt(0));
    }

    #[test]
    fn rfc4571_frames() {
        let rtp = [0x80u8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 1, 2];
        let mut s = Vec::new();
        for _ in 0..3 {
            s.extend_from_slice(&(rtp.len() as u16).to_be_bytes());
            s.extend_from_slice(&rtp);
        }
        assert_eq!(walk_rfc4571(&s, |_| {}), 3);
        assert_eq!(walk_rfc4571(&s[..10], |_| {}), 0);
    }
}
