//! The one place findings become words: each finding's message, from the facts the audit
//! recorded (`audit::Finding`). The JSON writers escape it straight into their output; the
//! text report prints the detail under the flow's line.

use std::fmt::{self, Write};

use super::model::dscp_values;
use super::write_ip;
use crate::audit::{
    loss_percent, Code, Detail, Direction, Finding, Hairpin, ObservedPath, PathFlows, PointKind,
    PointValue, ProfileWarning, QualityIssue, RuleValue, UnexpectedReason, Unmatched,
};
use crate::proto::ShapeGate;

/// The whole message: the flow, then what was found.
/// `udp 10.0.0.1:50000 -> 52.112.0.1:3478 (Office 365 endpoint set 11, Skype Optimize): ...`
pub fn write_message<W: Write>(w: &mut W, f: &Finding<'_>) -> fmt::Result {
    write_flow(w, f)?;
    w.write_str(": ")?;
    write_detail(w, f)
}

/// The message as a `String`.
pub fn message(f: &Finding<'_>) -> String {
    let mut text = String::new();
    // Writing into a `String` cannot fail.
    let _ = write_message(&mut text, f);
    text
}

/// The detail as a `String` (the text report shows the flow on its own line).
pub fn detail(f: &Finding<'_>) -> String {
    let mut text = String::new();
    let _ = write_detail(&mut text, f);
    text
}

/// The short detail as a `String` (see `write_short_detail`).
pub fn short_detail(f: &Finding<'_>) -> String {
    let mut text = String::new();
    let _ = write_short_detail(&mut text, f);
    text
}

fn write_u64<W: Write>(w: &mut W, n: u64) -> fmt::Result {
    w.write_str(itoa::Buffer::new().format(n))
}

/// The flow a finding is about: transport, client -> server, Office 365 endpoint set.
fn write_flow<W: Write>(w: &mut W, f: &Finding<'_>) -> fmt::Result {
    w.write_str(f.transport.as_str())?;
    w.write_str(" ")?;
    write_ip(w, f.client.ip)?;
    w.write_str(":")?;
    write_u64(w, u64::from(f.client.port))?;
    w.write_str(" -> ")?;
    write_ip(w, f.server.ip)?;
    w.write_str(":")?;
    write_u64(w, u64::from(f.server.port))?;
    if let Some(m) = &f.o365 {
        w.write_str(" (Office 365 endpoint set ")?;
        write_u64(w, u64::from(m.id))?;
        for part in [", ", m.service_area, " ", m.category.as_str(), ")"] {
            w.write_str(part)?;
        }
    }
    Ok(())
}

fn describe(p: Option<ObservedPath>) -> &'static str {
    p.map_or("nowhere", ObservedPath::as_str)
}

/// What was found, and what it means.
pub fn write_detail<W: Write>(w: &mut W, f: &Finding<'_>) -> fmt::Result {
    write_short_detail(w, f)?;
    if matches!(f.detail, Detail::UnknownPath { .. }) {
        w.write_str("; ")?;
        w.write_str(UNKNOWN_PATH_ADVICE)?;
    }
    Ok(())
}

