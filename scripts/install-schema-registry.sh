#!/usr/bin/env bash
# Installs the schema registry the schema-registry tests run against: the Apicurio
# Registry application, pinned in scripts/schema-registry/pom.xml (2.4.2.Final; that
# file says why that version and how the runnable application is made from the library
# jar Maven Central serves). Maven fetches it and its runtime dependencies from Central
# only (scripts/schema-registry/settings.xml) and checks every checksum; the Quarkus
# build step then writes the runner jars. Everything goes to
# .cache/schema-registry/<version>/ (ignored by git): app/ holds
# test-schema-registry-1-runner.jar (open), test-schema-registry-1-auth.jar (HTTP basic
# auth on every path), test-schema-registry-1-mtls.jar (TLS client certificates
# required) and their lib/. A second run finds them and does nothing. Prints
# the app directory on stdout; Maven's chatter goes to stderr.
#
# Cold, this downloads about 120 MB and builds for about 50 s on 2 cores. Started by
# scripts/schema-registry.sh, it answers after about 6 s with a 384 MB heap.
#
# SCHEMA_REGISTRY_CACHE_DIR overrides the install root.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/scripts/schema-registry"
version="$(sed -n 's:.*<apicurio.version>\(.*\)</apicurio.version>.*:\1:p' "$src/pom.xml")"
dest="${SCHEMA_REGISTRY_CACHE_DIR:-$root/.cache/schema-registry}/$version"
app="$dest/app"
# The hash of everything the build reads is part of the marker, so a change installs
# again.
stamp="$(cd "$src" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"

if [ -f "$dest/installed-$stamp" ]; then
  echo "$app"
  exit 0
fi

# Several test binaries may ask at once on a fresh machine: one installs, the others
# wait for it and then find the jars.
mkdir -p "$dest"
exec 9>"$dest/.lock"
flock 9
if [ -f "$dest/installed-$stamp" ]; then
  echo "$app"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-schema-registry: '$tool' is missing: Apicurio Registry needs Java 17+ and Maven" >&2
    exit 1
  fi
done

build="$dest/build"
rm -rf "$build" "$app.partial"
mkdir -p "$build"
cp -R "$src/." "$build/"
echo "install-schema-registry: building Apicurio Registry $version from Maven Central" >&2
mvn --batch-mode --quiet -Dstyle.color=never -s "$build/settings.xml" -f "$build/pom.xml" package -DskipTests >&2
mkdir -p "$app.partial"
for jar in test-schema-registry-1-runner.jar test-schema-registry-1-auth.jar \
  test-schema-registry-1-mtls.jar; do
  if [ ! -f "$build/target/$jar" ]; then
    echo "install-schema-registry: the build did not write $build/target/$jar" >&2
    exit 1
  fi
  mv "$build/target/$jar" "$app.partial/"
done
mv "$build/target/lib" "$app.partial/lib"
rm -rf "$build" "$app"
mv "$app.partial" "$app"
rm -f "$dest"/installed-*
touch "$dest/installed-$stamp"
echo "$app"
