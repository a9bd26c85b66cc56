#!/usr/bin/env python3
"""Time whole processes side by side and print medians, throughput, ratios and memory.

Used by benches/throughput.sh; standard library only. Every round runs each
command once, in order, so a slow spell on a shared machine hits all of them
alike. Wall time is the whole process, from spawn to exit; CPU time (user +
system, the steadier figure when others load the machine) and peak RSS come
from wait4(2). A last run of each command samples /proc/PID/status every few
milliseconds for the peak of RssAnon: private (anonymous) memory, which unlike
RSS leaves out the page-cache pages of a memory-mapped input.

    throughput.py --bytes N --lines N --rounds R --ref LABEL \
        --cmd LABEL 'program arg... [<stdin-file]' [--cmd ...]

A command is split like a shell would (shlex) but run without a shell; a last
word `<FILE` feeds FILE on standard input. Standard output goes to /dev/null.

--bytes and --lines give the size of the input every command reads; a command
that reads another input gets its own with `--size LABEL BYTES LINES` (then
--bytes/--lines may be left out if every command has one). s/GB, GB/s and
million lines/s are per command, from its own size, and the ratios to a --ref
command are per byte.

`--compare A B PER MIN MAX` prints, after the table, command A's median divided
by command B's, wall and CPU (and private memory when both are sampled), PER
`run` (whole runs), `byte` or `line` (each divided by its command's size first),
and whether the wall ratio lies within [MIN, MAX]; `-` leaves a bound open, and
with both open no verdict is printed.
"""

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time


def parse_command(text):
    words = shlex.split(text)
    stdin = None
    if words and words[-1].startswith("<"):
        stdin = words.pop()[1:]
    return words, stdin


