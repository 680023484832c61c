//! The `json` (one document) and `ndjson` (one object per line, each with `"type"`) writers.
//!
//! Flows and findings are built and written one at a time from the audit, so writing the
//! report of a million flows needs the memory of one flow report, not of all of them.

use std::io::{self, Write};

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::audit::Audited;

/// The report document, in SPEC's field order.
struct Document<'a, 'b>(&'b Audited<'a>);

/// The `flows` array, serialized as it is built.
struct Flows<'a, 'b>(&'b Audited<'a>);

/// The `findings` array, serialized as it is built.
struct Findings<'a, 'b>(&'b Audited<'a>);

impl Serialize for Flows<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.flow_reports())
    }
}

impl Serialize for Findings<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.findings())
    }
}

impl Serialize for Document<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let h = &self.0.header;
        let mut doc = s.serialize_struct("Report", 7)?;
        doc.serialize_field("tool", &h.tool)?;
        doc.serialize_field("ranges", &h.ranges)?;
        doc.serialize_field("site", &h.site)?;
        doc.serialize_field("captures", &h.captures)?;
        doc.serialize_field("summary", &h.summary)?;
        doc.serialize_field("flows", &Flows(self.0))?;
        doc.serialize_field("findings", &Findings(self.0))?;
        doc.end()
    }
}

/// Writes the report as one pretty-printed JSON document.
pub fn write_json<W: Write>(audited: &Audited<'_>, mut out: W) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &Document(audited))?;
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
