"""The audit events this app writes (registered third-party products and the account lookup)
and what its PIN signatures are for (registering, changing and deleting a product).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`, and a purpose is stored in each
signature grant and its audit row (:mod:`accounts.signing`). Each label is the name in the audit
admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events, register_purposes


@register_events
class BeneficiaryEvent(models.TextChoices):
    DELETED = "beneficiary.deleted", _("Third-party product deleted")
    LOOKUP = "beneficiary.lookup", _("Third-party account looked up")
    REGISTERED = "beneficiary.registered", _("Third-party product registered")
    UPDATED = "beneficiary.updated", _("Third-party product updated")


@register_purposes
class BeneficiaryPurpose(models.TextChoices):
    """What a PIN signature is for: the service that consumes it (:mod:`beneficiaries.services`)."""

    DELETE = "beneficiary.delete", _("Delete a third-party product")
    REGISTER = "beneficiary.register", _("Register a third-party product")
    UPDATE = "beneficiary.update", _("Update a third-party product")
