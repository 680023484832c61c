//! The verdict on one flow: who its ends are, the observed path of each direction, the
//! expected path (SPEC "Expected path of a flow") and its finding codes (SPEC "Findings").

use super::code::{Code, Codes};
use super::path::{direction_path, sighting_path, stays_inside, FlowFacts, ObservedPath, PathPair};
use super::sdp::Announced;
use super::AuditInput;
use crate::decode::Transport;
use crate::flow::{FlowKey, FlowState, PointId, Side};
use crate::proto::App;
use crate::ranges::Match;
use crate::site::PathName;

/// Who the ends of a flow are: which side is the client, which ends stay inside the site, and
/// the Office 365 endpoint set of the external end. The audit and the `interfaces` statistics
/// both start from this.
#[derive(Clone, Copy, Debug)]
pub struct Ends<'r> {
    pub client_side: u8,
    pub client_internal: bool,
    pub server_internal: bool,
    /// Exactly one end is internal and its address is one a NAT pool could hold: public, or
    /// in a path's `nat` pool (`nat-pool-shared` looks only at these flows).
    pub site_end_public: bool,
    pub o365: Option<Match<'r>>,
}

impl Ends<'_> {
    /// Whether the end sending on `side` is inside the site.
    pub fn sender_internal(&self, side: u8) -> bool {
        if side == self.client_side {
            self.client_internal
        } else {
            self.server_internal
        }
    }

    fn local(&self) -> bool {
        self.client_internal && self.server_internal
    }

    pub(super) fn facts(&self, key: &FlowKey) -> FlowFacts {
        FlowFacts {
            local: self.local(),
            internal_ip: match (self.client_internal, self.server_internal) {
                (true, false) => Some(key.sender(self.client_side).ip),
                (false, true) => Some(key.sender(1 - self.client_side).ip),
                _ => None,
            },
        }
    }
}

/// The ends of a flow.
pub fn ends<'a>(input: &AuditInput<'a>, key: &FlowKey, state: &FlowState) -> Ends<'a> {
    let client_side = state.client_side(key);
    let client = key.sender(client_side);
    let server = key.sender(1 - client_side);
    let client_internal = stays_inside(input.site, client.ip);
    let server_internal = stays_inside(input.site, server.ip);
    let transport = Transport::of_protocol(key.protocol);
    let ranges = input.ranges;
    // The Office 365 endpoint is the external one; the server's port is what the endpoint
    // sets list (worldwide set 11: UDP 3478-3481, set 12: TCP 443).
    let o365 = match (client_internal, server_internal) {
        (true, true) => None,
        (true, false) => ranges.lookup(server.ip, transport, server.port),
        (false, true) => ranges.lookup(client.ip, transport, server.port),
        (false, false) => ranges
            .lookup(server.ip, transport, server.port)
            .or_else(|| ranges.lookup(client.ip, transport, server.port)),
    };
    let site_end = match (client_internal, server_internal) {
        (true, false) => Some(client.ip),
        (false, true) => Some(server.ip),
        _ => None,
    };
    let site_end_public = site_end
        .is_some_and(|ip| !super::nat::is_private(ip) || input.site.path_for_nat(ip).is_some());
    Ends {
        client_side,
        client_internal,
        server_internal,
        site_end_public,
        o365,
    }
}

/// What the audit decided about one flow: small, kept for every flow; the report's strings are
/// built from it (and the flow state) only while the report is written.
#[derive(Clone, Copy, Debug)]
pub struct Verdict<'r> {
    pub ends: Ends<'r>,
    pub path: PathPair,
    pub expected: Option<PathName>,
    pub app: App,
    pub codes: Codes,
    /// `asymmetric-route` was found from capture points (no path rule named them).
    pub asymmetric_by_points: bool,
    /// The call the flow is in (`Call::id`), 0 for none.
    pub call: u32,
    /// Its NAT twin, when the flow was seen on both sides of a source NAT.
    pub nat: Option<super::nat::NatLink>,
}

impl Verdict<'_> {
    pub fn has(&self, code: Code) -> bool {
        self.codes.contains(code)
    }

    pub fn codes(&self) -> impl Iterator<Item = Code> {
        self.codes.iter()
    }
}

/// The client's side, then the (forward, reverse) sides.
pub(super) fn oriented(state: &FlowState, client_side: u8) -> (&Side, &Side) {
    let [side0, side1] = &state.sides;
    if client_side == 0 {
        (side0, side1)
    } else {
        (side1, side0)
    }
}

/// SPEC "Expected path of a flow": local between internal ends; from an internal end to
/// Office 365, ExpressRoute when the endpoint set is routed over it and the site has it, else
/// the Internet; nothing expected between two external ends.
fn expected_path(input: &AuditInput<'_>, ends: &Ends<'_>) -> Option<PathName> {
    if ends.local() {
        Some(PathName::Local)
    } else if ends.client_internal || ends.server_internal {
        match &ends.o365 {
            Some(m) if m.express_route && input.site.expressroute => Some(PathName::Expressroute),
            _ => Some(PathName::Internet),
        }
    } else {
        None
    }
}

