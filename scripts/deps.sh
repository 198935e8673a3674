#!/usr/bin/env bash
# Install, with apt-get, every Debian package Strata needs to build, test and
# benchmark that is not installed yet. Safe to run again: it installs nothing
# when everything is present. Needs root or sudo for apt-get.
#   scripts/deps.sh          build + test dependencies
#   scripts/deps.sh --peer   also InfluxDB 1.6.7, its CLI and collectd (compatibility and
#                            real-client tests, benchmarks)
set -euo pipefail

pkgs=(build-essential cmake pkg-config clang clang-format
      liblmdb-dev liblz4-dev libxxhash-dev libuv1-dev libcmocka-dev
      libhttp-parser-dev libpcre2-dev zlib1g-dev curl)
for a in "$@"; do
  case "$a" in
    --peer) pkgs+=(influxdb influxdb-client collectd-core python3) ;;
    *) echo "usage: scripts/deps.sh [--peer]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: run as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
# InfluxDB's and collectd's packages try to start their services; keep them off, tests
# start their own.
if printf '%s\n' "${missing[@]}" | grep -qE '^(influxdb|collectd-core)$' && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
