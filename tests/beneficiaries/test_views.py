"""The "Producto de terceros" pages without JavaScript: wizard, edit, delete, isolation."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from beneficiaries.models import Bank, ThirdPartyProduct
from outbox.models import OutboxMessage
from tests.beneficiaries.conftest import SIGN_PIN
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_beneficiary_register_member,
    signed_beneficiary_register_other_bank,
)

pytestmark = pytest.mark.django_db

LIST = reverse("beneficiaries:list")
ADD = reverse("beneficiaries:add")
ADD_MEMBER = reverse("beneficiaries:add_member")
ADD_OTHER = reverse("beneficiaries:add_other_bank")
LOOKUP = reverse("beneficiaries:lookup")
SIGN = reverse("beneficiaries:sign")


def _other_bank_post(chosen_bank, **overrides):
    data = {
        "product_type": "checking",
        "currency": "BOB",
        "number": "0100123456",
        "holder_name": "Consultora Silvia",
        "document_type": "NIT",
        "document_number": "1023456027",
        "bank": str(chosen_bank.pk),
        "email": "pagos@example.com",
        "alias": "Sara",
        "action": "next",
    }
    data.update(overrides)
    return data


def _member_post(number):
    """The member path's "Siguiente" for ``number`` (a savings account, alias "Silvia")."""
    return {
        "product_type": "savings",
        "number": number,
        "alias": "Silvia",
        "email": "",
        "action": "next",
    }


def _key(client):
    return client.session["beneficiary_wizard"]["key"]


def _register_other_bank(owner, bank, **overrides):
    fields = {
        "owner": owner,
        "actor": None,
        "bank_id": bank.pk,
        "product_type": "savings",
        "currency": "BOB",
        "number": "0100123456",
        "holder_name": "Consultora Silvia",
        "document_type": "NIT",
        "document_number": "1023456027",
        "alias": "Sara",
    }
    fields.update(overrides)
    return signed_beneficiary_register_other_bank(**fields)


def test_menu_links_the_list(logged_client):
    response = logged_client.get(reverse("ledger:dashboard"))
    assert f'href="{LIST}"' in response.content.decode()


def test_kind_step_routes_to_each_path(logged_client):
    page = logged_client.get(ADD).content.decode()
    assert "Tipo de transacción" in page
    assert "a cuenta de terceros" in page and "a otros bancos" in page
    assert logged_client.post(ADD, {"kind": "member"}).url == ADD_MEMBER
    assert logged_client.post(ADD, {"kind": "other_bank"}).url == ADD_OTHER
    response = logged_client.post(ADD, {"kind": "loans"})
    assert response.status_code == 200
    assert "Escoja una opción válida" in response.content.decode()


def test_member_path_without_javascript(logged_client, member, silvia_account):
    response = logged_client.post(
        ADD_MEMBER,
        {"product_type": "savings", "number": silvia_account.number, "action": "lookup"},
    )
    page = response.content.decode()
    assert "Titular de la cuenta: Silvia F*** F***" in page
    assert "Ferrufino" not in page
    response = logged_client.post(
        ADD_MEMBER,
        _member_post(silvia_account.number),
    )
    assert response.url == SIGN
    page = logged_client.get(SIGN).content.decode()
    assert "Firma" in page and "Silvia F*** F***" in page
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)})
    assert response.url == LIST
    product = ThirdPartyProduct.objects.get(owner=member)
    assert product.account == silvia_account
    # "Siguiente" reused the "Buscar" result: one lookup audited, not two.
    assert AuditEvent.objects.filter(event="beneficiary.lookup").count() == 1
    assert "beneficiary_wizard" not in logged_client.session


def test_member_path_next_without_search_still_looks_up(logged_client, silvia_account):
    response = logged_client.post(
        ADD_MEMBER,
        {"product_type": "savings", "number": "1999999999", "alias": "X", "action": "next"},
    )
    assert response.status_code == 200
    assert "No hay una cuenta de ahorros con ese número" in response.content.decode()
    assert AuditEvent.objects.filter(event="beneficiary.lookup").count() == 1


