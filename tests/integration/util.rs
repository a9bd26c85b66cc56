//! The harness: run the real `errscope` binary, write inputs into temporary
//! directories, parse JSON reports into the library's `deny_unknown_fields` model,
//! and check the invariants every report must hold.

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use errscope::generate::Truth;
use errscope::report::Report;
use tempfile::TempDir;

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics with both streams when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Output {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The JSON report on stdout, checked against every report invariant.
    #[track_caller]
    pub fn report(&self) -> Report {
        let report: Report = serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report: {e}\n--- stdout\n{}\n--- stderr\n{}",
                self.stdout, self.stderr
            )
        });
        check_invariants(&report);
        report
    }
}

/// The root of the crate; relative fixture paths are resolved from here.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `fixtures/<name>` as an absolute path.
pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("fixtures").join(name)
}

/// Run `errscope args…` with no standard input.
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    run_with(args, None, manifest_dir())
}

/// Run `errscope args…` with `stdin` piped in.
pub fn run_stdin<S: AsRef<OsStr>>(args: &[S], stdin: &[u8]) -> Output {
    run_with(args, Some(stdin), manifest_dir())
}

/// Run `errscope args…` in `cwd`, with `stdin` piped in when given (else `/dev/null`).
pub fn run_with<S: AsRef<OsStr>>(args: &[S], stdin: Option<&[u8]>, cwd: &Path) -> Output {
    let mut cmd = errscope();
    cmd.args(args).current_dir(cwd);
    run_command(cmd, stdin)
}

/// The binary, run from the crate root, with `ERRSCOPE_CATALOG` and
/// `RAYON_NUM_THREADS` removed so the defaults apply.
pub fn errscope() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_errscope"));
    cmd.current_dir(manifest_dir())
        .env_remove("ERRSCOPE_CATALOG")
        .env_remove("RAYON_NUM_THREADS");
    cmd
}

