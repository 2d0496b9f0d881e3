"""Member pages of scheduled transfers ("Transferencias programadas") and the wizards'
"Programar" step (:class:`ScheduleStepMixin`). Thin: rules live in :mod:`transfers.scheduled`."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.signing import SignatureForm, signature_prepare
from audit.services import client_ip
from ledger.money import format_money
from progresonet.decorators import member_only, member_required
from progresonet.signed_action import signed_action

from .events import TransferPurpose
from .exceptions import TransferError
from .flash import run_and_flash
from .models import ScheduledTransfer
from .scheduled import (
    schedule_amend_fingerprint,
    schedule_dates,
    schedule_describe,
    schedule_fingerprint,
    schedule_of,
    schedule_resume_fingerprint,
    scheduled_amend,
    scheduled_cancel,
    scheduled_create,
    scheduled_pause,
    scheduled_resume,
)
from .scheduled_forms import AmountForm, ScheduleForm


def _order_get(request: HttpRequest, pk: int) -> ScheduledTransfer:
    """The member's own order (its views are ``member_required``), else 404."""
    scheduled = (
        ScheduledTransfer.objects.filter(pk=pk, created_by=request.user)
        .select_related("source_account")
        .first()
    )
    if scheduled is None:
        raise Http404
    return scheduled


@member_required
def scheduled_list(request: HttpRequest) -> HttpResponse:
    orders = ScheduledTransfer.objects.filter(created_by=request.user).select_related(
        "source_account"
    )[:100]
    return render(request, "transfers/scheduled_list.html", {"orders": orders})


@member_required
def scheduled_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scheduled = _order_get(request, pk)
    return render(
        request,
        "transfers/scheduled_detail.html",
        {
            "order": scheduled,
            "schedule_text": schedule_describe(schedule_of(scheduled)),
            "occurrences": scheduled.occurrences.select_related("transfer")[:60],
        },
    )


def _order_action(service: Callable[..., object], success: str) -> Callable[..., HttpResponse]:
    """A POST-only button on the order's page (pause, cancel): run ``service`` on the member's
    own order, flash how it went, back to the order."""

    @login_required
    @require_POST
    @member_only
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        scheduled = _order_get(request, pk)
        run_and_flash(
            request,
            lambda: service(
                user=request.user, scheduled_id=scheduled.pk, ip_address=client_ip(request)
            ),
            refused=TransferError,
            success=success,
        )
        return redirect("transfers:scheduled_detail", pk=scheduled.pk)

    return view


scheduled_pause_view = _order_action(
    scheduled_pause, gettext_lazy("The scheduled transfer was paused.")
)
scheduled_cancel_view = _order_action(
    scheduled_cancel, gettext_lazy("The scheduled transfer was cancelled.")
)


def _summary(scheduled: ScheduledTransfer) -> dict[str, str]:
    return {
        str(_("Destination")): scheduled.destination_label,
        str(_("Amount")): format_money(scheduled.amount, scheduled.currency),
        str(_("Frequency")): schedule_describe(schedule_of(scheduled)),
    }


def _signed_change(
    request: HttpRequest, scheduled: ScheduledTransfer, form: SignatureForm, **signing
) -> HttpResponse | None:
    """:func:`~progresonet.signed_action.signed_action` on an order: back to the order when the
    change went through; None (the form carries the refusal) otherwise."""
    if signed_action(
        request,
        form,
        refused=TransferError,
        on_refused=lambda exc: form.add_error(None, exc.message),
        **signing,
    ):
        return redirect("transfers:scheduled_detail", pk=scheduled.pk)
    return None


def _sign_page(
    request: HttpRequest, scheduled: ScheduledTransfer, form: SignatureForm, **extra
) -> HttpResponse:
    if request.method != "POST":
        signature_prepare(user=request.user)
    context = {"order": scheduled, "summary": _summary(scheduled), "signature_form": form}
    return render(request, "transfers/scheduled_sign.html", {**context, **extra})


