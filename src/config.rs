//! Flags + site profile + ranges -> one validated `Config`; every configuration error is found
//! here, before any capture is read.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rustc_hash::FxHashMap;

use crate::audit::{Code, Selection, Severity};
use crate::cli::{FailOn, InputArgs, ListFormat, OutputFormat, SelectArgs};
use crate::pipeline::CaptureSpec;
use crate::proto::App;
use crate::ranges::Ranges;
use crate::report;
use crate::site::Site;

pub struct Config {
    pub captures: Vec<CaptureSpec>,
    pub site: Site,
    pub ranges: Ranges,
    /// Lowest severity that makes the exit status 1; None: never.
    pub fail_on: Option<Severity>,
    pub threads: Option<usize>,
}

impl Config {
    pub fn new(input: &InputArgs, fail_on: FailOn) -> Result<Config> {
        let captures: Vec<CaptureSpec> = input
            .captures
            .iter()
            .map(|c| CaptureSpec::parse(c))
            .collect();
        distinct(&captures)?;
        if input.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let (site, ranges) = site_and_ranges(input.site.as_deref(), input.ranges.as_deref())?;
        let fail_on = self::fail_on(fail_on);
        Ok(Config {
            captures,
            site,
            ranges,
            fail_on,
            threads: input.threads,
        })
    }
}

/// The site profile (`--site`, else none) and the ranges (`--ranges`, else the bundled
/// snapshot), checked.
pub fn site_and_ranges(site: Option<&Path>, ranges: Option<&Path>) -> Result<(Site, Ranges)> {
    let site = match site {
        // The error names the file (once, however many problems it lists).
        Some(p) => Site::load(p).context("bad site profile")?,
        None => Site::default(),
    };
    let ranges = ranges_in_use(ranges)?;
    Ok((site, ranges))
}

/// The ranges a run uses (SPEC "Office 365 ranges over time"): `--ranges FILE`, else the
/// newest cached snapshot, else the bundled one.
pub fn ranges_in_use(file: Option<&Path>) -> Result<Ranges> {
    let (ranges, warning) = crate::ranges::cache::choose(file).with_context(|| match file {
        Some(p) => format!("bad ranges file {}", p.display()),
        None => "the Office 365 ranges do not load".to_string(),
    })?;
    if let Some(w) = warning {
        eprintln!("callpath: warning: {w}");
    }
    Ok(ranges)
}

/// The lowest severity that fails the run.
pub fn fail_on(f: FailOn) -> Option<Severity> {
    match f {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    }
}

/// The flows `--app`, `--finding`, `--net`, `--set`, `--since` and `--until` select; every
/// value is checked here, before any capture is read.
pub fn selection(args: &SelectArgs) -> Result<Selection> {
    let apps = args
        .app
        .iter()
        .map(|a| {
            App::ALL
                .into_iter()
                .find(|app| app.as_str() == a.trim())
                .with_context(|| {
                    let names: Vec<&str> = App::ALL.iter().map(|a| a.as_str()).collect();
                    format!("--app {a}: not an app (one of {})", names.join(", "))
                })
        })
        .collect::<Result<Vec<App>>>()?;
    let codes = args
        .finding
        .iter()
        .map(|c| {
            Code::ALL
                .into_iter()
                .find(|code| code.as_str() == c.trim())
                .with_context(|| {
                    let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
                    format!(
                        "--finding {c}: not a finding code (one of {})",
                        names.join(", ")
                    )
                })
        })
        .collect::<Result<Vec<Code>>>()?;
    let nets = args
        .net
        .iter()
        .map(|n| {
            n.trim()
                .parse::<ipnetwork::IpNetwork>()
                .with_context(|| format!("--net {n}: not a network (e.g. 10.20.0.0/16)"))
        })
        .collect::<Result<Vec<_>>>()?;
    let time = |flag: &str, t: &Option<String>| -> Result<Option<i64>> {
        t.as_deref()
            .map(|t| {
                crate::report::time::parse_rfc3339(t.trim()).with_context(|| {
                    format!("{flag} {t}: not an RFC 3339 time (e.g. 2026-11-02T09:00:00Z)")
                })
            })
            .transpose()
    };
    let selection = Selection {
        apps,
        codes,
        nets,
        sets: args.set.clone(),
        since_ns: time("--since", &args.since)?,
        until_ns: time("--until", &args.until)?,
    };
    if let (Some(since), Some(until)) = (selection.since_ns, selection.until_ns) {
        if since > until {
            bail!("--since is after --until: no flow can be selected");
        }
    }
    Ok(selection)
}

/// Each capture once: the same file twice (however it is spelt: paths are compared
/// canonicalized) would count its packets twice, and one LABEL on two files would make two
/// capture points one. Standard input can be read only once.
fn distinct(captures: &[CaptureSpec]) -> Result<()> {
    if captures.iter().filter(|c| c.is_stdin()).count() > 1 {
        bail!("standard input (-) can be read only once");
    }
    let mut files: FxHashMap<PathBuf, &CaptureSpec> = FxHashMap::default();
    let mut labels: FxHashMap<&str, &CaptureSpec> = FxHashMap::default();
    for c in captures {
        if !c.is_stdin() {
            // A file that cannot be resolved (not there yet) is compared as written; reading
            // it reports why it cannot be read.
            let file = std::fs::canonicalize(&c.path).unwrap_or_else(|_| PathBuf::from(&c.path));
            if let Some(first) = files.insert(file, c) {
                let (a, b) = (as_typed(first), as_typed(c));
                if a == b {
                    bail!("capture {a} is given twice: its packets would be counted twice");
                }
                bail!("captures {a} and {b} are the same file: its packets would be counted twice");
            }
        }
        if let Some(label) = c.label.as_deref() {
            if let Some(first) = labels.insert(label, c) {
                bail!(
                    "label {label} is given to two captures ({} and {}): a label names the \
                     capture point of one file",
                    first.path,
                    c.path
                );
            }
        }
    }
    Ok(())
}

/// A capture as typed: `LABEL=PATH` or `PATH`.
fn as_typed(c: &CaptureSpec) -> String {
    match &c.label {
        Some(l) => format!("{l}={}", c.path),
        None => c.path.clone(),
    }
}

/// The report format of an `--format` flag.
pub fn report_format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Text => report::Format::Text,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Ndjson => report::Format::Ndjson,
        OutputFormat::Csv => report::Format::Csv,
        OutputFormat::Html => report::Format::Html,
    }
}

pub fn list_format(f: ListFormat) -> report::Format {
    match f {
        ListFormat::Text => report::Format::Text,
        ListFormat::Json => report::Format::Json,
        ListFormat::Ndjson => report::Format::Ndjson,
    }
}
