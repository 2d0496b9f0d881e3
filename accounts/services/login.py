"""Login with the guide's three-strike lockout, a per-IP throttle and no user enumeration.

State machine of a user (GUIDE §2): active ⇄ locked. Three *consecutive* wrong passwords lock
the user (``User.locked_at``); a right password resets the count but never opens a locked user;
only staff unlock (:func:`user_unlock`, the admin action). The count is changed under
``SELECT ... FOR UPDATE`` so concurrent wrong attempts cannot skip the third strike; the lock
itself is :mod:`accounts.services.strikes`, shared with the PIN.

Inside a session, every form that asks for the current password checks it through
:func:`password_verify`: the same counter, the same lock, the same email, and the lock ends
every session of the user (the guessing session included).

From outside, an unknown username, a wrong password and a locked user look the same: the
caller shows one message, and an unknown username still runs the password hasher so the answer
takes comparable time.

The per-IP throttle counts failed attempts from one address in a sliding window; above the
limit nothing is checked at all (no hashing, no strike on anybody's count), so one client
cannot lock every member. It counts the ``SignInAttempt`` rows rather than using the cache
rate limiter (:mod:`audit.ratelimit` says why).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.events import AccountEvent
from accounts.models import SignInAttempt, User

from .common import user_email_enqueue
from .strikes import (
    MAX_CONSECUTIVE_FAILURES,
    lock_audit,
    strike_add,
    strike_unlock,
    strikes_clear,
)

__all__ = [
    "MAX_CONSECUTIVE_FAILURES",
    "UserLockedError",
    "login_authenticate",
    "password_require",
    "password_verify",
    "user_unlock",
]
IP_WINDOW = timedelta(minutes=15)
IP_MAX_FAILURES = 10


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled: bool = False


def ip_throttled(*, ip_address: str | None) -> bool:
    """True if this address failed too often recently (unknown addresses are never throttled)."""
    if not ip_address:
        return False
    since = timezone.now() - IP_WINDOW
    failures = SignInAttempt.objects.filter(
        ip_address=ip_address, succeeded=False, occurred_at__gte=since
    )
    return failures.count() >= IP_MAX_FAILURES


def _record(
    *, user: User | None, username: str, ip_address: str | None, user_agent: str, ok: bool
) -> None:
    SignInAttempt.objects.create(
        user=user,
        username=username[:150],
        ip_address=ip_address,
        user_agent=user_agent[:255],
        succeeded=ok,
    )


def login_authenticate(
    *, username: str, password: str, ip_address: str | None = None, user_agent: str = ""
) -> LoginResult:
    """Check a username and password; return the user only if they may sign in now.

    A failure returns ``LoginResult(user=None)`` whatever the reason, except the per-IP
    throttle, which the caller may announce (it says nothing about any user).
    """
    if ip_throttled(ip_address=ip_address):
        return LoginResult(user=None, throttled=True)
    user = User.objects.filter(username__iexact=username).first() if username else None
    if user is None:
        # Same work as a real check, so timing does not tell unknown names apart.
        make_password(password)
        _record(
            user=None, username=username, ip_address=ip_address, user_agent=user_agent, ok=False
        )
        return LoginResult(user=None)
    password_ok = user.check_password(password)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.locked_at is not None or not locked.is_active:
            _record(
                user=user, username=username, ip_address=ip_address, user_agent=user_agent, ok=False
            )
            return LoginResult(user=None)
        if not password_ok:
            locks_now = strike_add(row=locked, count_field="failed_login_count")
            _record(
                user=user, username=username, ip_address=ip_address, user_agent=user_agent, ok=False
            )
            if locks_now:
                _on_locked(user=locked, ip_address=ip_address)
            return LoginResult(user=None)
        strikes_clear(row=locked, count_field="failed_login_count")
    user.failed_login_count = 0
    # The successful sign-in is recorded at login() (accounts.signals), after any OTP step.
    return LoginResult(user=user)


def password_verify(*, user: User, password: str, ip_address: str | None = None) -> bool:
    """Check the current password asked inside a session, on the sign-in's strike counter.

    A wrong password is a strike; the third locks the user, ends all their sessions and emails
    them, exactly as at the login page. A locked user's password is never checked. Runs in its
    own transaction: call it outside any ``atomic`` block, or the strike rolls back.
    """
    password_ok = user.check_password(password or "")
    with transaction.atomic():
        row = User.objects.select_for_update().get(pk=user.pk)
        if row.locked_at is not None or not row.is_active:
            return False
        if password_ok:
            strikes_clear(row=row, count_field="failed_login_count")
            return True
        # The strike itself is the record (the lock is audited); the login's sign-in list is
        # for sign-ins, and the per-IP throttle for addresses that try many users.
        if strike_add(row=row, count_field="failed_login_count"):
            _on_locked(user=row, ip_address=ip_address)
    user.failed_login_count = row.failed_login_count
    user.locked_at = row.locked_at
    return False


class UserLockedError(ValidationError):
    """A wrong password inside a session locked the user; every session was already ended."""


def user_locked_message() -> str:
    return _(
        "Your user was locked for security after three consecutive wrong passwords. To unlock "
        "it, visit the cooperative's office and ask the Auxiliar de Atención al Socio."
    )


def password_require(*, user: User, password: str, ip_address: str | None = None) -> None:
    """:func:`password_verify`, raising ``ValidationError`` (``UserLockedError`` once locked)."""
    if password_verify(user=user, password=password, ip_address=ip_address):
        return
    if User.objects.filter(pk=user.pk, locked_at__isnull=False).exists():
        raise UserLockedError(user_locked_message(), code="user_locked")
    raise ValidationError(_("The current password is not correct."), code="wrong_password")


def _on_locked(*, user: User, ip_address: str | None) -> None:
    from .sessions import sessions_end

    lock_audit(event=AccountEvent.USER_LOCKED, user=user, locked=True, ip_address=ip_address)
    # A thief who already holds a session must not keep it once the owner is locked.
    sessions_end(user=user)
    from notices.models import NoticeKind
    from notices.services import notice_create, notice_date

    # Shown in "Avisos" once unlocked; the lockout email below is sent either way.
    notice_create(
        user_id=user.pk,
        kind=NoticeKind.LOCKOUT,
        context={"date": notice_date()},
        channels=False,
    )
    user_email_enqueue(
        user=user,
        subject=_("ProgresoNet: your user was locked"),
        template="accounts/email/locked",
        context={"user": user},
    )


def sign_in_record(*, user: User, ip_address: str | None, user_agent: str) -> None:
    """Record a completed sign-in (after the password and any OTP step)."""
    _record(
        user=user, username=user.username, ip_address=ip_address, user_agent=user_agent, ok=True
    )


@transaction.atomic
def user_unlock(*, user: User, actor: User, ip_address: str | None = None) -> bool:
    """Staff action: reopen a user locked by failed logins. False if it was not locked."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    old_since = locked.locked_at.isoformat() if locked.locked_at else ""
    if not strike_unlock(row=locked, count_field="failed_login_count"):
        return False
    lock_audit(
        event=AccountEvent.USER_UNLOCKED,
        user=locked,
        locked=False,
        actor=actor,
        ip_address=ip_address,
        old_extra={"locked_at": old_since},
    )
    return True
