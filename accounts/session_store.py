"""The session engine (``SESSION_ENGINE``): sessions in PostgreSQL, read through Redis, the
row written only when something that matters changed.

Django's ``db`` engine with ``SESSION_SAVE_EVERY_REQUEST`` (the idle timeout's renewal) cost
four queries on every page, of the ~12 of a wizard step: read the row, then BEGIN, UPDATE,
COMMIT. Here:

- **Reads** come from the shared cache (``SESSION_CACHE_ALIAS``, Redis in production), plus
  one small indexed query that the row still exists and has not expired (:meth:`_row_alive`).
  The row is the authority: a logout, "Cerrar sesión" on another device or a password change
  deletes rows (``accounts.services.sessions``) and the session is gone at its next request,
  even if the cache still holds a copy (a cache delete lost while Redis was unreachable).
- **The idle timeout is exact**: every save stamps the session with the time of the request
  (``ACTIVE_KEY``) and a session idle for more than ``SESSION_COOKIE_AGE`` loads as empty,
  however recently its row was written. ``SESSION_ABSOLUTE_SECONDS`` stays with
  ``accounts.middleware``.
- **Writes** go to the cache on every request, and to the row only when a durable key changed
  (signing in or out, the OTP device, the session-list row, anything not named in
  ``VOLATILE_KEYS``/``VOLATILE_PREFIXES``) or the row was last written ``STORE_EVERY_SECONDS``
  ago or more. The row expires ``STORE_EVERY_SECONDS`` after the idle deadline, so it outlives
  the exact deadline that the stamp enforces.

When Redis is unavailable (errors are logged, never shown): reads fall back to the row and
every save writes the row, so members stay signed in and the portal works from PostgreSQL
alone. What the row may lack is at most the last minute of volatile state: the idle stamp
(the session then ends up to a minute early, never late) and a transfer wizard's draft (the
wizard shows an earlier step; a signature over a summary that is not the one stored is
refused as stale — transfers.wizards — and a replayed transfer is found by its idempotency
key in the database).
"""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connections, router
from django.utils import timezone

logger = logging.getLogger("django.contrib.sessions")

ACTIVE_KEY = "_pn_active"  # the time of the session's last request (epoch seconds)
STORED_KEY = "_pn_stored"  # when its row was last written
STORE_EVERY_SECONDS = 60
# What the row may hold up to STORE_EVERY_SECONDS late: the stamps, the session list's
# last-seen stamp, the transfer wizards' drafts (formtools keeps them under "wizard_<prefix>")
# and the double-submit memory of the last transfers (the database's idempotency key is the
# guarantee; see transfers.wizards).
VOLATILE_KEYS = frozenset({ACTIVE_KEY, STORED_KEY, "_pn_seen", "completed_transfers"})
VOLATILE_PREFIXES = ("wizard_",)
# Django's session model (this engine does not change it: tests/accounts/test_session_store.py).
ROW_ALIVE_SQL = 'SELECT 1 FROM "django_session" WHERE session_key = %s AND expire_date > %s'


def _durable(data: dict) -> str:
    kept = {
        key: value
        for key, value in data.items()
        if key not in VOLATILE_KEYS and not key.startswith(VOLATILE_PREFIXES)
    }
    return json.dumps(kept, sort_keys=True, default=str)


class SessionStore(CachedDBStore):
    cache_key_prefix = "progresonet.session."

    _loaded_durable: str | None = None

    def load(self) -> dict:
        data = None
        try:
            data = self._cache.get(self.cache_key)
        except Exception:
            logger.warning("session cache unavailable: reading the database", exc_info=True)
        if data is not None and not self._row_alive():
            data = None
            self._session_key = None  # expired or deleted: never reuse the key
            return {}
        if data is None:
            row = self._get_session_from_db()
            data = self.decode(row.session_data) if row else {}
        now = int(timezone.now().timestamp())
        if data and now - data.get(ACTIVE_KEY, now) > settings.SESSION_COOKIE_AGE:
            # Idle for longer than the timeout: as if the row had expired.
            self._session_key = None
            return {}
        self._loaded_durable = _durable(data) if data else None
        return data

    def _row_alive(self) -> bool:
        """The row exists and has not expired: one indexed lookup, no ORM query to build."""
        with connections[router.db_for_read(self.model)].cursor() as cursor:
            cursor.execute(ROW_ALIVE_SQL, [self.session_key, timezone.now()])
            return cursor.fetchone() is not None

    def exists(self, session_key: str) -> bool:
        # Every session has its row: the cache is not asked (a new key's collision check
        # must not fail while Redis is down).
        return DBStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        now = int(timezone.now().timestamp())
        data[ACTIVE_KEY] = now
        durable = _durable(data)
        write_row = (
            must_create
            or durable != self._loaded_durable
            or now - data.get(STORED_KEY, 0) >= STORE_EVERY_SECONDS
        )
        if not write_row:
            try:
                self._cache.set(self.cache_key, data, self.get_expiry_age())
                return None
            except Exception:
                # Without the cache the row must hold the stamp: write it on every save.
                logger.warning("session cache unavailable: writing the database", exc_info=True)
        data[STORED_KEY] = now
        DBStore.save(self, must_create=must_create)
        self._loaded_durable = durable
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age())
        except Exception:
            logger.warning("session cache unavailable", exc_info=True)
        return None

    def create_model_instance(self, data):
        row = super().create_model_instance(data)
        # Written at most STORE_EVERY_SECONDS apart: the row outlives the exact idle deadline,
        # which the stamp enforces (load).
        row.expire_date += timedelta(seconds=STORE_EVERY_SECONDS)
        return row

    def delete(self, session_key: str | None = None) -> None:
        DBStore.delete(self, session_key)
        key = session_key or self.session_key
        if key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except Exception:
            # The row is gone, and a cached copy is honoured only while its row lives.
            logger.warning("session cache unavailable: cache copy left to expire", exc_info=True)
