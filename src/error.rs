//! The library's one error type. Every variant carries what a user needs to fix the
//! problem: the file, the line, the flag.

use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A catalog page or JSON catalog that cannot be loaded. `line` is 1-based.
    #[error("catalog {source_name}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Catalog {
        source_name: String,
        line: Option<usize>,
        message: String,
    },
    /// A `--log-format` string (or preset) that does not compile.
    #[error("invalid log format: {message}")]
    LogFormat { message: String },
    /// An input whose log format cannot be told (auto mode) or built.
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    /// A `--field KEY=PATH[:UNIT]` that cannot be used.
    #[error("invalid --field {spec:?}: {message}")]
    Field { spec: String, message: String },
    /// A `--route PREFIX=SECTION` that cannot be used.
    #[error("invalid --route {spec:?}: {message}")]
    Route { spec: String, message: String },
    /// Any other invalid combination of command-line options.
    #[error("{0}")]
    Usage(String),
    /// An input path that cannot be opened or read.
    #[error("{}: {source}", path.display())]
    Input { path: PathBuf, source: io::Error },
    /// An input that stopped being readable part-way (a truncated or corrupt archive,
    /// an I/O error): what came before is counted.
    #[error("{}: reading stopped early: {source}; the {lines} lines before it are counted", path.display())]
    InputCut {
        path: PathBuf,
        lines: u64,
        source: io::Error,
    },
    /// A mapped file that shrank while it was read (a `copytruncate` rotation): the
    /// parts read before it changed are counted, the rest is not.
    #[error("{}: changed during the run (truncated from {size} bytes while being read, from byte {cut} on); counted: the {lines} lines in the {bytes} bytes read before the change", path.display())]
    InputChanged {
        path: PathBuf,
        lines: u64,
        bytes: u64,
        size: u64,
        cut: u64,
    },
    /// A directory given as input that holds no log files.
    #[error("{}: directory holds no log files", path.display())]
    EmptyDirectory { path: PathBuf },
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
            | Error::EmptyDirectory { path } => Some(path),
            _ => None,
        }
    }
}
