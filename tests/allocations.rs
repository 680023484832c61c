//! Issue 5: no allocation per packet. The same flows read for twice as long must not allocate
//! about twice as often: reading, decoding, the flow update and the protocol probes allocate
//! per flow and per buffer, never per packet. A counting allocator (this test binary's own)
//! counts every allocation and reallocation while a capture is read.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};

use callpath::pipeline::{self, CaptureSpec};
use support::builder::*;
use support::payloads;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator, under the caller's
// contract; the counter is only an atomic add.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const T0: i64 = 1_793_610_000_000_000_000;
const MS: i64 = 1_000_000;
const CALLS: u16 = 60;
const TLS_FLOWS: u16 = 20;

/// A site's mix over `rounds` rounds of 20 ms: RTP both ways on `CALLS` calls (one VLAN), and
/// `TLS_FLOWS` TCP flows opened with a handshake and a ClientHello, then carrying data. Every
/// round sends one packet per call direction and one per TLS flow.
fn capture(rounds: u32) -> Vec<u8> {
    let mut file = Pcapng::new();
    let er = file.interface(Iface::ethernet("er0"));
    let client = [2, 0, 0, 0, 0, 1];
    let router = [2, 0, 0, 0, 0, 2];
    let vlan = [Vlan::dot1q(100)];
    for round in 0..rounds {
        let ts = T0 + i64::from(round) * 20 * MS;
        let seq = round as u16;
        for call in 0..CALLS {
            let near = Ipv4Addr::new(10, 0, 1, call as u8);
            let far = Ipv4Addr::new(52, 112, 0, call as u8);
            let out = payloads::rtp(111, seq, round * 960, 0x1000 + u32::from(call), false, 160);
            let back = payloads::rtp(111, seq, round * 960, 0x2000 + u32::from(call), false, 160);
            let ip_out = ipv4_udp(near, 50_000 + call, far, 3480, &out);
            let ip_back = ipv4_udp(far, 3480, near, 50_000 + call, &back);
            file.packet(er, ts, &ethernet_ip(client, router, &vlan, &ip_out));
            file.packet(er, ts + MS, &ethernet_ip(router, client, &vlan, &ip_back));
        }
        for flow in 0..TLS_FLOWS {
            let near = Ipv4Addr::new(10, 0, 2, flow as u8);
            let far = Ipv4Addr::new(52, 113, 0, flow as u8);
            let sport = 40_000 + flow;
            let (flags, payload) = match round {
                0 => (TcpFlags::SYN, Vec::new()),
                1 => (TcpFlags::ACK, Vec::new()),
                2 => (
                    TcpFlags::PSH_ACK,
                    payloads::tls_client_hello("teams.microsoft.com", &["h2"], 0),
                ),
                _ => (TcpFlags::PSH_ACK, vec![0x17, 3, 3, 0, 64]),
            };
            let tcp = Tcp {
                seq: 1000 + round * 4096,
                ack: 1,
                flags,
                window: 65_535,
            };
            let ip = ipv4_tcp(near, sport, far, 443, tcp, &payload);
            file.packet(er, ts + 2 * MS, &ethernet_ip(client, router, &[], &ip));
        }
    }
    file.to_bytes()
}

/// Allocations made while `bytes` is read with `threads` threads (1: from memory; more: from a
/// file, the reader feeding shard workers).
fn allocations_reading(bytes: &[u8], threads: usize) -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.pcapng");
    std::fs::write(&path, bytes).unwrap();
    let spec = CaptureSpec::parse(path.to_str().unwrap());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let (summary, table) = if threads == 1 {
        pipeline::read_reader(0, &spec, bytes)
    } else {
        let captured = pipeline::read_all(std::slice::from_ref(&spec), false, &pool);
        let [summary] = <[_; 1]>::try_from(captured.captures).unwrap();
        (summary, captured.table)
    };
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert!(summary.errors.is_empty(), "{:?}", summary.errors);
    assert_eq!(table.len(), usize::from(CALLS + TLS_FLOWS));
    (after - before, summary.packets)
}

#[test]
fn reading_allocates_per_flow_not_per_packet() {
    let short = capture(100);
    let long = capture(300);
    for threads in [1, 2, 3] {
        let (short_allocs, short_packets) = allocations_reading(&short, threads);
        let (long_allocs, long_packets) = allocations_reading(&long, threads);
        let more_packets = long_packets - short_packets;
        assert_eq!(more_packets, 200 * u64::from(2 * CALLS + TLS_FLOWS));
        // 28 000 more packets; one allocation per packet would be 28 000 more. What the
        // longer capture may add: read buffers and batches, a few per megabyte.
        let more_allocs = long_allocs.saturating_sub(short_allocs);
        assert!(
            more_allocs < more_packets / 100,
            "{threads} threads: {short_allocs} allocations for {short_packets} packets, \
             {long_allocs} for {long_packets}"
        );
    }
}