/// Run `cmd` to its end, with `stdin` piped in when given (else `/dev/null`).
pub fn run_command(mut cmd: Command, stdin: Option<&[u8]>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn errscope");
    // Feed stdin from a thread so a large input cannot deadlock against full pipes.
    let writer = stdin.map(|bytes| {
        let bytes = bytes.to_vec();
        let mut pipe = child.stdin.take().expect("piped stdin");
        std::thread::spawn(move || {
            // errscope may stop reading early (e.g. a usage error): ignore EPIPE.
            let _ = pipe.write_all(&bytes);
        })
    });
    let out = child.wait_with_output().expect("wait for errscope");
    if let Some(w) = writer {
        w.join().expect("stdin writer");
    }
    Output {
        code: out
            .status
            .code()
            .expect("errscope exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// Arguments of mixed types (`&str`, paths) as one list for [`run`].
pub fn os(args: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    args.iter().map(|a| a.as_ref().to_os_string()).collect()
}

/// `errscope analyze -o json extra… paths…`, expecting exit 0; the checked report.
#[track_caller]
pub fn analyze<S: AsRef<OsStr>>(extra: &[S], paths: &[&Path]) -> Report {
    analyze_code(extra, paths, 0)
}

/// Like [`analyze`], expecting exit `code`.
#[track_caller]
pub fn analyze_code<S: AsRef<OsStr>>(extra: &[S], paths: &[&Path], code: i32) -> Report {
    let report = analyze_json(extra, paths, code);
    text_renders(extra, paths, code);
    report
}

/// `analyze -o json` only (no text run), expecting exit `code`.
#[track_caller]
pub fn analyze_json<S: AsRef<OsStr>>(extra: &[S], paths: &[&Path], code: i32) -> Report {
    run(&analyze_args(extra, paths)).expect_code(code).report()
}

/// `analyze -o json` over `stdin`, expecting exit `code`.
#[track_caller]
pub fn analyze_stdin<S: AsRef<OsStr>>(extra: &[S], stdin: &[u8], code: i32) -> Report {
    let dash = Path::new("-");
    run_stdin(&analyze_args(extra, &[dash]), stdin)
        .expect_code(code)
        .report()
}

fn analyze_args<S: AsRef<OsStr>>(extra: &[S], paths: &[&Path]) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["analyze".into(), "-o".into(), "json".into()];
    args.extend(extra.iter().map(|a| a.as_ref().to_os_string()));
    args.extend(paths.iter().map(|p| p.as_os_str().to_os_string()));
    args
}

/// The text renderer runs on the same arguments, exits the same way, and shows its
/// findings section.
#[track_caller]
fn text_renders<S: AsRef<OsStr>>(extra: &[S], paths: &[&Path], code: i32) {
    let mut args: Vec<OsString> = vec!["analyze".into(), "-o".into(), "text".into()];
    args.extend(extra.iter().map(|a| a.as_ref().to_os_string()));
    args.extend(paths.iter().map(|p| p.as_os_str().to_os_string()));
    let out = run(&args).expect_code(code);
    assert!(
        out.stdout.contains("Findings"),
        "text report without Findings:\n{}",
        out.stdout
    );
}

/// Invariants of every report: every line lands in exactly one class, and the
/// totals, inputs and status tables agree with each other.
#[track_caller]
pub fn check_invariants(r: &Report) {
    let t = &r.totals;
    assert_eq!(r.schema, "errscope-report");
    assert_eq!(r.version, 1);
    assert_eq!(
        t.classes.sum() + t.unclassified(),
        t.lines,
        "sum of classes + outside_window + not_access + no_response + continued == lines"
    );
    let input_lines: u64 = r.inputs.iter().map(|i| i.lines).sum();
    assert_eq!(input_lines, t.lines, "sum of inputs[].lines == lines");
    let input_bytes: u64 = r.inputs.iter().map(|i| i.bytes).sum();
    assert_eq!(input_bytes, t.bytes, "sum of inputs[].bytes == bytes");
    assert_eq!(
        t.requests,
        t.lines - t.unclassified() - t.classes.malformed,
        "requests"
    );
    assert_eq!(t.classes.malformed, r.malformed.count, "malformed count");
    assert_eq!(
        r.malformed.reasons.values().sum::<u64>(),
        r.malformed.count,
        "sum of malformed reasons"
    );
    assert_eq!(
        r.status_classes.values().sum::<u64>(),
        t.requests,
        "sum of status_classes == requests"
    );
    assert_eq!(
        r.statuses.values().sum::<u64>(),
        t.requests,
        "sum of statuses == requests"
    );
    let errors: u64 = r
        .statuses
        .iter()
        .filter(|(s, _)| s.parse::<u16>().expect("numeric status") >= 400)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(t.errors, errors, "errors == requests with status >= 400");
    assert!(t.unrouted <= t.requests, "unrouted <= requests");
    // The per-row tables add up to their classes.
    let code_count: u64 = r.codes.iter().map(|c| c.count).sum();
    assert_eq!(
        code_count,
        t.classes.documented + t.classes.status_mismatch,
        "codes rows == documented + status_mismatch"
    );
    for c in &r.codes {
        assert_eq!(c.statuses.values().sum::<u64>(), c.count, "{c:?}");
    }
    let mismatch: u64 = r.status_mismatches.iter().map(|m| m.count).sum();
    assert_eq!(
        mismatch, t.classes.status_mismatch,
        "status_mismatches rows"
    );
    let wrong: u64 = r.wrong_section.iter().map(|w| w.count).sum();
    assert_eq!(wrong, t.classes.wrong_section, "wrong_section rows");
    let undoc: u64 = r.undocumented.iter().map(|u| u.count).sum::<u64>()
        + r.undocumented_other.as_ref().map_or(0, |o| o.count);
    assert_eq!(undoc, t.classes.undocumented, "undocumented rows");
    let unnamed: u64 = r.unnamed_errors.iter().map(|u| u.count).sum();
    assert_eq!(unnamed, t.classes.unnamed_error, "unnamed_errors rows");
    // Requests without a path have no endpoint; those without a time no bucket.
    let endpoint_requests: u64 = r.endpoints.iter().map(|e| e.requests).sum::<u64>()
        + r.endpoints_other.as_ref().map_or(0, |e| e.requests);
    assert!(endpoint_requests <= t.requests, "endpoint rows <= requests");
    if let Some(series) = &r.time_series {
        let bucketed: u64 = series.buckets.iter().map(|b| b.requests).sum();
        assert!(
            bucketed + series.overflow <= t.requests,
            "buckets <= requests"
        );
        for b in &series.buckets {
            assert_eq!(b.classes.sum(), b.requests, "{b:?}");
        }
        // Per-code series line up with the buckets and add up to their classes.
        for (i, b) in series.buckets.iter().enumerate() {
            let codes: u64 = r
                .codes
                .iter()
                .map(|c| c.series.as_ref().expect("series with --bucket")[i])
                .sum();
            assert_eq!(
                codes,
                b.classes.documented + b.classes.status_mismatch,
                "{b:?}"
            );
        }
    } else {
        assert!(r.codes.iter().all(|c| c.series.is_none()));
    }
}

/// A report made from another path (stdin `-`, a `.gz` copy) with its path written
/// as `to`: in `inputs` and in every `path:line` location.
pub fn renamed(mut r: Report, from: &str, to: &str) -> Report {
    let fix = |loc: &mut String| {
        if let Some(line) = loc.strip_prefix(from).and_then(|l| l.strip_prefix(':')) {
            *loc = format!("{to}:{line}");
        }
    };
    for input in &mut r.inputs {
        if input.path == from {
            input.path = to.to_string();
        }
    }
    r.status_mismatches
        .iter_mut()
        .for_each(|m| fix(&mut m.example));
    r.wrong_section.iter_mut().for_each(|w| fix(&mut w.example));
    r.undocumented.iter_mut().for_each(|u| fix(&mut u.example));
    if let Some(o) = &mut r.undocumented_other {
        fix(&mut o.example);
    }
    r.unnamed_errors
        .iter_mut()
        .for_each(|u| fix(&mut u.example));
    r.malformed
        .examples
        .iter_mut()
        .for_each(|m| fix(&mut m.location));
    r.bad_time_examples.iter_mut().for_each(fix);
    r
}

/// The report of a gzip copy, as the report of the plain file would read: every
/// input says it was gzip, and that mark is removed.
#[track_caller]
pub fn ungzipped(mut r: Report) -> Report {
    for input in &mut r.inputs {
        assert_eq!(input.compression.as_deref(), Some("gzip"), "{}", input.path);
        input.compression = None;
    }
    r
}

/// A temporary directory that files are written into.
pub struct Dir(pub TempDir);

impl Dir {
    pub fn new() -> Dir {
        Dir(tempfile::tempdir().expect("create a temp dir"))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Write `bytes` to `name` (parent directories created) and return its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(&path, bytes).expect("write temp file");
        path
    }

    /// Create the (empty) directory `name` and return its path.
    pub fn mkdir(&self, name: &str) -> PathBuf {
        let path = self.0.path().join(name);
        std::fs::create_dir_all(&path).expect("create dir");
        path
    }

    /// `errscope generate` a log of `lines` lines with its truth file; returns the
    /// log's path and the parsed truth.
    pub fn generate(
        &self,
        format: &str,
        lines: u64,
        seed: u64,
    ) -> (PathBuf, errscope::generate::Truth) {
        self.generate_in(format, None, lines, seed)
    }

    /// [`Dir::generate`] with `--envelope` when `envelope` is given (`lines` access
    /// records, then).
    pub fn generate_in(
        &self,
        format: &str,
        envelope: Option<&str>,
        lines: u64,
        seed: u64,
    ) -> (PathBuf, errscope::generate::Truth) {
        let stem = match envelope {
            Some(e) => format!("gen-{format}-{e}-{seed}"),
            None => format!("gen-{format}-{seed}"),
        };
        let log = self.path().join(format!("{stem}.log"));
        let truth = self.path().join(format!("{stem}.truth.json"));
        let lines = lines.to_string();
        let seed = seed.to_string();
        let mut args = os(&[
            &"generate",
            &"--format",
            &format,
            &"--lines",
            &lines,
            &"--seed",
            &seed,
            &"-O",
            &log,
            &"--truth",
            &truth,
        ]);
        if let Some(e) = envelope {
            args.extend(["--envelope".into(), e.into()]);
        }
        run(&args).expect_code(0);
        let text = std::fs::read_to_string(&truth).expect("read truth");
        (log, serde_json::from_str(&text).expect("truth parses"))
    }
}

/// An external program that tests run as a user would (`gzip`, `zstd`, `script`,
/// `chromium`), found on `PATH`; `package` is the Debian package that installs it.
///
/// When it is missing, the test cannot do what it is for. Under CI (`CI=true`),
/// where `.ci/run` installs every such program, that is a failure naming the
/// package: a test never skips and passes there. Elsewhere the test (or the part
/// of it that needs the program) is skipped with a message on stderr, and `None`
/// is returned for the caller to return early.
#[track_caller]
pub fn tool(program: &str, package: &str) -> Option<PathBuf> {
    tool_from(
        program,
        &format!("the Debian package `{package}`: apt-get install {package}"),
    )
}

/// [`tool`] for a program that does not come from a Debian package; `source` says
/// where it comes from and how to install it.
#[track_caller]
pub fn tool_from(program: &str, source: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    });
    if found.is_some() {
        return found;
    }
    let why = format!("`{program}` is not installed (on PATH); it comes with {source}");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}. With CI=true a test whose tool is missing fails (.ci/run installs it)");
    }
    eprintln!("skipping: {why}");
    None
}