/// What to do about a finding code: the README's findings table's last column, word for word
/// (a test keeps them the same); the HTML report shows it beside each code.
pub fn advice(code: Code) -> &'static str {
    match code {
        Code::AsymmetricRoute => "The classic causes (Microsoft, \"Asymmetric routing with multiple network paths\"): your NAT pool or public prefix is advertised on both paths, or not advertised on ExpressRoute at all, so Microsoft answers by the other one. Advertise each public prefix on one path only (a more specific one on ExpressRoute), use separate NAT pools per path, and SNAT inbound Internet traffic at the Internet edge.",
        Code::ExpressrouteBypassed => "Check that the route filter on the Microsoft peering includes the Skype for Business / Teams community (12076:5030), that the prefixes are received and preferred, and that no proxy or policy route sends Teams traffic to the Internet.",
        Code::UnexpectedExpressroute => "Something is routing the Internet into the ExpressRoute circuit: a default route or overly broad prefix toward the ExpressRoute router, or a shared NAT pool. Such traffic is dropped by Microsoft or returns asymmetrically.",
        Code::OneSidedFlow => "Either the replies are dropped (firewall, ACL, missing return route) or they return by a path you did not capture. Capture the other path too; for Teams media check UDP 3478-3481 outbound and its replies.",
        Code::MediaOverTcp => "UDP to Office 365 is blocked somewhere: open UDP 3478-3481 to the Teams ranges (set 11). TCP adds latency and head-of-line blocking to calls.",
        Code::PathSplit => "Use per-flow (5-tuple hash) load balancing, or pin Office 365 prefixes to one path. A stateful firewall on either path sees only part of the flow.",
        Code::UnknownPath => "Add a [[path]] rule for the capture point, VLAN, next-hop MAC or NAT pool where it was seen (callpath interfaces lists them).",
        Code::MediaHairpin => "A relay here costs ExpressRoute (or Internet) bandwidth and latency twice. It usually means a firewall inside the network blocks client-to-client UDP (the high ports Teams uses, 50000-50059 by default, or any): allow UDP between client subnets so ICE finds the direct path.",
        Code::MediaLoss => "Look at that path in that window: interface drops and errors, a policer or shaper below the call's rate, Wi-Fi. On ExpressRoute, check the circuit's utilisation and the QoS queues of the edge routers.",
        Code::MediaJitter => "Queueing on that path: give media its priority queue (EF for audio, AF41 video) end to end, or find the congested link.",
        Code::DscpNotPreserved => "Check the QoS policies of the routers, firewalls and WAN links between the clients and the ExpressRoute edge; with a provider-managed circuit, ask the provider to trust the marks.",
        Code::DscpUnmarked => "Mark Teams media at the clients (a QoS policy by source port, 50000-50059 by default) and keep the marks to the ExpressRoute edge, so the circuit can prioritise it.",
        Code::MediaReorder => "Packets of one flow took different routes or queues: per-packet load balancing, or links bundled without flow hashing on the path named.",
        Code::MediaRtt => "A long route: a far-away media relay or egress, or queues. Check where Office 365 traffic leaves the network and which relay the client is given.",
        Code::NatPoolShared => "Use separate NAT pools per path: advertise the ExpressRoute pool only to Microsoft over ExpressRoute, and the Internet pool only to the Internet; check which NAT rule the listed flows hit.",
    }
}

/// What to do about `unknown-path`: the text report says it once, under the code.
pub const UNKNOWN_PATH_ADVICE: &str =
    "add a [[path]] rule for its capture point, VLAN or next-hop MAC";

