//! `errscope generate`: a generated log and its ground truth written where the flags
//! say ([`crate::generate`] makes them), both files replaced atomically.

use std::io::{self, BufWriter, Write};

use super::app::Outcome;
use super::cli::GenerateArgs;
use super::output::write_atomically;
use crate::error::{Error, Result};
use crate::generate::Generator;

/// `errscope generate`.
pub fn run(args: &GenerateArgs, stdout: &mut dyn Write) -> Result<Outcome> {
    let expected_lines = args.bytes.map_or(args.lines, |b| b as u64 / 200);
    let mut generator = Generator::new(args.format, args.seed, expected_lines)
        .starting_on_day(args.day)
        .in_envelope(args.envelope);
    let write_all = |out: &mut dyn Write, g: &mut Generator| -> io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        match args.bytes {
            Some(target) => {
                let mut counter = CountingWriter {
                    inner: &mut out,
                    count: 0,
                };
                while counter.count < target as u64 {
                    g.write_line(&mut counter)?;
                }
            }
            None => {
                for _ in 0..args.lines {
                    g.write_line(&mut out)?;
                }
            }
        }
        out.flush()
    };
    // `-O` was taken by `app::run`, which gives `stdout` as a temporary file renamed
    // over the log when this returns Ok. The truth is replaced the same way, before
    // that: a run that fails leaves both files as they were.
    write_all(stdout, &mut generator).map_err(Error::Output)?;
    if let Some(path) = &args.truth {
        let json = serde_json::to_string_pretty(&generator.truth).expect("truth serializes");
        write_atomically(path, |out| {
            out.write_all(json.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(Error::Output)
        })?;
    }
    Ok(Outcome::Clean)
}

struct CountingWriter<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
