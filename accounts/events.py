"""The audit events this app writes (who you are: registration, sign-in, PIN, devices,
profile, sessions).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`. Each label is the event's name
in the audit admin (registered with :mod:`audit.registry`; Spanish in this app's catalogue).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.registry import register_events


@register_events
class AccountEvent(models.TextChoices):
    DEVICE_SMS_ENROLLED = "device.sms_enrolled", _("SMS code phone enrolled")
    DEVICE_SMS_REMOVED = "device.sms_removed", _("SMS code phone removed")
    DEVICE_TOTP_ENROLLED = "device.totp_enrolled", _("Authenticator app enrolled")
    DEVICE_TOTP_REMOVED = "device.totp_removed", _("Authenticator app removed")
    EMAIL_CHANGE_REQUESTED = "email.change_requested", _("Email address change requested")
    EMAIL_CHANGED = "email.changed", _("Email address changed")
    MEMBER_CONTACT_UPDATED = "member.contact_updated", _("Member contact details updated")
    PASSWORD_CHANGED = "password.changed", _("Password changed")
    PIN_CHANGED = "pin.changed", _("Transaction PIN changed")
    PIN_CREATED = "pin.created", _("Transaction PIN created")
    PIN_LOCKED = "pin.locked", _("Transaction PIN locked")
    PIN_UNLOCKED = "pin.unlocked", _("Transaction PIN unlocked")
    PROFILE_CHANGED = "profile.changed", _("Personal details changed")
    REGISTRATION_APPROVED = "registration.approved", _("Registration approved")
    REGISTRATION_EMAIL_CONFIRMED = "registration.email_confirmed", _("Registration email confirmed")
    REGISTRATION_FIRST_APPROVAL = "registration.first_approval", _("Registration: first approval")
    REGISTRATION_LINK_RESENT = "registration.link_resent", _("Registration: link sent again")
    REGISTRATION_PASSWORD_SET = "registration.password_set", _("Registration: password set")
    REGISTRATION_REJECTED = "registration.rejected", _("Registration rejected")
    REGISTRATION_SUBMITTED = "registration.submitted", _("Registration submitted")
    SESSION_CLOSED = "session.closed", _("Session closed")
    SIGNATURE_VERIFIED = "signature.verified", _("Signature verified")
    SIGNING_RESTRICTED = "signing.restricted", _("Signing restricted")
    USER_LOCKED = "user.locked", _("User locked")
    USER_UNLOCKED = "user.unlocked", _("User unlocked")