@member_required
def scheduled_resume_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume: money will move again, so the member signs with the PIN."""
    scheduled = _order_get(request, pk)
    form = SignatureForm(request.POST or None, user=request.user)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect("transfers:scheduled_detail", pk=scheduled.pk)
    if request.method == "POST" and form.is_valid():
        done = _signed_change(
            request,
            scheduled,
            form,
            summary={**_summary(scheduled), str(_("Action")): str(_("Resume"))},
            purpose=TransferPurpose.SCHEDULE_RESUME,
            fingerprint=schedule_resume_fingerprint(scheduled=scheduled),
            run=lambda receipt: scheduled_resume(
                user=request.user,
                scheduled_id=scheduled.pk,
                signature=receipt,
                ip_address=client_ip(request),
            ),
            success=_("The scheduled transfer was resumed."),
        )
        if done is not None:
            return done
    return _sign_page(request, scheduled, form, heading=_("Resume scheduled transfer"))


@member_required
def scheduled_amend_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the amount, signed with the PIN over the new amount."""
    scheduled = _order_get(request, pk)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect("transfers:scheduled_detail", pk=scheduled.pk)
    amount_form = AmountForm(request.POST or None, prefix="amend")
    form = SignatureForm(request.POST or None, user=request.user)
    if request.method == "POST" and amount_form.is_valid() and form.is_valid():
        amount = amount_form.cleaned_data["amount"]
        done = _signed_change(
            request,
            scheduled,
            form,
            summary={
                **_summary(scheduled),
                str(_("New amount")): format_money(amount, scheduled.currency),
            },
            purpose=TransferPurpose.SCHEDULE_AMEND,
            fingerprint=schedule_amend_fingerprint(scheduled=scheduled, amount=amount),
            run=lambda receipt: scheduled_amend(
                user=request.user,
                scheduled_id=scheduled.pk,
                amount=amount,
                signature=receipt,
                ip_address=client_ip(request),
            ),
            success=_("The amount was changed."),
        )
        if done is not None:
            return done
    return _sign_page(
        request, scheduled, form, amount_form=amount_form, heading=_("Change the amount")
    )


class ScheduleStepMixin:
    """The wizards' "Programar" step (after step 4): the schedule form and the signature on
    one page. Posted with ``schedule`` (from step 4: show it) or ``schedule_submit`` (sign and
    store the order through :func:`transfers.scheduled.scheduled_create`). Everything from
    steps 1-3 is re-validated exactly as "Confirmar" does (``signable_error``)."""

    def schedule_requested(self) -> bool:
        post = self.request.POST
        return self.storage.current_step == self.steps.last and (
            "schedule" in post or "schedule_submit" in post
        )

    def schedule_render(self, schedule_form, signature_form, signed_text: str = ""):
        extra = self.storage.extra_data
        return TemplateResponse(
            self.request,
            "transfers/schedule.html",
            {
                "schedule_form": schedule_form,
                "signature_form": signature_form,
                "summary": extra.get("summary") or {},
                "idempotency_key": extra.get("key", ""),
                "transfer_type_label": self.get_context_data(form=signature_form)[
                    "transfer_type_label"
                ],
                "signed_text": signed_text,
                "step_field": f"{self.prefix}-current_step",
                "step_value": self.steps.last,
            },
        )

    def schedule_post(self) -> HttpResponse:
        request = self.request
        user = request.user
        signature_form = SignatureForm(
            request.POST if "schedule_submit" in request.POST else None, user=user
        )
        if "schedule_submit" not in request.POST:
            signature_prepare(user=user)
            return self.schedule_render(ScheduleForm(prefix="schedule"), signature_form)
        schedule_form = ScheduleForm(request.POST, prefix="schedule")
        if not schedule_form.is_valid():
            return self.schedule_render(schedule_form, signature_form)
        order = self.order()
        if (error := self.signable_error(order)) is not None:
            schedule_form.add_error(None, error)
            return self.schedule_render(schedule_form, signature_form)
        schedule = schedule_form.schedule()
        from .scheduled import schedule_check

        try:
            schedule_check(schedule)
        except TransferError as exc:
            field = exc.field if exc.field in schedule_form.fields else None
            schedule_form.add_error(field, exc.message)
            return self.schedule_render(schedule_form, signature_form)
        if not signature_form.is_valid():
            return self.schedule_render(schedule_form, signature_form)
        extra = self.storage.extra_data
        dates = ", ".join(d.strftime("%d/%m/%Y") for d in schedule_dates(schedule, limit=3))
        summary = {
            **extra["summary"],
            str(_("Scheduled")): schedule_describe(schedule),
            str(_("First dates")): dates,
            str(_("Fee and exchange rate")): str(_("Those in force on each date")),
        }
        receipt = signature_form.sign(
            summary=summary,
            purpose=TransferPurpose.SCHEDULE,
            fingerprint=schedule_fingerprint(user=user, order=order, schedule=schedule),
            ip_address=client_ip(request),
        )
        if receipt is None:
            return self.schedule_render(schedule_form, signature_form)
        try:
            scheduled = scheduled_create(
                user=user,
                order=order,
                schedule=schedule,
                destination_label=self.destination_label(),
                idempotency_key=extra["key"],
                signature=receipt,
                ip_address=client_ip(request),
            )
        except TransferError as exc:
            signature_form.add_error(None, exc.message)
            return self.schedule_render(schedule_form, signature_form)
        self.storage.reset()
        messages.success(request, _("The transfer was scheduled."))
        return redirect("transfers:scheduled_detail", pk=scheduled.pk)
