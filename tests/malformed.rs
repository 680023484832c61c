//! Malformed-capture corpus (issue 6): every case is made by test code from a valid,
//! builder-made fixture, written to a temporary directory and audited by the real binary
//! (`callpath audit --format json`). Each case asserts the whole outcome: the exit status, the
//! error or warning text (file, record number, byte offset, what), and the flows still reported
//! from the records before the damage.
//!
//! SPEC "Exit status": a corrupt capture is exit 2 with the report for everything read still
//! printed; a file that merely ends inside its last record is a warning (exit 0); never a panic.

mod support;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use support::builder::*;
use support::payloads::*;

const MAC_CLIENT: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_ROUTER: [u8; 6] = [0x02, 0, 0, 0, 0x0e, 0x01];
const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 1, 2, 3);
const RELAY: Ipv4Addr = Ipv4Addr::new(52, 112, 244, 71);
const WEB: Ipv4Addr = Ipv4Addr::new(52, 113, 0, 9);
const T0: i64 = 1_793_523_630_000_000_000; // 2026-11-02T09:00:30Z
const MS: i64 = 1_000_000;
const TX: [u8; 12] = *b"callpath-txn";

const UDP_FLOW: &str = "udp 10.1.2.3:50000 > 52.112.244.71:3478";
const TCP_FLOW: &str = "tcp 10.1.2.3:50001 > 52.113.0.9:443";

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

struct Outcome {
    code: i32,
    json: Value,
    stderr: String,
}

impl Outcome {
    /// The `n`-th capture of the report.
    fn capture(&self, n: usize) -> &Value {
        &self.json["captures"][n]
    }

    fn errors(&self, n: usize) -> Vec<String> {
        strings(&self.capture(n)["errors"])
    }

    fn warnings(&self, n: usize) -> Vec<String> {
        strings(&self.capture(n)["warnings"])
    }

    fn packets(&self, n: usize) -> u64 {
        self.capture(n)["packets"].as_u64().expect("packets")
    }

    fn decode(&self, n: usize, counter: &str) -> u64 {
        self.capture(n)["decode"][counter]
            .as_u64()
            .unwrap_or_else(|| panic!("no decode counter {counter}"))
    }

