//! SIP messages (RFC 3261 §7) on any port, over UDP or TCP, and the SDP body's connection and
//! media lines (RFC 4566 §5.7, §5.14). Borrowed and bounded: at most `MAX_HEADERS` header
//! lines and `MAX_SCAN` bytes of one message are looked at.

/// Header lines parsed per message; more are counted (`headers_capped`) and skipped.
pub const MAX_HEADERS: usize = 64;
/// Bytes of one message (headers and body) scanned at most.
pub const MAX_SCAN: usize = 16 * 1024;
/// Longest start line accepted (RFC 3261 sets no limit; real ones are < 300 bytes).
pub const MAX_START_LINE: usize = 1024;
/// SDP media sections kept per message.
pub const MAX_SDP_MEDIA: usize = 8;

/// RFC 3261 §7.1 / §7.2 start line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartLine<'a> {
    Request { method: &'a str, uri: &'a str },
    Status { code: u16 },
}

/// One SDP media description, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdpMediaRef<'a> {
    pub media: &'a str,
    pub port: u16,
    pub proto: &'a str,
    /// Media-level `c=` address, else the session-level one.
    pub connection: Option<&'a str>,
    /// `a=rtpmap:<payload type> <encoding>/<clock rate>` (RFC 8866 §6.6): the clock rates of
    /// the section's dynamic (and restated static) payload types, the first `MAX_RTPMAP`.
    pub clock_rates: [Option<(u8, u32)>; MAX_RTPMAP],
}

/// `a=rtpmap` lines kept per media section.
pub const MAX_RTPMAP: usize = 8;

/// `<payload type> <encoding name>/<clock rate>[/<parameters>]` (RFC 8866 §6.6).
fn rtpmap(value: &str) -> Option<(u8, u32)> {
    let (pt, encoding) = value.split_once(' ')?;
    let pt = pt.trim().parse::<u8>().ok().filter(|pt| *pt < 128)?;
    let rate = encoding.trim().split('/').nth(1)?.parse::<u32>().ok()?;
    (rate > 0).then_some((pt, rate))
}

/// A parsed SIP message, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub start: StartLine<'a>,
    pub call_id: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub cseq: Option<&'a str>,
    pub via: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub content_length: Option<usize>,
    pub headers: usize,
    pub headers_capped: bool,
    pub body: &'a [u8],
    /// Bytes this message occupies (header block + Content-Length body), to walk a TCP stream.
    pub wire_len: usize,
    /// Body bytes Content-Length says are still due beyond `data` (RFC 3261 §18.3: over TCP
    /// they come in the next segments); 0 when the body is complete, when there is no
    /// Content-Length, or when the header block itself is not complete in `data`.
    pub body_due: usize,
}

/// RFC 3261 §27.4 methods plus Microsoft's SERVICE and BENOTIFY ([MS-SIPRE] §2.2).
const METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
    "SERVICE",
    "BENOTIFY",
];

fn line_end(data: &[u8], max: usize) -> Option<(usize, usize)> {
    let lim = data.get(..max.min(data.len()))?;
    let nl = lim.iter().position(|&b| b == b'\n')?;
    let end = if nl > 0 && lim.get(nl - 1) == Some(&b'\r') {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// RFC 3261 §7.1 `Request-Line = Method SP Request-URI SP SIP-Version CRLF` or
/// §7.2 `Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF`.
pub fn parse_start_line(line: &[u8]) -> Option<StartLine<'_>> {
    let line = std::str::from_utf8(line).ok()?;
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let code = rest.get(..3)?;
        if !code.bytes().all(|b| b.is_ascii_digit()) || rest.get(3..4).is_some_and(|s| s != " ") {
            return None;
        }
        let code: u16 = code.parse().ok()?;
        return (100..=699)
            .contains(&code)
            .then_some(StartLine::Status { code });
    }
    let mut it = line.split(' ');
    let method = it.next()?;
    let uri = it.next()?;
    let version = it.next()?;
    if it.next().is_some() || version != "SIP/2.0" || !METHODS.contains(&method) {
        return None;
    }
    let scheme_ok = uri.starts_with("sip:") || uri.starts_with("sips:") || uri.starts_with("tel:");
    scheme_ok.then_some(StartLine::Request { method, uri })
}

/// Cheap check of the first bytes: `SIP/2.0 ` or a known method followed by a space.
pub fn probe(data: &[u8]) -> bool {
    if data.starts_with(b"SIP/2.0 ") {
        return true;
    }
    METHODS
        .iter()
        .any(|m| data.get(..m.len()) == Some(m.as_bytes()) && data.get(m.len()) == Some(&b' '))
}