def test_unknown_number_page_equals_closed_account_page(logged_client, silvia):
    from ledger.models import Account
    from tests.factories import make_account

    closed = make_account(member=silvia)
    Account.objects.filter(pk=closed.pk).update(status=Account.Status.CLOSED)

    def result_text(number):
        page = logged_client.post(
            ADD_MEMBER, {"product_type": "savings", "number": number, "action": "lookup"}
        ).content.decode()
        return page.split('id="lookup-result"')[1].split("</p>")[0]

    assert result_text(closed.number) == result_text("1999999999")


@pytest.mark.parametrize("number", ["", "12", "ABCDEFGHIJ", "10110001366"])
def test_member_path_malformed_number(logged_client, number):
    response = logged_client.post(
        ADD_MEMBER, {"product_type": "savings", "number": number, "action": "lookup"}
    )
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    # A malformed number is refused before any lookup is counted.
    assert not AuditEvent.objects.filter(event__startswith="beneficiary.").exists()


def test_lookup_json(logged_client, silvia_account):
    response = logged_client.post(LOOKUP, {"number": silvia_account.number})
    assert response.json() == {
        "found": True,
        "name": "Silvia F*** F***",
        "message": "Titular de la cuenta: Silvia F*** F***",
    }
    miss = logged_client.post(LOOKUP, {"number": "1999999999"})
    assert miss.status_code == 200
    assert miss.json()["found"] is False
    bad = logged_client.post(LOOKUP, {"number": "12"})
    assert bad.status_code == 400
    assert "10 dígitos" in bad.json()["message"]
    assert logged_client.get(LOOKUP).status_code == 405


def test_lookup_rate_limit_through_the_page(logged_client, silvia_account):
    for _ in range(10):
        assert logged_client.post(LOOKUP, {"number": silvia_account.number}).status_code == 200
    refused = logged_client.post(LOOKUP, {"number": silvia_account.number})
    assert refused.status_code == 429
    assert refused.json() == {
        "found": False,
        "name": "",
        "message": "Realizó demasiadas búsquedas en poco tiempo. Espere un minuto e intente "
        "de nuevo.",
    }
    page = logged_client.post(
        ADD_MEMBER,
        {"product_type": "savings", "number": silvia_account.number, "action": "lookup"},
    ).content.decode()
    assert "Realizó demasiadas búsquedas" in page
    assert "Silvia F***" not in page


def test_other_bank_path(logged_client, member, bank_union):
    response = logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    assert response.url == SIGN
    assert "Banco Unión S.A." in logged_client.get(SIGN).content.decode()
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)})
    assert response.url == LIST
    product = ThirdPartyProduct.objects.get(owner=member)
    assert (product.bank, product.number, product.alias) == (bank_union, "0100123456", "Sara")
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 1
    assert OutboxMessage.objects.count() == 1


def test_other_bank_signing_summary_shows_every_field_it_registers(logged_client, bank_union):
    # The PIN signs the product type with the rest (the fingerprint covers it and the product
    # stores it): the summary the member reads, and the audit keeps, names it too.
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union, product_type="checking"))
    page = logged_client.get(SIGN).content.decode()
    assert "Tipo de producto" in page and "Cuenta corriente" in page
    logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)})
    signed = AuditEvent.objects.get(event="signature.verified").new["summary"]
    assert "Cuenta corriente" in str(signed)
    assert ThirdPartyProduct.objects.get().product_type == "checking"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"bank": "999999"}, "Elija un banco de la lista."),
        ({"bank": "BUN"}, "Elija un banco de la lista."),
        ({"number": "01001"}, "entre 10 y 13 dígitos"),
        ({"document_number": "12AB"}, "El NIT tiene de 7 a 13 dígitos."),
        ({"document_type": "CI", "document_number": "12"}, "carnet de identidad"),
        ({"document_type": "PAS"}, "Escoja una opción válida"),
        ({"currency": "EUR"}, "Escoja una opción válida"),
        ({"holder_name": "<b>"}, "nombre completo del beneficiario"),
        ({"email": "nope"}, "correo electrónico válido"),
        ({"alias": ""}, "obligatorio"),
    ],
)
def test_other_bank_bad_input(logged_client, bank_union, override, message):
    response = logged_client.post(ADD_OTHER, _other_bank_post(bank_union, **override))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "key" not in logged_client.session.get("beneficiary_wizard", {})


