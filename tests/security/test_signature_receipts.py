"""The signature belongs to the service: every member-facing path to the money (and to who can
receive it, and to the limits) refuses without the member's own, fresh, unused PIN receipt
over the service's own fingerprint — whatever the caller (view, wizard, script) did or forgot.

Two halves:

1. **Coverage, by introspection.** An AST call graph over the services modules finds every
   public function that can reach ``ledger.services.posting_create`` or write a third-party
   product or a personal limit. Each must be in :data:`REGISTRY` (member-facing, exercised
   below) or in :data:`NOT_MEMBER_FACING` (staff or system, with the reason). A service added
   later without a receipt fails here. No view module may post to the ledger itself or issue
   receipts without a PIN.
2. **Refusals.** For every registry entry: a missing, foreign (another user's), reused, stale
   or mismatched (signed over a different amount or payee) receipt is refused with the
   service's Spanish message and nothing written (no transfer, no posting, balances, products
   and limits unchanged, no audit row or email); the right receipt succeeds, and the money
   services are seen to reach ``posting_create`` (a spy), so the walk is real.

Plus a race: two threads spending one receipt — one transfer.
"""

import ast
import importlib
import inspect
import re
import textwrap
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone, translation

from accounts.models import SignatureGrant
from accounts.signing import SignatureReceipt, signature_ttl
from audit.models import AuditEvent
from beneficiaries import services as beneficiary_services
from beneficiaries.events import BeneficiaryPurpose
from beneficiaries.models import Bank, ThirdPartyProduct
from ledger.models import Account, Posting
from loans import services as loan_services
from loans.events import LoanPurpose
from loans.exceptions import LoanError
from loans.models import LoanPayment
from outbox.models import OutboxMessage
from tests.factories import (
    make_account,
    make_member,
    make_user,
    signed,
    signed_beneficiary_register_member,
    signed_transfer_execute,
)
from tests.loans.helpers import make_loan
from transfers import limits as limit_services
from transfers import services as transfer_services
from transfers.events import TransferPurpose
from transfers.exceptions import TransferError
from transfers.models import CoSignature, MemberDailyLimit, Transfer, TransferStatus, TransferType
from transfers.services import TransferOrder, transfer_prepare

ROOT = Path(__file__).resolve().parents[2]

# The modules whose public functions are member-facing services (or staff/system ones).
SERVICE_MODULES = [
    "transfers.services",
    "transfers.limits",
    "transfers.interbank",
    "transfers.scheduled",
    # Issuing and revoking a QR code move no money; paying one is transfer_execute (which
    # claims the code): walked so that a QR service that posts would be caught.
    "transfers.qr.services",
    "loans.services",
    "beneficiaries.services",
]
# Modules the call graph follows into (sinks live here).
GRAPH_MODULES = [*SERVICE_MODULES, "ledger.services"]
POSTING_SINK = ("ledger.services", "posting_create")
# A write to who can receive money, or to a limit, inside one function's own source.
WRITE_SINKS = [
    re.compile(r"ThirdPartyProduct\.objects\.(create|filter\([^)]*\)\s*\.update)\(", re.S),
    re.compile(r"MemberDailyLimit\((.|\n)*?\.save\(", re.S),
]

NOT_MEMBER_FACING = {
    "loans.services.loan_create_and_disburse": "staff: disbursement from the admin",
    "transfers.interbank.interbank_order_process": "system: settlement/rejection reversal",
    "transfers.interbank.interbank_process_due": "system: the due-orders job",
    # The member signed the whole standing order once (transfers.scheduled.scheduled_create
    # consumes a "transfer.schedule" receipt over the order and its schedule); each date then
    # runs on that stored signature, through the same checks as a one-off transfer.
    "transfers.scheduled.scheduled_run_next": "system: a signed standing order's due date",
    "transfers.scheduled.scheduled_run_due": "system: the scheduled-transfers job",
}


# -- 1. Coverage by introspection -----------------------------------------------------------


def _functions(module_name: str) -> dict[str, Any]:
    module = importlib.import_module(module_name)
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isfunction(obj) and obj.__module__ == module_name
    }


