//! Issue 19: `callpath check` on the bundled samples. Expectations that hold (exit 0), each kind
//! of broken expectation (exit 1, its JUnit failure names it), bad files (exit 2, the message
//! names the line and the key), `--suggest` fed back to `check` on the same captures, and
//! `--baseline` with a finding added and one gone. The JUnit XML is read back by an XML parser
//! and checked against the JUnit schema's structure (testsuites > testsuite > testcase >
//! failure, with their counts).

mod support;

use std::path::Path;

use support::cli::{audit_json, callpath, Outcome};

const SAMPLE: [&str; 3] = [
    "--site",
    "fixtures/contoso-hq.toml",
    "fixtures/contoso-hq.pcapng",
];

/// `callpath check --expect FILE --junit JUNIT SAMPLE...` with `expect` as the file.
fn check(dir: &Path, expect: &str, extra: &[&str], status: i32) -> (Outcome, String) {
    let e = dir.join("expect.toml");
    std::fs::write(&e, expect).unwrap();
    let junit = dir.join("junit.xml");
    let (e, j) = (
        e.to_str().unwrap().to_string(),
        junit.to_str().unwrap().to_string(),
    );
    let mut args = vec!["check", "-q", "--expect", &e, "--junit", &j];
    args.extend_from_slice(extra);
    args.extend_from_slice(&SAMPLE);
    let out = callpath(&args);
    assert_eq!(out.status, status, "{}\n{}", out.stdout, out.stderr);
    let xml = if status == 2 {
        String::new()
    } else {
        std::fs::read_to_string(&junit).unwrap()
    };
    (out, xml)
}

/// The JUnit document's structure: testsuites > testsuite(s) > testcase(s); counts agree;
/// each failure has a message and a type. Returns (case name, failure message) pairs.
fn junit_cases(xml: &str) -> Vec<(String, Option<String>)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let num = |n: roxmltree::Node<'_, '_>, a: &str| -> usize {
        n.attribute(a)
            .unwrap_or_else(|| panic!("{} lacks {a}", n.tag_name().name()))
            .parse()
            .unwrap()
    };
    let mut cases = Vec::new();
    let (mut tests, mut failures) = (0, 0);
    for suite in root.children().filter(|n| n.is_element()) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert!(suite.attribute("name").is_some_and(|n| !n.is_empty()));
        let _: f64 = suite.attribute("time").unwrap().parse().unwrap();
        let mut suite_cases = 0;
        let mut suite_failures = 0;
        for child in suite.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "properties" => {
                    for p in child.children().filter(|n| n.is_element()) {
                        assert_eq!(p.tag_name().name(), "property");
                        assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
                    }
                }
                "testcase" => {
                    suite_cases += 1;
                    let name = child.attribute("name").expect("testcase name").to_string();
                    assert!(child.attribute("classname").is_some());
                    let failure = child
                        .children()
                        .find(|n| n.has_tag_name("failure"))
                        .map(|f| {
                            assert_eq!(f.attribute("type"), Some("expectation"));
                            f.attribute("message").expect("failure message").to_string()
                        });
                    for c in child.children().filter(|n| n.is_element()) {
                        assert!(
                            ["failure", "system-out"].contains(&c.tag_name().name()),
                            "{:?}",
                            c.tag_name()
                        );
                    }
                    suite_failures += usize::from(failure.is_some());
                    cases.push((name, failure));
                }
                other => panic!("unexpected <{other}> in a testsuite"),
            }
        }
        assert_eq!(num(suite, "tests"), suite_cases);
        assert_eq!(num(suite, "failures"), suite_failures);
        assert_eq!(num(suite, "errors"), 0);
        tests += suite_cases;
        failures += suite_failures;
    }
    assert_eq!(num(root, "tests"), tests);
    assert_eq!(num(root, "failures"), failures);
    cases
}

const HOLDS: &str = r#"
[findings]
allow = ["asymmetric-route", "expressroute-bypassed", "unexpected-expressroute",
         "one-sided-flow", "media-over-tcp", "path-split", "media-hairpin", "dscp-unmarked"]
