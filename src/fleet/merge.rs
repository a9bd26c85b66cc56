//! `errscope merge PARTIAL...`: partial reports ([`crate::fleet::partial`]) added up into
//! one analysis, which `app` renders as `analyze` renders its own.
//!
//! Merging is exact, associative and commutative: tallies merge as the workers of
//! one run merge theirs ([`Tally::merge`]), and the merged inputs are put in one
//! order whatever the order of the partials (by path, then by where their first
//! byte range starts). Partials made with other settings are refused, naming each
//! setting that differs.
//!
//! Byte ranges of one file (`analyze --range`, `--stdin-offset`) become one input
//! again: its parts in order of their start, each part's lines numbered on from the
//! earlier parts' line counts, so `file:line` is the line's number in the whole
//! file. That needs the ranges to tile the file: overlapping ranges (lines counted
//! twice) are refused; a gap (bytes no range read) makes the report incomplete,
//! naming the bytes missing in the input's error, and the lines after the gap are
//! located as `file:?` since their numbers cannot be known.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::analyze::{Analysis, InputSummary};
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::fleet::partial::{self, At, Head, Part, Partial, PartialInput, Settings};
use crate::tally::{Location, Tally};

/// Lines numbered in one chunk of a merged input: the chunk's line is a u32, so a
/// part with more lines takes several chunks.
const CHUNK_LINES: u64 = 1 << 31;

/// A partial to merge: where it is, and its [`Head`].
pub struct Loaded {
    name: String,
    path: PathBuf,
    /// Standard input's bytes (read once); files are read again for their tally.
    stdin: Option<Vec<u8>>,
    head: Head,
}

/// The partials named by `paths`: files; directories, for the `*.partial.json`
/// files in them (sorted); `-` for one partial on standard input. Each one's
/// head is read and checked ([`partial::parse`]); none at all is an error.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Loaded>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            files.push(path.clone());
            continue;
        }
        let meta = std::fs::metadata(path).map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let listed = std::fs::read_dir(path).map_err(|source| Error::Input {
            path: path.clone(),
            source,
        })?;
        let mut found: Vec<PathBuf> = listed
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(".partial.json"))
            })
            .collect();
        if found.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no partial reports (*.partial.json) in this directory",
                path.display()
            )));
        }
        found.sort();
        files.extend(found);
    }
    if files.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return Err(Error::Usage(
            "`-` (standard input) can be given only once".into(),
        ));
    }
    if files.is_empty() {
        return Err(Error::Usage(
            "nothing to merge: give partial reports".into(),
        ));
    }
    // The same partial twice would count its lines twice.
    let mut seen = std::collections::HashSet::new();
    for path in files.iter().filter(|p| p.as_os_str() != "-") {
        if let Ok(real) = std::fs::canonicalize(path) {
            if !seen.insert(real) {
                return Err(Error::Usage(format!(
                    "{}: given twice (or through a directory too); its lines would be \
                     counted twice",
                    path.display()
                )));
            }
        }
    }
    files
        .into_par_iter()
        .map(|path| {
            let name = path.display().to_string();
            let text = read(&path)?;
            let head = partial::parse(&text, &name)?;
            let stdin = (path.as_os_str() == "-").then_some(text);
            Ok(Loaded {
                name,
                path,
                stdin,
                head,
            })
        })
        .collect()
}

impl Loaded {
    /// The whole partial, read again; refused if it is not the one whose head was
    /// read (rewritten in between).
    fn full(&self) -> Result<Partial> {
        let text = match &self.stdin {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => std::borrow::Cow::Owned(read(&self.path)?),
        };
        let p: Partial = partial::parse(&text, &self.name)?;
        if p.settings != self.head.settings || p.inputs != self.head.inputs {
            return Err(Error::Usage(format!(
                "{}: changed while it was being merged; merge again",
                self.name
            )));
        }
        Ok(p)
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    let err = |source| Error::Input {
        path: path.to_path_buf(),
        source,
    };
    if path.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin().read_to_end(&mut text).map_err(err)?;
        return Ok(text);
    }
    std::fs::read(path).map_err(err)
}

/// Where each merged input's parts are numbered: chunk 0 is empty (so that every
/// line can be made unknown, see [`Analysis::locate`]), each part has chunks from
/// `base[k]`, and lines of unknown number go in the last chunk, `unknown`.
struct Layout {
    base: Vec<u32>,
    unknown: u32,
}

