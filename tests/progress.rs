//! The progress lines (issue 13): under a pseudo-terminal a line appears for every file being
//! read (several at once, compressed ones, standard input); none with `-q`, none when stderr
//! is a file.
//!
//! The pseudo-terminal is util-linux's `script`. Without it the tests say why and pass, except
//! under CI (`CI=true`), where they fail: there the check must run.

mod support;

use std::path::Path;
use std::process::Command;

use support::builder::*;

/// Packets per capture: past 4096 and 65 536, where the read loop updates the line whatever
/// the time.
const PACKETS: usize = 70_000;

/// A capture of `PACKETS` UDP packets between a few pairs of hosts.
fn big_capture() -> Vec<u8> {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let client = [2, 0, 0, 0, 0, 1];
    let router = [2, 0, 0, 0, 0, 2];
    for i in 0..PACKETS {
        let host = std::net::Ipv4Addr::new(10, 0, 0, (i % 50) as u8 + 1);
        let server = std::net::Ipv4Addr::new(52, 112, 0, 1);
        let ip = ipv4_udp(
            host,
            50_000,
            server,
            3478,
            &[0x80, 0, (i >> 8) as u8, i as u8],
        );
        p.packet(
            1_000_000_000 + i as i64 * 1_000_000,
            &ethernet_ip(client, router, &[], &ip),
        );
    }
    p.to_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Whether `script` can run a command under a pseudo-terminal here; if not, says why (and
/// fails under CI).
fn pty_available() -> bool {
    let works = Command::new("script")
        .args(["-qfec", "true", "/dev/null"])
        .output()
        .map(|o| o.status.success());
    match works {
        Ok(true) => true,
        other => {
            let why = match other {
                Ok(_) => "`script -qfec true /dev/null` failed".to_string(),
                Err(e) => format!("util-linux `script` cannot run ({e})"),
            };
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "progress tests need a pseudo-terminal: {why}"
            );
            eprintln!("skipped: progress tests need a pseudo-terminal: {why}");
            false
        }
    }
}

/// Runs the shell command `cmd` in `dir` under a pseudo-terminal 200 columns wide; returns
/// what the terminal showed (stdout and stderr) and the command's exit status.
fn in_pty(dir: &Path, cmd: &str) -> (String, i32) {
    let out = Command::new("script")
        .args([
            "-qfec",
            &format!("stty cols 200 rows 50; {cmd}"),
            "/dev/null",
        ])
        .current_dir(dir)
        // indicatif draws nothing on a terminal that says it is dumb (or says nothing).
        .env("TERM", "xterm")
        .output()
        .expect("script runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// A directory with `a.pcap` and `b.pcap.gz` (the same capture, gzip-compressed).
fn captures() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = big_capture();
    std::fs::write(dir.path().join("a.pcap"), &bytes).expect("write");
    std::fs::write(dir.path().join("b.pcap.gz"), gzip(&bytes)).expect("write");
    dir
}

fn audit(args: &str) -> String {
    format!(
        "'{}' audit --format json -o /dev/null {args}",
        env!("CARGO_BIN_EXE_callpath")
    )
}

fn assert_ran(shown: &str, status: i32) {
    assert!(status == 0 || status == 1, "exit {status}:\n{shown}");
}

#[test]
fn several_files_show_a_line_each_and_one_for_all() {
    if !pty_available() {
        return;
    }
    let dir = captures();
    for threads in ["1", "2"] {
        let (shown, status) = in_pty(
            dir.path(),
            &audit(&format!("--threads {threads} a.pcap b.pcap.gz")),
        );
        assert_ran(&shown, status);
        for line in ["a.pcap [", "b.pcap.gz [", "2 files ["] {
            assert!(
                shown.contains(line),
                "--threads {threads}: no {line:?} in:\n{shown}"
            );
        }
        assert!(shown.contains(" packets "), "{shown}");
        assert!(shown.contains("left"), "time left: {shown}");
    }
}

#[test]
fn one_file_shows_its_line() {
    if !pty_available() {
        return;
    }
    let dir = captures();
    let (shown, status) = in_pty(dir.path(), &audit("b.pcap.gz"));
    assert_ran(&shown, status);
    assert!(shown.contains("b.pcap.gz ["), "{shown}");
    assert!(!shown.contains("files ["), "no line for all files: {shown}");
}

#[test]
fn standard_input_shows_packets_and_bytes_read() {
    if !pty_available() {
        return;
    }
    let dir = captures();
    for file in ["a.pcap", "b.pcap.gz"] {
        let (shown, status) = in_pty(dir.path(), &audit(&format!("- < {file}")));
        assert_ran(&shown, status);
        assert!(shown.contains("standard input: "), "{file}: {shown}");
        assert!(shown.contains(" packets, "), "{file}: {shown}");
        assert!(shown.contains(" read "), "{file}: {shown}");
    }
}

#[test]
fn quiet_shows_nothing() {
    if !pty_available() {
        return;
    }
    let dir = captures();
    for args in ["-q a.pcap b.pcap.gz", "-q a.pcap", "-q - < b.pcap.gz"] {
        let (shown, status) = in_pty(dir.path(), &audit(args));
        assert_ran(&shown, status);
        assert!(!shown.contains("packets"), "{args}: {shown}");
    }
}

#[test]
fn stderr_not_a_terminal_shows_nothing() {
    if !pty_available() {
        return;
    }
    let dir = captures();
    for args in ["a.pcap b.pcap.gz", "a.pcap", "- < b.pcap.gz"] {
        // To a file, and to a pipe.
        let (shown, status) = in_pty(dir.path(), &format!("{} 2> err.txt", audit(args)));
        assert_ran(&shown, status);
        assert!(!shown.contains("packets"), "{args}: {shown}");
        let err = std::fs::read_to_string(dir.path().join("err.txt")).expect("err.txt");
        assert!(!err.contains("packets"), "{args}: {err}");
        let (shown, _) = in_pty(dir.path(), &format!("{} 2>&1 | cat > out.txt", audit(args)));
        assert!(!shown.contains("packets"), "{args}: {shown}");
        let out = std::fs::read_to_string(dir.path().join("out.txt")).expect("out.txt");
        assert!(!out.contains("packets"), "{args}: {out}");
    }
}
