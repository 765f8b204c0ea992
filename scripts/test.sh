#!/usr/bin/env bash
# Runs every Skybridge test on a fresh Debian machine with the .NET SDK:
# installs and starts what the tests need (PostgreSQL on a free local port with a throw-away
# data folder, Debian's Chromium for the browser tests), then runs `dotnet test`.
#
# Local opt-outs (each shows up as skipped tests, never as passes):
#   SKYBRIDGE_TEST_SKIP_POSTGRES=1  do not install or start PostgreSQL
#   SKYBRIDGE_TEST_SKIP_BROWSER=1   do not install Chromium
# Extra arguments go to `dotnet test` (e.g. --filter-class ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# One apt-get update at most, and only when something is missing.
missing=()
if [ "${SKYBRIDGE_TEST_SKIP_POSTGRES:-}" != "1" ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if [ "${SKYBRIDGE_TEST_SKIP_BROWSER:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
# A standard OAuth client (oauth4webapi, from npm) checks that any conforming library can use Skybridge tokens.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} from Debian packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The sqlite-docs sample's corpus (Debian's sqlite3-doc); its tests are skipped when it is missing.
samples/sqlite-docs/setup.sh || echo "test.sh: the sqlite-docs corpus is not installed; its tests will be SKIPPED"

if [ "${SKYBRIDGE_TEST_SKIP_POSTGRES:-}" != "1" ]; then
  # Starts a throw-away server, exports SKYBRIDGE_TEST_POSTGRES and stops it on exit.
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
else
  echo "test.sh: PostgreSQL tests will be SKIPPED (SKYBRIDGE_TEST_SKIP_POSTGRES=1)"
fi

# Two cores: build once, then let the test projects run.
dotnet build Skybridge.slnx -c Release -v quiet -nologo -clp:ErrorsOnly
dotnet test --solution Skybridge.slnx -c Release --no-build "$@"
