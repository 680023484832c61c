//! A JSON text writer for the report's per-flow records: serde_json's pretty or compact layout,
//! byte for byte, written straight into a buffer with no intermediate values.
//!
//! A large capture has hundreds of thousands of flows of a few kilobytes of JSON each; going
//! through serde (a struct of owned strings per flow, every key escaped at run time) cost as
//! much as reading the capture (benches/RESULTS.md). Keys here are written as they are (they
//! are our own ASCII names) and string values are escaped exactly as serde_json escapes them
//! (RFC 8259 section 7).

use std::fmt;
use std::net::IpAddr;

/// Deepest nesting tracked; the report nests at most 7 levels.
const MAX_DEPTH: usize = 64;

/// `,` then a newline then indentation: a separator and the indentation of a pretty line are
/// one slice of this, so each costs one copy.
const COMMA_NEWLINE_INDENT: &[u8; 130] = &{
    let mut s = [b' '; 130];
    s[0] = b',';
    s[1] = b'\n';
    s
};

/// The longest line start `line_start` copies at a fixed size: `,\n` and 8 levels.
const SHORT_LINE_START: usize = 18;

/// Writes JSON into `out`. Pretty output matches `serde_json::to_writer_pretty` (two spaces a
/// level) started `depth` levels in; compact output matches `serde_json::to_writer`.
pub struct JsonText<'b> {
    out: &'b mut Vec<u8>,
    pretty: bool,
    depth: usize,
    /// Bit `d`: the container open at depth `d` already holds a value.
    has_value: u64,
}

impl<'b> JsonText<'b> {
    pub fn pretty(out: &'b mut Vec<u8>, depth: usize) -> Self {
        JsonText {
            out,
            pretty: true,
            depth,
            has_value: 0,
        }
    }

    pub fn compact(out: &'b mut Vec<u8>) -> Self {
        JsonText {
            out,
            pretty: false,
            depth: 0,
            has_value: 0,
        }
    }

    fn bit(&self) -> u64 {
        1u64 << (self.depth % MAX_DEPTH)
    }

    /// `,` (unless `first`), then for pretty output a newline and the current indentation.
    #[inline(always)]
    fn line_start(&mut self, first: bool) {
        let from = usize::from(first);
        let to = if self.pretty {
            (2 + self.depth * 2).min(COMMA_NEWLINE_INDENT.len())
        } else {
            1
        };
        // Up to 8 levels deep (every flow record), a copy of a fixed size, which compiles to a
        // few moves, and a cut, instead of a call to `memcpy`.
        if let Some(fixed) = COMMA_NEWLINE_INDENT.get(from..from + SHORT_LINE_START) {
            if to <= SHORT_LINE_START {
                let keep = self.out.len() + (to - from);
                self.out.extend_from_slice(fixed);
                self.out.truncate(keep);
                return;
            }
        }
        self.out
            .extend_from_slice(COMMA_NEWLINE_INDENT.get(from..to).unwrap_or_default());
    }