/// The gzip-compressed copy of `path` written by the system `gzip`, or `None` when
/// `gzip` is not installed and the test may skip (see [`tool`]).
pub fn gzip_copy(path: &Path, dir: &Dir) -> Option<PathBuf> {
    let gzip = tool("gzip", "gzip")?;
    let out = dir.path().join(format!(
        "{}.gz",
        path.file_name().expect("a file name").to_string_lossy()
    ));
    let file = std::fs::File::create(&out).expect("create .gz");
    let status = Command::new(gzip)
        .arg("-c")
        .arg(path)
        .stdout(file)
        .status()
        .expect("run gzip");
    assert!(status.success(), "gzip failed: {status}");
    Some(out)
}

/// The ways errscope can read one file; every one must give the same report.
/// Each is (label, extra flags, read from stdin?).
const STRATEGIES: &[(&str, &[&str], bool)] = &[
    ("one line per chunk", &["--chunk-size", "1"], false),
    ("7-byte chunks", &["--chunk-size", "7"], false),
    ("1000-byte chunks", &["--chunk-size", "1000"], false),
    ("one thread", &["-j", "1"], false),
    (
        "two threads, tiny chunks",
        &["-j", "2", "--chunk-size", "1"],
        false,
    ),
    ("stdin", &[], true),
    ("stdin, 7-byte chunks", &["--chunk-size", "7"], true),
];

