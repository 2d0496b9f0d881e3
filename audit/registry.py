"""Which enum declares each stored audit event, so its Spanish name lives beside its declaration.

An event is a fact of the app that writes it: each app declares its events as ``TextChoices`` in
its ``events.py``, each member with its label (``X = "x.done", _("X done")``), and registers the
enum here with :func:`register_events`. This app imports none of them (plumbing, see
scripts/check_imports.py): the apps call in, and :meth:`audit.apps.AuditConfig.ready` imports
every app's ``events`` module (as the admin does with ``admin.py``), so every event is known
before a label is asked for.

A stored value is what the audit table holds and never changes; two enums claiming the same value
would make its name depend on import order, so that is refused when the second one registers.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import TextChoices


class EventRegistry:
    def __init__(self) -> None:
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
                    f"Audit event {member.value!r} is declared by both "
                    f"{_dotted(type(known))} and {owner}; a stored value has one owner."
                )
        for member in enum:
            self._members[member.value] = member
        return enum

    def label(self, value: str) -> str:
        """The Spanish name of a stored event; an unknown value (an event no longer declared)
        shows itself, as stored."""
        member = self._members.get(value)
        return member.label if member is not None else value

    def choices(self) -> list[tuple[str, str]]:
        """``(value, label)`` of every registered event."""
        return [(value, member.label) for value, member in self._members.items()]

    def enums(self) -> set[type[TextChoices]]:
        return {type(member) for member in self._members.values()}


def _dotted(enum: type) -> str:
    return f"{enum.__module__}.{enum.__qualname__}"


events = EventRegistry()
register_events = events.register
