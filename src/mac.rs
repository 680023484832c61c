//! MAC addresses as text, both ways: the one formatter (lower-case, colon-separated hex) for the
//! reports, the `interfaces` statistics and the site profile's messages, and the parser of the
//! site profile's `macs`.

/// Formats a MAC address as lower-case colon-separated hex.
pub fn text(m: [u8; 6]) -> String {
    String::from_utf8_lossy(&bytes(m)).into_owned()
}

/// A MAC address as lower-case colon-separated hex, built in registers from a table: two MACs
/// per sighting, every flow, in the JSON report.
pub fn bytes(m: [u8; 6]) -> [u8; 17] {
    let [a, b, c, d, e, f] = m.map(|byte| {
        HEX_PAIRS
            .get(usize::from(byte))
            .copied()
            .unwrap_or_default()
    });
    [
        a[0], a[1], b':', b[0], b[1], b':', c[0], c[1], b':', d[0], d[1], b':', e[0], e[1], b':',
        f[0], f[1],
    ]
}

/// Each byte's two lower-case hex digits.
// Built at compile time: `n < 256` indexes the table.
#[allow(clippy::indexing_slicing)]
const HEX_PAIRS: [[u8; 2]; 256] = {
    let mut table = [[0u8; 2]; 256];
    let mut n = 0;
    while n < 256 {
        table[n] = [hex_digit((n >> 4) as u8), hex_digit((n & 0xf) as u8)];
        n += 1;
    }
    table
};

/// The lower-case hex digit of `n` (0 to 15).
pub(crate) const fn hex_digit(n: u8) -> u8 {
    if n < 10 {
        b'0' + n
    } else {
        b'a' + (n - 10)
    }
}

/// Parses a MAC address: six two-digit hex bytes separated by all ':' or all '-', any case
/// (IEEE 802 canonical form `02-00-00-00-0E-01`, or the common `02:00:00:00:0e:01`).
pub fn parse(s: &str) -> Option<[u8; 6]> {
    let sep = if s.contains(':') { ':' } else { '-' };
    let mut out = [0u8; 6];
    let mut n = 0;
    for part in s.split(sep) {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let slot = out.get_mut(n)?;
        *slot = u8::from_str_radix(part, 16).ok()?;
        n += 1;
    }
    (n == 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    fn a_mac_as_text() {
        assert_eq!(super::text([2, 0, 0, 0, 14, 1]), "02:00:00:00:0e:01");
    }

    #[test]
    fn both_spellings_parse() {
        use super::parse;
        assert_eq!(parse("02:00:00:00:0E:01"), Some([2, 0, 0, 0, 14, 1]));
        assert_eq!(parse("02-00-00-00-0e-01"), Some([2, 0, 0, 0, 14, 1]));
        for bad in [
            "02:00:00:00:0e",
            "02:00:00:00:0e:01:02",
            "02:00-00:00:0e:01",
            "2:0:0:0:e:1",
            "02:00:00:00:0e:zz",
            "0200.0000.0e01",
            "",
            "02:00:00:00:0e:+1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn text_is_lower_case_hex(m: [u8; 6]) {
            let expected = format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            );
            prop_assert_eq!(super::text(m), expected);
        }

        #[test]
        fn text_parses_back(m: [u8; 6]) {
            prop_assert_eq!(super::parse(&super::text(m)), Some(m));
        }
    }
}
