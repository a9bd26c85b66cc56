//! `--fail-on`: what may fail a run (exit status 1), how a list of them is spelled,
//! and why a run failed, in words for stderr.
//!
//! One list serves `analyze` and `diff`. A kind is spelled with `-` or `_`
//! (`status-mismatch` = `status_mismatch`), any case, with spaces around commas:
//! `--fail-on 'undocumented, status-mismatch'`.

use std::fmt;

use crate::classify::Class;
use crate::report::diff::Diff;
use crate::report::table::thousands;
use crate::report::Report;

/// What `--fail-on` can name: a class present in the report, an empty run, or
/// something new against a baseline report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailOn {
    /// Lines of the class `undocumented`.
    Undocumented,
    /// Lines of the class `status_mismatch`.
    StatusMismatch,
    /// Lines of the class `wrong_section`.
    WrongSection,
    /// Malformed lines.
    Malformed,
    /// Lines of the class `unnamed_error`.
    UnnamedError,
    /// The run counted no line: nothing was read, or every line was outside
    /// `--since`/`--until`.
    Empty,
    /// A name that is not in the baseline report (`diff`, `analyze --baseline`).
    NewUndocumented,
    /// A mismatch or wrong-section pair that is not in the baseline report.
    NewMismatch,
    /// A code whose rate rose beyond `--threshold`.
    Regression,
}

impl FailOn {
    /// Every kind, in the order help texts list them.
    pub const ALL: [FailOn; 9] = [
        FailOn::Undocumented,
        FailOn::StatusMismatch,
        FailOn::WrongSection,
        FailOn::Malformed,
        FailOn::UnnamedError,
        FailOn::Empty,
        FailOn::NewUndocumented,
        FailOn::NewMismatch,
        FailOn::Regression,
    ];

    /// The spelling errscope prints (`-` between words).
    pub fn name(self) -> &'static str {
        match self {
            FailOn::Undocumented => "undocumented",
            FailOn::StatusMismatch => "status-mismatch",
            FailOn::WrongSection => "wrong-section",
            FailOn::Malformed => "malformed",
            FailOn::UnnamedError => "unnamed-error",
            FailOn::Empty => "empty",
            FailOn::NewUndocumented => "new-undocumented",
            FailOn::NewMismatch => "new-mismatch",
            FailOn::Regression => "regression",
        }
    }

    /// One item of a `--fail-on` list: surrounding spaces, case and `_` for `-` do
    /// not matter. The error lists what is accepted.
    pub fn parse(item: &str) -> Result<FailOn, String> {
        let wanted = item.trim().to_ascii_lowercase().replace('_', "-");
        FailOn::ALL
            .into_iter()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = FailOn::ALL.iter().map(|f| f.name()).collect();
                if wanted.is_empty() {
                    format!("an empty item; use one or more of {}", names.join(", "))
                } else {
                    format!(
                        "{:?} is not something --fail-on checks; use {} (`_` works for `-`)",
                        item.trim(),
                        names.join(", ")
                    )
                }
            })
    }

    /// Whether this is about a comparison with a baseline rather than the report.
    pub fn needs_baseline(self) -> bool {
        matches!(
            self,
            FailOn::NewUndocumented | FailOn::NewMismatch | FailOn::Regression
        )
    }

    /// The report class this kind is about, if it is one.
    fn class(self) -> Option<Class> {
        Some(match self {
            FailOn::Undocumented => Class::Undocumented,
            FailOn::StatusMismatch => Class::StatusMismatch,
            FailOn::WrongSection => Class::WrongSection,
            FailOn::Malformed => Class::Malformed,
            FailOn::UnnamedError => Class::UnnamedError,
            _ => return None,
        })
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Names listed in a reason at most; the rest are counted.
const MAX_NAMES: usize = 10;

/// Why the run fails: one sentence per kind in `fail_on` that occurred, in the
/// order given (each kind once), e.g. `undocumented: 4 lines (4 names)`. Empty when
/// nothing named occurred. The comparison kinds are looked up in `diff`.
pub fn reasons(report: &Report, diff: Option<&Diff>, fail_on: &[FailOn]) -> Vec<String> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for &f in fail_on {
        if seen.contains(&f) {
            continue;
        }
        seen.push(f);
        if let Some(reason) = reason(report, diff, f) {
            out.push(format!("{f}: {reason}"));
        }
    }
    out
}

