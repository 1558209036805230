#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Debian's mosquitto-clients, for the third-party-client test; mosquitto,
# for the per-device ACL test against a real external broker; strace, for
# the sync audit; fuse3, for the power-cut file system; tmux, the terminal
# the agent's pick and pack UI is driven through; chromium, the headless
# browser the dashboard test drives; the Python packages in
# tests/python/requirements.txt, for the second-language device client
# written from protocol/WIRE.md, Playwright, which drives that browser
# (never `playwright install`: it uses /usr/bin/chromium), and Schemathesis,
# which tests the HTTP API against its own OpenAPI document), builds the
# binaries the multi-process tests spawn, then runs every test once.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v mosquitto_pub >/dev/null 2>&1 || need+=(mosquitto-clients)
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v fusermount3 >/dev/null 2>&1 || need+=(fuse3)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "test.sh: installing ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ -f tests/python/requirements.txt ]; then
    python3 -m pip install -q --disable-pip-version-check -r tests/python/requirements.txt
fi

# One build shared by every test: the binaries land in target/debug, where
# the cross-crate tests find them.
cargo build --workspace --bins
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --workspace "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
