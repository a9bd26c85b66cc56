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
# peak RSS (wait4) and peak private memory (RssAnon, sampled in one extra run).
#
# Usage: benches/throughput.sh            (from anywhere; builds the release binary)
# Environment: SIZE=1GiB ROUNDS=5 DIR=/tmp/errscope-bench FORMATS="gateway json"
#              BIN=path (skip the build) BASELINE=path THREADS=$(nproc)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
SIZE="${SIZE:-1GiB}"
ROUNDS="${ROUNDS:-5}"
DIR="${DIR:-/tmp/errscope-bench}"
FORMATS="${FORMATS:-gateway json}"
THREADS="${THREADS:-$(nproc)}"
SEED=1

if [[ -z "${BIN:-}" ]]; then
    (cd "$root" && cargo build --release --quiet)
    BIN="${CARGO_TARGET_DIR:-$root/target}/release/errscope"
fi
mkdir -p "$DIR"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
     "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "errscope: $BIN ($("$BIN" --version)), git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "settings: SIZE=$SIZE ROUNDS=$ROUNDS THREADS=$THREADS DIR=$DIR${BASELINE:+ BASELINE=$BASELINE}"
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
    cat "$file" > /dev/null # warm the page cache
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
    refs=(--ref "wc -l")
    if [[ $format == json ]] && $have_duckdb; then
        cmds+=(--cmd "duckdb" "python3 $here/duckdb_grouped.py $file")
        refs+=(--ref duckdb)
    fi
    if [[ $format == gateway ]] && command -v mawk > /dev/null; then
        # Fields split at spaces: $9 is the status, the last field the quoted name.
        cmds+=(--cmd "mawk" "mawk '{ n[\$9 \" \" \$NF]++ } END { for (k in n) print k, n[k] }' $file")
    fi
    python3 "$here/throughput.py" --bytes "$bytes" --lines "$lines" --rounds "$ROUNDS" \
        "${refs[@]}" "${memory[@]}" "${cmds[@]}"
done
