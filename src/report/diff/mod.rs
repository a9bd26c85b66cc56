//! Comparing two reports: what a nightly job wants to know about tonight against last
//! night. The [`Diff`] is a serde model with its own versioned schema
//! (`errscope-diff`, version 1), built from two [`Report`]s, and rendered as text,
//! JSON or markdown.
//!
//! Codes are keyed by what identifies them across runs: catalog codes by
//! (section, name), undocumented names by name, mismatch and wrong-section pairs by
//! (section, name, status), errors without a name by status. A rate is a share of all
//! requests, so nights of different volume compare fairly.
//!
//! - new undocumented: a name in the current report that the baseline does not list;
//! - new mismatch: a status-mismatch or wrong-section pair the baseline does not have;
//! - regression: a rate that rose above baseline × (1 + threshold), with at least
//!   `min_count` lines now (a catalog code or unnamed status absent from the baseline
//!   counts from its first `min_count` lines);
//! - improvement: the mirror image, a rate that fell below baseline / (1 + threshold)
//!   with at least `min_count` lines in the baseline, but still seen;
//! - disappeared: seen in the baseline, not at all now.

pub mod markdown;
pub mod text;

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::table::ratio;
use crate::report::{self, ClassCounts, Report, TimeSpan};

/// `schema` of every JSON diff.
pub const SCHEMA: &str = "errscope-diff";
/// Bumped on any change a consumer could notice (renamed or removed fields).
pub const VERSION: u32 = 1;

/// What changed from one report (the baseline) to another (the current one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diff {
    /// Always `errscope-diff`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The errscope that made the comparison.
    pub errscope_version: String,
    /// The earlier report, summarised.
    pub baseline: Side,
    /// The later report, summarised.
    pub current: Side,
    /// `--threshold`: relative change of a rate that counts.
    pub threshold: f64,
    /// `--min-count`: lines a code needs for a rate change to count.
    pub min_count: u64,
    /// Names in CURRENT's `undocumented` that BASELINE does not list.
    pub new_undocumented: Vec<NewName>,
    /// New status-mismatch and wrong-section pairs.
    pub new_mismatches: Vec<NewPair>,
    /// Codes whose rate rose beyond the threshold.
    pub regressions: Vec<Change>,
    /// Codes whose rate fell beyond the threshold.
    pub improvements: Vec<Change>,
    /// Codes seen in BASELINE and not at all in CURRENT.
    pub disappeared: Vec<Change>,
    /// The baseline listed only its first `--max-names` names, so a "new" name may
    /// have been among the rest.
    pub baseline_names_capped: bool,
}

/// One of the two reports, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// The report's path, or `this run` for `analyze --baseline`.
    pub source: String,
    /// The errscope that wrote the report.
    pub errscope_version: String,
    /// The report's time span.
    pub time: Option<TimeSpan>,
    /// Lines read.
    pub lines: u64,
    /// Requests (lines not malformed).
    pub requests: u64,
    /// Requests with status >= 400.
    pub errors: u64,
    /// Lines per class.
    pub classes: ClassCounts,
    /// The report's `complete`: `false` when some of its inputs were not read in
    /// full, so it compares only what it holds.
    #[serde(default = "crate::report::yes")]
    pub complete: bool,
}

/// An undocumented name the baseline does not list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewName {
    /// The name as sent.
    pub name: String,
    /// Lines in CURRENT.
    pub count: u64,
    /// Status sent -> lines in CURRENT.
    pub statuses: BTreeMap<String, u64>,
    /// `path:line` of its first line in CURRENT.
    pub example: String,
    /// The catalog name it equals when case is ignored.
    pub resembles: Option<String>,
}

