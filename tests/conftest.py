"""Shared fixtures. Tests run on the PostgreSQL that ``make test`` starts (settings.test)."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# database calls made from that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Shared fixtures are registered here, once: a session fixture imported into two package
# conftests would start two Playwright drivers (or two Celery workers).
pytest_plugins = ["tests.browser_fixtures", "tests.integration_fixtures"]

from tests.factories import (  # noqa: E402
    make_account,
    make_member,
    make_user,
)


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _fresh_registration_window(settings):
    """Every test starts with a fresh registration rate-limit window for the test client's
    address: the window lives in the shared cache (audit.ratelimit), which no database
    rollback clears, so without this a full run's earlier registrations answer a later
    test with 429."""
    from accounts.registration.ratelimit import rate_limit_reset

    for scope in settings.REGISTRATION_RATE_LIMITS:
        rate_limit_reset(scope=scope, ip="127.0.0.1")


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table afterwards, migration data included; put the
    reference rows (internal accounts, rates, banks) back before each such test."""
    if _uses_transactional_db(request):
        request.getfixturevalue("transactional_db")
        from beneficiaries.models import Bank
        from beneficiaries.seed import seed_banks
        from ledger.models import Account, ExchangeRate
        from ledger.seed import seed_ledger_reference
        from transfers.models import DailyLimit, FeeBand
        from transfers.seed import seed_transfer_reference

        seed_ledger_reference(Account, ExchangeRate)
        seed_banks(Bank)
        seed_transfer_reference(FeeBand, DailyLimit)


@pytest.fixture
def member(db):
    return make_member()


@pytest.fixture
def member_user(db, member):
    return make_user(member=member, username="socio1", password="Cancionero45")


@pytest.fixture
def bob_account(db, member):
    return make_account(member=member, currency="BOB")


@pytest.fixture
def logged_client(client, member_user):
    client.force_login(member_user)
    return client


@pytest.fixture
def staff_user(db):
    """A branch clerk in the "Auxiliar de Atención al Socio" group, as the demo loader makes."""
    from django.contrib.auth.models import Group, Permission

    from demo.data import STAFF_GROUP, STAFF_PERMISSIONS

    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    for app_label, codename in STAFF_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    user = make_user(username="clerk", password="Auxiliar2026", is_staff=True)
    user.groups.add(group)
    return user


def admin_force_login(client, user):
    """Log ``user`` into the OTP-protected admin: force_login plus a verified TOTP device in
    the session, as django_otp.login does after a correct code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="clerk", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(client, staff_user):
    """A client logged into the Django admin as the branch clerk.

    Admin tests use this fixture (or :func:`admin_force_login` for other staff users) so that
    tightening admin access is done in one place.
    """
    return admin_force_login(client, staff_user)
