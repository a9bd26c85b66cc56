//! `-o markdown`, `-o csv` and `--output-file`: the markdown report carries the
//! findings and tables with log text escaped; the CSV report parses back (RFC 4180)
//! into rows that add up to the JSON report; output files are replaced atomically for
//! every command, and a failed run leaves the previous file as it was.

use std::path::Path;

use crate::util::{analyze, os, parse_csv, run, Dir};

const SAMPLE: &str = "fixtures/sample.log";

#[test]
fn csv_parses_back_and_adds_up() {
    let report = analyze::<&str>(&[], &[Path::new(SAMPLE)]);
    let out = run(&["analyze", "-o", "csv", SAMPLE]).expect_code(0);
    let records = parse_csv(&out.stdout);
    let header = &records[0];
    assert_eq!(
        header,
        &errscope::report::csv::COLUMNS.map(String::from).to_vec()
    );
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows = &records[1..];
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let count = |r: &Vec<String>| r[col("count")].parse::<u64>().unwrap();
    let class_sum = |class: &str| -> u64 {
        rows.iter()
            .filter(|r| r[col("class")] == class)
            .map(count)
            .sum()
    };
    let c = &report.totals.classes;
    assert_eq!(class_sum("documented"), c.documented);
    assert_eq!(class_sum("status_mismatch"), c.status_mismatch);
    assert_eq!(class_sum("wrong_section"), c.wrong_section);
    assert_eq!(class_sum("undocumented"), c.undocumented);
    assert_eq!(class_sum("unnamed_error"), c.unnamed_error);
    assert_eq!(class_sum("ok"), c.ok);
    assert_eq!(class_sum("malformed"), c.malformed);
    assert_eq!(
        rows.iter().map(count).sum::<u64>(),
        report.totals.lines - report.totals.outside_window
    );
    // Every catalog code has its documented row, seen or not.
    let documented = rows.iter().filter(|r| r[col("class")] == "documented");
    assert_eq!(documented.count(), report.codes.len());
    // A row as the JSON report has it.
    let m = &report.status_mismatches[0];
    let row = rows
        .iter()
        .find(|r| {
            r[col("class")] == "status_mismatch"
                && r[col("name")] == m.name
                && r[col("status")] == m.observed_status.to_string()
        })
        .expect("the first mismatch has a row");
    assert_eq!(row[col("section")], m.section);
    assert_eq!(
        row[col("documented_status")],
        m.documented_status.to_string()
    );
    assert_eq!(row[col("example")], m.example);
    let share: f64 = row[col("share_of_requests")].parse().unwrap();
    assert!((share - m.count as f64 / report.totals.requests as f64).abs() < 1e-12);
    // Undocumented names have no section and say what they resemble.
    let u = rows
        .iter()
        .find(|r| r[col("name")] == "invalid_api_key")
        .expect("invalid_api_key row");
    assert_eq!(u[col("section")], "");
    assert_eq!(u[col("class")], "undocumented");
    assert_eq!(u[col("resembles")], "INVALID_API_KEY");
}

