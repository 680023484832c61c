//! TLS record headers (RFC 8446 §5.1) and the ClientHello (RFC 8446 §4.1.2) with its
//! server_name (RFC 6066 §3), ALPN (RFC 7301 §3.1) and supported_versions (RFC 8446 §4.2.1)
//! extensions; plus a small capped reassembly of the first bytes of a TCP direction, for
//! ClientHellos spread over several (possibly out-of-order) segments.

use std::borrow::Cow;

use crate::bytes::be16;

/// RFC 8446 §5.1: record header length.
pub const RECORD_HEADER_LEN: usize = 5;
/// RFC 8446 §5.1: a record fragment is at most 2^14 bytes (+2048 for ciphertext expansion).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// Reassembly cap per direction: the ClientHello must complete within the first 16 KiB of
/// the stream (a post-quantum hybrid key share is ~1.2 KiB; real hellos stay < 4 KiB).
pub const REASM_CAP: usize = 16 * 1024;
/// Reassembly cap on distinct filled byte ranges (holes) per direction.
pub const REASM_MAX_RANGES: usize = 32;
/// A reassembly whose flow sends nothing for longer than this is given up: a real handshake
/// does not pause for two minutes. The flow table's idle timeout is at least this long, so
/// sealing an idle flow frees only what would be given up anyway, whatever the shard count.
pub const REASM_MAX_GAP_NS: i64 = 120_000_000_000;

fn be24(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(
        (usize::from(*s.first()?) << 16) | (usize::from(*s.get(1)?) << 8) | usize::from(*s.get(2)?),
    )
}

/// A TLS record header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat.
    pub content_type: u8,
    /// legacy_record_version: 0x0300..=0x0304.
    pub version: u16,
    pub length: usize,
}

/// RFC 8446 §5.1: `ContentType type; ProtocolVersion legacy_record_version; uint16 length;`.
/// Only the header is checked (the body may continue in later segments).
pub fn parse_record_header(data: &[u8]) -> Option<RecordHeader> {
    let content_type = *data.first()?;
    let version = be16(data, 1)?;
    let length = usize::from(be16(data, 3)?);
    ((20..=24).contains(&content_type)
        && (0x0300..=0x0304).contains(&version)
        && (1..=MAX_RECORD_LEN).contains(&length))
    .then_some(RecordHeader {
        content_type,
        version,
        length,
    })
}

/// A record header as a stream seen mid-session shows it: RFC 8446 §5.1 content types 20-23
/// only (change_cipher_spec, alert, handshake, application_data; RFC 6520 heartbeat is left
/// out: a stream judged on headers alone takes the common types only).
pub fn parse_mid_record_header(data: &[u8]) -> Option<RecordHeader> {
    parse_record_header(data).filter(|h| h.content_type <= 23)
}

/// Cheap check: a handshake record header.
pub fn probe(data: &[u8]) -> bool {
    parse_record_header(data).is_some_and(|h| h.content_type == 22)
}

/// Why a handshake could not be returned yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The stream is a TLS handshake so far but ends early.
    More,
    /// Not a TLS handshake record stream.
    Invalid,
}

/// RFC 8446 §4 + §5.1: the first handshake message of a stream, with its 4-byte header
/// (`msg_type(1) length(3)`). Borrowed when it sits in one record; gathered from consecutive
/// handshake records otherwise (RFC 8446 §5.1 lets a message span records).
pub fn first_handshake(stream: &[u8]) -> Result<Cow<'_, [u8]>, Need> {
    let h = parse_record_header(stream).ok_or(Need::Invalid)?;
    if h.content_type != 22 {
        return Err(Need::Invalid);
    }
    let avail = stream.get(RECORD_HEADER_LEN..).ok_or(Need::More)?;
    let hs_len = be24(avail, 1).ok_or(Need::More)?;
    let want = 4 + hs_len;
    if want > REASM_CAP {
        return Err(Need::Invalid);
    }
    if want <= h.length {
        return stream
            .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + want)
            .map(Cow::Borrowed)
            .ok_or(Need::More);
    }
    // Spans records: gather.
    let mut out = Vec::with_capacity(want);
    let mut rest = stream;
    let mut first = true;
    while out.len() < want {
        let r = parse_record_header(rest).ok_or(if rest.len() < RECORD_HEADER_LEN {
            Need::More
        } else {
            Need::Invalid
        })?;
        if r.content_type != 22 || (!first && r.length == 0) {
            return Err(Need::Invalid);
        }
        first = false;
        let body = rest
            .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + r.length)
            .ok_or(Need::More)?;
        let take = body.len().min(want - out.len());
        out.extend_from_slice(body.get(..take).unwrap_or(&[]));
        rest = rest.get(RECORD_HEADER_LEN + r.length..).unwrap_or(&[]);
    }
    Ok(Cow::Owned(out))
}

