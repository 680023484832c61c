//! Findings as data: for each finding code of a flow, the facts that explain it (which
//! direction, which paths, which capture points, which endpoint set). `report::message` is
//! the one place these become words.

use super::call::Hairpin;
use super::code::{Code, Severity};
use super::nat::SharedPool;
use super::path::{Direction, ObservedPath, PathPair};
use super::quality::QualityIssue;
use super::verdict::{oriented, points, Verdict};
use super::AuditInput;
use crate::decode::Transport;
use crate::flow::{Endpoint, Side, MAX_SIGHTINGS_PER_SIDE};
use crate::proto::{App, MediaShape};
use crate::ranges::Match;

/// One finding of one flow.
#[derive(Clone, Copy, Debug)]
pub struct Finding<'a> {
    pub code: Code,
    /// The flow's `id`.
    pub flow: u64,
    pub transport: Transport,
    pub client: Endpoint,
    pub server: Endpoint,
    /// The Office 365 endpoint set of the external end.
    pub o365: Option<Match<'a>>,
    pub detail: Detail<'a>,
}

impl Finding<'_> {
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

/// Why a direction over ExpressRoute was not expected there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnexpectedReason {
    /// The remote end is in an Office 365 endpoint set not routed over ExpressRoute.
    SetNotRouted,
    /// The remote end is in no ExpressRoute-routed Office 365 endpoint set.
    NotOffice365,
    /// The site profile says the site has no ExpressRoute.
    SiteWithoutExpressroute,
}

/// The facts behind one finding, per code.
#[derive(Clone, Copy, Debug)]
pub enum Detail<'a> {
    /// `asymmetric-route`: each direction over a different edge path.
    AsymmetricPaths {
        forward: Option<ObservedPath>,
        reverse: Option<ObservedPath>,
    },
    /// `asymmetric-route` from capture points no path rule names: the points each direction
    /// was seen at.
    AsymmetricPoints {
        forward: PointNames<'a>,
        reverse: PointNames<'a>,
    },
    /// `expressroute-bypassed`: the direction that went over the Internet, `partly` when it
    /// was split between both paths.
    ExpressrouteBypassed { direction: Direction, partly: bool },
    /// `unexpected-expressroute`: the direction that went over ExpressRoute (`partly`: split),
    /// and why it should not have.
    UnexpectedExpressroute {
        direction: Direction,
        partly: bool,
        reason: UnexpectedReason,
    },
    /// `one-sided-flow`: the one direction seen, and what it sent.
    OneSided {
        direction: Direction,
        packets: u64,
        duration_ns: i64,
    },
    /// `media-over-tcp`: the media app recognised on TCP, or the shape that made an encrypted
    /// flow media.
    MediaOverTcp { app: App, shape: Option<MediaShape> },
    /// `media-hairpin`: the call's two parties on the site and the external relay between them.
    MediaHairpin { call: u64, hairpin: Hairpin },
    /// `path-split`: the direction seen on both edge paths.
    PathSplit { direction: Direction },
    /// `unknown-path`: the paths as far as they were determined.
    UnknownPath {
        forward: Option<ObservedPath>,
        reverse: Option<ObservedPath>,
    },
    /// `media-loss`, `media-jitter`, `dscp-not-preserved`, `dscp-unmarked`: the stream or
    /// direction and its figures against the target.
    Quality(QualityIssue),
    /// `nat-pool-shared`: the source address and the flows it sent over each edge path.
    NatPoolShared(&'a SharedPool),
}

/// The capture points a direction was seen at, named when asked: sorted, each once.
#[derive(Clone, Copy)]
pub struct PointNames<'a> {
    input: &'a AuditInput<'a>,
    side: &'a Side,
}

impl std::fmt::Debug for PointNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> PointNames<'a> {
    /// The names, sorted, each once.
    pub fn iter(&self) -> impl Iterator<Item = &'a str> {
        let mut names = [""; MAX_SIGHTINGS_PER_SIDE];
        let mut len = 0;
        for (slot, p) in names.iter_mut().zip(points(self.side)) {
            *slot = self.input.point_name(p).shown;
            len += 1;
        }
        if let Some(seen) = names.get_mut(..len) {
            seen.sort_unstable();
        }
        let mut previous = None;
        names.into_iter().take(len).filter(move |&name| {
            let repeated = previous == Some(name);
            previous = Some(name);
            !repeated
        })
    }
}

