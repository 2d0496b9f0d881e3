"""View decorators every member-facing app shares."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def member_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of a member's own things: a login with no member (staff) gets a 404. Goes
    under ``login_required`` (and any method check), like a first line of the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.member_id is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and linked to a member (:func:`member_only` under ``login_required``)."""
    return login_required(member_only(view))