    /// Every flow as `"proto client > server forward/reverse"`, in report order.
    fn flows(&self) -> Vec<String> {
        let flows = self.json["flows"].as_array().expect("flows array");
        assert_eq!(
            self.json["summary"]["flows"].as_u64(),
            Some(flows.len() as u64),
            "summary.flows"
        );
        flows.iter().map(flow_line).collect()
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

fn flow_line(f: &Value) -> String {
    format!(
        "{} {}:{} > {}:{} {}/{}",
        f["transport"].as_str().unwrap_or("?"),
        f["client"]["ip"].as_str().unwrap_or("?"),
        f["client"]["port"],
        f["server"]["ip"].as_str().unwrap_or("?"),
        f["server"]["port"],
        f["packets"]["forward"],
        f["packets"]["reverse"],
    )
}

/// Runs `callpath audit --format json --quiet FILES` and checks what holds for every input:
/// a JSON report on stdout, exit 0/1/2, no panic.
fn audit(files: &[&Path]) -> Outcome {
    let out = Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(["audit", "--format", "json", "--quiet"])
        .args(files)
        .output()
        .expect("run callpath");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().expect("callpath was killed by a signal");
    assert!(
        !stderr.contains("panicked") && code != 101,
        "callpath panicked on {files:?}: {stderr}"
    );
    assert!(matches!(code, 0..=2), "exit status {code}: {stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON report for {files:?} ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Outcome { code, json, stderr }
}

struct Tmp {
    dir: tempfile::TempDir,
}

impl Tmp {
    fn new() -> Self {
        Tmp {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }
}

fn audit_bytes(name: &str, bytes: &[u8]) -> (Outcome, String) {
    let d = Tmp::new();
    let p = d.file(name, bytes);
    let shown = p.display().to_string();
    (audit(&[&p]), shown)
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

fn eth(ip: &[u8], forward: bool) -> Vec<u8> {
    if forward {
        ethernet_ip(MAC_CLIENT, MAC_ROUTER, &[], ip)
    } else {
        ethernet_ip(MAC_ROUTER, MAC_CLIENT, &[], ip)
    }
}

fn tcp(flags: TcpFlags) -> Tcp {
    Tcp {
        seq: 1000,
        ack: 0,
        flags,
        window: 64_240,
    }
}

/// The four frames of the base fixture: a STUN request and its answer (UDP flow), then a TCP
/// SYN and SYN-ACK (TCP flow).
fn base_frames() -> Vec<Vec<u8>> {
    let mapped: SocketAddr = "198.51.100.7:50000".parse().expect("addr");
    vec![
        eth(
            &ipv4_udp(CLIENT, 50000, RELAY, 3478, &stun_binding_request(TX, None)),
            true,
        ),
        eth(
            &ipv4_udp(
                RELAY,
                3478,
                CLIENT,
                50000,
                &stun_binding_success(TX, mapped),
            ),
            false,
        ),
        eth(
            &ipv4_tcp(CLIENT, 50001, WEB, 443, tcp(TcpFlags::SYN), &[]),
            true,
        ),
        eth(
            &ipv4_tcp(WEB, 443, CLIENT, 50001, tcp(TcpFlags::SYN_ACK), &[]),
            false,
        ),
    ]
}

/// The flows the report must show after the first `records` frames of [`base_frames`].
fn base_flows_after(records: usize) -> Vec<String> {
    match records {
        0 => vec![],
        1 => vec![format!("{UDP_FLOW} 1/0")],
        2 => vec![format!("{UDP_FLOW} 1/1")],
        3 => vec![format!("{UDP_FLOW} 1/1"), format!("{TCP_FLOW} 1/0")],
        _ => vec![format!("{UDP_FLOW} 1/1"), format!("{TCP_FLOW} 1/1")],
    }
}

fn base_pcap() -> Pcap {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for (i, f) in base_frames().iter().enumerate() {
        p.packet(T0 + i as i64 * MS, f);
    }
    p
}

fn base_pcapng() -> Pcapng {
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    for (i, f) in base_frames().iter().enumerate() {
        ng.packet(er0, T0 + i as i64 * MS, f);
    }
    ng
}

/// Start offsets of the pcap records (after the 24-byte file header) and the file length.
fn pcap_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let caplen = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        out.push((at, 16 + caplen));
        at += 16 + caplen;
    }
    assert_eq!(at, bytes.len(), "fixture walks to its end");
    out
}

/// (offset, length) of every pcapng block (little-endian fixtures).
fn pcapng_blocks(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 12 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        out.push((at, len));
        at += len;
    }
    assert_eq!(at, bytes.len(), "fixture walks to its end");
    out
}

fn put_u32_le(bytes: &mut [u8], at: usize, v: u32) {
    bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

// ---------------------------------------------------------------------------------------------
// Truncation at every offset
// ---------------------------------------------------------------------------------------------

#[test]
fn pcap_truncated_at_every_offset_is_an_error_in_the_header_and_a_warning_in_the_last_record() {
    let full = base_pcap().to_bytes();
    let records = pcap_records(&full);
    let d = Tmp::new();
    for n in 0..=full.len() {
        let p = d.file(&format!("cut{n}.pcap"), &full[..n]);
        let name = p.display().to_string();
        let o = audit(&[&p]);
        let ctx = format!("cut at {n} of {}", full.len());
        if n < 24 {
            let what = match n {
                0 => "file is empty".to_string(),
                1..=3 => format!("file header is truncated ({n} of 4 bytes)"),
                _ => format!("file header is truncated ({n} of 24 bytes)"),
            };
            assert_eq!(o.code, 2, "{ctx}");
            assert_eq!(o.errors(0), vec![format!("{name}: {what}")], "{ctx}");
            assert_eq!(o.capture(0)["format"], Value::Null, "{ctx}");
            assert_eq!(o.packets(0), 0, "{ctx}");
            assert!(o.flows().is_empty(), "{ctx}");
            assert!(
                o.stderr
                    .contains(&format!("callpath: error: {name}: {what}")),
                "{ctx}: {}",
                o.stderr
            );
            continue;
        }
        // Complete records before the cut, and the record the cut falls in.
        let complete = records.iter().filter(|(s, l)| s + l <= n).count();
        let expected_warnings: Vec<String> = match records
            .iter()
            .position(|(s, l)| *s < n && n < s + l)
        {
            None => vec![],
            Some(i) => {
                let (start, len) = records[i];
                let have = n - start;
                let what = if have < 16 {
                    format!("file ends inside the last record header ({have} of 16 bytes present)")
                } else {
                    format!(
                        "file ends inside the last packet record ({have} of {len} bytes present)"
                    )
                };
                vec![format!(
                    "{name}: record {} at byte offset {start}: {what}",
                    i + 1
                )]
            }
        };
        assert_eq!(o.code, 0, "{ctx}: {}", o.stderr);
        assert_eq!(o.errors(0), Vec::<String>::new(), "{ctx}");
        assert_eq!(o.warnings(0), expected_warnings, "{ctx}");
        assert_eq!(o.capture(0)["format"], "pcap", "{ctx}");
        assert_eq!(o.packets(0), complete as u64, "{ctx}");
        assert_eq!(o.flows(), base_flows_after(complete), "{ctx}");
    }
}

#[test]
fn pcapng_truncated_at_every_offset_is_an_error_in_the_first_section_header_and_a_warning_after() {
    let full = base_pcapng().to_bytes();
    let blocks = pcapng_blocks(&full);
    let shb_len = blocks[0].1;
    let d = Tmp::new();
    for n in 0..=full.len() {
        let p = d.file(&format!("cut{n}.pcapng"), &full[..n]);
        let name = p.display().to_string();
        let o = audit(&[&p]);
        let ctx = format!("cut at {n} of {}", full.len());
        if n < shb_len {
            let what = match n {
                0 => "file is empty".to_string(),
                1..=3 => format!("file header is truncated ({n} of 4 bytes)"),
                4..=11 => format!("file header is truncated ({n} of 12 bytes)"),
                _ => format!("file header is truncated ({n} of {shb_len} bytes)"),
            };
            assert_eq!(o.code, 2, "{ctx}");
            assert_eq!(o.errors(0), vec![format!("{name}: {what}")], "{ctx}");
            assert_eq!(o.packets(0), 0, "{ctx}");
            assert!(o.flows().is_empty(), "{ctx}");
            continue;
        }
        // Blocks: SHB (record 1), IDB (record 2), then one EPB per frame.
        let complete_packets = blocks.iter().skip(2).filter(|(s, l)| s + l <= n).count();
        let expected_warnings: Vec<String> = match blocks
            .iter()
            .position(|(s, l)| *s < n && n < s + l)
        {
            None => vec![],
            Some(i) => {
                let (start, len) = blocks[i];
                let have = n - start;
                let what = if have < 12 {
                    format!("file ends inside the last block header ({have} of 12 bytes present)")
                } else {
                    format!("file ends inside the last block ({have} of {len} bytes present)")
                };
                vec![format!(
                    "{name}: record {} at byte offset {start}: {what}",
                    i + 1
                )]
            }
        };
        assert_eq!(o.code, 0, "{ctx}: {}", o.stderr);
        assert_eq!(o.errors(0), Vec::<String>::new(), "{ctx}");
        assert_eq!(o.warnings(0), expected_warnings, "{ctx}");
        assert_eq!(o.capture(0)["format"], "pcapng", "{ctx}");
        assert_eq!(o.packets(0), complete_packets as u64, "{ctx}");
        assert_eq!(o.flows(), base_flows_after(complete_packets), "{ctx}");
        let interfaces = o.capture(0)["interfaces"].as_array().unwrap().len();
        assert_eq!(
            interfaces,
            usize::from(n >= blocks[1].0 + blocks[1].1),
            "{ctx}"
        );
    }
}

#[test]
fn truncated_inside_last_packet_is_a_warning_and_keeps_earlier_flows() {
    let full = base_pcap().to_bytes();
    let (o, name) = audit_bytes("cut.pcap", &full[..full.len() - 10]);
    let (start, len) = *pcap_records(&full).last().unwrap();
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![format!(
            "{name}: record 4 at byte offset {start}: file ends inside the last packet record ({} of {len} bytes present)",
            len - 10
        )]
    );
    assert!(o.stderr.contains(&format!(
        "callpath: warning: {name}: record 4 at byte offset {start}"
    )));
    assert_eq!(o.packets(0), 3);
    assert_eq!(o.flows(), base_flows_after(3));
    assert_eq!(o.json["summary"]["packets"], 3);
}

#[test]
fn corrupt_file_next_to_a_good_one_reports_both_and_exits_2() {
    let d = Tmp::new();
    let good = d.file("good.pcapng", &base_pcapng().to_bytes());
    let bad = d.file("bad.pcap", b"this is not a capture file");
    let o = audit(&[&good, &bad]);
    assert_eq!(o.code, 2);
    assert_eq!(o.errors(0), Vec::<String>::new());
    assert_eq!(
        o.errors(1),
        vec![format!(
            "{}: not a pcap or pcapng file (magic number 0x74686973)",
            bad.display()
        )]
    );
    assert_eq!(o.packets(0), 4);
    assert_eq!(o.flows(), base_flows_after(4));
}

#[test]
fn missing_file_is_an_error_and_the_others_are_still_audited() {
    let d = Tmp::new();
    let good = d.file("good.pcap", &base_pcap().to_bytes());
    let missing = d.dir.path().join("missing.pcap");
    let o = audit(&[&missing, &good]);
    assert_eq!(o.code, 2);
    let errors = o.errors(0);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(&format!("{}: cannot open: ", missing.display())),
        "{errors:?}"
    );
    assert_eq!(o.flows(), base_flows_after(4));
}

// ---------------------------------------------------------------------------------------------
// pcap record lengths
// ---------------------------------------------------------------------------------------------

#[test]
fn pcap_record_with_zero_caplen_is_an_empty_frame_counted_as_malformed_link() {
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.packet(T0, &frames[0]).packet(T0 + MS, &frames[1]);
    p.packet_raw(T0 + 2 * MS, &[], 0, 0);
    p.packet(T0 + 3 * MS, &frames[2]);
    let (o, _) = audit_bytes("zero.pcap", &p.to_bytes());
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.packets(0), 4);
    assert_eq!(o.decode(0, "malformed_link"), 1);
    assert_eq!(o.decode(0, "flow_packets"), 3);
    assert_eq!(o.flows(), base_flows_after(3));
}

