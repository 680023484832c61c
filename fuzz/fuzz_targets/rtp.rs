//! RTP / RTCP parsing (`proto::rtp`) on arbitrary bytes.
//!
//! Properties, besides "no panic, no abort":
//! - `demux` of the first byte agrees with the parsers: RTP and RTCP only in 128..=191;
//! - `parse_rtp` and `parse_rtcp` never both accept the same bytes;
//! - a parsed RTP header's fields are the input's bytes, and header + payload fit the input;
//! - a parsed RTCP compound names the input's first packet type and SSRC, has
//!   1..=`MAX_RTCP_PACKETS` packets (1 when not exact);
//! - `walk_rfc4571` finds at most 32 frames, each >= 12 bytes, RTP/RTCP by `demux`, laid
//!   out back to back from the start of the input.
#![no_main]

use callpath::proto::rtp::{self, Demux};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let demuxed = data.first().map(|&b| rtp::demux(b));
    let h = rtp::parse_rtp(data);
    let c = rtp::parse_rtcp(data);
    assert!(h.is_none() || c.is_none(), "both RTP and RTCP");
    if let Some(h) = h {
        assert_eq!(demuxed, Some(Demux::RtpRtcp));
        assert!(!rtp::is_rtcp_pt(data[1]));
        assert_eq!(h.payload_type, data[1] & 0x7F);
        assert_eq!(h.marker, data[1] & 0x80 != 0);
        assert_eq!(h.seq, u16::from_be_bytes([data[2], data[3]]));
        assert_eq!(
            h.ssrc,
            u32::from_be_bytes([data[8], data[9], data[10], data[11]])
        );
        assert_eq!(h.csrc_count, data[0] & 0x0F);
        assert!(12 + 4 * usize::from(h.csrc_count) + h.payload_len <= data.len());
    }
    if let Some(c) = c {
        assert_eq!(demuxed, Some(Demux::RtpRtcp));
        assert!(rtp::is_rtcp_pt(data[1]));
        assert_eq!(c.first_pt, data[1]);
        assert_eq!(
            c.ssrc,
            u32::from_be_bytes([data[4], data[5], data[6], data[7]])
        );
        assert!((1..=rtp::MAX_RTCP_PACKETS).contains(&c.packets));
        assert!(c.exact || c.packets == 1);
        assert!(usize::from(c.packets) * 4 <= data.len());
    }

    let mut at = 0usize;
    let n = rtp::walk_rfc4571(data, |f| {
        let len = usize::from(u16::from_be_bytes([data[at], data[at + 1]]));
        assert_eq!(f.len(), len, "frame length is not its prefix");
        assert_eq!(
            f.as_ptr() as usize - data.as_ptr() as usize,
            at + 2,
            "frames not back to back"
        );
        assert!(f.len() >= 12);
        assert_eq!(rtp::demux(f[0]), Demux::RtpRtcp);
        at += 2 + len;
    });
    assert!(n <= 32);
    assert!(at <= data.len());
    assert_eq!(n == 0, at == 0);
});