/// What was found, without the advice the text report gives once per code (`unknown-path`'s).
pub fn write_short_detail<W: Write>(w: &mut W, f: &Finding<'_>) -> fmt::Result {
    let parts = |w: &mut W, parts: &[&str]| parts.iter().try_for_each(|p| w.write_str(p));
    match &f.detail {
        Detail::AsymmetricPoints { forward, reverse } => {
            w.write_str("forward seen at ")?;
            write_list(w, forward.iter())?;
            w.write_str(", reverse seen at ")?;
            write_list(w, reverse.iter())?;
            w.write_str("; the directions took different capture points")
        }
        Detail::AsymmetricPaths { forward, reverse } => parts(
            w,
            &[
                "forward over ",
                describe(*forward),
                ", reverse over ",
                describe(*reverse),
                "; a stateful firewall on either path sees only half of the flow",
            ],
        ),
        Detail::ExpressrouteBypassed { direction, partly } => parts(
            w,
            &[
                "expected over expressroute, but the ",
                direction.as_str(),
                if *partly {
                    " direction went partly over internet (split between both paths)"
                } else {
                    " direction went over internet"
                },
            ],
        ),
        Detail::UnexpectedExpressroute {
            direction,
            partly,
            reason,
        } => parts(
            w,
            &[
                "the ",
                direction.as_str(),
                if *partly {
                    " direction went partly over expressroute (split between both paths), but "
                } else {
                    " direction went over expressroute, but "
                },
                match reason {
                    UnexpectedReason::SetNotRouted => {
                        "its endpoint set is not routed over ExpressRoute"
                    }
                    UnexpectedReason::NotOffice365 => {
                        "the remote address is not in an ExpressRoute-routed Office 365 endpoint set"
                    }
                    UnexpectedReason::SiteWithoutExpressroute => {
                        "the site profile says the site has no ExpressRoute"
                    }
                },
            ],
        ),
        Detail::OneSided {
            direction: Direction::Forward,
            packets,
            duration_ns,
        } => write!(
            w,
            "{packets} packets sent over {:.1} s, no reply seen at any capture point",
            *duration_ns as f64 / 1e9
        ),
        Detail::OneSided {
            direction: Direction::Reverse,
            packets,
            duration_ns,
        } => write!(
            w,
            "only the server's direction was seen: {packets} packets over {:.1} s, the client's \
             direction was seen at no capture point",
            *duration_ns as f64 / 1e9
        ),
        Detail::MediaOverTcp { app, shape: None } => parts(
            w,
            &[
                app.as_str(),
                " carried over TCP; open UDP 3478-3481 to Office 365 so media uses UDP",
            ],
        ),
        Detail::MediaOverTcp {
            app,
            shape: Some(s),
        } => write!(
            w,
            "{} with the shape of media ({} and {} segments/s, mean {} and {} bytes, over {:.1} \
             s; {}) carried over TCP; open UDP 3478-3481 to Office 365 so media uses UDP",
            app.as_str(),
            s.segments_per_s.forward,
            s.segments_per_s.reverse,
            s.mean_size.forward,
            s.mean_size.reverse,
            s.duration_s,
            match s.gate {
                ShapeGate::MediaAddress => "to a Teams media relay address",
                ShapeGate::RelaySni => "to a Teams relay name",
            }
        ),
        Detail::MediaHairpin { call, hairpin } => {
            write!(w, "call {call}: ")?;
            write_hairpin(w, hairpin)?;
            w.write_str(
                " instead of going directly; let client-to-client UDP through the internal \
                 firewalls so peer-to-peer media stays local",
            )
        }
        Detail::Quality(issue) => write_quality(w, issue),
        Detail::NatPoolShared(pool) => {
            write_ip(w, pool.address)?;
            w.write_str(" egresses over expressroute (")?;
            write_path_flows(w, &pool.expressroute)?;
            w.write_str(") and over internet (")?;
            write_path_flows(w, &pool.internet)?;
            w.write_str(
                "): one NAT pool on both paths makes replies return by the other path;                  advertise separate NAT pools per path, the ExpressRoute pool only to Microsoft",
            )
        }
        Detail::PathSplit { direction } => parts(
            w,
            &[
                "the ",
                direction.as_str(),
                " direction was seen on both expressroute and internet",
            ],
        ),
        Detail::UnknownPath { forward, reverse } => parts(
            w,
            &[
                "path not determined (forward ",
                describe(*forward),
                ", reverse ",
                describe(*reverse),
                ")",
            ],
        ),
    }
}

/// `12 flows: #3, #8, #9, ...`
fn write_path_flows<W: Write>(w: &mut W, p: &PathFlows) -> fmt::Result {
    write_u64(w, p.flows)?;
    w.write_str(if p.flows == 1 { " flow: " } else { " flows: " })?;
    for (i, id) in p.examples.iter().enumerate() {
        w.write_str(if i == 0 { "#" } else { ", #" })?;
        write_u64(w, *id)?;
    }
    if p.flows > p.examples.len() as u64 {
        w.write_str(", ...")?;
    }
    Ok(())
}

/// `media between A and B, both on your network, relayed through R`: a call's hairpin, in the
/// `media-hairpin` message and under the call in the text report.
pub fn write_hairpin<W: Write>(w: &mut W, h: &Hairpin) -> fmt::Result {
    let [a, b] = h.parties;
    w.write_str("media between ")?;
    write_ip(w, a)?;
    w.write_str(" and ")?;
    write_ip(w, b)?;
    w.write_str(", both on your network, relayed through ")?;
    write_ip(w, h.relay)
}

