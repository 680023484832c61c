//! The capture-file `FrameSource`: a streaming reader of pcap and pcapng files through one
//! growable buffer.
//!
//! Formats: pcap (draft-ietf-opsawg-pcap), micro- and nanosecond, either byte order, and the
//! "modified" (Kuznetzov) variant; pcapng (draft-ietf-opsawg-pcapng) with any number of sections
//! and interfaces. Section and interface blocks are parsed with `pcap-parser`; the packet
//! records themselves (EPB, SPB, PB and pcap records) are read here, without allocating, since
//! they are the hot path. Every length read from the file is checked against a cap before any
//! byte is buffered for it.

use std::io::{ErrorKind, Read};

use pcap_parser::pcapng::Block;

use super::{Format, Frame, FrameSource, Interface, TsUnit};
use crate::error::{CaptureError, CaptureWarning, Position};

/// The largest pcapng block (or pcap record) accepted. Larger lengths are corruption.
pub const MAX_BLOCK_BYTES: usize = 16 * 1024 * 1024;
/// The largest captured packet accepted when the file's own snaplen does not allow more.
/// 262 144 is libpcap's MAXIMUM_SNAPLEN.
pub const MAX_PACKET_BYTES: u32 = 262_144;
/// Interfaces accepted in one file (all sections together).
pub const MAX_INTERFACES: usize = 65_536;
/// Warnings kept word for word per file; further ones are only counted.
pub const MAX_WARNINGS_KEPT: usize = 20;

const READ_CHUNK: usize = 1 << 20;
const PCAPNG_SHB: u32 = 0x0A0D_0D0A;
const PCAPNG_BOM: u32 = 0x1A2B_3C4D;
const BLOCK_IDB: u32 = 1;
const BLOCK_PB: u32 = 2;
const BLOCK_SPB: u32 = 3;
const BLOCK_EPB: u32 = 6;

/// Reads one capture file, one frame at a time.
pub struct CaptureReader<R: Read> {
    src: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// File offset of `buf[start]`.
    offset: u64,
    /// Records (pcap records or pcapng blocks) consumed so far.
    records: u64,
    format: Format,
    big_endian: bool,
    /// pcap only: nanosecond timestamps; 24-byte record headers.
    pcap_nanos: bool,
    pcap_modified: bool,
    /// Index in `interfaces` where the current pcapng section's interfaces start.
    section_base: usize,
    sections: u32,
    interfaces: Vec<Interface>,
    warnings: Vec<CaptureWarning>,
    warnings_total: u64,
    finished: bool,
    /// Read every block the general way (`general_path_only`).
    general_only: bool,
}

impl<R: Read> CaptureReader<R> {
    /// Reads the file header and detects the format by its magic number.
    pub fn new(src: R) -> Result<Self, CaptureError> {
        let mut reader = CaptureReader {
            src,
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
            records: 0,
            format: Format::Pcap,
            big_endian: false,
            pcap_nanos: false,
            pcap_modified: false,
            section_base: 0,
            sections: 0,
            interfaces: Vec::new(),
            warnings: Vec::new(),
            warnings_total: 0,
            finished: false,
            general_only: false,
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// Reads every block through the general path, without the shortcut for plain EPBs: for
    /// tests that check both give the same frames, warnings and errors.
    #[doc(hidden)]
    pub fn general_path_only(mut self) -> Self {
        self.general_only = true;
        self
    }

    fn position(&self) -> Position {
        Position {
            record: self.records + 1,
            offset: self.offset,
        }
    }

    fn warn(&mut self, at: Option<Position>, what: String) {
        self.warnings_total += 1;
        if self.warnings.len() < MAX_WARNINGS_KEPT {
            self.warnings.push(CaptureWarning { at, what });
        }
    }

    /// Makes at least `need` bytes available at `buf[start..]`; false at end of file.
    fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        while self.end - self.start < need {
            if self.eof {
                return Ok(false);
            }
            if self.start + need > self.buf.len() || self.end == self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
                if need > self.buf.len() {
                    // `need` is capped by the callers at MAX_BLOCK_BYTES.
                    self.buf
                        .resize(need.next_power_of_two().min(MAX_BLOCK_BYTES), 0);
                }
            }
            let space = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.src.read(space) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(CaptureError::Io(e.to_string())),
            }
        }
        Ok(true)
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// The current block without its trailing length: the fields of a packet block must fit
    /// here, never run on into the trailer or the next block.
    fn block_body(&self, total_len: usize) -> &[u8] {
        self.available()
            .get(..total_len.saturating_sub(4))
            .unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
        self.records += 1;
    }

