//! `--format auto`: choose the format of an input from the first lines.
//!
//! Every candidate (each preset of [`presets::PRESETS`], and generic JSON lines)
//! parses the sample, and is scored on three counts, compared in this order:
//!
//! 1. lines it parses;
//! 2. how specifically it fits them: a text format scores 2 for a line that matches
//!    its whole format, 1 for a line with extra fields after the end of the format,
//!    0 for a line that ends early (parsers accept both, so parsing alone cannot tell
//!    `combined` from `gateway` or `common`) or that puts text that is no duration
//!    or time where the format reads one (`aws-alb`'s fields laid over a `gateway`
//!    line with one more field match it whole, by count, and would read its path
//!    as the latency and lose its error name); a JSON preset scores 2 for a line
//!    holding one of its gateway's marker keys (`latencies` for Kong, ...); generic
//!    JSON lines and logfmt score 1;
//! 3. fields the parsed lines yield (name, path, latency, time);
//! 4. for text formats, the variables matched (of two formats that both leave
//!    extra fields, the one covering more of the line).
//!
//! Before all of these, a candidate must not invent error names: one that reads, on
//! more than half of the lines it parses, a name that does not look like an error
//! name ([`plausible_name`]: `test@docker`, `Host-host-1`, `web`, a URL) ranks below
//! every candidate that does not. Such a field is something else (Traefik's router
//! name, where the `gateway` preset expects `$upstream_http_x_error_code`), and
//! reading it as a name would make every line an `undocumented` finding.
//!
//! The best candidate is chosen when it parses at least a third of the sample lines
//! (a log with many bad lines still gets its format, and the bad lines are reported
//! as malformed). Otherwise errscope does not guess: the input gets an error naming
//! the nearest candidates and their scores.
//!
//! Only the first two counts (and plausible names) are evidence from the sample:
//! the fields a candidate yields and the variables it matches say how much it would
//! read, not that it reads right. So the candidates that equal the best on lines
//! parsed, fit and plausibility ([`Score::evidence`]) are its rivals, and each
//! parses the sample again. When a rival reads a line differently (parses a line
//! the best does not or the other way round, or reads a status, error name, path,
//! latency or time that the best reads otherwise or not at all), their reports
//! would differ and the sample cannot settle which is right: errscope refuses,
//! naming each candidate and the `--preset` that picks it ([`disagree`]). A rival
//! that reads less and the same where it reads (`envoy-json` on Envoy Gateway's
//! lines, whose path key it does not know) or exactly the same (`common` beside
//! `combined` on nginx's `main` lines) is no disagreement: the best by the whole
//! score (then the candidates' order) is chosen, the same every time.

use std::fmt;
use std::sync::{Arc, Mutex};

use super::nginx::starts_with_short;
use super::{json, presets, FieldOverride, LogFormat, Malformed, DETECT_SAMPLE_LINES};
use crate::error::{Error, Result};

/// What auto-detection chose for one input, for the one line errscope prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The chosen candidate: a preset name (what `--preset` takes) or `json`.
    pub chosen: String,
    /// Sample lines the chosen format parsed.
    pub matched: usize,
    /// Non-empty lines in the sample.
    pub sampled: usize,
    /// Sample lines with fields after the end of the chosen text format, which it
    /// does not read (said when they are most of the lines parsed).
    pub unread_trailing: usize,
    /// The envelope the sample lines were taken out of (`cri`, ...), if any.
    pub envelope: Option<&'static str>,
}

impl Detection {
    /// Whether most lines the chosen format parsed end with fields it does not read.
    pub fn leaves_fields_unread(&self) -> bool {
        self.unread_trailing * 2 > self.matched
    }
}

impl fmt::Display for Detection {
    /// `format kong (50 of 50 sample lines)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sampled == 0 {
            write!(
                f,
                "format {} (no lines to detect a format from)",
                self.chosen
            )
        } else {
            write!(f, "format {}", self.chosen)?;
            if let Some(e) = self.envelope {
                write!(f, " in a {e} envelope")?;
            }
            write!(f, " ({} of {} sample lines", self.matched, self.sampled)?;
            if self.leaves_fields_unread() {
                write!(
                    f,
                    "; {} of them end with fields it does not read",
                    self.unread_trailing
                )?;
            }
            f.write_str(")")
        }
    }
}

/// The preset used when the sample holds no line at all.
const EMPTY_DEFAULT: &str = "gateway";

struct Candidate {
    name: &'static str,
    format: LogFormat,
    fit: Fit,
}

/// How a candidate judges a line beyond parsing it.
enum Fit {
    Text(Skeleton),
    Markers(&'static [&'static str]),
    Generic,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    // Field order is the ranking order (derived `Ord`).
    /// Whether the names it reads look like error names on at least half of the
    /// lines that have one (see the module doc).
    plausible: bool,
    parsed: usize,
    specific: usize,
    fields: usize,
    /// Text formats: variables matched, so that of two formats both followed by
    /// extra fields the one covering more of the line wins.
    covered: usize,
}

impl Score {
    /// What the sample shows of a candidate, beyond how much it would read: equal
    /// evidence makes two candidates rivals (see the module doc).
    fn evidence(&self) -> (bool, usize, usize) {
        (self.plausible, self.parsed, self.specific)
    }
}

/// Choose the format for `sample` (the start of an input).
pub fn detect(fields: &[FieldOverride], sample: &[u8]) -> Result<(LogFormat, Detection)> {
    detect_in(fields, sample, false)
}

/// [`detect`] for lines taken out of an envelope (`enveloped`) or not. Lines that
/// the best candidate finds are no access records
/// ([`envelope::not_access`](super::envelope::not_access)) do not count against it.
pub fn detect_in(
    fields: &[FieldOverride],
    sample: &[u8],
    enveloped: bool,
) -> Result<(LogFormat, Detection)> {
    detect_pruning(fields, sample, enveloped, true)
}

