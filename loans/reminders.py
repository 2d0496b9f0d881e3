"""Loan notices ("Avisos"): the disbursement, and the daily instalment reminders — due in
:data:`DUE_SOON_DAYS` days and overdue — written once per instalment and kind (the notice's
``once_key``), so a re-run or a second beat process writes nothing twice."""

from datetime import date, timedelta

from django.db import transaction

from accounts.models import User
from ledger.money import format_money
from notices.models import NoticeKind
from notices.services import notice_create

from .models import Instalment, InstalmentStatus, Loan

DUE_SOON_DAYS = 3
# An instalment overdue for longer than this when the job first sees it (e.g. data loaded
# before notices existed) gets no "overdue" notice: the member already knows from the branch.
OVERDUE_LOOKBACK_DAYS = 30
UNPAID = [InstalmentStatus.PENDING, InstalmentStatus.OVERDUE, InstalmentStatus.PARTIALLY_PAID]


def _users(member_id: int) -> list[int]:
    return list(
        User.objects.filter(member_id=member_id, is_active=True).values_list("pk", flat=True)
    )


def loan_disbursed_notify(*, loan: Loan) -> None:
    """Call in the disbursement's transaction."""
    for user_id in _users(loan.member_id):
        notice_create(
            user_id=user_id,
            kind=NoticeKind.LOAN_DISBURSED,
            context={
                "loan": loan.number,
                "amount": format_money(loan.principal, loan.currency),
                "account": loan.account.number,
            },
            link=f"/prestamos/{loan.pk}/",
        )


def _remind(*, instalment: Instalment, kind: str, key: str) -> int:
    loan = instalment.loan
    sent = 0
    for user_id in _users(loan.member_id):
        made = notice_create(
            user_id=user_id,
            kind=kind,
            context={
                "number": instalment.number,
                "loan": loan.number,
                "amount": format_money(instalment.amount, loan.currency),
                "date": instalment.due_date.strftime("%d/%m/%Y"),
            },
            link=f"/prestamos/{loan.pk}/",
            once_key=f"instalment:{instalment.pk}:{key}",
        )
        sent += made is not None
    return sent


def instalment_reminders_send(*, as_of: date) -> int:
    """The daily job: returns how many notices it wrote."""
    sent = 0
    unpaid = Instalment.objects.filter(status__in=UNPAID).select_related("loan")
    soon = unpaid.filter(due_date__gt=as_of, due_date__lte=as_of + timedelta(days=DUE_SOON_DAYS))
    late = unpaid.filter(
        due_date__lt=as_of, due_date__gte=as_of - timedelta(days=OVERDUE_LOOKBACK_DAYS)
    )
    for instalment in soon.iterator():
        with transaction.atomic():
            sent += _remind(instalment=instalment, kind=NoticeKind.INSTALMENT_DUE, key="due")
    for instalment in late.iterator():
        with transaction.atomic():
            sent += _remind(
                instalment=instalment, kind=NoticeKind.INSTALMENT_OVERDUE, key="overdue"
            )
    return sent
