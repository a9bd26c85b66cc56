//! The command line (clap derive): commands, flags, help texts and exit codes. What
//! is made from that definition (completion scripts, the manual page) is in
//! [`super::man`].
//!
//! The command line's documentation is its help text: clap makes `--help` and the man
//! page from the doc comments of these types, so items whose doc would only repeat
//! their flag (or would change the help) are left without one.
#![allow(missing_docs)]

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::generate::{GenerateEnvelope, GenerateFormat};
use crate::report::fail_on::FailOn;

pub(super) const EXIT_CODES: &str = "\
Exit status:
  0  the run finished (and no class named by --fail-on occurred)
  1  a class named by --fail-on occurred (e.g. an undocumented error name)
  2  usage, catalog or input error (bad flag, missing or unreadable file, broken catalog);
     the report is still written for the inputs that could be read";

#[derive(Debug, Parser)]
#[command(
    name = "errscope",
    version = crate::analyze::stage::VERSION,
    about = "Audit API-gateway access logs against the published error-code catalog",
    long_about = "errscope reads API-gateway access logs (nginx, Apache, Envoy, Kong, APISIX, \
Traefik, Caddy, AWS API Gateway, JSON lines, logfmt; plain, gzip or zstd), classifies every \
response against the API's published error-code catalog, and reports per-code counts, rates \
and latency, status/name pairs that break the documentation, error names the documentation \
does not list, errors without a name and malformed lines.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify every response in the logs against the catalog and report.
    #[command(after_help = EXIT_CODES)]
    Analyze(Box<AnalyzeArgs>),
    /// Print the catalog errscope checks against (text, or JSON that --catalog reads back);
    /// `errscope catalog lint` checks the catalog page itself.
    Catalog(CatalogArgs),
    /// Write a deterministic synthetic gateway log with known ground truth.
    Generate(GenerateArgs),
    /// List the gateway log-format presets (--preset NAME), with an example line each.
    Presets(PresetsArgs),
    /// Add up partial reports (`analyze -o partial`) of many machines, files or byte
    /// ranges into the report one run over all their input gives, in any output
    /// format of `analyze`.
    ///
    /// Partials are merged only when made with the same settings (catalog, routes,
    /// format, fields, max-line-bytes, max-names, max-endpoints, examples, bucket,
    /// since, until, max-malformed, errscope version); otherwise merge says which
    /// differ. Byte ranges
    /// of one file (analyze --range, --stdin-offset) become one input again, its lines
    /// numbered as in the whole file; overlapping ranges are refused, and a gap makes
    /// the report incomplete.
    #[command(after_help = MERGE_EXIT_CODES)]
    Merge(MergeArgs),
    /// Compare two JSON reports (`analyze -o json`): new undocumented names, new
    /// mismatches, codes whose rate changed, codes that disappeared.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Put JSON reports of several nights side by side (ordered by their time):
    /// lines, error rate and classes per night, each code's and undocumented name's
    /// lines per night with a sparkline, names new and gone, worst movers first.
    Trend(TrendArgs),
    /// Print the completion script for a shell: bash, zsh, fish, elvish or powershell.
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print errscope's manual page (roff): every command, its options and the exit
    /// statuses.
    #[command(after_help = MAN_HELP)]
    Man,
}

#[derive(Debug, Args)]
pub struct TrendArgs {
    /// JSON reports (`analyze -o json`), or directories of them (`*.json`).
    #[arg(value_name = "REPORT", required = true)]
    pub reports: Vec<PathBuf>,

    /// Output format: text, json, markdown, csv or html.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text, help_heading = "Output")]
    pub output: OutputArg,

    /// Codes and names listed in text and Markdown (JSON, CSV list all).
    #[arg(long, value_name = "N", default_value_t = 20, help_heading = "Output")]
    pub top: usize,

    #[command(flatten)]
    pub output_file: OutputFile,
}

