//! Commands: turn parsed command-line arguments into a run, write its output, and
//! decide the exit status. `main.rs` only calls [`main`].
//!
//! This file dispatches the commands and runs the small ones (catalog, presets,
//! lint, diff, trend); `analyze` and `merge` are in [`super::analyze`], writing
//! output and the exit status in [`super::output`].

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use super::analyze::{run_analyze, run_merge, NextState};
use super::output::{is_broken_pipe, render_diff, verdict, write_all, write_atomically};
use crate::catalog::lint;
use crate::catalog::Catalog;
use crate::command::cli::{
    CatalogAction, CatalogArgs, CatalogDiffArgs, CatalogSource, Cli, Command, CompareArgs,
    DiffArgs, LintArgs, OutputArg, PresetsArgs, TrendArgs,
};
use crate::error::{Error, Result};
use crate::format::presets;
use crate::input::state;
use crate::report::diff::{self};
use crate::report::{self};

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
    // Ctrl-C / SIGTERM: exit 130 / 143 with no partial output (src/command/interrupt.rs).
    if let Err(e) = crate::command::interrupt::install() {
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

/// Run one command, writing its output to `out`, or to its `--output-file` (then
/// atomically: see [`write_atomically`]). Per-input errors are printed on stderr as
/// they are found and make the outcome [`Outcome::Error`]; an `Err` is an error that
/// stopped the run.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Outcome> {
    let mut command = cli.command;
    // `generate -O` names the log it writes: replaced atomically like any output.
    let generated = match &mut command {
        Command::Generate(args) => args.output_file.take(),
        _ => None,
    };
    // `analyze --state`: the state is written once the report is out (see
    // `src/input/state.rs`), so a run cut off in between reads those lines again.
    let mut state = None;
    let outcome = match generated.or_else(|| command.output_file().map(Path::to_path_buf)) {
        Some(path) => write_atomically(&path, |file| dispatch(command, file, &mut state))?,
        None => {
            let outcome = dispatch(command, out, &mut state)?;
            out.flush().map_err(Error::Output)?;
            outcome
        }
    };
    if let Some(next) = state {
        write_atomically(&next.path, |file| {
            file.write_all(state::to_json(&next.state).as_bytes())
                .map_err(Error::Output)
        })?;
    }
    Ok(outcome)
}

fn dispatch(
    command: Command,
    out: &mut dyn Write,
    state: &mut Option<NextState>,
) -> Result<Outcome> {
    match command {
        Command::Analyze(args) => run_analyze(&args, out, state),
        Command::Catalog(args) => run_catalog(&args, out),
        Command::Generate(args) => super::generate::run(&args, out),
        Command::Presets(args) => run_presets(&args, out),
        Command::Merge(args) => run_merge(&args, out),
        Command::Diff(args) => run_diff(&args, out),
        Command::Trend(args) => run_trend(&args, out),
        Command::Completions(args) => write_all(&crate::command::man::completions(args.shell), out),
        Command::Man => write_all(
            &crate::command::man::man_page().map_err(Error::Output)?,
            out,
        ),
    }
}

/// `-o FORMAT` for a command that does not write it.
fn unsupported(command: &str, output: OutputArg, supported: &str) -> Error {
    use clap::ValueEnum;
    let name = output
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    Error::Usage(format!(
        "`-o {name}` is not available for `errscope {command}`; use {supported}"
    ))
}

pub(super) fn load_catalog(source: &CatalogSource) -> Result<Catalog> {
    match &source.catalog {
        Some(path) => Catalog::load(path),
        None => Ok(Catalog::embedded()),
    }
}

