//! Commands: turn parsed command-line arguments into a run, write its output, and
//! decide the exit status. `main.rs` only calls [`main`].

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::analyze::progress::Progress;
use crate::analyze::{self, Options};
use crate::catalog::lint;
use crate::catalog::Catalog;
use crate::classify::routes::Routes;
use crate::command::cli::{
    AnalyzeArgs, CatalogAction, CatalogArgs, CatalogDiffArgs, CatalogSource, Cli, ColorArg,
    Command, CompareArgs, DiffArgs, FormatArg, LintArgs, MergeArgs, OutputArg, PresetsArgs,
    ReportArgs, TrendArgs,
};
use crate::command::progress;
use crate::error::{Error, Result};
use crate::fleet::partial::{self, Partial, Span};
use crate::format::timestamp;
use crate::format::{self, presets, Detection, FieldOverride, FormatChoice};
use crate::input;
use crate::input::state;
use crate::report::diff::{self, Diff};
use crate::report::fail_on::{self, FailOn};
use crate::report::table::escape_control;
use crate::report::{self, Report};

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

/// A state to write once the report is written, and the lock held until then.
struct NextState {
    path: PathBuf,
    state: state::State,
    _lock: state::Lock,
}

fn dispatch(
    command: Command,
    out: &mut dyn Write,
    state: &mut Option<NextState>,
) -> Result<Outcome> {
    match command {
        Command::Analyze(args) => run_analyze(&args, out, state),
        Command::Catalog(args) => run_catalog(&args, out),
        Command::Generate(args) => crate::generate::run(&args, out),
        Command::Presets(args) => run_presets(&args, out),
        Command::Merge(args) => run_merge(&args, out),
        Command::Diff(args) => run_diff(&args, out),
        Command::Trend(args) => run_trend(&args, out),
        Command::Completions(args) => write_all(&crate::command::cli::completions(args.shell), out),
        Command::Man => write_all(
            &crate::command::cli::man_page().map_err(Error::Output)?,
            out,
        ),
    }
}

/// `errscope completions` and `errscope man`: bytes made in memory, written out.
fn write_all(bytes: &[u8], out: &mut dyn Write) -> Result<Outcome> {
    out.write_all(bytes).map_err(Error::Output)?;
    Ok(Outcome::Clean)
}

/// Run `write` into a new temporary file in `path`'s directory and rename it to
/// `path` once `write` succeeded and the data is on disk, so readers see the old file
/// or the whole new one, never a part. An existing file's permissions are kept. When
/// `write` (or anything before the rename) fails, the temporary file is removed and
/// `path` is untouched.
pub fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let named =
        |e: io::Error| Error::Output(io::Error::new(e.kind(), format!("{}: {e}", path.display())));
    let mut temp = TempFile::create(path).map_err(named)?;
    let value = {
        let mut out = BufWriter::with_capacity(64 * 1024, &temp.file);
        let value = write(&mut out)?;
        out.flush().map_err(named)?;
        value
    };
    temp.persist(path).map_err(named)?;
    Ok(value)
}

/// A temporary file beside its destination; removed on drop unless persisted, and
/// by the interrupt handler if Ctrl-C comes first (see [`crate::command::interrupt`]).
struct TempFile {
    path: PathBuf,
    file: File,
    persisted: bool,
    /// Registered for removal on a signal until the rename is committed.
    registration: Option<crate::command::interrupt::TempPath>,
}

