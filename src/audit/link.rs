//! Linking flows into calls on evidence only (SPEC "Calls"): a SIP dialog's SDP announcing a
//! media flow's endpoint, ICE ufrag pairs seen on two flows, TURN allocations whose peer is
//! another allocation's relayed or reflexive address. Media flows and SIP dialogs are the nodes
//! of a union-find; each group holding media is a call. A SIP flow is never a node itself: a
//! trunk carries many dialogs, and joining through it would merge their calls.

use std::collections::HashMap;
use std::net::IpAddr;

use super::call::{Call, Deployment, Hairpin, Leg, LegKind, Party, UseCase};
use super::code::{Code, Codes};
use super::path::stays_inside;
use super::verdict::Verdict;
use super::AuditInput;
use crate::decode::Transport;
use crate::flow::{Endpoint, FlowKey, FlowState, FlowTable};
use crate::proto::{App, StunAddressKind};
use crate::site::ServerRole;

/// A union-find over node indices (path halving, union by index: the smaller root wins, so a
/// group's root is its earliest node).
struct Groups(Vec<usize>);

impl Groups {
    fn new(n: usize) -> Groups {
        Groups((0..n).collect())
    }

    fn add(&mut self) -> usize {
        let i = self.0.len();
        self.0.push(i);
        i
    }

    fn root(&mut self, mut i: usize) -> usize {
        while let Some(&p) = self.0.get(i) {
            if p == i {
                break;
            }
            let grand = self.0.get(p).copied().unwrap_or(p);
            if let Some(slot) = self.0.get_mut(i) {
                *slot = grand;
            }
            i = grand;
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        if let Some(slot) = self.0.get_mut(hi) {
            *slot = lo;
        }
    }
}

/// One flow as the linker sees it.
struct Node<'a> {
    /// The flow's position in report order (its verdict's index).
    at: usize,
    key: &'a FlowKey,
    state: &'a FlowState,
    media: bool,
    sip: bool,
    /// May carry STUN evidence (ICE checks, TURN): the linker reads only these flows' STUN
    /// evidence, not that of the run's many TLS and DNS flows.
    stun: bool,
}

/// A media flow: RTP, RTCP, DTLS (media keying, or a data channel of the call), or media over
/// TCP (TURN in the clear, pseudo-TLS, media by its shape).
fn is_media(v: &Verdict<'_>) -> bool {
    matches!(v.app, App::Rtp | App::Rtcp | App::Dtls) || v.has(Code::MediaOverTcp)
}

/// Whether two flows were active at overlapping times (TURN evidence is only as good as its
/// time: relay ports are reused).
fn overlap(a: &FlowState, b: &FlowState) -> bool {
    a.first_ns() <= b.last_ns() && b.first_ns() <= a.last_ns()
}