/// Analyze the file `path` with `extra` flags through every strategy (mmap with
/// several chunk sizes and thread counts, stdin, a gzip copy), assert that each
/// exits with `code` and gives the identical report, and return it.
#[track_caller]
pub fn analyze_every_way(extra: &[&str], path: &Path, code: i32) -> Report {
    let base = analyze_code(extra, &[path], code);
    let name = path.display().to_string();
    let bytes = std::fs::read(path).expect("read the input");
    for (label, flags, stdin) in STRATEGIES {
        let args: Vec<&str> = extra.iter().chain(flags.iter()).copied().collect();
        let report = if *stdin {
            renamed(analyze_stdin(&args, &bytes, code), "-", &name)
        } else {
            analyze_json(&args, &[path], code)
        };
        assert_same(&report, &base, &format!("strategy {label:?} on {name}"));
    }
    let dir = Dir::new();
    if let Some(gz) = gzip_copy(path, &dir) {
        let report = analyze_json(extra, &[&gz], code);
        let gz_name = gz.display().to_string();
        let report = ungzipped(renamed(report, &gz_name, &name));
        assert_same(&report, &base, &format!("strategy \"gzip\" on {name}"));
    }
    if code != 2 {
        // Each range detects its format from its own first lines: named, as a
        // task splitting a file should name it, from what the whole file was read as.
        let named = extra.iter().any(|f| {
            ["--format", "--preset", "--log-format", "--apache-format"]
                .iter()
                .any(|n| f.starts_with(n))
        });
        let detected = base.inputs[0].format.clone().unwrap_or_default();
        let detected = detected.strip_prefix("nginx:").unwrap_or(&detected);
        let mut flags: Vec<&str> = extra.to_vec();
        if !named {
            flags.extend(match detected {
                "json" => ["--format", "json"],
                preset => ["--preset", preset],
            });
        }
        let report = merged_ranges(&flags, path, &dir);
        assert_same(
            &report,
            &base,
            &format!("strategy \"three byte ranges, merged\" on {name}"),
        );
    }
    base
}

