"""Which enum declares each stored identifier the audit trail names, so its Spanish name lives
beside its declaration: the audit events, and the purposes a PIN signature is made for.

An event is a fact of the app that writes it, and a signing purpose names the app's service the
signature is for (``purpose`` of a ``signature.verified`` row and of its grant; see
:mod:`accounts.signing`). Each app declares both as ``TextChoices`` in its ``events.py`` (one
module for what the audit trail names), each member with its label (``X = "x.done", _("X
done")``), and registers the enum here with :func:`register_events` or
:func:`register_purposes`. This app imports none of them (plumbing, see scripts/check_imports.py):
the apps call in, and :meth:`audit.apps.AuditConfig.ready` imports every app's ``events`` module
(as the admin does with ``admin.py``), so every name is known before a label is asked for.

A stored value is what the audit table (and a signature grant) holds and never changes; two enums
claiming the same value would make its name depend on import order, so that is refused when the
second one registers. Events and purposes are two registries: each is its own set of values.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import TextChoices


class Registry:
    """The registered enums of one kind of stored identifier (``kind`` names it in errors)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._members: dict[str, TextChoices] = {}

    def register(self, enum: type[TextChoices]) -> type[TextChoices]:
        """Record every member of ``enum``; usable as a class decorator. Checks every value
        before recording any, so a refused enum leaves the registry as it was."""
        owner = _dotted(enum)
        for member in enum:
            known = self._members.get(member.value)
            # The same declaration imported again (a reloaded module) is the same owner.
            if known is not None and _dotted(type(known)) != owner:
                raise ImproperlyConfigured(
                    f"{self.kind} {member.value!r} is declared by both "
                    f"{_dotted(type(known))} and {owner}; a stored value has one owner."
                )
        for member in enum:
            self._members[member.value] = member
        return enum

    def label(self, value: str) -> str:
        """The Spanish name of a stored value; an unknown one (no longer declared) shows
        itself, as stored."""
        member = self._members.get(value)
        return member.label if member is not None else value

    def choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` of every registered member."""
        return [(value, member.label) for value, member in self._members.items()]

    def enums(self) -> set[type[TextChoices]]:
        return {type(member) for member in self._members.values()}


def _dotted(enum: type) -> str:
    return f"{enum.__module__}.{enum.__qualname__}"


events = Registry("Audit event")
register_events = events.register
purposes = Registry("Signing purpose")
register_purposes = purposes.register