[count]
asymmetric-route = 2
nat-pool-shared = 0
[[flows]]
name = "Teams media over ExpressRoute"
app = "rtp"
set = 11
path = "expressroute"
min = 1
[[flows]]
name = "Teams signaling"
transport = "tcp"
sni = "*.microsoft.com"
min = 1
[[calls]]
use_case = "office365-media"
min = 7
max = 7
[[quality]]
path = "expressroute"
max_loss_percent = 0.1
max_jitter_ms = 30
"#;

#[test]
fn expectations_that_hold_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let (out, xml) = check(dir.path(), HOLDS, &[], 0);
    assert!(
        out.stdout.contains("7 expectations, 7 passed, 0 failed"),
        "{}",
        out.stdout
    );
    let cases = junit_cases(&xml);
    assert_eq!(cases.len(), 7);
    assert!(cases.iter().all(|(_, f)| f.is_none()));
    assert_eq!(cases[0].0, "findings.allow");
    assert!(cases
        .iter()
        .any(|(n, _)| n == "flows[0] Teams media over ExpressRoute"));
}

/// Each kind of expectation, broken on the sample: exit 1, and the JUnit failure of that
/// expectation says what was expected and what was found.
#[test]
fn each_broken_expectation_fails_and_is_named() {
    let cases: [(&str, &str, &str); 7] = [
        (
            "[findings]\nallow = [\"unknown-path\"]\n",
            "findings.allow",
            "asymmetric-route (2 flows)",
        ),
        (
            "[count]\nasymmetric-route = 0\n",
            "count.asymmetric-route",
            "expected at most 0 asymmetric-route findings; found 2 findings",
        ),
        (
            "[[flows]]\napp = \"rtp\"\nset = 11\npath = \"expressroute\"\nmin = 6\n",
            "flows[0]",
            "over expressroute both ways",
        ),
        (
            "[[flows]]\nsni = \"*.example.org\"\n",
            "flows[0]",
            "found 0 do, 0 selected flows do not",
        ),
        (
            "[[calls]]\nuse_case = \"office365-media\"\nverdict = \"ok\"\nmin = 7\n",
            "calls[0] office365-media",
            "with verdict ok or better",
        ),
        (
            "[[calls]]\nuse_case = \"p2p-local\"\nmax = 1\n",
            "calls[0] p2p-local",
            "found 2 such calls",
        ),
        (
            "[[quality]]\npath = \"expressroute\"\nmax_jitter_ms = 0\n",
            "quality[0] expressroute",
            "max jitter at most 0 ms",
        ),
    ];
    for (expect, name, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (out, xml) = check(dir.path(), expect, &[], 1);
        assert!(
            out.stdout.contains(&format!("FAIL {name}")),
            "{}",
            out.stdout
        );
        let junit = junit_cases(&xml);
        let (_, failure) = junit
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no case {name} in {junit:?}"));
        let failure = failure.as_ref().unwrap_or_else(|| panic!("{name} passed"));
        assert!(failure.contains(says), "{name}: {failure}");
    }
}

#[test]
fn bad_files_exit_2_naming_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = check(
        dir.path(),
        "[[flows]]\napp = \"rtp\"\n\n[[flows]]\napp = \"rpt\"\n",
        &[],
        2,
    );
    assert!(
        out.stderr
            .contains("expect.toml:5: flows[1].app: \"rpt\" is not an app"),
        "{}",
        out.stderr
    );
    let (out, _) = check(dir.path(), "[count]\nmedia-los = 1\n", &[], 2);
    assert!(
        out.stderr.contains("expect.toml:2: count.media-los"),
        "{}",
        out.stderr
    );
    let (out, _) = check(dir.path(), "[[flows]]\nmni = 1\n", &[], 2);
    assert!(
        out.stderr
            .contains("expect.toml:2: flows[0].mni: unknown field"),
        "{}",
        out.stderr
    );
    // A bad baseline is bad input too.
    let bad = dir.path().join("old.json");
    std::fs::write(&bad, "{\"flows\": 3}").unwrap();
    let b = bad.to_str().unwrap();
    let (out, _) = check(dir.path(), HOLDS, &["--baseline", b], 2);
    assert!(
        out.stderr.contains("old.json: no \"flows\" array"),
        "{}",
        out.stderr
    );
    // No expectations file at all.
    let out = callpath(&[
        "check",
        "-q",
        "--expect",
        "/nonexistent/e.toml",
        "fixtures/contoso-hq.pcapng",
    ]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("/nonexistent/e.toml"), "{}", out.stderr);
}

