//! Several inputs in one run: files and directories (the regular files directly in
//! them, sorted by name, hidden files and subdirectories skipped), standard input
//! beside files, and paths that cannot be read, which make the exit status 2 while
//! the report still counts everything that could be read.

use std::path::Path;
use std::process::Command;

use errscope::report::Report;

use crate::util::{
    analyze_code, analyze_json, assert_same, fixture, gzip_copy, os, run, run_command, run_stdin,
    Dir,
};

/// A `gateway` preset line.
fn gw(path: &str, status: u16, name: &str) -> String {
    format!(
        r#"198.51.100.23 - - [27/Nov/2026:10:00:00 +0800] "GET {path} HTTP/1.1" {status} 98 "-" "curl/8.5.0" 0.012 "{name}"{}"#,
        "\n"
    )
}

fn paths(r: &Report) -> Vec<&str> {
    r.inputs.iter().map(|i| i.path.as_str()).collect()
}

fn locations(r: &Report) -> Vec<&str> {
    r.malformed
        .examples
        .iter()
        .map(|m| m.location.as_str())
        .collect()
}

fn display(p: &Path) -> String {
    p.display().to_string()
}

/// Two files and a directory: inputs in command-line order, the directory's files
/// sorted by name; every line location names its own file and line.
#[test]
fn files_and_a_directory() {
    let dir = Dir::new();
    let one = dir.write("one.log", gw("/v3/async/x", 200, "-") + "garbage\n");
    let two = dir.write(
        "two.log",
        "garbage\n".to_string() + &gw("/v3/async/x", 200, "-"),
    );
    let logs = dir.mkdir("logs");
    let b = dir.write(
        "logs/b.log",
        gw("/v3/async/x", 200, "-").repeat(3) + "garbage\n",
    );
    let a = dir.write(
        "logs/a.log",
        gw("/v3/async/x", 500, "TASK_FAILED") + "garbage\n",
    );
    dir.write("logs/.hidden.log", "garbage\n".repeat(10));
    dir.write("logs/nested/c.log", "garbage\n".repeat(10));

    let r = analyze_code::<&str>(&[], &[&one, &two, &logs], 0);
    assert_eq!(paths(&r), [&one, &two, &a, &b].map(|p| display(p)));
    let lines: Vec<u64> = r.inputs.iter().map(|i| i.lines).collect();
    assert_eq!(lines, [2, 2, 2, 4]);
    for input in &r.inputs {
        let len = std::fs::metadata(&input.path).unwrap().len();
        assert_eq!(input.bytes, len, "{}", input.path);
        assert_eq!(input.error, None);
    }
    let c = r.totals.classes;
    assert_eq!(
        (r.totals.lines, c.ok, c.documented, c.malformed),
        (10, 5, 1, 4)
    );
    assert_eq!(
        locations(&r),
        [
            format!("{}:2", one.display()),
            format!("{}:1", two.display()),
            format!("{}:2", a.display()),
            format!("{}:4", b.display()),
        ]
    );
    assert_eq!(r.codes.iter().map(|c| c.count).sum::<u64>(), 1);

    // The same files, each split into one-line chunks on one thread.
    let tiny = analyze_json(&["--chunk-size", "1", "-j", "1"], &[&one, &two, &logs], 0);
    assert_same(&tiny, &r, "one-line chunks, one thread");
}

/// Standard input beside a file: `-` is an input like any other.
#[test]
fn stdin_beside_a_file() {
    let dir = Dir::new();
    let file = dir.write("file.log", gw("/v3/async/x", 200, "-"));
    // Garbage alone has no format to detect: name it, so its lines are malformed.
    let args = [
        "analyze",
        "-o",
        "json",
        "--preset",
        "gateway",
        "--max-malformed",
        "1",
    ];
    let out = run_stdin(
        &[&args[..], &[file.to_str().unwrap(), "-"]].concat(),
        b"garbage\ngarbage\n",
    )
    .expect_code(0);
    let r = out.report();
    assert_eq!(paths(&r), [display(&file), "-".to_string()]);
    assert_eq!(locations(&r), ["-:1", "-:2"]);
}

