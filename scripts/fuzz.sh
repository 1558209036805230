#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each), starting
# from the committed seed corpus. Installs cargo-fuzz if missing. On stable
# Rust, RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z sanitizer flags.
# Usage: bash scripts/fuzz.sh [seconds-per-target] [target...]
# Every target runs even after one fails; the script exits non-zero if any
# crashed, leaked, timed out (10 s on one input) or ran out of memory
# (2 GiB). A failure leaves its input in fuzz/artifacts/<target>/:
# minimise it (cargo fuzz tmin), turn it into a regression test next to
# the parser, copy it to corpus/<target>/seed-crash-<what> (only seed-*
# files are committed; cargo test replays them through the target's check,
# tests/tests/fuzz_corpus.rs), then fix the parser. libFuzzer's output for each target is
# in fuzz/logs/<target>.log; the last lines printed are one row a target.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi
targets="${*:-$(cargo fuzz list)}"
mkdir -p logs
summary=""
failed=""
for target in $targets; do
    echo "fuzz: $target for ${seconds}s" >&2
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    result=ok
    if ! cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        >"$log" 2>&1; then
        result=FAILED
        failed="$failed $target"
        tail -n 40 "$log" >&2
    fi
    # libFuzzer's last line: "Done <runs> runs in <seconds> second(s)".
    done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1 || true)
    rate=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | grep -oE 'exec/s: [0-9]+' || true)
    corpus=$(find "corpus/$target" -type f | wc -l)
    summary="$summary
$target: $result; ${done_line:-no Done line}; ${rate:-no rate}; corpus $corpus files"
done
echo "fuzz: results ($seconds s a target):$summary" >&2
if [ -n "$failed" ]; then
    echo "fuzz: FAILED:$failed (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash" >&2