fn trim(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// RFC 3261 §7: start line, headers (§7.3, compact forms §7.3.3: i f t v m l c), empty line,
/// body. `data` may hold more (the next message on TCP).
pub fn parse(data: &[u8]) -> Option<Message<'_>> {
    if !probe(data) {
        return None;
    }
    let (le, next) = line_end(data, MAX_START_LINE)?;
    let start = parse_start_line(data.get(..le)?)?;
    let mut m = Message {
        start,
        call_id: None,
        from: None,
        to: None,
        cseq: None,
        via: None,
        contact: None,
        content_type: None,
        content_length: None,
        headers: 0,
        headers_capped: false,
        body: &[],
        wire_len: 0,
        body_due: 0,
    };
    let scan = data.get(..MAX_SCAN.min(data.len()))?;
    let mut pos = next;
    let mut header_end = None;
    loop {
        let rest = scan.get(pos..)?;
        let Some((le, adv)) = line_end(rest, rest.len()) else {
            break; // headers continue beyond the segment or the scan cap
        };
        let line = rest.get(..le)?;
        pos += adv;
        if line.is_empty() {
            header_end = Some(pos);
            break;
        }
        if m.headers >= MAX_HEADERS {
            m.headers_capped = true;
            continue;
        }
        m.headers += 1;
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue; // folded continuation (RFC 3261 §7.3.1)
        }
        let Ok(line) = std::str::from_utf8(line) else {
            continue;
        };
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = trim(value);
        let name = trim(name);
        let is = |long: &str, short: &str| {
            name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(short)
        };
        if is("call-id", "i") {
            m.call_id.get_or_insert(value);
        } else if is("from", "f") {
            m.from.get_or_insert(value);
        } else if is("to", "t") {
            m.to.get_or_insert(value);
        } else if name.eq_ignore_ascii_case("cseq") {
            m.cseq.get_or_insert(value);
        } else if is("via", "v") {
            m.via.get_or_insert(value);
        } else if is("contact", "m") {
            m.contact.get_or_insert(value);
        } else if is("content-type", "c") {
            m.content_type.get_or_insert(value);
        } else if is("content-length", "l") {
            m.content_length = value.parse().ok();
        }
    }
    // A SIP message needs the mandatory headers of RFC 3261 §8.1.1 to be called SIP at all;
    // Call-ID and CSeq are the discriminating ones.
    if m.call_id.is_none() && m.cseq.is_none() {
        return None;
    }
    if let Some(he) = header_end {
        let avail = data.get(he..).unwrap_or(&[]);
        let bl = m.content_length.unwrap_or(avail.len()).min(avail.len());
        m.body = avail.get(..bl).unwrap_or(&[]);
        // Content-Length is the sender's word: up to usize::MAX (a fuzzer found it overflowing).
        m.wire_len = he.saturating_add(m.content_length.unwrap_or(avail.len()));
        m.body_due = m
            .content_length
            .map_or(0, |cl| cl.saturating_sub(avail.len()));
    } else {
        m.wire_len = data.len();
    }
    Some(m)
}

