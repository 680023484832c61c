//! Reading the captures of one run into one flow table: open, read, decode, account.
//!
//! Each file is read by its own task (rayon); the per-file tables are merged in command-line
//! order, so the result does not depend on which file finished first.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::capture::{CaptureReader, Format, FrameSource, Interface};
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

    /// Counts one decoded frame.
    #[inline]
    fn count(&mut self, d: &Decoded<'_>) {
        match d {
            Decoded::Flow { fragment, .. } => {
                self.flow_packets += 1;
                if *fragment {
                    self.first_fragments += 1;
                }
            }
            Decoded::OtherIp { .. } => self.other_ip += 1,
            Decoded::LaterFragment { .. } => self.later_fragments += 1,
            Decoded::NotIp { .. } => self.not_ip += 1,
            Decoded::UnsupportedLinktype => self.unsupported_linktype += 1,
            Decoded::Malformed { layer, .. } => match layer {
                Layer::Link => self.malformed_link += 1,
                Layer::Ip => self.malformed_ip += 1,
                Layer::Transport => self.malformed_transport += 1,
            },
        }
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
    /// Where a file split across threads waited (`CALLPATH_TIMINGS`); None on one thread.
    pub stalls: Option<PipelineStalls>,
}

/// Waits of a file read by a reader thread feeding workers: which stage bounds the read.
#[derive(Clone, Debug, Default)]
pub struct PipelineStalls {
    /// The reader, on full worker queues.
    pub reader_blocked: Duration,
    /// Each worker, on an empty queue.
    pub workers_idle: Vec<Duration>,
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
            stalls: None,
        }
    }

    /// A structural error: the file was not (entirely) readable.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Reads every capture into one flow table, with the threads of `pool`: several files in
/// parallel (one task per file), or one file split across them (see `read_from`).
///
/// One file is read from the calling thread, which builds the flow table itself (see
/// `read_from`): called from the main thread, the per-flow heap state then comes from glibc's
/// main heap, which grows 128 KiB at a time, where another thread's heap grows one page and one
/// `mprotect` call at a time (4 600 calls for a 450 MB capture, 3 % of a one-thread run).
pub fn read_all(
    specs: &[CaptureSpec],
    show_progress: bool,
    pool: &rayon::ThreadPool,
) -> (Vec<CaptureSummary>, FlowTable) {
    let progress = show_progress && io::stderr().is_terminal();
    let threads = pool.current_num_threads();
    if let [spec] = specs {
        let (summary, table) = read_capture_with(0, spec, progress, threads);
        return (vec![summary], table);
    }
    // Fewer files than threads: split each file across the spare threads.
    let shards = (threads / specs.len().max(1)).max(1);
    let results: Vec<(CaptureSummary, FlowTable)> = pool.install(|| {
        specs
            .par_iter()
            .enumerate()
            .map(|(i, spec)| read_capture_with(i as u32, spec, false, shards))
            .collect()
    });
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
    read_capture_with(file_index, spec, progress, 1)
}

/// Reads one capture file, its flows split over `shards` worker threads when `shards > 1`.
/// The result is the same for any number of shards.
pub fn read_capture_with(
    file_index: u32,
    spec: &CaptureSpec,
    progress: bool,
    shards: usize,
) -> (CaptureSummary, FlowTable) {
    let mut summary = CaptureSummary::new(spec);
    let mut table = FlowTable::new();
    if spec.is_stdin() {
        read_from(
            file_index,
            io::stdin(),
            None,
            &mut summary,
            &mut table,
            false,
            shards,
        );
    } else {
        match File::open(&spec.path) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                read_from(
                    file_index,
                    f,
                    size,
                    &mut summary,
                    &mut table,
                    progress,
                    shards,
                );
            }
            Err(e) => summary
                .errors
                .push(format!("{}: cannot open: {e}", spec.path)),
        }
    }
    if table.over_cap() > 0 {
        summary.warnings.push(format!(
            "{}: flow table full ({} flows): {} packets of further flows were not accounted",
            spec.path,
            crate::flow::DEFAULT_MAX_FLOWS,
            table.over_cap()
        ));
        summary.warnings_total += 1;
    }
    (summary, table)
}

