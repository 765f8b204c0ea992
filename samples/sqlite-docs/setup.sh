#!/usr/bin/env bash
# Installs the sqlite-docs sample's corpus: SQLite's own HTML documentation, as Debian ships it in the
# sqlite3-doc package (bookworm: SQLite 3.40.1), copied into samples/sqlite-docs/corpus/ (git-ignored).
#
# The package is downloaded with `apt-get download` and unpacked with `dpkg-deb -x` into a temporary folder, so
# nothing is installed on the machine. `apt-get update` runs only when the download fails for lack of package
# lists. A second run with the corpus present and the same package version does nothing (corpus/.version).
# The pages under planted/ are not fetched: they live in git (see README.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="$here/corpus"
stamp="$corpus/.version"
package=sqlite3-doc

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "sqlite-docs setup: $*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || fail "apt-get not found: this setup needs a Debian or Ubuntu machine"
command -v dpkg-deb >/dev/null 2>&1 || fail "dpkg-deb not found: this setup needs a Debian or Ubuntu machine"

# The candidate version from the package lists (empty when the lists do not know the package yet).
candidate() { apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ { print $2 }' | grep -v '(none)' || true; }

version="$(candidate)"
if [ -n "$version" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  echo "sqlite-docs setup: corpus present ($package $version), nothing to do"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
# apt-get download writes as the _apt user when it can; a root-owned temporary folder makes it warn, not fail.
chmod 755 "$work"
if ! apt-get download -qq "$package" >/dev/null 2>"$work/download.err"; then
  echo "sqlite-docs setup: $package not downloadable yet, updating the package lists"
  as_root apt-get update -qq || fail "apt-get update failed"
  apt-get download -qq "$package" >/dev/null 2>"$work/download.err" \
    || fail "apt-get download $package failed: $(tr '\n' ' ' <"$work/download.err")"
fi
deb="$(ls "$work"/"$package"_*.deb 2>/dev/null | head -n 1)"
[ -n "$deb" ] || fail "apt-get download $package produced no .deb file"
version="$(dpkg-deb -f "$deb" Version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  echo "sqlite-docs setup: corpus present ($package $version), nothing to do"
  exit 0
fi

dpkg-deb -x "$deb" "$work/x" || fail "dpkg-deb -x $deb failed"
docs="$work/x/usr/share/doc/sqlite3"
[ -d "$docs" ] || fail "$deb has no /usr/share/doc/sqlite3 folder"

# Only the HTML pages (images, style sheets and the one PDF are not text to ground on), with their folders.
rm -rf "$corpus"
mkdir -p "$corpus"
(cd "$docs" && find . -type f -name '*.html' -print0 | xargs -0 cp --parents -t "$corpus")
echo "$version" >"$stamp"
echo "sqlite-docs setup: $(find "$corpus" -name '*.html' | wc -l) pages of $package $version in $corpus"
