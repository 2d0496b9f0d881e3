"""Registering, changing and deleting third-party products: rules, audit rows and emails."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEvent
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.models import Account
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_beneficiary_delete,
    signed_beneficiary_register_member,
    signed_beneficiary_register_other_bank,
    signed_beneficiary_update,
)

pytestmark = pytest.mark.django_db


def _other_bank(owner, bank, **overrides):
    fields = {
        "owner": owner,
        "actor": None,
        "bank_id": bank.pk,
        "product_type": "checking",
        "currency": "BOB",
        "number": "0100123456",
        "holder_name": "Consultora Silvia",
        "document_type": "NIT",
        "document_number": "1023456027",
        "alias": "Sara",
        "email": "",
    }
    fields.update(overrides)
    return signed_beneficiary_register_other_bank(**fields)


def _counts():
    return (
        ThirdPartyProduct.objects.count(),
        # The signature's own audit row is written before the service runs.
        AuditEvent.objects.exclude(event="signature.verified").count(),
        OutboxMessage.objects.count(),
    )


def test_register_member_account_stores_masked_name_audit_and_email(
    member, member_user, silvia_account
):
    product = signed_beneficiary_register_member(
        owner=member,
        actor=member_user,
        number=silvia_account.number,
        alias="Silvia",
        email="silvia@example.com",
        ip_address="10.0.0.7",
    )
    assert product.kind == "member"
    assert product.account == silvia_account
    assert product.holder_name == "Silvia F*** F***"
    assert product.currency == "BOB"
    assert product.bank is None
    event = AuditEvent.objects.get(event="beneficiary.registered")
    assert event.actor == member_user
    assert event.subject == f"beneficiaries.thirdpartyproduct:{product.pk}"
    assert event.ip_address == "10.0.0.7"
    # The audit trail never keeps another member's full account number.
    assert event.new["number"] == silvia_account.masked_number
    assert silvia_account.number not in str(event.new)
    mail = OutboxMessage.objects.get()
    assert mail.recipient == member.email
    assert mail.subject == "ProgresoNet: producto de terceros registrado"
    assert "Silvia F*** F***" in mail.body_text
    assert "Ferrufino" not in mail.body_text


def test_register_other_bank_keeps_leading_zeros(member, bank_union):
    product = _other_bank(member, bank_union, number="0100-123 456")
    assert product.number == "0100123456"
    assert product.bank == bank_union
    assert product.masked_number == "X000X-456"
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 1
    assert OutboxMessage.objects.count() == 1


def test_member_without_email_gets_audit_but_no_email(bank_union):
    owner = make_member(email="")
    _other_bank(owner, bank_union)
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 1
    assert OutboxMessage.objects.count() == 0


def test_cannot_register_own_account(member, bob_account):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        signed_beneficiary_register_member(
            owner=member, actor=None, number=bob_account.number, alias="Mía"
        )
    assert "suya" in exc.value.message_dict["number"][0]
    assert _counts() == before


def test_cannot_register_an_account_held_jointly(member, silvia):
    shared = make_account(member=silvia, co_holders=(member,))
    with pytest.raises(ValidationError) as exc:
        signed_beneficiary_register_member(
            owner=member, actor=None, number=shared.number, alias="Compartida"
        )
    assert "suya" in exc.value.message_dict["number"][0]


@pytest.mark.parametrize("status", [Account.Status.CLOSED, Account.Status.BLOCKED])
def test_closed_or_blocked_account_answers_like_an_unknown_number(member, silvia, status):
    account = make_account(member=silvia)
    Account.objects.filter(pk=account.pk).update(status=status)
    messages = []
    for number in (account.number, "1999999999"):
        with pytest.raises(ValidationError) as exc:
            signed_beneficiary_register_member(owner=member, actor=None, number=number, alias="X")
        messages.append(exc.value.message_dict)
    assert messages[0] == messages[1]
    assert ThirdPartyProduct.objects.count() == 0


def test_checking_and_internal_accounts_answer_like_a_miss(member, silvia):
    checking = make_account(member=silvia, product_type=Account.ProductType.CHECKING)
    # An internal account whose number has the member-account shape, to reach the lookup.
    internal = Account.objects.create(
        number="1000000001",
        kind=Account.Kind.INTERNAL,
        product_type=Account.ProductType.INTERNAL,
        currency="BOB",
        code="TEST",
    )
    answers = []
    for number in ("1999999999", checking.number, internal.number):
        with pytest.raises(ValidationError) as exc:
            signed_beneficiary_register_member(owner=member, actor=None, number=number, alias="X")
        answers.append(exc.value.message_dict)
    assert answers[0] == answers[1] == answers[2]
    assert ThirdPartyProduct.objects.count() == 0


def test_no_duplicate_member_account(member, silvia_account):
    signed_beneficiary_register_member(
        owner=member, actor=None, number=silvia_account.number, alias="Silvia"
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        signed_beneficiary_register_member(
            owner=member, actor=None, number=silvia_account.number, alias="Otra"
        )
    assert exc.value.message_dict["number"] == ["Ya registró este producto."]
    assert _counts() == before


def test_no_duplicate_bank_and_number(member, bank_union):
    _other_bank(member, bank_union)
    with pytest.raises(ValidationError) as exc:
        _other_bank(member, bank_union, alias="Otra", product_type="savings")
    assert "number" in exc.value.message_dict
    # The same number at another bank is another product.
    _other_bank(member, Bank.objects.get(code="BISA"), alias="Otra")
    assert ThirdPartyProduct.objects.count() == 2


def test_alias_unique_per_member_ignoring_case(member, bank_union, silvia_account):
    _other_bank(member, bank_union, alias="Sara")
    with pytest.raises(ValidationError) as exc:
        signed_beneficiary_register_member(
            owner=member, actor=None, number=silvia_account.number, alias="  SARA "
        )
    assert exc.value.message_dict["alias"] == ["Ya usa este alias para otro producto."]
    # Another member may use the same alias.
    _other_bank(make_member(), bank_union, alias="Sara")


def test_database_enforces_alias_uniqueness(member, bank_union):
    from django.db import IntegrityError, transaction

    _other_bank(member, bank_union, alias="Sara")
    with pytest.raises(IntegrityError), transaction.atomic():
        ThirdPartyProduct.objects.create(
            owner=member,
            kind="other_bank",
            bank=Bank.objects.get(code="BNB"),
            product_type="savings",
            currency="BOB",
            number="1234567890",
            holder_name="Otra Persona",
            document_type="CI",
            document_number="1234567",
            alias="sara",
        )


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"number": "12AB"}, "number"),
        ({"number": "010012345"}, "number"),  # Banco Unión: 10 to 13 digits
        ({"document_type": "CI", "document_number": "12"}, "document_number"),
        ({"document_type": "NIT", "document_number": "ABC"}, "document_number"),
        ({"document_type": "PAS", "document_number": "1234567"}, "document_type"),
        ({"holder_name": "!!"}, "holder_name"),
        ({"alias": ""}, "alias"),
        ({"email": "not-an-email"}, "email"),
        ({"currency": "EUR"}, "currency"),
        ({"product_type": "loan"}, "product_type"),
        ({"bank_id": 999999}, "bank"),
    ],
)
def test_other_bank_bad_input_changes_nothing(member, bank_union, override, field):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _other_bank(member, bank_union, **override)
    assert field in exc.value.message_dict
    assert _counts() == before


def test_inactive_bank_is_not_in_the_list(member):
    bank = Bank.objects.get(code="BNA")
    Bank.objects.filter(pk=bank.pk).update(is_active=False)
    with pytest.raises(ValidationError) as exc:
        _other_bank(member, bank, number="1234567890")
    assert exc.value.message_dict["bank"] == ["Elija un banco de la lista."]


def test_idempotency_key_makes_one_record(member, bank_union):
    first = _other_bank(member, bank_union, idempotency_key="k" * 32)
    again = _other_bank(member, bank_union, idempotency_key="k" * 32)
    assert again.pk == first.pk
    assert _counts() == (1, 1, 1)


def test_idempotency_key_of_another_member_is_refused(member, bank_union):
    _other_bank(make_member(), bank_union, idempotency_key="k" * 32)
    with pytest.raises(ValidationError):
        _other_bank(member, bank_union, idempotency_key="k" * 32)
    assert ThirdPartyProduct.objects.filter(owner=member).count() == 0


def test_update_alias_and_email_audited_and_emailed(member, member_user, bank_union):
    product = _other_bank(member, bank_union)
    signed_beneficiary_update(
        product=product, actor=member_user, alias="Silvia consultora", email="a@example.com"
    )
    product.refresh_from_db()
    assert (product.alias, product.email) == ("Silvia consultora", "a@example.com")
    event = AuditEvent.objects.get(event="beneficiary.updated")
    assert event.old == {"alias": "Sara", "email": ""}
    assert event.new == {"alias": "Silvia consultora", "email": "a@example.com"}
    assert OutboxMessage.objects.filter(subject__contains="modificado").count() == 1


def test_update_to_an_alias_in_use_changes_nothing(member, bank_union):
    _other_bank(member, bank_union, alias="Sara")
    other = _other_bank(member, bank_union, alias="Pepe", number="0100999999")
    before = _counts()
    with pytest.raises(ValidationError):
        signed_beneficiary_update(product=other, actor=None, alias="sara")
    other.refresh_from_db()
    assert other.alias == "Pepe"
    assert _counts() == before


def test_unchanged_update_writes_nothing(member, bank_union):
    product = _other_bank(member, bank_union)
    before = _counts()
    signed_beneficiary_update(product=product, actor=None, alias="Sara", email="")
    assert _counts() == before


def test_delete_is_soft_audited_emailed_and_frees_the_product(member, bank_union):
    product = _other_bank(member, bank_union)
    signed_beneficiary_delete(product=product, actor=None)
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert AuditEvent.objects.filter(event="beneficiary.deleted").count() == 1
    assert OutboxMessage.objects.filter(subject__contains="eliminado").count() == 1
    # Deleting twice records once.
    signed_beneficiary_delete(product=product, actor=None)
    assert AuditEvent.objects.filter(event="beneficiary.deleted").count() == 1
    # The same bank, number and alias can be registered again, as a new row.
    again = _other_bank(member, bank_union)
    assert again.pk != product.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_makes_one_record(bank_union):
    owner = make_member()
    make_user(member=owner)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def submit():
        try:
            barrier.wait()
            results.append(_other_bank(owner, bank_union, idempotency_key="same-key").pk)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1
    assert ThirdPartyProduct.objects.count() == 1
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 1
    assert OutboxMessage.objects.count() == 1
