"""Real processes and real HTTP for the reliability suite: a dedicated database on the
throwaway PostgreSQL, gunicorn instances on free loopback ports, and members who log in and
walk the "Entre mis cuentas" wizard with nothing but ``http.client``.

Used by the pytest scenarios (small sizes, ``make test``) and by ``python -m
tests.reliability`` (``make reliability``, the issue's sizes). Nothing here asserts on time.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from scripts import pgembedded

# One copy of the waiting helpers for the whole test tree (re-exported: bench/ uses them).
from tests.integration_fixtures import WAIT_SECONDS, free_port, wait_until  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "progresonet.settings.test"
WEB_SETTINGS = "tests.reliability.settings"
PASSWORD = "Reliable2026"
PIN = "4826"
WIZARD = "/transferencias/entre-mis-cuentas/"
DASHBOARD = "/cuentas/"


# --- database --------------------------------------------------------------------------------


def server_url() -> str:
    url = os.environ.get("RELIABILITY_SERVER_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("reliability: DATABASE_URL must name PostgreSQL (run it via make).")
    return url


def database_url(name: str) -> str:
    return urlunsplit(urlsplit(server_url())._replace(path=f"/{name}"))


def database_recreate(name: str) -> str:
    import psycopg

    with psycopg.connect(server_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def dbtool(db_url: str, *args: str, settings: str = SETTINGS) -> dict | list:
    """Run :mod:`tests.reliability.dbtool` against ``db_url`` and return its JSON."""
    env = {**os.environ, "DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": settings}
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.dbtool", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dbtool {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def members_setup(
    db_url: str, groups: list[dict], *, settings: str = SETTINGS
) -> dict[str, list[dict]]:
    """Migrate the database and create each group's members; see ``dbtool.setup``."""
    full = [{"password": PASSWORD, "pin": PIN, **group} for group in groups]
    return dbtool(db_url, "setup", json.dumps(full), settings=settings)


