//! Writing pcapng (`callpath watch --write`): a section header, one interface description per
//! capture point (`if_name`, `if_tsresol` 9: nanoseconds), then one enhanced packet block per
//! packet (draft-ietf-opsawg-pcapng §4.1-4.3), little-endian, so the same packets can be
//! audited again offline with their capture points.

use std::io::{self, Write};

/// A pcapng stream being written.
pub struct PcapngWriter<W: Write> {
    out: W,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// One option: code, length, value padded to 32 bits.
fn option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_le_bytes());
    buf.extend_from_slice(value);
    buf.extend(std::iter::repeat_n(0u8, pad4(value.len())));
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and one interface block per `(name, linktype, snaplen)`.
    pub fn new(mut out: W, interfaces: &[(&str, u32, u32)]) -> io::Result<PcapngWriter<W>> {
        // Section header: byte-order magic, version 1.0, section length unknown (-1).
        let mut body = Vec::new();
        body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        option(&mut body, 4, b"callpath watch"); // shb_userappl
        option(&mut body, 0, b"");
        write_block(&mut out, 0x0A0D_0D0A, &body)?;
        for &(name, linktype, snaplen) in interfaces {
            let mut body = Vec::new();
            body.extend_from_slice(&(linktype as u16).to_le_bytes());
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&snaplen.to_le_bytes());
            // Names longer than an option can hold are cut (interface names are 15 bytes).
            let name = name.as_bytes();
            option(
                &mut body,
                2,
                name.get(..name.len().min(1024)).unwrap_or_default(),
            );
            option(&mut body, 9, &[9]); // if_tsresol: 10^-9 s
            option(&mut body, 0, b"");
            write_block(&mut out, 1, &body)?;
        }
        Ok(PcapngWriter { out })
    }

    /// One packet of interface `interface` (its index in `new`'s list).
    pub fn packet(
        &mut self,
        interface: u32,
        ts_ns: i64,
        data: &[u8],
        orig_len: u32,
    ) -> io::Result<()> {
        let ts = u64::try_from(ts_ns).unwrap_or(0);
        let mut head = [0u8; 20];
        let fields = [
            interface,
            (ts >> 32) as u32,
            ts as u32,
            data.len() as u32,
            orig_len.max(data.len() as u32),
        ];
        for (chunk, v) in head.chunks_exact_mut(4).zip(fields) {
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        let pad = pad4(data.len());
        let total = (12 + head.len() + data.len() + pad) as u32;
        self.out.write_all(&6u32.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out
            .write_all([0u8; 3].get(..pad).unwrap_or_default())?;
        self.out.write_all(&total.to_le_bytes())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn write_block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureReader, FrameSource};

    #[test]
    fn what_is_written_reads_back() {
        let mut buf = Vec::new();
        {
            let mut w =
                PcapngWriter::new(&mut buf, &[("er0", 1, 262_144), ("inet0", 1, 262_144)]).unwrap();
            w.packet(1, 1_793_610_000_123_456_789, &[1, 2, 3, 4, 5], 60)
                .unwrap();
            w.packet(0, 1_793_610_001_000_000_000, &[9; 8], 8).unwrap();
            w.flush().unwrap();
        }
        let mut r = CaptureReader::new(std::io::Cursor::new(buf)).unwrap();
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!(
            (f.interface, f.ts_ns, f.data, f.orig_len),
            (1, 1_793_610_000_123_456_789, &[1u8, 2, 3, 4, 5][..], 60)
        );
        let f = r.next_frame().unwrap().unwrap();
        assert_eq!((f.interface, f.data.len()), (0, 8));
        assert!(r.next_frame().unwrap().is_none());
        let names: Vec<Option<&str>> = r.interfaces().iter().map(|i| i.name.as_deref()).collect();
        assert_eq!(names, [Some("er0"), Some("inet0")]);
    }
}
