//! Flags + site profile + ranges -> one validated `Config`; every configuration error is found
//! here, before any capture is read.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use rustc_hash::FxHashMap;

use crate::audit::Severity;
use crate::cli::{FailOn, InputArgs, OutputFormat};
use crate::pipeline::CaptureSpec;
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
        let site = match &input.site {
            // The error names the file (once, however many problems it lists).
            Some(p) => Site::load(p).context("bad site profile")?,
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
    }
}