# --- a PostgreSQL of our own, to stop and start -------------------------------------------------


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a free port that a fault scenario may stop and start
    (the shared server of ``scripts/services.py`` also serves pytest's own database, so it is
    never the one restarted). The same embedded server, started the same way
    (scripts/pgembedded.py); as root, it runs as the ``postgres`` (or ``nobody``) user."""

    def __init__(self) -> None:
        self.user = pgembedded.demote_user()
        self.root = Path(tempfile.mkdtemp(prefix="pg-fault-"))
        self.datadir = self.root / "data"
        self.datadir.mkdir()
        self.log = self.root / "pg.log"
        self.log.touch()
        pgembedded.give(self.user, self.root, self.datadir, self.log)
        self.port = free_port()
        self.running = False
        pgembedded.initdb(self.datadir, self.user, self.log, sync=False)
        self.start()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        settings = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.root,
            "fsync": "off",
            "max_connections": 100,
        }
        pgembedded.start(self.datadir, self.user, self.log, settings)
        self.running = True
        import psycopg

        def ready() -> bool:
            with contextlib.suppress(psycopg.OperationalError), psycopg.connect(self.url):
                return True
            return False

        wait_until(ready, "the fault PostgreSQL to accept logins")

    def stop(self) -> None:
        """Fast shutdown: open transactions are rolled back, clients are disconnected."""
        if self.running:
            pgembedded.stop(self.datadir, self.user, self.log)
            self.running = False

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def database_create(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))


# --- gunicorn --------------------------------------------------------------------------------


class Gunicorn:
    """One gunicorn on a free loopback port serving the project against ``db_url``.

    gthread workers keep a persistent PostgreSQL connection per thread (CONN_MAX_AGE), as a
    production deployment would; sessions live in the database, so instances share them.
    """

    def __init__(
        self,
        db_url: str,
        *,
        workers: int = 2,
        threads: int = 4,
        settings: str = WEB_SETTINGS,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="gunicorn-")
        self.log_path = Path(self.directory) / "gunicorn.log"
        environ = {
            **os.environ,
            "DATABASE_URL": db_url,
            "DJANGO_SETTINGS_MODULE": settings,
            "DJANGO_CONN_MAX_AGE": "60",
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        argv = [
            sys.executable, "-m", "gunicorn", "progresonet.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads),
            "--timeout", "60", "--graceful-timeout", "10", "--log-level", "warning",
        ]  # fmt: skip
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            argv, cwd=ROOT, env=environ, stdout=self._log, stderr=subprocess.STDOUT
        )
        wait_until(self._ready, f"gunicorn on port {self.port}")

    @property
    def base(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log()}")
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection(*self.base, timeout=5)
            conn.request("GET", "/ingresar/")
            return conn.getresponse().status == 200
        return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def gunicorns(db_url: str, count: int, **kwargs) -> Iterator[list[Gunicorn]]:
    started: list[Gunicorn] = []
    try:
        for _ in range(count):
            started.append(Gunicorn(db_url, **kwargs))
        yield started
    finally:
        for server in started:
            server.stop()


@contextlib.contextmanager
def pgbouncer(db_url: str) -> Iterator[str]:
    """A real PgBouncer (Debian's package) in TRANSACTION pooling mode on a free loopback port
    in front of ``db_url``'s server; yields the URL to reach the same database through it.

    Run as the server's unprivileged user when we are root (PgBouncer refuses root).
    Few server connections on purpose: many client connections share them, as in production.
    """
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        raise RuntimeError("missing pgbouncer: apt-get install -y pgbouncer")
    parts = urlsplit(db_url)
    port = free_port()
    directory = tempfile.mkdtemp(prefix="pgbouncer-")
    os.chmod(directory, 0o755)  # noqa: S103  # nosec B103 - the demoted user logs here
    config = Path(directory) / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={parts.hostname} port={parts.port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {directory}/users.txt\n"
        "pool_mode = transaction\n"
        "default_pool_size = 10\nmax_client_conn = 500\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {directory}/pgbouncer.log\npidfile = {directory}/pgbouncer.pid\n"
    )
    (Path(directory) / "users.txt").write_text(f'"{parts.username}" ""\n')
    user = pgembedded.demote_user()
    pgembedded.give(user, directory)
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [binary, str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        **pgembedded.as_user(user),
    )
    try:

        def ready() -> bool:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                return True
            return False

        wait_until(ready, f"pgbouncer on port {port}")
        yield urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(directory, ignore_errors=True)


# Behind PgBouncer in transaction mode: what docker-compose.yml sets for web and worker.
POOLING_ENV = {"DJANGO_DB_TRANSACTION_POOLING": "true"}


# --- an HTTP member ----------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class TransportError(Exception):
    """The connection failed (refused, reset): no HTTP status at all."""


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')
# The dashboard's balance cell: a table cell (with its card label for phones) holding the
# amount in a money span (ledger.templatetags.money).
_BALANCE = re.compile(
    r'<td class="num"[^>]*>\s*(?:<span class="money">)?(?:Bs|\$us)(?:\s|&nbsp;|\xa0)'
    r"([0-9.]+,[0-9]{2})(?:</span>)?\s*</td>"
)
_RECEIPT = re.compile(r"^/transferencias/comprobante/(\d+)/$")


def parse_amount(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


class Member:
    """A browser without JavaScript: cookies, the CSRF token of the last form, and a server.

    Every request opens its own connection (``Connection: close``) so no idle keep-alive
    socket can be closed under us and turn a POST into an ambiguous retry.
    """

    def __init__(
        self, server: Gunicorn | tuple[str, int], username: str = "", *, source: str = ""
    ) -> None:
        self.server = server.base if isinstance(server, Gunicorn) else server
        self.username = username
        # A loopback source address (127.0.0.2, ...): Linux routes all of 127.0.0.0/8 to
        # loopback, so each simulated visitor has its own REMOTE_ADDR, as on the internet.
        self.source = source
        # Sent with every request (e.g. a forged X-Forwarded-For in the proxy checks).
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.statuses: Counter[int] = Counter()

    def clone(self) -> Member:
        """The same browser session (cookies and token) in another thread."""
        twin = Member(self.server, self.username, source=self.source)
        twin.cookies = dict(self.cookies)
        twin.csrf = self.csrf
        return twin

    def request(
        self,
        method: str,
        path: str,
        data: dict | None = None,
        *,
        server: Gunicorn | None = None,
    ) -> Response:
        host, port = server.base if server is not None else self.server
        headers = {"Connection": "close", "Host": f"{host}:{port}", **self.headers}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode({"csrfmiddlewaretoken": self.csrf, **data})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # Django's CSRF check wants a same-origin Referer/Origin only over HTTPS; keep it.
            headers["Origin"] = f"http://{host}:{port}"
        started = time.perf_counter()
        conn = http.client.HTTPConnection(
            host, port, timeout=120, source_address=(self.source, 0) if self.source else None
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
            cookies = raw.headers.get_all("Set-Cookie") or []
            response = Response(
                raw.status,
                {k.lower(): v for k, v in raw.getheaders()},
                text,
                time.perf_counter() - started,
            )
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(str(exc)) from exc
        finally:
            conn.close()
        self.statuses[response.status] += 1
        if response.status >= 500 and "Servicio no disponible" not in text:
            # Not the portal's Spanish error page: gunicorn's bare page or a crashed handler.
            self.statuses["5xx without the portal's error page"] += 1
        for header in cookies:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or value in ("", '""'):
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        token = _CSRF.search(text)
        if token:
            self.csrf = html.unescape(token.group(1))
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, **kw) -> Response:
        return self.request("POST", path, data, **kw)

    def login(self, password: str = PASSWORD, **kw) -> None:
        self.get("/ingresar/", **kw)
        response = self.post("/ingresar/", {"username": self.username, "password": password}, **kw)
        if response.status != 302:
            raise AssertionError(f"login of {self.username} failed: {response.status}")

    def balances(self, **kw) -> tuple[Response, list[Decimal]]:
        response = self.get(DASHBOARD, **kw)
        return response, [parse_amount(m) for m in _BALANCE.findall(response.body)]

    # The wizard, one step per call, so a scenario can interleave servers or stop anywhere.

    def step(self, step: str, fields: dict, *, extra: dict | None = None, **kw) -> Response:
        data = {"transfer_own-current_step": step}
        data.update({f"{step}-{k}": v for k, v in fields.items()})
        data.update(extra or {})
        return self.post(WIZARD, data, **kw)

    def walk_to_confirm(
        self, source: int, destination: int, amount: Decimal, servers: list | None = None
    ) -> tuple[Response, str | None]:
        """Steps 1-3; returns the last response and the idempotency key if step 4 shows."""
        servers = servers or [None] * 4
        self.get(WIZARD, server=servers[0])
        self.step("source", {"transfer_type": "own", "source_account": source}, server=servers[1])
        self.step("destination", {"destination_account": destination}, server=servers[2])
        response = self.step(
            "data",
            {
                "currency": "BOB",
                "amount": f"{amount:.2f}".replace(".", ","),
                "description": "Prueba de carga",
                "notify_email": "",
                # Always declared: the workload's members pass the regulatory 5-day USD 1000
                # threshold within seconds, after which the declaration is required.
                "funds_origin": "Ahorro propio",
                "funds_destination": "Ahorro en otra cuenta",
            },
            server=servers[3],
        )
        key = _KEY.search(response.body) if "Paso 4 de 4" in response.body else None
        return response, key.group(1) if key else None

    def confirm(self, key: str, **kw) -> Response:
        return self.step("confirm", {"pin": PIN}, extra={"idempotency_key": key}, **kw)


def refusal_reason(body: str) -> str:
    """Why a transfer was refused, from the Spanish message the member was shown."""
    for needle, reason in (
        ("saldo suficiente", "insufficient balance"),
        ("cambiaron", "stale quote (balance or rate changed since the summary)"),
        ("No se pudo procesar", "request could not be processed"),
        ("origen y el destino de fondos", "declaration of funds missing"),
        ("límite", "daily limit"),
    ):
        if needle in body:
            return reason
    return "other"


def receipt_id(response: Response) -> int | None:
    match = _RECEIPT.match(response.location) if response.status == 302 else None
    return int(match.group(1)) if match else None


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


# --- workloads ---------------------------------------------------------------------------------


@dataclass
class BankResult:
    clients: int
    attempted: int = 0
    succeeded: int = 0
    refused: int = 0
    reads: int = 0
    read_mismatches: int = 0
    transport_errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    confirm_seconds: list[float] = field(default_factory=list)
    read_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and s >= 500)

    @property
    def unclean_errors(self) -> int:
        return self.statuses["5xx without the portal's error page"]

    def figures(self) -> dict:
        return {
            "clients": self.clients,
            "transfers_attempted": self.attempted,
            "transfers_posted": self.succeeded,
            "transfers_refused_cleanly": self.refused,
            "balance_reads": self.reads,
            "read_total_mismatches": self.read_mismatches,
            "responses_5xx": self.server_errors,
            "transport_errors": self.transport_errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items(), key=str)},
            "refusal_reasons": dict(self.refusals),
            "seconds": round(self.seconds, 1),
            "transfers_per_second": round(self.succeeded / self.seconds, 1) if self.seconds else 0,
            "confirm_p50_ms": ms(percentile(self.confirm_seconds, 50)),
            "confirm_p95_ms": ms(percentile(self.confirm_seconds, 95)),
            "dashboard_p95_ms": ms(percentile(self.read_seconds, 95)),
        }


def bank_workload(
    servers: list[Gunicorn],
    members: list[dict],
    *,
    clients: int,
    transfers: int,
    initial: Decimal,
    read_every: int = 3,
    seed: int = 2026,
    tolerate_outage: bool = False,
) -> BankResult:
    """Jepsen's "bank": ``clients`` threads, spread over the members (several per member, so
    the same accounts are debited and credited at once in both directions), post
    ``transfers`` wizard transfers between the member's own accounts and read the dashboard.
    Own-account transfers keep each member's total fixed, so every read must show it."""
    result = BankResult(clients=clients)
    lock = threading.Lock()
    tickets = iter(range(transfers))
    started = time.perf_counter()

    def ticket() -> int | None:
        with lock:
            return next(tickets, None)

    def run(index: int) -> None:
        rng = random.Random(seed + index)  # noqa: S311 - a workload, not a secret
        owner = members[index % len(members)]
        accounts = owner["accounts"]
        expected_total = initial * len(accounts)
        client = Member(servers[index % len(servers)], owner["username"])
        try:
            client.login()
        except (AssertionError, TransportError) as exc:
            with lock:
                result.problems.append(f"{owner['username']}: {exc}")
            return
        done = 0
        while ticket() is not None:
            # Two clients of one member often pick the same pair in opposite directions.
            source, destination = rng.sample(accounts, 2)
            amount = Decimal(rng.randint(1, int(initial * 40))) / 100  # up to 40 % of a start
            outcome, confirm, reason = "refused", None, ""
            try:
                data, key = client.walk_to_confirm(source, destination, amount)
                reason = "data step: " + refusal_reason(data.body)
                if key:
                    confirm = client.confirm(key)
                    reason = "signature step: " + refusal_reason(confirm.body)
                    if receipt_id(confirm) is not None:
                        outcome = "ok"
                    elif confirm.status >= 500:
                        outcome = "5xx"
            except TransportError:
                outcome = "transport"
            if tolerate_outage and outcome in ("5xx", "transport"):
                time.sleep(0.2)  # a member waits a moment before trying again
            reads = []
            done += 1
            if done % read_every == 0:
                with contextlib.suppress(TransportError):
                    reads.append(client.balances())
            with lock:
                result.attempted += 1
                if outcome == "ok":
                    result.succeeded += 1
                elif outcome == "refused":
                    result.refused += 1
                    result.refusals[reason] += 1
                elif outcome == "transport":
                    result.transport_errors += 1
                if confirm is not None:
                    result.confirm_seconds.append(confirm.seconds)
                for response, balances in reads:
                    result.reads += 1
                    result.read_seconds.append(response.seconds)
                    if tolerate_outage and response.status >= 500:
                        continue  # the outage's clean error page, counted in statuses
                    if response.status != 200 or sum(balances) != expected_total:
                        result.read_mismatches += 1
                        result.problems.append(
                            f"read by {owner['username']}: {response.status} {balances}"
                        )
        with lock:
            result.statuses.update(client.statuses)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    return result


