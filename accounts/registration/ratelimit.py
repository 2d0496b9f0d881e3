"""Per-IP limits on registration posts, on the project's one cache rate limiter
(:mod:`audit.ratelimit`: shared through Redis, per-process while Redis is down).

A fixed window per (scope, IP): simple, and enough to stop one address from hammering the
duplicate checks or flooding the branch with requests. The numbers are
``settings.REGISTRATION_RATE_LIMITS``, scope -> (max posts, window in seconds).
"""

from django.conf import settings

from audit import ratelimit


def _scope(scope: str) -> str:
    return f"registration-rate:{scope}"


def rate_limit_hit(*, scope: str, ip: str | None) -> bool:
    """Count one post; True if this IP is over the limit for the scope."""
    limit, window = settings.REGISTRATION_RATE_LIMITS[scope]
    return ratelimit.rate_limit_hit(scope=_scope(scope), key=ip, limit=limit, window=window)


def rate_limit_reset(*, scope: str, ip: str | None) -> None:
    ratelimit.rate_limit_reset(scope=_scope(scope), key=ip)
