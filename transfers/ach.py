"""The interbank clearing house (ACH) behind an interface.

The real ACH of Bolivia cannot be reached from here, so ``settings.ACH_GATEWAY`` names the
gateway class. A gateway has two methods, both raising on transport errors (the caller retries):

* ``submit(order) -> str`` — send the order, return the clearing house's reference;
* ``poll(order) -> AchResult`` — ask for its outcome: settled, rejected (with a reason), or
  still pending.

:class:`SimulatedClearingHouse`, the shipped gateway, is deterministic:

* it rejects an order whose destination number is not 8 to 16 digits, or whose bank is
  inactive ("unknown account format" / "bank not reachable");
* otherwise it settles the order once ``ACH_SIMULATED_SETTLEMENT_SECONDS`` (default 5) have
  passed since submission, and reports it pending before that.

A production gateway implements the same two methods against the provider's API and is
selected with the ``ACH_GATEWAY`` setting.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class AchResult:
    outcome: str  # "settled" | "rejected" | "pending"
    reason: str = ""


class SimulatedClearingHouse:
    NUMBER = re.compile(r"^\d{8,16}$")

    def submit(self, order) -> str:
        return f"SIM-{order.pk:08d}"

    def poll(self, order) -> AchResult:
        transfer = order.transfer
        if not self.NUMBER.match(transfer.destination_number):
            return AchResult("rejected", "Formato de cuenta desconocido para el banco destino.")
        if transfer.destination_bank is None or not transfer.destination_bank.is_active:
            return AchResult("rejected", "El banco destino no está disponible.")
        delay = timedelta(seconds=getattr(settings, "ACH_SIMULATED_SETTLEMENT_SECONDS", 5))
        if order.submitted_at and timezone.now() - order.submitted_at >= delay:
            return AchResult("settled")
        return AchResult("pending")


def gateway():
    return import_string(getattr(settings, "ACH_GATEWAY", "transfers.ach.SimulatedClearingHouse"))()
