//! Issue 15, calls (SPEC "Calls", `CALL-FLOWS.md`): one fixture capture per use case, each with
//! its site profile, and what the report's `calls` must say of it: which flows a call groups
//! (on evidence only: SIP Call-ID and SDP, ICE USERNAME pairs per RFC 8445 §7.2.2, TURN
//! allocations per RFC 8656), its use case, the `CALL-FLOWS.md` table, its legs' expected and
//! observed paths, findings and verdict, and `summary.calls`. Then the real captures of
//! `../shared/captures/ndpi/`, with what tshark shows of them.
//!
//! Every fixture is first checked at the flow level (what the tool reports today), so a failure
//! here before the linker lands is about calls, not about the fixture.

mod support;

use serde_json::{json, Value};
use support::builder::Dir;
use support::calls::*;
use support::cli::{audit_json, shared_capture};

/// The flow-level facts of a fixture flow, true before calls exist.
fn check_flow(r: &Value, id: u64, app: &str, expected: Option<&str>, fwd: &str, rev: &str) {
    let f = flow(r, id);
    assert_eq!(f["app"], app, "flow {id}: {f:#}");
    assert_eq!(f["expected_path"], json!(expected), "flow {id}");
    assert_eq!(
        f["path"],
        json!({"forward": fwd, "reverse": rev}),
        "flow {id}"
    );
}

fn table(call: &Value) -> &str {
    call["table"].as_str().expect("table is a string")
}

// ---------------------------------------------------------------------------------------------
// (1) Peer-to-peer on the site's network, with ICE
// ---------------------------------------------------------------------------------------------

#[test]
fn p2p_on_the_network_with_ice_is_one_p2p_local_call_per_conversation() {
    let (a, b) = (sa("10.1.1.10:50000"), sa("10.2.2.20:50002"));
    // B's second host candidate: A's checks reach it too (ICE leg, no media).
    let b2 = sa("10.2.2.20:50004");
    let (c, d) = (sa("10.3.3.30:50010"), sa("10.4.4.40:50012"));
    let mut s = Scene::new();
    // Call 1: ufrags "Bufr" (B) and "Aufr" (A): A -> B sends `Bufr:Aufr`, B -> A `Aufr:Bufr`.
    s.add(Link::Lan, ice_checks(a, b2, T0, "Bufr:Aufr", None, 1));
    s.add(
        Link::Lan,
        ice_checks(a, b, T0 + 20 * MS, "Bufr:Aufr", Some("Aufr:Bufr"), 3),
    );
    s.add(Link::Lan, rtp_both_ways(a, b, T0 + 100 * MS, 0x1000, 50));
    // Call 2, at the same time between two other hosts, its own ufrags.
    s.add(
        Link::Lan,
        ice_checks(c, d, T0 + 30 * MS, "Dufr:Cufr", Some("Cufr:Dufr"), 5),
    );
    s.add(Link::Lan, rtp_both_ways(c, d, T0 + 110 * MS, 0x2000, 50));
    let r = s.audit(Some(&profile(&[])));
    let (ab, ab2, cd) = (flow_id(&r, b), flow_id(&r, b2), flow_id(&r, d));
    check_flow(&r, ab, "rtp", Some("local"), "local", "local");
    check_flow(&r, ab2, "stun", Some("local"), "local", "local");
    check_flow(&r, cd, "rtp", Some("local"), "local", "local");

    check_invariants(&r);
    let one = call_of(&r, ab);
    assert_eq!(ids(&one["flows"]), sorted(vec![ab, ab2]), "{one:#}");
    assert_eq!(ids(&one["media_flows"]), vec![ab]);
    assert_eq!(ids(&one["signaling_flows"]), Vec::<u64>::new());
    assert_eq!(one["use_case"], "p2p-local");
    assert_eq!(one["deployment"], "online");
    assert!(
        table(one).contains("Skype for Business Online"),
        "{}",
        table(one)
    );
    check_leg(one, ab, "media", Some("local"), "local", "local");
    check_leg(one, ab2, "ice", Some("local"), "local", "local");
    assert_eq!(party(one, "10.1.1.10")["internal"], true);
    assert_eq!(party(one, "10.2.2.20")["internal"], true);
    assert_eq!(one["hairpin"], Value::Null);
    assert_eq!(findings(one), Vec::<String>::new());
    assert_eq!(one["verdict"], "ok");

    // The other conversation is a call of its own: no call mixes the two.
    let two = call_of(&r, cd);
    assert_ne!(one["id"], two["id"]);
    assert_eq!(ids(&two["flows"]), vec![cd]);
    assert_eq!(two["use_case"], "p2p-local");
    check_leg(two, cd, "media", Some("local"), "local", "local");
    assert_eq!(two["verdict"], "ok");
    check_summary(&r, &[("p2p-local", 2)], &[("ok", 2)]);
}