/// ClientHello fields of interest, borrowed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientHello<'a> {
    pub legacy_version: u16,
    /// RFC 6066 §3 host_name (type 0) entry.
    pub server_name: Option<&'a [u8]>,
    /// RFC 7301 §3.1 ProtocolNameList body (without its 2-byte length).
    alpn: &'a [u8],
    /// RFC 8446 §4.2.1 versions body (without its 1-byte length).
    versions: &'a [u8],
    /// An extensions block follows the compression methods (TLS 1.0-1.2 may omit it).
    pub has_extensions: bool,
}

impl<'a> ClientHello<'a> {
    /// ALPN protocol names in offer order.
    pub fn alpn(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut rest = self.alpn;
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first()?;
            let (name, tail) = tail.split_at_checked(usize::from(*len))?;
            rest = tail;
            Some(name)
        })
    }

    /// Offered versions: supported_versions if present (GREASE 0x?A?A removed), else the
    /// legacy version.
    pub fn versions(&self) -> impl Iterator<Item = u16> + 'a {
        let legacy = (self.versions.is_empty()).then_some(self.legacy_version);
        self.versions
            .chunks_exact(2)
            .filter_map(|c| match c {
                [a, b] => Some(u16::from_be_bytes([*a, *b])),
                _ => None,
            })
            .filter(|v| v & 0x0F0F != 0x0A0A)
            .chain(legacy)
    }
}

/// RFC 8446 §4.1.2:
/// ```text
/// struct { ProtocolVersion legacy_version = 0x0303; Random random[32];
///          opaque legacy_session_id<0..32>; CipherSuite cipher_suites<2..2^16-2>;
///          opaque legacy_compression_methods<1..2^8-1>; Extension extensions<8..2^16-1>;
/// } ClientHello;
/// ```
/// `hs` is the handshake message including its 4-byte header (type must be 1). Extensions
/// are optional (TLS 1.0-1.2 clients may omit them).
pub fn parse_client_hello(hs: &[u8]) -> Option<ClientHello<'_>> {
    if *hs.first()? != 1 {
        return None;
    }
    let len = be24(hs, 1)?;
    let body = hs.get(4..4 + len)?;
    let legacy_version = be16(body, 0)?;
    if !(0x0300..=0x0304).contains(&legacy_version) {
        return None;
    }
    let mut p = 34usize; // version + random
    let sid = usize::from(*body.get(p)?);
    if sid > 32 {
        return None;
    }
    p += 1 + sid;
    let cs = usize::from(be16(body, p)?);
    if cs < 2 || cs % 2 != 0 {
        return None;
    }
    p += 2 + cs;
    let cm = usize::from(*body.get(p)?);
    if cm < 1 {
        return None;
    }
    p += 1 + cm;
    let mut ch = ClientHello {
        legacy_version,
        ..ClientHello::default()
    };
    if p == body.len() {
        return Some(ch);
    }
    ch.has_extensions = true;
    let ext_len = usize::from(be16(body, p)?);
    let mut exts = body.get(p + 2..p + 2 + ext_len)?;
    while !exts.is_empty() {
        let t = be16(exts, 0)?;
        let l = usize::from(be16(exts, 2)?);
        let v = exts.get(4..4 + l)?;
        exts = exts.get(4 + l..)?;
        match t {
            // RFC 6066 §3: ServerNameList { NameType name_type; opaque HostName<1..2^16-1> }
            0 => {
                let list_len = usize::from(be16(v, 0)?);
                let mut list = v.get(2..2 + list_len)?;
                while let (Some(nt), Some(nl)) = (list.first(), be16(list, 1)) {
                    let name = list.get(3..3 + usize::from(nl))?;
                    if *nt == 0 && ch.server_name.is_none() {
                        ch.server_name = Some(name);
                    }
                    list = list.get(3 + usize::from(nl)..)?;
                }
            }
            // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>
            16 => {
                let list_len = usize::from(be16(v, 0)?);
                ch.alpn = v.get(2..2 + list_len)?;
            }
            // RFC 8446 §4.2.1: ProtocolVersion versions<2..254>
            43 => {
                let n = usize::from(*v.first()?);
                ch.versions = v.get(1..1 + n)?;
            }
            _ => {}
        }
    }
    Some(ch)
}

