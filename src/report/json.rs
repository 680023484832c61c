//! The `json` (one document) and `ndjson` (one object per line, each with `"type"`) writers.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;

/// Writes the report as one pretty-printed JSON document.
pub fn write_json<W: Write>(report: &Report, mut out: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct Typed<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    value: &'a T,
}

/// Writes one JSON object per line: a `report` header (tool, ranges, site), one `capture` per
/// file, one `flow` per flow, one `finding` per finding, then the `summary`.
pub fn write_ndjson<W: Write>(report: &Report, mut out: W) -> io::Result<()> {
    #[derive(Serialize)]
    struct Header<'a> {
        tool: &'a super::Tool,
        ranges: &'a super::RangesInfo,
        site: &'a super::SiteInfo,
    }
    let header = Header {
        tool: &report.tool,
        ranges: &report.ranges,
        site: &report.site,
    };
    line(&mut out, "report", &header)?;
    for c in &report.captures {
        line(&mut out, "capture", c)?;
    }
    for f in &report.flows {
        line(&mut out, "flow", f)?;
    }
    for f in &report.findings {
        line(&mut out, "finding", f)?;
    }
    line(&mut out, "summary", &report.summary)
}

fn line<W: Write, T: Serialize>(out: &mut W, kind: &'static str, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Typed { kind, value })?;
    out.write_all(b"\n")
}