    fn u32_at(&self, data: &[u8], at: usize) -> Option<u32> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u16_at(&self, data: &[u8], at: usize) -> Option<u16> {
        let b: [u8; 2] = data.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn read_header(&mut self) -> Result<(), CaptureError> {
        if !self.fill(4)? {
            let have = self.end - self.start;
            return Err(if have == 0 {
                CaptureError::Empty
            } else {
                CaptureError::TruncatedHeader { have, need: 4 }
            });
        }
        let magic_bytes: [u8; 4] = self
            .available()
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        let magic = u32::from_le_bytes(magic_bytes);
        match magic {
            PCAPNG_SHB => {
                self.format = Format::Pcapng;
                Ok(())
            }
            0xa1b2_c3d4 | 0xa1b2_3c4d | 0xa1b2_cd34 | 0xd4c3_b2a1 | 0x4d3c_b2a1 | 0x34cd_b2a1 => {
                self.format = Format::Pcap;
                self.read_pcap_header()
            }
            _ => Err(CaptureError::UnknownFormat(u32::from_be_bytes(magic_bytes))),
        }
    }

    fn read_pcap_header(&mut self) -> Result<(), CaptureError> {
        const HEADER_LEN: usize = 24;
        if !self.fill(HEADER_LEN)? {
            return Err(CaptureError::TruncatedHeader {
                have: self.end - self.start,
                need: HEADER_LEN,
            });
        }
        // Read by hand: pcap-parser 0.17 does not know the big-endian "modified" magic
        // (0x34cdb2a1), which made a complete header read as a truncated one.
        let head = self.available();
        let magic = head
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .unwrap_or_default();
        let (big_endian, nanos, modified) = match magic {
            0xa1b2_c3d4 => (false, false, false),
            0xa1b2_3c4d => (false, true, false),
            0xa1b2_cd34 => (false, false, true),
            0xd4c3_b2a1 => (true, false, false),
            0x4d3c_b2a1 => (true, true, false),
            0x34cd_b2a1 => (true, false, true),
            _ => return Err(CaptureError::UnknownFormat(magic.swap_bytes())),
        };
        self.big_endian = big_endian;
        self.pcap_nanos = nanos;
        self.pcap_modified = modified;
        let head = self.available();
        let snaplen = self.u32_at(head, 16).unwrap_or_default();
        let linktype = self.u32_at(head, 20).unwrap_or_default();
        // Some writers put the FCS length in the top bits of the link type (pcap draft §4).
        let linktype = linktype & 0x0fff_ffff;
        self.interfaces.push(Interface {
            name: None,
            linktype,
            snaplen,
            section: 0,
            ts_unit: TsUnit::Pow10(if self.pcap_nanos { 9 } else { 6 }),
            ts_offset_s: 0,
        });
        self.start += HEADER_LEN;
        self.offset += HEADER_LEN as u64;
        Ok(())
    }

    /// The next packet, `Ok(None)` at the end of the file. After an error the reader is done.
    ///
    /// The common case is inlined into the caller's loop, the frame staying in registers (see
    /// `decode::decode`); the rest is `next_frame_general`.
    #[inline(always)]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        // Nearly every frame: a plain EPB wholly in the buffer (see `plain_epb`).
        if self.format == Format::Pcapng && !self.general_only && !self.finished {
            if let Some(loc) = self.plain_epb() {
                return Ok(Some(self.frame_at(loc)));
            }
        }
        self.next_frame_general()
    }

    #[inline(never)]
    fn next_frame_general(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        let result = match self.format {
            Format::Pcap => self.next_pcap_record(),
            Format::Pcapng => self.next_pcapng_packet(),
        };
        match result {
            Ok(Some(loc)) => Ok(Some(self.frame_at(loc))),
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(e) => {
                self.finished = true;
                Err(e)
            }
        }
    }

