import pytest

from tests.factories import make_account, make_member, make_user

# The logged-in test member's transaction PIN (accounts.signing verifies it).
SIGN_PIN = "4826"


@pytest.fixture(autouse=True)
def _member_pin(request):
    """Give the logged-in member a real PIN so the "Firma" step can be signed."""
    if {"logged_client", "member_user"} & set(request.fixturenames):
        from accounts.services.pin import pin_set

        pin_set(user=request.getfixturevalue("member_user"), pin=SIGN_PIN, notify=False)


@pytest.fixture
def silvia(db):
    """Another member of the cooperative, with an open savings account in bolivianos."""
    return make_member(first_names="Silvia", last_names="Ferrufino Fernández")


@pytest.fixture
def silvia_account(silvia):
    return make_account(member=silvia, currency="BOB")


@pytest.fixture
def bank_union(db):
    from beneficiaries.models import Bank

    return Bank.objects.get(code="BUN")


@pytest.fixture
def intruder_client(client, db):
    """A second logged-in member, to prove one member cannot reach another's products."""
    from django.test import Client

    other = make_user(member=make_member(), username="intruso", password="Cancionero45")
    intruder = Client()
    intruder.force_login(other)
    return intruder
