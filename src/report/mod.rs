//! The report: a serde model with a versioned schema, built from a merged tally, and
//! one renderer per output format.

mod build;
pub mod catalog;
pub mod csv;
pub mod diff;
pub mod fail_on;
pub mod findings;
pub mod html;
pub mod json;
pub mod markdown;
pub mod openmetrics;
pub mod presets;
pub mod table;
pub mod text;
pub mod trend;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use build::build;

/// `schema` of every JSON report.
pub const SCHEMA: &str = "errscope-report";
/// Bumped on any change a consumer could notice (renamed or removed fields).
pub const VERSION: u32 = 1;

/// The JSON report (`analyze -o json`): everything every output format shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Always `errscope-report`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The errscope that wrote it (`CARGO_PKG_VERSION`).
    pub errscope_version: String,
    /// Only in a benchmark build's report (cargo feature `stage-lines` or
    /// `stage-parse`, [`crate::analyze::stage`]): that it stopped early, so the report is
    /// wrong on purpose. Absent from every other report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Whether every input was read in full and trusted: `false` when an input could
    /// not be read, stopped early, or was mostly malformed (each says why in
    /// `inputs[].error`); the counts then cover only what was read.
    #[serde(default = "yes")]
    pub complete: bool,
    /// The catalog the lines were checked against.
    pub catalog: CatalogInfo,
    /// Every input given, read or not, in the order read.
    pub inputs: Vec<Input>,
    /// Line counts over all inputs.
    pub totals: Totals,
    /// First and last request time seen; `null` when no line had a time.
    pub time: Option<TimeSpan>,
    /// The `--since` / `--until` window, when one was given.
    pub window: Option<Window>,
    /// `path:line` of the first lines whose time could not be read.
    pub bad_time_examples: Vec<String>,
    /// Requests, errors and classes per time bucket (`--bucket`).
    pub time_series: Option<TimeSeries>,
    /// Parsed lines per status class: `1xx` … `5xx`.
    pub status_classes: BTreeMap<String, u64>,
    /// Parsed lines per HTTP status.
    pub statuses: BTreeMap<String, u64>,
    /// Latency over every parsed line that has one.
    pub latency: Option<Latency>,
    /// Every catalog code, in catalog order, seen or not.
    pub codes: Vec<Code>,
    /// Documented names sent with another status than documented, most lines first.
    pub status_mismatches: Vec<Mismatch>,
    /// Names used in a section that does not list them, most lines first.
    pub wrong_section: Vec<WrongSection>,
    /// Names the catalog does not list, most lines first (at most `--max-names`).
    pub undocumented: Vec<Undocumented>,
    /// Lines with names beyond the distinct-name cap, counted together.
    pub undocumented_other: Option<UndocumentedOther>,
    /// Error statuses (>= 400) sent without a name, by status.
    pub unnamed_errors: Vec<Unnamed>,
    /// Lines that could not be read as an access record.
    pub malformed: Malformed,
    /// Requests per endpoint (path without query, IDs collapsed to `{id}`), most
    /// requested first.
    pub endpoints: Vec<Endpoint>,
    /// Requests to endpoints beyond `--max-endpoints`, counted together.
    pub endpoints_other: Option<Endpoint>,
}

/// Which catalog a report was made with, and its size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CatalogInfo {
    /// `embedded` or the path given to `--catalog`.
    pub source: String,
    /// Section ids (`media`, `llm`, `billing`, …), in page order.
    pub sections: Vec<String>,
    /// Rows of the catalog's tables: a name listed in two sections counts twice.
    pub entries: usize,
    /// Distinct names over all sections.
    #[serde(default)]
    pub names: usize,
}

/// One input (a file, `-`, or a path that could not be listed) and what was read of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// As given or found (`-` for standard input).
    pub path: String,
    /// The format it was read with (`nginx:gateway`, `json`, …); `null` if not read.
    pub format: Option<String>,
    /// The field latency was read from, with its unit (`$request_time (s)`).
    pub latency_source: Option<String>,
    /// `gzip` or `zstd` when the file was compressed; `bytes` counts decompressed text.
    pub compression: Option<String>,
    /// The envelope each line was unwrapped from (`cri`, `docker`, `compose`,
    /// `syslog`); absent for a plain log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
    /// Bytes of log text read (decompressed).
    pub bytes: u64,
    /// Lines read.
    pub lines: u64,
    /// Of `lines`, those counted as malformed.
    #[serde(default)]
    pub malformed: u64,
    /// Why it was not read, or not in full, or is not to be trusted; `null` if it was.
    pub error: Option<String>,
    /// Read from where an earlier run stopped (`analyze --state`): what it had read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed: Option<Resumed>,
}

/// The part of an input earlier runs read (`--state`): this report's counts start
/// after it, and its line numbers go on from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Resumed {
    /// Lines earlier runs counted.
    pub lines: u64,
    /// Bytes of text (decompressed) earlier runs read.
    pub bytes: u64,
}

