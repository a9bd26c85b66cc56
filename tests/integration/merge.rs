//! `analyze -o partial`, `errscope merge` and `analyze --range` / `--stdin-offset`:
//! merged partials give the report of one run over all their input, byte for byte,
//! whatever the split, grouping and order; bad partials, ranges and settings are
//! refused with a message naming what to fix.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::util::{self, os, run, run_stdin, Dir};

/// Options that make the capped maps, examples and buckets matter on a small log.
const OPTS: &[&str] = &[
    "-q",
    "--bucket",
    "1m",
    "--max-names",
    "4",
    "--max-endpoints",
    "6",
    "--examples",
    "3",
];

/// `analyze OPTS extra… path -o FORMAT` on the real binary: its stdout bytes.
fn analyze_bytes(extra: &[&str], path: &Path, output: &str) -> Vec<u8> {
    let mut args = os(&[&"analyze", &"-o", &output]);
    args.extend(OPTS.iter().chain(extra).map(Into::into));
    args.push(path.into());
    let out = util::errscope().args(&args).output().expect("run errscope");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The partial of bytes `a..b` of `log`, written to `dir/name`.
fn range_partial(dir: &Dir, log: &Path, a: u64, b: u64, name: &str) -> PathBuf {
    let range = format!("{a}..{b}");
    dir.write(name, analyze_bytes(&["--range", &range], log, "partial"))
}

/// `merge args…`: exit status 0 asserted, stdout bytes.
fn merge_bytes(args: &[std::ffi::OsString]) -> Vec<u8> {
    let out = util::errscope()
        .arg("merge")
        .args(args)
        .output()
        .expect("run errscope");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The lines of `text` that start in `a..b` (Hadoop's rule), as a task reading the
/// range through another filesystem would pipe them, and where they start.
fn lines_starting_in(text: &[u8], a: usize, b: usize) -> (usize, &[u8]) {
    let start_at = |x: usize| {
        if x == 0 || x >= text.len() {
            return x.min(text.len());
        }
        match text[x - 1..].iter().position(|&c| c == b'\n') {
            Some(i) => x + i,
            None => text.len(),
        }
    };
    let (s, e) = (start_at(a), start_at(b));
    (s, &text[s..e])
}

fn generated(dir: &Dir, lines: u64, seed: u64) -> PathBuf {
    dir.generate("gateway", lines, seed).0
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A generated log cut at any bytes into ranges, each read by `--range` or
    /// piped on standard input with `--stdin-offset`, the partials merged in any
    /// grouping and order (some through `merge -o partial` first): the JSON report
    /// is the one `analyze` gives over the whole log, byte for byte.
    #[test]
    fn merged_ranges_are_one_run_byte_for_byte(
        seed in 1u64..1000,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..5),
        via_stdin in proptest::collection::vec(any::<bool>(), 6),
        order in proptest::collection::vec(any::<u64>(), 7),
    ) {
        let dir = Dir::new();
        let log = generated(&dir, 1500, seed);
        let text = std::fs::read(&log).unwrap();
        let want = analyze_bytes(&[], &log, "json");
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c.index(text.len() + 1)).collect();
        bounds.extend([0, text.len()]);
        bounds.sort_unstable();
        let mut partials = Vec::new();
        for (k, w) in bounds.windows(2).enumerate() {
            let name = format!("p{k}.partial.json");
            let path = if via_stdin[k] {
                let (start, lines) = lines_starting_in(&text, w[0], w[1]);
                let offset = start.to_string();
                let name_arg = log.display().to_string();
                let mut args: Vec<&str> = vec!["analyze", "-o", "partial"];
                args.extend(OPTS);
                args.extend(["--stdin-name", &name_arg, "--stdin-offset", &offset, "-"]);
                let out = run_stdin(&args, lines).expect_code(0);
                dir.write(&name, out.stdout)
            } else {
                range_partial(&dir, &log, w[0] as u64, w[1] as u64, &name)
            };
            partials.push((order[k], path));
        }
        // A random order, then a random number of the first ones merged first.
        partials.sort();
        let partials: Vec<PathBuf> = partials.into_iter().map(|(_, p)| p).collect();
        let first = (order[6] as usize % 3 + 1).min(partials.len());
        let mut args = os(&[&"-o", &"partial"]);
        args.extend(partials[..first].iter().map(Into::into));
        let sub = dir.write("sub.partial.json", merge_bytes(&args));
        let mut args = os(&[&"-o", &"json"]);
        args.extend(partials[first..].iter().map(Into::into));
        args.push(sub.into());
        let got = merge_bytes(&args);
        prop_assert!(got == want, "merged report differs from one run");
    }
}

/// The same input gives the same partial bytes, however it is read (threads,
/// chunk sizes); a partial's size is bounded by the caps, not by the input.
#[test]
fn a_partial_is_the_same_bytes_every_time_and_bounded_by_caps() {
    let dir = Dir::new();
    let log = generated(&dir, 4000, 5);
    let one = analyze_bytes(&["-j", "1"], &log, "partial");
    let other = analyze_bytes(&["-j", "2", "--chunk-size", "7"], &log, "partial");
    assert!(one == other, "partials of one input differ");
    let text = String::from_utf8(one.clone()).unwrap();
    assert!(text.starts_with(r#"{"schema":"errscope-partial","version":1,"#));
    let big = generated(&dir, 40_000, 6);
    let big_partial = analyze_bytes(&[], &big, "partial");
    // Ten times the lines; the partial grows by the time buckets it covers and the
    // latency buckets it fills, not tenfold.
    assert!(
        big_partial.len() < 3 * one.len(),
        "{} vs {}",
        big_partial.len(),
        one.len()
    );
    let p: errscope::fleet::partial::Partial = serde_json::from_slice(&big_partial).unwrap();
    assert_eq!(p.tally.undocumented.kept.len(), 4);
    assert_eq!(p.tally.endpoints.kept.len(), 6);
    assert_eq!(p.tally.lines, 40_000);
}

/// Every output format of `merge` is the one `analyze` writes over the whole log;
/// `--output-file`, `--fail-on` and `--baseline` act as for `analyze`; directories
/// of partials and `-` are read.
#[test]
fn merge_renders_every_format_as_analyze_does() {
    let dir = Dir::new();
    let log = generated(&dir, 3000, 9);
    let size = std::fs::metadata(&log).unwrap().len();
    let parts = dir.mkdir("parts");
    let half = size / 2;
    let a = range_partial(&dir, &log, 0, half, "parts/a.partial.json");
    let b = range_partial(&dir, &log, half, size, "parts/b.partial.json");
    for format in ["text", "json", "markdown", "csv", "html"] {
        let want = analyze_bytes(&["--color", "never"], &log, format);
        let got = merge_bytes(&os(&[&"-o", &format, &"--color", &"never", &parts]));
        assert!(got == want, "-o {format} differs");
    }
    // Standard input and a file.
    let b_text = std::fs::read(&b).unwrap();
    let out = run_stdin(&os(&[&"merge", &"-o", &"json", &a, &"-"]), &b_text).expect_code(0);
    assert_eq!(out.stdout.as_bytes(), analyze_bytes(&[], &log, "json"));
    // --output-file, --fail-on, --baseline.
    let report = dir.path().join("fleet.json");
    let out = run(&os(&[
        &"merge",
        &"-o",
        &"json",
        &"--output-file",
        &report,
        &"--fail-on",
        &"undocumented",
        &a,
        &b,
    ]))
    .expect_code(1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("--fail-on undocumented"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&report).unwrap(),
        analyze_bytes(&[], &log, "json")
    );
    let out = run(&os(&[
        &"merge",
        &"-o",
        &"json",
        &"--baseline",
        &report,
        &"--fail-on",
        &"new-undocumented",
        &a,
        &b,
    ]))
    .expect_code(0);
    assert!(out.stderr.contains("compared with"), "{}", out.stderr);
}

/// Locations stay exact: the examples of a report merged from ranges name the
/// lines of the whole file.
#[test]
fn example_lines_are_numbered_as_in_the_whole_file() {
    let dir = Dir::new();
    let mut text = Vec::new();
    for i in 0..300 {
        if i % 97 == 5 {
            text.extend_from_slice(b"not a log line\n");
        } else {
            text.extend_from_slice(
                format!(
                    "10.0.0.1 - - [26/Nov/2026:08:00:{:02} +0000] \"GET /v3/x HTTP/1.1\" 200 1 \"-\" \"-\" 0.010 \"-\"\n",
                    i % 60
                )
                .as_bytes(),
            );
        }
    }
    let log = dir.write("small.log", &text);
    let size = text.len() as u64;
    let cuts = [0, size / 3, size / 2, size];
    let partials: Vec<PathBuf> = cuts
        .windows(2)
        .enumerate()
        .map(|(k, w)| range_partial(&dir, &log, w[0], w[1], &format!("{k}.partial.json")))
        .collect();
    let out = run(&os(&[
        &"merge",
        &"-o",
        &"json",
        &partials[2],
        &partials[0],
        &partials[1],
    ]))
    .expect_code(0);
    let r = out.report();
    let locations: Vec<&str> = r
        .malformed
        .examples
        .iter()
        .map(|e| e.location.as_str())
        .collect();
    let name = log.display().to_string();
    assert_eq!(
        locations,
        [6, 103, 200].map(|n| format!("{name}:{n}")),
        "{locations:?}"
    );
}

/// Overlapping ranges are refused (their lines would count twice); a gap gives a
/// report marked incomplete (exit 2) that names the bytes missing and locates the
/// lines after it as `file:?`; `merge -o partial` of the same keeps them for a
/// later merge that fills the gap.
#[test]
fn overlapping_ranges_are_refused_and_a_gap_is_an_incomplete_report() {
    let dir = Dir::new();
    let log = generated(&dir, 2000, 11);
    let size = std::fs::metadata(&log).unwrap().len();
    let (t1, t2) = (size / 3, 2 * size / 3);
    let a = range_partial(&dir, &log, 0, t1, "a.partial.json");
    let b = range_partial(&dir, &log, t1, t2, "b.partial.json");
    let c = range_partial(&dir, &log, t2, size, "c.partial.json");
    let wide = range_partial(&dir, &log, 0, t2, "wide.partial.json");
    let out = run(&os(&[&"merge", &a, &wide, &c])).expect_code(2);
    assert!(out.stderr.contains("overlap"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    let again = dir.write("again.partial.json", std::fs::read(&a).unwrap());
    let out = run(&os(&[&"merge", &a, &again, &b, &c])).expect_code(2);
    assert!(out.stderr.contains("overlap"), "{}", out.stderr);

    let out = run(&os(&[&"merge", &"-o", &"json", &a, &c])).expect_code(2);
    let r = out.report();
    assert!(!r.complete);
    let error = r.inputs[0].error.as_deref().unwrap();
    assert!(error.contains("no byte range read bytes"), "{error}");
    assert!(
        out.stderr.contains("no byte range read bytes"),
        "{}",
        out.stderr
    );
    // Every location is in the first range, or after the gap and unknown.
    let a_lines = run(&os(&[&"merge", &"-o", &"json", &a]))
        .report()
        .totals
        .lines;
    let examples = (r.malformed.examples.iter().map(|e| &e.location))
        .chain(r.undocumented.iter().map(|u| &u.example))
        .chain(r.unnamed_errors.iter().map(|u| &u.example))
        .chain(r.status_mismatches.iter().map(|m| &m.example));
    let mut unknown = 0;
    for at in examples {
        match at.rsplit_once(':').unwrap().1 {
            "?" => unknown += 1,
            n => assert!(n.parse::<u64>().unwrap() <= a_lines, "{at}"),
        }
    }
    assert!(unknown > 0);
    // Kept as parts in a partial, the gap is filled by a later merge.
    let ac = run(&os(&[&"merge", &"-o", &"partial", &a, &c])).expect_code(0);
    let ac = dir.write("ac.partial.json", ac.stdout);
    let merged = merge_bytes(&os(&[&"-o", &"json", &ac, &b]));
    assert_eq!(merged, analyze_bytes(&[], &log, "json"));
}

/// What is not a partial of this version, or of other settings or another
/// catalog, is refused with exit status 2 and a message saying what it is.
#[test]
fn merge_refuses_what_it_cannot_add_up() {
    let dir = Dir::new();
    let log = generated(&dir, 500, 13);
    let good = dir.write("good.partial.json", analyze_bytes(&[], &log, "partial"));
    let text = std::fs::read_to_string(&good).unwrap();
    let report = dir.write("report.json", analyze_bytes(&[], &log, "json"));
    let cut = dir.write("cut.partial.json", &text[..text.len() / 2]);
    let other_version = dir.write(
        "v9.partial.json",
        text.replacen(r#""version":1"#, r#""version":9"#, 1),
    );
    let garbage = dir.write("garbage.partial.json", "hello");
    let bad_status = dir.write(
        "status.partial.json",
        text.replacen(r#""statuses":{"#, r#""statuses":{"999":1,"#, 1),
    );
    let bad_class = dir.write(
        "class.partial.json",
        text.replacen(r#""class":"documented""#, r#""class":"status_mismatch""#, 1),
    );
    let empty = dir.mkdir("empty");
    let missing = Path::new("/nonexistent/x.partial.json");
    let cases: Vec<(&Path, &str)> = vec![
        (&report, "a report (`-o json`), not a partial"),
        (&cut, "cut short"),
        (&other_version, "version 9"),
        (&garbage, "not an errscope partial report"),
        (&bad_status, "statuses that do not add up"),
        (&bad_class, "which this catalog does not make it"),
        (&empty, "no partial reports"),
        (missing, "No such file"),
    ];
    for (path, says) in cases {
        let out = run(&os(&[&"merge", &good, &path])).expect_code(2);
        assert!(
            out.stderr.contains(says),
            "{}: {}",
            path.display(),
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    run(&["merge"]).expect_code(2);
    let out = run(&os(&[
        &"merge",
        &good,
        &dir.path().join("good.partial.json"),
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("given twice"), "{}", out.stderr);
    // Other settings: each differing one named.
    let other = dir.write(
        "other.partial.json",
        analyze_bytes(
            &["--max-line-bytes", "5000", "--route", "/x/=llm"],
            &log,
            "partial",
        ),
    );
    let out = run(&os(&[&"merge", &good, &other])).expect_code(2);
    for says in [
        "other settings",
        "max-line-bytes 5000 there, 1048576 here",
        "routes",
    ] {
        assert!(out.stderr.contains(says), "{says}: {}", out.stderr);
    }
    // Another catalog.
    let page = std::fs::read_to_string(util::manifest_dir().join("catalog/api-error-codes.zh.md"))
        .unwrap()
        .replacen("| 403", "| 409", 1);
    let catalog = dir.write("catalog.md", page);
    let out = run(&os(&[&"merge", &"--catalog", &catalog, &good])).expect_code(2);
    assert!(out.stderr.contains("another catalog"), "{}", out.stderr);
}

/// `--range` and `--stdin-offset` refuse what they cannot do, saying why.
#[test]
fn ranges_refuse_what_cannot_be_split() {
    let dir = Dir::new();
    let log = generated(&dir, 200, 17);
    let size = std::fs::metadata(&log).unwrap().len();
    let past = format!("0..{}", size + 1);
    let from_past = format!("{}..{}", size + 5, size + 6);
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (os(&[&"--range", &"9..3", &log]), "starts after it ends"),
        (os(&[&"--range", &past, &log]), "has only"),
        (os(&[&"--range", &from_past, &log]), "has only"),
        (os(&[&"--range", &"0..10", &log, &log]), "exactly one FILE"),
        (os(&[&"--range", &"0..10", &dir.path()]), "exactly one FILE"),
        (
            os(&[
                &"--range",
                &"0..10",
                &"--state",
                &dir.path().join("s"),
                &log,
            ]),
            "--state",
        ),
        (os(&[&"--stdin-offset", &"3", &"-"]), "--stdin-name"),
        (
            os(&[&"--stdin-name", &"x.log", &log]),
            "not among the inputs",
        ),
    ];
    for (extra, says) in cases {
        let mut args = os(&[&"analyze", &"-q", &"-o", &"partial"]);
        args.extend(extra);
        let out = run(&args).expect_code(2);
        assert!(out.stderr.contains(says), "{says}: {}", out.stderr);
    }
    let out = run(&os(&[
        &"analyze", &"-o", &"json", &"--range", &"0..10", &log,
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("-o partial"), "{}", out.stderr);
    let Some(gz) = util::gzip_copy(&log, &dir) else {
        return;
    };
    let out = run(&os(&[
        &"analyze", &"-o", &"partial", &"--range", &"0..10", &gz,
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("cannot be split"), "{}", out.stderr);
    let gz_bytes = std::fs::read(&gz).unwrap();
    let out = run_stdin(
        &[
            "analyze",
            "-q",
            "-o",
            "partial",
            "--stdin-name",
            "x.log",
            "--stdin-offset",
            "0",
            "-",
        ],
        &gz_bytes,
    )
    .expect_code(2);
    assert!(out.stderr.contains("cannot be split"), "{}", out.stderr);
}

/// A range that starts inside a line begins at the next line; one that holds no
/// line start reads nothing; empty ranges and the file's end are fine.
#[test]
fn a_range_owns_the_lines_that_start_in_it() {
    let dir = Dir::new();
    let log = generated(&dir, 50, 19);
    let text = std::fs::read(&log).unwrap();
    let first_end = text.iter().position(|&c| c == b'\n').unwrap() as u64 + 1;
    let lines_of = |range: String| {
        let p: errscope::fleet::partial::Partial =
            serde_json::from_slice(&analyze_bytes(&["--range", &range], &log, "partial")).unwrap();
        (p.inputs[0].parts[0].range.unwrap(), p.tally.lines)
    };
    let size = text.len() as u64;
    assert_eq!(lines_of(format!("0..{first_end}")), ([0, first_end], 1));
    let second_end = first_end + next_len(&text, first_end);
    assert_eq!(
        lines_of(format!("0..{}", first_end + 1)),
        ([0, second_end], 2)
    );
    assert_eq!(
        lines_of(format!("1..{first_end}")),
        ([first_end, first_end], 0)
    );
    assert_eq!(
        lines_of(format!("{first_end}..{first_end}")),
        ([first_end, first_end], 0)
    );
    assert_eq!(lines_of(format!("{size}..{size}")), ([size, size], 0));
    assert_eq!(lines_of(format!("1..{size}")), ([first_end, size], 49));
}

/// The length of the line starting at `at`, its newline included.
fn next_len(text: &[u8], at: u64) -> u64 {
    text[at as usize..]
        .iter()
        .position(|&c| c == b'\n')
        .unwrap() as u64
        + 1
}

/// JSON lines split into ranges, an empty one first (whose format is chosen from no
/// lines), merge into the report of one run: the input keeps the format its lines
/// were read in.
#[test]
fn json_lines_ranges_with_an_empty_one_merge_as_one_run() {
    let dir = Dir::new();
    let (log, _) = dir.generate("json", 1200, 23);
    let size = std::fs::metadata(&log).unwrap().len();
    let parts = [(0, 0), (0, size / 2), (size / 2, size)];
    let partials: Vec<PathBuf> = (parts.iter().enumerate())
        .map(|(k, &(a, b))| range_partial(&dir, &log, a, b, &format!("j{k}.partial.json")))
        .collect();
    let mut args = os(&[&"-o", &"json"]);
    args.extend(partials.iter().rev().map(Into::into));
    assert!(merge_bytes(&args) == analyze_bytes(&[], &log, "json"));
}

/// The share of malformed lines is the file's, not a range's: a range that is all
/// malformed in a file that is mostly fine is no error, and a file that is mostly
/// malformed is one, however it was split.
#[test]
fn the_malformed_share_is_checked_on_the_whole_file() {
    let dir = Dir::new();
    let good = std::fs::read(generated(&dir, 300, 29)).unwrap();
    let mut text = b"garbage line\n".repeat(100);
    text.extend_from_slice(&good);
    let log = dir.write("dirty-start.log", &text);
    let size = text.len() as u64;
    let flags = ["--preset", "gateway"];
    let first = dir.write(
        "a.partial.json",
        analyze_bytes(
            &[&flags[..], &["--range", &format!("0..{}", size / 10)]].concat(),
            &log,
            "partial",
        ),
    );
    let second = dir.write(
        "b.partial.json",
        analyze_bytes(
            &[&flags[..], &["--range", &format!("{}..{size}", size / 10)]].concat(),
            &log,
            "partial",
        ),
    );
    let merged = merge_bytes(&os(&[&"-o", &"json", &first, &second]));
    assert!(merged == analyze_bytes(&flags, &log, "json"));

    let mut bad = b"garbage line\n".repeat(400);
    bad.extend_from_slice(&good);
    let log = dir.write("mostly-bad.log", &bad);
    let half = bad.len() as u64 / 2;
    let end = bad.len() as u64;
    let mut args = os(&[&"merge", &"-o", &"json"]);
    for (k, range) in [format!("0..{half}"), format!("{half}..{end}")]
        .iter()
        .enumerate()
    {
        let mut a = os(&[
            &"analyze",
            &"-q",
            &"-o",
            &"partial",
            &"--preset",
            &"gateway",
            &"--range",
            range,
        ]);
        a.push(log.clone().into());
        let out = run(&a).expect_code(0);
        args.push(
            dir.write(&format!("bad{k}.partial.json"), out.stdout)
                .into(),
        );
    }
    let out = run(&args).expect_code(2);
    assert!(
        out.stderr.contains("are malformed when read as"),
        "{}",
        out.stderr
    );
    assert!(!out.report().complete);
}
