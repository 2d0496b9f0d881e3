"""Signed, single-use, expiring tokens for the links registration emails carry.

A token is ``<issued-at in base 36>-<HMAC>``. The HMAC (SHA-256, keyed by SECRET_KEY and a
per-purpose salt) covers the issue time and a *state string* of the object the link acts on.
Using the link changes that state (the request's status moves on; setting a password changes
the password hash), so the same token no longer verifies: single use without storing tokens.
The issue time is inside the HMAC, so it cannot be pushed forward; the comparison is constant
time. Durations come from settings (documented in docs/onboarding.md).
"""

import enum
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36


class TokenResult(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"  # forged, mistyped, or already used


class LinkToken:
    def __init__(
        self,
        *,
        purpose: str,
        state: Callable[[Any], str],
        max_age: Callable[[], int],
    ) -> None:
        self.key_salt = f"progresonet.registration.{purpose}"
        self.state = state
        self._max_age = max_age

    @property
    def max_age(self) -> int:
        return int(self._max_age())

    def _now(self) -> int:
        return int(timezone.now().timestamp())

    def _signature(self, obj: Any, issued_at: int) -> str:
        value = f"{issued_at}|{self.state(obj)}"
        return salted_hmac(self.key_salt, value, algorithm="sha256").hexdigest()

    def make(self, obj: Any) -> str:
        issued_at = self._now()
        return f"{int_to_base36(issued_at)}-{self._signature(obj, issued_at)}"

    def check(self, obj: Any, token: str | None) -> TokenResult:
        if not token or token.count("-") != 1:
            return TokenResult.INVALID
        issued_b36, signature = token.split("-")
        try:
            issued_at = base36_to_int(issued_b36)
        except ValueError:
            return TokenResult.INVALID
        if not constant_time_compare(self._signature(obj, issued_at), signature):
            return TokenResult.INVALID
        # Only a genuine token learns that it expired; a forged one is just invalid.
        if self._now() - issued_at > self.max_age:
            return TokenResult.EXPIRED
        return TokenResult.VALID


def _email_state(request: Any) -> str:
    return f"{request.pk}|{request.status}|{request.email.lower()}"


def _password_state(request: Any) -> str:
    user = request.user
    return f"{request.pk}|{request.status}|{user.pk}|{user.password}|{user.is_active}"


email_confirm_token = LinkToken(
    purpose="email-confirm",
    state=_email_state,
    max_age=lambda: settings.REGISTRATION_EMAIL_CONFIRM_MAX_AGE,
)
password_set_token = LinkToken(
    purpose="password-set",
    state=_password_state,
    max_age=lambda: settings.REGISTRATION_PASSWORD_SET_MAX_AGE,
)
