"""The one rate limiter on the shared cache: "at most N hits per key in a fixed window".

Counted in Django's cache (Redis when ``REDIS_URL`` is set, so every web process shares the
count; local memory otherwise). Callers name a *scope* (what is limited) and a *key* (usually
the client address from :func:`audit.services.client_ip`, which lives beside it for that
reason), and read their numbers from one setting each.

If the shared cache is unreachable (Redis stopped or restarting) the count falls back to this
process's memory: the request keeps working and each web process still enforces the limit on
its own, so an outage loosens the limit by at most the number of processes instead of lifting
it or turning every request into a 500 (tests/reliability stops Redis to prove it).

Why here: this module imports only Django and redis, so ``accounts`` and ``beneficiaries``
(and any later app) may use it under scripts/check_imports.py; ``progresonet`` would have
turned the dependency around (it is the package that imports every app). Why not
django-ratelimit: it is a view decorator keyed by request attributes, and our registration
limit is per wizard *step* (only the data steps and "Confirmar" count, a real step back does
not), decided inside the view; its cache-outage behaviour is all-or-nothing (fail open or
raise), not the per-process fallback we rely on. Twenty lines of our own are cheaper.

Users: the registration wizard (accounts.registration.ratelimit, ``REGISTRATION_RATE_LIMITS``).
Two limits deliberately stay on PostgreSQL rather than here, because they need what a cache
counter cannot give:

- the sign-in throttle (accounts.services.login.ip_throttled) counts the ``SignInAttempt``
  rows that are written anyway (the member's "last sign-ins", the admin's evidence): an exact
  sliding 15 minutes, nothing to keep in step, and no loosening while Redis is down;
- the beneficiary lookup ("Buscar", beneficiaries.services.lookup_allowed) is an exact sliding
  60 seconds (tests/beneficiaries pin that a burst across the turn of a minute is refused,
  which fixed cache windows let through), taken under an advisory lock and committed with
  the lookup's audit row, so the counted lookups and the audited ones never disagree.
"""

import logging

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Only used while the shared cache is down (see the module docstring).
_local = LocMemCache("rate-limit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def _cache_key(scope: str, key: str | None) -> str:
    # Unknown addresses share one bucket: they are limited together rather than not at all.
    return f"{scope}:{key or 'unknown'}"


def _count(store, cache_key: str, window: int) -> int:
    store.add(cache_key, 0, timeout=window)
    try:
        return store.incr(cache_key)
    except ValueError:  # expired between add and incr
        store.set(cache_key, 1, timeout=window)
        return 1


def rate_limit_hit(*, scope: str, key: str | None, limit: int, window: int) -> bool:
    """Count one hit of ``key`` in ``scope``; True if it is over ``limit`` hits within the
    fixed ``window`` (seconds) that its first hit opened."""
    cache_key = _cache_key(scope, key)
    try:
        count = _count(cache, cache_key, window)
    except (RedisError, OSError) as exc:
        logger.warning("rate limit %s: cache unreachable (%s); counting locally", scope, exc)
        count = _count(_local, cache_key, window)
    return count > limit


def rate_limit_reset(*, scope: str, key: str | None) -> None:
    """Forget the hits of ``key`` in ``scope`` (shared and local counts)."""
    cache_key = _cache_key(scope, key)
    _local.delete(cache_key)
    cache.delete(cache_key)