/// The direction whose path is `wanted`: forward if it is, else reverse.
fn direction_of(path: PathPair, wanted: ObservedPath) -> Direction {
    if path.forward == Some(wanted) {
        Direction::Forward
    } else {
        Direction::Reverse
    }
}

/// The first direction that went over `wrong` wholly, else the first split one (`true`).
fn wrong_direction(path: PathPair, wrong: ObservedPath) -> (Direction, bool) {
    if path.forward == Some(wrong) || path.reverse == Some(wrong) {
        (direction_of(path, wrong), false)
    } else {
        (direction_of(path, ObservedPath::Split), true)
    }
}

/// Why a direction over ExpressRoute should not have taken it.
fn unexpected_reason(input: &AuditInput<'_>, v: &Verdict<'_>) -> UnexpectedReason {
    if v.ends.o365.is_some() {
        UnexpectedReason::SetNotRouted
    } else if input.site.expressroute {
        UnexpectedReason::NotOffice365
    } else {
        UnexpectedReason::SiteWithoutExpressroute
    }
}

/// The finding `code` of a flow (one of its verdict's codes).
pub(super) fn finding<'a>(f: &super::AuditedFlow<'a>, code: Code) -> Finding<'a> {
    let (input, id, key, state, v) = (f.input, f.id, f.key, f.state, f.verdict);
    let (call, announced, shared_pools) = (f.call(), f.announced, f.shared_pools);
    let client_side = v.ends.client_side;
    let path = v.path;
    // Three details read the flow's state: most are made from the key and verdict alone,
    // so the findings pass need not load every flow's state again.
    let sides = || oriented(state, client_side);
    let unknown = Detail::UnknownPath {
        forward: path.forward,
        reverse: path.reverse,
    };
    let detail = match code {
        Code::AsymmetricRoute if v.asymmetric_by_points => {
            let (fwd, rev) = sides();
            Detail::AsymmetricPoints {
                forward: PointNames { input, side: fwd },
                reverse: PointNames { input, side: rev },
            }
        }
        Code::AsymmetricRoute => Detail::AsymmetricPaths {
            forward: path.forward,
            reverse: path.reverse,
        },
        Code::ExpressrouteBypassed => {
            let (direction, partly) = wrong_direction(path, ObservedPath::Internet);
            Detail::ExpressrouteBypassed { direction, partly }
        }
        Code::UnexpectedExpressroute => {
            let (direction, partly) = wrong_direction(path, ObservedPath::Expressroute);
            Detail::UnexpectedExpressroute {
                direction,
                partly,
                reason: unexpected_reason(input, v),
            }
        }
        Code::OneSidedFlow => {
            let (fwd, rev) = sides();
            let (direction, seen) = if fwd.packets > 0 {
                (Direction::Forward, fwd)
            } else {
                (Direction::Reverse, rev)
            };
            Detail::OneSided {
                direction,
                packets: seen.packets,
                duration_ns: seen.last_ns - seen.first_ns,
            }
        }
        Code::MediaOverTcp => Detail::MediaOverTcp {
            app: v.app,
            shape: super::shape::media_shape(input, key, state, &v.ends, v.app),
        },
        Code::PathSplit => Detail::PathSplit {
            direction: direction_of(path, ObservedPath::Split),
        },
        Code::UnknownPath => unknown,
        Code::MediaHairpin => {
            // Set only on the flows of a call that has a hairpin (`link::calls`).
            let (call, hairpin) = call.and_then(|c| Some((c.id, c.hairpin?))).unwrap_or((
                0,
                Hairpin {
                    parties: [key.a.ip, key.b.ip],
                    relay: key.b.ip,
                },
            ));
            Detail::MediaHairpin { call, hairpin }
        }
        Code::MediaLoss
        | Code::MediaJitter
        | Code::DscpNotPreserved
        | Code::DscpUnmarked
        | Code::MediaReorder
        | Code::MediaRtt => {
            let media = super::quality::flow_media(state, key, client_side, path, announced);
            let issue = media
                .as_ref()
                .and_then(|m| super::quality::issue_of(m, &input.site.quality, code));
            // None is not reached: the verdict found the code from the same figures.
            issue.map_or(unknown, Detail::Quality)
        }
        Code::NatPoolShared => shared_pools
            .iter()
            .find(|p| p.address == key.a.ip || p.address == key.b.ip)
            .map_or(unknown, Detail::NatPoolShared),
    };
    Finding {
        code,
        flow: id,
        transport: Transport::of_protocol(key.protocol),
        client: key.sender(client_side),
        server: key.sender(1 - client_side),
        o365: v.ends.o365,
        detail,
    }
}
