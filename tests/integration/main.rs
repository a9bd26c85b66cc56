//! Integration tests: run the real `errscope` binary on generated logs, hand-written
//! fixtures and temporary files, and check its JSON reports line for line.
//!
//! - `util`: the harness (run the binary, temp files, report invariants, strategies)
//! - `truth`: generated logs against the generator's ground truth
//! - `strategies`: mmap, chunk sizes, threads, stdin and gzip give the same report
//! - `cases`: one fixture file per classification case, `fixtures/cases/`
//! - `edge`: byte-level edges (CRLF, no final newline, binary, empty, long lines)
//! - `inputs`: several files, directories, missing and unreadable paths
//! - `fail_on`: `--fail-on` exit codes
//! - `formats`: log formats, presets, `--log-format`, `--field`, auto detection
//! - `html`: `-o html`, rendered in headless Chromium when it is installed
//! - `catalog`: the `catalog` command, JSON round trip, custom and broken pages
//! - `properties`: proptest over parsers, chunking and accounting
//! - `presets`: every gateway preset on its documented example, auto-detection
//! - `envelopes`: CRI, Docker, compose and syslog envelopes, other lines, continued lines
//! - `rotation`: rotated gzip/zstd files, globs, `-r`, archives that end early
//! - `hostile`: hostile content, secrets, broken catalogs, live files, Ctrl-C
//! - `text`: the terminal report: 100 columns, colors, escaped log content
//! - `time`: `--since`/`--until`, `--bucket`, unreadable times, endpoints
//! - `reports`: `-o markdown`, `-o csv` (parsed back), atomic `--output-file`
//! - `renderers`: text, Markdown, CSV and HTML (in Chromium) show the JSON report's numbers
//! - `diff`: `errscope diff` and `analyze --baseline` on generated nights
//! - `trend`: `errscope trend` over a week of generated nights, in every format
//! - `lint`: `errscope catalog lint` on the embedded and hand-written pages
//! - `metrics`: `-o openmetrics` against the JSON report, promtool and a real Pushgateway
//! - `completions`: `errscope completions SHELL` in a real bash, `errscope man` through `man -l`
//! - `merge`: `-o partial`, `errscope merge`, `--range` and `--stdin-offset`: merged equals one run
//! - `spark`: the Spark job in local mode against one `analyze` run
//! - `state`: `analyze --state` through appends, rotation, later compression, copytruncate
//! - `layers`: the library never imports the command layer (read from the sources)
//! - `unattended`: runs nobody watches: nothing read, empty, incomplete, why `--fail-on` failed

mod util;

mod cases;
mod catalog;
mod completions;
mod diff;
mod edge;
mod envelopes;
mod fail_on;
mod formats;
mod hostile;
mod html;
mod inputs;
mod layers;
mod lint;
mod merge;
mod metrics;
mod presets;
mod properties;
mod renderers;
mod reports;
mod rotation;
mod spark;
mod state;
mod strategies;
mod text;
mod time;
mod trend;
mod truth;
mod unattended;