/// Partials added up.
pub struct Merged {
    /// The merged tally, with its inputs, as one analysis of all the partials' input.
    pub analysis: Analysis,
    /// The settings every partial was made with.
    pub settings: Settings,
    /// What a person should know (ranges of one file read in other formats).
    pub notes: Vec<String>,
    /// The merged inputs with their parts, as a partial lists them.
    inputs: Vec<PartialInput>,
    layouts: Vec<Layout>,
    /// Per merged input: bytes of a file no range read, as the error its report
    /// gives it ([`Merged::report_analysis`]).
    gaps: Vec<Option<String>>,
    /// `--max-malformed` of the partials: checked on each merged input, since a
    /// byte range's share of malformed lines is not its file's.
    max_malformed: f64,
}

/// The (partial, input, part) a merged input's parts came from, in order.
type Sources = Vec<(usize, usize, usize)>;

/// Which merged input and part each input and part of each partial became.
type PartMap = Vec<Vec<(usize, Vec<usize>)>>;

/// Add up the `partials` made with the same settings and `catalog`, reading one
/// tally at a time per thread: the merged tally is bounded by the caps, and only
/// the partials' heads are held all together.
pub fn merge(partials: Vec<Loaded>, catalog: &Catalog) -> Result<Merged> {
    let first = partials
        .first()
        .ok_or_else(|| Error::Usage("nothing to merge: give partial reports".into()))?;
    let first_name = &first.name;
    let settings = first.head.settings.clone();
    for Loaded { name, head: p, .. } in &partials[1..] {
        let differs = differences(&settings, &p.settings);
        if !differs.is_empty() {
            return Err(Error::Usage(format!(
                "{name} (there) was made with other settings than {first_name} (here), \
                 so their lines were counted differently: {}. Merge only partials made \
                 with the same catalog and options",
                differs.join("; ")
            )));
        }
    }
    let fingerprint = crate::input::state::catalog_fingerprint(catalog);
    if settings.get("catalog") != Some(&fingerprint) {
        return Err(Error::Usage(format!(
            "the partials were made with another catalog (fingerprint {}) than this one \
             ({}, fingerprint {fingerprint}): give the same one with --catalog",
            settings.get("catalog").map_or("none", String::as_str),
            catalog.source()
        )));
    }
    let corrupt = |name: &str, why: String| {
        Error::Usage(format!(
            "{name}: not a valid errscope partial report: it {why}"
        ))
    };
    let partial::Config {
        tally: config,
        window,
        max_malformed,
    } = partial::config_of(&settings).map_err(|e| corrupt(first_name, e))?;

    let heads: Vec<(&str, &[PartialInput])> = (partials.iter())
        .map(|l| (l.name.as_str(), &l.head.inputs[..]))
        .collect();
    let (inputs, map, notes) = group_inputs(&heads)?;
    let mut layouts = Vec::new();
    let mut chunk_first_line = Vec::new();
    let mut first_dropped: Vec<Option<u32>> = Vec::new();
    let mut gaps = Vec::new();
    for input in &inputs {
        let (layout, starts, dropped, gap) = number(input);
        layouts.push(layout);
        chunk_first_line.push(starts);
        first_dropped.push(dropped);
        gaps.push(gap);
    }

    let (total, unknown_used) = partials
        .par_iter()
        .enumerate()
        .map(|(p, loaded)| {
            let partial = loaded.full()?;
            let mut unknown = Vec::new();
            let mut loc = |at: At| -> std::result::Result<Location, String> {
                let At(i, j, line) = at;
                let (m, parts) = map[p].get(i as usize).ok_or_else(|| {
                    format!("holds a location of input {i}, which it does not list")
                })?;
                let k = *parts.get(j as usize).ok_or_else(|| {
                    format!("holds a location of part {j} of input {i}, which it does not list")
                })?;
                let layout = &layouts[*m];
                let Some(line) = line else {
                    unknown.push(*m);
                    return Ok(Location {
                        input: *m as u32,
                        chunk: layout.unknown,
                        line: 0,
                    });
                };
                if line >= line_limit(&inputs[*m], k) {
                    return Err(format!("holds line {line} of input {i}, which has fewer"));
                }
                Ok(Location {
                    input: *m as u32,
                    chunk: layout.base[k] + (line / CHUNK_LINES) as u32,
                    line: (line % CHUNK_LINES) as u32,
                })
            };
            let tally = partial::tally_of(&partial.tally, config, catalog, &mut loc)
                .map_err(|e| corrupt(&loaded.name, e))?;
            Ok((tally, unknown))
        })
        .try_reduce(
            || (Tally::new(config), Vec::new()),
            |(mut a, mut ua), (b, ub)| {
                a.merge(b);
                ua.extend(ub);
                Ok((a, ua))
            },
        )?;
    for m in unknown_used {
        let d = layouts[m].unknown - 1;
        first_dropped[m] = Some(first_dropped[m].map_or(d, |x| x.min(d)));
    }
    let summaries = inputs.iter().map(summary).collect();
    Ok(Merged {
        analysis: Analysis::assembled(total, summaries, chunk_first_line, first_dropped, window),
        settings,
        notes,
        inputs,
        layouts,
        gaps,
        max_malformed,
    })
}

