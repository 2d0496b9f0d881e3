"""Spanish where Django's admin prints English regardless of the language: the yes/no icons'
alternative text is the Python value itself ("True", "False", "None"), which a screen reader
reads to a clerk. :func:`install` (called from ``AccountsConfig.ready``) replaces the helper
every admin list and read-only field calls (they import it from ``admin_list`` at call time).
"""

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _


def boolean_icon(field_val: bool | None) -> str:
    icon = {True: "yes", False: "no", None: "unknown"}[field_val]
    text = {True: _("Yes"), False: _("No"), None: _("Unknown")}[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)


def install() -> None:
    from django.contrib.admin.templatetags import admin_list

    admin_list._boolean_icon = boolean_icon
