#!/usr/bin/env bash
# Reservation throughput, side by side: the usual central-pool design (one
# PostgreSQL row per SKU, `UPDATE stock SET reserved = reserved + 1 WHERE
# sku = $1 AND on_hand - reserved >= 1`, driven by pgbench) against our
# hub (`bench reserve`: the HTTP API and the pool core), same workloads and
# client counts, both durable (PostgreSQL's default synchronous_commit and
# fsync; the hub flushes before it answers).
#
# Each case (workload x clients) runs PostgreSQL and then our HTTP API back
# to back, so both see the same load on a shared machine, and the ratio is
# taken within the pair; ROUNDS repeats every pair. The pool core runs last.
#
# Installs Debian's postgresql if missing, runs a throwaway cluster on
# loopback in a temp dir (as the postgres user when run as root), removes
# it afterwards. Never a timed test: run it by hand.
#
#   bash scripts/bench-postgres.sh            # 20 s per run, 16 and 64 clients
#   SECONDS_PER_RUN=10 CLIENTS="16 64" ROUNDS=3 bash scripts/bench-postgres.sh
#   BENCH_BIN=/path/to/other/bench bash scripts/bench-postgres.sh   # another build, not rebuilt
#   BEFORE_BIN=/tmp/before/target/release/bench bash scripts/bench-postgres.sh
#       # also runs an older build right after each PostgreSQL run (before/after
#       # side by side in one run); only the build under test sets the exit status
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
CLIENTS=${CLIENTS:-"1 16 64"}
ROUNDS=${ROUNDS:-1}
SKUS=5000
HOT=10
PORT=${PGPORT_BENCH:-55432}
if [ -n "${BENCH_BIN:-}" ]; then
    bench=$BENCH_BIN
else
    bench=target/release/bench
    cargo build --release -p tests --bin bench
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "bench-postgres: installing postgresql" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d /tmp/bench-pg.XXXXXX)
chmod 755 "$work"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$work"
    as_pg=(runuser -u postgres --)
fi
stop() {
    "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

"${as_pg[@]}" "$PGBIN/initdb" -D "$work/data" -A trust -U bench >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$work/data" -l "$work/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $work -c max_connections=200" start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=bench PGDATABASE=postgres
"$PGBIN/psql" -q -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE stock (sku text PRIMARY KEY, on_hand bigint NOT NULL, reserved bigint NOT NULL DEFAULT 0);
INSERT INTO stock SELECT 'SKU-' || g, 1000000000, 0 FROM generate_series(1, $SKUS) g;
VACUUM ANALYZE stock;
SQL
echo "bench-postgres: $("$PGBIN/psql" -tAc 'SHOW server_version') synchronous_commit=$("$PGBIN/psql" -tAc 'SHOW synchronous_commit') fsync=$("$PGBIN/psql" -tAc 'SHOW fsync')" >&2

for workload in spread hot; do
    n=$SKUS
    [ "$workload" = hot ] && n=$HOT
    cat >"$work/$workload.sql" <<SQL
\set n random(1, $n)
UPDATE stock SET reserved = reserved + 1 WHERE sku = 'SKU-' || :n AND on_hand - reserved >= 1;
SQL
done

missed=0
for round in $(seq "$ROUNDS"); do
    for workload in spread hot; do
        for c in $CLIENTS; do
            jobs=2
            [ "$c" -lt 2 ] && jobs=1
            tps=$("$PGBIN/pgbench" -n -M prepared -c "$c" -j "$jobs" -T "$SECONDS_PER_RUN" \
                -f "$work/$workload.sql" 2>/dev/null | awk '/^tps = /{print int($3); exit}')
            echo "round $round: postgresql $workload $c clients: $tps reservations/s"
            if [ -n "${BEFORE_BIN:-}" ]; then
                if ! "$BEFORE_BIN" reserve --targets api --workloads "$workload" --clients "$c" \
                    --seconds "$SECONDS_PER_RUN" --pg "$workload-$c=$tps" | sed 's/^/[before] /'; then
                    echo "[before] missed a target (reported, not counted: it is the old build)"
                fi
            fi
            "$bench" reserve --targets api --workloads "$workload" --clients "$c" \
                --seconds "$SECONDS_PER_RUN" --pg "$workload-$c=$tps" || missed=1
        done
    done
done
"$bench" reserve --targets core --clients "$(echo $CLIENTS | tr ' ' ',')" --seconds "$SECONDS_PER_RUN" || missed=1
# Every case runs even after a miss; the script still ends non-zero.
exit "$missed"