/// `--suggest` writes expectations the same captures satisfy, on each bundled sample.
#[test]
fn suggested_expectations_hold_on_their_captures() {
    let samples: [&[&str]; 3] = [
        &SAMPLE,
        &[
            "--site",
            "fixtures/contoso-hq.toml",
            "trunk=fixtures/contoso-hq-trunk.pcap",
        ],
        &[
            "--site",
            "fixtures/nat-router.toml",
            "fixtures/nat-router.pcapng",
        ],
    ];
    for sample in samples {
        let mut args = vec!["check", "-q", "--suggest"];
        args.extend_from_slice(sample);
        let out = callpath(&args);
        assert_eq!(out.status, 0, "{}", out.stderr);
        assert!(out.stdout.contains("[[flows]]") && out.stdout.contains("[count]"));
        let dir = tempfile::tempdir().unwrap();
        let e = dir.path().join("suggested.toml");
        std::fs::write(&e, &out.stdout).unwrap();
        let mut args = vec!["check", "-q", "--expect", e.to_str().unwrap()];
        args.extend_from_slice(sample);
        let back = callpath(&args);
        assert_eq!(back.status, 0, "{}\n{}", back.stdout, out.stdout);
        assert!(back.stdout.contains(" 0 failed"), "{}", back.stdout);
    }
}

/// A baseline lacking one of today's findings (new: fails) and holding one today lacks (gone:
/// listed).
#[test]
fn baseline_new_findings_fail_and_gone_ones_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = audit_json(&SAMPLE, 1);
    // Same as today: passes.
    let same = dir.path().join("same.json");
    std::fs::write(&same, report.to_string()).unwrap();
    let (out, xml) = check(
        dir.path(),
        HOLDS,
        &["--baseline", same.to_str().unwrap()],
        0,
    );
    assert!(out.stdout.contains("PASS baseline"), "{}", out.stdout);
    assert!(junit_cases(&xml)
        .iter()
        .any(|(n, f)| n == "baseline" && f.is_none()));
    // One finding removed from the baseline (so it is new today), one invented (gone today).
    let findings = report["findings"].as_array_mut().unwrap();
    let removed = findings.remove(0);
    let code = removed["code"].as_str().unwrap().to_string();
    let flows = report["flows"].as_array().unwrap();
    let quiet = flows
        .iter()
        .find(|f| f["findings"].as_array().unwrap().is_empty())
        .unwrap()
        .clone();
    report["findings"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"code": "path-split", "flow": quiet["id"]}));
    let old = dir.path().join("old.json");
    std::fs::write(&old, report.to_string()).unwrap();
    let (out, xml) = check(dir.path(), HOLDS, &["--baseline", old.to_str().unwrap()], 1);
    assert!(out.stdout.contains("FAIL baseline"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("new {code}: #{}", removed["flow"])),
        "{}",
        out.stdout
    );
    let gone = format!("gone path-split: {} ", quiet["transport"].as_str().unwrap());
    assert!(out.stdout.contains(&gone), "{}", out.stdout);
    let cases = junit_cases(&xml);
    let (_, failure) = cases.iter().find(|(n, _)| n == "baseline").unwrap();
    assert!(
        failure.as_ref().unwrap().contains("found 1 new, 1 gone"),
        "{failure:?}"
    );
}
