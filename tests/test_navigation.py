"""The menu's links are cached (progresonet.navigation), but never across script prefixes
or for names that do not exist."""

from django.urls import get_script_prefix, set_script_prefix

from progresonet.navigation import MAIN_MENU, MenuItem


def test_menu_links_follow_the_script_prefix_they_are_rendered_under():
    item = MenuItem("Resumen", "ledger:dashboard")
    assert item.url == "/cuentas/"
    saved = get_script_prefix()
    set_script_prefix("/portal/")
    try:
        assert item.url == "/portal/cuentas/"
    finally:
        set_script_prefix(saved)
    assert item.url == "/cuentas/"


def test_an_unbuilt_url_name_stays_plain_text():
    assert MenuItem("Pronto", "nowhere:yet").url is None
    assert MenuItem("Pronto", "nowhere:yet").url is None  # the cached answer too
    assert all(item.url for menu in MAIN_MENU for item in menu.items)
