//! The calls in every report format (SPEC "Calls"), with hand-built calls on a small audited
//! run: JSON fields and summary counts, NDJSON line order, the text section, and a selection
//! listing only the calls with a selected flow.

use std::net::IpAddr;

use serde_json::Value;

use super::{build, write, Format, Report};
use crate::audit::{
    audit, AuditInput, Audited, Call, Code, Codes, Deployment, Hairpin, Leg, LegKind, ObservedPath,
    Pair, Party, Selection, UseCase,
};
use crate::decode::{LinkInfo, TransportLayer, IPPROTO_UDP};
use crate::flow::{Endpoint, FlowTable, Observation, PointId};
use crate::ranges::Ranges;
use crate::site::{PathName, ServerRole, Site};

const SITE: &str = r#"
[site]
name = "test"
internal = ["10.0.0.0/8"]
expressroute = true

[[path]]
name = "expressroute"
interfaces = ["er0"]

[[path]]
name = "internet"
interfaces = ["inet0"]
"#;

const TABLE_ONLINE: &str = "Skype for Business Online: join a conference organized on your network";
const TABLE_P2P: &str = "Teams: peer-to-peer call between two users on your network";

/// An empty UDP datagram from `src` to `dst` on interface `interface` (0 `er0`, 1 `inet0`).
fn udp(table: &mut FlowTable, interface: u32, src: &str, dst: &str, ts_s: f64) {
    let src: std::net::SocketAddr = src.parse().unwrap();
    let dst: std::net::SocketAddr = dst.parse().unwrap();
    let transport = TransportLayer {
        protocol: IPPROTO_UDP,
        src_port: src.port(),
        dst_port: dst.port(),
        tcp: None,
        dscp: 0,
        ip_id: 0,
        checksum: 0,
        payload: &[],
    };
    let link = LinkInfo::default();
    table.update(&Observation {
        src: Endpoint {
            ip: src.ip(),
            port: src.port(),
        },
        dst: Endpoint {
            ip: dst.ip(),
            port: dst.port(),
        },
        transport: &transport,
        link: &link,
        point: PointId { file: 0, interface },
        ts_ns: (ts_s * 1e9) as i64,
        wire_len: 100,
        fragment: false,
    });
}

