"""A clerk who may change users (to unlock them) cannot grant staff, superuser, groups or
permissions through the admin's user form; a superuser still can."""

import pytest
from django.urls import reverse

from tests.conftest import admin_force_login
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_clerk_user_form_has_no_granting_fields_and_ignores_them(staff_client, staff_user):
    member_user = make_user(username="socio9", email="socio9@example.com")
    page = staff_client.get(_change_url(member_user))
    assert page.status_code == 200
    form = page.context["adminform"].form
    for name in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert name not in form.fields
    assert "is_active" in form.fields
    # Read-only records, not inputs.
    assert "last_login" not in form.fields and "date_joined" not in form.fields

    data = {
        "username": "socio9",
        "first_name": "",
        "last_name": "",
        "email": "socio9@example.com",
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "member": "",
    }
    for target in (member_user, staff_user):
        data["username"] = target.username
        data["email"] = target.email
        response = staff_client.post(_change_url(target), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
        target.refresh_from_db()
        assert target.is_superuser is False
    member_user.refresh_from_db()
    assert member_user.is_staff is False


def test_superuser_still_grants_staff(client):
    boss = make_user(username="jefa", is_staff=True, is_superuser=True)
    admin_force_login(client, boss)
    form = client.get(_change_url(make_user(username="socio8"))).context["adminform"].form
    assert {"is_staff", "is_superuser", "groups", "user_permissions"} <= set(form.fields)
