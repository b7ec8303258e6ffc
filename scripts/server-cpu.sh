#!/bin/bash
# Server CPU per request, split by thread, for one redis-benchmark load against `keepsake server`
# (plaintext, on a scratch data directory). Shows what the main thread, the libuv pool (fsync) and
# V8's GC helpers each cost, which redis-benchmark's ops/s (noisy on a small VM) does not.
#
#   scripts/server-cpu.sh [--ack LEVEL] [--test set|get] [--pipeline P] [--requests N] [--keys K] [-- SERVER FLAGS]
#
# e.g. the cost of fsyncing memory-level writes every 2 ms rather than every 10:
#   scripts/server-cpu.sh --test set -- --memory-flush-ms 2
#   scripts/server-cpu.sh --test set -- --memory-flush-ms 10
#
# The store is first filled with SETs over the same K keys (default 100k), so GETs hit. A smaller
# --keys shows what the store's cache misses cost: e.g. --test get --pipeline 16 --keys 1000.
set -euo pipefail
ACK=memory; TEST=set; P=1; N=150000; KEYS=100000; PORT=${KEEPSAKE_CPU_PORT:-7099}; SERVER_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; SERVER_FLAGS=("$@"); break ;;
    --ack) ACK=$2; shift 2 ;;
    --test) TEST=$2; shift 2 ;;
    --pipeline) P=$2; shift 2 ;;
    --requests) N=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v redis-benchmark >/dev/null || bash "$(dirname "$0")/ensure-redis.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/keepsake-cpu-XXXXXX)
cd "$ROOT"
KEEPSAKE_ADMIN_PASSWORD=pw node --max-semi-space-size=64 bin/keepsake.js server --port "$PORT" --dir "$DIR" --ack "$ACK" --no-metrics --log-level warn --insecure "${SERVER_FLAGS[@]}" >"$DIR.log" 2>&1 &
PID=$!
trap 'kill -INT $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR" "$DIR.log"' EXIT
for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
redis-benchmark -p "$PORT" -a pw -c 50 -n $((KEYS * 3)) -P 16 -t set -r "$KEYS" -q >/dev/null 2>&1
redis-benchmark -p "$PORT" -a pw -c 50 -n 20000 -P "$P" -t "$TEST" -r "$KEYS" -q >/dev/null 2>&1
snap() { for t in /proc/$PID/task/*; do echo "$(basename "$t") $(awk '{print $14+$15}' "$t/stat")"; done | sort; }
snap >"$DIR/t0"
redis-benchmark -p "$PORT" -a pw -c 50 -n "$N" -P "$P" -t "$TEST" -r "$KEYS" -q 2>&1 | tr '\r' '\n' | grep -v 'rps=' | grep requests
snap >"$DIR/t1"
main=$(basename "$(readlink -f /proc/$PID/task/$PID)")
join "$DIR/t0" "$DIR/t1" | awk -v n="$N" -v main="$PID" -v hz="$(getconf CLK_TCK)" '
  { d = ($3 - $2) * 1e6 / hz / n; if ($1 == main) m += d; else o += d }
  END { printf "server CPU per request: %.2f us (main thread %.2f, other threads %.2f)\n", m + o, m, o }'
