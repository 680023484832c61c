//! TLS record headers, the first handshake message, the ClientHello (`proto::tls`), and the
//! capped `Reassembly` of a TCP direction.
//!
//! Input: `mode(1) base(4) rest`. The parsers run on `rest`. The reassembly is then fed
//! segments carved from `rest`: `offset(2, signed, from base) len(2) kind(1)` followed by `len`
//! input bytes (kind bit 0: a run of `len` copies of one byte instead, for large segments).
//!
//! Properties, besides "no panic, no abort":
//! - `probe` is "a handshake record header"; a header's fields are the input's, in range;
//! - `first_handshake`: Ok only for a handshake record, the message is `4 + length` bytes
//!   (<= `REASM_CAP`) starting at the first record's body, and stays Ok, identical, when more
//!   bytes follow; `parse_client_hello` accepts only type 1, names/versions inside the message;
//! - [MS-TURN] pseudo-TLS: a pseudo-TLS ClientHello is TLS 1.0 without extensions; a pseudo-TLS
//!   ServerHello record is a handshake record whose body ends in an empty ServerHelloDone;
//! - `Reassembly`: never holds more than `REASM_CAP` bytes, its prefix is never longer than what
//!   it holds; with a fixed base its prefix is exactly the bytes of a simple model (last write
//!   wins at `seq - base`, window `[0, REASM_CAP)`), whole when no cap was hit.
#![no_main]

use std::borrow::Cow;

use callpath::proto::tls::{self, Reassembly, REASM_CAP};
use libfuzzer_sys::fuzz_target;

fn inside(inner: &[u8], outer: &[u8]) -> bool {
    let (i, o) = (inner.as_ptr_range(), outer.as_ptr_range());
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fn parsers(data: &[u8]) {
    let h = tls::parse_record_header(data);
    assert_eq!(tls::probe(data), h.is_some_and(|h| h.content_type == 22));
    if let Some(h) = h {
        assert_eq!(h.content_type, data[0]);
        assert_eq!(h.version, u16::from_be_bytes([data[1], data[2]]));
        assert_eq!(
            h.length,
            usize::from(u16::from_be_bytes([data[3], data[4]]))
        );
        assert!((1..=tls::MAX_RECORD_LEN).contains(&h.length));
    }
    if let Ok(hs) = tls::first_handshake(data) {
        assert!(tls::probe(data));
        assert!(hs.len() >= 4 && hs.len() <= REASM_CAP);
        assert_eq!(
            hs.len(),
            4 + (usize::from(hs[1]) << 16 | usize::from(hs[2]) << 8 | usize::from(hs[3]))
        );
        assert_eq!(hs[0], data[5]);
        if let Cow::Borrowed(b) = &hs {
            assert!(inside(b, data));
        }
        let mut longer = data.to_vec();
        longer.extend_from_slice(&[0x16, 3, 3, 0, 1, 0]);
        assert_eq!(
            tls::first_handshake(&longer).as_deref(),
            Ok(&hs[..]),
            "more bytes changed the message"
        );
        client_hello(&hs);
    }
    client_hello(data);
}

fn client_hello(hs: &[u8]) {
    if let Some(ch) = tls::parse_client_hello(hs) {
        assert_eq!(hs[0], 1);
        assert!((0x0300..=0x0304).contains(&ch.legacy_version));
        if let Some(n) = ch.server_name {
            assert!(inside(n, hs));
        }
        let mut alpn = 0usize;
        for a in ch.alpn() {
            assert!(inside(a, hs));
            alpn += 1 + a.len();
        }
        assert!(alpn <= hs.len());
        assert!(ch.versions().count() <= hs.len() / 2 + 1);
        if tls::is_pseudo_tls_client_hello(&ch) {
            assert!(ch.legacy_version == 0x0301 && !ch.has_extensions);
            assert!(ch.server_name.is_none() && ch.alpn().next().is_none());
        }
    }
    if tls::is_pseudo_tls_server_hello(hs) {
        assert!(tls::probe(hs));
        assert_eq!(hs.get(5), Some(&2));
        let end = 5 + usize::from(u16::from_be_bytes([hs[3], hs[4]]));
        assert_eq!(&hs[end - 4..end], &[14, 0, 0, 0]);
    }
}

/// Filled bytes of the fixed-base window.
struct Model(Vec<Option<u8>>);

impl Model {
    fn insert(&mut self, base: u32, seq: u32, data: &[u8]) {
        let diff = i64::from(seq.wrapping_sub(base) as i32);
        for (i, &b) in data.iter().enumerate() {
            let at = diff + i as i64;
            if (0..REASM_CAP as i64).contains(&at) {
                self.0[at as usize] = Some(b);
            }
        }
    }

    fn prefix(&self) -> Vec<u8> {
        self.0.iter().map_while(|b| *b).collect()
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let Some((b, data)) = rest.split_first_chunk::<4>() else {
        return;
    };
    parsers(data);

    let base = u32::from_be_bytes(*b);
    let fixed = mode & 1 != 0;
    let mut r = Reassembly::new(base, fixed);
    let mut model = Model(vec![None; REASM_CAP]);
    let mut run = Vec::new();
    let mut rest = data;
    while let Some((h, tail)) = rest.split_first_chunk::<5>() {
        let off = i16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let seq = base.wrapping_add_signed(i32::from(off));
        let seg: &[u8] = if h[4] & 1 != 0 {
            run.clear();
            run.resize(len, h[4]);
            rest = tail;
            &run
        } else {
            let (seg, t) = tail.split_at(len.min(tail.len()));
            rest = t;
            seg
        };
        r.insert(seq, seg);
        assert!(r.len() <= REASM_CAP, "reassembly holds {} bytes", r.len());
        assert!(r.prefix().len() <= r.len());
        assert_eq!(r.is_empty(), r.len() == 0);
        if fixed {
            model.insert(base, seq, seg);
            let want = model.prefix();
            let got = r.prefix();
            assert!(got.len() <= want.len(), "prefix has bytes never written");
            assert_eq!(
                got,
                &want[..got.len()],
                "prefix bytes differ from the last writes"
            );
            if r.caps_hit == 0 {
                assert_eq!(got.len(), want.len(), "prefix short without a cap hit");
            }
        }
    }
});