impl Command {
    /// The `--output-file` the command writes its output to, if one was given
    /// (`generate`'s `-O` is the log it writes, handled by `app::run` too).
    pub fn output_file(&self) -> Option<&std::path::Path> {
        let file = match self {
            Command::Analyze(args) => &args.report.output_file,
            Command::Catalog(args) => match &args.action {
                Some(CatalogAction::Lint(lint)) => &lint.output_file,
                Some(CatalogAction::Diff(diff)) => &diff.output_file,
                None => &args.output_file,
            },
            Command::Presets(args) => &args.output_file,
            Command::Diff(args) => &args.output_file,
            Command::Merge(args) => &args.report.output_file,
            Command::Trend(args) => &args.output_file,
            Command::Generate(_) | Command::Completions(_) | Command::Man => return None,
        };
        file.output_file.as_deref()
    }
}

pub(super) const MERGE_EXIT_CODES: &str = "\
Exit status:
  0  the merge finished (and no class named by --fail-on occurred)
  1  a class named by --fail-on occurred
  2  usage error, a file that is not a partial of this version, partials made with other
     settings, overlapping byte ranges, or inputs not read in full (a gap between ranges)";

/// How `analyze` and `merge` write their report, compare it with a baseline and
/// decide the exit status: the same flags, the same meaning.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report format (`partial`: everything the report is made from, for `errscope
    /// merge`).
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text, help_heading = "Output")]
    pub output: OutputArg,

    #[command(flatten)]
    pub output_file: OutputFile,

    /// Compare with this earlier JSON report too: text and markdown output end with
    /// the comparison; with json and csv the report stays as it is and a summary goes
    /// to stderr. Enables --fail-on new-undocumented,new-mismatch,regression.
    #[arg(long, value_name = "BASELINE.json", help_heading = "Comparison")]
    pub baseline: Option<PathBuf>,

    #[command(flatten)]
    pub compare: CompareArgs,

    /// Exit with status 1, saying why on stderr, when any of these occurred
    /// (comma-separated; `-` or `_` between words): undocumented, status-mismatch,
    /// wrong-section, malformed, unnamed-error, empty (no line counted: nothing read,
    /// or every line outside --since/--until); with --baseline also
    /// new-undocumented, new-mismatch, regression.
    #[arg(
        long,
        value_name = "CLASSES",
        value_delimiter = ',',
        value_parser = FailOn::parse,
        help_heading = "Output"
    )]
    pub fail_on: Vec<FailOn>,

    /// Colors in the text report: `auto` uses them on a terminal unless NO_COLOR is
    /// set or TERM is dumb.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorArg,

    /// Endpoints shown in the text report, codes in Markdown, and rows per table
    /// of the comparison with --baseline (the JSON report lists all kept).
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "Output")]
    pub top: usize,
}

/// `errscope merge PARTIAL...`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial reports (`analyze -o partial`): files, directories of
    /// `*.partial.json` files, or `-` for one on standard input.
    #[arg(value_name = "PARTIAL", required = true)]
    pub partials: Vec<PathBuf>,

    /// The catalog the partials were made with (checked by its fingerprint).
    #[command(flatten)]
    pub catalog: CatalogSource,

    #[command(flatten)]
    pub report: ReportArgs,

    /// No notes on stderr (errors still are).
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,
}

pub(super) const DIFF_EXIT_CODES: &str = "\
Exit status:
  0  the comparison finished (and nothing named by --fail-on occurred)
  1  something named by --fail-on occurred (e.g. a new undocumented name)
  2  usage error, or a file that is not an errscope JSON report of this version";

pub(super) const LINT_EXIT_CODES: &str = "\
Exit status:
  0  the catalog has no findings
  1  the catalog has findings (one line each: source:line: kind: what to fix)
  2  usage error, or a catalog that cannot be read";

const COMPLETIONS_HELP: &str = "\
Install it where the shell looks (then open a new shell):
  bash  errscope completions bash > ~/.local/share/bash-completion/completions/errscope
  zsh   errscope completions zsh > ~/.zfunc/_errscope
        (in ~/.zshrc, before compinit: fpath=(~/.zfunc $fpath))
  fish  errscope completions fish > ~/.config/fish/completions/errscope.fish";

