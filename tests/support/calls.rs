//! Call fixtures (issue 15): a small site (ExpressRoute, Internet and LAN capture points as
//! pcapng interfaces `er0` / `inet0` / `lan0`), the TURN and ICE messages that link a call's
//! flows (RFC 8656 ChannelBind / CreatePermission / Send with XOR-PEER-ADDRESS, RFC 8445
//! Binding requests with USERNAME), SIP over UDP, and readers of the report's `calls`.
//!
//! ```ignore
//! let mut s = Scene::new();
//! s.add(Link::Er, rtp_both_ways(client, relay, T0, 0x1234, 50));
//! let r = s.audit(&profile(&[]));
//! let call = call_of(&r, flow_id(&r, 50020));
//! ```
#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};

use serde_json::{json, Value};

use super::builder::*;
use super::cli::audit_json;
use super::payloads::{self, stun_with_attrs};

/// 2026-11-02T09:00:00Z in nanoseconds.
pub const T0: i64 = 1_793_610_000_000_000_000;
pub const MS: i64 = 1_000_000;

/// Every use case of SPEC "Calls", in the report's order.
pub const USE_CASES: [&str; 8] = [
    "p2p-local",
    "p2p-relayed",
    "office365-media",
    "third-party",
    "onprem-conference",
    "onprem-pstn",
    "cloud-connector-pstn",
    "external",
];

/// A capture point of the fixture site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    Er,
    Inet,
    Lan,
}

pub fn sa(s: &str) -> SocketAddr {
    s.parse().expect("socket address")
}

/// The site profile: internal 10.0.0.0/8 and 192.0.2.0/26 (the NAT pool), ExpressRoute, one
/// path per capture point, and a `[[server]]` block per `(role, address)`.
pub fn profile(servers: &[(&str, &str)]) -> String {
    let mut p = String::from(
        r#"[site]
name = "calls"
internal = ["10.0.0.0/8", "192.0.2.0/26"]
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["er0"]

[[path]]
name = "internet"
interfaces = ["inet0"]

[[path]]
name = "local"
interfaces = ["lan0"]
"#,
    );
    for (role, address) in servers {
        p.push_str(&format!(
            "\n[[server]]\nrole = \"{role}\"\naddress = \"{address}\"\n"
        ));
    }
    p
}

/// Packets of a scenario, each with the capture point it was seen at.
#[derive(Default)]
pub struct Scene {
    packets: Vec<(i64, Vec<u8>, Link)>,
}

impl Scene {
    pub fn new() -> Self {
        Scene::default()
    }

    /// Adds a scenario's packets (both directions) as seen at `link`.
    pub fn add(&mut self, link: Link, pkts: Vec<(i64, Vec<u8>, Dir)>) -> &mut Self {
        self.add_split(link, link, pkts)
    }

    /// Adds a scenario, its forward packets seen at `fwd`, its reverse ones at `rev`.
    pub fn add_split(&mut self, fwd: Link, rev: Link, pkts: Vec<(i64, Vec<u8>, Dir)>) -> &mut Self {
        for (ts, ip, dir) in pkts {
            let link = if dir == Dir::Forward { fwd } else { rev };
            self.packets.push((ts, ip, link));
        }
        self
    }

    /// The pcapng: interfaces `er0`, `inet0`, `lan0`, packets in time order.
    pub fn pcapng(&self) -> Vec<u8> {
        let mut ng = Pcapng::new();
        let er = ng.interface(Iface::ethernet("er0"));
        let inet = ng.interface(Iface::ethernet("inet0"));
        let lan = ng.interface(Iface::ethernet("lan0"));
        let mut all: Vec<&(i64, Vec<u8>, Link)> = self.packets.iter().collect();
        all.sort_by_key(|p| p.0);
        for (ts, ip, link) in all {
            let iface = match link {
                Link::Er => er,
                Link::Inet => inet,
                Link::Lan => lan,
            };
            ng.packet(
                iface,
                *ts,
                &ethernet_ip([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], ip),
            );
        }
        ng.to_bytes()
    }

    /// Writes the capture and `profile` (None: no `--site`) to a tempdir and audits them
    /// (`--fail-on never`, so the exit status is 0).
    pub fn audit(&self, profile: Option<&str>) -> Value {
        let dir = tempfile::tempdir().unwrap();
        let cap = dir.path().join("calls.pcapng");
        std::fs::write(&cap, self.pcapng()).unwrap();
        let cap = cap.to_string_lossy().into_owned();
        let mut args = vec!["--fail-on".to_string(), "never".to_string()];
        if let Some(p) = profile {
            let site = dir.path().join("site.toml");
            std::fs::write(&site, p).unwrap();
            args.push("--site".into());
            args.push(site.to_string_lossy().into_owned());
        }
        args.push(cap);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        audit_json(&args, 0)
    }
}

