#!/usr/bin/env bash
# Installs Debian's redis-server and redis-tools (redis-benchmark) when either is missing,
# then prints their versions. Used by `npm run bench redis` (bench/redis-compare.ts).
set -euo pipefail

aptRetryMax=30       # attempts while another apt/dpkg holds the lock
aptRetryDelaySec=5

sudoIfNeeded() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

aptWithRetry() {
  local attempt=1
  until sudoIfNeeded env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0 "$@" >/dev/null; do
    if [ "$attempt" -ge "$aptRetryMax" ]; then
      echo "ensure-redis: apt-get $* failed after $attempt attempts" >&2
      return 1
    fi
    echo "ensure-redis: apt-get $* failed (lock held?), retrying in ${aptRetryDelaySec}s ($attempt/$aptRetryMax)" >&2
    attempt=$((attempt + 1))
    sleep "$aptRetryDelaySec"
  done
}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-benchmark >/dev/null 2>&1; then
  echo "ensure-redis: installing redis-server and redis-tools" >&2
  aptWithRetry update
  aptWithRetry install -y --no-install-recommends redis-server redis-tools
  # Debian's package starts a system redis on 6379; the benchmark runs its own instances.
  if command -v systemctl >/dev/null 2>&1; then sudoIfNeeded systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
fi

redis-server --version
redis-benchmark --version
