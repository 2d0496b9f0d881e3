"""The only authentication backend: the model backend behind the lockout service.

Every login path (the member login page and the admin's OTP login) goes through
``accounts.services.login.login_authenticate``, so the three strikes, the per-IP throttle and
the constant-time answer for unknown names apply everywhere.
"""

from functools import cache
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connections
from django.http import HttpRequest

from audit.services import client_ip

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
        # ~8 ms page, against ~0.2 ms for the query compiled once (bench/request_cost.py,
        # issue 13). Same row, same model instance, same checks (locked, inactive).
        select = _user_by_pk_sql()
        if select is None:
            return super().get_user(user_id)
        db, sql, attnames = select
        with connections[db].cursor() as cursor:
            # As the ORM would: an id that is no number raises the same ValueError.
            cursor.execute(sql, [User._meta.pk.get_prep_value(user_id)])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(db, attnames, row)
        return user if self.user_can_authenticate(user) else None


@cache
def _user_by_pk_sql() -> tuple[str, str, list[str]] | None:
    """The SQL, database alias and column names of ``User.objects.get(pk=...)``, compiled
    once; None (ModelBackend's query, then) if a column needed a converter from the database
    value, which the compiled query does not apply."""
    queryset = User._default_manager.filter(pk=0)
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    if list(params) != [0] or compiler.klass_info["select_fields"] != list(
        range(len(compiler.select))
    ):
        return None
    if compiler.get_converters([column for column, _, _ in compiler.select]):
        return None
    return queryset.db, sql, [column.target.attname for column, _, _ in compiler.select]
