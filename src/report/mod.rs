//! Turning audit results into documents: `build` makes the report model, `message` the words
//! of each finding, and one writer per format (`json`, `ndjson`, `text`, `csv`, `html`) writes it, behind one
//! `write`. Writers only see results: nothing here knows how captures were read.

mod build;
#[cfg(test)]
mod calls_tests;
pub mod check;
pub mod csv;
pub mod html;
mod interfaces;
pub mod json;
mod jsonw;
pub mod message;
pub mod model;
pub mod ndjson;
pub mod text;
pub mod time;

use std::io::{self, Write};

pub use build::{build, Report};
pub use interfaces::write_interfaces;

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A summary a person scans in a terminal.
    Text,
    /// One pretty-printed JSON document (SPEC "JSON report").
    Json,
    /// One JSON object per line, each with its `type`.
    Ndjson,
    /// One line per flow (SPEC "Other outputs"), RFC 4180.
    Csv,
    /// One self-contained HTML file (SPEC "Other outputs").
    Html,
}

/// Writes `report` in `format` to `out`.
pub fn write<W: Write>(format: Format, report: &Report<'_>, out: W) -> io::Result<()> {
    match format {
        Format::Json => json::write_json(report, out),
        Format::Ndjson => ndjson::write_ndjson(report, out),
        Format::Text => text::write_text(report, out),
        Format::Csv => csv::write_csv(report, out),
        Format::Html => html::write_html(report, out),
    }
}

/// An address as `Display` writes it (RFC 5952 for IPv6): IPv4 octet by octet, faster than
/// `Display`; IPv6 by `Display` (its shortening is not worth writing again). For the report's
/// addresses and the finding messages.
pub fn write_ip<W: std::fmt::Write>(w: &mut W, ip: std::net::IpAddr) -> std::fmt::Result {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let (text, len) = ipv4_text(v4);
            // Only ASCII digits and dots were written.
            w.write_str(
                std::str::from_utf8(text.get(..len).unwrap_or_default()).unwrap_or_default(),
            )
        }
        std::net::IpAddr::V6(v6) => write!(w, "{v6}"),
    }
}

/// Each octet's decimal digits followed by a dot, and how many of the 4 bytes that is.
// Built at compile time: `n < 256` indexes the table.
#[allow(clippy::indexing_slicing)]
const OCTET_DOT: [([u8; 4], usize); 256] = {
    let mut table = [([0u8; 4], 0usize); 256];
    let mut n = 0;
    while n < 256 {
        let octet = n as u8;
        let (hundreds, tens, ones) = (
            b'0' + octet / 100,
            b'0' + octet / 10 % 10,
            b'0' + octet % 10,
        );
        table[n] = if octet >= 100 {
            ([hundreds, tens, ones, b'.'], 4)
        } else if octet >= 10 {
            ([tens, ones, b'.', 0], 3)
        } else {
            ([ones, b'.', 0, 0], 2)
        };
        n += 1;
    }
    table
};

/// Dotted-decimal text of `v4` in a fixed buffer, and its length: four table lookups and
/// fixed-size stores, then one copy (two addresses per flow).
pub(crate) fn ipv4_text(v4: std::net::Ipv4Addr) -> ([u8; 16], usize) {
    let mut text = [0u8; 16];
    let mut len = 0;
    for octet in v4.octets() {
        let Some(&(digits, n)) = OCTET_DOT.get(usize::from(octet)) else {
            continue;
        };
        // `len` is at most 12 here: the 4 bytes always fit.
        if let Some(slot) = text.get_mut(len..len + 4) {
            slot.copy_from_slice(&digits);
        }
        len += n;
    }
    // Without the last octet's dot.
    (text, len - 1)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn addresses_written_as_display_writes_them(ip: std::net::IpAddr) {
            let mut text = String::new();
            prop_assert!(super::write_ip(&mut text, ip).is_ok());
            prop_assert_eq!(text, ip.to_string());
        }
    }
}
