//! Compressed captures: bytes -> the decompressing reader (`capture::Decompressed`, gzip and
//! zstd by magic number) -> the capture reader.
//!
//! Input: 1 byte (read size 1..64 for the trickled pass) + the file.
//!
//! Properties, besides "no panic, no abort":
//! - a file with no compression magic passes through unchanged, byte for byte;
//! - a failed stream is a `DecompressError` of the detected compression whose offset is exactly
//!   the bytes handed out before it;
//! - a source that hands out a few bytes per `read`, read a few hundred bytes at a time, gives
//!   the same bytes and end as large reads when the stream is whole; when it is not, both fail
//!   and one output is a prefix of the other (a decoder drops what it wrote in the call that
//!   failed, so how much comes out before the error depends on the read sizes);
//! - the capture reader over the stream yields exactly the frames it yields over the bytes the
//!   stream handed it, read beforehand (the stream is invisible to it).
//!
//! Decompressed output is read up to `MAX_OUT` bytes: a few input bytes can stand for
//! gigabytes (which the pipeline streams, but a fuzz run would only spend its time on).
#![no_main]

use std::cell::RefCell;
use std::io::{self, Cursor, ErrorKind, Read};
use std::rc::Rc;

use callpath::capture::{CaptureReader, DecompressError, Decompressed};
use libfuzzer_sys::fuzz_target;

const MAX_OUT: u64 = 1 << 20;

/// A source that hands out at most `chunk` bytes per `read`.
struct Trickle<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A reader that keeps a copy of every byte it hands out.
struct Tee<R> {
    inner: R,
    copy: Rc<RefCell<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.borrow_mut().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// How a stream ended: cleanly, or with the error's text.
type End = Result<(), String>;

/// Everything `src` decompresses to (up to `MAX_OUT`), reading `chunk` bytes at a time, and how
/// it ended.
fn decompress<R: Read>(src: R, chunk: usize) -> (Vec<u8>, End) {
    let mut d = Decompressed::new(src).expect("a slice source never fails");
    let compression = d.compression();
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    let end = loop {
        if out.len() as u64 >= MAX_OUT {
            break Ok(());
        }
        match d.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidData, "{e}");
                let text = e.to_string();
                let inner = e.into_inner().expect("a stream error carries its cause");
                let de = inner
                    .downcast::<DecompressError>()
                    .expect("a stream error is a DecompressError");
                assert_eq!(Some(de.compression), compression);
                assert_eq!(de.offset, out.len() as u64, "offset is the bytes handed out");
                break Err(text);
            }
        }
    };
    (out, end)
}

/// The frames a capture reader yields from `src` (owned), until its end or error.
fn frames<R: Read>(src: R) -> Vec<(i64, u32, u32, Vec<u8>, u32)> {
    let Ok(mut r) = CaptureReader::new(src) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while let Ok(Some(f)) = r.next_frame() {
        out.push((f.ts_ns, f.interface, f.linktype, f.data.to_vec(), f.orig_len));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let (whole, end) = decompress(Cursor::new(input), 1 << 16);
    let compressed = Decompressed::new(input).map(|d| d.compression()).ok().flatten();
    if compressed.is_none() {
        assert_eq!(whole, input, "a plain file passes through");
        assert_eq!(end, Ok(()));
    }
    // A few bytes at a time from the source, a few hundred to the reader.
    let chunk = usize::from(chunk % 64) + 1;
    let (trickled, trickled_end) = decompress(
        Trickle {
            data: input,
            chunk,
        },
        chunk * 7,
    );
    let capped = whole.len() as u64 >= MAX_OUT || trickled.len() as u64 >= MAX_OUT;
    if end.is_ok() && trickled_end.is_ok() && !capped {
        assert_eq!(whole, trickled, "output depends on the read sizes");
    }
    if !capped {
        assert_eq!(end.is_ok(), trickled_end.is_ok(), "{end:?} / {trickled_end:?}");
        let n = whole.len().min(trickled.len());
        assert_eq!(whole[..n], trickled[..n], "outputs differ before the error");
    }
    // The capture reader: over the stream, as over the same bytes read beforehand.
    let copy = Rc::new(RefCell::new(Vec::new()));
    let tee = Tee {
        inner: Decompressed::new(input).expect("slice").take(MAX_OUT),
        copy: Rc::clone(&copy),
    };
    let streamed = frames(tee);
    let handed = copy.borrow().clone();
    assert_eq!(streamed, frames(Cursor::new(&handed)), "the stream is visible");
});