/// [`detect_in`] with every candidate scored on the whole sample: the reference
/// that dropping candidates early (see [`scores`]) must agree with, outcome for
/// outcome (the unit test `dropped_candidates_change_nothing` and the
/// `preset_lines` fuzz target check it).
pub fn detect_unpruned(
    fields: &[FieldOverride],
    sample: &[u8],
    enveloped: bool,
) -> Result<(LogFormat, Detection)> {
    detect_pruning(fields, sample, enveloped, false)
}

/// [`detect_in`], dropping the candidates that cannot matter early (`prune`, see
/// [`scores`]) or scoring every one whole ([`detect_unpruned`]).
fn detect_pruning(
    fields: &[FieldOverride],
    sample: &[u8],
    enveloped: bool,
    prune: bool,
) -> Result<(LogFormat, Detection)> {
    let lines = sample_lines(sample);
    let candidates = compiled(fields)?;
    if lines.is_empty() {
        let c = candidates
            .iter()
            .find(|c| c.name == EMPTY_DEFAULT)
            .unwrap_or(&candidates[0]);
        let detection = Detection {
            chosen: c.name.to_string(),
            matched: 0,
            sampled: 0,
            unread_trailing: 0,
            envelope: None,
        };
        return Ok((c.format.clone(), detection));
    }
    let mut masks = Vec::with_capacity(candidates.len());
    let mut scored: Vec<(Score, &Candidate)> = scores(&candidates, &lines, prune)
        .into_iter()
        .map(|(score, c, parsed_lines)| {
            masks.push((c.name, parsed_lines));
            (score, c)
        })
        .collect();
    // Stable: equal scores keep the candidates' order.
    scored.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    let sampled = lines.len();
    let best = scored[0].0;
    // Another format that reads a third of the lines the best one cannot: the file
    // mixes formats, and no single choice would be right.
    let best_lines = masks
        .iter()
        .find(|m| m.0 == scored[0].1.name)
        .map_or(0, |m| m.1);
    let mixed = masks
        .iter()
        .any(|(_, other)| (other & !best_lines).count_ones() as usize * 3 >= sampled);
    // Runtime messages among access records, and records with no response (whose
    // status `-` any format may stumble on, so they prove nothing), are not
    // counted against a format.
    let best_format = &scored[0].1.format;
    let others = lines
        .iter()
        .filter(|l| match best_format.parse(l) {
            Err(Malformed::NoResponse) => true,
            Err(reason) => super::envelope::not_access(best_format, l, reason, enveloped),
            Ok(_) => false,
        })
        .count();
    if best.parsed * 3 < sampled - others || best.parsed == 0 || mixed || !best.plausible {
        return Err(cannot_tell(&scored, sampled, mixed));
    }
    let rivals: Vec<(&Candidate, Difference)> = scored[1..]
        .iter()
        .take_while(|(s, _)| s.evidence() == best.evidence())
        .filter_map(|&(_, c)| Some((c, difference(scored[0].1, c, &lines)?)))
        .collect();
    if !rivals.is_empty() {
        return Err(disagree(scored[0].1, &rivals, sampled));
    }
    let (_, chosen) = scored.into_iter().next().expect("at least one candidate");
    let trailing = match &chosen.fit {
        Fit::Text(sk) => lines
            .iter()
            .filter(|l| chosen.format.parse(l).is_ok())
            .filter_map(|l| sk.trailing(l))
            .collect(),
        _ => Vec::new(),
    };
    if trailing.len() * 2 > best.parsed {
        if let Some(name) = trailing.iter().find_map(|t| name_like_field(t)) {
            return Err(dropped_names(chosen.name, &trailing, name, sampled));
        }
    }
    let detection = Detection {
        chosen: chosen.name.to_string(),
        matched: best.parsed,
        sampled,
        unread_trailing: trailing.len(),
        envelope: None,
    };
    Ok((chosen.format.clone(), detection))
}

/// A field among `trailing` (what follows a format on a line) that looks like an
/// error name: an UPPER_SNAKE word such as `INVALID_API_KEY`, quoted or not.
/// Router names, hosts and addresses (`test@docker`, `Host-host-1`, `10.0.0.1`)
/// do not.
fn name_like_field(trailing: &[u8]) -> Option<&[u8]> {
    trailing
        .split(|c| c.is_ascii_whitespace())
        .map(|f| f.trim_ascii_start().strip_prefix(b"\"").unwrap_or(f))
        .map(|f| f.strip_suffix(b"\"").unwrap_or(f))
        .find(|f| {
            f.first().is_some_and(u8::is_ascii_uppercase)
                && f.contains(&b'_')
                && !f.ends_with(b"_")
                && f.iter()
                    .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
        })
}