/// A status-mismatch or wrong-section pair the baseline does not have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPair {
    /// `status_mismatch` or `wrong_section`.
    pub class: Kind,
    /// The request's section.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The status sent.
    pub status: u16,
    /// The section's documented status (status mismatches), or null.
    pub documented_status: Option<u16>,
    /// Where the catalog lists the name: section -> status (wrong section), or empty.
    pub listed_in: BTreeMap<String, u16>,
    /// Lines in CURRENT.
    pub count: u64,
    /// `path:line` of its first line in CURRENT.
    pub example: String,
}

/// What a [`Change`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A catalog code: `section`, `name`, documented `status`.
    Catalog,
    /// A name no section lists: `name`.
    Undocumented,
    /// A documented name with another status: `section`, `name`, sent `status`.
    StatusMismatch,
    /// A name from another section: `section`, `name`, sent `status`.
    WrongSection,
    /// An error without a name: `status`.
    UnnamedError,
}

impl Kind {
    /// The kind as written in reports (`catalog`, `undocumented`, `status_mismatch`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Catalog => "catalog",
            Kind::Undocumented => "undocumented",
            Kind::StatusMismatch => "status_mismatch",
            Kind::WrongSection => "wrong_section",
            Kind::UnnamedError => "unnamed_error",
        }
    }
}

/// A code whose rate changed, or that disappeared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// What kind of code this is.
    pub kind: Kind,
    /// The section, for catalog codes and pairs.
    pub section: Option<String>,
    /// The name; `None` for errors without a name.
    pub name: Option<String>,
    /// Documented status (catalog codes), sent status (pairs, unnamed errors), or null.
    pub status: Option<u16>,
    /// Lines in BASELINE.
    pub baseline_count: u64,
    /// Lines in CURRENT.
    pub current_count: u64,
    /// count / requests in each report.
    pub baseline_share: f64,
    /// `current_count` / CURRENT's requests.
    pub current_share: f64,
    /// current_share / baseline_share − 1; null when the baseline had none.
    pub change: Option<f64>,
}

impl Change {
    /// `llm RATE_LIMIT_EXCEEDED 429`, `ANONYMOUS_ACCESS_QUOTA_EXCEEDS`, `504`.
    pub fn label(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        parts.extend(self.section.clone());
        parts.extend(self.name.clone());
        parts.extend(self.status.map(|s| s.to_string()));
        parts.join(" ")
    }
}

/// How rates are compared (`--threshold`, `--min-count`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// A rate must change by more than this share (0.5: +50 %) to count.
    pub threshold: f64,
    /// Lines a code needs (in the report where it is higher) to count as changed.
    pub min_count: u64,
}

/// Read a JSON report, refusing anything but this schema and version.
pub fn load_report(path: &Path) -> Result<Report> {
    let bytes = std::fs::read(path).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Usage(format!(
            "{name}: not an errscope JSON report (not UTF-8 text); make one with \
             `errscope analyze -o json`"
        ))
    })?;
    parse_report(&text, &name)
}

/// Parse a JSON report; `name` names it in errors.
pub fn parse_report(text: &str, name: &str) -> Result<Report> {
    /// Just enough of a report to tell which schema and version it is.
    #[derive(Deserialize)]
    struct Header {
        schema: Option<String>,
        version: Option<serde_json::Value>,
    }
    let not_a_report = |why: String| {
        Error::Usage(format!(
            "{name}: not an errscope JSON report ({why}); make one with \
             `errscope analyze -o json`"
        ))
    };
    let header: Header = serde_json::from_str(text).map_err(|e| not_a_report(e.to_string()))?;
    match (header.schema.as_deref(), header.version) {
        (Some(report::SCHEMA), Some(v)) if v == serde_json::json!(report::VERSION) => {}
        (Some(report::SCHEMA), v) => {
            let v = v.map_or_else(|| "none".to_string(), |v| v.to_string());
            return Err(Error::Usage(format!(
                "{name}: report version {v} is not supported: this errscope ({}) reads \
                 version {} of {:?}; compare reports made by the same version",
                env!("CARGO_PKG_VERSION"),
                report::VERSION,
                report::SCHEMA
            )));
        }
        (schema, _) => {
            return Err(not_a_report(format!(
                "schema is {}, expected {:?}",
                schema.map_or_else(|| "missing".to_string(), |s| format!("{s:?}")),
                report::SCHEMA
            )))
        }
    }
    serde_json::from_str(text).map_err(|e| not_a_report(e.to_string()))
}

