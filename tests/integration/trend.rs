//! `errscope trend`: a week of generated nights, one per date, side by side in every
//! format, each code's counts per night exactly those of its night's report.

use std::path::PathBuf;

use errscope::report::trend::Trend;

use crate::util::{os, run, tool, Dir};

/// Seven nights (`--day 0..6`), each analyzed into `night<N>.json` in a directory
/// of their own; given in reverse so that the order must come from their times.
fn week(dir: &Dir) -> (PathBuf, Vec<errscope::report::Report>) {
    let reports = dir.mkdir("reports");
    let mut parsed = Vec::new();
    for day in (0..7).rev() {
        let log = dir.path().join(format!("n{day}.log"));
        let (lines, seed, day_s) = ("2000".to_string(), (day + 1).to_string(), day.to_string());
        run(&os(&[
            &"generate",
            &"--lines",
            &lines,
            &"--seed",
            &seed,
            &"--day",
            &day_s,
            &"-O",
            &log,
        ]))
        .expect_code(0);
        let json = reports.join(format!("night{day}.json"));
        run(&os(&[
            &"analyze",
            &"-q",
            &"-o",
            &"json",
            &"--output-file",
            &json,
            &log,
        ]))
        .expect_code(0);
        parsed.push(errscope::report::diff::load_report(&json).unwrap());
    }
    parsed.reverse();
    (reports, parsed)
}

#[test]
fn a_week_night_by_night() {
    let dir = Dir::new();
    let (reports, nights) = week(&dir);
    let out = run(&os(&[&"trend", &"-o", &"json", &reports])).expect_code(0);
    let t: Trend = serde_json::from_str(&out.stdout).unwrap();
    let labels: Vec<&str> = t.nights.iter().map(|n| n.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "2026-11-25",
            "2026-11-26",
            "2026-11-27",
            "2026-11-28",
            "2026-11-29",
            "2026-11-30",
            "2026-12-01"
        ]
    );
    for (night, r) in t.nights.iter().zip(&nights) {
        assert_eq!(
            (night.lines, night.requests, night.errors),
            (r.totals.lines, r.totals.requests, r.totals.errors)
        );
        assert_eq!(night.classes, r.totals.classes);
    }
    // Every code seen on some night, with that night's count (0 where absent).
    let seen: usize = {
        let mut keys: Vec<(String, String)> = nights
            .iter()
            .flat_map(|r| {
                r.codes
                    .iter()
                    .filter(|c| c.count > 0)
                    .map(|c| (c.section.clone(), c.name.clone()))
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    assert_eq!(t.codes.len(), seen);
    for s in &t.codes {
        for (i, r) in nights.iter().enumerate() {
            let count = r
                .codes
                .iter()
                .find(|c| Some(&c.section) == s.section.as_ref() && c.name == s.name)
                .map_or(0, |c| c.count);
            assert_eq!(s.counts[i], count, "{} night {i}", s.name);
            // JSON numbers read back within the last digit.
            let rate = count as f64 / r.totals.requests as f64;
            assert!(
                (s.rates[i] - rate).abs() <= rate * 1e-15,
                "{} {rate}",
                s.rates[i]
            );
        }
    }
    // Worst movers first.
    assert!(t.codes.windows(2).all(|w| w[0].score >= w[1].score));
    for s in &t.undocumented {
        for (i, r) in nights.iter().enumerate() {
            let count = r
                .undocumented
                .iter()
                .find(|u| u.name == s.name)
                .map_or(0, |u| u.count);
            assert_eq!(s.counts[i], count);
        }
    }

    // The other formats say the same.
    let text = run(&os(&[&"trend", &reports])).expect_code(0).stdout;
    assert!(
        text.starts_with("errscope trend: 7 nights, 2026-11-25 .. 2026-12-01"),
        "{text}"
    );
    let top = &t.codes[0];
    let row = text
        .lines()
        .find(|l| {
            l.contains(&format!(
                "{} {} {}",
                top.section.as_deref().unwrap(),
                top.name,
                top.status.unwrap()
            ))
        })
        .unwrap();
    assert!(
        row.contains(&errscope::report::trend::render::sparkline(&top.counts)),
        "{row}"
    );
    let csv = run(&os(&[&"trend", &"-o", &"csv", &reports]))
        .expect_code(0)
        .stdout;
    let rows = csv.lines().count() - 1;
    assert_eq!(rows, (t.codes.len() + t.undocumented.len()) * 7);
    let markdown = run(&os(&[&"trend", &"-o", &"markdown", &reports]))
        .expect_code(0)
        .stdout;
    assert!(markdown.contains("#### Nights"), "{markdown}");
    let html = run(&os(&[&"trend", &"-o", &"html", &reports]))
        .expect_code(0)
        .stdout;
    assert!(html.contains("id=\"error-rate\"") && html.contains("<polyline"));
    assert!(!html.contains("<script"), "self-contained, no scripts");
    if let Some(chromium) = tool("chromium", "chromium") {
        let page = dir.write("trend.html", &html);
        let shot = dir.path().join("trend.png");
        let status = std::process::Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("chromium").display()
            ))
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1100,1400")
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert!(
            std::fs::metadata(&shot).unwrap().len() > 10_000,
            "a page was drawn"
        );
    }
}

#[test]
fn names_new_and_gone_and_bad_input() {
    let dir = Dir::new();
    let line = |day: u32, name: &str| {
        format!(
            "203.0.113.7 - - [{day:02}/Nov/2026:10:00:00 +0800] \"GET /v3/async/x HTTP/1.1\" 429 0 \"-\" \"c\" 0.1 \"{name}\"\n"
        )
    };
    let mut jsons = Vec::new();
    for (day, names) in [(20, ["OLD_ONE", "STAYS"]), (21, ["STAYS", "NEW_ONE"])] {
        let text: String = names.iter().map(|n| line(day, n)).collect();
        let log = dir.write(&format!("d{day}.log"), text);
        let json = dir.path().join(format!("d{day}.json"));
        run(&os(&[
            &"analyze",
            &"-q",
            &"-o",
            &"json",
            &"--output-file",
            &json,
            &log,
        ]))
        .expect_code(0);
        jsons.push(json);
    }
    let out = run(&os(&[&"trend", &"-o", &"json", &jsons[1], &jsons[0]])).expect_code(0);
    let t: Trend = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(t.nights[1].new_names, ["NEW_ONE"]);
    assert_eq!(t.nights[1].gone_names, ["OLD_ONE"]);
    let text = run(&os(&[&"trend", &jsons[0], &jsons[1]]))
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("2026-11-21: new NEW_ONE; gone OLD_ONE"),
        "{text}"
    );
    // One report is not a trend; a file that is not a report is refused.
    let out = run(&os(&[&"trend", &jsons[0]])).expect_code(2);
    assert!(out.stderr.contains("at least two"), "{}", out.stderr);
    let log = dir.path().join("d20.log");
    let out = run(&os(&[&"trend", &jsons[0], &log])).expect_code(2);
    assert!(
        out.stderr.contains("not an errscope JSON report"),
        "{}",
        out.stderr
    );
    let out = run(&os(&[
        &"trend",
        &"-o",
        &"openmetrics",
        &jsons[0],
        &jsons[1],
    ]))
    .expect_code(2);
    assert!(
        out.stderr.contains("not available for `errscope trend`"),
        "{}",
        out.stderr
    );
}
