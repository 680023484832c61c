//! A cheap DNS header probe (RFC 1035 §4.1.1) for flows on port 53 (DNS) and 5353 (mDNS,
//! RFC 6762). Only the 12-byte header is checked; names are not decoded.

/// Ports this probe is tried on.
pub fn is_dns_port(port: u16) -> bool {
    port == 53 || port == 5353
}

/// RFC 1035 §4.1.1 header:
/// ```text
/// ID(16) | QR Opcode(4) AA TC RD | RA Z AD CD RCODE(4) | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT
/// ```
/// Sane means: opcode 0 (query), 1 (iquery), 2 (status), 4 (notify) or 5 (update); rcode
/// <= 10; qdcount 0..=4 (0 only in responses and mDNS announcements); every count <= 256;
/// at least one record announced; and the message long enough for the announced question
/// count (5 bytes minimum each).
pub fn probe(msg: &[u8]) -> bool {
    let Some(h) = msg.get(..12) else {
        return false;
    };
    let c = |i: usize| -> usize {
        match (h.get(i), h.get(i + 1)) {
            (Some(a), Some(b)) => usize::from(u16::from_be_bytes([*a, *b])),
            _ => usize::MAX,
        }
    };
    let (f1, f2) = match (h.get(2), h.get(3)) {
        (Some(a), Some(b)) => (*a, *b),
        _ => return false,
    };
    let qr = f1 & 0x80 != 0;
    let opcode = (f1 >> 3) & 0x0F;
    let rcode = f2 & 0x0F;
    let (qd, an, ns, ar) = (c(4), c(6), c(8), c(10));
    matches!(opcode, 0 | 1 | 2 | 4 | 5)
        && rcode <= 10
        && qd <= 4
        && (qd > 0 || qr)
        && an <= 256
        && ns <= 256
        && ar <= 256
        && qd + an + ns + ar > 0
        && msg.len() >= 12 + 5 * qd
        && (qr || rcode == 0)
}

/// RFC 1035 §4.2.2: DNS over TCP prefixes each message with a 2-byte length.
pub fn probe_tcp(seg: &[u8]) -> bool {
    match (seg.first(), seg.get(1), seg.get(2..)) {
        (Some(a), Some(b), Some(m)) => {
            let len = usize::from(u16::from_be_bytes([*a, *b]));
            len >= 12 && probe(m.get(..len.min(m.len())).unwrap_or(&[]))
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// teams.pcap: A query for skypedataprdcolneu04.cloudapp.net.
    const QUERY: &[u8] = b"\xce\x9d\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x14skypedataprdcolneu04\x08cloudapp\x03net\x00\x00\x01\x00\x01";

    #[test]
    fn real_query() {
        assert!(probe(QUERY));
        let mut tcp = (QUERY.len() as u16).to_be_bytes().to_vec();
        tcp.extend_from_slice(QUERY);
        assert!(probe_tcp(&tcp));
    }

    #[test]
    fn rejects() {
        assert!(!probe(&QUERY[..11]));
        let mut b = QUERY.to_vec();
        b[5] = 200; // 200 questions
        assert!(!probe(&b));
        let mut b = QUERY.to_vec();
        b[2] = 0x78; // opcode 15
        assert!(!probe(&b));
        assert!(!probe(&[0u8; 12]));
    }
}
