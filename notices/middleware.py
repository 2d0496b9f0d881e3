import secrets

from django.conf import settings

BROWSER_COOKIE = "pn_browser"


def browser_token(request) -> str:
    """This browser's identifier (``notices.browsers``): the cookie's, or a new one that the
    middleware sets on the response. Only sign-in asks, so only sign-in sets the cookie."""
    token = request.COOKIES.get(BROWSER_COOKIE, "")
    if 16 <= len(token) <= 64 and token.isalnum():
        return token
    token = getattr(request, "browser_token_new", "") or secrets.token_hex(16)
    request.browser_token_new = token
    return token


class BrowserCookieMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "browser_token_new", "")
        if token:
            response.set_cookie(
                BROWSER_COOKIE,
                token,
                max_age=60 * 60 * 24 * 400,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
