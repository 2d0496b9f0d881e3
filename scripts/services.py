#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL and Redis, then stop them.

    python scripts/services.py -- pytest -q

Both servers listen on free loopback ports in a temporary directory and are gone afterwards;
the command sees ``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` and ``PG_BINDIR``.
As root, PostgreSQL runs as the unprivileged ``postgres`` user (it refuses to run as root).
A missing binary stops the run with one line naming the package to install.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator


def fail(message: str) -> None:
    print(f"services: {message}", file=sys.stderr)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bindir() -> str:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if os.path.exists(os.path.join(directory, "pg_ctl")):
            return directory
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return os.path.dirname(pg_ctl)
    fail("PostgreSQL server binaries not found: apt-get install -y postgresql")
    raise AssertionError


def demote_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    fail("running as root but no 'postgres' user exists: apt-get install -y postgresql")
    raise AssertionError


def run_as(user: pwd.struct_passwd | None, argv: list[str], **kwargs) -> subprocess.Popen:
    if user is not None:
        kwargs["user"] = user.pw_uid
        kwargs["group"] = user.pw_gid
        kwargs["extra_groups"] = []
    return subprocess.Popen(argv, **kwargs)


def wait_for_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    fail(f"{what} did not start on port {port}")


@contextlib.contextmanager
def postgres(root: str) -> Iterator[str]:
    bindir = pg_bindir()
    user = demote_user()
    datadir = os.path.join(root, "pg")
    os.makedirs(datadir)
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
        os.chown(datadir, user.pw_uid, user.pw_gid)
    log = open(os.path.join(root, "pg.log"), "wb")  # noqa: SIM115 - closed in finally
    initdb = run_as(
        user,
        [
            f"{bindir}/initdb",
            "-D",
            datadir,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    if initdb.wait() != 0:
        fail(f"initdb failed, see {root}/pg.log")
    port = free_port()
    # Durability settings are relaxed only for this throwaway test cluster.
    options = [
        "-c",
        f"port={port}",
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        f"unix_socket_directories={root}",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=256MB",
    ]
    server = run_as(
        user,
        [f"{bindir}/postgres", "-D", datadir, *options],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=root,
    )
    try:
        wait_for_port(port, "PostgreSQL")
        for _ in range(100):
            if (
                subprocess.run(
                    [f"{bindir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                    capture_output=True,
                ).returncode
                == 0
            ):
                break
            time.sleep(0.1)
        os.environ["PG_BINDIR"] = bindir
        os.environ["PGDATA_TEST"] = datadir
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def redis(root: str) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        fail("redis-server not found: apt-get install -y redis-server")
    port = free_port()
    log = open(os.path.join(root, "redis.log"), "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            root,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, "Redis")
        os.environ["REDIS_SERVER_BIN"] = binary
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        fail("usage: services.py -- COMMAND [ARGS...]")
    with tempfile.TemporaryDirectory(prefix="progresonet-") as root:
        # A throwaway directory the demoted postgres user must be able to enter.
        os.chmod(root, 0o755)  # nosec B103
        with postgres(root) as database_url, redis(root) as redis_url:
            env = dict(os.environ)
            env["DATABASE_URL"] = database_url
            env["REDIS_URL"] = redis_url
            env["CELERY_BROKER_URL"] = redis_url
            proc = subprocess.Popen(argv, env=env)
            try:
                return proc.wait()
            except KeyboardInterrupt:
                proc.send_signal(signal.SIGINT)
                return proc.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
