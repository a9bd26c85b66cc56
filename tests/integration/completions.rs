//! `errscope completions SHELL` and `errscope man`, made from the clap definition:
//! the bash script completes every command and flag in a real bash, every shell
//! gets a script, and the manual page is roff that man-db's `man -l` renders
//! without a warning, with a section for every command and the exit statuses.

use std::process::Command;

use clap::CommandFactory;
use errscope::command::cli::Cli;

use crate::util::{run, run_command, tool, Dir};

/// Every command name, nested ones as `catalog lint`, from the clap definition, so
/// a command added later is checked too.
fn commands() -> Vec<String> {
    fn walk(cmd: &clap::Command, prefix: &str, names: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            let name = format!("{prefix}{}", sub.get_name());
            names.push(name.clone());
            walk(sub, &format!("{name} "), names);
        }
    }
    let mut names = Vec::new();
    walk(&Cli::command(), "", &mut names);
    assert!(names.len() >= 8, "{names:?}");
    names
}

/// What bash's completion offers for the words of `line` after sourcing the script
/// (the last word is the one being completed), one candidate per line.
fn bash_complete(bash: &std::path::Path, script: &std::path::Path, line: &[&str]) -> Vec<String> {
    let words = line
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let program = format!(
        r#"source "$1" || exit 3
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
_errscope errscope "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    let mut cmd = Command::new(bash);
    cmd.arg("--norc")
        .arg("-c")
        .arg(program)
        .arg("bash")
        .arg(script);
    let out = run_command(cmd, None);
    assert_eq!(out.code, 0, "bash completion failed: {}", out.stderr);
    assert!(out.stderr.is_empty(), "bash said: {}", out.stderr);
    out.stdout.lines().map(String::from).collect()
}

#[test]
fn bash_completion_offers_every_command_and_fail_on() {
    let out = run(&["completions", "bash"]).expect_code(0);
    let script = &out.stdout;
    assert!(script.contains("complete -F _errscope"), "{script}");
    for name in commands() {
        let last = name.rsplit(' ').next().unwrap();
        // The script's `case "${cmd},${word}"` arm for the command.
        assert!(
            script.contains(&format!(",{last})")),
            "the bash script does not know `{name}`"
        );
    }
    assert!(
        script.contains("--fail-on"),
        "no --fail-on in the bash script"
    );

    // And bash itself, with the script sourced, completes them.
    let Some(bash) = tool("bash", "bash") else {
        return;
    };
    let dir = Dir::new();
    let path = dir.write("errscope.bash", script);
    let top = bash_complete(&bash, &path, &["errscope", ""]);
    for name in commands().iter().filter(|n| !n.contains(' ')) {
        assert!(top.contains(name), "`errscope <TAB>` lacks {name}: {top:?}");
    }
    let lint = bash_complete(&bash, &path, &["errscope", "catalog", "l"]);
    assert_eq!(lint, ["lint"]);
    for command in ["analyze", "diff"] {
        let flags = bash_complete(&bash, &path, &["errscope", command, "--fail"]);
        assert_eq!(flags, ["--fail-on"], "errscope {command} --fail<TAB>");
    }
    let mut shells = bash_complete(&bash, &path, &["errscope", "completions", ""]);
    shells.retain(|s| !s.starts_with('-'));
    assert_eq!(shells, ["bash", "elvish", "fish", "powershell", "zsh"]);
    let outputs = bash_complete(&bash, &path, &["errscope", "analyze", "-o", "c"]);
    assert_eq!(outputs, ["csv"]);
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_refused() {
    for (shell, marker) in [
        ("zsh", "#compdef errscope"),
        ("fish", "complete -c errscope"),
        ("elvish", "edit:completion:arg-completer[errscope]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = run(&["completions", shell]).expect_code(0);
        assert!(out.stdout.contains(marker), "{shell}: {}", out.stdout);
        assert!(out.stdout.contains("fail-on"), "{shell} lacks --fail-on");
        for name in commands().iter().filter(|n| !n.contains(' ')) {
            assert!(out.stdout.contains(name.as_str()), "{shell} lacks {name}");
        }
    }
    let out = run(&["completions", "tcsh"]).expect_code(2);
    assert!(
        out.stderr.contains("tcsh") && out.stderr.contains("bash"),
        "{}",
        out.stderr
    );
}

#[test]
fn man_page_renders_with_every_command_and_the_exit_statuses() {
    let out = run(&["man"]).expect_code(0);
    let roff = &out.stdout;
    assert!(roff.contains(".TH errscope 1"), "{roff}");
    assert!(roff.contains(".SH \"EXIT STATUS\""), "{roff}");
    let Some(man) = tool("man", "man-db") else {
        return;
    };
    // man-db formats with groff (groff-base): without it `man` cannot render.
    if tool("groff", "groff-base").is_none() {
        return;
    }
    let dir = Dir::new();
    let page = dir.write("errscope.1", roff);
    let mut cmd = Command::new(man);
    // Every groff warning on (-ww), no hyphenation or justification so words are found
    // whole, a fixed width, no pager; man-db's seccomp sandbox can fail in a
    // container, and is not what is tested.
    cmd.args(["--warnings=w", "--nh", "--nj", "-l"])
        .arg(&page)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env("LC_ALL", "C.UTF-8")
        .env("MAN_DISABLE_SECCOMP", "1");
    let rendered = run_command(cmd, None);
    assert_eq!(rendered.code, 0, "man -l failed: {}", rendered.stderr);
    assert!(
        rendered.stderr.is_empty(),
        "man -l warned about the page: {}",
        rendered.stderr
    );
    let text = &rendered.stdout;
    for heading in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "COMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
    ] {
        assert!(
            text.lines().any(|l| l == heading),
            "no {heading} section:\n{text}"
        );
    }
    for name in commands() {
        // Listed under COMMANDS, and a section of its own.
        assert!(
            text.contains(&format!("errscope {name}\n")),
            "{name}:\n{text}"
        );
        let section = format!("ERRSCOPE {}", name.to_uppercase());
        assert!(
            text.lines().any(|l| l == section),
            "no section {section}:\n{text}"
        );
    }
    // The exit statuses, each with its meaning; merge, diff, catalog lint and
    // catalog diff have their own.
    let exit = text.split("\nEXIT STATUS\n").nth(1).unwrap();
    for status in ["0", "1", "2", "130", "143"] {
        assert!(
            exit.lines()
                .any(|l| l.trim_start().starts_with(&format!("{status} "))),
            "status {status} missing:\n{exit}"
        );
    }
    assert!(exit.contains("--fail-on"), "{exit}");
    assert_eq!(
        text.matches("\n   EXIT STATUS\n").count(),
        4,
        "merge, diff, catalog lint and catalog diff list their own exit statuses:\n{text}"
    );
    for flag in [
        "--fail-on",
        "--recursive",
        "--output-file",
        "--since",
        "--baseline",
    ] {
        assert!(text.contains(flag), "{flag} is not in the page");
    }
}
