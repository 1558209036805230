#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each), starting
# from the committed seed corpus. Installs cargo-fuzz if missing. On stable
# Rust, RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z sanitizer flags.
# A crash leaves its input in fuzz/artifacts/<target>/: turn it into a
# regression test next to the parser, then fix the parser.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
if ! rustc --version | grep -q nightly; then
    export RUSTC_BOOTSTRAP=1
fi
targets=$(cargo fuzz list)
for target in $targets; do
    echo "fuzz: $target for ${seconds}s" >&2
    mkdir -p "corpus/$target"
    cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -rss_limit_mb=2048
done
echo "fuzz: all targets ran ${seconds}s without a crash" >&2
