#!/usr/bin/env bash
# The long crash-and-partition storm: many seeds, many rounds each.
# Usage: bash scripts/storm.sh [seeds=5] [rounds=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-5}"
rounds="${2:-1000}"
cargo build --workspace --bins
for seed in $(seq 1 "$seeds"); do
    STORM_SEED="$seed" STORM_ROUNDS="$rounds" \
        cargo test -q -p tests --test storm -- --nocapture 2>&1 | grep -E "storm seed|panicked|FAILED" || true
done
