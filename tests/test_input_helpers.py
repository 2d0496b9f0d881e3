"""Issue 12, Medium 8 and the Low "ambiguous amounts": the two input helpers every form uses.

* Free text: :mod:`progresonet.forms`. A walk over every form class of the project and over
  every ``forms.CharField(...)``/``forms.EmailField(...)`` call in the source proves each
  free-text field goes through the helper; Hypothesis proves invisible text never passes.
* Amounts: :func:`ledger.money.parse_money` behind :class:`ledger.forms.AmountField`. Every
  amount field of the portal is an ``AmountField``; ``format_money`` round-trips through it and
  every ambiguous spelling is refused.
"""

import ast
import importlib
import inspect
import pkgutil
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.forms import MAX_AMOUNT, AmountField
from ledger.money import AmountParseError, format_amount, format_money, parse_money
from progresonet.forms import (
    CleanTextMixin,
    DeclarationField,
    TextEmailField,
    TextField,
    text_clean,
)

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "beneficiaries", "ledger", "loans", "transfers", "progresonet"]
# Text fields that are not free text: secrets compared byte for byte, and fields whose regex
# admits digits (and "+") only. Each entry says which and why; a new one needs a reason.
NOT_FREE_TEXT = {
    ("accounts.forms", "ProfileForm", "mobile_phone"): "regex ^\\+?[0-9]{7,15}$",
    ("accounts.forms", "CodeForm", "code"): "regex: six digits",
    ("accounts.forms", "SmsNumberForm", "number"): "regex ^\\+?[0-9]{7,15}$",
    ("accounts.forms", "PinResetForm", "code"): "regex: six digits",
    ("accounts.admin_login", "StaffLoginForm", "otp_token"): "a one-time code, a secret",
}
# Source lines allowed to build a bare CharField: each one a secret (password, PIN, device
# code) or a hidden key, never text a person reads.
BARE_CHARFIELD_OK = {"otp_code", "otp_token"}


def _project_modules():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            if info.name.endswith((".wsgi", ".asgi", ".gunicorn.conf")) or ".settings" in info.name:
                continue
            yield importlib.import_module(info.name)


def _form_classes():
    seen = {}
    for module in _project_modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__.split(".")[0] in APPS:
                seen[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return seen


def _is_secret_or_hidden(field) -> bool:
    return isinstance(field.widget, forms.PasswordInput | forms.HiddenInput)


def _free_text_fields():
    for path, cls in sorted(_form_classes().items()):
        for name, field in getattr(cls, "base_fields", {}).items():
            if not isinstance(field, forms.CharField) or _is_secret_or_hidden(field):
                continue
            if (cls.__module__, cls.__name__, name) in NOT_FREE_TEXT:
                continue
            yield path, name, field


def test_the_walk_finds_the_forms_members_fill():
    found = {f"{path}.{name}" for path, name, _field in _free_text_fields()}
    for expected in [
        "transfers.forms.DataForm.description",
        "transfers.forms.DataForm.funds_origin",
        "transfers.forms.DataForm.notify_email",
        "beneficiaries.forms.OtherBankProductForm.holder_name",
        "beneficiaries.forms.MemberProductForm.alias",
        "accounts.forms.ProfileForm.address",
        "accounts.registration.forms.PersonForm.first_names",
        "accounts.registration.forms.CompanyForm.business_name",
    ]:
        assert expected in found


def test_every_free_text_field_uses_the_helper():
    bare = [
        f"{path}.{name} ({type(field).__name__})"
        for path, name, field in _free_text_fields()
        if not isinstance(field, CleanTextMixin)
    ]
    assert bare == []


def test_declarations_are_declaration_fields():
    from transfers.forms import DataForm

    for name in ("funds_origin", "funds_destination"):
        assert isinstance(DataForm.base_fields[name], DeclarationField)


def test_no_bare_charfield_in_the_source():
    """Fields built in ``__init__`` escape the class walk: the source is read instead. A bare
    ``forms.CharField``/``forms.EmailField`` is allowed only for a secret or a hidden key."""
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts or "settings" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"CharField", "EmailField", "SlugField"}
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "forms"
                ):
                    continue
                widget = next((k.value for k in node.keywords if k.arg == "widget"), None)
                source = ast.get_source_segment(path.read_text(), widget) if widget else ""
                if "PasswordInput" in source or "HiddenInput" in source:
                    continue
                line = path.read_text().splitlines()[node.lineno - 1]
                if any(name in line for name in BARE_CHARFIELD_OK):
                    continue
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# -- the cleaning rule ------------------------------------------------------------------------

INVISIBLE = st.characters(categories=["Cf", "Cc", "Zs", "Zl", "Zp"])


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\u200b\u200b\u200b", ""),
        ("Ahorro\u200b del\u00a0 sueldo ", "Ahorro del sueldo"),
        ("Ｆｕｌｌ", "Full"),
        ("a\u202eb", "ab"),
        ("línea\nuno\tdos", "línea uno dos"),
        ("\u00ad\ufeff", ""),
    ],
)
def test_text_clean(raw, clean):
    assert text_clean(raw) == clean


