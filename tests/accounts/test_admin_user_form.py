"""Users are edited by a superuser only. A clerk sees them read-only and works with the two
unlock actions: with the change permission he could link his own user to a member's accounts,
set anyone's password, or make himself a superuser."""

import pytest
from django.urls import reverse

from accounts.models import Member
from tests.conftest import admin_force_login
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db


def _change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_clerk_sees_users_read_only_and_cannot_change_them(staff_client, staff_user):
    victim = make_user(member=make_member(), username="socio9", email="socio9@example.com")
    page = staff_client.get(_change_url(victim))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    # Link his own user to the member's accounts, promote himself, or deactivate someone.
    for target, data in (
        (staff_user, {"username": staff_user.username, "member": victim.member_id}),
        (staff_user, {"username": staff_user.username, "is_superuser": "on", "is_staff": "on"}),
        (victim, {"username": "socio9", "email": "attacker@example.com"}),
    ):
        response = staff_client.post(_change_url(target), data)
        assert response.status_code == 403
    staff_user.refresh_from_db()
    victim.refresh_from_db()
    assert staff_user.member_id is None and not staff_user.is_superuser
    assert victim.email == "socio9@example.com"
    assert Member.objects.filter(user=victim).exists()


def test_clerk_cannot_set_a_password(staff_client):
    victim = make_user(username="socio7", password="Original2026")
    url = reverse("admin:auth_user_password_change", args=[victim.pk])
    assert staff_client.get(url).status_code == 403
    response = staff_client.post(url, {"password1": "Tomada2026!x", "password2": "Tomada2026!x"})
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.check_password("Original2026")


def test_clerk_keeps_the_unlock_actions(staff_client):
    page = staff_client.get(reverse("admin:accounts_user_changelist"))
    assert page.status_code == 200
    actions = dict(page.context["action_form"].fields["action"].choices)
    assert {"unlock_users", "unlock_signing"} <= set(actions)
    assert "delete_selected" not in actions


def test_superuser_still_edits_and_grants(client):
    boss = make_user(username="jefa", is_staff=True, is_superuser=True)
    admin_force_login(client, boss)
    form = client.get(_change_url(make_user(username="socio8"))).context["adminform"].form
    assert {"is_staff", "is_superuser", "groups", "user_permissions", "member"} <= set(form.fields)