// ---------------------------------------------------------------------------------------------
// (2) Peer-to-peer relayed through an Office 365 TURN relay
// ---------------------------------------------------------------------------------------------

#[test]
fn p2p_relayed_through_an_office365_turn_relay_is_one_call_with_a_hairpin() {
    let relay = sa("52.113.20.5:3478");
    let (a, b) = (sa("10.1.1.10:50000"), sa("10.1.1.20:50002"));
    // Allocate success (RFC 8656 §7.3): relayed Ra / Rb, reflexive (the NAT pool) Ma / Mb.
    let (ra, rb) = (sa("52.113.20.5:40000"), sa("52.113.20.5:40002"));
    let (ma, mb) = (sa("192.0.2.17:61000"), sa("192.0.2.17:61002"));
    let mut s = Scene::new();
    // Each binds a channel to the other's relayed address (XOR-PEER-ADDRESS), then RTP in
    // ChannelData both ways.
    s.add(
        Link::Er,
        turn_session(a, relay, T0, (ra, ma), rb, 0x1000, 50),
    );
    s.add(
        Link::Er,
        turn_session(b, relay, T0 + 7 * MS, (rb, mb), ra, 0x2000, 50),
    );
    let r = s.audit(Some(&profile(&[])));
    let (fa, fb) = (flow_id(&r, a), flow_id(&r, b));
    for f in [fa, fb] {
        assert_eq!(flow(&r, f)["o365"]["id"], 11, "flow {f}");
        check_flow(
            &r,
            f,
            "rtp",
            Some("expressroute"),
            "expressroute",
            "expressroute",
        );
    }

    check_invariants(&r);
    let call = call_of(&r, fa);
    assert_eq!(ids(&call["flows"]), sorted(vec![fa, fb]), "{call:#}");
    assert_eq!(ids(&call["media_flows"]), sorted(vec![fa, fb]));
    assert_eq!(call["use_case"], "p2p-relayed");
    assert_eq!(call["deployment"], "online");
    assert!(table(call).contains("Skype for Business Online"));
    for f in [fa, fb] {
        check_leg(
            call,
            f,
            "media",
            Some("expressroute"),
            "expressroute",
            "expressroute",
        );
        // The hairpin finding is on the flows too.
        assert!(
            flow(&r, f)["findings"]
                .as_array()
                .unwrap()
                .contains(&json!("media-hairpin")),
            "flow {f}: {:#}",
            flow(&r, f)
        );
    }
    let mut parties: Vec<&str> = call["hairpin"]["parties"]
        .as_array()
        .expect("hairpin.parties")
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    parties.sort_unstable();
    assert_eq!(parties, ["10.1.1.10", "10.1.1.20"]);
    assert_eq!(call["hairpin"]["relay"], "52.113.20.5");
    assert_eq!(party(call, "52.113.20.5")["internal"], false);
    assert_eq!(party(call, "52.113.20.5")["o365"], 11);
    assert_eq!(findings(call), ["media-hairpin"]);
    assert_eq!(call["verdict"], "warning");
    check_summary(&r, &[("p2p-relayed", 1)], &[("warning", 1)]);
}

// ---------------------------------------------------------------------------------------------
// (3), (4) Online conference: over ExpressRoute, and bypassing it
// ---------------------------------------------------------------------------------------------

fn online_conference(link: Link) -> (Value, u64) {
    let (c, mp) = (sa("10.1.1.10:50020"), sa("52.112.10.20:3478"));
    let mut s = Scene::new();
    s.add(link, ice_checks(c, mp, T0, "mpufr:cufr", None, 9));
    s.add(link, rtp_both_ways(c, mp, T0 + 20 * MS, 0x3000, 50));
    let r = s.audit(Some(&profile(&[])));
    let id = flow_id(&r, c);
    (r, id)
}

#[test]
fn an_online_conference_over_expressroute_is_office365_media_ok() {
    let (r, id) = online_conference(Link::Er);
    check_flow(
        &r,
        id,
        "rtp",
        Some("expressroute"),
        "expressroute",
        "expressroute",
    );
    check_invariants(&r);
    let call = call_of(&r, id);
    assert_eq!(ids(&call["flows"]), vec![id]);
    assert_eq!(call["use_case"], "office365-media");
    assert_eq!(call["deployment"], "online");
    assert!(table(call).contains("Skype for Business Online"));
    check_leg(
        call,
        id,
        "media",
        Some("expressroute"),
        "expressroute",
        "expressroute",
    );
    assert_eq!(party(call, "52.112.10.20")["o365"], 11);
    assert_eq!(party(call, "10.1.1.10")["internal"], true);
    assert_eq!(findings(call), Vec::<String>::new());
    assert_eq!(call["verdict"], "ok");
    check_summary(&r, &[("office365-media", 1)], &[("ok", 1)]);
}