def test_multiline_keeps_line_breaks_only():
    assert text_clean("uno\u200b\r\n  dos\x00", multiline=True) == "uno\ndos"


@settings(max_examples=200)
@given(text=st.text(INVISIBLE, max_size=30))
def test_invisible_text_never_passes_a_required_field(text):
    for field in (
        TextField(max_length=200),
        TextEmailField(),
        DeclarationField(max_length=200),
        TextField(multiline=True),
    ):
        with pytest.raises(ValidationError):
            field.clean(text)
    assert DeclarationField(required=False).clean(text) == ""


@settings(max_examples=200)
@given(
    text=st.text(st.characters(categories=["Cf", "Cc", "Z", "N", "P", "S", "M"]), max_size=30),
    letters=st.text(st.characters(categories=["L"]), max_size=2),
)
def test_a_declaration_needs_three_letters(text, letters):
    value = text + letters
    cleaned = text_clean(value)
    if sum(unicodedata.category(c).startswith("L") for c in cleaned) >= 3:
        return  # NFKC can turn a symbol into letters (e.g. "℡" → "TEL"): then it is words.
    with pytest.raises(ValidationError):
        DeclarationField(max_length=200).clean(value)


def test_every_required_free_text_field_refuses_invisible_text():
    for path, name, field in _free_text_fields():
        if field.required:
            with pytest.raises(ValidationError):
                field.clean("\u200b\u200c\u2060\ufeff \u00ad")
            assert f"{path}.{name}"


@pytest.mark.django_db
def test_data_form_cleans_zero_width_declarations_to_nothing():
    """An invisible declaration is no declaration (the service then asks for one over the
    threshold); a punctuation-only one is refused at once."""
    from transfers.forms import DataForm

    data = {"currency": "BOB", "amount": "100,00", "description": "Pago\u200b"}
    form = DataForm(
        data={**data, "funds_origin": "\u200b\u200b\u200b", "funds_destination": "\u2060 \u200b"},
        currencies=["BOB"],
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["funds_origin"] == form.cleaned_data["funds_destination"] == ""
    assert form.cleaned_data["description"] == "Pago"
    form = DataForm(
        data={**data, "funds_origin": "...", "funds_destination": "x-1"}, currencies=["BOB"]
    )
    assert set(form.errors) == {"funds_origin", "funds_destination"}


@pytest.mark.django_db
def test_the_regulatory_rule_refuses_invisible_declarations_in_the_service():
    """The service never trusts its form: an order forged with zero-width declarations over
    the USD 1.000 threshold is refused (``str.strip`` left them in before issue 12)."""
    from tests.factories import make_account, make_member, make_user
    from transfers.exceptions import TransferError
    from transfers.services import TransferOrder, transfer_prepare

    member = make_member()
    user = make_user(member=member)
    source = make_account(member=member, currency="USD", balance="5000")
    destination = make_account(member=member, currency="USD")
    order = TransferOrder(
        transfer_type="own",
        source_account_id=source.pk,
        destination_account_id=destination.pk,
        currency="USD",
        amount=Decimal("1000.01"),
        description="Ahorro",
        funds_origin="\u200b\u200b\u200b",
        funds_destination="\u200b\ufeff\u200b",
    )
    with pytest.raises(TransferError) as exc:
        transfer_prepare(user=user, order=order)
    assert exc.value.field == "funds_origin"
    good = TransferOrder(
        **{**order.__dict__, "funds_origin": "Ahorro", "funds_destination": "Viaje"}
    )
    assert transfer_prepare(user=user, order=good).exceeds_threshold


def test_the_service_rule_refuses_invisible_declarations():
    from progresonet.forms import declaration_is_words

    assert not declaration_is_words("\u200b\u200b\u200b")
    assert not declaration_is_words("...")
    assert not declaration_is_words("a1b2")
    assert declaration_is_words("Ahorro")
    assert declaration_is_words("Préstamo")


# -- amounts ----------------------------------------------------------------------------------


def test_every_amount_field_is_the_one_parser():
    """No DecimalField or FloatField reads an amount anywhere in a project form (a rate, a
    percentage, may stay a DecimalField)."""
    bad = []
    for path, cls in _form_classes().items():
        for name, field in getattr(cls, "base_fields", {}).items():
            numeric = isinstance(field, forms.DecimalField | forms.FloatField)
            # Rates (exchange rates, percentages) are not money.
            if numeric and not (name == "rate" or name.endswith("_rate")):
                bad.append(f"{path}.{name}")
            if ("amount" in name or "principal" in name) and not isinstance(field, AmountField):
                bad.append(f"{path}.{name}")
    assert bad == []


AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2)