#[test]
fn pcap_huge_caplen_is_corrupt_and_keeps_earlier_flows() {
    for caplen in [u32::MAX, 0x8000_0000, MAX_PACKET + 1] {
        let mut bytes = base_pcap().to_bytes();
        let (start, _) = pcap_records(&bytes)[2];
        put_u32_le(&mut bytes, start + 8, caplen);
        let (o, name) = audit_bytes("huge.pcap", &bytes);
        assert_eq!(o.code, 2, "caplen {caplen}");
        assert_eq!(
            o.errors(0),
            vec![format!("{name}: record 3 at byte offset {start}: captured length {caplen} exceeds the file's snaplen 262144 and the 262144-byte limit")]
        );
        assert!(o
            .stderr
            .contains(&format!("callpath: error: {name}: record 3")));
        assert_eq!(o.packets(0), 2);
        assert_eq!(o.flows(), base_flows_after(2));
    }
}

const MAX_PACKET: u32 = 262_144;
const MAX_BLOCK: u32 = 16 * 1024 * 1024;

#[test]
fn pcap_record_beyond_the_block_limit_is_corrupt_even_when_the_snaplen_allows_it() {
    // Regression: with a snaplen of 0xffffffff a 20 MB caplen filled the 16 MiB buffer and was
    // then reported as "file ends inside the last packet record" (a warning), dropping the rest
    // of the file silently.
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET).snaplen(u32::MAX);
    p.packet(T0, &frames[0]).packet(T0 + MS, &frames[1]);
    let big = vec![0u8; 20_000_000];
    p.packet(T0 + 2 * MS, &big);
    p.packet(T0 + 3 * MS, &frames[2]);
    let bytes = p.to_bytes();
    let start = 24 + 2 * 16 + frames[0].len() + frames[1].len();
    let (o, name) = audit_bytes("bigsnap.pcap", &bytes);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 3 at byte offset {start}: captured length 20000000 exceeds the {MAX_BLOCK}-byte record limit")]
    );
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.packets(0), 2);
    assert_eq!(o.flows(), base_flows_after(2));
}

#[test]
fn pcap_record_larger_than_262144_is_read_when_the_snaplen_allows_it() {
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET).snaplen(1_000_000);
    p.packet(T0, &frames[0]);
    p.packet(T0 + MS, &vec![0u8; 300_000]);
    p.packet(T0 + 2 * MS, &frames[1]);
    let (o, _) = audit_bytes("jumbo.pcap", &p.to_bytes());
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.packets(0), 3);
    assert_eq!(o.decode(0, "not_ip"), 1);
    assert_eq!(o.flows(), base_flows_after(2));
}

#[test]
fn pcap_caplen_above_snaplen_is_a_warning_and_the_packet_is_used() {
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET).snaplen(40);
    p.packet_raw(
        T0,
        &frames[0],
        frames[0].len() as u32,
        frames[0].len() as u32,
    );
    p.packet(T0 + MS, &frames[1]);
    assert!(frames[0].len() > 40);
    let (o, name) = audit_bytes("snap.pcap", &p.to_bytes());
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![format!(
            "{name}: record 1 at byte offset 24: captured length {} exceeds the file's snaplen 40",
            frames[0].len()
        )]
    );
    assert_eq!(o.packets(0), 2);
    assert_eq!(o.decode(0, "snaplen_cut"), 1);
    assert_eq!(o.flows(), base_flows_after(2));
}

#[test]
fn pcap_caplen_above_original_length_is_a_warning_and_the_packet_is_used() {
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.packet(T0, &frames[0]);
    p.packet_raw(T0 + MS, &frames[1], frames[1].len() as u32, 60);
    let (o, name) = audit_bytes("orig.pcap", &p.to_bytes());
    let start = 24 + 16 + frames[0].len();
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![format!(
            "{name}: record 2 at byte offset {start}: captured length {} exceeds the original length 60",
            frames[1].len()
        )]
    );
    assert_eq!(o.packets(0), 2);
    assert_eq!(o.flows(), base_flows_after(2));
}

#[test]
fn pcap_odd_caplen_one_past_the_end_of_the_last_record_is_a_truncation_warning() {
    let mut bytes = base_pcap().to_bytes();
    let (start, len) = *pcap_records(&bytes).last().unwrap();
    let caplen = (len - 16 + 1) as u32;
    put_u32_le(&mut bytes, start + 8, caplen);
    let (o, name) = audit_bytes("odd.pcap", &bytes);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![
            format!("{name}: record 4 at byte offset {start}: captured length {caplen} exceeds the original length {}", caplen - 1),
            format!("{name}: record 4 at byte offset {start}: file ends inside the last packet record ({len} of {} bytes present)", len + 1),
        ]
    );
    assert_eq!(o.packets(0), 3);
    assert_eq!(o.flows(), base_flows_after(3));
}

#[test]
fn big_endian_modified_pcap_is_read_not_reported_as_a_truncated_header() {
    // Regression (found by fuzz target `capture`): the big-endian "modified" (Kuznetzov) magic
    // 0x34cdb2a1 gave "file header is truncated (N of 24 bytes)" on a complete header.
    let be = base_pcap().big_endian(true).to_bytes();
    let mut out = vec![0xa1, 0xb2, 0xcd, 0x34];
    out.extend_from_slice(&be[4..24]);
    let mut at = 24;
    while at < be.len() {
        let caplen = u32::from_be_bytes(be[at + 8..at + 12].try_into().unwrap()) as usize;
        out.extend_from_slice(&be[at..at + 16]);
        out.extend_from_slice(&[0, 0, 0, 2, 0x08, 0x00, 0, 0]); // ifindex, protocol, type, pad
        out.extend_from_slice(&be[at + 16..at + 16 + caplen]);
        at += 16 + caplen;
    }
    let (o, _) = audit_bytes("modified.pcap", &out);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.errors(0), Vec::<String>::new());
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.capture(0)["format"], "pcap");
    assert_eq!(o.flows(), base_flows_after(4));
}

#[test]
fn pcap_unknown_magic_is_an_error_naming_it() {
    let mut bytes = base_pcap().to_bytes();
    bytes[..4].copy_from_slice(&[0xa1, 0xb2, 0xc3, 0xd5]);
    let (o, name) = audit_bytes("magic.pcap", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!(
            "{name}: not a pcap or pcapng file (magic number 0xa1b2c3d5)"
        )]
    );
    assert!(o.flows().is_empty());
}

// ---------------------------------------------------------------------------------------------
// pcapng block lengths
// ---------------------------------------------------------------------------------------------

