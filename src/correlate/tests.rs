//! The correlation of hand-built flow tables: clock offsets, NAT twins, point links.

use std::net::SocketAddr;

use super::*;
use crate::decode::{LinkInfo, TransportLayer, IPPROTO_UDP};
use crate::flow::{Endpoint, Observation};

fn ep(s: &str) -> Endpoint {
    let a: SocketAddr = s.parse().unwrap();
    Endpoint {
        ip: a.ip(),
        port: a.port(),
    }
}

/// A UDP datagram `src` -> `dst` carrying `payload` with IPv4 id `id`, seen at
/// (`file`, `interface`) at `ts_ns`.
#[allow(clippy::too_many_arguments)]
fn udp(
    t: &mut FlowTable,
    file: u32,
    interface: u32,
    src: &str,
    dst: &str,
    id: u16,
    payload: &[u8],
    ts_ns: i64,
) {
    let (src, dst) = (ep(src), ep(dst));
    let transport = TransportLayer {
        protocol: IPPROTO_UDP,
        src_port: src.port,
        dst_port: dst.port,
        tcp: None,
        dscp: 0,
        ip_id: id,
        checksum: 0,
        payload,
    };
    t.update(&Observation {
        src,
        dst,
        transport: &transport,
        link: &LinkInfo::default(),
        point: PointId { file, interface },
        ts_ns,
        wire_len: 100,
        fragment: false,
    });
}

const MS: i64 = 1_000_000;
const CLIENT: &str = "10.1.1.10:50010";
const SERVER: &str = "52.112.1.10:3478";

/// `n` exchanges of a flow, the client's datagram at `k * 20 ms`, the server's 1 ms later, as
/// seen by a tap whose clock is `clock` ahead and which sees each packet `delay` after the
/// first tap, the client's end shown as `client`.
fn exchanges(t: &mut FlowTable, file: u32, client: &str, n: u16, clock: i64, delay: (i64, i64)) {
    for k in 0..n {
        let at = i64::from(k) * 20 * MS + clock;
        let payload = k.to_be_bytes();
        udp(t, file, 0, client, SERVER, 100 + k, &payload, at + delay.0);
        udp(
            t,
            file,
            0,
            SERVER,
            client,
            5000 + k,
            &payload,
            at + MS + delay.1,
        );
    }
}

#[test]
fn a_second_tap_two_seconds_ahead_is_aligned() {
    let mut a = FlowTable::new();
    let mut b = FlowTable::new();
    exchanges(&mut a, 0, CLIENT, 10, 0, (0, 0));
    // Tap b sees client packets 1 ms after tap a and server packets 1 ms before it.
    exchanges(&mut b, 1, CLIENT, 10, 2_000 * MS, (MS, -MS));
    let mut tables = [a, b];
    let (offsets, c) = correlate(&mut tables);
    assert_eq!(offsets, [Some(0), Some(2_000 * MS)]);
    assert!(
        c.twins.is_empty(),
        "one flow in two files is not a NAT pair"
    );
    let [link] = c.links.as_slice() else {
        panic!("{:?}", c.links);
    };
    assert_eq!((link.flows, link.packets), (1, 4));
    assert_eq!(link.transit_ns, Some(MS));
    // Table b is on table a's clock now: it saw the client's first packet 1 ms after a did.
    let key = FlowKey::new(IPPROTO_UDP, ep(CLIENT), ep(SERVER)).0;
    let client_side = usize::from(key.sender(0) != ep(CLIENT));
    let first = |t: &FlowTable| t.get(&key).unwrap().sides[client_side].first_ns;
    assert_eq!(first(&tables[1]) - first(&tables[0]), MS);
}

