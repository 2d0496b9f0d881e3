from django.utils.functional import SimpleLazyObject

from .selectors import notices_unread_count


def unread_notices(request) -> dict:
    """``unread_notices`` for the bell: counted only when a template reads it (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "member_id", None) is None:
        return {}
    return {"unread_notices": SimpleLazyObject(lambda: notices_unread_count(user_id=user.pk))}
