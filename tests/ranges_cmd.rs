//! Issue 21: `callpath ranges show | lookup | update | diff` and the choice of snapshot. The
//! update talks to a local HTTP server this test starts (std's TcpListener): a current version,
//! a newer one, a malformed answer, HTTP 500, a server that never answers (the timeout), an
//! endpoints file that does not validate. The cache (XDG_CACHE_HOME) is a temporary directory.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use support::cli::callpath_env;

/// What the fake web service answers: (status, body) for the version and endpoints paths;
/// `stall` makes it accept and never answer.
#[derive(Clone)]
struct Service {
    version: (u16, String),
    endpoints: (u16, String),
    stall: bool,
}

/// Starts the service; its URL and the request lines it saw.
fn serve(s: Service) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let s = s.clone();
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                // The headers, to the blank line.
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                log.lock().unwrap().push(line.trim().to_string());
                if s.stall {
                    std::thread::sleep(Duration::from_secs(10));
                    return;
                }
                let (status, body) = if line.contains("/version/") {
                    s.version.clone()
                } else {
                    s.endpoints.clone()
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
            });
        }
    });
    (url, seen)
}

fn bundled_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ip-ranges/worldwide.json"))
        .unwrap()
}

fn version(v: &str) -> (u16, String) {
    (
        200,
        format!("{{\"instance\": \"Worldwide\", \"latest\": \"{v}\"}}"),
    )
}

fn update(url: &str, cache: &Path, extra: &[&str]) -> support::cli::Outcome {
    let mut args = vec!["ranges", "update", "--service-url", url];
    args.extend_from_slice(extra);
    callpath_env(&args, &[("XDG_CACHE_HOME", cache.to_str().unwrap())])
}

