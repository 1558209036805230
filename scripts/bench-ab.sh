#!/usr/bin/env bash
# Before/after: runs the durability-relevant benchmarks for two builds in
# alternation (A, B, A, B ...), so both see the same machine, and prints
# each build's lines side by side. Each benchmark prints its own ratio and
# verdict against its target; this script ends non-zero if any run of the
# B build (the one under test) misses its target.
#
#   bash scripts/bench-ab.sh BEFORE_BIN_DIR AFTER_BIN_DIR [rounds=2]
#
# Each BIN_DIR holds a release `agent` and `bench` (cargo build --release
# --workspace --bins; for an older commit, build it in a git worktree).
set -uo pipefail
a="${1:?before bin dir}"
b="${2:?after bin dir}"
rounds="${3:-2}"
work="$(mktemp -d /tmp/bench-ab.XXXXXX)"
trap 'rm -rf "$work"' EXIT
failed=0
run() {
    local label="$1" dir="$2"
    shift 2
    local out
    out="$("$@" 2>&1)"
    local rc=$?
    echo "$out" | grep -E "ratio|p50|p99|movements/s|drained|FAIL|PASS" | sed "s/^/[$label] /"
    if [ "$label" = after ] && [ $rc -ne 0 ]; then
        failed=1
    fi
}
for round in $(seq "$rounds"); do
    echo "== round $round"
    for side in before after; do
        dir="$a"
        [ "$side" = after ] && dir="$b"
        rm -rf "$work/rec" && mkdir -p "$work/rec"
        run "$side" "$dir" "$dir/agent" bench-record --dir "$work/rec" --count 3000
        run "$side" "$dir" "$dir/bench" ingest --devices 100 --batches 2000 --per-batch 1
        run "$side" "$dir" "$dir/bench" ingest --devices 100 --batches 200 --per-batch 100
        run "$side" "$dir" "$dir/bench" latency --devices 1000 --seconds 20
        run "$side" "$dir" "$dir/bench" latency --devices 5000 --seconds 20
        run "$side" "$dir" "$dir/bench" backlog --movements 100000
    done
done
exit "$failed"
