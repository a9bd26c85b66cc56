//! The layers of the source tree (docs/architecture.md, "Modules"): the library —
//! every module outside `src/command/` — never imports the command layer, so that
//! it takes plain options and returns values and errors, and the command line can
//! change without touching it. Read from the sources themselves.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Where a library file names the command layer, as `file:line: text`.
fn command_layer_uses(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let command = src.join("command");
    let mut found = Vec::new();
    for file in files {
        if file.starts_with(&command) || file == src.join("main.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains("crate::command") || code.contains("errscope::command") {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_library_never_imports_the_command_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = command_layer_uses(&src);
    assert!(
        found.is_empty(),
        "library modules import the command layer (src/command/):\n{}",
        found.join("\n")
    );
}

/// The check itself can fail: a library file that names the command layer is found.
#[test]
fn an_import_of_the_command_layer_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    fs::create_dir_all(src.join("command")).unwrap();
    fs::create_dir_all(src.join("format")).unwrap();
    fs::write(src.join("command/app.rs"), "use crate::format::X;\n").unwrap();
    fs::write(
        src.join("main.rs"),
        "fn main() { errscope::command::app::main() }\n",
    )
    .unwrap();
    fs::write(
        src.join("format/json.rs"),
        "// crate::command in a comment\nuse crate::command::cli::Cli;\n",
    )
    .unwrap();
    let found = command_layer_uses(src);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].ends_with("json.rs:2: use crate::command::cli::Cli;"),
        "{found:?}"
    );
}
