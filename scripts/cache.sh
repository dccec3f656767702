# Sourced by the project's scripts: makes `.cache/` (ignored by git) point at a cache
# directory outside the checkout, so that installs and builds (the tansu binaries, the
# Python virtualenv) survive fresh clones on the same machine, as CI makes them.
# KAFKA_SYNC_CACHE overrides the location (default: ~/.cache/kafka-sync).
cache_root="${KAFKA_SYNC_CACHE:-${HOME:-/tmp}/.cache/kafka-sync}"
if [ ! -e .cache ] && [ ! -L .cache ]; then
  mkdir -p "$cache_root"
  ln -s "$cache_root" .cache
fi