/// The base pcapng with the total length (both copies, or only the first) of block `block`
/// (0-based: 0 SHB, 1 IDB, 2.. EPBs) replaced.
fn pcapng_with_block_len(block: usize, len: u32, trailer_too: bool) -> (Vec<u8>, usize) {
    let mut bytes = base_pcapng().to_bytes();
    let (start, old) = pcapng_blocks(&bytes)[block];
    put_u32_le(&mut bytes, start + 4, len);
    if trailer_too {
        put_u32_le(&mut bytes, start + old - 4, len);
    }
    (bytes, start)
}

#[test]
fn pcapng_block_length_zero_or_below_the_header_is_corrupt_and_keeps_earlier_flows() {
    for len in [0u32, 4, 8] {
        let (bytes, start) = pcapng_with_block_len(4, len, false);
        let (o, name) = audit_bytes("short.pcapng", &bytes);
        assert_eq!(o.code, 2, "len {len}");
        assert_eq!(
            o.errors(0),
            vec![format!("{name}: record 5 at byte offset {start}: block length {len} is less than the 12-byte minimum (block type 0x6)")]
        );
        assert_eq!(o.warnings(0), Vec::<String>::new());
        assert_eq!(o.packets(0), 2);
        assert_eq!(o.flows(), base_flows_after(2));
    }
}

#[test]
fn pcapng_block_length_not_a_multiple_of_4_is_corrupt() {
    for len in [13u32, 33, 101] {
        let (bytes, start) = pcapng_with_block_len(3, len, false);
        let (o, name) = audit_bytes("odd.pcapng", &bytes);
        assert_eq!(o.code, 2);
        assert_eq!(
            o.errors(0),
            vec![format!("{name}: record 4 at byte offset {start}: block length {len} is not a multiple of 4 (block type 0x6)")]
        );
        assert_eq!(o.packets(0), 1);
        assert_eq!(o.flows(), base_flows_after(1));
    }
}

#[test]
fn pcapng_huge_block_length_is_corrupt_without_allocating_it() {
    for len in [u32::MAX - 3, 0x8000_0000, MAX_BLOCK + 4] {
        let (bytes, start) = pcapng_with_block_len(5, len, true);
        let (o, name) = audit_bytes("huge.pcapng", &bytes);
        assert_eq!(o.code, 2);
        assert_eq!(
            o.errors(0),
            vec![format!("{name}: record 6 at byte offset {start}: block length {len} exceeds the {MAX_BLOCK}-byte limit (block type 0x6)")]
        );
        assert_eq!(o.packets(0), 3);
        assert_eq!(o.flows(), base_flows_after(3));
    }
}

#[test]
fn pcapng_block_length_past_the_end_of_the_file_reads_as_a_truncated_last_block() {
    let (bytes, start) = pcapng_with_block_len(3, 1 << 20, false);
    let (o, name) = audit_bytes("long.pcapng", &bytes);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![format!(
            "{name}: record 4 at byte offset {start}: file ends inside the last block ({} of 1048576 bytes present)",
            bytes.len() - start
        )]
    );
    assert_eq!(o.packets(0), 1);
    assert_eq!(o.flows(), base_flows_after(1));
}

#[test]
fn pcapng_block_lengths_that_disagree_are_corrupt() {
    let mut bytes = base_pcapng().to_bytes();
    let (start, old) = pcapng_blocks(&bytes)[4];
    put_u32_le(&mut bytes, start + old - 4, old as u32 + 4);
    let (o, name) = audit_bytes("trailer.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!(
            "{name}: record 5 at byte offset {start}: block length {old} at the start but {} at the end (block type 0x6)",
            old + 4
        )]
    );
    assert_eq!(o.flows(), base_flows_after(2));
}

#[test]
fn pcapng_packet_block_shorter_than_its_header_is_corrupt() {
    let frames = base_frames();
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    ng.packet(er0, T0, &frames[0]);
    ng.raw_block(6, &[0, 0, 0, 0]); // an EPB of 16 bytes: no room for its 20-byte fields
    ng.packet(er0, T0 + MS, &frames[1]); // whose bytes must not be read as the short EPB's
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[3].0;
    let (o, name) = audit_bytes("shortepb.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 4 at byte offset {start}: enhanced packet block of 16 bytes is shorter than its 32-byte header")]
    );
    assert_eq!(o.flows(), base_flows_after(1));

    let mut ng = Pcapng::new();
    ng.interface(Iface::ethernet("er0"));
    ng.raw_block(3, &[]); // an SPB without its original-length field
    ng.raw_block(3, &[]);
    let (o, name) = audit_bytes("shortspb.pcapng", &ng.to_bytes());
    assert_eq!(o.code, 2);
    let start = pcapng_blocks(&ng.to_bytes())[2].0;
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 3 at byte offset {start}: simple packet block is shorter than its header")]
    );
}

#[test]
fn pcapng_interface_block_shorter_than_its_header_is_corrupt() {
    let mut ng = Pcapng::new();
    ng.raw_block(1, &[]);
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[1].0;
    let (o, name) = audit_bytes("shortidb.pcapng", &bytes);
    assert_eq!(o.code, 2);
    let errors = o.errors(0);
    assert_eq!(errors.len(), 1);
    let prefix =
        format!("{name}: record 2 at byte offset {start}: malformed interface description block (");
    assert!(errors[0].starts_with(&prefix), "{errors:?}");
    assert_eq!(o.packets(0), 0);
}

#[test]
fn pcapng_captured_length_beyond_its_block_is_corrupt() {
    let mut bytes = base_pcapng().to_bytes();
    let (start, len) = pcapng_blocks(&bytes)[3];
    put_u32_le(&mut bytes, start + 20, 1000);
    let (o, name) = audit_bytes("caplen.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 4 at byte offset {start}: captured length 1000 does not fit in its {len}-byte block")]
    );
    assert_eq!(o.flows(), base_flows_after(1));
}

#[test]
fn pcapng_caplen_above_original_length_and_snaplen_are_warnings() {
    let frames = base_frames();
    let mut ng = Pcapng::new();
    let small = ng.interface(Iface {
        snaplen: 40,
        ..Iface::ethernet("small")
    });
    let f = &frames[0];
    ng.packet_raw(small, T0, f, f.len() as u32, 50);
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[2].0;
    let (o, name) = audit_bytes("lens.pcapng", &bytes);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.warnings(0),
        vec![
            format!("{name}: record 3 at byte offset {start}: captured length {} exceeds the original length 50", f.len()),
            format!("{name}: record 3 at byte offset {start}: captured length {} exceeds the interface's snaplen 40", f.len()),
        ]
    );
    assert_eq!(o.flows(), base_flows_after(1));
}

