//! Benchmark builds: the cargo features `stage-lines` and `stage-parse` make a build
//! whose pipeline stops early, so that `STAGES=1 benches/throughput.sh` can time what
//! the stages cost alone beside the full run (docs/performance.md, "Stages"):
//!
//! - `stage-lines`: each line is found (the line index for nginx's own layouts, the
//!   structural index for JSON lines, which classifies every byte on the way,
//!   `memchr` for the others), and nothing more is done with it;
//! - `stage-parse`: each line is also parsed into its fields, and not classified.
//!
//! Their reports are wrong on purpose, and say so: `--version` ([`VERSION`]) and
//! every report (`build` in the JSON report, from [`NOTE`]; the first line of the
//! text report; a line of the Markdown and HTML reports, a `benchmark_build` row of
//! the CSV). Every other build has neither feature: [`STOP_AFTER`] is then
//! [`Stage::Classify`], a constant whose checks in the line loop compile away, and
//! its reports and `--version` are as they always were.

#[cfg(all(feature = "stage-lines", feature = "stage-parse"))]
compile_error!(
    "the cargo features `stage-lines` and `stage-parse` exclude each other: enable one \
     at most (benches/throughput.sh builds each alone)"
);

/// Where a line's work stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Each line is found, and nothing more is done with it (`stage-lines`).
    Lines,
    /// Each line is found and parsed into its fields, and not classified
    /// (`stage-parse`).
    Parse,
    /// Every line is classified and counted: every build but the benchmark ones.
    Classify,
}

/// This build's stage, from its cargo features.
pub const STOP_AFTER: Stage = if cfg!(feature = "stage-lines") {
    Stage::Lines
} else if cfg!(feature = "stage-parse") {
    Stage::Parse
} else {
    Stage::Classify
};

/// What a benchmark build says of itself; one macro per stage so that [`NOTE`] and
/// [`VERSION`] (which `concat!` needs as a literal) share the words.
macro_rules! lines_note {
    () => {
        "benchmark build: stops after finding lines; its reports are wrong on purpose"
    };
}
macro_rules! parse_note {
    () => {
        "benchmark build: stops after parsing lines; its reports are wrong on purpose"
    };
}

/// What a benchmark build's reports say about it; `None` in every other build.
pub const NOTE: Option<&str> = match STOP_AFTER {
    Stage::Lines => Some(lines_note!()),
    Stage::Parse => Some(parse_note!()),
    Stage::Classify => None,
};

/// The version `--version` prints: the package's, and for a benchmark build the
/// [`NOTE`] in parentheses.
#[cfg(feature = "stage-lines")]
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", lines_note!(), ")");
/// The version `--version` prints: the package's, and for a benchmark build the
/// [`NOTE`] in parentheses.
#[cfg(all(feature = "stage-parse", not(feature = "stage-lines")))]
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", parse_note!(), ")");
/// The version `--version` prints: the package's, and for a benchmark build the
/// [`NOTE`] in parentheses.
#[cfg(not(any(feature = "stage-lines", feature = "stage-parse")))]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{analyze_bytes, Options};
    use crate::catalog::Catalog;
    use crate::classify::routes::Routes;
    use crate::report::{self, Report};

    /// The report of a two-line gateway log, with `build` as given.
    fn report_with(build: Option<&str>) -> Report {
        let catalog = Catalog::embedded();
        let routes = Routes::new(&catalog, &[]).unwrap();
        let log = concat!(
            r#"203.0.113.7 - - [27/Nov/2026:10:00:00 +0800] "POST /v3/async/txt2img HTTP/1.1" 403 98 "-" "curl/8" 0.012 "INVALID_API_KEY""#,
            "\n",
            r#"203.0.113.7 - - [27/Nov/2026:10:00:01 +0800] "GET /v3/openai/models HTTP/1.1" 200 98 "-" "curl/8" 0.003 "-""#,
            "\n",
        );
        let opts = Options {
            format: crate::format::FormatChoice::NginxPreset("gateway".into()),
            ..Options::default()
        };
        let analysis = analyze_bytes("a.log", log.as_bytes(), &catalog, &routes, &opts);
        let mut r = report::build(&analysis, &catalog);
        r.build = build.map(str::to_string);
        r
    }

    fn rendered(
        render: impl Fn(&Report, &mut Vec<u8>) -> std::io::Result<()>,
        r: &Report,
    ) -> String {
        let mut out = Vec::new();
        render(r, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every renderer says that a benchmark build's report is wrong on purpose, up
    /// front; the report of any other build has no trace of it (the JSON has no
    /// `build` key at all).
    #[test]
    fn every_report_of_a_benchmark_build_says_so() {
        let note = "benchmark build: stops after parsing lines; its reports are wrong on purpose";
        let style = report::text::Style {
            top: 10,
            color: false,
        };
        for build in [None, Some(note)] {
            let r = report_with(build);
            let text = rendered(|r, out| report::text::render(r, &style, out), &r);
            let json = rendered(|r, out| report::json::render(r, out), &r);
            let markdown = rendered(|r, out| report::markdown::render(r, 10, out), &r);
            let csv = rendered(|r, out| report::csv::render(r, out), &r);
            let html = rendered(|r, out| report::html::render(r, out), &r);
            let back: Report = serde_json::from_str(&json).unwrap();
            assert_eq!(back, r);
            match build {
                None => {
                    assert!(text.starts_with("errscope "), "{text}");
                    assert!(!json.contains("\"build\""), "{json}");
                    for out in [&text, &json, &markdown, &csv, &html] {
                        assert!(!out.contains("benchmark build"), "{out}");
                    }
                }
                Some(note) => {
                    assert_eq!(text.lines().next(), Some(&*format!("! {note}")));
                    assert!(text.lines().nth(1).unwrap().starts_with("errscope "));
                    assert!(json.contains(&format!("\"build\": \"{note}\"")), "{json}");
                    assert_eq!(markdown.lines().next(), Some(&*format!("> **{note}**")));
                    assert_eq!(
                        csv.lines().nth(1),
                        Some(&*format!(",,,benchmark_build,,0,,,,,{note}"))
                    );
                    assert!(html.contains(&format!("<li><b>{note}</b></li>")), "{html}");
                }
            }
        }
    }

    #[test]
    fn a_benchmark_build_says_so_and_no_other_does() {
        match STOP_AFTER {
            Stage::Classify => {
                assert_eq!(NOTE, None);
                assert_eq!(VERSION, env!("CARGO_PKG_VERSION"));
            }
            Stage::Lines | Stage::Parse => {
                let note = NOTE.expect("a benchmark build has a note");
                assert!(note.contains("wrong on purpose"), "{note}");
                assert_eq!(VERSION, format!("{} ({note})", env!("CARGO_PKG_VERSION")));
            }
        }
    }
}
