//! Verdicts as data: per flow the observed path of each direction, the expected path and the
//! findings; and the `interfaces` statistics, computed with the same rules. No report types
//! and no words: `report` turns these into documents.
//!
//! Rules are SPEC "How a packet's path is decided", "Expected path of a flow" and "Findings";
//! the domain behind them is CALL-FLOWS.md (Microsoft, "Call flow using ExpressRoute").

mod code;
mod finding;
mod interfaces;
mod path;
mod points;
mod verdict;

pub use code::{Code, Codes, Severity};
pub use finding::{Detail, Finding, PointNames, UnexpectedReason};
pub use interfaces::{interface_stats, PointKind, PointStats, PointValue};
pub use path::{next_hop_mac, stays_inside, Direction, ObservedPath, Pair, PathPair};
pub use points::{CaptureFile, CapturePoint, PointName};
pub use verdict::{ends, Ends, Verdict};

use crate::decode::Transport;
use crate::flow::{Endpoint, FlowKey, FlowState, FlowTable, Side, Sighting};
use crate::pipeline::CaptureSummary;
use crate::proto::Evidence;
use crate::ranges::Ranges;
use crate::site::{ServerRole, Site};

/// Everything the audit needs besides the flows.
pub struct AuditInput<'a> {
    pub site: &'a Site,
    pub ranges: &'a Ranges,
    pub captures: &'a [CaptureSummary],
}

/// The audited run: flows in report order with their verdicts, and the capture files. Flow
/// and finding details are made one flow at a time (`flow`, `AuditedFlow::findings`), so the
/// report of a million flows is never held in memory at once.
pub struct Audited<'a> {
    input: &'a AuditInput<'a>,
    table: FlowTable,
    /// Table slots in report order.
    order: Vec<u32>,
    verdicts: Vec<Verdict<'a>>,
    captures: Vec<CaptureFile<'a>>,
}

/// Audits every flow: sorted by first packet then key, numbered from 1.
pub fn audit<'a>(input: &'a AuditInput<'a>, table: FlowTable) -> Audited<'a> {
    use rayon::prelude::*;
    let order = table.slots_by_first_packet();
    // Within the caller's thread pool (--threads); the order of `collect` is the input's.
    let verdicts: Vec<Verdict<'a>> = order
        .par_iter()
        .filter_map(|&i| table.at(i).map(|(k, s)| verdict::verdict(input, k, s)))
        .collect();
    Audited {
        input,
        table,
        order,
        verdicts,
        captures: input.capture_files(),
    }
}

impl<'a> Audited<'a> {
    /// Flows audited.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// What the audit read: the site, the ranges, the capture files.
    pub fn site(&self) -> &'a Site {
        self.input.site
    }

    pub fn ranges(&self) -> &'a Ranges {
        self.input.ranges
    }

    pub fn captures(&self) -> &[CaptureFile<'a>] {
        &self.captures
    }

    /// The verdicts, in report order.
    pub fn verdicts(&self) -> &[Verdict<'a>] {
        &self.verdicts
    }

    /// Flow `i` in report order (0-based; its `id` is `i + 1`).
    pub fn flow(&self, i: usize) -> Option<AuditedFlow<'_>> {
        let (key, state) = self.table.at(*self.order.get(i)?)?;
        Some(AuditedFlow {
            id: i as u64 + 1,
            key,
            state,
            verdict: self.verdicts.get(i)?,
            input: self.input,
        })
    }

    /// Total bytes of flow `i` (both directions), for ranking.
    pub fn bytes(&self, i: usize) -> u64 {
        self.flow(i)
            .map_or(0, |f| f.state.sides.iter().map(|d| d.bytes).sum())
    }

    /// Whether any finding is at or above `fail_on`.
    pub fn fails(&self, fail_on: Option<Severity>) -> bool {
        self.verdicts
            .iter()
            .any(|v| v.codes().any(|c| c.severity().fails_at(fail_on)))
    }
}

/// Which end of a flow is an on-prem server of the site profile (`[[server]]`), and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Onprem {
    /// The server end: `true` the flow's server, `false` its client.
    pub is_server: bool,
    pub role: ServerRole,
}

/// One sighting of a direction, with its capture point's names and the path it was given.
#[derive(Clone, Copy, Debug)]
pub struct SeenAt<'x> {
    pub point: PointName<'x>,
    pub sighting: &'x Sighting,
    pub path: ObservedPath,
}

/// One audited flow: its key, state and verdict, oriented client to server.
#[derive(Clone, Copy)]
pub struct AuditedFlow<'x> {
    /// The flow's `id` (its position in report order, from 1).
    pub id: u64,
    pub key: &'x FlowKey,
    pub state: &'x FlowState,
    pub verdict: &'x Verdict<'x>,
    input: &'x AuditInput<'x>,
}

impl<'x> AuditedFlow<'x> {
    pub fn transport(&self) -> Transport {
        Transport::of_protocol(self.key.protocol)
    }

    pub fn client(&self) -> Endpoint {
        self.key.sender(self.verdict.ends.client_side)
    }

    pub fn server(&self) -> Endpoint {
        self.key.sender(1 - self.verdict.ends.client_side)
    }

    /// The client's direction and the server's.
    pub fn sides(&self) -> Pair<&'x Side> {
        let (forward, reverse) = verdict::oriented(self.state, self.verdict.ends.client_side);
        Pair { forward, reverse }
    }

    /// Where one direction was seen, each sighting with the path it was given.
    pub fn seen_at(&self, direction: Direction) -> impl Iterator<Item = SeenAt<'x>> + 'x {
        let ends = self.verdict.ends;
        let facts = ends.facts(self.key);
        let (ci, si) = (ends.client_internal, ends.server_internal);
        let sides = self.sides();
        let (side, sender_internal, receiver_internal) = match direction {
            Direction::Forward => (sides.forward, ci, si),
            Direction::Reverse => (sides.reverse, si, ci),
        };
        let input = self.input;
        side.sightings.iter().map(move |s| SeenAt {
            point: input.point_name(s.point),
            sighting: s,
            path: path::sighting_path(input, &facts, sender_internal, receiver_internal, s),
        })
    }

    /// The on-prem server this flow talks to (its server end), or from (its client end).
    pub fn onprem(&self) -> Option<Onprem> {
        let site = self.input.site;
        site.server_role(self.server().ip)
            .map(|role| Onprem {
                is_server: true,
                role,
            })
            .or_else(|| {
                site.server_role(self.client().ip).map(|role| Onprem {
                    is_server: false,
                    role,
                })
            })
    }

    /// The protocol evidence, oriented to the client.
    pub fn evidence(&self) -> Evidence<'x> {
        self.state.app.evidence(self.verdict.ends.client_side)
    }

    /// The flow's findings, in `Code::ALL` order.
    pub fn findings(&self) -> impl Iterator<Item = Finding<'x>> + 'x {
        let (input, key, state, verdict, id) =
            (self.input, self.key, self.state, self.verdict, self.id);
        verdict
            .codes()
            .map(move |code| finding::finding(input, id, key, state, verdict, code))
    }
}