    fn frame_at(&self, loc: FrameLoc) -> Frame<'_> {
        let data = self
            .buf
            .get(loc.data_start..loc.data_end)
            .unwrap_or_default();
        Frame {
            ts_ns: loc.ts_ns,
            interface: loc.interface,
            linktype: loc.linktype,
            data,
            orig_len: loc.orig_len,
        }
    }

    /// Called when the file ends inside a record: a warning, per SPEC ("a file that merely ends
    /// in the middle of its last record is a warning").
    fn truncated_at_end(
        &mut self,
        what: &str,
        need: usize,
    ) -> Result<Option<FrameLoc>, CaptureError> {
        let have = self.end - self.start;
        if self.format == Format::Pcapng && self.sections == 0 {
            // The first section header is the pcapng file header: without it nothing of the
            // file is usable, as with a pcap file header (not a "last record").
            return Err(CaptureError::TruncatedHeader { have, need });
        }
        let at = self.position();
        self.warn(
            Some(at),
            format!("file ends inside the last {what} ({have} of {need} bytes present)"),
        );
        Ok(None)
    }

    fn next_pcap_record(&mut self) -> Result<Option<FrameLoc>, CaptureError> {
        let header_len = if self.pcap_modified { 24 } else { 16 };
        if !self.fill(header_len)? {
            if self.end == self.start {
                return Ok(None);
            }
            return self.truncated_at_end("record header", header_len);
        }
        let at = self.position();
        let head = self.available();
        let (Some(ts_sec), Some(ts_frac), Some(caplen), Some(orig_len)) = (
            self.u32_at(head, 0),
            self.u32_at(head, 4),
            self.u32_at(head, 8),
            self.u32_at(head, 12),
        ) else {
            return Ok(None);
        };
        let Some(iface) = self.interfaces.first() else {
            return Ok(None);
        };
        let (snaplen, linktype) = (iface.snaplen, iface.linktype);
        let limit = snaplen.max(MAX_PACKET_BYTES);
        if caplen > limit {
            return Err(CaptureError::corrupt(
                at,
                format!("captured length {caplen} exceeds the file's snaplen {snaplen} and the {MAX_PACKET_BYTES}-byte limit"),
            ));
        }
        if header_len + caplen as usize > MAX_BLOCK_BYTES {
            // A snaplen near 2^32 must not let a record outgrow the buffer cap: `fill` would
            // stop at the cap and the record would pass for a truncated last record.
            return Err(CaptureError::corrupt(
                at,
                format!("captured length {caplen} exceeds the {MAX_BLOCK_BYTES}-byte record limit"),
            ));
        }
        if caplen > snaplen && snaplen != 0 {
            self.warn(
                Some(at),
                format!("captured length {caplen} exceeds the file's snaplen {snaplen}"),
            );
        }
        if caplen > orig_len {
            self.warn(
                Some(at),
                format!("captured length {caplen} exceeds the original length {orig_len}"),
            );
        }
        let total = header_len + caplen as usize;
        if !self.fill(total)? {
            return self.truncated_at_end("packet record", total);
        }
        let frac_ns = if self.pcap_nanos {
            u64::from(ts_frac)
        } else {
            u64::from(ts_frac) * 1000
        };
        let ts_ns = i64::from(ts_sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(frac_ns as i64);
        let data_start = self.start + header_len;
        let loc = FrameLoc {
            ts_ns,
            interface: 0,
            linktype,
            data_start,
            data_end: data_start + caplen as usize,
            orig_len,
        };
        self.consume(total);
        Ok(Some(loc))
    }

    fn next_pcapng_packet(&mut self) -> Result<Option<FrameLoc>, CaptureError> {
        loop {
            if !self.fill(12)? {
                if self.end == self.start {
                    return Ok(None);
                }
                return self.truncated_at_end("block header", 12);
            }
            let at = self.position();
            let head = self.available();
            let block_type_le = head
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .unwrap_or_default();
            if block_type_le == PCAPNG_SHB {
                let bom_bytes: [u8; 4] = head
                    .get(8..12)
                    .and_then(|b| b.try_into().ok())
                    .unwrap_or_default();
                self.big_endian = match u32::from_le_bytes(bom_bytes) {
                    PCAPNG_BOM => false,
                    x if x == PCAPNG_BOM.swap_bytes() => true,
                    x => {
                        return Err(CaptureError::corrupt(
                            at,
                            format!("section header byte-order magic {x:#010x} is not 0x1a2b3c4d in either byte order"),
                        ))
                    }
                };
            }
            let head = self.available();
            let block_type = self.u32_at(head, 0).unwrap_or_default();
            let total_len = self.u32_at(head, 4).unwrap_or_default() as usize;
            if total_len < 12 {
                return Err(CaptureError::corrupt(
                    at,
                    format!("block length {total_len} is less than the 12-byte minimum (block type {block_type:#x})"),
                ));
            }
            if total_len % 4 != 0 {
                return Err(CaptureError::corrupt(
                    at,
                    format!("block length {total_len} is not a multiple of 4 (block type {block_type:#x})"),
                ));
            }
            if total_len > MAX_BLOCK_BYTES {
                return Err(CaptureError::corrupt(
                    at,
                    format!("block length {total_len} exceeds the {MAX_BLOCK_BYTES}-byte limit (block type {block_type:#x})"),
                ));
            }
            if !self.fill(total_len)? {
                return self.truncated_at_end("block", total_len);
            }
            let block = self.available().get(..total_len).unwrap_or_default();
            let trailer = self.u32_at(block, total_len - 4).unwrap_or_default() as usize;
            if trailer != total_len {
                return Err(CaptureError::corrupt(
                    at,
                    format!("block length {total_len} at the start but {trailer} at the end (block type {block_type:#x})"),
                ));
            }
            let found = match block_type {
                PCAPNG_SHB => {
                    self.read_section_header(at)?;
                    None
                }
                BLOCK_IDB => {
                    self.read_interface(at)?;
                    None
                }
                BLOCK_EPB => Some(self.enhanced_packet(at, total_len)?),
                BLOCK_SPB => Some(self.simple_packet(at, total_len)?),
                BLOCK_PB => Some(self.obsolete_packet(at, total_len)?),
                _ => None,
            };
            self.consume(total_len);
            if let Some(loc) = found {
                return Ok(Some(loc));
            }
        }
    }

    /// The block nearly every packet comes in, read in one go: a little-endian EPB wholly in
    /// the buffer, of an interface its section describes, with lengths that need no warning.
    /// None for anything else, which the general path then reads; for the blocks taken here
    /// it would give the same frame (a property test compares the two).
    #[inline(always)]
    fn plain_epb(&mut self) -> Option<FrameLoc> {
        const HEADER: usize = 28;
        if self.big_endian {
            return None;
        }
        let avail = self.available();
        let head: &[u8; HEADER] = avail.get(..HEADER)?.try_into().ok()?;
        let [t0, t1, t2, t3, l0, l1, l2, l3, i0, i1, i2, i3, h0, h1, h2, h3, w0, w1, w2, w3, c0, c1, c2, c3, o0, o1, o2, o3] =
            *head;
        let total_len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        if u32::from_le_bytes([t0, t1, t2, t3]) != BLOCK_EPB
            || total_len % 4 != 0
            || total_len > MAX_BLOCK_BYTES
        {
            return None;
        }
        let trailer: [u8; 4] = avail
            .get(total_len.checked_sub(4)?..total_len)?
            .try_into()
            .ok()?;
        let caplen = u32::from_le_bytes([c0, c1, c2, c3]);
        let orig_len = u32::from_le_bytes([o0, o1, o2, o3]);
        // The data must end before the trailing length (total_len >= 32 follows).
        if u32::from_le_bytes(trailer) as usize != total_len
            || caplen as usize > total_len.checked_sub(HEADER + 4)?
            || caplen > orig_len
        {
            return None;
        }
        let local_id = u32::from_le_bytes([i0, i1, i2, i3]) as usize;
        if local_id >= self.interfaces.len() - self.section_base {
            return None;
        }
        let interface = self.section_base + local_id;
        let iface = self.interfaces.get(interface)?;
        if iface.snaplen != 0 && caplen > iface.snaplen {
            return None;
        }
        let raw = u64::from(u32::from_le_bytes([h0, h1, h2, h3])) << 32
            | u64::from(u32::from_le_bytes([w0, w1, w2, w3]));
        let loc = FrameLoc {
            ts_ns: iface
                .ts_unit
                .to_ns(raw)
                .saturating_add(iface.ts_offset_s.saturating_mul(1_000_000_000)),
            interface: interface as u32,
            linktype: iface.linktype,
            data_start: self.start + HEADER,
            data_end: self.start + HEADER + caplen as usize,
            orig_len,
        };
        self.consume(total_len);
        Some(loc)
    }

    fn read_section_header(&mut self, at: Position) -> Result<(), CaptureError> {
        let block = self.available();
        let parsed = if self.big_endian {
            pcap_parser::pcapng::parse_sectionheaderblock_be(block)
        } else {
            pcap_parser::pcapng::parse_sectionheaderblock_le(block)
        };
        if let Err(e) = parsed {
            return Err(CaptureError::corrupt(
                at,
                format!("malformed section header block ({})", nom_error_kind(&e)),
            ));
        }
        self.sections += 1;
        self.section_base = self.interfaces.len();
        Ok(())
    }

    fn read_interface(&mut self, at: Position) -> Result<(), CaptureError> {
        if self.sections == 0 {
            return Err(CaptureError::corrupt(
                at,
                "interface block before any section header",
            ));
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(CaptureError::corrupt(
                at,
                format!("more than {MAX_INTERFACES} interfaces in one file"),
            ));
        }
        let block = self.available();
        let parsed = if self.big_endian {
            pcap_parser::pcapng::parse_block_be(block)
        } else {
            pcap_parser::pcapng::parse_block_le(block)
        };
        let idb = match parsed {
            Ok((_, Block::InterfaceDescription(idb))) => idb,
            Ok(_) => {
                return Err(CaptureError::corrupt(
                    at,
                    "malformed interface description block",
                ))
            }
            Err(e) => {
                return Err(CaptureError::corrupt(
                    at,
                    format!(
                        "malformed interface description block ({})",
                        nom_error_kind(&e)
                    ),
                ))
            }
        };
        let name = idb
            .if_name()
            .and_then(Result::ok)
            .or_else(|| idb.if_description().and_then(Result::ok))
            .map(|s| s.trim_end_matches('\0').to_string())
            .filter(|s| !s.is_empty());
        let iface = Interface {
            name,
            linktype: idb.linktype.0 as u32,
            snaplen: idb.snaplen,
            section: self.sections - 1,
            ts_unit: TsUnit::from_tsresol(idb.if_tsresol),
            ts_offset_s: idb.if_tsoffset,
        };
        self.interfaces.push(iface);
        Ok(())
    }

    /// Global interface index and its link type for a section-local interface id.
    fn interface_for(
        &self,
        at: Position,
        local_id: u32,
    ) -> Result<(u32, u32, TsUnit, i64), CaptureError> {
        let section_count = self.interfaces.len() - self.section_base;
        let index = self.section_base + local_id as usize;
        match self.interfaces.get(index) {
            Some(i) if (local_id as usize) < section_count => {
                Ok((index as u32, i.linktype, i.ts_unit, i.ts_offset_s))
            }
            _ => Err(CaptureError::corrupt(
                at,
                format!(
                    "packet names interface {local_id}, but its section describes {section_count}"
                ),
            )),
        }
    }

    fn packet_data_range(
        &self,
        at: Position,
        body_start: usize,
        caplen: u32,
        total_len: usize,
    ) -> Result<(usize, usize), CaptureError> {
        // The block body ends 4 bytes before the block's end (the trailing length).
        let room = total_len.saturating_sub(body_start + 4);
        if caplen as usize > room {
            return Err(CaptureError::corrupt(
                at,
                format!("captured length {caplen} does not fit in its {total_len}-byte block"),
            ));
        }
        let start = self.start + body_start;
        Ok((start, start + caplen as usize))
    }

    fn enhanced_packet(
        &mut self,
        at: Position,
        total_len: usize,
    ) -> Result<FrameLoc, CaptureError> {
        let block = self.block_body(total_len);
        let fields = (
            self.u32_at(block, 8),
            self.u32_at(block, 12),
            self.u32_at(block, 16),
            self.u32_at(block, 20),
            self.u32_at(block, 24),
        );
        let (Some(if_id), Some(ts_high), Some(ts_low), Some(caplen), Some(orig_len)) = fields
        else {
            return Err(CaptureError::corrupt(
                at,
                format!(
                    "enhanced packet block of {total_len} bytes is shorter than its 32-byte header"
                ),
            ));
        };
        let header = PacketHeader {
            if_id,
            ts_high,
            ts_low,
            caplen,
            orig_len,
        };
        self.timestamped_packet(at, total_len, header)
    }

    /// The frame of an EPB or obsolete PB: both carry their data 28 bytes into the block.
    fn timestamped_packet(
        &mut self,
        at: Position,
        total_len: usize,
        h: PacketHeader,
    ) -> Result<FrameLoc, CaptureError> {
        let (interface, linktype, unit, ts_offset_s) = self.interface_for(at, h.if_id)?;
        let (data_start, data_end) = self.packet_data_range(at, 28, h.caplen, total_len)?;
        self.check_lengths(at, h.caplen, h.orig_len, interface);
        let raw = (u64::from(h.ts_high) << 32) | u64::from(h.ts_low);
        let ts_ns = unit
            .to_ns(raw)
            .saturating_add(ts_offset_s.saturating_mul(1_000_000_000));
        Ok(FrameLoc {
            ts_ns,
            interface,
            linktype,
            data_start,
            data_end,
            orig_len: h.orig_len,
        })
    }

    fn simple_packet(&mut self, at: Position, total_len: usize) -> Result<FrameLoc, CaptureError> {
        let block = self.block_body(total_len);
        let Some(orig_len) = self.u32_at(block, 8) else {
            return Err(CaptureError::corrupt(
                at,
                "simple packet block is shorter than its header",
            ));
        };
        let (interface, linktype, _, _) = self.interface_for(at, 0)?;
        let snaplen = self
            .interfaces
            .get(interface as usize)
            .map(|i| i.snaplen)
            .unwrap_or(0);
        // SPB (pcapng draft §4.4): captured length = min(original length, snaplen, room).
        let room = total_len.saturating_sub(16) as u32;
        let mut caplen = orig_len.min(room);
        if snaplen != 0 {
            caplen = caplen.min(snaplen);
        }
        let (data_start, data_end) = self.packet_data_range(at, 12, caplen, total_len)?;
        Ok(FrameLoc {
            ts_ns: 0,
            interface,
            linktype,
            data_start,
            data_end,
            orig_len,
        })
    }

    fn obsolete_packet(
        &mut self,
        at: Position,
        total_len: usize,
    ) -> Result<FrameLoc, CaptureError> {
        let block = self.block_body(total_len);
        let fields = (
            self.u16_at(block, 8),
            self.u32_at(block, 12),
            self.u32_at(block, 16),
            self.u32_at(block, 20),
            self.u32_at(block, 24),
        );
        let (Some(if_id), Some(ts_high), Some(ts_low), Some(caplen), Some(orig_len)) = fields
        else {
            return Err(CaptureError::corrupt(
                at,
                "packet block is shorter than its header",
            ));
        };
        let header = PacketHeader {
            if_id: u32::from(if_id),
            ts_high,
            ts_low,
            caplen,
            orig_len,
        };
        self.timestamped_packet(at, total_len, header)
    }

    fn check_lengths(&mut self, at: Position, caplen: u32, orig_len: u32, interface: u32) {
        if caplen > orig_len {
            self.warn(
                Some(at),
                format!("captured length {caplen} exceeds the original length {orig_len}"),
            );
        }
        let snaplen = self
            .interfaces
            .get(interface as usize)
            .map(|i| i.snaplen)
            .unwrap_or(0);
        if snaplen != 0 && caplen > snaplen {
            self.warn(
                Some(at),
                format!("captured length {caplen} exceeds the interface's snaplen {snaplen}"),
            );
        }
    }
}