#[test]
fn an_online_conference_over_the_internet_bypasses_expressroute() {
    let (r, id) = online_conference(Link::Inet);
    check_flow(&r, id, "rtp", Some("expressroute"), "internet", "internet");
    check_invariants(&r);
    let call = call_of(&r, id);
    assert_eq!(call["use_case"], "office365-media");
    check_leg(
        call,
        id,
        "media",
        Some("expressroute"),
        "internet",
        "internet",
    );
    assert_eq!(findings(call), ["expressroute-bypassed"]);
    assert_eq!(call["verdict"], "error");
    check_summary(&r, &[("office365-media", 1)], &[("error", 1)]);
}

// ---------------------------------------------------------------------------------------------
// (5), (6) On-prem PSTN through a Mediation Server: SIP over UDP, then over TCP
// ---------------------------------------------------------------------------------------------

const MEDIATION: &str = "10.30.0.20";

/// Checks the PSTN call: signaling `sip`, media RTP and RTCP (port + 1), onprem-pstn, hybrid.
fn check_pstn_call(r: &Value, sip: u64, rtp: u64, rtcp: u64) {
    check_flow(r, sip, "sip", Some("local"), "local", "local");
    check_flow(r, rtp, "rtp", Some("local"), "local", "local");
    check_flow(r, rtcp, "rtcp", Some("local"), "local", "local");
    check_invariants(r);
    let call = call_of(r, rtp);
    assert_eq!(
        ids(&call["flows"]),
        sorted(vec![sip, rtp, rtcp]),
        "{call:#}"
    );
    assert_eq!(ids(&call["media_flows"]), sorted(vec![rtp, rtcp]));
    assert_eq!(ids(&call["signaling_flows"]), vec![sip]);
    assert_eq!(call["use_case"], "onprem-pstn");
    assert_eq!(call["deployment"], "hybrid");
    assert!(table(call).contains("Hybrid"), "{}", table(call));
    check_leg(call, sip, "signaling", Some("local"), "local", "local");
    check_leg(call, rtp, "media", Some("local"), "local", "local");
    check_leg(call, rtcp, "media", Some("local"), "local", "local");
    assert_eq!(party(call, MEDIATION)["role"], "mediation");
    assert_eq!(party(call, MEDIATION)["internal"], true);
    assert_eq!(findings(call), Vec::<String>::new());
    assert_eq!(call["verdict"], "ok");
    check_summary(r, &[("onprem-pstn", 1)], &[("ok", 1)]);
}

#[test]
fn pstn_through_a_mediation_server_with_sip_over_udp_is_onprem_pstn() {
    let (client, med) = (sa("10.1.1.10:5060"), sa("10.30.0.20:5060"));
    let (offer, answer) = (sa("10.1.1.10:50020"), sa("10.30.0.20:60000"));
    let mut s = Scene::new();
    s.add(
        Link::Lan,
        sip_dialog_udp(client, med, T0, "pstn-1@contoso", offer, answer),
    );
    s.add(
        Link::Lan,
        rtp_both_ways(offer, answer, T0 + 100 * MS, 0x4000, 50),
    );
    // RTCP on the ports after the announced ones (RFC 3550 §11).
    s.add(
        Link::Lan,
        rtcp_both_ways(
            sa("10.1.1.10:50021"),
            sa("10.30.0.20:60001"),
            T0 + 150 * MS,
            0x4000,
            1,
        ),
    );
    let r = s.audit(Some(&profile(&[("mediation", MEDIATION)])));
    check_pstn_call(
        &r,
        flow_id(&r, med),
        flow_id(&r, answer),
        flow_id(&r, sa("10.30.0.20:60001")),
    );
}

