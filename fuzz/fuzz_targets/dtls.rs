//! DTLS record parsing (`proto::dtls`) on arbitrary bytes.
//!
//! Properties, besides "no panic, no abort":
//! - `parse` and `parse_datagram` accept only what `probe` accepts;
//! - a record's header fields are the input's bytes; header + body + rest is the input;
//!   a handshake type is reported only for an epoch-0 handshake record, and is its first byte;
//! - `parse_datagram` counts exactly the records a `parse` loop finds (1..=16, all of the
//!   input) and reports the first record's handshake type among them.
#![no_main]

use callpath::proto::dtls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let probed = dtls::probe(data);
    if let Some((r, rest)) = dtls::parse(data) {
        assert!(probed, "parse accepted what probe rejected");
        assert_eq!(r.content_type, data[0]);
        assert!((20..=25).contains(&r.content_type));
        assert_eq!(r.version, u16::from_be_bytes([data[1], data[2]]));
        assert_eq!(r.epoch, u16::from_be_bytes([data[3], data[4]]));
        assert!(r.sequence < 1 << 48);
        assert_eq!(
            dtls::RECORD_HEADER_LEN + r.body.len() + rest.len(),
            data.len()
        );
        match r.handshake_type() {
            Some(t) => {
                assert!(r.content_type == 22 && r.epoch == 0);
                assert_eq!(Some(&t), r.body.first());
            }
            None => assert!(r.content_type != 22 || r.epoch != 0 || r.body.is_empty()),
        }
    } else {
        assert!(dtls::parse_datagram(data).is_none());
    }

    let dg = dtls::parse_datagram(data);
    if let Some(dg) = dg {
        assert!(probed);
        // An independent walk.
        let mut rest = data;
        let mut records = 0u8;
        let mut hs = None;
        while !rest.is_empty() {
            let (r, tail) = dtls::parse(rest).expect("every record of an accepted datagram parses");
            hs = hs.or(r.handshake_type());
            records += 1;
            rest = tail;
        }
        assert_eq!((dg.records, dg.handshake), (records, hs));
        assert!((1..=16).contains(&dg.records));
    } else if !probed {
        assert!(dtls::parse(data).is_none());
    }
});
