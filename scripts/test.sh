#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need
# (Debian's mosquitto-clients, for the third-party-client test; mosquitto,
# for the per-device ACL test against a real external broker; openssl, which
# makes the CA and certificate of the broker TLS test; strace, for
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
command -v openssl >/dev/null 2>&1 || need+=(openssl)
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

# The end-to-end tests a second time with every hub on an external
# Mosquitto (WMS_TEST_BROKER=mosquitto: each test hub gets its own broker,
# whose password and ACL files the hub keeps and reloads). Left out: the
# tests whose attacker or spy reads or writes another device's topics
# (forged_acks, forged_status, garbage, retained, epochs' spy, labels'
# spy, identity's impersonation, the Python client's forged-ack step):
# Mosquitto's ACL refuses that before the hub's own checks are reached,
# which mosquitto_acl and sites show. Only when the first run passed.
# `--workspace`, as above, so the same test binaries serve (a `-p tests`
# build resolves features differently and would build them again).
mosquitto_bins=(crash offline duplicates fleet fleet_live idempotency orders order_channels
    pick_tui pipeline_crash reservations returns sim stock_exceptions)
mosquitto_tests=(a_journal_deleted_under_the_running_agent_refuses_one_scan_then_starts_a_new_epoch
    a_corrupt_registry_stops_the_hub_at_start_naming_the_file
    device_commands_print_secrets_once_and_list_none
    rotation_refuses_the_old_key_and_a_restarted_agent_drains_with_the_new
    a_label_caught_in_the_printer_by_an_open_head_is_cancelled_and_printed_elsewhere_once
    a_station_killed_mid_batch_resumes_without_a_duplicate
    a_silent_stations_jobs_move_after_the_failover_time_and_it_never_prints_them_late
    paper_out_mid_batch_moves_the_rest_and_every_label_prints_once
    the_hub_killed_mid_batch_loses_no_job_and_prints_none_twice
    a_revoked_raw_client_loses_its_open_connection
    a_revoked_device_is_disconnected_and_refused_and_its_agent_says_so
    a_real_agent_takes_its_list_picks_and_packs_the_order)
if [ "$status" -eq 0 ] && [ $# -eq 0 ]; then
    args=()
    for t in "${mosquitto_bins[@]}"; do args+=(--test "$t"); done
    echo "test.sh: the end-to-end tests again, every hub on Mosquitto" >&2
    WMS_TEST_BROKER=mosquitto cargo test --workspace "${args[@]}" 2>&1 | tee -a "$log" || status=$?
    if [ "$status" -eq 0 ]; then
        WMS_TEST_BROKER=mosquitto cargo test --workspace --test epochs --test identity \
            --test label_failover --test revocation --test work_queues -- --exact \
            "${mosquitto_tests[@]}" 2>&1 | tee -a "$log" || status=$?
    fi
fi
# One closing line for the whole run (cargo prints one per test binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
