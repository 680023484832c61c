//! RTP and RTCP with chosen figures (issue 16, media quality): one direction's RTP datagrams
//! from a schedule of (capture time, sequence number, timestamp), and RTCP sender and receiver
//! reports with report blocks and NTP times (RFC 3550 §6.4).
#![allow(dead_code)]

use std::net::SocketAddr;

use super::builder::{ip_udp, set_dscp, Dir};
use super::payloads;

/// One RTP packet of a schedule: when it is captured, its sequence number and timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub at_ns: i64,
    pub seq: u16,
    pub ts: u32,
}

/// `n` packets of a constant-rate stream: the i-th captured at `start_ns + i * interval_ns`,
/// sequence number `seq0 + i` (wrapping at 2^16), timestamp `i * ts_step`.
pub fn schedule(start_ns: i64, interval_ns: i64, seq0: u16, ts_step: u32, n: usize) -> Vec<Sent> {
    (0..n)
        .map(|i| Sent {
            at_ns: start_ns + i as i64 * interval_ns,
            seq: seq0.wrapping_add(i as u16),
            ts: (i as u32).wrapping_mul(ts_step),
        })
        .collect()
}

/// A schedule as UDP datagrams going `dir` between `client` and `server`: RTP of payload type
/// `pt` and `ssrc` (160 payload bytes), the IP header marked with DSCP `dscp`.
pub fn rtp_udp(
    client: SocketAddr,
    server: SocketAddr,
    dir: Dir,
    pt: u8,
    ssrc: u32,
    dscp: u8,
    sched: &[Sent],
) -> Vec<(i64, Vec<u8>, Dir)> {
    let (src, dst) = match dir {
        Dir::Forward => (client, server),
        Dir::Reverse => (server, client),
    };
    sched
        .iter()
        .map(|s| {
            let rtp = payloads::rtp(pt, s.seq, s.ts, ssrc, false, 160);
            let mut ip = ip_udp(src.ip(), src.port(), dst.ip(), dst.port(), &rtp);
            set_dscp(&mut ip, dscp);
            (s.at_ns, ip, dir)
        })
        .collect()
}

/// Seconds from the NTP epoch (1900) to the Unix epoch (RFC 868).
const NTP_UNIX_OFFSET_S: u64 = 2_208_988_800;
const NS_PER_S: i64 = 1_000_000_000;

/// The 64-bit NTP time (RFC 5905 §6: 32 bits of seconds since 1900, 32 of fraction) of a Unix
/// time in ns, the fraction truncated.
pub fn ntp_of_ns(unix_ns: i64) -> u64 {
    let secs = unix_ns.div_euclid(NS_PER_S) as u64 + NTP_UNIX_OFFSET_S;
    let frac = ((unix_ns.rem_euclid(NS_PER_S) as u64) << 32) / NS_PER_S as u64;
    (secs << 32) | frac
}

/// The middle 32 bits of an NTP time (16.16 seconds): what a report block's LSR repeats.
pub fn ntp_middle32(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// One report block (RFC 3550 §6.4.1): what the reporter received of `source_ssrc`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportBlock {
    pub source_ssrc: u32,
    /// Fraction lost since the previous report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (24-bit signed).
    pub cumulative_lost: i32,
    pub highest_seq: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Middle 32 bits of the last SR's NTP time (0: none received).
    pub lsr: u32,
    /// Delay since that SR, in 1/65536 s.
    pub dlsr: u32,
}

impl ReportBlock {
    fn write(&self, out: &mut Vec<u8>) {
        assert!((-(1 << 23)..1 << 23).contains(&self.cumulative_lost));
        let lost =
            (u32::from(self.fraction_lost) << 24) | (self.cumulative_lost as u32 & 0xFF_FFFF);
        for word in [
            self.source_ssrc,
            lost,
            self.highest_seq,
            self.jitter,
            self.lsr,
            self.dlsr,
        ] {
            out.extend_from_slice(&word.to_be_bytes());
        }
    }
}

/// An RTCP packet of type `pt` whose body after the header is `body` (a multiple of 4 bytes).
fn rtcp_packet(pt: u8, count: usize, body: &[u8]) -> Vec<u8> {
    assert!(count < 32 && body.len() % 4 == 0);
    let mut out = vec![0x80 | count as u8, pt];
    out.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A sender report (RFC 3550 §6.4.1) from `ssrc` at NTP time `ntp`, with its report blocks.
pub fn sender_report(
    ssrc: u32,
    ntp: u64,
    rtp_ts: u32,
    packets: u32,
    octets: u32,
    blocks: &[ReportBlock],
) -> Vec<u8> {
    let mut body = Vec::new();
    for word in [
        ssrc,
        (ntp >> 32) as u32,
        ntp as u32,
        rtp_ts,
        packets,
        octets,
    ] {
        body.extend_from_slice(&word.to_be_bytes());
    }
    for b in blocks {
        b.write(&mut body);
    }
    rtcp_packet(200, blocks.len(), &body)
}

/// A receiver report (RFC 3550 §6.4.2) from `reporter` with its report blocks.
pub fn receiver_report(reporter: u32, blocks: &[ReportBlock]) -> Vec<u8> {
    let mut body = reporter.to_be_bytes().to_vec();
    for b in blocks {
        b.write(&mut body);
    }
    rtcp_packet(201, blocks.len(), &body)
}
