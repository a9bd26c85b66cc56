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
    ap.add_argument("--bytes", type=int, required=True, help="input size in bytes")
    ap.add_argument("--lines", type=int, required=True, help="input size in lines")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--ref", action="append", default=[],
                    help="label of a command the errscope rows are compared to (repeatable)")
    ap.add_argument("--memory", action="append", default=[],
                    help="label of a command whose private memory is sampled (repeatable)")
    ap.add_argument("--cmd", nargs=2, action="append", metavar=("LABEL", "COMMAND"),
                    required=True)
    args = ap.parse_args()

    cmds = [(label, *parse_command(text)) for label, text in args.cmd]
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

    gb = args.bytes / 1e9
    median = {label: statistics.median(t) for label, t in times.items()}
    refs = [r for r in args.ref if r in median]
    header = (f"{'command':<24} {'median s':>9} {'min s':>7} {'s/GB':>6} {'GB/s':>6} "
              f"{'M lines/s':>9} {'CPU s':>6} " + "".join(f"{'÷ ' + r:>13} " for r in refs)
              + f"{'peak RSS':>9} {'private':>8}")
    print(header)
    for label, _, _ in cmds:
        m = median[label]
        row = (f"{label:<24} {m:>9.3f} {min(times[label]):>7.3f} {m / gb:>6.2f} "
               f"{gb / m:>6.2f} {args.lines / m / 1e6:>9.1f} "
               f"{statistics.median(cpu[label]):>6.2f} ")
        for r in refs:
            row += f"{m / median[r]:>12.2f}× "
        row += f"{rss[label] / 1024:>7.0f}Mi "
        row += f"{anon[label] / 1024:>6.1f}Mi" if label in anon else f"{'-':>8}"
        print(row)


if __name__ == "__main__":
    main()
