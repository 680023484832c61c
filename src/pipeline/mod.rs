//! The run of one set of captures: every file (or shard of a file) read into one flow table,
//! with what each file gave besides its flows (`CaptureSummary`).
//!
//! Frames come from a `capture::FrameSource`; the loop that decodes and accounts them is in
//! `read.rs`, the split of one file over threads in `shard.rs`. Files are read in parallel
//! (rayon, one task per file) and their tables merged in command-line order, so the result
//! does not depend on which file finished first. A thread that panics becomes an error of its
//! file (exit status 2), never a silent loss of its flows.

#[cfg(feature = "live")]
pub mod live;
mod progress;
mod read;
mod shard;
mod timings;

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::time::Duration;

use rayon::prelude::*;

use crate::capture::{Format, Interface};
use crate::correlate::{self, Correlation};
use crate::decode::DecodeCounters;
use crate::flow::FlowTable;
use progress::Progress;

pub use timings::Timings;

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

/// What reading one capture file gave, besides its flows.
#[derive(Clone, Debug)]
pub struct CaptureSummary {
    pub spec: CaptureSpec,
    pub format: Option<Format>,
    /// The compression the capture came in (`gzip`, `zstd`); None for a plain file.
    pub compression: Option<&'static str>,
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
    /// This file's clock minus the first file's, from packets seen in both (`correlate`);
    /// None where no shared packet links it. The flows' times are already aligned.
    pub clock_offset_ns: Option<i64>,
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
            compression: None,
            packets: 0,
            bytes_read: 0,
            interfaces: Vec::new(),
            interface_packets: Vec::new(),
            warnings: Vec::new(),
            warnings_total: 0,
            errors: Vec::new(),
            counters: DecodeCounters::default(),
            stalls: None,
            clock_offset_ns: None,
        }
    }

    /// A structural error (or a thread that panicked): the file was not entirely read.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Records a thread of this file that panicked: its flows are missing from the table.
    fn thread_panicked(&mut self, what: &str, panic: &(dyn std::any::Any + Send)) {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        self.errors.push(format!(
            "{}: internal error: the {what} thread panicked ({message}); flows it held are \
             missing from the report",
            self.spec.path
        ));
    }
}

/// Everything a run read: one summary per capture (command-line order), the merged flows
/// (times on the first file's clock) and what the capture points told of each other.
pub struct Captured {
    pub captures: Vec<CaptureSummary>,
    pub table: FlowTable,
    pub correlation: Correlation,
}

/// Reads every capture into one flow table, with the threads of `pool`: several files in
/// parallel (one task per file), or one file split across them (see `shard.rs`).
///
/// One file is read from the calling thread, which builds the flow table itself: called from
/// the main thread, the per-flow heap state then comes from glibc's main heap, which grows in
/// large steps, where another thread's heap grows one page and one `mprotect` call at a time.
pub fn read_all(specs: &[CaptureSpec], show_progress: bool, pool: &rayon::ThreadPool) -> Captured {
    let progress = if show_progress && io::stderr().is_terminal() {
        let sizes: Vec<Option<u64>> = specs.iter().map(file_size).collect();
        Progress::new(&sizes)
    } else {
        Progress::off()
    };
    let threads = pool.current_num_threads();
    if let [spec] = specs {
        let (summary, table) = read::read_capture(0, spec, &progress, threads);
        progress.finish();
        return correlated(vec![(summary, table)]);
    }
    // Fewer files than threads: split each file across the spare threads.
    let shards = (threads / specs.len().max(1)).max(1);
    let results: Vec<(CaptureSummary, FlowTable)> = pool.install(|| {
        specs
            .par_iter()
            .enumerate()
            .map(|(i, spec)| read::read_capture(i as u32, spec, &progress, shards))
            .collect()
    });
    progress.finish();
    correlated(results)
}

/// The files' tables correlated (`correlate`: clocks aligned, NAT twins found) and merged in
/// command-line order.
pub fn correlated(results: Vec<(CaptureSummary, FlowTable)>) -> Captured {
    let (mut captures, mut tables): (Vec<CaptureSummary>, Vec<FlowTable>) =
        results.into_iter().unzip();
    let (offsets, correlation) = correlate::correlate(&mut tables);
    for (c, o) in captures.iter_mut().zip(offsets) {
        c.clock_offset_ns = o;
    }
    let mut tables = tables.into_iter();
    let mut table = tables.next().unwrap_or_default();
    for t in tables {
        table.merge(t);
    }
    Captured {
        captures,
        table,
        correlation,
    }
}

/// Reads one capture from any byte source (a `Cursor` in tests and fuzz targets) as a file is
/// read (decompressed if it is compressed), on one thread; `spec` only names it in messages.
pub fn read_reader<R: Read + Send>(
    file_index: u32,
    spec: &CaptureSpec,
    src: R,
) -> (CaptureSummary, FlowTable) {
    read::read_source(file_index, spec, src, None, &Progress::off(), 1)
}

/// The size of a capture file for the progress; None for standard input (or a file that cannot
/// be read, which its read reports).
fn file_size(spec: &CaptureSpec) -> Option<u64> {
    if spec.is_stdin() {
        return None;
    }
    std::fs::metadata(&spec.path).ok().map(|m| m.len())
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

    #[test]
    fn a_panic_becomes_an_error_of_its_file() {
        let mut s = CaptureSummary::new(&CaptureSpec::parse("x.pcap"));
        let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        s.thread_panicked("reader", payload.as_ref());
        assert!(s.failed());
        assert_eq!(
            s.errors,
            [
                "x.pcap: internal error: the reader thread panicked (boom); flows it held are \
              missing from the report"
            ]
        );
    }
}
