"""A member's change signed with the PIN, as every signing page runs it: sign the summary
(outside any transaction, so a wrong-PIN strike commits), then call the service with the
receipt; the service's refusal goes back to the page, a success is flashed."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from audit.services import client_ip


def signed_action(
    request: HttpRequest,
    form: Any,
    *,
    summary: dict[str, str],
    purpose: str,
    fingerprint: str,
    run: Callable[[Any], object],
    refused: type[Exception] | tuple[type[Exception], ...],
    on_refused: Callable[[Any], None],
    success: str,
) -> bool:
    """Sign ``summary`` with ``form`` (a bound, valid :class:`accounts.signing.SignatureForm`;
    a wrong PIN lands on it) and ``run(receipt)``. A ``refused`` error goes to ``on_refused``;
    True when the change went through (and ``success`` was flashed)."""
    receipt = form.sign(
        summary=summary, purpose=purpose, fingerprint=fingerprint, ip_address=client_ip(request)
    )
    if receipt is None:
        return False
    try:
        run(receipt)
    except refused as exc:
        on_refused(exc)
        return False
    messages.success(request, success)
    return True
