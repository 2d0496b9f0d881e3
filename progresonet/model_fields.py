"""Model fields several apps declare alike, built in one place so they stay alike.

Field factories for a field that means the same on every model that has it, and abstract bases
for the timestamps most rows keep and for the project's one state-change idiom. Inherited fields
come first in ``_meta.fields``; nothing in a migration depends on that order.
"""

from collections.abc import Collection, Mapping
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _user_foreign_key(
    verbose_name, *, on_delete, null: bool, related_name: str
) -> models.ForeignKey:
    """A foreign key to the user; one that may be empty may also be left blank in a form."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=on_delete,
        null=null,
        blank=null,
        related_name=related_name,
    )


def acting_user_field(verbose_name=None) -> models.ForeignKey:
    """Who did something to a row (created, approved, decided, paid it): optional, since
    a job or a seed acts as nobody; PROTECT, so history never loses its author; and no reverse
    accessor on the user, whom no page lists by these rows."""
    return _user_foreign_key(verbose_name, on_delete=models.PROTECT, null=True, related_name="+")


def owning_user_field(
    verbose_name=None, *, related_name: str, null: bool = False
) -> models.ForeignKey:
    """The user a row belongs to (their sessions, sign-ins, notices): deleted with the user,
    since the row means nothing without them. ``null`` for rows that may name no user (a
    sign-in attempt with an unknown username)."""
    return _user_foreign_key(
        verbose_name, on_delete=models.CASCADE, null=null, related_name=related_name
    )


class CreatedAtModel(models.Model):
    """A row that keeps when it was written."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        abstract = True


class TimestampedModel(CreatedAtModel):
    """A row that keeps when it was written and when it last changed."""

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class InvalidTransition(ValueError):
    """The row is not in a status from which the asked move is allowed."""


class StatusMachineModel(models.Model):
    """A row whose ``status`` moves only along ``TRANSITIONS`` (status → the statuses it may
    move to), declared once beside the model. ``can_move_to`` asks; ``move_to`` changes the
    status in memory (the caller saves) or raises :class:`InvalidTransition`."""

    TRANSITIONS: ClassVar[Mapping[str, Collection[str]]] = {}

    class Meta:
        abstract = True

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    def move_to(self, status: str) -> None:
        if not self.can_move_to(status):
            raise InvalidTransition(f"{self._meta.label} {self.pk}: {self.status} → {status}")
        self.status = status
