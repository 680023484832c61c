//! The path audit on a site with ExpressRoute and Internet paths: the same traffic captured
//! four ways and as one file per tap must give the same verdicts, flow by flow.

mod support;

use serde_json::{json, Value};
use support::cli::*;
use support::site::{self, Link};

/// client port, path forward, path reverse, expected path, endpoint set id, findings
type Verdict = (
    u16,
    &'static str,
    Option<&'static str>,
    &'static str,
    Option<u64>,
    &'static [&'static str],
);

const EXPECTED: &[Verdict] = &[
    (
        50010,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(11),
        &[],
    ),
    (
        51000,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(12),
        &[],
    ),
    (52000, "internet", Some("internet"), "internet", None, &[]),
    (
        50012,
        "internet",
        Some("internet"),
        "expressroute",
        Some(11),
        &["expressroute-bypassed"],
    ),
    (
        50014,
        "expressroute",
        Some("internet"),
        "expressroute",
        Some(11),
        &["asymmetric-route", "expressroute-bypassed"],
    ),
    (
        50018,
        "internet",
        Some("expressroute"),
        "expressroute",
        Some(11),
        &["asymmetric-route", "expressroute-bypassed"],
    ),
    (
        50016,
        "expressroute",
        None,
        "expressroute",
        Some(11),
        &["one-sided-flow"],
    ),
    (
        51500,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(12),
        // TCP fallback media is not marked (Teams marks its UDP media ports).
        &["media-over-tcp", "dscp-unmarked"],
    ),
    (50020, "local", Some("local"), "local", None, &[]),
    (5060, "local", Some("local"), "local", None, &[]),
    (
        53000,
        "expressroute",
        Some("expressroute"),
        "internet",
        None,
        &["unexpected-expressroute"],
    ),
    (
        50022,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(11),
        &[],
    ),
    (
        50024,
        "split",
        Some("expressroute"),
        "expressroute",
        Some(11),
        // Issue 13: partly over the Internet is bypassed too.
        &["expressroute-bypassed", "path-split"],
    ),
    (
        54000,
        "internet",
        None,
        "expressroute",
        Some(12),
        &["expressroute-bypassed", "one-sided-flow"],
    ),
    (40000, "local", None, "local", None, &[]),
    // Issue 15: the sample's calls. 16: the PSTN call's media to the SBC.
    (50040, "local", Some("local"), "local", None, &[]),
    // 17: peer-to-peer with ICE; the callee's Binding request came first, so it is the client.
    (50052, "local", Some("local"), "local", None, &[]),
    // 18, 19: both ends of a call relayed through an Office 365 TURN relay: the call's media
    // hairpins through the relay (its TURN evidence links the two flows).
    (
        50060,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(11),
        &["media-hairpin"],
    ),
    (
        50062,
        "expressroute",
        Some("expressroute"),
        "expressroute",
        Some(11),
        &["media-hairpin"],
    ),
    // 20: a third party's conference; 21: the on-prem conferencing server.
    (50070, "internet", Some("internet"), "internet", None, &[]),
    (50080, "local", Some("local"), "local", None, &[]),
    // 22: a guest with a public address seen on the LAN only: no expectation, no edge path.
    (50090, "unknown", Some("unknown"), "", Some(11), &[]),
];

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn flow_by_client_port(r: &Value, port: u16) -> &Value {
    let found: Vec<&Value> = flows(r)
        .iter()
        .filter(|f| f["client"]["port"] == port)
        .collect();
    assert_eq!(found.len(), 1, "client port {port}");
    found[0]
}

fn check_verdicts(r: &Value, how: &str) {
    assert_eq!(r["site"]["name"], "contoso-hq", "{how}");
    assert_eq!(r["summary"]["flows"], EXPECTED.len(), "{how}");
    for &(port, fwd, rev, expected, set, findings) in EXPECTED {
        let f = flow_by_client_port(r, port);
        let what = format!("{how}: flow from client port {port}");
        assert_eq!(f["path"], json!({"forward": fwd, "reverse": rev}), "{what}");
        let expected = if expected.is_empty() {
            Value::Null
        } else {
            json!(expected)
        };
        assert_eq!(f["expected_path"], expected, "{what}");
        assert_eq!(
            f["o365"]["id"],
            set.map_or(Value::Null, |s| json!(s)),
            "{what}"
        );
        if set.is_some() {
            assert_eq!(f["o365"]["express_route"], true, "{what}");
            assert_eq!(f["o365"]["service_area"], "Skype", "{what}");
        }
        assert_eq!(f["findings"], json!(findings), "{what}");
    }
    // Every finding in the report list points at a flow that carries its code.
    for finding in r["findings"].as_array().unwrap() {
        let flow = &r["flows"][finding["flow"].as_u64().unwrap() as usize - 1];
        assert!(
            flow["findings"]
                .as_array()
                .unwrap()
                .contains(&finding["code"]),
            "{how}: {finding}"
        );
    }
    assert_eq!(
        r["summary"]["findings"],
        json!({"asymmetric-route": 2, "dscp-unmarked": 1, "expressroute-bypassed": 5,
               "media-hairpin": 2, "media-over-tcp": 1, "one-sided-flow": 2, "path-split": 1,
               "unexpected-expressroute": 1}),
        "{how}"
    );
}

