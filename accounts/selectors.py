"""Reads about a user that other apps ask before they act."""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import User


def signing_restriction_until(*, user: User | None) -> datetime | None:
    """Until when only own-account transfers may be signed (after a PIN reset or a device
    change), or None when the member may sign anything. See accounts.services.restriction."""
    if user is None or user.pk is None:
        return None
    until = User.objects.filter(pk=user.pk).values_list("signing_restricted_until", flat=True)
    until = until.first()
    if until is None or until <= timezone.now():
        return None
    return until


def signing_restriction_error(*, user: User | None) -> str | None:
    """The Spanish refusal for a third-party operation during the restriction, else None.

    The one call the money services make: ``if msg := signing_restriction_error(user=user):``.
    """
    until = signing_restriction_until(user=user)
    if until is None:
        return None
    when = formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")
    return _(
        "For your security, after the change of your PIN or security device you can only "
        "transfer between your own accounts until %(until)s. Payments to other people, new "
        "beneficiaries and higher limits are available again from then."
    ) % {"until": when}
