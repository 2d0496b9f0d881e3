"""Session security: absolute lifetime, the "session expired" page, and session-row upkeep.

- Idle timeout: the session expires ``SESSION_COOKIE_AGE`` (15 min) after the last request
  (``SESSION_SAVE_EVERY_REQUEST``; accounts.session_store keeps it exact); nothing to do here
  but explain it afterwards.
- Absolute lifetime: however active, a sign-in ends ``SESSION_ABSOLUTE_SECONDS`` (12 h) after
  it began.
- Explaining: a small marker cookie (no secret in it) says "this browser was signed in". A
  request that carries it but no longer has a live session is sent to the warning page
  ("your session expired"), instead of an unexplained login form.
- The member's session list: the row follows the session key through rotations.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from .models import UserSession
from .services.sessions import ROW_KEY_KEY, SEEN_KEY, SESSION_ROW_KEY, SIGNED_IN_AT_KEY

MARKER_COOKIE = "pn_signed_in"
SEEN_EVERY_SECONDS = 60


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        now = int(timezone.now().timestamp())
        if request.user.is_authenticated:
            signed_in_at = request.session.get(SIGNED_IN_AT_KEY)
            if signed_in_at is None:
                request.session[SIGNED_IN_AT_KEY] = now
            elif now - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return self._expired(reason="absolute")
        elif request.COOKIES.get(MARKER_COOKIE) and not self._exempt(request):
            return self._expired(reason="idle")
        response = self.get_response(request)
        if request.user.is_authenticated:
            self._keep_row(request, now)
            if not request.COOKIES.get(MARKER_COOKIE):
                response.set_cookie(
                    MARKER_COOKIE,
                    "1",
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        elif request.COOKIES.get(MARKER_COOKIE):
            response.delete_cookie(MARKER_COOKIE, samesite="Lax")
        return response

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        return request.path.startswith(
            (
                reverse("accounts:session_expired"),
                reverse("accounts:login"),
                reverse("accounts:logout"),
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/",
            )
        )

    @staticmethod
    def _expired(*, reason: str) -> HttpResponse:
        response = HttpResponseRedirect(f"{reverse('accounts:session_expired')}?motivo={reason}")
        response.delete_cookie(MARKER_COOKIE, samesite="Lax")
        return response

    @staticmethod
    def _keep_row(request: HttpRequest, now: int) -> None:
        session = request.session
        row_id = session.get(SESSION_ROW_KEY)
        key = session.session_key
        if not row_id or not key:
            return
        if session.get(ROW_KEY_KEY) != key or now - session.get(SEEN_KEY, 0) > SEEN_EVERY_SECONDS:
            UserSession.objects.filter(pk=row_id).update(session_key=key, last_seen=timezone.now())
            session[ROW_KEY_KEY] = key
            session[SEEN_KEY] = now