fn profile(dir: &tempfile::TempDir) -> String {
    write(dir, "site.toml", site::PROFILE.as_bytes())
}

#[test]
fn pcapng_interfaces_name_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let r = audit_json(&["--site", &profile(&dir), &cap], 1);
    check_verdicts(&r, "pcapng interfaces");
    assert_eq!(r["captures"][0]["interfaces"][0]["path"], "expressroute");
    assert_eq!(r["captures"][0]["interfaces"][1]["path"], "internet");
    assert_eq!(r["captures"][0]["interfaces"][2]["path"], "local");
}

#[test]
fn vlan_ids_on_a_trunk_name_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "trunk.pcap", &site::as_vlan_trunk());
    check_verdicts(
        &audit_json(&["--site", &profile(&dir), &cap], 1),
        "VLAN trunk",
    );
}

#[test]
fn next_hop_macs_name_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "inside.pcap", &site::as_next_hop_macs());
    check_verdicts(
        &audit_json(&["--site", &profile(&dir), &cap], 1),
        "next-hop MACs",
    );
}

#[test]
fn sll2_ifindexes_name_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "any.pcap", &site::as_sll2());
    check_verdicts(
        &audit_json(&["--site", &profile(&dir), &cap], 1),
        "SLL2 ifindexes",
    );
}

#[test]
fn one_file_per_tap_with_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["--site".to_string(), profile(&dir)];
    for (link, bytes) in site::as_tap_files() {
        let path = write(&dir, &format!("{}.pcap", link.name()), &bytes);
        args.push(format!("{}={path}", link.name()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = audit_json(&args, 1);
    check_verdicts(&r, "tap files");
    // The asymmetric flow's directions are in two files.
    let f = flow_by_client_port(&r, 50014);
    assert_eq!(f["seen_at"]["forward"][0]["capture_point"], "er0");
    assert_eq!(f["seen_at"]["reverse"][0]["capture_point"], "inet0");
}

#[test]
fn exit_status_follows_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let p = profile(&dir);
    assert_eq!(callpath(&["audit", "-q", "--site", &p, &cap]).status, 1);
    assert_eq!(
        callpath(&["audit", "-q", "--site", &p, "--fail-on", "error", &cap]).status,
        1
    );
    assert_eq!(
        callpath(&["audit", "-q", "--site", &p, "--fail-on", "warning", &cap]).status,
        1
    );
    assert_eq!(
        callpath(&["audit", "-q", "--site", &p, "--fail-on", "never", &cap]).status,
        0
    );
    // Only the symmetric ExpressRoute media flow: nothing to report.
    let only_ok = write(&dir, "ok.pcapng", &{
        let mut ng = support::builder::Pcapng::new();
        let er = ng.interface(support::builder::Iface::ethernet("er0"));
        for p in site::packets().iter().filter(|p| {
            p.ip.len() > 20
                && (p.src.to_string() == "10.10.1.20" || p.dst.to_string() == "10.10.1.20")
                && p.link == Link::Er
        }) {
            ng.packet(
                er,
                p.ts,
                &support::builder::ethernet_ip([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], &p.ip),
            );
        }
        ng.to_bytes()
    });
    let out = callpath(&["audit", "--format", "json", "--site", &p, &only_ok]);
    assert_eq!(out.status, 0, "{}", out.stdout);
    assert_eq!(out.json()["findings"], json!([]));
}

#[test]
fn nat_pools_name_the_paths_when_nothing_else_does() {
    use support::builder::*;
    let dir = tempfile::tempdir().unwrap();
    let mut pcap = Pcap::new(LINKTYPE_RAW);
    // Captured outside the NAT: the internal end is a pool address.
    // 192.0.2.20 is in the ExpressRoute NAT pool, 192.0.2.40 in the Internet one.
    for (i, client) in ["192.0.2.20", "192.0.2.40"].iter().enumerate() {
        let c: std::net::Ipv4Addr = client.parse().unwrap();
        let r = std::net::Ipv4Addr::new(52, 112, 9, 9);
        let port = 50000 + i as u16;
        pcap.packet(
            site::T0 + i as i64 * site::MS,
            &ipv4_udp(c, port, r, 3478, &[0; 40]),
        );
        pcap.packet(
            site::T0 + (10 + i as i64) * site::MS,
            &ipv4_udp(r, 3478, c, port, &[0; 40]),
        );
    }
    let cap = write(&dir, "outside-nat.pcap", &pcap.to_bytes());
    let r = audit_json(&["--site", &profile(&dir), "--fail-on", "never", &cap], 0);
    let er = flow_by_client_port(&r, 50000);
    assert_eq!(
        er["path"],
        json!({"forward": "expressroute", "reverse": "expressroute"})
    );
    assert_eq!(er["findings"], json!([]));
    let inet = flow_by_client_port(&r, 50001);
    assert_eq!(
        inet["path"],
        json!({"forward": "internet", "reverse": "internet"})
    );
    assert_eq!(inet["findings"], json!(["expressroute-bypassed"]));
}

#[test]
fn without_a_profile_edge_paths_are_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "trunk.pcap", &site::as_vlan_trunk());
    let r = audit_json(&[&cap], 0);
    let f = flow_by_client_port(&r, 50010);
    assert_eq!(
        f["path"],
        json!({"forward": "unknown", "reverse": "unknown"})
    );
    // No profile: the site has no ExpressRoute, so Office 365 is expected over the Internet.
    assert_eq!(f["expected_path"], "internet");
    assert_eq!(f["findings"], json!(["unknown-path"]));
    assert_eq!(flow_by_client_port(&r, 50020)["path"]["forward"], "local");
}

