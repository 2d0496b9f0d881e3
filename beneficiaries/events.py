"""The audit events this app writes (registered third-party products and the account lookup).

Each app names its own events: an event is a fact of the app that owns it, and the audit app
stays plumbing that stores any name (:func:`audit.services.audit_record` takes ``str``). The
values are what the audit table holds, so they never change; tests and staff filter on them.
"""

from django.db import models


class BeneficiaryEvent(models.TextChoices):
    DELETED = "beneficiary.deleted"
    LOOKUP = "beneficiary.lookup"
    REGISTERED = "beneficiary.registered"
    UPDATED = "beneficiary.updated"
