#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL, create the test role and database,
# and print the URL for the store tests:   eval "$(bash .ci/postgres.sh)"
# Idempotent: safe to run again; everything but the final `export` goes to stderr.
set -euo pipefail

PG_USER="${PG_USER:-credit_policy}"
PG_PASSWORD="${PG_PASSWORD:-credit_policy}"
PG_DB="${PG_DB:-credit_policy_test}"
PG_PORT="${PG_PORT:-5432}"

log() { echo "postgres.sh: $*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql"
    as_root apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "${version}/main"; then
    log "creating cluster ${version}/main"
    as_root pg_createcluster "$version" main --port "$PG_PORT" >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    log "starting cluster ${version}/main"
    as_root pg_ctlcluster "$version" main start >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')"

for _ in $(seq 1 30); do
    if as_root su postgres -c "psql -p $port -qAtc 'select 1'" >/dev/null 2>&1; then break; fi
    sleep 1
done

psql_admin() { as_root su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAt -c \"$1\""; }

if [ "$(psql_admin "select 1 from pg_roles where rolname='${PG_USER}'")" != "1" ]; then
    log "creating role ${PG_USER}"
    psql_admin "create role ${PG_USER} login password '${PG_PASSWORD}' createdb" >&2
fi
if [ "$(psql_admin "select 1 from pg_database where datname='${PG_DB}'")" != "1" ]; then
    log "creating database ${PG_DB}"
    psql_admin "create database ${PG_DB} owner ${PG_USER}" >&2
fi

echo "export CREDIT_POLICY_PG_URL=postgresql+psycopg://${PG_USER}:${PG_PASSWORD}@localhost:${port}/${PG_DB}"
