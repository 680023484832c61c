//! Issue 17, several capture points as one: a router's LAN and WAN interfaces with source NAT
//! (ports kept and rewritten, UDP and TCP), per-tap files whose clocks are seconds off both ways,
//! and a NAT pool shared by ExpressRoute and the Internet. Captures are built here: the NAT
//! rewrites what a NAT rewrites (`support::nat`), the routers add their forwarding delay.

mod support;

use std::net::SocketAddr;

use serde_json::Value;
use support::builder::Dir;
use support::calls::{rtp_both_ways, sa, MS, T0};
use support::cli::{audit_json, callpath, flows};
use support::nat::{numbered, router_capture, scenario, tap_capture, Point, PROFILE};

/// Audits `files` (`(LABEL or None, bytes)`) with the profile; the JSON report and the text.
fn audit(files: &[(Option<&str>, Vec<u8>)]) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site.toml");
    std::fs::write(&site, PROFILE).unwrap();
    let mut args: Vec<String> = vec![
        "--fail-on".into(),
        "never".into(),
        "--site".into(),
        site.to_string_lossy().into_owned(),
    ];
    for (i, (label, bytes)) in files.iter().enumerate() {
        let path = dir.path().join(format!("cap{i}.pcapng"));
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_string_lossy().into_owned();
        args.push(match label {
            Some(l) => format!("{l}={path}"),
            None => path,
        });
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let json = audit_json(&args, 0);
    let mut text_args = vec!["audit", "-q"];
    text_args.extend_from_slice(&args);
    let text = callpath(&text_args);
    assert_eq!(text.status, 0, "{}", text.stderr);
    (json, text.stdout)
}

/// The flow whose client or server is `ep`.
fn flow<'a>(r: &'a Value, ep: &str) -> &'a Value {
    let ep = sa(ep);
    flows(r)
        .iter()
        .find(|f| {
            ["client", "server"].iter().any(|end| {
                f[end]["ip"] == ep.ip().to_string() && f[end]["port"] == u64::from(ep.port())
            })
        })
        .unwrap_or_else(|| panic!("no flow with {ep}"))
}

