#!/usr/bin/env bash
# Installs Debian's chromium for the timeline's browser test (test/timeline), when missing.
# Quiet on success; waits for apt/dpkg locks held by another process instead of failing.
set -euo pipefail

chromiumPath=/usr/bin/chromium
lockWaitSeconds=600

if [ -x "$chromiumPath" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "install-chromium: $chromiumPath is missing and this user cannot run apt-get (not root, no sudo)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# apt-get waits for the dpkg lock itself with this option (apt >= 1.9); retry as well in case
# the lists lock (which the option does not cover on every version) is held.
aptGet() {
  local attempt
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$lockWaitSeconds" -qq "$@" >"$log" 2>&1; then
      return 0
    fi
    if grep -qiE 'could not get lock|unable to lock|lock-frontend|is another process using it' "$log"; then
      sleep $((attempt * 5))
      continue
    fi
    cat "$log" >&2
    return 1
  done
  cat "$log" >&2
  return 1
}

aptGet update
aptGet install -y --no-install-recommends chromium

if [ ! -x "$chromiumPath" ]; then
  echo "install-chromium: apt installed chromium but $chromiumPath is missing" >&2
  exit 1
fi
