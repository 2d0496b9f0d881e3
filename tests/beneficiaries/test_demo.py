"""The demo loader registers mperez's third-party products once."""

import pytest

from accounts.models import User
from audit.models import AuditEvent
from beneficiaries.models import ThirdPartyProduct
from demo.data import demo_load

pytestmark = pytest.mark.django_db


def test_demo_products_for_mperez_are_idempotent():
    demo_load()
    demo_load()
    owner = User.objects.get(username="mperez").member
    products = {p.alias: p for p in ThirdPartyProduct.objects.filter(owner=owner)}
    assert set(products) == {"Juan Carlos", "Sara"}
    assert products["Juan Carlos"].account.number == "1011000245"
    assert products["Juan Carlos"].holder_name == "Juan C*** G*** M***"
    sara = products["Sara"]
    assert (sara.bank.code, sara.holder_name, sara.number) == (
        "BUN",
        "Consultora Silvia",
        "0100123456",
    )
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 2
