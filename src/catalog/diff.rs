//! `errscope catalog diff OLD NEW`: what changed between two versions of the error
//! page, for the docs maintainers and for a CI job that watches the page.
//!
//! Entries are keyed by (section id, name). A name that left some sections and
//! appeared in others is *moved* (and not also added and removed); otherwise an entry
//! only in NEW is *added*, only in OLD *removed*; the same entry with another status
//! is a *status change*, with another description a *description change*. Sections
//! are compared by id.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::Catalog;
use crate::report::table::{escape_control, Align, Table};

/// `schema` of `catalog diff -o json`.
pub const SCHEMA: &str = "errscope-catalog-diff";
/// Bumped on any change a consumer could notice (renamed or removed fields).
pub const VERSION: u32 = 1;

/// What changed from one catalog to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogDiff {
    /// Always `errscope-catalog-diff`.
    pub schema: String,
    /// The schema's version: 1.
    pub version: u32,
    /// The catalog compared from.
    pub old: Side,
    /// The catalog compared to.
    pub new: Side,
    /// Section ids only in NEW.
    pub sections_added: Vec<String>,
    /// Section ids only in OLD.
    pub sections_removed: Vec<String>,
    /// Entries only in NEW (names that moved are not here).
    pub added: Vec<Entry>,
    /// Entries only in OLD (names that moved are not here).
    pub removed: Vec<Entry>,
    /// The same (section, name) with another status.
    pub status_changed: Vec<StatusChange>,
    /// Names that left some sections and appeared in others.
    pub moved: Vec<Move>,
    /// The same (section, name) with another description.
    pub description_changed: Vec<DescriptionChange>,
}

/// One catalog, summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Side {
    /// `embedded` or the path given.
    pub source: String,
    /// Sections.
    pub sections: usize,
    /// Rows of the tables (a name in two sections counts twice).
    pub entries: usize,
    /// Distinct names.
    pub names: usize,
}

/// An entry as the page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The documented status.
    pub status: u16,
    /// The description, as the page writes it.
    pub description: String,
}

/// A (section, name) whose documented status changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// The status OLD documents.
    pub old_status: u16,
    /// The status NEW documents.
    pub new_status: u16,
}

/// A name's sections before and after: section id -> status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Move {
    /// The error name.
    pub name: String,
    /// Sections that listed it in OLD and no longer do.
    pub from: BTreeMap<String, u16>,
    /// Sections that list it in NEW and did not.
    pub to: BTreeMap<String, u16>,
}

/// A (section, name) whose description changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptionChange {
    /// The section id.
    pub section: String,
    /// The error name.
    pub name: String,
    /// OLD's description.
    pub old: String,
    /// NEW's description.
    pub new: String,
}

impl CatalogDiff {
    /// Whether anything at all changed (the exit status 1 of `catalog diff`).
    pub fn changed(&self) -> bool {
        !(self.sections_added.is_empty()
            && self.sections_removed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.status_changed.is_empty()
            && self.moved.is_empty()
            && self.description_changed.is_empty())
    }

    /// `2 added, 1 moved` or `no changes`.
    pub fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.sections_added.len(), "section added", "sections added"),
            (
                self.sections_removed.len(),
                "section removed",
                "sections removed",
            ),
            (self.added.len(), "entry added", "entries added"),
            (self.removed.len(), "entry removed", "entries removed"),
            (
                self.status_changed.len(),
                "status changed",
                "statuses changed",
            ),
            (self.moved.len(), "name moved", "names moved"),
            (
                self.description_changed.len(),
                "description changed",
                "descriptions changed",
            ),
        ]
        .iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
        .collect();
        if parts.is_empty() {
            "no changes".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// (section, name) -> (status, description), in the catalog's order.
type Entries<'a> = BTreeMap<(&'a str, &'a str), (u16, &'a str)>;

fn entries(c: &Catalog) -> Entries<'_> {
    let mut out = BTreeMap::new();
    for s in c.sections() {
        for e in &s.entries {
            // The first row of a name in a section is the one errscope uses.
            out.entry((s.id.as_str(), e.name.as_str()))
                .or_insert((e.status, e.description.as_str()));
        }
    }
    out
}

fn side(c: &Catalog) -> Side {
    Side {
        source: c.source().to_string(),
        sections: c.sections().len(),
        entries: c.sections().iter().map(|s| s.entries.len()).sum(),
        names: c.name_count(),
    }
}