/// Compare `current` with `baseline`.
pub fn build(
    baseline: &Report,
    baseline_source: &str,
    current: &Report,
    current_source: &str,
    opts: Options,
) -> Diff {
    let mut diff = Diff {
        schema: SCHEMA.to_string(),
        version: VERSION,
        errscope_version: env!("CARGO_PKG_VERSION").to_string(),
        baseline: side(baseline, baseline_source),
        current: side(current, current_source),
        threshold: opts.threshold,
        min_count: opts.min_count,
        new_undocumented: Vec::new(),
        new_mismatches: Vec::new(),
        regressions: Vec::new(),
        improvements: Vec::new(),
        disappeared: Vec::new(),
        baseline_names_capped: baseline.undocumented_other.is_some(),
    };

    let known: HashMap<&str, ()> = baseline
        .undocumented
        .iter()
        .map(|u| (u.name.as_str(), ()))
        .collect();
    diff.new_undocumented = current
        .undocumented
        .iter()
        .filter(|u| !known.contains_key(u.name.as_str()))
        .map(|u| NewName {
            name: u.name.clone(),
            count: u.count,
            statuses: u.statuses.clone(),
            example: u.example.clone(),
            resembles: u.resembles.clone(),
        })
        .collect();
    diff.new_undocumented
        .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));

    let old_pairs = pairs(baseline);
    diff.new_mismatches = current
        .status_mismatches
        .iter()
        .map(|m| NewPair {
            class: Kind::StatusMismatch,
            section: m.section.clone(),
            name: m.name.clone(),
            status: m.observed_status,
            documented_status: Some(m.documented_status),
            listed_in: BTreeMap::new(),
            count: m.count,
            example: m.example.clone(),
        })
        .chain(current.wrong_section.iter().map(|w| NewPair {
            class: Kind::WrongSection,
            section: w.section.clone(),
            name: w.name.clone(),
            status: w.status,
            documented_status: None,
            listed_in: w.listed_in.clone(),
            count: w.count,
            example: w.example.clone(),
        }))
        .filter(|p| {
            let key = (p.class, p.section.clone(), p.name.clone(), p.status);
            !old_pairs.contains_key(&key)
        })
        .collect();
    diff.new_mismatches.sort_by(|a, b| {
        b.count.cmp(&a.count).then_with(|| {
            (a.class, &a.section, &a.name, a.status).cmp(&(b.class, &b.section, &b.name, b.status))
        })
    });

    let before = rates(baseline);
    let after = rates(current);
    let share = |n: u64, r: &Report| ratio(n, r.totals.requests);
    let grew = 1.0 + opts.threshold;
    // Every key of either report, in a stable order.
    let mut keys: Vec<&Key> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let b = before.get(key).copied().unwrap_or(0);
        let a = after.get(key).copied().unwrap_or(0);
        let (bs, cs) = (share(b, baseline), share(a, current));
        let change = Change {
            kind: key.0,
            section: key.1.clone(),
            name: key.2.clone(),
            status: key.3,
            baseline_count: b,
            current_count: a,
            baseline_share: bs,
            current_share: cs,
            change: (bs > 0.0).then(|| cs / bs - 1.0),
        };
        let rate_kind = matches!(
            key.0,
            Kind::Catalog | Kind::Undocumented | Kind::UnnamedError
        );
        if b > 0 && a == 0 {
            diff.disappeared.push(change);
        } else if !rate_kind || a == 0 {
            // Pairs are new or gone; their rates are in their catalog code's.
        } else if b == 0 && key.0 == Kind::Undocumented {
            // Reported as a new undocumented name.
        } else if a >= opts.min_count && cs > bs * grew {
            diff.regressions.push(change);
        } else if b >= opts.min_count && cs * grew < bs {
            diff.improvements.push(change);
        }
    }
    // Biggest relative change first; codes new since the baseline before all.
    let by_change = |a: &Change, b: &Change| {
        let rank = |c: &Change| c.change.unwrap_or(f64::INFINITY);
        rank(b)
            .total_cmp(&rank(a))
            .then_with(|| b.current_count.cmp(&a.current_count))
    };
    diff.regressions.sort_by(by_change);
    diff.improvements.sort_by(|a, b| by_change(b, a));
    diff.disappeared
        .sort_by_key(|c| std::cmp::Reverse(c.baseline_count));
    diff
}

