//! The pcapng reader's shortcut for plain EPBs gives exactly what its general path gives:
//! the same frames, warnings and errors, on valid and on damaged files (issue 5).

mod support;

use std::io::Cursor;

use callpath::capture::{CaptureReader, FrameSource};
use proptest::prelude::*;
use support::builder::*;

/// A frame as comparable values: time, interface, link type, bytes, original length.
type FrameValues = (i64, u32, u32, Vec<u8>, u32);

/// Everything a read of `bytes` gives, as comparable values.
fn read(bytes: &[u8], general_only: bool) -> (Vec<FrameValues>, String) {
    let reader = CaptureReader::new(Cursor::new(bytes));
    let mut reader = match reader {
        Ok(r) if general_only => r.general_path_only(),
        Ok(r) => r,
        Err(e) => return (Vec::new(), format!("header: {e}")),
    };
    let mut frames = Vec::new();
    let end = loop {
        match reader.next_frame() {
            Ok(Some(f)) => frames.push((
                f.ts_ns,
                f.interface,
                f.linktype,
                f.data.to_vec(),
                f.orig_len,
            )),
            Ok(None) => break String::new(),
            Err(e) => break e.to_string(),
        }
    };
    let outcome = format!(
        "{end} | {:?} | {} warnings | {} bytes | {:?}",
        reader.warnings(),
        reader.warnings_total(),
        reader.bytes_read(),
        reader.interfaces()
    );
    (frames, outcome)
}

/// A pcapng file: `sections` sections of either byte order, each with interfaces of varied
/// snaplens and timestamp units, then packets whose captured and original lengths vary
/// (within the block, beyond the snaplen, beyond the original length), some naming an
/// interface the section lacks.
fn capture(seed: &[u8], big_endian_second: bool) -> Vec<u8> {
    let mut ng = Pcapng::new();
    let mut at = seed.iter().copied().cycle();
    let mut next = move || u32::from(at.next().unwrap_or(0));
    for section in 0..2 {
        if section == 1 {
            ng.section();
            ng.big_endian(big_endian_second);
        }
        let ifaces = 1 + next() % 3;
        for i in 0..ifaces {
            ng.interface(Iface {
                tsresol: [None, Some(9), Some(0x80 | 20)][(i % 3) as usize],
                snaplen: [0, 64, 262_144][(next() % 3) as usize],
                ..Iface::new(LINKTYPE_ETHERNET)
            });
        }
        for p in 0..12 {
            let len = 14 + (next() as usize * 3) % 120;
            let frame: Vec<u8> = (0..len).map(|b| (b as u32 + p) as u8).collect();
            // Now and then an interface the section does not describe (an error).
            let if_id = if next() % 16 == 0 {
                ifaces
            } else {
                next() % ifaces
            };
            let caplen = match next() % 4 {
                0 => len as u32 - 2,
                _ => len as u32,
            };
            let orig = match next() % 5 {
                0 => caplen - 1,
                _ => len as u32 + next() % 3,
            };
            ng.packet_raw(
                if_id,
                1_700_000_000_000_000_000 + i64::from(p) * 1000,
                &frame[..caplen as usize],
                caplen,
                orig,
            );
        }
    }
    ng.to_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_epb_shortcut_reads_as_the_general_path(
        seed in proptest::collection::vec(any::<u8>(), 1..64),
        big_endian_second: bool,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        cut in any::<usize>(),
        do_cut: bool,
    ) {
        let mut bytes = capture(&seed, big_endian_second);
        let len = bytes.len();
        for (at, value) in flips {
            if let Some(b) = bytes.get_mut(at % len) {
                *b = value;
            }
        }
        if do_cut {
            bytes.truncate(cut % (len + 1));
        }
        let general = read(&bytes, true);
        let shortcut = read(&bytes, false);
        prop_assert_eq!(shortcut, general);
    }
}

/// The shortcut is taken for ordinary files (else the test above would compare the general
/// path with itself): a clean capture gives every packet, with no warning.
#[test]
fn clean_captures_read_the_same_both_ways() {
    let bytes = capture(&[7, 1, 2, 3, 4, 5], false);
    let (frames, outcome) = read(&bytes, false);
    assert!(!frames.is_empty());
    assert_eq!((frames, outcome), read(&bytes, true));
}
