"""The member's open web sessions: registered at login, listed, closed one by one or all.

The Django session stores the id of its :class:`~accounts.models.UserSession` row
(``SESSION_ROW_KEY``); the middleware keeps the row's ``session_key`` in step when the key
rotates. Closing deletes the Django session row itself, so the cookie is dead on the server.
"""

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.events import AccountEvent
from accounts.models import User, UserSession
from audit.services import audit_record, client_ip

SESSION_ROW_KEY = "_pn_session_row"
SIGNED_IN_AT_KEY = "_pn_signed_in_at"
ROW_KEY_KEY = "_pn_row_key"  # the key the row was last synced with
SEEN_KEY = "_pn_seen"  # when the row's last_seen was last written


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:255]


def session_register(*, request: HttpRequest, user: User) -> UserSession:
    """Called at login (after the key rotation): remember this session for the member's list."""
    if not request.session.session_key:
        request.session.save()
    row, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": _user_agent(request),
            "last_seen": timezone.now(),
        },
    )
    now = int(timezone.now().timestamp())
    request.session[SESSION_ROW_KEY] = row.pk
    request.session[SIGNED_IN_AT_KEY] = now
    # Already in step: the next request need not write the row again.
    request.session[ROW_KEY_KEY] = request.session.session_key
    request.session[SEEN_KEY] = now
    return row


def sessions_active(*, user: User) -> list[UserSession]:
    """The user's sessions that still exist on the server, most recent first."""
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return list(UserSession.objects.filter(user=user, session_key__in=alive))


def sessions_prune(*, user: User) -> int:
    """Forget the user's rows whose Django session expired or was cleared."""
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    deleted, _detail = UserSession.objects.filter(user=user).exclude(session_key__in=alive).delete()
    return deleted


@transaction.atomic
def session_close(
    *, user: User, row_id: int, current_key: str | None = None, ip_address: str | None = None
) -> bool:
    """Close one of the user's sessions (never the one making the request)."""
    row = UserSession.objects.filter(user=user, pk=row_id).first()
    if row is None or row.session_key == current_key:
        return False
    Session.objects.filter(session_key=row.session_key).delete()
    row.delete()
    audit_record(
        actor=user,
        event=AccountEvent.SESSION_CLOSED,
        subject=user,
        old={"session": row_id, "ip": row.ip_address},
        ip_address=ip_address,
    )
    return True


def sessions_end(*, user: User, keep_key: str | None = None) -> int:
    """End every session of the user except ``keep_key``; return how many ended."""
    rows = UserSession.objects.filter(user=user).exclude(session_key=keep_key or "")
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    rows.delete()
    return len(keys)


def sessions_rehash(*, user: User, keep_key: str | None) -> None:
    """Keep the user's other sessions valid after a password change they chose not to end.

    Django ties a session to the password hash; re-stamp the other sessions with the new one,
    through the configured engine (accounts.session_store also holds a cached copy).
    """
    from importlib import import_module

    from django.conf import settings

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806

    rows = UserSession.objects.filter(user=user).exclude(session_key=keep_key or "")
    for key in rows.values_list("session_key", flat=True):
        store = SessionStore(session_key=key)
        if store.exists(key) and store.get(HASH_SESSION_KEY):
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.save()