def concurrently(count: int, func: Callable[[int], object]) -> list:
    """Run ``func(i)`` in ``count`` threads released together by a barrier."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = func(i)
        except TransportError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def double_submit(server: Gunicorn, member: dict, *, copies: int = 20) -> dict:
    """One member walks to the signature once; the signed confirmation is posted ``copies``
    times at once from the same session. Returns the outcome for the caller to judge."""
    client = Member(server, member["username"])
    client.login()
    source, destination = member["accounts"][:2]
    _, key = client.walk_to_confirm(source, destination, Decimal("10.00"))
    assert key, "the wizard did not reach the signature step"
    responses = concurrently(copies, lambda i: client.clone().confirm(key))
    return {
        "copies": copies,
        "receipts": sorted({receipt_id(r) for r in responses if isinstance(r, Response)} - {None}),
        "statuses": dict(Counter(getattr(r, "status", "transport") for r in responses)),
    }


def overdraw_race(server: Gunicorn, member: dict, *, racers: int = 20, balance: Decimal) -> dict:
    """``racers`` sessions of one member each reach the signature for 60 % of the balance,
    then all sign at once."""
    source, destination = member["accounts"][:2]
    amount = (balance * Decimal("0.60")).quantize(Decimal("0.01"))
    keyed = []
    for _ in range(racers):
        client = Member(server, member["username"])
        client.login()
        _, key = client.walk_to_confirm(source, destination, amount)
        assert key, "the wizard did not reach the signature step"
        keyed.append((client, key))
    responses = concurrently(racers, lambda i: keyed[i][0].confirm(keyed[i][1]))
    posted = [r for r in responses if isinstance(r, Response) and receipt_id(r) is not None]
    return {
        "racers": racers,
        "amount": str(amount),
        "posted": len(posted),
        # The refusals must say why, in Spanish, on the signature step.
        "explained": sum(
            isinstance(r, Response) and r.status == 200 and "saldo suficiente" in r.body
            for r in responses
        ),
        "statuses": dict(Counter(getattr(r, "status", "transport") for r in responses)),
    }


def scale_out(first: Gunicorn, second: Gunicorn, member: dict) -> dict:
    """Sign in on one instance, walk the wizard alternating instances, sign on the other,
    then replay the signature on the first."""
    client = Member(first, member["username"])
    client.login(server=first)
    source, destination = member["accounts"][:2]
    response, key = client.walk_to_confirm(
        source, destination, Decimal("25.00"), servers=[second, first, second, first]
    )
    assert key, f"the wizard did not reach the signature step: {response.status}"
    signed = client.confirm(key, server=second)
    replay = client.confirm(key, server=first)
    return {
        "signed_status": signed.status,
        "receipt": receipt_id(signed),
        "replay_receipt": receipt_id(replay),
        "receipt_page_status_on_first": client.get(signed.location, server=first).status
        if signed.location
        else None,
    }


# --- the report ------------------------------------------------------------------------------

RELIABILITY_JSON = ROOT / "bench" / "out" / "reliability.json"


def report_write(rows: dict[str, dict], path: Path = RELIABILITY_JSON) -> Path:
    from datetime import UTC, datetime

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        data = {}
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    for name, figures in rows.items():
        data[name] = {**figures, "measured_at": stamp, "cpus": os.cpu_count()}
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


def report_print(rows: dict[str, dict]) -> None:
    print(f"{'scenario':<24} {'verdict':<7} figures")
    for name, figures in rows.items():
        verdict = "PASS" if figures.get("passed") else "FAIL"
        shown = {k: v for k, v in figures.items() if k not in ("passed", "statuses")}
        print(f"{name:<24} {verdict:<7} {json.dumps(shown, default=str)}")
