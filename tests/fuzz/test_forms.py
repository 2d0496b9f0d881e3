"""Bad input through the test client, Hypothesis-generated: every form and view that takes
input answers below 500 and never raises (the test client re-raises any unhandled exception).

Each strategy mixes plausible values (so examples get past the first check and reach the
deeper rules) with arbitrary text: NUL bytes, huge numbers, exponents, other scripts.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.services.pin import pin_set
from tests.factories import make_account, make_member, make_user
from tests.loans.helpers import make_loan

pytestmark = pytest.mark.django_db

NUMBERS = st.one_of(
    st.sampled_from(
        ["", "0", "-1", "1,00", "1.000,50", "10,005", "1e9", "1E-7", "NaN", "Infinity", "9" * 40,
         "0,01", "10.00", "100", "  5 ", "5,5,5", "٣", "1_000"]
    ),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "a" * 5000]),
)
EMAIL = st.one_of(st.emails().map(str), TEXT)
CHOICE = lambda *values: st.one_of(st.sampled_from(values), TEXT)  # noqa: E731
PIN = "4826"


def _ok(response) -> None:
    assert response.status_code < 500


@pytest.fixture
def member_client(client):
    member = make_member()
    user = make_user(member=member)
    pin_set(user=user, pin=PIN, notify=False)
    client.force_login(user)
    client.member = member
    client.user = user
    return client


@given(username=TEXT, password=TEXT)
def test_login(client, username, password):
    _ok(client.post("/ingresar/", {"username": username, "password": password}))


REGISTRATION = "/registro/"
PERSON_FIELDS = {
    "first_names": CHOICE("Silvia"),
    "last_names": CHOICE("Ferrufino Fernández"),
    "document_number": CHOICE("3344556", "12345678901234567890"),
    "document_issued_in": CHOICE("LP", "SC", "XX"),
    "birth_date": CHOICE("1988-03-21", "2030-01-01", "1800-01-01", "21/03/1988", "0000-00-00"),
    "email": EMAIL,
    "phone": CHOICE("70011223", "+591 70011223"),
    "address": TEXT,
    "username": CHOICE("sferrufino", "admin", ""),
}
COMPANY_FIELDS = {
    "business_name": TEXT,
    "document_number": CHOICE("1029384756"),
    "legal_representative": TEXT,
    "legal_representative_ci": CHOICE("6677889"),
    "email": EMAIL,
    "phone": CHOICE("22334455"),
    "username": CHOICE("tillimani"),
}


def _registration_post(client, step: str, fields: dict):
    data = {"registration_wizard-current_step": step}
    data.update({f"{step}-{k}": v for k, v in fields.items()})
    return client.post(REGISTRATION, data)


@given(
    kind=CHOICE("person", "company"),
    step=CHOICE("kind", "terms", "person", "company", "review"),
    person=st.fixed_dictionaries(PERSON_FIELDS),
    company=st.fixed_dictionaries(COMPANY_FIELDS),
    captcha=CHOICE("on", ""),
)
def test_registration_steps(client, kind, step, person, company, captcha):
    _ok(client.get(REGISTRATION))
    _ok(_registration_post(client, "kind", {"kind": kind}))
    _ok(_registration_post(client, "terms", {"accept": "on"}))
    fields = {"kind": {"kind": kind}, "terms": {"accept": captcha}, "person": person,
              "company": company, "review": {"captcha": captcha}}.get(step, person)  # fmt: skip
    _ok(_registration_post(client, step, fields))
    if step in ("person", "company"):
        _ok(_registration_post(client, "review", {"captcha": captcha}))


WIZARD = "/transferencias/entre-mis-cuentas/"


def _wizard_post(client, step: str, fields: dict, **extra):
    data = {"transfer_own-current_step": step}
    data.update({f"{step}-{k}": v for k, v in fields.items()})
    data.update(extra)
    return client.post(WIZARD, data)


@pytest.fixture
def wizard_at_data_step(member_client):
    source = make_account(member=member_client.member, balance="1000")
    destination = make_account(member=member_client.member, currency="USD")
    member_client.get(WIZARD)
    _wizard_post(member_client, "source", {"transfer_type": "own", "source_account": source.pk})
    response = _wizard_post(member_client, "destination", {"destination_account": destination.pk})
    assert "Paso 3 de 4" in response.content.decode()
    return member_client


@given(
    currency=CHOICE("BOB", "USD", "EUR"),
    amount=NUMBERS,
    description=TEXT,
    notify_email=EMAIL,
    funds_origin=TEXT,
    funds_destination=TEXT,
    pin=CHOICE(PIN, "0000", ""),
    key=CHOICE("", "0" * 32),
)
def test_transfer_wizard_data_and_signature(
    wizard_at_data_step, currency, amount, description, notify_email, funds_origin,
    funds_destination, pin, key,
):  # fmt: skip
    client = wizard_at_data_step
    response = _wizard_post(
        client,
        "data",
        {"currency": currency, "amount": amount, "description": description,
         "notify_email": notify_email, "funds_origin": funds_origin,
         "funds_destination": funds_destination},
    )  # fmt: skip
    _ok(response)
    if response.status_code == 200 and response.context and "idempotency_key" in response.context:
        signed_key = response.context["idempotency_key"] if key == "" else key
        _ok(_wizard_post(client, "confirm", {"pin": pin}, idempotency_key=signed_key))


BENEFICIARIES = "/administracion/productos-de-terceros/"


@given(
    kind=CHOICE("member", "other_bank"),
    product_type=CHOICE("savings", "checking"),
    currency=CHOICE("BOB", "USD"),
    number=CHOICE("1000000001", "0" * 32),
    holder_name=TEXT,
    document_type=CHOICE("CI", "NIT"),
    document_number=TEXT,
    bank=CHOICE("1", "2", "999999", "-1"),
    alias=TEXT,
    email=EMAIL,
    pin=CHOICE(PIN, ""),
)
def test_beneficiary_add_and_sign(
    member_client, kind, product_type, currency, number, holder_name, document_type,
    document_number, bank, alias, email, pin,
):  # fmt: skip
    client = member_client
    _ok(client.post(f"{BENEFICIARIES}agregar/", {"kind": kind}))
    common = {"product_type": product_type, "number": number, "alias": alias, "email": email}
    _ok(client.post(f"{BENEFICIARIES}agregar/socio/", common))
    _ok(client.get(f"{BENEFICIARIES}agregar/socio/buscar/", {"number": number}))
    _ok(
        client.post(
            f"{BENEFICIARIES}agregar/otro-banco/",
            {
                **common,
                "currency": currency,
                "holder_name": holder_name,
                "document_type": document_type,
                "document_number": document_number,
                "bank": bank,
            },
        )  # fmt: skip
    )
    _ok(client.post(f"{BENEFICIARIES}agregar/firma/", {"pin": pin}))


@pytest.fixture
def loan_client(member_client):
    account = make_account(member=member_client.member, balance="50000")
    member_client.loan = make_loan(member=member_client.member, account=account)
    member_client.account = account
    return member_client


@given(
    kind=CHOICE("instalments", "amount", "payoff"),
    instalments=st.lists(st.one_of(st.integers(-5, 10**12).map(str), TEXT), max_size=4),
    amount=NUMBERS,
    source=st.one_of(st.just("own"), st.integers(-5, 10**12).map(str), TEXT),
    pin=CHOICE(PIN, "1111", ""),
)
def test_loan_pay_and_confirm(loan_client, kind, instalments, amount, source, pin):
    client = loan_client
    url = f"/prestamos/{client.loan.pk}/pagar/"
    source_account = client.account.pk if source == "own" else source
    response = client.post(
        url,
        {"kind": kind, "instalments": instalments, "amount": amount,
         "source_account": source_account},
    )  # fmt: skip
    _ok(response)
    if response.status_code == 302 and "confirmar" in response["Location"]:
        _ok(client.post(response["Location"], {"pin": pin}))


def test_the_loan_strategy_reaches_the_confirmation(loan_client):
    """The control for the loan fuzz: a valid example does get to "confirmar", so the fuzz
    exercises the confirmation and not only the first form."""
    response = loan_client.post(
        f"/prestamos/{loan_client.loan.pk}/pagar/",
        {"kind": "amount", "amount": "10.00", "source_account": loan_client.account.pk},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert "confirmar" in response["Location"]
