//! Reading the captures of one run into one flow table: open, read, decode, account.
//!
//! Each file is read by its own task (rayon); the per-file tables are merged in command-line
//! order, so the result does not depend on which file finished first.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::capture::{CaptureReader, Format, Interface};
use crate::decode::{self, Decoded, Layer};
use crate::error::CaptureError;
use crate::flow::{Endpoint, FlowTable, Observation, PointId};

/// One `CAPTURE` argument: `PATH` or `LABEL=PATH`; `-` is standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureSpec {
    pub label: Option<String>,
    pub path: String,
}

impl CaptureSpec {
    /// `LABEL=PATH` when the text before the first `=` looks like a label (no path separator)
    /// and the whole argument is not itself an existing file.
    pub fn parse(arg: &str) -> CaptureSpec {
        if let Some((label, path)) = arg.split_once('=') {
            let looks_like_label = !label.is_empty()
                && !label.contains(['/', '\\'])
                && !path.is_empty()
                && !Path::new(arg).exists();
            if looks_like_label {
                return CaptureSpec {
                    label: Some(label.to_string()),
                    path: path.to_string(),
                };
            }
        }
        CaptureSpec {
            label: None,
            path: arg.to_string(),
        }
    }

    pub fn is_stdin(&self) -> bool {
        self.path == "-"
    }
}

/// Per-file decoding counters: what could not become a flow, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DecodeCounters {
    /// TCP/UDP packets accounted to flows.
    pub flow_packets: u64,
    /// IP packets of other protocols (ICMP, IGMP, ESP, ...).
    pub other_ip: u64,
    /// Non-IP frames (ARP, LLDP, ...).
    pub not_ip: u64,
    /// First fragments (they feed their flow by their ports).
    pub first_fragments: u64,
    /// Non-first fragments (no ports: no flow).
    pub later_fragments: u64,
    /// Frames cut by the snaplen (captured length < length on the wire).
    pub snaplen_cut: u64,
    pub malformed_link: u64,
    pub malformed_ip: u64,
    pub malformed_transport: u64,
    pub unsupported_linktype: u64,
}

impl DecodeCounters {
    fn add(&mut self, o: &DecodeCounters) {
        self.flow_packets += o.flow_packets;
        self.other_ip += o.other_ip;
        self.not_ip += o.not_ip;
        self.first_fragments += o.first_fragments;
        self.later_fragments += o.later_fragments;
        self.snaplen_cut += o.snaplen_cut;
        self.malformed_link += o.malformed_link;
        self.malformed_ip += o.malformed_ip;
        self.malformed_transport += o.malformed_transport;
        self.unsupported_linktype += o.unsupported_linktype;
    }

    pub fn merged<'a>(all: impl Iterator<Item = &'a DecodeCounters>) -> DecodeCounters {
        let mut total = DecodeCounters::default();
        for c in all {
            total.add(c);
        }
        total
    }
}

/// What reading one capture file gave, besides its flows.
#[derive(Clone, Debug)]
pub struct CaptureSummary {
    pub spec: CaptureSpec,
    pub format: Option<Format>,
    pub packets: u64,
    pub bytes_read: u64,
    pub interfaces: Vec<Interface>,
    /// Per interface: packets seen on it.
    pub interface_packets: Vec<u64>,
    pub warnings: Vec<String>,
    pub warnings_total: u64,
    pub errors: Vec<String>,
    pub counters: DecodeCounters,
}

impl CaptureSummary {
    fn new(spec: &CaptureSpec) -> Self {
        CaptureSummary {
            spec: spec.clone(),
            format: None,
            packets: 0,
            bytes_read: 0,
            interfaces: Vec::new(),
            interface_packets: Vec::new(),
            warnings: Vec::new(),
            warnings_total: 0,
            errors: Vec::new(),
            counters: DecodeCounters::default(),
        }
    }

    /// A structural error: the file was not (entirely) readable.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Reads every capture (in parallel, one task per file) into one flow table.
pub fn read_all(specs: &[CaptureSpec], show_progress: bool) -> (Vec<CaptureSummary>, FlowTable) {
    let progress = show_progress && io::stderr().is_terminal();
    let results: Vec<(CaptureSummary, FlowTable)> = specs
        .par_iter()
        .enumerate()
        .map(|(i, spec)| read_capture(i as u32, spec, progress && specs.len() == 1))
        .collect();
    let mut table = FlowTable::new();
    let mut summaries = Vec::with_capacity(results.len());
    for (summary, t) in results {
        table.merge(t);
        summaries.push(summary);
    }
    (summaries, table)
}

/// Reads one capture file (or standard input).
pub fn read_capture(
    file_index: u32,
    spec: &CaptureSpec,
    progress: bool,
) -> (CaptureSummary, FlowTable) {
    let mut summary = CaptureSummary::new(spec);
    let mut table = FlowTable::new();
    if spec.is_stdin() {
        let stdin = io::stdin();
        read_from(
            file_index,
            stdin.lock(),
            None,
            &mut summary,
            &mut table,
            false,
        );
    } else {
        match File::open(&spec.path) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                read_from(file_index, f, size, &mut summary, &mut table, progress);
            }
            Err(e) => summary
                .errors
                .push(format!("{}: cannot open: {e}", spec.path)),
        }
    }
    (summary, table)
}

