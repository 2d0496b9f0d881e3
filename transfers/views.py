"""The plain transfer pages: the list, receipts, co-signatures and the member's limits.
The wizards are in :mod:`transfers.wizards`. Views stay thin: every rule lives in
:mod:`transfers.services`; signing goes through :mod:`accounts.signing`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.signing import SignatureForm, signature_prepare
from audit.services import client_ip
from ledger.money import format_money
from progresonet.decorators import member_required
from progresonet.downloads import pdf_download

from . import receipts, selectors
from .events import TransferPurpose
from .exceptions import TransferError
from .forms import LimitForm
from .limits import (
    member_limit_fingerprint,
    member_limit_is_raise,
    member_limit_set,
    member_limit_validate,
    member_limits_list,
    raise_delay,
)
from .models import TransferType
from .services import (
    transfer_cosign,
    transfer_cosign_fingerprint,
)
from .summary import cosign_summary, stored_summary


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    member_id = request.user.member_id
    return render(
        request,
        "transfers/list.html",
        {
            "transfers": selectors.member_transfers_list(member_id=member_id)[:50],
            "pending": selectors.pending_cosignatures_list(member_id=member_id),
        },
    )


@login_required
def transfer_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.member_transfer_get(member_id=request.user.member_id, transfer_id=pk)
    return render(
        request,
        "transfers/receipt.html",
        {"transfer": transfer, "rows": receipts.receipt_rows(transfer)},
    )


@login_required
def transfer_receipt_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.member_transfer_get(member_id=request.user.member_id, transfer_id=pk)
    return pdf_download(
        receipts.receipt_pdf(transfer), f"comprobante-{transfer.verification_code}.pdf"
    )


@login_required
@require_http_methods(["GET", "POST"])
def transfer_cosign_view(request: HttpRequest, pk: int) -> HttpResponse:
    transfer = selectors.pending_cosignatures_list(member_id=request.user.member_id).filter(pk=pk)
    transfer = transfer.first()
    if transfer is None:
        raise Http404
    form = SignatureForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect("transfers:list")
        approve = request.POST.get("decision") != "decline"
        if form.is_valid():
            # The co-holder signs what this page shows: the initiator's step-4 rows rebuilt
            # from the stored transfer, and the fingerprint the initiator signed.
            summary = cosign_summary(transfer, approve=approve)
            receipt = form.sign(
                summary=summary,
                purpose=TransferPurpose.COSIGN,
                fingerprint=transfer_cosign_fingerprint(transfer=transfer, approve=approve),
                ip_address=client_ip(request),
            )
            if receipt is not None:
                try:
                    transfer_cosign(
                        user=request.user,
                        transfer_id=transfer.pk,
                        approve=approve,
                        signature=receipt,
                        ip_address=client_ip(request),
                    )
                except TransferError as exc:
                    messages.error(request, exc.message)
                    return redirect("transfers:list")
                messages.success(
                    request, _("Your signature was recorded.") if approve else _("Declined.")
                )
                return redirect(reverse("transfers:receipt", args=[transfer.pk]))
    else:
        signature_prepare(user=request.user)
    return render(
        request,
        "transfers/cosign.html",
        {"transfer": transfer, "form": form, "rows": stored_summary(transfer).items()},
    )


@member_required
@require_http_methods(["GET", "POST"])
def limits_view(request: HttpRequest) -> HttpResponse:
    """The member's own daily limits; a raise asks for the PIN (see transfers.limits)."""
    user = request.user
    form = LimitForm(request.POST or None)
    signature = None
    if request.method == "POST" and "cancel" not in request.POST and form.is_valid():
        transfer_type = form.cleaned_data["transfer_type"]
        amount = form.cleaned_data["amount_bob"]
        try:
            # Refuse an out-of-range amount before asking for a PIN.
            member_limit_validate(transfer_type=transfer_type, amount_bob=amount)
        except TransferError as exc:
            form.add_error("amount_bob", exc.message)
            return render(
                request,
                "transfers/limits.html",
                {"form": form, "rows": member_limits_list(member_id=user.member_id)},
            )
        raising = member_limit_is_raise(
            member_id=user.member_id, transfer_type=transfer_type, amount_bob=amount
        )
        receipt = None
        if raising:
            if "pin" not in request.POST:
                signature = SignatureForm(user=user)
                signature_prepare(user=user)
            else:
                signature = SignatureForm(request.POST, user=user)
                summary = {
                    _("Transfer type"): str(TransferType(transfer_type).label),
                    _("My daily limit (Bs)"): format_money(amount, "BOB"),
                }
                if signature.is_valid():
                    receipt = signature.sign(
                        summary=summary,
                        purpose=TransferPurpose.LIMIT_SET,
                        fingerprint=member_limit_fingerprint(
                            transfer_type=transfer_type, amount_bob=amount
                        ),
                        ip_address=client_ip(request),
                    )
        if not raising or receipt is not None:
            try:
                member_limit_set(
                    user=user,
                    transfer_type=transfer_type,
                    amount_bob=amount,
                    signature=receipt,
                    ip_address=client_ip(request),
                )
            except TransferError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                signature = None
            else:
                messages.success(
                    request,
                    _("Your new limit will apply in %(hours)s hours.")
                    % {"hours": int(raise_delay().total_seconds() // 3600)}
                    if raising
                    else _("Your new limit applies now."),
                )
                return redirect("transfers:limits")
    return render(
        request,
        "transfers/limits.html",
        {
            "form": form,
            "signature": signature,
            "rows": member_limits_list(member_id=user.member_id),
        },
    )
