"""QR codes in the admin: clerks with the view permission read them, nobody writes them."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests.conftest import admin_force_login
from tests.factories import make_user
from transfers.qr.models import QrCode

from .helpers import code_for, member_with_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes():
    user, account = member_with_account("Rosa")
    fixed = code_for(user, account, amount="1234.50", reference="Almuerzo")
    open_amount = code_for(user, account, amount=None, reference="Cuota")
    return fixed, open_amount


def test_clerk_reads_the_list_and_a_code(staff_client, codes):
    fixed, open_amount = codes
    response = staff_client.get(reverse("admin:transfers_qrcode_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<span class="money">Bs 1.234,50</span>' in html  # the project's money formatter
    assert "Cualquier monto" in html
    assert fixed.account.number in html and "Quispe" in html
    assert fixed.token not in html  # a live code's token is not shown
    searched = staff_client.get(
        reverse("admin:transfers_qrcode_changelist"),
        {"q": fixed.account.number, "status": "active"},
    )
    assert searched.status_code == 200 and "Bs 1.234,50" in searched.content.decode()
    page = staff_client.get(reverse("admin:transfers_qrcode_change", args=[fixed.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Almuerzo" in html and "Bs 1.234,50" in html
    assert fixed.token not in html and fixed.payload not in html
    assert 'name="_save"' not in html


def test_nobody_adds_or_deletes_a_code(staff_client, codes):
    fixed, _ = codes
    assert staff_client.get(reverse("admin:transfers_qrcode_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:transfers_qrcode_delete", args=[fixed.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert QrCode.objects.filter(pk=fixed.pk).exists()
    request = RequestFactory().get("/")
    request.user = make_user(username="raiz", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[QrCode]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, fixed)
    assert not model_admin.has_delete_permission(request, fixed)


def test_staff_without_the_view_permission_sees_nothing(client, codes):
    admin_force_login(client, make_user(username="otro.staff", is_staff=True))
    assert client.get(reverse("admin:transfers_qrcode_changelist")).status_code == 403
