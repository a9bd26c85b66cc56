//! Merged tally + catalog -> report rows, with names, shares, rates and locations.

use std::collections::BTreeMap;

use super::*;
use crate::analyze::Analysis;
use crate::catalog::Catalog;
use crate::classify::Class;
use crate::format::timestamp::format_rfc3339;
use crate::tally::{self, CodeKey};

/// Documented and mismatched uses of one (section, name), summed over statuses.
#[derive(Default)]
struct CodeUse {
    count: u64,
    latency: crate::tally::latency::Latency,
    statuses: BTreeMap<String, u64>,
}

/// The report of an analysis: rows, shares, rates and `path:line` locations.
pub fn build(analysis: &Analysis, catalog: &Catalog) -> Report {
    let t = &analysis.tally;
    let classes = ClassCounts::from_array(&t.classes);
    let requests =
        t.lines - t.outside_window - t.not_access - t.no_response - t.continued - classes.malformed;
    let errors: u64 = t.statuses.iter().skip(400).sum();
    let time = match (t.first_ms, t.last_ms) {
        (Some(first), Some(last)) => Some(TimeSpan {
            first: format_rfc3339(first),
            last: format_rfc3339(last),
            seconds: (last - first) as f64 / 1000.0,
        }),
        _ => None,
    };
    let span_seconds = time.as_ref().map(|s| s.seconds).filter(|s| *s > 0.0);
    let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let section_name = |s: u8| catalog.section(s).id.clone();
    let locate = |loc| analysis.locate(loc);

    let mut status_classes = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    for (status, &n) in t.statuses.iter().enumerate().filter(|(_, n)| **n > 0) {
        *status_classes
            .entry(format!("{}xx", status / 100))
            .or_default() += n;
        statuses.insert(status.to_string(), n);
    }

    // Codes: documented + mismatched lines of each (section, name), in catalog order.
    let mut per_code: BTreeMap<(u8, u32), CodeUse> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut wrong_section = Vec::new();
    let mut keys: Vec<&CodeKey> = t.codes.keys().collect();
    keys.sort();
    for key in keys {
        let stat = &t.codes[key];
        let name = catalog.name(key.name).to_string();
        match key.class {
            Class::Documented | Class::StatusMismatch => {
                let row = per_code.entry((key.section, key.name)).or_default();
                row.count += stat.count;
                row.latency.merge(&stat.latency);
                *row.statuses.entry(key.status.to_string()).or_default() += stat.count;
                if key.class == Class::StatusMismatch {
                    mismatches.push(Mismatch {
                        section: section_name(key.section),
                        name,
                        documented_status: catalog
                            .status_in(key.section, key.name)
                            .expect("a mismatch is listed in its section"),
                        observed_status: key.status,
                        count: stat.count,
                        example: locate(stat.example),
                    });
                }
            }
            Class::WrongSection => wrong_section.push(WrongSection {
                section: section_name(key.section),
                name,
                status: key.status,
                listed_in: catalog
                    .listings(key.name)
                    .map(|(s, st)| (section_name(s), st))
                    .collect(),
                count: stat.count,
                example: locate(stat.example),
            }),
            _ => unreachable!("code keys hold catalog-name classes only"),
        }
    }
    let starts = bucket_starts(t);
    let mut codes = Vec::new();
    // (section, name) rows already made: a set, so a huge catalog is not quadratic.
    let mut listed = std::collections::HashSet::new();
    for (si, section) in catalog.sections().iter().enumerate() {
        let si = si as u8;
        for entry in &section.entries {
            let id = catalog
                .name_id(entry.name.as_bytes())
                .expect("catalog names are interned");
            // A name listed twice in a section is counted once, on its first row.
            if catalog.status_in(si, id) != Some(entry.status) || !listed.insert((si, id)) {
                continue;
            }
            let CodeUse {
                count,
                latency: lat,
                statuses,
            } = per_code.remove(&(si, id)).unwrap_or_default();
            codes.push(Code {
                section: section.id.clone(),
                name: entry.name.clone(),
                status: entry.status,
                count,
                share_of_requests: share(count, requests),
                share_of_errors: share(count, errors),
                per_second: span_seconds.map(|s| count as f64 / s),
                latency: latency(&lat),
                statuses,
                series: starts.as_ref().map(|starts| {
                    let buckets = t.code_buckets.get(&(si, id));
                    starts
                        .iter()
                        .map(|s| buckets.and_then(|b| b.get(s)).copied().unwrap_or(0))
                        .collect()
                }),
            });
        }
    }
    by_count_desc(&mut mismatches, |m| m.count);
    by_count_desc(&mut wrong_section, |w| w.count);

    let mut undocumented: Vec<Undocumented> = t
        .undocumented
        .iter()
        .map(|(name, u)| {
            // Log-derived: a secret logged as a name is masked (src/classify/secrets.rs).
            let name = crate::classify::secrets::mask(&String::from_utf8_lossy(name)).into_owned();
            Undocumented {
                resembles: catalog.resembles(&name).map(str::to_string),
                name,
                count: u.count,
                statuses: status_map(&u.statuses),
                first_seen: u.first_ms.map(format_rfc3339),
                last_seen: u.last_ms.map(format_rfc3339),
                example: locate(u.example),
            }
        })
        .collect();
    undocumented.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let undocumented_other = t.undocumented.other().map(|u| UndocumentedOther {
        max_names: t.config().max_names,
        count: u.count,
        statuses: status_map(&u.statuses),
        example: locate(u.example),
    });

    let mut unnamed: Vec<Unnamed> = t
        .unnamed
        .iter()
        .map(|(status, s)| Unnamed {
            status: *status,
            count: s.count,
            share_of_errors: share(s.count, errors),
            latency: latency(&s.latency),
            example: locate(s.example),
        })
        .collect();
    unnamed.sort_by_key(|u| u.status);

    let malformed = super::Malformed {
        count: classes.malformed,
        reasons: t
            .malformed_reasons
            .iter()
            .map(|(r, n)| (r.as_str().to_string(), *n))
            .collect(),
        examples: t
            .malformed_examples
            .iter()
            .map(|(loc, reason)| MalformedExample {
                location: locate(*loc),
                reason: reason.as_str().to_string(),
            })
            .collect(),
    };

    let mut endpoints: Vec<Endpoint> = t
        .endpoints
        .iter()
        .map(|(e, c)| {
            let endpoint = crate::classify::secrets::mask(&String::from_utf8_lossy(e)).into_owned();
            endpoint_row(endpoint, c)
        })
        .collect();
    endpoints.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.endpoint.cmp(&b.endpoint))
    });

    Report {
        schema: SCHEMA.to_string(),
        version: VERSION,
        errscope_version: env!("CARGO_PKG_VERSION").to_string(),
        build: crate::analyze::stage::NOTE.map(str::to_string),
        complete: analysis.inputs.iter().all(|i| i.error.is_none()),
        catalog: CatalogInfo {
            source: catalog.source().to_string(),
            sections: catalog.sections().iter().map(|s| s.id.clone()).collect(),
            entries: catalog.sections().iter().map(|s| s.entries.len()).sum(),
            names: catalog.name_count(),
        },
        inputs: analysis
            .inputs
            .iter()
            .map(|i| Input {
                path: i.name.clone(),
                format: i.format.clone(),
                latency_source: i.latency_source.clone(),
                compression: i.compression.map(str::to_string),
                envelope: i.envelope.map(str::to_string),
                bytes: i.bytes,
                lines: i.lines,
                malformed: i.malformed,
                error: i.error.clone(),
                resumed: i.resumed.map(|(lines, bytes)| Resumed { lines, bytes }),
            })
            .collect(),
        totals: Totals {
            lines: t.lines,
            bytes: analysis.inputs.iter().map(|i| i.bytes).sum(),
            outside_window: t.outside_window,
            not_access: t.not_access,
            no_response: t.no_response,
            continued: t.continued,
            requests,
            errors,
            unrouted: t.unrouted,
            bad_time: t.bad_time,
            classes,
        },
        time,
        window: window(analysis),
        bad_time_examples: t.bad_time_examples.iter().map(|l| locate(*l)).collect(),
        time_series: time_series(t, starts.as_deref()),
        status_classes,
        statuses,
        latency: latency(&t.overall_latency()),
        codes,
        status_mismatches: mismatches,
        wrong_section,
        undocumented,
        undocumented_other,
        unnamed_errors: unnamed,
        malformed,
        endpoints,
        endpoints_other: t
            .endpoints
            .other()
            .map(|e| endpoint_row("(other)".into(), e)),
    }
}

