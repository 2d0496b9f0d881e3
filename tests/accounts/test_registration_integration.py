"""Registration emails through the real path: outbox row → Redis → Celery worker → SMTP.

These tests start real processes (see tests/integration_fixtures.py) and are transactional:
the worker is another process and sees only committed rows.
"""

from collections import Counter

import pytest

from accounts.models import RegistrationRequest
from outbox.models import OutboxMessage
from tests.integration_fixtures import CeleryWorker, celery_publishing_to

from .registration_helpers import COMPANY, PERSON, link_in, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_confirmation_email_arrives_through_celery_and_smtp(client, celery_live, smtp_sink):
    assert register(client, "person").status_code == 302
    (message,) = smtp_sink.wait_for(PERSON["email"])
    assert message["Subject"] == "Confirme su correo electrónico"
    outbox = OutboxMessage.objects.get()
    assert message["Message-ID"] == outbox.message_id
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Confirmar mi correo" in html

    client.post(link_in(smtp_sink.text(message), "confirmar"))
    registration = RegistrationRequest.objects.get()
    assert registration.status == RegistrationRequest.Status.EMAIL_CONFIRMED
    outbox.refresh_from_db()
    assert outbox.status == OutboxMessage.Status.SENT
    assert outbox.attempts == 1


def test_broker_outage_delays_emails_and_never_loses_or_doubles_them(
    client, redis_server, _smtp_sink_server, transactional_db, caplog
):
    """Stop Redis, register twice, start Redis: both emails arrive exactly once, delivered by
    the periodic relay (celery beat) because the publish at commit time failed."""
    sink = _smtp_sink_server
    sink.clear()
    worker = CeleryWorker(broker_url=redis_server.url, smtp_port=sink.port, beat_interval=1)
    try:
        with celery_publishing_to(redis_server.url):
            redis_server.stop()
            assert register(client, "person").status_code == 302
            assert register(client, "company").status_code == 302
            assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == 2
            assert sink.messages == []

            redis_server.start()
            sink.wait_for(PERSON["email"])
            sink.wait_for(COMPANY["email"])

            # A third registration after the outage: when its email has arrived, the worker
            # has also run every relay published before it (one solo worker, FIFO queue).
            third = {
                **PERSON,
                "document_number": "7766554",
                "email": "tercera@example.com",
                "username": "tercera",
            }
            assert register(client, "person", third).status_code == 302
            sink.wait_for("tercera@example.com")
    finally:
        worker.stop()

    outbox_ids = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert len(outbox_ids) == 3
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    counts = Counter(m["Message-ID"] for m in sink.messages)
    assert counts == Counter({f"<outbox-{pk}@progresonet>": 1 for pk in outbox_ids})
    # The emails of the outage were not published at commit: the relay delivered them.
    assert caplog.text.count("could not publish") == 2