impl<R: Read> FrameSource for CaptureReader<R> {
    #[inline(always)]
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        CaptureReader::next_frame(self)
    }

    fn format(&self) -> Format {
        self.format
    }

    fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    fn warnings(&self) -> &[CaptureWarning] {
        &self.warnings
    }

    fn warnings_total(&self) -> u64 {
        self.warnings_total
    }

    fn bytes_read(&self) -> u64 {
        self.offset
    }
}

/// The fixed fields of an EPB or obsolete PB.
#[derive(Clone, Copy)]
struct PacketHeader {
    if_id: u32,
    ts_high: u32,
    ts_low: u32,
    caplen: u32,
    orig_len: u32,
}

/// Where a frame's bytes are in the buffer; turned into a borrowed `Frame` at the end.
struct FrameLoc {
    ts_ns: i64,
    interface: u32,
    linktype: u32,
    data_start: usize,
    data_end: usize,
    orig_len: u32,
}

fn nom_error_kind<I>(e: &pcap_parser::nom::Err<pcap_parser::PcapError<I>>) -> String {
    match e {
        pcap_parser::nom::Err::Incomplete(_) => {
            "its contents are shorter than their lengths say".into()
        }
        pcap_parser::nom::Err::Error(pe) | pcap_parser::nom::Err::Failure(pe) => match pe {
            pcap_parser::PcapError::NomError(_, kind)
            | pcap_parser::PcapError::OwnedNomError(_, kind) => {
                format!("{kind:?}")
            }
            other => describe(other).to_string(),
        },
    }
}

