//! Benchmark capture generator (benchmark support code, not a shipped feature).
//!
//! Writes a deterministic (from `--seed`) capture of a site that reaches Office 365 over
//! ExpressRoute and the Internet, streamed through a `BufWriter` (the file is never held in
//! memory):
//!
//! ```text
//! cargo run --release --example gen_capture -- --seed 1 --size 450M --format pcapng --out FILE
//!     [--calls 200] [--calls-per-slot 4] [--background 50000]
//! cargo run --release --example gen_capture -- --seed 1 --mode flows --flows 1000000 --out FILE
//! ```
//!
//! `--mode calls` (default): `--calls` concurrent Teams calls, each slot running
//! `--calls-per-slot` calls back to back; call durations stretch with `--size`, so files of
//! different sizes with the same options have the same flow count. Per call: a DNS lookup, TLS
//! signaling to `*.teams.microsoft.com` (handshake, ClientHello with SNI, ServerHello, keep-alives,
//! FIN), ICE/STUN checks then RTP at 50 packets/s per direction with SRTP-sized payloads (100-200
//! bytes) and RTCP every 5 s on the same 5-tuple (rtcp-mux); 70 % of calls use ExpressRoute
//! (media relays in 52.112.0.0/14, interface `er0`, VLAN 100), the rest the Internet (`inet0`,
//! VLAN 200); 2 % of ExpressRoute calls return over the Internet (asymmetric). 5 % of calls also
//! carry SIP over UDP to an SBC. Background: `--background` short web (TLS) and DNS flows spread
//! over the capture, plus ICMP and ARP.
//!
//! `--mode flows`: `--flows N` short UDP flows (query, answer, query: 3 packets each), all open
//! within 90 s of capture time: N concurrent flows.
//!
//! `--format pcapng` (default) writes two named interfaces `er0` / `inet0` (ns timestamps) and
//! VLAN tags; `--format pcap` writes classic pcap (µs), paths told apart by VLAN 100 / 200.

#[path = "../tests/support/payloads.rs"]
mod payloads;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{Ipv4Addr, SocketAddr};

const NS: i64 = 1_000_000_000;
const TICK_NS: i64 = 20_000_000; // 20 ms: one RTP packet per direction per call
const START_NS: i64 = 1_793_610_000 * NS; // 2026-11-02T09:00:00Z (approximately)

const MAC_HOST: [u8; 6] = [0x02, 0, 0, 0, 0x0a, 0x01]; // site firewall, inside
const MAC_ER: [u8; 6] = [0x02, 0, 0, 0, 0x0e, 0x01]; // ExpressRoute router
const MAC_INET: [u8; 6] = [0x02, 0, 0, 0, 0x1e, 0x01]; // Internet router

// ---- deterministic RNG (SplitMix64) ----

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

// ---- output ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fmt {
    Pcap,
    Pcapng,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    Er,
    Inet,
}

struct Writer {
    out: BufWriter<File>,
    fmt: Fmt,
    written: u64,
    packets: u64,
    frame: Vec<u8>,
    block: Vec<u8>,
}

impl Writer {
    fn new(path: &str, fmt: Fmt) -> std::io::Result<Writer> {
        let out = BufWriter::with_capacity(1 << 20, File::create(path)?);
        let mut w = Writer {
            out,
            fmt,
            written: 0,
            packets: 0,
            frame: Vec::with_capacity(2048),
            block: Vec::with_capacity(2048),
        };
        let mut h = Vec::new();
        match fmt {
            Fmt::Pcap => {
                h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
                h.extend_from_slice(&2u16.to_le_bytes());
                h.extend_from_slice(&4u16.to_le_bytes());
                h.extend_from_slice(&0i32.to_le_bytes());
                h.extend_from_slice(&0u32.to_le_bytes());
                h.extend_from_slice(&262_144u32.to_le_bytes());
                h.extend_from_slice(&1u32.to_le_bytes());
            }
            Fmt::Pcapng => {
                // SHB: no options.
                h.extend_from_slice(&0x0A0D_0D0Au32.to_le_bytes());
                h.extend_from_slice(&28u32.to_le_bytes());
                h.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
                h.extend_from_slice(&1u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&(-1i64).to_le_bytes());
                h.extend_from_slice(&28u32.to_le_bytes());
                for name in ["er0", "inet0"] {
                    idb(&mut h, name);
                }
            }
        }
        w.out.write_all(&h)?;
        w.written += h.len() as u64;
        Ok(w)
    }

