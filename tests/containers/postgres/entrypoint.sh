#!/bin/sh
# A fresh cluster per container; the server prints "database system is ready to accept
# connections" once, when it is (no init-time restart as in the official image).
set -e
bin=/usr/lib/postgresql/15/bin
data=/var/lib/portico-pg
mkdir -p "$data" && chown postgres "$data"
runuser -u postgres -- "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
echo "host all all 0.0.0.0/0 trust" >> "$data/pg_hba.conf"
exec runuser -u postgres -- "$bin/postgres" -D "$data" -c listen_addresses='*' -c fsync=off -c max_connections=200
