//! Commands: turn parsed command-line arguments into a run, write its output, and
//! decide the exit status. `main.rs` only calls [`main`].

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::analyze::{self, Options};
use crate::catalog::Catalog;
use crate::classify::Class;
use crate::cli::{
    AnalyzeArgs, CatalogArgs, CatalogSource, Cli, Command, FailOn, FormatArg, OutputArg,
    PresetsArgs,
};
use crate::error::{Error, Result};
use crate::format::{self, presets, FieldOverride, FormatChoice};
use crate::input;
use crate::report::table::escape_control;
use crate::report::{self, Report};
use crate::routes::Routes;
use crate::timestamp;

/// Exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Finished; nothing named by `--fail-on` occurred.
    Clean = 0,
    /// A class named by `--fail-on` occurred.
    Findings = 1,
    /// Usage, catalog or input error.
    Error = 2,
}

/// Parse the command line, run, report errors on stderr, and give the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C / SIGTERM: exit 130 / 143 with no partial output (src/interrupt.rs).
    if let Err(e) = crate::interrupt::install() {
        eprintln!("errscope: cannot watch for Ctrl-C: {e}");
    }
    let stdout = io::stdout();
    // Line-buffered on a terminal, block-buffered into pipes and files.
    let result = if stdout.is_terminal() {
        run(cli, &mut stdout.lock())
    } else {
        let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
        run(cli, &mut out).and_then(|o| out.flush().map(|_| o).map_err(Error::Output))
    };
    match result {
        Ok(outcome) => ExitCode::from(outcome as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("errscope: {e}");
            ExitCode::from(Outcome::Error as u8)
        }
    }
}

/// Run one command, writing its output to `out`. Per-input errors are printed on
/// stderr as they are found and make the outcome [`Outcome::Error`]; an `Err` is an
/// error that stopped the run.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Outcome> {
    match cli.command {
        Command::Analyze(args) => run_analyze(&args, out),
        Command::Catalog(args) => run_catalog(&args, out),
        Command::Generate(args) => crate::generate::run(&args, out),
        Command::Presets(args) => run_presets(&args, out),
    }
}

fn load_catalog(source: &CatalogSource) -> Result<Catalog> {
    match &source.catalog {
        Some(path) => Catalog::load(path),
        None => Ok(Catalog::embedded()),
    }
}

fn run_catalog(args: &CatalogArgs, out: &mut dyn Write) -> Result<Outcome> {
    let catalog = load_catalog(&args.catalog)?;
    match args.output {
        OutputArg::Text => report::catalog::render(&catalog, out),
        OutputArg::Json => serde_json::to_writer_pretty(&mut *out, &catalog.to_document())
            .map_err(io::Error::from)
            .and_then(|_| out.write_all(b"\n")),
    }
    .map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

/// The analyze options the arguments ask for.
pub fn analyze_options(args: &AnalyzeArgs) -> Result<Options> {
    let format = format_choice(args)?;
    let fields = args
        .fields
        .iter()
        .map(|f| FieldOverride::parse(f))
        .collect::<Result<Vec<_>>>()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let bound = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|v| timestamp::parse_time_bound(v, now_ms))
            .transpose()
            .map_err(|e| Error::Usage(format!("invalid {flag}: {e}")))
    };
    let since = bound("--since", &args.since)?;
    let until = bound("--until", &args.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(Error::Usage(format!(
                "--since ({}) is not before --until ({})",
                timestamp::format_rfc3339(s),
                timestamp::format_rfc3339(u)
            )));
        }
    }
    Ok(Options {
        format,
        fields,
        chunk_size: args.chunk_size,
        max_line_bytes: args.max_line_bytes,
        max_names: args.max_names,
        max_examples: args.examples,
        max_endpoints: args.max_endpoints,
        since,
        until,
        bucket_ms: args.bucket,
    })
}

