//! The command line, exactly as typed (clap derive); validation happens in `config`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "callpath",
    version,
    about = "Audit packet captures of Teams / Skype for Business traffic: which path \
             (ExpressRoute, Internet, local) each direction of each flow took, and what deviates \
             from Microsoft's call flows.",
    after_help = "Exit status: 0 nothing at or above --fail-on; 1 findings at or above it; \
                  2 usage error, unreadable file, bad site profile or ranges file, or a corrupt capture."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Audit captures: flows, apps, observed and expected paths, findings.
    Audit(AuditArgs),
    /// List the capture points, VLANs, next-hop MACs and SLL2 ifindexes seen, to write a site
    /// profile's [[path]] rules.
    Interfaces(InterfacesArgs),
}

/// What every command reads: the captures, the site profile, the ranges, the threads.
#[derive(clap::Args, Debug)]
pub struct InputArgs {
    /// Capture files (pcap or pcapng, detected by content): PATH or LABEL=PATH; `-` is stdin.
    /// LABEL names the capture point of every packet in that file (e.g. er0=er-tap.pcap).
    #[arg(required = true, value_name = "CAPTURE")]
    pub captures: Vec<String>,
    /// Site profile (TOML): internal prefixes, ExpressRoute, path rules, on-prem servers.
    #[arg(long, value_name = "FILE")]
    pub site: Option<PathBuf>,
    /// Office 365 endpoints file in the endpoints web service's JSON format (default: the
    /// bundled worldwide snapshot).
    #[arg(long, value_name = "FILE")]
    pub ranges: Option<PathBuf>,
    /// Threads (default: all cores). One file: one reads it, the others account its flows;
    /// several files: read in parallel. The result is the same for any number.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Lowest finding severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct InterfacesArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a table, a JSON array, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A summary for a terminal.
    Text,
    /// One pretty-printed JSON document.
    Json,
    /// One JSON object per line, each with its "type".
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 on error findings.
    Error,
    /// Exit 1 on warning or error findings.
    Warning,
    /// Never exit 1 for findings.
    Never,
}