/// [MS-TURN], "pseudo-TLS": the ClientHello a Teams or Skype client sends first to a
/// TURN server on TCP 443 is TLS 1.0 (`legacy_version` 0x0301) and carries no extensions; a
/// real client of the last fifteen years sends SNI at least. Only a hint: the server's answer
/// (`is_pseudo_tls_server_hello`) decides.
pub fn is_pseudo_tls_client_hello(ch: &ClientHello<'_>) -> bool {
    ch.legacy_version == 0x0301 && !ch.has_extensions
}

/// [MS-TURN], "pseudo-TLS": the TURN server answers the pseudo-TLS ClientHello with a ServerHello
/// and a ServerHelloDone "in the same TLS record", nothing between them (a real TLS server
/// sends its Certificate there; RFC 5246 §7.3). `segment` starts with that record, whole.
pub fn is_pseudo_tls_server_hello(segment: &[u8]) -> bool {
    let Some(h) = parse_record_header(segment) else {
        return false;
    };
    let Some(body) = segment.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + h.length) else {
        return false;
    };
    let Some(hello_len) = be24(body, 1) else {
        return false;
    };
    // RFC 5246 §7.4: ServerHelloDone is `msg_type` 14 with an empty body.
    h.content_type == 22
        && body.first() == Some(&2)
        && body.get(4usize.saturating_add(hello_len)..) == Some(&[14, 0, 0, 0][..])
}

/// Up to `REASM_CAP` bytes of one TCP direction, placed by sequence number relative to
/// `base`. Out-of-order segments are placed where they belong; with `fixed == false` an
/// earlier segment moves the base down (the buffer is shifted, within the cap).
#[derive(Clone, Debug, Default)]
pub struct Reassembly {
    base: u32,
    fixed: bool,
    buf: Vec<u8>,
    /// Filled `[start, end)` offsets, sorted, non-overlapping, at most `REASM_MAX_RANGES`.
    ranges: Vec<(usize, usize)>,
    /// Times a cap was hit (bytes beyond `REASM_CAP`, too many holes).
    pub caps_hit: u32,
    /// Latest capture time of a packet of the flow while this was pending (kept by the
    /// caller, to give up on idle flows).
    pub last_ns: i64,
}

impl Reassembly {
    pub fn new(base: u32, fixed: bool) -> Self {
        Reassembly {
            base,
            fixed,
            ..Self::default()
        }
    }