/// A call's hairpin as a `String` (see `write_hairpin`).
pub fn hairpin(h: &Hairpin) -> String {
    let mut text = String::new();
    let _ = write_hairpin(&mut text, h);
    text
}

/// How the report names the site: its name; `(unnamed) from FILE` for a profile without one;
/// `(no site profile)` without a profile.
pub fn site_shown(name: Option<&str>, profile: Option<&str>) -> String {
    match (name, profile) {
        (Some(name), _) => name.to_owned(),
        (None, Some(file)) => format!("(unnamed) from {file}"),
        (None, None) => "(no site profile)".to_owned(),
    }
}

/// A site profile warning (`audit::ProfileWarning`) in words, naming the profile `file`:
/// `site.toml: path[0].interfaces: "ER0" (expressroute) matches no capture point; capture
/// points seen: "er0", "inet0"; did you mean "er0"?`
pub fn profile_warning(w: &ProfileWarning, file: &str) -> String {
    match w {
        ProfileWarning::NoSiteTable => format!(
            "{file} has no [site] table: its [[path]] rules apply, but with the default internal \
             prefixes (RFC 1918, RFC 6598, loopback, ULA, link-local) and no site name; add a \
             [site] table with the site's name and internal prefixes"
        ),
        ProfileWarning::ExpressrouteWithoutPath => format!(
            "{file}: [site] expressroute = true, but no [[path]] is named expressroute: flows \
             expected over ExpressRoute can never be seen on it; add a [[path]] with name = \
             \"expressroute\" and its interfaces, ifindexes, VLANs or next-hop MACs"
        ),
        ProfileWarning::NoneSeen { kind, rules } => none_seen(*kind, rules, file),
        ProfileWarning::Unmatched(u) => unmatched(u, file),
    }
}

/// Per kind of rule: its key, what a value matches, the values seen, none of them seen.
fn kind_words(kind: PointKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        PointKind::Capture => (
            "interfaces",
            "capture point",
            "capture points seen",
            "the captures name no capture point (no LABEL=PATH, no pcapng interface name)",
        ),
        PointKind::Ifindex => (
            "ifindexes",
            "packet",
            "ifindexes seen",
            "the captures have no SLL2 ifindex (tcpdump -i any)",
        ),
        PointKind::Vlan => (
            "vlans",
            "packet",
            "VLANs seen",
            "no packet carries a VLAN tag",
        ),
        PointKind::NextHopMac => (
            "macs",
            "packet as next-hop MAC",
            "next-hop MACs seen",
            "no next-hop MAC was seen (no flow crossing the edge has an Ethernet header)",
        ),
    }
}

/// `FILE: no packet carries a VLAN tag: path[0].vlans 100 (expressroute), path[1].vlans 200
/// (internet) match nothing`
fn none_seen(kind: PointKind, rules: &[RuleValue], file: &str) -> String {
    let (key, _, _, none) = kind_words(kind);
    let mut text = format!("{file}: {none}: ");
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        text.push_str(&format!(
            "path[{}].{key} {} ({})",
            r.block,
            value_text(&r.value),
            r.path
        ));
    }
    text.push_str(if rules.len() == 1 {
        " matches nothing"
    } else {
        " match nothing"
    });
    text
}

/// `FILE: path[0].vlans: 2000 (internet) matches no packet; VLANs seen: 200, 100; did you
/// mean 200?`
fn unmatched(u: &Unmatched, file: &str) -> String {
    let (key, what, seen, none) = kind_words(u.kind);
    let mut text = format!(
        "{file}: path[{}].{key}: {} ({}) matches no {what}; ",
        u.block,
        value_text(&u.value),
        u.path
    );
    if u.seen.is_empty() {
        text.push_str(none);
    } else {
        text.push_str(seen);
        text.push_str(": ");
        for (i, v) in u.seen.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&value_text(v));
        }
        let more = u.seen_total.saturating_sub(u.seen.len());
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
    }
    if let Some(s) = &u.suggestion {
        text.push_str(&format!("; did you mean {}?", value_text(s)));
    }
    text
}

