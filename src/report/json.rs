//! The `json` (one document) and `ndjson` (one object per line, each with `"type"`) writers.
//!
//! Flows and findings are built and written one at a time from the audit, so writing the
//! report of a million flows needs the memory of one flow report, not of all of them.

use std::io::{self, Write};

use serde::Serialize;

use crate::audit::Audited;

/// Flows (and their findings) serialized per chunk, chunks built in parallel (rayon, within
/// the caller's pool) a window at a time and written in order: the output is the same for any
/// number of threads, and memory holds one window of text, not the whole report.
const CHUNK_FLOWS: usize = 512;
/// Chunks in flight per worker thread: enough to keep every thread busy, few enough that the
/// text waiting to be written stays small (~1 MB per thread).
const WINDOW_CHUNKS_PER_THREAD: usize = 2;

/// serde_json's pretty layout (two spaces a level), starting `depth` levels in: a value
/// nested in the document is written directly, indented as if the whole document were
/// serialized at once.
struct NestedPretty {
    depth: usize,
    has_value: bool,
}

const SPACES: &[u8] = &[b' '; 128];

impl NestedPretty {
    fn newline_indent<W: ?Sized + Write>(&self, w: &mut W, lead: &[u8]) -> io::Result<()> {
        w.write_all(lead)?;
        let n = (self.depth * 2).min(SPACES.len());
        w.write_all(SPACES.get(..n).unwrap_or_default())
    }
}

impl serde_json::ser::Formatter for NestedPretty {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline_indent(w, b"\n")?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, if first { b"\n" } else { b",\n" })
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline_indent(w, b"\n")?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline_indent(w, if first { b"\n" } else { b",\n" })
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `value` pretty-printed as if `indent / 2` levels deep in the document.
fn pretty_at<T: Serialize>(value: &T, indent: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let formatter = NestedPretty {
        depth: indent / 2,
        has_value: false,
    };
    let mut ser = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Writes the items `0..n` as the elements of a pretty JSON array at depth 1 (the array's
/// own line is indented 2 spaces, its elements 4), `item(i, buf)` serializing item `i`.
fn write_array<W, F>(out: &mut W, n: usize, item: F) -> io::Result<()>
where
    W: Write,
    F: Fn(usize, &mut Vec<u8>) -> io::Result<usize> + Sync,
{
    use rayon::prelude::*;
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(CHUNK_FLOWS)
        .map(|start| (start, (start + CHUNK_FLOWS).min(n)))
        .collect();
    let mut first = true;
    let window_chunks = WINDOW_CHUNKS_PER_THREAD * rayon::current_num_threads().max(1);
    for window in chunks.chunks(window_chunks) {
        let texts: Vec<io::Result<(Vec<u8>, usize)>> = window
            .par_iter()
            .map(|&(start, end)| {
                let mut buf = Vec::with_capacity((end - start) * 1024);
                let mut count = 0;
                for i in start..end {
                    count += item(i, &mut buf)?;
                }
                Ok((buf, count))
            })
            .collect();
        for text in texts {
            let (buf, count) = text?;
            if count == 0 {
                continue;
            }
            out.write_all(if first { b"[\n    " } else { b",\n    " })?;
            first = false;
            out.write_all(&buf)?;
        }
    }
    out.write_all(if first { b"[]" } else { b"\n  ]" })
}

/// Header fields of different types through one closure.
mod erased {
    use std::io;

    pub trait Field {
        fn pretty(&self, out: &mut Vec<u8>) -> io::Result<()>;
    }

    impl<T: serde::Serialize> Field for T {
        fn pretty(&self, out: &mut Vec<u8>) -> io::Result<()> {
            super::pretty_at(self, 2, out)
        }
    }
}

/// Serializes one element into `buf`, after a separator when `buf` already holds one.
fn element<T: Serialize>(value: &T, buf: &mut Vec<u8>) -> io::Result<usize> {
    if !buf.is_empty() {
        buf.extend_from_slice(b",\n    ");
    }
    pretty_at(value, 4, buf)?;
    Ok(1)
}

/// Writes the report as one pretty-printed JSON document (SPEC's field order).
pub fn write_json<W: Write>(audited: &Audited<'_>, mut out: W) -> io::Result<()> {
    let h = &audited.header;
    let mut head = Vec::new();
    head.extend_from_slice(b"{\n");
    let mut field = |name: &str, value: &dyn erased::Field| -> io::Result<()> {
        head.extend_from_slice(format!("  \"{name}\": ").as_bytes());
        value.pretty(&mut head)?;
        head.extend_from_slice(b",\n");
        Ok(())
    };
    field("tool", &h.tool)?;
    field("ranges", &h.ranges)?;
    field("site", &h.site)?;
    field("captures", &h.captures)?;
    field("summary", &h.summary)?;
    head.extend_from_slice(b"  \"flows\": ");
    out.write_all(&head)?;
    write_array(&mut out, audited.len(), |i, buf| {
        match audited.flow_report(i) {
            Some(f) => element(&f, buf),
            None => Ok(0),
        }
    })?;
    out.write_all(b",\n  \"findings\": ")?;
    write_array(&mut out, audited.len(), |i, buf| {
        let mut n = 0;
        for f in audited.findings_of(i) {
            n += element(&f, buf)?;
        }
        Ok(n)
    })?;
    out.write_all(b"\n}\n")
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
pub fn write_ndjson<W: Write>(audited: &Audited<'_>, mut out: W) -> io::Result<()> {
    #[derive(Serialize)]
    struct Header<'a> {
        tool: &'a super::Tool,
        ranges: &'a super::RangesInfo,
        site: &'a super::SiteInfo,
    }
    let h = &audited.header;
    let header = Header {
        tool: &h.tool,
        ranges: &h.ranges,
        site: &h.site,
    };
    line(&mut out, "report", &header)?;
    for c in &h.captures {
        line(&mut out, "capture", c)?;
    }
    for f in audited.flow_reports() {
        line(&mut out, "flow", &f)?;
    }
    for f in audited.findings() {
        line(&mut out, "finding", &f)?;
    }
    line(&mut out, "summary", &h.summary)
}

fn line<W: Write, T: Serialize>(out: &mut W, kind: &'static str, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &Typed { kind, value })?;
    out.write_all(b"\n")
}
