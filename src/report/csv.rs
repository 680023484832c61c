//! The CSV report (SPEC "Other outputs"): one header line, then one line per flow in the JSON
//! report's order, the flow's scalar fields flattened with dotted names (`client.ip`,
//! `path.forward`, ...), lists joined with `;`, empty for null, quoted as RFC 4180 says (a field
//! with a comma, a quote or a line break between quotes, quotes doubled; lines end CRLF).

use std::io::{self, Write};

use super::json::write_chunks;
use super::model::{dscp_values, tcp_flag_names, FlowReport};
use super::Report;
use crate::flow::Endpoint;

/// The columns, in order: SPEC's fields first, then what callpath adds.
pub const COLUMNS: [&str; 37] = [
    "id",
    "transport",
    "community_id",
    "client.ip",
    "client.port",
    "server.ip",
    "server.port",
    "app",
    "sni",
    "o365.id",
    "o365.service_area",
    "o365.category",
    "o365.express_route",
    "onprem.end",
    "onprem.role",
    "nat.inside",
    "nat.outside",
    "path.forward",
    "path.reverse",
    "expected_path",
    "packets.forward",
    "packets.reverse",
    "bytes.forward",
    "bytes.reverse",
    "first_seen",
    "last_seen",
    "duration",
    "findings",
    "tcp_flags.forward",
    "tcp_flags.reverse",
    "dscp.forward",
    "dscp.reverse",
    "media.class",
    "fragments",
    "proto.alpn",
    "proto.tls_versions",
    "proto.ice_usernames",
];

/// One line's fields, written one after the other with their separators.
struct Line<'b> {
    out: &'b mut Vec<u8>,
    first: bool,
}

impl Line<'_> {
    fn next(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }

    /// A text field, quoted when it holds a comma, a quote, a line break or leading/trailing
    /// blanks (RFC 4180 §2.6-2.7; the blanks so a spreadsheet keeps them).
    fn text(&mut self, s: &str) {
        self.next();
        let needs_quotes = s.contains([',', '"', '\r', '\n'])
            || s.starts_with([' ', '\t'])
            || s.ends_with([' ', '\t']);
        if needs_quotes {
            self.out.push(b'"');
            for part in s.split('"') {
                self.out.extend_from_slice(part.as_bytes());
                self.out.extend_from_slice(b"\"\"");
            }
            // One doubled quote too many: the split adds one per part.
            self.out.truncate(self.out.len() - 2);
            self.out.push(b'"');
        } else {
            self.out.extend_from_slice(s.as_bytes());
        }
    }

    fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.empty(),
        }
    }

    fn empty(&mut self) {
        self.next();
    }

    fn u64(&mut self, n: u64) {
        self.next();
        self.out
            .extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }

    fn opt_u64(&mut self, n: Option<u64>) {
        match n {
            Some(n) => self.u64(n),
            None => self.empty(),
        }
    }

    /// A number as the JSON report writes it.
    fn f64(&mut self, v: f64) {
        use serde_json::ser::{CompactFormatter, Formatter};
        self.next();
        if v.is_finite() {
            let _ = CompactFormatter.write_f64(self.out, v);
        }
    }

    fn bool(&mut self, b: Option<bool>) {
        self.opt_text(b.map(|b| if b { "true" } else { "false" }));
    }

    fn ip(&mut self, e: Endpoint) {
        let mut text = String::new();
        let _ = super::write_ip(&mut text, e.ip);
        self.text(&text);
    }

    fn time(&mut self, ts_ns: i64) {
        self.next();
        super::time::write_rfc3339(self.out, ts_ns);
    }

    /// A list, its items joined with `;`.
    fn list<I: IntoIterator<Item = S>, S: AsRef<str>>(&mut self, items: I) {
        let joined: Vec<S> = items.into_iter().collect();
        let joined: Vec<&str> = joined.iter().map(AsRef::as_ref).collect();
        self.text(&joined.join(";"));
    }

    fn end(&mut self) {
        self.out.extend_from_slice(b"\r\n");
    }
}

