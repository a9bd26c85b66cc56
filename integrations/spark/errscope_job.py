#!/usr/bin/env python3
"""errscope on Apache Spark: one report over logs too big for one machine.

    spark-submit [--master M] [--files PATH/errscope] integrations/spark/errscope_job.py \
        --errscope PATH [--split-bytes N] [-o FORMAT] [--output-file OUT] \
        INPUT... [-- ANALYZE_FLAGS...]

The driver lists the inputs through Spark's Hadoop file system (local paths,
`file://`, `hdfs://`, `s3a://`, globs, directories) and plans one task per byte range
of `--split-bytes` (default 128 MiB) of each plain file and one task per compressed
file (gzip, zstd: told by their first bytes, as errscope tells them). Each task runs
`errscope analyze -o partial` on its part:

- a file that the executor can open by path (local mode, a shared mount) is read in
  place: `errscope analyze --range A..B FILE` for a plain file, the whole FILE for a
  compressed one;
- a file behind another file system (`hdfs://`, `s3a://`) is read through Spark
  (`binaryFiles`) and given to errscope on standard input, named with
  `--stdin-name`; such a file is one task (PySpark's workers cannot read part of
  one without the JVM).

The partials (small: bounded by errscope's caps, not by the input) are collected on
the driver and merged by `errscope merge` into the report one `errscope analyze` over
all the inputs gives, in any of its formats. Bytes stay bytes all the way: no line is
decoded into a string, so invalid UTF-8 and CRLF reach errscope as they are on disk.

The job exits with errscope merge's status (0; 1 when a kind of `--fail-on`, given
among ANALYZE_FLAGS, occurred; 2 for an error). When a task's errscope fails without
writing a partial (a file whose format cannot be told, say), no report is written:
each such error is printed, and the job exits 2, as `errscope analyze` does when
nothing could be read (a merged report could not say which file it lacks).
"""

import argparse
import os
import subprocess
import sys
import tempfile

# Flags of `errscope analyze` that `errscope merge` takes too (the rest only change
# how lines are read and counted, which the partials already carry).
MERGE_FLAGS_WITH_VALUE = {"--fail-on", "--baseline", "--threshold", "--min-count", "--top", "--color"}
MERGE_FLAGS = {"-q", "--quiet"}

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def parse_args(argv):
    """The job's own options, the inputs, and the analyze flags after `--`."""
    if "--" in argv:
        cut = argv.index("--")
        own, analyze_flags = argv[:cut], argv[cut + 1:]
    else:
        own, analyze_flags = argv, []
    parser = argparse.ArgumentParser(
        prog="errscope_job.py",
        description="Run errscope over logs on a Spark cluster and merge the partial "
        "reports into one report.",
    )
    parser.add_argument("--errscope", required=True,
                        help="the errscope binary (a path on the workers, or shipped with "
                        "spark-submit --files and found by its file name)")
    parser.add_argument("--split-bytes", type=int, default=128 << 20,
                        help="bytes per task of a plain file (default 128 MiB)")
    parser.add_argument("-o", "--output", default="text",
                        help="report format: text, json, markdown, csv, html, openmetrics or partial")
    parser.add_argument("--output-file", help="write the report here (atomically)")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="log files, directories or globs (any Hadoop file system path)")
    args = parser.parse_args(own)
    if args.split_bytes < 1:
        parser.error("--split-bytes must be at least 1")
    return args, analyze_flags


def merge_flags(analyze_flags):
    """The ANALYZE_FLAGS that `errscope merge` takes too, in their order."""
    out = []
    i = 0
    while i < len(analyze_flags):
        flag = analyze_flags[i]
        name = flag.split("=", 1)[0]
        if name in MERGE_FLAGS:
            out.append(flag)
        elif name in MERGE_FLAGS_WITH_VALUE:
            out.append(flag)
            if "=" not in flag and i + 1 < len(analyze_flags):
                i += 1
                out.append(analyze_flags[i])
        i += 1
    return out


def list_files(sc, inputs):
    """(path as reported, Hadoop path, length, first four bytes) of every file the inputs name,
    in the order given (a directory's or glob's files sorted by name). Hidden files
    and Hadoop's `_SUCCESS`-style files in directories are left out, as errscope
    leaves out hidden files."""
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    files = []
    for given in inputs:
        path = jvm.org.apache.hadoop.fs.Path(given)
        fs = path.getFileSystem(conf)
        statuses = fs.globStatus(path)
        if statuses is None or len(statuses) == 0:
            raise SystemExit(f"errscope_job: {given}: no such file or directory")
        found = []
        for status in statuses:
            if status.isDirectory():
                for child in fs.listStatus(status.getPath()):
                    name = child.getPath().getName()
                    if child.isFile() and not name.startswith((".", "_")):
                        found.append(child)
            else:
                found.append(status)
        for status in sorted(found, key=lambda s: s.getPath().toString()):
            length = status.getLen()
            head = b""
            if length > 0:
                # Byte by byte: py4j copies arrays, so read(byte[]) fills no
                # Python buffer.
                stream = fs.open(status.getPath())
                try:
                    head = bytes(stream.read() for _ in range(min(4, length)))
                finally:
                    stream.close()
            files.append((display_path(given, status.getPath()), status.getPath().toString(), length, head))
    return files


