"""Third-party products ("Administración" → "Producto de terceros").

The registration wizard keeps its state in the session under ``WIZARD_KEY``:
``{"kind", "data", "key", "lookup"}``. The signing step re-validates through the service, so a
session that went stale (a product deleted, an alias taken meanwhile) is refused cleanly.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.signing import KeyedSignatureForm, SignatureForm, signature_prepare
from audit.services import client_ip
from progresonet.decorators import member_required
from progresonet.signed_action import signed_action

from . import rules, selectors, services
from .events import BeneficiaryPurpose
from .forms import (
    KindForm,
    MemberProductForm,
    OtherBankProductForm,
    ProductEditForm,
)
from .models import Bank, ThirdPartyProduct

WIZARD_KEY = "beneficiary_wizard"
NEXT_KEY = "beneficiary_next"


@dataclass(frozen=True)
class _Path:
    """What differs between the two registration paths, for the steps they share: the add
    page (where "Volver" from the signing step returns), the names of the wizard's ``data``
    its services take, and those services (check before signing, fingerprint, register)."""

    page: str
    fields: tuple[str, ...]
    check: Callable[..., object]
    fingerprint: Callable[..., str]
    register: Callable[..., ThirdPartyProduct]


_PATHS = {
    ThirdPartyProduct.Kind.MEMBER: _Path(
        page="beneficiaries:add_member",
        fields=services.MEMBER_FIELDS,
        check=services.beneficiary_member_check,
        fingerprint=services.beneficiary_register_member_fingerprint,
        register=services.beneficiary_register_member,
    ),
    ThirdPartyProduct.Kind.OTHER_BANK: _Path(
        page="beneficiaries:add_other_bank",
        fields=services.OTHER_BANK_FIELDS,
        check=services.beneficiary_other_bank_check,
        fingerprint=services.beneficiary_register_other_bank_fingerprint,
        register=services.beneficiary_register_other_bank,
    ),
}


def _safe_next(value: str | None) -> str | None:
    """A relative path on this site to come back to (the transfer wizards), or None.

    Only paths: no scheme, no host, no protocol-relative "//" and no backslashes (which some
    browsers read as slashes), so the parameter can never send the member to another site.
    """
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if not url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return None
    return value


def _wizard(request: HttpRequest) -> dict[str, Any]:
    return request.session.get(WIZARD_KEY) or {}


def _wizard_save(request: HttpRequest, **changes: Any) -> None:
    request.session[WIZARD_KEY] = {**_wizard(request), **changes}


def _saved(wizard: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The data an earlier "Siguiente" of this path kept (to fill its form again), else None."""
    return wizard.get("data") if wizard.get("kind") == kind else None


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _to_signing(
    request: HttpRequest, form: Any, kind: str, data: dict[str, Any]
) -> HttpResponse | None:
    """A wizard's "Siguiente": the path's own service check of ``data`` for the member (its
    refusal goes on the form: None), then ``data`` kept for the signing step under a fresh key,
    and on to it."""
    try:
        _PATHS[kind].check(owner=request.user.member, **data)
    except ValidationError as exc:
        _apply_errors(form, exc)
        return None
    _wizard_save(request, kind=kind, data=data, key=uuid.uuid4().hex)
    return redirect("beneficiaries:sign")


@member_required
def product_list(request: HttpRequest) -> HttpResponse:
    products = selectors.products_list(owner_id=request.user.member_id)
    return render(request, "beneficiaries/list.html", {"products": products})


@member_required
@require_http_methods(["GET", "POST"])
def add_kind(request: HttpRequest) -> HttpResponse:
    """ "Tipo de transacción": which of the two registration paths."""
    if request.method == "POST":
        form = KindForm(request.POST)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            if _wizard(request).get("kind") != kind:
                request.session[WIZARD_KEY] = {"kind": kind}
            return redirect(_PATHS[kind].page)
    else:
        # Remember (or forget) where to return after signing: set only from this entry page.
        next_url = _safe_next(request.GET.get("next"))
        if next_url:
            request.session[NEXT_KEY] = next_url
        else:
            request.session.pop(NEXT_KEY, None)
        form = KindForm(initial={"kind": _wizard(request).get("kind")})
    return render(request, "beneficiaries/add_kind.html", {"form": form})


def _lookup(request: HttpRequest, number: str) -> selectors.LookupResult:
    result = services.account_lookup(
        number=number,
        member=request.user.member,
        actor=request.user,
        ip_address=client_ip(request),
    )
    # Remember a hit so "Siguiente" with the same number needs no second (counted) lookup.
    lookup = {"number": number, "name": result.masked_name} if result.found else None
    wizard = _wizard(request)
    kept = (wizard.get("data") or {}).get("number")
    if wizard.get("kind") != ThirdPartyProduct.Kind.MEMBER or (
        kept is not None and kept != (lookup or {}).get("number")
    ):
        # The signing step shows the kept number under the last search's holder name, so data
        # is kept only while that search found its number. A search on the member path after
        # an other-bank "Siguiente", of another number, or one that did not find the kept one
        # (closed since, rate limit) forgets the data and key: else the member would sign one
        # number under another's name (or no name, or another bank's number as a member's).
        request.session[WIZARD_KEY] = {"kind": ThirdPartyProduct.Kind.MEMBER}
    _wizard_save(request, lookup=lookup)
    return result