    /// The separator before a key or an array element of the current container.
    #[inline(always)]
    fn separate(&mut self) {
        let first = self.has_value & self.bit() == 0;
        self.has_value |= self.bit();
        self.line_start(first);
    }

    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
        self.has_value &= !self.bit();
    }

    fn close(&mut self, bracket: u8) {
        let had_value = self.has_value & self.bit() != 0;
        self.has_value &= !self.bit();
        self.depth = self.depth.saturating_sub(1);
        if self.pretty && had_value {
            self.line_start(true);
        }
        self.out.push(bracket);
    }

    pub fn begin_object(&mut self) {
        self.open(b'{');
    }

    pub fn end_object(&mut self) {
        self.close(b'}');
    }

    pub fn begin_array(&mut self) {
        self.open(b'[');
    }

    pub fn end_array(&mut self) {
        self.close(b']');
    }

    /// The next key of the current object: one of our own names, written unescaped.
    #[inline(always)]
    pub fn key(&mut self, name: &str) {
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out
            .extend_from_slice(if self.pretty { b"\": " } else { b"\":" });
    }

    /// Starts the next element of the current array (then write its value).
    pub fn element(&mut self) {
        self.separate();
    }

    pub fn str(&mut self, s: &str) {
        escape_into(self.out, s);
    }

    /// One of our own names (a path, an app, a finding code) as a string value: written
    /// unescaped, as keys are. Text from a capture, a site profile or the ranges file goes
    /// through `str`.
    #[inline(always)]
    pub fn name(&mut self, s: &'static str) {
        debug_assert!(!needs_escape(s.as_bytes()), "{s:?}");
        self.out.push(b'"');
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(b'"');
    }

    pub fn opt_name(&mut self, s: Option<&'static str>) {
        match s {
            Some(s) => self.name(s),
            None => self.null(),
        }
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.null(),
        }
    }

    pub fn null(&mut self) {
        self.out.extend_from_slice(b"null");
    }

    pub fn bool(&mut self, b: bool) {
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
    }

    pub fn u64(&mut self, n: u64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    pub fn i64(&mut self, n: i64) {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    /// A number as serde_json serializes an `f64`, by serde_json's own formatter (the
    /// shortest text that reads back as `v`, e.g. `1.021`, `0.0`); `null` when not finite.
    pub fn f64(&mut self, v: f64) {
        use serde_json::ser::{CompactFormatter, Formatter};
        if v.is_finite() {
            // Writing to a Vec cannot fail.
            let _ = CompactFormatter.write_f64(self.out, v);
        } else {
            self.null();
        }
    }

    /// An address in its canonical text form (RFC 5952 for IPv6), as a string.
    pub fn ip(&mut self, ip: IpAddr) {
        // No character of an address needs escaping.
        self.out.push(b'"');
        match ip {
            IpAddr::V4(v4) => {
                let (text, len) = super::ipv4_text(v4);
                self.out
                    .extend_from_slice(text.get(..len).unwrap_or_default());
            }
            IpAddr::V6(_) => {
                let _ = super::write_ip(&mut ByteWriter(self.out), ip);
            }
        }
        self.out.push(b'"');
    }

    /// A MAC address as lower-case colon-separated hex, as a string.
    pub fn mac(&mut self, m: [u8; 6]) {
        self.out.push(b'"');
        self.out.extend_from_slice(&crate::mac::bytes(m));
        self.out.push(b'"');
    }

    /// An RFC 3339 UTC time, as a string.
    pub fn rfc3339(&mut self, ts_ns: i64) {
        self.out.push(b'"');
        super::time::write_rfc3339(self.out, ts_ns);
        self.out.push(b'"');
    }

    /// A string value written in pieces through `fmt::Write` by `write`, escaped as `str`
    /// escapes it: text made of parts (a finding's message) needs no `String` of its own.
    pub fn str_from(
        &mut self,
        write: impl FnOnce(&mut EscapedStr<'_>) -> fmt::Result,
    ) -> fmt::Result {
        self.out.push(b'"');
        write(&mut EscapedStr(self.out))?;
        self.out.push(b'"');
        Ok(())
    }
}

/// `fmt::Write` into the body of a JSON string (see `JsonText::str_from`): every piece is
/// escaped as it is appended.
pub struct EscapedStr<'a>(&'a mut Vec<u8>);

impl fmt::Write for EscapedStr<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_body(self.0, s);
        Ok(())
    }
}

/// Appends `s` as a JSON string, escaped as serde_json does: `"` and `\`, the short escapes
/// `\b \t \n \f \r`, other control characters as `\u00xx`.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_body(out, s);
    out.push(b'"');
}

/// Whether any of the 8 bytes of `word` is a control character, `"` or `\\`: the "has a byte
/// less than n" and "has a zero byte" tests of Bit Twiddling Hacks, exact for n <= 128.
#[inline]
fn word_needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let quote = quote.wrapping_sub(ONES) & !quote;
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let backslash = backslash.wrapping_sub(ONES) & !backslash;
    (control | quote | backslash) & HIGH_BITS != 0
}

