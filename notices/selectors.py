from django.db.models import QuerySet

from .models import Notice

PAGE_SIZE = 20


def notices_unread_count(*, user_id: int) -> int:
    """One query on the partial index ``notice_unread``."""
    return Notice.objects.filter(user_id=user_id, read_at__isnull=True).count()


def notices_page(*, user, before_id: int | None = None, size: int = PAGE_SIZE) -> list[Notice]:
    """Newest first, ``size + 1`` rows read so the caller knows whether a next page exists
    (keyset: ``before_id`` is the last id of the previous page)."""
    rows: QuerySet[Notice] = Notice.objects.filter(user=user)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return list(rows.order_by("-pk")[: size + 1])
