//! Running a command: configuration, the pipeline, the audit, the report; returns the exit
//! status (0 nothing at or above `--fail-on`, 1 findings at or above it, 2 a capture that could
//! not be entirely read).

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};

use crate::audit::{self, AuditInput};
use crate::check;
use crate::cli::{AuditArgs, CheckArgs, Cli, Command, CompletionsArgs, FailOn, InterfacesArgs};
use crate::config::{list_format, report_format, selection, Config};
use crate::pipeline::{self, CaptureSummary, Timings};
use crate::report;

pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Audit(a) => run_audit(a),
        Command::Interfaces(a) => run_interfaces(a),
        Command::Check(a) => run_check(a),
        Command::Watch(a) => run_watch(a),
        Command::Ranges(a) => run_ranges(a),
        Command::Completions(a) => run_completions(a),
        Command::Man => run_man(),
    }
}

/// The clap command with `--version` naming the bundled ranges snapshot.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let version = format!(
        "{} (bundled Office 365 ranges: worldwide as of {})",
        env!("CARGO_PKG_VERSION"),
        crate::ranges::BUNDLED_AS_OF
    );
    Cli::command().version(version)
}

fn run_completions(args: CompletionsArgs) -> Result<u8> {
    let mut out = io::stdout();
    clap_complete::generate(args.shell, &mut command(), "callpath", &mut out);
    out.flush().context("cannot write the completion script")?;
    Ok(0)
}

fn run_man() -> Result<u8> {
    let mut out = io::stdout();
    clap_mangen::Man::new(command())
        .render(&mut out)
        .context("cannot write the manual page")?;
    Ok(0)
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        b = b.num_threads(n);
    }
    b.build().context("cannot start worker threads")
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
    let config = Config::new(&args.input, args.fail_on)?;
    let selection = selection(&args.select)?;
    let pool = thread_pool(config.threads)?;
    let mut timings = Timings::from_env();
    let captured = pipeline::read_all(&config.captures, !args.quiet, &pool);
    timings.lap("read");
    timings.stalls(&captured.captures);
    let captures = captured.captures;
    let input = AuditInput {
        site: &config.site,
        ranges: &config.ranges,
        captures: &captures,
        correlation: &captured.correlation,
    };
    let mut audited = pool.install(|| audit::audit(&input, captured.table));
    audited.select(&selection);
    let mut report = report::build(&audited);
    report.limit = (args.limit > 0).then_some(args.limit);
    timings.lap("audit");
    let mut out = output(args.output.as_deref())?;
    // The JSON writers build flow reports in parallel: within the --threads pool.
    pool.install(|| report::write(report_format(args.format), &report, &mut out))
        .and_then(|()| out.flush())
        .context("cannot write the report")?;
    timings.lap("write");
    let failing = report.fails(config.fail_on);
    print_report_warnings(&report);
    // The process ends right after: freeing every flow's state one by one would only cost
    // time (see benches/RESULTS.md).
    std::mem::forget(report);
    std::mem::forget(audited);
    print_problems(&captures, true);
    Ok(exit_status(&captures, failing))
}

/// The site profile's and the ranges' warnings on stderr (they are in the report too).
fn print_report_warnings(report: &report::Report<'_>) {
    let h = &report.header;
    for w in h.site.warnings.iter().chain(&h.ranges.warnings) {
        eprintln!("callpath: warning: {w}");
    }
}

/// The files' errors (and warnings) on stderr, after the report.
fn print_problems(captures: &[CaptureSummary], warnings: bool) {
    for c in captures {
        for e in &c.errors {
            eprintln!("callpath: error: {e}");
        }
        if warnings {
            for w in &c.warnings {
                eprintln!("callpath: warning: {w}");
            }
        }
    }
}

/// 2 when a capture could not be entirely read, else 1 when findings fail the run, else 0.
fn exit_status(captures: &[CaptureSummary], failing: bool) -> u8 {
    if captures.iter().any(CaptureSummary::failed) {
        2
    } else {
        u8::from(failing)
    }
}

