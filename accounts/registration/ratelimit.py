"""Per-IP limits on registration posts, counted in Django's cache (Redis when REDIS_URL is
set, so every web process shares the count; local memory otherwise).

A fixed window per (scope, IP): simple, and enough to stop one address from hammering the
duplicate checks or flooding the branch with requests.
"""

from django.conf import settings
from django.core.cache import cache

# scope -> (max posts, window in seconds); override with settings.REGISTRATION_RATE_LIMITS.
DEFAULT_LIMITS = {
    "data": (30, 60 * 60),  # posts of the personal-data step (each runs the duplicate checks)
    "submit": (5, 60 * 60),  # final "Confirmar" posts
}


def _limits(scope: str) -> tuple[int, int]:
    limits = {**DEFAULT_LIMITS, **getattr(settings, "REGISTRATION_RATE_LIMITS", {})}
    return limits[scope]


def _key(scope: str, ip: str | None) -> str:
    return f"registration-rate:{scope}:{ip or 'unknown'}"


def rate_limit_hit(*, scope: str, ip: str | None) -> bool:
    """Count one post; True if this IP is over the limit for the scope."""
    limit, window = _limits(scope)
    key = _key(scope, ip)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > limit


def rate_limit_reset(*, scope: str, ip: str | None) -> None:
    cache.delete(_key(scope, ip))
