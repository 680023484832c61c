//! Issue 13, "trust what it says": regression tests for what could mislead a user or make them
//! work around the tool, each named after what it guards. On the bundled sample (its paths,
//! findings and flows are known: `tests/golden/contoso-hq.txt`).

mod support;

use serde_json::Value;
use support::cli::{audit_json, callpath, flow_by_port, flows};

const SITE: &str = "fixtures/contoso-hq.toml";
const SAMPLE: &str = "fixtures/contoso-hq.pcapng";

fn codes(flow: &Value) -> Vec<&str> {
    flow["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

/// A profile that names only the Internet side: the sample's two asymmetric flows still are.
#[test]
fn a_partial_profile_still_reports_the_asymmetric_flows() {
    let dir = tempfile::tempdir().unwrap();
    let partial = dir.path().join("partial.toml");
    std::fs::write(
        &partial,
        "[site]\nname = \"partial\"\ninternal = [\"10.0.0.0/8\", \"192.0.2.0/26\"]\n\
         expressroute = true\n\n[[path]]\nname = \"internet\"\ninterfaces = [\"inet0\"]\n",
    )
    .unwrap();
    let report = audit_json(&["--site", partial.to_str().unwrap(), SAMPLE], 1);
    for port in [50014, 50018] {
        let flow = flow_by_port(&report, port);
        assert!(
            codes(flow).contains(&"asymmetric-route"),
            "{port}: {:?}",
            flow["findings"]
        );
    }
}

/// The sample's split flow (forward over both paths, expected over ExpressRoute) is bypassed
/// too, not only split.
#[test]
fn a_split_flow_is_also_expressroute_bypassed() {
    let report = audit_json(&["--site", SITE, SAMPLE], 1);
    let flow = flow_by_port(&report, 50024);
    assert_eq!(flow["path"]["forward"], "split");
    assert_eq!(codes(flow), ["expressroute-bypassed", "path-split"]);
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["flow"] == flow["id"] && f["code"] == "expressroute-bypassed")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("partly over internet"), "{message}");
}

#[test]
fn fail_on_info_fails_on_an_info_finding() {
    // No profile: the paths of this symmetric flow are unknown, an info finding and no other.
    let args = |fail_on| {
        let net = "10.10.1.20/32";
        ["audit", "-q", "--fail-on", fail_on, "--net", net, SAMPLE]
    };
    assert_eq!(callpath(&args("info")).status, 1);
    assert_eq!(callpath(&args("warning")).status, 0);
    assert_eq!(callpath(&args("never")).status, 0);
}

#[test]
fn limit_sets_the_flows_listed_per_finding_code() {
    let text = |limit: &str| {
        let out = callpath(&["audit", "-q", "--limit", limit, "--site", SITE, SAMPLE]);
        assert_eq!(out.status, 1, "{}", out.stderr);
        out.stdout
    };
    let one = text("1");
    assert!(
        one.contains("expressroute-bypassed (error): 5 flows"),
        "{one}"
    );
    assert!(
        one.contains("  ... and 4 more flows (--limit 0 lists all)"),
        "{one}"
    );
    let all = text("0");
    assert!(!all.contains("... and"), "{all}");
    // Under its three codes, and once in the Media quality section (it carries RTP).
    assert_eq!(all.matches("  #13 ").count(), 4, "{all}");
}

#[test]
fn text_counts_findings_on_flows_with_plurals() {
    let out = callpath(&["audit", "-q", "--site", SITE, SAMPLE]);
    let text = out.stdout;
    assert!(
        text.contains(
            "Findings: 8 error findings on 6 flows, 6 warning findings on 6 flows, 1 info finding on 1 flow"
        ),
        "{text}"
    );
    assert!(
        text.contains("unexpected-expressroute (error): 1 flow\n"),
        "{text}"
    );
    assert!(text.contains("- no packet that way, or nothing"), "{text}");
    assert!(
        text.contains("Time (UTC): 2026-11-02 09:00:00.000 to 09:00:04.300"),
        "{text}"
    );
    // The second line of each flow: first seen, duration, packets, bytes, rate.
    assert!(
        text.contains("09:00:00.400     1.0 s  104 packets  17.7 kB 138.6 kbit/s"),
        "{text}"
    );
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        assert!(line.len() <= 100, "wider than 100 columns: {line:?}");
    }
}

