//! Flags + site profile + ranges -> one validated `Config`; every configuration error is found
//! here, before any capture is read.

use anyhow::{bail, Context, Result};

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

/// The report format of an `--format` flag.
pub fn report_format(f: OutputFormat) -> report::Format {
    match f {
        OutputFormat::Text => report::Format::Text,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Ndjson => report::Format::Ndjson,
    }
}
