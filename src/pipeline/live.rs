//! A live run (`callpath watch`): packets from `capture::live` decoded and accounted as a
//! file's are (one capture point per interface, one "file" for the run), optionally written to
//! pcapng as they come; snapshots of the flows for the findings printed as they appear, and
//! the run's `Captured` at the end, as `read_all` gives it for files.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::shard::Sink;
use super::{CaptureSpec, CaptureSummary, Captured};
use crate::capture::live::{self, LiveCapture, LiveEvent, LiveSpec};
use crate::capture::write::PcapngWriter;
use crate::capture::{Format, Frame, Interface, TsUnit};
use crate::decode::{self, DecodeCounters, Decoded};
use crate::flow::{FlowTable, PointId};

/// A capture in progress.
pub struct LiveRun {
    capture: Option<LiveCapture>,
    specs: Vec<LiveSpec>,
    linktypes: Vec<u32>,
    table: FlowTable,
    summary: CaptureSummary,
    counters: DecodeCounters,
    writer: Option<(String, PcapngWriter<BufWriter<File>>)>,
    /// Packets accounted since the last `take_changed`.
    changed: bool,
}

impl LiveRun {
    /// Opens the interfaces (and the `--write` file) and starts capturing.
    pub fn start(
        specs: &[LiveSpec],
        filter: Option<&str>,
        write: Option<&Path>,
    ) -> Result<LiveRun> {
        let capture = live::open(specs, filter)?;
        let linktypes = capture.linktypes.clone();
        let writer = match write {
            Some(path) => {
                let file = File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let ifaces: Vec<(&str, u32, u32)> = specs
                    .iter()
                    .zip(&linktypes)
                    .map(|(s, &l)| (s.name(), l, live::SNAPLEN as u32))
                    .collect();
                let w = PcapngWriter::new(BufWriter::with_capacity(1 << 20, file), &ifaces)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Some((path.display().to_string(), w))
            }
            None => None,
        };
        let names: Vec<&str> = specs.iter().map(|s| s.device.as_str()).collect();
        let mut summary = CaptureSummary::new(&CaptureSpec {
            label: None,
            path: format!("live:{}", names.join(",")),
        });
        summary.format = Some(Format::Pcapng);
        summary.interfaces = specs
            .iter()
            .zip(&linktypes)
            .map(|(s, &linktype)| Interface {
                name: Some(s.name().to_owned()),
                linktype,
                snaplen: live::SNAPLEN as u32,
                section: 0,
                ts_unit: TsUnit::Pow10(9),
                ts_offset_s: 0,
            })
            .collect();
        summary.interface_packets = vec![0; specs.len()];
        summary.clock_offset_ns = Some(0);
        Ok(LiveRun {
            capture: Some(capture),
            specs: specs.to_vec(),
            linktypes,
            table: FlowTable::new(),
            summary,
            counters: DecodeCounters::default(),
            writer,
            changed: false,
        })
    }

    /// Accounts what the interfaces send for at most `wait`.
    pub fn poll(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let Some(event) = self.capture.as_ref().and_then(|c| c.next(left)) else {
                return;
            };
            self.account(event);
        }
    }

    fn account(&mut self, event: LiveEvent) {
        match event {
            LiveEvent::Packets(batch) => {
                for (f, data) in batch.iter() {
                    self.frame(f.interface, f.ts_ns, data, f.orig_len);
                }
                self.changed = true;
            }
            LiveEvent::Down { interface, message } => {
                let name = self
                    .specs
                    .get(interface as usize)
                    .map_or("?", |s| s.device.as_str());
                let warning = format!(
                    "{}: interface {name} stopped capturing: {message}; the other interfaces go on",
                    self.summary.spec.path
                );
                self.summary.warnings.push(warning);
                self.summary.warnings_total += 1;
            }
        }
    }

    fn frame(&mut self, interface: u32, ts_ns: i64, data: &[u8], orig_len: u32) {
        if let Some((path, w)) = &mut self.writer {
            if let Err(e) = w.packet(interface, ts_ns, data, orig_len) {
                self.summary
                    .errors
                    .push(format!("{path}: cannot write: {e}; writing stopped"));
                self.writer = None;
            }
        }
        let linktype = self.linktypes.get(interface as usize).copied().unwrap_or(0);
        let frame = Frame {
            ts_ns,
            interface,
            linktype,
            data,
            orig_len,
        };
        self.summary.packets += 1;
        self.summary.bytes_read += data.len() as u64;
        if let Some(n) = self.summary.interface_packets.get_mut(interface as usize) {
            *n += 1;
        }
        if (data.len() as u64) < u64::from(orig_len) {
            self.counters.snaplen_cut += 1;
        }
        let decoded = decode::decode(linktype, data);
        self.counters.count(&decoded);
        if let Decoded::Flow {
            link,
            src,
            dst,
            transport,
            fragment,
        } = decoded
        {
            let point = PointId { file: 0, interface };
            Sink::Table(&mut self.table).flow(&frame, src, dst, &transport, &link, point, fragment);
        }
    }

    /// Whether packets were accounted since the last call.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// What was captured so far, as a run of files gives it (the flows copied).
    pub fn snapshot(&self) -> Captured {
        let mut summary = self.summary.clone();
        summary.counters = self.counters.clone();
        let duplicates = self.table.duplicates_so_far();
        summary.counters.duplicates = duplicates;
        summary.counters.flow_packets = summary.counters.flow_packets.saturating_sub(duplicates);
        Captured {
            captures: vec![summary],
            table: self.table.clone(),
            correlation: Default::default(),
        }
    }

    /// Stops capturing: the packets still queued are accounted, the kernel's drop counters
    /// become warnings, the `--write` file is flushed. The run's `Captured`, correlated as
    /// files are (NAT twins between the interfaces).
    pub fn finish(mut self) -> Captured {
        if let Some(capture) = self.capture.take() {
            let (left, stats) = capture.stop();
            for e in left {
                self.account(e);
            }
            for (spec, s) in self.specs.iter().zip(stats) {
                match s {
                    Some(s) if s.dropped + s.if_dropped > 0 => {
                        let w = format!(
                            "{}: interface {}: the kernel dropped {} packets ({} by the \
                             interface) of {} received: the report misses them; capture fewer \
                             interfaces or a narrower --filter",
                            self.summary.spec.path,
                            spec.device,
                            s.dropped + s.if_dropped,
                            s.if_dropped,
                            s.received
                        );
                        self.summary.warnings.push(w);
                        self.summary.warnings_total += 1;
                    }
                    _ => {}
                }
            }
        }
        if let Some((path, mut w)) = self.writer.take() {
            if let Err(e) = w.flush() {
                self.summary
                    .errors
                    .push(format!("{path}: cannot write: {e}"));
            }
        }
        let mut summary = self.summary;
        let mut table = self.table;
        let mut counters = self.counters;
        let duplicates = table.take_duplicates();
        counters.duplicates = duplicates;
        counters.flow_packets = counters.flow_packets.saturating_sub(duplicates);
        summary.counters = counters;
        super::correlated(vec![(summary, table)])
    }
}
