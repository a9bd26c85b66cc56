//! The findings every renderer puts first: one per kind of problem, most important
//! first, in words the text, Markdown and HTML reports share.

use super::table::thousands;
use super::Report;

/// One kind of problem found.
pub struct Finding<'a> {
    /// Lines with this problem.
    pub lines: u64,
    /// What those lines are: "with names the catalog does not list".
    pub what: &'static str,
    /// Distinct names or pairs involved, when counted: `4 names`, `6 pairs`.
    pub groups: Option<String>,
    /// More names than the report lists (beyond `--max-names`).
    pub more: bool,
    /// The names involved, most frequent first (may repeat).
    pub names: Vec<&'a str>,
}

impl Finding<'_> {
    /// "12 lines with names the catalog does not list (4 names)".
    pub fn sentence(&self) -> String {
        let mut s = format!("{} {}", count(self.lines, "line", "lines"), self.what);
        if let Some(groups) = &self.groups {
            s.push_str(&format!(" ({groups}"));
            if self.more {
                s.push_str(", and more beyond --max-names");
            }
            s.push(')');
        }
        s
    }
}

/// The findings of `r`: undocumented names, status mismatches, wrong-section names,
/// malformed lines, in that order; empty when the log keeps to the catalog.
pub fn findings(r: &Report) -> Vec<Finding<'_>> {
    let c = &r.totals.classes;
    let mut out = Vec::new();
    if c.undocumented > 0 {
        out.push(Finding {
            lines: c.undocumented,
            what: "with names the catalog does not list",
            groups: Some(count(r.undocumented.len() as u64, "name", "names")),
            more: r.undocumented_other.is_some(),
            names: r.undocumented.iter().map(|u| u.name.as_str()).collect(),
        });
    }
    if c.status_mismatch > 0 {
        out.push(Finding {
            lines: c.status_mismatch,
            what: "with a documented name sent with another status",
            groups: Some(count(r.status_mismatches.len() as u64, "pair", "pairs")),
            more: false,
            names: r
                .status_mismatches
                .iter()
                .map(|m| m.name.as_str())
                .collect(),
        });
    }
    if c.wrong_section > 0 {
        out.push(Finding {
            lines: c.wrong_section,
            what: "with a name from another section",
            groups: Some(count(r.wrong_section.len() as u64, "pair", "pairs")),
            more: false,
            names: r.wrong_section.iter().map(|w| w.name.as_str()).collect(),
        });
    }
    if c.malformed > 0 {
        out.push(Finding {
            lines: c.malformed,
            what: "that could not be parsed",
            groups: None,
            more: false,
            names: Vec::new(),
        });
    }
    out
}

/// What a reader must know before trusting the report, most important first: that
/// nothing was counted (no lines read, or every line outside the time window), or
/// that the report is incomplete (inputs not read in full, or mostly malformed:
/// `inputs[].error` says which and why). Empty for a whole, non-empty run. The text,
/// Markdown, HTML and CSV reports all show these.
pub fn notices(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    if r.totals.lines == 0 {
        out.push("no lines were read: nothing was checked against the catalog".to_string());
    } else if r.is_empty() {
        out.push(format!(
            "all {} read were outside --since/--until: nothing was checked against the catalog",
            count(r.totals.lines, "line", "lines")
        ));
    }
    if !r.complete {
        let failed = r.inputs.iter().filter(|i| i.error.is_some()).count();
        out.push(format!(
            "incomplete: {failed} of {} not read in full or not to be trusted (see the \
             inputs); the counts cover only what was read",
            count(r.inputs.len() as u64, "input", "inputs")
        ));
    }
    out
}

/// `1 line`, `1,234 lines`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}
