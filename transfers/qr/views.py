"""QR pages: "Cobrar con QR" (issue, list, show, PNG, revoke) and "Pagar con QR" (read a
picture or text, then the prefilled wizard in :mod:`transfers.qr.wizard`). Thin views."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.services import client_ip
from progresonet.decorators import member_only
from progresonet.downloads import file_download

from ..flash import run_and_flash
from . import selectors
from .forms import QrCollectForm, QrPayForm
from .images import qr_png, qr_read_upload, qr_svg
from .services import QrError, qr_code_create, qr_code_revoke
from .wizard import SESSION_KEY


@login_required
@member_only
def qr_collect(request: HttpRequest) -> HttpResponse:
    form = QrCollectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = qr_code_create(
                user=request.user,
                account_id=data["account"].pk,
                amount=data["amount"],
                reference=data["reference"],
                single_use=data["usage"] == "single",
                valid_until=data["valid_until"],
                ip_address=client_ip(request),
            )
        except QrError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your QR code is ready."))
            return redirect("transfers:qr_detail", pk=code.pk)
    codes = selectors.qr_codes_list(member_id=request.user.member_id)[:50]
    return render(request, "transfers/qr/collect.html", {"form": form, "codes": codes})


def _code(request: HttpRequest, pk: int):
    """The member's own code (its views are ``member_only``), else 404."""
    code = selectors.qr_code_get(member_id=request.user.member_id, pk=pk)
    if code is None:
        raise Http404
    return code


@login_required
@member_only
def qr_detail(request: HttpRequest, pk: int) -> HttpResponse:
    code = _code(request, pk)
    return render(
        request,
        "transfers/qr/detail.html",
        {
            "code": code,
            "svg": qr_svg(code.payload),
            "payments": selectors.qr_code_payments(code=code)[:50],
        },
    )


@login_required
@member_only
def qr_download(request: HttpRequest, pk: int) -> HttpResponse:
    code = _code(request, pk)
    return file_download(
        qr_png(code.payload), filename=f"cobro-qr-{code.pk}.png", content_type="image/png"
    )


@login_required
@require_POST
@member_only
def qr_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    code = _code(request, pk)
    run_and_flash(
        request,
        lambda: qr_code_revoke(user=request.user, code_id=code.pk, ip_address=client_ip(request)),
        refused=QrError,
        success=_("The QR code was revoked: it can no longer be paid."),
    )
    return redirect("transfers:qr_detail", pk=code.pk)


@login_required
@member_only
def qr_pay(request: HttpRequest) -> HttpResponse:
    form = QrPayForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            image = form.cleaned_data.get("image")
            text = qr_read_upload(image) if image else form.cleaned_data["text"]
            intent = selectors.qr_resolve(user=request.user, text=text)
        except QrError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[SESSION_KEY] = intent.payload
            # A fresh wizard for every code read: nothing of an earlier payment carries over.
            for name in list(request.session.keys()):
                if name.startswith("wizard_transfer_qr"):
                    del request.session[name]
            return redirect("transfers:qr_wizard")
    return render(request, "transfers/qr/pay.html", {"form": form})