/// The error for a log whose best format leaves off fields that look like error
/// names: reading it so would report every named error as nameless, silently. It
/// names the flags that describe the whole line, with a format to start from.
fn dropped_names(chosen: &str, trailing: &[&[u8]], name: &[u8], sampled: usize) -> Error {
    // The line whose trailing fields hold the name shows what they are.
    let example = trailing
        .iter()
        .find(|t| name_like_field(t) == Some(name))
        .copied()
        .unwrap_or_default();
    let apache = match chosen {
        "common" => Some(r#"%h %l %u %t "%r" %>s %b"#),
        "combined" => Some(r#"%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i""#),
        _ => None,
    };
    let extra: Vec<&str> = example
        .split(|c| c.is_ascii_whitespace())
        .filter(|f| !f.is_empty())
        .map(|f| {
            let quoted = f.starts_with(b"\"");
            let name_like = name_like_field(f).is_some();
            let number = f.iter().all(|c| c.is_ascii_digit() || *c == b'.');
            match (apache.is_some(), quoted, name_like, number) {
                (true, _, true, _) => r#""%{X-Error-Code}o""#,
                (true, _, _, true) => "%D",
                (false, _, true, _) => r#""$upstream_http_x_error_code""#,
                (false, _, _, true) => "$request_time",
                (_, true, _, _) => r#""…""#,
                _ => "…",
            }
        })
        .collect();
    let flag = match apache {
        Some(base) => format!("--apache-format '{base} {}'", extra.join(" ")),
        None => {
            let base = presets::find(chosen)
                .and_then(|p| p.text_format())
                .unwrap_or_default();
            format!("--log-format '{base} {}'", extra.join(" "))
        }
    };
    Error::Usage(format!(
        "the closest format, {chosen}, leaves fields unread at the end of most of the \
         first {sampled} lines, and they hold what looks like an error name ({:?}): read \
         so, every named error would count as one without a name. Describe the whole \
         line instead, e.g. {flag} (adjust it to the gateway's format)",
        String::from_utf8_lossy(name)
    ))
}

/// How two candidates read a sample differently: the fields they differ on, and
/// the first line where they do with each one's reading of it.
#[derive(Debug)]
struct Difference {
    fields: Vec<&'static str>,
    first: (String, String),
}

/// What one candidate reads from a line, as far as the report depends on it.
#[derive(Debug, PartialEq)]
struct Reading<'a> {
    status: u16,
    name: Option<&'a [u8]>,
    path: Option<&'a [u8]>,
    latency_us: Option<u64>,
    time_ms: Option<i64>,
}

impl Reading<'_> {
    fn describe(reading: &Option<Reading<'_>>) -> String {
        let Some(r) = reading else {
            return "nothing (the line does not parse)".to_string();
        };
        let text = |v: Option<&[u8]>| {
            v.map_or("none".to_string(), |v| {
                format!("{:?}", String::from_utf8_lossy(v))
            })
        };
        let opt = |v: Option<String>| v.unwrap_or_else(|| "none".to_string());
        format!(
            "status {}, error name {}, path {}, latency {}, time {}",
            r.status,
            text(r.name),
            text(r.path),
            opt(r.latency_us.map(|us| format!("{us} µs"))),
            opt(r.time_ms.map(|ms| format!("{ms} ms"))),
        )
    }
}

/// Whether `rival` reads any of `lines` differently from `best`, and how: parses
/// a line `best` does not (or the other way round), or reads a field `best` reads
/// otherwise or not at all. A rival that reads less than `best` and the same where
/// it reads (JSON keys it does not know) does not differ: `best` reads all it does.
fn difference(best: &Candidate, rival: &Candidate, lines: &[&[u8]]) -> Option<Difference> {
    let read = |c: &Candidate, line| {
        c.format.parse(line).ok().map(|f| Reading {
            status: f.status,
            name: f.name,
            path: f.path,
            latency_us: f.latency_us,
            time_ms: f.time_ms,
        })
    };
    // The rival's value is read by `best` the same.
    fn covers<T: PartialEq>(best: &Option<T>, rival: &Option<T>) -> bool {
        rival.is_none() || best == rival
    }
    let mut fields = Vec::new();
    let mut first = None;
    for line in lines {
        let (a, b) = (read(best, line), read(rival, line));
        let differs: Vec<&'static str> = match (&a, &b) {
            (Some(a), Some(b)) => [
                ("the status", a.status == b.status),
                ("the error name", covers(&a.name, &b.name)),
                ("the path", covers(&a.path, &b.path)),
                ("the latency", covers(&a.latency_us, &b.latency_us)),
                ("the time", covers(&a.time_ms, &b.time_ms)),
            ]
            .into_iter()
            .filter(|(_, same)| !same)
            .map(|(field, _)| field)
            .collect(),
            (None, None) => Vec::new(),
            _ => vec!["which lines are records"],
        };
        if differs.is_empty() {
            continue;
        }
        first.get_or_insert_with(|| (Reading::describe(&a), Reading::describe(&b)));
        for field in differs {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
    }
    Some(Difference {
        fields,
        first: first?,
    })
}

/// The flag that picks a candidate: `--preset NAME`, or `--format json`.
fn flag_for(name: &str) -> String {
    if name == "json" {
        "--format json".to_string()
    } else {
        format!("--preset {name}")
    }
}

/// The error for a sample that the best candidate and its `rivals` fit equally well
/// but read differently: their reports would differ, and nothing in the sample
/// says which is right. It names every candidate and the flag that picks it.
fn disagree(best: &Candidate, rivals: &[(&Candidate, Difference)], sampled: usize) -> Error {
    let mut names = vec![best.name];
    names.extend(rivals.iter().map(|(c, _)| c.name));
    let how: Vec<String> = rivals
        .iter()
        .map(|(c, d)| {
            format!(
                "{} and {} read {} differently (first: {} reads {}; {} reads {})",
                best.name,
                c.name,
                d.fields.join(", "),
                best.name,
                d.first.0,
                c.name,
                d.first.1
            )
        })
        .collect();
    let flags: Vec<String> = names.iter().map(|n| flag_for(n)).collect();
    Error::Usage(format!(
        "cannot tell the log format from the first {sampled} lines: {} fit them equally \
         well but would report them differently: {}. Pick the gateway's format with {} \
         (see `errscope presets`), or describe it with --log-format or --apache-format",
        names.join(", "),
        how.join("; "),
        flags.join(" or ")
    ))
}