/// Compare `old` with `new`.
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let (before, after) = (entries(old), entries(new));
    let ids =
        |c: &Catalog| -> BTreeSet<String> { c.sections().iter().map(|s| s.id.clone()).collect() };
    let (old_ids, new_ids) = (ids(old), ids(new));
    // name -> sections (with status) in each catalog.
    let by_name = |e: &Entries<'_>| {
        let mut m: BTreeMap<String, BTreeMap<String, u16>> = BTreeMap::new();
        for ((section, name), (status, _)) in e {
            m.entry(name.to_string())
                .or_default()
                .insert(section.to_string(), *status);
        }
        m
    };
    let (old_names, new_names) = (by_name(&before), by_name(&after));
    let mut moved = Vec::new();
    let mut moved_names = BTreeSet::new();
    for (name, was) in &old_names {
        let Some(is) = new_names.get(name) else {
            continue;
        };
        let from: BTreeMap<String, u16> = was
            .iter()
            .filter(|(s, _)| !is.contains_key(*s))
            .map(|(s, st)| (s.clone(), *st))
            .collect();
        let to: BTreeMap<String, u16> = is
            .iter()
            .filter(|(s, _)| !was.contains_key(*s))
            .map(|(s, st)| (s.clone(), *st))
            .collect();
        if !from.is_empty() && !to.is_empty() {
            moved_names.insert(name.clone());
            moved.push(Move {
                name: name.clone(),
                from,
                to,
            });
        }
    }
    let entry = |(section, name): &(&str, &str), (status, description): &(u16, &str)| Entry {
        section: section.to_string(),
        name: name.to_string(),
        status: *status,
        description: description.to_string(),
    };
    let mut d = CatalogDiff {
        schema: SCHEMA.to_string(),
        version: VERSION,
        old: side(old),
        new: side(new),
        sections_added: new_ids.difference(&old_ids).cloned().collect(),
        sections_removed: old_ids.difference(&new_ids).cloned().collect(),
        added: Vec::new(),
        removed: Vec::new(),
        status_changed: Vec::new(),
        moved,
        description_changed: Vec::new(),
    };
    for (key, value) in &after {
        match before.get(key) {
            None if !moved_names.contains(key.1) => d.added.push(entry(key, value)),
            None => {}
            Some((old_status, old_description)) => {
                if *old_status != value.0 {
                    d.status_changed.push(StatusChange {
                        section: key.0.to_string(),
                        name: key.1.to_string(),
                        old_status: *old_status,
                        new_status: value.0,
                    });
                }
                if *old_description != value.1 {
                    d.description_changed.push(DescriptionChange {
                        section: key.0.to_string(),
                        name: key.1.to_string(),
                        old: old_description.to_string(),
                        new: value.1.to_string(),
                    });
                }
            }
        }
    }
    for (key, value) in &before {
        if !after.contains_key(key) && !moved_names.contains(key.1) {
            d.removed.push(entry(key, value));
        }
    }
    d
}

/// `-o json`: pretty JSON, one trailing newline.
pub fn render_json(d: &CatalogDiff, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, d)?;
    writeln!(out)
}

