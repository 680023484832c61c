//! DTLS record layer (RFC 6347 §4.1, RFC 9147 §4): enough to recognise DTLS in a datagram and
//! name its handshake messages. Contents are never decrypted.

/// RFC 6347 §4.1 DTLSPlaintext header length.
pub const RECORD_HEADER_LEN: usize = 13;

/// A DTLS record header, borrowed body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat, 25 tls12_cid.
    pub content_type: u8,
    /// 0xFEFF DTLS 1.0, 0xFEFD DTLS 1.2, 0xFEFC DTLS 1.3 (RFC 9147 keeps 0xFEFD on the wire).
    pub version: u16,
    pub epoch: u16,
    pub sequence: u64,
    pub body: &'a [u8],
}

impl Record<'_> {
    /// RFC 6347 §4.2.2: first byte of an unencrypted (epoch 0) handshake body (1 client_hello,
    /// 2 server_hello, 3 hello_verify_request, 11 certificate, ...).
    pub fn handshake_type(&self) -> Option<u8> {
        if self.content_type == 22 && self.epoch == 0 {
            self.body.first().copied()
        } else {
            None
        }
    }
}

/// Cheap check: first byte 20..=25 and a DTLS version.
pub fn probe(data: &[u8]) -> bool {
    matches!(data.first(), Some(20..=25))
        && matches!(
            (data.get(1), data.get(2)),
            (Some(0xFE), Some(0xFF | 0xFD | 0xFC))
        )
}

/// RFC 6347 §4.1:
/// ```text
/// struct { ContentType type; ProtocolVersion version; uint16 epoch;
///          uint48 sequence_number; uint16 length; opaque fragment[length]; } DTLSPlaintext;
/// ```
/// Returns the record and the bytes after it.
pub fn parse(data: &[u8]) -> Option<(Record<'_>, &[u8])> {
    if !probe(data) {
        return None;
    }
    let (hdr, rest) = data.split_at_checked(RECORD_HEADER_LEN)?;
    let mut h = [0u8; RECORD_HEADER_LEN];
    h.copy_from_slice(hdr);
    let len = usize::from(u16::from_be_bytes([h[11], h[12]]));
    let (body, rest) = rest.split_at_checked(len)?;
    let mut seq = [0u8; 8];
    seq[2..].copy_from_slice(&h[5..11]);
    Some((
        Record {
            content_type: h[0],
            version: u16::from_be_bytes([h[1], h[2]]),
            epoch: u16::from_be_bytes([h[3], h[4]]),
            sequence: u64::from_be_bytes(seq),
            body,
        },
        rest,
    ))
}

/// What one datagram held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Datagram {
    pub records: u8,
    /// Handshake type of the first epoch-0 handshake record, if any.
    pub handshake: Option<u8>,
}

/// Walk every record of a datagram (RFC 6347 §4.1.1: several records may share one). The
/// records must tile the datagram exactly, or it is not DTLS. At most 16 records are walked.
pub fn parse_datagram(data: &[u8]) -> Option<Datagram> {
    let mut rest = data;
    let mut d = Datagram::default();
    while !rest.is_empty() {
        if d.records >= 16 {
            return None;
        }
        let (r, tail) = parse(rest)?;
        if d.handshake.is_none() {
            d.handshake = r.handshake_type();
        }
        d.records += 1;
        rest = tail;
    }
    (d.records > 0).then_some(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn client_hello_record() {
        // dtls.pcap frame 1 header: handshake, DTLS 1.0, epoch 0, seq 0, len 0x8e
        let mut b = vec![0x16, 0xfe, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x8e, 0x01];
        b.resize(13 + 0x8e, 0);
        let (r, rest) = parse(&b).unwrap();
        assert!(rest.is_empty());
        assert_eq!(
            (r.version, r.epoch, r.handshake_type()),
            (0xfeff, 0, Some(1))
        );
        assert_eq!(parse_datagram(&b).unwrap().records, 1);
        // two records in one datagram
        let mut two = b.clone();
        two.extend_from_slice(&[0x14, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
        assert_eq!(parse_datagram(&two).unwrap().records, 2);
        // truncated: not DTLS
        assert!(parse_datagram(&b[..50]).is_none());
        // trailing garbage: not DTLS
        let mut g = b.clone();
        g.push(7);
        assert!(parse_datagram(&g).is_none());
    }

    #[test]
    fn rejects_tls_and_noise() {
        assert!(!probe(&[0x16, 0x03, 0x01]));
        assert!(!probe(&[0x80, 0xfe, 0xff]));
        assert!(parse(&[0x17, 0xfe, 0xfd, 0, 1]).is_none());
    }
}
