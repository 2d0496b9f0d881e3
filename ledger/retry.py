"""Run a unit of work in its own transaction, retrying deadlocks and serialization failures.

For services that wrap a posting together with their own rows (a transfer, a loan payment):
inside one transaction, :func:`ledger.services.posting_create` cannot retry by itself, so the
caller retries the whole unit with this helper.
"""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import OperationalError, connection, transaction

from .exceptions import PostingUnavailable

logger = logging.getLogger(__name__)

# SQLSTATEs worth a retry: serialization_failure, deadlock_detected.
RETRYABLE_SQLSTATES = {"40001", "40P01"}

T = TypeVar("T")


def sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def atomic_with_retries(
    work: Callable[[], T], *, attempts: int | None = None, atomic: bool = True
) -> T:
    """``work()`` inside ``transaction.atomic()``, retried with jittered backoff on deadlock or
    serialization failure; :class:`PostingUnavailable` once the attempts are spent.

    ``atomic=False`` is for a ``work`` that is ONE statement (the posting function): in
    autocommit that statement is its own transaction, committed in the same round trip,
    without the BEGIN and COMMIT round trips ``atomic()`` costs.

    Called inside an outer transaction it runs once: the outer transaction owns the retry.
    """
    if connection.in_atomic_block:
        return work()
    attempts = attempts or settings.LEDGER_POSTING_RETRIES
    for attempt in range(1, attempts + 1):
        try:
            if not atomic:
                return work()
            with transaction.atomic():
                return work()
        except OperationalError as exc:
            if sqlstate(exc) not in RETRYABLE_SQLSTATES or attempt == attempts:
                logger.warning("unit of work failed after %d attempt(s): %s", attempt, exc)
                raise PostingUnavailable() from exc
            time.sleep(random.uniform(0, 0.01 * 2**attempt))  # noqa: S311 - not for security
    raise PostingUnavailable()  # pragma: no cover - the loop always returns or raises
