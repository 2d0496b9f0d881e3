"""Per-IP limits on registration posts, counted in Django's cache (Redis when REDIS_URL is
set, so every web process shares the count; local memory otherwise).

A fixed window per (scope, IP): simple, and enough to stop one address from hammering the
duplicate checks or flooding the branch with requests.

If the shared cache is unreachable (Redis stopped or restarting) the count falls back to this
process's memory: registration keeps working — its confirmation email waits in the outbox —
and each web process still enforces the limit on its own, so an outage loosens the limit by
at most the number of processes instead of lifting it or turning every post into a 500.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Only used while the shared cache is down (see the module docstring).
_local = LocMemCache("registration-rate-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def _limits(scope: str) -> tuple[int, int]:
    return settings.REGISTRATION_RATE_LIMITS[scope]  # scope -> (max posts, window in seconds)


def _key(scope: str, ip: str | None) -> str:
    return f"registration-rate:{scope}:{ip or 'unknown'}"


def _count(store, key: str, window: int) -> int:
    store.add(key, 0, timeout=window)
    try:
        return store.incr(key)
    except ValueError:  # expired between add and incr
        store.set(key, 1, timeout=window)
        return 1


def rate_limit_hit(*, scope: str, ip: str | None) -> bool:
    """Count one post; True if this IP is over the limit for the scope."""
    limit, window = _limits(scope)
    key = _key(scope, ip)
    try:
        count = _count(cache, key, window)
    except (RedisError, OSError) as exc:
        logger.warning("registration rate limit: cache unreachable (%s); counting locally", exc)
        count = _count(_local, key, window)
    return count > limit


def rate_limit_reset(*, scope: str, ip: str | None) -> None:
    _local.delete(_key(scope, ip))
    cache.delete(_key(scope, ip))