@settings(max_examples=300)
@given(amount=AMOUNTS, currency=st.sampled_from(["BOB", "USD"]))
def test_format_money_round_trips(amount, currency):
    assert parse_money(format_money(amount, currency), currency=currency) == amount
    assert parse_money(format_amount(amount)) == amount
    plain = f"{amount:.2f}"
    assert parse_money(plain) == amount
    assert parse_money(plain.replace(".", ",")) == amount
    assert AmountField(currency=currency).clean(format_money(amount, currency)) == amount


@settings(max_examples=300)
@given(head=st.integers(1, 999), groups=st.lists(st.integers(0, 999), min_size=1, max_size=3))
def test_thousands_without_cents_are_ambiguous(head, groups):
    tail = "".join(f"{g:03d}" for g in groups)
    for sep in (".", ","):
        text = str(head) + "".join(f"{sep}{g:03d}" for g in groups)
        with pytest.raises(AmountParseError) as exc:
            parse_money(text)
        assert exc.value.code == "ambiguous"
        with pytest.raises(ValidationError):
            AmountField().clean(text)
    english = f"{head}," + ",".join(f"{g:03d}" for g in groups) + ".50"
    with pytest.raises(AmountParseError):
        parse_money(english)
    assert tail  # the groups were there


@settings(max_examples=200)
@given(
    whole=st.integers(0, 10**9), cents=st.integers(0, 10**6).map(str).filter(lambda c: len(c) >= 3)
)
def test_more_than_two_decimals_is_refused(whole, cents):
    for sep in (",", "."):
        with pytest.raises(AmountParseError):
            parse_money(f"{whole}{sep}{cents}")


@settings(max_examples=100)
@given(amount=AMOUNTS)
def test_a_symbol_of_the_other_currency_is_refused(amount):
    with pytest.raises(AmountParseError) as exc:
        parse_money(format_money(amount, "USD"), currency="BOB")
    assert exc.value.code == "currency"
    with pytest.raises(AmountParseError):
        parse_money(format_money(amount, "BOB"), currency="USD")
    with pytest.raises(AmountParseError):
        parse_money(f"$ {format_amount(amount)}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,000", "puede leerse de dos formas"),
        ("1.000", "puede leerse de dos formas"),
        ("$us 5", "no corresponde"),
        ("10,005", "puede leerse de dos formas"),
        ("10,0051", "dos decimales"),
    ],
)
def test_spanish_messages(text, message):
    from django.utils import translation

    with translation.override("es"), pytest.raises(ValidationError) as exc:
        AmountField(currency="BOB").clean(text)
    assert message in " ".join(exc.value.messages)


@pytest.mark.django_db
def test_a_bob_transfer_refuses_dollars():
    from transfers.forms import DataForm

    form = DataForm(
        data={"currency": "BOB", "amount": "$us 5", "description": "Pago"},
        currencies=["BOB", "USD"],
    )
    assert not form.is_valid()
    assert "amount" in form.errors
    ok = DataForm(
        data={"currency": "USD", "amount": "$us 5", "description": "Pago"},
        currencies=["BOB", "USD"],
    )
    assert ok.is_valid(), ok.errors
    assert ok.cleaned_data["amount"] == Decimal("5.00")


# Digits other than 0-9 ("١٢٣" Arabic-Indic, "१२३" Devanagari, "１２３" fullwidth): Python's
# \d and str.isdigit() take them, so document numbers, phones, account numbers and amounts
# could be stored or sent in digits no clerk, bank or SMS gateway reads. Only 0-9 pass; NFKC
# already folds fullwidth digits, which therefore stay accepted.
FOREIGN_DIGITS = st.sampled_from(["\u0660", "\u0966", "\u09e6", "\u0e50", "\u1040"])


@given(zero=FOREIGN_DIGITS)
@settings(max_examples=25)
def test_only_ascii_digits_are_read_as_numbers(zero):
    from accounts.registration.forms import CI_RE, MOBILE_RE
    from beneficiaries.rules import member_account_number_clean, other_bank_number_clean

    def foreign(ascii_digits: str) -> str:
        base = ord(zero)
        return "".join(chr(base + int(d)) for d in ascii_digits)

    with pytest.raises(AmountParseError):
        parse_money(foreign("100"))
    assert CI_RE.match(foreign("4567890")) is None
    assert MOBILE_RE.match("7" + foreign("1234567")) is None
    with pytest.raises(ValidationError):
        member_account_number_clean(foreign("1011000136"))
    with pytest.raises(ValidationError):
        other_bank_number_clean(foreign("1234567890"), "BNB")
    # The same numbers in 0-9 pass, and fullwidth digits are folded by NFKC first.
    assert parse_money("100") == parse_money("\uff11\uff10\uff10") == Decimal("100.00")
    assert member_account_number_clean("1011000136") == "1011000136"