#[test]
fn pstn_through_a_mediation_server_with_sip_over_tcp_is_onprem_pstn() {
    use support::builder::tcp_session;
    let (client, med) = (sa("10.1.1.10:51000"), sa("10.30.0.20:5060"));
    let (offer, answer) = (sa("10.1.1.10:50020"), sa("10.30.0.20:60000"));
    let invite = String::from_utf8(support::payloads::sip_invite(
        "pstn-tcp@contoso",
        "sip:alice@contoso.com",
        "sip:+15550100@contoso.com",
        "10.1.1.10",
        Some(&sdp_for(offer)),
    ))
    .unwrap();
    // The INVITE's headers end a segment that starts with an OPTIONS (two messages in one
    // segment, RFC 3261 §18.3 framing by Content-Length); its SDP body is the next segment.
    let split = invite.find("\r\n\r\n").unwrap() + 4;
    let options =
        "OPTIONS sip:10.30.0.20 SIP/2.0\r\nVia: SIP/2.0/TCP 10.1.1.10;branch=z9hG4bKopt\r\n\
                   Max-Forwards: 70\r\nFrom: <sip:alice@contoso.com>;tag=99\r\n\
                   To: <sip:10.30.0.20>\r\nCall-ID: keepalive@contoso\r\nCSeq: 1 OPTIONS\r\n\
                   Content-Length: 0\r\n\r\n";
    let trying = "SIP/2.0 100 Trying\r\nVia: SIP/2.0/TCP 10.1.1.10;branch=z9hG4bK776asdhds\r\n\
                  From: <sip:alice@contoso.com>;tag=1928301774\r\n\
                  To: <sip:+15550100@contoso.com>\r\nCall-ID: pstn-tcp@contoso\r\n\
                  CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let ok = support::payloads::sip_200_ok(
        "pstn-tcp@contoso",
        "sip:alice@contoso.com",
        "sip:+15550100@contoso.com",
        "10.1.1.10",
        &sdp_for(answer),
    );
    let mut reply = trying.as_bytes().to_vec();
    reply.extend_from_slice(&ok);
    let sip = tcp_session(
        client,
        med,
        T0,
        &[
            (
                Dir::Forward,
                format!("{options}{}", &invite[..split]).into_bytes(),
            ),
            (Dir::Forward, invite.as_bytes()[split..].to_vec()),
            (Dir::Reverse, reply),
        ],
    );
    let mut s = Scene::new();
    s.add(Link::Lan, sip);
    s.add(
        Link::Lan,
        rtp_both_ways(offer, answer, T0 + 100 * MS, 0x4000, 50),
    );
    s.add(
        Link::Lan,
        rtcp_both_ways(
            sa("10.1.1.10:50021"),
            sa("10.30.0.20:60001"),
            T0 + 150 * MS,
            0x4000,
            1,
        ),
    );
    let r = s.audit(Some(&profile(&[("mediation", MEDIATION)])));
    check_pstn_call(
        &r,
        flow_id(&r, client),
        flow_id(&r, answer),
        flow_id(&r, sa("10.30.0.20:60001")),
    );
}

// ---------------------------------------------------------------------------------------------
// (7) On-prem conference, (8) Cloud Connector PSTN
// ---------------------------------------------------------------------------------------------

/// RTP between a client and an on-prem server of `role`: the call, its flow.
fn to_server(role: &str, server: &str) -> (Value, u64) {
    let (c, srv) = (sa("10.1.1.10:50020"), sa(&format!("{server}:49152")));
    let mut s = Scene::new();
    s.add(Link::Lan, rtp_both_ways(c, srv, T0, 0x5000, 50));
    let r = s.audit(Some(&profile(&[(role, server)])));
    let id = flow_id(&r, srv);
    check_flow(&r, id, "rtp", Some("local"), "local", "local");
    check_invariants(&r);
    (r, id)
}

#[test]
fn media_to_an_onprem_conferencing_server_is_onprem_conference() {
    let (r, id) = to_server("conferencing", "10.30.0.30");
    let call = call_of(&r, id);
    assert_eq!(ids(&call["flows"]), vec![id]);
    assert_eq!(call["use_case"], "onprem-conference");
    assert_eq!(call["deployment"], "hybrid");
    assert!(table(call).contains("Hybrid"), "{}", table(call));
    check_leg(call, id, "media", Some("local"), "local", "local");
    assert_eq!(party(call, "10.30.0.30")["role"], "conferencing");
    assert_eq!(call["verdict"], "ok");
    check_summary(&r, &[("onprem-conference", 1)], &[("ok", 1)]);
}

#[test]
fn media_to_a_cloud_connector_is_cloud_connector_pstn() {
    let (r, id) = to_server("cloud-connector", "10.40.0.5");
    let call = call_of(&r, id);
    assert_eq!(call["use_case"], "cloud-connector-pstn");
    assert_eq!(call["deployment"], "cloud-connector");
    assert!(table(call).contains("Cloud Connector"), "{}", table(call));
    check_leg(call, id, "media", Some("local"), "local", "local");
    assert_eq!(party(call, "10.40.0.5")["role"], "cloud-connector");
    assert_eq!(call["verdict"], "ok");
    check_summary(&r, &[("cloud-connector-pstn", 1)], &[("ok", 1)]);
}

