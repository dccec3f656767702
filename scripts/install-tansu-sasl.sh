#!/usr/bin/env bash
# Installs the tansu broker build used by the SASL tests: tansu 0.6.0 from cargo's
# registry with the `libsql` feature, so that users (SCRAM credentials) live in a SQLite
# file that survives a broker restart. The wheel's build used elsewhere keeps storage in
# memory only and cannot hold SASL users (see ../shared/brokers.md).
#
# The build takes about 13 minutes on 2 cores. It goes to .cache/tansu-libsql/ (ignored
# by git) and a second run finds the binary and does nothing. Cargo's output goes to
# stderr; the binary's path is printed on stdout.
#
# TANSU_SASL_CACHE_DIR overrides the install root. A lock keeps two concurrent callers
# (say, the test runner and a test binary) from building twice.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${TANSU_SASL_CACHE_DIR:-$root/.cache/tansu-libsql}"
bin="$dest/bin/tansu"
version="0.6.0"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$dest"
exec 9>"$dest/.install.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

echo "install-tansu-sasl: building tansu $version with SQLite storage (about 13 min on 2 cores)" >&2
# A build directory of its own, so the project's target/ is not disturbed, and kept in
# the cache so an interrupted build resumes instead of starting over.
CARGO_TARGET_DIR="$dest/build" cargo install --locked tansu --version "$version" \
  --features libsql --root "$dest" >&2 \
  || CARGO_TARGET_DIR="$dest/build" cargo install tansu --version "$version" \
       --features libsql --root "$dest" >&2
rm -rf "$dest/build"
echo "$bin"
