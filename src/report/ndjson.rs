//! The `ndjson` writer: one JSON object per line, each with its `"type"`: the report header,
//! each capture, each flow, each call, each finding, then the summary.

use std::io::{self, Write};

use serde::Serialize;

use super::json::{call_fields, finding_fields, flow_fields, write_chunks};
use super::jsonw::JsonText;
use super::model::{RangesInfo, SelectionReport, SiteInfo, Tool};
use super::Report;
use crate::audit::Finding;

#[derive(Serialize)]
struct Typed<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    value: &'a T,
}

/// Writes one JSON object per line: a `report` header (tool, ranges, site), one `capture` per
/// file, one `flow` per flow, one `call` per call (SPEC "Calls"), one `finding` per finding,
/// then the `summary`.
pub fn write_ndjson<W: Write>(report: &Report<'_>, mut out: W) -> io::Result<()> {
    #[derive(Serialize)]
    struct Header<'a> {
        tool: &'a Tool,
        ranges: &'a RangesInfo<'a>,
        site: &'a SiteInfo<'a>,
        #[serde(skip_serializing_if = "Option::is_none")]
        selection: Option<&'a SelectionReport>,
    }
    let h = &report.header;
    let header = Header {
        tool: &h.tool,
        ranges: &h.ranges,
        site: &h.site,
        selection: h.selection.as_ref(),
    };
    line(&mut out, "report", &header)?;
    for c in &h.captures {
        line(&mut out, "capture", c)?;
    }
    for l in &h.capture_links {
        line(&mut out, "capture_link", l)?;
    }
    let as_is = |out: &mut W, text: &[u8], _| out.write_all(text);
    write_chunks(
        &mut out,
        report.len(),
        |i, buf| match report.flow(i) {
            Some(f) => {
                let mut w = JsonText::compact(buf);
                w.begin_object();
                w.key("type");
                w.str("flow");
                flow_fields(&mut w, &f);
                w.end_object();
                buf.push(b'\n');
                Ok(1)
            }
            None => Ok(0),
        },
        as_is,
    )?;
    let mut buf = Vec::new();
    for c in &report.calls {
        buf.clear();
        let mut w = JsonText::compact(&mut buf);
        w.begin_object();
        w.key("type");
        w.str("call");
        call_fields(&mut w, c);
        w.end_object();
        buf.push(b'\n');
        out.write_all(&buf)?;
    }
    write_chunks(
        &mut out,
        report.len(),
        |i, buf| {
            report.findings_of(i).try_fold(0, |n, f| {
                let mut w = JsonText::compact(buf);
                w.begin_object();
                w.key("type");
                w.str("finding");
                finding_fields(&mut w, &f)?;
                w.end_object();
                buf.push(b'\n');
                Ok(n + 1)
            })
        },
        as_is,
    )?;
    line(&mut out, "summary", &h.summary)
}

/// One `{"type": "finding", ...}` line (with its newline), as the NDJSON report writes it:
/// `callpath watch` prints findings so while it captures.
pub fn finding_line(f: &Finding<'_>) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = JsonText::compact(&mut buf);
    w.begin_object();
    w.key("type");
    w.str("finding");
    // Writing into a Vec cannot fail.
    let _ = finding_fields(&mut w, f);
    w.end_object();
    buf.push(b'\n');
    buf
}

fn line<W: Write, T: Serialize>(out: &mut W, kind: &'static str, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Typed { kind, value })?;
    out.write_all(b"\n")
}
