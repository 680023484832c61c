//! STUN / TURN parsing (`proto::stun`) on arbitrary bytes.
//!
//! Properties, besides "no panic, no abort":
//! - `parse` succeeds only when `probe` does; a parsed message plus the rest is exactly the
//!   input, its transaction id is 12 (cookie) or 16 (classic) bytes, and the message alone
//!   parses back to the same message with nothing left;
//! - attributes and decoded addresses stay inside the message;
//! - `parse_channel_data`, `parse_ms_frame`, `parse_ms_multiplexed`: the header fields are the
//!   input's, body and rest are inside the input and never overlap;
//! - `ice_check` answers only for a Binding request, its USERNAME (when kept) is one inside
//!   the message with exactly one ':' and both parts non-empty; `ice_username` keeps exactly
//!   such strings; `channel_bind` answers only for a ChannelBind request with the cookie, its
//!   channel in 0x4000..=0x7FFF; `channel_number` only for 4 bytes;
//! - `walk` returns as many units (STUN messages + relayed bodies) as it reported, at most
//!   `MAX_ITEMS_PER_PAYLOAD` (1 for UDP), every unit inside the input, in order.
#![no_main]

use callpath::proto::stun::{self, Item};
use libfuzzer_sys::fuzz_target;

/// `inner` lies within `outer` (empty slices are anywhere).
fn inside(inner: &[u8], outer: &[u8]) -> bool {
    let (i, o) = (inner.as_ptr_range(), outer.as_ptr_range());
    inner.is_empty() || (o.start <= i.start && i.end <= o.end)
}

fn offset(inner: &[u8], outer: &[u8]) -> usize {
    inner.as_ptr() as usize - outer.as_ptr() as usize
}

/// RFC 8445 §7.2.2 `remote-ufrag:local-ufrag`: one ':', both parts non-empty.
fn check_ufrags(u: &str) {
    assert_eq!(u.matches(':').count(), 1);
    assert!(!u.starts_with(':') && !u.ends_with(':'));
}

fn check_message(m: &stun::Message<'_>, data: &[u8]) {
    assert_eq!(m.transaction_id.len(), if m.cookie { 12 } else { 16 });
    assert!(inside(m.attrs, data) && inside(m.transaction_id, data));
    let _ = (m.method(), m.class(), m.is_ms_turn());
    let mut n = 0usize;
    for a in m.attributes() {
        assert!(inside(a.value, m.attrs), "attribute outside the message");
        let _ = (m.address(&a, true), m.address(&a, false));
        n += 1;
        assert!(
            n <= m.attrs.len() / 4,
            "more attributes than TLV headers fit"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let probed = stun::probe(data);
    if let Some((m, rest)) = stun::parse(data) {
        assert!(probed, "parse accepted what probe rejected");
        assert_eq!(m.wire_len() + rest.len(), data.len());
        assert!(inside(rest, data));
        check_message(&m, data);
        let (again, tail) = stun::parse(&data[..m.wire_len()]).expect("message alone parses");
        assert_eq!(again, m);
        assert!(tail.is_empty());
        if let Some(c) = stun::ice_check(&m) {
            assert_eq!(
                (m.method(), m.class()),
                (stun::method::BINDING, stun::Class::Request)
            );
            if let Some(u) = c.username {
                assert!(inside(u.as_bytes(), m.attrs));
                check_ufrags(u);
            }
        }
        if let Some((ch, _peer)) = stun::channel_bind(&m) {
            assert_eq!(
                (m.method(), m.class(), m.cookie),
                (stun::method::CHANNEL_BIND, stun::Class::Request, true)
            );
            assert!((0x4000..=0x7FFF).contains(&ch));
        }
    }
    if let Some(u) = stun::ice_username(data) {
        assert_eq!(u.as_bytes(), data);
        check_ufrags(u);
    }
    if let Some(ch) = stun::channel_number(data) {
        assert_eq!(data.len(), 4);
        assert!((0x4000..=0x7FFF).contains(&ch));
    }

    if let Some((ch, body, rest)) = stun::parse_channel_data(data) {
        assert!((0x4000..=0x7FFF).contains(&ch));
        assert_eq!(u16::from_be_bytes([data[0], data[1]]), ch);
        assert_eq!(offset(body, data), 4);
        assert!(inside(body, data) && inside(rest, data));
        assert!(4 + body.len() + rest.len() <= data.len());
    }
    if let Some((kind, body, rest)) = stun::parse_ms_frame(data) {
        assert!(kind == stun::MS_FRAME_CONTROL || kind == stun::MS_FRAME_DATA);
        assert_eq!(
            usize::from(u16::from_be_bytes([data[2], data[3]])),
            body.len()
        );
        assert_eq!(4 + body.len() + rest.len(), data.len());
    }
    if let Some((sid, body, rest)) = stun::parse_ms_multiplexed(data) {
        let mut id = [0u8; 8];
        id.copy_from_slice(&data[4..12]);
        assert_eq!(sid, u64::from_be_bytes(id));
        assert_eq!(12 + body.len() + rest.len(), data.len());
    }

    for tcp in [false, true] {
        let mut units = 0usize;
        let mut end = 0usize; // units are found in order, without overlap
        let n = stun::walk(data, tcp, |item| match item {
            Item::Stun(m) => {
                check_message(&m, data);
                let start = offset(m.transaction_id, data) - if m.cookie { 8 } else { 4 };
                assert!(start >= end, "units overlap or go backwards");
                end = start + m.wire_len();
                assert!(end <= data.len());
                units += 1;
            }
            Item::Relayed(b) => {
                assert!(inside(b, data));
                if !b.is_empty() {
                    assert!(offset(b, data) >= end, "units overlap or go backwards");
                    end = offset(b, data) + b.len();
                }
                units += 1;
            }
            Item::MsFrame => {}
        });
        assert_eq!(n, units, "walk's count differs from the units it reported");
        assert!(n <= if tcp { stun::MAX_ITEMS_PER_PAYLOAD } else { 1 });
        if !tcp && n == 1 && stun::parse(data).is_some_and(|(_, r)| r.is_empty()) {
            assert_eq!(end, data.len());
        }
    }
});
