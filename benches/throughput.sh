#!/usr/bin/env bash
# Whole-process throughput of errscope against `wc -l` and DuckDB, on generated logs.
#
# For each format (nginx gateway text, JSON lines) this generates a log of SIZE with
# errscope's own generator (kept in DIR between runs), checks that errscope's class
# totals equal the generator's ground truth, warms the page cache, and then times,
# alternating, ROUNDS rounds of:
#   wc -l FILE                                        the floor: reading the lines
#   errscope analyze -j 1 -o json FILE                one thread
#   errscope analyze -o json FILE                     all threads (mmap)
#   errscope analyze -o json - < FILE                 all threads, from standard input
#   the same for BASELINE=/path/to/other/errscope     (optional: before/after)
#   DuckDB read_json grouped by section, status and name with p50/p99 latency
#                                                     (JSON; when `import duckdb` works)
#   mawk grouping by status and error name            (text; when mawk is installed)
# and prints medians, s/GB, GB/s, million lines/s, the ratios to `wc -l` and DuckDB,
# peak RSS (wait4) and peak private memory (RssAnon, sampled in one extra run), then
# the speed issue's verdicts for that table (wall-time medians): all threads within 2×
# (text) or 3× (JSON) of `wc -l`, at most half DuckDB's time (JSON), and one thread
# at least 1.7× as slow as all.
#
# Two more targets of the speed issue are checked after that (each skippable):
#
# Linearity (LINEARITY=0 skips it), per format: "cost linear in size, 100 MB vs 1 GB
# within 10 % per byte". A file of the first LINEARITY_BYTES (whole lines, cut at the
# last newline before that size, written in 64 KiB blocks like the whole file, kept
# in DIR) is timed against the whole file,
# alternating, ROUNDS rounds of `wc -l` (the floor) and `errscope analyze -j THREADS
# -o json` on each; printed: s/GB of each and errscope's per-byte ratio big ÷ small,
# target 0.90-1.10× (the verdict is on wall-time medians; CPU is shown beside it).
#
# Distinct names and paths (DISTINCT=0 skips it): "a log with a million distinct
# undocumented error names or endpoint paths keeps memory bounded (capped keys with an
# 'other' bucket, reported as such) and speed within 2× of normal". A gateway log of
# DISTINCT_LINES lines (`generate --lines`) and a copy of it in which line n's request
# path becomes /v3/async/<n in letters> and its error name UNDOC_<n in letters> (letter
# segments are never collapsed into {id}; a line without them stays as it is). Before
# timing, the copy's JSON report must list at most the default 1000 names and
# endpoints, count the rest in `undocumented_other` and `endpoints_other`, and count
# DISTINCT_LINES lines; then `errscope analyze -j THREADS -o json` on both, alternating,
# with the time ratio distinct ÷ normal (target ≤ 2×) and the peak private memory of
# each.
#
# gzip (GZIP=1, the default when `igzip` from ISA-L is installed; GZIP=0 skips it),
# per format: "errscope on a gzip-compressed log within 1.3× of `igzip -dc`". The
# log is compressed once with `gzip -6` (kept in DIR), errscope's class totals on it
# must equal the generator's truth, and then, alternating, ROUNDS rounds of
# `igzip -dc FILE.gz` (output to /dev/null), `libdeflate-gunzip -c FILE.gz` (when
# installed), `errscope analyze -j THREADS -o json FILE.gz`, the plain file (the
# floor: errscope's own work without the inflate) and BASELINE on the .gz when
# set; printed: the table, and errscope's time ÷ igzip's with the verdict (≤ 1.3×).
#
# Stages (STAGES=1; off by default, as it builds errscope twice more): two builds
# that stop early, timed in the main table beside the full run, show what the
# pipeline's stages cost alone: `lines only` finds each line and stops (the line
# index for nginx's layouts, the structural index for JSON), `parsed only` also parses each line
# into its fields and stops before classifying. They are built with the cargo
# feature stage-lines or stage-parse (see src/analyze/stage.rs) into target/stage-lines and
# target/stage-parse; their reports are wrong on purpose (and say so, as does their
# --version), only their times count.
#
# The page cache: how a file came into it changes how fast it reads, for errscope and
# `wc -l` alike. A file read from disk is cached by readahead, which on Linux 6.x with
# ext4 or XFS uses large folios (up to 2 MiB); a file just written, as the generator
# writes it, is cached in small ones, and maps and copies more slowly. So every file is
# first put in a defined state: CACHE=reread (the default) drops its pages
# (`dd iflag=nocache count=0`) and reads it back, as a log read from disk would be;
# CACHE=keep only reads it, leaving whatever state it is in (as written, if nothing
# evicted it since).
#
# Usage: benches/throughput.sh            (from anywhere; builds the release binary)
# Environment: SIZE=1GiB ROUNDS=5 DIR=/tmp/errscope-bench FORMATS="gateway json"
#              BIN=path (skip the build) BASELINE=path THREADS=$(nproc) CACHE=reread
#              LINEARITY=1 LINEARITY_BYTES=100000000 DISTINCT=1 DISTINCT_LINES=1000000
#              STAGES=0 GZIP=1 (when igzip is installed)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
SIZE="${SIZE:-1GiB}"
ROUNDS="${ROUNDS:-5}"
DIR="${DIR:-/tmp/errscope-bench}"
FORMATS="${FORMATS:-gateway json}"
THREADS="${THREADS:-$(nproc)}"
LINEARITY="${LINEARITY:-1}"
LINEARITY_BYTES="${LINEARITY_BYTES:-100000000}"
DISTINCT="${DISTINCT:-1}"
DISTINCT_LINES="${DISTINCT_LINES:-1000000}"
STAGES="${STAGES:-0}"
if command -v igzip > /dev/null; then GZIP="${GZIP:-1}"; else GZIP="${GZIP:-0}"; fi
CACHE="${CACHE:-reread}"
SEED=1
case "$CACHE" in
    reread | keep) ;;
    *) echo "CACHE must be reread or keep, not '$CACHE'" >&2; exit 2 ;;
