//! Issue 18: the HTML report in a real browser. Headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) loads the report of the bundled sample from a file and dumps the DOM
//! after its script ran: no script error, every finding code, every flow's addresses, one SVG
//! per call with the four segment names, sorting and filtering (the table's state is in the URL
//! fragment, so a view loads from a URL); a capture whose SNI and SIP headers hold `<script>`
//! and quotes shows them as text. A screenshot of the sample's report is kept at
//! `target/html-report/contoso-hq.png` (CI's artefact); `CALLPATH_BLESS=1` copies it to
//! `docs/report.png`, the README's picture.
//!
//! Without Chromium the tests say they are skipped and pass; with `CI=true` they fail.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::builder::{tcp_session, Dir, Iface, Pcapng};
use support::calls::{sa, T0};
use support::cli::{audit_json, callpath};
use support::payloads::{sip_invite, tls_client_hello};

/// The browser, if there is one.
fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome", "chrome"] {
        if let Ok(out) = Command::new("which").arg(name).output() {
            if out.status.success() {
                let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if !path.is_empty() {
                    return Some(PathBuf::from(path));
                }
            }
        }
    }
    None
}

/// The browser, or None after saying why the test is skipped (a failure under `CI=true`).
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "{test}: chromium is not installed (apt-get install chromium); CI must run it"
        );
        eprintln!("{test}: skipped: chromium is not installed (apt-get install chromium)");
    }
    found
}

fn headless(browser: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--hide-scrollbars",
        "--virtual-time-budget=5000",
    ]);
    // Its profile in a directory of its own: tests run in parallel.
    let profile = tempfile::tempdir().unwrap().keep();
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

