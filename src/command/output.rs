//! Where a command's output goes and what its exit status is: standard output or
//! an `--output-file` written atomically (a temporary file renamed into place, removed
//! on Ctrl-C), a report delivered in its format with its comparison, and the verdict
//! of `--fail-on`.

use std::fs::{self, File};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::command::cli::{ColorArg, OutputArg, ReportArgs};
use crate::error::{Error, Result};
use crate::fleet::partial::{self, Partial};
use crate::report::diff::{self, Diff};
use crate::report::fail_on::{self, FailOn};
use crate::report::{self, Report};

use super::app::{diff_options, Outcome};

/// `errscope completions` and `errscope man`: bytes made in memory, written out.
pub(super) fn write_all(bytes: &[u8], out: &mut dyn Write) -> Result<Outcome> {
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
pub(super) struct TempFile {
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

/// Whether the text report is colored: `--color auto` means on a terminal, unless
/// NO_COLOR is set or TERM is dumb.
pub(super) fn use_color(choice: ColorArg) -> bool {
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

pub(super) fn render_diff(
    d: &Diff,
    output: OutputArg,
    top: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    match output {
        OutputArg::Text => diff::text::render(d, top, out),
        OutputArg::Json => diff::render_json(d, out),
        OutputArg::Markdown => diff::markdown::render(d, top, out),
        OutputArg::Csv | OutputArg::Html | OutputArg::Openmetrics | OutputArg::Partial => {
            unreachable!("refused before the reports are read")
        }
    }
}

/// The `--baseline` report, read before any work (a bad one should not cost an
/// analysis); refused `--fail-on` kinds that need one when there is none.
pub(super) fn read_baseline(fail_on: &[FailOn], baseline: Option<&Path>) -> Result<Option<Report>> {
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
pub(super) fn deliver(
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

/// [`Outcome::Findings`] when anything named by `--fail-on` occurred, each said on
/// stderr with its count (and names), whatever the output format; else
/// [`Outcome::Clean`].
pub(super) fn verdict(report: &Report, diff: Option<&Diff>, fail_on: &[FailOn]) -> Outcome {
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

pub(super) fn is_broken_pipe(e: &Error) -> bool {
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
