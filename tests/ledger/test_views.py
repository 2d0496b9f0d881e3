""" "Mis cuentas": the dashboard and an account's statement page, as a member reads them."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from ledger import services
from ledger.models import Account, PostingLine
from ledger.selectors import STATEMENT_PAGE_SIZE
from tests.factories import make_account, make_member, make_user

pytestmark = pytest.mark.django_db

ACCOUNT_URLS = [
    "ledger:account_detail",
    "ledger:account_statement_csv",
    "ledger:account_statement_pdf",
]


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour))


def movements(account: Account, count: int, *, start: datetime, step=timedelta(hours=6)):
    """``count`` deposits of Bs 1,00 .. count,00, oldest first; returns their line ids."""
    for n in range(1, count + 1):
        services.cash_deposit(
            account=account,
            amount=Decimal(n),
            description=f"Movimiento {n}",
            booked_at=start + step * (n - 1),
        )
    return list(
        PostingLine.objects.filter(account=account).order_by("pk").values_list("pk", flat=True)
    )


def text(response) -> str:
    return unescape(response.content.decode())


def link_href(response, label: str) -> str | None:
    """The href of the link a member would click by its visible text, or None."""
    match = re.search(
        rf'<a\s[^>]*href="([^"]+)"[^>]*>\s*{re.escape(label)}', response.content.decode()
    )
    return unescape(match.group(1)) if match else None


def detail_url(account, **params) -> str:
    url = reverse("ledger:account_detail", args=[account.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_shows_each_account_formatted(logged_client, member):
    other = make_member()
    bob = make_account(member=member, currency="BOB", balance="1000.00")
    usd = make_account(
        member=member,
        currency="USD",
        product_type=Account.ProductType.CHECKING,
        holder_mode=Account.HolderMode.ALTERNA,
        balance="1234.50",
        co_holders=(other,),
    )
    joint = make_account(
        member=other, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(member,)
    )
    foreign = make_account(member=other, balance="777.00")

    response = logged_client.get(reverse("ledger:dashboard"))

    assert response.status_code == 200
    body = text(response)
    assert "Mis cuentas" in body
    assert "Saldo disponible" in body
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    by_number = {acc.number: row for acc in (bob, usd, joint) for row in rows if acc.number in row}
    assert len(by_number) == 3
    assert "Caja de Ahorros" in by_number[bob.number]
    assert "Individual" in by_number[bob.number]
    assert "BOB" in by_number[bob.number]
    assert "Bs 1.000,00" in by_number[bob.number]
    assert "Cuenta corriente" in by_number[usd.number]
    assert "Alterna" in by_number[usd.number]
    assert "$us 1.234,50" in by_number[usd.number]
    assert "Conjunta" in by_number[joint.number]
    assert "Bs 0,00" in by_number[joint.number]
    for acc in (bob, usd, joint):
        assert f'href="{reverse("ledger:account_detail", args=[acc.pk])}"' in body
    # Someone else's account is not shown, not even its number or balance.
    assert foreign.number not in body
    assert foreign.masked_number not in body
    assert "777,00" not in body


def test_dashboard_shows_the_members_own_number_in_full(logged_client, member):
    """Issue 14: the guide's rule is that a member sees their own numbers in full (the
    dashboard masked them before); the "Copiar" button copies exactly that number."""
    account = make_account(member=member, balance="5")
    body = text(logged_client.get(reverse("ledger:dashboard")))
    assert account.number in body
    assert f'data-copy="{account.number}"' in body
    assert account.masked_number not in body


def test_dashboard_without_accounts(logged_client):
    response = logged_client.get(reverse("ledger:dashboard"))
    assert response.status_code == 200
    assert "No tiene cuentas para mostrar." in text(response)
    assert "<table" not in text(response)


@pytest.mark.parametrize("accounts", [1, 4])
def test_dashboard_query_count_does_not_grow_with_accounts(
    logged_client, member, accounts, django_assert_num_queries
):
    for _ in range(accounts):
        make_account(member=member, balance="10", co_holders=(make_member(),))
    # session, user, accounts, holders+members (prefetch), the "Pendientes de firma" box's
    # transfers (one query, issue 14), the header bell's unread count (issue 16): the same for
    # one account or many. The session row is not rewritten (accounts.session_store).
    with django_assert_num_queries(6):
        response = logged_client.get(reverse("ledger:dashboard"))
    assert response.status_code == 200


# --- isolation -------------------------------------------------------------------------------


@pytest.fixture
def foreign_account(db):
    stranger = make_member(first_names="Extraño", last_names="Ajeno")
    account = make_account(member=stranger, balance="98765.43")
    services.cash_deposit(account=account, amount=Decimal("11.11"), description="Secreto ajeno")
    account.refresh_from_db()
    return account


QUERIES = ["", "?before=999999", "?date_from=2026-01-01&date_to=2026-12-31", "?before=abc"]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("name", ACCOUNT_URLS)
def test_foreign_account_is_404_and_leaks_nothing(
    logged_client, bob_account, foreign_account, name, query
):
    response = logged_client.get(reverse(name, args=[foreign_account.pk]) + query)
    assert response.status_code == 404
    body = text(response)
    assert "Página no encontrada" in body
    for secret in ("Secreto ajeno", "98.776,54", "Extraño", foreign_account.masked_number):
        assert secret not in body
    assert "Content-Disposition" not in response


@pytest.mark.parametrize("account_id", [0, 987654321, 99999999999999999999999])
@pytest.mark.parametrize("name", ACCOUNT_URLS)
def test_unknown_account_is_404(logged_client, name, account_id):
    response = logged_client.get(reverse(name, args=[account_id]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", ACCOUNT_URLS)
def test_staff_without_member_gets_404(client, bob_account, name):
    client.force_login(make_user(username="backoffice", is_staff=True))
    assert client.get(reverse(name, args=[bob_account.pk])).status_code == 404


@pytest.mark.parametrize("name", [*ACCOUNT_URLS, "ledger:dashboard"])
def test_anonymous_is_sent_to_login(client, bob_account, name):
    args = [] if name == "ledger:dashboard" else [bob_account.pk]
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "Content-Disposition" not in response


def test_co_holder_sees_the_shared_account(client, member, foreign_account):
    from ledger.models import Holder

    Holder.objects.create(account=foreign_account, member=member, role=Holder.Role.CO_OWNER)
    client.force_login(make_user(member=member))
    assert client.get(detail_url(foreign_account)).status_code == 200


# --- statement -------------------------------------------------------------------------------


def test_statement_shows_debits_credits_and_running_balance(logged_client, bob_account):
    services.cash_deposit(
        account=bob_account,
        amount=Decimal("1500.00"),
        description="Abono de sueldo",
        booked_at=local(2026, 3, 1),
    )
    services.cash_withdrawal(
        account=bob_account,
        amount=Decimal("250.25"),
        description="Retiro en ventanilla",
        booked_at=local(2026, 3, 2),
    )
    response = logged_client.get(detail_url(bob_account))
    assert response.status_code == 200
    body = text(response)
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)[1:]  # skip the header row
    assert len(rows) == 2
    # Cell text without markup (amounts sit in <span class="money">, issue 14).
    newest, oldest = (
        [
            re.sub(r"<[^>]+>", "", cell)
            for cell in re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", r, flags=re.S)
        ]
        for r in rows
    )
    assert newest == ["02/03/2026 10:00", "Retiro en ventanilla", "Bs 250,25", "", "Bs 1.249,75"]
    assert oldest == ["01/03/2026 10:00", "Abono de sueldo", "", "Bs 1.500,00", "Bs 1.500,00"]
    assert "Saldo disponible" in body
    assert "Bs 1.249,75" in body
    for label in ("Fecha", "Descripción", "Débito", "Crédito", "Saldo"):
        assert f">{label}</th>" in body


def test_statement_has_labelled_date_inputs(logged_client, bob_account):
    body = text(logged_client.get(detail_url(bob_account)))
    for field, label in (("date_from", "Desde"), ("date_to", "Hasta")):
        match = re.search(rf'<label for="id_{field}">\s*{label}', body)
        assert match, label
        tag = re.search(rf'<input type="date" name="{field}"[^>]*>', body).group(0)
        assert f'id="id_{field}"' in tag
        assert 'min="2000-01-01"' in tag and 'max="2099-12-31"' in tag


def test_keyset_pages_walk_every_movement_once(logged_client, bob_account):
    ids = movements(bob_account, 120, start=local(2026, 1, 1))
    seen: list[int] = []
    url = detail_url(bob_account)
    pages = 0
    while url:
        response = logged_client.get(url)
        assert response.status_code == 200
        page_ids = [line.pk for line in response.context["page"].lines]
        seen.extend(page_ids)
        pages += 1
        # Follow the link the member would click.
        url = link_href(response, "Movimientos anteriores")
        if url:
            assert f"before={page_ids[-1]}" in url
    assert pages == 3  # 50 + 50 + 20
    assert seen == sorted(ids, reverse=True)
    assert len(set(seen)) == 120


def test_second_page_running_balances_and_back_link(logged_client, bob_account):
    movements(bob_account, STATEMENT_PAGE_SIZE + 5, start=local(2026, 1, 1))
    first = logged_client.get(detail_url(bob_account))
    cursor = first.context["page"].next_cursor
    second = logged_client.get(detail_url(bob_account, before=cursor))
    lines = second.context["page"].lines
    assert [line.description for line in lines] == [f"Movimiento {n}" for n in range(5, 0, -1)]
    # Running balance of deposits 1..n is n(n+1)/2.
    assert [line.balance_after for line in lines] == [
        Decimal(n * (n + 1) // 2) for n in range(5, 0, -1)
    ]
    body = text(second)
    assert "Bs 15,00" in body
    assert "Volver a los movimientos más recientes" in body
    assert "Movimientos anteriores" not in body


def test_date_filter_limits_movements_and_links_keep_it(logged_client, bob_account):
    movements(bob_account, 130, start=local(2026, 1, 1), step=timedelta(days=1))
    # 1 Jan + 0..129 days: February has 28 movements, March 31.
    response = logged_client.get(
        detail_url(bob_account, date_from="2026-02-01", date_to="2026-03-31")
    )
    assert response.status_code == 200
    page = response.context["page"]
    first_page = list(page.lines)
    assert len(first_page) == STATEMENT_PAGE_SIZE
    assert all(timezone.localdate(line.booked_at).month in (2, 3) for line in first_page)
    body = response.content.decode()
    older = link_href(response, "Movimientos anteriores")
    assert "date_from=2026-02-01" in older and "date_to=2026-03-31" in older
    csv_link = link_href(response, "Descargar CSV")
    assert "extracto.csv" in csv_link
    assert "date_from=2026-02-01" in csv_link and "before" not in csv_link
    pdf_link = link_href(response, "Descargar PDF")
    assert "extracto.pdf?date_from=2026-02-01&date_to=2026-03-31" in pdf_link
    rest = logged_client.get(older)
    assert len(rest.context["page"].lines) == 59 - STATEMENT_PAGE_SIZE
    assert rest.context["page"].next_cursor is None
    back = link_href(rest, "Volver a los movimientos más recientes")
    assert "date_from=2026-02-01" in back and "before" not in back
    # The form shows the filter back to the member.
    assert 'value="2026-02-01"' in body


def test_date_filter_accepts_day_month_year(logged_client, bob_account):
    movements(bob_account, 3, start=local(2026, 5, 1), step=timedelta(days=1))
    response = logged_client.get(
        detail_url(bob_account, date_from="02/05/2026", date_to="02/05/2026")
    )
    assert response.status_code == 200
    assert [line.description for line in response.context["page"].lines] == ["Movimiento 2"]


def test_empty_period_says_so(logged_client, bob_account):
    movements(bob_account, 2, start=local(2026, 5, 1))
    response = logged_client.get(
        detail_url(bob_account, date_from="2025-01-01", date_to="2025-01-31")
    )
    assert response.status_code == 200
    assert "No hay movimientos en este período." in text(response)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2026-13-45"}, "Ingrese una fecha válida, por ejemplo 31/01/2026."),
        ({"date_to": "ayer"}, "Ingrese una fecha válida, por ejemplo 31/01/2026."),
        ({"date_from": "%00%27;--"}, "Ingrese una fecha válida, por ejemplo 31/01/2026."),
        ({"date_to": "9999-12-31"}, "Ingrese una fecha entre el 01/01/2000 y el 31/12/2099."),
        ({"date_from": "0001-01-01"}, "Ingrese una fecha entre el 01/01/2000 y el 31/12/2099."),
        (
            {"date_from": "2026-03-01", "date_to": "2026-02-01"},
            "La fecha final no puede ser anterior a la fecha inicial.",
        ),
    ],
)
@pytest.mark.parametrize("name", ACCOUNT_URLS)
def test_bad_dates_get_a_spanish_400(logged_client, bob_account, name, params, message):
    movements(bob_account, 2, start=local(2026, 1, 1))
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = logged_client.get(reverse(name, args=[bob_account.pk]) + "?" + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = text(response)
    assert message in body
    assert "Movimiento 1" not in body  # nothing read with rejected input
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    "cursor", ["abc", "-5", "0", "1.5", "1e3", "99999999999999999999999", "9223372036854775808", ""]
)
def test_bad_cursor_gets_a_400_page_never_a_500(logged_client, bob_account, cursor):
    movements(bob_account, 2, start=local(2026, 1, 1))
    response = logged_client.get(detail_url(bob_account, before=cursor))
    if cursor == "":
        # An empty cursor is just the first page.
        assert response.status_code == 200
        assert len(response.context["page"].lines) == 2
        return
    assert response.status_code == 400
    body = text(response)
    assert "El enlace de página no es válido." in body
    assert f'href="{detail_url(bob_account)}"' in body


def test_largest_valid_cursor_is_the_first_page(logged_client, bob_account):
    movements(bob_account, 2, start=local(2026, 1, 1))
    response = logged_client.get(detail_url(bob_account, before=2**63 - 1))
    assert response.status_code == 200
    assert len(response.context["page"].lines) == 2


@pytest.mark.parametrize("before", [False, True])
def test_statement_query_count_is_pinned(
    logged_client, bob_account, before, django_assert_num_queries
):
    ids = movements(bob_account, 80, start=local(2026, 1, 1))
    url = detail_url(bob_account, before=ids[40]) if before else detail_url(bob_account)
    # session, user, account, holders+members, one page of lines, the bell; no session write.
    with django_assert_num_queries(6):
        response = logged_client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"].lines) == (40 if before else STATEMENT_PAGE_SIZE)
