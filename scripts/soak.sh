#!/usr/bin/env bash
# The soak (issue 12, item 6): the release hub for 30 minutes under a
# firmware-sim fleet of 1,000 faulty handhelds while a second process
# replays the hostile cases (broker panics, idle/slow HTTP, oversize
# bodies, bad ERP uploads). Prints the hub's memory and descriptors over
# time, broker restarts, scans lost and doubled; exits non-zero on any
# failure.
#
#   bash scripts/soak.sh                 # 30 minutes, 1,000 devices
#   bash scripts/soak.sh 300 1000        # 5 minutes
#   bash scripts/soak.sh 1800 1000 --panic-every 30 --csv soak.csv
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-1800}"
devices="${2:-1000}"
shift $(( $# > 2 ? 2 : $# ))
cargo build --release --workspace --bins
# 1,000 devices need several thousand descriptors across the processes.
ulimit -n "$(ulimit -Hn)"
exec target/release/soak run --seconds "$seconds" --devices "$devices" "$@"
