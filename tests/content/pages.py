"""Every page a member or a clerk reads, rendered with the Django test client (no browser),
and every email the flows send — the material of the number-format and Spanish-only checks.

The member pages come from the URL resolver (the access matrix's walk, so a page added later
is checked without editing this file), requested with the ids of a member who has one of
everything (``tests.security.test_access_matrix.owner``), plus the pages only a flow reaches:
each step of a currency-converting transfer wizard and the receipt of a transfer that paid a
fee. The admin pages are the ones branch clerks use. Emails are the outbox rows the flows
wrote, plus each email template rendered with a realistic context.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beneficiaries.models import Bank
from tests.factories import make_account, make_member, signed_transfer_execute
from tests.security.test_access_matrix import MEMBER_NAMESPACES, _url
from tests.security.urls import routes
from transfers.models import TransferType
from transfers.services import TransferOrder, transfer_prepare

# Signed-token pages (their error page is checked through the anonymous pages) and POST-only
# endpoints: nothing to read with a GET.
SKIPPED = {
    "accounts:email_confirm",
    "accounts:registration_confirm",
    "accounts:password_set",
}
ANONYMOUS = ("accounts:login", "accounts:registration", "accounts:session_expired")


@dataclass
class Text:
    """What a person reads on a page: the text nodes, and whether each sits in a money span
    (``<span class="money">``) or an ``<option>`` (which cannot hold markup)."""

    chunks: list[tuple[str, bool, bool]] = field(default_factory=list)  # text, money, option
    attributes: list[str] = field(default_factory=list)  # placeholder, aria-label, title, alt

    @property
    def visible(self) -> str:
        return " ".join(text for text, _, _ in self.chunks)

    def readable(self) -> str:
        return " ".join([self.visible, *self.attributes])


class _TextParser(HTMLParser):
    READ_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")
    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = Text()
        self.stack: list[tuple[str, bool, bool]] = []  # tag, is a money span, hides its text
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        for name in self.READ_ATTRIBUTES:
            if a.get(name):
                self.text.attributes.append(a[name])
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
            self.text.attributes.append(a["value"])
        if tag in ("input", "br", "img", "meta", "link", "hr", "source", "wbr"):
            return
        # translate="no" marks what is not prose (a device's secret key): random letters in it
        # are not English words.
        hides = tag in self.HIDDEN or a.get("translate") == "no"
        if hides:
            self.hidden += 1
        self.stack.append((tag, tag == "span" and "money" in a.get("class", "").split(), hides))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _, hides = self.stack.pop()
            if hides:
                self.hidden -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self.hidden or not data.strip():
            return
        in_money = any(money for _, money, _ in self.stack)
        in_option = any(tag == "option" for tag, _, _ in self.stack)
        self.text.chunks.append((" ".join(data.split()), in_money, in_option))


def read(html: str) -> Text:
    parser = _TextParser()
    parser.feed(html)
    return parser.text


def _html(response) -> str | None:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    return response.content.decode()


def _wizard(client: Client, url: str, prefix: str, steps: list[tuple[str, dict]], pages, name):
    pages[f"{name}:start"] = _html(client.get(url))
    for step, fields in steps:
        data = {f"{prefix}-current_step": step, **{f"{step}-{k}": v for k, v in fields.items()}}
        response = client.post(url, data)
        html = _html(response)
        assert html is not None, (name, step, response.status_code)
        pages[f"{name}:after-{step}"] = html
    client.post(url, {f"{prefix}-current_step": "confirm", "cancel": "1"})


def member_pages(client: Client, owner: dict) -> dict[str, str]:
    """name -> HTML of every member page (see the module docstring)."""
    user = owner["user"]
    account = owner["objects"][0]
    owner["partner_account"] = make_account(
        member=make_member(first_names="Carmen", last_names="Rojas"), balance="10"
    )
    usd = make_account(member=user.member, currency="USD", balance="250")
    # A transfer that paid a fee (other banks charge one), for its receipt.
    order = TransferOrder(
        transfer_type=TransferType.OTHER_BANK,
        source_account_id=account.pk,
        currency="BOB",
        amount=Decimal("876.54"),
        description="Pago de alquiler",
        bank_id=Bank.objects.get(code="BNB").pk,
        destination_number="3001234567",
        destination_name="Silvia Rocha",
        destination_currency="BOB",
        notify_email="aviso@example.com",
    )
    quote = transfer_prepare(user=user, order=order)
    with_fee = signed_transfer_execute(
        user=user,
        order=order,
        expected_fingerprint=quote.fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )
    assert with_fee.fee_amount > 0

    client.force_login(user)
    pages: dict[str, str] = {}
    for route in sorted(routes(), key=lambda r: r.name):
        if not route.name.startswith(MEMBER_NAMESPACES) or route.name in SKIPPED:
            continue
        url = _url(route, owner) if route.params else route.url()
        html = _html(client.get(url))
        if html is not None:
            pages[route.name] = html
    pages["transfers:receipt(fee)"] = _html(
        client.get(reverse("transfers:receipt", args=[with_fee.pk]))
    )
    # The "Firma" pages of a loan payment and of a new beneficiary (reached only by a flow).
    loan = owner["objects"][3]
    response = client.post(
        reverse("loans:pay", args=[loan.pk]),
        {"kind": "amount", "amount": "25,00", "source_account": account.pk},
    )
    assert response.status_code == 302, response.status_code
    pages["loans:pay_confirm(signing)"] = _html(client.get(response["Location"]))
    partner_account = owner["partner_account"]
    response = client.post(
        reverse("beneficiaries:add_member"),
        {"product_type": "savings", "number": partner_account.number, "alias": "Socia"},
    )
    assert response.status_code == 302, response.status_code
    pages["beneficiaries:sign(pending)"] = _html(client.get(response["Location"]))
    # Bolivianos to dollars: exchange rate, effective rate, converted amounts, the 5-day total.
    _wizard(
        client,
        reverse("transfers:own"),
        "transfer_own",
        [
            ("source", {"transfer_type": "own", "source_account": account.pk}),
            ("destination", {"destination_account": usd.pk}),
            (
                "data",
                {
                    "currency": "USD",
                    "amount": "33,33",
                    "description": "Ahorro en dólares",
                    "notify_email": "",
                    "funds_origin": "",
                    "funds_destination": "",
                },
            ),
        ],
        pages,
        "transfers:own(BOB->USD)",
    )
    return {name: html for name, html in pages.items() if html is not None}


def anonymous_pages(client: Client) -> dict[str, str]:
    client.logout()
    pages = {}
    for name in ANONYMOUS:
        pages[name] = _html(client.get(reverse(name)))
    return {name: html for name, html in pages.items() if html}


def admin_pages(client: Client, owner: dict) -> dict[str, str]:
    """The admin pages clerks use: sign-in with the security code, the index with what waits,
    registration requests (list and approval), users (list and change), the cash desk
    ("ventanilla"), exchange rates, fee bands, the audit trail (one event of each kind written
    so far) and QR codes."""
    from accounts.models import RegistrationRequest
    from audit.models import AuditEvent
    from tests.accounts.registration_helpers import make_approver, make_member_like
    from tests.conftest import admin_force_login
    from transfers.models import FeeBand
    from transfers.qr.models import QrCode
    from transfers.qr.services import qr_code_create

    pages = {}
    client.logout()
    pages["admin:login"] = _html(client.get(reverse("admin:login")))
    # A wrong sign-in: the form's errors must be Spanish too.
    pages["admin:login(error)"] = client.post(
        reverse("admin:login"),
        {"username": "nadie", "password": "x", "otp_device": "", "otp_token": "1"},
    ).content.decode()
    # The branch clerk as the demo loader makes one (its group's permissions), who may also
    # approve registrations.
    from django.contrib.auth.models import Group, Permission

    from demo.data import STAFF_GROUP, STAFF_PERMISSIONS

    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    for app_label, codename in STAFF_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    clerk = make_approver("auxiliar")
    clerk.groups.add(group)
    admin_force_login(client, clerk)
    member = make_member_like()
    registration = RegistrationRequest.objects.create(
        kind=member.kind,
        document_type=member.document_type,
        document_number=member.document_number,
        document_issued_in=member.document_issued_in,
        first_names=member.first_names,
        last_names=member.last_names + " Distinto",
        email="solicitud@example.com",
        username="nuevo.socio",
        status=RegistrationRequest.Status.EMAIL_CONFIRMED,
        terms_accepted_at=timezone.now(),
    )
    locked = owner["user"]
    locked.locked_at = timezone.now()
    locked.save(update_fields=["locked_at"])
    account = owner["objects"][0]
    # Two codes the member issued (one fixed amount, one the payer types), for the QR pages.
    for amount in (Decimal("35.50"), None):
        qr_code_create(
            user=owner["user"],
            account_id=account.pk,
            amount=amount,
            reference="Almuerzo",
            single_use=True,
            valid_until=None,
        )
    urls = {
        "admin:index": reverse("admin:index"),
        "admin:registrations": reverse("admin:accounts_registrationrequest_changelist"),
        "admin:registration": reverse(
            "admin:accounts_registrationrequest_change", args=[registration.pk]
        ),
        "admin:registration-approve": reverse(
            "admin:accounts_registrationrequest_approve", args=[registration.pk]
        ),
        "admin:users": reverse("admin:accounts_user_changelist"),
        "admin:users-locked": reverse("admin:accounts_user_changelist") + "?locked=yes",
        "admin:user": reverse("admin:accounts_user_change", args=[locked.pk]),
        "admin:cash": reverse("admin:ledger_account_cash", args=[account.pk]),
        "admin:rates": reverse("admin:ledger_exchangerate_changelist"),
        "admin:rate-add": reverse("admin:ledger_exchangerate_add"),
        "admin:fee-bands": reverse("admin:transfers_feeband_changelist"),
        "admin:fee-band": reverse(
            "admin:transfers_feeband_change", args=[FeeBand.objects.order_by("pk").first().pk]
        ),
        # The read-only trails: audit events (every event named in Spanish) and QR codes.
        "admin:audit-events": reverse("admin:audit_auditevent_changelist"),
        "admin:qr-codes": reverse("admin:transfers_qrcode_changelist"),
    }
    # Each kind of audit event a clerk may open here, with its old/new values.
    for event in AuditEvent.objects.order_by("event", "pk").distinct("event"):
        urls[f"admin:audit-event({event.event})"] = reverse(
            "admin:audit_auditevent_change", args=[event.pk]
        )
    for code in QrCode.objects.order_by("pk")[:2]:
        urls[f"admin:qr-code({code.pk})"] = reverse("admin:transfers_qrcode_change", args=[code.pk])
    for name, url in urls.items():
        pages[name] = _html(client.get(url))
        assert pages[name], (name, url)
    # Staff forms sent empty: their errors must be Spanish too.
    pages["admin:cash(errors)"] = client.post(urls["admin:cash"], {}).content.decode()
    pages["admin:rate-add(errors)"] = client.post(urls["admin:rate-add"], {}).content.decode()
    return pages


def emails() -> dict[str, str]:
    """Every outbox row written so far: subject and text (and HTML, read as text)."""
    from outbox.models import OutboxMessage

    out = {}
    for message in OutboxMessage.objects.order_by("pk"):
        html_text = read(message.body_html).visible if message.body_html else ""
        out[f"outbox#{message.pk} {message.subject}"] = "\n".join(
            [message.subject, message.body_text, html_text]
        )
    return out


def rendered_email_templates(owner: dict) -> dict[str, str]:
    """Each email template under ``*/templates/**/email*/`` rendered with a realistic context
    (the flows above do not send all of them)."""
    from pathlib import Path

    from accounts.models import RegistrationRequest
    from transfers.models import MemberDailyLimit, Transfer

    account, transfer, product, loan, payment, _session, *_rest = owner["objects"]
    user = owner["user"]
    registration = RegistrationRequest(
        first_names="María Elena",
        last_names="Pérez Quispe",
        username="maria.perez",
        rejection_reason="Los datos no coinciden con los de la cooperativa.",
    )
    limit = MemberDailyLimit(pending_effective_at=timezone.now())
    rejected = Transfer.objects.filter(pk=transfer.pk).select_related("source_account").get()
    context = {
        "user": user,
        "member": user.member,
        "registration": registration,
        "link": "https://progresonet.example/enlace/abc/",
        "site_url": "https://progresonet.example",
        "document": "CI 4871236 LP",
        "member_name": "María Elena Pérez Quispe",
        "requested_at": timezone.now(),
        "code": "482613",
        "change": "Cambio de PIN",
        "until": timezone.now(),
        "new_email": "nuevo@example.com",
        "product": product,
        "payment": payment,
        "loan": loan,
        "transfer": rejected,
        "reason": "Cuenta inexistente",
        "ttl_hours": 48,
        "sender": "Dueña Del Dato",
        "amount": Decimal("1500.5"),
        "date": timezone.now(),
        "label": "A otros bancos",
        "limit": limit,
        "raising": True,
        "total": "Bs 1.000,00",
        "principal": "Bs 900,00",
        "interest": "Bs 90,00",
        "penalty": "Bs 10,00",
        "balance": "Bs 4.100,00",
    }
    root = Path(__file__).resolve().parents[2]
    out = {}
    for path in sorted(root.glob("*/templates/**/email*/*")):
        if path.suffix not in (".txt", ".html"):
            continue
        name = "/".join(path.parts[path.parts.index("templates") + 1 :])
        text = render_to_string(name, context)
        out[name] = read(text).visible if path.suffix == ".html" else text
    return out


MONEY_TOKEN = re.compile(r"(?:Bs\.?|\$us|USD|BOB|US\$)\s*(-?\d[\d.,]*\d|\d)")
GUIDE_AMOUNT = re.compile(r"-?\d{1,3}(?:\.\d{3})*,\d{2}")
