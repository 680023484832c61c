//! STUN / TURN messages (RFC 8489, RFC 5389, RFC 3489 classic), TURN ChannelData (RFC 8656),
//! and the TCP framings Teams uses: RFC 4571 length prefix, bare STUN-over-TCP, and
//! [MS-TURN] §2.1.4 framing (`type(1) reserved(1) length(2)`).
//!
//! Everything borrows from the packet; nothing allocates. `probe()` is a cheap first-bytes
//! check, `parse()` validates a whole message, `Message::attributes()` walks its TLVs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::bytes::{be16, be32};

/// RFC 8489 §5: the magic cookie, fixed in bytes 4..8 of every RFC 5389+ message.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
/// [MS-TURN] §2.2.2.12 MAGIC-COOKIE attribute value (in the attribute, not the header).
pub const MS_TURN_COOKIE_VALUE: u32 = 0x72C6_4BC6;
/// Header length, classic and modern alike.
pub const HEADER_LEN: usize = 20;

/// Attribute type numbers used here (RFC 8489 §18.3, RFC 8656 §18, [MS-TURN] §2.2.2, [MS-ICE2]).
pub mod attr {
    pub const MAPPED_ADDRESS: u16 = 0x0001;
    pub const USERNAME: u16 = 0x0006;
    pub const MESSAGE_INTEGRITY: u16 = 0x0008;
    /// [MS-TURN] §2.2.2.12 MAGIC-COOKIE.
    pub const MS_MAGIC_COOKIE: u16 = 0x000F;
    /// [MS-TURN] DESTINATION-ADDRESS (plain address of the peer in a Send request).
    pub const MS_DESTINATION_ADDRESS: u16 = 0x0011;
    /// RFC 8656 §14.1 CHANNEL-NUMBER (ChannelBind request).
    pub const CHANNEL_NUMBER: u16 = 0x000C;
    /// RFC 8656 XOR-PEER-ADDRESS; [MS-TURN] REMOTE-ADDRESS (plain) when MAGIC-COOKIE is present.
    pub const XOR_PEER_ADDRESS: u16 = 0x0012;
    /// RFC 8656 DATA / [MS-TURN] DATA: the relayed payload.
    pub const DATA: u16 = 0x0013;
    /// RFC 8656 XOR-RELAYED-ADDRESS.
    pub const XOR_RELAYED_ADDRESS: u16 = 0x0016;
    pub const XOR_MAPPED_ADDRESS: u16 = 0x0020;
    /// RFC 8445 §16.1 PRIORITY (Binding request of a connectivity check).
    pub const PRIORITY: u16 = 0x0024;
    /// RFC 8445 §16.1 USE-CANDIDATE (nomination, no value).
    pub const USE_CANDIDATE: u16 = 0x0025;
    /// RFC 8445 §16.1 ICE-CONTROLLED / ICE-CONTROLLING (a 64-bit tiebreaker each).
    pub const ICE_CONTROLLED: u16 = 0x8029;
    pub const ICE_CONTROLLING: u16 = 0x802A;
    /// [MS-TURN] XOR-MAPPED-ADDRESS (pre-RFC 5389 number).
    pub const MS_XOR_MAPPED_ADDRESS: u16 = 0x8020;
}

/// Microsoft attributes ([MS-TURN] §2.2.2, [MS-ICE2] §2.2): any of them marks the flow as
/// MS-TURN / MS-ICE2 traffic. 0x8054 CANDIDATE-IDENTIFIER, 0x8055 MS-SERVICE-QUALITY,
/// 0x8070 MS-IMPLEMENTATION-VERSION, 0x8095 MS-MULTIPLEXED-TURN-SESSION-ID, 0x8008 MS-VERSION,
/// 0x8050 MS-SEQUENCE-NUMBER, 0x8056..=0x8062 bandwidth / site / SIP dialog attributes,
/// 0x8006 / 0x8036 / 0x8037 seen in Teams ICE checks (MS-APP-ID and friends), 0x8090 MS-ALT-MAPPED.
pub fn is_ms_attribute(t: u16) -> bool {
    matches!(
        t,
        0x8006 | 0x8008 | 0x8036 | 0x8037 | 0x8050 | 0x8054
            ..=0x8062 | 0x8068 | 0x8070 | 0x8090 | 0x8095
    )
}