#[test]
fn a_source_nat_on_two_interfaces_of_one_file_makes_twins() {
    let mut t = FlowTable::new();
    for k in 0..5u16 {
        let at = i64::from(k) * 20 * MS;
        let p = k.to_be_bytes();
        udp(&mut t, 0, 0, CLIENT, SERVER, 100 + k, &p, at);
        udp(
            &mut t,
            0,
            1,
            "192.0.2.17:40001",
            SERVER,
            100 + k,
            &p,
            at + MS / 5,
        );
        udp(
            &mut t,
            0,
            1,
            SERVER,
            "192.0.2.17:40001",
            900 + k,
            &p,
            at + MS,
        );
        udp(&mut t, 0, 0, SERVER, CLIENT, 900 + k, &p, at + MS + MS / 5);
    }
    let mut tables = [t];
    let (offsets, c) = correlate(&mut tables);
    assert_eq!(offsets, [Some(0)]);
    let [twins] = c.twins.as_slice() else {
        panic!("{:?}", c.twins);
    };
    let keys = [twins.a, twins.b];
    let inside = FlowKey::new(IPPROTO_UDP, ep(CLIENT), ep(SERVER)).0;
    let outside = FlowKey::new(IPPROTO_UDP, ep("192.0.2.17:40001"), ep(SERVER)).0;
    assert!(keys.contains(&inside) && keys.contains(&outside));
    assert_eq!(twins.shared_packets, 4, "first and last packet each way");
    let [link] = c.links.as_slice() else {
        panic!("{:?}", c.links);
    };
    assert_eq!(link.transit_ns, Some(MS / 5));
}

#[test]
fn a_print_many_flows_share_matches_nothing() {
    let mut t = FlowTable::new();
    // The same datagram (id, payload) on six flows to one server: not one packet.
    for port in 0..6u16 {
        let client = format!("10.1.1.{}:40000", 10 + port);
        udp(&mut t, 0, 0, &client, SERVER, 7, b"same", 0);
    }
    let mut tables = [t];
    let (_, c) = correlate(&mut tables);
    assert!(c.twins.is_empty() && c.links.is_empty());
}

#[test]
fn packets_without_anything_to_match_are_not_matched() {
    let mut a = FlowTable::new();
    let mut b = FlowTable::new();
    // No IPv4 id, no payload: every such datagram looks the same.
    udp(&mut a, 0, 0, CLIENT, SERVER, 0, b"", 0);
    udp(&mut b, 1, 0, CLIENT, SERVER, 0, b"", 5 * MS);
    let mut tables = [a, b];
    let (offsets, c) = correlate(&mut tables);
    assert_eq!(offsets, [Some(0), None]);
    assert!(c.links.is_empty());
}

#[test]
fn no_tables_and_empty_tables() {
    let (offsets, c) = correlate(&mut []);
    assert!(offsets.is_empty() && c.twins.is_empty());
    let mut tables = [FlowTable::new(), FlowTable::new()];
    let (offsets, _) = correlate(&mut tables);
    assert_eq!(offsets, [Some(0), None]);
}

#[test]
fn medians() {
    assert_eq!(median(&mut []), None);
    assert_eq!(median(&mut [3, 1, 2]), Some(2));
    assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
    assert_eq!(median(&mut [i64::MAX, i64::MAX]), Some(i64::MAX));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any clock offset (seconds either way) is found to within half the difference of the
        /// transit each way, whatever the transit.
        #[test]
        fn offsets_are_found_to_within_the_transit_asymmetry(
            clock in -30_000i64..30_000,
            out_us in 0i64..5_000,
            back_us in 0i64..5_000,
            flows in 1u16..6,
        ) {
            let (clock, out, back) = (clock * MS, out_us * 1_000, back_us * 1_000);
            let mut a = FlowTable::new();
            let mut b = FlowTable::new();
            for f in 0..flows {
                let client = format!("10.1.1.{}:50010", 10 + f);
                let one = |t: &mut FlowTable, file, clock, delay: (i64, i64)| {
                    for k in 0..4u16 {
                        let at = i64::from(k) * 20 * MS + clock + i64::from(f) * MS;
                        let p = [f.to_be_bytes(), k.to_be_bytes()].concat();
                        udp(t, file, 0, &client, SERVER, 100 + k, &p, at + delay.0);
                        udp(t, file, 0, SERVER, &client, 900 + k, &p, at + MS + delay.1);
                    }
                };
                one(&mut a, 0, 0, (0, back));
                one(&mut b, 1, clock, (out, 0));
            }
            let mut tables = [a, b];
            let (offsets, c) = correlate(&mut tables);
            let found = offsets[1].unwrap();
            let error = (found - clock).abs();
            prop_assert!(error <= (out - back).abs() / 2 + 1, "{found} for {clock}");
            let transit = c.links[0].transit_ns.unwrap();
            prop_assert!((transit - (out + back) / 2).abs() <= 1, "{transit}");
        }
    }
}
