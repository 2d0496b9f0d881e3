"""Every form of every member page, found by walking the URL resolver, fed Hypothesis-made
input through the test client: no answer of 500 or more and no unhandled exception (the test
client re-raises those).

``test_forms.py`` drives the main flows with strategies shaped for each form, deep into their
rules. This module is the wide net: a page added later is fuzzed without editing this file,
because its forms are read from the page itself (every ``<form>``: its method, action and
fields, with the values the page rendered). Within one test the examples share the session,
so a wizard step that accepts an example moves on and the next examples hit the next step's
form, as a browser would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.test import Client
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from tests.security.test_access_matrix import MEMBER_NAMESPACES, _url
from tests.security.test_access_matrix import owner as owner  # noqa: PLC0414 - the fixture
from tests.security.urls import routes

from .test_forms import NUMBERS, TEXT

pytestmark = pytest.mark.django_db

# Pages without a form of their own (beyond the layout's "Salir"), each with its reason; a
# member page missing from here that renders no form fails the test, so none is skipped by
# accident.
FORMLESS = {
    "transfers:scheduled_list": "a table of the member's orders with links to each one",
    "transfers:scheduled_pause": "POST-only: pauses the order and redirects (no PIN by design)",
    "transfers:scheduled_cancel": "POST-only: cancels the order and redirects (no PIN by design)",
    "beneficiaries:list": "a table with edit and delete links (their pages are fuzzed)",
    "loans:detail": "the payment plan, with a link to pay",
    "loans:pay_confirm": "redirects to loans:pay without a payment being prepared",
    "accounts:settings": "a menu of links (its session list posts to accounts:session_close)",
    "accounts:login": "redirects a signed-in member; fuzzed by the anonymous test",
    "accounts:registration": "redirects a signed-in member; fuzzed by the anonymous test",
    "accounts:session_expired": "a notice with a link back to the sign-in",
    "accounts:registration_submitted": "a notice",
    "accounts:keepalive": "POST-only endpoint of the idle-timeout script: fuzzed as a POST",
    "accounts:logout": "POST-only; the layout's form posts here",
    "accounts:session_close": "POST-only; the settings page's forms post here",
    "accounts:sms_token": "POST-only; the device page's form posts here",
    "ledger:account_statement_csv": "a download",
    "ledger:account_statement_pdf": "a download",
    "transfers:receipt": "a receipt",
    "transfers:receipt_pdf": "a download",
    "loans:statement_csv": "a download",
    "loans:statement_pdf": "a download",
    "loans:receipt": "a receipt",
    "loans:receipt_pdf": "a download",
    "loans:list": "a list of links",
    "loans:debts": "a table",
    "beneficiaries:lookup": "POST-only endpoint of the 'Buscar' script: fuzzed as a POST",
    "beneficiaries:sign": "reached from the add forms; empty without a pending registration",
    "beneficiaries:add": "a choice of two links",
    "ledger:dashboard": "a list of accounts",
    "transfers:list": "a list (its co-signature forms are on their own page)",
    "transfers:qr_png": "a download",
    "transfers:qr_revoke": "POST-only; the code page's form posts here",
    "transfers:qr_wizard": "redirects to transfers:qr_pay without a code read there first",
}
# Token links from emails: their fuzzing is of the URL itself.
TOKEN_ROUTES = ("accounts:email_confirm", "accounts:registration_confirm", "accounts:password_set")
LAYOUT_ACTIONS = ("/salir/",)  # the menu's sign-out form, on every page


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> rendered/offered values
    kinds: dict[str, str] = field(default_factory=dict)  # name -> input type / select


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("method", "get").lower(), a.get("action", "")))
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                self.forms[-1].fields[self._select].append(a.get("value", ""))
            return
        form, name = self.forms[-1], a["name"]
        if tag in ("input", "textarea", "button"):
            kind = a.get("type", "text" if tag != "button" else "submit")
            form.kinds.setdefault(name, kind)
            form.fields.setdefault(name, []).append(a.get("value", ""))
        elif tag == "select":
            form.kinds[name] = "select"
            form.fields.setdefault(name, [])
            self._select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def page_forms(response, url: str) -> list[Form]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    parser = _FormParser()
    parser.feed(response.content.decode())
    forms = []
    for form in parser.forms:
        form.action = urljoin(url, form.action or url)
        if urlsplit(form.action).path not in LAYOUT_ACTIONS:
            forms.append(form)
    return forms


DATES = st.sampled_from(["2026-11-26", "2026-02-30", "26/11/2026", "0000-00-00", "9999-12-31"])
MAX_FIELDS = 24
# One draw per field, the same shape whatever form it lands on: the forms on screen change
# with the session's state, and Hypothesis requires data generation that does not.
FIELD_PLANS = st.tuples(st.integers(0, 11), st.integers(0, 10**6), TEXT, NUMBERS, DATES)
PLANS = st.tuples(
    st.integers(0, 10**6),  # which form of the page
    st.lists(FIELD_PLANS, min_size=MAX_FIELDS, max_size=MAX_FIELDS),
    st.sampled_from([None, "source_account", "pk", "amount", "x"]),  # a field never rendered
    TEXT,
)


def submission(form: Form, field_plans: list, extra_name: str | None, extra: str) -> dict:
    data = {}
    for index, name in enumerate(form.fields):
        how, pick, text, number, date = field_plans[index % MAX_FIELDS]
        offered = form.fields[name]
        kind = form.kinds.get(name, "text")
        if how == 0 or (kind == "submit" and how % 2):
            continue  # a field left out; a form sent by another of its buttons, or by Enter
        if how <= 6 and offered and (kind != "text" or how <= 3):
            # Mostly what the page offered (to get past the first check into deeper rules).
            data[name] = offered[pick % len(offered)]
        else:
            data[name] = (text, number, date)[how % 3]
    if extra_name:
        data[extra_name] = extra
    return data


def _member_routes():
    return sorted(
        (r for r in routes() if r.name.startswith(MEMBER_NAMESPACES)),
        key=lambda r: r.name,
    )


def _fuzz_page(client: Client, url: str) -> None:
    first = client.get(url)
    assert first.status_code < 500
    state = {"forms": page_forms(first, url), "url": url}
    assert state["forms"], f"{url} renders no form: list it in FORMLESS with the reason"

    # No shrinking: the examples share one session, so a failure does not replay exactly and
    # shrinking it only burns minutes; the failing example is printed as found.
    @settings(phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(plan=PLANS)
    def examples(plan) -> None:
        which, field_plans, extra_name, extra = plan
        form = state["forms"][which % len(state["forms"])]
        payload = submission(form, field_plans, extra_name, extra)
        if form.method == "post":
            response = client.post(form.action, payload)
        else:
            response = client.get(form.action, payload)
        assert response.status_code < 500, (form.action, payload, response.status_code)
        # Follow the flow as a browser would: the page answered is the next one filled in.
        if response.status_code == 302:
            target = urljoin(form.action, response["Location"])
            if urlsplit(target).path.startswith(urlsplit(url).path):
                response = client.get(target)
                assert response.status_code < 500
                form_url = target
            else:
                response = client.get(url)  # back to the page under test
                form_url = url
        else:
            form_url = form.action
        forms = page_forms(response, form_url)
        state["forms"] = forms or page_forms(client.get(url), url) or state["forms"]

    examples()


@pytest.mark.parametrize("route", _member_routes(), ids=lambda r: r.name)
def test_every_member_form_survives_bad_input(client, owner, route):
    client.force_login(owner["user"])
    url = _url(route, owner) if route.params else route.url()
    if route.name in TOKEN_ROUTES:
        # The signed secret in the path: anything in its place is refused cleanly.
        @given(parts=st.lists(TEXT, min_size=route.route.count("<"), max_size=3))
        def tokens(parts) -> None:
            values = {
                name: quote(p or "x", safe="")
                for (_, name), p in zip(route.params, parts, strict=False)
            }
            response = Client().get(route.url(**values))
            assert response.status_code < 500

        tokens()
        return
    if route.name in FORMLESS:
        if "POST-only" in FORMLESS[route.name]:

            @given(payload=st.dictionaries(st.sampled_from(["number", "pk", "x"]), TEXT))
            def posts(payload) -> None:
                assert client.post(url, payload).status_code < 500

            posts()
        else:
            assert client.get(url).status_code < 500
        return
    _fuzz_page(client, url)


def test_every_anonymous_form_survives_bad_input():
    """The pages a visitor without an account can fill in (sign-in, registration)."""
    for name in ("accounts:login", "accounts:registration"):
        route = next(r for r in routes() if r.name == name)
        _fuzz_page(Client(), route.url())