/// The settings that differ, as `NAME A here, B there`.
fn differences(a: &Settings, b: &Settings) -> Vec<String> {
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |s: &Settings| s.get(k).map_or("(missing)".to_string(), Clone::clone);
            format!("{k} {} there, {} here", show(b), show(a))
        })
        .collect()
}

/// Lines a location in part `k` of `input` may name: a whole input's lines are
/// numbered from its start (after what earlier `--state` runs read), a range's
/// from the range's.
fn line_limit(input: &PartialInput, k: usize) -> u64 {
    let part = &input.parts[k];
    if part.range.is_some() {
        part.lines
    } else {
        input.resumed.map_or(0, |r| r.lines) + part.lines
    }
}

/// The merged inputs, in their one order, with which merged input and part each
/// partial's input and part became. Ranges of one path are one input.
fn group_inputs(
    partials: &[(&str, &[PartialInput])],
) -> Result<(Vec<PartialInput>, PartMap, Vec<String>)> {
    // (path, ranged) -> members (partial, input), for ranged ones; whole inputs alone.
    let mut ranged: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
    let mut merged: Vec<(PartialInput, Sources)> = Vec::new();
    for (p, (_, partial_inputs)) in partials.iter().enumerate() {
        for (i, input) in partial_inputs.iter().enumerate() {
            if input.is_ranged() {
                ranged.entry(&input.path).or_default().push((p, i));
            } else {
                let sources = (0..input.parts.len()).map(|j| (p, i, j)).collect();
                merged.push((input.clone(), sources));
            }
        }
    }
    let mut notes = Vec::new();
    for (path, members) in ranged {
        // Every part of every member, in order of start.
        let mut parts: Vec<(Part, usize, usize, usize)> = Vec::new();
        for &(p, i) in &members {
            let input = &partials[p].1[i];
            parts.extend(
                input
                    .parts
                    .iter()
                    .enumerate()
                    .map(|(j, part)| (*part, p, i, j)),
            );
        }
        parts.sort_by_key(|(part, ..)| part.range.map(|[s, e]| (s, e)));
        let size = members
            .iter()
            .filter_map(|&(p, i)| partials[p].1[i].size)
            .collect::<std::collections::BTreeSet<u64>>();
        if size.len() > 1 {
            return Err(Error::Usage(format!(
                "{path}: the byte ranges were read from files of different sizes ({}): \
                 not the same file, or it changed between the runs",
                size.iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let span = |part: &Part| part.range.expect("ranged parts have a range");
        for w in parts.windows(2) {
            let ([a0, a1], [b0, b1]) = (span(&w[0].0), span(&w[1].0));
            if b0 < a1 {
                return Err(Error::Usage(format!(
                    "{path}: the byte ranges {a0}..{a1} (in {}) and {b0}..{b1} (in {}) \
                     overlap, so their common lines would be counted twice: merge each \
                     range once",
                    partials[w[0].1].0, partials[w[1].1].0
                )));
            }
        }
        // The input's other fields are those of the first range in the file that
        // has lines (an empty one's format was chosen from no lines).
        let read = |(part, ..): &&(Part, usize, usize, usize)| part.lines > 0;
        let &(_, p0, i0, _) = parts.iter().find(read).unwrap_or(&parts[0]);
        let mut input = partials[p0].1[i0].clone();
        let formats: std::collections::BTreeSet<&Option<String>> = (parts.iter())
            .filter(read)
            .map(|&(_, p, i, _)| &partials[p].1[i].format)
            .collect();
        if formats.len() > 1 {
            notes.push(format!(
                "{path}: its byte ranges were read in different formats ({}); name the \
                 format with --format or --preset in every run",
                formats
                    .iter()
                    .map(|f| f.as_deref().unwrap_or("none"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let mut errors: Vec<&String> = members
            .iter()
            .filter_map(|&(p, i)| partials[p].1[i].error.as_ref())
            .collect();
        errors.dedup();
        input.error = (!errors.is_empty()).then(|| {
            errors
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        input.size = size.into_iter().next();
        input.parts = parts.iter().map(|(part, ..)| *part).collect();
        let sources = parts.iter().map(|&(_, p, i, j)| (p, i, j)).collect();
        merged.push((input, sources));
    }
    // One order, whatever the partials' order: by path, then by the first range's
    // start, then by everything else the input says.
    merged.sort_by_cached_key(|(input, _)| {
        let start = input
            .parts
            .first()
            .and_then(|p| p.range)
            .map_or(0, |r| r[0]);
        (
            input.path.clone(),
            start,
            serde_json::to_string(input).expect("an input serializes"),
        )
    });
    let mut map: PartMap = partials
        .iter()
        .map(|(_, p)| vec![(0, Vec::new()); p.len()])
        .collect();
    for (m, (_, sources)) in merged.iter().enumerate() {
        for (k, &(p, i, j)) in sources.iter().enumerate() {
            let entry = &mut map[p][i];
            entry.0 = m;
            if entry.1.len() <= j {
                entry.1.resize(j + 1, 0);
            }
            entry.1[j] = k;
        }
    }
    Ok((merged.into_iter().map(|(i, _)| i).collect(), map, notes))
}

/// Number a merged input's lines: its [`Layout`], the first line of each chunk,
/// the chunk after which lines have no number (after a gap), and the gap's
/// message.
fn number(input: &PartialInput) -> (Layout, Vec<u64>, Option<u32>, Option<String>) {
    let mut base = Vec::new();
    let mut starts = vec![0];
    let mut offset = 0u64;
    let mut expected = 0u64;
    let mut dropped = None;
    let mut missing = Vec::new();
    for (k, part) in input.parts.iter().enumerate() {
        let chunk = starts.len() as u32;
        base.push(chunk);
        if let Some([start, end]) = part.range {
            if start > expected {
                missing.push(format!("{expected}..{start}"));
                dropped.get_or_insert(chunk - 1);
            }
            expected = end;
        }
        let limit = line_limit(input, k);
        let first = if part.range.is_some() { offset } else { 0 };
        for c in 0..limit.div_ceil(CHUNK_LINES).max(1) {
            starts.push(first + c * CHUNK_LINES);
        }
        offset += part.lines;
    }
    if input.is_ranged() {
        if let Some(size) = input.size.filter(|s| *s > expected) {
            missing.push(format!("{expected}..{size}"));
        }
    }
    let unknown = starts.len() as u32;
    starts.push(0);
    let gap = (!missing.is_empty()).then(|| {
        format!(
            "{}: no byte range read bytes {}, so the lines there are not counted and \
             the lines after the first gap are located as {}:?; merge the partials of \
             every range of the file",
            input.path,
            missing.join(", "),
            input.path
        )
    });
    (Layout { base, unknown }, starts, dropped, gap)
}

/// What a report says of a merged input.
fn summary(input: &PartialInput) -> InputSummary {
    InputSummary {
        name: input.path.clone(),
        format: input.format.clone(),
        latency_source: input.latency_source.clone(),
        detection: None,
        envelope: crate::format::envelope::Envelope::ALL
            .into_iter()
            .map(crate::format::envelope::Envelope::name)
            .find(|&name| input.envelope.as_deref() == Some(name)),
        compression: match input.compression.as_deref() {
            Some("gzip") => Some("gzip"),
            Some("zstd") => Some("zstd"),
            _ => None,
        },
        bytes: input.parts.iter().map(|p| p.bytes).sum(),
        lines: input.parts.iter().map(|p| p.lines).sum(),
        malformed: input.parts.iter().map(|p| p.malformed).sum(),
        error: input.error.clone(),
        resumed: input.resumed.map(|r| (r.lines, r.bytes)),
    }
}

impl Merged {
    /// The analysis a report is built from, and the errors of its inputs, to say
    /// on stderr. With `gaps_are_errors`, an input with bytes no range read gets an
    /// error naming them (the report is then incomplete).
    pub fn report_analysis(mut self, gaps_are_errors: bool) -> (Analysis, Vec<String>) {
        let mut errors = Vec::new();
        for input in &mut self.analysis.inputs {
            let too_many = input.malformed as f64 > self.max_malformed * input.lines as f64;
            if input.error.is_none() && input.lines > 0 && too_many {
                input.error = Some(format!(
                    "{}: {} of {} lines ({:.1}%) are malformed when read as {}; its counts \
                     are not to be trusted: name the right format with --preset, \
                     --log-format or --apache-format, or, if the log is known to be this \
                     dirty, allow it with --max-malformed (now {})",
                    input.name,
                    input.malformed,
                    input.lines,
                    100.0 * input.malformed as f64 / input.lines as f64,
                    input.format.as_deref().unwrap_or("?"),
                    self.max_malformed
                ));
            }
        }
        for (m, gap) in self.gaps.into_iter().enumerate() {
            let Some(gap) = gap.filter(|_| gaps_are_errors) else {
                continue;
            };
            let input = &mut self.analysis.inputs[m];
            input.error = Some(match input.error.take() {
                Some(e) => format!("{e}; {gap}"),
                None => gap.clone(),
            });
            errors.push(gap);
        }
        errors.extend(
            (self.analysis.inputs.iter())
                .filter_map(|i| i.error.as_ref())
                .filter(|e| !errors.contains(e))
                .cloned()
                .collect::<Vec<_>>(),
        );
        (self.analysis, errors)
    }

    /// The merged partial (`merge -o partial`): the same as merging the partials
    /// it was made from wherever it is merged in.
    pub fn to_partial(&self, catalog: &Catalog) -> Partial {
        let at = |l: Location| {
            let m = l.input as usize;
            let layout = &self.layouts[m];
            if l.chunk >= layout.unknown {
                let last = layout.base.len().saturating_sub(1) as u32;
                return At(l.input, last, None);
            }
            let k = layout
                .base
                .partition_point(|&b| b <= l.chunk)
                .saturating_sub(1);
            let line = u64::from(l.chunk - layout.base[k]) * CHUNK_LINES + u64::from(l.line);
            At(l.input, k as u32, Some(line))
        };
        Partial {
            schema: partial::SCHEMA.to_string(),
            version: partial::VERSION,
            settings: self.settings.clone(),
            inputs: self.inputs.clone(),
            tally: partial::tally_record(&self.analysis.tally, catalog, &at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranged(parts: &[([u64; 2], u64)], size: Option<u64>) -> PartialInput {
        PartialInput {
            path: "f.log".into(),
            format: None,
            latency_source: None,
            compression: None,
            envelope: None,
            error: None,
            resumed: None,
            size,
            parts: parts
                .iter()
                .map(|&(range, lines)| Part {
                    range: Some(range),
                    bytes: range[1] - range[0],
                    lines,
                    malformed: 0,
                })
                .collect(),
        }
    }

    /// Ranges that tile a file number their lines on from each other; a gap makes
    /// the lines after it unknown and is named, and so is a missing end.
    #[test]
    fn ranges_number_on_and_gaps_are_named() {
        let (layout, starts, dropped, gap) =
            number(&ranged(&[([0, 10], 2), ([10, 30], 3)], Some(30)));
        assert_eq!((layout.base, layout.unknown), (vec![1, 2], 3));
        assert_eq!(starts, [0, 0, 2, 0]);
        assert_eq!((dropped, gap), (None, None));

        let (layout, starts, dropped, gap) =
            number(&ranged(&[([0, 10], 2), ([20, 30], 3)], Some(40)));
        assert_eq!(starts, [0, 0, 2, 0]);
        // Lines of the second part (chunk 2) on are unknown: after chunk 1.
        assert_eq!(dropped, Some(layout.base[1] - 1));
        let gap = gap.unwrap();
        assert!(gap.contains("10..20, 30..40"), "{gap}");

        let (_, _, dropped, gap) = number(&ranged(&[([5, 10], 2)], None));
        assert_eq!(dropped, Some(0));
        assert!(gap.unwrap().contains("0..5"));
    }

    /// Settings that differ are named with both values.
    #[test]
    fn differences_name_both_values() {
        let a: Settings = [("max-names".to_string(), "4".to_string())].into();
        let mut b = a.clone();
        b.insert("max-names".into(), "9".into());
        b.insert("since-ms".into(), "1".into());
        assert_eq!(
            differences(&a, &b),
            [
                "max-names 9 there, 4 here",
                "since-ms 1 there, (missing) here"
            ]
        );
    }
}