fn codes(f: &Value) -> Vec<&str> {
    f["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect()
}

fn paths(f: &Value) -> (&str, &str) {
    (
        f["path"]["forward"].as_str().unwrap_or("none"),
        f["path"]["reverse"].as_str().unwrap_or("none"),
    )
}

/// The NAT twins: `inside` says `{"outside": id}`, `outside` says `{"inside": id}`, with the
/// translation; the inside flow has its twin's paths and no findings.
fn check_twins(r: &Value, inside_ep: &str, outside_ep: &str, want: (&str, &str)) {
    let inside = flow(r, inside_ep);
    let outside = flow(r, outside_ep);
    assert_ne!(inside["id"], outside["id"]);
    assert_eq!(inside["nat"]["outside"], outside["id"], "{inside}");
    assert_eq!(outside["nat"]["inside"], inside["id"], "{outside}");
    for f in [inside, outside] {
        let n = &f["nat"];
        assert_eq!(n["inside_end"]["ip"], sa(inside_ep).ip().to_string());
        assert_eq!(n["inside_end"]["port"], u64::from(sa(inside_ep).port()));
        assert_eq!(n["outside_end"]["ip"], sa(outside_ep).ip().to_string());
        assert_eq!(n["outside_end"]["port"], u64::from(sa(outside_ep).port()));
    }
    assert_eq!(paths(outside), want, "{outside}");
    assert_eq!(
        paths(inside),
        want,
        "the inside flow takes its twin's paths: {inside}"
    );
    assert!(
        codes(inside).is_empty(),
        "findings only on the outside flow: {inside}"
    );
    // The same server, the same packets.
    assert_eq!(inside["server"], outside["server"]);
    assert_eq!(inside["packets"], outside["packets"]);
    assert_eq!(inside["client"]["ip"], sa(inside_ep).ip().to_string());
    assert_eq!(outside["client"]["ip"], sa(outside_ep).ip().to_string());
}

/// The scenario's three pairs: SNAT keeping the port (UDP), rewriting it (TCP, UDP).
fn check_scenario_twins(r: &Value) {
    check_twins(
        r,
        "10.1.1.10:50010",
        "192.0.2.17:50010",
        ("expressroute", "expressroute"),
    );
    check_twins(
        r,
        "10.1.1.11:51000",
        "192.0.2.17:40001",
        ("expressroute", "expressroute"),
    );
    check_twins(
        r,
        "10.1.1.12:50020",
        "192.0.2.33:40002",
        ("internet", "internet"),
    );
}

#[test]
fn router_interfaces_with_snat_keeping_and_rewriting_ports() {
    let (r, text) = audit(&[(None, router_capture(&scenario()))]);
    assert_eq!(flows(&r).len(), 7, "three NAT twins and one LAN-only flow");
    check_scenario_twins(&r);
    // Set 11 over the Internet: the finding once, on the outside flow.
    assert!(codes(flow(&r, "192.0.2.33:40002")).contains(&"expressroute-bypassed"));
    let bypassed = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "expressroute-bypassed")
        .count();
    assert_eq!(bypassed, 1);
    // Without its WAN side, a LAN flow still does not reveal its path.
    let unseen = flow(&r, "10.1.1.13:50030");
    assert!(unseen["nat"].is_null());
    assert_eq!(codes(unseen), ["unknown-path"]);
    // A twin pair is one connection: one call, listing the outside flow.
    let calls = r["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 3, "{calls:?}");
    let outside_id = &flow(&r, "192.0.2.17:50010")["id"];
    assert!(calls[0]["flows"].as_array().unwrap().contains(outside_id));
    // One clock: no offset; the router's forwarding delay, half of 0.2 + 0.3 ms.
    assert_eq!(r["captures"][0]["clock_offset_ms"], 0.0);
    let links = r["capture_links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "{links:?}");
    let er = links
        .iter()
        .find(|l| l["b"] == "wan-er" || l["a"] == "wan-er")
        .unwrap();
    assert_eq!(er["flows"], 2);
    let transit = er["one_way_transit_ms"].as_f64().unwrap();
    assert!((transit - 0.25).abs() < 0.01, "transit {transit} ms");
    // The text shows the translation.
    assert!(
        text.contains("nat 10.1.1.10:50010 = 192.0.2.17:50010 (outside #"),
        "{text}"
    );
    assert!(
        text.contains("lan <-> wan-er: the same packets in 2 flows"),
        "{text}"
    );
}

#[test]
fn taps_with_clocks_off_by_seconds_both_ways() {
    let mut packets = scenario();
    // An asymmetric flow from an address already translated upstream: out through the
    // ExpressRoute tap, back through the Internet tap, 30 ms later. Neither end is on a
    // service port: its first packet says which end is the client.
    let (client, server) = (sa("192.0.2.18:50040"), sa("52.112.1.14:50050"));
    for (ts, ip, dir) in numbered(
        rtp_both_ways(client, server, T0 + 30 * MS, 0x4000, 5),
        8_000,
    ) {
        let point = if dir == Dir::Forward {
            Point::WanEr
        } else {
            Point::WanInet
        };
        packets.push((ts, ip, point));
    }
    const ER_CLOCK: i64 = 2_500 * MS;
    const INET_CLOCK: i64 = -1_700 * MS;
    // A file that shares no packet with the others.
    let lone = numbered(
        rtp_both_ways(sa("10.9.9.9:50060"), sa("52.112.9.9:3478"), T0, 0x5000, 5),
        9_000,
    );
    let lone: Vec<(i64, Vec<u8>, Point)> = lone
        .into_iter()
        .map(|(t, ip, _)| (t, ip, Point::Lan))
        .collect();
    let (r, text) = audit(&[
        (Some("lan"), tap_capture(&packets, Point::Lan, 0)),
        (
            Some("wan-er"),
            tap_capture(&packets, Point::WanEr, ER_CLOCK),
        ),
        (
            Some("wan-inet"),
            tap_capture(&packets, Point::WanInet, INET_CLOCK),
        ),
        (Some("lone"), tap_capture(&lone, Point::Lan, 0)),
    ]);
    let offsets: Vec<Option<f64>> = r["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["clock_offset_ms"].as_f64())
        .collect();
    assert_eq!(offsets[0], Some(0.0));
    let near = |got: Option<f64>, want: f64| got.is_some_and(|g| (g - want).abs() <= 5.0);
    assert!(near(offsets[1], 2_500.0), "{offsets:?}");
    assert!(near(offsets[2], -1_700.0), "{offsets:?}");
    assert_eq!(offsets[3], None, "no shared packet: no offset");
    // The pairs hold across files.
    check_scenario_twins(&r);
    // Aligned times: the reply seen 1.7 s "early" does not make the server the client.
    let asym = flow(&r, "192.0.2.18:50040");
    assert_eq!(asym["client"]["ip"], "192.0.2.18");
    assert_eq!(paths(asym), ("expressroute", "internet"));
    assert!(codes(asym).contains(&"asymmetric-route"));
    // First seen on the first file's clock: the outside twin 0.2 ms after the inside one.
    let seen = |ep: &str| flow(&r, ep)["first_seen"].as_str().unwrap().to_string();
    assert_eq!(seen("10.1.1.10:50010"), "2026-11-02T09:00:00.000000Z");
    let outside = seen("192.0.2.17:50010");
    assert!(outside.starts_with("2026-11-02T09:00:00.000"), "{outside}");
    // The transit between the taps, whatever their clocks.
    let links = r["capture_links"].as_array().unwrap();
    let er = links
        .iter()
        .find(|l| [&l["a"], &l["b"]].iter().any(|n| **n == "wan-er"))
        .unwrap();
    let transit = er["one_way_transit_ms"].as_f64().unwrap();
    assert!((transit - 0.25).abs() < 0.01, "transit {transit} ms");
    // 2.5 s less half the difference of the forwarding delays (0.2 ms out, 0.3 ms in): what
    // a clock offset from packets in both directions can tell.
    assert!(
        text.contains("clock +2499.950 ms against the first file"),
        "{text}"
    );
    assert!(text.contains("clock not aligned"), "{text}");
}

/// Flows from `client` to a relay over `wan`, one per port in `ports`.
fn egress(client: &str, wan: Point, ports: &[u16]) -> Vec<(i64, Vec<u8>, Point)> {
    let client = sa(client);
    let mut out = Vec::new();
    for (i, &port) in ports.iter().enumerate() {
        let c = SocketAddr::new(client.ip(), port);
        let relay = sa(&format!("52.112.2.{}:3478", 10 + i));
        let pkts = numbered(
            rtp_both_ways(c, relay, T0 + i as i64 * 50 * MS, 0x6000 + i as u32, 10),
            port,
        );
        out.extend(pkts.into_iter().map(|(t, ip, _)| (t, ip, wan)));
    }
    out
}

#[test]
fn one_nat_pool_on_both_paths_is_shared() {
    // 192.0.2.17 (the ExpressRoute pool) also leaves by the Internet.
    let mut shared = egress("192.0.2.17:0", Point::WanEr, &[41000, 41001]);
    shared.extend(egress("192.0.2.17:0", Point::WanInet, &[41002]));
    shared.extend(egress("192.0.2.33:0", Point::WanInet, &[42000, 42001]));
    let (r, text) = audit(&[(None, router_capture(&shared))]);
    let found: Vec<&Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "nat-pool-shared")
        .collect();
    assert_eq!(found.len(), 2, "the first flow of each path: {found:?}");
    for f in &found {
        assert_eq!(f["severity"], "error");
        let m = f["message"].as_str().unwrap();
        assert!(
            m.contains("192.0.2.17 egresses over expressroute (2 flows: #"),
            "{m}"
        );
        assert!(m.contains("and over internet (1 flow: #"), "{m}");
    }
    // Only flows of the shared address carry it.
    for f in flows(&r) {
        let has = codes(f).contains(&"nat-pool-shared");
        if f["client"]["ip"] == "192.0.2.33" {
            assert!(!has, "{f}");
        }
    }
    assert!(text.contains("nat-pool-shared"), "{text}");

    // Separate pools per path: nothing to say.
    let mut separate = egress("192.0.2.17:0", Point::WanEr, &[41000, 41001]);
    separate.extend(egress("192.0.2.33:0", Point::WanInet, &[41002, 42000]));
    let (r, _) = audit(&[(None, router_capture(&separate))]);
    assert!(
        !r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "nat-pool-shared"),
        "{}",
        r["findings"]
    );
}
