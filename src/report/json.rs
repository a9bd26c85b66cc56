//! `-o json`: the report as pretty JSON, one trailing newline.

use std::io::{self, Write};

use super::Report;

/// Write `report` as pretty JSON.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