#[test]
fn pcapng_section_header_with_a_wrong_byte_order_magic_is_corrupt() {
    let mut bytes = base_pcapng().to_bytes();
    bytes[8..12].copy_from_slice(&[0x4d, 0x3c, 0x2b, 0x1b]);
    let (o, name) = audit_bytes("bom.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 1 at byte offset 0: section header byte-order magic 0x1b2b3c4d is not 0x1a2b3c4d in either byte order")]
    );
    assert_eq!(o.capture(0)["format"], "pcapng");
    assert!(o.flows().is_empty());

    // In a second section: the first section's flows are kept.
    let mut ng = base_pcapng();
    ng.section();
    let er1 = ng.interface(Iface::ethernet("er1"));
    ng.packet(er1, T0 + 10 * MS, &base_frames()[0]);
    let mut bytes = ng.to_bytes();
    let (start, _) = pcapng_blocks(&bytes)[6];
    bytes[start + 8..start + 12].copy_from_slice(&[0, 0, 0, 0]);
    let (o, name) = audit_bytes("bom2.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 7 at byte offset {start}: section header byte-order magic 0x00000000 is not 0x1a2b3c4d in either byte order")]
    );
    assert_eq!(o.packets(0), 4);
    assert_eq!(o.flows(), base_flows_after(4));
}

#[test]
fn pcapng_packet_naming_an_interface_that_does_not_exist_is_corrupt() {
    let frames = base_frames();
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    ng.packet(er0, T0, &frames[0]);
    ng.packet_raw(
        5,
        T0 + MS,
        &frames[1],
        frames[1].len() as u32,
        frames[1].len() as u32,
    );
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[3].0;
    let (o, name) = audit_bytes("ifid.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 4 at byte offset {start}: packet names interface 5, but its section describes 1")]
    );
    assert_eq!(o.packets(0), 1);
    assert_eq!(o.flows(), base_flows_after(1));

    // Interface ids restart in every section: a new section without an IDB has none.
    let mut ng = base_pcapng();
    ng.section();
    ng.packet_raw(
        0,
        T0 + 10 * MS,
        &frames[0],
        frames[0].len() as u32,
        frames[0].len() as u32,
    );
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[7].0;
    let (o, name) = audit_bytes("ifid2.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 8 at byte offset {start}: packet names interface 0, but its section describes 0")]
    );
    assert_eq!(o.flows(), base_flows_after(4));

    // A simple packet block belongs to interface 0, which must exist too.
    let mut ng = Pcapng::new();
    ng.simple_packet(&frames[0]);
    let bytes = ng.to_bytes();
    let start = pcapng_blocks(&bytes)[1].0;
    let (o, name) = audit_bytes("spb.pcapng", &bytes);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.errors(0),
        vec![format!("{name}: record 2 at byte offset {start}: packet names interface 0, but its section describes 0")]
    );
}

#[test]
fn pcapng_unknown_blocks_are_skipped() {
    let frames = base_frames();
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    ng.packet(er0, T0, &frames[0]);
    ng.raw_block(0x0bad_cafe, &[1, 2, 3]);
    ng.raw_block(5, &[]); // an interface statistics block without its fields
    ng.packet(er0, T0 + MS, &frames[1]);
    let (o, _) = audit_bytes("unknown.pcapng", &ng.to_bytes());
    assert_eq!(o.code, 0);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.flows(), base_flows_after(2));
}

// ---------------------------------------------------------------------------------------------
// IP and transport headers: counted, never fatal
// ---------------------------------------------------------------------------------------------

/// A pcap of the two UDP frames of the base fixture, then `damaged` (an IP packet on Ethernet).
fn with_damaged_ip(damaged: &[u8]) -> (Outcome, String) {
    let frames = base_frames();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.packet(T0, &frames[0]).packet(T0 + MS, &frames[1]);
    p.packet(
        T0 + 2 * MS,
        &ethernet(MAC_CLIENT, MAC_ROUTER, &[], ethertype_of(damaged), damaged),
    );
    audit_bytes("ip.pcap", &p.to_bytes())
}

fn assert_clean_with(o: &Outcome, counter: &str, count: u64, flows: Vec<String>) {
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.errors(0), Vec::<String>::new());
    assert_eq!(o.packets(0), 3);
    assert_eq!(
        o.decode(0, counter),
        count,
        "{counter}: {}",
        o.capture(0)["decode"]
    );
    assert_eq!(o.flows(), flows);
}

fn tcp_syn_v4() -> Vec<u8> {
    ipv4_tcp(CLIENT, 50001, WEB, 443, tcp(TcpFlags::SYN), &[])
}

#[test]
fn ipv4_header_length_below_5_is_malformed_ip_and_makes_no_flow() {
    for ihl in 0..5u8 {
        let mut ip = tcp_syn_v4();
        ip[0] = 0x40 | ihl;
        let (o, _) = with_damaged_ip(&ip);
        assert_clean_with(&o, "malformed_ip", 1, base_flows_after(2));
    }
}

#[test]
fn ipv4_header_length_beyond_the_packet_is_malformed_ip() {
    let mut ip = ipv4_udp(CLIENT, 50002, WEB, 53, &[]);
    ip[0] = 0x4f; // 60-byte header in a 28-byte packet
    let (o, _) = with_damaged_ip(&ip);
    assert_clean_with(&o, "malformed_ip", 1, base_flows_after(2));
}

#[test]
fn ipv4_total_length_beyond_the_captured_bytes_still_gives_the_ports() {
    let mut ip = tcp_syn_v4();
    ip[2..4].copy_from_slice(&1500u16.to_be_bytes());
    let (o, _) = with_damaged_ip(&ip);
    assert_clean_with(
        &o,
        "flow_packets",
        3,
        vec![format!("{UDP_FLOW} 1/1"), format!("{TCP_FLOW} 1/0")],
    );
}

fn v6(s: &str) -> Ipv6Addr {
    s.parse().expect("ipv6")
}

