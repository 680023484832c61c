//! Error types that say where things went wrong: which file, which record, which byte offset.

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
    #[error("cannot read: {0}")]
    Io(String),
    #[error("not a pcap or pcapng file (magic number {0:#010x})")]
    UnknownFormat(u32),
    #[error("file is empty")]
    Empty,
    #[error("file header is truncated ({have} of {need} bytes)")]
    TruncatedHeader { have: usize, need: usize },
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
