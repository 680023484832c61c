//! Compressed captures (issue 13): a gzip or zstd copy of a capture, through a path or standard
//! input, gives the same report as the capture itself; a cut or corrupt stream is an error of
//! its file (exit 2) that names the compression, with the report of what was read.
//!
//! Each copy is written under the same file name as the plain capture, in its own directory,
//! and the binary runs there: the report names the capture by its path, so the reports must
//! then be identical byte for byte.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A way to compress a capture.
type Compress = fn(&[u8]) -> Vec<u8>;

const FIXTURES: [&str; 2] = ["contoso-hq.pcapng", "contoso-hq-trunk.pcap"];

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn site() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/contoso-hq.toml")
        .to_string_lossy()
        .into_owned()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// Two gzip members back to back (`cat a.gz b.gz`, or what `pigz` and `bgzip` write).
fn gzip_two_members(data: &[u8]) -> Vec<u8> {
    let (a, b) = data.split_at(data.len() / 3);
    [gzip(a), gzip(b)].concat()
}

/// With a checksum, as the `zstd` command writes by default.
fn zstd(data: &[u8]) -> Vec<u8> {
    let mut e = zstd::stream::Encoder::new(Vec::new(), 3).expect("zstd");
    e.include_checksum(true).expect("zstd");
    e.write_all(data).expect("zstd");
    e.finish().expect("zstd")
}

/// Two zstd frames back to back.
fn zstd_two_frames(data: &[u8]) -> Vec<u8> {
    let (a, b) = data.split_at(data.len() / 2);
    [zstd(a), zstd(b)].concat()
}

/// What one run gave: exit status, stdout, stderr.
#[derive(Debug, PartialEq)]
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr:\n{}", self.stderr))
    }
}

/// `run` without the one mark of a compressed capture: `"compression": "gzip",` in JSON, ` (gzip)`
/// after the format in text. The mark must be there.
fn unmarked(mut run: Run, compression: &str) -> Run {
    let z = compression.split(',').next().unwrap_or(compression);
    let json_mark = format!("\n      \"compression\": \"{z}\",");
    let text_mark = format!(" ({z})  ");
    let before = run.stdout.clone();
    run.stdout = run.stdout.replacen(&json_mark, "", 1);
    if run.stdout == before {
        run.stdout = run.stdout.replacen(&text_mark, "  ", 1);
    }
    assert_ne!(
        run.stdout, before,
        "the report does not say the capture was {z}"
    );
    run
}

/// Runs the binary in `dir` with `args`, `stdin` fed to it (else none).
fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("callpath runs");
    // Written from another thread: the child may fill its stdout pipe before it has read all.
    let writer = stdin.map(|data| {
        let data = data.to_vec();
        let mut pipe = child.stdin.take().expect("stdin pipe");
        std::thread::spawn(move || {
            // The child stops reading at an error of the stream: not the test's failure.
            let _ = pipe.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("callpath finishes");
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A directory holding `bytes` as `name`.
fn dir_with(name: &str, bytes: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), bytes).expect("write");
    dir
}

fn audit_args<'a>(
    format: &'a str,
    threads: &'a str,
    site: &'a str,
    capture: &'a str,
) -> Vec<&'a str> {
    vec![
        "audit",
        "--format",
        format,
        "--threads",
        threads,
        "--site",
        site,
        "-q",
        capture,
    ]
}

/// Every fixture, compressed every way, read through a path and through standard input, with
/// one and two threads, gives the plain capture's json and text reports, byte for byte.
#[test]
fn compressed_copies_give_the_same_reports() {
    let site = site();
    let compressions: [(&str, Compress); 4] = [
        ("gzip", gzip),
        ("gzip, two members", gzip_two_members),
        ("zstd", zstd),
        ("zstd, two frames", zstd_two_frames),
    ];
    let here = tempfile::tempdir().expect("tempdir");
    for name in FIXTURES {
        let plain = fixture(name);
        let plain_dir = dir_with(name, &plain);
        for format in ["json", "text"] {
            for threads in ["1", "2"] {
                let by_path = run_in(
                    plain_dir.path(),
                    &audit_args(format, threads, &site, name),
                    None,
                );
                assert!(
                    by_path.status == 0 || by_path.status == 1,
                    "{name}: {by_path:?}"
                );
                assert!(!by_path.stdout.is_empty());
                let by_stdin = run_in(
                    here.path(),
                    &audit_args(format, threads, &site, "-"),
                    Some(&plain),
                );
                assert_eq!(by_stdin.status, by_path.status, "{name} on stdin");
                for (compression, compress) in compressions {
                    let bytes = compress(&plain);
                    assert_ne!(bytes, plain);
                    let dir = dir_with(name, &bytes);
                    let got = run_in(dir.path(), &audit_args(format, threads, &site, name), None);
                    let got = unmarked(got, compression);
                    assert_eq!(
                        got, by_path,
                        "{name} as {compression}, --format {format} --threads {threads}"
                    );
                    let got = run_in(
                        here.path(),
                        &audit_args(format, threads, &site, "-"),
                        Some(&bytes),
                    );
                    let got = unmarked(got, compression);
                    assert_eq!(
                        got, by_stdin,
                        "{name} as {compression} on stdin, --format {format} --threads {threads}"
                    );
                }
            }
        }
    }
}

