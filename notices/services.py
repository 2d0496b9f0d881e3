"""Writing notices: :func:`notice_create`, in the caller's transaction.

The caller passes ``context`` values it has already made safe to show (another member's name
masked with ``beneficiaries.rules.mask_name``, amounts formatted, dates): the title and body
come from the fixed texts below, so no member-written text reaches another member through a
notice. Per the user's :class:`~notices.models.NoticePreference` the notice also goes by
email (default on) and by SMS (default off, only to a confirmed SMS device) through the
outbox, in the same transaction; security kinds always go by email.
"""

import logging

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import SECURITY_KINDS, Notice, NoticeKind, NoticePreference
from .selectors import unread_cache_key

logger = logging.getLogger(__name__)

# kind -> (title, body); bodies are %-formatted with the caller's context.
TEXTS = {
    NoticeKind.MONEY_RECEIVED: (
        _("Money received"),
        _("%(sender)s sent you %(amount)s to your account %(account)s."),
    ),
    NoticeKind.LOAN_DISBURSED: (
        _("Loan disbursed"),
        _("Your loan %(loan)s was disbursed: %(amount)s to your account %(account)s."),
    ),
    NoticeKind.COSIGN_WAITING: (
        _("A signature is waiting"),
        _("A transfer of %(amount)s from the joint account %(account)s waits for your signature."),
    ),
    NoticeKind.COSIGN_OUTCOME: (
        _("Joint-account transfer: %(outcome)s"),
        _("The transfer of %(amount)s from the joint account %(account)s: %(outcome)s."),
    ),
    NoticeKind.SCHEDULED: (
        _("Scheduled transfer of %(date)s: %(outcome)s"),
        _("The scheduled transfer of %(amount)s to %(destination)s due on %(date)s: %(reason)s"),
    ),
    NoticeKind.INSTALMENT_DUE: (
        _("Instalment due soon"),
        _("The instalment %(number)s of your loan %(loan)s (%(amount)s) falls due on %(date)s."),
    ),
    NoticeKind.INSTALMENT_OVERDUE: (
        _("Instalment overdue"),
        _("The instalment %(number)s of your loan %(loan)s (%(amount)s) fell due on %(date)s."),
    ),
    NoticeKind.NEW_BROWSER: (
        _("Sign-in from a new browser"),
        _(
            "Your user signed in on %(date)s from a browser not seen before (%(device)s). If it "
            "was not you, change your password and contact the cooperative."
        ),
    ),
    NoticeKind.CREDENTIALS_CHANGED: (
        _("Security data changed"),
        _("%(what)s (%(date)s) If it was not you, contact the cooperative at once."),
    ),
    NoticeKind.LOCKOUT: (
        _("User locked"),
        _(
            "Your user was locked on %(date)s after too many failed attempts. Staff at any "
            "branch can unlock it."
        ),
    ),
}


def notice_date(value=None) -> str:
    """A date and time as notices print it (La Paz time)."""
    return timezone.localtime(value or timezone.now()).strftime("%d/%m/%Y %H:%M")


def channels_for(*, user_id: int, kind: str) -> tuple[bool, bool]:
    """(email, sms) for this user and kind."""
    preference = NoticePreference.objects.filter(user_id=user_id, kind=kind).first()
    email = True if preference is None else preference.email
    sms = False if preference is None else preference.sms
    if kind in SECURITY_KINDS:
        email = True
    return email, sms


def notice_create(
    *,
    user_id: int,
    kind: str,
    context: dict,
    link: str = "",
    once_key: str | None = None,
    channels: bool = True,
) -> Notice | None:
    """Write a notice for ``user_id`` (and queue its email/SMS) in the caller's transaction.

    ``once_key``: write it only if this user has no notice with that key (returns None when
    one exists). ``channels=False`` when the caller already sends its own email for the same
    event (a credential change's confirmation, the lockout email): the notice is then only
    shown in the portal."""
    from outbox.services import email_enqueue, sms_enqueue

    title_text, body_text = TEXTS[NoticeKind(kind)]
    safe = {key: str(value) for key, value in context.items()}
    with translation.override("es"):
        title = (str(title_text) % safe)[:200]
        body = str(body_text) % safe
    with transaction.atomic():
        if once_key is not None:
            # The partial unique index settles a race; ON CONFLICT DO NOTHING keeps the
            # caller's transaction usable.
            created = Notice.objects.bulk_create(
                [
                    Notice(
                        user_id=user_id,
                        kind=kind,
                        title=title,
                        body=body,
                        link=link,
                        once_key=once_key,
                        created_at=timezone.now(),
                    )
                ],
                ignore_conflicts=True,
            )
            notice = Notice.objects.filter(user_id=user_id, once_key=once_key).first()
            if notice is None or notice.created_at != created[0].created_at:
                return None
        else:
            notice = Notice.objects.create(
                user_id=user_id, kind=kind, title=title, body=body, link=link
            )
        unread_forget(user_id=user_id)
        if not channels:
            return notice
        email, sms = channels_for(user_id=user_id, kind=kind)
        user = get_user_model().objects.filter(pk=user_id).only("email").first()
        if email and user is not None and user.email:
            email_enqueue(
                to=user.email,
                subject=title,
                template="notices/email/notice",
                context={"title": title, "body": body, "link": link},
            )
        if sms:
            # No import of the accounts models (see notices.models): looked up by name.
            device = (
                apps.get_model("accounts", "SmsDevice")
                .objects.filter(user_id=user_id, confirmed=True)
                .first()
            )
            if device is not None:
                sms_enqueue(to=device.number, text=f"ProgresoNet: {title}")
    return notice


def notices_mark_read(*, user, notice_ids: list[int] | None = None) -> int:
    """Mark the user's unread notices read (all, or those in ``notice_ids``)."""
    rows = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_ids is not None:
        rows = rows.filter(pk__in=notice_ids)
    updated = rows.update(read_at=timezone.now())
    unread_forget(user_id=user.pk)
    return updated


def unread_forget(*, user_id: int) -> None:
    """The bell's cached count (notices.selectors) is stale: forget it now and again once the
    caller's transaction commits (a page may have counted the old rows in between)."""

    def forget() -> None:
        try:
            cache.delete(unread_cache_key(user_id))
        except Exception:
            # Redis down: the count is not read from it either, and the entry expires.
            logger.warning("cache unavailable: unread count not forgotten")

    forget()
    transaction.on_commit(forget)


def notice_preferences_set(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """Store (email, sms) per kind; security kinds keep email on whatever is asked."""
    with transaction.atomic():
        for kind, (email, sms) in choices.items():
            NoticeKind(kind)  # an unknown kind is a bug, not a silent row
            NoticePreference.objects.update_or_create(
                user=user,
                kind=kind,
                defaults={"email": True if kind in SECURITY_KINDS else email, "sms": sms},
            )
