"""Concurrent postings from real threads, each with its own PostgreSQL connection."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection

from ledger import services
from ledger.exceptions import InsufficientFunds
from ledger.invariants import ledger_breaches
from ledger.models import Account
from ledger.services import Line
from tests.factories import make_account, make_member

pytestmark = pytest.mark.django_db(transaction=True)


def _run_threads(target, count):
    errors = []

    def wrapper(index):
        try:
            target(index)
        except Exception as exc:  # surfaced below, with the thread's traceback lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapper, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_random_transfers_conserve_money_and_hold_invariants():
    accounts = [make_account(member=make_member(), balance="1000.00") for _ in range(4)]
    ids = [a.pk for a in accounts]
    total_before = sum(a.balance for a in accounts)
    outcomes = {"ok": 0, "refused": 0}
    lock = threading.Lock()

    def worker(index):
        rng = random.Random(index)
        for _ in range(40):
            src, dst = rng.sample(ids, 2)  # includes simultaneous A->B and B->A
            amount = Decimal(rng.randint(1, 60000)) / 100
            try:
                services.posting_create(
                    kind="transfer",
                    description="concurrent",
                    lines=[Line(src, -amount), Line(dst, amount)],
                )
                key = "ok"
            except InsufficientFunds:
                key = "refused"
            with lock:
                outcomes[key] += 1

    _run_threads(worker, 8)
    total_after = sum(Account.objects.filter(pk__in=ids).values_list("balance", flat=True))
    assert total_after == total_before
    assert outcomes["ok"] > 0
    assert ledger_breaches() == []


def test_overdraw_race_only_one_wins():
    source = make_account(member=make_member(), balance="100.00")
    target = make_account(member=make_member())
    results = []
    lock = threading.Lock()

    def worker(index):
        try:
            services.posting_create(
                kind="transfer",
                description="race",
                lines=[Line(source.pk, Decimal("-60.00")), Line(target.pk, Decimal("60.00"))],
            )
            outcome = "ok"
        except InsufficientFunds:
            outcome = "refused"
        with lock:
            results.append(outcome)

    _run_threads(worker, 10)
    assert results.count("ok") == 1
    source.refresh_from_db()
    assert source.balance == Decimal("40.00")
    assert ledger_breaches() == []
