from django.db.models import Q, QuerySet
from django.http import Http404

from .models import CoSignature, Transfer, TransferStatus


def member_transfers_list(*, member_id: int | None) -> QuerySet[Transfer]:
    """Transfers the member made, or must co-sign / co-signed as a joint holder."""
    if member_id is None:
        return Transfer.objects.none()
    return (
        Transfer.objects.filter(Q(member_id=member_id) | Q(cosignatures__member_id=member_id))
        .distinct()
        .select_related("source_account", "destination_account", "destination_bank")
        .order_by("-created_at", "-pk")
    )


def member_transfer_get(*, member_id: int | None, transfer_id: int) -> Transfer:
    transfer = member_transfers_list(member_id=member_id).filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404
    return transfer


def pending_cosignatures_list(*, member_id: int | None) -> QuerySet[Transfer]:
    if member_id is None:
        return Transfer.objects.none()
    return (
        Transfer.objects.filter(
            status=TransferStatus.PENDING_COSIGN,
            cosignatures__member_id=member_id,
            cosignatures__decision=CoSignature.Decision.PENDING,
        )
        .select_related("source_account", "destination_account", "destination_bank", "member")
        .order_by("created_at")
    )
