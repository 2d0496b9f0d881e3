"""Model fields several apps declare alike, built in one place so they stay alike."""

from django.conf import settings
from django.db import models


def acting_user_field(verbose_name=None) -> models.ForeignKey:
    """Who did something to a row (created, approved, decided, paid it): optional, since
    a job or a seed acts as nobody; PROTECT, so history never loses its author; and no reverse
    accessor on the user, whom no page lists by these rows."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
