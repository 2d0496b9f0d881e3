"""Error pages in Spanish that keep the member oriented and reveal nothing."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
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


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, _("Service unavailable"), _("Something went wrong. Please try again later.")
    )
