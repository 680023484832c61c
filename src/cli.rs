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
    /// Regression checks: audit the captures and evaluate an expectations file (allowed
    /// findings, counts, flows that must exist and how they must look, calls, media quality);
    /// exit 0 when every expectation holds, 1 when one does not, 2 on bad input.
    Check(CheckArgs),
    /// Capture live on interfaces (libpcap): print findings as they appear, and on SIGINT,
    /// SIGTERM or after --duration the report `audit` would give for the same packets.
    Watch(WatchArgs),
    /// The Office 365 ranges: the snapshot in use, a lookup, an update from Microsoft's web
    /// service, the difference between two files.
    Ranges(RangesArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard
    /// output, e.g. `callpath completions bash > /etc/bash_completion.d/callpath`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to standard output, e.g. `callpath man > callpath.1`.
    Man,
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
    /// Text report: flows listed under each finding code, and calls listed (0: all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

/// Which flows the report is about: a flow must match every option given, and any of the
/// values of each. Findings, summary and exit status follow the selection; flow ids stay
/// those of the whole audit.
#[derive(clap::Args, Debug, Default)]
#[command(next_help_heading = "Selecting flows")]
pub struct SelectArgs {
    /// Only flows of this app (rtp, rtcp, stun, dtls, tls, sip, dns, other); repeat or
    /// separate with commas.
    #[arg(long, value_name = "APP", value_delimiter = ',')]
    pub app: Vec<String>,
    /// Only flows with this finding code (e.g. asymmetric-route); repeat or separate with
    /// commas.
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    pub finding: Vec<String>,
    /// Only flows with an end in this network (e.g. 10.20.0.0/16); repeat or separate with
    /// commas.
    #[arg(long, value_name = "CIDR", value_delimiter = ',')]
    pub net: Vec<String>,
    /// Only flows to or from this Office 365 endpoint set id (e.g. 11 for Teams media);
    /// repeat or separate with commas.
    #[arg(long = "set", value_name = "ID", value_delimiter = ',')]
    pub set: Vec<u32>,
    /// Only flows with a packet at or after this RFC 3339 time (e.g. 2026-11-02T09:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only flows with a packet at or before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status as for audit: 0 nothing at or above --fail-on; 1 findings at or \
                  above it; 2 no such interface, no permission (CAP_NET_RAW), a bad --filter, a \
                  bad site profile or ranges file. Needs the `live` feature (libpcap)."
)]
pub struct WatchArgs {
    /// An interface to capture on, IFACE or IFACE=LABEL (LABEL names its capture point, as
    /// the site profile's [[path]] interfaces do). Repeat for several.
    #[arg(
        short = 'i',
        long = "interface",
        required = true,
        value_name = "IFACE[=LABEL]"
    )]
    pub interfaces: Vec<String>,
    /// Site profile (TOML), as for audit.
    #[arg(long, value_name = "FILE")]
    pub site: Option<PathBuf>,
    /// Office 365 endpoints file, as for audit.
    #[arg(long, value_name = "FILE")]
    pub ranges: Option<PathBuf>,
    /// A BPF filter (tcpdump's syntax), e.g. "udp or tcp port 443".
    #[arg(long, value_name = "BPF")]
    pub filter: Option<String>,
    /// Stop after SECS seconds (else at SIGINT or SIGTERM).
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Format of the findings printed as they appear and of the final report.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the final report to FILE (the findings still stream to standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Keep the packets as pcapng, one interface block per -i (named by its LABEL).
    #[arg(long, value_name = "FILE.pcapng")]
    pub write: Option<PathBuf>,
    /// Lowest finding severity that makes the exit status 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 every expectation holds (or --suggest printed); 1 at \
                  least one does not; 2 bad expectations file, baseline, site profile, ranges \
                  file or capture."
)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The expectations file (TOML): [findings] allow, [count], [[flows]], [[calls]],
    /// [[quality]] (see the README, "callpath in CI").
    #[arg(long, value_name = "EXPECT.toml", required_unless_present = "suggest")]
    pub expect: Option<PathBuf>,
    /// Print an expectations file these captures satisfy, to tighten, instead of checking.
    #[arg(long, conflicts_with_all = ["expect", "junit", "baseline"])]
    pub suggest: bool,
    /// Also write the outcomes as JUnit XML to FILE (one testcase per expectation).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// An earlier JSON report of the same site: a finding (code and flow 5-tuple) absent from
    /// it fails; those gone are listed.
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// Write the summary (or the suggestion) to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct RangesArgs {
    #[command(subcommand)]
    pub command: RangesCommand,
}

#[derive(Subcommand, Debug)]
pub enum RangesCommand {
    /// The snapshot a run would use (--ranges FILE, else the newest cached, else the bundled
    /// one): instance, source, version or date, and its endpoint sets.
    Show {
        /// An endpoints file instead of the snapshot in use.
        #[arg(long, value_name = "FILE")]
        ranges: Option<PathBuf>,
    },
    /// Which endpoint set an address (and port) belongs to, and whether it goes over
    /// ExpressRoute: ADDR, ADDR:PORT, ADDR:PORT/udp, [IPv6]:PORT/tcp.
    Lookup {
        #[arg(value_name = "ADDR[:PORT[/udp|/tcp]]")]
        query: String,
        #[arg(long, value_name = "FILE")]
        ranges: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = LookupFormat::Text)]
        format: LookupFormat,
    },
    /// Fetch the latest endpoints from Microsoft's web service when they are newer than the
    /// cached ones, validate them and store them in the cache ($XDG_CACHE_HOME/callpath/ranges,
    /// else ~/.cache/callpath/ranges). Proxies from HTTPS_PROXY.
    Update {
        /// Worldwide, USGovDoD, USGovGCCHigh or China.
        #[arg(long, default_value = "Worldwide")]
        instance: String,
        /// The web service.
        #[arg(long, value_name = "URL", default_value = crate::ranges::update::DEFAULT_SERVICE)]
        service_url: String,
        /// Seconds each request may take.
        #[arg(long, value_name = "SECS", default_value_t = 30.0)]
        timeout: f64,
    },
    /// What changed between two endpoints files: sets, prefixes, ports, ExpressRoute flags.
    Diff {
        #[arg(value_name = "OLD.json")]
        old: PathBuf,
        #[arg(value_name = "NEW.json")]
        new: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LookupFormat {
    Text,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct InterfacesArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format: a table, a JSON array, or one JSON object per line.
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
    /// Write the list to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// No progress bar on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A summary for a terminal.
    Text,
    /// One pretty-printed JSON document.
    Json,
    /// One JSON object per line, each with its "type".
    Ndjson,
    /// One line per flow, SPEC's columns with dotted names (RFC 4180).
    Csv,
    /// One self-contained HTML file: summary, findings, calls drawn on the four segments, flows.
    Html,
}

/// The `interfaces` list's formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for a terminal.
    Text,
    /// One pretty-printed JSON array.
    Json,
    /// One JSON object per line.
    Ndjson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 on error findings.
    Error,
    /// Exit 1 on warning or error findings.
    Warning,
    /// Exit 1 on any finding.
    Info,
    /// Never exit 1 for findings.
    Never,
}
