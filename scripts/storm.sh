#!/usr/bin/env bash
# The long crash-and-partition storm: many seeds, many rounds each. Ends
# non-zero if any seed fails.
# Usage: bash scripts/storm.sh [seeds=5] [rounds=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-5}"
rounds="${2:-1000}"
cargo build --workspace --bins
failed=0
for seed in $(seq 1 "$seeds"); do
    log="$(mktemp)"
    if STORM_SEED="$seed" STORM_ROUNDS="$rounds" \
        cargo test -q -p tests --test storm -- --nocapture >"$log" 2>&1; then
        grep -E "storm seed" "$log"
    else
        echo "seed $seed FAILED:" >&2
        cat "$log" >&2
        failed=1
    fi
    rm -f "$log"
done
exit "$failed"