/// Reads one capture from any byte source (a `Cursor` in tests and fuzz targets), as
/// `read_capture` reads a file; `spec` only names it in messages.
pub fn read_reader<R: Read + Send>(
    file_index: u32,
    spec: &CaptureSpec,
    src: R,
) -> (CaptureSummary, FlowTable) {
    let mut summary = CaptureSummary::new(spec);
    let mut table = FlowTable::new();
    read_from(file_index, src, None, &mut summary, &mut table, false, 1);
    (summary, table)
}

/// Flows to make room for in a flow table's index, from the size of the capture: one per
/// 8 KiB (a busy site's capture of calls and web traffic has one per ~9 KiB), at most 2^20.
/// Too low only means the index grows as it would have anyway; too high costs one byte per
/// slot (its control bytes) until the flows arrive.
fn expected_flows(size: Option<u64>) -> usize {
    size.map_or(0, |bytes| (bytes / 8192).min(1 << 20) as usize)
}

/// Frames handed to a shard worker at once.
const BATCH_FRAMES: usize = 1024;
/// Batches queued per shard before the reader waits.
const BATCH_QUEUE: usize = 4;

/// A decoded TCP/UDP frame for a shard worker: what the flow table takes, with the payload
/// (the only bytes the protocol probes read) copied into the batch's arena.
#[derive(Clone, Copy)]
struct FlowFrame {
    ts_ns: i64,
    interface: u32,
    wire_len: u32,
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
    protocol: u8,
    src_port: u16,
    dst_port: u16,
    tcp: Option<decode::TcpInfo>,
    link: decode::LinkInfo,
    fragment: bool,
    payload_start: usize,
    payload_end: usize,
}

/// Frames for one shard: their payloads copied back to back into one reusable arena.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    frames: Vec<FlowFrame>,
}

/// The observation of a decoded TCP/UDP frame.
#[inline]
#[allow(clippy::too_many_arguments)]
fn observe<'a>(
    table: &mut FlowTable,
    src: std::net::IpAddr,
    dst: std::net::IpAddr,
    transport: &'a decode::TransportLayer<'a>,
    link: &'a decode::LinkInfo,
    point: PointId,
    ts_ns: i64,
    wire_len: u32,
    fragment: bool,
) {
    table.update(&Observation {
        src: Endpoint {
            ip: src,
            port: transport.src_port,
        },
        dst: Endpoint {
            ip: dst,
            port: transport.dst_port,
        },
        transport,
        link,
        point,
        ts_ns,
        wire_len,
        fragment,
    });
}

/// A shard worker: accounts the frames the reader decoded for it.
fn shard_worker(
    file_index: u32,
    (max_flows, expected_flows): (usize, usize),
    rx: mpsc::Receiver<Batch>,
    free: mpsc::Sender<Batch>,
) -> (FlowTable, Duration) {
    let mut table = FlowTable::with_cap(max_flows);
    table.reserve_index(expected_flows);
    let mut idle = Duration::ZERO;
    loop {
        let wait = Instant::now();
        let Ok(mut batch) = rx.recv() else { break };
        idle += wait.elapsed();
        for f in &batch.frames {
            let transport = decode::TransportLayer {
                protocol: f.protocol,
                src_port: f.src_port,
                dst_port: f.dst_port,
                tcp: f.tcp,
                payload: batch
                    .bytes
                    .get(f.payload_start..f.payload_end)
                    .unwrap_or_default(),
            };
            let point = PointId {
                file: file_index,
                interface: f.interface,
            };
            observe(
                &mut table, f.src, f.dst, &transport, &f.link, point, f.ts_ns, f.wire_len,
                f.fragment,
            );
        }
        batch.bytes.clear();
        batch.frames.clear();
        // The reader may be gone already (end of file): then the batch is just dropped.
        let _ = free.send(batch);
    }
    (table, idle)
}

