//! DTLS's per-flow state: datagrams and handshakes counted (RFC 6347, RFC 9147), up to
//! `MAX_DTLS_DATAGRAMS` parsed.

use super::AppState;
use crate::proto::caps::MAX_DTLS_DATAGRAMS;
use crate::proto::dtls;

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DtlsState {
    /// Datagrams parsed as DTLS.
    pub(super) datagrams: u16,
    /// Of those, datagrams carrying an epoch-0 handshake record.
    handshakes: u16,
}

impl DtlsState {
    pub(super) fn merge(&mut self, other: &DtlsState) {
        self.datagrams = self.datagrams.saturating_add(other.datagrams);
        self.handshakes = self.handshakes.saturating_add(other.handshakes);
    }
}

impl AppState {
    /// A handshake, or two datagrams.
    #[inline]
    pub(super) fn is_dtls(&self) -> bool {
        self.dtls.handshakes > 0 || self.dtls.datagrams >= 2
    }

    /// A datagram whose first byte says DTLS (RFC 7983): claimed when its records parse.
    pub(super) fn dtls(&mut self, d: &[u8]) -> bool {
        if !dtls::probe(d) {
            return false;
        }
        if self.dtls.datagrams >= MAX_DTLS_DATAGRAMS {
            return true;
        }
        match dtls::parse_datagram(d) {
            Some(dg) => {
                self.dtls.datagrams = self.dtls.datagrams.saturating_add(1);
                if dg.handshake.is_some() {
                    self.dtls.handshakes = self.dtls.handshakes.saturating_add(1);
                }
                self.message();
                true
            }
            None => {
                self.error();
                false
            }
        }
    }
}
