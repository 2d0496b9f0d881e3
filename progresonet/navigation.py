"""The member menu, as the cooperative's guide draws it.

Entries point at URL names; an entry whose feature has not been built yet resolves to nothing
and is shown as plain text rather than as a broken link.
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=256)
def _menu_url(url_name: str, urlconf: str, prefix: str) -> str | None:
    try:
        return reverse(url_name, urlconf=urlconf)
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str

    @property
    def url(self) -> str | None:
        # Every page renders the 14 menu links; reversing them each time cost ~0.5 ms of a
        # 5-6 ms page (bench/mix.py). The answer only depends on the URLconf and the script
        # prefix (reverse() reads it), so it is cached under both.
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        return _menu_url(self.url_name, urlconf, get_script_prefix())


@dataclass(frozen=True)
class Menu:
    label: str
    items: tuple[MenuItem, ...]


MAIN_MENU = (
    Menu(_("My accounts"), (MenuItem(_("Accounts summary"), "ledger:dashboard"),)),
    Menu(
        _("Transfers"),
        (
            MenuItem(_("Between my accounts"), "transfers:own"),
            MenuItem(_("To a third-party account"), "transfers:third_party"),
            MenuItem(_("To other banks"), "transfers:other_bank"),
            MenuItem(_("Collect with QR"), "transfers:qr_collect"),
            MenuItem(_("Pay with QR"), "transfers:qr_pay"),
            MenuItem(_("My transfers"), "transfers:list"),
            MenuItem(_("Scheduled transfers"), "transfers:scheduled_list"),
        ),
    ),
    Menu(
        _("Loans"),
        (
            MenuItem(_("My loans"), "loans:list"),
            MenuItem(_("Debt inquiry"), "loans:debts"),
        ),
    ),
    Menu(_("Administration"), (MenuItem(_("Third-party products"), "beneficiaries:list"),)),
)

USER_MENU = Menu(
    _("Personal settings"),
    (
        MenuItem(_("Personal settings"), "accounts:settings"),
        MenuItem(_("Change password"), "accounts:password_change"),
        MenuItem(_("Change PIN"), "accounts:pin_change"),
        MenuItem(_("Change security device"), "accounts:device_change"),
        MenuItem(_("Change personal data"), "accounts:profile_change"),
        MenuItem(_("Set up SMS token"), "accounts:sms_token"),
        MenuItem(_("Notices"), "notices:preferences"),
    ),
)


def menu(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"main_menu": MAIN_MENU, "user_menu": USER_MENU}
