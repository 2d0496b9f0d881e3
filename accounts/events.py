"""The audit events this app writes (who you are: registration, sign-in, PIN, devices,
profile, sessions).

Never renamed: see ``event`` in :class:`audit.models.AuditEvent`.
"""

from django.db import models


class AccountEvent(models.TextChoices):
    DEVICE_SMS_ENROLLED = "device.sms_enrolled"
    DEVICE_SMS_REMOVED = "device.sms_removed"
    DEVICE_TOTP_ENROLLED = "device.totp_enrolled"
    DEVICE_TOTP_REMOVED = "device.totp_removed"
    EMAIL_CHANGE_REQUESTED = "email.change_requested"
    EMAIL_CHANGED = "email.changed"
    MEMBER_CONTACT_UPDATED = "member.contact_updated"
    PASSWORD_CHANGED = "password.changed"  # noqa: S105  # nosec B105  # an event name
    PIN_CHANGED = "pin.changed"
    PIN_CREATED = "pin.created"
    PIN_LOCKED = "pin.locked"
    PIN_UNLOCKED = "pin.unlocked"
    PROFILE_CHANGED = "profile.changed"
    REGISTRATION_APPROVED = "registration.approved"
    REGISTRATION_EMAIL_CONFIRMED = "registration.email_confirmed"
    REGISTRATION_FIRST_APPROVAL = "registration.first_approval"
    REGISTRATION_LINK_RESENT = "registration.link_resent"
    REGISTRATION_PASSWORD_SET = "registration.password_set"  # noqa: S105  # nosec B105  # an event name
    REGISTRATION_REJECTED = "registration.rejected"
    REGISTRATION_SUBMITTED = "registration.submitted"
    SESSION_CLOSED = "session.closed"
    SIGNATURE_VERIFIED = "signature.verified"
    SIGNING_RESTRICTED = "signing.restricted"
    USER_LOCKED = "user.locked"
    USER_UNLOCKED = "user.unlocked"