/// RFC 4566 §5.7 `c=<nettype> <addrtype> <connection-address>` and §5.14
/// `m=<media> <port>[/<n>] <proto> <fmt> ...`. Media without their own `c=` inherit the
/// session-level one. Returns how many media sections were written to `out`.
pub fn sdp_media<'a>(body: &'a [u8], out: &mut [Option<SdpMediaRef<'a>>; MAX_SDP_MEDIA]) -> usize {
    let Ok(text) = std::str::from_utf8(body.get(..MAX_SCAN.min(body.len())).unwrap_or(&[])) else {
        return 0;
    };
    let mut session_c: Option<&str> = None;
    let mut n = 0usize;
    for line in text.lines().take(512) {
        let line = line.trim_end_matches('\r');
        if let Some(c) = line.strip_prefix("c=") {
            let addr = c
                .split(' ')
                .nth(2)
                .map(|a| a.split('/').next().unwrap_or(a));
            if n == 0 {
                session_c = addr;
            } else if let Some(Some(last)) = out.get_mut(n - 1) {
                last.connection = addr;
            }
        } else if let Some(mline) = line.strip_prefix("m=") {
            let mut f = mline.split(' ');
            let (Some(media), Some(port), Some(proto)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            let Ok(port) = port.split('/').next().unwrap_or(port).parse::<u16>() else {
                continue;
            };
            if let Some(slot) = out.get_mut(n) {
                *slot = Some(SdpMediaRef {
                    media,
                    port,
                    proto,
                    connection: session_c,
                    clock_rates: [None; MAX_RTPMAP],
                });
                n += 1;
            }
        } else if let Some(value) = line.strip_prefix("a=rtpmap:") {
            let last = n.checked_sub(1).and_then(|i| out.get_mut(i));
            let (Some(Some(last)), Some(map)) = (last, rtpmap(value)) else {
                continue;
            };
            if let Some(free) = last.clock_rates.iter_mut().find(|r| r.is_none()) {
                *free = Some(map);
            }
        }
    }
    n
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    /// sip.pcap: INVITE with SDP (trimmed of some headers).
    pub(crate) const INVITE: &[u8] = b"INVITE sip:97239287044@voip.brujula.net SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bKnp104984053-44ce4a41192.168.1.2;rport\r\n\
From: \"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9\r\n\
To: <sip:97239287044@voip.brujula.net>\r\n\
Call-ID: 105090259-446faf7a@192.168.1.2\r\n\
CSeq: 1 INVITE\r\n\
Content-Type: application/sdp\r\n\
Content-Length: 108\r\n\
Contact: <sip:816666@192.168.1.2>\r\n\
\r\n\
v=0\r\n\
o=SIPPS 105015165 105015162 IN IP4 192.168.1.2\r\n\
c=IN IP4 192.168.1.2\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 0 8\r\n";

    #[test]
    fn invite_with_sdp() {
        let m = parse(INVITE).unwrap();
        assert_eq!(
            m.start,
            StartLine::Request {
                method: "INVITE",
                uri: "sip:97239287044@voip.brujula.net"
            }
        );
        assert_eq!(m.call_id, Some("105090259-446faf7a@192.168.1.2"));
        assert_eq!(m.cseq, Some("1 INVITE"));
        assert_eq!(m.content_length, Some(108));
        assert_eq!((m.body.len(), m.body_due), (108, 0));
        // Headers and the start of the body only: the rest is due.
        let cut = parse(&INVITE[..INVITE.len() - 30]).unwrap();
        assert_eq!((cut.body.len(), cut.body_due), (79, 29));
        // The header block itself cut: nothing is known to be due.
        let headers_cut = parse(&INVITE[..INVITE.len() - 111]).unwrap();
        assert_eq!((headers_cut.body.len(), headers_cut.body_due), (0, 0));
        let mut out = [None; MAX_SDP_MEDIA];
        assert_eq!(sdp_media(m.body, &mut out), 1);
        let media = out[0].unwrap();
        assert_eq!(
            (media.media, media.port, media.proto, media.connection),
            ("audio", 30000, "RTP/AVP", Some("192.168.1.2"))
        );
    }

    #[test]
    fn compact_headers_and_status() {
        let msg = b"SIP/2.0 200 OK\r\nv: SIP/2.0/TCP 10.0.0.1\r\ni: abc@x\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\nCSeq: 2 REGISTER\r\nl: 0\r\n\r\nSIP/2.0 100 Trying\r\n";
        let m = parse(msg).unwrap();
        assert_eq!(m.start, StartLine::Status { code: 200 });
        assert_eq!(
            (m.call_id, m.from, m.to),
            (Some("abc@x"), Some("<sip:a@b>"), Some("<sip:c@d>"))
        );
        assert_eq!(m.wire_len, msg.len() - "SIP/2.0 100 Trying\r\n".len());
    }

    #[test]
    fn huge_content_length_does_not_overflow() {
        let msg = b"SIP/2.0 200 OK\r\ni: abc@x\r\nContent-Length: 18446744073709551615\r\n\r\nbody";
        let m = parse(msg).unwrap();
        assert_eq!(m.content_length, Some(usize::MAX));
        assert_eq!(m.body, b"body");
        assert_eq!(m.wire_len, usize::MAX);
        assert_eq!(m.body_due, usize::MAX - 4);
    }

    #[test]
    fn http_is_not_sip() {
        assert!(parse(b"GET / HTTP/1.1\r\nHost: 45.58.148.2\r\n\r\n").is_none());
        assert!(parse(b"HTTP/1.1 403 Forbidden\r\n\r\n").is_none());
        assert!(parse(b"OPTIONS * HTTP/1.1\r\nCSeq: 1\r\n\r\n").is_none());
        assert!(parse(b"hello").is_none());
    }

    #[test]
    fn many_headers_are_capped() {
        let mut msg = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n".to_vec();
        for i in 0..10_000 {
            msg.extend_from_slice(format!("X-H{i}: v\r\n").as_bytes());
        }
        msg.extend_from_slice(b"\r\n");
        let m = parse(&msg).unwrap();
        assert_eq!(m.headers, MAX_HEADERS);
        assert!(m.headers_capped);
        assert_eq!(m.call_id, Some("x"));
    }

    #[test]
    fn rtpmap_clock_rates_per_media_section() {
        let body = b"v=0\r\nc=IN IP4 10.0.0.1\r\nm=audio 5000 RTP/AVP 111 0 101\r\n\
a=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:bad x/1\r\n\
a=rtpmap:200 x/8000\r\nm=video 5002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";
        let mut out = [None; MAX_SDP_MEDIA];
        assert_eq!(sdp_media(body, &mut out), 2);
        let audio = out[0].unwrap();
        let rates: Vec<_> = audio.clock_rates.iter().flatten().copied().collect();
        assert_eq!(rates, [(111, 48_000), (101, 8_000)]);
        let video = out[1].unwrap();
        assert_eq!(video.clock_rates[0], Some((96, 90_000)));
        assert_eq!(rtpmap("96 H264"), None);
        assert_eq!(rtpmap("96 H264/0"), None);
    }
}
