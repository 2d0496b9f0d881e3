"""Who is who. One module per concern; everything is re-exported here for Django."""

from .member import Member
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
    "CaseInsensitiveUserManager",
    "EmailCode",
    "InvalidTransition",
    "Member",
    "RegistrationRequest",
    "SignatureGrant",
    "SignInAttempt",
    "SmsDevice",
    "TransactionPin",
    "User",
    "UserSession",
]