impl TempFile {
    /// `.NAME.PID-N.tmp` in the directory of `dest`, created exclusively.
    fn create(dest: &Path) -> io::Result<TempFile> {
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
        let dir = match dest.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut attempt = 0;
        loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}-{attempt}.tmp", std::process::id()));
            let path = dir.join(temp_name);
            // Registered before it exists, so a signal in between cannot leave it.
            let registration = crate::command::interrupt::TempPath::register(path.clone());
            match File::options().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(TempFile {
                        path,
                        file,
                        persisted: false,
                        registration: Some(registration),
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Flush to disk, take over `dest`'s permissions, and rename over `dest`.
    fn persist(&mut self, dest: &Path) -> io::Result<()> {
        if let Ok(meta) = fs::metadata(dest) {
            if meta.is_file() {
                self.file.set_permissions(meta.permissions())?;
            }
        }
        self.file.sync_all()?;
        // Under the interrupt gate: a signal removes the temporary file before the
        // rename, or exits after it, never in between.
        match self.registration.take() {
            Some(registration) => registration.commit(|temp| fs::rename(temp, dest))?,
            None => fs::rename(&self.path, dest)?,
        }
        self.persisted = true;
        // Make the rename itself durable (best effort: not every system allows it).
        #[cfg(unix)]
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = fs::remove_file(&self.path);
        }
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

fn load_catalog(source: &CatalogSource) -> Result<Catalog> {
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
        // The HTML report always charts requests over time.
        bucket_ms: args
            .bucket
            .or((args.report.output == OutputArg::Html).then_some(report::html::DEFAULT_BUCKET_MS)),
        progress: None,
        max_malformed: args.max_malformed,
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
                    FormatArg::Nginx => {
                        matches!(family, presets::Family::Text | presets::Family::OwnText)
                    }
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

/// Whether the text report is colored: `--color auto` means on a terminal, unless
/// NO_COLOR is set or TERM is dumb.
fn use_color(choice: ColorArg) -> bool {
    match choice {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => {
            io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        }
    }
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

fn diff_options(args: &CompareArgs) -> diff::Options {
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

fn render_diff(d: &Diff, output: OutputArg, top: usize, out: &mut dyn Write) -> io::Result<()> {
    match output {
        OutputArg::Text => diff::text::render(d, top, out),
        OutputArg::Json => diff::render_json(d, out),
        OutputArg::Markdown => diff::markdown::render(d, top, out),
        OutputArg::Csv | OutputArg::Html | OutputArg::Openmetrics | OutputArg::Partial => {
            unreachable!("refused before the reports are read")
        }
    }
}

fn run_analyze(
    args: &AnalyzeArgs,
    out: &mut dyn Write,
    next_state: &mut Option<NextState>,
) -> Result<Outcome> {
    let baseline = read_baseline(&args.report.fail_on, args.report.baseline.as_deref())?;
    let catalog = load_catalog(&args.catalog)?;
    let routes = Routes::new(&catalog, &args.routes)?;
    let opts = analyze_options(args)?;
    // A format named on the command line is checked once, before any input is read.
    if opts.format != FormatChoice::Auto {
        format::build(&opts.format, &opts.fields, b"")
            .map_err(|e| name_the_flag(e, &opts.format))?;
    }
    let input::Expanded {
        sources,
        errors: unlisted,
        notes,
    } = input::expand(&args.paths, args.recursive);
    for note in notes.iter().filter(|_| !args.quiet) {
        eprintln!("errscope: {}", escape_control(note));
    }
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
    // Many machines: a byte range of one file, or standard input said to be one.
    let split = split_input(args, &sources)?;
    // Incremental: where each file starts, from the state of earlier runs.
    let incremental = match &args.state {
        None => None,
        Some(path) => {
            if sources.contains(&input::Source::Stdin) {
                return Err(Error::Usage(
                    "--state reads files from where earlier runs stopped; standard input \
                     (`-`) cannot be read on from anywhere: give the log files"
                        .into(),
                ));
            }
            let lock = state::lock(path)?;
            let settings = state::settings(
                &catalog,
                &args.routes,
                &opts.format,
                &args.fields,
                opts.max_line_bytes,
            );
            let earlier = state::load(path, &settings)?;
            let plan = state::plan(&earlier, &sources);
            for note in plan.notes.iter().filter(|_| !args.quiet) {
                eprintln!("errscope: {}", escape_control(note));
            }
            Some((path, lock, earlier, plan))
        }
    };
    // `-` with nothing piped in waits for lines typed at the terminal: say so, rather
    // than seem to hang.
    if !args.quiet && sources.contains(&input::Source::Stdin) && io::stdin().is_terminal() {
        eprintln!(
            "errscope: reading the log from the terminal (standard input); end it with Ctrl-D"
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, |n| n.get()))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let mut opts = opts;
    let progress = (!args.quiet).then(|| {
        let counter = Arc::new(Progress::default());
        opts.progress = Some(Arc::clone(&counter));
        progress::start(counter)
    });
    // A byte range's share of malformed lines is not its file's: `merge` checks
    // the share of the whole file (`--max-malformed` is in the partial's settings).
    let settings = partial::settings(&catalog, &args.routes, &args.fields, &opts);
    if split.is_some() || args.stdin_offset.is_some() {
        opts.max_malformed = f64::INFINITY;
    }
    let mut spans: Vec<Option<Span>> = vec![None; sources.len()];
    if let Some((_, span)) = &split {
        spans[0] = Some(*span);
    }
    let mut analysis = pool.install(|| match (&incremental, split) {
        (_, Some((opened, _))) => {
            analyze::analyze_opened(&sources, vec![Ok(opened)], &catalog, &routes, &opts)
        }
        (None, None) => analyze::analyze(&sources, &catalog, &routes, &opts),
        (Some((_, _, _, plan)), None) => {
            let opened = plan.open(&sources);
            let mut analysis = analyze::analyze_opened(&sources, opened, &catalog, &routes, &opts);
            plan.number(&mut analysis);
            analysis
        }
    });
    if let Some(line) = progress.flatten() {
        line.finish();
    }
    name_stdin(args, &sources, &mut analysis, &mut spans)?;
    if !args.quiet {
        say_formats(&analysis.inputs, args.verbose);
    }
    for e in unlisted.iter().chain(&analysis.errors) {
        eprintln!("errscope: {}", escape_control(&e.to_string()));
    }
    let mut report = report::build(&analysis, &catalog);
    // Paths that could not be listed are inputs too: the report names them.
    report.add_unread(&unlisted);
    // Nothing read is no report: yesterday's stays where it is (see `run`).
    if report.nothing_read() {
        return Err(Error::NothingRead {
            kept: args.report.output_file.output_file.clone(),
        });
    }
    let had_errors = !unlisted.is_empty() || !analysis.errors.is_empty();
    let partial = (args.report.output == OutputArg::Partial)
        .then(|| partial::of_analysis(&analysis, &catalog, settings, &spans, &unlisted));
    let verdict = deliver(&report, partial.as_ref(), &args.report, baseline, out)?;
    if let Some((path, lock, earlier, plan)) = incremental {
        *next_state = Some(NextState {
            path: path.clone(),
            state: state::advance(&earlier, &plan, &sources, &analysis.inputs),
            _lock: lock,
        });
    }
    Ok(if had_errors { Outcome::Error } else { verdict })
}

/// `--range A..B FILE`: the range opened (see [`input::open_range`]) and the bytes
/// it holds; refused with anything it does not go with. Also checks that
/// `--stdin-name` and `--stdin-offset` go with what was given.
fn split_input(
    args: &AnalyzeArgs,
    sources: &[input::Source],
) -> Result<Option<(input::Opened, Span)>> {
    let partial_only = |flag: &str| {
        Error::Usage(format!(
            "{flag} reads a part of a file, whose line numbers are known only once the \
             parts are merged: write a partial (-o partial) and render it with `errscope merge`"
        ))
    };
    let has_stdin = sources.contains(&input::Source::Stdin);
    if args.stdin_name.is_some() && !has_stdin {
        return Err(Error::Usage(
            "--stdin-name names standard input, and `-` is not among the inputs".into(),
        ));
    }
    if args.stdin_offset.is_some() && args.report.output != OutputArg::Partial {
        return Err(partial_only("--stdin-offset"));
    }
    let Some(range) = args.range else {
        return Ok(None);
    };
    if args.report.output != OutputArg::Partial {
        return Err(partial_only("--range"));
    }
    if args.state.is_some() {
        return Err(Error::Usage(
            "--range and --state do not go together: a range is one task's share of a \
             file, and --state reads on from where earlier runs stopped"
                .into(),
        ));
    }
    let path = match (sources, args.paths.len()) {
        ([input::Source::File(path)], 1) if *path == args.paths[0] => path,
        _ => {
            return Err(Error::Usage(
                "--range reads a byte range of one file: give exactly one FILE (not `-`, \
                 a directory or a pattern); for standard input use --stdin-name and \
                 --stdin-offset"
                    .into(),
            ))
        }
    };
    let (opened, span, size) = input::open_range(path, range.start..range.end)?;
    Ok(Some((
        opened,
        Span {
            start: span.start,
            end: span.end,
            size: Some(size),
        },
    )))
}

/// `--stdin-name` and `--stdin-offset`: standard input's lines are reported under
/// the name given, and, with an offset, are the bytes from there of that file.
fn name_stdin(
    args: &AnalyzeArgs,
    sources: &[input::Source],
    analysis: &mut analyze::Analysis,
    spans: &mut [Option<Span>],
) -> Result<()> {
    let Some(i) = sources.iter().position(|s| *s == input::Source::Stdin) else {
        return Ok(());
    };
    let input = &mut analysis.inputs[i];
    if let Some(name) = &args.stdin_name {
        input.name = name.clone();
    }
    if let Some(offset) = args.stdin_offset {
        if let Some(c) = input.compression {
            return Err(Error::Usage(format!(
                "--stdin-offset: standard input is {c}-compressed, so its bytes are not \
                 the file's: a compressed file cannot be split; read it whole, without \
                 --stdin-offset"
            )));
        }
        spans[i] = Some(Span {
            start: offset,
            end: offset + input.bytes,
            size: None,
        });
    }
    Ok(())
}

/// The `--baseline` report, read before any work (a bad one should not cost an
/// analysis); refused `--fail-on` kinds that need one when there is none.
fn read_baseline(fail_on: &[FailOn], baseline: Option<&Path>) -> Result<Option<Report>> {
    if let Some(f) = fail_on.iter().find(|f| f.needs_baseline()) {
        if baseline.is_none() {
            return Err(Error::Usage(format!(
                "--fail-on {f} compares with an earlier report: give it with --baseline \
                 BASELINE.json"
            )));
        }
    }
    baseline.map(diff::load_report).transpose()
}

/// Render `report` in the format asked for (`-o partial`: `partial`, which the
/// caller made), with the comparison to the baseline, and write it to `out` whole
/// under the interrupt gate; then the verdict of `--fail-on`. The one rendering
/// path of `analyze` and `merge`.
fn deliver(
    report: &Report,
    partial: Option<&Partial>,
    d: &ReportArgs,
    baseline: Option<Report>,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let diff = baseline.zip(d.baseline.as_deref()).map(|(b, source)| {
        diff::build(
            &b,
            &source.display().to_string(),
            report,
            "this run",
            diff_options(&d.compare),
        )
    });
    // Rendered whole, then written under the interrupt gate: Ctrl-C gives all of
    // the report or none of it.
    let mut rendered = Vec::new();
    let buf = &mut rendered;
    match d.output {
        OutputArg::Text => {
            let color = use_color(d.color);
            report::text::render(report, &report::text::Style { top: d.top, color }, buf)
        }
        OutputArg::Json => report::json::render(report, buf),
        OutputArg::Markdown => report::markdown::render(report, d.top, buf),
        OutputArg::Csv => report::csv::render(report, buf),
        OutputArg::Html => report::html::render(report, buf),
        OutputArg::Openmetrics => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64().floor());
            report::openmetrics::render(report, now, buf)
        }
        OutputArg::Partial => {
            buf.extend_from_slice(&partial::to_json(
                partial.expect("the caller makes the partial for -o partial"),
            ));
            Ok(())
        }
    }
    .and_then(|()| match (&diff, d.output) {
        // Text and Markdown end with the comparison; JSON and CSV stay the report
        // (the next night's baseline) and HTML the page, with a summary on stderr.
        (Some(diff), OutputArg::Text | OutputArg::Markdown) => {
            writeln!(buf)?;
            render_diff(diff, d.output, d.top, buf)
        }
        (Some(diff), _) => {
            eprintln!(
                "errscope: compared with {}: {}",
                diff.baseline.source,
                diff.summary()
            );
            Ok(())
        }
        (None, _) => Ok(()),
    })
    .and_then(|()| {
        let _gate = crate::command::interrupt::gate();
        out.write_all(&rendered)?;
        out.flush()
    })
    .map_err(Error::Output)?;
    Ok(verdict(report, diff.as_ref(), &d.fail_on))
}

/// `errscope merge PARTIAL...`: the partials added up ([`crate::fleet::merge`]), rendered
/// as `analyze` renders its report.
fn run_merge(args: &MergeArgs, out: &mut dyn Write) -> Result<Outcome> {
    let baseline = read_baseline(&args.report.fail_on, args.report.baseline.as_deref())?;
    let catalog = load_catalog(&args.catalog)?;
    let partials = crate::fleet::merge::load(&args.partials)?;
    let merged = crate::fleet::merge::merge(partials, &catalog)?;
    for note in merged.notes.iter().filter(|_| !args.quiet) {
        eprintln!("errscope: {}", escape_control(note));
    }
    // A partial may lack ranges of a file (a later merge may add them); a report
    // of one that does is incomplete.
    let partial = (args.report.output == OutputArg::Partial).then(|| merged.to_partial(&catalog));
    let (analysis, errors) = merged.report_analysis(partial.is_none());
    for e in &errors {
        eprintln!("errscope: {}", escape_control(e));
    }
    let report = report::build(&analysis, &catalog);
    if report.nothing_read() {
        return Err(Error::NothingRead {
            kept: args.report.output_file.output_file.clone(),
        });
    }
    let verdict = deliver(&report, partial.as_ref(), &args.report, baseline, out)?;
    Ok(if errors.is_empty() {
        verdict
    } else {
        Outcome::Error
    })
}

/// Inputs past which the formats told are summed up on stderr (without `-v`).
const FORMAT_LINES: usize = 10;

/// Say on stderr which format each input was read as, when auto-detection told it:
/// a line per input, or past [`FORMAT_LINES`] inputs (and without `verbose`) one line
/// with the count per format, plus a line for each input whose format leaves
/// trailing fields unread (a name may be in them).
fn say_formats(inputs: &[analyze::InputSummary], verbose: bool) {
    let told: Vec<(&analyze::InputSummary, &Detection)> = inputs
        .iter()
        .filter_map(|i| i.detection.as_ref().map(|d| (i, d)))
        .collect();
    // Paths and what follows them are escaped: a file name can hold control bytes.
    let say = |i: &analyze::InputSummary, detection: &Detection| {
        eprintln!(
            "errscope: {}",
            escape_control(&format!("{}: {detection}", i.name))
        );
    };
    if verbose || told.len() <= FORMAT_LINES {
        told.iter().for_each(|(i, d)| say(i, d));
        return;
    }
    let mut per_format: std::collections::BTreeMap<&str, u64> = Default::default();
    for (i, _) in &told {
        *per_format
            .entry(i.format.as_deref().unwrap_or("-"))
            .or_default() += 1;
    }
    let formats: Vec<String> = per_format
        .iter()
        .map(|(f, n)| format!("{f} {}", report::table::thousands(*n)))
        .collect();
    eprintln!(
        "errscope: {} inputs, formats told from their first lines: {} (-v: a line per input)",
        report::table::thousands(told.len() as u64),
        escape_control(&formats.join(", "))
    );
    for (i, d) in told.iter().filter(|(_, d)| d.leaves_fields_unread()) {
        say(i, d);
    }
}

/// [`Outcome::Findings`] when anything named by `--fail-on` occurred, each said on
/// stderr with its count (and names), whatever the output format; else
/// [`Outcome::Clean`].
fn verdict(report: &Report, diff: Option<&Diff>, fail_on: &[FailOn]) -> Outcome {
    let reasons = fail_on::reasons(report, diff, fail_on);
    for reason in &reasons {
        eprintln!("errscope: --fail-on {reason}");
    }
    if reasons.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    }
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