esac

# Put each file in the page cache in the state CACHE names (see above).
warm() {
    local f
    for f in "$@"; do
        if [[ $CACHE == reread ]]; then
            dd if="$f" iflag=nocache count=0 status=none
        fi
        cat "$f" > /dev/null
    done
}

if [[ -z "${BIN:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    BIN="${CARGO_TARGET_DIR:-$root/target}/release/errscope"
fi
stages=()
if [[ $STAGES != 0 ]]; then
    stages=(lines parse)
    for stage in "${stages[@]}"; do
        (cd "$root" && cargo build --release --quiet --features "stage-$stage" \
            --target-dir "${CARGO_TARGET_DIR:-$root/target}/stage-$stage")
    done
fi
mkdir -p "$DIR"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
     "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "errscope: $BIN ($("$BIN" --version)), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "settings: SIZE=$SIZE ROUNDS=$ROUNDS THREADS=$THREADS CACHE=$CACHE DIR=$DIR${BASELINE:+ BASELINE=$BASELINE}"\
     "LINEARITY=$LINEARITY LINEARITY_BYTES=$LINEARITY_BYTES DISTINCT=$DISTINCT DISTINCT_LINES=$DISTINCT_LINES STAGES=$STAGES GZIP=$GZIP"
have_duckdb=false
if python3 -c 'import duckdb' 2>/dev/null; then
    have_duckdb=true
    echo "duckdb: $(python3 -c 'import duckdb; print(duckdb.__version__)')"
fi

# Class totals of a report equal the generator's truth, or the run stops here.
check_truth() { # report.json truth.json
    python3 - "$1" "$2" <<'EOF'
import json, sys
report, truth = (json.load(open(p)) for p in sys.argv[1:3])
got = report["totals"]
want = {"lines": truth["lines"], "classes": truth["classes"]}
have = {"lines": got["lines"], "classes": got["classes"]}
if have != want:
    sys.exit(f"MISMATCH with the ground truth:\n  want {want}\n  got  {have}")
print(f"exact: {got['lines']} lines, class totals equal the generator's truth")
EOF
}

# The first BYTES of a log, cut at the last newline within them: whole lines only.
# Written in 64 KiB blocks, as the generator writes the whole file: how a file was
# written changes how fast it reads from the page cache (the same 100 MB written
# through a pipe in small blocks read slower, for `wc -l` as for errscope; figures
# in docs/performance.md), and the two files of the linearity pair must differ in
# size only.
head_lines() { # file bytes out
    head -c "$2" "$1" | head -n -1 | dd of="$3.tmp" obs=64K status=none
    mv "$3.tmp" "$3"
}

# Copy a gateway log with line n's request path replaced by /v3/async/<n in letters>
# and its error name (the last quoted field) by UNDOC_<n in letters>: as many distinct
# names and endpoints as lines. Letter-only segments are never taken for IDs.
make_distinct() { # in out
    python3 - "$1" "$2.tmp" <<'EOF'
import re, sys
request = re.compile(rb'("[A-Z]+ )([^" ]+)( HTTP/[0-9.]+")')
name = re.compile(rb'"[^"]*"$')
def letters(n, alphabet):  # 0 -> a, 25 -> z, 26 -> aa, ...: distinct for every n
    out = b""
    n += 1
    while n:
        n, d = divmod(n - 1, 26)
        out = alphabet[d:d + 1] + out
    return out
lower, upper = b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
lines = paths = names = 0
with open(sys.argv[1], "rb") as src, open(sys.argv[2], "wb") as dst:
    for n, line in enumerate(src):
        body = line.rstrip(b"\n")
        body, k = request.subn(lambda m: m[1] + b"/v3/async/" + letters(n, lower) + m[3],
                               body, count=1)
        paths += k
        body, k = name.subn(b'"UNDOC_' + letters(n, upper) + b'"', body)
        names += k
        dst.write(body + b"\n")
        lines += 1
print(f"{lines} lines, {paths} request paths and {names} error names made distinct")
EOF
    mv "$2.tmp" "$2"
}

# A report counts the expected lines, and (with `capped`) keeps at most the default
# 1000 undocumented names and endpoints with the rest in the "other" buckets, or the
# run stops here. Prints what it kept and what went to "other".
check_capped() { # report.json lines capped|uncapped
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
report, want_lines, mode = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
totals, problems = report["totals"], []
if totals["lines"] != want_lines:
    problems.append(f"{totals['lines']} lines in the report, not {want_lines}")
names, names_other = report["undocumented"], report["undocumented_other"]
endpoints, endpoints_other = report["endpoints"], report["endpoints_other"]
print(f"  {totals['lines']} lines, {totals['classes']['undocumented']} undocumented;"
      f" {len(set(n['name'] for n in names))} undocumented names kept, other: "
      + (f"{names_other['count']} lines (max_names {names_other['max_names']})"
         if names_other else "none"))
print(f"  {totals['requests']} requests; {len(set(e['endpoint'] for e in endpoints))}"
      " endpoints kept, other: "
      + (f"{endpoints_other['requests']} requests" if endpoints_other else "none"))
if mode == "capped":
    if names_other is None or len(names) > 1000:
        problems.append("undocumented names not capped at 1000 with an \"other\" bucket")
    elif sum(n["count"] for n in names) + names_other["count"] != totals["classes"]["undocumented"]:
        problems.append("kept names + other != undocumented lines")
    if endpoints_other is None or len(endpoints) > 1000:
        problems.append("endpoints not capped at 1000 with an \"other\" bucket")
    elif sum(e["requests"] for e in endpoints) + endpoints_other["requests"] != totals["requests"]:
        problems.append("kept endpoints + other != requests")
if problems:
    sys.exit("FAILED: " + "; ".join(problems))
EOF
}

for format in $FORMATS; do
    file="$DIR/$format-$SIZE-seed$SEED.log"
    truth="$DIR/$format-$SIZE-seed$SEED.truth.json"
    if [[ ! -s "$file" || ! -s "$truth" ]]; then
        echo "generating $file"
        "$BIN" generate --format "$format" --bytes "$SIZE" --seed "$SEED" -O "$file" --truth "$truth"
    fi
    bytes=$(stat -L -c %s "$file")
    echo
    echo "== $format: $file, $bytes bytes"
    warm "$file"
    "$BIN" analyze -o json "$file" > "$DIR/$format.report.json" || [[ $? == 1 ]]
    check_truth "$DIR/$format.report.json" "$truth"
    lines=$(wc -l < "$file")

    cmds=(
        --cmd "wc -l" "wc -l $file"
        --cmd "errscope -j 1" "$BIN analyze -j 1 -o json $file"
        --cmd "errscope -j $THREADS" "$BIN analyze -j $THREADS -o json $file"
        --cmd "errscope stdin -j $THREADS" "$BIN analyze -j $THREADS -o json - <$file"
    )
    memory=(--memory "errscope -j 1" --memory "errscope -j $THREADS" --memory "errscope stdin -j $THREADS")
    if [[ -n "${BASELINE:-}" ]]; then
        cmds+=(--cmd "baseline -j $THREADS" "$BASELINE analyze -j $THREADS -o json $file")
        memory+=(--memory "baseline -j $THREADS")
    fi
    for stage in "${stages[@]}"; do
        case $stage in
            lines) label="lines only" ;;
            parse) label="parsed only" ;;
        esac
        stop_bin="${CARGO_TARGET_DIR:-$root/target}/stage-$stage/release/errscope"
        cmds+=(--cmd "$label -j $THREADS" "$stop_bin analyze -j $THREADS -o json $file")
    done
    refs=(--ref "wc -l")
    # The speed issue's targets for this table: all threads within 2x (text) or 3x
    # (JSON) of `wc -l`, at least 2x DuckDB's speed, and 1.7x from one thread to all.
    wc_target=2
    [[ $format == json ]] && wc_target=3
    targets=(
        --compare "errscope -j $THREADS" "wc -l" run - "$wc_target"
        --compare "errscope -j 1" "errscope -j $THREADS" run 1.7 -
    )
    if [[ $format == json ]] && $have_duckdb; then
        cmds+=(--cmd "duckdb" "python3 $here/duckdb_grouped.py $file")
        refs+=(--ref duckdb)
        targets+=(--compare "errscope -j $THREADS" duckdb run - 0.5)
    fi
    if [[ $format == gateway ]] && command -v mawk > /dev/null; then
        # Fields split at spaces: $9 is the status, the last field the quoted name.
        cmds+=(--cmd "mawk" "mawk '{ n[\$9 \" \" \$NF]++ } END { for (k in n) print k, n[k] }' $file")
    fi
    python3 "$here/throughput.py" --bytes "$bytes" --lines "$lines" --rounds "$ROUNDS" \
        "${refs[@]}" "${memory[@]}" "${cmds[@]}" "${targets[@]}"

    if [[ $GZIP != 0 ]]; then
        command -v igzip > /dev/null || { echo "GZIP=1 needs igzip (Debian's isal)" >&2; exit 2; }
        gz="$file.gz"
        if [[ ! -s "$gz" || "$file" -nt "$gz" ]]; then
            echo "compressing $file (gzip -6)"
            gzip -6 -c "$file" > "$gz.tmp"
            mv "$gz.tmp" "$gz"
        fi
        echo
        echo "-- gzip ($format): $gz, $(stat -L -c %s "$gz") bytes, $bytes decompressed"
        echo "   target: errscope on the .gz within 1.3× of igzip -dc (wall-time medians)"
        warm "$gz" "$file"
        "$BIN" analyze -o json "$gz" > "$DIR/$format.gz.report.json" || [[ $? == 1 ]]
        check_truth "$DIR/$format.gz.report.json" "$truth"
        gz_cmds=(--cmd "igzip -dc" "igzip -dc $gz")
        if command -v libdeflate-gunzip > /dev/null; then
            gz_cmds+=(--cmd "libdeflate-gunzip -c" "libdeflate-gunzip -c $gz")
        fi
        gz_cmds+=(
            --cmd "errscope -j $THREADS .gz" "$BIN analyze -j $THREADS -o json $gz"
            --cmd "errscope -j $THREADS plain" "$BIN analyze -j $THREADS -o json $file"
        )
        if [[ -n "${BASELINE:-}" ]]; then
            gz_cmds+=(--cmd "baseline -j $THREADS .gz" "$BASELINE analyze -j $THREADS -o json $gz")
        fi
        python3 "$here/throughput.py" --bytes "$bytes" --lines "$lines" --rounds "$ROUNDS" \
            --ref "igzip -dc" "${gz_cmds[@]}" \
            --compare "errscope -j $THREADS .gz" "igzip -dc" run - 1.3 \
            --compare "errscope -j $THREADS plain" "igzip -dc" run - -
    fi

    if [[ $LINEARITY != 0 ]]; then
        small="$DIR/$format-$SIZE-seed$SEED.first$LINEARITY_BYTES.w64k.log"
        echo
        if ((bytes <= LINEARITY_BYTES)); then
            echo "-- linearity ($format): skipped, the file is not larger than LINEARITY_BYTES=$LINEARITY_BYTES"
        else
            if [[ ! -s "$small" || "$file" -nt "$small" ]]; then
                head_lines "$file" "$LINEARITY_BYTES" "$small"
            fi
            small_bytes=$(stat -L -c %s "$small")
            small_lines=$(wc -l < "$small")
            [[ -z $(tail -c 1 "$small") ]] || { echo "$small: no final newline" >&2; exit 1; }
            warm "$small"
            big_label="$(numfmt --to=si "$bytes")B" small_label="$(numfmt --to=si "$small_bytes")B"
            echo "-- linearity ($format): the whole file against its first $small_lines lines" \
                 "($small_bytes bytes, $small)"
            echo "   target: errscope's cost per byte, $big_label ÷ $small_label, within 10 % (0.90-1.10×)"
            python3 "$here/throughput.py" --rounds "$ROUNDS" \
                --size "wc -l, $big_label" "$bytes" "$lines" --cmd "wc -l, $big_label" "wc -l $file" \
                --size "wc -l, $small_label" "$small_bytes" "$small_lines" --cmd "wc -l, $small_label" "wc -l $small" \
                --size "errscope -j $THREADS, $big_label" "$bytes" "$lines" \
                --cmd "errscope -j $THREADS, $big_label" "$BIN analyze -j $THREADS -o json $file" \
                --size "errscope -j $THREADS, $small_label" "$small_bytes" "$small_lines" \
                --cmd "errscope -j $THREADS, $small_label" "$BIN analyze -j $THREADS -o json $small" \
                --compare "wc -l, $big_label" "wc -l, $small_label" byte - - \
                --compare "errscope -j $THREADS, $big_label" "errscope -j $THREADS, $small_label" byte 0.9 1.1
        fi
    fi