fn cached_files(cache: &Path) -> Vec<String> {
    let dir = cache.join("callpath/ranges");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn audit_json(cache: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "audit",
        "-q",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--site",
        "fixtures/contoso-hq.toml",
    ];
    args.extend_from_slice(extra);
    args.push("fixtures/contoso-hq.pcapng");
    let out = callpath_env(&args, &[("XDG_CACHE_HOME", cache.to_str().unwrap())]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.json()
}

#[test]
fn update_stores_a_newer_snapshot_and_runs_use_it() {
    let cache = tempfile::tempdir().unwrap();
    // Nothing cached: the bundled snapshot, stale against the 2026-11 sample.
    let r = audit_json(cache.path(), &[]);
    assert_eq!(r["ranges"]["source"], "bundled");
    let warnings = r["ranges"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .contains("callpath ranges update"));

    let (url, seen) = serve(Service {
        version: version("2026110500"),
        endpoints: (200, bundled_text()),
        stall: false,
    });
    let out = update(&url, cache.path(), &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("updated to version 2026110500 (none cached before)"),
        "{}",
        out.stdout
    );
    assert_eq!(cached_files(cache.path()), ["worldwide-2026110500.json"]);
    // Microsoft's documented calls, each with a clientrequestid GUID.
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("GET /version/Worldwide?clientrequestid="),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("GET /endpoints/Worldwide?clientrequestid="),
        "{lines:?}"
    );
    let guid = lines[0]
        .split("clientrequestid=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    assert_eq!(guid.len(), 36, "{guid}");

    // Runs now use the cached snapshot: source cache, its version and date, no staleness.
    let r = audit_json(cache.path(), &[]);
    assert_eq!(r["ranges"]["source"], "cache");
    assert_eq!(r["ranges"]["version"], "2026110500");
    assert_eq!(r["ranges"]["as_of"], "2026-11-05");
    assert!(r["ranges"]["warnings"].as_array().unwrap().is_empty());
    // --ranges FILE wins over the cache.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("ip-ranges/worldwide.json");
    let r = audit_json(cache.path(), &["--ranges", file.to_str().unwrap()]);
    assert_eq!(r["ranges"]["source"], "file");
    assert_eq!(r["ranges"]["file"], file.to_str().unwrap());
    let show = callpath_env(
        &["ranges", "show"],
        &[("XDG_CACHE_HOME", cache.path().to_str().unwrap())],
    );
    assert!(show.stdout.contains("source cache"), "{}", show.stdout);
    assert!(
        show.stdout.contains("version 2026110500"),
        "{}",
        show.stdout
    );

    // The same version again: nothing fetched but the version.
    let (url, seen) = serve(Service {
        version: version("2026110500"),
        endpoints: (500, "must not be asked".into()),
        stall: false,
    });
    let out = update(&url, cache.path(), &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("are current: version 2026110500"),
        "{}",
        out.stdout
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn failed_updates_leave_the_cache_alone_and_exit_2() {
    let cache = tempfile::tempdir().unwrap();
    let cases: Vec<(Service, &[&str], &str)> = vec![
        (
            Service {
                version: (200, "{\"latest\": 12}".into()),
                endpoints: (200, bundled_text()),
                stall: false,
            },
            &[],
            "no \"latest\" version",
        ),
        (
            Service {
                version: (200, "not json".into()),
                endpoints: (200, bundled_text()),
                stall: false,
            },
            &[],
            "not the version answer",
        ),
        (
            Service {
                version: (500, "internal error".into()),
                endpoints: (200, bundled_text()),
                stall: false,
            },
            &[],
            "HTTP 500",
        ),
        (
            Service {
                version: version("2026110500"),
                endpoints: (200, "[{\"id\": 1}]".into()),
                stall: false,
            },
            &[],
            "the downloaded endpoints are not usable",
        ),
        (
            Service {
                version: version("2026110500"),
                endpoints: (200, bundled_text()),
                stall: true,
            },
            &["--timeout", "1"],
            "timed out",
        ),
    ];
    for (service, extra, says) in cases {
        let (url, _) = serve(service);
        let started = std::time::Instant::now();
        let out = update(&url, cache.path(), extra);
        assert_eq!(out.status, 2, "{says}: {}", out.stdout);
        assert!(
            out.stderr.to_lowercase().contains(&says.to_lowercase()),
            "{says}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("runs go on with the bundled snapshot"),
            "{}",
            out.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{says}: too slow"
        );
        assert!(
            cached_files(cache.path()).is_empty(),
            "{says}: {:?}",
            cached_files(cache.path())
        );
    }
    // Nothing listening: an error naming the service, the bundled snapshot still in use.
    let out = update("http://127.0.0.1:9", cache.path(), &["--timeout", "2"]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("127.0.0.1:9"), "{}", out.stderr);
    assert_eq!(audit_json(cache.path(), &[])["ranges"]["source"], "bundled");
}

fn lookup(q: &str) -> Value {
    let out = callpath_env(&["ranges", "lookup", q, "--format", "json"], &[]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    out.json()
}

fn ids(v: &Value) -> Vec<u64> {
    v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn lookup_answers_what_users_ask() {
    let media = lookup("52.112.10.5:3479/udp");
    assert_eq!(ids(&media), [11]);
    assert_eq!(media["matches"][0]["express_route"], true);
    assert_eq!(media["matches"][0]["category"], "Optimize");
    assert_eq!(media["port"], 3479);
    assert_eq!(media["transport"], "udp");
    assert_eq!(media["ranges"]["source"], "bundled");
    assert_eq!(ids(&lookup("52.112.10.5:443/tcp")), [12]);
    // No port: every set holding the address.
    assert_eq!(ids(&lookup("52.112.10.5")), [11, 12]);
    let v6 = lookup("[2603:1063::1]:3479/udp");
    assert_eq!(ids(&v6), [11]);
    assert_eq!(v6["address"], "2603:1063::1");
    assert!(ids(&lookup("93.184.216.34:443/tcp")).is_empty());
    // A malformed query: exit 2.
    let out = callpath_env(&["ranges", "lookup", "52.112.10.5:70000"], &[]);
    assert_eq!(out.status, 2);
    assert!(out.stderr.contains("is not a port"), "{}", out.stderr);
    let text = callpath_env(&["ranges", "lookup", "52.113.10.5:3479/udp"], &[]);
    assert!(
        text.stdout
            .contains("Office 365 endpoint set 11 (Skype, Optimize), ExpressRoute: yes"),
        "{}",
        text.stdout
    );
}

#[test]
fn diff_names_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.json");
    let new = dir.path().join("new.json");
    let text = bundled_text();
    std::fs::write(&old, &text).unwrap();
    // Teams media loses a prefix and gains one, set 12 loses ExpressRoute.
    let mut sets: Vec<Value> = serde_json::from_str(&text).unwrap();
    for s in &mut sets {
        if s["id"] == 11 {
            let ips = s["ips"].as_array_mut().unwrap();
            let gone = ips.remove(0);
            ips.push(Value::from("198.51.100.0/24"));
            s["note_removed"] = gone;
        }
        if s["id"] == 12 {
            s["expressRoute"] = Value::from(false);
        }
    }
    for s in &mut sets {
        s.as_object_mut().unwrap().remove("note_removed");
    }
    std::fs::write(&new, serde_json::to_string(&sets).unwrap()).unwrap();
    let out = callpath_env(
        &[
            "ranges",
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("set 11 (Skype): prefix added 198.51.100.0/24"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("set 11 (Skype): prefix removed "),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("set 12 (Skype): expressRoute true -> false"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("3 differences"), "{}", out.stdout);
}