#[test]
fn csv_quotes_and_defuses_log_text() {
    let dir = Dir::new();
    let log = dir.write(
        "odd.log",
        concat!(
            r#"{"status":429,"path":"/v3/openai/x","error_code":"A,\"B\""}"#,
            "\n",
            r#"{"status":400,"path":"/v3/openai/x","error_code":"=SUM(1)"}"#,
            "\n",
        ),
    );
    let out = run(&os(&[
        &"analyze",
        &"-o",
        &"csv",
        &"--format",
        &"json",
        &log,
    ]))
    .expect_code(0);
    let records = parse_csv(&out.stdout);
    let names: Vec<&str> = records.iter().map(|r| r[1].as_str()).collect();
    // The JSON reader keeps a name's escapes as logged: `A,\"B\"`.
    assert!(names.contains(&r#"A,\"B\""#), "{names:?}");
    assert!(names.contains(&"'=SUM(1)"), "{names:?}");
}

#[test]
fn markdown_has_findings_and_tables() {
    let out = run(&["analyze", "-o", "markdown", SAMPLE]).expect_code(0);
    let md = &out.stdout;
    let first = md.lines().next().unwrap();
    assert_eq!(
        first,
        "### errscope: 250 lines, 56 errors (23.3%), 4 findings"
    );
    for expected in [
        "- **4 lines** with names the catalog does not list (4 names): `ANONYMOUS_ACCESS_QUOTA_EXCEEDS`",
        "- **10 lines** that could not be parsed",
        "#### Classes",
        "| class | lines | share |",
        "|---|--:|--:|",
        "#### Status mismatches",
        "| llm | `RATE_LIMIT_EXCEEDED` | 429 | 400 | 2 | `fixtures/sample.log:44` |",
        "#### Wrong section",
        "#### Undocumented names",
        "| `invalid_api_key` | 1 | 401×1 | `fixtures/sample.log:183` | `INVALID_API_KEY` |",
        "#### Errors without a name",
        "#### Malformed lines: 10 (the first 5)",
    ] {
        assert!(md.contains(expected), "{expected:?} missing from\n{md}");
    }
    // Findings come before the first table.
    assert!(md.find("- **").unwrap() < md.find("####").unwrap());
    // Each table's rows have as many cells as its header.
    for table in md.split("\n\n").filter(|b| b.starts_with('|')) {
        let cells: Vec<usize> = table
            .lines()
            .map(|l| l.replace("\\|", "").matches('|').count())
            .collect();
        assert!(cells.iter().all(|&n| n == cells[0]), "{table}");
    }
}

#[test]
fn markdown_escapes_pipes_and_controls() {
    let dir = Dir::new();
    let log = dir.write(
        "odd.log",
        "203.0.113.9 - - [26/Nov/2026:12:00:00 +0800] \"POST /v3/openai/x HTTP/1.1\" 429 79 \
         \"-\" \"curl/8.5\" 0.012 \"A|B\x1b[31m\"\n",
    );
    let out = run(&os(&[
        &"analyze",
        &"-o",
        &"markdown",
        &"--preset",
        &"gateway",
        &log,
    ]))
    .expect_code(0);
    assert!(
        out.stdout.contains("| `A\\|B\\x1b[31m` | 1 |"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn markdown_without_findings_is_short() {
    let out = run(&[
        "analyze",
        "-o",
        "markdown",
        "fixtures/cases/success_code.log",
    ])
    .expect_code(0);
    let md = &out.stdout;
    assert!(
        md.contains("- No findings: every named error matches the catalog."),
        "{md}"
    );
    assert!(md.lines().count() < 30, "{md}");
}

/// No `.NAME.*.tmp` file is left in `dir`.
fn no_temp_files(dir: &Path) {
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn output_file_for_every_command_and_format() {
    let dir = Dir::new();
    let report = dir.path().join("report.json");
    for output in ["text", "json", "markdown", "csv"] {
        let file = dir.path().join(format!("report.{output}"));
        let out = run(&os(&[
            &"analyze",
            &"-o",
            &output,
            &"--output-file",
            &file,
            &SAMPLE,
        ]))
        .expect_code(0);
        assert_eq!(out.stdout, "", "{output}: nothing on stdout");
        let written = std::fs::read_to_string(&file).unwrap();
        let direct = run(&["analyze", "-o", output, SAMPLE]).expect_code(0);
        assert_eq!(written, direct.stdout, "{output}");
    }
    let commands: [&[&str]; 5] = [
        &["catalog"],
        &["catalog", "-o", "json"],
        &["catalog", "lint", "-o", "json"],
        &["presets"],
        &["diff", "-o", "markdown"],
    ];
    for command in commands {
        let file = dir.path().join("out");
        let mut args = os(&[]);
        args.extend(command.iter().map(|a| std::ffi::OsString::from(*a)));
        if command[0] == "diff" {
            args.push(report.clone().into());
            args.push(report.clone().into());
        }
        let direct = crate::util::run(&args);
        args.extend(os(&[&"--output-file", &file]));
        let out = run(&args).expect_code(direct.code);
        assert_eq!(out.stdout, "", "{command:?}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            direct.stdout,
            "{command:?}"
        );
    }
    no_temp_files(dir.path());
}

#[test]
fn a_failed_run_leaves_the_previous_file() {
    let dir = Dir::new();
    let file = dir.write("report.json", "previous\n");
    // The run fails after the temporary file was made: the catalog is missing.
    let out = run(&os(&[
        &"analyze",
        &"--catalog",
        &dir.path().join("missing.md"),
        &"--output-file",
        &file,
        &SAMPLE,
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("missing.md"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n");
    // A destination that is a directory: the rename fails.
    let sub = dir.mkdir("sub");
    dir.write("sub/inside", "x");
    let out = run(&os(&[&"catalog", &"--output-file", &sub])).expect_code(2);
    assert!(out.stderr.contains("writing output"), "{}", out.stderr);
    assert!(sub.join("inside").exists());
    no_temp_files(dir.path());
}

#[test]
fn a_parent_that_is_a_file_is_an_error() {
    let dir = Dir::new();
    let file = dir.write("plain", "previous\n");
    let out = run(&os(&[
        &"analyze",
        &"--output-file",
        &file.join("report.json"),
        &SAMPLE,
    ]))
    .expect_code(2);
    assert!(
        out.stderr.contains("writing output") && out.stderr.contains("plain/report.json"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "previous\n");
    // `generate -O` too.
    let out = run(&os(&[&"generate", &"-O", &file.join("x.log")])).expect_code(2);
    assert!(out.stderr.contains("plain/x.log"), "{}", out.stderr);
    let log = dir.path().join("g.log");
    run(&os(&[&"generate", &"--lines", &"7", &"-O", &log])).expect_code(0);
    let lines = std::fs::read(&log).unwrap();
    assert_eq!(lines.iter().filter(|&&b| b == b'\n').count(), 7);
    no_temp_files(dir.path());
}

#[cfg(unix)]
#[test]
fn replacing_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Dir::new();
    let file = dir.write("catalog.txt", "old");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    run(&os(&[&"catalog", &"--output-file", &file])).expect_code(0);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("catalog embedded"));
}

#[test]
fn formats_a_command_does_not_write_are_refused() {
    for args in [
        &["catalog", "-o", "csv"][..],
        &["catalog", "lint", "-o", "markdown"],
        &["presets", "-o", "markdown"],
    ] {
        let out = run(args).expect_code(2);
        assert!(out.stderr.contains("is not available"), "{}", out.stderr);
    }
}

#[test]
fn generate_writes_its_log_and_truth_atomically() {
    let dir = Dir::new();
    let log = dir.write("day.log", "previous log\n");
    // The truth's destination is a directory: the run fails as a whole, and the
    // previous log stays, with no temporary file left behind.
    let generate = |truth: &std::path::Path| {
        run(&os(&[
            &"generate",
            &"--lines",
            &"5",
            &"-O",
            &log,
            &"--truth",
            &truth,
        ]))
    };
    let truth = dir.mkdir("truth");
    let out = generate(&truth).expect_code(2);
    assert!(out.stderr.contains("writing output"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "previous log\n");
    no_temp_files(dir.path());
    // Both written when both can be.
    let truth = dir.path().join("day.truth.json");
    generate(&truth).expect_code(0);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 5);
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    assert_eq!(truth["lines"], 5);
    let out = run(&os(&[
        &"generate",
        &"-O",
        &dir.path().join("no/such/dir.log"),
    ]))
    .expect_code(2);
    assert!(out.stderr.contains("no/such/dir.log"), "{}", out.stderr);
    no_temp_files(dir.path());
}

/// Reports of several kinds (findings, time series, an incomplete run, a resumed
/// `--state` run, an empty run) are valid against the published JSON Schema,
/// `docs/report.schema.json` (which a unit test holds equal to the model).
#[test]
fn json_reports_follow_the_published_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("docs/report.schema.json").unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a JSON Schema");
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 2000, 21);
    let state = dir.path().join("state.json");
    let empty = dir.write("empty.log", "");
    let missing = dir.path().join("missing.log");
    let runs: Vec<(&str, Vec<std::ffi::OsString>, i32)> = vec![
        ("sample", os(&[&SAMPLE]), 0),
        ("buckets", os(&[&"--bucket", &"1m", &log]), 0),
        ("incomplete", os(&[&SAMPLE, &missing]), 2),
        ("state, first", os(&[&"--state", &state, &log]), 0),
        ("empty", os(&[&empty]), 0),
    ];
    for (what, args, code) in runs {
        let mut all = os(&[&"analyze", &"-q", &"-o", &"json"]);
        all.extend(args);
        let out = run(&all).expect_code(code);
        let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
    }
    // A resumed run carries `inputs[].resumed`: the schema knows it.
    let text = std::fs::read(&log).unwrap();
    let first_line = &text[..=text.iter().position(|&b| b == b'\n').unwrap()];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &first_line.repeat(3)))
        .unwrap();
    let out = run(&os(&[
        &"analyze", &"-q", &"-o", &"json", &"--state", &state, &log,
    ]))
    .expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(report["inputs"][0]["resumed"].is_object(), "{report}");
    assert!(validator.is_valid(&report));
    // And the schema does reject what a report is not.
    let mut wrong = report.clone();
    wrong["totals"]["lines"] = serde_json::json!("many");
    assert!(!validator.is_valid(&wrong));
    wrong = report;
    wrong["surprise"] = serde_json::json!(1);
    assert!(!validator.is_valid(&wrong));
}
