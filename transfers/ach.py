"""The interbank clearing house (ACH) behind an interface.

The real ACH of Bolivia cannot be reached from here, so ``settings.ACH_GATEWAY`` names the
gateway class. A gateway has two methods, both raising on transport errors (the caller retries
:data:`TRANSIENT_ERRORS` with backoff; any other exception is a bug and fails the order):

* ``submit(order, *, idempotency_reference) -> str`` — send the order, return the clearing
  house's reference. ``idempotency_reference`` is the same on every retry of one order
  (``InterbankOrder.idempotency_reference``), and a gateway must answer a repeated reference
  with the first submission's id and clear nothing again: a submit whose answer was lost
  (timeout, crash before the commit that records it) can then be retried safely;
* ``poll(order) -> AchResult`` — ask for its outcome: settled, rejected (with a reason), or
  still pending.

:class:`SimulatedClearingHouse`, the shipped gateway, is deterministic:

* it honours the idempotency reference: the same reference twice returns the first id; every
  submit call is counted per reference in :attr:`SimulatedClearingHouse.submit_calls` and every
  accepted (distinct) submission in :attr:`SimulatedClearingHouse.accepted` (process-wide,
  like a real clearing house's memory; tests read and reset them);
* it rejects an order whose destination number is not 8 to 16 digits, or whose bank is
  inactive ("unknown account format" / "bank not reachable");
* otherwise it settles the order once ``ACH_SIMULATED_SETTLEMENT_SECONDS`` (default 5) have
  passed since submission, and reports it pending before that.

A production gateway implements the same two methods against the provider's API and is
selected with the ``ACH_GATEWAY`` setting.
"""

import re
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class GatewayUnavailable(Exception):
    """The clearing house could not be reached or did not answer: retry later."""


# Exceptions that mean "try again later": the network and the clearing house being down or
# slow. Anything else raised by a gateway (TypeError, KeyError, a bad answer) is a bug that
# retrying cannot fix, so the order fails at once and shows in the admin.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    GatewayUnavailable,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True)
class AchResult:
    outcome: str  # "settled" | "rejected" | "pending"
    reason: str = ""


class SimulatedClearingHouse:
    NUMBER = re.compile(r"^\d{8,16}$", re.ASCII)
    # Class-level: the gateway is instantiated per call, the clearing house remembers.
    accepted: ClassVar[dict[str, str]] = {}
    submit_calls: ClassVar[Counter[str]] = Counter()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def submit(self, order, *, idempotency_reference: str) -> str:
        if not idempotency_reference:
            raise ValueError("an idempotency reference is required")
        with self._lock:
            self.submit_calls[idempotency_reference] += 1
            return self.accepted.setdefault(idempotency_reference, f"SIM-{order.pk:08d}")

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.accepted.clear()
            cls.submit_calls.clear()

    def poll(self, order) -> AchResult:
        transfer = order.transfer
        if not self.NUMBER.match(transfer.destination_number):
            return AchResult("rejected", "Formato de cuenta desconocido para el banco destino.")
        if transfer.destination_bank is None or not transfer.destination_bank.is_active:
            return AchResult("rejected", "El banco destino no está disponible.")
        delay = timedelta(seconds=settings.ACH_SIMULATED_SETTLEMENT_SECONDS)
        if order.submitted_at and timezone.now() - order.submitted_at >= delay:
            return AchResult("settled")
        return AchResult("pending")


def gateway():
    return import_string(settings.ACH_GATEWAY)()
