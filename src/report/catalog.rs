//! `errscope catalog -o text`: the catalog as one aligned table per section.

use std::io::{self, Write};

use super::table::{Align, Table};
use crate::catalog::Catalog;

/// `3 sections, 38 entries, 35 names`: the catalog's size, said the same way by
/// `catalog` and every report (a name listed in two sections is two entries and
/// one name).
pub fn size(sections: usize, entries: usize, names: usize) -> String {
    format!("{sections} sections, {entries} entries, {names} names")
}

/// `errscope catalog`: one table per section.
pub fn render(catalog: &Catalog, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "catalog {}: {}",
        catalog.source(),
        size(
            catalog.sections().len(),
            catalog.sections().iter().map(|s| s.entries.len()).sum(),
            catalog.name_count()
        )
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
