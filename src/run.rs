//! Running a command: configuration, reading, auditing, writing; returns the exit status.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::audit::{self, AuditInput};
use crate::cli::{AuditArgs, Cli, Command, FailOn, InterfacesArgs, OutputFormat};
use crate::config::Config;
use crate::flow::FlowTable;
use crate::ingest::{self, CaptureSummary};
use crate::proto::Transport;
use crate::report::{self, mac_text};

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Audit(a) => run_audit(a),
        Command::Interfaces(a) => run_interfaces(a),
    }
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        b = b.num_threads(n);
    }
    b.build().context("cannot start worker threads")
}

/// Phase timings on stderr when `CALLPATH_TIMINGS` is set (benchmark support, not a feature).
struct Timings(Option<std::time::Instant>);

impl Timings {
    fn from_env() -> Timings {
        Timings(std::env::var_os("CALLPATH_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn lap(&mut self, phase: &str) {
        if let Some(t) = self.0.as_mut() {
            eprintln!(
                "callpath: timing: {phase} {:.3} s",
                t.elapsed().as_secs_f64()
            );
            *t = std::time::Instant::now();
        }
    }

    /// Where each file split across threads waited while it was read.
    fn stalls(&self, captures: &[CaptureSummary]) {
        if self.0.is_none() {
            return;
        }
        for s in captures.iter().filter_map(|c| c.stalls.as_ref()) {
            let idle: Vec<String> = s
                .workers_idle
                .iter()
                .map(|d| format!("{:.3}", d.as_secs_f64()))
                .collect();
            eprintln!(
                "callpath: timing: reader blocked {:.3} s, workers idle {} s",
                s.reader_blocked.as_secs_f64(),
                idle.join(" ")
            );
        }
    }
}

/// Report output: one concrete `BufWriter` over the file or stdout, so the header's many small
/// writes are copies into the buffer; the flow chunks (~1 MB each) are larger than it and go
/// straight to the file.
fn output(path: Option<&std::path::Path>) -> Result<BufWriter<Box<dyn Write + Send>>> {
    let inner: Box<dyn Write + Send> = match path {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)
        }
        None => raw_stdout(),
    };
    Ok(BufWriter::with_capacity(256 << 10, inner))
}

/// Standard output without `Stdout`'s line buffering, which would search every chunk for its
/// last newline and split the write there.
#[cfg(unix)]
fn raw_stdout() -> Box<dyn Write + Send> {
    use std::os::fd::AsFd;
    match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(File::from(fd)),
        Err(_) => Box::new(io::stdout()),
    }
}

#[cfg(not(unix))]
fn raw_stdout() -> Box<dyn Write + Send> {
    Box::new(io::stdout())
}

fn run_audit(args: AuditArgs) -> Result<u8> {
    let config = Config::new(
        &args.captures,
        args.site.as_deref(),
        args.ranges.as_deref(),
        args.fail_on,
        args.threads,
    )?;
    let pool = thread_pool(config.threads)?;
    let mut timings = Timings::from_env();
    let (captures, table) = ingest::read_all(&config.captures, !args.quiet, &pool);
    timings.lap("read");
    timings.stalls(&captures);
    let input = AuditInput {
        site: &config.site,
        ranges: &config.ranges,
        captures: &captures,
    };
    let report = pool.install(|| audit::audit(&input, table));
    timings.lap("audit");
    let mut out = output(args.output.as_deref())?;
    // The JSON writer builds flow reports in parallel: within the --threads pool.
    pool.install(|| match args.format {
        OutputFormat::Json => report::json::write_json(&report, &mut out),
        OutputFormat::Ndjson => report::json::write_ndjson(&report, &mut out),
        OutputFormat::Text => report::text::write_text(&report, &mut out),
    })
    .and_then(|()| out.flush())
    .context("cannot write the report")?;
    timings.lap("write");
    let failing = report.fails(config.fail_on);
    // The process ends right after: freeing every flow's state one by one would only cost time
    // (~10 % of a run with 50 000 flows).
    std::mem::forget(report);
    for c in &captures {
        for e in &c.errors {
            eprintln!("callpath: error: {e}");
        }
        for w in &c.warnings {
            eprintln!("callpath: warning: {w}");
        }
    }
    if captures.iter().any(CaptureSummary::failed) {
        return Ok(2);
    }
    Ok(u8::from(failing))
}

