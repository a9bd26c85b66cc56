//! `-o html`: the page made for a generated day of logs is small and self-contained,
//! and renders in a real browser. The browser tests run headless Chromium
//! (`/usr/bin/chromium`, Debian's `chromium` package, which CI installs) and are
//! skipped with a message when it is not installed.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{os, run, Dir};

/// What a browser must find on the page: element ids and headings.
const IDS: &[&str] = &[
    "summary",
    "timeline",
    "chart-requests",
    "chart-errors",
    "top-codes",
    "findings",
    "undocumented",
    "status-mismatches",
    "wrong-section",
    "codes",
    "codes-media",
    "codes-llm",
    "codes-billing",
    "never-seen",
    "unnamed",
    "malformed",
    "endpoints",
    "inputs",
];
const HEADINGS: &[&str] = &[
    "errscope report",
    "Requests and errors over time",
    "Top error codes",
    "Undocumented names",
    "Status mismatches",
    "Names from another section",
    "Catalog codes by section",
    "Catalog codes never seen",
    "Errors without a name",
    "Malformed lines",
];

/// `errscope generate` a day of `lines` lines, then `analyze -o html extra…` it into
/// `report.html` in `dir`.
fn html_report(dir: &Dir, lines: u64, extra: &[&str]) -> PathBuf {
    let (log, _) = dir.generate("gateway", lines, 5);
    let mut args: Vec<OsString> = os(&[&"analyze", &"-o", &"html"]);
    args.extend(extra.iter().map(OsString::from));
    args.push(log.into_os_string());
    let out = run(&args).expect_code(0);
    let path = dir.path().join("report.html");
    std::fs::write(&path, &out.stdout).expect("write the report");
    path
}

/// Whether Chromium is installed: when it is not, the test fails under CI and is
/// skipped elsewhere (see [`crate::util::tool`]).
pub(crate) fn have_chromium() -> bool {
    crate::util::tool("chromium", "chromium").is_some()
}

/// What one headless Chromium run wrote.
pub(crate) struct Browser {
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Run headless Chromium on `url` with `extra` flags in a fresh profile, killed
/// after two minutes.
pub(crate) fn chromium(dir: &Dir, name: &str, extra: &[OsString], url: &Path) -> Browser {
    let profile = dir.mkdir(&format!("profile-{name}"));
    let stdout_path = dir.path().join(format!("{name}.stdout"));
    let stderr_path = dir.path().join(format!("{name}.stderr"));
    let mut profile_flag = OsString::from("--user-data-dir=");
    profile_flag.push(&profile);
    let mut url_arg = OsString::from("file://");
    url_arg.push(url);
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(profile_flag)
        .args(extra)
        .arg(url_arg)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("create stdout file"))
        .stderr(File::create(&stderr_path).expect("create stderr file"))
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium ({name}) did not finish within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let read =
        |p: &Path| String::from_utf8_lossy(&std::fs::read(p).expect("read output")).into_owned();
    let browser = Browser {
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    };
    assert!(
        status.success(),
        "chromium ({name}): {status}\n{}",
        browser.stderr
    );
    browser
}

/// The page loaded without console messages: no blocked load, no script.
#[track_caller]
pub(crate) fn no_console_messages(b: &Browser) {
    let console: Vec<&str> = b.stderr.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
}

/// Take a screenshot of `html` at `width`; return the PNG's (width, size in bytes).
fn screenshot(dir: &Dir, html: &Path, width: u32) -> (u32, usize) {
    let png = dir.path().join(format!("report-{width}.png"));
    let mut shot = OsString::from("--screenshot=");
    shot.push(&png);
    let b = chromium(
        dir,
        &format!("shot-{width}"),
        &[format!("--window-size={width},2000").into(), shot],
        html,
    );
    no_console_messages(&b);
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&bytes[12..16], b"IHDR", "PNG header");
    let png_width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    (png_width, bytes.len())
}