// ---------------------------------------------------------------------------------------------
// Media and ICE
// ---------------------------------------------------------------------------------------------

fn udp(src: SocketAddr, dst: SocketAddr, payload: &[u8]) -> Vec<u8> {
    ip_udp(src.ip(), src.port(), dst.ip(), dst.port(), payload)
}

/// `n` RTP packets (RFC 3550) each way, 20 ms apart (PCMU-sized, 160 bytes), `a` -> `b` with
/// SSRC `ssrc`, `b` -> `a` with `ssrc + 1`, marked EF both ways as Teams marks audio (so a call
/// over ExpressRoute is clean of DSCP findings).
pub fn rtp_both_ways(
    a: SocketAddr,
    b: SocketAddr,
    start: i64,
    ssrc: u32,
    n: usize,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut out = Vec::new();
    for i in 0..n {
        let t = start + i as i64 * 20 * MS;
        let seq = i as u16;
        let ts = i as u32 * 160;
        let mut forward = udp(a, b, &payloads::rtp(0, seq, ts, ssrc, false, 160));
        set_dscp(&mut forward, 46);
        out.push((t, forward, Dir::Forward));
        let mut reverse = udp(b, a, &payloads::rtp(0, 100 + seq, ts, ssrc + 1, false, 160));
        set_dscp(&mut reverse, 46);
        out.push((t + 2 * MS, reverse, Dir::Reverse));
    }
    out
}

/// RTCP (RFC 3550 §6.4.1) sender reports both ways, one a second, `n` each way.
pub fn rtcp_both_ways(
    a: SocketAddr,
    b: SocketAddr,
    start: i64,
    ssrc: u32,
    n: usize,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut out = Vec::new();
    for i in 0..n {
        let t = start + i as i64 * 1000 * MS;
        out.push((t, udp(a, b, &payloads::rtcp_sr(ssrc)), Dir::Forward));
        out.push((
            t + MS,
            udp(b, a, &payloads::rtcp_sr(ssrc + 1)),
            Dir::Reverse,
        ));
    }
    out
}