/// A direction's observed path from the paths of its sightings.
fn side_path(
    input: &AuditInput<'_>,
    facts: &FlowFacts,
    side: &Side,
    sender_internal: bool,
    receiver_internal: bool,
) -> Option<ObservedPath> {
    let mut paths = [ObservedPath::Unknown; crate::flow::MAX_SIGHTINGS_PER_SIDE];
    let mut n = 0;
    for (slot, s) in paths.iter_mut().zip(&side.sightings) {
        *slot = sighting_path(input, facts, sender_internal, receiver_internal, s);
        n += 1;
    }
    direction_path(paths.get(..n).unwrap_or_default(), facts)
}

/// Audits one flow.
pub(super) fn verdict<'a>(
    input: &AuditInput<'a>,
    announced: &Announced,
    key: &FlowKey,
    state: &FlowState,
) -> Verdict<'a> {
    let ends = ends(input, key, state);
    let (fwd, rev) = oriented(state, ends.client_side);
    let facts = ends.facts(key);
    let (ci, si) = (ends.client_internal, ends.server_internal);
    let path = PathPair {
        forward: side_path(input, &facts, fwd, ci, si),
        reverse: side_path(input, &facts, rev, si, ci),
    };
    let expected = expected_path(input, &ends);
    let app = match state.app.app() {
        // A leg SDP announced, too short or gappy for the RTP run heuristic.
        App::Other if Transport::of_protocol(key.protocol) == Transport::Udp => {
            announced.app_of(key.a, key.b).unwrap_or(App::Other)
        }
        app => app,
    };
    let (mut codes, asymmetric_by_points) = codes(key, &ends, fwd, rev, path, expected, app);
    // Media in TLS, by its shape (TURN over TLS, ICE-TCP).
    if super::shape::media_shape(input, key, state, &ends, app).is_some() {
        codes.insert(Code::MediaOverTcp);
    }
    if let Some(media) = super::quality::flow_media(state, key, ends.client_side, path, announced) {
        for code in super::quality::codes(&media, &input.site.quality).iter() {
            codes.insert(code);
        }
    }
    Verdict {
        ends,
        path,
        expected,
        app,
        codes,
        asymmetric_by_points,
        call: 0,
        nat: None,
    }
}

/// SPEC "Findings": the codes of one flow, and whether `asymmetric-route` came from capture
/// points rather than path rules.
fn codes(
    key: &FlowKey,
    ends: &Ends<'_>,
    fwd: &Side,
    rev: &Side,
    path: PathPair,
    expected: Option<PathName>,
    app: App,
) -> (Codes, bool) {
    let local = ends.local();
    let crossing_edge = ends.client_internal != ends.server_internal;
    let tcp = Transport::of_protocol(key.protocol) == Transport::Tcp;
    let (pf, pr) = (path.forward, path.reverse);
    let either = |p: ObservedPath| pf == Some(p) || pr == Some(p);
    let mut codes = Codes::default();
    let mut by_points = false;
    let both_edge = ObservedPath::is_edge(pf) && ObservedPath::is_edge(pr);
    if both_edge && pf != pr {
        codes.insert(Code::AsymmetricRoute);
    } else if !local
        && !both_edge
        && fwd.packets > 0
        && rev.packets > 0
        && seen_at_different_points(fwd, rev)
    {
        // A capture point without a rule (no profile, or a partial one) does not hide an
        // asymmetric route: the directions still crossed different capture points.
        codes.insert(Code::AsymmetricRoute);
        by_points = true;
    }
    // A split direction went over both paths, so partly over the wrong one too.
    let over = |p: ObservedPath| either(p) || either(ObservedPath::Split);
    if expected == Some(PathName::Expressroute) && over(ObservedPath::Internet) {
        codes.insert(Code::ExpressrouteBypassed);
    }
    if expected == Some(PathName::Internet) && over(ObservedPath::Expressroute) {
        codes.insert(Code::UnexpectedExpressroute);
    }
    let one_sided = match (fwd.packets, rev.packets) {
        (_, 0) => one_sided_evidence(tcp, fwd),
        (0, _) => one_sided_evidence(tcp, rev),
        _ => false,
    };
    if crossing_edge && one_sided {
        codes.insert(Code::OneSidedFlow);
    }
    if tcp && matches!(app, App::Rtp | App::Rtcp | App::Stun) {
        codes.insert(Code::MediaOverTcp);
    }
    if either(ObservedPath::Split) {
        codes.insert(Code::PathSplit);
    }
    if crossing_edge && either(ObservedPath::Unknown) {
        codes.insert(Code::UnknownPath);
    }
    (codes, by_points)
}

/// Capture points a side was seen at.
pub(super) fn points(side: &Side) -> impl Iterator<Item = PointId> + '_ {
    side.sightings.iter().map(|s| s.point)
}

/// Each direction was seen at a capture point the other was not: with no path rule naming
/// them, the directions still took different routes (SPEC: asymmetric from capture points).
fn seen_at_different_points(fwd: &Side, rev: &Side) -> bool {
    let only_fwd = points(fwd).any(|p| !points(rev).any(|q| q == p));
    let only_rev = points(rev).any(|p| !points(fwd).any(|q| q == p));
    only_fwd && only_rev
}

/// SPEC `one-sided-flow`, for the one direction seen: TCP, a SYN (or SYN-ACK) and its retries
/// (or any two segments) with nothing the other way; UDP, several packets over seconds. A
/// single packet proves nothing.
fn one_sided_evidence(tcp: bool, seen: &Side) -> bool {
    if tcp {
        seen.packets >= 2
    } else {
        seen.packets >= 3 && seen.last_ns - seen.first_ns >= 1_000_000_000
    }
}