const MAN_HELP: &str = "\
Read it with `errscope man | man -l -`, or install it where man looks (man-db finds
~/.local/share/man when ~/.local/bin is on PATH):
  mkdir -p ~/.local/share/man/man1 && errscope man > ~/.local/share/man/man1/errscope.1";

/// `errscope completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete errscope's commands, flags and values in.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

/// `--output-file`: shared by every command that writes a report.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputFile {
    /// Write the output to PATH instead of standard output, atomically: a temporary
    /// file in the same directory, renamed into place once complete, so a reader (or a
    /// failed run) never sees half a report.
    #[arg(long, value_name = "PATH", help_heading = "Output")]
    pub output_file: Option<PathBuf>,
}

/// How two reports are compared: `diff`, and `analyze --baseline`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// A code's rate (its share of requests) changed when it rose above
    /// baseline × (1 + X), or fell below baseline / (1 + X); 0.5 = +50 %.
    #[arg(long, value_name = "X", default_value_t = 0.5, value_parser = parse_threshold, help_heading = "Comparison")]
    pub threshold: f64,

    /// A rate change counts only for codes with at least N lines in the report where
    /// the rate is higher, so rare codes do not flap.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 20,
        help_heading = "Comparison"
    )]
    pub min_count: u64,
}

#[derive(Debug, Args)]
#[command(after_help = DIFF_EXIT_CODES)]
pub struct DiffArgs {
    /// The earlier report (`errscope analyze -o json`).
    #[arg(value_name = "BASELINE.json")]
    pub baseline: PathBuf,

    /// The later report.
    #[arg(value_name = "CURRENT.json")]
    pub current: PathBuf,

    #[command(flatten)]
    pub compare: CompareArgs,

    /// Output format: text, json or markdown.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text, help_heading = "Output")]
    pub output: OutputArg,

