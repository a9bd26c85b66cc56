//! `errscope catalog -o text`: the catalog as one aligned table per section.

use std::io::{self, Write};

use super::table::{Align, Table};
use crate::catalog::Catalog;

pub fn render(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "catalog {}: {} sections, {} names",
        catalog.source(),
        catalog.sections().len(),
        catalog.name_count()
    )?;
    for section in catalog.sections() {
        writeln!(out)?;
        writeln!(
            out,
            "{} ({}): {} entries",
            section.id,
            section.title,
            section.entries.len()
        )?;
        let mut table = Table::new(&[
            ("name", Align::Left),
            ("status", Align::Right),
            ("description", Align::Left),
        ]);
        for e in &section.entries {
            table.row(vec![
                e.name.clone(),
                e.status.to_string(),
                e.description.clone(),
            ]);
        }
        table.render(out, 2)?;
    }
    Ok(())
}
