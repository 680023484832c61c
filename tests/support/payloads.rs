//! Application payloads for protocol fixtures: STUN/TURN, RTP/RTCP, TLS, DTLS, SIP/SDP, DNS.
//!
//! Each function returns the bytes a UDP datagram or a TCP stream carries, well-formed per the
//! RFC section cited on it, with fixed ("random") values so fixtures are reproducible.
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

// ---------------------------------------------------------------------------------------------
// STUN / TURN (RFC 5389, RFC 8489, RFC 8656)
// ---------------------------------------------------------------------------------------------

/// The STUN magic cookie (RFC 5389 §6).
pub const STUN_MAGIC: u32 = 0x2112_a442;

pub const STUN_BINDING_REQUEST: u16 = 0x0001;
pub const STUN_BINDING_SUCCESS: u16 = 0x0101;
pub const STUN_BINDING_ERROR: u16 = 0x0111;
pub const TURN_ALLOCATE_REQUEST: u16 = 0x0003;
pub const TURN_ALLOCATE_SUCCESS: u16 = 0x0103;

pub const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
pub const ATTR_USERNAME: u16 = 0x0006;
pub const ATTR_LIFETIME: u16 = 0x000d;
pub const ATTR_XOR_RELAYED_ADDRESS: u16 = 0x0016;
pub const ATTR_REQUESTED_TRANSPORT: u16 = 0x0019;
pub const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;
pub const ATTR_SOFTWARE: u16 = 0x8022;

/// A STUN message (RFC 5389 §6): type, length of the attributes, magic cookie, transaction id,
/// then each attribute as type, length (unpadded), value padded with zeros to 4 bytes (§15).
pub fn stun_with_attrs(msg_type: u16, txid: [u8; 12], attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, v) in attrs {
        body.extend_from_slice(&t.to_be_bytes());
        body.extend_from_slice(&(v.len() as u16).to_be_bytes());
        body.extend_from_slice(v);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let mut out = Vec::with_capacity(20 + body.len());
    out.extend_from_slice(&msg_type.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(&STUN_MAGIC.to_be_bytes());
    out.extend_from_slice(&txid);
    out.extend_from_slice(&body);
    out
}

/// The value of an XOR-MAPPED-ADDRESS style attribute (RFC 5389 §15.2): 0, family (1 IPv4,
/// 2 IPv6), port XOR the cookie's high 16 bits, address XOR the cookie (IPv4) or the cookie
/// followed by the transaction id (IPv6).
pub fn xor_address_value(addr: SocketAddr, txid: [u8; 12]) -> Vec<u8> {
    let mut key = STUN_MAGIC.to_be_bytes().to_vec();
    key.extend_from_slice(&txid);
    let mut out = vec![0];
    let xport = addr.port() ^ (STUN_MAGIC >> 16) as u16;
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.push(1);
            out.extend_from_slice(&xport.to_be_bytes());
            out.extend(ip.octets().iter().zip(&key).map(|(a, k)| a ^ k));
        }
        IpAddr::V6(ip) => {
            out.push(2);
            out.extend_from_slice(&xport.to_be_bytes());
            out.extend(ip.octets().iter().zip(&key).map(|(a, k)| a ^ k));
        }
    }
    out
}

/// Binding request (RFC 5389 §7.1), with a USERNAME attribute (ICE `remote:local`) if given.
pub fn stun_binding_request(txid: [u8; 12], username: Option<&str>) -> Vec<u8> {
    let attrs: Vec<(u16, Vec<u8>)> = username
        .map(|u| vec![(ATTR_USERNAME, u.as_bytes().to_vec())])
        .unwrap_or_default();
    stun_with_attrs(STUN_BINDING_REQUEST, txid, &attrs)
}

/// Binding success response with XOR-MAPPED-ADDRESS (IPv4 or IPv6).
pub fn stun_binding_success(txid: [u8; 12], xor_mapped: SocketAddr) -> Vec<u8> {
    stun_with_attrs(
        STUN_BINDING_SUCCESS,
        txid,
        &[(ATTR_XOR_MAPPED_ADDRESS, xor_address_value(xor_mapped, txid))],
    )
}

