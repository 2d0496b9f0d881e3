"""The layout check (``layout.js``) itself: each fault a person would see is found, and a page
drawn right passes. Synthetic pages, no server: the walk in ``test_accessibility.py`` runs the
same check on every real page."""

import pytest

from tests.browser.a11y import layout_findings

pytestmark = pytest.mark.browser

STYLE = """<style>body{margin:0;font:16px/1.5 sans-serif}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;
clip:rect(0 0 0 0)}</style>"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 700})
    yield context.new_page()
    context.close()


def findings(page, body: str) -> list[str]:
    page.set_content(f"<!DOCTYPE html><html><head>{STYLE}</head><body>{body}</body></html>")
    return layout_findings(page)


def test_a_page_drawn_right_passes(phone):
    body = """
      <h1>Mis cuentas</h1>
      <p>Saldo disponible <span style="white-space:nowrap">Bs 30.156,00</span></p>
      <span class="visually-hidden">Bs 1,00 hidden text over text</span>
      <details><summary>Menú</summary><p>Bs 99.999.999,99 inside a closed menu</p></details>
      <div style="position:relative"><p>Debajo</p>
        <ul style="position:absolute;top:0;background:#fff"><li>Un menú abierto</li></ul></div>
      <div style="max-height:3em;overflow:auto"><p>uno</p><p>dos</p><p>tres</p></div>
      <p>Después del recuadro</p>
    """
    assert findings(phone, body) == []


def test_a_page_wider_than_the_screen_is_found(phone):
    found = findings(phone, '<div style="width:600px">ancho</div>')
    assert any("page is 600px wide in a 375px screen" in f for f in found), found


def test_money_outside_the_screen_is_found(phone):
    body = """<table style="width:700px"><tr><td style="width:600px">Cuenta</td>
      <td>Bs 30.156,25</td></tr></table>"""
    found = findings(phone, body)
    assert any('"Bs 30.156,25" is outside the screen' in f for f in found), found


def test_money_hidden_in_a_sideways_scroll_is_found(phone):
    body = """<div style="overflow-x:auto;width:200px"><table style="width:360px"><tr>
      <td style="width:200px">Cuenta</td><td>$us 17.580,80</td></tr></table></div>"""
    found = findings(phone, body)
    assert any('"$us 17.580,80" is cut off or scrolled away' in f for f in found), found


def test_money_cut_by_an_ellipsis_is_found(phone):
    body = """<p style="width:120px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap">
      Saldo disponible Bs 12.000,00</p>"""
    found = findings(phone, body)
    assert any('"Bs 12.000,00" is cut off' in f for f in found), found


def test_money_broken_over_two_lines_is_found(phone):
    found = findings(phone, '<p style="width:9ch">Monto: Bs 1.500,50</p>')
    assert any('"Bs 1.500,50" is broken over 2 lines' in f for f in found), found


def test_text_over_text_is_found(phone):
    body = """<dl style="display:grid;grid-template-columns:60px 60px">
      <dt style="white-space:nowrap">Número de comprobante</dt>
      <dd style="margin:0">1B4818E88A45</dd></dl>"""
    found = findings(phone, body)
    assert any("overlaps" in f and "1B4818E88A45" in f for f in found), found
