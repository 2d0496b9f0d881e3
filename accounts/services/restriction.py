"""The waiting period after the second factor changes hands.

A forgotten-PIN reset or an enrolled, replaced or removed security device puts the member in
a window of ``settings.PIN_RESET_RESTRICTION_HOURS`` during which only transfers between their
own accounts may be signed: no third-party or other-bank transfer, no new or changed
beneficiary, no higher daily limit. The member is emailed at once, so if it was not them they
have a day to call the cooperative before any money can leave. The window is a field on the
user (``signing_restricted_until``, read by :mod:`accounts.selectors`), set with an audit row;
the money services enforce it themselves (one call to ``signing_restriction_error``).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import AccountEvent
from accounts.models import User
from audit.services import audit_record

from .common import user_email_enqueue


@transaction.atomic
def signing_restriction_start(
    *, user: User, reason: str, change: str, ip_address: str | None = None
) -> None:
    """Restrict ``user`` to own-account signing from now on; never shortens a running window.

    ``reason`` is the audit's machine word (``pin.reset``, ``device.totp_enrolled``…);
    ``change`` the translated sentence the member reads in the email.
    """
    row = User.objects.select_for_update().get(pk=user.pk)
    old = row.signing_restricted_until
    until = timezone.now() + timedelta(hours=settings.PIN_RESET_RESTRICTION_HOURS)
    if old is not None and old > until:
        until = old
    row.signing_restricted_until = until
    row.save(update_fields=["signing_restricted_until"])
    user.signing_restricted_until = until
    audit_record(
        actor=user,
        event=AccountEvent.SIGNING_RESTRICTED,
        subject=row,
        old={"until": old.isoformat() if old else None},
        new={"until": until.isoformat(), "reason": reason},
        ip_address=ip_address,
    )
    user_email_enqueue(
        user=row,
        subject=_("ProgresoNet: security change on your web banking"),
        template="accounts/email/signing_restricted",
        context={
            "user": row,
            "change": change,
            # A datetime: the template prints it as the guide does (dd/mm/yyyy hh:mm).
            "until": timezone.localtime(until),
        },
    )