/// RFC 8489 §18.2 STUN methods used here (RFC 8656 §17 for TURN's).
pub mod method {
    pub const BINDING: u16 = 0x001;
    pub const ALLOCATE: u16 = 0x003;
    pub const CHANNEL_BIND: u16 = 0x009;
}

/// RFC 8489 §5 message class (bits C1 C0 of the type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Request,
    Indication,
    Success,
    Error,
}

/// A validated STUN message, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub msg_type: u16,
    /// RFC 5389+ magic cookie present in the header (else RFC 3489 classic / MS-TURN).
    pub cookie: bool,
    /// 12 bytes (RFC 5389+) or 16 bytes (classic: the whole 128-bit id).
    pub transaction_id: &'a [u8],
    /// Whole 20-byte header, needed to un-XOR IPv6 addresses.
    header: &'a [u8],
    /// Attribute bytes (length from the header).
    pub attrs: &'a [u8],
    /// Attributes padded to 4 bytes (RFC 5389+). [MS-TURN] messages (MAGIC-COOKIE attribute
    /// first) do not pad: a 9-byte value is followed directly by the next attribute.
    pub padded: bool,
}

impl<'a> Message<'a> {
    /// RFC 8489 §5: method bits M11..M0 interleaved with the class bits.
    pub fn method(&self) -> u16 {
        let t = self.msg_type;
        ((t & 0x3E00) >> 2) | ((t & 0x00E0) >> 1) | (t & 0x000F)
    }

    pub fn class(&self) -> Class {
        match ((self.msg_type >> 7) & 0x2) | ((self.msg_type >> 4) & 0x1) {
            0 => Class::Request,
            1 => Class::Indication,
            2 => Class::Success,
            _ => Class::Error,
        }
    }

    /// Total wire length (header + attributes).
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.attrs.len()
    }

    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            rest: self.attrs,
            padded: self.padded,
        }
    }

    /// Carries the [MS-TURN] MAGIC-COOKIE attribute.
    pub fn is_ms_turn(&self) -> bool {
        self.attributes().any(|a| {
            a.typ == attr::MS_MAGIC_COOKIE && be32(a.value, 0) == Some(MS_TURN_COOKIE_VALUE)
        })
    }

    /// Decode an address attribute (RFC 8489 §14.1 MAPPED-ADDRESS, §14.2 XOR-MAPPED-ADDRESS).
    pub fn address(&self, a: &Attribute<'_>, xor: bool) -> Option<SocketAddr> {
        let family = *a.value.get(1)?;
        let port = be16(a.value, 2)?;
        let (xport, xkey) = if xor {
            (port ^ (MAGIC_COOKIE >> 16) as u16, self.header.get(4..20)?)
        } else {
            (port, &[0u8; 16][..])
        };
        match family {
            1 => {
                let raw = a.value.get(4..8)?;
                let mut ip = [0u8; 4];
                for (o, (r, k)) in ip.iter_mut().zip(raw.iter().zip(xkey.iter())) {
                    *o = r ^ k;
                }
                Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), xport))
            }
            2 => {
                let raw = a.value.get(4..20)?;
                let mut ip = [0u8; 16];
                for (o, (r, k)) in ip.iter_mut().zip(raw.iter().zip(xkey.iter())) {
                    *o = r ^ k;
                }
                Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), xport))
            }
            _ => None,
        }
    }
}

