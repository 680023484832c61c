//! RTP stream quality: per-SSRC sequence accounting, loss, duplicates, reordering and
//! interarrival jitter (RFC 3550 A.1, A.3, A.8) in fixed memory per stream, the RTP clock rate
//! (RFC 3551 static payload types, else inferred from the timestamps), and RTCP sender/receiver
//! report blocks with the round trip from LSR/DLSR (RFC 3550 §6.4).
//!
//! The per-packet arithmetic only: pure, allocation-free, no division on the per-packet path.
//! Which flow and direction a stream belongs to, and the thresholds (Microsoft's network
//! targets, SPEC "Media quality and DSCP"), live with the callers. This module imports nothing
//! of the crate but `bytes`, so that `proto` and `flow` can both hold its state.

pub mod clock;
pub mod rtcp;
pub mod stream;

pub use stream::{JitterWindow, StreamStats, StreamSummary, Window};
