#!/usr/bin/env bash
# Debian packages the tests drive for real: Chromium (browser tests) and PostgreSQL (gradebook on a real server).
# Installs only what is missing; without root it says what it could not install and the tests that need it skip.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: not root, cannot install: ${need[*]} (tests that need them will skip)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