/// A value as a profile writes it: a name quoted (so spaces show), a number, a MAC.
fn value_text(v: &PointValue) -> String {
    match v {
        PointValue::Name(n) => format!("{n:?}"),
        PointValue::Number(n) => n.to_string(),
        PointValue::Mac(m) => crate::mac::text(*m),
    }
}

/// Names separated by `, `.
fn write_list<'n, W: Write>(w: &mut W, names: impl Iterator<Item = &'n str>) -> fmt::Result {
    for (i, name) in names.enumerate() {
        if i > 0 {
            w.write_str(", ")?;
        }
        w.write_str(name)?;
    }
    Ok(())
}

/// A DSCP value, with the name of its per-hop behaviour where Teams uses one.
fn write_dscp<W: Write>(w: &mut W, value: u8) -> fmt::Result {
    match value {
        46 => w.write_str("46 (EF)"),
        34 => w.write_str("34 (AF41)"),
        18 => w.write_str("18 (AF21)"),
        0 => w.write_str("0 (unmarked)"),
        _ => write!(w, "{value}"),
    }
}

/// The DSCP values of a bitmask: `0 (unmarked) and 46 (EF)`.
fn write_dscp_set<W: Write>(w: &mut W, marks: u64) -> fmt::Result {
    for (i, v) in dscp_values(marks).enumerate() {
        if i > 0 {
            w.write_str(" and ")?;
        }
        write_dscp(w, v)?;
    }
    Ok(())
}