/// Flow 1: to Office 365 set 11, out by ExpressRoute and back by the Internet; flows 2 and 3:
/// two internal clients each to an external relay; flow 4: local, in no call.
fn table() -> FlowTable {
    let mut t = FlowTable::new();
    udp(&mut t, 0, "10.1.1.23:50014", "52.112.30.9:3480", 1.0);
    udp(&mut t, 1, "52.112.30.9:3480", "10.1.1.23:50014", 1.1);
    udp(&mut t, 0, "10.1.1.5:50000", "52.112.9.4:3478", 2.0);
    udp(&mut t, 0, "52.112.9.4:3478", "10.1.1.5:50000", 2.1);
    udp(&mut t, 0, "10.1.1.6:50002", "52.112.9.4:3478", 3.0);
    udp(&mut t, 0, "52.112.9.4:3478", "10.1.1.6:50002", 3.1);
    udp(&mut t, 0, "10.1.1.7:50004", "10.9.9.9:50006", 4.0);
    t
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn codes(list: &[Code]) -> Codes {
    let mut c = Codes::default();
    for &code in list {
        c.insert(code);
    }
    c
}

fn er(forward: Option<ObservedPath>, reverse: Option<ObservedPath>) -> Pair<Option<ObservedPath>> {
    Pair { forward, reverse }
}

/// Call 1: flow 1 to Office 365, asymmetric; call 2: flows 2 and 3 hairpinned through a relay.
fn calls() -> Vec<Call> {
    vec![
        Call {
            id: 1,
            use_case: UseCase::Office365Media,
            deployment: Some(Deployment::Online),
            table: TABLE_ONLINE,
            flows: vec![1],
            media_flows: vec![1],
            signaling_flows: vec![],
            parties: vec![
                Party {
                    ip: ip("10.1.1.23"),
                    internal: true,
                    o365: None,
                    role: None,
                },
                Party {
                    ip: ip("52.112.30.9"),
                    internal: false,
                    o365: Some(11),
                    role: None,
                },
            ],
            legs: vec![Leg {
                kind: LegKind::Media,
                flow: 1,
                expected_path: Some(PathName::Expressroute),
                path: er(
                    Some(ObservedPath::Expressroute),
                    Some(ObservedPath::Internet),
                ),
            }],
            codes: codes(&[Code::AsymmetricRoute, Code::ExpressrouteBypassed]),
            hairpin: None,
        },
        Call {
            id: 2,
            use_case: UseCase::P2pRelayed,
            deployment: None,
            table: TABLE_P2P,
            flows: vec![2, 3],
            media_flows: vec![2, 3],
            signaling_flows: vec![],
            parties: vec![
                Party {
                    ip: ip("10.1.1.5"),
                    internal: true,
                    o365: None,
                    role: None,
                },
                Party {
                    ip: ip("10.1.1.6"),
                    internal: true,
                    o365: None,
                    role: Some(ServerRole::Sbc),
                },
                Party {
                    ip: ip("52.112.9.4"),
                    internal: false,
                    o365: Some(11),
                    role: None,
                },
            ],
            legs: vec![
                Leg {
                    kind: LegKind::Media,
                    flow: 2,
                    expected_path: Some(PathName::Expressroute),
                    path: er(Some(ObservedPath::Expressroute), None),
                },
                Leg {
                    kind: LegKind::Ice,
                    flow: 3,
                    expected_path: None,
                    path: er(None, Some(ObservedPath::Expressroute)),
                },
            ],
            codes: codes(&[Code::MediaHairpin]),
            hairpin: Some(Hairpin {
                parties: [ip("10.1.1.5"), ip("10.1.1.6")],
                relay: ip("52.112.9.4"),
            }),
        },
    ]
}

/// Runs `check` on the report of the audit of `table()` with `calls` and `selection`.
fn with_report(calls: Vec<Call>, selection: &Selection, check: impl FnOnce(&Report<'_>)) {
    let site = Site::from_toml_str(SITE, "site.toml").unwrap();
    let ranges = Ranges::bundled().unwrap();
    let captures = [crate::audit::tests::capture(
        "test.pcapng",
        &["er0", "inet0"],
    )];
    let input = AuditInput {
        site: &site,
        ranges: &ranges,
        captures: &captures,
        correlation: &crate::correlate::Correlation::default(),
    };
    let mut audited: Audited<'_> = audit(&input, table());
    audited.set_calls_for_test(calls);
    audited.select(selection);
    check(&build(&audited));
}

fn written(report: &Report<'_>, format: Format) -> String {
    let mut out = Vec::new();
    write(format, report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json(report: &Report<'_>) -> Value {
    serde_json::from_str(&written(report, Format::Json)).unwrap()
}

#[test]
fn json_calls_have_specs_fields_in_order() {
    with_report(calls(), &Selection::default(), |r| {
        let text = written(r, Format::Json);
        let doc: Value = serde_json::from_str(&text).unwrap();
        // Top-level keys: SPEC's order, `calls` between `flows` and `findings`.
        let keys: Vec<&str> = doc
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let (flows, calls, findings) = (
            text.find("\n  \"flows\": ").unwrap(),
            text.find("\n  \"calls\": ").unwrap(),
            text.find("\n  \"findings\": ").unwrap(),
        );
        assert!(flows < calls && calls < findings, "{keys:?}");

        let call = &doc["calls"][0];
        let expected: Value = serde_json::json!({
            "id": 1, "use_case": "office365-media", "deployment": "online",
            "table": TABLE_ONLINE, "verdict": "error",
            "flows": [1], "media_flows": [1], "signaling_flows": [],
            "parties": [{"ip": "10.1.1.23", "internal": true},
                        {"ip": "52.112.30.9", "internal": false, "o365": 11}],
            "legs": [{"kind": "media", "flow": 1, "expected_path": "expressroute",
                      "path": {"forward": "expressroute", "reverse": "internet"}}],
            "findings": ["asymmetric-route", "expressroute-bypassed"]
        });
        assert_eq!(call, &expected);
        // Field order: SPEC's, with `verdict` after `table`.
        let order: Vec<&str> = call
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let at = |k: &str| text.find(&format!("\"{k}\": ")).unwrap();
        let spec_order = [
            "use_case",
            "deployment",
            "table",
            "verdict",
            "media_flows",
            "signaling_flows",
            "parties",
            "legs",
        ];
        assert!(
            spec_order.windows(2).all(|p| at(p[0]) < at(p[1])),
            "{order:?}"
        );

        let relayed = &doc["calls"][1];
        assert_eq!(relayed["deployment"], Value::Null);
        assert_eq!(relayed["verdict"], "warning");
        assert_eq!(relayed["parties"][1]["role"], "sbc");
        assert_eq!(relayed["parties"][1].get("o365"), None);
        assert_eq!(relayed["legs"][1]["kind"], "ice");
        assert_eq!(relayed["legs"][1]["expected_path"], Value::Null);
        assert_eq!(relayed["legs"][1]["path"]["forward"], Value::Null);
        assert_eq!(
            relayed["hairpin"],
            serde_json::json!({"parties": ["10.1.1.5", "10.1.1.6"], "relay": "52.112.9.4"})
        );
        assert_eq!(call.get("hairpin"), None);
    });
}

#[test]
fn json_summary_counts_calls_with_every_key() {
    with_report(calls(), &Selection::default(), |r| {
        let doc = json(r);
        let s = &doc["summary"]["calls"];
        assert_eq!(s["total"], 2);
        let by_use_case = s["by_use_case"].as_object().unwrap();
        assert_eq!(by_use_case.len(), UseCase::ALL.len());
        // Every use case, in the model's order (serde_json's `Value` sorts keys: the text).
        let text = written(r, Format::Json);
        let at = |u: &UseCase| text.find(&format!("\"{}\": ", u.as_str())).unwrap();
        assert!(UseCase::ALL.windows(2).all(|p| at(&p[0]) < at(&p[1])));
        assert_eq!(by_use_case["office365-media"], 1);
        assert_eq!(by_use_case["p2p-relayed"], 1);
        assert_eq!(by_use_case["external"], 0);
        assert_eq!(
            s["by_verdict"],
            serde_json::json!({"ok": 0, "info": 0, "warning": 1, "error": 1})
        );
    });
}

#[test]
fn without_calls_the_json_has_an_empty_array_and_zero_counts() {
    with_report(Vec::new(), &Selection::default(), |r| {
        let text = written(r, Format::Json);
        assert!(
            text.contains("\n  \"calls\": [],\n  \"findings\": "),
            "{text}"
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["summary"]["calls"]["total"], 0);
        assert_eq!(doc["summary"]["calls"]["by_verdict"]["ok"], 0);
        assert_eq!(
            doc["summary"]["calls"]["by_use_case"]
                .as_object()
                .unwrap()
                .len(),
            UseCase::ALL.len()
        );
    });
}

#[test]
fn ndjson_call_lines_come_after_the_flows_and_before_the_findings() {
    with_report(calls(), &Selection::default(), |r| {
        let text = written(r, Format::Ndjson);
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let types: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
        let mut kinds = types.clone();
        kinds.dedup();
        assert_eq!(
            kinds,
            ["report", "capture", "flow", "call", "finding", "summary"]
        );
        let calls: Vec<&Value> = lines.iter().filter(|l| l["type"] == "call").collect();
        assert_eq!(calls.len(), 2);
        // The same fields as the JSON document's, plus `type` first.
        let doc = json(r);
        let mut first = calls[0].clone();
        assert!(text.contains(r#"{"type":"call","id":1,"use_case":"office365-media","#));
        first.as_object_mut().unwrap().remove("type");
        assert_eq!(first, doc["calls"][0]);
        let summary = lines.last().unwrap();
        assert_eq!(summary["calls"], doc["summary"]["calls"]);
        assert_eq!(summary["calls"]["total"], 2);
    });
}

#[test]
fn text_lists_the_calls_between_the_findings_counts_and_their_flows() {
    with_report(calls(), &Selection::default(), |r| {
        let text = written(r, Format::Text);
        let expected = "\
Calls
  call 1  office365-media  online  error  10.1.1.23 <-> 52.112.30.9 (o365 set 11)
         media     flow 1     expected expressroute  seen forward expressroute, reverse internet
         row: Skype for Business Online: join a conference organized on your network
         findings: asymmetric-route, expressroute-bypassed
  call 2  p2p-relayed  -  warning  10.1.1.5 <-> 10.1.1.6 (sbc) <-> 52.112.9.4 (o365 set 11)
         media     flow 2     expected expressroute  seen forward expressroute, reverse nowhere
         ice       flow 3     expected none          seen forward nowhere, reverse expressroute
         row: Teams: peer-to-peer call between two users on your network
         findings: media-hairpin
         hairpin: media between 10.1.1.5 and 10.1.1.6, both on your network, relayed through
         52.112.9.4
";
        assert!(text.contains(expected), "{text}");
        assert!(
            text.contains(
                "Calls: 2 calls (p2p-relayed 1, office365-media 1); verdicts warning 1, error 1\n"
            ),
            "{text}"
        );
        let at = |s: &str| text.find(s).unwrap();
        assert!(at("Summary: ") < at("Calls: 2 calls"));
        assert!(at("Findings: ") < at("\nCalls\n"));
        assert!(at("\nCalls\n") < at("(paths forward/reverse"));
        assert!(at("(paths forward/reverse") < at("asymmetric-route (error)"));
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
    });
}

#[test]
fn text_limits_the_calls_listed() {
    with_report(calls(), &Selection::default(), |r| {
        let mut r = Report {
            audited: r.audited,
            header: r.header.clone(),
            calls: r.calls.clone(),
            limit: Some(1),
        };
        let text = written(&r, Format::Text);
        assert!(text.contains("  call 1  "), "{text}");
        assert!(!text.contains("  call 2  "), "{text}");
        assert!(text.contains("  ... and 1 more call (--limit 0 lists all)\n"));
        r.limit = None;
        assert!(written(&r, Format::Text).contains("  call 2  "));
    });
}

#[test]
fn without_calls_the_text_says_nothing_of_them() {
    with_report(Vec::new(), &Selection::default(), |r| {
        let text = written(r, Format::Text);
        assert!(!text.contains("Calls"), "{text}");
        assert!(!text.contains("call "), "{text}");
    });
}

#[test]
fn a_long_party_list_goes_on_a_line_of_its_own() {
    let mut calls = calls();
    calls[0].parties[1].ip = ip("2603:1063:1234:5678:9abc:def0:1234:5678");
    calls[0].parties[0].ip = ip("2001:db8:1234:5678:9abc:def0:1234:5678");
    calls[0].parties[0].role = Some(ServerRole::CloudConnector);
    // The widest leg line.
    calls[0].legs.push(Leg {
        kind: LegKind::Signaling,
        flow: 12345,
        expected_path: Some(PathName::Expressroute),
        path: er(
            Some(ObservedPath::Expressroute),
            Some(ObservedPath::Expressroute),
        ),
    });
    with_report(calls, &Selection::default(), |r| {
        let text = written(r, Format::Text);
        assert!(
            text.contains("  call 1  office365-media  online  error\n"),
            "{text}"
        );
        assert!(
            text.contains("         parties 2001:db8:1234:5678:9abc:def0:1234:5678"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.len() <= 100), "{text}");
    });
}

#[test]
fn a_selection_lists_the_calls_with_a_selected_flow() {
    let only = |codes: Vec<Code>| Selection {
        codes,
        ..Selection::default()
    };
    // Flow 1 only (asymmetric): call 1.
    with_report(calls(), &only(vec![Code::AsymmetricRoute]), |r| {
        let doc = json(r);
        let ids: Vec<u64> = doc["calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [1]);
        assert_eq!(doc["summary"]["calls"]["total"], 1);
        assert_eq!(doc["summary"]["calls"]["by_verdict"]["warning"], 0);
        let ndjson = written(r, Format::Ndjson);
        assert_eq!(ndjson.matches(r#""type":"call""#).count(), 1);
        let text = written(r, Format::Text);
        assert!(
            text.contains("  call 1  ") && !text.contains("  call 2  "),
            "{text}"
        );
    });
    // Flow 3 only (the net of its client): call 2, whose flow ids stay the audit's.
    let net = Selection {
        nets: vec!["10.1.1.6/32".parse().unwrap()],
        ..Selection::default()
    };
    with_report(calls(), &net, |r| {
        let doc = json(r);
        assert_eq!(doc["flows"].as_array().unwrap().len(), 1);
        assert_eq!(doc["flows"][0]["id"], 3);
        assert_eq!(doc["calls"].as_array().unwrap().len(), 1);
        assert_eq!(doc["calls"][0]["id"], 2);
        assert_eq!(doc["calls"][0]["flows"], serde_json::json!([2, 3]));
    });
    // Flow 4 only: in no call.
    let local = Selection {
        nets: vec!["10.9.9.9/32".parse().unwrap()],
        ..Selection::default()
    };
    with_report(calls(), &local, |r| {
        let doc = json(r);
        assert_eq!(doc["calls"], serde_json::json!([]));
        assert_eq!(doc["summary"]["calls"]["total"], 0);
        assert!(!written(r, Format::Text).contains("Calls"));
    });
}

#[test]
fn flows_know_their_call() {
    with_report(calls(), &Selection::default(), |r| {
        let a = r.audited;
        let call_of = |i: usize| a.flow(i).unwrap().call().map(|c| c.id);
        assert_eq!(
            (call_of(0), call_of(1), call_of(2), call_of(3)),
            (Some(1), Some(2), Some(2), None)
        );
    });
}