    /// Place `data` (starting at TCP sequence `seq`).
    pub fn insert(&mut self, seq: u32, data: &[u8]) {
        let mut data = data;
        let diff = seq.wrapping_sub(self.base) as i32;
        let off = if diff < 0 {
            let before = diff.unsigned_abs() as usize;
            if self.fixed {
                data = data.get(before..).unwrap_or(&[]);
                0
            } else {
                if before + self.buf.len() > REASM_CAP {
                    self.caps_hit += 1;
                    return;
                }
                self.buf.splice(0..0, std::iter::repeat_n(0u8, before));
                for r in &mut self.ranges {
                    r.0 += before;
                    r.1 += before;
                }
                self.base = seq;
                0
            }
        } else {
            diff as usize
        };
        if off >= REASM_CAP {
            self.caps_hit += 1;
            return;
        }
        if off + data.len() > REASM_CAP {
            self.caps_hit += 1;
            data = data.get(..REASM_CAP - off).unwrap_or(&[]);
        }
        if data.is_empty() {
            return;
        }
        let end = off + data.len();
        if self.buf.len() < end {
            self.buf.resize(end, 0);
        }
        if let Some(dst) = self.buf.get_mut(off..end) {
            dst.copy_from_slice(data);
        }
        // merge the range
        let mut merged = Vec::with_capacity(self.ranges.len() + 1);
        let mut cur = (off, end);
        let mut placed = false;
        for &(s, e) in &self.ranges {
            if e < cur.0 {
                merged.push((s, e));
            } else if s > cur.1 {
                if !placed {
                    merged.push(cur);
                    placed = true;
                }
                merged.push((s, e));
            } else {
                cur = (cur.0.min(s), cur.1.max(e));
            }
        }
        if !placed {
            merged.push(cur);
        }
        merged.sort_unstable();
        if merged.len() > REASM_MAX_RANGES {
            self.caps_hit += 1;
            merged.truncate(REASM_MAX_RANGES);
        }
        self.ranges = merged;
    }

