"""Demo data for ``make run`` and for trying the portal: idempotent, built through services.

Every credential here is development data and is listed in README.md. Running the loader
again changes nothing: members, users and accounts are looked up by their natural keys and an
account's history is posted only when the account is first created.

Never in production: its users have published passwords and PINs and its staff user is a
superuser, so :func:`demo_load` refuses (writing nothing) when ``settings.PRODUCTION`` is set.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from accounts.models import Member, User
from accounts.services.pin import pin_set
from ledger import services as ledger_services
from ledger.models import Account, Holder

DEMO_PASSWORD = "Progreso2026"
STAFF_USERNAME = "auxiliar"
STAFF_DEVICE_NAME = "Aplicación autenticadora de la oficina"
STAFF_PASSWORD = "Auxiliar2026"
STAFF_GROUP = "Auxiliar de Atención al Socio"
# Development-only secrets, documented in docs/security.md (README): the clerk's authenticator
# key (RFC 6238's test key "12345678901234567890", base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ)
# and the demo members' transaction PIN.
STAFF_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_PIN = "7392"

# Permissions the branch clerk group holds; later features append theirs here.
STAFF_PERMISSIONS = [
    ("accounts", "view_member"),
    ("accounts", "view_user"),  # read-only: users are edited by a superuser (accounts.admin)
    ("audit", "view_auditevent"),
    ("ledger", "view_account"),
    ("ledger", "post_cash"),
    ("ledger", "view_holder"),
    ("ledger", "view_posting"),
    ("ledger", "view_postingline"),
    ("ledger", "view_exchangerate"),
    ("ledger", "change_exchangerate"),
    ("ledger", "add_exchangerate"),
    # Four eyes on a rate move beyond the threshold: any other clerk approves (ledger.rates).
    ("ledger", "approve_exchangerate"),
    ("beneficiaries", "view_bank"),
    ("beneficiaries", "change_bank"),
    ("beneficiaries", "add_bank"),
    ("transfers", "view_transfer"),
    ("transfers", "view_interbankorder"),
    ("transfers", "view_qrcode"),  # read-only (transfers.qr.admin): a member asks about a code
    ("transfers", "view_feeband"),
    ("transfers", "change_feeband"),
    ("transfers", "add_feeband"),
    ("transfers", "delete_feeband"),  # removing a band merges it (transfers.fees)
    ("transfers", "view_dailylimit"),
    ("transfers", "change_dailylimit"),
    ("accounts", "unlock_user"),
    ("accounts", "unlock_transactionpin"),
    ("accounts", "view_signinattempt"),
    ("beneficiaries", "view_thirdpartyproduct"),
    ("accounts", "view_registrationrequest"),
    ("accounts", "approve_registrationrequest"),
    ("loans", "view_loan"),
    ("loans", "add_loan"),
    ("loans", "change_loan"),
    ("loans", "view_instalment"),
    ("loans", "view_loanpayment"),
]


@dataclass
class DemoAccount:
    number: str
    currency: str
    product_type: str = Account.ProductType.SAVINGS
    holder_mode: str = Account.HolderMode.INDIVIDUAL
    opening: Decimal = Decimal("0")
    co_holders: list[str] = field(default_factory=list)  # document numbers


@dataclass
class DemoMember:
    kind: str
    document_number: str
    names: tuple[str, str]  # (first names, last names) or (business name, "")
    email: str
    username: str | None
    accounts: list[DemoAccount]
    issued_in: str = "LP"
    phone: str = ""
    address: str = ""


MEMBERS = [
    DemoMember(
        kind=Member.Kind.PERSON,
        document_number="4871236",
        names=("María Elena", "Pérez Quispe"),
        email="maria.perez@example.com",
        username="mperez",
        phone="71234567",
        address="Av. 6 de Agosto 2150, La Paz",
        accounts=[
            DemoAccount("1011000136", "BOB", opening=Decimal("15250.00")),
            DemoAccount("2011000393", "USD", opening=Decimal("1830.00")),
            DemoAccount(
                "1011000079",
                "BOB",
                holder_mode=Account.HolderMode.ALTERNA,
                opening=Decimal("4200.00"),
                co_holders=["5123987"],
            ),
        ],
    ),
    DemoMember(
        kind=Member.Kind.PERSON,
        document_number="5123987",
        names=("Juan Carlos", "Gómez Mamani"),
        email="juan.gomez@example.com",
        username="jgomez",
        issued_in="CB",
        phone="76543210",
        address="Calle Jordán 345, Cochabamba",
        accounts=[
            DemoAccount("1011000245", "BOB", opening=Decimal("8900.00")),
            DemoAccount(
                "1011000512",
                "BOB",
                holder_mode=Account.HolderMode.CONJUNTA,
                opening=Decimal("20000.00"),
                co_holders=["4871236"],
            ),
        ],
    ),
    DemoMember(
        kind=Member.Kind.COMPANY,
        document_number="1020304025",
        names=("Consultora Andina S.R.L.", ""),
        email="finanzas@consultora-andina.example.com",
        username="candina",
        issued_in="",
        phone="22445566",
        address="Calle Loayza 233, La Paz",
        accounts=[
            DemoAccount(
                "1011000538",
                "BOB",
                product_type=Account.ProductType.CHECKING,
                opening=Decimal("85000.00"),
            ),
            DemoAccount("2011000671", "USD", opening=Decimal("12500.00")),
        ],
    ),
    # A member of the cooperative who has not registered for web banking: try registration.
    DemoMember(
        kind=Member.Kind.PERSON,
        document_number="3344556",
        names=("Silvia", "Ferrufino Fernández"),
        email="silvia.ferrufino@example.com",
        username=None,
        phone="70011223",
        address="Av. Busch 1020, La Paz",
        accounts=[DemoAccount("1011000784", "BOB", opening=Decimal("3100.00"))],
    ),
]

HISTORY_DAYS = 90
DESCRIPTIONS_IN = ["Depósito en ventanilla", "Abono de sueldo", "Depósito en efectivo"]
DESCRIPTIONS_OUT = ["Retiro en ventanilla", "Retiro en efectivo", "Pago de servicios"]


def _member(spec: DemoMember) -> Member:
    if spec.kind == Member.Kind.COMPANY:
        names = {"business_name": spec.names[0]}
        document_type = Member.DocumentType.NIT
    else:
        names = {"first_names": spec.names[0], "last_names": spec.names[1]}
        document_type = Member.DocumentType.CI
    member, _ = Member.objects.get_or_create(
        document_type=document_type,
        document_number=spec.document_number,
        defaults={
            "kind": spec.kind,
            "document_issued_in": spec.issued_in,
            "email": spec.email,
            "mobile_phone": spec.phone,
            "address": spec.address,
            **names,
        },
    )
    return member


def _history(account: Account, opening: Decimal, rng: random.Random) -> None:
    """Post an opening deposit and a few months of movements, oldest first."""
    start = timezone.now() - timedelta(days=HISTORY_DAYS)
    ledger_services.cash_deposit(
        account=account, amount=opening, description="Apertura de cuenta", booked_at=start
    )
    balance = opening
    day = start
    while True:
        day += timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
        if day >= timezone.now() - timedelta(hours=1):
            break
        if rng.random() < 0.55 or balance < 200:
            amount = Decimal(rng.randint(100, 3000)) + Decimal(rng.randint(0, 99)) / 100
            ledger_services.cash_deposit(
                account=account,
                amount=amount,
                description=rng.choice(DESCRIPTIONS_IN),
                booked_at=day,
            )
            balance += amount
        else:
            amount = min(balance / 3, Decimal(rng.randint(50, 1500))).quantize(Decimal("0.01"))
            ledger_services.cash_withdrawal(
                account=account,
                amount=amount,
                description=rng.choice(DESCRIPTIONS_OUT),
                booked_at=day,
            )
            balance -= amount


def _staff() -> User:
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    for app_label, codename in STAFF_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    staff, created = User.objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={"first_name": "Ana", "last_name": "Auxiliar", "is_staff": True},
    )
    if created:
        staff.set_password(STAFF_PASSWORD)
        staff.save(update_fields=["password"])
    staff.groups.add(group)
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Spanish, as clerks read it in the admin (an older load named it "Demo": renamed).
    TOTPDevice.objects.filter(user=staff, name="Demo").update(name=STAFF_DEVICE_NAME)
    TOTPDevice.objects.get_or_create(
        user=staff,
        name=STAFF_DEVICE_NAME,
        defaults={"key": STAFF_TOTP_KEY_HEX, "confirmed": True},
    )
    return staff


def _beneficiaries(members: dict[str, Member]) -> None:
    """mperez's registered third-party products, as the guide's screenshots show them.

    Registered through the services with fixed idempotency keys, so a second run finds them.
    """
    from accounts.signing import signature_issue
    from beneficiaries import services as beneficiary_services
    from beneficiaries.events import BeneficiaryPurpose
    from beneficiaries.models import Bank

    owner = members["4871236"]
    user = User.objects.get(member=owner)
    other_bank_fields = {
        "bank_id": Bank.objects.get(code="BUN").pk,
        "product_type": "checking",
        "currency": "BOB",
        "number": "0100123456",
        "holder_name": "Consultora Silvia",
        "document_type": "NIT",
        "document_number": "1023456027",
        "alias": "Sara",
        "email": "pagos@consultora-silvia.example.com",
    }
    registrations = [
        (
            beneficiary_services.beneficiary_register_member,
            beneficiary_services.beneficiary_register_member_fingerprint,
            "demo-mperez-jgomez",
            {"number": "1011000245", "alias": "Juan Carlos", "email": ""},  # jgomez's
        ),
        (
            beneficiary_services.beneficiary_register_other_bank,
            beneficiary_services.beneficiary_register_other_bank_fingerprint,
            "demo-mperez-sara",
            other_bank_fields,
        ),
    ]
    for register, fingerprint, idempotency_key, fields in registrations:
        # The services require mperez's signature; the loader is trusted code with no PIN to
        # type (her PIN may have been changed since the first run), so it issues the receipt.
        signature = signature_issue(
            user=user,
            summary=fields,
            purpose=BeneficiaryPurpose.REGISTER,
            fingerprint=fingerprint(owner=owner, **fields),
        )
        register(
            owner=owner, actor=user, signature=signature, idempotency_key=idempotency_key, **fields
        )


class DemoRefused(Exception):
    """The demo data must not be loaded here (production settings)."""


def demo_load() -> dict[str, int]:
    """Create what is missing; return how many members and accounts were created."""
    if settings.PRODUCTION:
        # Before the transaction opens: nothing touches the database.
        raise DemoRefused(
            "demo_load refuses to run under production settings "
            f"({settings.SETTINGS_MODULE}): the demo users' passwords and PINs are public."
        )
    return _demo_create()


@transaction.atomic
def _demo_create() -> dict[str, int]:
    rng = random.Random(20261126)  # noqa: S311 - deterministic demo data, not security
    created = {"members": 0, "accounts": 0}
    _staff()
    members = {}
    for spec in MEMBERS:
        before = Member.objects.count()
        member = _member(spec)
        created["members"] += Member.objects.count() - before
        members[spec.document_number] = member
        if spec.username:
            user, new_user = User.objects.get_or_create(
                username=spec.username,
                defaults={
                    "member": member,
                    "email": spec.email,
                    "first_name": spec.names[0] if spec.kind == Member.Kind.PERSON else "",
                    "last_name": spec.names[1],
                },
            )
            if new_user:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                pin_set(user=user, pin=DEMO_PIN, notify=False)
    for spec in MEMBERS:
        owner = members[spec.document_number]
        for acc in spec.accounts:
            account, new_account = Account.objects.get_or_create(
                number=acc.number,
                defaults={
                    "kind": Account.Kind.MEMBER,
                    "product_type": acc.product_type,
                    "holder_mode": acc.holder_mode,
                    "currency": acc.currency,
                },
            )
            Holder.objects.get_or_create(
                account=account, member=owner, defaults={"role": Holder.Role.OWNER}
            )
            for document in acc.co_holders:
                Holder.objects.get_or_create(
                    account=account,
                    member=members[document],
                    defaults={"role": Holder.Role.CO_OWNER},
                )
            if new_account:
                created["accounts"] += 1
                _history(account, acc.opening, rng)
    _beneficiaries(members)
    _loans(members)
    return created


# (document number, account number, product, principal, annual %, term, days ago disbursed).
# mperez's loan was disbursed 40 days ago, so instalment 1 is ten days overdue; candina's
# 20 days ago, so nothing is due yet.
DEMO_LOANS = [
    ("4871236", "1011000136", "Crédito de consumo", Decimal("12000.00"), Decimal("14"), 12, 40),
    ("1020304025", "2011000671", "Crédito comercial", Decimal("20000.00"), Decimal("10"), 24, 20),
]


def _loans(members: dict[str, Member]) -> None:
    """Disburse the demo loans through the loans service, once (looked up by product)."""
    from loans.models import Loan
    from loans.services import loan_create_and_disburse

    for document, number, product, principal, rate, term, days_ago in DEMO_LOANS:
        member = members[document]
        if Loan.objects.filter(member=member, product_name=product).exists():
            continue
        account = Account.objects.get(number=number)
        loan_create_and_disburse(
            actor=None,
            member=member,
            account=account,
            product_name=product,
            currency=account.currency,
            principal=principal,
            annual_rate=rate,
            term=term,
            disbursement_date=timezone.localdate() - timedelta(days=days_ago),
            penalty_rate=Decimal("6"),
        )