/// `callpath check`: the audit, then the expectations (or `--suggest`).
fn run_check(args: CheckArgs) -> Result<u8> {
    let config = Config::new(&args.input, FailOn::Never)?;
    // Bad input is found before a capture is read: the expectations, the baseline.
    let expectations = match &args.expect {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the expectations file {}", path.display()))?;
            Some(check::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the baseline {}", path.display()))?;
            Some(check::Baseline::parse(&text, &path.display().to_string())?)
        }
        None => None,
    };
    let started = std::time::Instant::now();
    let pool = thread_pool(config.threads)?;
    let captured = pipeline::read_all(&config.captures, !args.quiet, &pool);
    let captures = captured.captures;
    let input = AuditInput {
        site: &config.site,
        ranges: &config.ranges,
        captures: &captures,
        correlation: &captured.correlation,
    };
    let audited = pool.install(|| audit::audit(&input, captured.table));
    let names: Vec<&str> = config.captures.iter().map(|c| c.path.as_str()).collect();
    let mut out = output(args.output.as_deref())?;
    let Some(expectations) = expectations else {
        out.write_all(check::suggest(&audited, &names).as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write the suggestion")?;
        print_problems(&captures, true);
        return Ok(exit_status(&captures, false));
    };
    let mut outcomes = check::evaluate(&audited, &expectations);
    if let Some(b) = &baseline {
        outcomes.push(b.compare(&audited));
    }
    let seconds = started.elapsed().as_secs_f64();
    report::check::write_check_text(&mut out, &expectations.file, &names, &outcomes)
        .and_then(|()| out.flush())
        .context("cannot write the summary")?;
    if let Some(path) = &args.junit {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = io::BufWriter::new(file);
        report::check::write_junit(&mut w, &expectations.file, &names, &outcomes, seconds)
            .and_then(|()| w.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_problems(&captures, true);
    Ok(exit_status(&captures, !check::all_passed(&outcomes)))
}

/// Finding codes `watch` prints as soon as a flow shows them: decided by what was seen, they
/// stay true as packets come. The others (a reply still to come, loss still to recover, a call
/// still being linked) wait for the final report.
#[cfg(feature = "live")]
const STREAMED: [audit::Code; 5] = [
    audit::Code::AsymmetricRoute,
    audit::Code::ExpressrouteBypassed,
    audit::Code::UnexpectedExpressroute,
    audit::Code::PathSplit,
    audit::Code::MediaOverTcp,
];

/// `callpath watch`: live capture, findings as they appear, the report at the end.
#[cfg(feature = "live")]
fn run_watch(args: crate::cli::WatchArgs) -> Result<u8> {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use crate::capture::live::LiveSpec;
    use crate::cli::ListFormat;
    use crate::flow::FlowKey;
    use crate::pipeline::live::LiveRun;

    let (site, ranges) =
        crate::config::site_and_ranges(args.site.as_deref(), args.ranges.as_deref())?;
    let fail_on = crate::config::fail_on(args.fail_on);
    let specs: Vec<LiveSpec> = args.interfaces.iter().map(|i| LiveSpec::parse(i)).collect();
    for (i, s) in specs.iter().enumerate() {
        if specs.iter().skip(i + 1).any(|o| o.name() == s.name()) {
            anyhow::bail!("capture point {} is given twice (-i)", s.name());
        }
    }
    if let Some(d) = args.duration {
        if !(d.is_finite() && d > 0.0) {
            anyhow::bail!("--duration must be a number of seconds above 0, not {d}");
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let mut run = LiveRun::start(&specs, args.filter.as_deref(), args.write.as_deref())?;
    let points: Vec<String> = specs
        .iter()
        .map(|s| match &s.label {
            Some(l) => format!("{} ({l})", s.device),
            None => s.device.clone(),
        })
        .collect();
    eprintln!(
        "callpath: capturing on {}; stop with Ctrl-C{}",
        points.join(", "),
        args.duration
            .map(|d| format!(" or after {d} s"))
            .unwrap_or_default()
    );
    let deadline = args
        .duration
        .map(|s| Instant::now() + Duration::from_secs_f64(s));
    let pool = thread_pool(Some(1))?;
    let mut printed: HashSet<(audit::Code, FlowKey)> = HashSet::new();
    let stdout = io::stdout();
    loop {
        if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let wait = deadline.map_or(Duration::from_millis(500), |d| {
            d.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(500))
        });
        run.poll(wait);
        if !run.take_changed() {
            continue;
        }
        let snapshot = run.snapshot();
        let input = AuditInput {
            site: &site,
            ranges: &ranges,
            captures: &snapshot.captures,
            correlation: &snapshot.correlation,
        };
        let audited = pool.install(|| audit::audit(&input, snapshot.table));
        let mut out = stdout.lock();
        for i in 0..audited.len() {
            let Some(f) = audited.flow(i) else { continue };
            for finding in f.findings() {
                if !STREAMED.contains(&finding.code) || !printed.insert((finding.code, *f.key)) {
                    continue;
                }
                match args.format {
                    ListFormat::Text => writeln!(
                        out,
                        "finding: {} ({}): {}",
                        finding.code.as_str(),
                        finding.severity().as_str(),
                        report::message::message(&finding)
                    )?,
                    ListFormat::Json | ListFormat::Ndjson => {
                        out.write_all(&report::ndjson::finding_line(&finding))?
                    }
                }
            }
        }
        out.flush()?;
    }
    let captured = run.finish();
    let captures = captured.captures;
    let input = AuditInput {
        site: &site,
        ranges: &ranges,
        captures: &captures,
        correlation: &captured.correlation,
    };
    let audited = pool.install(|| audit::audit(&input, captured.table));
    let report = report::build(&audited);
    let mut out = output(args.output.as_deref())?;
    report::write(list_format(args.format), &report, &mut out)
        .and_then(|()| out.flush())
        .context("cannot write the report")?;
    let failing = report.fails(fail_on);
    print_report_warnings(&report);
    print_problems(&captures, true);
    Ok(exit_status(&captures, failing))
}

#[cfg(not(feature = "live"))]
fn run_watch(_args: crate::cli::WatchArgs) -> Result<u8> {
    anyhow::bail!(
        "this callpath was built without live capture (the `live` feature, which needs \
         libpcap's headers: apt-get install libpcap-dev, then cargo build)"
    )
}

/// `callpath ranges show | lookup | update | diff`.
fn run_ranges(args: crate::cli::RangesArgs) -> Result<u8> {
    use crate::cli::{LookupFormat, RangesCommand};
    use crate::ranges::{cache, diff, update};
    let mut out = io::stdout().lock();
    match args.command {
        RangesCommand::Show { ranges } => {
            let r = crate::config::ranges_in_use(ranges.as_deref())?;
            out.write_all(ranges_show(&r).as_bytes())?;
        }
        RangesCommand::Lookup {
            query,
            ranges,
            format,
        } => {
            let q = crate::ranges::lookup::Query::parse(&query)
                .map_err(|e| anyhow::anyhow!("bad address {query:?}: {e}"))?;
            let r = crate::config::ranges_in_use(ranges.as_deref())?;
            let answer = crate::ranges::lookup::lookup(&r, &q);
            match format {
                LookupFormat::Text => out.write_all(answer.text().as_bytes())?,
                LookupFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &answer.json())?;
                    out.write_all(b"\n")?;
                }
            }
        }
        RangesCommand::Update {
            instance,
            service_url,
            timeout,
        } => {
            let inst = update::parse_instance(&instance).with_context(|| {
                format!("unknown instance {instance:?} (Worldwide, USGovDoD, USGovGCCHigh, China)")
            })?;
            if !(timeout.is_finite() && timeout > 0.0) {
                anyhow::bail!("--timeout must be a number of seconds above 0");
            }
            let dir =
                cache::cache_dir().context("no cache directory: set XDG_CACHE_HOME or HOME")?;
            let outcome = update::update(
                &service_url,
                inst,
                &dir,
                std::time::Duration::from_secs_f64(timeout),
            )
            .map_err(|e| {
                let using = cache::newest(&dir, inst).map_or_else(
                    || "the bundled snapshot".to_string(),
                    |c| format!("the cached snapshot {}", c.version),
                );
                anyhow::anyhow!("ranges update failed: {e}; runs go on with {using}")
            })?;
            match outcome {
                update::Updated::Current { version, path } => writeln!(
                    out,
                    "{} ranges are current: version {version} ({})",
                    update::service_name(inst),
                    path.display()
                )?,
                update::Updated::Stored {
                    version,
                    previous,
                    path,
                    sets,
                    prefixes,
                } => writeln!(
                    out,
                    "{} ranges updated to version {version}{}: {sets} sets, {prefixes} prefixes, \
                     stored in {}",
                    update::service_name(inst),
                    previous
                        .map(|p| format!(" (was {p})"))
                        .unwrap_or_else(|| " (none cached before)".into()),
                    path.display()
                )?,
            }
        }
        RangesCommand::Diff { old, new } => {
            let load = |p: &std::path::Path| {
                crate::ranges::Ranges::load(p)
                    .with_context(|| format!("bad ranges file {}", p.display()))
            };
            let (a, b) = (load(&old)?, load(&new)?);
            out.write_all(
                diff::diff_text(
                    &a,
                    &b,
                    &old.display().to_string(),
                    &new.display().to_string(),
                )
                .as_bytes(),
            )?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// `ranges show`: the snapshot and its sets.
fn ranges_show(r: &crate::ranges::Ranges) -> String {
    let mut s = format!(
        "Office 365 ranges: {} snapshot, source {}{}{}{}: {} sets, {} prefixes\n",
        r.instance(),
        r.source(),
        r.file().map(|f| format!(" ({f})")).unwrap_or_default(),
        r.version()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default(),
        r.as_of()
            .map(|d| format!(", as of {d}"))
            .unwrap_or_default(),
        r.sets().len(),
        r.prefix_count()
    );
    for set in r.sets() {
        s.push_str(&format!(
            "  set {:<4} {:<11} {:<9} expressRoute {:<3}  tcp {:<16} udp {:<12} {} prefixes\n",
            set.id,
            set.service_area,
            set.category.as_str(),
            if set.express_route { "yes" } else { "no" },
            set.tcp_ports.to_string(),
            set.udp_ports.to_string(),
            set.ips.len()
        ));
    }
    s
}

fn run_interfaces(args: InterfacesArgs) -> Result<u8> {
    let config = Config::new(&args.input, FailOn::Never)?;
    let pool = thread_pool(config.threads)?;
    let captured = pipeline::read_all(&config.captures, !args.quiet, &pool);
    let input = AuditInput {
        site: &config.site,
        ranges: &config.ranges,
        captures: &captured.captures,
        correlation: &captured.correlation,
    };
    let stats = audit::interface_stats(&input, &captured.table);
    let mut out = output(args.output.as_deref())?;
    report::write_interfaces(list_format(args.format), &stats, &mut out)
        .and_then(|()| out.flush())
        .context("cannot write the list")?;
    print_problems(&captured.captures, false);
    Ok(exit_status(&captured.captures, false))
}
