#!/usr/bin/env bash
# Installs Debian's stunnel4, the TLS terminator the TLS tests put in front of tansu
# (whose own TLS listener does not work: see ../shared/brokers.md), if it is missing.
# Prints the stunnel binary's path on stdout; apt's chatter goes to stderr.
set -euo pipefail

find_stunnel() {
  command -v stunnel4 || command -v stunnel || true
}

bin="$(find_stunnel)"
if [ -n "$bin" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-stunnel: stunnel is missing and this is no Debian/Ubuntu system;" \
       "install stunnel (4 or 5) with the system's package manager" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-stunnel: stunnel4 is missing; run 'apt-get install stunnel4' as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# Only refresh the package lists when the package is not known yet (a fresh image).
if ! apt-cache show stunnel4 >/dev/null 2>&1; then
  $sudo apt-get update -qq >&2
fi
$sudo apt-get install -y -qq --no-install-recommends stunnel4 >&2
bin="$(find_stunnel)"
if [ -z "$bin" ]; then
  echo "install-stunnel: apt-get installed stunnel4 but no stunnel binary is on PATH" >&2
  exit 1
fi
echo "$bin"
