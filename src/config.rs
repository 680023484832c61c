//! Flags + site profile + ranges -> one validated `Config`; every configuration error is found
//! here, before any capture is read.

use anyhow::{bail, Context, Result};

use crate::cli::FailOn;
use crate::ingest::CaptureSpec;
use crate::ranges::Ranges;
use crate::report::Severity;
use crate::site::Site;

pub struct Config {
    pub captures: Vec<CaptureSpec>,
    pub site: Site,
    pub ranges: Ranges,
    pub fail_on: Option<Severity>,
    pub threads: Option<usize>,
}

impl Config {
    pub fn new(
        captures: &[String],
        site: Option<&std::path::Path>,
        ranges: Option<&std::path::Path>,
        fail_on: FailOn,
        threads: Option<usize>,
    ) -> Result<Config> {
        let captures: Vec<CaptureSpec> = captures.iter().map(|c| CaptureSpec::parse(c)).collect();
        if captures.iter().filter(|c| c.is_stdin()).count() > 1 {
            bail!("standard input (-) can be read only once");
        }
        if threads == Some(0) {
            bail!("--threads must be at least 1");
        }
        let site = match site {
            Some(p) => {
                Site::load(p).with_context(|| format!("bad site profile {}", p.display()))?
            }
            None => Site::default(),
        };
        let ranges = match ranges {
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
            threads,
        })
    }
}