/// Whether `bytes` holds a byte JSON strings must escape; 8 bytes at a time.
#[inline]
fn needs_escape(bytes: &[u8]) -> bool {
    let mut words = bytes.chunks_exact(8);
    let words_need = words.any(|w| {
        let word: [u8; 8] = w.try_into().unwrap_or_default();
        word_needs_escape(u64::from_le_bytes(word))
    });
    words_need
        || words
            .remainder()
            .iter()
            .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[inline]
fn escape_body(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Nearly every string needs no escape: then it is one copy.
    if needs_escape(bytes) {
        escape_slow(out, bytes);
    } else {
        out.extend_from_slice(bytes);
    }
}

#[cold]
fn escape_slow(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x09 => b't',
            0x0a => b'n',
            0x0c => b'f',
            0x0d => b'r',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        out.push(b'\\');
        out.push(short);
        if short == b'u' {
            out.extend_from_slice(b"00");
            out.push(crate::mac::hex_digit(b >> 4));
            out.push(crate::mac::hex_digit(b & 0xf));
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
}

/// `fmt::Write` into a byte buffer, as is.
struct ByteWriter<'a>(&'a mut Vec<u8>);

impl fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;
    use std::fmt::Write as _;

    #[derive(Serialize)]
    struct Sample {
        a: u64,
        b: Vec<u64>,
        c: Vec<u64>,
        d: Inner,
        e: Option<String>,
    }

    #[derive(Serialize)]
    struct Inner {
        s: String,
        t: bool,
    }

    fn by_hand(v: &Sample, w: &mut JsonText<'_>) {
        w.begin_object();
        w.key("a");
        w.u64(v.a);
        w.key("b");
        w.begin_array();
        for x in &v.b {
            w.element();
            w.u64(*x);
        }
        w.end_array();
        w.key("c");
        w.begin_array();
        for x in &v.c {
            w.element();
            w.u64(*x);
        }
        w.end_array();
        w.key("d");
        w.begin_object();
        w.key("s");
        w.str(&v.d.s);
        w.key("t");
        w.bool(v.d.t);
        w.end_object();
        w.key("e");
        w.opt_str(v.e.as_deref());
        w.end_object();
    }

    proptest! {
        #[test]
        fn same_bytes_as_serde_json(a: u64, b in proptest::collection::vec(any::<u64>(), 0..4), s: String, t: bool, e: Option<String>) {
            let v = Sample { a, b, c: Vec::new(), d: Inner { s, t }, e };
            let mut pretty = Vec::new();
            by_hand(&v, &mut JsonText::pretty(&mut pretty, 0));
            prop_assert_eq!(String::from_utf8(pretty).unwrap(), serde_json::to_string_pretty(&v).unwrap());
            let mut compact = Vec::new();
            by_hand(&v, &mut JsonText::compact(&mut compact));
            prop_assert_eq!(String::from_utf8(compact).unwrap(), serde_json::to_string(&v).unwrap());
        }

        #[test]
        fn pieces_escaped_as_one_string(pieces in proptest::collection::vec(any::<String>(), 0..4)) {
            let mut out = Vec::new();
            JsonText::compact(&mut out)
                .str_from(|w| pieces.iter().try_for_each(|p| w.write_str(p)))
                .unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&pieces.concat()).unwrap());
        }

        #[test]
        fn addresses_as_serde_json(v4: [u8; 4], v6: [u8; 16]) {
            for ip in [IpAddr::from(v4), IpAddr::from(v6)] {
                let mut out = Vec::new();
                JsonText::compact(&mut out).ip(ip);
                prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&ip).unwrap());
            }
        }

        #[test]
        fn floats_as_serde_json(v: f64) {
            let mut out = Vec::new();
            JsonText::compact(&mut out).f64(v);
            prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&v).unwrap());
        }
    }

    proptest! {
        #[test]
        fn word_test_is_the_byte_test(bytes in proptest::collection::vec(
            prop_oneof![Just(b'"'), Just(b'\\'), 0u8..0x20, 0x20u8..=0xff], 0..40)) {
            let by_byte = bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(needs_escape(&bytes), by_byte);
        }
    }

    #[test]
    fn control_characters_and_quotes() {
        let mut out = Vec::new();
        JsonText::compact(&mut out).str("a\"b\\c\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string("a\"b\\c\u{1}\u{8}\t\n\u{c}\r\u{1f}\u{7f}é").unwrap()
        );
    }

    #[test]
    fn mac_text() {
        let mut out = Vec::new();
        JsonText::compact(&mut out).mac([0x02, 0, 0xab, 0x10, 0xff, 9]);
        assert_eq!(out, b"\"02:00:ab:10:ff:09\"");
    }
}
