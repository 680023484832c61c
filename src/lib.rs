//! callpath: audit packet captures of Teams / Skype for Business traffic against the paths
//! (ExpressRoute, Internet, local) Microsoft's call flows expect.
//!
//! The stages, each a module, arrows one way (ARCHITECTURE.md): `capture` (frames from a
//! `FrameSource`) -> `decode` (link, IP, transport) -> `proto` (what the payload is) -> `flow`
//! (bidirectional flow table), run by `pipeline` (with `correlate`: capture points as one) -> `audit` (paths, expectations, findings as
//! data, with `site` and `ranges`) -> `report` (documents). `cli`, `config` and `run` drive them.

// No unsafe code anywhere in the library.
#![forbid(unsafe_code)]
// Captures are untrusted: no input may reach a panic (issue 6). Tests may unwrap.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod audit;
pub mod bytes;
pub mod capture;
pub mod check;
pub mod cli;
pub mod config;
pub mod correlate;
pub mod decode;
pub mod error;
pub mod flow;
pub mod mac;
pub mod media;
pub mod pipeline;
pub mod proto;
pub mod ranges;
pub mod report;
pub mod run;
pub mod site;