def _calls(module_name: str, func) -> set[tuple[str, str]]:
    """(module, name) of every project function ``func`` (nested defs and lambdas included)
    calls, resolved through the module's globals and the function's own imports."""
    module = importlib.import_module(module_name)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    local_imports: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local_imports[alias.asname or alias.name] = (node.module, alias.name)
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name):
            if target.id in local_imports:
                found.add(local_imports[target.id])
                continue
            obj = getattr(module, target.id, None)
            if inspect.isfunction(obj):
                found.add((obj.__module__, obj.__name__))
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            owner = getattr(module, target.value.id, None)
            if inspect.ismodule(owner):
                found.add((owner.__name__, target.attr))
    return found


def _dangerous() -> set[str]:
    """Every function in the graph that can post or change a beneficiary or a limit."""
    graph: dict[tuple[str, str], set[tuple[str, str]]] = {}
    danger: set[tuple[str, str]] = {POSTING_SINK}
    for module_name in GRAPH_MODULES:
        for name, func in _functions(module_name).items():
            graph[(module_name, name)] = _calls(module_name, func)
            source = inspect.getsource(func)
            if any(pattern.search(source) for pattern in WRITE_SINKS):
                danger.add((module_name, name))
    changed = True
    while changed:
        changed = False
        for node, callees in graph.items():
            if node not in danger and callees & danger:
                danger.add(node)
                changed = True
    return {
        f"{module}.{name}"
        for module, name in danger
        if module in SERVICE_MODULES and not name.startswith("_")
    }


def test_every_service_that_moves_money_or_payees_takes_a_receipt():
    dangerous = _dangerous()
    # The analysis sees what it must (it is not vacuous)…
    assert set(REGISTRY) <= dangerous, set(REGISTRY) - dangerous
    assert set(NOT_MEMBER_FACING) <= dangerous, set(NOT_MEMBER_FACING) - dangerous
    # …and nothing it sees is left out.
    unlisted = dangerous - set(REGISTRY) - set(NOT_MEMBER_FACING)
    assert not unlisted, f"member-facing without a signature receipt? {sorted(unlisted)}"
    for dotted in REGISTRY:
        module_name, name = dotted.rsplit(".", 1)
        parameter = inspect.signature(_functions(module_name)[name]).parameters["signature"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, dotted
        assert parameter.default is inspect.Parameter.empty, f"{dotted}: signature is optional"


def _project_sources(pattern: str):
    for path in ROOT.glob(pattern):
        if ".venv" not in path.parts and "tests" not in path.parts:
            yield path, path.read_text()


def test_no_view_posts_to_the_ledger_or_issues_receipts_itself():
    ledger_writes = re.compile(r"\b(posting_create|posting_reverse|cash_deposit|cash_withdrawal)\b")
    for path, source in [*_project_sources("*/views.py"), *_project_sources("*/*_views.py")]:
        assert not ledger_writes.search(source), f"{path} writes to the ledger directly"
        assert "signature_issue" not in source, f"{path} makes receipts without a PIN"


# -- 2. Refusals ------------------------------------------------------------------------------


@dataclass
class Case:
    """One member-facing service, set up to run once."""

    user: Any
    purpose: str
    fingerprint: str
    wrong_fingerprint: str  # the same service over a different amount or payee
    run: Callable[..., Any]  # run(signature, key) -> result
    posts: bool


def _third_party_transfer(*, register: bool = False) -> Case:
    user = make_user(member=make_member())
    source = make_account(member=user.member, balance="1000")
    payee = make_account(member=make_member())
    other_payee = make_account(member=make_member())

    def order_for(amount="100.00", account=payee):
        return TransferOrder(
            transfer_type=TransferType.THIRD_PARTY,
            source_account_id=source.pk,
            destination_account_id=account.pk,
            currency="BOB",
            amount=Decimal(amount),
            description="Alquiler",
            register_alias="Casero" if register else "",
        )

    def fingerprint_of(order):
        quote = transfer_prepare(user=user, order=order)
        return transfer_services.transfer_signing_fingerprint(
            order=order, expected_fingerprint=quote.fingerprint()
        )

    order = order_for()
    expected = transfer_prepare(user=user, order=order).fingerprint()
    return Case(
        user=user,
        purpose=TransferPurpose.EXECUTE,
        fingerprint=fingerprint_of(order),
        wrong_fingerprint=fingerprint_of(order_for("100.01", other_payee if register else payee)),
        run=lambda signature, key: transfer_services.transfer_execute(
            user=user,
            order=order,
            expected_fingerprint=expected,
            idempotency_key=key,
            signature=signature,
        ),
        posts=True,
    )


def _cosign() -> Case:
    initiator = make_user(member=make_member())
    co_holder = make_user(member=make_member())
    joint = make_account(
        member=initiator.member,
        holder_mode=Account.HolderMode.CONJUNTA,
        co_holders=(co_holder.member,),
        balance="1000",
    )
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=joint.pk,
        destination_account_id=make_account(member=initiator.member).pk,
        currency="BOB",
        amount=Decimal("300.00"),
        description="Compra",
    )
    pending = signed_transfer_execute(
        user=initiator,
        order=order,
        expected_fingerprint=transfer_prepare(user=initiator, order=order).fingerprint(),
        idempotency_key=uuid.uuid4().hex,
    )
    assert pending.status == TransferStatus.PENDING_COSIGN
    return Case(
        user=co_holder,
        purpose=TransferPurpose.COSIGN,
        fingerprint=transfer_services.transfer_cosign_fingerprint(transfer=pending, approve=True),
        # Signed for another transfer (another amount and payee) of the same accounts.
        wrong_fingerprint=transfer_services.transfer_cosign_fingerprint(
            transfer=Transfer(pk=pending.pk + 1000, signed_fingerprint=pending.signed_fingerprint),
            approve=True,
        ),
        run=lambda signature, key: transfer_services.transfer_cosign(
            user=co_holder, transfer_id=pending.pk, approve=True, signature=signature
        ),
        posts=True,
    )