/// Direction-free shard of a 5-tuple: both directions of a flow go to the same shard.
fn shard_of(protocol: u8, src: Endpoint, dst: Endpoint, shards: usize) -> usize {
    let (key, _) = crate::flow::FlowKey::new(protocol, src, dst);
    // The high bits of the hash: the table uses the low ones for buckets.
    ((crate::flow::key_hash(&key) >> 40) as usize) % shards
}

/// Where the reader sends TCP/UDP frames: its own table, or shard workers.
enum Sink<'t> {
    Table(&'t mut FlowTable),
    Shards {
        txs: Vec<mpsc::SyncSender<Batch>>,
        current: Vec<Batch>,
        free: mpsc::Receiver<Batch>,
        /// Time the reader waited for a worker to take a batch.
        blocked: Duration,
    },
}

impl Sink<'_> {
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn flow(
        &mut self,
        frame: &crate::capture::Frame<'_>,
        src: std::net::IpAddr,
        dst: std::net::IpAddr,
        transport: &decode::TransportLayer<'_>,
        link: &decode::LinkInfo,
        point: PointId,
        fragment: bool,
    ) {
        let wire_len = frame.orig_len.max(frame.data.len() as u32);
        match self {
            Sink::Table(table) => {
                observe(
                    table,
                    src,
                    dst,
                    transport,
                    link,
                    point,
                    frame.ts_ns,
                    wire_len,
                    fragment,
                );
            }
            Sink::Shards {
                txs,
                current,
                free,
                blocked,
            } => {
                let s = if txs.len() == 1 {
                    0
                } else {
                    shard_of(
                        transport.protocol,
                        Endpoint {
                            ip: src,
                            port: transport.src_port,
                        },
                        Endpoint {
                            ip: dst,
                            port: transport.dst_port,
                        },
                        txs.len(),
                    )
                };
                let (Some(batch), Some(tx)) = (current.get_mut(s), txs.get(s)) else {
                    return;
                };
                let payload_start = batch.bytes.len();
                batch.bytes.extend_from_slice(transport.payload);
                batch.frames.push(FlowFrame {
                    ts_ns: frame.ts_ns,
                    interface: point.interface,
                    wire_len,
                    src,
                    dst,
                    protocol: transport.protocol,
                    src_port: transport.src_port,
                    dst_port: transport.dst_port,
                    tcp: transport.tcp,
                    link: *link,
                    fragment,
                    payload_start,
                    payload_end: batch.bytes.len(),
                });
                if batch.frames.len() >= BATCH_FRAMES {
                    let next = free.try_recv().unwrap_or_default();
                    let full = std::mem::replace(batch, next);
                    if let Err(mpsc::TrySendError::Full(full)) = tx.try_send(full) {
                        let wait = Instant::now();
                        let _ = tx.send(full);
                        *blocked += wait.elapsed();
                    }
                }
            }
        }
    }

    /// Sends what is left and closes the shards' queues; returns the time the reader waited
    /// for the workers.
    fn finish(self) -> Duration {
        match self {
            Sink::Shards {
                txs,
                current,
                blocked,
                ..
            } => {
                for (tx, batch) in txs.iter().zip(current) {
                    if !batch.frames.is_empty() {
                        let _ = tx.send(batch);
                    }
                }
                blocked
            }
            Sink::Table(_) => Duration::ZERO,
        }
    }
}