/// `media-loss`, `media-jitter`, `dscp-not-preserved`, `dscp-unmarked`.
fn write_quality<W: Write>(w: &mut W, issue: &QualityIssue) -> fmt::Result {
    match *issue {
        QualityIssue::Loss {
            direction,
            path,
            ssrc,
            window,
            window_s,
            max_percent,
            lost,
            expected,
            max_burst_lost,
        } => {
            write!(
                w,
                "the {} stream (SSRC {ssrc:#010x}) over {} lost {:.2} % of its packets ({} of \
                 {}) in its worst {window_s} s window, from {}, against a target below {} %; \
                 {lost} of {expected} over the whole stream, at most {max_burst_lost} in a row",
                direction.as_str(),
                describe(path),
                loss_percent(window.lost, window.expected),
                window.lost,
                window.expected,
                super::time::rfc3339(window.start_ns),
                max_percent,
            )?;
            w.write_str(
                "; look for congestion or errors on that path (interface drops, a policer, \
                 Wi-Fi) in that window",
            )
        }
        QualityIssue::Burst {
            direction,
            path,
            ssrc,
            lost,
            due,
            max_percent,
        } => write!(
            w,
            "the {} stream (SSRC {ssrc:#010x}) over {} lost {lost} packets in a row within 200 ms, \
             of about {due:.0} it sends in 200 ms, against a target below {max_percent} % in any \
             200 ms; look for congestion or errors on that path (interface drops, a policer, \
             Wi-Fi)",
            direction.as_str(),
            describe(path),
        ),
        QualityIssue::Reorder {
            direction,
            path,
            ssrc,
            reordered,
            packets,
            max_percent,
        } => write!(
            w,
            "the {} stream (SSRC {ssrc:#010x}) over {} had {reordered} of {packets} packets \
             ({:.3} %) arrive out of order, against a target below {max_percent} %; packets of \
             one flow took different routes or queues: look for per-packet load balancing or \
             several links bundled without flow hashing",
            direction.as_str(),
            describe(path),
            loss_percent(reordered, packets),
        ),
        QualityIssue::Rtt {
            direction,
            ssrc,
            max_rtt_ms,
            target_ms,
        } => write!(
            w,
            "RTCP reports travelling {} about SSRC {ssrc:#010x} give a round trip of up to \
             {max_rtt_ms:.1} ms (LSR/DLSR, RFC 3550 6.4.1, timed at the capture point), against a \
             target below {target_ms} ms; check the route's length and queues (a far-away media \
             relay, a detour through a distant egress)",
            direction.as_str(),
        ),
        QualityIssue::Jitter {
            direction,
            path,
            ssrc,
            window_start_ns,
            window_s,
            max_jitter_ms,
            target_ms,
        } => write!(
            w,
            "the {} stream (SSRC {ssrc:#010x}) over {} reached {max_jitter_ms:.1} ms of \
             interarrival jitter in the {window_s} s window from {}, against a target below \
             {target_ms} ms; queueing on that path: give media its priority queue (DSCP EF/AF41) \
             or find the congested link",
            direction.as_str(),
            describe(path),
            super::time::rfc3339(window_start_ns),
        ),
        QualityIssue::DscpNotPreserved {
            direction,
            class,
            expected,
            seen,
        } => {
            write!(
                w,
                "the {} direction over expressroute carried DSCP ",
                direction.as_str()
            )?;
            write_dscp_set(w, seen)?;
            w.write_str(", not only ")?;
            write_dscp(w, expected)?;
            match class {
                Some(c) => write!(w, ", the mark of {}", c.as_str())?,
                None => w.write_str(", the mark the other direction carries")?,
            }
            w.write_str(
                "; ExpressRoute preserves DSCP, so a device or provider on the path re-marks: \
                 check the QoS policies of the routers and firewalls between the clients and \
                 the ExpressRoute edge",
            )
        }
        QualityIssue::DscpUnmarked { direction, class } => {
            write!(
                w,
                "media over expressroute (the {} direction",
                direction.as_str()
            )?;
            if let Some(c) = class {
                write!(w, ", {}", c.as_str())?;
            }
            w.write_str(") never carried a DSCP mark")?;
            if let Some(c) = class {
                w.write_str("; it should carry ")?;
                write_dscp(w, c.expected_dscp())?;
            }
            w.write_str(
                "; mark Teams media at the clients (a QoS policy by source port) and keep the \
                 marks to the ExpressRoute edge, so the circuit can give it priority",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Transport;
    use crate::flow::Endpoint;

    /// The HTML report's advice is the README's findings table's "what to do", word for word
    /// (backticks aside), for every code.
    #[test]
    fn advice_is_the_readmes() {
        let readme = include_str!("../../README.md");
        for code in Code::ALL {
            let start = format!("| `{}` |", code.as_str());
            let row = readme
                .lines()
                .find(|l| l.starts_with(&start))
                .unwrap_or_else(|| panic!("README has no row for {}", code.as_str()));
            let what_to_do = row
                .trim_end_matches('|')
                .rsplit(" | ")
                .next()
                .unwrap()
                .trim()
                .replace('`', "");
            assert_eq!(advice(code), what_to_do, "{}", code.as_str());
        }
    }

    fn finding(code: Code, detail: Detail<'static>) -> Finding<'static> {
        Finding {
            code,
            flow: 7,
            transport: Transport::Udp,
            client: Endpoint {
                ip: "10.10.1.22".parse().unwrap(),
                port: 50012,
            },
            server: Endpoint {
                ip: "2603:1063::9".parse().unwrap(),
                port: 3479,
            },
            o365: None,
            detail,
        }
    }

    #[test]
    fn the_flow_then_what_was_found() {
        let f = finding(
            Code::ExpressrouteBypassed,
            Detail::ExpressrouteBypassed {
                direction: Direction::Forward,
                partly: false,
            },
        );
        assert_eq!(
            message(&f),
            "udp 10.10.1.22:50012 -> 2603:1063::9:3479: expected over expressroute, but the \
             forward direction went over internet"
        );
        assert_eq!(
            detail(&f),
            "expected over expressroute, but the forward direction went over internet"
        );
    }

    /// Issue 13: each site profile warning, word for word.
    #[test]
    fn profile_warnings_word_for_word() {
        use crate::site::PathName;
        let name = |n: &str| PointValue::Name(n.into());
        let typo = ProfileWarning::Unmatched(Unmatched {
            block: 0,
            path: PathName::Expressroute,
            kind: PointKind::Capture,
            value: name("inet0 "),
            seen: vec![name("er0"), name("inet0")],
            seen_total: 2,
            suggestion: Some(name("inet0")),
        });
        assert_eq!(
            profile_warning(&typo, "site.toml"),
            "site.toml: path[0].interfaces: \"inet0 \" (expressroute) matches no capture point; \
             capture points seen: \"er0\", \"inet0\"; did you mean \"inet0\"?"
        );
        let vlan = ProfileWarning::Unmatched(Unmatched {
            block: 1,
            path: PathName::Internet,
            kind: PointKind::Vlan,
            value: PointValue::Number(2000),
            seen: (1..=5).map(|v| PointValue::Number(v * 100)).collect(),
            seen_total: 7,
            suggestion: None,
        });
        assert_eq!(
            profile_warning(&vlan, "s.toml"),
            "s.toml: path[1].vlans: 2000 (internet) matches no packet; VLANs seen: 100, 200, \
             300, 400, 500 and 2 more"
        );
        let mac = ProfileWarning::Unmatched(Unmatched {
            block: 0,
            path: PathName::Internet,
            kind: PointKind::NextHopMac,
            value: PointValue::Mac([2, 0, 0, 0, 0x1e, 1]),
            seen: Vec::new(),
            seen_total: 0,
            suggestion: None,
        });
        assert_eq!(
            profile_warning(&mac, "s.toml"),
            "s.toml: path[0].macs: 02:00:00:00:1e:01 (internet) matches no packet as next-hop \
             MAC; no next-hop MAC was seen (no flow crossing the edge has an Ethernet header)"
        );
        assert_eq!(
            profile_warning(&ProfileWarning::NoSiteTable, "s.toml"),
            "s.toml has no [site] table: its [[path]] rules apply, but with the default \
             internal prefixes (RFC 1918, RFC 6598, loopback, ULA, link-local) and no site \
             name; add a [site] table with the site's name and internal prefixes"
        );
        assert!(
            profile_warning(&ProfileWarning::ExpressrouteWithoutPath, "s.toml")
                .starts_with("s.toml: [site] expressroute = true, but no [[path]] is named")
        );
        let none = ProfileWarning::NoneSeen {
            kind: PointKind::Vlan,
            rules: vec![
                RuleValue {
                    block: 0,
                    path: PathName::Expressroute,
                    value: PointValue::Number(100),
                },
                RuleValue {
                    block: 2,
                    path: PathName::Local,
                    value: PointValue::Number(10),
                },
            ],
        };
        assert_eq!(
            profile_warning(&none, "s.toml"),
            "s.toml: no packet carries a VLAN tag: path[0].vlans 100 (expressroute), \
             path[2].vlans 10 (local) match nothing"
        );
        assert_eq!(site_shown(Some("hq"), Some("s.toml")), "hq");
        assert_eq!(site_shown(None, Some("s.toml")), "(unnamed) from s.toml");
        assert_eq!(site_shown(None, None), "(no site profile)");
    }

    #[test]
    fn durations_and_missing_directions() {
        let f = finding(
            Code::OneSidedFlow,
            Detail::OneSided {
                direction: Direction::Forward,
                packets: 3,
                duration_ns: 2_460_000_000,
            },
        );
        assert_eq!(
            detail(&f),
            "3 packets sent over 2.5 s, no reply seen at any capture point"
        );
        let f = finding(
            Code::UnknownPath,
            Detail::UnknownPath {
                forward: Some(ObservedPath::Unknown),
                reverse: None,
            },
        );
        assert_eq!(
            detail(&f),
            "path not determined (forward unknown, reverse nowhere); add a [[path]] rule for \
             its capture point, VLAN or next-hop MAC"
        );
    }
}