def _loan_pay() -> Case:
    user = make_user(member=make_member())
    loan = make_loan(member=user.member)
    first = loan.instalments.get(number=1)

    def fingerprint(**selection):
        return loan_services.loan_pay_fingerprint(
            loan_id=loan.pk, source_account_id=loan.account_id, **selection
        )

    return Case(
        user=user,
        purpose=LoanPurpose.PAY,
        fingerprint=fingerprint(instalment_ids=[first.pk]),
        wrong_fingerprint=fingerprint(amount=Decimal("5000.00")),
        run=lambda signature, key: loan_services.loan_pay(
            user=user,
            loan=loan,
            source_account=loan.account,
            idempotency_key=key,
            instalment_ids=[first.pk],
            signature=signature,
        ),
        posts=True,
    )


def _register_member() -> Case:
    user = make_user(member=make_member())
    payee = make_account(member=make_member())
    other = make_account(member=make_member())

    def fingerprint(number):
        return beneficiary_services.beneficiary_register_member_fingerprint(
            owner=user.member, number=number, alias="Vecino", email=""
        )

    return Case(
        user=user,
        purpose=BeneficiaryPurpose.REGISTER,
        fingerprint=fingerprint(payee.number),
        wrong_fingerprint=fingerprint(other.number),
        run=lambda signature, key: beneficiary_services.beneficiary_register_member(
            owner=user.member,
            actor=user,
            number=payee.number,
            alias="Vecino",
            idempotency_key=key,
            signature=signature,
        ),
        posts=False,
    )


def _register_other_bank() -> Case:
    user = make_user(member=make_member())
    fields = {
        "bank_id": Bank.objects.get(code="BUN").pk,
        "product_type": "savings",
        "currency": "BOB",
        "number": "0100123456",
        "holder_name": "Consultora Silvia",
        "document_type": "NIT",
        "document_number": "1023456027",
        "alias": "Sara",
        "email": "",
    }
    fingerprint = beneficiary_services.beneficiary_register_other_bank_fingerprint
    return Case(
        user=user,
        purpose=BeneficiaryPurpose.REGISTER,
        fingerprint=fingerprint(owner=user.member, **fields),
        wrong_fingerprint=fingerprint(owner=user.member, **{**fields, "number": "0100999999"}),
        run=lambda signature, key: beneficiary_services.beneficiary_register_other_bank(
            owner=user.member, actor=user, idempotency_key=key, signature=signature, **fields
        ),
        posts=False,
    )


