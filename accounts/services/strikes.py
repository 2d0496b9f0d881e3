"""The one three-strike lock, shared by the password (``User``) and the PIN (``TransactionPin``).

Both secrets follow the same state machine (GUIDE §2): active ⇄ locked. Each wrong answer adds
a strike to the row's counter; the third *consecutive* one sets ``locked_at``; a right answer
clears the counter but never opens a locked row; only staff unlock. Every place that asks for
a current secret — sign-in, "Cambiar contraseña", "Cambiar PIN", "¿Olvidó su PIN?", a device
change, the "Firma" step — counts on these same two counters, so guessing inside a session
gains nothing over guessing at the login page.

Callers hold the row under ``SELECT ... FOR UPDATE`` (so concurrent wrong answers cannot skip
the third strike) and run in their own transaction, outside any caller's ``atomic`` block, so
a strike commits even though the operation it guarded does not happen.
"""

from django.db import models
from django.utils import timezone

from audit.services import audit_record

MAX_CONSECUTIVE_FAILURES = 3


def strike_add(*, row: models.Model, count_field: str) -> bool:
    """Count one wrong answer on a row locked for update; True if this strike locked it."""
    setattr(row, count_field, getattr(row, count_field) + 1)
    fields = [count_field]
    locks_now = row.locked_at is None and getattr(row, count_field) >= MAX_CONSECUTIVE_FAILURES
    if locks_now:
        row.locked_at = timezone.now()
        fields.append("locked_at")
    row.save(update_fields=fields)
    return locks_now


def strikes_clear(*, row: models.Model, count_field: str) -> None:
    """A right answer: the count starts again (a locked row stays locked)."""
    if getattr(row, count_field):
        setattr(row, count_field, 0)
        row.save(update_fields=[count_field])


def strike_unlock(*, row: models.Model, count_field: str) -> bool:
    """Staff reopen a locked row; False if it was not locked."""
    if row.locked_at is None:
        return False
    row.locked_at = None
    setattr(row, count_field, 0)
    row.save(update_fields=["locked_at", count_field])
    return True


def lock_audit(
    *,
    event: str,
    user: models.Model,
    locked: bool,
    actor: models.Model | None = None,
    ip_address: str | None = None,
    old_extra: dict | None = None,
) -> None:
    """The audit row of a lock (``locked``: the third strike, by nobody) or of a staff
    unlock (``actor``), with ``user`` as its subject."""
    audit_record(
        actor=actor,
        event=event,
        subject=user,
        old={"locked": not locked, **(old_extra or {})},
        new={"locked": locked},
        ip_address=ip_address,
    )
