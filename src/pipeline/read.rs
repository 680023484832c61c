//! One capture file read: open it, pull its frames from a `FrameSource`, decode and count each,
//! hand TCP/UDP frames to the flow table (or to shard workers), and summarise the file.

use std::fs::File;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use super::progress::{FileProgress, Progress, CHECK_EVERY};
use super::shard::{self, Sink};
use super::{CaptureSpec, CaptureSummary};
use crate::capture::{CaptureReader, Compression, Decompressed, FrameSource, ReadMeter};
use crate::decode::{self, DecodeCounters, Decoded};
use crate::error::CaptureError;
use crate::flow::{FlowTable, PointId};

/// Reads one capture file (or standard input), its flows split over `shards` threads when
/// `shards > 1`. The result is the same for any number of shards.
pub(super) fn read_capture(
    file_index: u32,
    spec: &CaptureSpec,
    progress: &Progress,
    shards: usize,
) -> (CaptureSummary, FlowTable) {
    if spec.is_stdin() {
        return read_source(file_index, spec, io::stdin(), None, progress, shards);
    }
    match File::open(&spec.path) {
        Ok(f) => {
            let size = f.metadata().ok().map(|m| m.len());
            read_source(file_index, spec, f, size, progress, shards)
        }
        Err(e) => {
            let mut summary = CaptureSummary::new(spec);
            summary
                .errors
                .push(format!("{}: cannot open: {e}", spec.path));
            (summary, FlowTable::new())
        }
    }
}

/// Reads one capture from any byte source of `size` bytes (if known). A thread that panics is
/// an error of this capture in its summary, with what the table holds so far kept.
pub(super) fn read_source<R: Read + Send>(
    file_index: u32,
    spec: &CaptureSpec,
    src: R,
    size: Option<u64>,
    progress: &Progress,
    shards: usize,
) -> (CaptureSummary, FlowTable) {
    let mut summary = CaptureSummary::new(spec);
    let mut table = FlowTable::new();
    let read = catch_unwind(AssertUnwindSafe(|| {
        read_from(
            file_index,
            src,
            size,
            &mut summary,
            &mut table,
            progress,
            shards,
        )
    }));
    if let Err(panic) = read {
        summary.thread_panicked("reader", panic.as_ref());
    }
    // The reader counted every TCP/UDP packet; the table dropped the duplicates among them.
    let duplicates = table.take_duplicates();
    summary.counters.duplicates += duplicates;
    summary.counters.flow_packets = summary.counters.flow_packets.saturating_sub(duplicates);
    warn_full_table(&mut summary, &table);
    (summary, table)
}

fn warn_full_table(summary: &mut CaptureSummary, table: &FlowTable) {
    if table.over_cap() > 0 {
        summary.warnings.push(format!(
            "{}: flow table full ({} flows): {} packets of further flows were not accounted",
            summary.spec.path,
            crate::flow::DEFAULT_MAX_FLOWS,
            table.over_cap()
        ));
        summary.warnings_total += 1;
    }
}

/// Flows to make room for in a flow table's index, from the size of the capture: one per
/// 8 KiB (a busy site's capture of calls and web traffic has about that many), at most 2^20.
/// Too low only means the index grows as it would have anyway; too high costs one byte per
/// slot (its control bytes) until the flows arrive.
fn expected_flows(size: Option<u64>) -> usize {
    size.map_or(0, |bytes| (bytes / 8192).min(1 << 20) as usize)
}

fn read_from<R: Read + Send>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    table: &mut FlowTable,
    progress: &Progress,
    shards: usize,
) {
    let expected = expected_flows(size);
    if shards <= 1 {
        table.reserve_index(expected);
        read_into(file_index, src, size, summary, Sink::Table(table), progress);
    } else {
        shard::read_sharded(
            file_index, src, size, summary, table, progress, shards, expected,
        );
    }
    warn_unsupported_linktypes(summary);
    warn_undecoded_ethertypes(summary);
}

/// Opens the capture in `src` (decompressing it if it is compressed) and reads all its frames
/// into `sink`; returns the time the reader waited for shard workers. The capture is opened
/// here, on the thread that reads it.
pub(super) fn read_into<R: Read>(
    file_index: u32,
    src: R,
    size: Option<u64>,
    summary: &mut CaptureSummary,
    sink: Sink<'_>,
    progress: &Progress,
) -> Duration {
    let input = match Decompressed::new(src) {
        Ok(input) => input,
        Err(e) => {
            summary
                .errors
                .push(format!("{}: cannot read: {e}", summary.spec.path));
            return Duration::ZERO;
        }
    };
    summary.compression = input.compression().map(Compression::as_str);
    let meter = input.meter();
    match CaptureReader::new(input) {
        Ok(mut source) => {
            let mut line = progress.file(&summary.spec.path, size);
            let blocked = read_frames(file_index, &mut source, summary, sink, &mut line, &meter);
            line.finish(meter.get());
            blocked
        }
        Err(e) => {
            summary.errors.push(format!("{}: {e}", summary.spec.path));
            Duration::ZERO
        }
    }
}

