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


def test_the_rendered_menus_follow_the_script_prefix_and_the_language():
    from django.utils import translation

    from progresonet.navigation import SITE_MENUS

    with translation.override("es"):
        assert 'href="/cuentas/"' in SITE_MENUS.main
        assert "Resumen de cuentas" in SITE_MENUS.main
        saved = get_script_prefix()
        set_script_prefix("/portal/")
        try:
            assert 'href="/portal/cuentas/"' in SITE_MENUS.main
            assert 'href="/cuentas/"' not in SITE_MENUS.main
        finally:
            set_script_prefix(saved)
        assert 'href="/cuentas/"' in SITE_MENUS.main
    with translation.override("en"):
        assert "Accounts summary" in SITE_MENUS.main
        assert "Notices" in SITE_MENUS.user_items


def test_each_member_sees_their_own_greeting_under_the_shared_menus(db):
    """The menus' markup is shared by every member; the greeting and the logout form's token
    are rendered for each request."""
    from django.test import Client

    from tests.factories import make_member, make_user

    pages = []
    for n, name in enumerate(("Ana", "Bruno")):
        user = make_user(
            member=make_member(),
            username=f"socio_menu{n}",
            password="Cancionero45",
            first_name=name,
        )
        member_client = Client()
        member_client.force_login(user)
        page = member_client.get("/cuentas/").content.decode()
        assert f"Hola {name}" in page
        assert 'href="/cuentas/"' in page
        logout_form = page.split('<form method="post" action="/salir/">')[1].split("</form>")[0]
        assert 'name="csrfmiddlewaretoken"' in logout_form
        pages.append(page)
    assert "Hola Ana" not in pages[1]