/// What an ICE connectivity check (RFC 8445 §7.1: a Binding request) says about the pair it
/// tests, borrowed. Attributes with a wrong length are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IceCheck<'a> {
    /// USERNAME (RFC 8489 §14.3) when it is an ICE one, `remote-ufrag:local-ufrag` (RFC 8445
    /// §7.2.2): exactly one ':' with both parts non-empty (see `ice_username`).
    pub username: Option<&'a str>,
    /// ICE-CONTROLLING (RFC 8445 §7.1.3): 8 bytes.
    pub controlling: bool,
    /// ICE-CONTROLLED (RFC 8445 §7.1.3): 8 bytes.
    pub controlled: bool,
    /// USE-CANDIDATE (RFC 8445 §7.1.2): empty.
    pub use_candidate: bool,
    /// PRIORITY (RFC 8445 §7.1.1): 4 bytes.
    pub priority: Option<u32>,
}

/// RFC 8445 §7.2.2: the USERNAME of a connectivity check is `remote-ufrag:local-ufrag` (the
/// [MS-ICE2] checks alike). `Some` only for valid UTF-8 with exactly one ':' and both parts
/// non-empty: TURN long-term credential usernames ([MS-TURN]'s among them) do not pass.
pub fn ice_username(v: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(v).ok()?;
    let (a, b) = s.split_once(':')?;
    (!a.is_empty() && !b.is_empty() && !b.contains(':')).then_some(s)
}

/// The ICE attributes of a Binding request (RFC 8445 §7.1); `None` for any other message.
pub fn ice_check<'a>(m: &Message<'a>) -> Option<IceCheck<'a>> {
    if m.method() != method::BINDING || m.class() != Class::Request {
        return None;
    }
    let mut c = IceCheck::default();
    for a in m.attributes() {
        match (a.typ, a.value.len()) {
            (attr::USERNAME, _) if c.username.is_none() => c.username = ice_username(a.value),
            (attr::ICE_CONTROLLING, 8) => c.controlling = true,
            (attr::ICE_CONTROLLED, 8) => c.controlled = true,
            (attr::USE_CANDIDATE, 0) => c.use_candidate = true,
            (attr::PRIORITY, 4) => c.priority = be32(a.value, 0),
            _ => {}
        }
    }
    Some(c)
}

/// RFC 8656 §14.1 CHANNEL-NUMBER: `number(2) RFFU(2)`, the number in 0x4000..=0x7FFF (RFC
/// 8656 §12 narrows it to 0x4FFF, RFC 5766 §11 allowed up to 0x7FFE: the wider range, as
/// ChannelData is read).
pub fn channel_number(v: &[u8]) -> Option<u16> {
    if v.len() != 4 {
        return None;
    }
    be16(v, 0).filter(|n| (0x4000..=0x7FFF).contains(n))
}

/// RFC 8656 §11.1: a ChannelBind request's channel and the peer it binds (CHANNEL-NUMBER and
/// XOR-PEER-ADDRESS, XOR'd with the cookie); `None` for any other message or when either is
/// missing or malformed.
pub fn channel_bind(m: &Message<'_>) -> Option<(u16, SocketAddr)> {
    if m.method() != method::CHANNEL_BIND || m.class() != Class::Request || !m.cookie {
        return None;
    }
    let (mut ch, mut peer) = (None, None);
    for a in m.attributes() {
        match a.typ {
            attr::CHANNEL_NUMBER if ch.is_none() => ch = channel_number(a.value),
            attr::XOR_PEER_ADDRESS if peer.is_none() => peer = m.address(&a, true),
            _ => {}
        }
    }
    Some((ch?, peer?))
}

/// One TLV attribute (RFC 8489 §14: type(2) length(2) value, padded to 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub typ: u16,
    pub value: &'a [u8],
}

/// Iterator over attributes; stops at the first malformed TLV.
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    rest: &'a [u8],
    padded: bool,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;
    fn next(&mut self) -> Option<Attribute<'a>> {
        let typ = be16(self.rest, 0)?;
        let len = usize::from(be16(self.rest, 2)?);
        let step = if self.padded { (len + 3) & !3 } else { len };
        let value = self.rest.get(4..4 + len)?;
        self.rest = self.rest.get(4 + step..).unwrap_or(&[]);
        Some(Attribute { typ, value })
    }
}

