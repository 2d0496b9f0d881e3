"""A reload of a wizard step keeps what was typed (issue 14, item 9), never the PIN; a new
transfer ("?nueva=1"), a finished or cancelled one, or an old draft starts over. And the member's
own accounts read in full at step 4 and in what is signed (the guide)."""

import pytest
from django.contrib.sessions.models import Session

from audit.models import AuditEvent
from transfers.models import Transfer
from transfers.summary import stored_summary

from .test_wizard import PIN, URL, _key, _step, _walk_to_confirm, maria  # noqa: F401

pytestmark = pytest.mark.django_db


def _accounts(maria):  # noqa: F811
    from tests.factories import make_account

    return (
        make_account(member=maria.member, balance="1000"),
        make_account(member=maria.member),
    )


def _to_step_3(client, source, destination):
    client.get(URL)
    _step(client, "source", {"transfer_type": "own", "source_account": source.pk})
    return _step(client, "destination", {"destination_account": destination.pk})


def _stored(client) -> str:
    """The session as stored: its row and the engine's copy (accounts.session_store writes
    the wizard's draft to the cache at once and to the row within a minute)."""
    session = client.session
    row = Session.objects.get(session_key=session.session_key).get_decoded()
    return f"{row} {session.load()}"


def test_a_reload_of_step_3_keeps_steps_1_and_2(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    reloaded = client.get(URL)
    body = reloaded.content.decode()
    assert "Paso 3 de 4: Ingrese los datos" in body
    # What steps 1 and 2 chose is still the order being entered: "Siguiente" goes on to step 4.
    fields = {"currency": "BOB", "amount": "120,00", "description": "Ahorro"}
    step4 = _step(client, "data", {**fields, "notify_email": "", "funds_origin": ""})
    body = step4.content.decode()
    assert "Paso 4 de 4" in body
    assert "Bs 120,00" in body and destination.number in body


def test_a_reload_of_step_4_shows_the_same_summary_and_key(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    first = _walk_to_confirm(client, source, destination, amount="250,50")
    reloaded = client.get(URL)
    body = reloaded.content.decode()
    assert "Paso 4 de 4" in body and "Bs 250,50" in body and "Ahorro mensual" in body
    assert _key(reloaded) == _key(first)
    # The reloaded page signs.
    signed = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(reloaded))
    assert signed.status_code == 302
    assert Transfer.objects.count() == 1


def test_back_to_step_3_then_reload_shows_the_typed_amount(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    _walk_to_confirm(client, source, destination, amount="250,50")
    _step(client, "confirm", {}, wizard_goto_step="data")
    body = client.get(URL).content.decode()
    assert "Paso 3 de 4" in body
    assert 'value="250,50"' in body and 'value="Ahorro mensual"' in body


def test_the_pin_is_never_kept_across_a_reload(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    response = _walk_to_confirm(client, source, destination)
    _step(client, "confirm", {"pin": "9173"}, idempotency_key=_key(response))  # wrong PIN
    reloaded = client.get(URL).content.decode()
    assert "Paso 4 de 4" in reloaded
    assert "9173" not in reloaded and "9173" not in _stored(client)
    assert "confirm-pin" not in _stored(client)


def test_nueva_starts_a_new_transfer(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    assert "Paso 1 de 4" in client.get(URL + "?nueva=1").content.decode()
    # And the reset is real: a plain GET now shows step 1 too.
    assert "Paso 1 de 4" in client.get(URL).content.decode()


def test_a_finished_transfer_starts_over(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    response = _walk_to_confirm(client, source, destination)
    _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))
    assert Transfer.objects.count() == 1
    assert "Paso 1 de 4" in client.get(URL).content.decode()


def _age_draft(client, minutes: float) -> None:
    """Move the draft's last-shown stamp ``minutes`` into the past (negative: the future)."""
    session = client.session
    name = next(key for key in session.keys() if key.endswith("transfer_own"))  # noqa: SIM118
    stored = session[name]
    stored["extra_data"]["touched"] -= minutes * 60
    session[name] = stored
    session.save()


@pytest.mark.parametrize(("age", "step"), [(16, "Paso 1 de 4"), (14, "Paso 3 de 4")])
def test_an_old_draft_starts_over(client, maria, settings, age, step):  # noqa: F811
    settings.TRANSFER_DRAFT_MINUTES = 15
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    _age_draft(client, age)
    assert step in client.get(URL).content.decode()


def test_a_stamp_in_the_future_starts_over(client, maria):  # noqa: F811
    """A stamp the server did not write now (a clock jump) is not a live draft."""
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    _age_draft(client, -5)
    assert "Paso 1 de 4" in client.get(URL).content.decode()


def test_one_wizards_draft_does_not_resume_another(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    body = client.get("/transferencias/a-cuenta-de-terceros/").content.decode()
    assert "Paso 1 de 4" in body


# -- the member's own accounts in full ------------------------------------------------------


def test_step_4_and_the_signed_summary_show_own_accounts_in_full(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    response = _walk_to_confirm(client, source, destination)
    body = response.content.decode()
    assert destination.number in body
    assert destination.masked_number not in body
    signed = _step(client, "confirm", {"pin": PIN}, idempotency_key=_key(response))
    assert signed.status_code == 302
    summary = AuditEvent.objects.filter(event="signature.verified").get().new["summary"]
    assert summary["Cuenta destino"].endswith(destination.number)
    assert summary["Cuenta origen"].endswith(source.number)
    # The co-signature page rebuilds the very rows the member signed.
    transfer = Transfer.objects.get()
    assert {str(k): v for k, v in stored_summary(transfer).items()} == summary


def test_a_resumed_step_offers_a_new_transfer(client, maria):  # noqa: F811
    source, destination = _accounts(maria)
    _to_step_3(client, source, destination)
    body = client.get(URL).content.decode()
    assert f'href="{URL}?nueva=1">Nueva transferencia</a>' in body
    # Step 1 has nothing to start over from.
    assert "Nueva transferencia" not in client.get(URL + "?nueva=1").content.decode()
