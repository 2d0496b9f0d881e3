"""Outbox faults with real processes, shared by pytest (small sizes) and ``make reliability``.

- :func:`registration_outage_scenario`: Redis (broker and cache) stopped while registrations
  are submitted over HTTP to gunicorn, then restarted; a real Celery worker relays the outbox
  to a real SMTP sink. Every registrant gets one confirmation email, none twice.
- :func:`worker_kill_scenario` (below): a Celery worker SIGKILLed at each phase of an SMTP
  delivery it can be caught in.

Facts are read straight from the scenario's database with psycopg (the pytest process's own
Django points at pytest's database). Nothing here asserts on time.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from aiosmtpd.controller import Controller

from tests.integration_fixtures import CeleryWorker, RedisServer, SmtpSink, free_port

from . import harness

OUTBOX_SETTINGS = "tests.reliability.outbox_settings"
REGISTRATION = "/registro/"
SUBMITTED = "/registro/enviado/"
PREFIX = "registration_wizard"


def _query(db_url: str, sql: str, *params) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def outbox_rows(db_url: str) -> list[tuple[int, str, str, int]]:
    """(pk, recipient, status, attempts) of every outbox row."""
    return _query(
        db_url, "SELECT id, recipient, status, attempts FROM accounts_outboxmessage ORDER BY id"
    )


@contextlib.contextmanager
def smtp_sink(handler: SmtpSink | None = None) -> Iterator[SmtpSink]:
    sink = handler or SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextlib.contextmanager
def redis_process() -> Iterator[RedisServer]:
    directory = tempfile.mkdtemp(prefix="redis-fault-")
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.terminate()
            server.process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


# --- Redis stopped during registrations ------------------------------------------------------


def _letters(i: int) -> str:
    """0 -> "Aaaa", 12 -> "Aabc": names accept letters and spaces only."""
    return "A" + "".join(chr(ord("a") + int(d)) for d in f"{i:03d}")


def registrant(i: int) -> dict:
    """The i-th person: distinct name, username, email and CI."""
    return {
        "first_names": "Registrante",
        "last_names": f"Prueba {_letters(i)}",
        "document_number": f"{8100000 + i}",
        "document_issued_in": "LP",
        "birth_date": "1990-05-17",
        "email": f"registrante{i}@example.com",
        "phone": "70011223",
        "address": "Av. Busch 1020, La Paz",
        "username": f"registrante{i}",
    }


def register_over_http(server: harness.Gunicorn, i: int) -> dict:
    """Walk the four registration steps as a browser from 127.0.0.(i + 2) would."""
    visitor = harness.Member(server, source=f"127.0.0.{i + 2}")

    def step(name: str, fields: dict) -> harness.Response:
        data = {f"{PREFIX}-current_step": name}
        data.update({f"{name}-{k}": v for k, v in fields.items()})
        return visitor.post(REGISTRATION, data)

    outcome = {"i": i, "final_status": None, "submitted": False, "statuses": None}
    try:
        visitor.get(REGISTRATION)
        step("kind", {"kind": "person"})
        step("terms", {"accept": "on"})
        step("person", registrant(i))
        final = step("review", {"captcha": "on"})
        outcome["final_status"] = final.status
        outcome["submitted"] = final.status == 302 and final.location.endswith(SUBMITTED)
    except harness.TransportError as exc:
        outcome["final_status"] = f"transport: {exc}"
    outcome["statuses"] = dict(visitor.statuses)
    return outcome


def _run_all(count: int, concurrency: int, func) -> list:
    results: list = [None] * count
    tickets = iter(range(count))
    lock = threading.Lock()

    def run() -> None:
        while True:
            with lock:
                i = next(tickets, None)
            if i is None:
                return
            results[i] = func(i)

    threads = [threading.Thread(target=run) for _ in range(min(concurrency, count))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def registration_outage_scenario(*, registrants: int, concurrency: int = 10) -> dict:
    """Redis (the broker and the rate limiter's cache) is stopped; ``registrants`` people,
    each from its own loopback address, register over HTTP; Redis comes back; the worker's
    periodic relay (every second) delivers. Returns figures for the caller to judge."""
    if registrants > 250:
        raise ValueError("one loopback source address per registrant: at most 250")
    started = time.monotonic()
    db_url = harness.database_recreate("reliability_registration")
    harness.dbtool(db_url, "setup", "[]")  # migrate; no members needed to register
    with redis_process() as redis, smtp_sink() as sink:
        env = {"REDIS_URL": redis.url, "CELERY_BROKER_URL": redis.url}
        with harness.gunicorns(
            db_url, 1, workers=2, threads=4, settings=OUTBOX_SETTINGS, env=env
        ) as (server,):
            worker = CeleryWorker(
                broker_url=redis.url, smtp_port=sink.port, beat_interval=1, database_url=db_url
            )
            try:
                redis.stop()
                submit_started = time.monotonic()
                results = _run_all(
                    registrants, concurrency, lambda i: register_over_http(server, i)
                )
                submit_seconds = time.monotonic() - submit_started
                rows_during = outbox_rows(db_url)
                delivered_during_outage = len(sink.messages)

                redis.start()
                restarted = time.monotonic()
                harness.wait_until(
                    lambda: len(sink.messages) >= registrants,
                    f"{registrants} confirmation emails",
                    timeout=300,
                )
                harness.wait_until(
                    lambda: all(row[2] == "sent" for row in outbox_rows(db_url)),
                    "the outbox to mark every message sent",
                )
                recovery_seconds = time.monotonic() - restarted
            finally:
                # Warm shutdown: a delivery in flight finishes before the messages are counted,
                # so a late duplicate could not slip past the count.
                worker.stop()
            log = server.log()
        messages = sink.messages
    rows = outbox_rows(db_url)
    statuses: Counter = Counter()
    for result in results:
        statuses.update(result["statuses"] or {})
    expected = {registrant(i)["email"] for i in range(registrants)}
    per_recipient = Counter(str(m["To"]) for m in messages)
    per_message_id = Counter(str(m["Message-ID"]) for m in messages)
    return {
        "registrants": registrants,
        "concurrency": concurrency,
        "source_addresses": len({f"127.0.0.{i + 2}" for i in range(registrants)}),
        "submitted": sum(r["submitted"] for r in results),
        "not_submitted": [r for r in results if not r["submitted"]][:5],
        "responses_5xx": sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
        "outbox_rows_during_outage": len(rows_during),
        "pending_during_outage": sum(row[2] == "pending" for row in rows_during),
        "delivered_during_outage": delivered_during_outage,
        "publish_failures_logged": log.count("could not publish"),
        "rate_limit_counted_locally": log.count("counting locally"),
        "emails_delivered": len(messages),
        "recipients_served": len(set(per_recipient) & expected),
        "unexpected_recipients": sorted(set(per_recipient) - expected)[:5],
        "duplicates": sum(n - 1 for n in per_message_id.values() if n > 1),
        "recipients_twice": sum(n > 1 for n in per_recipient.values()),
        "message_ids_match_outbox": set(per_message_id)
        == {f"<outbox-{row[0]}@progresonet>" for row in rows},
        "outbox_rows": len(rows),
        "outbox_not_sent": sum(row[2] != "sent" for row in rows),
        "submit_seconds": round(submit_seconds, 1),
        "recovery_seconds": round(recovery_seconds, 1),
        "seconds": round(time.monotonic() - started, 1),
    }


def registration_outage_passed(figures: dict) -> bool:
    n = figures["registrants"]
    return (
        figures["submitted"] == n
        and figures["responses_5xx"] == 0
        and figures["outbox_rows_during_outage"] == n
        and figures["pending_during_outage"] == n
        and figures["delivered_during_outage"] == 0
        and figures["publish_failures_logged"] == n
        and figures["emails_delivered"] == n
        and figures["recipients_served"] == n
        and figures["unexpected_recipients"] == []
        and figures["duplicates"] == 0
        and figures["recipients_twice"] == 0
        and figures["message_ids_match_outbox"]
        and figures["outbox_rows"] == n
        and figures["outbox_not_sent"] == 0
    )


# --- a Celery worker SIGKILLed mid-send ------------------------------------------------------

# Where a send can be caught, in order. See docs/reliability.md for what each one proves.
PHASES = ("before_data", "data_no_reply", "after_250_in_quit", "after_250_before_commit")


class StallingSink(SmtpSink):
    """An SMTP sink that holds the conversation of chosen recipients at a chosen phase, once
    each, until the client goes away. It delivers (records) a message exactly when it answers
    250 to its DATA, as an MTA takes responsibility for a message then; a conversation cut
    before that reply delivers nothing (aiosmtpd cancels the handler when the client goes)."""

    def __init__(self, plan: dict[str, str], proxy: PgProxy) -> None:
        super().__init__()
        self.plan = dict(plan)  # recipient -> phase
        self.proxy = proxy
        self.holding: str | None = None
        self._hold_quit: set[int] = set()

    def _take(self, recipient: str, phase: str) -> bool:
        with self._lock:
            if self.plan.get(recipient) != phase:
                return False
            del self.plan[recipient]
            return True

    async def _hold(self, phase: str) -> None:
        import asyncio

        self.holding = phase
        await asyncio.Event().wait()  # never set: only the client's disconnection ends this

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if self._take(address, "before_data"):
            await self._hold("before_data")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        (recipient,) = envelope.rcpt_tos
        if self._take(recipient, "data_no_reply"):
            await self._hold("data_no_reply")  # the whole message is here; no reply yet
        if self._take(recipient, "after_250_before_commit"):
            # Hold the worker's next database statement — the "sent" update after our 250.
            self.proxy.pause()
            self.holding = "after_250_before_commit"
        elif self._take(recipient, "after_250_in_quit"):
            self._hold_quit.add(id(session))
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server, session, envelope) -> str:  # noqa: N802
        if id(session) in self._hold_quit:
            await self._hold("after_250_in_quit")
        return "221 Bye"


class PgProxy:
    """A TCP relay between the workers and PostgreSQL that can hold what clients send: the
    only way, short of a hook in the code, to stop a worker after the SMTP server's 250 and
    before its "sent" update reaches the database. A held connection whose client dies is
    dropped with the held bytes (PostgreSQL sees the connection end, not the statement)."""

    def __init__(self, db_url: str) -> None:
        parts = urlsplit(db_url)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@127.0.0.1:{self.port}" if userinfo else f"127.0.0.1:{self.port}"
        self.url = urlunsplit(parts._replace(netloc=netloc))
        self._paused = threading.Event()
        self._lock = threading.Lock()
        self.held_bytes = 0
        self.dropped = 0
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        """Only once the held client is gone: held bytes are not replayed."""
        self._paused.clear()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            self._end(sock)

    @staticmethod
    def _end(sock: socket.socket) -> None:
        # shutdown() ends the TCP connection at once, even while another thread is blocked in
        # recv() on it (close() alone would leave PostgreSQL's side open until that returns).
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(self.upstream)
        with self._lock:
            self._sockets += [client, upstream]
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        held = b""
        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                if self._paused.is_set():
                    held += data
                    with self._lock:
                        self.held_bytes += len(data)
                    continue
                upstream.sendall(data)
        if held:
            with self._lock:
                self.dropped += 1
        self._end(upstream)
        self._end(client)


def _outbox_insert(db_url: str, count: int) -> list[int]:
    """``count`` pending, due emails, as ``email_enqueue`` writes them (straight SQL: this
    process's Django, if any, points elsewhere)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        return [
            conn.execute(
                "INSERT INTO accounts_outboxmessage (channel, recipient, subject, body_text,"
                " body_html, status, attempts, next_attempt_at, last_error, created_at)"
                " VALUES ('email', %s, 'Prueba', %s, '', 'pending', 0, now(), '', now())"
                " RETURNING id",
                (f"socio{i}@example.com", f"Mensaje {i} de la prueba de entrega."),
            ).fetchone()[0]
            for i in range(count)
        ]


def _group_gone(pgid: int) -> bool:
    return not _group_pids(pgid)


def worker_kill_scenario(
    *, phases: tuple[str, ...] = PHASES, messages: int = 10, db_url: str | None = None
) -> dict:
    """``messages`` emails in the outbox; for each phase in turn a fresh prefork worker (with
    its beat relaying every second) delivers until the sink holds its target message at that
    phase, and the worker's whole process group is SIGKILLed. The claim the dead worker left
    is then let run out (its lease, compressed: ``next_attempt_at`` set to now). A last
    worker finishes. Returns figures per kill and per message.

    ``db_url``: a migrated database with an empty outbox (pytest's); else one is made."""
    started = time.monotonic()
    targets = {phase: 1 + 2 * n for n, phase in enumerate(phases)}  # message index per phase
    if max(targets.values(), default=0) >= messages:
        raise ValueError("not enough messages for the phases")
    if db_url is None:
        db_url = harness.database_recreate("reliability_outbox_kill")
        harness.dbtool(db_url, "setup", "[]")
    ids = _outbox_insert(db_url, messages)
    recipient = {i: f"socio{i}@example.com" for i in range(messages)}
    proxy = PgProxy(db_url)
    plan = {recipient[i]: phase for phase, i in targets.items()}
    kills = []
    timeline: list[tuple] = []
    try:
        with redis_process() as redis, smtp_sink(StallingSink(plan, proxy)) as sink:

            def worker() -> CeleryWorker:
                return CeleryWorker(
                    broker_url=redis.url,
                    smtp_port=sink.port,
                    beat_interval=1,
                    database_url=proxy.url,
                    pool="prefork",
                    # Longer than the hold: the kill, not an SMTP timeout, ends the send.
                    env={"EMAIL_TIMEOUT": "120"},
                )

            for phase in phases:
                target = ids[targets[phase]]
                current = worker()
                timeline.append((phase, "worker ready", round(time.monotonic() - started, 1)))
                try:
                    harness.wait_until(lambda p=phase: sink.holding == p, f"a send held at {phase}")
                    if phase == "after_250_before_commit":
                        harness.wait_until(lambda: proxy.held_bytes > 0, "the held 'sent' update")
                    pids = _group_pids(current.process.pid)
                finally:
                    current.kill()
                harness.wait_until(lambda c=current: _group_gone(c.process.pid), "the group to die")
                if phase == "after_250_before_commit":
                    harness.wait_until(lambda: proxy.dropped > 0, "the held connection to drop")
                    proxy.resume()
                sink.holding = None
                timeline.append((phase, "killed", round(time.monotonic() - started, 1)))
                (status, attempts, error) = _query(
                    db_url,
                    "SELECT status, attempts, last_error FROM accounts_outboxmessage WHERE id = %s",
                    target,
                )[0]
                kills.append(
                    {
                        "phase": phase,
                        "message": target,
                        "processes_killed": len(pids),
                        "delivered_at_kill": sum(
                            m["To"] == recipient[targets[phase]] for m in sink.messages
                        ),
                        "row_at_kill": {"status": status, "attempts": attempts, "error": error},
                    }
                )
                # The dead worker's lease runs out (time compressed).
                _query(
                    db_url,
                    "UPDATE accounts_outboxmessage SET next_attempt_at = now()"
                    " WHERE status = 'pending' RETURNING id",
                )
            last = worker()
            try:
                harness.wait_until(
                    lambda: all(row[2] == "sent" for row in outbox_rows(db_url)),
                    "every message to be sent",
                )
            finally:
                last.stop()  # warm: a send in flight ends before we count
            messages_seen = sink.messages
    finally:
        proxy.close()
    rows = {row[0]: row for row in outbox_rows(db_url)}
    by_id = Counter(str(m["Message-ID"]) for m in messages_seen)
    deliveries = {pk: by_id[f"<outbox-{pk}@progresonet>"] for pk in ids}
    phase_of = {ids[i]: phase for phase, i in targets.items()}
    return {
        "messages": messages,
        "phases": list(phases),
        "kills": kills,
        "deliveries": {phase: deliveries[ids[i]] for phase, i in targets.items()},
        "undisturbed_delivered_once": all(
            n == 1 for pk, n in deliveries.items() if pk not in phase_of
        ),
        "emails_delivered": len(messages_seen),
        "duplicates": sum(n - 1 for n in deliveries.values() if n > 1),
        "unknown_message_ids": sorted(set(by_id) - {f"<outbox-{pk}@progresonet>" for pk in ids}),
        "outbox_not_sent": sum(row[2] != "sent" for row in rows.values()),
        "attempts": {phase: rows[ids[i]][3] for phase, i in targets.items()},
        "timeline": timeline,
        "seconds": round(time.monotonic() - started, 1),
    }


def _group_pids(pgid: int) -> list[int]:
    """The live (non-zombie) processes of a process group, from /proc."""
    import glob

    pids = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError):
            pid_part, rest = Path(stat).read_text().rsplit(")", 1)
            fields = rest.split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                pids.append(int(pid_part.split(" (", 1)[0]))
    return pids