fn cannot_tell(scored: &[(Score, &Candidate)], sampled: usize, mixed: bool) -> Error {
    let nearest: Vec<String> = scored
        .iter()
        .filter(|(s, _)| s.parsed > 0)
        .take(3)
        .map(|(s, c)| format!("{} ({} of {sampled})", c.name, s.parsed))
        .collect();
    let why = if nearest.is_empty() {
        "no known format parses any of them".to_string()
    } else if !scored[0].0.plausible {
        format!(
            "the formats that read them take a field for an error name that holds \
             no error name on most lines (a router or host name?); nearest: {}",
            nearest.join(", ")
        )
    } else if mixed {
        format!("they mix formats; nearest: {}", nearest.join(", "))
    } else {
        format!(
            "no format parses a third of them; nearest: {}",
            nearest.join(", ")
        )
    };
    Error::Usage(format!(
        "cannot tell the log format from the first {}: {why}. Name it with \
         --preset NAME (see `errscope presets`), --format json, --log-format or --apache-format",
        if sampled == 1 {
            "line".to_string()
        } else {
            format!("{sampled} lines")
        }
    ))
}

/// The sample's non-empty lines, at most [`DETECT_SAMPLE_LINES`]. A last line
/// without its newline may have been cut by the sample's size; it is left out when
/// complete lines precede it.
pub(crate) fn sample_lines(sample: &[u8]) -> Vec<&[u8]> {
    fn kept(line: &[u8]) -> Option<&[u8]> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        (!line.trim_ascii().is_empty()).then_some(line)
    }
    let mut lines = Vec::with_capacity(DETECT_SAMPLE_LINES);
    let mut start = 0;
    // Only as far as the lines needed: a sample can be 64 KiB.
    for end in memchr::memchr_iter(b'\n', sample) {
        lines.extend(kept(&sample[start..end]));
        start = end + 1;
        if lines.len() == DETECT_SAMPLE_LINES {
            return lines;
        }
    }
    // What follows the last newline is cut short, unless it is all there is.
    if lines.is_empty() {
        lines.extend(kept(&sample[start..]));
    }
    lines
}

/// The candidates compiled for the last `--field`s asked for: a run's inputs all
/// take the same, and compiling every preset costs more than scoring a sample (a
/// run over thousands of small files detects each one).
static COMPILED: Mutex<Option<Compiled>> = Mutex::new(None);

/// The `--field`s, and the candidates compiled with them.
type Compiled = (Vec<FieldOverride>, Arc<[Candidate]>);

/// [`candidates`] for `fields`, compiled once per distinct `fields`.
fn compiled(fields: &[FieldOverride]) -> Result<Arc<[Candidate]>> {
    let mut cache = COMPILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((key, compiled)) = cache.as_ref() {
        if key == fields {
            return Ok(Arc::clone(compiled));
        }
    }
    let compiled: Arc<[Candidate]> = candidates(fields)?.into();
    *cache = Some((fields.to_vec(), Arc::clone(&compiled)));
    Ok(compiled)
}

/// Every preset that compiles with the user's `--field`s, and generic JSON lines.
fn candidates(fields: &[FieldOverride]) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    let mut first_error = None;
    for p in presets::PRESETS {
        // A `--field` naming an nginx variable does not fit a JSON preset and the
        // other way round: such a candidate is left out, not an error.
        let format = match p.build(fields) {
            Ok(f) => f,
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        let fit = match p.family() {
            presets::Family::Text => Fit::Text(Skeleton::new(
                &p.text_format().expect("a text preset has a format"),
            )),
            presets::Family::Json => Fit::Markers(p.markers()),
            presets::Family::Logfmt | presets::Family::OwnText => Fit::Generic,
        };
        out.push(Candidate {
            name: p.name,
            format,
            fit,
        });
    }
    match json::JsonFormat::new(fields) {
        Ok(f) => out.push(Candidate {
            name: "json",
            format: LogFormat::Json(f),
            fit: Fit::Generic,
        }),
        Err(e) => {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        // No candidate takes the user's `--field`s: say why the first one did not.
        Some(e) if out.is_empty() => Err(e),
        _ => Ok(out),
    }
}

/// The candidates' scores on the sample, with the lines each parsed (bit i: line
/// i), in the candidates' order.
///
/// With `prune`, a candidate that can no longer reach the evidence
/// ([`Score::evidence`]) of a reference is dropped as soon as that shows, without
/// reading the rest of the sample. The reference is the candidate that does best
/// on the first line any candidate parses; it sets the bar when its names are
/// plausible and it parses more than two thirds of the sample. A dropped candidate
/// can then be neither chosen nor a rival, and the best (at least as good) parses
/// so much that no other format can make the log look mixed and no error has to
/// name the nearest candidates: so the outcome is the one every candidate's whole
/// score gives, at a fraction of the cost when the first line already tells
/// (thousands of small files in one format).
fn scores<'c>(
    candidates: &'c [Candidate],
    lines: &[&[u8]],
    prune: bool,
) -> Vec<(Score, &'c Candidate, u64)> {
    let n = lines.len();
    let mut tallies: Vec<Tally> = candidates.iter().map(|_| Tally::default()).collect();
    // Lines every candidate has scored.
    let mut next = 0;
    while next < n && tallies.iter().all(|t| t.score.parsed == 0) {
        for (t, c) in tallies.iter_mut().zip(candidates) {
            t.add(c, lines, next);
        }
        next += 1;
    }
    // The first of equals: which one it is changes the cost, not the result.
    let reference = (0..candidates.len()).rev().max_by_key(|&i| {
        let s = tallies[i].score;
        (s.parsed, s.specific)
    });
    let mut bar = None;
    if let Some(r) = reference {
        for i in next..n {
            tallies[r].add(&candidates[r], lines, i);
        }
        let s = tallies[r].finish();
        if prune && s.plausible && (n - s.parsed) * 3 < n {
            bar = Some(s.evidence());
        }
    }
    let below =
        |t: &Tally, c: &Candidate, left: usize| bar.is_some_and(|bar| t.ceiling(c, left) < bar);
    let mut out = Vec::with_capacity(candidates.len());
    for (i, (mut t, c)) in tallies.into_iter().zip(candidates).enumerate() {
        if Some(i) != reference {
            let dropped = (next..n).any(|at| {
                if below(&t, c, n - at) {
                    return true;
                }
                t.add(c, lines, at);
                false
            });
            if dropped || below(&t, c, 0) {
                continue;
            }
        }
        out.push((t.finish(), c, t.parsed_lines));
    }
    out
}

