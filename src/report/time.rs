//! RFC 3339 UTC timestamps from nanoseconds since the Unix epoch, without a date library.

/// Appends `ts_ns` as RFC 3339 UTC to `out`: `2026-11-02T09:00:30.671420Z`, microseconds, or
/// nanoseconds when they are not zero. Built in one fixed buffer and copied once: it runs twice
/// per flow, a million times on a large capture.
pub fn write_rfc3339(out: &mut Vec<u8>, ts_ns: i64) {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let nanos = ts_ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let four_digit_year = (0..=9999).contains(&y);
    if !four_digit_year {
        // Outside RFC 3339's four-digit years (i64 nanoseconds cannot reach them): still
        // unambiguous.
        out.extend_from_slice(y.to_string().as_bytes());
    }
    let mut text = *b"0000-00-00T00:00:00.000000000Z";
    put_digits(&mut text, 0, y as u64, 4);
    put_digits(&mut text, 5, u64::from(m), 2);
    put_digits(&mut text, 8, u64::from(d), 2);
    put_digits(&mut text, 11, (tod / 3600) as u64, 2);
    put_digits(&mut text, 14, ((tod % 3600) / 60) as u64, 2);
    put_digits(&mut text, 17, (tod % 60) as u64, 2);
    let end = if nanos % 1000 == 0 {
        put_digits(&mut text, 20, (nanos / 1000) as u64, 6);
        26
    } else {
        put_digits(&mut text, 20, nanos as u64, 9);
        29
    };
    if let Some(z) = text.get_mut(end) {
        *z = b'Z';
    }
    let from = if four_digit_year { 0 } else { 4 };
    out.extend_from_slice(text.get(from..=end).unwrap_or_default());
}

/// Writes `n` as exactly `width` decimal digits (zero-padded; higher digits dropped) at `at`.
#[inline]
fn put_digits(text: &mut [u8], at: usize, mut n: u64, width: usize) {
    if let Some(slots) = text.get_mut(at..at + width) {
        for slot in slots.iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
/// Low-Level Date Algorithms").
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rfc3339(ts_ns: i64) -> String {
        let mut out = Vec::new();
        write_rfc3339(&mut out, ts_ns);
        String::from_utf8(out).unwrap()
    }

    /// The fields formatted one by one, as the writer did before it used one buffer.
    fn by_fields(ts_ns: i64) -> String {
        let secs = ts_ns.div_euclid(1_000_000_000);
        let nanos = ts_ns.rem_euclid(1_000_000_000);
        let tod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let fraction = if nanos % 1000 == 0 {
            format!("{:06}", nanos / 1000)
        } else {
            format!("{nanos:09}")
        };
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{fraction}Z",
            tod / 3600,
            tod % 3600 / 60,
            tod % 60
        )
    }

    proptest! {
        #[test]
        fn same_text_as_field_by_field(ts_ns: i64, micros in -4_000_000_000_000_000i64..4_000_000_000_000_000) {
            prop_assert_eq!(rfc3339(ts_ns), by_fields(ts_ns));
            prop_assert_eq!(rfc3339(micros * 1000), by_fields(micros * 1000));
        }
    }

    #[test]
    fn formats() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_793_610_030_671_420_000),
            "2026-11-02T09:00:30.671420Z"
        );
        assert_eq!(
            rfc3339(951_782_400_000_000_001),
            "2000-02-29T00:00:00.000000001Z"
        );
        assert_eq!(rfc3339(-1_000_000_000), "1969-12-31T23:59:59.000000Z");
        assert_eq!(rfc3339(i64::MAX), "2262-04-11T23:47:16.854775807Z");
        assert_eq!(rfc3339(i64::MIN), "1677-09-21T00:12:43.145224192Z");
    }
}
