//! Media over TCP fixtures (issue 14): [MS-TURN] pseudo-TLS, TURN messages and ChannelData
//! carrying RTP, TLS application-data records, and a timed TCP segment generator for cadence
//! (shape) fixtures and captures started mid-session.
//!
//! Payload functions return the bytes a TCP stream (or a UDP datagram) carries; [`TcpStream`]
//! turns timed payloads into IP packets with consistent sequence and acknowledgement numbers,
//! in the `(ts_ns, ip_packet, Dir)` form [`super::builder::Pcap::extend`] takes.
#![allow(dead_code)]

use std::net::SocketAddr;

use super::builder::{ip_tcp, Dir, Tcp, TcpFlags};
use super::payloads::{stun_with_attrs, xor_address_value};

// ---------------------------------------------------------------------------------------------
// Deterministic "random" bytes
// ---------------------------------------------------------------------------------------------

/// A small linear congruential generator (Numerical Recipes constants): reproducible bytes
/// that look random to a parser (no structure, every value).
#[derive(Clone, Debug)]
pub struct Lcg(u32);

impl Lcg {
    pub fn new(seed: u32) -> Self {
        Lcg(seed)
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u32() >> 8) as usize % (hi - lo + 1)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next_u32() >> 24) as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// TLS records (RFC 5246 §6.2.1, §7.4; RFC 2246 for TLS 1.0)
// ---------------------------------------------------------------------------------------------

pub const TLS_HANDSHAKE: u8 = 22;
pub const TLS_CHANGE_CIPHER_SPEC: u8 = 20;
pub const TLS_APPLICATION_DATA: u8 = 23;

/// One TLS record: content type, version, 16-bit length, fragment (RFC 5246 §6.2.1).
pub fn tls_record(content_type: u8, version: u16, fragment: &[u8]) -> Vec<u8> {
    assert!(fragment.len() <= (1 << 14) + 2048, "TLS record too long");
    let mut out = vec![content_type];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
    out.extend_from_slice(fragment);
    out
}

/// A handshake message: type, 24-bit length, body (RFC 5246 §7.4).
pub fn tls_handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 1 << 24);
    let mut out = vec![msg_type];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// A TLS 1.2 application-data record (`17 03 03 LL LL`) of `len` encrypted-looking bytes.
pub fn tls_app_data(rng: &mut Lcg, len: usize) -> Vec<u8> {
    tls_record(TLS_APPLICATION_DATA, 0x0303, &rng.bytes(len))
}

/// A ClientHello body with no extensions at all (RFC 2246 §7.4.1.2): client_version 0x0301,
/// 32-byte random, empty session id, the cipher suites, compression methods `01 00`, and
/// nothing after them (RFC 5246 §7.4.1.2: extensions are optional; the body simply ends).
fn client_hello_no_ext_body(suites: &[u16]) -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[0x5c; 32]); // random
    body.push(0); // session id length
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // one compression method: null
    body
}

/// A ServerHello body without extensions (RFC 2246 §7.4.1.3): server_version 0x0301,
/// 32-byte random, session id (empty or 32 bytes), one cipher suite, compression null.
fn server_hello_no_ext_body(session_id: bool, suite: u16) -> Vec<u8> {
    let mut body = vec![0x03, 0x01];
    body.extend_from_slice(&[0x6d; 32]); // random
    if session_id {
        body.push(32);
        body.extend_from_slice(&[0x7e; 32]);
    } else {
        body.push(0);
    }
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0); // compression method: null
    body
}

/// TLS_RSA_WITH_RC4_128_SHA: a fixed suite of the TLS 1.0 era. The pseudo-TLS exchange agrees
/// no key, so which suite it names does not matter to a recogniser.
pub const PSEUDO_TLS_SUITE: u16 = 0x0005;

/// [MS-TURN] pseudo-TLS, the client's half: ONE handshake record (`16 03 01 LL LL`) holding a
/// ClientHello with client_version TLS 1.0, a 32-byte random, no session id, one cipher suite,
/// compression `01 00` and no extensions. Nothing else follows in the record.
pub fn pseudo_tls_client_hello() -> Vec<u8> {
    let hs = tls_handshake(1, &client_hello_no_ext_body(&[PSEUDO_TLS_SUITE]));
    tls_record(TLS_HANDSHAKE, 0x0301, &hs)
}