// ---------------------------------------------------------------------------------------------
// (9) Third-party conference, (10) captured outside
// ---------------------------------------------------------------------------------------------

#[test]
fn a_third_party_conference_is_third_party_over_the_internet() {
    let (c, bridge) = (sa("10.1.1.10:50020"), sa("198.51.100.20:20000"));
    let mut s = Scene::new();
    s.add(Link::Inet, rtp_both_ways(c, bridge, T0, 0x6000, 50));
    let r = s.audit(Some(&profile(&[])));
    let id = flow_id(&r, bridge);
    check_flow(&r, id, "rtp", Some("internet"), "internet", "internet");
    assert_eq!(flow(&r, id)["o365"], Value::Null);
    check_invariants(&r);
    let call = call_of(&r, id);
    assert_eq!(call["use_case"], "third-party");
    assert!(table(call).contains("Skype for Business Online"));
    check_leg(call, id, "media", Some("internet"), "internet", "internet");
    assert_eq!(party(call, "198.51.100.20")["internal"], false);
    assert_eq!(findings(call), Vec::<String>::new());
    assert_eq!(call["verdict"], "ok");
    check_summary(&r, &[("third-party", 1)], &[("ok", 1)]);
}

#[test]
fn media_captured_outside_the_network_is_external() {
    // A user at a hotel (203.0.113.50) in an online meeting, seen on the Internet uplink.
    let (c, mp) = (sa("203.0.113.50:50020"), sa("52.112.10.20:3478"));
    let mut s = Scene::new();
    s.add(Link::Inet, rtp_both_ways(c, mp, T0, 0x7000, 50));
    let r = s.audit(Some(&profile(&[])));
    let id = flow_id(&r, c);
    let f = flow(&r, id);
    assert_eq!(f["app"], "rtp");
    assert_eq!(f["expected_path"], Value::Null);
    check_invariants(&r);
    let call = call_of(&r, id);
    assert_eq!(call["use_case"], "external");
    check_leg(call, id, "media", None, "internet", "internet");
    assert_eq!(party(call, "203.0.113.50")["internal"], false);
    assert_eq!(party(call, "52.112.10.20")["internal"], false);
    // The call's findings are its flow's.
    let mut codes: Vec<String> = f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    codes.sort();
    assert_eq!(findings(call), codes);
    check_summary(
        &r,
        &[("external", 1)],
        &[(call["verdict"].as_str().unwrap(), 1)],
    );
}

// ---------------------------------------------------------------------------------------------
// (11) One SIP trunk flow, two dialogs; (12) a lone RTP flow
// ---------------------------------------------------------------------------------------------

#[test]
fn a_sip_trunk_carrying_two_dialogs_signals_two_calls() {
    let (med, sbc) = (sa("10.30.0.20:5060"), sa("10.30.0.10:5060"));
    let (m1, s1) = (sa("10.30.0.20:60000"), sa("10.30.0.10:40000"));
    let (m2, s2) = (sa("10.30.0.20:60002"), sa("10.30.0.10:40002"));
    let mut s = Scene::new();
    s.add(
        Link::Lan,
        sip_dialog_udp(med, sbc, T0, "trunk-1@contoso", m1, s1),
    );
    s.add(
        Link::Lan,
        sip_dialog_udp(med, sbc, T0 + 200 * MS, "trunk-2@contoso", m2, s2),
    );
    s.add(Link::Lan, rtp_both_ways(m1, s1, T0 + 100 * MS, 0x8000, 50));
    s.add(Link::Lan, rtp_both_ways(m2, s2, T0 + 300 * MS, 0x9000, 50));
    let r = s.audit(Some(&profile(&[
        ("mediation", "10.30.0.20"),
        ("sbc", "10.30.0.10"),
    ])));
    let (trunk, r1, r2) = (flow_id(&r, sbc), flow_id(&r, s1), flow_id(&r, s2));
    check_flow(&r, trunk, "sip", Some("local"), "local", "local");
    check_flow(&r, r1, "rtp", Some("local"), "local", "local");
    check_flow(&r, r2, "rtp", Some("local"), "local", "local");
    check_invariants(&r);
    let (c1, c2) = (call_of(&r, r1), call_of(&r, r2));
    assert_ne!(c1["id"], c2["id"]);
    for (call, rtp) in [(c1, r1), (c2, r2)] {
        assert_eq!(ids(&call["flows"]), sorted(vec![trunk, rtp]), "{call:#}");
        assert_eq!(ids(&call["media_flows"]), vec![rtp]);
        assert_eq!(ids(&call["signaling_flows"]), vec![trunk]);
        assert_eq!(call["use_case"], "onprem-pstn");
        assert_eq!(call["deployment"], "hybrid");
        check_leg(call, trunk, "signaling", Some("local"), "local", "local");
        check_leg(call, rtp, "media", Some("local"), "local", "local");
        assert_eq!(call["verdict"], "ok");
    }
    assert_eq!(calls_with(&r, trunk).len(), 2);
    check_summary(&r, &[("onprem-pstn", 2)], &[("ok", 2)]);
}

