//! What is made from the command line's clap definition ([`super::cli`]): the
//! shell completion scripts ([`completions`], clap_complete) and the manual page
//! ([`man_page`], clap_mangen), with its exit statuses read from the help texts.

use std::io;

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{bold, roman, Roff};

use super::cli::Cli;

/// The completion script for `shell` (`errscope completions SHELL`), made from the
/// clap definition above, so it knows every command, flag and value list.
pub fn completions(shell: Shell) -> Vec<u8> {
    // Into memory first: clap_complete panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "errscope", &mut script);
    script
}

/// The manual page (`errscope man`), errscope(1) in roff: the NAME, SYNOPSIS,
/// DESCRIPTION and OPTIONS that clap_mangen makes from the clap definition, a
/// COMMANDS list, then one section per command (`ERRSCOPE ANALYZE`, …, nested
/// commands too) with its synopsis, description, options (under their help
/// headings) and, where it has its own, its exit statuses; then EXIT STATUS and
/// VERSION. One page rather than one per command (clap_mangen's layout), so that
/// installing it is one file and `man errscope` shows everything.
pub fn man_page() -> io::Result<Vec<u8>> {
    // `help` is a command for the terminal; the page documents the others.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut list = Roff::new();
    list.control("SH", ["COMMANDS"]);
    command_list(&cmd, &mut list);
    list.control("PP", []);
    list.text([roman(
        "Each command is described in its own section below, with its options.",
    )]);
    page.extend(list.to_roff().bytes());
    let top_exit = cmd.get_after_help().map(ToString::to_string);
    command_sections(&cmd, top_exit.as_deref(), &mut page)?;
    let mut tail = Roff::new();
    tail.control("SH", ["EXIT STATUS"]);
    exit_statuses(top_exit.as_deref().unwrap_or_default(), &mut tail);
    for (code, signal) in [("130", "Ctrl-C (SIGINT)"), ("143", "SIGTERM")] {
        tail.control("TP", []);
        tail.text([bold(code)]);
        tail.text([roman(format!(
            "stopped by {signal}: no partial output, no temporary file left behind"
        ))]);
    }
    tail.control("SH", ["ENVIRONMENT"]);
    tail.control("TP", []);
    tail.text([bold("ERRSCOPE_CATALOG")]);
    tail.text([roman("The catalog to check against, as --catalog PATH.")]);
    tail.control("TP", []);
    tail.text([bold("NO_COLOR")]);
    tail.text([roman(
        "When set and not empty, --color auto writes the text report without colors.",
    )]);
    page.extend(tail.to_roff().bytes());
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// `.TP` entries naming every command under `cmd` (`errscope catalog lint` too),
/// each with its one-line description.
fn command_list(cmd: &clap::Command, roff: &mut Roff) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(sub.get_bin_name().unwrap_or(sub.get_name()))]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
        command_list(sub, roff);
    }
}

/// One section per command under `cmd`, depth first: clap_mangen's sections for it
/// with their `.SH` headings turned into `.SS`, under an `.SH` naming the command.
/// Its exit statuses follow when its help has its own (`top_exit` is the page's).
fn command_sections(
    cmd: &clap::Command,
    top_exit: Option<&str>,
    page: &mut Vec<u8>,
) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_bin_name().unwrap_or(sub.get_name());
        let mut heading = Roff::new();
        heading.control("SH", [name.to_uppercase().as_str()]);
        page.extend(heading.to_roff().bytes());
        let man = clap_mangen::Man::new(sub.clone());
        let mut sections = Vec::new();
        man.render_synopsis_section(&mut sections)?;
        man.render_description_section(&mut sections)?;
        man.render_options_section(&mut sections)?;
        page.extend(demoted(&String::from_utf8_lossy(&sections)).bytes());
        let after = sub.get_after_help().map(ToString::to_string);
        let mut extra = Roff::new();
        match after.as_deref() {
            // The page's own exit statuses are said once, at its end.
            Some(exit) if exit.starts_with("Exit status:") && Some(exit) == top_exit => {}
            Some(exit) if exit.starts_with("Exit status:") => {
                extra.control("SS", ["EXIT STATUS"]);
                exit_statuses(exit, &mut extra);
            }
            Some(notes) => {
                extra.control("SS", ["NOTES"]);
                extra.control("nf", []);
                for line in notes.lines() {
                    extra.text([roman(line)]);
                }
                extra.control("fi", []);
            }
            None => {}
        }
        page.extend(extra.to_roff().bytes());
        command_sections(sub, top_exit, page)?;
    }
    Ok(())
}

/// clap_mangen's roff for one command, as subsections: `.SH` becomes `.SS`, and
/// the apostrophe preamble each of its renders starts with is left out (the page's
/// title render has it once).
fn demoted(roff: &str) -> String {
    let mut out = String::with_capacity(roff.len());
    for line in roff.lines() {
        if line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq") {
            continue;
        }
        match line.strip_prefix(".SH ") {
            Some(heading) => out.push_str(&format!(".SS {heading}")),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `.TP` entries from an exit-status help text such as [`super::cli::EXIT_CODES`]: after its
/// first line, each `  N  meaning` line starts an entry and deeper-indented lines
/// continue it.
fn exit_statuses(help: &str, roff: &mut Roff) {
    for (code, meaning) in exit_status_entries(help) {
        roff.control("TP", []);
        roff.text([bold(code)]);
        roff.text([roman(meaning)]);
    }
}

/// The (status, meaning) pairs of an exit-status help text (see [`exit_statuses`]).
fn exit_status_entries(help: &str) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in help.lines().skip(1) {
        let line = line.trim();
        match line.split_once("  ") {
            Some((code, meaning))
                if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) =>
            {
                entries.push((code.to_string(), meaning.trim().to_string()));
            }
            _ => {
                if let Some((_, meaning)) = entries.last_mut() {
                    meaning.push(' ');
                    meaning.push_str(line);
                }
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::cli::{
        CATALOG_DIFF_EXIT_CODES, DIFF_EXIT_CODES, EXIT_CODES, LINT_EXIT_CODES, MERGE_EXIT_CODES,
    };

    /// Every exit-status help text reads as the man page's entries: 0, 1 and 2, each
    /// with its whole meaning (continuation lines included).
    #[test]
    fn exit_status_help_texts_read_as_entries() {
        for help in [
            EXIT_CODES,
            MERGE_EXIT_CODES,
            DIFF_EXIT_CODES,
            LINT_EXIT_CODES,
            CATALOG_DIFF_EXIT_CODES,
        ] {
            let entries = exit_status_entries(help);
            let codes: Vec<&str> = entries.iter().map(|(c, _)| c.as_str()).collect();
            assert_eq!(codes, ["0", "1", "2"], "{help}");
            // Every word of the text is in an entry, the statuses aside.
            let text: Vec<&str> = help
                .lines()
                .skip(1)
                .flat_map(|line| {
                    let mut words = line.split_whitespace().peekable();
                    words.next_if(|w| w.bytes().all(|b| b.is_ascii_digit()));
                    words
                })
                .collect();
            let meanings: Vec<&str> = entries
                .iter()
                .flat_map(|(_, m)| m.split_whitespace())
                .collect();
            assert_eq!(meanings, text);
        }
    }
}
