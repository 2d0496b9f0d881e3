"""CSRF: every URL of the project refuses a POST without a token (403) and changes nothing.

The URL list comes from the resolver, so a view added later is covered without editing this.
"""

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.factories import make_account, make_member, make_user

from .urls import routes

pytestmark = pytest.mark.django_db

ROUTES = list(routes())


def test_the_route_list_is_the_whole_project():
    names = {route.name for route in ROUTES}
    # A sample across every app and the admin: the walk did not stop early.
    for name in (
        "accounts:login",
        "transfers:own",
        "beneficiaries:edit",
        "loans:pay",
        "ledger:dashboard",
        "admin:index",
    ):
        assert name in names
    assert len(ROUTES) > 100


def test_no_view_is_csrf_exempt():
    exempt = [r.name for r in ROUTES if getattr(r.callback, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.parametrize("logged_in", [True, False], ids=["member", "anonymous"])
def test_every_post_without_a_token_is_refused(logged_in):
    client = Client(enforce_csrf_checks=True)
    if logged_in:
        member = make_member()
        make_account(member=member, balance="100")
        client.force_login(make_user(member=member))
    audit_before = AuditEvent.objects.count()
    accepted = []
    for route in ROUTES:
        response = client.post(route.url(), {"amount": "1", "pin": "4826", "username": "x"})
        if response.status_code != 403:
            accepted.append((route.name, response.status_code))
    assert accepted == []
    assert AuditEvent.objects.count() == audit_before


def test_the_same_post_with_a_token_gets_past_csrf():
    """The control: with the token, the login POST is processed (not 403), so the 403s above
    are the CSRF check and not something else refusing every POST."""
    csrf_client = Client(enforce_csrf_checks=True)
    page = csrf_client.get("/ingresar/")
    token = page.context["csrf_token"]
    response = csrf_client.post(
        "/ingresar/", {"csrfmiddlewaretoken": str(token), "username": "x", "password": "y"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors  # the form ran and refused the password
