//! Site profiles (`site::Site::from_toml_str`) on arbitrary UTF-8.
//!
//! Properties, besides "no panic, no abort":
//! - an error's message names the file (`fuzz.toml:`) and has a kind; it lists at least one
//!   problem, each at a line of the profile, sorted by line (one problem: `fuzz.toml:<line>: `);
//! - an accepted profile answers every lookup, and answers it as listed: each path rule's
//!   interfaces, ifindexes, VLANs, MACs and NAT prefixes lead to a path (the rule's own unless
//!   an earlier rule lists the same), each server's address to a server role; NAT prefixes
//!   and internal prefixes contain their own network address; loopback is internal.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use callpath::site::Site;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let site = match Site::from_toml_str(text, "fuzz.toml") {
        Ok(s) => s,
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("fuzz.toml:"),
                "error does not name the file: {msg}"
            );
            let problems = e.problems();
            assert!(!problems.is_empty(), "no problem listed: {msg}");
            for p in problems {
                assert!(
                    p.line >= 1 && p.line <= text.lines().count().max(1) + 1,
                    "line {} outside the profile: {msg}",
                    p.line
                );
            }
            assert!(
                problems.windows(2).all(|w| w[0].line <= w[1].line),
                "problems not sorted by line: {msg}"
            );
            if let [one] = problems {
                assert!(
                    msg.starts_with(&format!("fuzz.toml:{}: ", one.line)),
                    "one problem, not on one line: {msg}"
                );
            }
            assert!(e.kind().is_some());
            return;
        }
    };
    for ip in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V4(Ipv4Addr::new(169, 254, 1, 1)),
    ] {
        assert!(site.is_internal(ip));
    }
    for ip in [
        IpAddr::V4(Ipv4Addr::new(52, 112, 0, 1)),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    ] {
        let _ = (
            site.is_internal(ip),
            site.path_for_nat(ip),
            site.server_role(ip),
        );
    }
    let _ = (
        site.path_for_capture_point(""),
        site.path_for_ifindex(0),
        site.path_for_vlan(4095),
    );
    let _ = site.path_for_mac([0; 6]);
    for n in &site.internal {
        assert!(
            site.is_internal(n.network()),
            "internal prefix {n} does not contain itself"
        );
    }
    for p in &site.paths {
        for i in &p.interfaces {
            assert!(site.path_for_capture_point(i).is_some());
        }
        for &x in &p.ifindexes {
            assert!(site.path_for_ifindex(x).is_some());
        }
        for &v in &p.vlans {
            assert!(site.path_for_vlan(v).is_some());
        }
        for &m in &p.macs {
            assert!(site.path_for_mac(m).is_some());
        }
        for n in &p.nat {
            assert!(
                site.path_for_nat(n.network()).is_some(),
                "NAT prefix {n} does not contain itself"
            );
        }
    }
    for s in &site.servers {
        assert!(site.server_role(s.address).is_some());
    }
});