/// One flow's line.
fn write_flow(out: &mut Vec<u8>, f: &FlowReport<'_>) {
    let mut l = Line { out, first: true };
    l.u64(f.id);
    l.text(f.transport);
    l.text(f.community_id.as_str());
    l.ip(f.client);
    l.u64(u64::from(f.client.port));
    l.ip(f.server);
    l.u64(u64::from(f.server.port));
    l.text(f.app.as_str());
    l.opt_text(f.proto.sni);
    l.opt_u64(f.o365.as_ref().map(|o| u64::from(o.id)));
    l.opt_text(f.o365.as_ref().map(|o| o.service_area));
    l.opt_text(f.o365.as_ref().map(|o| o.category));
    l.bool(f.o365.as_ref().map(|o| o.express_route));
    l.opt_text(f.onprem.as_ref().map(|o| o.end));
    l.opt_text(f.onprem.as_ref().map(|o| o.role.as_str()));
    l.opt_u64(f.nat.filter(|n| !n.inside).map(|n| n.twin));
    l.opt_u64(f.nat.filter(|n| n.inside).map(|n| n.twin));
    l.opt_text(f.path.forward.map(|p| p.as_str()));
    l.opt_text(f.path.reverse.map(|p| p.as_str()));
    l.opt_text(f.expected_path);
    l.u64(f.packets.forward);
    l.u64(f.packets.reverse);
    l.u64(f.bytes.forward);
    l.u64(f.bytes.reverse);
    l.time(f.first_ns);
    l.time(f.last_ns);
    l.f64(f.last_ns.saturating_sub(f.first_ns) as f64 / 1e9);
    l.list(f.findings.iter().map(|c| c.as_str()));
    match f.tcp_flags {
        Some(flags) => {
            l.list(tcp_flag_names(flags.forward));
            l.list(tcp_flag_names(flags.reverse));
        }
        None => {
            l.empty();
            l.empty();
        }
    }
    match f.dscp {
        Some(seen) => {
            l.list(dscp_values(seen.forward).map(|v| v.to_string()));
            l.list(dscp_values(seen.reverse).map(|v| v.to_string()));
        }
        None => {
            l.empty();
            l.empty();
        }
    }
    l.opt_text(f.media.as_ref().and_then(|m| m.class).map(|c| c.as_str()));
    // Empty where the JSON report leaves the field out.
    l.opt_u64((f.fragments != 0).then_some(f.fragments));
    l.list(f.proto.alpn.iter());
    l.list(f.proto.tls_versions.iter().map(|v| v.to_string()));
    l.list(f.proto.ice_usernames.iter());
    l.end();
}

/// Writes the CSV report: the header line, then the flows (built in parallel chunks, written in
/// order, as the JSON writers do).
pub fn write_csv<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    let mut header = Vec::new();
    {
        let mut l = Line {
            out: &mut header,
            first: true,
        };
        for c in COLUMNS {
            l.text(c);
        }
        l.end();
    }
    out.write_all(&header)?;
    write_chunks(
        &mut out,
        report.len(),
        |i, buf| {
            Ok(match report.flow(i) {
                Some(f) => {
                    write_flow(buf, &f);
                    1
                }
                None => 0,
            })
        },
        |out, text, _| out.write_all(text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fill: impl FnOnce(&mut Line<'_>)) -> String {
        let mut out = Vec::new();
        let mut l = Line {
            out: &mut out,
            first: true,
        };
        fill(&mut l);
        l.end();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(line(|l| l.text("plain")), "plain\r\n");
        assert_eq!(line(|l| l.text("a,b")), "\"a,b\"\r\n");
        assert_eq!(line(|l| l.text("say \"hi\"")), "\"say \"\"hi\"\"\"\r\n");
        assert_eq!(line(|l| l.text("\"")), "\"\"\"\"\r\n");
        assert_eq!(line(|l| l.text("two\nlines")), "\"two\nlines\"\r\n");
        assert_eq!(line(|l| l.text(" padded")), "\" padded\"\r\n");
        assert_eq!(
            line(|l| {
                l.u64(7);
                l.empty();
                l.opt_text(None);
                l.list(["a", "b"]);
                l.f64(1.5);
            }),
            "7,,,a;b,1.5\r\n"
        );
    }

    #[test]
    fn the_header_names_every_column_once() {
        let mut seen = std::collections::HashSet::new();
        for c in COLUMNS {
            assert!(seen.insert(c), "{c} twice");
        }
    }
}