#[test]
fn a_lone_rtp_flow_without_evidence_is_a_call_of_its_own() {
    let (c, mp) = (sa("10.1.1.10:50020"), sa("52.112.10.20:3478"));
    let mut s = Scene::new();
    // A SIP dialog whose SDP announces other ports: no evidence for the RTP flow.
    s.add(
        Link::Lan,
        sip_dialog_udp(
            sa("10.1.1.10:5060"),
            sa("10.30.0.10:5060"),
            T0,
            "other@contoso",
            sa("10.1.1.10:50030"),
            sa("10.30.0.10:40030"),
        ),
    );
    s.add(Link::Er, rtp_both_ways(c, mp, T0 + 100 * MS, 0xa000, 50));
    let r = s.audit(Some(&profile(&[("sbc", "10.30.0.10")])));
    let (sip, id) = (flow_id(&r, sa("10.30.0.10:5060")), flow_id(&r, c));
    assert_eq!(flow(&r, sip)["app"], "sip");
    check_flow(
        &r,
        id,
        "rtp",
        Some("expressroute"),
        "expressroute",
        "expressroute",
    );
    check_invariants(&r);
    let call = call_of(&r, id);
    assert_eq!(ids(&call["flows"]), vec![id]);
    assert_eq!(ids(&call["signaling_flows"]), Vec::<u64>::new());
    assert_eq!(call["use_case"], "office365-media");
    // The SIP flow carries no media and matches no call: it is in none.
    assert!(calls_with(&r, sip).is_empty());
    check_summary(&r, &[("office365-media", 1)], &[("ok", 1)]);
}

#[test]
fn without_a_site_profile_the_deployment_is_null() {
    let (c, mp) = (sa("10.1.1.10:50020"), sa("52.112.10.20:3478"));
    let mut s = Scene::new();
    s.add(Link::Er, rtp_both_ways(c, mp, T0, 0xb000, 50));
    let r = s.audit(None);
    let call = call_of(&r, flow_id(&r, c));
    assert_eq!(call["deployment"], Value::Null);
    assert_eq!(call["use_case"], "office365-media");
}

