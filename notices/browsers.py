"""Sign-in from a browser not seen before: each browser carries a random long-lived cookie
(:class:`notices.middleware.BrowserCookieMiddleware`); its SHA-256 is kept per user in
:class:`~notices.models.KnownBrowser`. A sign-in whose cookie is not known for that user writes
a security notice (always emailed) with the date, time and an approximate device read from the
User-Agent. The first browser a user is ever seen with is recorded silently (nothing to
compare with yet)."""

import hashlib
import re

from django.db import transaction
from django.utils import timezone

from .models import KnownBrowser, NoticeKind
from .services import notice_create, notice_date

_BROWSERS = [
    ("Edge", r"Edg/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
]
_SYSTEMS = [
    ("Android", r"Android"),
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux"),
]


def device_describe(user_agent: str) -> str:
    """ "Chrome en Android", or "navegador desconocido": never the raw header."""
    browser = next((name for name, rx in _BROWSERS if re.search(rx, user_agent)), None)
    system = next((name for name, rx in _SYSTEMS if re.search(rx, user_agent)), None)
    if browser and system:
        return f"{browser} en {system}"
    return browser or system or "navegador desconocido"


def browser_sign_in(*, user, token: str, user_agent: str) -> bool:
    """Record the browser of a completed sign-in; True when it was new (and told)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = timezone.now()
    device = device_describe(user_agent)
    with transaction.atomic():
        updated = KnownBrowser.objects.filter(user=user, token_hash=digest).update(last_seen=now)
        if updated:
            return False
        first = not KnownBrowser.objects.filter(user=user).exists()
        KnownBrowser.objects.create(user=user, token_hash=digest, device=device, last_seen=now)
        if first:
            return False
        notice_create(
            user_id=user.pk,
            kind=NoticeKind.NEW_BROWSER,
            context={"date": notice_date(now), "device": device},
            link="/configuracion/",
        )
    return True