def _registered_product():
    user = make_user(member=make_member())
    product = signed_beneficiary_register_member(
        owner=user.member,
        actor=user,
        number=make_account(member=make_member()).number,
        alias="Vecino",
    )
    return user, product


def _update() -> Case:
    user, product = _registered_product()
    fingerprint = beneficiary_services.beneficiary_update_fingerprint
    return Case(
        user=user,
        purpose=BeneficiaryPurpose.UPDATE,
        fingerprint=fingerprint(product_id=product.pk, alias="Vecino", email="a@example.com"),
        wrong_fingerprint=fingerprint(product_id=product.pk, alias="Vecino", email="x@evil.test"),
        run=lambda signature, key: beneficiary_services.beneficiary_update(
            product=product,
            actor=user,
            alias="Vecino",
            email="a@example.com",
            signature=signature,
        ),
        posts=False,
    )


def _delete() -> Case:
    user, product = _registered_product()
    _, other = _registered_product()
    fingerprint = beneficiary_services.beneficiary_delete_fingerprint
    return Case(
        user=user,
        purpose=BeneficiaryPurpose.DELETE,
        fingerprint=fingerprint(product_id=product.pk),
        wrong_fingerprint=fingerprint(product_id=other.pk),
        run=lambda signature, key: beneficiary_services.beneficiary_delete(
            product=product, actor=user, signature=signature
        ),
        posts=False,
    )


def _limit_raise() -> Case:
    user = make_user(member=make_member())
    limit_services.member_limit_set(
        user=user, transfer_type="own", amount_bob=Decimal("500.00"), signature=None
    )
    fingerprint = limit_services.member_limit_fingerprint
    return Case(
        user=user,
        purpose=TransferPurpose.LIMIT_SET,
        fingerprint=fingerprint(transfer_type="own", amount_bob=Decimal("2000.00")),
        wrong_fingerprint=fingerprint(transfer_type="own", amount_bob=Decimal("900.00")),
        run=lambda signature, key: limit_services.member_limit_set(
            user=user, transfer_type="own", amount_bob=Decimal("2000.00"), signature=signature
        ),
        posts=False,
    )


REGISTRY: dict[str, Callable[[], Case]] = {
    "transfers.services.transfer_execute": _third_party_transfer,
    "transfers.services.transfer_cosign": _cosign,
    "loans.services.loan_pay": _loan_pay,
    "beneficiaries.services.beneficiary_register_member": _register_member,
    "beneficiaries.services.beneficiary_register_other_bank": _register_other_bank,
    "beneficiaries.services.beneficiary_update": _update,
    "beneficiaries.services.beneficiary_delete": _delete,
    "transfers.limits.member_limit_set": _limit_raise,
}
# More paths into the same services that the registry's one setup each would not walk.
EXTRA_CASES: dict[str, Callable[[], Case]] = {
    "transfer_execute+registrar_socio": lambda: _third_party_transfer(register=True),
}
CASES = {**REGISTRY, **EXTRA_CASES}
REFUSED = (TransferError, LoanError, ValidationError)


def _state() -> dict[str, Any]:
    """Everything a refused call must leave as it was (the signing audit row excepted)."""
    return {
        "transfers": list(Transfer.objects.order_by("pk").values_list("pk", "status")),
        "cosignatures": list(CoSignature.objects.order_by("pk").values_list("pk", "decision")),
        "postings": Posting.objects.count(),
        "balances": list(Account.objects.order_by("pk").values_list("pk", "balance")),
        "products": list(
            ThirdPartyProduct.objects.order_by("pk").values_list(
                "pk", "alias", "email", "deleted_at"
            )
        ),
        "limits": list(
            MemberDailyLimit.objects.order_by("pk").values_list(
                "pk", "amount_bob", "pending_amount_bob"
            )
        ),
        "loan_payments": LoanPayment.objects.count(),
        "grants_used": SignatureGrant.objects.filter(used_at__isnull=False).count(),
        "audit": AuditEvent.objects.exclude(event="signature.verified").count(),
        "outbox": OutboxMessage.objects.count(),
    }