def display_path(given, hadoop_path):
    """The path errscope reports a file under: a local path as a local path (as
    `errscope analyze PATH` would name it when given absolute paths), anything else
    as its URI."""
    uri = hadoop_path.toUri()
    if uri.getScheme() in (None, "file") and not given.startswith("file:"):
        return uri.getPath()
    return hadoop_path.toString()


def plan(files, split_bytes):
    """One task per byte range of a plain local file, one per other file:
    ("range", path, start, end), ("file", path) for a compressed local file, or
    ("stream", path, Hadoop path) for a file read through Spark."""
    tasks = []
    for path, hadoop_path, length, head in files:
        compressed = head.startswith(GZIP_MAGIC) or head.startswith(ZSTD_MAGIC)
        local = path.startswith("/")
        if not local:
            tasks.append(("stream", path, hadoop_path))
            continue
        if compressed:
            tasks.append(("file", path))
            continue
        start = 0
        while True:
            end = min(start + split_bytes, length)
            tasks.append(("range", path, start, end))
            if end >= length:
                break
            start = end
    return tasks


def errscope_binary(given):
    """The errscope binary on this worker: the path given, or the copy shipped with
    spark-submit --files."""
    if os.path.isfile(given) and os.access(given, os.X_OK):
        return given
    from pyspark import SparkFiles
    shipped = SparkFiles.get(os.path.basename(given))
    if not os.access(shipped, os.X_OK):
        os.chmod(shipped, 0o755)
    return shipped


def run_task(binary, analyze_flags, task, data=None):
    """Run errscope on one task: (partial report as bytes, None), or (None, why it
    failed)."""
    exe = errscope_binary(binary)
    cmd = [exe, "analyze", "-q", "-o", "partial", *analyze_flags]
    if task[0] == "range":
        _, path, start, end = task
        cmd += ["--range", f"{start}..{end}", path]
        what = f"{path} bytes {start}..{end}"
    elif task[0] == "file":
        cmd.append(task[1])
        what = task[1]
    else:
        cmd += ["--stdin-name", task[1], "-"]
        what = task[1]
    proc = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Exit 2 with a partial: some input could not be read in full; the partial says
    # so and the merged report is marked incomplete. Without one, the task failed.
    if proc.returncode not in (0, 1) and not proc.stdout:
        why = proc.stderr.decode("utf-8", "replace").strip()
        return None, f"{what}: errscope exited {proc.returncode}: {why}"
    return proc.stdout, None


def main(argv):
    args, analyze_flags = parse_args(argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("errscope").getOrCreate()
    sc = spark.sparkContext
    try:
        files = list_files(sc, args.inputs)
        tasks = plan(files, args.split_bytes)
        binary, flags = args.errscope, analyze_flags
        # Each task's errscope uses the cores Spark gives a task (spark.task.cpus),
        # not every core of the machine, which the executor's other tasks share.
        if not any(f in ("-j", "--threads") or f.startswith(("-j", "--threads=")) for f in flags):
            flags = ["-j", sc.getConf().get("spark.task.cpus", "1"), *flags]
        in_place = [(i, t) for i, t in enumerate(tasks) if t[0] != "stream"]
        through_spark = [(i, t) for i, t in enumerate(tasks) if t[0] == "stream"]
        results = []
        if in_place:
            results += (
                sc.parallelize(in_place, len(in_place))
                .map(lambda it: (it[0], run_task(binary, flags, it[1])))
                .collect()
            )
        if through_spark:
            # binaryFiles keeps the bytes as they are; each file is one record.
            by_path = {t[2]: (i, t) for i, t in through_spark}
            read = sc.binaryFiles(",".join(by_path), len(by_path))
            results += read.map(
                lambda pair: (
                    by_path[pair[0]][0],
                    run_task(binary, flags, by_path[pair[0]][1], bytes(pair[1])),
                )
            ).collect()
    finally:
        spark.stop()

    errors = [why for _, (_, why) in sorted(results) if why is not None]
    for why in errors:
        print(f"errscope_job: {why}", file=sys.stderr)
    if errors:
        print(f"errscope_job: {len(errors)} of {len(results)} tasks failed; no report was written",
              file=sys.stderr)
        return 2
    partials = [(i, partial) for i, (partial, _) in results]

    with tempfile.TemporaryDirectory(prefix="errscope-partials-") as tmp:
        names = []
        for i, partial in sorted(partials):
            name = os.path.join(tmp, f"{i:06}.partial.json")
            with open(name, "wb") as f:
                f.write(partial)
            names.append(name)
        cmd = [args.errscope, "merge", "-o", args.output, *merge_flags(analyze_flags)]
        if args.output_file:
            cmd += ["--output-file", args.output_file]
        return subprocess.run(cmd + names).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