done

if [[ $DISTINCT != 0 ]]; then
    normal="$DIR/gateway-${DISTINCT_LINES}lines-seed$SEED.log"
    normal_truth="$DIR/gateway-${DISTINCT_LINES}lines-seed$SEED.truth.json"
    distinct="$DIR/gateway-${DISTINCT_LINES}lines-seed$SEED.distinct.log"
    if [[ ! -s "$normal" || ! -s "$normal_truth" ]]; then
        echo "generating $normal"
        "$BIN" generate --format gateway --lines "$DISTINCT_LINES" --seed "$SEED" -O "$normal" --truth "$normal_truth"
    fi
    if [[ ! -s "$distinct" || "$normal" -nt "$distinct" ]]; then
        echo "deriving $distinct"
        make_distinct "$normal" "$distinct"
    fi
    normal_bytes=$(stat -L -c %s "$normal")
    distinct_bytes=$(stat -L -c %s "$distinct")
    echo
    echo "== distinct names and paths: $distinct ($distinct_bytes bytes) against $normal" \
         "($normal_bytes bytes), $DISTINCT_LINES lines each; target: time ≤ 2× of normal, memory bounded"
    warm "$normal" "$distinct"
    "$BIN" analyze -o json "$normal" > "$DIR/distinct-normal.report.json" || [[ $? == 1 ]]
    check_truth "$DIR/distinct-normal.report.json" "$normal_truth"
    echo "normal report:"
    check_capped "$DIR/distinct-normal.report.json" "$DISTINCT_LINES" uncapped
    "$BIN" analyze -o json "$distinct" > "$DIR/distinct.report.json" || [[ $? == 1 ]]
    echo "distinct report (must be capped with \"other\" buckets):"
    check_capped "$DIR/distinct.report.json" "$DISTINCT_LINES" capped
    python3 "$here/throughput.py" --rounds "$ROUNDS" \
        --size "errscope -j $THREADS normal" "$normal_bytes" "$DISTINCT_LINES" \
        --cmd "errscope -j $THREADS normal" "$BIN analyze -j $THREADS -o json $normal" \
        --size "errscope -j $THREADS distinct" "$distinct_bytes" "$DISTINCT_LINES" \
        --cmd "errscope -j $THREADS distinct" "$BIN analyze -j $THREADS -o json $distinct" \
        --memory "errscope -j $THREADS normal" --memory "errscope -j $THREADS distinct" \
        --compare "errscope -j $THREADS distinct" "errscope -j $THREADS normal" run - 2
fi
