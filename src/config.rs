//! Flags + site profile + ranges -> one validated `Config`; every configuration error is found
//! here, before any capture is read.

use anyhow::{bail, Context, Result};

use crate::audit::{Code, Selection, Severity};
use crate::cli::{FailOn, InputArgs, OutputFormat, SelectArgs};
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
        if captures.iter().filter(|c| c.is_stdin()).count() > 1 {
            bail!("standard input (-) can be read only once");
        }
        if input.threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let site = match &input.site {
            Some(p) => {
                Site::load(p).with_context(|| format!("bad site profile {}", p.display()))?
            }
            None => Site::default(),
        };
        let ranges = match &input.ranges {
            Some(p) => {
                Ranges::load(p).with_context(|| format!("bad ranges file {}", p.display()))?
            }
            None => Ranges::bundled().context("the bundled Office 365 ranges do not load")?,
        };
        let fail_on = match fail_on {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        };
        Ok(Config {
            captures,
            site,
            ranges,
            fail_on,
            threads: input.threads,
        })
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

/// The report format of an `--format` flag.
pub fn report_format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Text => report::Format::Text,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Ndjson => report::Format::Ndjson,
    }
}
