//! The progress bar on standard error while a file is read (only when stderr is a terminal).

use std::io::{self, Write};

/// Progress of one file: a bar when its size is known, else packets and megabytes read.
pub(super) struct Progress<'a> {
    enabled: bool,
    name: &'a str,
    size: Option<u64>,
}

impl<'a> Progress<'a> {
    pub(super) fn new(enabled: bool, name: &'a str, size: Option<u64>) -> Self {
        Progress {
            enabled,
            name,
            size,
        }
    }

    /// Redraws the line: `done` bytes of the file read, `packets` frames.
    pub(super) fn show(&mut self, done: u64, packets: u64) {
        if !self.enabled {
            return;
        }
        let mut err = io::stderr().lock();
        let name = self.name;
        let _ = match self.size {
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

    /// Erases the line once the file is read.
    pub(super) fn clear(&mut self) {
        if self.enabled {
            eprint!("\r\x1b[2K");
        }
    }
}
