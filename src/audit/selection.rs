//! Which flows a report is about (`--app`, `--finding`, `--net`, `--set`, `--since`,
//! `--until`): a flow is selected when it matches every criterion given, and any value of each.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::code::Code;
use super::verdict::Verdict;
use crate::flow::{FlowKey, FlowState};
use crate::proto::App;

/// The criteria; an empty list or `None` selects everything on that criterion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub apps: Vec<App>,
    pub codes: Vec<Code>,
    /// Either end of the flow in one of these networks.
    pub nets: Vec<IpNetwork>,
    /// The flow's Office 365 endpoint set is one of these ids.
    pub sets: Vec<u32>,
    /// The flow has a packet at or after this time (ns since the epoch).
    pub since_ns: Option<i64>,
    /// The flow has a packet at or before this time.
    pub until_ns: Option<i64>,
}

impl Selection {
    /// Nothing to select on: every flow is in the report.
    pub fn is_empty(&self) -> bool {
        *self == Selection::default()
    }

    pub(super) fn matches(&self, key: &FlowKey, state: &FlowState, v: &Verdict<'_>) -> bool {
        let in_nets = |ip: IpAddr| self.nets.iter().any(|n| n.contains(ip));
        (self.apps.is_empty() || self.apps.contains(&v.app))
            && (self.codes.is_empty() || v.codes().any(|c| self.codes.contains(&c)))
            && (self.nets.is_empty() || in_nets(key.a.ip) || in_nets(key.b.ip))
            && (self.sets.is_empty() || v.ends.o365.is_some_and(|m| self.sets.contains(&m.id)))
            && self.since_ns.is_none_or(|t| state.last_ns() >= t)
            && self.until_ns.is_none_or(|t| state.first_ns() <= t)
    }
}
