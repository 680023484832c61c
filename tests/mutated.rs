//! Mutation test (issue 6): 1 000 damaged copies of valid captures, made from a fixed seed with
//! a tiny deterministic PRNG, audited by the real binary in batches of files.
//!
//! Every batch must finish within 10 s and exit 0, 1 or 2, with no panic on stderr and a JSON
//! report listing every file of the batch, in order; a file's errors name that file, and the
//! exit status is 2 exactly when some file has an error. The slowest batch is printed.
//!
//! Sources: builder fixtures, plus the four smallest captures of `../shared/captures/ndpi/`
//! (left out, and said so, when that directory is absent; CI=true requires it). A failing input is kept in the temp directory and named in the
//! failure message, with the mutations that made it.

mod support;

use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use support::builder::*;
use support::payloads::*;

const SEED: u64 = 0x00ca_11fa_7e5e_ed06;
const MUTANTS: usize = 1_000;
const BATCH: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(10);

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the bias is irrelevant here).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn sources() -> Vec<(String, Vec<u8>)> {
    let client = Ipv4Addr::new(10, 1, 2, 3);
    let relay = Ipv4Addr::new(52, 112, 244, 71);
    let t0 = 1_793_523_630_000_000_000;
    let tx = *b"callpath-txn";
    let stun = ipv4_udp(client, 50000, relay, 3478, &stun_binding_request(tx, None));
    let rtp_pkts = udp_stream(
        "10.1.2.3:50010".parse().unwrap(),
        "52.112.244.71:3480".parse().unwrap(),
        t0,
        20_000_000,
        6,
        |i| {
            (
                Dir::alternate(i),
                rtp(0, i as u16, i as u32 * 160, 0x1234, false, 40),
            )
        },
    );
    let tls = tcp_session(
        "10.1.2.3:50020".parse().unwrap(),
        "52.113.0.9:443".parse().unwrap(),
        t0,
        &[(
            Dir::Forward,
            tls_client_hello("teams.microsoft.com", &["h2"], 0),
        )],
    );
    let mac_a = [2, 0, 0, 0, 0, 0x0a];
    let mac_b = [2, 0, 0, 0, 0x0e, 1];
    let eth = |d: Dir, ip: &[u8]| {
        if d == Dir::Forward {
            ethernet_ip(mac_a, mac_b, &[Vlan::dot1q(100)], ip)
        } else {
            ethernet_ip(mac_b, mac_a, &[Vlan::dot1q(100)], ip)
        }
    };

    let mut pcap = Pcap::new(LINKTYPE_ETHERNET);
    pcap.packet(t0, &eth(Dir::Forward, &stun));
    pcap.extend(&rtp_pkts, eth);
    let mut ng = Pcapng::new();
    let er0 = ng.interface(Iface::ethernet("er0"));
    ng.extend(er0, &tls, eth);
    ng.section().big_endian(true);
    let any = ng.interface(Iface {
        name: Some("any"),
        tsresol: Some(0x80 | 20),
        ..Iface::new(LINKTYPE_LINUX_SLL2)
    });
    ng.extend(any, &rtp_pkts, |_, ip| {
        sll2(3, 4, ETHERTYPE_IPV4, mac_a, ip)
    });
    ng.simple_packet(&sll2(3, 0, ETHERTYPE_IPV4, mac_b, &stun));
    let mut raw = Pcap::new(LINKTYPE_RAW).nanosecond(true).big_endian(true);
    for (i, f) in ipv4_fragments(client, 50000, relay, 3478, &[7; 200], 9, 64)
        .iter()
        .enumerate()
    {
        raw.packet(t0 + i as i64, f);
    }

    let mut out = vec![
        ("builder.pcap".to_string(), pcap.to_bytes()),
        ("builder.pcapng".to_string(), ng.to_bytes()),
        ("builder-raw.pcap".to_string(), raw.to_bytes()),
    ];
    let ndpi = support::shared::or_leave_out(
        "captures/ndpi",
        "the four smallest real captures are left out",
    );
    if let Some(dir) = ndpi.and_then(|ndpi| std::fs::read_dir(ndpi).ok()) {
        let mut small: Vec<(u64, PathBuf)> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("pcap" | "pcapng")
                )
            })
            .filter_map(|p| Some((std::fs::metadata(&p).ok()?.len(), p)))
            .filter(|(len, _)| *len < 16 * 1024)
            .collect();
        small.sort();
        for (_, p) in small.into_iter().take(4) {
            let name = format!("ndpi-{}", p.file_name().unwrap().to_string_lossy());
            out.push((name, std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// Values that make length fields interesting.
fn length_value(rng: &mut Rng, len: usize) -> u32 {
    let v = [
        0,
        1,
        3,
        4,
        8,
        11,
        12,
        13,
        16,
        27,
        28,
        32,
        65_535,
        262_144,
        262_145,
        16 * 1024 * 1024,
        16 * 1024 * 1024 + 4,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fff0,
        0xffff_ffff,
        len as u32,
        len as u32 + 1,
        len as u32 + 4,
    ];
    v[rng.below(v.len())]
}

/// Applies 1 to 4 mutations; returns what was done.
fn mutate(rng: &mut Rng, data: &mut Vec<u8>) -> Vec<String> {
    let mut done = Vec::new();
    for _ in 0..1 + rng.below(4) {
        if data.is_empty() {
            data.push(rng.next() as u8);
            done.push("grew from empty".into());
            continue;
        }
        let at = rng.below(data.len());
        match rng.below(6) {
            0 => {
                let bit = rng.below(8);
                data[at] ^= 1 << bit;
                done.push(format!("flip bit {bit} at {at}"));
            }
            1 => {
                let n = 1 + rng.below(16);
                let v = match rng.below(3) {
                    0 => 0,
                    1 => 0xff,
                    _ => rng.next() as u8,
                };
                let end = (at + n).min(data.len());
                data[at..end].fill(v);
                done.push(format!("fill {at}..{end} with {v:#04x}"));
            }
            2 => {
                data.truncate(at);
                done.push(format!("truncate at {at}"));
            }
            3 => {
                // A length-like field: on a 4-byte boundary, either byte order.
                let at = at & !3;
                if at + 4 <= data.len() {
                    let v = length_value(rng, data.len());
                    let bytes = if rng.below(2) == 0 {
                        v.to_le_bytes()
                    } else {
                        v.to_be_bytes()
                    };
                    data[at..at + 4].copy_from_slice(&bytes);
                    done.push(format!("length {v} at {at}"));
                }
            }
            4 => {
                let n = 1 + rng.below(8);
                let end = (at + n).min(data.len());
                data.drain(at..end);
                done.push(format!("delete {at}..{end}"));
            }
            _ => {
                let n = 1 + rng.below(8);
                let v = rng.next().to_le_bytes();
                data.splice(at..at, v[..n].iter().copied());
                done.push(format!("insert {n} bytes at {at}"));
            }
        }
    }
    done
}

/// Runs the binary on `files`, killing it after `TIMEOUT`; returns (exit status, report,
/// stderr, wall time).
fn run_batch(dir: &Path, n: usize, files: &[PathBuf]) -> (i32, Value, String, Duration) {
    let report = dir.join(format!("report-{n}.json"));
    let err_path = dir.join(format!("stderr-{n}.txt"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(["audit", "--format", "json", "--quiet", "--output"])
        .arg(&report)
        .args(files)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&err_path).unwrap())
        .spawn()
        .expect("start callpath");
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("batch {n} took more than {TIMEOUT:?}: {files:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let took = started.elapsed();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let code = status.code().unwrap_or(-1);
    let json = std::fs::read(&report)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    (code, json, stderr, took)
}

#[test]
fn a_thousand_mutated_captures_never_panic_hang_or_lose_a_file() {
    let sources = sources();
    let mut rng = Rng(SEED);
    let tmp = tempfile::tempdir().unwrap();
    let keep = std::env::temp_dir().join("callpath-mutated-failures");
    let mut slowest = (Duration::ZERO, 0);
    let mut statuses = [0usize; 3];
    let mut files_with_errors = 0;
    let mut batch_no = 0;
    let mut made = 0;
    while made < MUTANTS {
        let count = BATCH.min(MUTANTS - made);
        let mut files = Vec::with_capacity(count);
        let mut how = Vec::with_capacity(count);
        for i in 0..count {
            let (name, base) = &sources[rng.below(sources.len())];
            let mut data = base.clone();
            let done = mutate(&mut rng, &mut data);
            let path = tmp.path().join(format!("m{:04}-{name}", made + i));
            std::fs::write(&path, &data).unwrap();
            files.push(path);
            how.push(format!("{name}: {}", done.join(", ")));
        }
        let (code, json, stderr, took) = run_batch(tmp.path(), batch_no, &files);
        let fail = |why: String| -> ! {
            std::fs::create_dir_all(&keep).unwrap();
            for f in &files {
                let _ = std::fs::copy(f, keep.join(f.file_name().unwrap()));
            }
            panic!(
                "batch {batch_no}: {why}\ninputs kept in {}\nmutations:\n{}\nstderr:\n{stderr}",
                keep.display(),
                how.join("\n")
            );
        };
        if stderr.contains("panicked") || !(0..=2).contains(&code) {
            fail(format!("exit status {code} / panic"));
        }
        let Some(captures) = json["captures"].as_array() else {
            fail("no JSON report".into());
        };
        if captures.len() != files.len() {
            fail(format!(
                "{} captures for {} files",
                captures.len(),
                files.len()
            ));
        }
        let mut any_error = false;
        for (c, f) in captures.iter().zip(&files) {
            let path = f.display().to_string();
            if c["path"].as_str() != Some(path.as_str()) {
                fail(format!("capture {} reported for {path}", c["path"]));
            }
            let errors = c["errors"].as_array().cloned().unwrap_or_default();
            for e in &errors {
                let text = e.as_str().unwrap_or("");
                if !text.starts_with(&format!("{path}: ")) {
                    fail(format!("error {text:?} does not name {path}"));
                }
                if !stderr.contains(&format!("callpath: error: {text}")) {
                    fail(format!("error {text:?} not on stderr"));
                }
            }
            if !errors.is_empty() {
                any_error = true;
                files_with_errors += 1;
            }
        }
        if any_error != (code == 2) {
            fail(format!("exit status {code} but file errors: {any_error}"));
        }
        let flows = json["flows"].as_array().map_or(0, Vec::len) as u64;
        if json["summary"]["flows"].as_u64() != Some(flows) {
            fail("summary.flows disagrees with the flows listed".into());
        }
        statuses[code as usize] += 1;
        if took > slowest.0 {
            slowest = (took, batch_no);
        }
        made += count;
        batch_no += 1;
    }
    println!(
        "{MUTANTS} mutants from {} sources in {batch_no} batches of {BATCH}: exit statuses {statuses:?}, \
         {files_with_errors} files with errors; slowest batch {} took {:?}",
        sources.len(),
        slowest.1,
        slowest.0
    );
    eprintln!(
        "mutated: max wall time per batch {:?} (batch {})",
        slowest.0, slowest.1
    );
}