impl Input {
    /// An input that could not be read at all.
    pub fn unread(error: &crate::Error) -> Input {
        Input {
            path: error
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            format: None,
            latency_source: None,
            compression: None,
            envelope: None,
            bytes: 0,
            lines: 0,
            malformed: 0,
            error: Some(error.to_string()),
            resumed: None,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Totals {
    /// Lines read but not classified: outside the window, not access records, no
    /// response, continued on the next line.
    pub fn unclassified(&self) -> u64 {
        self.outside_window + self.not_access + self.no_response + self.continued
    }

    /// The counts of lines read that are neither classified nor outside the window,
    /// each with its name in every report format, when not 0: `not_access`,
    /// `no_response`, `continued`.
    pub fn other_lines(&self) -> impl Iterator<Item = (&'static str, u64)> {
        [
            ("not_access", self.not_access),
            ("no_response", self.no_response),
            ("continued", self.continued),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
    }
}

/// Reports made before `complete` existed did not say; they were written only when
/// something was read.
pub(crate) fn yes() -> bool {
    true
}

impl Report {
    /// Whether no line was counted in any class: nothing was read, or every line
    /// was outside `--since`/`--until`.
    pub fn is_empty(&self) -> bool {
        self.totals.classes.sum() == 0
    }

    /// Add inputs that could not be read at all (paths that could not be listed):
    /// the report is then incomplete.
    pub fn add_unread(&mut self, errors: &[crate::Error]) {
        self.inputs.extend(errors.iter().map(Input::unread));
        self.complete &= errors.is_empty();
    }

    /// Whether nothing at all could be read: every input has an error and no line
    /// was counted.
    pub fn nothing_read(&self) -> bool {
        self.totals.lines == 0 && self.inputs.iter().all(|i| i.error.is_some())
    }
}

/// Line counts. `lines` = sum of `classes` + `outside_window` + `not_access` +
/// `no_response` + `continued`; `requests` = sum of `classes` - malformed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Lines read.
    pub lines: u64,
    /// Bytes of log text read: the sum of `inputs[].bytes` (each the file's size at
    /// open, decompressed for archives, unless the input reports an error).
    pub bytes: u64,
    /// Lines outside `--since`/`--until`: read, not classified.
    pub outside_window: u64,
    /// Lines that are not access records (a runtime's or the gateway's own
    /// messages): read, not classified. Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_access: u64,
    /// Records with no HTTP response (status `-` or `0`): read, not classified.
    /// Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub no_response: u64,
    /// Lines continued on the next (CRI `P`, Docker lines without a newline), each
    /// joined into the record it starts. Absent when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub continued: u64,
    /// Lines classified as requests: every class but malformed.
    pub requests: u64,
    /// Requests with status >= 400.
    pub errors: u64,
    /// Requests whose path matched no route (checked against all sections).
    pub unrouted: u64,
    /// Requests whose time field could not be parsed.
    pub bad_time: u64,
    /// Lines per class.
    pub classes: ClassCounts,
}

/// One count per class of the classification table (docs/architecture.md,
/// "Classifying one response").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ClassCounts {
    /// Success, or an error status the catalog does not concern.
    pub ok: u64,
    /// A catalog name with its documented status, in a section that lists it.
    pub documented: u64,
    /// A catalog name with another status than documented.
    pub status_mismatch: u64,
    /// A catalog name in a section that does not list it.
    pub wrong_section: u64,
    /// A name the catalog does not list.
    pub undocumented: u64,
    /// An error status (>= 400) without a name.
    pub unnamed_error: u64,
    /// Not readable as an access record.
    pub malformed: u64,
}

impl ClassCounts {
    /// From counts indexed like [`crate::classify::Class::ALL`].
    pub fn from_array(counts: &[u64; 7]) -> ClassCounts {
        ClassCounts {
            ok: counts[0],
            documented: counts[1],
            status_mismatch: counts[2],
            wrong_section: counts[3],
            undocumented: counts[4],
            unnamed_error: counts[5],
            malformed: counts[6],
        }
    }

    /// The count of `class`.
    pub fn get(&self, class: crate::classify::Class) -> u64 {
        use crate::classify::Class;
        match class {
            Class::Ok => self.ok,
            Class::Documented => self.documented,
            Class::StatusMismatch => self.status_mismatch,
            Class::WrongSection => self.wrong_section,
            Class::Undocumented => self.undocumented,
            Class::UnnamedError => self.unnamed_error,
            Class::Malformed => self.malformed,
        }
    }

    /// Lines in any class.
    pub fn sum(&self) -> u64 {
        crate::classify::Class::ALL
            .iter()
            .map(|c| self.get(*c))
            .sum()
    }
}

/// The times of the first and last request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimeSpan {
    /// The earliest request time, RFC 3339, UTC.
    pub first: String,
    /// The latest request time, RFC 3339, UTC.
    pub last: String,
    /// Seconds from `first` to `last`.
    pub seconds: f64,
}

/// The `--since` / `--until` window a run counted in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// RFC 3339, UTC; inclusive.
    pub since: Option<String>,
    /// RFC 3339, UTC; exclusive.
    pub until: Option<String>,
}

