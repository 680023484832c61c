//! The whole pipeline on one capture: bytes -> pipeline (through a `Cursor`, then the
//! correlation stage) -> audit -> the
//! json, ndjson and text reports.
//!
//! Properties, besides "no panic, no abort":
//! - the packets counted equal the frames an independent `CaptureReader` pass yields;
//! - flows never hold more packets than were decoded into flows, nor more than were read;
//!   there are never more flows than flow packets;
//! - a failed read is exactly an error in the report; the JSON report parses back and its
//!   summary agrees with the flows it lists; every ndjson line is a JSON object with a "type";
//!   the HTML report's flow data parses back whole (no `</script>` from a capture cuts it).
#![no_main]

use std::io::Cursor;
use std::sync::OnceLock;

use callpath::audit::{self, AuditInput};
use callpath::capture::CaptureReader;
use callpath::pipeline::{self, CaptureSpec};
use callpath::ranges::Ranges;
use callpath::report;
use callpath::site::Site;
use libfuzzer_sys::fuzz_target;

fn frames(data: &[u8]) -> u64 {
    let Ok(mut r) = CaptureReader::new(Cursor::new(data)) else {
        return 0;
    };
    let mut n = 0;
    while let Ok(Some(_)) = r.next_frame() {
        n += 1;
    }
    n
}

fuzz_target!(|data: &[u8]| {
    let spec = CaptureSpec {
        label: None,
        path: "fuzz.pcap".into(),
    };
    let (summary, table) = pipeline::read_reader(0, &spec, Cursor::new(data));
    assert_eq!(
        summary.packets,
        frames(data),
        "packets counted twice or lost"
    );
    let c = &summary.counters;
    assert!(c.flow_packets <= summary.packets);
    assert!(table.len() as u64 <= c.flow_packets);
    let flow_packets = c.flow_packets;
    let read = summary.packets;
    // Through the correlation stage, as `read_all` does (one file: NAT twins, links).
    let captured = pipeline::correlated(vec![(summary, table)]);
    let (captures, table) = (captured.captures, captured.table);
    let site = Site::default();
    // Parsed once: the bundled snapshot is the same for every input.
    static RANGES: OnceLock<Ranges> = OnceLock::new();
    let ranges = RANGES.get_or_init(|| Ranges::bundled().expect("bundled ranges load"));
    let input = AuditInput {
        site: &site,
        ranges,
        captures: &captures,
        correlation: &captured.correlation,
    };
    let audited = audit::audit(&input, table);
    let rep = report::build(&audited);
    let flows: Vec<_> = (0..rep.len()).filter_map(|i| rep.flow(i)).collect();
    let in_flows: u64 = flows
        .iter()
        .map(|f| f.packets.forward + f.packets.reverse)
        .sum();
    assert_eq!(in_flows, flow_packets, "flow packets lost or invented");
    assert!(in_flows <= read);
    assert_eq!(rep.header.summary.flows, flows.len());
    assert_eq!(rep.header.summary.packets, read);
    assert_eq!(captures[0].failed(), !rep.header.captures[0].errors.is_empty());

    let mut json = Vec::new();
    report::write(report::Format::Json, &rep, &mut json).expect("json report");
    let v: serde_json::Value = serde_json::from_slice(&json).expect("json report parses");
    assert_eq!(v["flows"].as_array().map(Vec::len), Some(flows.len()));
    assert_eq!(v["summary"]["flows"].as_u64(), Some(flows.len() as u64));

    let mut nd = Vec::new();
    report::write(report::Format::Ndjson, &rep, &mut nd).expect("ndjson report");
    for line in nd.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).expect("ndjson line parses");
        assert!(v["type"].is_string());
    }

    let mut text = Vec::new();
    report::write(report::Format::Text, &rep, &mut text).expect("text report");
    assert!(std::str::from_utf8(&text).is_ok());

    // CSV: a header and one CRLF-ended line per flow (lines inside quoted fields aside).
    let mut csv = Vec::new();
    report::write(report::Format::Csv, &rep, &mut csv).expect("csv report");
    assert!(csv.ends_with(b"\r\n"));

    // HTML: nothing from the capture closes the data's script early.
    let mut html = Vec::new();
    report::write(report::Format::Html, &rep, &mut html).expect("html report");
    let page = String::from_utf8(html).expect("html is UTF-8");
    let data = page.find("id=\"flows-data\">").expect("flows data");
    let end = page[data..].find("</script>").expect("data ends") + data;
    let rows: serde_json::Value =
        serde_json::from_str(&page[data + "id=\"flows-data\">".len()..end]).expect("data parses");
    assert_eq!(rows.as_array().map(Vec::len), Some(flows.len()));
});
