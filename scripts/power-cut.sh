#!/usr/bin/env bash
# The long power-cut storm: many seeds, many cuts each, every agent and the
# hub on the power-cut FUSE file system. Ends non-zero on the first seed
# that loses or doubles anything confirmed.
# Usage: bash scripts/power-cut.sh [seeds=5] [cuts=40]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-5}"
cuts="${2:-40}"
command -v fusermount3 >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 >/dev/null
}
cargo build --workspace --bins
cargo test -q -p tests --test power_cut --no-run
failed=0
for seed in $(seq 1 "$seeds"); do
    log="$(mktemp)"
    if POWERCUT_SEED="$seed" POWERCUT_CUTS="$cuts" \
        cargo test -q -p tests --test power_cut -- --nocapture >"$log" 2>&1; then
        grep -E "power-cut seed" "$log"
    else
        echo "seed $seed FAILED:" >&2
        grep -E "power-cut seed|panicked|lost|problems|after" "$log" >&2 || cat "$log" >&2
        failed=1
    fi
    rm -f "$log"
done
exit "$failed"