/// Counts per time bucket (`--bucket`, and every HTML report).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TimeSeries {
    /// The width of a bucket.
    pub bucket_seconds: u64,
    /// Every bucket from the first to the last line's, empty ones included (unless
    /// there would be more than 100,000: then only those with lines).
    pub buckets: Vec<Bucket>,
    /// Lines whose bucket came after 100,000 buckets were kept.
    pub overflow: u64,
}

/// One time bucket's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// RFC 3339 start of the bucket, UTC.
    pub start: String,
    /// Requests in the bucket.
    pub requests: u64,
    /// Requests with status >= 400.
    pub errors: u64,
    /// Lines per class in the bucket.
    pub classes: ClassCounts,
}

/// Requests to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The path without query, identifiers collapsed to `{id}`.
    pub endpoint: String,
    /// Requests to it.
    pub requests: u64,
    /// Requests with status >= 400.
    pub errors: u64,
    /// Its requests per class.
    pub classes: ClassCounts,
}

/// Latency percentiles in milliseconds (HDR histogram, 2 significant digits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Latency {
    /// Lines with a latency.
    pub samples: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// The largest.
    pub max_ms: f64,
}

/// A catalog code (section, name, documented status) and how it was used there:
/// documented and status-mismatch lines together, split by status in `statuses`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The documented status.
    pub status: u16,
    /// Lines that sent this name in this section (with any status).
    pub count: u64,
    /// count / all requests.
    pub share_of_requests: f64,
    /// count / requests with status >= 400.
    pub share_of_errors: f64,
    /// count / seconds in the log's time span; `null` without a span.
    pub per_second: Option<f64>,
    /// Latency of these lines; `null` when none had one.
    pub latency: Option<Latency>,
    /// Observed status -> lines.
    pub statuses: BTreeMap<String, u64>,
    /// With `--bucket`: this code's lines per bucket of `time_series`, in order.
    pub series: Option<Vec<u64>>,
}

/// A documented name sent with another status than its section documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Mismatch {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The status the section documents for it.
    pub documented_status: u16,
    /// The status sent.
    pub observed_status: u16,
    /// Lines.
    pub count: u64,
    /// `path:line` of the first such line.
    pub example: String,
}

/// A name used in a section that does not list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WrongSection {
    /// The section the request was routed to.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The status sent.
    pub status: u16,
    /// Where the catalog lists the name: section -> documented status.
    pub listed_in: BTreeMap<String, u16>,
    /// Lines.
    pub count: u64,
    /// `path:line` of the first such line.
    pub example: String,
}

/// A name the catalog does not list at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Undocumented {
    /// The name as sent (control characters escaped).
    pub name: String,
    /// Lines.
    pub count: u64,
    /// Status sent -> lines.
    pub statuses: BTreeMap<String, u64>,
    /// The earliest time it was sent (RFC 3339, UTC); `null` without times.
    pub first_seen: Option<String>,
    /// The latest time it was sent.
    pub last_seen: Option<String>,
    /// `path:line` of the first such line.
    pub example: String,
    /// The catalog name it equals when case is ignored.
    pub resembles: Option<String>,
}

/// Lines with undocumented names beyond `--max-names`, together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UndocumentedOther {
    /// The cap (`--max-names`) that was reached.
    pub max_names: usize,
    /// Lines.
    pub count: u64,
    /// Status sent -> lines.
    pub statuses: BTreeMap<String, u64>,
    /// `path:line` of the first such line.
    pub example: String,
}

/// Errors that carried no name, by status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Unnamed {
    /// The status sent.
    pub status: u16,
    /// Lines.
    pub count: u64,
    /// count / requests with status >= 400.
    pub share_of_errors: f64,
    /// Latency of these lines; `null` when none had one.
    pub latency: Option<Latency>,
    /// `path:line` of the first such line.
    pub example: String,
}

/// Lines that could not be read as an access record, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Malformed {
    /// Lines.
    pub count: u64,
    /// Reason -> lines.
    pub reasons: BTreeMap<String, u64>,
    /// The first malformed lines.
    pub examples: Vec<MalformedExample>,
}

/// A malformed line: where it is and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MalformedExample {
    /// `path:line`.
    pub location: String,
    /// One of `malformed.reasons`' keys.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    /// `docs/report.schema.json` is the JSON Schema of [`super::Report`] as the model
    /// stands: a change to the model that is not written to the file fails here.
    /// `ERRSCOPE_BLESS=1 cargo test --lib report_schema` rewrites the file.
    #[test]
    fn report_schema_is_the_published_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/report.schema.json");
        let schema = schemars::schema_for!(super::Report);
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if std::env::var_os("ERRSCOPE_BLESS").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let published = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            published == text,
            "docs/report.schema.json is not the schema of the report model; \
             run `ERRSCOPE_BLESS=1 cargo test --lib report_schema` and commit it"
        );
    }
}