/// A gzip file cut in the middle: exit 2, the error names the file, the compression and how
/// far it got; the report of the packets before the cut is printed.
#[test]
fn a_truncated_gzip_file_is_an_error_with_the_report_of_what_was_read() {
    let name = "contoso-hq.pcapng";
    let bytes = gzip(&fixture(name));
    let cut = &bytes[..bytes.len() / 2];
    let dir = dir_with("cut.pcapng.gz", cut);
    let site = site();
    for threads in ["1", "2"] {
        let run = run_in(
            dir.path(),
            &audit_args("json", threads, &site, "cut.pcapng.gz"),
            None,
        );
        assert_eq!(run.status, 2, "{run:?}");
        let error = "cut.pcapng.gz: cannot read: gzip stream ends early (the compressed file is \
                     truncated) after ";
        assert!(run.stderr.contains(error), "{}", run.stderr);
        assert!(
            run.stderr.contains("bytes of decompressed capture"),
            "{}",
            run.stderr
        );
        let report = run.json();
        let capture = &report["captures"][0];
        assert!(
            capture["errors"][0]
                .as_str()
                .unwrap_or_default()
                .starts_with(error),
            "{capture}"
        );
        assert_eq!(capture["format"], "pcapng");
        let packets = capture["packets"].as_u64().unwrap_or_default();
        assert!(
            packets > 100,
            "the packets before the cut are kept: {packets}"
        );
        assert!(!report["flows"].as_array().expect("flows").is_empty());
    }
    // The same on standard input: the error names it.
    let run = run_in(dir.path(), &audit_args("json", "1", &site, "-"), Some(cut));
    assert_eq!(run.status, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("-: cannot read: gzip stream ends early"),
        "{}",
        run.stderr
    );
    assert!(
        run.json()["captures"][0]["packets"]
            .as_u64()
            .unwrap_or_default()
            > 100
    );
}

/// A zstd file with damaged bytes: the frame's checksum (or its structure) says so; exit 2, the
/// error names the file and the compression, the report is printed.
#[test]
fn a_corrupt_zstd_file_is_an_error_with_the_report_of_what_was_read() {
    let name = "contoso-hq-trunk.pcap";
    let mut bytes = zstd(&fixture(name));
    // In the last block (before the 4-byte checksum): the first block (128 KiB of the
    // capture) decodes before the damage.
    let at = bytes.len() - 24;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0xa5;
    }
    let dir = dir_with("bad.pcap.zst", &bytes);
    let site = site();
    for threads in ["1", "2"] {
        let run = run_in(
            dir.path(),
            &audit_args("json", threads, &site, "bad.pcap.zst"),
            None,
        );
        assert_eq!(run.status, 2, "{run:?}");
        let error = "bad.pcap.zst: cannot read: zstd stream is corrupt (";
        assert!(run.stderr.contains(error), "{}", run.stderr);
        let report = run.json();
        let capture = &report["captures"][0];
        assert!(
            capture["errors"][0]
                .as_str()
                .unwrap_or_default()
                .starts_with(error),
            "{capture}"
        );
        assert_eq!(capture["format"], "pcap");
        assert!(
            capture["packets"].as_u64().unwrap_or_default() > 100,
            "{capture}"
        );
    }
}

/// A compressed stream that ends cleanly around a capture whose last record is cut reads as
/// the plain cut capture does: a warning, not an error.
#[test]
fn a_cut_capture_inside_a_whole_stream_is_read_as_the_plain_one() {
    let site = site();
    for name in FIXTURES {
        let plain = fixture(name);
        let cut = &plain[..plain.len() - 7];
        let plain_dir = dir_with(name, cut);
        let expected = run_in(
            plain_dir.path(),
            &audit_args("json", "1", &site, name),
            None,
        );
        assert!(expected.stderr.contains("warning"), "{}", expected.stderr);
        assert_ne!(expected.status, 2, "{expected:?}");
        for (z, bytes) in [("gzip", gzip(cut)), ("zstd", zstd(cut))] {
            let dir = dir_with(name, &bytes);
            let got = run_in(dir.path(), &audit_args("json", "1", &site, name), None);
            assert_eq!(unmarked(got, z), expected, "{name}");
        }
    }
}

/// Not a capture inside: the usual error, about what was decompressed.
#[test]
fn a_compressed_file_that_holds_no_capture() {
    let dir = dir_with("notes.txt.gz", &gzip(b"GIF89a, not a capture"));
    let run = run_in(dir.path(), &["audit", "-q", "notes.txt.gz"], None);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("notes.txt.gz: not a pcap or pcapng file (magic number 0x47494638)"),
        "{}",
        run.stderr
    );
    let dir = dir_with("empty.pcap.zst", &zstd(b""));
    let run = run_in(dir.path(), &["audit", "-q", "empty.pcap.zst"], None);
    assert_eq!(run.status, 2, "{run:?}");
    assert!(
        run.stderr.contains("empty.pcap.zst: file is empty"),
        "{}",
        run.stderr
    );
}

/// Writes fuzz seeds for `fuzz_targets/compressed.rs`: the committed builder captures of the
/// pipeline target, compressed every way. Run by `fuzz/seed.sh`.
#[test]
#[ignore = "writes fuzz seeds; run by fuzz/seed.sh"]
fn write_compressed_fuzz_seeds() {
    let Ok(root) = std::env::var("CALLPATH_FUZZ_SEEDS") else {
        panic!("set CALLPATH_FUZZ_SEEDS to the fuzz/corpus directory");
    };
    let root = PathBuf::from(root);
    let out = root.join("compressed");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("pipeline"))
        .expect("fuzz/corpus/pipeline")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("builder-"))
        })
        .collect();
    names.sort();
    for path in names {
        let data = std::fs::read(&path).expect("seed");
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        // The target's first byte is the read size (see fuzz_targets/compressed.rs).
        for (suffix, bytes) in [
            ("gz", gzip(&data)),
            ("2.gz", gzip_two_members(&data)),
            ("zst", zstd(&data)),
            ("2.zst", zstd_two_frames(&data)),
        ] {
            let seed = [&[7u8][..], &bytes].concat();
            std::fs::write(out.join(format!("{name}.{suffix}")), seed).expect("write");
        }
    }
}
