"""The one place the beneficiary wizard asks "did the member sign this?".

PLACEHOLDER — NOT A SECURITY CONTROL YET.
The transaction-PIN component (``accounts/signing.py``, built by the security issue) is not on
this branch, and the member model here has no PIN to compare with. Until it is wired in, this
function checks only that a PIN of the right *shape* (4 to 6 digits) was typed; any such PIN is
accepted and a warning is logged on every use.

To wire it after merge, replace the body of :func:`verify_signature` with a call to the
signing component, e.g.::

    from accounts.signing import pin_verify   # whatever the component exports
    return pin_verify(user=request.user, pin=cleaned_data["pin"], request=request,
                      purpose="beneficiary.register", summary=summary)

keeping the signature and the boolean result: the views call nothing else, and the tests in
``tests/beneficiaries`` that sign use ``SIGN_PIN`` from ``tests/beneficiaries/conftest.py`` (set
it to the test user's real PIN then). The component is expected to own PIN lockout and auditing
of wrong PINs; this module must not duplicate them.
"""

import logging
import re
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger(__name__)

PIN_SHAPE = re.compile(r"^\d{4,6}$")


def verify_signature(*, request: HttpRequest, cleaned_data: dict[str, Any], summary: str) -> bool:
    """True if the member signed ``summary`` with their PIN (placeholder: shape only)."""
    pin = str(cleaned_data.get("pin") or "")
    logger.warning(
        "beneficiaries.signing placeholder in use: PIN not verified for user %s (%s)",
        getattr(request.user, "pk", None),
        summary,
    )
    return bool(PIN_SHAPE.fullmatch(pin))
