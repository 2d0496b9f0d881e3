"""Project-wide middleware."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control


class NoStoreForAuthenticatedMiddleware:
    """Forbid any cache (browser back button, shared proxy) from keeping a member's pages.

    Balances and movements must not survive logout in a cache, so every response to an
    authenticated request is ``no-store``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class ForwardedHeadersMiddleware:
    """Drop the X-Forwarded-* headers of a request that did not come through a trusted proxy.

    ``SECURE_PROXY_SSL_HEADER`` makes Django believe ``X-Forwarded-Proto`` from whoever sends
    it; a client talking to the web process directly could claim HTTPS. Removing the headers
    here (first in the chain) makes them mean something only from ``settings.TRUSTED_PROXIES``;
    the client address itself is worked out by ``audit.services.client_ip``.
    """

    HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from audit.services import request_via_trusted_proxy

        if not request_via_trusted_proxy(request):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