/// [MS-TURN] pseudo-TLS, the server's half: ONE handshake record (`16 03 01 LL LL`) holding a
/// ServerHello (TLS 1.0, no extensions; session id empty or 32 bytes) immediately followed by
/// a ServerHelloDone (`0e 00 00 00`) in the same record. No Certificate, no key exchange:
/// after it both sides send plain TURN.
pub fn pseudo_tls_server_hello(session_id: bool) -> Vec<u8> {
    let mut hs = tls_handshake(2, &server_hello_no_ext_body(session_id, PSEUDO_TLS_SUITE));
    hs.extend_from_slice(&tls_handshake(14, &[]));
    tls_record(TLS_HANDSHAKE, 0x0301, &hs)
}

/// A real TLS 1.0 ClientHello without extensions (what an old client sends): several suites.
pub fn tls10_client_hello_no_ext() -> Vec<u8> {
    let hs = tls_handshake(
        1,
        &client_hello_no_ext_body(&[0x002f, 0x0035, 0x000a, 0x0005]),
    );
    tls_record(TLS_HANDSHAKE, 0x0301, &hs)
}

/// A throwaway self-signed X.509 certificate (DER, CN=legacy.example.com, made with
/// `openssl req -x509`), so tshark reads the Certificate message as a real one.
const LEGACY_CERT_HEX: &str = concat!(
    "3082019030820135a003020102021418c02509cf8727ebf14722cdd688d252bbea26ab300a06082a8648ce3d",
    "040302301d311b301906035504030c126c65676163792e6578616d706c652e636f6d301e170d323631323035",
    "3033313534355a170d3336313230323033313534355a301d311b301906035504030c126c65676163792e6578",
    "616d706c652e636f6d3059301306072a8648ce3d020106082a8648ce3d03010703420004ce0f3da5d1bf0e0c",
    "3955804f2e376f63e97dda5d69aa0f8a8b7b5942e740cd20fd9570a1dd830132214eb5b54a0104bb8e9858f1",
    "02ce93c5d649bbd410539120a3533051301d0603551d0e0416041403b8dbb611d7725b47a5c6242c65040be2",
    "2f0a9b301f0603551d2304183016801403b8dbb611d7725b47a5c6242c65040be22f0a9b300f0603551d1301",
    "01ff040530030101ff300a06082a8648ce3d0403020349003046022100cff1e8b3072834a61069b80f35d566",
    "bbd45faca960c99cb92c6df1249831087f022100fb248adaa8dfac6cb14cbd8b8caae88ab3c866bb1454457b",
    "846e90778376cf1f",
);

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A real TLS 1.0 server flight in one record: ServerHello, then a Certificate message (one
/// certificate, RFC 2246 §7.4.2), then ServerHelloDone. Unlike the pseudo-TLS answer, the
/// message after the ServerHello is a Certificate.
pub fn tls10_server_flight() -> Vec<u8> {
    let mut hs = tls_handshake(2, &server_hello_no_ext_body(true, 0x002f));
    let cert = hex(LEGACY_CERT_HEX);
    let mut list = Vec::new();
    list.extend_from_slice(&(cert.len() as u32).to_be_bytes()[1..]);
    list.extend_from_slice(&cert);
    let mut body = Vec::new();
    body.extend_from_slice(&(list.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&list);
    hs.extend_from_slice(&tls_handshake(11, &body));
    hs.extend_from_slice(&tls_handshake(14, &[]));
    tls_record(TLS_HANDSHAKE, 0x0301, &hs)
}

/// The client's end of a TLS 1.0 RSA handshake: ClientKeyExchange (128-byte encrypted
/// premaster secret) in a handshake record, ChangeCipherSpec, then an encrypted Finished
/// (a handshake record of ciphertext).
pub fn tls10_client_finish(rng: &mut Lcg) -> Vec<u8> {
    let mut cke = 128u16.to_be_bytes().to_vec();
    cke.extend(rng.bytes(128));
    let mut out = tls_record(TLS_HANDSHAKE, 0x0301, &tls_handshake(16, &cke));
    out.extend(tls_record(TLS_CHANGE_CIPHER_SPEC, 0x0301, &[1]));
    out.extend(tls_record(TLS_HANDSHAKE, 0x0301, &rng.bytes(36)));
    out
}

/// The server's ChangeCipherSpec and encrypted Finished.
pub fn tls10_server_finish(rng: &mut Lcg) -> Vec<u8> {
    let mut out = tls_record(TLS_CHANGE_CIPHER_SPEC, 0x0301, &[1]);
    out.extend(tls_record(TLS_HANDSHAKE, 0x0301, &rng.bytes(36)));
    out
}

// ---------------------------------------------------------------------------------------------
// TURN (RFC 8656; attributes of RFC 5389 §15 / RFC 8489 §14)
// ---------------------------------------------------------------------------------------------

pub const TURN_CREATE_PERMISSION_REQUEST: u16 = 0x0008;
pub const TURN_CREATE_PERMISSION_SUCCESS: u16 = 0x0108;
pub const TURN_CHANNEL_BIND_REQUEST: u16 = 0x0009;
pub const TURN_CHANNEL_BIND_SUCCESS: u16 = 0x0109;
pub const TURN_SEND_INDICATION: u16 = 0x0016;
pub const TURN_DATA_INDICATION: u16 = 0x0017;

pub const ATTR_CHANNEL_NUMBER: u16 = 0x000c;
pub const ATTR_XOR_PEER_ADDRESS: u16 = 0x0012;
pub const ATTR_DATA: u16 = 0x0013;

/// A transaction id whose bytes are `n`'s, so every message of a fixture has its own.
pub fn txid(n: u32) -> [u8; 12] {
    let mut t = [0x3c; 12];
    t[8..].copy_from_slice(&n.to_be_bytes());
    t
}

/// CreatePermission request (RFC 8656 §9.1) for `peer`.
pub fn turn_create_permission(tx: [u8; 12], peer: SocketAddr) -> Vec<u8> {
    stun_with_attrs(
        TURN_CREATE_PERMISSION_REQUEST,
        tx,
        &[(ATTR_XOR_PEER_ADDRESS, xor_address_value(peer, tx))],
    )
}

/// CreatePermission success response (RFC 8656 §9.2): no attributes needed.
pub fn turn_create_permission_success(tx: [u8; 12]) -> Vec<u8> {
    stun_with_attrs(TURN_CREATE_PERMISSION_SUCCESS, tx, &[])
}

/// Send indication (RFC 8656 §10.1): XOR-PEER-ADDRESS and DATA, client to relay.
pub fn turn_send_indication(tx: [u8; 12], peer: SocketAddr, data: &[u8]) -> Vec<u8> {
    stun_with_attrs(
        TURN_SEND_INDICATION,
        tx,
        &[
            (ATTR_XOR_PEER_ADDRESS, xor_address_value(peer, tx)),
            (ATTR_DATA, data.to_vec()),
        ],
    )
}

/// Data indication (RFC 8656 §10.3): XOR-PEER-ADDRESS and DATA, relay to client.
pub fn turn_data_indication(tx: [u8; 12], peer: SocketAddr, data: &[u8]) -> Vec<u8> {
    stun_with_attrs(
        TURN_DATA_INDICATION,
        tx,
        &[
            (ATTR_XOR_PEER_ADDRESS, xor_address_value(peer, tx)),
            (ATTR_DATA, data.to_vec()),
        ],
    )
}

/// ChannelBind request (RFC 8656 §11.1): CHANNEL-NUMBER (channel, then 2 RFFU bytes) and
/// XOR-PEER-ADDRESS.
pub fn turn_channel_bind(tx: [u8; 12], channel: u16, peer: SocketAddr) -> Vec<u8> {
    let mut ch = channel.to_be_bytes().to_vec();
    ch.extend_from_slice(&[0, 0]);
    stun_with_attrs(
        TURN_CHANNEL_BIND_REQUEST,
        tx,
        &[
            (ATTR_CHANNEL_NUMBER, ch),
            (ATTR_XOR_PEER_ADDRESS, xor_address_value(peer, tx)),
        ],
    )
}

/// ChannelBind success response (RFC 8656 §11.2).
pub fn turn_channel_bind_success(tx: [u8; 12]) -> Vec<u8> {
    stun_with_attrs(TURN_CHANNEL_BIND_SUCCESS, tx, &[])
}

// ---------------------------------------------------------------------------------------------
// RTP runs (RFC 3550 §5.1)
// ---------------------------------------------------------------------------------------------

/// One direction's RTP stream: a constant SSRC, sequence numbers +1 and timestamps
/// `+ts_step` per packet (160 for 8 kHz audio, 960 for Opus's 48 kHz clock, 20 ms apart).
#[derive(Clone, Debug)]
pub struct RtpRun {
    pub pt: u8,
    pub ssrc: u32,
    pub seq: u16,
    pub ts: u32,
    pub ts_step: u32,
}

impl RtpRun {
    pub fn new(pt: u8, ssrc: u32, seq: u16, ts: u32, ts_step: u32) -> Self {
        RtpRun {
            pt,
            ssrc,
            seq,
            ts,
            ts_step,
        }
    }

    /// The next packet, with `payload_len` payload bytes (vary it so ChannelData padding
    /// varies too).
    pub fn next_packet(&mut self, payload_len: usize) -> Vec<u8> {
        let p = super::payloads::rtp(self.pt, self.seq, self.ts, self.ssrc, false, payload_len);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(self.ts_step);
        p
    }
}

// ---------------------------------------------------------------------------------------------
// Timed TCP segments
// ---------------------------------------------------------------------------------------------

/// One TCP connection's packets, each at the time the fixture gives: sequence numbers advance
/// by each side's payload (and SYN / FIN), and every segment acknowledges all the peer sent
/// before it (segments must be added in time order for that to hold).
pub struct TcpStream {
    client: SocketAddr,
    server: SocketAddr,
    /// Next sequence number per side (0 client, 1 server).
    next: [u32; 2],
    window: u16,
    pub packets: Vec<(i64, Vec<u8>, Dir)>,
}

impl TcpStream {
    /// A stream whose SYN will carry `client_isn` / `server_isn` (call [`TcpStream::handshake`]),
    /// or, without it, a capture started mid-session where those are simply the next numbers.
    pub fn new(client: SocketAddr, server: SocketAddr, client_isn: u32, server_isn: u32) -> Self {
        TcpStream {
            client,
            server,
            next: [client_isn, server_isn],
            window: 64_240,
            packets: Vec::new(),
        }
    }

    fn idx(dir: Dir) -> usize {
        usize::from(dir == Dir::Reverse)
    }

    fn send(&mut self, ts: i64, dir: Dir, flags: TcpFlags, data: &[u8]) {
        let (src, dst) = match dir {
            Dir::Forward => (self.client, self.server),
            Dir::Reverse => (self.server, self.client),
        };
        let me = Self::idx(dir);
        let tcp = Tcp {
            seq: self.next[me],
            ack: if flags.ack { self.next[1 - me] } else { 0 },
            flags,
            window: self.window,
        };
        let pkt = ip_tcp(src.ip(), src.port(), dst.ip(), dst.port(), tcp, data);
        self.packets.push((ts, pkt, dir));
        let consumed = data.len() as u32 + u32::from(flags.syn) + u32::from(flags.fin);
        self.next[me] = self.next[me].wrapping_add(consumed);
    }

    /// SYN at `ts`, SYN-ACK 1 ms later, ACK 1 ms after that (RFC 9293 §3.5).
    pub fn handshake(&mut self, ts: i64) -> &mut Self {
        self.send(ts, Dir::Forward, TcpFlags::SYN, &[]);
        self.send(ts + 1_000_000, Dir::Reverse, TcpFlags::SYN_ACK, &[]);
        self.send(ts + 2_000_000, Dir::Forward, TcpFlags::ACK, &[]);
        self
    }

    /// One PSH/ACK segment carrying `data` (not split: keep it under an MSS).
    pub fn segment(&mut self, ts: i64, dir: Dir, data: &[u8]) -> &mut Self {
        assert!(
            !data.is_empty() && data.len() <= 1460,
            "one segment of 1..=1460 bytes"
        );
        self.send(ts, dir, TcpFlags::PSH_ACK, data);
        self
    }

    /// A pure ACK (no payload).
    pub fn ack(&mut self, ts: i64, dir: Dir) -> &mut Self {
        self.send(ts, dir, TcpFlags::ACK, &[]);
        self
    }

    /// The packets in time order (stable for equal times).
    pub fn finish(mut self) -> Vec<(i64, Vec<u8>, Dir)> {
        self.packets.sort_by_key(|p| p.0);
        self.packets
    }
}

/// A timed schedule of payloads for both directions, merged by time before it becomes TCP
/// segments (acknowledgements depend on the order). Each entry: time, direction, payload.
pub fn tcp_from_schedule(
    client: SocketAddr,
    server: SocketAddr,
    handshake_at: Option<i64>,
    mut schedule: Vec<(i64, Dir, Vec<u8>)>,
) -> Vec<(i64, Vec<u8>, Dir)> {
    schedule.sort_by_key(|e| e.0);
    let mut s = TcpStream::new(client, server, 1_000_000, 7_000_000);
    if let Some(t) = handshake_at {
        s.handshake(t);
    }
    for (ts, dir, data) in &schedule {
        if data.is_empty() {
            s.ack(*ts, *dir);
        } else {
            s.segment(*ts, *dir, data);
        }
    }
    s.finish()
}
