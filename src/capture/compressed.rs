//! Compressed captures (gzip, zstd): detected by magic number and decompressed as they are read,
//! so a `.pcap.gz` or `.pcapng.zst` file (or standard input) is read like the capture inside it.
//!
//! Streaming: never more than the decoders' buffers in memory, however large the capture. A
//! plain capture passes through untouched: its first bytes (the ones looked at) are handed out
//! first, then the capture reader reads the source straight into its own buffer. A stream that is
//! cut or corrupt is a `DecompressError` naming the compression, what was wrong and how far into
//! the decompressed capture it happened; the capture reader reports it as an error of the file,
//! after the frames read before it.
//!
//! The capture reader's caps keep holding for whatever a stream decompresses to; the only
//! allocation a compressed stream itself can ask for is zstd's window, capped at
//! `ZSTD_WINDOW_LOG_MAX` (gzip's window is a fixed 32 KiB and flate2 caps its header at 64 KiB).

use std::fmt;
use std::io::{self, BufReader, ErrorKind, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

/// The input buffer of a decoder: about what one read of a file or pipe gives.
const COMPRESSED_CHUNK: usize = 128 * 1024;
/// The most decompressed bytes handed out per read. A decoder that fails drops what it wrote
/// in that same call, so a small call keeps all but the last few KiB before the damage (zstd
/// would otherwise decode a whole 1 MiB buffer's worth of blocks, and lose them all).
const DECOMPRESSED_CHUNK: usize = 64 * 1024;
/// The largest zstd window accepted: 2^27 bytes (128 MiB), libzstd's own default limit and what
/// `zstd --long` writes. Frames asking for more are corrupt for us (the memory is the frame's
/// choice, so it needs a cap).
pub const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// A compression a capture can come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// RFC 1952, one member or several back to back (as `cat a.gz b.gz` or `pigz` make).
    Gzip,
    /// RFC 8878, one frame or several, skippable frames included.
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The compression whose magic number `head` (a file's first bytes) starts with; None for
    /// anything else, which is read as a plain capture.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        match head {
            // RFC 1952 §2.3.1: ID1 ID2.
            [0x1f, 0x8b, ..] => Some(Compression::Gzip),
            // RFC 8878 §3.1.1: 0xFD2FB528 little-endian; §3.1.2: a skippable frame,
            // 0x184D2A5? (pzstd starts its files with one).
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Compression::Zstd),
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Some(Compression::Zstd),
            _ => None,
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A compressed stream that could not be decompressed: the capture reader stops there and keeps
/// what it read before. `offset` is how many decompressed bytes were handed out before it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{compression} stream {what} after {offset} bytes of decompressed capture")]
pub struct DecompressError {
    pub compression: Compression,
    pub offset: u64,
    /// What was wrong, e.g. "ends early (the compressed file is truncated)" or
    /// "is corrupt (corrupt deflate stream)".
    pub what: String,
}

/// Bytes read so far from the source underneath (compressed bytes for a compressed capture),
/// shared with whoever shows progress: the decoders hold the source, the progress line does not.
#[derive(Clone, Debug, Default)]
pub struct ReadMeter(Arc<AtomicU64>);

impl ReadMeter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// The source with the bytes already taken from it for detection put back in front, counting
/// what it hands out. Remembers an I/O error of the source, which is not the stream's fault.
struct Source<R> {
    head: [u8; 4],
    head_len: usize,
    head_pos: usize,
    src: R,
    meter: ReadMeter,
    failed: bool,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let head = self
            .head
            .get(self.head_pos..self.head_len)
            .unwrap_or_default();
        let n = if head.is_empty() {
            match self.src.read(buf) {
                Ok(n) => n,
                Err(e) => {
                    self.failed = e.kind() != ErrorKind::Interrupted;
                    return Err(e);
                }
            }
        } else {
            let n = head.len().min(buf.len());
            if let (Some(to), Some(from)) = (buf.get_mut(..n), head.get(..n)) {
                to.copy_from_slice(from);
            }
            self.head_pos += n;
            n
        };
        self.meter.add(n);
        Ok(n)
    }
}

