"""``{% pending_signatures_box %}``: the dashboard's "Pendientes de firma" box.

A template tag rather than a ledger view reading transfers: the dashboard belongs to the
ledger, which imports no product app; the tag lets transfers put its box there."""

from django import template

from transfers.models import CoSignature, TransferStatus
from transfers.selectors import pending_cosignatures_list

register = template.Library()


@register.inclusion_tag("transfers/includes/pending_signatures.html", takes_context=True)
def pending_signatures_box(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    member_id = getattr(user, "member_id", None) if user and user.is_authenticated else None
    # Nearly always nothing is pending: a one-table check first costs a fraction of building
    # the box's query (five joined tables) on every dashboard (bench/request_cost.py).
    if (
        member_id is None
        or not CoSignature.objects.filter(
            member_id=member_id,
            decision=CoSignature.Decision.PENDING,
            transfer__status=TransferStatus.PENDING_COSIGN,
        ).exists()
    ):
        return {"pending": []}
    return {"pending": list(pending_cosignatures_list(member_id=member_id))}
