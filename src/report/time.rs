//! RFC 3339 timestamps to and from nanoseconds since the Unix epoch, without a date library:
//! the report writes them (UTC), `--since`/`--until` read them.

/// `ts_ns` as RFC 3339 UTC text (see `write_rfc3339`).
pub fn rfc3339(ts_ns: i64) -> String {
    let mut text = Vec::with_capacity(32);
    write_rfc3339(&mut text, ts_ns);
    String::from_utf8_lossy(&text).into_owned()
}

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

/// 1970-01-01 plus days to a proleptic Gregorian date, inverted: the days since 1970-01-01 of
/// `y-m-d` (H. Hinnant, `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A number of exactly `digits` ASCII digits at `at`.
fn digits(text: &[u8], at: usize, digits: usize) -> Option<u32> {
    let part = text.get(at..at + digits)?;
    part.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Parses an RFC 3339 date-time (section 5.6): `2026-11-02T09:00:30Z`, with an optional
/// fraction of a second (to the nanosecond) and `Z` or a `+hh:mm` / `-hh:mm` offset; `t` and
/// `z` and a space for `T` are accepted (RFC 3339 allows them). Nanoseconds since the epoch, UTC.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (hh, mm, ss) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, c)| b.get(at) != Some(&c))
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
        || hh > 23
        || mm > 59
        || ss > 60
    {
        return None;
    }
    let mut at = 19;
    let mut nanos: i64 = 0;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + i64::from(b.get(at).copied().unwrap_or(b'0') - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..9 {
            nanos *= 10;
        }
    }
    let offset_s: i64 = match b.get(at..)? {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == at + 6 && b.get(at + 3) == Some(&b':') => {
            let (oh, om) = (digits(b, at + 1, 2)?, digits(b, at + 4, 2)?);
            let seconds = i64::from(oh * 3600 + om * 60);
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    let days = days_from_civil(i64::from(y), m, d);
    let seconds = days * 86_400 + i64::from(hh * 3600 + mm * 60 + ss) - offset_s;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rfc3339_text_parses() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-02T09:00:30.67142Z"),
            Some(1_793_610_030_671_420_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-02T10:00:30.67142+01:00"),
            Some(1_793_610_030_671_420_000)
        );
        assert_eq!(
            parse_rfc3339("1969-12-31 23:59:59-00:00"),
            Some(-1_000_000_000)
        );
        for bad in [
            "",
            "2026-11-02",
            "2026-11-02T09:00:30",
            "2026-13-02T09:00:30Z",
            "2026-11-02T09:00:30.Z",
            "2026-11-02T09:00:30+0100",
            "2026-11-02T09:00:30Zjunk",
            "2026/11/02T09:00:30Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn written_times_parse_back(ts_ns: i64) {
            prop_assert_eq!(parse_rfc3339(&rfc3339(ts_ns)), Some(ts_ns));
        }

        #[test]
        fn parsing_never_panics(text in ".{0,40}") {
            let _ = parse_rfc3339(&text);
        }
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
