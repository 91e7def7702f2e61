#!/bin/sh
# Patroni's bootstrap.post_bootstrap: runs once, on the member that initialised the cluster, with a
# superuser connection string as $1. Creates the application database like the official image's
# POSTGRES_DB (the superuser is POSTGRES_USER, as in the single-host stack).
set -eu
[ "${POSTGRES_DB:-postgres}" = postgres ] && exit 0
psql "$1" -v ON_ERROR_STOP=1 -q -v db="$POSTGRES_DB" <<'SQL'
SELECT format('CREATE DATABASE %I', :'db')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