def test_inactive_bank_is_refused(logged_client):
    bank = Bank.objects.get(code="BNA")
    Bank.objects.filter(pk=bank.pk).update(is_active=False)
    response = logged_client.post(ADD_OTHER, _other_bank_post(bank, number="1234567890"))
    assert "Elija un banco de la lista." in response.content.decode()


def test_duplicate_and_alias_shown_before_signing(logged_client, member, bank_union):
    _register_other_bank(member, bank_union, alias="Sara")
    page = logged_client.post(ADD_OTHER, _other_bank_post(bank_union)).content.decode()
    assert "Ya registró este producto." in page
    page = logged_client.post(
        ADD_OTHER, _other_bank_post(bank_union, number="0100999999", alias="SARA")
    ).content.decode()
    assert "Ya usa este alias para otro producto." in page


def test_own_account_refused_in_the_wizard(logged_client, bob_account):
    page = logged_client.post(
        ADD_MEMBER,
        {"product_type": "savings", "number": bob_account.number, "action": "lookup"},
    ).content.decode()
    assert "Esta cuenta es suya" in page


def test_double_submitted_final_step_makes_one_record(logged_client, member, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    data = {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)}
    first = logged_client.post(SIGN, data)
    second = logged_client.post(SIGN, data)
    assert first.url == second.url == LIST
    assert ThirdPartyProduct.objects.filter(owner=member).count() == 1
    assert AuditEvent.objects.filter(event="beneficiary.registered").count() == 1
    assert OutboxMessage.objects.count() == 1


def test_wrong_pin_shape_writes_nothing(logged_client, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    response = logged_client.post(SIGN, {"pin": "12", "idempotency_key": _key(logged_client)})
    assert response.status_code == 200
    assert "El PIN no es correcto." in response.content.decode()
    assert ThirdPartyProduct.objects.count() == 0


def test_forged_idempotency_key_writes_nothing(logged_client, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": "forged"})
    assert response.url == ADD
    assert ThirdPartyProduct.objects.count() == 0


def test_sign_without_a_wizard_starts_again(logged_client):
    assert logged_client.get(SIGN).url == ADD
    assert logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": "x"}).url == ADD


def test_stale_wizard_is_refused_at_signing(logged_client, member, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    _register_other_bank(member, bank_union, number="0100999999", alias="Sara")
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)})
    assert response.url == ADD_OTHER
    assert ThirdPartyProduct.objects.filter(owner=member).count() == 1


def test_member_lookup_after_other_bank_next_forgets_the_other_bank_data(
    logged_client, member, bank_union
):
    # "Buscar" on the member path after an other-bank "Siguiente" switches the wizard to the
    # member path and forgets the other bank's data and key: its signing step must never show
    # (or sign) another bank's number as a member account. The member starts again, and no
    # PIN is asked for a registration that no longer exists.
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    old_key = _key(logged_client)
    logged_client.post(LOOKUP, {"number": "1999999999"})
    wizard = logged_client.session["beneficiary_wizard"]
    assert wizard["kind"] == "member"
    assert "data" not in wizard and "key" not in wizard
    assert logged_client.get(SIGN).url == ADD
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": old_key})
    assert response.url == ADD
    assert not ThirdPartyProduct.objects.filter(owner=member).exists()