#[test]
fn html_report_is_self_contained_and_small() {
    let dir = Dir::new();
    // A day of 100,000 lines, with the default bucket of -o html.
    let html = std::fs::read_to_string(html_report(&dir, 100_000, &[])).unwrap();
    assert!(html.len() < 1 << 20, "{} bytes", html.len());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    for needle in [
        "<script", "<link", "<img", "src=", "url(", "@import", "http:", "https:",
    ] {
        assert!(!html.contains(needle), "{needle} in the page");
    }
    for id in IDS {
        assert!(html.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    // The default bucket gives every code a sparkline.
    assert!(html.contains("class=\"spark\""));
}

#[test]
fn html_report_renders_in_chromium() {
    if !have_chromium() {
        return;
    }
    let dir = Dir::new();
    let html = html_report(&dir, 20_000, &["--bucket", "10m"]);

    let dom = chromium(&dir, "dom", &["--dump-dom".into()], &html);
    no_console_messages(&dom);
    for id in IDS {
        assert!(
            dom.stdout.contains(&format!("id=\"{id}\"")),
            "no #{id} in the DOM"
        );
    }
    for heading in HEADINGS {
        assert!(
            dom.stdout.contains(heading),
            "no heading {heading:?} in the DOM"
        );
    }

    let (width, size) = screenshot(&dir, &html, 1280);
    assert_eq!(width, 1280);
    assert!(
        size > 50_000,
        "a screenshot of {size} bytes is nearly blank"
    );
    let (width, size) = screenshot(&dir, &html, 390);
    assert_eq!(width, 390);
    assert!(
        size > 20_000,
        "a screenshot of {size} bytes is nearly blank"
    );
}

/// A page that shows the report in iframes of phone widths and writes, per width,
/// the report's scroll width, its viewport width and the resources it loaded.
fn harness(report: &str) -> String {
    let srcdoc = report.replace('&', "&amp;").replace('"', "&quot;");
    let frames: String = [390, 320]
        .iter()
        .map(|w| {
            format!(
                "<iframe id=\"w{w}\" style=\"width:{w}px;height:900px;border:0\" srcdoc=\"{srcdoc}\"></iframe>\n"
            )
        })
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n<pre id=\"result\">pending</pre>\n{frames}<script>\n\
         window.addEventListener('load', function () {{\n\
           var rows = [];\n\
           document.querySelectorAll('iframe').forEach(function (f) {{\n\
             var e = f.contentDocument.documentElement;\n\
             var loaded = f.contentWindow.performance.getEntriesByType('resource').length;\n\
             rows.push(f.id + ' ' + e.scrollWidth + ' ' + e.clientWidth + ' ' + loaded);\n\
           }});\n\
           document.getElementById('result').textContent = rows.join(';');\n\
         }});\n</script></body></html>\n"
    )
}

#[test]
fn html_report_fits_phone_widths() {
    if !have_chromium() {
        return;
    }
    let dir = Dir::new();
    let html = html_report(&dir, 20_000, &["--bucket", "10m"]);
    let report = std::fs::read_to_string(&html).unwrap();
    let page = dir.write("harness.html", harness(&report));
    let b = chromium(&dir, "phone", &["--dump-dom".into()], &page);
    let result = b
        .stdout
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|r| r.split("</pre>").next())
        .expect("the harness result");
    assert_ne!(result, "pending", "the harness did not run");
    for row in result.split(';') {
        let fields: Vec<&str> = row.split(' ').collect();
        let [frame, scroll, client, loaded] = fields[..] else {
            panic!("harness row {row:?}");
        };
        let (scroll, client): (u32, u32) = (scroll.parse().unwrap(), client.parse().unwrap());
        assert!(
            scroll <= client,
            "{frame}: the page is {scroll} px wide in a {client} px viewport"
        );
        assert_eq!(loaded, "0", "{frame}: the report loaded resources");
    }
}
