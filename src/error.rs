//! Capture-file errors and warnings that say where: the record (block) number and the byte
//! offset of its first byte. The caller names the file (`{file}: {error}`); site profile and
//! ranges errors live beside their parsers (`site::SiteError`, `ranges::RangesError`).

use std::fmt;

/// Where in a capture file something was found: the 1-based record (block) number and the byte
/// offset of that record's first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub record: u64,
    pub offset: u64,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {} at byte offset {}", self.record, self.offset)
    }
}

/// A structural problem in a capture file. Reading of that file stops; everything read before
/// it is kept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CaptureError {
    /// Reading the source failed (the I/O error's text).
    #[error("cannot read: {0}")]
    Io(String),
    /// The first four bytes, in file order, are no pcap or pcapng magic number.
    #[error("not a pcap or pcapng file (magic number {0:#010x})")]
    UnknownFormat(u32),
    #[error("file is empty")]
    Empty,
    /// The file ends inside its header (pcap) or first section header block (pcapng): nothing
    /// of it is usable.
    #[error("file header is truncated ({have} of {need} bytes)")]
    TruncatedHeader { have: usize, need: usize },
    /// A record or block whose structure is wrong (lengths, interface ids, byte order).
    #[error("{at}: {what}")]
    Corrupt { at: Position, what: String },
}

impl CaptureError {
    pub(crate) fn corrupt(at: Position, what: impl Into<String>) -> Self {
        CaptureError::Corrupt {
            at,
            what: what.into(),
        }
    }
}

/// A problem with a capture that does not stop the reading: reported and counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureWarning {
    pub at: Option<Position>,
    pub what: String,
}

impl fmt::Display for CaptureWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{at}: {}", self.what),
            None => f.write_str(&self.what),
        }
    }
}
