import pytest

# Importing the fixtures registers them for this package only (pytest refuses ``pytest_plugins``
# outside the top-level conftest when the whole suite runs).
from tests.browser_fixtures import browser, page  # noqa: F401
from tests.factories import make_account, make_member, make_user

# The PIN the signing step accepts. beneficiaries.signing is a shape-only placeholder until the
# PIN component is wired in; then this becomes the test member's real PIN.
SIGN_PIN = "1234"


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