/// What `--format`, `--preset`, `--log-format` and `--apache-format` ask for.
fn format_choice(args: &AnalyzeArgs) -> Result<FormatChoice> {
    let text_only = |flag: &str| {
        Error::Usage(format!(
            "{flag} describes text logs; it does not go with --format json"
        ))
    };
    Ok(
        match (
            args.format,
            &args.preset,
            &args.log_format,
            &args.apache_format,
        ) {
            (FormatArg::Json, _, Some(_), _) => return Err(text_only("--log-format")),
            (FormatArg::Json, _, _, Some(_)) => return Err(text_only("--apache-format")),
            (FormatArg::Logfmt, _, Some(_), _) | (FormatArg::Logfmt, _, _, Some(_)) => {
                return Err(Error::Usage(
                    "--log-format and --apache-format describe other formats than logfmt".into(),
                ))
            }
            (_, _, Some(fmt), _) => FormatChoice::NginxCustom(fmt.clone()),
            (_, _, None, Some(fmt)) => FormatChoice::ApacheCustom(fmt.clone()),
            (format, Some(name), None, None) => {
                let preset = presets::lookup(name)?;
                let family = preset.family();
                let fits = match format {
                    FormatArg::Auto => true,
                    FormatArg::Json => family == presets::Family::Json,
                    FormatArg::Nginx => family == presets::Family::Text,
                    FormatArg::Logfmt => preset.name == "logfmt",
                };
                if !fits {
                    return Err(Error::Usage(format!(
                        "--preset {name} is not a {} format; leave out --format, or pick \
                     another preset (`errscope presets`)",
                        match format {
                            FormatArg::Json => "JSON",
                            _ => "text",
                        }
                    )));
                }
                FormatChoice::Preset(preset.name.to_string())
            }
            (FormatArg::Nginx, None, None, None) => FormatChoice::NginxPreset("gateway".into()),
            (FormatArg::Json, None, None, None) => FormatChoice::Json,
            (FormatArg::Logfmt, None, None, None) => FormatChoice::Preset("logfmt".into()),
            (FormatArg::Auto, None, None, None) => FormatChoice::Auto,
        },
    )
}

/// A format error, saying which flag and value it is about.
fn name_the_flag(e: Error, choice: &FormatChoice) -> Error {
    let flag = match choice {
        FormatChoice::NginxCustom(f) => format!("--log-format {f:?}"),
        FormatChoice::ApacheCustom(f) => format!("--apache-format {f:?}"),
        _ => return e,
    };
    match e {
        Error::LogFormat { message } => Error::Usage(format!("invalid {flag}: {message}")),
        other => other,
    }
}

/// `errscope presets`: every preset with its description, definition, example
/// line and documentation source.
fn run_presets(args: &PresetsArgs, out: &mut dyn Write) -> Result<Outcome> {
    match args.output {
        OutputArg::Text => report::presets::render_text(presets::PRESETS, out),
        OutputArg::Json => report::presets::render_json(presets::PRESETS, out),
    }
    .map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

fn run_analyze(args: &AnalyzeArgs, out: &mut dyn Write) -> Result<Outcome> {
    let catalog = load_catalog(&args.catalog)?;
    let routes = Routes::new(&catalog, &args.routes)?;
    let opts = analyze_options(args)?;
    // A format named on the command line is checked once, before any input is read.
    if opts.format != FormatChoice::Auto {
        format::build(&opts.format, &opts.fields, b"")
            .map_err(|e| name_the_flag(e, &opts.format))?;
    }
    let (sources, unlisted) = input::expand(&args.paths, args.recursive);
    if sources
        .iter()
        .filter(|s| **s == input::Source::Stdin)
        .count()
        > 1
    {
        return Err(Error::Usage(
            "`-` (standard input) can be given only once".into(),
        ));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, |n| n.get()))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let analysis = pool.install(|| analyze::analyze(&sources, &catalog, &routes, &opts));
    // Paths and what follows them are escaped: a file name can hold control bytes.
    for input in &analysis.inputs {
        if let Some(detection) = &input.detection {
            eprintln!(
                "errscope: {}",
                escape_control(&format!("{}: {detection}", input.name))
            );
        }
    }
    for e in unlisted.iter().chain(&analysis.errors) {
        eprintln!("errscope: {}", escape_control(&e.to_string()));
    }
    let mut report = report::build(&analysis, &catalog);
    // Paths that could not be listed are inputs too: the report names them.
    report
        .inputs
        .extend(unlisted.iter().map(report::Input::unread));
    let had_errors = !unlisted.is_empty() || !analysis.errors.is_empty();
    // Rendered whole, then written under the interrupt gate: Ctrl-C gives all of
    // the report or none of it.
    let mut rendered = Vec::new();
    match args.output {
        OutputArg::Text => report::text::render(&report, args.top, &mut rendered),
        OutputArg::Json => report::json::render(&report, &mut rendered),
    }
    .and_then(|()| {
        let _gate = crate::interrupt::gate();
        out.write_all(&rendered)?;
        out.flush()
    })
    .map_err(Error::Output)?;
    Ok(if had_errors {
        Outcome::Error
    } else if failed(&report, &args.fail_on) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Whether any class named by `--fail-on` occurred.
pub fn failed(report: &Report, fail_on: &[FailOn]) -> bool {
    fail_on.iter().any(|f| {
        let class = match f {
            FailOn::Undocumented => Class::Undocumented,
            FailOn::StatusMismatch => Class::StatusMismatch,
            FailOn::WrongSection => Class::WrongSection,
            FailOn::Malformed => Class::Malformed,
            FailOn::UnnamedError => Class::UnnamedError,
        };
        report.totals.classes.get(class) > 0
    })
}

fn is_broken_pipe(e: &Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        source = err.source();
    }
    false
}