fn run_catalog(args: &CatalogArgs, out: &mut dyn Write) -> Result<Outcome> {
    match &args.action {
        Some(CatalogAction::Lint(lint_args)) => return run_lint(lint_args, out),
        Some(CatalogAction::Diff(diff_args)) => return run_catalog_diff(diff_args, out),
        None => {}
    }
    let catalog = load_catalog(&args.catalog)?;
    match args.output {
        OutputArg::Text => report::catalog::render(&catalog, out),
        OutputArg::Json => serde_json::to_writer_pretty(&mut *out, &catalog.to_document())
            .map_err(io::Error::from)
            .and_then(|_| out.write_all(b"\n")),
        other => return Err(unsupported("catalog", other, "text or json")),
    }
    .map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

/// `errscope presets`: every preset with its description, definition, example
/// line and documentation source.
fn run_presets(args: &PresetsArgs, out: &mut dyn Write) -> Result<Outcome> {
    match args.output {
        OutputArg::Text => report::presets::render_text(presets::PRESETS, out),
        OutputArg::Json => report::presets::render_json(presets::PRESETS, out),
        other => return Err(unsupported("presets", other, "text or json")),
    }
    .map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

/// A catalog named on the command line: `embedded` is the built-in page (unless a
/// file of that name exists).
fn catalog_at(path: &Path) -> Result<Catalog> {
    if path.as_os_str() == "embedded" && !path.exists() {
        Ok(Catalog::embedded())
    } else {
        Catalog::load(path)
    }
}

/// `errscope catalog diff OLD NEW`: exit status 1 when anything changed.
fn run_catalog_diff(args: &CatalogDiffArgs, out: &mut dyn Write) -> Result<Outcome> {
    use crate::catalog::diff;
    let d = diff::diff(&catalog_at(&args.old)?, &catalog_at(&args.new)?);
    match args.output {
        OutputArg::Text => diff::render_text(&d, out),
        OutputArg::Json => diff::render_json(&d, out),
        other => return Err(unsupported("catalog diff", other, "text or json")),
    }
    .map_err(Error::Output)?;
    Ok(if d.changed() {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// `errscope catalog lint`: exit status 1 when there are findings.
fn run_lint(args: &LintArgs, out: &mut dyn Write) -> Result<Outcome> {
    let lint = lint::lint(args.catalog.catalog.as_deref())?;
    match args.output {
        OutputArg::Text => lint::render_text(&lint, out),
        OutputArg::Json => lint::render_json(&lint, out),
        other => return Err(unsupported("catalog lint", other, "text or json")),
    }
    .map_err(Error::Output)?;
    Ok(if lint.findings.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

pub(super) fn diff_options(args: &CompareArgs) -> diff::Options {
    diff::Options {
        threshold: args.threshold,
        min_count: args.min_count,
    }
}

/// `errscope trend REPORT...`.
fn run_trend(args: &TrendArgs, out: &mut dyn Write) -> Result<Outcome> {
    use crate::report::trend;
    let t = trend::load(&args.reports)?;
    match args.output {
        OutputArg::Text => trend::render::text_report(&t, args.top, out),
        OutputArg::Markdown => trend::render::markdown(&t, args.top, out),
        OutputArg::Json => trend::render::json(&t, out),
        OutputArg::Csv => trend::render::csv(&t, out),
        OutputArg::Html => trend::html::render(&t, out),
        other => {
            return Err(unsupported(
                "trend",
                other,
                "text, json, markdown, csv or html",
            ))
        }
    }
    .map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

/// `errscope diff BASELINE CURRENT`.
fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> Result<Outcome> {
    if matches!(
        args.output,
        OutputArg::Csv | OutputArg::Html | OutputArg::Openmetrics | OutputArg::Partial
    ) {
        return Err(unsupported("diff", args.output, "text, json or markdown"));
    }
    let baseline = diff::load_report(&args.baseline)?;
    let current = diff::load_report(&args.current)?;
    let d = diff::build(
        &baseline,
        &args.baseline.display().to_string(),
        &current,
        &args.current.display().to_string(),
        diff_options(&args.compare),
    );
    render_diff(&d, args.output, args.top, out).map_err(Error::Output)?;
    Ok(verdict(&current, Some(&d), &args.fail_on))
}
