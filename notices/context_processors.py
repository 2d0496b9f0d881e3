from functools import cached_property

from .selectors import notices_unread_count


class NoticeBell:
    """The header's bell: the unread count is read (one query on the partial index
    ``notice_unread``) only when a template asks for it, once per page."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    @cached_property
    def unread(self) -> int:
        return notices_unread_count(user_id=self.user_id)


def notice_bell(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "member_id", None) is None:
        return {}
    return {"notice_bell": NoticeBell(user.pk)}
