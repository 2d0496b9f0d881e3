import csv

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .models import (
    DailyLimit,
    FeeBand,
    InterbankOrder,
    InterbankOrderEvent,
    MemberDailyLimit,
    Transfer,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records are evidence: staff read them, services write them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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
            "member", "source_account", "destination_bank"
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="declaraciones-regulatorias.csv"'
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
            ]
        )
        for t in rows:
            writer.writerow(
                [
                    t.verification_code,
                    t.created_at.isoformat(),
                    _safe(t.member.display_name),
                    t.member.document_number,
                    t.transfer_type,
                    t.amount,
                    t.currency,
                    t.usd_equivalent,
                    t.rolling_usd_total,
                    t.exchange_rate or "",
                    _safe(t.funds_origin),
                    _safe(t.funds_destination),
                ]
            )
        return response


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in member-typed text (CSV injection)."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@admin.register(FeeBand)
class FeeBandAdmin(admin.ModelAdmin):
    list_display = ("transfer_type", "currency", "min_amount", "max_amount", "fixed_fee")
    list_filter = ("transfer_type", "currency")


@admin.register(DailyLimit)
class DailyLimitAdmin(admin.ModelAdmin):
    list_display = ("transfer_type", "amount_bob")


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


class InterbankOrderEventInline(admin.TabularInline):
    template = "admin/edit_inline/tabular_scroll.html"  # keyboard-scrollable on a phone
    model = InterbankOrderEvent
    extra = 0
    can_delete = False
    readonly_fields = ("status", "note", "occurred_at")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


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