fn reason(report: &Report, diff: Option<&Diff>, f: FailOn) -> Option<String> {
    if let Some(class) = f.class() {
        let n = report.totals.classes.get(class);
        if n == 0 {
            return None;
        }
        let lines = plural(n, "line", "lines");
        let detail = match class {
            Class::Undocumented => {
                let names =
                    report.undocumented.len() + usize::from(report.undocumented_other.is_some());
                let listed: Vec<&str> = report.undocumented.iter().map(|u| &u.name[..]).collect();
                format!(" ({})", name_list(&listed, names, "name", "names"))
            }
            Class::StatusMismatch => format!(
                " ({})",
                plural(report.status_mismatches.len() as u64, "pair", "pairs")
            ),
            Class::WrongSection => format!(
                " ({})",
                plural(report.wrong_section.len() as u64, "pair", "pairs")
            ),
            _ => String::new(),
        };
        return Some(format!("{lines}{detail}"));
    }
    match f {
        FailOn::Empty => report.is_empty().then(|| {
            if report.totals.lines == 0 {
                "no lines were read".to_string()
            } else {
                format!(
                    "all {} read were outside --since/--until",
                    plural(report.totals.lines, "line", "lines")
                )
            }
        }),
        FailOn::NewUndocumented => {
            let new = &diff?.new_undocumented;
            let names: Vec<&str> = new.iter().map(|n| &n.name[..]).collect();
            (!new.is_empty()).then(|| name_list(&names, new.len(), "name", "names"))
        }
        FailOn::NewMismatch => {
            let new = &diff?.new_mismatches;
            let pairs: Vec<String> = new
                .iter()
                .map(|p| format!("{} {} {}", p.section, p.name, p.status))
                .collect();
            let pairs: Vec<&str> = pairs.iter().map(String::as_str).collect();
            (!new.is_empty()).then(|| name_list(&pairs, new.len(), "pair", "pairs"))
        }
        FailOn::Regression => {
            let rose = &diff?.regressions;
            let codes: Vec<String> = rose.iter().map(|c| c.label()).collect();
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            (!rose.is_empty()).then(|| name_list(&codes, rose.len(), "code", "codes"))
        }
        _ => None,
    }
}

/// `3 names: A, B, C` / `12 names: A, …, J and 2 more`.
fn name_list(names: &[&str], total: usize, one: &str, many: &str) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_NAMES).copied().collect();
    let mut text = plural(total as u64, one, many);
    if !shown.is_empty() {
        text.push_str(": ");
        text.push_str(&crate::report::table::escape_control(&shown.join(", ")));
    }
    if total > shown.len() {
        text.push_str(&format!(" and {} more", total - shown.len()));
    }
    text
}

/// `1 line`, `4 lines`, `1,200 lines`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        for s in [
            "status-mismatch",
            "status_mismatch",
            " Status_Mismatch ",
            "STATUS-MISMATCH",
        ] {
            assert_eq!(FailOn::parse(s), Ok(FailOn::StatusMismatch), "{s:?}");
        }
        assert_eq!(FailOn::parse("new_mismatch"), Ok(FailOn::NewMismatch));
        assert_eq!(FailOn::parse(" empty"), Ok(FailOn::Empty));
        let e = FailOn::parse("undocumentd").unwrap_err();
        assert!(
            e.contains("\"undocumentd\"") && e.contains("status-mismatch"),
            "{e}"
        );
        assert!(FailOn::parse(" ").unwrap_err().contains("empty item"));
        for f in FailOn::ALL {
            assert_eq!(FailOn::parse(f.name()), Ok(f));
        }
    }

    #[test]
    fn name_lists() {
        assert_eq!(name_list(&["A"], 1, "name", "names"), "1 name: A");
        let many: Vec<String> = (0..12).map(|i| format!("N{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            name_list(&many, 12, "name", "names"),
            "12 names: N0, N1, N2, N3, N4, N5, N6, N7, N8, N9 and 2 more"
        );
        // Names beyond a cap are counted, not listed.
        assert_eq!(
            name_list(&["A"], 3, "pair", "pairs"),
            "3 pairs: A and 2 more"
        );
    }
}