@pytest.fixture
def posting_spy(monkeypatch):
    """Records every call of posting_create, whichever name a module imported it under."""
    from ledger import services as ledger_services

    calls = []
    original = ledger_services.posting_create

    def spy(*args, **kwargs):
        calls.append(kwargs.get("kind"))
        return original(*args, **kwargs)

    for module_name in GRAPH_MODULES:
        module = importlib.import_module(module_name)
        if getattr(module, "posting_create", None) is original:
            monkeypatch.setattr(module, "posting_create", spy)
    return calls


def _message(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else exc.message


VARIANTS = {
    # variant: (how the receipt is made, what the member is told)
    "missing": "requiere su firma",
    "foreign": "no corresponde",
    "reused": "ya fue utilizada",
    "stale": "expiró",
    "mismatched": "no corresponde",
    "forged": "no corresponde",
}


@pytest.mark.django_db
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_receipt_is_refused_and_writes_nothing(name, variant, posting_spy):
    case = CASES[name]()
    if variant == "missing":
        signature = None
    elif variant == "foreign":
        stranger = make_user(member=make_member())
        signature = signed(stranger, purpose=case.purpose, fingerprint=case.fingerprint)
    elif variant == "reused":
        signature = signed(case.user, purpose=case.purpose, fingerprint=case.fingerprint)
        case.run(signature, uuid.uuid4().hex)  # its one use
    elif variant == "stale":
        signature = signed(case.user, purpose=case.purpose, fingerprint=case.fingerprint)
        SignatureGrant.objects.filter(pk=signature.grant_id).update(
            created_at=F("created_at") - signature_ttl() - timedelta(seconds=1)
        )
    elif variant == "mismatched":
        signature = signed(case.user, purpose=case.purpose, fingerprint=case.wrong_fingerprint)
    else:  # a receipt built by hand, no grant written by a verified PIN behind it
        signature = SignatureReceipt(
            user_id=case.user.pk,
            signed_at=timezone.now(),
            summary={},
            digest="0" * 64,
            purpose=case.purpose,
            fingerprint=case.fingerprint,
            grant_id=uuid.uuid4(),
        )
    before = _state()
    posting_spy.clear()
    with translation.override("es"), pytest.raises(REFUSED) as refused:
        case.run(signature, uuid.uuid4().hex)
    expected = VARIANTS[variant]
    if variant == "missing" and name == "transfers.limits.member_limit_set":
        expected = "requiere su PIN"  # "Para subir un límite se requiere su PIN."
    assert expected in _message(refused.value)
    assert _state() == before
    assert posting_spy == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(CASES))
