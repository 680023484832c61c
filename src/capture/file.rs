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