/// Reads one capture from any byte source (a `Cursor` in tests and fuzz targets), as
/// `read_capture` reads a file; `spec` only names it in messages.
pub fn read_reader<R: Read>(
    file_index: u32,
    spec: &CaptureSpec,
    src: R,
) -> (CaptureSummary, FlowTable) {
    let mut summary = CaptureSummary::new(spec);
    let mut table = FlowTable::new();
    read_from(file_index, src, None, &mut summary, &mut table, false);
    (summary, table)
}

fn read_from<R: Read>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    table: &mut FlowTable,
    progress: bool,
) {
    let name = summary.spec.path.clone();
    let mut reader = match CaptureReader::new(src) {
        Ok(r) => r,
        Err(e) => {
            summary.errors.push(format!("{name}: {e}"));
            return;
        }
    };
    summary.format = Some(reader.format());
    let mut counters = DecodeCounters::default();
    let mut packets: u64 = 0;
    let mut interface_packets: Vec<u64> = Vec::new();
    let mut failure: Option<CaptureError> = None;
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        packets += 1;
        let iface = frame.interface as usize;
        if iface >= interface_packets.len() {
            interface_packets.resize(iface + 1, 0);
        }
        if let Some(n) = interface_packets.get_mut(iface) {
            *n += 1;
        }
        if (frame.data.len() as u64) < u64::from(frame.orig_len) {
            counters.snaplen_cut += 1;
        }
        let point = PointId {
            file: file_index,
            interface: frame.interface,
        };
        match decode::decode(frame.linktype, frame.data) {
            Decoded::Flow {
                link,
                src,
                dst,
                transport,
                fragment,
            } => {
                counters.flow_packets += 1;
                if fragment {
                    counters.first_fragments += 1;
                }
                table.update(&Observation {
                    src: Endpoint {
                        ip: src,
                        port: transport.src_port,
                    },
                    dst: Endpoint {
                        ip: dst,
                        port: transport.dst_port,
                    },
                    transport: &transport,
                    link: &link,
                    point,
                    ts_ns: frame.ts_ns,
                    wire_len: frame.orig_len.max(frame.data.len() as u32),
                    fragment,
                });
            }
            Decoded::OtherIp { .. } => counters.other_ip += 1,
            Decoded::LaterFragment { .. } => counters.later_fragments += 1,
            Decoded::NotIp { .. } => counters.not_ip += 1,
            Decoded::UnsupportedLinktype => counters.unsupported_linktype += 1,
            Decoded::Malformed { layer, .. } => match layer {
                Layer::Link => counters.malformed_link += 1,
                Layer::Ip => counters.malformed_ip += 1,
                Layer::Transport => counters.malformed_transport += 1,
            },
        }
        if progress && packets % 65_536 == 0 {
            show_progress(&name, reader.bytes_read(), size, packets);
        }
    }
    if progress {
        eprint!("\r\x1b[2K");
    }
    if let Some(e) = failure {
        summary.errors.push(format!("{name}: {e}"));
    }
    summary.packets = packets;
    summary.bytes_read = reader.bytes_read();
    summary.interfaces = reader.interfaces().to_vec();
    interface_packets.resize(summary.interfaces.len().max(interface_packets.len()), 0);
    summary.interface_packets = interface_packets;
    summary.warnings = reader
        .warnings()
        .iter()
        .map(|w| format!("{name}: {w}"))
        .collect();
    summary.warnings_total = reader.warnings_total();
    if counters.unsupported_linktype > 0 {
        let types: Vec<String> = summary
            .interfaces
            .iter()
            .map(|i| i.linktype)
            .filter(|&l| decode::decode(l, &[]) == Decoded::UnsupportedLinktype)
            .map(|l| l.to_string())
            .collect();
        summary.warnings.push(format!(
            "{name}: {} packets of unsupported link type {} were not decoded",
            counters.unsupported_linktype,
            types.join(", ")
        ));
        summary.warnings_total += 1;
    }
    summary.counters = counters;
}

fn show_progress(name: &str, done: u64, size: Option<u64>, packets: u64) {
    let mut err = io::stderr().lock();
    let _ = match size {
        Some(total) if total > 0 => {
            let pct = (done.min(total) * 100) / total;
            let filled = (pct / 5) as usize;
            write!(
                err,
                "\r\x1b[2K{name} [{:<20}] {pct:>3}%  {packets} packets",
                "#".repeat(filled)
            )
        }
        _ => write!(err, "\r\x1b[2K{name}: {packets} packets, {} MB", done >> 20),
    };
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_spec_label_and_path() {
        assert_eq!(
            CaptureSpec::parse("er0=/tmp/x.pcap"),
            CaptureSpec {
                label: Some("er0".into()),
                path: "/tmp/x.pcap".into()
            }
        );
        assert_eq!(CaptureSpec::parse("x.pcap").label, None);
        assert_eq!(CaptureSpec::parse("./a=b.pcap").label, None);
        assert!(CaptureSpec::parse("-").is_stdin());
    }
}