/// The per-frame loop: count, decode, account; then the file's summary from the source.
/// `meter` counts the bytes read from the file (compressed ones if it is), for the progress.
fn read_frames<S: FrameSource>(
    file_index: u32,
    source: &mut S,
    summary: &mut CaptureSummary,
    mut sink: Sink<'_>,
    progress: &mut FileProgress<'_>,
    meter: &ReadMeter,
) -> Duration {
    summary.format = Some(source.format());
    let mut counters = DecodeCounters::default();
    let mut packets: u64 = 0;
    let mut interface_packets: Vec<u64> = Vec::new();
    let mut failure: Option<CaptureError> = None;
    loop {
        let frame = match source.next_frame() {
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
        if packets % CHECK_EVERY == 0 {
            progress.update(meter.get(), packets);
        }
    }
    let blocked = sink.finish();
    let name = &summary.spec.path;
    if let Some(e) = failure {
        summary.errors.push(format!("{name}: {e}"));
    }
    summary.packets = packets;
    summary.bytes_read = source.bytes_read();
    summary.interfaces = source.interfaces().to_vec();
    interface_packets.resize(summary.interfaces.len().max(interface_packets.len()), 0);
    summary.interface_packets = interface_packets;
    summary.warnings = source
        .warnings()
        .iter()
        .map(|w| format!("{name}: {w}"))
        .collect();
    summary.warnings_total = source.warnings_total();
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

/// A warning for non-IP frames of EtherTypes that are neither decoded nor known link control
/// traffic (`decode::known_not_ip`): a capture of an encapsulation callpath does not read says
/// so, rather than giving a report with fewer flows (or none) and no reason.
fn warn_undecoded_ethertypes(summary: &mut CaptureSummary) {
    if let Some(w) = undecoded_ethertypes_warning(&summary.spec.path, &summary.counters) {
        summary.warnings.push(w);
        summary.warnings_total += 1;
    }
}

/// `FILE: 32 packets of EtherType 0x88b5 were not decoded`; with several types, each one's
/// packets in brackets after the total.
fn undecoded_ethertypes_warning(path: &str, counters: &DecodeCounters) -> Option<String> {
    let undecoded = &counters.undecoded;
    let total = undecoded.total();
    if total == 0 {
        return None;
    }
    let mut types: Vec<String> = undecoded
        .types()
        .map(|(t, n)| format!("0x{t:04x} ({n})"))
        .collect();
    if undecoded.others() > 0 {
        types.push(format!("others ({})", undecoded.others()));
    }
    let what = match undecoded.types().next() {
        Some((t, _)) if types.len() == 1 => format!("EtherType 0x{t:04x}"),
        _ => format!("EtherTypes {}", types.join(", ")),
    };
    Some(format!(
        "{path}: {total} packets of {what} were not decoded"
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A pcap file of `n` UDP and TCP frames over a few hundred flows, both directions.
    pub(crate) fn pcap_bytes(n: u32) -> Vec<u8> {
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
                    s.app.summary(s.client_side(&k)),
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
        let (summary, table) = read_source(0, &spec, bytes, None, &Progress::off(), shards);
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
        let bytes = pcap_bytes(5 * shard::BATCH_FRAMES as u32 + 17);
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
            let mut bytes = pcap_bytes(2 * shard::BATCH_FRAMES as u32);
            if let Some(b) = bytes.get_mut(flip) {
                *b = byte;
            }
            bytes.truncate(cut);
            proptest::prop_assert_eq!(outcome(&bytes, shards), outcome(&bytes, 1));
        }
    }

    #[test]
    fn undecoded_ethertypes_are_named_in_one_warning() {
        let link = decode::LinkInfo::default();
        let mut c = DecodeCounters::default();
        assert_eq!(undecoded_ethertypes_warning("f", &c), None);
        for ethertype in [0x0806, 0x88cc, 0x0026] {
            c.count(&Decoded::NotIp { link, ethertype });
        }
        assert_eq!(undecoded_ethertypes_warning("f", &c), None, "known types");
        for _ in 0..32 {
            c.count(&Decoded::NotIp {
                link,
                ethertype: 0x8864,
            });
        }
        assert_eq!(
            undecoded_ethertypes_warning("f", &c).as_deref(),
            Some("f: 32 packets of EtherType 0x8864 were not decoded")
        );
        for ethertype in (0x9100..0x9109).chain([0x88b5]) {
            c.count(&Decoded::NotIp { link, ethertype });
        }
        assert_eq!(
            undecoded_ethertypes_warning("f", &c).as_deref(),
            Some(
                "f: 42 packets of EtherTypes 0x8864 (32), 0x9100 (1), 0x9101 (1), 0x9102 (1), \
                 0x9103 (1), 0x9104 (1), 0x9105 (1), 0x9106 (1), others (3) were not decoded"
            )
        );
    }

    /// A byte source that panics once `after` bytes were read: a stand-in for a bug anywhere
    /// on the reading thread.
    struct PanicsAfter<'a> {
        bytes: &'a [u8],
        after: usize,
    }

    impl Read for PanicsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.after > 0, "injected reader failure");
            let n = buf.len().min(self.after).min(self.bytes.len());
            let (now, rest) = self.bytes.split_at(n);
            buf[..n].copy_from_slice(now);
            self.bytes = rest;
            self.after -= n;
            Ok(n)
        }
    }

    /// Issue 12: a thread that panics is an error of its file, with the flows read so far,
    /// on one thread and split over shards alike; never an empty report that looks valid.
    #[test]
    fn a_panicking_reader_is_an_error_not_silence() {
        let bytes = pcap_bytes(3 * shard::BATCH_FRAMES as u32);
        for shards in [1, 2, 3] {
            let src = PanicsAfter {
                bytes: &bytes,
                after: bytes.len() / 2,
            };
            let (summary, _) = read_source(
                0,
                &CaptureSpec::parse("x.pcap"),
                src,
                None,
                &Progress::off(),
                shards,
            );
            assert!(summary.failed(), "{shards} threads");
            assert!(
                summary
                    .errors
                    .iter()
                    .any(|e| e.contains("the reader thread panicked")
                        && e.contains("injected reader failure")),
                "{shards} threads: {:?}",
                summary.errors
            );
        }
    }
}
