//! Test support code shared by the integration test binaries.
//!
//! - [`calls`]: call fixtures (issue 15): a site with `er0` / `inet0` / `lan0` capture points,
//!   TURN / ICE / SIP messages that link a call's flows, and readers of the report's `calls`.
//! - [`builder`]: writes pcap and pcapng files and builds link-layer frames, IP packets and
//!   TCP/UDP exchanges, so an integration test reads like a scenario.
//! - [`payloads`]: application payloads (STUN/TURN, RTP/RTCP, TLS, DTLS, SIP/SDP, DNS).
//! - [`media_tcp`]: media over TCP (issue 14): [MS-TURN] pseudo-TLS, TURN indications and
//!   ChannelData carrying RTP, TLS application data, and timed TCP segments for cadence fixtures.
//! - [`nat`]: what a router and a source NAT do to a packet (issue 17).
//! - [`rtp`]: RTP from a schedule (capture time, sequence number, timestamp) with its DSCP, and
//!   RTCP sender / receiver reports with report blocks and NTP times, for media quality
//!   fixtures (issue 16).
//! - [`shared`]: `../shared` beside the repository (real captures, endpoints files): a test
//!   that reads it is skipped where it is absent, and fails where it is absent on CI.
//! - [`tshark`]: tshark's flows of a capture (outermost 5-tuples) and the dissectors it named.
//! - [`rtp_streams`]: tshark's RTP streams of a capture (`-z rtp,streams`) and their packets,
//!   with models of tshark's and callpath's jitter and of callpath's probation run.
//!
//! Every integration test binary that needs them declares `mod support;`.

pub mod builder;
pub mod calls;
pub mod cli;
pub mod media_tcp;
pub mod nat;
pub mod payloads;
pub mod rtp;
pub mod rtp_streams;
pub mod shared;
pub mod site;
pub mod tshark;
