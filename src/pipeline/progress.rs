//! Progress on standard error while captures are read (only when stderr is a terminal): one
//! line per file being read, with a line for all files when there are several.
//!
//! A file of known size shows a bar, the share read, the rate and the time left; standard input
//! (size unknown) shows packets, bytes read and the rate. Bytes are those read from the file
//! itself: a compressed file's compressed bytes, against its size. Drawing is `indicatif`'s,
//! at most 20 times a second; the read loop calls `FileProgress::update` every `CHECK_EVERY`
//! packets, which passes the figures on at most every `REDRAW` (and for each 65 536 packets),
//! so a disabled or quiet progress costs one branch per `CHECK_EVERY` packets.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Packets between two calls of `FileProgress::update` from the read loop.
pub(super) const CHECK_EVERY: u64 = 4096;
/// The least time between two updates of a line (a small file still shows one).
const REDRAW: Duration = Duration::from_millis(100);

/// The longest file name shown whole; longer ones keep their end.
const NAME_CHARS: usize = 40;

const FILE_BAR: &str =
    "{prefix} [{bar:20}] {percent:>3}%  {packets} packets  {binary_bytes_per_sec}  {eta} left";
const FILE_STREAM: &str =
    "{prefix}: {packets} packets, {binary_bytes} read  {binary_bytes_per_sec}";
const ALL_BAR: &str =
    "{prefix} [{bar:20}] {percent:>3}%  {binary_bytes} of {binary_total_bytes}  {binary_bytes_per_sec}  {eta} left";
const ALL_STREAM: &str = "{prefix}: {binary_bytes} read  {binary_bytes_per_sec}";

/// A line of `len` bytes (None: unknown, then the `unknown` template) that draws nowhere until
/// the `MultiProgress` takes it; `{packets}` shows `packets` as it is when the line is drawn
/// (so one update of a file is one position set, one draw).
fn new_bar(len: Option<u64>, known: &str, unknown: &str, packets: Arc<AtomicU64>) -> ProgressBar {
    let template = if len.is_some() { known } else { unknown };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#>-")
        .with_key("packets", move |_: &_, w: &mut dyn Write| {
            let _ = write!(w, "{}", packets.load(Ordering::Relaxed));
        });
    ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden()).with_style(style)
}

/// `name`, or its last `NAME_CHARS` characters after an ellipsis: the file name is at the end.
fn short_name(name: &str) -> String {
    let chars = name.chars().count();
    if chars <= NAME_CHARS {
        return name.to_string();
    }
    let tail: String = name.chars().skip(chars - (NAME_CHARS - 1)).collect();
    format!("…{tail}")
}

/// The progress of a run: the lines of the files being read, and one for all of them.
pub(super) struct Progress {
    lines: Option<Lines>,
}

struct Lines {
    multi: MultiProgress,
    /// Bytes read of all files, against their total size (when every size is known); shown
    /// from the first update of a file on, above the files' lines.
    all: Option<(ProgressBar, Once)>,
}

impl Progress {
    /// Progress on stderr (the caller checked it is a terminal) for files of `sizes` (None for
    /// standard input).
    pub(super) fn new(sizes: &[Option<u64>]) -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let all = (sizes.len() > 1).then(|| {
            let total = sizes
                .iter()
                .try_fold(0u64, |sum, size| size.map(|s| sum.saturating_add(s)));
            let bar = new_bar(total, ALL_BAR, ALL_STREAM, Arc::default())
                .with_prefix(format!("{} files", sizes.len()));
            (bar, Once::new())
        });
        Progress {
            lines: Some(Lines { multi, all }),
        }
    }

    /// No progress at all.
    pub(super) fn off() -> Progress {
        Progress { lines: None }
    }

    /// The line of one file, shown from its first update on and gone once it is read.
    pub(super) fn file(&self, name: &str, size: Option<u64>) -> FileProgress<'_> {
        let Some(lines) = &self.lines else {
            return FileProgress { line: None };
        };
        let name = if name == "-" { "standard input" } else { name };
        let packets = Arc::new(AtomicU64::new(0));
        let bar = new_bar(size, FILE_BAR, FILE_STREAM, Arc::clone(&packets))
            .with_prefix(short_name(name));
        let now = Instant::now();
        FileProgress {
            line: Some(FileLine {
                lines,
                bar,
                packets,
                shown: false,
                // The first update draws.
                last: now.checked_sub(REDRAW).unwrap_or(now),
                bytes: 0,
            }),
        }
    }

    /// Erases every line once all files are read.
    pub(super) fn finish(&self) {
        if let Some(lines) = &self.lines {
            if let Some((all, _)) = &lines.all {
                all.finish_and_clear();
            }
            let _ = lines.multi.clear();
        }
    }
}

/// The line of one file while it is read.
pub(super) struct FileProgress<'a> {
    line: Option<FileLine<'a>>,
}

struct FileLine<'a> {
    lines: &'a Lines,
    bar: ProgressBar,
    /// Packets read, which the line shows when drawn.
    packets: Arc<AtomicU64>,
    shown: bool,
    last: Instant,
    /// Bytes passed on to the line for all files so far.
    bytes: u64,
}

impl FileProgress<'_> {
    /// `bytes` read from the file and `packets` read from the capture so far; called every
    /// `CHECK_EVERY` packets.
    #[inline]
    pub(super) fn update(&mut self, bytes: u64, packets: u64) {
        if let Some(line) = &mut self.line {
            line.update(bytes, packets);
        }
    }

    /// Takes the line away once the file is read (the bytes it read count for all files).
    pub(super) fn finish(&mut self, bytes: u64) {
        if let Some(mut line) = self.line.take() {
            line.add_to_all(bytes);
            line.bar.finish_and_clear();
            if line.shown {
                line.lines.multi.remove(&line.bar);
            }
        }
    }
}

impl FileLine<'_> {
    #[inline(never)]
    fn update(&mut self, bytes: u64, packets: u64) {
        let now = Instant::now();
        if packets % 65_536 != 0 && now.duration_since(self.last) < REDRAW {
            return;
        }
        self.last = now;
        if !self.shown {
            self.shown = true;
            if let Some((all, once)) = &self.lines.all {
                once.call_once(|| {
                    self.lines.multi.insert(0, all.clone());
                });
            }
            self.bar = self.lines.multi.add(self.bar.clone());
        }
        self.add_to_all(bytes);
        self.packets.store(packets, Ordering::Relaxed);
        self.bar.set_position(bytes);
    }

    fn add_to_all(&mut self, bytes: u64) {
        if let Some((all, _)) = &self.lines.all {
            all.inc(bytes.saturating_sub(self.bytes));
        }
        self.bytes = self.bytes.max(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_keep_their_end() {
        assert_eq!(short_name("a.pcap"), "a.pcap");
        let long = format!("/very/long/directory/{}.pcapng", "x".repeat(40));
        let short = short_name(&long);
        assert_eq!(short.chars().count(), NAME_CHARS);
        assert!(
            short.starts_with('…') && short.ends_with("xx.pcapng"),
            "{short}"
        );
    }
}
