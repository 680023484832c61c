//! Application protocol recognition: what each TCP/UDP payload is, and what a flow is as a
//! whole (`App`), with the evidence kept for the report (SNI, STUN addresses, SSRCs, SIP
//! Call-IDs and SDP media).
//!
//! Per protocol, a parser (`stun`, `rtp`, `dtls`, `tls`, `sip`, `dns`: a cheap `probe()` plus
//! a borrowing `parse()`, nothing allocated) and, in `state/`, its per-flow state. `AppState`
//! (`state/mod.rs`) is one flow's state: it decides which probe runs when, seals idle flows
//! and merges copies. `evidence` is what the report gets; `caps` bounds every list and buffer
//! (hitting a cap is counted in `AppCounters::caps_hit`).

pub mod dns;
pub mod dtls;
pub mod rtp;
pub mod sip;
pub mod stun;
pub mod tls;

mod caps;
mod evidence;
mod state;

pub use crate::decode::Transport;
pub use caps::{
    MAX_ALPN, MAX_CALL_IDS, MAX_DTLS_DATAGRAMS, MAX_ICE_USERNAMES, MAX_PAYLOAD_TYPES,
    MAX_SDP_MEDIA, MAX_SIP_BODY_PENDING, MAX_SIP_MESSAGES, MAX_SIP_METHODS, MAX_SIP_PER_SEGMENT,
    MAX_SIP_STATUS, MAX_SSRCS, MAX_STRING, MAX_STUN_ADDRESSES, MAX_STUN_MESSAGES, MAX_TLS_VERSIONS,
    MAX_TURN_CHANNELS, MAX_UNMATCHED,
};
pub use evidence::{
    App, AppCounters, AppSummary, Evidence, IceRoles, MediaShape, PerDirection, SdpMedia,
    ShapeGate, SipSummary, StunAddress, StunAddressKind, TurnChannel,
};
pub use state::{AppState, MediaStream, Payload, RtcpSource, RTP_MAX_SEQ_STEP, RTP_MIN_RUN};

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests;
