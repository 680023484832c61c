//! Calls: the flows of one conversation grouped on evidence (`link.rs`), each given its use
//! case (SPEC "Calls"), the row of `CALL-FLOWS.md` it matches, its legs with their expected and
//! observed paths, and its findings (its flows' plus `media-hairpin`).

use std::net::IpAddr;

use super::code::{Code, Codes, Severity};
use super::path::PathPair;
use crate::site::{PathName, ServerRole};

/// What a call's traffic shows, from its parties (SPEC "Calls", `use_case`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UseCase {
    P2pLocal,
    P2pRelayed,
    Office365Media,
    ThirdParty,
    OnpremConference,
    OnpremPstn,
    CloudConnectorPstn,
    External,
}

impl UseCase {
    /// Every use case, in the report's order.
    pub const ALL: [UseCase; 8] = [
        UseCase::P2pLocal,
        UseCase::P2pRelayed,
        UseCase::Office365Media,
        UseCase::ThirdParty,
        UseCase::OnpremConference,
        UseCase::OnpremPstn,
        UseCase::CloudConnectorPstn,
        UseCase::External,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UseCase::P2pLocal => "p2p-local",
            UseCase::P2pRelayed => "p2p-relayed",
            UseCase::Office365Media => "office365-media",
            UseCase::ThirdParty => "third-party",
            UseCase::OnpremConference => "onprem-conference",
            UseCase::OnpremPstn => "onprem-pstn",
            UseCase::CloudConnectorPstn => "cloud-connector-pstn",
            UseCase::External => "external",
        }
    }
}

/// How the site's users are homed, from the profile's `[[server]]` roles (SPEC "Calls").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deployment {
    Online,
    Hybrid,
    CloudConnector,
}

impl Deployment {
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::Online => "online",
            Deployment::Hybrid => "hybrid",
            Deployment::CloudConnector => "cloud-connector",
        }
    }
}

/// One address taking part in a call's media.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Party {
    pub ip: IpAddr,
    /// Inside the site (SPEC "internal").
    pub internal: bool,
    /// The Office 365 endpoint set the address is in, if any.
    pub o365: Option<u32>,
    /// The site profile's `[[server]]` role of the address, if any.
    pub role: Option<ServerRole>,
}

/// What a leg of a call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegKind {
    /// RTP/RTCP/DTLS, TURN relaying media, media over TCP.
    Media,
    /// SIP dialogs of the call.
    Signaling,
    /// ICE connectivity checks or a TURN allocation linked to the call, no media seen on it.
    Ice,
}

impl LegKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LegKind::Media => "media",
            LegKind::Signaling => "signaling",
            LegKind::Ice => "ice",
        }
    }
}

/// One flow of a call, with the path it should take and the paths it took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub kind: LegKind,
    /// The flow's `id`.
    pub flow: u64,
    pub expected_path: Option<PathName>,
    pub path: PathPair,
}

/// Two parties on the site whose media went through an external relay (`media-hairpin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hairpin {
    pub parties: [IpAddr; 2],
    pub relay: IpAddr,
}

/// A call's verdict: the worst severity among its findings, `Ok` without any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CallVerdict {
    Ok,
    Info,
    Warning,
    Error,
}

impl CallVerdict {
    pub const ALL: [CallVerdict; 4] = [
        CallVerdict::Ok,
        CallVerdict::Info,
        CallVerdict::Warning,
        CallVerdict::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallVerdict::Ok => "ok",
            CallVerdict::Info => "info",
            CallVerdict::Warning => "warning",
            CallVerdict::Error => "error",
        }
    }
}

/// One call (SPEC "Calls").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// From 1, in the order of the calls' first flows.
    pub id: u64,
    pub use_case: UseCase,
    pub deployment: Option<Deployment>,
    /// The table and row of `CALL-FLOWS.md` the call matched.
    pub table: &'static str,
    /// Flow ids, ascending: media, signaling and ICE legs.
    pub flows: Vec<u64>,
    pub media_flows: Vec<u64>,
    pub signaling_flows: Vec<u64>,
    pub parties: Vec<Party>,
    /// One per flow, in `flows` order.
    pub legs: Vec<Leg>,
    /// Its flows' findings, plus `media-hairpin`.
    pub codes: Codes,
    pub hairpin: Option<Hairpin>,
}

impl Call {
    pub fn verdict(&self) -> CallVerdict {
        self.codes
            .iter()
            .map(Code::severity)
            .max()
            .map_or(CallVerdict::Ok, |s| match s {
                Severity::Info => CallVerdict::Info,
                Severity::Warning => CallVerdict::Warning,
                Severity::Error => CallVerdict::Error,
            })
    }
}
