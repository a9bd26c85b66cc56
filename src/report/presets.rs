//! `errscope presets`: the gateway formats errscope reads, as text or JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::format::presets::Preset;

/// `errscope presets`: each preset with its definition, an example line and its docs.
pub fn render_text(presets: &[Preset], out: &mut dyn Write) -> io::Result<()> {
    for p in presets {
        let aliases = if p.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also {})", p.aliases.join(", "))
        };
        writeln!(out, "{}{aliases}", p.name)?;
        writeln!(out, "  {}", p.description)?;
        writeln!(out, "  format:  {}", p.definition)?;
        writeln!(out, "  example: {}", p.example)?;
        writeln!(out, "  docs:    {}", p.source)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "Use one with `errscope analyze --preset NAME`; without it, --format auto recognizes them."
    )
}

#[derive(Serialize)]
struct PresetRow<'a> {
    name: &'a str,
    aliases: &'a [&'a str],
    description: &'a str,
    format: &'a str,
    example: &'a str,
    source: &'a str,
}

/// `errscope presets -o json`: the same as an array of objects.
pub fn render_json(presets: &[Preset], out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<PresetRow> = presets
        .iter()
        .map(|p| PresetRow {
            name: p.name,
            aliases: p.aliases,
            description: p.description,
            format: p.definition,
            example: p.example,
            source: p.source,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &rows)?;
    out.write_all(b"\n")
}