#[test]
fn ndjson_has_one_call_line_after_the_flow_lines() {
    let (a, b) = (sa("10.1.1.10:50000"), sa("10.2.2.20:50002"));
    let mut s = Scene::new();
    s.add(Link::Lan, rtp_both_ways(a, b, T0, 0xc000, 50));
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("p2p.pcapng");
    std::fs::write(&cap, s.pcapng()).unwrap();
    let out = support::cli::callpath(&[
        "audit",
        "--format",
        "ndjson",
        "-q",
        "--fail-on",
        "never",
        cap.to_str().unwrap(),
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kind = |v: &Value| v["type"].as_str().unwrap_or("").to_string();
    let calls: Vec<usize> = (0..lines.len())
        .filter(|&i| kind(&lines[i]) == "call")
        .collect();
    assert_eq!(calls.len(), 1, "{}", out.stdout);
    let last_flow = (0..lines.len()).rfind(|&i| kind(&lines[i]) == "flow");
    assert!(last_flow.is_some_and(|f| f < calls[0]), "{}", out.stdout);
    assert_eq!(lines[calls[0]]["use_case"], "p2p-local");
}

// ---------------------------------------------------------------------------------------------
// Real captures (../shared/captures/ndpi), no site profile: every private address is internal
// ---------------------------------------------------------------------------------------------

fn real(name: &str) -> Option<Value> {
    support::shared::or_skip("captures/ndpi")?;
    Some(audit_json(
        &["--fail-on", "never", &shared_capture(name)],
        0,
    ))
}

/// The id of the one flow with `ip:port` at either end.
fn real_flow(r: &Value, ep: &str) -> u64 {
    flow_id(r, sa(ep))
}

#[test]
fn real_sip_pcap_gives_one_third_party_call() {
    let Some(r) = real("sip.pcap") else { return };
    // tshark: UDP 5060 192.168.1.2 <-> 212.242.33.35 carries REGISTERs and four INVITE
    // dialogs; Call-ID 11894297-4432a9f8@192.168.1.2 offers c=192.168.1.2 m=audio 30000 and its
    // 183 answers c=212.242.33.36 m=audio 40392, then RTP 192.168.1.2:30000 -> 212.242.33.36:40392
    // (9 packets, one way) and one RTCP 30001 -> 40393 (port + 1). 192.168.1.2 <-> 200.68.120.81
    // is an INVITE offering 30000 too, 15 minutes earlier, that ends in 408 (not asserted).
    let sig = real_flow(&r, "212.242.33.35:5060");
    let rtp = real_flow(&r, "212.242.33.36:40392");
    let rtcp = real_flow(&r, "212.242.33.36:40393");
    check_invariants(&r);
    assert_eq!(calls(&r).len(), 1, "{:#}", r["calls"]);
    let call = call_of(&r, rtp);
    assert_eq!(ids(&call["media_flows"]), sorted(vec![rtp, rtcp]));
    assert!(ids(&call["signaling_flows"]).contains(&sig), "{call:#}");
    assert_eq!(call["use_case"], "third-party");
    assert_eq!(call["deployment"], Value::Null);
    check_leg(
        call,
        sig,
        "signaling",
        Some("internet"),
        "unknown",
        "unknown",
    );
    assert_eq!(leg(call, rtp)["kind"], "media");
}

#[test]
fn real_rtp_pcapng_gives_four_calls_of_their_own() {
    let Some(r) = real("rtp.pcapng") else { return };
    // tshark: four conversations, no SIP, no STUN: UDP 10.204.220.71:6000 -> 10.204.220.171:6000
    // (H.263 RTP, one way), TCP 172.16.168.24:40252 <-> 172.16.168.64:5000 (RTP over TCP),
    // UDP 150.219.118.19:54234 <-> 192.113.193.227:50003 (RTP, RTCP, RTP events; both public)
    // and UDP 10.140.67.167:55402 -> 148.153.85.97:6008 (RTP, one way).
    check_invariants(&r);
    assert_eq!(calls(&r).len(), 4, "{:#}", r["calls"]);
    for (ep, use_case) in [
        ("10.204.220.171:6000", "p2p-local"),
        ("172.16.168.64:5000", "p2p-local"),
        ("192.113.193.227:50003", "external"),
        ("148.153.85.97:6008", "third-party"),
    ] {
        let id = real_flow(&r, ep);
        let call = call_of(&r, id);
        assert_eq!(ids(&call["flows"]), vec![id], "{ep}");
        assert_eq!(call["use_case"], use_case, "{ep}");
    }
    let tcp = call_of(&r, real_flow(&r, "172.16.168.64:5000"));
    assert!(findings(tcp).contains(&"media-over-tcp".to_string()));
}

#[test]
fn real_skype_conference_call_is_one_call() {
    let Some(r) = real("skype-conference-call.pcap") else {
        return;
    };
    // tshark: one UDP conversation 192.168.2.20:49282 <-> 104.46.40.49:60642, Binding requests
    // USERNAME `gppe:zWyk` one way and `zWyk:gppe` the other, then 186 UDP datagrams (SRTP).
    // 104.46.40.49 is in no Office 365 endpoint set (the tool reports o365 null).
    let id = real_flow(&r, "104.46.40.49:60642");
    check_invariants(&r);
    assert_eq!(calls(&r).len(), 1);
    let call = call_of(&r, id);
    assert_eq!(ids(&call["flows"]), vec![id]);
    assert_eq!(call["use_case"], "third-party");
    check_leg(call, id, "media", Some("internet"), "unknown", "unknown");
}

#[test]
fn real_teams_pcap_gives_two_calls_linked_by_ice() {
    let Some(r) = real("teams.pcap") else { return };
    // tshark: 192.168.1.6 allocates on 52.114.250.123/.137/.141:3478 ([MS-TURN]: relayed address
    // in MAPPED-ADDRESS, no XOR-PEER-ADDRESS anywhere), then ICE for two streams:
    // - ufrags o5/I and FY32 on port 50016: `o5/I:FY32` to 192.168.0.4:50005 (5 unanswered
    //   checks) and to 93.71.110.205:16332, `FY32:o5/I` from 93.71.110.205:16332 and from
    //   52.114.252.8:3479; RTP flows 93.71.110.205:16332 <-> 192.168.1.6:50016.
    // - ufrags JFwj and +mIv on port 50036: `JFwj:+mIv` to 192.168.0.4:50020 and to
    //   93.71.110.205:16333, `+mIv:JFwj` from 93.71.110.205:16333 and 52.114.252.21:3480; RTCP
    //   on 93.71.110.205:16333 <-> 192.168.1.6:50036.
    // Nothing links the two streams (different ufrags, no TURN peer address), so two calls;
    // the media peer 93.71.110.205 is outside Office 365: third-party.
    let audio = real_flow(&r, "93.71.110.205:16332");
    let video = real_flow(&r, "93.71.110.205:16333");
    let audio_ice = [
        real_flow(&r, "192.168.0.4:50005"),
        real_flow(&r, "52.114.252.8:3479"),
    ];
    let video_ice = [
        real_flow(&r, "192.168.0.4:50020"),
        real_flow(&r, "52.114.252.21:3480"),
    ];
    check_invariants(&r);
    assert_eq!(calls(&r).len(), 2, "{:#}", r["calls"]);
    for (media, ice) in [(audio, audio_ice), (video, video_ice)] {
        let call = call_of(&r, media);
        assert_eq!(ids(&call["media_flows"]), vec![media], "{call:#}");
        assert_eq!(call["use_case"], "third-party");
        assert_eq!(leg(call, media)["kind"], "media");
        for f in ice {
            assert_eq!(call_of(&r, f)["id"], call["id"], "ICE flow {f}");
            assert_eq!(leg(call, f)["kind"], "ice");
        }
    }
    assert_ne!(call_of(&r, audio)["id"], call_of(&r, video)["id"]);
}

#[test]
fn real_one_way_teams_stun_is_one_office365_call() {
    let Some(r) = real("stun_msteams_unidir.pcapng") else {
        return;
    };
    // tshark: only 52.115.136.55:3479 -> 10.0.0.1:50006: Binding success responses
    // (XOR-MAPPED-ADDRESS 82.178.63.123:50006) and UDP datagrams of 39, 107 and 1215 bytes; no
    // request is captured. 52.115.136.55 is in Office 365 set 11; the tool calls it rtcp.
    let id = real_flow(&r, "52.115.136.55:3479");
    check_invariants(&r);
    assert_eq!(calls(&r).len(), 1);
    let call = call_of(&r, id);
    assert_eq!(ids(&call["flows"]), vec![id]);
    assert_eq!(call["use_case"], "office365-media");
    assert_eq!(party(call, "52.115.136.55")["o365"], 11);
    assert!(findings(call).contains(&"one-sided-flow".to_string()));
    assert_eq!(call["verdict"], "warning");
}

// ---------------------------------------------------------------------------------------------
// The bundled sample (tests/support/site.rs): a call of every use case its hybrid profile allows
// ---------------------------------------------------------------------------------------------

#[test]
fn the_bundled_sample_has_a_call_of_every_use_case_its_profile_allows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let r = audit_json(
        &[
            "--fail-on",
            "never",
            "--site",
            root.join("fixtures/contoso-hq.toml").to_str().unwrap(),
            root.join("fixtures/contoso-hq.pcapng").to_str().unwrap(),
        ],
        0,
    );
    let port = |p: u16| support::cli::flow_by_port(&r, p)["id"].as_u64().unwrap();
    check_invariants(&r);
    // Flows by client port (see site.rs): 16 (50040) is the PSTN media flow 10 (SIP) announced.
    let pstn = call_of(&r, port(50040));
    assert_eq!(pstn["use_case"], "onprem-pstn");
    assert_eq!(ids(&pstn["signaling_flows"]), vec![port(5060)]);
    assert_eq!(ids(&pstn["media_flows"]), vec![port(50040)]);
    let relayed = call_of(&r, port(50060));
    assert_eq!(relayed["use_case"], "p2p-relayed");
    assert_eq!(
        ids(&relayed["media_flows"]),
        sorted(vec![port(50060), port(50062)])
    );
    assert_eq!(relayed["hairpin"]["relay"], "52.113.10.10");
    for (p, use_case) in [
        (50010, "office365-media"),
        (50020, "p2p-local"),
        (50052, "p2p-local"),
        (50070, "third-party"),
        (50080, "onprem-conference"),
        (50090, "external"),
    ] {
        let call = call_of(&r, port(p));
        assert_eq!(call["use_case"], use_case, "port {p}");
        assert_eq!(call["deployment"], "hybrid", "port {p}");
        assert_eq!(ids(&call["flows"]), vec![port(p)], "port {p}");
    }
    // Office 365 media: flows 1, 4, 5, 6, 8 (over TCP), 12, 13; flow 7 (STUN only) is no call.
    check_summary(
        &r,
        &[
            ("office365-media", 7),
            ("p2p-local", 2),
            ("p2p-relayed", 1),
            ("third-party", 1),
            ("onprem-conference", 1),
            ("onprem-pstn", 1),
            ("external", 1),
        ],
        &[("ok", 8), ("warning", 2), ("error", 4)],
    );
}