#[test]
fn ipv6_extension_header_running_past_the_end_is_malformed_ip() {
    let udp = [0x13, 0x88, 0x0d, 0x96, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    // Hop-by-Hop Options claiming (255 + 1) * 8 bytes in a 24-byte payload.
    let mut first = vec![IPPROTO_UDP, 255, 1, 4, 0, 0, 0, 0];
    first.extend_from_slice(&udp);
    // A complete Destination Options header, then one claiming 201 * 8 bytes.
    let mut second = vec![
        IPPROTO_DSTOPTS,
        0,
        1,
        4,
        0,
        0,
        0,
        0,
        IPPROTO_UDP,
        200,
        1,
        4,
        0,
        0,
        0,
        0,
    ];
    second.extend_from_slice(&udp);
    for (next, body) in [(IPPROTO_HOPOPTS, first), (IPPROTO_DSTOPTS, second)] {
        let ip = ipv6_raw(v6("2001:db8::1"), v6("2603:1063::1"), next, 0, 64, &body);
        let (o, _) = with_damaged_ip(&ip);
        assert_clean_with(&o, "malformed_ip", 1, base_flows_after(2));
    }
}

#[test]
fn ipv6_long_extension_header_chain_is_followed_to_the_transport_header() {
    // 40 Destination Options headers, then UDP: longer than any real chain.
    let mut body = Vec::new();
    for i in 0..40 {
        let next = if i == 39 {
            IPPROTO_UDP
        } else {
            IPPROTO_DSTOPTS
        };
        body.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    body.extend_from_slice(&[0x13, 0x88, 0x0d, 0x96, 0, 8, 0, 0]);
    let ip = ipv6_raw(
        v6("2001:db8::1"),
        v6("2603:1063::1"),
        IPPROTO_DSTOPTS,
        0,
        64,
        &body,
    );
    let (o, _) = with_damaged_ip(&ip);
    // A valid (if absurd) chain: followed to its end, bounds-checked, and the UDP ports used.
    let mut flows = base_flows_after(2);
    flows.push("udp 2001:db8::1:5000 > 2603:1063::1:3478 1/0".into());
    assert_clean_with(&o, "flow_packets", 3, flows);
}

#[test]
fn ipv6_hop_by_hop_loop_is_malformed_ip_and_not_followed() {
    // Hop-by-Hop -> Destination Options -> Hop-by-Hop again (only allowed first): a loop.
    let mut body = Vec::new();
    body.extend_from_slice(&[IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0]);
    body.extend_from_slice(&[IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0]);
    body.extend_from_slice(&[IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0]);
    body.extend_from_slice(&[0x13, 0x88, 0x0d, 0x96, 0, 8, 0, 0]);
    let ip = ipv6_raw(
        v6("2001:db8::1"),
        v6("2603:1063::1"),
        IPPROTO_HOPOPTS,
        0,
        64,
        &body,
    );
    let (o, _) = with_damaged_ip(&ip);
    // Regression: this chain made etherparse's extension iterator read past its slice (an
    // abort in debug builds, an out-of-bounds read in release builds).
    assert_clean_with(&o, "malformed_ip", 1, base_flows_after(2));
}

#[test]
fn tcp_data_offset_below_5_is_malformed_transport() {
    for off in 0..5u8 {
        let mut ip = tcp_syn_v4();
        ip[20 + 12] = off << 4;
        let (o, _) = with_damaged_ip(&ip);
        assert_clean_with(&o, "malformed_transport", 1, base_flows_after(2));
    }
}

#[test]
fn tcp_data_offset_beyond_the_segment_still_gives_the_ports() {
    let mut ip = tcp_syn_v4();
    ip[20 + 12] = 15 << 4;
    let (o, _) = with_damaged_ip(&ip);
    assert_clean_with(
        &o,
        "flow_packets",
        3,
        vec![format!("{UDP_FLOW} 1/1"), format!("{TCP_FLOW} 1/0")],
    );
}

#[test]
fn udp_header_cut_short_is_malformed_transport() {
    let ip = ipv4_raw(CLIENT, WEB, IPPROTO_UDP, 0, 64, 0, IPV4_DF, &[0x13]);
    let (o, _) = with_damaged_ip(&ip);
    assert_clean_with(&o, "malformed_transport", 1, base_flows_after(2));
}

// ---------------------------------------------------------------------------------------------
// Application payloads
// ---------------------------------------------------------------------------------------------

#[test]
fn sip_message_with_10000_headers_is_one_flow() {
    let mut msg = b"INVITE sip:bob@example.com SIP/2.0\r\n".to_vec();
    for i in 0..10_000 {
        msg.extend_from_slice(format!("X-Header-{i}: {i}\r\n").as_bytes());
    }
    msg.extend_from_slice(b"Content-Length: 0\r\n\r\n");
    let client: SocketAddr = "10.1.2.3:50100".parse().unwrap();
    let server: SocketAddr = "52.112.0.5:5061".parse().unwrap();
    let pkts = tcp_session(client, server, T0, &[(Dir::Forward, msg.clone())]);
    let fwd = pkts.iter().filter(|p| p.2 == Dir::Forward).count();
    let rev = pkts.len() - fwd;
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    p.extend(&pkts, |d, ip| eth(ip, d == Dir::Forward));
    let (o, _) = audit_bytes("sip.pcap", &p.to_bytes());
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.packets(0), pkts.len() as u64);
    assert!(pkts.len() > 100);
    assert_eq!(
        o.flows(),
        vec![format!("tcp 10.1.2.3:50100 > 52.112.0.5:5061 {fwd}/{rev}")]
    );
    let app = o.json["flows"][0]["app"].as_str().unwrap();
    assert!(matches!(app, "sip" | "other"), "app {app}");
}

#[test]
fn stun_attribute_lengths_past_the_end_are_one_flow() {
    let mut msgs = Vec::new();
    for bad_len in [0xffffu16, 5, 100] {
        let mut m = stun_with_attrs(
            STUN_BINDING_REQUEST,
            TX,
            &[
                (ATTR_USERNAME, b"user:frag".to_vec()),
                (ATTR_SOFTWARE, b"x".to_vec()),
            ],
        );
        // The first attribute's length (after the 20-byte header and its 2-byte type).
        m[22..24].copy_from_slice(&bad_len.to_be_bytes());
        msgs.push(m);
    }
    // And a message length past the end.
    let mut m = stun_binding_request(TX, None);
    m[2..4].copy_from_slice(&0xfffcu16.to_be_bytes());
    msgs.push(m);
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for (i, m) in msgs.iter().enumerate() {
        p.packet(
            T0 + i as i64 * MS,
            &eth(&ipv4_udp(CLIENT, 50000, RELAY, 3478, m), true),
        );
    }
    let (o, _) = audit_bytes("stun.pcap", &p.to_bytes());
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.warnings(0), Vec::<String>::new());
    assert_eq!(o.packets(0), 4);
    assert_eq!(o.flows(), vec![format!("{UDP_FLOW} 4/0")]);
    let app = o.json["flows"][0]["app"].as_str().unwrap();
    assert!(matches!(app, "stun" | "other"), "app {app}");
}

// ---------------------------------------------------------------------------------------------
// Fuzz seeds (run by fuzz/seed.sh, not by `cargo test`)
// ---------------------------------------------------------------------------------------------