def test_search_of_another_number_after_next_forgets_the_kept_data(
    logged_client, member, silvia_account
):
    # After a member-path "Siguiente" (Silvia's number kept, a key issued), "Volver" and a
    # "Buscar" of someone else's number replaced the kept holder name but not the kept number:
    # the signing step then showed Silvia's number under Carlos's name, and the PIN registered
    # Silvia's account. A search of another number forgets the kept data and key.
    carlos_account = make_account(
        member=make_member(first_names="Carlos", last_names="Quispe Mamani"), currency="BOB"
    )
    logged_client.post(
        ADD_MEMBER,
        _member_post(silvia_account.number),
    )
    old_key = _key(logged_client)
    assert logged_client.post(LOOKUP, {"number": carlos_account.number}).json()["found"]
    response = logged_client.get(SIGN)
    if response.status_code == 200:  # whatever the page, never one name over another's number
        page = response.content.decode()
        assert "Carlos Q***" not in page
    assert response.status_code == 302 and response.url == ADD
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": old_key})
    assert response.url == ADD
    assert not ThirdPartyProduct.objects.filter(owner=member).exists()
    # A search of the kept number itself (the same "Buscar" again) keeps the data.
    logged_client.post(
        ADD_MEMBER,
        _member_post(silvia_account.number),
    )
    logged_client.post(LOOKUP, {"number": silvia_account.number})
    assert "Silvia F*** F***" in logged_client.get(SIGN).content.decode()
    # One that no longer finds it (blocked since) forgets it: no signing under a blank name.
    silvia_account.status = "blocked"
    silvia_account.save(update_fields=["status"])
    assert not logged_client.post(LOOKUP, {"number": silvia_account.number}).json()["found"]
    assert logged_client.get(SIGN).url == ADD