# What each phase must show at the kill and in the end (docs/reliability.md).
EXPECTED = {
    # Cut before the server took the message: nothing delivered, the row still pending with
    # the attempt counted; sent again after the lease: delivered once.
    "before_data": {"delivered_at_kill": 0, "status_at_kill": "pending", "deliveries": 1},
    "data_no_reply": {"delivered_at_kill": 0, "status_at_kill": "pending", "deliveries": 1},
    # Killed while saying goodbye: the row was marked sent right after the 250: once.
    "after_250_in_quit": {"delivered_at_kill": 1, "status_at_kill": "sent", "deliveries": 1},
    # Killed after the 250 with the "sent" update not yet in PostgreSQL: the row is still
    # pending and the message goes out again — the at-least-once window, with the same
    # Message-ID both times so the receiver can drop the second.
    "after_250_before_commit": {
        "delivered_at_kill": 1,
        "status_at_kill": "pending",
        "deliveries": 2,
    },
}


def worker_kill_passed(figures: dict) -> bool:
    for kill in figures["kills"]:
        expected = EXPECTED[kill["phase"]]
        if (
            kill["processes_killed"] < 2  # the main process and its pool child, at least
            or kill["delivered_at_kill"] != expected["delivered_at_kill"]
            or kill["row_at_kill"]["status"] != expected["status_at_kill"]
            or kill["row_at_kill"]["attempts"] != 1
            or kill["row_at_kill"]["error"] != ""
            or figures["deliveries"][kill["phase"]] != expected["deliveries"]
        ):
            return False
    return (
        figures["undisturbed_delivered_once"]
        and figures["unknown_message_ids"] == []
        and figures["outbox_not_sent"] == 0
        and figures["duplicates"] == sum(EXPECTED[p]["deliveries"] - 1 for p in figures["phases"])
    )