@member_required
@require_http_methods(["GET", "POST"])
def add_member(request: HttpRequest) -> HttpResponse:
    """ "a cuenta de terceros": number, "Buscar" (a plain post), alias, email, "Siguiente"."""
    wizard = _wizard(request)
    result: selectors.LookupResult | None = None
    if request.method == "POST":
        searching = request.POST.get("action") == "lookup"
        form = MemberProductForm(request.POST, require_alias=not searching)
        if form.is_valid():
            number = form.cleaned_data["number"]
            lookup = wizard.get("lookup") or {}
            if searching or lookup.get("number") != number:
                result = _lookup(request, number)
            if not searching and (result is None or result.found):
                data = {
                    "number": number,
                    "alias": form.cleaned_data["alias"],
                    "email": form.cleaned_data["email"],
                }
                checked = _to_signing(request, form, ThirdPartyProduct.Kind.MEMBER, data)
                if checked is not None:
                    return checked
            elif not searching and result is not None and not result.found:
                form.add_error("number", result.message)
    else:
        form = MemberProductForm(initial=_saved(wizard, ThirdPartyProduct.Kind.MEMBER) or {})
    lookup = _wizard(request).get("lookup") or {}
    shown_name = lookup.get("name") if lookup.get("number") == form["number"].value() else ""
    return render(
        request,
        "beneficiaries/add_member.html",
        {"form": form, "result": result, "shown_name": shown_name},
    )


@member_required
@require_POST
def lookup_json(request: HttpRequest) -> JsonResponse:
    """ "Buscar" in place (static/js/beneficiary_lookup.js); same rules as the plain post."""
    try:
        number = rules.member_account_number_clean(request.POST.get("number", ""))
    except ValidationError as exc:
        return JsonResponse({"found": False, "name": "", "message": exc.messages[0]}, status=400)
    result = _lookup(request, number)
    status = 429 if result.status is selectors.LookupStatus.REFUSED else 200
    return JsonResponse(result.as_json(), status=status)


@member_required
@require_http_methods(["GET", "POST"])
def add_other_bank(request: HttpRequest) -> HttpResponse:
    """ "a otros bancos": the guide's "Datos del producto de terceros"."""
    wizard = _wizard(request)
    if request.method == "POST":
        form = OtherBankProductForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "bank_id": data["bank"].pk,
                "product_type": data["product_type"],
                "currency": data["currency"],
                "number": data["number"],
                "holder_name": data["holder_name"],
                "document_type": data["document_type"],
                "document_number": data["document_number"],
                "alias": data["alias"],
                "email": data["email"],
            }
            checked = _to_signing(request, form, ThirdPartyProduct.Kind.OTHER_BANK, fields)
            if checked is not None:
                return checked
    else:
        saved = _saved(wizard, ThirdPartyProduct.Kind.OTHER_BANK)
        form = OtherBankProductForm(initial={**saved, "bank": saved["bank_id"]} if saved else {})
    return render(request, "beneficiaries/add_other_bank.html", {"form": form})