/// The DOM of `file` (with URL fragment `fragment`) after the page's script ran.
fn dom(browser: &Path, file: &Path, fragment: &str) -> String {
    let url = format!("file://{}#{fragment}", file.display());
    let out = headless(browser)
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium --dump-dom {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(dom.contains("id=\"flow-rows\""), "no flows table in {url}");
    // The page's error handler shows script errors in #errors; it must stay hidden and empty.
    assert!(
        dom.contains("<div id=\"errors\" hidden=\"\"></div>"),
        "script errors on {url}: {}",
        &dom[dom.find("id=\"errors\"").unwrap_or(0)..][..300.min(dom.len())]
    );
    dom
}

/// The ids of the table's rows, in order.
fn row_ids(dom: &str) -> Vec<u64> {
    dom.match_indices("<tr class=\"flow\" id=\"flow-")
        .map(|(at, m)| {
            let rest = &dom[at + m.len()..];
            rest[..rest.find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

fn write_html(dir: &Path, name: &str, args: &[&str], status: i32) -> PathBuf {
    let file = dir.join(name);
    let mut all = vec!["audit", "--format", "html", "-q", "-o"];
    let path = file.to_str().unwrap().to_string();
    all.push(&path);
    all.extend_from_slice(args);
    let out = callpath(&all);
    assert_eq!(out.status, status, "{}", out.stderr);
    file
}

const SAMPLE: [&str; 3] = [
    "--site",
    "fixtures/contoso-hq.toml",
    "fixtures/contoso-hq.pcapng",
];

#[test]
fn the_sample_report_renders_everything_in_a_browser() {
    let Some(browser) = browser_or_skip("the_sample_report_renders_everything_in_a_browser") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = write_html(dir.path(), "contoso-hq.html", &SAMPLE, 1);
    let json = audit_json(&SAMPLE, 1);
    let page = std::fs::read_to_string(&file).unwrap();
    // Self-contained: nothing fetched from anywhere.
    for external in ["src=\"http", "href=\"http", "@import", "url(http", "<link"] {
        assert!(!page.contains(external), "the report loads {external}");
    }
    let page_dom = dom(&browser, &file, "");
    let dom_text = &page_dom;
    // Every finding code of the run, and every flow's addresses (all 22 flows on one page).
    for f in json["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        assert!(dom_text.contains(code), "finding {code} not shown");
    }
    let flows = json["flows"].as_array().unwrap();
    assert_eq!(row_ids(dom_text).len(), flows.len());
    for f in flows {
        for end in ["client", "server"] {
            let ip = f[end]["ip"].as_str().unwrap();
            let port = f[end]["port"].as_u64().unwrap();
            let shown = if ip.contains(':') {
                format!("[{ip}]:{port}")
            } else {
                format!("{ip}:{port}")
            };
            assert!(
                dom_text.contains(&shown),
                "flow {} {end} {shown} not shown",
                f["id"]
            );
        }
    }
    // One SVG per call, each with the four segments of CALL-FLOWS.md.
    let calls = json["calls"].as_array().unwrap().len();
    let svgs: Vec<&str> = dom_text
        .split("<svg class=\"call-diagram\"")
        .skip(1)
        .collect();
    assert_eq!(svgs.len(), calls);
    for svg in svgs {
        let svg = &svg[..svg.find("</svg>").unwrap()];
        for segment in [
            "your network",
            "Internet",
            "ExpressRoute",
            "Microsoft network",
        ] {
            assert!(
                svg.contains(&format!(">{segment}</text>")),
                "{segment} missing"
            );
        }
    }

    // Sorting: by bytes, largest first (ties by id), as the JSON's flows say.
    let mut by_bytes: Vec<(u64, u64)> = flows
        .iter()
        .map(|f| {
            let b =
                f["bytes"]["forward"].as_u64().unwrap() + f["bytes"]["reverse"].as_u64().unwrap();
            (b, f["id"].as_u64().unwrap())
        })
        .collect();
    by_bytes.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)));
    let sorted = row_ids(&dom_sorted(&browser, &file));
    assert_eq!(
        sorted,
        by_bytes.iter().map(|(_, id)| *id).collect::<Vec<_>>()
    );

    // Filtering, each filter against the JSON.
    let ids = |pred: &dyn Fn(&Value) -> bool| -> Vec<u64> {
        flows
            .iter()
            .filter(|f| pred(f))
            .map(|f| f["id"].as_u64().unwrap())
            .collect()
    };
    let has_path = |f: &Value, p: &str| f["path"]["forward"] == p || f["path"]["reverse"] == p;
    let has_code = |f: &Value, c: &str| f["findings"].as_array().unwrap().iter().any(|x| x == c);
    let cases: Vec<(&str, Vec<u64>)> = vec![
        ("app=rtp", ids(&|f| f["app"] == "rtp")),
        (
            "finding=asymmetric-route",
            ids(&|f| has_code(f, "asymmetric-route")),
        ),
        ("path=internet", ids(&|f| has_path(f, "internet"))),
        (
            "addr=10.10.1.22",
            ids(&|f| f["client"]["ip"] == "10.10.1.22" || f["server"]["ip"] == "10.10.1.22"),
        ),
        (
            "app=rtp&path=expressroute",
            ids(&|f| f["app"] == "rtp" && has_path(f, "expressroute")),
        ),
    ];
    for (fragment, want) in cases {
        assert!(!want.is_empty(), "{fragment} selects nothing in the sample");
        let got = row_ids(&dom(&browser, &file, fragment));
        assert_eq!(got, want, "#{fragment}");
    }

    // The screenshot: CI's artefact, and the README's picture when blessing.
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/html-report");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join("contoso-hq.png");
    let out = headless(&browser)
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2400")
        .arg(format!("file://{}", file.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 20_000);
    if std::env::var_os("CALLPATH_BLESS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).unwrap();
        std::fs::copy(&png, docs.join("report.png")).unwrap();
    }
}

fn dom_sorted(browser: &Path, file: &Path) -> String {
    dom(browser, file, "sort=bytes&dir=desc")
}

/// A capture whose SNI, SIP From and Call-ID carry markup and quotes: the page shows them as
/// text, and no element comes from them.
#[test]
fn markup_from_a_capture_is_shown_as_text() {
    let Some(browser) = browser_or_skip("markup_from_a_capture_is_shown_as_text") else {
        return;
    };
    let evil_sni = r#"<script>alert("sni")</script>'x.example"#;
    let evil_call_id = r#"<img src=x onerror=alert('sip')>"@evil"#;
    let evil_from = r#"<script>alert('from')</script>@example.com"#;
    let tls = tcp_session(
        sa("10.10.1.30:51000"),
        sa("93.184.216.34:443"),
        T0,
        &[(Dir::Forward, tls_client_hello(evil_sni, &["h2"], 0))],
    );
    let sip = tcp_session(
        sa("10.10.1.31:51001"),
        sa("10.30.0.10:5060"),
        T0 + 1_000_000,
        &[(
            Dir::Forward,
            sip_invite(
                evil_call_id,
                evil_from,
                "bob@example.com",
                "10.10.1.31",
                None,
            ),
        )],
    );
    let mut ng = Pcapng::new();
    let lan = ng.interface(Iface::ethernet("lan0"));
    for (ts, ip, _) in support::builder::merge(&[tls, sip]) {
        ng.packet(
            lan,
            ts,
            &support::builder::ethernet_ip([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2], &[], &ip),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("evil.pcapng");
    std::fs::write(&cap, ng.to_bytes()).unwrap();
    let cap = cap.to_str().unwrap().to_string();
    let args = ["--fail-on", "never", cap.as_str()];
    let json = audit_json(&args, 0);
    let shown_sni = json["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["sni"].as_str())
        .expect("the SNI is read");
    assert_eq!(shown_sni, evil_sni);
    let file = write_html(dir.path(), "evil.html", &args, 0);
    let page = std::fs::read_to_string(&file).unwrap();
    // In the file: no markup from the capture, anywhere.
    assert!(!page.contains("<script>alert"), "raw script in the file");
    assert!(!page.contains("<img src=x"), "raw img in the file");
    let dom_text = dom(&browser, &file, "");
    let dom = &dom_text;
    // In the page: the text, escaped as text, and no element made of it.
    assert!(
        dom.contains("&lt;script&gt;alert(\"sni\")&lt;/script&gt;'x.example"),
        "SNI text"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=alert('sip')&gt;"),
        "Call-ID text"
    );
    assert!(
        dom.contains("&lt;script&gt;alert('from')&lt;/script&gt;"),
        "From text"
    );
    assert!(!dom.contains("<script>alert"));
    assert!(!dom.contains("<img src=\"x\""));
}
