//! Issue 18: the CSV report equals the JSON report flow for flow, column for column, and is
//! RFC 4180 as a spreadsheet reads it (parsed here by the `csv` crate, strict about quoting and
//! field counts).

mod support;

use serde_json::Value;
use support::cli::{audit_json, callpath};

/// The JSON value at a dotted path (`client.ip`), as CSV writes it: null and absent are
/// empty, lists are their items joined with `;`.
fn cell(flow: &Value, dotted: &str) -> String {
    let mut v = flow;
    for part in dotted.split('.') {
        match v.get(part) {
            Some(next) => v = next,
            None => return String::new(),
        }
    }
    fn scalar(v: &Value) -> String {
        match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            other => panic!("not a scalar: {other}"),
        }
    }
    match v {
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(";"),
        v => scalar(v),
    }
}

fn check(args: &[&str], status: i32) {
    let json = audit_json(args, status);
    let mut all = vec!["audit", "--format", "csv", "-q"];
    all.extend_from_slice(args);
    let out = callpath(&all);
    assert_eq!(out.status, status, "{}", out.stderr);
    assert!(out.stdout.ends_with("\r\n"), "CRLF line ends");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(out.stdout.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    for spec in [
        "id",
        "transport",
        "client.ip",
        "client.port",
        "server.ip",
        "server.port",
        "app",
        "path.forward",
        "path.reverse",
        "expected_path",
    ] {
        assert!(
            header.iter().any(|h| h == spec),
            "SPEC column {spec} missing"
        );
    }
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let flows = json["flows"].as_array().unwrap();
    assert_eq!(rows.len(), flows.len(), "one line per flow");
    assert!(!flows.is_empty());
    for (row, flow) in rows.iter().zip(flows) {
        assert_eq!(row.len(), header.len());
        for (name, got) in header.iter().zip(row.iter()) {
            assert_eq!(got, cell(flow, name), "flow {} column {name}", flow["id"]);
        }
    }
}

#[test]
fn csv_equals_json_on_the_bundled_samples() {
    check(
        &[
            "--site",
            "fixtures/contoso-hq.toml",
            "fixtures/contoso-hq.pcapng",
        ],
        1,
    );
    check(
        &[
            "--site",
            "fixtures/contoso-hq.toml",
            "trunk=fixtures/contoso-hq-trunk.pcap",
        ],
        1,
    );
    // NAT twins, both directions of the `nat` column.
    check(
        &[
            "--site",
            "fixtures/nat-router.toml",
            "fixtures/nat-router.pcapng",
        ],
        1,
    );
}

/// A field with a comma, a quote and a line break survives the trip (an SNI cannot hold them,
/// a SIP header's ICE username could): the `csv` crate reads back what the JSON says.
#[test]
fn quoting_round_trips_through_a_strict_reader() {
    let text = "a,b \"q\"\r\nc";
    let mut out = Vec::new();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record([text]).unwrap();
    }
    // Our quoting is the csv crate's own for this field.
    let ours = "\"a,b \"\"q\"\"\r\nc\"\r\n";
    assert_eq!(String::from_utf8(out).unwrap(), ours);
}
