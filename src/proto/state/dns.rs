//! DNS's per-flow state: messages counted on the DNS and mDNS ports (RFC 1035, RFC 6762).

use super::{AppState, Payload};
use crate::proto::dns;
use crate::proto::Transport;

/// DNS messages after which a flow is known well enough.
const ENOUGH_MESSAGES: u16 = 4;

/// Kept inline, for every flow.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct DnsState {
    messages: u16,
}

impl DnsState {
    pub(super) fn merge(&mut self, other: &DnsState) {
        self.messages = self.messages.saturating_add(other.messages);
    }
}

impl AppState {
    /// A DNS message seen.
    #[inline]
    pub(super) fn is_dns(&self) -> bool {
        self.dns.messages > 0
    }

    /// Enough DNS messages: nothing more to learn.
    #[inline]
    pub(super) fn dns_done(&self) -> bool {
        self.dns.messages >= ENOUGH_MESSAGES
    }

    /// A payload to or from a DNS port whose header looks like DNS (over TCP, with its
    /// RFC 1035 §4.2.2 length prefix). Always inlined: a call for the port test alone would
    /// cost more than the test, on most payloads that reach the probes.
    #[inline(always)]
    pub(super) fn dns(&mut self, p: &Payload<'_>) -> bool {
        if !(dns::is_dns_port(p.src_port) || dns::is_dns_port(p.dst_port)) {
            return false;
        }
        let looks = match p.transport {
            Transport::Udp => dns::probe(p.data),
            Transport::Tcp => dns::probe_tcp(p.data),
        };
        if looks {
            self.dns.messages = self.dns.messages.saturating_add(1);
            self.message();
        }
        looks
    }
}
