//! The Spark job (`integrations/spark/errscope_job.py`) in local mode (`local[2]`),
//! run by `spark-submit` as a user would: over generated logs, one of them gzip and
//! one JSON lines, split into ranges of 1 MiB, its report is the report of one
//! `errscope analyze` over the same files, field for field; read through Spark's
//! file system (`file://` URIs, on standard input) too. `.ci/run` installs PySpark
//! from PyPI (and Java when it is missing).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{os, run, run_command, tool, tool_from, Dir, Output};

const JOB: &str = "integrations/spark/errscope_job.py";

/// `spark-submit --master local[2] JOB --errscope BIN args…`, in the crate root.
fn submit(spark_submit: &Path, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut cmd = Command::new(spark_submit);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--master", "local[2]", "--conf", "spark.ui.enabled=false"])
        .arg(JOB)
        .arg("--errscope")
        .arg(env!("CARGO_BIN_EXE_errscope"))
        .args(os(args))
        .env_remove("ERRSCOPE_CATALOG");
    run_command(cmd, None)
}

/// Three generated logs (text, gzip-compressed text, JSON lines), 10 MB in all.
fn logs(dir: &Dir) -> Option<Vec<PathBuf>> {
    let (text, _) = dir.generate("gateway", 30_000, 1);
    let (json, _) = dir.generate("json", 20_000, 2);
    let (rotated, _) = dir.generate("gateway", 20_000, 3);
    let gzip = tool("gzip", "gzip")?;
    let status = Command::new(gzip).arg(&rotated).status().unwrap();
    assert!(status.success());
    let mut gz = rotated.into_os_string();
    gz.push(".gz");
    // In the order of their paths, as `merge` lists a file's inputs.
    let mut logs = vec![text, json, PathBuf::from(gz)];
    logs.sort();
    Some(logs)
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_spark_job_gives_the_report_of_one_run() {
    let Some(spark_submit) = tool_from(
        "spark-submit",
        "pyspark from PyPI: pip install pyspark (with Java 17: apt-get install openjdk-17-jre-headless)",
    ) else {
        return;
    };
    let dir = Dir::new();
    let Some(logs) = logs(&dir) else {
        return;
    };
    let mut one_run = os(&[&"analyze", &"-q", &"-o", &"json"]);
    one_run.extend(logs.iter().map(|p| p.as_os_str().to_os_string()));
    let want: serde_json::Value =
        serde_json::from_str(&run(&one_run).expect_code(0).stdout).unwrap();
    assert!(
        want["totals"]["lines"].as_u64() == Some(70_000),
        "{}",
        want["totals"]
    );

    // In place: byte ranges of the plain files, the gzip file whole.
    let out_file = dir.path().join("spark.json");
    let out = submit(
        &spark_submit,
        &[
            &"--split-bytes",
            &"1048576",
            &"-o",
            &"json",
            &"--output-file",
            &out_file,
            &logs[0],
            &logs[1],
            &logs[2],
        ],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(report(&out_file), want);

    // Through Spark's file system: each file read by Spark and given to errscope on
    // standard input under its URI; with --fail-on among the analyze flags.
    let uris: Vec<String> = logs
        .iter()
        .map(|p| format!("file://{}", p.display()))
        .collect();
    let out_file = dir.path().join("spark-uri.json");
    let out = submit(
        &spark_submit,
        &[
            &"-o",
            &"json",
            &"--output-file",
            &out_file,
            &uris[0],
            &uris[1],
            &uris[2],
            &"--",
            &"--fail-on",
            &"undocumented",
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let text = std::fs::read_to_string(&out_file)
        .unwrap()
        .replace("file:/", "/");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        want
    );

    // A file whose format cannot be told: no report, exit 2, the file named.
    let bad = dir.write("bad.log", "not a log line\n");
    let out_file = dir.path().join("none.json");
    let out = submit(
        &spark_submit,
        &[&"-o", &"json", &"--output-file", &out_file, &logs[0], &bad],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    let said = format!("{}{}", out.stdout, out.stderr);
    assert!(
        said.contains("bad.log") && said.contains("no report was written"),
        "{said}"
    );
    assert!(!out_file.exists());
}
