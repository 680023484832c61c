//! The `interfaces` command's output: each capture point, ifindex, VLAN and next-hop MAC with
//! its packets, flows, Office 365 share and assigned path, as text, JSON or NDJSON.

use std::io::{self, Write};

use serde::Serialize;

use super::Format;
use crate::audit::{PointStats, PointValue};
use crate::site::PathName;

/// One row as it is serialized.
#[derive(Serialize)]
struct Row {
    kind: &'static str,
    value: String,
    packets: u64,
    flows: u64,
    /// Share of these packets whose flow's external end is in an Office 365 range (0..1).
    o365_share: f64,
    /// Path the site profile assigns, if any.
    path: Option<&'static str>,
}

fn value_text(v: &PointValue) -> String {
    match v {
        PointValue::Name(name) => name.clone(),
        PointValue::Number(n) => n.to_string(),
        PointValue::Mac(m) => crate::mac::text(*m),
    }
}

fn row(s: &PointStats) -> Row {
    Row {
        kind: s.kind.as_str(),
        value: value_text(&s.value),
        packets: s.packets,
        flows: s.flows,
        o365_share: s.o365_share,
        path: s.path.map(PathName::as_str),
    }
}

/// Writes the `interfaces` statistics in `format`.
pub fn write_interfaces<W: Write>(
    format: Format,
    stats: &[PointStats],
    mut out: W,
) -> io::Result<()> {
    let rows: Vec<Row> = stats.iter().map(row).collect();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)
        }
        Format::Ndjson => rows.iter().try_for_each(|r| {
            serde_json::to_writer(&mut out, r)?;
            writeln!(out)
        }),
        // `interfaces` offers text, JSON and NDJSON (`config::list_format`).
        Format::Text | Format::Csv | Format::Html => {
            writeln!(
                out,
                "(packets of TCP/UDP flows, as the audit counts them; o365: their share in \
                 flows with Office 365)"
            )?;
            writeln!(
                out,
                "{:<12} {:<32} {:>10} {:>8} {:>7}  path",
                "kind", "value", "packets", "flows", "o365"
            )?;
            rows.iter().try_for_each(|r| {
                writeln!(
                    out,
                    "{:<12} {:<32} {:>10} {:>8} {:>6.1}%  {}",
                    r.kind,
                    r.value,
                    r.packets,
                    r.flows,
                    r.o365_share * 100.0,
                    r.path.unwrap_or("-")
                )
            })
        }
    }
}
