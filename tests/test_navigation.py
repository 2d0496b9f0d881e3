"""The menu's links are cached (progresonet.navigation), but never across script prefixes
or for names that do not exist; the layout's member-independent HTML is rendered once
(progresonet.layout_tags), never across languages or script prefixes, and never what belongs
to the member."""

import pytest
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


def _shared(source: str):
    from django.template import engines

    return engines["django"].from_string("{% load layout %}" + source)


def test_a_shared_stretch_is_rendered_once_per_language_and_script_prefix():
    from django.utils import translation

    layout = _shared('{% shared "t" %}{% url "ledger:dashboard" %} {{ label }}{% endshared %}')
    with translation.override("es"):
        assert layout.render({"label": "uno"}) == "/cuentas/ uno"
        # Rendered once: what the stretch printed the first time is what every page gets.
        assert layout.render({"label": "dos"}) == "/cuentas/ uno"
        saved = get_script_prefix()
        set_script_prefix("/portal/")
        try:
            assert layout.render({"label": "tres"}) == "/portal/cuentas/ tres"
        finally:
            set_script_prefix(saved)
    with translation.override("en"):
        assert layout.render({"label": "cuatro"}) == "/cuentas/ cuatro"


def test_a_shared_stretch_is_rendered_every_time_with_debug(settings):
    settings.DEBUG = True
    layout = _shared('{% shared "t" %}{{ label }}{% endshared %}')
    assert layout.render({"label": "uno"}) == "uno"
    assert layout.render({"label": "dos"}) == "dos"


@pytest.mark.parametrize(
    "inside",
    [
        "{% csrf_token %}",
        "{{ user.username }}",
        "{{ request.path }}",
        "{% if x %}{{ notice_bell.unread }}{% endif %}",
        "{% block b %}{% endblock %}",
        # Found in review: member-specific content inside a tag, not printed directly.
        "{% if user.is_staff %}staff{% endif %}",
        "{% with u=user %}{{ u.username }}{% endwith %}",
        "{% if perms.ledger.view_account %}x{% endif %}",
        "{% for m in messages %}{{ m }}{% endfor %}",
        "{% if x %}{% else %}{{ request.path }}{% endif %}",
        '{% include "includes/notice_bell.html" %}',
        "{% firstof user.username 'x' %}",
        "{% url 'transfers:receipt' user.pk %}",
        "{% now 'Y' %}",
    ],
)
def test_what_belongs_to_the_request_is_refused_inside_a_shared_stretch(inside):
    """Refused when parsed: a shared stretch is served to every member."""
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError):
        _shared('{% shared "t" %}' + inside + "{% endshared %}")


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
        assert "Entre mis cuentas" in page
        logout_form = page.split('<form method="post" action="/salir/">')[1].split("</form>")[0]
        assert 'name="csrfmiddlewaretoken"' in logout_form
        pages.append(page)
    assert "Hola Ana" not in pages[1]