/// One candidate's score so far, line by line.
#[derive(Default)]
struct Tally {
    score: Score,
    /// Bit i: line i parsed.
    parsed_lines: u64,
    /// Lines whose error name does not look like one.
    odd_names: usize,
}

impl Tally {
    /// Score line `i` of the sample.
    fn add(&mut self, c: &Candidate, lines: &[&[u8]], i: usize) {
        let line = lines[i];
        let Ok((f, misreads)) = c.format.parse_checking(line) else {
            return;
        };
        let s = &mut self.score;
        self.parsed_lines |= 1 << i;
        s.parsed += 1;
        self.odd_names += usize::from(f.name.is_some_and(|n| !plausible_name(n)));
        s.fields += usize::from(f.name.is_some())
            + usize::from(f.path.is_some())
            + usize::from(f.latency_us.is_some())
            + usize::from(f.time_ms.is_some());
        s.specific += match &c.fit {
            Fit::Text(sk) => {
                let (level, covered) = sk.fit(line);
                s.covered += covered;
                if misreads {
                    0
                } else {
                    level
                }
            }
            Fit::Markers(keys) => {
                if keys.iter().any(|k| has_key(line, k)) {
                    2
                } else {
                    0
                }
            }
            Fit::Generic => 1,
        };
    }

    /// The best evidence the candidate could still show with `left` lines to
    /// score: each parsed, at its fit's highest level, with plausible names.
    fn ceiling(&self, c: &Candidate, left: usize) -> (bool, usize, usize) {
        let top = match c.fit {
            Fit::Text(_) | Fit::Markers(_) => 2,
            Fit::Generic => 1,
        };
        (
            true,
            self.score.parsed + left,
            self.score.specific + top * left,
        )
    }

    /// The score of the lines added.
    fn finish(&self) -> Score {
        Score {
            plausible: self.odd_names * 2 <= self.score.parsed,
            ..self.score
        }
    }
}

/// Whether a value read as an error name looks like one: a letter, then letters,
/// digits, `_` and `.` only, and either an underscore or no lower-case letter
/// (`INVALID_API_KEY`, `invalid_api_key`, `UNAUTHORIZED`). Router and service
/// names, hosts, URLs and words do not (`test@docker`, `Host-host-1`, `testRouter`,
/// `web`, `http://10.0.0.1`).
pub(crate) fn plausible_name(v: &[u8]) -> bool {
    v.first().is_some_and(u8::is_ascii_alphabetic)
        && v.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        && (v.contains(&b'_') || !v.iter().any(u8::is_ascii_lowercase))
}

/// Whether `"key"` occurs in the line.
fn has_key(line: &[u8], key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    memchr::memmem::find(line, quoted.as_bytes()).is_some()
}

/// The literal text of an nginx-style format, to see how much of a line it covers.
#[derive(Debug)]
struct Skeleton {
    prefix: Vec<u8>,
    /// For each variable: the literal after it (empty after the last one), and
    /// whether its value is quoted (so `\"` inside does not end it).
    vars: Vec<(Vec<u8>, bool)>,
}

impl Skeleton {
    fn new(format: &str) -> Skeleton {
        let b = format.as_bytes();
        let mut literal = Vec::new();
        let mut prefix = None;
        let mut vars: Vec<(Vec<u8>, bool)> = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let name_len = |from: usize| {
                b[from..]
                    .iter()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || **c == b'_')
                    .count()
            };
            let var_end = match (b[i], b.get(i + 1)) {
                (b'$', Some(b'{')) => {
                    let n = name_len(i + 2);
                    (n > 0 && b.get(i + 2 + n) == Some(&b'}')).then_some(i + 3 + n)
                }
                (b'$', Some(_)) => {
                    let n = name_len(i + 1);
                    (n > 0).then_some(i + 1 + n)
                }
                _ => None,
            };
            let Some(end) = var_end else {
                literal.push(b[i]);
                i += 1;
                continue;
            };
            let text = std::mem::take(&mut literal);
            match vars.last_mut() {
                None => prefix = Some(text),
                Some(last) => last.0 = text,
            }
            let quoted = match vars.last() {
                Some((before, _)) => before.ends_with(b"\""),
                None => prefix.as_ref().is_some_and(|p| p.ends_with(b"\"")),
            };
            vars.push((Vec::new(), quoted));
            i = end;
        }
        if let Some(last) = vars.last_mut() {
            if !literal.trim_ascii().is_empty() {
                last.0 = literal;
            }
        }
        Skeleton {
            prefix: prefix.unwrap_or_default(),
            vars,
        }
    }

    /// How well the line fits, and the variables matched. 2: the line matches the
    /// whole format; 1: it has more after the end of the format; 0: it ends early
    /// or does not match.
    fn fit(&self, line: &[u8]) -> (usize, usize) {
        let (level, covered, _) = self.walk(line);
        (level, covered)
    }

    /// What follows the end of the format on a line that has more (level 1).
    fn trailing<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        let (level, _, rest) = self.walk(line);
        (level == 1).then(|| rest.trim_ascii())
    }

    /// [`Skeleton::fit`], and the rest of the line after the format.
    fn walk<'a>(&self, line: &'a [u8]) -> (usize, usize, &'a [u8]) {
        if !starts_with_short(line, &self.prefix) {
            return (0, 0, &[]);
        }
        let mut rest = &line[self.prefix.len()..];
        for (i, (end, quoted)) in self.vars.iter().enumerate() {
            let quoted = *quoted && end.starts_with(b"\"");
            if end.is_empty() {
                let stop = memchr::memchr(b' ', rest).unwrap_or(rest.len());
                rest = &rest[stop..];
                continue;
            }
            match find_end(rest, end, quoted) {
                Some(after) => rest = &rest[after..],
                None => return (0, i, &[]),
            }
        }
        let level = if rest.trim_ascii().is_empty() { 2 } else { 1 };
        (level, self.vars.len(), rest)
    }
}