/// The calls of the audited flows (`order`: table slots in report order, `verdicts` and `ids`
/// alike). Sets `Verdict::call` on the flows of each call and adds `media-hairpin` to the media
/// flows of a call relayed between two parties of the site.
pub(super) fn calls(
    input: &AuditInput<'_>,
    table: &FlowTable,
    order: &[u32],
    verdicts: &mut [Verdict<'_>],
    ids: &[u32],
) -> Vec<Call> {
    // Only flows that can be in a call are nodes: most of a run is TLS and DNS.
    let nodes: Vec<Node<'_>> = order
        .iter()
        .zip(verdicts.iter())
        .enumerate()
        .filter_map(|(at, (&slot, v))| {
            // A flow inside a NAT is its outside twin's connection: the twin is in the call.
            if v.nat.is_some_and(|n| n.inside) {
                return None;
            }
            let (media, sip) = (is_media(v), v.app == App::Sip);
            let stun = media || v.app == App::Stun;
            if !(media || sip || stun) {
                return None;
            }
            let (key, state) = table.at(slot)?;
            Some(Node {
                at,
                key,
                state,
                media,
                sip,
                stun,
            })
        })
        .collect();
    if !nodes.iter().any(|n| n.media) {
        return Vec::new();
    }
    let mut groups = Groups::new(nodes.len());
    // Where each media flow's ends are, for SDP and relayed addresses.
    let mut media_at: HashMap<Endpoint, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.media) {
        media_at.entry(n.key.a).or_default().push(i);
        media_at.entry(n.key.b).or_default().push(i);
    }
    link_turn(&nodes, &media_at, &mut groups);
    link_ice(&nodes, &mut groups);
    let dialogs = link_sdp(&nodes, &media_at, &mut groups);

    // Groups holding media, in the order of their first flow (the others, most flows of a
    // run, are not gathered at all).
    let mut with_media = vec![false; groups.0.len()];
    for i in (0..nodes.len()).filter(|&i| nodes.get(i).is_some_and(|n| n.media)) {
        let r = groups.root(i);
        if let Some(m) = with_media.get_mut(r) {
            *m = true;
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..nodes.len() {
        let r = groups.root(i);
        if with_media.get(r).copied().unwrap_or(false) {
            members.entry(r).or_default().push(i);
        }
    }
    let mut dialog_of_group: HashMap<usize, Vec<&str>> = HashMap::new();
    for (call_id, node) in &dialogs.nodes {
        let r = groups.root(*node);
        dialog_of_group.entry(r).or_default().push(call_id);
    }
    let mut roots: Vec<usize> = members
        .iter()
        .filter(|(_, m)| m.iter().any(|&i| nodes.get(i).is_some_and(|n| n.media)))
        .map(|(&r, _)| r)
        .collect();
    roots.sort_unstable_by_key(|r| members.get(r).and_then(|m| m.first().copied()));

    let deployment = deployment(input);
    let mut calls = Vec::with_capacity(roots.len());
    for root in roots {
        let id = calls.len() as u64 + 1;
        let mut flows: Vec<(usize, LegKind)> = members
            .get(&root)
            .map(|m| {
                m.iter()
                    .filter_map(|&i| {
                        let n = nodes.get(i)?;
                        // A SIP flow joins through its dialogs below, never on its own.
                        (!n.sip).then_some((
                            i,
                            if n.media {
                                LegKind::Media
                            } else {
                                LegKind::Ice
                            },
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(call_ids) = dialog_of_group.get(&root) {
            for call_id in call_ids {
                for &s in dialogs.flows.get(call_id).map_or(&[][..], Vec::as_slice) {
                    if !flows.iter().any(|(i, _)| *i == s) {
                        flows.push((s, LegKind::Signaling));
                    }
                }
            }
        }
        flows.sort_unstable_by_key(|(i, _)| *i);
        let call = make_call(input, &nodes, verdicts, ids, id, deployment, &flows);
        for &(i, kind) in &flows {
            let at = nodes.get(i).map_or(usize::MAX, |n| n.at);
            if let Some(v) = verdicts.get_mut(at) {
                if kind != LegKind::Signaling {
                    v.call = u32::try_from(id).unwrap_or(0);
                }
                if call.hairpin.is_some() && kind == LegKind::Media {
                    v.codes.insert(Code::MediaHairpin);
                }
            }
        }
        calls.push(call);
    }
    calls
}

/// TURN (RFC 8656 §2, [MS-TURN]): a flow whose peer address (CreatePermission, ChannelBind,
/// Send) is another flow's relayed or reflexive address (Allocate response), at overlapping
/// times; and a media flow sent to a relayed address, with the allocation that owns it.
fn link_turn(nodes: &[Node<'_>], media_at: &HashMap<Endpoint, Vec<usize>>, groups: &mut Groups) {
    let mut allocated: HashMap<Endpoint, Vec<usize>> = HashMap::new();
    for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.stun) {
        for a in n.state.app.stun_addresses() {
            if matches!(a.kind, StunAddressKind::Relayed | StunAddressKind::Mapped) {
                let e = Endpoint {
                    ip: a.ip,
                    port: a.port,
                };
                allocated.entry(e).or_default().push(i);
            }
        }
    }
    if allocated.is_empty() {
        return;
    }
    for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.stun) {
        for a in n.state.app.stun_addresses() {
            if a.kind != StunAddressKind::Peer {
                continue;
            }
            let e = Endpoint {
                ip: a.ip,
                port: a.port,
            };
            for &j in allocated.get(&e).map_or(&[][..], Vec::as_slice) {
                if j != i && nodes.get(j).is_some_and(|m| overlap(n.state, m.state)) {
                    groups.join(i, j);
                }
            }
        }
    }
    for (e, flows) in media_at {
        let Some(owners) = allocated.get(e) else {
            continue;
        };
        // Only relayed addresses: a reflexive address is the client's own NAT binding, which
        // carries every flow of that client.
        for &f in flows {
            for &o in owners {
                let relayed = nodes.get(o).is_some_and(|m| {
                    m.state.app.stun_addresses().iter().any(|a| {
                        a.kind == StunAddressKind::Relayed && a.ip == e.ip && a.port == e.port
                    })
                });
                let together = nodes
                    .get(f)
                    .zip(nodes.get(o))
                    .is_some_and(|(x, y)| overlap(x.state, y.state));
                if o != f && relayed && together {
                    groups.join(f, o);
                }
            }
        }
    }
}

/// ICE (RFC 8445 §7.2.2): a check's USERNAME is `remote:local`; the other agent's checks carry
/// the pair reversed, and every candidate pair of the session the same pair. Flows whose
/// checks share a pair, in either order, are one session.
fn link_ice(nodes: &[Node<'_>], groups: &mut Groups) {
    let mut first: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.stun) {
        for username in n.state.app.ice_usernames() {
            let Some((a, b)) = username.split_once(':') else {
                continue;
            };
            let pair = if a <= b { (a, b) } else { (b, a) };
            match first.get(&pair) {
                Some(&j) => groups.join(i, j),
                None => {
                    first.insert(pair, i);
                }
            }
        }
    }
}

/// The SIP dialogs: each Call-ID a node, joined to the media flows its SDP announced (RFC 4566
/// §5.7 `c=`, §5.14 `m=`; RTCP on the next port, RFC 3550 §11); and the SIP flows carrying it.
struct Dialogs<'a> {
    nodes: HashMap<&'a str, usize>,
    flows: HashMap<&'a str, Vec<usize>>,
}

fn link_sdp<'a>(
    nodes: &[Node<'a>],
    media_at: &HashMap<Endpoint, Vec<usize>>,
    groups: &mut Groups,
) -> Dialogs<'a> {
    let mut dialogs = Dialogs {
        nodes: HashMap::new(),
        flows: HashMap::new(),
    };
    for (s, n) in nodes.iter().enumerate().filter(|(_, n)| n.sip) {
        let Some(sip) = n.state.app.sip_summary() else {
            continue;
        };
        for call_id in &sip.call_ids {
            dialogs.flows.entry(call_id.as_str()).or_default().push(s);
        }
        // Which dialog an `m=` line belongs to: its message's Call-ID; without one, the flow's
        // only dialog. A flow with several dialogs and no way to tell is left unlinked.
        let only = match sip.call_ids.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        };
        for m in &sip.sdp_media {
            let Some(call_id) = m.call_id.as_deref().or(only) else {
                continue;
            };
            let Some(ip) =
                m.ip.as_deref()
                    .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
            else {
                continue;
            };
            if m.port == 0 {
                continue;
            }
            let node = *dialogs.nodes.entry(call_id).or_insert_with(|| groups.add());
            let rtcp = m.port.checked_add(1);
            for port in std::iter::once(m.port).chain(rtcp) {
                for &f in media_at
                    .get(&Endpoint { ip, port })
                    .map_or(&[][..], Vec::as_slice)
                {
                    if nodes
                        .get(f)
                        .is_some_and(|m| during_signaling(n.state, m.state))
                    {
                        groups.join(f, node);
                    }
                }
            }
        }
    }
    dialogs
}

/// Media starts once the answer is in (RFC 3264 §5), so within a minute of the SIP flow's last
/// message at most: an announced port used again long after its dialog (a port reused by
/// a later call, a dialog that failed) is another conversation.
const MEDIA_AFTER_SIGNALING_NS: i64 = 60_000_000_000;

fn during_signaling(sip: &FlowState, media: &FlowState) -> bool {
    media.first_ns() <= sip.last_ns().saturating_add(MEDIA_AFTER_SIGNALING_NS)
        && sip.first_ns() <= media.last_ns()
}

/// SPEC "Calls": from the profile's `[[server]]` roles; null without a profile.
fn deployment(input: &AuditInput<'_>) -> Option<Deployment> {
    let site = input.site;
    site.profile.as_ref()?;
    let has = |role: ServerRole| site.servers.iter().any(|s| s.role == role);
    Some(if has(ServerRole::CloudConnector) {
        Deployment::CloudConnector
    } else if [
        ServerRole::FrontEnd,
        ServerRole::Edge,
        ServerRole::Conferencing,
        ServerRole::Mediation,
    ]
    .into_iter()
    .any(has)
    {
        Deployment::Hybrid
    } else {
        Deployment::Online
    })
}

fn make_call(
    input: &AuditInput<'_>,
    nodes: &[Node<'_>],
    verdicts: &[Verdict<'_>],
    ids: &[u32],
    id: u64,
    deployment: Option<Deployment>,
    flows: &[(usize, LegKind)],
) -> Call {
    let mut parties: Vec<Party> = Vec::new();
    let mut legs = Vec::with_capacity(flows.len());
    let mut codes = Codes::default();
    let mut local_media = true;
    for &(i, kind) in flows {
        let Some(n) = nodes.get(i) else {
            continue;
        };
        let Some(v) = verdicts.get(n.at) else {
            continue;
        };
        let flow = ids.get(n.at).map_or(0, |&x| u64::from(x));
        legs.push(Leg {
            kind,
            flow,
            expected_path: v.expected,
            path: v.path,
        });
        for c in v.codes() {
            codes.insert(c);
        }
        if kind != LegKind::Media {
            continue;
        }
        let (ca, cb) = (
            stays_inside(input.site, n.key.a.ip),
            stays_inside(input.site, n.key.b.ip),
        );
        local_media &= ca && cb;
        for (end, internal) in [(n.key.a, ca), (n.key.b, cb)] {
            if parties.iter().any(|p| p.ip == end.ip) {
                continue;
            }
            let transport = Transport::of_protocol(n.key.protocol);
            let o365 = (!internal)
                .then(|| input.ranges.lookup(end.ip, transport, end.port))
                .flatten()
                .map(|m| m.id);
            parties.push(Party {
                ip: end.ip,
                internal,
                o365,
                role: input.site.server_role(end.ip),
            });
        }
    }
    // Internal parties first, each kind in the order seen.
    parties.sort_by_key(|p| !p.internal);
    let role_in = |roles: &[ServerRole]| {
        parties
            .iter()
            .any(|p| p.role.is_some_and(|r| roles.contains(&r)))
    };
    let clients: Vec<IpAddr> = parties
        .iter()
        .filter(|p| p.internal && p.role.is_none())
        .map(|p| p.ip)
        .collect();
    let relay = parties.iter().find(|p| !p.internal).map(|p| p.ip);
    let mut hairpin = None;
    let use_case = if !parties.iter().any(|p| p.internal) {
        UseCase::External
    } else if role_in(&[ServerRole::Conferencing, ServerRole::Edge]) {
        UseCase::OnpremConference
    } else if role_in(&[ServerRole::Mediation, ServerRole::Sbc]) {
        UseCase::OnpremPstn
    } else if role_in(&[ServerRole::CloudConnector]) {
        UseCase::CloudConnectorPstn
    } else if local_media {
        UseCase::P2pLocal
    } else if let ([a, b, ..], Some(relay)) = (clients.as_slice(), relay) {
        // Principle 3: peer-to-peer media takes the most direct route; relayed outside, it
        // hairpins through the edge.
        hairpin = Some(Hairpin {
            parties: [*a, *b],
            relay,
        });
        UseCase::P2pRelayed
    } else if parties.iter().any(|p| !p.internal && p.o365.is_some()) {
        UseCase::Office365Media
    } else {
        UseCase::ThirdParty
    };
    if hairpin.is_some() {
        codes.insert(Code::MediaHairpin);
    }
    let media_flows = legs
        .iter()
        .filter(|l| l.kind == LegKind::Media)
        .map(|l| l.flow)
        .collect();
    let signaling_flows = legs
        .iter()
        .filter(|l| l.kind == LegKind::Signaling)
        .map(|l| l.flow)
        .collect();
    Call {
        id,
        use_case,
        deployment,
        table: table_row(deployment, use_case),
        flows: legs.iter().map(|l| l.flow).collect(),
        media_flows,
        signaling_flows,
        parties,
        legs,
        codes,
        hairpin,
    }
}

/// The row of `CALL-FLOWS.md` a call matches: its table from the deployment (Skype for Business
/// Online without a profile), its row from the use case. Where traffic cannot tell rows with
/// the same paths apart (a conference, a PSTN call through Phone System and a peer through the
/// online Edge all send media to Office 365), the row names them together.
pub fn table_row(deployment: Option<Deployment>, use_case: UseCase) -> &'static str {
    match (deployment, use_case) {
        (Some(Deployment::Hybrid), UseCase::P2pLocal | UseCase::P2pRelayed) => {
            "Hybrid: peer-to-peer, two clients on your network"
        }
        (Some(Deployment::Hybrid), UseCase::Office365Media) => {
            "Hybrid: join a conference organized by an online user"
        }
        (Some(Deployment::Hybrid), UseCase::OnpremConference) => {
            "Hybrid: join a conference organized by an on-prem user"
        }
        (_, UseCase::OnpremPstn) => {
            "Hybrid: PSTN call, on-prem user on your network, on-prem datacenter"
        }
        (_, UseCase::OnpremConference) => "Hybrid: join a conference organized by an on-prem user",
        (_, UseCase::CloudConnectorPstn) => {
            "Cloud Connector Edition: PSTN call, online user on your network, Cloud Connector"
        }
        (_, UseCase::P2pLocal | UseCase::P2pRelayed) => {
            "Skype for Business Online: peer-to-peer, two clients both on your network"
        }
        (_, UseCase::Office365Media) => {
            "Skype for Business Online: join a conference organized on your network, PSTN call \
             through Phone System, or peer-to-peer through the online Edge (same paths)"
        }
        (_, UseCase::ThirdParty) => {
            "Skype for Business Online: join a conference hosted on another company's on-prem \
             servers"
        }
        (_, UseCase::External) => {
            "Skype for Business Online: join a conference from the Internet (no party on your \
             network)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_join_to_the_earliest_node() {
        let mut g = Groups::new(5);
        g.join(3, 4);
        g.join(4, 1);
        let extra = g.add();
        g.join(extra, 3);
        assert_eq!([g.root(1), g.root(3), g.root(4), g.root(extra)], [1; 4]);
        assert_eq!((g.root(0), g.root(2)), (0, 2));
        // Out of range: its own root, no panic.
        assert_eq!(g.root(99), 99);
        g.join(99, 0);
    }

    #[test]
    fn every_use_case_has_a_row_of_its_deployments_table() {
        for u in UseCase::ALL {
            assert!(
                table_row(None, u).starts_with("Skype for Business Online")
                    || matches!(
                        u,
                        UseCase::OnpremPstn
                            | UseCase::OnpremConference
                            | UseCase::CloudConnectorPstn
                    )
            );
            assert!(!table_row(Some(Deployment::Hybrid), u).is_empty());
        }
        assert!(table_row(Some(Deployment::Hybrid), UseCase::P2pLocal).starts_with("Hybrid"));
        assert!(table_row(
            Some(Deployment::CloudConnector),
            UseCase::CloudConnectorPstn
        )
        .starts_with("Cloud Connector"));
        assert!(table_row(Some(Deployment::Online), UseCase::Office365Media)
            .starts_with("Skype for Business Online"));
    }
}
