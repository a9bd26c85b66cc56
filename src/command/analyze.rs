//! `errscope analyze` and `errscope merge`, the two commands that make a report:
//! options from the flags, the inputs planned (`--state`, `--range`, standard input
//! named), the analysis run, and its report delivered (see [`super::output`]).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::analyze::progress::Progress;
use crate::analyze::{self, Options};
use crate::classify::routes::Routes;
use crate::command::cli::{AnalyzeArgs, FormatArg, MergeArgs, OutputArg};
use crate::command::progress;
use crate::error::{Error, Result};
use crate::fleet::partial::{self, Span};
use crate::format::timestamp;
use crate::format::{self, presets, Detection, FieldOverride, FormatChoice};
use crate::input;
use crate::input::state;
use crate::report::table::escape_control;
use crate::report::{self};

use super::app::{load_catalog, Outcome};
use super::output::{deliver, read_baseline};

/// A state to write once the report is written, and the lock held until then.
pub(super) struct NextState {
    pub(super) path: PathBuf,
    pub(super) state: state::State,
    pub(super) _lock: state::Lock,
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
pub(super) fn format_choice(args: &AnalyzeArgs) -> Result<FormatChoice> {
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

/// A format error, saying which flag and value it is about.
pub(super) fn name_the_flag(e: Error, choice: &FormatChoice) -> Error {
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

pub(super) fn run_analyze(
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
pub(super) fn split_input(
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
pub(super) fn name_stdin(
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

/// `errscope merge PARTIAL...`: the partials added up ([`crate::fleet::merge`]), rendered
/// as `analyze` renders its report.
pub(super) fn run_merge(args: &MergeArgs, out: &mut dyn Write) -> Result<Outcome> {
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
pub(super) const FORMAT_LINES: usize = 10;

/// Say on stderr which format each input was read as, when auto-detection told it:
/// a line per input, or past [`FORMAT_LINES`] inputs (and without `verbose`) one line
/// with the count per format, plus a line for each input whose format leaves
/// trailing fields unread (a name may be in them).
pub(super) fn say_formats(inputs: &[analyze::InputSummary], verbose: bool) {
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
