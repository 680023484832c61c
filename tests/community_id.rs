//! Every flow's `community_id` against the reference implementation: the `communityid` Python
//! package (corelight/pycommunityid, which the spec names as its reference), run once for all
//! flows of the JSON reports of every capture under `../shared/captures/` and the bundled
//! fixtures.
//!
//! Without the package (`python3 -m pip install communityid`) the test says it is skipped;
//! with `CI=true` it fails instead (`.ci/run` installs it). Without `../shared` only the
//! fixtures are compared (and `CI=true` fails, as for every test that reads `../shared`).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use support::cli::*;

/// Reads `proto saddr sport daddr dport` lines, prints one Community ID (seed 0) a line.
const REFERENCE: &str = r#"
import sys
import communityid
cid = communityid.CommunityID(seed=0)
make = {"tcp": communityid.FlowTuple.make_tcp, "udp": communityid.FlowTuple.make_udp}
out = []
for line in sys.stdin:
    proto, saddr, sport, daddr, dport = line.split()
    out.append(cid.calc(make[proto](saddr, daddr, int(sport), int(dport))) or "error")
sys.stdout.write("\n".join(out) + "\n")
"#;

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether `python3` can import `communityid`; if not, why.
fn reference_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import communityid"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "python3 cannot import communityid ({}); install it with `python3 -m pip install communityid`",
            String::from_utf8_lossy(&out.stderr).trim().lines().last().unwrap_or("")
        )),
        Err(e) => Some(format!("python3 does not run ({e})")),
    }
}

/// Capture files (any extension but the catalogue's text) under `dir`, sorted, recursively.
fn captures_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            captures_under(&p, out);
            continue;
        }
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let is_capture = [".pcap", ".pcapng", ".cap", ".gz", ".zst"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if is_capture {
            out.push(p);
        }
    }
}

/// The report's flows of one capture: (capture, id, transport, community_id, client, server).
struct Flow {
    capture: String,
    id: u64,
    transport: String,
    community_id: String,
    client: (String, u64),
    server: (String, u64),
}

fn flows_of(capture: &Path) -> Vec<Flow> {
    let path = capture.to_str().unwrap();
    let out = callpath(&[
        "audit",
        "--format",
        "json",
        "-q",
        "--fail-on",
        "never",
        path,
    ]);
    // A capture that is corrupt part-way still has its report (exit 2).
    assert!(
        out.status == 0 || out.status == 2,
        "{path}: exit {}\n{}",
        out.status,
        out.stderr
    );
    let r = out.json();
    let end = |v: &Value| {
        (
            v["ip"].as_str().unwrap().to_string(),
            v["port"].as_u64().unwrap(),
        )
    };
    r["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| Flow {
            capture: path.to_string(),
            id: f["id"].as_u64().unwrap(),
            transport: f["transport"].as_str().unwrap().to_string(),
            community_id: f["community_id"].as_str().unwrap().to_string(),
            client: end(&f["client"]),
            server: end(&f["server"]),
        })
        .collect()
}

/// The reference's IDs of `flows`, in order, from one python3 run.
fn reference_ids(flows: &[Flow]) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", REFERENCE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        let mut input = String::new();
        for f in flows {
            // Client to server; the ID is the same either way (its unit tests check that).
            input.push_str(&format!(
                "{} {} {} {} {}\n",
                f.transport, f.client.0, f.client.1, f.server.0, f.server.1
            ));
        }
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_flows_community_id_is_the_reference_implementations() {
    if let Some(why) = reference_missing() {
        assert!(
            !on_ci(),
            "{why}: CI=true, so .ci/run must have installed it"
        );
        let _ = writeln!(
            std::io::stderr(),
            "every_flows_community_id_is_the_reference_implementations: skipped: {why}"
        );
        return;
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut captures = Vec::new();
    captures_under(&root.join("fixtures"), &mut captures);
    let fixtures = captures.len();
    if let Some(shared) =
        support::shared::or_leave_out("captures", "only the bundled fixtures are compared")
    {
        captures_under(&shared, &mut captures);
    }
    let flows: Vec<Flow> = captures.iter().flat_map(|c| flows_of(c)).collect();
    let expected = reference_ids(&flows);
    assert_eq!(expected.len(), flows.len(), "one reference ID per flow");

    let mismatches: Vec<String> = flows
        .iter()
        .zip(&expected)
        .filter(|(f, want)| f.community_id != **want)
        .map(|(f, want)| {
            format!(
                "{} flow {} ({} {}:{} -> {}:{}): {} but the reference says {want}",
                f.capture,
                f.id,
                f.transport,
                f.client.0,
                f.client.1,
                f.server.0,
                f.server.1,
                f.community_id
            )
        })
        .collect();
    let v6 = flows.iter().filter(|f| f.client.0.contains(':')).count();
    let tcp = flows.iter().filter(|f| f.transport == "tcp").count();
    let _ = writeln!(
        std::io::stderr(),
        "community_id: {} flows of {} captures ({} fixtures) compared with the reference \
         ({tcp} TCP, {} UDP; {v6} IPv6): {} differ",
        flows.len(),
        captures.len(),
        fixtures,
        flows.len() - tcp,
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
    // The comparison covers both families and both transports.
    assert!(v6 > 0 && v6 < flows.len(), "IPv4 and IPv6 flows: {v6} IPv6");
    assert!(tcp > 0 && tcp < flows.len(), "TCP and UDP flows: {tcp} TCP");
}