/// ICE connectivity checks (RFC 8445 §7.2.2, RFC 8489 §14.3 USERNAME): `a` sends a Binding
/// request with USERNAME `ab` (e.g. `B:A`, remote:local), `b` answers with XOR-MAPPED-ADDRESS;
/// then, when `ba` is given, `b` checks the other way with USERNAME `ba` and `a` answers.
pub fn ice_checks(
    a: SocketAddr,
    b: SocketAddr,
    start: i64,
    ab: &str,
    ba: Option<&str>,
    tx: u8,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut out = vec![
        (
            start,
            udp(a, b, &payloads::stun_binding_request([tx; 12], Some(ab))),
            Dir::Forward,
        ),
        (
            start + 3 * MS,
            udp(b, a, &payloads::stun_binding_success([tx; 12], a)),
            Dir::Reverse,
        ),
    ];
    if let Some(ba) = ba {
        let t2 = [tx.wrapping_add(1); 12];
        out.push((
            start + 6 * MS,
            udp(b, a, &payloads::stun_binding_request(t2, Some(ba))),
            Dir::Reverse,
        ));
        out.push((
            start + 9 * MS,
            udp(a, b, &payloads::stun_binding_success(t2, b)),
            Dir::Forward,
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// TURN (RFC 8656)
// ---------------------------------------------------------------------------------------------

// The TURN message builders are `media_tcp`'s.
pub use super::media_tcp::{turn_channel_bind, TURN_CHANNEL_BIND_SUCCESS};

/// A client's TURN session with `relay` (RFC 8656): Allocate request, Allocate success giving
/// `alloc` = (`relayed` XOR-RELAYED-ADDRESS, `mapped` XOR-MAPPED-ADDRESS), ChannelBind of channel
/// 0x4000 to `peer` and its success, then `n` RTP packets each way inside ChannelData
/// (§12.4), 20 ms apart.
pub fn turn_session(
    client: SocketAddr,
    relay: SocketAddr,
    start: i64,
    alloc: (SocketAddr, SocketAddr),
    peer: SocketAddr,
    ssrc: u32,
    n: usize,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let (relayed, mapped) = alloc;
    let tx = [ssrc as u8; 12];
    let tx2 = [ssrc as u8 ^ 0x55; 12];
    let mut out = vec![
        (
            start,
            udp(client, relay, &payloads::turn_allocate_request(tx)),
            Dir::Forward,
        ),
        (
            start + 5 * MS,
            udp(
                relay,
                client,
                &payloads::turn_allocate_success(tx, relayed, mapped),
            ),
            Dir::Reverse,
        ),
        (
            start + 10 * MS,
            udp(client, relay, &turn_channel_bind(tx2, 0x4000, peer)),
            Dir::Forward,
        ),
        (
            start + 15 * MS,
            udp(
                relay,
                client,
                &stun_with_attrs(TURN_CHANNEL_BIND_SUCCESS, tx2, &[]),
            ),
            Dir::Reverse,
        ),
    ];
    for i in 0..n {
        let t = start + 40 * MS + i as i64 * 20 * MS;
        let seq = i as u16;
        let ts = i as u32 * 160;
        let fwd = payloads::turn_channel_data(0x4000, &payloads::rtp(0, seq, ts, ssrc, false, 160));
        let rev = payloads::turn_channel_data(
            0x4000,
            &payloads::rtp(0, 100 + seq, ts, ssrc + 1, false, 160),
        );
        // Marked EF, as Teams marks audio (see `rtp_both_ways`).
        let mut forward = udp(client, relay, &fwd);
        set_dscp(&mut forward, 46);
        out.push((t, forward, Dir::Forward));
        let mut reverse = udp(relay, client, &rev);
        set_dscp(&mut reverse, 46);
        out.push((t + 2 * MS, reverse, Dir::Reverse));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// SIP (RFC 3261) with SDP (RFC 4566)
// ---------------------------------------------------------------------------------------------

/// [`payloads::sip_invite`] with a UDP Via (RFC 3261 §18.1.1).
pub fn sip_invite_udp(call_id: &str, via_host: &str, sdp: &str) -> Vec<u8> {
    udp_via(payloads::sip_invite(
        call_id,
        "sip:alice@contoso.com",
        "sip:+15550100@contoso.com",
        via_host,
        Some(sdp),
    ))
}

/// [`payloads::sip_200_ok`] with a UDP Via.
pub fn sip_200_ok_udp(call_id: &str, via_host: &str, sdp: &str) -> Vec<u8> {
    udp_via(payloads::sip_200_ok(
        call_id,
        "sip:alice@contoso.com",
        "sip:+15550100@contoso.com",
        via_host,
        sdp,
    ))
}

fn udp_via(msg: Vec<u8>) -> Vec<u8> {
    String::from_utf8(msg)
        .unwrap()
        .replace("SIP/2.0/TCP", "SIP/2.0/UDP")
        .into_bytes()
}

/// An SDP (RFC 4566) announcing `media` (`c=` its address, `m=audio` its port).
pub fn sdp_for(media: SocketAddr) -> String {
    payloads::sdp(media.ip(), &[("audio", media.port())], media.ip())
}

/// One SIP dialog over UDP from `caller` to `callee` (the signaling 5-tuple): INVITE whose SDP
/// offers `offer`, 200 OK whose SDP answers `answer`.
pub fn sip_dialog_udp(
    caller: SocketAddr,
    callee: SocketAddr,
    start: i64,
    call_id: &str,
    offer: SocketAddr,
    answer: SocketAddr,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let via = caller.ip().to_string();
    vec![
        (
            start,
            udp(
                caller,
                callee,
                &sip_invite_udp(call_id, &via, &sdp_for(offer)),
            ),
            Dir::Forward,
        ),
        (
            start + 50 * MS,
            udp(
                callee,
                caller,
                &sip_200_ok_udp(call_id, &via, &sdp_for(answer)),
            ),
            Dir::Reverse,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reading the report
// ---------------------------------------------------------------------------------------------

/// The id of the one flow whose client or server is `ip:port`.
pub fn flow_id(r: &Value, ep: SocketAddr) -> u64 {
    let found: Vec<&Value> = r["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .filter(|f| {
            [&f["client"], &f["server"]]
                .iter()
                .any(|e| e["ip"] == ep.ip().to_string() && e["port"] == ep.port())
        })
        .collect();
    assert_eq!(found.len(), 1, "flows with endpoint {ep}: {found:#?}");
    found[0]["id"].as_u64().unwrap()
}

/// The flow with `id`.
pub fn flow(r: &Value, id: u64) -> &Value {
    r["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no flow {id}"))
}

/// The report's `calls` array (the feature under test: missing until the linker lands).
pub fn calls(r: &Value) -> &Vec<Value> {
    r["calls"].as_array().unwrap_or_else(|| {
        panic!(
            "the report has no `calls` array (issue 15): {:#}",
            r["summary"]
        )
    })
}

/// The calls listing flow `id` (in `flows`).
pub fn calls_with(r: &Value, id: u64) -> Vec<&Value> {
    calls(r)
        .iter()
        .filter(|c| ids(&c["flows"]).contains(&id))
        .collect()
}

/// The one call listing flow `id`.
pub fn call_of(r: &Value, id: u64) -> &Value {
    let found = calls_with(r, id);
    assert_eq!(found.len(), 1, "calls with flow {id}: {found:#?}");
    found[0]
}

/// A JSON array of numbers, sorted.
pub fn ids(v: &Value) -> Vec<u64> {
    let mut out: Vec<u64> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|x| x.as_u64().expect("flow id"))
        .collect();
    out.sort_unstable();
    out
}

pub fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

/// The leg of `call` for flow `id`.
pub fn leg(call: &Value, id: u64) -> &Value {
    let found: Vec<&Value> = call["legs"]
        .as_array()
        .expect("legs")
        .iter()
        .filter(|l| l["flow"] == id)
        .collect();
    assert_eq!(found.len(), 1, "legs of flow {id}: {call:#}");
    found[0]
}

/// Checks the leg of flow `id`: its kind, expected path, observed paths.
pub fn check_leg(
    call: &Value,
    id: u64,
    kind: &str,
    expected: Option<&str>,
    forward: &str,
    reverse: &str,
) {
    let l = leg(call, id);
    assert_eq!(l["kind"], kind, "leg of flow {id}: {l}");
    assert_eq!(l["expected_path"], json!(expected), "leg of flow {id}: {l}");
    assert_eq!(
        l["path"],
        json!({"forward": forward, "reverse": reverse}),
        "leg of flow {id}: {l}"
    );
}

/// The call's findings (codes), sorted.
pub fn findings(call: &Value) -> Vec<String> {
    let mut out: Vec<String> = call["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

/// The party with `ip` in `call`.
pub fn party<'a>(call: &'a Value, ip: &str) -> &'a Value {
    call["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .find(|p| p["ip"] == ip)
        .unwrap_or_else(|| panic!("no party {ip}: {call:#}"))
}

/// `summary.calls` as it must be: `total`, `by_use_case` with every use case (0 where none),
/// `by_verdict` with every verdict.
pub fn check_summary(r: &Value, use_cases: &[(&str, u64)], verdicts: &[(&str, u64)]) {
    let total: u64 = use_cases.iter().map(|(_, n)| n).sum();
    let mut by_use_case = serde_json::Map::new();
    for u in USE_CASES {
        let n = use_cases
            .iter()
            .find(|(k, _)| *k == u)
            .map_or(0, |(_, n)| *n);
        by_use_case.insert(u.to_string(), json!(n));
    }
    let mut by_verdict = serde_json::Map::new();
    for v in ["ok", "info", "warning", "error"] {
        let n = verdicts
            .iter()
            .find(|(k, _)| *k == v)
            .map_or(0, |(_, n)| *n);
        by_verdict.insert(v.to_string(), json!(n));
    }
    assert_eq!(
        r["summary"]["calls"],
        json!({"total": total, "by_use_case": by_use_case, "by_verdict": by_verdict}),
        "summary.calls"
    );
    assert_eq!(calls(r).len() as u64, total, "calls[]");
}

/// Every media flow of the report is in exactly one call; every call's `flows` is its media
/// and signaling flows plus ICE legs, each with one leg.
pub fn check_invariants(r: &Value) {
    for f in r["flows"].as_array().expect("flows") {
        let id = f["id"].as_u64().unwrap();
        let media = matches!(f["app"].as_str(), Some("rtp" | "rtcp" | "dtls"))
            || f["findings"]
                .as_array()
                .is_some_and(|c| c.contains(&json!("media-over-tcp")));
        let in_media: Vec<&Value> = calls(r)
            .iter()
            .filter(|c| ids(&c["media_flows"]).contains(&id))
            .collect();
        if media {
            assert_eq!(in_media.len(), 1, "media flow {id} in calls {in_media:#?}");
        }
    }
    for c in calls(r) {
        let flows = ids(&c["flows"]);
        for m in ids(&c["media_flows"])
            .iter()
            .chain(&ids(&c["signaling_flows"]))
        {
            assert!(flows.contains(m), "call {}: flow {m} not in flows", c["id"]);
        }
        let legs: Vec<u64> = sorted(
            c["legs"]
                .as_array()
                .expect("legs")
                .iter()
                .map(|l| l["flow"].as_u64().unwrap())
                .collect(),
        );
        assert_eq!(legs, flows, "call {}: one leg per flow", c["id"]);
        // The verdict is the worst severity of the call's findings.
        let worst = findings(c)
            .iter()
            .map(|code| severity(code))
            .max()
            .unwrap_or(0);
        assert_eq!(
            c["verdict"],
            ["ok", "info", "warning", "error"][worst],
            "call {}",
            c["id"]
        );
    }
}

/// 0 none, 1 info, 2 warning, 3 error (SPEC "Findings", plus `media-hairpin` warning and the
/// media quality codes: `dscp-unmarked` info, the others warnings).
pub fn severity(code: &str) -> usize {
    match code {
        "asymmetric-route" | "expressroute-bypassed" | "unexpected-expressroute" => 3,
        "unknown-path" | "dscp-unmarked" => 1,
        _ => 2,
    }
}

/// An IP address from its text.
pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("IP address")
}