/// TURN Allocate request (RFC 8656 §7.1) with REQUESTED-TRANSPORT UDP.
pub fn turn_allocate_request(txid: [u8; 12]) -> Vec<u8> {
    stun_with_attrs(
        TURN_ALLOCATE_REQUEST,
        txid,
        &[(ATTR_REQUESTED_TRANSPORT, vec![17, 0, 0, 0])],
    )
}

/// TURN Allocate success (RFC 8656 §7.3): XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS,
/// LIFETIME 600 s.
pub fn turn_allocate_success(txid: [u8; 12], relayed: SocketAddr, mapped: SocketAddr) -> Vec<u8> {
    stun_with_attrs(
        TURN_ALLOCATE_SUCCESS,
        txid,
        &[
            (ATTR_XOR_RELAYED_ADDRESS, xor_address_value(relayed, txid)),
            (ATTR_XOR_MAPPED_ADDRESS, xor_address_value(mapped, txid)),
            (ATTR_LIFETIME, 600u32.to_be_bytes().to_vec()),
        ],
    )
}

/// TURN ChannelData message (RFC 8656 §12.4): channel number (0x4000..=0x4FFF), length, data;
/// unpadded, as over UDP (see [`turn_channel_data_padded`] for TCP/TLS).
pub fn turn_channel_data(channel: u16, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + data.len());
    out.extend_from_slice(&channel.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// ChannelData padded to a multiple of 4 bytes, as required over TCP (RFC 8656 §12.5); the
/// length field still gives the unpadded data length.
pub fn turn_channel_data_padded(channel: u16, data: &[u8]) -> Vec<u8> {
    let mut out = turn_channel_data(channel, data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// RTP / RTCP (RFC 3550, RFC 4571)
// ---------------------------------------------------------------------------------------------

/// An RTP packet (RFC 3550 §5.1): V=2, no padding, no extension, no CSRC; `payload_len` bytes
/// of a fixed non-zero pattern.
pub fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, marker: bool, payload_len: usize) -> Vec<u8> {
    assert!(pt < 128, "RTP payload type is 7 bits");
    let mut out = Vec::with_capacity(12 + payload_len);
    out.push(0x80);
    out.push(u8::from(marker) << 7 | pt);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ts.to_be_bytes());
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend((0..payload_len).map(|i| (i as u8) ^ 0x5a));
    out
}

/// RTCP sender report (RFC 3550 §6.4.1) with no report blocks: 28 bytes, length field 6.
pub fn rtcp_sr(ssrc: u32) -> Vec<u8> {
    let mut out = vec![0x80, 200, 0, 6];
    out.extend_from_slice(&ssrc.to_be_bytes());
    out.extend_from_slice(&0xec8d_0f00u32.to_be_bytes()); // NTP seconds (2026)
    out.extend_from_slice(&0x8000_0000u32.to_be_bytes()); // NTP fraction
    out.extend_from_slice(&160_000u32.to_be_bytes()); // RTP timestamp
    out.extend_from_slice(&1_000u32.to_be_bytes()); // sender's packet count
    out.extend_from_slice(&160_000u32.to_be_bytes()); // sender's octet count
    out
}

/// RTCP receiver report (RFC 3550 §6.4.2) with no report blocks: 8 bytes, length field 1.
pub fn rtcp_rr(ssrc: u32) -> Vec<u8> {
    let mut out = vec![0x80, 201, 0, 1];
    out.extend_from_slice(&ssrc.to_be_bytes());
    out
}

/// RTCP SDES (RFC 3550 §6.5) with one chunk holding a CNAME item, null-terminated and padded.
pub fn rtcp_sdes_cname(ssrc: u32, cname: &str) -> Vec<u8> {
    assert!(cname.len() < 256);
    let mut chunk = ssrc.to_be_bytes().to_vec();
    chunk.push(1);
    chunk.push(cname.len() as u8);
    chunk.extend_from_slice(cname.as_bytes());
    chunk.push(0); // end of items
    while chunk.len() % 4 != 0 {
        chunk.push(0);
    }
    let mut out = vec![0x81, 202];
    out.extend_from_slice(&((chunk.len() / 4) as u16).to_be_bytes());
    out.extend_from_slice(&chunk);
    out
}

/// A compound RTCP packet (RFC 3550 §6.1): the packets back to back.
pub fn rtcp_compound(packets: &[Vec<u8>]) -> Vec<u8> {
    packets.concat()
}

/// RTP (or RTCP) framed for a TCP stream (RFC 4571 §2): 16-bit length, then the packet.
pub fn rtp_over_tcp(rtp: &[u8]) -> Vec<u8> {
    let mut out = (rtp.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(rtp);
    out
}

// ---------------------------------------------------------------------------------------------
// TLS / DTLS (RFC 8446, RFC 6347)
// ---------------------------------------------------------------------------------------------

fn ext(out: &mut Vec<u8>, ext_type: u16, data: &[u8]) {
    out.extend_from_slice(&ext_type.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

fn u24(out: &mut Vec<u8>, v: usize) {
    assert!(v < 1 << 24);
    out.extend_from_slice(&(v as u32).to_be_bytes()[1..]);
}

fn vec16(data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(data);
    out
}

/// Wraps a handshake message in TLS records of at most 2^14 bytes each (RFC 8446 §5.1: a
/// handshake message may span records).
fn tls_records(handshake: &[u8], legacy_version: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(handshake.len() + 5);
    for part in handshake.chunks(1 << 14) {
        out.push(22);
        out.extend_from_slice(&legacy_version.to_be_bytes());
        out.extend_from_slice(&(part.len() as u16).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

fn client_hello(sni: &str, alpn: &[&str], extra_padding: usize, pq: bool) -> Vec<u8> {
    let mut exts = Vec::new();
    // server_name (RFC 6066 §3): list of (type 0 host_name, name)
    let mut sn = vec![0];
    sn.extend_from_slice(&vec16(sni.as_bytes()));
    ext(&mut exts, 0, &vec16(&sn));
    // supported_groups
    let groups: &[u16] = if pq {
        &[0x11ec, 0x001d, 0x0017]
    } else {
        &[0x001d, 0x0017, 0x0018]
    };
    let g: Vec<u8> = groups.iter().flat_map(|g| g.to_be_bytes()).collect();
    ext(&mut exts, 10, &vec16(&g));
    // ec_point_formats: uncompressed
    ext(&mut exts, 11, &[1, 0]);
    // signature_algorithms
    let sa: Vec<u8> = [0x0403u16, 0x0804, 0x0401, 0x0503, 0x0805]
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect();
    ext(&mut exts, 13, &vec16(&sa));
    // application_layer_protocol_negotiation (RFC 7301)
    if !alpn.is_empty() {
        let mut list = Vec::new();
        for p in alpn {
            list.push(p.len() as u8);
            list.extend_from_slice(p.as_bytes());
        }
        ext(&mut exts, 16, &vec16(&list));
    }
    // supported_versions: TLS 1.3, TLS 1.2
    ext(&mut exts, 43, &[4, 0x03, 0x04, 0x03, 0x03]);
    // psk_key_exchange_modes: psk_dhe_ke
    ext(&mut exts, 45, &[1, 1]);
    // key_share
    let mut shares = Vec::new();
    if pq {
        shares.extend_from_slice(&0x11ecu16.to_be_bytes());
        shares.extend_from_slice(&vec16(&[0x42; 1216]));
    }
    shares.extend_from_slice(&0x001du16.to_be_bytes());
    shares.extend_from_slice(&vec16(&[0x24; 32]));
    ext(&mut exts, 51, &vec16(&shares));
    // padding (RFC 7685)
    if extra_padding > 0 {
        ext(&mut exts, 21, &vec![0; extra_padding]);
    }

    let mut body = vec![0x03, 0x03]; // legacy_version TLS 1.2
    body.extend_from_slice(&[0x11; 32]); // random
    body.push(32); // legacy_session_id
    body.extend_from_slice(&[0x22; 32]);
    let suites: Vec<u8> = [0x1301u16, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc030]
        .iter()
        .flat_map(|s| s.to_be_bytes())
        .collect();
    body.extend_from_slice(&vec16(&suites));
    body.extend_from_slice(&[1, 0]); // compression: null
    body.extend_from_slice(&vec16(&exts));

    let mut hs = vec![1]; // client_hello
    u24(&mut hs, body.len());
    hs.extend_from_slice(&body);
    tls_records(&hs, 0x0301)
}

/// A TLS 1.3 ClientHello (RFC 8446 §4.1.2) in TLS record(s) (legacy record version 0x0301):
/// server_name, supported_groups, ec_point_formats, signature_algorithms, ALPN (if any),
/// supported_versions (1.3, 1.2), psk_key_exchange_modes, key_share (x25519), and when
/// `extra_padding > 0` a padding extension (RFC 7685) with that many zero bytes, so the hello can
/// exceed one MSS. Handshakes over 16 KiB are split across records.
pub fn tls_client_hello(sni: &str, alpn: &[&str], extra_padding: usize) -> Vec<u8> {
    client_hello(sni, alpn, extra_padding, false)
}

/// A ClientHello with a post-quantum hybrid key share (X25519MLKEM768, 1216 bytes) plus x25519,
/// like current browsers: about 1.45 KB (browsers reach ~1.8 KB with GREASE / ECH; add
/// [`tls_client_hello`]'s `extra_padding` for that), already more than a 1400-byte MSS.
pub fn tls_client_hello_pq(sni: &str, alpn: &[&str]) -> Vec<u8> {
    client_hello(sni, alpn, 0, true)
}

/// A TLS 1.3 ServerHello (RFC 8446 §4.1.3) in one record (version 0x0303): TLS_AES_128_GCM_SHA256,
/// supported_versions 1.3, key_share x25519.
pub fn tls_server_hello() -> Vec<u8> {
    let mut exts = Vec::new();
    ext(&mut exts, 43, &[0x03, 0x04]);
    let mut ks = 0x001du16.to_be_bytes().to_vec();
    ks.extend_from_slice(&vec16(&[0x35; 32]));
    ext(&mut exts, 51, &ks);

    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x33; 32]); // random
    body.push(32);
    body.extend_from_slice(&[0x22; 32]); // echoed session id
    body.extend_from_slice(&0x1301u16.to_be_bytes());
    body.push(0);
    body.extend_from_slice(&vec16(&exts));

    let mut hs = vec![2]; // server_hello
    u24(&mut hs, body.len());
    hs.extend_from_slice(&body);
    tls_records(&hs, 0x0303)
}

/// A DTLS ClientHello as WebRTC / Teams media sends it first on a DTLS-SRTP flow (RFC 6347 §4.1
/// record: type 22, version 0xFEFF, epoch 0, sequence 0; §4.2.2 handshake header with
/// message_seq 0, one fragment; body: client_version DTLS 1.2 (0xFEFD), empty cookie,
/// supported_groups, ec_point_formats, use_srtp (RFC 5764), extended_master_secret).
pub fn dtls_client_hello() -> Vec<u8> {
    let mut exts = Vec::new();
    ext(&mut exts, 10, &vec16(&[0x00, 0x1d, 0x00, 0x17]));
    ext(&mut exts, 11, &[1, 0]);
    ext(&mut exts, 14, &[0x00, 0x02, 0x00, 0x01, 0x00]); // SRTP_AES128_CM_HMAC_SHA1_80, no MKI
    ext(&mut exts, 23, &[]);

    let mut body = vec![0xfe, 0xfd];
    body.extend_from_slice(&[0x44; 32]); // random
    body.push(0); // session id
    body.push(0); // cookie
    body.extend_from_slice(&vec16(&[0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x0a]));
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&vec16(&exts));

    let mut hs = vec![1];
    u24(&mut hs, body.len()); // length
    hs.extend_from_slice(&[0, 0]); // message_seq
    u24(&mut hs, 0); // fragment_offset
    u24(&mut hs, body.len()); // fragment_length
    hs.extend_from_slice(&body);

    let mut out = vec![22, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    out.extend_from_slice(&hs);
    out
}

// ---------------------------------------------------------------------------------------------
// SIP / SDP (RFC 3261, RFC 4566)
// ---------------------------------------------------------------------------------------------

fn sip_uri(s: &str) -> String {
    if s.starts_with("sip:") || s.starts_with("sips:") {
        s.to_owned()
    } else {
        format!("sip:{s}")
    }
}

fn ip_family(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "IP4"
    } else {
        "IP6"
    }
}

/// An SDP session description (RFC 4566) with one `m=` line per `(media, port)`: `audio` is
/// PCMU (pt 0), anything else pt 96 (H264 for `video`); `RTP/AVP`, `a=sendrecv`. CRLF endings.
pub fn sdp(origin_ip: IpAddr, media: &[(&str, u16)], c_ip: IpAddr) -> String {
    let mut s = String::new();
    s.push_str("v=0\r\n");
    s.push_str(&format!(
        "o=- 3900000000 1 IN {} {origin_ip}\r\n",
        ip_family(origin_ip)
    ));
    s.push_str("s=callpath fixture\r\n");
    s.push_str(&format!("c=IN {} {c_ip}\r\n", ip_family(c_ip)));
    s.push_str("t=0 0\r\n");
    for (kind, port) in media {
        if *kind == "audio" {
            s.push_str(&format!("m=audio {port} RTP/AVP 0\r\n"));
            s.push_str("a=rtpmap:0 PCMU/8000\r\n");
        } else {
            let codec = if *kind == "video" {
                "H264"
            } else {
                "x-fixture"
            };
            s.push_str(&format!("m={kind} {port} RTP/AVP 96\r\n"));
            s.push_str(&format!("a=rtpmap:96 {codec}/90000\r\n"));
        }
        s.push_str("a=sendrecv\r\n");
    }
    s
}

fn sip_message(start_line: &str, headers: &[String], body: Option<&str>) -> Vec<u8> {
    let mut s = String::new();
    s.push_str(start_line);
    s.push_str("\r\n");
    for h in headers {
        s.push_str(h);
        s.push_str("\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        s.push_str("Content-Type: application/sdp\r\n");
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    s.push_str(body);
    s.into_bytes()
}

/// A SIP INVITE (RFC 3261 §8.1.1, over TCP): `from` / `to` are addresses of record with or
/// without `sip:`; the SDP body (if any) with Content-Type and a correct Content-Length.
pub fn sip_invite(
    call_id: &str,
    from: &str,
    to: &str,
    via_host: &str,
    sdp: Option<&str>,
) -> Vec<u8> {
    let (from, to) = (sip_uri(from), sip_uri(to));
    sip_message(
        &format!("INVITE {to} SIP/2.0"),
        &[
            format!("Via: SIP/2.0/TCP {via_host};branch=z9hG4bK776asdhds"),
            "Max-Forwards: 70".to_owned(),
            format!("From: <{from}>;tag=1928301774"),
            format!("To: <{to}>"),
            format!("Call-ID: {call_id}"),
            "CSeq: 1 INVITE".to_owned(),
            format!("Contact: <{from}>"),
            "User-Agent: callpath-fixture".to_owned(),
        ],
        sdp,
    )
}

/// The 200 OK to [`sip_invite`] (same Via, From, Call-ID, CSeq; To gains a tag) with an SDP
/// answer.
pub fn sip_200_ok(call_id: &str, from: &str, to: &str, via_host: &str, sdp: &str) -> Vec<u8> {
    let (from, to) = (sip_uri(from), sip_uri(to));
    sip_message(
        "SIP/2.0 200 OK",
        &[
            format!("Via: SIP/2.0/TCP {via_host};branch=z9hG4bK776asdhds"),
            format!("From: <{from}>;tag=1928301774"),
            format!("To: <{to}>;tag=a6c85cf"),
            format!("Call-ID: {call_id}"),
            "CSeq: 1 INVITE".to_owned(),
            format!("Contact: <{to}>"),
        ],
        Some(sdp),
    )
}

// ---------------------------------------------------------------------------------------------
// DNS (RFC 1035)
// ---------------------------------------------------------------------------------------------

/// A standard query (RD set) for the A record of `name` (RFC 1035 §4.1).
pub fn dns_query(id: u16, name: &str) -> Vec<u8> {
    let mut out = id.to_be_bytes().to_vec();
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        assert!(
            !label.is_empty() && label.len() < 64,
            "bad DNS label in {name}"
        );
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&[0, 1, 0, 1]); // QTYPE A, QCLASS IN
    out
}
