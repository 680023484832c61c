//! Issue 16, DSCP per direction: `flows[].dscp` lists the DSCP values (RFC 2474 §3) of the
//! outermost IP header seen each way, read the same on one thread, on shard threads and over
//! several files.

mod support;

use std::net::SocketAddr;

use serde_json::{json, Value};
use support::builder::*;
use support::cli::{audit_json, callpath, flow_by_port, flows};
use support::payloads;

/// 2026-11-02T09:00:00Z, as in the other protocol fixtures.
const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;

const CLIENT_MAC: [u8; 6] = [2, 0, 0, 0, 0x10, 0x14];
const ROUTER_MAC: [u8; 6] = [2, 0, 0, 0, 0x0e, 0x01];

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// `count` RTP packets (20 ms apart) of a call between `client` and `relay`, alternating
/// forward and reverse; `mark(dir, i)` is the DSCP of the i-th.
fn call(
    client: SocketAddr,
    relay: SocketAddr,
    start_ns: i64,
    count: usize,
    mut mark: impl FnMut(Dir, usize) -> u8,
) -> Vec<(i64, Vec<u8>, Dir)> {
    let mut pkts = udp_stream(client, relay, start_ns, 10 * MS, count, |i| {
        let seq = (i / 2) as u16;
        let ssrc = if i % 2 == 0 { 0x1111 } else { 0x2222 };
        (
            Dir::alternate(i),
            payloads::rtp(111, seq, u32::from(seq) * 960, ssrc, false, 120),
        )
    });
    for (i, (_, ip, dir)) in pkts.iter_mut().enumerate() {
        set_dscp(ip, mark(*dir, i));
    }
    pkts
}

/// The packets as an Ethernet pcapng (one interface `er0`, VLAN 100 with priority bits set:
/// the tag's PCP is not the DSCP), written to `dir`/`name`.
fn write_pcapng(dir: &tempfile::TempDir, name: &str, pkts: &[(i64, Vec<u8>, Dir)]) -> String {
    let mut p = Pcapng::new();
    let er0 = p.interface(Iface::ethernet("er0"));
    for (ts, ip, d) in pkts {
        let (src, dst) = match d {
            Dir::Forward => (CLIENT_MAC, ROUTER_MAC),
            Dir::Reverse => (ROUTER_MAC, CLIENT_MAC),
        };
        let mut f = ethernet_ip(src, dst, &[Vlan::dot1q(100)], ip);
        f[14] |= 0xe0; // PCP 7 on the tag
        p.packet(er0, *ts, &f);
    }
    let path = dir.path().join(name);
    p.write(&path);
    path.to_str().unwrap().to_owned()
}

fn audit(files: &[&str], threads: &str) -> Value {
    let mut args = vec!["--fail-on", "never", "--threads", threads];
    args.extend_from_slice(files);
    audit_json(&args, 0)
}

#[test]
fn ef_one_way_and_unmarked_back() {
    let client = sa("10.10.1.20:50010");
    let relay = sa("52.113.10.20:3478");
    let pkts = call(client, relay, T0, 40, |d, _| match d {
        Dir::Forward => 46,
        Dir::Reverse => 0,
    });
    let dir = tempfile::tempdir().unwrap();
    let file = write_pcapng(&dir, "ef-one-way.pcapng", &pkts);
    for threads in ["1", "2"] {
        let report = audit(&[&file], threads);
        let flow = flow_by_port(&report, 50010);
        assert_eq!(flow["app"], "rtp", "{flow:#}");
        assert_eq!(
            flow["dscp"],
            json!({"forward": [46], "reverse": [0]}),
            "threads {threads}: {flow:#}"
        );
    }
    // Written after `findings` (and `tcp_flags`, absent on UDP), before `seen_at`.
    let out = callpath(&[
        "audit",
        "--format",
        "ndjson",
        "-q",
        "--fail-on",
        "never",
        &file,
    ]);
    let line = out.stdout.lines().find(|l| l.contains("\"dscp\"")).unwrap();
    assert!(
        line.contains(
            r#""findings":["unknown-path"],"dscp":{"forward":[46],"reverse":[0]},"media":{"#
        ),
        "{line}"
    );
}

#[test]
fn every_value_seen_is_listed_sorted_ipv4_and_ipv6() {
    // Audio re-marked half-way through one way (EF, then 0); video AF41 both ways over IPv6;
    // sharing AF21 from the client and CS0 and AF41 back.
    let audio = call(
        sa("10.10.1.20:50001"),
        sa("52.113.10.20:3478"),
        T0,
        40,
        |d, i| match (d, i < 20) {
            (Dir::Forward, true) => 46,
            _ => 0,
        },
    );
    let video = call(
        sa("[2001:db8:10::20]:50025"),
        sa("[2603:1063::1]:3479"),
        T0 + 5 * MS,
        20,
        |_, _| 34,
    );
    let sharing = call(
        sa("10.10.1.20:50045"),
        sa("52.113.10.21:3480"),
        T0 + 7 * MS,
        30,
        |d, i| match d {
            Dir::Forward => 18,
            Dir::Reverse if i % 4 == 1 => 34,
            Dir::Reverse => 0,
        },
    );
    let all = merge(&[audio, video, sharing]);
    let dir = tempfile::tempdir().unwrap();
    let file = write_pcapng(&dir, "classes.pcapng", &all);
    let report = audit(&[&file], "1");
    assert_eq!(flows(&report).len(), 3, "{report:#}");
    for (port, want) in [
        (50001, json!({"forward": [0, 46], "reverse": [0]})),
        (50025, json!({"forward": [34], "reverse": [34]})),
        (50045, json!({"forward": [18], "reverse": [0, 34]})),
    ] {
        assert_eq!(flow_by_port(&report, port)["dscp"], want, "port {port}");
    }
    // The same on two shard threads.
    assert_eq!(audit(&[&file], "2")["flows"], report["flows"]);
}

#[test]
fn values_from_several_files_add_up() {
    let client = sa("10.10.1.20:50012");
    let relay = sa("52.113.10.20:3478");
    // The same call seen at two capture points: EF both ways at the first, the reverse
    // direction unmarked at the second.
    let first = call(client, relay, T0, 20, |_, _| 46);
    let second = call(client, relay, T0 + 400 * MS, 20, |d, _| match d {
        Dir::Forward => 46,
        Dir::Reverse => 0,
    });
    let dir = tempfile::tempdir().unwrap();
    let a = write_pcapng(&dir, "a.pcapng", &first);
    let b = write_pcapng(&dir, "b.pcapng", &second);
    let report = audit(&[&a, &b], "2");
    assert_eq!(
        flow_by_port(&report, 50012)["dscp"],
        json!({"forward": [46], "reverse": [0, 46]})
    );
}