/// True when the attribute TLVs tile `attrs` exactly (the last one may omit its padding,
/// as some old classic-STUN stacks do).
fn attrs_tile(mut attrs: &[u8], padded: bool) -> bool {
    while !attrs.is_empty() {
        let Some(len) = be16(attrs, 2) else {
            return false;
        };
        let len = usize::from(len);
        let padded = if padded { (len + 3) & !3 } else { len };
        if attrs.len() == 4 + len {
            return true;
        }
        match attrs.get(4 + padded..) {
            Some(r) => attrs = r,
            None => return false,
        }
    }
    true
}

/// Cheap check of the first bytes: RFC 7983 range 0-3 (top two bits zero) and room for a
/// header. Used before `parse`.
pub fn probe(data: &[u8]) -> bool {
    be16(data, 0).is_some_and(|t| t & 0xC000 == 0) && data.len() >= HEADER_LEN
}

/// RFC 8489 §5 (and RFC 3489 §11.1 for classic): parse one message at the start of `data`,
/// returning it and the bytes after it. The message must fit in `data`; its attributes
/// must tile its length exactly. Classic messages (no cookie) must also have a known method
/// (1..=0x00C) and at least one attribute, as the cookie is the main guard against noise.
pub fn parse(data: &[u8]) -> Option<(Message<'_>, &[u8])> {
    if !probe(data) {
        return None;
    }
    let msg_type = be16(data, 0)?;
    let len = usize::from(be16(data, 2)?);
    let (msg, rest) = data.split_at_checked(HEADER_LEN + len)?;
    let (header, attrs) = msg.split_at_checked(HEADER_LEN)?;
    let cookie = be32(header, 4)? == MAGIC_COOKIE;
    let padded = if len % 4 == 0 && attrs_tile(attrs, true) {
        true
    } else if be16(attrs, 0) == Some(attr::MS_MAGIC_COOKIE)
        && be32(attrs, 4) == Some(MS_TURN_COOKIE_VALUE)
        && attrs_tile(attrs, false)
    {
        false
    } else {
        return None;
    };
    let m = Message {
        msg_type,
        cookie,
        transaction_id: header.get(if cookie { 8 } else { 4 }..)?,
        header,
        attrs,
        padded,
    };
    if !cookie {
        let method = m.method();
        if !(1..=0x00C).contains(&method) || attrs.is_empty() {
            return None;
        }
    }
    Some((m, rest))
}

/// RFC 8656 §12.4 ChannelData: channel number 0x4000-0x7FFF, length, data, padded to 4 over
/// TCP. Returns (channel, data, rest). Over UDP `rest` should be empty or up to 3 pad bytes.
pub fn parse_channel_data(data: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let ch = be16(data, 0)?;
    if !(0x4000..=0x7FFF).contains(&ch) {
        return None;
    }
    let len = usize::from(be16(data, 2)?);
    let body = data.get(4..4 + len)?;
    let rest = data.get(4 + ((len + 3) & !3)..).unwrap_or(&[]);
    Some((ch, body, rest))
}

/// [MS-TURN] §2.1.4 TCP framing header kinds.
pub const MS_FRAME_CONTROL: u8 = 0x02;
pub const MS_FRAME_DATA: u8 = 0x03;
/// [MS-TURN] §2.2.4 Multiplexed TURN channel id.
pub const MS_MULTIPLEXED_CHANNEL: u16 = 0xFF10;

/// [MS-TURN] §2.1.4: `Type(1) = 0x02 control | 0x03 end-to-end data, Reserved(1) = 0,
/// Length(2)`, then `Length` bytes. Returns (type, body, rest); the body must be complete.
pub fn parse_ms_frame(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let kind = *data.first()?;
    if !(kind == MS_FRAME_CONTROL || kind == MS_FRAME_DATA) || *data.get(1)? != 0 {
        return None;
    }
    let len = usize::from(be16(data, 2)?);
    let (frame, rest) = data.split_at_checked(4 + len)?;
    Some((kind, frame.get(4..)?, rest))
}

