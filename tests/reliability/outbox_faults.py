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
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator

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