/// A named pipe given as a path (a FIFO; what `<(zcat …)` and `/dev/stdin` give
/// errscope are pipes too) is read as standard input is: streamed, decompressed
/// when its bytes are gzip's, every line counted, beside a file. It used to be an
/// input error ("Illegal seek"), after its first bytes had been taken.
#[test]
fn named_pipe_is_streamed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 3000, 7);
    let size = std::fs::metadata(&log).unwrap().len();
    let file = dir.write("file.log", gw("/v3/async/x", 200, "-"));
    // The same bytes as two plain files: what the pipe's report must total.
    let want = analyze_json(&["--preset", "gateway"], &[&log, &file], 0);
    let mut cases = vec![("plain", log.clone(), None)];
    cases.extend(gzip_copy(&log, &dir).map(|gz| ("gzip", gz, Some("gzip"))));
    for (label, source, compression) in cases {
        let fifo = dir.path().join(format!("{label}.pipe"));
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
        let data = std::fs::read(&source).unwrap();
        // Opening a FIFO waits for its other end: errscope's open, then this write.
        let pipe = fifo.clone();
        let writer = std::thread::spawn(move || {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&pipe)
                .and_then(|mut w| std::io::Write::write_all(&mut w, &data))
        });
        let r = analyze_json(&["--preset", "gateway"], &[&fifo, &file], 0);
        assert_eq!(paths(&r), [display(&fifo), display(&file)], "{label}");
        let piped = &r.inputs[0];
        assert_eq!(piped.error, None, "{label}");
        assert_eq!(piped.compression.as_deref(), compression, "{label}");
        assert_eq!((piped.lines, piped.bytes), (3000, size), "{label}");
        assert_eq!(r.totals, want.totals, "{label}");
        // Every byte was read, so the writer is done.
        writer.join().unwrap().expect("write the pipe");
    }
}

#[test]
fn stdin_only_once() {
    let out = run_stdin(&["analyze", "-", "-"], b"").expect_code(2);
    assert!(
        out.stderr
            .contains("`-` (standard input) can be given only once"),
        "{}",
        out.stderr
    );
}

/// A missing file among good ones: exit 2, stderr names it, the good files are
/// still counted and the report lists the missing one with its error.
#[test]
fn missing_file_among_good_ones() {
    let dir = Dir::new();
    let good = dir.write("good.log", gw("/v3/async/x", 200, "-").repeat(3));
    let missing = dir.path().join("missing.log");
    let sample = fixture("sample.log");

    let out = run(&os(&[&"analyze", &"-o", &"json", &good, &missing, &sample])).expect_code(2);
    assert!(
        out.stderr
            .contains(&format!("{}: No such file", missing.display())),
        "{}",
        out.stderr
    );
    let r = out.report();
    assert_eq!(r.totals.lines, 253);
    let bad = r
        .inputs
        .iter()
        .find(|i| i.path == display(&missing))
        .unwrap();
    assert_eq!((bad.lines, bad.bytes, bad.format.as_deref()), (0, 0, None));
    assert!(bad.error.as_deref().unwrap().contains("No such file"));

    // The text report is still written, and the exit status is still 2.
    let text = run(&os(&[&"analyze", &good, &missing])).expect_code(2);
    assert!(text.stdout.contains("Findings"));
    assert!(text.stdout.contains("missing.log"));
}

/// The exit status 2 for an unreadable input wins over `--fail-on`'s 1.
#[test]
fn input_error_wins_over_findings() {
    let dir = Dir::new();
    let missing = dir.path().join("missing.log");
    let r = analyze_code(
        &["--fail-on", "malformed"],
        &[&fixture("sample.log"), &missing],
        2,
    );
    assert_eq!(r.totals.classes.malformed, 10);
}

#[test]
fn empty_directory() {
    let dir = Dir::new();
    let empty = dir.mkdir("empty");
    dir.write("empty/.only-hidden", "garbage\n");
    let out = run(&os(&[&"analyze", &"-o", &"json", &empty])).expect_code(2);
    let message = format!("{}: directory holds no log files", empty.display());
    assert!(out.stderr.contains(&message), "{}", out.stderr);
    // Nothing could be read: no report.
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains("no input could be read"),
        "{}",
        out.stderr
    );
}

/// Inputs that cannot be read, whoever runs the tests (root reads a file of mode
/// 000, and CI runs as root): a Unix socket at the path, which `open` refuses with
/// ENXIO, and a file whose read fails with EIO (`/proc/self/mem`, whose first page
/// is never mapped). Each: exit 2, the path and the reason on stderr and in the
/// report, and the other input still read and counted.
#[test]
fn unreadable_inputs() {
    let dir = Dir::new();
    let socket = dir.path().join("socket.log");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind a socket");
    let good = dir.write("good.log", gw("/v3/async/x", 200, "-"));
    for (bad, reason) in [
        (socket.as_path(), "No such device or address (os error 6)"),
        (
            Path::new("/proc/self/mem"),
            "Input/output error (os error 5)",
        ),
    ] {
        let out = run(&os(&[&"analyze", &"-o", &"json", &bad, &good])).expect_code(2);
        let message = format!("{}: {reason}", display(bad));
        assert!(
            out.stderr.contains(&format!("errscope: {message}\n")),
            "{}",
            out.stderr
        );
        let r = out.report();
        assert_eq!(paths(&r), [display(bad), display(&good)]);
        assert_eq!(r.inputs[0].error.as_deref(), Some(message.as_str()));
        assert_eq!((r.inputs[0].lines, r.inputs[0].bytes), (0, 0));
        assert_eq!(r.inputs[1].error, None);
        assert_eq!((r.inputs[1].lines, r.totals.lines), (1, 1));
    }
}