/// The index just past the first occurrence of `literal` in `rest` that is not an
/// escaped quote (for quoted values). Literals are a few bytes (`" "`, `] "`):
/// their first byte is searched, and the rest compared where it is found.
fn find_end(rest: &[u8], literal: &[u8], quoted: bool) -> Option<usize> {
    let (&first, tail) = literal.split_first()?;
    memchr::memchr_iter(first, rest)
        .find(|&at| {
            starts_with_short(&rest[at + 1..], tail)
                && !(quoted
                    && rest[..at].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1)
        })
        .map(|at| at + literal.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One candidate's whole score, and the lines it parsed.
    fn score(c: &Candidate, lines: &[&[u8]]) -> (Score, u64) {
        let mut t = Tally::default();
        for i in 0..lines.len() {
            t.add(c, lines, i);
        }
        (t.finish(), t.parsed_lines)
    }

    fn detect_lines(lines: &[&str]) -> Result<(LogFormat, Detection)> {
        let sample = lines.join("\n") + "\n";
        detect(&[], sample.as_bytes())
    }

    fn chosen(lines: &[&str]) -> String {
        match detect_lines(lines) {
            Ok((_, d)) => d.chosen,
            Err(e) => panic!("{e}"),
        }
    }

    /// Dropping candidates that cannot reach the bar gives the scores of the
    /// candidates kept, and the choice or refusal, that scoring every candidate
    /// whole gives: on samples of the presets' examples, alone, mixed with a
    /// gateway line or a cut line, in pairs, and a gateway log with a request id.
    #[test]
    fn dropped_candidates_change_nothing() {
        let examples: Vec<&str> = presets::PRESETS.iter().map(|p| p.example).collect();
        let gateway = presets::find("gateway").unwrap().example;
        let with_id = format!("{gateway} \"req-1\"");
        let mut samples: Vec<Vec<&str>> = examples.iter().map(|e| vec![*e; 5]).collect();
        samples.extend(examples.iter().map(|e| vec![*e, gateway, *e, *e]));
        samples.extend(examples.iter().map(|e| vec![*e, &e[..e.len() / 2], *e]));
        samples.extend(examples.windows(2).map(|w| vec![w[0], w[1]]));
        samples.push(vec![gateway; 50]);
        samples.push(vec![&with_id; 7]);
        // Lines no candidate parses, first and among the rest: the bar holds
        // while the reference parses more than two thirds.
        for bad in 1..5 {
            let mut sample = vec!["garbage"; bad];
            sample.extend([gateway; 7]);
            samples.push(sample.clone());
            sample.rotate_left(3);
            samples.push(sample);
        }
        let mut pruned = 0;
        for sample in samples {
            let lines: Vec<&[u8]> = sample.iter().map(|l| l.as_bytes()).collect();
            let all = candidates(&[]).unwrap();
            let whole = scores(&all, &lines, false);
            let kept = scores(&all, &lines, true);
            assert_eq!(whole.len(), all.len());
            pruned += whole.len() - kept.len();
            for (s, c, mask) in &kept {
                let w = whole.iter().find(|w| w.1.name == c.name).unwrap();
                assert_eq!((*s, *mask), (w.0, w.2), "{} on {sample:?}", c.name);
            }
            let text = sample.join("\n") + "\n";
            let outcome = |result: Result<(LogFormat, Detection)>| match result {
                Ok((f, d)) => Ok((f.name(), d)),
                Err(e) => Err(e.to_string()),
            };
            assert_eq!(
                outcome(detect_in(&[], text.as_bytes(), false)),
                outcome(detect_unpruned(&[], text.as_bytes(), false)),
                "{sample:?}"
            );
        }
        // The samples did let it drop candidates.
        assert!(pruned > 100, "{pruned}");
    }

    #[test]
    fn every_preset_is_recognized_from_its_example() {
        for p in presets::PRESETS {
            assert_eq!(chosen(&[p.example]), p.name, "{}", p.example);
            assert_eq!(chosen(&[p.example, p.example, p.example]), p.name);
        }
    }

    #[test]
    fn skeleton_fits() {
        let sk = Skeleton::new(r#"$a [$b] "$c" $d"#);
        assert_eq!(sk.prefix, b"");
        assert_eq!(sk.fit(br#"1 [2] "x \" y" 4"#), (2, 4));
        assert_eq!(sk.fit(br#"1 [2] "x" 4 extra"#), (1, 4));
        assert_eq!(sk.fit(br#"1 [2] "x"#), (0, 2));
        assert_eq!(sk.fit(b"nothing"), (0, 0));
        let sk = Skeleton::new(r#"[${start}] "$x""#);
        assert_eq!(sk.prefix, b"[");
        assert_eq!(sk.fit(br#"[t] "v""#), (2, 2));
        assert_eq!(sk.fit(br#"{"k":1}"#), (0, 0));
    }

    #[test]
    fn text_formats_of_one_family_are_told_apart() {
        let common = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326"#;
        let combined =
            r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2326 "-" "curl/8""#;
        let gateway = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 403 2 "-" "curl/8" 0.1 "INVALID_API_KEY""#;
        // nginx's default `main`: combined + "$http_x_forwarded_for".
        let main = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2 "-" "curl/8" "10.0.0.1""#;
        assert_eq!(chosen(&[common]), "common");
        assert_eq!(chosen(&[combined]), "combined");
        assert_eq!(chosen(&[gateway]), "gateway");
        assert_eq!(chosen(&[main, main]), "combined");
        // A cut line among good ones does not change the choice.
        assert_eq!(chosen(&[gateway, &gateway[..60], gateway]), "gateway");
    }

    /// A `gateway` line with one more field (a request id) has as many fields as
    /// `aws-alb` reads and matches that whole, by count: ALB would read the status
    /// from the same place but the path as its latency, and no error name. The
    /// misread latency keeps it from fitting, so `gateway` reads the lines.
    #[test]
    fn a_format_that_lines_up_only_by_count_does_not_fit() {
        let line = r#"192.0.2.146 - - [26/Nov/2026:00:15:57 +0800] "POST /v3/remove-background HTTP/1.1" 429 80 "-" "curl/8.5.0" 0.030 "API_NOT_ALLOWED" "req-7f3a""#;
        let alb = presets::find("aws-alb").unwrap().build(&[]).unwrap();
        assert!(alb.parse(line.as_bytes()).is_ok());
        assert!(alb.parse_checking(line.as_bytes()).unwrap().1);
        let gateway = presets::find("gateway").unwrap().build(&[]).unwrap();
        assert!(!gateway.parse_checking(line.as_bytes()).unwrap().1);
        let (format, detection) = detect_lines(&[line, line, line]).unwrap();
        assert_eq!(detection.chosen, "gateway");
        let f = format.parse(line.as_bytes()).unwrap();
        assert_eq!((f.status, f.name), (429, Some(&b"API_NOT_ALLOWED"[..])));
        // ALB's own example still fits it.
        let example = presets::find("aws-alb").unwrap().example;
        assert!(!alb.parse_checking(example.as_bytes()).unwrap().1);
        assert_eq!(chosen(&[example]), "aws-alb");
    }

    /// Real Traefik CLF lines (Traefik's parser test, MIT, and docker-compose
    /// deployments): the `gateway` preset parses them too, reading the request
    /// count as a latency and the router as an error name. It must not win.
    #[test]
    fn traefik_clf_is_not_read_as_gateway() {
        let traefik = [
            r#"TestHost - TestUser [13/Apr/2016:07:14:19 -0700] "POST testpath HTTP/0.0" 123 12 "testReferer" "testUserAgent" 1 "testRouter" "http://127.0.0.1/testService" 1ms"#,
            r#"10.0.0.2 - - [11/Aug/2022:02:06:44 +0000] "GET / HTTP/1.1" 200 659 "-" "-" 1 "catapp@docker" "http://10.0.1.6:5000" 14ms"#,
            r#"127.0.0.1 - - [09/Mar/2018:10:51:32 +0000] "GET / HTTP/1.1" 401 17 "-" "Go-http-client/1.1" 1 "Host-host-1" "-" 0ms"#,
        ];
        let (f, d) = detect_lines(&traefik).unwrap();
        assert_eq!(d.chosen, "traefik-clf");
        for line in traefik {
            assert_eq!(f.parse(line.as_bytes()).unwrap().name, None, "{line}");
        }
        let got = f.parse(traefik[1].as_bytes()).unwrap();
        assert_eq!((got.status, got.latency_us), (200, Some(14_000)));
        // The gateway preset reads these lines, but its names are not names.
        let gateway = presets::find("gateway").unwrap().build(&[]).unwrap();
        let c = Candidate {
            name: "gateway",
            format: gateway,
            fit: Fit::Generic,
        };
        let lines: Vec<&[u8]> = traefik.iter().map(|l| l.as_bytes()).collect();
        let (s, _) = score(&c, &lines);
        assert_eq!((s.parsed, s.plausible), (3, false));
    }

    /// Without a preset that explains the field, a format that reads a non-name as
    /// a name still does not win: one that leaves the field unread does.
    #[test]
    fn a_name_field_holding_other_text_does_not_win() {
        let line = |name: &str| {
            format!(
                r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "GET /v3/x HTTP/1.1" 200 2 "-" "curl/8" 0.001 "{name}""#
            )
        };
        let routers = [line("whoami"), line("api@docker"), line("-")];
        let routers: Vec<&str> = routers.iter().map(String::as_str).collect();
        assert_eq!(chosen(&routers), "combined");
        // Error names, `-` and lower-case OpenAI-style codes are names.
        let names = [
            line("INVALID_API_KEY"),
            line("-"),
            line("invalid_api_key"),
            line("UNAUTHORIZED"),
        ];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(chosen(&names), "gateway");
        for (v, want) in [
            ("INVALID_API_KEY", true),
            ("invalid_api_key", true),
            ("THROTTLED", true),
            ("v1.NOT_FOUND", true),
            ("test@docker", false),
            ("Host-host-1", false),
            ("testRouter", false),
            ("web", false),
            ("http://10.0.0.1", false),
            ("1", false),
            ("", false),
        ] {
            assert_eq!(plausible_name(v.as_bytes()), want, "{v}");
        }
    }

    /// An Envoy Gateway log with `path` (the path as rewritten) added beside
    /// `x-envoy-origin-path` (as the client sent it): `envoy-gateway` and
    /// `envoy-json` both find their marker keys and read every line, but each reads
    /// another path, so requests would land in other sections. Refused, naming
    /// each and the flag that picks it.
    #[test]
    fn rivals_that_read_differently_are_refused() {
        let line = r#"{"start_time":"2025-12-31T16:37:40.491Z","method":"POST","x-envoy-origin-path":"/v3/openai/chat/completions","path":"/openai/v1/chat/completions","response_code":429,"response_flags":"-","duration":12,"upstream_host":"10.244.0.11:3000","upstream_cluster":"httproute/default/llm/rule/0","route_name":"httproute/default/llm","x-error-code":"RATE_LIMIT_EXCEEDED"}"#;
        let e = detect_lines(&[line, line]).unwrap_err().to_string();
        for want in [
            "cannot tell the log format from the first 2 lines: envoy-gateway, envoy-json \
             fit them equally well but would report them differently",
            "envoy-gateway and envoy-json read the path differently",
            r#"envoy-gateway reads status 429, error name "RATE_LIMIT_EXCEEDED", path "/v3/openai/chat/completions""#,
            r#"envoy-json reads status 429, error name none, path "/openai/v1/chat/completions""#,
            "--preset envoy-gateway or --preset envoy-json",
        ] {
            assert!(e.contains(want), "{want}: {e}");
        }
        // A rival that reads less (no path key it knows) is no disagreement: the
        // preset's own example is read as envoy-gateway.
        let example = presets::find("envoy-gateway").unwrap().example;
        let lines = [example.as_bytes()];
        let all = candidates(&[]).unwrap();
        let find = |name| all.iter().find(|c| c.name == name).unwrap();
        let (eg, ej) = (find("envoy-gateway"), find("envoy-json"));
        assert_eq!(
            score(eg, &lines).0.evidence(),
            score(ej, &lines).0.evidence()
        );
        assert!(difference(eg, ej, &lines).is_none());
        assert_eq!(difference(ej, eg, &lines).unwrap().fields, ["the path"]);
        assert_eq!(chosen(&[example]), "envoy-gateway");
    }

    /// Rivals that read every line alike give the same report: the choice does not
    /// matter, and it is made by the whole score, the same every time. nginx's
    /// `main` (combined + `"$http_x_forwarded_for"`): `combined` and `common` both
    /// leave a field over and read the same status, path and time.
    #[test]
    fn rivals_that_read_alike_are_chosen_between() {
        let main = r#"127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 200 2 "-" "curl/8" "10.0.0.1""#;
        let lines = [main.as_bytes(), main.as_bytes()];
        let all = candidates(&[]).unwrap();
        let find = |name| all.iter().find(|c| c.name == name).unwrap();
        let (combined, common) = (find("combined"), find("common"));
        let (a, b) = (score(combined, &lines).0, score(common, &lines).0);
        assert_eq!(a.evidence(), b.evidence(), "rivals");
        assert!(a > b, "combined covers more of the line");
        assert!(difference(combined, common, &lines).is_none());
        for _ in 0..3 {
            assert_eq!(chosen(&[main, main]), "combined");
        }
        // A rival that parses a line the best does not reads differently.
        let d = difference(find("json"), combined, &[main.as_bytes()]).unwrap();
        assert_eq!(d.fields, ["which lines are records"]);
        assert_eq!(d.first.0, "nothing (the line does not parse)");
    }

    #[test]
    fn json_presets_and_generic_json() {
        assert_eq!(chosen(&[r#"{"status":200,"uri":"/x"}"#]), "json");
        let ours = r#"{"time":"2026-11-26T00:00:11.413+08:00","remote_addr":"203.0.113.7","uri":"/v3/x","status":301,"request_time":1.009}"#;
        assert_eq!(chosen(&[ours]), "json");
    }

    #[test]
    fn mixed_or_unknown_input_is_not_guessed() {
        let gw = presets::find("gateway").unwrap().example;
        let kong = presets::find("kong").unwrap().example;
        let e = detect_lines(&[gw, kong, gw, kong]).unwrap_err().to_string();
        assert!(e.contains("cannot tell"), "{e}");
        assert!(
            e.contains("gateway (2 of 4)") && e.contains("kong (2 of 4)"),
            "{e}"
        );
        let e = detect_lines(&["hello world", "second line"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no known format parses any"), "{e}");
        // A clear majority is chosen; the rest will be malformed lines.
        let d = detect_lines(&[gw, gw, gw, kong]).unwrap().1;
        assert_eq!((d.chosen.as_str(), d.matched, d.sampled), ("gateway", 3, 4));
        assert_eq!(d.to_string(), "format gateway (3 of 4 sample lines)");
    }

    #[test]
    fn sample_lines_are_the_first_whole_non_empty_ones() {
        let lines = |s: &str| -> Vec<String> {
            sample_lines(s.as_bytes())
                .iter()
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .collect()
        };
        assert_eq!(lines("a\r\n\n  \nb\nc"), ["a", "b"]);
        assert_eq!(lines("a\nb\n  "), ["a", "b"]);
        assert_eq!(lines("only, cut"), ["only, cut"]);
        assert_eq!(lines(" \n\t\n"), Vec::<String>::new());
        let many: String = (0..80).map(|i| format!("{i}\n\n")).collect();
        let got = lines(&many);
        assert_eq!(got.len(), DETECT_SAMPLE_LINES);
        assert_eq!((got[0].as_str(), got[49].as_str()), ("0", "49"));
    }

    #[test]
    fn empty_sample_and_cut_last_line() {
        let (f, d) = detect(&[], b"").unwrap();
        assert_eq!((f.name().as_str(), d.sampled), ("nginx:gateway", 0));
        assert!(d.to_string().contains("no lines"));
        let (_, d) = detect(&[], b"\n\r\n  \n").unwrap();
        assert_eq!(d.sampled, 0);
        // The sample ends inside a line: that line is not judged.
        let gw = presets::find("gateway").unwrap().example;
        let sample = format!("{gw}\n{}", &gw[..30]);
        let (_, d) = detect(&[], sample.as_bytes()).unwrap();
        assert_eq!((d.matched, d.sampled), (1, 1));
    }

    #[test]
    fn user_fields_apply_to_candidates_that_take_them() {
        // A JSON key path: nginx candidates cannot take it and drop out.
        let fields = [FieldOverride::parse("status=resp.code").unwrap()];
        let (f, d) = detect(&fields, b"{\"resp\":{\"code\":404}}\n").unwrap();
        assert_eq!(d.chosen, "json");
        assert_eq!(f.parse(b"{\"resp\":{\"code\":404}}").unwrap().status, 404);
    }
}
