//! Capture reading (pcap and pcapng, by magic number): bytes in -> frames, warnings, errors.
//!
//! Properties, besides "no panic, no abort":
//! - reading through a source that returns few bytes per `read` gives exactly the same frames,
//!   warnings and outcome as reading it whole (the streaming buffer is invisible);
//! - every frame names an interface the reader describes, with that interface's link type;
//! - a frame is never larger than the caps (`MAX_PACKET_BYTES` unless the pcap snaplen allows
//!   more, and never more than `MAX_BLOCK_BYTES`), nor than the input;
//! - the byte offset only grows and never passes the input's length; there are never more
//!   frames than 16-byte record headers fit in the input;
//! - after an error or the end, the reader stays done; warnings kept are capped;
//! - the shortcut for plain EPBs gives exactly what the general path gives.
#![no_main]

use std::io::{Cursor, Read};

use callpath::capture::{
    CaptureReader, Format, FrameSource, MAX_BLOCK_BYTES, MAX_PACKET_BYTES, MAX_WARNINGS_KEPT,
};
use callpath::error::CaptureError;
use libfuzzer_sys::fuzz_target;

/// A source that hands out at most `chunk` bytes per `read`.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[derive(Debug, PartialEq)]
struct Outcome {
    frames: Vec<(i64, u32, u32, Vec<u8>, u32)>,
    end: Result<(), CaptureError>,
    warnings: Vec<String>,
    warnings_total: u64,
    bytes_read: u64,
}

fn read_all<R: Read>(
    src: R,
    input_len: usize,
    general_only: bool,
) -> Result<Outcome, CaptureError> {
    let mut r = CaptureReader::new(src)?;
    if general_only {
        r = r.general_path_only();
    }
    let mut frames = Vec::new();
    let mut last_offset = r.bytes_read();
    let end = loop {
        let frame = match r.next_frame() {
            Ok(Some(f)) => (
                f.ts_ns,
                f.interface,
                f.linktype,
                f.data.to_vec(),
                f.orig_len,
            ),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        };
        // Interfaces are only ever added, so the frame's one is still at its index.
        let iface = r
            .interfaces()
            .get(frame.1 as usize)
            .expect("frame names an interface the reader describes");
        assert_eq!(
            frame.2, iface.linktype,
            "frame link type is its interface's"
        );
        let len = frame.3.len();
        assert!(len <= MAX_BLOCK_BYTES, "frame of {len} bytes");
        assert!(len <= input_len, "frame larger than the input");
        if r.format() == Format::Pcap {
            let cap = iface.snaplen.max(MAX_PACKET_BYTES) as usize;
            assert!(len <= cap, "pcap frame of {len} bytes, cap {cap}");
        }
        frames.push(frame);
        assert!(
            frames.len() <= input_len / 16,
            "more frames than records fit"
        );
        let off = r.bytes_read();
        assert!(off > last_offset, "offset did not grow");
        assert!(off <= input_len as u64, "offset {off} past the input");
        last_offset = off;
    };
    // Done stays done.
    assert!(matches!(r.next_frame(), Ok(None)));
    assert!(r.warnings().len() <= MAX_WARNINGS_KEPT);
    assert!(r.warnings_total() >= r.warnings().len() as u64);
    assert!(r.bytes_read() <= input_len as u64);
    Ok(Outcome {
        frames,
        end,
        warnings: r.warnings().iter().map(ToString::to_string).collect(),
        warnings_total: r.warnings_total(),
        bytes_read: r.bytes_read(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let whole = read_all(Cursor::new(input), input.len(), false);
    let trickled = read_all(
        Trickle {
            data: input,
            chunk: usize::from(chunk % 64) + 1,
        },
        input.len(),
        false,
    );
    assert_eq!(
        whole, trickled,
        "result depends on how the source hands out bytes"
    );
    let general = read_all(Cursor::new(input), input.len(), true);
    assert_eq!(
        whole, general,
        "the EPB shortcut differs from the general path"
    );
});
