"""The POST-only member actions (pause, cancel, revoke): run the service, then tell the member
how it went on the page they go back to."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest


def run_and_flash(
    request: HttpRequest,
    action: Callable[[], object],
    *,
    refused: type[Exception] | tuple[type[Exception], ...],
    success: str,
) -> bool:
    """Call ``action``; a ``refused`` error (which carries ``message``, for the member) is shown
    as an error, anything else propagates. True when the action went through."""
    try:
        action()
    except refused as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True