fn read_from<R: Read + Send>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    table: &mut FlowTable,
    progress: bool,
    shards: usize,
) {
    let expected = expected_flows(size);
    if shards <= 1 {
        table.reserve_index(expected);
        read_into(file_index, src, size, summary, Sink::Table(table), progress);
        warn_unsupported_linktypes(summary);
        return;
    }
    // A reader thread is one of the `shards` threads and feeds `shards - 1` workers, each
    // owning a flow table. It reads and decodes every frame and counts it; each TCP/UDP frame
    // goes, decoded, with a copy of its payload, to the worker a direction-free hash of its
    // 5-tuple picks: a flow's packets all reach one worker, in file order, so the tables
    // (disjoint) are the same as one thread's. With one worker (two threads) it is a pipeline,
    // read and decode | account, the split that balances the two on two cores. The calling
    // thread is the first worker (see `read_all`).
    let shards = shards - 1;
    let limits = (
        crate::flow::DEFAULT_MAX_FLOWS.div_ceil(shards),
        expected.div_ceil(shards),
    );
    let reader_summary = &mut *summary;
    let tables: (Duration, Vec<(FlowTable, Duration)>) = std::thread::scope(|scope| {
        let (free_tx, free_rx) = mpsc::channel::<Batch>();
        let mut txs = Vec::with_capacity(shards);
        let mut queues = Vec::with_capacity(shards);
        for _ in 0..shards {
            let (tx, rx) = mpsc::sync_channel::<Batch>(BATCH_QUEUE);
            txs.push(tx);
            queues.push(rx);
        }
        let current = (0..shards).map(|_| Batch::default()).collect();
        let sink = Sink::Shards {
            txs,
            current,
            free: free_rx,
            blocked: Duration::ZERO,
        };
        let reader =
            scope.spawn(move || read_into(file_index, src, size, reader_summary, sink, progress));
        let mut queues = queues.into_iter();
        let first = queues.next();
        let others: Vec<_> = queues
            .map(|rx| {
                let free = free_tx.clone();
                scope.spawn(move || shard_worker(file_index, limits, rx, free))
            })
            .collect();
        let mut results = Vec::with_capacity(shards);
        if let Some(rx) = first {
            results.push(shard_worker(file_index, limits, rx, free_tx));
        }
        results.extend(others.into_iter().map(|w| w.join().unwrap_or_default()));
        // The reader ended before the workers did: they stop when its queues close.
        let reader_blocked = reader.join().unwrap_or_default();
        (reader_blocked, results)
    });
    let (reader_blocked, tables) = tables;
    let mut workers_idle = Vec::with_capacity(tables.len());
    for (t, idle) in tables {
        table.merge(t);
        workers_idle.push(idle);
    }
    summary.stalls = Some(PipelineStalls {
        reader_blocked,
        workers_idle,
    });
    warn_unsupported_linktypes(summary);
}

