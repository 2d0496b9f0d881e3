"""The audit events this app writes (registered third-party products and the account lookup).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`. Each label is the event's name
in the audit admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events


@register_events
class BeneficiaryEvent(models.TextChoices):
    DELETED = "beneficiary.deleted", _("Third-party product deleted")
    LOOKUP = "beneficiary.lookup", _("Third-party account looked up")
    REGISTERED = "beneficiary.registered", _("Third-party product registered")
    UPDATED = "beneficiary.updated", _("Third-party product updated")