/// One thing a `[[path]]` rule can name, with what was seen on it.
#[derive(Serialize, Default)]
struct PointStats {
    kind: &'static str,
    value: String,
    packets: u64,
    flows: u64,
    /// Share of these packets whose remote end is in an Office 365 range (0..1).
    o365_share: f64,
    /// Path the site profile assigns, if any.
    path: Option<&'static str>,
    #[serde(skip)]
    o365_packets: u64,
}

fn run_interfaces(args: InterfacesArgs) -> Result<u8> {
    let config = Config::new(
        &args.captures,
        args.site.as_deref(),
        args.ranges.as_deref(),
        FailOn::Never,
        args.threads,
    )?;
    let pool = thread_pool(config.threads)?;
    let (captures, table) = ingest::read_all(&config.captures, true, &pool);
    let stats = interface_stats(&config, &captures, table);
    let mut out = output(None)?;
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &stats)?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {
            for s in &stats {
                serde_json::to_writer(&mut out, s)?;
                writeln!(out)?;
            }
        }
        OutputFormat::Text => {
            writeln!(
                out,
                "{:<12} {:<32} {:>10} {:>8} {:>7}  path",
                "kind", "value", "packets", "flows", "o365"
            )?;
            for s in &stats {
                writeln!(
                    out,
                    "{:<12} {:<32} {:>10} {:>8} {:>6.1}%  {}",
                    s.kind,
                    s.value,
                    s.packets,
                    s.flows,
                    s.o365_share * 100.0,
                    s.path.unwrap_or("-")
                )?;
            }
        }
    }
    out.flush()?;
    for c in &captures {
        for e in &c.errors {
            eprintln!("callpath: error: {e}");
        }
    }
    Ok(if captures.iter().any(CaptureSummary::failed) {
        2
    } else {
        0
    })
}

fn interface_stats(
    config: &Config,
    captures: &[CaptureSummary],
    table: FlowTable,
) -> Vec<PointStats> {
    let input = AuditInput {
        site: &config.site,
        ranges: &config.ranges,
        captures,
    };
    let mut map: BTreeMap<(&'static str, String), (PointStats, u64)> = BTreeMap::new();
    let mut flow_no: u64 = 0;
    for (key, state) in table.into_flows() {
        flow_no += 1;
        let transport = Transport::of_protocol(key.protocol);
        let o365 = config
            .ranges
            .lookup(key.a.ip, transport, key.a.port)
            .is_some()
            || config
                .ranges
                .lookup(key.b.ip, transport, key.b.port)
                .is_some();
        for (side, s) in state.sides.iter().enumerate() {
            let sender = key.sender(side as u8);
            let receiver = key.sender(1 - side as u8);
            for sight in &s.sightings {
                let mut names: Vec<(&'static str, String, Option<&'static str>)> = Vec::new();
                let (shown, _, _) = input.point_display(sight.point);
                names.push((
                    "capture",
                    shown.to_string(),
                    input.path_for_point(sight.point).map(|p| p.as_str()),
                ));
                if let Some(i) = sight.ifindex {
                    names.push((
                        "ifindex",
                        i.to_string(),
                        config.site.path_for_ifindex(i).map(|p| p.as_str()),
                    ));
                }
                if let Some(v) = sight.vlan {
                    names.push((
                        "vlan",
                        v.to_string(),
                        config.site.path_for_vlan(v).map(|p| p.as_str()),
                    ));
                }
                let next_hop = if config.site.is_internal(sender.ip)
                    && !config.site.is_internal(receiver.ip)
                {
                    sight.dst_mac
                } else if config.site.is_internal(receiver.ip)
                    && !config.site.is_internal(sender.ip)
                {
                    sight.src_mac
                } else {
                    None
                };
                if let Some(m) = next_hop {
                    names.push((
                        "next-hop-mac",
                        mac_text(m),
                        config.site.path_for_mac(m).map(|p| p.as_str()),
                    ));
                }
                for (kind, value, path) in names {
                    let entry = map.entry((kind, value.clone())).or_insert_with(|| {
                        (
                            PointStats {
                                kind,
                                value,
                                path,
                                ..PointStats::default()
                            },
                            0,
                        )
                    });
                    entry.0.packets += sight.packets;
                    if o365 {
                        entry.0.o365_packets += sight.packets;
                    }
                    if entry.1 != flow_no {
                        entry.1 = flow_no;
                        entry.0.flows += 1;
                    }
                }
            }
        }
    }
    map.into_values()
        .map(|(mut s, _)| {
            s.o365_share = if s.packets == 0 {
                0.0
            } else {
                ((s.o365_packets as f64 / s.packets as f64) * 1000.0).round() / 1000.0
            };
            s
        })
        .collect()
}
