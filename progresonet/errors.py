"""Error pages in Spanish that keep the member oriented and reveal nothing."""

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(
        request, "error.html", {"title": title, "message": message, "status": status}, status=status
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Invalid request"), _("The request could not be processed."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Access denied"), _("You may not perform this operation."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page not found"), _("The page you asked for does not exist."))


logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    title, message = _("Service unavailable"), _("Something went wrong. Please try again later.")
    try:
        return _error(request, 500, title, message)
    except Exception:
        # The full page reads the session and the menu; when the database itself is down
        # (tests/reliability/test_faults.py) that raises too and the member would get the
        # server's bare English page. This one needs nothing but the template.
        logger.exception("the error page could not be rendered; serving the minimal one")
        html = render_to_string("error_minimal.html", {"title": title, "message": message})
        return HttpResponse(html, status=500)