    /// The contiguous bytes from the base.
    pub fn prefix(&self) -> &[u8] {
        match self.ranges.first() {
            Some(&(0, e)) => self.buf.get(..e).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Bytes held (for tests and accounting).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    use crate::proto::tests::hex;

    /// teams.pcap: ClientHello for teams.microsoft.com, ALPN h2 + http/1.1.
    pub(crate) const TEAMS_CH: &str = "16030100cd010000c903032d7f336be6c274bf052721f2374d5f6c4ec19b3e9c1f64e59f98c75873eda56900001cbabacca9cca8c02bc02fc02cc030c013c014009c009d002f0035000a01000084baba0000ff010001000000001800160000137465616d732e6d6963726f736f66742e636f6d0017000000230000000d00140012040308040401050308050501080606010201000500050100000000001200000010000e000c02683208687474702f312e31000b00020100000a000a0008dada001d00170018001b00030200027a7a000100";

    /// [MS-TURN] pseudo-TLS: the client's TLS 1.0 ClientHello without extensions (one suite,
    /// null compression), and the server's ServerHello + ServerHelloDone in one record.
    pub(crate) const PSEUDO_TLS_CH: &str = "160301002d0100002903011111111111111111111111111111111111111111111111111111111111111111000002002f0100";
    pub(crate) const PSEUDO_TLS_SH: &str = "160301002e020000260301222222222222222222222222222222222222222222222222222222222222222200002f000e000000";

    #[test]
    fn pseudo_tls_hellos() {
        let ch = hex(PSEUDO_TLS_CH);
        let hs = first_handshake(&ch).unwrap();
        let hello = parse_client_hello(&hs).unwrap();
        assert!(!hello.has_extensions);
        assert!(is_pseudo_tls_client_hello(&hello));
        assert!(is_pseudo_tls_server_hello(&hex(PSEUDO_TLS_SH)));
        // A real ClientHello (extensions, TLS 1.2 inside) is not one.
        let real = hex(TEAMS_CH);
        let hs = first_handshake(&real).unwrap();
        let hello = parse_client_hello(&hs).unwrap();
        assert!(hello.has_extensions && !is_pseudo_tls_client_hello(&hello));
        // A ServerHello followed by a Certificate (type 11), the record cut short, or a
        // ServerHelloDone with a body: not pseudo-TLS.
        let mut cert = hex(PSEUDO_TLS_SH);
        let n = cert.len();
        cert[n - 4] = 11;
        assert!(!is_pseudo_tls_server_hello(&cert));
        let sh = hex(PSEUDO_TLS_SH);
        assert!(!is_pseudo_tls_server_hello(&sh[..sh.len() - 1]));
        let mut done_body = sh.clone();
        done_body[n - 1] = 1;
        assert!(!is_pseudo_tls_server_hello(&done_body));
        // The ClientHello record is no ServerHello.
        assert!(!is_pseudo_tls_server_hello(&ch));
    }

    #[test]
    fn mid_record_headers() {
        // TLS 1.2/1.3 application_data, 64 bytes; an alert; SSL 3.0 change_cipher_spec.
        assert_eq!(
            parse_mid_record_header(&hex("1703030040")),
            Some(RecordHeader {
                content_type: 23,
                version: 0x0303,
                length: 64
            })
        );
        assert!(parse_mid_record_header(&hex("1503030002")).is_some());
        assert!(parse_mid_record_header(&hex("1403000001")).is_some());
        // RFC 8446 §5.2: 2^14 + 2048 is the longest; one more is not TLS.
        assert!(parse_mid_record_header(&hex("1703034800")).is_some());
        assert!(parse_mid_record_header(&hex("1703034801")).is_none());
        // heartbeat (24), an unknown type, version 0x0305, length 0, short header
        assert!(parse_mid_record_header(&hex("1803030010")).is_none());
        assert!(parse_mid_record_header(&hex("1303030010")).is_none());
        assert!(parse_mid_record_header(&hex("1703050010")).is_none());
        assert!(parse_mid_record_header(&hex("1703030000")).is_none());
        assert!(parse_mid_record_header(&hex("17030300")).is_none());
        // HTTP, SSH, SIP, RFC 4571 RTP (length then 0x80)
        assert!(parse_mid_record_header(b"GET / HTTP/1.1\r\n").is_none());
        assert!(parse_mid_record_header(b"SSH-2.0-OpenSSH_9.6\r\n").is_none());
        assert!(parse_mid_record_header(b"INVITE sip:a@b SIP/2.0\r\n").is_none());
        assert!(parse_mid_record_header(&hex("00ac806f0001")).is_none());
    }

    #[test]
    fn teams_client_hello() {
        let b = hex(TEAMS_CH);
        assert!(probe(&b));
        let hs = first_handshake(&b).unwrap();
        assert!(matches!(hs, Cow::Borrowed(_)));
        let ch = parse_client_hello(&hs).unwrap();
        assert_eq!(ch.server_name, Some(&b"teams.microsoft.com"[..]));
        let alpn: Vec<_> = ch.alpn().collect();
        assert_eq!(alpn, vec![&b"h2"[..], &b"http/1.1"[..]]);
        assert_eq!(ch.versions().collect::<Vec<_>>(), vec![0x0303]);
    }

    #[test]
    fn truncated_needs_more() {
        let b = hex(TEAMS_CH);
        assert_eq!(first_handshake(&b[..100]).unwrap_err(), Need::More);
        assert_eq!(
            first_handshake(&[0x17, 3, 3, 0, 5]).unwrap_err(),
            Need::Invalid
        );
        assert_eq!(
            first_handshake(b"GET / HTTP/1.1\r\n").unwrap_err(),
            Need::Invalid
        );
    }

    #[test]
    fn hello_split_over_two_records() {
        let b = hex(TEAMS_CH);
        let hs = &b[5..];
        let mut s = vec![0x16, 3, 1, 0, 100];
        s.extend_from_slice(&hs[..100]);
        s.extend_from_slice(&[0x16, 3, 1, 0, (hs.len() - 100) as u8]);
        s.extend_from_slice(&hs[100..]);
        let got = first_handshake(&s).unwrap();
        assert!(matches!(got, Cow::Owned(_)));
        assert_eq!(&got[..], hs);
        assert!(parse_client_hello(&got).is_some());
    }

    #[test]
    fn reassembly_out_of_order() {
        let b = hex(TEAMS_CH);
        let mut r = Reassembly::new(1000, true);
        r.insert(1100, &b[100..]);
        assert!(r.prefix().is_empty());
        r.insert(1000, &b[..100]);
        assert_eq!(r.prefix(), &b[..]);
        // unfixed base: earlier segment shifts the buffer
        let mut r = Reassembly::new(1100, false);
        r.insert(1100, &b[100..]);
        r.insert(1000, &b[..100]);
        assert_eq!(r.prefix(), &b[..]);
        // cap
        let mut r = Reassembly::new(0, true);
        r.insert(REASM_CAP as u32 - 10, &[1; 100]);
        assert_eq!(r.caps_hit, 1);
        assert_eq!(r.len(), REASM_CAP);
    }
}
