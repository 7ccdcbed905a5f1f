#!/bin/sh
# A fresh data directory per container with a `test` database; mariadbd prints "ready for
# connections" once, when it is. Grant tables are skipped: any user may connect (tests only).
set -e
data=/var/lib/portico-mysql
mkdir -p "$data" /run/mysqld && chown mysql "$data" /run/mysqld
mariadb-install-db --user=mysql --datadir="$data" --skip-test-db >/dev/null
echo "CREATE DATABASE IF NOT EXISTS test;" > /tmp/init.sql
exec mariadbd --user=mysql --datadir="$data" --bind-address=0.0.0.0 --skip-grant-tables \
    --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --max-connections=500 --init-file=/tmp/init.sql
