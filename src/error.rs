//! The library's one error type. Every variant carries what a user needs to fix the
//! problem: the file, the line, the flag.

use std::io;
use std::path::PathBuf;

/// A result whose error is errscope's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a command or an input; the message names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A catalog page or JSON catalog that cannot be loaded. `line` is 1-based.
    #[error("catalog {source_name}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Catalog {
        /// `embedded` or the path given.
        source_name: String,
        /// The line at fault, when there is one.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A `--log-format` string (or preset) that does not compile.
    #[error("invalid log format: {message}")]
    LogFormat {
        /// What is wrong.
        message: String,
    },
    /// An input whose log format cannot be told (auto mode) or built.
    #[error("{}: {message}", path.display())]
    Format {
        /// The input.
        path: PathBuf,
        /// Why, and which flag names the format.
        message: String,
    },
    /// A `--field KEY=PATH[:UNIT]` that cannot be used.
    #[error("invalid --field {spec:?}: {message}")]
    Field {
        /// The value given to `--field`.
        spec: String,
        /// What is wrong with it.
        message: String,
    },
    /// A `--route PREFIX=SECTION` that cannot be used.
    #[error("invalid --route {spec:?}: {message}")]
    Route {
        /// The value given to `--route`.
        spec: String,
        /// What is wrong with it.
        message: String,
    },
    /// Any other invalid combination of command-line options.
    #[error("{0}")]
    Usage(String),
    /// An input path that cannot be opened or read.
    #[error("{}: {source}", path.display())]
    Input {
        /// The input.
        path: PathBuf,
        /// Why it cannot be read.
        source: io::Error,
    },
    /// An input that stopped being readable part-way (a truncated or corrupt archive,
    /// an I/O error): what came before is counted.
    #[error("{}: reading stopped early: {source}; the {lines} lines before it are counted", path.display())]
    InputCut {
        /// The input.
        path: PathBuf,
        /// Lines read (and counted) before it stopped.
        lines: u64,
        /// Why it stopped.
        source: io::Error,
    },
    /// A mapped file that shrank while it was read (a `copytruncate` rotation): the
    /// parts read before it changed are counted, the rest is not.
    #[error("{}: changed during the run (truncated from {size} bytes while being read, from byte {cut} on); counted: the {lines} lines in the {bytes} bytes read before the change", path.display())]
    InputChanged {
        /// The input.
        path: PathBuf,
        /// Lines counted before the change.
        lines: u64,
        /// Bytes counted before the change.
        bytes: u64,
        /// Its size when it was opened.
        size: u64,
        /// The first byte that was gone.
        cut: u64,
    },
    /// An input most of whose lines are malformed in the format it was read with:
    /// most likely the wrong format, so its counts mean nothing.
    #[error("{}: {malformed} of {lines} lines ({:.1}%) are malformed when read as {format}; {}; \
             its counts are not to be trusted. If the log is known to be this dirty, \
             allow it with --max-malformed (now {max})",
            path.display(), 100.0 * *malformed as f64 / (*lines).max(1) as f64,
            malformed_hint(*detected, auto.as_ref()))]
    MostlyMalformed {
        /// The input.
        path: PathBuf,
        /// Its malformed lines.
        malformed: u64,
        /// Its lines.
        lines: u64,
        /// The format used (`nginx:gateway`, `json`, …).
        format: String,
        /// Whether `--format auto` chose it.
        detected: bool,
        /// What auto-detection picks from the input's first lines (a `--preset`
        /// name), if it can tell, and whether that is `format`.
        auto: Option<(String, bool)>,
        /// `--max-malformed`.
        max: f64,
    },
    /// No input could be read at all: there is nothing to report.
    #[error("no input could be read, so no report was written{}",
            kept.as_ref().map(|p| format!("; {} keeps its previous content", p.display())).unwrap_or_default())]
    NothingRead {
        /// The `--output-file` left as it was, if one was given.
        kept: Option<PathBuf>,
    },
    /// A directory given as input that holds no log files.
    #[error("{}: directory holds no log files", path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// Writing the report failed.
    #[error("writing output: {0}")]
    Output(#[source] io::Error),
}

impl Error {
    /// The input path the error is about, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Error::Input { path, .. }
            | Error::InputCut { path, .. }
            | Error::InputChanged { path, .. }
            | Error::Format { path, .. }
            | Error::MostlyMalformed { path, .. }
            | Error::EmptyDirectory { path } => Some(path),
            _ => None,
        }
    }
}

/// What to do about an input read in the wrong format.
fn malformed_hint(detected: bool, auto: Option<&(String, bool)>) -> String {
    match (detected, auto.map(|(name, same)| (name.as_str(), *same))) {
        (true, _) => "the format was auto-detected from the first lines; name the right \
                      one with --preset, --log-format or --apache-format"
            .to_string(),
        (false, Some((_, true))) => {
            "auto-detection picks the same format, so the lines themselves are broken".to_string()
        }
        (false, Some((auto, false))) => format!(
            "auto-detection picks {auto}: leave out --format and --preset, or use --preset {auto}"
        ),
        (false, None) => "auto-detection cannot tell the format either".to_string(),
    }
}