/// The `unknown-path` advice is given once, under the code, not under every flow.
#[test]
fn unknown_path_advice_once_per_report() {
    let out = callpath(&["audit", "-q", "--limit", "0", SAMPLE]);
    let text = out.stdout;
    assert!(text.contains("unknown-path (info): "), "{text}");
    assert_eq!(text.matches("add a [[path]] rule").count(), 1, "{text}");
    // The JSON message keeps it, for scripts that read one finding alone.
    let report = audit_json(&[SAMPLE], 1);
    let unknown = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unknown-path")
        .count();
    assert!(unknown > 1);
}

/// "Show me the asymmetric Teams media from 10.10.1.0/24" is one command; findings, summary
/// and exit status follow the selection; ids stay the audit's.
#[test]
fn selection_narrows_the_report_and_its_exit_status() {
    let report = audit_json(
        &[
            "--site",
            SITE,
            "--finding",
            "asymmetric-route",
            "--app",
            "rtp",
            "--net",
            "10.10.1.0/24",
            "--set",
            "11",
            SAMPLE,
        ],
        1,
    );
    let ids: Vec<u64> = flows(&report)
        .iter()
        .map(|f| f["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [5, 6]);
    assert_eq!(report["summary"]["flows"], 2);
    assert_eq!(report["selection"]["flows"], 2);
    // The sample's 15 path cases and issue 15's 7 call flows (16-22).
    assert_eq!(report["selection"]["flows_total"], 22);
    assert_eq!(report["selection"]["finding"][0], "asymmetric-route");
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["flow"] == 5 || f["flow"] == 6));

    // Nothing failing selected: exit 0.
    let dns = audit_json(&["--site", SITE, "--app", "dns", SAMPLE], 0);
    assert_eq!(dns["summary"]["flows"], 1);
    // Time window: flows with a packet in it.
    let late = audit_json(
        &["--site", SITE, "--since", "2026-11-02T09:00:04Z", SAMPLE],
        1,
    );
    let late_ids: Vec<&Value> = flows(&late).iter().map(|f| &f["id"]).collect();
    assert_eq!(late_ids, [14]);
    // No selection: no `selection` field.
    assert!(audit_json(&["--site", SITE, SAMPLE], 1)
        .get("selection")
        .is_none());
}

#[test]
fn bad_selections_are_usage_errors() {
    for (flag, value, says) in [
        ("--app", "teams", "not an app"),
        ("--finding", "asymetric-route", "not a finding code"),
        ("--net", "10.0.0.0/33", "not a network"),
        ("--since", "yesterday", "not an RFC 3339 time"),
    ] {
        let out = callpath(&["audit", "-q", flag, value, SAMPLE]);
        assert_eq!(out.status, 2, "{flag} {value}");
        assert!(out.stderr.contains(says), "{flag} {value}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn completions_and_man_page_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = callpath(&["completions", shell]);
        assert_eq!(out.status, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains("interfaces"), "{shell}");
        assert!(out.stdout.contains("fail-on"), "{shell}");
    }
    let man = callpath(&["man"]);
    assert_eq!(man.status, 0);
    assert!(man.stdout.contains(".TH callpath 1"), "{}", man.stdout);
}

#[test]
fn version_names_the_ranges_snapshot() {
    let out = callpath(&["--version"]);
    assert_eq!(out.status, 0);
    assert!(
        out.stdout.contains("worldwide as of 2025-12-01"),
        "{}",
        out.stdout
    );
}

#[test]
fn interfaces_writes_to_a_file_and_is_quiet_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("points.json");
    let out = callpath(&[
        "interfaces",
        "-q",
        "--format",
        "json",
        "-o",
        file.to_str().unwrap(),
        SAMPLE,
    ]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let rows: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(rows[0]["kind"], "capture");
    // The text table says what its counts are: TCP/UDP flows, as the audit counts them.
    let text = callpath(&["interfaces", "-q", SAMPLE]);
    assert!(
        text.stdout
            .starts_with("(packets of TCP/UDP flows, as the audit counts them"),
        "{}",
        text.stdout
    );
}

/// The next-hop MACs listed do not depend on `--site` (only their path column does).
#[test]
fn interfaces_lists_the_same_macs_with_and_without_a_site() {
    let macs = |args: &[&str]| {
        let mut all = vec!["interfaces", "-q", "--format", "json"];
        all.extend_from_slice(args);
        let out = callpath(&all);
        assert_eq!(out.status, 0, "{}", out.stderr);
        let rows: Value = serde_json::from_str(&out.stdout).unwrap();
        let mut macs: Vec<String> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "next-hop-mac")
            .map(|r| r["value"].as_str().unwrap().to_string())
            .collect();
        macs.sort();
        macs
    };
    let without = macs(&[SAMPLE]);
    assert!(!without.is_empty());
    assert_eq!(without, macs(&["--site", SITE, SAMPLE]));
}