/// (kind, section, name, status)
type Key = (Kind, Option<String>, Option<String>, Option<u16>);

/// Lines per comparable key of a report: catalog codes, undocumented names, pairs
/// and unnamed statuses.
fn rates(r: &Report) -> BTreeMap<Key, u64> {
    let mut m = BTreeMap::new();
    for c in &r.codes {
        let key = (
            Kind::Catalog,
            Some(c.section.clone()),
            Some(c.name.clone()),
            Some(c.status),
        );
        *m.entry(key).or_insert(0) += c.count;
    }
    for u in &r.undocumented {
        *m.entry((Kind::Undocumented, None, Some(u.name.clone()), None))
            .or_insert(0) += u.count;
    }
    for ((kind, section, name, status), n) in pairs(r) {
        m.insert((kind, Some(section), Some(name), Some(status)), n);
    }
    for u in &r.unnamed_errors {
        *m.entry((Kind::UnnamedError, None, None, Some(u.status)))
            .or_insert(0) += u.count;
    }
    m
}

/// Status-mismatch and wrong-section pairs: (class, section, name, sent status) -> lines.
fn pairs(r: &Report) -> HashMap<(Kind, String, String, u16), u64> {
    let mut m = HashMap::new();
    for p in &r.status_mismatches {
        *m.entry((
            Kind::StatusMismatch,
            p.section.clone(),
            p.name.clone(),
            p.observed_status,
        ))
        .or_insert(0) += p.count;
    }
    for w in &r.wrong_section {
        *m.entry((
            Kind::WrongSection,
            w.section.clone(),
            w.name.clone(),
            w.status,
        ))
        .or_insert(0) += w.count;
    }
    m
}

fn side(r: &Report, source: &str) -> Side {
    Side {
        source: source.to_string(),
        errscope_version: r.errscope_version.clone(),
        time: r.time.clone(),
        lines: r.totals.lines,
        requests: r.totals.requests,
        errors: r.totals.errors,
        classes: r.totals.classes,
        complete: r.complete,
    }
}

impl Diff {
    /// One line for stderr: `1 new undocumented name, 2 regressions` or `no changes`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            (
                self.new_undocumented.len(),
                "new undocumented name",
                "new undocumented names",
            ),
            (self.new_mismatches.len(), "new mismatch", "new mismatches"),
            (self.regressions.len(), "regression", "regressions"),
            (self.improvements.len(), "improvement", "improvements"),
            (
                self.disappeared.len(),
                "disappeared code",
                "disappeared codes",
            ),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() {
            "no changes beyond the threshold".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// `-o json`: the diff as pretty JSON, one trailing newline.
pub fn render_json(diff: &Diff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, diff)?;
    out.write_all(b"\n")
}

/// `+50%`, `-33%`, `12×`, `new`.
pub fn change_text(change: Option<f64>) -> String {
    match change {
        None => "new".to_string(),
        // Ten times or more reads better as a factor.
        Some(c) if c >= 9.0 => format!("{:.0}×", c + 1.0),
        Some(c) => format!("{:+.0}%", c * 100.0),
    }
}
