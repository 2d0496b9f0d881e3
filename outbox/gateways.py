"""SMS gateways. ``settings.SMS_GATEWAY`` names a callable ``(phone, text) -> None`` that
raises on failure (the outbox then retries).

No SMS provider is reachable from here, so the shipped gateway writes each message as a line
of JSON to ``settings.SMS_OUTBOX_FILE`` (development and tests read it back). To plug a
provider, write a function with the same signature that calls its HTTP API and raises on any
non-success answer, and point ``SMS_GATEWAY`` at it.
"""

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def file_gateway(phone: str, text: str) -> None:
    path = Path(settings.SMS_OUTBOX_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        record = {"to": phone, "text": text, "at": timezone.now().isoformat()}
        handle.write(json.dumps(record) + "\n")
