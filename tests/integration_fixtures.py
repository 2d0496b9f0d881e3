"""Real services for integration tests: an SMTP sink (aiosmtpd), a Celery worker subprocess,
and a Redis server the test may stop and start.

Import the fixtures into a test package's conftest (see tests/accounts/conftest.py; pytest
refuses ``pytest_plugins`` outside the top-level conftest). Tests using the worker must be
transactional (the worker is another process and only sees committed rows) and use
``celery_live`` so the test process publishes to the broker instead of running tasks eagerly.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 90  # generous: a deadline for "it never arrived", not a timing assertion


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate: Callable[[], object], what: str, timeout: float = WAIT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


# --- SMTP sink ---------------------------------------------------------------------------


class SmtpSink:
    """Collects every message delivered to it (parsed), in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[email.message.EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def wait_for(self, address: str, count: int = 1) -> list[email.message.EmailMessage]:
        return wait_until(
            lambda: self.to(address) if len(self.to(address)) >= count else None,
            f"{count} email(s) to {address}",
        )

    @staticmethod
    def text(message: email.message.EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(scope="session")
def _smtp_sink_server() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink(_smtp_sink_server) -> SmtpSink:
    _smtp_sink_server.clear()
    return _smtp_sink_server


# --- Redis we control ----------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server on a fixed free loopback port, stoppable and restartable."""

    def __init__(self, directory: str) -> None:
        self.binary = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server not available (REDIS_SERVER_BIN unset)")
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _accepting(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._accepting, "redis to accept connections", timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        wait_until(lambda: not self._accepting(), "redis to stop", timeout=30)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(str(tmp_path))
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.terminate()
            server.process.wait(timeout=30)


# --- Celery ------------------------------------------------------------------------------


def _test_database_url() -> str:
    """DATABASE_URL with the database pytest-django created (``test_<name>``)."""
    from django.conf import settings

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = settings.DATABASES["default"]["NAME"]
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


class CeleryWorker:
    def __init__(
        self,
        *,
        broker_url: str,
        smtp_port: int,
        beat_interval: float | None = None,
        database_url: str | None = None,
    ):
        """``database_url`` defaults to pytest-django's test database; the benchmarks pass
        their own (bench/mix.py)."""
        self.broker_url = broker_url
        self.directory = tempfile.mkdtemp(prefix="celery-worker-")
        self.log_path = Path(self.directory) / "worker.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "DATABASE_URL": database_url or _test_database_url(),
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "PYTHONPATH": str(ROOT),
        }
        argv = [
            sys.executable, "-m", "celery", "-A", "progresonet", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "-n", f"test-{os.getpid()}-{free_port()}@%h",
        ]  # fmt: skip
        if beat_interval is not None:
            env["OUTBOX_RELAY_INTERVAL"] = str(beat_interval)
            argv += ["--beat", "--schedule", os.path.join(self.directory, "beat-schedule")]
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        wait_until(self._ready, "the Celery worker to be ready", timeout=60)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"Celery worker exited:\n{self.log()}")
        return " ready." in self.log()

    def stop(self) -> None:
        self.process.terminate()  # warm shutdown
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, _smtp_sink_server) -> Iterator[CeleryWorker]:
    """One worker for the session, on the Redis from REDIS_URL, delivering to the SMTP sink.
    Depends on ``django_db_setup`` so it stops before the test database is dropped."""
    broker = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")
    if not broker:
        pytest.skip("no broker: run through make test (REDIS_URL)")
    worker = CeleryWorker(broker_url=broker, smtp_port=_smtp_sink_server.port)
    try:
        yield worker
    finally:
        worker.stop()


@contextlib.contextmanager
def celery_publishing_to(broker_url: str) -> Iterator[None]:
    """Make this process publish tasks to ``broker_url`` instead of running them eagerly."""
    from kombu import pools as kombu_pools

    from progresonet.celery import app

    conf = app.conf
    # Celery reads the broker from the CELERY_BROKER_URL environment variable before its
    # configuration (make test exports it), but honours broker_write_url for publishing.
    saved = (conf.task_always_eager, conf.get("broker_write_url"))

    def reset_pools() -> None:
        # kombu keeps connection pools in a process-wide registry keyed by broker URL; reset
        # it so the next publish opens a fresh connection to the broker now configured.
        kombu_pools.reset()
        app._pool = None
        with contextlib.suppress(KeyError):
            app.__dict__["amqp"]._producer_pool = None

    conf.update(task_always_eager=False, broker_write_url=broker_url)
    reset_pools()
    try:
        assert conf.broker_write_url == broker_url
        yield
    finally:
        conf.update(task_always_eager=saved[0], broker_write_url=saved[1])
        reset_pools()


@pytest.fixture
def celery_live(celery_worker_process, smtp_sink, transactional_db) -> Iterator[CeleryWorker]:
    """The session worker, with this process publishing to its broker; the sink is empty."""
    with celery_publishing_to(celery_worker_process.broker_url):
        yield celery_worker_process
