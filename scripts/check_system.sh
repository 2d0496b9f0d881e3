#!/bin/sh
# Stop with one line naming the Debian package when a system binary the suite needs is missing.
set -e
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1 || { echo "missing PostgreSQL server binaries: apt-get install -y postgresql"; exit 2; }
command -v redis-server >/dev/null 2>&1 || { echo "missing redis-server: apt-get install -y redis-server"; exit 2; }
[ -x /usr/bin/chromium ] || { echo "missing /usr/bin/chromium: apt-get install -y chromium"; exit 2; }
