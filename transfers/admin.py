import csv

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from audit.services import client_ip
from ledger.forms import AmountField
from ledger.statements import csv_safe
from progresonet.admin_mixins import (
    ReadOnlyMixin,
    ReadOnlyTabularInline,
    RefusableSaveMixin,
    ServiceCheckedForm,
)
from progresonet.downloads import attachment

from . import fees
from .models import (
    DailyLimit,
    FeeBand,
    InterbankOrder,
    InterbankOrderEvent,
    MemberDailyLimit,
    ScheduledOccurrence,
    ScheduledTransfer,
    Transfer,
)
from .qr import admin as _qr_admin  # noqa: F401 - registers the QR codes' admin


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Money records are evidence: staff read them, services write them."""


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = (
        "verification_code",
        "created_at",
        "transfer_type",
        "status",
        "member",
        "amount",
        "currency",
        "fee_amount",
        "exceeds_threshold",
    )
    list_filter = ("transfer_type", "status", "exceeds_threshold", "currency")
    search_fields = ("verification_code", "member__document_number", "source_account__number")
    list_select_related = ("member",)
    date_hierarchy = "created_at"
    actions = ["export_regulatory_csv"]

    @admin.action(description=_("Export regulatory declarations (CSV)"), permissions=["view"])
    def export_regulatory_csv(self, request: HttpRequest, queryset) -> HttpResponse:
        rows = queryset.filter(exceeds_threshold=True).select_related(
            "member", "source_account", "destination_bank", "scheduled_occurrence"
        )
        response = attachment(
            HttpResponse(content_type="text/csv; charset=utf-8"), "declaraciones-regulatorias.csv"
        )
        writer = csv.writer(response)
        writer.writerow(
            [
                "comprobante",
                "fecha",
                "socio",
                "documento",
                "tipo",
                "monto",
                "moneda",
                "equivalente_usd",
                "acumulado_5_dias_usd",
                "tipo_de_cambio",
                "origen_de_fondos",
                "destino_de_fondos",
                # A date of a scheduled order ("Transferencias programadas"): the order's id;
                # empty for a transfer the member confirmed that moment.
                "programada",
            ]
        )
        for t in rows:
            writer.writerow(
                [
                    t.verification_code,
                    t.created_at.isoformat(),
                    csv_safe(t.member.display_name),
                    t.member.document_number,
                    t.transfer_type,
                    t.amount,
                    t.currency,
                    t.usd_equivalent,
                    t.rolling_usd_total,
                    t.exchange_rate or "",
                    csv_safe(t.funds_origin),
                    csv_safe(t.funds_destination),
                    _scheduled_order_id(t),
                ]
            )
        return response


def _scheduled_order_id(transfer: Transfer) -> str:
    try:
        return str(transfer.scheduled_occurrence.order_id)
    except ScheduledOccurrence.DoesNotExist:
        return ""


def _amount_field(name: str, **kwargs) -> AmountField:
    """The portal's one money parser for a fee band's amount (ledger.forms.AmountField)."""
    return AmountField(label=capfirst(FeeBand._meta.get_field(name).verbose_name), **kwargs)


class FeeBandAddForm(ServiceCheckedForm, forms.ModelForm):
    """A new band is given by where it starts; it ends where the band it splits ended."""

    min_amount = _amount_field("min_amount")
    fixed_fee = _amount_field("fixed_fee", allow_zero=True)

    class Meta:
        model = FeeBand
        fields = ["transfer_type", "currency", "min_amount", "fixed_fee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_amount"].help_text = _(
            "The band holding this amount is split: it ends one cent below, and the new band "
            "runs from here to where that band ended."
        )

    # The new band overlaps the one it splits until the service shortens that one: the
    # database's constraints are for the service's write, not this form (ServiceCheckedForm).
    service_check = staticmethod(fees.fee_band_add_check)
    service_refusal = fees.FeeBandRefused


class FeeBandChangeForm(forms.ModelForm):
    """An existing band: only its fee changes (its amounts move by adding or removing bands)."""

    fixed_fee = _amount_field("fixed_fee", allow_zero=True)

    class Meta:
        model = FeeBand
        fields = ["fixed_fee"]

    def clean_fixed_fee(self):
        fee = self.cleaned_data["fixed_fee"]
        try:
            fees.fee_band_values_check(fixed_fee=fee)
        except fees.FeeBandRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return fee


@admin.register(FeeBand)
class FeeBandAdmin(RefusableSaveMixin, admin.ModelAdmin):
    """Every change goes through :mod:`transfers.fees`, which keeps each schedule covering every
    amount exactly once (the database refuses anything else)."""

    list_display = ("transfer_type", "currency", "min_amount", "max_amount", "fixed_fee")
    list_filter = ("transfer_type", "currency")

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = FeeBandChangeForm if obj is not None else FeeBandAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return FeeBandAddForm.Meta.fields
        return ["transfer_type", "currency", "min_amount", "max_amount", "fixed_fee"]

    def get_readonly_fields(self, request, obj=None):
        return ["transfer_type", "currency", "min_amount", "max_amount"] if obj else []

    def get_actions(self, request):
        # Bulk delete would bypass the merge; remove bands one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request, obj, form, change) -> None:
        try:
            if change:
                band = fees.fee_band_fee_change(
                    actor=request.user,
                    band=obj,
                    fixed_fee=obj.fixed_fee,
                    ip_address=client_ip(request),
                )
            else:
                band = fees.fee_band_add(
                    actor=request.user,
                    transfer_type=obj.transfer_type,
                    currency=obj.currency,
                    min_amount=obj.min_amount,
                    fixed_fee=obj.fixed_fee,
                    ip_address=client_ip(request),
                )
        except fees.FeeBandRefused as exc:
            # The form checked the same rules; a change made meanwhile by someone else can
            # still refuse this one. Nothing was written: say why and return to the form.
            self.save_refused(request, obj, exc.message)
            return
        obj.pk, obj.max_amount = band.pk, band.max_amount

    def delete_view(self, request, object_id, extra_context=None):
        band = self.get_object(request, object_id)
        if band is not None and self.has_delete_permission(request, band):
            try:
                fees.fee_band_remove_check(band=band)
            except fees.FeeBandRefused as exc:
                messages.error(request, exc.message)
                return redirect("admin:transfers_feeband_change", band.pk)
        try:
            return super().delete_view(request, object_id, extra_context)
        except fees.FeeBandRefused as exc:  # changed meanwhile; rolled back, nothing written
            messages.error(request, exc.message)
            return redirect("admin:transfers_feeband_changelist")

    def delete_model(self, request, obj) -> None:
        # delete_view checked fee_band_remove_check just before; the service checks again
        # under the schedule's lock and refuses (nothing written) if that changed meanwhile.
        fees.fee_band_remove(actor=request.user, band=obj, ip_address=client_ip(request))


@admin.register(DailyLimit)
class DailyLimitAdmin(admin.ModelAdmin):
    list_display = ("transfer_type", "amount_bob")

    def get_readonly_fields(self, request, obj=None):
        # A limit row per transfer type; its amount is the setting.
        return ["transfer_type"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # Without its row a transfer type would have no institutional limit at all.
        return False


@admin.register(MemberDailyLimit)
class MemberDailyLimitAdmin(ReadOnlyAdmin):
    """Members set these themselves (with the PIN to raise); staff only read them."""

    list_display = (
        "member",
        "transfer_type",
        "amount_bob",
        "pending_amount_bob",
        "pending_effective_at",
        "updated_at",
    )
    list_filter = ("transfer_type",)
    search_fields = ("member__document_number",)


class InterbankOrderEventInline(ReadOnlyTabularInline):
    model = InterbankOrderEvent
    readonly_fields = ("status", "note", "occurred_at")


@admin.register(InterbankOrder)
class InterbankOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "reference",
        "transfer",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status",)  # "Failed (staff review)": orders given up, for staff to resolve
    readonly_fields = ("last_error",)
    search_fields = ("reference", "transfer__verification_code")
    inlines = [InterbankOrderEventInline]


class ScheduledOccurrenceInline(ReadOnlyTabularInline):
    model = ScheduledOccurrence
    fields = ("due_date", "status", "transfer", "reason", "claimed_at")
    readonly_fields = fields
    ordering = ("-due_date",)


@admin.register(ScheduledTransfer)
class ScheduledTransferAdmin(ReadOnlyAdmin):
    """Standing orders, read-only; staff may pause one ("pausar"), e.g. on a fraud report."""

    list_display = (
        "pk",
        "member",
        "transfer_type",
        "amount",
        "currency",
        "kind",
        "next_due_date",
        "status",
        "consecutive_failures",
    )
    list_filter = ("status", "kind", "transfer_type", "currency")
    search_fields = ("member__document_number", "source_account__number", "destination_label")
    list_select_related = ("member",)
    inlines = [ScheduledOccurrenceInline]
    actions = ["pause_orders"]

    @admin.action(description=_("Pause the selected scheduled transfers"), permissions=["view"])
    def pause_orders(self, request: HttpRequest, queryset) -> None:
        from .scheduled import scheduled_staff_pause

        paused = scheduled_staff_pause(
            clerk=request.user,
            order_ids=list(queryset.values_list("pk", flat=True)),
            ip_address=client_ip(request),
        )
        messages.success(request, _("%(count)s scheduled transfers paused.") % {"count": paused})


@admin.register(ScheduledOccurrence)
class ScheduledOccurrenceAdmin(ReadOnlyAdmin):
    list_display = ("order", "due_date", "status", "transfer", "reason", "claimed_at")
    list_filter = ("status",)
    date_hierarchy = "due_date"
    list_select_related = ("order", "transfer")