/// `path` read as three byte ranges (`analyze -o partial --range`, one cut inside
/// a line) and merged (`errscope merge -o json`): the report of the whole file.
/// `--fail-on` decides only exit statuses, so it is left out.
fn merged_ranges(extra: &[&str], path: &Path, dir: &Dir) -> Report {
    let size = std::fs::metadata(path).expect("stat the input").len();
    let mut flags: Vec<&str> = Vec::new();
    let mut rest = extra.iter();
    while let Some(flag) = rest.next() {
        if *flag == "--fail-on" {
            rest.next();
        } else if !flag.starts_with("--fail-on=") {
            flags.push(flag);
        }
    }
    let mut merge = os(&[&"merge", &"-o", &"json"]);
    for (k, (a, b)) in [
        (0, size / 3),
        (size / 3, 2 * size / 3 + 1),
        (2 * size / 3 + 1, size),
    ]
    .into_iter()
    .enumerate()
    {
        let range = format!("{}..{}", a.min(size), b.min(size));
        let mut args = os(&[&"analyze", &"-q", &"-o", &"partial", &"--range", &range]);
        args.extend(flags.iter().map(Into::into));
        args.push(path.into());
        let out = run(&args);
        assert!(out.code == 0 || out.code == 1, "{range}: {}", out.stderr);
        merge.push(dir.write(&format!("{k}.partial.json"), out.stdout).into());
    }
    run(&merge).report()
}

/// `got == want`, compared part by part first so a failure shows the part that
/// differs rather than two whole reports.
#[track_caller]
pub fn assert_same(got: &Report, want: &Report, what: &str) {
    assert_eq!(got.inputs, want.inputs, "inputs: {what}");
    assert_eq!(got.totals, want.totals, "totals: {what}");
    assert_eq!(got.malformed, want.malformed, "malformed: {what}");
    assert_eq!(got.undocumented, want.undocumented, "undocumented: {what}");
    assert_eq!(
        got.undocumented_other, want.undocumented_other,
        "undocumented_other: {what}"
    );
    assert_eq!(
        got.status_mismatches, want.status_mismatches,
        "status_mismatches: {what}"
    );
    assert_eq!(
        got.wrong_section, want.wrong_section,
        "wrong_section: {what}"
    );
    assert_eq!(
        got.unnamed_errors, want.unnamed_errors,
        "unnamed_errors: {what}"
    );
    assert_eq!(got.codes, want.codes, "codes: {what}");
    assert_eq!(got, want, "{what}");
}

/// The report's rows keyed the way [`Truth`] keys them.
pub fn as_truth(r: &Report) -> Truth {
    let documented = r
        .codes
        .iter()
        .filter_map(|c| {
            let n = c.statuses.get(&c.status.to_string()).copied()?;
            Some((format!("{}/{}", c.section, c.name), n))
        })
        .collect();
    let status_mismatches = r
        .status_mismatches
        .iter()
        .map(|m| {
            let key = format!("{}/{}/{}", m.section, m.name, m.observed_status);
            (key, m.count)
        })
        .collect();
    let wrong_section = r
        .wrong_section
        .iter()
        .map(|w| (format!("{}/{}/{}", w.section, w.name, w.status), w.count))
        .collect();
    let undocumented = r
        .undocumented
        .iter()
        .map(|u| (u.name.clone(), u.count))
        .collect();
    let unnamed_errors = r
        .unnamed_errors
        .iter()
        .map(|u| (u.status.to_string(), u.count))
        .collect();
    Truth {
        lines: r.totals.lines,
        classes: r.totals.classes,
        documented,
        status_mismatches,
        wrong_section,
        undocumented,
        unnamed_errors,
        unrouted: r.totals.unrouted,
        not_access: r.totals.not_access,
        no_response: r.totals.no_response,
        continued: r.totals.continued,
    }
}

/// A small RFC 4180 reader: quoted fields may hold commas, quotes (doubled) and line
/// breaks; records end with CRLF.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => {
                assert!(field.is_empty(), "quote inside an unquoted field: {field}");
                quoted = true;
            }
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\n') => panic!("a record ends with LF, not CRLF"),
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "unterminated quoted field");
    assert!(
        field.is_empty() && record.is_empty(),
        "last record without CRLF"
    );
    records
}
