"""The one place the beneficiary wizard asks "did the member sign this?".

PLACEHOLDER — NOT A SECURITY CONTROL YET.
The transaction-PIN component (``accounts/signing.py``, built by the security issue) is not on
this branch, and the member model here has no PIN to compare with. Until it is wired in, this
function checks only that a PIN of the right *shape* (4 to 6 digits) was typed; any such PIN is
accepted and a warning is logged on every use.

To wire it after merge (``accounts.signing`` as merged from the security branch):

1. Replace the body of :func:`verify_signature` with::

       from accounts.audit import client_ip
       from accounts.signing import SignatureError, signature_verify
       try:
           signature_verify(user=request.user, pin=cleaned_data["pin"], summary=summary,
                            otp_code=cleaned_data.get("otp_code"),
                            pin_confirmation=cleaned_data.get("pin_confirmation"),
                            ip_address=client_ip(request))
       except SignatureError:
           return False
       return True

   The view already calls it outside any transaction (a failure strike must commit) and
   passes ``summary`` as the ``{label: value}`` mapping the member read.
2. In ``views.sign`` use ``accounts.signing.SignatureForm(request.POST, user=request.user)``
   (it adds "Código de seguridad" or the first-use "Confirme su PIN" when needed) with the
   hidden ``idempotency_key`` field kept from ``SignForm``, call ``signature_prepare`` on GET,
   and include ``accounts/includes/signature.html`` in ``sign.html``.
3. In ``tests/beneficiaries/conftest.py`` give the test member a real PIN and set ``SIGN_PIN``.

The component owns PIN lockout and the audit of wrong PINs; this module must not duplicate
them.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger(__name__)

PIN_SHAPE = re.compile(r"^\d{4,6}$")


def verify_signature(
    *, request: HttpRequest, cleaned_data: dict[str, Any], summary: Mapping[str, str]
) -> bool:
    """True if the member signed ``summary`` with their PIN (placeholder: shape only)."""
    pin = str(cleaned_data.get("pin") or "")
    logger.warning(
        "beneficiaries.signing placeholder in use: PIN not verified for user %s",
        getattr(request.user, "pk", None),
    )
    return bool(PIN_SHAPE.fullmatch(pin))
