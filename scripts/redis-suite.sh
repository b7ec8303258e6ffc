#!/bin/bash
# Runs units of Redis's own test suite (the Tcl tests of redis 7.0.15, Debian's source package)
# against `keepsake server`, as an external server: a compatibility survey, not part of npm test.
#
#   scripts/redis-suite.sh [unit ...]        e.g. scripts/redis-suite.sh type/string expire
#
# Default units: the data types and keyspace commands Keepsake serves. For each unit it prints
# the tests passed and failed; the failing tests' names and errors go to $OUT (default
# /tmp/keepsake-redis-suite), one file per unit.
#
# Three changes are made to the suite's support code (not to any test), all for running against
# a server that is not redis-server:
#   - every client connection sends AUTH admin <password> first (Keepsake always requires AUTH);
#   - FUNCTION FLUSH, which Keepsake does not have, may fail before each test file;
#   - a CONFIG SET a test file asks for may fail, and so may a CONFIG SET of an encoding threshold
#     (such as hash-max-ziplist-entries: Keepsake has one representation per type) in a test body.
# Run with --ignore-encoding and --ignore-digest (no OBJECT ENCODING, no DEBUG DIGEST-VALUE).
# Tests that need DEBUG, replication, AOF loading or redis-server's own encodings fail for reasons
# that are not bugs; read the error, not only the count.
set -euo pipefail
VERSION=7.0.15
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${KEEPSAKE_REDIS_SRC:-$HOME/.cache/keepsake/redis-$VERSION}
OUT=${OUT:-/tmp/keepsake-redis-suite}
PORT=${KEEPSAKE_SUITE_PORT:-7310}
UNITS=("$@")
[ ${#UNITS[@]} -gt 0 ] || UNITS=(type/string type/incr type/hash type/list type/set type/zset expire keyspace)

command -v tclsh >/dev/null || { echo "tclsh is needed: apt-get install tcl" >&2; exit 1; }
command -v redis-cli >/dev/null || bash "$ROOT/scripts/ensure-redis.sh"
if [ ! -d "$CACHE/tests" ]; then
  mkdir -p "$(dirname "$CACHE")"
  tmp=$(mktemp -d)
  curl -fsSL "http://deb.debian.org/debian/pool/main/r/redis/redis_$VERSION.orig.tar.gz" -o "$tmp/src.tgz"
  tar -xzf "$tmp/src.tgz" -C "$tmp"
  # Patched where it was unpacked and moved into place last: a failed step leaves no half-made cache.
  SRC="$tmp/redis-$VERSION"
  # AUTH on every connection, before the client is registered.
  python3 - "$SRC/tests/support/redis.tcl" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
anchor = "    fconfigure $fd -translation binary\n    set id [incr ::redis::id]"
assert anchor in s, 'redis.tcl changed'
s = s.replace(anchor, """    fconfigure $fd -translation binary
    if {[info exists ::env(KS_AUTH)]} {
        puts -nonewline $fd "*3\\r\\n\\$4\\r\\nAUTH\\r\\n\\$5\\r\\nadmin\\r\\n\\$[string length $::env(KS_AUTH)]\\r\\n$::env(KS_AUTH)\\r\\n"
        flush $fd
        gets $fd
    }
    set id [incr ::redis::id]""", 1)
open(p, 'w').write(s)
PY
  sed -i 's/^    r function flush$/    catch {r function flush}/; s/^        r config set \$param \$val$/        catch {r config set $param $val}/' "$SRC/tests/support/server.tcl"
  grep -q 'catch {r function flush}' "$SRC/tests/support/server.tcl" || { echo "server.tcl changed" >&2; exit 1; }
  # `r config set ...` in a test body: an encoding threshold Keepsake does not have answers "" here.
  sed -i 's/^    \[srv \$level "client"\] {\*}\$args$/    if {[string tolower [lindex $args 0]] eq "config" \&\& [string tolower [lindex $args 1]] eq "set" \&\& [string match {*-max-*} [lindex $args 2]]} { catch {[srv $level "client"] {*}$args}; return "" }\n    [srv $level "client"] {*}$args/' "$SRC/tests/test_helper.tcl"
  grep -q 'catch {\[srv \$level "client"\]' "$SRC/tests/test_helper.tcl" || { echo "test_helper.tcl changed" >&2; exit 1; }
  mv "$SRC" "$CACHE"
  rm -rf "$tmp"
fi

# A fresh server (and data directory) per unit: a unit that fails half-way can leave settings
# (a CONFIG SET maxmemory) or keys behind, which would fail the next unit for no reason of its own.
PID=; DIR=
stop_server() {
  if [ -n "$PID" ]; then kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ -n "$DIR" ]; then rm -rf "$DIR" "$DIR.log"; fi
  PID=; DIR=
}
start_server() {
  DIR=$(mktemp -d /tmp/keepsake-suite-XXXXXX)
  KEEPSAKE_ADMIN_PASSWORD=suite node "$ROOT/bin/keepsake.js" server --port "$PORT" --dir "$DIR" --insecure --no-metrics --log-level warn --ack memory >"$DIR.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.1; done
  echo "keepsake server did not start:" >&2; cat "$DIR.log" >&2; exit 1
}
trap stop_server EXIT

mkdir -p "$OUT"
cd "$CACHE"
total_ok=0; total_err=0
for u in "${UNITS[@]}"; do
  start_server
  log="$OUT/$(echo "$u" | tr / -).txt"
  KS_AUTH=suite timeout 900 ./runtest --host 127.0.0.1 --port "$PORT" --single "unit/$u" --ignore-encoding --ignore-digest \
    --clients 1 --no-latency --durable 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log" || true
  ok=$(grep -c '^\[ok\]' "$log" || true)
  bad=$(grep -c '^\[err\]\|^\[exception\]' "$log" || true)
  total_ok=$((total_ok + ok)); total_err=$((total_err + bad))
  printf '%-14s passed %4d  failed %4d  (%s)\n' "$u" "$ok" "$bad" "$log"
  kill -0 $PID 2>/dev/null || { echo "the server died during $u" >&2; cat "$DIR.log" >&2; exit 1; }
  [ "$(timeout 5 redis-cli -p "$PORT" -a suite --no-auth-warning ping 2>&1)" = PONG ] || { echo "the server stopped answering during $u" >&2; exit 1; }
  stop_server
done
printf '%-14s passed %4d  failed %4d\n' all "$total_ok" "$total_err"
