//! Golden reports: the bundled fixtures are what the builder makes, and their exact JSON and text
//! reports are committed. Regenerate on purpose with `CALLPATH_BLESS=1 cargo test --test golden`.

mod support;

use std::path::Path;

use support::cli::callpath;
use support::nat::{self, Point};
use support::site;

fn bless() -> bool {
    std::env::var_os("CALLPATH_BLESS").is_some()
}

/// Compares `actual` with the committed file (or rewrites it when blessing).
fn check(path: &str, actual: &[u8]) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if bless() {
        // Only when it changed, and by a rename: the other tests of this binary read the
        // fixtures while this one blesses them.
        if std::fs::read(&p).ok().as_deref() != Some(actual) {
            let tmp = p.with_extension("blessing");
            std::fs::write(&tmp, actual).unwrap();
            std::fs::rename(&tmp, &p).unwrap();
        }
        return;
    }
    let expected =
        std::fs::read(&p).unwrap_or_else(|e| panic!("{path}: {e} (run with CALLPATH_BLESS=1)"));
    if expected != actual {
        let (e, a) = (
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual),
        );
        let first = e.lines().zip(a.lines()).position(|(x, y)| x != y);
        panic!(
            "{path} differs from the output (first differing line {first:?}); if the change is \
             intended, rerun with CALLPATH_BLESS=1\nexpected:\n{e}\nactual:\n{a}"
        );
    }
}

#[test]
fn fixtures_are_what_the_builder_makes() {
    check("fixtures/contoso-hq.toml", site::PROFILE.as_bytes());
    check("fixtures/contoso-hq.pcapng", &site::as_pcapng_interfaces());
    check("fixtures/contoso-hq-trunk.pcap", &site::as_vlan_trunk());
    let router = nat::scenario();
    check("fixtures/nat-router.toml", nat::PROFILE.as_bytes());
    check("fixtures/nat-router.pcapng", &nat::router_capture(&router));
    check(
        "fixtures/nat-tap-lan.pcapng",
        &nat::tap_capture(&router, Point::Lan, 0),
    );
    // The WAN tap's clock runs 2.5 s ahead.
    check(
        "fixtures/nat-tap-wan-er.pcapng",
        &nat::tap_capture(&router, Point::WanEr, 2_500_000_000),
    );
}

fn report(args: &[&str]) -> Vec<u8> {
    report_with_status(args, 1)
}

fn report_with_status(args: &[&str], status: i32) -> Vec<u8> {
    let out = callpath(args);
    assert_eq!(out.status, status, "{}", out.stderr);
    out.stdout.into_bytes()
}

/// Issue 17: a router's interfaces in one capture, and a pair of taps with clocks apart (the
/// README's examples).
#[test]
fn golden_reports_of_the_nat_samples() {
    let site = "fixtures/nat-router.toml";
    check(
        "tests/golden/nat-router.txt",
        &report(&["audit", "--site", site, "fixtures/nat-router.pcapng"]),
    );
    check(
        "tests/golden/nat-router.json",
        &report(&[
            "audit",
            "--format",
            "json",
            "--site",
            site,
            "fixtures/nat-router.pcapng",
        ]),
    );
    check(
        "tests/golden/nat-taps.txt",
        &report_with_status(
            &[
                "audit",
                "--site",
                site,
                "lan=fixtures/nat-tap-lan.pcapng",
                "wan-er=fixtures/nat-tap-wan-er.pcapng",
            ],
            0,
        ),
    );
}

#[test]
fn golden_reports_of_the_bundled_sample() {
    // Relative paths, as a user types them from the repository root (the tests' directory).
    let site = "fixtures/contoso-hq.toml";
    let cap = "fixtures/contoso-hq.pcapng";
    check(
        "tests/golden/contoso-hq.json",
        &report(&["audit", "--format", "json", "--site", site, cap]),
    );
    check(
        "tests/golden/contoso-hq.txt",
        &report(&["audit", "--site", site, cap]),
    );
    check(
        "tests/golden/contoso-hq.ndjson",
        &report(&["audit", "--format", "ndjson", "--site", site, cap]),
    );
}

#[test]
fn golden_reports_of_the_vlan_trunk_sample() {
    let site = "fixtures/contoso-hq.toml";
    let cap = "trunk=fixtures/contoso-hq-trunk.pcap";
    check(
        "tests/golden/contoso-hq-trunk.json",
        &report(&["audit", "--format", "json", "--site", site, cap]),
    );
    check(
        "tests/golden/contoso-hq-trunk.txt",
        &report(&["audit", "--site", site, cap]),
    );
}