#[test]
fn shared_endpoint_files_give_the_same_verdicts_as_the_bundled_snapshot() {
    let Some(_) = support::shared::or_skip("o365-endpoints") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let p = profile(&dir);
    let ww = shared_path("o365-endpoints/worldwide.json");
    let bundled = audit_json(&["--site", &p, &cap], 1);
    let shared = audit_json(&["--site", &p, "--ranges", ww.to_str().unwrap(), &cap], 1);
    assert_eq!(bundled["flows"], shared["flows"]);
    assert_eq!(bundled["findings"], shared["findings"]);
    // SPEC "Office 365 ranges over time": source `file`, and the file read.
    assert_eq!(shared["ranges"]["source"], "file");
    assert_eq!(shared["ranges"]["file"], ww.to_str().unwrap());
    assert_eq!(shared["ranges"]["instance"], "worldwide");
    for (file, instance) in [
        ("USGovDoD.json", "USGovDoD"),
        ("USGovGCCHigh.json", "USGovGCCHigh"),
        ("China.json", "China"),
    ] {
        let path = shared_path(&format!("o365-endpoints/{file}"));
        let r = audit_json(
            &[
                "--site",
                &p,
                "--ranges",
                path.to_str().unwrap(),
                "--fail-on",
                "never",
                &cap,
            ],
            0,
        );
        assert_eq!(r["ranges"]["instance"], instance);
        // 52.112.0.0/14 is a worldwide range only.
        assert_eq!(
            flow_by_client_port(&r, 50010)["o365"],
            Value::Null,
            "{file}"
        );
    }
}

#[test]
fn a_bad_site_profile_is_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(&dir, "bad.toml", b"[site]\nname = \"x\"\n\n[[path]]\nname = \"expressroute\"\nmacs = [\"02:00:zz:00:00:01\"]\n");
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let out = callpath(&["audit", "--site", &bad, &cap]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("bad.toml:6"), "{}", out.stderr);
    assert!(out.stderr.contains("macs"), "{}", out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn a_bad_ranges_file_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(&dir, "r.json", br#"[{"id": 1, "serviceArea": "Skype", "expressRoute": true, "category": "Optimize", "required": true, "ips": ["52.112.0.0/99"]}]"#);
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let out = callpath(&["audit", "--ranges", &bad, &cap]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("52.112.0.0/99"), "{}", out.stderr);
}

#[test]
fn interfaces_lists_what_path_rules_can_name() {
    let dir = tempfile::tempdir().unwrap();
    let cap = write(&dir, "site.pcapng", &site::as_pcapng_interfaces());
    let out = callpath(&[
        "interfaces",
        "--format",
        "json",
        "--site",
        &profile(&dir),
        &cap,
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let v = out.json();
    let find = |kind: &str, value: &str| -> Value {
        v.as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == kind && e["value"] == value)
            .unwrap_or_else(|| panic!("{kind} {value} in {v:#}"))
            .clone()
    };
    let er = find("capture", "er0");
    assert_eq!(er["path"], "expressroute");
    assert!(er["o365_share"].as_f64().unwrap() > 0.9, "{er}");
    let lan = find("capture", "lan0");
    assert_eq!(lan["path"], "local");
    // Issue 15: only the guest's media to Office 365 (flow 22, no internal party) is Office 365
    // on the LAN: 104 of its 525 packets.
    assert_eq!(lan["o365_share"], 0.198);
    let mac = find("next-hop-mac", "02:00:00:00:0e:01");
    assert_eq!(mac["path"], "expressroute");
    let sll = write(&dir, "any.pcap", &site::as_sll2());
    let out = callpath(&["interfaces", "--format", "json", &sll]);
    let v = out.json();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "ifindex" && e["value"] == "3" && e["path"].is_null()));
}