def test_the_right_receipt_is_accepted_once(name, posting_spy):
    case = CASES[name]()
    signature = signed(case.user, purpose=case.purpose, fingerprint=case.fingerprint)
    before = _state()
    case.run(signature, uuid.uuid4().hex)
    assert _state() != before
    assert bool(posting_spy) is case.posts  # the walk reached the ledger (or had no reason to)
    assert SignatureGrant.objects.get(pk=signature.grant_id).used_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_caller_that_lies_about_the_quote_is_refused():
    """A receipt over a Bs 100,01 quote, passed with that quote's fingerprint but an order of
    Bs 100,00: the signature matches what the caller claims, the service's own quote does
    not. (Transactional, as views run: the service's transaction rolls the use back too.)"""
    case = _third_party_transfer()
    user = case.user
    source = Account.objects.filter(holder_links__member=user.member).get()
    payee = Account.objects.exclude(pk=source.pk).filter(kind=Account.Kind.MEMBER).first()
    order = TransferOrder(
        transfer_type=TransferType.THIRD_PARTY,
        source_account_id=source.pk,
        destination_account_id=payee.pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Alquiler",
    )
    claimed = transfer_prepare(user=user, order=replace(order, amount=Decimal("100.01")))
    signature = signed(
        user,
        purpose=TransferPurpose.EXECUTE,
        fingerprint=transfer_services.transfer_signing_fingerprint(
            order=order, expected_fingerprint=claimed.fingerprint()
        ),
    )
    before = _state()
    with pytest.raises(TransferError):
        transfer_services.transfer_execute(
            user=user,
            order=order,
            expected_fingerprint=claimed.fingerprint(),
            idempotency_key="k",
            signature=signature,
        )
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_two_threads_spending_one_receipt_make_one_transfer():
    user = make_user(member=make_member())
    source = make_account(member=user.member, balance="1000")
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=source.pk,
        destination_account_id=make_account(member=user.member).pk,
        currency="BOB",
        amount=Decimal("100.00"),
        description="Ahorro",
    )
    expected = transfer_prepare(user=user, order=order).fingerprint()
    signature = signed(
        user,
        purpose=TransferPurpose.EXECUTE,
        fingerprint=transfer_services.transfer_signing_fingerprint(
            order=order, expected_fingerprint=expected
        ),
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def spend(index):
        try:
            barrier.wait(timeout=10)
            with translation.override("es"):
                outcomes.append(
                    transfer_services.transfer_execute(
                        user=user,
                        order=order,
                        expected_fingerprint=expected,
                        idempotency_key=f"tab-{index}",  # two tabs, not a double click
                        signature=signature,
                    )
                )
        except Exception as exc:  # noqa: BLE001 - the refusal is the expected outcome
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    transfers = [o for o in outcomes if isinstance(o, Transfer)]
    refusals = [o for o in outcomes if not isinstance(o, Transfer)]
    assert len(transfers) == 1, outcomes
    assert len(refusals) == 1 and isinstance(refusals[0], TransferError), outcomes
    assert "ya fue utilizada" in refusals[0].message
    assert Transfer.objects.count() == 1
    source.refresh_from_db()
    assert source.balance == Decimal("900.00")


# -- Staff: an authorisation, not a signature ---------------------------------------------------


@pytest.mark.django_db
def test_a_staff_cash_posting_checks_the_clerks_permission_in_the_service():
    from django.contrib.auth.models import Permission
    from django.core.exceptions import PermissionDenied

    from accounts.models import User
    from accounts.signing import StaffAuthorisation
    from ledger.services import cash_operation_staff

    clerk = make_user(is_staff=True)
    account = make_account(member=make_member())

    def deposit(user):
        return cash_operation_staff(
            authorisation=StaffAuthorisation(clerk=user, permission="ledger.post_cash"),
            account=account,
            operation="deposit",
            amount=Decimal("50.00"),
        )

    before = _state()
    with pytest.raises(PermissionDenied):
        deposit(clerk)  # staff, but without "Can post cash…"
    assert _state() == before
    clerk.user_permissions.add(Permission.objects.get(codename="post_cash"))
    clerk = User.objects.get(pk=clerk.pk)  # a fresh permission cache
    deposit(clerk)
    account.refresh_from_db()
    assert account.balance == Decimal("50.00")
    assert AuditEvent.objects.filter(event="ledger.cash_deposit", actor=clerk).count() == 1


@pytest.mark.django_db(transaction=True)  # autocommit, as a view runs
def test_the_pin_path_issues_the_grant_and_consume_needs_a_transaction():
    from django.db import transaction

    from accounts.services.pin import pin_set
    from accounts.signing import signature_consume, signature_verify

    user = make_user(member=make_member())
    pin_set(user=user, pin="7392", notify=False)
    receipt = signature_verify(
        user=user, pin="7392", summary={"Monto": "Bs 1,00"}, purpose="p", fingerprint="f"
    )
    grant = SignatureGrant.objects.get(pk=receipt.grant_id)
    assert (grant.user_id, grant.purpose, grant.fingerprint, grant.used_at) == (
        user.pk,
        "p",
        "f",
        None,
    )
    with pytest.raises(RuntimeError):  # a use outside the service's transaction
        signature_consume(signature=receipt, user=user, purpose="p", fingerprint="f")
    with transaction.atomic():
        signature_consume(signature=receipt, user=user, purpose="p", fingerprint="f")
    grant.refresh_from_db()
    assert grant.used_at is not None