    /// Rows listed per table in text and Markdown ("and N more" after them); the
    /// JSON output lists every row.
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "Output")]
    pub top: usize,

    /// Exit with status 1, saying why on stderr, when any of these occurred
    /// (comma-separated; `-` or `_` between words): new-undocumented, new-mismatch,
    /// regression; or, in CURRENT: undocumented, status-mismatch, wrong-section,
    /// malformed, unnamed-error, empty (no line counted).
    #[arg(
        long,
        value_name = "WHAT",
        value_delimiter = ',',
        value_parser = FailOn::parse,
        help_heading = "Output"
    )]
    pub fail_on: Vec<FailOn>,

    #[command(flatten)]
    pub output_file: OutputFile,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogSource {
    /// Catalog to check against: a markdown page like the published one, or a JSON
    /// catalog from `errscope catalog -o json`. Default: the embedded page.
    #[arg(long, value_name = "PATH", env = "ERRSCOPE_CATALOG")]
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Log files to read; a directory means the files in it; `-` reads standard input.
    /// Gzip and zstd files (and standard input) are recognised by their first bytes.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,

    /// Read directories recursively (subdirectories too; each directory once, so
    /// symlink loops end).
    #[arg(short = 'r', long)]
    pub recursive: bool,

    /// Incremental runs: read only what earlier runs with this state file did not
    /// (appended lines, files rotated in since), and remember how far this run read.
    /// Files are known by their first bytes, so renaming, compressing (gzip, zstd)
    /// and copytruncate neither skip nor repeat a line. Created if missing; locked
    /// while in use; written after the report.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Read only the lines that start in bytes A..B of FILE (A inclusive, B
    /// exclusive, as Hadoop splits text: a range that starts inside a line begins at
    /// the next line, and its last line may end past B), so that many tasks can
    /// split one file without copying it. One plain FILE; with -o partial, merged by
    /// `errscope merge`, which numbers lines as in the whole file.
    #[arg(long, value_name = "A..B", value_parser = parse_byte_range, help_heading = "Many machines")]
    pub range: Option<ByteRange>,

    /// The name standard input's lines are reported under (the file they came
    /// from), instead of `-`.
    #[arg(long, value_name = "PATH", help_heading = "Many machines")]
    pub stdin_name: Option<String>,

    /// Standard input holds the lines of --stdin-name's file from this byte offset
    /// on (a range read through another filesystem, e.g. by a Spark task): merged
    /// with the file's other ranges as --range parts are. With -o partial.
    #[arg(
        long,
        value_name = "BYTES",
        requires = "stdin_name",
        help_heading = "Many machines"
    )]
    pub stdin_offset: Option<u64>,

    #[command(flatten)]
    pub catalog: CatalogSource,

    /// Map requests under PREFIX to a catalog section (repeatable; adds to or replaces
    /// the defaults: /v3/async/ /v3/ /v2/ -> media, /v3/openai/ /openai/ -> llm,
    /// /openapi/v1/billing/ -> billing). Longest prefix wins; a path matching no rule
    /// is checked against all sections.
    #[arg(
        long = "route",
        value_name = "PREFIX=SECTION",
        help_heading = "Catalog"
    )]
    pub routes: Vec<String>,

    /// Log format: `auto` picks JSON or an nginx preset from each input's first lines.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto, help_heading = "Log format")]
    pub format: FormatArg,

    /// Gateway log-format preset: gateway, combined, common, nginx-json, envoy,
    /// envoy-json, kong, apisix, traefik, caddy, aws-apigw, logfmt (`errscope presets`
    /// lists them with an example line each).
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Log format",
        conflicts_with_all = ["log_format", "apache_format"]
    )]
    pub preset: Option<String>,

    /// An Apache httpd `LogFormat` string, e.g. '%h %l %u %t "%r" %>s %b %D
    /// "%{X-Error-Code}o"' (%D is read in microseconds). Implies text logs.
    #[arg(
        long,
        value_name = "LOG_FORMAT",
        help_heading = "Log format",
        conflicts_with = "log_format"
    )]
    pub apache_format: Option<String>,

    /// An nginx `log_format` string, e.g. '$remote_addr [$time_local] "$request" $status
    /// $request_time "$upstream_http_x_error_code"'. Implies --format nginx.
    #[arg(long, value_name = "LOG_FORMAT", help_heading = "Log format")]
    pub log_format: Option<String>,

    /// Where a field is (repeatable). KEY: status, name, path, latency, time, body.
    /// PATH: a dotted path into JSON lines (response.headers.x-error-code), or an
    /// nginx variable. UNIT: s|ms|us|ns for latency (default s), iso8601|epoch_s|epoch_ms
    /// for time. E.g. --field latency=latencies.request:ms
    #[arg(
        long = "field",
        value_name = "KEY=PATH[:UNIT]",
        help_heading = "Log format"
    )]
    pub fields: Vec<String>,

    /// Count only requests at or after this time: 2026-11-26T08:00:00+08:00 (no
    /// offset means UTC), 2026-11-26 (midnight UTC), or a span ago: 24h, 30m, 7d.
    /// Lines without a readable time are kept.
    #[arg(long, value_name = "TIME", help_heading = "Time")]
    pub since: Option<String>,

    /// Count only requests before this time (same forms as --since).
    #[arg(long, value_name = "TIME", help_heading = "Time")]
    pub until: Option<String>,

    /// Add a time series of requests, errors and each class in buckets of this span:
    /// 1m, 5m, 1h, 1d (any N followed by s, m, h or d).
    #[arg(long, value_name = "SPAN", value_parser = parse_bucket, help_heading = "Time")]
    pub bucket: Option<i64>,

    #[command(flatten)]
    pub report: ReportArgs,

    /// Malformed lines listed with their location.
    #[arg(long, value_name = "N", default_value_t = 10, help_heading = "Output")]
    pub examples: usize,

    /// No progress line and no per-input format line on stderr (errors still are).
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// Say on stderr how each input's format was told, however many inputs there
    /// are (past 10 inputs, one line sums them up by format).
    #[arg(short, long, conflicts_with = "quiet", help_heading = "Output")]
    pub verbose: bool,

    /// Worker threads (default: one per core). With several compressed files, up to
    /// half as many decode at once (one with -j 2).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads, help_heading = "Tuning")]
    pub threads: Option<NonZeroUsize>,

    /// Bytes per parallel work unit; chunks end at a newline after this size (the last
    /// chunks of a file are smaller, down to 256 KiB, so the threads finish together).
    #[arg(long, value_name = "BYTES", default_value = "4MiB", value_parser = parse_size, help_heading = "Tuning")]
    pub chunk_size: usize,

    /// Lines longer than this are counted as malformed (bounds memory on streams).
    #[arg(long, value_name = "BYTES", default_value = "1MiB", value_parser = parse_size, help_heading = "Tuning")]
    pub max_line_bytes: usize,

    /// An input with more than this share of malformed lines (0 to 1) is an input
    /// error (exit 2), naming the format used and what auto-detection picks: most
    /// likely the wrong --format or --preset. Raise it for logs known to be dirty.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.5, value_parser = parse_fraction, help_heading = "Log format")]
    pub max_malformed: f64,

    /// Distinct undocumented names listed; lines with further names are counted
    /// together as "other", so memory stays bounded.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        help_heading = "Tuning"
    )]
    pub max_names: usize,

    /// Distinct endpoints kept (paths without query, IDs collapsed to {id}); requests
    /// to further endpoints are counted together as "other".
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        help_heading = "Tuning"
    )]
    pub max_endpoints: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Auto,
    Json,
    Nginx,
    /// `key=value key2="quoted value"` lines.
    Logfmt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    Text,
    Json,
    /// Markdown for a chat message or a wiki page: findings, then the key tables.
    Markdown,
    /// CSV (RFC 4180), one row per code and class, for spreadsheets.
    Csv,
    /// One self-contained HTML page with charts (`analyze` only).
    Html,
    /// OpenMetrics / Prometheus text: lines per class, code, undocumented name and
    /// unnamed status, latency summaries (`analyze` only), for node_exporter's
    /// textfile collector or a Pushgateway.
    Openmetrics,
    /// Everything a report is made from, losslessly, for `errscope merge`
    /// (`analyze` and `merge` only).
    Partial,
}

