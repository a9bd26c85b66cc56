//! `errscope trend REPORT...`: JSON reports of several nights side by side, ordered
//! by their time range. Per night: lines, requests, error rate, each class, whether
//! the report is complete. Per catalog code (section, name, documented status) and
//! per undocumented name: count and rate (share of the night's requests) per night,
//! 0 where absent; names new on a night and names gone since the night before; the
//! worst movers first.
//!
//! A mover's score is how far its last night's rate rose above the mean of the
//! nights before it (a fall scores below 0): a code that started failing tonight
//! comes first, a steady one last.

pub mod html;
pub mod render;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::report::table::ratio;
use crate::report::{ClassCounts, Report};

/// `schema` of `trend -o json`.
pub const SCHEMA: &str = "errscope-trend";
/// Bumped on any change a consumer could notice (renamed or removed fields).
pub const VERSION: u32 = 1;

/// Several nights' reports, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trend {
    /// Always `errscope-trend`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The errscope that made it.
    pub errscope_version: String,
    /// In time order.
    pub nights: Vec<Night>,
    /// Every catalog code seen on at least one night, worst movers first.
    pub codes: Vec<Series>,
    /// Every undocumented name seen on at least one night, worst movers first.
    pub undocumented: Vec<Series>,
}

/// One report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Night {
    /// The date of its first line (UTC), or the report's file name when two nights
    /// share a date or a report has no time.
    pub label: String,
    /// The report's path.
    pub source: String,
    /// First and last request time (RFC 3339, UTC), if the report had times.
    pub first: Option<String>,
    /// The last request time, if the report had times.
    pub last: Option<String>,
    /// Lines read.
    pub lines: u64,
    /// Requests (lines not malformed).
    pub requests: u64,
    /// Requests with status >= 400.
    pub errors: u64,
    /// errors / requests.
    pub error_rate: f64,
    /// Lines per class.
    pub classes: ClassCounts,
    /// The report's `complete`: `false` when some input was not read in full.
    pub complete: bool,
    /// Undocumented names seen this night and not the night before (not on the
    /// first night).
    pub new_names: Vec<String>,
    /// Undocumented names seen the night before and not this night.
    pub gone_names: Vec<String>,
}

/// A code's or a name's lines over the nights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// The catalog section (null for an undocumented name).
    pub section: Option<String>,
    /// The error name.
    pub name: String,
    /// The documented status (null for an undocumented name).
    pub status: Option<u16>,
    /// Lines per night, in the order of `nights`; 0 where absent.
    pub counts: Vec<u64>,
    /// counts / the night's requests.
    pub rates: Vec<f64>,
    /// The last night's rate minus the mean rate of the nights before it.
    pub score: f64,
}

/// Read the reports at `paths` (files, or directories of `*.json` files) and put
/// them side by side.
pub fn load(paths: &[PathBuf]) -> Result<Trend> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut listed: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| Error::Input {
                    path: path.clone(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            if listed.is_empty() {
                return Err(Error::EmptyDirectory { path: path.clone() });
            }
            listed.sort();
            files.extend(listed);
        } else {
            files.push(path.clone());
        }
    }
    let reports = files
        .iter()
        .map(|f| crate::report::diff::load_report(f).map(|r| (f.clone(), r)))
        .collect::<Result<Vec<_>>>()?;
    if reports.len() < 2 {
        return Err(Error::Usage(
            "trend compares nights: give at least two JSON reports (or a directory of them)".into(),
        ));
    }
    Ok(build(reports))
}