def test_sign_with_a_wizard_of_no_known_kind_starts_again(logged_client, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    session = logged_client.session
    session["beneficiary_wizard"] = {**session["beneficiary_wizard"], "kind": "loans"}
    session.save()
    assert logged_client.get(SIGN).url == ADD
    response = logged_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": _key(logged_client)})
    assert response.url == ADD
    assert ThirdPartyProduct.objects.count() == 0


def test_previous_keeps_what_was_typed(logged_client, bank_union):
    logged_client.post(ADD_OTHER, _other_bank_post(bank_union))
    page = logged_client.get(ADD_OTHER).content.decode()
    assert 'value="Consultora Silvia"' in page
    assert 'value="0100123456"' in page


def test_list_shows_masked_products(logged_client, member, bank_union, silvia_account):
    _register_other_bank(member, bank_union)
    signed_beneficiary_register_member(
        owner=member, actor=None, number=silvia_account.number, alias="Silvia"
    )
    page = logged_client.get(LIST).content.decode()
    assert "Agregar" in page
    assert "Silvia F*** F***" in page and "Ferrufino" not in page
    assert silvia_account.number not in page
    assert "X000X-456" in page and "Banco Unión S.A." in page


def test_list_query_count_does_not_grow(
    logged_client, member, bank_union, django_assert_num_queries
):
    # session, user, products with their bank (one join) -- the same with no product as with
    # eight; the session row is not rewritten (accounts.session_store), the header bell's
    # count comes from the cache (notices.selectors).
    # The first request of a session also records the session's device row (sessions list);
    # pin the steady state.
    logged_client.get(LIST)

    def count():
        with django_assert_num_queries(3) as ctx:
            logged_client.get(LIST)
        return len(ctx.captured_queries)

    count()
    for i in range(8):
        _register_other_bank(
            member,
            Bank.objects.order_by("pk")[i],
            number=f"{1000000000 + i}",
            alias=f"Alias {i}",
        )
    count()


def test_edit_and_delete(logged_client, member, bank_union):
    product = _register_other_bank(member, bank_union)
    edit = reverse("beneficiaries:edit", args=[product.pk])
    assert 'value="Sara"' in logged_client.get(edit).content.decode()
    # Without the PIN nothing changes: the alias and the notice email are signed decisions.
    response = logged_client.post(edit, {"alias": "Silvia C.", "email": "s@example.com"})
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.alias == "Sara"
    response = logged_client.post(
        edit, {"alias": "Silvia C.", "email": "s@example.com", "pin": SIGN_PIN}
    )
    assert response.url == LIST
    product.refresh_from_db()
    assert product.alias == "Silvia C."
    delete = reverse("beneficiaries:delete", args=[product.pk])
    assert "¿Desea eliminar" in logged_client.get(delete).content.decode()
    assert logged_client.post(delete).status_code == 200  # the "Firma" step, nothing deleted
    product.refresh_from_db()
    assert product.deleted_at is None
    assert logged_client.post(delete, {"pin": SIGN_PIN}).url == LIST
    product.refresh_from_db()
    assert product.deleted_at is not None
    assert logged_client.get(edit).status_code == 404
    assert logged_client.post(delete).status_code == 404
    events = AuditEvent.objects.filter(event__startswith="beneficiary.")
    assert list(events.values_list("event", flat=True).order_by("pk")) == [
        "beneficiary.registered",
        "beneficiary.updated",
        "beneficiary.deleted",
    ]


def test_edit_bad_alias_changes_nothing(logged_client, member, bank_union):
    _register_other_bank(member, bank_union, alias="Sara")
    other = _register_other_bank(member, bank_union, number="0100999999", alias="Pepe")
    response = logged_client.post(
        reverse("beneficiaries:edit", args=[other.pk]),
        {"alias": "sara", "email": "", "pin": SIGN_PIN},
    )
    assert "Ya usa este alias" in response.content.decode()
    other.refresh_from_db()
    assert other.alias == "Pepe"


def test_another_members_ids_are_404_on_every_url(intruder_client, member, bank_union):
    product = _register_other_bank(member, bank_union)
    audit = AuditEvent.objects.filter(event__startswith="beneficiary.")
    before = (ThirdPartyProduct.objects.get(pk=product.pk).alias, audit.count())
    for name in ("beneficiaries:edit", "beneficiaries:delete"):
        url = reverse(name, args=[product.pk])
        assert intruder_client.get(url).status_code == 404
        assert intruder_client.post(url, {"alias": "Robado", "email": ""}).status_code == 404
    assert (ThirdPartyProduct.objects.get(pk=product.pk).alias, audit.count()) == (before)
    assert ThirdPartyProduct.objects.get(pk=product.pk).deleted_at is None
    assert "Sara" not in intruder_client.get(LIST).content.decode()


def test_another_members_idempotency_key_does_not_leak(intruder_client, member, bank_union):
    product = _register_other_bank(member, bank_union, idempotency_key="victim-key")
    response = intruder_client.post(SIGN, {"pin": SIGN_PIN, "idempotency_key": "victim-key"})
    assert response.url == ADD  # "expired", exactly as for any unknown key
    assert ThirdPartyProduct.objects.get(idempotency_key="victim-key").pk == product.pk


def test_staff_without_member_gets_404(client):
    client.force_login(make_user(username="staffer", is_staff=True))
    for url in (LIST, ADD, ADD_MEMBER, ADD_OTHER, SIGN):
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_member_with_two_users_sees_nothing_of_others(client, bank_union):
    owner = make_member()
    _register_other_bank(owner, bank_union)
    client.force_login(make_user(member=make_member(), username="otro"))
    assert "Sara" not in client.get(LIST).content.decode()


def test_staff_admin_lists_products_read_only(staff_client, member, bank_union):
    product = _register_other_bank(member, bank_union)
    changelist = reverse("admin:beneficiaries_thirdpartyproduct_changelist")
    response = staff_client.get(changelist)
    assert response.status_code == 200
    assert "Sara" in response.content.decode()
    change = reverse("admin:beneficiaries_thirdpartyproduct_change", args=[product.pk])
    assert staff_client.post(change, {"alias": "Robado"}).status_code == 403
    product.refresh_from_db()
    assert product.alias == "Sara"
