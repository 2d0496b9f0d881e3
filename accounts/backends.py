"""The only authentication backend: the model backend behind the lockout service.

Every login path (the member login page and the admin's OTP login) goes through
``accounts.services.login.login_authenticate``, so the three strikes, the per-IP throttle and
the constant-time answer for unknown names apply everywhere.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from audit.services import client_ip
from progresonet.sql import names, sql

from .models import User
from .services.login import login_authenticate


class LockoutBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        result = login_authenticate(
            username=username,
            password=password,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "") if request is not None else "",
        )
        if request is not None and result.throttled:
            request.login_throttled = True  # the login form shows the throttle message
        return result.user

    def user_can_authenticate(self, user: Any) -> bool:
        # A locked user's existing sessions stop working too (get_user asks this).
        return super().user_can_authenticate(user) and getattr(user, "locked_at", None) is None

    def get_user(self, user_id: Any) -> User | None:
        # Every request loads its user (AuthenticationMiddleware). ModelBackend's
        # objects.get(pk=...) builds and compiles the same query each time: ~0.5 ms of CPU of a
        # ~8 ms page, against ~0.2 ms for a plain statement built once (progresonet.sql;
        # bench/request_cost.py, issue 13). Same row, same model instance (the fields'
        # converters applied), same checks (locked, inactive).
        found = names(User).columns.read(
            sql(_USER_BY_PK_SQL, u=User),
            # As the ORM would: an id that is no number raises the same ValueError.
            [User._meta.pk.get_prep_value(user_id)],
        )
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None


_USER_BY_PK_SQL = "SELECT {u.columns} FROM {u} WHERE {u.pk} = %s"