/// `-o text`: a summary line, then one table per kind of change that has rows.
pub fn render_text(d: &CatalogDiff, out: &mut dyn Write) -> io::Result<()> {
    let size = |s: &Side| {
        format!(
            "{} ({})",
            escape_control(&s.source),
            crate::report::catalog::size(s.sections, s.entries, s.names)
        )
    };
    writeln!(out, "catalog diff: {} -> {}", size(&d.old), size(&d.new))?;
    writeln!(out, "changes: {}", d.summary())?;
    if !d.sections_added.is_empty() {
        writeln!(out, "\nSections added: {}", d.sections_added.join(", "))?;
    }
    if !d.sections_removed.is_empty() {
        writeln!(out, "\nSections removed: {}", d.sections_removed.join(", "))?;
    }
    for (title, rows) in [("Added", &d.added), ("Removed", &d.removed)] {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}")?;
        let mut t = Table::new(&[
            ("section", Align::Left),
            ("name", Align::Left),
            ("status", Align::Right),
            ("description", Align::Wrap),
        ]);
        for e in rows {
            t.row(vec![
                e.section.clone(),
                e.name.clone(),
                e.status.to_string(),
                e.description.clone(),
            ]);
        }
        t.render(out, 2)?;
    }
    if !d.status_changed.is_empty() {
        writeln!(out, "\nStatus changed")?;
        let mut t = Table::new(&[
            ("section", Align::Left),
            ("name", Align::Left),
            ("old", Align::Right),
            ("new", Align::Right),
        ]);
        for c in &d.status_changed {
            t.row(vec![
                c.section.clone(),
                c.name.clone(),
                c.old_status.to_string(),
                c.new_status.to_string(),
            ]);
        }
        t.render(out, 2)?;
    }
    if !d.moved.is_empty() {
        writeln!(out, "\nMoved between sections")?;
        let mut t = Table::new(&[
            ("name", Align::Left),
            ("from", Align::Wrap),
            ("to", Align::Wrap),
        ]);
        let listed = |m: &BTreeMap<String, u16>| {
            m.iter()
                .map(|(s, st)| format!("{s} {st}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for m in &d.moved {
            t.row(vec![m.name.clone(), listed(&m.from), listed(&m.to)]);
        }
        t.render(out, 2)?;
    }
    if !d.description_changed.is_empty() {
        writeln!(out, "\nDescription changed")?;
        let mut t = Table::new(&[
            ("section", Align::Left),
            ("name", Align::Left),
            ("old", Align::Wrap),
            ("new", Align::Wrap),
        ]);
        for c in &d.description_changed {
            t.row(vec![
                c.section.clone(),
                c.name.clone(),
                c.old.clone(),
                c.new.clone(),
            ]);
        }
        t.render(out, 2)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A section heading and its rows (name, status, description).
    type Section<'a> = (&'a str, &'a [(&'a str, u16, &'a str)]);

    fn page(rows: &[Section]) -> Catalog {
        let mut text = String::new();
        for (heading, entries) in rows {
            text.push_str(&format!(
                "## {heading}\n\n| 错误码 | 状态码 | 描述 |\n|---|---|---|\n"
            ));
            for (name, status, description) in *entries {
                text.push_str(&format!("| {name} | {status} | {description} |\n"));
            }
            text.push('\n');
        }
        Catalog::from_markdown(&text, "test").unwrap()
    }

    #[test]
    fn every_kind_of_change() {
        let old = page(&[
            (
                "A {#a}",
                &[
                    ("KEEP", 400, "same"),
                    ("GONE", 404, "x"),
                    ("MOVES", 429, "m"),
                ],
            ),
            (
                "B {#b}",
                &[("SHIFT", 400, "s"), ("WORDS", 500, "old words")],
            ),
        ]);
        let new = page(&[
            ("A {#a}", &[("KEEP", 400, "same"), ("NEW", 403, "n")]),
            (
                "B {#b}",
                &[
                    ("SHIFT", 422, "s"),
                    ("WORDS", 500, "new words"),
                    ("MOVES", 429, "m"),
                ],
            ),
            ("C {#c}", &[("KEEP", 400, "same")]),
        ]);
        let d = diff(&old, &new);
        assert!(d.changed());
        assert_eq!(d.sections_added, ["c"]);
        let names = |v: &[Entry]| {
            v.iter()
                .map(|e| format!("{}/{}", e.section, e.name))
                .collect::<Vec<_>>()
        };
        // KEEP in c is an addition: it stayed in a as well, so it did not move.
        assert_eq!(names(&d.added), ["a/NEW", "c/KEEP"]);
        assert_eq!(names(&d.removed), ["a/GONE"]);
        assert_eq!(d.moved.len(), 1);
        assert_eq!(d.moved[0].name, "MOVES");
        assert_eq!(d.moved[0].from, BTreeMap::from([("a".to_string(), 429)]));
        assert_eq!(d.moved[0].to, BTreeMap::from([("b".to_string(), 429)]));
        assert_eq!(
            (
                d.status_changed[0].name.as_str(),
                d.status_changed[0].old_status,
                d.status_changed[0].new_status
            ),
            ("SHIFT", 400, 422)
        );
        assert_eq!(d.description_changed[0].new, "new words");
        assert_eq!(
            d.summary(),
            "1 section added, 2 entries added, 1 entry removed, 1 status changed, 1 name moved, 1 description changed"
        );
        let same = diff(&old, &old);
        assert!(!same.changed());
        assert_eq!(same.summary(), "no changes");
    }
}