/// `--range A..B`: bytes `[start, end)` of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// `--range`: `A..B` with A <= B, in bytes.
fn parse_byte_range(s: &str) -> Result<ByteRange, String> {
    let bad = || format!("{s:?} is not a byte range: use A..B, e.g. 0..134217728");
    let (a, b) = s.trim().split_once("..").ok_or_else(bad)?;
    let start: u64 = a.trim().parse().map_err(|_| bad())?;
    let end: u64 = b.trim().parse().map_err(|_| bad())?;
    if start > end {
        return Err(format!("{s:?} starts after it ends: A..B needs A <= B"));
    }
    Ok(ByteRange { start, end })
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub action: Option<CatalogAction>,

    #[command(flatten)]
    pub catalog: CatalogSource,

    /// Output format (text or json); `json` can be edited and passed back with --catalog.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,

    #[command(flatten)]
    pub output_file: OutputFile,
}

#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// Check the catalog page itself: names listed twice in a section, names with
    /// different statuses in different sections, one description for different names,
    /// statuses that are not HTTP error statuses, rows that cannot be read.
    #[command(after_help = LINT_EXIT_CODES)]
    Lint(LintArgs),
    /// Compare two versions of the catalog page (or JSON catalogs): entries added
    /// and removed, statuses changed, names moved between sections, descriptions
    /// changed. `embedded` names the built-in page.
    #[command(after_help = CATALOG_DIFF_EXIT_CODES)]
    Diff(CatalogDiffArgs),
}

