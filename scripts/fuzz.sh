#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ and runs each for SECONDS (default 60) from
# the seed corpus committed in fuzz/seeds/<target>/ (copied into target/fuzz-corpus/,
# where libFuzzer adds what it finds; kept between runs). Prints each target's
# executions, coverage and findings, and fails if any target crashes, hangs or runs
# out of memory; the input that did it is in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# cargo-fuzz is installed into .cache/tools on first use. It needs nightly compiler
# flags, which RUSTC_BOOTSTRAP=1 allows on the stable toolchain.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/cache.sh
. scripts/cache.sh

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^kafka-sync-fuzz$')
fi

tools="$PWD/.cache/tools"
if [ ! -x "$tools/bin/cargo-fuzz" ]; then
  echo "== installing cargo-fuzz into .cache/tools"
  cargo install --quiet --locked --root "$tools" cargo-fuzz --version "~0.13"
fi
export PATH="$tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1

echo "== building the fuzz targets"
cargo fuzz build -O >/dev/null

failed=()
for target in "${targets[@]}"; do
  corpus="target/fuzz-corpus/$target"
  mkdir -p "$corpus" "fuzz/artifacts/$target"
  log="target/fuzz-$target.log"
  echo "== fuzzing $target for ${seconds}s"
  status=0
  cargo fuzz run -O "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
    -print_final_stats=1 >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
  echo "   $target: ${runs:-?} executions, ${cov:-?} coverage edges, corpus $(ls "$corpus" | wc -l) inputs"
  if [ "$status" -ne 0 ]; then
    echo "   $target FAILED (exit $status); the end of its log ($log):"
    tail -n 30 "$log" | sed 's/^/     /'
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
