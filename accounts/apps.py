from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Members and users")

    def ready(self) -> None:
        from . import admin_i18n, signals

        signals.connect()
        admin_i18n.install()