/// A path under a regular file ("not a directory") is an input error like a
/// missing file, whoever runs the tests.
#[test]
fn path_under_a_file() {
    let dir = Dir::new();
    let file = dir.write("file.log", gw("/v3/async/x", 200, "-"));
    let bogus = file.join("x.log");
    let r = analyze_code::<&str>(&[], &[&bogus, &file], 2);
    assert_eq!(r.totals.lines, 1);
    assert!(r
        .inputs
        .iter()
        .any(|i| i.path == display(&bogus) && i.error.is_some()));
}

/// A gzip file cut short: exit 2 naming it, and every line before the cut is
/// counted, exactly as if the recovered text had been given as a plain file,
/// whatever the chunk size.
#[test]
fn truncated_gzip_counts_what_was_read() {
    let dir = Dir::new();
    let (log, _) = dir.generate("gateway", 20_000, 5);
    let Some(gz) = gzip_copy(&log, &dir) else {
        return;
    };
    let bytes = std::fs::read(&gz).unwrap();
    let cut = dir.write("cut.log.gz", &bytes[..bytes.len() * 9 / 10]);
    // What a decompressor recovers from the cut file.
    let recovered = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(&cut)
        .output()
        .unwrap()
        .stdout;
    let prefix = dir.write("prefix.log", &recovered);
    let want = analyze_json::<&str>(&[], &[&prefix], 0);

    for chunk in ["4MiB", "1000", "1"] {
        let args = os(&[&"analyze", &"-o", &"json", &"--chunk-size", &chunk, &cut]);
        let out = run(&args).expect_code(2);
        assert!(out.stderr.contains(&display(&cut)), "{}", out.stderr);
        let r = out.report();
        assert!(r.inputs[0].error.is_some());
        assert_eq!(r.inputs[0].bytes, recovered.len() as u64, "chunk {chunk}");
        assert_eq!(r.totals.classes, want.totals.classes, "chunk {chunk}");
    }
}

/// `-` with a terminal for standard input says that it waits for lines typed there
/// (else it would seem to hang); with `-q`, or with stdin piped, it says nothing.
/// The terminal is a pseudo-terminal from util-linux's `script`, which passes its
/// own input on: the Ctrl-D given to it ends errscope's input.
#[test]
fn stdin_from_a_terminal_says_so() {
    const HINT: &str = "reading the log from the terminal";
    // Debian ships util-linux's `script` in bsdutils.
    let Some(script) = crate::util::tool("script", "bsdutils") else {
        return;
    };
    let in_terminal = |flags: &str| {
        let command = format!("'{}' analyze {flags} -", env!("CARGO_BIN_EXE_errscope"));
        let mut cmd = Command::new(&script);
        cmd.args(["-qec", &command, "/dev/null"]);
        run_command(cmd, Some(b"\x04"))
    };
    let out = in_terminal("-o json");
    let shown = &out.stdout;
    assert_eq!(out.code, 0, "{shown}");
    assert!(shown.contains(HINT), "{shown}");
    assert!(shown.contains("\"schema\": \"errscope-report\""), "{shown}");
    let quiet = in_terminal("-q -o json");
    assert!(!quiet.stdout.contains(HINT), "{}", quiet.stdout);
    let piped = run_stdin(&["analyze", "-o", "json", "-"], b"");
    assert!(!piped.stderr.contains(HINT), "{}", piped.stderr);
}

/// Past ten inputs, the formats auto-detection told are summed up in one line on
/// stderr (thousands of hourly files would otherwise print a line each); `-v` lists
/// every input, `-q` none.
#[test]
fn many_inputs_sum_up_their_formats() {
    let dir = Dir::new();
    let (text, _) = dir.generate("gateway", 120, 4);
    let (json, _) = dir.generate("json", 20, 5);
    let logs = dir.mkdir("logs");
    let lines: Vec<String> = std::fs::read(&text)
        .unwrap()
        .split_inclusive(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect();
    for (n, part) in lines.chunks(10).enumerate() {
        std::fs::write(logs.join(format!("h{n:02}.log")), part.concat()).unwrap();
    }
    std::fs::copy(&json, logs.join("z.jsonl")).unwrap();
    let out = run(&os(&[&"analyze", &"-o", &"json", &logs])).expect_code(0);
    assert_eq!(out.report().inputs.len(), 13);
    let said: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        said,
        [
            "errscope: 13 inputs, formats told from their first lines: json 1, nginx:gateway 12 \
          (-v: a line per input)"
        ],
        "{}",
        out.stderr
    );
    let out = run(&os(&[&"analyze", &"-v", &"-o", &"json", &logs])).expect_code(0);
    assert_eq!(out.stderr.lines().count(), 13, "{}", out.stderr);
    assert!(
        out.stderr.contains("z.jsonl: format json ("),
        "{}",
        out.stderr
    );
    let out = run(&os(&[&"analyze", &"-q", &"-o", &"json", &logs])).expect_code(0);
    assert_eq!(out.stderr, "");
}
