"""Who is who. One module per concern; everything is re-exported here for Django."""

from .audit import AuditEvent
from .member import Member
from .outbox import OutboxMessage
from .registration import InvalidTransition, RegistrationRequest
from .security import (
    EmailCode,
    SignatureGrant,
    SignInAttempt,
    SmsDevice,
    TransactionPin,
    UserSession,
)
from .user import CaseInsensitiveUserManager, User

__all__ = [
    "AuditEvent",
    "CaseInsensitiveUserManager",
    "EmailCode",
    "InvalidTransition",
    "Member",
    "OutboxMessage",
    "RegistrationRequest",
    "SignatureGrant",
    "SignInAttempt",
    "SmsDevice",
    "TransactionPin",
    "User",
    "UserSession",
]
