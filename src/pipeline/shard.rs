//! One file split over threads: a reader thread decodes every frame and sends each TCP/UDP
//! frame, by a direction-free hash of its 5-tuple, to the worker that owns that flow's table.

use std::io::Read;
use std::net::IpAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::progress::Progress;
use super::read::read_into;
use super::{CaptureSummary, PipelineStalls};
use crate::capture::Frame;
use crate::decode::{LinkInfo, TcpInfo, TransportLayer};
use crate::flow::{Endpoint, FlowKey, FlowTable, Observation, PointId};

/// Frames handed to a shard worker at once.
pub(super) const BATCH_FRAMES: usize = 1024;
/// Batches queued per shard before the reader waits.
const BATCH_QUEUE: usize = 4;

/// A decoded TCP/UDP frame for a shard worker: what the flow table takes, with the payload
/// (the only bytes the protocol probes read) copied into the batch's arena.
#[derive(Clone, Copy)]
struct FlowFrame {
    ts_ns: i64,
    interface: u32,
    wire_len: u32,
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    src_port: u16,
    dst_port: u16,
    tcp: Option<TcpInfo>,
    dscp: u8,
    ip_id: u16,
    checksum: u16,
    link: LinkInfo,
    fragment: bool,
    payload_start: usize,
    payload_end: usize,
}

/// Frames for one shard: their payloads copied back to back into one reusable arena.
#[derive(Default)]
pub(super) struct Batch {
    bytes: Vec<u8>,
    frames: Vec<FlowFrame>,
}

/// Accounts one decoded TCP/UDP frame in `table`.
#[inline]
#[allow(clippy::too_many_arguments)]
fn observe<'a>(
    table: &mut FlowTable,
    src: IpAddr,
    dst: IpAddr,
    transport: &'a TransportLayer<'a>,
    link: &'a LinkInfo,
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
            let transport = TransportLayer {
                protocol: f.protocol,
                src_port: f.src_port,
                dst_port: f.dst_port,
                tcp: f.tcp,
                dscp: f.dscp,
                ip_id: f.ip_id,
                checksum: f.checksum,
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
    let (key, _) = FlowKey::new(protocol, src, dst);
    // The high bits of the hash: the table uses the low ones for buckets.
    ((crate::flow::key_hash(&key) >> 40) as usize) % shards
}

/// Where the reader sends TCP/UDP frames: its own table, or shard workers.
pub(super) enum Sink<'t> {
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
    pub(super) fn flow(
        &mut self,
        frame: &Frame<'_>,
        src: IpAddr,
        dst: IpAddr,
        transport: &TransportLayer<'_>,
        link: &LinkInfo,
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
                    dscp: transport.dscp,
                    ip_id: transport.ip_id,
                    checksum: transport.checksum,
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
    pub(super) fn finish(self) -> Duration {
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

/// Reads one file with `shards` threads: a reader thread (one of the `shards`) feeding
/// `shards - 1` workers, each owning a flow table. The reader reads and decodes every frame
/// and counts it; each TCP/UDP frame goes, decoded, with a copy of its payload, to the worker
/// a direction-free hash of its 5-tuple picks: a flow's packets all reach one worker, in file
/// order, so the tables (disjoint) are the same as one thread's. With one worker (two threads)
/// it is a pipeline, read and decode | account. The calling thread is the first worker (see
/// `read_all`). A thread that panics is an error of the file.
#[allow(clippy::too_many_arguments)]
pub(super) fn read_sharded<R: Read + Send>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    table: &mut FlowTable,
    progress: &Progress,
    shards: usize,
    expected_flows: usize,
) {
    let shards = shards - 1;
    let limits = (
        crate::flow::DEFAULT_MAX_FLOWS.div_ceil(shards),
        expected_flows.div_ceil(shards),
    );
    let mut panics = Vec::new();
    let reader_summary = &mut *summary;
    let (reader_blocked, tables) = std::thread::scope(|scope| {
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
        for worker in others {
            match worker.join() {
                Ok(result) => results.push(result),
                Err(panic) => panics.push(("flow worker", panic)),
            }
        }
        // The reader ended before the workers did: they stop when its queues close.
        let reader_blocked = match reader.join() {
            Ok(blocked) => blocked,
            Err(panic) => {
                panics.push(("reader", panic));
                Duration::ZERO
            }
        };
        (reader_blocked, results)
    });
    for (what, panic) in panics {
        summary.thread_panicked(what, panic.as_ref());
    }
    let mut workers_idle = Vec::with_capacity(tables.len());
    for (t, idle) in tables {
        table.merge(t);
        workers_idle.push(idle);
    }
    summary.stalls = Some(PipelineStalls {
        reader_blocked,
        workers_idle,
    });
}
