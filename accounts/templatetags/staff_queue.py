"""``{% staff_waiting %}``: on the admin index, what is waiting for branch staff — registration
requests to approve and locked users to unlock — each a link to the filtered list."""

from django import template
from django.urls import reverse

from accounts.models import RegistrationRequest, User

register = template.Library()

# Requests a clerk can act on: the email is confirmed (first approval) or a first approval
# waits for a second clerk. "submitted" still waits for the member's own email confirmation.
WAITING_STATUSES = (
    RegistrationRequest.Status.EMAIL_CONFIRMED,
    RegistrationRequest.Status.AWAITING_SECOND_APPROVAL,
)


@register.inclusion_tag("admin/includes/staff_waiting.html", takes_context=True)
def staff_waiting(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    rows = []
    if user is not None and user.has_perm("accounts.view_registrationrequest"):
        url = reverse("admin:accounts_registrationrequest_changelist")
        for status in WAITING_STATUSES:
            rows.append(
                {
                    "label": RegistrationRequest.Status(status).label,
                    "count": RegistrationRequest.objects.filter(status=status).count(),
                    "url": f"{url}?status={status}",
                }
            )
    if user is not None and user.has_perm("accounts.view_user"):
        rows.append(
            {
                "label": User._meta.get_field("locked_at").verbose_name,
                "count": User.objects.filter(locked_at__isnull=False).count(),
                "url": reverse("admin:accounts_user_changelist") + "?locked=yes",
                "locked": True,
            }
        )
    return {"rows": rows}