fn read_into<R: Read>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    mut sink: Sink<'_>,
    progress: bool,
) -> Duration {
    let name = summary.spec.path.clone();
    let mut reader = match CaptureReader::new(src) {
        Ok(r) => r,
        Err(e) => {
            summary.errors.push(format!("{name}: {e}"));
            return Duration::ZERO;
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
        let decoded = decode::decode(frame.linktype, frame.data);
        counters.count(&decoded);
        if let Decoded::Flow {
            link,
            src,
            dst,
            transport,
            fragment,
        } = decoded
        {
            sink.flow(&frame, src, dst, &transport, &link, point, fragment);
        }
        if progress && packets % 65_536 == 0 {
            show_progress(&name, reader.bytes_read(), size, packets);
        }
    }
    let blocked = sink.finish();
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
    summary.counters = counters;
    blocked
}

/// A warning for frames of link types we do not decode (once the decode counters of every
/// thread are in).
fn warn_unsupported_linktypes(summary: &mut CaptureSummary) {
    let n = summary.counters.unsupported_linktype;
    if n == 0 {
        return;
    }
    let types: Vec<String> = summary
        .interfaces
        .iter()
        .map(|i| i.linktype)
        .filter(|&l| decode::decode(l, &[]) == Decoded::UnsupportedLinktype)
        .map(|l| l.to_string())
        .collect();
    summary.warnings.push(format!(
        "{}: {n} packets of unsupported link type {} were not decoded",
        summary.spec.path,
        types.join(", ")
    ));
    summary.warnings_total += 1;
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

    /// A pcap file of `n` UDP and TCP frames over a few hundred flows, both directions.
    fn pcap_bytes(n: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for i in 0..n {
            let flow = (i * 7919) % 300;
            let tcp = flow % 3 == 0;
            let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0];
            let l4 = if tcp { 20 } else { 8 } + 4;
            f.extend_from_slice(&[0x45, 0, 0, 20 + l4 as u8, 0, 0, 0, 0, 64]);
            f.push(if tcp { 6 } else { 17 });
            f.extend_from_slice(&[0, 0]);
            let (a, b) = ([10, 0, 1, flow as u8], [52, 112, (flow >> 8) as u8, 9]);
            let (src, dst) = if i % 2 == 0 { (a, b) } else { (b, a) };
            let (sp, dp): (u16, u16) = if i % 2 == 0 {
                (50_000, 3478)
            } else {
                (3478, 50_000)
            };
            f.extend_from_slice(&src);
            f.extend_from_slice(&dst);
            f.extend_from_slice(&sp.to_be_bytes());
            f.extend_from_slice(&dp.to_be_bytes());
            if tcp {
                f.extend_from_slice(&i.to_be_bytes());
                f.extend_from_slice(&[0, 0, 0, 0, 0x50, if i < 300 { 0x02 } else { 0x10 }]);
                f.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
            } else {
                f.extend_from_slice(&(l4 as u16).to_be_bytes());
                f.extend_from_slice(&[0, 0]);
            }
            f.extend_from_slice(&[0x80, 0, (i >> 8) as u8, i as u8]);
            let ts = 1_000_000 + u64::from(i) * 997;
            for w in [(ts / 1_000_000) as u32, (ts % 1_000_000) as u32] {
                out.extend_from_slice(&w.to_le_bytes());
            }
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(&f);
        }
        out
    }

    fn flows_text(table: FlowTable) -> Vec<String> {
        let mut v: Vec<String> = table
            .into_flows()
            // What the report shows of a flow: sealing an idle flow (which a shard does on its
            // own clock) changes its parse state, never these.
            .map(|(k, s)| {
                format!(
                    "{k:?} {:?} {:?} {}",
                    s.sides,
                    s.app.summary(s.client_side()),
                    s.fragments
                )
            })
            .collect();
        v.sort();
        v
    }

    /// What one read gave, as comparable text.
    fn outcome(bytes: &[u8], shards: usize) -> (u64, String, Vec<String>, Vec<String>) {
        let spec = CaptureSpec::parse("x.pcap");
        let mut summary = CaptureSummary::new(&spec);
        let mut table = FlowTable::new();
        read_from(0, bytes, None, &mut summary, &mut table, false, shards);
        (
            summary.packets,
            format!("{:?}", summary.counters),
            [summary.warnings, summary.errors].concat(),
            flows_text(table),
        )
    }

    /// Issue 5: a file split over shard threads gives the same flows as one thread.
    #[test]
    fn sharded_reading_gives_the_same_flows_as_one_thread() {
        let bytes = pcap_bytes(5 * BATCH_FRAMES as u32 + 17);
        let one = outcome(&bytes, 1);
        assert!(one.2.is_empty(), "{:?}", one.2);
        assert_eq!(one.3.len(), 300);
        for shards in [2, 3, 4] {
            assert_eq!(outcome(&bytes, shards), one, "{shards} threads");
        }
    }

    proptest::proptest! {
        /// Cut or corrupted files: any number of threads reports the same packets, flows,
        /// warnings and errors as one.
        #[test]
        fn sharded_reading_of_damaged_files(cut in 0usize..40_000, flip in 0usize..40_000, byte: u8, shards in 2usize..5) {
            let mut bytes = pcap_bytes(2 * BATCH_FRAMES as u32);
            if let Some(b) = bytes.get_mut(flip) {
                *b = byte;
            }
            bytes.truncate(cut);
            proptest::prop_assert_eq!(outcome(&bytes, shards), outcome(&bytes, 1));
        }
    }

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
