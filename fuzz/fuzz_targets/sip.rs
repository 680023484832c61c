//! SIP and SDP parsing (`proto::sip`) on arbitrary bytes.
//!
//! Properties, besides "no panic, no abort":
//! - `parse` accepts only what `probe` accepts, and only with a Call-ID or a CSeq;
//! - its start line is `parse_start_line` of the input's first line: a status code in
//!   100..=699, or a request whose method starts the input and whose URI is sip:, sips: or tel:;
//! - at most `MAX_HEADERS` headers are counted (`headers_capped` exactly when more were
//!   seen), every header value and the body lie inside the input, the body follows the
//!   headers and never exceeds Content-Length; `body_due` is what Content-Length still wants
//!   beyond the input (body + due = Content-Length when something is due);
//! - `sdp_media` writes at most `MAX_SDP_MEDIA` entries, `out[..n]` filled and the rest
//!   untouched, every string inside the body.
#![no_main]

use callpath::proto::sip::{self, StartLine, MAX_SDP_MEDIA};
use libfuzzer_sys::fuzz_target;

fn inside(inner: &[u8], outer: &[u8]) -> bool {
    let (i, o) = (inner.as_ptr_range(), outer.as_ptr_range());
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fn check_start(s: StartLine<'_>, line: &[u8]) {
    match s {
        StartLine::Status { code } => {
            assert!((100..=699).contains(&code));
            assert!(line.starts_with(b"SIP/2.0 "));
        }
        StartLine::Request { method, uri } => {
            assert!(line.starts_with(method.as_bytes()));
            assert!(inside(uri.as_bytes(), line));
            assert!(uri.starts_with("sip:") || uri.starts_with("sips:") || uri.starts_with("tel:"));
            assert!(line.ends_with(b" SIP/2.0"));
        }
    }
}

fn check_sdp(body: &[u8]) {
    let mut out = [None; MAX_SDP_MEDIA];
    let n = sip::sdp_media(body, &mut out);
    assert!(n <= MAX_SDP_MEDIA);
    for (i, m) in out.iter().enumerate() {
        assert_eq!(m.is_some(), i < n, "slots filled out of order");
        if let Some(m) = m {
            assert!(inside(m.media.as_bytes(), body) && inside(m.proto.as_bytes(), body));
            assert!(m.connection.is_none_or(|c| inside(c.as_bytes(), body)));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let first_line = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first_line = first_line.strip_suffix(b"\r").unwrap_or(first_line);
    if let Some(s) = sip::parse_start_line(first_line) {
        check_start(s, first_line);
    }
    if let Some(m) = sip::parse(data) {
        assert!(sip::probe(data), "parse accepted what probe rejected");
        assert!(m.call_id.is_some() || m.cseq.is_some());
        assert_eq!(sip::parse_start_line(first_line), Some(m.start));
        check_start(m.start, first_line);
        assert!(m.headers <= sip::MAX_HEADERS);
        assert!(!m.headers_capped || m.headers == sip::MAX_HEADERS);
        for v in [
            m.call_id,
            m.from,
            m.to,
            m.cseq,
            m.via,
            m.contact,
            m.content_type,
        ]
        .into_iter()
        .flatten()
        {
            assert!(
                inside(v.as_bytes(), data),
                "header value outside the message"
            );
        }
        assert!(inside(m.body, data));
        if !m.body.is_empty() {
            let at = m.body.as_ptr() as usize - data.as_ptr() as usize;
            assert!(at > first_line.len(), "body inside the start line");
            assert!(at + m.body.len() <= m.wire_len);
        }
        if let Some(cl) = m.content_length {
            assert!(m.body.len() <= cl);
        }
        if m.body_due > 0 {
            assert_eq!(Some(m.body.len() + m.body_due), m.content_length);
            if !m.body.is_empty() {
                let at = m.body.as_ptr() as usize - data.as_ptr() as usize;
                assert_eq!(at + m.body.len(), data.len(), "a due body ends the input");
            }
        }
        check_sdp(m.body);
    } else if !sip::probe(data) {
        assert!(sip::parse(data).is_none());
    }
    check_sdp(data);
});