    /// Writes `self.frame` as one record.
    fn emit(&mut self, ts_ns: i64, path: Path) -> std::io::Result<()> {
        let len = self.frame.len() as u32;
        self.block.clear();
        match self.fmt {
            Fmt::Pcap => {
                let b = &mut self.block;
                b.extend_from_slice(&((ts_ns / NS) as u32).to_le_bytes());
                b.extend_from_slice(&(((ts_ns % NS) / 1000) as u32).to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&self.frame);
            }
            Fmt::Pcapng => {
                let padded = (self.frame.len() + 3) & !3;
                let total = (32 + padded) as u32;
                let b = &mut self.block;
                let if_id: u32 = if path == Path::Er { 0 } else { 1 };
                b.extend_from_slice(&6u32.to_le_bytes());
                b.extend_from_slice(&total.to_le_bytes());
                b.extend_from_slice(&if_id.to_le_bytes());
                b.extend_from_slice(&((ts_ns as u64 >> 32) as u32).to_le_bytes());
                b.extend_from_slice(&(ts_ns as u64 as u32).to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&self.frame);
                b.resize(b.len() + padded - self.frame.len(), 0);
                b.extend_from_slice(&total.to_le_bytes());
            }
        }
        self.out.write_all(&self.block)?;
        self.written += self.block.len() as u64;
        self.packets += 1;
        Ok(())
    }
}

fn idb(h: &mut Vec<u8>, name: &str) {
    let mut opts = Vec::new();
    // if_name (2)
    opts.extend_from_slice(&2u16.to_le_bytes());
    opts.extend_from_slice(&(name.len() as u16).to_le_bytes());
    opts.extend_from_slice(name.as_bytes());
    while opts.len() % 4 != 0 {
        opts.push(0);
    }
    // if_tsresol (9) = 9: nanoseconds
    opts.extend_from_slice(&9u16.to_le_bytes());
    opts.extend_from_slice(&1u16.to_le_bytes());
    opts.extend_from_slice(&[9, 0, 0, 0]);
    opts.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
    let total = (20 + opts.len()) as u32;
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&total.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // LINKTYPE_ETHERNET
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&262_144u32.to_le_bytes());
    h.extend_from_slice(&opts);
    h.extend_from_slice(&total.to_le_bytes());
}

// ---- frames ----

fn checksum(data: &[u8], mut sum: u32) -> u16 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [b] = chunks.remainder() {
        sum += u32::from(*b) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Ethernet + 802.1Q + IPv4 header into `f`; returns the offset of the IP header.
fn eth_ip(
    f: &mut Vec<u8>,
    src_internal: bool,
    path: Path,
    proto: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    l4_len: usize,
) -> usize {
    f.clear();
    let router = if path == Path::Er { MAC_ER } else { MAC_INET };
    let (dmac, smac) = if src_internal {
        (router, MAC_HOST)
    } else {
        (MAC_HOST, router)
    };
    f.extend_from_slice(&dmac);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&0x8100u16.to_be_bytes());
    let vlan: u16 = if path == Path::Er { 100 } else { 200 };
    f.extend_from_slice(&vlan.to_be_bytes());
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let ip_at = f.len();
    let total = (20 + l4_len) as u16;
    f.extend_from_slice(&[0x45, 0xb8]); // DSCP EF
    f.extend_from_slice(&total.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, proto, 0, 0]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    let c = checksum(&f[ip_at..ip_at + 20], 0);
    f[ip_at + 10..ip_at + 12].copy_from_slice(&c.to_be_bytes());
    ip_at
}

