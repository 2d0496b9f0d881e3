"""The day's institution-wide figures, kept for a few seconds by a batch job.

A transfer is priced with figures that are the same for every member: the official exchange
rates in force that day, the fee schedule and the institutional daily limits. A signed one-off
transfer reads them from the database each time. The scheduled-transfers job
(``transfers.scheduled.scheduled_run_due``) prices thousands of dates in one run, one
transaction each, and re-reading the same rows for each of them was a large part of its cost.
Inside :func:`run_figures_kept` the pricing code (``transfers.quotes``, ``transfers.limits``)
keeps what it read for at most :data:`KEEP_SECONDS`.

Why that is still "the fee and the rate in force that day": the rows are read from the
database as the one-off path reads them (the same queries); a staff change (a new approved
rate for today, a fee band edited, an institutional limit lowered) reaches the job at most
``KEEP_SECONDS`` later — the same as if the job had priced those dates a few seconds earlier,
which it could have (the beat runs every five minutes, at no fixed second). Rates are kept per
date, so a run that crosses midnight reads the new day's. Everything that belongs to the member
(accounts and balances, the member's own limit, today's and the 5-day totals, the
beneficiaries) is never kept: it is read for each date under the member lock. Outside the
context manager (every HTTP request) nothing is kept at all.

Pricing itself no longer reads the institutional limit apart: it comes in the statement that
reads the member's own limit and totals (``transfers.quotes.FIGURES_SQL``), fresh for every
date at no extra round trip; :func:`transfers.limits.institutional_limit` still keeps it for
other readers inside a run.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

KEEP_SECONDS = 10.0

_kept: ContextVar[dict | None] = ContextVar("transfers_run_figures", default=None)


@contextmanager
def run_figures_kept() -> Iterator[None]:
    """Keep the day's institution-wide figures for up to ``KEEP_SECONDS`` within the block."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def kept(key: tuple, read: Callable[[], Any]) -> Any:
    """``read()``, or what it returned for ``key`` less than ``KEEP_SECONDS`` ago inside
    :func:`run_figures_kept`. An exception is never kept (a missing rate is asked again)."""
    store = _kept.get()
    if store is None:
        return read()
    now = time.monotonic()
    hit = store.get(key)
    if hit is not None and now - hit[0] < KEEP_SECONDS:
        return hit[1]
    value = read()
    store[key] = (now, value)
    return value