enum Inner<R: Read> {
    Plain(Source<R>),
    Gzip(MultiGzDecoder<BufReader<Source<R>>>),
    Zstd(zstd::stream::read::Decoder<'static, BufReader<Source<R>>>),
}

/// A capture's bytes: decompressed when the source starts with a gzip or zstd magic number,
/// else the source's own bytes. Give it to `CaptureReader::new` like any `Read`.
pub struct Decompressed<R: Read> {
    inner: Inner<R>,
    /// Decompressed bytes handed out so far (where an error happened).
    produced: u64,
    meter: ReadMeter,
}

impl<R: Read> Decompressed<R> {
    /// Looks at the first bytes of `src` for a compression's magic number. Only an I/O error
    /// of the source fails here; a corrupt stream fails on the first read.
    pub fn new(mut src: R) -> io::Result<Self> {
        let mut head = [0u8; 4];
        let mut head_len = 0;
        while head_len < head.len() {
            match src.read(head.get_mut(head_len..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => head_len += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let compression = Compression::detect(head.get(..head_len).unwrap_or_default());
        let meter = ReadMeter::default();
        let source = Source {
            head,
            head_len,
            head_pos: 0,
            src,
            meter: meter.clone(),
            failed: false,
        };
        let inner = match compression {
            None => Inner::Plain(source),
            Some(Compression::Gzip) => Inner::Gzip(MultiGzDecoder::new(BufReader::with_capacity(
                COMPRESSED_CHUNK,
                source,
            ))),
            Some(Compression::Zstd) => {
                let buffered = BufReader::with_capacity(COMPRESSED_CHUNK, source);
                let mut decoder = zstd::stream::read::Decoder::with_buffer(buffered)?;
                decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
                Inner::Zstd(decoder)
            }
        };
        Ok(Decompressed {
            inner,
            produced: 0,
            meter,
        })
    }

    /// The compression detected; None for a plain capture.
    pub fn compression(&self) -> Option<Compression> {
        match self.inner {
            Inner::Plain(_) => None,
            Inner::Gzip(_) => Some(Compression::Gzip),
            Inner::Zstd(_) => Some(Compression::Zstd),
        }
    }

    /// Counts the bytes read from the source (compressed ones for a compressed capture).
    pub fn meter(&self) -> ReadMeter {
        self.meter.clone()
    }

    /// The source's own I/O error stays what it is; anything else a decoder says is the
    /// stream's fault, named with the compression and the offset reached.
    fn stream_error(
        &self,
        compression: Compression,
        e: io::Error,
        source_failed: bool,
    ) -> io::Error {
        if source_failed || e.kind() == ErrorKind::Interrupted {
            return e;
        }
        let text = e.to_string();
        let what = if e.kind() == ErrorKind::UnexpectedEof {
            "ends early (the compressed file is truncated)".to_string()
        } else if text.contains("too much memory") {
            // libzstd's words for a window over `window_log_max`.
            format!(
                "needs a window over the {} MiB limit ({text})",
                1u32 << (ZSTD_WINDOW_LOG_MAX - 20)
            )
        } else {
            format!("is corrupt ({text})")
        };
        io::Error::new(
            ErrorKind::InvalidData,
            DecompressError {
                compression,
                offset: self.produced,
                what,
            },
        )
    }
}

impl<R: Read> Read for Decompressed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(DECOMPRESSED_CHUNK);
        let result = match &mut self.inner {
            Inner::Plain(src) => return src.read(buf),
            Inner::Gzip(d) => d
                .read(buf.get_mut(..len).unwrap_or_default())
                .map_err(|e| (Compression::Gzip, e, d.get_ref().get_ref().failed)),
            Inner::Zstd(d) => d
                .read(buf.get_mut(..len).unwrap_or_default())
                .map_err(|e| (Compression::Zstd, e, d.get_ref().get_ref().failed)),
        };
        match result {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            Err((compression, e, failed)) => Err(self.stream_error(compression, e, failed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// With a checksum, as the zstd command writes by default (the library does not).
    fn zstd(data: &[u8]) -> Vec<u8> {
        let mut e = zstd::stream::Encoder::new(Vec::new(), 3).unwrap();
        e.include_checksum(true).unwrap();
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Bytes that compress to about half (4 random bits a byte): several zstd blocks.
    fn sample(n: usize) -> Vec<u8> {
        let mut x: u32 = 1;
        (0..n)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 28) as u8
            })
            .collect()
    }

    fn read_all(bytes: &[u8]) -> (Option<Compression>, io::Result<Vec<u8>>, u64) {
        let mut d = Decompressed::new(bytes).unwrap();
        let mut out = Vec::new();
        let r = d.read_to_end(&mut out).map(|_| out);
        (d.compression(), r, d.meter().get())
    }

    #[test]
    fn magic_numbers() {
        assert_eq!(
            Compression::detect(&[0x1f, 0x8b, 8, 0]),
            Some(Compression::Gzip)
        );
        assert_eq!(
            Compression::detect(&[0x28, 0xb5, 0x2f, 0xfd]),
            Some(Compression::Zstd)
        );
        assert_eq!(
            Compression::detect(&[0x5a, 0x2a, 0x4d, 0x18]),
            Some(Compression::Zstd)
        );
        // pcap, pcapng, too short.
        assert_eq!(Compression::detect(&[0xd4, 0xc3, 0xb2, 0xa1]), None);
        assert_eq!(Compression::detect(&[0x0a, 0x0d, 0x0d, 0x0a]), None);
        assert_eq!(Compression::detect(&[0x28, 0xb5, 0x2f]), None);
        assert_eq!(Compression::detect(&[0x1f]), None);
    }

    #[test]
    fn plain_bytes_pass_through() {
        for n in [0, 1, 3, 4, 5, 100_000] {
            let data = sample(n);
            let (c, out, meter) = read_all(&data);
            assert_eq!(c, None);
            assert_eq!(out.unwrap(), data, "{n} bytes");
            assert_eq!(meter, n as u64);
        }
    }

    #[test]
    fn gzip_and_zstd_decompress() {
        let data = sample(300_000);
        let gz = gzip(&data);
        let (c, out, meter) = read_all(&gz);
        assert_eq!(c, Some(Compression::Gzip));
        assert_eq!(out.unwrap(), data);
        assert_eq!(meter, gz.len() as u64, "the meter counts compressed bytes");
        let zs = zstd(&data);
        let (c, out, meter) = read_all(&zs);
        assert_eq!(c, Some(Compression::Zstd));
        assert_eq!(out.unwrap(), data);
        assert_eq!(meter, zs.len() as u64);
    }

    /// `cat a.gz b.gz` is one gzip file of two members; zstd frames concatenate the same way.
    #[test]
    fn several_members_and_frames() {
        let (a, b) = (sample(5000), sample(7000));
        let whole = [a.clone(), b.clone()].concat();
        let (_, out, _) = read_all(&[gzip(&a), gzip(&b)].concat());
        assert_eq!(out.unwrap(), whole);
        let (_, out, _) = read_all(&[zstd(&a), zstd(&b)].concat());
        assert_eq!(out.unwrap(), whole);
        // A skippable frame first (as pzstd writes): 0x184D2A50, length 4, 4 bytes.
        let skippable = [0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
        let (c, out, _) = read_all(&[&skippable[..], &zstd(&a)].concat());
        assert_eq!(c, Some(Compression::Zstd));
        assert_eq!(out.unwrap(), a);
    }

    fn error_of(bytes: &[u8]) -> (Vec<u8>, DecompressError) {
        let mut d = Decompressed::new(bytes).unwrap();
        let mut out = vec![0u8; 4096];
        let mut got = Vec::new();
        loop {
            match d.read(&mut out) {
                Ok(0) => panic!("the stream read to its end"),
                Ok(n) => got.extend_from_slice(&out[..n]),
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidData);
                    let inner = e.into_inner().unwrap();
                    return (got, *inner.downcast::<DecompressError>().unwrap());
                }
            }
        }
    }

    #[test]
    fn a_truncated_stream_names_the_compression_and_the_offset() {
        let data = sample(300_000);
        for (compression, bytes) in [
            (Compression::Gzip, gzip(&data)),
            (Compression::Zstd, zstd(&data)),
        ] {
            let cut = &bytes[..bytes.len() * 2 / 3];
            let (got, e) = error_of(cut);
            assert_eq!(e.compression, compression);
            assert_eq!(e.offset, got.len() as u64);
            assert!(
                got.len() > 1000,
                "{compression}: {} bytes before the cut of {} at {}: {e}",
                got.len(),
                bytes.len(),
                cut.len()
            );
            assert!(
                got == data[..got.len()],
                "{compression}: what came before the cut"
            );
            assert_eq!(
                e.to_string(),
                format!(
                    "{compression} stream ends early (the compressed file is truncated) after {} \
                     bytes of decompressed capture",
                    got.len()
                )
            );
        }
        // Cut right after the magic number.
        let (_, e) = error_of(&gzip(&data)[..4]);
        assert_eq!(e.offset, 0);
    }

    #[test]
    fn a_corrupt_stream_is_an_error() {
        let data = sample(300_000);
        for bytes in [gzip(&data), zstd(&data)] {
            let mut bad = bytes.clone();
            let mid = bad.len() / 2;
            for b in &mut bad[mid..mid + 64] {
                *b ^= 0x5a;
            }
            // What came before the damage may already be garbage (the check is at the end).
            let (_, e) = error_of(&bad);
            assert!(e.what.starts_with("is corrupt ("), "{e}");
        }
        // A gzip trailer whose CRC does not match.
        let mut bad = gzip(&data);
        let n = bad.len();
        bad[n - 8] ^= 1;
        let (got, e) = error_of(&bad);
        assert!(got == data, "the data was all there, the check failed");
        assert!(e.to_string().starts_with("gzip stream is corrupt ("), "{e}");
    }

    /// A zstd frame that asks for a window over the cap is refused, not allocated.
    #[test]
    fn a_zstd_window_over_the_cap_is_refused() {
        // Frame header: magic, descriptor 0 (window descriptor follows, no checksum, no dict,
        // no content size), window descriptor exponent 31 - 10 = 21 → 2 GiB.
        let frame = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x01, 0x00, 0x00];
        let (_, e) = error_of(&frame);
        assert_eq!(e.compression, Compression::Zstd);
        assert_eq!(
            e.to_string(),
            "zstd stream needs a window over the 128 MiB limit (Frame requires too much memory \
             for decoding) after 0 bytes of decompressed capture"
        );
    }

    /// The source's own read error is passed on as it is, not blamed on the stream.
    #[test]
    fn an_io_error_of_the_source_stays_an_io_error() {
        struct Fails(Vec<u8>);
        impl Read for Fails {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Ok(n)
            }
        }
        let gz = gzip(&sample(100_000));
        let mut d = Decompressed::new(Fails(gz[..gz.len() / 2].to_vec())).unwrap();
        let e = d.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
    }
}
