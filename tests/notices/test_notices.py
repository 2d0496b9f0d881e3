"""The notice centre: notices written with what they tell, never another member's data, the
bell's one query, keyset pages, "marcar como leídas", preferences (security always by email),
new-browser sign-ins, instalment reminders once per instalment and kind."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from loans.reminders import instalment_reminders_send
from notices.browsers import browser_sign_in, device_describe
from notices.middleware import BROWSER_COOKIE
from notices.models import KnownBrowser, Notice, NoticeKind, NoticePreference
from notices.services import notice_create, notice_preferences_set
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed_transfer_cosign,
    signed_transfer_execute,
)
from tests.loans.helpers import make_loan
from transfers.models import TransferType
from transfers.services import TransferOrder, transfer_prepare

pytestmark = pytest.mark.django_db


def _notice(user, n=1, **kwargs):
    for i in range(n):
        notice_create(
            user_id=user.pk,
            kind=kwargs.get("kind", NoticeKind.MONEY_RECEIVED),
            context={"sender": "J*** P***", "amount": f"Bs {i},00", "account": "1000000001"},
        )


def test_money_received_names_the_sender_masked_and_no_description():
    sender = make_user(member=make_member(first_names="Roberto Carlos", last_names="Quispe Mamani"))
    receiver = make_user(member=make_member(), email="rec@example.com")
    source = make_account(member=sender.member, balance="1000")
    target = make_account(member=receiver.member)
    order = TransferOrder(
        transfer_type=TransferType.THIRD_PARTY,
        source_account_id=source.pk,
        destination_account_id=target.pk,
        currency="BOB",
        amount=Decimal("50.00"),
        description="<a href=http://evil>clic</a>",
    )
    signed_transfer_execute(
        user=sender,
        order=order,
        expected_fingerprint=transfer_prepare(user=sender, order=order).fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )
    notice = Notice.objects.get(user=receiver)
    assert notice.kind == NoticeKind.MONEY_RECEIVED
    # The project's mask (beneficiaries.rules.mask_name): first name, initials after it.
    assert (
        "Quispe" not in notice.body and "Carlos" not in notice.body and "Mamani" not in notice.body
    )
    assert "evil" not in notice.body and "clic" not in notice.body
    assert "Bs 50,00" in notice.body
    assert not Notice.objects.filter(user=sender).exists()


def test_cosignature_waiting_and_its_outcome_are_told():
    from ledger.models import Account

    maria = make_user(member=make_member())
    juan = make_user(member=make_member())
    joint = make_account(
        member=maria.member,
        holder_mode=Account.HolderMode.CONJUNTA,
        co_holders=(juan.member,),
        balance="1000",
    )
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=joint.pk,
        destination_account_id=make_account(member=maria.member).pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Compra",
    )
    transfer = signed_transfer_execute(
        user=maria,
        order=order,
        expected_fingerprint=transfer_prepare(user=maria, order=order).fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )
    assert Notice.objects.get(user=juan).kind == NoticeKind.COSIGN_WAITING
    signed_transfer_cosign(user=juan, transfer_id=transfer.pk, approve=True)
    outcome = Notice.objects.get(user=maria, kind=NoticeKind.COSIGN_OUTCOME)
    assert outcome.title == "Transferencia de cuenta conjunta: firmada por todos y realizada"


def test_loan_disbursement_is_told():
    user = make_user(member=make_member())
    loan = make_loan(member=user.member)
    notice = Notice.objects.get(user=user, kind=NoticeKind.LOAN_DISBURSED)
    assert loan.number in notice.body


def test_instalment_reminders_once_per_instalment_and_kind():
    user = make_user(member=make_member())
    loan = make_loan(member=user.member)
    first = loan.instalments.order_by("number").first()
    as_of = first.due_date - timedelta(days=2)
    assert instalment_reminders_send(as_of=as_of) == 1
    assert instalment_reminders_send(as_of=as_of) == 0  # a re-run writes nothing
    assert instalment_reminders_send(as_of=as_of + timedelta(days=1)) == 0
    after = first.due_date + timedelta(days=1)
    assert instalment_reminders_send(as_of=after) >= 1
    assert instalment_reminders_send(as_of=after) == 0
    kinds = list(Notice.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds.count(NoticeKind.INSTALMENT_DUE) >= 1
    assert kinds.count(NoticeKind.INSTALMENT_OVERDUE) == 1


def test_preferences_switch_email_off_but_never_for_security():
    user = make_user(member=make_member(), email="yo@example.com")
    notice_preferences_set(
        user=user,
        choices={
            NoticeKind.MONEY_RECEIVED: (False, False),
            NoticeKind.NEW_BROWSER: (False, False),
        },
    )
    assert NoticePreference.objects.get(user=user, kind=NoticeKind.NEW_BROWSER).email is True
    before = OutboxMessage.objects.count()
    _notice(user)
    assert OutboxMessage.objects.count() == before
    notice_create(
        user_id=user.pk, kind=NoticeKind.NEW_BROWSER, context={"date": "x", "device": "Chrome"}
    )
    assert OutboxMessage.objects.filter(recipient="yo@example.com").count() == 1


def test_preferences_page_posting_email_off_for_security_is_ignored(client):
    user = make_user(member=make_member())
    client.force_login(user)
    response = client.post(
        reverse("notices:preferences"), {f"{NoticeKind.MONEY_RECEIVED}_email": ""}, follow=True
    )
    assert response.status_code == 200
    assert NoticePreference.objects.get(user=user, kind=NoticeKind.MONEY_RECEIVED).email is False
    assert NoticePreference.objects.get(user=user, kind=NoticeKind.LOCKOUT).email is True


def test_the_bell_counts_once_then_from_the_cache_and_shows_a_new_or_read_notice_at_once(
    client,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notices.services import notices_mark_read

    user = make_user(member=make_member())
    _notice(user, 3)
    client.force_login(user)
    url = reverse("transfers:limits")

    def bell() -> tuple[str, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        html = response.content.decode().split('class="notice-bell"')[1][:600]
        counted = [q["sql"] for q in captured.captured_queries if "notices_notice" in q["sql"]]
        return html, counted

    html, counted = bell()
    assert '<span class="badge" aria-hidden="true">3</span>' in html
    assert len(counted) == 1  # one query on the partial index
    assert "read_at" in counted[0] and "IS NULL" in counted[0]
    html, counted = bell()
    assert '<span class="badge" aria-hidden="true">3</span>' in html
    assert counted == []  # the shared cache holds it
    _notice(user, 1)
    html, counted = bell()
    assert '<span class="badge" aria-hidden="true">4</span>' in html and len(counted) == 1
    notices_mark_read(user=user)
    html, _counted = bell()
    assert 'class="badge"' not in html


def test_keyset_pages_and_mark_read(client):
    user = make_user(member=make_member())
    _notice(user, 25)
    client.force_login(user)
    first = client.get(reverse("notices:list"))
    page = first.context["notices"]
    assert len(page) == 20
    assert page[0].pk > page[-1].pk
    second = client.get(reverse("notices:list"), {"antes": first.context["next_before"]})
    assert len(second.context["notices"]) == 5
    assert second.context["next_before"] is None
    # Garbage cursors are the first page, never an error.
    # "²" and "١" are str.isdigit() but not what int() reads as ours: found by review.
    for cursor in ("abc", "-1", "9" * 40, "²", "1²", "\u0661"):
        assert client.get(reverse("notices:list"), {"antes": cursor}).status_code == 200
    client.post(reverse("notices:mark_read"))
    assert not Notice.objects.filter(user=user, read_at__isnull=True).exists()


def test_another_members_notices_are_never_shown_or_marked(client):
    mine = make_user(member=make_member())
    other = make_user(member=make_member())
    _notice(other, 2)
    client.force_login(mine)
    response = client.get(reverse("notices:list"))
    assert list(response.context["notices"]) == []
    client.post(reverse("notices:mark_read"))
    assert Notice.objects.filter(user=other, read_at__isnull=True).count() == 2


def test_a_new_browser_is_told_the_known_one_is_not(client):
    user = make_user(member=make_member(), email="yo@example.com", password="Clave1234")
    assert browser_sign_in(user=user, token="a" * 32, user_agent="x") is False  # first ever
    assert browser_sign_in(user=user, token="a" * 32, user_agent="x") is False
    ua = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    assert browser_sign_in(user=user, token="b" * 32, user_agent=ua) is True
    notice = Notice.objects.get(user=user, kind=NoticeKind.NEW_BROWSER)
    assert "Chrome en Android" in notice.body
    assert OutboxMessage.objects.filter(recipient="yo@example.com").exists()
    assert KnownBrowser.objects.filter(user=user).count() == 2


def test_signing_in_twice_from_one_browser_is_one_known_browser(client):
    from django.test import Client

    user = make_user(member=make_member(), username="socio9", password="Cancionero45")
    login = reverse("accounts:login")
    first = client.post(login, {"username": "socio9", "password": "Cancionero45"})
    assert first.status_code == 302
    assert first.cookies[BROWSER_COOKIE]["httponly"]
    client.post(reverse("accounts:logout"))
    again = client.post(login, {"username": "socio9", "password": "Cancionero45"})
    assert BROWSER_COOKIE not in again.cookies  # known: not set again
    assert KnownBrowser.objects.filter(user=user).count() == 1
    assert not Notice.objects.filter(user=user, kind=NoticeKind.NEW_BROWSER).exists()
    # Another browser (no cookie): told.
    Client().post(login, {"username": "socio9", "password": "Cancionero45"})
    assert Notice.objects.filter(user=user, kind=NoticeKind.NEW_BROWSER).count() == 1


def test_device_names_never_echo_the_header():
    assert device_describe("<script>alert(1)</script>") == "navegador desconocido"
    assert device_describe("Mozilla/5.0 (Windows NT 10.0) Firefox/127.0") == "Firefox en Windows"


def test_a_lockout_and_a_pin_change_are_notices():
    from accounts.services.pin import pin_set

    user = make_user(member=make_member())
    pin_set(user=user, pin="135790")
    assert Notice.objects.filter(user=user, kind=NoticeKind.CREDENTIALS_CHANGED).exists()


def test_notice_dates_are_la_paz_time():
    user = make_user(member=make_member())
    notice_create(
        user_id=user.pk,
        kind=NoticeKind.LOCKOUT,
        context={"date": timezone.localtime().strftime("%d/%m/%Y")},
    )
    assert timezone.localtime().strftime("%d/%m/%Y") in Notice.objects.get(user=user).body