def _summary(wizard: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows the member reads before signing."""
    data = wizard["data"]
    if wizard["kind"] == ThirdPartyProduct.Kind.MEMBER:
        lookup = wizard.get("lookup") or {}
        rows = [
            (_("Transaction type"), ThirdPartyProduct.Kind.MEMBER.label),
            (_("Account number"), data["number"]),
            (_("Account holder"), lookup.get("name", "")),
        ]
    else:
        bank = Bank.objects.filter(pk=data["bank_id"]).first()
        rows = [
            (_("Transaction type"), ThirdPartyProduct.Kind.OTHER_BANK.label),
            (_("Bank"), bank.name if bank else ""),
            # Signed and stored with the rest, so shown with the rest.
            (
                _("Product type"),
                dict(ThirdPartyProduct.ProductType.choices).get(
                    data["product_type"], data["product_type"]
                ),
            ),
            (_("Product number"), data["number"]),
            (_("Currency"), data["currency"]),
            (_("Beneficiary name"), data["holder_name"]),
            (_("Document"), f"{data['document_type']} {data['document_number']}"),
        ]
    rows.append((_("Alias"), data["alias"]))
    if data.get("email"):
        rows.append((_("Beneficiary email"), data["email"]))
    return rows


@member_required
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest) -> HttpResponse:
    """ "Firma": the PIN, then the one service call that writes the product."""
    member = request.user.member
    posted_key = request.POST.get("idempotency_key", "") if request.method == "POST" else ""
    if (
        posted_key
        and ThirdPartyProduct.objects.filter(owner=member, idempotency_key=posted_key).exists()
    ):
        # A double submit of a step that already succeeded: show the result, write nothing.
        messages.info(request, _("The product is registered."))
        return redirect("beneficiaries:list")
    wizard = _wizard(request)
    path = _PATHS.get(wizard.get("kind"))
    if path is None or not wizard.get("data") or not wizard.get("key"):
        messages.error(request, _("Your registration expired. Please start again."))
        return redirect("beneficiaries:add")
    summary = _summary(wizard)
    if request.method == "POST":
        form = KeyedSignatureForm(request.POST, user=request.user)
        if form.is_valid():
            if form.cleaned_data["idempotency_key"] != wizard["key"]:
                messages.error(request, _("Your registration expired. Please start again."))
                return redirect("beneficiaries:add")
            # Outside any transaction: a wrong-PIN strike must commit even though nothing else
            # is written.
            data = {name: wizard["data"][name] for name in path.fields}
            receipt = form.sign(
                summary={str(label): str(value) for label, value in summary},
                purpose=BeneficiaryPurpose.REGISTER,
                fingerprint=path.fingerprint(owner=member, **data),
                ip_address=client_ip(request),
            )
            if receipt is not None:
                try:
                    path.register(
                        owner=member,
                        actor=request.user,
                        idempotency_key=wizard["key"],
                        signature=receipt,
                        ip_address=client_ip(request),
                        **data,
                    )
                except ValidationError as exc:
                    for error in exc.messages:
                        messages.error(request, error)
                    return redirect(path.page)
                request.session.pop(WIZARD_KEY, None)
                messages.success(request, _("The product is registered."))
                next_url = _safe_next(request.session.pop(NEXT_KEY, None))
                return redirect(next_url or "beneficiaries:list")
    else:
        form = KeyedSignatureForm(initial={"idempotency_key": wizard["key"]}, user=request.user)
        signature_prepare(user=request.user)
    return render(
        request, "beneficiaries/sign.html", {"form": form, "summary": summary, "back": path.page}
    )


@member_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the alias or the beneficiary email, signed with the PIN (the email is where the
    transfer notices go, so it is the member's signed decision like the product itself)."""
    product = selectors.product_get(owner_id=request.user.member_id, pk=pk)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect("beneficiaries:list")
    form = ProductEditForm(
        request.POST if request.method == "POST" else None,
        initial={"alias": product.alias, "email": product.email},
    )
    signature = SignatureForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if form.is_valid() and signature.is_valid():
            alias, email = form.cleaned_data["alias"], form.cleaned_data["email"]
            if signed_action(
                request,
                signature,
                summary={
                    _("Product"): f"{product.holder_name} {product.masked_number}",
                    _("Alias"): alias,
                    _("Beneficiary email"): email,
                },
                purpose=BeneficiaryPurpose.UPDATE,
                fingerprint=services.beneficiary_update_fingerprint(
                    product_id=product.pk, alias=alias, email=email
                ),
                run=lambda receipt: services.beneficiary_update(
                    product=product,
                    actor=request.user,
                    alias=alias,
                    email=email,
                    signature=receipt,
                    ip_address=client_ip(request),
                ),
                refused=ValidationError,
                on_refused=lambda exc: _apply_errors(form, exc),
                success=_("The product was updated."),
            ):
                return redirect("beneficiaries:list")
    else:
        signature_prepare(user=request.user)
    return render(
        request,
        "beneficiaries/edit.html",
        {"form": form, "product": product, "signature_form": signature},
    )


@member_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    product = selectors.product_get(owner_id=request.user.member_id, pk=pk)
    if request.method == "POST" and "cancel" in request.POST:
        return redirect("beneficiaries:list")
    signature = SignatureForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if signature.is_valid() and signed_action(
            request,
            signature,
            summary={
                _("Delete"): f"{product.alias} — {product.holder_name} {product.masked_number}"
            },
            purpose=BeneficiaryPurpose.DELETE,
            fingerprint=services.beneficiary_delete_fingerprint(product_id=product.pk),
            run=lambda receipt: services.beneficiary_delete(
                product=product,
                actor=request.user,
                signature=receipt,
                ip_address=client_ip(request),
            ),
            refused=ValidationError,
            on_refused=lambda exc: signature.add_error(None, exc.messages),
            success=_("The product was deleted."),
        ):
            return redirect("beneficiaries:list")
    else:
        signature_prepare(user=request.user)
    return render(
        request, "beneficiaries/delete.html", {"product": product, "signature_form": signature}
    )