/// The columns of a flow's second line are where they are whatever the addresses (the IPv6
/// flow of the sample among them) and the flow number.
#[test]
fn text_columns_stay_aligned_for_ipv6() {
    let out = callpath(&["audit", "-q", "--limit", "0", "--site", SITE, SAMPLE]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let mut columns = std::collections::BTreeSet::new();
    let mut ipv6 = false;
    let mut media_section = false;
    for pair in lines.windows(2) {
        // The Media quality section's flows have stream lines under them, not the second line.
        if pair[0].starts_with("Media quality") || pair[0].starts_with("Top flows") {
            media_section = pair[0].starts_with("Media quality");
        }
        if media_section || !pair[0].starts_with("  #") {
            continue;
        }
        ipv6 |= pair[0].contains('[');
        // The first-seen column (every flow of the sample starts at 09:00:0x).
        columns.insert(pair[1].find("09:00:0").unwrap());
    }
    assert!(ipv6, "the sample's IPv6 flow is listed");
    assert_eq!(columns.len(), 1, "{columns:?}\n{}", out.stdout);
}

/// Issue 13: captures of one direction only (the asymmetric case this tool exists for): the
/// client is the end that sent the SYN or received the SYN-ACK, or the end off the service
/// port, never the :443 or :80 side.
#[test]
fn one_direction_captures_name_the_right_client() {
    let Some(dir) = support::shared::or_skip("captures/ndpi") else {
        return;
    };
    let capture = |name: &str| dir.join(name).to_string_lossy().into_owned();
    // Only the server's replies: the client is the internal end, one-sided from the server.
    let report = audit_json(&[&capture("tls_1.2_unidirectional_server.pcapng")], 0);
    let flow = flow_by_port(&report, 443);
    assert_eq!(flow["client"]["ip"], "192.168.12.156");
    assert_eq!(flow["client"]["port"], 43854);
    assert_eq!(flow["server"]["port"], 443);
    assert_eq!(flow["packets"]["forward"], 0);
    assert!(codes(flow).contains(&"one-sided-flow"), "{flow}");
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "one-sided-flow")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("only the server's direction was seen"),
        "{message}"
    );

    // Each direction of an HTTP exchange captured alone: the :80 end is the server of both.
    let report = audit_json(&[&capture("http_asymmetric.pcapng")], 0);
    let servers: Vec<&Value> = flows(&report)
        .iter()
        .map(|f| &f["server"]["port"])
        .collect();
    assert!(!servers.is_empty());
    assert!(servers.iter().all(|p| **p == 80), "{servers:?}");

    // Flows caught mid-way: no flow with a service port on the client side only.
    let report = audit_json(&[&capture("lru_ipv6_caches.pcapng")], 0);
    for f in flows(&report) {
        let (c, s) = (
            f["client"]["port"].as_u64().unwrap(),
            f["server"]["port"].as_u64().unwrap(),
        );
        assert!(!(c < 1024 && s >= 1024 && f["transport"] == "tcp"), "{f}");
    }
}
