import logging

from django.core.cache import cache
from django.db.models import QuerySet

from .models import Notice

PAGE_SIZE = 20
# The header bell's count is read on every page and changes only when a notice is written or
# read (notices.services forgets it then): kept in the shared cache. The lifetime bounds a
# stale count after a race (a page counting just before a notice commits, storing just after
# it was forgotten) to a minute.
UNREAD_CACHE_SECONDS = 60

logger = logging.getLogger(__name__)


def unread_cache_key(user_id: int) -> str:
    return f"notices.unread.{user_id}"


def notices_unread_count(*, user_id: int) -> int:
    """From the shared cache, else one query on the partial index ``notice_unread``; without
    the cache (Redis down) from the database every time."""
    key = unread_cache_key(user_id)
    try:
        cached = cache.get(key)
    except Exception:
        logger.warning("cache unavailable: counting unread notices in the database")
        cached = None
    if cached is not None:
        return cached
    count = Notice.objects.filter(user_id=user_id, read_at__isnull=True).count()
    try:
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    except Exception:
        logger.warning("cache unavailable: unread notices not cached")
    return count


def notices_page(*, user, before_id: int | None = None, size: int = PAGE_SIZE) -> list[Notice]:
    """Newest first, ``size + 1`` rows read so the caller knows whether a next page exists
    (keyset: ``before_id`` is the last id of the previous page)."""
    rows: QuerySet[Notice] = Notice.objects.filter(user=user)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return list(rows.order_by("-pk")[: size + 1])