/// Put `reports` side by side, ordered by their first request time (reports
/// without times last), then by path.
pub fn build(mut reports: Vec<(PathBuf, Report)>) -> Trend {
    reports.sort_by(|(pa, a), (pb, b)| {
        let key = |r: &Report| r.time.as_ref().map(|t| t.first.clone());
        (key(a).is_none(), key(a), pa).cmp(&(key(b).is_none(), key(b), pb))
    });
    let dates: Vec<Option<String>> = reports
        .iter()
        .map(|(_, r)| {
            r.time
                .as_ref()
                .map(|t| t.first[..10.min(t.first.len())].to_string())
        })
        .collect();
    let distinct_dates = dates.iter().all(Option::is_some) && {
        let mut d: Vec<&Option<String>> = dates.iter().collect();
        d.sort();
        d.dedup();
        d.len() == dates.len()
    };
    let label = |i: usize, path: &Path| match (&dates[i], distinct_dates) {
        (Some(date), true) => date.clone(),
        _ => path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
    };
    let requests: Vec<u64> = reports.iter().map(|(_, r)| r.totals.requests).collect();

    // Catalog codes: keyed by (section, name, documented status).
    let mut codes: Vec<Series> = Vec::new();
    let mut undocumented: Vec<Series> = Vec::new();
    let n = reports.len();
    for (i, (_, r)) in reports.iter().enumerate() {
        for c in r.codes.iter().filter(|c| c.count > 0) {
            let at = codes.iter().position(|s| {
                s.section.as_deref() == Some(&c.section)
                    && s.name == c.name
                    && s.status == Some(c.status)
            });
            let at = at.unwrap_or_else(|| {
                codes.push(series(
                    Some(c.section.clone()),
                    c.name.clone(),
                    Some(c.status),
                    n,
                ));
                codes.len() - 1
            });
            codes[at].counts[i] += c.count;
        }
        for u in &r.undocumented {
            let at = undocumented.iter().position(|s| s.name == u.name);
            let at = at.unwrap_or_else(|| {
                undocumented.push(series(None, u.name.clone(), None, n));
                undocumented.len() - 1
            });
            undocumented[at].counts[i] += u.count;
        }
    }
    for s in codes.iter_mut().chain(undocumented.iter_mut()) {
        s.rates = s
            .counts
            .iter()
            .zip(&requests)
            .map(|(c, r)| ratio(*c, *r))
            .collect();
        s.score = score(&s.rates);
    }
    let by_mover = |a: &Series, b: &Series| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| {
                b.counts
                    .iter()
                    .sum::<u64>()
                    .cmp(&a.counts.iter().sum::<u64>())
            })
            .then_with(|| (&a.section, &a.name).cmp(&(&b.section, &b.name)))
    };
    codes.sort_by(by_mover);
    undocumented.sort_by(by_mover);

    let nights = reports
        .iter()
        .enumerate()
        .map(|(i, (path, r))| {
            let seen = |night: usize| -> Vec<&str> {
                undocumented
                    .iter()
                    .filter(|s| s.counts[night] > 0)
                    .map(|s| s.name.as_str())
                    .collect()
            };
            let (new_names, gone_names) = if i == 0 {
                (Vec::new(), Vec::new())
            } else {
                let (now, before) = (seen(i), seen(i - 1));
                let mut new: Vec<String> = now
                    .iter()
                    .filter(|n| !before.contains(n))
                    .map(|n| n.to_string())
                    .collect();
                let mut gone: Vec<String> = before
                    .iter()
                    .filter(|n| !now.contains(n))
                    .map(|n| n.to_string())
                    .collect();
                new.sort();
                gone.sort();
                (new, gone)
            };
            Night {
                label: label(i, path),
                source: path.display().to_string(),
                first: r.time.as_ref().map(|t| t.first.clone()),
                last: r.time.as_ref().map(|t| t.last.clone()),
                lines: r.totals.lines,
                requests: r.totals.requests,
                errors: r.totals.errors,
                error_rate: ratio(r.totals.errors, r.totals.requests),
                classes: r.totals.classes,
                complete: r.complete,
                new_names,
                gone_names,
            }
        })
        .collect();
    Trend {
        schema: SCHEMA.to_string(),
        version: VERSION,
        errscope_version: env!("CARGO_PKG_VERSION").to_string(),
        nights,
        codes,
        undocumented,
    }
}

fn series(section: Option<String>, name: String, status: Option<u16>, nights: usize) -> Series {
    Series {
        section,
        name,
        status,
        counts: vec![0; nights],
        rates: Vec::new(),
        score: 0.0,
    }
}

/// The last rate minus the mean of the ones before it.
fn score(rates: &[f64]) -> f64 {
    match rates.split_last() {
        Some((last, before)) if !before.is_empty() => {
            last - before.iter().sum::<f64>() / before.len() as f64
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores() {
        assert_eq!(score(&[0.1, 0.1, 0.4]), 0.30000000000000004);
        assert!(score(&[0.4, 0.2, 0.0]) < 0.0);
        assert_eq!(score(&[0.3]), 0.0);
    }
}