pub(super) const CATALOG_DIFF_EXIT_CODES: &str = "\
Exit status:
  0  the two catalogs list the same entries
  1  something changed (for a CI job that watches the docs page)
  2  usage error, or a catalog that cannot be read";

#[derive(Debug, Args)]
pub struct CatalogDiffArgs {
    /// The earlier page: a markdown page, a JSON catalog, or `embedded`.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,

    /// The later page.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,

    /// Output format: text or json.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,

    #[command(flatten)]
    pub output_file: OutputFile,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    #[command(flatten)]
    pub catalog: CatalogSource,

    /// Output format: text (one `source:line: kind: message` line per finding) or json.
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,

    #[command(flatten)]
    pub output_file: OutputFile,
}

#[derive(Debug, Args)]
pub struct PresetsArgs {
    /// Output format (text or json).
    #[arg(short, long, value_enum, default_value_t = OutputArg::Text)]
    pub output: OutputArg,

    #[command(flatten)]
    pub output_file: OutputFile,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Log format to write.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Gateway)]
    pub format: GenerateFormat,

    /// Lines to write (with --envelope: access records, the other lines on top).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1000,
        conflicts_with = "bytes"
    )]
    pub lines: u64,

    /// Write lines until at least this many bytes (e.g. 1GiB) instead of --lines.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    pub bytes: Option<usize>,

    /// Seed of the deterministic generator: the same seed gives the same log.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Start the log this many days after 2026-11-26 (the day every generated log
    /// starts on by default), e.g. for a week of nights: --day 0 .. --day 6.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub day: u32,

    /// Write the log here instead of standard output.
    #[arg(short = 'O', long = "output-file", value_name = "PATH")]
    pub output_file: Option<PathBuf>,

    /// Also write the ground truth (expected per-class and per-code counts) as JSON.
    #[arg(long, value_name = "PATH")]
    pub truth: Option<PathBuf>,

    /// Wrap every line in the envelope a log collector writes: cri (Kubernetes; some
    /// records split into P lines), docker (json-file; some split too), compose
    /// (`docker compose logs`), syslog (RFC 3164) or syslog5424 (RFC 5424). The
    /// gateway's startup and runtime messages come in between; --lines counts the
    /// access records, and the truth counts every line as errscope does (not_access,
    /// continued).
    #[arg(long, value_enum, value_name = "KIND")]
    pub envelope: Option<GenerateEnvelope>,
}

/// `--bucket`: a span like `5m`, in milliseconds.
fn parse_bucket(s: &str) -> Result<i64, String> {
    crate::format::timestamp::parse_span(s).ok_or_else(|| {
        format!("{s:?} is not a span: use 1m, 5m, 1h, 1d (N followed by s, m, h or d)")
    })
}

/// `--threshold`: a finite, non-negative relative change.
fn parse_threshold(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "{s:?} is not a relative change: use a number such as 0.5 (+50 %)"
        )),
    }
}

/// `-j`: at least one thread.
fn parse_threads(s: &str) -> Result<NonZeroUsize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) => NonZeroUsize::new(n).ok_or_else(|| {
            "0 threads cannot read anything: use 1 or more, or leave out -j for one per core"
                .to_string()
        }),
        Err(_) => Err(format!("{s:?} is not a number of threads")),
    }
}

/// `--max-malformed`: a share from 0 to 1.
fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "{s:?} is not a share of lines: use a number from 0 to 1, such as 0.9"
        )),
    }
}

/// `4096`, `64KiB`, `4MiB`, `1GiB` (also K/M/G, KB/MB/GB as powers of 1024).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: usize = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size like 4096 or 4MiB"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit {other:?}; use KiB, MiB or GiB")),
    };
    let v = n
        .checked_mul(mult)
        .ok_or_else(|| format!("{s:?} is too large"))?;
    if v == 0 {
        return Err("a size must be at least 1 byte".into());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4MiB"), Ok(4 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("64kb"), Ok(64 << 10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("4TB").is_err());
        assert!(parse_size("x").is_err());
    }
}