/// Writes builder-made seeds for the fuzz targets into `$CALLPATH_FUZZ_SEEDS/<target>/`:
/// whole captures for `pipeline`, the same with a leading read-size byte for `capture`, and
/// frames with a leading link-type selector byte for `decode`.
#[test]
#[ignore = "writes fuzz seeds; run by fuzz/seed.sh"]
fn write_fuzz_seeds() {
    let Ok(root) = std::env::var("CALLPATH_FUZZ_SEEDS") else {
        panic!("set CALLPATH_FUZZ_SEEDS to the fuzz/corpus directory");
    };
    let root = PathBuf::from(root);
    for t in ["capture", "decode", "pipeline"] {
        std::fs::create_dir_all(root.join(t)).expect("mkdir");
    }
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("builder-base.pcap", base_pcap().to_bytes()),
        ("builder-base.pcapng", base_pcapng().to_bytes()),
    ];
    let mut be = base_pcapng();
    be.section().big_endian(true);
    let sll2 = be.interface(Iface {
        name: Some("any"),
        ..Iface::new(LINKTYPE_LINUX_SLL2)
    });
    let ip6 = ipv6_with_ext_headers(v6("2001:db8::1"), 5000, v6("2603:1063::1"), 3478, b"x");
    be.packet(sll2, T0, &sll2_frame(&ip6));
    be.simple_packet(&base_frames()[0]);
    files.push(("builder-sections.pcapng", be.to_bytes()));
    let mut ns = Pcap::new(LINKTYPE_RAW).nanosecond(true).big_endian(true);
    for (i, f) in ipv4_fragments(CLIENT, 50000, RELAY, 3478, &[7u8; 100], 9, 40)
        .iter()
        .enumerate()
    {
        ns.packet(T0 + i as i64, f);
    }
    files.push(("builder-fragments.pcap", ns.to_bytes()));
    for (name, bytes) in &files {
        std::fs::write(root.join("pipeline").join(name), bytes).expect("write");
        let mut c = vec![7u8];
        c.extend_from_slice(bytes);
        std::fs::write(root.join("capture").join(name), c).expect("write");
    }
    // decode: selector 1 = Ethernet, 2 = raw IP, 9 = SLL2 (see fuzz_targets/decode.rs).
    let mut frames: Vec<(u8, Vec<u8>)> = base_frames().into_iter().map(|f| (1, f)).collect();
    frames.push((2, tcp_syn_v4()));
    frames.push((2, ip6.clone()));
    frames.push((9, sll2_frame(&ip6)));
    // PPPoE session (RFC 2516) in QinQ and an MPLS stack (RFC 3032) in a VLAN.
    let mac = [2, 0, 0, 0, 0, 1];
    let qinq = [Vlan::dot1ad(100), Vlan::dot1q(200)];
    let pppoe = pppoe_ip(0x42, &tcp_syn_v4());
    frames.push((
        1,
        ethernet(mac, mac, &qinq, ETHERTYPE_PPPOE_SESSION, &pppoe),
    ));
    let stack = mpls(&[16, 17, 18], &ip6);
    frames.push((
        1,
        ethernet(mac, mac, &[Vlan::dot1q(7)], ETHERTYPE_MPLS, &stack),
    ));
    for (i, (sel, f)) in frames.iter().enumerate() {
        let mut d = vec![*sel];
        d.extend_from_slice(f);
        std::fs::write(root.join("decode").join(format!("builder-{i}")), d).expect("write");
    }
    for (target, name, bytes) in parser_seeds() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("builder-{name}")), bytes).expect("write");
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One `fuzz_targets/app_state.rs` record: flags (bit 0 TCP, bit 1 side 1, bit 2 SYN), server
/// port selector, sequence offset from the side's ISN, payload.
fn app_record(flags: u8, port: u8, seq: i16, data: &[u8]) -> Vec<u8> {
    let mut r = vec![flags, port];
    r.extend_from_slice(&seq.to_be_bytes());
    r.extend_from_slice(&(data.len() as u16).to_be_bytes());
    r.extend_from_slice(data);
    r
}

