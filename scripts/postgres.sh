# Sourced by scripts/test.sh: starts a throw-away PostgreSQL from Debian's packages for the tests.
# - a free port on 127.0.0.1 only, a fresh data folder under /tmp, password (SCRAM) authentication;
# - exports SKYBRIDGE_TEST_POSTGRES (a connection string to the `postgres` database as user `skybridge`,
#   which may create databases: each test class makes its own and drops it);
# - stops the server and deletes the folder when the calling shell exits.

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
  echo "postgres.sh: PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)" >&2
  return 1
fi

pg_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
pg_dir="$(mktemp -d /tmp/skybridge-pg.XXXXXX)"
pg_password="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

# initdb refuses to run as root: run the server as the `postgres` account the package creates.
pg_user="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  pg_user=postgres
  chown "$pg_user" "$pg_dir"
fi
pg_run() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }

printf '%s\n' "$pg_password" > "$pg_dir/pwfile"
chown "$pg_user" "$pg_dir/pwfile" 2>/dev/null || true
chmod 600 "$pg_dir/pwfile"
pg_run "$pg_bin/initdb" -D "$pg_dir/data" -U skybridge --pwfile="$pg_dir/pwfile" \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
  || { cat "$pg_dir/initdb.log" >&2; return 1; }
rm -f "$pg_dir/pwfile"

# fsync stays on: the tests exercise the same durability settings as production.
pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c max_connections=200" start >/dev/null \
  || { cat "$pg_dir/server.log" >&2; return 1; }

skybridge_stop_postgres() {
  pg_run "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap skybridge_stop_postgres EXIT

export SKYBRIDGE_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=skybridge;Password=$pg_password;Database=postgres"
echo "postgres.sh: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (data in $pg_dir)"
