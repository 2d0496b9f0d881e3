"""Outbox faults with real processes at a small size (``make reliability`` runs the issue's
size; see outbox_faults.py): Redis stopped during registrations over HTTP, and a Celery
worker SIGKILLed in the middle of an SMTP delivery."""

import pytest

from . import outbox_faults

pytestmark = pytest.mark.slow


def test_redis_stopped_during_registrations_every_email_once():
    figures = outbox_faults.registration_outage_scenario(registrants=10, concurrency=5)
    # Every registrant, each from its own address, was accepted and answered cleanly ...
    assert figures["submitted"] == 10, figures["not_submitted"]
    assert figures["responses_5xx"] == 0, figures["statuses"]
    # ... while nothing could be published: the rows waited in the outbox.
    assert figures["pending_during_outage"] == figures["outbox_rows_during_outage"] == 10
    assert figures["delivered_during_outage"] == 0
    assert figures["publish_failures_logged"] == 10
    # After the restart: one confirmation email per registrant, none twice, none pending.
    assert figures["emails_delivered"] == 10
    assert figures["recipients_served"] == 10
    assert figures["unexpected_recipients"] == []
    assert figures["duplicates"] == 0
    assert figures["recipients_twice"] == 0
    assert figures["message_ids_match_outbox"]
    assert figures["outbox_not_sent"] == 0
    assert outbox_faults.registration_outage_passed(figures)