/// Small seeds for the parser targets (stun, rtp, dtls, tls, sip, app_state, site_profile,
/// expectations,
/// ranges): builder payloads, byte literals from the unit tests in src/proto, the contoso-hq
/// profile and the first endpoint sets of the bundled ranges.
fn parser_seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    let mut add = |t: &'static str, name: &str, b: Vec<u8>| out.push((t, name.to_owned(), b));
    let mapped: SocketAddr = "80.181.206.72:57543".parse().expect("addr");
    let relayed: SocketAddr = "52.112.244.71:50010".parse().expect("addr");
    let binding = stun_binding_success(TX, mapped);
    // STUN: src/proto/stun.rs unit-test literals (Teams MS-TURN, classic) and builder messages.
    add(
        "stun",
        "binding-request",
        stun_binding_request(TX, Some("a:b")),
    );
    add("stun", "binding-success", binding.clone());
    add(
        "stun",
        "allocate-success",
        turn_allocate_success(TX, relayed, mapped),
    );
    add("stun", "ms-turn-allocate", hex("010300852112a442222fefc7f3924bd1b99727e4000f000472c64bc6000d00040000003c0001000800010d983472fa8d8008000400000006802000080001c1d571a76a0a805000189b713c623ac1bfbbf6d5237583afa6d318e146b40000000080220009322e302e312e3231310010000400002ee000080020affdc3c55c1f6d01a7ea3daf5997ead07e311ca91093584d7d833bfb5eb507a9"));
    add(
        "stun",
        "classic",
        hex("0101000c9429ef88294dd52632c72931cb8dbb4c000100080001d70aac103fe0"),
    );
    add(
        "stun",
        "channel-data",
        turn_channel_data_padded(0x4001, b"abcde"),
    );
    let mut ms = vec![0x02, 0x00];
    ms.extend_from_slice(&(binding.len() as u16).to_be_bytes());
    ms.extend_from_slice(&binding);
    ms.extend_from_slice(&[
        0x03, 0x00, 0x00, 0x0c, 0x80, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4,
    ]);
    add("stun", "ms-tcp-framing", ms);
    let mut framed = (binding.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&binding);
    framed.extend_from_slice(&binding);
    add("stun", "rfc4571-then-bare", framed);
    let mut mux = vec![0xFF, 0x10, 0x00, 0x0c];
    mux.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7, 0x80, 0, 0, 1]);
    add("stun", "ms-multiplexed", mux);
    // RTP / RTCP.
    let media = rtp(111, 1000, 160, 0xdead_beef, true, 20);
    add("rtp", "rtp", media.clone());
    add(
        "rtp",
        "rtp-extension",
        vec![
            0x90, 111, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0xbe, 0xde, 0, 1, 1, 2, 3,
            4, 9, 9, 9,
        ],
    );
    add(
        "rtp",
        "rtcp-compound",
        rtcp_compound(&[rtcp_sr(7), rtcp_sdes_cname(7, "cp")]),
    );
    add(
        "rtp",
        "srtcp",
        hex("80c90005000003e85445413b6f681514fa9c98c95d7a5cf38000a15e01e3e4b990e8e3fcd2e170"),
    );
    let mut tcp_media = rtp_over_tcp(&media);
    tcp_media.extend_from_slice(&rtp_over_tcp(&rtcp_rr(7)));
    add("rtp", "rfc4571", tcp_media);
    // rtcp_reports: RTCP datagrams (also read as 15-byte stream records), and stream records
    // `seq(2) ts(4) arrival_ns(8) rate(1)` (see fuzz_targets/rtcp_reports.rs).
    add(
        "rtcp_reports",
        "sr-sdes",
        rtcp_compound(&[rtcp_sr(7), rtcp_sdes_cname(7, "cp")]),
    );
    add(
        "rtcp_reports",
        "sr-one-block",
        hex("81c8000c11223344123456789abcdef0000100000000006400003e805566778840fffffe00010203000000205678000000010000"),
    );
    add(
        "rtcp_reports",
        "rr-one-block",
        hex("81c900070a0b0c0d01020304ff7fffffffffffff000000000000000000000000"),
    );
    add(
        "rtcp_reports",
        "srtcp",
        hex("80c90005000003e85445413b6f681514fa9c98c95d7a5cf38000a15e01e3e4b990e8e3fcd2e170"),
    );
    let mut records = Vec::new();
    for i in 0..40u16 {
        // 20 ms Opus packets, 48 kHz; 17 and 18 lost, 25 late, 30 twice.
        let seq = match i {
            17 | 18 => continue,
            25 => 26,
            26 => 25,
            _ => i,
        };
        for _ in 0..if i == 30 { 2 } else { 1 } {
            records.extend_from_slice(&seq.to_be_bytes());
            records.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
            records.extend_from_slice(&(i64::from(i) * 20_000_000).to_be_bytes());
            records.push(2);
        }
    }
    add("rtcp_reports", "stream-records", records);
    // DTLS.
    let hello = dtls_client_hello();
    add("dtls", "client-hello", hello.clone());
    let mut two = hello;
    two.extend_from_slice(&[0x14, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    add("dtls", "two-records", two);
    // TLS: mode(1) base(4), then the bytes the parsers read and the reassembly segments come from.
    let ch = tls_client_hello("teams.microsoft.com", &["h2", "http/1.1"], 0);
    let mut whole = vec![1, 0x10, 0, 0, 0];
    whole.extend_from_slice(&ch);
    add("tls", "client-hello", whole);
    let mut segs = vec![1, 0x10, 0, 0, 0];
    for (off, part) in [(100i16, &ch[100..]), (0, &ch[..100])] {
        segs.extend_from_slice(&off.to_be_bytes());
        segs.extend_from_slice(&(part.len() as u16).to_be_bytes());
        segs.push(0);
        segs.extend_from_slice(part);
    }
    add("tls", "out-of-order", segs.clone());
    segs[0] = 0; // moving base
    segs.extend_from_slice(&[0xff, 0x00, 0x40, 0x00, 0x01]); // 16 KiB run from base - 256
    add("tls", "moving-base-cap", segs);
    let mut pq = vec![1, 0, 0, 0, 0];
    pq.extend_from_slice(&tls_client_hello_pq("teams.microsoft.com", &["h2"]));
    add("tls", "client-hello-pq", pq);
    // SIP.
    let offer = sdp(
        std::net::IpAddr::V4(CLIENT),
        &[("audio", 50020), ("video", 50030)],
        std::net::IpAddr::V4(CLIENT),
    );
    let invite = sip_invite(
        "a84b4c76e66710@10.1.2.3",
        "alice@contoso.com",
        "bob@contoso.com",
        "10.1.2.3",
        Some(&offer),
    );
    let ok = sip_200_ok(
        "a84b4c76e66710@10.1.2.3",
        "alice@contoso.com",
        "bob@contoso.com",
        "10.1.2.3",
        &offer,
    );
    add("sip", "invite", invite.clone());
    add("sip", "compact-then-next", b"SIP/2.0 200 OK\r\nv: SIP/2.0/TCP 10.0.0.1\r\ni: abc@x\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\nCSeq: 2 REGISTER\r\nl: 0\r\n\r\nSIP/2.0 100 Trying\r\n".to_vec());
    let long_id = format!("{}@10.1.2.3", "c".repeat(300));
    let long_from = format!("{}@contoso.com", "zoë".repeat(90));
    let long = sip_invite(&long_id, &long_from, "bob@contoso.com", "10.1.2.3", None);
    add("sip", "long-call-id", long.clone());
    // app_state: records of one flow.
    let mut a = Vec::new();
    a.extend(app_record(1 | 4, 0, -1, &[])); // client SYN, port 443
    a.extend(app_record(1, 0, 100, &ch[100..]));
    a.extend(app_record(1, 0, 0, &ch[..100]));
    a.extend(app_record(1 | 2, 0, 0, &tls_server_hello()));
    add("app_state", "tls-out-of-order", a);
    let mut a = Vec::new();
    a.extend(app_record(0, 1, 0, &stun_binding_request(TX, Some("a:b"))));
    a.extend(app_record(2, 1, 0, &binding));
    a.extend(app_record(
        2,
        1,
        0,
        &turn_allocate_success(TX, relayed, mapped),
    ));
    for i in 0..5u16 {
        a.extend(app_record(
            0,
            1,
            0,
            &rtp(111, 1000 + i, 160 * u32::from(i), 0xdead_beef, false, 20),
        ));
    }
    a.extend(app_record(
        0,
        1,
        0,
        &rtcp_compound(&[rtcp_sr(7), rtcp_sdes_cname(7, "cp")]),
    ));
    add("app_state", "stun-rtp-rtcp", a);
    let mut a = app_record(1, 2, 0, &invite);
    a.extend(app_record(3, 2, 0, &ok));
    a.extend(app_record(0, 4, 0, &dtls_client_hello()));
    add("app_state", "sip-dtls", a);
    add("app_state", "sip-long-strings", app_record(0, 2, 0, &long));
    // site_profile and ranges.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let profile = std::fs::read(root.join("fixtures/contoso-hq.toml")).expect("profile");
    add("site_profile", "contoso-hq", profile);
    // expectations (issue 19): a full file, and a JSON report for the baseline parser.
    add(
        "expectations",
        "full",
        b"[findings]\nallow = [\"unknown-path\"]\n[count]\nasymmetric-route = 0\n[[flows]]\nname = \"media\"\napp = \"rtp\"\nserver = \"52.112.0.0/14\"\nset = 11\nport = 3478\nsni = \"*.teams.microsoft.com\"\npath = \"expressroute\"\nmin = 1\nmax = 9\n[[calls]]\nuse_case = \"office365-media\"\nverdict = \"ok\"\n[[quality]]\npath = \"expressroute\"\nmax_loss_percent = 0.5\nmax_jitter_ms = 20\n".to_vec(),
    );
    add(
        "expectations",
        "baseline",
        br#"{"flows": [{"id": 1, "transport": "udp", "client": {"ip": "10.0.0.1", "port": 50000}, "server": {"ip": "52.112.0.1", "port": 3478}}], "findings": [{"code": "asymmetric-route", "flow": 1}]}"#.to_vec(),
    );
    add("site_profile", "servers-v6", b"[site]\ninternal = [\"fd00::/8\", \"10.0.0.0/8\", \"::ffff:192.168.0.0/112\"]\n\n[[path]]\nname = \"internet\"\nnat = [\"192.0.2.0/28\"]\nmacs = [\"02-00-00-00-1E-01\"]\n\n[[server]]\nrole = \"edge\"\naddress = \"2001:db8::10\"\n".to_vec());
    let ranges: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(root.join("ip-ranges/worldwide.json")).expect("ranges"),
    )
    .expect("ranges json");
    let first: Vec<&Value> = ranges.iter().take(3).collect();
    add(
        "ranges",
        "worldwide-first-3",
        serde_json::to_vec(&first).expect("json"),
    );
    add("ranges", "hand-made", br#"[{"id":11,"serviceArea":"Skype","urls":["*.teams.microsoft.com"],"ips":["52.112.0.0/14","2603:1063::/38"],"udpPorts":"3478-3481","tcpPorts":"443","expressRoute":true,"category":"Optimize","required":true},{"id":12,"serviceArea":"Skype","ips":["52.112.0.0/14"],"tcpPorts":"80,443","expressRoute":false,"category":"Allow","required":true},{"id":13,"serviceArea":"Common","ips":["::ffff:52.96.0.0/110"],"tcpPorts":"443","expressRoute":false,"category":"Default","required":false}]"#.to_vec());
    out
}

fn sll2_frame(ip: &[u8]) -> Vec<u8> {
    sll2(3, 4, ethertype_of(ip), MAC_CLIENT, ip)
}
