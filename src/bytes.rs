//! Big-endian integers and MAC addresses read from untrusted bytes: None past the end, never a panic.
//!
//! Network byte order is big-endian (RFC 791, Appendix B). Every reader takes the
//! offset of the first byte and returns None when the bytes end before the value does, so a
//! parser stops with `?` at the first short field.

/// The 16-bit big-endian integer at `at`.
#[inline]
pub fn be16(b: &[u8], at: usize) -> Option<u16> {
    // The range form the per-module copies used, so the parsers compile as they did.
    let v = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes(v.try_into().ok()?))
}

/// The 32-bit big-endian integer at `at`.
#[inline]
pub fn be32(b: &[u8], at: usize) -> Option<u32> {
    let v = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(v.try_into().ok()?))
}

/// The 6-byte MAC address (IEEE 802) at `at`, in wire order.
#[inline]
pub fn mac(b: &[u8], at: usize) -> Option<[u8; 6]> {
    b.get(at..at.checked_add(6)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn be16_reads_network_order_and_stops_at_the_end() {
        let b = [0x12, 0x34, 0x56];
        assert_eq!(be16(&b, 0), Some(0x1234));
        assert_eq!(be16(&b, 1), Some(0x3456));
        assert_eq!(be16(&b, 2), None);
        assert_eq!(be16(&b, 3), None);
        assert_eq!(be16(&b, usize::MAX), None);
        assert_eq!(be16(&[], 0), None);
    }

    #[test]
    fn be32_reads_network_order_and_stops_at_the_end() {
        let b = [0x21, 0x12, 0xA4, 0x42, 0xFF];
        assert_eq!(be32(&b, 0), Some(0x2112_A442));
        assert_eq!(be32(&b, 1), Some(0x12A4_42FF));
        assert_eq!(be32(&b, 2), None);
        assert_eq!(be32(&b, usize::MAX), None);
    }

    #[test]
    fn mac_reads_six_bytes() {
        let b = [2, 0, 0, 0, 0x0e, 1, 0xaa];
        assert_eq!(mac(&b, 0), Some([2, 0, 0, 0, 0x0e, 1]));
        assert_eq!(mac(&b, 1), Some([0, 0, 0, 0x0e, 1, 0xaa]));
        assert_eq!(mac(&b, 2), None);
        assert_eq!(mac(&b, usize::MAX), None);
    }
}
