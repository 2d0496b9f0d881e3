"""The member's own accounts as radios where money is paid from (issue 14: a closed select
cut the number and the balance at 320 px): the label, the preselection, the QR payee."""

import re

import pytest

from tests.factories import make_account, make_member, make_user
from transfers.forms import OwnDestinationForm, SourceForm
from transfers.qr.forms import QrDestinationForm, QrSourceForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return make_user(member=make_member())


def _radios(html: str) -> dict[str, bool]:
    """value → checked, for each radio input in ``html``."""
    return {
        re.search(r'value="(\d+)"', tag).group(1): " checked" in tag
        for tag in re.findall(r"<input [^>]*type=\"radio\"[^>]*>", html)
    }


def test_source_radios_read_product_number_and_balance_and_preselect_the_first(user):
    first = make_account(member=user.member, balance="23167.76")
    second = make_account(member=user.member, currency="USD", balance="17580.80")
    html = str(SourceForm(prefix="source", user=user, transfer_type="own")["source_account"])
    assert _radios(html) == {str(first.pk): True, str(second.pk): False}
    assert f'Caja de Ahorros {first.number} <span class="money">Bs 23.167,76</span>' in html
    assert f'Caja de Ahorros {second.number} <span class="money">$us 17.580,80</span>' in html
    assert "—" not in html


def test_an_initial_source_wins_over_the_first_account(user):
    make_account(member=user.member)
    chosen = make_account(member=user.member)
    form = SourceForm(
        prefix="source", user=user, transfer_type="own", initial={"source_account": chosen.pk}
    )
    assert [pk for pk, on in _radios(str(form["source_account"])).items() if on] == [str(chosen.pk)]


def test_a_posted_choice_is_kept_when_the_step_is_shown_again(user):
    make_account(member=user.member)
    chosen = make_account(member=user.member)
    form = SourceForm(
        {"source-transfer_type": "own", "source-source_account": str(chosen.pk)},
        prefix="source",
        user=user,
        transfer_type="own",
    )
    assert form.is_valid()
    assert [pk for pk, on in _radios(str(form["source_account"])).items() if on] == [str(chosen.pk)]


def test_qr_source_preselects_the_first_account_in_the_codes_currency(user):
    make_account(member=user.member, currency="USD")
    bob = make_account(member=user.member, currency="BOB")
    form = QrSourceForm(prefix="source", user=user, transfer_type="third_party", currency="BOB")
    assert _radios(str(form["source_account"])) == {str(bob.pk): True}


def test_destination_radios_have_no_dangling_dash_and_no_preselection(user):
    source = make_account(member=user.member)
    other = make_account(member=user.member)
    html = str(OwnDestinationForm(user=user, source=source)["destination_account"])
    assert _radios(html) == {str(other.pk): False}
    assert "—" not in html


def test_qr_payee_is_text_and_nothing_posted_changes_it():
    payee = "Juan Carlos Gomez Mamani X*** 10110****99"
    form = QrDestinationForm({"payee": "Otra persona"}, payee=payee)
    assert form.is_valid() and form.cleaned_data["payee"] == payee
    html = str(form["payee"])
    assert payee in html and "<input" not in html