/// [MS-TURN] §2.2.4 Multiplexed TURN: `Channel_ID = 0xFF10, Length(2), MTURN_Session_ID(8),
/// Data`. Returns (session id, data, rest).
pub fn parse_ms_multiplexed(data: &[u8]) -> Option<(u64, &[u8], &[u8])> {
    if be16(data, 0)? != MS_MULTIPLEXED_CHANNEL {
        return None;
    }
    let len = usize::from(be16(data, 2)?);
    let (frame, rest) = data.split_at_checked(4 + len)?;
    let sid = frame.get(4..12)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(sid);
    Some((u64::from_be_bytes(a), frame.get(12..)?, rest))
}

/// One unit found in a STUN-family payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Stun(Message<'a>),
    /// TURN ChannelData or MS end-to-end data: relayed application bytes (maybe RTP).
    Relayed(&'a [u8]),
    /// [MS-TURN] framing header seen (control or data).
    MsFrame,
}

/// Hard bound on units taken from one payload (a 64 KiB segment of 20-byte messages would be
/// 3 000 of them; nothing legitimate sends more than a handful).
pub const MAX_ITEMS_PER_PAYLOAD: usize = 32;

/// Walk a UDP datagram or a TCP segment and call `f` for every STUN message, ChannelData and
/// MS-TURN frame found, in order. Returns how many items were found (0: not STUN-family).
/// TCP tries, per unit: [MS-TURN] framing, RFC 4571 length prefix (RFC 6544 ICE-TCP), bare
/// STUN, ChannelData. UDP: one STUN message filling the datagram, or one ChannelData, or
/// one MS multiplexed frame.
pub fn walk<'a>(data: &'a [u8], tcp: bool, mut f: impl FnMut(Item<'a>)) -> usize {
    if !tcp {
        if let Some((m, rest)) = parse(data) {
            if rest.is_empty() {
                f(Item::Stun(m));
                return 1;
            }
            return 0;
        }
        if let Some((_, body, rest)) = parse_channel_data(data) {
            if rest.len() <= 3 {
                f(Item::Relayed(body));
                return 1;
            }
        }
        if let Some((_, body, rest)) = parse_ms_multiplexed(data) {
            if rest.is_empty() {
                f(Item::MsFrame);
                f(Item::Relayed(body));
                return 1;
            }
        }
        return 0;
    }
    let mut rest = data;
    let mut n = 0;
    while !rest.is_empty() && n < MAX_ITEMS_PER_PAYLOAD {
        if let Some((kind, body, r)) = parse_ms_frame(rest) {
            if kind == MS_FRAME_CONTROL {
                if let Some((m, tail)) = parse(body) {
                    if tail.is_empty() {
                        f(Item::MsFrame);
                        f(Item::Stun(m));
                        n += 1;
                        rest = r;
                        continue;
                    }
                }
            } else if n > 0 || body.len() >= 12 {
                f(Item::MsFrame);
                f(Item::Relayed(body));
                n += 1;
                rest = r;
                continue;
            }
        }
        // RFC 4571 §2: LENGTH(2) then the packet.
        if let Some(l) = be16(rest, 0) {
            if let Some((m, tail)) = rest.get(2..).and_then(parse) {
                if usize::from(l) == m.wire_len() {
                    f(Item::Stun(m));
                    n += 1;
                    rest = tail;
                    continue;
                }
            }
        }
        if let Some((m, tail)) = parse(rest) {
            f(Item::Stun(m));
            n += 1;
            rest = tail;
            continue;
        }
        if n > 0 {
            if let Some((_, body, r)) = parse_channel_data(rest) {
                f(Item::Relayed(body));
                n += 1;
                rest = r;
                continue;
            }
        }
        break;
    }
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    use crate::proto::tests::hex;

    /// teams.pcap frame 1418: Binding Success Response with MS-IMPLEMENTATION-VERSION.
    const TEAMS_BINDING_OK: &str = "010100442112a442fd2c5e566c6739e324303bf78070000400000007002000080001c1d571a76a0a80370004000000028036000400000001000800147cb64ae09a7d1829d4c1ea524572744187cd29488028000478a5f16b";
    /// teams.pcap frame 1275: MS-TURN Allocate Success (MAGIC-COOKIE attr, MAPPED, 0x8020).
    const TEAMS_ALLOC_OK: &str = "010300852112a442222fefc7f3924bd1b99727e4000f000472c64bc6000d00040000003c0001000800010d983472fa8d8008000400000006802000080001c1d571a76a0a805000189b713c623ac1bfbbf6d5237583afa6d318e146b40000000080220009322e302e312e3231310010000400002ee000080020affdc3c55c1f6d01a7ea3daf5997ead07e311ca91093584d7d833bfb5eb507a9";
    /// stun_classic.pcap: RFC 3489 Binding Response with MAPPED-ADDRESS.
    const CLASSIC_RESP: &str = "0101000c9429ef88294dd52632c72931cb8dbb4c000100080001d70aac103fe0";

    #[test]
    fn teams_binding_response() {
        let b = hex(TEAMS_BINDING_OK);
        let (m, rest) = parse(&b).unwrap();
        assert!(rest.is_empty());
        assert!(m.cookie);
        assert_eq!(m.method(), 1);
        assert_eq!(m.class(), Class::Success);
        assert_eq!(m.transaction_id.len(), 12);
        assert!(m.attributes().any(|a| is_ms_attribute(a.typ)));
        let a = m
            .attributes()
            .find(|a| a.typ == attr::XOR_MAPPED_ADDRESS)
            .unwrap();
        assert_eq!(
            m.address(&a, true).unwrap().to_string(),
            "80.181.206.72:57543"
        );
    }

    #[test]
    fn teams_ms_turn_allocate_response() {
        // Length 133: MS-TURN attributes are not padded (SOFTWARE 0x8022 has 9 bytes).
        let b = hex(TEAMS_ALLOC_OK);
        let (m, rest) = parse(&b).unwrap();
        assert!(rest.is_empty());
        assert!(!m.padded);
        assert_eq!(walk(&b, false, |_| {}), 1);
        assert!(m.is_ms_turn());
        assert_eq!(m.method(), 3);
        let mapped = m
            .attributes()
            .find(|a| a.typ == attr::MAPPED_ADDRESS)
            .unwrap();
        assert_eq!(
            m.address(&mapped, false).unwrap().to_string(),
            "52.114.250.141:3480"
        );
        let x = m
            .attributes()
            .find(|a| a.typ == attr::MS_XOR_MAPPED_ADDRESS)
            .unwrap();
        assert_eq!(
            m.address(&x, true).unwrap().to_string(),
            "80.181.206.72:57543"
        );
    }

    #[test]
    fn teams_ms_turn_allocate_request_unpadded_nonce() {
        // teams.pcap frame 1250: NONCE of 10 bytes, next attribute right after it.
        let b = hex("000300c22112a442222fefc7f3924bd1b99727e4000f000472c64bc68037000400000002800800040000000680060004000000010010000400002ee08055000400020002809500087f20c4dd4f848dfa00140014024ecbf8827a60d65306debfa77d87d14402dd5d0015000a227274636d6564696122000600380200002490a0dbdb01d6194de21537bfc992a00332731af1bedc569ae83bd5ab00000000bf71b276c97813a8ddefeb5cbc793a277a4ce63c000800207e44e6521f4710a5540f6290a67d69f95fa8f2f071c7a858a17775c39fdb730d");
        let (m, rest) = parse(&b).unwrap();
        assert!(rest.is_empty() && m.is_ms_turn() && !m.padded);
        assert_eq!((m.method(), m.class()), (3, Class::Request));
        let nonce = m.attributes().find(|a| a.typ == 0x0015).unwrap();
        assert_eq!(nonce.value, b"\"rtcmedia\"");
        // unpadded without the MS cookie attribute is rejected
        let mut c = b.clone();
        c[20] = 0x00;
        c[21] = 0x0e;
        assert!(parse(&c).is_none());
    }

    #[test]
    fn classic_without_cookie() {
        let b = hex(CLASSIC_RESP);
        let (m, _) = parse(&b).unwrap();
        assert!(!m.cookie);
        assert_eq!(m.transaction_id.len(), 16);
        let a = m.attributes().next().unwrap();
        assert_eq!(
            m.address(&a, false).unwrap().to_string(),
            "172.16.63.224:55050"
        );
        // classic with no attributes is too weak
        let mut empty = b[..20].to_vec();
        empty[3] = 0;
        assert!(parse(&empty).is_none());
    }

    #[test]
    fn rejects_noise() {
        assert!(parse(&[0x80; 40]).is_none());
        assert!(parse(&[0u8; 10]).is_none());
        let mut b = hex(TEAMS_BINDING_OK);
        b[3] = 0x48; // length beyond the datagram
        assert!(parse(&b).is_none());
        assert_eq!(walk(&b, false, |_| {}), 0);
    }

    #[test]
    fn tcp_multiple_messages_plain_and_rfc4571() {
        let one = hex("000300082112a442704b6e453952586746596c590019000411000000");
        let mut seg = one.clone();
        seg.extend_from_slice(&one);
        assert_eq!(walk(&seg, true, |_| {}), 2);
        let mut framed = Vec::new();
        for _ in 0..3 {
            framed.extend_from_slice(&(one.len() as u16).to_be_bytes());
            framed.extend_from_slice(&one);
        }
        assert_eq!(walk(&framed, true, |_| {}), 3);
    }

    #[test]
    fn ms_turn_tcp_framing() {
        let one = hex(TEAMS_BINDING_OK);
        let mut seg = vec![0x02, 0x00];
        seg.extend_from_slice(&(one.len() as u16).to_be_bytes());
        seg.extend_from_slice(&one);
        seg.extend_from_slice(&[0x03, 0x00, 0x00, 0x0c]);
        seg.extend_from_slice(&[0x80, 0x00, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
        let mut items = Vec::new();
        assert_eq!(walk(&seg, true, |i| items.push(i)), 2);
        assert!(matches!(items[1], Item::Stun(_)));
        assert!(matches!(items[3], Item::Relayed(b) if b.len() == 12));
    }

    /// teams.pcap: an ICE check (Binding request) with USERNAME `+mIv:JFwj`, ICE-CONTROLLED,
    /// PRIORITY and Microsoft attributes.
    const TEAMS_BINDING_REQ: &str = "000100682112a442b9f45d4f2ed209b36ad0098a000600092b6d49763a4a46776a0000008029000800007fed5e058e0080700004000000078036000400000001002400046efff9fe80950008651f34ce2e7915fc8037000400000002000800140cd837a6e0b14929f2882becfb32dbe307d6cbd5802800040eea2f77";

    #[test]
    fn ice_check_of_a_teams_binding_request() {
        let b = hex(TEAMS_BINDING_REQ);
        let (m, _) = parse(&b).unwrap();
        let c = ice_check(&m).unwrap();
        assert_eq!(c.username, Some("+mIv:JFwj"));
        assert!(c.controlled && !c.controlling && !c.use_candidate);
        assert_eq!(c.priority, Some(0x6EFF_F9FE));
        // A response is no check.
        let ok = hex(TEAMS_BINDING_OK);
        let (ok, _) = parse(&ok).unwrap();
        assert_eq!(ice_check(&ok), None);
    }

    #[test]
    fn ice_check_roles_nomination_and_malformed_lengths() {
        // Binding request: USERNAME "R:L", ICE-CONTROLLING (8), USE-CANDIDATE (0), PRIORITY.
        let b = hex("000100202112a442000102030405060708090a0b00060003523a4c00802a00080000000000000001002500000024000400000001");
        let (m, rest) = parse(&b).unwrap();
        assert!(rest.is_empty());
        let c = ice_check(&m).unwrap();
        assert_eq!(c.username, Some("R:L"));
        assert!(c.controlling && c.use_candidate && !c.controlled);
        // ICE-CONTROLLING of 4 bytes, USE-CANDIDATE with a value: ignored.
        let b = hex("000100102112a442000102030405060708090a0b802a0004000000010025000400000000");
        let (m, _) = parse(&b).unwrap();
        assert_eq!(ice_check(&m), Some(IceCheck::default()));
    }

    #[test]
    fn ice_usernames_are_ufrag_pairs_only() {
        assert_eq!(ice_username(b"abcd:efgh"), Some("abcd:efgh"));
        for bad in [
            &b"abcd"[..],
            b":efgh",
            b"abcd:",
            b"a:b:c",
            b"",
            b"\xff\xfe:x",
        ] {
            assert_eq!(ice_username(bad), None, "{bad:?}");
        }
        // An Allocate request's USERNAME (TURN long-term credentials) is not taken, even
        // when it looks like a pair: only Binding requests are checks.
        let b = hex("000300082112a442000102030405060708090a0b00060003613a6200");
        let (m, _) = parse(&b).unwrap();
        assert_eq!(ice_check(&m), None);
        // [MS-TURN]'s Allocate with its binary USERNAME: no check either.
        let b = hex("000300c22112a442222fefc7f3924bd1b99727e4000f000472c64bc68037000400000002800800040000000680060004000000010010000400002ee08055000400020002809500087f20c4dd4f848dfa00140014024ecbf8827a60d65306debfa77d87d14402dd5d0015000a227274636d6564696122000600380200002490a0dbdb01d6194de21537bfc992a00332731af1bedc569ae83bd5ab00000000bf71b276c97813a8ddefeb5cbc793a277a4ce63c000800207e44e6521f4710a5540f6290a67d69f95fa8f2f071c7a858a17775c39fdb730d");
        let (m, _) = parse(&b).unwrap();
        assert_eq!(ice_check(&m), None);
    }

    /// RFC 8656 §11.1 ChannelBind request: CHANNEL-NUMBER 0x4000, XOR-PEER-ADDRESS
    /// 192.0.2.1:50000 (port ^ 0x2112, address ^ the cookie).
    pub(crate) const CHANNEL_BIND: &str =
        "000900142112a442000102030405060708090a0b000c000440000000001200080001e242e112a643";

    #[test]
    fn channel_bind_request() {
        let b = hex(CHANNEL_BIND);
        let (m, rest) = parse(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            (m.method(), m.class()),
            (method::CHANNEL_BIND, Class::Request)
        );
        let (ch, peer) = channel_bind(&m).unwrap();
        assert_eq!((ch, peer.to_string().as_str()), (0x4000, "192.0.2.1:50000"));
        // Without the channel number, or as a success response: nothing.
        let mut resp = b.clone();
        resp[1] = 0x09;
        resp[0] = 0x01;
        let (m, _) = parse(&resp).unwrap();
        assert_eq!(m.class(), Class::Success);
        assert_eq!(channel_bind(&m), None);
        let mut no_ch = b.clone();
        no_ch[20] = 0x7F; // CHANNEL-NUMBER renamed to an unknown attribute
        let (m, _) = parse(&no_ch).unwrap();
        assert_eq!(channel_bind(&m), None);
    }

    #[test]
    fn channel_numbers() {
        assert_eq!(channel_number(&[0x40, 0x00, 0, 0]), Some(0x4000));
        assert_eq!(channel_number(&[0x7F, 0xFF, 0, 0]), Some(0x7FFF));
        assert_eq!(channel_number(&[0x3F, 0xFF, 0, 0]), None);
        assert_eq!(channel_number(&[0x80, 0x00, 0, 0]), None);
        assert_eq!(channel_number(&[0x40, 0x00]), None);
        assert_eq!(channel_number(&[0x40, 0x00, 0, 0, 0]), None);
    }

    #[test]
    fn channel_data() {
        let b = [0x40, 0x01, 0x00, 0x03, b'a', b'b', b'c', 0];
        let (ch, body, rest) = parse_channel_data(&b).unwrap();
        assert_eq!((ch, body, rest.len()), (0x4001, &b"abc"[..], 0));
        assert!(parse_channel_data(&[0x80, 0, 0, 0]).is_none());
        assert!(parse_channel_data(&[0x40, 0, 0, 9, 1]).is_none());
        assert_eq!(walk(&b, false, |_| {}), 1);
    }
}