#[derive(Clone, Copy)]
struct Ends {
    src: Ipv4Addr,
    sport: u16,
    dst: Ipv4Addr,
    dport: u16,
    src_internal: bool,
}

impl Ends {
    fn rev(self) -> Ends {
        Ends {
            src: self.dst,
            sport: self.dport,
            dst: self.src,
            dport: self.sport,
            src_internal: !self.src_internal,
        }
    }
}

fn udp(f: &mut Vec<u8>, e: Ends, path: Path, payload: &[u8]) {
    eth_ip(f, e.src_internal, path, 17, e.src, e.dst, 8 + payload.len());
    f.extend_from_slice(&e.sport.to_be_bytes());
    f.extend_from_slice(&e.dport.to_be_bytes());
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]); // no checksum (IPv4)
    f.extend_from_slice(payload);
}

const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
const FIN: u8 = 0x01;

fn tcp(f: &mut Vec<u8>, e: Ends, path: Path, seq: u32, ack: u32, flags: u8, payload: &[u8]) {
    let ip_at = eth_ip(f, e.src_internal, path, 6, e.src, e.dst, 20 + payload.len());
    let tcp_at = f.len();
    f.extend_from_slice(&e.sport.to_be_bytes());
    f.extend_from_slice(&e.dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags]);
    f.extend_from_slice(&64_240u16.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    // Pseudo-header sum (RFC 9293 §3.1).
    let mut sum = 0u32;
    for c in f[ip_at + 12..ip_at + 20].chunks_exact(2) {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    sum += 6 + (f.len() - tcp_at) as u32;
    let c = checksum(&f[tcp_at..], sum);
    f[tcp_at + 16..tcp_at + 18].copy_from_slice(&c.to_be_bytes());
}

// ---- scenario: calls ----

struct Call {
    client: Ipv4Addr,
    media: Ends,
    sig: Ends,
    path: Path,
    /// Reverse media path (differs from `path` for asymmetric calls).
    rev_path: Path,
    ssrc: [u32; 2],
    seq: [u16; 2],
    rtp_ts: [u32; 2],
    /// TCP next sequence numbers, client and server.
    tcp_seq: [u32; 2],
    sip: bool,
    start_tick: u64,
    end_tick: u64,
    /// Sub-tick offset so calls do not all send at the same nanosecond.
    phase_ns: i64,
    id: u64,
}

fn client_ip(i: u64) -> Ipv4Addr {
    Ipv4Addr::new(10, 20 + (i >> 16) as u8, (i >> 8) as u8, (i as u8).max(1))
}

fn er_relay(rng: &mut Rng) -> Ipv4Addr {
    // 52.112.0.0/14: Teams media relays, ExpressRoute-routable.
    Ipv4Addr::new(
        52,
        112 + rng.below(4) as u8,
        rng.below(256) as u8,
        1 + rng.below(250) as u8,
    )
}

fn inet_peer(rng: &mut Rng) -> Ipv4Addr {
    // Public addresses outside Office 365 (peer-to-peer media, consumer relays).
    Ipv4Addr::new(
        [81, 92, 145, 178, 203][rng.below(5) as usize],
        rng.below(256) as u8,
        rng.below(256) as u8,
        1 + rng.below(250) as u8,
    )
}

fn new_call(rng: &mut Rng, id: u64, start_tick: u64, end_tick: u64) -> Call {
    let client = client_ip(id);
    let er = rng.chance(70);
    let path = if er { Path::Er } else { Path::Inet };
    let rev_path = if er && rng.chance(2) {
        Path::Inet
    } else {
        path
    };
    let relay = if er { er_relay(rng) } else { inet_peer(rng) };
    let sig_server = Ipv4Addr::new(
        52,
        113 + rng.below(2) as u8,
        rng.below(256) as u8,
        1 + rng.below(250) as u8,
    );
    Call {
        client,
        media: Ends {
            src: client,
            sport: 50_000 + rng.below(60) as u16,
            dst: relay,
            dport: 3478 + rng.below(4) as u16,
            src_internal: true,
        },
        sig: Ends {
            src: client,
            sport: 49_152 + rng.below(16_000) as u16,
            dst: sig_server,
            dport: 443,
            src_internal: true,
        },
        path,
        rev_path,
        ssrc: [rng.next() as u32, rng.next() as u32],
        seq: [rng.next() as u16, rng.next() as u16],
        rtp_ts: [rng.next() as u32, rng.next() as u32],
        tcp_seq: [rng.next() as u32, rng.next() as u32],
        sip: rng.chance(5),
        start_tick,
        end_tick,
        phase_ns: rng.below(TICK_NS as u64 / 2) as i64,
        id,
    }
}

const SNIS: [&str; 4] = [
    "api.flightproxy.teams.microsoft.com",
    "teams.microsoft.com",
    "trouter.teams.microsoft.com",
    "config.teams.microsoft.com",
];

fn call_start(w: &mut Writer, rng: &mut Rng, c: &mut Call, t: i64) -> std::io::Result<()> {
    let p = c.path;
    // DNS lookup through the internal resolver to a public one (Internet path).
    let resolver = Ends {
        src: Ipv4Addr::new(10, 0, 0, 53),
        sport: 1024 + rng.below(60_000) as u16,
        dst: Ipv4Addr::new(198, 51, 100, 53),
        dport: 53,
        src_internal: true,
    };
    let q = payloads::dns_query(rng.next() as u16, SNIS[(c.id % 4) as usize]);
    udp(&mut w.frame, resolver, Path::Inet, &q);
    w.emit(t, Path::Inet)?;
    let mut ans = q.clone();
    ans[2] = 0x81;
    ans[3] = 0x80;
    udp(&mut w.frame, resolver.rev(), Path::Inet, &ans);
    w.emit(t + 3_000_000, Path::Inet)?;
    // TLS signaling: handshake, ClientHello with SNI, ServerHello.
    let s = c.sig;
    let t = t + 5_000_000;
    let [cs, ss] = c.tcp_seq;
    tcp(&mut w.frame, s, p, cs, 0, SYN, &[]);
    w.emit(t, p)?;
    tcp(&mut w.frame, s.rev(), p, ss, cs + 1, SYN | ACK, &[]);
    w.emit(t + 2_000_000, p)?;
    tcp(&mut w.frame, s, p, cs + 1, ss + 1, ACK, &[]);
    w.emit(t + 2_100_000, p)?;
    let hello = payloads::tls_client_hello(SNIS[(c.id % 4) as usize], &["h2", "http/1.1"], 0);
    tcp(&mut w.frame, s, p, cs + 1, ss + 1, PSH | ACK, &hello);
    w.emit(t + 2_200_000, p)?;
    let sh = payloads::tls_server_hello();
    tcp(
        &mut w.frame,
        s.rev(),
        p,
        ss + 1,
        cs + 1 + hello.len() as u32,
        PSH | ACK,
        &sh,
    );
    w.emit(t + 4_500_000, p)?;
    c.tcp_seq = [cs + 1 + hello.len() as u32, ss + 1 + sh.len() as u32];
    // ICE connectivity checks on the media 5-tuple.
    let m = c.media;
    for i in 0..4u8 {
        let mut tx = [0u8; 12];
        tx[..8].copy_from_slice(&rng.next().to_le_bytes());
        tx[11] = i;
        let req = payloads::stun_binding_request(tx, Some("remote:local"));
        udp(&mut w.frame, m, p, &req);
        w.emit(t + 10_000_000 + i64::from(i) * 50_000_000, p)?;
        let resp = payloads::stun_binding_success(
            tx,
            SocketAddr::from((Ipv4Addr::new(192, 0, 2, 17), m.sport)),
        );
        udp(&mut w.frame, m.rev(), c.rev_path, &resp);
        w.emit(t + 12_000_000 + i64::from(i) * 50_000_000, c.rev_path)?;
    }
    if c.sip {
        // SIP over UDP to the on-prem SBC (local traffic seen at the er0 tap).
        let sbc = Ends {
            src: c.client,
            sport: 5060,
            dst: Ipv4Addr::new(10, 30, 0, 20),
            dport: 5060,
            src_internal: true,
        };
        let call_id = format!("{:016x}@callpath.bench", c.id);
        let sdp = payloads::sdp(c.client.into(), &[("audio", m.sport)], c.client.into());
        let inv = payloads::sip_invite(
            &call_id,
            "alice@contoso.com",
            "+15551234567@sbc.contoso.com",
            "10.20.0.1",
            Some(&sdp),
        );
        udp(&mut w.frame, sbc, Path::Er, &inv);
        w.emit(t + 20_000_000, Path::Er)?;
        let ok = payloads::sip_200_ok(
            &call_id,
            "alice@contoso.com",
            "+15551234567@sbc.contoso.com",
            "10.20.0.1",
            &sdp,
        );
        udp(&mut w.frame, sbc.rev(), Path::Er, &ok);
        w.emit(t + 80_000_000, Path::Er)?;
    }
    Ok(())
}

fn call_tick(
    w: &mut Writer,
    rng: &mut Rng,
    c: &mut Call,
    tick: u64,
    t: i64,
) -> std::io::Result<()> {
    let m = c.media;
    let since = tick - c.start_tick;
    for dir in 0..2usize {
        let (e, p) = if dir == 0 {
            (m, c.path)
        } else {
            (m.rev(), c.rev_path)
        };
        let ts = t + c.phase_ns + dir as i64 * 7_000_000;
        if since % 250 == 125 + dir as u64 * 10 {
            // RTCP SR + SDES every 5 s, same 5-tuple (rtcp-mux).
            let rtcp = payloads::rtcp_compound(&[
                payloads::rtcp_sr(c.ssrc[dir]),
                payloads::rtcp_sdes_cname(c.ssrc[dir], "callpath@bench"),
            ]);
            udp(&mut w.frame, e, p, &rtcp);
            w.emit(ts + 1_000_000, p)?;
        }
        // RTP (SRTP-sized): 12-byte header + 88..188 bytes of "encrypted" payload + 10-byte tag.
        let len = 88 + rng.below(101) as usize;
        let mut rtp = [0u8; 212];
        rtp[0] = 0x80;
        rtp[1] = if since == 0 { 0x80 | 111 } else { 111 };
        rtp[2..4].copy_from_slice(&c.seq[dir].to_be_bytes());
        rtp[4..8].copy_from_slice(&c.rtp_ts[dir].to_be_bytes());
        rtp[8..12].copy_from_slice(&c.ssrc[dir].to_be_bytes());
        let x = rng.next().to_le_bytes();
        for (i, b) in rtp[12..12 + len + 10].iter_mut().enumerate() {
            *b = x[i & 7] ^ (i as u8);
        }
        c.seq[dir] = c.seq[dir].wrapping_add(1);
        c.rtp_ts[dir] = c.rtp_ts[dir].wrapping_add(960);
        udp(&mut w.frame, e, p, &rtp[..12 + len + 10]);
        w.emit(ts, p)?;
    }
    if since % 250 == 200 {
        // TLS keep-alive (application data record) on the signaling connection.
        let s = c.sig;
        let mut rec = vec![23u8, 3, 3, 0, 40];
        rec.resize(45, 0x42);
        tcp(
            &mut w.frame,
            s,
            c.path,
            c.tcp_seq[0],
            c.tcp_seq[1],
            PSH | ACK,
            &rec,
        );
        w.emit(t + 3_000_000, c.path)?;
        c.tcp_seq[0] = c.tcp_seq[0].wrapping_add(45);
        tcp(
            &mut w.frame,
            s.rev(),
            c.path,
            c.tcp_seq[1],
            c.tcp_seq[0],
            ACK,
            &[],
        );
        w.emit(t + 5_000_000, c.path)?;
    }
    Ok(())
}

fn call_end(w: &mut Writer, c: &Call, t: i64) -> std::io::Result<()> {
    let s = c.sig;
    let [cs, ss] = c.tcp_seq;
    tcp(&mut w.frame, s, c.path, cs, ss, FIN | ACK, &[]);
    w.emit(t, c.path)?;
    tcp(&mut w.frame, s.rev(), c.path, ss, cs + 1, FIN | ACK, &[]);
    w.emit(t + 1_000_000, c.path)?;
    tcp(&mut w.frame, s, c.path, cs + 1, ss + 1, ACK, &[]);
    w.emit(t + 2_000_000, c.path)
}

/// A short background flow: HTTPS to a web site (handshake, ClientHello, a few data packets,
/// FIN) or a DNS lookup; sometimes an ICMP echo or an ARP.
fn background(w: &mut Writer, rng: &mut Rng, n: u64, t: i64) -> std::io::Result<()> {
    let client = client_ip(rng.below(4000));
    let kind = rng.below(100);
    if kind < 55 {
        let e = Ends {
            src: client,
            sport: 32_768 + rng.below(28_000) as u16,
            dst: inet_peer(rng),
            dport: 443,
            src_internal: true,
        };
        let p = Path::Inet;
        let (cs, ss) = (rng.next() as u32, rng.next() as u32);
        tcp(&mut w.frame, e, p, cs, 0, SYN, &[]);
        w.emit(t, p)?;
        tcp(&mut w.frame, e.rev(), p, ss, cs + 1, SYN | ACK, &[]);
        w.emit(t + 1_000_000, p)?;
        tcp(&mut w.frame, e, p, cs + 1, ss + 1, ACK, &[]);
        w.emit(t + 1_100_000, p)?;
        let sni = format!("www{}.example{}.com", n % 97, n % 13);
        let hello = payloads::tls_client_hello(&sni, &["h2"], 0);
        tcp(&mut w.frame, e, p, cs + 1, ss + 1, PSH | ACK, &hello);
        w.emit(t + 1_200_000, p)?;
        let mut data = vec![23u8, 3, 3, 1, 0];
        data.resize(200 + rng.below(500) as usize, 0x17);
        let mut sseq = ss + 1;
        for i in 0..2 {
            tcp(
                &mut w.frame,
                e.rev(),
                p,
                sseq,
                cs + 1 + hello.len() as u32,
                PSH | ACK,
                &data,
            );
            w.emit(t + 5_000_000 + i * 300_000, p)?;
            sseq = sseq.wrapping_add(data.len() as u32);
        }
        tcp(
            &mut w.frame,
            e,
            p,
            cs + 1 + hello.len() as u32,
            sseq,
            FIN | ACK,
            &[],
        );
        w.emit(t + 9_000_000, p)?;
    } else if kind < 95 {
        let e = Ends {
            src: client,
            sport: 1024 + rng.below(60_000) as u16,
            dst: Ipv4Addr::new(198, 51, 100, 53),
            dport: 53,
            src_internal: true,
        };
        let q = payloads::dns_query(rng.next() as u16, "outlook.office365.com");
        udp(&mut w.frame, e, Path::Inet, &q);
        w.emit(t, Path::Inet)?;
        let mut ans = q;
        ans[2] = 0x81;
        ans[3] = 0x80;
        udp(&mut w.frame, e.rev(), Path::Inet, &ans);
        w.emit(t + 4_000_000, Path::Inet)?;
    } else if kind < 98 {
        // ICMP echo request to an ExpressRoute address.
        let dst = er_relay(rng);
        let f = &mut w.frame;
        eth_ip(f, true, Path::Er, 1, client, dst, 16);
        let icmp_at = f.len();
        f.extend_from_slice(&[8, 0, 0, 0, 0, 1, 0, (n & 0xff) as u8]);
        f.extend_from_slice(&[0x61; 8]);
        let c = checksum(&f[icmp_at..], 0);
        f[icmp_at + 2..icmp_at + 4].copy_from_slice(&c.to_be_bytes());
        w.emit(t, Path::Er)?;
    } else {
        let f = &mut w.frame;
        f.clear();
        f.extend_from_slice(&[0xff; 6]);
        f.extend_from_slice(&MAC_HOST);
        f.extend_from_slice(&0x8100u16.to_be_bytes());
        f.extend_from_slice(&200u16.to_be_bytes());
        f.extend_from_slice(&0x0806u16.to_be_bytes());
        f.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        f.extend_from_slice(&MAC_HOST);
        f.extend_from_slice(&[10, 0, 0, 1]);
        f.extend_from_slice(&[0; 6]);
        f.extend_from_slice(&client.octets());
        w.emit(t, Path::Inet)?;
    }
    Ok(())
}

fn gen_calls(w: &mut Writer, rng: &mut Rng, o: &Opts) -> std::io::Result<()> {
    // Bytes per tick: per call 2 RTP frames (~14+4+20+8+12+138+10 = 206 B + record overhead).
    let overhead = if o.fmt == Fmt::Pcapng { 34 } else { 16 };
    let per_tick = o.calls as f64 * 2.0 * (206.0 + overhead as f64) * 1.03;
    let bg_bytes = o.background as f64 * 0.55 * 1000.0;
    let ticks = (((o.size as f64 - bg_bytes).max(per_tick * 500.0)) / per_tick) as u64;
    let per_slot = o.calls_per_slot.max(1);
    let call_ticks = (ticks / per_slot).max(100);
    eprintln!(
        "gen_capture: {} concurrent calls x {} per slot, {:.1} s of capture, calls of {:.1} s, {} background flows",
        o.calls,
        per_slot,
        ticks as f64 * 0.02,
        call_ticks as f64 * 0.02,
        o.background
    );
    let mut calls: Vec<Call> = Vec::with_capacity(o.calls as usize);
    let mut next_id = 0u64;
    for slot in 0..o.calls {
        // Slots start staggered over the first 10 s.
        let start = rng.below(500.min(call_ticks / 2));
        let c = new_call(rng, next_id + slot, start, start + call_ticks);
        calls.push(c);
    }
    next_id += o.calls;
    let bg_every = ticks as f64 / o.background.max(1) as f64;
    let mut bg_next = 0.0f64;
    let mut bg_n = 0u64;
    for tick in 0..ticks {
        if w.written >= o.size {
            break;
        }
        let t = START_NS + tick as i64 * TICK_NS;
        for c in calls.iter_mut() {
            if tick < c.start_tick {
                continue;
            }
            if tick == c.start_tick {
                call_start(w, rng, c, t)?;
            } else if tick >= c.end_tick {
                call_end(w, c, t)?;
                let start = tick + 1 + rng.below(50);
                *c = new_call(rng, next_id, start, start + call_ticks);
                next_id += 1;
            } else {
                call_tick(w, rng, c, tick, t)?;
            }
        }
        while bg_next <= tick as f64 && bg_n < o.background {
            let at = t + rng.below(TICK_NS as u64) as i64;
            background(w, rng, bg_n, at)?;
            bg_n += 1;
            bg_next += bg_every;
        }
    }
    Ok(())
}

fn gen_flows(w: &mut Writer, rng: &mut Rng, o: &Opts) -> std::io::Result<()> {
    // Three rounds (query, answer, query) of all flows, 30 s apart: every flow is open at once.
    let n = o.flows;
    let step = (30 * NS) / n.max(1) as i64;
    let mut payload = [0u8; 64];
    for round in 0..3u64 {
        for i in 0..n {
            let t = START_NS + round as i64 * 30 * NS + i as i64 * step;
            let e = Ends {
                src: Ipv4Addr::new(10, 64 + (i >> 16) as u8, (i >> 8) as u8, i as u8),
                sport: 20_000 + (i % 40_000) as u16,
                dst: Ipv4Addr::new(81, 2 + (i % 200) as u8, (i >> 8) as u8, 7),
                dport: if i % 2 == 0 {
                    53
                } else {
                    9_000 + (i % 1000) as u16
                },
                src_internal: true,
            };
            let path = if i % 3 == 0 { Path::Er } else { Path::Inet };
            let x = rng.next().to_le_bytes();
            let len = if i % 2 == 0 {
                // DNS-shaped query / answer.
                let q = payloads::dns_query(i as u16, "a.example.com");
                payload[..q.len()].copy_from_slice(&q);
                if round == 1 {
                    payload[2] = 0x81;
                    payload[3] = 0x80;
                }
                q.len()
            } else {
                for (j, b) in payload.iter_mut().enumerate() {
                    *b = x[j & 7] ^ j as u8;
                }
                payload.len()
            };
            let e = if round == 1 { e.rev() } else { e };
            udp(&mut w.frame, e, path, &payload[..len]);
            w.emit(t, path)?;
        }
    }
    Ok(())
}

struct Opts {
    seed: u64,
    size: u64,
    fmt: Fmt,
    out: String,
    mode: String,
    calls: u64,
    calls_per_slot: u64,
    background: u64,
    flows: u64,
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    Some((num.parse::<f64>().ok()? * mul as f64) as u64)
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_capture --out FILE [--seed N] [--size 450M] [--format pcapng|pcap] \
         [--mode calls|flows] [--calls N] [--calls-per-slot N] [--background N] [--flows N]"
    );
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let mut o = Opts {
        seed: 1,
        size: 450 << 20,
        fmt: Fmt::Pcapng,
        out: String::new(),
        mode: "calls".into(),
        calls: 200,
        calls_per_slot: 4,
        background: 50_000,
        flows: 1_000_000,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().unwrap_or_else(|| usage());
        let num = || v.parse::<u64>().unwrap_or_else(|_| usage());
        match a.as_str() {
            "--seed" => o.seed = num(),
            "--size" => o.size = parse_size(v).unwrap_or_else(|| usage()),
            "--format" => {
                o.fmt = match v.as_str() {
                    "pcap" => Fmt::Pcap,
                    "pcapng" => Fmt::Pcapng,
                    _ => usage(),
                }
            }
            "--out" => o.out = v.clone(),
            "--mode" => o.mode = v.clone(),
            "--calls" => o.calls = num().max(1),
            "--calls-per-slot" => o.calls_per_slot = num(),
            "--background" => o.background = num(),
            "--flows" => {
                o.flows = num();
                if o.mode == "calls" && !args.iter().any(|a| a == "--mode") {
                    o.mode = "flows".into();
                }
            }
            _ => usage(),
        }
    }
    if o.out.is_empty() {
        usage();
    }
    let mut rng = Rng(o.seed ^ 0x5eed_5eed_5eed_5eed);
    let mut w = Writer::new(&o.out, o.fmt)?;
    match o.mode.as_str() {
        "calls" => gen_calls(&mut w, &mut rng, &o)?,
        "flows" => gen_flows(&mut w, &mut rng, &o)?,
        _ => usage(),
    }
    w.out.flush()?;
    eprintln!(
        "gen_capture: wrote {} packets, {} bytes to {}",
        w.packets, w.written, o.out
    );
    Ok(())
}