fn describe<I>(e: &pcap_parser::PcapError<I>) -> &'static str {
    match e {
        pcap_parser::PcapError::Eof => "end of file",
        pcap_parser::PcapError::HeaderNotRecognized => "header not recognized",
        _ => "malformed",
    }
}

#[cfg(test)]
mod tests {
    //! The reader on small hand-written files: each byte literal is laid out field by field as
    //! the pcap (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng) drafts define it.

    use super::*;
    use crate::capture::FrameSource;

    /// A frame's fields, owned, to compare whole.
    #[derive(Debug, PartialEq)]
    struct Got {
        ts_ns: i64,
        interface: u32,
        linktype: u32,
        data: Vec<u8>,
        orig_len: u32,
    }

    /// What reading a whole file gave: its frames, how it ended, and what the reader says.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        frames: Vec<Got>,
        end: Result<(), CaptureError>,
        format: Format,
        interfaces: Vec<Interface>,
        warnings: Vec<CaptureWarning>,
        warnings_total: u64,
        bytes_read: u64,
    }

    /// Reads a whole file, through the shortcut for plain EPBs unless `general_only`.
    fn read(bytes: &[u8], general_only: bool) -> Outcome {
        let Ok(mut r) = CaptureReader::new(bytes) else {
            panic!("the file header does not read");
        };
        if general_only {
            r = r.general_path_only();
        }
        let mut frames = Vec::new();
        let end = loop {
            match r.next_frame() {
                Ok(Some(f)) => frames.push(Got {
                    ts_ns: f.ts_ns,
                    interface: f.interface,
                    linktype: f.linktype,
                    data: f.data.to_vec(),
                    orig_len: f.orig_len,
                }),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        // Done stays done.
        assert!(matches!(r.next_frame(), Ok(None)));
        Outcome {
            frames,
            end,
            format: r.format(),
            interfaces: r.interfaces().to_vec(),
            warnings: r.warnings().to_vec(),
            warnings_total: r.warnings_total(),
            bytes_read: r.bytes_read(),
        }
    }

    /// Reads a pcapng file both ways (the EPB shortcut and the general path), which must agree.
    fn read_pcapng(bytes: &[u8]) -> Outcome {
        let fast = read(bytes, false);
        assert_eq!(fast, read(bytes, true));
        fast
    }

    fn header_error(bytes: &[u8]) -> CaptureError {
        match CaptureReader::new(bytes) {
            Ok(_) => panic!("the file header reads"),
            Err(e) => e,
        }
    }

    fn cat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    fn at(record: u64, offset: u64) -> Position {
        Position { record, offset }
    }

    // ---- pcap -------------------------------------------------------------------------------

    /// pcap file header, little-endian, microseconds: magic, version 2.4, thiszone, sigfigs,
    /// snaplen 65535, link type 1 (Ethernet).
    const PCAP_LE: [u8; 24] = [
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];

    /// pcap record, little-endian: ts 1 s + 2 (µs or ns), caplen 4, original length 60, data.
    const RECORD_LE: [u8; 20] = [
        1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 60, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef,
    ];

    #[test]
    fn pcap_little_endian_one_record() {
        let file = cat(&[&PCAP_LE, &RECORD_LE]);
        let f = read(&file, false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.frames,
            [Got {
                ts_ns: 1_000_002_000,
                interface: 0,
                linktype: 1,
                data: vec![0xde, 0xad, 0xbe, 0xef],
                orig_len: 60,
            }]
        );
        assert_eq!(f.format, Format::Pcap);
        assert_eq!(
            f.interfaces,
            [Interface {
                name: None,
                linktype: 1,
                snaplen: 65_535,
                section: 0,
                ts_unit: TsUnit::Pow10(6),
                ts_offset_s: 0,
            }]
        );
        assert!(f.warnings.is_empty());
        assert_eq!(f.warnings_total, 0);
        assert_eq!(f.bytes_read, 44);
    }

    #[test]
    fn pcap_big_endian() {
        // Magic, version 2.4, thiszone, sigfigs, snaplen 65535, link type 101 (raw IP).
        let header = [
            0xa1, 0xb2, 0xc3, 0xd4, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0,
            101,
        ];
        // ts 1 s + 2 µs, caplen 4, original length 4, data.
        let record = [
            0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4, 0x45, 0, 0, 4,
        ];
        let f = read(&cat(&[&header, &record]), false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.frames,
            [Got {
                ts_ns: 1_000_002_000,
                interface: 0,
                linktype: 101,
                data: vec![0x45, 0, 0, 4],
                orig_len: 4,
            }]
        );
        assert_eq!(f.interfaces[0].snaplen, 65_535);
    }

    #[test]
    fn pcap_nanosecond_magic() {
        let mut header = PCAP_LE;
        header[..4].copy_from_slice(&[0x4d, 0x3c, 0xb2, 0xa1]);
        let f = read(&cat(&[&header, &RECORD_LE]), false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(f.frames[0].ts_ns, 1_000_000_002);
        assert_eq!(f.interfaces[0].ts_unit, TsUnit::Pow10(9));
        // Big-endian nanoseconds too.
        let header = [
            0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0,
            1,
        ];
        let record = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0xaa];
        let f = read(&cat(&[&header, &record]), false);
        assert_eq!(f.frames[0].ts_ns, 1_000_000_002);
    }

    #[test]
    fn pcap_modified_records_have_24_byte_headers() {
        let mut header = PCAP_LE;
        header[..4].copy_from_slice(&[0x34, 0xcd, 0xb2, 0xa1]);
        // The usual 16 bytes, then ifindex 3, protocol 0x0800, packet type 0, padding.
        let record = [
            1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 8, 0, 0, 0xca, 0xfe,
        ];
        let f = read(&cat(&[&header, &record]), false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(f.frames[0].data, [0xca, 0xfe]);
        assert_eq!(f.frames[0].ts_ns, 1_000_002_000);
        assert_eq!(f.bytes_read, 24 + 26);
    }

    #[test]
    fn pcap_record_cut_by_the_end_of_the_file_is_a_warning() {
        // Record 2 has its header and 2 of its 4 bytes.
        let file = cat(&[&PCAP_LE, &RECORD_LE, &RECORD_LE[..18]]);
        let f = read(&file, false);
        assert_eq!(f.frames.len(), 1);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.warnings,
            [CaptureWarning {
                at: Some(at(2, 44)),
                what: "file ends inside the last packet record (18 of 20 bytes present)".into(),
            }]
        );
        assert_eq!(
            f.warnings[0].to_string(),
            "record 2 at byte offset 44: file ends inside the last packet record (18 of 20 bytes \
             present)"
        );
        // Cut inside the record header.
        let f = read(&cat(&[&PCAP_LE, &RECORD_LE[..10]]), false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.warnings[0].to_string(),
            "record 1 at byte offset 24: file ends inside the last record header (10 of 16 bytes \
             present)"
        );
    }

    #[test]
    fn pcap_caplen_over_snaplen_is_a_warning() {
        let mut header = PCAP_LE;
        header[16..20].copy_from_slice(&[2, 0, 0, 0]); // snaplen 2
        let f = read(&cat(&[&header, &RECORD_LE]), false);
        assert_eq!(f.end, Ok(()));
        assert_eq!(f.frames[0].data.len(), 4, "the frame is kept whole");
        assert_eq!(
            f.warnings,
            [CaptureWarning {
                at: Some(at(1, 24)),
                what: "captured length 4 exceeds the file's snaplen 2".into(),
            }]
        );
        // And over the original length.
        let mut record = RECORD_LE;
        record[12..16].copy_from_slice(&[3, 0, 0, 0]);
        let f = read(&cat(&[&PCAP_LE, &record]), false);
        assert_eq!(
            f.warnings[0].to_string(),
            "record 1 at byte offset 24: captured length 4 exceeds the original length 3"
        );
    }

    #[test]
    fn pcap_caplen_over_every_limit_is_corrupt() {
        let mut record = RECORD_LE;
        record[8..12].copy_from_slice(&0x0004_0001u32.to_le_bytes()); // 262 145
        let f = read(&cat(&[&PCAP_LE, &RECORD_LE, &record]), false);
        assert_eq!(f.frames.len(), 1, "what was read before is kept");
        assert_eq!(
            f.end.map_err(|e| e.to_string()),
            Err(
                "record 2 at byte offset 44: captured length 262145 exceeds the file's snaplen \
                 65535 and the 262144-byte limit"
                    .to_owned()
            )
        );
    }

    // ---- pcapng -----------------------------------------------------------------------------

    /// Section Header Block, little-endian: type, length 28, byte-order magic, version 1.0,
    /// section length -1 (unknown), length again.
    const SHB: [u8; 28] = [
        0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
    ];

    /// Interface Description Block: type 1, length 40, link type 1, reserved, snaplen 65535;
    /// options if_name "er0" (code 2), if_tsresol 3 = milliseconds (code 9), opt_endofopt;
    /// length again.
    const IDB_ER0_MS: [u8; 40] = [
        1, 0, 0, 0, 40, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0, //
        2, 0, 3, 0, b'e', b'r', b'0', 0, //
        9, 0, 1, 0, 3, 0, 0, 0, //
        0, 0, 0, 0, 40, 0, 0, 0,
    ];

    /// Interface Description Block without options: link type 1, snaplen 2.
    const IDB_SNAPLEN_2: [u8; 20] = [1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 20, 0, 0, 0];

    /// Enhanced Packet Block: type 6, length 36, interface 0, timestamp 1500 (high, low),
    /// caplen 4, original length 4, data, length again.
    const EPB: [u8; 36] = [
        6, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xdc, 0x05, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0,
        0xde, 0xad, 0xbe, 0xef, 36, 0, 0, 0,
    ];

    #[test]
    fn pcapng_epb_with_if_tsresol() {
        let file = cat(&[&SHB, &IDB_ER0_MS, &EPB]);
        let f = read_pcapng(&file);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.frames,
            [Got {
                ts_ns: 1_500_000_000, // 1500 ms
                interface: 0,
                linktype: 1,
                data: vec![0xde, 0xad, 0xbe, 0xef],
                orig_len: 4,
            }]
        );
        assert_eq!(f.format, Format::Pcapng);
        assert_eq!(
            f.interfaces,
            [Interface {
                name: Some("er0".into()),
                linktype: 1,
                snaplen: 65_535,
                section: 0,
                ts_unit: TsUnit::Pow10(3),
                ts_offset_s: 0,
            }]
        );
        assert!(f.warnings.is_empty());
        assert_eq!(f.bytes_read, 28 + 40 + 36);
    }

    #[test]
    fn pcapng_simple_packet_block() {
        // SPB: type 3, length 24, original length 6, 6 bytes of data + 2 of padding, length.
        let spb = [
            3, 0, 0, 0, 24, 0, 0, 0, 6, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 24, 0, 0, 0,
        ];
        let f = read_pcapng(&cat(&[&SHB, &IDB_ER0_MS, &spb]));
        assert_eq!(f.end, Ok(()));
        // No timestamp in an SPB; the data is the original length, not the padded room.
        assert_eq!(
            f.frames,
            [Got {
                ts_ns: 0,
                interface: 0,
                linktype: 1,
                data: vec![1, 2, 3, 4, 5, 6],
                orig_len: 6,
            }]
        );
        // The interface's snaplen cuts it further.
        let f = read_pcapng(&cat(&[&SHB, &IDB_SNAPLEN_2, &spb]));
        assert_eq!(f.frames[0].data, [1, 2]);
        assert_eq!(f.frames[0].orig_len, 6);
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn pcapng_block_cut_by_the_end_of_the_file_is_a_warning() {
        let file = cat(&[&SHB, &IDB_ER0_MS, &EPB, &EPB[..30]]);
        let f = read_pcapng(&file);
        assert_eq!(f.frames.len(), 1);
        assert_eq!(f.end, Ok(()));
        assert_eq!(
            f.warnings[0].to_string(),
            "record 4 at byte offset 104: file ends inside the last block (30 of 36 bytes present)"
        );
        // Without a complete section header nothing is usable: the file header is truncated.
        let f = read(&SHB[..20], false);
        assert_eq!(
            f.end,
            Err(CaptureError::TruncatedHeader { have: 20, need: 28 })
        );
    }

    /// The block lengths a pcapng reader must refuse (pcapng draft §3.1: a multiple of 4, at
    /// least 12), and one over `MAX_BLOCK_BYTES`: the file is corrupt at that block.
    #[test]
    fn pcapng_bad_block_lengths_are_corrupt() {
        let cases: [([u8; 4], &str); 3] = [
            (
                [30, 0, 0, 0],
                "block length 30 is not a multiple of 4 (block type 0x6)",
            ),
            (
                [8, 0, 0, 0],
                "block length 8 is less than the 12-byte minimum (block type 0x6)",
            ),
            (
                [4, 0, 0, 1],
                "block length 16777220 exceeds the 16777216-byte limit (block type 0x6)",
            ),
        ];
        for (len, what) in cases {
            // An EPB header with that length, then zeros.
            let mut bad = [0u8; 36];
            bad[0] = 6;
            bad[4..8].copy_from_slice(&len);
            let f = read_pcapng(&cat(&[&SHB, &IDB_ER0_MS, &EPB, &bad]));
            assert_eq!(f.frames.len(), 1, "{what}");
            assert_eq!(
                f.end,
                Err(CaptureError::Corrupt {
                    at: at(4, 104),
                    what: what.into(),
                })
            );
        }
        // The lengths at the start and the end of a block differ.
        let mut bad = EPB;
        bad[32] = 40;
        let f = read_pcapng(&cat(&[&SHB, &IDB_ER0_MS, &bad]));
        assert_eq!(
            f.end.map_err(|e| e.to_string()),
            Err(
                "record 3 at byte offset 68: block length 36 at the start but 40 at the end \
                 (block type 0x6)"
                    .to_owned()
            )
        );
    }

    #[test]
    fn pcapng_epb_of_an_unknown_interface_is_corrupt() {
        let mut epb = EPB;
        epb[8] = 1; // interface 1; the section describes only interface 0
        let f = read_pcapng(&cat(&[&SHB, &IDB_ER0_MS, &epb]));
        assert!(f.frames.is_empty());
        assert_eq!(
            f.end,
            Err(CaptureError::Corrupt {
                at: at(3, 68),
                what: "packet names interface 1, but its section describes 1".into(),
            })
        );
        // No interface at all.
        let f = read_pcapng(&cat(&[&SHB, &EPB]));
        assert_eq!(
            f.end.map_err(|e| e.to_string()),
            Err(
                "record 2 at byte offset 28: packet names interface 0, but its section describes \
                 0"
                .to_owned()
            )
        );
    }

    #[test]
    fn pcapng_caplen_over_snaplen_is_a_warning() {
        let f = read_pcapng(&cat(&[&SHB, &IDB_SNAPLEN_2, &EPB]));
        assert_eq!(f.end, Ok(()));
        assert_eq!(f.frames[0].data.len(), 4, "the frame is kept whole");
        assert_eq!(
            f.warnings,
            [CaptureWarning {
                at: Some(at(3, 48)),
                what: "captured length 4 exceeds the interface's snaplen 2".into(),
            }]
        );
        assert_eq!(f.warnings_total, 1);
    }

    // ---- not a capture ----------------------------------------------------------------------

    #[test]
    fn empty_file() {
        assert_eq!(header_error(&[]), CaptureError::Empty);
        assert_eq!(header_error(&[]).to_string(), "file is empty");
    }

    #[test]
    fn unknown_magic() {
        let e = header_error(b"GIF89a\x01\x00");
        assert_eq!(e, CaptureError::UnknownFormat(0x4749_4638));
        assert_eq!(
            e.to_string(),
            "not a pcap or pcapng file (magic number 0x47494638)"
        );
    }

    #[test]
    fn truncated_file_headers() {
        assert_eq!(
            header_error(&PCAP_LE[..3]),
            CaptureError::TruncatedHeader { have: 3, need: 4 }
        );
        let e = header_error(&PCAP_LE[..10]);
        assert_eq!(e, CaptureError::TruncatedHeader { have: 10, need: 24 });
        assert_eq!(e.to_string(), "file header is truncated (10 of 24 bytes)");
    }
}
