//! A progress line on standard error for long runs: bytes done, rate and time left.
//! Shown only on a terminal, only after the first second, and never with `--quiet`,
//! so pipes, cron mail and short runs stay clean.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::analyze::progress::Progress;
use crate::report::table::thousands;

/// Redraws the progress line until [`ProgressLine::finish`].
pub struct ProgressLine {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// Start the progress line when standard error is a terminal; `None` otherwise.
pub fn start(progress: Arc<Progress>) -> Option<ProgressLine> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        let started = Instant::now();
        let mut drawn = false;
        while !stopped.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let elapsed = started.elapsed();
            if elapsed < Duration::from_secs(1) || stopped.load(Ordering::Relaxed) {
                continue;
            }
            let (done, total) = progress.snapshot();
            eprint!("\r\x1b[2K{}", line(done, total, elapsed));
            let _ = std::io::stderr().flush();
            drawn = true;
        }
        if drawn {
            eprint!("\r\x1b[2K");
        }
    });
    Some(ProgressLine { stop, thread })
}

impl ProgressLine {
    /// Stop drawing and clear the line.
    pub fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// `[#########-----------]  45%  1.2 GB of 2.7 GB  310 MB/s  ETA 5s`
fn line(done: u64, total: u64, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
    if total == 0 || done > total {
        return format!("errscope: {} read, {}/s", size(done), size(rate as u64));
    }
    const WIDTH: usize = 24;
    let filled = (done as f64 / total as f64 * WIDTH as f64) as usize;
    let eta = if rate > 0.0 {
        format!("ETA {}s", ((total - done) as f64 / rate).ceil() as u64)
    } else {
        String::new()
    };
    format!(
        "errscope: [{}{}] {:>3}%  {} of {}  {}/s  {eta}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        done * 100 / total,
        size(done),
        size(total),
        size(rate as u64),
    )
}

fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{} B", thousands(bytes));
    }
    let mut v = bytes as f64;
    for unit in UNITS {
        v /= 1000.0;
        if v < 1000.0 {
            return format!("{v:.1} {unit}");
        }
    }
    format!("{v:.1} PB")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_well() {
        let s = line(450_000_000, 1_000_000_000, Duration::from_secs(2));
        assert_eq!(
            s,
            "errscope: [##########--------------]  45%  450.0 MB of 1.0 GB  225.0 MB/s  ETA 3s"
        );
        assert_eq!(
            line(5_000, 0, Duration::from_secs(1)),
            "errscope: 5.0 KB read, 5.0 KB/s"
        );
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500_000_000_000), "1.5 TB");
    }
}
