"""Hooks on Django's login/logout: the only place every login path (member page, admin OTP
login, test clients) passes through. They record, they do not decide."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.http import HttpRequest

from audit.services import client_ip

from .models import UserSession
from .services.login import sign_in_record
from .services.sessions import session_register


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    session_register(request=request, user=user)
    sign_in_record(
        user=user,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )
    if getattr(user, "member_id", None) is not None:
        from notices.browsers import browser_sign_in
        from notices.middleware import browser_token

        browser_sign_in(
            user=user,
            token=browser_token(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # logout() flushes the server session; drop its row from the member's list as well.
    key = request.session.session_key if request is not None else None
    if key:
        UserSession.objects.filter(session_key=key).delete()


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="accounts.session_register")
    user_logged_out.connect(on_logged_out, dispatch_uid="accounts.session_unregister")
