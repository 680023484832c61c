//! Criterion benchmarks of the per-packet kernels: capture reading (in memory), decoding,
//! protocol recognition, flow-table update, Office 365 range lookup and the RTP stream
//! quality update.
//!
//! `cargo bench --bench kernels` (add `-- decode` etc. to pick one).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use callpath::capture::CaptureReader;
use callpath::decode::{self, Decoded, LinkInfo, TransportLayer};
use callpath::flow::{Endpoint, FlowTable, Observation, PointId};
use callpath::media::StreamStats;
use callpath::proto::{self, AppState, Payload};
use callpath::ranges::Ranges;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Ethernet + 802.1Q (VLAN 100) + IPv4 + UDP + RTP (12-byte header, `len` payload bytes).
fn rtp_frame(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, seq: u16, len: usize) -> Vec<u8> {
    let mut f = vec![
        2, 0, 0, 0, 0x0e, 1, 2, 0, 0, 0, 0x0a, 1, 0x81, 0, 0, 100, 8, 0,
    ];
    let udp_len = 8 + 12 + len;
    f.extend_from_slice(&[0x45, 0xb8]);
    f.extend_from_slice(&((20 + udp_len) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&(udp_len as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(&[0x80, 111]);
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    f.extend_from_slice(&0x1234_5678u32.to_be_bytes());
    f.extend((0..len).map(|i| i as u8 ^ 0x5a));
    f
}

/// A pcapng file in memory: SHB, one Ethernet IDB (ns), `n` EPBs of RTP frames.
fn pcapng_bytes(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for w in [0x0A0D_0D0Au32, 28, 0x1A2B_3C4D] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&(-1i64).to_le_bytes());
    out.extend_from_slice(&28u32.to_le_bytes());
    for w in [1u32, 32] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(&[1, 0, 0, 0]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&[9, 0, 1, 0, 9, 0, 0, 0]);
    out.extend_from_slice(&32u32.to_le_bytes());
    for i in 0..n {
        let f = rtp_frame(
            [10, 0, (i >> 8) as u8, i as u8],
            50000,
            [52, 112, 1, 1],
            3478,
            i as u16,
            140,
        );
        let padded = (f.len() + 3) & !3;
        let total = (32 + padded) as u32;
        let ts = 1_793_610_000_000_000_000u64 + i as u64 * 20_000_000;
        for w in [
            6u32,
            total,
            0,
            (ts >> 32) as u32,
            ts as u32,
            f.len() as u32,
            f.len() as u32,
        ] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&f);
        out.resize(out.len() + padded - f.len(), 0);
        out.extend_from_slice(&total.to_le_bytes());
    }
    out
}

fn bench_reader(c: &mut Criterion) {
    let bytes = pcapng_bytes(10_000);
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("pcapng_read_10k_frames", |b| {
        b.iter(|| {
            let mut r = CaptureReader::new(black_box(&bytes[..])).expect("header");
            let mut n = 0usize;
            while let Ok(Some(f)) = r.next_frame() {
                n += f.data.len();
            }
            n
        })
    });
    g.finish();
}

fn bench_decode(c: &mut Criterion) {
    let frame = rtp_frame([10, 0, 0, 1], 50000, [52, 112, 1, 1], 3478, 1, 140);
    c.bench_function("decode/eth_vlan_ipv4_udp", |b| {
        b.iter(|| match decode::decode(1, black_box(&frame)) {
            Decoded::Flow { transport, .. } => transport.payload.len(),
            _ => 0,
        })
    });
}

fn bench_proto(c: &mut Criterion) {
    let frames: Vec<Vec<u8>> = (0..64)
        .map(|i| rtp_frame([10, 0, 0, 1], 50000, [52, 112, 1, 1], 3478, i, 140))
        .collect();
    let payloads: Vec<&[u8]> = frames.iter().map(|f| &f[46..]).collect();
    c.bench_function("proto/observe_rtp_confirmed", |b| {
        let mut app = AppState::default();
        let mut i = 0usize;
        b.iter(|| {
            let p = Payload {
                transport: proto::Transport::Udp,
                side: 0,
                src_port: 50000,
                dst_port: 3478,
                tcp_seq: None,
                tcp_syn: false,
                dscp: 46,
                ts_ns: i as i64,
                data: payloads[i % payloads.len()],
            };
            i += 1;
            app.observe(black_box(&p));
        })
    });
    c.bench_function("proto/observe_new_flow_first_rtp", |b| {
        b.iter(|| {
            let mut app = AppState::default();
            app.observe(black_box(&Payload {
                transport: proto::Transport::Udp,
                side: 0,
                src_port: 50000,
                dst_port: 3478,
                tcp_seq: None,
                tcp_syn: false,
                dscp: 46,
                ts_ns: 0,
                data: payloads[0],
            }));
            app
        })
    });
}

fn bench_flow_table(c: &mut Criterion) {
    let link = LinkInfo {
        vlan: Some(100),
        ..LinkInfo::default()
    };
    let payload = [
        0x80u8, 111, 0, 1, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0,
    ];
    let transport = TransportLayer {
        protocol: 17,
        src_port: 50000,
        dst_port: 3478,
        tcp: None,
        dscp: 46,
        ip_id: 0,
        checksum: 0,
        payload: &payload,
    };
    let flows: Vec<(Endpoint, Endpoint)> = (0..10_000u32)
        .map(|i| {
            let [_, a, b, c] = i.to_be_bytes();
            (
                Endpoint {
                    ip: IpAddr::V4(Ipv4Addr::new(10, a, b, c)),
                    port: 50000,
                },
                Endpoint {
                    ip: IpAddr::V4(Ipv4Addr::new(52, 112, b, c)),
                    port: 3478,
                },
            )
        })
        .collect();
    let mut table = FlowTable::new();
    let mut i = 0usize;
    c.bench_function("flow/update_10k_flows", |b| {
        b.iter(|| {
            let (src, dst) = flows[i % flows.len()];
            let (src, dst) = if i & 1 == 0 { (src, dst) } else { (dst, src) };
            i += 1;
            table.update(black_box(&Observation {
                src,
                dst,
                transport: &transport,
                link: &link,
                point: PointId {
                    file: 0,
                    interface: 0,
                },
                ts_ns: i as i64,
                wire_len: 200,
                fragment: false,
            }));
        })
    });
}

fn bench_ranges(c: &mut Criterion) {
    let ranges = Ranges::bundled().expect("bundled ranges");
    let ips: Vec<IpAddr> = (0..1024u32)
        .map(|i| {
            IpAddr::V4(Ipv4Addr::from(
                0x3470_0000u32.wrapping_add(i.wrapping_mul(2_654_435_761)),
            ))
        })
        .collect();
    let mut i = 0usize;
    c.bench_function("ranges/lookup_v4", |b| {
        b.iter(|| {
            i += 1;
            ranges
                .lookup(black_box(ips[i & 1023]), proto::Transport::Udp, 3478)
                .is_some()
        })
    });
}

/// One RTP packet into a stream's quality state, the clock rate known: 20 ms Opus packets,
/// every 97th lost, arrivals wobbling by up to 3 ms (jitter and the loss map both work).
fn bench_media(c: &mut Criterion) {
    let mut stream = StreamStats::new(0x1234_5678, 111);
    let mut seq = 0u16;
    let mut n = 0i64;
    c.bench_function("media/stream_packet", |b| {
        b.iter(|| {
            n += 1;
            seq = seq.wrapping_add(if n % 97 == 0 { 2 } else { 1 });
            let ts = u32::from(seq).wrapping_mul(960);
            let arrival = n * 20_000_000 + (n * 7919 % 3_000_000);
            stream.packet(
                black_box(seq),
                black_box(ts),
                black_box(arrival),
                Some(48_000),
            );
        })
    });
    black_box(stream.summary());
}

criterion_group!(
    kernels,
    bench_reader,
    bench_decode,
    bench_proto,
    bench_flow_table,
    bench_ranges,
    bench_media
);
criterion_main!(kernels);
