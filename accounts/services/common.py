"""Small helpers shared by the accounts services."""

from django.utils.translation import gettext as _

from accounts.models import User
from outbox.services import email_enqueue


def user_email(user: User) -> str:
    """Where the member's mail goes: the login's address, else the member record's."""
    if user.email:
        return user.email
    member = getattr(user, "member", None)
    return member.email if member is not None else ""


def user_email_enqueue(*, user: User, subject: str, template: str, context: dict) -> None:
    """Queue an email to :func:`user_email`; nothing when the member has no address (the
    branch reaches them another way)."""
    to = user_email(user)
    if to:
        email_enqueue(to=to, subject=subject, template=template, context=context)


def changed_notify(*, user: User, change: str) -> None:
    """Queue the guide's confirmation email ("¡Listo! Sus datos han sido modificados…").

    ``change`` is a short, already translated description of what changed; it never holds a
    secret. Call inside the transaction of the change.
    """
    from notices.models import NoticeKind
    from notices.services import notice_create, notice_date

    # The portal's notice; the email below is this change's own (so the notice sends none).
    notice_create(
        user_id=user.pk,
        kind=NoticeKind.CREDENTIALS_CHANGED,
        context={"what": change, "date": notice_date()},
        link="/configuracion/",
        channels=False,
    )
    user_email_enqueue(
        user=user,
        subject=_("ProgresoNet: your data was changed"),
        template="accounts/email/changed",
        context={"user": user, "change": change},
    )