def run(words, stdin, sample_memory=False):
    """Run once. Returns (wall s, CPU s, peak RSS KiB, peak RssAnon KiB or None)."""
    stdin_file = open(stdin, "rb") if stdin else subprocess.DEVNULL
    with tempfile.TemporaryFile() as err:
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(words, stdin=stdin_file, stdout=subprocess.DEVNULL, stderr=err)
            peak_anon = 0
            # Reap with wait4 ourselves (not Popen.poll) to get the child's rusage.
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG if sample_memory else 0)
                if pid:
                    break
                try:
                    with open(f"/proc/{proc.pid}/status") as f:
                        for line in f:
                            if line.startswith("RssAnon:"):
                                peak_anon = max(peak_anon, int(line.split()[1]))
                except (FileNotFoundError, ProcessLookupError, ValueError):
                    pass
                time.sleep(0.002)
            wall = time.perf_counter() - start
            proc.returncode = code = os.waitstatus_to_exitcode(status)
        finally:
            if stdin:
                stdin_file.close()
        err.seek(0)
        stderr = err.read()
    # errscope exits 1 when --fail-on matched; anything else non-zero is a failure.
    if code not in (0, 1):
        sys.exit(f"{shlex.join(words)} failed ({code}): {stderr.decode()[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss, (peak_anon if sample_memory else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bytes", type=int, help="input size in bytes")
    ap.add_argument("--lines", type=int, help="input size in lines")
    ap.add_argument("--size", nargs=3, action="append", default=[],
                    metavar=("LABEL", "BYTES", "LINES"),
                    help="input size of one command, if not --bytes/--lines (repeatable)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ref", action="append", default=[],
                    help="label of a command the errscope rows are compared to (repeatable)")
    ap.add_argument("--memory", action="append", default=[],
                    help="label of a command whose private memory is sampled (repeatable)")
    ap.add_argument("--cmd", nargs=2, action="append", metavar=("LABEL", "COMMAND"),
                    required=True)
    ap.add_argument("--compare", nargs=5, action="append", default=[],
                    metavar=("A", "B", "PER", "MIN", "MAX"),
                    help="print A's median ÷ B's, PER run, byte or line, and whether "
                         "it lies within [MIN, MAX] (`-`: open; repeatable)")
    args = ap.parse_args()

    cmds = [(label, *parse_command(text)) for label, text in args.cmd]
    labels = [label for label, _, _ in cmds]
    if len(set(labels)) != len(labels):
        ap.error("command labels must be distinct")
    size = {}  # label -> (bytes, lines)
    for label, n_bytes, n_lines in args.size:
        if label not in labels:
            ap.error(f"--size for unknown command {label!r}")
        size[label] = (int(n_bytes), int(n_lines))
    for label in labels:
        if label not in size:
            if args.bytes is None or args.lines is None:
                ap.error(f"no size for {label!r}: give --bytes and --lines, or --size")
            size[label] = (args.bytes, args.lines)
    compares = []
    for a, b, per, lo, hi in args.compare:
        if a not in labels or b not in labels:
            ap.error(f"--compare: unknown command {a if a not in labels else b!r}")
        if per not in ("run", "byte", "line"):
            ap.error(f"--compare: PER is run, byte or line, not {per!r}")
        bounds = tuple(None if x == "-" else float(x) for x in (lo, hi))
        compares.append((a, b, per, *bounds))
    times = {label: [] for label, _, _ in cmds}
    cpu = {label: [] for label, _, _ in cmds}
    rss = {label: 0 for label, _, _ in cmds}
    for r in range(args.rounds):
        for label, words, stdin in cmds:
            wall, cpu_s, maxrss, _ = run(words, stdin)
            times[label].append(wall)
            cpu[label].append(cpu_s)
            rss[label] = max(rss[label], maxrss)
        print(f"  round {r + 1}/{args.rounds}: "
              + ", ".join(f"{label} {times[label][-1]:.3f}s" for label, _, _ in cmds),
              file=sys.stderr)
    anon = {}
    for label, words, stdin in cmds:
        if label in args.memory:
            anon[label] = run(words, stdin, sample_memory=True)[3]

    median = {label: statistics.median(t) for label, t in times.items()}
    median_cpu = {label: statistics.median(c) for label, c in cpu.items()}
    refs = [r for r in args.ref if r in median]
    header = (f"{'command':<24} {'median s':>9} {'min s':>7} {'s/GB':>6} {'GB/s':>6} "
              f"{'M lines/s':>9} {'CPU s':>6} " + "".join(f"{'÷ ' + r:>13} " for r in refs)
              + f"{'peak RSS':>9} {'private':>8}")
    print(header)
    for label, _, _ in cmds:
        m = median[label]
        gb, lines = size[label][0] / 1e9, size[label][1]
        row = (f"{label:<24} {m:>9.3f} {min(times[label]):>7.3f} {m / gb:>6.2f} "
               f"{gb / m:>6.2f} {lines / m / 1e6:>9.1f} "
               f"{median_cpu[label]:>6.2f} ")
        for r in refs:  # per byte, which is per run when both read the same input
            row += f"{m / size[label][0] / (median[r] / size[r][0]):>12.2f}× "
        row += f"{rss[label] / 1024:>7.0f}Mi "
        row += f"{anon[label] / 1024:>6.1f}Mi" if label in anon else f"{'-':>8}"
        print(row)

    for a, b, per, lo, hi in compares:
        # Divide each median by its command's size first: per byte or per line.
        unit = {"run": lambda _: 1, "byte": lambda x: size[x][0], "line": lambda x: size[x][1]}[per]
        scale = unit(b) / unit(a)
        wall = median[a] / median[b] * scale
        text = f"{a} ÷ {b}, per {per}: wall {wall:.3f}×"
        if median_cpu[b]:
            text += f", CPU {median_cpu[a] / median_cpu[b] * scale:.3f}×"
        if a in anon and b in anon and anon[b]:
            text += f", private memory {anon[a] / anon[b]:.2f}× (whole run)"
        if lo is not None or hi is not None:
            met = (lo is None or wall >= lo) and (hi is None or wall <= hi)
            target = (f"{lo:.2f}–{hi:.2f}×" if lo is not None and hi is not None
                      else f"≤ {hi:.2f}×" if hi is not None else f"≥ {lo:.2f}×")
            text += f"; target (wall) {target}: {'met' if met else 'NOT met'}"
        print(text)


if __name__ == "__main__":
    main()