fn window(analysis: &Analysis) -> Option<Window> {
    let (since, until) = analysis.window();
    (since.is_some() || until.is_some()).then(|| Window {
        since: since.map(format_rfc3339),
        until: until.map(format_rfc3339),
    })
}

/// The start of every bucket of the time series, in order: from the first to the
/// last bucket with lines, gaps filled so a chart shows quiet periods as zero (when
/// that stays bounded). `None` without `--bucket`.
fn bucket_starts(t: &tally::Tally) -> Option<Vec<i64>> {
    let width = t.config().bucket_ms?;
    let mut starts: Vec<i64> = t.buckets().iter().map(|(start, _)| *start).collect();
    starts.sort_unstable();
    if let (Some(&first), Some(&last)) = (starts.first(), starts.last()) {
        if (last - first) / width < tally::MAX_BUCKETS as i64 {
            starts = (0..=(last - first) / width)
                .map(|i| first + i * width)
                .collect();
        }
    }
    Some(starts)
}

fn time_series(t: &tally::Tally, starts: Option<&[i64]>) -> Option<TimeSeries> {
    let width = t.config().bucket_ms?;
    let starts = starts?;
    let empty = tally::ClassTally::default();
    Some(TimeSeries {
        bucket_seconds: (width / 1000) as u64,
        buckets: starts
            .iter()
            .map(|&start| {
                let b = t.buckets().get(&start).unwrap_or(&empty);
                Bucket {
                    start: format_rfc3339(start),
                    requests: b.requests(),
                    errors: b.errors,
                    classes: ClassCounts::from_array(&b.classes),
                }
            })
            .collect(),
        overflow: t.buckets().other().map_or(0, |b| b.requests()),
    })
}

fn endpoint_row(endpoint: String, e: &tally::ClassTally) -> Endpoint {
    Endpoint {
        endpoint,
        requests: e.requests(),
        errors: e.errors,
        classes: ClassCounts::from_array(&e.classes),
    }
}

fn by_count_desc<T>(rows: &mut [T], count: impl Fn(&T) -> u64) {
    // Stable: rows with equal counts keep their (sorted key) order.
    rows.sort_by_key(|r| std::cmp::Reverse(count(r)));
}

fn status_map(m: &[(u16, u64)]) -> BTreeMap<String, u64> {
    m.iter().map(|(s, n)| (s.to_string(), *n)).collect()
}

fn latency(l: &crate::tally::latency::Latency) -> Option<Latency> {
    let h = l.histogram();
    if h.is_empty() {
        return None;
    }
    // A percentile is reported as its bucket's median, the closest value to the
    // truth; the maximum as its bucket's upper edge, so it is never understated.
    let ms = |us: u64| h.median_equivalent(us) as f64 / 1000.0;
    Some(Latency {
        samples: h.len(),
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: h.max() as f64 / 1000.0,
    })
}
